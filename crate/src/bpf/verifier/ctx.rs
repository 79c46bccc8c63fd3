//! The context rules: which fields of `struct xdp_md` and `struct __sk_buff` a program type may
//! read or write, at which sizes, and which loads give a pointer (data, data_meta, data_end, sk)
//! rather than a scalar. A refusal is the kernel's `invalid bpf_context access off=N size=N`.

use super::explore::Verifier;
use super::state::*;
use super::{refuse, VResult};
use crate::bpf::elf::ProgKind;
use crate::errno::Errno;
use crate::xdp;

/// `struct __sk_buff` field offsets (uapi).
mod skb {
    pub const MARK: i32 = 8;
    pub const QUEUE_MAPPING: i32 = 12;
    pub const PRIORITY: i32 = 32;
    pub const TC_INDEX: i32 = 44;
    pub const CB: i32 = 48;
    pub const CB_END: i32 = 68;
    pub const TC_CLASSID: i32 = 72;
    pub const DATA: i32 = 76;
    pub const DATA_END: i32 = 80;
    pub const FAMILY: i32 = 88;
    pub const REMOTE_IP4: i32 = 92;
    pub const LOCAL_IP4: i32 = 96;
    pub const REMOTE_IP6: i32 = 100;
    pub const LOCAL_IP6: i32 = 116;
    pub const LOCAL_PORT_END: i32 = 140;
    pub const DATA_META: i32 = 140;
    pub const FLOW_KEYS: i32 = 144;
    pub const TSTAMP: i32 = 152;
    pub const WIRE_LEN: i32 = 160;
    pub const SK: i32 = 168;
    pub const TSTAMP_TYPE: i32 = 180;
    pub const HWTSTAMP: i32 = 184;
    pub const SIZE: i32 = 192;
}

fn in_field(off: i32, start: i32, len: i32) -> bool {
    off >= start && off < start + len
}

/// `bpf_ctx_narrow_access_ok`: a power-of-two read no wider than the field.
fn narrow_ok(size: i32, field: i32) -> bool {
    size <= field && size & (size - 1) == 0
}

impl Verifier<'_> {
    /// The type a read of the context at `off` gives (SCALAR or a pointer type), or the refusal.
    pub(super) fn check_ctx_access(&mut self, off: i32, size: i32, write: bool, sx: bool) -> VResult<u32> {
        let ok = match self.prog_type() {
            ProgKind::Xdp => self.xdp_access(off, size, write, sx),
            ProgKind::SocketFilter => sk_filter_access(off, size, write, sx),
            ProgKind::SchedCls | ProgKind::SchedAct => tc_access(off, size, write, sx),
            ProgKind::StructOps => self.opts.ctx_layout.as_ref().filter(|l| l.access(off, size, write)).map(|_| SCALAR),
            _ => None,
        };
        match ok {
            Some(ty) => Ok(ty),
            None => refuse(Errno::EACCES, format!("invalid bpf_context access off={off} size={size}")),
        }
    }

    fn xdp_access(&self, off: i32, size: i32, write: bool, sx: bool) -> Option<u32> {
        if self.opts.expected_attach_type != crate::bpf::elf::ATTACH_XDP_DEVMAP && off == xdp::XDP_MD_EGRESS_IFINDEX as i32 {
            return None;
        }
        if write {
            return None;
        }
        if off < 0 || off >= xdp::XDP_MD_SIZE as i32 || off % size != 0 || size != 4 {
            return None;
        }
        let pointer = matches!(off as u64, xdp::XDP_MD_DATA | xdp::XDP_MD_DATA_META | xdp::XDP_MD_DATA_END);
        if pointer && sx {
            return None;
        }
        Some(match off as u64 {
            xdp::XDP_MD_DATA => PTR_TO_PACKET,
            xdp::XDP_MD_DATA_META => PTR_TO_PACKET_META,
            xdp::XDP_MD_DATA_END => PTR_TO_PACKET_END,
            _ => SCALAR,
        })
    }
}

/// `bpf_skb_is_valid_access`: the rules every `__sk_buff` program type shares.
fn skb_access(off: i32, size: i32, write: bool, sx: bool, ty: u32) -> Option<u32> {
    use skb::*;
    if off < 0 || off >= SIZE || off % size != 0 {
        return None;
    }
    if in_field(off, CB, CB_END - CB) {
        return (off + size <= CB_END).then_some(ty);
    }
    if in_field(off, DATA, 4) || in_field(off, DATA_META, 4) || in_field(off, DATA_END, 4) {
        return (!sx && size == 4).then_some(ty);
    }
    if in_field(off, REMOTE_IP6, 16) || in_field(off, LOCAL_IP6, 16) || in_field(off, REMOTE_IP4, 4) || in_field(off, LOCAL_IP4, 4) {
        return (size == 4).then_some(ty);
    }
    if in_field(off, FLOW_KEYS, 8) {
        return None;
    }
    if in_field(off, HWTSTAMP, 8) {
        return (!write && size == 8).then_some(ty);
    }
    if in_field(off, TSTAMP, 8) {
        return (size == 8).then_some(ty);
    }
    if in_field(off, SK, 8) {
        return (!write && size == 8).then_some(PTR_TO_SOCK_COMMON | PTR_MAYBE_NULL);
    }
    if off == TSTAMP_TYPE || (off > TSTAMP_TYPE && off < HWTSTAMP) {
        return None;
    }
    if write {
        (size == 4).then_some(ty)
    } else {
        narrow_ok(size, 4).then_some(ty)
    }
}

fn sk_filter_access(off: i32, size: i32, write: bool, sx: bool) -> Option<u32> {
    use skb::*;
    if in_field(off, TC_CLASSID, 4)
        || in_field(off, DATA, 4)
        || in_field(off, DATA_META, 4)
        || in_field(off, DATA_END, 4)
        || (off >= FAMILY && off < LOCAL_PORT_END)
        || in_field(off, TSTAMP, 8)
        || in_field(off, WIRE_LEN, 4)
        || in_field(off, HWTSTAMP, 8)
    {
        return None;
    }
    if write && !in_field(off, CB, CB_END - CB) {
        return None;
    }
    skb_access(off, size, write, sx, SCALAR)
}

fn tc_access(off: i32, size: i32, write: bool, sx: bool) -> Option<u32> {
    use skb::*;
    if write {
        let writable = in_field(off, MARK, 4)
            || in_field(off, TC_INDEX, 4)
            || in_field(off, PRIORITY, 4)
            || in_field(off, TC_CLASSID, 4)
            || in_field(off, CB, CB_END - CB)
            || in_field(off, TSTAMP, 8)
            || in_field(off, QUEUE_MAPPING, 4);
        if !writable {
            return None;
        }
    }
    let ty = if in_field(off, DATA, 4) {
        PTR_TO_PACKET
    } else if in_field(off, DATA_META, 4) {
        PTR_TO_PACKET_META
    } else if in_field(off, DATA_END, 4) {
        PTR_TO_PACKET_END
    } else if off >= FAMILY && off < LOCAL_PORT_END {
        return None;
    } else if off == TSTAMP_TYPE {
        return (size == 1).then_some(SCALAR);
    } else {
        SCALAR
    };
    skb_access(off, size, write, sx, ty)
}
