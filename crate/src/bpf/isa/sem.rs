//! The semantics of the ISA's computations as pure functions of values: what the interpreter runs
//! and what constant folding can evaluate. The kernel's rules (RFC 9669's too): division by zero
//! gives 0 and modulo by zero leaves the dividend; signed division wraps INT_MIN / -1 back to
//! INT_MIN and INT_MIN % -1 is 0; shift amounts are masked to the width; 32-bit results are
//! zero-extended into the 64-bit register.

use super::op::{AluOp, AtomicOp, ByteOrder, Cond, Size, Width};

/// `dst op src` at width `w`. `src` is the register's value or the immediate sign-extended to 64
/// bits (the 32-bit forms use its low half).
#[inline(always)]
pub fn alu(op: AluOp, w: Width, dst: u64, src: u64) -> u64 {
    match w {
        Width::W64 => alu64(op, dst, src),
        Width::W32 => alu32(op, dst as u32, src as u32) as u64,
    }
}

/// The ALU at one width: `$u` the register's unsigned view, `$i` its signed one.
macro_rules! alu_at {
    ($name:ident, $u:ty, $i:ty) => {
        #[inline(always)]
        fn $name(op: AluOp, a: $u, b: $u) -> $u {
            let mask = <$u>::BITS as $u - 1;
            match op {
                AluOp::Add => a.wrapping_add(b),
                AluOp::Sub => a.wrapping_sub(b),
                AluOp::Mul => a.wrapping_mul(b),
                AluOp::Div => a.checked_div(b).unwrap_or(0),
                AluOp::SDiv => {
                    if b == 0 {
                        0
                    } else {
                        (a as $i).wrapping_div(b as $i) as $u
                    }
                }
                AluOp::Or => a | b,
                AluOp::And => a & b,
                AluOp::Lsh => a << (b & mask),
                AluOp::Rsh => a >> (b & mask),
                AluOp::Neg => a.wrapping_neg(),
                AluOp::Mod => a.checked_rem(b).unwrap_or(a),
                AluOp::SMod => {
                    if b == 0 {
                        a
                    } else {
                        (a as $i).wrapping_rem(b as $i) as $u
                    }
                }
                AluOp::Xor => a ^ b,
                AluOp::Mov => b,
                AluOp::MovSx8 => b as i8 as $i as $u,
                AluOp::MovSx16 => b as i16 as $i as $u,
                // At 32 bits this is a plain move (the decoder never gives it for ALU).
                AluOp::MovSx32 => b as i32 as $i as $u,
                AluOp::Arsh => ((a as $i) >> (b & mask)) as $u,
            }
        }
    };
}

alu_at!(alu64, u64, i64);
alu_at!(alu32, u32, i32);

/// BPF_END on this (little-endian) host: to_le truncates, to_be and bswap swap. None for a width
/// other than 16, 32 or 64.
#[inline(always)]
pub fn end(order: ByteOrder, bits: i32, v: u64) -> Option<u64> {
    Some(match (order, bits) {
        (ByteOrder::Le, 16) => v as u16 as u64,
        (ByteOrder::Le, 32) => v as u32 as u64,
        (ByteOrder::Le, 64) => v,
        (_, 16) => (v as u16).swap_bytes() as u64,
        (_, 32) => (v as u32).swap_bytes() as u64,
        (_, 64) => v.swap_bytes(),
        _ => return None,
    })
}

/// Whether `dst cond src` holds at width `w` (`src` as for [`alu`]).
#[inline(always)]
pub fn cond(c: Cond, w: Width, dst: u64, src: u64) -> bool {
    match w {
        Width::W64 => cmp(c, dst, src, dst as i64, src as i64),
        Width::W32 => cmp(c, dst as u32, src as u32, dst as i32, src as i32),
    }
}

#[inline(always)]
fn cmp<U: Ord + Copy + std::ops::BitAnd<Output = U> + Default, S: Ord>(c: Cond, a: U, b: U, sa: S, sb: S) -> bool {
    match c {
        Cond::Eq => a == b,
        Cond::Ne => a != b,
        Cond::Gt => a > b,
        Cond::Ge => a >= b,
        Cond::Lt => a < b,
        Cond::Le => a <= b,
        Cond::Set => a & b != U::default(),
        Cond::Sgt => sa > sb,
        Cond::Sge => sa >= sb,
        Cond::Slt => sa < sb,
        Cond::Sle => sa <= sb,
    }
}

/// A loaded value as the register gets it: zero-extended, or sign-extended for BPF_MEMSX.
#[inline(always)]
pub fn extend(size: Size, sx: bool, raw: u64) -> u64 {
    if !sx {
        return raw;
    }
    match size {
        Size::B => raw as u8 as i8 as u64,
        Size::H => raw as u16 as i16 as u64,
        Size::W => raw as u32 as i32 as u64,
        Size::DW => raw,
    }
}

/// The value an atomic leaves in memory, from the `old` one (both zero-extended to the access's
/// width, `wide` for DW), the src register and r0 (cmpxchg's expected value). None for an
/// operation that does not run.
#[inline(always)]
pub fn atomic(op: AtomicOp, wide: bool, old: u64, src: u64, r0: u64) -> Option<u64> {
    let mask = if wide { u64::MAX } else { u32::MAX as u64 };
    Some(match op {
        AtomicOp::Xchg => src,
        AtomicOp::Cmpxchg => {
            if old == r0 & mask {
                src
            } else {
                old
            }
        }
        AtomicOp::Rmw { op, .. } => alu64(op, old, src),
        _ => return None,
    })
}
