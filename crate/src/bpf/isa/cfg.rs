//! [`Cfg`]: a program's decoded ops and its control flow, built once.

use super::super::insn::Insn;
use super::super::insn::FUNC_ADDR_BASE;
use super::op::{decode_all, Callee, Op, Pseudo};

/// A function: `[start, end)`, up to the next function's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subprog {
    pub start: usize,
    pub end: usize,
}

/// A basic block `[start, end)` and the blocks control can go to from its last instruction (by
/// their starts: the fall-through first, then the jump's target). A call does not leave its
/// block's function: it falls through, and the function it calls is a subprogram of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub start: usize,
    pub end: usize,
    pub succs: Vec<usize>,
}

/// The program's ops and control flow. It is built for any instruction stream, valid or not:
/// jumps out of range get no edge and leave no mark, and the structural checks
/// ([`super::super::validate`]) report them from the same graph.
#[derive(Clone, Debug)]
pub struct Cfg {
    /// Every slot decoded (see [`super::decode_all`]).
    pub ops: Vec<Op>,
    second: Vec<bool>,
    target: Vec<bool>,
    leader: Vec<bool>,
    pub subprogs: Vec<Subprog>,
    pub blocks: Vec<Block>,
}

impl Cfg {
    pub fn new(insns: &[Insn]) -> Cfg {
        let ops = decode_all(insns);
        let n = ops.len();
        let mut second = vec![false; n];
        let mut pc = 0;
        while pc < n {
            if ops[pc].width() == 2 {
                second[pc + 1] = true;
            }
            pc += ops[pc].width();
        }
        let mut cfg = Cfg { ops, second, target: vec![false; n], leader: vec![false; n], subprogs: Vec::new(), blocks: Vec::new() };

        let mut starts = vec![0usize];
        let slots: Vec<usize> = cfg.starts().collect();
        for &pc in &slots {
            if let Some(t) = cfg.jump_target(pc).filter(|&t| t < n) {
                cfg.target[t] = true;
            }
            let callee = cfg.call_target(pc).or_else(|| cfg.func_ref(pc)).filter(|&t| cfg.valid_start(t));
            starts.extend(callee);
        }
        starts.sort_unstable();
        starts.dedup();
        if n > 0 {
            cfg.subprogs =
                starts.iter().enumerate().map(|(i, &start)| Subprog { start, end: starts.get(i + 1).copied().unwrap_or(n) }).collect();
        }

        for &s in &starts {
            if s < n {
                cfg.leader[s] = true;
            }
        }
        for &pc in &slots {
            if cfg.target[pc] {
                cfg.leader[pc] = true;
            }
            let next = pc + cfg.ops[pc].width();
            if cfg.ops[pc].ends_block() && next < n {
                cfg.leader[next] = true;
            }
        }
        let mut pc = 0;
        while pc < n {
            let end = cfg.block_end(pc);
            let last = cfg.last_in(pc, end);
            let op = cfg.ops[last];
            let mut succs = Vec::new();
            if op.falls_through() && end < n {
                succs.push(end);
            }
            succs.extend(cfg.jump_target(last).filter(|&t| t < n));
            cfg.blocks.push(Block { start: pc, end, succs });
            pc = end;
        }
        cfg
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The slots where an instruction starts (all but lddw second halves), in order.
    pub fn starts(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.ops.len()).filter(|&pc| !self.second[pc])
    }

    /// Whether `pc` is the second half of an lddw, where nothing may start or land.
    pub fn second_half(&self, pc: usize) -> bool {
        self.second[pc]
    }

    /// Whether some jump in the program lands on `pc`.
    pub fn is_target(&self, pc: usize) -> bool {
        self.target[pc]
    }

    /// Whether a basic block starts at `pc`: the program's start, a function's, a jump target, or
    /// the instruction after a jump, call or exit.
    pub fn leader(&self, pc: usize) -> bool {
        self.leader[pc]
    }

    /// The end (exclusive) of the basic block that starts at `pc`.
    pub fn block_end(&self, pc: usize) -> usize {
        let n = self.ops.len();
        let mut e = pc + self.ops[pc].width();
        while e < n && !self.leader[e] {
            e += self.ops[e].width();
        }
        e.min(n)
    }

    /// The last instruction of the block `[start, end)`.
    pub fn last_in(&self, start: usize, end: usize) -> usize {
        let mut q = start;
        while q + self.ops[q].width() < end {
            q += self.ops[q].width();
        }
        q
    }

    /// Whether `t` is an instruction a call or a function reference may name.
    pub fn valid_start(&self, t: usize) -> bool {
        t < self.ops.len() && !self.second[t]
    }

    /// Where the jump at `pc` goes (usize::MAX when before the program's start); None for anything
    /// but `ja` and the conditional jumps.
    pub fn jump_target(&self, pc: usize) -> Option<usize> {
        let off = self.ops[pc].jump_offset()?;
        Some(usize::try_from(pc as i64 + 1 + off).unwrap_or(usize::MAX))
    }

    /// The function a bpf-to-bpf call at `pc` calls (usize::MAX when before the program's start).
    pub fn call_target(&self, pc: usize) -> Option<usize> {
        match self.ops[pc] {
            Op::Call(Callee::Local(rel)) => Some(usize::try_from(pc as i64 + 1 + i64::from(rel)).unwrap_or(usize::MAX)),
            _ => None,
        }
    }

    /// The instruction an lddw src=BPF_PSEUDO_FUNC at `pc` names (usize::MAX when it names none):
    /// in the kernel's raw form imm is relative to the next instruction; once the loader resolved
    /// it the value is a [`super::super::machine::func_addr`]. A plain lddw (src 0) is a constant
    /// even when its value happens to look like a function address: taking it for one could only
    /// invent boundaries.
    pub fn func_ref(&self, pc: usize) -> Option<usize> {
        let Op::Lddw { pseudo: Pseudo::Func, imm, .. } = self.ops[pc] else { return None };
        if imm >= FUNC_ADDR_BASE {
            let off = imm - FUNC_ADDR_BASE;
            return Some(if off.is_multiple_of(8) { (off / 8) as usize } else { usize::MAX });
        }
        let t = pc as i64 + (imm as u32 as i32) as i64 + 1;
        Some(if t < 0 { usize::MAX } else { t as usize })
    }
}
