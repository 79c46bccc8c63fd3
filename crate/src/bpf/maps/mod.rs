//! BPF maps, as programs see them through the helpers and as user space sees them through bpf(2):
//! creation with `map_create`'s checks and errnos, value addresses for programs, copies for the
//! syscall side, and the objects the embedder attaches (programs, devices, ring buffers, perf
//! samples). Single-threaded: programs and users share an `Rc<Map>`, state sits in `Cell`s and
//! `RefCell`s, values in memory of their own.
//!
//! This module holds the [`Map`] type and its dispatch by kind; the kinds' own parts are apart:
//! `array` (and the fd arrays' creation checks), `hash` (hash, LRU hash and devmap_hash
//! tables, over `lru` lists and `jhash`), `slots` (prog array, devmap and cpumap entries),
//! `perf`, `ringbuf`; value memory in `slab`. Definitions (types, `MapDef`) are
//! [`super::mapdef`]'s.
//!
//! Fidelity notes, where the emulation chooses:
//! - Value memory is allocated once, at creation, and never moves or shrinks, so a value address a
//!   program got stays valid for the map's lifetime, as with the kernel's preallocated arrays and
//!   hash maps. Keys are stored apart from values: no value pointer reaches a key. Updating an
//!   existing hash key writes its value in place, where the kernel links a fresh element and
//!   recycles the old one; only a reader racing the update could tell. `BPF_F_NO_PREALLOC` is
//!   accepted and preallocates all the same.
//! - Hash maps iterate in the kernel's order: buckets in turn, newest element first within a
//!   bucket, the bucket chosen by jhash of the key (an update moves the key to the front of its
//!   bucket, as the kernel's fresh element does). Every map hashes with seed 0: that is the
//!   kernel's order exactly for `BPF_F_ZERO_SEED` maps, and an order as good as any for the
//!   others, which the kernel seeds at random.
//! - LRU hash maps are exact, where the kernel's are approximate (per-CPU free lists, batched
//!   shrinking, a reference bit giving second chances): inserting into a full list evicts the
//!   least recently used element of that list. A program's lookup and any update make an element
//!   the most recently used; a user lookup does not (the kernel's syscall lookup leaves the
//!   reference bit alone). A failed update evicts nothing, and updating an existing key takes no
//!   new element, so it never evicts another key (both can happen in the kernel). With
//!   `BPF_F_NO_COMMON_LRU` each CPU has its own list of `max_entries / nr_cpus` elements; user
//!   updates count as CPU 0's.
//! - Per-CPU arrays keep one copy of each value per possible CPU; a program sees its CPU's.
//! - Maps are capped at [`MAX_MAP_MEMORY`] bytes each (ENOMEM beyond), standing in for the
//!   memory cgroup limit that makes the kernel's allocation fail.

use std::any::Any;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use super::elf::{GlobalData, MapSpec};
use super::machine::Prog;
use super::mapdef::OP_CREATE;
pub use super::mapdef::{map_type_name, MapDef, MapInfo, MapType};
use crate::errno::{Errno, Result, XdpError};
use crate::ringbuf::RingBuf;

mod array;
mod hash;
pub(crate) mod jhash;
mod kernel_struct;
mod lpm;
mod lru;
mod of_maps;
mod perf;
mod queue;
mod ringbuf;
mod slab;
mod slots;
mod user_ringbuf;
mod xskmap;
mod sk_storage;
mod sockmap;

use array::check_array;
use hash::{check_hash, Copies, HashTable};
pub use jhash::jhash;
use lpm::{check_lpm, LpmTrie};
use of_maps::{inner_meta, next_map_id, MapsOfMaps};
pub use of_maps::{map_by_fd, map_fd, InnerMeta};
use perf::Samples;
use queue::{check_queue_stack, QueueStack};
use ringbuf::adjust_ringbuf_sz;
use slab::Slab;
use slots::Slot;
pub use user_ringbuf::{Peek, UserRingBuf, BPF_MAX_USER_RINGBUF_SAMPLES};
pub use xskmap::XskEntry;
pub use sk_storage::BPF_SK_STORAGE_GET_F_CREATE;
pub use sockmap::SockEntry;

/// `bpf_map_update_elem` flags.
pub const BPF_ANY: u64 = 0;
pub const BPF_NOEXIST: u64 = 1;
pub const BPF_EXIST: u64 = 2;
pub const BPF_F_LOCK: u64 = 4;

/// `map_flags` at creation.
pub const BPF_F_NO_PREALLOC: u32 = 1 << 0;
pub const BPF_F_NO_COMMON_LRU: u32 = 1 << 1;
pub const BPF_F_NUMA_NODE: u32 = 1 << 2;
pub const BPF_F_RDONLY: u32 = 1 << 3;
pub const BPF_F_WRONLY: u32 = 1 << 4;
pub const BPF_F_STACK_BUILD_ID: u32 = 1 << 5;
pub const BPF_F_ZERO_SEED: u32 = 1 << 6;
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
pub const BPF_F_WRONLY_PROG: u32 = 1 << 8;
pub const BPF_F_CLONE: u32 = 1 << 9;
pub const BPF_F_MMAPABLE: u32 = 1 << 10;
pub const BPF_F_PRESERVE_ELEMS: u32 = 1 << 11;
pub const BPF_F_INNER_MAP: u32 = 1 << 12;

const BPF_F_ACCESS_MASK: u32 = BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
const ARRAY_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const HTAB_CREATE_FLAG_MASK: u32 = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
const DEV_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

pub const PAGE_SIZE: u32 = 4096;
/// `NR_CPUS` of distribution kernels: the most CPUs a cpumap may name.
pub const NR_CPUS: u32 = 8192;
/// cpumap's sanity limit on a queue size.
pub const CPUMAP_MAX_QSIZE: u32 = 16384;
/// The emulator's limit on one map's memory.
pub const MAX_MAP_MEMORY: u64 = 1 << 31;
/// x86-64's `KMALLOC_MAX_SIZE`: a hash element (header, key, value) must fit one allocation.
const KMALLOC_MAX_SIZE: u64 = 1 << 22;
/// `sizeof(struct htab_elem)` before the key.
const HTAB_ELEM_HDR: u64 = 48;
/// `sizeof(struct bucket)`: the bucket array must stay under 4 GiB.
const HTAB_BUCKET_SIZE: u64 = 16;
/// `PCPU_MIN_UNIT_SIZE`: the largest per-CPU value.
const PCPU_MIN_UNIT_SIZE: u64 = 32 << 10;
/// `BPF_OBJ_NAME_LEN`, NUL included.
const BPF_OBJ_NAME_LEN: usize = 16;
/// Perf samples a map keeps undrained before further ones are lost (ENOSPC).
pub const MAX_PERF_QUEUE_BYTES: usize = 16 << 20;

const OP_LOOKUP: &str = "bpf_map_lookup_elem";
const OP_UPDATE: &str = "bpf_map_update_elem";
const OP_DELETE: &str = "bpf_map_delete_elem";
const OP_NEXT: &str = "bpf_map_get_next_key";
const OP_FREEZE: &str = "bpf_map_freeze";
const OP_PUSH: &str = "bpf_map_push_elem";
const OP_POP: &str = "bpf_map_pop_elem";
const OP_PEEK: &str = "bpf_map_peek_elem";
const OP_LOOKUP_AND_DELETE: &str = "bpf_map_lookup_and_delete_elem";

fn fail<T>(errno: Errno, op: &'static str, msg: impl Into<String>) -> Result<T> {
    Err(XdpError::new(errno, op, msg))
}

fn round8(n: u32) -> u64 {
    (u64::from(n) + 7) & !7
}

/// A little-endian u32 from the first 4 bytes (short input reads as zero-padded).
fn le32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    let n = b.len().min(4);
    a[..n].copy_from_slice(&b[..n]);
    u32::from_le_bytes(a)
}

/// What a map needs from the embedder to take user updates whose values name other objects:
/// program fds (prog arrays, devmap and cpumap entries), devices (devmap ifindexes), perf events.
/// The defaults know no programs (EBADF) and accept any ifindex and perf event fd without binding
/// anything to them.
pub trait MapEnv {
    /// The program `fd` names, checked as fit for `map` (a prog array's owner type, a devmap's
    /// `BPF_XDP_DEVMAP` attach type, …), with the id user lookups report in its place.
    fn prog(&self, fd: i32, map: &Map) -> Result<(Rc<Prog>, u32)> {
        let _ = map;
        fail(Errno::EBADF, OP_UPDATE, format!("fd {fd} is not a program"))
    }
    /// The device an ifindex names, as the slot's target; an error when there is none.
    fn device(&self, ifindex: u32) -> Result<Option<Rc<dyn Any>>> {
        let _ = ifindex;
        Ok(None)
    }
    /// Whether `fd` is a perf event a perf event array may hold.
    fn perf_event(&self, fd: i32) -> Result<()> {
        let _ = fd;
        Ok(())
    }
    /// The AF_XDP socket `fd` names, for an xskmap slot.
    fn socket(&self, fd: i32) -> Result<XskEntry> {
        fail(Errno::EBADF, OP_UPDATE, format!("fd {fd} is not a socket"))
    }
}

/// The [`MapEnv`] with nothing in it.
pub struct NoEnv;
impl MapEnv for NoEnv {}

/// What [`Map::jit_lookup`] tells the compiler: the value of index `i` (a 4-byte key) is at
/// `base + i * stride` (per-CPU: `base + (i * nr_cpus + cpu) * stride`) when `i < max` (and
/// `cpu < nr_cpus`), else there is none; `Call`: [`Map::lookup`] must be called.
#[derive(Clone, Copy, Debug)]
pub enum JitLookup {
    Array { base: u64, max: u32, stride: u64 },
    PercpuArray { base: u64, max: u32, nr_cpus: u32, stride: u64 },
    Call,
}

enum Store {
    Array(Slab),
    /// Index-major: the copies of one value sit side by side, CPU 0 first.
    PercpuArray(Slab),
    Hash {
        table: RefCell<HashTable>,
        values: Slab,
    },
    /// devmap and cpumap: values {ifindex or qsize, prog id} at index × 8, present where a slot is.
    DevArray {
        values: Slab,
        slots: RefCell<BTreeMap<u32, Slot>>,
    },
    /// devmap_hash: slots keyed by the table slot holding their key.
    DevHash {
        table: RefCell<HashTable>,
        values: Slab,
        slots: RefCell<BTreeMap<u32, Slot>>,
    },
    Progs(RefCell<BTreeMap<u32, Slot>>),
    Perf {
        slots: RefCell<BTreeMap<u32, Slot>>,
        samples: RefCell<Samples>,
    },
    Ringbuf(RefCell<RingBuf>),
    /// Queue and stack maps: values apart from programs' memory (they get copies).
    QueueStack(RefCell<QueueStack>),
    /// LPM tries: the trie, and value slots that never move.
    Lpm {
        trie: RefCell<LpmTrie>,
        values: Slab,
    },
    MapsOfMaps(RefCell<MapsOfMaps>),
    UserRingbuf(RefCell<UserRingBuf>),
    /// sockmap and sockhash: sockets of the host model (see `sockmap`).
    Sock(RefCell<sockmap::SockStore>),
    /// sk_storage: values kept in the sockets' own storage (see `sk_storage`).
    SkStorage(sk_storage::SkStore),
}

pub struct Map {
    name: String,
    /// The map's id (`bpftool map show`'s, what a map of maps' user lookup gives).
    id: u32,
    /// Its fd in uxdp's table, once asked for ([`map_fd`]).
    fd: Cell<Option<i32>>,
    def: MapDef,
    nr_cpus: u32,
    /// BPF_F_RDONLY / BPF_F_WRONLY: the permissions of the map's fd, which the kernel does not keep
    /// in `map_flags`.
    fd_flags: u32,
    /// Bytes between consecutive values: value_size rounded up to 8.
    stride: usize,
    frozen: Cell<bool>,
    /// Offset of a `struct bpf_spin_lock` in the value, when the value's BTF has one.
    spin_lock: Cell<Option<u32>>,
    store: Store,
    /// A map type uxdp does not emulate, by uapi number: described (type, sizes, flags) so that
    /// programs using it can be verified, but never operated on.
    described: Option<u32>,
    /// The kernel's `struct bpf_map` as programs read it through the map pointer.
    kernel_struct: kernel_struct::KernelStruct,
    /// Its value's lists, trees and kptr fields (see [`crate::bpf::graph`]): the objects they
    /// hold go with the value (an update overwriting it, a delete) and with the map.
    graph: RefCell<Option<Rc<crate::bpf::graph::Record>>>,
}

impl Drop for Map {
    fn drop(&mut self) {
        let Some(rec) = self.graph.borrow_mut().take() else { return };
        let values = match &self.store {
            Store::Array(v) => v,
            Store::Hash { values, .. } if !self.def.map_type.is_percpu() => values,
            _ => return,
        };
        for i in 0..self.def.max_entries as usize {
            let at = i * self.stride;
            if at + self.def.value_size as usize > values.len {
                break;
            }
            for obj in crate::bpf::graph::alloc::contained(values.addr(at), &rec) {
                crate::bpf::graph::alloc::drop_obj(obj);
            }
        }
    }
}

impl Map {
    /// `bpf_obj_free_fields` of the value at `off`: what its lists, trees and kptrs hold is
    /// dropped, and they read empty.
    fn free_fields(&self, values: &Slab, off: usize) {
        let Some(rec) = self.graph.borrow().clone() else { return };
        if off + self.def.value_size as usize > values.len {
            return;
        }
        for obj in crate::bpf::graph::alloc::contained(values.addr(off), &rec) {
            crate::bpf::graph::alloc::drop_obj(obj);
        }
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the contents: a prog array can hold a program that holds the map.
        f.debug_struct("Map")
            .field("name", &self.name)
            .field("type", &self.def.map_type.name())
            .field("key_size", &self.def.key_size)
            .field("value_size", &self.def.value_size)
            .field("max_entries", &self.def.max_entries)
            .field("map_flags", &format_args!("{:#x}", self.def.map_flags))
            .finish()
    }
}

fn charge(bytes: u64, what: &str) -> Result<()> {
    if bytes > MAX_MAP_MEMORY {
        return Err(XdpError::new(Errno::ENOMEM, OP_CREATE, format!("{what} needs {bytes} bytes, more than a map may use here"))
            .len(bytes)
            .limit(MAX_MAP_MEMORY));
    }
    Ok(())
}

/// `bpf_obj_name_cpy`: up to 15 characters from [A-Za-z0-9_.].
fn check_name(name: &str) -> Result<()> {
    if name.len() >= BPF_OBJ_NAME_LEN {
        return fail(Errno::EINVAL, OP_CREATE, format!("map name {name:?} is longer than {} characters", BPF_OBJ_NAME_LEN - 1));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.')) {
        return fail(Errno::EINVAL, OP_CREATE, format!("map name {name:?} has {c:?}: only letters, digits, '_' and '.' are allowed"));
    }
    Ok(())
}

/// `bpf_map_flags_access_ok`: a program cannot be denied both reading and writing.
fn access_ok(flags: u32) -> bool {
    flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)
}

impl Map {
    /// `BPF_MAP_CREATE` with `nr_cpus` possible CPUs: the kernel's checks, in its order, and its
    /// errnos.
    pub fn new(name: &str, def: MapDef, nr_cpus: u32) -> Result<Map> {
        Map::create(name, def, nr_cpus, None)
    }

    /// [`Map::new`], with the inner map template of a map of maps.
    fn create(name: &str, def: MapDef, nr_cpus: u32, inner: Option<InnerMeta>) -> Result<Map> {
        if nr_cpus == 0 || nr_cpus > NR_CPUS {
            return fail(Errno::EINVAL, OP_CREATE, format!("{nr_cpus} possible CPUs: must be 1 to {NR_CPUS}"));
        }
        let mut def = def;
        let fd_flags = def.map_flags & (BPF_F_RDONLY | BPF_F_WRONLY);
        if fd_flags == BPF_F_RDONLY | BPF_F_WRONLY {
            return fail(Errno::EINVAL, OP_CREATE, "BPF_F_RDONLY and BPF_F_WRONLY together");
        }
        let stride = round8(def.value_size);
        let store = match def.map_type {
            MapType::Array | MapType::PercpuArray => {
                check_array(&def)?;
                let copies = if def.map_type == MapType::PercpuArray { u64::from(nr_cpus) } else { 1 };
                let bytes = u64::from(def.max_entries).saturating_mul(copies).saturating_mul(stride);
                charge(bytes, "the array")?;
                let values = Slab::zeroed(bytes)?;
                if def.map_type == MapType::Array {
                    Store::Array(values)
                } else {
                    Store::PercpuArray(values)
                }
            }
            MapType::ProgArray | MapType::PerfEventArray => {
                check_array(&def)?;
                charge(u64::from(def.max_entries) * 8, "the fd array")?;
                if def.map_type == MapType::ProgArray {
                    Store::Progs(RefCell::default())
                } else {
                    Store::Perf { slots: RefCell::default(), samples: RefCell::default() }
                }
            }
            MapType::Hash | MapType::LruHash | MapType::PercpuHash | MapType::LruPercpuHash => {
                let (max_entries, lists) = check_hash(&def, nr_cpus)?;
                def.max_entries = max_entries;
                let copies = if def.map_type.is_percpu() { u64::from(nr_cpus) } else { 1 };
                let values = Slab::zeroed(u64::from(max_entries) * copies * stride)?;
                Store::Hash { table: RefCell::new(HashTable::new(def.key_size, max_entries, false, lists)?), values }
            }
            MapType::Devmap | MapType::DevmapHash => {
                let t = def.map_type;
                if def.max_entries == 0
                    || def.key_size != 4
                    || !matches!(def.value_size, 4 | 8)
                    || def.map_flags & !DEV_CREATE_FLAG_MASK != 0
                {
                    return fail(
                        Errno::EINVAL,
                        OP_CREATE,
                        format!(
                            "{t} needs max_entries > 0, 4-byte keys, 4-byte (ifindex) or 8-byte (ifindex, prog fd) values, and no flags but \
                             BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY"
                        ),
                    );
                }
                if t == MapType::DevmapHash && def.max_entries > 1 << 31 {
                    return fail(Errno::EINVAL, OP_CREATE, "a devmap_hash has at most 2^31 entries");
                }
                // Program lookups return the entry's value: the kernel keeps programs from writing it.
                def.map_flags |= BPF_F_RDONLY_PROG;
                if t == MapType::Devmap {
                    charge(u64::from(def.max_entries) * 8, "the devmap")?;
                    Store::DevArray { values: Slab::zeroed(u64::from(def.max_entries) * 8)?, slots: RefCell::default() }
                } else {
                    let n_buckets = u64::from(def.max_entries.next_power_of_two());
                    charge(n_buckets * 4 + u64::from(def.max_entries) * 20, "the devmap_hash")?;
                    Store::DevHash {
                        table: RefCell::new(HashTable::new(4, def.max_entries, true, None)?),
                        values: Slab::zeroed(u64::from(def.max_entries) * 8)?,
                        slots: RefCell::default(),
                    }
                }
            }
            MapType::Cpumap => {
                if def.max_entries == 0 || def.key_size != 4 || !matches!(def.value_size, 4 | 8) || def.map_flags & !BPF_F_NUMA_NODE != 0 {
                    return fail(
                        Errno::EINVAL,
                        OP_CREATE,
                        "cpumap needs max_entries > 0, 4-byte keys, 4-byte (qsize) or 8-byte (qsize, prog fd) values, and no flags but BPF_F_NUMA_NODE",
                    );
                }
                if def.max_entries > NR_CPUS {
                    return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "a cpumap has at most NR_CPUS entries")
                        .len(u64::from(def.max_entries))
                        .limit(u64::from(NR_CPUS)));
                }
                Store::DevArray { values: Slab::zeroed(u64::from(def.max_entries) * 8)?, slots: RefCell::default() }
            }
            MapType::Xskmap => Map::xskmap_new(&def)?,
            MapType::Ringbuf => {
                if def.map_flags & !BPF_F_NUMA_NODE != 0 {
                    return fail(Errno::EINVAL, OP_CREATE, "ringbuf takes no flags but BPF_F_NUMA_NODE");
                }
                if def.key_size != 0 || def.value_size != 0 {
                    return fail(Errno::EINVAL, OP_CREATE, "ringbuf has no keys or values: key_size and value_size must be 0");
                }
                if !def.max_entries.is_power_of_two() || !def.max_entries.is_multiple_of(PAGE_SIZE) {
                    return Err(XdpError::new(
                        Errno::EINVAL,
                        OP_CREATE,
                        "ringbuf max_entries must be a power of two and a multiple of the page size",
                    )
                    .len(u64::from(def.max_entries)));
                }
                // The data area is allocated twice over (see crate::ringbuf).
                charge(2 * u64::from(def.max_entries), "the ring buffer")?;
                Store::Ringbuf(RefCell::new(RingBuf::new(def.max_entries)?))
            }
            MapType::UserRingbuf => {
                if def.map_flags & !BPF_F_NUMA_NODE != 0 {
                    return fail(Errno::EINVAL, OP_CREATE, "user_ringbuf takes no flags but BPF_F_NUMA_NODE");
                }
                if def.key_size != 0 || def.value_size != 0 {
                    return fail(Errno::EINVAL, OP_CREATE, "user_ringbuf has no keys or values: key_size and value_size must be 0");
                }
                if !def.max_entries.is_power_of_two() || !def.max_entries.is_multiple_of(PAGE_SIZE) {
                    return Err(XdpError::new(
                        Errno::EINVAL,
                        OP_CREATE,
                        "user_ringbuf max_entries must be a power of two and a multiple of the page size",
                    )
                    .len(u64::from(def.max_entries)));
                }
                charge(2 * u64::from(def.max_entries), "the ring buffer")?;
                Store::UserRingbuf(RefCell::new(UserRingBuf::new(def.max_entries)))
            }
            MapType::Queue | MapType::Stack => {
                check_queue_stack(&def)?;
                Store::QueueStack(RefCell::new(QueueStack::new(&def)?))
            }
            MapType::LpmTrie => {
                check_lpm(&def)?;
                Store::Lpm { trie: RefCell::new(LpmTrie::new(&def)), values: Slab::zeroed(u64::from(def.max_entries) * stride)? }
            }
            MapType::ArrayOfMaps | MapType::HashOfMaps => {
                if def.value_size != 4 {
                    return fail(
                        Errno::EINVAL,
                        OP_CREATE,
                        format!("{} values are 4-byte map fds, not {} bytes", def.map_type, def.value_size),
                    );
                }
                let table = if def.map_type == MapType::ArrayOfMaps {
                    if def.map_flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != 0 {
                        return fail(Errno::EINVAL, OP_CREATE, "array_of_maps takes neither BPF_F_RDONLY_PROG nor BPF_F_WRONLY_PROG");
                    }
                    check_array(&def)?;
                    charge(u64::from(def.max_entries) * 8, "the array of maps")?;
                    None
                } else {
                    let (max_entries, _) = check_hash(&def, nr_cpus)?;
                    def.max_entries = max_entries;
                    Some(HashTable::new(def.key_size, max_entries, false, None)?)
                };
                // Without one, inner_map_fd is 0: an open fd (stdin) that is not a map, EINVAL.
                let Some(inner) = inner else {
                    return fail(Errno::EINVAL, OP_CREATE, format!("{} needs an inner map (inner_map_fd names no map)", def.map_type));
                };
                Store::MapsOfMaps(RefCell::new(MapsOfMaps { inner, table, maps: BTreeMap::new(), retired: Vec::new() }))
            }
            MapType::Sockmap | MapType::Sockhash => Store::Sock(RefCell::new(sockmap::create(&def, def.map_type == MapType::Sockhash)?)),
            MapType::SkStorage => Store::SkStorage(sk_storage::create(&def)?),
        };
        check_name(name)?;
        def.map_flags &= !(BPF_F_RDONLY | BPF_F_WRONLY);
        let map = Map {
            name: name.to_string(),
            id: next_map_id(),
            fd: Cell::new(None),
            def,
            nr_cpus,
            fd_flags,
            stride: stride as usize,
            frozen: Cell::new(false),
            spin_lock: Cell::new(None),
            store,
            described: None,
            kernel_struct: Default::default(),
            graph: RefCell::new(None),
        };
        if let Store::SkStorage(s) = &map.store {
            s.set_map_id(map.id);
        }
        Ok(map)
    }

    /// A map as libbpf creates it from an object's definition: ring buffer sizes rounded up to a
    /// power-of-two number of pages, perf event arrays sized to the CPUs when max_entries is 0,
    /// names cut to 15 characters; global data gets its initial bytes, and `.rodata` is created
    /// with BPF_F_RDONLY_PROG and frozen once filled (libbpf freezes it at load, so whatever the
    /// user changes must already be in `spec.initial`).
    pub fn from_spec(spec: &MapSpec, nr_cpus: u32) -> Result<Map> {
        let map_type = match MapType::from_uapi(spec.map_type) {
            Ok(t) => t,
            Err(_) if spec.map_type != 0 && map_type_name(spec.map_type).is_some() => return Map::described_only(spec, nr_cpus),
            Err(e) => return Err(e),
        };
        let mut def = MapDef::new(map_type, spec.key_size, spec.value_size, spec.max_entries, spec.map_flags);
        if spec.global == Some(GlobalData::Rodata) {
            def.map_flags |= BPF_F_RDONLY_PROG;
        }
        match map_type {
            MapType::Ringbuf => def.max_entries = adjust_ringbuf_sz(def.max_entries),
            MapType::PerfEventArray if def.max_entries == 0 => def.max_entries = nr_cpus,
            _ => {}
        }
        let name = libbpf_name(&spec.name);
        let map = if map_type.is_map_of_maps() {
            // libbpf creates the template from `__array(values, ...)` first and hands its fd over.
            let inner = match &spec.inner {
                Some(inner) => Some(inner_meta(&Map::from_spec(inner, nr_cpus)?)?),
                None => None,
            };
            Map::create(name, def, nr_cpus, inner)?
        } else {
            Map::new(name, def, nr_cpus)?
        };
        if let Some(initial) = &spec.initial {
            let Store::Array(values) = &map.store else {
                return fail(
                    Errno::EINVAL,
                    OP_CREATE,
                    format!("map {:?}: initial contents are for global data arrays, not {map_type}", spec.name),
                );
            };
            if initial.len() > map.def.value_size as usize {
                return Err(XdpError::new(
                    Errno::EINVAL,
                    OP_CREATE,
                    format!("map {:?}: initial contents are larger than the value", spec.name),
                )
                .len(initial.len() as u64)
                .limit(u64::from(map.def.value_size)));
            }
            values.write(0, initial);
        }
        if spec.global == Some(GlobalData::Rodata) {
            map.freeze()?;
        }
        Ok(map)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The attributes as the kernel keeps them (see [`MapInfo::map_flags`]).
    pub fn def(&self) -> &MapDef {
        &self.def
    }

    pub fn map_type(&self) -> MapType {
        self.def.map_type
    }

    pub fn nr_cpus(&self) -> u32 {
        self.nr_cpus
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen.get()
    }

    /// A map of a type uxdp does not emulate: its definition only (what the verifier checks
    /// programs against). Every operation on it fails; a program using it cannot run.
    fn described_only(spec: &MapSpec, nr_cpus: u32) -> Result<Map> {
        let def = MapDef::new(MapType::ProgArray, 4, 4, 1, 0);
        let name = libbpf_name(&spec.name);
        let mut map = Map::new(name, def, nr_cpus)?;
        map.def.key_size = spec.key_size;
        map.def.value_size = spec.value_size;
        map.def.max_entries = spec.max_entries;
        map.def.map_flags = spec.map_flags;
        map.described = Some(spec.map_type);
        Ok(map)
    }

    /// The uapi map type number (also for a described-only map).
    pub fn uapi_type(&self) -> u32 {
        self.described.unwrap_or(self.def.map_type as u32)
    }

    /// Some(uapi type) for a map uxdp describes for the verifier but does not emulate.
    pub fn described(&self) -> Option<u32> {
        self.described
    }

    fn emulated(&self, op: &'static str) -> Result<()> {
        match self.described {
            None => Ok(()),
            Some(t) => fail(
                Errno::EOPNOTSUPP,
                op,
                format!(
                    "map '{}' is a {} map, which uxdp describes for the verifier but does not emulate",
                    self.name,
                    map_type_name(t).unwrap_or("?")
                ),
            ),
        }
    }

    pub fn describe(&self) -> MapInfo {
        MapInfo {
            name: self.name.clone(),
            map_type: self.def.map_type,
            key_size: self.def.key_size,
            value_size: self.def.value_size,
            max_entries: self.def.max_entries,
            map_flags: self.def.map_flags,
            frozen: self.frozen.get(),
            entries: self.len(),
        }
    }

    /// `BPF_MAP_FREEZE`: no more writes from user space. ENOTSUPP for values with a spin lock,
    /// EPERM without write permission (a read-only fd, or already frozen).
    pub fn freeze(&self) -> Result<()> {
        if self.spin_lock.get().is_some() {
            return fail(Errno::ENOTSUPP, OP_FREEZE, "maps whose values hold a bpf_spin_lock cannot be frozen");
        }
        if self.fd_flags & BPF_F_RDONLY != 0 || self.frozen.get() {
            return fail(
                Errno::EPERM,
                OP_FREEZE,
                if self.frozen.get() { "already frozen" } else { "the map was created read-only (BPF_F_RDONLY)" },
            );
        }
        self.frozen.set(true);
        Ok(())
    }

    /// Declares a `struct bpf_spin_lock` at `off` in the value (what the value's BTF says), for
    /// BPF_F_LOCK updates and lookups: copies skip the lock's 4 bytes, lookups report them as 0.
    /// Hash and array maps only (EOPNOTSUPP otherwise), as `map_check_btf` allows.
    pub fn set_spin_lock(&self, off: Option<u32>) -> Result<()> {
        const OP: &str = "map_check_btf";
        if let Some(off) = off {
            if !matches!(self.def.map_type, MapType::Hash | MapType::Array) {
                return fail(Errno::EOPNOTSUPP, OP, format!("a bpf_spin_lock is not allowed in {} values", self.def.map_type));
            }
            if !off.is_multiple_of(4) || u64::from(off) + 4 > u64::from(self.def.value_size) {
                return Err(XdpError::new(Errno::EINVAL, OP, "the bpf_spin_lock must be 4-byte aligned and inside the value")
                    .offset(i64::from(off)));
            }
        }
        self.spin_lock.set(off);
        Ok(())
    }

    /// Declares the value's lists, trees and kptrs (array and hash maps): dropped with the value.
    pub fn set_graph_record(&self, rec: Rc<crate::bpf::graph::Record>) {
        *self.graph.borrow_mut() = Some(rec);
    }

    /// Elements present: max_entries for arrays, the occupied entries of the other maps.
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Array(_) | Store::PercpuArray(_) => self.def.max_entries as usize,
            Store::Hash { table, .. } | Store::DevHash { table, .. } => table.borrow().len as usize,
            Store::DevArray { slots, .. } | Store::Progs(slots) | Store::Perf { slots, .. } => slots.borrow().len(),
            Store::Ringbuf(_) | Store::UserRingbuf(_) => 0,
            Store::QueueStack(q) => q.borrow().len(),
            Store::Lpm { trie, .. } => trie.borrow().n_entries as usize,
            Store::MapsOfMaps(m) => m.borrow().maps.len(),
            Store::Sock(s) => s.borrow().len(),
            Store::SkStorage(s) => s.len(),
        }
    }

    /// The map's id, as `bpftool map show` gives it and a map of maps' user lookup returns it.
    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes a value, leaving a spin lock's bytes, its list heads, tree roots and kptrs alone as
    /// `copy_map_value` does.
    fn put_value(&self, values: &Slab, off: usize, src: &[u8]) {
        let mut skip: Vec<(usize, usize)> = self.spin_lock.get().map(|l| (l as usize, 4)).into_iter().collect();
        if let Some(rec) = self.graph.borrow().as_ref() {
            skip.extend(rec.fields.iter().map(|f| (f.off as usize, f.size as usize)));
        }
        skip.sort_unstable();
        let mut at = 0;
        for (o, n) in skip {
            if o < at || o + n > src.len() {
                continue;
            }
            values.write(off + at, &src[at..o]);
            at = o + n;
        }
        values.write(off + at, &src[at..]);
    }

    /// Copies a value out, the spin lock reading as zero (`check_and_init_map_value`).
    fn get_value(&self, values: &Slab, off: usize, out: &mut Vec<u8>) {
        out.clear();
        out.resize(self.def.value_size as usize, 0);
        values.read(off, out);
        if let Some(l) = self.spin_lock.get().map(|l| l as usize) {
            if let Some(lock) = out.get_mut(l..l + 4) {
                lock.fill(0);
            }
        }
    }

    fn check_key(&self, key: &[u8], op: &'static str) -> Result<()> {
        if key.len() != self.def.key_size as usize {
            return Err(XdpError::new(Errno::EINVAL, op, format!("{}-byte key for a map with {}-byte keys", key.len(), self.def.key_size))
                .len(key.len() as u64)
                .limit(u64::from(self.def.key_size)));
        }
        Ok(())
    }

    fn check_len(&self, value: &[u8], want: usize, op: &'static str) -> Result<()> {
        if value.len() != want {
            return Err(XdpError::new(Errno::EINVAL, op, format!("{}-byte value where the map takes {want} bytes", value.len()))
                .len(value.len() as u64)
                .limit(want as u64));
        }
        Ok(())
    }

    fn readable(&self, op: &'static str) -> Result<()> {
        if self.fd_flags & BPF_F_WRONLY != 0 {
            return fail(Errno::EPERM, op, "the map was created write-only (BPF_F_WRONLY)");
        }
        Ok(())
    }

    fn writable(&self, op: &'static str) -> Result<()> {
        if self.frozen.get() {
            return fail(Errno::EPERM, op, "the map is frozen");
        }
        if self.fd_flags & BPF_F_RDONLY != 0 {
            return fail(Errno::EPERM, op, "the map was created read-only (BPF_F_RDONLY)");
        }
        Ok(())
    }

    fn refused(&self, op: &'static str) -> XdpError {
        XdpError::new(Errno::EINVAL, op, format!("the verifier does not let programs call {op} on a {} map", self.def.map_type))
    }

    // ---- program side ----

    /// How compiled code may do a program's `bpf_map_lookup_elem` on this map without the helper
    /// (see [`super::jit`]); None for the map types the helper refuses.
    pub fn jit_lookup(&self) -> Option<JitLookup> {
        match &self.store {
            Store::Array(values) => Some(JitLookup::Array { base: values.addr(0), max: self.def.max_entries, stride: self.stride as u64 }),
            Store::PercpuArray(values) => Some(JitLookup::PercpuArray {
                base: values.addr(0),
                max: self.def.max_entries,
                nr_cpus: self.nr_cpus,
                stride: self.stride as u64,
            }),
            _ if matches!(
                self.def.map_type,
                MapType::Ringbuf | MapType::ProgArray | MapType::PerfEventArray | MapType::Queue | MapType::Stack | MapType::UserRingbuf | MapType::Sockmap | MapType::Sockhash
            ) =>
            {
                // a socket lookup takes a reference: the helper does it
                None
            }
            _ => Some(JitLookup::Call),
        }
    }

    /// `bpf_map_lookup_elem` (and `bpf_map_lookup_percpu_elem` with another CPU): the host
    /// address of the value, `cpu`'s copy for per-CPU maps. A program's lookup makes an LRU
    /// element the most recently used. None when absent, and for the map types the verifier
    /// keeps lookups away from (cpumap, prog_array, perf_event_array, ringbuf).
    pub fn lookup(&self, key: &[u8], cpu: u32) -> Option<u64> {
        if self.described.is_some() {
            return None;
        }
        if key.len() != self.def.key_size as usize {
            return None;
        }
        let max = self.def.max_entries;
        match &self.store {
            Store::Array(values) => {
                let i = le32(key);
                (i < max).then(|| values.addr(i as usize * self.stride))
            }
            Store::PercpuArray(values) => {
                let i = le32(key);
                (i < max && cpu < self.nr_cpus).then(|| values.addr((i as usize * self.nr_cpus as usize + cpu as usize) * self.stride))
            }
            Store::Hash { table, values } => {
                if self.def.map_type.is_percpu() && cpu >= self.nr_cpus {
                    return None;
                }
                let mut t = table.borrow_mut();
                let s = t.find(key)?;
                if let Some(lru) = t.lru.as_mut() {
                    lru.touch(s);
                }
                Some(values.addr(self.hash_value_off(s, cpu)))
            }
            Store::Lpm { trie, values } => trie.borrow().lookup(key).map(|v| values.addr(v as usize * self.stride)),
            Store::MapsOfMaps(_) => self.inner_map(key).map(|m| m.kernel_struct_addr()),
            Store::DevArray { values, slots } if matches!(self.def.map_type, MapType::Devmap | MapType::Xskmap) => {
                let i = le32(key);
                slots.borrow().contains_key(&i).then(|| values.addr(i as usize * 8))
            }
            Store::DevHash { table, values, .. } => table.borrow().find(key).map(|s| values.addr(s * 8)),
            _ => None,
        }
    }

    /// Whether `bpf_redirect_map` finds an entry under `key` (`__dev_map_lookup_elem`,
    /// `__cpu_map_lookup_elem`): a cpumap's entries too, which programs cannot look up.
    pub fn redirect_entry(&self, key: u32) -> bool {
        match &self.store {
            Store::DevArray { slots, .. } => slots.borrow().contains_key(&key),
            _ => self.lookup(&key.to_le_bytes(), 0).is_some(),
        }
    }

    /// `bpf_map_update_elem` from a program running on `cpu`. EACCES for maps programs may not
    /// write (BPF_F_RDONLY_PROG), EINVAL for map types the verifier keeps this helper away from.
    pub fn update(&self, key: &[u8], value: &[u8], flags: u64, cpu: u32) -> Result<()> {
        self.emulated(OP_UPDATE)?;
        self.check_key(key, OP_UPDATE)?;
        self.check_len(value, self.def.value_size as usize, OP_UPDATE)?;
        if self.def.map_flags & BPF_F_RDONLY_PROG != 0 {
            return fail(Errno::EACCES, OP_UPDATE, format!("write into map {} forbidden: it is read-only for programs", self.name));
        }
        match &self.store {
            Store::Array(values) => self.array_update(values, key, value, flags),
            Store::PercpuArray(values) => {
                self.percpu_check(key, flags)?;
                if cpu >= self.nr_cpus {
                    return fail(Errno::EINVAL, OP_UPDATE, format!("CPU {cpu} is not one of the {} possible CPUs", self.nr_cpus));
                }
                let value = detach(values, value);
                values.write((le32(key) as usize * self.nr_cpus as usize + cpu as usize) * self.stride, &value);
                Ok(())
            }
            Store::Hash { table, values } => {
                let copies = if self.def.map_type.is_percpu() {
                    if cpu >= self.nr_cpus {
                        return fail(Errno::EINVAL, OP_UPDATE, format!("CPU {cpu} is not one of the {} possible CPUs", self.nr_cpus));
                    }
                    Copies::Cpu(cpu)
                } else {
                    Copies::One
                };
                self.hash_update(table, values, key, value, flags, cpu, copies)
            }
            Store::Lpm { trie, values } => self.lpm_update(trie, values, key, value, flags),
            _ => Err(self.refused(OP_UPDATE)),
        }
    }

    /// `bpf_map_delete_elem` from a program.
    pub fn delete(&self, key: &[u8]) -> Result<()> {
        self.emulated(OP_DELETE)?;
        self.check_key(key, OP_DELETE)?;
        if self.def.map_flags & BPF_F_RDONLY_PROG != 0 {
            return fail(Errno::EACCES, OP_DELETE, format!("write into map {} forbidden: it is read-only for programs", self.name));
        }
        match &self.store {
            Store::Array(_) | Store::PercpuArray(_) => fail(Errno::EINVAL, OP_DELETE, "array elements cannot be deleted"),
            Store::Hash { table, .. } => self.hash_delete(table, key),
            Store::Lpm { trie, .. } => trie.borrow_mut().delete(key, OP_DELETE),
            Store::Sock(store) => self.sock_delete(store, key, OP_DELETE),
            _ => Err(self.refused(OP_DELETE)),
        }
    }

    /// The value memory programs can reach: (start, length, writable by programs), from the first
    /// value's first byte to the last value's last byte. Keys and slot metadata are elsewhere.
    /// Fixed for the map's lifetime. Devmap values are read-only; maps whose values programs
    /// never see (cpumap, prog and perf arrays, ring buffers) have none.
    pub fn value_regions(&self) -> Vec<(u64, u64, bool)> {
        let writable = self.def.map_flags & BPF_F_RDONLY_PROG == 0;
        let span = |values: &Slab, count: u64, size: u64, stride: u64| -> Vec<(u64, u64, bool)> {
            if count == 0 || values.len == 0 {
                return Vec::new();
            }
            vec![(values.addr(0), (count - 1) * stride + size, writable)]
        };
        let (vs, stride) = (u64::from(self.def.value_size), self.stride as u64);
        match &self.store {
            Store::Array(v) => span(v, u64::from(self.def.max_entries), vs, stride),
            Store::PercpuArray(v) => span(v, u64::from(self.def.max_entries) * u64::from(self.nr_cpus), vs, stride),
            Store::Hash { values, .. } => {
                let copies = if self.def.map_type.is_percpu() { u64::from(self.nr_cpus) } else { 1 };
                span(values, u64::from(self.def.max_entries) * copies, vs, stride)
            }
            Store::Lpm { values, .. } => span(values, u64::from(self.def.max_entries), vs, stride),
            Store::DevArray { values, .. } if self.def.map_type == MapType::Devmap => span(values, u64::from(self.def.max_entries), vs, 8),
            // struct bpf_xdp_sock (queue_id): the verifier lets programs read it only.
            Store::DevArray { values, .. } if self.def.map_type == MapType::Xskmap => {
                span(values, u64::from(self.def.max_entries), 4, 8).into_iter().map(|(a, l, _)| (a, l, false)).collect()
            }
            Store::DevHash { values, .. } => span(values, u64::from(self.def.max_entries), vs, 8),
            _ => Vec::new(),
        }
    }

    // ---- shared update paths ----

    // ---- user (syscall) side ----

    /// `BPF_MAP_LOOKUP_ELEM`: the value into `out` (resized). Per-CPU maps give every CPU's copy,
    /// each padded to 8 bytes; prog arrays the program's id; devmap, devmap_hash and cpumap their
    /// {ifindex or qsize, prog id} value. ENOENT when absent, ENOTSUPP for perf event arrays and
    /// ring buffers, EPERM on a write-only map. Does not touch LRU order.
    pub fn lookup_user(&self, key: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.emulated(OP_LOOKUP)?;
        self.readable(OP_LOOKUP)?;
        if let Store::SkStorage(_) = self.store {
            return Err(self.sk_storage_by_key(OP_LOOKUP));
        }
        if let Store::Ringbuf(_) | Store::UserRingbuf(_) = self.store {
            return fail(Errno::ENOTSUPP, OP_LOOKUP, "ring buffers have no elements to look up");
        }
        if self.def.map_type == MapType::Xskmap {
            return fail(Errno::EOPNOTSUPP, OP_LOOKUP, "xskmap slots cannot be read from user space");
        }
        self.check_key(key, OP_LOOKUP)?;
        let absent = || XdpError::new(Errno::ENOENT, OP_LOOKUP, "no such key");
        match &self.store {
            Store::Array(values) => {
                let i = le32(key);
                if i >= self.def.max_entries {
                    return Err(absent());
                }
                self.get_value(values, i as usize * self.stride, out);
            }
            Store::PercpuArray(values) => {
                let i = le32(key);
                if i >= self.def.max_entries {
                    return Err(absent());
                }
                let n = self.nr_cpus as usize * self.stride;
                out.clear();
                out.resize(n, 0);
                values.read(i as usize * n, out);
            }
            Store::Hash { table, values } if self.def.map_type.is_percpu() => {
                let s = table.borrow().find(key).ok_or_else(absent)?;
                let n = self.nr_cpus as usize * self.stride;
                out.clear();
                out.resize(n, 0);
                values.read(self.hash_value_off(s, 0), out);
            }
            Store::Hash { table, values } => {
                let s = table.borrow().find(key).ok_or_else(absent)?;
                self.get_value(values, s * self.stride, out);
            }
            Store::Lpm { trie, values } => {
                let v = trie.borrow().lookup(key).ok_or_else(absent)?;
                self.get_value(values, v as usize * self.stride, out);
            }
            Store::MapsOfMaps(m) => {
                let id = self.mom_lookup_user(m, key).ok_or_else(absent)?;
                out.clear();
                out.extend_from_slice(&id.to_le_bytes());
            }
            Store::QueueStack(q) => {
                out.clear();
                out.resize(self.def.value_size as usize, 0);
                q.borrow_mut().get(out, false, OP_LOOKUP)?;
            }
            Store::DevArray { values, slots } => {
                let i = le32(key);
                if !slots.borrow().contains_key(&i) {
                    return Err(absent());
                }
                self.get_value(values, i as usize * 8, out);
            }
            Store::DevHash { table, values, .. } => {
                let s = table.borrow().find(key).ok_or_else(absent)?;
                self.get_value(values, s * 8, out);
            }
            Store::Progs(slots) => {
                let id = slots.borrow().get(&le32(key)).map(|s| s.id).ok_or_else(absent)?;
                out.clear();
                out.extend_from_slice(&id.to_le_bytes());
            }
            Store::Perf { .. } => return fail(Errno::ENOTSUPP, OP_LOOKUP, "perf event array elements cannot be read back"),
            Store::Ringbuf(_) | Store::UserRingbuf(_) => {
                return fail(Errno::ENOTSUPP, OP_LOOKUP, "ring buffers have no elements to look up")
            }
            Store::Sock(store) => return self.sock_lookup_user(store, key, out, OP_LOOKUP),
            Store::SkStorage(_) => return Err(self.sk_storage_by_key(OP_LOOKUP)),
        }
        Ok(())
    }

    /// [`Map::lookup_user`] with `BPF_MAP_LOOKUP_ELEM`'s flags: only BPF_F_LOCK, and only for values
    /// with a spin lock (EINVAL otherwise).
    pub fn lookup_user_flags(&self, key: &[u8], out: &mut Vec<u8>, flags: u64) -> Result<()> {
        self.emulated(OP_LOOKUP)?;
        if flags & !BPF_F_LOCK != 0 {
            return fail(Errno::EINVAL, OP_LOOKUP, format!("unknown flags {flags:#x}"));
        }
        if flags & BPF_F_LOCK != 0 && self.spin_lock.get().is_none() {
            return fail(Errno::EINVAL, OP_LOOKUP, "BPF_F_LOCK on a value without a bpf_spin_lock");
        }
        self.lookup_user(key, out)
    }

    /// `BPF_MAP_UPDATE_ELEM` with no fd table: prog array updates fail with EBADF, devmap
    /// ifindexes are taken as they are. See [`Map::update_user_with`].
    pub fn update_user(&self, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        self.update_user_with(key, value, flags, &NoEnv)
    }

    /// `BPF_MAP_UPDATE_ELEM`. Per-CPU maps take every CPU's value, each padded to 8 bytes. Fd
    /// arrays take an fd (prog arrays resolve it through `env`); devmaps {ifindex[, prog fd]};
    /// cpumaps {qsize[, prog fd]}, with a qsize of 0 deleting. EPERM on read-only or frozen
    /// maps.
    pub fn update_user_with(&self, key: &[u8], value: &[u8], flags: u64, env: &dyn MapEnv) -> Result<()> {
        self.emulated(OP_UPDATE)?;
        self.writable(OP_UPDATE)?;
        if let Store::SkStorage(_) = self.store {
            return Err(self.sk_storage_by_key(OP_UPDATE));
        }
        if let Store::Ringbuf(_) | Store::UserRingbuf(_) = self.store {
            return fail(Errno::ENOTSUPP, OP_UPDATE, "ring buffers have no elements to update");
        }
        self.check_key(key, OP_UPDATE)?;
        let want = if self.def.map_type.is_percpu() { self.nr_cpus as usize * self.stride } else { self.def.value_size as usize };
        self.check_len(value, want, OP_UPDATE)?;
        match &self.store {
            Store::Array(values) => self.array_update(values, key, value, flags),
            Store::PercpuArray(values) => {
                self.percpu_check(key, flags)?;
                let value = detach(values, value);
                values.write(le32(key) as usize * want, &value);
                Ok(())
            }
            Store::Hash { table, values } => {
                let copies = if self.def.map_type.is_percpu() { Copies::All } else { Copies::One };
                self.hash_update(table, values, key, value, flags, 0, copies)
            }
            Store::Lpm { trie, values } => self.lpm_update(trie, values, key, value, flags),
            Store::MapsOfMaps(_) => {
                let inner = map_by_fd(le32(value) as i32).map_err(|e| XdpError::new(e.errno, OP_UPDATE, e.message.clone()))?;
                self.set_inner(key, inner, flags)
            }
            Store::QueueStack(q) => q.borrow_mut().push(value, flags, OP_UPDATE),
            Store::Progs(slots) => {
                let i = self.fd_slot_check(key, flags)?;
                let (prog, id) = env.prog(le32(value) as i32, self)?;
                let old = slots.borrow_mut().insert(i, Slot { id, prog: Some(prog), target: None });
                drop(old);
                Ok(())
            }
            Store::Perf { slots, .. } => {
                let i = self.fd_slot_check(key, flags)?;
                let fd = le32(value);
                env.perf_event(fd as i32)?;
                let old = slots.borrow_mut().insert(i, Slot { id: fd, ..Slot::default() });
                drop(old);
                Ok(())
            }
            Store::DevArray { values, slots } if self.def.map_type == MapType::Devmap => {
                self.devmap_update(values, slots, key, value, flags, env)
            }
            Store::DevArray { .. } if self.def.map_type == MapType::Xskmap => {
                self.xsk_slot_check(le32(key), flags)?;
                self.xsk_update(le32(key), env.socket(le32(value) as i32)?, flags)
            }
            Store::DevArray { values, slots } => self.cpumap_update(values, slots, key, value, flags, env),
            Store::DevHash { table, values, slots } => self.devmap_hash_update(table, values, slots, key, value, flags, env),
            Store::Ringbuf(_) | Store::UserRingbuf(_) => fail(Errno::ENOTSUPP, OP_UPDATE, "ring buffers have no elements to update"),
            Store::Sock(_) => fail(Errno::EOPNOTSUPP, OP_UPDATE, format!("a {} holds sockets of a HostNet: update it with a socket (Map::sock_update)", self.def.map_type)),
            Store::SkStorage(_) => Err(self.sk_storage_by_key(OP_UPDATE)),
        }
    }

    /// `BPF_MAP_DELETE_ELEM`. Arrays: EINVAL; hash maps: ENOENT when absent; prog and perf arrays:
    /// E2BIG past the end, ENOENT when empty; devmap and cpumap: EINVAL past the end, otherwise
    /// success even when empty; ring buffers: ENOTSUPP. EPERM on read-only or frozen maps.
    pub fn delete_user(&self, key: &[u8]) -> Result<()> {
        self.emulated(OP_DELETE)?;
        self.writable(OP_DELETE)?;
        if let Store::SkStorage(_) = self.store {
            return Err(self.sk_storage_by_key(OP_DELETE));
        }
        if let Store::Ringbuf(_) | Store::UserRingbuf(_) = self.store {
            return fail(Errno::ENOTSUPP, OP_DELETE, "ring buffers have no elements to delete");
        }
        self.check_key(key, OP_DELETE)?;
        let i = le32(key);
        let removed = match &self.store {
            Store::Array(_) | Store::PercpuArray(_) => return fail(Errno::EINVAL, OP_DELETE, "array elements cannot be deleted"),
            Store::Hash { table, .. } => return self.hash_delete(table, key),
            Store::Lpm { trie, .. } => return trie.borrow_mut().delete(key, OP_DELETE),
            Store::MapsOfMaps(m) => return self.mom_delete(m, key),
            Store::QueueStack(_) => return fail(Errno::EINVAL, OP_DELETE, "queue and stack elements are popped, not deleted"),
            Store::Sock(store) => return self.sock_delete(store, key, OP_DELETE),
            Store::SkStorage(_) => return Err(self.sk_storage_by_key(OP_DELETE)),
            Store::Progs(slots) | Store::Perf { slots, .. } => {
                if i >= self.def.max_entries {
                    return Err(XdpError::new(Errno::E2BIG, OP_DELETE, format!("index {i} is past the {} entries", self.def.max_entries))
                        .offset(i64::from(i))
                        .limit(u64::from(self.def.max_entries)));
                }
                let old = slots.borrow_mut().remove(&i);
                if old.is_none() {
                    return fail(Errno::ENOENT, OP_DELETE, format!("slot {i} is empty"));
                }
                old
            }
            Store::DevArray { slots, .. } => {
                if i >= self.def.max_entries {
                    return Err(XdpError::new(Errno::EINVAL, OP_DELETE, format!("index {i} is past the {} entries", self.def.max_entries))
                        .offset(i64::from(i))
                        .limit(u64::from(self.def.max_entries)));
                }
                slots.borrow_mut().remove(&i)
            }
            Store::DevHash { table, slots, .. } => {
                let mut t = table.borrow_mut();
                let s = t.find(key).ok_or_else(|| XdpError::new(Errno::ENOENT, OP_DELETE, "no such key"))?;
                t.remove(s);
                drop(t);
                slots.borrow_mut().remove(&(s as u32))
            }
            Store::Ringbuf(_) | Store::UserRingbuf(_) => {
                return fail(Errno::ENOTSUPP, OP_DELETE, "ring buffers have no elements to delete")
            }
        };
        drop(removed);
        Ok(())
    }

    /// `BPF_MAP_GET_NEXT_KEY` into `out` (key_size bytes). Array-like maps (arrays, prog and perf
    /// arrays, devmap, cpumap) walk every index: None or an index past the end gives 0, the last
    /// index ENOENT. Hash maps walk their elements in bucket order: None or an absent key gives
    /// the first, the last ENOENT.
    pub fn next_key(&self, key: Option<&[u8]>, out: &mut [u8]) -> Result<()> {
        self.emulated(OP_NEXT)?;
        self.readable(OP_NEXT)?;
        if let Store::Ringbuf(_) | Store::UserRingbuf(_) = self.store {
            return fail(Errno::ENOTSUPP, OP_NEXT, "ring buffers have no keys");
        }
        if let Store::QueueStack(_) = self.store {
            return fail(Errno::EINVAL, OP_NEXT, "queues and stacks have no keys");
        }
        if let Store::SkStorage(_) = self.store {
            return fail(Errno::ENOTSUPP, OP_NEXT, "an sk_storage map has no keys to walk (its values live in the sockets)");
        }
        if let Some(k) = key {
            self.check_key(k, OP_NEXT)?;
        }
        if out.len() != self.def.key_size as usize {
            return Err(XdpError::new(Errno::EINVAL, OP_NEXT, "the output is not key_size bytes")
                .len(out.len() as u64)
                .limit(u64::from(self.def.key_size)));
        }
        let done = || XdpError::new(Errno::ENOENT, OP_NEXT, "no more keys");
        match &self.store {
            Store::Hash { table, .. } | Store::DevHash { table, .. } => {
                let t = table.borrow();
                let s = t.next(key).ok_or_else(done)?;
                out.copy_from_slice(t.key(s));
            }
            Store::Lpm { trie, .. } => {
                if !trie.borrow().next_key(key, out) {
                    return Err(done());
                }
            }
            Store::MapsOfMaps(m) if m.borrow().table.is_some() => {
                let m = m.borrow();
                let t = m.table.as_ref().expect("hash of maps");
                let s = t.next(key).ok_or_else(done)?;
                out.copy_from_slice(t.key(s));
            }
            Store::Sock(store) if self.def.map_type == MapType::Sockhash => {
                out.copy_from_slice(&store.borrow().next_hash_key(key).ok_or_else(done)?);
            }
            _ => {
                let i = key.map_or(u32::MAX, le32);
                let max = self.def.max_entries;
                let next = if i >= max {
                    0
                } else if i == max - 1 {
                    return Err(done());
                } else {
                    i + 1
                };
                out.copy_from_slice(&next.to_le_bytes());
            }
        }
        Ok(())
    }

    /// The keys in `next_key` order, from the first. Arrays yield every index.
    pub fn keys(&self) -> Keys<'_> {
        Keys { map: self, cur: None, done: false }
    }

    /// (key, value) of every element a user lookup finds, in `next_key` order.
    pub fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        for key in self.keys() {
            let mut value = Vec::new();
            if self.lookup_user(&key, &mut value).is_ok() {
                out.push((key, value));
            }
        }
        out
    }

    // ---- attachments ----

    /// The occupied indexes of a prog array, perf event array, devmap or cpumap (ascending), or the
    /// keys of a devmap_hash in bucket order: the order a BPF_F_BROADCAST redirect visits them.
    pub fn occupied(&self) -> Vec<u32> {
        match &self.store {
            Store::Progs(slots) | Store::Perf { slots, .. } | Store::DevArray { slots, .. } => slots.borrow().keys().copied().collect(),
            Store::DevHash { .. } => self.keys().map(|k| le32(&k)).collect(),
            _ => Vec::new(),
        }
    }
}

/// A copy of `value` when it lies in the map's own value memory (a program updating from a
/// pointer into the map), so the write cannot clobber what it reads.
fn detach<'a>(values: &Slab, value: &'a [u8]) -> Cow<'a, [u8]> {
    if values.overlaps(value) {
        Cow::Owned(value.to_vec())
    } else {
        Cow::Borrowed(value)
    }
}

/// [`Map::keys`].
pub struct Keys<'a> {
    map: &'a Map,
    cur: Option<Vec<u8>>,
    done: bool,
}

impl Iterator for Keys<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        let mut out = vec![0u8; self.map.def.key_size as usize];
        match self.map.next_key(self.cur.as_deref(), &mut out) {
            Ok(()) => {
                self.cur = Some(out.clone());
                Some(out)
            }
            Err(_) => {
                self.done = true;
                None
            }
        }
    }
}

/// A map's name as libbpf hands it to the kernel: cut to `BPF_OBJ_NAME_LEN - 1` bytes.
fn libbpf_name(name: &str) -> &str {
    let mut name = name;
    while name.len() >= BPF_OBJ_NAME_LEN {
        let mut cut = BPF_OBJ_NAME_LEN - 1;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name = &name[..cut];
    }
    name
}
