//! Maps of maps (`map_in_map.c`, array_of_maps and hash_of_maps): slots holding other maps,
//! checked against the inner map template the outer map was created with
//! (`bpf_map_meta_equal`: same type, key and value size, flags, and for arrays the same
//! max_entries unless the template has BPF_F_INNER_MAP). Programs' lookups give the inner map
//! itself (what its helpers then take); user lookups give its id. A replaced inner map is kept
//! alive with its outer map, as the kernel keeps it until readers are done (an RCU grace period):
//! a program may still hold a pointer into it.
//!
//! Also the uxdp-wide table of map fds and ids: what `BpfMap.fd` is, what a raw `lddw` with
//! BPF_PSEUDO_MAP_FD names and what user updates of a map of maps take.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use super::*;

/// The first fd handed out: 0, 1 and 2 are a process's standard streams.
const FIRST_FD: i32 = 3;

struct FdTable {
    next_fd: i32,
    next_id: u32,
    maps: BTreeMap<i32, Weak<Map>>,
}

thread_local! {
    static FDS: RefCell<FdTable> = const { RefCell::new(FdTable { next_fd: FIRST_FD, next_id: 1, maps: BTreeMap::new() }) };
}

/// A new map id (ids count up from 1 for the process, as the kernel's map ids do).
pub(super) fn next_map_id() -> u32 {
    FDS.with(|t| {
        let mut t = t.borrow_mut();
        let id = t.next_id;
        t.next_id += 1;
        id
    })
}

/// The map's fd in uxdp's table, given on first asking. Fds are never reused while the process
/// lives; one whose map is gone names nothing.
pub fn map_fd(map: &Rc<Map>) -> i32 {
    if let Some(fd) = map.fd.get() {
        return fd;
    }
    FDS.with(|t| {
        let mut t = t.borrow_mut();
        let fd = t.next_fd;
        t.next_fd += 1;
        t.maps.insert(fd, Rc::downgrade(map));
        map.fd.set(Some(fd));
        fd
    })
}

/// The map an fd names; EBADF with the verifier's line when it names none.
pub fn map_by_fd(fd: i32) -> Result<Rc<Map>> {
    FDS.with(|t| t.borrow().maps.get(&fd).and_then(Weak::upgrade))
        .ok_or_else(|| XdpError::new(Errno::EBADF, "bpf_map_get", format!("fd {fd} is not pointing to valid bpf_map")))
}

/// The inner map template: the attributes every inner map must share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InnerMeta {
    pub def: MapDef,
}

pub(super) struct MapsOfMaps {
    pub(super) inner: InnerMeta,
    /// hash_of_maps: its keys (slots index `maps`); array_of_maps: None, `maps` by index.
    pub(super) table: Option<HashTable>,
    pub(super) maps: BTreeMap<u32, Rc<Map>>,
    pub(super) retired: Vec<Rc<Map>>,
}

/// `bpf_map_meta_alloc`: a map may be a template unless it is itself a map of maps.
pub(super) fn inner_meta(inner: &Map) -> Result<InnerMeta> {
    if inner.def.map_type.is_map_of_maps() {
        return fail(Errno::EINVAL, OP_CREATE, "the inner map is itself a map of maps: one level of nesting only");
    }
    if inner.described.is_some() {
        return fail(Errno::ENOTSUPP, OP_CREATE, format!("the inner map {} is of a type uxdp does not emulate", inner.name));
    }
    Ok(InnerMeta { def: inner.def })
}

/// `map_meta_equal` of the template's type.
fn meta_equal(meta: &InnerMeta, map: &Map) -> bool {
    let (a, b) = (&meta.def, &map.def);
    let base = a.map_type == b.map_type && a.key_size == b.key_size && a.value_size == b.value_size && a.map_flags == b.map_flags;
    let arrays = matches!(a.map_type, MapType::Array | MapType::PercpuArray);
    base && (!arrays || a.map_flags & BPF_F_INNER_MAP != 0 || a.max_entries == b.max_entries)
}

impl Map {
    /// An array_of_maps or hash_of_maps whose inner maps look like `inner` (the template libbpf
    /// creates from `__array(values, struct inner)` and passes as `inner_map_fd`).
    pub fn new_map_of_maps(name: &str, def: MapDef, inner: &Map, nr_cpus: u32) -> Result<Map> {
        let meta = inner_meta(inner)?;
        Map::create(name, def, nr_cpus, Some(meta))
    }

    fn of_maps(&self) -> Option<&RefCell<MapsOfMaps>> {
        match &self.store {
            Store::MapsOfMaps(m) => Some(m),
            _ => None,
        }
    }

    /// The inner map template of a map of maps.
    pub fn inner_meta(&self) -> Option<InnerMeta> {
        self.of_maps().map(|m| m.borrow().inner)
    }

    /// The slot of `key`: the index of an array_of_maps (None past the end), the table slot of a
    /// hash_of_maps key (None when absent).
    fn mom_slot(&self, m: &MapsOfMaps, key: &[u8]) -> Option<u32> {
        match &m.table {
            None => Some(le32(key)).filter(|&i| i < self.def.max_entries),
            Some(t) => t.find(key).map(|s| s as u32),
        }
    }

    /// The inner map under `key` (a program's lookup).
    pub fn inner_map(&self, key: &[u8]) -> Option<Rc<Map>> {
        let m = self.of_maps()?.borrow();
        let s = self.mom_slot(&m, key)?;
        m.maps.get(&s).cloned()
    }

    /// Every inner map held now (and those replaced while the outer map lives).
    pub fn inner_maps(&self) -> Vec<Rc<Map>> {
        match self.of_maps() {
            Some(m) => {
                let m = m.borrow();
                m.maps.values().chain(m.retired.iter()).cloned().collect()
            }
            None => Vec::new(),
        }
    }

    /// Puts `inner` under `key` (`bpf_fd_array_map_update_elem` / `bpf_fd_htab_map_update_elem`
    /// after the fd is resolved): EINVAL when it does not match the template; arrays take only
    /// BPF_ANY (EINVAL) and indexes below max_entries (E2BIG); hashes BPF_ANY, BPF_NOEXIST and
    /// BPF_EXIST with the hash map's errors.
    pub fn set_inner(&self, key: &[u8], inner: Rc<Map>, flags: u64) -> Result<()> {
        self.emulated(OP_UPDATE)?;
        self.writable(OP_UPDATE)?;
        self.check_key(key, OP_UPDATE)?;
        let Some(cell) = self.of_maps() else {
            return fail(Errno::EINVAL, OP_UPDATE, format!("map {} is a {}, not a map of maps", self.name, self.def.map_type));
        };
        let mut m = cell.borrow_mut();
        if m.table.is_none() {
            if flags != BPF_ANY {
                return fail(Errno::EINVAL, OP_UPDATE, format!("flags {flags:#x}: an array of maps takes BPF_ANY only"));
            }
            let i = le32(key);
            if i >= self.def.max_entries {
                return Err(XdpError::new(Errno::E2BIG, OP_UPDATE, format!("index {i} is past the {} entries", self.def.max_entries))
                    .offset(i64::from(i))
                    .limit(u64::from(self.def.max_entries)));
            }
        }
        if !meta_equal(&m.inner, &inner) {
            let (a, b) = (m.inner.def, inner.def);
            return fail(
                Errno::EINVAL,
                OP_UPDATE,
                format!(
                    "map {} does not match the inner map template: {} key {} value {} max_entries {} flags {:#x}, the template {} key {} value {} max_entries {} flags {:#x}",
                    inner.name, b.map_type, b.key_size, b.value_size, b.max_entries, b.map_flags, a.map_type, a.key_size, a.value_size, a.max_entries, a.map_flags
                ),
            );
        }
        let slot = match m.table.as_mut() {
            None => le32(key),
            Some(t) => {
                if flags & !BPF_F_LOCK > BPF_EXIST {
                    return fail(Errno::EINVAL, OP_UPDATE, format!("unknown flags {flags:#x}"));
                }
                match (t.find(key), flags) {
                    (Some(_), BPF_NOEXIST) => return fail(Errno::EEXIST, OP_UPDATE, "the key exists and BPF_NOEXIST was given"),
                    (None, BPF_EXIST) => return fail(Errno::ENOENT, OP_UPDATE, "the key does not exist and BPF_EXIST was given"),
                    (Some(s), _) => {
                        t.move_to_front(s);
                        s as u32
                    }
                    (None, _) => t.insert(key, 0).ok_or_else(|| {
                        XdpError::new(Errno::E2BIG, OP_UPDATE, format!("the map is full ({} entries)", self.def.max_entries))
                            .limit(u64::from(self.def.max_entries))
                    })? as u32,
                }
            }
        };
        if let Some(old) = m.maps.insert(slot, inner) {
            m.retired.push(old);
        }
        Ok(())
    }

    pub(super) fn mom_delete(&self, m: &RefCell<MapsOfMaps>, key: &[u8]) -> Result<()> {
        let mut m = m.borrow_mut();
        let slot = match m.table.as_mut() {
            None => {
                let i = le32(key);
                if i >= self.def.max_entries {
                    return Err(XdpError::new(Errno::E2BIG, OP_DELETE, format!("index {i} is past the {} entries", self.def.max_entries))
                        .offset(i64::from(i))
                        .limit(u64::from(self.def.max_entries)));
                }
                if !m.maps.contains_key(&i) {
                    return fail(Errno::ENOENT, OP_DELETE, format!("slot {i} is empty"));
                }
                i
            }
            Some(t) => {
                let s = t.find(key).ok_or_else(|| XdpError::new(Errno::ENOENT, OP_DELETE, "no such key"))?;
                t.remove(s);
                s as u32
            }
        };
        if let Some(old) = m.maps.remove(&slot) {
            m.retired.push(old);
        }
        Ok(())
    }

    /// A user lookup: the inner map's id.
    pub(super) fn mom_lookup_user(&self, m: &RefCell<MapsOfMaps>, key: &[u8]) -> Option<u32> {
        let m = m.borrow();
        let s = self.mom_slot(&m, key)?;
        m.maps.get(&s).map(|inner| inner.id)
    }
}
