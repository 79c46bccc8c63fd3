//! Dynptr kinds and operations with the kernel's semantics and errnos.

mod common;
use common::*;
use uxdp::dynptr::*;
use uxdp::frame::BuildOptions;
use uxdp::pool::PagePool;
use uxdp::Errno;

// ---- representation ----

#[test]
fn sixteen_bytes_like_the_kernel() {
    let mut d = Dynptr::new(0x1122_3344_5566_7788, DynptrKind::Xdp, 5, 100);
    d.set_rdonly();
    let b = d.to_bytes();
    assert_eq!(&b[..8], &0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!(u32::from_le_bytes(b[8..12].try_into().unwrap()), 100 | (4 << 28) | (1 << 31));
    assert_eq!(u32::from_le_bytes(b[12..].try_into().unwrap()), 5);
    assert_eq!(Dynptr::from_bytes(&b), d);
    assert_eq!((d.kind(), d.len(), d.rdonly_bit()), (DynptrKind::Xdp, 100, true));
    assert_eq!(Dynptr::NULL.to_bytes(), [0; 16]);
    assert_eq!(DynptrKind::SkbMeta.name(), "skb_meta");
}

// ---- constructors ----

#[test]
fn from_mem_checks_size_before_flags_and_nulls_on_error() {
    let (d, r) = Dynptr::from_mem(0x1000, DYNPTR_MAX_SIZE + 1, 1);
    assert_eq!((errno(r), d), (Errno::E2BIG, Dynptr::NULL));
    let (d, r) = Dynptr::from_mem(0x1000, 16, 1);
    assert_eq!((errno(r), d.is_null()), (Errno::EINVAL, true));
    let (d, r) = Dynptr::from_mem(0x1000, DYNPTR_MAX_SIZE, 0);
    r.unwrap();
    assert_eq!((d.kind(), d.len(), d.offset, d.kfunc_is_rdonly()), (DynptrKind::Local, DYNPTR_MAX_SIZE, 0, false));
}

#[test]
fn from_xdp_covers_linear_and_frags_at_creation() {
    let pool = PagePool::default();
    let b = build(&pool, 9000);
    let (d, r) = Dynptr::from_xdp(7, &b, 0);
    r.unwrap();
    assert_eq!((d.kind(), d.len(), d.kfunc_is_rdonly()), (DynptrKind::Xdp, 9000, false));
    let (d, r) = Dynptr::from_xdp(7, &b, 2);
    assert_eq!((errno(r), d), (Errno::EINVAL, Dynptr::NULL));
}

#[test]
fn from_skb_is_read_only_where_the_program_cannot_write_packets() {
    let pool = PagePool::default();
    let skb = skb_of(&pool, 200, BuildOptions::default());
    for (prog, rdonly) in [
        (ProgType::SchedCls, false),
        (ProgType::Xdp, false),
        (ProgType::CgroupSkb, true),
        (ProgType::LwtIn, true),
        (ProgType::FlowDissector, true),
    ] {
        let (d, r) = Dynptr::from_skb(9, &skb, 0, prog);
        r.unwrap();
        assert_eq!((d.len(), d.kfunc_is_rdonly()), (186, rdonly), "{prog:?}");
    }
    let (d, r) = Dynptr::from_skb(9, &skb, 123, ProgType::SchedCls);
    assert_eq!((errno(r), d.is_null()), (Errno::EINVAL, true));
}

#[test]
fn from_skb_meta_covers_the_metadata_and_is_read_only_while_cloned() {
    let pool = PagePool::default();
    let mut skb = skb_of(&pool, 200, BuildOptions { meta: (0..16).collect(), ..BuildOptions::default() });
    let (d, r) = Dynptr::from_skb_meta(9, &skb, 0);
    r.unwrap();
    assert_eq!((d.kind(), d.len(), d.kfunc_is_rdonly()), (DynptrKind::SkbMeta, 16, false));
    let mut out = [0u8; 4];
    d.read(&mut Backing::Skb(&mut skb), 12, &mut out, 0).unwrap();
    assert_eq!(out, [12, 13, 14, 15]);
    skb.set_cloned(true);
    let (d, _) = Dynptr::from_skb_meta(9, &skb, 0);
    assert!(d.kfunc_is_rdonly());
}

// ---- read / write / data on memory ----

#[test]
fn local_read_write_and_their_errors() {
    let mut mem = pattern(64);
    let (d, _) = Dynptr::from_mem(0x1000, 64, 0);
    let mut out = [0u8; 8];
    d.read(&mut Backing::mem(0x1000, &mut mem), 56, &mut out, 0).unwrap();
    assert_eq!(out, pattern(64)[56..64]);
    assert_eq!(errno(d.read(&mut Backing::mem(0x1000, &mut mem), 57, &mut out, 0)), Errno::E2BIG);
    assert_eq!(errno(d.read(&mut Backing::mem(0x1000, &mut mem), 0, &mut out, 1)), Errno::EINVAL);
    d.write(&mut Backing::mem(0x1000, &mut mem), 0, b"abc", 0).unwrap();
    assert_eq!(&mem[..3], b"abc");
    assert_eq!(errno(d.write(&mut Backing::mem(0x1000, &mut mem), 0, b"abc", 1)), Errno::EINVAL, "flags must be 0 on memory");
    assert_eq!(errno(d.write(&mut Backing::mem(0x1000, &mut mem), 62, b"abc", 0)), Errno::E2BIG);
    let mut ro = d;
    ro.set_rdonly();
    assert_eq!(errno(ro.write(&mut Backing::mem(0x1000, &mut mem), 0, b"x", 0)), Errno::EINVAL);
    assert_eq!(errno(Dynptr::NULL.read(&mut Backing::mem(0x1000, &mut mem), 0, &mut out, 0)), Errno::EINVAL);
    assert_eq!(errno(Dynptr::NULL.write(&mut Backing::mem(0x1000, &mut mem), 0, b"x", 0)), Errno::EINVAL);
}

#[test]
fn data_is_direct_for_memory_only() {
    let pool = PagePool::default();
    let mut mem = pattern(64);
    let (d, _) = Dynptr::from_mem(0x1000, 64, 0);
    d.data(&mut Backing::mem(0x1000, &mut mem), 8, 8).unwrap().copy_from_slice(b"12345678");
    assert_eq!(&mem[8..16], b"12345678");
    assert!(d.data(&mut Backing::mem(0x1000, &mut mem), 60, 8).is_none(), "out of range");
    let mut ro = d;
    ro.set_rdonly();
    assert!(ro.data(&mut Backing::mem(0x1000, &mut mem), 0, 8).is_none(), "read-only");
    let mut b = build(&pool, 100);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    assert!(x.data(&mut Backing::Xdp(&mut b), 0, 8).is_none(), "xdp dynptrs use slices");
}

// ---- xdp ----

#[test]
fn xdp_read_write_go_through_the_frag_helpers() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    let (d, _) = Dynptr::from_xdp(1, &b, 0);
    let mut out = [0u8; 20];
    d.read(&mut Backing::Xdp(&mut b), 3510, &mut out, 0).unwrap();
    assert_eq!(out, pattern(9000)[3510..3530]);
    d.write(&mut Backing::Xdp(&mut b), 7606, &[0xee; 20], 0).unwrap();
    assert_eq!(&b.to_vec()[7606..7626], &[0xee; 20]);
    assert_eq!(errno(d.write(&mut Backing::Xdp(&mut b), 0, &[1], 1)), Errno::EINVAL, "xdp write flags must be 0");
    assert_eq!(errno(d.read(&mut Backing::Xdp(&mut b), 8990, &mut out, 0)), Errno::E2BIG);
}

#[test]
fn xdp_dynptr_size_is_fixed_at_creation() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    let (d, _) = Dynptr::from_xdp(1, &b, 0);
    b.adjust_tail(-1000).unwrap();
    assert_eq!(d.len(), 9000, "the dynptr still claims 9000 bytes");
    let mut out = [0u8; 8];
    // In the dynptr's range but past the shrunk packet: the frag helper's EINVAL, not E2BIG.
    assert_eq!(errno(d.read(&mut Backing::Xdp(&mut b), 8500, &mut out, 0)), Errno::EINVAL);
}

#[test]
fn xdp_offsets_above_0xffff_fail_reads_but_slices_copy() {
    let pool = PagePool::default();
    let mut b = build(&pool, 73152);
    let (d, _) = Dynptr::from_xdp(1, &b, 0);
    let mut out = [0u8; 16];
    assert_eq!(errno(d.read(&mut Backing::Xdp(&mut b), 70000, &mut out, 0)), Errno::EFAULT);
    let mut buf = [0u8; 16];
    {
        let mut backing = Backing::Xdp(&mut b);
        let s = d.slice(&mut backing, 70000, Some(&mut buf), 16).unwrap();
        assert!(!s.is_direct());
        assert_eq!(s.bytes(), &pattern(73152)[70000..70016]);
    }
    assert!(d.slice(&mut Backing::Xdp(&mut b), 70000, None, 16).is_none(), "no buffer, not direct: NULL");
}

#[test]
fn xdp_slices_are_views_when_contiguous_and_copies_otherwise() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    let (d, _) = Dynptr::from_xdp(1, &b, 0);
    match d.slice_rdwr(&mut Backing::Xdp(&mut b), 5000, None, 4).unwrap() {
        Slice::Direct(v) => v.copy_from_slice(b"VIEW"),
        Slice::Copied(_) => panic!("contiguous range must be a view"),
    }
    assert_eq!(&b.to_vec()[5000..5004], b"VIEW");
    let mut buf = [0u8; 20];
    match d.slice_rdwr(&mut Backing::Xdp(&mut b), 3510, Some(&mut buf), 20).unwrap() {
        Slice::Copied(c) => {
            assert_eq!(c, &pattern(9000)[3510..3530]);
            c.fill(0);
        }
        Slice::Direct(_) => panic!("a range across the boundary must be copied"),
    }
    assert_eq!(&b.to_vec()[3510..3530], &pattern(9000)[3510..3530], "writes to the copy are not persisted");
    assert!(d.slice(&mut Backing::Xdp(&mut b), 3510, None, 20).is_none());
    assert!(d.slice(&mut Backing::Xdp(&mut b), 8990, Some(&mut buf), 20).is_none(), "out of range");
    assert!(Dynptr::NULL.slice(&mut Backing::Xdp(&mut b), 0, Some(&mut buf), 4).is_none());
}

// ---- skb ----

#[test]
fn skb_reads_cross_frags_and_writes_pull_into_the_head() {
    let pool = PagePool::default();
    let mut skb = skb_of(&pool, 9000, BuildOptions::default());
    let want = pattern(9000)[14..].to_vec();
    let (d, _) = Dynptr::from_skb(1, &skb, 0, ProgType::SchedCls);
    assert_eq!(d.len(), 8986);
    let mut out = [0u8; 32];
    d.read(&mut Backing::Skb(&mut skb), 5000, &mut out, 0).unwrap();
    assert_eq!(out, want[5000..5032]);
    assert_eq!(skb.headlen(), 3506);
    assert!(d.slice(&mut Backing::Skb(&mut skb), 5000, None, 32).is_none(), "not linear yet");
    // Writing at 5000 makes the first 5032 bytes linear: the head is reallocated and the frag
    // bytes move into it.
    d.write(&mut Backing::Skb(&mut skb), 5000, b"PULLED", 0).unwrap();
    assert!(skb.head_reallocated());
    assert_eq!(skb.headlen(), 5006);
    assert_eq!(skb.len(), 8986);
    let mut now = want.clone();
    now[5000..5006].copy_from_slice(b"PULLED");
    assert_eq!(skb.to_vec(), now);
    assert!(d.slice(&mut Backing::Skb(&mut skb), 4990, None, 16).unwrap().is_direct(), "now linear");
    assert_eq!(errno(d.write(&mut Backing::Skb(&mut skb), 0, b"x", 4)), Errno::EINVAL, "unknown skb flags");
    drop(skb);
    assert_eq!(pool.stats().in_flight, 0, "the old head page and emptied frags went back");
}

#[test]
fn read_only_skb_dynptrs_refuse_writes_and_rdwr_slices() {
    let pool = PagePool::default();
    let mut skb = skb_of(&pool, 200, BuildOptions::default());
    let (d, _) = Dynptr::from_skb(1, &skb, 0, ProgType::CgroupSkb);
    assert_eq!(errno(d.write(&mut Backing::Skb(&mut skb), 0, b"x", 0)), Errno::EINVAL);
    assert!(d.slice_rdwr(&mut Backing::Skb(&mut skb), 0, None, 4).is_none());
    assert!(d.slice(&mut Backing::Skb(&mut skb), 0, None, 4).unwrap().is_direct());
}

// ---- adjust / size / clone / is_* ----

#[test]
fn adjust_narrows_the_view() {
    let (mut d, _) = Dynptr::from_mem(0x1000, 100, 0);
    d.adjust(10, 30).unwrap();
    assert_eq!((d.offset, d.len(), d.kind()), (10, 20, DynptrKind::Local));
    assert_eq!(errno(d.adjust(5, 4)), Errno::EINVAL);
    assert_eq!(errno(d.adjust(0, 21)), Errno::ERANGE);
    assert_eq!(errno(d.adjust(21, 21)), Errno::ERANGE);
    d.adjust(20, 20).unwrap();
    assert_eq!(d.len(), 0);
    let mut n = Dynptr::NULL;
    assert_eq!(errno(n.adjust(0, 0)), Errno::EINVAL);
    assert_eq!(Dynptr::NULL.kfunc_size(), (-22i32) as u32);
}

#[test]
fn clone_copies_everything_and_nulls_on_a_null_source() {
    let (mut d, _) = Dynptr::from_mem(0x1000, 100, 0);
    d.set_rdonly();
    d.adjust(4, 50).unwrap();
    let mut c = Dynptr::from_mem(0x9, 1, 0).0;
    d.clone_into(&mut c).unwrap();
    assert_eq!(c, d);
    assert_eq!(errno(Dynptr::NULL.clone_into(&mut c)), Errno::EINVAL);
    assert_eq!(c, Dynptr::NULL);
    assert!(Dynptr::NULL.kfunc_is_null() && !Dynptr::NULL.kfunc_is_rdonly());
}

// ---- copy ----

#[test]
fn copy_between_memory_and_frames_in_every_direction() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    let mut mem = vec![0u8; 600];
    let (m, _) = Dynptr::from_mem(0x1000, 600, 0);
    // frame (across a boundary: not direct) -> memory (direct): one read into the memory.
    copy(&m, 0, &x, 3400, 600, &mut Backing::mem(0x1000, &mut mem), Some(&mut Backing::Xdp(&mut b))).unwrap();
    assert_eq!(mem, pattern(9000)[3400..4000]);
    // memory -> frame across frags.
    let src: Vec<u8> = (0..600).map(|i| (i % 7) as u8).collect();
    mem.copy_from_slice(&src);
    copy(&x, 7500, &m, 0, 600, &mut Backing::Xdp(&mut b), Some(&mut Backing::mem(0x1000, &mut mem))).unwrap();
    assert_eq!(&b.to_vec()[7500..8100], &src[..]);
    // frame -> same frame, neither side direct: chunked through 256 bytes.
    copy(&x, 3000, &x, 7500, 600, &mut Backing::Xdp(&mut b), None).unwrap();
    assert_eq!(&b.to_vec()[3000..3600], &src[..]);
    // Out of range on either side, with no direct slice: E2BIG.
    let e = copy(&x, 8900, &x, 0, 600, &mut Backing::Xdp(&mut b), None);
    assert_eq!(errno(e), Errno::E2BIG);
    let (ro, _) = {
        let (mut r, e) = Dynptr::from_mem(0x1000, 600, 0);
        r.set_rdonly();
        (r, e)
    };
    let e = copy(&ro, 0, &x, 0, 10, &mut Backing::mem(0x1000, &mut mem), Some(&mut Backing::Xdp(&mut b)));
    assert_eq!(errno(e), Errno::EINVAL, "read-only destination");
}

#[test]
fn copy_within_memory_is_a_memmove() {
    let mut mem = pattern(100);
    let (m, _) = Dynptr::from_mem(0x1000, 100, 0);
    copy(&m, 10, &m, 0, 50, &mut Backing::mem(0x1000, &mut mem), None).unwrap();
    let mut want = pattern(100);
    want.copy_within(0..50, 10);
    assert_eq!(mem, want);
}

#[test]
fn copy_within_a_frame_with_one_direct_side_goes_segment_by_segment() {
    // Helper-3's kernel case: 9000 bytes (linear part ends at 3520), source 3300..3500 direct,
    // destination 3450..3650 across the boundary. The first piece (to 3450..3520) overwrites
    // source bytes 3450..3500 before the second piece reads them: 3600..3650 get the original
    // 3300..3350, not 3450..3500.
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    assert_eq!(b.linear_len(), 3520);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    copy(&x, 3450, &x, 3300, 200, &mut Backing::Xdp(&mut b), None).unwrap();
    let orig = pattern(9000);
    let got = b.to_vec();
    assert_eq!(&got[3450..3600], &orig[3300..3450]);
    assert_eq!(&got[3600..3650], &orig[3300..3350]);

    // The mirror image: a direct destination read from a source across the boundary, walked by
    // the source's pieces. Source 3400..3700, destination 3000..3300 (both halves read from
    // original bytes: the destination is behind the source, so no piece sees a change).
    let mut b = build(&pool, 9000);
    copy(&x, 3000, &x, 3400, 300, &mut Backing::Xdp(&mut b), None).unwrap();
    assert_eq!(&b.to_vec()[3000..3300], &orig[3400..3700]);
    // Destination 3200..3500 (direct), source 3350..3650 across: the first source piece
    // (3350..3520) lands at 3200..3370, the second (3520..3650) at 3370..3500 from frag bytes.
    let mut b = build(&pool, 9000);
    copy(&x, 3200, &x, 3350, 300, &mut Backing::Xdp(&mut b), None).unwrap();
    assert_eq!(&b.to_vec()[3200..3500], &orig[3350..3650]);
    // Checks come first: nothing is written when the range runs past the packet.
    let mut b = build(&pool, 9000);
    let e = copy(&x, 8950, &x, 100, 100, &mut Backing::Xdp(&mut b), None);
    assert_eq!(errno(e), Errno::E2BIG);
    assert_eq!(b.to_vec(), orig);
}

#[test]
fn copy_between_an_skb_and_its_own_metadata() {
    // A tc program filing packet bytes in the metadata and back: one skb backs both dynptrs.
    let pool = PagePool::default();
    let mut skb = skb_of(&pool, 9000, BuildOptions { meta: vec![0; 16], ..BuildOptions::default() });
    let (data, _) = Dynptr::from_skb(1, &skb, 0, ProgType::SchedCls);
    let (meta, _) = Dynptr::from_skb_meta(1, &skb, 0);
    let headlen = skb.headlen();
    let packet = skb.to_vec();
    // Packet bytes across the end of the linear part (no direct source) into the metadata.
    copy(&meta, 0, &data, headlen - 8, 16, &mut Backing::Skb(&mut skb), None).unwrap();
    assert_eq!(skb.meta(), &packet[headlen as usize - 8..headlen as usize + 8]);
    // Metadata into the head, both sides direct.
    copy(&data, 0, &meta, 4, 8, &mut Backing::Skb(&mut skb), None).unwrap();
    assert_eq!(&skb.to_vec()[..8], &packet[headlen as usize - 4..headlen as usize + 4]);
    // Out of range on both sides: E2BIG, nothing written, nothing allocated for the size.
    let before = (skb.meta().to_vec(), skb.to_vec());
    let e = copy(&meta, 0, &data, 0, u32::MAX, &mut Backing::Skb(&mut skb), None);
    assert_eq!(errno(e), Errno::E2BIG);
    assert_eq!((skb.meta().to_vec(), skb.to_vec()), before);
}

// ---- memset ----

#[test]
fn memset_direct_and_chunked() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    let (x, _) = Dynptr::from_xdp(1, &b, 0);
    x.memset(&mut Backing::Xdp(&mut b), 100, 50, 0xab).unwrap();
    x.memset(&mut Backing::Xdp(&mut b), 3000, 5000, 0xcd).unwrap();
    let v = b.to_vec();
    assert!(v[100..150].iter().all(|&c| c == 0xab) && v[3000..8000].iter().all(|&c| c == 0xcd));
    assert_eq!((v[99], v[150], v[2999], v[8000]), (pattern(9000)[99], pattern(9000)[150], pattern(9000)[2999], pattern(9000)[8000]));
    assert_eq!(errno(x.memset(&mut Backing::Xdp(&mut b), 8999, 2, 0)), Errno::E2BIG);
    let mut ro = x;
    ro.set_rdonly();
    assert_eq!(errno(ro.memset(&mut Backing::Xdp(&mut b), 0, 2, 0)), Errno::EINVAL);
    // A null dynptr: nothing to slice, not read-only, and 0 bytes are in range of its 0 bytes.
    Dynptr::NULL.memset(&mut Backing::Xdp(&mut b), 0, 0, 1).unwrap();
    assert_eq!(errno(Dynptr::NULL.memset(&mut Backing::Xdp(&mut b), 0, 1, 1)), Errno::E2BIG);
}
