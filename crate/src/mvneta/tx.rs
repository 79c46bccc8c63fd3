//! One TX queue: the driver's side (`mvneta_xdp_submit_frame` with one descriptor per buffer,
//! the unwind when a DMA mapping fails, completion in `mvneta_txq_done`) and the hardware's side
//! (reading announced descriptors, fetching each buffer through its DMA mapping, putting frames
//! on the wire, counting them as sent).

use super::desc::{tx, DescRing};
use super::stats::{Diag, Mib};
use super::wire::ETH_ZLEN;
use super::{dma_addr, Quirks};
use crate::frame::XdpFrame;

/// What a TX buffer slot holds (`enum mvneta_tx_buf_type`; only XDP traffic is modelled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TxBufType {
    #[default]
    Skb,
    /// A page-pool page of this device's RX queue, sent back by XDP_TX.
    XdpTx,
    /// A frame from `ndo_xdp_xmit`, mapped per buffer.
    XdpNdo,
}

#[derive(Default)]
struct TxBuf {
    ty: TxBufType,
    /// The frame, on the slot of its first descriptor.
    frame: Option<XdpFrame>,
    /// A packet from the host stack: its bytes in this buffer (the linear part or a frag).
    skb: Option<Box<[u8]>>,
    /// What the packet's owner is told when it is freed (an AF_XDP completion), on the slot of
    /// its last descriptor, as the driver keeps the skb there. Held for its drop.
    #[allow(dead_code)]
    owner: Option<Box<dyn std::any::Any>>,
    /// A first-descriptor slot whose frame was handed back by a failed submit but is still
    /// referenced (the unwind left the put index where it was).
    stale: bool,
    /// The descriptor this slot was filled for.
    desc: u32,
}

/// A DMA mapping the hardware can read through: which slot holds the frame and which segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mapping {
    dma: u32,
    slot: u32,
    seg: u8,
}

/// Faults the tests and the user can inject into the DMA API.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// Mappings that still succeed before the next one fails (None: none fails).
    pub dma_map_fail_after: Option<u32>,
}

pub struct TxRing {
    pub(crate) id: u32,
    size: u32,
    descs: DescRing,
    bufs: Vec<TxBuf>,
    put: u32,
    get: u32,
    next_desc_to_proc: u32,
    count: u32,
    pending: u32,
    stop_threshold: u32,
    wake_threshold: u32,
    stopped: bool,
    /// Per descriptor, the mapping it was written with while it is mapped.
    mapped: Vec<Option<Mapping>>,
    // The hardware's side.
    hw_pending: u32,
    hw_next: u32,
    hw_sent: u32,
    hw_frame: Option<Assembly>,
}

impl std::fmt::Debug for TxRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxRing").field("id", &self.id).field("count", &self.count).field("pending", &self.pending).finish()
    }
}

/// A frame the hardware is fetching, descriptor by descriptor.
struct Assembly {
    /// The bytes, when they are kept.
    bytes: Vec<u8>,
    len: usize,
    ok: bool,
    /// The destination address (for the MIB's broadcast/multicast counters).
    dst: [u8; 6],
    /// The first descriptor's command (its checksum offload bits).
    cmd: u32,
}

/// A frame the hardware put on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireFrame {
    pub queue: u32,
    /// The frame without FCS (as a capture shows it), padded to 60 bytes when Z_PAD asked.
    pub bytes: Vec<u8>,
}

/// `MVNETA_MAX_SKB_DESCS` with 17 frags.
pub const MAX_SKB_DESCS: u32 = 100 * 2 + 17;

impl TxRing {
    pub fn new(id: u32, size: u32) -> TxRing {
        let stop_threshold = size - MAX_SKB_DESCS;
        TxRing {
            id,
            size,
            descs: DescRing::new(size),
            bufs: (0..size).map(|_| TxBuf::default()).collect(),
            put: 0,
            get: 0,
            next_desc_to_proc: 0,
            count: 0,
            pending: 0,
            stop_threshold,
            wake_threshold: stop_threshold / 2,
            stopped: false,
            mapped: vec![None; size as usize],
            hw_pending: 0,
            hw_next: 0,
            hw_sent: 0,
            hw_frame: None,
        }
    }

    #[inline]
    fn next(&self, i: u32) -> u32 {
        if i + 1 < self.size {
            i + 1
        } else {
            0
        }
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    /// The descriptor ring, as the driver wrote it.
    pub fn descs(&self) -> &DescRing {
        &self.descs
    }

    /// What slot `i` holds (XDP_TX page-pool buffer or ndo_xdp_xmit mapping), and whether it
    /// holds a frame.
    pub fn slot(&self, i: u32) -> (TxBufType, bool) {
        let s = &self.bufs[i as usize];
        (s.ty, s.frame.is_some() || s.skb.is_some())
    }

    /// Descriptors in flight (submitted, not reclaimed).
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Descriptors written but not announced to the hardware.
    pub fn pending(&self) -> u32 {
        self.pending
    }

    pub fn put_index(&self) -> u32 {
        self.put
    }

    pub fn get_index(&self) -> u32 {
        self.get
    }

    pub fn next_desc_to_proc(&self) -> u32 {
        self.next_desc_to_proc
    }

    pub fn stop_threshold(&self) -> u32 {
        self.stop_threshold
    }

    pub fn wake_threshold(&self) -> u32 {
        self.wake_threshold
    }

    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Descriptors announced to the hardware and not sent yet.
    pub fn hw_pending(&self) -> u32 {
        self.hw_pending
    }

    /// `mvneta_txq_desc_put`: give back the last descriptor taken. The driver wraps from 0 to
    /// `last_desc - 1`, one short of the ring's end; `quirks.tx_unwind` keeps that.
    fn desc_put(&mut self, quirks: &Quirks) {
        self.next_desc_to_proc = if self.next_desc_to_proc == 0 {
            if quirks.tx_unwind {
                self.size - 2
            } else {
                self.size - 1
            }
        } else {
            self.next_desc_to_proc - 1
        };
    }

    /// `mvneta_xdp_submit_frame`: one descriptor per buffer (linear part, then each frag), FIRST
    /// on the first, LAST|Z_PAD on the last. `dma_map`: the ndo_xdp_xmit path, each buffer mapped
    /// (and a mapping may fail); else XDP_TX, the page pool's mapping. Returns the bytes queued,
    /// or the frame back when the ring has no room or a mapping failed.
    #[allow(clippy::result_large_err)]
    pub fn submit(
        &mut self,
        frame: XdpFrame,
        dma_map: bool,
        quirks: &Quirks,
        faults: &mut Faults,
        diag: &mut Diag,
    ) -> Result<u32, XdpFrame> {
        let num = frame.segment_count() as u32;
        if self.count + num >= self.size {
            return Err(frame);
        }
        let first_slot = self.put;
        let mut bytes = 0u32;
        for i in 0..num {
            let slot = self.put;
            let desc = self.next_desc_to_proc;
            self.next_desc_to_proc = self.next(desc);
            let (page, offset, data) = frame.segment(i as usize);
            let len = data.len() as u32;
            let dma = dma_addr(page) + offset;
            if dma_map {
                if let Some(n) = faults.dma_map_fail_after.as_mut() {
                    if *n == 0 {
                        faults.dma_map_fail_after = None;
                        diag.tx_dma_map_errors += 1;
                        self.desc_put(quirks);
                        self.unwind(i, first_slot, quirks);
                        return Err(frame);
                    }
                    *n -= 1;
                }
            }
            self.bufs[slot as usize] = TxBuf {
                ty: if dma_map { TxBufType::XdpNdo } else { TxBufType::XdpTx },
                frame: None,
                skb: None,
                owner: None,
                stale: false,
                desc,
            };
            self.descs.set_tx_command(desc, if i == 0 { tx::F_DESC } else { 0 });
            self.descs.set_tx_buf_phys_addr(desc, dma);
            self.descs.set_tx_data_size(desc, len as u16);
            self.mapped[desc as usize] = Some(Mapping { dma, slot: first_slot, seg: i as u8 });
            bytes += len;
            self.put = self.next(self.put);
        }
        let last = if self.next_desc_to_proc == 0 { self.size - 1 } else { self.next_desc_to_proc - 1 };
        self.descs.set_tx_command(last, self.descs.tx_command(last) | tx::L_DESC | tx::Z_PAD);
        self.bufs[first_slot as usize].frame = Some(frame);
        self.pending += num;
        self.count += num;
        Ok(bytes)
    }

    /// The `unmap:` path after buffer `filled` failed: give back and unmap each descriptor
    /// already written, newest first. The driver leaves the put index where it is, so the slots
    /// stay filled with a frame it no longer owns; `quirks.tx_unwind` keeps that.
    fn unwind(&mut self, filled: u32, first_slot: u32, quirks: &Quirks) {
        for _ in 0..filled {
            self.desc_put(quirks);
            let d = self.next_desc_to_proc as usize;
            self.mapped[d] = None;
        }
        if quirks.tx_unwind {
            if filled > 0 {
                self.bufs[first_slot as usize].stale = true;
            }
        } else {
            for _ in 0..filled {
                self.put = if self.put == 0 { self.size - 1 } else { self.put - 1 };
                self.bufs[self.put as usize] = TxBuf::default();
            }
        }
    }

    /// `mvneta_tx` for a linear packet from the host stack: one descriptor (FIRST|LAST|Z_PAD) with
    /// the checksum command `csum`, the data DMA-mapped. The queue stops once `count` reaches the
    /// stop threshold (`size - MVNETA_MAX_SKB_DESCS`); the hardware is told at once unless more
    /// packets follow (`xmit_more`), the queue stopped or 255 descriptors are pending. Err when
    /// the queue is stopped (NETDEV_TX_BUSY: the stack keeps the packet).
    pub fn start_xmit(&mut self, data: &[u8], csum: u32, xmit_more: bool) -> Result<(), ()> {
        self.start_xmit_segments(&[data], csum, xmit_more, None).map_err(|_| ())
    }

    /// `mvneta_tx` for a packet of a linear part and frags (`mvneta_tx_frag_process`): one
    /// descriptor per buffer, FIRST with the checksum command on the first, LAST|Z_PAD on the
    /// last, each buffer mapped on its own; `owner` is dropped when TX completion frees the
    /// packet. Err(owner) when the queue is stopped. The stop threshold leaves room for the
    /// largest packet, so a running queue always has the descriptors.
    #[allow(clippy::type_complexity)]
    pub fn start_xmit_segments(
        &mut self,
        segments: &[&[u8]],
        csum: u32,
        xmit_more: bool,
        owner: Option<Box<dyn std::any::Any>>,
    ) -> Result<(), Option<Box<dyn std::any::Any>>> {
        if self.stopped || segments.is_empty() || self.count + segments.len() as u32 >= self.size {
            return Err(owner);
        }
        let n = segments.len();
        let mut owner = owner;
        for (i, data) in segments.iter().enumerate() {
            let slot = self.put;
            let desc = self.next_desc_to_proc;
            self.next_desc_to_proc = self.next(desc);
            let skb: Box<[u8]> = (*data).into();
            // dma_map_single of the buffer: an address of its own.
            let dma = (skb.as_ptr() as u64 as u32) | 1;
            let cmd = match (i == 0, i + 1 == n) {
                (true, true) => csum | tx::FLZ_DESC,
                (true, false) => csum | tx::F_DESC,
                (false, true) => tx::L_DESC | tx::Z_PAD,
                (false, false) => 0,
            };
            self.descs.set_tx_command(desc, cmd);
            self.descs.set_tx_buf_phys_addr(desc, dma);
            self.descs.set_tx_data_size(desc, data.len() as u16);
            self.mapped[desc as usize] = Some(Mapping { dma, slot, seg: 0 });
            let owner = if i + 1 == n { owner.take() } else { None };
            self.bufs[slot as usize] = TxBuf { ty: TxBufType::Skb, frame: None, skb: Some(skb), owner, stale: false, desc };
            self.put = self.next(self.put);
        }
        self.count += n as u32;
        if self.count >= self.stop_threshold {
            self.stopped = true;
        }
        self.pending += n as u32;
        if !xmit_more || self.stopped || self.pending > 255 {
            self.kick();
        }
        Ok(())
    }

    /// `mvneta_txq_pend_desc_add(txq, 0)`: announce the pending descriptors to the hardware.
    pub fn kick(&mut self) {
        self.hw_pending += self.pending;
        self.pending = 0;
    }

    /// The hardware sends what was announced: each descriptor is fetched through its DMA
    /// mapping; FIRST starts a frame, LAST puts it on the wire (padded to 60 bytes with Z_PAD).
    /// A descriptor whose address is not mapped is a DMA fault and spoils its frame. Every
    /// descriptor read counts as sent. `capture`: keep the frames' bytes.
    pub fn hw_transmit(&mut self, capture: bool, wire_out: &mut Vec<WireFrame>, mib: &mut Mib, diag: &mut Diag) {
        while self.hw_pending > 0 {
            let idx = self.hw_next;
            self.hw_next = self.next(idx);
            self.hw_pending -= 1;
            self.hw_sent += 1;
            let cmd = self.descs.tx_command(idx);
            let dma = self.descs.tx_buf_phys_addr(idx);
            let len = usize::from(self.descs.tx_data_size(idx));
            if cmd & tx::F_DESC != 0 {
                if self.hw_frame.take().is_some() {
                    mib.internal_mac_transmit_err += 1;
                }
                self.hw_frame = Some(Assembly { bytes: Vec::new(), len: 0, ok: true, dst: [0; 6], cmd });
            }
            let Some(asm) = self.hw_frame.as_mut() else {
                // Data without a FIRST descriptor before it.
                mib.internal_mac_transmit_err += 1;
                continue;
            };
            let data = match self.mapped[idx as usize] {
                Some(m) if m.dma == dma => {
                    let slot = &self.bufs[m.slot as usize];
                    match (slot.frame.as_ref(), slot.skb.as_deref()) {
                        (Some(frame), _)
                            if usize::from(m.seg) < frame.segment_count() && frame.segment(usize::from(m.seg)).2.len() >= len =>
                        {
                            Some(&frame.segment(usize::from(m.seg)).2[..len])
                        }
                        (None, Some(skb)) if skb.len() >= len => Some(&skb[..len]),
                        _ => None,
                    }
                }
                _ => None,
            };
            match data {
                Some(data) => {
                    if asm.len == 0 && data.len() >= 6 {
                        asm.dst.copy_from_slice(&data[..6]);
                    }
                    asm.len += data.len();
                    if capture {
                        asm.bytes.extend_from_slice(data);
                    }
                }
                None => {
                    diag.tx_dma_faults += 1;
                    asm.ok = false;
                }
            }
            if cmd & tx::L_DESC != 0 {
                let Assembly { mut bytes, mut len, ok, dst, cmd: first_cmd } = self.hw_frame.take().expect("a frame is being assembled");
                if !ok {
                    mib.internal_mac_transmit_err += 1;
                    continue;
                }
                if cmd & tx::Z_PAD != 0 && len < ETH_ZLEN {
                    len = ETH_ZLEN;
                    if capture {
                        bytes.resize(ETH_ZLEN, 0);
                    }
                }
                mib.count_sent(&dst, len);
                if capture {
                    checksum_offload(&mut bytes, first_cmd);
                    wire_out.push(WireFrame { queue: self.id, bytes });
                }
            }
        }
    }

    /// `mvneta_txq_done` (NAPI): reclaim what the hardware sent: each slot's frame goes back to
    /// its pools, the queue wakes below the wake threshold.
    pub fn done(&mut self, diag: &mut Diag) -> u32 {
        if self.count == 0 {
            return 0;
        }
        let sent = std::mem::take(&mut self.hw_sent);
        if sent == 0 {
            return 0;
        }
        self.bufs_free(sent, diag);
        self.count = self.count.saturating_sub(sent);
        if self.stopped && self.count <= self.wake_threshold {
            self.stopped = false;
        }
        sent
    }

    fn bufs_free(&mut self, num: u32, diag: &mut Diag) {
        for _ in 0..num {
            let slot = std::mem::take(&mut self.bufs[self.get as usize]);
            if self.mapped[slot.desc as usize].is_some_and(|m| m.slot == self.get) {
                self.mapped[slot.desc as usize] = None;
            }
            if slot.stale {
                // The kernel would return a frame its caller already freed.
                diag.tx_stale_frame_returns += 1;
            }
            drop(slot.frame);
            drop(slot.skb);
            self.get = self.next(self.get);
        }
    }

    /// `mvneta_txq_done_force` at teardown: everything in flight is freed and the indexes reset.
    /// Frames left in slots the driver's accounting no longer covers are counted as leaked and
    /// still given back.
    pub fn done_force(&mut self, diag: &mut Diag) {
        self.bufs_free(self.count, diag);
        for slot in &mut self.bufs {
            if slot.frame.take().is_some() || slot.skb.take().is_some() {
                diag.tx_leaked_frames += 1;
            }
            *slot = TxBuf::default();
        }
        self.mapped.iter_mut().for_each(|m| *m = None);
        self.count = 0;
        self.put = 0;
        self.get = 0;
        self.next_desc_to_proc = 0;
        self.pending = 0;
        self.hw_pending = 0;
        self.hw_next = 0;
        self.hw_sent = 0;
        self.hw_frame = None;
        self.stopped = false;
    }
}

/// `mvneta_txq_desc_csum` for a frame: the command bits that ask the MAC to fill in the IPv4
/// header checksum and the TCP/UDP checksum (`CHECKSUM_PARTIAL`), or `L4_CSUM_NOT`.
pub fn csum_command(frame: &[u8], partial: bool) -> u32 {
    let p = super::wire::parse(frame);
    if !partial || !(p.ipv4 || p.ipv6) {
        return tx::L4_CSUM_NOT;
    }
    let Some((proto, l4)) = p.l4 else { return tx::L4_CSUM_NOT };
    let ip_hdr_words = ((l4 - p.l3) / 4) as u32;
    let mut cmd = (p.l3 as u32) << tx::L3_OFF_SHIFT | ip_hdr_words << tx::IP_HLEN_SHIFT;
    cmd |= if p.ipv4 { tx::IP_CSUM } else { tx::L3_IP6 };
    match proto {
        6 => cmd | tx::L4_CSUM_FULL,
        17 => cmd | tx::L4_UDP | tx::L4_CSUM_FULL,
        _ => cmd | tx::L4_CSUM_NOT,
    }
}

/// The MAC's checksum offload on the way out: the IPv4 header checksum (`IP_CSUM`) and the
/// TCP/UDP checksum (`L4_CSUM_FULL`), at the offsets the command gives.
fn checksum_offload(frame: &mut [u8], cmd: u32) {
    let l3 = (cmd >> tx::L3_OFF_SHIFT & 0xff) as usize;
    let l4 = l3 + 4 * (cmd >> tx::IP_HLEN_SHIFT & 0xff) as usize;
    if cmd & tx::IP_CSUM != 0 && frame.len() >= l4 && l4 >= l3 + 20 {
        frame[l3 + 10..l3 + 12].fill(0);
        let c = super::wire::checksum(0, &frame[l3..l4]);
        frame[l3 + 10..l3 + 12].copy_from_slice(&c.to_be_bytes());
    }
    if cmd & tx::L4_CSUM_FULL != 0 && cmd & tx::L4_CSUM_NOT == 0 && frame.len() > l4 + 8 {
        let udp = cmd & tx::L4_UDP != 0;
        let at = l4 + if udp { 6 } else { 16 };
        if frame.len() < at + 2 {
            return;
        }
        frame[at..at + 2].fill(0);
        let ipv6 = cmd & tx::L3_IP6 != 0;
        let pseudo = super::wire::pseudo_header_sum(&frame[l3..], ipv6, if udp { 17 } else { 6 }, (frame.len() - l4) as u32);
        let mut c = super::wire::checksum(pseudo, &frame[l4..]);
        if udp && c == 0 {
            c = 0xffff;
        }
        frame[at..at + 2].copy_from_slice(&c.to_be_bytes());
    }
}
