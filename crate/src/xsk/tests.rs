use super::*;
use crate::frame::{BuildOptions, XdpBuff};
use crate::pool::{PagePool, PoolConfig};

const IFINDEX: u32 = 2;

fn target(queue_id: u32) -> BindTarget {
    BindTarget { ifindex: IFINDEX, queue_id, queues: 1, queue_taken: false, zerocopy: false }
}

/// A socket with `chunks` chunks of `chunk` bytes and rings of `ring` entries, bound with `flags`.
fn socket(chunks: u64, chunk: u32, ring: u32, flags: u32) -> XskSocket {
    let mut s = XskSocket::new();
    s.register_umem(UmemReg { size: chunks * u64::from(chunk), chunk_size: chunk, headroom: 0, flags: 0 }).unwrap();
    for k in [RingKind::Rx, RingKind::Tx, RingKind::Fill, RingKind::Completion] {
        s.create_ring(k, ring).unwrap();
    }
    s.bind(flags, target(0)).unwrap();
    s
}

fn frame(pool: &PagePool, bytes: &[u8], meta: &[u8]) -> XdpBuff {
    let opts = BuildOptions { meta: meta.to_vec(), ..BuildOptions::default() };
    XdpBuff::from_bytes(pool, bytes, &opts).unwrap()
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn rx_all(s: &mut XskSocket) -> Vec<XdpDesc> {
    let mut out = Vec::new();
    s.receive(usize::MAX, &mut out).unwrap();
    out
}

#[test]
fn umem_registration_checks() {
    let reg = |size, chunk_size, headroom, flags| Umem::new(UmemReg { size, chunk_size, headroom, flags }).map(|_| ());
    assert!(reg(8192, 2048, 0, 0).is_ok());
    assert_eq!(reg(8192, 1024, 0, 0).unwrap_err().errno, Errno::EINVAL, "below the minimum chunk");
    assert_eq!(reg(16384, 8192, 0, 0).unwrap_err().errno, Errno::EINVAL, "above the page size");
    assert_eq!(reg(9000, 3000, 0, 0).unwrap_err().errno, Errno::EINVAL, "not a power of two");
    assert_eq!(reg(6144, 4096, 0, 0).unwrap_err().errno, Errno::EINVAL, "not whole chunks");
    assert_eq!(reg(0, 4096, 0, 0).unwrap_err().errno, Errno::EINVAL, "no chunk");
    // Linux 6.18.44 keeps 704 bytes of a chunk besides the headroom.
    assert_eq!(reg(4096, 4096, 3393, 0).unwrap_err().errno, Errno::EINVAL, "headroom leaves too little");
    assert!(reg(4096, 4096, 3392, 0).is_ok());
    assert!(reg(4096, 2048, 1344, 0).is_ok());
    assert_eq!(reg(4096, 2048, 1345, 0).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(reg(4096, 4096, 0, 1 << 5).unwrap_err().errno, Errno::EINVAL, "unknown flag");
}

#[test]
fn ring_sizes_and_bind_order() {
    let mut s = XskSocket::new();
    assert_eq!(s.create_ring(RingKind::Rx, 0).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(s.create_ring(RingKind::Rx, 1000).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(s.bind(0, target(0)).unwrap_err().errno, Errno::EINVAL, "no rings");
    s.create_ring(RingKind::Rx, 64).unwrap();
    assert_eq!(s.create_ring(RingKind::Rx, 64).unwrap_err().errno, Errno::EINVAL, "the ring exists");
    assert_eq!(s.bind(0, target(0)).unwrap_err().errno, Errno::EINVAL, "no UMEM");
    s.register_umem(UmemReg { size: 1 << 16, chunk_size: 4096, headroom: 0, flags: 0 }).unwrap();
    s.create_ring(RingKind::Fill, 64).unwrap();
    assert_eq!(s.bind(0, target(0)).unwrap_err().errno, Errno::EINVAL, "no completion ring");
    s.create_ring(RingKind::Completion, 64).unwrap();
    assert_eq!(s.bind(1 << 7, target(0)).unwrap_err().errno, Errno::EINVAL, "unknown flag");
    assert_eq!(s.bind(XDP_COPY | XDP_ZEROCOPY, target(0)).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(s.bind(XDP_ZEROCOPY, target(0)).unwrap_err().errno, Errno::EOPNOTSUPP);
    assert_eq!(s.bind(0, target(1)).unwrap_err().errno, Errno::EINVAL, "no queue 1");
    assert_eq!(s.bind(0, BindTarget { queue_taken: true, ..target(0) }).unwrap_err().errno, Errno::EBUSY);
    s.bind(XDP_COPY, target(0)).unwrap();
    assert_eq!(s.bind(0, target(0)).unwrap_err().errno, Errno::EBUSY, "bound already");
    assert_eq!(s.create_ring(RingKind::Tx, 64).unwrap_err().errno, Errno::EBUSY);
}

#[test]
fn single_buffer_frame_lands_after_the_headroom_with_metadata_before_it() {
    let pool = PagePool::new(PoolConfig::default()).unwrap();
    let mut s = socket(4, 4096, 4, 0);
    assert_eq!(s.fill(&[0x3000 + 17, 0x1000]).unwrap(), 2);
    let data = pattern(1000);
    s.rcv(&frame(&pool, &data, &[9, 8, 7, 6]), IFINDEX, 0).unwrap();
    assert!(rx_all(&mut s).is_empty(), "not visible before the flush");
    assert!(s.flush());
    let d = rx_all(&mut s);
    // The fill address is rounded down to its chunk; data starts XDP_PACKET_HEADROOM in.
    assert_eq!(d, [XdpDesc { addr: 0x3000 + 256, len: 1000, options: 0 }]);
    let umem = s.umem().unwrap().bytes();
    assert_eq!(&umem[0x3100..0x3100 + 1000], &data[..]);
    assert_eq!(&umem[0x3100 - 4..0x3100], &[9, 8, 7, 6]);
    assert_eq!(s.fill_ring().unwrap().consumer(), 1, "the fill ring's consumer moved at the flush");
}

#[test]
fn jumbo_frame_arrives_as_a_chain_with_sg() {
    let pool = PagePool::new(PoolConfig::default()).unwrap();
    let mut s = socket(8, 4096, 8, XDP_USE_SG);
    s.fill(&[0x0000, 0x1000, 0x2000, 0x3000]).unwrap();
    let data = pattern(9000);
    let b = frame(&pool, &data, &[]);
    assert!(b.has_frags());
    s.rcv(&b, IFINDEX, 0).unwrap();
    s.flush();
    let d = rx_all(&mut s);
    // 3840 data bytes per 4096-byte chunk, whatever the frame's own buffers were.
    assert_eq!(d.iter().map(|d| (d.len, d.options)).collect::<Vec<_>>(), [(3840, 1), (3840, 1), (1320, 0)]);
    let mut got = Vec::new();
    for x in &d {
        got.extend_from_slice(&s.umem().unwrap().bytes()[x.addr as usize..(x.addr + u64::from(x.len)) as usize]);
    }
    assert_eq!(got, data);
    assert_eq!(s.statistics(), XdpStatistics::default());
}

#[test]
fn jumbo_frame_without_sg_is_dropped_and_counted() {
    let pool = PagePool::new(PoolConfig::default()).unwrap();
    let mut s = socket(8, 4096, 8, 0);
    s.fill(&[0, 0x1000, 0x2000]).unwrap();
    assert_eq!(s.rcv(&frame(&pool, &pattern(9000), &[]), IFINDEX, 0), Err(Errno::ENOSPC));
    assert_eq!(s.statistics().rx_dropped, 1);
    // A multi-buffer frame that fits one chunk still arrives, in one descriptor.
    let small = pattern(3700);
    let b = XdpBuff::from_bytes(&pool, &small, &BuildOptions { linear_len: Some(1000), ..BuildOptions::default() }).unwrap();
    assert!(b.has_frags());
    s.rcv(&b, IFINDEX, 0).unwrap();
    s.flush();
    let d = rx_all(&mut s);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].len, d[0].options), (3700, 0));
    assert_eq!(&s.umem().unwrap().bytes()[d[0].addr as usize..][..3700], &small[..]);
}

#[test]
fn empty_fill_ring_and_full_rx_ring_are_counted() {
    let pool = PagePool::new(PoolConfig::default()).unwrap();
    let mut s = socket(8, 2048, 2, XDP_USE_SG);
    let f = frame(&pool, &pattern(100), &[]);
    assert_eq!(s.rcv(&f, IFINDEX, 0), Err(Errno::ENOMEM));
    assert_eq!(s.statistics().rx_fill_ring_empty_descs, 1);
    assert_eq!(s.statistics().rx_dropped, 1);
    s.fill(&[0, 2048]).unwrap();
    s.rcv(&f, IFINDEX, 0).unwrap();
    s.rcv(&f, IFINDEX, 0).unwrap();
    assert_eq!(s.fill(&[4096]).unwrap(), 0, "the kernel's consumer moves at the flush");
    s.flush();
    assert_eq!(s.fill(&[4096]).unwrap(), 1);
    // The RX ring (2 entries) is full: the chunk taken for the third frame stays with the kernel.
    assert_eq!(s.rcv(&f, IFINDEX, 0), Err(Errno::ENOBUFS));
    assert_eq!(s.statistics().rx_ring_full, 1);
    assert_eq!(s.kernel_chunks(), &[4096]);
    assert_eq!(rx_all(&mut s).len(), 2);
    // The held chunk is used first; a chain needing more chunks than there are is a drop.
    s.rcv(&f, IFINDEX, 0).unwrap();
    assert!(s.kernel_chunks().is_empty());
    assert_eq!(s.rcv(&frame(&pool, &pattern(4000), &[]), IFINDEX, 0), Err(Errno::ENOMEM));
    assert_eq!(s.statistics().rx_dropped, 2);
    assert_eq!(s.statistics().rx_fill_ring_empty_descs, 2);
}

#[test]
fn wrong_device_or_queue_and_unbound() {
    let pool = PagePool::new(PoolConfig::default()).unwrap();
    let f = frame(&pool, &pattern(64), &[]);
    let mut s = socket(2, 4096, 2, 0);
    s.fill(&[0]).unwrap();
    assert_eq!(s.rcv(&f, IFINDEX + 1, 0), Err(Errno::EINVAL));
    assert_eq!(s.rcv(&f, IFINDEX, 1), Err(Errno::EINVAL));
    assert_eq!(s.statistics(), XdpStatistics::default(), "not counted");
    let mut u = XskSocket::new();
    assert_eq!(u.rcv(&f, IFINDEX, 0), Err(Errno::ENXIO));
}

/// A device that takes every packet and frees it at once, keeping the bytes.
fn device(out: &mut Vec<Vec<u8>>) -> impl FnMut(TxPacket<'_>) -> XmitStatus + '_ {
    move |p: TxPacket<'_>| {
        out.push(p.segments.concat());
        XmitStatus::Sent
    }
}

fn completions(s: &mut XskSocket) -> Vec<u64> {
    let mut out = Vec::new();
    s.complete(usize::MAX, &mut out).unwrap();
    out
}

#[test]
fn tx_single_and_multi_buffer_with_completions() {
    let mut s = socket(8, 4096, 8, XDP_USE_SG);
    let umem = s.umem_mut().unwrap().bytes_mut();
    umem[0x1000..0x1000 + 100].fill(0xaa);
    umem[0x2010..0x2010 + 50].fill(0xbb);
    umem[0x3000..0x3000 + 10].fill(0xcc);
    let descs = [
        XdpDesc { addr: 0x1000, len: 100, options: 0 },
        XdpDesc { addr: 0x2010, len: 50, options: XDP_PKT_CONTD },
        XdpDesc { addr: 0x3000, len: 10, options: 0 },
    ];
    assert_eq!(s.transmit(&descs).unwrap(), 3);
    let mut wire = Vec::new();
    assert_eq!(s.sendto(&mut device(&mut wire)).unwrap(), 2);
    assert_eq!(wire.len(), 2);
    assert_eq!(wire[0], vec![0xaa; 100]);
    assert_eq!(wire[1], [vec![0xbb; 50], vec![0xcc; 10]].concat());
    assert_eq!(completions(&mut s), [0x1000, 0x2010, 0x3000]);
    assert_eq!(s.tx_ring().unwrap().consumer(), 3);
    assert_eq!(s.statistics().tx_ring_empty_descs, 1, "the batch ended on an empty ring");
}

#[test]
fn invalid_tx_descriptors_are_skipped_counted_and_completed() {
    // As Linux 6.18.44 does it (test/kernel/xsk_harness.c, scenarios invalid and options).
    let mut s = socket(4, 4096, 8, 0);
    let bad = [
        XdpDesc { addr: 0x1000, len: 0, options: 0 },     // empty
        XdpDesc { addr: 0x1f00, len: 0x200, options: 0 }, // crosses its chunk
        XdpDesc { addr: 0x4000, len: 10, options: 0 },    // past the UMEM
        XdpDesc { addr: 0x1000, len: 10, options: 4 },    // unknown option
    ];
    s.transmit(&bad).unwrap();
    s.transmit(&[XdpDesc { addr: 0x2000, len: 60, options: XDP_PKT_CONTD }, XdpDesc { addr: 0x3000, len: 60, options: 0 }]).unwrap();
    let mut wire = Vec::new();
    // Each sendto stops at an invalid descriptor and skips it.
    for _ in 0..4 {
        assert_eq!(s.sendto(&mut device(&mut wire)).unwrap(), 0);
    }
    // A chain goes out from a socket bound without XDP_USE_SG too.
    assert_eq!(s.sendto(&mut device(&mut wire)).unwrap(), 1);
    assert_eq!(wire, [vec![0u8; 120]]);
    assert_eq!(s.statistics().tx_invalid_descs, 4);
    assert_eq!(completions(&mut s), [0x1000, 0x1f00, 0x4000, 0x1000, 0x2000, 0x3000], "invalid descriptors come back too");
}

#[test]
fn tx_metadata_without_a_metadata_area_sticks_with_einval() {
    let mut s = socket(4, 4096, 8, 0);
    s.transmit(&[XdpDesc { addr: 0, len: 60, options: XDP_TX_METADATA }, XdpDesc { addr: 0x1000, len: 60, options: 0 }]).unwrap();
    let mut wire = Vec::new();
    for _ in 0..3 {
        assert_eq!(s.sendto(&mut device(&mut wire)).unwrap_err().errno, Errno::EINVAL);
    }
    assert_eq!(s.tx_ring().unwrap().consumer(), 0);
    assert!(wire.is_empty());
    assert!(completions(&mut s).is_empty());
}

#[test]
fn completion_ring_full_and_busy_device_push_back() {
    let mut s = socket(8, 4096, 2, 0);
    let d = |i: u64| XdpDesc { addr: i * 0x1000, len: 60, options: 0 };
    s.transmit(&[d(0), d(1)]).unwrap();
    let mut held = Vec::new();
    // The device keeps the packets (their completions) until it frees them.
    let mut keep = |p: TxPacket<'_>| {
        held.push(p.completion);
        XmitStatus::Sent
    };
    assert_eq!(s.sendto(&mut keep).unwrap(), 2);
    s.transmit(&[d(2)]).unwrap();
    let e = s.sendto(&mut keep).unwrap_err();
    assert_eq!(e.errno, Errno::EAGAIN, "two completions outstanding fill the 2-entry ring");
    drop(held);
    assert_eq!(completions(&mut s), [0, 0x1000]);
    let mut busy = |p: TxPacket<'_>| {
        p.completion.disarm();
        XmitStatus::Busy
    };
    assert_eq!(s.sendto(&mut busy).unwrap_err().errno, Errno::EAGAIN);
    assert_eq!(s.tx_ring().unwrap().consumer(), 2, "the descriptor went back on the ring");
    let mut wire = Vec::new();
    assert_eq!(s.sendto(&mut device(&mut wire)).unwrap(), 1);
    assert_eq!(completions(&mut s), [0x2000]);
}

#[test]
fn tx_batch_limit_answers_eagain() {
    let mut s = socket(64, 2048, 64, 0);
    let descs: Vec<_> = (0..40).map(|i| XdpDesc { addr: i * 2048, len: 60, options: 0 }).collect();
    s.transmit(&descs).unwrap();
    let mut wire = Vec::new();
    assert_eq!(s.sendto(&mut device(&mut wire)).unwrap_err().errno, Errno::EAGAIN);
    assert_eq!(wire.len(), TX_BATCH_SIZE as usize);
    assert_eq!(s.sendto(&mut device(&mut wire)).unwrap(), 8);
    assert_eq!(completions(&mut s).len(), 40);
}

#[test]
fn too_many_buffers_drop_the_packet() {
    let mut s = socket(32, 2048, 32, XDP_USE_SG);
    let descs: Vec<_> = (0..20).map(|i| XdpDesc { addr: i * 2048, len: 60, options: if i < 19 { XDP_PKT_CONTD } else { 0 } }).collect();
    s.transmit(&descs).unwrap();
    let mut wire = Vec::new();
    s.sendto(&mut device(&mut wire)).unwrap();
    // The first 17 buffers are dropped as one packet; the last three make a packet.
    assert_eq!(wire.len(), 1);
    assert_eq!(wire[0].len(), 180);
    assert_eq!(s.statistics().tx_invalid_descs, 17);
    assert_eq!(completions(&mut s).len(), 20, "every chunk comes back");
}
