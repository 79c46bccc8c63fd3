//! Every error path of the dynptr and ring-buffer engine, each asserting the errno the kernel
//! returns (Linux 6.18, kernel/bpf/helpers.c, net/core/filter.c, kernel/bpf/ringbuf.c) and that
//! the failed call changed nothing it must not change: bytes, the dynptr's 16 bytes, the ring's
//! positions. Where the kernel does change something on failure (a zeroed read buffer, chunks
//! written before the one that failed, a nulled dynptr slot) the test pins exactly that.

mod common;
use common::*;
use uxdp::dynptr::*;
use uxdp::frame::BuildOptions;
use uxdp::pool::PagePool;
use uxdp::ringbuf::*;
use uxdp::Errno;

/// 0xee bytes: a destination the kernel's failed calls must leave alone.
const EE: u8 = 0xee;

/// Producer, consumer and pending positions, wakeups, and the data area.
fn ring_state(rb: &RingBuf) -> (u64, u64, u64, u64, Vec<u8>) {
    (rb.producer_pos(), rb.consumer_pos(), rb.pending_pos(), rb.notifications(), rb.data().to_vec())
}

/// The 73152-byte frame (3520 linear + 17 frags of 4096): offsets above 0xffff exist.
const MAX_PACKET: usize = 3520 + 17 * 4096;

// ---------------------------------------------------------------- constructors

#[test]
fn from_skb_meta_with_any_flag_is_einval_and_leaves_a_null_dynptr() {
    let pool = PagePool::default();
    let skb = skb_of(&pool, 200, BuildOptions { meta: (0..16).collect(), ..BuildOptions::default() });
    for flags in [1, 1 << 32, u64::MAX] {
        let (d, r) = Dynptr::from_skb_meta(9, &skb, flags);
        assert_eq!((errno(r), d), (Errno::EINVAL, Dynptr::NULL), "flags {flags:#x}");
        assert_eq!(d.to_bytes(), [0; 16], "all 16 bytes zero, as bpf_dynptr_set_null leaves them");
    }
    let (d, r) = Dynptr::from_skb_meta(9, &skb, 0);
    r.unwrap();
    assert_eq!((d.kind(), d.len()), (DynptrKind::SkbMeta, 16), "flags 0 still works");
    assert_eq!(skb.meta(), &(0..16).collect::<Vec<u8>>()[..], "the metadata is untouched");
}

#[test]
fn constructor_flags_with_only_high_bits_are_einval_too() {
    let pool = PagePool::default();
    let b = build(&pool, 9000);
    let skb = skb_of(&pool, 200, BuildOptions::default());
    for flags in [1u64 << 32, 1 << 63, u64::MAX] {
        let (d, r) = Dynptr::from_xdp(7, &b, flags);
        assert_eq!((errno(r), d), (Errno::EINVAL, Dynptr::NULL), "xdp {flags:#x}");
        let (d, r) = Dynptr::from_skb(7, &skb, flags, ProgType::SchedCls);
        assert_eq!((errno(r), d), (Errno::EINVAL, Dynptr::NULL), "skb {flags:#x}");
        let (d, r) = Dynptr::from_mem(0x1000, 16, flags);
        assert_eq!((errno(r), d), (Errno::EINVAL, Dynptr::NULL), "mem {flags:#x}");
    }
    assert_eq!(b.to_vec(), pattern(9000));
}

#[test]
fn from_mem_above_the_24_bit_limit_is_e2big_and_null_whatever_the_flags() {
    for size in [DYNPTR_MAX_SIZE + 1, 1 << 31, u32::MAX] {
        let (d, r) = Dynptr::from_mem(0x1000, size, 0);
        let e = r.unwrap_err();
        assert_eq!((e.errno, e.retval(), d), (Errno::E2BIG, -7, Dynptr::NULL), "{size:#x}");
        assert_eq!((e.detail.op, e.detail.limit), ("bpf_dynptr_from_mem", Some(u64::from(DYNPTR_MAX_SIZE))));
    }
}

// ---------------------------------------------------------------- read

#[test]
fn read_checks_null_and_flags_before_bounds_and_leaves_the_destination_alone() {
    let mut mem = pattern(64);
    let (d, _) = Dynptr::from_mem(0x1000, 64, 0);
    let mut out = [EE; 8];
    // Out of range too, yet EINVAL: the kernel tests `!data || flags` first.
    assert_eq!(errno(Dynptr::NULL.read(&mut Backing::mem(0x1000, &mut mem), 1000, &mut out, 0)), Errno::EINVAL);
    assert_eq!(errno(d.read(&mut Backing::mem(0x1000, &mut mem), 1000, &mut out, 1)), Errno::EINVAL);
    assert_eq!(errno(d.read(&mut Backing::mem(0x1000, &mut mem), 0, &mut out, 1 << 40)), Errno::EINVAL);
    assert_eq!(out, [EE; 8]);
    assert_eq!(mem, pattern(64));
}

#[test]
fn read_out_of_range_is_e2big_for_every_kind_and_copies_nothing() {
    let pool = PagePool::default();
    let mut mem = pattern(64);
    let (m, _) = Dynptr::from_mem(0x1000, 64, 0);
    let mut out = [EE; 8];
    for (off, len) in [(57u32, 8usize), (64, 1), (65, 0), (u32::MAX, 1), (u32::MAX - 6, 8), (0, 65)] {
        let mut dst = vec![EE; len];
        assert_eq!(errno(m.read(&mut Backing::mem(0x1000, &mut mem), off, &mut dst, 0)), Errno::E2BIG, "mem {off}+{len}");
        assert!(dst.iter().all(|&c| c == EE));
    }
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    assert_eq!(errno(x.read(&mut Backing::Xdp(&mut b), 8993, &mut out, 0)), Errno::E2BIG);
    let mut skb = skb_of(&pool, 200, BuildOptions::default());
    let (s, _) = Dynptr::from_skb(1, &skb, 0, ProgType::SchedCls);
    assert_eq!(errno(s.read(&mut Backing::Skb(&mut skb), 180, &mut out, 0)), Errno::E2BIG);
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut r, _) = rb.reserve_dynptr(16, 0);
    assert_eq!(errno(r.read(&mut rb.backing(), 9, &mut out, 0)), Errno::E2BIG);
    assert_eq!(out, [EE; 8]);
    // The error says where and against what.
    let e = m.read(&mut Backing::mem(0x1000, &mut mem), 60, &mut out, 0).unwrap_err();
    assert_eq!((e.detail.op, e.detail.offset, e.detail.len, e.detail.limit), ("bpf_dynptr_read", Some(60), Some(8), Some(64)));
    rb.commit_dynptr(&mut r, 0, true).unwrap();
}

#[test]
fn xdp_read_errors_of_the_helper_below_leave_the_destination_alone() {
    let pool = PagePool::default();
    let mut b = build(&pool, MAX_PACKET);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    let mut out = [EE; 16];
    // In the dynptr's range, but bpf_xdp_load_bytes stops at offset (and length) 0xffff: EFAULT.
    assert_eq!(errno(x.read(&mut Backing::Xdp(&mut b), 0x10000, &mut out, 0)), Errno::EFAULT);
    let mut long = vec![EE; 0x10000];
    assert_eq!(errno(x.read(&mut Backing::Xdp(&mut b), 0, &mut long, 0)), Errno::EFAULT, "length above 0xffff");
    assert!(long.iter().all(|&c| c == EE));
    // Out of the dynptr's range as well as above 0xffff: the dynptr's E2BIG comes first.
    assert_eq!(errno(x.read(&mut Backing::Xdp(&mut b), MAX_PACKET as u32 - 8, &mut out, 0)), Errno::E2BIG);
    assert_eq!(out, [EE; 16]);
    // Past the end of a shrunk packet, inside the dynptr's old size: the helper's EINVAL.
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    b.adjust_tail(-1000).unwrap();
    assert_eq!(errno(x.read(&mut Backing::Xdp(&mut b), 7990, &mut out, 0)), Errno::EINVAL, "straddles the new end");
    assert_eq!(out, [EE; 16]);
}

#[test]
fn skb_read_past_the_end_of_a_shrunk_skb_is_efault_and_zeroes_the_destination() {
    // A tc program's dynptr keeps its size when the skb shrinks under it (bpf_skb_change_tail):
    // modelled by a dynptr 64 bytes larger than the skb. __bpf_skb_load_bytes fails with EFAULT
    // and clears the destination.
    let pool = PagePool::default();
    let mut skb = skb_of(&pool, 9000, BuildOptions::default());
    let before = skb.to_vec();
    let (len, headlen) = (skb.len(), skb.headlen());
    let d = Dynptr::new(1, DynptrKind::Skb, 0, len + 64);
    let mut out = [EE; 8];
    let e = d.read(&mut Backing::Skb(&mut skb), len - 4, &mut out, 0).unwrap_err();
    assert_eq!((e.errno, e.detail.op), (Errno::EFAULT, "bpf_skb_load_bytes"));
    assert_eq!(out, [0; 8], "the kernel zeroes the buffer of a failed skb read");
    // A write there cannot be made writable: EFAULT, nothing pulled, nothing written.
    assert_eq!(errno(d.write(&mut Backing::Skb(&mut skb), len - 4, &[1; 8], 0)), Errno::EFAULT);
    assert_eq!((skb.headlen(), skb.head_reallocated()), (headlen, false), "no pull happened");
    assert_eq!(skb.to_vec(), before);
    // skb_header_pointer fails: NULL, the buffer untouched.
    let mut buf = [EE; 8];
    assert!(d.slice(&mut Backing::Skb(&mut skb), len - 4, Some(&mut buf), 8).is_none());
    assert_eq!(buf, [EE; 8]);
    // memset: the first 256-byte chunk already fails.
    assert_eq!(errno(d.memset(&mut Backing::Skb(&mut skb), len - 4, 8, 0)), Errno::EFAULT);
    assert_eq!(skb.to_vec(), before);
}

#[test]
fn skb_meta_dynptrs_never_reach_outside_the_metadata() {
    // A dynptr claiming more metadata than the skb has (uxdp's own guard: the kernel's
    // bpf_skb_meta_pointer cannot fail) gets EFAULT, NULL slices, and no byte changes.
    let pool = PagePool::default();
    let meta: Vec<u8> = (0..16).collect();
    let mut skb = skb_of(&pool, 200, BuildOptions { meta: meta.clone(), ..BuildOptions::default() });
    let forged = Dynptr::new(9, DynptrKind::SkbMeta, 0, 32);
    let mut out = [EE; 4];
    assert_eq!(errno(forged.read(&mut Backing::Skb(&mut skb), 14, &mut out, 0)), Errno::EFAULT);
    assert_eq!(out, [EE; 4]);
    assert_eq!(errno(forged.write(&mut Backing::Skb(&mut skb), 14, &[0xff; 4], 0)), Errno::EFAULT);
    assert!(forged.slice(&mut Backing::Skb(&mut skb), 14, None, 4).is_none());
    assert!(forged.slice_rdwr(&mut Backing::Skb(&mut skb), 20, Some(&mut [0u8; 4]), 4).is_none());
    assert_eq!(skb.meta(), &meta[..]);
    // A genuine one: flags on a write are __bpf_skb_meta_store_bytes' EINVAL.
    let (d, _) = Dynptr::from_skb_meta(9, &skb, 0);
    let e = d.write(&mut Backing::Skb(&mut skb), 0, &[0xff], 1).unwrap_err();
    assert_eq!((e.errno, e.detail.op), (Errno::EINVAL, "bpf_skb_meta_store_bytes"));
    assert_eq!(skb.meta(), &meta[..]);
}

#[test]
fn a_kind_that_does_not_match_the_backing_is_efault_and_touches_nothing() {
    // The kernel's switch falls to its default (an unknown type): EFAULT for read and write,
    // NULL for data and slices. uxdp also lands there when a dynptr is handed the wrong object.
    let pool = PagePool::default();
    let mut mem = pattern(64);
    let mut b = build(&pool, 9000);
    let unknown = [
        Dynptr { data: 0x1000, size: 64, offset: 0 },             // kind bits 0: BPF_DYNPTR_TYPE_INVALID
        Dynptr { data: 0x1000, size: 64 | (6 << 28), offset: 0 }, // kind bits 6: no such type
        Dynptr::new(0x1000, DynptrKind::Xdp, 0, 64),              // an xdp dynptr given memory
    ];
    let mut out = [EE; 4];
    for d in unknown {
        let mut mb = Backing::mem(0x1000, &mut mem);
        assert_eq!(errno(d.read(&mut mb, 0, &mut out, 0)), Errno::EFAULT, "{d:?}");
        assert_eq!(errno(d.write(&mut mb, 0, &[1, 2, 3, 4], 0)), Errno::EFAULT, "{d:?}");
        assert_eq!(errno(d.memset(&mut mb, 0, 4, 0)), Errno::EFAULT, "{d:?}");
        assert!(d.data(&mut mb, 0, 4).is_none());
        assert!(d.slice(&mut mb, 0, None, 4).is_none());
        assert!(d.slice_backing(&mut mb, 0, 4).is_none());
    }
    // A memory dynptr given a frame.
    let (m, _) = Dynptr::from_mem(0x1000, 64, 0);
    assert_eq!(errno(m.read(&mut Backing::Xdp(&mut b), 0, &mut out, 0)), Errno::EFAULT);
    assert_eq!(errno(m.write(&mut Backing::Xdp(&mut b), 0, &[1], 0)), Errno::EFAULT);
    assert!(m.slice(&mut Backing::Xdp(&mut b), 0, None, 4).is_none());
    assert_eq!(out, [EE; 4]);
    assert_eq!(mem, pattern(64));
    assert_eq!(b.to_vec(), pattern(9000));
}

#[test]
fn memory_dynptrs_never_reach_outside_the_region_they_are_given() {
    // uxdp's own guard (the kernel's memory is simply there): a LOCAL dynptr of 64 bytes handed a
    // 32-byte region, or a region that starts after it, gets EFAULT and NULL, never a panic.
    let mut mem = pattern(32);
    let (d, _) = Dynptr::from_mem(0x1000, 64, 0);
    let mut out = [EE; 8];
    d.read(&mut Backing::mem(0x1000, &mut mem), 24, &mut out, 0).unwrap();
    assert_eq!(out, pattern(32)[24..32], "inside the region: fine");
    out = [EE; 8];
    assert_eq!(errno(d.read(&mut Backing::mem(0x1000, &mut mem), 28, &mut out, 0)), Errno::EFAULT);
    assert_eq!(errno(d.write(&mut Backing::mem(0x1000, &mut mem), 28, &[0; 8], 0)), Errno::EFAULT);
    assert!(d.data(&mut Backing::mem(0x1000, &mut mem), 28, 8).is_none());
    assert!(d.slice(&mut Backing::mem(0x1000, &mut mem), 28, None, 8).is_none());
    assert_eq!(errno(d.read(&mut Backing::mem(0x2000, &mut mem), 0, &mut out, 0)), Errno::EFAULT, "region starts after the dynptr");
    assert_eq!(out, [EE; 8]);
    assert_eq!(mem, pattern(32));
}

// ---------------------------------------------------------------- write

#[test]
fn write_checks_null_and_read_only_first_then_bounds_then_flags() {
    // Kernel order (checked on 6.18): !data || rdonly -> EINVAL; bounds -> E2BIG; then the
    // kind's flags (memory, ring and xdp: any flag is EINVAL).
    let pool = PagePool::default();
    let mut mem = pattern(64);
    let (m, _) = Dynptr::from_mem(0x1000, 64, 0);
    let mut ro = m;
    ro.set_rdonly();
    let cases: [(&Dynptr, u32, u64, Errno); 5] = [
        (&Dynptr::NULL, 1000, 1, Errno::EINVAL),
        (&ro, 1000, 1, Errno::EINVAL),
        (&m, 62, 1, Errno::E2BIG),
        (&m, 62, 0, Errno::E2BIG),
        (&m, 0, 1, Errno::EINVAL),
    ];
    for (d, off, flags, want) in cases {
        assert_eq!(errno(d.write(&mut Backing::mem(0x1000, &mut mem), off, &[1, 2, 3, 4], flags)), want, "{off} {flags}");
    }
    assert_eq!(mem, pattern(64));

    let mut rb = RingBuf::new(4096).unwrap();
    let (mut r, _) = rb.reserve_dynptr(16, 0);
    r.write(&mut rb.backing(), 0, &[7; 16], 0).unwrap();
    assert_eq!(errno(r.write(&mut rb.backing(), 14, &[1; 4], 1)), Errno::E2BIG);
    assert_eq!(errno(r.write(&mut rb.backing(), 0, &[1; 4], 2)), Errno::EINVAL);
    let mut rro = r;
    rro.set_rdonly();
    assert_eq!(errno(rro.write(&mut rb.backing(), 0, &[1; 4], 0)), Errno::EINVAL);
    let mut got = [0u8; 16];
    r.read(&mut rb.backing(), 0, &mut got, 0).unwrap();
    assert_eq!(got, [7; 16]);

    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    assert_eq!(errno(x.write(&mut Backing::Xdp(&mut b), 8999, &[1, 2], 1)), Errno::E2BIG);
    assert_eq!(errno(x.write(&mut Backing::Xdp(&mut b), 0, &[1, 2], 1 << 33)), Errno::EINVAL);
    assert_eq!(b.to_vec(), pattern(9000));
    rb.commit_dynptr(&mut r, 0, true).unwrap();
}

#[test]
fn xdp_write_errors_of_the_helper_below_change_no_byte() {
    let pool = PagePool::default();
    let mut b = build(&pool, MAX_PACKET);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    let e = x.write(&mut Backing::Xdp(&mut b), 70000, &[1; 8], 0).unwrap_err();
    assert_eq!((e.errno, e.detail.op), (Errno::EFAULT, "bpf_xdp_store_bytes"));
    assert_eq!(errno(x.write(&mut Backing::Xdp(&mut b), 0, &vec![1; 0x10000], 0)), Errno::EFAULT, "length above 0xffff");
    assert_eq!(errno(x.write(&mut Backing::Xdp(&mut b), 0x10000, &[], 0)), Errno::EFAULT, "even zero bytes above 0xffff");
    assert_eq!(b.to_vec(), pattern(MAX_PACKET));
    // The limit is on the start: 16 bytes from 65530 are written (the test can tell a write).
    x.write(&mut Backing::Xdp(&mut b), 65530, &[1; 16], 0).unwrap();
    assert_eq!(b.to_vec()[65530..65546], [1; 16]);
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    b.adjust_tail(-1000).unwrap();
    assert_eq!(errno(x.write(&mut Backing::Xdp(&mut b), 7996, &[1; 8], 0)), Errno::EINVAL, "straddles the new end");
    assert_eq!(b.to_vec(), pattern(9000)[..8000]);
}

// ---------------------------------------------------------------- data / slice

#[test]
fn data_is_null_for_null_read_only_out_of_range_and_packet_dynptrs() {
    let pool = PagePool::default();
    let mut mem = pattern(64);
    assert!(Dynptr::NULL.data(&mut Backing::mem(0x1000, &mut mem), 0, 0).is_none(), "null, even for 0 bytes");
    let (mut m, _) = Dynptr::from_mem(0x1000, 64, 0);
    m.adjust(8, 40).unwrap();
    assert!(m.data(&mut Backing::mem(0x1000, &mut mem), 25, 8).is_none(), "past the adjusted end");
    assert!(m.data(&mut Backing::mem(0x1000, &mut mem), u32::MAX, 2).is_none(), "no wrap-around");
    assert!(m.data(&mut Backing::mem(0x1000, &mut mem), 24, 8).is_some(), "the last 8 bytes are fine");
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut r, _) = rb.reserve_dynptr(16, 0);
    let mut rro = r;
    rro.set_rdonly();
    assert!(rro.data(&mut rb.backing(), 0, 4).is_none(), "read-only ring dynptr");
    assert!(r.data(&mut rb.backing(), 0, 17).is_none());
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    assert!(x.data(&mut Backing::Xdp(&mut b), 0, 4).is_none(), "xdp: slices only");
    let mut skb = skb_of(&pool, 200, BuildOptions { meta: vec![1; 8], ..BuildOptions::default() });
    let (s, _) = Dynptr::from_skb(1, &skb, 0, ProgType::SchedCls);
    assert!(s.data(&mut Backing::Skb(&mut skb), 0, 4).is_none(), "skb: slices only");
    let (sm, _) = Dynptr::from_skb_meta(1, &skb, 0);
    assert!(sm.data(&mut Backing::Skb(&mut skb), 0, 4).is_none(), "skb_meta: slices only");
    assert_eq!(mem, pattern(64));
    rb.commit_dynptr(&mut r, 0, true).unwrap();
}

#[test]
fn slice_failures_are_null_and_leave_the_buffer_alone() {
    let pool = PagePool::default();
    let mut buf = [EE; 32];
    let mut mem = pattern(64);
    let (m, _) = Dynptr::from_mem(0x1000, 64, 0);
    assert!(Dynptr::NULL.slice(&mut Backing::mem(0x1000, &mut mem), 0, Some(&mut buf), 4).is_none());
    assert!(m.slice(&mut Backing::mem(0x1000, &mut mem), 40, Some(&mut buf), 32).is_none(), "mem out of range");
    let mut mro = m;
    mro.set_rdonly();
    assert!(mro.slice_rdwr(&mut Backing::mem(0x1000, &mut mem), 0, Some(&mut buf), 4).is_none(), "rdwr on read-only");
    assert!(Dynptr::NULL.slice_rdwr(&mut Backing::mem(0x1000, &mut mem), 0, None, 0).is_none());
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    assert!(x.slice(&mut Backing::Xdp(&mut b), 8990, Some(&mut buf), 20).is_none(), "xdp out of range");
    assert!(x.slice(&mut Backing::Xdp(&mut b), 3510, None, 20).is_none(), "across the boundary, no buffer");
    let mut skb = skb_of(&pool, 9000, BuildOptions { meta: vec![3; 8], ..BuildOptions::default() });
    let (s, _) = Dynptr::from_skb(1, &skb, 0, ProgType::SchedCls);
    assert!(s.slice(&mut Backing::Skb(&mut skb), 8980, Some(&mut buf), 20).is_none(), "skb out of range");
    assert!(s.slice(&mut Backing::Skb(&mut skb), 5000, None, 20).is_none(), "skb frags, no buffer");
    let (sro, _) = Dynptr::from_skb(1, &skb, 0, ProgType::CgroupSkb);
    assert!(sro.slice_rdwr(&mut Backing::Skb(&mut skb), 5000, Some(&mut buf), 20).is_none(), "read-only skb: rdwr NULL");
    let (sm, _) = Dynptr::from_skb_meta(1, &skb, 0);
    assert!(sm.slice(&mut Backing::Skb(&mut skb), 4, Some(&mut buf), 8).is_none(), "skb_meta out of range");
    assert_eq!(buf, [EE; 32]);
    assert_eq!(mem, pattern(64));
    assert_eq!(b.to_vec(), pattern(9000));
    assert_eq!(skb.to_vec(), pattern(9000)[14..]);
}

// ---------------------------------------------------------------- adjust / clone

#[test]
fn adjust_failures_leave_all_16_bytes_as_they_were() {
    let (mut d, _) = Dynptr::from_mem(0x1000, 100, 0);
    d.adjust(10, 90).unwrap();
    d.set_rdonly();
    let before = d;
    for (start, end, want) in [
        (5, 4, Errno::EINVAL),
        (101, 100, Errno::EINVAL), // start > end wins over ERANGE
        (u32::MAX, 0, Errno::EINVAL),
        (0, 81, Errno::ERANGE),
        (81, 81, Errno::ERANGE),
        (0, u32::MAX, Errno::ERANGE),
    ] {
        let e = d.adjust(start, end).unwrap_err();
        assert_eq!((e.errno, e.detail.op), (want, "bpf_dynptr_adjust"), "{start}..{end}");
        assert_eq!(d, before, "{start}..{end}: offset, size, kind and read-only bit unchanged");
    }
    let mut n = Dynptr::NULL;
    assert_eq!(errno(n.adjust(0, 0)), Errno::EINVAL);
    assert_eq!(n, Dynptr::NULL, "a null dynptr stays null");
}

#[test]
fn clone_of_a_null_dynptr_nulls_a_slot_that_held_a_live_dynptr() {
    let (live, _) = Dynptr::from_mem(0x1000, 100, 0);
    let mut slot = live;
    assert_eq!(errno(Dynptr::NULL.clone_into(&mut slot)), Errno::EINVAL);
    assert_eq!(slot.to_bytes(), [0; 16]);
    assert!(slot.kfunc_is_null() && !slot.kfunc_is_rdonly() && slot.kfunc_size() == (-22i32) as u32);
}

// ---------------------------------------------------------------- memset

#[test]
fn memset_errors_write_nothing_before_the_checks_pass() {
    let pool = PagePool::default();
    let mut mem = pattern(64);
    let (m, _) = Dynptr::from_mem(0x1000, 64, 0);
    assert_eq!(errno(m.memset(&mut Backing::mem(0x1000, &mut mem), 60, 8, 0)), Errno::E2BIG);
    assert_eq!(errno(m.memset(&mut Backing::mem(0x1000, &mut mem), u32::MAX, 2, 0)), Errno::E2BIG);
    let mut ro = m;
    ro.set_rdonly();
    assert_eq!(errno(ro.memset(&mut Backing::mem(0x1000, &mut mem), 0, 8, 0)), Errno::EINVAL);
    assert_eq!(errno(ro.memset(&mut Backing::mem(0x1000, &mut mem), 60, 8, 0)), Errno::EINVAL, "read-only before bounds");
    assert_eq!(mem, pattern(64));
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut r, _) = rb.reserve_dynptr(16, 0);
    r.write(&mut rb.backing(), 0, &[5; 16], 0).unwrap();
    assert_eq!(errno(r.memset(&mut rb.backing(), 10, 10, 0)), Errno::E2BIG);
    let mut got = [0u8; 16];
    r.read(&mut rb.backing(), 0, &mut got, 0).unwrap();
    assert_eq!(got, [5; 16]);
    rb.commit_dynptr(&mut r, 0, true).unwrap();
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    assert_eq!(errno(x.memset(&mut Backing::Xdp(&mut b), 3000, 6001, 1)), Errno::E2BIG, "chunked size, out of range");
    assert_eq!(b.to_vec(), pattern(9000));
}

#[test]
fn a_chunked_memset_keeps_the_chunks_written_before_the_one_that_failed() {
    let pool = PagePool::default();
    // Crossing 0xffff (and a frag boundary, so not direct): 256-byte chunks at 64900, 65156 and
    // 65412 are written, the one at 65668 fails with EFAULT.
    let mut b = build(&pool, MAX_PACKET);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    assert_eq!(errno(x.memset(&mut Backing::Xdp(&mut b), 64900, 1000, 0x5a)), Errno::EFAULT);
    let mut want = pattern(MAX_PACKET);
    want[64900..65668].fill(0x5a);
    assert_eq!(b.to_vec(), want);
    // After a shrink: the chunks before the new end are written, the next fails with EINVAL.
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    b.adjust_tail(-1000).unwrap();
    assert_eq!(errno(x.memset(&mut Backing::Xdp(&mut b), 7000, 1200, 3)), Errno::EINVAL);
    let mut want = pattern(9000)[..8000].to_vec();
    want[7000..7768].fill(3);
    assert_eq!(b.to_vec(), want);
}

// ---------------------------------------------------------------- copy

#[test]
fn copy_with_a_null_side_is_einval_on_every_path_and_writes_nothing() {
    let pool = PagePool::default();
    let mut mem = vec![EE; 64];
    let (m, _) = Dynptr::from_mem(0x1000, 64, 0);
    let mut other = build(&pool, 9000);
    let (xo, _) = Dynptr::from_xdp(2, &other, 0);
    // Two objects. Direct source, null destination: __bpf_dynptr_write's EINVAL.
    assert_eq!(
        errno(copy(&Dynptr::NULL, 0, &xo, 0, 10, &mut Backing::mem(0x1000, &mut mem), Some(&mut Backing::Xdp(&mut other)))),
        Errno::EINVAL
    );
    // Direct destination, null source: __bpf_dynptr_read's EINVAL.
    assert_eq!(
        errno(copy(&m, 0, &Dynptr::NULL, 0, 10, &mut Backing::mem(0x1000, &mut mem), Some(&mut Backing::Xdp(&mut other)))),
        Errno::EINVAL
    );
    // Neither direct: bounds against a null dynptr's size 0: E2BIG; for 0 bytes, nothing to do.
    assert_eq!(
        errno(copy(&Dynptr::NULL, 0, &Dynptr::NULL, 0, 1, &mut Backing::mem(0x1000, &mut mem), Some(&mut Backing::Xdp(&mut other)))),
        Errno::E2BIG
    );
    copy(&Dynptr::NULL, 0, &Dynptr::NULL, 0, 0, &mut Backing::mem(0x1000, &mut mem), Some(&mut Backing::Xdp(&mut other))).unwrap();
    assert_eq!(mem, vec![EE; 64]);
    // One frame on both sides, one side direct: the walked side's checks.
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    assert_eq!(errno(copy(&Dynptr::NULL, 0, &x, 100, 10, &mut Backing::Xdp(&mut b), None)), Errno::EINVAL);
    assert_eq!(errno(copy(&x, 100, &Dynptr::NULL, 0, 10, &mut Backing::Xdp(&mut b), None)), Errno::EINVAL);
    assert_eq!(errno(copy(&Dynptr::NULL, 0, &Dynptr::NULL, 0, 1, &mut Backing::Xdp(&mut b), None)), Errno::E2BIG);
    // One memory region on both sides.
    assert_eq!(errno(copy(&m, 0, &Dynptr::NULL, 0, 10, &mut Backing::mem(0x1000, &mut mem), None)), Errno::EINVAL);
    assert_eq!(errno(copy(&Dynptr::NULL, 0, &m, 0, 10, &mut Backing::mem(0x1000, &mut mem), None)), Errno::EINVAL);
    assert_eq!(mem, vec![EE; 64]);
    assert_eq!(b.to_vec(), pattern(9000));
    assert_eq!(other.to_vec(), pattern(9000));
}

#[test]
fn copy_inside_a_frame_with_one_direct_side_checks_before_writing() {
    let pool = PagePool::default();
    let mut b = build(&pool, MAX_PACKET);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    // Direct source (linear bytes), destination above 0xffff: bpf_xdp_store_bytes' EFAULT.
    assert_eq!(errno(copy(&x, 70000, &x, 100, 64, &mut Backing::Xdp(&mut b), None)), Errno::EFAULT);
    // Direct destination, source above 0xffff: bpf_xdp_load_bytes' EFAULT.
    assert_eq!(errno(copy(&x, 100, &x, 70000, 64, &mut Backing::Xdp(&mut b), None)), Errno::EFAULT);
    // Direct destination, source out of the dynptr's range: E2BIG.
    assert_eq!(errno(copy(&x, 100, &x, MAX_PACKET as u32 - 50, 100, &mut Backing::Xdp(&mut b), None)), Errno::E2BIG);
    // Direct source, read-only destination: EINVAL.
    let mut ro = x;
    ro.set_rdonly();
    assert_eq!(errno(copy(&ro, 3450, &x, 3300, 200, &mut Backing::Xdp(&mut b), None)), Errno::EINVAL);
    assert_eq!(b.to_vec(), pattern(MAX_PACKET));
    // After a shrink: the destination straddles the new end: the helper's EINVAL.
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    b.adjust_tail(-1000).unwrap();
    assert_eq!(errno(copy(&x, 7990, &x, 100, 64, &mut Backing::Xdp(&mut b), None)), Errno::EINVAL);
    assert_eq!(errno(copy(&x, 100, &x, 7990, 64, &mut Backing::Xdp(&mut b), None)), Errno::EINVAL);
    assert_eq!(b.to_vec(), pattern(9000)[..8000]);
}

#[test]
fn a_chunked_copy_keeps_the_chunks_written_before_the_one_that_failed() {
    let pool = PagePool::default();
    // Between two frames, neither side direct: the destination crosses frags 14|15 at 64960 and
    // 0xffff; the source crosses linear|frag. Chunks to 64900, 65156, 65412 land; 65668 fails.
    let mut a = build(&pool, MAX_PACKET);
    let mut src = build(&pool, 9000);
    let (xa, _) = Dynptr::from_xdp(1, &a, 0);
    let (xs, _) = Dynptr::from_xdp(2, &src, 0);
    assert_eq!(errno(copy(&xa, 64900, &xs, 3400, 1000, &mut Backing::Xdp(&mut a), Some(&mut Backing::Xdp(&mut src)))), Errno::EFAULT);
    let mut want = pattern(MAX_PACKET);
    want[64900..65668].copy_from_slice(&pattern(9000)[3400..4168]);
    assert_eq!(a.to_vec(), want);
    assert_eq!(src.to_vec(), pattern(9000), "the source is only read");
    // The same copy out of the destination's range: E2BIG before any chunk.
    let mut a = build(&pool, MAX_PACKET);
    assert_eq!(
        errno(copy(&xa, MAX_PACKET as u32 - 500, &xs, 3400, 1000, &mut Backing::Xdp(&mut a), Some(&mut Backing::Xdp(&mut src)))),
        Errno::E2BIG
    );
    assert_eq!(errno(copy(&xa, 0, &xs, 8500, 1000, &mut Backing::Xdp(&mut a), Some(&mut Backing::Xdp(&mut src)))), Errno::E2BIG);
    assert_eq!(a.to_vec(), pattern(MAX_PACKET));
    // A read-only destination: the first chunk's write fails, nothing is written.
    let mut ro = xa;
    ro.set_rdonly();
    assert_eq!(errno(copy(&ro, 3400, &xs, 3400, 600, &mut Backing::Xdp(&mut a), Some(&mut Backing::Xdp(&mut src)))), Errno::EINVAL);
    assert_eq!(a.to_vec(), pattern(MAX_PACKET));
    // Inside one frame, 69000 bytes from 4000 to 0: EFAULT once a chunk's source passes 0xffff,
    // after 61696 bytes.
    let mut b = build(&pool, MAX_PACKET);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    assert_eq!(errno(copy(&x, 0, &x, 4000, 69000, &mut Backing::Xdp(&mut b), None)), Errno::EFAULT);
    let mut want = pattern(MAX_PACKET);
    want.copy_within(4000..4000 + 61696, 0);
    assert_eq!(b.to_vec(), want);
}

#[test]
fn copy_within_one_memory_region_out_of_range_moves_nothing() {
    let mut mem = pattern(100);
    let (m, _) = Dynptr::from_mem(0x1000, 100, 0);
    for (dst_off, src_off) in [(90, 0), (0, 90), (90, 90), (u32::MAX, 0), (0, u32::MAX)] {
        assert_eq!(
            errno(copy(&m, dst_off, &m, src_off, 20, &mut Backing::mem(0x1000, &mut mem), None)),
            Errno::E2BIG,
            "{dst_off} <- {src_off}"
        );
    }
    let mut ro = m;
    ro.set_rdonly();
    assert_eq!(errno(copy(&ro, 0, &m, 50, 20, &mut Backing::mem(0x1000, &mut mem), None)), Errno::EINVAL);
    assert_eq!(mem, pattern(100));
}

// ---------------------------------------------------------------- the seed's API

#[test]
fn advance_and_trim_failures_leave_the_view_as_it_was() {
    let (mut d, _) = Dynptr::from_mem(0x1000, 100, 0);
    d.advance(10).unwrap();
    let before = d;
    for len in [91, 1000, u32::MAX] {
        let e = d.advance(len).unwrap_err();
        assert_eq!((e.errno, e.detail.op), (Errno::ERANGE, "bpf_dynptr_advance"), "advance {len}");
        assert_eq!(d, before);
        let e = d.trim(len).unwrap_err();
        assert_eq!((e.errno, e.detail.op), (Errno::ERANGE, "bpf_dynptr_trim"), "trim {len}");
        assert_eq!(d, before);
    }
    let mut n = Dynptr::NULL;
    assert_eq!((errno(n.advance(0)), errno(n.trim(0))), (Errno::EINVAL, Errno::EINVAL));
    assert_eq!(n, Dynptr::NULL);
    // The boundary is fine: the whole rest.
    d.advance(90).unwrap();
    assert_eq!((d.offset, d.len()), (100, 0));
}

#[test]
fn advancing_an_offset_past_u32_max_is_erange_and_changes_nothing() {
    // The seed checks the offset addition for overflow (ERANGE), where the kernel's final
    // bpf_dynptr_adjust just adds.
    let mut d = Dynptr::new(0x1000, DynptrKind::Local, u32::MAX - 4, 100);
    let before = d;
    assert_eq!(errno(d.advance(5)), Errno::ERANGE);
    assert_eq!(d, before);
    let mut c = Dynptr::from_mem(0x1000, 1, 0).0;
    assert_eq!(errno(d.seed_clone(5, &mut c)), Errno::ERANGE);
    assert_eq!(c, Dynptr::NULL);
    let mut calls = 0;
    assert_eq!(
        d.iterator(0, |_| {
            calls += 1;
            IterStep::Advance(5)
        }),
        Errno::ERANGE.retval()
    );
    assert_eq!((calls, d), (1, before));
    d.advance(4).unwrap();
    assert_eq!((d.offset, d.len()), (u32::MAX, 96), "up to u32::MAX itself is fine");
}

#[test]
fn get_size_and_get_offset_of_a_null_dynptr_are_einval() {
    let e = Dynptr::NULL.get_size().unwrap_err();
    assert_eq!((e.errno, e.retval(), e.detail.op), (Errno::EINVAL, -22, "bpf_dynptr_get_size"));
    let e = Dynptr::NULL.get_offset().unwrap_err();
    assert_eq!((e.errno, e.detail.op), (Errno::EINVAL, "bpf_dynptr_get_offset"));
    // A zero-size dynptr is not null.
    let (mut d, _) = Dynptr::from_mem(0x1000, 8, 0);
    d.advance(8).unwrap();
    assert_eq!((d.get_size().unwrap(), d.get_offset().unwrap()), (0, 8));
}

#[test]
fn a_failed_seed_clone_nulls_the_clone_names_bpf_dynptr_clone_and_keeps_the_source() {
    let (mut d, _) = Dynptr::from_mem(0x1000, 100, 0);
    d.advance(30).unwrap();
    let before = d;
    let mut c = Dynptr::from_mem(0x5000, 7, 0).0;
    let e = d.seed_clone(71, &mut c).unwrap_err();
    assert_eq!((e.errno, e.detail.op), (Errno::ERANGE, "bpf_dynptr_clone"), "not bpf_dynptr_advance");
    assert_eq!((c, d), (Dynptr::NULL, before));
    let mut c = Dynptr::from_mem(0x5000, 7, 0).0;
    assert_eq!(errno(Dynptr::NULL.seed_clone(0, &mut c)), Errno::EINVAL);
    assert_eq!(c, Dynptr::NULL);
    let mut c = Dynptr::from_mem(0x5000, 7, 0).0;
    assert_eq!(errno(Dynptr::NULL.seed_clone(5, &mut c)), Errno::EINVAL, "null before the offset");
    assert_eq!(c, Dynptr::NULL);
    d.seed_clone(70, &mut c).unwrap();
    assert_eq!((c.offset, c.len()), (100, 0), "exactly the size is fine");
}

#[test]
fn iterator_failures_never_call_back_when_refused_and_leave_the_dynptr_untouched() {
    let (d, _) = Dynptr::from_mem(0x1000, 100, 0);
    let before = d;
    let mut calls = 0;
    for flags in [1, 1 << 32, u64::MAX] {
        assert_eq!(
            d.iterator(flags, |_| {
                calls += 1;
                IterStep::Advance(0)
            }),
            -22
        );
    }
    assert_eq!(
        Dynptr::NULL.iterator(0, |_| {
            calls += 1;
            IterStep::Advance(0)
        }),
        -22
    );
    assert_eq!(calls, 0, "refused before the first call");
    // Over-advance after two good steps: -ERANGE, three calls.
    let mut sizes = Vec::new();
    let r = d.iterator(0, |v| {
        sizes.push(v.len());
        IterStep::Advance(if sizes.len() < 3 { 40 } else { 21 })
    });
    assert_eq!((r, sizes), (-34, vec![100, 60, 20]));
    // A negative return is handed back as is (even INT_MIN), after one call.
    let mut calls = 0;
    let r = d.iterator(0, |_| {
        calls += 1;
        IterStep::Advance(i32::MIN)
    });
    assert_eq!((r, calls), (i32::MIN, 1));
    assert_eq!(d, before);
}

// ---------------------------------------------------------------- ring buffer

#[test]
fn reserve_dynptr_checks_flags_before_the_size_limit() {
    // Checked on 6.18: flags 1 with a size above 16 MiB - 1 is EINVAL, not E2BIG.
    let mut rb = RingBuf::new(4096).unwrap();
    rb.output(b"abc", 0).unwrap();
    let before = ring_state(&rb);
    for (size, flags, want) in [
        (1u32 << 24, 1u64, Errno::EINVAL),
        (u32::MAX, 1 << 40, Errno::EINVAL),
        (8, u64::MAX, Errno::EINVAL),
        (1 << 24, 0, Errno::E2BIG),
        (u32::MAX, 0, Errno::E2BIG),
    ] {
        let (d, r) = rb.reserve_dynptr(size, flags);
        let e = r.unwrap_err();
        assert_eq!((e.errno, e.detail.op, d), (want, "bpf_ringbuf_reserve_dynptr", Dynptr::NULL), "{size:#x} {flags:#x}");
        assert_eq!(ring_state(&rb), before);
    }
}

#[test]
fn reserve_dynptr_without_room_is_einval_and_moves_no_position() {
    let mut rb = RingBuf::new(4096).unwrap();
    // Below the dynptr limit but larger than the ring, or exactly too large for it.
    for size in [DYNPTR_MAX_SIZE, 8192, 4089, 4081] {
        let before = ring_state(&rb);
        let (d, r) = rb.reserve_dynptr(size, 0);
        assert_eq!((errno(r), d), (Errno::EINVAL, Dynptr::NULL), "{size}");
        assert_eq!(ring_state(&rb), before);
    }
    let (mut big, r) = rb.reserve_dynptr(4080, 0);
    r.unwrap();
    let before = ring_state(&rb);
    let (d, r) = rb.reserve_dynptr(1, 0);
    assert_eq!((errno(r), d), (Errno::EINVAL, Dynptr::NULL), "full");
    assert_eq!(ring_state(&rb), before);
    rb.commit_dynptr(&mut big, 0, false).unwrap();
    assert_eq!(rb.consume(|s| s.len() as i32 - 4080), 1, "the record before the failures is intact");
}

#[test]
fn a_reservation_refused_for_room_still_moves_the_pending_position_past_committed_records() {
    // __bpf_ringbuf_reserve stores the pending position it walked to before checking for room:
    // only that moves; producer, consumer, data and wakeups stay.
    let mut rb = RingBuf::new(4096).unwrap();
    rb.output(b"a", 0).unwrap();
    assert_eq!((rb.pending_pos(), rb.producer_pos()), (0, 16));
    let (prod, cons, _, wakeups, data) = ring_state(&rb);
    let (d, r) = rb.reserve_dynptr(4080, 0);
    assert_eq!((errno(r), d), (Errno::EINVAL, Dynptr::NULL), "16 + 4088 - 0 > 4095");
    assert_eq!(ring_state(&rb), (prod, cons, 16, wakeups, data));
    // Refused by the size checks alone (larger than the ring): the walk never happens.
    let mut rb = RingBuf::new(4096).unwrap();
    rb.output(b"a", 0).unwrap();
    assert!(rb.reserve(4089).is_none());
    assert_eq!(rb.pending_pos(), 0);
}

#[test]
fn an_uncommitted_record_holds_the_ring_even_when_the_consumer_skipped_past_it() {
    // The pending position (kernel 6.10+): a consumer that jumped over a BUSY record does not
    // free its space; reservations count from the oldest uncommitted record.
    let mut rb = RingBuf::new(4096).unwrap();
    let a = rb.reserve(2000).unwrap();
    rb.output(&[1; 1000], 0).unwrap();
    let prod = rb.producer_pos();
    assert_eq!(prod, 2008 + 1008);
    rb.set_consumer_pos(prod).unwrap();
    let before = ring_state(&rb);
    assert!(rb.reserve(2100).is_none(), "3016 + 2108 - 0 > 4095");
    let (d, r) = rb.reserve_dynptr(2100, 0);
    assert_eq!((errno(r), d), (Errno::EINVAL, Dynptr::NULL));
    assert_eq!(errno(rb.output(&[2; 2100], 0)), Errno::EAGAIN);
    assert_eq!(ring_state(&rb), before, "no position moved (the pending one was already at the BUSY record)");
    rb.commit(a, 0, false);
    assert!(rb.reserve(2100).is_some(), "committed: the pending position moves past it");
    assert_eq!(rb.pending_pos(), prod);
}

#[test]
fn output_checks_flags_before_room_and_changes_nothing_on_failure() {
    let mut rb = RingBuf::new(4096).unwrap();
    rb.output(b"keep", 0).unwrap();
    let before = ring_state(&rb);
    for (len, flags, want) in [
        (8usize, 4u64, Errno::EINVAL),
        (8, 1 << 63, Errno::EINVAL),
        (5000, 4, Errno::EINVAL), // too large too, but the flags come first
        (5000, 0, Errno::EAGAIN),
        (4089, 0, Errno::EAGAIN),
    ] {
        let e = rb.output(&vec![9; len], flags).unwrap_err();
        assert_eq!((e.errno, e.detail.op), (want, "bpf_ringbuf_output"), "{len} {flags:#x}");
        assert_eq!(ring_state(&rb), before);
    }
    let mut got = Vec::new();
    rb.consume(|s| {
        got.push(s.to_vec());
        0
    });
    assert_eq!(got, [b"keep".to_vec()]);
}

#[test]
fn reserve_helper_refuses_flags_and_oversized_records_without_touching_the_ring() {
    let mut rb = RingBuf::new(4096).unwrap();
    let before = ring_state(&rb);
    assert!(rb.reserve_helper(8, 1).is_none());
    assert!(rb.reserve_helper(8, 1 << 63).is_none());
    assert!(rb.reserve_helper(u64::from(u32::MAX / 4) + 1, 0).is_none(), "above RINGBUF_MAX_RECORD_SZ");
    assert!(rb.reserve_helper(u64::MAX, 0).is_none(), "no overflow rounding up");
    assert!(rb.reserve_helper(4089, 0).is_none());
    assert_eq!(ring_state(&rb), before);
    assert_eq!(rb.query(BPF_RB_AVAIL_DATA), 0);
}

#[test]
fn submitting_or_discarding_a_null_dynptr_does_nothing() {
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut busy, _) = rb.reserve_dynptr(8, 0);
    let before = ring_state(&rb);
    for (flags, discard) in [(0, false), (0, true), (BPF_RB_FORCE_WAKEUP, false), (u64::MAX, true)] {
        let mut n = Dynptr::NULL;
        rb.commit_dynptr(&mut n, flags, discard).unwrap();
        assert_eq!(n, Dynptr::NULL);
        assert_eq!(ring_state(&rb), before, "{flags:#x} {discard}: no commit, no wakeup");
    }
    assert_eq!(rb.consume(|_| 0), 0, "the reserved record is still BUSY");
    rb.commit_dynptr(&mut busy, 0, false).unwrap();
    assert_eq!(rb.consume(|_| 0), 1);
}

#[test]
fn unknown_submit_flag_bits_are_ignored_as_the_kernel_ignores_them() {
    // bpf_ringbuf_submit_dynptr cannot fail: only NO_WAKEUP and FORCE_WAKEUP are looked at
    // (checked on 6.18: submits with flags 4 and 0xff commit their records).
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut d, _) = rb.reserve_dynptr(4, 0);
    d.write(&mut rb.backing(), 0, b"four", 0).unwrap();
    rb.commit_dynptr(&mut d, 4 | (1 << 40), false).unwrap();
    assert_eq!((d, rb.notifications()), (Dynptr::NULL, 1), "committed, and the waiting consumer woken");
    let mut got = Vec::new();
    rb.consume(|s| {
        got.push(s.to_vec());
        0
    });
    assert_eq!(got, [b"four".to_vec()]);
}

#[test]
fn committing_through_another_ring_is_refused_and_the_record_stays_live() {
    // The kernel's submit takes no map: the record names its ring. The engine's commit is a method
    // of a ring, so a record of another ring is refused (EINVAL), nothing changes on either side,
    // and the record can still be committed through its own ring.
    let mut a = RingBuf::new(4096).unwrap();
    let mut b = RingBuf::new(4096).unwrap();
    a.output(b"a", 0).unwrap();
    let (mut db, _) = b.reserve_dynptr(3, 0);
    db.write(&mut b.backing(), 0, b"rec", 0).unwrap();
    let (before_a, before_b, before_d) = (ring_state(&a), ring_state(&b), db);
    let e = a.commit_dynptr(&mut db, 0, false).unwrap_err();
    assert_eq!((e.errno, e.detail.op), (Errno::EINVAL, "bpf_ringbuf_submit_dynptr"));
    assert_eq!((ring_state(&a), ring_state(&b), db), (before_a, before_b, before_d), "nothing changed");
    b.commit_dynptr(&mut db, 0, false).unwrap();
    assert!(db.is_null());
    let mut got = Vec::new();
    b.consume(|s| {
        got.push(s.to_vec());
        0
    });
    assert_eq!(got, [b"rec".to_vec()]);
}

#[test]
fn committing_a_record_twice_or_a_dynptr_that_is_no_record_is_refused() {
    let mut rb = RingBuf::new(4096).unwrap();
    let (d, _) = rb.reserve_dynptr(8, 0);
    let mut copy = d;
    let mut first = d;
    rb.commit_dynptr(&mut first, 0, false).unwrap();
    let before = ring_state(&rb);
    assert_eq!(errno(rb.commit_dynptr(&mut copy, 0, true)), Errno::EINVAL, "already committed: no longer BUSY");
    assert_eq!(ring_state(&rb), before);
    let (mut local, _) = Dynptr::from_mem(d.data, 8, 0);
    assert_eq!(errno(rb.commit_dynptr(&mut local, 0, false)), Errno::EINVAL, "a LOCAL dynptr at a ring address");
    assert!(!local.is_null());
}

#[test]
fn the_consumer_position_cannot_move_back_or_past_the_producer() {
    let mut rb = RingBuf::new(4096).unwrap();
    rb.output(b"one", 0).unwrap();
    rb.output(b"two", 0).unwrap();
    rb.set_consumer_pos(16).unwrap();
    for pos in [0, 8, 33, u64::MAX] {
        let e = rb.set_consumer_pos(pos).unwrap_err();
        assert_eq!((e.errno, e.detail.op), (Errno::EINVAL, "ringbuf_consume"), "{pos}");
        assert_eq!(rb.consumer_pos(), 16);
    }
    let mut got = Vec::new();
    rb.consume(|s| {
        got.push(s.to_vec());
        0
    });
    assert_eq!(got, [b"two".to_vec()]);
}

#[test]
fn ring_sizes_must_be_a_power_of_two_number_of_pages() {
    for bad in [2048u32, 4097, 12288, (1 << 31) + 4096, u32::MAX] {
        let e = RingBuf::new(bad).unwrap_err();
        assert_eq!((e.errno, e.detail.op), (Errno::EINVAL, "ringbuf_map_alloc"), "{bad}");
    }
}
