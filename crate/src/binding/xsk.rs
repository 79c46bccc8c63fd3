//! Binding for AF_XDP sockets ([`crate::xsk`], [`crate::mvneta::xsk`]). Ring operations cross
//! per batch: addresses and descriptors as flat number arrays. An address (a u64) is two numbers,
//! its lower 48 bits and its upper 16 (unaligned mode's offset), so that every u64 crosses
//! exactly; a descriptor is four: address low, address high, len, options. The UMEM is lent to
//! JS as one view whose finalizer holds the UMEM, so
//! the memory outlives every view of it.

use std::any::Any;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::mvneta::{nic_device, NicHandleAlias};
use super::{err, guard};
use crate::bpf::maps::{Map, XskEntry};
use crate::errno::Errno;
use crate::mvneta::{Mvneta, RedirectTarget};
use crate::xsk::{RingKind, RingState, SharedUmemSource, UmemReg, XdpDesc, XskSocket};

pub struct XskState {
    sock: Rc<RefCell<XskSocket>>,
    /// The socket as redirect targets name it: one object, so that map slots can be found again.
    target: Rc<dyn Any>,
    dev: Option<Weak<RefCell<Mvneta>>>,
    /// The xskmaps it was put in (to empty their slots at close).
    maps: Vec<Weak<Map>>,
    closed: bool,
}

type XskHandle = External<RefCell<XskState>>;

fn st<'a>(h: &'a XskHandle, op: &'static str) -> Result<std::cell::RefMut<'a, XskState>> {
    let s = h.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, "the socket is in use"))?;
    if s.closed {
        return Err(err(Errno::EBADF, op, "the socket is closed"));
    }
    Ok(s)
}

fn sock_mut<'a>(s: &'a XskState, op: &'static str) -> Result<std::cell::RefMut<'a, XskSocket>> {
    s.sock.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, "the socket is in use"))
}

/// `socket(AF_XDP, SOCK_RAW, 0)`.
#[napi]
pub fn xsk_create() -> Result<XskHandle> {
    guard("xsk_create", || {
        let sock = Rc::new(RefCell::new(XskSocket::new()));
        let target: Rc<dyn Any> = Rc::new(RedirectTarget::xsk(&sock));
        Ok(External::new(RefCell::new(XskState { sock, target, dev: None, maps: Vec::new(), closed: false })))
    })
}

/// `setsockopt(XDP_UMEM_REG)`.
#[napi]
pub fn xsk_umem_reg(h: &XskHandle, size: f64, chunk_size: u32, headroom: u32, flags: u32) -> Result<()> {
    const OP: &str = "xdp_umem_reg";
    guard(OP, || {
        let s = st(h, OP)?;
        if !(size >= 0.0 && size.fract() == 0.0 && size <= 9_007_199_254_740_991.0) {
            return Err(err(Errno::EINVAL, OP, "size must be a whole number of bytes"));
        }
        let r = sock_mut(&s, OP)?.register_umem(UmemReg { size: size as u64, chunk_size, headroom, flags });
        Ok(r?)
    })
}

/// The UMEM (registered or shared), as one view of its memory.
#[napi]
pub fn xsk_umem_view(env: Env, h: &XskHandle) -> Result<ArrayBuffer<'_>> {
    const OP: &str = "xsk_umem";
    guard(OP, || {
        let s = st(h, OP)?;
        let umem = sock_mut(&s, OP)?.shared_umem().ok_or_else(|| err(Errno::EINVAL, OP, "no UMEM registered or shared"))?;
        let keep = Rc::clone(&umem);
        let mut u = umem.try_borrow_mut().map_err(|_| err(Errno::EBUSY, OP, "the UMEM is in use"))?;
        let bytes = u.bytes_mut();
        // SAFETY: the UMEM's memory is one boxed slice that never moves or shrinks while the
        // UMEM lives, and the finalizer holds the UMEM until the view is collected.
        unsafe { ArrayBuffer::from_external(&env, bytes.as_mut_ptr(), bytes.len(), keep, |_, keep| drop(keep)) }
    })
}

fn ring_kind(kind: &str, op: &'static str) -> Result<RingKind> {
    Ok(match kind {
        "rx" => RingKind::Rx,
        "tx" => RingKind::Tx,
        "fill" => RingKind::Fill,
        "completion" => RingKind::Completion,
        _ => return Err(err(Errno::EINVAL, op, format!("unknown ring {kind:?}"))),
    })
}

/// `setsockopt(XDP_RX_RING | XDP_TX_RING | XDP_UMEM_FILL_RING | XDP_UMEM_COMPLETION_RING)`.
#[napi]
pub fn xsk_ring(h: &XskHandle, kind: String, entries: u32) -> Result<()> {
    const OP: &str = "xsk_setsockopt";
    guard(OP, || {
        let s = st(h, OP)?;
        let k = ring_kind(&kind, OP)?;
        let r = sock_mut(&s, OP)?.create_ring(k, entries);
        Ok(r?)
    })
}

/// `bind()` to a NIC's queue; with XDP_SHARED_UMEM in `flags`, `shared` is the socket whose UMEM
/// is shared (`sxdp_shared_umem_fd`).
#[napi]
pub fn xsk_bind(h: &XskHandle, nic: &NicHandleAlias, queue_id: u32, flags: u32, shared: Option<&XskHandle>) -> Result<()> {
    const OP: &str = "xsk_bind";
    guard(OP, || {
        // Read first: the socket named may be this one.
        let source = shared.map(|o| match o.try_borrow() {
            Ok(o) if !o.closed => o.sock.try_borrow().map_or(SharedUmemSource::NotASocket, |x| x.shared_umem_source()),
            _ => SharedUmemSource::NotASocket,
        });
        let mut s = st(h, OP)?;
        let dev = nic_device(nic, OP)?;
        dev.try_borrow_mut().map_err(|_| err(Errno::EBUSY, OP, "the NIC is in use"))?.xsk_bind(&s.sock, queue_id, flags, source)?;
        s.dev = Some(Rc::downgrade(&dev));
        for m in s.maps.iter().filter_map(Weak::upgrade) {
            m.xsk_set_queue(&s.target, queue_id);
        }
        Ok(())
    })
}

/// Puts the socket in an xskmap slot of a loaded object (`bpf_map_update_elem` with its fd).
#[napi]
pub fn xsk_map_update(h: &XskHandle, obj: &super::bpf::BpfHandleAlias, map: String, key: u32, flags: u32) -> Result<()> {
    const OP: &str = "bpf_map_update_elem";
    guard(OP, || {
        let mut s = st(h, OP)?;
        let m = super::bpf::map_handle_of(obj, &map, OP)?;
        let queue_id = sock_mut(&s, OP)?.bound().map_or(0, |b| b.queue_id);
        m.xsk_update(key, XskEntry { target: Rc::clone(&s.target), queue_id }, u64::from(flags))?;
        if !s.maps.iter().any(|w| std::ptr::eq(w.as_ptr(), Rc::as_ptr(&m))) {
            s.maps.push(Rc::downgrade(&m));
        }
        Ok(())
    })
}

/// `close()`: the socket leaves its xskmap slots and its queue; the UMEM stays while a view holds it.
#[napi]
pub fn xsk_close(h: &XskHandle) -> Result<()> {
    guard("xsk_close", || {
        let mut s = h.try_borrow_mut().map_err(|_| err(Errno::EBUSY, "xsk_close", "the socket is in use"))?;
        if s.closed {
            return Ok(());
        }
        for m in s.maps.iter().filter_map(Weak::upgrade) {
            m.xsk_remove_target(&s.target);
        }
        s.maps.clear();
        s.closed = true;
        if let Ok(mut sock) = s.sock.try_borrow_mut() {
            sock.close();
        }
        // A fresh, unbound socket object takes its place: the device's queue is free again,
        // and frames still redirected to the old one find no socket.
        s.sock = Rc::new(RefCell::new(XskSocket::new()));
        s.target = Rc::new(());
        Ok(())
    })
}

const LOW48: f64 = 281_474_976_710_655.0;

/// One address from its two halves (lower 48 bits, upper 16).
fn addr_of(low: f64, high: f64) -> Option<u64> {
    let ok = low >= 0.0 && low.fract() == 0.0 && low <= LOW48 && high >= 0.0 && high.fract() == 0.0 && high <= 65535.0;
    ok.then(|| ((high as u64) << crate::xsk::XSK_UNALIGNED_BUF_OFFSET_SHIFT) | low as u64)
}

/// An address as its two halves.
fn halves(a: u64) -> [f64; 2] {
    [(a & crate::xsk::XSK_UNALIGNED_BUF_ADDR_MASK) as f64, (a >> crate::xsk::XSK_UNALIGNED_BUF_OFFSET_SHIFT) as f64]
}

fn descs_of(flat: &[f64], op: &'static str) -> Result<Vec<XdpDesc>> {
    if !flat.len().is_multiple_of(4) {
        return Err(err(Errno::EINVAL, op, "descriptors are (addr low 48 bits, addr high 16 bits, len, options) quadruples"));
    }
    flat.chunks(4)
        .map(|c| {
            let addr = addr_of(c[0], c[1]);
            let u32s = c[2..].iter().all(|v| *v >= 0.0 && v.fract() == 0.0 && *v <= 4294967295.0);
            match addr {
                Some(addr) if u32s => Ok(XdpDesc { addr, len: c[2] as u32, options: c[3] as u32 }),
                _ => Err(err(Errno::EINVAL, op, "a descriptor's addr is a u64 (48 + 16 bits), its len and options u32s")),
            }
        })
        .collect()
}

/// Puts chunk addresses (flat halves) on the fill ring; how many fit.
#[napi]
pub fn xsk_fill(h: &XskHandle, addrs: Vec<f64>) -> Result<u32> {
    const OP: &str = "xsk_ring_prod__submit";
    guard(OP, || {
        let s = st(h, OP)?;
        if !addrs.len().is_multiple_of(2) {
            return Err(err(Errno::EINVAL, OP, "addresses are (low 48 bits, high 16 bits) pairs"));
        }
        let a = addrs
            .chunks(2)
            .map(|c| addr_of(c[0], c[1]).ok_or_else(|| err(Errno::EINVAL, OP, "an address is a u64 (48 + 16 bits)")))
            .collect::<Result<Vec<u64>>>()?;
        let r = sock_mut(&s, OP)?.fill(&a);
        Ok(r? as u32)
    })
}

/// Takes up to `max` RX descriptors, flat.
#[napi]
pub fn xsk_receive(h: &XskHandle, max: u32) -> Result<Vec<f64>> {
    const OP: &str = "xsk_ring_cons__peek";
    guard(OP, || {
        let s = st(h, OP)?;
        let mut out = Vec::new();
        sock_mut(&s, OP)?.receive(max as usize, &mut out)?;
        Ok(out
            .iter()
            .flat_map(|d| {
                let [lo, hi] = halves(d.addr);
                [lo, hi, f64::from(d.len), f64::from(d.options)]
            })
            .collect())
    })
}

/// Puts descriptors (flat quadruples) on the TX ring; how many fit.
#[napi]
pub fn xsk_transmit(h: &XskHandle, descs: Vec<f64>) -> Result<u32> {
    const OP: &str = "xsk_ring_prod__submit";
    guard(OP, || {
        let s = st(h, OP)?;
        let d = descs_of(&descs, OP)?;
        let r = sock_mut(&s, OP)?.transmit(&d);
        Ok(r? as u32)
    })
}

/// Takes up to `max` completed addresses (flat halves).
#[napi]
pub fn xsk_complete(h: &XskHandle, max: u32) -> Result<Vec<f64>> {
    const OP: &str = "xsk_ring_cons__peek";
    guard(OP, || {
        let s = st(h, OP)?;
        let mut out = Vec::new();
        sock_mut(&s, OP)?.complete(max as usize, &mut out)?;
        Ok(out.into_iter().flat_map(halves).collect())
    })
}

/// `sendto()`: the TX ring's descriptors go out through the bound NIC; packets taken.
#[napi]
pub fn xsk_sendto(h: &XskHandle) -> Result<u32> {
    const OP: &str = "xsk_sendmsg";
    guard(OP, || {
        let s = st(h, OP)?;
        let dev = s.dev.as_ref().and_then(Weak::upgrade).ok_or_else(|| err(Errno::ENXIO, OP, "the socket is not bound"))?;
        Ok(crate::mvneta::xsk::sendto(&s.sock, &dev)?)
    })
}

#[napi(object)]
pub struct XskStatistics {
    pub rx_dropped: f64,
    pub rx_invalid_descs: f64,
    pub tx_invalid_descs: f64,
    pub rx_ring_full: f64,
    pub rx_fill_ring_empty_descs: f64,
    pub tx_ring_empty_descs: f64,
}

/// `getsockopt(XDP_STATISTICS)`.
#[napi]
pub fn xsk_statistics(h: &XskHandle) -> Result<XskStatistics> {
    const OP: &str = "xsk_getsockopt";
    guard(OP, || {
        let s = st(h, OP)?;
        let x = sock_mut(&s, OP)?.statistics();
        Ok(XskStatistics {
            rx_dropped: x.rx_dropped as f64,
            rx_invalid_descs: x.rx_invalid_descs as f64,
            tx_invalid_descs: x.tx_invalid_descs as f64,
            rx_ring_full: x.rx_ring_full as f64,
            rx_fill_ring_empty_descs: x.rx_fill_ring_empty_descs as f64,
            tx_ring_empty_descs: x.tx_ring_empty_descs as f64,
        })
    })
}

#[napi(object)]
pub struct XskRingState {
    pub size: u32,
    pub producer: u32,
    pub consumer: u32,
    pub flags: u32,
}

#[napi(object)]
pub struct XskSnapshot {
    pub rx: Option<XskRingState>,
    pub tx: Option<XskRingState>,
    pub fill: Option<XskRingState>,
    pub completion: Option<XskRingState>,
    /// Chunks the kernel holds (its free list), base addresses.
    pub kernel_chunks: Vec<f64>,
    /// Descriptors of a multi-buffer packet still waiting for its last one.
    pub partial_tx: u32,
    pub bound: bool,
    pub ifindex: u32,
    pub queue_id: u32,
    pub flags: u32,
}

fn ring_state(r: Option<RingState>) -> Option<XskRingState> {
    r.map(|r| XskRingState { size: r.size, producer: r.producer, consumer: r.consumer, flags: r.flags })
}

/// The rings' shared indexes and flags, and what the kernel holds.
#[napi]
pub fn xsk_state(h: &XskHandle) -> Result<XskSnapshot> {
    const OP: &str = "xsk_state";
    guard(OP, || {
        let s = st(h, OP)?;
        let x = sock_mut(&s, OP)?;
        let b = x.bound();
        Ok(XskSnapshot {
            rx: ring_state(x.rx_ring().map(crate::xsk::Ring::state)),
            tx: ring_state(x.tx_ring().map(crate::xsk::Ring::state)),
            fill: ring_state(x.fill_state()),
            completion: ring_state(x.completion_state()),
            kernel_chunks: x.kernel_chunks().iter().map(|a| *a as f64).collect(),
            partial_tx: x.partial_tx().len() as u32,
            bound: b.is_some(),
            ifindex: b.map_or(0, |b| b.ifindex),
            queue_id: b.map_or(0, |b| b.queue_id),
            flags: b.map_or(0, |b| b.flags),
        })
    })
}
