//! BPF_PROG_TEST_RUN's limits in the engine: programs that are not XDP are refused (ENOTSUPP at
//! test_run, EINVAL at a device's XDP hook) rather than run over an `xdp_md`; the repeat loop can
//! be bounded by a time budget (ETIMEDOUT) or stopped by a flag (EINTR), and run in parts that
//! make one kernel-style loop over one buffer; `build_buff` keeps test_run's own rules for ctx_in.

use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use uxdp::bpf::elf::ProgKind;
use uxdp::bpf::helpers::helper_table;
use uxdp::bpf::insn::*;
use uxdp::bpf::test_run::{build_buff, test_run_xdp, TestRun, TestRunOptions, XdpMd};
use uxdp::bpf::Prog;
use uxdp::mvneta::BpfXdpProgram;
use uxdp::pool::PagePool;
use uxdp::Errno;

fn i(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn::new(code, dst, src, off, imm)
}

/// Adds 1 to the u32 at packet offset 14 (after a bounds test) and returns XDP_PASS: after N runs
/// on one buffer it has grown by N.
fn count_runs() -> Vec<Insn> {
    vec![
        i(LDX | MEM | W, 2, 1, 0, 0),
        i(LDX | MEM | W, 3, 1, 4, 0),
        i(ALU64 | MOV | X, 4, 2, 0, 0),
        i(ALU64 | ADD | K, 4, 0, 0, 18),
        i(JMP | JGT | X, 4, 3, 4, 0),
        i(LDX | MEM | W, 5, 2, 14, 0),
        i(ALU | ADD | K, 5, 0, 0, 1),
        i(STX | MEM | W, 2, 5, 14, 0),
        i(ALU64 | MOV | K, 0, 0, 0, 2),
        i(JMP | EXIT, 0, 0, 0, 0),
        i(ALU64 | MOV | K, 0, 0, 0, 0),
        i(JMP | EXIT, 0, 0, 0, 0),
    ]
}

fn prog(kind: ProgKind, jit: bool) -> Rc<Prog> {
    let p = Rc::new(Prog { name: "count_runs".into(), kind, insns: count_runs(), helpers: helper_table(None), ..Prog::default() });
    p.jit.disabled.set(!jit);
    p
}

fn counter(data_out: &[u8]) -> u32 {
    u32::from_le_bytes(data_out[14..18].try_into().unwrap())
}

#[test]
fn programs_that_are_not_xdp_are_refused_not_run() {
    let pool = PagePool::default();
    for (kind, name) in [(ProgKind::SocketFilter, "socket_filter"), (ProgKind::SchedCls, "sched_cls"), (ProgKind::Tracing, "tracing")] {
        let p = prog(kind, true);
        let e = test_run_xdp(&p, &pool, &[0u8; 64], &TestRunOptions::default()).unwrap_err();
        assert_eq!((e.errno, e.retval()), (Errno::ENOTSUPP, -524));
        assert_eq!(
            e.message,
            format!("test_run_xdp runs XDP programs (tc and socket filters run on an skb: test_run_skb); 'count_runs' is a {name} program")
        );
        assert!(TestRun::new(&p, &pool, &[0u8; 64], &TestRunOptions::default()).is_err());
        let Err(e) = BpfXdpProgram::new(p) else { panic!("attached a {name} program") };
        assert_eq!(e.errno, Errno::EINVAL);
        assert!(e.message.contains(&format!("'count_runs' is a {name} program")), "{}", e.message);
    }
    // A hand-built program is XDP, and runs.
    let out =
        test_run_xdp(&Rc::new(Prog { insns: count_runs(), ..Prog::default() }), &pool, &[0u8; 64], &TestRunOptions::default()).unwrap();
    assert_eq!((out.retval, counter(&out.data_out)), (2, 1));
    assert!(BpfXdpProgram::new(prog(ProgKind::Xdp, true)).is_ok());
    assert_eq!(pool.stats().in_flight, 0);
}

#[test]
fn devmap_and_cpumap_programs_have_no_test_run() {
    // bpf_prog_test_run_xdp refuses a program loaded for a devmap or cpumap entry (EINVAL).
    let pool = PagePool::default();
    for (attach, what) in [(uxdp::bpf::elf::ATTACH_XDP_DEVMAP, "devmap"), (uxdp::bpf::elf::ATTACH_XDP_CPUMAP, "cpumap")] {
        let p = Rc::new(Prog { name: "entry".into(), insns: count_runs(), attach_type: attach, ..Prog::default() });
        let e = test_run_xdp(&p, &pool, &[0u8; 64], &TestRunOptions::default()).unwrap_err();
        assert_eq!(e.errno, Errno::EINVAL);
        assert!(e.message.contains(&format!("a {what} entry")), "{}", e.message);
    }
    assert_eq!(pool.stats().in_flight, 0);
}

#[test]
fn a_time_budget_stops_the_repeat_loop_with_etimedout() {
    let pool = PagePool::default();
    for jit in [true, false] {
        let start = Instant::now();
        let opts = TestRunOptions { repeat: u32::MAX, timeout: Some(Duration::from_millis(30)), ..TestRunOptions::default() };
        let e = test_run_xdp(&prog(ProgKind::Xdp, jit), &pool, &[0u8; 64], &opts).unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(3), "stopped after {:?}", start.elapsed());
        assert_eq!(e.errno, Errno::ETIMEDOUT);
        let runs = e.detail.len.unwrap();
        assert!(runs > 0 && runs < u64::from(u32::MAX), "{runs}");
        assert_eq!(e.detail.limit, Some(u64::from(u32::MAX)));
        assert_eq!(e.message, format!("time budget of 30 ms used up after {runs} of {} runs", u32::MAX));
        // A budget that is not used up changes nothing.
        let opts = TestRunOptions { repeat: 1000, timeout: Some(Duration::from_secs(60)), ..TestRunOptions::default() };
        let out = test_run_xdp(&prog(ProgKind::Xdp, jit), &pool, &[0u8; 64], &opts).unwrap();
        assert_eq!((out.runs, counter(&out.data_out)), (1000, 1000));
    }
    assert_eq!(pool.stats().in_flight, 0);
}

#[test]
fn a_stop_flag_ends_the_repeat_loop_with_eintr() {
    let pool = PagePool::default();
    let stop = Arc::new(AtomicBool::new(true));
    let opts = TestRunOptions { repeat: u32::MAX, interrupt: Some(stop), ..TestRunOptions::default() };
    let e = test_run_xdp(&prog(ProgKind::Xdp, true), &pool, &[0u8; 64], &opts).unwrap_err();
    assert_eq!(e.errno, Errno::EINTR);
    let runs = e.detail.len.unwrap();
    assert!((1..1 << 20).contains(&runs), "{runs}");
    assert_eq!(e.message, format!("interrupted after {runs} of {} runs", u32::MAX));
    // Not set: the loop runs to the end.
    let opts = TestRunOptions { repeat: 500, interrupt: Some(Arc::new(AtomicBool::new(false))), ..TestRunOptions::default() };
    assert_eq!(counter(&test_run_xdp(&prog(ProgKind::Xdp, true), &pool, &[0u8; 64], &opts).unwrap().data_out), 500);
}

#[test]
fn a_loop_run_in_parts_is_one_loop_over_one_buffer() {
    let pool = PagePool::default();
    let data = vec![0u8; 9000];
    for jit in [true, false] {
        let p = prog(ProgKind::Xdp, jit);
        let whole = test_run_xdp(&p, &pool, &data, &TestRunOptions { repeat: 100_000, ..TestRunOptions::default() }).unwrap();
        let mut t = TestRun::new(&p, &pool, &data, &TestRunOptions::default()).unwrap();
        let mut done = 0;
        let mut parts = 0;
        while done < 100_000 {
            // Parts end at a deadline already passed: one slice each, growing.
            done += t.run(100_000 - done, Some(Instant::now()), None).unwrap();
            parts += 1;
        }
        assert!(parts > 3, "{parts} parts");
        assert_eq!(t.runs(), 100_000);
        assert!(t.elapsed() > Duration::ZERO);
        let out = t.finish();
        assert_eq!((out.retval, out.runs, counter(&out.data_out)), (whole.retval, 100_000, 100_000));
        assert_eq!(out.data_out, whole.data_out);
        assert_eq!((out.ctx_out, out.insns), (whole.ctx_out, whole.insns));
        assert_eq!(out.duration_ns, out.total_ns / 100_000);
    }
    assert_eq!(pool.stats().in_flight, 0);
}

#[test]
fn build_buff_keeps_the_kernel_test_run_rules_for_ctx_in() {
    let pool = PagePool::default();
    let md = |data: u32, data_end: u32| XdpMd { data, data_end, ..XdpMd::default() };
    let data = vec![7u8; 9000];
    // data_end clamped to the linear capacity, as bpf_prog_test_run_xdp clamps it.
    assert_eq!(build_buff(&pool, &data, Some(&md(0, 5000))).unwrap().linear_len(), 3520);
    // A linear part shorter than an Ethernet header, even empty, when frags follow.
    for end in [0, 5, 13] {
        let b = build_buff(&pool, &data, Some(&md(0, end))).unwrap();
        assert_eq!((b.linear_len(), b.len()), (end, 9000));
    }
    let mut with_meta = vec![1u8; 8];
    with_meta.extend_from_slice(&[0u8; 14]);
    let b = build_buff(&pool, &with_meta, Some(&md(8, 8))).unwrap();
    assert_eq!((b.meta_len(), b.linear_len(), b.len()), (8, 0, 14));
    drop(b);
    // The packet as a whole needs 14 bytes; data_end past the input and metadata that is not a
    // multiple of 4 are EINVAL.
    for (input, ctx) in [(vec![0u8; 21], md(8, 8)), (vec![0u8; 13], md(0, 5)), (vec![0u8; 100], md(0, 101)), (vec![0u8; 100], md(3, 10))] {
        assert_eq!(build_buff(&pool, &input, Some(&ctx)).unwrap_err().errno, Errno::EINVAL, "{ctx:?}");
    }
    assert_eq!(pool.stats().in_flight, 0);
}
