//! BPF dynamic pointers (`struct bpf_dynptr`), with the kernel's representation and the
//! semantics of `kernel/bpf/helpers.c` (Linux 6.18) for every kind and operation.
//!
//! A [`Dynptr`] is the kernel's 16 bytes: a `data` word naming the underlying object (0 for a
//! null dynptr), the size (24 bits) with the kind in bits 28–30 and the read-only flag in bit 31,
//! and an offset. It holds no borrow: each operation is given the object `data` names, resolved
//! by the caller as a [`Backing`] (a program's memory, an `xdp_buff`, an skb). That is what lets
//! the same code serve a BPF program (whose dynptrs live on its stack) and the TypeScript API.

pub mod functions;
mod ops;
mod seed;

pub use ops::{copy, Slice, SliceBacking};
pub use seed::IterStep;

use crate::errno::{Errno, Result, XdpError};
use crate::frame::{Skb, XdpBuff};

/// `DYNPTR_MAX_SIZE`: sizes are 24 bits.
pub const DYNPTR_MAX_SIZE: u32 = (1 << 24) - 1;
pub const DYNPTR_SIZE_MASK: u32 = 0x00ff_ffff;
pub const DYNPTR_TYPE_SHIFT: u32 = 28;
pub const DYNPTR_RDONLY_BIT: u32 = 1 << 31;

/// `enum bpf_dynptr_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DynptrKind {
    Invalid = 0,
    Local = 1,
    Ringbuf = 2,
    Skb = 3,
    Xdp = 4,
    SkbMeta = 5,
}

impl DynptrKind {
    fn from_bits(bits: u32) -> DynptrKind {
        match bits {
            1 => DynptrKind::Local,
            2 => DynptrKind::Ringbuf,
            3 => DynptrKind::Skb,
            4 => DynptrKind::Xdp,
            5 => DynptrKind::SkbMeta,
            _ => DynptrKind::Invalid,
        }
    }

    /// Data in a packet (skb, xdp, skb metadata): slices of it die when the packet changes.
    pub fn is_packet(self) -> bool {
        matches!(self, DynptrKind::Skb | DynptrKind::Xdp | DynptrKind::SkbMeta)
    }

    /// Holds a reference (a ring-buffer record) that must be submitted or discarded.
    pub fn refcounted(self) -> bool {
        self == DynptrKind::Ringbuf
    }

    /// The verifier's name for the kind (`dynptr_type_str`).
    pub fn name(self) -> &'static str {
        match self {
            DynptrKind::Local => "local",
            DynptrKind::Ringbuf => "ringbuf",
            DynptrKind::Skb => "skb",
            DynptrKind::Xdp => "xdp",
            DynptrKind::SkbMeta => "skb_meta",
            DynptrKind::Invalid => "<invalid>",
        }
    }
}

/// `struct bpf_dynptr_kern`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dynptr {
    /// What the dynptr points into: an address for memory and ring-buffer records, a handle for
    /// an xdp_buff or skb. 0 is the null dynptr.
    pub data: u64,
    /// Usable size in the low 24 bits, kind in bits 28–30, read-only in bit 31.
    pub size: u32,
    pub offset: u32,
}

/// The object a dynptr's `data` names, as the operations need it.
pub enum Backing<'a> {
    /// LOCAL and RINGBUF: a memory region whose first byte has address `base`; a dynptr's bytes
    /// start at `data - base + offset` in it. Two dynptrs into one region share one backing.
    Mem {
        base: u64,
        bytes: &'a mut [u8],
    },
    Xdp(&'a mut XdpBuff),
    /// An skb: its packet data for SKB dynptrs, its metadata area for SKB_META ones (so one
    /// backing serves a copy between the two).
    Skb(&'a mut Skb),
}

impl<'a> Backing<'a> {
    /// A memory region at address `base`.
    pub fn mem(base: u64, bytes: &'a mut [u8]) -> Backing<'a> {
        Backing::Mem { base, bytes }
    }
}

/// Program types whose skb dynptrs are writable; every other type gets a read-only one
/// (`may_access_direct_pkt_data(env, NULL, BPF_WRITE)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgType {
    SchedCls,
    SchedAct,
    Xdp,
    LwtXmit,
    SkSkb,
    SkMsg,
    CgroupSockopt,
    LwtIn,
    LwtOut,
    LwtSeg6local,
    SkReuseport,
    FlowDissector,
    CgroupSkb,
    SocketFilter,
    Netfilter,
    Tracing,
}

impl ProgType {
    pub fn may_write_packet(self) -> bool {
        matches!(
            self,
            ProgType::SchedCls
                | ProgType::SchedAct
                | ProgType::Xdp
                | ProgType::LwtXmit
                | ProgType::SkSkb
                | ProgType::SkMsg
                | ProgType::CgroupSockopt
        )
    }
}

pub(crate) fn einval(op: &'static str, message: &str) -> XdpError {
    XdpError::new(Errno::EINVAL, op, message)
}

impl Dynptr {
    /// `bpf_dynptr_set_null`: all 16 bytes zero.
    pub const NULL: Dynptr = Dynptr { data: 0, size: 0, offset: 0 };

    /// `bpf_dynptr_init`.
    pub fn new(data: u64, kind: DynptrKind, offset: u32, size: u32) -> Dynptr {
        Dynptr { data, size: size | ((kind as u32) << DYNPTR_TYPE_SHIFT), offset }
    }

    /// `bpf_dynptr_check_size`: E2BIG above 24 bits.
    pub fn check_size(size: u32, op: &'static str) -> Result<()> {
        if size > DYNPTR_MAX_SIZE {
            return Err(XdpError::new(Errno::E2BIG, op, "a dynptr covers at most 16 MiB - 1 bytes")
                .len(u64::from(size))
                .limit(u64::from(DYNPTR_MAX_SIZE)));
        }
        Ok(())
    }

    #[inline]
    pub fn is_null(&self) -> bool {
        self.data == 0
    }

    #[inline]
    pub fn kind(&self) -> DynptrKind {
        DynptrKind::from_bits((self.size >> DYNPTR_TYPE_SHIFT) & 0x7)
    }

    /// `__bpf_dynptr_size`: the usable bytes from `offset` on.
    #[inline]
    pub fn len(&self) -> u32 {
        self.size & DYNPTR_SIZE_MASK
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `__bpf_dynptr_is_rdonly`: the bit alone (false for a null dynptr).
    #[inline]
    pub fn rdonly_bit(&self) -> bool {
        self.size & DYNPTR_RDONLY_BIT != 0
    }

    pub fn set_rdonly(&mut self) {
        self.size |= DYNPTR_RDONLY_BIT;
    }

    /// `bpf_dynptr_set_size`: the kind and read-only bits stay.
    pub(crate) fn set_len(&mut self, len: u32) {
        self.size = (self.size & !DYNPTR_SIZE_MASK) | len;
    }

    /// `bpf_dynptr_check_off_len`: E2BIG when `[offset, offset + len)` leaves the dynptr.
    #[inline]
    pub fn check_off_len(&self, offset: u32, len: u32, op: &'static str) -> Result<()> {
        let size = self.len();
        if len > size || offset > size - len {
            return Err(XdpError::new(Errno::E2BIG, op, "range is outside the dynptr")
                .offset(i64::from(offset))
                .len(u64::from(len))
                .limit(u64::from(size)));
        }
        Ok(())
    }

    /// The 16 bytes a BPF program's stack holds.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.data.to_le_bytes());
        b[8..12].copy_from_slice(&self.size.to_le_bytes());
        b[12..].copy_from_slice(&self.offset.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; 16]) -> Dynptr {
        Dynptr {
            data: u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
            size: u32::from_le_bytes(b[8..12].try_into().expect("4 bytes")),
            offset: u32::from_le_bytes(b[12..].try_into().expect("4 bytes")),
        }
    }

    // ------------------------------------------------------------ constructors
    //
    // Each returns the dynptr the kernel leaves in the caller's slot: null on error, alongside the
    // error the helper returns.

    /// `bpf_dynptr_from_mem` (helper 197): a LOCAL dynptr over `size` bytes at `data`.
    pub fn from_mem(data: u64, size: u32, flags: u64) -> (Dynptr, Result<()>) {
        const OP: &str = "bpf_dynptr_from_mem";
        if let Err(e) = Dynptr::check_size(size, OP) {
            return (Dynptr::NULL, Err(e));
        }
        if flags != 0 {
            return (Dynptr::NULL, Err(einval(OP, "flags must be 0")));
        }
        (Dynptr::new(data, DynptrKind::Local, 0, size), Ok(()))
    }

    /// `bpf_dynptr_from_xdp` (kfunc): the whole packet, linear part and frags, as long as it is at
    /// creation (later tail changes do not resize the dynptr; accesses are still checked against
    /// the buffer as it is then).
    pub fn from_xdp(handle: u64, xdp: &XdpBuff, flags: u64) -> (Dynptr, Result<()>) {
        if flags != 0 {
            return (Dynptr::NULL, Err(einval("bpf_dynptr_from_xdp", "flags must be 0")));
        }
        (Dynptr::new(handle, DynptrKind::Xdp, 0, xdp.len()), Ok(()))
    }

    /// `bpf_dynptr_from_skb` (kfunc): `skb->len` bytes from `skb->data`; read-only when the
    /// program type may not write packet data (the verifier's switch to
    /// `bpf_dynptr_from_skb_rdonly`).
    pub fn from_skb(handle: u64, skb: &Skb, flags: u64, prog: ProgType) -> (Dynptr, Result<()>) {
        if flags != 0 {
            return (Dynptr::NULL, Err(einval("bpf_dynptr_from_skb", "flags must be 0")));
        }
        let mut d = Dynptr::new(handle, DynptrKind::Skb, 0, skb.len());
        if !prog.may_write_packet() {
            d.set_rdonly();
        }
        (d, Ok(()))
    }

    /// `bpf_dynptr_from_skb_meta` (kfunc, 6.17+): the skb's metadata area; read-only while the
    /// skb is cloned (6.18).
    pub fn from_skb_meta(handle: u64, skb: &Skb, flags: u64) -> (Dynptr, Result<()>) {
        if flags != 0 {
            return (Dynptr::NULL, Err(einval("bpf_dynptr_from_skb_meta", "flags must be 0")));
        }
        let mut d = Dynptr::new(handle, DynptrKind::SkbMeta, 0, u32::from(skb.meta_len()));
        if skb.is_cloned() {
            d.set_rdonly();
        }
        (d, Ok(()))
    }

    // ------------------------------------------------------------ the kernel's final kfuncs

    /// `bpf_dynptr_is_null`.
    pub fn kfunc_is_null(&self) -> bool {
        self.is_null()
    }

    /// `bpf_dynptr_is_rdonly`: false for a null dynptr.
    pub fn kfunc_is_rdonly(&self) -> bool {
        !self.is_null() && self.rdonly_bit()
    }

    /// `bpf_dynptr_size`: the size, or -EINVAL as a u32 for a null dynptr.
    pub fn kfunc_size(&self) -> u32 {
        if self.is_null() {
            Errno::EINVAL.retval() as u32
        } else {
            self.len()
        }
    }

    /// `bpf_dynptr_adjust(start, end)`: the dynptr now covers `[start, end)` of what it covered.
    pub fn adjust(&mut self, start: u32, end: u32) -> Result<()> {
        const OP: &str = "bpf_dynptr_adjust";
        if self.is_null() || start > end {
            return Err(einval(OP, if self.is_null() { "null dynptr" } else { "start is after end" }));
        }
        let size = self.len();
        if start > size || end > size {
            return Err(XdpError::new(Errno::ERANGE, OP, "start or end is past the end of the dynptr")
                .offset(i64::from(start))
                .len(u64::from(end))
                .limit(u64::from(size)));
        }
        self.offset = self.offset.wrapping_add(start);
        self.set_len(end - start);
        Ok(())
    }

    /// `bpf_dynptr_clone`: the clone is null (and -EINVAL) when the source is.
    pub fn clone_into(&self, clone: &mut Dynptr) -> Result<()> {
        if self.is_null() {
            *clone = Dynptr::NULL;
            return Err(einval("bpf_dynptr_clone", "null dynptr"));
        }
        *clone = *self;
        Ok(())
    }
}
