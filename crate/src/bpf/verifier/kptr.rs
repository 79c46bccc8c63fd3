//! Kptrs as Linux 6.18 verifies them: pointers stored in `__kptr`, `__kptr_untrusted` and
//! `__percpu_kptr` fields of map values and of BPF-allocated objects. A kptr's pointee is a
//! kernel struct (by name in the kernel's BTF) or, when no kernel struct has its name, a
//! program-local type: an object `bpf_obj_new` (`bpf_percpu_obj_new`) allocated, stashed with
//! `bpf_kptr_xchg` and taken back the same way.
//!
//! - A load of a kptr field gives a maybe-NULL pointer to its type (`btf_ld_kptr_type`): for a
//!   referenced or per-CPU kptr read under RCU (a tc or XDP program always is) an RCU pointer,
//!   `MEM_ALLOC` for a local type, `MEM_PERCPU` for a per-CPU one, and non-owning when the type is
//!   a list or tree node; otherwise an untrusted one.
//! - Stores: a referenced or per-CPU field only through bpf_kptr_xchg (`store to referenced kptr
//!   disallowed`), an untrusted one of a pointer of its exact type, BPF_ST only of 0.
//! - `bpf_kptr_xchg(dst, src)`: `dst` a map value or an owning object, exactly at a referenced or
//!   per-CPU kptr; `src` NULL or an owned pointer of the field's type (`invalid kptr access`),
//!   whose reference the field takes; the result, the old pointer, is a new reference.
//! - `bpf_this_cpu_ptr` / `bpf_per_cpu_ptr` of a per-CPU RCU pointer: this CPU's (that CPU's) copy,
//!   an RCU pointer to the local type the program reads and writes.

use super::explore::Verifier;
use super::state::*;
use super::{refuse, FieldKind, SpecialField, VResult};
use crate::errno::Errno;

/// Kernel structs a referenced kptr may be loaded from under RCU as a trusted pointer
/// (`rcu_protected_types`); any other kernel struct's load is untrusted.
const RCU_PROTECTED: &[&str] = &["prog_test_ref_kfunc", "cgroup", "bpf_cpumask", "task_struct", "bpf_crypto_ctx"];

impl Verifier<'_> {
    /// The name of a kptr field's pointee (in the program's BTF).
    fn kptr_type_name(&self, f: &SpecialField) -> String {
        self.input.btf.and_then(|b| b.type_by_id(f.kptr_type)).map(|t| t.name.clone()).unwrap_or_default()
    }

    /// Whether a kptr field holds a program-local type (no kernel struct has its name).
    pub(super) fn kptr_is_local(&self, f: &SpecialField) -> bool {
        !crate::bpf::target::kernel_has_struct(&self.kptr_type_name(f))
    }

    /// `in_rcu_cs`: a program that cannot sleep always is; a sleepable one under a lock.
    fn in_rcu_cs(&self) -> bool {
        !self.cur.in_sleepable || self.cur.active_lock > 0
    }

    /// The type flags of a pointer loaded from a kptr field (`btf_ld_kptr_type`).
    fn kptr_load_flags(&self, f: &SpecialField) -> u32 {
        let local = self.kptr_is_local(f);
        let rcu_safe = f.kind == FieldKind::KptrPercpu
            || (f.kind == FieldKind::KptrRef && (local || RCU_PROTECTED.contains(&self.kptr_type_name(f).as_str())));
        let mut flags = PTR_MAYBE_NULL;
        if rcu_safe && self.in_rcu_cs() {
            flags |= MEM_RCU;
            if f.kind == FieldKind::KptrPercpu {
                flags |= MEM_PERCPU;
            } else if local {
                flags |= MEM_ALLOC;
            }
            let node = |k: FieldKind| k == crate::bpf::graph::LIST_NODE || k == crate::bpf::graph::RB_NODE;
            if local && self.local_record(f.kptr_type).is_some_and(|r| r.fields.iter().any(|x| node(x.kind))) {
                flags |= NON_OWN_REF;
            }
        } else {
            flags |= PTR_UNTRUSTED;
        }
        flags
    }

    /// The kptr field a direct access through a map value pointer at `off` (the pointer's fixed
    /// offset included) lands exactly on, if any.
    pub(super) fn map_kptr_field(&self, reg: &Reg, off: i32) -> Option<SpecialField> {
        let v = reg.var.is_const()?;
        let at = off as i64 + v as i64;
        self.input.maps[reg.map as usize].fields.iter().find(|f| f.kind.is_kptr() && f.off as i64 == at).copied()
    }

    /// A load or store of a map value's kptr field (`check_map_kptr_access`), after the checks
    /// every access to it makes: the register a load gives.
    pub(super) fn check_map_kptr_access(&mut self, f: SpecialField, write: bool, value: Option<u8>) -> VResult<Option<Reg>> {
        if self.atomic_access {
            return refuse(Errno::EACCES, "kptr in map can only be accessed using BPF_MEM instruction mode");
        }
        if write && matches!(f.kind, FieldKind::KptrRef | FieldKind::KptrPercpu) {
            return refuse(Errno::EACCES, "store to referenced kptr disallowed");
        }
        if !write {
            let mut r = Reg::ptr(PTR_TO_BTF_ID | self.kptr_load_flags(&f));
            r.btf_id = f.kptr_type;
            r.id = self.new_id();
            return Ok(Some(r));
        }
        match value {
            Some(vr) => {
                let v = *self.cur.reg(vr);
                if !v.is_null() {
                    self.map_kptr_match_type(&f, &v, vr)?;
                }
            }
            None => {
                if self.store_imm.unwrap_or(0) != 0 {
                    return refuse(Errno::EACCES, format!("BPF_ST imm must be 0 when storing to kptr at off={}", f.off));
                }
            }
        }
        Ok(None)
    }

    /// Whether a pointer may go into a kptr field (`map_kptr_match_type`): a pointer to the
    /// field's type (local objects: owned or not, per-CPU ones for a per-CPU field), at offset 0.
    pub(super) fn map_kptr_match_type(&self, f: &SpecialField, reg: &Reg, regno: u8) -> VResult<()> {
        let targ = self.kptr_type_name(f);
        // A kernel struct a kfunc returned is named by the register (it has no program BTF id).
        let reg_name = match reg.btf_struct {
            Some(name) if reg.btf_id == 0 => name.to_string(),
            _ => self.input.btf.and_then(|b| b.type_by_id(reg.btf_id)).map(|t| t.name.clone()).unwrap_or_default(),
        };
        let bad = |shown: &str| -> VResult<()> {
            let mut line = format!("invalid kptr access, R{regno} type={}{shown} expected={}{targ}", type_name(reg.ty), type_name(PTR_TO_BTF_ID));
            if f.kind == FieldKind::KptrUnref {
                line.push_str(&format!(" or {}{targ}", type_name(PTR_TO_BTF_ID | PTR_UNTRUSTED)));
            }
            refuse(Errno::EACCES, line)
        };
        if base(reg.ty) != PTR_TO_BTF_ID {
            return bad("");
        }
        // A register's BTF is the program's when it points to a local object (MEM_ALLOC).
        let reg_local = reg.ty & MEM_ALLOC != 0 || (reg.btf_struct.is_none() && !crate::bpf::target::kernel_has_struct(&reg_name));
        let perm = if !reg_local {
            PTR_MAYBE_NULL | PTR_TRUSTED | MEM_RCU | if f.kind == FieldKind::KptrUnref { PTR_UNTRUSTED } else { 0 }
        } else {
            PTR_MAYBE_NULL | MEM_ALLOC | if f.kind == FieldKind::KptrPercpu { MEM_PERCPU } else { 0 }
        };
        if reg.ty & !0xff & !perm != 0 {
            return bad("");
        }
        if (f.kind == FieldKind::KptrPercpu) != (reg.ty & MEM_PERCPU != 0) {
            return bad("");
        }
        // `__check_ptr_off_reg` with a fixed offset allowed (the refusal is the caller's errno).
        if reg.off < 0 || reg.var.is_const() != Some(0) {
            self.check_ptr_off_reg(reg, regno, true)?;
        }
        // The exact type: a local one by its id; a kernel one by name (or, for an untrusted
        // field, its first member's type at offset 0 walking down, which uxdp does not model).
        let same = if reg_local && self.kptr_is_local(f) { reg.btf_id == f.kptr_type } else { reg_name == targ };
        if !same || reg.off != 0 {
            return bad(&reg_name);
        }
        Ok(())
    }

    /// bpf_kptr_xchg's destination (`process_kptr_func`): a map value or an allocated object,
    /// at a constant offset exactly on a referenced or per-CPU kptr.
    pub(super) fn kptr_xchg_dest(&self, regno: u8, reg: &Reg) -> VResult<SpecialField> {
        let fields = if base(reg.ty) == PTR_TO_MAP_VALUE {
            let m = &self.input.maps[reg.map as usize];
            if !m.has_btf {
                return refuse(Errno::EINVAL, format!("map '{}' has to have BTF in order to use bpf_kptr_xchg", m.name));
            }
            m.fields.clone()
        } else {
            self.local_record(reg.btf_id).map(|r| r.fields).unwrap_or_default()
        };
        let Some(val) = reg.var.is_const() else {
            return refuse(Errno::EINVAL, format!("R{regno} doesn't have constant offset. kptr has to be at the constant offset"));
        };
        if !fields.iter().any(|f| f.kind.is_kptr()) {
            return refuse(Errno::EINVAL, format!("R{regno} has no valid kptr"));
        }
        let at = (reg.off as i64 + val as i64) as i32;
        let Some(f) = fields.iter().find(|f| f.kind.is_kptr() && f.off as i64 == at as i64) else {
            return refuse(Errno::EACCES, format!("off={at} doesn't point to kptr"));
        };
        if f.kind == FieldKind::KptrUnref {
            return refuse(Errno::EACCES, format!("off={at} kptr isn't referenced kptr"));
        }
        Ok(*f)
    }

    /// bpf_kptr_xchg's source, once its type is one `check_reg_type` takes (`MEM_ALLOC` and
    /// `MEM_PERCPU` aside): a kernel pointer not NULL, the field's type.
    pub(super) fn kptr_xchg_src(&self, regno: u8, reg: &Reg, f: &SpecialField) -> VResult<()> {
        let t = reg.ty;
        let kernel_ptr = [PTR_TO_BTF_ID, PTR_TO_BTF_ID | PTR_TRUSTED, PTR_TO_BTF_ID | MEM_RCU];
        let alloc = [PTR_TO_BTF_ID | MEM_ALLOC, PTR_TO_BTF_ID | MEM_ALLOC | MEM_PERCPU];
        if kernel_ptr.contains(&(t & !PTR_MAYBE_NULL)) {
            if t & PTR_MAYBE_NULL != 0 {
                return refuse(Errno::EACCES, format!("Possibly NULL pointer passed to helper arg{regno}"));
            }
        } else if !alloc.contains(&t) {
            return refuse(Errno::EFAULT, "verifier bug: invalid PTR_TO_BTF_ID register for type match");
        }
        self.map_kptr_match_type(f, reg, regno)
    }

    /// After bpf_kptr_xchg took `src`'s reference into the field: the pointers that carried it
    /// die, but for a per-CPU object under RCU, which stays readable as an RCU pointer.
    pub(super) fn kptr_xchg_release(&mut self, ref_obj_id: u32) -> VResult<()> {
        let before = self.cur.refs.len();
        self.cur.refs.retain(|r| r.id != ref_obj_id);
        if self.cur.refs.len() == before {
            return refuse(Errno::EINVAL, format!("verifier internal error: reference id={ref_obj_id} not found"));
        }
        let (leaks, rcu) = (self.allow_ptr_leaks, self.in_rcu_cs());
        self.cur.for_each_reg(|r| {
            if r.ref_obj_id == ref_obj_id {
                if rcu && r.ty & MEM_ALLOC != 0 && r.ty & MEM_PERCPU != 0 {
                    r.ref_obj_id = 0;
                    r.ty = (r.ty & !MEM_ALLOC) | MEM_RCU;
                } else {
                    *r = if leaks { Reg::unknown() } else { Reg::NOT_INIT };
                }
            }
        });
        Ok(())
    }

    /// bpf_kptr_xchg's result: the field's old pointer or NULL, a new reference.
    pub(super) fn kptr_xchg_result(&mut self, pc: usize, f: &SpecialField) -> Reg {
        let mut ty = PTR_TO_BTF_ID | PTR_MAYBE_NULL;
        if self.kptr_is_local(f) {
            ty |= MEM_ALLOC;
            if f.kind == FieldKind::KptrPercpu {
                ty |= MEM_PERCPU;
            }
        }
        let mut r = Reg::ptr(ty);
        r.btf_id = f.kptr_type;
        // The kernel hands out a NULL-check id first, then the reference's, which replaces it.
        self.new_id();
        let id = self.acquire_reference(pc);
        r.id = id;
        r.ref_obj_id = id;
        r
    }

    /// `bpf_per_cpu_ptr` / `bpf_this_cpu_ptr`'s argument (ARG_PTR_TO_PERCPU_BTF_ID) beyond its
    /// type: a BTF id to return.
    pub(super) fn percpu_btf_arg(&self, regno: u8, reg: &Reg) -> VResult<()> {
        if reg.btf_id == 0 && reg.btf_struct.is_none() {
            return refuse(Errno::EACCES, format!("Helper has invalid btf_id in R{regno}"));
        }
        Ok(())
    }

    /// Their result for a per-CPU object (an RCU pointer): that CPU's copy, an RCU pointer to the
    /// local type, never NULL (6.18 drops bpf_per_cpu_ptr's NULL for these).
    pub(super) fn percpu_obj_copy(&self, arg: &Reg) -> Option<Reg> {
        if arg.ty & MEM_RCU == 0 || arg.btf_id == 0 {
            return None;
        }
        let mut r = Reg::ptr(PTR_TO_BTF_ID | MEM_ALLOC | MEM_RCU);
        r.btf_id = arg.btf_id;
        Some(r)
    }
}

impl Verifier<'_> {
    /// A load or store through a pointer to a program type that is no allocated object of the
    /// program's (an untrusted kptr, a per-CPU one, or a kernel struct's name):
    /// `check_ptr_to_btf_access`.
    pub(super) fn check_local_btf_access(&mut self, regno: u8, reg: &Reg, off: i32, size: i32, write: bool) -> VResult<Reg> {
        let Some(btf) = self.input.btf else { return Ok(Reg::unknown()) };
        let tname = btf.type_by_id(reg.btf_id).map(|t| t.name.clone()).unwrap_or_default();
        if !self.allow_ptr_leaks {
            return refuse(Errno::EPERM, format!("'struct {tname}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN"));
        }
        if off < 0 {
            return refuse(Errno::EACCES, format!("R{regno} is ptr_{tname} invalid negative access: off={off}"));
        }
        if reg.var.is_const() != Some(0) {
            return refuse(Errno::EACCES, format!("R{regno} is ptr_{tname} invalid variable offset: off={off}, var_off={}", reg.var.var_off.strn()));
        }
        if reg.ty & MEM_PERCPU != 0 {
            return refuse(Errno::EACCES, format!("R{regno} is ptr_{tname} access percpu memory: off={off}"));
        }
        if write && reg.ty & PTR_UNTRUSTED != 0 {
            return refuse(Errno::EACCES, "only read is supported");
        }
        let kernel = crate::bpf::target::kernel_has_struct(&tname);
        if write {
            // tc and XDP check writes against the kernel's struct (`btf_struct_access` of their
            // ops); other types take reads only.
            use crate::bpf::elf::ProgKind::*;
            if matches!(self.prog_type(), SchedCls | SchedAct | Xdp) && !kernel {
                return refuse(Errno::EFAULT, "verifier bug: reg->btf must be kernel btf");
            }
            return refuse(Errno::EACCES, "only read is supported");
        }
        if !kernel {
            let size_of = btf.resolve_size(reg.btf_id).unwrap_or(0);
            if off as u64 + size as u64 > u64::from(size_of) {
                return refuse(Errno::EACCES, format!("access beyond struct {tname} at off {off} size {size}"));
            }
        }
        Ok(Reg::unknown())
    }
}

/// Whether an 8-byte load at `off` in the struct `id` reads a pointer member (nested structs and
/// unions walked): 6.18 gives such a load from a program's object as untrusted read-only memory.
pub(super) fn loads_pointer_member(btf: &crate::bpf::btf::Btf, id: u32, off: u32, size: u32) -> bool {
    use crate::bpf::btf::Kind;
    let mut id = id;
    let mut off = off;
    for _ in 0..8 {
        let Ok((_, t)) = btf.skip_mods_and_typedefs(id) else { return false };
        let (Kind::Struct { members, .. } | Kind::Union { members, .. }) = &t.kind else { return false };
        let Some(m) = members.iter().find(|m| {
            let at = m.bit_offset / 8;
            m.bitfield_size == 0 && off >= at && off < at + btf.resolve_size(m.type_id).unwrap_or(0)
        }) else {
            return false;
        };
        let at = m.bit_offset / 8;
        match btf.skip_mods_and_typedefs(m.type_id).map(|(_, t)| &t.kind) {
            Ok(Kind::Ptr { .. }) => return off == at && size == 8,
            Ok(Kind::Struct { .. } | Kind::Union { .. }) => {
                id = m.type_id;
                off -= at;
            }
            _ => return false,
        }
    }
    false
}
