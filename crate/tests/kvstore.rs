//! The metadata key/value store: its exact bytes, every error, growth and shrinking within the
//! headroom rules, capacity, a random model, and the conversions it must survive.

mod common;
use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use uxdp::frame::{
    kv_meta_len, kv_value_offset, BuildOptions, HwVlan, KvStore, NetDev, RxQueue, XdpBuff, KV_KEY_HW_HASH, KV_KEY_HW_TIMESTAMP,
    KV_KEY_HW_VLAN, KV_META_MAX,
};
use uxdp::pool::PagePool;
use uxdp::Errno;

const DEV: NetDev = NetDev { ifindex: 2, dev_addr: [0x02, 0, 0, 0, 0, 0x02] };

fn le(v: u64, size: usize) -> Vec<u8> {
    v.to_le_bytes()[..size].to_vec()
}

fn header(meta: &[u8]) -> (u64, u64) {
    (u64::from_le_bytes(meta[0..8].try_into().unwrap()), u64::from_le_bytes(meta[8..16].try_into().unwrap()))
}

fn with_meta(pool: &PagePool, meta: Vec<u8>) -> XdpBuff {
    build_with(pool, &pattern(200), BuildOptions { meta, ..BuildOptions::default() })
}

fn with_headroom(pool: &PagePool, headroom: u32) -> XdpBuff {
    build_with(pool, &pattern(200), BuildOptions { headroom, ..BuildOptions::default() })
}

// ---------------------------------------------------------------- layout

#[test]
fn the_layout_is_the_header_then_values_in_slot_order() {
    let pool = PagePool::default();
    let mut b = build(&pool, 200);
    let data = b.layout().data;
    assert_eq!(b.meta_len(), 0);
    assert_eq!(b.kv_keys().unwrap(), Vec::<u64>::new());

    b.kv_set(0, &[0x01, 0x02]).unwrap();
    // hi = 0, lo = bit 0; one 2-byte value; 18 rounded up to 20 with zero padding.
    let mut want = [0u8; 20];
    want[8] = 1;
    want[16..18].copy_from_slice(&[1, 2]);
    assert_eq!(b.meta(), &want[..]);
    assert_eq!(b.layout().data_meta, data - 20);

    b.kv_set(5, &[0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]).unwrap();
    b.kv_set(3, &[0x30, 0x31, 0x32, 0x33]).unwrap();
    // slot 0: 01 (2 bytes), slot 3: 10 (4 bytes), slot 5: 11 (8 bytes).
    let (hi, lo) = (1u64 << 3 | 1 << 5, 1u64 | 1 << 5);
    let mut want = Vec::new();
    want.extend_from_slice(&hi.to_le_bytes());
    want.extend_from_slice(&lo.to_le_bytes());
    want.extend_from_slice(&[1, 2]); // offset 16
    want.extend_from_slice(&[0x30, 0x31, 0x32, 0x33]); // offset 18
    want.extend_from_slice(&[0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]); // offset 22
    want.extend_from_slice(&[0, 0]); // 30 → 32
    assert_eq!(b.meta(), &want[..]);
    assert_eq!(b.layout().data_meta, data - 32);
    assert_eq!(header(b.meta()), (0x28, 0x21));
    assert_eq!([kv_value_offset(hi, lo, 0), kv_value_offset(hi, lo, 3), kv_value_offset(hi, lo, 5)], [16, 18, 22]);
    assert_eq!(kv_value_offset(hi, lo, 63), 30);
    assert_eq!(kv_meta_len(hi, lo), 32);
    assert_eq!(b.kv_keys().unwrap(), vec![0, 3, 5]);
    assert_eq!(b.kv_get(3).unwrap(), &[0x30, 0x31, 0x32, 0x33]);
    assert_eq!(b.kv_get(5).unwrap(), &[0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]);
    // The packet never moves.
    assert_eq!(b.to_vec(), pattern(200));
    assert_eq!(b.layout().data, data);

    let s = b.kv_store().unwrap();
    assert_eq!((s.hi(), s.lo(), s.len(), s.meta_len()), (hi, lo, 3, 32));
    assert_eq!([s.slot_size(0), s.slot_size(1), s.slot_size(3), s.slot_size(5)], [2, 0, 4, 8]);
    assert!(s.contains(5) && !s.contains(4) && !s.contains(64));
}

#[test]
fn the_high_slot_bits_and_the_well_known_keys() {
    let pool = PagePool::default();
    let mut b = build(&pool, 200);
    b.kv_set(KV_KEY_HW_TIMESTAMP, &le(0x1122_3344_5566_7788, 8)).unwrap();
    b.kv_set(KV_KEY_HW_HASH, &le(0xdead_beef, 4)).unwrap();
    b.kv_set(KV_KEY_HW_VLAN, &HwVlan { proto: 0x8100, tci: 0x0123 }.to_bytes()).unwrap();
    b.kv_set(60, &[9, 9]).unwrap();
    let meta = b.meta().to_vec();
    // 60: 01, 61 (hash): 10, 62 (vlan): 10, 63 (timestamp): 11.
    assert_eq!(header(&meta), (1 << 61 | 1 << 62 | 1 << 63, 1 << 60 | 1 << 63));
    assert_eq!(meta.len(), 16 + 2 + 4 + 4 + 8 + 2);
    assert_eq!(&meta[16..18], &[9, 9]);
    assert_eq!(&meta[18..22], &0xdead_beefu32.to_le_bytes());
    assert_eq!(&meta[22..26], &[0x81, 0x00, 0x23, 0x01], "proto in network order, TCI little-endian");
    assert_eq!(&meta[26..34], &0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!(&meta[34..36], &[0, 0]);
    // Slots 61–63 are the well-known keys, whichever name is used, and are listed as them.
    assert_eq!(b.kv_get(61).unwrap(), b.kv_get(KV_KEY_HW_HASH).unwrap());
    assert_eq!(HwVlan::from_bytes(b.kv_get(62).unwrap()), Some(HwVlan { proto: 0x8100, tci: 0x0123 }));
    assert_eq!(b.kv_keys().unwrap(), vec![60, KV_KEY_HW_HASH, KV_KEY_HW_VLAN, KV_KEY_HW_TIMESTAMP]);
    b.kv_set(63, &le(7, 8)).unwrap();
    assert_eq!(b.kv_get(KV_KEY_HW_TIMESTAMP).unwrap(), &le(7, 8)[..]);
    b.kv_del(KV_KEY_HW_HASH).unwrap();
    assert_eq!(errno(b.kv_get(61)), Errno::ENOENT);
    assert_eq!(HwVlan::from_bytes(&[1, 2, 3]), None);
}

// ---------------------------------------------------------------- errors

#[test]
fn bad_keys_and_sizes_are_einval_and_change_nothing() {
    let pool = PagePool::default();
    let mut b = build(&pool, 200);
    b.kv_set(1, &[1, 1, 1, 1]).unwrap();
    let before = b.meta().to_vec();
    for key in [64, 65, 1000, KV_KEY_HW_HASH - 1, KV_KEY_HW_TIMESTAMP + 1, u64::MAX] {
        let e = b.kv_get(key).unwrap_err();
        assert_eq!(e.errno, Errno::EINVAL, "get {key:#x}");
        assert!(e.message.contains("outside the 64 slots"), "{}", e.message);
        assert_eq!(errno(b.kv_set(key, &[0, 0])), Errno::EINVAL, "set {key:#x}");
        assert_eq!(errno(b.kv_del(key)), Errno::EINVAL, "del {key:#x}");
    }
    for len in [0, 1, 3, 5, 6, 7, 9, 16] {
        let e = b.kv_set(2, &vec![0; len]).unwrap_err();
        assert_eq!((e.errno, e.detail.len), (Errno::EINVAL, Some(len as u64)), "len {len}");
    }
    for (key, ok) in [(KV_KEY_HW_HASH, 4), (61, 4), (KV_KEY_HW_VLAN, 4), (62, 4), (KV_KEY_HW_TIMESTAMP, 8), (63, 8)] {
        for len in [2usize, 4, 8] {
            if len != ok {
                let e = b.kv_set(key, &vec![0; len]).unwrap_err();
                assert_eq!((e.errno, e.detail.limit), (Errno::EINVAL, Some(ok as u64)), "{key:#x} with {len} bytes");
            }
        }
    }
    assert_eq!(b.meta(), &before[..]);
    // Unset keys: ENOENT for get and del.
    let e = b.kv_get(2).unwrap_err();
    assert_eq!(e.errno, Errno::ENOENT);
    assert_eq!(e.detail.op, "xdp_kv_get");
    assert_eq!(errno(b.kv_del(2)), Errno::ENOENT);
    assert_eq!(errno(b.kv_get(KV_KEY_HW_VLAN)), Errno::ENOENT);
    assert_eq!(b.meta(), &before[..]);
}

#[test]
fn metadata_that_is_not_a_store_is_einval_everywhere_and_left_alone() {
    let pool = PagePool::default();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![0xab; 8], "too few"),
        (vec![0; 20], "describes 16"),
        (
            {
                let mut m = vec![0u8; 16];
                m[8] = 1; // one 2-byte value: 20 bytes expected
                m
            },
            "describes 20",
        ),
        (
            {
                let mut m = vec![0u8; 24];
                m[0] = 1;
                m[8] = 1; // one 8-byte value: 24 expected, but with the 8 bytes of slot 1 too
                m[9] = 2;
                m
            },
            "describes 28",
        ),
        (vec![0xff; 212], "describes 528"),
    ];
    for (meta, why) in cases {
        let mut b = with_meta(&pool, meta.clone());
        let e = b.kv_get(0).unwrap_err();
        assert_eq!(e.errno, Errno::EINVAL, "{why}");
        assert!(e.message.contains("not a key/value store") && e.message.contains(why), "{}", e.message);
        assert_eq!(errno(b.kv_set(0, &[1, 2])), Errno::EINVAL);
        assert_eq!(errno(b.kv_set(KV_KEY_HW_HASH, &[1, 2, 3, 4])), Errno::EINVAL);
        assert_eq!(errno(b.kv_del(0)), Errno::EINVAL);
        assert_eq!(errno(b.kv_keys()), Errno::EINVAL);
        assert_eq!(errno(b.kv_clear()), Errno::EINVAL);
        assert_eq!(errno(b.kv_store()), Errno::EINVAL);
        assert_eq!(b.meta(), &meta[..], "{why}: untouched");
        // The other views refuse it too.
        let f = b.into_frame().unwrap();
        assert_eq!(errno(f.kv_get(0)), Errno::EINVAL);
        let skb = f.into_skb(DEV).unwrap();
        assert_eq!(errno(skb.kv_keys()), Errno::EINVAL);
    }
    // A bad key is reported before the metadata is read.
    let b = with_meta(&pool, vec![0xab; 8]);
    assert!(b.kv_get(64).unwrap_err().message.contains("outside"));
}

#[test]
fn a_bare_header_is_an_empty_store() {
    let pool = PagePool::default();
    let mut b = with_meta(&pool, vec![0; 16]);
    assert_eq!(b.kv_keys().unwrap(), Vec::<u64>::new());
    assert_eq!(errno(b.kv_get(0)), Errno::ENOENT);
    b.kv_set(7, &[7, 7]).unwrap();
    assert_eq!(b.meta_len(), 20);
    b.kv_del(7).unwrap();
    assert_eq!(b.meta_len(), 0, "a store with no key gives its area back");
    let mut b = with_meta(&pool, vec![0; 16]);
    b.kv_clear().unwrap();
    assert_eq!(b.meta_len(), 0);
    assert!(KvStore::parse(&[], "t").unwrap().is_empty());
}

#[test]
fn without_metadata_support_reads_are_empty_and_writes_enotsupp() {
    let pool = PagePool::default();
    let mut b = build_with(&pool, &pattern(200), BuildOptions { meta_supported: false, ..BuildOptions::default() });
    assert_eq!(b.kv_keys().unwrap(), Vec::<u64>::new());
    assert_eq!(errno(b.kv_get(0)), Errno::ENOENT);
    assert_eq!(errno(b.kv_del(0)), Errno::ENOENT);
    let e = b.kv_set(0, &[1, 2]).unwrap_err();
    assert_eq!((e.errno, e.detail.op), (Errno::ENOTSUPP, "xdp_kv_set"));
    b.kv_clear().unwrap();
    assert!(!b.meta_supported());
}

#[test]
fn while_adjust_data_moved_the_pointers_only_same_length_writes_work() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    b.kv_set(0, &[1, 2]).unwrap();
    b.adjust_data(100).unwrap();
    assert_eq!(errno(b.kv_set(1, &[1, 2, 3, 4, 5, 6, 7, 8])), Errno::EFAULT);
    assert_eq!(errno(b.kv_del(0)), Errno::EFAULT);
    assert_eq!(errno(b.kv_clear()), Errno::EFAULT);
    b.kv_set(0, &[3, 4]).unwrap(); // same size: in place
    b.kv_set(1, &[5, 6]).unwrap(); // fits in the padding: 20 bytes either way
    assert_eq!(b.meta_len(), 20);
    assert_eq!(b.kv_get(0).unwrap(), &[3, 4]);
    assert_eq!(b.kv_get(1).unwrap(), &[5, 6]);
    b.adjust_data(0).unwrap();
    b.kv_clear().unwrap();
    assert_eq!(b.meta_len(), 0);
}

// ---------------------------------------------------------------- growth, shrinking, resizing

#[test]
fn resizing_a_key_moves_the_values_after_it() {
    let pool = PagePool::default();
    let mut b = build(&pool, 200);
    let data = b.layout().data;
    b.kv_set(1, &[0x11, 0x12]).unwrap();
    b.kv_set(2, &le(0x2222_2222_2222_2222, 8)).unwrap();
    b.kv_set(40, &le(0x4040_4040, 4)).unwrap();
    assert_eq!(b.meta_len(), 16 + 14 + 2);
    // 2 → 8 bytes: slot 2 and 40 move up by 6; the store grows to 36.
    b.kv_set(1, &le(0x1111_1111_1111_1111, 8)).unwrap();
    assert_eq!(b.meta_len(), 36);
    assert_eq!(b.layout().data_meta, data - 36);
    assert_eq!(kv_value_offset(header(b.meta()).0, header(b.meta()).1, 40), 32);
    assert_eq!(b.kv_get(1).unwrap(), &le(0x1111_1111_1111_1111, 8)[..]);
    assert_eq!(b.kv_get(2).unwrap(), &le(0x2222_2222_2222_2222, 8)[..]);
    assert_eq!(b.kv_get(40).unwrap(), &le(0x4040_4040, 4)[..]);
    // 8 → 2 bytes for slot 2: 16 + 8 + 2 + 4 = 30 → 32.
    b.kv_set(2, &[0x22, 0x22]).unwrap();
    assert_eq!(b.meta_len(), 32);
    assert_eq!(&b.meta()[16..30], &[0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x40, 0x40, 0x40, 0x40]);
    assert_eq!(&b.meta()[30..32], &[0, 0], "padding is zeroed, whatever was there before");
    // A 2-byte key fits in the padding: the length stays, the values still move.
    b.kv_set(0, &[0x00, 0x01]).unwrap();
    assert_eq!(b.meta_len(), 32);
    assert_eq!(&b.meta()[16..18], &[0x00, 0x01]);
    assert_eq!(b.kv_get(40).unwrap(), &le(0x4040_4040, 4)[..]);
    // Deleting shrinks and moves data_meta back up.
    b.kv_del(1).unwrap();
    assert_eq!(b.meta_len(), 24);
    assert_eq!(b.layout().data_meta, data - 24);
    assert_eq!(b.kv_keys().unwrap(), vec![0, 2, 40]);
    b.kv_del(0).unwrap();
    b.kv_del(2).unwrap();
    assert_eq!(b.meta_len(), 20);
    assert_eq!(b.kv_get(40).unwrap(), &le(0x4040_4040, 4)[..]);
    b.kv_del(40).unwrap();
    assert_eq!(b.meta_len(), 0);
    assert_eq!(b.layout().data_meta, data);
    // clear() from a full store.
    for k in 0..10 {
        b.kv_set(k, &le(k, 4)).unwrap();
    }
    b.kv_clear().unwrap();
    assert_eq!((b.meta_len(), b.kv_keys().unwrap().len()), (0, 0));
    b.kv_clear().unwrap();
    assert_eq!(b.to_vec(), pattern(200));
}

#[test]
fn the_store_moves_with_adjust_head_and_adjust_meta_sees_it() {
    let pool = PagePool::default();
    let mut b = build(&pool, 200);
    b.kv_set(9, &le(99, 8)).unwrap();
    b.adjust_head(-20).unwrap();
    assert_eq!(b.kv_get(9).unwrap(), &le(99, 8)[..]);
    b.adjust_head(30).unwrap();
    assert_eq!(b.kv_get(9).unwrap(), &le(99, 8)[..]);
    // A program that moves data_meta by hand makes it "not a store": the header is read 4 bytes
    // further in (hi = bit 41, lo = the value's first bytes), which describes 28 bytes, not 20.
    b.adjust_meta(4).unwrap();
    let e = b.kv_get(9).unwrap_err();
    assert_eq!((e.errno, e.detail.len, e.detail.limit), (Errno::EINVAL, Some(20), Some(28)));
    b.adjust_meta(-4).unwrap();
    assert_eq!(b.kv_get(9).unwrap(), &le(99, 8)[..]);
}

// ---------------------------------------------------------------- capacity

/// Fills slots 0.. with `size`-byte values until ENOSPC; returns how many fit and the error.
fn fill(b: &mut XdpBuff, size: usize) -> (u64, uxdp::XdpError) {
    for k in 0..61u64 {
        match b.kv_set(k, &vec![k as u8 + 1; size]) {
            Ok(()) => {}
            Err(e) => return (k, e),
        }
    }
    panic!("never full")
}

#[test]
fn capacity_with_the_default_headroom_is_216_bytes() {
    // 256 bytes of headroom, 40 kept for the xdp_frame: 216 bytes of metadata, 200 of values.
    let pool = PagePool::default();
    for (size, fits) in [(8usize, 25u64), (4, 50)] {
        let mut b = build(&pool, 200);
        let (n, e) = fill(&mut b, size);
        assert_eq!(n, fits, "{size}-byte values");
        assert_eq!((e.errno, e.detail.op, e.detail.limit), (Errno::ENOSPC, "xdp_kv_set", Some(216)));
        assert_eq!(e.detail.len, Some(16 + (fits + 1) * size as u64));
        assert_eq!(b.meta_len(), 216);
        assert_eq!(b.kv_keys().unwrap().len() as u64, fits);
        // A full store converts: the 40 bytes are still free.
        let f = b.into_frame().unwrap();
        assert_eq!(f.kv_keys().unwrap().len() as u64, fits);
    }
    // Every slot holds a 2-byte value: 16 + 128 = 144 bytes. That is the only size all 64 fit in.
    let mut b = build(&pool, 200);
    for k in 0..61 {
        b.kv_set(k, &[k as u8, 0xee]).unwrap();
    }
    assert_eq!(b.meta_len(), 16 + 61 * 2 + 2);
    // With the hardware keys at their fixed sizes all 64 slots are in use: 16 + 122 + 4 + 4 + 8.
    b.kv_set(KV_KEY_HW_HASH, &[1; 4]).unwrap();
    b.kv_set(KV_KEY_HW_VLAN, &[2; 4]).unwrap();
    b.kv_set(KV_KEY_HW_TIMESTAMP, &[3; 8]).unwrap();
    assert_eq!(b.meta_len(), 156);
    assert_eq!(b.kv_keys().unwrap().len(), 64);
    assert_eq!(header(b.meta()), (0b111 << 61, ((1 << 61) - 1) | (1 << 63)));
}

#[test]
fn capacity_with_room_to_spare_is_252_bytes() {
    // With more headroom the limit is bpf_xdp_adjust_meta's 255 bytes, a multiple of 4: 252.
    let pool = PagePool::default();
    for (size, fits) in [(8usize, 29u64), (4, 59)] {
        let mut b = with_headroom(&pool, 512);
        let (n, e) = fill(&mut b, size);
        assert_eq!(n, fits, "{size}-byte values");
        assert_eq!((e.errno, e.detail.limit), (Errno::ENOSPC, Some(u64::from(KV_META_MAX))));
        assert_eq!(b.meta_len(), 16 + fits as u32 * size as u32);
    }
    assert_eq!(KV_META_MAX, 252);
    // 64 8-byte values would need 16 + 512 bytes.
    assert_eq!(kv_meta_len(u64::MAX, u64::MAX), 528);
    assert_eq!(kv_meta_len(0, u64::MAX), 144);
}

#[test]
fn a_full_store_is_unchanged_by_enospc_and_a_resize_can_hit_it_too() {
    let pool = PagePool::default();
    let mut b = build(&pool, 200);
    let (n, _) = fill(&mut b, 8);
    let (meta, layout) = (b.meta().to_vec(), b.layout());
    assert_eq!(errno(b.kv_set(n, &[1, 2])), Errno::ENOSPC);
    assert_eq!((b.meta(), b.layout()), (&meta[..], layout), "ENOSPC changes nothing");
    // Same-size overwrite always works; shrinking one value then makes room for a 2-byte key.
    b.kv_set(0, &le(5, 8)).unwrap();
    assert_eq!(&b.meta()[16..24], &le(5, 8)[..]);
    b.kv_set(1, &[1, 1, 1, 1]).unwrap();
    assert_eq!(b.meta_len(), 212);
    b.kv_set(n, &[1, 2]).unwrap();
    assert_eq!(b.meta_len(), 216);
    // Growing slot 1 back to 8 bytes needs 220: ENOSPC, store as it was.
    let before = b.meta().to_vec();
    let e = b.kv_set(1, &[9; 8]).unwrap_err();
    assert_eq!((e.errno, e.detail.len), (Errno::ENOSPC, Some(220)));
    assert_eq!(b.meta(), &before[..]);
}

#[test]
fn small_headroom_limits_the_store() {
    let pool = PagePool::default();
    // 64 - 40 = 24 bytes: one 8-byte value, or four 2-byte ones (16 + 8).
    let mut b = with_headroom(&pool, 64);
    b.kv_set(0, &[0; 8]).unwrap();
    let e = b.kv_set(1, &[0; 2]).unwrap_err();
    assert_eq!((e.errno, e.detail.limit, e.detail.len), (Errno::ENOSPC, Some(24), Some(28)));
    b.kv_clear().unwrap();
    for k in 0..4 {
        b.kv_set(k, &[0; 2]).unwrap();
    }
    assert_eq!(errno(b.kv_set(4, &[0; 2])), Errno::ENOSPC);
    // Below 56 bytes of headroom not even the header fits.
    let mut b = with_headroom(&pool, 52);
    let e = b.kv_set(0, &[0; 2]).unwrap_err();
    assert_eq!((e.errno, e.detail.limit), (Errno::ENOSPC, Some(12)));
    assert_eq!(b.meta_len(), 0);
}

// ---------------------------------------------------------------- conversions

#[test]
fn the_store_survives_xdp_frame_and_skb_conversions() {
    let pool = PagePool::default();
    let mut b = build(&pool, 9000);
    b.kv_set(0, &[0xaa, 0xbb]).unwrap();
    b.kv_set(17, &le(0x1717_1717, 4)).unwrap();
    b.kv_set(KV_KEY_HW_HASH, &le(0xcafe_f00d, 4)).unwrap();
    b.kv_set(KV_KEY_HW_TIMESTAMP, &le(1_700_000_000_000_000_000, 8)).unwrap();
    let keys = vec![0, 17, KV_KEY_HW_HASH, KV_KEY_HW_TIMESTAMP];
    let meta = b.meta().to_vec();

    let f = b.into_frame().unwrap();
    assert_eq!(f.metasize(), meta.len() as u32);
    assert_eq!(f.kv_keys().unwrap(), keys);
    assert_eq!(f.kv_get(17).unwrap(), &le(0x1717_1717, 4)[..]);
    assert_eq!(f.kv_store().unwrap().get(KV_KEY_HW_HASH).unwrap(), &le(0xcafe_f00d, 4)[..]);
    assert_eq!(errno(f.kv_get(1)), Errno::ENOENT);
    assert_eq!(errno(f.kv_get(64)), Errno::EINVAL);

    // Back to a buffer (cpumap): writable again.
    let mut b = f.into_buff(RxQueue::default());
    assert_eq!(b.kv_keys().unwrap(), keys);
    b.kv_set(2, &le(2, 8)).unwrap();
    b.kv_del(0).unwrap();
    let keys = vec![2, 17, KV_KEY_HW_HASH, KV_KEY_HW_TIMESTAMP];

    let skb = b.into_frame().unwrap().into_skb(DEV).unwrap();
    assert_eq!(skb.nr_frags(), 2);
    assert_eq!(skb.kv_keys().unwrap(), keys);
    assert_eq!(skb.kv_get(2).unwrap(), &le(2, 8)[..]);
    assert_eq!(skb.kv_get(KV_KEY_HW_TIMESTAMP).unwrap(), &le(1_700_000_000_000_000_000, 8)[..]);
    assert_eq!(errno(skb.kv_get(0)), Errno::ENOENT);
    assert_eq!(skb.to_vec(), pattern(9000)[14..].to_vec());
}

#[test]
fn the_store_survives_a_drivers_pass_path() {
    let pool = PagePool::default();
    let mut b = build(&pool, 100);
    b.kv_set(KV_KEY_HW_VLAN, &HwVlan { proto: 0x88a8, tci: 5 }.to_bytes()).unwrap();
    let (skb, _) = b.build_skb(DEV);
    assert_eq!(skb.meta_len(), 20);
    assert_eq!(HwVlan::from_bytes(skb.kv_get(KV_KEY_HW_VLAN).unwrap()), Some(HwVlan { proto: 0x88a8, tci: 5 }));
}

#[test]
fn pages_go_back_after_store_operations() {
    let pool = PagePool::default();
    {
        let mut b = build(&pool, 9000);
        fill(&mut b, 4);
        b.kv_clear().unwrap();
    }
    assert_eq!(pool.stats().in_flight, 0);
}

// ---------------------------------------------------------------- random model

/// The store as the spec describes it: slot → value.
#[derive(Default, Debug, Clone)]
struct Model(BTreeMap<u32, Vec<u8>>);

impl Model {
    /// The exact bytes the spec requires.
    fn encode(&self) -> Vec<u8> {
        if self.0.is_empty() {
            return Vec::new();
        }
        let (mut hi, mut lo) = (0u64, 0u64);
        let mut values = Vec::new();
        for (&slot, v) in &self.0 {
            let (h, l) = match v.len() {
                2 => (0, 1),
                4 => (1, 0),
                8 => (1, 1),
                _ => unreachable!(),
            };
            hi |= h << slot;
            lo |= l << slot;
            values.extend_from_slice(v);
        }
        let mut out = [hi.to_le_bytes(), lo.to_le_bytes()].concat();
        out.extend(values);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    fn key_of(slot: u32) -> u64 {
        match slot {
            61 => KV_KEY_HW_HASH,
            62 => KV_KEY_HW_VLAN,
            63 => KV_KEY_HW_TIMESTAMP,
            s => u64::from(s),
        }
    }

    fn slot(key: u64) -> Option<u32> {
        match key {
            k if k < 64 => Some(k as u32),
            KV_KEY_HW_HASH => Some(61),
            KV_KEY_HW_VLAN => Some(62),
            KV_KEY_HW_TIMESTAMP => Some(63),
            _ => None,
        }
    }

    fn set(&mut self, key: u64, value: &[u8], room: usize) -> Result<(), Errno> {
        let slot = Model::slot(key).ok_or(Errno::EINVAL)?;
        if ![2, 4, 8].contains(&value.len()) {
            return Err(Errno::EINVAL);
        }
        if matches!(slot, 61 | 62) && value.len() != 4 || slot == 63 && value.len() != 8 {
            return Err(Errno::EINVAL);
        }
        let mut next = self.clone();
        next.0.insert(slot, value.to_vec());
        if next.encode().len() > room {
            return Err(Errno::ENOSPC);
        }
        *self = next;
        Ok(())
    }

    fn del(&mut self, key: u64) -> Result<(), Errno> {
        let slot = Model::slot(key).ok_or(Errno::EINVAL)?;
        self.0.remove(&slot).map(drop).ok_or(Errno::ENOENT)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Set(u64, Vec<u8>),
    Del(u64),
    Clear,
}

fn key() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => 0u64..8,
        4 => 0u64..64,
        2 => Just(KV_KEY_HW_HASH),
        2 => Just(KV_KEY_HW_VLAN),
        2 => Just(KV_KEY_HW_TIMESTAMP),
        1 => 64u64..70,
        1 => Just(KV_KEY_HW_TIMESTAMP + 1),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let size = prop_oneof![4 => Just(2usize), 4 => Just(4), 4 => Just(8), 1 => 0usize..10];
    prop_oneof![
        8 => (key(), size).prop_flat_map(|(k, n)| prop::collection::vec(any::<u8>(), n).prop_map(move |v| Op::Set(k, v))),
        3 => key().prop_map(Op::Del),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn the_store_matches_the_model(headroom in prop_oneof![Just(256u32), Just(512), 56u32..120], ops in prop::collection::vec(op(), 1..80)) {
        let pool = PagePool::default();
        let mut b = with_headroom(&pool, headroom);
        let data = b.layout().data;
        let room = ((headroom - 40).min(252) & !3) as usize;
        let mut model = Model::default();
        for op in &ops {
            let (got, want) = match op {
                Op::Set(k, v) => (b.kv_set(*k, v).map_err(|e| e.errno), model.set(*k, v, room)),
                Op::Del(k) => (b.kv_del(*k).map_err(|e| e.errno), model.del(*k)),
                Op::Clear => (b.kv_clear().map_err(|e| e.errno), { model.0.clear(); Ok(()) }),
            };
            prop_assert_eq!(got, want, "{:?}", op);
            prop_assert_eq!(b.meta(), &model.encode()[..], "{:?}", op);
            prop_assert_eq!(b.layout().data, data);
            let keys: Vec<u64> = model.0.keys().map(|&s| Model::key_of(s)).collect();
            prop_assert_eq!(b.kv_keys().unwrap(), keys);
            for k in (0..64).chain([KV_KEY_HW_HASH, KV_KEY_HW_VLAN, KV_KEY_HW_TIMESTAMP, 64]) {
                let want = match Model::slot(k) {
                    None => Err(Errno::EINVAL),
                    Some(s) => model.0.get(&s).cloned().ok_or(Errno::ENOENT),
                };
                prop_assert_eq!(b.kv_get(k).map(|v| v.to_vec()).map_err(|e| e.errno), want, "get {:#x}", k);
            }
        }
        prop_assert_eq!(b.to_vec(), pattern(200));
        // Whatever the sequence, the result converts and reads the same.
        let f = b.into_frame().unwrap();
        let keys: Vec<u64> = model.0.keys().map(|&s| Model::key_of(s)).collect();
        prop_assert_eq!(f.kv_keys().unwrap(), keys.clone());
        let skb = f.into_skb(DEV).unwrap();
        prop_assert_eq!(skb.kv_keys().unwrap(), keys);
        for (&s, v) in &model.0 {
            prop_assert_eq!(skb.kv_get(Model::key_of(s)).unwrap(), &v[..]);
        }
    }
}
