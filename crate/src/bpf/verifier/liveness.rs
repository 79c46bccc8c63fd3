//! Which stack slots may still be read (Linux 6.18's stack liveness, `kernel/bpf/liveness.c`):
//! a dead slot cannot make two states differ, so an explored state's dead slots are forgotten
//! before it is compared ([`Verifier::clean_explored_stack`]).
//!
//! The analysis is per call chain: a function instance is a subprogram reached through one
//! sequence of call sites, and it keeps, per instruction and per frame of the chain, the slots
//! the instruction may read and those it surely writes (8 aligned bytes at once; the
//! intersection over every visit). While the walk goes, reads and writes are recorded; at a
//! subprogram's exit and when a path ends, the instances of the current chain whose marks
//! changed solve the backward data flow (`live_before = (live_after - must_write) | may_read`,
//! and `must_write_acc`, the slots every path from an instruction writes) to a fixed point, in
//! the subprogram's postorder, then hand their entry's marks to the call site in the caller's
//! instance. Level 2 of the log prints each change of a mark at an instruction that reads,
//! writes, starts the subprogram or is a prune point, and each fixed point.

use std::collections::HashMap;

use super::explore::Verifier;
use super::state::{State, MAX_CALL_FRAMES};

#[derive(Clone, Copy, Default)]
struct Masks {
    may_read: u64,
    must_write: u64,
    must_write_acc: u64,
    live_before: u64,
}

struct Instance {
    /// The call sites of the frames above, then the subprogram's own start (how the log names it).
    callsites: Vec<u32>,
    start: usize,
    subprog: usize,
    len: usize,
    /// Per frame of the chain (allocated at its first mark), per instruction of the subprogram.
    frames: Vec<Option<Vec<Masks>>>,
    /// Whether an instruction's `must_write` was recorded once (later records intersect).
    must_write_set: Vec<bool>,
    updated: bool,
    must_write_dropped: bool,
}

impl Instance {
    fn depth(&self) -> usize {
        self.callsites.len() - 1
    }
    fn rel(&self, pc: usize) -> Option<usize> {
        pc.checked_sub(self.start).filter(|&i| i < self.len)
    }
    fn masks(&self, frame: usize, pc: usize) -> Option<&Masks> {
        let i = self.rel(pc)?;
        self.frames.get(frame)?.as_ref().map(|f| &f[i])
    }
    fn masks_mut(&mut self, frame: usize, pc: usize) -> Option<&mut Masks> {
        let i = self.rel(pc)?;
        let len = self.len;
        let f = self.frames.get_mut(frame)?;
        Some(&mut f.get_or_insert_with(|| vec![Masks::default(); len])[i])
    }
    fn name(&self) -> String {
        let sites: Vec<String> = self.callsites.iter().map(u32::to_string).collect();
        format!("({})", sites.join(","))
    }
}

#[derive(Default)]
pub(super) struct StackLiveness {
    instances: Vec<Instance>,
    by_chain: HashMap<Vec<u32>, usize>,
    /// The current state's instance, until its call chain changes (a call, an exit, a new path).
    cur: Option<usize>,
    /// Writes of the instruction being walked, per frame, committed when it is done.
    write_acc: [u64; MAX_CALL_FRAMES],
    write_pc: usize,
    /// Every subprogram's instructions in postorder of a depth-first walk from its start (the
    /// order the fixed point visits them in), and where each subprogram's run begins.
    postorder: Vec<usize>,
    postorder_start: Vec<usize>,
}

/// The frame an asynchronous callback's walk starts at (0 outside one).
fn chain_base(st: &State) -> usize {
    st.frames.iter().rposition(|f| f.async_cb).unwrap_or(0)
}

fn slot_bit(spi: usize) -> u64 {
    if spi < 64 {
        1u64 << spi
    } else {
        0
    }
}

impl StackLiveness {
    /// Postorder per subprogram (`compute_postorder`): the jump target is explored before the
    /// fall-through, an instruction is emitted when everything below it is.
    pub(super) fn new(ops: &[crate::bpf::isa::Op], subprogs: &[usize]) -> StackLiveness {
        const DISCOVERED: u8 = 1;
        const EXPLORED: u8 = 2;
        let n = ops.len();
        let mut state = vec![0u8; n];
        let mut postorder = Vec::with_capacity(n);
        let mut postorder_start = Vec::with_capacity(subprogs.len() + 1);
        let mut stack = Vec::new();
        for &start in subprogs {
            postorder_start.push(postorder.len());
            if start >= n {
                continue;
            }
            stack.push(start);
            while let Some(&top) = stack.last() {
                state[top] |= DISCOVERED;
                if state[top] & EXPLORED != 0 {
                    postorder.push(top);
                    stack.pop();
                    continue;
                }
                for s in super::cfg::successors(ops, top).into_iter().flatten() {
                    if state[s] == 0 {
                        stack.push(s);
                        state[s] |= DISCOVERED;
                    }
                }
                state[top] |= EXPLORED;
            }
        }
        postorder_start.push(postorder.len());
        StackLiveness { postorder, postorder_start, ..Default::default() }
    }
}

impl Verifier<'_> {
    fn subprog_start(&self, sub: u32) -> usize {
        self.info.subprogs.get(sub as usize).copied().unwrap_or(0)
    }

    /// The call chain of `st` down to `frame`: the call sites, then the subprogram's start. An
    /// asynchronous callback is a program of its own (the kernel's frame 0): its chain starts there.
    fn callchain(&self, st: &State, frame: usize) -> Vec<u32> {
        let base = chain_base(st);
        let mut chain: Vec<u32> = (base..frame).map(|i| st.frames[i + 1].callsite as u32).collect();
        chain.push(self.subprog_start(st.frames[frame].subprog) as u32);
        chain
    }

    fn instance_for(&mut self, chain: Vec<u32>, subprog: usize) -> usize {
        if let Some(&i) = self.live.by_chain.get(&chain) {
            return i;
        }
        let start = *chain.last().expect("a chain names its subprogram") as usize;
        let end = self.info.subprogs.get(subprog + 1).copied().unwrap_or(self.ops.len());
        let len = end.saturating_sub(start);
        let depth = chain.len();
        let i = self.live.instances.len();
        self.live.instances.push(Instance {
            callsites: chain.clone(),
            start,
            subprog,
            len,
            frames: vec![None; depth],
            must_write_set: vec![false; len],
            updated: false,
            must_write_dropped: false,
        });
        self.live.by_chain.insert(chain, i);
        i
    }

    /// The instance of each frame of `st` (by call chain, subprogram).
    fn chains(&self, st: &State) -> Vec<(Vec<u32>, usize)> {
        (chain_base(st)..st.frames.len()).map(|f| (self.callchain(st, f), st.frames[f].subprog as usize)).collect()
    }

    fn cur_instance(&mut self) -> usize {
        if let Some(i) = self.live.cur {
            return i;
        }
        let last = self.cur.frames.len() - 1;
        let chain = self.callchain(&self.cur, last);
        let i = self.instance_for(chain, self.cur.frames[last].subprog as usize);
        self.live.cur = Some(i);
        i
    }

    /// The current state's call chain changed (a subprogram is entered).
    pub(super) fn live_reset_chain(&mut self) {
        self.live.cur = None;
    }

    fn mark_read_in(&mut self, inst: usize, frame: usize, pc: usize, mask: u64) {
        let ins = &mut self.live.instances[inst];
        let Some(m) = ins.masks_mut(frame, pc) else { return };
        let new = m.may_read | mask;
        let grows = new != m.may_read && (new | m.live_before) != m.live_before;
        m.may_read = new;
        if grows {
            ins.updated = true;
        }
    }

    /// The instruction being walked reads slot `spi` of `frame`.
    pub(super) fn live_stack_read(&mut self, frame: usize, spi: usize) {
        let Some(frame) = frame.checked_sub(chain_base(&self.cur)) else { return };
        let inst = self.cur_instance();
        let pc = self.pc;
        self.mark_read_in(inst, frame, pc, slot_bit(spi));
    }

    /// The instruction being walked writes all of slot `spi` of `frame`.
    pub(super) fn live_stack_write(&mut self, frame: usize, spi: usize) {
        let Some(frame) = frame.checked_sub(chain_base(&self.cur)) else { return };
        if let Some(acc) = self.live.write_acc.get_mut(frame) {
            *acc |= slot_bit(spi);
        }
    }

    fn reset_writes(&mut self, inst: usize, pc: usize) {
        self.live.write_pc = pc;
        let depth = self.live.instances[inst].depth();
        for f in 0..=depth.min(MAX_CALL_FRAMES - 1) {
            self.live.write_acc[f] = 0;
        }
    }

    /// Before an instruction: its writes start empty.
    pub(super) fn live_begin_insn(&mut self, pc: usize) {
        let inst = self.cur_instance();
        self.reset_writes(inst, pc);
    }

    /// After an instruction: what it wrote becomes (or narrows) its `must_write`. Not when its
    /// walk changed the call chain (a call entered, an exit left a subprogram).
    pub(super) fn live_commit_insn(&mut self) {
        if let Some(inst) = self.live.cur {
            self.commit_writes(inst);
        }
    }

    fn commit_writes(&mut self, inst: usize) {
        let pc = self.live.write_pc;
        let acc = self.live.write_acc;
        let ins = &mut self.live.instances[inst];
        let Some(idx) = ins.rel(pc) else { return };
        let seen = ins.must_write_set[idx];
        for (frame, &written) in acc.iter().enumerate().take(ins.depth() + 1) {
            // A first visit's writes are the instruction's; a later one keeps what both wrote.
            if written == 0 && !seen {
                continue;
            }
            let Some(m) = ins.masks_mut(frame, pc) else { continue };
            let old = m.must_write;
            let mask = if seen { written & old } else { written };
            m.must_write = mask;
            ins.updated |= old != mask;
            ins.must_write_dropped |= old & !mask != 0;
        }
        ins.must_write_set[idx] = true;
        self.live.write_pc = 0;
    }

    /// At a subprogram's exit and before a path ends: the instances of the current call chain
    /// whose marks changed reach their fixed point, the callee's first.
    pub(super) fn live_update(&mut self) {
        self.live.cur = None;
        for (chain, sub) in self.chains(&self.cur).into_iter().rev() {
            let inst = self.instance_for(chain, sub);
            if self.live.instances[inst].updated {
                self.update_instance(inst);
                let ins = &mut self.live.instances[inst];
                ins.updated = false;
                ins.must_write_dropped = false;
            }
        }
    }

    fn update_instance(&mut self, inst: usize) {
        let log2 = self.log.level2();
        {
            let ins = &mut self.live.instances[inst];
            if ins.must_write_dropped {
                for f in ins.frames.iter_mut().flatten() {
                    f.iter_mut().for_each(|m| m.must_write_acc = 0);
                }
            }
        }
        let sub = self.live.instances[inst].subprog;
        let (po_start, po_end) = (
            self.live.postorder_start.get(sub).copied().unwrap_or(0),
            self.live.postorder_start.get(sub + 1).copied().unwrap_or(0),
        );
        let depth = self.live.instances[inst].depth();
        let mut rounds = 0;
        loop {
            rounds += 1;
            let mut changed = false;
            for frame in 0..=depth {
                if self.live.instances[inst].frames[frame].is_none() {
                    continue;
                }
                for k in po_start..po_end {
                    let pc = self.live.postorder[k];
                    changed |= self.update_insn(inst, frame, pc, log2);
                }
            }
            if !changed {
                break;
            }
        }
        if log2 {
            let name = self.live.instances[inst].name();
            self.log.line(&format!("{name} live stack update done in {rounds} iterations"));
        }
        if depth > 0 {
            self.propagate_to_caller(inst);
        }
    }

    fn update_insn(&mut self, inst: usize, frame: usize, pc: usize, log2: bool) -> bool {
        let succ = super::cfg::successors(&self.ops, pc);
        if succ.iter().all(Option::is_none) {
            return false;
        }
        let ins = &self.live.instances[inst];
        let Some(&m) = ins.masks(frame, pc) else { return false };
        let (mut after, mut acc) = (0u64, u64::MAX);
        for s in succ.into_iter().flatten() {
            let sm = ins.masks(frame, s).copied().unwrap_or_default();
            after |= sm.live_before;
            acc &= sm.must_write_acc;
        }
        acc |= m.must_write;
        let before = (after & !m.must_write) | m.may_read;
        let changed = before != m.live_before || acc != m.must_write_acc;
        if log2 && (m.may_read != 0 || m.must_write != 0 || pc == ins.start || self.info.prune_point[pc]) {
            let name = ins.name();
            for (what, old, new) in [("live", m.live_before, before), ("written", m.must_write_acc, acc)] {
                let diff = old ^ new;
                if diff == 0 {
                    continue;
                }
                let mut line = format!("{name} frame {frame} insn {pc} ");
                if new & diff != 0 {
                    line.push_str(&format!("+{what} {} ", super::precision::fmt_stack(new & diff)));
                }
                if !new & diff != 0 {
                    line.push_str(&format!("-{what} {}", super::precision::fmt_stack(!new & diff)));
                }
                self.log.line(&line);
            }
        }
        let m = self.live.instances[inst].masks_mut(frame, pc).expect("allocated");
        m.live_before = before;
        m.must_write_acc = acc;
        changed
    }

    /// The callee's entry marks go to its call site in the caller's instance: what it may read
    /// is read there, what it surely writes is written there.
    fn propagate_to_caller(&mut self, inst: usize) {
        let (chain, start) = {
            let ins = &self.live.instances[inst];
            (ins.callsites.clone(), ins.start)
        };
        let depth = chain.len() - 1;
        let callsite = chain[depth - 1] as usize;
        let mut outer_chain: Vec<u32> = chain[..depth - 1].to_vec();
        // The caller's own start: the subprogram holding the call site.
        let caller_sub = self.info.subprogs.iter().rposition(|&s| s <= callsite).unwrap_or(0);
        outer_chain.push(self.info.subprogs[caller_sub] as u32);
        let outer = self.instance_for(outer_chain, caller_sub);
        self.reset_writes(outer, callsite);
        for frame in 0..depth {
            let Some(m) = self.live.instances[inst].masks(frame, start).copied() else { continue };
            self.live.write_acc[frame] |= m.must_write_acc;
            self.mark_read_in(outer, frame, callsite, m.live_before);
        }
        self.commit_writes(outer);
    }

    /// Before explored states at `pc` are compared: each finished one with the current call
    /// chain, not yet cleaned, not in a loop visit still open, forgets its dead slots
    /// (`clean_live_states`).
    pub(super) fn clean_explored_stack(&mut self, pc: usize) {
        let Some(e) = self.explored.get_mut(&pc) else { return };
        let done = std::mem::take(&mut e.done);
        for &ci in &done {
            let c = &self.checkpoints[ci];
            if c.cleaned || c.branches > 0 {
                continue;
            }
            if !super::calls::same_callsites(&c.state, &self.cur) || self.loop_visit_open(ci) {
                continue;
            }
            let pc = self.checkpoints[ci].pc;
            let insts: Vec<usize> = self.chains(&self.checkpoints[ci].state).into_iter().map(|(chain, sub)| self.instance_for(chain, sub)).collect();
            let last = insts.len() - 1;
            let base = chain_base(&self.checkpoints[ci].state);
            let dead: Vec<(usize, usize)> = (0..insts.len())
                .flat_map(|fno| (0..self.checkpoints[ci].state.frames[base + fno].stack.len()).map(move |spi| (fno, spi)))
                .filter(|&(fno, spi)| !self.slot_alive(&insts, pc, last, fno, spi))
                .map(|(fno, spi)| (base + fno, spi))
                .collect();
            let c = &mut self.checkpoints[ci];
            for (fno, spi) in dead {
                c.state.frames[fno].stack[spi] = super::state::Slot::EMPTY;
            }
            c.cleaned = true;
        }
        if let Some(e) = self.explored.get_mut(&pc) {
            e.done = done;
        }
    }

    /// Whether slot `spi` of frame `fno` may be read after `pc` (in the innermost frame), or,
    /// for a caller, after its call (before it, for a call of a callback, which comes back).
    fn slot_alive(&self, insts: &[usize], pc: usize, last: usize, fno: usize, spi: usize) -> bool {
        let bit = slot_bit(spi);
        let live_at = |inst: usize, at: usize| self.live.instances[inst].masks(fno, at).is_some_and(|m| m.live_before & bit != 0);
        let cur = insts[last];
        if live_at(cur, pc) {
            return true;
        }
        let chain = &self.live.instances[cur].callsites;
        (fno..last).any(|i| {
            let callsite = chain[i] as usize;
            let at = if self.callback_site.get(callsite).copied().unwrap_or(false) { callsite } else { callsite + 1 };
            live_at(insts[i], at)
        })
    }
}
