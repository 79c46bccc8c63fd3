//! An emulated Marvell NETA (mvneta) Ethernet controller and its Linux driver's XDP paths: RX
//! and TX descriptor rings with the hardware's layouts and counters, a wire side that writes
//! frames into page-pool buffers as the DMA engine does, the software-buffer-management RX poll
//! that builds multi-buffer `xdp_buff`s, every XDP action (PASS to a host stack, DROP, TX over
//! one descriptor per buffer, REDIRECT to another device or a cpumap), MTU and attach rules, XDP
//! features, RX metadata hints, and the driver's statistics. What a program returns and reads
//! (actions, `struct xdp_md`, the hints' kfunc semantics, the feature bits) is the XDP contract's
//! ([`crate::xdp`]); [`bpf`] runs a loaded BPF program on the hook through the engine's
//! [`crate::bpf::attach::XdpRunner`].
//!
//! Numbers are those of arm64 with 4 KiB pages (the Armada 3700): 3520 usable bytes per RX
//! buffer after 256 bytes of headroom, the 2-byte Marvell header on the first buffer.

pub mod bpf;
pub mod desc;
pub mod device;
pub mod program;
pub mod redirect;
pub mod rx;
pub mod stats;
pub mod tx;
pub mod wire;
pub mod xsk;

pub use bpf::BpfXdpProgram;
pub use device::{Mvneta, MvnetaConfig, PollResult, Verdict, XDP_XMIT_FLUSH};
pub use program::{Builtin, XdpContext, XdpProgram};
pub use redirect::{CpuMap, RedirectTarget};
pub use rx::{RxError, WireRx};
pub use stats::{Diag, Mib, SwStats};
pub use tx::{Faults, WireFrame};

use crate::pool::Page;
use crate::xdp::xdp_act;

/// `MVNETA_MH_SIZE`: the Marvell header the MAC prepends on RX.
pub const MH_SIZE: u32 = 2;
/// `rx_offset_correction` with software buffer management: `MVNETA_SKB_HEADROOM`.
pub const RX_OFFSET: u32 = 256;
/// `MVNETA_MAX_RX_BUF_SIZE`: `PAGE_SIZE - MVNETA_SKB_PAD` (4096 - 576).
pub const MVNETA_MAX_RX_BUF_SIZE: u32 = 3520;
/// `dev->max_mtu`: 9700 - 20, rounded to 8.
pub const MAX_MTU: u32 = 9676;
/// `ETH_MIN_MTU`.
pub const MIN_MTU: u32 = 68;
/// `MVNETA_MAX_RXD` / `MVNETA_MAX_TXD`.
pub const MAX_RXD: u32 = 512;
pub const MAX_TXD: u32 = 1024;
/// Queues the controller has.
pub const MAX_QUEUES: u32 = 8;

/// The XDP features mvneta advertises with software buffer management.
pub const XDP_FEATURES: u32 = xdp_act::BASIC | xdp_act::REDIRECT | xdp_act::NDO_XMIT | xdp_act::RX_SG | xdp_act::NDO_XMIT_SG;

/// Behaviours of the upstream driver that look like bugs. Each is reproduced by default; turning
/// it off gives the behaviour the code evidently intends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quirks {
    /// `xdp_frags_size` is set at the first frag from the bytes still to come, which include the
    /// 4 FCS bytes: `bpf_xdp_get_buff_len` and the skb's length come out 4 too large. Off: the
    /// sum of the frag sizes.
    pub fcs_in_frags_size: bool,
    /// A frame whose descriptors straddle the end of a poll's budget is dropped (its remaining
    /// descriptors are recycled as orphans next poll). Off: the frame carries over to the next
    /// poll.
    pub drop_split_frames: bool,
    /// When a DMA mapping fails in `ndo_xdp_xmit`, the unwind rolls `next_desc_to_proc` back
    /// (wrapping from 0 to `last_desc - 1`, one short) but not the put index, leaving slots that
    /// still name the frame it hands back. Off: both indexes roll back exactly.
    pub tx_unwind: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks { fcs_in_frags_size: true, drop_split_frames: true, tx_unwind: true }
    }
}

/// The 32-bit DMA address of a page (the controller only has 32-bit address fields).
#[inline]
pub fn dma_addr(page: &Page) -> u32 {
    (page.addr() as u32).wrapping_add(0x1000_0000)
}
