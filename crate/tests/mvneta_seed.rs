//! The mvneta behaviours of the seed's multi-buffer series (v14, "mvneta: introduce XDP
//! multi-buffer support"), re-described as tests, and the descriptor status paths of the RX parser.

use std::cell::RefCell;
use std::rc::Rc;

use uxdp::frame::layout::XDP_FLAGS_HAS_FRAGS;
use uxdp::frame::{CHECKSUM_NONE, CHECKSUM_UNNECESSARY};
use uxdp::mvneta::desc::{rx, tx};
use uxdp::mvneta::device::Program;
use uxdp::mvneta::{Builtin, Mvneta, MvnetaConfig, RxError, WireRx, XdpContext, XdpProgram};
use uxdp::xdp::{XDP_DROP, XDP_PASS, XDP_TX};
use uxdp::Errno;

fn udp_frame(len: usize, ipv6: bool, good_csum: bool) -> Vec<u8> {
    let mut f = vec![0u8; len];
    f[0..12].copy_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
    let l4 = if ipv6 {
        f[12..14].copy_from_slice(&0x86ddu16.to_be_bytes());
        f[14] = 0x60;
        f[18..20].copy_from_slice(&((len - 54) as u16).to_be_bytes());
        f[20] = 17;
        f[21] = 64;
        54
    } else {
        f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        f[14] = 0x45;
        f[16..18].copy_from_slice(&((len - 14) as u16).to_be_bytes());
        f[22] = 64;
        f[23] = 17;
        f[26..34].copy_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        34
    };
    f[l4..l4 + 2].copy_from_slice(&1000u16.to_be_bytes());
    f[l4 + 2..l4 + 4].copy_from_slice(&53u16.to_be_bytes());
    f[l4 + 4..l4 + 6].copy_from_slice(&((len - l4) as u16).to_be_bytes());
    for (i, b) in f[l4 + 8..].iter_mut().enumerate() {
        *b = (i % 253) as u8;
    }
    if !ipv6 {
        // A deliberately wrong UDP checksum, or the right one.
        let mut sum = 0u32;
        for c in f[26..34].chunks(2) {
            sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        sum += 17 + (len - 34) as u32;
        for c in f[34..].chunks(2) {
            sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        let c = !(sum as u16);
        let c = if c == 0 { 0xffff } else { c };
        f[40..42].copy_from_slice(&(if good_csum { c } else { c ^ 0x0101 }).to_be_bytes());
    }
    f
}

fn cfg(mtu: u32) -> MvnetaConfig {
    MvnetaConfig { mtu, ..MvnetaConfig::default() }
}

fn settle(dev: &mut Mvneta) {
    dev.take_stack(usize::MAX);
    dev.stop();
    assert_eq!(dev.stats().page_pool.in_flight, 0);
}

/// "net: mvneta: update mb bit before passing the xdp buffer to eBPF layer": the frags flag is set
/// only for frames that really have frags, even on a page whose shared info still describes the
/// frags of an earlier frame.
#[test]
fn the_frags_flag_is_set_only_for_multi_buffer_frames() {
    type Seen = Rc<RefCell<Vec<(u32, bool, u8)>>>;
    struct Probe(Seen);
    impl XdpProgram for Probe {
        fn has_frags(&self) -> bool {
            true
        }
        fn run(&mut self, ctx: &mut XdpContext<'_>) -> u32 {
            let b = &ctx.buff;
            self.0.borrow_mut().push((b.len(), b.flags() & XDP_FLAGS_HAS_FRAGS != 0, b.nr_frags()));
            XDP_DROP
        }
    }
    // A small ring: every page is reused many times, jumbo and small frames alternating.
    let mut dev = Mvneta::new(MvnetaConfig { rx_ring_size: 8, ..cfg(9000) }).unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    dev.attach(Some(Program::Native(Box::new(Probe(seen.clone())))), 0).unwrap();
    for round in 0..6 {
        let len = if round % 2 == 0 { 9014 } else { 100 };
        dev.receive(&udp_frame(len, false, true), None, WireRx::default()).unwrap();
        if len == 100 {
            dev.receive(&udp_frame(len, false, true), None, WireRx::default()).unwrap();
        }
        dev.poll(64);
    }
    for &(len, frags, nr) in seen.borrow().iter() {
        assert_eq!(frags, len > 3514, "len {len}");
        assert_eq!(nr, if frags { 2 } else { 0 });
    }
    assert_eq!(seen.borrow().len(), 9);
    settle(&mut dev);
}

/// "net: mvneta: simplify mvneta_swbm_add_rx_fragment management": each later buffer becomes a
/// frag at the buffer offset (256) with its bytes; the FCS is not frag data.
#[test]
fn later_buffers_become_frags_at_the_buffer_offset() {
    type Seen = Rc<RefCell<Vec<Vec<(u32, u32)>>>>;
    struct Probe(Seen);
    impl XdpProgram for Probe {
        fn has_frags(&self) -> bool {
            true
        }
        fn run(&mut self, ctx: &mut XdpContext<'_>) -> u32 {
            self.0.borrow_mut().push(ctx.buff.frags().iter().map(|f| (f.offset, f.len)).collect());
            XDP_PASS
        }
    }
    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut dev = Mvneta::new(cfg(9676)).unwrap();
    dev.attach(Some(Program::Native(Box::new(Probe(seen.clone())))), 0).unwrap();
    // 9676 MTU + 14: 2 + 9690 + 4 = 9696 bytes: 3520 | 3520 | 2656.
    let frame = udp_frame(9690, false, true);
    dev.receive(&frame, None, WireRx::default()).unwrap();
    dev.poll(64);
    assert_eq!(seen.borrow()[0], vec![(256, 3520), (256, 2652)]);
    let skb = dev.take_stack(1).pop().unwrap();
    assert_eq!(&skb.frame_bytes()[..9690], &frame[..]);
    drop(skb);
    settle(&mut dev);
}

/// "net: mvneta: add multi buffer support to XDP_TX": one descriptor per buffer, each pointing at
/// the buffer's own page (the linear part at its data, frags at their offset).
#[test]
fn xdp_tx_descriptors_point_at_each_buffer() {
    let mut dev = Mvneta::new(MvnetaConfig { capture_tx: true, ..cfg(9000) }).unwrap();
    dev.attach(Some(Program::Native(Box::new(Builtin::Verdict { action: XDP_TX, frags: true }))), 0).unwrap();
    dev.receive(&udp_frame(9014, false, true), None, WireRx::default()).unwrap();
    let rx_addrs: Vec<u32> = (0..3).map(|i| dev.rx_ring(0).unwrap().descs().rx_buf_phys_addr(i)).collect();
    dev.poll(64);
    let txq = dev.tx_ring(dev.xdp_tx_queue()).unwrap();
    let tx_addrs: Vec<u32> = (0..3).map(|i| txq.descs().tx_buf_phys_addr(i)).collect();
    // The RX buffers start at page + 256; the packet data at + 2 (after the Marvell header).
    assert_eq!(tx_addrs, vec![rx_addrs[0] + 2, rx_addrs[1], rx_addrs[2]]);
    let cmds: Vec<u32> = (0..3).map(|i| txq.descs().tx_command(i)).collect();
    assert_eq!(cmds, vec![tx::F_DESC, 0, tx::L_DESC | tx::Z_PAD]);
    assert_eq!(txq.slot(0), (uxdp::mvneta::tx::TxBufType::XdpTx, true), "the frame sits on the first slot");
    assert_eq!(txq.slot(1), (uxdp::mvneta::tx::TxBufType::XdpTx, false));
    settle(&mut dev);
}

/// "net: mvneta: enable jumbo frames for XDP": above one buffer, only a frags-aware program.
#[test]
fn jumbo_mtu_takes_frags_aware_programs_only() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    dev.attach(Some(Program::Native(Box::new(Builtin::Verdict { action: XDP_PASS, frags: false }))), 0).unwrap();
    assert_eq!(dev.change_mtu(9000).unwrap_err().errno, Errno::EINVAL);
    dev.attach(Some(Program::Native(Box::new(Builtin::Verdict { action: XDP_PASS, frags: true }))), 0).unwrap();
    dev.change_mtu(9000).unwrap();
    dev.receive(&udp_frame(9014, false, true), None, WireRx::default()).unwrap();
    dev.poll(64);
    assert_eq!(dev.take_stack(1)[0].nr_frags(), 2);
    settle(&mut dev);
}

/// "xdp: add multi-buff support to xdp_return_{buff/frame}": a dropped jumbo frame gives back
/// every page, frags first.
#[test]
fn dropping_a_multi_buffer_frame_returns_all_its_pages() {
    let mut dev = Mvneta::new(cfg(9000)).unwrap();
    dev.attach(Some(Program::Native(Box::new(Builtin::Verdict { action: XDP_DROP, frags: true }))), 0).unwrap();
    let before = dev.stats().page_pool;
    dev.receive(&udp_frame(9014, false, true), None, WireRx::default()).unwrap();
    dev.poll(64);
    let after = dev.stats().page_pool;
    assert_eq!(after.recycled - before.recycled, 3);
    assert_eq!(after.in_flight, before.in_flight, "refilled from the three returned pages");
    settle(&mut dev);
}

/// "net: xdp: add xdp_update_skb_shared_info utility routine": the PASS skb keeps the frags in
/// place; len and data_len grow by xdp_frags_size, truesize by one page per frag.
#[test]
fn the_pass_skb_carries_the_frags_over() {
    let mut dev =
        Mvneta::new(MvnetaConfig { quirks: uxdp::mvneta::Quirks { fcs_in_frags_size: false, ..Default::default() }, ..cfg(9000) }).unwrap();
    dev.receive(&udp_frame(9014, false, true), None, WireRx::default()).unwrap();
    dev.receive(&udp_frame(1000, false, true), None, WireRx::default()).unwrap();
    dev.poll(64);
    let skbs = dev.take_stack(2);
    let (jumbo, small) = (&skbs[0], &skbs[1]);
    assert_eq!((jumbo.len(), jumbo.data_len(), jumbo.nr_frags()), (9014 - 14, 5496, 2));
    assert_eq!(jumbo.truesize() - small.truesize(), 2 * 4096);
    drop(skbs);
    settle(&mut dev);
}

// ---- the RX parser's status bits, evaluated on the first descriptor

#[test]
fn checksum_bits_decide_ip_summed() {
    let mut dev = Mvneta::new(cfg(9000)).unwrap();
    let cases = [
        (udp_frame(200, false, true), true, true),
        (udp_frame(200, false, false), true, false),
        (udp_frame(200, true, true), false, false),
    ];
    for (i, (f, ip4, ok)) in cases.iter().enumerate() {
        dev.receive(f, None, WireRx::default()).unwrap();
        let s = dev.rx_ring(0).unwrap().descs().rx_status(i as u32);
        assert_eq!((s & rx::L3_IP4 != 0, s & rx::L4_CSUM_OK != 0), (*ip4, *ok), "case {i}");
    }
    // A jumbo frame's checksum covers all its buffers; the bits sit on the first descriptor only.
    dev.receive(&udp_frame(9014, false, true), None, WireRx::default()).unwrap();
    let ring = dev.rx_ring(0).unwrap();
    assert_ne!(ring.descs().rx_status(3) & rx::L4_CSUM_OK, 0);
    assert_eq!(ring.descs().rx_status(4) & (rx::L4_CSUM_OK | rx::L3_IP4), 0);
    dev.poll(64);
    let summed: Vec<u8> = dev.take_stack(4).iter().map(|s| s.ip_summed()).collect();
    assert_eq!(summed, vec![CHECKSUM_UNNECESSARY, CHECKSUM_NONE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY]);
    // With RX checksumming off (ethtool -K rx off) the parser verifies nothing.
    let mut off = Mvneta::new(MvnetaConfig { rx_csum: false, ..cfg(1500) }).unwrap();
    off.receive(&udp_frame(200, false, true), None, WireRx::default()).unwrap();
    assert_eq!(off.rx_ring(0).unwrap().descs().rx_status(0) & rx::L4_CSUM_OK, 0);
    settle(&mut dev);
    settle(&mut off);
}

#[test]
fn every_error_code_is_reported_and_the_buffer_reused() {
    let mut dev = Mvneta::new(cfg(1500)).unwrap();
    let errors = [RxError::Crc, RxError::Overrun, RxError::Length, RxError::Resource];
    let mut logged = Vec::new();
    for e in errors {
        dev.receive(&udp_frame(200, false, true), None, WireRx { error: Some(e), ..WireRx::default() }).unwrap();
        let i = dev.rx_ring(0).unwrap().next_desc_to_proc();
        let s = dev.rx_ring(0).unwrap().descs().rx_status(i);
        assert_eq!(s & rx::ERR_SUMMARY, rx::ERR_SUMMARY);
        assert_eq!(RxError::from_status(s), e);
        dev.poll(64);
        logged.push(dev.stats().diag.last_rx_error.unwrap());
    }
    assert_eq!(logged, vec!["crc error", "overrun error", "max frame length error", "resource error"]);
    let s = dev.stats();
    assert_eq!((s.sw.rx_errors, s.page_pool.allocated), (4, 512));
    settle(&mut dev);
}

/// A frame of more than MAX_SKB_FRAGS + 1 buffers (which a correctly configured MAC never takes):
/// the driver attaches 17 frags and gives the later buffers straight back; `xdp_frags_size` still
/// counts them (it is set once, at the first frag).
#[test]
fn buffers_past_max_skb_frags_are_dropped_as_the_driver_drops_them() {
    type Seen = Rc<RefCell<Vec<(u8, u32, u32)>>>;
    struct Probe(Seen);
    impl XdpProgram for Probe {
        fn has_frags(&self) -> bool {
            true
        }
        fn run(&mut self, ctx: &mut XdpContext<'_>) -> u32 {
            let b = &ctx.buff;
            self.0.borrow_mut().push((b.nr_frags(), b.frags_size(), b.frags().iter().map(|f| f.len).sum()));
            XDP_DROP
        }
    }
    for fcs_in_frags_size in [true, false] {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let mut dev = Mvneta::new(MvnetaConfig {
            max_rx_frame: Some(65535),
            quirks: uxdp::mvneta::Quirks { fcs_in_frags_size, ..Default::default() },
            ..cfg(9676)
        })
        .unwrap();
        dev.attach(Some(Program::Native(Box::new(Probe(seen.clone())))), 0).unwrap();
        // 2 + 64994 + 4 = 65000 bytes: 19 buffers, 18 of them frags, one more than fits.
        dev.receive(&udp_frame(64994, false, true), None, WireRx::default()).unwrap();
        assert_eq!(dev.rx_ring(0).unwrap().occupied(), 19);
        let before = dev.stats().page_pool.recycled;
        dev.poll(64);
        let (nr, size, attached) = seen.borrow()[0];
        assert_eq!((nr, attached), (17, 17 * 3520));
        assert_eq!(size, if fcs_in_frags_size { 65000 - 3520 } else { 17 * 3520 }, "set at the first frag, or summed");
        assert_eq!(dev.stats().page_pool.recycled - before, 19, "every page back, the truncated one first");
        settle(&mut dev);
    }
}
