/// Runs a machine the way the including test binary tests it.
pub(crate) trait Go {
    fn go(&mut self, args: [u64; 5]) -> Result<u64, uxdp::errno::XdpError>;
}

impl Go for uxdp::bpf::Machine<'_> {
    fn go(&mut self, args: [u64; 5]) -> Result<u64, uxdp::errno::XdpError> {
        if super::JIT {
            self.run_jit(args)
        } else {
            self.run(args)
        }
    }
}

pub(crate) use super::common;

pub(crate) use std::cell::Cell;
pub(crate) use std::rc::Rc;

pub(crate) use proptest::prelude::*;
pub(crate) use uxdp::bpf::insn::{self, *};
pub(crate) use uxdp::bpf::machine::{func_addr, Callable, Machine, Prog, Trap, XdpHost};
pub(crate) use uxdp::bpf::memory::{Region, RegionKind};
pub(crate) use uxdp::bpf::validate::validate;
pub(crate) use uxdp::errno::XdpError;
pub(crate) use uxdp::frame::XdpBuff;
pub(crate) use uxdp::pool::PagePool;
pub(crate) use uxdp::Errno;

// ---- instruction builders ----

pub(crate) fn i(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn::new(code, dst, src, off, imm)
}
pub(crate) fn alu64k(op: u8, dst: u8, imm: i32) -> Insn {
    i(ALU64 | op | K, dst, 0, 0, imm)
}
pub(crate) fn alu64x(op: u8, dst: u8, src: u8) -> Insn {
    i(ALU64 | op | X, dst, src, 0, 0)
}
pub(crate) fn alu32k(op: u8, dst: u8, imm: i32) -> Insn {
    i(ALU | op | K, dst, 0, 0, imm)
}
pub(crate) fn mov(dst: u8, imm: i32) -> Insn {
    alu64k(MOV, dst, imm)
}
pub(crate) fn movx(dst: u8, src: u8) -> Insn {
    alu64x(MOV, dst, src)
}
pub(crate) fn lddw(dst: u8, v: u64) -> [Insn; 2] {
    [i(LD | DW | IMM, dst, 0, 0, v as u32 as i32), i(0, 0, 0, 0, (v >> 32) as u32 as i32)]
}
pub(crate) fn exit() -> Insn {
    i(JMP | EXIT, 0, 0, 0, 0)
}
pub(crate) fn ja(off: i16) -> Insn {
    i(JMP | JA, 0, 0, off, 0)
}
pub(crate) fn jk(op: u8, dst: u8, imm: i32, off: i16) -> Insn {
    i(JMP | op | K, dst, 0, off, imm)
}
pub(crate) fn jx(op: u8, dst: u8, src: u8, off: i16) -> Insn {
    i(JMP | op | X, dst, src, off, 0)
}
pub(crate) fn ldx(size: u8, dst: u8, src: u8, off: i16) -> Insn {
    i(LDX | MEM | size, dst, src, off, 0)
}
pub(crate) fn ldsx(size: u8, dst: u8, src: u8, off: i16) -> Insn {
    i(LDX | MEMSX | size, dst, src, off, 0)
}
pub(crate) fn st(size: u8, dst: u8, off: i16, imm: i32) -> Insn {
    i(ST | MEM | size, dst, 0, off, imm)
}
pub(crate) fn stx(size: u8, dst: u8, src: u8, off: i16) -> Insn {
    i(STX | MEM | size, dst, src, off, 0)
}
pub(crate) fn atomic(size: u8, dst: u8, src: u8, off: i16, op: i32) -> Insn {
    i(STX | ATOMIC | size, dst, src, off, op)
}
pub(crate) fn call(id: i32) -> Insn {
    i(JMP | CALL, 0, 0, 0, id)
}
pub(crate) fn call_local(rel: i32) -> Insn {
    i(JMP | CALL, 0, PSEUDO_CALL, 0, rel)
}
pub(crate) fn call_kfunc(idx: i32) -> Insn {
    i(JMP | CALL, 0, PSEUDO_KFUNC_CALL, 0, idx)
}

pub(crate) fn flat(parts: &[&[Insn]]) -> Vec<Insn> {
    parts.concat()
}

// ---- running ----

pub(crate) fn prog_with(insns: Vec<Insn>, helpers: Vec<Option<Callable>>, kfuncs: Vec<Callable>) -> Rc<Prog> {
    Rc::new(Prog { name: "t".into(), insns, helpers: Rc::new(helpers), kfuncs, ..Prog::default() })
}

pub(crate) fn prog(insns: Vec<Insn>) -> Rc<Prog> {
    prog_with(insns, Vec::new(), Vec::new())
}

/// Validates, then runs with no arguments.
pub(crate) fn run(insns: Vec<Insn>) -> Result<u64, XdpError> {
    validate(&insns).unwrap_or_else(|e| panic!("{e}"));
    Machine::new(prog(insns)).go([0; 5])
}

pub(crate) fn r0(insns: Vec<Insn>) -> u64 {
    run(insns).unwrap_or_else(|e| panic!("{e}"))
}

/// `r0 = a; r1 = b; r0 <op> r1` (or the immediate form when `imm` is given); exit.
pub(crate) fn binop(code: u8, a: u64, b: u64, off: i16) -> u64 {
    let mut p = flat(&[&lddw(0, a), &lddw(1, b)]);
    p.push(i(code, 0, 1, off, 0));
    p.push(exit());
    r0(p)
}
pub(crate) fn binop_k(code: u8, a: u64, imm: i32, off: i16) -> u64 {
    let mut p = lddw(0, a).to_vec();
    p.push(i(code, 0, 0, off, imm));
    p.push(exit());
    r0(p)
}

pub(crate) const MIN64: u64 = i64::MIN as u64;
pub(crate) const NEG1: u64 = u64::MAX;

// ---- ALU ----

#[test]
pub(crate) fn add_sub_mul_wrap_and_32_bit_forms_zero_extend() {
    assert_eq!(binop(ALU64 | ADD | X, NEG1, 2, 0), 1);
    assert_eq!(binop(ALU | ADD | X, 0x1_ffff_ffff, 1, 0), 0);
    assert_eq!(binop_k(ALU64 | ADD | K, 5, -6, 0), NEG1, "imm is sign-extended for ALU64");
    assert_eq!(binop_k(ALU | ADD | K, 5, -6, 0), 0xffff_ffff);
    assert_eq!(binop(ALU64 | SUB | X, 0, 1, 0), NEG1);
    assert_eq!(binop(ALU | SUB | X, 0xdead_0000_0000, 1, 0), 0xffff_ffff);
    assert_eq!(binop(ALU64 | MUL | X, MIN64, NEG1, 0), MIN64);
    assert_eq!(binop(ALU | MUL | X, 0x8000_0000, 0xffff_ffff, 0), 0x8000_0000);
    assert_eq!(binop_k(ALU | MUL | K, 0x1_0000_0003, 3, 0), 9);
    assert_eq!(binop(ALU | OR | X, 0xffff_0000_0000_0001, 2, 0), 3);
    assert_eq!(binop(ALU64 | AND | X, 0xff00, 0x0ff0, 0), 0x0f00);
    assert_eq!(binop(ALU | XOR | X, 0xffff_ffff_ffff_ffff, 0xf, 0), 0xffff_fff0);
    assert_eq!(binop_k(ALU64 | XOR | K, 0, -1, 0), NEG1);
}

#[test]
pub(crate) fn unsigned_division_by_zero_gives_zero_and_modulo_leaves_dst() {
    assert_eq!(binop(ALU64 | DIV | X, 100, 0, 0), 0);
    assert_eq!(binop(ALU | DIV | X, 0x1_0000_0064, 0, 0), 0);
    // A 32-bit divisor is its low half only: 0x1_0000_0000 is zero.
    assert_eq!(binop(ALU | DIV | X, 100, 0x1_0000_0000, 0), 0);
    assert_eq!(binop(ALU64 | MOD | X, 0xdead_beef_1234, 0, 0), 0xdead_beef_1234);
    assert_eq!(binop(ALU | MOD | X, 0xdead_beef_1234, 0, 0), 0xbeef_1234, "mod32 by zero truncates dst");
    assert_eq!(binop(ALU64 | DIV | X, NEG1, 2, 0), NEG1 / 2);
    assert_eq!(binop(ALU | DIV | X, 0xffff_fffe, 2, 0), 0x7fff_ffff);
    assert_eq!(binop(ALU64 | MOD | X, 17, 5, 0), 2);
    // div64 by a negative immediate divides by its sign extension, unsigned.
    assert_eq!(binop_k(ALU64 | DIV | K, NEG1, -1, 0), 1);
    assert_eq!(binop_k(ALU64 | DIV | K, 12, -1, 0), 0);
    assert_eq!(binop_k(ALU | DIV | K, 0xffff_ffff, -1, 0), 1);
    assert_eq!(binop_k(ALU | MOD | K, 0x1_0000_0007, 4, 0), 3);
}

#[test]
pub(crate) fn signed_division_and_modulo_with_overflow_and_zero() {
    assert_eq!(binop(ALU64 | DIV | X, MIN64, NEG1, 1), MIN64, "sdiv INT_MIN / -1 wraps");
    assert_eq!(binop(ALU64 | MOD | X, MIN64, NEG1, 1), 0, "smod INT_MIN % -1 is 0");
    assert_eq!(binop(ALU | DIV | X, 0x8000_0000, 0xffff_ffff, 1), 0x8000_0000);
    assert_eq!(binop(ALU | MOD | X, 0x8000_0000, 0xffff_ffff, 1), 0);
    assert_eq!(binop(ALU64 | DIV | X, -7i64 as u64, 2, 1), -3i64 as u64, "truncates toward zero");
    assert_eq!(binop(ALU64 | MOD | X, -7i64 as u64, 2, 1), -1i64 as u64, "takes the dividend's sign");
    assert_eq!(binop(ALU64 | MOD | X, 7, -2i64 as u64, 1), 1);
    assert_eq!(binop(ALU | DIV | X, -7i32 as u32 as u64, 2, 1), -3i32 as u32 as u64, "32-bit result zero-extended");
    assert_eq!(binop(ALU | MOD | X, 0xffff_ffff_ffff_fff9, 2, 1), 0xffff_ffff);
    assert_eq!(binop(ALU64 | DIV | X, -7i64 as u64, 0, 1), 0);
    assert_eq!(binop(ALU64 | MOD | X, -7i64 as u64, 0, 1), -7i64 as u64);
    assert_eq!(binop(ALU | MOD | X, -7i64 as u64, 0, 1), -7i32 as u32 as u64);
    assert_eq!(binop_k(ALU64 | DIV | K, -9i64 as u64, -3, 1), 3);
    assert_eq!(binop_k(ALU | MOD | K, -9i64 as u64, 4, 1), -1i32 as u32 as u64);
}

#[test]
pub(crate) fn shifts_mask_their_amount() {
    assert_eq!(binop(ALU64 | LSH | X, 1, 64, 0), 1, "64 & 63 = 0");
    assert_eq!(binop(ALU64 | LSH | X, 1, 65, 0), 2);
    assert_eq!(binop(ALU | LSH | X, 1, 33, 0), 2);
    assert_eq!(binop(ALU | LSH | X, 0x8000_0000, 1, 0), 0, "no carry into the upper half");
    assert_eq!(binop_k(ALU64 | LSH | K, 0x11, -60, 0), 0x110, "-60 & 63 = 4");
    assert_eq!(binop(ALU64 | RSH | X, MIN64, 63, 0), 1);
    assert_eq!(binop(ALU | RSH | X, 0xffff_ffff_8000_0000, 31, 0), 1);
    assert_eq!(binop(ALU64 | ARSH | X, MIN64, 63, 0), NEG1);
    assert_eq!(binop(ALU | ARSH | X, 0x8000_0000, 4, 0), 0xf800_0000);
    assert_eq!(binop_k(ALU | ARSH | K, 0xf000_0000, -28, 0), 0xff00_0000, "-28 & 31 = 4");
    assert_eq!(binop(ALU | ARSH | X, 0x1_7fff_ffff, 36, 0), 0x07ff_ffff);
}

#[test]
pub(crate) fn neg_mov_and_sign_extending_mov() {
    assert_eq!(binop_k(ALU64 | NEG | K, MIN64, 0, 0), MIN64);
    assert_eq!(binop_k(ALU64 | NEG | K, 1, 0, 0), NEG1);
    assert_eq!(binop_k(ALU | NEG | K, 0x1_0000_0001, 0, 0), 0xffff_ffff);
    assert_eq!(binop_k(ALU | NEG | K, 0x8000_0000, 0, 0), 0x8000_0000);
    assert_eq!(binop_k(ALU64 | MOV | K, 0, -1, 0), NEG1);
    assert_eq!(binop_k(ALU | MOV | K, NEG1, -1, 0), 0xffff_ffff);
    assert_eq!(binop(ALU | MOV | X, 0, 0x1234_5678_9abc_def0, 0), 0x9abc_def0);
    assert_eq!(binop(ALU64 | MOV | X, 0, 0x80, 8), 0xffff_ffff_ffff_ff80);
    assert_eq!(binop(ALU64 | MOV | X, 0, 0x7f, 8), 0x7f);
    assert_eq!(binop(ALU64 | MOV | X, 0, 0x1_8000, 16), 0xffff_ffff_ffff_8000);
    assert_eq!(binop(ALU64 | MOV | X, 0, 0x1_8000_0000, 32), 0xffff_ffff_8000_0000);
    assert_eq!(binop(ALU | MOV | X, NEG1, 0xff80, 8), 0xffff_ff80, "movsx32 zero-extends its 32-bit result");
    assert_eq!(binop(ALU | MOV | X, 0, 0x8000, 16), 0xffff_8000);
}

#[test]
pub(crate) fn byte_swaps() {
    let v = 0x1122_3344_5566_7788;
    let end = |code: u8, imm: i32| binop_k(code, v, imm, 0);
    assert_eq!(end(ALU | END | TO_LE, 16), 0x7788);
    assert_eq!(end(ALU | END | TO_LE, 32), 0x5566_7788);
    assert_eq!(end(ALU | END | TO_LE, 64), v);
    assert_eq!(end(ALU | END | TO_BE, 16), 0x8877);
    assert_eq!(end(ALU | END | TO_BE, 32), 0x8877_6655);
    assert_eq!(end(ALU | END | TO_BE, 64), 0x8877_6655_4433_2211);
    assert_eq!(end(ALU64 | END | TO_LE, 16), 0x8877);
    assert_eq!(end(ALU64 | END | TO_LE, 32), 0x8877_6655);
    assert_eq!(end(ALU64 | END | TO_LE, 64), 0x8877_6655_4433_2211);
    // Unvalidated, a bad width faults instead of guessing.
    let p = flat(&[&[i(ALU | END | TO_BE, 0, 0, 0, 8)], &[exit()]]);
    let e = Machine::new(prog(p)).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EINVAL, Some(0)));
}

// ---- jumps ----

/// 1 when the jump is taken, 0 when not.
pub(crate) fn taken(j: Insn, a: u64, b: u64) -> u64 {
    r0(flat(&[&lddw(1, a), &lddw(2, b), &[mov(0, 0), j, exit(), mov(0, 1), exit()]]))
}

#[test]
pub(crate) fn conditions_64_and_32_bit() {
    let x = |op: u8| jx(op, 1, 2, 1);
    let x32 = |op: u8| i(JMP32 | op | X, 1, 2, 1, 0);
    assert_eq!(taken(x(JGT), NEG1, 1), 1);
    assert_eq!(taken(x(JSGT), NEG1, 1), 0);
    assert_eq!(taken(x(JSLT), NEG1, 1), 1);
    assert_eq!(taken(x(JGE), 5, 5), 1);
    assert_eq!(taken(x(JLE), 6, 5), 0);
    assert_eq!(taken(x(JLT), 4, 5), 1);
    assert_eq!(taken(x(JSGE), MIN64, NEG1), 0);
    assert_eq!(taken(x(JSLE), MIN64, NEG1), 1);
    assert_eq!(taken(x(JSET), 0b1010, 0b0101), 0);
    assert_eq!(taken(x(JSET), 0b1010, 0b0010), 1);
    assert_eq!(taken(x(JEQ), 0x1_0000_0000, 0), 0);
    assert_eq!(taken(x(JNE), 0x1_0000_0000, 0), 1);
    // JMP32 looks at the low halves only.
    assert_eq!(taken(x32(JEQ), 0x1_0000_0000, 0), 1);
    assert_eq!(taken(x32(JSGT), 0x7fff_ffff, 0x1_8000_0000), 1);
    assert_eq!(taken(x32(JGT), 0x7fff_ffff, 0x1_8000_0000), 0);
    assert_eq!(taken(x32(JSLT), 0xffff_ffff, 0), 1);
    assert_eq!(taken(x32(JSET), 0xffff_ffff_0000_0000, NEG1), 0);
    // Immediates: sign-extended to 64 bits for JMP, compared as 32 bits for JMP32.
    assert_eq!(taken(jk(JEQ, 1, -1, 1), NEG1, 0), 1);
    assert_eq!(taken(jk(JEQ, 1, -1, 1), 0xffff_ffff, 0), 0);
    assert_eq!(taken(i(JMP32 | JEQ | K, 1, 0, 1, -1), 0xffff_ffff, 0), 1);
    assert_eq!(taken(jk(JSGT, 1, -2, 1), NEG1, 0), 1);
    assert_eq!(taken(jk(JGT, 1, -2, 1), NEG1, 0), 1);
    assert_eq!(taken(i(JMP32 | JSLE | K, 1, 0, 1, 0), 0x8000_0000, 0), 1);
}

#[test]
pub(crate) fn backward_jumps_loop_and_gotol_takes_its_offset_from_imm() {
    // r0 = 0; r1 = 10; loop: r0 += r1; r1 -= 1; if r1 != 0 goto loop; exit
    let p = vec![mov(0, 0), mov(1, 10), alu64x(ADD, 0, 1), alu64k(SUB, 1, 1), jk(JNE, 1, 0, -3), exit()];
    assert_eq!(r0(p), 55);
    let gotol = i(JMP32 | JA, 0, 0, 0, 2);
    assert_eq!(r0(vec![mov(0, 1), gotol, mov(0, 2), exit(), mov(0, 3), exit()]), 3);
}

// ---- memory ----

#[test]
pub(crate) fn loads_and_stores_of_every_size_on_the_stack() {
    let p = flat(&[
        &lddw(1, 0x8877_6655_4433_2211),
        &[
            stx(DW, 10, 1, -8),
            ldx(W, 2, 10, -8),
            ldx(H, 3, 10, -6),
            ldx(B, 4, 10, -1),
            // r0 = r2 ^ r3 ^ r4 = 0x44332211 ^ 0x4433 ^ 0x88
            movx(0, 2),
            alu64x(XOR, 0, 3),
            alu64x(XOR, 0, 4),
            exit(),
        ],
    ]);
    assert_eq!(r0(p), 0x4433_2211 ^ 0x4433 ^ 0x88);
    // Unaligned accesses work, as on x86.
    let p = flat(&[&lddw(1, 0x0102_0304_0506_0708), &[stx(DW, 10, 1, -11), ldx(DW, 0, 10, -11), exit()]]);
    assert_eq!(r0(p), 0x0102_0304_0506_0708);
    // st: DW sign-extends its immediate, narrower sizes truncate it.
    assert_eq!(r0(vec![st(DW, 10, -8, -2), ldx(DW, 0, 10, -8), exit()]), (-2i64) as u64);
    assert_eq!(r0(vec![st(DW, 10, -8, 0), st(W, 10, -8, -2), ldx(DW, 0, 10, -8), exit()]), 0xffff_fffe);
    assert_eq!(r0(vec![st(DW, 10, -8, 0), st(H, 10, -8, 0x12345), ldx(DW, 0, 10, -8), exit()]), 0x2345);
    assert_eq!(r0(vec![st(DW, 10, -8, 0), st(B, 10, -7, 0x1ff), ldx(DW, 0, 10, -8), exit()]), 0xff00);
    let p =
        flat(&[&lddw(1, 0xaabb_ccdd_eeff_1122), &[stx(DW, 10, 1, -8), stx(H, 10, 1, -8), stx(B, 10, 1, -6), ldx(W, 0, 10, -8), exit()]]);
    assert_eq!(r0(p), 0xee22_1122);
}

#[test]
pub(crate) fn sign_extending_loads() {
    let p = |size: u8| flat(&[&lddw(1, 0x8000_8080_8000_8080), &[stx(DW, 10, 1, -8), ldsx(size, 0, 10, -8), exit()]]);
    assert_eq!(r0(p(B)), 0xffff_ffff_ffff_ff80);
    assert_eq!(r0(p(H)), 0xffff_ffff_ffff_8080);
    assert_eq!(r0(p(W)), 0xffff_ffff_8000_8080);
    let q = flat(&[&lddw(1, 0x7f), &[stx(DW, 10, 1, -8), ldsx(B, 0, 10, -8), exit()]]);
    assert_eq!(r0(q), 0x7f);
}

#[test]
pub(crate) fn atomics_with_and_without_fetch() {
    // Memory starts at 0x0f0f_0000_0000_00f0, src = 0x0000_0001_0000_0011; returns (memory, r1).
    let run_op = |size: u8, op: i32| -> (u64, u64) {
        let p = flat(&[
            &lddw(1, 0x0f0f_0000_0000_00f0),
            &[stx(DW, 10, 1, -8)],
            &lddw(1, 0x0000_0001_0000_0011),
            &[atomic(size, 10, 1, -8, op), ldx(DW, 0, 10, -8), stx(DW, 10, 1, -16), exit()],
        ]);
        let mut m = Machine::new(prog(p));
        validate(&m.prog.insns).unwrap();
        let mem = m.go([0; 5]).unwrap();
        let fp = m.frame_pointer(1);
        let r1 = u64::from_le_bytes(m.stack[(fp - 16 - m.stack.as_ptr() as u64) as usize..][..8].try_into().unwrap());
        (mem, r1)
    };
    let src = 0x0000_0001_0000_0011u64;
    let old = 0x0f0f_0000_0000_00f0u64;
    assert_eq!(run_op(DW, ADD as i32), (old + src, src));
    assert_eq!(run_op(DW, ADD as i32 | ATOMIC_FETCH), (old + src, old));
    assert_eq!(run_op(DW, OR as i32 | ATOMIC_FETCH), (old | src, old));
    assert_eq!(run_op(DW, AND as i32), (old & src, src));
    assert_eq!(run_op(DW, XOR as i32 | ATOMIC_FETCH), (old ^ src, old));
    assert_eq!(run_op(DW, ATOMIC_XCHG), (src, old));
    // 32-bit: only the low word changes, and the fetched value is zero-extended.
    assert_eq!(run_op(W, ADD as i32 | ATOMIC_FETCH), (0x0f0f_0000_0000_0101, 0xf0));
    assert_eq!(run_op(W, AND as i32), (0x0f0f_0000_0000_0010, src));
    assert_eq!(run_op(W, ATOMIC_XCHG), (0x0f0f_0000_0000_0011, 0xf0));
}

#[test]
pub(crate) fn cmpxchg_compares_r0_and_returns_the_old_value_in_r0() {
    // mem = 5; r0 = expected; r1 = 9; cmpxchg; return mem * 0x100 + r0
    let p = |size: u8, expected: u64| {
        flat(&[
            &[st(DW, 10, -8, 5)],
            &lddw(0, expected),
            &[mov(1, 9), atomic(size, 10, 1, -8, ATOMIC_CMPXCHG), ldx(DW, 2, 10, -8), alu64k(LSH, 2, 8), alu64x(ADD, 0, 2), exit()],
        ])
    };
    assert_eq!(r0(p(DW, 5)), 0x905);
    assert_eq!(r0(p(DW, 6)), 0x505);
    assert_eq!(r0(p(DW, 0x1_0000_0005)), 0x505, "64-bit compares all of r0");
    assert_eq!(r0(p(W, 0x1_0000_0005)), 0x905, "32-bit compares the low half of r0");
    assert_eq!(r0(p(W, 4)), 0x505);
}

// ---- helpers, kfuncs, callx ----

pub(crate) fn sum(_: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(a.iter().fold(0u64, |s, x| s.wrapping_mul(10).wrapping_add(*x)))
}
pub(crate) fn stop(_: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Err(Trap::Exit(a[0]))
}
pub(crate) fn refuse(_: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    Err(Trap::Fault(XdpError::run(Errno::ENOENT, "no such thing")))
}

pub(crate) fn args5() -> [Insn; 5] {
    [mov(1, 1), mov(2, 2), mov(3, 3), mov(4, 4), mov(5, 5)]
}

#[test]
pub(crate) fn helpers_get_r1_to_r5_and_set_r0() {
    let helpers = vec![None, Some(Callable::Native(sum))];
    let p = flat(&[&args5(), &[call(1), exit()]]);
    assert_eq!(Machine::new(prog_with(p, helpers, Vec::new())).go([0; 5]).unwrap(), 12345);
    // A user callable, which may hold state.
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let user = Callable::User(Rc::new(move |_m: &mut Machine<'_>, a: &[u64; 5]| {
        c.set(c.get() + 1);
        Ok(a[0] * 2)
    }));
    let p = vec![mov(1, 21), call_kfunc(0), movx(1, 0), call_kfunc(0), exit()];
    assert_eq!(Machine::new(prog_with(p, Vec::new(), vec![user])).go([0; 5]).unwrap(), 84);
    assert_eq!(calls.get(), 2);
}

#[test]
pub(crate) fn callx_takes_the_helper_id_from_dst() {
    let helpers = vec![None, None, None, Some(Callable::Native(sum))];
    let p = flat(&[&args5(), &[mov(7, 3), i(JMP | CALL | X, 7, 0, 0, 0), exit()]]);
    validate(&p).unwrap();
    assert_eq!(Machine::new(prog_with(p, helpers.clone(), Vec::new())).go([0; 5]).unwrap(), 12345);
    let p = vec![mov(7, 4), i(JMP | CALL | X, 7, 0, 0, 0), exit()];
    let e = Machine::new(prog_with(p, helpers, Vec::new())).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EINVAL, Some(1)));
    assert!(e.message.contains("unknown#4"), "{e}");
}

#[test]
pub(crate) fn unknown_and_missing_callables_fault_with_their_name() {
    let p = vec![mov(0, 0), call(99), exit()];
    let e = Machine::new(prog(p)).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc, e.message.as_str()), (Errno::EINVAL, Some(1), "invalid func unknown#99"));
    assert_eq!(e.insn, Some(call(99).to_bytes()));
    let p = vec![call_kfunc(0), exit()];
    let e = Machine::new(prog_with(p, Vec::new(), vec![Callable::Missing("bpf_foo".into())])).go([0; 5]).unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    assert!(e.message.contains("bpf_foo"), "{e}");
    let p = vec![call_kfunc(3), exit()];
    let e = Machine::new(prog(p)).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EINVAL, Some(0)));
    assert!(e.to_string().starts_with("EINVAL at pc 0"), "{e}");
}

#[test]
pub(crate) fn helper_traps_exit_and_fault() {
    let helpers = vec![None, Some(Callable::Native(stop)), Some(Callable::Native(refuse))];
    let p = vec![mov(0, 1), mov(1, 77), call(1), mov(0, 2), exit()];
    let mut m = Machine::new(prog_with(p, helpers.clone(), Vec::new()));
    assert_eq!(m.go([0; 5]).unwrap(), 77);
    assert_eq!(m.executed, 3);
    let p = vec![mov(0, 1), call(2), exit()];
    let e = Machine::new(prog_with(p, helpers, Vec::new())).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc, e.message.as_str()), (Errno::ENOENT, Some(1), "no such thing"));
}

// ---- bpf-to-bpf calls ----

#[test]
pub(crate) fn subprograms_get_args_keep_callee_saved_registers_and_their_own_frame() {
    let p = vec![
        // main: r6..r9 = 6..9; r1 = 40, r2 = 2; call f; r0 += r6 + r7 + r8 + r9; r0 += (r10 == saved r10)
        mov(6, 6),
        mov(7, 7),
        mov(8, 8),
        mov(9, 9),
        movx(3, 10),
        stx(DW, 10, 3, -8),
        mov(1, 40),
        mov(2, 2),
        call_local(8),
        alu64x(ADD, 0, 6),
        alu64x(ADD, 0, 7),
        alu64x(ADD, 0, 8),
        alu64x(ADD, 0, 9),
        ldx(DW, 4, 10, -8),
        jx(JNE, 4, 10, 1),
        alu64k(ADD, 0, 1000),
        exit(),
        // f: clobbers r6..r9, writes its own stack slot -8 and returns r1 + r2
        mov(6, 0),
        mov(7, 0),
        mov(8, 0),
        mov(9, 0),
        st(DW, 10, -8, 0),
        movx(0, 1),
        alu64x(ADD, 0, 2),
        exit(),
    ];
    assert_eq!(r0(p), 42 + 6 + 7 + 8 + 9 + 1000);
}

#[test]
pub(crate) fn a_callee_can_write_its_callers_stack_through_a_pointer() {
    let p = vec![st(DW, 10, -8, 1), movx(1, 10), alu64k(ADD, 1, -8), call_local(2), ldx(DW, 0, 10, -8), exit(), st(DW, 1, 0, 99), exit()];
    assert_eq!(r0(p), 99);
}

/// A chain where function k calls function k+1, `n` functions deep, the last returning 7.
pub(crate) fn chain(n: usize) -> Vec<Insn> {
    let mut p = Vec::new();
    for _ in 1..n {
        p.extend([call_local(1), exit()]);
    }
    p.extend([mov(0, 7), exit()]);
    p
}

#[test]
pub(crate) fn eight_frames_run_and_a_ninth_faults() {
    assert_eq!(r0(chain(MAX_CALL_FRAMES)), 7);
    let p = chain(MAX_CALL_FRAMES + 1);
    validate(&p).unwrap();
    let mut m = Machine::new(prog(p));
    let e = m.go([0; 5]).unwrap_err();
    assert_eq!(e.errno, Errno::E2BIG);
    assert_eq!(e.pc, Some(2 * (MAX_CALL_FRAMES - 1)));
    assert!(e.message.contains("9 frames is too deep"), "{e}");
    assert_eq!(m.depth, 0, "the depth is back after a fault");
    // Unbounded recursion ends the same way.
    let e = Machine::new(prog(vec![call_local(-1), exit()])).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::E2BIG, Some(0)));
}

// ---- tail calls ----

thread_local! {
    static TARGET: std::cell::RefCell<Option<Rc<Prog>>> = const { std::cell::RefCell::new(None) };
}

/// bpf_tail_call to whatever TARGET holds; falls through (returns) when it holds nothing.
pub(crate) fn tail(_: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    match TARGET.with(|t| t.borrow().clone()) {
        Some(p) => Err(Trap::TailCall(p)),
        None => Ok(u64::MAX),
    }
}

#[test]
pub(crate) fn a_tail_call_continues_in_the_new_program_with_the_same_registers() {
    let helpers = vec![None, Some(Callable::Native(tail))];
    // The target returns r6 * 2 + r1: registers survive the jump.
    let target = prog_with(vec![movx(0, 6), alu64k(MUL, 0, 2), alu64x(ADD, 0, 1), exit()], helpers.clone(), Vec::new());
    TARGET.with(|t| *t.borrow_mut() = Some(target.clone()));
    let main = prog_with(vec![mov(6, 20), mov(1, 3), call(1), mov(0, -1), exit()], helpers.clone(), Vec::new());
    let mut m = Machine::new(main.clone());
    assert_eq!(m.go([0; 5]).unwrap(), 43);
    assert!(Rc::ptr_eq(&m.prog, &main), "the machine's program is the original again");
    assert_eq!(m.executed, 3 + 4);

    // From a subprogram: the target replaces the subprogram's frame, and its exit returns to the
    // caller, in the caller's program.
    let main = prog_with(vec![mov(6, 5), call_local(2), alu64k(ADD, 0, 100), exit(), mov(1, 1), call(1), exit()], helpers, Vec::new());
    validate(&main.insns).unwrap();
    let mut m = Machine::new(main);
    // In the target, r6 is still the subprogram's (= the caller's 5); r1 = 1; so 11, then + 100.
    assert_eq!(m.go([0; 5]).unwrap(), 111);
    TARGET.with(|t| *t.borrow_mut() = None);
}

// ---- re-entrant calls from helpers ----

/// bpf_loop-like: calls the callback at r2 (a function address) r1 times with (i, r3); stops early
/// when it returns 1; returns the number of calls.
pub(crate) fn looper(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let pc = m.func_pc(a[1])?;
    for n in 0..a[0] {
        if m.call(pc, [n, a[2], 0, 0, 0])? == 1 {
            return Ok(n + 1);
        }
    }
    Ok(a[0])
}

#[test]
pub(crate) fn helpers_can_call_back_into_the_program() {
    let helpers = vec![None, Some(Callable::Native(looper))];
    // main: ctx slot fp-8 = 0; r1 = 10; r2 = &cb; r3 = fp-8; call looper; r0 = r0 * 1000 + *(fp-8)
    // cb(i, p): *p += i; return i == 6
    let cb = 12;
    let mut p = vec![st(DW, 10, -8, 0), mov(1, 10)];
    p.extend(lddw(2, func_addr(cb)));
    p.extend([
        movx(3, 10),
        alu64k(ADD, 3, -8),
        call(1),
        alu64k(MUL, 0, 1000),
        ldx(DW, 1, 10, -8),
        alu64x(ADD, 0, 1),
        exit(),
        // padding so that cb sits at 12
        ja(0),
    ]);
    assert_eq!(p.len(), cb);
    p.extend([ldx(DW, 3, 2, 0), alu64x(ADD, 3, 1), stx(DW, 2, 3, 0), mov(0, 0), jk(JNE, 1, 6, 1), mov(0, 1), exit()]);
    let mut m = Machine::new(prog_with(p, helpers, Vec::new()));
    assert_eq!(m.go([0; 5]).unwrap(), 7 * 1000 + 21);
    assert_eq!(m.depth, 0);
}

#[test]
pub(crate) fn callbacks_nest_and_share_the_frame_limit() {
    // cb calls looper on itself once per level: each level adds a frame, until the ninth faults.
    let helpers = vec![None, Some(Callable::Native(looper))];
    let mut p = vec![mov(1, 1)];
    p.extend(lddw(2, func_addr(0)));
    p.extend([call(1), exit()]);
    let e = Machine::new(prog_with(p, helpers, Vec::new())).go([0; 5]).unwrap_err();
    assert_eq!(e.errno, Errno::E2BIG);
    assert_eq!(e.pc, Some(3), "blamed on the call that could not get a frame: {e}");
}

pub(crate) fn rerun(m: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    m.go([0; 5]).map_err(Trap::Fault)
}

#[test]
pub(crate) fn run_inside_a_run_is_refused_rather_than_sharing_frame_1() {
    let p = vec![st(DW, 10, -8, 3), call(1), exit()];
    let mut m = Machine::new(prog_with(p, vec![None, Some(Callable::Native(rerun))], Vec::new()));
    let e = m.go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EBUSY, Some(1)));
    assert_eq!(m.depth, 0);
}

// ---- faults ----

#[test]
pub(crate) fn out_of_region_accesses_fault_with_pc_and_address() {
    let e = Machine::new(prog(vec![mov(1, 0x1000), ldx(W, 0, 1, 4), exit()])).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc, e.addr, e.len), (Errno::EFAULT, Some(1), Some(0x1004), Some(4)));
    assert_eq!(e.insn, Some(ldx(W, 0, 1, 4).to_bytes()));
    // Just past the top of the stack.
    let e = Machine::new(prog(vec![ldx(B, 0, 10, 0), exit()])).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EFAULT, Some(0)));
    // A DW straddling the top.
    let e = Machine::new(prog(vec![st(DW, 10, -4, 1), exit()])).go([0; 5]).unwrap_err();
    assert_eq!(e.errno, Errno::EFAULT);
    // Below the deepest frame.
    let e = Machine::new(prog(vec![ldx(B, 0, 10, -(STACK_SIZE as i16 * MAX_CALL_FRAMES as i16) - 1), exit()])).go([0; 5]).unwrap_err();
    assert_eq!(e.errno, Errno::EFAULT);
    let e = Machine::new(prog(vec![mov(1, 8), atomic(DW, 1, 1, 0, ADD as i32), exit()])).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EFAULT, Some(1)));
}

#[test]
pub(crate) fn given_regions_are_readable_and_read_only_ones_refuse_writes() {
    let mut buf = vec![0u8; 16];
    buf[3] = 0xab;
    let addr = buf.as_ptr() as u64;
    let mut m = Machine::new(prog(vec![ldx(B, 0, 1, 3), st(B, 1, 0, 1), exit()]));
    m.mem.push(Region::of_slice(&mut buf, false, RegionKind::MapValue, 0));
    let e = m.go([addr, 0, 0, 0, 0]).unwrap_err();
    assert_eq!((e.errno, e.pc, e.addr), (Errno::EACCES, Some(1), Some(addr)));
    let mut m = Machine::new(prog(vec![ldx(B, 0, 1, 3), exit()]));
    m.mem.push(Region::of_slice(&mut buf, false, RegionKind::MapValue, 0));
    assert_eq!(m.go([addr, 0, 0, 0, 0]).unwrap(), 0xab);
    let mut m = Machine::new(prog(vec![mov(2, 1), atomic(W, 1, 2, 0, ADD as i32), exit()]));
    m.mem.push(Region::of_slice(&mut buf, false, RegionKind::MapValue, 0));
    assert_eq!(m.go([addr, 0, 0, 0, 0]).unwrap_err().errno, Errno::EACCES);
    // Writable memory takes stores and atomics.
    let mut m = Machine::new(prog(vec![
        st(W, 1, 4, 7),
        mov(2, 5),
        atomic(W, 1, 2, 4, ADD as i32 | ATOMIC_FETCH),
        ldx(W, 0, 1, 4),
        alu64k(LSH, 0, 8),
        alu64x(OR, 0, 2),
        exit(),
    ]));
    m.mem.push(Region::of_slice(&mut buf, true, RegionKind::Mem, 0));
    assert_eq!(m.go([addr, 0, 0, 0, 0]).unwrap(), 0xc07);
    drop(m);
    assert_eq!(buf[4], 12);
}

pub(crate) struct Host(XdpBuff);
impl XdpHost for Host {
    fn buff(&mut self) -> &mut XdpBuff {
        &mut self.0
    }
    fn ingress_ifindex(&self) -> u32 {
        7
    }
}

#[test]
pub(crate) fn the_context_converts_loads_and_refuses_stores_and_atomics() {
    let pool = PagePool::default();
    let mut host = Host(common::build(&pool, 64));
    let mut ctx = vec![0u8; uxdp::xdp::XDP_MD_SIZE];
    let ctx_addr = ctx.as_ptr() as u64;
    let with_ctx = |insns: Vec<Insn>, host: &mut Host, ctx: &mut Vec<u8>| -> Result<u64, XdpError> {
        let mut m = Machine::new(prog(insns));
        m.xdp = Some(host);
        m.ctx = ctx.as_ptr() as u64;
        m.mem.push(Region::of_slice(ctx, false, RegionKind::Ctx, 0));
        m.refresh_packet();
        m.go([ctx.as_ptr() as u64, 0, 0, 0, 0])
    };
    // data_end - data, plus the first packet byte << 8, plus ingress_ifindex << 16.
    let p = vec![
        ldx(W, 2, 1, 0),
        ldx(W, 3, 1, 4),
        movx(0, 3),
        alu64x(SUB, 0, 2),
        ldx(B, 4, 2, 0),
        alu64k(LSH, 4, 8),
        alu64x(ADD, 0, 4),
        ldx(W, 5, 1, 12),
        alu64k(LSH, 5, 16),
        alu64x(ADD, 0, 5),
        exit(),
    ];
    let first = common::pattern(64)[0] as u64;
    assert_eq!(with_ctx(p, &mut host, &mut ctx).unwrap(), 64 + (first << 8) + (7 << 16));
    // A packet store lands in the frame; one byte past data_end faults.
    let p = vec![ldx(W, 2, 1, 0), st(B, 2, 1, 0x5a), ldx(W, 3, 1, 4), ldx(B, 0, 3, 0), exit()];
    let e = with_ctx(p, &mut host, &mut ctx).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EFAULT, Some(3)));
    assert_eq!(host.0.to_vec()[1], 0x5a);
    let e = with_ctx(vec![st(W, 1, 0, 0), exit()], &mut host, &mut ctx).unwrap_err();
    assert_eq!((e.errno, e.pc, e.addr), (Errno::EACCES, Some(0), Some(ctx_addr)));
    assert!(e.message.contains("bpf_context"), "{e}");
    let e = with_ctx(vec![mov(2, 1), stx(W, 1, 2, 4), exit()], &mut host, &mut ctx).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EACCES, Some(1)));
    let e = with_ctx(vec![mov(2, 1), atomic(W, 1, 2, 0, ADD as i32), exit()], &mut host, &mut ctx).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EACCES, Some(1)));
    // A narrow context load is refused by the conversion, as by the verifier.
    let e = with_ctx(vec![ldx(B, 0, 1, 0), exit()], &mut host, &mut ctx).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EACCES, Some(0)));
}

#[test]
pub(crate) fn falling_off_jumping_out_and_unknown_opcodes_fault() {
    let e = Machine::new(prog(vec![mov(0, 1)])).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EINVAL, Some(0)));
    assert!(e.message.contains("fell off the end"), "{e}");
    let e = Machine::new(prog(vec![ja(5), exit()])).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EINVAL, Some(0)));
    assert!(e.message.contains("jump out of range from insn 0 to 6"), "{e}");
    let e = Machine::new(prog(vec![mov(0, 1), ja(-3), exit()])).go([0; 5]).unwrap_err();
    assert!(e.message.contains("jump out of range from insn 1 to -1"), "{e}");
    let e = Machine::new(prog(vec![i(0xff, 0, 0, 0, 0), exit()])).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc, e.message.as_str()), (Errno::EINVAL, Some(0), "unknown opcode ff"));
    let e = Machine::new(prog(vec![mov(0, 0), lddw(0, 1)[0]])).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EINVAL, Some(1)));
    let e = Machine::new(prog(vec![i(LD | ABS | W, 0, 0, 0, 0), exit()])).go([0; 5]).unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    let e = Machine::new(prog(vec![atomic(DW, 10, 1, -8, 0x33), exit()])).go([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc), (Errno::EINVAL, Some(0)));
    let e = Machine::new(prog(vec![exit()])).call(5, [0; 5]).unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    let e = Machine::new(prog(Vec::new())).go([0; 5]).unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
}

#[test]
pub(crate) fn a_machine_runs_again_from_a_clean_frame() {
    let mut m = Machine::new(prog(vec![movx(0, 1), alu64x(ADD, 0, 5), exit()]));
    assert_eq!(m.go([1, 0, 0, 0, 2]).unwrap(), 3);
    assert_eq!(m.go([10, 0, 0, 0, 20]).unwrap(), 30);
    assert_eq!(m.depth, 0);
    // r10 of frame 1 is the top of the stack buffer.
    let mut m = Machine::new(prog(vec![movx(0, 10), exit()]));
    let top = m.stack.as_ptr() as u64 + m.stack.len() as u64;
    assert_eq!(m.go([0; 5]).unwrap(), top);
}

// ---- the validator ----

pub(crate) fn refused(insns: &[Insn]) -> (usize, String) {
    let e = validate(insns).unwrap_err();
    (e.pc.expect("a refusal names its instruction"), e.message.clone())
}

#[test]
pub(crate) fn validator_refuses_what_the_kernel_refuses_in_its_words() {
    assert_eq!(refused(&[]).1, "the program has no instructions");
    assert_eq!(refused(&[i(0xff, 0, 0, 0, 0), exit()]), (0, "unknown opcode ff".into()));
    assert_eq!(refused(&[i(ALU | NEG | X, 0, 0, 0, 0), exit()]).1, "unknown opcode 8c");
    assert_eq!(refused(&[i(ALU64 | END | TO_BE, 0, 0, 0, 16), exit()]).1, "unknown opcode df");
    assert_eq!(refused(&[i(LDX | MEMSX | DW, 0, 1, 0, 0), exit()]).1, "unknown opcode 99");
    assert_eq!(refused(&[i(JMP32 | EXIT, 0, 0, 0, 0)]).1, "unknown opcode 96");
    assert_eq!(refused(&[mov(0, 0), i(ALU64 | MOV | K, 11, 0, 0, 0), exit()]), (1, "R11 is invalid".into()));
    assert_eq!(refused(&[movx(0, 12), exit()]).1, "R12 is invalid");
    assert_eq!(refused(&[mov(10, 0), exit()]).1, "frame pointer is read only");
    assert_eq!(refused(&[ldx(DW, 10, 1, 0), exit()]).1, "frame pointer is read only");
    assert_eq!(refused(&[atomic(DW, 1, 10, 0, ADD as i32 | ATOMIC_FETCH), exit()]).1, "frame pointer is read only");
    assert!(validate(&[atomic(DW, 1, 10, 0, ADD as i32), exit()]).is_ok(), "a non-fetching atomic only reads src");
    assert!(validate(&[stx(DW, 10, 10, -8), exit()]).is_ok());
    assert_eq!(refused(&[lddw(0, 1)[0]]).1, "invalid bpf_ld_imm64 insn");
    assert_eq!(refused(&[lddw(0, 1)[0], mov(0, 1), exit()]).1, "invalid bpf_ld_imm64 insn");
    assert_eq!(refused(&[i(LD | DW | IMM, 0, 0, 1, 0), i(0, 0, 0, 0, 0), exit()]).1, "BPF_LD_IMM64 uses reserved fields");
    assert_eq!(refused(&[ja(1), lddw(0, 1)[0], lddw(0, 1)[1], exit()]), (0, "jump out of range from insn 0 to 2".into()));
    assert_eq!(refused(&[jk(JEQ, 1, 0, 5), exit()]), (0, "jump out of range from insn 0 to 6".into()));
    assert_eq!(refused(&[jk(JEQ, 1, 0, -2), exit()]), (0, "jump out of range from insn 0 to -1".into()));
    assert_eq!(refused(&[i(JMP32 | JA, 0, 0, 0, 7), exit()]), (0, "jump out of range from insn 0 to 8".into()));
    assert_eq!(refused(&[mov(0, 0)]), (0, "last insn is not an exit or jmp".into()));
    assert_eq!(refused(&[exit(), jk(JEQ, 0, 0, -2)]).1, "last insn is not an exit or jmp");
    assert!(validate(&[mov(0, 0), exit(), ja(-3)]).is_ok(), "a final backward ja ends the program");
    assert_eq!(refused(&[alu64k(DIV, 0, 0), exit()]).1, "div by zero");
    assert_eq!(refused(&[alu32k(MOD, 0, 0), exit()]).1, "div by zero");
    assert!(validate(&[alu64x(DIV, 0, 1), exit()]).is_ok());
    assert_eq!(refused(&[i(ALU | END | TO_LE, 0, 0, 0, 8), exit()]).1, "BPF_END uses reserved fields");
    assert_eq!(refused(&[atomic(DW, 1, 2, 0, 0x33), exit()]).1, "BPF_ATOMIC uses invalid atomic opcode 33");
    assert_eq!(refused(&[atomic(DW, 1, 2, 0, SUB as i32), exit()]).1, "BPF_ATOMIC uses invalid atomic opcode 10");
    assert_eq!(refused(&[atomic(B, 1, 2, 0, ADD as i32), exit()]).1, "invalid atomic operand size");
    assert_eq!(refused(&[i(ALU64 | MOV | X, 0, 1, 4, 0), exit()]).1, "BPF_MOV uses reserved fields");
    assert_eq!(refused(&[i(ALU | MOV | X, 0, 1, 32, 0), exit()]).1, "BPF_MOV uses reserved fields");
    assert_eq!(refused(&[i(ALU64 | ADD | X, 0, 1, 1, 0), exit()]).1, "BPF_ALU uses reserved fields");
    assert_eq!(refused(&[i(ALU64 | DIV | X, 0, 1, 2, 0), exit()]).1, "BPF_ALU uses reserved fields");
    assert!(validate(&[i(ALU64 | DIV | X, 0, 1, 1, 0), i(ALU | MOD | K, 0, 0, 1, 3), exit()]).is_ok());
    assert_eq!(refused(&[i(JMP | CALL, 0, 3, 0, 1), exit()]).1, "BPF_CALL uses reserved fields");
    assert!(validate(&[i(JMP | CALL, 0, PSEUDO_KFUNC_CALL, 1, 0), exit()]).is_ok(), "a kfunc's off names its BTF");
    assert_eq!(refused(&[i(JMP | CALL | X, 1, 0, 0, 1), exit()]).1, "BPF_CALL uses reserved fields");
    assert_eq!(refused(&[call_local(5), exit()]).1, "call to invalid destination");
    assert_eq!(refused(&[i(LD | ABS | B, 0, 0, 0, 0), exit()]).1, "BPF_LD_[ABS|IND] instructions not allowed for this program type");
    assert_eq!(refused(&[i(ST | ATOMIC | DW, 1, 0, 0, 0), exit()]).1, "unknown opcode da");
    let e = validate(&[mov(10, 0), exit()]).unwrap_err();
    let x: uxdp::XdpError = e.into();
    assert_eq!((x.errno, x.detail.offset), (Errno::EINVAL, Some(0)));
}

#[test]
pub(crate) fn validator_keeps_jumps_inside_their_function() {
    // main: call f; exit; f: ja back into main
    let p = [call_local(1), exit(), ja(-3), exit()];
    assert_eq!(refused(&p), (2, "jump out of range from insn 2 to 0".into()));
    // A function that falls through into the next one.
    let p = [call_local(1), exit(), mov(0, 0), call_local(0), mov(0, 1), exit()];
    assert_eq!(refused(&p), (3, "last insn is not an exit or jmp".into()));
    // A callback named by a function reference (raw form, relative to the next instruction).
    let mut p = vec![i(LD | DW | IMM, 2, PSEUDO_FUNC, 0, 2), i(0, 0, 0, 0, 0), exit(), mov(0, 0)];
    assert_eq!(refused(&p), (3, "last insn is not an exit or jmp".into()));
    p.push(exit());
    assert!(validate(&p).is_ok());
    // ... and in the loader's resolved form.
    let v = func_addr(3);
    let q = vec![i(LD | DW | IMM, 2, PSEUDO_FUNC, 0, v as u32 as i32), i(0, 0, 0, 0, (v >> 32) as i32), exit(), mov(0, 0), ja(-5)];
    assert_eq!(refused(&q), (4, "jump out of range from insn 4 to 0".into()));
    // The same value as a plain constant is no function reference.
    let r = flat(&[&lddw(2, func_addr(3)), &[exit(), mov(0, 0), ja(-5)]]);
    assert!(validate(&r).is_ok());
}

#[test]
pub(crate) fn validator_limits_the_program_size() {
    let mut p = vec![mov(0, 0); insn::MAX_INSNS];
    p.push(exit());
    assert!(refused(&p).1.contains("more than BPF_COMPLEXITY_LIMIT_INSNS"));
}

// ---- random streams ----

pub(crate) fn any_insn() -> impl Strategy<Value = Insn> {
    // Mostly opcodes that mean something, with registers and offsets that stay near the program
    // and the stack, so that streams run for a while; the rest is noise.
    let codes: Vec<u8> = (0u8..=255)
        .filter(|c| {
            let ok = validate(&[Insn::new(*c, 0, 0, 0, 16), Insn::new(JMP | EXIT, 0, 0, 0, 0)]).is_ok()
                || validate(&[Insn::new(*c, 0, 1, 0, 0), Insn::new(JMP | EXIT, 0, 0, 0, 0)]).is_ok();
            ok || *c == (JMP | CALL) || *c == (STX | ATOMIC | DW) || *c == (STX | ATOMIC | W) || *c == (LD | DW | IMM)
        })
        .collect();
    let code = prop_oneof![8 => proptest::sample::select(codes), 1 => any::<u8>()];
    let off = prop_oneof![4 => -8i16..8, 2 => -520i16..8, 1 => any::<i16>()];
    let imm = prop_oneof![
        4 => -8i32..64,
        1 => proptest::sample::select(vec![0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 16, 32, 64]),
        1 => any::<i32>()
    ];
    (code, 0u8..16, 0u8..16, off, imm, 0u8..4).prop_map(|(code, dst, src, off, imm, bias)| {
        // Keep most registers real, and r10 as a base now and then.
        let dst = if bias == 0 { dst } else { dst % 11 };
        let src = if bias == 1 {
            10
        } else if bias == 0 {
            src
        } else {
            src % 11
        };
        Insn::new(code, dst, src, off, imm)
    })
}

pub(crate) fn noop(_: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(a[0] ^ a[1])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn random_streams_never_panic_and_always_stop(insns in prop::collection::vec(any_insn(), 1..48), validated in any::<bool>()) {
        let mut insns = insns;
        if validated {
            insns.push(Insn::new(JMP | EXIT, 0, 0, 0, 0));
            if validate(&insns).is_err() {
                return Ok(());
            }
        }
        let mut buf = vec![0x5au8; 64];
        let helpers = vec![None, Some(Callable::Native(noop)), None, Some(Callable::Native(stop))];
        let mut m = Machine::new(prog_with(insns, helpers, vec![Callable::Missing("k".into())]));
        m.budget = 2000;
        let addr = buf.as_mut_ptr() as u64;
        m.mem.push(Region::of_slice(&mut buf, true, RegionKind::Mem, 0));
        let r = m.go([addr, 64, 0, 0, 0]);
        prop_assert!(m.executed <= 2000);
        prop_assert_eq!(m.depth, 0);
        if let Err(e) = r {
            prop_assert!(e.pc.is_some() || e.errno == Errno::E2BIG, "{}", e);
        }
    }
}
