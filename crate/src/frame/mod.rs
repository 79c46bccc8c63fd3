//! The XDP frame engine: `xdp_buff` with `skb_shared_info` frags in page-pool memory, every XDP
//! data helper on it, and the conversions to `xdp_frame` and `sk_buff`.

pub mod batch;
mod buff;
mod build;
mod helpers;
mod kvstore;
pub mod layout;
pub(crate) mod shinfo;
mod skb;
mod xdp_frame;

pub use buff::{BuffInit, BuffLayout, DataWindow, RxQueue, Segment, XdpBuff};
pub use build::{BuildOptions, Split};
pub use helpers::{DirectView, PerfSample, BPF_F_CTXLEN_MASK, BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK};
pub use kvstore::{
    kv_key_of_slot, kv_meta_len, kv_slot, kv_value_offset, HwVlan, KvStore, KV_APP_SLOTS, KV_HEADER_LEN, KV_KEY_HW_HASH,
    KV_KEY_HW_TIMESTAMP, KV_KEY_HW_VLAN, KV_META_MAX, KV_SLOTS,
};
pub use shinfo::FragDesc;
pub use skb::{
    eth_type_vlan, NetDev, Skb, SkbHeader, BPF_F_INVALIDATE_HASH, BPF_F_RECOMPUTE_CSUM, CHECKSUM_NONE, CHECKSUM_UNNECESSARY,
    PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST, TEST_RUN_SKB_HEADROOM, VLAN_HLEN,
};
pub use xdp_frame::XdpFrame;
