#![allow(dead_code)]

use uxdp::frame::{BuildOptions, XdpBuff};
use uxdp::pool::PagePool;

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
