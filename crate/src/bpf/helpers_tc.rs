//! The rest of the tc helpers, as net/core/filter.c answers them under BPF_PROG_TEST_RUN:
//! tunnel metadata (bpf_skb_get/set_tunnel_key, bpf_skb_get/set_tunnel_opt) over a model of the
//! skb's metadata dst ([`TunnelInfo`]: test_run's skb has none until bpf_skb_set_tunnel_key
//! attaches the per-CPU one), bpf_get_hash_recalc, bpf_csum_level, bpf_skb_get_xfrm_state (no
//! sec_path) and bpf_skb_cgroup_classid; then the cgroup ids, the netns cookie, sk_assign,
//! redirect_neigh/peer, skb_set_tstamp, strncmp and the current task's ids.
//! `helpers.rs` binds them by id.

use super::helpers::errno_ret;
use super::machine::{Machine, Trap};
use crate::errno::Errno;
use crate::frame::SkbHeader;
use crate::frame::layout::read_u32;

type HelperResult = Result<u64, Trap>;

/// `sizeof(struct bpf_tunnel_key)` and the older layouts' sizes (up to `remote_ipv6[1]`,
/// `tunnel_ext`, `tunnel_label`, `local_ipv6[0]`), which the kernel still takes.
const TUNNEL_KEY_SIZE: u32 = 44;
const KEY_UPTO_REMOTE_IPV6_1: u32 = 8;
const KEY_UPTO_TUNNEL_EXT: u32 = 22;
const KEY_UPTO_TUNNEL_LABEL: u32 = 24;
const KEY_UPTO_LOCAL_IPV6: u32 = 28;

const BPF_F_TUNINFO_IPV6: u64 = 1 << 0;
const BPF_F_ZERO_CSUM_TX: u64 = 1 << 1;
const BPF_F_DONT_FRAGMENT: u64 = 1 << 2;
const BPF_F_SEQ_NUMBER: u64 = 1 << 3;
/// bpf_skb_set_tunnel_key's BPF_F_NO_TUNNEL_KEY and bpf_skb_get_tunnel_key's
/// BPF_F_TUNINFO_FLAGS share the bit.
const BPF_F_NO_TUNNEL_KEY: u64 = 1 << 4;
const BPF_F_TUNINFO_FLAGS: u64 = 1 << 4;

/// `IP_TUNNEL_*_BIT` numbers of `ip_tunnel_key.tun_flags` (the low 16 are the GRE-style
/// `TUNNEL_*` flags bpf_skb_get_tunnel_key reports as a big-endian u16).
const TUN_CSUM: u32 = 1 << 0;
const TUN_KEY: u32 = 1 << 2;
const TUN_SEQ: u32 = 1 << 3;
const TUN_DONT_FRAGMENT: u32 = 1 << 8;
const TUN_NOCACHE: u32 = 1 << 13;
/// `ip_tunnel_set_options_present`: GENEVE, VXLAN, ERSPAN, GTP (bits 11, 12, 14, 15) and PFCP
/// (bit 17, beyond what the u16 reports).
const TUN_OPTIONS_PRESENT: u32 = (1 << 11) | (1 << 12) | (1 << 14) | (1 << 15) | (1 << 17);
/// `IP_TUNNEL_OPTS_MAX`: options_len is a u8.
const IP_TUNNEL_OPTS_MAX: u32 = 255;
/// `IPV6_FLOWLABEL_MASK` (host order).
const IPV6_FLOWLABEL_MASK: u32 = 0x000f_ffff;

/// The skb's tunnel metadata (`struct ip_tunnel_info` of its metadata dst), as
/// bpf_skb_set_tunnel_key writes it: always TX mode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TunnelInfo {
    pub ipv6: bool,
    /// `key.tun_id` as a number (the kernel keeps it big-endian).
    pub tun_id: u64,
    /// `key.tun_flags`, by `IP_TUNNEL_*_BIT`.
    pub flags: u32,
    pub tos: u8,
    pub ttl: u8,
    /// `key.label`, host order.
    pub label: u32,
    /// `key.u.ipv4/ipv6.src` and `.dst` as they lie in memory (IPv4: the first 4 bytes).
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub options: Vec<u8>,
}


/// bpf_skb_get_tunnel_key(skb, to, size, flags).
pub fn skb_get_tunnel_key(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let (to, size, flags) = (a[1], a[2] as u32, a[3]);
    let info = m.skb_ctx(a[0])?.tunnel.clone();
    let out = m.write_arg(to, u64::from(size))?;
    let clear = |out: &mut [u8], e: Errno| {
        out.fill(0);
        Ok(errno_ret(e))
    };
    let Some(info) = info.filter(|_| flags & !(BPF_F_TUNINFO_IPV6 | BPF_F_TUNINFO_FLAGS) == 0) else { return clear(out, Errno::EINVAL) };
    if info.ipv6 != (flags & BPF_F_TUNINFO_IPV6 != 0) {
        return clear(out, Errno::EPROTO);
    }
    match size {
        TUNNEL_KEY_SIZE | KEY_UPTO_LOCAL_IPV6 | KEY_UPTO_TUNNEL_LABEL | KEY_UPTO_TUNNEL_EXT => {}
        KEY_UPTO_REMOTE_IPV6_1 if !info.ipv6 => {}
        _ => return clear(out, Errno::EINVAL),
    }
    let mut k = [0u8; TUNNEL_KEY_SIZE as usize];
    k[0..4].copy_from_slice(&(info.tun_id as u32).to_le_bytes());
    k[20] = info.tos;
    k[21] = info.ttl;
    if flags & BPF_F_TUNINFO_FLAGS != 0 {
        k[22..24].copy_from_slice(&(info.flags as u16).to_be_bytes());
    }
    // The remote end is the metadata's source, the local one its destination.
    if info.ipv6 {
        k[4..20].copy_from_slice(&info.src);
        k[28..44].copy_from_slice(&info.dst);
        k[24..28].copy_from_slice(&info.label.to_le_bytes());
    } else {
        k[4..8].copy_from_slice(&u32::from_be_bytes(info.src[..4].try_into().unwrap()).to_le_bytes());
        k[28..32].copy_from_slice(&u32::from_be_bytes(info.dst[..4].try_into().unwrap()).to_le_bytes());
    }
    out.copy_from_slice(&k[..size as usize]);
    Ok(0)
}

/// bpf_skb_set_tunnel_key(skb, from, size, flags): the skb's dst becomes the per-CPU metadata dst,
/// reset and filled from `from` (an older, shorter layout is zero-extended).
pub fn skb_set_tunnel_key(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let (from, size, flags) = (a[1], a[2] as u32, a[3]);
    m.skb_ctx(a[0])?;
    if flags & !(BPF_F_TUNINFO_IPV6 | BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT | BPF_F_SEQ_NUMBER | BPF_F_NO_TUNNEL_KEY) != 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    if !matches!(size, TUNNEL_KEY_SIZE | KEY_UPTO_LOCAL_IPV6 | KEY_UPTO_TUNNEL_LABEL | KEY_UPTO_TUNNEL_EXT | KEY_UPTO_REMOTE_IPV6_1) {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let mut k = [0u8; TUNNEL_KEY_SIZE as usize];
    k[..size as usize].copy_from_slice(m.read_arg(from, u64::from(size))?);
    let ipv6 = flags & BPF_F_TUNINFO_IPV6 != 0;
    let (label, ext) = (read_u32(&k, 24), u16::from_le_bytes([k[22], k[23]]));
    if (!ipv6 && label != 0) || ext != 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let mut t = TunnelInfo { ipv6, tun_id: u64::from(read_u32(&k, 0)), tos: k[20], ttl: k[21], ..Default::default() };
    t.flags = TUN_NOCACHE;
    if flags & BPF_F_DONT_FRAGMENT != 0 {
        t.flags |= TUN_DONT_FRAGMENT;
    }
    if flags & BPF_F_ZERO_CSUM_TX == 0 {
        t.flags |= TUN_CSUM;
    }
    if flags & BPF_F_SEQ_NUMBER != 0 {
        t.flags |= TUN_SEQ;
    }
    if flags & BPF_F_NO_TUNNEL_KEY == 0 {
        t.flags |= TUN_KEY;
    }
    if ipv6 {
        t.dst.copy_from_slice(&k[4..20]);
        t.src.copy_from_slice(&k[28..44]);
        t.label = label & IPV6_FLOWLABEL_MASK;
    } else {
        t.dst[..4].copy_from_slice(&read_u32(&k, 4).to_be_bytes());
        t.src[..4].copy_from_slice(&read_u32(&k, 28).to_be_bytes());
    }
    m.skb_ctx(a[0])?.tunnel = Some(t);
    Ok(0)
}

/// bpf_skb_get_tunnel_opt(skb, to, size): the options' length, the rest of `to` zeroed; ENOENT
/// without options, ENOMEM when they do not fit (`to` zeroed).
pub fn skb_get_tunnel_opt(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let (to, size) = (a[1], a[2] as u32);
    let info = m.skb_ctx(a[0])?.tunnel.clone();
    let out = m.write_arg(to, u64::from(size))?;
    let Some(info) = info.filter(|t| t.flags & TUN_OPTIONS_PRESENT != 0) else {
        out.fill(0);
        return Ok(errno_ret(Errno::ENOENT));
    };
    let n = info.options.len();
    if (size as usize) < n {
        out.fill(0);
        return Ok(errno_ret(Errno::ENOMEM));
    }
    out[..n].copy_from_slice(&info.options);
    out[n..].fill(0);
    Ok(n as u64)
}

/// bpf_skb_set_tunnel_opt(skb, from, size): only on the metadata bpf_skb_set_tunnel_key attached,
/// a multiple of 4 bytes (EINVAL), at most 255 (ENOMEM).
pub fn skb_set_tunnel_opt(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let (from, size) = (a[1], a[2] as u32);
    if m.skb_ctx(a[0])?.tunnel.is_none() || size % 4 != 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    if size > IP_TUNNEL_OPTS_MAX {
        return Ok(errno_ret(Errno::ENOMEM));
    }
    let bytes = m.read_arg(from, u64::from(size))?.to_vec();
    let t = m.skb_ctx(a[0])?.tunnel.as_mut().expect("checked above");
    if !bytes.is_empty() {
        t.flags |= TUN_OPTIONS_PRESENT;
    }
    t.options = bytes;
    Ok(0)
}

/// bpf_get_hash_recalc (`skb_get_hash`): the skb's hash, computed from its flow when no software
/// or L4 hash is set, and kept (as `__skb_set_sw_hash` does). The kernel hashes the dissected
/// flow keys with a key it draws at boot, so its values cannot be reproduced: uxdp hashes the same
/// keys with a key of its own. What a program can rely on holds: never 0, the same for the same
/// flow, a bpf_set_hash value returned as it is.
pub fn get_hash_recalc(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let s = m.skb_ctx(a[0])?;
    if !s.sw_hash && !s.l4_hash {
        let (hash, l4) = flow_hash(&s.skb);
        s.skb.set_hash(hash);
        s.sw_hash = true;
        s.l4_hash = l4;
    }
    Ok(u64::from(s.skb.hash()))
}

/// The flow keys the kernel's dissector would hash (protocol, addresses, ports), through up to two
/// VLAN tags, hashed with uxdp's key; and whether ports were found (an L4 hash).
fn flow_hash(skb: &crate::frame::Skb) -> (u32, bool) {
    const ETH_P_IP: u16 = 0x0800;
    const ETH_P_IPV6: u16 = 0x86dd;
    const ETH_P_8021Q: u16 = 0x8100;
    const ETH_P_8021AD: u16 = 0x88a8;
    let net = |off: i64, len: u32| skb.header_bytes(SkbHeader::Network, off, len);
    let mut keys: Vec<u8> = Vec::with_capacity(48);
    let mut proto = skb.protocol();
    let mut off = 0i64;
    for _ in 0..2 {
        if !matches!(proto, ETH_P_8021Q | ETH_P_8021AD) {
            break;
        }
        let Some(tag) = net(off, 4) else { break };
        proto = u16::from_be_bytes([tag[2], tag[3]]);
        off += 4;
    }
    keys.extend_from_slice(&proto.to_be_bytes());
    let mut l4 = None;
    match proto {
        ETH_P_IP => {
            if let Some(h) = net(off, 20) {
                let ihl = i64::from(h[0] & 0xf) * 4;
                let frag = u16::from_be_bytes([h[6], h[7]]) & 0x3fff != 0;
                keys.push(h[9]);
                keys.extend_from_slice(&h[12..20]);
                if !frag && ihl >= 20 {
                    l4 = Some((h[9], off + ihl));
                }
            }
        }
        ETH_P_IPV6 => {
            if let Some(h) = net(off, 40) {
                keys.push(h[6]);
                keys.extend_from_slice(&h[8..40]);
                keys.extend_from_slice(&[h[1] & 0xf, h[2], h[3]]);
                l4 = Some((h[6], off + 40));
            }
        }
        _ => {}
    }
    // TCP, UDP, DCCP, SCTP, UDP-Lite: ports first in their headers.
    let ports = l4.filter(|(p, _)| matches!(p, 6 | 17 | 33 | 132 | 136)).and_then(|(_, at)| net(at, 4));
    if let Some(p) = ports {
        keys.extend_from_slice(p);
    }
    let h = super::maps::jhash::jhash(&keys, 0x7578_6470);
    (if h == 0 { 1 } else { h }, ports.is_some())
}

/// `BPF_CSUM_LEVEL_*`.
const BPF_CSUM_LEVEL_QUERY: u64 = 0;
const BPF_CSUM_LEVEL_INC: u64 = 1;
const BPF_CSUM_LEVEL_DEC: u64 = 2;
const BPF_CSUM_LEVEL_RESET: u64 = 3;
/// `SKB_MAX_CSUM_LEVEL`.
const SKB_MAX_CSUM_LEVEL: u8 = 3;

/// bpf_csum_level(skb, level): CHECKSUM_UNNECESSARY's level up, down, reset, or asked (EACCES
/// when the checksum is not marked unnecessary).
pub fn csum_level(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let s = m.skb_ctx(a[0])?;
    match a[1] {
        BPF_CSUM_LEVEL_INC => {
            s.csum_unnecessary = Some(s.csum_unnecessary.map_or(0, |l| if l < SKB_MAX_CSUM_LEVEL { l + 1 } else { l }));
        }
        BPF_CSUM_LEVEL_DEC => s.csum_unnecessary = s.csum_unnecessary.and_then(|l| l.checked_sub(1)),
        BPF_CSUM_LEVEL_RESET => s.csum_unnecessary = None,
        BPF_CSUM_LEVEL_QUERY => return Ok(s.csum_unnecessary.map_or(errno_ret(Errno::EACCES), u64::from)),
        _ => return Ok(errno_ret(Errno::EINVAL)),
    }
    Ok(0)
}

/// bpf_skb_get_xfrm_state(skb, index, to, size, flags): test_run's skb went through no IPsec
/// policy (no sec_path): `to` zeroed, EINVAL.
pub fn skb_get_xfrm_state(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    m.skb_ctx(a[0])?;
    m.write_arg(a[2], a[3] & 0xffff_ffff)?.fill(0);
    Ok(errno_ret(Errno::EINVAL))
}

/// bpf_skb_cgroup_classid: the net_cls class of `skb->sk`'s cgroup; test_run's socket is in no
/// net_cls class: 0.
pub fn skb_cgroup_classid(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    m.skb_ctx(a[0])?;
    Ok(0)
}

/// bpf_skb_event_output's sample (bpf_perf_event_output from tc and socket filters): `meta`, then
/// `ctx_len` (BPF_F_CTXLEN_MASK) bytes of the skb from `skb->data`; EINVAL for other flags,
/// EFAULT for more bytes than the skb has (the helper returns them).
pub fn skb_event_sample(m: &mut Machine<'_>, ctx: u64, flags: u64, meta: &[u8]) -> Result<std::result::Result<crate::frame::PerfSample, Errno>, Trap> {
    use crate::frame::{BPF_F_CTXLEN_MASK, BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK};
    let s = m.skb_ctx(ctx)?;
    if flags & !(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK) != 0 {
        return Ok(Err(Errno::EINVAL));
    }
    let ctx_len = (flags & BPF_F_CTXLEN_MASK) >> 32;
    if ctx_len > u64::from(s.skb.len()) {
        return Ok(Err(Errno::EFAULT));
    }
    let mut data = vec![0u8; meta.len() + ctx_len as usize];
    data[..meta.len()].copy_from_slice(meta);
    if s.skb.copy_bits(0, &mut data[meta.len()..]).is_err() {
        return Ok(Err(Errno::EFAULT));
    }
    let index = flags & BPF_F_INDEX_MASK;
    Ok(Ok(crate::frame::PerfSample { index: (index != BPF_F_CURRENT_CPU).then_some(index as u32), data }))
}

// ---------------------------------------------------------------------------------------------
// cgroups, the netns cookie, sk_assign, redirect_neigh/peer, skb_set_tstamp and the current task
// (tchelp): what net/core/filter.c and kernel/bpf/helpers.c answer under BPF_PROG_TEST_RUN.

/// `cgrp_dfl_root`'s cgroup id: the cgroup of a socket that carries no cgroup data (test_run's
/// socket, made outside any cgroup) and of the task uxdp runs programs as (the idle task, as
/// [`super::helpers`]' bpf_get_current_pid_tgid says; in the root cgroup).
pub const ROOT_CGROUP_ID: u64 = 1;

/// The cgroup at `level` above the root on the path to the root cgroup (`cgroup_ancestor`): the
/// root itself at level 0, nothing deeper (the root's level is 0).
fn root_ancestor(level: u64) -> u64 {
    if level as i32 == 0 {
        ROOT_CGROUP_ID
    } else {
        0
    }
}

/// bpf_skb_cgroup_id: the cgroup of `skb->sk` when it is a full socket, else 0. test_run's
/// socket is a full socket in no cgroup: the root's id.
pub fn skb_cgroup_id(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let s = m.skb_ctx(a[0])?;
    Ok(if s.test_sock.is_some() { ROOT_CGROUP_ID } else { 0 })
}

/// bpf_skb_ancestor_cgroup_id(skb, level): the ancestor at `level` of `skb->sk`'s cgroup (0
/// past the cgroup's own level, or without a full socket).
pub fn skb_ancestor_cgroup_id(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let s = m.skb_ctx(a[0])?;
    Ok(if s.test_sock.is_some() { root_ancestor(a[1]) } else { 0 })
}

/// bpf_get_current_cgroup_id: the running task's cgroup (the idle task's: the root).
pub fn get_current_cgroup_id(_m: &mut Machine<'_>, _a: &[u64; 5]) -> HelperResult {
    Ok(ROOT_CGROUP_ID)
}

/// bpf_get_current_ancestor_cgroup_id(level).
pub fn get_current_ancestor_cgroup_id(_m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    Ok(root_ancestor(a[0]))
}

/// bpf_get_current_uid_gid: the idle task runs as root (uid and gid 0).
pub fn get_current_uid_gid(_m: &mut Machine<'_>, _a: &[u64; 5]) -> HelperResult {
    Ok(0)
}

/// bpf_get_netns_cookie(ctx or NULL): the cookie of the skb's namespace (the run's namespace of
/// the host model: its socket's and its device's); NULL (socket filters may pass it) names the
/// initial namespace.
pub fn get_netns_cookie(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let ns = if a[0] == 0 {
        0
    } else {
        m.skb_ctx(a[0])?;
        m.host().netns
    };
    let host = m.host();
    let st = host.net.state();
    Ok(st.netns(ns).map_or(0, |n| n.cookie))
}

/// bpf_sk_assign(skb, sk, flags): EINVAL for flags; a socket is only assigned at tc ingress,
/// where test_run's skb never is (it is not `tc_at_ingress`): EOPNOTSUPP.
pub fn sk_assign(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    m.skb_ctx(a[0])?;
    if a[1] == 0 || a[2] != 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    Ok(errno_ret(Errno::EOPNOTSUPP))
}

/// The redirect kinds `bpf_redirect_info.flags` keeps beside BPF_F_INGRESS (the kernel's own
/// bits, above the uapi ones): a neighbour-resolving redirect, one with a next hop given, and a
/// redirect into a veth/netkit peer's namespace.
pub const BPF_F_NEIGH: u64 = 1 << 16;
pub const BPF_F_PEER: u64 = 1 << 17;
pub const BPF_F_NEXTHOP: u64 = 1 << 18;
/// `sizeof(struct bpf_redir_neigh)`.
const REDIR_NEIGH_SIZE: u64 = 20;

/// bpf_redirect_neigh(ifindex, params, plen, flags): TC_ACT_SHOT for flags or a `plen` short of
/// `struct bpf_redir_neigh`; else TC_ACT_REDIRECT with the target noted (BPF_F_NEIGH, and
/// BPF_F_NEXTHOP when a next hop was given).
pub fn redirect_neigh(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    use super::helpers_skb::{TC_ACT_REDIRECT, TC_ACT_SHOT};
    let plen = u64::from(a[2] as u32);
    if (plen != 0 && plen < REDIR_NEIGH_SIZE) || a[3] != 0 {
        return Ok(TC_ACT_SHOT);
    }
    let Some(s) = m.skb.as_deref_mut() else { return Err(super::helpers::fault(Errno::EINVAL, "bpf_redirect_neigh outside tc")) };
    s.redirect = Some((a[0] as u32, BPF_F_NEIGH | if plen != 0 { BPF_F_NEXTHOP } else { 0 }));
    Ok(TC_ACT_REDIRECT)
}

/// bpf_redirect_peer(ifindex, flags): TC_ACT_SHOT for any flag, else TC_ACT_REDIRECT to the
/// device's peer (BPF_F_PEER noted).
pub fn redirect_peer(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    use super::helpers_skb::{TC_ACT_REDIRECT, TC_ACT_SHOT};
    if a[1] != 0 {
        return Ok(TC_ACT_SHOT);
    }
    let Some(s) = m.skb.as_deref_mut() else { return Err(super::helpers::fault(Errno::EINVAL, "bpf_redirect_peer outside tc")) };
    s.redirect = Some((a[0] as u32, BPF_F_PEER));
    Ok(TC_ACT_REDIRECT)
}

/// `BPF_SKB_CLOCK_*`: the `tstamp_type` values bpf_skb_set_tstamp takes and `__sk_buff`
/// shows.
const BPF_SKB_CLOCK_REALTIME: u64 = 0;
const BPF_SKB_CLOCK_MONOTONIC: u64 = 1;
const BPF_SKB_CLOCK_TAI: u64 = 2;

/// bpf_skb_set_tstamp(skb, tstamp, type): EOPNOTSUPP unless the skb is IPv4 or IPv6; a
/// realtime stamp may be 0, a monotonic or TAI one not (EINVAL), another type is EINVAL.
pub fn skb_set_tstamp(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    const ETH_P_IP: u16 = 0x0800;
    const ETH_P_IPV6: u16 = 0x86dd;
    let s = m.skb_ctx(a[0])?;
    if !matches!(s.skb.protocol(), ETH_P_IP | ETH_P_IPV6) {
        return Ok(errno_ret(Errno::EOPNOTSUPP));
    }
    let (tstamp, kind) = (a[1], u64::from(a[2] as u32));
    match kind {
        BPF_SKB_CLOCK_REALTIME => {}
        BPF_SKB_CLOCK_MONOTONIC | BPF_SKB_CLOCK_TAI if tstamp != 0 => {}
        _ => return Ok(errno_ret(Errno::EINVAL)),
    }
    s.tstamp = tstamp;
    s.tstamp_type = kind as u8;
    Ok(0)
}

/// bpf_strncmp(s1, s1_sz, s2): the kernel's generic `strncmp` over at most `s1_sz` bytes, `s2`
/// a constant string the verifier proved NUL-terminated: -1, 0 or 1 (bytes compared unsigned).
pub fn strncmp(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let n = u64::from(a[1] as u32);
    let s1 = m.read_arg(a[0], n)?.to_vec();
    for (i, &c1) in s1.iter().enumerate() {
        let c2 = m.read_arg(a[2] + i as u64, 1)?[0];
        if c1 != c2 {
            return Ok(if c1 < c2 { -1i64 as u64 } else { 1 });
        }
        if c1 == 0 {
            break;
        }
    }
    Ok(0)
}
