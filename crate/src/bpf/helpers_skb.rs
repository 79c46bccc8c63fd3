//! The skb helpers tc and socket-filter programs call, over [`super::context_skb::SkbContext`]:
//! loads and stores, checksum fix-ups, the packet-shaping helpers (pull, change head/tail, VLAN
//! push/pop), redirects and the hash. `helpers.rs` binds them by id. Packet-changing ones
//! re-register the packet region afterwards, as `bpf_compute_data_pointers` moves data/data_end.

use super::helpers::{errno_ret, fault, ret};
use super::machine::{Machine, Trap};
use crate::errno::Errno;
use crate::frame::{SkbHeader, PACKET_OTHERHOST};

type HelperResult = Result<u64, Trap>;

/// `TC_ACT_SHOT` and `TC_ACT_REDIRECT`: bpf_redirect's answers in tc.
pub const TC_ACT_SHOT: u64 = 2;
pub const TC_ACT_REDIRECT: u64 = 7;
const BPF_F_INGRESS: u64 = 1;
const BPF_F_HDR_FIELD_MASK: u64 = 0xf;
const BPF_F_PSEUDO_HDR: u64 = 1 << 4;
const BPF_F_MARK_MANGLED_0: u64 = 1 << 5;
const BPF_F_MARK_ENFORCE: u64 = 1 << 6;
const BPF_F_IPV6: u64 = 1 << 7;
/// `CSUM_MANGLED_0`: a UDP checksum that folded to 0 is sent as 0xffff.
const CSUM_MANGLED_0: u16 = 0xffff;
/// `BPF_SKB_MAX_LEN` (`SKB_MAX_ALLOC` on 4 KiB pages: 16 KiB minus the shared info).
const BPF_SKB_MAX_LEN: u32 = 16384 - 320;
const BPF_HDR_START_MAC: u64 = 0;
const BPF_HDR_START_NET: u64 = 1;
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88a8;

fn neg(e: Errno) -> HelperResult {
    Ok(errno_ret(e))
}

// Ones'-complement arithmetic on checksum words as they lie in memory (the kernel's __wsum and
// __sum16 on a little-endian host).
fn csum_add(a: u32, b: u32) -> u32 {
    let (r, c) = a.overflowing_add(b);
    r.wrapping_add(u32::from(c))
}

fn csum_fold(sum: u32) -> u16 {
    let s = (sum & 0xffff) + (sum >> 16);
    let s = (s & 0xffff) + (s >> 16);
    !(s as u16)
}

fn csum16_add(csum: u16, addend: u16) -> u16 {
    let (r, c) = csum.overflowing_add(addend);
    r.wrapping_add(u16::from(c))
}

/// The checksum word at `offset` after `f` (which gets and returns it), made writable first as
/// `bpf_try_make_writable(skb, offset + 2)`; EFAULT past the end or for an odd offset.
fn with_csum(m: &mut Machine<'_>, ctx: u64, offset: u64, f: impl FnOnce(u16) -> u16) -> Result<Option<()>, Trap> {
    let s = m.skb_ctx(ctx)?;
    if offset > 0xffff || offset & 1 != 0 || s.skb.ensure_writable(offset as u32 + 2).is_err() {
        return Ok(None);
    }
    let lin = s.skb.linear_mut();
    let at = offset as usize;
    let old = u16::from_le_bytes([lin[at], lin[at + 1]]);
    lin[at..at + 2].copy_from_slice(&f(old).to_le_bytes());
    Ok(Some(()))
}

/// bpf_skb_load_bytes: `len` bytes from `offset` (relative to `skb->data`) into the buffer;
/// EFAULT (and a zeroed buffer) past the end.
pub fn skb_load_bytes(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let dst = m.write_arg(a[2], a[3])?;
    let mut tmp = vec![0u8; dst.len()];
    let r = m.skb_ctx(a[0])?.skb.load_bytes(a[1] as u32, &mut tmp);
    dst.copy_from_slice(&tmp);
    Ok(ret(r))
}

/// bpf_skb_load_bytes_relative: from the MAC or the network header, within the linear part.
pub fn skb_load_bytes_relative(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let (offset, len, start) = (a[1], a[3] as u32, a[4]);
    let dst = m.write_arg(a[2], u64::from(len))?;
    let s = m.skb_ctx(a[0])?;
    let which = match start {
        BPF_HDR_START_MAC => Some(SkbHeader::Mac),
        BPF_HDR_START_NET => Some(SkbHeader::Network),
        _ => None,
    };
    let bytes = which.filter(|_| offset <= 0xffff).and_then(|w| s.skb.header_bytes(w, offset as i64, len));
    match bytes {
        Some(b) => {
            dst.copy_from_slice(b);
            Ok(0)
        }
        None => {
            dst.fill(0);
            neg(Errno::EFAULT)
        }
    }
}

/// bpf_skb_store_bytes: makes `[0, offset + len)` linear and private, then copies.
pub fn skb_store_bytes(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let src = m.read_arg(a[2], a[3])?.to_vec();
    let r = m.skb_ctx(a[0])?.skb.store_bytes(a[1] as u32, &src, a[4]);
    m.refresh_packet();
    Ok(ret(r))
}

/// bpf_l3_csum_replace: `csum_replace_by_diff` (size 0), `csum_replace2`, `csum_replace4`.
pub fn l3_csum_replace(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let (offset, from, to, flags) = (a[1], a[2], a[3], a[4]);
    if flags & !BPF_F_HDR_FIELD_MASK != 0 {
        return neg(Errno::EINVAL);
    }
    let size = flags & BPF_F_HDR_FIELD_MASK;
    if !matches!(size, 0 | 2 | 4) || (size == 0 && from != 0) {
        // The kernel makes the field writable before it looks at the size.
        let r = with_csum(m, a[0], offset, |v| v)?;
        m.refresh_packet();
        return if r.is_none() { neg(Errno::EFAULT) } else { neg(Errno::EINVAL) };
    }
    let r = with_csum(m, a[0], offset, |old| match size {
        0 => csum_fold(csum_add(to as u32, !u32::from(old))),
        2 => !csum16_add(csum16_add(!old, !(from as u16)), to as u16),
        _ => csum_fold(csum_add(csum_add(!u32::from(old), !(from as u32)), to as u32)),
    })?;
    m.refresh_packet();
    Ok(if r.is_some() { 0 } else { errno_ret(Errno::EFAULT) })
}

/// bpf_l4_csum_replace: `inet_proto_csum_replace_by_diff/2/4` on an skb without checksum
/// offload (CHECKSUM_NONE, as test_run builds it), with BPF_F_MARK_MANGLED_0's zero handling.
pub fn l4_csum_replace(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let (offset, from, to, flags) = (a[1], a[2], a[3], a[4]);
    if flags & !(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6) != 0 {
        return neg(Errno::EINVAL);
    }
    let (mmzero, mforce) = (flags & BPF_F_MARK_MANGLED_0 != 0, flags & BPF_F_MARK_ENFORCE != 0);
    let size = flags & BPF_F_HDR_FIELD_MASK;
    let mut answer = 0;
    let r = with_csum(m, a[0], offset, |old| {
        if mmzero && !mforce && old == 0 {
            return old;
        }
        // inet_proto_csum_replace2 widens its 16-bit values to __be32 as they are.
        let (from, to) = if size == 2 { (u32::from(from as u16), u32::from(to as u16)) } else { (from as u32, to as u32) };
        let new = match size {
            0 if from == 0 => csum_fold(csum_add(to, !u32::from(old))),
            2 | 4 => csum_fold(csum_add(csum_add(!u32::from(old), !from), to)),
            _ => {
                answer = errno_ret(Errno::EINVAL);
                return old;
            }
        };
        if mmzero && new == 0 {
            CSUM_MANGLED_0
        } else {
            new
        }
    })?;
    m.refresh_packet();
    Ok(if r.is_some() { answer } else { errno_ret(Errno::EFAULT) })
}

/// bpf_csum_update: only an skb with CHECKSUM_COMPLETE has a checksum to update; test_run's has
/// none (ENOTSUPP).
pub fn csum_update(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    m.skb_ctx(a[0])?;
    neg(Errno::ENOTSUPP)
}

/// bpf_skb_pull_data: makes the first `len` bytes (all of the linear part for 0) linear and
/// private.
pub fn skb_pull_data(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let s = m.skb_ctx(a[0])?;
    let len = if a[1] == 0 { s.skb.headlen() } else { a[1] as u32 };
    let r = s.skb.ensure_writable(len);
    m.refresh_packet();
    Ok(ret(r))
}

/// The shortest an skb may become: its network (or transport) header offset.
fn skb_min_len(m: &mut Machine<'_>, ctx: u64) -> Result<u32, Trap> {
    let s = m.skb_ctx(ctx)?;
    Ok(s.skb.network_offset().max(0) as u32)
}

/// bpf_skb_change_tail: grows (zero-filled) or trims the packet to `new_len`; EINVAL for flags,
/// a length above BPF_SKB_MAX_LEN or below the network header.
pub fn skb_change_tail(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let (new_len, flags) = (a[1] as u32, a[2]);
    let min = skb_min_len(m, a[0])?;
    if flags != 0 || new_len > BPF_SKB_MAX_LEN || new_len < min {
        return neg(Errno::EINVAL);
    }
    let s = m.skb_ctx(a[0])?;
    let len = s.skb.len();
    let r = s.skb.ensure_writable(len).and_then(|()| s.skb.set_linear_len(new_len));
    m.refresh_packet();
    Ok(if r.is_ok() { 0 } else { errno_ret(Errno::ENOMEM) })
}

/// bpf_skb_change_head: `head_room` zeroed bytes pushed in front, the MAC header reset there.
pub fn skb_change_head(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let (room, flags) = (a[1] as u32, a[2]);
    let s = m.skb_ctx(a[0])?;
    let new_len = u64::from(s.skb.len()) + u64::from(room);
    if flags != 0 || new_len > u64::from(BPF_SKB_MAX_LEN) {
        return neg(Errno::EINVAL);
    }
    let r = s.skb.change_head(room);
    m.refresh_packet();
    Ok(ret(r))
}

/// bpf_skb_vlan_push: any protocol but 802.1ad is taken as 802.1Q.
pub fn skb_vlan_push(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let proto = u16::from_be(a[1] as u16);
    let proto = if proto == ETH_P_8021AD { ETH_P_8021AD } else { ETH_P_8021Q };
    let r = m.skb_ctx(a[0])?.skb.vlan_push(proto, a[2] as u16);
    m.refresh_packet();
    Ok(ret(r))
}

pub fn skb_vlan_pop(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let r = m.skb_ctx(a[0])?.skb.vlan_pop();
    m.refresh_packet();
    Ok(ret(r))
}

/// bpf_skb_change_type: only between the host, broadcast, multicast and other-host types.
pub fn skb_change_type(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let s = m.skb_ctx(a[0])?;
    let t = a[1] as u32;
    if s.skb.pkt_type() > PACKET_OTHERHOST || t > u32::from(PACKET_OTHERHOST) {
        return neg(Errno::EINVAL);
    }
    s.skb.set_pkt_type(t as u8);
    Ok(0)
}

/// bpf_redirect from tc: TC_ACT_REDIRECT with the target noted, TC_ACT_SHOT for unknown flags.
pub fn tc_redirect(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let Some(s) = m.skb.as_deref_mut() else { return Err(fault(Errno::EINVAL, "bpf_redirect outside XDP and tc")) };
    if a[1] & !BPF_F_INGRESS != 0 {
        return Ok(TC_ACT_SHOT);
    }
    s.redirect = Some((a[0] as u32, a[1]));
    Ok(TC_ACT_REDIRECT)
}

/// bpf_clone_redirect: EINVAL for unknown flags or a device that does not exist (test_run knows
/// the loopback device only); a clone goes out, the skb gets a private head.
pub fn clone_redirect(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let s = m.skb_ctx(a[0])?;
    let (ifindex, flags) = (a[1] as u32, a[2]);
    if flags & !BPF_F_INGRESS != 0 || ifindex != s.ifindex {
        return neg(Errno::EINVAL);
    }
    if s.kind == super::context_skb::SkbProgKind::SocketFilter || s.skb.len() == 0 {
        return neg(Errno::ERANGE);
    }
    s.skb.set_cloned(true);
    let len = s.skb.headlen();
    let r = s.skb.ensure_writable(len);
    m.refresh_packet();
    Ok(ret(r))
}

/// bpf_set_hash: a software L4 hash.
pub fn set_hash(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let s = m.skb_ctx(a[0])?;
    s.skb.set_hash(a[1] as u32);
    s.sw_hash = true;
    Ok(0)
}

/// bpf_set_hash_invalid: `skb_clear_hash`.
pub fn set_hash_invalid(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let s = m.skb_ctx(a[0])?;
    s.skb.set_hash(0);
    s.sw_hash = false;
    s.l4_hash = false;
    Ok(0)
}

/// bpf_get_cgroup_classid and bpf_get_route_realm: no net_cls cgroup and no route here: 0.
pub fn no_classid(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    m.skb_ctx(a[0])?;
    Ok(0)
}

/// bpf_skb_ecn_set_ce: marks an ECN-capable IPv4 or IPv6 packet Congestion Experienced (1),
/// fixing the IPv4 header checksum; 0 for a packet that is not ECN-capable or not IP.
pub fn skb_ecn_set_ce(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let s = m.skb_ctx(a[0])?;
    let net = s.skb.network_offset();
    let proto = s.skb.vlan().map_or(s.skb.protocol(), |_| s.skb.protocol());
    let lin_len = s.skb.headlen() as i64;
    if net < 0 {
        return Ok(0);
    }
    let n = net as usize;
    let lin = s.skb.linear_mut();
    match proto {
        0x0800 if n as i64 + 20 <= lin_len => {
            let tos = lin[n + 1];
            let ecn = (u32::from(tos) + 1) & 3;
            if ecn & 2 == 0 {
                return Ok(u64::from(ecn == 0));
            }
            // check += htons(0xFFFB) + htons(ecn), as raw 16-bit words.
            let add = (0xfffbu16.to_be()).wrapping_add((ecn as u16).to_be());
            let old = u16::from_le_bytes([lin[n + 10], lin[n + 11]]);
            lin[n + 10..n + 12].copy_from_slice(&csum16_add(old, add).to_le_bytes());
            lin[n + 1] = tos | 3;
            Ok(1)
        }
        0x86dd if n as i64 + 40 <= lin_len => {
            let word = u32::from_be_bytes(lin[n..n + 4].try_into().unwrap());
            if (word >> 20) & 3 == 0 {
                return Ok(0);
            }
            lin[n..n + 4].copy_from_slice(&(word | (3 << 20)).to_be_bytes());
            Ok(1)
        }
        _ => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IPv4 header checksum of `h` (20 bytes) as it would be stored.
    fn ip_csum(h: &[u8]) -> u16 {
        let mut sum = 0u32;
        for i in (0..20).step_by(2) {
            if i != 10 {
                sum += u32::from(u16::from_le_bytes([h[i], h[i + 1]]));
            }
        }
        csum_fold(sum)
    }

    #[test]
    fn csum_replace_keeps_the_header_checksum_right() {
        let mut h = [0x45u8, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let c = ip_csum(&h);
        h[10..12].copy_from_slice(&c.to_le_bytes());
        let from = u32::from_le_bytes([10, 0, 0, 1]);
        let to = u32::from_le_bytes([192, 168, 7, 9]);
        let new = csum_fold(csum_add(csum_add(!u32::from(c), !from), to));
        h[12..16].copy_from_slice(&[192, 168, 7, 9]);
        assert_eq!(new, ip_csum(&h));
        // the 16-bit form on the TTL/protocol word
        let old_word = u16::from_le_bytes([h[8], h[9]]);
        h[8] = 63;
        let new_word = u16::from_le_bytes([h[8], h[9]]);
        let c2 = !csum16_add(csum16_add(!new, !old_word), new_word);
        assert_eq!(c2, ip_csum(&h));
    }
}

const BPF_ADJ_ROOM_NET: u64 = 0;
const BPF_ADJ_ROOM_MAC: u64 = 1;
const BPF_F_ADJ_ROOM_FIXED_GSO: u64 = 1 << 0;
const BPF_F_ADJ_ROOM_ENCAP_L3_IPV4: u64 = 1 << 1;
const BPF_F_ADJ_ROOM_ENCAP_L3_IPV6: u64 = 1 << 2;
const BPF_F_ADJ_ROOM_ENCAP_L4_GRE: u64 = 1 << 3;
const BPF_F_ADJ_ROOM_ENCAP_L4_UDP: u64 = 1 << 4;
const BPF_F_ADJ_ROOM_NO_CSUM_RESET: u64 = 1 << 5;
const BPF_F_ADJ_ROOM_ENCAP_L2_ETH: u64 = 1 << 6;
const BPF_F_ADJ_ROOM_DECAP_L3_IPV4: u64 = 1 << 7;
const BPF_F_ADJ_ROOM_DECAP_L3_IPV6: u64 = 1 << 8;
const BPF_F_ADJ_ROOM_ENCAP_L3_MASK: u64 = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
const BPF_F_ADJ_ROOM_DECAP_L3_MASK: u64 = BPF_F_ADJ_ROOM_DECAP_L3_IPV4 | BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
/// `BPF_F_ADJ_ROOM_ENCAP_L2(len)`: the inner MAC header's length in the top byte.
const BPF_ADJ_ROOM_ENCAP_L2_SHIFT: u64 = 56;
/// Every flag bpf_skb_adjust_room knows (`BPF_F_ADJ_ROOM_MASK` and NO_CSUM_RESET).
const BPF_F_ADJ_ROOM_KNOWN: u64 = 0x1df | (0xff << 56) | BPF_F_ADJ_ROOM_NO_CSUM_RESET;
const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;

/// bpf_skb_adjust_room: `len_diff` bytes (zeroed when growing) inserted or removed after the MAC
/// header (BPF_ADJ_ROOM_MAC) or after the IPv4/IPv6 header (BPF_ADJ_ROOM_NET), on an IPv4 or IPv6
/// packet (ENOTSUPP otherwise), with the kernel's checks in its order. Growing with an
/// ENCAP_L3 flag makes room for outer headers (the program writes them): one L3 and one L4 kind
/// at most, ENCAP_L2_ETH needs an inner MAC length of 14 or more, the inner MAC length may not
/// pass `len_diff`, a second encapsulation is EALREADY, and the protocol follows the outer L3.
/// Shrinking takes DECAP_L3_* (the protocol follows the new outer L3; min length that header's),
/// and no ENCAP flag. A GSO skb (ctx_in's gso_size; test_run gives it no GSO type) is ENOTSUPP.
pub fn skb_adjust_room(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    let (len_diff, mode, flags) = (a[1] as i32, a[2] as u32, a[3]);
    let s = m.skb_ctx(a[0])?;
    if flags & !BPF_F_ADJ_ROOM_KNOWN != 0 {
        return neg(Errno::EINVAL);
    }
    let abs = len_diff.unsigned_abs();
    if abs > 0xfff {
        return neg(Errno::EFAULT);
    }
    let proto = s.skb.protocol();
    let base = match proto {
        ETH_P_IP => 20,
        ETH_P_IPV6 => 40,
        _ => return neg(Errno::ENOTSUPP),
    };
    let mac_len = (s.skb.network_offset() - s.skb.mac_offset()) as u32;
    let off = match u64::from(mode) {
        BPF_ADJ_ROOM_NET => mac_len + base,
        BPF_ADJ_ROOM_MAC => mac_len,
        _ => return neg(Errno::ENOTSUPP),
    };
    let shrink = len_diff < 0;
    let mut len_min = base;
    if flags & BPF_F_ADJ_ROOM_DECAP_L3_MASK != 0 {
        if !shrink {
            return neg(Errno::EINVAL);
        }
        len_min = match flags & BPF_F_ADJ_ROOM_DECAP_L3_MASK {
            BPF_F_ADJ_ROOM_DECAP_L3_IPV4 => 20,
            BPF_F_ADJ_ROOM_DECAP_L3_IPV6 => 40,
            _ => return neg(Errno::EINVAL),
        };
    }
    let gso = s.gso_size != 0;
    let len_cur = i64::from(s.skb.len()) - s.skb.network_offset();
    if (shrink && (i64::from(abs) >= len_cur || len_cur - i64::from(abs) < i64::from(len_min)))
        || (!shrink && s.skb.len() + abs > BPF_SKB_MAX_LEN && !gso)
    {
        return neg(Errno::ENOTSUPP);
    }
    // bpf_skb_net_shrink / bpf_skb_net_grow: a GSO skb that is not TCP must be UDP_L4 with
    // FIXED_GSO; test_run's GSO skb has no GSO type, so it is neither.
    if shrink {
        if flags & !(BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET) != 0 {
            return neg(Errno::EINVAL);
        }
        if gso {
            return neg(Errno::ENOTSUPP);
        }
        let r = s.skb.remove_gap(off, abs);
        if r.is_ok() {
            if flags & BPF_F_ADJ_ROOM_NO_CSUM_RESET == 0 {
                s.csum_unnecessary = None;
            }
            match (proto, flags & BPF_F_ADJ_ROOM_DECAP_L3_MASK) {
                (ETH_P_IP, BPF_F_ADJ_ROOM_DECAP_L3_IPV6) => s.skb.set_protocol(ETH_P_IPV6),
                (ETH_P_IPV6, BPF_F_ADJ_ROOM_DECAP_L3_IPV4) => s.skb.set_protocol(ETH_P_IP),
                _ => {}
            }
        }
        m.refresh_packet();
        return Ok(ret(r));
    }
    if gso {
        return neg(Errno::ENOTSUPP);
    }
    let encap = flags & BPF_F_ADJ_ROOM_ENCAP_L3_MASK != 0;
    if encap {
        let inner_mac_len = (flags >> BPF_ADJ_ROOM_ENCAP_L2_SHIFT) as u32;
        let both = |x: u64, y: u64| flags & x != 0 && flags & y != 0;
        if both(BPF_F_ADJ_ROOM_ENCAP_L3_IPV4, BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) || both(BPF_F_ADJ_ROOM_ENCAP_L4_GRE, BPF_F_ADJ_ROOM_ENCAP_L4_UDP) {
            return neg(Errno::EINVAL);
        }
        if flags & BPF_F_ADJ_ROOM_ENCAP_L2_ETH != 0 && inner_mac_len < crate::frame::layout::ETH_HLEN {
            return neg(Errno::EINVAL);
        }
        if s.encapsulation {
            return neg(Errno::EALREADY);
        }
        if inner_mac_len > abs {
            return neg(Errno::EINVAL);
        }
    }
    let r = s.skb.insert_gap(off, abs);
    // __skb_reset_checksum_unnecessary after a change, unless told not to
    if r.is_ok() && flags & BPF_F_ADJ_ROOM_NO_CSUM_RESET == 0 {
        s.csum_unnecessary = None;
    }
    if r.is_ok() && encap {
        s.encapsulation = true;
        match proto {
            ETH_P_IP if flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 != 0 => s.skb.set_protocol(ETH_P_IPV6),
            ETH_P_IPV6 if flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 != 0 => s.skb.set_protocol(ETH_P_IP),
            _ => {}
        }
    }
    m.refresh_packet();
    Ok(ret(r))
}

/// bpf_get_socket_cookie: the test socket's cookie, given on first use from a counter (the
/// kernel's comes from a global generator, so its numbers depend on the machine's history);
/// 0 without a socket.
pub fn get_socket_cookie(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT_COOKIE: AtomicU64 = AtomicU64::new(1);
    let s = m.skb_ctx(a[0])?;
    Ok(*s.socket_cookie.get_or_insert_with(|| NEXT_COOKIE.fetch_add(1, Ordering::Relaxed)))
}

/// bpf_skb_change_proto: IPv4 to IPv6 makes 20 zeroed bytes of room after the MAC header, IPv6
/// to IPv4 takes 20 away there (the program writes the new header itself); the protocol changes
/// and the hash is cleared. EINVAL for flags, ENOTSUPP for any other pair of protocols.
pub fn skb_change_proto(m: &mut Machine<'_>, a: &[u64; 5]) -> HelperResult {
    const LEN_DIFF: u32 = 40 - 20;
    let (to, flags) = (u16::from_be(a[1] as u16), a[2]);
    let s = m.skb_ctx(a[0])?;
    if flags != 0 {
        return neg(Errno::EINVAL);
    }
    let mac_len = (s.skb.network_offset() - s.skb.mac_offset()) as u32;
    let r = match (s.skb.protocol(), to) {
        (ETH_P_IP, ETH_P_IPV6) => s.skb.insert_gap(mac_len, LEN_DIFF),
        (ETH_P_IPV6, ETH_P_IP) => s.skb.remove_gap(mac_len, LEN_DIFF),
        _ => return neg(Errno::ENOTSUPP),
    };
    if r.is_ok() {
        s.skb.set_protocol(to);
        s.skb.set_hash(0);
        s.sw_hash = false;
        s.l4_hash = false;
    }
    m.refresh_packet();
    Ok(ret(r))
}
