//! The N-API binding: a thin layer that turns engine values into JS values and back. It is
//! private to the package; `lib/` wraps it in typed classes.
//!
//! Conventions:
//! - Engine objects cross as `External` handles passed to free functions. napi-rs registers a
//!   borrow in a process-wide map for every `#[napi]` class method call (~280 ns a call here);
//!   an `External` argument costs ~110 ns, and is still type-checked.
//! - Every entry point runs inside [`guard`], so a Rust panic comes back as a JS error instead
//!   of aborting Node.
//! - Engine errors are thrown as JS `Error`s whose own properties carry the errno and detail
//!   (see [`js_error`]), for the facade to turn into `UxdpError`.
//!
//! This file holds what every subsystem shares (error conversion, the panic guard, handle
//! borrowing, direct views); each engine subsystem has its own file.

use std::cell::{Cell, RefCell, RefMut};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::errno::{Errno, XdpError};
use crate::frame::{BuildOptions, FragDesc, NetDev, RxQueue, Skb, XdpBuff, XdpFrame};
use crate::pool::{PagePool, PoolConfig};

mod batch;
mod bpf;
mod dynptr;
mod frame;
mod hostnet;
mod kv;
mod maps;
mod misc;
mod mvneta;
mod pool;
mod protos;
mod ringbuf;
mod skb;
mod xdp_frame;
mod xsk;

/// One entry of an engine table (a name and its uapi number) as the facade reads it.
#[napi(object)]
pub struct NamedValue {
    pub name: String,
    pub value: u32,
}

// ---------------------------------------------------------------- errors and guards

thread_local! {
    /// The env of this thread's instance of the addon (Node's main thread or a worker's), recorded
    /// when the module registers: errors become JS objects where they are converted, and most
    /// entry points take no env.
    static ENV: Cell<Option<sys::napi_env>> = const { Cell::new(None) };
}

#[napi(module_exports)]
pub fn record_env(_exports: Object, env: Env) {
    ENV.with(|c| c.set(Some(env.raw())));
}

/// A thrown JS `Error` whose own properties carry the engine error's fields (`code`, `errno`,
/// `op`, ..., `pc`, `insn`, `log`, `program`) for the facade to read into `UxdpError`.
fn js_error(e: &XdpError, panic: bool) -> Error {
    let plain = || Error::new(Status::GenericFailure, e.to_string());
    match ENV.with(|c| c.get()) {
        Some(raw) => error_object(&Env::from_raw(raw), e, panic).unwrap_or_else(|_| plain()),
        None => plain(),
    }
}

fn error_object(env: &Env, e: &XdpError, panic: bool) -> Result<Error> {
    let mut o = env.create_error(Error::new(Status::GenericFailure, e.message.clone()))?;
    o.set("code", e.errno.name())?;
    o.set("errno", e.errno.retval())?;
    if !e.op.is_empty() {
        o.set("op", e.op)?;
    }
    // JS numbers: offsets, lengths and pcs are far below 2^53; an address may not be.
    let numbers = [
        ("offset", e.offset.map(|v| v as f64)),
        ("length", e.len.map(|v| v as f64)),
        ("limit", e.limit.map(|v| v as f64)),
        ("pc", e.pc.map(|v| v as f64)),
    ];
    for (key, value) in numbers {
        if let Some(v) = value {
            o.set(key, v)?;
        }
    }
    if let Some(addr) = e.addr {
        o.set("addr", BigInt::from(addr))?;
    }
    if let Some(raw) = e.insn {
        o.set("insn", crate::bpf::disasm::kernel_style(&[crate::bpf::Insn::from_bytes(&raw)], 0, &|_| None))?;
    }
    // A load refusal's own line (the verifier's, as the kernel's log ends with it), without the
    // `prog 'NAME': ` that the load's message puts before it.
    if !e.program.is_empty() && e.detail.op == "bpf_prog_load" {
        let prefix = format!("prog '{}': ", e.program);
        o.set("line", e.message.strip_prefix(&prefix).unwrap_or(&e.message))?;
    }
    for (key, value) in [("program", &e.program), ("log", &e.log)] {
        if !value.is_empty() {
            o.set(key, value.as_str())?;
        }
    }
    if panic {
        o.set("panic", true)?;
    }
    Ok(Error::from(o.to_unknown()))
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

fn with_xdp_frame<R>(xdpf: &XdpFrameHandle, f: impl FnOnce(&mut XdpFrame) -> crate::errno::Result<R>) -> Result<R> {
    with(xdpf, "xdp_frame", "xdp_frame", f)
}

fn with_skb<R>(skb: &SkbHandle, f: impl FnOnce(&mut Skb) -> crate::errno::Result<R>) -> Result<R> {
    with(skb, "sk_buff", "skb", f)
}

// ---------------------------------------------------------------- views

fn view_of<'env>(env: &'env Env, bytes: &mut [u8]) -> Result<ArrayBuffer<'env>> {
    if bytes.is_empty() {
        return ArrayBuffer::from_data(env, Vec::new());
    }
    // SAFETY: the bytes live in a page owned by the frame. The facade detaches every view before
    // the frame's geometry changes or its pages leave it, and keeps the frame reachable while a
    // view is, so the memory outlives every attached view. The finalizer owns nothing.
    unsafe { ArrayBuffer::from_external(env, bytes.as_mut_ptr(), bytes.len(), (), |_, _| {}) }
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
