//! BPF_PROG_TEST_RUN for XDP programs, as `bpf_prog_test_run_xdp` does it: the input split into
//! a linear part and page frags, an optional `struct xdp_md` ctx_in placing metadata and the end
//! of the linear part, `repeat` runs on the same buffer with the average duration, and data_out
//! from data_meta to the end of the last frag.

use std::rc::Rc;
use std::time::Instant;

use super::context::XDP_MD_SIZE;
use super::machine::{Machine, Prog, XdpHost};
use super::memory::{Region, RegionKind};
use crate::errno::{Errno, Result, XdpError};
use crate::frame::{BuildOptions, XdpBuff};
use crate::pool::PagePool;

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
}

#[derive(Clone, Debug)]
pub struct TestRunOutput {
    pub retval: u32,
    pub data_out: Vec<u8>,
    /// Average nanoseconds per run.
    pub duration_ns: u64,
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
}

impl XdpHost for TestRunHost<'_> {
    fn buff(&mut self) -> &mut XdpBuff {
        self.buff
    }
    fn ingress_ifindex(&self) -> u32 {
        LOOPBACK_IFINDEX
    }
    fn rx_queue_index(&self) -> u32 {
        self.queue
    }
}

/// The buffer test_run builds from data_in and ctx_in, with its checks and errnos.
pub fn build_buff(pool: &PagePool, data: &[u8], ctx: Option<&XdpMd>) -> Result<XdpBuff> {
    const OP: &str = "bpf_prog_test_run";
    let mut opts = BuildOptions::default();
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
        // ctx_in's data_end sets the linear size; bpf_test_init wants an Ethernet header in it.
        if md.data_end < 14 {
            return Err(XdpError::new(
                Errno::EINVAL,
                OP,
                format!("ctx_in: data_end {} leaves no room for an Ethernet header", md.data_end),
            ));
        }
        opts.linear_len = Some(md.data_end - md.data);
    }
    XdpBuff::from_bytes(pool, packet, &opts)
}

/// Runs an XDP program as BPF_PROG_TEST_RUN does.
pub fn test_run_xdp(prog: &Rc<Prog>, pool: &PagePool, data: &[u8], opts: &TestRunOptions) -> Result<TestRunOutput> {
    let mut buff = build_buff(pool, data, opts.ctx.as_ref())?;
    let repeat = opts.repeat.max(1);
    let mut ctx_mem = [0u8; XDP_MD_SIZE];
    let mut host = TestRunHost { buff: &mut buff, queue: opts.ctx.map(|c| c.rx_queue_index).unwrap_or(0) };
    let mut m = Machine::new(prog.clone());
    m.cpu = opts.cpu;
    m.ctx = ctx_mem.as_mut_ptr() as u64;
    m.mem.push(Region::of_slice(&mut ctx_mem, false, RegionKind::Ctx, 0));
    m.xdp = Some(&mut host);
    let budget = opts.budget.unwrap_or(super::machine::DEFAULT_BUDGET);
    let mut retval = 0;
    let start = Instant::now();
    // The regions a run leaves are the next run's unless it changed them: a helper that changes
    // the buffer's shape refreshes them itself, and `reset` drops ring records (a new generation).
    let mut refreshed = None;
    if m.jit_runs() {
        retval = m.run_jit_repeat([m.ctx, 0, 0, 0, 0], repeat, budget, &mut refreshed).map_err(XdpError::from)?;
    } else {
        for i in 0..repeat {
            m.reset(budget);
            // Only the last run's instruction count is reported.
            m.count_executed = i + 1 == repeat;
            if refreshed != Some(m.mem.generation()) {
                m.refresh_packet();
                refreshed = Some(m.mem.generation());
            }
            retval = m.run_auto([m.ctx, 0, 0, 0, 0]).map_err(XdpError::from)?;
        }
    }
    let duration_ns = (start.elapsed().as_nanos() / u128::from(repeat)) as u64;
    let insns = m.executed;
    let trace = std::mem::take(&mut m.trace);
    drop(m);
    let l = buff.layout();
    let mut ctx_out = opts.ctx.unwrap_or_default();
    let meta = l.data_meta.min(l.data);
    ctx_out.data = l.data - meta;
    ctx_out.data_end = l.data_end - meta;
    ctx_out.data_meta = 0;
    Ok(TestRunOutput { retval: retval as u32, data_out: buff.test_run_output(), duration_ns, ctx_out, insns, trace })
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
