//! Every scenario of the dynptr_success list as the seed's "Dynptr convenience helpers" v2 left it
//! (the four that were there before it and the eight it added), re-described: same objects, same
//! steps, same expected values. (The failure scenarios are verifier rejections, which belong to
//! the verifier.)

mod common;
use common::*;
use uxdp::dynptr::*;
use uxdp::frame::{BuildOptions, Skb};
use uxdp::pool::PagePool;
use uxdp::ringbuf::RingBuf;
use uxdp::Errno;

/// The 200-byte skb every skb scenario here uses.
fn skb(pool: &PagePool) -> Skb {
    skb_of(pool, 200, BuildOptions::default())
}

#[test]
fn test_advance_trim() {
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut d, r) = rb.reserve_dynptr(64, 0);
    r.unwrap();
    assert_eq!(d.get_size().unwrap(), 64);
    d.advance(10).unwrap();
    assert_eq!((d.get_offset().unwrap(), d.get_size().unwrap()), (10, 54));
    d.trim(5).unwrap();
    assert_eq!((d.get_offset().unwrap(), d.get_size().unwrap()), (10, 49), "trim keeps the offset");
    rb.commit_dynptr(&mut d, 0, true).unwrap();
    assert!(d.is_null());
}

#[test]
fn test_advance_trim_err() {
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut d, _) = rb.reserve_dynptr(64, 0);
    assert_eq!(errno(d.advance(65)), Errno::ERANGE);
    d.advance(10).unwrap();
    assert_eq!(errno(d.trim(64 - 10 + 1)), Errno::ERANGE);
    d.trim(10).unwrap();
    let write_data = [0u8; 45];
    let e = d.write(&mut rb.backing(), 0, &write_data, 0);
    assert_eq!(errno(e), Errno::E2BIG, "44 bytes left after advancing and trimming");
    // Submitting still works on the advanced, trimmed dynptr.
    rb.commit_dynptr(&mut d, 0, false).unwrap();
    let mut got = Vec::new();
    assert_eq!(
        rb.consume(|s| {
            got.push(s.len());
            0
        }),
        1
    );
    assert_eq!(got, [64], "the record keeps its reserved size");
}

#[test]
fn test_zero_size_dynptr() {
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut d, _) = rb.reserve_dynptr(64, 0);
    d.advance(64).unwrap();
    assert_eq!(d.get_size().unwrap(), 0);
    let mut b = rb.backing();
    let mut one = [0u8; 1];
    assert_eq!(errno(d.read(&mut b, 0, &mut one, 0)), Errno::E2BIG);
    assert_eq!(errno(d.write(&mut b, 0, b"x", 0)), Errno::E2BIG);
    d.read(&mut b, 0, &mut [], 0).unwrap();
    d.write(&mut b, 0, &[], 0).unwrap();
    rb.commit_dynptr(&mut d, 0, true).unwrap();
}

#[test]
fn test_dynptr_is_null() {
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut d1, r) = rb.reserve_dynptr(4, 123);
    assert_eq!(errno(r), Errno::EINVAL, "invalid flags give an invalid dynptr");
    assert!(d1.kfunc_is_null());
    let (mut d2, r) = rb.reserve_dynptr(4, 0);
    r.unwrap();
    assert!(!d2.kfunc_is_null());
    rb.commit_dynptr(&mut d2, 0, true).unwrap();
    rb.commit_dynptr(&mut d1, 0, true).unwrap();
}

#[test]
fn test_dynptr_is_rdonly() {
    let pool = PagePool::default();
    let s = skb(&pool);
    let (d1, r) = Dynptr::from_skb(1, &s, 123, ProgType::CgroupSkb);
    assert_eq!(errno(r), Errno::EINVAL);
    assert!(!d1.kfunc_is_rdonly(), "an invalid dynptr is not read-only");
    let (d2, r) = Dynptr::from_skb(1, &s, 0, ProgType::CgroupSkb);
    r.unwrap();
    assert!(d2.kfunc_is_rdonly(), "cgroup_skb programs get read-only skb dynptrs");
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut d3, _) = rb.reserve_dynptr(64, 0);
    assert!(!d3.kfunc_is_rdonly());
    rb.commit_dynptr(&mut d3, 0, true).unwrap();
}

#[test]
fn test_dynptr_clone() {
    let pool = PagePool::default();
    let s = skb(&pool);
    let (mut d1, _) = Dynptr::from_skb(1, &s, 0, ProgType::CgroupSkb);
    d1.advance(2).unwrap();
    let mut d2 = Dynptr::NULL;
    d1.seed_clone(0, &mut d2).unwrap();
    let size = d1.get_size().unwrap();
    assert_eq!((d2.get_size().unwrap(), d2.get_offset().unwrap(), d2.kfunc_is_rdonly()), (size, 2, d1.kfunc_is_rdonly()));
    d1.advance(50).unwrap();
    d1.trim(50).unwrap();
    assert_eq!((d2.get_offset().unwrap(), d2.get_size().unwrap()), (2, size), "views are independent");
}

#[test]
fn test_dynptr_clone_offset() {
    let pool = PagePool::default();
    let s = skb(&pool);
    let (mut d1, _) = Dynptr::from_skb(1, &s, 0, ProgType::CgroupSkb);
    d1.advance(2).unwrap();
    let size = d1.get_size().unwrap();
    let mut d2 = Dynptr::from_mem(0x1, 1, 0).0;
    assert_eq!(errno(d1.seed_clone(size + 1, &mut d2)), Errno::ERANGE);
    assert!(d2.is_null(), "a failed clone is null");
    let mut d3 = Dynptr::NULL;
    d1.seed_clone(2, &mut d3).unwrap();
    assert_eq!(d3.get_size().unwrap(), size - 2);
}

#[test]
fn test_dynptr_iterator() {
    let pool = PagePool::default();
    let mut s = skb(&pool);
    let (mut d, _) = Dynptr::from_skb(1, &s, 0, ProgType::CgroupSkb);
    d.advance(1).unwrap();
    let size = d.get_size().unwrap();
    // A callback asking for one byte more than is left.
    let r = d.iterator(0, |view| IterStep::Advance(view.get_size().unwrap() as i32 + 1));
    assert_eq!(r, Errno::ERANGE.retval());
    assert_eq!((d.get_size().unwrap(), d.get_offset().unwrap()), (size, 1), "the iterated dynptr is untouched");
    // A callback returning an error code.
    let r = d.iterator(0, |_| IterStep::Advance(Errno::EFAULT.retval()));
    assert_eq!(r, Errno::EFAULT.retval());
    assert_eq!(d.iterator(1, |_| IterStep::Advance(0)), Errno::EINVAL.retval(), "flags must be 0");
    assert_eq!(Dynptr::NULL.iterator(0, |_| IterStep::Advance(0)), Errno::EINVAL.retval());
    let mut out = [0u8; 1];
    d.read(&mut Backing::Skb(&mut s), 0, &mut out, 0).unwrap();
}

/// The parse-strings callback: find `=` in the first 10 bytes of the view, then the `/` after it,
/// record what is between, and advance to the `/`.
fn parse_strings(b: &mut Backing, view: &Dynptr, values: &mut Vec<String>) -> i32 {
    const MAX: u32 = 10;
    let size = view.get_size().unwrap();
    let mut buf = [0u8; MAX as usize];
    let data: Vec<u8> = if size < MAX {
        if let Err(e) = view.read(b, 0, &mut buf[..size as usize], 0) {
            return e.retval();
        }
        buf[..size as usize].to_vec()
    } else {
        match view.data(b, 0, MAX) {
            Some(d) => d.to_vec(),
            None => return Errno::ENOENT.retval(),
        }
    };
    let size = data.len();
    for i in 0..size {
        if data[i] != b'=' {
            continue;
        }
        for j in i..size - i {
            if data[j] != b'/' {
                continue;
            }
            values.push(String::from_utf8_lossy(&data[i + 1..j]).into_owned());
            return j as i32;
        }
        return Errno::ENOENT.retval();
    }
    0
}

#[test]
fn iterator_parse_strings() {
    let mut map_val = [0u8; 64];
    map_val[..18].copy_from_slice(b"x=foo/y=bar/z=baz/");
    let (d, r) = Dynptr::from_mem(0x1000, 64, 0);
    r.unwrap();
    let mut values = Vec::new();
    let mut b = Backing::mem(0x1000, &mut map_val);
    let r = d.iterator(0, |view| IterStep::Advance(parse_strings(&mut b, view, &mut values)));
    assert_eq!(r, 0);
    assert_eq!(values, ["foo", "bar", "baz"]);
}

// The four success scenarios that were in the list before the seed, re-described.

#[test]
fn test_read_write() {
    // A 64-byte record: write a greeting into it, read it back whole, compare.
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut d, r) = rb.reserve_dynptr(64, 0);
    r.unwrap();
    let mut write_data = [0u8; 64];
    write_data[..20].copy_from_slice(b"hello there, world!!");
    d.write(&mut rb.backing(), 0, &write_data, 0).unwrap();
    let mut read_data = [0u8; 64];
    d.read(&mut rb.backing(), 0, &mut read_data, 0).unwrap();
    assert_eq!(read_data, write_data);
    rb.commit_dynptr(&mut d, 0, true).unwrap();
}

#[test]
fn test_data_slice() {
    // A local dynptr over a 4-byte map value holding 235.
    let mut map_val = 235u32.to_le_bytes();
    let (d, r) = Dynptr::from_mem(0x1000, 4, 0);
    r.unwrap();
    let mut b = Backing::mem(0x1000, &mut map_val);
    assert!(d.data(&mut b, 5, 1).is_none(), "offset past the end");
    assert!(d.data(&mut b, 0, 5).is_none(), "more bytes than the value has");
    let data = d.data(&mut b, 0, 4).expect("the whole value");
    data.copy_from_slice(&999u32.to_le_bytes());
    assert_eq!(u32::from_le_bytes(map_val), 999, "the slice is the map value itself");
}

#[test]
fn test_ringbuf() {
    // A 100-byte record (a variable-size reservation); the sample's pid starts at 10 and a loop of
    // ten callbacks, each handed the dynptr, adds its index through a fresh data slice: 10 + 45.
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut d, r) = rb.reserve_dynptr(100, 0);
    r.unwrap();
    const SAMPLE: u32 = 4 + 4 + 8 + 16;
    d.data(&mut rb.backing(), 0, SAMPLE).expect("sample")[..4].copy_from_slice(&10i32.to_le_bytes());
    let callback = |index: u32, ptr: &Dynptr, b: &mut Backing| {
        let sample = ptr.data(b, 0, SAMPLE).expect("sample in the callback");
        let pid = i32::from_le_bytes(sample[..4].try_into().unwrap()) + index as i32;
        sample[..4].copy_from_slice(&pid.to_le_bytes());
    };
    for index in 0..10 {
        callback(index, &d, &mut rb.backing());
    }
    let pid = i32::from_le_bytes(d.data(&mut rb.backing(), 0, SAMPLE).unwrap()[..4].try_into().unwrap());
    assert_eq!(pid, 55);
    rb.commit_dynptr(&mut d, 0, true).unwrap();
    assert_eq!(rb.consume(|_| 0), 0, "discarded: nothing for the consumer");
}

#[test]
fn test_skb_readonly() {
    // cgroup_skb programs may not write packets: the skb dynptr is read-only and writes fail.
    let pool = PagePool::default();
    let mut s = skb(&pool);
    let (d, r) = Dynptr::from_skb(1, &s, 0, ProgType::CgroupSkb);
    r.unwrap();
    assert!(d.kfunc_is_rdonly());
    let e = d.write(&mut Backing::Skb(&mut s), 0, &[1, 2], 0);
    assert_eq!(errno(e), Errno::EINVAL);
    let mut head = [0u8; 2];
    d.read(&mut Backing::Skb(&mut s), 0, &mut head, 0).unwrap();
    assert_ne!(head, [1, 2], "the packet is unchanged");
}
