//! BPF ring buffers driven from JavaScript.

use super::dynptr::{new_dynptr, parse_flags, state_mut, DynTarget, DynptrHandle, DynptrState};
use super::*;
use crate::ringbuf::RingBuf;

pub(super) type Ring = Rc<RefCell<RingBuf>>;
pub(super) type RingHandle = External<Ring>;

#[napi]
pub fn ring_create(size: u32) -> Result<RingHandle> {
    guard("ringbuf_map_alloc", || Ok(External::new(Rc::new(RefCell::new(RingBuf::new(size)?)))))
}

fn with_ring<R>(ring: &RingHandle, op: &'static str, f: impl FnOnce(&mut RingBuf) -> crate::errno::Result<R>) -> Result<R> {
    guard(op, || {
        let mut r = ring.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, "the ring buffer is in use"))?;
        Ok(f(&mut r)?)
    })
}

#[napi]
pub fn ring_reserve_dynptr(ring: &RingHandle, size: u32, flags: Option<BigInt>) -> Result<DynptrHandle> {
    const OP: &str = "bpf_ringbuf_reserve_dynptr";
    let flags = parse_flags(flags, OP)?;
    let d = with_ring(ring, OP, |r| {
        let (d, res) = r.reserve_dynptr(size, flags);
        res.map(|_| d)
    })?;
    Ok(new_dynptr(d, DynTarget::Ring(Rc::clone(ring), Rc::new(std::cell::Cell::new(true)))))
}

/// `bpf_ringbuf_submit_dynptr` / `bpf_ringbuf_discard_dynptr`: the dynptr becomes null.
#[napi]
pub fn ring_commit_dynptr(h: &DynptrHandle, flags: Option<BigInt>, discard: bool) -> Result<()> {
    const OP: &str = "bpf_ringbuf_submit_dynptr";
    let flags = parse_flags(flags, OP)?;
    guard(OP, || {
        let mut st = state_mut(h, OP)?;
        let DynptrState { d, target } = &mut *st;
        match target {
            DynTarget::Ring(ring, live) => {
                if !live.get() {
                    return Err(err(Errno::EINVAL, OP, "the ring-buffer record behind this dynptr was already submitted or discarded"));
                }
                let mut r = ring.try_borrow_mut().map_err(|_| err(Errno::EBUSY, OP, "the ring buffer is in use"))?;
                r.commit_dynptr(d, flags, discard)?;
                live.set(false);
                Ok(())
            }
            _ if d.is_null() => Ok(()),
            _ => Err(err(Errno::EINVAL, OP, "not a ring-buffer dynptr")),
        }
    })
}

#[napi]
pub fn ring_output(ring: &RingHandle, data: &[u8], flags: Option<BigInt>) -> Result<()> {
    let flags = parse_flags(flags, "bpf_ringbuf_output")?;
    with_ring(ring, "bpf_ringbuf_output", |r| r.output(data, flags))
}

#[napi]
pub fn ring_query(ring: &RingHandle, flags: Option<BigInt>) -> Result<BigInt> {
    let flags = parse_flags(flags, "bpf_ringbuf_query")?;
    with_ring(ring, "bpf_ringbuf_query", |r| Ok(BigInt::from(r.query(flags))))
}

#[napi(object)]
pub struct RingInfo {
    pub size: u32,
    pub consumer_pos: f64,
    pub producer_pos: f64,
    pub pending_pos: f64,
    pub notifications: f64,
}

#[napi]
pub fn ring_info(ring: &RingHandle) -> Result<RingInfo> {
    with_ring(ring, "ringbuf", |r| {
        Ok(RingInfo {
            size: r.size(),
            consumer_pos: r.consumer_pos() as f64,
            producer_pos: r.producer_pos() as f64,
            pending_pos: r.pending_pos() as f64,
            notifications: r.notifications() as f64,
        })
    })
}

/// The data area as the kernel's single mapping shows it.
#[napi]
pub fn ring_data(ring: &RingHandle) -> Result<Buffer> {
    with_ring(ring, "ringbuf", |r| Ok(r.data().to_vec().into()))
}

/// Committed records from the consumer position, not consumed yet, written into the caller's
/// reusable arrays: per record three words in `meta` (end position, length, discarded 0/1) and the
/// samples back to back in `data` (discarded ones take no room). Stops after `max` records, at the
/// first record still being written, or when the arrays are full. Returns `count * 2 + more`
/// (`more`: stopped for room, call again); `-needed` when the first record alone is larger than
/// `data`.
#[napi]
pub fn ring_peek_into(ring: &RingHandle, max: u32, mut meta: Float64ArraySlice, mut data: Uint8ArraySlice) -> Result<f64> {
    // SAFETY: JS is not running while this call holds the slices.
    let (meta, data) = unsafe { (meta.as_mut(), data.as_mut()) };
    with_ring(ring, "ringbuf_consume", |r| {
        let (mut count, mut pos, mut at) = (0usize, r.consumer_pos(), 0usize);
        let slots = meta.len() / 3;
        while count < max as usize {
            let Some(rec) = r.record_at(pos) else { return Ok((count * 2) as f64) };
            let bytes = if rec.discarded { 0 } else { rec.len as usize };
            if count == slots || at + bytes > data.len() {
                return Ok(if count == 0 && bytes > data.len() { -(bytes as f64) } else { (count * 2 + 1) as f64 });
            }
            pos = RingBuf::after(&rec);
            data[at..at + bytes].copy_from_slice(r.sample(rec.sample, bytes));
            meta[count * 3..count * 3 + 3].copy_from_slice(&[pos as f64, bytes as f64, f64::from(u8::from(rec.discarded))]);
            at += bytes;
            count += 1;
        }
        Ok((count * 2) as f64)
    })
}

/// Whether libbpf's `ring_buffer__poll` would find the ring readable now (see `RingBuf::epoll_ready`).
#[napi]
pub fn ring_epoll_ready(ring: &RingHandle) -> Result<bool> {
    with_ring(ring, "ringbuf_poll", |r| Ok(r.epoll_ready()))
}

#[napi]
pub fn ring_set_consumer(ring: &RingHandle, pos: f64) -> Result<()> {
    if pos < 0.0 || pos.fract() != 0.0 || pos > 9.007_199_254_740_991e15 {
        return Err(err(Errno::EINVAL, "ringbuf_consume", "position must be a non-negative integer"));
    }
    with_ring(ring, "ringbuf_consume", |r| r.set_consumer_pos(pos as u64))
}

/// Produces and consumes `count` records of `size` bytes inside Rust and returns nanoseconds per
/// record: the native figure the JS ring-buffer benchmark is compared with.
#[napi]
pub fn ring_time_native_loop(ring: &RingHandle, size: u32, count: u32) -> Result<f64> {
    with_ring(ring, "ringbuf", |r| {
        let payload = vec![0x5au8; size as usize];
        let start = std::time::Instant::now();
        let mut seen = 0u64;
        for _ in 0..count {
            let (mut d, res) = r.reserve_dynptr(size, 0);
            res?;
            d.write(&mut r.backing(), 0, &payload, 0)?;
            r.commit_dynptr(&mut d, 0, false)?;
            r.consume(|s| {
                seen += s.len() as u64;
                0
            });
        }
        std::hint::black_box(seen);
        Ok(start.elapsed().as_nanos() as f64 / f64::from(count.max(1)))
    })
}
