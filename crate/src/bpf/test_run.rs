//! BPF_PROG_TEST_RUN for XDP programs, as `bpf_prog_test_run_xdp` does it: the input split into
//! a linear part and page frags, an optional `struct xdp_md` ctx_in placing metadata and the end
//! of the linear part, `repeat` runs on the same buffer with the average duration, and data_out
//! from data_meta to the end of the last frag; and for tc and socket-filter programs
//! `bpf_prog_test_run_skb` ([`test_run_skb`]). Programs of other types are refused (ENOTSUPP);
//! a time budget or a stop flag can end a long repeat loop.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::context_skb::{SkBuff, SkbContext, SkbProgKind};
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
/// (tc and socket filters go through [`test_run_skb`]); `timeout` and `interrupt` bound the repeat loop.
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
        // The kernel answers ENOTSUPP (524) for a program type without test_run; tc and socket
        // filters have one, on an skb (test_run_skb), not this one.
        prog.check_xdp(
            Errno::ENOTSUPP,
            "bpf_prog_test_run",
            "test_run_xdp runs XDP programs (tc and socket filters run on an skb: test_run_skb)",
        )?;
        // A devmap or cpumap program runs on a frame another program redirected: the kernel has no
        // test_run for it.
        if matches!(prog.attach_type, super::elf::ATTACH_XDP_DEVMAP | super::elf::ATTACH_XDP_CPUMAP) {
            return Err(XdpError::new(
                Errno::EINVAL,
                "bpf_prog_test_run",
                format!("'{}' is loaded for a {} entry (expected_attach_type {}): XDP test_run refuses it", prog.name, if prog.attach_type == super::elf::ATTACH_XDP_DEVMAP { "devmap" } else { "cpumap" }, prog.attach_type),
            ));
        }
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

/// Whether test_run builds an skb for programs of this type (tc and socket filters; see
/// [`test_run_skb`]) rather than an xdp_buff.
pub fn runs_on_skb(kind: super::elf::ProgKind) -> bool {
    use super::elf::ProgKind;
    matches!(kind, ProgKind::SchedCls | ProgKind::SchedAct | ProgKind::SocketFilter)
}

/// BPF_PROG_TEST_RUN's options for an skb program.
#[derive(Clone, Debug, Default)]
pub struct SkbRunOptions {
    /// ctx_in (and the request for ctx_out), `struct __sk_buff`.
    pub ctx: Option<SkBuff>,
    /// 0 counts as 1.
    pub repeat: u32,
    pub cpu: u32,
    pub budget: Option<u64>,
    /// The host model: its sockets and routes (the socket-lookup, FIB and MTU helpers), its
    /// conntrack table (the conntrack kfuncs); the run's device (loopback, or ctx_in's ifindex) is
    /// in its namespace.
    pub host: Option<super::host_helpers::HostRef>,
}

#[derive(Clone, Debug)]
pub struct SkbRunOutput {
    pub retval: u32,
    /// `skb->len` bytes from `skb->data`: for a socket filter, 14 zero bytes where the Ethernet
    /// header was, then the packet from its network header (as the kernel pushes them back).
    pub data_out: Vec<u8>,
    pub duration_ns: u64,
    pub runs: u64,
    /// ctx_in with the fields test_run copies back (None without ctx_in).
    pub ctx_out: Option<SkBuff>,
    /// What bpf_redirect asked for (ifindex, flags), if the last run called it.
    pub redirect: Option<(u32, u64)>,
    pub insns: u64,
    pub trace: Vec<String>,
}

/// The largest data_in an skb test_run takes in 6.18: one page less the headroom and the shared
/// info (4096 − 64 − 320); beyond it EINVAL.
pub const SKB_TEST_RUN_MAX: usize = 4096 - crate::frame::TEST_RUN_SKB_HEADROOM as usize - 320;

/// Runs a tc (SCHED_CLS / SCHED_ACT) or socket-filter program as 6.18's `bpf_prog_test_run_skb`
/// does: data_in of 14 .. [`SKB_TEST_RUN_MAX`] bytes becomes a linear skb on the loopback device
/// (`eth_type_trans`; an IPv4 or IPv6 EtherType needs the whole IP header, else EINVAL), `skb->data`
/// at the MAC header for tc and at the network header for socket filters, ctx_in's fields applied
/// (see [`SkbContext::apply_ctx_in`]), `repeat` runs on the same skb in the interpreter (the JIT
/// does not compile skb programs), then data_out and ctx_out.
pub fn test_run_skb(prog: &Rc<Prog>, data: &[u8], opts: &SkbRunOptions) -> Result<SkbRunOutput> {
    use super::elf::ProgKind;
    const OP: &str = "bpf_prog_test_run";
    prog.check_kind(
        &[ProgKind::SchedCls, ProgKind::SchedAct, ProgKind::SocketFilter],
        Errno::ENOTSUPP,
        OP,
        "uxdp's skb test_run runs tc and socket-filter programs",
    )?;
    if data.len() < crate::frame::layout::ETH_HLEN as usize || data.len() > SKB_TEST_RUN_MAX {
        return Err(XdpError::new(
            Errno::EINVAL,
            OP,
            format!("data_in must hold 14 to {SKB_TEST_RUN_MAX} bytes (6.18 builds a linear skb)"),
        )
        .len(data.len() as u64)
        .limit(SKB_TEST_RUN_MAX as u64));
    }
    let ifindex = opts.ctx.map_or(0, |c| c.u32_at(super::context_skb::off::IFINDEX));
    // ctx_in's ifindex above loopback's picks the skb's device (dev_get_by_index in the run's
    // namespace): one of the host model's, else ENODEV.
    let mut dev = crate::frame::NetDev { ifindex: LOOPBACK_IFINDEX, dev_addr: [0; 6] };
    if ifindex > LOOPBACK_IFINDEX {
        let found = opts.host.as_ref().and_then(|h| {
            let st = h.net.state();
            st.netns(h.netns).ok().and_then(|n| n.device(ifindex)).map(|d| d.mac)
        });
        let Some(mac) = found else {
            return Err(XdpError::new(
                Errno::ENODEV,
                OP,
                format!("ctx_in: no device with ifindex {ifindex} (test_run knows the loopback device and the host model's)"),
            ));
        };
        dev = crate::frame::NetDev { ifindex, dev_addr: mac };
    }
    let tc = prog.kind != ProgKind::SocketFilter;
    let skb = crate::frame::Skb::for_test_run(data, &dev);
    let kind = if tc { SkbProgKind::Tc } else { SkbProgKind::SocketFilter };
    let mut sc = SkbContext::new(skb, kind);
    sc.fill_test_socket()?;
    if tc {
        sc.skb.push(crate::frame::layout::ETH_HLEN);
    }
    if let Some(c) = &opts.ctx {
        sc.apply_ctx_in(c)?;
    }
    let repeat = opts.repeat.max(1);
    let budget = opts.budget.unwrap_or(super::machine::DEFAULT_BUDGET);
    let mut m = Machine::new(prog.clone());
    m.cpu = opts.cpu;
    m.set_skb_ctx(false);
    m.skb = Some(&mut sc);
    m.host = opts.host.clone();
    let start = Instant::now();
    let mut retval = 0;
    for i in 0..repeat {
        m.reset(budget);
        m.count_executed = i + 1 == repeat;
        if let Some(s) = m.skb.as_deref_mut() {
            s.redirect = None;
        }
        m.refresh_packet();
        m.expose_test_socket();
        // The interpreter, always: the JIT keeps a shadow of xdp_md only.
        retval = m.run([m.ctx, 0, 0, 0, 0]).map_err(|e| e.in_run())?;
    }
    let elapsed = start.elapsed();
    let (insns, trace) = (m.executed, std::mem::take(&mut m.trace));
    drop(m);
    if !tc {
        // The Ethernet header goes back as 14 zero bytes (the head grown if the program took
        // the headroom).
        let hh = crate::frame::layout::ETH_HLEN;
        sc.skb.cow_head(hh)?;
        sc.skb.push(hh);
        sc.skb.linear_mut()[..hh as usize].fill(0);
    }
    let total_ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    Ok(SkbRunOutput {
        retval: retval as u32,
        data_out: sc.skb.to_vec(),
        duration_ns: total_ns / u64::from(repeat),
        runs: u64::from(repeat),
        ctx_out: opts.ctx.map(|c| sc.ctx_out(&c)),
        redirect: sc.redirect,
        insns,
        trace,
    })
}

#[cfg(test)]
mod skb_tests {
    use super::*;
    use crate::bpf::asm::assemble;
    use crate::bpf::context_skb::off;
    use crate::bpf::elf::ProgKind;

    fn prog(kind: ProgKind, src: &str) -> Rc<Prog> {
        let insns = assemble(src).unwrap_or_else(|e| panic!("{e}"));
        Rc::new(Prog { kind, insns, helpers: crate::bpf::helpers::helper_table(None), ..Prog::default() })
    }

    fn frame(len: usize) -> Vec<u8> {
        let mut f: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
        f[12..14].copy_from_slice(&[0x88, 0xb5]);
        f
    }

    fn run(p: &Rc<Prog>, data: &[u8], ctx: Option<SkBuff>) -> Result<SkbRunOutput> {
        test_run_skb(p, data, &SkbRunOptions { ctx, ..Default::default() })
    }

    #[test]
    fn tc_sees_the_frame_and_a_socket_filter_the_packet() {
        let src = format!("ldxw %r0, [%r1+{}]\nexit", off::LEN);
        let tc = run(&prog(ProgKind::SchedCls, &src), &frame(60), None).unwrap();
        assert_eq!((tc.retval, tc.data_out.len()), (60, 60));
        let sf = run(&prog(ProgKind::SocketFilter, &src), &frame(60), None).unwrap();
        assert_eq!(sf.retval, 46);
        assert_eq!(&sf.data_out[..14], &[0; 14]);
        assert_eq!(&sf.data_out[14..], &frame(60)[14..]);
    }

    #[test]
    fn sizes_and_types_are_refused_as_the_kernel_refuses_them() {
        let p = prog(ProgKind::SchedCls, "mov %r0, 0\nexit");
        assert_eq!(run(&p, &frame(14)[..13], None).unwrap_err().errno, Errno::EINVAL);
        assert!(run(&p, &frame(SKB_TEST_RUN_MAX), None).is_ok());
        assert_eq!(run(&p, &frame(SKB_TEST_RUN_MAX + 1), None).unwrap_err().errno, Errno::EINVAL);
        let mut ip = frame(33);
        ip[12..14].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(run(&p, &ip, None).unwrap_err().errno, Errno::EINVAL);
        let mut ctx = SkBuff::default();
        ctx.0[off::IFINDEX as usize] = 2;
        assert_eq!(run(&p, &frame(60), Some(ctx)).unwrap_err().errno, Errno::ENODEV);
        let xdp = prog(ProgKind::Xdp, "mov %r0, 0\nexit");
        assert_eq!(run(&xdp, &frame(60), None).unwrap_err().errno, Errno::ENOTSUPP);
    }

    #[test]
    fn ctx_stores_come_back_in_ctx_out() {
        let src = format!("mov %r2, 77\nstxw [%r1+{}], %r2\nstb [%r1+{}], 9\nmov %r0, 0\nexit", off::MARK, off::CB + 19);
        let out = run(&prog(ProgKind::SchedCls, &src), &frame(60), Some(SkBuff::default())).unwrap();
        let c = out.ctx_out.unwrap();
        assert_eq!((c.u32_at(off::MARK), c.u32_at(off::CB + 16), c.u32_at(off::IFINDEX), c.u32_at(off::WIRE_LEN)), (77, 9 << 24, 1, 60));
        // a socket filter may not write mark: the run faults with the context's words
        let sf = run(&prog(ProgKind::SocketFilter, &format!("stw [%r1+{}], 1\nmov %r0, 0\nexit", off::LEN)), &frame(60), None);
        assert_eq!(sf.unwrap_err().errno, Errno::EACCES);
    }

    #[test]
    fn ld_abs_out_of_bounds_returns_0_from_the_program() {
        let src = "mov %r6, %r1\nldabsh 12\nmov %r7, %r0\nldabsb 59\nadd %r0, %r7\nexit";
        let ok = run(&prog(ProgKind::SchedCls, src), &frame(60), None).unwrap();
        assert_eq!(ok.retval, 0x88b5 + u32::from(frame(60)[59]));
        let oob = "mov %r6, %r1\nldabsh 12\nldabsb 60\nmov %r0, 1\nexit";
        assert_eq!(run(&prog(ProgKind::SchedCls, oob), &frame(60), None).unwrap().retval, 0);
        // LD_IND: src + imm; from a socket filter, offsets count from the network header
        let ind = "mov %r6, %r1\nmov %r2, 30\nldindb %r2, 15\nexit";
        assert_eq!(run(&prog(ProgKind::SocketFilter, ind), &frame(60), None).unwrap().retval, u32::from(frame(60)[14 + 45]));
        assert_eq!(run(&prog(ProgKind::SocketFilter, ind), &frame(59), None).unwrap().retval, 0);
    }

    #[test]
    fn helpers_answer_their_corner_cases() {
        // r0 = bpf_skb_change_tail(skb, r2, 0); then skb->len in the upper half
        let tail = |len: u32, flags: u32| {
            let src = format!(
                "mov %r6, %r1\nmov %r2, {len}\nmov %r3, {flags}\ncall 38\nlsh %r0, 32\nrsh %r0, 32\nldxw %r1, [%r6+0]\nlsh %r1, 16\nor %r0, %r1\nexit"
            );
            run(&prog(ProgKind::SchedCls, &src), &frame(60), None).unwrap()
        };
        let grown = tail(5000, 0);
        assert_eq!(grown.retval, 5000 << 16);
        assert_eq!(grown.data_out.len(), 5000);
        assert!(grown.data_out[60..].iter().all(|&b| b == 0));
        assert_eq!(tail(13, 0).retval & 0xffff, (-22i32 as u32) & 0xffff);
        assert_eq!(tail(60, 1).retval & 0xffff, (-22i32 as u32) & 0xffff);
        assert_eq!(tail(16065, 0).retval & 0xffff, (-22i32 as u32) & 0xffff);
        // bpf_skb_vlan_push twice: the first tag goes into the packet
        let vlan = "mov %r6, %r1\nmov %r2, 0xa888\nmov %r3, 5\ncall 18\nmov %r1, %r6\nmov %r2, 0x81\nmov %r3, 7\ncall 18\nexit";
        let v = run(&prog(ProgKind::SchedCls, vlan), &frame(60), None).unwrap();
        assert_eq!(v.retval, 0);
        assert_eq!(v.data_out.len(), 64);
        assert_eq!(&v.data_out[12..18], &[0x88, 0xa8, 0, 5, 0x88, 0xb5]);
        // bpf_l3_csum_replace at an odd offset: EFAULT
        let csum = "mov %r2, 15\nmov %r3, 0\nmov %r4, 0\nmov %r5, 2\ncall 10\nexit";
        assert_eq!(run(&prog(ProgKind::SchedCls, csum), &frame(60), None).unwrap().retval, -14i32 as u32);
        // bpf_redirect: TC_ACT_REDIRECT, noted; unknown flags TC_ACT_SHOT
        let redir =
            |flags: u32| run(&prog(ProgKind::SchedCls, &format!("mov %r1, 3\nmov %r2, {flags}\ncall 23\nexit")), &frame(60), None).unwrap();
        let r = redir(1);
        assert_eq!((r.retval, r.redirect), (7, Some((3, 1))));
        assert_eq!(redir(2).retval, 2);
    }

    #[test]
    fn repeat_runs_on_the_same_skb() {
        // each run pushes 4 bytes of head: after 3 runs the frame is 12 bytes longer
        let src = "mov %r2, 4\nmov %r3, 0\ncall 43\nexit";
        let out = test_run_skb(&prog(ProgKind::SchedCls, src), &frame(60), &SkbRunOptions { repeat: 3, ..Default::default() }).unwrap();
        assert_eq!((out.retval, out.data_out.len(), out.runs), (0, 72, 3));
        assert_eq!(&out.data_out[..12], &[0; 12]);
    }
}
