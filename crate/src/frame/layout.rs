//! Sizes and offsets of the kernel structures the frame engine lays out in page memory
//! (x86-64, 64-byte cache lines).

/// `XDP_PACKET_HEADROOM`: where packet data starts in a buffer built by drivers and test_run.
pub const XDP_PACKET_HEADROOM: u32 = 256;
/// `ETH_HLEN`: no helper lets a packet become shorter than an Ethernet header.
pub const ETH_HLEN: u32 = 14;
/// `sizeof(struct xdp_frame)`: written at `data_hard_start` on conversion, so helpers keep this
/// much headroom free.
pub const XDP_FRAME_SIZE: u32 = 40;
/// The largest metadata length `skb_shared_info.meta_len` (a u8) can describe.
pub const XDP_META_MAX: u32 = 255;
/// `SMP_CACHE_BYTES` on x86-64; `SKB_DATA_ALIGN` rounds up to it.
pub const SMP_CACHE_BYTES: u32 = 64;
/// `MAX_SKB_FRAGS` default (`CONFIG_MAX_SKB_FRAGS`), and the range Kconfig allows.
pub const MAX_SKB_FRAGS: u8 = 17;
pub const MAX_SKB_FRAGS_RANGE: std::ops::RangeInclusive<u8> = 17..=45;
/// `bpf_xdp_pointer` refuses offsets and lengths above this with EFAULT.
pub const XDP_ACCESS_MAX: u32 = 0xffff;

/// `enum xdp_buff_flags`.
pub const XDP_FLAGS_HAS_FRAGS: u32 = 1 << 0;
pub const XDP_FLAGS_FRAGS_PF_MEMALLOC: u32 = 1 << 1;

/// `enum xdp_mem_type` value recorded in an `xdp_frame` built from pool pages.
pub const MEM_TYPE_PAGE_POOL: u32 = 2;

/// `skb_shared_info` field offsets (6.18 layout).
pub mod shinfo {
    pub const META_LEN: usize = 1;
    pub const NR_FRAGS: usize = 2;
    /// `dataref`: `build_skb_around` zeroes everything before it.
    pub const DATAREF: usize = 32;
    /// `xdp_frags_size` / `xdp_frags_truesize`, unioned with `destructor_arg`.
    pub const XDP_FRAGS_SIZE: usize = 40;
    pub const XDP_FRAGS_TRUESIZE: usize = 44;
    pub const FRAGS: usize = 48;
    /// `skb_frag_t`: netmem (8), len (4), offset (4).
    pub const FRAG_SIZE: usize = 16;
    pub const FRAG_LEN: usize = 8;
    pub const FRAG_OFFSET: usize = 12;
}

/// `struct xdp_frame` field offsets (≥ 6.14 layout, 40 bytes).
pub mod xdp_frame {
    pub const DATA: usize = 0;
    pub const LEN: usize = 8;
    pub const HEADROOM: usize = 12;
    pub const METASIZE: usize = 16;
    pub const MEM_TYPE: usize = 20;
    pub const DEV_RX: usize = 24;
    pub const FRAME_SZ: usize = 32;
    pub const FLAGS: usize = 36;
}

/// `sizeof(struct sk_buff)` on x86-64 6.x, used for `SKB_TRUESIZE`.
pub const SK_BUFF_STRUCT_SIZE: u32 = 232;

/// `SKB_DATA_ALIGN`.
pub const fn skb_data_align(x: u32) -> u32 {
    (x + SMP_CACHE_BYTES - 1) & !(SMP_CACHE_BYTES - 1)
}

/// `sizeof(struct skb_shared_info)` for a given `MAX_SKB_FRAGS`.
pub const fn shinfo_size(max_frags: u8) -> u32 {
    shinfo::FRAGS as u32 + shinfo::FRAG_SIZE as u32 * max_frags as u32
}

/// The tailroom reserved at the end of every linear buffer for the shared info:
/// 320 bytes with 17 frags, 768 with 45.
pub const fn shinfo_tailroom(max_frags: u8) -> u32 {
    skb_data_align(shinfo_size(max_frags))
}

/// `SKB_TRUESIZE(x)`.
pub const fn skb_truesize(x: u32, max_frags: u8) -> u32 {
    x + skb_data_align(SK_BUFF_STRUCT_SIZE) + shinfo_tailroom(max_frags)
}

#[inline]
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

#[inline]
pub(crate) fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

#[inline]
pub(crate) fn write_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

#[inline]
pub(crate) fn write_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_numbers() {
        assert_eq!(shinfo_size(17), 320);
        assert_eq!(shinfo_tailroom(17), 320);
        assert_eq!(4096 - XDP_PACKET_HEADROOM - shinfo_tailroom(17), 3520);
        assert_eq!(3520 + 17 * 4096, 73152);
        assert_eq!(shinfo_tailroom(45), 768);
        assert_eq!(skb_data_align(232), 256);
        assert_eq!(skb_truesize(4096 - 320, 17), 4352);
    }
}
