//! The JIT against the interpreter: bpf_conformance's vectors, and random programs (ALU, branches,
//! loads, stores and atomics over the stack and a memory region) that must give the same r0, the
//! same memory, and the same error (errno, pc, message) compiled and interpreted.

#[path = "support/conformance.rs"]
mod conformance;

use std::path::PathBuf;
use std::rc::Rc;

use proptest::prelude::*;
use uxdp::bpf::insn::*;
use uxdp::bpf::machine::{Machine, Prog};
use uxdp::bpf::memory::{Region, RegionKind};
use uxdp::errno::XdpError;

fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os("UXDP_CONFORMANCE_DIR") {
        return PathBuf::from(d);
    }
    let beside_repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance"));
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/conformance"))
        .find(|d| d.join("tests").is_dir())
        .unwrap_or(beside_repo)
}

#[test]
fn every_conformance_vector_passes_compiled() {
    let d = dir().join("tests");
    let mut names: Vec<PathBuf> =
        std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "data")).collect();
    names.sort();
    let (mut compiled, mut failures) = (0, Vec::new());
    for path in &names {
        let v = conformance::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        if conformance::jit_compiles(&v) == Some(true) {
            compiled += 1;
        }
        let o = conformance::run_vector_with(&v, true);
        if !o.is_pass() {
            failures.push(format!("{}: {o:?}", path.display()));
        }
    }
    println!("{} vectors, {compiled} compiled by the JIT", names.len());
    assert_eq!(names.len(), 313);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compiled >= 250, "only {compiled} vectors compiled");
}

// ---- the differential ----

const MEM_LEN: i16 = 64;

#[derive(Debug, Clone)]
enum Op {
    Alu {
        code: u8,
        dst: u8,
        src: u8,
        off: i16,
        imm: i32,
    },
    Lddw {
        dst: u8,
        v: u64,
    },
    /// A forward conditional jump; `skip` is reduced modulo the instructions left.
    Jmp {
        code: u8,
        dst: u8,
        src: u8,
        imm: i32,
        skip: u16,
    },
    /// Load/store through r10 (stack) or r1 (the region), sometimes out of bounds.
    Mem {
        code: u8,
        reg: u8,
        base_stack: bool,
        off: i16,
        imm: i32,
    },
    Atomic {
        wide: bool,
        op: i32,
        src: u8,
        base_stack: bool,
        off: i16,
    },
}

fn reg() -> impl Strategy<Value = u8> {
    // r1 is the region's address; r2..r9 and r0 are free (r10 is never written).
    prop_oneof![Just(0u8), 2u8..10]
}

/// r1 and r10 hold addresses, which differ between the two machines: values are only ever
/// computed from the other registers.
fn any_reg() -> impl Strategy<Value = u8> {
    reg()
}

fn alu() -> impl Strategy<Value = Op> {
    let ops = prop::sample::select(vec![ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR, MOV, ARSH, END]);
    (
        ops,
        any::<bool>(),
        any::<bool>(),
        reg(),
        any_reg(),
        prop_oneof![Just(0i16), Just(1), Just(8), Just(16), Just(32)],
        prop_oneof![any::<i32>(), -3i32..66, Just(0), Just(-1), Just(i32::MIN), prop::sample::select(vec![16, 32, 64])],
    )
        .prop_map(|(op, wide, x, dst, src, off, imm)| {
            let class = if wide { ALU64 } else { ALU };
            let code = match op {
                NEG => class | NEG,
                END if wide => ALU64 | END,
                END => ALU | END | if x { TO_BE } else { TO_LE },
                _ => class | op | if x { X } else { K },
            };
            let imm = if op == END { [16, 32, 64][(imm.unsigned_abs() % 3) as usize] } else { imm };
            let off = if matches!(op, DIV | MOD) {
                off & 1
            } else if op == MOV {
                off
            } else {
                0
            };
            Op::Alu { code, dst, src, off, imm }
        })
}

fn jmp() -> impl Strategy<Value = Op> {
    let ops = prop::sample::select(vec![JA, JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE]);
    (ops, any::<bool>(), any::<bool>(), any_reg(), any_reg(), prop_oneof![any::<i32>(), -2i32..3], any::<u16>()).prop_map(
        |(op, wide, x, dst, src, imm, skip)| {
            let code = if op == JA { JMP | JA } else { (if wide { JMP } else { JMP32 }) | op | if x { X } else { K } };
            Op::Jmp { code, dst, src, imm, skip }
        },
    )
}

fn mem() -> impl Strategy<Value = Op> {
    let sizes = prop::sample::select(vec![B, H, W, DW]);
    (sizes, 0u8..4, any_reg(), any::<bool>(), -80i16..80, any::<i32>()).prop_map(|(size, kind, r, base_stack, off, imm)| {
        let off = if base_stack { -(off.abs() % 520) - 1 } else { off };
        let code = match kind {
            0 => LDX | MEM | size,
            1 if size != DW => LDX | MEMSX | size,
            1 | 2 => ST | MEM | size,
            _ => STX | MEM | size,
        };
        let reg = if code & 0x07 == LDX && (r == 10 || r == 1) { 0 } else { r };
        Op::Mem { code, reg, base_stack, off, imm }
    })
}

fn atomic() -> impl Strategy<Value = Op> {
    let ops = prop::sample::select(vec![0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, ATOMIC_XCHG, ATOMIC_CMPXCHG]);
    (any::<bool>(), ops, reg(), any::<bool>(), -72i16..72).prop_map(|(wide, op, src, base_stack, off)| {
        let off = if base_stack { -(off.abs() % 520) - 8 } else { off };
        Op::Atomic { wide, op, src, base_stack, off }
    })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            5 => alu(),
            3 => jmp(),
            4 => mem(),
            1 => atomic(),
            1 => (reg(), any::<u64>()).prop_map(|(dst, v)| Op::Lddw { dst, v }),
        ],
        1..60,
    )
}

fn assemble(ops: &[Op], seeds: &[u64; 9]) -> Vec<Insn> {
    let mut p = Vec::new();
    for (k, &v) in seeds.iter().enumerate() {
        let r = if k == 0 { 0 } else { k as u8 + 1 };
        p.push(Insn::new(LD | DW | IMM, r, 0, 0, v as u32 as i32));
        p.push(Insn::new(0, 0, 0, 0, (v >> 32) as u32 as i32));
    }
    // Lengths first, so that forward jumps land on instruction boundaries.
    let widths: Vec<usize> = ops.iter().map(|o| if matches!(o, Op::Lddw { .. }) { 2 } else { 1 }).collect();
    for (k, o) in ops.iter().enumerate() {
        match *o {
            Op::Alu { code, dst, src, off, imm } => p.push(Insn::new(code, dst, src, off, imm)),
            Op::Lddw { dst, v } => {
                p.push(Insn::new(LD | DW | IMM, dst, 0, 0, v as u32 as i32));
                p.push(Insn::new(0, 0, 0, 0, (v >> 32) as u32 as i32));
            }
            Op::Jmp { code, dst, src, imm, skip } => {
                let left = ops.len() - k - 1;
                let n = if left == 0 { 0 } else { skip as usize % (left + 1) };
                let off: usize = widths[k + 1..k + 1 + n].iter().sum();
                p.push(Insn::new(code, dst, src, off as i16, imm));
            }
            Op::Mem { code, reg, base_stack, off, imm } => {
                let base = if base_stack { 10 } else { 1 };
                if code & 0x07 == LDX {
                    p.push(Insn::new(code, reg, base, off, 0));
                } else {
                    p.push(Insn::new(code, base, reg, off, imm));
                }
            }
            Op::Atomic { wide, op, src, base_stack, off } => {
                let base = if base_stack { 10 } else { 1 };
                p.push(Insn::new(STX | ATOMIC | if wide { DW } else { W }, base, src, off, op));
            }
        }
    }
    p.push(Insn::new(JMP | EXIT, 0, 0, 0, 0));
    p
}

type Outcome = (Result<u64, (uxdp::Errno, Option<usize>, String)>, Vec<u8>, Vec<u8>);

fn run(insns: &[Insn], jit: bool, readonly: bool) -> Outcome {
    let prog = Rc::new(Prog { name: "diff".into(), insns: insns.to_vec(), ..Prog::default() });
    // The region sits inside a larger buffer no region names, so that the generated offsets
    // (within ±80 of r1) fault the same way in both runs whatever the allocator put next to it
    // (the stack, say).
    const PAD: usize = 256;
    let mut buf: Vec<u8> = (0..MEM_LEN as usize + 2 * PAD).map(|i| i.wrapping_sub(PAD).wrapping_mul(37).wrapping_add(11) as u8).collect();
    let mut m = Machine::new(prog);
    m.budget = 1 << 20;
    m.mem.push(Region::of_slice(&mut buf[PAD..PAD + MEM_LEN as usize], !readonly, RegionKind::Mem, 0));
    let a = buf[PAD..].as_ptr() as u64;
    let r = if jit { m.run_jit([a, 0, 0, 0, 0]) } else { m.run([a, 0, 0, 0, 0]) };
    let stack = m.stack.to_vec();
    drop(m);
    let mem = buf[PAD..PAD + MEM_LEN as usize].to_vec();
    // Addresses differ between the two machines: messages are compared without them.
    let strip = |msg: String| msg.split(' ').map(|w| if w.starts_with("0x") { "ADDR" } else { w }).collect::<Vec<_>>().join(" ");
    (r.map_err(|e: XdpError| (e.errno, e.pc, strip(e.message.clone()))), mem, stack)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn compiled_and_interpreted_agree(ops in ops(), seeds in prop::array::uniform9(prop_oneof![any::<u64>(), 0u64..70, Just(u64::MAX), Just(i64::MIN as u64)]), readonly in prop::bool::weighted(0.1)) {
        let insns = assemble(&ops, &seeds);
        let prog = Prog { insns: insns.clone(), ..Prog::default() };
        prop_assert!(prog.jit.compiled(&prog), "the JIT refused a generated program");
        let want = run(&insns, false, readonly);
        let got = run(&insns, true, readonly);
        prop_assert_eq!(&got.0, &want.0);
        prop_assert!(got.1 == want.1, "memory differs: {:?} vs {:?}", got.1, want.1);
        let diff: Vec<(usize, u8, u8)> = got.2.iter().zip(&want.2).enumerate().filter(|(_, (a, b))| a != b).map(|(k, (a, b))| (k, *a, *b)).collect();
        prop_assert!(got.2 == want.2, "stacks differ: {:?}\n{}", diff, insns.iter().map(|i| format!("{:02x} {}{} {} {}", i.code, i.dst(), i.src(), i.off, i.imm)).collect::<Vec<_>>().join("\n"));
    }
}

/// The repeat loop's reset skips the scan for ring records only while the regions are unchanged
/// since one found none: a record added between runs (which moves the generation) is still dropped.
#[test]
fn repeat_reset_drops_ring_records_added_between_runs() {
    let prog = Rc::new(Prog {
        name: "reset".into(),
        insns: vec![Insn::new(ALU64 | MOV | K, 0, 0, 0, 0), Insn::new(JMP | EXIT, 0, 0, 0, 0)],
        ..Prog::default()
    });
    let mut m = Machine::new(prog);
    let mut buf = [0u8; 16];
    let rec = Region::of_slice(&mut buf, true, RegionKind::RingRecord, 1);
    let rings = |m: &Machine<'_>| m.mem.regions().iter().filter(|r| r.kind == RegionKind::RingRecord).count();
    let mut clean = None;
    m.mem.push(rec);
    m.reset_repeat(7, &mut clean);
    assert_eq!((rings(&m), m.budget), (0, 7));
    assert_eq!(clean, Some(m.mem.generation()));
    // Unchanged regions: the fast path.
    m.reset_repeat(9, &mut clean);
    assert_eq!((rings(&m), m.budget), (0, 9));
    // A record pushed since: dropped again.
    m.mem.push(rec);
    assert_eq!(rings(&m), 1);
    m.reset_repeat(5, &mut clean);
    assert_eq!((rings(&m), m.budget, m.depth), (0, 5, 0));
    assert_eq!(clean, Some(m.mem.generation()));
}
