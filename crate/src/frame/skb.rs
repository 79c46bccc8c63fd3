//! An `sk_buff` built around an `xdp_frame`'s memory, the way cpumap and drivers' XDP_PASS paths
//! build it: no copy, the head page becomes the skb head, the frags array in the shared info is
//! kept in place and only its header is rewritten.

use super::layout::*;
use super::shinfo::{FragDesc, Shinfo, ShinfoMut};
use super::xdp_frame::XdpFrame;
use crate::errno::{Errno, XdpError};
use crate::pool::Page;

/// `skb->pkt_type` values set by `eth_type_trans`.
pub const PACKET_HOST: u8 = 0;
pub const PACKET_BROADCAST: u8 = 1;
pub const PACKET_MULTICAST: u8 = 2;
pub const PACKET_OTHERHOST: u8 = 3;

/// `ETH_P_802_3_MIN`: below it the EtherType field is an 802.3 length.
const ETH_P_802_3_MIN: u16 = 0x0600;
const ETH_P_802_3: u16 = 0x0001;
const ETH_P_802_2: u16 = 0x0004;

/// The receiving device as `eth_type_trans` needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetDev {
    pub ifindex: u32,
    pub dev_addr: [u8; 6],
}

pub struct Skb {
    frags: Vec<Page>,
    head: Page,
    /// `skb->head` in the head page.
    head_off: u32,
    /// `skb->data` and `skb->tail`.
    data: u32,
    tail: u32,
    /// `skb_end_offset`: where the shared info starts, relative to `head`.
    end: u32,
    mac_header: u32,
    len: u32,
    data_len: u32,
    truesize: u32,
    pfmemalloc: bool,
    protocol: u16,
    pkt_type: u8,
    ifindex: u32,
    max_frags: u8,
}

impl std::fmt::Debug for Skb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Skb")
            .field("len", &self.len)
            .field("data_len", &self.data_len)
            .field("nr_frags", &self.nr_frags())
            .field("protocol", &format_args!("{:#06x}", self.protocol))
            .finish()
    }
}

impl XdpFrame {
    /// `__xdp_build_skb_from_frame`: builds the skb around the frame's memory, records the
    /// metadata length, carries the frags over with `xdp_update_skb_shared_info` (truesize
    /// `nr_frags × frame_sz`), and runs `eth_type_trans` for `dev`. EINVAL when the linear part
    /// cannot hold an Ethernet header.
    // The frame comes back with the error, so that a failed conversion loses nothing.
    #[allow(clippy::result_large_err)]
    pub fn into_skb(self, dev: NetDev) -> Result<Skb, (XdpError, XdpFrame)> {
        if self.len() < ETH_HLEN {
            let err = XdpError::new(Errno::EINVAL, "__xdp_build_skb_from_frame", "the linear part is shorter than an Ethernet header")
                .len(u64::from(self.len()))
                .limit(u64::from(ETH_HLEN));
            return Err((err, self));
        }
        let (len, metasize, frame_sz, flags, headroom) = (self.len(), self.metasize(), self.frame_sz(), self.flags(), self.headroom());
        let has_frags = flags & XDP_FLAGS_HAS_FRAGS != 0;
        let (nr_frags, frags_size) = if has_frags { (self.nr_frags(), self.frags_size()) } else { (0, 0) };
        let pfmemalloc = flags & XDP_FLAGS_FRAGS_PF_MEMALLOC != 0;
        let XdpFrame { mut head, frags, hard_start, max_frags } = self;

        // build_skb_around(hard_start, frame_sz)
        let end = frame_sz - shinfo_tailroom(max_frags);
        let mut skb_truesize = skb_truesize(end, max_frags);
        let mut sinfo = ShinfoMut::at(head.bytes_mut(), hard_start + end);
        sinfo.reset_for_skb();
        // skb_reserve(sizeof(*xdpf) + headroom), __skb_put(len)
        let data = hard_start + XDP_FRAME_SIZE + headroom;
        let mut skb_len = len;
        if metasize > 0 {
            sinfo.set_meta_len(metasize as u8);
        }
        let mut data_len = 0;
        if has_frags {
            // xdp_update_skb_shared_info
            sinfo.set_nr_frags(nr_frags);
            sinfo.clear_destructor_arg();
            skb_len += frags_size;
            data_len += frags_size;
            skb_truesize += u32::from(nr_frags) * frame_sz;
        }
        let mut skb = Skb {
            head,
            frags,
            head_off: hard_start,
            data,
            tail: data + len,
            end,
            mac_header: data,
            len: skb_len,
            data_len,
            truesize: skb_truesize,
            pfmemalloc,
            protocol: 0,
            pkt_type: PACKET_HOST,
            ifindex: dev.ifindex,
            max_frags,
        };
        skb.eth_type_trans(&dev);
        Ok(skb)
    }
}

impl Skb {
    fn eth_type_trans(&mut self, dev: &NetDev) {
        let hdr = &self.head.bytes()[self.data as usize..(self.data + ETH_HLEN) as usize];
        let dest: [u8; 6] = hdr[..6].try_into().expect("6 bytes");
        let proto = u16::from_be_bytes([hdr[12], hdr[13]]);
        self.mac_header = self.data;
        self.data += ETH_HLEN;
        self.len -= ETH_HLEN;
        if dest[0] & 1 != 0 {
            self.pkt_type = if dest == [0xff; 6] { PACKET_BROADCAST } else { PACKET_MULTICAST };
        } else if dest != dev.dev_addr {
            self.pkt_type = PACKET_OTHERHOST;
        }
        self.protocol = if proto >= ETH_P_802_3_MIN {
            proto
        } else {
            // Raw 802.3 (Novell) frames start their payload with 0xFFFF; anything else is 802.2 LLC.
            let mut first = [0u8; 2];
            self.copy_payload(0, &mut first);
            if first == [0xff, 0xff] {
                ETH_P_802_3
            } else {
                ETH_P_802_2
            }
        };
    }

    fn copy_payload(&self, offset: usize, out: &mut [u8]) {
        let bytes = self.to_vec();
        let n = out.len().min(bytes.len().saturating_sub(offset));
        out[..n].copy_from_slice(&bytes[offset..offset + n]);
    }

    fn shinfo(&self) -> Shinfo<'_> {
        Shinfo::at(self.head.bytes(), self.head_off + self.end)
    }

    /// `skb->len`: bytes from `data` (after the Ethernet header) to the end of the last frag.
    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `skb->data_len`: bytes in frags.
    pub fn data_len(&self) -> u32 {
        self.data_len
    }

    /// `skb_headlen`.
    pub fn headlen(&self) -> u32 {
        self.len - self.data_len
    }

    pub fn truesize(&self) -> u32 {
        self.truesize
    }

    pub fn pfmemalloc(&self) -> bool {
        self.pfmemalloc
    }

    /// `skb->protocol` as a host-order value (0x0800 for IPv4).
    pub fn protocol(&self) -> u16 {
        self.protocol
    }

    pub fn pkt_type(&self) -> u8 {
        self.pkt_type
    }

    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// `skb_metadata_len`, from `skb_shared_info.meta_len`.
    pub fn meta_len(&self) -> u8 {
        self.shinfo().meta_len()
    }

    pub fn meta(&self) -> &[u8] {
        let mac = self.mac_header as usize;
        &self.head.bytes()[mac - usize::from(self.meta_len())..mac]
    }

    pub fn nr_frags(&self) -> u8 {
        self.shinfo().nr_frags()
    }

    pub fn frags(&self) -> Vec<FragDesc> {
        (0..usize::from(self.nr_frags())).map(|i| self.shinfo().frag(i)).collect()
    }

    /// The raw `skb_shared_info` bytes (header and frags array).
    pub fn shared_info(&self) -> &[u8] {
        let base = (self.head_off + self.end) as usize;
        &self.head.bytes()[base..base + shinfo_size(self.max_frags) as usize]
    }

    /// The Ethernet header `eth_type_trans` pulled.
    pub fn mac_header(&self) -> &[u8] {
        &self.head.bytes()[self.mac_header as usize..(self.mac_header + ETH_HLEN) as usize]
    }

    /// Bytes from `data` to the end of the last frag (what the stack sees after the pull).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = self.head.bytes()[self.data as usize..self.tail as usize].to_vec();
        let sinfo = self.shinfo();
        for (i, page) in self.frags.iter().enumerate().take(usize::from(sinfo.nr_frags())) {
            let (off, len) = (sinfo.frag_offset(i) as usize, sinfo.frag_len(i) as usize);
            out.extend_from_slice(&page.bytes()[off..off + len]);
        }
        out
    }

    /// The frame as it was on the wire: Ethernet header plus `to_vec()`.
    pub fn frame_bytes(&self) -> Vec<u8> {
        let mut out = self.mac_header().to_vec();
        out.extend(self.to_vec());
        out
    }

    /// `consume_skb`: pages back to their pools.
    pub fn release(self) {}
}
