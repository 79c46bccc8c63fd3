//! `struct xdp_buff`: a linear buffer in a head page plus frags described by the
//! `skb_shared_info` at the end of that buffer.
//!
//! Pointers are kept as offsets into the head page. The frag pages are owned by the buff (their
//! descriptors live in the shared info bytes); dropping the buff gives every page back to its
//! pool, which is `xdp_return_buff`.

use super::layout::*;
use super::shinfo::{FragDesc, Frags, Shinfo, ShinfoMut};
use crate::errno::{Errno, Result, XdpError};
use crate::pool::Page;

/// What the driver registered for the receive queue (`struct xdp_rxq_info`), as far as the
/// helpers care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxQueue {
    pub ifindex: u32,
    pub queue_index: u32,
    /// `frag_size` given to `__xdp_rxq_info_reg`; 0 means unknown, and frags cannot grow.
    pub frag_size: u32,
}

impl Default for RxQueue {
    /// test_run's queue: loopback (ifindex 1), queue 0, frag size of a page.
    fn default() -> Self {
        RxQueue { ifindex: 1, queue_index: 0, frag_size: 4096 }
    }
}

/// Where `data`/`data_end` point after the seed's `bpf_xdp_adjust_data` moved them away from the
/// packet start. `segment` 0 is the linear part, `i + 1` is frag `i`; offsets are in that
/// segment's page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataWindow {
    pub segment: usize,
    pub start: u32,
    pub end: u32,
}

/// How a buffer is laid out when a driver prepares it (`xdp_init_buff` + `xdp_prepare_buff`).
#[derive(Clone, Copy, Debug)]
pub struct BuffInit {
    /// Offset of `data_hard_start` in the head page.
    pub hard_start: u32,
    /// `data - data_hard_start`.
    pub headroom: u32,
    /// Linear data length.
    pub len: u32,
    /// `frame_sz`: the buffer size from `data_hard_start`, including the shared-info tailroom.
    pub frame_sz: u32,
    /// false: `data_meta = data + 1`, the driver does not support metadata.
    pub meta_valid: bool,
    /// `MAX_SKB_FRAGS` of the "kernel" this buffer belongs to.
    pub max_frags: u8,
    pub rxq: RxQueue,
}

/// One contiguous piece of packet data: the linear part or a frag.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'a> {
    /// 0 for the linear part, `i + 1` for frag `i`.
    pub index: usize,
    pub page_addr: u64,
    /// Offset of the first byte inside the page.
    pub page_offset: u32,
    pub bytes: &'a [u8],
}

pub struct XdpBuff {
    // Frags before head: fields drop in order, and `xdp_return_buff` returns the frag pages
    // first, then the head page.
    /// Frag pages, frag `i` at index `i`; empty unless `HAS_FRAGS`.
    pub(crate) frags: Vec<Page>,
    pub(crate) head: Page,
    pub(crate) hard_start: u32,
    pub(crate) data_meta: u32,
    pub(crate) data: u32,
    pub(crate) data_end: u32,
    pub(crate) frame_sz: u32,
    pub(crate) flags: u32,
    pub(crate) max_frags: u8,
    pub(crate) rxq: RxQueue,
    pub(crate) window: Option<DataWindow>,
}

impl std::fmt::Debug for XdpBuff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XdpBuff")
            .field("len", &self.len())
            .field("linear_len", &self.linear_len())
            .field("nr_frags", &self.nr_frags())
            .field("flags", &self.flags)
            .finish()
    }
}

impl XdpBuff {
    /// `xdp_init_buff` + `xdp_prepare_buff` over a head page. The shared info is not touched: it
    /// only becomes meaningful when the first frag is added.
    pub fn new(head: Page, init: BuffInit) -> Result<XdpBuff> {
        let op = "xdp_prepare_buff";
        if !MAX_SKB_FRAGS_RANGE.contains(&init.max_frags) {
            return Err(XdpError::new(Errno::EINVAL, op, format!("MAX_SKB_FRAGS {} is outside 17..=45", init.max_frags))
                .limit(u64::from(*MAX_SKB_FRAGS_RANGE.end())));
        }
        let tailroom = shinfo_tailroom(init.max_frags);
        let page_size = u64::from(head.size());
        if u64::from(init.hard_start) + u64::from(init.frame_sz) > page_size {
            return Err(XdpError::new(Errno::EINVAL, op, "frame_sz runs past the end of the head page")
                .len(u64::from(init.frame_sz))
                .limit(page_size - u64::from(init.hard_start.min(head.size()))));
        }
        let room = u64::from(init.headroom) + u64::from(init.len) + u64::from(tailroom);
        if room > u64::from(init.frame_sz) {
            return Err(XdpError::new(
                Errno::EINVAL,
                op,
                format!(
                    "headroom {} + data {} + shared info {} do not fit in frame_sz {}",
                    init.headroom, init.len, tailroom, init.frame_sz
                ),
            )
            .len(u64::from(init.len))
            .limit(u64::from(init.frame_sz)));
        }
        let data = init.hard_start + init.headroom;
        Ok(XdpBuff {
            head,
            frags: Vec::new(),
            hard_start: init.hard_start,
            data_meta: if init.meta_valid { data } else { data + 1 },
            data,
            data_end: data + init.len,
            frame_sz: init.frame_sz,
            flags: 0,
            max_frags: init.max_frags,
            rxq: init.rxq,
            window: None,
        })
    }

    /// `xdp_buff_add_frag`: append `len` bytes at `offset` in `page`. The first frag sets
    /// `HAS_FRAGS` and resets the frag sizes; a pfmemalloc page sets `FRAGS_PF_MEMALLOC`. When
    /// `MAX_SKB_FRAGS` frags are already there the page is handed back with the error.
    // The page comes back with the error, so that a failed add loses nothing.
    #[allow(clippy::result_large_err)]
    pub fn add_frag(&mut self, page: Page, offset: u32, len: u32, truesize: u32) -> std::result::Result<(), (XdpError, Page)> {
        let op = "xdp_buff_add_frag";
        if u64::from(offset) + u64::from(len) > u64::from(page.size()) {
            let err = XdpError::new(Errno::EINVAL, op, "frag runs past the end of its page")
                .offset(i64::from(offset))
                .len(u64::from(len))
                .limit(u64::from(page.size()));
            return Err((err, page));
        }
        let base = self.shinfo_base();
        let pfmemalloc = page.is_pfmemalloc();
        let nr = if self.has_frags() {
            let nr = Shinfo::at(self.head.bytes(), base).nr_frags();
            if nr >= self.max_frags {
                let err = XdpError::new(Errno::ENOMEM, op, format!("already {nr} frags, MAX_SKB_FRAGS is {}", self.max_frags))
                    .limit(u64::from(self.max_frags));
                return Err((err, page));
            }
            nr
        } else {
            self.flags |= XDP_FLAGS_HAS_FRAGS;
            let mut sinfo = ShinfoMut::at(self.head.bytes_mut(), base);
            sinfo.set_frags_size(0);
            sinfo.set_frags_truesize(0);
            0
        };
        let page_addr = page.addr();
        let mut sinfo = ShinfoMut::at(self.head.bytes_mut(), base);
        sinfo.set_frag(usize::from(nr), FragDesc { page_addr, offset, len });
        sinfo.set_nr_frags(nr + 1);
        let size = sinfo.read().frags_size();
        sinfo.set_frags_size(size + len);
        let true_total = sinfo.read().frags_truesize();
        sinfo.set_frags_truesize(true_total + truesize);
        self.frags.push(page);
        if pfmemalloc {
            self.flags |= XDP_FLAGS_FRAGS_PF_MEMALLOC;
        }
        Ok(())
    }

    /// Offset of the shared info in the head page: `xdp_data_hard_end`.
    #[inline]
    pub(crate) fn shinfo_base(&self) -> u32 {
        self.hard_start + self.frame_sz - shinfo_tailroom(self.max_frags)
    }

    #[inline]
    pub(crate) fn shinfo(&self) -> Shinfo<'_> {
        Shinfo::at(self.head.bytes(), self.shinfo_base())
    }

    #[inline]
    pub(crate) fn shinfo_mut(&mut self) -> ShinfoMut<'_> {
        let base = self.shinfo_base();
        ShinfoMut::at(self.head.bytes_mut(), base)
    }

    #[inline]
    pub fn has_frags(&self) -> bool {
        self.flags & XDP_FLAGS_HAS_FRAGS != 0
    }

    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// Linear bytes: `data_end - data`.
    #[inline]
    pub fn linear_len(&self) -> u32 {
        self.data_end - self.data
    }

    /// `xdp_get_buff_len`: linear plus frags, metadata not counted.
    #[inline]
    pub fn len(&self) -> u32 {
        self.linear_len() + self.frags_size()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn frag_fields(&self) -> Frags<'_> {
        Frags::of(self.shinfo(), self.has_frags())
    }

    #[inline]
    pub fn nr_frags(&self) -> u8 {
        self.frag_fields().count()
    }

    /// `xdp_frags_size`; 0 when the buffer has no frags (the field is stale then).
    #[inline]
    pub fn frags_size(&self) -> u32 {
        self.frag_fields().size()
    }

    pub fn frags_truesize(&self) -> u32 {
        self.frag_fields().truesize()
    }

    pub fn frag(&self, i: usize) -> Option<FragDesc> {
        (i < usize::from(self.nr_frags())).then(|| self.shinfo().frag(i))
    }

    pub fn frags(&self) -> Vec<FragDesc> {
        self.frag_fields().list()
    }

    #[inline]
    pub fn meta_supported(&self) -> bool {
        self.data_meta <= self.data
    }

    /// `data - data_meta`, 0 when metadata is unsupported.
    #[inline]
    pub fn meta_len(&self) -> u32 {
        if self.meta_supported() {
            self.data - self.data_meta
        } else {
            0
        }
    }

    pub fn meta(&self) -> &[u8] {
        let start = if self.meta_supported() { self.data_meta } else { self.data };
        &self.head.bytes()[start as usize..self.data as usize]
    }

    /// `data - data_hard_start`.
    pub fn headroom(&self) -> u32 {
        self.data - self.hard_start
    }

    /// Room left for the linear part to grow: `xdp_data_hard_end - data_end`.
    pub fn tailroom(&self) -> u32 {
        self.shinfo_base() - self.data_end
    }

    pub fn frame_sz(&self) -> u32 {
        self.frame_sz
    }

    pub fn max_frags(&self) -> u8 {
        self.max_frags
    }

    pub fn rxq(&self) -> RxQueue {
        self.rxq
    }

    pub fn set_rxq(&mut self, rxq: RxQueue) {
        self.rxq = rxq;
    }

    /// Where `data`/`data_end` point when `bpf_xdp_adjust_data` moved them (the seed's API).
    pub fn data_window(&self) -> Option<DataWindow> {
        self.window
    }

    pub fn head_page_addr(&self) -> u64 {
        self.head.addr()
    }

    /// Offsets in the head page of `data_hard_start`, `data_meta`, `data`, `data_end`, and the
    /// shared info, as the kernel would see them.
    pub fn layout(&self) -> BuffLayout {
        BuffLayout {
            page_addr: self.head.addr(),
            page_size: self.head.size(),
            hard_start: self.hard_start,
            data_meta: self.data_meta,
            data: self.data,
            data_end: self.data_end,
            hard_end: self.shinfo_base(),
            frame_sz: self.frame_sz,
        }
    }

    /// The bytes of the head page (headroom, metadata, data, tailroom and shared info).
    pub fn head_page(&self) -> &[u8] {
        self.head.bytes()
    }

    pub fn linear(&self) -> &[u8] {
        &self.head.bytes()[self.data as usize..self.data_end as usize]
    }

    /// The linear part and every frag, in packet order.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'_>> {
        let linear = Segment { index: 0, page_addr: self.head.addr(), page_offset: self.data, bytes: self.linear() };
        let sinfo = self.shinfo();
        let frags = self.frags.iter().enumerate().map(move |(i, page)| {
            let (off, len) = (sinfo.frag_offset(i), sinfo.frag_len(i));
            Segment { index: i + 1, page_addr: page.addr(), page_offset: off, bytes: &page.bytes()[off as usize..(off + len) as usize] }
        });
        std::iter::once(linear).chain(frags)
    }

    /// The whole packet, linear then frags (no metadata).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() as usize);
        for seg in self.segments() {
            out.extend_from_slice(seg.bytes);
        }
        out
    }

    /// What `BPF_PROG_TEST_RUN` copies to `data_out`: from `data_meta` to the end of the last
    /// frag.
    pub fn test_run_output(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity((self.len() + self.meta_len()) as usize);
        out.extend_from_slice(self.meta());
        for seg in self.segments() {
            out.extend_from_slice(seg.bytes);
        }
        out
    }

    /// Bytes of segment `i` (0 = linear) in its page, mutable. Used by the copy helpers.
    #[inline]
    pub(crate) fn segment_mut(&mut self, i: usize) -> &mut [u8] {
        if i == 0 {
            let (start, end) = (self.data as usize, self.data_end as usize);
            &mut self.head.bytes_mut()[start..end]
        } else {
            let sinfo = self.shinfo();
            let (off, len) = (sinfo.frag_offset(i - 1) as usize, sinfo.frag_len(i - 1) as usize);
            &mut self.frags[i - 1].bytes_mut()[off..off + len]
        }
    }

    #[inline]
    pub(crate) fn segment(&self, i: usize) -> &[u8] {
        if i == 0 {
            self.linear()
        } else {
            let sinfo = self.shinfo();
            let (off, len) = (sinfo.frag_offset(i - 1) as usize, sinfo.frag_len(i - 1) as usize);
            &self.frags[i - 1].bytes()[off..off + len]
        }
    }

    /// The bytes between `ctx->data` and `ctx->data_end`: what a program reaches by direct packet
    /// access (the linear part, or the segment `bpf_xdp_adjust_data` moved the window to).
    pub fn ctx_data(&self) -> &[u8] {
        match self.window {
            None => self.linear(),
            Some(w) => {
                let page = if w.segment == 0 { &self.head } else { &self.frags[w.segment - 1] };
                &page.bytes()[w.start as usize..w.end as usize]
            }
        }
    }

    pub fn ctx_data_mut(&mut self) -> &mut [u8] {
        match self.window {
            None => {
                let (start, end) = (self.data as usize, self.data_end as usize);
                &mut self.head.bytes_mut()[start..end]
            }
            Some(w) => {
                let page = if w.segment == 0 { &mut self.head } else { &mut self.frags[w.segment - 1] };
                &mut page.bytes_mut()[w.start as usize..w.end as usize]
            }
        }
    }

    /// Gives every page back to its pool (`xdp_return_buff`). Dropping does the same; this names
    /// the moment.
    pub fn release(self) {}
}

/// Offsets into the head page, for display and for mapping pointers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuffLayout {
    pub page_addr: u64,
    pub page_size: u32,
    pub hard_start: u32,
    pub data_meta: u32,
    pub data: u32,
    pub data_end: u32,
    /// `xdp_data_hard_end`: where the shared info starts.
    pub hard_end: u32,
    pub frame_sz: u32,
}
