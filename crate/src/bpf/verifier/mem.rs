//! Memory access by pointer type: the stack (per-byte slot kinds, spills and fills), map keys
//! and values, memory of known size, the packet (within the range a comparison with `data_end`
//! proved) and the context (whose rules live in [`super::ctx`]); and the same checks when a helper
//! reads or writes through a pointer argument.
//!
//! Stack bytes are indexed as the kernel indexes them: the byte at fp+off (off < 0) is slot
//! `(-off-1)/8`, index `(-off-1)%8`, so index 7 is the slot's lowest address.

use super::alu::MAX_VAR_OFF;
use super::explore::Verifier;
use super::state::*;
use super::{refuse, VResult};
use crate::bpf::isa::Size;
use crate::errno::Errno;

use crate::bpf::elf::BPF_F_RDONLY_PROG;
const BPF_F_WRONLY_PROG: u32 = 1 << 8;
const MAX_PACKET_OFF: u64 = 0xffff;

/// Who touches memory: an instruction, or a helper through an argument.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Direct,
    Helper,
}

fn size_of(bytes: i32) -> Size {
    match bytes {
        1 => Size::B,
        2 => Size::H,
        4 => Size::W,
        _ => Size::DW,
    }
}

impl Verifier<'_> {
    /// The frame a stack pointer points into.
    pub(super) fn frame_of(&self, reg: &Reg) -> usize {
        reg.frameno as usize
    }

    /// A load or store through `regno`: `value` is the destination of a load or the source of a
    /// store (None for a store of an immediate, `self.store_imm`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_mem(
        &mut self,
        _pc: usize,
        regno: u8,
        off: i32,
        size: Size,
        write: bool,
        value: Option<u8>,
        sx: bool,
    ) -> VResult<()> {
        let reg = *self.cur.reg(regno);
        let sz = size.bytes() as i32;
        self.check_alignment(&reg, off, sz)?;
        let off = off + reg.off;
        let leaks = |v: &Self, what: &str| -> VResult<()> {
            if let Some(vr) = value {
                if write && v.is_pointer_value(vr) {
                    return refuse(Errno::EACCES, format!("R{vr} leaks addr into {what}"));
                }
            }
            Ok(())
        };
        let mut loaded: Option<Reg> = None;
        match reg.ty {
            PTR_TO_MAP_KEY => {
                if write {
                    return refuse(Errno::EACCES, format!("write to change key R{regno} not allowed"));
                }
                let ks = self.input.maps[reg.map as usize].key_size;
                self.check_region(regno, &reg, off, sz, ks, false)?;
                loaded = Some(Reg::unknown());
            }
            PTR_TO_MAP_VALUE => {
                leaks(self, "map")?;
                self.check_map_access_type(&reg, off, sz, write)?;
                let vs = self.input.maps[reg.map as usize].value_size;
                self.check_region(regno, &reg, off, sz, vs, false)?;
                self.check_map_fields(&reg, off, sz, true)?;
                if let Some(f) = self.map_kptr_field(&reg, off) {
                    loaded = self.check_map_kptr_access(f, write, value)?;
                } else if !write {
                    let m = &self.input.maps[reg.map as usize];
                    let known = match (reg.var.is_const(), &m.rdonly_value) {
                        (Some(v), Some(bytes)) => {
                            let at = (off as i64 + v as i64) as usize;
                            bytes.get(at..at + sz as usize).map(|b| {
                                let mut raw = [0u8; 8];
                                raw[..b.len()].copy_from_slice(b);
                                crate::bpf::isa::sem::extend(size_of(sz), sx, u64::from_le_bytes(raw))
                            })
                        }
                        _ => None,
                    };
                    loaded = Some(known.map_or_else(Reg::unknown, Reg::known));
                }
            }
            t if base(t) == PTR_TO_MEM => {
                if t & PTR_MAYBE_NULL != 0 {
                    return refuse(Errno::EACCES, format!("R{regno} invalid mem access '{}'", type_name(t)));
                }
                let rdonly = t & MEM_RDONLY != 0;
                if write && rdonly {
                    return refuse(Errno::EACCES, format!("R{regno} cannot write into {}", type_name(t)));
                }
                leaks(self, "mem")?;
                // Untrusted memory (a pointer read out of an object) is read by probing: any
                // offset, the value unknown.
                if t & PTR_UNTRUSTED == 0 {
                    self.check_region(regno, &reg, off, sz, reg.mem_size, false)?;
                }
                if !write || rdonly {
                    loaded = Some(Reg::unknown());
                }
            }
            PTR_TO_CTX => {
                leaks(self, "ctx")?;
                self.check_ptr_off_reg(&reg, regno, false)?;
                let ty = self.check_ctx_access(off, sz, write, sx)?;
                if !write {
                    loaded = Some(match ty {
                        SCALAR => Reg::unknown(),
                        t => {
                            let mut r = Reg::ptr(t);
                            if t & PTR_MAYBE_NULL != 0 {
                                r.id = self.new_id();
                            }
                            r
                        }
                    });
                }
            }
            PTR_TO_STACK => {
                self.check_stack_bounds(regno, &reg, off, sz, Access::Direct, write)?;
                if write {
                    self.check_stack_write(regno, &reg, off, sz, value)?;
                } else {
                    loaded = Some(self.check_stack_read(regno, &reg, off, sz)?);
                }
            }
            PTR_TO_PACKET | PTR_TO_PACKET_META => {
                if write && !self.may_write_pkt() {
                    return refuse(Errno::EACCES, "cannot write into packet");
                }
                leaks(self, "packet")?;
                self.check_packet_access(regno, &reg, off, sz, false)?;
                if !write {
                    loaded = Some(Reg::unknown());
                }
            }
            t if matches!(base(t), PTR_TO_SOCKET | PTR_TO_SOCK_COMMON | PTR_TO_TCP_SOCK | PTR_TO_XDP_SOCK) && t & PTR_MAYBE_NULL == 0 => {
                if write {
                    return refuse(Errno::EACCES, format!("R{regno} cannot write into {}", type_name(t)));
                }
                self.check_sock_access(regno, &reg, off, sz)?;
                loaded = Some(Reg::unknown());
            }
            CONST_PTR_TO_MAP => {
                // Reads of `struct bpf_map` fields through the map's own type (BTF-described).
                let mt = self.input.maps[reg.map as usize].map_type;
                let tname = map_struct_name(mt);
                if !self.allow_ptr_leaks {
                    return refuse(Errno::EPERM, format!("'struct {tname}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN"));
                }
                if off < 0 {
                    return refuse(Errno::EACCES, format!("R{regno} is {tname} invalid negative access: off={off}"));
                }
                if write {
                    return refuse(Errno::EACCES, format!("only read from {tname} is supported"));
                }
                loaded = Some(Reg::unknown());
            }
            t if base(t) == PTR_TO_BTF_ID && t & MEM_ALLOC != 0 => {
                let r = self.check_alloc_access(regno, &reg, off, sz, write)?;
                if !write {
                    loaded = Some(r);
                }
            }
            t if base(t) == PTR_TO_BTF_ID && t & PTR_MAYBE_NULL == 0 && reg.btf_struct.is_some_and(super::kstruct::modelled) => {
                let name = reg.btf_struct.unwrap_or_default();
                loaded = Some(self.check_kernel_struct_access(regno, &reg, name, off, sz, write)?);
            }
            t if base(t) == PTR_TO_BTF_ID && t & PTR_MAYBE_NULL == 0 && reg.btf_id != 0 => {
                loaded = Some(self.check_local_btf_access(regno, &reg, off, sz, write)?);
            }
            t if base(t) == PTR_TO_BTF_ID && t & PTR_MAYBE_NULL == 0 => {
                if write {
                    return refuse(Errno::EACCES, "only read is supported");
                }
                loaded = Some(Reg::unknown());
            }
            t => return refuse(Errno::EACCES, format!("R{regno} invalid mem access '{}'", type_name(t))),
        }
        if let (Some(mut r), Some(dst), false) = (loaded, value, write) {
            if r.is_scalar() && sz < 8 && (r.var.is_const().is_none() || base(reg.ty) != PTR_TO_MAP_VALUE) {
                // A narrow fill of a value that fits stays linked to the register spilled.
                if sx || Self::reg_width(&r) > sz as u32 * 8 {
                    r.id = 0;
                    r.off = 0;
                }
                r.var.truncate(size_of(sz), sx);
            }
            *self.cur.reg_mut(dst) = r;
        }
        Ok(())
    }

    /// Whether this program type may write packet data directly (reads are allowed to all that
    /// can get a packet pointer).
    pub(super) fn may_write_pkt(&self) -> bool {
        use crate::bpf::elf::ProgKind::*;
        matches!(self.prog_type(), SchedCls | SchedAct | Xdp)
    }

    pub(super) fn check_alignment(&self, reg: &Reg, off: i32, size: i32) -> VResult<()> {
        let (desc, strict) = match reg.ty {
            // Packet accesses are checked for alignment only under BPF_F_STRICT_ALIGNMENT.
            PTR_TO_PACKET | PTR_TO_PACKET_META => return Ok(()),
            PTR_TO_STACK => ("stack ", true),
            _ => ("", false),
        };
        if !strict || size == 1 {
            return Ok(());
        }
        let t = reg.var.var_off.add(super::scalar::Tnum::constant((reg.off as i64 + off as i64) as u64));
        if !t.is_aligned(size as u64) {
            return refuse(
                Errno::EACCES,
                format!("misaligned {desc}access off {}+{}+{} size {size}", reg.var.var_off.strn(), reg.off, off),
            );
        }
        Ok(())
    }

    /// The alignment check with strict alignment forced (atomics), in the kernel's words per type.
    pub(super) fn check_strict_alignment(&self, reg: &Reg, off: i32, size: i32) -> VResult<()> {
        if size == 1 {
            return Ok(());
        }
        let (desc, ip_align) = match reg.ty {
            PTR_TO_PACKET | PTR_TO_PACKET_META => ("packet ", 2),
            PTR_TO_MAP_VALUE => ("value ", 0),
            PTR_TO_MAP_KEY => ("key ", 0),
            PTR_TO_CTX => ("context ", 0),
            PTR_TO_STACK => ("stack ", 0),
            PTR_TO_SOCKET => ("sock ", 0),
            PTR_TO_SOCK_COMMON => ("sock_common ", 0),
            PTR_TO_TCP_SOCK => ("tcp_sock ", 0),
            PTR_TO_XDP_SOCK => ("xdp_sock ", 0),
            _ => ("", 0),
        };
        let t = reg.var.var_off.add(super::scalar::Tnum::constant((ip_align + reg.off as i64 + off as i64) as u64));
        if !t.is_aligned(size as u64) {
            if ip_align != 0 {
                return refuse(
                    Errno::EACCES,
                    format!("misaligned packet access off {ip_align}+{}+{}+{} size {size}", reg.var.var_off.strn(), reg.off, off),
                );
            }
            return refuse(
                Errno::EACCES,
                format!("misaligned {desc}access off {}+{}+{} size {size}", reg.var.var_off.strn(), reg.off, off),
            );
        }
        Ok(())
    }

    /// `check_ptr_off_reg`: a pointer passed on or dereferenced only as it came.
    pub(super) fn check_ptr_off_reg(&self, reg: &Reg, regno: u8, fixed_off_ok: bool) -> VResult<()> {
        if reg.off < 0 {
            return refuse(Errno::EACCES, format!("negative offset {} ptr R{regno} off={} disallowed", type_name(reg.ty), reg.off));
        }
        if !fixed_off_ok && reg.off != 0 {
            return refuse(Errno::EACCES, format!("dereference of modified {} ptr R{regno} off={} disallowed", type_name(reg.ty), reg.off));
        }
        if reg.var.is_const() != Some(0) {
            return refuse(Errno::EACCES, format!("variable {} access var_off={} disallowed", type_name(reg.ty), reg.var.var_off.strn()));
        }
        Ok(())
    }

    /// After the bounds: no load, store or helper access may touch a map value's special field,
    /// but for direct 8-byte accesses exactly at a kptr (the tail of `check_map_access`).
    pub(super) fn check_map_fields(&self, reg: &Reg, off: i32, size: i32, direct: bool) -> VResult<()> {
        let m = &self.input.maps[reg.map as usize];
        for f in &m.fields {
            let lo = reg.var.smin as i128 + off as i128;
            let hi = reg.var.umax as i128 + off as i128 + size as i128;
            let (p, end) = (f.off as i128, f.off as i128 + f.size as i128);
            if !(lo < end && p < hi) {
                continue;
            }
            if !f.kind.is_kptr() {
                return refuse(Errno::EACCES, format!("{} cannot be accessed directly by load/store", f.kind.name()));
            }
            if !direct {
                return refuse(Errno::EACCES, "kptr cannot be accessed indirectly by helper");
            }
            let Some(v) = reg.var.is_const() else {
                return refuse(Errno::EACCES, "kptr access cannot have variable offset");
            };
            let at = off as i64 + v as i64;
            if p as i64 != at {
                return refuse(Errno::EACCES, format!("kptr access misaligned expected={} off={}", f.off, at as u64));
            }
            if size != 8 {
                return refuse(Errno::EACCES, "kptr access size must be BPF_DW");
            }
        }
        Ok(())
    }

    fn check_map_access_type(&self, reg: &Reg, off: i32, size: i32, write: bool) -> VResult<()> {
        let m = &self.input.maps[reg.map as usize];
        let flags = m.map_flags | if m.rdonly_value.is_some() { BPF_F_RDONLY_PROG } else { 0 };
        if write && flags & BPF_F_RDONLY_PROG != 0 {
            return refuse(Errno::EACCES, format!("write into map forbidden, value_size={} off={off} size={size}", m.value_size));
        }
        if !write && flags & BPF_F_WRONLY_PROG != 0 {
            return refuse(Errno::EACCES, format!("read from map forbidden, value_size={} off={off} size={size}", m.value_size));
        }
        Ok(())
    }

    /// `__check_mem_access`'s message for the register's kind.
    fn mem_access_error(&self, regno: u8, reg: &Reg, off: i64, size: i32, mem_size: u32) -> String {
        match reg.ty {
            PTR_TO_MAP_KEY => format!("invalid access to map key, key_size={mem_size} off={off} size={size}"),
            PTR_TO_MAP_VALUE => format!("invalid access to map value, value_size={mem_size} off={off} size={size}"),
            PTR_TO_PACKET | PTR_TO_PACKET_META | PTR_TO_PACKET_END => {
                format!("invalid access to packet, off={off} size={size}, R{regno}(id={},off={off},r={mem_size})", reg.id)
            }
            _ => format!("invalid access to memory, mem_size={mem_size} off={off} size={size}"),
        }
    }

    fn mem_ok(off: i64, size: i32, mem_size: u32, zero_ok: bool) -> bool {
        let size_ok = size > 0 || (size == 0 && zero_ok);
        off >= 0 && size_ok && off as u64 + size as u64 <= mem_size as u64
    }

    /// `check_mem_region_access`: every offset the variable part allows stays inside.
    pub(super) fn check_region(&mut self, regno: u8, reg: &Reg, off: i32, size: i32, mem_size: u32, zero_ok: bool) -> VResult<()> {
        let smin = reg.var.smin;
        let off64 = off as i64;
        if smin < 0 && (smin == i64::MIN || (off64 + smin) != (off64.wrapping_add(smin) as i32 as i64) || smin + off64 < 0) {
            return refuse(
                Errno::EACCES,
                format!("R{regno} min value is negative, either use unsigned index or do a if (index >=0) check."),
            );
        }
        if !Self::mem_ok(smin + off64, size, mem_size, zero_ok) {
            let line = self.mem_access_error(regno, reg, smin + off64, size, mem_size);
            self.log.line(&line);
            return refuse(Errno::EACCES, format!("R{regno} min value is outside of the allowed memory range"));
        }
        if reg.var.umax >= MAX_VAR_OFF as u64 {
            return refuse(Errno::EACCES, format!("R{regno} unbounded memory access, make sure to bounds check any such access"));
        }
        let max = reg.var.umax as i64 + off64;
        if !Self::mem_ok(max, size, mem_size, zero_ok) {
            let line = self.mem_access_error(regno, reg, max, size, mem_size);
            self.log.line(&line);
            return refuse(Errno::EACCES, format!("R{regno} max value is outside of the allowed memory range"));
        }
        Ok(())
    }

    pub(super) fn check_packet_access(&mut self, regno: u8, reg: &Reg, off: i32, size: i32, zero_ok: bool) -> VResult<()> {
        if reg.var.smin < 0 {
            return refuse(
                Errno::EACCES,
                format!("R{regno} min value is negative, either use unsigned index or do a if (index >=0) check."),
            );
        }
        let bad = reg.range < 0 || !Self::mem_ok(off as i64, size, reg.range.max(0) as u32, zero_ok);
        if bad {
            let errno = if reg.range < 0 { Errno::EINVAL } else { Errno::EACCES };
            if reg.range >= 0 {
                let line = self.mem_access_error(regno, reg, off as i64, size, reg.range as u32);
                self.log.line(&line);
            }
            return refuse(errno, format!("R{regno} offset is outside of the packet"));
        }
        Ok(())
    }

    fn check_sock_access(&self, regno: u8, reg: &Reg, off: i32, size: i32) -> VResult<()> {
        if reg.var.smin < 0 {
            return refuse(
                Errno::EACCES,
                format!("R{regno} min value is negative, either use unsigned index or do a if (index >=0) check."),
            );
        }
        let ok = off >= 0
            && off % size == 0
            && match base(reg.ty) {
                PTR_TO_SOCK_COMMON => !(sock::TYPE..sock::PRIORITY + 4).contains(&off) && sock::valid(off, size),
                PTR_TO_SOCKET => sock::valid(off, size),
                // struct bpf_tcp_sock: u32 fields, bytes_received and bytes_acked u64, up to
                // icsk_retransmits.
                PTR_TO_TCP_SOCK => off < 112 && if off == 80 || off == 88 { size == 8 } else { size == 4 },
                // struct bpf_xdp_sock: queue_id only.
                PTR_TO_XDP_SOCK => off < 4 && size == 4,
                _ => false,
            };
        if !ok {
            return refuse(Errno::EACCES, format!("R{regno} invalid {} access off={off} size={size}", type_name(reg.ty)));
        }
        Ok(())
    }

    // ---- the stack

    /// `check_stack_access_within_bounds`, growing the frame's stack.
    pub(super) fn check_stack_bounds(&mut self, regno: u8, reg: &Reg, off: i32, size: i32, src: Access, write: bool) -> VResult<()> {
        let _ = src;
        let extra = if write { " write to" } else { " read from" };
        let (min_off, max_off) = match reg.var.is_const() {
            Some(v) => {
                let min = v as i64 + off as i64;
                (min, min + size as i64)
            }
            None => {
                if reg.var.smax >= MAX_VAR_OFF || reg.var.smin <= -MAX_VAR_OFF {
                    return refuse(Errno::EACCES, format!("invalid unbounded variable-offset{extra} stack R{regno}"));
                }
                (reg.var.smin + off as i64, reg.var.smax + off as i64 + size as i64)
            }
        };
        let fr = self.frame_of(reg);
        let allocated = self.cur.frames[fr].allocated() as i64;
        let min_valid = if write || self.allow_uninit_stack { -(MAX_BPF_STACK as i64) } else { -allocated };
        let mut errno = None;
        if min_off < min_valid || min_off > -1 {
            errno = Some(Errno::EACCES);
        } else if max_off > 0 {
            errno = Some(Errno::EINVAL);
        } else if size < 0 {
            errno = Some(Errno::EFAULT);
        }
        if let Some(e) = errno {
            return match reg.var.is_const() {
                Some(_) => refuse(e, format!("invalid{extra} stack R{regno} off={off} size={size}")),
                None => refuse(
                    e,
                    format!("invalid variable-offset{extra} stack R{regno} var_off={} off={off} size={size}", reg.var.var_off.strn()),
                ),
            };
        }
        self.cur.frames[fr].grow(-min_off as i32);
        let sub = self.cur.frames[fr].subprog as usize;
        if let Some(d) = self.stack_depth.get_mut(sub) {
            *d = (*d).max(((-min_off as u32) + 7) & !7);
        }
        Ok(())
    }

    fn check_stack_write(&mut self, _regno: u8, reg: &Reg, off: i32, size: i32, value: Option<u8>) -> VResult<()> {
        let fr = self.frame_of(reg);
        let val = value.map(|v| *self.cur.reg(v));
        let imm = if value.is_none() { self.store_imm } else { None };
        match reg.var.is_const() {
            Some(v) => {
                let off = off + v as i32;
                let slot = (-off - 1) as usize;
                let spi = slot / 8;
                self.log.scratch_slot(spi);
                // Only a whole aligned slot counts as written: a narrower write may leave
                // bytes a later read needs.
                if off % 8 == 0 && size == 8 {
                    self.live_stack_write(fr, spi);
                }
                let cur_frame = self.cur.curframe();
                {
                    let st = &self.cur.frames[fr].stack[spi];
                    if !self.allow_ptr_leaks && st.is_spill() && st.spilled.ty != SCALAR && size != 8 {
                        return refuse(Errno::EACCES, "attempt to corrupt spilled pointer on stack");
                    }
                }
                self.destroy_if_dynptr_slot(fr, spi)?;
                let spill_scalar = matches!(val, Some(r) if r.is_scalar()) && off % 8 == 0 && self.bpf_capable;
                let spill_imm = val.is_none() && imm.is_some() && off % 8 == 0 && self.bpf_capable;
                if spill_scalar || spill_imm {
                    let mut r = match val {
                        Some(r) => r,
                        None => Reg::known(imm.unwrap_or(0) as i64 as u64),
                    };
                    let fits = Self::reg_width(&r) <= size as u32 * 8;
                    // The spill and the register stay linked (a bound learnt on one holds for
                    // the other).
                    if let (Some(vr), true) = (value, fits) {
                        r = self.assign_scalar_id_before_mov(vr);
                    }
                    if !fits {
                        r.id = 0;
                        r.off = 0;
                    }
                    self.save_spill(fr, spi, r, size);
                    self.push_hist(super::precision::stack_access_flags(fr, spi), Default::default());
                    return Ok(());
                }
                if let Some(r) = val.filter(|r| r.is_pointer()) {
                    if size != 8 {
                        return refuse(Errno::EACCES, "invalid size of register spill");
                    }
                    if fr != cur_frame && r.ty == PTR_TO_STACK {
                        return refuse(Errno::EINVAL, "cannot spill pointers to stack into stack frame of the caller");
                    }
                    self.save_spill(fr, spi, r, 8);
                    self.push_hist(super::precision::stack_access_flags(fr, spi), Default::default());
                    return Ok(());
                }
                let zero = matches!(val, Some(r) if r.is_null()) || (val.is_none() && imm == Some(0));
                // The slot says zero only because the register was: it must stay so.
                if let (true, Some(vr)) = (zero, value) {
                    self.mark_chain_precision(vr)?;
                }
                let kind = if zero { SlotByte::Zero } else { SlotByte::Misc };
                let st = &mut self.cur.frames[fr].stack[spi];
                Self::scrub_special(st);
                for i in 0..size as usize {
                    st.bytes[(slot - i) % 8] = kind;
                }
                if !st.is_spill() && st.spilled.ty != NOT_INIT {
                    st.spilled = Reg::NOT_INIT;
                }
                Ok(())
            }
            None => {
                let min_off = reg.var.smin + off as i64;
                let max_off = reg.var.smax + off as i64 + size as i64;
                self.log.scratch_stack(min_off, max_off);
                let zero = matches!(val, Some(r) if r.is_null()) || (val.is_none() && imm == Some(0));
                for i in min_off..max_off {
                    self.destroy_if_dynptr_slot(fr, ((-i - 1) / 8) as usize)?;
                }
                let (leaks, uninit_ok, pc) = (self.allow_ptr_leaks, self.allow_uninit_stack, self.pc);
                let mut zero_used = false;
                for i in min_off..max_off {
                    let slot = (-i - 1) as usize;
                    let st = &mut self.cur.frames[fr].stack[slot / 8];
                    let b = st.bytes[slot % 8];
                    if !leaks && b != SlotByte::Misc && b != SlotByte::Zero {
                        return refuse(Errno::EINVAL, format!("spilled ptr in range of var-offset stack write; insn {pc}, ptr off: {i}"));
                    }
                    // Zero written over a spilled constant zero leaves the spill as it is.
                    if zero && b == SlotByte::Spill && st.spilled.is_scalar() && st.spilled.var.is_const() == Some(0) {
                        continue;
                    }
                    Self::scrub_special(st);
                    st.spilled = Reg::NOT_INIT;
                    let new = if zero && st.bytes[slot % 8] == SlotByte::Zero { SlotByte::Zero } else { SlotByte::Misc };
                    zero_used |= new == SlotByte::Zero;
                    if st.bytes[slot % 8] == SlotByte::Invalid && !uninit_ok {
                        return refuse(
                            Errno::EINVAL,
                            format!("uninit stack in range of var-offset write prohibited for !root; insn {pc}, off: {i}"),
                        );
                    }
                    st.bytes[slot % 8] = new;
                }
                if let (true, Some(vr)) = (zero_used, value) {
                    self.mark_chain_precision(vr)?;
                }
                Ok(())
            }
        }
    }

    /// How many bits a scalar needs (`get_reg_width`).
    fn reg_width(r: &Reg) -> u32 {
        64 - r.var.umax.leading_zeros()
    }

    fn save_spill(&mut self, fr: usize, spi: usize, r: Reg, size: i32) {
        let st = &mut self.cur.frames[fr].stack[spi];
        st.spilled = r;
        for i in 0..8usize {
            st.bytes[i] = if i >= 8 - size as usize {
                SlotByte::Spill
            } else if matches!(st.bytes[i], SlotByte::Zero | SlotByte::Invalid) {
                // A narrow spill leaves the bytes beside it zero, or never written.
                st.bytes[i]
            } else {
                SlotByte::Misc
            };
        }
        st.dynptr_first = false;
    }

    /// A write of plain data into a slot holding a spilled register, a dynptr, an iterator or
    /// irq flags makes the whole slot misc (what was never written stays invalid).
    fn scrub_special(st: &mut Slot) {
        if st.is_spill() || st.is_dynptr() || st.is_iter() || st.bytes[0] == SlotByte::IrqFlag {
            for b in st.bytes.iter_mut() {
                if *b != SlotByte::Invalid {
                    *b = SlotByte::Misc;
                }
            }
            st.spilled = Reg::NOT_INIT;
            st.dynptr_first = false;
        }
    }

    fn check_stack_read(&mut self, _regno: u8, reg: &Reg, off: i32, size: i32) -> VResult<Reg> {
        let fr = self.frame_of(reg);
        match reg.var.is_const() {
            Some(v) => {
                let off = off + v as i32;
                let slot = (-off - 1) as usize;
                let spi = slot / 8;
                self.log.scratch_slot(spi);
                self.live_stack_read(fr, spi);
                let st = self.cur.frames[fr].stack[spi];
                if st.is_spill() {
                    let mut spill_size = 1;
                    let mut i = 7;
                    while i > 0 && st.bytes[i - 1] == SlotByte::Spill {
                        spill_size += 1;
                        i -= 1;
                    }
                    if size != 8 || spill_size != 8 {
                        if st.spilled.ty != SCALAR {
                            return refuse(Errno::EACCES, "invalid size of register fill");
                        }
                        // A narrow fill of the spill's low bytes keeps what is known.
                        let narrow_ok = size <= spill_size && off % 8 == 0;
                        if narrow_ok {
                            let mut r = st.spilled;
                            if Self::reg_width(&r) > size as u32 * 8 {
                                r.id = 0;
                                r.off = 0;
                            }
                            self.push_hist(super::precision::stack_access_flags(fr, spi), Default::default());
                            return Ok(r);
                        }
                        let (mut spill_cnt, mut zero_cnt) = (0, 0);
                        for i in 0..size as usize {
                            match st.bytes[(slot - i) % 8] {
                                SlotByte::Spill => spill_cnt += 1,
                                SlotByte::Misc => {}
                                SlotByte::Zero => zero_cnt += 1,
                                SlotByte::Invalid if self.allow_uninit_stack => {}
                                _ => return refuse(Errno::EACCES, format!("invalid read from stack off {off}+{i} size {size}")),
                            }
                        }
                        if spill_cnt == size && st.spilled.var.is_const() == Some(0) {
                            // A fill of the spill after all: its history entry stays.
                            self.push_hist(super::precision::stack_access_flags(fr, spi), Default::default());
                            return Ok(Reg::known(0));
                        }
                        if zero_cnt == size {
                            return Ok(Reg::known(0));
                        }
                        return Ok(Reg::unknown());
                    }
                    self.push_hist(super::precision::stack_access_flags(fr, spi), Default::default());
                    return Ok(st.spilled);
                }
                let mut zeros = 0;
                for i in 0..size as usize {
                    match st.bytes[(slot - i) % 8] {
                        SlotByte::Misc => {}
                        SlotByte::Zero => zeros += 1,
                        SlotByte::Invalid if self.allow_uninit_stack => {}
                        _ => return refuse(Errno::EACCES, format!("invalid read from stack off {off}+{i} size {size}")),
                    }
                }
                Ok(if zeros == size { Reg::known(0) } else { Reg::unknown() })
            }
            None => {
                self.log.scratch_stack(reg.var.smin + off as i64, reg.var.smax + off as i64 + size as i64);
                self.check_stack_range_init(_regno, reg, off, size, false, Access::Direct, false)?;
                Ok(Reg::unknown())
            }
        }
    }

    /// `check_stack_range_initialized`: every byte a helper (or a variable-offset read) may
    /// touch holds something readable. A helper may write any of them, so they become misc.
    pub(super) fn check_stack_range_init(
        &mut self,
        regno: u8,
        reg: &Reg,
        off: i32,
        size: i32,
        zero_ok: bool,
        src: Access,
        write: bool,
    ) -> VResult<()> {
        let extra = if src == Access::Helper { " indirect" } else { "" };
        if size == 0 && !zero_ok {
            return refuse(Errno::EACCES, "invalid zero-sized read");
        }
        self.check_stack_bounds(regno, reg, off, size, src, write)?;
        let (min_off, max_off) = match reg.var.is_const() {
            Some(v) => (v as i64 + off as i64, v as i64 + off as i64),
            None => {
                if !self.allow_ptr_leaks {
                    return refuse(
                        Errno::EACCES,
                        format!("R{regno}{extra} variable offset stack access prohibited for !root, var_off={}", reg.var.var_off.strn()),
                    );
                }
                (reg.var.smin + off as i64, reg.var.smax + off as i64)
            }
        };
        let fr = self.frame_of(reg);
        // Only a helper that writes the memory makes its bytes unknown; a read leaves them.
        let clobber = src == Access::Helper && write;
        for i in min_off..max_off + size as i64 {
            let slot = (-i - 1) as usize;
            let spi = slot / 8;
            self.live_stack_read(fr, spi);
            let allow_uninit = self.allow_uninit_stack;
            let allow_leaks = self.allow_ptr_leaks;
            let st = &mut self.cur.frames[fr].stack[spi];
            let b = st.bytes[slot % 8];
            if b == SlotByte::Misc {
                continue;
            }
            if b == SlotByte::Zero || (b == SlotByte::Invalid && allow_uninit) {
                if clobber {
                    st.bytes[slot % 8] = SlotByte::Misc;
                }
                continue;
            }
            if st.is_spill() && (st.spilled.ty == SCALAR || allow_leaks) {
                if clobber {
                    st.spilled = Reg::unknown();
                    for b in st.bytes.iter_mut() {
                        if *b != SlotByte::Invalid {
                            *b = SlotByte::Misc;
                        }
                    }
                }
                continue;
            }
            // (6.18 no longer says "indirect" here for a helper's access, as 6.12 did.)
            return match reg.var.is_const() {
                Some(_) => refuse(Errno::EACCES, format!("invalid read from stack R{regno} off {min_off}+{} size {size}", i - min_off)),
                None => refuse(
                    Errno::EACCES,
                    format!("invalid read from stack R{regno} var_off {}+{} size {size}", reg.var.var_off.strn(), i - min_off),
                ),
            };
        }
        Ok(())
    }

    /// A helper writing `size` bytes of uninitialised memory on the stack may not write over a
    /// dynptr (the kernel refuses any overlap rather than reason about aliasing).
    pub(super) fn check_raw_write_over_dynptr(&self, reg: &Reg, size: i32) -> VResult<()> {
        let Some(v) = reg.var.is_const() else { return Ok(()) };
        let start = reg.off as i64 + v as i64;
        let stack = &self.cur.frames[self.frame_of(reg)].stack;
        for i in start..start + size as i64 {
            let slot = -i - 1;
            if slot < 0 {
                continue;
            }
            let (spi, b) = (slot as usize / 8, slot as usize % 8);
            if stack.get(spi).is_some_and(|s| s.bytes[b] == SlotByte::Dynptr) {
                return refuse(Errno::EACCES, format!("potential write to dynptr at off={i} disallowed"));
            }
        }
        Ok(())
    }

    /// A helper's access to `size` bytes through the pointer in `regno` (`check_helper_mem_access`).
    pub(super) fn check_helper_mem(&mut self, regno: u8, size: i32, write: bool, zero_ok: bool) -> VResult<()> {
        let reg = *self.cur.reg(regno);
        match base(reg.ty) {
            PTR_TO_PACKET | PTR_TO_PACKET_META => self.check_packet_access(regno, &reg, reg.off, size, zero_ok),
            PTR_TO_MAP_KEY => {
                if write {
                    return refuse(Errno::EACCES, format!("R{regno} cannot write into {}", type_name(reg.ty)));
                }
                let ks = self.input.maps[reg.map as usize].key_size;
                self.check_region(regno, &reg, reg.off, size, ks, false)
            }
            PTR_TO_MAP_VALUE => {
                self.check_map_access_type(&reg, reg.off, size, write)?;
                let vs = self.input.maps[reg.map as usize].value_size;
                self.check_region(regno, &reg, reg.off, size, vs, zero_ok)?;
                self.check_map_fields(&reg, reg.off, size, false)
            }
            PTR_TO_MEM => {
                if reg.ty & MEM_RDONLY != 0 && write {
                    return refuse(Errno::EACCES, format!("R{regno} cannot write into {}", type_name(reg.ty)));
                }
                self.check_region(regno, &reg, reg.off, size, reg.mem_size, zero_ok)
            }
            PTR_TO_STACK => self.check_stack_range_init(regno, &reg, reg.off, size, zero_ok, Access::Helper, write),
            // Only a context the kernel does not rewrite accesses to (a declared struct_ops-like
            // type's) is checked here; XDP's, tc's and socket filters' are not memory to helpers.
            PTR_TO_CTX if self.prog_type() == crate::bpf::elf::ProgKind::StructOps => {
                if size == 0 {
                    return if zero_ok { Ok(()) } else { refuse(Errno::EACCES, "invalid zero-sized read") };
                }
                self.check_mem(self.pc, regno, size - 1, Size::B, write, None, false)
            }
            _ => {
                if zero_ok && size == 0 && reg.is_null() {
                    return Ok(());
                }
                refuse(Errno::EACCES, format!("R{regno} type={} expected=fp", type_name(reg.ty)))
            }
        }
    }
}

pub(super) const MAX_PKT: u64 = MAX_PACKET_OFF;

/// The kernel struct behind each map type (what `map->ops->map_btf_id` names).
fn map_struct_name(map_type: u32) -> &'static str {
    match map_type {
        1 | 5 | 9 | 10 => "bpf_htab",
        2 | 3 | 4 | 6 | 8 | 12 => "bpf_array",
        7 => "bpf_stack_map",
        11 => "lpm_trie",
        13 => "bpf_htab",
        14 | 25 => "bpf_dtab",
        15 => "bpf_stab",
        16 => "bpf_cpu_map",
        17 => "xsk_map",
        18 => "bpf_shtab",
        20 => "reuseport_array",
        22 | 23 => "bpf_queue_stack",
        24 | 28 | 29 | 32 => "bpf_local_storage_map",
        27 | 31 => "bpf_ringbuf_map",
        30 => "bpf_bloom_filter",
        _ => "bpf_map",
    }
}

/// `struct bpf_sock` as the verifier lets programs read it (`bpf_sock_is_valid_access`).
mod sock {
    pub const TYPE: i32 = 8;
    pub const PRIORITY: i32 = 20;
    const SIZE: i32 = 80;
    const DST_PORT: i32 = 48;
    const DST_IP4: i32 = 52;

    /// Field starts read narrowly (any power of two up to 4 bytes), the IP address words too.
    fn narrow_field(off: i32) -> bool {
        matches!(off, 72 | 4 | 8 | 12 | 44 | 76) || (24..28).contains(&off) || (28..44).contains(&off) || (52..72).contains(&off)
    }

    pub fn valid(off: i32, size: i32) -> bool {
        if !(0..SIZE).contains(&off) {
            return false;
        }
        let narrow = |field: i32| size <= field && size & (size - 1) == 0;
        if narrow_field(off) {
            return narrow(4);
        }
        if (DST_PORT..DST_PORT + 2).contains(&off) {
            // dst_port: 4 bytes whole, or its 2 bytes narrowly; not the padding after it.
            return narrow(if size == 4 { 4 } else { 2 });
        }
        if (DST_PORT + 2..DST_IP4).contains(&off) {
            return false;
        }
        size == 4
    }
}
