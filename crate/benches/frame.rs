//! Native benchmarks of the frame engine, each measured against a baseline in the same run.
//!
//! The packet is 73152 bytes built the way `BPF_PROG_TEST_RUN` builds it: 3520 linear bytes and
//! 17 frags of a 4 KiB page each, so frag `i` starts at packet offset `3520 + 4096 * i`.
//!
//! * `pointer`: `bpf_xdp_pointer` for 64 bytes inside frag 3 (and frag 15, the last one an offset ≤ 0xffff reaches:
//!   the longest walk),
//!   alone and followed by a read of the 64 bytes through the view; target ≤ 10 ns per call.
//! * `copy/<size>`: `load_bytes` and `store_bytes` of 64 B to 60 KiB across frag boundaries
//!   against a plain `copy_from_slice` of the same number of bytes between two flat buffers placed
//!   like the packet's bytes and the caller's buffer (same offsets within their pages, same
//!   direction: `memcpy` for loads, `memcpy-in` for stores); target ≥ 70 % of memcpy throughput
//!   from 1 KiB up.
//! * `batch64`: 64 batch records through `batch::run_on_slice`, the native reference for the JS
//!   `FrameBatch` benchmark (bench/frame.bench.mjs records the same 64 operations).
//!
//! After criterion has run, a summary table reads back criterion's own estimates (median of the
//! per-iteration time) and prints each ratio and whether its target is met.
//!
//! Run with `cargo bench -p uxdp --bench frame` (about a minute and a half).

mod common;

use std::hint::black_box;
use std::time::SystemTime;

use common::*;
use criterion::{Criterion, Throughput};
use uxdp::frame::batch::{self, BatchOp, OP_WORDS};
use uxdp::frame::{DirectView, XdpBuff};
use uxdp::pool::PagePool;

const SIZES: [(usize, &str); 6] = [(64, "64B"), (256, "256B"), (1024, "1KiB"), (4096, "4KiB"), (16384, "16KiB"), (61440, "60KiB")];
/// Sizes from which the 70 % target applies.
const TARGET_FROM: usize = 1024;

fn bench_pointer(c: &mut Criterion, buff: &XdpBuff) {
    let mut g = c.benchmark_group("pointer");
    let in_frag3 = frag_start(3) + 100;
    let in_frag15 = frag_start(15) + 100;
    assert!(buff.pointer(in_frag3, 64).unwrap().is_some_and(|v| v.segment == 4));
    assert!(buff.pointer(in_frag15, 64).unwrap().is_some_and(|v| v.segment == 16));
    // What a caller takes from the result (the batch turns it into `segment + 1`): black-boxing
    // the whole ~100-byte `Result<Option<DirectView>, XdpError>` instead would time a copy of it
    // through the stack that no caller makes; `frag3-whole-result` shows that cost.
    let take = |r: uxdp::errno::Result<Option<DirectView>>| match r {
        Ok(Some(v)) => (v.segment as usize, v.offset),
        _ => (usize::MAX, 0),
    };
    g.bench_function("frag3", |b| b.iter(|| take(black_box(buff).pointer(black_box(in_frag3), black_box(64)))));
    g.bench_function("frag15", |b| b.iter(|| take(black_box(buff).pointer(black_box(in_frag15), black_box(64)))));
    g.bench_function("frag3-whole-result", |b| b.iter(|| black_box(buff).pointer(black_box(in_frag3), black_box(64))));
    g.bench_function("frag3+read64", |b| {
        b.iter(|| {
            let buff = black_box(buff);
            let v = buff.pointer(black_box(in_frag3), black_box(64)).unwrap().unwrap();
            read64(buff.view(v))
        })
    });
    // The same read from a flat slice: what the view costs beyond finding it.
    let flat = vec![7u8; 4096];
    g.bench_function("flat-read64", |b| b.iter(|| read64(&black_box(&flat[..])[100..164])));
    g.finish();
}

fn bench_copy(c: &mut Criterion, buff: &mut XdpBuff) {
    for (len, name) in SIZES {
        let off = copy_offset(len);
        let first = buff.pointer(off, 1).unwrap().unwrap();
        let last = buff.pointer(off + len as u32 - 1, 1).unwrap().unwrap().segment;
        assert!(last > first.segment, "{name} at {off} must cross a segment boundary");
        assert!(buff.pointer(off, len as u32).unwrap().is_none());
        // Where the packet's first byte of the copy sits in its page: the flat buffers of the
        // baselines sit the same way.
        let packet_page_offset = buff.view(first).as_ptr() as usize % 4096;

        let mut g = c.benchmark_group(format!("copy/{name}"));
        g.throughput(Throughput::Bytes(len as u64));
        let mut flat = Placed::new(len, packet_page_offset, 0x5a);
        let mut caller = Placed::new(len, CALLER_PAGE_OFFSET, 0);
        // memcpy in the direction of load_bytes, memcpy-in in that of store_bytes.
        memcpy_baselines(&mut g, &mut flat, &mut caller);
        let mut dst = Placed::new(len, CALLER_PAGE_OFFSET, 0);
        let src = Placed::new(len, CALLER_PAGE_OFFSET, 0x5a);
        // The same bytes copied piece by piece, one copy_from_slice per segment straight from the
        // packet's pages: the copying load_bytes cannot avoid, without finding the pieces.
        let pieces = pieces(buff, off as usize, len);
        g.bench_function("memcpy-pieces", |b| {
            b.iter(|| {
                let dst = black_box(dst.get_mut());
                for &(src, at) in black_box(&pieces[..]) {
                    dst[at..at + src.len()].copy_from_slice(src);
                }
            })
        });
        g.bench_function("load_bytes", |b| b.iter(|| black_box(&*buff).load_bytes(black_box(off), black_box(dst.get_mut())).unwrap()));
        g.bench_function("store_bytes", |b| b.iter(|| black_box(&mut *buff).store_bytes(black_box(off), black_box(src.get())).unwrap()));
        g.finish();
    }
}

/// The piece of each segment that packet bytes `off..off + len` cover, with where it goes in the
/// destination.
fn pieces(buff: &XdpBuff, off: usize, len: usize) -> Vec<(&[u8], usize)> {
    let (mut out, mut seg_start) = (Vec::new(), 0usize);
    for seg in buff.segments() {
        let seg_end = seg_start + seg.bytes.len();
        let (from, to) = (off.max(seg_start), (off + len).min(seg_end));
        if from < to {
            out.push((&seg.bytes[from - seg_start..to - seg_start], from - off));
        }
        seg_start = seg_end;
    }
    assert_eq!(out.iter().map(|(p, _)| p.len()).sum::<usize>(), len);
    out
}

/// The 64 records of the batch benchmark, over one frame; bench/frame.bench.mjs records the same
/// operations through `FrameBatch`. Nothing in it changes the packet's geometry, so it can run
/// again and again: 16 × load 64 B across the start of frag k, 16 × store 64 B across the start
/// of frag k, 16 × pointer to 64 B inside frag k, 16 × get_buff_len (k = 0..=15: frag 16 starts
/// past the 0xffff offset limit).
pub fn batch_ops() -> (Vec<i32>, usize) {
    let mut ops = Vec::with_capacity(64 * OP_WORDS);
    let mut data_used = 0i32;
    for k in 0..16u32 {
        let across = (frag_start(k) - 32) as i32;
        ops.extend_from_slice(&[BatchOp::LoadBytes as i32, 0, across, 64, data_used]);
        data_used += 64;
        ops.extend_from_slice(&[BatchOp::StoreBytes as i32, 0, across, 64, data_used]);
        data_used += 64;
        ops.extend_from_slice(&[BatchOp::Pointer as i32, 0, (frag_start(k) + 100) as i32, 64, 0]);
        ops.extend_from_slice(&[BatchOp::GetBuffLen as i32, 0, 0, 0, 0]);
    }
    (ops, data_used as usize)
}

fn bench_batch(c: &mut Criterion, pool: &PagePool) {
    let (ops, data_len) = batch_ops();
    let mut frames = vec![packet(pool)];
    let mut data: Vec<u8> = (0..data_len).map(|i| i as u8).collect();
    let mut results = vec![0i32; ops.len() / OP_WORDS];
    batch::run_on_slice(&ops, &mut frames, &mut data, &mut results).unwrap();
    for (i, r) in results.iter().enumerate() {
        let want = match i % 4 {
            0 | 1 => 0,
            2 => (i / 4) as i32 + 2, // frag k is segment k + 1; pointer returns segment + 1
            _ => PACKET_LEN as i32,
        };
        assert_eq!(*r, want, "op {i}");
    }
    let mut g = c.benchmark_group("batch64");
    g.throughput(Throughput::Elements(64));
    g.bench_function("run_on_slice", |b| {
        b.iter(|| {
            batch::run_on_slice(black_box(&ops), black_box(&mut frames[..]), black_box(&mut data[..]), black_box(&mut results[..])).unwrap()
        })
    });
    // The two halves of run_on_slice: the loop alone is what FrameBatch.timeNativeLoop times
    // (it validates once, outside its loop); validation is paid by every FrameBatch.run().
    g.bench_function("execute_loop", |b| {
        b.iter(|| {
            let (frames, data) = (black_box(&mut frames[..]), black_box(&mut data[..]));
            for (rec, out) in black_box(&ops).chunks_exact(OP_WORDS).zip(results.iter_mut()) {
                *out = batch::execute(&mut frames[rec[1] as usize], rec, data);
            }
            black_box(&mut results);
        })
    });
    g.bench_function("validate", |b| b.iter(|| batch::validate(black_box(&ops), 1, data_len, 64).unwrap()));
    g.finish();
}

// ---------------------------------------------------------------- summary

fn summary(since: SystemTime) {
    let mut t = Table::new(28, 11, 20);
    for (bench, targeted) in [("frag3", true), ("frag3+read64", true), ("frag15", false), ("frag3-whole-result", false)] {
        t.row(&format!("pointer {bench}"), median_ns("pointer", bench, since), "target ≤ 10 ns", Some(10.0), |ns, _| {
            let within = ns <= 10.0;
            ("-".into(), if targeted { verdict(within).into() } else { format!("(info: {})", if within { "≤ 10 ns" } else { "> 10 ns" }) })
        });
    }
    t.note("flat-read64", median_ns("pointer", "flat-read64", since), "the 64-byte read alone, from a flat slice".into());
    for (len, name) in SIZES {
        let group = format!("copy/{name}");
        let base = median_ns(&group, "memcpy", since);
        let pieces = median_ns(&group, "memcpy-pieces", since);
        t.row(&format!("memcpy-pieces {name}"), pieces, &format!("memcpy {name}"), base, |ns, b| {
            (format!("{:.0} %", b / ns * 100.0), "(info: the copies alone, one per segment)".into())
        });
        for (op, baseline) in [("load_bytes", "memcpy"), ("store_bytes", "memcpy-in")] {
            let base = median_ns(&group, baseline, since);
            t.row(&format!("{op} {name}"), median_ns(&group, op, since), &format!("{baseline} {name}"), base, |ns, b| {
                // Same bytes per iteration, so the throughput ratio is the inverse time ratio.
                let tput = b / ns;
                let target =
                    if len >= TARGET_FROM { format!("{} (≥ 70 %)", verdict(tput >= 0.7)) } else { "(no target below 1 KiB)".into() };
                (format!("{:.0} %", tput * 100.0), target)
            });
        }
    }
    for (bench, note) in [
        ("run_on_slice", "validate + execute, 64 records"),
        ("execute_loop", "the loop FrameBatch.timeNativeLoop times"),
        ("validate", "paid by every FrameBatch.run()"),
    ] {
        let ns = median_ns("batch64", bench, since);
        t.note(&format!("batch64 {bench}"), ns, format!("{:.1} ns per op; {note}", ns.unwrap_or(0.0) / 64.0));
    }
    t.print("criterion medians, ns per iteration; ratio = throughput against the baseline");
}

fn main() {
    let started = SystemTime::now();
    let mut c = config();
    let pool = PagePool::default();
    let mut buff = packet(&pool);
    bench_pointer(&mut c, &buff);
    bench_copy(&mut c, &mut buff);
    bench_batch(&mut c, &pool);
    c.final_summary();
    summary(started);
}
