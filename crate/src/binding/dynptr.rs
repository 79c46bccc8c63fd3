//! Dynptrs held by JavaScript, over JS memory, frames, skbs and ring-buffer records.

use super::ringbuf::Ring;
use super::*;
use crate::dynptr::{copy as dynptr_copy_kernel, Backing, Dynptr, IterStep, ProgType, Slice, SliceBacking};

/// Where JS memory regions start in the dynptr address space: a memory dynptr's `data` is this
/// plus its byte offset in its ArrayBuffer (never 0, which would be the null dynptr).
const JS_MEM_BASE: u64 = 0x1000;

/// What a JS-held dynptr points into. Memory comes with each call (JS owns it).
#[derive(Clone)]
pub(super) enum DynTarget {
    Mem,
    Frame(Shared<XdpBuff>),
    Skb(Shared<Skb>),
    SkbMeta(Shared<Skb>),
    /// The ring, and whether the record is still reserved: shared by every clone, cleared when
    /// one of them submits or discards it (the verifier then invalidates them all).
    Ring(Ring, Rc<std::cell::Cell<bool>>),
}

impl DynTarget {
    /// The same object (so one borrow must serve both sides of a copy).
    fn same_object(&self, other: &DynTarget) -> bool {
        match (self, other) {
            (DynTarget::Frame(a), DynTarget::Frame(b)) => Rc::ptr_eq(a, b),
            (DynTarget::Skb(a) | DynTarget::SkbMeta(a), DynTarget::Skb(b) | DynTarget::SkbMeta(b)) => Rc::ptr_eq(a, b),
            (DynTarget::Ring(a, _), DynTarget::Ring(b, _)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

pub struct DynptrState {
    pub(super) d: Dynptr,
    pub(super) target: DynTarget,
}

pub(super) type DynptrHandle = External<RefCell<DynptrState>>;

pub(super) fn new_dynptr(d: Dynptr, target: DynTarget) -> DynptrHandle {
    External::new(RefCell::new(DynptrState { d, target }))
}

pub(super) fn parse_flags(flags: Option<BigInt>, op: &'static str) -> Result<u64> {
    let Some(flags) = flags else { return Ok(0) };
    let (negative, v, lossless) = flags.get_u64();
    if negative || !lossless {
        return Err(err(Errno::EINVAL, op, "flags must be an unsigned 64-bit value"));
    }
    Ok(v)
}

/// Runs `f` with the object `target` names, resolved as a dynptr backing.
fn with_backing<R>(target: &DynTarget, mem: Option<&mut [u8]>, op: &'static str, f: impl FnOnce(&mut Backing) -> Result<R>) -> Result<R> {
    match target {
        DynTarget::Mem => {
            let bytes = mem.ok_or_else(|| err(Errno::EINVAL, op, "a memory dynptr needs its buffer"))?;
            f(&mut Backing::mem(JS_MEM_BASE, bytes))
        }
        DynTarget::Frame(slot) => {
            let mut g = borrow(slot, op, "frame")?;
            f(&mut Backing::Xdp(&mut g))
        }
        DynTarget::Skb(slot) => {
            let mut g = borrow(slot, op, "skb")?;
            f(&mut Backing::Skb(&mut g))
        }
        DynTarget::SkbMeta(slot) => {
            let mut g = borrow(slot, op, "skb")?;
            f(&mut Backing::Skb(&mut g))
        }
        DynTarget::Ring(ring, live) => {
            if !live.get() {
                return Err(err(Errno::EINVAL, op, "the ring-buffer record behind this dynptr was already submitted or discarded"));
            }
            let mut ring = ring.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, "the ring buffer is in use"))?;
            f(&mut ring.backing())
        }
    }
}

pub(super) fn state_mut<'a>(h: &'a DynptrHandle, op: &'static str) -> Result<std::cell::RefMut<'a, DynptrState>> {
    h.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, "the dynptr is in use"))
}

/// Guard, the dynptr's state, and its backing: the shape of most dynptr calls.
fn with_dynptr<R>(
    h: &DynptrHandle,
    mem: Option<Uint8ArraySlice>,
    op: &'static str,
    f: impl FnOnce(&mut Dynptr, &mut Backing) -> crate::errno::Result<R>,
) -> Result<R> {
    let mut mem = mem;
    guard(op, || {
        let mut st = state_mut(h, op)?;
        let DynptrState { d, target } = &mut *st;
        // SAFETY: JS is not running while this call holds the slice.
        let bytes = mem.as_mut().map(|m| unsafe { m.as_mut() });
        with_backing(target, bytes, op, |b| Ok(f(d, b)?))
    })
}

#[napi(object)]
pub struct DynptrInfo {
    pub kind: String,
    pub size: u32,
    pub offset: u32,
    pub rdonly: bool,
    pub is_null: bool,
    /// The raw size field (size, kind bits, read-only bit) and `data`, as the kernel stores them.
    pub size_field: u32,
    pub data: BigInt,
}

#[napi]
pub fn dynptr_info(h: &DynptrHandle) -> Result<DynptrInfo> {
    guard("bpf_dynptr", || {
        let st = h.try_borrow().map_err(|_| err(Errno::EBUSY, "bpf_dynptr", "the dynptr is in use"))?;
        let d = st.d;
        Ok(DynptrInfo {
            kind: d.kind().name().into(),
            size: d.len(),
            offset: d.offset,
            rdonly: d.kfunc_is_rdonly(),
            is_null: d.is_null(),
            size_field: d.size,
            data: BigInt::from(d.data),
        })
    })
}

#[napi]
pub fn dynptr_null() -> DynptrHandle {
    new_dynptr(Dynptr::NULL, DynTarget::Mem)
}

#[napi]
pub fn dynptr_from_mem(byte_offset: u32, size: u32, flags: Option<BigInt>) -> Result<DynptrHandle> {
    const OP: &str = "bpf_dynptr_from_mem";
    guard(OP, || {
        let (d, r) = Dynptr::from_mem(JS_MEM_BASE + u64::from(byte_offset), size, parse_flags(flags, OP)?);
        r?;
        Ok(new_dynptr(d, DynTarget::Mem))
    })
}

#[napi]
pub fn dynptr_from_xdp(frame: &FrameHandle, flags: Option<BigInt>) -> Result<DynptrHandle> {
    const OP: &str = "bpf_dynptr_from_xdp";
    guard(OP, || {
        let flags = parse_flags(flags, OP)?;
        let b = borrow(frame, OP, "frame")?;
        let (d, r) = Dynptr::from_xdp(b.head_page_addr(), &b, flags);
        r?;
        Ok(new_dynptr(d, DynTarget::Frame(Rc::clone(frame))))
    })
}

fn prog_type(name: &str) -> Result<ProgType> {
    Ok(match name {
        "sched_cls" | "tc" => ProgType::SchedCls,
        "sched_act" => ProgType::SchedAct,
        "xdp" => ProgType::Xdp,
        "lwt_xmit" => ProgType::LwtXmit,
        "sk_skb" => ProgType::SkSkb,
        "sk_msg" => ProgType::SkMsg,
        "cgroup_sockopt" => ProgType::CgroupSockopt,
        "lwt_in" => ProgType::LwtIn,
        "lwt_out" => ProgType::LwtOut,
        "lwt_seg6local" => ProgType::LwtSeg6local,
        "sk_reuseport" => ProgType::SkReuseport,
        "flow_dissector" => ProgType::FlowDissector,
        "cgroup_skb" => ProgType::CgroupSkb,
        "socket_filter" => ProgType::SocketFilter,
        "netfilter" => ProgType::Netfilter,
        "tracing" => ProgType::Tracing,
        other => return Err(err(Errno::EINVAL, "bpf_dynptr_from_skb", format!("unknown program type '{other}'"))),
    })
}

#[napi]
pub fn dynptr_from_skb(skb: &SkbHandle, flags: Option<BigInt>, prog: String) -> Result<DynptrHandle> {
    const OP: &str = "bpf_dynptr_from_skb";
    guard(OP, || {
        let (flags, prog) = (parse_flags(flags, OP)?, prog_type(&prog)?);
        let s = borrow(skb, OP, "skb")?;
        let (d, r) = Dynptr::from_skb(s.head_addr(), &s, flags, prog);
        r?;
        Ok(new_dynptr(d, DynTarget::Skb(Rc::clone(skb))))
    })
}

#[napi]
pub fn dynptr_from_skb_meta(skb: &SkbHandle, flags: Option<BigInt>) -> Result<DynptrHandle> {
    const OP: &str = "bpf_dynptr_from_skb_meta";
    guard(OP, || {
        let flags = parse_flags(flags, OP)?;
        let s = borrow(skb, OP, "skb")?;
        let (d, r) = Dynptr::from_skb_meta(s.head_addr(), &s, flags);
        r?;
        Ok(new_dynptr(d, DynTarget::SkbMeta(Rc::clone(skb))))
    })
}

#[napi]
pub fn dynptr_read(
    h: &DynptrHandle,
    mem: Option<Uint8ArraySlice>,
    offset: u32,
    mut dst: Uint8ArraySlice,
    flags: Option<BigInt>,
) -> Result<()> {
    let flags = parse_flags(flags, "bpf_dynptr_read")?;
    // SAFETY: JS is not running while this call holds the slice.
    let dst = unsafe { dst.as_mut() };
    with_dynptr(h, mem, "bpf_dynptr_read", |d, b| d.read(b, offset, dst, flags))
}

/// The checks of `bpf_dynptr_read` for `len` bytes, without a destination (lengths no dynptr
/// can cover fail here, before anything is allocated).
#[napi]
pub fn dynptr_check_read(h: &DynptrHandle, mem: Option<Uint8ArraySlice>, offset: u32, len: u32, flags: Option<BigInt>) -> Result<()> {
    let flags = parse_flags(flags, "bpf_dynptr_read")?;
    with_dynptr(h, mem, "bpf_dynptr_read", |d, _| d.check_read(offset, len, flags))
}

#[napi]
pub fn dynptr_write(h: &DynptrHandle, mem: Option<Uint8ArraySlice>, offset: u32, src: &[u8], flags: Option<BigInt>) -> Result<()> {
    let flags = parse_flags(flags, "bpf_dynptr_write")?;
    with_dynptr(h, mem, "bpf_dynptr_write", |d, b| d.write(b, offset, src, flags))
}

/// The packed location of a direct slice of `d`.
fn direct_location(d: &Dynptr, b: &Backing, at: SliceBacking) -> f64 {
    match at {
        SliceBacking::Mem { start } => match b {
            // A ring record: relative to the sample the dynptr was reserved over.
            Backing::Mem { base, .. } if *base != JS_MEM_BASE => {
                packed_location(REGION_RING_RECORD, (start as u64 - (d.data - base)) as u32)
            }
            _ => packed_location(REGION_CALLER_MEM, start as u32),
        },
        SliceBacking::XdpSegment { segment, start } => packed_location(segment, start),
        SliceBacking::SkbLinear { start } => packed_location(REGION_SKB_LINEAR, start),
        SliceBacking::SkbMeta { start } => packed_location(REGION_SKB_META, start),
    }
}

/// `bpf_dynptr_data`: the packed location of the direct bytes, or LOC_NONE.
#[napi]
pub fn dynptr_data(h: &DynptrHandle, mem: Option<Uint8ArraySlice>, offset: u32, len: u32) -> Result<f64> {
    with_dynptr(h, mem, "bpf_dynptr_data", |d, b| {
        if d.data(b, offset, len).is_none() {
            return Ok(LOC_NONE);
        }
        let at = d.slice_backing(b, offset, len).expect("data implies a direct slice");
        Ok(direct_location(d, b, at))
    })
}

/// `bpf_dynptr_slice` / `bpf_dynptr_slice_rdwr`: the packed location of a direct view, LOC_COPIED
/// when the bytes went into `buffer`, LOC_NONE for NULL.
#[napi]
pub fn dynptr_slice(
    h: &DynptrHandle,
    mem: Option<Uint8ArraySlice>,
    offset: u32,
    len: u32,
    rdwr: bool,
    buffer: Option<Uint8ArraySlice>,
) -> Result<f64> {
    let op = if rdwr { "bpf_dynptr_slice_rdwr" } else { "bpf_dynptr_slice" };
    let mut buffer = buffer;
    // SAFETY: JS is not running while this call holds the slice.
    let buffer = buffer.as_mut().map(|m| unsafe { m.as_mut() });
    if let Some(buf) = &buffer {
        if buf.len() < len as usize {
            return Err(err(Errno::EINVAL, op, "the buffer is shorter than the slice"));
        }
    }
    with_dynptr(h, mem, op, |d, b| {
        if rdwr && (d.is_null() || d.rdonly_bit()) {
            return Ok(LOC_NONE);
        }
        if let Some(at) = d.slice_backing(b, offset, len) {
            return Ok(direct_location(d, b, at));
        }
        Ok(match d.slice(b, offset, buffer, len) {
            Some(Slice::Copied(_)) => LOC_COPIED,
            _ => LOC_NONE,
        })
    })
}

/// The region views of skb dynptrs: the linear part (from `data`) or the metadata.
#[napi]
pub fn skb_region_view<'env>(env: &'env Env, skb: &SkbHandle, region: u32) -> Result<ArrayBuffer<'env>> {
    guard("sk_buff", || {
        let mut s = borrow(skb, "sk_buff", "skb")?;
        match region {
            REGION_SKB_LINEAR => view_of(env, s.linear_mut()),
            REGION_SKB_META => view_of(env, s.meta_mut()),
            _ => Err(err(Errno::EINVAL, "sk_buff", "no such region")),
        }
    })
}

/// The region view of a ring-buffer dynptr: its whole reserved sample.
#[napi]
pub fn dynptr_record_view<'env>(env: &'env Env, h: &DynptrHandle) -> Result<ArrayBuffer<'env>> {
    const OP: &str = "bpf_ringbuf_reserve_dynptr";
    guard(OP, || {
        let st = state_mut(h, OP)?;
        let DynTarget::Ring(ring, live) = &st.target else {
            return Err(err(Errno::EINVAL, OP, "not a ring-buffer dynptr"));
        };
        if !live.get() {
            return Err(err(Errno::EINVAL, OP, "the ring-buffer record behind this dynptr was already submitted or discarded"));
        }
        let mut r = ring.try_borrow_mut().map_err(|_| err(Errno::EBUSY, OP, "the ring buffer is in use"))?;
        let sample = r.sample_offset(st.d.data).ok_or_else(|| err(Errno::EFAULT, OP, "the dynptr is not in this ring"))?;
        let len = r.reserved_len(sample);
        view_of(env, r.sample_mut(sample, len as usize))
    })
}

#[napi(object)]
pub struct DynptrFunctionObject {
    pub name: String,
    /// "kernel" or "seed".
    pub origin: String,
    /// The first kernel version with it (kernel functions).
    pub since: Option<String>,
    /// The helper number the seed proposed (seed functions).
    pub proposed_helper: Option<u32>,
    /// The helper number (stable helpers); kfuncs have none.
    pub helper_id: Option<u32>,
    /// `KF_*` flags (kfuncs).
    pub kfunc_flags: Option<u32>,
    pub args: Vec<String>,
    pub ret: String,
    /// "all", "xdp", "skb" or "tc".
    pub scope: String,
    pub operation: String,
}

/// Every dynptr function a program can call: the kernel's helpers and kfuncs and the seed's kfuncs.
#[napi]
pub fn dynptr_functions() -> Vec<DynptrFunctionObject> {
    use crate::dynptr::functions::{Call, Origin, Scope, DYNPTR_FUNCTIONS};
    DYNPTR_FUNCTIONS
        .iter()
        .map(|d| DynptrFunctionObject {
            name: d.name.into(),
            origin: if matches!(d.origin, Origin::Seed { .. }) { "seed" } else { "kernel" }.into(),
            since: match d.origin {
                Origin::Kernel { since } => Some(since.into()),
                Origin::Seed { .. } => None,
            },
            proposed_helper: match d.origin {
                Origin::Seed { proposed_helper } => Some(proposed_helper),
                Origin::Kernel { .. } => None,
            },
            helper_id: match d.call {
                Call::Helper(id) => Some(id),
                Call::Kfunc { .. } => None,
            },
            kfunc_flags: match d.call {
                Call::Kfunc { flags } => Some(flags),
                Call::Helper(_) => None,
            },
            args: d.args.iter().map(|a| format!("{a:?}")).collect(),
            ret: format!("{:?}", d.ret),
            scope: match d.scope {
                Scope::All => "all",
                Scope::Xdp => "xdp",
                Scope::Skb => "skb",
                Scope::Tc => "tc",
            }
            .into(),
            operation: d.operation.into(),
        })
        .collect()
}

#[napi]
pub fn dynptr_adjust(h: &DynptrHandle, start: u32, end: u32) -> Result<()> {
    guard("bpf_dynptr_adjust", || Ok(state_mut(h, "bpf_dynptr_adjust")?.d.adjust(start, end)?))
}

/// `bpf_dynptr_clone` (kfunc): a new dynptr with the same view and object.
#[napi]
pub fn dynptr_clone(h: &DynptrHandle) -> Result<DynptrHandle> {
    guard("bpf_dynptr_clone", || {
        let st = state_mut(h, "bpf_dynptr_clone")?;
        let mut c = Dynptr::NULL;
        st.d.clone_into(&mut c)?;
        Ok(new_dynptr(c, st.target.clone()))
    })
}

#[napi]
pub fn dynptr_memset(h: &DynptrHandle, mem: Option<Uint8ArraySlice>, offset: u32, size: u32, val: u32) -> Result<()> {
    if val > 0xff {
        return Err(err(Errno::EINVAL, "bpf_dynptr_memset", "val must be a byte (0..255)"));
    }
    with_dynptr(h, mem, "bpf_dynptr_memset", |d, b| d.memset(b, offset, size, val as u8))
}

/// `bpf_dynptr_copy`. `same_mem`: both are memory dynptrs over the one buffer passed as `dst_mem`.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn dynptr_copy(
    dst: &DynptrHandle,
    dst_mem: Option<Uint8ArraySlice>,
    dst_off: u32,
    src: &DynptrHandle,
    src_mem: Option<Uint8ArraySlice>,
    src_off: u32,
    size: u32,
    same_mem: bool,
) -> Result<()> {
    const OP: &str = "bpf_dynptr_copy";
    let (mut dst_mem, mut src_mem) = (dst_mem, src_mem);
    guard(OP, || {
        let (dd, dt) = {
            let s = state_mut(dst, OP)?;
            (s.d, s.target.clone())
        };
        let (sd, st) = if std::ptr::eq(dst, src) {
            (dd, dt.clone())
        } else {
            let s = state_mut(src, OP)?;
            (s.d, s.target.clone())
        };
        // SAFETY: JS is not running while this call holds the slices.
        let dm = dst_mem.as_mut().map(|m| unsafe { m.as_mut() });
        let sm = src_mem.as_mut().map(|m| unsafe { m.as_mut() });
        // One object (an skb serves its data and its metadata alike): one backing for both sides.
        if (matches!((&dt, &st), (DynTarget::Mem, DynTarget::Mem)) && same_mem) || dt.same_object(&st) {
            return with_backing(&dt, dm, OP, |b| Ok(dynptr_copy_kernel(&dd, dst_off, &sd, src_off, size, b, None)?));
        }
        with_backing(&dt, dm, OP, |db| {
            with_backing(&st, sm, OP, |sb| Ok(dynptr_copy_kernel(&dd, dst_off, &sd, src_off, size, db, Some(sb))?))
        })
    })
}

// -- the seed's convenience API

#[napi]
pub fn dynptr_advance(h: &DynptrHandle, len: u32) -> Result<()> {
    guard("bpf_dynptr_advance", || Ok(state_mut(h, "bpf_dynptr_advance")?.d.advance(len)?))
}

#[napi]
pub fn dynptr_trim(h: &DynptrHandle, len: u32) -> Result<()> {
    guard("bpf_dynptr_trim", || Ok(state_mut(h, "bpf_dynptr_trim")?.d.trim(len)?))
}

#[napi]
pub fn dynptr_get_size(h: &DynptrHandle) -> Result<u32> {
    guard("bpf_dynptr_get_size", || Ok(state_mut(h, "bpf_dynptr_get_size")?.d.get_size()?))
}

#[napi]
pub fn dynptr_get_offset(h: &DynptrHandle) -> Result<u32> {
    guard("bpf_dynptr_get_offset", || Ok(state_mut(h, "bpf_dynptr_get_offset")?.d.get_offset()?))
}

/// The seed's `bpf_dynptr_clone(ptr, clone, offset)`.
#[napi]
pub fn dynptr_clone_at(h: &DynptrHandle, offset: u32) -> Result<DynptrHandle> {
    guard("bpf_dynptr_clone", || {
        let st = state_mut(h, "bpf_dynptr_clone")?;
        let mut c = Dynptr::NULL;
        st.d.seed_clone(offset, &mut c)?;
        Ok(new_dynptr(c, st.target.clone()))
    })
}

/// The seed's `bpf_dynptr_iterator`: `callback` gets a handle to each view and returns how many
/// bytes to advance. Returns what the kernel helper returns.
#[napi]
pub fn dynptr_iterator(h: &DynptrHandle, flags: Option<BigInt>, callback: Function<'_, DynptrHandle, f64>) -> Result<i32> {
    const OP: &str = "bpf_dynptr_iterator";
    let flags = parse_flags(flags, OP)?;
    let (d, target) = {
        let st = state_mut(h, OP)?;
        (st.d, st.target.clone())
    };
    let mut failure: Option<Error> = None;
    let r = d.iterator(flags, |view| {
        if failure.is_some() {
            return IterStep::Advance(0);
        }
        let n = callback.call(new_dynptr(*view, target.clone()));
        match n {
            Ok(n) if n.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&n) => IterStep::Advance(n as i32),
            Ok(n) => {
                failure = Some(err(Errno::EINVAL, OP, format!("the callback must return an integer that fits an int, got {n}")));
                IterStep::Advance(0)
            }
            Err(e) => {
                failure = Some(e);
                IterStep::Advance(0)
            }
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(r),
    }
}
