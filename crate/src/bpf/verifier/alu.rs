//! Arithmetic: scalars through the bounds domain, pointers by the kernel's pointer-arithmetic
//! rules (which types allow it, how a fixed offset accumulates and a variable one starts, packet
//! pointers getting a fresh id and losing their range).

use super::explore::Verifier;
use super::scalar::Scalar;
use super::state::*;
use super::{refuse, VResult};
use crate::bpf::isa::{AluOp, Op, Operand, Width};
use crate::errno::Errno;

/// The kernel's spelling of an ALU op in messages (`bpf_alu_string`).
pub fn alu_string(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "+=",
        AluOp::Sub => "-=",
        AluOp::Mul => "*=",
        AluOp::Div | AluOp::SDiv => "/=",
        AluOp::Or => "|=",
        AluOp::And => "&=",
        AluOp::Lsh => "<<=",
        AluOp::Rsh => ">>=",
        AluOp::Neg => "neg",
        AluOp::Mod | AluOp::SMod => "%=",
        AluOp::Xor => "^=",
        AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32 => "=",
        AluOp::Arsh => "s>>=",
    }
}

/// A pointer's new signed bounds: both ends, or nothing known if either overflowed (the kernel's
/// pointer rule, stricter than the scalar one).
fn signed_or_unbounded(lo: Option<i64>, hi: Option<i64>) -> (i64, i64) {
    match (lo, hi) {
        (Some(a), Some(b)) => (a, b),
        _ => (i64::MIN, i64::MAX),
    }
}

/// The largest offset a pointer's variable part may carry (`BPF_MAX_VAR_OFF`).
pub const MAX_VAR_OFF: i64 = 1 << 29;
/// The largest variable size a helper may be asked for (`BPF_MAX_VAR_SIZ`).
pub const MAX_VAR_SIZ: u64 = 1 << 29;

impl Verifier<'_> {
    pub(super) fn check_alu(&mut self, _pc: usize, op: Op) -> VResult<()> {
        match op {
            Op::End { order, bits, dst } => {
                self.check_reg_read(dst)?;
                if self.is_pointer_value(dst) {
                    return refuse(Errno::EACCES, format!("R{dst} pointer arithmetic prohibited"));
                }
                self.check_reg_write(dst)?;
                let r = *self.cur.reg(dst);
                let mut s = if r.is_scalar() { r.var } else { Scalar::unknown() };
                s.end(order, bits);
                self.set_scalar(dst, s);
                Ok(())
            }
            Op::Alu { op: AluOp::Neg, w, dst, .. } => {
                self.check_reg_read(dst)?;
                if self.is_pointer_value(dst) {
                    return refuse(Errno::EACCES, format!("R{dst} pointer arithmetic prohibited"));
                }
                self.check_reg_write(dst)?;
                let r = *self.cur.reg(dst);
                let mut s = if r.is_scalar() { r.var } else { Scalar::unknown() };
                s.alu(AluOp::Neg, w, &Scalar::constant(0));
                self.set_scalar(dst, s);
                self.cur.reg_mut(dst).precise = r.is_scalar() && r.precise;
                Ok(())
            }
            Op::Alu { op: op @ (AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32), w, dst, src } => {
                self.check_mov(op, w, dst, src)
            }
            Op::Alu { op, w, dst, src } => {
                if let Operand::Reg(s) = src {
                    self.check_reg_read(s)?;
                }
                self.check_reg_read(dst)?;
                if let Operand::Imm(imm) = src {
                    if matches!(op, AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod) && imm == 0 {
                        return refuse(Errno::EINVAL, "div by zero");
                    }
                    if matches!(op, AluOp::Lsh | AluOp::Rsh | AluOp::Arsh) {
                        let size = if w == Width::W64 { 64 } else { 32 };
                        if imm < 0 || imm >= size {
                            return refuse(Errno::EINVAL, format!("invalid shift {imm}"));
                        }
                    }
                }
                self.check_reg_write(dst)?;
                self.adjust_reg(op, w, dst, src)
            }
            _ => Ok(()),
        }
    }

    fn check_mov(&mut self, op: AluOp, w: Width, dst: u8, src: Operand) -> VResult<()> {
        match src {
            Operand::Imm(imm) => {
                self.check_reg_write(dst)?;
                let v = if w == Width::W64 { imm as i64 as u64 } else { imm as u32 as u64 };
                self.set_scalar(dst, Scalar::constant(v));
                Ok(())
            }
            Operand::Reg(s) => {
                self.check_reg_read(s)?;
                self.check_reg_write(dst)?;
                let sr = *self.cur.reg(s);
                match (w, op) {
                    (Width::W64, AluOp::Mov) => {
                        let copy = self.assign_scalar_id_before_mov(s);
                        *self.cur.reg_mut(dst) = copy;
                    }
                    (_, AluOp::Mov) => {
                        if self.is_pointer_value(s) {
                            return refuse(Errno::EACCES, format!("R{s} partial copy of pointer"));
                        }
                        if sr.is_scalar() {
                            let mut v = sr.var;
                            v.truncate(crate::bpf::isa::Size::W, false);
                            let mut copy = Reg::scalar(v);
                            copy.precise = sr.precise;
                            if sr.var.umax <= u32::MAX as u64 {
                                let linked = self.assign_scalar_id_before_mov(s);
                                (copy.id, copy.off) = (linked.id, linked.off);
                            }
                            *self.cur.reg_mut(dst) = copy;
                        } else {
                            self.set_unknown(dst);
                            let mut v = Scalar::unknown();
                            v.truncate(crate::bpf::isa::Size::W, false);
                            self.set_scalar(dst, v);
                        }
                    }
                    (_, sx) => {
                        if self.is_pointer_value(s) {
                            return refuse(Errno::EACCES, format!("R{s} sign-extension part of pointer"));
                        }
                        let size = match sx {
                            AluOp::MovSx8 => crate::bpf::isa::Size::B,
                            AluOp::MovSx16 => crate::bpf::isa::Size::H,
                            _ => crate::bpf::isa::Size::W,
                        };
                        let mut v = if sr.is_scalar() { sr.var } else { Scalar::unknown() };
                        // A value the sign extension leaves alone stays linked to its source.
                        let mut link = (0, 0);
                        if sr.is_scalar() {
                            if sr.var.umax < 1u64 << (size.bytes() * 8 - 1) {
                                let linked = self.assign_scalar_id_before_mov(s);
                                link = (linked.id, linked.off);
                            }
                            v.truncate(size, true);
                            if w == Width::W32 {
                                v.truncate(crate::bpf::isa::Size::W, false);
                            }
                        } else {
                            v = Scalar::unknown();
                            if w == Width::W32 {
                                v.truncate(crate::bpf::isa::Size::W, false);
                            }
                        }
                        let mut out = Reg::scalar(v);
                        out.precise = sr.is_scalar() && sr.precise;
                        (out.id, out.off) = link;
                        *self.cur.reg_mut(dst) = out;
                    }
                }
                Ok(())
            }
        }
    }

    /// dst op= src for everything but moves, negation and byte swaps.
    fn adjust_reg(&mut self, op: AluOp, w: Width, dst: u8, src: Operand) -> VResult<()> {
        let src_reg = match src {
            Operand::Reg(r) => Some(r),
            Operand::Imm(_) => None,
        };
        let d = *self.cur.reg(dst);
        let s = match src {
            Operand::Reg(r) => *self.cur.reg(r),
            Operand::Imm(imm) => Reg::known(imm as i64 as u64),
        };
        if !s.is_scalar() {
            if !d.is_scalar() {
                if op == AluOp::Sub && self.allow_ptr_leaks {
                    self.set_unknown(dst);
                    return Ok(());
                }
                return refuse(Errno::EACCES, format!("R{dst} pointer {} pointer prohibited", alu_string(op)));
            }
            // scalar += pointer: the pointer arithmetic, the result in dst; the offset is
            // relied on exactly.
            self.mark_chain_precision(dst)?;
            return self.adjust_ptr(op, w, dst, src_reg, &s, &d, false);
        }
        if !d.is_scalar() {
            if let Some(r) = src_reg {
                self.mark_chain_precision(r)?;
            }
            return self.adjust_ptr(op, w, dst, src_reg, &d, &s, true);
        }
        // A precise result needs a precise operand.
        if let (Some(r), true) = (src_reg, d.precise) {
            self.mark_chain_precision(r)?;
        }
        self.sanitize_val_alu(op, dst, src_reg.is_some())?;
        let mut v = d.var;
        if op == AluOp::And {
            // The kernel splits a destination that is exactly 0 or -1 before an AND with a
            // constant: the 0 side resumes after the instruction.
            if let Some((zero, ones)) = v.and_fork(&s.var) {
                let keep = *self.cur.reg(dst);
                self.set_scalar(dst, zero);
                self.push_branch(self.pc + 1, self.pc)?;
                *self.cur.reg_mut(dst) = keep;
                v = ones;
            }
        }
        let dst_umax = d.var.umax;
        v.alu(op, w, &s.var);
        let mut out = Reg::scalar(v);
        out.precise = d.precise;
        // `rX += K` (or `-= K`, 64- or 32-bit) on a register linked to others keeps the link,
        // with K as its delta (once): as 6.18's stable releases track it.
        let self_src = matches!(src, Operand::Reg(r) if r == dst);
        let konst = match w {
            Width::W64 => s.var.is_const(),
            Width::W32 => s.var.is_const32().map(u64::from),
        };
        if let (true, AluOp::Add | AluOp::Sub, Some(k), false, true) = (self.bpf_capable, op, konst, self_src, d.id != 0) {
            let delta = match w {
                Width::W64 => i32::try_from(k as i64).ok(),
                // Only a value with nothing above bit 31 keeps its link through 32-bit math.
                Width::W32 => (dst_umax <= u32::MAX as u64).then_some(k as u32 as i32),
            };
            let delta = match (op, delta) {
                (AluOp::Sub, Some(i32::MIN)) => None,
                (AluOp::Sub, Some(k)) => Some(-k),
                (_, k) => k,
            };
            if let (Some(k), 0) = (delta, d.id & BPF_ADD_CONST) {
                out.id = d.id | if w == Width::W32 { BPF_ADD_CONST32 } else { BPF_ADD_CONST64 };
                out.off = k;
            }
        }
        *self.cur.reg_mut(dst) = out;
        Ok(())
    }

    /// `assign_scalar_id_before_mov`: a scalar about to be copied (moved or spilled) gets an id
    /// shared with the copy, unless it is a constant; one carrying a delta starts afresh. The
    /// source register as it now is.
    pub(super) fn assign_scalar_id_before_mov(&mut self, regno: u8) -> Reg {
        let r = self.cur.reg_mut(regno);
        if r.is_scalar() {
            if r.id & BPF_ADD_CONST != 0 {
                r.id = 0;
                r.off = 0;
            }
            if r.id == 0 && r.var.is_const().is_none() {
                self.id_gen += 1;
                let id = self.id_gen;
                self.cur.reg_mut(regno).id = id;
            }
        }
        *self.cur.reg(regno)
    }

    #[allow(clippy::too_many_arguments)]
    fn adjust_ptr(&mut self, op: AluOp, w: Width, dst: u8, src_reg: Option<u8>, ptr: &Reg, off: &Reg, dst_is_ptr: bool) -> VResult<()> {
        let o = &off.var;
        let known = o.is_const().is_some();
        if (known && (o.smin != o.smax || o.umin != o.umax)) || o.smin > o.smax || o.umin > o.umax {
            self.set_unknown(dst);
            return Ok(());
        }
        if w == Width::W32 {
            if op == AluOp::Sub && self.allow_ptr_leaks {
                self.set_unknown(dst);
                return Ok(());
            }
            return refuse(Errno::EACCES, format!("R{dst} 32-bit pointer arithmetic prohibited"));
        }
        if ptr.maybe_null() {
            return refuse(Errno::EACCES, format!("R{dst} pointer arithmetic on {} prohibited, null-check it first", type_name(ptr.ty)));
        }
        let allowed = match base(ptr.ty) {
            PTR_TO_CTX | PTR_TO_MAP_VALUE | PTR_TO_MAP_KEY | PTR_TO_STACK | PTR_TO_PACKET_META | PTR_TO_PACKET | PTR_TO_TP_BUFFER
            | PTR_TO_BTF_ID | PTR_TO_MEM | PTR_TO_BUF | PTR_TO_FUNC | CONST_PTR_TO_DYNPTR => true,
            PTR_TO_FLOW_KEYS => known,
            CONST_PTR_TO_MAP => known && o.smin == 0 && op == AluOp::Add,
            _ => false,
        };
        if !allowed {
            return refuse(Errno::EACCES, format!("R{dst} pointer arithmetic on {} prohibited", type_name(ptr.ty)));
        }
        self.check_sane_offset(off, ptr.ty)?;
        self.check_sane_offset(ptr, ptr.ty)?;
        let sanitize = self.sanitize_ptr_alu_pre(op, dst, src_reg, ptr, off, dst_is_ptr)?;
        let mut r = *ptr;
        let (pv, ov) = (ptr.var, off.var);
        match op {
            AluOp::Add => {
                let sum = ptr.off as i64 + o.smin;
                if known && sum == sum as i32 as i64 {
                    r.off = sum as i32;
                } else {
                    let mut var = Scalar::unknown();
                    (var.smin, var.smax) = signed_or_unbounded(pv.smin.checked_add(ov.smin), pv.smax.checked_add(ov.smax));
                    (var.umin, var.umax) = match (pv.umin.checked_add(ov.umin), pv.umax.checked_add(ov.umax)) {
                        (Some(a), Some(b)) => (a, b),
                        _ => (0, u64::MAX),
                    };
                    var.var_off = pv.var_off.add(ov.var_off);
                    var.sync();
                    r.var = var;
                    if r.is_pkt() {
                        r.id = self.new_id();
                        r.range = 0;
                    }
                }
            }
            AluOp::Sub => {
                if !dst_is_ptr {
                    return refuse(Errno::EACCES, format!("R{dst} tried to subtract pointer from scalar"));
                }
                if ptr.ty == PTR_TO_STACK {
                    return refuse(Errno::EACCES, format!("R{dst} subtraction from stack pointer prohibited"));
                }
                let diff = ptr.off as i64 - o.smin;
                if known && diff == diff as i32 as i64 {
                    r.off = diff as i32;
                } else {
                    let mut var = Scalar::unknown();
                    (var.smin, var.smax) = signed_or_unbounded(pv.smin.checked_sub(ov.smax), pv.smax.checked_sub(ov.smin));
                    if pv.umin < ov.umax {
                        var.umin = 0;
                        var.umax = u64::MAX;
                    } else {
                        var.umin = pv.umin - ov.umax;
                        var.umax = pv.umax - ov.umin;
                    }
                    var.var_off = pv.var_off.sub(ov.var_off);
                    var.sync();
                    r.var = var;
                    if r.is_pkt() {
                        r.id = self.new_id();
                        if ov.smin < 0 {
                            r.range = 0;
                        }
                    }
                }
            }
            AluOp::And | AluOp::Or | AluOp::Xor => {
                return refuse(Errno::EACCES, format!("R{dst} bitwise operator {} on pointer prohibited", alu_string(op)));
            }
            _ => {
                return refuse(Errno::EACCES, format!("R{dst} pointer arithmetic with {} operator prohibited", alu_string(op)));
            }
        }
        self.check_sane_offset(&r, ptr.ty)?;
        self.sanitize_ptr_alu_post(op, dst, src_reg, &r, sanitize)?;
        *self.cur.reg_mut(dst) = r;
        Ok(())
    }

    /// `check_reg_sane_offset`: offsets beyond what the kernel can reason about.
    fn check_sane_offset(&self, reg: &Reg, ty: u32) -> VResult<()> {
        let name = type_name(ty);
        let val = reg.var.var_off.value as i64;
        if reg.var.is_const().is_some() && (val >= MAX_VAR_OFF || val <= -MAX_VAR_OFF) {
            return refuse(Errno::EINVAL, format!("math between {name} pointer and {val} is not allowed"));
        }
        if reg.off as i64 >= MAX_VAR_OFF || reg.off as i64 <= -MAX_VAR_OFF {
            return refuse(Errno::EINVAL, format!("{name} pointer offset {} is not allowed", reg.off));
        }
        if reg.var.smin == i64::MIN {
            return refuse(Errno::EINVAL, format!("math between {name} pointer and register with unbounded min value is not allowed"));
        }
        if reg.var.smin >= MAX_VAR_OFF || reg.var.smin <= -MAX_VAR_OFF {
            return refuse(Errno::EINVAL, format!("value {} makes {name} pointer be out of bounds", reg.var.smin));
        }
        Ok(())
    }
}
