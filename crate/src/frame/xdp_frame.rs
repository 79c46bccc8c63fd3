//! `struct xdp_frame`: the form a buffer takes when it leaves the receive path (XDP_TX,
//! XDP_REDIRECT, cpumap). Its 40 bytes are written at `data_hard_start` in the head page itself,
//! which is why every helper keeps that much headroom; the shared info stays where it was.

use super::buff::{RxQueue, XdpBuff};
use super::layout::*;
use super::shinfo::{FragDesc, Frags, Shinfo};
use crate::errno::{Errno, XdpError};
use crate::pool::Page;

pub struct XdpFrame {
    // Frags drop before the head, as `xdp_return_frame` returns them.
    pub(crate) frags: Vec<Page>,
    pub(crate) head: Page,
    /// Offset of `data_hard_start` (= where the 40 bytes live) in the head page.
    pub(crate) hard_start: u32,
    pub(crate) max_frags: u8,
}

impl std::fmt::Debug for XdpFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XdpFrame")
            .field("len", &self.len())
            .field("frame_len", &self.frame_len())
            .field("nr_frags", &self.nr_frags())
            .finish()
    }
}

impl XdpBuff {
    /// `xdp_convert_buff_to_frame`. Fails with ENOSPC (giving the buffer back) when the
    /// headroom left after the metadata cannot hold the 40-byte frame, or when data runs into the
    /// reserved tailroom; with EFAULT while `bpf_xdp_adjust_data` has moved the data pointers.
    // The buffer comes back with the error, so that a failed conversion loses nothing.
    #[allow(clippy::result_large_err)]
    pub fn into_frame(self) -> Result<XdpFrame, (XdpError, XdpBuff)> {
        const OP: &str = "xdp_convert_buff_to_frame";
        if self.window.is_some() {
            return Err((XdpError::new(Errno::EFAULT, OP, "data pointers moved by bpf_xdp_adjust_data must be reset first"), self));
        }
        let headroom = self.data - self.hard_start;
        let metasize = self.meta_len();
        if headroom - metasize < XDP_FRAME_SIZE {
            let err = XdpError::new(Errno::ENOSPC, OP, "no room for the 40-byte xdp_frame in the headroom before the metadata")
                .len(u64::from(headroom - metasize))
                .limit(u64::from(XDP_FRAME_SIZE));
            return Err((err, self));
        }
        if self.data_end > self.shinfo_base() {
            let err = XdpError::new(Errno::ENOSPC, OP, "driver bug: data runs into the tailroom reserved for skb_shared_info");
            return Err((err, self));
        }
        let data_addr = self.head.addr() + u64::from(self.data);
        let (len, frame_sz, flags) = (self.data_end - self.data, self.frame_sz, self.flags);
        let XdpBuff { mut head, frags, hard_start, max_frags, .. } = self;
        let at = hard_start as usize;
        let bytes = &mut head.bytes_mut()[at..at + XDP_FRAME_SIZE as usize];
        write_u64(bytes, xdp_frame::DATA, data_addr);
        write_u32(bytes, xdp_frame::LEN, len);
        write_u32(bytes, xdp_frame::HEADROOM, headroom - XDP_FRAME_SIZE);
        write_u32(bytes, xdp_frame::METASIZE, metasize);
        write_u32(bytes, xdp_frame::MEM_TYPE, MEM_TYPE_PAGE_POOL);
        write_u64(bytes, xdp_frame::DEV_RX, 0);
        write_u32(bytes, xdp_frame::FRAME_SZ, frame_sz);
        write_u32(bytes, xdp_frame::FLAGS, flags);
        Ok(XdpFrame { head, frags, hard_start, max_frags })
    }
}

impl XdpFrame {
    #[inline]
    fn field(&self, at: usize) -> u32 {
        read_u32(self.head.bytes(), self.hard_start as usize + at)
    }

    /// `xdpf->len`: linear bytes only.
    pub fn len(&self) -> u32 {
        self.field(xdp_frame::LEN)
    }

    pub fn is_empty(&self) -> bool {
        self.frame_len() == 0
    }

    /// `xdpf->headroom`: bytes between the end of the frame struct and `data`.
    pub fn headroom(&self) -> u32 {
        self.field(xdp_frame::HEADROOM)
    }

    pub fn metasize(&self) -> u32 {
        self.field(xdp_frame::METASIZE)
    }

    pub fn frame_sz(&self) -> u32 {
        self.field(xdp_frame::FRAME_SZ)
    }

    pub fn flags(&self) -> u32 {
        self.field(xdp_frame::FLAGS)
    }

    pub fn mem_type(&self) -> u32 {
        self.field(xdp_frame::MEM_TYPE)
    }

    /// `xdpf->data` as the synthetic kernel address written into the frame.
    pub fn data_addr(&self) -> u64 {
        read_u64(self.head.bytes(), self.hard_start as usize + xdp_frame::DATA)
    }

    /// The 40 bytes of `struct xdp_frame` at `data_hard_start`.
    pub fn raw(&self) -> &[u8] {
        &self.head.bytes()[self.hard_start as usize..(self.hard_start + XDP_FRAME_SIZE) as usize]
    }

    pub fn has_frags(&self) -> bool {
        self.flags() & XDP_FLAGS_HAS_FRAGS != 0
    }

    /// Offset of `data` in the head page, derived as `xdp_get_shared_info_from_frame` does.
    fn data_offset(&self) -> u32 {
        self.hard_start + XDP_FRAME_SIZE + self.headroom()
    }

    fn shinfo(&self) -> Shinfo<'_> {
        Shinfo::at(self.head.bytes(), self.hard_start + self.frame_sz() - shinfo_tailroom(self.max_frags))
    }

    fn frag_fields(&self) -> Frags<'_> {
        Frags::of(self.shinfo(), self.has_frags())
    }

    pub fn nr_frags(&self) -> u8 {
        self.frag_fields().count()
    }

    pub fn frags_size(&self) -> u32 {
        self.frag_fields().size()
    }

    pub fn frags(&self) -> Vec<FragDesc> {
        self.frag_fields().list()
    }

    /// `xdp_get_frame_len`: linear plus frags.
    pub fn frame_len(&self) -> u32 {
        self.len() + self.frags_size()
    }

    /// The packet bytes, linear then frags.
    pub fn to_vec(&self) -> Vec<u8> {
        let start = self.data_offset() as usize;
        let mut out = self.head.bytes()[start..start + self.len() as usize].to_vec();
        let sinfo = self.shinfo();
        for (i, page) in self.frags.iter().enumerate().take(usize::from(self.nr_frags())) {
            let (off, len) = (sinfo.frag_offset(i) as usize, sinfo.frag_len(i) as usize);
            out.extend_from_slice(&page.bytes()[off..off + len]);
        }
        out
    }

    /// Segments a transmit path sends: the linear part, then each frag.
    pub fn segment_count(&self) -> usize {
        1 + usize::from(self.nr_frags())
    }

    /// Segment `i` (0: linear part): the page it lives in, the offset of its first byte in that
    /// page, and its bytes.
    pub fn segment(&self, i: usize) -> (&crate::pool::Page, u32, &[u8]) {
        if i == 0 {
            let start = self.data_offset();
            (&self.head, start, &self.head.bytes()[start as usize..(start + self.len()) as usize])
        } else {
            let sinfo = self.shinfo();
            let (off, len) = (sinfo.frag_offset(i - 1), sinfo.frag_len(i - 1));
            let page = &self.frags[i - 1];
            (page, off, &page.bytes()[off as usize..(off + len) as usize])
        }
    }

    pub fn meta(&self) -> &[u8] {
        let data = self.data_offset() as usize;
        &self.head.bytes()[data - self.metasize() as usize..data]
    }

    /// `xdp_convert_frame_to_buff`, as cpumap and devmap do before running a second program. The
    /// new buffer belongs to `rxq` (theirs has no frag size, so frags cannot grow there).
    pub fn into_buff(self, rxq: RxQueue) -> XdpBuff {
        let data = self.data_offset();
        let (len, metasize, frame_sz, flags) = (self.len(), self.metasize(), self.frame_sz(), self.flags());
        let XdpFrame { head, frags, hard_start, max_frags } = self;
        XdpBuff {
            head,
            frags,
            hard_start,
            data_meta: data - metasize,
            data,
            data_end: data + len,
            frame_sz,
            flags,
            max_frags,
            rxq,
            window: None,
        }
    }

    /// `xdp_return_frame`: every frag page, then the head page, back to their pools.
    pub fn release(self) {}
}
