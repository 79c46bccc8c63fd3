//! The map types of issue 14 from JavaScript: ids and fds, queue/stack push/pop/peek,
//! lookup-and-delete, queued values, and the user ring buffer's producer side.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::bpf::{map_handle_of, BpfHandleAlias as BpfHandle};
use super::{err, guard};
use crate::bpf::maps::map_fd;
use crate::errno::Errno;

#[napi(object)]
pub struct MapIdsObject {
    pub id: u32,
    pub fd: i32,
}

/// The map's id and its fd in uxdp's table.
#[napi]
pub fn bpf_map_ids(h: &BpfHandle, map: String) -> Result<MapIdsObject> {
    const OP: &str = "bpf_map_get_fd_by_id";
    guard(OP, || {
        let m = map_handle_of(h, &map, OP)?;
        Ok(MapIdsObject { id: m.id(), fd: map_fd(&m) })
    })
}

/// BPF_MAP_UPDATE_ELEM with a NULL key on a queue or stack.
#[napi]
pub fn bpf_map_push(h: &BpfHandle, map: String, value: &[u8], flags: u32) -> Result<()> {
    const OP: &str = "bpf_map_update_elem";
    guard(OP, || {
        let m = map_handle_of(h, &map, OP)?;
        m.update_user(&[], value, u64::from(flags)).map_err(Into::into)
    })
}

/// Pop (BPF_MAP_LOOKUP_AND_DELETE_ELEM) or peek (BPF_MAP_LOOKUP_ELEM) of a queue or stack; null
/// when empty.
#[napi]
pub fn bpf_map_pop(h: &BpfHandle, map: String, pop: bool) -> Result<Option<Buffer>> {
    const OP: &str = "bpf_map_lookup_and_delete_elem";
    guard(OP, || {
        let m = map_handle_of(h, &map, OP)?;
        let mut out = Vec::new();
        let r = if pop { m.lookup_and_delete_user(&[], &mut out, 0) } else { m.lookup_user(&[], &mut out) };
        match r {
            Ok(()) => Ok(Some(out.into())),
            Err(e) if e.errno == Errno::ENOENT => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
}

/// BPF_MAP_LOOKUP_AND_DELETE_ELEM of a hash map's key; null when absent.
#[napi]
pub fn bpf_map_lookup_and_delete(h: &BpfHandle, map: String, key: &[u8], flags: u32) -> Result<Option<Buffer>> {
    const OP: &str = "bpf_map_lookup_and_delete_elem";
    guard(OP, || {
        let m = map_handle_of(h, &map, OP)?;
        let mut out = Vec::new();
        match m.lookup_and_delete_user(key, &mut out, u64::from(flags)) {
            Ok(()) => Ok(Some(out.into())),
            Err(e) if e.errno == Errno::ENOENT => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
}

/// A queue's or stack's values in pop order, left in place.
#[napi]
pub fn bpf_map_queued(h: &BpfHandle, map: String) -> Result<Vec<Buffer>> {
    const OP: &str = "bpf_map_lookup_elem";
    guard(OP, || {
        let m = map_handle_of(h, &map, OP)?;
        Ok(m.queued().into_iter().map(Buffer::from).collect())
    })
}

fn with_ring<T>(
    h: &BpfHandle,
    map: &str,
    op: &'static str,
    f: impl FnOnce(&mut crate::bpf::maps::UserRingBuf) -> crate::errno::Result<T>,
) -> Result<T> {
    let m = map_handle_of(h, map, op)?;
    let mut rb = m.user_ringbuf().ok_or_else(|| err(Errno::EINVAL, op, format!("map '{map}' is not a user ring buffer")))?;
    f(&mut rb).map_err(Into::into)
}

/// user_ring_buffer__reserve: the sample's position (its handle), as a number.
#[napi]
pub fn bpf_user_ringbuf_reserve(h: &BpfHandle, map: String, size: u32) -> Result<f64> {
    const OP: &str = "user_ring_buffer__reserve";
    guard(OP, || with_ring(h, &map, OP, |rb| rb.reserve(size).map(|p| p as f64)))
}

/// Writes bytes into a reserved sample at `offset`.
#[napi]
pub fn bpf_user_ringbuf_write(h: &BpfHandle, map: String, pos: f64, offset: u32, bytes: &[u8]) -> Result<()> {
    const OP: &str = "user_ring_buffer__reserve";
    guard(OP, || with_ring(h, &map, OP, |rb| rb.write(pos as u64, offset, bytes)))
}

/// user_ring_buffer__submit (or __discard).
#[napi]
pub fn bpf_user_ringbuf_commit(h: &BpfHandle, map: String, pos: f64, discard: bool) -> Result<()> {
    const OP: &str = "user_ring_buffer__submit";
    guard(OP, || with_ring(h, &map, OP, |rb| rb.commit(pos as u64, discard)))
}

/// Bytes free to reserve.
#[napi]
pub fn bpf_user_ringbuf_avail(h: &BpfHandle, map: String) -> Result<f64> {
    const OP: &str = "user_ring_buffer__reserve";
    guard(OP, || with_ring(h, &map, OP, |rb| Ok(rb.avail() as f64)))
}

/// BPF_MAP_CREATE's verdict on these attributes (with `nr_cpus` possible CPUs): null when the map
/// can be created, else the errno name. A map of maps gets an inner map of `inner_type` (4-byte
/// keys, 8-byte values), or none.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn bpf_map_create_check(
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    flags: u32,
    nr_cpus: u32,
    inner: Option<Vec<u32>>,
) -> Result<Option<String>> {
    use crate::bpf::maps::{Map, MapDef, MapType};
    const OP: &str = "bpf_map_create";
    guard(OP, || {
        let t = match MapType::from_uapi(map_type) {
            Ok(t) => t,
            Err(e) => return Ok(Some(e.errno.name().to_string())),
        };
        let def = MapDef::new(t, key_size, value_size, max_entries, flags);
        let r = match inner.as_deref() {
            Some([it, imax, iflags]) => {
                let it = match MapType::from_uapi(*it) {
                    Ok(it) => it,
                    Err(e) => return Ok(Some(e.errno.name().to_string())),
                };
                match Map::new("inner", MapDef::new(it, 4, 8, *imax, *iflags), nr_cpus) {
                    Ok(inner) => Map::new_map_of_maps("m", def, &inner, nr_cpus),
                    Err(e) => return Ok(Some(format!("inner {}", e.errno.name()))),
                }
            }
            _ => Map::new("m", def, nr_cpus),
        };
        Ok(r.err().map(|e| e.errno.name().to_string()))
    })
}
