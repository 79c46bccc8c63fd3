//! Socket buffers built from `xdp_frame`s.

use super::frame::{frag_objects, FragObject};
use super::*;

#[napi(object)]
pub struct SkbInfo {
    pub len: u32,
    pub data_len: u32,
    pub headlen: u32,
    pub truesize: u32,
    pub protocol: u32,
    pub pkt_type: u32,
    pub meta_len: u32,
    pub nr_frags: u32,
    pub pfmemalloc: bool,
    pub ifindex: u32,
}

#[napi]
pub fn skb_info(skb: &SkbHandle) -> Result<SkbInfo> {
    with_skb(skb, |s| {
        Ok(SkbInfo {
            len: s.len(),
            data_len: s.data_len(),
            headlen: s.headlen(),
            truesize: s.truesize(),
            protocol: u32::from(s.protocol()),
            pkt_type: u32::from(s.pkt_type()),
            meta_len: u32::from(s.meta_len()),
            nr_frags: u32::from(s.nr_frags()),
            pfmemalloc: s.pfmemalloc(),
            ifindex: s.ifindex(),
        })
    })
}

#[napi]
pub fn skb_frags(skb: &SkbHandle) -> Result<Vec<FragObject>> {
    with_skb(skb, |s| Ok(frag_objects(s.frags())))
}

#[napi]
pub fn skb_meta(skb: &SkbHandle) -> Result<Buffer> {
    with_skb(skb, |s| Ok(s.meta().to_vec().into()))
}

#[napi]
pub fn skb_mac_header(skb: &SkbHandle) -> Result<Buffer> {
    with_skb(skb, |s| Ok(s.mac_header().to_vec().into()))
}

#[napi]
pub fn skb_shared_info(skb: &SkbHandle) -> Result<Buffer> {
    with_skb(skb, |s| Ok(s.shared_info().to_vec().into()))
}

#[napi]
pub fn skb_to_bytes(skb: &SkbHandle) -> Result<Buffer> {
    with_skb(skb, |s| Ok(s.to_vec().into()))
}

#[napi]
pub fn skb_frame_bytes(skb: &SkbHandle) -> Result<Buffer> {
    with_skb(skb, |s| Ok(s.frame_bytes().into()))
}

#[napi]
pub fn skb_released(skb: &SkbHandle) -> bool {
    is_released(skb)
}

#[napi]
pub fn skb_release(skb: &SkbHandle) -> Result<()> {
    guard("consume_skb", || take(skb, "consume_skb", "skb").map(drop))
}
