//! A loaded BPF program attached to the emulated mvneta: the driver runs it per frame like any
//! native program, with the device's RX hints behind the metadata kfuncs and devmap/cpumap slots
//! bound to the NIC layer's redirect targets.

use std::rc::Rc;

use super::program::{DeviceNeed, XdpContext, XdpProgram};
use super::redirect::RedirectTarget;
use crate::bpf::attach::XdpRunner;
use crate::bpf::needs::On;
use crate::bpf::{Prog, XdpHost};
use crate::errno::{Result, XdpError};
use crate::frame::XdpBuff;
use crate::xdp::{XDP_ABORTED, XDP_REDIRECT};

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
    pub runner: XdpRunner,
    /// Frames whose run faulted (they get XDP_ABORTED, as an exception), and the last fault.
    pub faults: u64,
    pub last_fault: Option<XdpError>,
    /// The devices `bpf_redirect(ifindex)` can reach: the netns's interfaces, by ifindex.
    pub devices: Vec<(u32, RedirectTarget)>,
    /// Whether attach checks the features the program was seen to need (off: the kernel's
    /// behaviour, frames dropped at run time instead).
    pub infer_needs: bool,
}

impl BpfXdpProgram {
    /// EINVAL for a program of another type than XDP (see [`XdpRunner::new`]).
    pub fn new(prog: Rc<Prog>) -> Result<BpfXdpProgram> {
        Ok(BpfXdpProgram { runner: XdpRunner::new(prog)?, faults: 0, last_fault: None, devices: Vec::new(), infer_needs: true })
    }
}

impl XdpProgram for BpfXdpProgram {
    fn has_frags(&self) -> bool {
        self.runner.has_frags()
    }

    fn needs(&self) -> Vec<DeviceNeed> {
        if !self.infer_needs {
            return Vec::new();
        }
        let prog = &self.runner.prog;
        let mut out = Vec::new();
        for n in prog.xdp_needs() {
            let targets: Vec<Option<RedirectTarget>> = match n.on {
                On::Device => vec![None],
                On::MapTargets(m) => prog.maps.get(m as usize).map_or_else(Vec::new, |map| {
                    map.targets().iter().filter_map(|t| t.downcast_ref::<RedirectTarget>().cloned()).map(Some).collect()
                }),
                On::Ifindex(i) => self.devices.iter().filter(|(x, _)| *x == i).map(|(_, t)| Some(t.clone())).collect(),
            };
            for target in targets {
                out.push(DeviceNeed { feature: n.feature, target, pc: n.pc, why: n.why.clone() });
            }
        }
        out
    }

    fn run(&mut self, ctx: &mut XdpContext<'_>) -> u32 {
        let mut host = NicHost { ctx };
        let (result, redirect) = self.runner.run(&mut host);
        // bpf_prog_run_xdp's u32: the driver decides what a value outside the actions means.
        let action = match result {
            Ok(r) => r as u32,
            Err(e) => {
                self.faults += 1;
                self.last_fault = Some(e);
                return XDP_ABORTED;
            }
        };
        if action == XDP_REDIRECT {
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
