//! Value memory: zeroed slabs that never move, and zero-initialised vectors allocated lazily.

use std::alloc::{self, Layout};
use std::ptr::{self, NonNull};

use super::OP_CREATE;
use crate::errno::{Errno, Result, XdpError};

/// Zero-initialised memory that stays where it is until the map is dropped. Programs write it
/// through raw addresses, so it is never borrowed as a Rust slice beyond a single copy.
pub(super) struct Slab {
    pub(super) ptr: NonNull<u8>,
    pub(super) len: usize,
}

impl Slab {
    pub(super) fn zeroed(len: u64) -> Result<Slab> {
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

    pub(super) fn addr(&self, off: usize) -> u64 {
        self.ptr.as_ptr() as u64 + off as u64
    }

    pub(super) fn fits(&self, off: usize, n: usize) -> bool {
        off.checked_add(n).is_some_and(|end| end <= self.len)
    }

    pub(super) fn overlaps(&self, bytes: &[u8]) -> bool {
        let (a, b) = (bytes.as_ptr() as usize, bytes.as_ptr() as usize + bytes.len());
        let (s, e) = (self.ptr.as_ptr() as usize, self.ptr.as_ptr() as usize + self.len);
        a < e && s < b
    }

    pub(super) fn write(&self, off: usize, src: &[u8]) {
        debug_assert!(self.fits(off, src.len()));
        if self.fits(off, src.len()) {
            // SAFETY: in bounds; `copy` tolerates overlap, and callers detach sources that alias
            // the slab before writing.
            unsafe { ptr::copy(src.as_ptr(), self.ptr.as_ptr().add(off), src.len()) }
        }
    }

    pub(super) fn read(&self, off: usize, dst: &mut [u8]) {
        debug_assert!(self.fits(off, dst.len()));
        if self.fits(off, dst.len()) {
            // SAFETY: in bounds of the slab; `dst` is exclusively borrowed by the caller.
            unsafe { ptr::copy(self.ptr.as_ptr().add(off), dst.as_mut_ptr(), dst.len()) }
        }
    }

    pub(super) fn zero(&self, off: usize, n: usize) {
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
pub(super) unsafe trait ZeroValid: Copy {}
// SAFETY: plain integers.
unsafe impl ZeroValid for u8 {}
// SAFETY: plain integers.
unsafe impl ZeroValid for u32 {}

/// A vector of `n` zeros, allocated without touching the pages (the kernel's preallocated maps
/// cost nothing until used; neither should a large emulated one) and without aborting when the
/// allocation fails.
pub(super) fn zeroed_vec<T: ZeroValid>(n: usize) -> Result<Vec<T>> {
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
