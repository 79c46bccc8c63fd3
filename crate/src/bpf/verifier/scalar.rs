//! The scalar-bounds domain of the verifier, as Linux 6.18 tracks a SCALAR_VALUE register: a
//! [`Tnum`] (which bits are known and their values) together with four intervals (signed and
//! unsigned, over the whole 64-bit register and over its low 32-bit subregister). [`Scalar`]
//! carries the transfer functions the kernel applies to them: ALU ops, byte swaps, narrowing loads,
//! the branch-taken test, the refinement of both sides of a conditional jump, the pruning
//! containment test and the verifier log's rendering of the value.
//!
//! Everything here is allocation-free except the log helpers: the verifier calls these per
//! instruction. Each function reproduces the kernel's result bit for bit, including where the
//! kernel is less precise than it could be, because a verifier that "knows more" than the kernel
//! accepts programs the kernel rejects and prints logs the kernel does not.
//!
//! Version notes (what is 6.18 here, as opposed to the kernels around it):
//! - tracked: ADD/SUB with block-wrapping unsigned bounds (6.17), MUL by corner products (6.14),
//!   NEG as `0 - x` (6.17), tnum_mul's union form (6.18), JEQ/JNE decided by tnum overlap, the
//!   64-bit wrapped-signed deduction (6.17), JSET's false side dropping the intervals first.
//! - not tracked, as in 6.18: DIV/MOD/SDIV/SMOD and BPF_END (unknown result; both gained tracking
//!   in 7.0), a `<<= 32` of a possibly negative subregister keeps only the non-negative end (the
//!   guard went away after 6.18), no 32-bit wrapped-signed deduction and no s32-to-64 tightening
//!   in sync (both later).

use crate::bpf::isa::{AluOp, ByteOrder, Cond, Size, Width};
use std::fmt::Write as _;

/// A tristate number: each bit known 0, known 1 (`value`), or unknown (`mask`); `value & mask == 0`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Tnum {
    pub value: u64,
    pub mask: u64,
}

const LOW32: u64 = 0xffff_ffff;

impl Tnum {
    /// Every bit unknown.
    pub const UNKNOWN: Tnum = Tnum { value: 0, mask: u64::MAX };

    /// The fully known value `v`.
    #[inline]
    pub const fn constant(v: u64) -> Tnum {
        Tnum { value: v, mask: 0 }
    }

    /// Every bit unknown.
    #[inline]
    pub const fn unknown() -> Tnum {
        Tnum::UNKNOWN
    }

    /// The smallest tnum holding every value of `[min, max]`: the common high prefix is known,
    /// everything from the highest differing bit down is unknown.
    #[inline]
    pub fn range(min: u64, max: u64) -> Tnum {
        let differ = min ^ max;
        let bits = 64 - differ.leading_zeros();
        if bits > 63 {
            return Tnum::UNKNOWN;
        }
        let low = (1u64 << bits) - 1;
        Tnum { value: min & !low, mask: low }
    }

    /// Whether every bit is known.
    #[inline]
    pub const fn is_const(self) -> bool {
        self.mask == 0
    }

    /// Whether no bit is known.
    #[inline]
    pub const fn is_unknown(self) -> bool {
        self.mask == u64::MAX
    }

    /// Whether the low 32 bits are all known.
    #[inline]
    pub const fn subreg_is_const(self) -> bool {
        self.mask & LOW32 == 0
    }

    /// Logical left shift by a known amount (< 64).
    #[inline]
    pub const fn lshift(self, s: u32) -> Tnum {
        Tnum { value: self.value << s, mask: self.mask << s }
    }

    /// Logical right shift by a known amount (< 64).
    #[inline]
    pub const fn rshift(self, s: u32) -> Tnum {
        Tnum { value: self.value >> s, mask: self.mask >> s }
    }

    /// Arithmetic right shift by `s` at `bits` (32: the low half sign-extends within 32 bits and the
    /// result is zero-extended; 64: the whole register). An unknown sign bit stays unknown in the
    /// copies because the mask is shifted arithmetically too.
    #[inline]
    pub const fn arshift(self, s: u32, bits: u32) -> Tnum {
        if bits == 32 {
            Tnum { value: (((self.value as u32 as i32) >> s) as u32) as u64, mask: (((self.mask as u32 as i32) >> s) as u32) as u64 }
        } else {
            Tnum { value: ((self.value as i64) >> s) as u64, mask: ((self.mask as i64) >> s) as u64 }
        }
    }

    /// Sum: the carries that unknown bits could change make their positions unknown.
    #[inline]
    pub const fn add(self, b: Tnum) -> Tnum {
        let sm = self.mask.wrapping_add(b.mask);
        let sv = self.value.wrapping_add(b.value);
        let carries = sm.wrapping_add(sv) ^ sv;
        let mu = carries | self.mask | b.mask;
        Tnum { value: sv & !mu, mask: mu }
    }

    /// Difference: the borrows that unknown bits could change make their positions unknown.
    #[inline]
    pub const fn sub(self, b: Tnum) -> Tnum {
        let dv = self.value.wrapping_sub(b.value);
        let hi = dv.wrapping_add(self.mask);
        let lo = dv.wrapping_sub(b.mask);
        let mu = (hi ^ lo) | self.mask | b.mask;
        Tnum { value: dv & !mu, mask: mu }
    }

    /// Two's complement negation, as `0 - self`.
    #[inline]
    pub const fn neg(self) -> Tnum {
        Tnum::constant(0).sub(self)
    }

    /// Bitwise and: a bit is known 0 when either side's is, known 1 when both are.
    #[inline]
    pub const fn and(self, b: Tnum) -> Tnum {
        let may_a = self.value | self.mask;
        let may_b = b.value | b.mask;
        let v = self.value & b.value;
        Tnum { value: v, mask: may_a & may_b & !v }
    }

    /// Bitwise or: known 1 when either side's is, known 0 when both are.
    #[inline]
    pub const fn or(self, b: Tnum) -> Tnum {
        let v = self.value | b.value;
        let mu = self.mask | b.mask;
        Tnum { value: v, mask: mu & !v }
    }

    /// Bitwise xor: known where both sides are.
    #[inline]
    pub const fn xor(self, b: Tnum) -> Tnum {
        let v = self.value ^ b.value;
        let mu = self.mask | b.mask;
        Tnum { value: v & !mu, mask: mu }
    }

    /// The tnum holding the members of both (the kernel's tnum_union: the bits they agree on).
    #[inline]
    pub const fn union(self, b: Tnum) -> Tnum {
        let v = self.value & b.value;
        let mu = (self.value ^ b.value) | self.mask | b.mask;
        Tnum { value: v & !mu, mask: mu }
    }

    /// Product, by shift-and-add over the multiplier's bits. 6.18's form (the "general precision"
    /// rework): a known-1 multiplier bit adds the shifted multiplicand; an unknown one joins the
    /// accumulator with and without that addend, which keeps more bits known than adding an
    /// all-unknown partial product.
    #[inline]
    pub const fn mul(self, b: Tnum) -> Tnum {
        let (mut a, mut b) = (self, b);
        let mut acc = Tnum::constant(0);
        while a.value != 0 || a.mask != 0 {
            if a.value & 1 != 0 {
                acc = acc.add(b);
            } else if a.mask & 1 != 0 {
                acc = acc.union(acc.add(b));
            }
            a = a.rshift(1);
            b = b.lshift(1);
        }
        acc
    }

    /// Whether some value could be a member of both (the bits known on both sides agree).
    #[inline]
    pub const fn overlap(self, b: Tnum) -> bool {
        let known = !self.mask & !b.mask;
        self.value & known == b.value & known
    }

    /// The members of both, assuming they overlap (a bit known differently comes out known 1, as
    /// in the kernel: the caller only intersects descriptions of one value).
    #[inline]
    pub const fn intersect(self, b: Tnum) -> Tnum {
        let v = self.value | b.value;
        let mu = self.mask & b.mask;
        Tnum { value: v & !mu, mask: mu }
    }

    /// Truncation to the low `bytes` bytes (1, 2, 4; 8 keeps everything).
    #[inline]
    pub const fn cast(self, bytes: u32) -> Tnum {
        let keep = if bytes >= 8 { u64::MAX } else { (1u64 << (bytes * 8)) - 1 };
        Tnum { value: self.value & keep, mask: self.mask & keep }
    }

    /// Whether every member is a multiple of `size` (a power of two; 0 counts as aligned).
    #[inline]
    pub const fn is_aligned(self, size: u64) -> bool {
        size == 0 || (self.value | self.mask) & (size - 1) == 0
    }

    /// Whether every member of `b` is a member of `self` (the kernel's tnum_in(self, b)).
    #[inline]
    pub const fn includes(self, b: Tnum) -> bool {
        if b.mask & !self.mask != 0 {
            return false;
        }
        self.value == b.value & !self.mask
    }

    /// Whether `x` is a member.
    #[inline]
    pub const fn contains(self, x: u64) -> bool {
        x & !self.mask == self.value
    }

    /// The smallest member above `z` (`tnum_step`); the largest member if none is, the smallest if
    /// `z` is below them all.
    pub const fn next_above(self, z: u64) -> u64 {
        let max = self.value | self.mask;
        if z >= max {
            return max;
        }
        if z < self.value {
            return self.value;
        }
        // Members are value + s, s a submask of mask: find the least submask above z - value by
        // adding one to it with every position outside the mask (and every one below its
        // highest such bit) filled, so the carry runs through to the next mask bit.
        let d = z - self.value;
        let outside = d & !self.mask;
        let below = if outside == 0 { 0 } else { u64::MAX >> outside.leading_zeros() };
        let filled = d | below | !self.mask;
        self.value | (filled.wrapping_add(1) & self.mask)
    }

    /// The low 32 bits (upper known zero).
    #[inline]
    pub const fn subreg(self) -> Tnum {
        self.cast(4)
    }

    /// The upper 32 bits (low known zero).
    #[inline]
    pub const fn clear_subreg(self) -> Tnum {
        self.rshift(32).lshift(32)
    }

    /// This tnum's upper half with `sub`'s low half.
    #[inline]
    pub const fn with_subreg(self, sub: Tnum) -> Tnum {
        self.clear_subreg().or(sub.subreg())
    }

    /// This tnum's upper half with a known low half `v`.
    #[inline]
    pub const fn const_subreg(self, v: u32) -> Tnum {
        self.with_subreg(Tnum::constant(v as u64))
    }

    /// The 64 bits as `0`, `1` or `x`, most significant first (the kernel's tnum_sbin).
    pub fn sbin(self) -> String {
        (0..64)
            .rev()
            .map(|i| {
                if self.mask >> i & 1 != 0 {
                    'x'
                } else if self.value >> i & 1 != 0 {
                    '1'
                } else {
                    '0'
                }
            })
            .collect()
    }

    /// The log's rendering (tnum_strn as 6.18's log.c overrides it): a known value as an unsigned
    /// number, otherwise `(value; mask)` in hex.
    pub fn strn(self) -> String {
        let mut s = String::new();
        if self.is_const() {
            push_unum(&mut s, self.value);
        } else {
            let _ = write!(s, "({:#x}; {:#x})", self.value, self.mask);
        }
        s
    }
}

/// The abstract value of a scalar register: its bits and its four intervals. The kernel keeps the
/// five descriptions consistent through [`Scalar::sync`]; a well-formed value has every interval
/// non-empty and every member of the tnum that lies within the intervals is possible.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Scalar {
    pub var_off: Tnum,
    pub smin: i64,
    pub smax: i64,
    pub umin: u64,
    pub umax: u64,
    pub s32min: i32,
    pub s32max: i32,
    pub u32min: u32,
    pub u32max: u32,
}

impl Default for Scalar {
    fn default() -> Scalar {
        Scalar::unknown()
    }
}

/// The condition's operands swapped (`a op b` == `b flip(op) a`).
#[inline]
fn flip(c: Cond) -> Cond {
    match c {
        Cond::Ge => Cond::Le,
        Cond::Gt => Cond::Lt,
        Cond::Le => Cond::Ge,
        Cond::Lt => Cond::Gt,
        Cond::Sge => Cond::Sle,
        Cond::Sgt => Cond::Slt,
        Cond::Sle => Cond::Sge,
        Cond::Slt => Cond::Sgt,
        c => c,
    }
}

/// The condition for the fall-through side of a jump on `c`. JSET has no such condition in the ISA
/// (the kernel encodes "no bit of the mask set" as `JSET|X` internally), so it gives `None`: use
/// [`Scalar::refine_not`] for that side.
#[inline]
pub fn negate(c: Cond) -> Option<Cond> {
    Some(match c {
        Cond::Eq => Cond::Ne,
        Cond::Ne => Cond::Eq,
        Cond::Ge => Cond::Lt,
        Cond::Gt => Cond::Le,
        Cond::Le => Cond::Gt,
        Cond::Lt => Cond::Ge,
        Cond::Sge => Cond::Slt,
        Cond::Sgt => Cond::Sle,
        Cond::Sle => Cond::Sgt,
        Cond::Slt => Cond::Sge,
        Cond::Set => return None,
    })
}

/// One refinement step: the jump conditions plus the kernel's internal "no bit of the mask set".
#[derive(Clone, Copy, PartialEq, Eq)]
enum Test {
    C(Cond),
    NotSet,
}

impl Scalar {
    /// A value nothing is known about.
    #[inline]
    pub const fn unknown() -> Scalar {
        Scalar {
            var_off: Tnum::UNKNOWN,
            smin: i64::MIN,
            smax: i64::MAX,
            umin: 0,
            umax: u64::MAX,
            s32min: i32::MIN,
            s32max: i32::MAX,
            u32min: 0,
            u32max: u32::MAX,
        }
    }

    /// The known value `v` (the kernel's __mark_reg_known).
    #[inline]
    pub const fn constant(v: u64) -> Scalar {
        Scalar {
            var_off: Tnum::constant(v),
            smin: v as i64,
            smax: v as i64,
            umin: v,
            umax: v,
            s32min: v as i32,
            s32max: v as i32,
            u32min: v as u32,
            u32max: v as u32,
        }
    }

    /// The known 32-bit value `v` zero-extended, as a `w = imm` leaves the register.
    #[inline]
    pub const fn constant32(v: u32) -> Scalar {
        Scalar::constant(v as u64)
    }

    /// The value, if every bit is known.
    #[inline]
    pub const fn is_const(&self) -> Option<u64> {
        if self.var_off.is_const() {
            Some(self.var_off.value)
        } else {
            None
        }
    }

    /// The low 32 bits, if they are all known.
    #[inline]
    pub const fn is_const32(&self) -> Option<u32> {
        if self.var_off.subreg_is_const() {
            Some(self.var_off.value as u32)
        } else {
            None
        }
    }

    /// The value at a comparison's width, if known there (the kernel's is_reg_const/reg_const_value).
    #[inline]
    fn const_at(&self, w: Width) -> Option<u64> {
        match w {
            Width::W64 => self.is_const(),
            Width::W32 => self.is_const32().map(|v| v as u64),
        }
    }

    /// Whether `x` is a member: within every interval and the tnum.
    pub fn contains(&self, x: u64) -> bool {
        self.var_off.contains(x)
            && (self.smin..=self.smax).contains(&(x as i64))
            && (self.umin..=self.umax).contains(&x)
            && (self.s32min..=self.s32max).contains(&(x as i32))
            && (self.u32min..=self.u32max).contains(&(x as u32))
    }

    /// The kernel's reg_bounds_sanity_check: every interval non-empty and a known tnum (whole or
    /// low half) matching its intervals exactly. 6.18 reports a failure as a verifier bug.
    pub fn sane(&self) -> bool {
        if self.umin > self.umax || self.smin > self.smax || self.u32min > self.u32max || self.s32min > self.s32max {
            return false;
        }
        if let Some(v) = self.is_const() {
            if self.umin != v || self.umax != v || self.smin != v as i64 || self.smax != v as i64 {
                return false;
            }
        }
        if let Some(v) = self.is_const32() {
            if self.u32min != v || self.u32max != v || self.s32min != v as i32 || self.s32max != v as i32 {
                return false;
            }
        }
        true
    }

    /// reg_bounds_sanity_check's effect when the verifier is not in selftest mode: a value that
    /// fails [`Scalar::sane`] (only possible on a path that cannot run) keeps its tnum and loses its
    /// intervals. Returns whether it was sane; the kernel reports a failure in the log as
    /// "verifier bug: REG INVARIANTS VIOLATION (...)" and carries on (with
    /// BPF_F_TEST_REG_INVARIANTS it fails the load with -EFAULT instead).
    pub fn check_invariants(&mut self) -> bool {
        if self.sane() {
            return true;
        }
        self.unbound();
        false
    }

    #[inline]
    fn unbound64(&mut self) {
        self.smin = i64::MIN;
        self.smax = i64::MAX;
        self.umin = 0;
        self.umax = u64::MAX;
    }

    #[inline]
    fn unbound32(&mut self) {
        self.s32min = i32::MIN;
        self.s32max = i32::MAX;
        self.u32min = 0;
        self.u32max = u32::MAX;
    }

    /// The intervals all unbounded, the tnum kept (the kernel's __mark_reg_unbounded).
    #[inline]
    fn unbound(&mut self) {
        self.unbound64();
        self.unbound32();
    }

    /// The kernel's __mark_reg32_known: the low half becomes `v`, the 64-bit bounds are left alone.
    #[inline]
    fn set_known32(&mut self, v: u32) {
        self.var_off = self.var_off.const_subreg(v);
        self.s32min = v as i32;
        self.s32max = v as i32;
        self.u32min = v;
        self.u32max = v;
    }

    // ---- bounds synchronisation (reg_bounds_sync) ----

    /// Tighten the 32-bit intervals from the tnum's low half.
    #[inline]
    fn update32_from_tnum(&mut self) {
        let t = self.var_off.subreg();
        let (v, m) = (t.value as u32, t.mask as u32);
        // The smallest signed member sets the sign bit if it can and clears every other unknown bit.
        self.s32min = self.s32min.max((v | (m & 0x8000_0000)) as i32);
        self.s32max = self.s32max.min((v | (m & 0x7fff_ffff)) as i32);
        self.u32min = self.u32min.max(v);
        self.u32max = self.u32max.min(v | m);
    }

    /// Tighten the 64-bit intervals from the tnum.
    #[inline]
    fn update64_from_tnum(&mut self) {
        let (v, m) = (self.var_off.value, self.var_off.mask);
        self.smin = self.smin.max((v | (m & (1 << 63))) as i64);
        self.smax = self.smax.min((v | (m & (u64::MAX >> 1))) as i64);
        self.umin = self.umin.max(v);
        self.umax = self.umax.min(v | m);
        // Where the unsigned interval and the tnum share one value only, that is the value
        // (6.18's stable releases): umin itself, the tnum's largest member, or the one member
        // between.
        // (An empty interval, a dead branch's, is left for the sanity check to find.)
        let next = self.var_off.next_above(self.umin);
        let umin_in = self.var_off.contains(self.umin);
        let tmax = v | m;
        let only = if self.umin > self.umax {
            None
        } else if umin_in && next > self.umax {
            Some(self.umin)
        } else if !umin_in && next == tmax {
            Some(tmax)
        } else if !umin_in && next <= self.umax && self.var_off.next_above(next) > self.umax {
            Some(next)
        } else {
            None
        };
        if let Some(k) = only {
            *self = Scalar::constant(k);
        }
    }

    #[inline]
    fn update_from_tnum(&mut self) {
        self.update32_from_tnum();
        self.update64_from_tnum();
    }

    /// Learn the 32-bit intervals from the 64-bit ones and from each other.
    fn deduce32(&mut self) {
        // A 64-bit interval whose upper halves agree maps onto a contiguous low-half interval.
        if self.umin >> 32 == self.umax >> 32 {
            self.u32min = self.u32min.max(self.umin as u32);
            self.u32max = self.u32max.min(self.umax as u32);
            if (self.umin as i32) <= (self.umax as i32) {
                self.s32min = self.s32min.max(self.umin as i32);
                self.s32max = self.s32max.min(self.umax as i32);
            }
        }
        if self.smin >> 32 == self.smax >> 32 {
            if (self.smin as u32) <= (self.smax as u32) {
                self.u32min = self.u32min.max(self.smin as u32);
                self.u32max = self.u32max.min(self.smax as u32);
            }
            if (self.smin as i32) <= (self.smax as i32) {
                self.s32min = self.s32min.max(self.smin as i32);
                self.s32max = self.s32max.min(self.smax as i32);
            }
        }
        // Upper halves that are two consecutive numbers, with the low half going from negative to
        // non-negative across the step, still make one contiguous signed 32-bit interval.
        if ((self.umin >> 32) as u32).wrapping_add(1) == (self.umax >> 32) as u32 && (self.umin as i32) < 0 && (self.umax as i32) >= 0 {
            self.s32min = self.s32min.max(self.umin as i32);
            self.s32max = self.s32max.min(self.umax as i32);
        }
        if ((self.smin >> 32) as u32).wrapping_add(1) == (self.smax >> 32) as u32 && (self.smin as i32) < 0 && (self.smax as i32) >= 0 {
            self.s32min = self.s32min.max(self.smin as i32);
            self.s32max = self.s32max.min(self.smax as i32);
        }
        // An unsigned interval on one side of the sign boundary is also a signed one.
        if (self.u32min as i32) <= (self.u32max as i32) {
            self.s32min = self.s32min.max(self.u32min as i32);
            self.s32max = self.s32max.min(self.u32max as i32);
        }
        // And a signed one that does not cross it is also an unsigned one; one that wraps still
        // narrows both when the unsigned interval meets only one of its two parts.
        if (self.s32min as u32) <= (self.s32max as u32) {
            self.u32min = self.u32min.max(self.s32min as u32);
            self.u32max = self.u32max.min(self.s32max as u32);
        } else if self.u32max < self.s32min as u32 {
            self.s32min = self.u32min as i32;
            self.u32max = self.u32max.min(self.s32max as u32);
        } else if (self.s32max as u32) < self.u32min {
            self.s32max = self.u32max as i32;
            self.u32min = self.u32min.max(self.s32min as u32);
        }
    }

    /// Learn the signed 64-bit interval from the unsigned one and back.
    fn deduce64(&mut self) {
        if (self.umin as i64) <= (self.umax as i64) {
            self.smin = self.smin.max(self.umin as i64);
            self.smax = self.smax.min(self.umax as i64);
        }
        if (self.smin as u64) <= (self.smax as u64) {
            self.umin = self.umin.max(self.smin as u64);
            self.umax = self.umax.min(self.smax as u64);
        } else if self.umax < self.smin as u64 {
            // The signed interval wraps; the unsigned one only meets its non-negative part.
            self.smin = self.umin as i64;
            self.umax = self.umax.min(self.smax as u64);
        } else if (self.smax as u64) < self.umin {
            // ... or only its negative part.
            self.smax = self.umax as i64;
            self.umin = self.umin.max(self.smin as u64);
        }
    }

    /// Learn the 64-bit intervals from the unsigned 32-bit one: the low halves of the 64-bit ends
    /// can be raised/lowered to its ends. (The same from a signed 32-bit interval that does not
    /// wrap would add nothing: `deduce32` has already narrowed the unsigned one to it.)
    fn deduce_mixed(&mut self) {
        const HI: u64 = !LOW32;
        let nu_min = (self.umin & HI) | self.u32min as u64;
        let nu_max = (self.umax & HI) | self.u32max as u64;
        self.umin = self.umin.max(nu_min);
        self.umax = self.umax.min(nu_max);
        let ns_min = ((self.smin as u64 & HI) | self.u32min as u64) as i64;
        let ns_max = ((self.smax as u64 & HI) | self.u32max as u64) as i64;
        self.smin = self.smin.max(ns_min);
        self.smax = self.smax.min(ns_max);

        // After a sign-extending 32-bit load the 64-bit range spans [S32_MIN, S32_MAX] through both
        // "upper half all ones" and "all zeros"; a non-negative low half rules the ones out.
        if self.s32min >= 0 && self.smin >= i32::MIN as i64 && self.smax <= i32::MAX as i64 {
            self.smin = self.s32min as i64;
            self.smax = self.s32max as i64;
            self.umin = self.s32min as u64;
            self.umax = self.s32max as u64;
            self.var_off = self.var_off.intersect(Tnum::range(self.smin as u64, self.smax as u64));
        }
    }

    #[inline]
    fn deduce(&mut self) {
        self.deduce32();
        self.deduce64();
        self.deduce_mixed();
    }

    /// Learn tnum bits from the unsigned intervals (the kernel's __reg_bound_offset).
    #[inline]
    fn bound_offset(&mut self) {
        let t64 = self.var_off.intersect(Tnum::range(self.umin, self.umax));
        let t32 = t64.subreg().intersect(Tnum::range(self.u32min as u64, self.u32max as u64));
        self.var_off = t64.clear_subreg().or(t32);
    }

    /// The kernel's reg_bounds_sync: intervals from the tnum, three rounds of deductions between the
    /// intervals, tnum from the intervals, intervals from the tnum again.
    pub fn sync(&mut self) {
        self.update_from_tnum();
        self.deduce();
        self.deduce();
        self.deduce();
        self.bound_offset();
        self.update_from_tnum();
    }

    // ---- ALU ----

    /// Only the low 32 bits kept, zero-extended (`zext_32_to_64`), bounds synced.
    pub fn zext_low32(&mut self) {
        self.zext32();
        self.sync();
    }

    /// The 64-bit view taken over from the 32-bit one, as an ALU32 result is zero-extended.
    fn zext32(&mut self) {
        self.var_off = self.var_off.subreg();
        self.umin = self.u32min as u64;
        self.umax = self.u32max as u64;
        // The signed 32-bit interval carries over only if it is non-negative; otherwise the
        // zero-extended value is somewhere in [0, U32_MAX] and sync narrows it from the tnum.
        if self.s32min >= 0 && self.s32max >= 0 {
            self.smin = self.s32min as i64;
            self.smax = self.s32max as i64;
        } else {
            self.smin = 0;
            self.smax = u32::MAX as i64;
        }
    }

    /// Whether the kernel computes bounds for `op` with this source at all
    /// (is_safe_to_compute_dst_reg_range); otherwise the result is marked unknown.
    fn computable(op: AluOp, w: Width, src: &Scalar) -> bool {
        match op {
            AluOp::Add | AluOp::Sub | AluOp::And | AluOp::Xor | AluOp::Or | AluOp::Mul | AluOp::Neg => true,
            AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => {
                let (known, bits) = match w {
                    Width::W32 => (src.var_off.subreg_is_const() && src.s32min == src.s32max && src.u32min == src.u32max, 32),
                    Width::W64 => (src.var_off.is_const() && src.smin == src.smax && src.umin == src.umax, 64),
                };
                // The 64-bit umax is what the kernel compares, at either width.
                known && src.umax < bits
            }
            _ => false,
        }
    }

    /// `self op= src` at width `w` for two scalars (adjust_scalar_min_max_vals, plus the scalar
    /// moves check_alu_op does). A BPF_K operand is passed as [`Scalar::constant`] of the
    /// immediate sign-extended to 64 bits. The ops 6.18 tracks no bounds for (Div, SDiv, Mod, SMod,
    /// and shifts by a non-constant amount or by the width or more, which the kernel rejects for an
    /// immediate before it gets here) leave a fully unknown 64-bit value even at 32 bits, as the
    /// kernel does. Neg ignores `src`. For And, the caller first asks [`Scalar::and_fork`], as the
    /// kernel forks the state there before computing anything.
    pub fn alu(&mut self, op: AluOp, w: Width, src: &Scalar) {
        let alu32 = w == Width::W32;
        match op {
            AluOp::Mov | AluOp::MovSx32 if alu32 => {
                *self = *src;
                self.zext32();
                self.sync();
                return;
            }
            AluOp::Mov => {
                *self = *src;
                return;
            }
            AluOp::MovSx8 | AluOp::MovSx16 => {
                let bytes = if op == AluOp::MovSx8 { 1 } else { 2 };
                *self = *src;
                if alu32 {
                    self.sext_subreg(bytes);
                    self.zext32();
                    self.sync();
                } else {
                    self.sext(bytes);
                }
                return;
            }
            AluOp::MovSx32 => {
                *self = *src;
                self.sext(4);
                return;
            }
            _ => {}
        }
        if !Self::computable(op, w, src) {
            *self = Scalar::unknown();
            return;
        }
        match op {
            AluOp::Add => {
                self.add32(src);
                self.add64(src);
                self.var_off = self.var_off.add(src.var_off);
            }
            AluOp::Sub => {
                self.sub32(src);
                self.sub64(src);
                self.var_off = self.var_off.sub(src.var_off);
            }
            AluOp::Neg => {
                // 0 - self, through the subtraction's bounds.
                let old = *self;
                *self = Scalar::constant(0);
                self.sub32(&old);
                self.sub64(&old);
                self.var_off = old.var_off.neg();
            }
            AluOp::Mul => {
                self.var_off = self.var_off.mul(src.var_off);
                self.mul32(src);
                self.mul64(src);
            }
            AluOp::And => {
                self.var_off = self.var_off.and(src.var_off);
                self.and32(src);
                self.and64(src);
            }
            AluOp::Or => {
                self.var_off = self.var_off.or(src.var_off);
                self.or32(src);
                self.or64(src);
            }
            AluOp::Xor => {
                self.var_off = self.var_off.xor(src.var_off);
                self.xor32(src);
                self.xor64(src);
            }
            AluOp::Lsh => {
                if alu32 {
                    self.lsh32(src.u32min as u64, src.u32max as u64);
                } else {
                    self.lsh64(src.umin, src.umax);
                }
            }
            AluOp::Rsh => {
                if alu32 {
                    self.rsh32(src.u32min, src.u32max);
                } else {
                    self.rsh64(src.umin, src.umax);
                }
            }
            AluOp::Arsh => {
                if alu32 {
                    self.arsh32(src.u32min);
                } else {
                    self.arsh64(src.umin);
                }
            }
            _ => unreachable!("filtered by computable"),
        }
        if alu32 {
            self.zext32();
        }
        self.sync();
    }

    /// 6.17+: signed sums go unbounded on any overflow; unsigned ones wrap as a block when both
    /// ends overflow, and go unbounded only when one does.
    fn add32(&mut self, src: &Scalar) {
        match (self.s32min.checked_add(src.s32min), self.s32max.checked_add(src.s32max)) {
            (Some(lo), Some(hi)) => (self.s32min, self.s32max) = (lo, hi),
            _ => (self.s32min, self.s32max) = (i32::MIN, i32::MAX),
        }
        let (lo, lo_over) = self.u32min.overflowing_add(src.u32min);
        let (hi, hi_over) = self.u32max.overflowing_add(src.u32max);
        if !lo_over && hi_over {
            (self.u32min, self.u32max) = (0, u32::MAX);
        } else {
            (self.u32min, self.u32max) = (lo, hi);
        }
    }

    fn add64(&mut self, src: &Scalar) {
        match (self.smin.checked_add(src.smin), self.smax.checked_add(src.smax)) {
            (Some(lo), Some(hi)) => (self.smin, self.smax) = (lo, hi),
            _ => (self.smin, self.smax) = (i64::MIN, i64::MAX),
        }
        let (lo, lo_over) = self.umin.overflowing_add(src.umin);
        let (hi, hi_over) = self.umax.overflowing_add(src.umax);
        if !lo_over && hi_over {
            (self.umin, self.umax) = (0, u64::MAX);
        } else {
            (self.umin, self.umax) = (lo, hi);
        }
    }

    /// 6.17+: the unsigned difference wraps as a block when both ends underflow.
    fn sub32(&mut self, src: &Scalar) {
        match (self.s32min.checked_sub(src.s32max), self.s32max.checked_sub(src.s32min)) {
            (Some(lo), Some(hi)) => (self.s32min, self.s32max) = (lo, hi),
            _ => (self.s32min, self.s32max) = (i32::MIN, i32::MAX),
        }
        let (lo, lo_under) = self.u32min.overflowing_sub(src.u32max);
        let (hi, hi_under) = self.u32max.overflowing_sub(src.u32min);
        if lo_under && !hi_under {
            (self.u32min, self.u32max) = (0, u32::MAX);
        } else {
            (self.u32min, self.u32max) = (lo, hi);
        }
    }

    fn sub64(&mut self, src: &Scalar) {
        match (self.smin.checked_sub(src.smax), self.smax.checked_sub(src.smin)) {
            (Some(lo), Some(hi)) => (self.smin, self.smax) = (lo, hi),
            _ => (self.smin, self.smax) = (i64::MIN, i64::MAX),
        }
        let (lo, lo_under) = self.umin.overflowing_sub(src.umax);
        let (hi, hi_under) = self.umax.overflowing_sub(src.umin);
        if lo_under && !hi_under {
            (self.umin, self.umax) = (0, u64::MAX);
        } else {
            (self.umin, self.umax) = (lo, hi);
        }
    }

    /// 6.14+: unsigned product of the ends unless it overflows; signed from the four corner
    /// products unless any overflows.
    fn mul32(&mut self, src: &Scalar) {
        match (self.u32max.checked_mul(src.u32max), self.u32min.checked_mul(src.u32min)) {
            (Some(hi), Some(lo)) => (self.u32min, self.u32max) = (lo, hi),
            _ => (self.u32min, self.u32max) = (0, u32::MAX),
        }
        let corners = [
            self.s32min.checked_mul(src.s32min),
            self.s32min.checked_mul(src.s32max),
            self.s32max.checked_mul(src.s32min),
            self.s32max.checked_mul(src.s32max),
        ];
        if let [Some(a), Some(b), Some(c), Some(d)] = corners {
            self.s32min = a.min(b).min(c).min(d);
            self.s32max = a.max(b).max(c).max(d);
        } else {
            (self.s32min, self.s32max) = (i32::MIN, i32::MAX);
        }
    }

    fn mul64(&mut self, src: &Scalar) {
        match (self.umax.checked_mul(src.umax), self.umin.checked_mul(src.umin)) {
            (Some(hi), Some(lo)) => (self.umin, self.umax) = (lo, hi),
            _ => (self.umin, self.umax) = (0, u64::MAX),
        }
        let corners = [
            self.smin.checked_mul(src.smin),
            self.smin.checked_mul(src.smax),
            self.smax.checked_mul(src.smin),
            self.smax.checked_mul(src.smax),
        ];
        if let [Some(a), Some(b), Some(c), Some(d)] = corners {
            self.smin = a.min(b).min(c).min(d);
            self.smax = a.max(b).max(c).max(d);
        } else {
            (self.smin, self.smax) = (i64::MIN, i64::MAX);
        }
    }

    /// The signed 32-bit interval copied from the unsigned one if that stays on one side of the
    /// sign boundary, else unbounded (the bitwise ops' rule).
    #[inline]
    fn s32_from_u32(&mut self) {
        if (self.u32min as i32) <= (self.u32max as i32) {
            self.s32min = self.u32min as i32;
            self.s32max = self.u32max as i32;
        } else {
            (self.s32min, self.s32max) = (i32::MIN, i32::MAX);
        }
    }

    #[inline]
    fn s64_from_u64(&mut self) {
        if (self.umin as i64) <= (self.umax as i64) {
            self.smin = self.umin as i64;
            self.smax = self.umax as i64;
        } else {
            (self.smin, self.smax) = (i64::MIN, i64::MAX);
        }
    }

    // The bitwise ops run after the tnum is updated and read the result tnum.

    fn and32(&mut self, src: &Scalar) {
        let t = self.var_off.subreg();
        if src.var_off.subreg_is_const() && t.is_const() {
            self.set_known32(t.value as u32);
            return;
        }
        // The result has at least the bits known set in both, and is at most either operand.
        self.u32min = t.value as u32;
        self.u32max = self.u32max.min(src.u32max);
        self.s32_from_u32();
    }

    fn and64(&mut self, src: &Scalar) {
        if src.var_off.is_const() && self.var_off.is_const() {
            *self = Scalar::constant(self.var_off.value);
            return;
        }
        self.umin = self.var_off.value;
        self.umax = self.umax.min(src.umax);
        self.s64_from_u64();
        self.update_from_tnum();
    }

    fn or32(&mut self, src: &Scalar) {
        let t = self.var_off.subreg();
        if src.var_off.subreg_is_const() && t.is_const() {
            self.set_known32(t.value as u32);
            return;
        }
        // At least either operand, at most every bit that may be set.
        self.u32min = self.u32min.max(src.u32min);
        self.u32max = (t.value | t.mask) as u32;
        self.s32_from_u32();
    }

    fn or64(&mut self, src: &Scalar) {
        if src.var_off.is_const() && self.var_off.is_const() {
            *self = Scalar::constant(self.var_off.value);
            return;
        }
        self.umin = self.umin.max(src.umin);
        self.umax = self.var_off.value | self.var_off.mask;
        self.s64_from_u64();
        self.update_from_tnum();
    }

    fn xor32(&mut self, src: &Scalar) {
        let t = self.var_off.subreg();
        if src.var_off.subreg_is_const() && t.is_const() {
            self.set_known32(t.value as u32);
            return;
        }
        self.u32min = t.value as u32;
        self.u32max = (t.value | t.mask) as u32;
        self.s32_from_u32();
    }

    fn xor64(&mut self, src: &Scalar) {
        if src.var_off.is_const() && self.var_off.is_const() {
            *self = Scalar::constant(self.var_off.value);
            return;
        }
        self.umin = self.var_off.value;
        self.umax = self.var_off.value | self.var_off.mask;
        self.s64_from_u64();
        self.update_from_tnum();
    }

    /// The 32-bit intervals of a left shift by [lo, hi]: unsigned ends shifted unless bits could
    /// leave the subregister, signed always unbounded.
    fn lsh32_bounds(&mut self, lo: u64, hi: u64) {
        (self.s32min, self.s32max) = (i32::MIN, i32::MAX);
        if hi > 31 || self.u32max as u64 > 1u64 << (31 - hi) {
            (self.u32min, self.u32max) = (0, u32::MAX);
        } else {
            self.u32min <<= lo;
            self.u32max <<= hi;
        }
    }

    fn lsh32(&mut self, lo: u64, hi: u64) {
        let sub = self.var_off.subreg();
        self.lsh32_bounds(lo, hi);
        self.var_off = sub.lshift(lo as u32).subreg();
        self.unbound64();
        self.update32_from_tnum();
    }

    fn lsh64(&mut self, lo: u64, hi: u64) {
        // `<<= 32` of a non-negative subregister, the first half of the compilers' sign-extension
        // idiom, keeps the signed bounds (6.18 still requires each end to be non-negative).
        let by32 = lo == 32 && hi == 32;
        self.smax = if by32 && self.s32max >= 0 { (self.s32max as i64) << 32 } else { i64::MAX };
        self.smin = if by32 && self.s32min >= 0 { (self.s32min as i64) << 32 } else { i64::MIN };
        if self.umax > 1u64 << (63 - hi) {
            (self.umin, self.umax) = (0, u64::MAX);
        } else {
            self.umin <<= lo;
            self.umax <<= hi;
        }
        self.lsh32_bounds(lo, hi);
        self.var_off = self.var_off.lshift(lo as u32);
        self.update_from_tnum();
    }

    fn rsh32(&mut self, lo: u32, hi: u32) {
        let sub = self.var_off.subreg();
        (self.s32min, self.s32max) = (i32::MIN, i32::MAX);
        self.var_off = sub.rshift(lo);
        self.u32min >>= hi;
        self.u32max >>= lo;
        self.unbound64();
        self.update32_from_tnum();
    }

    fn rsh64(&mut self, lo: u64, hi: u64) {
        (self.smin, self.smax) = (i64::MIN, i64::MAX);
        self.var_off = self.var_off.rshift(lo as u32);
        self.umin >>= hi;
        self.umax >>= lo;
        self.unbound32();
        self.update_from_tnum();
    }

    fn arsh32(&mut self, by: u32) {
        self.s32min >>= by;
        self.s32max >>= by;
        self.var_off = self.var_off.subreg().arshift(by, 32);
        (self.u32min, self.u32max) = (0, u32::MAX);
        self.unbound64();
        self.update32_from_tnum();
    }

    fn arsh64(&mut self, by: u64) {
        self.smin >>= by;
        self.smax >>= by;
        self.var_off = self.var_off.arshift(by as u32, 64);
        (self.umin, self.umax) = (0, u64::MAX);
        self.unbound32();
        self.update_from_tnum();
    }

    /// BPF_END: the known bits follow the bytes. The value is cut to `bits` (on a little-endian
    /// machine `le` only does that), swapped for `be` and `bswap`, and the intervals are what the
    /// moved tnum allows (6.18 keeps nothing else across the swap).
    pub fn end(&mut self, order: ByteOrder, bits: i32) {
        let width = bits.clamp(8, 64) as u32;
        let keep = if width >= 64 { u64::MAX } else { (1u64 << width) - 1 };
        let swap = |x: u64| match width {
            16 => u64::from((x as u16).swap_bytes()),
            32 => u64::from((x as u32).swap_bytes()),
            64 => x.swap_bytes(),
            _ => x,
        };
        let cut = Tnum { value: self.var_off.value & keep, mask: self.var_off.mask & keep };
        let moved = match order {
            ByteOrder::Le => cut,
            ByteOrder::Be | ByteOrder::Swap => Tnum { value: swap(cut.value), mask: swap(cut.mask) },
        };
        *self = Scalar::unknown();
        self.var_off = moved;
        self.sync();
    }

    // ---- narrowing ----

    /// A value loaded from memory of `size` (zero- or, for BPF_MEMSX, sign-extended): unknown
    /// contents narrowed as check_mem_access narrows them.
    pub fn load(size: Size, sx: bool) -> Scalar {
        let mut s = Scalar::unknown();
        s.truncate(size, sx);
        s
    }

    /// The value narrowed to `size` and zero- or sign-extended back to 64 bits (coerce_reg_to_size
    /// and coerce_reg_to_size_sx); DW leaves it alone.
    pub fn truncate(&mut self, size: Size, sx: bool) {
        let bytes = size.bytes() as u32;
        if bytes >= 8 {
            return;
        }
        if sx {
            self.sext(bytes);
        } else {
            self.zext(bytes);
        }
    }

    /// coerce_reg_to_size: keep the low `bytes` bytes.
    fn zext(&mut self, bytes: u32) {
        self.var_off = self.var_off.cast(bytes);
        let keep = (1u64 << (bytes * 8)) - 1;
        if self.umin & !keep == self.umax & !keep {
            self.umin &= keep;
            self.umax &= keep;
        } else {
            self.umin = 0;
            self.umax = keep;
        }
        self.smin = self.umin as i64;
        self.smax = self.umax as i64;
        // The 32-bit bounds describe the same bits only for a 4-byte cut; below that they are
        // recomputed from scratch.
        if bytes < 4 {
            self.unbound32();
        }
        self.sync();
    }

    /// coerce_reg_to_size_sx: sign-extend the low `bytes` (1, 2, 4) bytes into the register.
    fn sext(&mut self, bytes: u32) {
        let bits = bytes * 8;
        let extend = |v: u64| -> i64 {
            match bytes {
                1 => v as i8 as i64,
                2 => v as i16 as i64,
                _ => v as i32 as i64,
            }
        };
        if let Some(v) = self.is_const() {
            *self = Scalar::constant(extend(v) as u64);
            return;
        }
        // The signed range survives when its ends agree above the cut and the cut ends have the
        // same sign.
        if (self.smax as u64) >> bits == (self.smin as u64) >> bits {
            let a = extend(self.smax as u64);
            let b = extend(self.smin as u64);
            let (lo, hi) = (a.min(b), a.max(b));
            if (hi >= 0) == (lo >= 0) {
                self.smin = lo;
                self.smax = hi;
                self.s32min = lo as i32;
                self.s32max = hi as i32;
                self.umin = lo as u64;
                self.umax = hi as u64;
                self.u32min = lo as u32;
                self.u32max = hi as u32;
                self.var_off = Tnum::range(lo as u64, hi as u64);
                return;
            }
        }
        let (lo, hi) = match bytes {
            1 => (i8::MIN as i64, i8::MAX as i64),
            2 => (i16::MIN as i64, i16::MAX as i64),
            _ => (i32::MIN as i64, i32::MAX as i64),
        };
        self.smin = lo;
        self.smax = hi;
        self.s32min = lo as i32;
        self.s32max = hi as i32;
        self.umin = 0;
        self.u32min = 0;
        self.umax = u64::MAX;
        self.u32max = u32::MAX;
        self.var_off = Tnum::UNKNOWN;
    }

    /// coerce_subreg_to_size_sx: sign-extend the low `bytes` (1, 2) bytes into the subregister; the
    /// caller zero-extends into 64 bits.
    fn sext_subreg(&mut self, bytes: u32) {
        let bits = bytes * 8;
        let extend = |v: u32| -> i32 {
            if bytes == 1 {
                v as i8 as i32
            } else {
                v as i16 as i32
            }
        };
        if self.var_off.is_const() {
            // Only a wholly known register takes this path (the kernel tests the 64-bit tnum).
            let v = extend(self.var_off.value as u32);
            self.var_off = Tnum::constant(v as i64 as u64);
            self.s32min = v;
            self.s32max = v;
            self.u32min = v as u32;
            self.u32max = v as u32;
            return;
        }
        if (self.s32max as u32) >> bits == (self.s32min as u32) >> bits {
            let a = extend(self.s32max as u32);
            let b = extend(self.s32min as u32);
            let (lo, hi) = (a.min(b), a.max(b));
            if (hi >= 0) == (lo >= 0) {
                self.s32min = lo;
                self.s32max = hi;
                self.u32min = lo as u32;
                self.u32max = hi as u32;
                self.var_off = Tnum::range(lo as u32 as u64, hi as u32 as u64);
                return;
            }
        }
        let (lo, hi) = if bytes == 1 { (i8::MIN as i32, i8::MAX as i32) } else { (i16::MIN as i32, i16::MAX as i32) };
        self.s32min = lo;
        self.s32max = hi;
        self.u32min = 0;
        self.u32max = u32::MAX;
        self.var_off = Tnum::UNKNOWN.subreg();
    }

    /// maybe_fork_scalars, which 6.18 runs before an AND with a source whose 64-bit tnum is known:
    /// a destination that is exactly -1 or 0 (s64 range [-1, 0], else s32 range [-1, 0]) is split
    /// in two. Gives `(pushed, current)`: `pushed` is the state the kernel queues to resume
    /// *after* the instruction (the destination set to 0, which is what the AND yields; in the
    /// 32-bit case only the low half is set and nothing is zero-extended, as in the kernel), and
    /// `current` is the destination the kernel goes on to run the AND on (set to -1). None if the
    /// kernel does not fork. (6.18 forks for AND only; OR forking came later.)
    pub fn and_fork(&self, src: &Scalar) -> Option<(Scalar, Scalar)> {
        if !src.var_off.is_const() {
            return None;
        }
        if self.smin == -1 && self.smax == 0 {
            Some((Scalar::constant(0), Scalar::constant(u64::MAX)))
        } else if self.s32min == -1 && self.s32max == 0 {
            let (mut zero, mut ones) = (*self, *self);
            zero.set_known32(0);
            ones.set_known32(u32::MAX);
            // The 64-bit view follows the now known low half (the kernel's next use agrees).
            zero.sync();
            ones.sync();
            Some((zero, ones))
        } else {
            None
        }
    }

    // ---- branches ----

    /// is_scalar_branch_taken: `Some(true)` if `a cond b` holds for every member pair at width `w`,
    /// `Some(false)` if for none, `None` if it depends.
    pub fn branch(cond: Cond, w: Width, a: &Scalar, b: &Scalar) -> Option<bool> {
        let j32 = w == Width::W32;
        let view = |r: &Scalar| -> (Tnum, u64, u64, i64, i64) {
            if j32 {
                (r.var_off.subreg(), r.u32min as u64, r.u32max as u64, r.s32min as i64, r.s32max as i64)
            } else {
                (r.var_off, r.umin, r.umax, r.smin, r.smax)
            }
        };
        let (t1, umin1, umax1, smin1, smax1) = view(a);
        let (t2, umin2, umax2, smin2, smax2) = view(b);
        // Whether the two can never be equal, from any of the descriptions.
        let disjoint = || {
            !t1.overlap(t2)
                || umin1 > umax2
                || umax1 < umin2
                || smin1 > smax2
                || smax1 < smin2
                || (!j32 && (a.u32min > b.u32max || a.u32max < b.u32min || a.s32min > b.s32max || a.s32max < b.s32min))
        };
        match cond {
            Cond::Eq | Cond::Ne => {
                let eq = cond == Cond::Eq;
                if t1.is_const() && t2.is_const() {
                    return Some((t1.value == t2.value) == eq);
                }
                if disjoint() {
                    return Some(!eq);
                }
                None
            }
            Cond::Set => {
                // Only decided against a known mask (either side).
                let (t, m) = if b.const_at(w).is_some() {
                    (t1, t2.value)
                } else if a.const_at(w).is_some() {
                    (t2, t1.value)
                } else {
                    return None;
                };
                if t.value & m != 0 {
                    Some(true)
                } else if (t.value | t.mask) & m == 0 {
                    Some(false)
                } else {
                    None
                }
            }
            Cond::Gt => decide(umin1 > umax2, umax1 <= umin2),
            Cond::Sgt => decide(smin1 > smax2, smax1 <= smin2),
            Cond::Lt => decide(umax1 < umin2, umin1 >= umax2),
            Cond::Slt => decide(smax1 < smin2, smin1 >= smax2),
            Cond::Ge => decide(umin1 >= umax2, umax1 < umin2),
            Cond::Sge => decide(smin1 >= smax2, smax1 < smin2),
            Cond::Le => decide(umax1 <= umin2, umin1 > umax2),
            Cond::Sle => decide(smax1 <= smin2, smin1 > smax2),
        }
    }

    /// is_scalar_branch_taken when both operands are the same register (`if r1 > r1`): the
    /// comparisons with equality hold, the strict ones and Ne do not, Set holds when the value is
    /// known non-zero (or its signed range excludes 0). reg_set_min_max then refines nothing.
    pub fn branch_same_reg(cond: Cond, w: Width, a: &Scalar) -> Option<bool> {
        match cond {
            Cond::Ge | Cond::Le | Cond::Sge | Cond::Sle | Cond::Eq => Some(true),
            Cond::Gt | Cond::Lt | Cond::Sgt | Cond::Slt | Cond::Ne => Some(false),
            Cond::Set => {
                if let Some(v) = a.const_at(w) {
                    return Some(v != 0);
                }
                let (lo, hi) = match w {
                    Width::W32 => (a.s32min as i64, a.s32max as i64),
                    Width::W64 => (a.smin, a.smax),
                };
                if lo <= 0 && hi >= 0 {
                    None
                } else {
                    Some(true)
                }
            }
        }
    }

    /// regs_refine_cond_op + reg_bounds_sync on both, for the side of a jump where `a cond b`
    /// holds at width `w`. The fall-through side is `refine(negate(cond))`, or [`Scalar::refine_not`].
    /// A pair whose refinement comes out empty fails [`Scalar::sane`] (that side cannot run);
    /// reg_set_min_max then applies [`Scalar::check_invariants`] to each of the four registers.
    pub fn refine(cond: Cond, w: Width, a: &mut Scalar, b: &mut Scalar) {
        refine_test(Test::C(cond), w, a, b);
        a.sync();
        b.sync();
    }

    /// The side of a jump on `cond` where it does not hold (rev_opcode: JSET becomes "no bit set").
    pub fn refine_not(cond: Cond, w: Width, a: &mut Scalar, b: &mut Scalar) {
        let t = match negate(cond) {
            Some(c) => Test::C(c),
            None => Test::NotSet,
        };
        refine_test(t, w, a, b);
        a.sync();
        b.sync();
    }

    // ---- pruning ----

    /// range_within(old, self) && tnum_in(old.var_off, self.var_off): every value this state
    /// allows, the explored `old` state allowed too.
    pub fn within(&self, old: &Scalar) -> bool {
        old.umin <= self.umin
            && old.umax >= self.umax
            && old.smin <= self.smin
            && old.smax >= self.smax
            && old.u32min <= self.u32min
            && old.u32max >= self.u32max
            && old.s32min <= self.s32min
            && old.s32max >= self.s32max
            && old.var_off.includes(self.var_off)
    }

    // ---- the log ----

    /// The value as the verifier log prints a scalar register without an id: a known value as a
    /// signed number (decimal within i16, else hex), otherwise `scalar(...)` with [`Scalar::log_fields`].
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Some(v) = self.is_const() {
            push_snum(&mut s, v as i64);
        } else {
            s.push_str("scalar(");
            s.push_str(&self.log_fields());
            s.push(')');
        }
        s
    }

    /// The text print_reg_state puts between `scalar(` and `)` after the id: the bounds that are
    /// not the type's extremes, equal ones merged as `smin=umin=...` (a negative signed value never
    /// merges with a non-negative one), then `var_off` unless it is fully unknown. Empty for an
    /// unknown value; a caller adding `id=N` joins with a comma only when this is non-empty.
    pub fn log_fields(&self) -> String {
        let mut s = String::new();
        // Sign-extending a 32-bit bound is only done when it prints in decimal: in hex, smin32=-2
        // would print as 0xfffffffffffffffe, so it keeps its 32-bit pattern instead.
        let s32 = |v: i32| -> u64 {
            if snum_decimal(v as i64) {
                v as i64 as u64
            } else {
                v as u32 as u64
            }
        };
        // (name, value, signed, omitted)
        let mut items: [(&str, u64, bool, bool); 8] = [
            ("smin", self.smin as u64, true, self.smin == i64::MIN),
            ("smax", self.smax as u64, true, self.smax == i64::MAX),
            ("umin", self.umin, false, self.umin == 0),
            ("umax", self.umax, false, self.umax == u64::MAX),
            ("smin32", s32(self.s32min), true, self.s32min == i32::MIN),
            ("smax32", s32(self.s32max), true, self.s32max == i32::MAX),
            ("umin32", self.u32min as u64, false, self.u32min == 0),
            ("umax32", self.u32max as u64, false, self.u32max == u32::MAX),
        ];
        let mut first = true;
        for i in 0..items.len() {
            let (name, val, signed, omit) = items[i];
            if omit {
                continue;
            }
            if !first {
                s.push(',');
            }
            first = false;
            s.push_str(name);
            s.push('=');
            let neg = signed && (val as i64) < 0;
            // Only the same kind of bound (min with min, max with max) can merge: every other slot.
            let mut j = i + 2;
            while j < items.len() {
                let (n2, v2, s2, o2) = items[j];
                if !o2 && v2 == val && (s2 && (v2 as i64) < 0) == neg {
                    items[j].3 = true;
                    s.push_str(n2);
                    s.push('=');
                }
                j += 2;
            }
            if signed {
                push_snum(&mut s, val as i64);
            } else {
                push_unum(&mut s, val);
            }
        }
        if !self.var_off.is_unknown() {
            if !first {
                s.push(',');
            }
            s.push_str("var_off=");
            s.push_str(&self.var_off.strn());
        }
        s
    }
}

#[inline]
fn decide(yes: bool, no: bool) -> Option<bool> {
    if yes {
        Some(true)
    } else if no {
        Some(false)
    } else {
        None
    }
}

/// regs_refine_cond_op: narrow `a` and `b` to the pairs where the test holds (no sync).
fn refine_test(t: Test, w: Width, a: &mut Scalar, b: &mut Scalar) {
    let j32 = w == Width::W32;
    // The greater-than forms are handled as less-than with the operands swapped.
    let (t, a, b) = match t {
        Test::C(c @ (Cond::Ge | Cond::Gt | Cond::Sge | Cond::Sgt)) => (Test::C(flip(c)), b, a),
        _ => (t, a, b),
    };
    match t {
        Test::C(Cond::Eq) => {
            if j32 {
                a.u32min = a.u32min.max(b.u32min);
                a.u32max = a.u32max.min(b.u32max);
                a.s32min = a.s32min.max(b.s32min);
                a.s32max = a.s32max.min(b.s32max);
                b.u32min = a.u32min;
                b.u32max = a.u32max;
                b.s32min = a.s32min;
                b.s32max = a.s32max;
                let both = a.var_off.subreg().intersect(b.var_off.subreg());
                a.var_off = a.var_off.with_subreg(both);
                b.var_off = b.var_off.with_subreg(both);
            } else {
                a.umin = a.umin.max(b.umin);
                a.umax = a.umax.min(b.umax);
                a.smin = a.smin.max(b.smin);
                a.smax = a.smax.min(b.smax);
                b.umin = a.umin;
                b.umax = a.umax;
                b.smin = a.smin;
                b.smax = a.smax;
                a.var_off = a.var_off.intersect(b.var_off);
                b.var_off = a.var_off;
            }
        }
        Test::C(Cond::Ne) => {
            // Only a known operand helps: it can be shaved off an end of the other's intervals.
            let (r, v) = match (b.const_at(w), a.const_at(w)) {
                (Some(v), _) => (a, v),
                (None, Some(v)) => (b, v),
                _ => return,
            };
            if j32 {
                if r.u32min == v as u32 {
                    r.u32min = r.u32min.wrapping_add(1);
                }
                if r.u32max == v as u32 {
                    r.u32max = r.u32max.wrapping_sub(1);
                }
                if r.s32min == v as i32 {
                    r.s32min = r.s32min.wrapping_add(1);
                }
                if r.s32max == v as i32 {
                    r.s32max = r.s32max.wrapping_sub(1);
                }
            } else {
                if r.umin == v {
                    r.umin = r.umin.wrapping_add(1);
                }
                if r.umax == v {
                    r.umax = r.umax.wrapping_sub(1);
                }
                if r.smin == v as i64 {
                    r.smin = r.smin.wrapping_add(1);
                }
                if r.smax == v as i64 {
                    r.smax = r.smax.wrapping_sub(1);
                }
            }
        }
        Test::C(Cond::Set) => {
            let (r, v) = match (b.const_at(w), a.const_at(w)) {
                (Some(v), _) => (a, v),
                (None, Some(v)) => (b, v),
                _ => return,
            };
            // Only a single-bit mask says which bit is set.
            if !v.is_power_of_two() {
                return;
            }
            if j32 {
                let sub = r.var_off.subreg().or(Tnum::constant(v));
                r.var_off = r.var_off.with_subreg(sub);
            } else {
                r.var_off = r.var_off.or(Tnum::constant(v));
            }
        }
        Test::NotSet => {
            let (r, v) = match (b.const_at(w), a.const_at(w)) {
                (Some(v), _) => (a, v),
                (None, Some(v)) => (b, v),
                _ => return,
            };
            // Clearing tnum bits can contradict the intervals; the kernel drops them and lets the
            // sync rebuild them from the tnum.
            r.unbound();
            if j32 {
                let sub = r.var_off.subreg().and(Tnum::constant(!v));
                r.var_off = r.var_off.with_subreg(sub);
            } else {
                r.var_off = r.var_off.and(Tnum::constant(!v));
            }
        }
        Test::C(Cond::Le) => {
            if j32 {
                a.u32max = a.u32max.min(b.u32max);
                b.u32min = a.u32min.max(b.u32min);
            } else {
                a.umax = a.umax.min(b.umax);
                b.umin = a.umin.max(b.umin);
            }
        }
        Test::C(Cond::Lt) => {
            // The kernel's wrapping ±1: an impossible `x < 0` yields an empty interval.
            if j32 {
                a.u32max = a.u32max.min(b.u32max.wrapping_sub(1));
                b.u32min = a.u32min.wrapping_add(1).max(b.u32min);
            } else {
                a.umax = a.umax.min(b.umax.wrapping_sub(1));
                b.umin = a.umin.wrapping_add(1).max(b.umin);
            }
        }
        Test::C(Cond::Sle) => {
            if j32 {
                a.s32max = a.s32max.min(b.s32max);
                b.s32min = a.s32min.max(b.s32min);
            } else {
                a.smax = a.smax.min(b.smax);
                b.smin = a.smin.max(b.smin);
            }
        }
        Test::C(Cond::Slt) => {
            if j32 {
                a.s32max = a.s32max.min(b.s32max.wrapping_sub(1));
                b.s32min = a.s32min.wrapping_add(1).max(b.s32min);
            } else {
                a.smax = a.smax.min(b.smax.wrapping_sub(1));
                b.smin = a.smin.wrapping_add(1).max(b.smin);
            }
        }
        Test::C(Cond::Ge | Cond::Gt | Cond::Sge | Cond::Sgt) => unreachable!("flipped above"),
    }
}

/// The log prints numbers in decimal only while they are small.
#[inline]
fn unum_decimal(v: u64) -> bool {
    v <= u16::MAX as u64
}

#[inline]
fn snum_decimal(v: i64) -> bool {
    (i16::MIN as i64..=i16::MAX as i64).contains(&v)
}

fn push_unum(s: &mut String, v: u64) {
    let _ = if unum_decimal(v) { write!(s, "{v}") } else { write!(s, "{v:#x}") };
}

fn push_snum(s: &mut String, v: i64) {
    let _ = if snum_decimal(v) { write!(s, "{v}") } else { write!(s, "{:#x}", v as u64) };
}

#[cfg(test)]
#[path = "scalar_tests.rs"]
mod tests;
