//! Soundness of the scalar domain against the ISA's concrete semantics (`isa::sem`), and precision
//! and log spot checks against results the kernel's selftests pin down.

use super::*;
use crate::bpf::isa::sem;
use proptest::prelude::*;

const OPS: [AluOp; 18] = [
    AluOp::Add,
    AluOp::Sub,
    AluOp::Mul,
    AluOp::Div,
    AluOp::SDiv,
    AluOp::Or,
    AluOp::And,
    AluOp::Lsh,
    AluOp::Rsh,
    AluOp::Neg,
    AluOp::Mod,
    AluOp::SMod,
    AluOp::Xor,
    AluOp::Mov,
    AluOp::MovSx8,
    AluOp::MovSx16,
    AluOp::MovSx32,
    AluOp::Arsh,
];

const CONDS: [Cond; 11] =
    [Cond::Eq, Cond::Gt, Cond::Ge, Cond::Set, Cond::Ne, Cond::Sgt, Cond::Sge, Cond::Lt, Cond::Le, Cond::Slt, Cond::Sle];

/// The tightest abstraction of a non-empty concrete set, as the kernel could describe it.
fn abstract_of(xs: &[u64]) -> Scalar {
    let mut t = Tnum::constant(xs[0]);
    for &x in &xs[1..] {
        t = t.union(Tnum::constant(x));
    }
    let mut s = Scalar {
        var_off: t,
        smin: xs.iter().map(|&x| x as i64).min().unwrap(),
        smax: xs.iter().map(|&x| x as i64).max().unwrap(),
        umin: *xs.iter().min().unwrap(),
        umax: *xs.iter().max().unwrap(),
        s32min: xs.iter().map(|&x| x as i32).min().unwrap(),
        s32max: xs.iter().map(|&x| x as i32).max().unwrap(),
        u32min: xs.iter().map(|&x| x as u32).min().unwrap(),
        u32max: xs.iter().map(|&x| x as u32).max().unwrap(),
    };
    s.sync();
    s
}

/// Values that stress the boundaries the domain cares about.
fn value() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        0u64..300,
        (0u64..300).prop_map(|x| x.wrapping_neg()),
        (0u64..300).prop_map(|x| x.wrapping_add(0x7fff_ff80)),
        (0u64..300).prop_map(|x| x.wrapping_add(0xffff_ff80)),
        (0u64..300).prop_map(|x| x.wrapping_add(0x7fff_ffff_ffff_ff80)),
        (0u64..300).prop_map(|x| x.wrapping_add(0x1_0000_0000)),
        (any::<u64>(), any::<u64>()).prop_map(|(a, m)| a & m & 0xffff),
        (any::<i32>()).prop_map(|x| x as i64 as u64),
        (any::<i8>()).prop_map(|x| x as i64 as u64),
    ]
}

/// A random abstract value together with concrete members of it. Either the tightest
/// abstraction of a set, or that abstraction loosened (an interval end widened, tnum bits
/// forgotten) and re-synced, so that the inputs are not always exact.
fn abstract_value() -> impl Strategy<Value = (Scalar, Vec<u64>)> {
    (prop::collection::vec(value(), 1..6), any::<u64>(), 0u8..6).prop_map(|(xs, r, how)| {
        let mut s = abstract_of(&xs);
        match how {
            1 => s.umax = s.umax.max(r),
            2 => s.smin = s.smin.min(r as i64),
            3 => s.var_off = Tnum { value: s.var_off.value & !r, mask: s.var_off.mask | r },
            4 => s.u32max = s.u32max.max(r as u32),
            5 => s = Scalar::unknown(),
            _ => {}
        }
        s.sync();
        (s, xs)
    })
}

fn shift_ok(op: AluOp, w: Width, b: &Scalar) -> bool {
    // The kernel refuses constant shifts past the width before bounds are computed; the concrete
    // semantics masks the amount, which the verifier never sees for a known amount.
    let bits = if w == Width::W32 { 32 } else { 64 };
    !matches!(op, AluOp::Lsh | AluOp::Rsh | AluOp::Arsh) || b.is_const().is_none_or(|v| v < bits)
}

fn check_member(s: &Scalar, x: u64, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(s.contains(x), "{what}: {x:#x} not in {s:?}");
    prop_assert!(s.sane(), "{what}: insane {s:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn sync_keeps_members((a, xs) in abstract_value()) {
        for &x in &xs {
            check_member(&a, x, "sync")?;
        }
    }

    #[test]
    fn alu_sound((a, xs) in abstract_value(), (b, ys) in abstract_value(), opi in 0usize..OPS.len(), w64 in any::<bool>()) {
        let op = OPS[opi];
        let w = if w64 { Width::W64 } else { Width::W32 };
        prop_assume!(shift_ok(op, w, &b));
        let mut r = a;
        r.alu(op, w, &b);
        for &x in &xs {
            for &y in &ys {
                let z = sem::alu(op, w, x, y);
                check_member(&r, z, &format!("{op:?} {w:?} {x:#x} {y:#x} a={a:?} b={b:?}"))?;
            }
        }
    }

    #[test]
    fn alu_const_sound(x in value(), y in value(), opi in 0usize..OPS.len(), w64 in any::<bool>()) {
        // Known operands: the result must be the concrete one whenever the kernel tracks the op.
        let op = OPS[opi];
        let w = if w64 { Width::W64 } else { Width::W32 };
        let b = Scalar::constant(y);
        prop_assume!(shift_ok(op, w, &b));
        let mut r = Scalar::constant(x);
        r.alu(op, w, &b);
        check_member(&r, sem::alu(op, w, x, y), &format!("{op:?} {w:?} {x:#x} {y:#x}"))?;
    }

    #[test]
    fn truncate_sound((a, xs) in abstract_value(), si in 0usize..4, sx in any::<bool>()) {
        let size = [Size::B, Size::H, Size::W, Size::DW][si];
        let mut r = a;
        r.truncate(size, sx);
        let keep = if size == Size::DW { u64::MAX } else { (1u64 << (size.bytes() * 8)) - 1 };
        for &x in &xs {
            check_member(&r, sem::extend(size, sx, x & keep), "truncate")?;
        }
        let l = Scalar::load(size, sx);
        for &x in &xs {
            check_member(&l, sem::extend(size, sx, x & keep), "load")?;
        }
    }

    #[test]
    fn end_sound((a, xs) in abstract_value(), oi in 0usize..3, bi in 0usize..3) {
        let order = [ByteOrder::Le, ByteOrder::Be, ByteOrder::Swap][oi];
        let bits = [16, 32, 64][bi];
        let mut r = a;
        r.end(order, bits);
        for &x in &xs {
            check_member(&r, sem::end(order, bits, x).unwrap(), "end")?;
        }
    }

    #[test]
    fn branch_sound((a, xs) in abstract_value(), (b, ys) in abstract_value(), ci in 0usize..CONDS.len(), w64 in any::<bool>()) {
        let c = CONDS[ci];
        let w = if w64 { Width::W64 } else { Width::W32 };
        if let Some(taken) = Scalar::branch(c, w, &a, &b) {
            for &x in &xs {
                for &y in &ys {
                    prop_assert_eq!(sem::cond(c, w, x, y), taken, "{:?} {:?} {:#x} {:#x}", c, w, x, y);
                }
            }
        }
    }

    #[test]
    fn refine_sound((a, xs) in abstract_value(), (b, ys) in abstract_value(), ci in 0usize..CONDS.len(), w64 in any::<bool>()) {
        let c = CONDS[ci];
        let w = if w64 { Width::W64 } else { Width::W32 };
        let (mut ta, mut tb) = (a, b);
        Scalar::refine(c, w, &mut ta, &mut tb);
        let (mut fa, mut fb) = (a, b);
        Scalar::refine_not(c, w, &mut fa, &mut fb);
        for &x in &xs {
            for &y in &ys {
                let what = format!("{c:?} {w:?} {x:#x} {y:#x} a={a:?} b={b:?}");
                if sem::cond(c, w, x, y) {
                    check_member(&ta, x, &what)?;
                    check_member(&tb, y, &what)?;
                } else {
                    check_member(&fa, x, &what)?;
                    check_member(&fb, y, &what)?;
                }
            }
        }
    }

    #[test]
    fn branch_same_reg_sound((a, xs) in abstract_value(), ci in 0usize..CONDS.len(), w64 in any::<bool>()) {
        let c = CONDS[ci];
        let w = if w64 { Width::W64 } else { Width::W32 };
        if let Some(taken) = Scalar::branch_same_reg(c, w, &a) {
            for &x in &xs {
                prop_assert_eq!(sem::cond(c, w, x, x), taken, "{:?} {:?} {:#x}", c, w, x);
            }
        }
    }

    #[test]
    fn within_sound((a, xs) in abstract_value(), (b, _ys) in abstract_value()) {
        prop_assert!(a.within(&a));
        if a.within(&b) {
            for &x in &xs {
                prop_assert!(b.contains(x));
            }
        }
    }

    #[test]
    fn tnum_ops_sound(xs in prop::collection::vec(value(), 1..5), ys in prop::collection::vec(value(), 1..5), s in 0u32..64) {
        let ta = abstract_of(&xs).var_off;
        let tb = abstract_of(&ys).var_off;
        for &x in &xs {
            prop_assert!(ta.contains(x));
            prop_assert!(ta.neg().contains(x.wrapping_neg()));
            prop_assert!(ta.lshift(s).contains(x << s));
            prop_assert!(ta.rshift(s).contains(x >> s));
            prop_assert!(ta.arshift(s, 64).contains(((x as i64) >> s) as u64));
            prop_assert!(ta.subreg().arshift(s % 32, 32).contains(((x as i32) >> (s % 32)) as u32 as u64));
            prop_assert!(ta.cast(2).contains(x & 0xffff));
            prop_assert!(Tnum::range(x.min(xs[0]), x.max(xs[0])).contains(x));
            for &y in &ys {
                prop_assert!(ta.add(tb).contains(x.wrapping_add(y)));
                prop_assert!(ta.sub(tb).contains(x.wrapping_sub(y)));
                prop_assert!(ta.mul(tb).contains(x.wrapping_mul(y)), "mul {:?} {:?} {:#x} {:#x}", ta, tb, x, y);
                prop_assert!(ta.and(tb).contains(x & y));
                prop_assert!(ta.or(tb).contains(x | y));
                prop_assert!(ta.xor(tb).contains(x ^ y));
                prop_assert!(ta.union(tb).contains(y));
                if tb.contains(x) {
                    prop_assert!(ta.overlap(tb));
                    prop_assert!(ta.intersect(tb).contains(x));
                }
            }
        }
        if ta.includes(tb) {
            for &y in &ys {
                prop_assert!(ta.contains(y));
            }
        }
    }
}

// ---- precision spot checks ----

fn masked(m: u64) -> Scalar {
    let mut r = Scalar::unknown();
    r.alu(AluOp::And, Width::W64, &Scalar::constant(m));
    r
}

#[test]
fn and_0xff() {
    let r = masked(0xff);
    assert_eq!((r.umin, r.umax), (0, 255));
    assert_eq!(r.var_off, Tnum { value: 0, mask: 0xff });
    assert_eq!(r.log(), "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))");
}

#[test]
fn mov32_clears_upper() {
    let mut r = Scalar::unknown();
    r.alu(AluOp::Mov, Width::W32, &Scalar::unknown());
    assert_eq!((r.umin, r.umax, r.smin, r.smax), (0, 0xffff_ffff, 0, 0xffff_ffff));
    assert_eq!(r.var_off, Tnum { value: 0, mask: 0xffff_ffff });
    assert_eq!(r.log(), "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))");
}

#[test]
fn shift_pair_sign_extends() {
    // w1 in [0, 100], then r1 <<= 32; r1 s>>= 32.
    let mut r = masked(0x7f);
    let mut c = Scalar::constant(100);
    Scalar::refine(Cond::Le, Width::W64, &mut r, &mut c);
    r.alu(AluOp::Lsh, Width::W64, &Scalar::constant(32));
    assert_eq!((r.smin, r.smax), (0, 100 << 32));
    r.alu(AluOp::Arsh, Width::W64, &Scalar::constant(32));
    assert_eq!((r.smin, r.smax, r.umin, r.umax), (0, 100, 0, 100));
    // A subregister that may be negative: 6.18 keeps only the non-negative end through the left
    // shift (smax = 127 << 32, smin unbounded), so the pair gives [S32_MIN, 127], not [-128, 127].
    let mut r = Scalar::unknown();
    r.alu(AluOp::MovSx8, Width::W64, &Scalar::unknown());
    r.alu(AluOp::Lsh, Width::W64, &Scalar::constant(32));
    r.alu(AluOp::Arsh, Width::W64, &Scalar::constant(32));
    assert_eq!((r.smin, r.smax), (i32::MIN as i64, 127));
}

#[test]
fn branch_gt_false_side() {
    let mut r = Scalar::unknown();
    let mut k = Scalar::constant(10);
    Scalar::refine_not(Cond::Gt, Width::W64, &mut r, &mut k);
    assert_eq!((r.umin, r.umax), (0, 10));
    assert_eq!(r.log(), "scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf))");
    let mut r = Scalar::unknown();
    let mut k = Scalar::constant(10);
    Scalar::refine(Cond::Gt, Width::W64, &mut r, &mut k);
    assert_eq!(r.umin, 11);
    assert_eq!(Scalar::branch(Cond::Gt, Width::W64, &masked(7), &Scalar::constant(10)), Some(false));
    assert_eq!(Scalar::branch(Cond::Le, Width::W64, &masked(7), &Scalar::constant(10)), Some(true));
    assert_eq!(Scalar::branch(Cond::Eq, Width::W64, &masked(0xf0), &Scalar::constant(3)), Some(false));
    assert_eq!(Scalar::branch(Cond::Set, Width::W64, &masked(0xf0), &Scalar::constant(3)), Some(false));
    assert_eq!(Scalar::branch(Cond::Set, Width::W64, &masked(0xf0), &Scalar::constant(0x10)), None);
}

#[test]
fn jset_refines() {
    let mut r = masked(0xff);
    let mut k = Scalar::constant(0x10);
    Scalar::refine(Cond::Set, Width::W64, &mut r, &mut k);
    assert_eq!(r.var_off, Tnum { value: 0x10, mask: 0xef });
    assert_eq!(r.umin, 0x10);
    let mut r = masked(0xff);
    let mut k = Scalar::constant(0xf0);
    Scalar::refine_not(Cond::Set, Width::W64, &mut r, &mut k);
    assert_eq!(r.var_off, Tnum { value: 0, mask: 0xf });
    assert_eq!(r.umax, 0xf);
    assert_eq!(negate(Cond::Set), None);
    assert_eq!(negate(Cond::Sgt), Some(Cond::Sle));
}

#[test]
fn div_mod_end_are_unknown() {
    for op in [AluOp::Div, AluOp::SDiv, AluOp::Mod, AluOp::SMod] {
        for w in [Width::W32, Width::W64] {
            let mut r = masked(0xff);
            r.alu(op, w, &Scalar::constant(3));
            assert_eq!(r, Scalar::unknown(), "{op:?} {w:?}");
        }
    }
    // Byte swaps move the known bits with the bytes (the kernel's log for these, 6.18.44):
    // le16 of 0..0x30 keeps (0x0; 0x30); be16 of (0x0; 0x3f0) is (0x0; 0xf003); bswap64 of 0..63
    // is (0x0; 0x3f00000000000000); le32 of an unknown is (0x0; 0xffffffff); be64 of one is unknown.
    let mut r = masked(0x30);
    r.end(ByteOrder::Le, 16);
    assert_eq!((r.var_off.value, r.var_off.mask, r.umax), (0, 0x30, 0x30));
    let mut r = masked(0x3f0);
    r.end(ByteOrder::Be, 16);
    assert_eq!((r.var_off.mask, r.umax, r.smax), (0xf003, 0xf003, 0xf003));
    let mut r = masked(63);
    r.end(ByteOrder::Swap, 64);
    assert_eq!((r.var_off.mask, r.umax, r.u32max), (0x3f00_0000_0000_0000, 0x3f00_0000_0000_0000, 0));
    let mut r = Scalar::unknown();
    r.end(ByteOrder::Le, 32);
    assert_eq!((r.var_off.mask, r.smin, r.umax, r.s32min), (0xffff_ffff, 0, 0xffff_ffff, i32::MIN));
    let mut r = Scalar::unknown();
    r.end(ByteOrder::Be, 64);
    assert_eq!(r, Scalar::unknown());
    // A shift by an unknown amount, even at 32 bits, leaves all 64 bits unknown.
    let mut r = masked(0xff);
    r.alu(AluOp::Lsh, Width::W32, &masked(7));
    assert_eq!(r, Scalar::unknown());
}

#[test]
fn neg_tracks() {
    let mut r = masked(0xf);
    r.alu(AluOp::Neg, Width::W64, &Scalar::unknown());
    assert_eq!((r.smin, r.smax), (-15, 0));
    let mut r = Scalar::constant(5);
    r.alu(AluOp::Neg, Width::W32, &Scalar::unknown());
    assert_eq!(r.is_const(), Some(0xffff_fffb));
}

#[test]
fn loads() {
    let r = Scalar::load(Size::B, false);
    assert_eq!(r.log(), "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))");
    let r = Scalar::load(Size::B, true);
    assert_eq!(r.log(), "scalar(smin=smin32=-128,smax=smax32=127)");
    let r = Scalar::load(Size::W, false);
    assert_eq!(r.log(), "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))");
    let r = Scalar::load(Size::DW, false);
    assert_eq!(r.log(), "scalar()");
    assert_eq!(r.log_fields(), "");
}

#[test]
fn const_log() {
    assert_eq!(Scalar::constant(0).log(), "0");
    assert_eq!(Scalar::constant(u64::MAX).log(), "-1");
    assert_eq!(Scalar::constant(32767).log(), "32767");
    assert_eq!(Scalar::constant(65535).log(), "0xffff");
    assert_eq!(Scalar::constant(-32768i64 as u64).log(), "-32768");
    assert_eq!(Scalar::constant(-32769i64 as u64).log(), "0xffffffffffff7fff");
    assert_eq!(Tnum::constant(65535).strn(), "65535");
    assert_eq!(Tnum { value: 1, mask: 6 }.sbin(), format!("{}1xx1", "0".repeat(60)).replace("1xx1", "0xx1"));
}

// ---- log strings from the kernel selftests (tools/testing/selftests/bpf/progs/verifier_bounds.c) ----

#[test]
fn selftest_non_const_xor_or() {
    // r6 &= 0xaf; r0 &= 0x1a0; r0 ^= r6 (and |=)
    for op in [AluOp::Xor, AluOp::Or] {
        let r6 = masked(0xaf);
        let mut r0 = masked(0x1a0);
        r0.alu(op, Width::W64, &r6);
        assert_eq!(r0.log(), "scalar(smin=smin32=0,smax=umax=smax32=umax32=431,var_off=(0x0; 0x1af))", "{op:?}");
    }
}

#[test]
fn selftest_non_const_mul() {
    let r6 = masked(0xff);
    let mut r0 = masked(0x0f);
    r0.alu(AluOp::Mul, Width::W64, &r6);
    assert_eq!(r0.log(), "scalar(smin=smin32=0,smax=umax=smax32=umax32=3825,var_off=(0x0; 0xfff))");
}

#[test]
fn selftest_cross_sign_boundary() {
    // r0 = (s8)r0; if r0 > r1 goto ... (fall-through shown)
    let mut r0 = Scalar::unknown();
    r0.alu(AluOp::MovSx8, Width::W64, &Scalar::unknown());
    assert_eq!(r0.log(), "scalar(smin=smin32=-128,smax=smax32=127)");
    let mut a = r0;
    let mut k = Scalar::constant(0xffff_ffff_ffff_ff00);
    Scalar::refine_not(Cond::Gt, Width::W64, &mut a, &mut k);
    assert_eq!(a.log(), "scalar(smin=smin32=0,smax=umax=smax32=umax32=127,var_off=(0x0; 0x7f))");
    let mut a = r0;
    let mut k = Scalar::constant(0xffff_ffff_ffff_ff80);
    Scalar::refine_not(Cond::Gt, Width::W64, &mut a, &mut k);
    assert_eq!(a.log(), "scalar(smin=smin32=-128,smax=smax32=127,umax=0xffffffffffffff80)");
}

#[test]
fn selftest_negative_overlap() {
    // w3 = w0; w6 = (s8)w0; r0 = (s8)r0; if w6 >= 0xf0000000 goto out; r0 += r6; r6 += 400; r0 -= r6
    let u = Scalar::unknown();
    let mut r6 = Scalar::unknown();
    r6.alu(AluOp::MovSx8, Width::W32, &u);
    let mut r0 = Scalar::unknown();
    r0.alu(AluOp::MovSx8, Width::W64, &u);
    let mut k = Scalar::constant(0xf000_0000u32 as i32 as i64 as u64);
    Scalar::refine_not(Cond::Ge, Width::W32, &mut r6, &mut k);
    r0.alu(AluOp::Add, Width::W64, &r6);
    r6.alu(AluOp::Add, Width::W64, &Scalar::constant(400));
    r0.alu(AluOp::Sub, Width::W64, &r6);
    assert_eq!(
        r0.log(),
        "scalar(smin=smin32=-655,smax=smax32=-146,umin=0xfffffffffffffd71,umax=0xffffffffffffff6e,umin32=0xfffffd71,umax32=0xffffff6e,var_off=(0xfffffffffffffc00; 0x3ff))"
    );
}

#[test]
fn dead_branch_invariants() {
    // `if r1 == 5` where r1 is known 7: the taken side is empty; the kernel keeps the tnum and
    // drops the intervals.
    let mut a = Scalar::constant(7);
    let mut b = Scalar::constant(5);
    Scalar::refine(Cond::Eq, Width::W64, &mut a, &mut b);
    assert!(!a.sane());
    assert!(!a.check_invariants());
    assert_eq!((a.umin, a.umax, a.smin, a.smax), (0, u64::MAX, i64::MIN, i64::MAX));
    let mut k = Scalar::constant(3);
    assert!(k.check_invariants());
    assert_eq!(k, Scalar::constant(3));
}

#[test]
fn and_fork_on_minus_one_or_zero() {
    // r1 s>>= 63 leaves r1 in {-1, 0}; `r1 &= 8` then forks.
    let mut r = Scalar::unknown();
    r.alu(AluOp::Arsh, Width::W64, &Scalar::constant(63));
    assert_eq!((r.smin, r.smax), (-1, 0));
    let k = Scalar::constant(8);
    let (pushed, mut cur) = r.and_fork(&k).unwrap();
    assert_eq!(pushed.is_const(), Some(0));
    cur.alu(AluOp::And, Width::W64, &k);
    assert_eq!(cur.is_const(), Some(8));
    assert!(r.and_fork(&masked(8)).is_none());
    assert!(masked(8).and_fork(&k).is_none());
}

#[test]
fn log_hex_bounds_do_not_sign_extend() {
    // r in [-40000, -1]: out of the decimal range the 32-bit bounds print as their 32-bit
    // patterns, so smin32 merges with umin32 rather than with smin (expected string worked out
    // from log.c's print_scalar_ranges rules).
    let mut r = Scalar::unknown();
    let mut lo = Scalar::constant(-40000i64 as u64);
    Scalar::refine(Cond::Sge, Width::W64, &mut r, &mut lo);
    let mut hi = Scalar::constant(u64::MAX);
    Scalar::refine(Cond::Sle, Width::W64, &mut r, &mut hi);
    assert_eq!(
        r.log(),
        "scalar(smin=0xffffffffffff63c0,smax=smax32=-1,umin=0xffffffffffff63c0,smin32=umin32=0xffff63c0,var_off=(0xffffffffffff0000; 0xffff))"
    );
}

#[test]
fn next_above_is_the_least_member_above() {
    // Every 8-bit tnum (value and mask disjoint), every z: against a search of the members.
    for mask in 0u64..256 {
        for value in (0u64..256).filter(|v| v & mask == 0) {
            let t = Tnum { value, mask };
            let members: Vec<u64> = (0u64..256).filter(|&x| t.contains(x)).collect();
            let (min, max) = (members[0], *members.last().unwrap());
            for z in 0u64..256 {
                let want = if z >= max { max } else if z < min { min } else { *members.iter().find(|&&x| x > z).unwrap() };
                assert_eq!(t.next_above(z), want, "value {value:#x} mask {mask:#x} z {z}");
            }
        }
    }
}

#[test]
fn one_shared_value_of_the_interval_and_the_tnum_is_known() {
    // x & 8, known non-zero: 8.
    let mut s = Scalar::unknown();
    s.alu(AluOp::And, Width::W64, &Scalar::constant(8));
    s.umin = 1;
    s.sync();
    assert_eq!(s.is_const(), Some(8));
    // x & 6 in [1, 3]: only 2.
    let mut s = Scalar::unknown();
    s.alu(AluOp::And, Width::W64, &Scalar::constant(6));
    s.umin = 1;
    s.umax = 3;
    s.sync();
    assert_eq!(s.is_const(), Some(2));
    // x & 6 in [1, 5]: 2 or 4.
    let mut s = Scalar::unknown();
    s.alu(AluOp::And, Width::W64, &Scalar::constant(6));
    s.umin = 1;
    s.umax = 5;
    s.sync();
    assert_eq!(s.is_const(), None);
}
