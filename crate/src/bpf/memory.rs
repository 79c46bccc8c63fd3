//! Typed memory regions. A program's pointers are host addresses, and every load, store, atomic
//! and helper argument is checked against the regions the run was given: its stack, its context,
//! the packet's linear part and the frag pages it was handed slices of, map values, ring records.
//! Anything else faults, whatever the program's bytes.

use crate::errno::{Errno, XdpError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// The call frames' stacks.
    Stack,
    /// The program's context (`struct xdp_md`): loads go through the context conversion. Its
    /// address is reserved ([`CTX_ADDR`](super::context::CTX_ADDR)), with no memory behind it.
    Ctx,
    /// The packet's linear part, from data_meta to data_end.
    Packet,
    /// A direct slice of a frag page handed out by a dynptr.
    Frag,
    /// A map's values (array, hash, global data).
    MapValue,
    /// A reserved ring-buffer record, until it is submitted or discarded.
    RingRecord,
    /// Memory given by the caller (bpf_conformance's `mem`, a test harness's buffer).
    Mem,
    /// A map's kernel `struct bpf_map` image, read through an lddw map pointer (read-only).
    MapStruct,
    /// A `struct bpf_sock` a socket lookup handed out, until bpf_sk_release (read-only).
    Sock,
    /// A `struct nf_conn` a conntrack kfunc handed out, until bpf_ct_release (or insert's failure).
    CtEntry,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub len: u64,
    pub writable: bool,
    pub kind: RegionKind,
    /// Who the region belongs to (a map's index, a ring's sample), so it can be dropped again.
    pub tag: u64,
}

impl Region {
    pub fn new(start: u64, len: u64, writable: bool, kind: RegionKind, tag: u64) -> Region {
        Region { start, len, writable, kind, tag }
    }
    pub fn of_slice(bytes: &mut [u8], writable: bool, kind: RegionKind, tag: u64) -> Region {
        Region::new(bytes.as_mut_ptr() as u64, bytes.len() as u64, writable, kind, tag)
    }
    #[inline(always)]
    fn contains(&self, addr: u64, len: u64) -> bool {
        addr.wrapping_sub(self.start) <= self.len && len <= self.len - addr.wrapping_sub(self.start)
    }
}

#[derive(Debug)]
pub struct Memory {
    regions: Vec<Region>,
    last: usize,
    /// Changes (to a value no Memory has had) whenever the set of regions changes.
    generation: u64,
}

impl Default for Memory {
    fn default() -> Memory {
        Memory { regions: Vec::new(), last: 0, generation: next_generation() }
    }
}

fn next_generation() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Memory {
    pub fn new() -> Memory {
        Memory::default()
    }

    /// An id of the current set of regions: equal ids mean the same regions (cached lookups
    /// made while it held stay valid).
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Marks the regions as changed (what they describe moved without them changing).
    pub fn touch(&mut self) {
        self.generation = next_generation();
    }

    pub fn push(&mut self, r: Region) {
        self.generation = next_generation();
        self.regions.push(r);
    }

    /// Drops the regions `keep` refuses (a submitted ring record, a stale packet range).
    pub fn retain(&mut self, keep: impl FnMut(&Region) -> bool) {
        self.regions.retain(keep);
        self.last = 0;
        self.generation = next_generation();
    }

    /// Replaces the packet's regions (every Packet and Frag region) with `linear` and `frag`.
    /// When the only one is a single Packet region and there is no frag, it is updated in place,
    /// without moving the others or forgetting the last region found.
    pub fn replace_packet(&mut self, linear: Region, frag: Option<Region>) {
        if frag.is_none() {
            let mut at = None;
            let mut others = false;
            for (i, r) in self.regions.iter().enumerate() {
                match r.kind {
                    RegionKind::Packet if at.is_none() => at = Some(i),
                    RegionKind::Packet | RegionKind::Frag => others = true,
                    _ => {}
                }
            }
            if let (Some(i), false) = (at, others) {
                if self.regions[i] != linear {
                    self.regions[i] = linear;
                    self.generation = next_generation();
                }
                return;
            }
        }
        self.retain(|r| !matches!(r.kind, RegionKind::Packet | RegionKind::Frag));
        self.regions.push(linear);
        if let Some(f) = frag {
            self.regions.push(f);
        }
    }

    /// Whether any region is of this kind.
    pub fn has(&self, kind: RegionKind) -> bool {
        self.regions.iter().any(|r| r.kind == kind)
    }

    pub fn clear(&mut self) {
        self.generation = next_generation();
        self.regions.clear();
        self.last = 0;
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// The region the last successful [`Memory::find`] returned, which the next one tries first.
    #[inline]
    pub fn last_found(&self) -> Option<&Region> {
        self.regions.get(self.last)
    }

    /// The region holding all of `[addr, addr + len)`.
    #[inline]
    pub fn find(&mut self, addr: u64, len: u64) -> Option<Region> {
        if let Some(r) = self.regions.get(self.last) {
            if r.contains(addr, len) {
                return Some(*r);
            }
        }
        for (i, r) in self.regions.iter().enumerate() {
            if r.contains(addr, len) {
                self.last = i;
                return Some(*r);
            }
        }
        None
    }

    /// Checks an access and returns the region it falls in.
    #[inline]
    pub fn check(&mut self, addr: u64, len: u64, write: bool) -> Result<Region, XdpError> {
        match self.find(addr, len) {
            Some(r) if write && !r.writable => {
                Err(XdpError::run(Errno::EACCES, format!("write to read-only {:?} memory at {addr:#x}", r.kind)).access(addr, len))
            }
            Some(r) => Ok(r),
            None => Err(XdpError::run(
                Errno::EFAULT,
                format!("{} of {len} bytes at {addr:#x} is outside the program's memory", if write { "write" } else { "read" }),
            )
            .access(addr, len)),
        }
    }

    /// [`Memory::check`] for memory a helper reads or writes itself: the context is refused, as
    /// the verifier refuses a context pointer for a memory argument (no bytes are behind its
    /// address: its loads are converted).
    pub fn check_mem(&mut self, addr: u64, len: u64, write: bool) -> Result<Region, XdpError> {
        let r = self.check(addr, len, write)?;
        if r.kind == RegionKind::Ctx {
            return Err(XdpError::run(Errno::EACCES, format!("{addr:#x} is the program's context, not memory a helper can access"))
                .access(addr, len));
        }
        Ok(r)
    }

    /// The bytes of a checked range, for helpers.
    ///
    /// # Safety
    /// The regions must describe live memory that nothing else borrows for the returned lifetime;
    /// the run that registered them guarantees it while the program executes.
    pub unsafe fn bytes<'a>(&mut self, addr: u64, len: u64) -> Result<&'a [u8], XdpError> {
        self.check_mem(addr, len, false)?;
        Ok(std::slice::from_raw_parts(addr as *const u8, len as usize))
    }

    /// # Safety
    /// As for [`Memory::bytes`].
    pub unsafe fn bytes_mut<'a>(&mut self, addr: u64, len: u64) -> Result<&'a mut [u8], XdpError> {
        self.check_mem(addr, len, true)?;
        Ok(std::slice::from_raw_parts_mut(addr as *mut u8, len as usize))
    }
}

/// Address space kept free on each side of a machine's stack: no other region (the packet's
/// pages, frags, map values, ring records, another machine's stack) starts or ends within this
/// distance of it, so a wild pointer computed from one of them by less than this much (an i16
/// offset, a 32-bit immediate up to 4 MiB) never lands in the stack, however the allocator placed
/// things, and one computed from the stack's frame pointer never lands in them.
pub const STACK_GUARD: usize = 4 << 20;

/// A machine's stack buffer: [`STACK_TOTAL`](super::insn::STACK_TOTAL) zeroed bytes in the middle
/// of a private mapping whose [`STACK_GUARD`] bytes on either side are reserved and inaccessible
/// (address space only: nothing is committed for them). Where that mapping cannot be made, a heap
/// block (the old placement, next to whatever else the allocator holds). A dropped stack's
/// mapping is kept for the thread's next one (a few at most), so that a machine per test_run
/// costs no system calls.
pub struct StackBuf {
    ptr: *mut u8,
    /// The guarded mapping, None for the heap fallback.
    map: Option<Mapping>,
}

const STACK_BYTES: usize = super::insn::STACK_TOTAL as usize;

/// A guarded mapping: [`STACK_GUARD`] inaccessible bytes, the stack's bytes, the guard again.
struct Mapping {
    base: *mut u8,
}

const MAPPING_LEN: usize = STACK_GUARD * 2 + STACK_BYTES;

/// Stack mappings kept for reuse per thread.
const SPARE_MAX: usize = 8;

thread_local! {
    static SPARE: std::cell::RefCell<Vec<Mapping>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Mapping {
    #[cfg(target_os = "linux")]
    fn new() -> Option<Mapping> {
        // SAFETY: a fresh private anonymous mapping, of which only the middle is made accessible;
        // it is this Mapping's alone until Drop unmaps it.
        unsafe {
            let flags = sys::MAP_PRIVATE | sys::MAP_ANONYMOUS | sys::MAP_NORESERVE;
            let base = sys::mmap(std::ptr::null_mut(), MAPPING_LEN, 0, flags, -1, 0);
            if base as isize == -1 || base.is_null() {
                return None;
            }
            if sys::mprotect(base.add(STACK_GUARD), STACK_BYTES, sys::PROT_READ | sys::PROT_WRITE) != 0 {
                sys::munmap(base, MAPPING_LEN);
                return None;
            }
            Some(Mapping { base })
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn new() -> Option<Mapping> {
        None
    }

    fn stack(&self) -> *mut u8 {
        // SAFETY: inside the mapping.
        unsafe { self.base.add(STACK_GUARD) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: our own mapping, unmapped once.
        #[cfg(target_os = "linux")]
        unsafe {
            sys::munmap(self.base, MAPPING_LEN);
        }
    }
}

impl StackBuf {
    pub fn new() -> StackBuf {
        if let Some(map) = SPARE.try_with(|s| s.borrow_mut().pop()).ok().flatten() {
            let ptr = map.stack();
            // SAFETY: the mapping's accessible middle, this StackBuf's alone; a new stack is
            // zeroed, whoever used the mapping before.
            unsafe { std::ptr::write_bytes(ptr, 0, STACK_BYTES) };
            return StackBuf { ptr, map: Some(map) };
        }
        if let Some(map) = Mapping::new() {
            return StackBuf { ptr: map.stack(), map: Some(map) };
        }
        let ptr = Box::into_raw(vec![0u8; STACK_BYTES].into_boxed_slice()) as *mut u8;
        StackBuf { ptr, map: None }
    }

    /// Whether the stack has its guard (false: the heap fallback).
    pub fn guarded(&self) -> bool {
        self.map.is_some()
    }
}

impl Default for StackBuf {
    fn default() -> StackBuf {
        StackBuf::new()
    }
}

impl std::ops::Deref for StackBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: STACK_BYTES live bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr, STACK_BYTES) }
    }
}

impl std::ops::DerefMut for StackBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as for deref, borrowed mutably through self.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, STACK_BYTES) }
    }
}

impl Drop for StackBuf {
    fn drop(&mut self) {
        match self.map.take() {
            // Kept for the thread's next stack, else (cache full, thread ending) unmapped.
            Some(map) => {
                let _ = SPARE.try_with(move |s| {
                    let mut s = s.borrow_mut();
                    if s.len() < SPARE_MAX {
                        s.push(map);
                    }
                });
            }
            // SAFETY: the block Box::into_raw gave in new, freed once.
            None => unsafe {
                drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.ptr, STACK_BYTES)));
            },
        }
    }
}

impl std::fmt::Debug for StackBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StackBuf({:#x}, guarded: {})", self.ptr as u64, self.guarded())
    }
}

#[cfg(target_os = "linux")]
mod sys {
    extern "C" {
        pub fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
        pub fn mprotect(addr: *mut u8, len: usize, prot: i32) -> i32;
        pub fn munmap(addr: *mut u8, len: usize) -> i32;
    }
    pub const PROT_READ: i32 = 1;
    pub const PROT_WRITE: i32 = 2;
    pub const MAP_PRIVATE: i32 = 2;
    pub const MAP_ANONYMOUS: i32 = 0x20;
    pub const MAP_NORESERVE: i32 = 0x4000;
}
