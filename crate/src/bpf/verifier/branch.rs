//! Conditional jumps: a branch the bounds decide is followed one way only; otherwise both sides
//! are walked, each with what the comparison proves: scalar bounds (shared by registers copied
//! from one another), packet ranges from comparisons with `data_end`, and null checks of
//! maybe-null pointers (every copy carrying the same id learns the answer).

use super::explore::Verifier;
use super::scalar::Scalar;
use super::state::*;
use super::{refuse, VResult};
use crate::bpf::isa::{Cond, Op, Operand, Width};
use crate::errno::Errno;

/// A packet pointer compared `>`/`>=` past `data_end` (kernel: BEYOND_PKT_END, AT_PKT_END).
const BEYOND_PKT_END: i32 = -2;
const AT_PKT_END: i32 = -1;

fn flip(c: Cond) -> Cond {
    match c {
        Cond::Gt => Cond::Lt,
        Cond::Ge => Cond::Le,
        Cond::Lt => Cond::Gt,
        Cond::Le => Cond::Ge,
        Cond::Sgt => Cond::Slt,
        Cond::Sge => Cond::Sle,
        Cond::Slt => Cond::Sgt,
        Cond::Sle => Cond::Sge,
        c => c,
    }
}

fn is_pkt_any(r: &Reg) -> bool {
    matches!(r.ty, PTR_TO_PACKET | PTR_TO_PACKET_META | PTR_TO_PACKET_END)
}

/// `reg_not_null`: pointer kinds that are never NULL.
pub(super) fn not_null(r: &Reg) -> bool {
    if r.ty & PTR_MAYBE_NULL != 0 {
        return false;
    }
    matches!(base(r.ty), PTR_TO_SOCKET | PTR_TO_TCP_SOCK | PTR_TO_MAP_VALUE | PTR_TO_MAP_KEY | PTR_TO_SOCK_COMMON | PTR_TO_MEM | CONST_PTR_TO_MAP)
        || (base(r.ty) == PTR_TO_BTF_ID && (r.ty & PTR_TRUSTED != 0 || r.ref_obj_id != 0))
        || (base(r.ty) == PTR_TO_BTF_ID && super::graph::is_trusted_alloc(r))
}

fn pkt_branch(dst: &Reg, src: &Reg, cond: Cond) -> Option<bool> {
    let (pkt, cond) = if src.ty == PTR_TO_PACKET_END {
        (dst, cond)
    } else if dst.ty == PTR_TO_PACKET_END {
        (src, flip(cond))
    } else {
        return None;
    };
    if pkt.range >= 0 {
        return None;
    }
    match cond {
        Cond::Le | Cond::Gt if pkt.range == BEYOND_PKT_END => Some(cond == Cond::Gt),
        Cond::Lt | Cond::Ge if pkt.range == BEYOND_PKT_END || pkt.range == AT_PKT_END => Some(cond == Cond::Ge),
        _ => None,
    }
}

/// `is_branch_taken`.
fn branch_taken(dst: &Reg, src: &Reg, cond: Cond, w: Width) -> Option<bool> {
    if is_pkt_any(dst) && is_pkt_any(src) && w == Width::W64 {
        return pkt_branch(dst, src, cond);
    }
    if dst.is_pointer() || src.is_pointer() {
        if w == Width::W32 {
            return None;
        }
        let (p, k, cond) = if src.is_const().is_some() { (dst, src, cond) } else { (src, dst, flip(cond)) };
        if k.is_const() != Some(0) || !not_null(p) {
            return None;
        }
        return match cond {
            Cond::Eq => Some(false),
            Cond::Ne => Some(true),
            _ => None,
        };
    }
    Scalar::branch(cond, w, &dst.var, &src.var)
}

impl Verifier<'_> {
    pub(super) fn check_cond_jmp(&mut self, pc: usize, op: Op) -> VResult<usize> {
        let Op::Jump { cond, w, dst, src, off } = op else { unreachable!("a conditional jump") };
        let target = (pc as i64 + 1 + off as i64) as usize;
        self.check_reg_read(dst)?;
        let d = *self.cur.reg(dst);
        let s = match src {
            Operand::Reg(r) => {
                self.check_reg_read(r)?;
                let s = *self.cur.reg(r);
                if !(is_pkt_any(&d) && is_pkt_any(&s)) && self.is_pointer_value(r) {
                    return refuse(Errno::EACCES, format!("R{r} pointer comparison prohibited"));
                }
                s
            }
            Operand::Imm(imm) => Reg::known(imm as i64 as u64),
        };
        // A stack pointer compared needs no precision (the history says which operand was one).
        let mut flags = 0;
        if matches!(src, Operand::Reg(_)) && s.ty == PTR_TO_STACK {
            flags |= super::precision::F_SRC_REG_STACK;
        }
        if d.ty == PTR_TO_STACK {
            flags |= super::precision::F_DST_REG_STACK;
        }
        if flags != 0 {
            self.push_hist(flags, Default::default());
        }
        let same = src == Operand::Reg(dst) && d.is_scalar();
        let decided = if same { Scalar::branch_same_reg(cond, w, &d.var) } else { branch_taken(&d, &s, cond, w) };
        let src_reg = match src {
            Operand::Reg(r) => Some(r),
            Operand::Imm(_) => None,
        };
        if decided.is_some() {
            // The walk relies on the compared values: they must be precise.
            if d.is_scalar() {
                self.mark_chain_precision(dst)?;
            }
            if let (Some(r), true) = (src_reg, s.is_scalar()) {
                self.mark_chain_precision(r)?;
            }
        }
        match decided {
            Some(true) => {
                self.push_speculative_branch(pc + 1, dst, src_reg)?;
                return Ok(target);
            }
            Some(false) => {
                self.push_speculative_branch(target, dst, src_reg)?;
                return Ok(pc + 1);
            }
            None => {}
        }
        // Scalars sharing an id with an operand learn its bounds: the history links their
        // precision (before the taken side is copied, so both sides share it).
        let mut linked = super::precision::LinkedRegs::default();
        if src_reg.is_some() && s.is_scalar() && s.id != 0 {
            self.collect_linked(s.id, &mut linked);
        }
        if d.is_scalar() && d.id != 0 {
            self.collect_linked(d.id, &mut linked);
        }
        if linked.cnt > 1 {
            self.push_hist(0, linked);
        }
        // The taken side is walked later, from a copy refined for "cond holds".
        let mut taken = self.cur.clone();
        let mut fall = std::mem::replace(&mut self.cur, taken.clone());
        if d.is_scalar() && s.is_scalar() {
            let live = self.info.live_in[pc];
            refine(&mut taken, dst, src_reg, &s, cond, w, true, live);
            refine(&mut fall, dst, src_reg, &s, cond, w, false, live);
        }
        if w == Width::W64
            && src_reg.is_some()
            && d.is_pointer()
            && s.is_pointer()
            && base(d.ty) != PTR_TO_BTF_ID
            && base(s.ty) != PTR_TO_BTF_ID
        {
            let eq_side = match cond {
                Cond::Eq => Some(&mut taken),
                Cond::Ne => Some(&mut fall),
                _ => None,
            };
            // Only the compared register learns it is not NULL (`mark_ptr_not_null_reg`), not
            // its copies sharing the id; it keeps that id.
            if let (Some(st), Some(sr)) = (eq_side, src_reg) {
                // The other must be a kind never NULL; the kernel counts a checked XDP socket
                // among them here (a second xskmap lookup equal to a checked one), though not a
                // stack, context or packet pointer.
                let known = |r: &Reg| not_null(r) || base(r.ty) == PTR_TO_XDP_SOCK && !r.maybe_null();
                if known(&d) && s.maybe_null() {
                    st.reg_mut(sr).ty &= !PTR_MAYBE_NULL;
                }
                if known(&s) && d.maybe_null() {
                    st.reg_mut(dst).ty &= !PTR_MAYBE_NULL;
                }
            }
        }
        if w == Width::W64 && src_reg.is_none() && s.is_const() == Some(0) && matches!(cond, Cond::Eq | Cond::Ne) && d.maybe_null() {
            let maps = self.input.maps;
            let lock_in = |r: &Reg| {
                if base(r.ty) == PTR_TO_MAP_VALUE {
                    maps.get(r.map as usize).is_some_and(|m| {
                        m.fields.iter().any(|f| matches!(f.kind, super::FieldKind::SpinLock | super::FieldKind::Other("bpf_res_spin_lock")))
                    })
                } else {
                    self.local_record(r.btf_id).is_some_and(|rec| rec.field(super::FieldKind::SpinLock).is_some())
                }
            };
            mark_ptr_or_null(&mut fall, d.id, cond == Cond::Ne, &lock_in);
            mark_ptr_or_null(&mut taken, d.id, cond == Cond::Eq, &lock_in);
        } else if !match_pkt_pointers(&mut fall, &mut taken, dst, src_reg, &d, &s, cond, w) && self.is_pointer_value(dst) {
            return refuse(Errno::EACCES, format!("R{dst} pointer comparison prohibited"));
        }
        self.cur = taken;
        self.push_branch(target, pc)?;
        self.cur = fall;
        Ok(pc + 1)
    }
}

/// Refines both operands (and every register linked to them by id) for the side where `cond`
/// holds.
/// `live`: the current frame's live registers (6.18 links only those).
#[allow(clippy::too_many_arguments)]
fn refine(st: &mut State, dst: u8, src: Option<u8>, s: &Reg, cond: Cond, w: Width, holds: bool, live: u16) {
    if src == Some(dst) {
        return;
    }
    let mut a = st.reg(dst).var;
    let mut b = match src {
        Some(r) => st.reg(r).var,
        None => s.var,
    };
    if holds {
        Scalar::refine(cond, w, &mut a, &mut b);
    } else {
        Scalar::refine_not(cond, w, &mut a, &mut b);
    }
    st.reg_mut(dst).var = a;
    sync_linked(st, dst, live);
    if let Some(r) = src {
        st.reg_mut(r).var = b;
        sync_linked(st, r, live);
    }
}

/// Copies a register's refined bounds to every scalar linked to it: the same bounds where the
/// two carry the same delta from their common origin, shifted by the difference otherwise.
fn sync_linked(st: &mut State, r: u8, live: u16) {
    let known = *st.reg(r);
    if known.id == 0 || !known.is_scalar() {
        return;
    }
    let origin = known.id & !BPF_ADD_CONST;
    let delta_of = |x: &Reg| if x.id & BPF_ADD_CONST != 0 { x.off } else { 0 };
    let known_delta = delta_of(&known);
    let last = st.curframe();
    let sync = |x: &mut Reg| {
        if !x.is_scalar() || x.id & !BPF_ADD_CONST != origin {
            return;
        }
        // A 32-bit and a 64-bit delta from one origin do not relate the two.
        if (x.id ^ known.id) & BPF_ADD_CONST == BPF_ADD_CONST {
            return;
        }
        let both_plain = x.id & BPF_ADD_CONST == 0 && known.id & BPF_ADD_CONST == 0;
        if both_plain || x.off == known.off {
            x.var = known.var;
        } else {
            let mut v = known.var;
            let shift = (delta_of(x) as i64 - known_delta as i64) as u64;
            v.alu(crate::bpf::isa::AluOp::Add, Width::W64, &Scalar::constant(shift));
            // A 32-bit link's value is the low half of the sum.
            if (x.id | known.id) & BPF_ADD_CONST32 != 0 {
                v.zext_low32();
            }
            x.var = v;
        }
    };
    for (fi, fr) in st.frames.iter_mut().enumerate() {
        for (i, x) in fr.regs.iter_mut().enumerate() {
            // A dead register of the current frame is not among the linked ones.
            if fi == last && i as u8 != r && live & (1 << i) == 0 {
                continue;
            }
            sync(x);
        }
        for sl in fr.stack.iter_mut() {
            if sl.is_spill() || sl.is_dynptr() {
                sync(&mut sl.spilled);
            }
        }
    }
}

/// The result of a null check: every copy of the pointer (same id) becomes the NULL scalar or
/// the non-null pointer. A NULL result of an acquiring call releases its reference.
/// `lock_in`: whether a map value may hold a spin lock, whose identity the id then keeps.
pub(super) fn mark_ptr_or_null(st: &mut State, id: u32, is_null: bool, lock_in: &dyn Fn(&Reg) -> bool) {
    if id == 0 {
        return;
    }
    let mut release = 0;
    st.for_each_reg(|r| {
        if r.ty & PTR_MAYBE_NULL != 0 && r.id == id {
            if is_null {
                // Only the acquired object itself (its null-check id is its reference) is gone
                // when NULL; a slice of a referenced dynptr leaves the dynptr's reference held.
                if r.ref_obj_id != 0 && r.ref_obj_id == id {
                    release = r.ref_obj_id;
                }
                *r = Reg::known(0);
            } else {
                r.ty &= !PTR_MAYBE_NULL;
                // A map value or an allocated object holding a lock keeps its id: the lock is
                // known by it (`reg_may_point_to_spin_lock`).
                let keeps = (base(r.ty) == PTR_TO_MAP_VALUE || r.ty & MEM_ALLOC != 0) && lock_in(r);
                if !keeps {
                    r.id = 0;
                }
            }
        }
    });
    if is_null && release != 0 {
        st.refs.retain(|x| x.id != release);
    }
}

/// `find_good_pkt_pointers`: every packet pointer with this one's id may now read `off` bytes.
fn good_pkt_pointers(st: &mut State, ptr: &Reg, right_open: bool) {
    if ptr.off < 0 || (ptr.off == 0 && right_open) {
        return;
    }
    if ptr.var.umax > super::mem::MAX_PKT || ptr.var.umax + ptr.off as u64 > super::mem::MAX_PKT {
        return;
    }
    let mut range = ptr.off;
    if right_open {
        range += 1;
    }
    st.for_each_reg(|r| {
        if r.ty == ptr.ty && r.id == ptr.id {
            r.range = r.range.max(range);
        }
    });
}

fn mark_pkt_end(st: &mut State, regno: u8, open: bool) {
    let r = st.reg_mut(regno);
    if r.ty == PTR_TO_PACKET {
        r.range = if open { BEYOND_PKT_END } else { AT_PKT_END };
    }
}

fn init_pkt(r: &Reg, ty: u32) -> bool {
    r.ty == ty && r.off == 0 && r.var.is_const() == Some(0)
}

/// `try_match_pkt_pointers`: `fall` is the side where the comparison failed, `taken` where it held.
#[allow(clippy::too_many_arguments)]
fn match_pkt_pointers(fall: &mut State, taken: &mut State, dst: u8, src: Option<u8>, d: &Reg, s: &Reg, cond: Cond, w: Width) -> bool {
    let Some(src) = src else { return false };
    if w == Width::W32 {
        return false;
    }
    let dst_first = (d.ty == PTR_TO_PACKET && s.ty == PTR_TO_PACKET_END) || (d.ty == PTR_TO_PACKET_META && init_pkt(s, PTR_TO_PACKET));
    let src_first = (d.ty == PTR_TO_PACKET_END && s.ty == PTR_TO_PACKET) || (init_pkt(d, PTR_TO_PACKET) && s.ty == PTR_TO_PACKET_META);
    match cond {
        Cond::Gt if dst_first => {
            good_pkt_pointers(fall, d, false);
            mark_pkt_end(taken, dst, true);
        }
        Cond::Gt if src_first => {
            good_pkt_pointers(taken, s, true);
            mark_pkt_end(fall, src, false);
        }
        Cond::Lt if dst_first => {
            good_pkt_pointers(taken, d, true);
            mark_pkt_end(fall, dst, false);
        }
        Cond::Lt if src_first => {
            good_pkt_pointers(fall, s, false);
            mark_pkt_end(taken, src, true);
        }
        Cond::Ge if dst_first => {
            good_pkt_pointers(fall, d, true);
            mark_pkt_end(taken, dst, false);
        }
        Cond::Ge if src_first => {
            good_pkt_pointers(taken, s, false);
            mark_pkt_end(fall, src, true);
        }
        Cond::Le if dst_first => {
            good_pkt_pointers(taken, d, false);
            mark_pkt_end(fall, dst, true);
        }
        Cond::Le if src_first => {
            good_pkt_pointers(fall, s, true);
            mark_pkt_end(taken, src, false);
        }
        _ => return false,
    }
    true
}
