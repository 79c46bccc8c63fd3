//! The emulated mvneta: descriptor paths, every XDP action, rings running full, MTU and attach
//! rules, features, hints, counters, the driver's quirks both ways, and no page left behind.

use std::cell::RefCell;
use std::rc::Rc;

use uxdp::frame::CHECKSUM_UNNECESSARY;
use uxdp::mvneta::desc::{rx, tx};
use uxdp::mvneta::device::{napi_poll, Program};
use uxdp::mvneta::redirect::{self, CpuMap};
use uxdp::mvneta::{Builtin, Mvneta, MvnetaConfig, Quirks, RedirectTarget, RxError, WireRx, XdpContext, XdpProgram};
use uxdp::xdp::{rx_metadata, xdp_act, XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX};
use uxdp::Errno;

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];

/// An Ethernet/IPv4/UDP frame of `len` bytes (no FCS) with a correct UDP checksum.
fn udp_frame(len: usize, dport: u16) -> Vec<u8> {
    assert!(len >= 42);
    let mut f = vec![0u8; len];
    f[0..6].copy_from_slice(&MAC_A);
    f[6..12].copy_from_slice(&MAC_B);
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let ip_len = (len - 14) as u16;
    f[14] = 0x45;
    f[16..18].copy_from_slice(&ip_len.to_be_bytes());
    f[22] = 64;
    f[23] = 17;
    f[26..30].copy_from_slice(&[10, 0, 0, 1]);
    f[30..34].copy_from_slice(&[10, 0, 0, 2]);
    let mut sum = 0u32;
    for c in f[14..34].chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    f[24..26].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    f[34..36].copy_from_slice(&4242u16.to_be_bytes());
    f[36..38].copy_from_slice(&dport.to_be_bytes());
    f[38..40].copy_from_slice(&(ip_len - 20).to_be_bytes());
    for (i, b) in f[42..].iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    // UDP checksum over the pseudo-header and the datagram.
    let mut sum = 0u32;
    for c in f[26..34].chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    sum += 17 + u32::from(ip_len - 20);
    let seg = &f[34..];
    for c in seg.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let c = !(sum as u16);
    f[40..42].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
    f
}

fn cfg(mtu: u32) -> MvnetaConfig {
    MvnetaConfig { mtu, mac: MAC_A, ..MvnetaConfig::default() }
}

fn native(p: Builtin) -> Option<Program> {
    Some(Program::Native(Box::new(p)))
}

fn verdict(action: u32, frags: bool) -> Option<Program> {
    native(Builtin::Verdict { action, frags })
}

/// Stops the device and checks that every page came back.
fn assert_no_pages_left(dev: &mut Mvneta) {
    dev.take_stack(usize::MAX);
    dev.stop();
    assert_eq!(dev.stats().page_pool.in_flight, 0, "pages still out after stop");
}

#[test]
fn a_small_frame_is_one_descriptor_and_reaches_the_stack() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    assert_eq!(dev.rx_ring(0).unwrap().free(), 512, "the ring is filled at open");
    let frame = udp_frame(60, 53);
    dev.receive(&frame, None, WireRx::default()).unwrap();
    let ring = dev.rx_ring(0).unwrap();
    assert_eq!((ring.occupied(), ring.free()), (1, 511));
    let status = ring.descs().rx_status(0);
    assert_eq!(status & rx::FIRST_LAST_DESC, rx::FIRST_LAST_DESC);
    assert_ne!(status & rx::L3_IP4, 0);
    assert_ne!(status & rx::L4_CSUM_OK, 0, "the UDP checksum verifies");
    assert_eq!(ring.descs().rx_data_size(0), 2 + 60 + 4, "MH + frame + FCS");
    let r = dev.poll(64);
    assert_eq!((r.rx_packets, r.rx_descriptors), (1, 1));
    let skbs = dev.take_stack(10);
    assert_eq!(skbs.len(), 1);
    let skb = &skbs[0];
    assert_eq!(skb.frame_bytes(), frame);
    assert_eq!((skb.protocol(), skb.ip_summed()), (0x0800, CHECKSUM_UNNECESSARY));
    let s = dev.stats();
    assert_eq!((s.sw.rx_packets, s.sw.rx_bytes), (1, 60), "rx_bytes is skb->len before eth_type_trans");
    assert_eq!((s.mib.good_frames_received, s.mib.good_octets_received, s.mib.frames_64_octets), (1, 64, 1));
    let ring = dev.rx_ring(0).unwrap();
    assert_eq!((ring.occupied(), ring.free(), ring.refill_num()), (0, 512, 0), "refilled and handed back");
    drop(skbs);
    assert_no_pages_left(&mut dev);
}

#[test]
fn a_9000_mtu_frame_spans_three_buffers_with_fcs_in_frags_size() {
    // The spec's worked example: 2 MH + 9014 + 4 FCS = 9020 bytes over 3520 | 3520 | 1980.
    for quirk in [true, false] {
        let mut c = cfg(9000);
        c.quirks = Quirks { fcs_in_frags_size: quirk, ..Quirks::default() };
        let mut dev = Mvneta::new(c).unwrap();
        type Seen = Rc<RefCell<Vec<(u32, u32, u8, Vec<u32>)>>>;
        struct Probe(Seen);
        impl XdpProgram for Probe {
            fn has_frags(&self) -> bool {
                true
            }
            fn run(&mut self, ctx: &mut XdpContext<'_>) -> u32 {
                let b = &ctx.buff;
                self.0.borrow_mut().push((b.linear_len(), b.frags_size(), b.nr_frags(), b.frags().iter().map(|f| f.len).collect()));
                XDP_PASS
            }
        }
        let seen = Rc::new(RefCell::new(Vec::new()));
        dev.attach(Some(Program::Native(Box::new(Probe(seen.clone())))), 0).unwrap();
        let frame = udp_frame(9014, 53);
        dev.receive(&frame, None, WireRx::default()).unwrap();
        let ring = dev.rx_ring(0).unwrap();
        assert_eq!(ring.occupied(), 3);
        assert_eq!(ring.descs().rx_status(0) & rx::FIRST_LAST_DESC, rx::FIRST_DESC);
        assert_eq!(ring.descs().rx_status(1) & rx::FIRST_LAST_DESC, 0);
        assert_eq!(ring.descs().rx_status(2) & rx::FIRST_LAST_DESC, rx::LAST_DESC);
        assert_eq!(ring.descs().rx_data_size(0), 9020);
        dev.poll(64);
        let frags_size = if quirk { 5500 } else { 5496 };
        assert_eq!(seen.borrow()[0], (3518, frags_size, 2, vec![3520, 1976]));
        let skb = dev.take_stack(1).pop().unwrap();
        assert_eq!(skb.len(), 3518 - 14 + frags_size, "the skb inherits xdp_frags_size");
        assert_eq!(&skb.frame_bytes()[..9014], &frame[..]);
        drop(skb);
        assert_no_pages_left(&mut dev);
    }
}

#[test]
fn xdp_drop_recycles_and_counts() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    dev.attach(verdict(XDP_DROP, false), 0).unwrap();
    for _ in 0..10 {
        dev.receive(&udp_frame(100, 1), None, WireRx::default()).unwrap();
    }
    let r = dev.poll(64);
    assert_eq!(r.rx_packets, 10);
    let s = dev.stats();
    assert_eq!((s.sw.xdp_drop, s.sw.rx_packets, s.sw.rx_bytes), (10, 10, 10 * (2 + 100)), "non-PASS bytes count MH + frame");
    assert_eq!(dev.stack_len(), 0);
    assert_eq!(s.page_pool.in_flight, 512, "only the ring's buffers are out");
    assert_no_pages_left(&mut dev);
}

#[test]
fn xdp_tx_sends_one_descriptor_per_buffer() {
    let mut dev = Mvneta::new(cfg(9000)).unwrap();
    dev.attach(native(Builtin::Reflect { frags: true }), 0).unwrap();
    let small = udp_frame(60, 1);
    let jumbo = udp_frame(9014, 1);
    dev.receive(&small, None, WireRx::default()).unwrap();
    dev.receive(&jumbo, None, WireRx::default()).unwrap();
    dev.poll(64);
    let q = dev.xdp_tx_queue();
    let txq = dev.tx_ring(q).unwrap();
    assert_eq!(txq.count(), 4, "1 + 3 descriptors in flight until the next poll reclaims them");
    assert_eq!(txq.descs().tx_command(0), tx::FLZ_DESC);
    assert_eq!(txq.descs().tx_command(1), tx::F_DESC);
    assert_eq!(txq.descs().tx_command(2), 0);
    assert_eq!(txq.descs().tx_command(3), tx::L_DESC | tx::Z_PAD);
    assert_eq!((txq.descs().tx_data_size(1), txq.descs().tx_data_size(2), txq.descs().tx_data_size(3)), (3518, 3520, 1976));
    let out = dev.take_wire_tx();
    assert_eq!(out.len(), 2);
    let mut swapped = small.clone();
    swapped[0..6].copy_from_slice(&MAC_B);
    swapped[6..12].copy_from_slice(&MAC_A);
    assert_eq!(out[0].bytes, swapped);
    assert_eq!(out[1].bytes.len(), 9014, "the Marvell header is not sent");
    let s = dev.stats();
    assert_eq!((s.sw.xdp_tx, s.sw.tx_packets, s.sw.tx_bytes), (2, 2, 60 + 3518 + 3520 + 1976));
    assert_eq!(s.mib.good_frames_sent, 2);
    let r = dev.poll(64);
    assert_eq!(r.tx_reclaimed, 4);
    assert_eq!(dev.tx_ring(q).unwrap().count(), 0);
    assert_no_pages_left(&mut dev);
}

#[test]
fn a_full_tx_ring_refuses_xdp_tx_and_recycles() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    dev.attach(native(Builtin::Reflect { frags: false }), 0).unwrap();
    dev.set_tx_paused(true);
    // 1023 descriptors fit (count + n must stay below the ring size).
    for i in 0..1100 {
        dev.receive(&udp_frame(60, 1), None, WireRx::default()).unwrap();
        if i % 64 == 63 {
            dev.poll(64);
        }
    }
    dev.poll(64);
    let s = dev.stats();
    assert_eq!(s.sw.xdp_tx, 1023);
    assert_eq!(s.sw.xdp_tx_err, 1100 - 1023);
    assert_eq!(dev.tx_ring(0).unwrap().count(), 1023);
    dev.set_tx_paused(false);
    assert_eq!(dev.take_wire_tx().len(), 1023);
    dev.poll(64);
    assert_eq!(dev.tx_ring(0).unwrap().count(), 0);
    assert_no_pages_left(&mut dev);
}

#[test]
fn mtu_and_attach_rules() {
    let mut dev = Mvneta::new(cfg(9000)).unwrap();
    let e = dev.attach(verdict(XDP_PASS, false), 0).unwrap_err();
    assert_eq!((e.errno, e.message.as_str()), (Errno::EOPNOTSUPP, "prog does not support XDP frags"));
    dev.attach(verdict(XDP_PASS, true), 0).unwrap();
    dev.change_mtu(1500).unwrap();
    dev.attach(verdict(XDP_PASS, false), 0).unwrap();
    let e = dev.change_mtu(3521).unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    assert!(e.message.contains("Illegal MTU 3521 for XDP prog without frags"));
    dev.change_mtu(3520).unwrap();
    assert_eq!(dev.change_mtu(9677).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(dev.change_mtu(67).unwrap_err().errno, Errno::EINVAL);
    let mut hw = Mvneta::new(MvnetaConfig { hwbm: true, ..cfg(1500) }).unwrap();
    assert_eq!(hw.xdp_features(), 0);
    let e = hw.attach(verdict(XDP_PASS, true), 0).unwrap_err();
    assert_eq!(e.message, "Hardware Buffer Management not supported on XDP");
    assert_no_pages_left(&mut dev);
}

#[test]
fn features_and_declared_needs() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    assert_eq!(dev.xdp_features(), 0x67);
    let mut limited = Mvneta::new(MvnetaConfig { xdp_features: Some(xdp_act::BASIC), ..cfg(1500) }).unwrap();
    let e = limited.attach(verdict(XDP_PASS, true), xdp_act::REDIRECT | xdp_act::RX_SG).unwrap_err();
    assert_eq!(e.errno, Errno::EOPNOTSUPP);
    assert!(e.message.contains("redirect, rx-sg"), "{}", e.message);
    dev.attach(verdict(XDP_PASS, true), xdp_act::REDIRECT | xdp_act::RX_SG).unwrap();
    assert_no_pages_left(&mut dev);
    assert_no_pages_left(&mut limited);
}

#[test]
fn aborted_and_unknown_actions_drop_with_an_exception() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    dev.attach(verdict(XDP_ABORTED, false), 0).unwrap();
    dev.receive(&udp_frame(60, 1), None, WireRx::default()).unwrap();
    dev.poll(64);
    dev.attach(verdict(77, false), 0).unwrap();
    dev.receive(&udp_frame(60, 1), None, WireRx::default()).unwrap();
    dev.poll(64);
    let s = dev.stats();
    assert_eq!((s.sw.xdp_drop, s.diag.xdp_exception), (2, 2));
    assert_no_pages_left(&mut dev);
}

#[test]
fn redirect_to_another_device_and_to_a_cpumap() {
    let a = Mvneta::new_shared(cfg(9000)).unwrap();
    let b = Mvneta::new_shared(MvnetaConfig { ifindex: 3, mac: MAC_B, ..cfg(9000) }).unwrap();
    let narrow =
        Mvneta::new_shared(MvnetaConfig { ifindex: 4, xdp_features: Some(xdp_act::BASIC | xdp_act::NDO_XMIT), ..cfg(9000) }).unwrap();
    a.borrow_mut().attach(native(Builtin::Redirect { target: RedirectTarget::device(&b), frags: true }), 0).unwrap();
    for len in [60, 1500, 9014] {
        a.borrow_mut().receive(&udp_frame(len, 1), None, WireRx::default()).unwrap();
    }
    let (r, report) = napi_poll(&a, 64);
    assert_eq!(r.rx_packets, 3);
    assert_eq!(report.sent, 3);
    let out = b.borrow_mut().take_wire_tx();
    assert_eq!(
        out.iter().map(|f| f.bytes.len()).collect::<Vec<_>>(),
        vec![60, 1500, 9014],
        "descriptors carry the frag sizes, without FCS"
    );
    assert_eq!(b.borrow().stats().sw.xdp_xmit, 3);
    assert_eq!(a.borrow().stats().sw.xdp_redirect, 3);

    // A target without NDO_XMIT_SG refuses the multi-buffer frame at enqueue.
    a.borrow_mut().attach(native(Builtin::Redirect { target: RedirectTarget::device(&narrow), frags: true }), 0).unwrap();
    a.borrow_mut().receive(&udp_frame(60, 1), None, WireRx::default()).unwrap();
    a.borrow_mut().receive(&udp_frame(9014, 1), None, WireRx::default()).unwrap();
    let (_, report) = napi_poll(&a, 64);
    assert_eq!(report.sent, 1);
    assert_eq!(a.borrow().stats().diag.xdp_redirect_err, 1);

    // cpumap: queued, then the kthread builds skbs.
    let map = Rc::new(RefCell::new(CpuMap::new(4)));
    map.borrow_mut().set(1, 2).unwrap();
    a.borrow_mut().attach(native(Builtin::Redirect { target: RedirectTarget::cpu(&map, 1), frags: true }), 0).unwrap();
    for _ in 0..3 {
        a.borrow_mut().receive(&udp_frame(9014, 1), None, WireRx::default()).unwrap();
    }
    let (_, report) = napi_poll(&a, 64);
    assert_eq!((report.cpumap_enqueued, report.cpumap_drops), (2, 1), "qsize 2");
    assert_eq!(map.borrow_mut().run(1, 8), 2);
    let skbs = map.borrow_mut().take_skbs(1);
    assert_eq!(skbs.len(), 2);
    assert_eq!(skbs[0].nr_frags(), 2);
    drop(skbs);
    for d in [&b, &narrow, &a] {
        d.borrow_mut().stop();
    }
    for d in [&a, &b, &narrow] {
        assert_no_pages_left(&mut d.borrow_mut());
    }
}

#[test]
fn a_frame_split_by_the_budget_is_dropped_or_carried() {
    for quirk in [true, false] {
        let mut c = cfg(9000);
        c.quirks = Quirks { drop_split_frames: quirk, ..Quirks::default() };
        let mut dev = Mvneta::new(c).unwrap();
        dev.receive(&udp_frame(9014, 1), None, WireRx::default()).unwrap();
        dev.receive(&udp_frame(60, 1), None, WireRx::default()).unwrap();
        let r1 = dev.poll(2);
        assert_eq!((r1.rx_packets, r1.rx_descriptors), (0, 2));
        let r2 = dev.poll(64);
        let s = dev.stats();
        if quirk {
            assert_eq!(r2.rx_packets, 1, "only the small frame");
            assert_eq!((s.diag.rx_split_dropped, s.diag.rx_orphans), (1, 1));
        } else {
            assert_eq!(r2.rx_packets, 2);
            assert_eq!(dev.take_stack(2)[0].len(), 9014 - 14 + 4);
        }
        assert_no_pages_left(&mut dev);
    }
}

#[test]
fn rx_errors_keep_the_buffer_and_count() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    dev.receive(&udp_frame(100, 1), None, WireRx { error: Some(RxError::Crc), ..WireRx::default() }).unwrap();
    dev.receive(&udp_frame(2000, 1), None, WireRx::default()).unwrap();
    dev.poll(64);
    let s = dev.stats();
    assert_eq!((s.sw.rx_errors, s.mib.bad_crc_event, s.mib.oversize_received), (2, 1, 1));
    assert_eq!(s.diag.last_rx_error, Some("max frame length error"));
    assert_eq!(dev.rx_ring(0).unwrap().free(), 512);
    assert_eq!(s.page_pool.allocated, 512, "the errored descriptors kept their buffers");
    assert_no_pages_left(&mut dev);
}

#[test]
fn memory_pressure_fails_refills_and_the_hardware_discards() {
    let mut dev = Mvneta::new(MvnetaConfig { rx_ring_size: 64, pool_max_in_flight: Some(66), ..cfg(1500) }).unwrap();
    dev.attach(verdict(XDP_PASS, false), 0).unwrap();
    for _ in 0..8 {
        dev.receive(&udp_frame(100, 1), None, WireRx::default()).unwrap();
    }
    dev.poll(64);
    // The stack holds 8 pages; the pool allows 66 out: 2 refills succeed, then refill errors.
    let s = dev.stats();
    assert_eq!(s.sw.refill_error, 1);
    assert_eq!(dev.rx_ring(0).unwrap().free(), 58);
    for _ in 0..60 {
        let _ = dev.receive(&udp_frame(100, 1), None, WireRx::default());
    }
    assert_eq!(dev.stats().mib.rx_discard, 2);
    assert_no_pages_left(&mut dev);
}

#[test]
fn hints_follow_kfunc_semantics() {
    struct Hints(Rc<RefCell<Vec<String>>>);
    impl XdpProgram for Hints {
        fn has_frags(&self) -> bool {
            false
        }
        fn run(&mut self, ctx: &mut XdpContext<'_>) -> u32 {
            let fmt = |r: Result<String, uxdp::XdpError>| r.unwrap_or_else(|e| e.errno.name().to_string());
            self.0.borrow_mut().push(format!(
                "{} {} {}",
                fmt(ctx.rx_hash().map(|(h, t)| format!("{h:08x}/{t}"))),
                fmt(ctx.rx_vlan_tag().map(|v| format!("{:04x}:{}", v.proto, v.tci))),
                fmt(ctx.rx_timestamp().map(|t| t.to_string())),
            ));
            XDP_DROP
        }
    }
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    dev.attach(Some(Program::Native(Box::new(Hints(log.clone())))), 0).unwrap();
    let plain = udp_frame(100, 1);
    let mut tagged = plain[..12].to_vec();
    tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a]);
    tagged.extend_from_slice(&plain[12..]);
    let mut arp = plain.clone();
    arp[12..14].copy_from_slice(&0x0806u16.to_be_bytes());
    dev.receive(&plain, None, WireRx { timestamp: Some(1234), ..WireRx::default() }).unwrap();
    dev.receive(&tagged, None, WireRx::default()).unwrap();
    dev.receive(&arp, None, WireRx::default()).unwrap();
    dev.poll(64);
    let log = log.borrow();
    assert!(log[0].ends_with("ENODATA 1234"), "{}", log[0]);
    assert!(log[0].contains("/41 "), "IPv4 UDP: XDP_RSS_TYPE_L4_IPV4_UDP (41): {}", log[0]);
    assert!(log[1].contains("8100:42"), "{}", log[1]);
    assert!(log[2].starts_with("ENODATA ENODATA"), "{}", log[2]);
    let mut none = Mvneta::new(MvnetaConfig { rx_hints: 0, ..cfg(1500) }).unwrap();
    let log2 = Rc::new(RefCell::new(Vec::new()));
    none.attach(Some(Program::Native(Box::new(Hints(log2.clone())))), 0).unwrap();
    none.receive(&tagged, None, WireRx::default()).unwrap();
    none.poll(64);
    assert_eq!(log2.borrow()[0], "EOPNOTSUPP EOPNOTSUPP EOPNOTSUPP", "real mvneta implements none");
    assert_eq!(rx_metadata::HASH | rx_metadata::VLAN_TAG | rx_metadata::TIMESTAMP, dev.xdp_rx_metadata_features());
    assert_no_pages_left(&mut dev);
    assert_no_pages_left(&mut none);
}

#[test]
fn ndo_xdp_xmit_unwinds_a_failed_mapping_with_and_without_the_quirk() {
    for quirk in [true, false] {
        let src = Mvneta::new_shared(cfg(9000)).unwrap();
        let dst =
            Mvneta::new_shared(MvnetaConfig { ifindex: 3, quirks: Quirks { tx_unwind: quirk, ..Quirks::default() }, ..cfg(9000) }).unwrap();
        src.borrow_mut().attach(native(Builtin::Redirect { target: RedirectTarget::device(&dst), frags: true }), 0).unwrap();
        // Put the target's next descriptor at the ring's last index: 1023 single-descriptor frames.
        for _ in 0..16 {
            for _ in 0..64 {
                src.borrow_mut().receive(&udp_frame(60, 1), None, WireRx::default()).unwrap();
            }
            napi_poll(&src, 64);
            napi_poll(&dst, 64);
        }
        {
            let d = dst.borrow();
            let t = d.tx_ring(0).unwrap();
            assert_eq!(t.next_desc_to_proc(), 1024 % 1024);
        }
        // 1024 frames sent so far: next descriptor is 0. Send 1023 more to sit at 1023.
        for _ in 0..1023 {
            src.borrow_mut().receive(&udp_frame(60, 1), None, WireRx::default()).unwrap();
            napi_poll(&src, 64);
            napi_poll(&dst, 64);
        }
        assert_eq!(dst.borrow().tx_ring(0).unwrap().next_desc_to_proc(), 1023);
        // The jumbo frame's first buffer maps at 1023, the second fails at 0.
        dst.borrow_mut().inject_dma_map_failure(1);
        src.borrow_mut().receive(&udp_frame(9014, 1), None, WireRx::default()).unwrap();
        let (_, report) = napi_poll(&src, 64);
        assert_eq!((report.sent, report.devmap_drops), (0, 1));
        let (ndp, put) = {
            let d = dst.borrow();
            let t = d.tx_ring(0).unwrap();
            (t.next_desc_to_proc(), t.put_index())
        };
        if quirk {
            assert_eq!((ndp, put), (1022, 0), "rolled back one short of 1023; put index not rolled back");
        } else {
            assert_eq!((ndp, put), (1023, 1023));
        }
        // Traffic continues.
        for _ in 0..3 {
            src.borrow_mut().receive(&udp_frame(60, 1), None, WireRx::default()).unwrap();
            napi_poll(&src, 64);
            napi_poll(&dst, 64);
        }
        let out = dst.borrow_mut().take_wire_tx();
        let diag = dst.borrow().stats().diag;
        if quirk {
            assert!(diag.tx_dma_faults > 0 || diag.tx_stale_frame_returns > 0, "{diag:?}");
        } else {
            assert_eq!((diag.tx_dma_faults, diag.tx_stale_frame_returns), (0, 0));
            assert_eq!(out.len(), 1024 + 1023 + 3);
        }
        assert_eq!(diag.tx_dma_map_errors, 1);
        // The target holds the source's pages: stop it first.
        for d in [&dst, &src] {
            d.borrow_mut().stop();
        }
        for d in [&src, &dst] {
            assert_no_pages_left(&mut d.borrow_mut());
        }
        if quirk {
            eprintln!("quirk diagnostics: {:?}", dst.borrow().stats().diag);
        }
    }
}

#[test]
fn redirect_map_miss_semantics_and_xdp_redirect_without_a_target_fail_cleanly() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    dev.attach(verdict(XDP_REDIRECT, false), 0).unwrap();
    dev.receive(&udp_frame(60, 1), None, WireRx::default()).unwrap();
    let r = dev.poll(64);
    assert_eq!(r.rx_packets, 1);
    assert_eq!(dev.stats().diag.xdp_redirect_err, 1);
    assert!(redirect::flush(r.redirects).sent == 0);
    assert_no_pages_left(&mut dev);
}

#[test]
fn xdp_tx_to_a_device_with_tx_paused_then_reclaimed() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    dev.attach(verdict(XDP_TX, false), 0).unwrap();
    dev.set_tx_paused(true);
    dev.receive(&udp_frame(60, 1), None, WireRx::default()).unwrap();
    dev.poll(64);
    assert_eq!(dev.tx_ring(0).unwrap().hw_pending(), 1);
    let r = dev.poll(64);
    assert_eq!(r.tx_reclaimed, 0, "nothing was sent");
    dev.set_tx_paused(false);
    let r = dev.poll(64);
    assert_eq!(r.tx_reclaimed, 1);
    assert_no_pages_left(&mut dev);
}

#[test]
fn exported_hints_survive_redirect_to_a_cpumap_into_the_skb() {
    use uxdp::frame::{HwVlan, KV_KEY_HW_HASH, KV_KEY_HW_TIMESTAMP, KV_KEY_HW_VLAN};
    struct Export(RedirectTarget);
    impl XdpProgram for Export {
        fn has_frags(&self) -> bool {
            true
        }
        fn run(&mut self, ctx: &mut XdpContext<'_>) -> u32 {
            assert_eq!(ctx.export_hints().unwrap(), 3);
            ctx.redirect(self.0.clone())
        }
    }
    let map = Rc::new(RefCell::new(CpuMap::new(2)));
    map.borrow_mut().set(0, 8).unwrap();
    let dev = Mvneta::new_shared(cfg(9000)).unwrap();
    dev.borrow_mut().attach(Some(Program::Native(Box::new(Export(RedirectTarget::cpu(&map, 0))))), 0).unwrap();
    let plain = udp_frame(9014, 1);
    let mut tagged = plain[..12].to_vec();
    tagged.extend_from_slice(&[0x81, 0x00, 0x20, 0x07]);
    tagged.extend_from_slice(&plain[12..]);
    dev.borrow_mut().receive(&tagged, None, WireRx { timestamp: Some(77), ..WireRx::default() }).unwrap();
    napi_poll(&dev, 64);
    map.borrow_mut().run(0, 8);
    let skb = map.borrow_mut().take_skbs(0).pop().unwrap();
    assert_eq!(skb.nr_frags(), 2);
    assert_eq!(HwVlan::from_bytes(skb.kv_get(KV_KEY_HW_VLAN).unwrap()), Some(HwVlan { proto: 0x8100, tci: 0x2007 }));
    assert_eq!(skb.kv_get(KV_KEY_HW_TIMESTAMP).unwrap(), &77u64.to_le_bytes());
    assert_eq!(skb.kv_get(KV_KEY_HW_HASH).unwrap().len(), 4);
    drop(skb);
    dev.borrow_mut().stop();
    assert_eq!(dev.borrow().stats().page_pool.in_flight, 0);
}

#[test]
fn the_stack_transmits_with_checksum_offload_and_the_queue_stops_and_wakes() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    // A UDP frame whose IPv4 and UDP checksums are left for the MAC to fill in.
    let mut frame = udp_frame(200, 53);
    let want = frame.clone();
    frame[24..26].fill(0);
    frame[40..42].fill(0);
    dev.start_xmit(&frame, true, false).unwrap();
    let t = dev.tx_ring(0).unwrap();
    let cmd = t.descs().tx_command(0);
    assert_eq!(cmd & tx::FLZ_DESC, tx::FLZ_DESC);
    assert_eq!(cmd & (tx::IP_CSUM | tx::L4_UDP | tx::L4_CSUM_FULL), tx::IP_CSUM | tx::L4_UDP | tx::L4_CSUM_FULL);
    assert_eq!((cmd & 0xff, cmd >> 8 & 0xff), (14, 5), "L3 offset and IP header words");
    assert_eq!(t.slot(0), (uxdp::mvneta::tx::TxBufType::Skb, true));
    let out = dev.take_wire_tx();
    assert_eq!(out[0].bytes, want, "the MAC filled both checksums");
    // Without CHECKSUM_PARTIAL nothing is touched.
    dev.start_xmit(&frame, false, false).unwrap();
    assert_eq!(dev.tx_ring(0).unwrap().descs().tx_command(1), tx::FLZ_DESC | tx::L4_CSUM_NOT);
    assert_eq!(dev.take_wire_tx()[0].bytes, frame);
    dev.poll(64);

    // Stop at count 807 (1024 - 217), wake at 403 or below.
    dev.set_tx_paused(true);
    let mut sent = 0;
    while dev.start_xmit(&frame, false, false).is_ok() {
        sent += 1;
    }
    assert_eq!(sent, 807);
    assert_eq!(dev.start_xmit(&frame, false, false).unwrap_err().errno, Errno::EBUSY);
    let t = dev.tx_ring(0).unwrap();
    assert_eq!((t.count(), t.stopped(), t.stop_threshold(), t.wake_threshold()), (807, true, 807, 403));
    dev.set_tx_paused(false);
    dev.poll(64);
    assert!(!dev.tx_ring(0).unwrap().stopped());
    assert_eq!(dev.stats().sw.tx_packets, 2 + 807);
    dev.stop();
    assert_eq!(dev.stats().page_pool.in_flight, 0);
}

#[test]
fn several_rx_queues_by_rss_and_the_highest_with_frames_is_polled_first() {
    let mut dev = Mvneta::new(MvnetaConfig { rx_queues: 4, rss: true, ..cfg(1500) }).unwrap();
    let mut per_queue = [0u32; 4];
    for i in 0..64u16 {
        let mut f = udp_frame(100, 1000 + i);
        f[29] = i as u8;
        dev.receive(&f, None, WireRx::default()).unwrap();
    }
    for (q, n) in per_queue.iter_mut().enumerate() {
        *n = dev.rx_ring(q as u32).unwrap().occupied();
    }
    assert!(per_queue.iter().filter(|&&n| n > 0).count() >= 3, "spread: {per_queue:?}");
    assert_eq!(per_queue.iter().sum::<u32>(), 64);
    let highest = per_queue.iter().rposition(|&n| n > 0).unwrap();
    let r = dev.poll(64);
    assert_eq!(r.rx_packets, per_queue[highest]);
    assert_eq!(dev.rx_ring(highest as u32).unwrap().occupied(), 0);
    dev.receive(&udp_frame(100, 1), Some(0), WireRx::default()).unwrap();
    while dev.poll(64).rx_packets > 0 {}
    assert_eq!(dev.stats().sw.rx_packets, 65);
    dev.take_stack(usize::MAX);
    dev.stop();
    assert_eq!(dev.stats().page_pool.in_flight, 0);
}

#[test]
fn ring_sizes_above_the_maxima_are_refused_as_ethtool_refuses_them() {
    for (rx, tx) in [(513, 1024), (512, 1025), (4096, 4096)] {
        let Err(e) = Mvneta::new(MvnetaConfig { rx_ring_size: rx, tx_ring_size: tx, ..cfg(1500) }) else {
            panic!("rings of {rx}/{tx} accepted")
        };
        assert_eq!(e.errno, Errno::EINVAL);
        assert!(e.message.starts_with("requested ring size exceeds maximum"), "{}", e.message);
        assert_eq!(e.detail.limit, Some(if rx > 512 { 512 } else { 1024 }));
    }
    // At the maxima, and a TX ring below 2 * MVNETA_MAX_SKB_DESCS raised to it by the driver.
    let dev = Mvneta::new(MvnetaConfig { rx_ring_size: 512, tx_ring_size: 10, ..cfg(1500) }).unwrap();
    assert_eq!((dev.config().rx_ring_size, dev.config().tx_ring_size), (512, 434));
    assert_eq!((dev.rx_ring(0).unwrap().size(), dev.tx_ring(0).unwrap().size()), (512, 434));
}
