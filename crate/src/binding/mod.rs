//! The N-API binding: a thin layer that turns engine values into JS values and back. It is
//! private to the package; `lib/` wraps it in typed classes.
//!
//! Conventions:
//! - Engine objects cross as `External` handles passed to free functions. napi-rs registers a
//!   borrow in a process-wide map for every `#[napi]` class method call (~280 ns a call here);
//!   an `External` argument costs ~110 ns, and is still type-checked.
//! - Every entry point runs inside [`guard`], so a Rust panic comes back as a JS error instead
//!   of aborting Node.
//! - Engine errors travel as JSON in the error message (code, errno and detail) for the facade to
//!   turn into `UxdpError`.

use std::cell::{RefCell, RefMut};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::errno::{Errno, XdpError};
use crate::frame::batch;
use crate::frame::{BuildOptions, FragDesc, NetDev, RxQueue, Skb, XdpBuff, XdpFrame};
use crate::pool::{PagePool, PoolConfig};

mod bpf;
mod kv;
mod mvneta;
mod protos;

// ---------------------------------------------------------------- errors and guards

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn js_error(e: &XdpError, panic: bool) -> Error {
    let mut json = format!(
        "{{\"uxdp\":1,\"code\":\"{}\",\"errno\":{},\"op\":{},\"message\":{}",
        e.errno.name(),
        e.errno.retval(),
        json_str(e.detail.op),
        json_str(&e.message)
    );
    for (key, value) in [
        ("offset", e.detail.offset.map(|v| v.to_string())),
        ("length", e.detail.len.map(|v| v.to_string())),
        ("limit", e.detail.limit.map(|v| v.to_string())),
    ] {
        if let Some(v) = value {
            json.push_str(&format!(",\"{key}\":{v}"));
        }
    }
    if panic {
        json.push_str(",\"panic\":true");
    }
    json.push('}');
    Error::new(Status::GenericFailure, json)
}

impl From<XdpError> for Error {
    fn from(e: XdpError) -> Self {
        js_error(&e, false)
    }
}

fn err(errno: Errno, op: &'static str, message: impl Into<String>) -> Error {
    js_error(&XdpError::new(errno, op, message), false)
}

/// Runs `f`, turning a panic into an error that names it.
fn guard<T>(op: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(js_error(&XdpError::new(Errno::EFAULT, op, format!("internal error (Rust panic): {what}")), true))
        }
    }
}

/// An engine object shared between its JS handle and the batches that reference it; `None` once
/// released or converted into something else.
type Shared<T> = Rc<RefCell<Option<T>>>;
type FrameHandle = External<Shared<XdpBuff>>;
type XdpFrameHandle = External<Shared<XdpFrame>>;
type SkbHandle = External<Shared<Skb>>;

fn shared<T>(value: T) -> Shared<T> {
    Rc::new(RefCell::new(Some(value)))
}

fn borrow<'a, T>(slot: &'a Shared<T>, op: &'static str, what: &str) -> Result<RefMut<'a, T>> {
    let cell = slot.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, format!("the {what} is in use by a running batch")))?;
    RefMut::filter_map(cell, |o| o.as_mut()).map_err(|_| err(Errno::EINVAL, op, format!("the {what} was released or converted")))
}

fn take<T>(slot: &Shared<T>, op: &'static str, what: &str) -> Result<T> {
    let mut cell = slot.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, format!("the {what} is in use by a running batch")))?;
    cell.take().ok_or_else(|| err(Errno::EINVAL, op, format!("the {what} was released or converted")))
}

fn is_released<T>(slot: &Shared<T>) -> bool {
    slot.try_borrow().map(|s| s.is_none()).unwrap_or(false)
}

/// Guard, borrow and error conversion in one: the shape of every call on a live object.
fn with<T, R>(slot: &Shared<T>, op: &'static str, what: &str, f: impl FnOnce(&mut T) -> crate::errno::Result<R>) -> Result<R> {
    guard(op, || {
        let mut value = borrow(slot, op, what)?;
        Ok(f(&mut value)?)
    })
}

fn with_frame<R>(frame: &FrameHandle, op: &'static str, f: impl FnOnce(&mut XdpBuff) -> crate::errno::Result<R>) -> Result<R> {
    with(frame, op, "frame", f)
}

// ---------------------------------------------------------------- pools

#[napi(object)]
pub struct PoolOptions {
    pub page_size: Option<u32>,
    pub max_in_flight: Option<u32>,
    pub cache_size: Option<u32>,
}

#[napi(object)]
pub struct PoolStatsObject {
    pub allocated: f64,
    pub alloc_fast: f64,
    pub recycled: f64,
    pub released: f64,
    pub alloc_failed: f64,
    pub in_flight: f64,
}

#[napi]
pub fn pool_create(options: Option<PoolOptions>) -> Result<External<PagePool>> {
    guard("page_pool_create", || {
        let o = options.unwrap_or(PoolOptions { page_size: None, max_in_flight: None, cache_size: None });
        let d = PoolConfig::default();
        let pool = PagePool::new(PoolConfig {
            page_size: o.page_size.unwrap_or(d.page_size),
            max_in_flight: o.max_in_flight,
            cache_size: o.cache_size.unwrap_or(d.cache_size),
        })?;
        Ok(External::new(pool))
    })
}

#[napi]
pub fn pool_page_size(pool: &External<PagePool>) -> u32 {
    pool.page_size()
}

#[napi]
pub fn pool_stats(pool: &External<PagePool>) -> PoolStatsObject {
    let s = pool.stats();
    PoolStatsObject {
        allocated: s.allocated as f64,
        alloc_fast: s.alloc_fast as f64,
        recycled: s.recycled as f64,
        released: s.released as f64,
        alloc_failed: s.alloc_failed as f64,
        in_flight: s.in_flight as f64,
    }
}

#[napi]
pub fn pool_set_pfmemalloc(pool: &External<PagePool>, on: bool) {
    pool.set_pfmemalloc(on);
}

// ---------------------------------------------------------------- frames

#[napi(object)]
pub struct FrameOptionsObject {
    pub headroom: Option<u32>,
    pub meta: Option<Buffer>,
    pub meta_supported: Option<bool>,
    pub linear_length: Option<u32>,
    pub frag_length: Option<u32>,
    pub frag_offset: Option<u32>,
    pub frag_truesize: Option<u32>,
    pub frame_size: Option<u32>,
    pub max_frags: Option<u32>,
    pub rxq_frag_size: Option<u32>,
    pub ifindex: Option<u32>,
    pub queue_index: Option<u32>,
}

fn build_options(o: Option<FrameOptionsObject>) -> Result<BuildOptions> {
    let d = BuildOptions::default();
    let Some(o) = o else { return Ok(d) };
    let max_frags = match o.max_frags {
        None => d.max_frags,
        Some(n) => u8::try_from(n).map_err(|_| err(Errno::EINVAL, "xdp_build_buff", format!("MAX_SKB_FRAGS {n} is outside 17..=45")))?,
    };
    Ok(BuildOptions {
        headroom: o.headroom.unwrap_or(d.headroom),
        meta: o.meta.map(|b| b.to_vec()).unwrap_or_default(),
        meta_supported: o.meta_supported.unwrap_or(true),
        linear_len: o.linear_length,
        test_run_linear: false,
        frag_len: o.frag_length,
        frag_offset: o.frag_offset.unwrap_or(0),
        frag_truesize: o.frag_truesize.unwrap_or(0),
        frame_sz: o.frame_size,
        max_frags,
        rxq: RxQueue {
            ifindex: o.ifindex.unwrap_or(d.rxq.ifindex),
            queue_index: o.queue_index.unwrap_or(d.rxq.queue_index),
            frag_size: o.rxq_frag_size.unwrap_or(d.rxq.frag_size),
        },
    })
}

#[napi(object)]
pub struct FragObject {
    pub page_addr: BigInt,
    pub offset: u32,
    pub length: u32,
}

fn frag_objects(frags: Vec<FragDesc>) -> Vec<FragObject> {
    frags.into_iter().map(|f| FragObject { page_addr: BigInt::from(f.page_addr), offset: f.offset, length: f.len }).collect()
}

#[napi(object)]
pub struct LayoutObject {
    pub page_addr: BigInt,
    pub page_size: u32,
    pub hard_start: u32,
    pub data_meta: u32,
    pub data: u32,
    pub data_end: u32,
    pub hard_end: u32,
    pub frame_size: u32,
}

#[napi(object)]
pub struct DataWindowObject {
    pub segment: u32,
    pub start: u32,
    pub end: u32,
}

#[napi(object)]
pub struct SampleObject {
    /// The perf event array index, or -1 for BPF_F_CURRENT_CPU.
    pub index: i64,
    pub data: Buffer,
}

#[napi(object)]
pub struct RxQueueObject {
    pub ifindex: Option<u32>,
    pub queue_index: Option<u32>,
    pub frag_size: Option<u32>,
}

#[napi]
pub fn frame_from_bytes(pool: &External<PagePool>, bytes: &[u8], options: Option<FrameOptionsObject>) -> Result<FrameHandle> {
    guard("xdp_build_buff", || {
        let opts = build_options(options)?;
        Ok(External::new(shared(XdpBuff::from_bytes(pool, bytes, &opts)?)))
    })
}

/// The buffer BPF_PROG_TEST_RUN builds from data_in and ctx_in (the 24 bytes of `struct xdp_md`),
/// by the same function the engine's test_run uses.
#[napi]
pub fn frame_from_test_run(pool: &External<PagePool>, data: &[u8], ctx: Option<&[u8]>) -> Result<FrameHandle> {
    guard("bpf_prog_test_run", || {
        let ctx = match ctx {
            Some(b) => Some(crate::bpf::test_run::XdpMd::from_bytes(b)?),
            None => None,
        };
        Ok(External::new(shared(crate::bpf::test_run::build_buff(pool, data, ctx.as_ref())?)))
    })
}

#[napi]
pub fn frame_length(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_get_buff_len", |b| Ok(b.len()))
}

#[napi]
pub fn frame_linear_length(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.linear_len()))
}

#[napi]
pub fn frame_nr_frags(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(u32::from(b.nr_frags())))
}

#[napi]
pub fn frame_flags(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.flags()))
}

#[napi]
pub fn frame_meta_length(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.meta_len()))
}

#[napi]
pub fn frame_meta_supported(frame: &FrameHandle) -> Result<bool> {
    with_frame(frame, "xdp_buff", |b| Ok(b.meta_supported()))
}

#[napi]
pub fn frame_frags_size(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.frags_size()))
}

#[napi]
pub fn frame_frags_truesize(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.frags_truesize()))
}

#[napi]
pub fn frame_headroom(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.headroom()))
}

#[napi]
pub fn frame_tailroom(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(b.tailroom()))
}

#[napi]
pub fn frame_max_frags(frame: &FrameHandle) -> Result<u32> {
    with_frame(frame, "xdp_buff", |b| Ok(u32::from(b.max_frags())))
}

#[napi]
pub fn frame_layout(frame: &FrameHandle) -> Result<LayoutObject> {
    with_frame(frame, "xdp_buff", |b| {
        let l = b.layout();
        Ok(LayoutObject {
            page_addr: BigInt::from(l.page_addr),
            page_size: l.page_size,
            hard_start: l.hard_start,
            data_meta: l.data_meta,
            data: l.data,
            data_end: l.data_end,
            hard_end: l.hard_end,
            frame_size: l.frame_sz,
        })
    })
}

#[napi]
pub fn frame_data_window(frame: &FrameHandle) -> Result<DataWindowObject> {
    with_frame(frame, "xdp_buff", |b| {
        let w = b.ctx_window();
        Ok(DataWindowObject { segment: w.segment as u32, start: w.start, end: w.end })
    })
}

#[napi]
pub fn frame_frags(frame: &FrameHandle) -> Result<Vec<FragObject>> {
    with_frame(frame, "xdp_buff", |b| Ok(frag_objects(b.frags())))
}

#[napi]
pub fn frame_meta(frame: &FrameHandle) -> Result<Buffer> {
    with_frame(frame, "xdp_buff", |b| Ok(b.meta().to_vec().into()))
}

#[napi]
pub fn frame_head_page(frame: &FrameHandle) -> Result<Buffer> {
    with_frame(frame, "xdp_buff", |b| Ok(b.head_page().to_vec().into()))
}

#[napi]
pub fn frame_to_bytes(frame: &FrameHandle, include_meta: bool) -> Result<Buffer> {
    with_frame(frame, "xdp_buff", |b| Ok(if include_meta { b.test_run_output() } else { b.to_vec() }.into()))
}

/// The access checks of `bpf_xdp_load_bytes`, alone: lets the facade report EFAULT for a huge
/// length without allocating a buffer for it.
#[napi]
pub fn frame_check_load(frame: &FrameHandle, offset: u32, length: u32) -> Result<()> {
    with_frame(frame, "bpf_xdp_load_bytes", |b| b.check_access("bpf_xdp_load_bytes", offset, length))
}

#[napi]
pub fn frame_load_bytes_into(frame: &FrameHandle, offset: u32, mut target: Uint8ArraySlice) -> Result<()> {
    // SAFETY: JS is not running while this call holds the slice.
    let target = unsafe { target.as_mut() };
    with_frame(frame, "bpf_xdp_load_bytes", |b| b.load_bytes(offset, target))
}

#[napi]
pub fn frame_store_bytes(frame: &FrameHandle, offset: u32, bytes: &[u8]) -> Result<()> {
    with_frame(frame, "bpf_xdp_store_bytes", |b| b.store_bytes(offset, bytes))
}

#[napi]
pub fn frame_adjust_head(frame: &FrameHandle, offset: i32) -> Result<()> {
    with_frame(frame, "bpf_xdp_adjust_head", |b| b.adjust_head(offset))
}

#[napi]
pub fn frame_adjust_meta(frame: &FrameHandle, offset: i32) -> Result<()> {
    with_frame(frame, "bpf_xdp_adjust_meta", |b| b.adjust_meta(offset))
}

#[napi]
pub fn frame_adjust_tail(frame: &FrameHandle, offset: i32) -> Result<()> {
    with_frame(frame, "bpf_xdp_adjust_tail", |b| b.adjust_tail(offset))
}

#[napi]
pub fn frame_pull_data(frame: &FrameHandle, length: u32) -> Result<()> {
    with_frame(frame, "bpf_xdp_pull_data", |b| b.pull_data(length))
}

#[napi]
pub fn frame_adjust_data(frame: &FrameHandle, offset: u32) -> Result<u32> {
    with_frame(frame, "bpf_xdp_adjust_data", |b| b.adjust_data(offset))
}

fn view_of<'env>(env: &'env Env, bytes: &mut [u8]) -> Result<ArrayBuffer<'env>> {
    if bytes.is_empty() {
        return ArrayBuffer::from_data(env, Vec::new());
    }
    // SAFETY: the bytes live in a page owned by the frame. The facade detaches every view before
    // the frame's geometry changes or its pages leave it, and keeps the frame reachable while a
    // view is, so the memory outlives every attached view. The finalizer owns nothing.
    unsafe { ArrayBuffer::from_external(env, bytes.as_mut_ptr(), bytes.len(), (), |_, _| {}) }
}

/// `bpf_xdp_pointer`: where the range sits when it is in one segment (a packed location: the
/// segment is the region, see `frame_segment_view`), LOC_NONE when it crosses a boundary.
#[napi]
pub fn frame_pointer(frame: &FrameHandle, offset: u32, length: u32) -> Result<f64> {
    with_frame(frame, "bpf_xdp_pointer", |b| {
        Ok(match b.pointer(offset, length)? {
            Some(v) => packed_location(v.segment, v.offset),
            None => LOC_NONE,
        })
    })
}

/// A view of one segment's bytes (0 = the linear part), over the packet's own memory: the region
/// every direct view into that segment is cut from.
#[napi]
pub fn frame_segment_view<'env>(env: &'env Env, frame: &FrameHandle, index: u32) -> Result<ArrayBuffer<'env>> {
    guard("xdp_buff", || {
        let mut b = borrow(frame, "xdp_buff", "frame")?;
        if index > u32::from(b.nr_frags()) {
            return Err(err(Errno::EINVAL, "xdp_buff", "no such segment"));
        }
        view_of(env, b.segment_mut(index as usize))
    })
}

#[napi]
pub fn frame_segment_info(frame: &FrameHandle) -> Result<Vec<FragObject>> {
    with_frame(frame, "xdp_buff", |b| {
        Ok(b.segments()
            .map(|s| FragObject { page_addr: BigInt::from(s.page_addr), offset: s.page_offset, length: s.bytes.len() as u32 })
            .collect())
    })
}

/// `bpf_xdp_copy_buf` without checks: returns the bytes it could copy.
#[napi]
pub fn frame_copy_out(frame: &FrameHandle, offset: u32, length: u32) -> Result<Buffer> {
    with_frame(frame, "bpf_xdp_copy_buf", |b| {
        let mut out = vec![0u8; (length as usize).min(b.len() as usize)];
        let n = b.copy_out(offset as usize, &mut out);
        out.truncate(n);
        Ok(out.into())
    })
}

#[napi]
pub fn frame_event_output(frame: &FrameHandle, flags: BigInt, meta: &[u8]) -> Result<SampleObject> {
    let (negative, flags, lossless) = flags.get_u64();
    if negative || !lossless {
        return Err(err(Errno::EINVAL, "bpf_xdp_event_output", "flags must be an unsigned 64-bit value"));
    }
    with_frame(frame, "bpf_xdp_event_output", |b| {
        let s = b.event_output(flags, meta)?;
        Ok(SampleObject { index: s.index.map_or(-1, i64::from), data: s.data.into() })
    })
}

#[napi]
pub fn frame_set_rxq(frame: &FrameHandle, rxq: RxQueueObject) -> Result<()> {
    with_frame(frame, "xdp_buff", |b| {
        let cur = b.rxq();
        b.set_rxq(RxQueue {
            ifindex: rxq.ifindex.unwrap_or(cur.ifindex),
            queue_index: rxq.queue_index.unwrap_or(cur.queue_index),
            frag_size: rxq.frag_size.unwrap_or(cur.frag_size),
        });
        Ok(())
    })
}

#[napi]
pub fn frame_to_xdp_frame(frame: &FrameHandle) -> Result<XdpFrameHandle> {
    const OP: &str = "xdp_convert_buff_to_frame";
    guard(OP, || {
        let buff = take(frame, OP, "frame")?;
        match buff.into_frame() {
            Ok(xdpf) => Ok(External::new(shared(xdpf))),
            Err((e, buff)) => {
                *frame.borrow_mut() = Some(buff);
                Err(e.into())
            }
        }
    })
}

#[napi]
pub fn frame_released(frame: &FrameHandle) -> bool {
    is_released(frame)
}

#[napi]
pub fn frame_release(frame: &FrameHandle) -> Result<()> {
    guard("xdp_return_buff", || take(frame, "xdp_return_buff", "frame").map(drop))
}

// ---------------------------------------------------------------- batches

pub struct BatchState {
    frames: Vec<Shared<XdpBuff>>,
    /// (generation, op count, data length) last validated: a batch run again unchanged skips
    /// validation. Records are still bounds-checked as they run.
    validated: Option<(u32, usize, usize)>,
}

impl BatchState {
    /// Borrows every frame of the batch, in order, for the duration of `f`. A batch over one
    /// frame, the common case, borrows it without allocating a Vec of borrows.
    fn with_frames<R>(&self, f: impl FnOnce(&mut [RefMut<'_, XdpBuff>]) -> R) -> Result<R> {
        if let [slot] = self.frames.as_slice() {
            let mut cell = borrow(slot, "xdp_batch", "frame")?;
            return Ok(f(std::slice::from_mut(&mut cell)));
        }
        let mut cells = Vec::with_capacity(self.frames.len());
        for slot in &self.frames {
            cells.push(borrow(slot, "xdp_batch", "frame")?);
        }
        Ok(f(&mut cells))
    }

    /// Splits the facade's word array, `[results (cap) | ops (cap × 5)]`, for `count` ops, and
    /// validates them unless this exact batch was validated before.
    fn prepare<'w>(&mut self, words: &'w mut [i32], count: u32, data_len: usize, generation: u32) -> Result<(&'w [i32], &'w mut [i32])> {
        let cap = words.len() / (batch::OP_WORDS + 1);
        let count = count as usize;
        if count > cap {
            return Err(err(Errno::EINVAL, "xdp_batch", format!("{count} ops do not fit a word array for {cap}")));
        }
        let (results, ops) = words.split_at_mut(cap);
        let ops = &ops[..count * batch::OP_WORDS];
        let key = (generation, count, data_len);
        if self.validated != Some(key) {
            batch::validate(ops, self.frames.len(), data_len, count)?;
            self.validated = Some(key);
        }
        Ok((ops, &mut results[..count]))
    }
}

#[napi]
pub fn batch_create() -> External<RefCell<BatchState>> {
    External::new(RefCell::new(BatchState { frames: Vec::new(), validated: None }))
}

#[napi]
pub fn batch_add(batch: &External<RefCell<BatchState>>, frame: &FrameHandle) -> Result<u32> {
    guard("xdp_batch", || {
        let mut b = batch.try_borrow_mut().map_err(|_| err(Errno::EBUSY, "xdp_batch", "the batch is running"))?;
        b.frames.push(Rc::clone(frame));
        b.validated = None;
        Ok((b.frames.len() - 1) as u32)
    })
}

/// Runs `count` ops and writes one result per op (see [`BatchState::prepare`] for the layout).
#[napi]
pub fn batch_run(
    batch: &External<RefCell<BatchState>>,
    mut words: Int32ArraySlice,
    count: u32,
    mut data: Uint8ArraySlice,
    generation: u32,
) -> Result<u32> {
    // SAFETY: JS is not running while this call holds the slices.
    let (words, data) = unsafe { (words.as_mut(), data.as_mut()) };
    guard("xdp_batch", || {
        let mut state = batch.try_borrow_mut().map_err(|_| err(Errno::EBUSY, "xdp_batch", "the batch is running"))?;
        let (ops, results) = state.prepare(words, count, data.len(), generation)?;
        state.with_frames(|cells| {
            for (rec, out) in ops.chunks_exact(batch::OP_WORDS).zip(results.iter_mut()) {
                *out = batch::execute(&mut cells[rec[1] as usize], rec, data);
            }
        })?;
        Ok(count)
    })
}

/// Runs the batch `iterations` times inside Rust and returns nanoseconds per run: the native
/// loop that benchmarks compare a JS-driven `batch_run` against.
#[napi]
pub fn batch_time_native_loop(
    batch: &External<RefCell<BatchState>>,
    mut words: Int32ArraySlice,
    count: u32,
    mut data: Uint8ArraySlice,
    iterations: u32,
) -> Result<f64> {
    // SAFETY: JS is not running while this call holds the slices.
    let (words, data) = unsafe { (words.as_mut(), data.as_mut()) };
    guard("xdp_batch", || {
        let mut state = batch.try_borrow_mut().map_err(|_| err(Errno::EBUSY, "xdp_batch", "the batch is running"))?;
        state.validated = None;
        let (ops, results) = state.prepare(words, count, data.len(), 0)?;
        state.validated = None;
        state.with_frames(|cells| {
            let start = std::time::Instant::now();
            for _ in 0..iterations.max(1) {
                for (rec, out) in ops.chunks_exact(batch::OP_WORDS).zip(results.iter_mut()) {
                    *out = batch::execute(&mut cells[rec[1] as usize], rec, data);
                }
                std::hint::black_box(&mut *results);
            }
            start.elapsed().as_nanos() as f64 / f64::from(iterations.max(1))
        })
    })
}

// ---------------------------------------------------------------- xdp_frame and skb

#[napi(object)]
pub struct NetDevObject {
    pub ifindex: u32,
    pub dev_addr: Option<Buffer>,
}

#[napi(object)]
pub struct XdpFrameInfo {
    pub length: u32,
    pub frame_length: u32,
    pub headroom: u32,
    pub metasize: u32,
    pub frame_size: u32,
    pub flags: u32,
    pub mem_type: u32,
    pub nr_frags: u32,
    pub frags_size: u32,
    pub data_addr: BigInt,
}

fn with_xdp_frame<R>(xdpf: &XdpFrameHandle, f: impl FnOnce(&mut XdpFrame) -> crate::errno::Result<R>) -> Result<R> {
    with(xdpf, "xdp_frame", "xdp_frame", f)
}

#[napi]
pub fn xdp_frame_info(xdpf: &XdpFrameHandle) -> Result<XdpFrameInfo> {
    with_xdp_frame(xdpf, |x| {
        Ok(XdpFrameInfo {
            length: x.len(),
            frame_length: x.frame_len(),
            headroom: x.headroom(),
            metasize: x.metasize(),
            frame_size: x.frame_sz(),
            flags: x.flags(),
            mem_type: x.mem_type(),
            nr_frags: u32::from(x.nr_frags()),
            frags_size: x.frags_size(),
            data_addr: BigInt::from(x.data_addr()),
        })
    })
}

#[napi]
pub fn xdp_frame_raw(xdpf: &XdpFrameHandle) -> Result<Buffer> {
    with_xdp_frame(xdpf, |x| Ok(x.raw().to_vec().into()))
}

#[napi]
pub fn xdp_frame_meta(xdpf: &XdpFrameHandle) -> Result<Buffer> {
    with_xdp_frame(xdpf, |x| Ok(x.meta().to_vec().into()))
}

#[napi]
pub fn xdp_frame_frags(xdpf: &XdpFrameHandle) -> Result<Vec<FragObject>> {
    with_xdp_frame(xdpf, |x| Ok(frag_objects(x.frags())))
}

#[napi]
pub fn xdp_frame_to_bytes(xdpf: &XdpFrameHandle) -> Result<Buffer> {
    with_xdp_frame(xdpf, |x| Ok(x.to_vec().into()))
}

#[napi]
pub fn xdp_frame_to_buff(xdpf: &XdpFrameHandle, rxq: Option<RxQueueObject>) -> Result<FrameHandle> {
    const OP: &str = "xdp_convert_frame_to_buff";
    guard(OP, || {
        let frame = take(xdpf, OP, "xdp_frame")?;
        let rxq = rxq.unwrap_or(RxQueueObject { ifindex: None, queue_index: None, frag_size: None });
        // cpumap and devmap run on a zeroed rxq: no frag size.
        let rxq =
            RxQueue { ifindex: rxq.ifindex.unwrap_or(0), queue_index: rxq.queue_index.unwrap_or(0), frag_size: rxq.frag_size.unwrap_or(0) };
        Ok(External::new(shared(frame.into_buff(rxq))))
    })
}

#[napi]
pub fn xdp_frame_to_skb(xdpf: &XdpFrameHandle, dev: NetDevObject) -> Result<SkbHandle> {
    const OP: &str = "__xdp_build_skb_from_frame";
    guard(OP, || {
        let mut dev_addr = [0u8; 6];
        if let Some(a) = dev.dev_addr {
            if a.len() != 6 {
                return Err(err(Errno::EINVAL, OP, "devAddr must be 6 bytes"));
            }
            dev_addr.copy_from_slice(&a);
        }
        let frame = take(xdpf, OP, "xdp_frame")?;
        match frame.into_skb(NetDev { ifindex: dev.ifindex, dev_addr }) {
            Ok(skb) => Ok(External::new(shared(skb))),
            Err((e, frame)) => {
                *xdpf.borrow_mut() = Some(frame);
                Err(e.into())
            }
        }
    })
}

#[napi]
pub fn xdp_frame_released(xdpf: &XdpFrameHandle) -> bool {
    is_released(xdpf)
}

#[napi]
pub fn xdp_frame_release(xdpf: &XdpFrameHandle) -> Result<()> {
    guard("xdp_return_frame", || take(xdpf, "xdp_return_frame", "xdp_frame").map(drop))
}

#[napi(object)]
pub struct SkbInfo {
    pub len: u32,
    pub data_len: u32,
    pub headlen: u32,
    pub truesize: u32,
    pub protocol: u32,
    pub pkt_type: u32,
    pub meta_len: u32,
    pub nr_frags: u32,
    pub pfmemalloc: bool,
    pub ifindex: u32,
}

fn with_skb<R>(skb: &SkbHandle, f: impl FnOnce(&mut Skb) -> crate::errno::Result<R>) -> Result<R> {
    with(skb, "sk_buff", "skb", f)
}

#[napi]
pub fn skb_info(skb: &SkbHandle) -> Result<SkbInfo> {
    with_skb(skb, |s| {
        Ok(SkbInfo {
            len: s.len(),
            data_len: s.data_len(),
            headlen: s.headlen(),
            truesize: s.truesize(),
            protocol: u32::from(s.protocol()),
            pkt_type: u32::from(s.pkt_type()),
            meta_len: u32::from(s.meta_len()),
            nr_frags: u32::from(s.nr_frags()),
            pfmemalloc: s.pfmemalloc(),
            ifindex: s.ifindex(),
        })
    })
}

#[napi]
pub fn skb_frags(skb: &SkbHandle) -> Result<Vec<FragObject>> {
    with_skb(skb, |s| Ok(frag_objects(s.frags())))
}

#[napi]
pub fn skb_meta(skb: &SkbHandle) -> Result<Buffer> {
    with_skb(skb, |s| Ok(s.meta().to_vec().into()))
}

#[napi]
pub fn skb_mac_header(skb: &SkbHandle) -> Result<Buffer> {
    with_skb(skb, |s| Ok(s.mac_header().to_vec().into()))
}

#[napi]
pub fn skb_shared_info(skb: &SkbHandle) -> Result<Buffer> {
    with_skb(skb, |s| Ok(s.shared_info().to_vec().into()))
}

#[napi]
pub fn skb_to_bytes(skb: &SkbHandle) -> Result<Buffer> {
    with_skb(skb, |s| Ok(s.to_vec().into()))
}

#[napi]
pub fn skb_frame_bytes(skb: &SkbHandle) -> Result<Buffer> {
    with_skb(skb, |s| Ok(s.frame_bytes().into()))
}

#[napi]
pub fn skb_released(skb: &SkbHandle) -> bool {
    is_released(skb)
}

#[napi]
pub fn skb_release(skb: &SkbHandle) -> Result<()> {
    guard("consume_skb", || take(skb, "consume_skb", "skb").map(drop))
}

// ---------------------------------------------------------------- misc

#[napi]
pub fn detach_views(views: Vec<ArrayBuffer>) -> Result<u32> {
    guard("detach_views", || {
        let mut n = 0;
        for v in views {
            if !v.is_detached()? && !v.is_empty() {
                v.detach()?;
                n += 1;
            }
        }
        Ok(n)
    })
}

#[napi]
pub fn engine_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Lets the test suite prove that a Rust panic reaches JS as an error rather than killing Node.
#[napi]
pub fn internal_panic_for_test(message: String) -> Result<()> {
    guard("internal_panic_for_test", || panic!("{message}"))
}

// ---------------------------------------------------------------- dynptrs and ring buffers

use crate::dynptr::{copy as dynptr_copy_kernel, Backing, Dynptr, IterStep, ProgType, Slice, SliceBacking};
use crate::ringbuf::RingBuf;

type Ring = Rc<RefCell<RingBuf>>;
type RingHandle = External<Ring>;

/// Where JS memory regions start in the dynptr address space: a memory dynptr's `data` is this
/// plus its byte offset in its ArrayBuffer (never 0, which would be the null dynptr).
const JS_MEM_BASE: u64 = 0x1000;

/// What a JS-held dynptr points into. Memory comes with each call (JS owns it).
#[derive(Clone)]
enum DynTarget {
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
    d: Dynptr,
    target: DynTarget,
}

type DynptrHandle = External<RefCell<DynptrState>>;

fn new_dynptr(d: Dynptr, target: DynTarget) -> DynptrHandle {
    External::new(RefCell::new(DynptrState { d, target }))
}

fn parse_flags(flags: Option<BigInt>, op: &'static str) -> Result<u64> {
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

fn state_mut<'a>(h: &'a DynptrHandle, op: &'static str) -> Result<std::cell::RefMut<'a, DynptrState>> {
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

/// Direct views cross the boundary as one number, `region * 2^32 + offset`: the owner cuts the view
/// from a cached view of the whole region (a frame segment, the skb's linear part or metadata, a
/// ring record), so a slice costs no new external ArrayBuffer. Regions are detached together when
/// the owner's memory may move.
const REGION_STRIDE: f64 = 4_294_967_296.0;
/// No view (and no copy).
const LOC_NONE: f64 = -1.0;
/// The bytes were copied into the caller's buffer.
const LOC_COPIED: f64 = -2.0;
/// The region that is the caller's own Uint8Array (memory dynptrs from JS).
const REGION_CALLER_MEM: u32 = 0xffff;
const REGION_SKB_LINEAR: u32 = 0;
const REGION_SKB_META: u32 = 1;
const REGION_RING_RECORD: u32 = 0;

fn packed_location(region: u32, offset: u32) -> f64 {
    f64::from(region) * REGION_STRIDE + f64::from(offset)
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

// -- ring buffers

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
