//! `cargo run --release --example bpf_test_run -- OBJ PACKET REPEAT`: test_run of an object's first
//! program, for profiling the per-run cost (UXDP_JIT=0 for the interpreter).
use uxdp::bpf::loader::{self, LoadOptions};
use uxdp::bpf::test_run::{test_run_xdp, TestRunOptions};
use uxdp::pool::PagePool;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let obj = std::fs::read(&a[1]).expect("object");
    let pkt = std::fs::read(&a[2]).expect("packet");
    let repeat: u32 = a[3].parse().expect("repeat");
    let lo = loader::load_bytes(&obj, &LoadOptions { nr_cpus: 1, ..LoadOptions::default() }).expect("load");
    let prog = lo.programs.iter().find_map(|p| p.prog.clone()).expect("a program");
    if let Ok(path) = std::env::var("UXDP_JIT_DUMP") {
        std::fs::write(path, uxdp::bpf::jit::code_bytes(&prog).unwrap_or_default()).expect("dump");
    }
    let pool = PagePool::default();
    let out = test_run_xdp(&prog, &pool, &pkt, &TestRunOptions { repeat, ..TestRunOptions::default() }).expect("run");
    println!("retval {} duration {} ns insns {}", out.retval, out.duration_ns, out.insns);
}
