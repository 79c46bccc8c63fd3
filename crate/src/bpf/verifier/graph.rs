//! BPF-allocated objects and graph kfuncs, as Linux 6.18 verifies them: `bpf_obj_new` gives an
//! owning reference to a local type (`PTR_TO_BTF_ID | MEM_ALLOC`, the type's id in the
//! program's BTF), loads and stores stay inside the type and off its special fields, a push into
//! a list or tree turns the owning reference into a non-owning one (`NON_OWN_REF`) that dies at
//! the next bpf_spin_unlock, pops and removes hand owning references back, and every list head or
//! tree root is touched only with the lock of its own allocation held (map value or object).

use super::state::*;
use super::explore::Verifier;
use super::{refuse, FieldKind, VResult};
use crate::bpf::graph::{GraphRoot, Record, LIST_HEAD, LIST_NODE, RB_NODE, RB_ROOT};
use crate::bpf::protos::kfuncs::Kfunc;
use crate::errno::Errno;

/// The lock "map" of a lock in an allocated object (the kernel's `active_lock.ptr` is the
/// program BTF then; the object's id tells objects apart).
pub(super) const ALLOC_LOCK: u32 = u32::MAX;

/// The kfuncs this module checks (arguments and result).
pub(super) fn is_graph_kfunc(name: &str) -> bool {
    matches!(
        name,
        "bpf_obj_new_impl"
            | "bpf_percpu_obj_new_impl"
            | "bpf_obj_drop_impl"
            | "bpf_percpu_obj_drop_impl"
            | "bpf_refcount_acquire_impl"
    ) || is_graph_api(name)
}

/// The graph API (`is_bpf_graph_api_kfunc`): the calls allowed while holding a bpf_spin_lock.
pub(super) fn is_graph_api(name: &str) -> bool {
    is_list_api(name) || is_rbtree_api(name) || name == "bpf_refcount_acquire_impl"
}

fn is_list_api(name: &str) -> bool {
    matches!(
        name,
        "bpf_list_push_front_impl" | "bpf_list_push_back_impl" | "bpf_list_pop_front" | "bpf_list_pop_back" | "bpf_list_front" | "bpf_list_back"
    )
}

fn is_rbtree_api(name: &str) -> bool {
    matches!(name, "bpf_rbtree_add_impl" | "bpf_rbtree_remove" | "bpf_rbtree_first" | "bpf_rbtree_root" | "bpf_rbtree_left" | "bpf_rbtree_right")
}

/// `is_trusted_reg` for allocated objects: referenced, or carrying only the trusted modifiers
/// (an owning or non-owning reference without MEM_RCU).
pub(super) fn is_trusted_alloc(r: &Reg) -> bool {
    let trusted = MEM_ALLOC | PTR_TRUSTED | NON_OWN_REF;
    r.ty & MEM_ALLOC != 0 && (r.ref_obj_id != 0 || r.ty & !0xff & !trusted == 0)
}

/// What an argument pointing at a list head or tree root found.
struct RootArg {
    root: GraphRoot,
}

impl Verifier<'_> {
    /// The record of a local type of the program's BTF.
    pub(super) fn local_record(&self, btf_id: u32) -> Option<Record> {
        Record::of_struct(self.input.btf?, btf_id)
    }

    /// The record an allocation pointer or map value pointer points into.
    fn record_of(&self, reg: &Reg) -> Record {
        if base(reg.ty) == PTR_TO_MAP_VALUE {
            let m = &self.input.maps[reg.map as usize];
            return Record { name: m.name.clone(), size: m.value_size, fields: m.fields.clone(), roots: m.roots.clone() };
        }
        self.local_record(reg.btf_id).unwrap_or_default()
    }

    fn type_name_of(&self, btf_id: u32) -> String {
        self.input.btf.and_then(|b| b.type_by_id(btf_id)).map(|t| t.name.clone()).unwrap_or_default()
    }

    /// A load or store through an allocated object (`check_ptr_to_btf_access` with the local
    /// type's `btf_struct_access`): inside the type, never over a special field.
    pub(super) fn check_alloc_access(&mut self, regno: u8, reg: &Reg, off: i32, size: i32, write: bool) -> VResult<Reg> {
        let tname = self.type_name_of(reg.btf_id);
        if reg.ty & PTR_MAYBE_NULL != 0 {
            return refuse(Errno::EACCES, format!("R{regno} invalid mem access '{}'", type_name(reg.ty)));
        }
        if off < 0 {
            return refuse(Errno::EACCES, format!("R{regno} is ptr_{tname} invalid negative access: off={off}"));
        }
        if reg.var.is_const() != Some(0) {
            return refuse(
                Errno::EACCES,
                format!("R{regno} is ptr_{tname} invalid variable offset: off={off}, var_off={}", reg.var.var_off.strn()),
            );
        }
        if reg.ty & MEM_PERCPU != 0 {
            return refuse(Errno::EACCES, format!("R{regno} is ptr_{tname} access percpu memory: off={off}"));
        }
        let _ = write;
        let Some(rec) = self.local_record(reg.btf_id) else {
            return refuse(Errno::EACCES, format!("R{regno} invalid mem access '{}'", type_name(reg.ty)));
        };
        let (off, size) = (off as u32, size as u32);
        if let Some(f) = rec.fields.iter().find(|f| off < f.off + f.size && f.off < off + size) {
            return refuse(Errno::EACCES, format!("direct access to {} is disallowed", f.kind.name()));
        }
        if off + size > rec.size {
            return refuse(Errno::EACCES, format!("access beyond struct {} at off {off} size {size}", rec.name));
        }
        // A pointer member reads as untrusted read-only memory of unknown size (6.18).
        if !write && self.input.btf.is_some_and(|b| super::kptr::loads_pointer_member(b, reg.btf_id, off, size)) {
            let mut r = Reg::ptr(PTR_TO_MEM | MEM_RDONLY | PTR_UNTRUSTED);
            r.mem_size = 0;
            return Ok(r);
        }
        Ok(Reg::unknown())
    }

    /// A bpf_spin_lock argument in an allocated object: exactly at its lock. The lock's identity
    /// is the object's id.
    pub(super) fn check_alloc_lock_arg(&self, regno: u8, reg: &Reg) -> VResult<()> {
        let Some(val) = reg.var.is_const() else {
            return refuse(Errno::EINVAL, format!("R{regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset"));
        };
        let rec = self.local_record(reg.btf_id).unwrap_or_default();
        let Some(f) = rec.field(FieldKind::SpinLock) else {
            return refuse(Errno::EINVAL, format!("{} '{}' has no valid bpf_spin_lock", "local", rec.name));
        };
        let at = val as i64 + reg.off as i64;
        if at != f.off as i64 {
            return refuse(Errno::EINVAL, format!("off {at} doesn't point to 'struct bpf_spin_lock' that is at {}", f.off));
        }
        Ok(())
    }

    /// At bpf_spin_unlock: every non-owning reference dies (`invalidate_non_owning_refs`).
    pub(super) fn invalidate_non_owning_refs(&mut self) {
        let leaks = self.allow_ptr_leaks;
        self.cur.for_each_reg(|r| {
            if base(r.ty) == PTR_TO_BTF_ID && r.ty & NON_OWN_REF != 0 {
                *r = if leaks { Reg::unknown() } else { Reg::NOT_INIT };
            }
        });
    }

    /// A list head / tree root argument (`__process_kf_arg_ptr_to_graph_root`).
    fn graph_root_arg(&mut self, regno: u8, argn: usize, kind: FieldKind) -> VResult<RootArg> {
        let reg = *self.cur.reg(regno);
        let alloc = PTR_TO_BTF_ID | MEM_ALLOC;
        if reg.ty != PTR_TO_MAP_VALUE && reg.ty != alloc {
            return refuse(Errno::EINVAL, format!("arg#{argn} expected pointer to map value or allocated object"));
        }
        if reg.ty == alloc && reg.ref_obj_id == 0 {
            return refuse(Errno::EINVAL, "allocated object must be referenced");
        }
        if reg.ty == alloc {
            self.check_ptr_off_reg(&reg, regno, true)?;
        }
        let what = kind.name();
        let Some(v) = reg.var.is_const() else {
            return refuse(Errno::EINVAL, format!("R{regno} doesn't have constant offset. {what} has to be at the constant offset"));
        };
        let at = (reg.off as i64 + v as i64) as u32;
        let rec = self.record_of(&reg);
        let Some(root) = rec.root_at(at).filter(|r| r.kind == kind).cloned() else {
            return refuse(Errno::EINVAL, format!("{what} not found at offset={at}"));
        };
        let lock = if reg.ty == alloc { ALLOC_LOCK } else { reg.map };
        if self.cur.active_lock == 0 || (self.cur.lock_map, self.cur.lock_id) != (lock, reg.id) {
            if self.cur.active_lock > 0 {
                self.log.line("held lock and object are not in the same allocation");
            }
            return refuse(Errno::EINVAL, format!("bpf_spin_lock at off={} must be held for {what}", rec.lock_off()));
        }
        Ok(RootArg { root })
    }

    /// A list / tree node argument (`__process_kf_arg_ptr_to_graph_node`).
    fn graph_node_arg(&self, regno: u8, argn: usize, kind: FieldKind, root: &GraphRoot, remove: bool) -> VResult<()> {
        let reg = *self.cur.reg(regno);
        let alloc = PTR_TO_BTF_ID | MEM_ALLOC;
        if remove {
            // 6.18 takes an owning reference too (the live kernel accepts one).
            let non_owning = reg.ty & NON_OWN_REF != 0 && base(reg.ty) == PTR_TO_BTF_ID;
            let owning = reg.ty == alloc && reg.ref_obj_id != 0;
            if !non_owning && !owning {
                return refuse(Errno::EINVAL, "rbtree_remove node input must be non-owning ref");
            }
        } else {
            if reg.ty != alloc {
                return refuse(Errno::EINVAL, format!("arg#{argn} expected pointer to allocated object"));
            }
            if reg.ref_obj_id == 0 {
                return refuse(Errno::EINVAL, "allocated object must be referenced");
            }
        }
        self.check_ptr_off_reg(&reg, regno, true)?;
        let what = kind.name();
        let Some(v) = reg.var.is_const() else {
            return refuse(Errno::EINVAL, format!("R{regno} doesn't have constant offset. {what} has to be at the constant offset"));
        };
        let at = (reg.off as i64 + v as i64) as u32;
        let rec = self.local_record(reg.btf_id).unwrap_or_default();
        if rec.field_at(at, kind).is_none() {
            return refuse(Errno::EINVAL, format!("{what} not found at offset={at}"));
        }
        let head = root.kind.name();
        if reg.btf_id != root.value_type {
            return refuse(
                Errno::EINVAL,
                format!(
                    "operation on {head} expects arg#1 {what} at offset={} in struct {}, but arg is at offset={at} in struct {}",
                    root.node_off, root.value_name, rec.name
                ),
            );
        }
        if at != root.node_off {
            return refuse(
                Errno::EINVAL,
                format!("arg#1 offset={at}, but expected {what} at offset={} in struct {}", root.node_off, root.value_name),
            );
        }
        Ok(())
    }

    /// An allocated object argument of bpf_obj_drop / bpf_percpu_obj_drop (`__alloc`).
    fn alloc_obj_arg(&self, regno: u8, argn: usize, name: &str) -> VResult<()> {
        let reg = *self.cur.reg(regno);
        // A trusted argument (`is_trusted_reg`): referenced, or only trusted modifiers.
        let trusted = reg.ref_obj_id != 0 || (reg.is_pointer() && reg.ty & !0xff & !(MEM_ALLOC | PTR_TRUSTED | NON_OWN_REF) == 0 && reg.ty & (MEM_ALLOC | PTR_TRUSTED | NON_OWN_REF) != 0);
        if !trusted {
            return refuse(Errno::EINVAL, format!("R{regno} must be referenced or trusted"));
        }
        if reg.ref_obj_id != 0 && reg.off != 0 {
            return refuse(Errno::EINVAL, format!("R{regno} must have zero offset when passed to release func or trusted arg to kfunc"));
        }
        let percpu = name == "bpf_percpu_obj_drop_impl";
        if reg.ty == PTR_TO_BTF_ID | MEM_ALLOC {
            if percpu {
                return refuse(Errno::EINVAL, format!("arg#{argn} expected for bpf_obj_drop_impl()"));
            }
        } else if reg.ty == PTR_TO_BTF_ID | MEM_ALLOC | MEM_PERCPU {
            if !percpu {
                return refuse(Errno::EINVAL, format!("arg#{argn} expected for bpf_percpu_obj_drop_impl()"));
            }
        } else {
            return refuse(Errno::EINVAL, format!("arg#{argn} expected pointer to allocated object"));
        }
        if reg.ref_obj_id == 0 {
            return refuse(Errno::EINVAL, "allocated object must be referenced");
        }
        Ok(())
    }

    /// Owning references to `ref_obj_id` become non-owning (`ref_convert_owning_non_owning`),
    /// then the reference is gone.
    fn convert_owning_non_owning(&mut self, ref_obj_id: u32, refcounted: bool) -> VResult<()> {
        self.cur.for_each_reg(|r| {
            if r.ref_obj_id == ref_obj_id {
                r.ref_obj_id = 0;
                r.ty |= NON_OWN_REF;
                if refcounted {
                    r.ty |= MEM_RCU;
                }
            }
        });
        self.cur.refs.retain(|r| r.id != ref_obj_id);
        Ok(())
    }

    /// A graph node result: a pointer to the contained type at its node
    /// (`mark_reg_graph_node`).
    fn graph_node_result(root: &GraphRoot) -> Reg {
        let mut r = Reg::ptr(PTR_TO_BTF_ID | MEM_ALLOC);
        r.btf_id = root.value_type;
        r.off = root.node_off as i32;
        r
    }

    /// bpf_rbtree_add's less(): called with two non-owning node pointers, answering 0 or 1
    /// (`set_rbtree_add_callback_state`).
    fn push_rbtree_less(&mut self, pc: usize, k: &'static Kfunc, sub: u32, root: &GraphRoot) -> VResult<()> {
        let Some(&start) = self.info.subprogs.get(sub as usize) else { return Ok(()) };
        if self.cur.frames.len() >= MAX_CALL_FRAMES {
            return refuse(Errno::E2BIG, format!("the call stack of {} frames is too deep", self.cur.frames.len() + 1));
        }
        let frameno = self.cur.frames.len() as u8;
        let mut callee = Frame::new(frameno, pc as i32, sub);
        callee.callback = Some(CallbackKind { ret_min: 0, ret_max: 1, callsite: pc as i32, in_loop: true });
        let mut node = Self::graph_node_result(root);
        node.ty |= NON_OWN_REF;
        if self.local_record(root.value_type).is_some_and(|r| r.has_refcount()) {
            node.ty |= MEM_RCU;
        }
        callee.regs[1] = node;
        callee.regs[2] = node;
        callee.regs[10] = Reg { frameno, ..Reg::ptr(PTR_TO_STACK) };
        let _ = k;
        self.queue_callback(pc, start, callee)
    }

    /// A graph call site's object type: the same at every visit (the kernel patches the call with
    /// the type's struct meta), or the program is refused.
    fn record_struct_meta(&mut self, pc: usize, btf_id: u32) -> VResult<()> {
        let meta = self.local_record(btf_id).filter(|r| !r.fields.is_empty()).map(|_| btf_id);
        match self.kptr_struct_meta.get(&pc) {
            Some(&seen) if seen != meta => {
                self.log.line("same call cannot be used with different types");
                self.log.line("use one call for each type: inline the static function that holds the call,");
                refuse(Errno::EINVAL, "or mark the callee with __attribute__((nomerge))")
            }
            _ => {
                self.kptr_struct_meta.insert(pc, meta);
                Ok(())
            }
        }
    }

    /// bpf_obj_new & co., the list and tree kfuncs: arguments, references and the result.
    pub(super) fn check_graph_kfunc(&mut self, pc: usize, k: &'static Kfunc) -> VResult<()> {
        let name = k.name;
        for (i, a) in k.args.iter().enumerate() {
            if a.annotation != Some("__ign") {
                self.check_reg_read((i + 1) as u8)?;
            }
        }
        // Pointer arguments are trusted ones: never NULL. The kernel checks arguments in order,
        // so a list head or tree root (arg 0) is checked in full before a NULL node (arg 1).
        let mut null_node = None;
        for (i, a) in k.args.iter().enumerate() {
            let reg = self.cur.reg((i + 1) as u8);
            if a.ty.trim().ends_with('*') && a.annotation != Some("__ign") && !a.ty.contains("(*)") && (reg.is_null() || reg.maybe_null()) {
                if i == 0 || !(is_list_api(name) || is_rbtree_api(name)) {
                    return refuse(Errno::EACCES, format!("Possibly NULL pointer passed to trusted arg{i}"));
                }
                null_node.get_or_insert(i);
            }
        }
        let null_after_root = |v: &Self| -> VResult<()> {
            let _ = v;
            match null_node {
                Some(i) => refuse(Errno::EACCES, format!("Possibly NULL pointer passed to trusted arg{i}")),
                None => Ok(()),
            }
        };
        let mut r0 = Reg::NOT_INIT;
        let mut acquire = false;
        let mut owning_arg = false;
        match name {
            "bpf_obj_new_impl" | "bpf_percpu_obj_new_impl" => {
                let r1 = *self.cur.reg(1);
                if !r1.is_scalar() {
                    return refuse(Errno::EINVAL, "R1 is not a scalar");
                }
                let Some(id) = r1.var.is_const() else { return refuse(Errno::EINVAL, "R1 must be a known constant") };
                // A `__k` argument: the walk relies on its value.
                self.mark_chain_precision(1)?;
                if id > u64::from(u32::MAX) {
                    return refuse(Errno::EINVAL, "local type ID argument must be in range [0, U32_MAX]");
                }
                if self.input.btf.is_none() {
                    return refuse(Errno::EINVAL, "bpf_obj_new/bpf_percpu_obj_new requires prog BTF");
                }
                let Some(rec) = self.local_record(id as u32) else {
                    return refuse(Errno::EINVAL, "bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct");
                };
                let percpu = name == "bpf_percpu_obj_new_impl";
                if percpu {
                    if rec.size > 512 {
                        return refuse(Errno::EINVAL, format!("bpf_percpu_obj_new type size ({}) is greater than 512", rec.size));
                    }
                    if !rec.fields.is_empty() {
                        return refuse(Errno::EINVAL, "bpf_percpu_obj_new type ID argument must not contain special fields");
                    }
                }
                r0 = Reg::ptr(PTR_TO_BTF_ID | MEM_ALLOC | if percpu { MEM_PERCPU } else { 0 });
                r0.btf_id = id as u32;
                acquire = true;
            }
            "bpf_obj_drop_impl" | "bpf_percpu_obj_drop_impl" => {
                self.alloc_obj_arg(1, 0, name)?;
                let ty = self.cur.reg(1).btf_id;
                self.record_struct_meta(pc, ty)?;
                let id = self.cur.reg(1).ref_obj_id;
                if self.release_reference(id).is_err() {
                    return refuse(Errno::EINVAL, format!("kfunc {name}#0 reference has not been acquired before"));
                }
            }
            "bpf_refcount_acquire_impl" => {
                // Any pointer to an allocated object (owning, non-owning, or an RCU one read from a
                // kptr field) whose type has a bpf_refcount; from an owning reference the new one
                // cannot fail (`is_kfunc_ret_null`).
                let reg = *self.cur.reg(1);
                if base(reg.ty) != PTR_TO_BTF_ID || reg.ty & MEM_ALLOC == 0 {
                    return refuse(Errno::EINVAL, "arg#0 is neither owning or non-owning ref");
                }
                owning_arg = reg.ty & NON_OWN_REF == 0 && reg.ref_obj_id != 0;
                let rec = self.local_record(reg.btf_id).unwrap_or_default();
                // A type without special fields has no struct meta to look in.
                if rec.fields.is_empty() {
                    return refuse(Errno::EFAULT, "verifier bug: Couldn't find btf_record");
                }
                if !rec.has_refcount() {
                    return refuse(Errno::EINVAL, "arg#0 doesn't point to a type with bpf_refcount field");
                }
                self.record_struct_meta(pc, reg.btf_id)?;
                r0 = Reg::ptr(PTR_TO_BTF_ID | MEM_ALLOC);
                r0.btf_id = reg.btf_id;
                acquire = true;
            }
            "bpf_list_push_front_impl" | "bpf_list_push_back_impl" | "bpf_rbtree_add_impl" => {
                let (head, node) = if name == "bpf_rbtree_add_impl" { (RB_ROOT, RB_NODE) } else { (LIST_HEAD, LIST_NODE) };
                let ra = self.graph_root_arg(1, 0, head)?;
                null_after_root(self)?;
                self.graph_node_arg(2, 1, node, &ra.root, false)?;
                let refcounted = self.local_record(ra.root.value_type).is_some_and(|r| r.has_refcount());
                if name == "bpf_rbtree_add_impl" {
                    let less = *self.cur.reg(3);
                    if less.ty != PTR_TO_FUNC {
                        return refuse(Errno::EINVAL, "arg#2 expected pointer to func");
                    }
                    self.push_rbtree_less(pc, k, less.subprog, &ra.root)?;
                }
                let (id, ty) = (self.cur.reg(2).ref_obj_id, self.cur.reg(2).btf_id);
                self.record_struct_meta(pc, ty)?;
                self.convert_owning_non_owning(id, refcounted)?;
                r0 = Reg::unknown();
            }
            "bpf_list_pop_front" | "bpf_list_pop_back" | "bpf_list_front" | "bpf_list_back" | "bpf_rbtree_first" | "bpf_rbtree_root" => {
                let head = if is_list_api(name) { LIST_HEAD } else { RB_ROOT };
                let ra = self.graph_root_arg(1, 0, head)?;
                r0 = Self::graph_node_result(&ra.root);
                acquire = name.starts_with("bpf_list_pop");
            }
            "bpf_rbtree_remove" | "bpf_rbtree_left" | "bpf_rbtree_right" => {
                let ra = self.graph_root_arg(1, 0, RB_ROOT)?;
                null_after_root(self)?;
                if name == "bpf_rbtree_remove" {
                    self.graph_node_arg(2, 1, RB_NODE, &ra.root, true)?;
                } else {
                    self.graph_node_arg(2, 1, RB_NODE, &ra.root, true)?;
                }
                r0 = Self::graph_node_result(&ra.root);
                acquire = name == "bpf_rbtree_remove";
            }
            _ => return refuse(Errno::EFAULT, format!("verifier internal error: {name} is no graph kfunc")),
        }
        for r in 1..=5u8 {
            *self.cur.reg_mut(r) = Reg::NOT_INIT;
        }
        if r0.is_pointer() {
            let ret_null = k.flags & crate::bpf::protos::kfuncs::KF_RET_NULL != 0 && !owning_arg;
            if ret_null {
                r0.ty |= PTR_MAYBE_NULL;
                r0.id = self.new_id();
            }
            if acquire {
                let id = self.acquire_reference(pc);
                if ret_null {
                    r0.id = id;
                }
                r0.ref_obj_id = id;
            } else if !acquire && r0.ty & MEM_ALLOC != 0 {
                // first / front / back / root / left / right: a non-owning reference.
                r0.ty |= NON_OWN_REF;
                if self.local_record(r0.btf_id).is_some_and(|r| r.has_refcount()) {
                    r0.ty |= MEM_RCU;
                }
            }
            if r0.id == 0 && self.local_record(r0.btf_id).is_some_and(|r| r.field(FieldKind::SpinLock).is_some()) {
                r0.id = self.new_id();
            }
        }
        *self.cur.reg_mut(0) = r0;
        Ok(())
    }
}
