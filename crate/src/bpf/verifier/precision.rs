//! Precision tracking, as 6.18's verifier does it. Scalars start imprecise: two states whose
//! imprecise scalars differ are alike when pruning. Where a scalar's exact value matters (a
//! pointer's offset, a helper's size, a decided branch, a callback's return, ...), the walk asks
//! for it: [`Verifier::mark_chain_precision`] backtracks from the current instruction through the
//! instructions the path took (straight-line code, and the jump history recorded at jump targets,
//! call returns and stack spills/fills) and the chain of checkpoints before it, and marks every
//! register and spilled scalar the value came from precise in those checkpoints. A pruned path
//! hands the covering state's precise marks back to its own chain ([`Verifier::propagate_precision`]).
//! Where backtracking meets what it cannot follow it marks every scalar of the chain precise, as
//! the kernel falls back. Level 2 logs each step in the kernel's words (`mark_precise: ...`).

use super::explore::Verifier;
use super::state::*;
use super::{refuse, VResult};
use crate::errno::Errno;
use crate::bpf::isa::{AtomicOp, AluOp, Callee, Op, Operand};

/// The history entry of a spill or fill at a fixed stack offset (`INSN_F_STACK_ACCESS`), with the
/// slot and the frame it touched.
pub const F_STACK_ACCESS: u32 = 1 << 3;
/// A conditional jump's operand that was a stack pointer (it needs no precision).
pub const F_DST_REG_STACK: u32 = 1 << 13;
pub const F_SRC_REG_STACK: u32 = 1 << 14;
const F_FRAMENO_MASK: u32 = 0x7;
const F_SPI_SHIFT: u32 = 4;
const F_SPI_MASK: u32 = 0x3f;

pub fn stack_access_flags(frameno: usize, spi: usize) -> u32 {
    F_STACK_ACCESS | ((spi as u32 & F_SPI_MASK) << F_SPI_SHIFT) | (frameno as u32 & F_FRAMENO_MASK)
}

/// Registers and spilled scalars that share a scalar id at a conditional jump (a bound learnt on
/// one holds for all): precise together (`linked_regs`, at most 6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkedRegs {
    pub cnt: u8,
    /// (frame, register or slot index, is a register)
    pub entries: [(u8, u8, bool); 6],
}

/// One entry of a path's jump history (`bpf_insn_hist_entry`): an instruction reached from
/// `prev_idx` (a jump, a call, a return), or one whose stack access or linked registers
/// backtracking must know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistEntry {
    pub idx: usize,
    pub prev_idx: usize,
    pub flags: u32,
    pub linked: LinkedRegs,
}

/// Registers and stack slots still to be made precise, per frame (`backtrack_state`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Backtrack {
    pub frame: usize,
    pub regs: [u16; MAX_CALL_FRAMES],
    pub stack: [u64; MAX_CALL_FRAMES],
}

impl Backtrack {
    pub fn new(frame: usize) -> Backtrack {
        Backtrack { frame, ..Default::default() }
    }
    fn empty(&self) -> bool {
        (0..=self.frame).all(|f| self.regs[f] == 0 && self.stack[f] == 0)
    }
    fn is_reg(&self, r: u8) -> bool {
        self.regs[self.frame] & (1 << r) != 0
    }
    pub fn set_reg(&mut self, r: u8) {
        self.regs[self.frame] |= 1 << r;
    }
    fn clear_reg(&mut self, r: u8) {
        self.regs[self.frame] &= !(1 << r);
    }
    pub fn set_frame_reg(&mut self, f: usize, r: u8) {
        self.regs[f] |= 1 << r;
    }
    pub fn set_slot(&mut self, f: usize, spi: usize) {
        if spi < 64 {
            self.stack[f] |= 1 << spi;
        }
    }
    fn is_slot(&self, f: usize, spi: usize) -> bool {
        spi < 64 && self.stack[f] & (1 << spi) != 0
    }
    fn clear_slot(&mut self, f: usize, spi: usize) {
        if spi < 64 {
            self.stack[f] &= !(1 << spi);
        }
    }
    fn sync_linked(&mut self, h: Option<&HistEntry>) {
        let Some(h) = h else { return };
        let es = &h.linked.entries[..h.linked.cnt as usize];
        if es.is_empty() {
            return;
        }
        let some = es.iter().any(|&(f, i, is_reg)| {
            let f = f as usize;
            if is_reg {
                self.regs[f] & (1 << i) != 0
            } else {
                self.is_slot(f, i as usize)
            }
        });
        if some {
            for &(f, i, is_reg) in es {
                if is_reg {
                    self.set_frame_reg(f as usize, i);
                } else {
                    self.set_slot(f as usize, i as usize);
                }
            }
        }
    }
}

/// What backtracking one instruction can end in besides going on.
enum Stop {
    /// The kernel's -ENOTSUPP: fall back to marking everything precise.
    NotSupported,
    /// What the kernel reports as its own bug (`verifier_bug`): the load fails with EFAULT.
    Bug(String),
}

/// `r0,r2` as the log prints a register mask.
fn fmt_regs(mask: u16) -> String {
    (0..16).filter(|i| mask & (1 << i) != 0).map(|i| format!("r{i}")).collect::<Vec<_>>().join(",")
}

/// `-8,-16` as the log prints a stack-slot mask (precision's `stack=`, liveness's `+live`).
pub(super) fn fmt_stack(mask: u64) -> String {
    (0..64).filter(|i| mask & (1u64 << i) != 0).map(|i| format!("{}", -(i as i64 + 1) * 8)).collect::<Vec<_>>().join(",")
}

/// The frames' scalars a state has, marked: every register and spilled scalar, for the fallback.
/// Returns how many marks it added.
fn mark_all_in(st: &mut State, log: &mut Vec<String>) -> u64 {
    let mut added = 0;
    for (i, f) in st.frames.iter_mut().enumerate() {
        for (j, r) in f.regs.iter_mut().enumerate().take(10) {
            if r.ty == SCALAR && !r.precise {
                r.precise = true;
                added += 1;
                log.push(format!("force_precise: frame{i}: forcing r{j} to be precise\n"));
            }
        }
        for (j, s) in f.stack.iter_mut().enumerate() {
            if s.is_spill() && s.spilled.ty == SCALAR && !s.spilled.precise {
                s.spilled.precise = true;
                added += 1;
                log.push(format!("force_precise: frame{i}: forcing fp{} to be precise\n", -(j as i64 + 1) * 8));
            }
        }
    }
    added
}

/// Forgets every precise mark (`mark_all_scalars_imprecise`): a state about to be checkpointed
/// starts over, its children tell it what they need.
pub fn mark_all_imprecise(st: &mut State) {
    for f in st.frames.iter_mut() {
        for r in f.regs.iter_mut() {
            if r.ty == SCALAR {
                r.precise = false;
            }
        }
        for s in f.stack.iter_mut() {
            if s.is_spill() && s.spilled.ty == SCALAR {
                s.spilled.precise = false;
            }
        }
    }
}

/// Every scalar precise: without CAP_BPF the kernel makes each scalar precise as it is made.
pub fn mark_all_precise(st: &mut State) {
    st.for_each_reg(|r| {
        if r.ty == SCALAR {
            r.precise = true;
        }
    });
}

impl<'a> Verifier<'a> {
    /// Records the current instruction in the path's jump history (`push_insn_history`): once
    /// per instruction, later calls adding their flags to its entry.
    pub(super) fn push_hist(&mut self, flags: u32, linked: LinkedRegs) {
        if self.hist_ent_this_insn {
            if let Some(e) = self.hist.last_mut() {
                e.flags |= flags;
                if linked.cnt > 0 {
                    e.linked = linked;
                }
                return;
            }
        }
        self.hist.push(HistEntry { idx: self.pc, prev_idx: self.prev, flags, linked });
        self.hist_ent_this_insn = true;
    }

    /// The scalars sharing `id` (its link delta left out) in every frame (`collect_linked_regs`).
    pub(super) fn collect_linked(&self, id: u32, out: &mut LinkedRegs) {
        let id = id & !BPF_ADD_CONST;
        // 6.18 leaves out the current frame's dead registers.
        let live = self.info.live_in[self.pc];
        let last = self.cur.curframe();
        for (fi, f) in self.cur.frames.iter().enumerate().rev() {
            for (i, r) in f.regs.iter().enumerate().take(10) {
                if fi == last && live & (1 << i) == 0 {
                    continue;
                }
                if r.ty == SCALAR && r.id & !BPF_ADD_CONST == id {
                    push_linked(out, fi as u8, i as u8, true);
                }
            }
            for (i, s) in f.stack.iter().enumerate() {
                if s.is_spill() && s.spilled.ty == SCALAR && s.spilled.id & !BPF_ADD_CONST == id && i < 64 {
                    push_linked(out, fi as u8, i as u8, false);
                }
            }
        }
    }

    /// `mark_chain_precision`: the scalar in `regno` of the current frame is relied on exactly.
    pub(super) fn mark_chain_precision(&mut self, regno: u8) -> VResult<()> {
        if !self.bpf_capable {
            return Ok(());
        }
        if self.cur.reg(regno).ty != SCALAR {
            return Ok(());
        }
        let mut bt = Backtrack::new(self.cur.curframe());
        bt.set_reg(regno);
        self.mark_chain_batch(bt)
    }

    /// `mark_chain_precision_batch`: the registers and slots in `bt`, from the current state.
    pub(super) fn mark_chain_batch(&mut self, mut bt: Backtrack) -> VResult<()> {
        if !self.bpf_capable || bt.empty() {
            return Ok(());
        }
        let level2 = self.log.level2();
        let mut out: Vec<String> = Vec::new();
        // An asynchronous callback is a state of its own in the kernel (its frame 0, no parent,
        // no history, first instruction 0): its frames are numbered from it.
        let async_base = self.cur.frames.iter().rposition(|f| f.async_cb).unwrap_or(0);
        let fno = |f: usize| f.saturating_sub(async_base);
        // The checkpoints of the asynchronous callback's own walk (all of them, outside one).
        let cb_callsite = self.cur.frames[async_base].callsite;
        let cb_start = self.info.subprogs.get(self.cur.frames[async_base].subprog as usize).copied().unwrap_or(0);
        let belongs = |v: &Self, c: Option<usize>| -> Option<usize> {
            let c = c?;
            if async_base == 0 {
                return Some(c);
            }
            let f = v.checkpoints[c].state.frames.get(async_base)?;
            (f.async_cb && f.callsite == cb_callsite).then_some(c)
        };
        // A segment whose checkpoint before lies outside the callback starts at its entry: the
        // kernel's fresh state (first instruction 0, history from the callback's first one).
        let own_hist = |h: &[HistEntry], outside: bool| -> Vec<HistEntry> {
            if !outside {
                return h.to_vec();
            }
            match h.iter().rposition(|e| e.idx == cb_start) {
                Some(k) => h[k..].to_vec(),
                None => Vec::new(),
            }
        };
        let cur_outside = async_base > 0 && belongs(self, self.parent).is_none();
        // `None`: the current state; else a checkpoint.
        let mut st: Option<usize> = None;
        let mut first_idx = if cur_outside { 0 } else { self.first_idx };
        let mut last_idx: Option<usize> = Some(self.pc);
        let mut subseq: i64 = -1;
        let mut skip_first = true;
        let mut fallback = false;
        'chain: loop {
            if level2 {
                let last = last_idx.map_or(-1, |l| l as i64);
                out.push(format!("mark_precise: frame{}: last_idx {last} first_idx {first_idx} subseq_idx {subseq} \n", fno(bt.frame)));
            }
            let Some(last) = last_idx else {
                // The entry of a global function walked on its own: its arguments are its own.
                let s = &mut self.checkpoints[st.expect("a checkpoint")].state;
                if s.frames.len() == 1 && bt.stack[bt.frame] == 0 && bt.regs[bt.frame] & !0b11_1110 == 0 {
                    let mask = bt.regs[bt.frame];
                    for i in 0..6u8 {
                        let r = &mut s.frames[0].regs[i as usize];
                        if mask & (1 << i) != 0 && r.ty == SCALAR && !r.precise {
                            r.precise = true;
                            self.checkpoint_marks += 1;
                        }
                    }
                    break 'chain;
                }
                fallback = true;
                break 'chain;
            };
            let hist: Vec<HistEntry> = match st {
                None => own_hist(&self.hist, cur_outside),
                Some(c) => own_hist(&self.checkpoints[c].hist, async_base > 0 && belongs(self, self.checkpoints[c].parent).is_none()),
            };
            let mut hist_end = hist.len();
            let mut i = last;
            loop {
                if skip_first {
                    skip_first = false;
                } else {
                    let h = if hist_end > 0 && hist[hist_end - 1].idx == i { Some(hist[hist_end - 1]) } else { None };
                    // An lddw's second half is no instruction of its own (the kernel's code 0).
                    let second_half = self.info.second_half.get(i).copied().unwrap_or(false);
                    if level2 && !second_half {
                        let line = self.log.insn(self.input.insns, i, &self.ops[i], self.input, self.allow_ptr_leaks);
                        out.push(format!(
                            "mark_precise: frame{}: regs={} stack={} before {i}: {line}\n",
                            fno(bt.frame),
                            fmt_regs(bt.regs[bt.frame]),
                            fmt_stack(bt.stack[bt.frame])
                        ));
                    }
                    match self.backtrack_insn(i, subseq, h.as_ref(), &mut bt) {
                        Ok(()) => {}
                        Err(Stop::NotSupported) => {
                            fallback = true;
                            break 'chain;
                        }
                        Err(Stop::Bug(what)) => {
                            if level2 {
                                for l in out {
                                    self.log.write(&l);
                                }
                            }
                            return refuse(Errno::EFAULT, format!("verifier bug: {what}"));
                        }
                    }
                }
                if bt.empty() {
                    break 'chain;
                }
                subseq = i as i64;
                // `get_prev_insn_idx`
                let cnt = hist_end;
                if i == first_idx && (cnt == 0 || (cnt == 1 && hist[0].idx == i)) {
                    break;
                }
                if cnt > 0 && hist[hist_end - 1].idx == i {
                    hist_end -= 1;
                    i = hist[hist_end].prev_idx;
                } else if i == 0 {
                    // Backtracking missed where a value was set: the kernel calls it a bug.
                    fallback = true;
                    break 'chain;
                } else {
                    i -= 1;
                }
            }
            let parent = match st {
                None => belongs(self, self.parent),
                Some(c) => belongs(self, self.checkpoints[c].parent),
            };
            let Some(p) = parent else { break 'chain };
            let ps = &mut self.checkpoints[p].state;
            for fr in (async_base..=bt.frame.max(async_base)).rev() {
                let Some(func) = ps.frames.get_mut(fr) else { continue };
                for i in 0..16u8 {
                    if bt.regs[fr] & (1 << i) == 0 {
                        continue;
                    }
                    let r = &mut func.regs[i as usize];
                    if r.ty != SCALAR || r.precise {
                        bt.regs[fr] &= !(1 << i);
                    } else {
                        r.precise = true;
                        self.checkpoint_marks += 1;
                    }
                }
                for i in 0..64usize {
                    if bt.stack[fr] & (1 << i) == 0 {
                        continue;
                    }
                    match func.stack.get_mut(i) {
                        Some(s) if s.is_spill() && s.spilled.ty == SCALAR => {
                            if s.spilled.precise {
                                bt.clear_slot(fr, i);
                            } else {
                                s.spilled.precise = true;
                                self.checkpoint_marks += 1;
                            }
                        }
                        _ => bt.clear_slot(fr, i),
                    }
                }
                if level2 {
                    let text = super::log::frame_text(ps, fr, !0, !0, self.input);
                    out.push(format!(
                        "mark_precise: frame{}: parent state regs={} stack={}: {text}\n",
                        fno(fr),
                        fmt_regs(bt.regs[fr]),
                        fmt_stack(bt.stack[fr])
                    ));
                }
            }
            if bt.empty() {
                break 'chain;
            }
            subseq = first_idx as i64;
            last_idx = self.checkpoints[p].last_idx;
            first_idx = if async_base > 0 && belongs(self, self.checkpoints[p].parent).is_none() { 0 } else { self.checkpoints[p].first_idx };
            st = Some(p);
        }
        if fallback || !bt.empty() {
            if level2 {
                out.push(format!("mark_precise: frame{}: falling back to forcing all scalars precise\n", fno(self.cur.curframe())));
            }
            let mut at = belongs(self, self.parent);
            while let Some(c) = at {
                self.checkpoint_marks += mark_all_in(&mut self.checkpoints[c].state, &mut out);
                at = belongs(self, self.checkpoints[c].parent);
            }
        }
        if level2 {
            for l in out {
                self.log.write(&l);
            }
        }
        Ok(())
    }

    /// `backtrack_insn`: what instruction `idx` needed of the registers and slots `bt` asks for
    /// after it. `subseq` is the instruction walked after it on the path (-1: none).
    fn backtrack_insn(&self, idx: usize, subseq: i64, h: Option<&HistEntry>, bt: &mut Backtrack) -> Result<(), Stop> {
        if self.info.second_half.get(idx).copied().unwrap_or(false) {
            return Ok(());
        }
        bt.sync_linked(h);
        let stack_access = h.filter(|h| h.flags & F_STACK_ACCESS != 0).map(|h| (((h.flags >> F_SPI_SHIFT) & F_SPI_MASK) as usize, (h.flags & F_FRAMENO_MASK) as usize));
        const ARGS: u16 = 0b11_1110;
        match self.ops[idx] {
            Op::Alu { op, dst, src, .. } => {
                if !bt.is_reg(dst) {
                    return Ok(());
                }
                match (op, src) {
                    (AluOp::Neg, _) => return Ok(()),
                    (AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32, Operand::Reg(s)) => {
                        bt.clear_reg(dst);
                        if s != 10 {
                            bt.set_reg(s);
                        }
                    }
                    (AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32, Operand::Imm(_)) => bt.clear_reg(dst),
                    (_, Operand::Reg(s)) => {
                        if s != 10 {
                            bt.set_reg(s);
                        }
                    }
                    _ => {}
                }
            }
            Op::End { .. } => return Ok(()),
            Op::Load { dst, .. } => {
                if !bt.is_reg(dst) {
                    return Ok(());
                }
                bt.clear_reg(dst);
                let Some((spi, fr)) = stack_access else { return Ok(()) };
                bt.set_slot(fr, spi);
            }
            Op::Atomic { op, dst, src, .. } if matches!(op, AtomicOp::LoadAcquire) || matches!(op, AtomicOp::Xchg | AtomicOp::Cmpxchg | AtomicOp::Rmw { fetch: true, .. }) => {
                let load_reg = match op {
                    AtomicOp::Cmpxchg => 0,
                    AtomicOp::LoadAcquire => dst,
                    _ => src,
                };
                if !bt.is_reg(load_reg) {
                    return Ok(());
                }
                bt.clear_reg(load_reg);
                let Some((spi, fr)) = stack_access else { return Ok(()) };
                bt.set_slot(fr, spi);
            }
            // A store (or an atomic, whose src is what lands in memory) into a slot the chain
            // needs hands the need on to the register stored.
            Op::Store { dst, .. } | Op::Atomic { dst, .. } => {
                if bt.is_reg(dst) {
                    return Err(Stop::NotSupported);
                }
                let Some((spi, fr)) = stack_access else { return Ok(()) };
                if !bt.is_slot(fr, spi) {
                    return Ok(());
                }
                bt.clear_slot(fr, spi);
                match self.ops[idx] {
                    Op::Store { val: Operand::Reg(s), .. } | Op::Atomic { src: s, .. } => bt.set_reg(s),
                    _ => {}
                }
            }
            Op::Call(Callee::Local(imm)) => {
                let target = (idx as i64 + 1 + imm as i64) as usize;
                if self.input.global_funcs.iter().any(|g| g.start == target) {
                    if bt.regs[bt.frame] & ARGS != 0 {
                        return Err(Stop::NotSupported);
                    }
                    bt.clear_reg(0);
                    return Ok(());
                }
                // Back out of the callee into its caller: only its arguments may be left.
                if bt.regs[bt.frame] & !ARGS != 0 || bt.stack[bt.frame] != 0 || bt.frame == 0 {
                    return Err(Stop::NotSupported);
                }
                for r in 1..=5u8 {
                    if bt.is_reg(r) {
                        bt.clear_reg(r);
                        bt.set_frame_reg(bt.frame - 1, r);
                    }
                }
                bt.frame -= 1;
            }
            Op::Call(_) if self.callback_site.get(idx).copied().unwrap_or(false) && idx as i64 != subseq - 1 => {
                // Back from a callback's exit to the call that runs it: its arguments are not the
                // caller's registers.
                if bt.regs[bt.frame] & !ARGS != 0 {
                    return Err(Stop::Bug(format!("callback unexpected regs {:x}", bt.regs[bt.frame])));
                }
                // (The kernel calls slots left here its bug too; uxdp's frame bookkeeping through
                // a tail call's implicit exit differs from it there, so it falls back instead.)
                if bt.stack[bt.frame] != 0 || bt.frame == 0 {
                    return Err(Stop::NotSupported);
                }
                for r in 1..=5u8 {
                    bt.clear_reg(r);
                }
                bt.frame -= 1;
            }
            // A kfunc the loader could not resolve (the kernel's imm 0).
            Op::Call(Callee::Kfunc { imm, .. })
                if self.input.kfuncs.get(imm as usize).and_then(|k| k.as_ref()).is_none_or(|k| k.unresolved) =>
            {
                return Err(Stop::NotSupported)
            }
            Op::Call(_) | Op::Callx { .. } => {
                bt.clear_reg(0);
                if bt.regs[bt.frame] & ARGS != 0 {
                    return Err(Stop::NotSupported);
                }
            }
            Op::Exit => {
                let from_subprog_call = subseq >= 1 && matches!(self.ops.get(subseq as usize - 1), Some(Op::Call(Callee::Local(_))));
                let r0 = from_subprog_call && bt.is_reg(0);
                if from_subprog_call && bt.regs[bt.frame] & ARGS != 0 {
                    return Err(Stop::NotSupported);
                }
                bt.clear_reg(0);
                if bt.frame + 1 >= MAX_CALL_FRAMES {
                    return Err(Stop::NotSupported);
                }
                bt.frame += 1;
                bt.regs[bt.frame] = 0;
                bt.stack[bt.frame] = 0;
                if r0 {
                    bt.set_reg(0);
                }
                return Ok(());
            }
            Op::Jump { dst, src: Operand::Reg(s), .. } => {
                if !bt.is_reg(dst) && !bt.is_reg(s) {
                    return Ok(());
                }
                let flags = h.map_or(0, |h| h.flags);
                if flags & F_SRC_REG_STACK == 0 {
                    bt.set_reg(s);
                }
                if flags & F_DST_REG_STACK == 0 {
                    bt.set_reg(dst);
                }
            }
            Op::Lddw { dst, .. } => {
                bt.clear_reg(dst);
                return Ok(());
            }
            Op::Legacy { .. } => {
                if bt.is_reg(0) {
                    return Err(Stop::NotSupported);
                }
                if subseq != idx as i64 + 1 {
                    if bt.frame + 1 >= MAX_CALL_FRAMES {
                        return Err(Stop::NotSupported);
                    }
                    bt.frame += 1;
                    bt.regs[bt.frame] = 0;
                    bt.stack[bt.frame] = 0;
                }
                return Ok(());
            }
            _ => {}
        }
        bt.sync_linked(h);
        Ok(())
    }

    /// `propagate_precision`: the current path was pruned by checkpoint `old`; what `old` needed
    /// precise (its live registers and spilled scalars) the current chain needs too.
    pub(super) fn propagate_precision(&mut self, old: usize, live: u16) -> VResult<()> {
        if !self.bpf_capable {
            return Ok(());
        }
        let st = &self.checkpoints[old].state;
        let mut bt = Backtrack::new(self.cur.curframe());
        let mut lines = String::new();
        let last = st.frames.len() - 1;
        for fr in (0..st.frames.len()).rev() {
            let f = &st.frames[fr];
            let mut first = true;
            for i in 0..10u8 {
                let r = &f.regs[i as usize];
                if r.ty != SCALAR || !r.precise || (fr == last && live & (1 << i) == 0) {
                    continue;
                }
                lines.push_str(&if first { format!("frame {fr}: propagating r{i}") } else { format!(",r{i}") });
                bt.set_frame_reg(fr, i);
                first = false;
            }
            for (i, s) in f.stack.iter().enumerate() {
                if !s.is_spill() || s.spilled.ty != SCALAR || !s.spilled.precise || i >= 64 {
                    continue;
                }
                let off = -(i as i64 + 1) * 8;
                lines.push_str(&if first { format!("frame {fr}: propagating fp{off}") } else { format!(",fp{off}") });
                bt.set_slot(fr, i);
                first = false;
            }
            if !first {
                lines.push('\n');
            }
        }
        if self.log.level2() && !lines.is_empty() {
            self.log.write(&lines);
        }
        self.mark_chain_batch(bt)
    }
}

fn push_linked(out: &mut LinkedRegs, f: u8, i: u8, is_reg: bool) {
    if (out.cnt as usize) < out.entries.len() {
        out.entries[out.cnt as usize] = (f, i, is_reg);
        out.cnt += 1;
    }
}
