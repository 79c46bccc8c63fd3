#![allow(dead_code)]

use uxdp::frame::{BuildOptions, NetDev, Skb, XdpBuff};
use uxdp::pool::PagePool;
use uxdp::Errno;

/// Bytes whose value tells their position, so a misplaced byte shows.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

pub fn build(pool: &PagePool, len: usize) -> XdpBuff {
    XdpBuff::from_bytes(pool, &pattern(len), &BuildOptions::default()).expect("build")
}

pub fn build_with(pool: &PagePool, bytes: &[u8], opts: BuildOptions) -> XdpBuff {
    XdpBuff::from_bytes(pool, bytes, &opts).expect("build")
}

pub fn seg_lens(buff: &XdpBuff) -> Vec<usize> {
    buff.segments().map(|s| s.bytes.len()).collect()
}

/// The errno of a call that must fail.
pub fn errno<T: std::fmt::Debug>(r: Result<T, uxdp::XdpError>) -> Errno {
    r.unwrap_err().errno
}

/// An skb made from a `len`-byte pattern packet built with `opts` (through an xdp_frame).
pub fn skb_of(pool: &PagePool, len: usize, opts: BuildOptions) -> Skb {
    XdpBuff::from_bytes(pool, &pattern(len), &opts)
        .unwrap()
        .into_frame()
        .unwrap()
        .into_skb(NetDev { ifindex: 2, dev_addr: [0; 6] })
        .unwrap()
}
