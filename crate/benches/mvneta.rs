//! The emulated mvneta, natively: 64-byte frames through RX → XDP_DROP, and 9000-byte frames
//! through RX → XDP_TX → TX completion, each against memcpy of the same bytes measured in the same
//! run. Two memcpy baselines for the jumbo frames: into a hot buffer, and into the same kind of
//! memory the NIC's DMA writes (a ring of 512 pages filled in order, three pages per frame).

mod common;

use std::hint::black_box;
use std::time::SystemTime;

use common::{config, median_ns, verdict, Table};
use criterion::{Criterion, Throughput};
use uxdp::mvneta::device::Program;
use uxdp::mvneta::{Builtin, Mvneta, MvnetaConfig, WireRx};
use uxdp::xdp::XDP_DROP;

/// Frames per measured iteration.
const SMALL_BATCH: usize = 64;
const JUMBO_BATCH: usize = 16;
/// Targets: 10 M 64-byte frames/s (100 ns each); the jumbo path at 30 % of the bandwidth of
/// memcpy into the same memory.
const SMALL_TARGET_NS: f64 = 100.0;
const JUMBO_TARGET_PCT: f64 = 30.0;

/// An Ethernet/IPv4/UDP frame of `len` bytes (checksums not filled: the NIC's parser verifies
/// the UDP checksum of 0 as "none").
fn udp(len: usize) -> Vec<u8> {
    let mut f = vec![0u8; len];
    f[0..12].copy_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
    f[12] = 8;
    f[14] = 0x45;
    f[16..18].copy_from_slice(&((len - 14) as u16).to_be_bytes());
    f[23] = 17;
    f[26..34].copy_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    f[34..36].copy_from_slice(&1000u16.to_be_bytes());
    f[36..38].copy_from_slice(&53u16.to_be_bytes());
    f[38..40].copy_from_slice(&((len - 34) as u16).to_be_bytes());
    for (i, b) in f[42..].iter_mut().enumerate() {
        *b = i as u8;
    }
    f
}

fn nic(mtu: u32, prog: Box<dyn uxdp::mvneta::XdpProgram>) -> Mvneta {
    let mut dev = Mvneta::new(MvnetaConfig { mtu, capture_tx: false, ..MvnetaConfig::default() }).expect("a NIC");
    dev.attach(Some(Program::Native(prog)), 0).expect("attach");
    dev
}

fn bench_small(c: &mut Criterion) {
    let frame = udp(60);
    let mut g = c.benchmark_group("nic-drop64");
    g.throughput(Throughput::Elements(SMALL_BATCH as u64));
    let mut dev = nic(1500, Box::new(Builtin::Verdict { action: XDP_DROP, frags: false }));
    g.bench_function("rx-drop-x64", |b| {
        b.iter(|| {
            for _ in 0..SMALL_BATCH {
                dev.receive(black_box(&frame), None, WireRx::default()).expect("room on the ring");
            }
            black_box(dev.poll(64));
        })
    });
    // The same bytes copied: 64 frames of 60 bytes (+ MH and FCS) into 64 buffers.
    let mut dst = vec![0u8; SMALL_BATCH * 4096];
    g.bench_function("memcpy-x64", |b| {
        b.iter(|| {
            for k in 0..SMALL_BATCH {
                let at = k * 4096 + 258;
                black_box(&mut dst[at..at + frame.len()]).copy_from_slice(black_box(&frame));
            }
        })
    });
    g.finish();
}

fn bench_jumbo(c: &mut Criterion) {
    let frame = udp(9014);
    let mut g = c.benchmark_group("nic-tx9000");
    g.throughput(Throughput::Bytes((JUMBO_BATCH * frame.len()) as u64));
    let mut dev = nic(9000, Box::new(Builtin::Reflect { frags: true }));
    g.bench_function("rx-tx-complete-x16", |b| {
        b.iter(|| {
            for _ in 0..JUMBO_BATCH {
                dev.receive(black_box(&frame), None, WireRx::default()).expect("room on the ring");
            }
            // Reclaims the previous iteration's transmitted frames, then receives and sends these.
            black_box(dev.poll(64));
        })
    });
    let mut dst = vec![0u8; frame.len()];
    g.bench_function("memcpy-hot-x16", |b| {
        b.iter(|| {
            for _ in 0..JUMBO_BATCH {
                black_box(&mut dst[..]).copy_from_slice(black_box(&frame));
            }
        })
    });
    // Where the NIC writes: the next three pages of a 512-page ring, at the buffers' offset.
    let mut ring = vec![0u8; 512 * 4096];
    let mut slot = 0usize;
    g.bench_function("memcpy-ring-x16", |b| {
        b.iter(|| {
            for _ in 0..JUMBO_BATCH {
                let mut rest = &frame[..];
                while !rest.is_empty() {
                    let n = rest.len().min(3520);
                    let at = slot * 4096 + 256;
                    black_box(&mut ring[at..at + n]).copy_from_slice(&rest[..n]);
                    rest = &rest[n..];
                    slot = (slot + 1) % 512;
                }
            }
        })
    });
    g.finish();
    // The same path with a DROP program: what XDP_TX and its completion add.
    let mut g = c.benchmark_group("nic-drop9000");
    g.throughput(Throughput::Bytes((JUMBO_BATCH * frame.len()) as u64));
    let mut dev = nic(9000, Box::new(Builtin::Verdict { action: XDP_DROP, frags: true }));
    g.bench_function("rx-drop-x16", |b| {
        b.iter(|| {
            for _ in 0..JUMBO_BATCH {
                dev.receive(black_box(&frame), None, WireRx::default()).expect("room on the ring");
            }
            black_box(dev.poll(64));
        })
    });
    g.finish();
}

fn summary(since: SystemTime) {
    let mut t = Table::new(32, 8, 22);
    let per = |v: Option<f64>, n: usize| v.map(|ns| ns / n as f64);
    let small = per(median_ns("nic-drop64", "rx-drop-x64", since), SMALL_BATCH);
    let memcpy_small = per(median_ns("nic-drop64", "memcpy-x64", since), SMALL_BATCH);
    t.row("64B RX→XDP_DROP, per frame", small, "memcpy 60B", memcpy_small, |ns, b| {
        (format!("{:.1}×", ns / b), format!("{} (≤ {SMALL_TARGET_NS} ns: {:.1} M frames/s)", verdict(ns <= SMALL_TARGET_NS), 1e3 / ns))
    });
    let jumbo = per(median_ns("nic-tx9000", "rx-tx-complete-x16", since), JUMBO_BATCH);
    let hot = per(median_ns("nic-tx9000", "memcpy-hot-x16", since), JUMBO_BATCH);
    let ring = per(median_ns("nic-tx9000", "memcpy-ring-x16", since), JUMBO_BATCH);
    // The target is judged against memcpy into the memory the NIC writes (the next pages of a
    // 512-page ring, as its DMA does); a copy between two L1-hot buffers is shown beside it.
    t.row("9000B RX→XDP_TX→done, per frame", jumbo, "memcpy 9014B, ring", ring, |ns, b| {
        let pct = b / ns * 100.0;
        (format!("{pct:.0} %"), format!("{} (≥ {JUMBO_TARGET_PCT} % of memcpy into the same pages)", verdict(pct >= JUMBO_TARGET_PCT)))
    });
    t.row("9000B RX→XDP_TX→done, per frame", jumbo, "memcpy 9014B, hot", hot, |ns, b| {
        (format!("{:.0} %", b / ns * 100.0), "(info: memcpy between two L1-hot buffers)".into())
    });
    let drop9000 = per(median_ns("nic-drop9000", "rx-drop-x16", since), JUMBO_BATCH);
    t.row("9000B RX→XDP_DROP, per frame", drop9000, "memcpy 9014B, ring", ring, |ns, b| {
        (format!("{:.0} %", b / ns * 100.0), format!("(info: {:.2} Gb/s of frames)", 9014.0 * 8.0 / ns))
    });
    t.print("criterion medians, ns per frame; ratio: × = time against the baseline, % = throughput against it");
}

fn main() {
    let started = SystemTime::now();
    let mut c = config();
    bench_small(&mut c);
    bench_jumbo(&mut c);
    c.final_summary();
    summary(started);
}
