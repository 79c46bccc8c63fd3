//! Dynptrs, iterators and state equivalence.
//!
//! A dynptr lives in two stack slots (16 bytes at an 8-aligned constant offset): the first slot
//! (the lower address) holds its kind, id and reference. Initialising one over a live referenced
//! dynptr is refused; overwriting an unreferenced one kills it and its slices; releasing a
//! ring-buffer dynptr kills every clone sharing the reference and their slices. Slices of packet
//! dynptrs die when the packet changes. Iterators (`bpf_iter_num_*`) take one slot and a reference
//! from `_new` to `_destroy`.
//!
//! States are equal (for pruning) when every live register and stack byte of the explored state
//! covers the current one: same types, ranges within, ids mapping one to one.

use super::explore::Verifier;
use super::scalar::Scalar;
use super::state::*;
use super::{refuse, VResult};
use crate::bpf::protos::kfuncs::Kfunc;
use crate::errno::Errno;

pub(super) const ITER_ACTIVE: u8 = 1;
const ITER_DRAINED: u8 = 2;

impl Verifier<'_> {
    /// `stack_slot_obj_get_spi` for a 16-byte dynptr.
    pub(super) fn dynptr_spi(&self, reg: &Reg) -> VResult<usize> {
        self.obj_spi(reg, "dynptr", 2)
    }

    fn obj_spi(&self, reg: &Reg, kind: &str, nr_slots: usize) -> VResult<usize> {
        let Some(v) = reg.var.is_const() else {
            return refuse(Errno::EINVAL, format!("{kind} has to be at a constant offset"));
        };
        let off = reg.off as i64 + v as i64;
        if off % 8 != 0 {
            return refuse(Errno::EINVAL, format!("cannot pass in {kind} at an offset={off}"));
        }
        let spi = (-off - 1) / 8;
        if spi + 1 < nr_slots as i64 {
            return refuse(Errno::EINVAL, format!("cannot pass in {kind} at an offset={off}"));
        }
        let fr = &self.cur.frames[reg.frameno as usize];
        if spi as usize >= fr.stack.len() {
            return Err(super::Refusal { errno: Errno::ERANGE, line: String::new() });
        }
        Ok(spi as usize)
    }

    fn dynptr_valid_init(&self, reg: &Reg) -> bool {
        if reg.ty == CONST_PTR_TO_DYNPTR {
            return true;
        }
        let Ok(spi) = self.dynptr_spi(reg) else { return false };
        let st = &self.cur.frames[reg.frameno as usize].stack;
        spi >= 1
            && st[spi].dynptr_first
            && st[spi].bytes.iter().all(|&b| b == SlotByte::Dynptr)
            && st[spi - 1].bytes.iter().all(|&b| b == SlotByte::Dynptr)
    }

    /// The dynptr a register points to: (kind, id, ref_obj_id, rdonly).
    fn dynptr_info(&self, reg: &Reg) -> (DynptrKind, u32, u32) {
        if reg.ty == CONST_PTR_TO_DYNPTR {
            return (reg.dynptr, reg.id, reg.ref_obj_id);
        }
        match self.dynptr_spi(reg) {
            Ok(spi) => {
                let s = &self.cur.frames[reg.frameno as usize].stack[spi].spilled;
                (s.dynptr, s.id, s.ref_obj_id)
            }
            Err(_) => (DynptrKind::Invalid, 0, 0),
        }
    }

    /// A helper's dynptr argument (`process_dynptr_func`, arguments numbered as helpers number them).
    pub(super) fn process_dynptr_arg(&mut self, pc: usize, regno: u8, arg: u32, meta: &mut impl DynptrMeta, clone_ref: u32) -> VResult<()> {
        self.dynptr_arg(pc, regno, regno as usize - 1, arg, meta, clone_ref)
    }

    pub(super) fn process_dynptr_arg_kfunc(
        &mut self,
        pc: usize,
        regno: u8,
        argn: usize,
        arg: u32,
        meta: &mut impl DynptrMeta,
        clone_ref: u32,
    ) -> VResult<()> {
        self.dynptr_arg(pc, regno, argn, arg, meta, clone_ref)
    }

    fn dynptr_arg(&mut self, pc: usize, regno: u8, argn: usize, arg: u32, meta: &mut impl DynptrMeta, clone_ref: u32) -> VResult<()> {
        let reg = *self.cur.reg(regno);
        if reg.ty != PTR_TO_STACK && reg.ty != CONST_PTR_TO_DYNPTR {
            return refuse(Errno::EINVAL, format!("arg#{} expected pointer to stack or const struct bpf_dynptr", regno - 1));
        }
        if arg & MEM_UNINIT != 0 {
            let ok = reg.ty != CONST_PTR_TO_DYNPTR
                && match self.dynptr_spi(&reg) {
                    Ok(_) => true,
                    Err(e) => e.errno == Errno::ERANGE,
                };
            if !ok {
                if reg.ty == PTR_TO_STACK {
                    if let Err(e) = self.dynptr_spi(&reg) {
                        if e.errno != Errno::ERANGE {
                            self.log.line(&e.line);
                        }
                    }
                }
                return refuse(Errno::EINVAL, "Dynptr has to be an uninitialized dynptr");
            }
            for i in (0..16).step_by(8) {
                self.check_mem(pc, regno, i, crate::bpf::isa::Size::DW, true, None, false)?;
            }
            self.mark_dynptr(pc, &reg, dynptr_kind_of_flag(arg), clone_ref)?;
            let (_, id, r) = self.dynptr_info(&reg);
            meta.set_dynptr(dynptr_kind_of_flag(arg), id, r);
            return Ok(());
        }
        if reg.ty == CONST_PTR_TO_DYNPTR && arg & MEM_RDONLY == 0 {
            return refuse(Errno::EINVAL, "cannot pass pointer to const bpf_dynptr, the helper mutates it");
        }
        if !self.dynptr_valid_init(&reg) {
            return refuse(Errno::EINVAL, format!("Expected an initialized dynptr as arg #{argn}"));
        }
        let (kind, id, r) = self.dynptr_info(&reg);
        let want = dynptr_kind_of_flag(arg);
        if want != DynptrKind::Invalid && want != kind {
            return refuse(Errno::EINVAL, format!("Expected a dynptr of type {} as arg #{argn}", want.name()));
        }
        meta.set_dynptr(kind, id, r);
        // Its slots count as touched: the log shows the dynptr after the call.
        if reg.ty == PTR_TO_STACK {
            if let Ok(spi) = self.dynptr_spi(&reg) {
                self.log.scratch_slot(spi);
                self.log.scratch_slot(spi - 1);
                self.live_stack_read(reg.frameno as usize, spi);
                self.live_stack_read(reg.frameno as usize, spi - 1);
            }
        }
        Ok(())
    }

    fn mark_dynptr(&mut self, pc: usize, reg: &Reg, kind: DynptrKind, clone_ref: u32) -> VResult<()> {
        let spi = self.dynptr_spi(reg)?;
        let fr = reg.frameno as usize;
        self.destroy_if_dynptr_slot(fr, spi)?;
        self.destroy_if_dynptr_slot(fr, spi - 1)?;
        let id = self.new_id();
        let ref_obj_id = if kind.refcounted() {
            if clone_ref != 0 {
                clone_ref
            } else {
                self.acquire_reference(pc)
            }
        } else {
            0
        };
        self.live_stack_write(fr, spi);
        self.live_stack_write(fr, spi - 1);
        let st = &mut self.cur.frames[fr].stack;
        for (s, first) in [(spi, true), (spi - 1, false)] {
            st[s].bytes = [SlotByte::Dynptr; 8];
            st[s].dynptr_first = first;
            // parent_id: the dynptr the log names it by (`dynptr_id`), its own until a clone's.
            st[s].spilled = Reg { dynptr: kind, id, ref_obj_id, parent_id: id, ..Reg::ptr(CONST_PTR_TO_DYNPTR) };
        }
        Ok(())
    }

    /// The `dynptr_id` of the dynptr a stack register points to (0 if none).
    pub(super) fn dynptr_origin(&self, reg: &Reg) -> u32 {
        match self.dynptr_spi(reg) {
            Ok(spi) if reg.ty == PTR_TO_STACK => self.cur.frames[reg.frameno as usize].stack[spi].spilled.parent_id,
            _ => 0,
        }
    }

    /// A clone is logged under its source's `dynptr_id`.
    pub(super) fn set_dynptr_origin(&mut self, reg: &Reg, origin: u32) {
        if origin == 0 || reg.ty != PTR_TO_STACK {
            return;
        }
        if let Ok(spi) = self.dynptr_spi(reg) {
            let st = &mut self.cur.frames[reg.frameno as usize].stack;
            for s in [spi, spi - 1] {
                st[s].spilled.parent_id = origin;
            }
        }
    }

    /// Writing over a dynptr's slot: an unreferenced one dies (and its slices), a referenced one
    /// may not be overwritten.
    pub(super) fn destroy_if_dynptr_slot(&mut self, fr: usize, spi: usize) -> VResult<()> {
        let stack = &self.cur.frames[fr].stack;
        if spi >= stack.len() || stack[spi].bytes[0] != SlotByte::Dynptr {
            return Ok(());
        }
        let spi = if stack[spi].dynptr_first { spi } else { spi + 1 };
        if spi >= stack.len() {
            return Ok(());
        }
        if stack[spi].spilled.dynptr.refcounted() {
            return refuse(Errno::EINVAL, "cannot overwrite referenced dynptr");
        }
        let id = stack[spi].spilled.id;
        self.invalidate_dynptr(fr, spi, id);
        Ok(())
    }

    fn invalidate_dynptr(&mut self, fr: usize, spi: usize, id: u32) {
        self.live_stack_write(fr, spi);
        self.live_stack_write(fr, spi - 1);
        let st = &mut self.cur.frames[fr].stack;
        for s in [spi, spi - 1] {
            st[s].bytes = [SlotByte::Invalid; 8];
            st[s].spilled = Reg::NOT_INIT;
            st[s].dynptr_first = false;
        }
        let leaks = self.allow_ptr_leaks;
        // Only plain memory slices go (the kernel compares the exact type): a read-only slice
        // (bpf_dynptr_slice's) outlives its dynptr's slots being written over.
        self.cur.for_each_reg(|r| {
            let plain = r.ty == PTR_TO_MEM || r.ty == PTR_TO_MEM | PTR_MAYBE_NULL;
            if plain && r.parent_id == id && id != 0 {
                *r = if leaks { Reg::unknown() } else { Reg::NOT_INIT };
            }
        });
    }

    /// Releasing a dynptr: a ring-buffer one takes its clones and slices with it.
    pub(super) fn unmark_dynptr(&mut self, regno: u8) -> VResult<()> {
        let reg = *self.cur.reg(regno);
        let spi = self.dynptr_spi(&reg)?;
        let fr = reg.frameno as usize;
        let s = self.cur.frames[fr].stack[spi].spilled;
        if !s.dynptr.refcounted() {
            self.invalidate_dynptr(fr, spi, s.id);
            return Ok(());
        }
        let ref_id = s.ref_obj_id;
        self.release_reference(ref_id)?;
        for f in 0..self.cur.frames.len() {
            let n = self.cur.frames[f].stack.len();
            for i in 1..n {
                let sl = self.cur.frames[f].stack[i];
                if sl.bytes[0] == SlotByte::Dynptr && sl.dynptr_first && sl.spilled.ref_obj_id == ref_id {
                    self.invalidate_dynptr(f, i, sl.spilled.id);
                }
            }
        }
        Ok(())
    }

    // ---- open-coded iterators

    pub(super) fn process_iter_arg(&mut self, pc: usize, regno: u8, argn: usize, k: &Kfunc) -> VResult<()> {
        use crate::bpf::protos::kfuncs::{KF_ITER_DESTROY, KF_ITER_NEW};
        let reg = *self.cur.reg(regno);
        if reg.ty != PTR_TO_STACK {
            return refuse(Errno::EINVAL, format!("arg#{argn} expected pointer to an iterator on stack"));
        }
        let spi = match self.obj_spi(&reg, "iter", 1) {
            Ok(s) => Some(s),
            Err(e) if e.errno == Errno::ERANGE => None,
            Err(e) => return Err(e),
        };
        let fr = reg.frameno as usize;
        let iter_name = k.args[0].ty.trim_start_matches("struct ").trim_end_matches('*').trim().trim_start_matches("bpf_iter_").to_string();
        if k.flags & KF_ITER_NEW != 0 {
            if let Some(spi) = spi {
                if self.cur.frames[fr].stack[spi].is_iter() {
                    return refuse(Errno::EINVAL, format!("expected uninitialized iter_{iter_name} as arg #{argn}"));
                }
                self.destroy_if_dynptr_slot(fr, spi)?;
            }
            self.check_mem(pc, regno, 0, crate::bpf::isa::Size::DW, true, None, false)?;
            let spi = self.obj_spi(&reg, "iter", 1)?;
            let id = self.acquire_reference(pc);
            self.live_stack_write(fr, spi);
            let st = &mut self.cur.frames[fr].stack[spi];
            st.bytes = [SlotByte::Iter; 8];
            st.spilled = Reg { ref_obj_id: id, ..Reg::ptr(PTR_TO_STACK) };
            st.iter_state = ITER_ACTIVE;
            st.iter_depth = 0;
            return Ok(());
        }
        let valid = spi.is_some_and(|s| self.cur.frames[fr].stack[s].is_iter());
        if !valid {
            return refuse(Errno::EINVAL, format!("expected an initialized iter_{iter_name} as arg #{argn}"));
        }
        let spi = spi.expect("checked");
        self.live_stack_read(fr, spi);
        if k.flags & KF_ITER_DESTROY != 0 {
            self.live_stack_write(fr, spi);
            let id = self.cur.frames[fr].stack[spi].spilled.ref_obj_id;
            let st = &mut self.cur.frames[fr].stack[spi];
            st.bytes = [SlotByte::Invalid; 8];
            st.spilled = Reg::NOT_INIT;
            st.iter_state = 0;
            self.cur.refs.retain(|r| r.id != id);
        }
        Ok(())
    }

    /// `_next` (`process_iter_next_call`): the walk goes on with the iterator drained (r0 NULL);
    /// the path where it yields (r0 its element, the iterator one level deeper) is queued, its
    /// imprecise scalars widened against the previous visit of this call on the path.
    pub(super) fn iter_next(&mut self, pc: usize, it: &Reg, r0: Reg) -> VResult<()> {
        let fr = it.frameno as usize;
        let spi = self.obj_spi(it, "iter", 1)?;
        let active = self.cur.frames[fr].stack[spi].iter_state == ITER_ACTIVE;
        if active {
            let mut queued = self.cur.clone();
            let slot = &mut queued.frames[fr].stack[spi];
            slot.iter_state = ITER_ACTIVE;
            slot.iter_depth += 1;
            let mut r = r0;
            r.ty &= !PTR_MAYBE_NULL;
            // The element dies with its iterator: it carries the iterator's reference.
            r.ref_obj_id = queued.frames[fr].stack[spi].spilled.ref_obj_id;
            *queued.reg_mut(0) = r;
            if let Some(prev) = self.prev_entry(pc) {
                widen_imprecise(&self.checkpoints[prev].state, &mut queued);
            }
            let keep = std::mem::replace(&mut self.cur, queued);
            let pushed = self.push_branch(pc + 1, pc);
            self.cur = keep;
            pushed?;
        }
        self.cur.frames[fr].stack[spi].iter_state = ITER_DRAINED;
        self.log.scratch_slot(spi);
        *self.cur.reg_mut(0) = Reg::known(0);
        Ok(())
    }

    /// Whether the iterator `_next` at `pc` advances (its argument, still in r1) is active.
    pub(super) fn iter_arg_active(&self) -> bool {
        let r = *self.cur.reg(1);
        if r.ty != PTR_TO_STACK {
            return false;
        }
        let Ok(spi) = self.obj_spi(&r, "iter", 1) else { return false };
        self.cur.frames.get(r.frameno as usize).and_then(|f| f.stack.get(spi)).is_some_and(|s| s.is_iter() && s.iter_state == ITER_ACTIVE)
    }

    /// The checkpoint of the previous visit of `pc` on this path (`find_prev_entry`): the
    /// current path's own checkpoint at `pc` (just made, the call being a forced one) skipped.
    pub(super) fn prev_entry(&self, pc: usize) -> Option<usize> {
        let mut at = match self.parent {
            Some(p) if self.checkpoints[p].pc == pc => self.checkpoints[p].parent,
            p => p,
        };
        while let Some(i) = at {
            let c = &self.checkpoints[i];
            if c.pc == pc && super::calls::same_callsites(&c.state, &self.cur) {
                return Some(i);
            }
            at = c.parent;
        }
        None
    }
}

/// `widen_imprecise_scalars`: every scalar of `cur` (registers and spilled, every frame) that
/// neither state has marked precise and that differs from `old`'s becomes unknown: a counter that
/// nothing needed exactly stops telling iterations apart, so the loop converges.
pub fn widen_imprecise(old: &State, cur: &mut State) {
    let widen = |o: &Reg, c: &mut Reg| {
        if o.ty == SCALAR && c.ty == SCALAR && !o.precise && !c.precise && !(o.var == c.var && o.id == c.id && o.off == c.off) {
            *c = Reg::unknown();
        }
    };
    for (of, cf) in old.frames.iter().zip(cur.frames.iter_mut()) {
        for (o, c) in of.regs.iter().zip(cf.regs.iter_mut()) {
            widen(o, c);
        }
        for (o, c) in of.stack.iter().zip(cf.stack.iter_mut()) {
            if o.is_spill() && c.is_spill() {
                widen(&o.spilled, &mut c.spilled);
            }
        }
    }
}


/// What dynptr argument processing reports back to a call.
pub trait DynptrMeta {
    fn set_dynptr(&mut self, kind: DynptrKind, id: u32, ref_obj_id: u32);
}

// ---- state equivalence

struct IdMap(Vec<(u32, u32)>, u32);

impl IdMap {
    fn check(&mut self, old: u32, cur: u32) -> bool {
        if old == 0 && cur == 0 {
            return true;
        }
        if old == 0 || cur == 0 {
            return old == cur;
        }
        for &(o, c) in &self.0 {
            if o == old {
                return c == cur;
            }
            if c == cur {
                return false;
            }
        }
        self.0.push((old, cur));
        true
    }
    /// Scalar ids: an old unlinked scalar accepts anything; a current unlinked one stands for
    /// an id of its own (so two old copies cannot both match unrelated current scalars). An id
    /// with BPF_ADD_CONST maps consistently both whole and without the flag.
    fn check_scalar(&mut self, old: u32, cur: u32) -> bool {
        if old == 0 {
            return true;
        }
        let cur = if cur == 0 {
            self.1 += 1;
            (1 << 29) | self.1
        } else {
            cur
        };
        if !self.check(old, cur) {
            return false;
        }
        old & BPF_ADD_CONST == 0 || self.check(old & !BPF_ADD_CONST, cur & !BPF_ADD_CONST)
    }
}

fn scalar_within(old: &Scalar, cur: &Scalar) -> bool {
    cur.within(old)
}

fn reg_safe(old: &Reg, cur: &Reg, exact: bool, ids: &mut IdMap) -> bool {
    if old.ty == NOT_INIT {
        return !exact || cur.ty == NOT_INIT;
    }
    if exact {
        return old.ty == cur.ty
            && old.off == cur.off
            && old.var == cur.var
            && old.map == cur.map
            && old.range == cur.range
            && old.mem_size == cur.mem_size
            && old.dynptr == cur.dynptr
            && old.frameno == cur.frameno
            && old.btf_id == cur.btf_id
            && ids.check(old.id, cur.id)
            && ids.check(old.ref_obj_id, cur.ref_obj_id);
    }
    if old.ty != cur.ty {
        return false;
    }
    match base(old.ty) {
        SCALAR => {
            // Linked with a delta (and its width) on one side only, or by another delta: not alike.
            let (old_delta, cur_delta) = (old.id & BPF_ADD_CONST, cur.id & BPF_ADD_CONST);
            if (old.id != 0 && old_delta != cur_delta) || (old_delta != 0 && old.off != cur.off) {
                return false;
            }
            ids.check_scalar(old.id, cur.id) && scalar_within(&old.var, &cur.var)
        }
        PTR_TO_MAP_KEY | PTR_TO_MAP_VALUE | PTR_TO_MEM | PTR_TO_BUF | PTR_TO_TP_BUFFER => {
            old.off == cur.off
                && old.map == cur.map
                && old.mem_size == cur.mem_size
                && old.dynptr == cur.dynptr
                && scalar_within(&old.var, &cur.var)
                && ids.check(old.id, cur.id)
                && ids.check(old.ref_obj_id, cur.ref_obj_id)
                && ids.check(old.parent_id, cur.parent_id)
        }
        PTR_TO_PACKET | PTR_TO_PACKET_META => {
            old.range <= cur.range
                && !(old.range < 0 && old.range != cur.range)
                && old.off == cur.off
                && ids.check(old.id, cur.id)
                && scalar_within(&old.var, &cur.var)
        }
        _ => {
            old.off == cur.off
                && old.var == cur.var
                && old.map == cur.map
                && old.frameno == cur.frameno
                && old.dynptr == cur.dynptr
                && old.subprog == cur.subprog
                && old.btf_id == cur.btf_id
                && ids.check(old.id, cur.id)
                && ids.check(old.ref_obj_id, cur.ref_obj_id)
        }
    }
}

/// A slot read as a 64-bit scalar (`scalar_reg_for_stack`): a whole spilled scalar, or all
/// misc bytes (never-written bytes count as misc where uninitialised stack may be read), which
/// load as an unknown scalar.
fn slot_scalar(s: &Slot, allow_uninit: bool) -> Option<Reg> {
    if s.bytes[0] == SlotByte::Spill && s.spilled.ty == SCALAR {
        return Some(s.spilled);
    }
    let all_misc = s.bytes.iter().all(|&b| b == SlotByte::Misc || (b == SlotByte::Invalid && allow_uninit));
    all_misc.then(Reg::unknown)
}

/// A scalar `old` covers `cur`: an imprecise one any scalar, unless ranges are compared (loop
/// heads: `range_within`) or everything must be equal (`exact`).
fn scalar_safe(old: &Reg, cur: &Reg, exact: bool, range_within: bool, ids: &mut IdMap) -> bool {
    if !exact && !range_within && !old.precise {
        return true;
    }
    reg_safe(old, cur, exact, ids)
}

/// `stacksafe`: byte by byte, what the explored frame's stack held that the walk may have used,
/// the current one holds too. `range_within`: imprecise spilled scalars are compared too (by
/// range), as at loop heads. `allow_uninit`: never-written bytes read as unknown (CAP_PERFMON).
fn stack_safe(old: &Frame, cur: &Frame, exact: bool, allow_uninit: bool, range_within: bool, ids: &mut IdMap) -> bool {
    for (spi, os) in old.stack.iter().enumerate() {
        let beyond = spi >= cur.stack.len();
        let cs = cur.stack.get(spi).copied().unwrap_or(Slot::EMPTY);
        if exact {
            if beyond || os.bytes != cs.bytes || os.iter_state != cs.iter_state || os.dynptr_first != cs.dynptr_first {
                return false;
            }
            if (os.is_spill() || os.is_dynptr() || os.is_iter()) && !reg_safe(&os.spilled, &cs.spilled, true, ids) {
                return false;
            }
            continue;
        }
        let mut j = 0;
        while j < 8 {
            let ob = os.bytes[j];
            if ob == SlotByte::Invalid || (allow_uninit && ob == SlotByte::Misc) {
                j += 1;
                continue;
            }
            if beyond {
                return false;
            }
            if let (Some(o), Some(c)) = (slot_scalar(os, allow_uninit), slot_scalar(&cs, allow_uninit)) {
                if !scalar_safe(&o, &c, exact, range_within, ids) {
                    return false;
                }
                break;
            }
            let cb = cs.bytes[j];
            if ob == SlotByte::Misc && cb == SlotByte::Zero {
                j += 1;
                continue;
            }
            if ob != cb {
                return false;
            }
            if j != 7 {
                j += 1;
                continue;
            }
            match os.bytes[7] {
                SlotByte::Spill => {
                    let scalars = os.spilled.ty == SCALAR && cs.spilled.ty == SCALAR;
                    let ok = if scalars {
                        scalar_safe(&os.spilled, &cs.spilled, exact, range_within, ids)
                    } else {
                        reg_safe(&os.spilled, &cs.spilled, false, ids)
                    };
                    if !ok {
                        return false;
                    }
                }
                SlotByte::Dynptr => {
                    if os.dynptr_first != cs.dynptr_first
                        || os.spilled.dynptr != cs.spilled.dynptr
                        || !ids.check(os.spilled.ref_obj_id, cs.spilled.ref_obj_id)
                    {
                        return false;
                    }
                }
                SlotByte::Iter => {
                    if os.iter_state != cs.iter_state || !ids.check(os.spilled.ref_obj_id, cs.spilled.ref_obj_id) {
                        return false;
                    }
                }
                _ => {}
            }
            j += 1;
        }
    }
    true
}

/// Whether the explored state `old` covers `cur` (or, `exact`, equals it: a loop that made no
/// progress). `live` is the current frame's live registers. A scalar `old` has not marked precise
/// matches any scalar (`regsafe`), unless `range_within` (loop heads: the kernel's RANGE_WITHIN).
pub fn states_equal(old: &State, cur: &State, live: &u16, range_within: bool, exact: bool, allow_uninit: bool) -> bool {
    // a speculative path's state covers only speculative ones
    if old.speculative && !cur.speculative {
        return false;
    }
    if old.frames.len() != cur.frames.len() || old.refs.len() != cur.refs.len() {
        return false;
    }
    if old.active_rcu != cur.active_rcu || old.active_preempt != cur.active_preempt || old.active_lock != cur.active_lock {
        return false;
    }
    let mut ids = IdMap(Vec::with_capacity(8), 0);
    if old.active_lock > 0 && (old.lock_map != cur.lock_map || !ids.check(old.lock_id, cur.lock_id)) {
        return false;
    }
    let last = old.frames.len() - 1;
    for (i, (of, cf)) in old.frames.iter().zip(&cur.frames).enumerate() {
        if of.callsite != cf.callsite {
            return false;
        }
        // A state that queued more visits of a callback than this one covers nothing of it.
        if of.callback_depth > cf.callback_depth {
            return false;
        }
        for r in 0..11 {
            if i == last && !exact && r != 10 && live & (1 << r) == 0 {
                continue;
            }
            let (o, c) = (&of.regs[r], &cf.regs[r]);
            if !exact && !range_within && !o.precise && o.ty == SCALAR && c.ty == SCALAR {
                continue;
            }
            if !reg_safe(&of.regs[r], &cf.regs[r], exact, &mut ids) {
                return false;
            }
        }
        if !stack_safe(of, cf, exact, allow_uninit, range_within, &mut ids) {
            return false;
        }
    }
    for (o, c) in old.refs.iter().zip(&cur.refs) {
        if !ids.check(o.id, c.id) {
            return false;
        }
    }
    true
}
