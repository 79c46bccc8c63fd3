//! The x86-64 code: an assembler for the forms the compiler uses, and the compiler proper.

use std::mem::offset_of;
use std::rc::Rc;

use super::super::insn::STACK_TOTAL;
use super::super::isa::{AluOp, AtomicOp, ByteOrder, Callee, Cfg, Cond, Op, Operand, Width};
use super::super::machine::Prog;
use super::super::maps::JitLookup;
use super::analysis::{acceptable, lookup_target};
use super::plan::{plan, Step};
use super::run::{call, map_lookup, slow_atomic, slow_load, slow_store, Hot, JitCode, JitCtx, CALL_HELPER, CALL_KFUNC, CALL_X, ST_BUDGET};

// x86 registers.
const RAX: u8 = 0;
const RCX: u8 = 1;
const RDX: u8 = 2;
const RBX: u8 = 3;
const RSP: u8 = 4;
const RBP: u8 = 5;
const RSI: u8 = 6;
const RDI: u8 = 7;
const R8: u8 = 8;
const R9: u8 = 9;
const R10: u8 = 10;
const R11: u8 = 11;
const R12: u8 = 12;
const R13: u8 = 13;
const R14: u8 = 14;
const R15: u8 = 15;
/// BPF r0..r10. rax, rcx and rdx are scratch; r12 holds the JitCtx.
const MAP: [u8; 11] = [RBX, RDI, RSI, R8, R9, R10, R11, R13, R14, R15, RBP];
/// Caller-saved registers holding BPF registers, pushed around calls into Rust (an even count
/// keeps the stack 16-byte aligned).
const SAVED: [u8; 6] = [RDI, RSI, R8, R9, R10, R11];
const CTXR: u8 = R12;

// Condition codes.
const CC_B: u8 = 2;
const CC_AE: u8 = 3;
const CC_E: u8 = 4;
const CC_NE: u8 = 5;
const CC_BE: u8 = 6;
const CC_A: u8 = 7;
const CC_L: u8 = 12;
const CC_GE: u8 = 13;
const CC_LE: u8 = 14;
const CC_G: u8 = 15;

pub(super) type Label = usize;

pub(super) struct Asm {
    c: Vec<u8>,
    labels: Vec<usize>,
    fixups: Vec<(usize, Label)>,
}

const UNBOUND: usize = usize::MAX;

impl Asm {
    pub(super) fn label(&mut self) -> Label {
        self.labels.push(UNBOUND);
        self.labels.len() - 1
    }
    fn bind(&mut self, l: Label) {
        self.labels[l] = self.c.len();
    }
    fn b(&mut self, b: u8) {
        self.c.push(b);
    }
    fn d32(&mut self, v: i32) {
        self.c.extend_from_slice(&v.to_le_bytes());
    }
    fn rex(&mut self, w: bool, r: u8, x: u8, b: u8, force: bool) {
        let v = 0x40 | ((w as u8) << 3) | ((r >> 3) << 2) | ((x >> 3) << 1) | (b >> 3);
        if v != 0x40 || force {
            self.b(v);
        }
    }
    /// `op reg, rm` with a register rm. `byte`: rm/reg are byte registers (REX needed for
    /// sil, dil, bpl).
    fn rr(&mut self, w: bool, op: &[u8], reg: u8, rm: u8, byte: bool) {
        self.rex(w, reg, 0, rm, byte && (reg >= 4 || rm >= 4));
        self.c.extend_from_slice(op);
        self.b(0xc0 | ((reg & 7) << 3) | (rm & 7));
    }
    /// `op reg, [base + disp]`.
    fn rm(&mut self, w: bool, op: &[u8], reg: u8, base: u8, disp: i32, byte: bool) {
        self.rex(w, reg, 0, base, byte && reg >= 4);
        self.c.extend_from_slice(op);
        self.modrm_mem(reg, base, disp);
    }
    fn modrm_mem(&mut self, reg: u8, base: u8, disp: i32) {
        let short = (-128..=127).contains(&disp);
        self.b(if short { 0x40 } else { 0x80 } | ((reg & 7) << 3) | (base & 7));
        if base & 7 == 4 {
            self.b(0x24);
        }
        if short {
            self.b(disp as i8 as u8);
        } else {
            self.d32(disp);
        }
    }
    fn jcc(&mut self, cc: u8, l: Label) {
        self.b(0x0f);
        self.b(0x80 | cc);
        self.fixups.push((self.c.len(), l));
        self.d32(0);
    }
    fn jmp(&mut self, l: Label) {
        self.b(0xe9);
        self.fixups.push((self.c.len(), l));
        self.d32(0);
    }
    fn mov(&mut self, w: bool, dst: u8, src: u8) {
        self.rr(w, &[0x89], src, dst, false);
    }
    /// mov dst, [base + disp] (64-bit).
    fn ld(&mut self, dst: u8, base: u8, disp: i32) {
        self.rm(true, &[0x8b], dst, base, disp, false);
    }
    fn st(&mut self, base: u8, disp: i32, src: u8) {
        self.rm(true, &[0x89], src, base, disp, false);
    }
    fn mov_imm64(&mut self, dst: u8, v: u64) {
        if v <= u32::MAX as u64 {
            self.rex(false, 0, 0, dst, false);
            self.b(0xb8 | (dst & 7));
            self.d32(v as u32 as i32);
        } else if v as i64 >= i32::MIN as i64 && v as i64 <= i32::MAX as i64 {
            self.rr(true, &[0xc7], 0, dst, false);
            self.d32(v as i32);
        } else {
            self.rex(true, 0, 0, dst, false);
            self.b(0xb8 | (dst & 7));
            self.c.extend_from_slice(&v.to_le_bytes());
        }
    }
    /// Group-1 ALU with an immediate: ext 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp.
    fn alu_ri(&mut self, w: bool, ext: u8, dst: u8, imm: i32) {
        if (-128..=127).contains(&imm) {
            self.rr(w, &[0x83], ext, dst, false);
            self.b(imm as i8 as u8);
        } else {
            self.rr(w, &[0x81], ext, dst, false);
            self.d32(imm);
        }
    }
    fn push(&mut self, r: u8) {
        self.rex(false, 0, 0, r, false);
        self.b(0x50 | (r & 7));
    }
    fn pop(&mut self, r: u8) {
        self.rex(false, 0, 0, r, false);
        self.b(0x58 | (r & 7));
    }
    fn call_abs(&mut self, f: u64) {
        self.mov_imm64(RAX, f);
        self.b(0xff);
        self.b(0xd0);
    }
    fn finish(mut self) -> Option<Vec<u8>> {
        for &(at, l) in &self.fixups {
            let target = *self.labels.get(l)?;
            if target == UNBOUND {
                return None;
            }
            let rel = i32::try_from(target as i64 - (at as i64 + 4)).ok()?;
            self.c[at..at + 4].copy_from_slice(&rel.to_le_bytes());
        }
        Some(self.c)
    }
}

fn size_class(n: u64) -> usize {
    match n {
        1 => 0,
        2 => 1,
        4 => 2,
        _ => 3,
    }
}

/// The out-of-line halves of memory accesses and budget faults, emitted after the body.
enum Cold {
    Load { entry: Label, ok: Label, done: Label, pc: usize, size: u64, signed: bool, dst: u8, ctx: bool },
    Store { entry: Label, ok: Label, done: Label, pc: usize, size: u64, val: Result<u8, i32> },
    Atomic { entry: Label, ok: Label, pc: usize, size: u64, base: u8, off: i32 },
    Budget { entry: Label, pc: usize },
}

/// Compiles the program; with `counting`, each basic block counts its runs for `executed`.
pub(super) fn compile(prog: &Prog, counting: bool) -> Option<JitCode> {
    let cfg = Cfg::new(&prog.insns);
    // An exception callback runs after an unwinding only the interpreter does.
    if prog.exception_cb.is_some() || !acceptable(&prog.insns, &cfg) {
        return None;
    }
    let n = cfg.len();
    let mut a = Asm { c: Vec::with_capacity(n * 24 + 256), labels: Vec::new(), fixups: Vec::new() };
    let pcl: Vec<Label> = (0..n).map(|_| a.label()).collect();
    let epi_save = a.label();
    let epi_ret = a.label();
    let mut cold: Vec<Cold> = Vec::new();

    let o_stack = offset_of!(JitCtx, stack_lo) as i32;
    let o_hot = offset_of!(JitCtx, hot) as i32;
    let hot_size = std::mem::size_of::<Hot>() as i32;
    let o_hot_lo = o_hot + offset_of!(Hot, lo) as i32;
    let o_hot_r = o_hot + offset_of!(Hot, r) as i32;
    let o_hot_w = o_hot + offset_of!(Hot, w) as i32;
    // The second region, checked in the cold stubs.
    let hot2 = |a: &mut Asm, ar: u8, size: u64, write: bool, ok: Label| {
        a.mov(true, RCX, ar);
        a.rm(true, &[0x2b], RCX, CTXR, o_hot_lo + hot_size, false);
        let lims = if write { o_hot_w } else { o_hot_r } + hot_size;
        a.rm(true, &[0x3b], RCX, CTXR, lims + 8 * size_class(size) as i32, false);
        a.jcc(CC_B, ok);
    };
    let o_ctx_addr = offset_of!(JitCtx, ctx_addr) as i32;
    let o_ctx_lim = offset_of!(JitCtx, ctx_lim) as i32;
    let o_left = offset_of!(JitCtx, left) as i32;
    let o_shadow = offset_of!(JitCtx, shadow) as i32;
    let o_regs = offset_of!(JitCtx, regs) as i32;
    let o_args = offset_of!(JitCtx, args) as i32;
    let o_status = offset_of!(JitCtx, status) as i32;
    let o_fault_pc = offset_of!(JitCtx, fault_pc) as i32;
    let o_counts = offset_of!(JitCtx, counts_ptr) as i32;
    let o_cpu = offset_of!(JitCtx, cpu) as i32;

    // Prologue: callee-saved registers, 8 more bytes to align, the context, the registers.
    for r in [RBX, RBP, R12, R13, R14, R15] {
        a.push(r);
    }
    a.alu_ri(true, 5, RSP, 8);
    a.mov(true, CTXR, RDI);
    for (i, &r) in MAP.iter().enumerate() {
        a.ld(r, CTXR, o_regs + 8 * i as i32);
    }

    let mut block_lens: Vec<u64> = Vec::new();
    let steps = plan(&cfg, &mut a);
    for step in steps {
        let (pc, count, fast, head) = match step {
            Step::Insn { pc, bind, count, fast } => {
                if bind {
                    a.bind(pcl[pc]);
                }
                (pc, count, fast, false)
            }
            Step::Guard { groups, slow } => {
                for g in groups {
                    // rax = base + lo - hot.lo; the span [rax, rax + len) must lie under the
                    // region's 1-byte limit (its length; 0 when not readable/writable).
                    let lims = if g.store { o_hot_w } else { o_hot_r };
                    a.rm(true, &[0x8d], RAX, MAP[g.reg as usize], g.lo, false);
                    a.rm(true, &[0x2b], RAX, CTXR, o_hot_lo, false);
                    a.rm(true, &[0x3b], RAX, CTXR, lims, false);
                    a.jcc(CC_AE, slow);
                    a.alu_ri(true, 0, RAX, g.end - g.lo);
                    a.rm(true, &[0x3b], RAX, CTXR, lims, false);
                    a.jcc(CC_A, slow);
                }
                continue;
            }
            Step::Head(pc) => {
                a.bind(pcl[pc]);
                (pc, true, false, true)
            }
            Step::Count(pc) => (pc, true, false, true),
            Step::Bind(l) => {
                a.bind(l);
                continue;
            }
            Step::Jmp(t) => {
                a.jmp(pcl[t]);
                continue;
            }
        };
        let op = cfg.ops[pc];
        if count && counting {
            // Count the block: its instructions up to the next leader (lddw counts once).
            let mut len = 0u64;
            let mut q = pc;
            loop {
                len += 1;
                q += cfg.ops[q].width();
                if q >= n || cfg.leader(q) {
                    break;
                }
            }
            let idx = block_lens.len() as i32;
            block_lens.push(len);
            a.ld(RAX, CTXR, o_counts);
            // inc qword [rax + idx*8]
            a.rm(true, &[0xff], 0, RAX, idx.checked_mul(8)?, false);
        }
        if head {
            continue;
        }
        let reg = |r: u8| MAP[usize::from(r)];
        // A register operand's x86 register, or the immediate.
        let by = |o: Operand| match o {
            Operand::Reg(r) => Ok(reg(r)),
            Operand::Imm(imm) => Err(imm),
        };
        match op {
            Op::Alu { op: alu, w, dst, src } => {
                let (w, dst) = (w == Width::W64, reg(dst));
                match alu {
                    AluOp::Add | AluOp::Sub | AluOp::Or | AluOp::And | AluOp::Xor => {
                        let (ext, opc) = match alu {
                            AluOp::Add => (0, 0x01),
                            AluOp::Sub => (5, 0x29),
                            AluOp::Or => (1, 0x09),
                            AluOp::And => (4, 0x21),
                            _ => (6, 0x31),
                        };
                        match by(src) {
                            Ok(src) => a.rr(w, &[opc], src, dst, false),
                            Err(imm) => a.alu_ri(w, ext, dst, imm),
                        }
                    }
                    AluOp::Mul => match by(src) {
                        Ok(src) => a.rr(w, &[0x0f, 0xaf], dst, src, false),
                        Err(imm) => {
                            a.rr(w, &[0x69], dst, dst, false);
                            a.d32(imm);
                        }
                    },
                    AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32 => match (by(src), alu) {
                        (Ok(src), AluOp::MovSx8) => a.rr(w, &[0x0f, 0xbe], dst, src, true),
                        (Ok(src), AluOp::MovSx16) => a.rr(w, &[0x0f, 0xbf], dst, src, false),
                        (Ok(src), AluOp::MovSx32) => a.rr(true, &[0x63], dst, src, false),
                        (Ok(src), _) => a.mov(w, dst, src),
                        (Err(imm), _) if w => a.mov_imm64(dst, imm as i64 as u64),
                        (Err(imm), _) => a.mov_imm64(dst, imm as u32 as u64),
                    },
                    AluOp::Neg => a.rr(w, &[0xf7], 3, dst, false),
                    AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => {
                        let ext = match alu {
                            AluOp::Lsh => 4,
                            AluOp::Rsh => 5,
                            _ => 7,
                        };
                        match by(src) {
                            Ok(src) => {
                                a.mov(false, RCX, src);
                                a.rr(w, &[0xd3], ext, dst, false);
                                if !w {
                                    a.mov(false, dst, dst);
                                }
                            }
                            Err(imm) => {
                                let sh = (imm as u32 & if w { 63 } else { 31 }) as u8;
                                if sh != 0 {
                                    a.rr(w, &[0xc1], ext, dst, false);
                                    a.b(sh);
                                } else if !w {
                                    a.mov(false, dst, dst);
                                }
                            }
                        }
                    }
                    AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod => {
                        let is_mod = matches!(alu, AluOp::Mod | AluOp::SMod);
                        emit_divmod(&mut a, w, is_mod, matches!(alu, AluOp::SDiv | AluOp::SMod), dst, by(src))
                    }
                }
            }
            Op::End { order, bits, dst } => {
                let dst = reg(dst);
                match (order == ByteOrder::Le, bits) {
                    (true, 16) => a.rr(false, &[0x0f, 0xb7], dst, dst, false),
                    (true, 32) => a.mov(false, dst, dst),
                    (true, _) => {}
                    (false, 16) => {
                        a.rex(false, 0, 0, dst, false);
                        a.b(0x0f);
                        a.b(0xc8 | (dst & 7));
                        a.rr(false, &[0xc1], 5, dst, false);
                        a.b(16);
                    }
                    (false, 32) => {
                        a.rex(false, 0, 0, dst, false);
                        a.b(0x0f);
                        a.b(0xc8 | (dst & 7));
                    }
                    (false, _) => {
                        a.rex(true, 0, 0, dst, false);
                        a.b(0x0f);
                        a.b(0xc8 | (dst & 7));
                    }
                }
            }
            Op::Call(_) | Op::Callx { .. } => {
                // bpf_map_lookup_elem on a map the code names: without the helper
                // when the key is in the stack, else through it as any call.
                let fast = lookup_target(prog, &cfg, pc);
                let done = a.label();
                if let Some((map, how)) = fast {
                    let generic = a.label();
                    let ks = u64::from(map.def().key_size);
                    // The key's bytes must lie in the stack (r2 is rsi).
                    a.mov(true, RAX, RSI);
                    a.rm(true, &[0x2b], RAX, CTXR, o_stack, false);
                    a.alu_ri(true, 7, RAX, (STACK_TOTAL - ks + 1) as i32);
                    a.jcc(CC_AE, generic);
                    // The call's budget charge, as the trampoline makes it.
                    a.rm(true, &[0x83], 5, CTXR, o_left, false);
                    a.b(1);
                    let entry = a.label();
                    a.jcc(CC_B, entry);
                    cold.push(Cold::Budget { entry, pc });
                    match how {
                        JitLookup::Array { base, max, stride } | JitLookup::PercpuArray { base, max, stride, .. } => {
                            // mov eax, [rsi]: the index; r0 = 0 unless it is in range.
                            a.rm(false, &[0x8b], RAX, RSI, 0, false);
                            a.rr(false, &[0x31], RBX, RBX, false);
                            a.alu_ri(false, 7, RAX, max as i32);
                            a.jcc(CC_AE, done);
                            if let JitLookup::PercpuArray { nr_cpus, .. } = how {
                                a.ld(RCX, CTXR, o_cpu);
                                a.alu_ri(true, 7, RCX, nr_cpus as i32);
                                a.jcc(CC_AE, done);
                                a.rr(true, &[0x69], RAX, RAX, false);
                                a.d32(nr_cpus as i32);
                                a.rr(true, &[0x01], RCX, RAX, false);
                            }
                            a.rr(true, &[0x69], RAX, RAX, false);
                            a.d32(stride as i32);
                            a.mov_imm64(RBX, base);
                            a.rr(true, &[0x01], RAX, RBX, false);
                        }
                        JitLookup::Call => {
                            for r in SAVED {
                                a.push(r);
                            }
                            a.mov_imm64(RDI, Rc::as_ptr(map) as u64);
                            a.mov(true, RDX, CTXR);
                            a.call_abs(map_lookup as *const () as u64);
                            for r in SAVED.iter().rev() {
                                a.pop(*r);
                            }
                            a.mov(true, RBX, RAX);
                        }
                    }
                    a.jmp(done);
                    a.bind(generic);
                }
                for (k, &r) in MAP[1..=5].iter().enumerate() {
                    a.st(CTXR, o_args + 8 * k as i32, r);
                }
                if let Op::Callx { dst } = op {
                    a.mov(true, RAX, reg(dst));
                }
                for r in SAVED {
                    a.push(r);
                }
                a.mov(true, RDI, CTXR);
                let (what, kind) = match op {
                    Op::Callx { dst } => (None, CALL_X | (u64::from(dst) << 8)),
                    Op::Call(Callee::Kfunc { imm, .. }) => (Some(imm), CALL_KFUNC),
                    Op::Call(Callee::Helper(imm)) => (Some(imm), CALL_HELPER),
                    _ => return None,
                };
                match what {
                    None => a.mov(true, RSI, RAX),
                    Some(imm) => a.mov_imm64(RSI, imm as i64 as u64),
                }
                a.mov_imm64(RDX, pc as u64);
                a.mov_imm64(RCX, kind);
                a.call_abs(call as *const () as u64);
                for r in SAVED.iter().rev() {
                    a.pop(*r);
                }
                // cmp qword [r12+status], 0
                a.rm(true, &[0x83], 7, CTXR, o_status, false);
                a.b(0);
                a.jcc(CC_NE, epi_save);
                a.mov(true, RBX, RAX);
                a.bind(done);
            }
            Op::Exit => {
                a.mov(true, RAX, RBX);
                a.jmp(epi_ret);
            }
            Op::Ja { .. } | Op::Jump { .. } => {
                let t = cfg.jump_target(pc)?;
                let back = t <= pc;
                if let Op::Jump { cond, w, dst, src, .. } = op {
                    let (w, dst) = (w == Width::W64, reg(dst));
                    let cc = match cond {
                        Cond::Eq => CC_E,
                        Cond::Ne | Cond::Set => CC_NE,
                        Cond::Gt => CC_A,
                        Cond::Ge => CC_AE,
                        Cond::Lt => CC_B,
                        Cond::Le => CC_BE,
                        Cond::Sgt => CC_G,
                        Cond::Sge => CC_GE,
                        Cond::Slt => CC_L,
                        Cond::Sle => CC_LE,
                    };
                    match (cond, by(src)) {
                        (Cond::Set, Ok(src)) => a.rr(w, &[0x85], src, dst, false),
                        (Cond::Set, Err(imm)) => {
                            a.rr(w, &[0xf7], 0, dst, false);
                            a.d32(imm);
                        }
                        (_, Ok(src)) => a.rr(w, &[0x39], src, dst, false),
                        (_, Err(imm)) => a.alu_ri(w, 7, dst, imm),
                    }
                    if back {
                        let skip = a.label();
                        a.jcc(cc ^ 1, skip);
                        charge(&mut a, &mut cold, o_left, pc, t);
                        a.jmp(pcl[t]);
                        a.bind(skip);
                    } else {
                        a.jcc(cc, pcl[t]);
                    }
                } else {
                    if back {
                        charge(&mut a, &mut cold, o_left, pc, t);
                    }
                    a.jmp(pcl[t]);
                }
            }
            Op::Lddw { dst, imm, .. } => a.mov_imm64(reg(dst), imm),
            Op::Load { size, sx: signed, dst: d, src: s, off } => {
                let (dst, src, off, size) = (reg(d), reg(s), i32::from(off), size.bytes());
                let load = |a: &mut Asm, base: u8, disp: i32| match (size, signed) {
                    (1, false) => a.rm(false, &[0x0f, 0xb6], dst, base, disp, false),
                    (2, false) => a.rm(false, &[0x0f, 0xb7], dst, base, disp, false),
                    (4, false) => a.rm(false, &[0x8b], dst, base, disp, false),
                    (1, true) => a.rm(true, &[0x0f, 0xbe], dst, base, disp, false),
                    (2, true) => a.rm(true, &[0x0f, 0xbf], dst, base, disp, false),
                    (4, true) => a.rm(true, &[0x63], dst, base, disp, false),
                    _ => a.rm(true, &[0x8b], dst, base, disp, false),
                };
                let word = size == 4 && !signed;
                if (s == 10 && off >= -(STACK_TOTAL as i32) && off <= -(size as i32)) || fast {
                    load(&mut a, src, off);
                } else {
                    let entry = a.label();
                    let done = a.label();
                    if word && (0..24).contains(&off) && off % 4 == 0 {
                        // Likely a context field: the shadow first. The common case, the
                        // base being the context's address itself, takes two compares.
                        let general = a.label();
                        a.rm(true, &[0x3b], src, CTXR, o_ctx_addr, false);
                        a.jcc(CC_NE, general);
                        a.rm(true, &[0x83], 7, CTXR, o_ctx_lim, false);
                        a.b(24);
                        a.jcc(CC_NE, general);
                        a.ld(dst, CTXR, o_shadow + 2 * off);
                        a.jmp(done);
                        a.bind(general);
                        let not_ctx = a.label();
                        a.rm(true, &[0x8d], RAX, src, off, false);
                        a.mov(true, RCX, RAX);
                        a.rm(true, &[0x2b], RCX, CTXR, o_ctx_addr, false);
                        a.rm(true, &[0x3b], RCX, CTXR, o_ctx_lim, false);
                        a.jcc(CC_AE, not_ctx);
                        a.b(0xf6);
                        a.b(0xc1);
                        a.b(3);
                        a.jcc(CC_NE, not_ctx);
                        shadow_load(&mut a, dst, o_shadow);
                        a.jmp(done);
                        a.bind(not_ctx);
                    }
                    let ok = emit_check(&mut a, RAX, src, off, size, o_stack, o_hot_lo, o_hot_r, entry);
                    load(&mut a, RAX, 0);
                    a.bind(done);
                    cold.push(Cold::Load { entry, ok, done, pc, size, signed, dst, ctx: word });
                }
            }
            Op::Atomic { size, op: aop, dst: d, src, off } => {
                let (dst, off, size) = (reg(d), i32::from(off), size.bytes());
                let entry = a.label();
                let ok = emit_check(&mut a, RDX, dst, off, size, o_stack, o_hot_lo, o_hot_w, entry);
                emit_atomic(&mut a, size == 8, aop, reg(src));
                cold.push(Cold::Atomic { entry, ok, pc, size, base: dst, off });
            }
            Op::Store { size, dst: d, off, val } => {
                let (dst, off, size, val) = (reg(d), i32::from(off), size.bytes(), by(val));
                let store = |a: &mut Asm, base: u8, disp: i32| emit_store(a, size, val, base, disp);
                if (d == 10 && off >= -(STACK_TOTAL as i32) && off <= -(size as i32)) || fast {
                    store(&mut a, dst, off);
                } else {
                    let entry = a.label();
                    let done = a.label();
                    let ok = emit_check(&mut a, RAX, dst, off, size, o_stack, o_hot_lo, o_hot_w, entry);
                    store(&mut a, RAX, 0);
                    a.bind(done);
                    cold.push(Cold::Store { entry, ok, done, pc, size, val });
                }
            }
            _ => return None,
        }
    }

    // Epilogues.
    a.bind(epi_save);
    for (k, &r) in MAP.iter().enumerate() {
        a.st(CTXR, o_regs + 8 * k as i32, r);
    }
    a.bind(epi_ret);
    a.alu_ri(true, 0, RSP, 8);
    for r in [R15, R14, R13, R12, RBP, RBX] {
        a.pop(r);
    }
    a.b(0xc3);

    for c in cold {
        match c {
            Cold::Load { entry, ok, done, pc, size, signed, dst, ctx } => {
                a.bind(entry);
                hot2(&mut a, RAX, size, false, ok);
                if ctx {
                    // The context's converted fields: 4-byte aligned loads in the first 24 bytes.
                    let slow = a.label();
                    a.mov(true, RCX, RAX);
                    a.rm(true, &[0x2b], RCX, CTXR, o_ctx_addr, false);
                    a.rm(true, &[0x3b], RCX, CTXR, o_ctx_lim, false);
                    a.jcc(CC_AE, slow);
                    // test cl, 3
                    a.b(0xf6);
                    a.b(0xc1);
                    a.b(3);
                    a.jcc(CC_NE, slow);
                    shadow_load(&mut a, dst, o_shadow);
                    a.jmp(done);
                    a.bind(slow);
                }
                for r in SAVED {
                    a.push(r);
                }
                a.mov(true, RSI, RAX);
                a.mov(true, RDI, CTXR);
                a.mov_imm64(RDX, size | ((signed as u64) << 8) | ((pc as u64) << 16));
                a.call_abs(slow_load as *const () as u64);
                for r in SAVED.iter().rev() {
                    a.pop(*r);
                }
                a.rm(true, &[0x83], 7, CTXR, o_status, false);
                a.b(0);
                a.jcc(CC_NE, epi_save);
                a.mov(true, dst, RAX);
                a.jmp(done);
            }
            Cold::Store { entry, ok, done, pc, size, val } => {
                a.bind(entry);
                hot2(&mut a, RAX, size, true, ok);
                for r in SAVED {
                    a.push(r);
                }
                match val {
                    Ok(r) => a.mov(true, RDX, r),
                    Err(imm) => a.mov_imm64(RDX, imm as i64 as u64),
                }
                a.mov(true, RSI, RAX);
                a.mov(true, RDI, CTXR);
                a.mov_imm64(RCX, size | ((pc as u64) << 16));
                a.call_abs(slow_store as *const () as u64);
                for r in SAVED.iter().rev() {
                    a.pop(*r);
                }
                a.rm(true, &[0x83], 7, CTXR, o_status, false);
                a.b(0);
                a.jcc(CC_NE, epi_save);
                a.jmp(done);
            }
            Cold::Atomic { entry, ok, pc, size, base, off } => {
                a.bind(entry);
                hot2(&mut a, RDX, size, true, ok);
                for r in SAVED {
                    a.push(r);
                }
                a.mov(true, RSI, RDX);
                a.mov(true, RDI, CTXR);
                a.mov_imm64(RDX, size | ((pc as u64) << 16));
                a.call_abs(slow_atomic as *const () as u64);
                for r in SAVED.iter().rev() {
                    a.pop(*r);
                }
                a.rm(true, &[0x83], 7, CTXR, o_status, false);
                a.b(0);
                a.jcc(CC_NE, epi_save);
                a.rm(true, &[0x8d], RDX, base, off, false);
                a.jmp(ok);
            }
            Cold::Budget { entry, pc } => {
                a.bind(entry);
                // mov qword [r12+fault_pc], pc; mov qword [r12+status], ST_BUDGET
                a.rm(true, &[0xc7], 0, CTXR, o_fault_pc, false);
                a.d32(pc as i32);
                a.rm(true, &[0xc7], 0, CTXR, o_status, false);
                a.d32(ST_BUDGET as i32);
                a.jmp(epi_save);
            }
        }
    }
    let code = a.finish()?;
    JitCode::new(&code, block_lens)
}

/// mov dst, [r12 + rcx*2 + shadow]: the context field at offset rcx.
fn shadow_load(a: &mut Asm, dst: u8, o_shadow: i32) {
    a.rex(true, dst, RCX, CTXR, false);
    a.b(0x8b);
    a.b(0x80 | ((dst & 7) << 3) | 4);
    a.b((1 << 6) | ((RCX & 7) << 3) | (CTXR & 7));
    a.d32(o_shadow);
}

/// Charges a backward jump from `pc` to `t` against the budget; faults E2BIG when it is spent.
fn charge(a: &mut Asm, cold: &mut Vec<Cold>, o_left: i32, pc: usize, t: usize) {
    let span = (pc - t + 1) as i32;
    // sub qword [r12+left], span
    a.rm(true, &[0x81], 5, CTXR, o_left, false);
    a.d32(span);
    let entry = a.label();
    a.jcc(CC_B, entry);
    cold.push(Cold::Budget { entry, pc });
}

/// addr = base + off into `ar` (rax or rdx); falls through when [addr, addr + size) is in the
/// stack or under the given limits of the hot region, else jumps to `slow` (rcx clobbered).
#[allow(clippy::too_many_arguments)]
fn emit_check(a: &mut Asm, ar: u8, base: u8, off: i32, size: u64, o_stack: i32, o_hot_lo: i32, o_lims: i32, slow: Label) -> Label {
    let ok = a.label();
    a.rm(true, &[0x8d], ar, base, off, false); // lea ar, [base+off]
                                               // The first hot region (the packet) first: the stack is mostly reached through r10, which
                                               // needs no check.
    a.mov(true, RCX, ar);
    a.rm(true, &[0x2b], RCX, CTXR, o_hot_lo, false);
    a.rm(true, &[0x3b], RCX, CTXR, o_lims + 8 * size_class(size) as i32, false);
    a.jcc(CC_B, ok);
    a.mov(true, RCX, ar);
    a.rm(true, &[0x2b], RCX, CTXR, o_stack, false); // sub rcx, [stack_lo]
    a.alu_ri(true, 7, RCX, (STACK_TOTAL - size + 1) as i32);
    a.jcc(CC_AE, slow);
    a.bind(ok);
    ok
}

fn emit_store(a: &mut Asm, size: u64, val: Result<u8, i32>, base: u8, disp: i32) {
    match val {
        Ok(r) => match size {
            1 => a.rm(false, &[0x88], r, base, disp, true),
            2 => {
                a.b(0x66);
                a.rm(false, &[0x89], r, base, disp, false)
            }
            4 => a.rm(false, &[0x89], r, base, disp, false),
            _ => a.rm(true, &[0x89], r, base, disp, false),
        },
        Err(imm) => match size {
            1 => {
                a.rm(false, &[0xc6], 0, base, disp, false);
                a.b(imm as u8);
            }
            2 => {
                a.b(0x66);
                a.rm(false, &[0xc7], 0, base, disp, false);
                a.c.extend_from_slice(&(imm as u16).to_le_bytes());
            }
            4 => {
                a.rm(false, &[0xc7], 0, base, disp, false);
                a.d32(imm);
            }
            _ => {
                a.rm(true, &[0xc7], 0, base, disp, false);
                a.d32(imm);
            }
        },
    }
}

/// The read-modify-write at [rdx] (checked); rax and rcx are scratch.
fn emit_atomic(a: &mut Asm, w: bool, op: AtomicOp, src: u8) {
    let lock = |a: &mut Asm| a.b(0xf0);
    // The x86 opcode of `op r/m, reg` for add, or, and, xor.
    let opcode = |op: AluOp| match op {
        AluOp::Add => 0x01,
        AluOp::Or => 0x09,
        AluOp::And => 0x21,
        _ => 0x31,
    };
    match op {
        AtomicOp::Xchg => {
            // xchg [rdx], src (locked by definition); a 32-bit xchg zero-extends src.
            a.rm(w, &[0x87], src, RDX, 0, false);
        }
        AtomicOp::Cmpxchg => {
            a.mov(w, RAX, RBX);
            lock(a);
            a.rm(w, &[0x0f, 0xb1], src, RDX, 0, false);
            a.mov(w, RBX, RAX);
        }
        AtomicOp::Rmw { op, fetch: false } => {
            lock(a);
            a.rm(w, &[opcode(op)], src, RDX, 0, false);
        }
        AtomicOp::Rmw { op: AluOp::Add, fetch: true } => {
            // lock xadd [rdx], src: src gets the old value.
            lock(a);
            a.rm(w, &[0x0f, 0xc1], src, RDX, 0, false);
            if !w {
                a.mov(false, src, src);
            }
        }
        AtomicOp::Rmw { op, fetch: true } => {
            // A compare-exchange loop: rax = old, rcx = old op src.
            let again = a.label();
            a.bind(again);
            a.rm(w, &[0x8b], RAX, RDX, 0, false);
            a.mov(w, RCX, RAX);
            a.rr(w, &[opcode(op)], src, RCX, false);
            lock(a);
            a.rm(w, &[0x0f, 0xb1], RCX, RDX, 0, false);
            a.jcc(CC_NE, again);
            a.mov(w, src, RAX);
        }
        // `acceptable` takes no other.
        _ => {}
    }
}

/// Division and modulo with the interpreter's rules: x / 0 = 0, x % 0 = x, signed forms when
/// `signed` (off = 1), where INT_MIN / -1 wraps and INT_MIN % -1 = 0.
fn emit_divmod(a: &mut Asm, w: bool, is_mod: bool, signed: bool, dst: u8, by: Result<u8, i32>) {
    let zero_result = |a: &mut Asm| {
        if is_mod {
            if !w {
                a.mov(false, dst, dst);
            }
        } else {
            a.rr(false, &[0x31], dst, dst, false);
        }
    };
    let divisor = match by {
        Err(imm) => {
            let v = if w { imm as i64 as u64 } else { imm as u32 as u64 };
            if v == 0 {
                zero_result(a);
                return;
            }
            if signed && imm == -1 {
                if is_mod {
                    a.rr(false, &[0x31], dst, dst, false);
                } else {
                    a.rr(w, &[0xf7], 3, dst, false);
                }
                return;
            }
            a.mov_imm64(RCX, v);
            RCX
        }
        Ok(r) => r,
    };
    let done = a.label();
    let special = a.label();
    if by.is_ok() {
        let nonzero = a.label();
        a.rr(w, &[0x85], divisor, divisor, false);
        a.jcc(CC_NE, nonzero);
        zero_result(a);
        a.jmp(done);
        a.bind(nonzero);
        if signed {
            a.alu_ri(w, 7, divisor, -1);
            a.jcc(CC_E, special);
        }
    }
    a.mov(true, RAX, dst);
    if signed {
        a.rex(w, 0, 0, 0, false);
        a.b(0x99); // cqo / cdq
        a.rr(w, &[0xf7], 7, divisor, false);
    } else {
        a.rr(false, &[0x31], RDX, RDX, false);
        a.rr(w, &[0xf7], 6, divisor, false);
    }
    a.mov(w, dst, if is_mod { RDX } else { RAX });
    a.jmp(done);
    a.bind(special);
    if signed && by.is_ok() {
        if is_mod {
            a.rr(false, &[0x31], dst, dst, false);
        } else {
            a.rr(w, &[0xf7], 3, dst, false);
        }
        a.jmp(done);
    }
    a.bind(done);
}
