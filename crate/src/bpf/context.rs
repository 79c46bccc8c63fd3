//! The XDP context as programs see it: `struct xdp_md` loads converted to the xdp_buff's pointers
//! (the verifier's convert_ctx_access, whose values the XDP contract gives), and the packet
//! regions that follow the buffer's shape.

use super::machine::Machine;
use super::memory::{Region, RegionKind};
use crate::errno::{Errno, XdpError};
use crate::xdp::{segment_page, xdp_md_values, XDP_MD_SIZE};

/// The address an XDP program gets as its context (r1), in a range no host allocation can have
/// (the kernel's half of the address space, as [`FUNC_ADDR_BASE`](super::insn::FUNC_ADDR_BASE)
/// for callbacks, 256 MiB above it). No memory is behind it: every load from the context is
/// converted ([`Machine::ctx_load`], the JIT's shadow), stores and atomics are refused, and
/// helpers are refused it as memory. Because it is nowhere near the stack, the packet's pages or
/// map values, a wild pointer computed from one of them is told apart from a context access by
/// its value alone, never by where the allocator happened to put a context block.
pub const CTX_ADDR: u64 = 0xffff_ffff_b000_0000;

/// The context's region: [`CTX_ADDR`] and the size of `struct xdp_md`, read-only.
pub fn ctx_region() -> Region {
    Region::new(CTX_ADDR, XDP_MD_SIZE as u64, false, RegionKind::Ctx, 0)
}

impl Machine<'_> {
    /// Gives the machine the XDP context: r1's address, and its region unless `registered`
    /// (regions kept from an earlier frame's machine have it already).
    pub fn set_xdp_ctx(&mut self, registered: bool) {
        self.ctx = CTX_ADDR;
        if !registered {
            self.mem.push(ctx_region());
        }
    }

    /// A load of `size` bytes at `addr` inside the context region.
    pub fn ctx_load(&mut self, addr: u64, size: u64) -> Result<u64, XdpError> {
        if self.skb.is_some() {
            return self.skb_ctx_load(addr, size);
        }
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
        if self.skb.is_some() {
            return self.refresh_skb_packet();
        }
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
