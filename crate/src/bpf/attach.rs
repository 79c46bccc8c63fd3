//! A loaded XDP program on a device's hook: the engine's side of attaching, run once per frame
//! by whichever driver holds it. The driver supplies the frame and its RX hints through an
//! [`XdpHost`] and gets the program's return value and its `bpf_redirect_info`; what the value
//! means to the device (the XDP contract's actions) and where a redirect goes are the driver's.

use std::rc::Rc;

use super::machine::{Machine, Prog, RedirectInfo, XdpHost, DEFAULT_BUDGET};
use super::memory::{Memory, StackBuf};
use crate::errno::{Result, XdpError};

pub struct XdpRunner {
    pub prog: Rc<Prog>,
    pub cpu: u32,
    /// The stack and memory regions of the last frame's machine (the context's among them):
    /// built on the first frame, kept for the next.
    parts: Option<(StackBuf, Memory)>,
    /// The host's sockets and routes the program's helpers ask, and the namespace the device
    /// is in (None: a model of loopback alone).
    pub host: Option<super::host_helpers::HostRef>,
}

impl XdpRunner {
    /// A program for a device's XDP hook: EINVAL for a program of another type, as the kernel's
    /// `bpf_prog_get_type_dev(fd, BPF_PROG_TYPE_XDP)` refuses it.
    pub fn new(prog: Rc<Prog>) -> Result<XdpRunner> {
        prog.check_xdp(crate::errno::Errno::EINVAL, "dev_xdp_attach", "only XDP programs attach to a device's XDP hook")?;
        Ok(XdpRunner { prog, cpu: 0, parts: None, host: None })
    }

    /// `xdp.frags`: the program accepts multi-buffer frames.
    pub fn has_frags(&self) -> bool {
        self.prog.frags
    }

    /// One frame: the program's r0 (or its fault) and what bpf_redirect / bpf_redirect_map
    /// asked for during the run.
    pub fn run(&mut self, host: &mut dyn XdpHost) -> (std::result::Result<u64, XdpError>, RedirectInfo) {
        let first = self.parts.is_none();
        let mut m = Machine::with_parts(self.prog.clone(), self.parts.take());
        m.cpu = self.cpu;
        m.set_xdp_ctx(!first);
        m.xdp = Some(host);
        m.host = self.host.clone();
        // Nothing reads the instruction count of a frame's run.
        m.count_executed = false;
        m.reset(DEFAULT_BUDGET);
        m.refresh_packet();
        let result = m.run_auto([m.ctx, 0, 0, 0, 0]);
        let redirect = std::mem::take(&mut m.redirect);
        self.parts = Some(m.into_parts());
        (result, redirect)
    }
}
