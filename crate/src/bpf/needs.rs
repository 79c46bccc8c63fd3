//! The XDP features a program needs from the device it is attached to, read from what the
//! verifier saw it do: the actions it can return, the redirect helpers it calls and into which map
//! types, the frags helpers of a multi-buffer program, the RX metadata kfuncs.
//!
//! The kernel checks none of this: a program returning XDP_REDIRECT to a cpumap loads and attaches
//! on a driver without `NETDEV_XDP_ACT_REDIRECT`, and its packets are dropped (seed 002). uxdp
//! refuses the attach instead, naming the feature and the instruction that needs it.
//!
//! What is not seen: a tail call's target returns what it returns (its own needs are checked when
//! it is attached, not through the caller); `bpf_redirect` with an ifindex the program computes
//! names no device; a devmap entry bound after attach is not checked.

use std::collections::BTreeSet;
use std::rc::Rc;

use super::maps::Map;
use super::protos::helpers::helper_name;
use super::verifier::{CallFactee, Facts};
use crate::xdp::{rx_metadata, xdp_act, XdpAction};

/// What is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Feature {
    /// A `NETDEV_XDP_ACT_*` bit.
    Xdp(u32),
    /// A `NETDEV_XDP_RX_METADATA_*` bit (the device implements that `xmo_rx_*` callback).
    RxMetadata(u32),
}

impl Feature {
    /// The name `ynl` prints for it (`redirect`, `ndo-xmit`, `hash`).
    pub fn name(self) -> &'static str {
        let (bit, names): (u32, &[(u32, &str)]) = match self {
            Feature::Xdp(b) => (b, &xdp_act::NAMES),
            Feature::RxMetadata(b) => (b, &rx_metadata::NAMES),
        };
        names.iter().find(|(b, _)| *b == bit).map_or("?", |(_, n)| n)
    }
}

/// Whose feature it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum On {
    /// The device the program is attached to.
    Device,
    /// Every device bound to an entry of a devmap or devmap_hash (an index into the program's maps).
    MapTargets(u32),
    /// The device with this ifindex (`bpf_redirect` with a constant).
    Ifindex(u32),
}

/// One need, with the instruction it comes from and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    pub feature: Feature,
    pub on: On,
    pub pc: usize,
    /// What the instruction does that needs it ("may return XDP_REDIRECT", "bpf_redirect_map#51
    /// into cpumap 'cpus'").
    pub why: String,
}

const BPF_FUNC_REDIRECT: i32 = 23;
const BPF_FUNC_REDIRECT_MAP: i32 = 51;
/// bpf_xdp_get_buff_len, bpf_xdp_load_bytes, bpf_xdp_store_bytes: they reach past the linear part.
const FRAGS_HELPERS: [i32; 3] = [188, 189, 190];

const MAP_DEVMAP: u32 = 14;
const MAP_DEVMAP_HASH: u32 = 25;

fn map_kind(t: u32) -> &'static str {
    crate::bpf::mapdef::map_type_name(t).unwrap_or("map")
}

/// The needs of an XDP program from its verifier facts, its maps and its frags flag, most specific
/// first: the call that makes a need comes before an exit that returns the action; each feature of
/// each device once.
pub fn infer(facts: &Facts, maps: &[Rc<Map>], frags: bool) -> Vec<Need> {
    let mut out: Vec<Need> = Vec::new();
    let mut push = |feature: Feature, on: On, pc: usize, why: String| {
        if !out.iter().any(|n| n.feature == feature && n.on == on) {
            out.push(Need { feature, on, pc, why });
        }
    };
    for (&pc, call) in &facts.calls {
        match &call.callee {
            CallFactee::Helper(BPF_FUNC_REDIRECT_MAP) => {
                for &m in &call.maps {
                    let Some(map) = maps.get(m as usize) else { continue };
                    let t = map.uapi_type();
                    let why = format!("bpf_redirect_map#51 into {} '{}'", map_kind(t), map.name());
                    push(Feature::Xdp(xdp_act::REDIRECT), On::Device, pc, why.clone());
                    if matches!(t, MAP_DEVMAP | MAP_DEVMAP_HASH) {
                        push(Feature::Xdp(xdp_act::NDO_XMIT), On::MapTargets(m), pc, why.clone());
                        if frags {
                            push(Feature::Xdp(xdp_act::NDO_XMIT_SG), On::MapTargets(m), pc, format!("{why} (multi-buffer frames: xdp.frags)"));
                        }
                    }
                }
            }
            CallFactee::Helper(BPF_FUNC_REDIRECT) => {
                push(Feature::Xdp(xdp_act::REDIRECT), On::Device, pc, "bpf_redirect#23".into());
                for &ifindex in call.r1.iter().flatten() {
                    let why = format!("bpf_redirect#23 to ifindex {ifindex}");
                    push(Feature::Xdp(xdp_act::NDO_XMIT), On::Ifindex(ifindex as u32), pc, why.clone());
                    if frags {
                        push(Feature::Xdp(xdp_act::NDO_XMIT_SG), On::Ifindex(ifindex as u32), pc, format!("{why} (multi-buffer frames: xdp.frags)"));
                    }
                }
            }
            CallFactee::Helper(id) if frags && FRAGS_HELPERS.contains(id) => {
                let why = format!("{}#{id} on multi-buffer frames (xdp.frags)", helper_name(*id).unwrap_or("?"));
                push(Feature::Xdp(xdp_act::RX_SG), On::Device, pc, why);
            }
            CallFactee::Kfunc(name) if frags && name == "bpf_dynptr_from_xdp" => {
                push(Feature::Xdp(xdp_act::RX_SG), On::Device, pc, format!("{name} on multi-buffer frames (xdp.frags)"));
            }
            CallFactee::Kfunc(name) => {
                let bit = match name.as_str() {
                    "bpf_xdp_metadata_rx_timestamp" => rx_metadata::TIMESTAMP,
                    "bpf_xdp_metadata_rx_hash" => rx_metadata::HASH,
                    "bpf_xdp_metadata_rx_vlan_tag" => rx_metadata::VLAN_TAG,
                    _ => continue,
                };
                push(Feature::RxMetadata(bit), On::Device, pc, name.clone());
            }
            _ => {}
        }
    }
    for (&pc, values) in &facts.exits {
        if values.may_be(XdpAction::Redirect as u32) {
            push(Feature::Xdp(xdp_act::REDIRECT), On::Device, pc, "may return XDP_REDIRECT".into());
        }
        // The basic actions: XDP_TX named first, it is the one a device may lack.
        let basic = [XdpAction::Tx, XdpAction::Pass, XdpAction::Drop, XdpAction::Aborted];
        if let Some(a) = basic.iter().find(|a| values.may_be(**a as u32)) {
            push(Feature::Xdp(xdp_act::BASIC), On::Device, pc, format!("may return {}", a.name()));
        }
    }
    out
}

/// The actions the program may return, over all its exits (values above XDP_REDIRECT, which a
/// driver treats as XDP_ABORTED with a warning, are left out).
pub fn actions(facts: &Facts) -> Vec<XdpAction> {
    let seen: BTreeSet<u32> = facts.exits.values().flat_map(|v| (0..=4).filter(move |a| v.may_be(*a))).collect();
    XdpAction::ALL.into_iter().filter(|a| seen.contains(&(*a as u32))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::verifier::{CallFact, ExitValues};

    fn exits(small: u8) -> Facts {
        let mut f = Facts::default();
        f.exits.insert(9, ExitValues { small, other: false });
        f
    }

    #[test]
    fn actions_come_from_the_exit_values() {
        assert_eq!(actions(&exits(0b100)), vec![XdpAction::Pass]);
        assert_eq!(actions(&exits(0b11000)), vec![XdpAction::Tx, XdpAction::Redirect]);
        let needs = infer(&exits(0b11000), &[], false);
        assert_eq!(needs[0], Need { feature: Feature::Xdp(xdp_act::REDIRECT), on: On::Device, pc: 9, why: "may return XDP_REDIRECT".into() });
        assert_eq!(needs[1].why, "may return XDP_TX");
        assert_eq!(needs.len(), 2);
    }

    #[test]
    fn metadata_kfuncs_and_frags_helpers() {
        let mut f = exits(0b100);
        f.calls.insert(3, CallFact { callee: CallFactee::Kfunc("bpf_xdp_metadata_rx_hash".into()), maps: Default::default(), r1: None });
        f.calls.insert(5, CallFact { callee: CallFactee::Helper(189), maps: Default::default(), r1: None });
        let n = infer(&f, &[], true);
        assert_eq!((n[0].feature, n[0].pc), (Feature::RxMetadata(rx_metadata::HASH), 3));
        assert_eq!((n[1].feature, n[1].pc, n[1].why.as_str()), (Feature::Xdp(xdp_act::RX_SG), 5, "bpf_xdp_load_bytes#189 on multi-buffer frames (xdp.frags)"));
        // Without xdp.frags the program never sees frags: no RX_SG.
        assert!(!infer(&f, &[], false).iter().any(|n| n.feature == Feature::Xdp(xdp_act::RX_SG)));
    }

    #[test]
    fn bpf_redirect_with_a_constant_ifindex_names_the_device() {
        let mut f = Facts::default();
        f.calls.insert(2, CallFact { callee: CallFactee::Helper(23), maps: Default::default(), r1: Some([7u64].into()) });
        let n = infer(&f, &[], false);
        assert_eq!(n[1], Need { feature: Feature::Xdp(xdp_act::NDO_XMIT), on: On::Ifindex(7), pc: 2, why: "bpf_redirect#23 to ifindex 7".into() });
    }
}
