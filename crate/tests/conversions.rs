//! xdp_buff → xdp_frame → skb (and back), and the lifetime of their pages.

mod common;
use common::*;
use uxdp::frame::layout::*;
use uxdp::frame::{BuffInit, BuildOptions, NetDev, RxQueue, XdpBuff, PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST};
use uxdp::pool::PagePool;
use uxdp::Errno;

const DEV: NetDev = NetDev { ifindex: 2, dev_addr: [0x02, 0, 0, 0, 0, 0x02] };

/// An Ethernet frame to `dest` with EtherType `proto`, payload bytes following the pattern.
fn eth(len: usize, dest: [u8; 6], proto: u16) -> Vec<u8> {
    let mut b = pattern(len);
    b[..6].copy_from_slice(&dest);
    b[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    b[12..14].copy_from_slice(&proto.to_be_bytes());
    b
}

#[test]
fn xdp_frame_is_written_at_data_hard_start() {
    let pool = PagePool::default();
    let meta = vec![7u8; 16];
    let b = build_with(&pool, &pattern(9000), BuildOptions { meta: meta.clone(), ..BuildOptions::default() });
    let page = b.head_page_addr();
    let f = b.into_frame().unwrap();
    let raw = f.raw();
    assert_eq!(u64::from_le_bytes(raw[0..8].try_into().unwrap()), page + 256, "data");
    assert_eq!(u32::from_le_bytes(raw[8..12].try_into().unwrap()), 3520, "len");
    assert_eq!(u32::from_le_bytes(raw[12..16].try_into().unwrap()), 256 - 40, "headroom after the struct");
    assert_eq!(u32::from_le_bytes(raw[16..20].try_into().unwrap()), 16, "metasize");
    assert_eq!(u32::from_le_bytes(raw[20..24].try_into().unwrap()), MEM_TYPE_PAGE_POOL);
    assert_eq!(u32::from_le_bytes(raw[32..36].try_into().unwrap()), 4096, "frame_sz");
    assert_eq!(u32::from_le_bytes(raw[36..40].try_into().unwrap()), XDP_FLAGS_HAS_FRAGS);
    assert_eq!((f.len(), f.frame_len(), f.nr_frags(), f.frags_size()), (3520, 9000, 2, 5480));
    assert_eq!(f.meta(), &meta[..]);
    assert_eq!(f.to_vec(), pattern(9000));
}

#[test]
fn xdp_frame_needs_40_bytes_of_headroom_above_the_metadata() {
    let pool = PagePool::default();
    let mut b = build(&pool, 100);
    // adjust_head stops at hard_start + 40, so a helper-made buffer always converts...
    b.adjust_head(-(256 - 40)).unwrap();
    assert!(b.into_frame().is_ok());
    // ...but a driver that left less headroom gets ENOSPC and keeps its buffer.
    let head = pool.alloc().unwrap();
    let init = BuffInit { hard_start: 0, headroom: 32, len: 100, frame_sz: 4096, meta_valid: true, max_frags: 17, rxq: RxQueue::default() };
    let b = XdpBuff::new(head, init).unwrap();
    let (err, back) = b.into_frame().unwrap_err();
    assert_eq!((err.errno, err.detail.limit), (Errno::ENOSPC, Some(40)));
    assert_eq!(back.len(), 100);
    drop(back);
    assert_eq!(pool.stats().in_flight, 0);
}

#[test]
fn frame_back_to_buff_on_a_queue_without_frag_size() {
    let pool = PagePool::default();
    let b = build(&pool, 9000);
    let f = b.into_frame().unwrap();
    // cpumap/devmap programs run on a zeroed rxq: frags cannot grow there.
    let mut b = f.into_buff(RxQueue { ifindex: 3, queue_index: 0, frag_size: 0 });
    assert_eq!((b.len(), b.nr_frags(), b.headroom()), (9000, 2, 256));
    assert_eq!(b.to_vec(), pattern(9000));
    assert_eq!(b.adjust_tail(1).unwrap_err().errno, Errno::EOPNOTSUPP);
    b.adjust_tail(-1).unwrap();
}

#[test]
fn skb_from_frame_keeps_frags_in_place() {
    let pool = PagePool::default();
    let bytes = eth(9000, DEV.dev_addr, 0x0800);
    let b = build_with(&pool, &bytes, BuildOptions { meta: vec![9; 8], ..BuildOptions::default() });
    let frags_before = b.frags();
    let skb = b.into_frame().unwrap().into_skb(DEV).unwrap();
    assert_eq!(skb.len(), 9000 - 14, "eth_type_trans pulled the Ethernet header");
    assert_eq!((skb.data_len(), skb.headlen()), (5480, 3520 - 14));
    assert_eq!(skb.truesize(), skb_truesize(4096 - 320, 17) + 2 * 4096);
    assert_eq!((skb.protocol(), skb.pkt_type(), skb.meta_len()), (0x0800, PACKET_HOST, 8));
    assert_eq!(skb.meta(), &[9; 8]);
    assert_eq!(skb.frags(), frags_before, "the frags array is reused, not rebuilt");
    assert_eq!(skb.frame_bytes(), bytes);
    let sh = skb.shared_info();
    assert_eq!((sh[1], sh[2]), (8, 2), "meta_len and nr_frags in the shared info");
    assert_eq!(u32::from_le_bytes(sh[32..36].try_into().unwrap()), 1, "dataref");
    assert_eq!(&sh[40..48], &[0; 8], "destructor_arg = NULL clears the xdp frag sizes it shares bytes with");
}

#[test]
fn eth_type_trans_classifies() {
    let pool = PagePool::default();
    let cases = [
        (eth(60, [0xff; 6], 0x86dd), PACKET_BROADCAST, 0x86dd),
        (eth(60, [0x01, 0, 0x5e, 0, 0, 1], 0x0800), PACKET_MULTICAST, 0x0800),
        (eth(60, [0x02, 0, 0, 0, 0, 0x09], 0x0806), PACKET_OTHERHOST, 0x0806),
        (eth(60, DEV.dev_addr, 46), PACKET_HOST, 0x0004),
    ];
    for (bytes, pkt_type, proto) in cases {
        let skb = build_with(&pool, &bytes, BuildOptions::default()).into_frame().unwrap().into_skb(DEV).unwrap();
        assert_eq!((skb.pkt_type(), skb.protocol()), (pkt_type, proto));
    }
    let mut raw8023 = eth(60, DEV.dev_addr, 46);
    raw8023[14..16].copy_from_slice(&[0xff, 0xff]);
    let skb = build_with(&pool, &raw8023, BuildOptions::default()).into_frame().unwrap().into_skb(DEV).unwrap();
    assert_eq!(skb.protocol(), 0x0001, "802.3 raw (Novell)");
}

#[test]
fn skb_needs_an_ethernet_header_in_the_linear_part() {
    let pool = PagePool::default();
    let head = pool.alloc().unwrap();
    let init = BuffInit { hard_start: 0, headroom: 256, len: 10, frame_sz: 4096, meta_valid: true, max_frags: 17, rxq: RxQueue::default() };
    let mut b = XdpBuff::new(head, init).unwrap();
    b.add_frag(pool.alloc().unwrap(), 0, 100, 4096).unwrap();
    let (err, frame) = b.into_frame().unwrap().into_skb(DEV).unwrap_err();
    assert_eq!(err.errno, Errno::EINVAL);
    drop(frame);
    assert_eq!(pool.stats().in_flight, 0);
}

#[test]
fn returning_gives_back_frags_first_then_the_head() {
    for stage in 0..3 {
        let pool = PagePool::default();
        let b = build(&pool, 9000);
        let head_addr = b.head_page_addr();
        match stage {
            0 => drop(b),
            1 => drop(b.into_frame().unwrap()),
            _ => drop(b.into_frame().unwrap().into_skb(DEV).unwrap()),
        }
        let s = pool.stats();
        assert_eq!((s.in_flight, s.recycled), (0, 3), "stage {stage}");
        // The cache is LIFO: the page returned last (the head) is handed out first.
        assert_eq!(pool.alloc().unwrap().addr(), head_addr, "stage {stage}");
    }
}

#[test]
fn pages_go_home_across_pools() {
    // A frame built from one pool and freed while "held" by something else returns to its pool.
    let rx = PagePool::default();
    let b = build(&rx, 20000);
    let queue: Vec<_> = vec![b.into_frame().unwrap()];
    assert_eq!(rx.stats().in_flight, 6, "head + 5 frags");
    drop(queue);
    assert_eq!(rx.stats().in_flight, 0);
}
