//! The convenience API of the seed's "Dynptr convenience helpers" v2 series (Dec 2022), as its
//! patches and selftests define it. The series proposed helpers 214–221; the helper freeze that
//! followed means they live on as kfuncs named after the seed, beside the kernel's final kfuncs
//! (`bpf_dynptr_adjust`, `bpf_dynptr_size`, `bpf_dynptr_clone`, ...).

use super::{einval, Dynptr};
use crate::errno::{Errno, Result, XdpError};

/// What an iterator callback decided.
pub enum IterStep {
    /// Advance the view by this many bytes (the callback's return value as an `int`; 0 and
    /// negative values end the iteration with that value).
    Advance(i32),
}

impl Dynptr {
    /// The series' `bpf_dynptr_adjust(off_inc, sz_dec)`: only ever moves the start forward and
    /// shrinks. EINVAL for a null dynptr, ERANGE past the size or on offset overflow.
    fn seed_adjust(&mut self, off_inc: u32, sz_dec: u32, op: &'static str) -> Result<()> {
        if self.is_null() {
            return Err(einval(op, "null dynptr"));
        }
        let size = self.len();
        let range =
            || XdpError::new(Errno::ERANGE, op, "past the end of the dynptr").len(u64::from(off_inc.max(sz_dec))).limit(u64::from(size));
        if sz_dec > size {
            return Err(range());
        }
        if off_inc != 0 {
            if off_inc > size {
                return Err(range());
            }
            self.offset = self.offset.checked_add(off_inc).ok_or_else(range)?;
        }
        self.set_len(size - sz_dec);
        Ok(())
    }

    /// `bpf_dynptr_advance(ptr, len)`: offset += len, size -= len.
    pub fn advance(&mut self, len: u32) -> Result<()> {
        self.seed_adjust(len, len, "bpf_dynptr_advance")
    }

    /// `bpf_dynptr_trim(ptr, len)`: size -= len, offset unchanged.
    pub fn trim(&mut self, len: u32) -> Result<()> {
        self.seed_adjust(0, len, "bpf_dynptr_trim")
    }

    /// `bpf_dynptr_get_size`: the size, EINVAL for a null dynptr.
    pub fn get_size(&self) -> Result<u32> {
        if self.is_null() {
            return Err(einval("bpf_dynptr_get_size", "null dynptr"));
        }
        Ok(self.len())
    }

    /// `bpf_dynptr_get_offset`: the offset, EINVAL for a null dynptr.
    pub fn get_offset(&self) -> Result<u32> {
        if self.is_null() {
            return Err(einval("bpf_dynptr_get_offset", "null dynptr"));
        }
        Ok(self.offset)
    }

    /// The series' `bpf_dynptr_clone(ptr, clone, offset)`: the clone, advanced by `offset`. On
    /// error (null source: EINVAL; offset past the size: ERANGE) the clone is null.
    pub fn seed_clone(&self, offset: u32, clone: &mut Dynptr) -> Result<()> {
        if self.is_null() {
            *clone = Dynptr::NULL;
            return Err(einval("bpf_dynptr_clone", "null dynptr"));
        }
        *clone = *self;
        if offset != 0 {
            if let Err(mut e) = clone.seed_adjust(offset, offset, "bpf_dynptr_clone") {
                *clone = Dynptr::NULL;
                e.detail.op = "bpf_dynptr_clone";
                return Err(e);
            }
        }
        Ok(())
    }

    /// `bpf_dynptr_iterator(ptr, callback, ctx, flags)`: calls `callback` on a clone of the dynptr,
    /// advancing the clone by what it returns, until it returns 0 or an error (returned as is) or
    /// asks for more than is left (ERANGE). The dynptr itself is untouched. EINVAL for flags or a
    /// null dynptr.
    ///
    /// The series' loop condition tests the raw size field, kind bits included, so the loop never
    /// ends on its own: a callback handed an empty view must return 0 (or anything positive gets
    /// ERANGE), as the selftests' callbacks do.
    /// The callback reaches the data itself (it is handed only the view), so nothing is borrowed
    /// across it.
    pub fn iterator(&self, flags: u64, mut callback: impl FnMut(&Dynptr) -> IterStep) -> i32 {
        const OP: &str = "bpf_dynptr_iterator";
        if flags != 0 {
            return Errno::EINVAL.retval();
        }
        let mut view = Dynptr::NULL;
        if let Err(e) = self.seed_clone(0, &mut view) {
            return e.retval();
        }
        loop {
            let IterStep::Advance(n) = callback(&view);
            if n <= 0 {
                return n;
            }
            if let Err(e) = view.seed_adjust(n as u32, n as u32, OP) {
                return e.retval();
            }
        }
    }
}
