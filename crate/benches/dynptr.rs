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

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use criterion::{Criterion, Throughput};
use uxdp::dynptr::{Backing, Dynptr, Slice};
use uxdp::frame::{BuildOptions, XdpBuff};
use uxdp::pool::PagePool;
use uxdp::ringbuf::RingBuf;

const PACKET_LEN: usize = 73152;
const LINEAR: u32 = 3520;
const FRAG: u32 = 4096;
const SIZES: [(usize, &str); 3] = [(64, "64B"), (1024, "1KiB"), (16384, "16KiB")];
/// `bpf_dynptr_slice` direct path, ns per call.
const SLICE_TARGET_NS: f64 = 10.0;
/// One ring-buffer record, ns (20 million records per second).
const RECORD_TARGET_NS: f64 = 50.0;
const RING_SIZE: u32 = 256 * 1024;
const RECORD: usize = 64;
/// The dynptr's `data` word: any non-zero handle names the one packet here.
const XDP_HANDLE: u64 = 1;

/// Packet offset where frag `i` starts.
const fn frag_start(i: u32) -> u32 {
    LINEAR + FRAG * i
}

/// Where a copy of `len` bytes starts (as in benches/frame.rs): centred on the start of frag 2 (so
/// even 64 bytes cross a boundary), moved down as far as needed for the copy to fit in the packet.
fn copy_offset(len: usize) -> u32 {
    let centred = frag_start(2) as usize - (len / 2).min(frag_start(2) as usize);
    centred.min(PACKET_LEN - len) as u32
}

fn packet(pool: &PagePool) -> XdpBuff {
    let bytes: Vec<u8> = (0..PACKET_LEN).map(|i| (i * 7 + i / 251) as u8).collect();
    let buff = XdpBuff::from_bytes(pool, &bytes, &BuildOptions::default()).expect("a 73152-byte packet fits in 17 frags");
    assert_eq!(buff.nr_frags(), 17);
    buff
}

fn config() -> Criterion {
    Criterion::default()
        .output_directory(&output_dir())
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_millis(1800))
        .sample_size(50)
        .nresamples(20_000)
        .without_plots()
        .configure_from_args()
}

#[inline(always)]
fn read64(bytes: &[u8]) -> u64 {
    bytes.chunks_exact(8).fold(0u64, |acc, w| acc ^ u64::from_le_bytes(w.try_into().unwrap()))
}

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

/// Where the caller's buffer starts inside its page, for every copy benchmark. Copy speed depends
/// on the distance between source and destination addresses modulo 4 KiB (4K aliasing makes a
/// load wait for an unrelated store that matches in its low 12 bits), so every copy here, baselines
/// included, uses the same placement instead of wherever the allocator put a Vec.
const CALLER_PAGE_OFFSET: usize = 2048;

/// A buffer of `len` bytes whose first byte sits at `page_offset` within a 4 KiB page (the
/// `Placed` of benches/frame.rs).
struct Placed {
    mem: Vec<u8>,
    start: usize,
    len: usize,
}

impl Placed {
    fn new(len: usize, page_offset: usize, fill: u8) -> Placed {
        let mem = vec![fill; len + 4096];
        let start = (page_offset % 4096 + 4096 - mem.as_ptr() as usize % 4096) % 4096;
        let p = Placed { mem, start, len };
        assert_eq!(p.get().as_ptr() as usize % 4096, page_offset % 4096);
        p
    }

    fn get(&self) -> &[u8] {
        &self.mem[self.start..self.start + self.len]
    }

    fn get_mut(&mut self) -> &mut [u8] {
        &mut self.mem[self.start..self.start + self.len]
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
        // Same direction as a read: from where packet bytes sit to the caller's buffer.
        g.bench_function("memcpy", |b| {
            b.iter(|| {
                let (dst, src) = (caller.get_mut(), flat.get());
                black_box(dst).copy_from_slice(black_box(src));
            })
        });
        // Same direction as a write: from the caller's buffer to where packet bytes sit.
        g.bench_function("memcpy-in", |b| {
            b.iter(|| {
                let (dst, src) = (flat.get_mut(), caller.get());
                black_box(dst).copy_from_slice(black_box(src));
            })
        });
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

fn output_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target"));
    target.join("criterion")
}

/// Criterion's median per-iteration time in ns for `group/bench`, if this run wrote it.
fn median_ns(group: &str, bench: &str, since: SystemTime) -> Option<f64> {
    let path = output_dir().join(group.replace('/', "_")).join(bench.replace('/', "_")).join("new").join("estimates.json");
    let fresh = std::fs::metadata(&path).and_then(|m| m.modified()).map(|t| t >= since).unwrap_or(false);
    if !fresh {
        return None;
    }
    let json = std::fs::read_to_string(&path).ok()?;
    let median = &json[json.find("\"median\"")?..];
    let at = median.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let rest = &median[at..];
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT MET"
    }
}

/// The summary's lines; a missing estimate leaves its line out and is counted.
struct Table {
    lines: Vec<String>,
    missing: usize,
}

impl Table {
    fn row(&mut self, what: &str, ns: Option<f64>, base: &str, base_ns: Option<f64>, judge: impl Fn(f64, f64) -> (String, String)) {
        match (ns, base_ns) {
            (Some(ns), Some(b)) => {
                let (ratio, target) = judge(ns, b);
                self.lines.push(format!("{what:<30} {ns:>9.1} {base:<22} {b:>9.1} {ratio:>9}  {target}"));
            }
            _ => self.missing += 1,
        }
    }
}

/// Time against the baseline, as "n.nn×" (lower is better).
fn times(ns: f64, b: f64) -> String {
    format!("{:.2}×", ns / b)
}

fn summary(since: SystemTime) {
    let mut t = Table { lines: Vec::new(), missing: 0 };
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
    println!();
    println!("== summary: criterion medians, ns per iteration; ratio: × = time against the baseline, % = throughput against it ==");
    println!("{:<30} {:>9} {:<22} {:>9} {:>9}  target", "benchmark", "ns", "baseline", "ns", "ratio");
    for l in &t.lines {
        println!("{l}");
    }
    if t.missing > 0 {
        println!("({} rows left out: no estimate from this run, e.g. filtered or --test mode)", t.missing);
    }
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
