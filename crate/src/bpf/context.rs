//! The XDP context as programs see it: `struct xdp_md` loads converted to the xdp_buff's pointers
//! (the verifier's convert_ctx_access), and the packet regions that follow the buffer's shape.

use super::machine::Machine;
use super::memory::{Region, RegionKind};
use crate::errno::{Errno, XdpError};

/// `struct xdp_md` field offsets.
pub const XDP_MD_DATA: u64 = 0;
pub const XDP_MD_DATA_END: u64 = 4;
pub const XDP_MD_DATA_META: u64 = 8;
pub const XDP_MD_INGRESS_IFINDEX: u64 = 12;
pub const XDP_MD_RX_QUEUE_INDEX: u64 = 16;
pub const XDP_MD_EGRESS_IFINDEX: u64 = 20;
pub const XDP_MD_SIZE: usize = 24;

impl Machine<'_> {
    /// A load of `size` bytes at `addr` inside the context region.
    pub fn ctx_load(&mut self, addr: u64, size: u64) -> Result<u64, XdpError> {
        let off = addr.wrapping_sub(self.ctx);
        let invalid = || XdpError::run(Errno::EACCES, format!("invalid bpf_context access off={off} size={size}")).access(addr, size);
        if size != 4 || !off.is_multiple_of(4) {
            return Err(invalid());
        }
        let Some(host) = self.xdp.as_deref_mut() else { return Err(invalid()) };
        let (ifindex, queue) = (host.ingress_ifindex(), host.rx_queue_index());
        let buff = host.buff();
        let page = buff.head_page().as_ptr() as u64;
        let l = buff.layout();
        let w = buff.ctx_window();
        let seg_base = segment_page(buff, w.segment).unwrap_or(page);
        Ok(match off {
            XDP_MD_DATA => seg_base + w.start as u64,
            XDP_MD_DATA_END => seg_base + w.end as u64,
            XDP_MD_DATA_META => page + l.data_meta as u64,
            XDP_MD_INGRESS_IFINDEX => ifindex as u64,
            XDP_MD_RX_QUEUE_INDEX => queue as u64,
            XDP_MD_EGRESS_IFINDEX => 0,
            _ => return Err(invalid()),
        })
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
        // What ctx_load answers, for compiled code: the same expressions.
        let w = buff.ctx_window();
        let seg_base = segment_page(buff, w.segment).unwrap_or(page);
        let shadow = Some([seg_base + w.start as u64, seg_base + w.end as u64, page + l.data_meta as u64, ifindex as u64, queue as u64, 0]);
        if shadow != self.ctx_shadow {
            self.ctx_shadow = shadow;
            self.mem.touch();
        }
        self.mem.replace_packet(linear, frag);
    }
}

/// The host address of the page segment `i` lives in (0 = the head page). Page addresses in the
/// frame model are the kernel's; programs get host pointers.
fn segment_page(buff: &crate::frame::XdpBuff, i: usize) -> Option<u64> {
    buff.segments().nth(i).map(|s| s.bytes.as_ptr() as u64 - u64::from(s.page_offset))
}
