//! `xdp_frame`s: what a frame becomes when it is redirected, and what it becomes after.

use super::frame::{frag_objects, FragObject, RxQueueObject};
use super::*;

#[napi(object)]
pub struct NetDevObject {
    pub ifindex: u32,
    pub dev_addr: Option<Buffer>,
}

#[napi(object)]
pub struct XdpFrameInfo {
    pub length: u32,
    pub frame_length: u32,
    pub headroom: u32,
    pub metasize: u32,
    pub frame_size: u32,
    pub flags: u32,
    pub mem_type: u32,
    pub nr_frags: u32,
    pub frags_size: u32,
    pub data_addr: BigInt,
}

#[napi]
pub fn xdp_frame_info(xdpf: &XdpFrameHandle) -> Result<XdpFrameInfo> {
    with_xdp_frame(xdpf, |x| {
        Ok(XdpFrameInfo {
            length: x.len(),
            frame_length: x.frame_len(),
            headroom: x.headroom(),
            metasize: x.metasize(),
            frame_size: x.frame_sz(),
            flags: x.flags(),
            mem_type: x.mem_type(),
            nr_frags: u32::from(x.nr_frags()),
            frags_size: x.frags_size(),
            data_addr: BigInt::from(x.data_addr()),
        })
    })
}

#[napi]
pub fn xdp_frame_raw(xdpf: &XdpFrameHandle) -> Result<Buffer> {
    with_xdp_frame(xdpf, |x| Ok(x.raw().to_vec().into()))
}

#[napi]
pub fn xdp_frame_meta(xdpf: &XdpFrameHandle) -> Result<Buffer> {
    with_xdp_frame(xdpf, |x| Ok(x.meta().to_vec().into()))
}

#[napi]
pub fn xdp_frame_frags(xdpf: &XdpFrameHandle) -> Result<Vec<FragObject>> {
    with_xdp_frame(xdpf, |x| Ok(frag_objects(x.frags())))
}

#[napi]
pub fn xdp_frame_to_bytes(xdpf: &XdpFrameHandle) -> Result<Buffer> {
    with_xdp_frame(xdpf, |x| Ok(x.to_vec().into()))
}

#[napi]
pub fn xdp_frame_to_buff(xdpf: &XdpFrameHandle, rxq: Option<RxQueueObject>) -> Result<FrameHandle> {
    const OP: &str = "xdp_convert_frame_to_buff";
    guard(OP, || {
        let frame = take(xdpf, OP, "xdp_frame")?;
        let rxq = rxq.unwrap_or(RxQueueObject { ifindex: None, queue_index: None, frag_size: None });
        // cpumap and devmap run on a zeroed rxq: no frag size.
        let rxq =
            RxQueue { ifindex: rxq.ifindex.unwrap_or(0), queue_index: rxq.queue_index.unwrap_or(0), frag_size: rxq.frag_size.unwrap_or(0) };
        Ok(External::new(shared(frame.into_buff(rxq))))
    })
}

#[napi]
pub fn xdp_frame_to_skb(xdpf: &XdpFrameHandle, dev: NetDevObject) -> Result<SkbHandle> {
    const OP: &str = "__xdp_build_skb_from_frame";
    guard(OP, || {
        let mut dev_addr = [0u8; 6];
        if let Some(a) = dev.dev_addr {
            if a.len() != 6 {
                return Err(err(Errno::EINVAL, OP, "devAddr must be 6 bytes"));
            }
            dev_addr.copy_from_slice(&a);
        }
        let frame = take(xdpf, OP, "xdp_frame")?;
        match frame.into_skb(NetDev { ifindex: dev.ifindex, dev_addr }) {
            Ok(skb) => Ok(External::new(shared(skb))),
            Err((e, frame)) => {
                *xdpf.borrow_mut() = Some(frame);
                Err(e.into())
            }
        }
    })
}

#[napi]
pub fn xdp_frame_released(xdpf: &XdpFrameHandle) -> bool {
    is_released(xdpf)
}

#[napi]
pub fn xdp_frame_release(xdpf: &XdpFrameHandle) -> Result<()> {
    guard("xdp_return_frame", || take(xdpf, "xdp_return_frame", "xdp_frame").map(drop))
}
