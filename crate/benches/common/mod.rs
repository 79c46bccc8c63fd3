//! What benches/frame.rs and benches/dynptr.rs share: the 73152-byte packet, criterion's
//! configuration, the page-placed buffers of the copy benchmarks, and the summary table that reads
//! criterion's estimates back.
//!
//! Each bench compiles this module on its own, so what one of them does not use is not dead code.
#![allow(dead_code)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use uxdp::frame::{BuildOptions, XdpBuff};
use uxdp::pool::PagePool;

pub const PACKET_LEN: usize = 73152;
pub const LINEAR: u32 = 3520;
pub const FRAG: u32 = 4096;

/// Packet offset where frag `i` starts.
pub const fn frag_start(i: u32) -> u32 {
    LINEAR + FRAG * i
}

/// Where a copy of `len` bytes starts: centred on the start of frag 2 (so even 64 bytes cross a
/// boundary), moved down as far as needed for the copy to fit in the packet.
pub fn copy_offset(len: usize) -> u32 {
    let centred = frag_start(2) as usize - (len / 2).min(frag_start(2) as usize);
    centred.min(PACKET_LEN - len) as u32
}

/// The packet `BPF_PROG_TEST_RUN` would build from 73152 bytes: 3520 linear bytes and 17 frags.
pub fn packet(pool: &PagePool) -> XdpBuff {
    let bytes: Vec<u8> = (0..PACKET_LEN).map(|i| (i * 7 + i / 251) as u8).collect();
    let buff = XdpBuff::from_bytes(pool, &bytes, &BuildOptions::default()).expect("a 73152-byte packet fits in 17 frags");
    assert_eq!(buff.nr_frags(), 17);
    buff
}

pub fn config() -> Criterion {
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
pub fn read64(bytes: &[u8]) -> u64 {
    bytes.chunks_exact(8).fold(0u64, |acc, w| acc ^ u64::from_le_bytes(w.try_into().unwrap()))
}

/// Where the caller's buffer starts inside its page, for every copy benchmark. Copy speed depends
/// on the distance between source and destination addresses modulo 4 KiB (4K aliasing makes a
/// load wait for an unrelated store that matches in its low 12 bits), so every copy here, baselines
/// included, uses the same placement instead of wherever the allocator put a Vec.
pub const CALLER_PAGE_OFFSET: usize = 2048;

/// A buffer of `len` bytes whose first byte sits at `page_offset` within a 4 KiB page.
pub struct Placed {
    mem: Vec<u8>,
    start: usize,
    len: usize,
}

impl Placed {
    pub fn new(len: usize, page_offset: usize, fill: u8) -> Placed {
        let mem = vec![fill; len + 4096];
        let start = (page_offset % 4096 + 4096 - mem.as_ptr() as usize % 4096) % 4096;
        let p = Placed { mem, start, len };
        assert_eq!(p.get().as_ptr() as usize % 4096, page_offset % 4096);
        p
    }

    pub fn get(&self) -> &[u8] {
        &self.mem[self.start..self.start + self.len]
    }

    pub fn get_mut(&mut self) -> &mut [u8] {
        &mut self.mem[self.start..self.start + self.len]
    }
}

/// The two baselines of a copy group, between `flat` (placed like the packet's bytes) and `caller`
/// (placed like the caller's buffer): `memcpy`, from where packet bytes sit to the caller's buffer
/// (the direction of a load or read), and `memcpy-in`, from the caller's buffer to where packet
/// bytes sit (the direction of a store or write).
pub fn memcpy_baselines(g: &mut BenchmarkGroup<'_, WallTime>, flat: &mut Placed, caller: &mut Placed) {
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            let (dst, src) = (caller.get_mut(), flat.get());
            black_box(dst).copy_from_slice(black_box(src));
        })
    });
    g.bench_function("memcpy-in", |b| {
        b.iter(|| {
            let (dst, src) = (flat.get_mut(), caller.get());
            black_box(dst).copy_from_slice(black_box(src));
        })
    });
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
pub fn median_ns(group: &str, bench: &str, since: SystemTime) -> Option<f64> {
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

pub fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT MET"
    }
}

/// The summary's lines; a missing estimate leaves its line out and is counted. Its columns: the
/// benchmark (`what` wide), its ns (`ns` wide), the baseline (`base` wide), the baseline's ns, the
/// ratio and the target.
pub struct Table {
    lines: Vec<String>,
    missing: usize,
    what: usize,
    ns: usize,
    base: usize,
}

impl Table {
    pub fn new(what: usize, ns: usize, base: usize) -> Table {
        Table { lines: Vec::new(), missing: 0, what, ns, base }
    }

    pub fn row(&mut self, what: &str, ns: Option<f64>, base: &str, base_ns: Option<f64>, judge: impl Fn(f64, f64) -> (String, String)) {
        let (w, n, bw) = (self.what, self.ns, self.base);
        match (ns, base_ns) {
            (Some(ns), Some(b)) => {
                let (ratio, target) = judge(ns, b);
                self.lines.push(format!("{what:<w$} {ns:>n$.1} {base:<bw$} {b:>n$.1} {ratio:>9}  {target}"));
            }
            _ => self.missing += 1,
        }
    }

    /// A line with no baseline: the figure and a note.
    pub fn note(&mut self, what: &str, ns: Option<f64>, note: String) {
        let (w, n, bw) = (self.what, self.ns, self.base);
        match ns {
            Some(ns) => self.lines.push(format!("{what:<w$} {ns:>n$.1} {:<bw$} {:>n$} {:>9}  {note}", "", "", "")),
            None => self.missing += 1,
        }
    }

    /// Prints the table under `legend` (what follows "== summary: ").
    pub fn print(&self, legend: &str) {
        let (w, n, bw) = (self.what, self.ns, self.base);
        println!();
        println!("== summary: {legend} ==");
        println!("{:<w$} {:>n$} {:<bw$} {:>n$} {:>9}  target", "benchmark", "ns", "baseline", "ns", "ratio");
        for l in &self.lines {
            println!("{l}");
        }
        if self.missing > 0 {
            println!("({} rows left out: no estimate from this run, e.g. filtered or --test mode)", self.missing);
        }
    }
}
