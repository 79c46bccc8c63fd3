//! Native benchmarks of the dynptr engine and the BPF ring buffer, each measured against a
//! baseline in the same run.
//!
//! The packet is the one of benches/frame.rs: 73152 bytes built the way `BPF_PROG_TEST_RUN` builds
//! it (3520 linear bytes and 17 frags of a 4 KiB page each, frag `i` starting at packet offset
//! `3520 + 4096 * i`), behind an XDP dynptr from `Dynptr::from_xdp`.
//!
//! * `dynptr-slice`: `bpf_dynptr_slice` of 64 bytes inside frag 3 (the direct path: a view of the
//!   page), target ≤ 10 ns, alone and followed by a read of the 64 bytes through the view; and of
//!   64 bytes across the start of frag 2 (the copy path: `bpf_xdp_copy_buf` into the caller's
//!   buffer), against a plain 64-byte memcpy placed like the packet's bytes and the caller's
//!   buffer. `bpf_xdp_pointer` for the same 64 bytes shows what the dynptr layer adds.
//! * `dynptr-rw/<size>`: `bpf_dynptr_read` and `bpf_dynptr_write` of 64 B, 1 KiB and 16 KiB across
//!   frag boundaries against `copy_from_slice` of the same bytes between flat buffers placed like
//!   the real ones (same direction: `memcpy` for reads, `memcpy-in` for writes). No target: the
//!   ratio is what crossing frags through a dynptr costs. `load_bytes`/`store_bytes` (the XDP
//!   helpers the dynptr calls) show what the dynptr layer adds.
//! * `ringbuf`: one 64-byte record through a 256 KiB ring, the way `RingBuffer.timeNativeLoop`
//!   does it (`reserve_dynptr`, `write` of 64 bytes, `commit_dynptr`, `consume`); target
//!   ≥ 20 million records per second (≤ 50 ns per record), against a 64-byte memcpy. Shown too:
//!   `bpf_ringbuf_output` + consume, and 64 records produced per consume.
//!
//! After criterion has run, a summary table reads back criterion's own estimates (median of the
//! per-iteration time) and prints each ratio and whether its target is met.
//!
//! Run with `cargo bench -p uxdp --bench dynptr` (about 75 seconds).

mod common;

use std::hint::black_box;
use std::time::SystemTime;

use common::*;
use criterion::{Criterion, Throughput};
use uxdp::dynptr::{Backing, Dynptr, Slice};
use uxdp::frame::XdpBuff;
use uxdp::pool::PagePool;
use uxdp::ringbuf::RingBuf;

const SIZES: [(usize, &str); 3] = [(64, "64B"), (1024, "1KiB"), (16384, "16KiB")];
/// `bpf_dynptr_slice` direct path, ns per call.
const SLICE_TARGET_NS: f64 = 10.0;
/// One ring-buffer record, ns (20 million records per second).
const RECORD_TARGET_NS: f64 = 50.0;
const RING_SIZE: u32 = 256 * 1024;
const RECORD: usize = 64;
/// The dynptr's `data` word: any non-zero handle names the one packet here.
const XDP_HANDLE: u64 = 1;

/// What a caller takes from a slice: where its bytes are and whether they are the packet's own.
/// Black-boxing the whole `Option<Slice>` instead would time a copy of it through the stack.
#[inline(always)]
fn take(s: Option<Slice<'_>>) -> (usize, usize, bool) {
    match s {
        Some(s) => {
            let b = s.bytes();
            (b.as_ptr() as usize, b.len(), s.is_direct())
        }
        None => (0, 0, false),
    }
}

/// Where packet byte `off` sits within its page.
fn packet_page_offset(buff: &XdpBuff, off: u32) -> usize {
    let first = buff.pointer(off, 1).unwrap().unwrap();
    buff.view(first).as_ptr() as usize % 4096
}

fn bench_slice(c: &mut Criterion, buff: &mut XdpBuff) {
    let (d, res) = Dynptr::from_xdp(XDP_HANDLE, buff, 0);
    res.unwrap();
    assert_eq!(d.len() as usize, PACKET_LEN);
    let inside = frag_start(3) + 100;
    let across = frag_start(2) - 32;
    let mut buffer = Placed::new(64, CALLER_PAGE_OFFSET, 0);
    // The paths must be the ones named, with the packet's bytes, before they are timed.
    {
        let want_inside = buff.view(buff.pointer(inside, 64).unwrap().unwrap()).to_vec();
        let mut want_across = vec![0u8; 64];
        buff.load_bytes(across, &mut want_across).unwrap();
        let mut b = Backing::Xdp(buff);
        let s = d.slice(&mut b, inside, Some(buffer.get_mut()), 64).unwrap();
        assert!(s.is_direct() && s.bytes() == &want_inside[..]);
        let mut b = Backing::Xdp(buff);
        let s = d.slice(&mut b, across, Some(buffer.get_mut()), 64).unwrap();
        assert!(!s.is_direct() && s.bytes() == &want_across[..]);
    }

    let mut g = c.benchmark_group("dynptr-slice");
    g.bench_function("direct-frag3", |b| {
        b.iter(|| {
            let mut bk = Backing::Xdp(black_box(&mut *buff));
            take(black_box(&d).slice(&mut bk, black_box(inside), Some(black_box(buffer.get_mut())), black_box(64)))
        })
    });
    g.bench_function("direct-frag3+read64", |b| {
        b.iter(|| {
            let mut bk = Backing::Xdp(black_box(&mut *buff));
            let s = black_box(&d).slice(&mut bk, black_box(inside), Some(black_box(buffer.get_mut())), black_box(64)).unwrap();
            read64(s.bytes())
        })
    });
    g.bench_function("copy-across-frag2", |b| {
        b.iter(|| {
            let mut bk = Backing::Xdp(black_box(&mut *buff));
            take(black_box(&d).slice(&mut bk, black_box(across), Some(black_box(buffer.get_mut())), black_box(64)))
        })
    });
    // `bpf_xdp_pointer` for the same 64 bytes: the walk the direct slice makes, without the dynptr.
    g.bench_function("xdp-pointer-frag3", |b| {
        b.iter(|| match black_box(&*buff).pointer(black_box(inside), black_box(64)) {
            Ok(Some(v)) => (v.segment as usize, v.offset),
            _ => (usize::MAX, 0),
        })
    });
    // The copy path's baseline: 64 bytes from where the packet's first byte sits in its page to
    // the caller's buffer.
    let flat = Placed::new(64, packet_page_offset(buff, across), 0x5a);
    g.bench_function("memcpy64", |b| {
        b.iter(|| {
            let (dst, src) = (buffer.get_mut(), flat.get());
            black_box(dst).copy_from_slice(black_box(src));
        })
    });
    g.finish();
}

fn bench_rw(c: &mut Criterion, buff: &mut XdpBuff) {
    let (d, res) = Dynptr::from_xdp(XDP_HANDLE, buff, 0);
    res.unwrap();
    for (len, name) in SIZES {
        let off = copy_offset(len);
        assert!(buff.pointer(off, len as u32).unwrap().is_none(), "{name} at {off} must cross a segment boundary");
        let mut g = c.benchmark_group(format!("dynptr-rw/{name}"));
        g.throughput(Throughput::Bytes(len as u64));
        let mut flat = Placed::new(len, packet_page_offset(buff, off), 0x5a);
        let mut caller = Placed::new(len, CALLER_PAGE_OFFSET, 0);
        // memcpy in the direction of a read, memcpy-in in that of a write.
        memcpy_baselines(&mut g, &mut flat, &mut caller);
        let mut dst = Placed::new(len, CALLER_PAGE_OFFSET, 0);
        let src = Placed::new(len, CALLER_PAGE_OFFSET, 0x5a);
        {
            let mut want = vec![0u8; len];
            buff.load_bytes(off, &mut want).unwrap();
            d.read(&mut Backing::Xdp(buff), off, dst.get_mut(), 0).unwrap();
            assert_eq!(dst.get(), &want[..], "read {name}");
        }
        g.bench_function("read", |b| {
            b.iter(|| {
                let mut bk = Backing::Xdp(black_box(&mut *buff));
                black_box(&d).read(&mut bk, black_box(off), black_box(dst.get_mut()), black_box(0)).unwrap()
            })
        });
        g.bench_function("write", |b| {
            b.iter(|| {
                let mut bk = Backing::Xdp(black_box(&mut *buff));
                black_box(&d).write(&mut bk, black_box(off), black_box(src.get()), black_box(0)).unwrap()
            })
        });
        // The XDP helpers a dynptr read/write ends in: what the dynptr layer adds.
        g.bench_function("load_bytes", |b| b.iter(|| black_box(&*buff).load_bytes(black_box(off), black_box(dst.get_mut())).unwrap()));
        g.bench_function("store_bytes", |b| b.iter(|| black_box(&mut *buff).store_bytes(black_box(off), black_box(src.get())).unwrap()));
        g.finish();
    }
}

/// One record the way `RingBuffer.timeNativeLoop` produces and consumes it.
#[inline(always)]
fn record(r: &mut RingBuf, payload: &[u8], seen: &mut u64) {
    let (mut d, res) = r.reserve_dynptr(payload.len() as u32, 0);
    res.unwrap();
    d.write(&mut r.backing(), 0, payload, 0).unwrap();
    r.commit_dynptr(&mut d, 0, false).expect("a record of this ring");
    r.consume(|s| {
        *seen += s.len() as u64;
        0
    });
}

fn bench_ringbuf(c: &mut Criterion) {
    let mut r = RingBuf::new(RING_SIZE).unwrap();
    let payload = Placed::new(RECORD, CALLER_PAGE_OFFSET, 0x5a);
    let mut seen = 0u64;
    // Right before timed: every record arrives whole, also across the ring's end.
    for i in 0..2 * RING_SIZE as usize / (RECORD + 8) {
        let mut got = None;
        let (mut d, res) = r.reserve_dynptr(RECORD as u32, 0);
        res.unwrap();
        let mut p = payload.get().to_vec();
        p[0] = i as u8;
        d.write(&mut r.backing(), 0, &p, 0).unwrap();
        r.commit_dynptr(&mut d, 0, false).expect("a record of this ring");
        assert_eq!(r.consume(|s| i32::from(got.replace(s.to_vec()).is_some())), 1);
        assert_eq!(got.unwrap(), p);
    }
    assert_eq!(r.consumer_pos(), r.producer_pos());

    let mut g = c.benchmark_group("ringbuf");
    g.throughput(Throughput::Elements(1));
    g.bench_function("record64", |b| b.iter(|| record(black_box(&mut r), black_box(payload.get()), &mut seen)));
    // bpf_ringbuf_output: the copying helper instead of a dynptr, then the same consume.
    g.bench_function("output64", |b| {
        b.iter(|| {
            let r = black_box(&mut r);
            r.output(black_box(payload.get()), 0).unwrap();
            r.consume(|s| {
                seen += s.len() as u64;
                0
            });
        })
    });
    // The baseline: the 64 bytes of a record, copied from the producer's buffer.
    let mut sample = Placed::new(RECORD, 8, 0);
    g.bench_function("memcpy64", |b| b.iter(|| black_box(sample.get_mut()).copy_from_slice(black_box(payload.get()))));
    g.finish();

    // 64 records produced, then one consume of all of them: what consume costs per call.
    let mut g = c.benchmark_group("ringbuf-batch64");
    g.throughput(Throughput::Elements(64));
    g.bench_function("produce64+consume", |b| {
        b.iter(|| {
            let r = black_box(&mut r);
            for _ in 0..64 {
                let (mut d, res) = r.reserve_dynptr(RECORD as u32, 0);
                res.unwrap();
                d.write(&mut r.backing(), 0, black_box(payload.get()), 0).unwrap();
                r.commit_dynptr(&mut d, 0, false).expect("a record of this ring");
            }
            r.consume(|s| {
                seen += s.len() as u64;
                0
            })
        })
    });
    g.finish();
    black_box(seen);
}

// ---------------------------------------------------------------- summary

/// Time against the baseline, as "n.nn×" (lower is better).
fn times(ns: f64, b: f64) -> String {
    format!("{:.2}×", ns / b)
}

fn summary(since: SystemTime) {
    let mut t = Table::new(30, 9, 22);
    let memcpy64 = median_ns("dynptr-slice", "memcpy64", since);
    for (bench, targeted) in [("direct-frag3", true), ("direct-frag3+read64", false)] {
        t.row(&format!("slice {bench}"), median_ns("dynptr-slice", bench, since), "memcpy 64B", memcpy64, |ns, b| {
            let within = ns <= SLICE_TARGET_NS;
            let target = if targeted {
                format!("{} (≤ {SLICE_TARGET_NS} ns)", verdict(within))
            } else {
                format!("(info: {} 10 ns)", if within { "≤" } else { ">" })
            };
            (times(ns, b), target)
        });
    }
    t.row("slice copy-across-frag2", median_ns("dynptr-slice", "copy-across-frag2", since), "memcpy 64B", memcpy64, |ns, b| {
        (times(ns, b), "(no target: the copy path, 64 B)".into())
    });
    t.row("xdp pointer frag3", median_ns("dynptr-slice", "xdp-pointer-frag3", since), "memcpy 64B", memcpy64, |ns, b| {
        (times(ns, b), "(info: the walk without the dynptr)".into())
    });
    for (_, name) in SIZES {
        let group = format!("dynptr-rw/{name}");
        for (op, baseline) in [("read", "memcpy"), ("write", "memcpy-in"), ("load_bytes", "memcpy"), ("store_bytes", "memcpy-in")] {
            let base = median_ns(&group, baseline, since);
            let note = if op.contains('_') { "(info: the XDP helper alone)" } else { "(no target)" };
            t.row(&format!("{op} {name}"), median_ns(&group, op, since), &format!("{baseline} {name}"), base, |ns, b| {
                // Same bytes per iteration: the throughput ratio is the inverse time ratio.
                (format!("{:.0} %", b / ns * 100.0), note.into())
            });
        }
    }
    let memcpy = median_ns("ringbuf", "memcpy64", since);
    t.row("ringbuf record64", median_ns("ringbuf", "record64", since), "memcpy 64B", memcpy, |ns, b| {
        (times(ns, b), format!("{} (≤ {RECORD_TARGET_NS} ns: {:.1} M records/s)", verdict(ns <= RECORD_TARGET_NS), 1e3 / ns))
    });
    t.row("ringbuf output64", median_ns("ringbuf", "output64", since), "memcpy 64B", memcpy, |ns, b| {
        (times(ns, b), format!("(info: {:.1} M records/s)", 1e3 / ns))
    });
    let per = median_ns("ringbuf-batch64", "produce64+consume", since).map(|ns| ns / 64.0);
    t.row("ringbuf 64 per consume", per, "memcpy 64B", memcpy, |ns, b| {
        (times(ns, b), format!("(info: ns per record; {:.1} M records/s)", 1e3 / ns))
    });
    t.print("criterion medians, ns per iteration; ratio: × = time against the baseline, % = throughput against it");
}

fn main() {
    let started = SystemTime::now();
    let mut c = config();
    let pool = PagePool::default();
    let mut buff = packet(&pool);
    bench_slice(&mut c, &mut buff);
    bench_rw(&mut c, &mut buff);
    bench_ringbuf(&mut c);
    c.final_summary();
    summary(started);
}
