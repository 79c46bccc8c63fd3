//! The device: configuration, queues, the XDP program and the rules for attaching it, MTU
//! changes, the NAPI poll (TX completions, then one RX queue), every XDP action, `ndo_xdp_xmit`,
//! the host stack's receive queue, the wire, and the counters.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use super::program::{XdpContext, XdpProgram};
use super::redirect::{self, FlushReport, RedirectQueues, RedirectTarget};
use super::rx::{HwRxConfig, HwRxDrop, RxFrame, RxRing, WireRx};
use super::stats::{Diag, Mib, SwStats};
use super::tx::{Faults, TxRing, WireFrame, MAX_SKB_DESCS};
use super::wire::{ETH_FCS_LEN, ETH_ZLEN};
use super::{desc, Quirks, MAX_MTU, MAX_QUEUES, MAX_RXD, MAX_TXD, MH_SIZE, MIN_MTU, MVNETA_MAX_RX_BUF_SIZE};
use crate::errno::{Errno, Result, XdpError};
use crate::frame::layout::{ETH_HLEN, MAX_SKB_FRAGS};
use crate::frame::{NetDev, RxQueue, Skb, XdpBuff, XdpFrame, CHECKSUM_UNNECESSARY};
use crate::pool::{PagePool, PoolConfig, PoolStats};
use crate::xdp::{rx_metadata, xdp_act, RxHints, XdpAction, XDP_PASS};

/// `XDP_XMIT_FLUSH`.
pub const XDP_XMIT_FLUSH: u32 = 1;
/// `VLAN_HLEN`.
const VLAN_HLEN: u32 = 4;
/// Packets the host stack queue holds before it drops (the emulation's backlog).
pub const DEFAULT_STACK_LIMIT: usize = 65536;
/// The default NAPI weight.
pub const NAPI_POLL_WEIGHT: u32 = 64;
/// Bits per second of the emulated link, for the device clock (the Armada 3700's 1 Gb/s).
const LINK_BPS: u64 = 1_000_000_000;

#[derive(Clone, Debug)]
pub struct MvnetaConfig {
    pub ifindex: u32,
    pub mac: [u8; 6],
    pub mtu: u32,
    /// RX queues in use (1..=8).
    pub rx_queues: u32,
    /// TX queues (1..=8; XDP uses queue `cpu % tx_queues`).
    pub tx_queues: u32,
    /// Descriptors per RX ring (ethtool: at most 512).
    pub rx_ring_size: u32,
    /// Descriptors per TX ring (ethtool: 434..=1024).
    pub tx_ring_size: u32,
    /// `rx_metadata` bits: the RX hints the device implements (real mvneta implements none; the
    /// emulation offers all three by default).
    pub rx_hints: u32,
    /// Hardware buffer management in use: no XDP at all.
    pub hwbm: bool,
    /// Overrides the advertised `xdp_features` (to model other drivers).
    pub xdp_features: Option<u32>,
    pub quirks: Quirks,
    /// The CPU NAPI runs on (picks the XDP TX queue).
    pub cpu: u32,
    /// NETIF_F_RXCSUM.
    pub rx_csum: bool,
    /// Keep the bytes of transmitted frames for `take_wire_tx`.
    pub capture_tx: bool,
    /// Compute every received frame's FCS into its buffer (default: only where software can see
    /// it, when a frame's last buffer holds nothing but one to three FCS bytes).
    pub compute_fcs: bool,
    /// Spread received frames over the RX queues by their RSS hash; otherwise queue 0 (`rxq_def`).
    pub rss: bool,
    /// Pages each RX queue's pool may have out at once (memory pressure); None: no limit.
    pub pool_max_in_flight: Option<u32>,
    pub stack_limit: usize,
    /// The largest frame the MAC takes (with MH and FCS), overriding what the MTU programs. Only
    /// for reaching driver paths a correctly configured MAC never exercises (frames of more than
    /// MAX_SKB_FRAGS + 1 buffers).
    pub max_rx_frame: Option<u32>,
}

impl Default for MvnetaConfig {
    fn default() -> Self {
        MvnetaConfig {
            ifindex: 2,
            mac: [0x02, 0x00, 0x00, 0x00, 0x00, 0x01],
            mtu: 1500,
            rx_queues: 1,
            tx_queues: MAX_QUEUES,
            rx_ring_size: MAX_RXD,
            tx_ring_size: MAX_TXD,
            rx_hints: rx_metadata::HASH | rx_metadata::TIMESTAMP | rx_metadata::VLAN_TAG,
            hwbm: false,
            xdp_features: None,
            quirks: Quirks::default(),
            cpu: 0,
            rx_csum: true,
            capture_tx: true,
            compute_fcs: false,
            rss: false,
            pool_max_in_flight: None,
            stack_limit: DEFAULT_STACK_LIMIT,
            max_rx_frame: None,
        }
    }
}

/// `MVNETA_RX_PKT_SIZE(mtu)`: MTU + MH + VLAN + Ethernet header + FCS, to a 64-byte cache line.
pub fn rx_pkt_size(mtu: u32) -> u32 {
    (mtu + MH_SIZE + VLAN_HLEN + ETH_HLEN + ETH_FCS_LEN).div_ceil(64) * 64
}

/// The attached program: run by the driver, or by the caller between `poll_begin` and
/// `poll_end` (a JavaScript function, run per batch).
pub enum Program {
    Native(Box<dyn XdpProgram>),
    External { frags: bool },
}

impl Program {
    fn has_frags(&self) -> bool {
        match self {
            Program::Native(p) => p.has_frags(),
            Program::External { frags } => *frags,
        }
    }
}

/// What a program decided for one frame.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub action: u32,
    pub redirect: Option<RedirectTarget>,
}

/// Frames taken off one RX queue and waiting for their program's verdicts.
pub struct RxBatch {
    pub queue: u32,
    rx_proc: u32,
    pub frames: Vec<RxFrame>,
}

impl RxBatch {
    /// The frames, taken out (to lend their buffers elsewhere while a program runs).
    pub fn take_frames(&mut self) -> Vec<RxFrame> {
        std::mem::take(&mut self.frames)
    }

    /// The frames back, in their original order.
    pub fn put_frames(&mut self, frames: Vec<RxFrame>) {
        self.frames = frames;
    }
}

/// What one NAPI poll did.
#[derive(Default)]
pub struct PollResult {
    /// Packets received (what the poll returns to NAPI).
    pub rx_packets: u32,
    /// RX descriptors processed.
    pub rx_descriptors: u32,
    /// TX descriptors reclaimed.
    pub tx_reclaimed: u32,
    /// Frames redirected, to be flushed with `redirect::flush` once the device is released.
    pub redirects: RedirectQueues,
}

/// Every counter the device keeps.
#[derive(Clone, Debug, Default)]
pub struct DeviceStats {
    pub mib: Mib,
    pub sw: SwStats,
    pub diag: Diag,
    /// All page pools the RX queues ever had (a restart makes new ones), summed.
    pub page_pool: PoolStats,
    pub stack_dropped: u64,
    pub tx_dropped: u64,
}

pub struct Mvneta {
    cfg: MvnetaConfig,
    up: bool,
    rxqs: Vec<RxRing>,
    txqs: Vec<TxRing>,
    pools: Vec<PagePool>,
    prog: Option<Program>,
    sw: SwStats,
    mib: Mib,
    diag: Diag,
    stack: VecDeque<Skb>,
    stack_dropped: u64,
    wire_tx: Vec<WireFrame>,
    tx_paused: bool,
    clock_ns: u64,
    faults: Faults,
    skb_alloc_fail_after: Option<u32>,
    /// This device as a redirect target sees itself (a redirect back to the receiving device).
    self_ref: Weak<RefCell<Mvneta>>,
    scratch: Vec<RxFrame>,
    /// AF_XDP sockets bound to this device's queues (see `mvneta::xsk`).
    pub(super) xsk_sockets: Vec<Weak<RefCell<crate::xsk::XskSocket>>>,
}

impl std::fmt::Debug for Mvneta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mvneta").field("ifindex", &self.cfg.ifindex).field("mtu", &self.cfg.mtu).field("up", &self.up).finish()
    }
}

fn einval(op: &'static str, msg: impl Into<String>) -> XdpError {
    XdpError::new(Errno::EINVAL, op, msg)
}

/// The names of the `xdp_act` bits in `mask`.
pub fn feature_names(mask: u32) -> Vec<&'static str> {
    xdp_act::NAMES.iter().filter(|(bit, _)| mask & bit != 0).map(|&(_, n)| n).collect()
}

impl Mvneta {
    /// Probes and opens the device (`ip link set up`): rings allocated and filled.
    pub fn new(mut cfg: MvnetaConfig) -> Result<Mvneta> {
        const OP: &str = "mvneta_probe";
        if !(1..=MAX_QUEUES).contains(&cfg.rx_queues) || !(1..=MAX_QUEUES).contains(&cfg.tx_queues) {
            return Err(einval(OP, format!("queues must be 1..={MAX_QUEUES}")));
        }
        if cfg.rx_ring_size == 0 || cfg.tx_ring_size == 0 {
            return Err(einval("mvneta_ethtool_set_ringparam", "ring sizes must not be 0"));
        }
        // ethtool refuses sizes above the maxima the driver reports (rx_max_pending 512,
        // tx_max_pending 1024: "requested ring size exceeds maximum"); the driver raises a TX
        // ring below 2 * MVNETA_MAX_SKB_DESCS to that.
        for (what, size, max) in [("rx", cfg.rx_ring_size, MAX_RXD), ("tx", cfg.tx_ring_size, MAX_TXD)] {
            if size > max {
                return Err(einval(
                    "ethnl_set_rings",
                    format!("requested ring size exceeds maximum: {what} ring size {size}, the device's maximum is {max}"),
                )
                .len(u64::from(size))
                .limit(u64::from(max)));
            }
        }
        cfg.tx_ring_size = cfg.tx_ring_size.max(2 * MAX_SKB_DESCS);
        if !(MIN_MTU..=MAX_MTU).contains(&cfg.mtu) {
            return Err(einval("dev_set_mtu", format!("MTU {} is outside {MIN_MTU}..={MAX_MTU}", cfg.mtu)).len(u64::from(cfg.mtu)));
        }
        let mut dev = Mvneta {
            cfg,
            up: false,
            rxqs: Vec::new(),
            txqs: Vec::new(),
            pools: Vec::new(),
            prog: None,
            sw: SwStats::default(),
            mib: Mib::default(),
            diag: Diag::default(),
            stack: VecDeque::new(),
            stack_dropped: 0,
            wire_tx: Vec::new(),
            tx_paused: false,
            clock_ns: 0,
            faults: Faults::default(),
            skb_alloc_fail_after: None,
            self_ref: Weak::new(),
            scratch: Vec::new(),
            xsk_sockets: Vec::new(),
        };
        dev.open();
        Ok(dev)
    }

    /// `new`, shared, knowing itself as a redirect target.
    pub fn new_shared(cfg: MvnetaConfig) -> Result<Rc<RefCell<Mvneta>>> {
        let dev = Rc::new(RefCell::new(Mvneta::new(cfg)?));
        dev.borrow_mut().self_ref = Rc::downgrade(&dev);
        Ok(dev)
    }

    pub fn config(&self) -> &MvnetaConfig {
        &self.cfg
    }

    pub fn ifindex(&self) -> u32 {
        self.cfg.ifindex
    }

    pub fn mtu(&self) -> u32 {
        self.cfg.mtu
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    fn netdev(&self) -> NetDev {
        NetDev { ifindex: self.cfg.ifindex, dev_addr: self.cfg.mac }
    }

    /// `dev->xdp_features`: mvneta advertises BASIC | REDIRECT | NDO_XMIT | RX_SG | NDO_XMIT_SG
    /// (0x67), nothing with hardware buffer management.
    pub fn xdp_features(&self) -> u32 {
        match self.cfg.xdp_features {
            Some(f) => f,
            None if self.cfg.hwbm => 0,
            None => super::XDP_FEATURES,
        }
    }

    /// `NETDEV_A_DEV_XDP_RX_METADATA_FEATURES`.
    pub fn xdp_rx_metadata_features(&self) -> u32 {
        self.cfg.rx_hints
    }

    /// `mvneta_open`: one page pool per RX queue, rings filled and handed to the hardware.
    pub fn open(&mut self) {
        if self.up {
            return;
        }
        let page_size = 4096;
        self.rxqs = (0..self.cfg.rx_queues)
            .map(|q| {
                let pool = PagePool::new(PoolConfig {
                    page_size,
                    max_in_flight: self.cfg.pool_max_in_flight,
                    cache_size: self.cfg.rx_ring_size.max(64),
                })
                .expect("a 4 KiB pool");
                self.pools.push(pool.clone());
                let rxq = RxQueue { ifindex: self.cfg.ifindex, queue_index: q, frag_size: page_size };
                let mut ring = RxRing::new(q, self.cfg.rx_ring_size, pool, rxq, MAX_SKB_FRAGS);
                ring.fill();
                ring
            })
            .collect();
        self.txqs = (0..self.cfg.tx_queues).map(|q| TxRing::new(q, self.cfg.tx_ring_size)).collect();
        self.up = true;
    }

    /// `mvneta_stop`: frames on the rings are dropped, every buffer goes back, TX is reclaimed.
    pub fn stop(&mut self) {
        if !self.up {
            return;
        }
        for q in &mut self.rxqs {
            q.drop_all();
        }
        for q in &mut self.txqs {
            q.done_force(&mut self.diag);
        }
        self.rxqs.clear();
        self.txqs.clear();
        self.up = false;
    }

    fn restart(&mut self) {
        if self.up {
            self.stop();
            self.open();
        }
    }

    /// `mvneta_xdp_setup`: attach (Some) or detach (None). A program without frags support is
    /// refused while the MTU exceeds one buffer; hardware buffer management refuses XDP; a
    /// program that declares it needs `required` `xdp_act` features the device lacks is refused
    /// at attach rather than dropping frames later. Attaching where there was none (or the
    /// reverse) restarts a running device.
    pub fn attach(&mut self, prog: Option<Program>, required: u32) -> Result<()> {
        const OP: &str = "mvneta_xdp_setup";
        if let Some(p) = &prog {
            if !p.has_frags() && self.cfg.mtu > MVNETA_MAX_RX_BUF_SIZE {
                return Err(XdpError::new(Errno::EOPNOTSUPP, OP, "prog does not support XDP frags").len(u64::from(self.cfg.mtu)));
            }
            if self.cfg.hwbm {
                return Err(XdpError::new(Errno::EOPNOTSUPP, OP, "Hardware Buffer Management not supported on XDP"));
            }
            let missing = required & !self.xdp_features();
            if missing != 0 {
                return Err(XdpError::new(
                    Errno::EOPNOTSUPP,
                    OP,
                    format!("device does not support XDP features the program needs: {}", feature_names(missing).join(", ")),
                ));
            }
            if let Program::Native(p) = p {
                self.check_needs(&p.needs())?;
            }
        }
        let need_update = self.prog.is_some() != prog.is_some();
        self.prog = prog;
        if need_update {
            self.restart();
        }
        Ok(())
    }

    /// Refuses a program needing a feature this device, or one it redirects to, lacks: the
    /// first such need, named with its instruction (an extack message in the kernel's manner).
    fn check_needs(&self, needs: &[super::program::DeviceNeed]) -> Result<()> {
        use crate::bpf::needs::Feature;
        for n in needs {
            // The device being attached is borrowed already when it is its own redirect target.
            let (who, xdp, rx) = match &n.target {
                None => ("device".to_string(), self.xdp_features(), self.xdp_rx_metadata_features()),
                Some(RedirectTarget::Device(w)) => {
                    let Some(dev) = w.upgrade() else { continue };
                    let seen = dev.try_borrow().map(|d| (format!("redirect target ifindex {}", d.ifindex()), d.xdp_features(), d.xdp_rx_metadata_features()));
                    seen.unwrap_or_else(|_| ("device".to_string(), self.xdp_features(), self.xdp_rx_metadata_features()))
                }
                Some(RedirectTarget::Cpu(..) | RedirectTarget::Xsk(_)) => continue,
            };
            let (lacks, what) = match n.feature {
                Feature::Xdp(bit) => (xdp & bit == 0, "XDP feature"),
                Feature::RxMetadata(bit) => (rx & bit == 0, "XDP RX metadata"),
            };
            if lacks {
                let e = XdpError::new(
                    Errno::EOPNOTSUPP,
                    "mvneta_xdp_setup",
                    format!("{who} lacks {what} {}, which insn {} needs ({})", n.feature.name(), n.pc, n.why),
                );
                let mut e = e.offset(n.pc as i64);
                e.pc = Some(n.pc);
                return Err(e);
            }
        }
        Ok(())
    }

    pub fn has_program(&self) -> bool {
        self.prog.is_some()
    }

    /// `mvneta_change_mtu`. EINVAL outside 68..=9676 (`dev_set_mtu`) and above one buffer while a
    /// program without frags support is attached. A running device restarts with new pools.
    pub fn change_mtu(&mut self, mtu: u32) -> Result<()> {
        if !(MIN_MTU..=MAX_MTU).contains(&mtu) {
            return Err(einval("dev_set_mtu", format!("MTU {mtu} is outside {MIN_MTU}..={MAX_MTU}")).len(u64::from(mtu)));
        }
        if let Some(p) = &self.prog {
            if !p.has_frags() && mtu > MVNETA_MAX_RX_BUF_SIZE {
                return Err(einval("mvneta_change_mtu", format!("Illegal MTU {mtu} for XDP prog without frags"))
                    .len(u64::from(mtu))
                    .limit(u64::from(MVNETA_MAX_RX_BUF_SIZE)));
            }
        }
        self.cfg.mtu = mtu;
        self.restart();
        Ok(())
    }

    /// Fault injection: the next `n` DMA mappings succeed, the one after fails.
    pub fn inject_dma_map_failure(&mut self, after: u32) {
        self.faults.dma_map_fail_after = Some(after);
    }

    /// Fault injection: the next `n` skb allocations succeed, the one after fails.
    pub fn inject_skb_alloc_failure(&mut self, after: u32) {
        self.skb_alloc_fail_after = Some(after);
    }

    /// Holds (true) or lets go (false) the transmit side of the link: while held, announced
    /// descriptors wait in the hardware and TX rings fill up.
    pub fn set_tx_paused(&mut self, paused: bool) {
        self.tx_paused = paused;
        if !paused {
            self.hw_transmit_all();
        }
    }

    fn hw_transmit_all(&mut self) {
        if self.tx_paused {
            return;
        }
        for q in &mut self.txqs {
            q.hw_transmit(self.cfg.capture_tx, &mut self.wire_tx, &mut self.mib, &mut self.diag);
        }
    }

    /// The RX queue a frame lands in.
    fn rx_queue_for(&self, frame: &[u8]) -> u32 {
        if !self.cfg.rss || self.cfg.rx_queues == 1 {
            return 0;
        }
        let p = super::wire::parse(frame);
        super::wire::rss_hash(frame, &p).map_or(0, |(h, _)| h % self.cfg.rx_queues)
    }

    /// A frame arrives on the wire (without FCS; shorter frames are padded to 60 bytes as the
    /// sender's MAC would). `queue`: force an RX queue. Err when the device is down or the
    /// hardware had no descriptors for it.
    pub fn receive(&mut self, frame: &[u8], queue: Option<u32>, info: WireRx) -> std::result::Result<(), HwRxDrop> {
        if !self.up {
            return Err(HwRxDrop::NoDescriptors);
        }
        if frame.len() < ETH_ZLEN {
            let mut padded = [0u8; ETH_ZLEN];
            padded[..frame.len()].copy_from_slice(frame);
            return self.receive(&padded, queue, info);
        }
        let q = queue.unwrap_or_else(|| self.rx_queue_for(frame)).min(self.cfg.rx_queues - 1);
        let cfg = HwRxConfig {
            max_rx_size: self.cfg.max_rx_frame.unwrap_or_else(|| rx_pkt_size(self.cfg.mtu)),
            hints: self.cfg.rx_hints,
            rx_csum: self.cfg.rx_csum,
            compute_fcs: self.cfg.compute_fcs,
        };
        let clock = self.clock_ns;
        // Preamble, start delimiter and the inter-frame gap take 20 more bytes of wire time.
        self.clock_ns += (frame.len() as u64 + u64::from(ETH_FCS_LEN) + 20) * 8 * 1_000_000_000 / LINK_BPS;
        self.rxqs[q as usize].hw_receive(frame, info, clock, &cfg, &mut self.mib)
    }

    /// Starts a NAPI poll: reclaims TX, then takes up to `budget` descriptors off the
    /// highest-numbered RX queue with frames (`fls` of the RX cause bits) and returns the
    /// complete frames for the program.
    pub fn poll_begin(&mut self, budget: u32) -> (RxBatch, u32) {
        let mut reclaimed = 0;
        for q in self.txqs.iter_mut().rev() {
            reclaimed += q.done(&mut self.diag);
        }
        let mut frames = std::mem::take(&mut self.scratch);
        frames.clear();
        let Some(qi) = self.rxqs.iter().rposition(|q| q.occupied() > 0) else {
            return (RxBatch { queue: 0, rx_proc: 0, frames }, reclaimed);
        };
        let rx_proc = self.rxqs[qi].collect(budget, &self.cfg.quirks, &mut frames, &mut self.sw, &mut self.diag);
        (RxBatch { queue: qi as u32, rx_proc, frames }, reclaimed)
    }

    /// The context a program sees for frame `i` of a batch.
    pub fn context<'a>(&self, batch: &'a mut RxBatch, i: usize) -> XdpContext<'a> {
        let f = &mut batch.frames[i];
        XdpContext {
            buff: &mut f.buff,
            hints: f.hints,
            rx_metadata: self.cfg.rx_hints,
            ifindex: self.cfg.ifindex,
            rx_queue_index: batch.queue,
            redirect: None,
        }
    }

    /// Ends the poll: applies each frame's verdict in order (`mvneta_run_xdp`'s switch and the
    /// skb path for XDP_PASS), commits the counters, refills the ring.
    pub fn poll_end(&mut self, mut batch: RxBatch, verdicts: &mut dyn Iterator<Item = Verdict>) -> PollResult {
        let mut result = PollResult { rx_descriptors: batch.rx_proc, ..PollResult::default() };
        let with_prog = self.prog.is_some();
        for frame in batch.frames.drain(..) {
            let verdict = if with_prog {
                verdicts.next().unwrap_or(Verdict { action: XDP_PASS, redirect: None })
            } else {
                Verdict { action: XDP_PASS, redirect: None }
            };
            if self.complete(frame, verdict, with_prog, &mut result.redirects) {
                result.rx_packets += 1;
            }
        }
        self.scratch = batch.frames;
        if batch.rx_proc > 0 {
            self.rxqs[batch.queue as usize].finish(batch.rx_proc, &mut self.sw);
        }
        result
    }

    /// A whole NAPI poll with the native program (or none).
    pub fn poll(&mut self, budget: u32) -> PollResult {
        let (mut batch, reclaimed) = self.poll_begin(budget);
        let mut verdicts = Vec::with_capacity(batch.frames.len());
        if let Some(Program::Native(_)) = &self.prog {
            for i in 0..batch.frames.len() {
                let mut ctx = self.context(&mut batch, i);
                let Some(Program::Native(p)) = self.prog.as_mut() else { unreachable!("checked above") };
                let action = p.run(&mut ctx);
                verdicts.push(Verdict { action, redirect: ctx.redirect.take() });
            }
        }
        let mut it = verdicts.into_iter();
        let mut result = self.poll_end(batch, &mut it);
        result.tx_reclaimed = reclaimed;
        result
    }

    /// One frame after its program: counters, and where it goes. True when it counts as a
    /// received packet.
    fn complete(&mut self, frame: RxFrame, verdict: Verdict, with_prog: bool, redirects: &mut RedirectQueues) -> bool {
        let RxFrame { buff, desc_status, frame_sz, hints, data_len_before } = frame;
        if with_prog {
            let mut action = XdpAction::of_ret(verdict.action);
            if action == XdpAction::Redirect && self.xdp_features() & xdp_act::REDIRECT == 0 {
                // Without the feature XDP_REDIRECT is as invalid as an unknown action.
                action = XdpAction::Aborted;
            }
            if action != XdpAction::Pass {
                let linear_after = buff.linear_len();
                self.sw.rx_bytes += u64::from(frame_sz) + u64::from(linear_after) - u64::from(data_len_before);
                self.sw.rx_packets += 1;
            }
            match action {
                XdpAction::Pass => self.sw.xdp_pass += 1,
                XdpAction::Tx => {
                    self.xmit_back(buff);
                    return true;
                }
                XdpAction::Redirect => {
                    self.do_redirect(buff, verdict.redirect, redirects);
                    return true;
                }
                XdpAction::Drop => {
                    self.sw.xdp_drop += 1;
                    return true;
                }
                XdpAction::Aborted => {
                    self.diag.xdp_exception += 1;
                    self.sw.xdp_drop += 1;
                    return true;
                }
            }
        }
        self.pass(buff, desc_status, hints)
    }

    /// `mvneta_swbm_build_skb` and the hand-over to the stack.
    fn pass(&mut self, buff: XdpBuff, desc_status: u32, hints: RxHints) -> bool {
        if let Some(n) = self.skb_alloc_fail_after.as_mut() {
            if *n == 0 {
                self.skb_alloc_fail_after = None;
                self.sw.skb_alloc_error += 1;
                self.sw.rx_dropped += 1;
                return false;
            }
            *n -= 1;
        }
        let (mut skb, len) = buff.build_skb(self.netdev());
        if self.cfg.rx_csum && desc_status & desc::rx::L3_IP4 != 0 && desc_status & desc::rx::L4_CSUM_OK != 0 {
            skb.set_ip_summed(CHECKSUM_UNNECESSARY);
        }
        skb.set_vlan(hints.vlan.map(|v| (v.proto, v.tci)));
        self.sw.rx_bytes += u64::from(len);
        self.sw.rx_packets += 1;
        if self.stack.len() >= self.cfg.stack_limit {
            self.stack_dropped += 1;
        } else {
            self.stack.push_back(skb);
        }
        true
    }

    /// `mvneta_xdp_xmit_back`.
    fn xmit_back(&mut self, buff: XdpBuff) {
        let frame = match buff.into_frame() {
            Ok(f) => f,
            Err(_) => {
                self.diag.xdp_tx_convert_err += 1;
                return;
            }
        };
        let q = (self.cfg.cpu % self.cfg.tx_queues) as usize;
        let mut dma_faults = Faults::default();
        match self.txqs[q].submit(frame, false, &self.cfg.quirks, &mut dma_faults, &mut self.diag) {
            Ok(bytes) => {
                self.sw.tx_bytes += u64::from(bytes);
                self.sw.tx_packets += 1;
                self.sw.xdp_tx += 1;
                self.txqs[q].kick();
                if !self.tx_paused {
                    self.txqs[q].hw_transmit(self.cfg.capture_tx, &mut self.wire_tx, &mut self.mib, &mut self.diag);
                }
            }
            Err(frame) => {
                self.sw.xdp_tx_err += 1;
                drop(frame);
            }
        }
    }

    /// What `__xdp_enqueue` checks on a target device: it implements `ndo_xdp_xmit`, takes
    /// frags if the frame has them, is up, and the frame fits its MTU.
    fn fwd_check(features: u32, up: bool, mtu: u32, frame: &XdpFrame) -> std::result::Result<(), Errno> {
        if features & xdp_act::NDO_XMIT == 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        if features & xdp_act::NDO_XMIT_SG == 0 && frame.has_frags() {
            return Err(Errno::EOPNOTSUPP);
        }
        if !up {
            return Err(Errno::ENETDOWN);
        }
        if frame.frame_len() > mtu + ETH_HLEN + VLAN_HLEN {
            return Err(Errno::EMSGSIZE);
        }
        Ok(())
    }

    /// `xdp_do_redirect`: converts to an xdp_frame and queues it for the target, or drops it
    /// (`xdp:xdp_redirect_err`, no driver counter).
    fn do_redirect(&mut self, buff: XdpBuff, target: Option<RedirectTarget>, redirects: &mut RedirectQueues) {
        let Some(target) = target else {
            self.diag.xdp_redirect_err += 1;
            return;
        };
        if let RedirectTarget::Xsk(sock) = &target {
            // An AF_XDP socket takes the xdp_buff itself, copied now; its RX ring is published
            // at the flush.
            if self.xsk_redirect(buff, sock) {
                redirects.push_xsk(sock);
                self.sw.xdp_redirect += 1;
            } else {
                self.diag.xdp_redirect_err += 1;
            }
            return;
        }
        let frame = match buff.into_frame() {
            Ok(f) => f,
            Err(_) => {
                self.diag.xdp_redirect_err += 1;
                return;
            }
        };
        if let RedirectTarget::Device(weak) = &target {
            let check = if Weak::ptr_eq(weak, &self.self_ref) {
                Self::fwd_check(self.xdp_features(), self.up, self.cfg.mtu, &frame)
            } else {
                match weak.upgrade() {
                    Some(dev) => match dev.try_borrow() {
                        Ok(d) => Self::fwd_check(d.xdp_features(), d.up, d.cfg.mtu, &frame),
                        Err(_) => Err(Errno::EBUSY),
                    },
                    None => Err(Errno::ENODEV),
                }
            };
            if check.is_err() {
                self.diag.xdp_redirect_err += 1;
                return;
            }
        }
        redirects.push(&target, frame, self.netdev());
        self.sw.xdp_redirect += 1;
    }

    /// `ndo_xdp_xmit` (`mvneta_xdp_xmit`): sends frames in order on TX queue `cpu % n`, each
    /// buffer DMA-mapped, stopping at the first that does not fit; kicks the hardware with
    /// XDP_XMIT_FLUSH. Returns how many were sent and the frames not sent (the caller frees
    /// them). ENETDOWN when down, EINVAL for unknown flags (all frames handed back).
    #[allow(clippy::type_complexity)]
    pub fn xdp_xmit(&mut self, frames: Vec<XdpFrame>, flags: u32) -> std::result::Result<(u32, Vec<XdpFrame>), (XdpError, Vec<XdpFrame>)> {
        const OP: &str = "mvneta_xdp_xmit";
        if !self.up {
            return Err((XdpError::new(Errno::ENETDOWN, OP, "device is down"), frames));
        }
        if flags & !XDP_XMIT_FLUSH != 0 {
            return Err((einval(OP, "flags other than XDP_XMIT_FLUSH"), frames));
        }
        let q = (self.cfg.cpu % self.cfg.tx_queues) as usize;
        let n = frames.len();
        let mut sent = 0u32;
        let mut bytes = 0u64;
        let mut rest = Vec::new();
        let mut it = frames.into_iter();
        for frame in it.by_ref() {
            match self.txqs[q].submit(frame, true, &self.cfg.quirks, &mut self.faults, &mut self.diag) {
                Ok(b) => {
                    sent += 1;
                    bytes += u64::from(b);
                }
                Err(frame) => {
                    rest.push(frame);
                    break;
                }
            }
        }
        rest.extend(it);
        if flags & XDP_XMIT_FLUSH != 0 {
            self.txqs[q].kick();
            if !self.tx_paused {
                self.txqs[q].hw_transmit(self.cfg.capture_tx, &mut self.wire_tx, &mut self.mib, &mut self.diag);
            }
        }
        self.sw.tx_bytes += bytes;
        self.sw.tx_packets += u64::from(sent);
        self.sw.xdp_xmit += u64::from(sent);
        self.sw.xdp_xmit_err += (n as u64) - u64::from(sent);
        Ok((sent, rest))
    }

    /// The host stack sends a packet (`ndo_start_xmit` = `mvneta_tx`, linear packets): one
    /// descriptor on TX queue `cpu % n`, with checksum offload when `csum_partial`
    /// (CHECKSUM_PARTIAL). `xmit_more`: more packets follow, the hardware may be told later.
    /// ENETDOWN when down; EBUSY (NETDEV_TX_BUSY) while the queue is stopped, which it is from the
    /// stop threshold until completions bring it under the wake threshold.
    pub fn start_xmit(&mut self, frame: &[u8], csum_partial: bool, xmit_more: bool) -> Result<()> {
        const OP: &str = "mvneta_tx";
        if !self.up {
            return Err(XdpError::new(Errno::ENETDOWN, OP, "device is down"));
        }
        if frame.len() < usize::from(ETH_HLEN as u16) || frame.len() > usize::from(u16::MAX) {
            return Err(einval(OP, "a packet is 14 to 65535 bytes").len(frame.len() as u64));
        }
        let q = (self.cfg.cpu % self.cfg.tx_queues) as usize;
        let csum = super::tx::csum_command(frame, csum_partial);
        self.txqs[q].start_xmit(frame, csum, xmit_more).map_err(|()| XdpError::new(Errno::EBUSY, OP, "the TX queue is stopped"))?;
        self.sw.tx_packets += 1;
        self.sw.tx_bytes += frame.len() as u64;
        if !self.tx_paused {
            self.txqs[q].hw_transmit(self.cfg.capture_tx, &mut self.wire_tx, &mut self.mib, &mut self.diag);
        }
        Ok(())
    }

    /// A packet of linear part and frags on TX queue `queue` (`__dev_direct_xmit` →
    /// `mvneta_tx`), without checksum offload; `owner` is dropped when TX completion frees it.
    /// Err(owner) when the queue is stopped.
    pub(super) fn xmit_segments(
        &mut self,
        queue: u32,
        segments: &[&[u8]],
        owner: Box<dyn std::any::Any>,
    ) -> std::result::Result<(), Box<dyn std::any::Any>> {
        let q = queue as usize;
        let bytes: usize = segments.iter().map(|s| s.len()).sum();
        match self.txqs[q].start_xmit_segments(segments, super::desc::tx::L4_CSUM_NOT, false, Some(owner)) {
            Ok(()) => {
                self.sw.tx_packets += 1;
                self.sw.tx_bytes += bytes as u64;
                if !self.tx_paused {
                    self.txqs[q].hw_transmit(self.cfg.capture_tx, &mut self.wire_tx, &mut self.mib, &mut self.diag);
                }
                Ok(())
            }
            Err(owner) => Err(owner.expect("the owner comes back")),
        }
    }

    /// Packets the host stack received (XDP_PASS or no program), oldest first, at most `max`.
    pub fn take_stack(&mut self, max: usize) -> Vec<Skb> {
        let n = max.min(self.stack.len());
        self.stack.drain(..n).collect()
    }

    pub fn stack_len(&self) -> usize {
        self.stack.len()
    }

    /// Frames the hardware put on the wire since the last call.
    pub fn take_wire_tx(&mut self) -> Vec<WireFrame> {
        std::mem::take(&mut self.wire_tx)
    }

    pub fn stats(&self) -> DeviceStats {
        let mut page_pool = PoolStats::default();
        for p in &self.pools {
            let s = p.stats();
            page_pool.allocated += s.allocated;
            page_pool.alloc_fast += s.alloc_fast;
            page_pool.recycled += s.recycled;
            page_pool.released += s.released;
            page_pool.alloc_failed += s.alloc_failed;
            page_pool.in_flight += s.in_flight;
        }
        DeviceStats { mib: self.mib, sw: self.sw, diag: self.diag, page_pool, stack_dropped: self.stack_dropped, tx_dropped: 0 }
    }

    pub fn rx_ring(&self, q: u32) -> Option<&RxRing> {
        self.rxqs.get(q as usize)
    }

    pub fn tx_ring(&self, q: u32) -> Option<&TxRing> {
        self.txqs.get(q as usize)
    }

    /// The TX queue XDP uses.
    pub fn xdp_tx_queue(&self) -> u32 {
        self.cfg.cpu % self.cfg.tx_queues
    }
}

/// One NAPI poll of a shared device, redirects flushed after the device is released (a redirect
/// back to the same device borrows it again).
pub fn napi_poll(dev: &Rc<RefCell<Mvneta>>, budget: u32) -> (PollResult, FlushReport) {
    let mut result = dev.borrow_mut().poll(budget);
    let report = redirect::flush(std::mem::take(&mut result.redirects));
    (result, report)
}
