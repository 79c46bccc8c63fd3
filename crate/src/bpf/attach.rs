//! A loaded XDP program attached to the emulated mvneta: the driver runs it per frame like any
//! native program, with the device's RX hints behind the metadata kfuncs and devmap/cpumap slots
//! bound to the NIC layer's redirect targets.

use std::rc::Rc;

use super::context::XDP_MD_SIZE;
use super::helpers::{XDP_ABORTED, XDP_REDIRECT};
use super::machine::{Machine, Prog, VmError, XdpHost, DEFAULT_BUDGET};
use super::memory::{Memory, Region, RegionKind};
use crate::errno::Result;
use crate::frame::XdpBuff;
use crate::mvneta::program::{XdpContext, XdpProgram};
use crate::mvneta::redirect::RedirectTarget;

struct NicHost<'c, 'b> {
    ctx: &'c mut XdpContext<'b>,
}

impl XdpHost for NicHost<'_, '_> {
    fn buff(&mut self) -> &mut XdpBuff {
        self.ctx.buff
    }
    fn ingress_ifindex(&self) -> u32 {
        self.ctx.ifindex
    }
    fn rx_queue_index(&self) -> u32 {
        self.ctx.rx_queue_index
    }
    fn rx_hash(&mut self) -> Result<(u32, u32)> {
        self.ctx.rx_hash()
    }
    fn rx_timestamp(&mut self) -> Result<u64> {
        self.ctx.rx_timestamp()
    }
    fn rx_vlan_tag(&mut self) -> Result<(u16, u16)> {
        self.ctx.rx_vlan_tag().map(|v| (v.proto, v.tci))
    }
}

pub struct BpfXdpProgram {
    pub prog: Rc<Prog>,
    pub cpu: u32,
    /// Frames whose run faulted (they get XDP_ABORTED, as an exception), and the last fault.
    pub faults: u64,
    pub last_fault: Option<VmError>,
    /// The devices `bpf_redirect(ifindex)` can reach: the netns's interfaces, by ifindex.
    pub devices: Vec<(u32, RedirectTarget)>,
    /// The stack and memory regions of the last frame's machine, and the context block those
    /// regions name: built on the first frame, kept for the next.
    parts: Option<(Box<[u8]>, Memory)>,
    ctx_mem: Box<[u8; XDP_MD_SIZE]>,
}

impl BpfXdpProgram {
    /// A program for a device's XDP hook: EINVAL for a program of another type, as the kernel's
    /// `bpf_prog_get_type_dev(fd, BPF_PROG_TYPE_XDP)` refuses it.
    pub fn new(prog: Rc<Prog>) -> Result<BpfXdpProgram> {
        prog.check_xdp(crate::errno::Errno::EINVAL, "dev_xdp_attach", "only XDP programs attach to a device's XDP hook")?;
        Ok(BpfXdpProgram {
            prog,
            cpu: 0,
            faults: 0,
            last_fault: None,
            devices: Vec::new(),
            parts: None,
            ctx_mem: Box::new([0; XDP_MD_SIZE]),
        })
    }
}

impl XdpProgram for BpfXdpProgram {
    fn has_frags(&self) -> bool {
        self.prog.frags
    }

    fn run(&mut self, ctx: &mut XdpContext<'_>) -> u32 {
        let mut host = NicHost { ctx };
        let first = self.parts.is_none();
        let mut m = Machine::with_parts(self.prog.clone(), self.parts.take());
        m.cpu = self.cpu;
        m.ctx = self.ctx_mem.as_mut_ptr() as u64;
        if first {
            m.mem.push(Region::of_slice(&mut self.ctx_mem[..], false, RegionKind::Ctx, 0));
        }
        m.xdp = Some(&mut host);
        // Nothing reads the instruction count of a frame's run.
        m.count_executed = false;
        m.reset(DEFAULT_BUDGET);
        m.refresh_packet();
        let result = m.run_auto([m.ctx, 0, 0, 0, 0]);
        let redirect = std::mem::take(&mut m.redirect);
        self.parts = Some(m.into_parts());
        let action = match result {
            Ok(r) => r as u32,
            Err(e) => {
                self.faults += 1;
                self.last_fault = Some(e);
                return XDP_ABORTED as u32;
            }
        };
        if u64::from(action) == XDP_REDIRECT {
            // A missing target (an unknown ifindex, an unbound slot) goes to the driver as none,
            // which it counts as a redirect error, as xdp_do_redirect fails.
            let target = match redirect.map {
                Some(map) => map.target(redirect.key).and_then(|t| t.downcast_ref::<RedirectTarget>().cloned()),
                None => self.devices.iter().find(|(i, _)| *i == redirect.ifindex).map(|(_, t)| t.clone()),
            };
            host.ctx.redirect = target;
        }
        action
    }
}
