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
