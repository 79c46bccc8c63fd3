//! The BPF ring buffer: layout, reservation rules, commit, wakeups, and the libbpf-style consumer.

use uxdp::ringbuf::*;
use uxdp::Errno;

fn hdr(rb: &RingBuf, at: usize) -> (u32, u32) {
    let d = rb.data();
    (u32::from_le_bytes(d[at..at + 4].try_into().unwrap()), u32::from_le_bytes(d[at + 4..at + 8].try_into().unwrap()))
}

fn drain(rb: &mut RingBuf) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    rb.consume(|s| {
        out.push(s.to_vec());
        0
    });
    out
}

#[test]
fn headers_carry_busy_discard_and_page_offset() {
    let mut rb = RingBuf::new(16384).unwrap();
    let a = rb.reserve(10).unwrap();
    assert_eq!(hdr(&rb, 0), (10 | BPF_RINGBUF_BUSY_BIT, 3), "data starts 3 pages into struct bpf_ringbuf");
    rb.commit(a, 0, false);
    assert_eq!(hdr(&rb, 0).0, 10);
    let b = rb.reserve(4090).unwrap();
    rb.commit(b, 0, true);
    assert_eq!(hdr(&rb, 24), (4090 | BPF_RINGBUF_DISCARD_BIT, 3));
    let c = rb.reserve(1).unwrap();
    assert_eq!(hdr(&rb, c - 8).1, 4, "second data page");
}

#[test]
fn consumer_sees_committed_records_in_order_and_skips_discarded() {
    let mut rb = RingBuf::new(4096).unwrap();
    rb.output(b"one", 0).unwrap();
    let two = rb.reserve(3).unwrap();
    rb.sample_mut(two, 3).copy_from_slice(b"two");
    rb.commit(two, 0, true);
    rb.output(b"three", 0).unwrap();
    assert_eq!(drain(&mut rb), [b"one".to_vec(), b"three".to_vec()]);
    assert_eq!(rb.consumer_pos(), rb.producer_pos());
    assert_eq!(rb.query(BPF_RB_AVAIL_DATA), 0);
}

#[test]
fn a_busy_record_holds_back_everything_after_it() {
    let mut rb = RingBuf::new(4096).unwrap();
    rb.output(b"a", 0).unwrap();
    let busy = rb.reserve(8).unwrap();
    rb.output(b"c", 0).unwrap();
    assert_eq!(drain(&mut rb), [b"a".to_vec()]);
    rb.commit(busy, 0, false);
    assert_eq!(drain(&mut rb).len(), 2);
}

#[test]
fn a_callback_error_stops_after_consuming_that_record() {
    let mut rb = RingBuf::new(4096).unwrap();
    for i in 0..4u8 {
        rb.output(&[i], 0).unwrap();
    }
    let mut seen = Vec::new();
    let r = rb.consume(|s| {
        seen.push(s[0]);
        if s[0] == 1 {
            -7
        } else {
            0
        }
    });
    assert_eq!((r, seen), (-7, vec![0, 1]));
    assert_eq!(drain(&mut rb), [vec![2], vec![3]]);
}

#[test]
fn full_ring_refuses_until_consumed() {
    let mut rb = RingBuf::new(4096).unwrap();
    // 4096 - 1 bytes of positions may be outstanding: 255 records of 16 bytes fit, not 256.
    for _ in 0..255 {
        rb.output(&[0; 8], 0).unwrap();
    }
    assert_eq!(rb.output(&[0; 8], 0).unwrap_err().errno, Errno::EAGAIN);
    let (d, r) = rb.reserve_dynptr(8, 0);
    // reserve_dynptr reports no room as EINVAL, where output says EAGAIN.
    assert_eq!((r.unwrap_err().errno, d.is_null()), (Errno::EINVAL, true));
    assert_eq!(drain(&mut rb).len(), 255);
    rb.output(&[0; 8], 0).unwrap();
    assert!(rb.reserve(4096 - 8).is_none(), "a record is at most the ring less one byte, header included");
    assert!(rb.reserve(u64::from(u32::MAX)).is_none());
}

#[test]
fn wrapped_records_are_contiguous_and_land_at_the_start() {
    let mut rb = RingBuf::new(4096).unwrap();
    rb.output(&[1; 4000], 0).unwrap();
    drain(&mut rb);
    // Producer at 4008: a 200-byte record wraps past the end.
    let s = rb.reserve(200).unwrap();
    assert_eq!(s, 4016);
    let payload: Vec<u8> = (0..200).map(|i| i as u8).collect();
    rb.sample_mut(s, 200).copy_from_slice(&payload);
    rb.commit(s, 0, false);
    assert_eq!(&rb.data()[..120], &payload[80..], "the wrapped tail sits at the start of the data area");
    assert_eq!(drain(&mut rb), [payload]);
}

#[test]
fn wakeups_follow_the_kernel_rules() {
    let mut rb = RingBuf::new(4096).unwrap();
    rb.output(b"x", 0).unwrap();
    assert_eq!(rb.notifications(), 1, "the consumer was waiting at this record");
    rb.output(b"y", 0).unwrap();
    assert_eq!(rb.notifications(), 1, "not at the consumer's position: no wakeup");
    rb.output(b"z", BPF_RB_FORCE_WAKEUP).unwrap();
    assert_eq!(rb.notifications(), 2);
    drain(&mut rb);
    rb.output(b"w", BPF_RB_NO_WAKEUP).unwrap();
    assert_eq!(rb.notifications(), 2);
    assert_eq!(rb.output(b"v", 4).unwrap_err().errno, Errno::EINVAL);
}

#[test]
fn query_reports_positions_and_size() {
    let mut rb = RingBuf::new(8192).unwrap();
    rb.output(&[0; 10], 0).unwrap();
    assert_eq!(
        (rb.query(BPF_RB_AVAIL_DATA), rb.query(BPF_RB_RING_SIZE), rb.query(BPF_RB_CONS_POS), rb.query(BPF_RB_PROD_POS), rb.query(99)),
        (24, 8192, 0, 24, 0)
    );
}

#[test]
fn dynptr_reservations_submit_and_discard() {
    let mut rb = RingBuf::new(4096).unwrap();
    let (mut d, r) = rb.reserve_dynptr(16, 0);
    r.unwrap();
    d.write(&mut rb.backing(), 0, b"hello, ring!!!!!", 0).unwrap();
    rb.commit_dynptr(&mut d, 0, false).unwrap();
    assert!(d.is_null(), "submit nulls the dynptr");
    rb.commit_dynptr(&mut d, 0, false).unwrap();
    let (mut e, _) = rb.reserve_dynptr(16, 0);
    rb.commit_dynptr(&mut e, 0, true).unwrap();
    assert_eq!(drain(&mut rb), [b"hello, ring!!!!!".to_vec()]);
    let (d, r) = rb.reserve_dynptr(1 << 24, 0);
    assert_eq!((r.unwrap_err().errno, d.is_null()), (Errno::E2BIG, true));
    let (_, r) = rb.reserve_dynptr(8, 1);
    assert_eq!(r.unwrap_err().errno, Errno::EINVAL);
    assert!(rb.reserve_helper(8, 1).is_none());
}

#[test]
fn reserved_bytes_keep_what_the_ring_held() {
    // Helper-3's kernel case: 4080-byte records with only 4 bytes written; the second wraps and
    // its unwritten bytes are the first record's header and data, as the shared pages hold them.
    let mut rb = RingBuf::new(4096).unwrap();
    let a = rb.reserve(4080).unwrap();
    rb.sample_mut(a, 4).copy_from_slice(&[1, 2, 3, 4]);
    rb.commit(a, 0, false);
    assert_eq!(drain(&mut rb).len(), 1);
    let b = rb.reserve(4080).unwrap();
    assert_eq!(b, 4096, "the sample starts exactly where the mirror does");
    rb.sample_mut(b, 4).copy_from_slice(&[9, 9, 9, 9]);
    rb.commit(b, 0, false);
    let rec = drain(&mut rb).pop().unwrap();
    assert_eq!(&rec[..12], &[9, 9, 9, 9, 3, 0, 0, 0, 1, 2, 3, 4], "old pg_off (3) then the old data");
    assert_eq!(&rb.data()[..4], &[9, 9, 9, 9], "the wrapped tail is in the single mapping too");
}

#[test]
fn epoll_sees_records_only_after_a_wakeup() {
    let mut rb = RingBuf::new(4096).unwrap();
    assert!(!rb.epoll_ready(), "empty ring");
    // Committed without a wakeup while the consumer waits: epoll_wait times out.
    rb.output(b"quiet", BPF_RB_NO_WAKEUP).unwrap();
    assert!(!rb.epoll_ready(), "data, but nothing woke the consumer");
    // A record that does not sit at the consumer position wakes nobody either.
    rb.output(b"behind", 0).unwrap();
    assert!(!rb.epoll_ready());
    rb.output(b"forced", BPF_RB_FORCE_WAKEUP).unwrap();
    assert!(rb.epoll_ready());
    assert_eq!(drain(&mut rb).len(), 3, "one wakeup, every record read");
    // Level-triggered: after the report the item is re-checked, and dropped once the ring is empty.
    assert!(!rb.epoll_ready());
    // The consumer caught up, so the next plain record is at its position and wakes it.
    rb.output(b"next", 0).unwrap();
    assert!(rb.epoll_ready());
    assert!(rb.epoll_ready(), "still readable: level-triggered");
}
