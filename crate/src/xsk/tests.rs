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
    s.bind(flags, target(0), None).unwrap();
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
    assert_eq!(s.bind(0, target(0), None).unwrap_err().errno, Errno::EINVAL, "no rings");
    s.create_ring(RingKind::Rx, 64).unwrap();
    assert_eq!(s.create_ring(RingKind::Rx, 64).unwrap_err().errno, Errno::EINVAL, "the ring exists");
    assert_eq!(s.bind(0, target(0), None).unwrap_err().errno, Errno::EINVAL, "no UMEM");
    s.register_umem(UmemReg { size: 1 << 16, chunk_size: 4096, headroom: 0, flags: 0 }).unwrap();
    s.create_ring(RingKind::Fill, 64).unwrap();
    assert_eq!(s.bind(0, target(0), None).unwrap_err().errno, Errno::EINVAL, "no completion ring");
    s.create_ring(RingKind::Completion, 64).unwrap();
    assert_eq!(s.bind(1 << 7, target(0), None).unwrap_err().errno, Errno::EINVAL, "unknown flag");
    assert_eq!(s.bind(XDP_COPY | XDP_ZEROCOPY, target(0), None).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(s.bind(XDP_ZEROCOPY, target(0), None).unwrap_err().errno, Errno::EOPNOTSUPP);
    assert_eq!(s.bind(0, target(1), None).unwrap_err().errno, Errno::EINVAL, "no queue 1");
    assert_eq!(s.bind(0, BindTarget { queue_taken: true, ..target(0) }, None).unwrap_err().errno, Errno::EBUSY);
    s.bind(XDP_COPY, target(0), None).unwrap();
    assert_eq!(s.bind(0, target(0), None).unwrap_err().errno, Errno::EBUSY, "bound already");
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
    let umem = s.umem().unwrap();
    let umem = umem.bytes();
    assert_eq!(&umem[0x3100..0x3100 + 1000], &data[..]);
    assert_eq!(&umem[0x3100 - 4..0x3100], &[9, 8, 7, 6]);
    assert_eq!(s.fill_state().unwrap().consumer, 1, "the fill ring's consumer moved at the flush");
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
    {
        let umem = s.shared_umem().unwrap();
        let mut umem = umem.borrow_mut();
        let umem = umem.bytes_mut();
        umem[0x1000..0x1000 + 100].fill(0xaa);
        umem[0x2010..0x2010 + 50].fill(0xbb);
        umem[0x3000..0x3000 + 10].fill(0xcc);
    }
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

// ---- unaligned chunks ----

const U: u32 = XDP_UMEM_UNALIGNED_CHUNK_FLAG;

/// A socket on an unaligned UMEM of `size` bytes in `chunk`-byte chunks with `headroom`.
fn unaligned_socket(size: u64, chunk: u32, headroom: u32, flags: u32) -> XskSocket {
    let mut s = XskSocket::new();
    s.register_umem(UmemReg { size, chunk_size: chunk, headroom, flags: U }).unwrap();
    for k in [RingKind::Rx, RingKind::Tx, RingKind::Fill, RingKind::Completion] {
        s.create_ring(k, 16).unwrap();
    }
    s.bind(flags, target(0), None).unwrap();
    s
}

#[test]
fn unaligned_registration_lifts_the_power_of_two_and_whole_chunk_rules() {
    let reg = |size, chunk_size, headroom| Umem::new(UmemReg { size, chunk_size, headroom, flags: U }).map(|_| ());
    // As Linux 6.18.44 answered (kernel-xsk unaligned_setup).
    assert!(reg(1 << 18, 3000, 0).is_ok());
    assert!(reg(1 << 18, 2048, 0).is_ok());
    assert_eq!(reg(1 << 18, 2047, 0).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(reg(1 << 18, 4097, 0).unwrap_err().errno, Errno::EINVAL);
    assert!(reg((1 << 18) - 100, 3000, 0).is_ok(), "not a whole number of chunks");
    assert_eq!(reg(2999, 3000, 0).unwrap_err().errno, Errno::EINVAL, "not one chunk");
    assert!(reg(1 << 18, 3000, 2296).is_ok());
    assert_eq!(reg(1 << 18, 3000, 2297).unwrap_err().errno, Errno::EINVAL);
}

#[test]
fn unaligned_fill_addresses_anywhere_and_rx_handles_carry_the_offset() {
    let pool = PagePool::new(PoolConfig::default()).unwrap();
    let size = 1u64 << 18;
    let mut s = unaligned_socket(size, 3000, 64, XDP_USE_SG);
    // Crossing a page; offset bits dropped; the last chunk; two invalid; then a chain's chunks.
    s.fill(&[100, 4000, (1 << 48) | 20000, size - 3000, size - 2999, size, 50000, 60000]).unwrap();
    for n in [100usize, 1000, 200, 2680] {
        s.rcv(&frame(&pool, &pattern(n), &[]), IFINDEX, 0).unwrap();
    }
    s.flush();
    let d = rx_all(&mut s);
    let off = 320u64 << 48;
    assert_eq!(
        d.iter().map(|d| (d.addr, d.len)).collect::<Vec<_>>(),
        [(off + 100, 100), (off + 4000, 1000), (off + 20000, 200), (off + size - 3000, 2680)]
    );
    let umem = s.umem().unwrap();
    assert_eq!(&umem.bytes()[4320..4320 + 1000], &pattern(1000)[..], "data at base + headroom + 256, across the page");
    drop(umem);
    s.rcv(&frame(&pool, &pattern(3000), &[]), IFINDEX, 0).unwrap();
    s.flush();
    let d = rx_all(&mut s);
    assert_eq!(d.iter().map(|d| (d.addr, d.len, d.options)).collect::<Vec<_>>(), [(off + 50000, 2680, 1), (off + 60000, 320, 0)]);
    assert_eq!(s.fill_state().unwrap().consumer, 8, "the two invalid entries were consumed");
}

#[test]
fn unaligned_tx_descriptors_are_validated_as_the_kernel_does() {
    let size = 1u64 << 18;
    let s = unaligned_socket(size, 3000, 0, 0);
    let umem = s.umem().unwrap();
    let v = |addr: u64, len: u32, options: u32| umem.tx_data_addr(&XdpDesc { addr, len, options });
    assert_eq!(v(4000, 200, 0), Some(4000), "crosses a page: fine in copy mode");
    assert_eq!(v((100 << 48) | 8000, 60, 0), Some(8100), "base + offset");
    assert_eq!(v(0, 3000, 0), Some(0));
    assert_eq!(v(0, 3001, 0), None, "longer than a chunk");
    assert_eq!(v(size - 60, 60, 0), Some(size - 60));
    assert_eq!(v(size - 59, 60, 0), None, "past the end");
    assert_eq!(v((1 << 48) | (size - 1), 1, 0), None, "base + offset at the end");
    assert_eq!(v(30000, 0, 0), None, "empty");
    assert_eq!(v(40000, 60, 4), None, "unknown option");
}

#[test]
fn unaligned_tx_sends_from_base_plus_offset_and_completes_the_raw_address() {
    let mut s = unaligned_socket(1 << 18, 3000, 0, 0);
    {
        let umem = s.shared_umem().unwrap();
        umem.borrow_mut().bytes_mut()[8100..8160].fill(0x5a);
    }
    let raw = (100u64 << 48) | 8000;
    s.transmit(&[XdpDesc { addr: raw, len: 60, options: 0 }]).unwrap();
    let mut seen = Vec::new();
    let mut completions = Vec::new();
    s.sendto(&mut |p| {
        seen.push(p.segments.concat());
        completions.push(p.completion);
        XmitStatus::Sent
    })
    .unwrap();
    assert_eq!(seen, [vec![0x5a; 60]]);
    drop(completions);
    let mut out = Vec::new();
    s.complete(8, &mut out).unwrap();
    assert_eq!(out, [raw]);
}

// ---- shared UMEM ----

fn rings(s: &mut XskSocket, kinds: &[RingKind]) {
    for &k in kinds {
        s.create_ring(k, 16).unwrap();
    }
}

#[test]
fn shared_umem_bind_checks_in_the_kernel_order() {
    use RingKind::*;
    let owner = socket(16, 4096, 16, XDP_COPY | XDP_USE_SG);
    let src = Some(owner.shared_umem_source());
    let mut b = XskSocket::new();
    rings(&mut b, &[Rx, Tx]);
    for f in [XDP_COPY, XDP_ZEROCOPY, XDP_USE_NEED_WAKEUP, XDP_USE_SG] {
        assert_eq!(b.bind(XDP_SHARED_UMEM | f, target(0), src.clone()).unwrap_err().errno, Errno::EINVAL);
    }
    assert_eq!(b.bind(XDP_SHARED_UMEM, target(0), Some(SharedUmemSource::NotASocket)).unwrap_err().errno, Errno::ENOTSOCK);
    let unbound = XskSocket::new();
    assert_eq!(b.bind(XDP_SHARED_UMEM, target(0), Some(unbound.shared_umem_source())).unwrap_err().errno, Errno::EBADF);
    let mut own = XskSocket::new();
    own.register_umem(UmemReg { size: 1 << 16, chunk_size: 4096, headroom: 0, flags: 0 }).unwrap();
    rings(&mut own, &[Rx]);
    assert_eq!(own.bind(XDP_SHARED_UMEM, target(0), src.clone()).unwrap_err().errno, Errno::EINVAL, "a UMEM of its own");
    let mut with_fill = XskSocket::new();
    rings(&mut with_fill, &[Rx, Fill]);
    assert_eq!(with_fill.bind(XDP_SHARED_UMEM, target(0), src.clone()).unwrap_err().errno, Errno::EINVAL, "same queue, own fill ring");
    let two = BindTarget { queues: 2, ..target(1) };
    let mut no_rings = XskSocket::new();
    rings(&mut no_rings, &[Rx]);
    assert_eq!(no_rings.bind(XDP_SHARED_UMEM, two, src.clone()).unwrap_err().errno, Errno::EINVAL, "another queue without rings");
    let mut c = XskSocket::new();
    rings(&mut c, &[Rx, Fill, Completion]);
    assert_eq!(c.bind(XDP_SHARED_UMEM, BindTarget { queue_taken: true, ..two }, src.clone()).unwrap_err().errno, Errno::EBUSY);
    assert_eq!(c.bind(XDP_SHARED_UMEM, BindTarget { queues: 2, ..target(2) }, src.clone()).unwrap_err().errno, Errno::EINVAL);
    c.bind(XDP_SHARED_UMEM, two, src.clone()).unwrap();
    assert!(c.sg(), "XDP_USE_SG comes with the UMEM");
    assert!(!c.shares_pool_with(&owner));
    b.bind(XDP_SHARED_UMEM, target(0), src).unwrap();
    assert!(b.shares_pool_with(&owner));
    assert_eq!(b.bind(XDP_SHARED_UMEM, target(0), None).unwrap_err().errno, Errno::EBUSY);
}

#[test]
fn sockets_on_one_queue_share_the_fill_and_completion_rings() {
    let pool = PagePool::new(PoolConfig::default()).unwrap();
    let mut a = socket(16, 4096, 16, XDP_COPY);
    let mut b = XskSocket::new();
    rings(&mut b, &[RingKind::Rx, RingKind::Tx]);
    b.bind(XDP_SHARED_UMEM, target(0), Some(a.shared_umem_source())).unwrap();
    b.fill(&[0, 0x1000, 0x2000]).unwrap();
    a.rcv(&frame(&pool, &pattern(100), &[]), IFINDEX, 0).unwrap();
    b.rcv(&frame(&pool, &pattern(110), &[]), IFINDEX, 0).unwrap();
    a.rcv(&frame(&pool, &pattern(120), &[]), IFINDEX, 0).unwrap();
    a.flush();
    b.flush();
    assert_eq!(rx_all(&mut a).iter().map(|d| d.addr).collect::<Vec<_>>(), [256, 0x2100]);
    assert_eq!(rx_all(&mut b).iter().map(|d| d.addr).collect::<Vec<_>>(), [0x1100]);
    assert_eq!(a.fill_state(), b.fill_state(), "one fill ring");
    assert_eq!(&b.umem().unwrap().bytes()[0x1100..0x1100 + 110], &pattern(110)[..], "one UMEM");
    // TX from both: completions on the one ring, in order.
    b.transmit(&[XdpDesc { addr: 0x5000, len: 60, options: 0 }]).unwrap();
    a.transmit(&[XdpDesc { addr: 0x6000, len: 60, options: 0 }]).unwrap();
    b.sendto(&mut |_| XmitStatus::Sent).unwrap();
    a.sendto(&mut |_| XmitStatus::Sent).unwrap();
    let mut out = Vec::new();
    a.complete(8, &mut out).unwrap();
    assert_eq!(out, [0x5000, 0x6000]);
    // The owner closes: b keeps the pool and its rings.
    a.close();
    b.fill(&[0x3000]).unwrap();
    b.rcv(&frame(&pool, &pattern(60), &[]), IFINDEX, 0).unwrap();
    b.flush();
    assert_eq!(rx_all(&mut b).iter().map(|d| d.addr).collect::<Vec<_>>(), [0x3100]);
}
