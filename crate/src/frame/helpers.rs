//! The XDP data helpers of `net/core/filter.c` (Linux 6.18), re-implemented from their documented
//! behaviour: same checks in the same order, same errnos, same effect on the buffer.
//!
//! Helpers return `Result`; [`XdpError::retval`] is the value the kernel helper would return.

use super::buff::{DataWindow, XdpBuff};
use super::layout::*;
use super::shinfo::{shift_frags_down, FragDesc};
use crate::errno::{Errno, Result, XdpError};

/// `BPF_F_INDEX_MASK` and `BPF_F_CTXLEN_MASK` of `bpf_perf_event_output`'s flags.
pub const BPF_F_INDEX_MASK: u64 = 0xffff_ffff;
pub const BPF_F_CURRENT_CPU: u64 = BPF_F_INDEX_MASK;
pub const BPF_F_CTXLEN_MASK: u64 = 0xf_ffff << 32;

/// Where `bpf_xdp_pointer` found a range: in one segment (0 = linear, `i + 1` = frag `i`), at
/// this offset in the segment's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirectView {
    pub segment: u32,
    pub offset: u32,
    pub len: u32,
}

/// What `bpf_xdp_output` / `bpf_perf_event_output` hand to the perf buffer: the caller's
/// metadata followed by the first bytes of the packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerfSample {
    /// The perf event array index from the flags; `None` for `BPF_F_CURRENT_CPU`.
    pub index: Option<u32>,
    pub data: Vec<u8>,
}

fn window_moved(op: &'static str) -> XdpError {
    XdpError::new(Errno::EFAULT, op, "data/data_end were moved by bpf_xdp_adjust_data; call it with offset 0 first (v14 seed API)")
}

impl XdpBuff {
    /// `bpf_xdp_get_buff_len` (helper 188).
    pub fn get_buff_len(&self) -> u32 {
        self.len()
    }

    /// `bpf_xdp_adjust_head` (helper 44): move `data` by `offset`; metadata moves with it.
    pub fn adjust_head(&mut self, offset: i32) -> Result<()> {
        const OP: &str = "bpf_xdp_adjust_head";
        if self.window.is_some() {
            return Err(window_moved(OP));
        }
        let metalen = self.meta_len();
        let lowest = i64::from(self.hard_start) + i64::from(XDP_FRAME_SIZE) + i64::from(metalen);
        let highest = i64::from(self.data_end) - i64::from(ETH_HLEN);
        let new_data = i64::from(self.data) + i64::from(offset);
        if new_data < lowest || new_data > highest {
            return Err(XdpError::new(
                Errno::EINVAL,
                OP,
                if new_data < lowest {
                    "data would enter the xdp_frame/metadata area at the buffer start"
                } else {
                    "fewer than 14 linear bytes would remain"
                },
            )
            .offset(i64::from(offset))
            .limit(if new_data < lowest {
                (i64::from(self.data) - lowest) as u64
            } else {
                (highest - i64::from(self.data)).max(0) as u64
            }));
        }
        if metalen > 0 {
            let from = self.data_meta as usize;
            let to = (i64::from(self.data_meta) + i64::from(offset)) as usize;
            self.head.bytes_mut().copy_within(from..from + metalen as usize, to);
        }
        // Moves even when metadata is unsupported, which keeps data_meta == data + 1.
        self.data_meta = (i64::from(self.data_meta) + i64::from(offset)) as u32;
        self.data = new_data as u32;
        Ok(())
    }

    /// `bpf_xdp_adjust_meta` (helper 54): move `data_meta` by `offset` (negative grows the
    /// metadata into the headroom).
    pub fn adjust_meta(&mut self, offset: i32) -> Result<()> {
        const OP: &str = "bpf_xdp_adjust_meta";
        if self.window.is_some() {
            return Err(window_moved(OP));
        }
        if !self.meta_supported() {
            return Err(XdpError::new(Errno::ENOTSUPP, OP, "the driver does not support metadata (data_meta > data)"));
        }
        let lowest = i64::from(self.hard_start) + i64::from(XDP_FRAME_SIZE);
        let meta = i64::from(self.data_meta) + i64::from(offset);
        if meta < lowest || meta > i64::from(self.data) {
            return Err(XdpError::new(
                Errno::EINVAL,
                OP,
                if meta < lowest { "metadata would reach into the 40-byte xdp_frame area" } else { "data_meta would move past data" },
            )
            .offset(i64::from(offset))
            .limit((i64::from(self.data) - lowest) as u64));
        }
        let metalen = i64::from(self.data) - meta;
        if metalen % 4 != 0 || metalen > i64::from(XDP_META_MAX) {
            return Err(XdpError::new(Errno::EACCES, OP, "metadata length must be a multiple of 4 and at most 255")
                .offset(i64::from(offset))
                .len(metalen as u64)
                .limit(u64::from(XDP_META_MAX)));
        }
        self.data_meta = meta as u32;
        Ok(())
    }

    /// `bpf_xdp_adjust_tail` (helper 65): move the end of the packet by `offset`.
    ///
    /// Linear buffers grow into the tailroom before the shared info (grown bytes zeroed) and
    /// shrink down to 14 bytes. Buffers with frags grow only the last frag, within the queue's
    /// frag size, and shrink by releasing whole frags from the end; the linear part only shrinks
    /// once no frag is left.
    pub fn adjust_tail(&mut self, offset: i32) -> Result<()> {
        const OP: &str = "bpf_xdp_adjust_tail";
        if self.window.is_some() {
            return Err(window_moved(OP));
        }
        if self.has_frags() {
            return if offset < 0 { self.frags_shrink_tail(offset.wrapping_neg()) } else { self.frags_increase_tail(offset as u32) };
        }
        let new_end = i64::from(self.data_end) + i64::from(offset);
        let hard_end = i64::from(self.shinfo_base());
        if new_end > hard_end {
            return Err(XdpError::new(Errno::EINVAL, OP, "grow beyond the tailroom reserved before skb_shared_info")
                .offset(i64::from(offset))
                .limit((hard_end - i64::from(self.data_end)) as u64));
        }
        if new_end < i64::from(self.data) + i64::from(ETH_HLEN) {
            return Err(XdpError::new(Errno::EINVAL, OP, "the packet would become shorter than 14 bytes")
                .offset(i64::from(offset))
                .limit(u64::from(self.linear_len().saturating_sub(ETH_HLEN))));
        }
        if offset > 0 {
            self.head.bytes_mut()[self.data_end as usize..new_end as usize].fill(0);
        }
        self.data_end = new_end as u32;
        Ok(())
    }

    /// `bpf_xdp_frags_increase_tail`.
    fn frags_increase_tail(&mut self, grow: u32) -> Result<()> {
        const OP: &str = "bpf_xdp_adjust_tail";
        let frag_size = self.rxq.frag_size;
        if frag_size == 0 || frag_size > self.frame_sz {
            return Err(XdpError::new(
                Errno::EOPNOTSUPP,
                OP,
                if frag_size == 0 {
                    "the receive queue registered no frag size, so frags cannot grow".to_string()
                } else {
                    format!("the queue's frag size {frag_size} exceeds frame_sz {}", self.frame_sz)
                },
            )
            .offset(i64::from(grow)));
        }
        let last = usize::from(self.shinfo().nr_frags()) - 1;
        let (off, len) = (self.shinfo().frag_offset(last), self.shinfo().frag_len(last));
        let tailroom = i64::from(frag_size) - i64::from(len) - i64::from(off % frag_size);
        let page_room = i64::from(self.frags[last].size()) - i64::from(off) - i64::from(len);
        if i64::from(grow) > tailroom || i64::from(grow) > page_room {
            return Err(XdpError::new(Errno::EINVAL, OP, "grow beyond the last frag's tailroom")
                .offset(i64::from(grow))
                .limit(tailroom.min(page_room).max(0) as u64));
        }
        let start = (off + len) as usize;
        self.frags[last].bytes_mut()[start..start + grow as usize].fill(0);
        let mut sinfo = self.shinfo_mut();
        sinfo.set_frag_len(last, len + grow);
        let size = sinfo.read().frags_size();
        sinfo.set_frags_size(size + grow);
        Ok(())
    }

    /// `bpf_xdp_frags_shrink_tail`. `shrink` is the negated offset as the kernel computes it, an
    /// `int`: for `INT_MIN` it stays negative, passes the (signed) length check and shrinks nothing,
    /// so `bpf_xdp_adjust_tail(ctx, INT_MIN)` on a frags buffer returns 0 and changes nothing.
    fn frags_shrink_tail(&mut self, shrink: i32) -> Result<()> {
        const OP: &str = "bpf_xdp_adjust_tail";
        let total = self.len();
        if i64::from(shrink) > i64::from(total) - i64::from(ETH_HLEN) {
            return Err(XdpError::new(Errno::EINVAL, OP, "the packet would become shorter than 14 bytes")
                .offset(-i64::from(shrink))
                .limit(u64::from(total.saturating_sub(ETH_HLEN))));
        }
        if shrink <= 0 {
            return Ok(());
        }
        let shrink = shrink as u32;
        let mut left = shrink;
        let mut len_free = 0u32;
        let mut freed = 0usize;
        let nr = usize::from(self.shinfo().nr_frags());
        for i in (0..nr).rev() {
            if left == 0 {
                break;
            }
            let len = self.shinfo().frag_len(i);
            let cut = left.min(len);
            len_free += cut;
            left -= cut;
            if cut == len {
                // Whole frag consumed: its page goes back (a zero-length last frag does too).
                freed += 1;
            } else {
                self.shinfo_mut().set_frag_len(i, len - cut);
            }
        }
        let remaining = nr - freed;
        self.frags.truncate(remaining);
        let mut sinfo = self.shinfo_mut();
        sinfo.set_nr_frags(remaining as u8);
        let size = sinfo.read().frags_size();
        sinfo.set_frags_size(size - len_free);
        if remaining == 0 {
            self.flags &= !(XDP_FLAGS_HAS_FRAGS | XDP_FLAGS_FRAGS_PF_MEMALLOC);
            self.data_end -= left;
        }
        Ok(())
    }

    /// `bpf_xdp_pull_data` (kfunc, 6.18): make the first `len` packet bytes linear by copying
    /// them from the head of the frags into the linear tail, moving metadata and data down into
    /// the headroom when the tailroom is short. Frags emptied this way are released.
    pub fn pull_data(&mut self, len: u32) -> Result<()> {
        const OP: &str = "bpf_xdp_pull_data";
        if self.window.is_some() {
            return Err(window_moved(OP));
        }
        let data_len = self.linear_len();
        if len <= data_len {
            return Ok(());
        }
        if len > self.len() {
            return Err(XdpError::new(Errno::EINVAL, OP, "len is longer than the packet").len(u64::from(len)).limit(u64::from(self.len())));
        }
        let start = if self.meta_supported() { self.data_meta } else { self.data };
        let headroom = i64::from(start) - i64::from(self.hard_start) - i64::from(XDP_FRAME_SIZE);
        let tailroom = i64::from(self.shinfo_base()) - i64::from(self.data_end);
        let mut delta = len - data_len;
        if i64::from(delta) > tailroom + headroom {
            return Err(XdpError::new(Errno::EINVAL, OP, "headroom and tailroom together cannot take the pulled bytes")
                .len(u64::from(delta))
                .limit((tailroom + headroom).max(0) as u64));
        }
        let shift = i64::from(delta) - tailroom;
        if shift > 0 {
            let shift = shift as u32;
            self.head.bytes_mut().copy_within(start as usize..self.data_end as usize, (start - shift) as usize);
            self.data_meta -= shift;
            self.data -= shift;
            self.data_end -= shift;
        }
        let nr = usize::from(self.shinfo().nr_frags());
        let mut freed = 0usize;
        for i in 0..nr {
            if delta == 0 {
                break;
            }
            let frag = self.shinfo().frag(i);
            let take = delta.min(frag.len);
            let (src_start, dst_start) = (frag.offset as usize, self.data_end as usize);
            let (head, frags) = (&mut self.head, &self.frags);
            head.bytes_mut()[dst_start..dst_start + take as usize].copy_from_slice(&frags[i].bytes()[src_start..src_start + take as usize]);
            self.data_end += take;
            delta -= take;
            let mut sinfo = self.shinfo_mut();
            let size = sinfo.read().frags_size();
            sinfo.set_frags_size(size - take);
            if take == frag.len {
                freed += 1;
            } else {
                sinfo.set_frag(i, FragDesc { offset: frag.offset + take, len: frag.len - take, ..frag });
            }
        }
        if freed > 0 {
            let base = self.shinfo_base();
            shift_frags_down(self.head.bytes_mut(), base, freed, 0, nr - freed);
            self.frags.drain(..freed);
            self.shinfo_mut().set_nr_frags((nr - freed) as u8);
            if nr == freed {
                self.flags &= !(XDP_FLAGS_HAS_FRAGS | XDP_FLAGS_FRAGS_PF_MEMALLOC);
            }
        }
        Ok(())
    }

    /// `bpf_xdp_pointer`: a direct view of `len` bytes at `offset` when they sit in one segment,
    /// `None` when they cross a boundary. EFAULT above 0xffff, EINVAL past the end.
    // Always inlined: returned through memory, the view's fields come back as a 16-byte load of
    // two smaller stores, which stalls store forwarding on every call.
    #[inline(always)]
    pub fn pointer(&self, offset: u32, len: u32) -> Result<Option<DirectView>> {
        self.check_access("bpf_xdp_pointer", offset, len)?;
        let linear = self.linear_len();
        let (mut segment, mut rel, mut size) = (0u32, offset, linear);
        if offset >= linear && self.has_frags() {
            rel = offset - linear;
            for (i, desc) in self.frag_table(usize::from(self.shinfo().nr_frags())).iter().enumerate() {
                let frag_len = desc_len(desc);
                if rel < frag_len {
                    segment = i as u32 + 1;
                    size = frag_len;
                    break;
                }
                rel -= frag_len;
            }
        }
        Ok((rel + len <= size).then_some(DirectView { segment, offset: rel, len }))
    }

    /// How many bytes from `offset` to the end of the segment (linear part or frag) holding it; 0
    /// at or past the end of the packet.
    pub fn segment_remaining(&self, offset: u32) -> u32 {
        let linear = self.linear_len();
        if offset < linear {
            return linear - offset;
        }
        let mut rel = offset - linear;
        for desc in self.frag_table(self.frags.len()) {
            let frag_len = desc_len(desc);
            if rel < frag_len {
                return frag_len - rel;
            }
            rel -= frag_len;
        }
        0
    }

    /// The first `n` frag descriptors of the shared info.
    #[inline]
    fn frag_table(&self, n: usize) -> &[[u8; FRAG_DESC]] {
        frag_table(self.head.bytes(), self.shinfo_base(), n)
    }

    /// The range checks of `bpf_xdp_pointer` (which `bpf_xdp_load_bytes`/`store_bytes` repeat
    /// inline, with a linear fast path): EFAULT when the offset or the length is above 0xffff,
    /// EINVAL when the range runs past the end of the packet. Errors are built out of line.
    #[inline]
    pub(crate) fn check_access(&self, op: &'static str, offset: u32, len: u32) -> Result<()> {
        if offset > XDP_ACCESS_MAX || len > XDP_ACCESS_MAX {
            return Err(access_too_large(op, offset, len));
        }
        let total = self.len();
        if offset + len > total {
            return Err(access_past_end(op, offset, len, total));
        }
        Ok(())
    }

    /// The bytes behind a [`DirectView`].
    #[inline(always)]
    pub fn view(&self, v: DirectView) -> &[u8] {
        &self.segment(v.segment as usize)[v.offset as usize..(v.offset + v.len) as usize]
    }

    #[inline]
    pub fn view_mut(&mut self, v: DirectView) -> &mut [u8] {
        &mut self.segment_mut(v.segment as usize)[v.offset as usize..(v.offset + v.len) as usize]
    }

    /// `bpf_xdp_copy_buf(…, flush = false)`: copy packet bytes from `offset` into `buf`, walking
    /// linear part then frags. No bounds check and no error, like the kernel's: it copies what
    /// exists and returns how many bytes that was.
    ///
    /// One pass: the linear part, then the frag descriptors read straight from the shared info,
    /// skipping whole segments until `offset` is reached and copying from there on.
    #[inline]
    pub fn copy_out(&self, offset: usize, buf: &mut [u8]) -> usize {
        let want = buf.len();
        let linear = self.linear();
        if offset + want <= linear.len() {
            buf.copy_from_slice(&linear[offset..offset + want]);
            return want;
        }
        let mut rest = buf;
        let mut skip = offset;
        if skip < linear.len() {
            let n = linear.len() - skip;
            let (now, later) = rest.split_at_mut(n);
            now.copy_from_slice(&linear[skip..]);
            rest = later;
            skip = 0;
        } else {
            skip -= linear.len();
        }
        let table = self.frag_table(self.frags.len());
        for (desc, page) in table.iter().zip(&self.frags) {
            let len = desc_len(desc) as usize;
            if skip >= len {
                skip -= len;
                continue;
            }
            let start = desc_offset(desc) as usize + skip;
            let n = rest.len().min(len - skip);
            let (now, later) = rest.split_at_mut(n);
            now.copy_from_slice(&page.bytes()[start..start + n]);
            rest = later;
            if rest.is_empty() {
                break;
            }
            skip = 0;
        }
        want - rest.len()
    }

    /// `bpf_xdp_copy_buf(…, flush = true)`: copy `buf` into the packet at `offset`.
    #[inline]
    pub fn copy_in(&mut self, offset: usize, buf: &[u8]) -> usize {
        let want = buf.len();
        let (start, end) = (self.data as usize, self.data_end as usize);
        let linear_len = end - start;
        if offset + want <= linear_len {
            self.head.bytes_mut()[start + offset..start + offset + want].copy_from_slice(buf);
            return want;
        }
        let mut rest = buf;
        let mut skip = offset;
        if skip < linear_len {
            let (now, later) = rest.split_at(linear_len - skip);
            self.head.bytes_mut()[start + skip..end].copy_from_slice(now);
            rest = later;
            skip = 0;
        } else {
            skip -= linear_len;
        }
        // The descriptors live in the head page, the bytes in the frag pages: two fields, so the
        // table can be read while the pages are written.
        let table = frag_table(self.head.bytes(), self.shinfo_base(), self.frags.len());
        for (desc, page) in table.iter().zip(self.frags.iter_mut()) {
            let len = desc_len(desc) as usize;
            if skip >= len {
                skip -= len;
                continue;
            }
            let start = desc_offset(desc) as usize + skip;
            let n = rest.len().min(len - skip);
            let (now, later) = rest.split_at(n);
            page.bytes_mut()[start..start + n].copy_from_slice(now);
            rest = later;
            if rest.is_empty() {
                break;
            }
            skip = 0;
        }
        want - rest.len()
    }

    /// `bpf_xdp_load_bytes` (helper 189): copy `buf.len()` packet bytes at `offset` into `buf`,
    /// across any frag boundary.
    ///
    /// Same checks and errors as [`XdpBuff::pointer`] (with this helper's name), then one walk
    /// over the segments: a range inside one segment is the single copy the direct view would
    /// have made.
    pub fn load_bytes(&self, offset: u32, buf: &mut [u8]) -> Result<()> {
        const OP: &str = "bpf_xdp_load_bytes";
        let off = offset as usize;
        let len = buf.len();
        if offset > XDP_ACCESS_MAX || len > XDP_ACCESS_MAX as usize {
            return Err(access_too_large(OP, offset, u32::try_from(len).unwrap_or(u32::MAX)));
        }
        // A range inside the linear part needs nothing from the shared info.
        if off + len <= self.linear_len() as usize {
            let start = self.data as usize + off;
            buf.copy_from_slice(&self.head.bytes()[start..start + len]);
            return Ok(());
        }
        let total = self.len();
        if off + len > total as usize {
            return Err(access_past_end(OP, offset, len as u32, total));
        }
        self.copy_out(off, buf);
        Ok(())
    }

    /// `bpf_xdp_store_bytes` (helper 190): copy `buf` into the packet at `offset`.
    pub fn store_bytes(&mut self, offset: u32, buf: &[u8]) -> Result<()> {
        const OP: &str = "bpf_xdp_store_bytes";
        let off = offset as usize;
        let len = buf.len();
        if offset > XDP_ACCESS_MAX || len > XDP_ACCESS_MAX as usize {
            return Err(access_too_large(OP, offset, u32::try_from(len).unwrap_or(u32::MAX)));
        }
        if off + len <= self.linear_len() as usize {
            let start = self.data as usize + off;
            self.head.bytes_mut()[start..start + len].copy_from_slice(buf);
            return Ok(());
        }
        let total = self.len();
        if off + len > total as usize {
            return Err(access_past_end(OP, offset, len as u32, total));
        }
        self.copy_in(off, buf);
        Ok(())
    }

    /// The sample `bpf_xdp_output` (121) and `bpf_perf_event_output` (25) on an XDP context
    /// emit: `meta` then the first `(flags & BPF_F_CTXLEN_MASK) >> 32` packet bytes, copied with
    /// `bpf_xdp_copy` across frags. Choosing and writing the perf buffer is the map's business.
    pub fn event_output(&self, flags: u64, meta: &[u8]) -> Result<PerfSample> {
        const OP: &str = "bpf_xdp_event_output";
        if flags & !(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK) != 0 {
            return Err(XdpError::new(Errno::EINVAL, OP, "flags has bits outside BPF_F_INDEX_MASK and BPF_F_CTXLEN_MASK"));
        }
        let ctx_len = (flags & BPF_F_CTXLEN_MASK) >> 32;
        let total = u64::from(self.len());
        if ctx_len > total {
            return Err(XdpError::new(Errno::EFAULT, OP, "requested more packet bytes than the packet has").len(ctx_len).limit(total));
        }
        let mut data = vec![0u8; meta.len() + ctx_len as usize];
        data[..meta.len()].copy_from_slice(meta);
        self.copy_out(0, &mut data[meta.len()..]);
        let index = flags & BPF_F_INDEX_MASK;
        Ok(PerfSample { index: (index != BPF_F_CURRENT_CPU).then_some(index as u32), data })
    }

    /// `bpf_xdp_adjust_data` from the v14 multi-buffer series (never merged; the seed's API).
    ///
    /// Moves `data`/`data_end` so that `data` points at packet byte `offset` and `data_end` at
    /// the end of the segment holding it; returns the packet offset where that segment starts.
    /// `offset` 0 moves them home. While they are away, `adjust_head`/`adjust_meta`/`adjust_tail`
    /// fail with EFAULT, as in the series. An offset equal to the packet length matches no
    /// segment: the series then returns that length and leaves the pointers where they were.
    pub fn adjust_data(&mut self, offset: u32) -> Result<u32> {
        const OP: &str = "bpf_xdp_adjust_data";
        let head_len = self.linear_len();
        let max = head_len + self.frags_size();
        if offset > max {
            return Err(XdpError::new(Errno::EINVAL, OP, "offset is past the end of the packet")
                .offset(i64::from(offset))
                .limit(u64::from(max)));
        }
        if offset < head_len {
            self.window = (offset != 0).then_some(DataWindow { segment: 0, start: self.data + offset, end: self.data_end });
            return Ok(0);
        }
        let mut base = head_len;
        for i in 0..usize::from(self.nr_frags()) {
            let (off, len) = (self.shinfo().frag_offset(i), self.shinfo().frag_len(i));
            if offset < base + len {
                self.window = Some(DataWindow { segment: i + 1, start: off + offset - base, end: off + len });
                return Ok(base);
            }
            base += len;
        }
        Ok(base)
    }

    /// What a program reads as `ctx->data` and `ctx->data_end`: segment index and page offsets.
    pub fn ctx_window(&self) -> DataWindow {
        self.window.unwrap_or(DataWindow { segment: 0, start: self.data, end: self.data_end })
    }
}

/// Size of one `skb_frag_t` in the shared info.
const FRAG_DESC: usize = shinfo::FRAG_SIZE;

/// The first `n` `skb_frag_t` descriptors of the shared info at `base` in the head page: one
/// bounds check for the whole walk, and fixed-size entries whose fields need none.
#[inline]
fn frag_table(head: &[u8], base: u32, n: usize) -> &[[u8; FRAG_DESC]] {
    let start = base as usize + shinfo::FRAGS;
    head[start..start + n * FRAG_DESC].as_chunks::<FRAG_DESC>().0
}

/// `skb_frag_size` of a descriptor from [`frag_table`].
#[inline]
fn desc_len(desc: &[u8; FRAG_DESC]) -> u32 {
    u32::from_le_bytes([desc[8], desc[9], desc[10], desc[11]])
}

/// `skb_frag_off` of a descriptor from [`frag_table`].
#[inline]
fn desc_offset(desc: &[u8; FRAG_DESC]) -> u32 {
    u32::from_le_bytes([desc[12], desc[13], desc[14], desc[15]])
}

#[cold]
#[inline(never)]
fn access_too_large(op: &'static str, offset: u32, len: u32) -> XdpError {
    XdpError::new(Errno::EFAULT, op, "offset and length are limited to 0xffff")
        .offset(i64::from(offset))
        .len(u64::from(len))
        .limit(u64::from(XDP_ACCESS_MAX))
}

#[cold]
#[inline(never)]
fn access_past_end(op: &'static str, offset: u32, len: u32, total: u32) -> XdpError {
    XdpError::new(Errno::EINVAL, op, "range runs past the end of the packet")
        .offset(i64::from(offset))
        .len(u64::from(len))
        .limit(u64::from(total))
}
