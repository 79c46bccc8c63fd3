//! One RX queue: the descriptor ring with a page per descriptor, the hardware's side (writing a
//! frame from the wire into as many buffers as it needs, FIRST/LAST and status bits, the
//! occupied/non-occupied counters) and the driver's software-buffer-management poll
//! (`mvneta_rx_swbm`), which turns descriptors back into complete `xdp_buff`s.

use super::desc::{rx, DescRing};
use super::stats::{Diag, Mib, SwStats};
use super::wire::{self, ETH_FCS_LEN};
use super::{dma_addr, Quirks, MH_SIZE, MVNETA_MAX_RX_BUF_SIZE, RX_OFFSET};
use crate::frame::{BuffInit, RxQueue, XdpBuff};
use crate::pool::{Page, PagePool};
use crate::xdp::{rx_metadata, RxHints};

/// At most this many descriptors are refilled per poll (`mvneta_rx_refill_queue`).
const REFILL_BATCH: u32 = 64;

/// An RX error the wire side can inject, as the MAC reports it in the first descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxError {
    Crc,
    Overrun,
    /// Max frame length error.
    Length,
    Resource,
}

impl RxError {
    fn code(self) -> u32 {
        match self {
            RxError::Crc => rx::ERR_CRC,
            RxError::Overrun => rx::ERR_OVERRUN,
            RxError::Length => rx::ERR_LEN,
            RxError::Resource => rx::ERR_RESOURCE,
        }
    }

    /// The text `mvneta_rx_error` logs for this status.
    pub fn from_status(status: u32) -> RxError {
        match status & rx::ERR_CODE_MASK {
            rx::ERR_CRC => RxError::Crc,
            rx::ERR_OVERRUN => RxError::Overrun,
            rx::ERR_LEN => RxError::Length,
            _ => RxError::Resource,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            RxError::Crc => "crc error",
            RxError::Overrun => "overrun error",
            RxError::Length => "max frame length error",
            RxError::Resource => "resource error",
        }
    }
}

/// What the wire side says about one offered frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct WireRx {
    /// Receive time, ns; the device clock when None.
    pub timestamp: Option<u64>,
    /// An error the MAC flags in the descriptor.
    pub error: Option<RxError>,
}

/// Why the hardware did not take a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HwRxDrop {
    /// Not enough descriptors with buffers: `rx_discard`.
    NoDescriptors,
    /// Shorter than the 64-byte minimum with FCS: `undersize_received`.
    Undersize,
}

/// The hardware's knobs for receiving.
#[derive(Clone, Copy, Debug)]
pub struct HwRxConfig {
    /// The largest frame the GMAC takes, with MH and FCS (`pkt_size`).
    pub max_rx_size: u32,
    /// `rx_metadata` bits: which hints the MAC produces.
    pub hints: u32,
    /// NETIF_F_RXCSUM: the parser verifies L4 checksums.
    pub rx_csum: bool,
    /// Compute the FCS of every frame (not only where software can see it).
    pub compute_fcs: bool,
}

/// A complete frame the driver took off the ring, ready for XDP.
pub struct RxFrame {
    pub buff: XdpBuff,
    /// The first descriptor's status (checksum bits).
    pub desc_status: u32,
    /// `size - ETH_FCS_LEN`: the frame with its Marvell header, for the byte counters.
    pub frame_sz: u32,
    pub hints: RxHints,
    /// The linear length before the program (`data_end - data`), for the byte counters.
    pub data_len_before: u32,
}

/// The bookkeeping of a frame whose LAST descriptor has not been seen yet (the frame itself is
/// built in place at the end of the output).
#[derive(Clone, Copy)]
struct OpenState {
    /// Bytes of the frame (with MH and FCS) not consumed yet.
    size: i64,
    /// `xdp_frags_size` as the driver sets it at the first frag (the bytes still to come).
    frags_size_at_first: Option<u32>,
    /// The shared info's truesize before the first frag: mvneta never writes it.
    stale_truesize: u32,
}

pub struct RxRing {
    pub(crate) id: u32,
    size: u32,
    descs: DescRing,
    bufs: Vec<Option<Page>>,
    hints: Vec<RxHints>,
    next_desc_to_proc: u32,
    first_to_refill: u32,
    refill_num: u32,
    /// The frame being assembled: its state, and (between polls, when split frames carry over)
    /// the frame itself.
    open: Option<OpenState>,
    carried: Option<RxFrame>,
    // The hardware's side.
    hw_occupied: u32,
    hw_free: u32,
    hw_next: u32,
    pub(crate) pool: PagePool,
    rxq: RxQueue,
    max_frags: u8,
}

impl std::fmt::Debug for RxRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RxRing").field("id", &self.id).field("occupied", &self.hw_occupied).field("free", &self.hw_free).finish()
    }
}

/// The offset of the shared info in a head page (where the stale truesize is read from).
fn shinfo_base(page_size: u32, max_frags: u8) -> u32 {
    page_size - crate::frame::layout::shinfo_tailroom(max_frags)
}

impl RxRing {
    pub fn new(id: u32, size: u32, pool: PagePool, rxq: RxQueue, max_frags: u8) -> RxRing {
        RxRing {
            id,
            size,
            descs: DescRing::new(size),
            bufs: (0..size).map(|_| None).collect(),
            hints: vec![RxHints::default(); size as usize],
            next_desc_to_proc: 0,
            first_to_refill: 0,
            refill_num: 0,
            open: None,
            carried: None,
            hw_occupied: 0,
            hw_free: 0,
            hw_next: 0,
            pool,
            rxq,
            max_frags,
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

    /// The descriptor ring, as the hardware and driver left it.
    pub fn descs(&self) -> &DescRing {
        &self.descs
    }

    /// Descriptors the hardware has filled and the driver not yet processed.
    pub fn occupied(&self) -> u32 {
        self.hw_occupied
    }

    /// Descriptors with a buffer the hardware may fill.
    pub fn free(&self) -> u32 {
        self.hw_free
    }

    pub fn next_desc_to_proc(&self) -> u32 {
        self.next_desc_to_proc
    }

    pub fn refill_num(&self) -> u32 {
        self.refill_num
    }

    /// `mvneta_rx_refill`: a page for descriptor `i`.
    fn refill_one(&mut self, i: u32) -> bool {
        match self.pool.alloc() {
            Ok(page) => {
                self.descs.set_rx_buf_phys_addr(i, dma_addr(&page) + RX_OFFSET);
                self.bufs[i as usize] = Some(page);
                true
            }
            Err(_) => false,
        }
    }

    /// `mvneta_rxq_fill`: a buffer for every descriptor, all handed to the hardware. Returns how
    /// many got one (fewer when the pool runs dry).
    pub fn fill(&mut self) -> u32 {
        let mut filled = 0;
        for i in 0..self.size {
            self.descs.clear(i);
            if !self.refill_one(i) {
                break;
            }
            filled += 1;
        }
        self.hw_free = filled;
        filled
    }

    /// The hardware receives `frame` (no FCS): the MAC appends the FCS bytes, the DMA engine
    /// writes MH + frame + FCS into as many buffers as it takes from `RX_OFFSET` on, and sets
    /// the descriptors' status and sizes.
    pub fn hw_receive(&mut self, frame: &[u8], info: WireRx, clock: u64, cfg: &HwRxConfig, mib: &mut Mib) -> Result<(), HwRxDrop> {
        let wire_len = frame.len() as u32 + ETH_FCS_LEN;
        if wire_len < 64 {
            mib.undersize_received += 1;
            return Err(HwRxDrop::Undersize);
        }
        let parsed = wire::parse(frame);
        // The MAC strips an outer VLAN tag when it reports tags as hints.
        let strip = cfg.hints & rx_metadata::VLAN_TAG != 0 && parsed.vlan.is_some();
        let (head, tail): (&[u8], &[u8]) = if strip { (&frame[..12], &frame[16..]) } else { (frame, &[]) };
        let data_len = (head.len() + tail.len()) as u32;
        let total = MH_SIZE + data_len + ETH_FCS_LEN;
        let mut error = info.error;
        if error.is_none() && MH_SIZE + wire_len > cfg.max_rx_size {
            mib.oversize_received += 1;
            error = Some(RxError::Length);
        }
        // An errored frame takes one descriptor; the driver only looks at its status.
        let needed = if error.is_some() { 1 } else { total.div_ceil(MVNETA_MAX_RX_BUF_SIZE) };
        if needed > self.hw_free {
            mib.rx_discard += 1;
            return Err(HwRxDrop::NoDescriptors);
        }
        // The FCS is computed where software can see it: when the last buffer holds only one
        // to three FCS bytes, the others end the previous buffer's data. Elsewhere the four bytes
        // after the data are never read, and written as zeros (or computed, with `compute_fcs`).
        let visible = total > MVNETA_MAX_RX_BUF_SIZE && (1..=3).contains(&(total % MVNETA_MAX_RX_BUF_SIZE));
        let fcs = if cfg.compute_fcs || visible { wire::fcs(frame).to_le_bytes() } else { [0; 4] };
        let mut status_first = 0;
        let mut hints = RxHints::default();
        if parsed.ipv4 {
            status_first |= rx::L3_IP4;
            if cfg.rx_csum && wire::l4_checksum_ok(frame, &parsed) {
                status_first |= rx::L4_CSUM_OK;
            }
        }
        if cfg.hints & rx_metadata::HASH != 0 {
            hints.hash = wire::rss_hash(frame, &parsed);
        }
        if strip {
            hints.vlan = parsed.vlan;
        }
        if cfg.hints & rx_metadata::TIMESTAMP != 0 {
            hints.timestamp = Some(info.timestamp.unwrap_or(clock));
        }
        if let Some(e) = error {
            status_first |= rx::ERR_SUMMARY | e.code();
            match e {
                RxError::Crc => mib.bad_crc_event += 1,
                RxError::Overrun => mib.rx_overrun += 1,
                _ => mib.mac_receive_error += 1,
            }
            mib.bad_frames_received += 1;
            mib.bad_octets_received += u64::from(wire_len);
        } else {
            mib.count_received(frame, wire_len);
        }
        if needed == 1 && tail.is_empty() && total <= MVNETA_MAX_RX_BUF_SIZE {
            // One buffer, nothing stripped: MH, frame, FCS in place.
            let idx = self.hw_next;
            self.hw_next = self.next(idx);
            let page = self.bufs[idx as usize].as_mut().expect("a descriptor handed to the hardware has a buffer");
            let at = RX_OFFSET as usize;
            let n = head.len();
            let dst = &mut page.bytes_mut()[at..at + total as usize];
            dst[..2].fill(0);
            dst[2..2 + n].copy_from_slice(head);
            dst[2 + n..2 + n + 4].copy_from_slice(&fcs);
            self.descs.set_rx_status(idx, rx::FIRST_DESC | rx::LAST_DESC | status_first);
            self.descs.set_rx_data_size(idx, total.min(u32::from(u16::MAX)) as u16);
            self.hints[idx as usize] = hints;
            self.hw_free -= 1;
            self.hw_occupied += 1;
            return Ok(());
        }
        // The byte stream the DMA engine writes: MH, the frame (VLAN tag stripped), the FCS.
        let pieces: [&[u8]; 4] = [&[0u8; MH_SIZE as usize], head, tail, &fcs];
        let mut piece = 0usize;
        let mut piece_off = 0usize;
        let mut remaining = total;
        for j in 0..needed {
            let idx = self.hw_next;
            self.hw_next = self.next(idx);
            let chunk = remaining.min(MVNETA_MAX_RX_BUF_SIZE);
            let page = self.bufs[idx as usize].as_mut().expect("a descriptor handed to the hardware has a buffer");
            let dst = &mut page.bytes_mut()[RX_OFFSET as usize..(RX_OFFSET + chunk) as usize];
            let mut at = 0usize;
            while at < dst.len() {
                let src = pieces[piece];
                let n = (src.len() - piece_off).min(dst.len() - at);
                dst[at..at + n].copy_from_slice(&src[piece_off..piece_off + n]);
                at += n;
                piece_off += n;
                if piece_off == src.len() {
                    piece += 1;
                    piece_off = 0;
                }
            }
            remaining -= chunk;
            let mut status = 0;
            if j == 0 {
                status |= rx::FIRST_DESC | status_first;
                self.hints[idx as usize] = hints;
            }
            if j + 1 == needed {
                status |= rx::LAST_DESC;
            }
            self.descs.set_rx_status(idx, status);
            // The first descriptor carries the whole frame's length, the others their own bytes.
            self.descs.set_rx_data_size(idx, if j == 0 { total.min(u32::from(u16::MAX)) as u16 } else { chunk as u16 });
        }
        self.hw_free -= needed;
        self.hw_occupied += needed;
        Ok(())
    }

    /// `mvneta_rx_swbm`, up to the point where each complete frame is ready for XDP: walks up to
    /// `budget` occupied descriptors, appending complete frames to `out`. Returns the number of
    /// descriptors processed (`rx_proc`), to be passed to `finish`.
    pub fn collect(&mut self, budget: u32, quirks: &Quirks, out: &mut Vec<RxFrame>, stats: &mut SwStats, diag: &mut Diag) -> u32 {
        let rx_todo = self.hw_occupied;
        let mut rx_proc = 0;
        if let Some(f) = self.carried.take() {
            out.push(f);
        }
        while rx_proc < budget && rx_proc < rx_todo {
            let idx = self.next_desc_to_proc;
            self.next_desc_to_proc = self.next(idx);
            let status = self.descs.rx_status(idx);
            rx_proc += 1;
            self.refill_num += 1;
            if status & rx::FIRST_DESC != 0 {
                if self.open.take().is_some() {
                    out.pop();
                    diag.rx_unterminated_dropped += 1;
                }
                if status & rx::ERR_SUMMARY != 0 {
                    // The buffer stays on the descriptor and is reused.
                    stats.rx_errors += 1;
                    diag.last_rx_error = Some(RxError::from_status(status).message());
                    continue;
                }
                self.start_frame(idx, status, out);
            } else if self.open.is_none() {
                // The rest of a frame that was dropped: recycled.
                self.bufs[idx as usize] = None;
                self.descs.set_rx_buf_phys_addr(idx, 0);
                diag.rx_orphans += 1;
                continue;
            } else {
                let f = out.last_mut().expect("the open frame is the last one out");
                let st = self.open.as_mut().expect("an open frame");
                let page = {
                    self.descs.set_rx_buf_phys_addr(idx, 0);
                    self.bufs[idx as usize].take().expect("an occupied descriptor has a buffer")
                };
                add_fragment(st, &mut f.buff, page, self.max_frags);
            }
            if status & rx::LAST_DESC == 0 {
                continue;
            }
            let st = self.open.take().expect("a frame is open at its LAST descriptor");
            if st.size != 0 {
                out.pop();
                diag.rx_length_mismatch_dropped += 1;
                continue;
            }
            finalize(st, out.last_mut().expect("the open frame"), quirks);
        }
        if self.open.is_some() {
            let f = out.pop().expect("the open frame");
            if quirks.drop_split_frames {
                self.open = None;
                diag.rx_split_dropped += 1;
                drop(f);
            } else {
                self.carried = Some(f);
            }
        }
        rx_proc
    }

    /// `mvneta_swbm_rx_frame`: the first buffer starts a frame, built in place in `out`.
    fn start_frame(&mut self, idx: u32, status: u32, out: &mut Vec<RxFrame>) {
        let size = u32::from(self.descs.rx_data_size(idx));
        let (len, data_len) = if size > MVNETA_MAX_RX_BUF_SIZE {
            (MVNETA_MAX_RX_BUF_SIZE, MVNETA_MAX_RX_BUF_SIZE - MH_SIZE)
        } else {
            (size, size.saturating_sub(MH_SIZE + ETH_FCS_LEN))
        };
        self.descs.set_rx_buf_phys_addr(idx, 0);
        let page = self.bufs[idx as usize].take().expect("an occupied descriptor has a buffer");
        let page_size = page.size();
        let stale_truesize = if size > MVNETA_MAX_RX_BUF_SIZE {
            let at = shinfo_base(page_size, self.max_frags) as usize + crate::frame::layout::shinfo::XDP_FRAGS_TRUESIZE;
            u32::from_le_bytes(page.bytes()[at..at + 4].try_into().expect("4 bytes"))
        } else {
            0
        };
        let init = BuffInit {
            hard_start: 0,
            headroom: RX_OFFSET + MH_SIZE,
            len: data_len,
            frame_sz: page_size,
            meta_valid: true,
            max_frags: self.max_frags,
            rxq: self.rxq,
        };
        let buff = XdpBuff::new(page, init).expect("a driver buffer fits its page");
        out.push(RxFrame {
            buff,
            desc_status: status,
            frame_sz: size.saturating_sub(ETH_FCS_LEN),
            hints: self.hints[idx as usize],
            data_len_before: data_len,
        });
        self.open = Some(OpenState { size: i64::from(size) - i64::from(len), frags_size_at_first: None, stale_truesize });
    }

    /// The end of the poll: refill what was consumed (at most 64 descriptors), then tell the
    /// hardware how many descriptors were processed and how many can take frames again.
    pub fn finish(&mut self, rx_proc: u32, stats: &mut SwStats) -> u32 {
        let mut curr = self.first_to_refill;
        let mut i = 0;
        while i < self.refill_num && i < REFILL_BATCH {
            if self.descs.rx_buf_phys_addr(curr) == 0 && !self.refill_one(curr) {
                stats.refill_error += 1;
                break;
            }
            curr = self.next(curr);
            i += 1;
        }
        self.refill_num -= i;
        self.first_to_refill = curr;
        self.hw_occupied -= rx_proc;
        self.hw_free += i;
        i
    }

    /// `mvneta_rxq_drop_pkts` and the end of the queue: every page back to its pool.
    pub fn drop_all(&mut self) {
        self.open = None;
        self.carried = None;
        for b in &mut self.bufs {
            *b = None;
        }
        for i in 0..self.size {
            self.descs.clear(i);
        }
        self.hw_free = 0;
        self.hw_occupied = 0;
        self.refill_num = 0;
        self.next_desc_to_proc = 0;
        self.first_to_refill = 0;
        self.hw_next = 0;
    }
}

/// `mvneta_swbm_add_rx_fragment`: a later buffer becomes a frag, or goes straight back when it
/// holds only FCS bytes or no frag slot is left.
fn add_fragment(st: &mut OpenState, buff: &mut XdpBuff, page: Page, max_frags: u8) {
    let max = i64::from(MVNETA_MAX_RX_BUF_SIZE);
    let (len, data_len) = if st.size > max { (max, max) } else { (st.size, st.size - i64::from(ETH_FCS_LEN)) };
    if data_len > 0 && buff.nr_frags() < max_frags {
        let first = !buff.has_frags();
        let truesize = buff.frame_sz();
        match buff.add_frag(page, RX_OFFSET, data_len as u32, truesize) {
            Ok(()) if first => st.frags_size_at_first = Some(st.size.max(0) as u32),
            Ok(()) => {}
            Err((_, page)) => drop(page),
        }
    }
    st.size -= len;
}

/// At LAST: `xdp_frags_size` as the driver leaves it (with the FCS bytes, `quirks.fcs_in_frags_size`),
/// and the truesize it never writes.
fn finalize(st: OpenState, f: &mut RxFrame, quirks: &Quirks) {
    if let Some(at_first) = st.frags_size_at_first {
        let mut sinfo = f.buff.shinfo_mut();
        if quirks.fcs_in_frags_size {
            sinfo.set_frags_size(at_first);
        }
        sinfo.set_frags_truesize(st.stale_truesize);
    }
}
