//! BPF_PROG_TEST_RUN for XDP programs, as `bpf_prog_test_run_xdp` does it: the input split into
//! a linear part and page frags, an optional `struct xdp_md` ctx_in placing metadata and the end
//! of the linear part, `repeat` runs on the same buffer with the average duration, and data_out
//! from data_meta to the end of the last frag. Programs of other types are refused (ENOTSUPP)
//! until the engine runs them; a time budget or a stop flag can end a long repeat loop.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::machine::{Machine, Prog, XdpHost};
use super::memory::{Memory, RegionKind, StackBuf};
use crate::errno::{Errno, Result, XdpError};
use crate::frame::{BuildOptions, XdpBuff};
use crate::pool::PagePool;
use crate::xdp::XDP_MD_SIZE;

/// `struct xdp_md` as test_run's ctx_in and ctx_out carry it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XdpMd {
    pub data: u32,
    pub data_end: u32,
    pub data_meta: u32,
    pub ingress_ifindex: u32,
    pub rx_queue_index: u32,
    pub egress_ifindex: u32,
}

impl XdpMd {
    pub fn from_bytes(b: &[u8]) -> Result<XdpMd> {
        const OP: &str = "bpf_prog_test_run";
        if b.len() > XDP_MD_SIZE && b[XDP_MD_SIZE..].iter().any(|&x| x != 0) {
            return Err(XdpError::new(Errno::E2BIG, OP, "ctx_in is larger than struct xdp_md and the rest is not zero"));
        }
        let mut full = [0u8; XDP_MD_SIZE];
        let n = b.len().min(XDP_MD_SIZE);
        full[..n].copy_from_slice(&b[..n]);
        let u = |i: usize| u32::from_le_bytes(full[i * 4..i * 4 + 4].try_into().unwrap());
        Ok(XdpMd { data: u(0), data_end: u(1), data_meta: u(2), ingress_ifindex: u(3), rx_queue_index: u(4), egress_ifindex: u(5) })
    }

    pub fn to_bytes(&self) -> [u8; XDP_MD_SIZE] {
        let mut b = [0u8; XDP_MD_SIZE];
        for (i, v) in
            [self.data, self.data_end, self.data_meta, self.ingress_ifindex, self.rx_queue_index, self.egress_ifindex].iter().enumerate()
        {
            b[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        b
    }
}

#[derive(Clone, Debug, Default)]
pub struct TestRunOptions {
    pub ctx: Option<XdpMd>,
    /// 0 counts as 1, as in the kernel.
    pub repeat: u32,
    /// The CPU per-CPU maps resolve to.
    pub cpu: u32,
    /// Instruction budget per run (None: the engine's default).
    pub budget: Option<u64>,
    /// A time budget for the whole repeat loop: once it has passed, the loop stops and the run
    /// fails with ETIMEDOUT, saying how many runs completed. The clock is read between slices of
    /// runs (about once a millisecond), never per run.
    pub timeout: Option<Duration>,
    /// Set from elsewhere (a signal handler, another thread) to stop the repeat loop: the run
    /// fails with EINTR, as the kernel's loop does on a pending signal. Read with the clock.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// The host's sockets and routes the program's helpers see, and the namespace test_run's
    /// device (loopback) is in; None: a model of loopback alone.
    pub host: Option<super::host_helpers::HostRef>,
}

#[derive(Clone, Debug)]
pub struct TestRunOutput {
    pub retval: u32,
    pub data_out: Vec<u8>,
    /// Average nanoseconds per run.
    pub duration_ns: u64,
    /// Nanoseconds of all the runs together (what the average is taken from).
    pub total_ns: u64,
    /// Runs made.
    pub runs: u64,
    pub ctx_out: XdpMd,
    /// Instructions executed by the last run.
    pub insns: u64,
    pub trace: Vec<String>,
}

/// The loopback device test_run's packets arrive on: the only ifindex it knows here.
pub const LOOPBACK_IFINDEX: u32 = 1;

struct TestRunHost<'b> {
    buff: &'b mut XdpBuff,
    queue: u32,
    /// ctx_in's ingress_ifindex, or loopback's.
    ifindex: u32,
}

impl XdpHost for TestRunHost<'_> {
    fn buff(&mut self) -> &mut XdpBuff {
        self.buff
    }
    fn ingress_ifindex(&self) -> u32 {
        self.ifindex
    }
    fn rx_queue_index(&self) -> u32 {
        self.queue
    }
}

/// The buffer test_run builds from data_in and ctx_in, with its checks and errnos: data_in is
/// the metadata (`ctx.data` bytes) then the packet, which must hold an Ethernet header;
/// `ctx.data_end` places the end of the linear part, clamped to what the linear part can hold,
/// and may leave fewer than 14 bytes there when frags follow (6.18's test_run accepts that).
pub fn build_buff(pool: &PagePool, data: &[u8], ctx: Option<&XdpMd>) -> Result<XdpBuff> {
    const OP: &str = "bpf_prog_test_run";
    let mut opts = BuildOptions { test_run_linear: true, ..BuildOptions::default() };
    let mut packet = data;
    if let Some(md) = ctx {
        if md.data_meta != 0 || md.data_end as usize > data.len() || md.data > md.data_end {
            return Err(XdpError::new(Errno::EINVAL, OP, "ctx_in: data_meta must be 0 and data <= data_end <= data_size_in"));
        }
        if md.egress_ifindex != 0 {
            return Err(XdpError::new(Errno::EINVAL, OP, "ctx_in: egress_ifindex must be 0"));
        }
        if md.ingress_ifindex == 0 && md.rx_queue_index != 0 {
            return Err(XdpError::new(Errno::EINVAL, OP, "ctx_in: rx_queue_index needs an ingress_ifindex"));
        }
        if md.ingress_ifindex != 0 && md.ingress_ifindex != LOOPBACK_IFINDEX {
            return Err(XdpError::new(Errno::ENODEV, OP, format!("ctx_in: no device with ifindex {}", md.ingress_ifindex)));
        }
        if md.ingress_ifindex != 0 && md.rx_queue_index >= 1 {
            return Err(XdpError::new(
                Errno::EINVAL,
                OP,
                format!("ctx_in: rx_queue_index {} is past the device's queues", md.rx_queue_index),
            ));
        }
        let meta = md.data as usize;
        opts.meta = data[..meta].to_vec();
        packet = &data[meta..];
        opts.linear_len = Some(md.data_end - md.data);
    }
    XdpBuff::from_bytes(pool, packet, &opts)
}

/// Runs an XDP program as BPF_PROG_TEST_RUN does: `repeat` runs on the same buffer, the
/// average duration, data_out and ctx_out. A program of another type is refused with ENOTSUPP
/// (uxdp's test_run knows XDP only); `timeout` and `interrupt` bound the repeat loop.
pub fn test_run_xdp(prog: &Rc<Prog>, pool: &PagePool, data: &[u8], opts: &TestRunOptions) -> Result<TestRunOutput> {
    let mut run = TestRun::new(prog, pool, data, opts)?;
    let repeat = u64::from(opts.repeat.max(1));
    let until = opts.timeout.map(|t| Instant::now().checked_add(t).unwrap_or_else(far_future));
    run.run(repeat, until, opts.interrupt.as_deref())?;
    if run.runs() < repeat {
        return Err(run.stopped(repeat, opts.interrupt.as_deref(), opts.timeout));
    }
    Ok(run.finish())
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 86400)
}

/// Runs between two looks at the clock at most, and how long a slice of runs may take before
/// the next one is made larger.
const MAX_SLICE: u32 = 1 << 16;
const SLICE_TIME: Duration = Duration::from_millis(1);

/// One test_run in progress: the buffer built from data_in, and the program's machine kept from
/// one batch of runs to the next, so the repeat loop can be run in parts (with the clock or a
/// stop flag looked at in between) and still be the kernel's loop over one buffer.
pub struct TestRun {
    prog: Rc<Prog>,
    buff: XdpBuff,
    ctx_in: Option<XdpMd>,
    cpu: u32,
    budget: u64,
    parts: Option<(StackBuf, Memory)>,
    rng: u64,
    runs: u64,
    elapsed: Duration,
    retval: u64,
    insns: u64,
    trace: Vec<String>,
    /// Runs per slice while the clock is being watched: doubled while a slice takes less than
    /// [`SLICE_TIME`], halved when one takes far more.
    slice: u32,
    host: Option<super::host_helpers::HostRef>,
}

impl TestRun {
    /// Checks the program's type and builds the buffer as test_run does (see [`build_buff`]).
    pub fn new(prog: &Rc<Prog>, pool: &PagePool, data: &[u8], opts: &TestRunOptions) -> Result<TestRun> {
        // The kernel answers ENOTSUPP (524) for a program type without test_run; here every
        // type but XDP is one, until the engine runs them for real.
        prog.check_xdp(Errno::ENOTSUPP, "bpf_prog_test_run", "uxdp runs XDP programs only")?;
        // With a host model, ctx_in's ingress_ifindex may name any device of the run's namespace
        // (one RX queue each), as the kernel looks it up in the caller's; without one, loopback only.
        let mut md = opts.ctx;
        if let (Some(m), Some(host)) = (md.as_mut(), opts.host.as_ref()) {
            if m.ingress_ifindex != 0 && m.ingress_ifindex != LOOPBACK_IFINDEX {
                let known = host.net.state().netns(host.netns).is_ok_and(|n| n.device(m.ingress_ifindex).is_some());
                if !known {
                    return Err(XdpError::new(Errno::ENODEV, "bpf_prog_test_run", format!("ctx_in: no device with ifindex {}", m.ingress_ifindex)));
                }
                m.ingress_ifindex = LOOPBACK_IFINDEX;
            }
        }
        let buff = build_buff(pool, data, md.as_ref())?;
        Ok(TestRun {
            prog: prog.clone(),
            buff,
            ctx_in: opts.ctx,
            cpu: opts.cpu,
            budget: opts.budget.unwrap_or(super::machine::DEFAULT_BUDGET),
            parts: None,
            rng: super::machine::RNG_SEED,
            runs: 0,
            elapsed: Duration::ZERO,
            retval: 0,
            insns: 0,
            trace: Vec::new(),
            slice: 1,
            host: opts.host.clone(),
        })
    }

    /// Runs completed so far.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Time spent in the runs so far (the loop itself, as the kernel's timer measures it).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Runs the program up to `n` more times on the buffer. Without `until` and `stop` that is
    /// one uninterrupted loop; with them the loop runs in slices and ends early, with fewer runs
    /// (not an error: see [`TestRun::stopped`]), once `until` has passed or `stop` is set. A
    /// fault ends the test_run with the fault's error, as in the kernel.
    pub fn run(&mut self, n: u64, until: Option<Instant>, stop: Option<&AtomicBool>) -> Result<u64> {
        let watched = until.is_some() || stop.is_some();
        let TestRun { prog, buff, ctx_in, cpu, budget, parts, rng, runs, elapsed, retval, insns, trace, slice, host: host_net } = self;
        let ifindex = ctx_in.map(|c| c.ingress_ifindex).filter(|&i| i != 0).unwrap_or(LOOPBACK_IFINDEX);
        let mut host = TestRunHost { buff, queue: ctx_in.map(|c| c.rx_queue_index).unwrap_or(0), ifindex };
        let first = parts.is_none();
        let mut m = Machine::with_parts(prog.clone(), parts.take());
        m.cpu = *cpu;
        m.rng = *rng;
        m.set_xdp_ctx(!first);
        m.xdp = Some(&mut host);
        m.host = host_net.clone();
        let jit_runs = m.jit_runs();
        // The regions a run leaves are the next run's unless it changed them: a helper that
        // changes the buffer's shape refreshes them itself, and `reset` drops ring records (a
        // new generation).
        let mut refreshed = None;
        let mut done = 0u64;
        let mut result = Ok(());
        while done < n {
            let count = if watched { u64::from(*slice) } else { u64::from(u32::MAX) }.min(n - done) as u32;
            let start = Instant::now();
            let r = if jit_runs {
                m.run_jit_repeat([m.ctx, 0, 0, 0, 0], count, *budget, &mut refreshed)
            } else {
                let mut r = Ok(0);
                for i in 0..count {
                    m.reset(*budget);
                    // Only the last run's instruction count is reported.
                    m.count_executed = i + 1 == count;
                    if refreshed != Some(m.mem.generation()) {
                        m.refresh_packet();
                        refreshed = Some(m.mem.generation());
                    }
                    r = m.run_auto([m.ctx, 0, 0, 0, 0]);
                    if r.is_err() {
                        break;
                    }
                }
                r
            };
            let end = Instant::now();
            *elapsed += end - start;
            match r {
                Ok(v) => *retval = v,
                Err(e) => {
                    result = Err(e.in_run());
                    break;
                }
            }
            done += u64::from(count);
            if watched {
                if until.is_some_and(|u| end >= u) || stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
                    break;
                }
                let took = end - start;
                if took < SLICE_TIME && *slice < MAX_SLICE {
                    *slice *= 2;
                } else if took > 4 * SLICE_TIME && *slice > 1 {
                    *slice /= 2;
                }
            }
        }
        *runs += done;
        *insns = m.executed;
        *rng = m.rng;
        trace.append(&mut m.trace);
        *parts = Some(m.into_parts());
        result.map(|()| done)
    }

    /// The error for a loop that [`TestRun::run`] ended before `repeat` runs: EINTR when `stop`
    /// is set, ETIMEDOUT otherwise, with how many runs completed.
    pub fn stopped(&self, repeat: u64, stop: Option<&AtomicBool>, timeout: Option<Duration>) -> XdpError {
        const OP: &str = "bpf_prog_test_run";
        let runs = self.runs;
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            return XdpError::new(Errno::EINTR, OP, format!("interrupted after {runs} of {repeat} runs")).len(runs).limit(repeat);
        }
        let budget = timeout.map(|t| format!(" of {} ms", t.as_millis())).unwrap_or_default();
        XdpError::new(Errno::ETIMEDOUT, OP, format!("time budget{budget} used up after {runs} of {repeat} runs")).len(runs).limit(repeat)
    }

    /// The results: retval of the last run, the average duration (total ÷ runs, in whole ns as
    /// the kernel divides), data_out from data_meta to the end of the last frag, ctx_out.
    pub fn finish(self) -> TestRunOutput {
        let total_ns = u64::try_from(self.elapsed.as_nanos()).unwrap_or(u64::MAX);
        let duration_ns = total_ns / self.runs.max(1);
        let l = self.buff.layout();
        let mut ctx_out = self.ctx_in.unwrap_or_default();
        let meta = l.data_meta.min(l.data);
        ctx_out.data = l.data - meta;
        ctx_out.data_end = l.data_end - meta;
        ctx_out.data_meta = 0;
        TestRunOutput {
            retval: self.retval as u32,
            data_out: self.buff.test_run_output(),
            duration_ns,
            total_ns,
            runs: self.runs,
            ctx_out,
            insns: self.insns,
            trace: self.trace,
        }
    }
}

impl Machine<'_> {
    /// Readies the machine for another run of the same program: a fresh budget, no frames, no
    /// tail calls, no redirect, and the regions a previous run left (ring records it never
    /// submitted are the verifier's business in the kernel) gone.
    pub fn reset(&mut self, budget: u64) {
        self.budget = budget;
        self.executed = 0;
        self.depth = 0;
        self.tail_calls = 0;
        self.redirect = Default::default();
        if self.mem.has(RegionKind::RingRecord) {
            self.mem.retain(|r| r.kind != RegionKind::RingRecord);
        }
        self.release_sockets();
    }

    /// [`Machine::reset`] for a repeat loop: `clean` is the generation of the regions when they
    /// last held no ring record (every change of the regions moves the generation), so the scan
    /// for ring records is skipped while they have not changed.
    #[inline]
    pub fn reset_repeat(&mut self, budget: u64, clean: &mut Option<u64>) {
        if *clean == Some(self.mem.generation()) {
            self.budget = budget;
            self.executed = 0;
            self.depth = 0;
            self.tail_calls = 0;
            self.redirect = Default::default();
        } else {
            self.reset(budget);
            *clean = Some(self.mem.generation());
        }
    }
}
