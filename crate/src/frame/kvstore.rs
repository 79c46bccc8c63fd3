//! A key/value store in the XDP metadata area, after the format proposed on the "XDP rx hw hints"
//! thread (bpf-next, September 2024): a 16-byte header that locates up to 64 values of 2, 4 or 8
//! bytes without walking them.
//!
//! Layout of the metadata area `[data_meta, data)`:
//!
//! ```text
//! data_meta: | hi: u64 LE | lo: u64 LE | value of the lowest present slot | ... | zero padding |
//! ```
//!
//! For slot `k` (0..64), bit `k` of `hi` and bit `k` of `lo` form a 2-bit code giving the size of
//! its value: `00` absent, `01` 2 bytes, `10` 4 bytes, `11` 8 bytes. Values follow the header in
//! slot order, so the value of slot `k` starts at
//! `16 + 2·popcount(lo & !hi & m) + 4·popcount(hi & !lo & m) + 8·popcount(hi & lo & m)` with
//! `m = (1 << k) - 1`. The metadata length is 16 plus the value sizes, rounded up to a multiple of
//! 4 (`bpf_xdp_adjust_meta` only makes such lengths); the padding bytes are zero.
//!
//! An empty metadata area is an empty store (so is a 16-byte header with no bit set). A non-empty
//! area whose length does not match its header is not a store: every operation fails with EINVAL
//! and leaves it alone, since programs may use metadata for something else. Writes that change the
//! length move `data_meta` under the checks of `bpf_xdp_adjust_meta` (no closer than 40 bytes to
//! `data_hard_start`, at most 255 bytes, so 252 in practice); when they fail the store is full:
//! ENOSPC, nothing changed. A store whose last key is deleted gives its whole area back
//! (metadata length 0).
//!
//! Keys are u64. 0..=63 are the slots. Three well-known hardware keys alias the top slots with
//! fixed sizes: [`KV_KEY_HW_HASH`] (slot 61, the u32 RX hash, little-endian),
//! [`KV_KEY_HW_VLAN`] (slot 62, 4 bytes: the VLAN protocol in network order, then the TCI
//! little-endian; see [`HwVlan`]) and [`KV_KEY_HW_TIMESTAMP`] (slot 63, the u64 RX timestamp in
//! nanoseconds, little-endian). Slots 61–63 keep those sizes whichever key names them, and are
//! listed under their well-known keys. Any other key from 64 up is EINVAL.
//!
//! Multi-byte integers elsewhere in values are the application's business; the store moves bytes.

use super::buff::XdpBuff;
use super::layout::{XDP_FRAME_SIZE, XDP_META_MAX};
use super::skb::Skb;
use super::xdp_frame::XdpFrame;
use crate::errno::{Errno, Result, XdpError};

/// Number of slots the header describes.
pub const KV_SLOTS: u32 = 64;
/// Size of the header: the `hi` and `lo` bitmaps.
pub const KV_HEADER_LEN: u32 = 16;
/// The largest metadata length `bpf_xdp_adjust_meta` can make: 255 rounded down to a multiple of 4.
pub const KV_META_MAX: u32 = XDP_META_MAX & !3;
/// The RX hash (u32, little-endian), slot 61.
pub const KV_KEY_HW_HASH: u64 = 0xffff_ffff_ffff_fff0;
/// The RX VLAN tag (4 bytes, see [`HwVlan`]), slot 62.
pub const KV_KEY_HW_VLAN: u64 = 0xffff_ffff_ffff_fff1;
/// The RX timestamp (u64 nanoseconds, little-endian), slot 63.
pub const KV_KEY_HW_TIMESTAMP: u64 = 0xffff_ffff_ffff_fff2;
/// Slots below this are the application's; the ones from here up belong to the hardware keys.
pub const KV_APP_SLOTS: u32 = 61;

/// The well-known keys, their slots and their fixed value sizes.
const WELL_KNOWN: [(u64, u32, usize); 3] = [(KV_KEY_HW_HASH, 61, 4), (KV_KEY_HW_VLAN, 62, 4), (KV_KEY_HW_TIMESTAMP, 63, 8)];

/// The value of [`KV_KEY_HW_VLAN`]: `proto` (e.g. 0x8100) stored in network order, then the TCI
/// stored little-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HwVlan {
    pub proto: u16,
    pub tci: u16,
}

impl HwVlan {
    pub fn to_bytes(self) -> [u8; 4] {
        let [p0, p1] = self.proto.to_be_bytes();
        let [t0, t1] = self.tci.to_le_bytes();
        [p0, p1, t0, t1]
    }

    /// None unless `bytes` is 4 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Option<HwVlan> {
        let b: [u8; 4] = bytes.try_into().ok()?;
        Some(HwVlan { proto: u16::from_be_bytes([b[0], b[1]]), tci: u16::from_le_bytes([b[2], b[3]]) })
    }
}

/// The slot a key names, and the size that slot requires (hardware slots only).
pub fn kv_slot(key: u64) -> Option<(u32, Option<usize>)> {
    if key < u64::from(KV_SLOTS) {
        let slot = key as u32;
        let fixed = WELL_KNOWN.iter().find(|w| w.1 == slot).map(|w| w.2);
        return Some((slot, fixed));
    }
    WELL_KNOWN.iter().find(|w| w.0 == key).map(|w| (w.1, Some(w.2)))
}

/// The key a slot is listed under: its well-known key for 61–63, the slot number otherwise.
pub fn kv_key_of_slot(slot: u32) -> u64 {
    WELL_KNOWN.iter().find(|w| w.1 == slot).map_or(u64::from(slot), |w| w.0)
}

fn slot_of(key: u64, op: &'static str) -> Result<(u32, Option<usize>)> {
    kv_slot(key).ok_or_else(|| {
        XdpError::new(Errno::EINVAL, op, format!("key {key:#x} is outside the 64 slots and is not a well-known hardware key"))
            .offset(key as i64)
            .limit(u64::from(KV_SLOTS - 1))
    })
}

/// The size a 2-bit code stands for.
#[inline]
fn code_size(hi: bool, lo: bool) -> u32 {
    match (hi, lo) {
        (false, false) => 0,
        (false, true) => 2,
        (true, false) => 4,
        (true, true) => 8,
    }
}

/// The header bits of a value size; None for sizes other than 2, 4, 8.
#[inline]
fn size_code(size: usize) -> Option<(bool, bool)> {
    match size {
        2 => Some((false, true)),
        4 => Some((true, false)),
        8 => Some((true, true)),
        _ => None,
    }
}

/// Total bytes of the values the bitmaps describe, in the slots selected by `mask`.
#[inline]
fn values_len(hi: u64, lo: u64, mask: u64) -> u32 {
    2 * (lo & !hi & mask).count_ones() + 4 * (hi & !lo & mask).count_ones() + 8 * (hi & lo & mask).count_ones()
}

/// The metadata length a header describes: 16 plus its values, rounded up to a multiple of 4.
pub fn kv_meta_len(hi: u64, lo: u64) -> u32 {
    (KV_HEADER_LEN + values_len(hi, lo, u64::MAX) + 3) & !3
}

/// Offset of slot `slot`'s value from `data_meta`, as the header places it.
pub fn kv_value_offset(hi: u64, lo: u64, slot: u32) -> u32 {
    let mask = if slot >= 64 { u64::MAX } else { (1u64 << slot) - 1 };
    KV_HEADER_LEN + values_len(hi, lo, mask)
}

/// A read-only view of a metadata area as a store.
#[derive(Clone, Copy, Debug)]
pub struct KvStore<'a> {
    hi: u64,
    lo: u64,
    meta: &'a [u8],
}

impl<'a> KvStore<'a> {
    /// Reads `meta` as a store; EINVAL (for `op`) when it is not one.
    pub fn parse(meta: &'a [u8], op: &'static str) -> Result<KvStore<'a>> {
        if meta.is_empty() {
            return Ok(KvStore { hi: 0, lo: 0, meta });
        }
        let not_a_store =
            |why: String| XdpError::new(Errno::EINVAL, op, format!("the metadata is not a key/value store: {why}")).len(meta.len() as u64);
        if meta.len() < KV_HEADER_LEN as usize {
            return Err(not_a_store(format!("{} bytes are too few for the 16-byte header", meta.len())).limit(u64::from(KV_HEADER_LEN)));
        }
        let hi = u64::from_le_bytes(meta[0..8].try_into().expect("8 bytes"));
        let lo = u64::from_le_bytes(meta[8..16].try_into().expect("8 bytes"));
        let want = kv_meta_len(hi, lo);
        if meta.len() != want as usize {
            return Err(not_a_store(format!("its length is {} but its header describes {want}", meta.len())).limit(u64::from(want)));
        }
        Ok(KvStore { hi, lo, meta })
    }

    /// The `hi` bitmap.
    pub fn hi(&self) -> u64 {
        self.hi
    }

    /// The `lo` bitmap.
    pub fn lo(&self) -> u64 {
        self.lo
    }

    /// Value size of `slot`, 0 when absent.
    pub fn slot_size(&self, slot: u32) -> u32 {
        code_size(self.hi >> slot & 1 != 0, self.lo >> slot & 1 != 0)
    }

    fn slot_value(&self, slot: u32) -> Option<&'a [u8]> {
        let size = self.slot_size(slot) as usize;
        if size == 0 {
            return None;
        }
        let at = kv_value_offset(self.hi, self.lo, slot) as usize;
        Some(&self.meta[at..at + size])
    }

    /// The value of `key`: EINVAL for a key outside the slots, ENOENT when unset.
    pub fn get(&self, key: u64) -> Result<&'a [u8]> {
        self.lookup(key, "xdp_kv_get")
    }

    fn lookup(&self, key: u64, op: &'static str) -> Result<&'a [u8]> {
        let (slot, _) = slot_of(key, op)?;
        self.slot_value(slot).ok_or_else(|| XdpError::new(Errno::ENOENT, op, format!("key {key:#x} is not set")).offset(key as i64))
    }

    /// Whether `key` is set (false for keys outside the slots).
    pub fn contains(&self, key: u64) -> bool {
        kv_slot(key).is_some_and(|(slot, _)| self.slot_size(slot) != 0)
    }

    /// The keys present, in slot order (slots 61–63 as their well-known keys).
    pub fn keys(&self) -> Vec<u64> {
        let mut present = self.hi | self.lo;
        let mut out = Vec::with_capacity(present.count_ones() as usize);
        while present != 0 {
            let slot = present.trailing_zeros();
            out.push(kv_key_of_slot(slot));
            present &= present - 1;
        }
        out
    }

    /// Number of keys present.
    pub fn len(&self) -> usize {
        (self.hi | self.lo).count_ones() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes this store occupies now (0 or 16 when empty).
    pub fn meta_len(&self) -> u32 {
        self.meta.len() as u32
    }

    /// The metadata bytes of this store with `slot` set to `value` (or removed when `None`): the
    /// values move to their new offsets. Empty when no key is left.
    fn rebuilt(&self, slot: u32, value: Option<&[u8]>) -> Vec<u8> {
        let bit = 1u64 << slot;
        let (mut hi, mut lo) = (self.hi & !bit, self.lo & !bit);
        if let Some(v) = value {
            let (h, l) = size_code(v.len()).expect("checked size");
            hi |= if h { bit } else { 0 };
            lo |= if l { bit } else { 0 };
        }
        if hi | lo == 0 {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(kv_meta_len(hi, lo) as usize);
        out.extend_from_slice(&hi.to_le_bytes());
        out.extend_from_slice(&lo.to_le_bytes());
        let mut present = hi | lo;
        while present != 0 {
            let s = present.trailing_zeros();
            if s == slot {
                out.extend_from_slice(value.expect("present"));
            } else {
                out.extend_from_slice(self.slot_value(s).expect("kept slot"));
            }
            present &= present - 1;
        }
        out.resize(kv_meta_len(hi, lo) as usize, 0);
        out
    }
}

/// Checks a value for `key` before anything is read: the key, then its size.
fn check_set(key: u64, value: &[u8], op: &'static str) -> Result<u32> {
    let (slot, fixed) = slot_of(key, op)?;
    if size_code(value.len()).is_none() {
        return Err(XdpError::new(Errno::EINVAL, op, format!("values are 2, 4 or 8 bytes, not {}", value.len())).len(value.len() as u64));
    }
    if let Some(size) = fixed {
        if value.len() != size {
            return Err(XdpError::new(
                Errno::EINVAL,
                op,
                format!("the well-known key {:#x} (slot {slot}) takes {size}-byte values, not {}", kv_key_of_slot(slot), value.len()),
            )
            .len(value.len() as u64)
            .limit(size as u64));
        }
    }
    Ok(slot)
}

impl XdpBuff {
    /// The metadata area read as a key/value store; EINVAL when it is not one.
    pub fn kv_store(&self) -> Result<KvStore<'_>> {
        KvStore::parse(self.meta(), "xdp_kv")
    }

    /// The value of `key`: EINVAL for a key outside the slots or metadata that is not a store,
    /// ENOENT when unset.
    pub fn kv_get(&self, key: u64) -> Result<&[u8]> {
        const OP: &str = "xdp_kv_get";
        slot_of(key, OP)?;
        KvStore::parse(self.meta(), OP)?.lookup(key, OP)
    }

    /// The keys present, in slot order.
    pub fn kv_keys(&self) -> Result<Vec<u64>> {
        Ok(KvStore::parse(self.meta(), "xdp_kv_keys")?.keys())
    }

    /// Sets `key` to `value` (2, 4 or 8 bytes). A new key, or a new size for an existing one,
    /// moves the values after it and `data_meta`: ENOSPC (nothing changed) when the metadata
    /// would outgrow what `bpf_xdp_adjust_meta` allows. EINVAL for a bad key or size, or metadata
    /// that is not a store; ENOTSUPP when the driver has no metadata; EFAULT while
    /// `bpf_xdp_adjust_data` has moved the data pointers and the length would change.
    pub fn kv_set(&mut self, key: u64, value: &[u8]) -> Result<()> {
        const OP: &str = "xdp_kv_set";
        let slot = check_set(key, value, OP)?;
        let store = KvStore::parse(self.meta(), OP)?;
        if store.slot_size(slot) as usize == value.len() {
            let at = (self.data_meta + kv_value_offset(store.hi, store.lo, slot)) as usize;
            self.head.bytes_mut()[at..at + value.len()].copy_from_slice(value);
            return Ok(());
        }
        let bytes = store.rebuilt(slot, Some(value));
        self.kv_replace(&bytes, OP)
    }

    /// Removes `key`, moving the values after it down and `data_meta` up. ENOENT when unset.
    pub fn kv_del(&mut self, key: u64) -> Result<()> {
        const OP: &str = "xdp_kv_del";
        let (slot, _) = slot_of(key, OP)?;
        let store = KvStore::parse(self.meta(), OP)?;
        if store.slot_size(slot) == 0 {
            return Err(XdpError::new(Errno::ENOENT, OP, format!("key {key:#x} is not set")).offset(key as i64));
        }
        let bytes = store.rebuilt(slot, None);
        self.kv_replace(&bytes, OP)
    }

    /// Removes every key: the metadata area becomes empty. EINVAL when it is not a store.
    pub fn kv_clear(&mut self) -> Result<()> {
        const OP: &str = "xdp_kv_clear";
        if self.meta_len() == 0 {
            return Ok(());
        }
        KvStore::parse(self.meta(), OP)?;
        self.kv_replace(&[], OP)
    }

    /// Makes `bytes` the metadata area, moving `data_meta` through `bpf_xdp_adjust_meta`'s
    /// checks first; its EINVAL/EACCES (no room) become ENOSPC.
    fn kv_replace(&mut self, bytes: &[u8], op: &'static str) -> Result<()> {
        let (old, new) = (self.meta_len(), bytes.len() as u32);
        if new != old {
            let delta = old as i32 - new as i32;
            if let Err(e) = self.adjust_meta(delta) {
                return Err(match e.errno {
                    Errno::EINVAL | Errno::EACCES => {
                        let room = self.data.saturating_sub(self.hard_start + XDP_FRAME_SIZE);
                        XdpError::new(
                            Errno::ENOSPC,
                            op,
                            format!(
                                "the store would need {new} bytes of metadata; at most {} fit here ({} of headroom above the 40-byte xdp_frame, 252 at most)",
                                room.min(KV_META_MAX) & !3,
                                room
                            ),
                        )
                        .len(u64::from(new))
                        .limit(u64::from(room.min(KV_META_MAX) & !3))
                    }
                    errno => XdpError::new(errno, op, e.message.clone()),
                });
            }
        }
        let at = self.data_meta as usize;
        self.head.bytes_mut()[at..at + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }
}

impl XdpFrame {
    /// The frame's metadata read as a key/value store (read-only).
    pub fn kv_store(&self) -> Result<KvStore<'_>> {
        KvStore::parse(self.meta(), "xdp_kv")
    }

    pub fn kv_get(&self, key: u64) -> Result<&[u8]> {
        const OP: &str = "xdp_kv_get";
        slot_of(key, OP)?;
        KvStore::parse(self.meta(), OP)?.lookup(key, OP)
    }

    pub fn kv_keys(&self) -> Result<Vec<u64>> {
        Ok(KvStore::parse(self.meta(), "xdp_kv_keys")?.keys())
    }
}

impl Skb {
    /// The skb's metadata (`skb_metadata_len` bytes before the MAC header) read as a key/value
    /// store (read-only).
    pub fn kv_store(&self) -> Result<KvStore<'_>> {
        KvStore::parse(self.meta(), "xdp_kv")
    }

    pub fn kv_get(&self, key: u64) -> Result<&[u8]> {
        const OP: &str = "xdp_kv_get";
        slot_of(key, OP)?;
        KvStore::parse(self.meta(), OP)?.lookup(key, OP)
    }

    pub fn kv_keys(&self) -> Result<Vec<u64>> {
        Ok(KvStore::parse(self.meta(), "xdp_kv_keys")?.keys())
    }
}
