//! BPF maps, as programs see them through the helpers and as user space sees them through bpf(2):
//! creation with `map_create`'s checks and errnos, value addresses for programs, copies for the
//! syscall side, and the objects the embedder attaches (programs, devices, ring buffers, perf
//! samples). Single-threaded: programs and users share an `Rc<Map>`, state sits in `Cell`s and
//! `RefCell`s, values in memory of their own.
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

use std::alloc::{self, Layout};
use std::any::Any;
use std::borrow::Cow;
use std::cell::{Cell, RefCell, RefMut};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::ptr::{self, NonNull};
use std::rc::Rc;

use super::elf::{GlobalData, MapSpec};
use super::machine::Prog;
use crate::errno::{Errno, Result, XdpError};
use crate::ringbuf::RingBuf;

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

const OP_CREATE: &str = "bpf_map_create";
const OP_LOOKUP: &str = "bpf_map_lookup_elem";
const OP_UPDATE: &str = "bpf_map_update_elem";
const OP_DELETE: &str = "bpf_map_delete_elem";
const OP_NEXT: &str = "bpf_map_get_next_key";
const OP_FREEZE: &str = "bpf_map_freeze";

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

/// The kernel's `jhash` (Bob Jenkins' lookup3 `hashlittle`), which `htab_map_hash` uses; `jhash2`
/// over the same bytes as u32 words gives the same value on a little-endian host, so this is the
/// hash of every key size.
pub fn jhash(key: &[u8], seed: u32) -> u32 {
    // Straight-line rounds (the same as the table-driven form below, which is the test's
    // reference): one word per 4 key bytes, a short tail zero-padded.
    #[inline(always)]
    fn word(b: &[u8]) -> u32 {
        match *b {
            [x0, x1, x2, x3, ..] => u32::from_le_bytes([x0, x1, x2, x3]),
            [x0, x1, x2] => u32::from_le_bytes([x0, x1, x2, 0]),
            [x0, x1] => u32::from_le_bytes([x0, x1, 0, 0]),
            [x0] => u32::from(x0),
            [] => 0,
        }
    }
    let init = 0xdead_beef_u32.wrapping_add(key.len() as u32).wrapping_add(seed);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut rest = key;
    while rest.len() > 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        a = a.wrapping_sub(c) ^ c.rotate_left(4);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ a.rotate_left(6);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ b.rotate_left(8);
        b = b.wrapping_add(a);
        a = a.wrapping_sub(c) ^ c.rotate_left(16);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ a.rotate_left(19);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ b.rotate_left(4);
        b = b.wrapping_add(a);
        rest = &rest[12..];
    }
    if rest.is_empty() {
        return c;
    }
    a = a.wrapping_add(word(rest));
    if rest.len() > 4 {
        b = b.wrapping_add(word(&rest[4..]));
    }
    if rest.len() > 8 {
        c = c.wrapping_add(word(&rest[8..]));
    }
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(14));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(11));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(25));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(16));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(4));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(14));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(24));
    c
}

#[cfg(test)]
fn jhash_rounds(key: &[u8], seed: u32) -> u32 {
    fn mix(s: &mut [u32; 3]) {
        for (i, r) in [4u32, 6, 8, 16, 19, 4].into_iter().enumerate() {
            // Rounds rotate the roles of a, b, c: (a, c, b), (b, a, c), (c, b, a), …
            let (x, y, z) = [(0, 2, 1), (1, 0, 2), (2, 1, 0)][i % 3];
            s[x] = s[x].wrapping_sub(s[y]);
            s[x] ^= s[y].rotate_left(r);
            s[y] = s[y].wrapping_add(s[z]);
        }
    }
    fn finish(s: &mut [u32; 3]) {
        for (i, r) in [14u32, 11, 25, 16, 4, 14, 24].into_iter().enumerate() {
            let (x, y) = [(2, 1), (0, 2), (1, 0)][i % 3];
            s[x] ^= s[y];
            s[x] = s[x].wrapping_sub(s[y].rotate_left(r));
        }
    }
    fn absorb(s: &mut [u32; 3], block: &[u8]) {
        for (w, chunk) in s.iter_mut().zip(block.chunks(4)) {
            *w = w.wrapping_add(le32(chunk));
        }
    }
    let init = 0xdead_beef_u32.wrapping_add(key.len() as u32).wrapping_add(seed);
    let mut s = [init; 3];
    let mut rest = key;
    while rest.len() > 12 {
        absorb(&mut s, &rest[..12]);
        mix(&mut s);
        rest = &rest[12..];
    }
    if rest.is_empty() {
        return s[2];
    }
    absorb(&mut s, rest);
    finish(&mut s);
    s[2]
}

#[cfg(test)]
mod jhash_tests {
    #[test]
    fn straight_line_jhash_matches_the_rounds() {
        let mut x = 0x1234_5678_9abc_def0_u64;
        for len in 0..64usize {
            for _ in 0..50 {
                let key: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                let seed = x as u32;
                assert_eq!(super::jhash(&key, seed), super::jhash_rounds(&key, seed), "len {len}");
                assert_eq!(super::jhash(&key, 0), super::jhash_rounds(&key, 0), "len {len}");
            }
        }
    }
}

/// The map types emulated, with their uapi numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum MapType {
    Hash = 1,
    Array = 2,
    ProgArray = 3,
    PerfEventArray = 4,
    PercpuArray = 6,
    LruHash = 9,
    Devmap = 14,
    Cpumap = 16,
    DevmapHash = 25,
    Ringbuf = 27,
}

/// bpftool's (libbpf's) name of every uapi map type, indexed by number.
const MAP_TYPE_NAMES: [&str; 34] = [
    "unspec",
    "hash",
    "array",
    "prog_array",
    "perf_event_array",
    "percpu_hash",
    "percpu_array",
    "stack_trace",
    "cgroup_array",
    "lru_hash",
    "lru_percpu_hash",
    "lpm_trie",
    "array_of_maps",
    "hash_of_maps",
    "devmap",
    "sockmap",
    "cpumap",
    "xskmap",
    "sockhash",
    "cgroup_storage",
    "reuseport_sockarray",
    "percpu_cgroup_storage",
    "queue",
    "stack",
    "sk_storage",
    "devmap_hash",
    "struct_ops",
    "ringbuf",
    "inode_storage",
    "task_storage",
    "bloom_filter",
    "user_ringbuf",
    "cgrp_storage",
    "arena",
];

/// The name bpftool prints for a uapi map type number, emulated or not.
pub fn map_type_name(t: u32) -> Option<&'static str> {
    MAP_TYPE_NAMES.get(t as usize).copied()
}

impl MapType {
    pub const ALL: [MapType; 10] = [
        MapType::Hash,
        MapType::Array,
        MapType::ProgArray,
        MapType::PerfEventArray,
        MapType::PercpuArray,
        MapType::LruHash,
        MapType::Devmap,
        MapType::Cpumap,
        MapType::DevmapHash,
        MapType::Ringbuf,
    ];

    /// The type a uapi number names; EINVAL for the kernel's other types (the message names them)
    /// and for numbers the kernel does not know.
    pub fn from_uapi(t: u32) -> Result<MapType> {
        MapType::ALL.into_iter().find(|m| m.uapi() == t).ok_or_else(|| {
            let supported: Vec<&str> = MapType::ALL.iter().map(|m| m.name()).collect();
            let msg = match map_type_name(t) {
                Some(name) if t != 0 => format!("map type {name} ({t}) is not emulated; the emulated types are {}", supported.join(", ")),
                _ => format!("{t} is not a map type"),
            };
            XdpError::new(Errno::EINVAL, OP_CREATE, msg)
        })
    }

    pub const fn uapi(self) -> u32 {
        self as u32
    }

    /// As bpftool prints it.
    pub fn name(self) -> &'static str {
        MAP_TYPE_NAMES[self as usize]
    }
}

impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `BPF_MAP_CREATE`'s attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapDef {
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
}

impl MapDef {
    pub const fn new(map_type: MapType, key_size: u32, value_size: u32, max_entries: u32, map_flags: u32) -> MapDef {
        MapDef { map_type, key_size, value_size, max_entries, map_flags }
    }
}

/// What `bpftool map show` prints about a map (without the id, which the embedder assigns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    pub name: String,
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    /// As the kernel keeps them: without BPF_F_RDONLY/BPF_F_WRONLY (the fd's permissions), with
    /// what it adds (BPF_F_RDONLY_PROG on devmaps).
    pub map_flags: u32,
    pub frozen: bool,
    /// Elements present: every index of an array, the occupied slots of the others.
    pub entries: usize,
}

impl fmt::Display for MapInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}  ", self.map_type.name())?;
        if !self.name.is_empty() {
            write!(f, "name {}  ", self.name)?;
        }
        write!(f, "flags {:#x}\n\tkey {}B  value {}B  max_entries {}", self.map_flags, self.key_size, self.value_size, self.max_entries)?;
        if self.frozen {
            write!(f, "\n\tfrozen")?;
        }
        Ok(())
    }
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
}

/// The [`MapEnv`] with nothing in it.
pub struct NoEnv;
impl MapEnv for NoEnv {}

/// Zero-initialised memory that stays where it is until the map is dropped. Programs write it
/// through raw addresses, so it is never borrowed as a Rust slice beyond a single copy.
struct Slab {
    ptr: NonNull<u8>,
    len: usize,
}

impl Slab {
    fn zeroed(len: u64) -> Result<Slab> {
        let oom = || XdpError::new(Errno::ENOMEM, OP_CREATE, format!("cannot allocate {len} bytes of map values")).len(len);
        let len = usize::try_from(len).map_err(|_| oom())?;
        if len == 0 {
            return Ok(Slab { ptr: NonNull::dangling(), len: 0 });
        }
        let layout = Layout::from_size_align(len, 8).map_err(|_| oom())?;
        // SAFETY: the layout's size is not zero.
        let p = unsafe { alloc::alloc_zeroed(layout) };
        NonNull::new(p).map(|ptr| Slab { ptr, len }).ok_or_else(oom)
    }

    fn addr(&self, off: usize) -> u64 {
        self.ptr.as_ptr() as u64 + off as u64
    }

    fn fits(&self, off: usize, n: usize) -> bool {
        off.checked_add(n).is_some_and(|end| end <= self.len)
    }

    fn overlaps(&self, bytes: &[u8]) -> bool {
        let (a, b) = (bytes.as_ptr() as usize, bytes.as_ptr() as usize + bytes.len());
        let (s, e) = (self.ptr.as_ptr() as usize, self.ptr.as_ptr() as usize + self.len);
        a < e && s < b
    }

    fn write(&self, off: usize, src: &[u8]) {
        debug_assert!(self.fits(off, src.len()));
        if self.fits(off, src.len()) {
            // SAFETY: in bounds; `copy` tolerates overlap, and callers detach sources that alias
            // the slab before writing.
            unsafe { ptr::copy(src.as_ptr(), self.ptr.as_ptr().add(off), src.len()) }
        }
    }

    fn read(&self, off: usize, dst: &mut [u8]) {
        debug_assert!(self.fits(off, dst.len()));
        if self.fits(off, dst.len()) {
            // SAFETY: in bounds of the slab; `dst` is exclusively borrowed by the caller.
            unsafe { ptr::copy(self.ptr.as_ptr().add(off), dst.as_mut_ptr(), dst.len()) }
        }
    }

    fn zero(&self, off: usize, n: usize) {
        debug_assert!(self.fits(off, n));
        if self.fits(off, n) {
            // SAFETY: in bounds.
            unsafe { ptr::write_bytes(self.ptr.as_ptr().add(off), 0, n) }
        }
    }
}

impl Drop for Slab {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: allocated in `zeroed` with this very layout.
            unsafe { alloc::dealloc(self.ptr.as_ptr(), Layout::from_size_align_unchecked(self.len, 8)) }
        }
    }
}

/// Element types whose all-zero bit pattern is a valid value.
///
/// # Safety
/// Implementors must accept every byte being zero.
unsafe trait ZeroValid: Copy {}
// SAFETY: plain integers.
unsafe impl ZeroValid for u8 {}
// SAFETY: plain integers.
unsafe impl ZeroValid for u32 {}

/// A vector of `n` zeros, allocated without touching the pages (the kernel's preallocated maps
/// cost nothing until used; neither should a large emulated one) and without aborting when the
/// allocation fails.
fn zeroed_vec<T: ZeroValid>(n: usize) -> Result<Vec<T>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let oom = || XdpError::new(Errno::ENOMEM, OP_CREATE, format!("cannot allocate map metadata for {n} elements"));
    let layout = Layout::array::<T>(n).map_err(|_| oom())?;
    // SAFETY: n > 0 and T is not zero-sized (u8, u32), so the layout is not empty.
    let p = unsafe { alloc::alloc_zeroed(layout) } as *mut T;
    if p.is_null() {
        return Err(oom());
    }
    // SAFETY: allocated by the global allocator with T's array layout for n elements, all of them
    // initialised (zero is a valid T).
    Ok(unsafe { Vec::from_raw_parts(p, n, n) })
}

/// Links hold a slot index plus one, so zeroed memory reads as "no link".
const NIL: u32 = 0;

/// One LRU list (most recently used at the head).
#[derive(Clone, Copy, Debug, Default)]
struct LruList {
    head: u32,
    tail: u32,
    len: u32,
    cap: u32,
}

struct Lru {
    prev: Vec<u32>,
    next: Vec<u32>,
    owner: Vec<u32>,
    lists: Vec<LruList>,
}

impl Lru {
    fn unlink(&mut self, s: usize) {
        let (p, n) = (self.prev[s], self.next[s]);
        let l = &mut self.lists[self.owner[s] as usize];
        if p == NIL {
            l.head = n;
        } else {
            self.next[p as usize - 1] = n;
        }
        if n == NIL {
            l.tail = p;
        } else {
            self.prev[n as usize - 1] = p;
        }
        l.len -= 1;
        self.prev[s] = NIL;
        self.next[s] = NIL;
    }

    fn push_front(&mut self, s: usize, list: u32) {
        self.owner[s] = list;
        let l = &mut self.lists[list as usize];
        self.prev[s] = NIL;
        self.next[s] = l.head;
        if l.head == NIL {
            l.tail = s as u32 + 1;
        } else {
            self.prev[l.head as usize - 1] = s as u32 + 1;
        }
        l.head = s as u32 + 1;
        l.len += 1;
    }

    fn touch(&mut self, s: usize) {
        let list = self.owner[s];
        self.unlink(s);
        self.push_front(s, list);
    }
}

/// The hash table of hash, LRU hash and devmap_hash maps: the kernel's bucket structure (chains
/// with new elements at the head), over preallocated slots whose values live in a separate slab.
struct HashTable {
    key_size: usize,
    /// devmap_hash indexes buckets by the key (an ifindex) itself.
    identity: bool,
    mask: u32,
    heads: Vec<u32>,
    chain: Vec<u32>,
    hashes: Vec<u32>,
    keys: Vec<u8>,
    /// Slots given back, reused last-in first-out.
    free: Vec<u32>,
    /// Slots from here on have never been used.
    fresh: u32,
    cap: u32,
    len: u32,
    lru: Option<Lru>,
}

impl HashTable {
    /// `lru`: the number of LRU lists, each taking `cap / lists` elements.
    fn new(key_size: u32, cap: u32, identity: bool, lru: Option<u32>) -> Result<HashTable> {
        let n_buckets = cap.checked_next_power_of_two().ok_or_else(|| XdpError::new(Errno::E2BIG, OP_CREATE, "too many entries"))?;
        let n = cap as usize;
        let lru = match lru {
            Some(lists) => {
                let lists = lists.max(1);
                Some(Lru {
                    prev: zeroed_vec(n)?,
                    next: zeroed_vec(n)?,
                    owner: zeroed_vec(n)?,
                    lists: vec![LruList { cap: cap / lists, ..LruList::default() }; lists as usize],
                })
            }
            None => None,
        };
        Ok(HashTable {
            key_size: key_size as usize,
            identity,
            mask: n_buckets - 1,
            heads: zeroed_vec(n_buckets as usize)?,
            chain: zeroed_vec(n)?,
            hashes: zeroed_vec(n)?,
            keys: zeroed_vec(n * key_size as usize)?,
            free: Vec::new(),
            fresh: 0,
            cap,
            len: 0,
            lru,
        })
    }

    fn hash(&self, key: &[u8]) -> u32 {
        if self.identity {
            le32(key)
        } else {
            jhash(key, 0)
        }
    }

    fn key(&self, s: usize) -> &[u8] {
        &self.keys[s * self.key_size..(s + 1) * self.key_size]
    }

    fn bucket(&self, h: u32) -> usize {
        (h & self.mask) as usize
    }

    fn find(&self, key: &[u8]) -> Option<usize> {
        if key.len() != self.key_size {
            return None;
        }
        let h = self.hash(key);
        let mut link = self.heads[self.bucket(h)];
        while link != NIL {
            let s = link as usize - 1;
            if self.hashes[s] == h && self.key(s) == key {
                return Some(s);
            }
            link = self.chain[s];
        }
        None
    }

    fn link_head(&mut self, s: usize) {
        let b = self.bucket(self.hashes[s]);
        self.chain[s] = self.heads[b];
        self.heads[b] = s as u32 + 1;
    }

    fn unlink(&mut self, s: usize) {
        let b = self.bucket(self.hashes[s]);
        let mut prev: Option<usize> = None;
        let mut link = self.heads[b];
        while link != NIL {
            let cur = link as usize - 1;
            if cur == s {
                match prev {
                    None => self.heads[b] = self.chain[s],
                    Some(p) => self.chain[p] = self.chain[s],
                }
                self.chain[s] = NIL;
                return;
            }
            prev = Some(cur);
            link = self.chain[cur];
        }
    }

    /// Moves a replaced element to the front of its bucket, where the kernel links the element
    /// that replaces it.
    fn move_to_front(&mut self, s: usize) {
        self.unlink(s);
        self.link_head(s);
    }

    /// A new element for `key` (known absent), on LRU list `list`; None when no slot is free.
    fn insert(&mut self, key: &[u8], list: u32) -> Option<usize> {
        let s = match self.free.pop() {
            Some(s) => s as usize,
            None if self.fresh < self.cap => {
                self.fresh += 1;
                self.fresh as usize - 1
            }
            None => return None,
        };
        let ks = self.key_size;
        self.keys[s * ks..(s + 1) * ks].copy_from_slice(key);
        self.hashes[s] = self.hash(key);
        self.link_head(s);
        self.len += 1;
        if let Some(lru) = self.lru.as_mut() {
            lru.push_front(s, list);
        }
        Some(s)
    }

    fn remove(&mut self, s: usize) {
        self.unlink(s);
        if let Some(lru) = self.lru.as_mut() {
            lru.unlink(s);
        }
        self.free.push(s as u32);
        self.len -= 1;
    }

    /// `htab_map_get_next_key`: the element after `key` in its bucket, else the first element of
    /// the buckets after it; from the very first bucket when `key` is None or absent.
    fn next(&self, key: Option<&[u8]>) -> Option<usize> {
        let mut b = 0;
        if let Some(s) = key.and_then(|k| self.find(k)) {
            if self.chain[s] != NIL {
                return Some(self.chain[s] as usize - 1);
            }
            b = self.bucket(self.hashes[s]) + 1;
        }
        self.heads.get(b..)?.iter().find(|&&h| h != NIL).map(|&h| h as usize - 1)
    }
}

/// What a prog array, devmap, devmap_hash or cpumap slot holds besides its value bytes.
#[derive(Default)]
struct Slot {
    /// The id user lookups report for the slot's program (prog arrays), or the perf event fd.
    id: u32,
    prog: Option<Rc<Prog>>,
    target: Option<Rc<dyn Any>>,
}

#[derive(Default)]
struct Samples {
    queue: VecDeque<(u32, Vec<u8>)>,
    bytes: usize,
    lost: u64,
}

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
}

pub struct Map {
    name: String,
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

/// libbpf's `adjust_ringbuf_sz`: the smallest power-of-two number of pages holding `sz` bytes.
fn adjust_ringbuf_sz(sz: u32) -> u32 {
    if sz == 0 || (sz.is_multiple_of(PAGE_SIZE) && (sz / PAGE_SIZE).is_power_of_two()) {
        return sz;
    }
    let mut mul: u32 = 1;
    while mul <= u32::MAX / PAGE_SIZE {
        if mul * PAGE_SIZE > sz {
            return mul * PAGE_SIZE;
        }
        mul <<= 1;
    }
    sz
}

/// `array_map_alloc_check` (with `fd_array_map_alloc_check` before it for prog and perf arrays).
fn check_array(def: &MapDef) -> Result<()> {
    let t = def.map_type;
    let f = def.map_flags;
    let e = |msg: String| fail(Errno::EINVAL, OP_CREATE, msg);
    if matches!(t, MapType::ProgArray | MapType::PerfEventArray) {
        if def.value_size != 4 {
            return e(format!("{t} values are 4-byte fds, not {} bytes", def.value_size));
        }
        if f & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != 0 {
            return e(format!("{t} maps take neither BPF_F_RDONLY_PROG nor BPF_F_WRONLY_PROG"));
        }
    }
    if def.max_entries == 0 {
        return e("max_entries is 0".into());
    }
    if def.key_size != 4 {
        return e(format!("{t} keys are 4-byte indexes, not {} bytes", def.key_size));
    }
    if def.value_size == 0 {
        return e("value_size is 0".into());
    }
    if f & !ARRAY_CREATE_FLAG_MASK != 0 {
        return e(format!("flags {:#x} are not {t} flags", f & !ARRAY_CREATE_FLAG_MASK));
    }
    if !access_ok(f) {
        return e("BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together".into());
    }
    if t == MapType::PercpuArray && f & BPF_F_NUMA_NODE != 0 {
        return e("a percpu_array cannot be placed on a NUMA node".into());
    }
    if t != MapType::Array && f & (BPF_F_MMAPABLE | BPF_F_INNER_MAP) != 0 {
        return e(format!("BPF_F_MMAPABLE and BPF_F_INNER_MAP are for array maps, not {t}"));
    }
    if t != MapType::PerfEventArray && f & BPF_F_PRESERVE_ELEMS != 0 {
        return e(format!("BPF_F_PRESERVE_ELEMS is for perf_event_array maps, not {t}"));
    }
    if def.value_size > i32::MAX as u32 {
        return fail(Errno::E2BIG, OP_CREATE, format!("value_size {} is above INT_MAX", def.value_size));
    }
    if t == MapType::PercpuArray && round8(def.value_size) > PCPU_MIN_UNIT_SIZE {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "per-CPU values are at most 32 KiB")
            .len(u64::from(def.value_size))
            .limit(PCPU_MIN_UNIT_SIZE));
    }
    Ok(())
}

/// `htab_map_alloc_check` and the size checks of `htab_map_alloc`; returns the effective
/// max_entries and the number of LRU lists.
fn check_hash(def: &MapDef, nr_cpus: u32) -> Result<(u32, Option<u32>)> {
    let f = def.map_flags;
    let lru = def.map_type == MapType::LruHash;
    let percpu_lru = f & BPF_F_NO_COMMON_LRU != 0;
    let e = |msg: String| fail(Errno::EINVAL, OP_CREATE, msg);
    if f & !HTAB_CREATE_FLAG_MASK != 0 {
        return e(format!("flags {:#x} are not {} flags", f & !HTAB_CREATE_FLAG_MASK, def.map_type));
    }
    if !access_ok(f) {
        return e("BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together".into());
    }
    if !lru && percpu_lru {
        return e("BPF_F_NO_COMMON_LRU is for LRU maps".into());
    }
    if lru && f & BPF_F_NO_PREALLOC != 0 {
        return fail(Errno::ENOTSUPP, OP_CREATE, "LRU maps are always preallocated: BPF_F_NO_PREALLOC is not supported");
    }
    if percpu_lru && f & BPF_F_NUMA_NODE != 0 {
        return e("per-CPU LRU lists cannot be placed on a NUMA node".into());
    }
    if def.max_entries == 0 || def.key_size == 0 || def.value_size == 0 {
        return e(format!(
            "max_entries ({}), key_size ({}) and value_size ({}) must not be 0",
            def.max_entries, def.key_size, def.value_size
        ));
    }
    if u64::from(def.key_size) + u64::from(def.value_size) >= KMALLOC_MAX_SIZE - HTAB_ELEM_HDR {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "key and value together must fit a 4 MiB element")
            .len(u64::from(def.key_size) + u64::from(def.value_size))
            .limit(KMALLOC_MAX_SIZE - HTAB_ELEM_HDR));
    }
    let mut max_entries = def.max_entries;
    if percpu_lru {
        // Every CPU's list gets the same share, at least one element.
        let up = u64::from(max_entries).div_ceil(u64::from(nr_cpus)) * u64::from(nr_cpus);
        max_entries = u32::try_from(up).unwrap_or(max_entries / nr_cpus * nr_cpus);
    }
    if max_entries > 1 << 31 {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "more than 2^31 entries").len(u64::from(max_entries)).limit(1 << 31));
    }
    let n_buckets = u64::from(max_entries.next_power_of_two());
    if n_buckets > u64::from(u32::MAX) / HTAB_BUCKET_SIZE {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "the bucket array would pass 4 GiB").len(u64::from(max_entries)));
    }
    let per_elem = round8(def.value_size) + u64::from(def.key_size) + if lru { 20 } else { 8 };
    charge((n_buckets * 4).saturating_add(u64::from(max_entries).saturating_mul(per_elem)), "the hash table")?;
    let lists = lru.then_some(if percpu_lru { nr_cpus } else { 1 });
    Ok((max_entries, lists))
}

impl Map {
    /// `BPF_MAP_CREATE` with `nr_cpus` possible CPUs: the kernel's checks, in its order, and its
    /// errnos.
    pub fn new(name: &str, def: MapDef, nr_cpus: u32) -> Result<Map> {
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
            MapType::Hash | MapType::LruHash => {
                let (max_entries, lists) = check_hash(&def, nr_cpus)?;
                def.max_entries = max_entries;
                let values = Slab::zeroed(u64::from(max_entries) * stride)?;
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
        };
        check_name(name)?;
        def.map_flags &= !(BPF_F_RDONLY | BPF_F_WRONLY);
        Ok(Map {
            name: name.to_string(),
            def,
            nr_cpus,
            fd_flags,
            stride: stride as usize,
            frozen: Cell::new(false),
            spin_lock: Cell::new(None),
            store,
        })
    }

    /// A map as libbpf creates it from an object's definition: ring buffer sizes rounded up to a
    /// power-of-two number of pages, perf event arrays sized to the CPUs when max_entries is 0,
    /// names cut to 15 characters; global data gets its initial bytes, and `.rodata` is created
    /// with BPF_F_RDONLY_PROG and frozen once filled (libbpf freezes it at load, so whatever the
    /// user changes must already be in `spec.initial`).
    pub fn from_spec(spec: &MapSpec, nr_cpus: u32) -> Result<Map> {
        let map_type = MapType::from_uapi(spec.map_type)?;
        let mut def = MapDef::new(map_type, spec.key_size, spec.value_size, spec.max_entries, spec.map_flags);
        if spec.global == Some(GlobalData::Rodata) {
            def.map_flags |= BPF_F_RDONLY_PROG;
        }
        match map_type {
            MapType::Ringbuf => def.max_entries = adjust_ringbuf_sz(def.max_entries),
            MapType::PerfEventArray if def.max_entries == 0 => def.max_entries = nr_cpus,
            _ => {}
        }
        let mut name = spec.name.as_str();
        while name.len() >= BPF_OBJ_NAME_LEN {
            let mut cut = BPF_OBJ_NAME_LEN - 1;
            while !name.is_char_boundary(cut) {
                cut -= 1;
            }
            name = &name[..cut];
        }
        let map = Map::new(name, def, nr_cpus)?;
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

    /// Elements present: max_entries for arrays, the occupied entries of the other maps.
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Array(_) | Store::PercpuArray(_) => self.def.max_entries as usize,
            Store::Hash { table, .. } | Store::DevHash { table, .. } => table.borrow().len as usize,
            Store::DevArray { slots, .. } | Store::Progs(slots) | Store::Perf { slots, .. } => slots.borrow().len(),
            Store::Ringbuf(_) => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lru_list(&self, cpu: u32) -> u32 {
        if self.def.map_flags & BPF_F_NO_COMMON_LRU != 0 {
            cpu % self.nr_cpus
        } else {
            0
        }
    }

    /// Writes a value, leaving a spin lock's bytes alone as `copy_map_value` does.
    fn put_value(&self, values: &Slab, off: usize, src: &[u8]) {
        match self.spin_lock.get().map(|l| l as usize).filter(|&l| l + 4 <= src.len()) {
            Some(l) => {
                values.write(off, &src[..l]);
                values.write(off + l + 4, &src[l + 4..]);
            }
            None => values.write(off, src),
        }
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
            _ if matches!(self.def.map_type, MapType::Ringbuf | MapType::ProgArray | MapType::PerfEventArray) => None,
            _ => Some(JitLookup::Call),
        }
    }

    /// `bpf_map_lookup_elem` (and `bpf_map_lookup_percpu_elem` with another CPU): the host
    /// address of the value, `cpu`'s copy for per-CPU maps. A program's lookup makes an LRU
    /// element the most recently used. None when absent, and for the map types the verifier
    /// keeps lookups away from (cpumap, prog_array, perf_event_array, ringbuf).
    pub fn lookup(&self, key: &[u8], cpu: u32) -> Option<u64> {
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
                let mut t = table.borrow_mut();
                let s = t.find(key)?;
                if let Some(lru) = t.lru.as_mut() {
                    lru.touch(s);
                }
                Some(values.addr(s * self.stride))
            }
            Store::DevArray { values, slots } if self.def.map_type == MapType::Devmap => {
                let i = le32(key);
                slots.borrow().contains_key(&i).then(|| values.addr(i as usize * 8))
            }
            Store::DevHash { table, values, .. } => table.borrow().find(key).map(|s| values.addr(s * 8)),
            _ => None,
        }
    }

    /// `bpf_map_update_elem` from a program running on `cpu`. EACCES for maps programs may not
    /// write (BPF_F_RDONLY_PROG), EINVAL for map types the verifier keeps this helper away from.
    pub fn update(&self, key: &[u8], value: &[u8], flags: u64, cpu: u32) -> Result<()> {
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
            Store::Hash { table, values } => self.hash_update(table, values, key, value, flags, cpu),
            _ => Err(self.refused(OP_UPDATE)),
        }
    }

    /// `bpf_map_delete_elem` from a program.
    pub fn delete(&self, key: &[u8]) -> Result<()> {
        self.check_key(key, OP_DELETE)?;
        if self.def.map_flags & BPF_F_RDONLY_PROG != 0 {
            return fail(Errno::EACCES, OP_DELETE, format!("write into map {} forbidden: it is read-only for programs", self.name));
        }
        match &self.store {
            Store::Array(_) | Store::PercpuArray(_) => fail(Errno::EINVAL, OP_DELETE, "array elements cannot be deleted"),
            Store::Hash { table, .. } => self.hash_delete(table, key),
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
            Store::Hash { values, .. } => span(values, u64::from(self.def.max_entries), vs, stride),
            Store::DevArray { values, .. } if self.def.map_type == MapType::Devmap => span(values, u64::from(self.def.max_entries), vs, 8),
            Store::DevHash { values, .. } => span(values, u64::from(self.def.max_entries), vs, 8),
            _ => Vec::new(),
        }
    }

    // ---- shared update paths ----

    fn array_update(&self, values: &Slab, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        if flags & !BPF_F_LOCK > BPF_EXIST {
            return fail(Errno::EINVAL, OP_UPDATE, format!("unknown flags {flags:#x}"));
        }
        let i = le32(key);
        if i >= self.def.max_entries {
            return Err(XdpError::new(Errno::E2BIG, OP_UPDATE, format!("index {i} is past the array's {} entries", self.def.max_entries))
                .offset(i64::from(i))
                .limit(u64::from(self.def.max_entries)));
        }
        if flags & BPF_NOEXIST != 0 {
            return fail(Errno::EEXIST, OP_UPDATE, "array elements always exist: BPF_NOEXIST cannot succeed");
        }
        if flags & BPF_F_LOCK != 0 && self.spin_lock.get().is_none() {
            return fail(Errno::EINVAL, OP_UPDATE, "BPF_F_LOCK on a value without a bpf_spin_lock");
        }
        let value = detach(values, value);
        self.put_value(values, i as usize * self.stride, &value);
        Ok(())
    }

    /// The checks every fixed-slot map (array, devmap, cpumap) makes on an update: flags, the
    /// index against max_entries (E2BIG), and BPF_NOEXIST (EEXIST: slots always exist).
    fn slot_update_check(&self, key: &[u8], flags: u64, unit: &str, map: &str, noexist: &'static str) -> Result<u32> {
        if flags > BPF_EXIST {
            return fail(Errno::EINVAL, OP_UPDATE, format!("unknown flags {flags:#x}"));
        }
        let i = le32(key);
        if i >= self.def.max_entries {
            return Err(XdpError::new(Errno::E2BIG, OP_UPDATE, format!("{unit} {i} is past the {map}'s {} entries", self.def.max_entries))
                .offset(i64::from(i))
                .limit(u64::from(self.def.max_entries)));
        }
        if flags == BPF_NOEXIST {
            return fail(Errno::EEXIST, OP_UPDATE, noexist);
        }
        Ok(i)
    }

    fn percpu_check(&self, key: &[u8], flags: u64) -> Result<()> {
        self.slot_update_check(key, flags, "index", "array", "array elements always exist: BPF_NOEXIST cannot succeed")?;
        Ok(())
    }

    fn hash_update(&self, table: &RefCell<HashTable>, values: &Slab, key: &[u8], value: &[u8], flags: u64, cpu: u32) -> Result<()> {
        let lru = self.def.map_type == MapType::LruHash;
        if (lru && flags > BPF_EXIST) || flags & !BPF_F_LOCK > BPF_EXIST {
            return fail(Errno::EINVAL, OP_UPDATE, format!("unknown flags {flags:#x}"));
        }
        let locked = flags & BPF_F_LOCK != 0;
        if locked && self.spin_lock.get().is_none() {
            return fail(Errno::EINVAL, OP_UPDATE, "BPF_F_LOCK on a value without a bpf_spin_lock");
        }
        let value = detach(values, value);
        let mut t = table.borrow_mut();
        let found = t.find(key);
        match (found, flags & !BPF_F_LOCK) {
            (Some(_), BPF_NOEXIST) => return fail(Errno::EEXIST, OP_UPDATE, "the key exists and BPF_NOEXIST was given"),
            (None, BPF_EXIST) => return fail(Errno::ENOENT, OP_UPDATE, "the key does not exist and BPF_EXIST was given"),
            _ => {}
        }
        let s = match found {
            Some(s) => {
                if !locked {
                    t.move_to_front(s);
                }
                if let Some(l) = t.lru.as_mut() {
                    l.touch(s);
                }
                s
            }
            None => {
                let list = self.lru_list(cpu);
                if let Some(l) = t.lru.as_ref() {
                    let ll = l.lists[list as usize];
                    if ll.len >= ll.cap && ll.tail != NIL {
                        t.remove(ll.tail as usize - 1);
                    }
                }
                let Some(s) = t.insert(key, list) else {
                    return Err(XdpError::new(Errno::E2BIG, OP_UPDATE, format!("the map is full ({} entries)", self.def.max_entries))
                        .limit(u64::from(self.def.max_entries)));
                };
                values.zero(s * self.stride, self.stride);
                s
            }
        };
        drop(t);
        self.put_value(values, s * self.stride, &value);
        Ok(())
    }

    fn hash_delete(&self, table: &RefCell<HashTable>, key: &[u8]) -> Result<()> {
        let mut t = table.borrow_mut();
        let s = t.find(key).ok_or_else(|| XdpError::new(Errno::ENOENT, OP_DELETE, "no such key"))?;
        t.remove(s);
        Ok(())
    }

    // ---- user (syscall) side ----

    /// `BPF_MAP_LOOKUP_ELEM`: the value into `out` (resized). Per-CPU maps give every CPU's copy,
    /// each padded to 8 bytes; prog arrays the program's id; devmap, devmap_hash and cpumap their
    /// {ifindex or qsize, prog id} value. ENOENT when absent, ENOTSUPP for perf event arrays and
    /// ring buffers, EPERM on a write-only map. Does not touch LRU order.
    pub fn lookup_user(&self, key: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.readable(OP_LOOKUP)?;
        if let Store::Ringbuf(_) = self.store {
            return fail(Errno::ENOTSUPP, OP_LOOKUP, "ring buffers have no elements to look up");
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
            Store::Hash { table, values } => {
                let s = table.borrow().find(key).ok_or_else(absent)?;
                self.get_value(values, s * self.stride, out);
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
            Store::Ringbuf(_) => return fail(Errno::ENOTSUPP, OP_LOOKUP, "ring buffers have no elements to look up"),
        }
        Ok(())
    }

    /// [`Map::lookup_user`] with `BPF_MAP_LOOKUP_ELEM`'s flags: only BPF_F_LOCK, and only for values
    /// with a spin lock (EINVAL otherwise).
    pub fn lookup_user_flags(&self, key: &[u8], out: &mut Vec<u8>, flags: u64) -> Result<()> {
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
        self.writable(OP_UPDATE)?;
        if let Store::Ringbuf(_) = self.store {
            return fail(Errno::ENOTSUPP, OP_UPDATE, "ring buffers have no elements to update");
        }
        self.check_key(key, OP_UPDATE)?;
        let want = match self.store {
            Store::PercpuArray(_) => self.nr_cpus as usize * self.stride,
            _ => self.def.value_size as usize,
        };
        self.check_len(value, want, OP_UPDATE)?;
        match &self.store {
            Store::Array(values) => self.array_update(values, key, value, flags),
            Store::PercpuArray(values) => {
                self.percpu_check(key, flags)?;
                let value = detach(values, value);
                values.write(le32(key) as usize * want, &value);
                Ok(())
            }
            Store::Hash { table, values } => self.hash_update(table, values, key, value, flags, 0),
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
            Store::DevArray { values, slots } => self.cpumap_update(values, slots, key, value, flags, env),
            Store::DevHash { table, values, slots } => self.devmap_hash_update(table, values, slots, key, value, flags, env),
            Store::Ringbuf(_) => fail(Errno::ENOTSUPP, OP_UPDATE, "ring buffers have no elements to update"),
        }
    }

    /// `bpf_fd_array_map_update_elem`'s checks.
    fn fd_slot_check(&self, key: &[u8], flags: u64) -> Result<u32> {
        if flags != BPF_ANY {
            return fail(Errno::EINVAL, OP_UPDATE, format!("{} updates take BPF_ANY only", self.def.map_type));
        }
        let i = le32(key);
        if i >= self.def.max_entries {
            return Err(XdpError::new(Errno::E2BIG, OP_UPDATE, format!("index {i} is past the {} entries", self.def.max_entries))
                .offset(i64::from(i))
                .limit(u64::from(self.def.max_entries)));
        }
        Ok(i)
    }

    /// The program a devmap or cpumap value names, fd > 0; `devmap` maps every failure to EINVAL
    /// as `__dev_map_alloc_node` does.
    fn entry_prog(&self, value: &[u8], env: &dyn MapEnv, devmap: bool) -> Result<Option<(Rc<Prog>, u32)>> {
        let fd = if value.len() >= 8 { le32(&value[4..8]) as i32 } else { 0 };
        if fd <= 0 {
            return Ok(None);
        }
        env.prog(fd, self).map(Some).map_err(|e| if devmap { XdpError::new(Errno::EINVAL, OP_UPDATE, e.message.clone()) } else { e })
    }

    fn entry_value(ifindex_or_qsize: u32, id: u32) -> [u8; 8] {
        let mut v = [0u8; 8];
        v[..4].copy_from_slice(&ifindex_or_qsize.to_le_bytes());
        v[4..].copy_from_slice(&id.to_le_bytes());
        v
    }

    fn devmap_update(
        &self,
        values: &Slab,
        slots: &RefCell<BTreeMap<u32, Slot>>,
        key: &[u8],
        value: &[u8],
        flags: u64,
        env: &dyn MapEnv,
    ) -> Result<()> {
        let i = self.slot_update_check(key, flags, "index", "devmap", "devmap entries cannot be added with BPF_NOEXIST")?;
        let ifindex = le32(value);
        if ifindex == 0 {
            if value.len() >= 8 && (le32(&value[4..8]) as i32) > 0 {
                return fail(Errno::EINVAL, OP_UPDATE, "a program fd without an ifindex");
            }
            let old = slots.borrow_mut().remove(&i);
            drop(old);
            return Ok(());
        }
        let target = env.device(ifindex).map_err(|e| XdpError::new(Errno::EINVAL, OP_UPDATE, e.message.clone()))?;
        let prog = self.entry_prog(value, env, true)?;
        let id = prog.as_ref().map_or(0, |p| p.1);
        values.write(i as usize * 8, &Self::entry_value(ifindex, id));
        let old = slots.borrow_mut().insert(i, Slot { id, prog: prog.map(|p| p.0), target });
        drop(old);
        Ok(())
    }

    fn cpumap_update(
        &self,
        values: &Slab,
        slots: &RefCell<BTreeMap<u32, Slot>>,
        key: &[u8],
        value: &[u8],
        flags: u64,
        env: &dyn MapEnv,
    ) -> Result<()> {
        let qsize = le32(value);
        let i = self.slot_update_check(key, flags, "CPU", "cpumap", "cpumap entries cannot be added with BPF_NOEXIST")?;
        if qsize > CPUMAP_MAX_QSIZE {
            return Err(XdpError::new(Errno::EOVERFLOW, OP_UPDATE, "queue size above cpumap's limit")
                .len(u64::from(qsize))
                .limit(u64::from(CPUMAP_MAX_QSIZE)));
        }
        if i >= self.nr_cpus {
            return fail(Errno::ENODEV, OP_UPDATE, format!("CPU {i} is not one of the {} possible CPUs", self.nr_cpus));
        }
        if qsize == 0 {
            let old = slots.borrow_mut().remove(&i);
            drop(old);
            return Ok(());
        }
        let prog = self.entry_prog(value, env, false)?;
        let id = prog.as_ref().map_or(0, |p| p.1);
        values.write(i as usize * 8, &Self::entry_value(qsize, id));
        let old = slots.borrow_mut().insert(i, Slot { id, prog: prog.map(|p| p.0), target: None });
        drop(old);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn devmap_hash_update(
        &self,
        table: &RefCell<HashTable>,
        values: &Slab,
        slots: &RefCell<BTreeMap<u32, Slot>>,
        key: &[u8],
        value: &[u8],
        flags: u64,
        env: &dyn MapEnv,
    ) -> Result<()> {
        let ifindex = le32(value);
        if flags > BPF_EXIST || ifindex == 0 {
            return fail(
                Errno::EINVAL,
                OP_UPDATE,
                if ifindex == 0 { "devmap_hash entries need an ifindex".to_string() } else { format!("unknown flags {flags:#x}") },
            );
        }
        let old = table.borrow().find(key);
        if old.is_some() && flags & BPF_NOEXIST != 0 {
            return fail(Errno::EEXIST, OP_UPDATE, "the key exists and BPF_NOEXIST was given");
        }
        let target = env.device(ifindex).map_err(|e| XdpError::new(Errno::EINVAL, OP_UPDATE, e.message.clone()))?;
        let prog = self.entry_prog(value, env, true)?;
        let id = prog.as_ref().map_or(0, |p| p.1);
        let mut t = table.borrow_mut();
        // BPF_EXIST on an absent key inserts: the kernel's devmap_hash does not check for it.
        let s = match old {
            Some(s) => {
                t.move_to_front(s);
                s
            }
            None => t.insert(key, 0).ok_or_else(|| {
                XdpError::new(Errno::E2BIG, OP_UPDATE, format!("the map is full ({} entries)", self.def.max_entries))
                    .limit(u64::from(self.def.max_entries))
            })?,
        };
        drop(t);
        values.write(s * 8, &Self::entry_value(ifindex, id));
        let old = slots.borrow_mut().insert(s as u32, Slot { id, prog: prog.map(|p| p.0), target });
        drop(old);
        Ok(())
    }

    /// `BPF_MAP_DELETE_ELEM`. Arrays: EINVAL; hash maps: ENOENT when absent; prog and perf arrays:
    /// E2BIG past the end, ENOENT when empty; devmap and cpumap: EINVAL past the end, otherwise
    /// success even when empty; ring buffers: ENOTSUPP. EPERM on read-only or frozen maps.
    pub fn delete_user(&self, key: &[u8]) -> Result<()> {
        self.writable(OP_DELETE)?;
        if let Store::Ringbuf(_) = self.store {
            return fail(Errno::ENOTSUPP, OP_DELETE, "ring buffers have no elements to delete");
        }
        self.check_key(key, OP_DELETE)?;
        let i = le32(key);
        let removed = match &self.store {
            Store::Array(_) | Store::PercpuArray(_) => return fail(Errno::EINVAL, OP_DELETE, "array elements cannot be deleted"),
            Store::Hash { table, .. } => return self.hash_delete(table, key),
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
            Store::Ringbuf(_) => return fail(Errno::ENOTSUPP, OP_DELETE, "ring buffers have no elements to delete"),
        };
        drop(removed);
        Ok(())
    }

    /// `BPF_MAP_GET_NEXT_KEY` into `out` (key_size bytes). Array-like maps (arrays, prog and perf
    /// arrays, devmap, cpumap) walk every index: None or an index past the end gives 0, the last
    /// index ENOENT. Hash maps walk their elements in bucket order: None or an absent key gives
    /// the first, the last ENOENT.
    pub fn next_key(&self, key: Option<&[u8]>, out: &mut [u8]) -> Result<()> {
        self.readable(OP_NEXT)?;
        if let Store::Ringbuf(_) = self.store {
            return fail(Errno::ENOTSUPP, OP_NEXT, "ring buffers have no keys");
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

    /// The ring buffer of a ringbuf map; None for other maps, and while the ring is already
    /// borrowed.
    pub fn ringbuf(&self) -> Option<RefMut<'_, RingBuf>> {
        match &self.store {
            Store::Ringbuf(rb) => rb.try_borrow_mut().ok(),
            _ => None,
        }
    }

    /// Sets a prog array slot (None empties it), or the program of a devmap, devmap_hash or
    /// cpumap entry (run on frames redirected there). The id is what user lookups report (and
    /// what a devmap or cpumap value's second word shows).
    pub fn set_prog_with_id(&self, index: u32, prog: Option<Rc<Prog>>, id: u32) -> Result<()> {
        const OP: &str = "set_prog";
        let max = self.def.max_entries;
        let id = if prog.is_some() { id } else { 0 };
        let old = match &self.store {
            Store::Progs(slots) => {
                if index >= max {
                    return Err(XdpError::new(Errno::E2BIG, OP, format!("index {index} is past the {max} slots"))
                        .offset(i64::from(index))
                        .limit(u64::from(max)));
                }
                let mut slots = slots.borrow_mut();
                match prog {
                    Some(prog) => slots.insert(index, Slot { id, prog: Some(prog), target: None }),
                    None => slots.remove(&index),
                }
            }
            Store::DevArray { values, slots } => {
                let mut slots = slots.borrow_mut();
                let slot = slots.get_mut(&index).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("entry {index} is empty")))?;
                slot.id = id;
                values.write(index as usize * 8 + 4, &id.to_le_bytes());
                Some(Slot { prog: std::mem::replace(&mut slot.prog, prog), ..Slot::default() })
            }
            Store::DevHash { table, values, slots } => {
                let s = table
                    .borrow()
                    .find(&index.to_le_bytes())
                    .ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("no entry for key {index}")))?;
                let mut slots = slots.borrow_mut();
                let slot = slots.entry(s as u32).or_default();
                slot.id = id;
                values.write(s * 8 + 4, &id.to_le_bytes());
                Some(Slot { prog: std::mem::replace(&mut slot.prog, prog), ..Slot::default() })
            }
            _ => return fail(Errno::EINVAL, OP, format!("{} maps hold no programs", self.def.map_type)),
        };
        drop(old);
        Ok(())
    }

    /// [`Map::set_prog_with_id`] with id 0.
    pub fn set_prog(&self, index: u32, prog: Option<Rc<Prog>>) -> Result<()> {
        self.set_prog_with_id(index, prog, 0)
    }

    /// The program in a prog array slot (what bpf_tail_call jumps to), or of a devmap, devmap_hash
    /// or cpumap entry.
    pub fn prog(&self, index: u32) -> Option<Rc<Prog>> {
        match &self.store {
            Store::Progs(slots) | Store::DevArray { slots, .. } => slots.borrow().get(&index)?.prog.clone(),
            Store::DevHash { table, slots, .. } => {
                let s = table.borrow().find(&index.to_le_bytes())?;
                slots.borrow().get(&(s as u32))?.prog.clone()
            }
            _ => None,
        }
    }

    /// Binds an embedder object (a device, a CPU's queue) to a devmap, devmap_hash or cpumap
    /// entry; ENOENT when the entry is empty (an update or delete of the entry drops it).
    pub fn set_target(&self, key: u32, target: Option<Rc<dyn Any>>) -> Result<()> {
        const OP: &str = "set_target";
        let old = match &self.store {
            Store::DevArray { slots, .. } => {
                let mut slots = slots.borrow_mut();
                let slot = slots.get_mut(&key).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("entry {key} is empty")))?;
                std::mem::replace(&mut slot.target, target)
            }
            Store::DevHash { table, slots, .. } => {
                let s = table
                    .borrow()
                    .find(&key.to_le_bytes())
                    .ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("no entry for key {key}")))?;
                std::mem::replace(&mut slots.borrow_mut().entry(s as u32).or_default().target, target)
            }
            _ => return fail(Errno::EINVAL, OP, format!("{} maps have no targets", self.def.map_type)),
        };
        drop(old);
        Ok(())
    }

    pub fn target(&self, key: u32) -> Option<Rc<dyn Any>> {
        match &self.store {
            Store::DevArray { slots, .. } => slots.borrow().get(&key)?.target.clone(),
            Store::DevHash { table, slots, .. } => {
                let s = table.borrow().find(&key.to_le_bytes())?;
                slots.borrow().get(&(s as u32))?.target.clone()
            }
            _ => None,
        }
    }

    /// Drops every program and target the map holds, emptying prog arrays and devmap, devmap_hash
    /// and cpumap entries (what the kernel does to a prog array when its last user reference
    /// goes): breaks the Rc cycles a program and a map holding it form.
    pub fn release(&self) {
        let taken = match &self.store {
            Store::Progs(slots) | Store::DevArray { slots, .. } => std::mem::take(&mut *slots.borrow_mut()),
            Store::DevHash { table, slots, .. } => {
                let mut t = table.borrow_mut();
                let taken = std::mem::take(&mut *slots.borrow_mut());
                for &s in taken.keys() {
                    t.remove(s as usize);
                }
                taken
            }
            _ => BTreeMap::new(),
        };
        drop(taken);
    }

    /// A sample from bpf_perf_event_output / bpf_xdp_output for the perf event array slot `index`
    /// (the CPU, with BPF_F_CURRENT_CPU). E2BIG past the array's end; ENOSPC, counting the sample
    /// lost, when [`MAX_PERF_QUEUE_BYTES`] wait undrained. Every slot takes samples, opened by a
    /// user update or not (the kernel gives ENOENT for a slot without a perf event).
    pub fn push_sample(&self, index: u32, bytes: &[u8]) -> Result<()> {
        const OP: &str = "bpf_perf_event_output";
        let Store::Perf { samples, .. } = &self.store else {
            return fail(Errno::EINVAL, OP, format!("{} is not a perf event array", self.name));
        };
        if index >= self.def.max_entries {
            return Err(XdpError::new(Errno::E2BIG, OP, format!("index {index} is past the {} entries", self.def.max_entries))
                .offset(i64::from(index))
                .limit(u64::from(self.def.max_entries)));
        }
        let mut q = samples.borrow_mut();
        if q.bytes + bytes.len() > MAX_PERF_QUEUE_BYTES {
            q.lost += 1;
            return Err(XdpError::new(Errno::ENOSPC, OP, "perf buffer full: drain the samples")
                .len(bytes.len() as u64)
                .limit(MAX_PERF_QUEUE_BYTES as u64));
        }
        q.bytes += bytes.len();
        q.queue.push_back((index, bytes.to_vec()));
        Ok(())
    }

    /// The samples pushed so far, oldest first, with their slot.
    pub fn drain_samples(&self) -> Vec<(u32, Vec<u8>)> {
        match &self.store {
            Store::Perf { samples, .. } => {
                let mut q = samples.borrow_mut();
                q.bytes = 0;
                q.queue.drain(..).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Samples refused for want of room.
    pub fn lost_samples(&self) -> u64 {
        match &self.store {
            Store::Perf { samples, .. } => samples.borrow().lost,
            _ => 0,
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
