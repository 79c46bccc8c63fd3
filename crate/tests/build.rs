//! Building frames: test_run's split by default, driver layouts by option, and nothing lost on
//! failure.

mod common;
use common::*;
use uxdp::frame::layout::*;
use uxdp::frame::{BuildOptions, RxQueue, XdpBuff};
use uxdp::pool::{PagePool, PoolConfig};
use uxdp::Errno;

#[test]
fn small_packet_is_linear() {
    let pool = PagePool::default();
    let b = build(&pool, 64);
    assert_eq!((b.len(), b.linear_len(), b.nr_frags(), b.flags()), (64, 64, 0, 0));
    assert_eq!(b.headroom(), 256);
    assert_eq!(b.tailroom(), 3520 - 64);
    assert_eq!(b.to_vec(), pattern(64));
}

#[test]
fn test_run_split_at_3520_then_pages() {
    let pool = PagePool::default();
    for (len, want) in [
        (3520usize, vec![3520]),
        (3521, vec![3520, 1]),
        (7616, vec![3520, 4096]),
        (7617, vec![3520, 4096, 1]),
        (9000, vec![3520, 4096, 1384]),
        (73152, std::iter::once(3520).chain(std::iter::repeat_n(4096, 17)).collect()),
    ] {
        let b = build(&pool, len);
        assert_eq!(seg_lens(&b), want, "{len}");
        assert_eq!(b.len() as usize, len);
        assert_eq!(b.to_vec(), pattern(len), "{len}");
        let frags = want.len() - 1;
        assert_eq!(b.nr_frags() as usize, frags);
        assert_eq!(b.has_frags(), frags > 0);
        assert_eq!(b.frags_size() as usize, len - want[0]);
        assert_eq!(b.frags_truesize(), 0, "test_run does not fill xdp_frags_truesize");
        for f in b.frags() {
            assert_eq!(f.offset, 0);
        }
    }
    assert_eq!(pool.stats().in_flight, 0, "every built buffer was dropped");
}

#[test]
fn enomem_past_17_frags_and_nothing_leaks() {
    let pool = PagePool::default();
    let err = XdpBuff::from_bytes(&pool, &pattern(73153), &BuildOptions::default()).unwrap_err();
    assert_eq!(err.errno, Errno::ENOMEM);
    assert_eq!(err.detail.limit, Some(73152));
    assert_eq!(pool.stats().in_flight, 0);
}

#[test]
fn runt_packets_are_refused() {
    let pool = PagePool::default();
    let err = XdpBuff::from_bytes(&pool, &pattern(13), &BuildOptions::default()).unwrap_err();
    assert_eq!((err.errno, err.detail.limit), (Errno::EINVAL, Some(14)));
    assert!(XdpBuff::from_bytes(&pool, &pattern(14), &BuildOptions::default()).is_ok());
}

#[test]
fn max_skb_frags_45_shrinks_linear_and_allows_more_frags() {
    let pool = PagePool::default();
    let opts = BuildOptions { max_frags: 45, ..BuildOptions::default() };
    let linear = 4096 - 256 - 768;
    let max = linear + 45 * 4096;
    let b = build_with(&pool, &pattern(max as usize), opts.clone());
    assert_eq!((b.linear_len(), b.nr_frags()), (linear, 45));
    let err = XdpBuff::from_bytes(&pool, &pattern(max as usize + 1), &opts).unwrap_err();
    assert_eq!(err.errno, Errno::ENOMEM);
    for bad in [16u8, 46] {
        let e = XdpBuff::from_bytes(&pool, &pattern(100), &BuildOptions { max_frags: bad, ..BuildOptions::default() }).unwrap_err();
        assert_eq!(e.errno, Errno::EINVAL);
    }
}

#[test]
fn linear_and_frag_sizes_are_options() {
    let pool = PagePool::default();
    // Header split: 128 linear bytes, then 1500-byte frags at a driver's RX offset.
    let opts =
        BuildOptions { linear_len: Some(128), frag_len: Some(1500), frag_offset: 64, frag_truesize: 2048, ..BuildOptions::default() };
    let b = build_with(&pool, &pattern(4000), opts);
    assert_eq!(seg_lens(&b), vec![128, 1500, 1500, 872]);
    assert_eq!(b.frags_truesize(), 3 * 2048);
    assert!(b.frags().iter().all(|f| f.offset == 64));
    assert_eq!(b.to_vec(), pattern(4000));
    // A requested linear size larger than fits is EINVAL, naming the limit (under test_run's
    // rules it is clamped, as the kernel clamps ctx_in.data_end).
    let e = XdpBuff::from_bytes(&pool, &pattern(5000), &BuildOptions { linear_len: Some(4000), ..BuildOptions::default() }).unwrap_err();
    assert_eq!((e.errno, e.detail.len, e.detail.limit), (Errno::EINVAL, Some(4000), Some(3520)));
    assert!(e.message.contains("linearLength 4000"), "{}", e.message);
    let b = build_with(&pool, &pattern(5000), BuildOptions { linear_len: Some(4000), test_run_linear: true, ..BuildOptions::default() });
    assert_eq!(b.linear_len(), 3520);
}

#[test]
fn a_linear_part_shorter_than_an_ethernet_header_only_under_test_run_rules() {
    let pool = PagePool::default();
    for n in [0u32, 1, 13] {
        let e = XdpBuff::from_bytes(&pool, &pattern(9000), &BuildOptions { linear_len: Some(n), ..BuildOptions::default() }).unwrap_err();
        assert_eq!((e.errno, e.detail.len, e.detail.limit), (Errno::EINVAL, Some(u64::from(n)), Some(14)));
        let b = build_with(&pool, &pattern(9000), BuildOptions { linear_len: Some(n), test_run_linear: true, ..BuildOptions::default() });
        assert_eq!((b.linear_len(), b.len()), (n, 9000));
        assert_eq!(b.to_vec(), pattern(9000));
    }
    assert_eq!(build_with(&pool, &pattern(9000), BuildOptions { linear_len: Some(14), ..BuildOptions::default() }).linear_len(), 14);
    // The packet as a whole still needs an Ethernet header.
    let e =
        XdpBuff::from_bytes(&pool, &pattern(13), &BuildOptions { linear_len: Some(5), test_run_linear: true, ..BuildOptions::default() })
            .unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    assert_eq!(pool.stats().in_flight, 0);
}

#[test]
fn metadata_sits_before_data_and_does_not_move_the_split() {
    let pool = PagePool::default();
    let meta: Vec<u8> = (1..=32).collect();
    let b = build_with(&pool, &pattern(9000), BuildOptions { meta: meta.clone(), ..BuildOptions::default() });
    assert_eq!(b.meta(), &meta[..]);
    assert_eq!((b.meta_len(), b.headroom(), b.linear_len()), (32, 256, 3520));
    let out = b.test_run_output();
    assert_eq!(&out[..32], &meta[..]);
    assert_eq!(&out[32..], &pattern(9000)[..]);
}

#[test]
fn metadata_rules() {
    let pool = PagePool::default();
    for (len, ok) in [(4usize, true), (6, false), (216, true), (220, true), (252, true), (253, false), (256, false)] {
        let opts = BuildOptions { meta: vec![0; len], headroom: if len > 216 { 512 } else { 256 }, ..BuildOptions::default() };
        let r = XdpBuff::from_bytes(&PagePool::new(PoolConfig { page_size: 8192, ..PoolConfig::default() }).unwrap(), &pattern(64), &opts);
        assert_eq!(r.is_ok(), ok, "meta {len}: {r:?}");
    }
    // 216 + 40 = 256: one more word would reach into the xdp_frame area.
    let r = XdpBuff::from_bytes(&pool, &pattern(64), &BuildOptions { meta: vec![0; 220], ..BuildOptions::default() });
    assert_eq!(r.unwrap_err().errno, Errno::EINVAL);
    let r = XdpBuff::from_bytes(&pool, &pattern(64), &BuildOptions { meta: vec![0; 4], meta_supported: false, ..BuildOptions::default() });
    assert_eq!(r.unwrap_err().errno, Errno::EINVAL);
}

#[test]
fn unsupported_metadata_is_data_plus_one() {
    let pool = PagePool::default();
    let b = build_with(&pool, &pattern(64), BuildOptions { meta_supported: false, ..BuildOptions::default() });
    let l = b.layout();
    assert_eq!(l.data_meta, l.data + 1);
    assert!(!b.meta_supported());
    assert_eq!(b.meta_len(), 0);
}

#[test]
fn bigger_pages_change_the_split() {
    let pool = PagePool::new(PoolConfig { page_size: 16384, ..PoolConfig::default() }).unwrap();
    let b = build(&pool, 40000);
    assert_eq!(seg_lens(&b), vec![16384 - 256 - 320, 16384, 40000 - 16384 - 15808]);
}

#[test]
fn pool_exhaustion_mid_build_returns_every_page() {
    let pool = PagePool::new(PoolConfig { max_in_flight: Some(2), ..PoolConfig::default() }).unwrap();
    let err = XdpBuff::from_bytes(&pool, &pattern(9000), &BuildOptions::default()).unwrap_err();
    assert_eq!(err.errno, Errno::ENOMEM);
    let s = pool.stats();
    assert_eq!((s.in_flight, s.alloc_failed, s.allocated), (0, 1, 2));
}

#[test]
fn layout_matches_the_kernel() {
    let pool = PagePool::default();
    let b = build(&pool, 9000);
    let l = b.layout();
    assert_eq!((l.hard_start, l.data, l.data_end, l.hard_end, l.frame_sz), (0, 256, 256 + 3520, 4096 - 320, 4096));
    // skb_shared_info in the head page's last 320 bytes: nr_frags at +2, xdp_frags_size at +40.
    let page = b.head_page();
    assert_eq!(page[4096 - 320 + 2], 2);
    assert_eq!(u32::from_le_bytes(page[4096 - 320 + 40..4096 - 320 + 44].try_into().unwrap()), 9000 - 3520);
    let f0 = b.frag(0).unwrap();
    assert_eq!(u64::from_le_bytes(page[4096 - 320 + 48..4096 - 320 + 56].try_into().unwrap()), f0.page_addr);
    assert_eq!(u32::from_le_bytes(page[4096 - 320 + 56..4096 - 320 + 60].try_into().unwrap()), 4096);
}

#[test]
fn stale_shared_info_means_nothing_without_has_frags() {
    let pool = PagePool::default();
    // A jumbo frame leaves nr_frags = 2 in its head page; recycled, the page's shinfo is stale
    // until a driver sets HAS_FRAGS again.
    drop(build(&pool, 9000));
    let head = pool.alloc().unwrap();
    assert_eq!(head.bytes()[4096 - 320 + 2], 2, "recycled page still holds the old nr_frags");
    let b = XdpBuff::new(
        head,
        uxdp::frame::BuffInit {
            hard_start: 0,
            headroom: 256,
            len: 60,
            frame_sz: 4096,
            meta_valid: true,
            max_frags: MAX_SKB_FRAGS,
            rxq: RxQueue::default(),
        },
    )
    .unwrap();
    assert_eq!((b.nr_frags(), b.frags_size(), b.len()), (0, 0, 60));
}

#[test]
fn add_frag_refuses_the_18th_and_hands_the_page_back() {
    let pool = PagePool::default();
    let mut b = build(&pool, 3520 + 17 * 4096);
    let page = pool.alloc().unwrap();
    let addr = page.addr();
    let (err, back) = b.add_frag(page, 0, 100, 4096).unwrap_err();
    assert_eq!(err.errno, Errno::ENOMEM);
    assert_eq!(back.addr(), addr);
    drop((b, back));
    assert_eq!(pool.stats().in_flight, 0);
}

#[test]
fn pfmemalloc_pages_set_the_flag() {
    let pool = PagePool::default();
    let mut b = build(&pool, 100);
    pool.set_pfmemalloc(true);
    let page = pool.alloc().unwrap();
    b.add_frag(page, 0, 100, 4096).unwrap();
    assert_eq!(b.flags(), XDP_FLAGS_HAS_FRAGS | XDP_FLAGS_FRAGS_PF_MEMALLOC);
    assert_eq!((b.frags_size(), b.frags_truesize()), (100, 4096));
}
