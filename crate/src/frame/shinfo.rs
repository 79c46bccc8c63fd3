//! `struct skb_shared_info` as bytes at the end of a linear buffer.
//!
//! The frame engine keeps the shared info where the kernel keeps it, in the head page, and reads
//! and writes it there. Its contents only mean something while the owner says so
//! (`XDP_FLAGS_HAS_FRAGS` for an xdp_buff/xdp_frame): a recycled page still carries the previous
//! packet's values, exactly as in the kernel, and nothing here hides that.

use super::layout::{read_u32, read_u64, shinfo as off, write_u32, write_u64};

/// One `skb_frag_t`, as a user sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragDesc {
    /// The `netmem` field: the frag page's address.
    pub page_addr: u64,
    /// Where the frag's bytes start inside its page.
    pub offset: u32,
    pub len: u32,
}

#[derive(Clone, Copy)]
pub(crate) struct Shinfo<'a> {
    bytes: &'a [u8],
}

impl<'a> Shinfo<'a> {
    #[inline]
    pub(crate) fn at(page: &'a [u8], base: u32) -> Self {
        Shinfo { bytes: &page[base as usize..] }
    }

    #[inline]
    pub(crate) fn nr_frags(self) -> u8 {
        self.bytes[off::NR_FRAGS]
    }

    #[inline]
    pub(crate) fn meta_len(self) -> u8 {
        self.bytes[off::META_LEN]
    }

    #[inline]
    pub(crate) fn frags_size(self) -> u32 {
        read_u32(self.bytes, off::XDP_FRAGS_SIZE)
    }

    #[inline]
    pub(crate) fn frags_truesize(self) -> u32 {
        read_u32(self.bytes, off::XDP_FRAGS_TRUESIZE)
    }

    #[inline]
    pub(crate) fn frag_len(self, i: usize) -> u32 {
        read_u32(self.bytes, off::FRAGS + i * off::FRAG_SIZE + off::FRAG_LEN)
    }

    #[inline]
    pub(crate) fn frag_offset(self, i: usize) -> u32 {
        read_u32(self.bytes, off::FRAGS + i * off::FRAG_SIZE + off::FRAG_OFFSET)
    }

    pub(crate) fn frag(self, i: usize) -> FragDesc {
        FragDesc { page_addr: read_u64(self.bytes, off::FRAGS + i * off::FRAG_SIZE), offset: self.frag_offset(i), len: self.frag_len(i) }
    }
}

/// The frag fields of a shared info, read only while its owner's flags say `HAS_FRAGS`: otherwise
/// they are whatever the page last held, and count as no frags at all.
#[derive(Clone, Copy)]
pub(crate) struct Frags<'a> {
    sinfo: Option<Shinfo<'a>>,
}

impl<'a> Frags<'a> {
    #[inline]
    pub(crate) fn of(sinfo: Shinfo<'a>, has_frags: bool) -> Self {
        Frags { sinfo: has_frags.then_some(sinfo) }
    }

    #[inline]
    pub(crate) fn count(self) -> u8 {
        self.sinfo.map_or(0, Shinfo::nr_frags)
    }

    #[inline]
    pub(crate) fn size(self) -> u32 {
        self.sinfo.map_or(0, Shinfo::frags_size)
    }

    pub(crate) fn truesize(self) -> u32 {
        self.sinfo.map_or(0, Shinfo::frags_truesize)
    }

    pub(crate) fn list(self) -> Vec<FragDesc> {
        self.sinfo.map_or_else(Vec::new, |s| (0..usize::from(s.nr_frags())).map(|i| s.frag(i)).collect())
    }
}

pub(crate) struct ShinfoMut<'a> {
    bytes: &'a mut [u8],
}

impl<'a> ShinfoMut<'a> {
    #[inline]
    pub(crate) fn at(page: &'a mut [u8], base: u32) -> Self {
        ShinfoMut { bytes: &mut page[base as usize..] }
    }

    #[inline]
    pub(crate) fn read(&self) -> Shinfo<'_> {
        Shinfo { bytes: self.bytes }
    }

    #[inline]
    pub(crate) fn set_nr_frags(&mut self, n: u8) {
        self.bytes[off::NR_FRAGS] = n;
    }

    #[inline]
    pub(crate) fn set_meta_len(&mut self, n: u8) {
        self.bytes[off::META_LEN] = n;
    }

    #[inline]
    pub(crate) fn set_frags_size(&mut self, n: u32) {
        write_u32(self.bytes, off::XDP_FRAGS_SIZE, n);
    }

    #[inline]
    pub(crate) fn set_frags_truesize(&mut self, n: u32) {
        write_u32(self.bytes, off::XDP_FRAGS_TRUESIZE, n);
    }

    #[inline]
    pub(crate) fn set_frag_len(&mut self, i: usize, len: u32) {
        write_u32(self.bytes, off::FRAGS + i * off::FRAG_SIZE + off::FRAG_LEN, len);
    }

    pub(crate) fn set_frag(&mut self, i: usize, frag: FragDesc) {
        let at = off::FRAGS + i * off::FRAG_SIZE;
        write_u64(self.bytes, at, frag.page_addr);
        write_u32(self.bytes, at + off::FRAG_LEN, frag.len);
        write_u32(self.bytes, at + off::FRAG_OFFSET, frag.offset);
    }

    /// What `build_skb_around` does to the shared info: zero the header up to `dataref`, set
    /// `dataref` to 1. The frags array after it is left as it is.
    pub(crate) fn reset_for_skb(&mut self) {
        self.bytes[..off::DATAREF].fill(0);
        write_u32(self.bytes, off::DATAREF, 1);
    }

    /// `destructor_arg = NULL`, which since 6.14 shares its 8 bytes with the xdp frag sizes.
    pub(crate) fn clear_destructor_arg(&mut self) {
        write_u64(self.bytes, off::XDP_FRAGS_SIZE, 0);
    }
}

/// Moves frag descriptors `from..` down so that frag `from` lands at `to` (used when frags are
/// released from the front).
pub(crate) fn shift_frags_down(page: &mut [u8], base: u32, from: usize, to: usize, count: usize) {
    let start = base as usize + off::FRAGS;
    page.copy_within(start + from * off::FRAG_SIZE..start + (from + count) * off::FRAG_SIZE, start + to * off::FRAG_SIZE);
}
