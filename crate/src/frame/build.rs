//! Building an `xdp_buff` from packet bytes.
//!
//! The defaults reproduce how `BPF_PROG_TEST_RUN` lays out an XDP packet: data at 256 bytes of
//! headroom (metadata, if any, just before it), at most `frame_sz − 256 − shared info` bytes
//! (3520 with 4 KiB pages) in the linear part, the rest in whole-page frags at offset 0, and
//! ENOMEM once `MAX_SKB_FRAGS` frags would not hold the rest. Options change what drivers change;
//! an option that cannot be honoured is EINVAL, never quietly adjusted (test_run's own clamping
//! of ctx_in is `test_run_linear`).

use super::buff::{BuffInit, RxQueue, XdpBuff};
use super::layout::*;
use crate::errno::{Errno, Result, XdpError};
use crate::pool::PagePool;

#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Where packet data starts, measured from `data_hard_start` (XDP_PACKET_HEADROOM).
    pub headroom: u32,
    /// Metadata to place right before the data (`data_meta = data - meta.len()`).
    pub meta: Vec<u8>,
    /// false models a driver without metadata support (`data_meta = data + 1`).
    pub meta_supported: bool,
    /// Packet bytes to keep in the linear part (all of a shorter packet): at least an Ethernet
    /// header (14) and at most what the linear part holds (3520 with the defaults), else EINVAL.
    /// Under `test_run_linear`, test_run's `ctx.data_end - ctx.data` instead.
    pub linear_len: Option<u32>,
    /// BPF_PROG_TEST_RUN's rules for `linear_len`, as `bpf_prog_test_run_xdp` applies them to
    /// ctx_in: clamped to what the linear part holds, and anything from 0 accepted (the frags then
    /// hold the Ethernet header; the packet as a whole still needs one). Used by
    /// [`crate::bpf::test_run::build_buff`].
    pub test_run_linear: bool,
    /// Packet bytes per frag; defaults to what is left of a page after `frag_offset`.
    pub frag_len: Option<u32>,
    /// Where frag data starts inside its page (a driver's RX offset).
    pub frag_offset: u32,
    /// Added to `xdp_frags_truesize` per frag. test_run leaves the field at 0; drivers set a page.
    pub frag_truesize: u32,
    /// `frame_sz` of the linear buffer; defaults to the page size.
    pub frame_sz: Option<u32>,
    /// `MAX_SKB_FRAGS` (17 to 45). The shared info, and so the tailroom, grows with it.
    pub max_frags: u8,
    /// The receive queue; its `frag_size` decides whether frags can grow.
    pub rxq: RxQueue,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            headroom: XDP_PACKET_HEADROOM,
            meta: Vec::new(),
            meta_supported: true,
            linear_len: None,
            test_run_linear: false,
            frag_len: None,
            frag_offset: 0,
            frag_truesize: 0,
            frame_sz: None,
            max_frags: MAX_SKB_FRAGS,
            rxq: RxQueue::default(),
        }
    }
}

/// How bytes would be split, without allocating: useful to explain a layout or an ENOMEM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    pub linear_len: u32,
    pub frag_len: u32,
    pub nr_frags: u32,
    /// Largest packet these options can hold.
    pub max_len: u64,
}

const OP: &str = "xdp_build_buff";

impl BuildOptions {
    /// Validates the options against a page size and computes the split of `total` bytes.
    pub fn split(&self, page_size: u32, total: usize) -> Result<Split> {
        let meta_len = self.meta.len() as u32;
        if !MAX_SKB_FRAGS_RANGE.contains(&self.max_frags) {
            return Err(XdpError::new(Errno::EINVAL, OP, format!("MAX_SKB_FRAGS {} is outside 17..=45", self.max_frags))
                .limit(u64::from(*MAX_SKB_FRAGS_RANGE.end())));
        }
        if self.meta.len() > XDP_META_MAX as usize || !meta_len.is_multiple_of(4) {
            return Err(XdpError::new(Errno::EINVAL, OP, "metadata length must be a multiple of 4 and at most 255")
                .len(self.meta.len() as u64)
                .limit(u64::from(XDP_META_MAX)));
        }
        if !self.meta_supported && meta_len != 0 {
            return Err(XdpError::new(Errno::EINVAL, OP, "metadata given but meta_supported is false"));
        }
        if u64::from(meta_len) + u64::from(XDP_FRAME_SIZE) > u64::from(self.headroom) {
            return Err(XdpError::new(
                Errno::EINVAL,
                OP,
                format!("metadata of {meta_len} bytes and the 40-byte xdp_frame do not fit in {} bytes of headroom", self.headroom),
            )
            .len(u64::from(meta_len))
            .limit(u64::from(self.headroom.saturating_sub(XDP_FRAME_SIZE))));
        }
        let frame_sz = self.frame_sz.unwrap_or(page_size);
        if frame_sz > page_size {
            return Err(XdpError::new(Errno::EINVAL, OP, "frame_sz is larger than a page")
                .len(u64::from(frame_sz))
                .limit(u64::from(page_size)));
        }
        let reserved = u64::from(self.headroom) + u64::from(shinfo_tailroom(self.max_frags));
        if reserved >= u64::from(frame_sz) {
            return Err(XdpError::new(Errno::EINVAL, OP, "headroom and shared info leave no room for data in the frame")
                .len(reserved)
                .limit(u64::from(frame_sz)));
        }
        let max_linear = frame_sz - reserved as u32;
        if self.frag_offset >= page_size {
            return Err(XdpError::new(Errno::EINVAL, OP, "frag offset is outside the page")
                .offset(i64::from(self.frag_offset))
                .limit(u64::from(page_size)));
        }
        let frag_len = self.frag_len.unwrap_or(page_size - self.frag_offset);
        if frag_len == 0 || u64::from(frag_len) + u64::from(self.frag_offset) > u64::from(page_size) {
            return Err(XdpError::new(Errno::EINVAL, OP, "frag length must be positive and fit in a page after the frag offset")
                .len(u64::from(frag_len))
                .limit(u64::from(page_size - self.frag_offset)));
        }
        if total < ETH_HLEN as usize {
            return Err(XdpError::new(Errno::EINVAL, OP, format!("a packet of {total} bytes is shorter than an Ethernet header"))
                .len(total as u64)
                .limit(u64::from(ETH_HLEN)));
        }
        if let (Some(n), false) = (self.linear_len, self.test_run_linear) {
            if n > max_linear {
                return Err(XdpError::new(
                    Errno::EINVAL,
                    OP,
                    format!(
                        "linearLength {n} is more than the linear part holds: {max_linear} bytes (frame size {frame_sz} - headroom {} - shared info {})",
                        self.headroom,
                        shinfo_tailroom(self.max_frags)
                    ),
                )
                .len(u64::from(n))
                .limit(u64::from(max_linear)));
            }
            if n < ETH_HLEN {
                return Err(XdpError::new(
                    Errno::EINVAL,
                    OP,
                    format!("linearLength {n} is shorter than an Ethernet header ({ETH_HLEN} bytes); test_run's short linear parts are built by Frame.fromTestRun / test_run::build_buff"),
                )
                .len(u64::from(n))
                .limit(u64::from(ETH_HLEN)));
            }
        }
        let linear_len = (self.linear_len.unwrap_or(max_linear).min(max_linear) as usize).min(total) as u32;
        let rest = (total - linear_len as usize) as u64;
        let nr_frags = rest.div_ceil(u64::from(frag_len));
        let max_len = u64::from(linear_len) + u64::from(self.max_frags) * u64::from(frag_len);
        if nr_frags > u64::from(self.max_frags) {
            return Err(XdpError::new(
                Errno::ENOMEM,
                OP,
                format!("{total} bytes need {nr_frags} frags after {linear_len} linear bytes; MAX_SKB_FRAGS is {}", self.max_frags),
            )
            .len(total as u64)
            .limit(max_len));
        }
        Ok(Split { linear_len, frag_len, nr_frags: nr_frags as u32, max_len })
    }
}

impl XdpBuff {
    /// Builds a buffer holding `bytes`, taking pages from `pool`. On error every page taken goes
    /// back.
    pub fn from_bytes(pool: &PagePool, bytes: &[u8], opts: &BuildOptions) -> Result<XdpBuff> {
        let page_size = pool.page_size();
        let split = opts.split(page_size, bytes.len())?;
        let mut head = pool.alloc()?;
        // Headroom and metadata area are zeroed, as test_run's kzalloc'd buffer is: growing the
        // head or the metadata must not expose a previous packet.
        head.bytes_mut()[..opts.headroom as usize].fill(0);
        let meta_len = opts.meta.len() as u32;
        let data = opts.headroom as usize;
        head.bytes_mut()[data - opts.meta.len()..data].copy_from_slice(&opts.meta);
        head.bytes_mut()[data..data + split.linear_len as usize].copy_from_slice(&bytes[..split.linear_len as usize]);
        let mut buff = XdpBuff::new(
            head,
            BuffInit {
                hard_start: 0,
                headroom: opts.headroom,
                len: split.linear_len,
                frame_sz: opts.frame_sz.unwrap_or(page_size),
                meta_valid: opts.meta_supported,
                max_frags: opts.max_frags,
                rxq: opts.rxq,
            },
        )?;
        buff.data_meta -= meta_len;
        // test_run's buffer starts zeroed, so a fresh shared info reads as "no frags".
        let base = buff.shinfo_base() as usize;
        let end = base + shinfo_size(opts.max_frags) as usize;
        buff.head.bytes_mut()[base..end].fill(0);

        for chunk in bytes[split.linear_len as usize..].chunks(split.frag_len as usize) {
            let mut page = pool.alloc()?;
            let off = opts.frag_offset as usize;
            page.bytes_mut()[off..off + chunk.len()].copy_from_slice(chunk);
            buff.add_frag(page, opts.frag_offset, chunk.len() as u32, opts.frag_truesize).map_err(|(err, _page)| err)?;
        }
        Ok(buff)
    }
}
