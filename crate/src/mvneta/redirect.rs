//! Where XDP_REDIRECT sends frames: another device's `ndo_xdp_xmit` (a devmap entry, or
//! `bpf_redirect` by ifindex), or a cpumap entry, whose per-CPU queue a kthread turns into skbs.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use super::device::Mvneta;
use crate::errno::{Errno, Result, XdpError};
use crate::frame::{NetDev, Skb, XdpFrame};
use crate::xsk::XskSocket;

/// `DEV_MAP_BULK_SIZE`: frames queued per target device before a send.
pub const DEV_MAP_BULK_SIZE: usize = 16;
/// `CPU_MAP_BULK_SIZE`.
pub const CPU_MAP_BULK_SIZE: usize = 8;

/// A redirect destination. Weak: a program or map does not keep a device alive.
#[derive(Clone, Debug)]
pub enum RedirectTarget {
    Device(Weak<RefCell<Mvneta>>),
    Cpu(Weak<RefCell<CpuMap>>, u32),
    /// An AF_XDP socket in an xskmap slot.
    Xsk(Weak<RefCell<XskSocket>>),
}

impl RedirectTarget {
    pub fn device(dev: &Rc<RefCell<Mvneta>>) -> RedirectTarget {
        RedirectTarget::Device(Rc::downgrade(dev))
    }

    pub fn cpu(map: &Rc<RefCell<CpuMap>>, cpu: u32) -> RedirectTarget {
        RedirectTarget::Cpu(Rc::downgrade(map), cpu)
    }

    pub fn xsk(sock: &Rc<RefCell<XskSocket>>) -> RedirectTarget {
        RedirectTarget::Xsk(Rc::downgrade(sock))
    }

    /// The same destination (for grouping frames into bulk queues).
    pub fn same(&self, other: &RedirectTarget) -> bool {
        match (self, other) {
            (RedirectTarget::Device(a), RedirectTarget::Device(b)) => Weak::ptr_eq(a, b),
            (RedirectTarget::Cpu(a, x), RedirectTarget::Cpu(b, y)) => Weak::ptr_eq(a, b) && x == y,
            (RedirectTarget::Xsk(a), RedirectTarget::Xsk(b)) => Weak::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// Frames redirected during one poll, per destination, flushed at its end (`xdp_do_flush`).
#[derive(Default)]
pub struct RedirectQueues {
    pub queues: Vec<(RedirectTarget, Vec<(XdpFrame, NetDev)>)>,
    /// AF_XDP sockets that took frames this poll (`xskmap_flush_list`).
    pub sockets: Vec<Weak<RefCell<XskSocket>>>,
}

impl RedirectQueues {
    pub fn push(&mut self, target: &RedirectTarget, frame: XdpFrame, rx_dev: NetDev) {
        match self.queues.iter_mut().find(|(t, _)| t.same(target)) {
            Some((_, q)) => q.push((frame, rx_dev)),
            None => self.queues.push((target.clone(), vec![(frame, rx_dev)])),
        }
    }

    pub fn push_xsk(&mut self, sock: &Weak<RefCell<XskSocket>>) {
        if !self.sockets.iter().any(|s| Weak::ptr_eq(s, sock)) {
            self.sockets.push(sock.clone());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.queues.is_empty() && self.sockets.is_empty()
    }
}

/// What a flush did with the frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Frames a target device took.
    pub sent: u64,
    /// Frames a target device refused (`xdp:xdp_devmap_xmit` drops), freed.
    pub devmap_drops: u64,
    /// Frames a full cpumap queue refused (`xdp:xdp_cpumap_enqueue` drops), freed.
    pub cpumap_drops: u64,
    /// Frames queued to a cpumap entry.
    pub cpumap_enqueued: u64,
    /// Frames whose target was gone (freed).
    pub target_gone: u64,
    /// AF_XDP sockets whose RX ring was published.
    pub xsk_flushed: u64,
}

/// `__dev_flush` / `__cpu_map_flush`: each device gets its frames in bulks of 16 (all but the
/// last without XDP_XMIT_FLUSH, as a full bulk queue is sent mid-poll), frames it refuses are
/// freed; each cpumap entry queues its frames in bulks of 8, dropping what does not fit.
pub fn flush(queues: RedirectQueues) -> FlushReport {
    let mut report = FlushReport::default();
    for sock in &queues.sockets {
        if let Some(s) = sock.upgrade() {
            if s.borrow_mut().flush() {
                report.xsk_flushed += 1;
            }
        }
    }
    for (target, frames) in queues.queues {
        match target {
            RedirectTarget::Device(weak) => {
                let Some(dev) = weak.upgrade() else {
                    report.target_gone += frames.len() as u64;
                    continue;
                };
                let mut frames: Vec<XdpFrame> = frames.into_iter().map(|(f, _)| f).collect();
                let mut dev = dev.borrow_mut();
                while !frames.is_empty() {
                    let rest = frames.split_off(frames.len().min(DEV_MAP_BULK_SIZE));
                    let flags = if rest.is_empty() { super::device::XDP_XMIT_FLUSH } else { 0 };
                    let n = frames.len() as u64;
                    match dev.xdp_xmit(std::mem::take(&mut frames), flags) {
                        Ok((sent, refused)) => {
                            report.sent += u64::from(sent);
                            report.devmap_drops += refused.len() as u64;
                        }
                        Err((_, refused)) => report.devmap_drops += refused.len().max(n as usize) as u64,
                    }
                    frames = rest;
                }
            }
            RedirectTarget::Xsk(_) => report.target_gone += frames.len() as u64,
            RedirectTarget::Cpu(weak, cpu) => {
                let Some(map) = weak.upgrade() else {
                    report.target_gone += frames.len() as u64;
                    continue;
                };
                let mut map = map.borrow_mut();
                for (frame, dev) in frames {
                    if map.enqueue(cpu, frame, dev) {
                        report.cpumap_enqueued += 1;
                    } else {
                        report.cpumap_drops += 1;
                    }
                }
            }
        }
    }
    report
}

/// One cpumap entry: the ptr_ring of `qsize` frames, and what its kthread produced.
#[derive(Default)]
pub struct CpuEntry {
    pub qsize: u32,
    queue: VecDeque<(XdpFrame, NetDev)>,
    skbs: VecDeque<Skb>,
    pub enqueued: u64,
    pub drops: u64,
    pub processed: u64,
    pub skb_errors: u64,
}

/// `BPF_MAP_TYPE_CPUMAP`.
#[derive(Default)]
pub struct CpuMap {
    entries: Vec<Option<CpuEntry>>,
}

impl CpuMap {
    pub fn new(max_entries: u32) -> CpuMap {
        CpuMap { entries: (0..max_entries).map(|_| None).collect() }
    }

    /// `bpf_map_update_elem` on entry `cpu`: a new queue of `qsize` frames (frames still queued
    /// on the old entry are freed, as its teardown does); qsize 0 deletes the entry. E2BIG past
    /// `max_entries`.
    pub fn set(&mut self, cpu: u32, qsize: u32) -> Result<()> {
        let slot = self
            .entries
            .get_mut(cpu as usize)
            .ok_or_else(|| XdpError::new(Errno::E2BIG, "cpu_map_update_elem", "key past max_entries").limit(u64::from(cpu)))?;
        *slot = (qsize > 0).then(|| CpuEntry { qsize, ..CpuEntry::default() });
        Ok(())
    }

    pub fn entry(&self, cpu: u32) -> Option<&CpuEntry> {
        self.entries.get(cpu as usize)?.as_ref()
    }

    /// Queues a frame, false (and frees it) when the entry is missing or its ring is full.
    pub fn enqueue(&mut self, cpu: u32, frame: XdpFrame, dev: NetDev) -> bool {
        let Some(Some(e)) = self.entries.get_mut(cpu as usize) else { return false };
        if e.queue.len() >= e.qsize as usize {
            e.drops += 1;
            return false;
        }
        e.queue.push_back((frame, dev));
        e.enqueued += 1;
        true
    }

    /// The entry's kthread: up to `budget` frames become skbs (`__xdp_build_skb_from_frame`).
    pub fn run(&mut self, cpu: u32, budget: u32) -> u32 {
        let Some(Some(e)) = self.entries.get_mut(cpu as usize) else { return 0 };
        let mut n = 0;
        while n < budget {
            let Some((frame, dev)) = e.queue.pop_front() else { break };
            match frame.into_skb(dev) {
                Ok(skb) => e.skbs.push_back(skb),
                Err(_) => e.skb_errors += 1,
            }
            e.processed += 1;
            n += 1;
        }
        n
    }

    /// The skbs the entry's kthread handed to the stack, taken.
    pub fn take_skbs(&mut self, cpu: u32) -> Vec<Skb> {
        match self.entries.get_mut(cpu as usize) {
            Some(Some(e)) => e.skbs.drain(..).collect(),
            _ => Vec::new(),
        }
    }

    /// Frames still queued on entry `cpu`.
    pub fn queued(&self, cpu: u32) -> u32 {
        self.entry(cpu).map_or(0, |e| e.queue.len() as u32)
    }
}
