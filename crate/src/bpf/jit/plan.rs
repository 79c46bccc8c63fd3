//! How the body is laid out: blocks in order, and the traces whose packet accesses are checked
//! together.

use super::super::isa::{AluOp, Cfg, Cond, Op, Operand, Size, Width};
use super::emit::{Asm, Label};

/// One base register's packet accesses in a block, checked together at the block's start.
pub(super) struct Group {
    pub(super) reg: u8,
    /// The span [reg + lo, reg + end) covering every access in the group.
    pub(super) lo: i32,
    pub(super) end: i32,
    pub(super) store: bool,
}

/// What the body loop emits, in order.
pub(super) enum Step {
    /// One instruction: bind its label, count its block, access memory without a check.
    Insn {
        pc: usize,
        bind: bool,
        count: bool,
        fast: bool,
    },
    /// The block's group checks; any failing one jumps to `slow`.
    Guard {
        groups: Vec<Group>,
        slow: Label,
    },
    /// A block's label and counter, before its group checks.
    Head(usize),
    /// A block's counter alone (a later block of a trace's checked-together copy).
    Count(usize),
    Bind(Label),
    Jmp(usize),
}

/// Lays the body out. After a register-register bounds test, the blocks that follow it in a
/// straight line (the fall-through of conditional jumps and forward `ja`s, up to six blocks,
/// to the first call, exit or backward jump) form a trace. The loads and stores in the trace
/// whose base register is, at that point, a register's value at the trace's start plus a
/// constant (tracked through 64-bit `mov` and `add`/`sub` of a constant; any other write, a
/// call or an atomic forgets it) are grouped by that starting register; a register with two or
/// more of them gets a group check at the trace's start, which asks at run time whether the
/// whole span they cover lies in the hot region (the packet), readable or (when one of them is
/// a store) writable. When every check passes, a copy of the trace runs in which those
/// accesses use their register and offset directly (the same address: start value plus the
/// tracked constant plus the offset, inside the checked span); when one fails, the ordinary
/// code with every check runs from the trace's first block. Regions change only in helper
/// calls, which end a trace, so what the checks saw holds for the whole trace. The bounds test
/// only decides where checks are worth emitting; nothing rests on what the program compared.
pub(super) fn plan(cfg: &Cfg, a: &mut Asm) -> Vec<Step> {
    const MAX_BLOCKS: usize = 6;
    const MAX_DELTA: i64 = 1 << 20;
    let n = cfg.len();
    let width = |q: usize| cfg.ops[q].width();
    let block_end = |pc: usize| cfg.block_end(pc);
    let last = |pc: usize, e: usize| cfg.last_in(pc, e);
    let mut steps = Vec::with_capacity(n + 16);
    let mut pc = 0;
    while pc < n {
        let e0 = block_end(pc);
        let bounds_test =
            pc > 0 && matches!(cfg.ops[pc - 1], Op::Jump { cond: Cond::Gt | Cond::Ge | Cond::Lt | Cond::Le, src: Operand::Reg(_), .. });
        // The trace: blocks (start, end, whether its closing `ja` is followed).
        let mut trace: Vec<(usize, usize, bool)> = Vec::new();
        if bounds_test {
            let (mut s, mut e) = (pc, e0);
            loop {
                let l = last(s, e);
                let forward = cfg.jump_target(l).filter(|&t| t > l);
                let next = match cfg.ops[l] {
                    Op::Ja { long: false, .. } => forward.map(|t| (t, true)),
                    Op::Ja { long: true, .. } | Op::Call(_) | Op::Callx { .. } | Op::Exit => None,
                    // A conditional jump: the trace follows its fall-through (a forward
                    // taken branch leaves it; a backward one ends it).
                    Op::Jump { .. } => forward.map(|_| (e, false)),
                    op if !op.ends_block() => Some((e, false)),
                    _ => None,
                };
                match next {
                    Some((ns, via_ja)) if ns < n && trace.len() + 1 < MAX_BLOCKS => {
                        trace.push((s, e, via_ja));
                        s = ns;
                        e = block_end(ns);
                    }
                    _ => {
                        trace.push((s, e, false));
                        break;
                    }
                }
            }
        }
        // Scan the trace: each register's (starting register, constant) while known.
        let mut rel: [Option<(u8, i64)>; 11] = std::array::from_fn(|r| if r < 10 { Some((r as u8, 0)) } else { None });
        let mut span: [Option<(i64, i64, bool, u32)>; 10] = [None; 10];
        let mut ctxlike = [false; 10];
        let mut accesses: Vec<(usize, u8)> = Vec::new();
        'scan: for &(s, e, _) in &trace {
            let mut q = s;
            while q < e {
                let op = cfg.ops[q];
                let mut access = |reg: u8, off: i16, size: Size, store: bool| {
                    if let Some((b, d)) = rel[reg as usize] {
                        let (lo, hi) = (d + off as i64, d + off as i64 + size.bytes() as i64);
                        let b = b as usize;
                        span[b] = Some(match span[b] {
                            None => (lo, hi, store, 1),
                            Some((l, h, st, c)) => (l.min(lo), h.max(hi), st || store, c + 1),
                        });
                        accesses.push((q, b as u8));
                        let word = matches!(op, Op::Load { size: Size::W, sx: false, .. });
                        if !store && word && (0..24).contains(&lo) && lo % 4 == 0 {
                            // Likely a context field: leave this register to the usual path.
                            ctxlike[b] = true;
                        }
                    }
                };
                match op {
                    Op::Load { size, dst, src, off, .. } => {
                        access(src, off, size, false);
                        rel[dst as usize] = None;
                    }
                    Op::Store { size, dst, off, .. } => access(dst, off, size, true),
                    // Atomics and calls: nothing after this is grouped.
                    Op::Atomic { .. } | Op::Call(_) | Op::Callx { .. } => break 'scan,
                    Op::Alu { op: AluOp::Mov, w: Width::W64, dst, src: Operand::Reg(src) } => rel[dst as usize] = rel[src as usize],
                    Op::Alu { op: op @ (AluOp::Add | AluOp::Sub), w: Width::W64, dst, src: Operand::Imm(imm) } => {
                        let k = if op == AluOp::Add { imm as i64 } else { -(imm as i64) };
                        let d = dst as usize;
                        rel[d] = rel[d].and_then(|(b, x)| Some((b, x + k)).filter(|(_, y)| y.abs() <= MAX_DELTA));
                    }
                    Op::Alu { dst, .. } | Op::End { dst, .. } | Op::Lddw { dst, .. } => rel[dst as usize] = None,
                    _ => {}
                }
                q += width(q);
            }
        }
        let mut groups = Vec::new();
        let mut grouped = [false; 10];
        for r in 0..10 {
            if let Some((lo, end, store, count)) = span[r] {
                if count >= 2 && !ctxlike[r] {
                    grouped[r] = true;
                    groups.push(Group { reg: r as u8, lo: lo as i32, end: end as i32, store });
                }
            }
        }
        let plain = |steps: &mut Vec<Step>, bind: bool, count: bool| {
            let mut q = pc;
            while q < e0 {
                steps.push(Step::Insn { pc: q, bind, count: count && q == pc, fast: false });
                q += width(q);
            }
        };
        if groups.is_empty() {
            plain(&mut steps, true, true);
        } else {
            let fast: Vec<usize> = accesses.iter().filter(|(_, r)| grouped[*r as usize]).map(|(q, _)| *q).collect();
            let slow = a.label();
            // The first block's label and counter, the checks, the trace's copy, then the
            // first block's ordinary code (falling through to the next block's).
            steps.push(Step::Head(pc));
            steps.push(Step::Guard { groups, slow });
            for (k, &(s, e, via_ja)) in trace.iter().enumerate() {
                if k > 0 {
                    steps.push(Step::Count(s));
                }
                let l = last(s, e);
                let mut q = s;
                while q < e {
                    if !(via_ja && q == l) {
                        steps.push(Step::Insn { pc: q, bind: false, count: false, fast: fast.contains(&q) });
                    }
                    q += width(q);
                }
            }
            let &(_, e_last, _) = trace.last().expect("a trace has a block");
            if e_last < n {
                steps.push(Step::Jmp(e_last));
            }
            steps.push(Step::Bind(slow));
            plain(&mut steps, false, false);
        }
        pc = e0;
    }
    steps
}
