//! The XDP frame engine: `xdp_buff` with `skb_shared_info` frags in page-pool memory, every XDP
//! data helper on it, and the conversions to `xdp_frame` and `sk_buff`.

pub mod batch;
mod buff;
mod build;
mod helpers;
pub mod layout;
pub(crate) mod shinfo;
mod skb;
mod xdp_frame;

pub use buff::{BuffInit, BuffLayout, DataWindow, RxQueue, Segment, XdpBuff};
pub use build::{BuildOptions, Split};
pub use helpers::{DirectView, PerfSample, BPF_F_CTXLEN_MASK, BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK};
pub use shinfo::FragDesc;
pub use skb::{
    NetDev, Skb, BPF_F_INVALIDATE_HASH, CHECKSUM_NONE, CHECKSUM_UNNECESSARY, BPF_F_RECOMPUTE_CSUM, PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST,
};
pub use xdp_frame::XdpFrame;
