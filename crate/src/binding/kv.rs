//! Binding for the metadata key/value store (`frame::kvstore`): read/write on an `xdp_buff`,
//! read-only on an `xdp_frame` and an skb. Keys cross as BigInt (they are u64); a get of an unset
//! key returns null and the facade raises ENOENT, so `has` costs no exception.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::{err, with_frame, with_skb, with_xdp_frame, FrameHandle, SkbHandle, XdpFrameHandle};
use crate::errno::{Errno, Result as EngineResult};

fn key_of(key: &BigInt, op: &'static str) -> Result<u64> {
    let (negative, v, lossless) = key.get_u64();
    if negative || !lossless {
        return Err(err(Errno::EINVAL, op, "keys are unsigned 64-bit values"));
    }
    Ok(v)
}

/// The value of `key`, `None` when unset; other errors (bad key, not a store) stay errors.
fn lookup(value: EngineResult<&[u8]>) -> EngineResult<Option<Buffer>> {
    match value {
        Ok(v) => Ok(Some(v.to_vec().into())),
        Err(e) if e.errno == Errno::ENOENT => Ok(None),
        Err(e) => Err(e),
    }
}

fn keys_of(keys: EngineResult<Vec<u64>>) -> EngineResult<Vec<BigInt>> {
    keys.map(|k| k.into_iter().map(BigInt::from).collect())
}

#[napi]
pub fn frame_kv_get(frame: &FrameHandle, key: BigInt) -> Result<Option<Buffer>> {
    const OP: &str = "xdp_kv_get";
    let key = key_of(&key, OP)?;
    with_frame(frame, OP, |b| lookup(b.kv_get(key)))
}

#[napi]
pub fn frame_kv_set(frame: &FrameHandle, key: BigInt, value: &[u8]) -> Result<()> {
    const OP: &str = "xdp_kv_set";
    let key = key_of(&key, OP)?;
    with_frame(frame, OP, |b| b.kv_set(key, value))
}

#[napi]
pub fn frame_kv_del(frame: &FrameHandle, key: BigInt) -> Result<()> {
    const OP: &str = "xdp_kv_del";
    let key = key_of(&key, OP)?;
    with_frame(frame, OP, |b| b.kv_del(key))
}

#[napi]
pub fn frame_kv_keys(frame: &FrameHandle) -> Result<Vec<BigInt>> {
    with_frame(frame, "xdp_kv_keys", |b| keys_of(b.kv_keys()))
}

#[napi]
pub fn frame_kv_clear(frame: &FrameHandle) -> Result<()> {
    with_frame(frame, "xdp_kv_clear", |b| b.kv_clear())
}

#[napi]
pub fn xdp_frame_kv_get(xdpf: &XdpFrameHandle, key: BigInt) -> Result<Option<Buffer>> {
    let key = key_of(&key, "xdp_kv_get")?;
    with_xdp_frame(xdpf, |x| lookup(x.kv_get(key)))
}

#[napi]
pub fn xdp_frame_kv_keys(xdpf: &XdpFrameHandle) -> Result<Vec<BigInt>> {
    with_xdp_frame(xdpf, |x| keys_of(x.kv_keys()))
}

#[napi]
pub fn skb_kv_get(skb: &SkbHandle, key: BigInt) -> Result<Option<Buffer>> {
    let key = key_of(&key, "xdp_kv_get")?;
    with_skb(skb, |s| lookup(s.kv_get(key)))
}

#[napi]
pub fn skb_kv_keys(skb: &SkbHandle) -> Result<Vec<BigInt>> {
    with_skb(skb, |s| keys_of(s.kv_keys()))
}
