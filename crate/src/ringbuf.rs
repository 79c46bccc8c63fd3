//! `BPF_MAP_TYPE_RINGBUF`: the kernel's BPF ring buffer (`kernel/bpf/ringbuf.c`), producer side
//! as BPF helpers see it, and the consumer side as libbpf's `ring_buffer__poll` drives it.
//!
//! Layout: a power-of-two data area; free-running 64-bit consumer, producer and pending
//! positions; each record an 8-byte header (`len` with the BUSY and DISCARD bits, and the
//! record's page offset) followed by the sample, the whole rounded up to 8 bytes. The kernel maps
//! the data pages twice so a record that wraps is contiguous; here the data area is allocated
//! twice as large, and a committed record's wrapped tail is copied to the start, so the first
//! half always reads as the kernel's single mapping.

use crate::dynptr::{Dynptr, DynptrKind};
use crate::errno::{Errno, Result, XdpError};

pub const BPF_RINGBUF_BUSY_BIT: u32 = 1 << 31;
pub const BPF_RINGBUF_DISCARD_BIT: u32 = 1 << 30;
pub const BPF_RINGBUF_HDR_SZ: u32 = 8;

/// `bpf_ringbuf_submit/discard/output` flags.
pub const BPF_RB_NO_WAKEUP: u64 = 1 << 0;
pub const BPF_RB_FORCE_WAKEUP: u64 = 1 << 1;

/// `bpf_ringbuf_query` flags.
pub const BPF_RB_AVAIL_DATA: u64 = 0;
pub const BPF_RB_RING_SIZE: u64 = 1;
pub const BPF_RB_CONS_POS: u64 = 2;
pub const BPF_RB_PROD_POS: u64 = 3;

/// `RINGBUF_MAX_RECORD_SZ`.
const MAX_RECORD_SZ: u64 = (u32::MAX / 4) as u64;
const PAGE_SIZE: u32 = 4096;
/// Pages of `struct bpf_ringbuf` before the data: header, consumer position, producer position.
const DATA_PGOFF: u64 = 3;
/// Where ring buffers' data areas live in the synthetic address space.
const RINGBUF_ADDR_BASE: u64 = 0xffff_c900_0000_0000;
static NEXT_RING: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// `round_up(len + BPF_RINGBUF_HDR_SZ, 8)` of a header's length field, flag bits cleared.
#[inline]
fn record_span(hdr_len: u32) -> u64 {
    let len = u64::from(hdr_len & !(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT));
    (len + u64::from(BPF_RINGBUF_HDR_SZ) + 7) & !7
}

/// A record as the consumer hands it over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Consumer position of the record's header.
    pub pos: u64,
    /// Offset of the sample in the (doubled) data area.
    pub sample: usize,
    pub len: u32,
    pub discarded: bool,
}

pub struct RingBuf {
    /// Twice the ring size (see the module docs).
    data: Box<[u8]>,
    mask: u64,
    consumer_pos: u64,
    producer_pos: u64,
    pending_pos: u64,
    /// Wakeups the kernel would have queued for a waiting consumer (`irq_work_queue`).
    notifications: u64,
    /// Whether the consumer's epoll item is on the ready list: put there by a wakeup, kept there
    /// after each report (libbpf's EPOLLIN is level-triggered), dropped when a re-check finds no data.
    epoll_ready: bool,
    /// Address of the first data byte (header page offsets and dynptr `data` are derived from it).
    base_addr: u64,
}

impl std::fmt::Debug for RingBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingBuf")
            .field("size", &self.size())
            .field("consumer_pos", &self.consumer_pos)
            .field("producer_pos", &self.producer_pos)
            .finish()
    }
}

impl RingBuf {
    /// A ring of `max_entries` data bytes: a power of two and a whole number of pages (EINVAL
    /// otherwise, as map creation refuses).
    pub fn new(max_entries: u32) -> Result<RingBuf> {
        if !max_entries.is_power_of_two() || !max_entries.is_multiple_of(PAGE_SIZE) {
            return Err(XdpError::new(
                Errno::EINVAL,
                "ringbuf_map_alloc",
                "max_entries must be a power of two and a multiple of the page size",
            )
            .len(u64::from(max_entries)));
        }
        let n = NEXT_RING.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 4096;
        Ok(RingBuf {
            data: vec![0u8; 2 * max_entries as usize].into_boxed_slice(),
            mask: u64::from(max_entries) - 1,
            consumer_pos: 0,
            producer_pos: 0,
            pending_pos: 0,
            notifications: 0,
            epoll_ready: false,
            base_addr: RINGBUF_ADDR_BASE + (n << 32) + DATA_PGOFF * u64::from(PAGE_SIZE),
        })
    }

    /// `ringbuf_total_data_sz`.
    pub fn size(&self) -> u32 {
        (self.mask + 1) as u32
    }

    pub fn consumer_pos(&self) -> u64 {
        self.consumer_pos
    }

    pub fn producer_pos(&self) -> u64 {
        self.producer_pos
    }

    pub fn pending_pos(&self) -> u64 {
        self.pending_pos
    }

    pub fn notifications(&self) -> u64 {
        self.notifications
    }

    /// The data area as the kernel's single mapping shows it.
    pub fn data(&self) -> &[u8] {
        &self.data[..self.size() as usize]
    }

    /// The address a dynptr or pointer to the sample at `sample` (offset in the data area) has.
    pub fn sample_addr(&self, sample: usize) -> u64 {
        self.base_addr + sample as u64
    }

    /// Where the sample at `sample` is in this process's memory: what a BPF program run by the
    /// engine holds as its pointer.
    pub fn host_addr(&self, sample: usize) -> u64 {
        self.data.as_ptr() as u64 + sample as u64
    }

    /// The offset in the data area of a host address from [`RingBuf::host_addr`].
    pub fn sample_of_host(&self, addr: u64) -> Option<usize> {
        let off = addr.checked_sub(self.data.as_ptr() as u64)?;
        (off < self.data.len() as u64).then_some(off as usize)
    }

    /// The offset in the data area of a sample address, if it is one of this ring's.
    pub fn sample_offset(&self, addr: u64) -> Option<usize> {
        let off = addr.checked_sub(self.base_addr)?;
        (off < 2 * (self.mask + 1)).then_some(off as usize)
    }

    /// The whole (doubled) data area as a dynptr backing: ring dynptrs' `data` are addresses in it.
    pub fn backing(&mut self) -> crate::dynptr::Backing<'_> {
        crate::dynptr::Backing::Mem { base: self.base_addr, bytes: &mut self.data }
    }

    /// The `len` bytes of the sample at `sample`, contiguous even when the record wraps.
    pub fn sample_mut(&mut self, sample: usize, len: usize) -> &mut [u8] {
        &mut self.data[sample..sample + len]
    }

    /// The size a sample was reserved with (its header's length, without the BUSY and DISCARD bits).
    pub fn reserved_len(&self, sample: usize) -> u32 {
        let at = sample - BPF_RINGBUF_HDR_SZ as usize;
        u32::from_le_bytes(self.data[at..at + 4].try_into().expect("4 bytes")) & !(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)
    }

    pub fn sample(&self, sample: usize, len: usize) -> &[u8] {
        &self.data[sample..sample + len]
    }

    fn hdr_len(&self, pos: u64) -> u32 {
        let at = (pos & self.mask) as usize;
        u32::from_le_bytes(self.data[at..at + 4].try_into().expect("4 bytes"))
    }

    fn set_hdr(&mut self, at: usize, len: u32, pg_off: u32) {
        self.data[at..at + 4].copy_from_slice(&len.to_le_bytes());
        self.data[at + 4..at + 8].copy_from_slice(&pg_off.to_le_bytes());
    }

    /// `__bpf_ringbuf_reserve`: room for a `size`-byte sample, marked busy; the sample's offset in
    /// the data area, or None when the record is too large or the ring is too full (counting
    /// space held by records reserved before and not yet committed).
    pub fn reserve(&mut self, size: u64) -> Option<usize> {
        if size > MAX_RECORD_SZ {
            return None;
        }
        let len = (size + u64::from(BPF_RINGBUF_HDR_SZ) + 7) & !7;
        if len > self.mask + 1 {
            return None;
        }
        let prod_pos = self.producer_pos;
        let new_prod_pos = prod_pos + len;
        // Skip committed records at the pending position: they no longer hold the ring back.
        let mut pend_pos = self.pending_pos;
        while pend_pos < prod_pos {
            let hdr_len = self.hdr_len(pend_pos);
            if hdr_len & BPF_RINGBUF_BUSY_BIT != 0 {
                break;
            }
            pend_pos += record_span(hdr_len);
        }
        self.pending_pos = pend_pos;
        if new_prod_pos - self.consumer_pos > self.mask || new_prod_pos - pend_pos > self.mask {
            return None;
        }
        let at = (prod_pos & self.mask) as usize;
        let pg_off = ((DATA_PGOFF * u64::from(PAGE_SIZE) + at as u64) / u64::from(PAGE_SIZE)) as u32;
        self.set_hdr(at, size as u32 | BPF_RINGBUF_BUSY_BIT, pg_off);
        self.producer_pos = new_prod_pos;
        // Reserved memory is not cleared: a wrapped tail shows what the start of the ring holds,
        // as the kernel's second mapping of the same pages would.
        let sample = at + BPF_RINGBUF_HDR_SZ as usize;
        let ring = self.size() as usize;
        let end = sample + size as usize;
        if end > ring {
            self.data.copy_within(0..end - ring, ring);
        }
        Some(sample)
    }

    /// `bpf_ringbuf_commit`: clear BUSY (set DISCARD to drop the record), and decide on waking
    /// the consumer: always with BPF_RB_FORCE_WAKEUP, otherwise only when the consumer waits at
    /// this very record and BPF_RB_NO_WAKEUP is not set.
    pub fn commit(&mut self, sample: usize, flags: u64, discard: bool) {
        let at = sample - BPF_RINGBUF_HDR_SZ as usize;
        let mut len = u32::from_le_bytes(self.data[at..at + 4].try_into().expect("4 bytes")) ^ BPF_RINGBUF_BUSY_BIT;
        if discard {
            len |= BPF_RINGBUF_DISCARD_BIT;
        }
        self.data[at..at + 4].copy_from_slice(&len.to_le_bytes());
        // The kernel's second mapping makes a wrapped tail land at the start: mirror it there.
        let end = sample + (len & !(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) as usize;
        let size = self.size() as usize;
        if end > size {
            self.data.copy_within(size..end, 0);
        }
        let rec_pos = at as u64;
        let cons_pos = self.consumer_pos & self.mask;
        if flags & BPF_RB_FORCE_WAKEUP != 0 || (cons_pos == rec_pos && flags & BPF_RB_NO_WAKEUP == 0) {
            self.notifications += 1;
            self.epoll_ready = true;
        }
    }

    /// What `epoll_wait` on the map fd reports now, as libbpf's `ring_buffer__poll` sees it: readable
    /// only if a wakeup put the consumer on the ready list (or an earlier report kept it there) and
    /// `producer_pos - consumer_pos` is not 0. Records committed with BPF_RB_NO_WAKEUP while the
    /// consumer waits stay unseen by poll until a later wakeup; `consume` reads them regardless.
    pub fn epoll_ready(&mut self) -> bool {
        if self.epoll_ready && self.producer_pos == self.consumer_pos {
            self.epoll_ready = false;
        }
        self.epoll_ready
    }

    /// `bpf_ringbuf_output` (helper 130): copy `data` in as one record. EINVAL for unknown flags,
    /// EAGAIN when it does not fit.
    pub fn output(&mut self, data: &[u8], flags: u64) -> Result<()> {
        const OP: &str = "bpf_ringbuf_output";
        if flags & !(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP) != 0 {
            return Err(XdpError::new(Errno::EINVAL, OP, "flags has bits other than BPF_RB_NO_WAKEUP and BPF_RB_FORCE_WAKEUP"));
        }
        let sample = self
            .reserve(data.len() as u64)
            .ok_or_else(|| XdpError::new(Errno::EAGAIN, OP, "no room in the ring buffer").len(data.len() as u64))?;
        self.sample_mut(sample, data.len()).copy_from_slice(data);
        self.commit(sample, flags, false);
        Ok(())
    }

    /// `bpf_ringbuf_reserve` (helper 131): the sample, or None (also for any flag).
    pub fn reserve_helper(&mut self, size: u64, flags: u64) -> Option<usize> {
        if flags != 0 {
            return None;
        }
        self.reserve(size)
    }

    /// `bpf_ringbuf_query` (helper 134).
    pub fn query(&self, flags: u64) -> u64 {
        match flags {
            BPF_RB_AVAIL_DATA => self.producer_pos - self.consumer_pos,
            BPF_RB_RING_SIZE => self.mask + 1,
            BPF_RB_CONS_POS => self.consumer_pos,
            BPF_RB_PROD_POS => self.producer_pos,
            _ => 0,
        }
    }

    /// `bpf_ringbuf_reserve_dynptr` (helper 198). The dynptr is null on error: EINVAL for flags,
    /// E2BIG above the dynptr size limit, EINVAL also when the ring has no room.
    pub fn reserve_dynptr(&mut self, size: u32, flags: u64) -> (Dynptr, Result<()>) {
        const OP: &str = "bpf_ringbuf_reserve_dynptr";
        if flags != 0 {
            return (Dynptr::NULL, Err(XdpError::new(Errno::EINVAL, OP, "flags must be 0")));
        }
        if let Err(e) = Dynptr::check_size(size, OP) {
            return (Dynptr::NULL, Err(e));
        }
        match self.reserve(u64::from(size)) {
            Some(sample) => (Dynptr::new(self.sample_addr(sample), DynptrKind::Ringbuf, 0, size), Ok(())),
            // EINVAL, not the EAGAIN of bpf_ringbuf_output: the kernel reports a failed
            // reservation here as an invalid argument.
            None => (Dynptr::NULL, Err(XdpError::new(Errno::EINVAL, OP, "no room in the ring buffer").len(u64::from(size)))),
        }
    }

    /// `bpf_ringbuf_submit_dynptr` / `bpf_ringbuf_discard_dynptr` (helpers 199, 200): commit the
    /// record behind `d` and null the dynptr; nothing for a null dynptr. The kernel's helpers take
    /// no map: the record names its ring. Here the ring is the receiver, so a dynptr that is not a
    /// record being written in this ring is refused (EINVAL) and left as it was.
    pub fn commit_dynptr(&mut self, d: &mut Dynptr, flags: u64, discard: bool) -> Result<()> {
        if d.is_null() {
            return Ok(());
        }
        let sample = self
            .sample_offset(d.data)
            .filter(|&s| {
                d.kind() == DynptrKind::Ringbuf
                    && s >= BPF_RINGBUF_HDR_SZ as usize
                    && (s - BPF_RINGBUF_HDR_SZ as usize) < self.size() as usize
                    && self.hdr_len((s - BPF_RINGBUF_HDR_SZ as usize) as u64) & BPF_RINGBUF_BUSY_BIT != 0
            })
            .ok_or_else(|| {
                XdpError::new(
                    Errno::EINVAL,
                    if discard { "bpf_ringbuf_discard_dynptr" } else { "bpf_ringbuf_submit_dynptr" },
                    "not a record being written in this ring buffer",
                )
            })?;
        self.commit(sample, flags, discard);
        *d = Dynptr::NULL;
        Ok(())
    }

    /// The committed records from the consumer position on, oldest first, without consuming them;
    /// stops at the first record still being written (BUSY). At most `max` records.
    pub fn peek(&self, max: usize) -> Vec<Record> {
        let mut out = Vec::new();
        let mut pos = self.consumer_pos;
        while out.len() < max {
            let Some(r) = self.record_at(pos) else { break };
            pos = RingBuf::after(&r);
            out.push(r);
        }
        out
    }

    /// The committed record whose header is at `pos`, or None at the producer position or at a
    /// record still being written.
    #[inline]
    pub fn record_at(&self, pos: u64) -> Option<Record> {
        if pos >= self.producer_pos {
            return None;
        }
        let len = self.hdr_len(pos);
        if len & BPF_RINGBUF_BUSY_BIT != 0 {
            return None;
        }
        Some(Record {
            pos,
            sample: (pos & self.mask) as usize + BPF_RINGBUF_HDR_SZ as usize,
            len: len & !BPF_RINGBUF_DISCARD_BIT,
            discarded: len & BPF_RINGBUF_DISCARD_BIT != 0,
        })
    }

    /// Moves the consumer position (what libbpf stores after each record).
    pub fn set_consumer_pos(&mut self, pos: u64) -> Result<()> {
        if pos < self.consumer_pos || pos > self.producer_pos {
            return Err(XdpError::new(Errno::EINVAL, "ringbuf_consume", "consumer position outside [consumer, producer]"));
        }
        self.consumer_pos = pos;
        Ok(())
    }

    /// The position just after `r`.
    pub fn after(r: &Record) -> u64 {
        r.pos + record_span(r.len)
    }

    /// libbpf's `ringbuf_process_ring`: hand each committed, non-discarded sample to `cb` in order,
    /// moving the consumer past each record (discarded ones included); a negative return from
    /// `cb` stops there (that record consumed) and is returned. Otherwise the number of samples.
    pub fn consume(&mut self, mut cb: impl FnMut(&[u8]) -> i32) -> i64 {
        let mut count = 0i64;
        while let Some(r) = self.record_at(self.consumer_pos) {
            self.consumer_pos = RingBuf::after(&r);
            if !r.discarded {
                let err = cb(&self.data[r.sample..r.sample + r.len as usize]);
                if err < 0 {
                    return i64::from(err);
                }
                count += 1;
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_must_be_a_power_of_two_number_of_pages() {
        for bad in [0u32, 4095, 6144, 3 * 4096] {
            assert_eq!(RingBuf::new(bad).unwrap_err().errno, Errno::EINVAL, "{bad}");
        }
        assert_eq!(RingBuf::new(4096).unwrap().size(), 4096);
    }

    #[test]
    fn records_round_up_to_8_with_header() {
        let mut rb = RingBuf::new(4096).unwrap();
        let a = rb.reserve(5).unwrap();
        assert_eq!((a, rb.producer_pos()), (8, 16));
        let b = rb.reserve(8).unwrap();
        assert_eq!((b, rb.producer_pos()), (24, 32));
        // BUSY until committed: nothing to consume.
        assert_eq!(rb.peek(10).len(), 0);
        rb.commit(a, 0, false);
        assert_eq!(rb.peek(10).len(), 1);
    }
}
