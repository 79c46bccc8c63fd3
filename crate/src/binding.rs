//! The N-API binding: a thin layer that turns engine values into JS values and back. It is
//! private to the package; `lib/` wraps it in typed classes.
//!
//! Conventions: every entry point runs inside [`guard`], so a Rust panic comes back as a JS error
//! instead of aborting Node; engine errors travel as JSON in the error message (code, errno and
//! detail) for the facade to turn into `UxdpError`.

use std::cell::{RefCell, RefMut};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::errno::{Errno, XdpError};
use crate::frame::batch;
use crate::frame::{BuildOptions, FragDesc, NetDev, RxQueue, Skb, XdpBuff, XdpFrame};
use crate::pool::{PagePool, PoolConfig};

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
    for (key, value) in [("offset", e.detail.offset.map(|v| v.to_string())), ("length", e.detail.len.map(|v| v.to_string())), ("limit", e.detail.limit.map(|v| v.to_string()))] {
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
pub struct NativePool {
    pool: PagePool,
}

#[napi]
impl NativePool {
    #[napi(constructor)]
    pub fn new(options: Option<PoolOptions>) -> Result<Self> {
        guard("page_pool_create", || {
            let o = options.unwrap_or(PoolOptions { page_size: None, max_in_flight: None, cache_size: None });
            let d = PoolConfig::default();
            let pool = PagePool::new(PoolConfig {
                page_size: o.page_size.unwrap_or(d.page_size),
                max_in_flight: o.max_in_flight,
                cache_size: o.cache_size.unwrap_or(d.cache_size),
            })?;
            Ok(NativePool { pool })
        })
    }

    #[napi(getter)]
    pub fn page_size(&self) -> u32 {
        self.pool.page_size()
    }

    #[napi]
    pub fn stats(&self) -> PoolStatsObject {
        let s = self.pool.stats();
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
    pub fn set_pfmemalloc(&self, on: bool) {
        self.pool.set_pfmemalloc(on);
    }
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

type Slot<T> = Rc<RefCell<Option<T>>>;

fn take_mut<'a, T>(slot: &'a Slot<T>, op: &'static str, what: &str) -> Result<RefMut<'a, T>> {
    let cell = slot.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, format!("the {what} is in use by a running batch")))?;
    RefMut::filter_map(cell, |o| o.as_mut()).map_err(|_| err(Errno::EINVAL, op, format!("the {what} was released or converted")))
}

fn take_owned<T>(slot: &Slot<T>, op: &'static str, what: &str) -> Result<T> {
    let mut cell = slot.try_borrow_mut().map_err(|_| err(Errno::EBUSY, op, format!("the {what} is in use by a running batch")))?;
    cell.take().ok_or_else(|| err(Errno::EINVAL, op, format!("the {what} was released or converted")))
}

#[napi]
pub struct NativeFrame {
    slot: Slot<XdpBuff>,
}

impl NativeFrame {
    fn buff(&self, op: &'static str) -> Result<RefMut<'_, XdpBuff>> {
        take_mut(&self.slot, op, "frame")
    }

    fn wrap(buff: XdpBuff) -> NativeFrame {
        NativeFrame { slot: Rc::new(RefCell::new(Some(buff))) }
    }
}

/// A new Node Buffer of `len` bytes allocated by the engine (`napi_create_buffer`), to be filled
/// in place.
fn new_buffer(env: &Env, len: usize) -> Result<BufferSlice<'_>> {
    let (mut data, mut value) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: plain Node-API calls on this thread's env; the slice is read back from the Buffer
    // itself, as napi-rs does for every Buffer argument.
    unsafe {
        check_status!(napi::sys::napi_create_buffer(env.raw(), len, &mut data, &mut value), "Failed to create a Buffer")?;
        BufferSlice::from_napi_value(env.raw(), value)
    }
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

#[napi]
impl NativeFrame {
    #[napi(factory)]
    pub fn from_bytes(pool: &NativePool, bytes: &[u8], options: Option<FrameOptionsObject>) -> Result<NativeFrame> {
        guard("xdp_build_buff", || {
            let opts = build_options(options)?;
            Ok(NativeFrame::wrap(XdpBuff::from_bytes(&pool.pool, bytes, &opts)?))
        })
    }

    #[napi(getter)]
    pub fn length(&self) -> Result<u32> {
        guard("xdp_get_buff_len", || Ok(self.buff("xdp_get_buff_len")?.len()))
    }

    #[napi(getter)]
    pub fn linear_length(&self) -> Result<u32> {
        guard("xdp_buff", || Ok(self.buff("xdp_buff")?.linear_len()))
    }

    #[napi(getter)]
    pub fn nr_frags(&self) -> Result<u32> {
        guard("xdp_buff", || Ok(u32::from(self.buff("xdp_buff")?.nr_frags())))
    }

    #[napi(getter)]
    pub fn flags(&self) -> Result<u32> {
        guard("xdp_buff", || Ok(self.buff("xdp_buff")?.flags()))
    }

    #[napi(getter)]
    pub fn meta_length(&self) -> Result<u32> {
        guard("xdp_buff", || Ok(self.buff("xdp_buff")?.meta_len()))
    }

    #[napi(getter)]
    pub fn meta_supported(&self) -> Result<bool> {
        guard("xdp_buff", || Ok(self.buff("xdp_buff")?.meta_supported()))
    }

    #[napi(getter)]
    pub fn frags_size(&self) -> Result<u32> {
        guard("xdp_buff", || Ok(self.buff("xdp_buff")?.frags_size()))
    }

    #[napi(getter)]
    pub fn frags_truesize(&self) -> Result<u32> {
        guard("xdp_buff", || Ok(self.buff("xdp_buff")?.frags_truesize()))
    }

    #[napi(getter)]
    pub fn headroom(&self) -> Result<u32> {
        guard("xdp_buff", || Ok(self.buff("xdp_buff")?.headroom()))
    }

    #[napi(getter)]
    pub fn tailroom(&self) -> Result<u32> {
        guard("xdp_buff", || Ok(self.buff("xdp_buff")?.tailroom()))
    }

    #[napi(getter)]
    pub fn max_frags(&self) -> Result<u32> {
        guard("xdp_buff", || Ok(u32::from(self.buff("xdp_buff")?.max_frags())))
    }

    #[napi]
    pub fn layout(&self) -> Result<LayoutObject> {
        guard("xdp_buff", || {
            let l = self.buff("xdp_buff")?.layout();
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
    pub fn data_window(&self) -> Result<DataWindowObject> {
        guard("xdp_buff", || {
            let w = self.buff("xdp_buff")?.ctx_window();
            Ok(DataWindowObject { segment: w.segment as u32, start: w.start, end: w.end })
        })
    }

    #[napi]
    pub fn frags(&self) -> Result<Vec<FragObject>> {
        guard("xdp_buff", || Ok(frag_objects(self.buff("xdp_buff")?.frags())))
    }

    #[napi]
    pub fn meta(&self) -> Result<Buffer> {
        guard("xdp_buff", || Ok(self.buff("xdp_buff")?.meta().to_vec().into()))
    }

    #[napi]
    pub fn head_page(&self) -> Result<Buffer> {
        guard("xdp_buff", || Ok(self.buff("xdp_buff")?.head_page().to_vec().into()))
    }

    #[napi]
    pub fn to_bytes(&self, include_meta: bool) -> Result<Buffer> {
        guard("xdp_buff", || {
            let b = self.buff("xdp_buff")?;
            Ok(if include_meta { b.test_run_output() } else { b.to_vec() }.into())
        })
    }

    #[napi]
    pub fn load_bytes<'env>(&self, env: &'env Env, offset: u32, length: u32) -> Result<BufferSlice<'env>> {
        guard("bpf_xdp_load_bytes", || {
            let b = self.buff("bpf_xdp_load_bytes")?;
            // Refuse before allocating: the helper's own limit is 0xffff.
            b.check_access("bpf_xdp_load_bytes", offset, length)?;
            // The bytes go straight into a Buffer that V8 owns (napi_create_buffer), rather than
            // into a Vec handed over as an external buffer: no Rust allocation, no finalizer for
            // the GC to run, no external memory for it to account for.
            let mut out = new_buffer(env, length as usize)?;
            b.load_bytes(offset, &mut out)?;
            Ok(out)
        })
    }

    #[napi]
    pub fn load_bytes_into(&self, offset: u32, mut target: Uint8ArraySlice) -> Result<()> {
        // SAFETY: JS is not running while this call holds the slice.
        let target = unsafe { target.as_mut() };
        guard("bpf_xdp_load_bytes", || Ok(self.buff("bpf_xdp_load_bytes")?.load_bytes(offset, target)?))
    }

    #[napi]
    pub fn store_bytes(&self, offset: u32, bytes: &[u8]) -> Result<()> {
        guard("bpf_xdp_store_bytes", || Ok(self.buff("bpf_xdp_store_bytes")?.store_bytes(offset, bytes)?))
    }

    #[napi]
    pub fn adjust_head(&self, offset: i32) -> Result<()> {
        guard("bpf_xdp_adjust_head", || Ok(self.buff("bpf_xdp_adjust_head")?.adjust_head(offset)?))
    }

    #[napi]
    pub fn adjust_meta(&self, offset: i32) -> Result<()> {
        guard("bpf_xdp_adjust_meta", || Ok(self.buff("bpf_xdp_adjust_meta")?.adjust_meta(offset)?))
    }

    #[napi]
    pub fn adjust_tail(&self, offset: i32) -> Result<()> {
        guard("bpf_xdp_adjust_tail", || Ok(self.buff("bpf_xdp_adjust_tail")?.adjust_tail(offset)?))
    }

    #[napi]
    pub fn pull_data(&self, length: u32) -> Result<()> {
        guard("bpf_xdp_pull_data", || Ok(self.buff("bpf_xdp_pull_data")?.pull_data(length)?))
    }

    #[napi]
    pub fn adjust_data(&self, offset: u32) -> Result<u32> {
        guard("bpf_xdp_adjust_data", || Ok(self.buff("bpf_xdp_adjust_data")?.adjust_data(offset)?))
    }

    /// `bpf_xdp_pointer`: an ArrayBuffer over the packet's own memory when the range is in one
    /// segment, null when it crosses a boundary.
    #[napi(ts_return_type = "ArrayBuffer | null")]
    pub fn pointer<'env>(&self, env: &'env Env, offset: u32, length: u32) -> Result<Option<ArrayBuffer<'env>>> {
        guard("bpf_xdp_pointer", || {
            let mut b = self.buff("bpf_xdp_pointer")?;
            match b.pointer(offset, length)? {
                Some(v) => Ok(Some(view_of(env, b.view_mut(v))?)),
                None => Ok(None),
            }
        })
    }

    /// Views of every segment (linear part first), over the packet's own memory.
    #[napi(ts_return_type = "ArrayBuffer[]")]
    pub fn segment_views<'env>(&self, env: &'env Env) -> Result<Vec<ArrayBuffer<'env>>> {
        guard("xdp_buff", || {
            let mut b = self.buff("xdp_buff")?;
            let count = usize::from(b.nr_frags()) + 1;
            (0..count).map(|i| view_of(env, b.segment_mut(i))).collect()
        })
    }

    #[napi]
    pub fn segment_info(&self) -> Result<Vec<FragObject>> {
        guard("xdp_buff", || {
            let b = self.buff("xdp_buff")?;
            Ok(b.segments().map(|s| FragObject { page_addr: BigInt::from(s.page_addr), offset: s.page_offset, length: s.bytes.len() as u32 }).collect())
        })
    }

    /// `bpf_xdp_copy_buf` without checks: returns the bytes it could copy.
    #[napi]
    pub fn copy_out(&self, offset: u32, length: u32) -> Result<Buffer> {
        guard("bpf_xdp_copy_buf", || {
            let b = self.buff("bpf_xdp_copy_buf")?;
            let mut out = vec![0u8; (length as usize).min(b.len() as usize)];
            let n = b.copy_out(offset as usize, &mut out);
            out.truncate(n);
            Ok(out.into())
        })
    }

    #[napi]
    pub fn event_output(&self, flags: BigInt, meta: &[u8]) -> Result<SampleObject> {
        guard("bpf_xdp_event_output", || {
            let (negative, flags, lossless) = flags.get_u64();
            if negative || !lossless {
                return Err(err(Errno::EINVAL, "bpf_xdp_event_output", "flags must be an unsigned 64-bit value"));
            }
            let s = self.buff("bpf_xdp_event_output")?.event_output(flags, meta)?;
            Ok(SampleObject { index: s.index.map_or(-1, i64::from), data: s.data.into() })
        })
    }

    #[napi]
    pub fn set_rxq(&self, rxq: RxQueueObject) -> Result<()> {
        guard("xdp_buff", || {
            let mut b = self.buff("xdp_buff")?;
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
    pub fn to_xdp_frame(&self) -> Result<NativeXdpFrame> {
        guard("xdp_convert_buff_to_frame", || {
            let buff = take_owned(&self.slot, "xdp_convert_buff_to_frame", "frame")?;
            match buff.into_frame() {
                Ok(frame) => Ok(NativeXdpFrame { slot: Rc::new(RefCell::new(Some(frame))) }),
                Err((e, buff)) => {
                    *self.slot.borrow_mut() = Some(buff);
                    Err(e.into())
                }
            }
        })
    }

    #[napi(getter)]
    pub fn released(&self) -> bool {
        self.slot.try_borrow().map(|s| s.is_none()).unwrap_or(false)
    }

    #[napi]
    pub fn release(&self) -> Result<()> {
        guard("xdp_return_buff", || {
            take_owned(&self.slot, "xdp_return_buff", "frame")?;
            Ok(())
        })
    }
}

// ---------------------------------------------------------------- batches

#[napi]
pub struct NativeBatch {
    frames: Vec<Slot<XdpBuff>>,
}

#[napi]
impl NativeBatch {
    #[napi(constructor)]
    pub fn new() -> Self {
        NativeBatch { frames: Vec::new() }
    }

    #[napi]
    pub fn add(&mut self, frame: &NativeFrame) -> u32 {
        self.frames.push(Rc::clone(&frame.slot));
        (self.frames.len() - 1) as u32
    }

    /// Borrows every frame of the batch, in order, for the duration of `f`. A batch over one
    /// frame, the common case, borrows it without allocating a Vec of borrows.
    fn with_frames<R>(&self, f: impl FnOnce(&mut [RefMut<'_, XdpBuff>]) -> R) -> Result<R> {
        if let [slot] = self.frames.as_slice() {
            let mut cell = take_mut(slot, "xdp_batch", "frame")?;
            return Ok(f(std::slice::from_mut(&mut cell)));
        }
        let mut cells = Vec::with_capacity(self.frames.len());
        for slot in &self.frames {
            cells.push(take_mut(slot, "xdp_batch", "frame")?);
        }
        Ok(f(&mut cells))
    }

    /// Runs `ops` (5 words each) and writes one result per op. Returns the number of ops run.
    #[napi]
    pub fn run(&self, ops: &[i32], mut data: Uint8ArraySlice, mut results: Int32ArraySlice) -> Result<u32> {
        // SAFETY: JS is not running while this call holds the slices.
        let (data, results) = unsafe { (data.as_mut(), results.as_mut()) };
        guard("xdp_batch", || {
            batch::validate(ops, self.frames.len(), data.len(), results.len())?;
            self.with_frames(|cells| {
                for (rec, out) in ops.chunks_exact(batch::OP_WORDS).zip(results.iter_mut()) {
                    *out = batch::execute(&mut cells[rec[1] as usize], rec, data);
                }
            })?;
            Ok((ops.len() / batch::OP_WORDS) as u32)
        })
    }

    /// Runs the batch `iterations` times inside Rust and returns nanoseconds per run: the native
    /// loop that benchmarks compare a JS-driven `run` against.
    #[napi]
    pub fn time_native_loop(&self, ops: &[i32], mut data: Uint8ArraySlice, mut results: Int32ArraySlice, iterations: u32) -> Result<f64> {
        // SAFETY: JS is not running while this call holds the slices.
        let (data, results) = unsafe { (data.as_mut(), results.as_mut()) };
        guard("xdp_batch", || {
            batch::validate(ops, self.frames.len(), data.len(), results.len())?;
            self.with_frames(|cells| {
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
}

impl Default for NativeBatch {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------- xdp_frame and skb

#[napi]
pub struct NativeXdpFrame {
    slot: Slot<XdpFrame>,
}

#[napi(object)]
pub struct NetDevObject {
    pub ifindex: u32,
    pub dev_addr: Option<Buffer>,
}

#[napi]
impl NativeXdpFrame {
    fn frame(&self) -> Result<RefMut<'_, XdpFrame>> {
        take_mut(&self.slot, "xdp_frame", "xdp_frame")
    }

    #[napi(getter)]
    pub fn length(&self) -> Result<u32> {
        guard("xdp_frame", || Ok(self.frame()?.len()))
    }

    #[napi(getter)]
    pub fn frame_length(&self) -> Result<u32> {
        guard("xdp_frame", || Ok(self.frame()?.frame_len()))
    }

    #[napi(getter)]
    pub fn headroom(&self) -> Result<u32> {
        guard("xdp_frame", || Ok(self.frame()?.headroom()))
    }

    #[napi(getter)]
    pub fn metasize(&self) -> Result<u32> {
        guard("xdp_frame", || Ok(self.frame()?.metasize()))
    }

    #[napi(getter)]
    pub fn frame_size(&self) -> Result<u32> {
        guard("xdp_frame", || Ok(self.frame()?.frame_sz()))
    }

    #[napi(getter)]
    pub fn flags(&self) -> Result<u32> {
        guard("xdp_frame", || Ok(self.frame()?.flags()))
    }

    #[napi(getter)]
    pub fn mem_type(&self) -> Result<u32> {
        guard("xdp_frame", || Ok(self.frame()?.mem_type()))
    }

    #[napi(getter)]
    pub fn nr_frags(&self) -> Result<u32> {
        guard("xdp_frame", || Ok(u32::from(self.frame()?.nr_frags())))
    }

    #[napi(getter)]
    pub fn frags_size(&self) -> Result<u32> {
        guard("xdp_frame", || Ok(self.frame()?.frags_size()))
    }

    #[napi]
    pub fn data_addr(&self) -> Result<BigInt> {
        guard("xdp_frame", || Ok(BigInt::from(self.frame()?.data_addr())))
    }

    #[napi]
    pub fn raw(&self) -> Result<Buffer> {
        guard("xdp_frame", || Ok(self.frame()?.raw().to_vec().into()))
    }

    #[napi]
    pub fn meta(&self) -> Result<Buffer> {
        guard("xdp_frame", || Ok(self.frame()?.meta().to_vec().into()))
    }

    #[napi]
    pub fn frags(&self) -> Result<Vec<FragObject>> {
        guard("xdp_frame", || Ok(frag_objects(self.frame()?.frags())))
    }

    #[napi]
    pub fn to_bytes(&self) -> Result<Buffer> {
        guard("xdp_frame", || Ok(self.frame()?.to_vec().into()))
    }

    #[napi]
    pub fn to_buff(&self, rxq: Option<RxQueueObject>) -> Result<NativeFrame> {
        guard("xdp_convert_frame_to_buff", || {
            let frame = take_owned(&self.slot, "xdp_convert_frame_to_buff", "xdp_frame")?;
            let rxq = rxq.unwrap_or(RxQueueObject { ifindex: None, queue_index: None, frag_size: None });
            // cpumap and devmap run on a zeroed rxq: no frag size.
            let rxq = RxQueue { ifindex: rxq.ifindex.unwrap_or(0), queue_index: rxq.queue_index.unwrap_or(0), frag_size: rxq.frag_size.unwrap_or(0) };
            Ok(NativeFrame::wrap(frame.into_buff(rxq)))
        })
    }

    #[napi]
    pub fn to_skb(&self, dev: NetDevObject) -> Result<NativeSkb> {
        guard("__xdp_build_skb_from_frame", || {
            let mut dev_addr = [0u8; 6];
            if let Some(a) = dev.dev_addr {
                if a.len() != 6 {
                    return Err(err(Errno::EINVAL, "__xdp_build_skb_from_frame", "devAddr must be 6 bytes"));
                }
                dev_addr.copy_from_slice(&a);
            }
            let frame = take_owned(&self.slot, "__xdp_build_skb_from_frame", "xdp_frame")?;
            match frame.into_skb(NetDev { ifindex: dev.ifindex, dev_addr }) {
                Ok(skb) => Ok(NativeSkb { slot: Rc::new(RefCell::new(Some(skb))) }),
                Err((e, frame)) => {
                    *self.slot.borrow_mut() = Some(frame);
                    Err(e.into())
                }
            }
        })
    }

    #[napi(getter)]
    pub fn released(&self) -> bool {
        self.slot.try_borrow().map(|s| s.is_none()).unwrap_or(false)
    }

    #[napi]
    pub fn release(&self) -> Result<()> {
        guard("xdp_return_frame", || {
            take_owned(&self.slot, "xdp_return_frame", "xdp_frame")?;
            Ok(())
        })
    }
}

#[napi]
pub struct NativeSkb {
    slot: Slot<Skb>,
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

#[napi]
impl NativeSkb {
    fn skb(&self) -> Result<RefMut<'_, Skb>> {
        take_mut(&self.slot, "sk_buff", "skb")
    }

    #[napi]
    pub fn info(&self) -> Result<SkbInfo> {
        guard("sk_buff", || {
            let s = self.skb()?;
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
    pub fn frags(&self) -> Result<Vec<FragObject>> {
        guard("sk_buff", || Ok(frag_objects(self.skb()?.frags())))
    }

    #[napi]
    pub fn meta(&self) -> Result<Buffer> {
        guard("sk_buff", || Ok(self.skb()?.meta().to_vec().into()))
    }

    #[napi]
    pub fn mac_header(&self) -> Result<Buffer> {
        guard("sk_buff", || Ok(self.skb()?.mac_header().to_vec().into()))
    }

    #[napi]
    pub fn shared_info(&self) -> Result<Buffer> {
        guard("sk_buff", || Ok(self.skb()?.shared_info().to_vec().into()))
    }

    #[napi]
    pub fn to_bytes(&self) -> Result<Buffer> {
        guard("sk_buff", || Ok(self.skb()?.to_vec().into()))
    }

    #[napi]
    pub fn frame_bytes(&self) -> Result<Buffer> {
        guard("sk_buff", || Ok(self.skb()?.frame_bytes().into()))
    }

    #[napi(getter)]
    pub fn released(&self) -> bool {
        self.slot.try_borrow().map(|s| s.is_none()).unwrap_or(false)
    }

    #[napi]
    pub fn release(&self) -> Result<()> {
        guard("consume_skb", || {
            take_owned(&self.slot, "consume_skb", "skb")?;
            Ok(())
        })
    }
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
