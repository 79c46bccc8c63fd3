//! The scenarios of the multi-buffer series' selftests (frags tail grow/shrink, frags update,
//! adjust_data), re-described: same packets, same expected outcomes, our own code. Each "program"
//! below is what the selftest's BPF program does, written against the engine's helpers; where the
//! program returns an XDP action the same decision is made here.

mod common;
use common::*;
use uxdp::frame::{BuildOptions, XdpBuff};
use uxdp::pool::PagePool;
use uxdp::Errno;

const XDP_DROP: u32 = 1;
const XDP_PASS: u32 = 2;
const XDP_TX: u32 = 3;

fn frame_of(pool: &PagePool, bytes: &[u8]) -> XdpBuff {
    XdpBuff::from_bytes(pool, bytes, &BuildOptions::default()).unwrap()
}

/// Grow program: 9000 bytes grow by 10, 9001 bytes try to grow by a whole page.
fn grow_program(b: &mut XdpBuff) -> u32 {
    let delta = match b.get_buff_len() {
        9000 => 10,
        9001 => 4096,
        _ => return XDP_DROP,
    };
    if b.adjust_tail(delta).is_err() {
        return XDP_DROP;
    }
    XDP_TX
}

#[test]
fn frags_tail_grow() {
    let pool = PagePool::default();
    let mut b = frame_of(&pool, &[1u8; 9000]);
    assert_eq!(grow_program(&mut b), XDP_TX);
    let out = b.test_run_output();
    assert_eq!(out.len(), 9010);
    assert!(out[..9000].iter().all(|&x| x == 1), "old bytes untouched");
    assert!(out[9000..].iter().all(|&x| x == 0), "grown bytes zero");
    drop(b);

    let mut b = frame_of(&pool, &[1u8; 9001]);
    assert_eq!(grow_program(&mut b), XDP_DROP, "a page more does not fit in the last frag");
    assert_eq!(b.test_run_output().len(), 9001);
    drop(b);
    assert_eq!(pool.stats().in_flight, 0);
}

/// Shrink program: the first byte chooses how much to cut.
fn shrink_program(b: &mut XdpBuff) -> u32 {
    let mut first = [0u8];
    b.load_bytes(0, &mut first).unwrap();
    let cut = match first[0] {
        0 => 10,
        1 => 4100,
        _ => 8200,
    };
    if b.adjust_tail(-cut).is_err() {
        return XDP_DROP;
    }
    XDP_TX
}

#[test]
fn frags_tail_shrink() {
    let pool = PagePool::default();
    for (selector, size, frags) in [(0u8, 8990, 2), (1, 4900, 1), (2, 800, 0)] {
        let mut bytes = vec![0u8; 9000];
        bytes[0] = selector;
        let mut b = frame_of(&pool, &bytes);
        assert_eq!(shrink_program(&mut b), XDP_TX);
        assert_eq!((b.test_run_output().len(), usize::from(b.nr_frags())), (size, frags), "selector {selector}");
        assert_eq!(pool.stats().in_flight, 1 + frags as u64, "freed frags went back to the pool");
        assert_eq!(b.has_frags(), frags > 0);
    }
}

#[test]
fn linear_tail_grow_to_the_limit() {
    let pool = PagePool::default();
    // 64 bytes grow by 128; 128 bytes grow to the end of the linear area (3520).
    let mut b = frame_of(&pool, &[1u8; 64]);
    b.adjust_tail(128).unwrap();
    let out = b.test_run_output();
    assert_eq!(out.len(), 192);
    assert!(out[..64].iter().all(|&x| x == 1) && out[64..].iter().all(|&x| x == 0));
    let mut b = frame_of(&pool, &[2u8; 128]);
    b.adjust_tail(b.tailroom() as i32).unwrap();
    let out = b.test_run_output();
    assert_eq!(out.len(), 3520);
    assert_eq!(out.iter().filter(|&&x| x == 0).count(), 3520 - 128);
}

/// Update program: the packet's first 4 bytes give an offset; 16 bytes read there must start and end
/// with the 0xaa marker, which is rewritten to 0xbb.
fn update_program(b: &mut XdpBuff) -> u32 {
    let mut head = [0u8; 4];
    if b.load_bytes(0, &mut head).is_err() {
        return XDP_DROP;
    }
    let offset = u32::from_le_bytes(head);
    let mut val = [0u8; 16];
    if b.load_bytes(offset, &mut val).is_err() || val[0] != 0xaa || val[15] != 0xaa {
        return XDP_DROP;
    }
    val[0] = 0xbb;
    val[15] = 0xbb;
    if b.store_bytes(offset, &val).is_err() {
        return XDP_DROP;
    }
    XDP_PASS
}

fn update_case(pool: &PagePool, size: usize, offset: u32) -> (u32, Vec<u8>) {
    let mut bytes = vec![0u8; size];
    bytes[..4].copy_from_slice(&offset.to_le_bytes());
    bytes[offset as usize] = 0xaa;
    bytes[offset as usize + 15] = 0xaa;
    let mut b = frame_of(pool, &bytes);
    let ret = update_program(&mut b);
    (ret, b.test_run_output())
}

#[test]
fn frags_update() {
    let pool = PagePool::default();
    // In the head, in a frag, straddling linear|frag, straddling frag|frag.
    for (size, offset) in [(128usize, 16u32), (9000, 16), (9000, 5000), (9000, 3510), (9000, 7606)] {
        let (ret, out) = update_case(&pool, size, offset);
        assert_eq!(ret, XDP_PASS, "offset {offset}");
        assert_eq!((out[offset as usize], out[offset as usize + 15]), (0xbb, 0xbb), "offset {offset}");
        assert_eq!(out.len(), size);
    }
    // The largest buffer test_run takes (17 frags), marker in its last 16 bytes.
    let max = 3520 + 17 * 4096;
    let (ret, out) = update_case(&pool, max, 16);
    assert_eq!((ret, out[16], out[31]), (XDP_PASS, 0xbb, 0xbb));
    let (ret, out) = update_case(&pool, max, (max - 16) as u32);
    assert_eq!(ret, XDP_DROP, "offsets above 0xffff fail with EFAULT, so the program drops");
    assert_eq!(out[max - 16], 0xaa);
    let (ret, out) = update_case(&pool, max, 0xffff - 15);
    assert_eq!(ret, XDP_PASS);
    assert_eq!(out[0xffff], 0xbb);
    // One byte more needs an 18th frag.
    let err = XdpBuff::from_bytes(&pool, &vec![0u8; max + 1], &BuildOptions::default()).unwrap_err();
    assert_eq!(err.errno, Errno::ENOMEM);
    assert_eq!(pool.stats().in_flight, 0);
}

/// The v14 series' adjust_data program: move data to the offset found in the first 4 bytes,
/// update the marker byte found there by direct packet access, and move data back.
fn adjust_data_program(b: &mut XdpBuff) -> u32 {
    let first = b.ctx_data();
    if first.len() < 4 {
        return XDP_DROP;
    }
    let offset = u32::from_le_bytes(first[..4].try_into().unwrap());
    let ret = match b.adjust_data(offset) {
        Ok(base) if base <= offset => match b.ctx_data_mut().first_mut() {
            Some(byte) if *byte == 0xaa => {
                *byte = 0xbb;
                XDP_PASS
            }
            _ => XDP_DROP,
        },
        _ => XDP_DROP,
    };
    b.adjust_data(0).unwrap();
    ret
}

#[test]
fn adjust_data_updates_a_marker_in_any_segment() {
    let pool = PagePool::default();
    for (size, offset) in [(128usize, 16u32), (9000, 16), (9000, 3520), (9000, 5000), (9000, 8999)] {
        let mut bytes = vec![0u8; size];
        bytes[..4].copy_from_slice(&offset.to_le_bytes());
        bytes[offset as usize] = 0xaa;
        let mut b = frame_of(&pool, &bytes);
        assert_eq!(adjust_data_program(&mut b), XDP_PASS, "offset {offset}");
        assert_eq!(b.to_vec()[offset as usize], 0xbb);
        assert_eq!(b.data_window(), None, "pointers are home again");
    }
    let mut b = frame_of(&pool, &pattern(9000));
    b.store_bytes(0, &9500u32.to_le_bytes()).unwrap();
    assert_eq!(adjust_data_program(&mut b), XDP_DROP, "offset past the end: EINVAL");
}
