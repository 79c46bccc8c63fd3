//! Binding for the emulated mvneta NIC. Everything crosses per batch: frames offered as one
//! buffer plus lengths, a poll's frames lent to JS in reusable frame slots with their hints in
//! one array, verdicts back in one array, received and transmitted packets out in one buffer.

use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::{err, guard, FrameHandle, Shared};
use crate::errno::Errno;
use crate::frame::XdpBuff;
use crate::mvneta::device::{self, Program, RxBatch};
use crate::mvneta::program::Builtin;
use crate::mvneta::redirect::{self, CpuMap, FlushReport};
use crate::mvneta::rx::{RxError, RxFrame, WireRx};
use crate::mvneta::{Mvneta, MvnetaConfig, Quirks, RedirectTarget, Verdict};
use crate::xdp::RxHints;

// The XDP contract's actions, so that lib/mvneta.ts has no numbers of its own.
#[napi]
pub const XDP_ABORTED: u32 = crate::xdp::XDP_ABORTED;
#[napi]
pub const XDP_DROP: u32 = crate::xdp::XDP_DROP;
#[napi]
pub const XDP_PASS: u32 = crate::xdp::XDP_PASS;
#[napi]
pub const XDP_TX: u32 = crate::xdp::XDP_TX;
#[napi]
pub const XDP_REDIRECT: u32 = crate::xdp::XDP_REDIRECT;

/// One named bit of `enum netdev_xdp_act` or `enum netdev_xdp_rx_metadata`.
#[napi(object)]
pub struct XdpBit {
    pub bit: u32,
    /// As the netdev netlink family names it (`ndo-xmit`, `vlan-tag`, …).
    pub name: String,
}

fn bits(names: &[(u32, &str)]) -> Vec<XdpBit> {
    names.iter().map(|&(bit, name)| XdpBit { bit, name: name.into() }).collect()
}

/// The XDP features a device can advertise (the XDP contract's table, for lib/mvneta.ts).
#[napi]
pub fn xdp_feature_bits() -> Vec<XdpBit> {
    bits(&crate::xdp::xdp_act::NAMES)
}

/// The RX metadata kfuncs a device can implement (the XDP contract's table, for lib/mvneta.ts).
#[napi]
pub fn xdp_rx_metadata_bits() -> Vec<XdpBit> {
    bits(&crate::xdp::rx_metadata::NAMES)
}

/// A poll whose frames are out with the JS program.
struct Pending {
    batch: RxBatch,
    reclaimed: u32,
    /// Per lent frame: what the driver keeps while the buffer is in its slot.
    metas: Vec<(u32, u32, RxHints, u32)>,
}

pub struct NicState {
    dev: Rc<RefCell<Mvneta>>,
    /// Frame slots lent to JS programs, created once and reused every poll.
    slots: Vec<Shared<XdpBuff>>,
    pending: Option<Pending>,
    /// Redirect targets by id, as JS programs name them in verdicts.
    targets: Vec<RedirectTarget>,
}

type NicHandle = External<RefCell<NicState>>;
type CpuMapHandle = External<Rc<RefCell<CpuMap>>>;

fn state<'a>(h: &'a NicHandle, op: &'static str) -> Result<std::cell::RefMut<'a, NicState>> {
    h.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, "the NIC is in use"))
}

fn dev_mut<'a>(st: &'a NicState, op: &'static str) -> Result<std::cell::RefMut<'a, Mvneta>> {
    st.dev.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, "the NIC is in use"))
}

#[napi(object)]
pub struct NicQuirks {
    pub fcs_in_frags_size: Option<bool>,
    pub drop_split_frames: Option<bool>,
    pub tx_unwind: Option<bool>,
}

#[napi(object)]
pub struct NicOptions {
    pub ifindex: Option<u32>,
    pub mac: Option<Buffer>,
    pub mtu: Option<u32>,
    pub rx_queues: Option<u32>,
    pub tx_queues: Option<u32>,
    pub rx_ring_size: Option<u32>,
    pub tx_ring_size: Option<u32>,
    pub rx_hints: Option<u32>,
    pub hwbm: Option<bool>,
    pub xdp_features: Option<u32>,
    pub quirks: Option<NicQuirks>,
    pub cpu: Option<u32>,
    pub rx_csum: Option<bool>,
    pub capture_tx: Option<bool>,
    pub compute_fcs: Option<bool>,
    pub rss: Option<bool>,
    pub pool_max_in_flight: Option<u32>,
    pub stack_limit: Option<u32>,
    pub max_rx_frame: Option<u32>,
}

#[napi]
pub fn nic_create(options: NicOptions) -> Result<NicHandle> {
    const OP: &str = "mvneta_probe";
    guard(OP, || {
        let d = MvnetaConfig::default();
        let q = options.quirks.unwrap_or(NicQuirks { fcs_in_frags_size: None, drop_split_frames: None, tx_unwind: None });
        let dq = Quirks::default();
        let mac = match options.mac {
            Some(m) => <[u8; 6]>::try_from(&m[..]).map_err(|_| err(Errno::EINVAL, OP, "mac must be 6 bytes"))?,
            None => d.mac,
        };
        let cfg = MvnetaConfig {
            ifindex: options.ifindex.unwrap_or(d.ifindex),
            mac,
            mtu: options.mtu.unwrap_or(d.mtu),
            rx_queues: options.rx_queues.unwrap_or(d.rx_queues),
            tx_queues: options.tx_queues.unwrap_or(d.tx_queues),
            rx_ring_size: options.rx_ring_size.unwrap_or(d.rx_ring_size),
            tx_ring_size: options.tx_ring_size.unwrap_or(d.tx_ring_size),
            rx_hints: options.rx_hints.unwrap_or(d.rx_hints),
            hwbm: options.hwbm.unwrap_or(d.hwbm),
            xdp_features: options.xdp_features,
            quirks: Quirks {
                fcs_in_frags_size: q.fcs_in_frags_size.unwrap_or(dq.fcs_in_frags_size),
                drop_split_frames: q.drop_split_frames.unwrap_or(dq.drop_split_frames),
                tx_unwind: q.tx_unwind.unwrap_or(dq.tx_unwind),
            },
            cpu: options.cpu.unwrap_or(d.cpu),
            rx_csum: options.rx_csum.unwrap_or(d.rx_csum),
            capture_tx: options.capture_tx.unwrap_or(d.capture_tx),
            compute_fcs: options.compute_fcs.unwrap_or(d.compute_fcs),
            rss: options.rss.unwrap_or(d.rss),
            pool_max_in_flight: options.pool_max_in_flight,
            stack_limit: options.stack_limit.map_or(d.stack_limit, |n| n as usize),
            max_rx_frame: options.max_rx_frame,
        };
        let dev = Mvneta::new_shared(cfg)?;
        Ok(External::new(RefCell::new(NicState { dev, slots: Vec::new(), pending: None, targets: Vec::new() })))
    })
}

#[napi(object)]
pub struct NicInfo {
    pub ifindex: u32,
    pub mtu: u32,
    pub up: bool,
    pub xdp_features: u32,
    pub rx_metadata_features: u32,
    pub rx_queues: u32,
    pub tx_queues: u32,
    pub rx_ring_size: u32,
    pub tx_ring_size: u32,
    pub has_program: bool,
    pub xdp_tx_queue: u32,
    pub stack_len: u32,
}

#[napi]
pub fn nic_info(h: &NicHandle) -> Result<NicInfo> {
    guard("mvneta", || {
        let st = state(h, "mvneta")?;
        let d = dev_mut(&st, "mvneta")?;
        let c = d.config();
        Ok(NicInfo {
            ifindex: c.ifindex,
            mtu: c.mtu,
            up: d.is_up(),
            xdp_features: d.xdp_features(),
            rx_metadata_features: d.xdp_rx_metadata_features(),
            rx_queues: c.rx_queues,
            tx_queues: c.tx_queues,
            rx_ring_size: c.rx_ring_size,
            tx_ring_size: c.tx_ring_size,
            has_program: d.has_program(),
            xdp_tx_queue: d.xdp_tx_queue(),
            stack_len: d.stack_len() as u32,
        })
    })
}

/// The device behind a NIC handle (for the AF_XDP binding).
pub(super) fn nic_device(h: &NicHandle, op: &'static str) -> Result<Rc<RefCell<Mvneta>>> {
    Ok(Rc::clone(&state(h, op)?.dev))
}

pub(super) type NicHandleAlias = NicHandle;

fn no_pending(st: &NicState, op: &'static str) -> Result<()> {
    if st.pending.is_some() {
        return Err(err(Errno::EBUSY, op, "a poll is waiting for its program's verdicts"));
    }
    Ok(())
}

/// Attaches a JS program (`builtin` None) or a built-in one; `target` is a redirect target id.
#[napi]
pub fn nic_attach(h: &NicHandle, builtin: Option<String>, action: Option<u32>, frags: bool, target: Option<u32>, needs: u32) -> Result<()> {
    const OP: &str = "mvneta_xdp_setup";
    guard(OP, || {
        let st = state(h, OP)?;
        no_pending(&st, OP)?;
        let target = match target {
            Some(id) => Some(st.targets.get(id as usize).cloned().ok_or_else(|| err(Errno::EINVAL, OP, "unknown redirect target"))?),
            None => None,
        };
        let prog = match builtin.as_deref() {
            None => Program::External { frags },
            Some("verdict") => Program::Native(Box::new(Builtin::Verdict { action: action.unwrap_or(2), frags })),
            Some("reflect") => Program::Native(Box::new(Builtin::Reflect { frags })),
            Some("redirect") => Program::Native(Box::new(Builtin::Redirect {
                target: target.ok_or_else(|| err(Errno::EINVAL, OP, "a redirect program needs a target"))?,
                frags,
            })),
            Some("mix") => Program::Native(Box::new(Builtin::Mix { target })),
            Some(other) => return Err(err(Errno::EINVAL, OP, format!("unknown built-in program {other:?}"))),
        };
        dev_mut(&st, OP)?.attach(Some(prog), needs)?;
        Ok(())
    })
}

#[napi]
pub fn nic_detach(h: &NicHandle) -> Result<()> {
    const OP: &str = "mvneta_xdp_setup";
    guard(OP, || {
        let st = state(h, OP)?;
        no_pending(&st, OP)?;
        dev_mut(&st, OP)?.attach(None, 0)?;
        Ok(())
    })
}

#[napi]
pub fn nic_set_mtu(h: &NicHandle, mtu: u32) -> Result<()> {
    const OP: &str = "mvneta_change_mtu";
    guard(OP, || {
        let st = state(h, OP)?;
        no_pending(&st, OP)?;
        dev_mut(&st, OP)?.change_mtu(mtu)?;
        Ok(())
    })
}

#[napi]
pub fn nic_set_up(h: &NicHandle, up: bool) -> Result<()> {
    const OP: &str = "mvneta_open";
    guard(OP, || {
        let st = state(h, OP)?;
        no_pending(&st, OP)?;
        let mut d = dev_mut(&st, OP)?;
        if up {
            d.open();
        } else {
            d.stop();
        }
        Ok(())
    })
}

#[napi]
pub fn nic_set_tx_paused(h: &NicHandle, paused: bool) -> Result<()> {
    guard("mvneta_tx", || {
        let st = state(h, "mvneta_tx")?;
        dev_mut(&st, "mvneta_tx")?.set_tx_paused(paused);
        Ok(())
    })
}

#[napi]
pub fn nic_inject(h: &NicHandle, what: String, after: u32) -> Result<()> {
    const OP: &str = "mvneta_fault_injection";
    guard(OP, || {
        let st = state(h, OP)?;
        let mut d = dev_mut(&st, OP)?;
        match what.as_str() {
            "dmaMap" => d.inject_dma_map_failure(after),
            "skbAlloc" => d.inject_skb_alloc_failure(after),
            _ => return Err(err(Errno::EINVAL, OP, format!("unknown fault {what:?}"))),
        }
        Ok(())
    })
}

/// A redirect target id for another NIC (a devmap entry or `bpf_redirect` by ifindex).
#[napi]
pub fn nic_target_device(h: &NicHandle, target: &NicHandle) -> Result<u32> {
    const OP: &str = "bpf_redirect";
    guard(OP, || {
        let dev = if std::ptr::eq(h, target) { Rc::clone(&state(h, OP)?.dev) } else { Rc::clone(&state(target, OP)?.dev) };
        let mut st = state(h, OP)?;
        let t = RedirectTarget::device(&dev);
        if let Some(i) = st.targets.iter().position(|x| x.same(&t)) {
            return Ok(i as u32);
        }
        st.targets.push(t);
        Ok(st.targets.len() as u32 - 1)
    })
}

/// A redirect target id for a cpumap entry.
#[napi]
pub fn nic_target_cpu(h: &NicHandle, map: &CpuMapHandle, cpu: u32) -> Result<u32> {
    const OP: &str = "bpf_redirect_map";
    guard(OP, || {
        let mut st = state(h, OP)?;
        let t = RedirectTarget::cpu(map, cpu);
        if let Some(i) = st.targets.iter().position(|x| x.same(&t)) {
            return Ok(i as u32);
        }
        st.targets.push(t);
        Ok(st.targets.len() as u32 - 1)
    })
}

fn rx_error(code: u8) -> Option<RxError> {
    match code {
        1 => Some(RxError::Crc),
        2 => Some(RxError::Overrun),
        3 => Some(RxError::Length),
        4 => Some(RxError::Resource),
        _ => None,
    }
}

/// Frames arrive on the wire: `data` holds them back to back, `lengths` their sizes. Optional
/// per-frame receive timestamps (ns) and errors (0 none, 1 CRC, 2 overrun, 3 length, 4
/// resource). `queue` < 0: the device picks. Returns how many the hardware took.
#[napi]
pub fn nic_offer(
    h: &NicHandle,
    data: &[u8],
    lengths: &[u32],
    queue: i32,
    timestamps: Option<&[f64]>,
    errors: Option<&[u8]>,
) -> Result<u32> {
    const OP: &str = "mvneta_rx";
    guard(OP, || {
        let st = state(h, OP)?;
        let mut d = dev_mut(&st, OP)?;
        let total: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
        if total != data.len() as u64 {
            return Err(err(Errno::EINVAL, OP, format!("lengths add up to {total} bytes, data has {}", data.len())));
        }
        if timestamps.is_some_and(|t| t.len() != lengths.len()) || errors.is_some_and(|e| e.len() != lengths.len()) {
            return Err(err(Errno::EINVAL, OP, "timestamps and errors need one entry per frame"));
        }
        let queue = (queue >= 0).then_some(queue as u32);
        let mut at = 0usize;
        let mut taken = 0;
        for (i, &len) in lengths.iter().enumerate() {
            let frame = &data[at..at + len as usize];
            at += len as usize;
            if frame.len() < 14 {
                return Err(crate::errno::XdpError::new(Errno::EINVAL, OP, format!("frame {i} is shorter than an Ethernet header"))
                    .len(u64::from(len))
                    .into());
            }
            let info = WireRx {
                timestamp: timestamps.and_then(|t| (t[i] >= 0.0).then_some(t[i] as u64)),
                error: errors.and_then(|e| rx_error(e[i])),
            };
            if d.receive(frame, queue, info).is_ok() {
                taken += 1;
            }
        }
        Ok(taken)
    })
}

/// The host stack sends packets (`data` back to back, `lengths`): returns how many the driver
/// took before its queue stopped (the rest stay with the caller, as NETDEV_TX_BUSY leaves them).
#[napi]
pub fn nic_transmit(h: &NicHandle, data: &[u8], lengths: &[u32], csum_partial: bool) -> Result<u32> {
    const OP: &str = "mvneta_tx";
    guard(OP, || {
        let st = state(h, OP)?;
        let mut d = dev_mut(&st, OP)?;
        let total: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
        if total != data.len() as u64 {
            return Err(err(Errno::EINVAL, OP, format!("lengths add up to {total} bytes, data has {}", data.len())));
        }
        let mut at = 0usize;
        for (i, &len) in lengths.iter().enumerate() {
            let frame = &data[at..at + len as usize];
            at += len as usize;
            match d.start_xmit(frame, csum_partial, i + 1 < lengths.len()) {
                Ok(()) => {}
                Err(e) if e.errno == Errno::EBUSY => return Ok(i as u32),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(lengths.len() as u32)
    })
}

#[napi(object)]
pub struct NicPollResult {
    pub rx_packets: u32,
    pub rx_descriptors: u32,
    pub tx_reclaimed: u32,
    pub redirect_sent: f64,
    pub devmap_drops: f64,
    pub cpumap_enqueued: f64,
    pub cpumap_drops: f64,
    pub target_gone: f64,
    /// AF_XDP sockets whose RX ring the poll's flush published.
    pub xsk_flushed: f64,
}

fn poll_result(r: &device::PollResult, reclaimed: u32, f: FlushReport) -> NicPollResult {
    NicPollResult {
        rx_packets: r.rx_packets,
        rx_descriptors: r.rx_descriptors,
        tx_reclaimed: reclaimed,
        redirect_sent: f.sent as f64,
        devmap_drops: f.devmap_drops as f64,
        cpumap_enqueued: f.cpumap_enqueued as f64,
        cpumap_drops: f.cpumap_drops as f64,
        target_gone: f.target_gone as f64,
        xsk_flushed: f.xsk_flushed as f64,
    }
}

/// A NAPI poll with a built-in program (or none), redirects flushed.
#[napi]
pub fn nic_poll(h: &NicHandle, budget: u32) -> Result<NicPollResult> {
    const OP: &str = "mvneta_poll";
    guard(OP, || {
        let st = state(h, OP)?;
        no_pending(&st, OP)?;
        let dev = Rc::clone(&st.dev);
        drop(st);
        let (result, report) = device::napi_poll(&dev, budget);
        Ok(poll_result(&result, result.tx_reclaimed, report))
    })
}

/// Polls `rounds` times in a loop inside the engine; nanoseconds per round (the native
/// figure for benchmarks).
#[napi]
pub fn nic_time_native_poll(h: &NicHandle, budget: u32, rounds: u32) -> Result<f64> {
    const OP: &str = "mvneta_poll";
    guard(OP, || {
        let st = state(h, OP)?;
        no_pending(&st, OP)?;
        let dev = Rc::clone(&st.dev);
        drop(st);
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            device::napi_poll(&dev, budget);
        }
        Ok(start.elapsed().as_nanos() as f64 / f64::from(rounds.max(1)))
    })
}

/// Frame slot `i` for JS programs (created on first use, reused by every poll).
#[napi]
pub fn nic_slot(h: &NicHandle, i: u32) -> Result<FrameHandle> {
    const OP: &str = "mvneta_poll";
    guard(OP, || {
        let mut st = state(h, OP)?;
        while st.slots.len() <= i as usize {
            let slot: Shared<XdpBuff> = Rc::new(RefCell::new(None));
            st.slots.push(slot);
        }
        Ok(External::new(Rc::clone(&st.slots[i as usize])))
    })
}

/// Hint words per frame in `nic_poll_begin`'s output.
pub const HINT_WORDS: usize = 6;

/// Starts a poll for a JS program: TX reclaimed, frames taken off the RX ring and lent to slots
/// 0..n (each slot must exist: `nic_slot`); per frame, `hints` receives hash, RSS type, VLAN
/// protocol, VLAN TCI, timestamp (ns) and queue (-1 where absent). Returns n.
#[napi]
pub fn nic_poll_begin(h: &NicHandle, budget: u32, mut hints: Float64ArraySlice) -> Result<u32> {
    const OP: &str = "mvneta_poll";
    guard(OP, || {
        let mut st = state(h, OP)?;
        no_pending(&st, OP)?;
        let (mut batch, reclaimed) = dev_mut(&st, OP)?.poll_begin(budget);
        let frames = batch.take_frames();
        let n = frames.len();
        // SAFETY: JS is not running while this call holds the slice.
        let hints = unsafe { hints.as_mut() };
        if st.slots.len() < n || hints.len() < n * HINT_WORDS {
            // Give the frames back untouched.
            batch.put_frames(frames);
            let mut none = std::iter::empty();
            let mut d = dev_mut(&st, OP)?;
            d.poll_end(batch, &mut none);
            return Err(err(Errno::EINVAL, OP, format!("need {n} slots and {} hint words", n * HINT_WORDS)));
        }
        let queue = batch.queue;
        let mut metas = Vec::with_capacity(n);
        for (i, f) in frames.into_iter().enumerate() {
            let RxFrame { buff, desc_status, frame_sz, hints: hw, data_len_before } = f;
            *st.slots[i].borrow_mut() = Some(buff);
            let w = &mut hints[i * HINT_WORDS..(i + 1) * HINT_WORDS];
            let (hash, ty) = hw.hash.map_or((-1.0, -1.0), |(h, t)| (f64::from(h), f64::from(t)));
            let (vp, vt) = hw.vlan.map_or((-1.0, -1.0), |v| (f64::from(v.proto), f64::from(v.tci)));
            w.copy_from_slice(&[hash, ty, vp, vt, hw.timestamp.map_or(-1.0, |t| t as f64), f64::from(queue)]);
            metas.push((desc_status, frame_sz, hw, data_len_before));
        }
        st.pending = Some(Pending { batch, reclaimed, metas });
        Ok(n as u32)
    })
}

/// The lent buffers back from their slots, as frames again, with the indexes of the ones that
/// were still there.
fn take_back(slots: &[Shared<XdpBuff>], metas: Vec<(u32, u32, RxHints, u32)>) -> (Vec<RxFrame>, Vec<usize>) {
    let mut frames = Vec::with_capacity(metas.len());
    let mut kept = Vec::with_capacity(metas.len());
    for (i, (desc_status, frame_sz, hints, data_len_before)) in metas.into_iter().enumerate() {
        if let Some(buff) = slots[i].borrow_mut().take() {
            frames.push(RxFrame { buff, desc_status, frame_sz, hints, data_len_before });
            kept.push(i);
        }
    }
    (frames, kept)
}

/// Ends a poll: `verdicts` holds two words per frame (action, redirect target id or -1). Slots
/// are emptied, the actions applied in order, redirects flushed.
#[napi]
pub fn nic_poll_end(h: &NicHandle, verdicts: &[i32]) -> Result<NicPollResult> {
    const OP: &str = "mvneta_poll";
    guard(OP, || {
        let mut st = state(h, OP)?;
        let Some(Pending { mut batch, reclaimed, metas }) = st.pending.take() else {
            return Err(err(Errno::EINVAL, OP, "no poll is waiting for verdicts"));
        };
        let n = metas.len();
        let (frames, kept) = take_back(&st.slots, metas);
        let lost = n - kept.len();
        let vs: Vec<Verdict> = kept
            .into_iter()
            .map(|i| {
                let action = verdicts.get(2 * i).copied().unwrap_or(2);
                let target = verdicts.get(2 * i + 1).copied().unwrap_or(-1);
                let redirect = if target >= 0 { st.targets.get(target as usize).cloned() } else { None };
                // Negative actions are as unknown to the driver as large ones.
                Verdict { action: u32::try_from(action).unwrap_or(u32::MAX), redirect }
            })
            .collect();
        batch.put_frames(frames);
        let dev = Rc::clone(&st.dev);
        drop(st);
        let mut result = dev.try_borrow_mut().map_err(|_| err(Errno::EBUSY, OP, "the NIC is in use"))?.poll_end(batch, &mut vs.into_iter());
        let report = redirect::flush(std::mem::take(&mut result.redirects));
        if lost > 0 {
            return Err(err(Errno::EINVAL, OP, format!("{lost} frame(s) were taken out of their slots during the program")));
        }
        Ok(poll_result(&result, reclaimed, report))
    })
}

#[napi(object)]
pub struct PacketBatch {
    /// The packets back to back (from the MAC header on).
    pub data: Buffer,
    /// Per packet: length, then (stack packets) skb len, data_len, nr_frags, protocol,
    /// ip_summed, pkt_type, VLAN protocol (-1), VLAN TCI (-1), metadata length; (wire frames)
    /// the TX queue.
    pub words: Vec<f64>,
    /// The stack packets' metadata back to back.
    pub meta: Buffer,
}

pub const STACK_WORDS: usize = 10;

/// Packets handed to the stack, as one batch.
fn skb_batch(skbs: &[crate::frame::Skb]) -> PacketBatch {
    let mut data = Vec::new();
    let mut meta = Vec::new();
    let mut words = Vec::with_capacity(skbs.len() * STACK_WORDS);
    for skb in skbs {
        let bytes = skb.frame_bytes();
        let (vp, vt) = skb.vlan().map_or((-1.0, -1.0), |(p, t)| (f64::from(p), f64::from(t)));
        words.extend_from_slice(&[
            bytes.len() as f64,
            f64::from(skb.len()),
            f64::from(skb.data_len()),
            f64::from(skb.nr_frags()),
            f64::from(skb.protocol()),
            f64::from(skb.ip_summed()),
            f64::from(skb.pkt_type()),
            vp,
            vt,
            skb.meta().len() as f64,
        ]);
        data.extend_from_slice(&bytes);
        meta.extend_from_slice(skb.meta());
    }
    PacketBatch { data: data.into(), words, meta: meta.into() }
}

/// Takes up to `max` packets the host stack received.
#[napi]
pub fn nic_take_stack(h: &NicHandle, max: u32) -> Result<PacketBatch> {
    const OP: &str = "mvneta_stack";
    guard(OP, || {
        let st = state(h, OP)?;
        let skbs = dev_mut(&st, OP)?.take_stack(max as usize);
        Ok(skb_batch(&skbs))
    })
}

/// Takes the frames the hardware transmitted.
#[napi]
pub fn nic_take_tx(h: &NicHandle) -> Result<PacketBatch> {
    const OP: &str = "mvneta_tx";
    guard(OP, || {
        let st = state(h, OP)?;
        let frames = dev_mut(&st, OP)?.take_wire_tx();
        let mut data = Vec::with_capacity(frames.iter().map(|f| f.bytes.len()).sum());
        let mut words = Vec::with_capacity(frames.len() * 2);
        for f in &frames {
            words.extend_from_slice(&[f.bytes.len() as f64, f64::from(f.queue)]);
            data.extend_from_slice(&f.bytes);
        }
        Ok(PacketBatch { data: data.into(), words, meta: Vec::new().into() })
    })
}

#[napi(object)]
pub struct StatEntry {
    pub name: String,
    pub value: f64,
}

/// Every counter: the MIB (ethtool names), the driver's software counters (ethtool names), the
/// stats64 totals, page-pool totals, and diagnostics (named after the kernel's tracepoints).
#[napi]
pub fn nic_stats(h: &NicHandle) -> Result<Vec<StatEntry>> {
    const OP: &str = "mvneta_ethtool_get_stats";
    guard(OP, || {
        let st = state(h, OP)?;
        let s = dev_mut(&st, OP)?.stats();
        let mut out: Vec<StatEntry> = Vec::new();
        let mut put = |name: &str, v: u64| out.push(StatEntry { name: name.to_string(), value: v as f64 });
        for (n, v) in s.mib.entries() {
            put(n, v);
        }
        for (n, v) in s.sw.ethtool() {
            put(n, v);
        }
        put("rx_pp_alloc_fast", s.page_pool.alloc_fast);
        put("rx_pp_alloc_slow", s.page_pool.allocated);
        put("rx_pp_recycle_ring", s.page_pool.recycled);
        put("rx_pp_recycle_ring_full", s.page_pool.released);
        put("rx_packets", s.sw.rx_packets);
        put("rx_bytes", s.sw.rx_bytes);
        put("tx_packets", s.sw.tx_packets);
        put("tx_bytes", s.sw.tx_bytes);
        put("rx_dropped", s.sw.rx_dropped);
        put("rx_errors", s.sw.rx_errors);
        put("tx_dropped", s.tx_dropped);
        put("page_pool.allocated", s.page_pool.allocated);
        put("page_pool.alloc_fast", s.page_pool.alloc_fast);
        put("page_pool.recycled", s.page_pool.recycled);
        put("page_pool.released", s.page_pool.released);
        put("page_pool.alloc_failed", s.page_pool.alloc_failed);
        put("page_pool.in_flight", s.page_pool.in_flight);
        let d = s.diag;
        put("xdp:xdp_exception", d.xdp_exception);
        put("xdp:xdp_redirect_err", d.xdp_redirect_err);
        put("diag.xdp_tx_convert_err", d.xdp_tx_convert_err);
        put("diag.rx_split_dropped", d.rx_split_dropped);
        put("diag.rx_orphans", d.rx_orphans);
        put("diag.rx_length_mismatch_dropped", d.rx_length_mismatch_dropped);
        put("diag.rx_unterminated_dropped", d.rx_unterminated_dropped);
        put("diag.tx_dma_map_errors", d.tx_dma_map_errors);
        put("diag.tx_dma_faults", d.tx_dma_faults);
        put("diag.tx_stale_frame_returns", d.tx_stale_frame_returns);
        put("diag.tx_leaked_frames", d.tx_leaked_frames);
        put("diag.stack_dropped", s.stack_dropped);
        Ok(out)
    })
}

#[napi(object)]
pub struct RingInfo {
    pub size: u32,
    /// RX: occupied / free descriptors; TX: count (in flight) / pending (not announced).
    pub a: u32,
    pub b: u32,
    pub next_desc_to_proc: u32,
    /// RX: refill_num; TX: put index.
    pub c: u32,
    /// TX: get index.
    pub d: u32,
    /// TX: announced to the hardware, not sent.
    pub hw_pending: u32,
    pub stopped: bool,
}

/// One ring's indexes and counters, and (with `descriptor` ≥ 0) that descriptor's 32 bytes.
#[napi]
pub fn nic_ring(h: &NicHandle, tx: bool, queue: u32, descriptor: i32) -> Result<Either<RingInfo, Buffer>> {
    const OP: &str = "mvneta_ring";
    guard(OP, || {
        let st = state(h, OP)?;
        let d = dev_mut(&st, OP)?;
        let missing = || err(Errno::EINVAL, OP, format!("no {} queue {queue} (is the device up?)", if tx { "TX" } else { "RX" }));
        let bytes = |descs: &crate::mvneta::desc::DescRing| {
            let i = descriptor as u32;
            if i >= descs.len() {
                return Err(err(Errno::EINVAL, OP, "descriptor index past the ring"));
            }
            Ok(Either::B(descs.desc(i).to_vec().into()))
        };
        if tx {
            let r = d.tx_ring(queue).ok_or_else(missing)?;
            if descriptor >= 0 {
                return bytes(r.descs());
            }
            Ok(Either::A(RingInfo {
                size: r.size(),
                a: r.count(),
                b: r.pending(),
                next_desc_to_proc: r.next_desc_to_proc(),
                c: r.put_index(),
                d: r.get_index(),
                hw_pending: r.hw_pending(),
                stopped: r.stopped(),
            }))
        } else {
            let r = d.rx_ring(queue).ok_or_else(missing)?;
            if descriptor >= 0 {
                return bytes(r.descs());
            }
            Ok(Either::A(RingInfo {
                size: r.size(),
                a: r.occupied(),
                b: r.free(),
                next_desc_to_proc: r.next_desc_to_proc(),
                c: r.refill_num(),
                d: 0,
                hw_pending: 0,
                stopped: false,
            }))
        }
    })
}

/// Frames this device could still hold: everything goes back (`ip link set down`) and the
/// handle's slots are emptied.
#[napi]
pub fn nic_close(h: &NicHandle) -> Result<()> {
    const OP: &str = "mvneta_stop";
    guard(OP, || {
        let mut st = state(h, OP)?;
        if let Some(p) = st.pending.take() {
            let (frames, _) = take_back(&st.slots, p.metas);
            let mut batch = p.batch;
            batch.put_frames(frames);
            let mut drop_all = std::iter::repeat_with(|| Verdict { action: crate::xdp::XDP_DROP, redirect: None });
            dev_mut(&st, OP)?.poll_end(batch, &mut drop_all);
        }
        let mut d = dev_mut(&st, OP)?;
        d.take_stack(usize::MAX);
        d.take_wire_tx();
        d.stop();
        Ok(())
    })
}

// ---------------------------------------------------------------- cpumap

#[napi]
pub fn cpumap_create(max_entries: u32) -> Result<CpuMapHandle> {
    if max_entries == 0 || max_entries > 4096 {
        return Err(err(Errno::EINVAL, "cpu_map_alloc", "max_entries must be 1..=4096"));
    }
    Ok(External::new(Rc::new(RefCell::new(CpuMap::new(max_entries)))))
}

fn cpumap<'a>(m: &'a CpuMapHandle, op: &'static str) -> Result<std::cell::RefMut<'a, CpuMap>> {
    m.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, "the cpumap is in use"))
}

#[napi]
pub fn cpumap_set(m: &CpuMapHandle, cpu: u32, qsize: u32) -> Result<()> {
    guard("cpu_map_update_elem", || Ok(cpumap(m, "cpu_map_update_elem")?.set(cpu, qsize)?))
}

#[napi(object)]
pub struct CpuEntryInfo {
    pub qsize: u32,
    pub queued: u32,
    pub enqueued: f64,
    pub drops: f64,
    pub processed: f64,
    pub skb_errors: f64,
}

#[napi]
pub fn cpumap_entry(m: &CpuMapHandle, cpu: u32) -> Result<Option<CpuEntryInfo>> {
    guard("cpu_map_lookup_elem", || {
        let map = cpumap(m, "cpu_map_lookup_elem")?;
        Ok(map.entry(cpu).map(|e| CpuEntryInfo {
            qsize: e.qsize,
            queued: map.queued(cpu),
            enqueued: e.enqueued as f64,
            drops: e.drops as f64,
            processed: e.processed as f64,
            skb_errors: e.skb_errors as f64,
        }))
    })
}

/// Runs entry `cpu`'s kthread for up to `budget` frames and takes the packets it built.
#[napi]
pub fn cpumap_run(m: &CpuMapHandle, cpu: u32, budget: u32) -> Result<PacketBatch> {
    const OP: &str = "cpu_map_kthread_run";
    guard(OP, || {
        let mut map = cpumap(m, OP)?;
        map.run(cpu, budget);
        let skbs = map.take_skbs(cpu);
        Ok(skb_batch(&skbs))
    })
}

#[napi(object)]
pub struct RedirectBinding {
    pub map: String,
    pub key: u32,
    /// A redirect target id (see `nic_target_*`).
    pub target: u32,
}

#[napi(object)]
pub struct DeviceBinding {
    pub ifindex: u32,
    pub target: u32,
}

/// Attaches a loaded BPF program; devmap/cpumap slots are bound to redirect targets, and
/// `devices` are what `bpf_redirect(ifindex)` reaches.
#[napi]
pub fn nic_attach_bpf(
    h: &NicHandle,
    obj: &super::bpf::BpfHandleAlias,
    prog: String,
    bindings: Vec<RedirectBinding>,
    devices: Vec<DeviceBinding>,
    needs: u32,
    infer_needs: Option<bool>,
    host: Option<&super::hostnet::HostNetHandle>,
    netns: Option<u32>,
) -> Result<()> {
    const OP: &str = "mvneta_xdp_setup";
    guard(OP, || {
        let st = state(h, OP)?;
        no_pending(&st, OP)?;
        let program = super::bpf::program_of(obj, &prog, OP)?;
        let mut bpf = crate::mvneta::BpfXdpProgram::new(program)?;
        bpf.infer_needs = infer_needs.unwrap_or(true);
        bpf.runner.host = super::hostnet::host_ref(host, netns);
        for b in &bindings {
            let map = super::bpf::map_handle_of(obj, &b.map, OP)?;
            let target = st.targets.get(b.target as usize).cloned().ok_or_else(|| err(Errno::EINVAL, OP, "unknown redirect target"))?;
            map.set_target(b.key, Some(Rc::new(target)))?;
        }
        for d in &devices {
            let target = st.targets.get(d.target as usize).cloned().ok_or_else(|| err(Errno::EINVAL, OP, "unknown redirect target"))?;
            bpf.devices.push((d.ifindex, target));
        }
        let prog = Program::Native(Box::new(bpf));
        dev_mut(&st, OP)?.attach(Some(prog), needs)?;
        Ok(())
    })
}
