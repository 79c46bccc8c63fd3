//! What the emulated MAC and parser see on the wire: the Ethernet FCS, the L2/L3/L4 headers the
//! RX parser classifies (IPv4 and a verified L4 checksum set descriptor bits), the Toeplitz RSS
//! hash, and VLAN tags.

use crate::xdp::VlanTag;

/// Ethernet FCS length.
pub const ETH_FCS_LEN: u32 = 4;
pub const ETH_P_IP: u16 = 0x0800;
pub const ETH_P_IPV6: u16 = 0x86dd;
pub const ETH_P_8021Q: u16 = 0x8100;
pub const ETH_P_8021AD: u16 = 0x88a8;
/// The shortest frame on the wire without FCS (what `Z_PAD` pads to).
pub const ETH_ZLEN: usize = 60;

const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;

/// `enum xdp_rss_hash_type` bits.
pub mod rss {
    pub const L3_IPV4: u32 = 1 << 0;
    pub const L3_IPV6: u32 = 1 << 1;
    pub const L4: u32 = 1 << 3;
    pub const L4_TCP: u32 = 1 << 4;
    pub const L4_UDP: u32 = 1 << 5;
}

/// The Ethernet CRC-32 (IEEE 802.3) of `bytes`, as sent on the wire after the frame (little-endian).
pub fn fcs(bytes: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            }
            *e = c;
        }
        t
    });
    let mut crc = !0u32;
    for &b in bytes {
        crc = table[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// What the RX parser found in a frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The outer VLAN tag, if any.
    pub vlan: Option<VlanTag>,
    /// EtherType after any VLAN tags.
    pub ethertype: u16,
    /// Offset of the L3 header.
    pub l3: usize,
    /// L4 protocol and offset, for IPv4 (unfragmented) and IPv6 without extension headers.
    pub l4: Option<(u8, usize)>,
    pub ipv4: bool,
    pub ipv6: bool,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Classifies an Ethernet frame (no FCS).
pub fn parse(frame: &[u8]) -> Parsed {
    let mut p = Parsed::default();
    let Some(mut ethertype) = be16(frame, 12) else { return p };
    let mut at = 14;
    let mut first = true;
    while (ethertype == ETH_P_8021Q || ethertype == ETH_P_8021AD) && frame.len() >= at + 4 {
        if first {
            p.vlan = Some(VlanTag { proto: ethertype, tci: be16(frame, at).unwrap_or(0) });
            first = false;
        }
        ethertype = be16(frame, at + 2).unwrap_or(0);
        at += 4;
    }
    p.ethertype = ethertype;
    p.l3 = at;
    match ethertype {
        ETH_P_IP if frame.len() >= at + 20 && frame[at] >> 4 == 4 => {
            p.ipv4 = true;
            let ihl = usize::from(frame[at] & 0xf) * 4;
            let frag = be16(frame, at + 6).unwrap_or(0) & 0x3fff;
            if ihl >= 20 && frag == 0 && frame.len() >= at + ihl {
                p.l4 = Some((frame[at + 9], at + ihl));
            }
        }
        ETH_P_IPV6 if frame.len() >= at + 40 && frame[at] >> 4 == 6 => {
            p.ipv6 = true;
            p.l4 = Some((frame[at + 6], at + 40));
        }
        _ => {}
    }
    p
}

/// The one's-complement sum of `bytes` as 16-bit big-endian words, added to `sum`. Words are
/// summed in host order, 32 bits at a time into 64-bit accumulators (byte order does not matter
/// to a one's-complement sum until the end, RFC 1071), which the compiler vectorizes: a jumbo
/// frame's payload is verified at memory speed rather than a word at a time.
fn ones_complement_sum(sum: u32, bytes: &[u8]) -> u32 {
    let mut acc = [0u64; 4];
    let mut chunks = bytes.chunks_exact(16);
    for c in &mut chunks {
        for (i, a) in acc.iter_mut().enumerate() {
            *a += u64::from(u32::from_le_bytes([c[4 * i], c[4 * i + 1], c[4 * i + 2], c[4 * i + 3]]));
        }
    }
    let mut total: u64 = acc.iter().sum();
    let mut rest = chunks.remainder();
    while rest.len() >= 2 {
        total += u64::from(u16::from_le_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
    }
    if let [last] = rest {
        total += u64::from(*last);
    }
    // Fold to 16 bits of host-order words, then swap to network order.
    while total > 0xffff {
        total = (total & 0xffff) + (total >> 16);
    }
    sum + u32::from((total as u16).swap_bytes())
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The Internet checksum (RFC 1071) of `bytes` with `sum` already added, ready to store.
pub fn checksum(sum: u32, bytes: &[u8]) -> u16 {
    !fold(ones_complement_sum(sum, bytes))
}

/// The TCP/UDP pseudo-header's sum for the IP header at the start of `l3`.
pub fn pseudo_header_sum(l3: &[u8], ipv6: bool, proto: u8, l4_len: u32) -> u32 {
    let addrs = if ipv6 { l3.get(8..40) } else { l3.get(12..20) };
    let sum = addrs.map_or(0, |a| u32::from(fold(ones_complement_sum(0, a))));
    sum + u32::from(proto) + (l4_len & 0xffff) + (l4_len >> 16)
}

/// Whether the TCP or UDP checksum of an IPv4 packet verifies (what `L4_CSUM_OK` reports). A UDP
/// checksum of 0 means "none" and counts as good.
pub fn l4_checksum_ok(frame: &[u8], p: &Parsed) -> bool {
    let Some((proto, l4)) = p.l4 else { return false };
    if !p.ipv4 || !(proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
        return false;
    }
    let l3 = p.l3;
    let Some(total) = be16(frame, l3 + 2) else { return false };
    let end = l3 + usize::from(total);
    if end > frame.len() || end < l4 {
        return false;
    }
    let seg = &frame[l4..end];
    if proto == IPPROTO_UDP && seg.len() >= 8 && seg[6] == 0 && seg[7] == 0 {
        return true;
    }
    let mut sum = ones_complement_sum(0, &frame[l3 + 12..l3 + 20]);
    sum += u32::from(proto) + seg.len() as u32;
    fold(ones_complement_sum(sum, seg)) == 0xffff
}

/// The Microsoft default RSS key, the one drivers and the RSS verification suite use.
pub const RSS_KEY: [u8; 40] = [
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b,
    0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
];

/// Toeplitz over `input`, through a table per input byte position (the contribution of each byte
/// value there), so a hash costs one lookup per input byte.
fn toeplitz(input: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<Box<[[u32; 256]; 36]>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = Box::new([[0u32; 256]; 36]);
        for (pos, row) in t.iter_mut().enumerate() {
            for (v, e) in row.iter_mut().enumerate() {
                *e = toeplitz_bits(pos, v as u8);
            }
        }
        t
    });
    input.iter().take(36).enumerate().fold(0, |h, (pos, &b)| h ^ table[pos][usize::from(b)])
}

/// The hash contribution of byte value `byte` at input position `pos`: for each set bit, the 32
/// key bits starting at that bit's position.
fn toeplitz_bits(pos: usize, byte: u8) -> u32 {
    // The 32-bit key window starting at bit `start`, from the 8 key bytes around it.
    let window = |start: usize| {
        let mut w = [0u8; 8];
        for (i, b) in w.iter_mut().enumerate() {
            *b = RSS_KEY.get(start / 8 + i).copied().unwrap_or(0);
        }
        ((u64::from_be_bytes(w) << (start % 8)) >> 32) as u32
    };
    (0..8).filter(|bit| byte >> (7 - bit) & 1 != 0).fold(0, |h, bit| h ^ window(pos * 8 + bit))
}

/// The RSS hash of a frame and its `xdp_rss_hash_type`: Toeplitz over addresses (and TCP/UDP
/// ports), None for frames that are not IP.
pub fn rss_hash(frame: &[u8], p: &Parsed) -> Option<(u32, u32)> {
    let l3 = p.l3;
    let (addrs, l3_type) = if p.ipv4 {
        (frame.get(l3 + 12..l3 + 20)?, rss::L3_IPV4)
    } else if p.ipv6 {
        (frame.get(l3 + 8..l3 + 40)?, rss::L3_IPV6)
    } else {
        return None;
    };
    let mut input = [0u8; 36];
    input[..addrs.len()].copy_from_slice(addrs);
    let mut n = addrs.len();
    let mut ty = l3_type;
    if let Some((proto, l4)) = p.l4 {
        if proto == IPPROTO_TCP || proto == IPPROTO_UDP {
            if let Some(ports) = frame.get(l4..l4 + 4) {
                input[n..n + 4].copy_from_slice(ports);
                n += 4;
                ty |= rss::L4 | if proto == IPPROTO_TCP { rss::L4_TCP } else { rss::L4_UDP };
            }
        }
    }
    Some((toeplitz(&input[..n]), ty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcs_of_the_check_string() {
        assert_eq!(fcs(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn toeplitz_matches_the_rss_verification_suite() {
        // Microsoft's published RSS examples: 66.9.149.187:2794 -> 161.142.100.80:1766.
        let ipv4 = [66u8, 9, 149, 187, 161, 142, 100, 80];
        assert_eq!(toeplitz(&ipv4), 0x323e_8fc2);
        let mut with_ports = ipv4.to_vec();
        with_ports.extend_from_slice(&2794u16.to_be_bytes());
        with_ports.extend_from_slice(&1766u16.to_be_bytes());
        assert_eq!(toeplitz(&with_ports), 0x51cc_c178);
    }
}
