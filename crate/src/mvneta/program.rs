//! XDP programs as the driver sees them: something run once per complete frame that returns an
//! action, may ask for a redirect, and may read the frame's RX metadata hints through the
//! kernel's `bpf_xdp_metadata_rx_*` kfunc semantics.

use std::rc::Weak;

use super::redirect::RedirectTarget;
use crate::errno::Result;
use crate::frame::XdpBuff;
use crate::xdp::{RxHints, VlanTag, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX};

/// One frame in front of an XDP program.
pub struct XdpContext<'a> {
    pub buff: &'a mut XdpBuff,
    pub hints: RxHints,
    /// `rx_metadata` bits of the device: the kfuncs it implements.
    pub rx_metadata: u32,
    pub ifindex: u32,
    pub rx_queue_index: u32,
    /// Set by `redirect` before returning XDP_REDIRECT (the kernel's per-CPU `bpf_redirect_info`).
    pub redirect: Option<RedirectTarget>,
}

impl XdpContext<'_> {
    /// `bpf_xdp_metadata_rx_hash`: the hash and its `xdp_rss_hash_type`.
    pub fn rx_hash(&self) -> Result<(u32, u32)> {
        self.hints.rx_hash(self.rx_metadata)
    }

    /// `bpf_xdp_metadata_rx_timestamp`.
    pub fn rx_timestamp(&self) -> Result<u64> {
        self.hints.rx_timestamp(self.rx_metadata)
    }

    /// `bpf_xdp_metadata_rx_vlan_tag`.
    pub fn rx_vlan_tag(&self) -> Result<VlanTag> {
        self.hints.rx_vlan_tag(self.rx_metadata)
    }

    /// Writes the hints the NIC has for this frame into the metadata key/value store under the
    /// well-known hardware keys (hash, VLAN tag, timestamp), so they travel with the frame through
    /// `xdp_frame` conversion and XDP_REDIRECT (to a cpumap, into the skb's metadata). Hints the
    /// device does not implement or the frame lacks are skipped; returns how many were stored.
    /// ENOSPC when the metadata area has no room (nothing changes for that key).
    pub fn export_hints(&mut self) -> Result<u32> {
        use crate::frame::{HwVlan, KV_KEY_HW_HASH, KV_KEY_HW_TIMESTAMP, KV_KEY_HW_VLAN};
        let mut n = 0;
        if let Ok((hash, _)) = self.rx_hash() {
            self.buff.kv_set(KV_KEY_HW_HASH, &hash.to_le_bytes())?;
            n += 1;
        }
        if let Ok(v) = self.rx_vlan_tag() {
            self.buff.kv_set(KV_KEY_HW_VLAN, &HwVlan { proto: v.proto, tci: v.tci }.to_bytes())?;
            n += 1;
        }
        if let Ok(t) = self.rx_timestamp() {
            self.buff.kv_set(KV_KEY_HW_TIMESTAMP, &t.to_le_bytes())?;
            n += 1;
        }
        Ok(n)
    }

    /// `bpf_redirect` / `bpf_redirect_map` with a present entry: records where XDP_REDIRECT goes
    /// and returns XDP_REDIRECT.
    pub fn redirect(&mut self, target: RedirectTarget) -> u32 {
        self.redirect = Some(target);
        XDP_REDIRECT
    }
}

/// A program the driver runs natively (a Rust implementation of an XDP program).
pub trait XdpProgram {
    /// `prog->aux->xdp_has_frags`: loaded as `xdp.frags`, it accepts multi-buffer frames.
    fn has_frags(&self) -> bool;
    fn run(&mut self, ctx: &mut XdpContext<'_>) -> u32;
    /// The features it needs, with the devices they are needed on (see [`crate::bpf::needs`]).
    fn needs(&self) -> Vec<DeviceNeed> {
        Vec::new()
    }
}

/// A feature a program needs on a device: the one it is attached to (`target` None) or a redirect
/// target; `pc` and `why` name the instruction.
#[derive(Clone, Debug)]
pub struct DeviceNeed {
    pub feature: crate::bpf::needs::Feature,
    pub target: Option<RedirectTarget>,
    pub pc: usize,
    pub why: String,
}

/// Programs built into the engine, for benchmarks and the main job.
pub enum Builtin {
    /// Returns the same action for every frame.
    Verdict { action: u32, frags: bool },
    /// Swaps the Ethernet source and destination and sends the frame back out (XDP_TX).
    Reflect { frags: bool },
    /// Redirects every frame.
    Redirect { target: RedirectTarget, frags: bool },
    /// The main job's program: reads the packet length across frags and decides by it and by
    /// the UDP destination port (see the README).
    Mix { target: Option<RedirectTarget> },
}

impl XdpProgram for Builtin {
    fn has_frags(&self) -> bool {
        match self {
            Builtin::Verdict { frags, .. } | Builtin::Reflect { frags } | Builtin::Redirect { frags, .. } => *frags,
            Builtin::Mix { .. } => true,
        }
    }

    fn run(&mut self, ctx: &mut XdpContext<'_>) -> u32 {
        match self {
            Builtin::Verdict { action, .. } => *action,
            Builtin::Reflect { .. } => {
                swap_macs(ctx.buff);
                XDP_TX
            }
            Builtin::Redirect { target, .. } => ctx.redirect(target.clone()),
            Builtin::Mix { target } => mix(ctx, target.as_ref()),
        }
    }
}

fn swap_macs(buff: &mut XdpBuff) {
    let data = buff.ctx_data_mut();
    if data.len() >= 12 {
        let (dst, src) = data.split_at_mut(6);
        dst.swap_with_slice(&mut src[..6]);
    }
}

/// UDP destination ports the main job's program acts on.
pub const MIX_PORT_DROP: u16 = 9;
pub const MIX_PORT_TX: u16 = 7;
pub const MIX_PORT_REDIRECT: u16 = 4789;

fn mix(ctx: &mut XdpContext<'_>, target: Option<&RedirectTarget>) -> u32 {
    let mut hdr = [0u8; 38];
    if ctx.buff.load_bytes(0, &mut hdr).is_err() || u16::from_be_bytes([hdr[12], hdr[13]]) != 0x0800 || hdr[23] != 17 {
        return XDP_PASS;
    }
    let ihl = usize::from(hdr[14] & 0xf) * 4;
    let mut ports = [0u8; 4];
    if ctx.buff.load_bytes((14 + ihl) as u32, &mut ports).is_err() {
        return XDP_PASS;
    }
    match u16::from_be_bytes([ports[2], ports[3]]) {
        MIX_PORT_DROP => XDP_DROP,
        MIX_PORT_TX => {
            swap_macs(ctx.buff);
            XDP_TX
        }
        MIX_PORT_REDIRECT => match target {
            Some(t) => ctx.redirect(t.clone()),
            None => XDP_PASS,
        },
        _ => XDP_PASS,
    }
}

/// A weak handle, upgraded at use: a program does not keep its redirect targets alive.
pub type WeakRef<T> = Weak<std::cell::RefCell<T>>;
