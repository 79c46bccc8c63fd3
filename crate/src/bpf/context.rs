//! The XDP context as programs see it: `struct xdp_md` loads converted to the xdp_buff's pointers
//! (the verifier's convert_ctx_access, whose values the XDP contract gives), and the packet
//! regions that follow the buffer's shape.

use super::machine::Machine;
use super::memory::{Region, RegionKind};
use crate::errno::{Errno, XdpError};
use crate::xdp::{segment_page, xdp_md_values, XDP_MD_SIZE};

impl Machine<'_> {
    /// A load of `size` bytes at `addr` inside the context region.
    pub fn ctx_load(&mut self, addr: u64, size: u64) -> Result<u64, XdpError> {
        let off = addr.wrapping_sub(self.ctx);
        let invalid = || XdpError::run(Errno::EACCES, format!("invalid bpf_context access off={off} size={size}")).access(addr, size);
        if size != 4 || !off.is_multiple_of(4) {
            return Err(invalid());
        }
        let Some(host) = self.xdp.as_deref_mut() else { return Err(invalid()) };
        if off >= XDP_MD_SIZE as u64 {
            return Err(invalid());
        }
        let (ifindex, queue) = (host.ingress_ifindex(), host.rx_queue_index());
        Ok(xdp_md_values(host.buff(), ifindex, queue)[off as usize / 4])
    }

    /// Re-registers the packet's regions after the buffer changed shape: the linear part from
    /// data_meta to data_end. Frag slices handed out before are dropped, as the verifier
    /// invalidates packet pointers after such helpers.
    pub fn refresh_packet(&mut self) {
        let Some(host) = self.xdp.as_deref_mut() else {
            self.mem.retain(|r| !matches!(r.kind, RegionKind::Packet | RegionKind::Frag));
            self.ctx_shadow = None;
            self.mem.touch();
            return;
        };
        let (ifindex, queue) = (host.ingress_ifindex(), host.rx_queue_index());
        let buff = host.buff();
        let page = buff.head_page().as_ptr() as u64;
        let l = buff.layout();
        let meta = l.data_meta.min(l.data);
        let linear = Region::new(page + meta as u64, (l.data_end - meta) as u64, true, RegionKind::Packet, 0);
        let mut frag = None;
        if let Some(w) = buff.data_window() {
            if w.segment > 0 {
                let addr = segment_page(buff, w.segment).unwrap_or(0);
                frag = Some(Region::new(addr + w.start as u64, (w.end - w.start) as u64, true, RegionKind::Frag, 0));
            }
        }
        // What ctx_load answers, for compiled code.
        let shadow = Some(xdp_md_values(buff, ifindex, queue));
        if shadow != self.ctx_shadow {
            self.ctx_shadow = shadow;
            self.mem.touch();
        }
        self.mem.replace_packet(linear, frag);
    }
}
