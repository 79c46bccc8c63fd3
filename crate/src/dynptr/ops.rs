//! Reading, writing, slicing, copying and filling through a dynptr, per kind, as
//! `kernel/bpf/helpers.c` does it.

use super::{einval, Backing, Dynptr, DynptrKind};
use crate::errno::{Errno, Result, XdpError};

/// What `bpf_dynptr_slice` / `bpf_dynptr_slice_rdwr` returned.
pub enum Slice<'a> {
    /// A pointer into the object itself: writes through it reach the data.
    Direct(&'a mut [u8]),
    /// The caller's buffer, filled with a copy (the range crosses a boundary).
    Copied(&'a mut [u8]),
}

impl<'a> Slice<'a> {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Slice::Direct(b) | Slice::Copied(b) => b,
        }
    }

    pub fn is_direct(&self) -> bool {
        matches!(self, Slice::Direct(_))
    }
}

/// Where a slice's direct bytes are, without holding a borrow: in the memory, at this offset; or
/// in the xdp segment / skb head at this offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceBacking {
    Mem { start: usize },
    XdpSegment { segment: u32, start: u32 },
    SkbLinear { start: u32 },
    SkbMeta { start: u32 },
}

fn unknown_kind(op: &'static str) -> XdpError {
    XdpError::new(Errno::EFAULT, op, "dynptr kind does not match its backing object")
}

fn mem_range(base: u64, mem: &[u8], d: &Dynptr, off: u32, len: usize, op: &'static str) -> Result<std::ops::Range<usize>> {
    let outside = || {
        XdpError::new(Errno::EFAULT, op, "dynptr range is outside its memory region")
            .offset(d.data.wrapping_sub(base) as i64)
            .limit(mem.len() as u64)
    };
    // The dynptr was made over memory the region must hold: never reach past what was given.
    let start = d.data.checked_sub(base).ok_or_else(outside)? + u64::from(d.offset) + u64::from(off);
    let end = start + len as u64;
    if end > mem.len() as u64 {
        return Err(outside());
    }
    Ok(start as usize..end as usize)
}

impl Dynptr {
    fn kind_matches(&self, b: &Backing) -> bool {
        matches!(
            (self.kind(), b),
            (DynptrKind::Local | DynptrKind::Ringbuf, Backing::Mem { .. })
                | (DynptrKind::Xdp, Backing::Xdp(_))
                | (DynptrKind::Skb | DynptrKind::SkbMeta, Backing::Skb(_))
        )
    }

    /// `__bpf_dynptr_read` (helper 201 `bpf_dynptr_read`): `dst.len()` bytes at `offset`.
    pub fn read(&self, b: &mut Backing, offset: u32, dst: &mut [u8], flags: u64) -> Result<()> {
        const OP: &str = "bpf_dynptr_read";
        let len = u32::try_from(dst.len()).unwrap_or(u32::MAX);
        self.check_read(offset, len, flags)?;
        if !self.kind_matches(b) {
            return Err(unknown_kind(OP));
        }
        match b {
            Backing::Mem { base, bytes } => {
                let r = mem_range(*base, bytes, self, offset, dst.len(), OP)?;
                dst.copy_from_slice(&bytes[r]);
                Ok(())
            }
            Backing::Skb(skb) if self.kind() == DynptrKind::SkbMeta => {
                let src = skb.meta_pointer(self.offset.wrapping_add(offset), len).ok_or_else(|| unknown_kind(OP))?;
                dst.copy_from_slice(src);
                Ok(())
            }
            Backing::Skb(skb) => skb.load_bytes(self.offset.wrapping_add(offset), dst),
            Backing::Xdp(xdp) => xdp.load_bytes(self.offset.wrapping_add(offset), dst),
        }
    }

    /// The checks `bpf_dynptr_read` makes before touching the object: EINVAL for a null dynptr or
    /// flags, then E2BIG out of range.
    pub fn check_read(&self, offset: u32, len: u32, flags: u64) -> Result<()> {
        const OP: &str = "bpf_dynptr_read";
        if self.is_null() || flags != 0 {
            return Err(einval(OP, if self.is_null() { "null dynptr" } else { "flags must be 0" }));
        }
        self.check_off_len(offset, len, OP)
    }

    /// `__bpf_dynptr_write` (helper 202 `bpf_dynptr_write`): `src` at `offset`. EINVAL for a null
    /// or read-only dynptr (and for flags on memory and xdp dynptrs); skb flags are
    /// `bpf_skb_store_bytes`'.
    pub fn write(&self, b: &mut Backing, offset: u32, src: &[u8], flags: u64) -> Result<()> {
        const OP: &str = "bpf_dynptr_write";
        if self.is_null() || self.rdonly_bit() {
            return Err(einval(OP, if self.is_null() { "null dynptr" } else { "read-only dynptr" }));
        }
        let len = u32::try_from(src.len()).unwrap_or(u32::MAX);
        self.check_off_len(offset, len, OP)?;
        if !self.kind_matches(b) {
            return Err(unknown_kind(OP));
        }
        match b {
            Backing::Mem { base, bytes } => {
                if flags != 0 {
                    return Err(einval(OP, "flags must be 0"));
                }
                let r = mem_range(*base, bytes, self, offset, src.len(), OP)?;
                bytes[r].copy_from_slice(src);
                Ok(())
            }
            Backing::Skb(skb) if self.kind() == DynptrKind::SkbMeta => skb.meta_store_bytes(self.offset.wrapping_add(offset), src, flags),
            Backing::Skb(skb) => skb.store_bytes(self.offset.wrapping_add(offset), src, flags),
            Backing::Xdp(xdp) => {
                if flags != 0 {
                    return Err(einval(OP, "flags must be 0"));
                }
                xdp.store_bytes(self.offset.wrapping_add(offset), src)
            }
        }
    }

    /// `bpf_dynptr_data` (helper 203): a direct pointer for memory and ring-buffer dynptrs; None
    /// for skb, xdp and skb_meta dynptrs (they use slices), for read-only and null dynptrs, and out
    /// of range.
    pub fn data<'a>(&self, b: &'a mut Backing, offset: u32, len: u32) -> Option<&'a mut [u8]> {
        if self.is_null() || self.check_off_len(offset, len, "bpf_dynptr_data").is_err() || self.rdonly_bit() {
            return None;
        }
        match (self.kind(), b) {
            (DynptrKind::Local | DynptrKind::Ringbuf, Backing::Mem { base, bytes }) => {
                let r = mem_range(*base, bytes, self, offset, len as usize, "bpf_dynptr_data").ok()?;
                Some(&mut bytes[r])
            }
            _ => None,
        }
    }

    /// Where `bpf_dynptr_slice` would find `len` bytes at `offset` directly, if it would.
    pub fn slice_backing(&self, b: &mut Backing, offset: u32, len: u32) -> Option<SliceBacking> {
        if self.is_null() || self.check_off_len(offset, len, "bpf_dynptr_slice").is_err() {
            return None;
        }
        let at = self.offset.wrapping_add(offset);
        match (self.kind(), b) {
            (DynptrKind::Local | DynptrKind::Ringbuf, Backing::Mem { base, bytes }) => {
                let r = mem_range(*base, bytes, self, offset, len as usize, "bpf_dynptr_slice").ok()?;
                Some(SliceBacking::Mem { start: r.start })
            }
            (DynptrKind::Skb, Backing::Skb(skb)) => {
                (u64::from(at) + u64::from(len) <= u64::from(skb.headlen())).then_some(SliceBacking::SkbLinear { start: at })
            }
            (DynptrKind::Xdp, Backing::Xdp(xdp)) => match xdp.pointer(at, len) {
                Ok(Some(v)) => Some(SliceBacking::XdpSegment { segment: v.segment, start: v.offset }),
                _ => None,
            },
            (DynptrKind::SkbMeta, Backing::Skb(skb)) => {
                (u64::from(at) + u64::from(len) <= u64::from(skb.meta_len())).then_some(SliceBacking::SkbMeta { start: at })
            }
            _ => None,
        }
    }

    /// `bpf_dynptr_slice` (kfunc): a direct view of `len` bytes at `offset` when the object allows
    /// it; otherwise, with a `buffer`, a copy into it (skb: `skb_header_pointer`; xdp:
    /// `bpf_xdp_copy_buf`, which, unlike reads, is not held to 0xffff); None without one, for a
    /// null dynptr, or out of range.
    pub fn slice<'a>(&self, b: &'a mut Backing, offset: u32, buffer: Option<&'a mut [u8]>, len: u32) -> Option<Slice<'a>> {
        if self.is_null() || self.check_off_len(offset, len, "bpf_dynptr_slice").is_err() {
            return None;
        }
        let at = self.offset.wrapping_add(offset);
        let direct = self.slice_backing(b, offset, len);
        match (self.kind(), b) {
            (DynptrKind::Local | DynptrKind::Ringbuf, Backing::Mem { bytes, .. }) => {
                let Some(SliceBacking::Mem { start }) = direct else { return None };
                Some(Slice::Direct(&mut bytes[start..start + len as usize]))
            }
            (DynptrKind::Skb, Backing::Skb(skb)) => match direct {
                Some(_) => skb.pointer_if_linear(at, len).map(Slice::Direct),
                None => {
                    let buf = &mut buffer?[..len as usize];
                    skb.copy_bits(at, buf).ok()?;
                    Some(Slice::Copied(buf))
                }
            },
            (DynptrKind::Xdp, Backing::Xdp(xdp)) => match direct {
                Some(SliceBacking::XdpSegment { segment, start }) => {
                    Some(Slice::Direct(xdp.view_mut(crate::frame::DirectView { segment, offset: start, len })))
                }
                _ => {
                    let buf = &mut buffer?[..len as usize];
                    xdp.copy_out(at as usize, buf);
                    Some(Slice::Copied(buf))
                }
            },
            (DynptrKind::SkbMeta, Backing::Skb(skb)) => skb.meta_pointer(at, len).map(Slice::Direct),
            _ => None,
        }
    }

    /// `bpf_dynptr_slice_rdwr` (kfunc): as `slice`, but None for a read-only dynptr. A copy made
    /// into the buffer is not written back: the program must `bpf_dynptr_write` it.
    pub fn slice_rdwr<'a>(&self, b: &'a mut Backing, offset: u32, buffer: Option<&'a mut [u8]>, len: u32) -> Option<Slice<'a>> {
        if self.is_null() || self.rdonly_bit() {
            return None;
        }
        self.slice(b, offset, buffer, len)
    }

    /// `bpf_dynptr_memset` (kfunc, 6.17+): `size` bytes of `val` at `offset`; a direct fill when a
    /// slice can be had, else 256-byte chunks of writes.
    pub fn memset(&self, b: &mut Backing, offset: u32, size: u32, val: u8) -> Result<()> {
        const OP: &str = "bpf_dynptr_memset";
        if let Some(Slice::Direct(s)) = self.slice_rdwr(b, offset, None, size) {
            s.fill(val);
            return Ok(());
        }
        if self.rdonly_bit() {
            return Err(einval(OP, "read-only dynptr"));
        }
        self.check_off_len(offset, size, OP)?;
        let chunk = [val; 256];
        let mut done = 0u32;
        while done < size {
            let n = (size - done).min(256);
            self.write(b, offset + done, &chunk[..n as usize], 0)?;
            done += n;
        }
        Ok(())
    }
}

/// `bpf_dynptr_copy` (kfunc, 6.15+): `size` bytes from `src` at `src_off` to `dst` at `dst_off`.
/// Both direct: one move. One direct: a single write from it or read into it. Neither: E2BIG if
/// either range is out of bounds, else 256-byte chunks read then written, stopping at the first
/// error. `src_b` is None when both dynptrs point into the one object `dst_b`: two direct sides
/// move as `memmove`; in an xdp buffer with one side direct the copy goes segment by segment, as
/// the kernel's does, and a later segment can see what an earlier one wrote.
pub fn copy(
    dst: &Dynptr,
    dst_off: u32,
    src: &Dynptr,
    src_off: u32,
    size: u32,
    dst_b: &mut Backing,
    src_b: Option<&mut Backing>,
) -> Result<()> {
    const OP: &str = "bpf_dynptr_copy";
    match src_b {
        Some(sb) => {
            let db = dst_b;
            let src_direct = src.slice_backing(sb, src_off, size);
            let dst_direct = if dst.is_null() || dst.rdonly_bit() { None } else { dst.slice_backing(db, dst_off, size) };
            match (src_direct, dst_direct) {
                (Some(_), Some(_)) => {
                    let s = src.slice(sb, src_off, None, size).expect("a direct source slice");
                    let d = dst.slice_rdwr(db, dst_off, None, size).expect("a direct destination slice");
                    let (Slice::Direct(s), Slice::Direct(d)) = (s, d) else { unreachable!("both were direct") };
                    d.copy_from_slice(s);
                    Ok(())
                }
                (Some(_), None) => {
                    let s = src.slice(sb, src_off, None, size).expect("a direct source slice");
                    dst.write(db, dst_off, s.bytes(), 0)
                }
                (None, Some(_)) => {
                    let Some(Slice::Direct(d)) = dst.slice_rdwr(db, dst_off, None, size) else { unreachable!("direct") };
                    src.read(sb, src_off, d, 0)
                }
                (None, None) => chunked_copy(
                    (dst, dst_off),
                    (src, src_off),
                    size,
                    |d, o, buf| d.write(db, o, buf, 0),
                    |s, o, buf| s.read(sb, o, buf, 0),
                ),
            }
        }
        None => {
            let b = dst_b;
            let src_direct = src.slice_backing(b, src_off, size);
            let dst_direct = if dst.is_null() || dst.rdonly_bit() { None } else { dst.slice_backing(b, dst_off, size) };
            match (src_direct.is_some(), dst_direct.is_some(), b) {
                (true, false, Backing::Xdp(xdp)) => {
                    // The kernel's single write from the direct source.
                    dst_write_checks(dst, dst_off, size)?;
                    let dst_at = dst.offset.wrapping_add(dst_off);
                    xdp.check_access("bpf_xdp_store_bytes", dst_at, size)?;
                    xdp_copy_by_pieces(xdp, dst_at, src.offset.wrapping_add(src_off), size, dst_at);
                    Ok(())
                }
                (false, true, Backing::Xdp(xdp)) => {
                    // The kernel's single read into the direct destination.
                    if src.is_null() {
                        return Err(einval(OP, "null dynptr"));
                    }
                    src.check_off_len(src_off, size, OP)?;
                    let src_at = src.offset.wrapping_add(src_off);
                    xdp.check_access("bpf_xdp_load_bytes", src_at, size)?;
                    xdp_copy_by_pieces(xdp, dst.offset.wrapping_add(dst_off), src_at, size, src_at);
                    Ok(())
                }
                (true, _, b) | (_, true, b) => {
                    // Both direct: the kernel's memmove. One direct in memory (one piece) or an
                    // skb (whose write pulls the range into a possibly new head first): a move
                    // through a copy of the source.
                    let mut tmp = vec![0u8; size as usize];
                    src.read(b, src_off, &mut tmp, 0)?;
                    dst.write(b, dst_off, &tmp, 0)
                }
                (false, false, b) => {
                    let b = std::cell::RefCell::new(b);
                    chunked_copy(
                        (dst, dst_off),
                        (src, src_off),
                        size,
                        |d, o, buf| d.write(&mut b.borrow_mut(), o, buf, 0),
                        |s, o, buf| s.read(&mut b.borrow_mut(), o, buf, 0),
                    )
                }
            }
        }
    }
}

/// The checks `bpf_dynptr_write` makes before touching an xdp buffer.
fn dst_write_checks(dst: &Dynptr, dst_off: u32, size: u32) -> Result<()> {
    const OP: &str = "bpf_dynptr_copy";
    if dst.is_null() || dst.rdonly_bit() {
        return Err(einval(OP, if dst.is_null() { "null dynptr" } else { "read-only dynptr" }));
    }
    dst.check_off_len(dst_off, size, OP)
}

/// One xdp buffer on both sides, one side direct: the kernel's store from (load into) the direct
/// side walks the other side's segments, each piece copied from the bytes as they are by then,
/// so a later piece sees what an earlier one wrote. `walk_at` is where the walked side starts.
/// Within a piece the kernel's x86-64 `memcpy` copies forward (`rep movsb`), so a destination
/// that overlaps the source from above sees the bytes it already wrote: the differential suite
/// checks this against the running kernel.
fn xdp_copy_by_pieces(xdp: &mut crate::frame::XdpBuff, dst_at: u32, src_at: u32, size: u32, walk_at: u32) {
    let mut tmp = vec![0u8; size as usize];
    let mut done = 0u32;
    while done < size {
        let n = xdp.segment_remaining(walk_at + done).min(size - done);
        let (src, dst) = (src_at + done, dst_at + done);
        // A forward copy is a sequence of steps no longer than the distance the destination
        // runs ahead of the source: each step reads bytes no earlier step of it overwrote.
        let step = if dst > src && dst - src < n { dst - src } else { n };
        let mut k = 0;
        while k < n {
            let m = step.min(n - k);
            let piece = &mut tmp[..m as usize];
            xdp.copy_out((src + k) as usize, piece);
            xdp.copy_in((dst + k) as usize, piece);
            k += m;
        }
        done += n;
    }
}

/// The kernel's fallback when neither side is direct: E2BIG unless both ranges are in bounds, then
/// 256-byte chunks, each read from `src` then written to `dst`.
fn chunked_copy(
    (dst, dst_off): (&Dynptr, u32),
    (src, src_off): (&Dynptr, u32),
    size: u32,
    mut write: impl FnMut(&Dynptr, u32, &[u8]) -> Result<()>,
    mut read: impl FnMut(&Dynptr, u32, &mut [u8]) -> Result<()>,
) -> Result<()> {
    const OP: &str = "bpf_dynptr_copy";
    dst.check_off_len(dst_off, size, OP)?;
    src.check_off_len(src_off, size, OP)?;
    let mut buf = [0u8; 256];
    let mut off = 0u32;
    while off < size {
        let n = (size - off).min(256) as usize;
        read(src, src_off + off, &mut buf[..n])?;
        write(dst, dst_off + off, &buf[..n])?;
        off += n as u32;
    }
    Ok(())
}
