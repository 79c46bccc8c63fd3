//! Every XDP data helper and every error path, with the kernel's numbers.

mod common;
use common::*;
use uxdp::frame::layout::*;
use uxdp::frame::{BuildOptions, DirectView, RxQueue, BPF_F_CURRENT_CPU};
use uxdp::pool::{PagePool, PoolConfig};
use uxdp::Errno;

// ---- bpf_xdp_get_buff_len ----

#[test]
fn get_buff_len_counts_linear_and_frags_not_meta() {
    let pool = PagePool::default();
    assert_eq!(build(&pool, 100).get_buff_len(), 100);
    assert_eq!(build(&pool, 9000).get_buff_len(), 9000);
    let b = build_with(&pool, &pattern(100), BuildOptions { meta: vec![0; 8], ..BuildOptions::default() });
    assert_eq!(b.get_buff_len(), 100);
}

// ---- bpf_xdp_adjust_head ----

#[test]
fn adjust_head_pops_and_pushes_headers() {
    let pool = PagePool::default();
    let mut b = build(&pool, 100);
    b.adjust_head(14).unwrap();
    assert_eq!(b.to_vec(), pattern(100)[14..]);
    b.adjust_head(-14).unwrap();
    assert_eq!(b.to_vec(), pattern(100), "the popped bytes are still in the headroom");
    b.adjust_head(-20).unwrap();
    assert_eq!(&b.to_vec()[..20], &[0u8; 20], "fresh headroom is zero, as test_run's kzalloc");
    assert_eq!(b.len(), 120);
}

#[test]
fn adjust_head_limits() {
    let pool = PagePool::default();
    let mut b = build(&pool, 100);
    // data may come down to hard_start + 40 (the xdp_frame), no further.
    assert_eq!(errno(b.adjust_head(-(256 - 40) - 1)), Errno::EINVAL);
    b.adjust_head(-(256 - 40)).unwrap();
    assert_eq!(b.headroom(), 40);
    b.adjust_head(256 - 40).unwrap();
    // At least 14 bytes must remain in the linear part.
    assert_eq!(errno(b.adjust_head(100 - 14 + 1)), Errno::EINVAL);
    b.adjust_head(100 - 14).unwrap();
    assert_eq!(b.len(), 14);
}

#[test]
fn adjust_head_moves_metadata_and_counts_it_against_headroom() {
    let pool = PagePool::default();
    let meta: Vec<u8> = (1..=16).collect();
    let mut b = build_with(&pool, &pattern(100), BuildOptions { meta: meta.clone(), ..BuildOptions::default() });
    b.adjust_head(-50).unwrap();
    assert_eq!(b.meta(), &meta[..]);
    assert_eq!(b.headroom(), 206);
    // 40 (frame) + 16 (meta) must stay below data.
    assert_eq!(errno(b.adjust_head(-(206 - 56) - 1)), Errno::EINVAL);
    b.adjust_head(-(206 - 56)).unwrap();
    assert_eq!(b.meta(), &meta[..]);
}

#[test]
fn adjust_head_keeps_unsupported_meta_at_data_plus_one() {
    let pool = PagePool::default();
    let mut b = build_with(&pool, &pattern(100), BuildOptions { meta_supported: false, ..BuildOptions::default() });
    b.adjust_head(10).unwrap();
    let l = b.layout();
    assert_eq!(l.data_meta, l.data + 1);
    // Without metadata the lower limit is hard_start + 40 exactly.
    b.adjust_head(-(266 - 40)).unwrap();
}

#[test]
fn adjust_head_only_touches_the_linear_part() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    b.adjust_head(3520 - 14).unwrap();
    assert_eq!((b.linear_len(), b.len()), (14, 9000 - 3506));
    assert_eq!(errno(b.adjust_head(1)), Errno::EINVAL, "data cannot move into a frag");
    assert_eq!(b.to_vec(), pattern(9000)[3506..]);
}

// ---- bpf_xdp_adjust_meta ----

#[test]
fn adjust_meta_grows_and_shrinks() {
    let pool = PagePool::default();
    let mut b = build(&pool, 100);
    b.adjust_meta(-32).unwrap();
    assert_eq!(b.meta_len(), 32);
    b.adjust_meta(16).unwrap();
    assert_eq!(b.meta_len(), 16);
    b.adjust_meta(16).unwrap();
    assert_eq!(b.meta_len(), 0);
}

#[test]
fn adjust_meta_errors() {
    let pool = PagePool::default();
    let mut b = build_with(&pool, &pattern(100), BuildOptions { meta_supported: false, ..BuildOptions::default() });
    assert_eq!(errno(b.adjust_meta(-4)), Errno::ENOTSUPP);
    assert_eq!(Errno::ENOTSUPP.retval(), -524);

    let mut b = build(&pool, 100);
    assert_eq!(errno(b.adjust_meta(4)), Errno::EINVAL, "data_meta past data");
    assert_eq!(errno(b.adjust_meta(-(256 - 40) - 4)), Errno::EINVAL, "into the xdp_frame area");
    assert_eq!(errno(b.adjust_meta(-6)), Errno::EACCES, "not a multiple of 4");
    b.adjust_meta(-(256 - 40)).unwrap();
    assert_eq!(b.meta_len(), 216);

    // With more headroom the 255-byte limit is what stops it (252 is the largest multiple of 4).
    let big = PagePool::new(PoolConfig { page_size: 8192, ..PoolConfig::default() }).unwrap();
    let mut b = build_with(&big, &pattern(100), BuildOptions { headroom: 512, ..BuildOptions::default() });
    b.adjust_meta(-252).unwrap();
    assert_eq!(errno(b.adjust_meta(-4)), Errno::EACCES);
    assert_eq!(b.meta_len(), 252);
}

// ---- bpf_xdp_adjust_tail, linear ----

#[test]
fn adjust_tail_linear_grow_zeroes_and_stops_at_shared_info() {
    let pool = PagePool::default();
    // Dirty a page first so that zeroing is visible.
    let mut dirty = pool.alloc().unwrap();
    dirty.bytes_mut().fill(0xee);
    drop(dirty);
    let mut b = build(&pool, 128);
    b.adjust_tail(64).unwrap();
    assert_eq!(&b.to_vec()[128..], &[0u8; 64]);
    assert_eq!(errno(b.adjust_tail(3520 - 192 + 1)), Errno::EINVAL);
    b.adjust_tail(3520 - 192).unwrap();
    assert_eq!(b.len(), 3520);
    assert_eq!(b.tailroom(), 0);
}

#[test]
fn adjust_tail_linear_shrink_keeps_14_bytes() {
    let pool = PagePool::default();
    let mut b = build(&pool, 100);
    assert_eq!(errno(b.adjust_tail(-87)), Errno::EINVAL);
    b.adjust_tail(-86).unwrap();
    assert_eq!(b.len(), 14);
    assert_eq!(errno(b.adjust_tail(-1)), Errno::EINVAL);
    b.adjust_tail(0).unwrap();
}

// ---- bpf_xdp_adjust_tail, frags ----

#[test]
fn frags_grow_only_into_the_last_frag() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    b.adjust_tail(10).unwrap();
    assert_eq!(seg_lens(&b), vec![3520, 4096, 1394]);
    assert_eq!(b.frags_size(), 9010 - 3520);
    let room = 4096 - 1394;
    assert_eq!(errno(b.adjust_tail(room + 1)), Errno::EINVAL);
    b.adjust_tail(room).unwrap();
    assert_eq!(b.len(), 3520 + 2 * 4096);
    assert_eq!(errno(b.adjust_tail(1)), Errno::EINVAL, "a full last frag cannot grow; no new frag is added");
    assert_eq!(b.nr_frags(), 2);
    assert_eq!(&b.to_vec()[9000..], &vec![0u8; 4096 - 1384][..]);
}

#[test]
fn frags_grow_needs_a_frag_size() {
    let pool = PagePool::default();
    let opts = BuildOptions { rxq: RxQueue { frag_size: 0, ..RxQueue::default() }, ..BuildOptions::default() };
    let mut b = build_with(&pool, &pattern(9000), opts.clone());
    assert_eq!(errno(b.adjust_tail(10)), Errno::EOPNOTSUPP);
    assert_eq!(errno(b.adjust_tail(0)), Errno::EOPNOTSUPP, "offset 0 takes the grow path");
    b.adjust_tail(-10).unwrap();
    let mut b = build_with(
        &pool,
        &pattern(9000),
        BuildOptions { rxq: RxQueue { frag_size: 8192, ..RxQueue::default() }, ..BuildOptions::default() },
    );
    assert_eq!(errno(b.adjust_tail(1)), Errno::EOPNOTSUPP, "frag size larger than frame_sz");
}

#[test]
fn frags_grow_respects_the_frag_offset() {
    let pool = PagePool::default();
    // A 2048-byte frag size with frag data at offset 64: tailroom = 2048 - len - 64 % 2048.
    let opts = BuildOptions {
        frag_len: Some(1000),
        frag_offset: 64,
        rxq: RxQueue { frag_size: 2048, ..RxQueue::default() },
        ..BuildOptions::default()
    };
    let mut b = build_with(&pool, &pattern(3520 + 1500), opts);
    assert_eq!(seg_lens(&b), vec![3520, 1000, 500]);
    assert_eq!(errno(b.adjust_tail(2048 - 500 - 64 + 1)), Errno::EINVAL);
    b.adjust_tail(2048 - 500 - 64).unwrap();
}

#[test]
fn frags_shrink_releases_whole_frags_then_linear() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    assert_eq!(pool.stats().in_flight, 3);
    b.adjust_tail(-1000).unwrap();
    assert_eq!(seg_lens(&b), vec![3520, 4096, 384]);
    b.adjust_tail(-384).unwrap();
    assert_eq!(seg_lens(&b), vec![3520, 4096], "a frag shrunk to nothing is released");
    assert_eq!(pool.stats().in_flight, 2);
    b.adjust_tail(-4100).unwrap();
    assert_eq!(seg_lens(&b), vec![3516]);
    assert!(!b.has_frags());
    assert_eq!(b.flags(), 0);
    assert_eq!(pool.stats().in_flight, 1);
    assert_eq!(b.to_vec(), pattern(9000)[..3516]);
}

#[test]
fn frags_shrink_keeps_14_bytes_and_clears_pfmemalloc() {
    let pool = PagePool::default();
    let mut b = build_with(&pool, &pattern(100), BuildOptions { linear_len: Some(20), ..BuildOptions::default() });
    pool.set_pfmemalloc(true);
    b.add_frag(pool.alloc().unwrap(), 0, 50, 4096).unwrap();
    assert_eq!(b.flags(), XDP_FLAGS_HAS_FRAGS | XDP_FLAGS_FRAGS_PF_MEMALLOC);
    assert_eq!(errno(b.adjust_tail(-(20 + 80 + 50 - 14 + 1))), Errno::EINVAL);
    b.adjust_tail(-(20 + 80 + 50 - 14)).unwrap();
    assert_eq!((b.len(), b.nr_frags(), b.flags()), (14, 0, 0));
}

// ---- bpf_xdp_load_bytes / bpf_xdp_store_bytes ----

#[test]
fn load_bytes_across_every_boundary() {
    let pool = PagePool::default();
    let len = 3520 + 3 * 4096 + 100;
    let b = build(&pool, len);
    let want = pattern(len);
    for (off, n) in [(0, 64), (3500, 40), (3519, 1), (3520, 1), (3520 + 4090, 12), (100, 3520 + 2 * 4096), (len - 1, 1), (0, len)] {
        let mut buf = vec![0u8; n];
        b.load_bytes(off as u32, &mut buf).unwrap();
        assert_eq!(buf, want[off..off + n], "off {off} len {n}");
    }
}

#[test]
fn store_bytes_across_every_boundary() {
    let pool = PagePool::default();
    let len = 9000;
    let mut b = build(&pool, len);
    let mut want = pattern(len);
    for (off, n) in [(3510usize, 20usize), (7600, 30), (0, 9000), (8990, 10)] {
        let src: Vec<u8> = (0..n).map(|i| (i as u8) ^ 0x5a).collect();
        b.store_bytes(off as u32, &src).unwrap();
        want[off..off + n].copy_from_slice(&src);
        assert_eq!(b.to_vec(), want);
    }
    assert_eq!(seg_lens(&b), vec![3520, 4096, 1384], "stores never change the geometry");
}

#[test]
fn load_store_errors() {
    let pool = PagePool::default();
    let mut b = build(&pool, 73152);
    let mut buf = vec![0u8; 16];
    assert_eq!(errno(b.load_bytes(0x10000, &mut buf)), Errno::EFAULT);
    assert_eq!(errno(b.store_bytes(0x10000, &buf)), Errno::EFAULT);
    let mut big = vec![0u8; 0x10000];
    assert_eq!(errno(b.load_bytes(0, &mut big)), Errno::EFAULT);
    let mut b = build(&pool, 100);
    assert_eq!(errno(b.load_bytes(90, &mut buf)), Errno::EINVAL);
    assert_eq!(errno(b.store_bytes(85, &buf)), Errno::EINVAL);
    b.load_bytes(84, &mut buf).unwrap();
    let e = b.load_bytes(90, &mut buf).unwrap_err();
    assert_eq!((e.detail.op, e.detail.offset, e.detail.len, e.detail.limit), ("bpf_xdp_load_bytes", Some(90), Some(16), Some(100)));
}

#[test]
fn offsets_0xffff_work_across_a_big_frame() {
    let pool = PagePool::default();
    let b = build(&pool, 73152);
    let mut buf = vec![0u8; 0xffff];
    b.load_bytes(0xffff, &mut buf[..100]).unwrap();
    assert_eq!(&buf[..100], &pattern(73152)[0xffff..0xffff + 100]);
    b.load_bytes(1, &mut buf).unwrap();
    assert_eq!(buf, pattern(73152)[1..0x10000]);
}

// ---- bpf_xdp_pointer / bpf_xdp_copy_buf ----

#[test]
fn pointer_is_direct_only_within_one_segment() {
    let pool = PagePool::default();
    let b = build(&pool, 9000);
    assert_eq!(b.pointer(0, 14).unwrap(), Some(DirectView { segment: 0, offset: 0, len: 14 }));
    assert_eq!(
        b.pointer(3500, 20).unwrap(),
        Some(DirectView { segment: 0, offset: 3500, len: 20 }),
        "ending exactly at the boundary is direct"
    );
    assert_eq!(b.pointer(3500, 21).unwrap(), None);
    assert_eq!(b.pointer(3520, 4096).unwrap(), Some(DirectView { segment: 1, offset: 0, len: 4096 }));
    assert_eq!(b.pointer(7616, 1384).unwrap(), Some(DirectView { segment: 2, offset: 0, len: 1384 }));
    assert_eq!(b.pointer(7615, 2).unwrap(), None);
    let v = b.pointer(5000, 8).unwrap().unwrap();
    assert_eq!(b.view(v), &pattern(9000)[5000..5008]);
    assert_eq!(errno(b.pointer(8995, 6)), Errno::EINVAL);
    assert_eq!(errno(b.pointer(0x10000, 1)), Errno::EFAULT);
    assert_eq!(errno(b.pointer(0, 0x10000)), Errno::EFAULT);
}

#[test]
fn pointer_view_writes_reach_the_packet() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    let v = b.pointer(4000, 4).unwrap().unwrap();
    b.view_mut(v).copy_from_slice(b"abcd");
    let mut out = [0u8; 4];
    b.load_bytes(4000, &mut out).unwrap();
    assert_eq!(&out, b"abcd");
}

#[test]
fn copy_buf_copies_what_exists_without_checks() {
    let pool = PagePool::default();
    let mut b = build(&pool, 5000);
    let mut buf = vec![0xffu8; 100];
    assert_eq!(b.copy_out(4950, &mut buf), 50);
    assert_eq!(&buf[..50], &pattern(5000)[4950..]);
    assert_eq!(&buf[50..], &[0xff; 50], "the rest of the caller's buffer is untouched");
    assert_eq!(b.copy_in(4990, &[1; 20]), 10);
    assert_eq!(&b.to_vec()[4990..], &[1; 10]);
    assert_eq!(b.copy_out(6000, &mut buf), 0);
}

// ---- bpf_xdp_output / perf_event_output ----

#[test]
fn event_output_sample_is_meta_then_packet_prefix() {
    let pool = PagePool::default();
    let b = build(&pool, 9000);
    let flags = (5000u64 << 32) | BPF_F_CURRENT_CPU;
    let s = b.event_output(flags, b"META").unwrap();
    assert_eq!(s.index, None);
    assert_eq!(&s.data[..4], b"META");
    assert_eq!(&s.data[4..], &pattern(9000)[..5000]);
    let s = b.event_output(3, &[]).unwrap();
    assert_eq!((s.index, s.data.len()), (Some(3), 0));
    assert_eq!(errno(b.event_output(9001u64 << 32, &[])), Errno::EFAULT);
    assert_eq!(errno(b.event_output(1u64 << 52, &[])), Errno::EINVAL);
    b.event_output(9000u64 << 32, &[]).unwrap();
}

// ---- bpf_xdp_adjust_data (v14 seed API) ----

#[test]
fn adjust_data_walks_frags_and_guards_the_other_helpers() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    assert_eq!(b.adjust_data(5000).unwrap(), 3520);
    let w = b.ctx_window();
    assert_eq!((w.segment, w.start, w.end), (1, 5000 - 3520, 4096));
    assert_eq!(errno(b.adjust_head(1)), Errno::EFAULT);
    assert_eq!(errno(b.adjust_meta(-4)), Errno::EFAULT);
    assert_eq!(errno(b.adjust_tail(-1)), Errno::EFAULT);
    assert_eq!(b.len(), 9000);
    assert_eq!(b.adjust_data(8000).unwrap(), 7616);
    assert_eq!(b.adjust_data(100).unwrap(), 0);
    assert_eq!(b.ctx_window().start, 356);
    assert_eq!(errno(b.adjust_tail(-1)), Errno::EFAULT, "still moved: data is not at the packet start");
    assert_eq!(b.adjust_data(0).unwrap(), 0);
    assert_eq!(b.data_window(), None);
    b.adjust_tail(-1).unwrap();
    assert_eq!(errno(b.adjust_data(9000)), Errno::EINVAL);
    // Exactly the packet length matches no segment: returned as is, pointers unmoved.
    assert_eq!(b.adjust_data(8999).unwrap(), 8999);
    assert_eq!(b.data_window(), None);
    let mut lin = build(&pool, 100);
    assert_eq!(errno(lin.adjust_data(101)), Errno::EINVAL);
    assert_eq!(lin.adjust_data(100).unwrap(), 100);
}

// ---- bpf_xdp_pull_data (6.18 kfunc) ----

#[test]
fn pull_data_copies_frag_heads_into_the_linear_tail() {
    let pool = PagePool::default();
    let opts = BuildOptions { linear_len: Some(64), frag_len: Some(1000), ..BuildOptions::default() };
    let mut b = build_with(&pool, &pattern(3064), opts);
    assert_eq!(seg_lens(&b), vec![64, 1000, 1000, 1000]);
    b.pull_data(32).unwrap();
    assert_eq!(seg_lens(&b), vec![64, 1000, 1000, 1000], "already linear");
    b.pull_data(564).unwrap();
    assert_eq!(seg_lens(&b), vec![564, 500, 1000, 1000]);
    assert_eq!(b.frag(0).unwrap().offset, 500);
    assert_eq!(b.to_vec(), pattern(3064));
    b.pull_data(2064).unwrap();
    assert_eq!(seg_lens(&b), vec![2064, 1000], "emptied frags are released and the array shifts down");
    assert_eq!(b.to_vec(), pattern(3064));
    assert_eq!(pool.stats().in_flight, 2);
    b.pull_data(3064).unwrap();
    assert_eq!((b.nr_frags(), b.flags()), (0, 0));
    assert_eq!(errno(b.pull_data(3065)), Errno::EINVAL);
}

#[test]
fn pull_data_shifts_into_headroom_when_tailroom_is_short() {
    let pool = PagePool::default();
    let meta: Vec<u8> = (0..8).collect();
    let mut b = build_with(&pool, &pattern(9000), BuildOptions { meta: meta.clone(), ..BuildOptions::default() });
    // tailroom 0, headroom above meta: 256 - 8 - 40 = 208.
    assert_eq!(errno(b.pull_data(3520 + 209)), Errno::EINVAL);
    b.pull_data(3520 + 208).unwrap();
    assert_eq!((b.headroom(), b.linear_len()), (48, 3728));
    assert_eq!(b.meta(), &meta[..]);
    assert_eq!(b.to_vec(), pattern(9000));
}

// ---- regressions found by the kernel differential suite and the property test ----

#[test]
fn adjust_tail_int_min_on_frags_changes_nothing_like_the_kernel() {
    let pool = PagePool::default();
    // -INT_MIN overflows back to INT_MIN in the kernel's int arithmetic: the signed length check
    // passes, no frag is touched, the helper returns 0.
    let mut b = build(&pool, 9000);
    b.adjust_tail(i32::MIN).unwrap();
    assert_eq!((b.len(), b.nr_frags()), (9000, 2));
    assert_eq!(b.to_vec(), pattern(9000));
    assert_eq!(errno(b.adjust_tail(i32::MIN + 1)), Errno::EINVAL);
    let mut lin = build(&pool, 100);
    assert_eq!(errno(lin.adjust_tail(i32::MIN)), Errno::EINVAL, "the linear path compares pointers instead");
}

#[test]
fn grow_after_pull_counts_the_frag_offset() {
    let pool = PagePool::default();
    let mut b = build(&pool, 7803);
    b.adjust_tail(-216).unwrap();
    b.pull_data(3521).unwrap();
    let f = b.frag(0).unwrap();
    assert_eq!((f.offset, f.len), (1, 4066));
    // tailroom = frag_size - len - offset % frag_size = 4096 - 4066 - 1
    assert_eq!(errno(b.adjust_tail(30)), Errno::EINVAL);
    b.adjust_tail(29).unwrap();
}
