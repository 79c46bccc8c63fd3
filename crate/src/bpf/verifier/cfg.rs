//! What the kernel checks of the control flow before walking paths (`check_cfg`): every
//! instruction reachable, no back-edge without CAP_BPF, no jump into an lddw's second half; and
//! what the walk needs from it: subprogram bounds, prune points, jump-history points and the
//! registers live at each instruction (a dead register cannot make two states differ). Which
//! scalars must be precise is found during the walk, by backtracking ([`super::precision`]).

use super::explore::Verifier;
use super::{refuse, VResult};
use crate::bpf::insn::Insn;
use crate::bpf::isa::{Callee, Op, Operand, Pseudo};
use crate::errno::Errno;

pub struct Info {
    /// Subprogram starts, ascending (the entry first).
    pub subprogs: Vec<usize>,
    pub prune_point: Vec<bool>,
    /// Prune points that always get a checkpoint (loop heads of iterators and callbacks, call
    /// sites), where the kernel forces one.
    pub force_checkpoint: Vec<bool>,
    /// Registers read before written on some path from here (bit r).
    pub live_in: Vec<u16>,
    pub second_half: Vec<bool>,
    /// Where the walk records its jump history (`jmp_point`): jump targets, call returns,
    /// subprogram entries, callback-calling calls (precision backtracking follows them back).
    pub jmp_point: Vec<bool>,
}

/// The registers an instruction reads, as the kernel's liveness counts them
/// (`compute_live_registers`): a call reads its prototype's arguments (`params`, when its
/// prototype is known; r1-r5 otherwise); a legacy packet load counts as reading everything.
fn reads(op: &Op, params: Option<u8>) -> u16 {
    use crate::bpf::isa::AtomicOp;
    let bit = |r: u8| 1u16 << r;
    let operand = |o: &Operand| match *o {
        Operand::Reg(r) => bit(r),
        Operand::Imm(_) => 0,
    };
    match op {
        Op::Alu { op, dst, src, .. } => {
            use crate::bpf::isa::AluOp::*;
            match op {
                Mov | MovSx8 | MovSx16 | MovSx32 => operand(src),
                Neg => bit(*dst),
                _ => bit(*dst) | operand(src),
            }
        }
        Op::End { dst, .. } => bit(*dst),
        Op::Load { src, .. } => bit(*src),
        Op::Store { dst, val, .. } => bit(*dst) | operand(val),
        Op::Atomic { op: AtomicOp::Cmpxchg, dst, src, .. } => bit(*dst) | bit(*src) | 1,
        Op::Atomic { op: AtomicOp::LoadAcquire, src, .. } => bit(*src),
        Op::Atomic { dst, src, .. } => bit(*dst) | bit(*src),
        Op::Jump { dst, src, .. } => bit(*dst) | operand(src),
        Op::Call(_) | Op::Callx { .. } => match params {
            Some(n) => ((1u16 << (n.min(5) + 1)) - 1) & !1,
            None => 0b11_1110,
        },
        Op::Exit => 1,
        Op::Legacy { .. } => 0xffff,
        Op::Ja { .. } | Op::MayGoto { .. } | Op::Lddw { .. } => 0,
        _ => 0xffff,
    }
}

fn writes(op: &Op) -> u16 {
    match op {
        Op::Call(_) | Op::Callx { .. } => 0b11_1111,
        Op::Legacy { .. } => 0,
        _ => op.writes().map_or(0, |r| 1u16 << r),
    }
}

/// Where control may go after the instruction at `pc` (`bpf_insn_successors`): on, then the
/// jump's target. A call goes on (its callee is a function of its own); an exit goes nowhere.
pub(super) fn successors(ops: &[Op], pc: usize) -> [Option<usize>; 2] {
    let n = ops.len();
    let op = &ops[pc];
    let next = pc + op.width();
    let fall = if op.falls_through() && next < n { Some(next) } else { None };
    let jump = op.jump_offset().map(|o| (pc as i64 + 1 + o) as usize).filter(|&t| t < n);
    match op {
        Op::MayGoto { off } => [fall, Some((pc as i64 + 1 + *off as i64) as usize).filter(|&t| t < n)],
        Op::Exit => [None, None],
        _ => [fall, jump],
    }
}

/// The loops of the program (`compute_scc`): each instruction's strongly connected component,
/// numbered as the kernel numbers them (1, 2, ... as a depth-first walk from instruction 0
/// completes them), or 0 for one in none. A lone instruction counts as a loop if it jumps to
/// itself or calls a callback synchronously (`calls_callback`).
pub(super) fn loops(ops: &[Op], second_half: &[bool], calls_callback: &[bool]) -> Vec<u32> {
    let n = ops.len();
    let done = u32::MAX;
    let (mut pre, mut low, mut scc) = (vec![0u32; n], vec![0u32; n], vec![0u32; n]);
    let (mut stack, mut dfs) = (Vec::new(), Vec::new());
    let (mut next_pre, mut next_scc) = (1u32, 1u32);
    for root in 0..n {
        if pre[root] != 0 || second_half[root] {
            continue;
        }
        dfs.push(root);
        'walk: while let Some(&w) = dfs.last() {
            if pre[w] == 0 {
                pre[w] = next_pre;
                low[w] = next_pre;
                next_pre += 1;
                stack.push(w);
            }
            let next = successors(ops, w);
            for s in next.into_iter().flatten() {
                if pre[s] == 0 {
                    dfs.push(s);
                    continue 'walk;
                }
                low[w] = low[w].min(low[s]);
            }
            dfs.pop();
            if low[w] < pre[w] {
                continue;
            }
            let looped = stack.last() != Some(&w) || next.contains(&Some(w)) || calls_callback.get(w).copied().unwrap_or(false);
            while let Some(t) = stack.pop() {
                low[t] = done;
                if looped {
                    scc[t] = next_scc;
                }
                if t == w {
                    break;
                }
            }
            if looped {
                next_scc += 1;
            }
        }
    }
    scc
}

/// Where the subprograms start, ascending, the entry first: every local call's and function
/// pointer's target, and `roots` (subprograms nothing calls: the exception callback).
pub fn subprog_starts(ops: &[Op], roots: &[usize]) -> Vec<usize> {
    let n = ops.len();
    let mut subprogs = vec![0usize];
    subprogs.extend_from_slice(roots);
    let mut pc = 0;
    while pc < n {
        match ops[pc] {
            Op::Call(Callee::Local(imm)) => subprogs.push((pc as i64 + 1 + imm as i64) as usize),
            Op::Lddw { pseudo: Pseudo::Func, imm, .. } => subprogs.push((pc as i64 + 1 + imm as i32 as i64) as usize),
            _ => {}
        }
        pc += ops[pc].width();
    }
    subprogs.retain(|&s| s < n);
    subprogs.sort_unstable();
    subprogs.dedup();
    subprogs
}

impl Info {
    /// `roots`: subprograms nothing calls (the exception callback).
    pub fn new(insns: &[Insn], ops: &[Op], roots: &[usize], call_params: &dyn Fn(usize) -> Option<u8>) -> Info {
        let n = insns.len();
        let mut second_half = vec![false; n];
        let mut pc = 0;
        while pc < n {
            if ops[pc].width() == 2 && pc + 1 < n {
                second_half[pc + 1] = true;
            }
            pc += ops[pc].width();
        }
        let subprogs = subprog_starts(ops, roots);

        let mut prune_point = vec![false; n];
        let mut force_checkpoint = vec![false; n];
        let mut jmp_point = vec![false; n];
        let mut pc = 0;
        while pc < n {
            let mut jmp_to = |t: i64| {
                if (0..n as i64).contains(&t) {
                    jmp_point[t as usize] = true;
                }
            };
            match ops[pc] {
                Op::Jump { off, .. } | Op::MayGoto { off } => jmp_to(pc as i64 + 1 + off as i64),
                Op::Ja { off, .. } => jmp_to(pc as i64 + 1 + off as i64),
                Op::Call(Callee::Local(imm)) => jmp_to(pc as i64 + 1 + imm as i64),
                Op::Lddw { pseudo: Pseudo::Func, imm, .. } => jmp_to(pc as i64 + 1 + imm as i32 as i64),
                Op::Call(Callee::Helper(id)) if matches!(id, 164 | 180 | 181 | 209) => jmp_to(pc as i64),
                _ => {}
            }
            if matches!(ops[pc], Op::Call(_)) {
                jmp_to(pc as i64 + 1);
            }
            match ops[pc] {
                Op::Jump { off, .. } => {
                    // Both the jump and where it lands (a branch edge's target).
                    prune_point[pc] = true;
                    let t = (pc as i64 + 1 + off as i64) as usize;
                    if t < n {
                        prune_point[t] = true;
                    }
                }
                Op::Ja { off, .. } => {
                    let t = (pc as i64 + 1 + off as i64) as usize;
                    if t < n {
                        prune_point[t] = true;
                    }
                }
                Op::MayGoto { off } => {
                    prune_point[pc] = true;
                    force_checkpoint[pc] = true;
                    let t = (pc as i64 + 1 + off as i64) as usize;
                    if t < n {
                        prune_point[t] = true;
                    }
                }
                // A call of a static function, and the function's first instruction (the
                // kernel's BRANCH edge to it).
                Op::Call(Callee::Local(imm)) => {
                    prune_point[pc] = true;
                    let t = (pc as i64 + 1 + imm as i64) as usize;
                    if t < n {
                        prune_point[t] = true;
                    }
                }
                // A callback's address (`visit_func_call_insn`): the lddw, what follows it and
                // the callback's first instruction.
                Op::Lddw { pseudo: Pseudo::Func, imm, .. } => {
                    prune_point[pc] = true;
                    if pc + 2 < n {
                        prune_point[pc + 2] = true;
                        jmp_point[pc + 2] = true;
                    }
                    let t = (pc as i64 + 1 + imm as i32 as i64) as usize;
                    if t < n {
                        prune_point[t] = true;
                    }
                }
                // bpf_timer_set_callback: its callback is walked from here, on its own.
                Op::Call(Callee::Helper(170)) => prune_point[pc] = true,
                // Synchronous callbacks and the seed's proposed helpers (214..=221, checked as
                // kfuncs are): how often the callee runs is unknown, so states are kept here.
                Op::Call(Callee::Helper(id)) if matches!(id, 164 | 180 | 181 | 209 | 214..=221) => {
                    prune_point[pc] = true;
                    force_checkpoint[pc] = true;
                }
                // Kfuncs that loop (an iterator's next(), a callback) are marked once the
                // walk knows what each kfunc is (`Verifier::run`).
                _ => {}
            }
            // Where a call returns is a prune point: a callee's exit rejoins the caller there.
            if matches!(ops[pc], Op::Call(_)) && pc + 1 < n {
                prune_point[pc + 1] = true;
            }
            pc += ops[pc].width();
        }

        // Backward liveness to a fixed point, each function on its own (an exit reads r0).
        let mut live_in = vec![0u16; n];
        // What each instruction reads and writes, looked up once for the fixed point below.
        let uses: Vec<u16> = (0..n).map(|pc| reads(&ops[pc], call_params(pc))).collect();
        let defs: Vec<u16> = ops.iter().map(writes).collect();
        let succs = |pc: usize| successors(ops, pc);
        let mut changed = true;
        while changed {
            changed = false;
            for pc in (0..n).rev() {
                if second_half[pc] {
                    continue;
                }
                let mut out = 0u16;
                for s in succs(pc).into_iter().flatten() {
                    out |= live_in[s];
                }
                let v = uses[pc] | (out & !defs[pc]);
                if v != live_in[pc] {
                    live_in[pc] = v;
                    changed = true;
                }
            }
        }
        Info { subprogs, prune_point, force_checkpoint, live_in, second_half, jmp_point }
    }

    /// The subprogram holding `pc`.
    pub fn subprog_of(&self, pc: usize) -> usize {
        match self.subprogs.binary_search(&pc) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }
}

/// The kernel's depth-first check of the control-flow graph.
pub fn check(v: &mut Verifier) -> VResult<()> {
    let ops = &v.ops;
    let n = ops.len();
    if n == 0 {
        return refuse(Errno::EINVAL, "last insn is not an exit or jmp");
    }
    // 0 unseen, 1 on the DFS stack, 2 done.
    let mut state = vec![0u8; n];
    let mut stack: Vec<(usize, u8)> = vec![(0, 0)];
    state[0] = 1;
    // The exception callback, which nothing calls, is walked after the main program (the kernel's
    // second root).
    let mut roots: Vec<usize> = v.input.global_funcs.iter().filter(|g| g.exception_cb && g.start < n).map(|g| g.start).collect();
    let edges = |pc: usize| -> Vec<usize> {
        let op = &ops[pc];
        let next = pc + op.width();
        let mut e = Vec::new();
        if op.falls_through() && next < n {
            e.push(next);
        }
        match *op {
            Op::Ja { .. } | Op::Jump { .. } => {
                if let Some(o) = op.jump_offset() {
                    e.push((pc as i64 + 1 + o) as usize);
                }
            }
            Op::MayGoto { off } => e.push((pc as i64 + 1 + off as i64) as usize),
            Op::Call(Callee::Local(imm)) => e.push((pc as i64 + 1 + imm as i64) as usize),
            Op::Lddw { pseudo: Pseudo::Func, imm, .. } => e.push((pc as i64 + 1 + imm as i32 as i64) as usize),
            _ => {}
        }
        e
    };
    loop {
        if stack.is_empty() {
            match roots.pop() {
                Some(r) if state[r] == 0 => {
                    state[r] = 1;
                    stack.push((r, 0));
                }
                Some(_) => continue,
                None => break,
            }
        }
        while let Some(&mut (pc, ref mut k)) = stack.last_mut() {
            let e = edges(pc);
            if (*k as usize) < e.len() {
                let t = e[*k as usize];
                *k += 1;
                if t >= n {
                    return refuse(Errno::EINVAL, format!("jump out of range from insn {pc} to {t}"));
                }
                match state[t] {
                    0 => {
                        state[t] = 1;
                        stack.push((t, 0));
                    }
                    1 if !v.bpf_capable => return refuse(Errno::EINVAL, format!("back-edge from insn {pc} to {t}")),
                    _ => {}
                }
            } else {
                state[pc] = 2;
                stack.pop();
            }
        }
    }
    // As the kernel, after the walk and in instruction order: an unreached instruction, or an
    // ld_imm64 whose second half a jump reached (the walk went on from there as from any insn).
    let mut pc = 0;
    while pc < n {
        if state[pc] == 0 {
            return refuse(Errno::EINVAL, format!("unreachable insn {pc}"));
        }
        if matches!(ops[pc], Op::Lddw { .. }) {
            if pc + 1 < n && state[pc + 1] != 0 {
                return refuse(Errno::EINVAL, format!("jump into the middle of ldimm64 insn {pc}"));
            }
            pc += 1;
        }
        pc += 1;
    }
    Ok(())
}
