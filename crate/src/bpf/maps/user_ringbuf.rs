//! `BPF_MAP_TYPE_USER_RINGBUF`: a ring user space produces into (libbpf's
//! `user_ring_buffer__reserve/submit/discard`) and programs drain with `bpf_user_ringbuf_drain`
//! (`__bpf_user_ringbuf_peek` / `__bpf_user_ringbuf_sample_release`). Records are the ring
//! buffer's: an 8-byte header (length with the BUSY and DISCARD bits), the sample, rounded up to
//! 8 bytes. The data area is allocated twice over and a wrapping sample's bytes are mirrored, as
//! the kernel and libbpf map the data pages twice, so every sample is contiguous.

use super::*;
use crate::ringbuf::{BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ};

/// `BPF_MAX_USER_RINGBUF_SAMPLES`: the most samples one drain visits.
pub const BPF_MAX_USER_RINGBUF_SAMPLES: u64 = 128 * 1024;
/// `DYNPTR_MAX_SIZE`: a sample larger than this cannot be handed over in a dynptr.
const DYNPTR_MAX_SIZE: u32 = (1 << 24) - 1;

const OP_RESERVE: &str = "user_ring_buffer__reserve";
const OP_SUBMIT: &str = "user_ring_buffer__submit";

pub struct UserRingBuf {
    data: Box<[u8]>,
    mask: u64,
    consumer_pos: u64,
    producer_pos: u64,
    /// A drain in progress (`rb->busy`): a nested drain gets EBUSY.
    pub busy: bool,
}

/// One sample `__bpf_user_ringbuf_peek` found.
pub enum Peek {
    /// At this offset of the data area, this many bytes.
    Sample { at: usize, len: u32 },
    /// Nothing committed (or the next record is still being written).
    NoData,
    /// A discarded record was skipped.
    Discarded,
    /// A malformed ring: the errno the drain returns.
    Bad(Errno),
}

impl UserRingBuf {
    pub(super) fn new(size: u32) -> UserRingBuf {
        UserRingBuf {
            data: vec![0u8; 2 * size as usize].into_boxed_slice(),
            mask: u64::from(size) - 1,
            consumer_pos: 0,
            producer_pos: 0,
            busy: false,
        }
    }

    fn size(&self) -> u64 {
        self.mask + 1
    }

    pub fn consumer_pos(&self) -> u64 {
        self.consumer_pos
    }

    pub fn producer_pos(&self) -> u64 {
        self.producer_pos
    }

    fn hdr(&self, pos: u64) -> u32 {
        let at = (pos & self.mask) as usize;
        u32::from_le_bytes(self.data[at..at + 4].try_into().expect("4 bytes"))
    }

    /// Writes bytes at a ring position, mirrored into the other copy of the data area.
    fn write_at(&mut self, pos: u64, bytes: &[u8]) {
        let size = self.size() as usize;
        let at = (pos & self.mask) as usize;
        self.data[at..at + bytes.len()].copy_from_slice(bytes);
        // The same bytes seen from the other mapping.
        for (i, b) in bytes.iter().enumerate() {
            let j = at + i;
            let mirror = if j >= size { j - size } else { j + size };
            if mirror < self.data.len() {
                self.data[mirror] = *b;
            }
        }
    }

    /// libbpf's `user_ring_buffer__reserve`: a BUSY record of `size` bytes; its position (the
    /// handle `submit`/`discard` take). E2BIG when it can never fit, ENOSPC when the ring is too full.
    pub fn reserve(&mut self, size: u32) -> Result<u64> {
        if size & (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT) != 0 {
            return Err(XdpError::new(Errno::E2BIG, OP_RESERVE, "the size's top two bits are the header's flags").len(u64::from(size)));
        }
        let total = (u64::from(size) + u64::from(BPF_RINGBUF_HDR_SZ) + 7) & !7;
        if total > self.size() {
            return Err(XdpError::new(Errno::E2BIG, OP_RESERVE, "the sample is larger than the ring").len(total).limit(self.size()));
        }
        let avail = self.size() - (self.producer_pos - self.consumer_pos);
        if avail < total {
            return Err(XdpError::new(Errno::ENOSPC, OP_RESERVE, "the ring is too full").len(total).limit(avail));
        }
        let pos = self.producer_pos;
        let mut hdr = [0u8; 8];
        hdr[..4].copy_from_slice(&(size | BPF_RINGBUF_BUSY_BIT).to_le_bytes());
        self.write_at(pos, &hdr);
        self.producer_pos = pos + total;
        Ok(pos)
    }

    fn reserved(&self, pos: u64) -> Result<u32> {
        if pos < self.consumer_pos || pos >= self.producer_pos || !pos.is_multiple_of(8) || self.hdr(pos) & BPF_RINGBUF_BUSY_BIT == 0 {
            return fail(Errno::EINVAL, OP_SUBMIT, format!("no reserved sample at position {pos}"));
        }
        Ok(self.hdr(pos) & !(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT))
    }

    /// Fills part of a reserved sample.
    pub fn write(&mut self, pos: u64, offset: u32, bytes: &[u8]) -> Result<()> {
        let len = self.reserved(pos)?;
        if u64::from(offset) + bytes.len() as u64 > u64::from(len) {
            return Err(XdpError::new(Errno::EINVAL, OP_SUBMIT, "the bytes do not fit the reserved sample")
                .offset(i64::from(offset))
                .len(bytes.len() as u64)
                .limit(u64::from(len)));
        }
        self.write_at(pos + u64::from(BPF_RINGBUF_HDR_SZ) + u64::from(offset), bytes);
        Ok(())
    }

    /// `user_ring_buffer__submit` (or `__discard`): the BUSY bit cleared (and DISCARD set).
    pub fn commit(&mut self, pos: u64, discard: bool) -> Result<()> {
        let len = self.reserved(pos)?;
        let hdr = if discard { len | BPF_RINGBUF_DISCARD_BIT } else { len };
        self.write_at(pos, &hdr.to_le_bytes());
        Ok(())
    }

    /// `__bpf_user_ringbuf_peek`.
    pub fn peek(&mut self) -> Peek {
        let (prod, cons) = (self.producer_pos, self.consumer_pos);
        if prod % 8 != 0 {
            return Peek::Bad(Errno::EINVAL);
        }
        if cons >= prod {
            return Peek::NoData;
        }
        let hdr = self.hdr(cons);
        let flags = hdr & (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
        let len = hdr & !flags;
        let total = (u64::from(len) + u64::from(BPF_RINGBUF_HDR_SZ) + 7) & !7;
        if total > prod - cons {
            return Peek::Bad(Errno::EINVAL);
        }
        if total > self.size() || len > DYNPTR_MAX_SIZE {
            return Peek::Bad(Errno::E2BIG);
        }
        if flags & BPF_RINGBUF_DISCARD_BIT != 0 {
            self.consumer_pos = cons + total;
            return Peek::Discarded;
        }
        if flags & BPF_RINGBUF_BUSY_BIT != 0 {
            return Peek::NoData;
        }
        Peek::Sample { at: ((cons + u64::from(BPF_RINGBUF_HDR_SZ)) & self.mask) as usize, len }
    }

    /// `__bpf_user_ringbuf_sample_release`.
    pub fn release(&mut self, len: u32) {
        self.consumer_pos += (u64::from(len) + u64::from(BPF_RINGBUF_HDR_SZ) + 7) & !7;
    }

    /// The host address of the data area byte `at` (samples are contiguous from there).
    pub fn host_addr(&self, at: usize) -> u64 {
        self.data.as_ptr() as u64 + at as u64
    }

    /// Bytes available to reserve.
    pub fn avail(&self) -> u64 {
        self.size() - (self.producer_pos - self.consumer_pos)
    }
}

impl Map {
    /// The ring of a user_ringbuf map; None for other maps, and while it is borrowed.
    pub fn user_ringbuf(&self) -> Option<std::cell::RefMut<'_, UserRingBuf>> {
        match &self.store {
            Store::UserRingbuf(rb) => rb.try_borrow_mut().ok(),
            _ => None,
        }
    }
}
