//! Packet accesses from compiled code against the interpreter, under `test_run_xdp`: the classic
//! `if (data + K > data_end) goto out` followed by loads and stores inside and outside the tested
//! range, through a base register modified after the test, after a `bpf_xdp_adjust_head` between
//! the test and the accesses, across a `ja` and across a line of blocks split by conditional jumps,
//! on packets shorter and longer than K. The JIT checks the accesses of such a straight line of
//! blocks together (one range check per starting register, and the per-access checks when it
//! fails): results, packets and faults (errno, pc, message) must be the interpreter's.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

use std::rc::Rc;

use uxdp::bpf::helpers::helper_table;
use uxdp::bpf::insn::*;
use uxdp::bpf::test_run::{test_run_xdp, TestRunOptions};
use uxdp::bpf::Prog;
use uxdp::pool::PagePool;

fn i(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn::new(code, dst, src, off, imm)
}

/// What happens between the test and the accesses.
#[derive(Clone, Copy, Debug)]
enum Between {
    Nothing,
    /// r2 += k (the base moves after the test).
    Move(i32),
    /// r2 = r3 (the base becomes data_end).
    ToEnd,
    /// bpf_xdp_adjust_head(ctx, delta), r2 kept from before the call.
    AdjustHead(i32),
    /// bpf_xdp_adjust_head(ctx, delta), then data and data_end loaded again (no new test).
    AdjustHeadReload(i32),
    /// A jump to the next instruction: the accesses start a block of their own.
    NewBlock,
}

/// r2 = data, r3 = data_end, r4 = r2 + k; if r4 > r3 goto out; <between>; accesses; return 3;
/// out: return 1. `acc`: (size, offset, store) through r2, loads into r5, stores of r5 + 1.
/// `split`: a conditional jump to `out` after each access (taken when r5 is 0x12, the packet's
/// byte 1), so the accesses spread over a straight line of blocks.
fn program(k: i32, between: Between, acc: &[(u8, i16, bool)], split: bool) -> Vec<Insn> {
    let mut p = vec![
        i(ALU64 | MOV | X, 6, 1, 0, 0),
        i(LDX | MEM | W, 2, 1, 0, 0),
        i(LDX | MEM | W, 3, 1, 4, 0),
        i(ALU64 | MOV | X, 4, 2, 0, 0),
        i(ALU64 | ADD | K, 4, 0, 0, k),
        i(JMP | JGT | X, 4, 3, 0, 0), // offset patched below
    ];
    let jump = p.len() - 1;
    match between {
        Between::Nothing => {}
        Between::Move(d) => p.push(i(ALU64 | ADD | K, 2, 0, 0, d)),
        Between::ToEnd => p.push(i(ALU64 | MOV | X, 2, 3, 0, 0)),
        Between::AdjustHead(d) | Between::AdjustHeadReload(d) => {
            p.push(i(ALU64 | MOV | X, 7, 2, 0, 0));
            p.push(i(ALU64 | MOV | X, 1, 6, 0, 0));
            p.push(i(ALU64 | MOV | K, 2, 0, 0, d));
            p.push(i(JMP | CALL, 0, 0, 0, 44));
            if matches!(between, Between::AdjustHeadReload(_)) {
                p.push(i(LDX | MEM | W, 2, 6, 0, 0));
                p.push(i(LDX | MEM | W, 3, 6, 4, 0));
            } else {
                p.push(i(ALU64 | MOV | X, 2, 7, 0, 0));
            }
        }
        Between::NewBlock => p.push(i(JMP | JA, 0, 0, 0, 0)),
    }
    p.push(i(ALU64 | MOV | K, 5, 0, 0, 0x41));
    let mut to_out = vec![jump];
    for &(size, off, store) in acc {
        if store {
            p.push(i(ALU64 | ADD | K, 5, 0, 0, 1));
            p.push(i(STX | MEM | size, 2, 5, off, 0));
        } else {
            p.push(i(LDX | MEM | size, 5, 2, off, 0));
        }
        if split {
            to_out.push(p.len());
            p.push(i(JMP | JEQ | K, 5, 0, 0, 0x12));
        }
    }
    p.push(i(ALU64 | MOV | K, 0, 0, 0, 3));
    p.push(i(JMP | EXIT, 0, 0, 0, 0));
    let out = p.len();
    for j in to_out {
        p[j].off = (out - j - 1) as i16;
    }
    p.push(i(ALU64 | MOV | K, 0, 0, 0, 1));
    p.push(i(JMP | EXIT, 0, 0, 0, 0));
    p
}

type Outcome = Result<(u32, Vec<u8>), (uxdp::Errno, Option<i64>, String)>;

fn run(insns: &[Insn], jit: bool, data: &[u8], repeat: u32) -> Outcome {
    let p = Rc::new(Prog { name: "pkt".into(), insns: insns.to_vec(), helpers: helper_table(None), ..Prog::default() });
    if jit {
        assert!(p.jit.compiled(&p), "the JIT refused the program");
    } else {
        p.jit.disabled.set(true);
    }
    let pool = PagePool::default();
    let strip = |msg: &str| msg.split(' ').map(|w| if w.starts_with("0x") { "ADDR" } else { w }).collect::<Vec<_>>().join(" ");
    match test_run_xdp(&p, &pool, data, &TestRunOptions { repeat, ..TestRunOptions::default() }) {
        Ok(o) => Ok((o.retval, o.data_out)),
        Err(e) => Err((e.errno, e.detail.offset, strip(&e.message))),
    }
}

fn packet(len: usize) -> Vec<u8> {
    (0..len).map(|k| (k * 13 + 5) as u8).collect()
}

#[test]
fn checked_then_accessed_agrees_with_the_interpreter() {
    let sets: Vec<Vec<(u8, i16, bool)>> = vec![
        // The MAC swap's shape: byte loads and stores inside the tested 14 bytes.
        (0..6).flat_map(|k| [(B, k, false), (B, k + 6, true), (B, k + 6, false), (B, k, true)]).collect(),
        // Wider loads and stores inside, at the edge of, and beyond the tested range.
        vec![(H, 12, false), (W, 10, false), (DW, 6, true), (B, 13, false)],
        vec![(B, 0, false), (H, 13, false)],
        vec![(W, 12, false), (B, 20, true), (DW, 40, false)],
        vec![(B, 0, false), (B, 1499, false), (B, 1500, false)],
        vec![(B, -1, false), (B, 0, false)],
        vec![(H, -4, true), (DW, 8, true)],
        vec![(B, 0, true), (B, 2000, true), (B, 1, true)],
        vec![(DW, 0, false), (DW, 8, false), (DW, 16, false), (DW, 24, false), (DW, 32, false)],
        vec![(B, i16::MAX, false), (B, 0, false)],
        vec![(B, i16::MIN, false), (B, 0, false)],
    ];
    let betweens = [
        Between::Nothing,
        Between::Move(7),
        Between::Move(-7),
        Between::Move(1 << 20),
        Between::ToEnd,
        Between::AdjustHead(14),
        Between::AdjustHead(-20),
        Between::AdjustHead(1 << 20),
        Between::AdjustHeadReload(14),
        Between::AdjustHeadReload(-64),
        Between::NewBlock,
    ];
    let mut faults = 0;
    let mut cases = 0;
    for k in [14, 60] {
        for between in betweens {
            for acc in &sets {
                for split in [false, true] {
                    let insns = program(k, between, acc, split);
                    for len in [0usize, 10, 14, 20, 60, 64, 1500] {
                        for repeat in [1, 3] {
                            let data = packet(len);
                            let want = run(&insns, false, &data, repeat);
                            let got = run(&insns, true, &data, repeat);
                            assert_eq!(
                                got, want,
                                "k {k}, {between:?}, accesses {acc:?}, split {split}, packet {len} bytes, repeat {repeat}"
                            );
                            faults += usize::from(want.is_err());
                            cases += 1;
                        }
                    }
                }
            }
        }
    }
    // Both outcomes are exercised.
    assert!(faults > 50 && faults < cases - 50, "{faults} faults in {cases} cases");
}

/// Context loads: through the context's own address (the JIT's two-compare path), through a
/// base moved off it (the general path), every 4-byte field and the offsets around them.
#[test]
fn context_loads_agree_with_the_interpreter() {
    let mut cases = 0;
    for moved in [0i32, 4, 2, -4, 24, 1 << 20] {
        for off in [0i16, 4, 8, 12, 16, 20, 2, 22, 24, -4] {
            let insns = vec![
                i(ALU64 | ADD | K, 1, 0, 0, moved),
                i(LDX | MEM | W, 0, 1, off, 0),
                i(ALU64 | AND | K, 0, 0, 0, 0x7fff),
                i(JMP | EXIT, 0, 0, 0, 0),
            ];
            for len in [0usize, 64] {
                let data = packet(len);
                assert_eq!(
                    run(&insns, true, &data, 2),
                    run(&insns, false, &data, 2),
                    "base ctx{moved:+}, offset {off}, packet {len} bytes"
                );
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 120);
}

/// A wild read off the packet faults with EFAULT, in either engine, never as a context access
/// nor as a read of the stack: a byte loaded at `data + off` for every 24th offset (any 24
/// bytes, the size of `struct xdp_md`, hold one) across what
/// `checked_then_accessed_agrees_with_the_interpreter` reaches and beyond, the offset given in
/// the packet so that one program serves every probe. The context and the stack were once heap
/// blocks the allocator put next to the packet's pages, and such a read could land in one of
/// them in one run and miss it in the next: the fault depended on the heap's layout.
#[test]
fn wild_packet_reads_reach_neither_the_context_nor_the_stack() {
    let insns = vec![
        i(LDX | MEM | W, 2, 1, 0, 0),
        i(LDX | MEM | W, 3, 1, 4, 0),
        i(ALU64 | MOV | X, 4, 2, 0, 0),
        i(ALU64 | ADD | K, 4, 0, 0, 4),
        i(JMP | JGT | X, 4, 3, 0, 7),
        // r4 = (s32) *(u32 *)data: the probe's offset.
        i(LDX | MEM | W, 4, 2, 0, 0),
        i(ALU64 | LSH | K, 4, 0, 0, 32),
        i(ALU64 | ARSH | K, 4, 0, 0, 32),
        i(ALU64 | ADD | X, 2, 4, 0, 0),
        i(LDX | MEM | B, 5, 2, 0, 0),
        i(ALU64 | MOV | K, 0, 0, 0, 3),
        i(JMP | EXIT, 0, 0, 0, 0),
        i(ALU64 | MOV | K, 0, 0, 0, 1),
        i(JMP | EXIT, 0, 0, 0, 0),
    ];
    for jit in [false, true] {
        let p = Rc::new(Prog { name: "wild".into(), insns: insns.clone(), helpers: helper_table(None), ..Prog::default() });
        if jit {
            assert!(p.jit.compiled(&p), "the JIT refused the program");
        } else {
            p.jit.disabled.set(true);
        }
        let pool = PagePool::default();
        let mut data = packet(64);
        let (mut inside, mut faults) = (0, 0);
        for off in (-(1i32 << 16)..(1 << 20) + (1 << 16)).step_by(24) {
            data[..4].copy_from_slice(&off.to_le_bytes());
            match test_run_xdp(&p, &pool, &data, &TestRunOptions::default()) {
                Ok(o) => {
                    assert!(o.retval == 3 && (0..64).contains(&off), "jit {jit}, data{off:+}: read outside the packet succeeded");
                    inside += 1;
                }
                Err(e) => {
                    assert!(
                        e.errno == uxdp::Errno::EFAULT && !e.message.contains("bpf_context"),
                        "jit {jit}, data{off:+}: {:?} {}",
                        e.errno,
                        e.message
                    );
                    faults += 1;
                }
            }
        }
        assert_eq!(inside, 3, "jit {jit}: the reads inside the packet");
        assert!(faults > 40_000, "jit {jit}: {faults} faults");
    }
}
