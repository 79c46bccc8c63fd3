//! The XDP contract: what any XDP program and any driver agree on, below both the BPF engine
//! ([`crate::bpf`]) and the drivers ([`crate::mvneta`]). The actions a program returns and what a
//! driver makes of an unknown one, `struct xdp_md` and the values its loads are rewritten to, the
//! RX metadata hints behind the `bpf_xdp_metadata_rx_*` kfuncs, and the device's XDP features.

use crate::errno::{Errno, Result, XdpError};
use crate::frame::XdpBuff;

/// `enum xdp_action`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XdpAction {
    Aborted = 0,
    Drop = 1,
    Pass = 2,
    Tx = 3,
    Redirect = 4,
}

/// The actions as the u32 a program returns (`bpf_prog_run_xdp`'s result), for code that hands
/// the raw value on: a program may return any number, and only the driver decides what an
/// unknown one means ([`XdpAction::of_ret`]).
pub const XDP_ABORTED: u32 = XdpAction::Aborted as u32;
pub const XDP_DROP: u32 = XdpAction::Drop as u32;
pub const XDP_PASS: u32 = XdpAction::Pass as u32;
pub const XDP_TX: u32 = XdpAction::Tx as u32;
pub const XDP_REDIRECT: u32 = XdpAction::Redirect as u32;

impl XdpAction {
    pub const ALL: [XdpAction; 5] = [XdpAction::Aborted, XdpAction::Drop, XdpAction::Pass, XdpAction::Tx, XdpAction::Redirect];

    /// The action a driver takes for a program's return value: an unknown value is the kernel's
    /// `default:` case, `bpf_warn_invalid_xdp_action` falling through to XDP_ABORTED, which the
    /// driver counts as an exception and drops.
    pub fn of_ret(ret: u32) -> XdpAction {
        XdpAction::try_from(ret).unwrap_or(XdpAction::Aborted)
    }

    /// The uapi name (`XDP_DROP`, …).
    pub fn name(self) -> &'static str {
        match self {
            XdpAction::Aborted => "XDP_ABORTED",
            XdpAction::Drop => "XDP_DROP",
            XdpAction::Pass => "XDP_PASS",
            XdpAction::Tx => "XDP_TX",
            XdpAction::Redirect => "XDP_REDIRECT",
        }
    }
}

impl TryFrom<u32> for XdpAction {
    /// The value that names no action.
    type Error = u32;

    fn try_from(ret: u32) -> std::result::Result<XdpAction, u32> {
        XdpAction::ALL.get(ret as usize).copied().ok_or(ret)
    }
}

impl From<XdpAction> for u32 {
    fn from(a: XdpAction) -> u32 {
        a as u32
    }
}

impl From<XdpAction> for u64 {
    /// The action as a helper's or a program's r0.
    fn from(a: XdpAction) -> u64 {
        a as u64
    }
}

/// `struct xdp_md` field offsets.
pub const XDP_MD_DATA: u64 = 0;
pub const XDP_MD_DATA_END: u64 = 4;
pub const XDP_MD_DATA_META: u64 = 8;
pub const XDP_MD_INGRESS_IFINDEX: u64 = 12;
pub const XDP_MD_RX_QUEUE_INDEX: u64 = 16;
pub const XDP_MD_EGRESS_IFINDEX: u64 = 20;
pub const XDP_MD_SIZE: usize = 24;
/// Its u32 fields, in offset order.
pub const XDP_MD_FIELDS: usize = XDP_MD_SIZE / 4;

/// What each `struct xdp_md` field reads as once the verifier's `convert_ctx_access` has rewritten
/// the load, indexed by offset / 4: data, data_end (of the window the program sees, which may lie
/// in a frag), data_meta (always the head page), the RX device and queue, and egress_ifindex,
/// which is 0 on the RX path. Pointers are host addresses: the frame model's pages are the
/// kernel's, programs get the memory they live in.
pub fn xdp_md_values(buff: &XdpBuff, ingress_ifindex: u32, rx_queue_index: u32) -> [u64; XDP_MD_FIELDS] {
    let page = buff.head_page().as_ptr() as u64;
    let l = buff.layout();
    let w = buff.ctx_window();
    let seg_base = segment_page(buff, w.segment).unwrap_or(page);
    [
        seg_base + w.start as u64,
        seg_base + w.end as u64,
        page + l.data_meta as u64,
        u64::from(ingress_ifindex),
        u64::from(rx_queue_index),
        0,
    ]
}

/// The host address of the page segment `i` lives in (0 = the head page).
pub fn segment_page(buff: &XdpBuff, i: usize) -> Option<u64> {
    buff.segments().nth(i).map(|s| s.bytes.as_ptr() as u64 - u64::from(s.page_offset))
}

/// `enum netdev_xdp_act`: the XDP features a device advertises.
pub mod xdp_act {
    pub const BASIC: u32 = 1;
    pub const REDIRECT: u32 = 2;
    pub const NDO_XMIT: u32 = 4;
    pub const XSK_ZEROCOPY: u32 = 8;
    pub const HW_OFFLOAD: u32 = 16;
    pub const RX_SG: u32 = 32;
    pub const NDO_XMIT_SG: u32 = 64;

    pub const NAMES: [(u32, &str); 7] = [
        (BASIC, "basic"),
        (REDIRECT, "redirect"),
        (NDO_XMIT, "ndo-xmit"),
        (XSK_ZEROCOPY, "xsk-zerocopy"),
        (HW_OFFLOAD, "hw-offload"),
        (RX_SG, "rx-sg"),
        (NDO_XMIT_SG, "ndo-xmit-sg"),
    ];
}

/// `enum netdev_xdp_rx_metadata`: which `xmo_rx_*` callbacks a device implements.
pub mod rx_metadata {
    pub const TIMESTAMP: u32 = 1;
    pub const HASH: u32 = 2;
    pub const VLAN_TAG: u32 = 4;

    pub const NAMES: [(u32, &str); 3] = [(TIMESTAMP, "timestamp"), (HASH, "hash"), (VLAN_TAG, "vlan-tag")];
}

/// A VLAN tag as `bpf_xdp_metadata_rx_vlan_tag` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VlanTag {
    /// The tag protocol (0x8100 or 0x88a8), host order here.
    pub proto: u16,
    pub tci: u16,
}

/// What the NIC reported about one received frame, next to its descriptors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxHints {
    /// RSS hash and `xdp_rss_hash_type`, for IP frames.
    pub hash: Option<(u32, u32)>,
    /// The VLAN tag the MAC stripped from the frame.
    pub vlan: Option<VlanTag>,
    /// Receive timestamp, ns.
    pub timestamp: Option<u64>,
}

/// What a driver gives the program it runs (the engine's side is `bpf::attach::XdpRunner`): the
/// frame, the `xdp_md` fields it reports, and the hints behind the `bpf_xdp_metadata_rx_*` kfuncs,
/// which a device without them answers as the kernel's default `xmo` does.
pub trait XdpHost {
    fn buff(&mut self) -> &mut XdpBuff;
    fn ingress_ifindex(&self) -> u32 {
        1
    }
    fn rx_queue_index(&self) -> u32 {
        0
    }
    fn rx_hash(&mut self) -> Result<(u32, u32)> {
        Err(no_kfunc("bpf_xdp_metadata_rx_hash"))
    }
    fn rx_timestamp(&mut self) -> Result<u64> {
        Err(no_kfunc("bpf_xdp_metadata_rx_timestamp"))
    }
    /// (vlan_proto, vlan_tci)
    fn rx_vlan_tag(&mut self) -> Result<(u16, u16)> {
        Err(no_kfunc("bpf_xdp_metadata_rx_vlan_tag"))
    }
}

fn no_kfunc(op: &'static str) -> XdpError {
    XdpError::new(Errno::EOPNOTSUPP, op, "device driver doesn't implement kfunc")
}

fn no_data(op: &'static str, what: &str) -> XdpError {
    XdpError::new(Errno::ENODATA, op, format!("no {what} available for this frame"))
}

/// The `bpf_xdp_metadata_rx_*` kfuncs over a frame's hints on a device implementing the
/// `rx_metadata` callbacks in `implemented`: EOPNOTSUPP when the device lacks the callback,
/// ENODATA when the frame has no such hint.
impl RxHints {
    /// `bpf_xdp_metadata_rx_hash`: the hash and its `xdp_rss_hash_type`.
    pub fn rx_hash(&self, implemented: u32) -> Result<(u32, u32)> {
        const OP: &str = "bpf_xdp_metadata_rx_hash";
        if implemented & rx_metadata::HASH == 0 {
            return Err(no_kfunc(OP));
        }
        self.hash.ok_or_else(|| no_data(OP, "hash"))
    }

    /// `bpf_xdp_metadata_rx_timestamp`.
    pub fn rx_timestamp(&self, implemented: u32) -> Result<u64> {
        const OP: &str = "bpf_xdp_metadata_rx_timestamp";
        if implemented & rx_metadata::TIMESTAMP == 0 {
            return Err(no_kfunc(OP));
        }
        self.timestamp.ok_or_else(|| no_data(OP, "timestamp"))
    }

    /// `bpf_xdp_metadata_rx_vlan_tag`: the protocol (host order here; network order in the
    /// kfunc's out-argument) and the TCI.
    pub fn rx_vlan_tag(&self, implemented: u32) -> Result<VlanTag> {
        const OP: &str = "bpf_xdp_metadata_rx_vlan_tag";
        if implemented & rx_metadata::VLAN_TAG == 0 {
            return Err(no_kfunc(OP));
        }
        self.vlan.ok_or_else(|| no_data(OP, "VLAN tag"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_actions_abort() {
        for a in XdpAction::ALL {
            assert_eq!(XdpAction::of_ret(a as u32), a);
        }
        assert_eq!(XdpAction::try_from(5), Err(5));
        assert_eq!(XdpAction::of_ret(u32::MAX), XdpAction::Aborted);
    }
}
