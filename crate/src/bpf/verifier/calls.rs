//! Calls and exits: helper arguments and results from the prototype table, kfunc arguments from
//! their C prototypes, annotations and `KF_*` flags, bpf-to-bpf calls with frames (depth 8, 512
//! bytes of stack over the chain), callbacks with the range their return must be in, and the
//! program's exit (references all released, r0 initialised).
//!
//! A synchronous callback (bpf_loop, bpf_for_each_map_elem, bpf_user_ringbuf_drain, bpf_find_vma,
//! a kfunc taking one) is called an unknown number of times, as Linux (6.7 on) verifies it: the
//! call queues a visit of the callback (a new frame over the caller as it is at the call) and the
//! caller goes on after the call; the callback's exit returns to the call, with what it wrote into
//! the caller's stack, and the call is checked again (queueing the next visit). The call is a
//! forced checkpoint where a state an unfinished one covers is pruned, which ends the iteration;
//! bpf_loop stops queueing at its count. An asynchronous callback (timers, workqueues) is walked
//! once, on its own.

use super::explore::Verifier;
use super::mem::Access;
use super::scalar::Scalar;
use super::state::*;
use super::{refuse, FieldKind, FuncArg, GlobalFunc, VResult};
use crate::bpf::isa::{AtomicOp, Callee, Op, Pseudo, Size};
use crate::bpf::mapdef::uapi;
use crate::bpf::protos::helpers::{helper, helper_name};
use crate::bpf::protos::kfuncs::{self, Kfunc};
use crate::bpf::protos::type_value;
use crate::errno::Errno;

// Base argument kinds.
const ARG_DONTCARE: u32 = 0;
const ARG_CONST_MAP_PTR: u32 = 1;
const ARG_PTR_TO_MAP_KEY: u32 = 2;
const ARG_PTR_TO_MAP_VALUE: u32 = 3;
const ARG_PTR_TO_MEM: u32 = 4;
const ARG_CONST_SIZE: u32 = 6;
const ARG_CONST_SIZE_OR_ZERO: u32 = 7;
const ARG_PTR_TO_CTX: u32 = 8;
const ARG_ANYTHING: u32 = 9;
const ARG_PTR_TO_SPIN_LOCK: u32 = 10;
const ARG_PTR_TO_SOCK_COMMON: u32 = 11;
const ARG_PTR_TO_SOCKET: u32 = 12;
const ARG_PTR_TO_BTF_ID: u32 = 13;
const ARG_PTR_TO_RINGBUF_MEM: u32 = 14;
const ARG_CONST_ALLOC_SIZE_OR_ZERO: u32 = 15;
const ARG_PTR_TO_BTF_ID_SOCK_COMMON: u32 = 16;
const ARG_PTR_TO_PERCPU_BTF_ID: u32 = 17;
const ARG_PTR_TO_FUNC: u32 = 18;
const ARG_PTR_TO_STACK: u32 = 19;
const ARG_PTR_TO_CONST_STR: u32 = 20;
const ARG_PTR_TO_TIMER: u32 = 21;
const ARG_KPTR_XCHG_DEST: u32 = 22;
const ARG_PTR_TO_DYNPTR: u32 = 23;

// Base return kinds.
const RET_INTEGER: u32 = 0;
const RET_VOID: u32 = 1;
const RET_PTR_TO_MAP_VALUE: u32 = 2;
const RET_PTR_TO_SOCKET: u32 = 3;
const RET_PTR_TO_TCP_SOCK: u32 = 4;
const RET_PTR_TO_SOCK_COMMON: u32 = 5;
const RET_PTR_TO_MEM: u32 = 6;
const RET_PTR_TO_MEM_OR_BTF_ID: u32 = 7;
const RET_PTR_TO_BTF_ID: u32 = 8;
const BPF_FUNC_KPTR_XCHG: i32 = 194;

const MAX_BPF_STACK_TOTAL: u32 = 512;
const BPF_FUNC_SNPRINTF: i32 = 165;
const BPF_FUNC_DYNPTR_FROM_MEM: i32 = 197;

/// The register types an argument kind accepts (`compatible_reg_types`), in the kernel's order:
/// the refusal lists them.
fn compatible(arg_base: u32) -> &'static [u32] {
    const MEM: &[u32] = &[
        PTR_TO_STACK,
        PTR_TO_PACKET,
        PTR_TO_PACKET_META,
        PTR_TO_MAP_KEY,
        PTR_TO_MAP_VALUE,
        PTR_TO_MEM,
        PTR_TO_MEM | MEM_RINGBUF,
        PTR_TO_BUF,
        PTR_TO_BTF_ID | PTR_TRUSTED,
    ];
    match arg_base {
        ARG_PTR_TO_MAP_KEY | ARG_PTR_TO_MAP_VALUE => MEM,
        ARG_CONST_SIZE | ARG_CONST_SIZE_OR_ZERO | ARG_CONST_ALLOC_SIZE_OR_ZERO => &[SCALAR],
        ARG_CONST_MAP_PTR => &[CONST_PTR_TO_MAP],
        ARG_PTR_TO_CTX => &[PTR_TO_CTX],
        ARG_PTR_TO_SOCK_COMMON => &[PTR_TO_SOCK_COMMON, PTR_TO_SOCKET, PTR_TO_TCP_SOCK, PTR_TO_XDP_SOCK],
        ARG_PTR_TO_BTF_ID_SOCK_COMMON => {
            &[PTR_TO_SOCK_COMMON, PTR_TO_SOCKET, PTR_TO_TCP_SOCK, PTR_TO_XDP_SOCK, PTR_TO_BTF_ID, PTR_TO_BTF_ID | PTR_TRUSTED]
        }
        ARG_PTR_TO_SOCKET => &[PTR_TO_SOCKET],
        ARG_PTR_TO_MEM => MEM,
        ARG_PTR_TO_RINGBUF_MEM => &[PTR_TO_MEM | MEM_RINGBUF],
        ARG_PTR_TO_FUNC => &[PTR_TO_FUNC],
        ARG_PTR_TO_STACK => &[PTR_TO_STACK],
        ARG_PTR_TO_CONST_STR => &[PTR_TO_MAP_VALUE],
        ARG_PTR_TO_DYNPTR => &[PTR_TO_STACK, CONST_PTR_TO_DYNPTR],
        ARG_PTR_TO_TIMER => &[PTR_TO_MAP_VALUE],
        ARG_KPTR_XCHG_DEST => &[PTR_TO_MAP_VALUE, PTR_TO_BTF_ID | MEM_ALLOC],
        ARG_PTR_TO_SPIN_LOCK => &[PTR_TO_MAP_VALUE, PTR_TO_BTF_ID | MEM_ALLOC],
        ARG_PTR_TO_BTF_ID => &[PTR_TO_BTF_ID, PTR_TO_BTF_ID | PTR_TRUSTED, PTR_TO_BTF_ID | MEM_RCU],
        ARG_PTR_TO_PERCPU_BTF_ID => &[PTR_TO_BTF_ID | MEM_PERCPU, PTR_TO_BTF_ID | MEM_PERCPU | MEM_RCU, PTR_TO_BTF_ID | MEM_PERCPU | PTR_TRUSTED],
        _ => &[],
    }
}

/// What argument checks learn for the checks after them and for the result.
#[derive(Default)]
struct Meta {
    map: Option<u32>,
    raw_mode: bool,
    mem_size: Option<u64>,
    ref_obj_id: u32,
    release_regno: u8,
    dynptr_kind: Option<DynptrKind>,
    dynptr_id: u32,
    dynptr_ref: u32,
    callback: Option<u32>,
    /// For an uninit memory argument: where and how much the helper writes.
    uninit_mem: Option<(u8, i32)>,
    release_dynptr: bool,
    dynptr_rdonly: bool,
    /// An array lookup's key, when the stack holds it as a known constant.
    const_key: Option<u64>,
    /// The map a timer argument points into.
    timer_map: Option<u32>,
    /// bpf_kptr_xchg's field (its destination).
    kptr_field: Option<super::SpecialField>,
    /// bpf_per_cpu_ptr / bpf_this_cpu_ptr: the per-CPU pointer argument.
    percpu_arg: Option<Reg>,
}

impl super::dynptr::DynptrMeta for Meta {
    fn set_dynptr(&mut self, kind: DynptrKind, id: u32, ref_obj_id: u32) {
        if self.dynptr_kind.is_none() {
            self.dynptr_kind = Some(kind);
            self.dynptr_id = id;
            self.dynptr_ref = ref_obj_id;
        }
    }
}

/// Helpers that take a reference to a new object (`is_acquire_function`).
fn acquires(id: i32) -> bool {
    matches!(id, 84 | 85 | 99 | 131)
}

/// `is_ptr_cast_function`: bpf_sk_fullsock, bpf_tcp_sock and the skc_to_* casts (but not
/// skc_to_unix_sock): their result is the argument seen as another type, so it carries the
/// argument's reference.
fn is_ptr_cast(id: i32) -> bool {
    matches!(id, 95 | 96 | 136 | 137 | 138 | 139 | 140 | 196)
}

/// Helpers that call a callback, and the range its return must be in.
fn callback_of(id: i32) -> Option<(i32, i32)> {
    match id {
        181 => Some((0, 1)), // bpf_loop
        164 => Some((0, 1)), // bpf_for_each_map_elem
        209 => Some((0, 1)), // bpf_user_ringbuf_drain
        180 => Some((0, 1)), // bpf_find_vma
        170 => Some((0, 0)), // bpf_timer_set_callback (asynchronous)
        _ => None,
    }
}

/// Helpers that call their callback before they return, any number of times
/// (`is_sync_callback_calling_function`).
pub(super) fn helper_calls_back(id: i32) -> bool {
    matches!(id, 164 | 180 | 181 | 209)
}

/// The seed's proposed `bpf_dynptr_iterator` helper id (the `seed-helpers` profile).
const SEED_ITERATOR_HELPER: i32 = 221;

/// Kfuncs whose callback runs later, on its own (a workqueue's, a task work's).
fn kfunc_async_callback(name: &str) -> bool {
    name == "bpf_wq_set_callback_impl" || name.starts_with("bpf_task_work_schedule")
}

impl Verifier<'_> {
    // ---------------------------------------------------------------------------------------
    // Helpers

    pub(super) fn check_helper_call(&mut self, pc: usize, id: i32) -> VResult<()> {
        if let Some(k) = kfuncs::seed_helper(i64::from(id)).filter(|_| self.opts.seed_helpers) {
            self.note_call(pc, super::CallFactee::Helper(id), None);
            return self.check_kfunc(pc, k);
        }
        let name = helper_name(id).unwrap_or("unknown");
        let Some(h) = helper(id as i64) else {
            return refuse(Errno::EINVAL, format!("invalid func unknown#{id}"));
        };
        // A declared struct_ops-like type gets the base helpers, with the socket filter's prototypes.
        let declared = self.prog_type() == crate::bpf::elf::ProgKind::StructOps && self.opts.ctx_layout.is_some();
        let proto_type = if declared && crate::bpf::protos::helpers::base_helper(i64::from(id)) { crate::bpf::elf::ProgKind::SocketFilter } else { self.prog_type() };
        let Some(proto) = h.proto_for(proto_type.prog_type()).filter(|_| self.opts.caps.allow(h.cap)) else {
            return refuse(Errno::EINVAL, format!("program of this type cannot use helper {name}#{id}"));
        };
        if !self.opts.gpl && h.gpl_only_for(self.prog_type().prog_type()) {
            return refuse(Errno::EINVAL, crate::bpf::protos::policy::GPL_HELPER_REFUSAL);
        }
        if proto.might_sleep && !self.cur.in_sleepable {
            return refuse(Errno::EINVAL, "helper call might sleep in a non-sleepable prog");
        }
        let mut meta = Meta::default();
        for (i, spelling) in proto.args.iter().enumerate() {
            let arg = type_value(spelling).unwrap_or(0);
            self.check_func_arg(pc, id, i, arg, proto.args, proto.fixed_size(i), &mut meta)?;
        }
        self.note_call(pc, super::CallFactee::Helper(id), meta.map);
        if let Some(map) = meta.map {
            let m = &self.input.maps[map as usize];
            // `record_func_map`: a map the program may only read is not changed by a helper.
            let rdonly = m.map_flags & crate::bpf::elf::BPF_F_RDONLY_PROG != 0 || m.rdonly_value.is_some();
            if rdonly && matches!(id, 2 | 3 | 87 | 88) {
                return refuse(Errno::EACCES, "write into map forbidden");
            }
            let t = m.map_type;
            if id == 12 && t != 3 {
                return refuse(Errno::EINVAL, "expected prog array map for tail call");
            }
            if id == 12 {
                self.record_tail_call_map(pc, map);
                // `record_func_key`: a constant index within the array is relied on exactly.
                let (key, max) = (*self.cur.reg(3), self.input.maps[map as usize].max_entries as u64);
                if key.is_const().is_some_and(|v| v < max) {
                    self.mark_chain_precision(3)?;
                }
            }
            // for_each_map_elem's callback is set up (`set_map_elem_callback_state`) before the
            // map's compatibility with the helper is checked: a map it cannot iterate fails first.
            if id == 164 && !matches!(t, 1 | 2 | 5 | 6 | 9 | 10) { // hash, array, their per-CPU and LRU kinds
                return refuse(Errno::ENOTSUPP, "callback function not allowed for map");
            }
            if !map_func_compatible(t, id) {
                return refuse(Errno::EINVAL, format!("cannot pass map_type {t} into func {name}#{id}"));
            }
        }
        if id == BPF_FUNC_SNPRINTF {
            self.check_snprintf_call(pc)?;
        }
        if id == BPF_FUNC_DYNPTR_FROM_MEM && self.cur.reg(1).ty != PTR_TO_MAP_VALUE {
            return refuse(Errno::EACCES, format!("Unsupported reg type {} for bpf_dynptr_from_mem data", type_name(self.cur.reg(1).ty)));
        }
        // The bytes an ARG_PTR_TO_UNINIT_MEM argument names are written by the helper.
        if let Some((regno, size)) = meta.uninit_mem {
            let r = *self.cur.reg(regno);
            if r.ty == PTR_TO_STACK {
                for off in 0..size {
                    self.store_imm = Some(1);
                    let res = self.check_mem(pc, regno, off, Size::B, true, None, false);
                    self.store_imm = None;
                    res?;
                }
            }
        }
        // Releasing: everything carrying the reference dies with it.
        if meta.release_regno != 0 {
            let r = *self.cur.reg(meta.release_regno);
            if meta.release_dynptr {
                self.unmark_dynptr(meta.release_regno)?;
            } else if id == BPF_FUNC_KPTR_XCHG && r.ref_obj_id != 0 {
                self.kptr_xchg_release(r.ref_obj_id)?;
            } else if r.ref_obj_id != 0 {
                self.release_reference(r.ref_obj_id)?;
            }
        }
        if id == 12 {
            self.check_resource_leak(false, true, "tail_call")?;
        }
        if let Some((lo, hi)) = callback_of(id) {
            let sub = meta.callback.unwrap_or(0);
            let depth = u64::from(self.cur.cur().callback_depth);
            if id == 181 && !self.cur.reg(1).is_scalar() {
                // bpf_loop's count (ARG_ANYTHING) is marked precise: the kernel's backtracking
                // trips over a pointer there.
                return refuse(Errno::EFAULT, "verifier bug: backtracking misuse");
            }
            if id == 181 {
                // The inlining check reads the flags (`loop_flag_is_zero`); whether the
                // iteration is finished depends on the count. Both precise, in that order.
                if self.cur.reg(4).is_null() {
                    self.mark_chain_precision(4)?;
                }
                self.mark_chain_precision(1)?;
            }
            if id == 181 && depth >= self.cur.reg(1).var.umax {
                // bpf_loop: as many visits of the callback queued as its count can be.
                self.cur.cur_mut().callback_depth = 0;
                if self.log.level2() {
                    self.log.line(&format!("frame{} bpf_loop iteration limit reached", self.cur.curframe()));
                }
            } else {
                self.push_callback(pc, id, sub, lo, hi)?;
            }
        }
        // r1-r5 are clobbered; r0 is the result.
        for r in 1..=5u8 {
            *self.cur.reg_mut(r) = Reg::NOT_INIT;
        }
        let (ret_base, ret_flags) = {
            let v = type_value(proto.ret).unwrap_or(0);
            (v & 0xff, v & !0xff)
        };
        let mut r0 = match ret_base {
            RET_INTEGER => Reg::unknown(),
            RET_VOID => Reg::NOT_INIT,
            RET_PTR_TO_MAP_VALUE => {
                let Some(map) = meta.map else {
                    return refuse(Errno::EINVAL, format!("kernel subsystem misconfigured verifier"));
                };
                let m = &self.input.maps[map as usize];
                if matches!(m.map_type, uapi::SOCKMAP | uapi::SOCKHASH) {
                    // Socket maps hold sockets: the lookup is a (referenced) socket or NULL.
                    Reg::ptr(PTR_TO_SOCKET | (ret_flags & PTR_MAYBE_NULL))
                } else if m.map_type == uapi::XSKMAP {
                    Reg::ptr(PTR_TO_XDP_SOCK | (ret_flags & PTR_MAYBE_NULL))
                } else if matches!(m.map_type, 12 | 13) {
                    // A map of maps gives the inner map (its template stands for every slot).
                    let mut r = Reg::ptr(CONST_PTR_TO_MAP | (ret_flags & PTR_MAYBE_NULL));
                    r.map = m.inner.unwrap_or(map);
                    r
                } else {
                    // An array lookup with a constant key inside the array cannot fail.
                    let in_range = id == 1 && meta.const_key.is_some_and(|k| k < u64::from(m.max_entries));
                    let flags = if in_range { 0 } else { ret_flags & PTR_MAYBE_NULL };
                    let mut r = Reg::ptr(PTR_TO_MAP_VALUE | flags);
                    r.map = map;
                    // A value never NULL still gets an id when it holds a lock: the lock's identity.
                    if in_range && m.fields.iter().any(|f| f.kind == FieldKind::SpinLock) {
                        r.id = self.new_id();
                    }
                    r
                }
            }
            RET_PTR_TO_SOCKET => Reg::ptr(PTR_TO_SOCKET | (ret_flags & PTR_MAYBE_NULL)),
            RET_PTR_TO_TCP_SOCK => Reg::ptr(PTR_TO_TCP_SOCK | (ret_flags & PTR_MAYBE_NULL)),
            RET_PTR_TO_SOCK_COMMON => Reg::ptr(PTR_TO_SOCK_COMMON | (ret_flags & PTR_MAYBE_NULL)),
            RET_PTR_TO_MEM => {
                let mut r = Reg::ptr(PTR_TO_MEM | (ret_flags & (PTR_MAYBE_NULL | MEM_RINGBUF | MEM_RDONLY)));
                r.mem_size = meta.mem_size.unwrap_or(0) as u32;
                if id == 203 {
                    // bpf_dynptr_data: rdonly when the dynptr is; dies with it.
                    r.parent_id = meta.dynptr_id;
                    r.dynptr = meta.dynptr_kind.unwrap_or(DynptrKind::Invalid);
                    r.ref_obj_id = meta.dynptr_ref;
                }
                r
            }
            RET_PTR_TO_BTF_ID if id == BPF_FUNC_KPTR_XCHG && meta.kptr_field.is_some() => {
                let f = meta.kptr_field.expect("checked");
                self.kptr_xchg_result(pc, &f)
            }
            RET_PTR_TO_BTF_ID => Reg {
                btf_struct: crate::bpf::protos::helpers::ret_struct(i64::from(id)),
                ..Reg::ptr(PTR_TO_BTF_ID | (ret_flags & (PTR_MAYBE_NULL | PTR_TRUSTED)))
            },
            RET_PTR_TO_MEM_OR_BTF_ID if meta.percpu_arg.is_some() => {
                let arg = meta.percpu_arg.unwrap_or(Reg::NOT_INIT);
                self.percpu_obj_copy(&arg).unwrap_or_else(|| {
                    let mut r = Reg::ptr(PTR_TO_BTF_ID | (ret_flags & PTR_MAYBE_NULL));
                    r.btf_id = arg.btf_id;
                    r.btf_struct = arg.btf_struct;
                    r
                })
            }
            _ => Reg::unknown(),
        };
        // (bpf_kptr_xchg's result is its reference's: a NULL check releases it.)
        if r0.maybe_null() && id != BPF_FUNC_KPTR_XCHG {
            r0.id = self.new_id();
        }
        let socket_lookup =
            id == 1 && meta.map.is_some_and(|m| matches!(self.input.maps[m as usize].map_type, uapi::SOCKMAP | uapi::SOCKHASH));
        if is_ptr_cast(id) {
            // A cast of a referenced socket carries its reference: released with it (and it
            // may itself be released).
            r0.ref_obj_id = meta.ref_obj_id;
        } else if acquires(id) || socket_lookup {
            let rid = self.acquire_reference(pc);
            r0.id = rid;
            r0.ref_obj_id = rid;
        }
        if ret_base == RET_INTEGER {
            self.refine_retval(id, &mut r0);
        }
        *self.cur.reg_mut(0) = r0;
        // Writing through an skb dynptr may move the packet (it can pull non-linear data in).
        let skb_write = id == 202 && meta.dynptr_kind == Some(DynptrKind::Skb);
        if h.changes_pkt_data || skb_write {
            self.clear_pkt_pointers();
        }
        Ok(())
    }

    /// `do_refine_retval_range`: helpers whose result range the kernel knows.
    fn refine_retval(&self, id: i32, r0: &mut Reg) {
        if id == 8 {
            // bpf_get_smp_processor_id: below the CPU count.
            let mut v = Scalar::unknown();
            (v.umin, v.umax, v.smin, v.smax) = (0, u64::from(self.opts.nr_cpus - 1), 0, i64::from(self.opts.nr_cpus - 1));
            (v.u32min, v.u32max, v.s32min, v.s32max) = (0, self.opts.nr_cpus - 1, 0, (self.opts.nr_cpus - 1) as i32);
            v.sync();
            r0.var = v;
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[allow(clippy::too_many_arguments)]
    fn check_func_arg(
        &mut self,
        pc: usize,
        func: i32,
        i: usize,
        arg: u32,
        all: &[&str],
        fixed: Option<u32>,
        meta: &mut Meta,
    ) -> VResult<()> {
        let regno = (i + 1) as u8;
        let base_arg = arg & 0xff;
        if base_arg == ARG_DONTCARE {
            return Ok(());
        }
        self.check_reg_read(regno)?;
        let reg = *self.cur.reg(regno);
        if base_arg == ARG_ANYTHING {
            if self.is_pointer_value(regno) {
                return refuse(Errno::EACCES, format!("R{regno} leaks addr into helper function"));
            }
            return Ok(());
        }
        if reg.is_pkt() && !self.may_read_pkt_in_helper(func) {
            return refuse(Errno::EACCES, "helper access to the packet is not allowed");
        }
        // A socket map's value is a socket (`resolve_map_arg_type`).
        let mut arg = arg;
        let mut base_arg = base_arg;
        if base_arg == ARG_PTR_TO_MAP_VALUE {
            let Some(map) = meta.map else { return refuse(Errno::EACCES, "invalid map_ptr to access map->type") };
            if matches!(self.input.maps[map as usize].map_type, uapi::SOCKMAP | uapi::SOCKHASH) {
                if arg != ARG_PTR_TO_MAP_VALUE {
                    return refuse(Errno::EINVAL, "invalid arg_type for sockmap/sockhash");
                }
                arg = ARG_PTR_TO_BTF_ID_SOCK_COMMON;
                base_arg = arg;
            }
        }
        let null_ok = reg.is_null() && arg & PTR_MAYBE_NULL != 0;
        if null_ok {
            // NULL passes only because the scalar is known zero.
            self.mark_chain_precision(regno)?;
        }
        if !null_ok {
            // Local objects are bpf_kptr_xchg's source as the kernel pointers it takes.
            let kptr_src = func == BPF_FUNC_KPTR_XCHG && regno == 2 && reg.ty & MEM_ALLOC != 0 && base(reg.ty) == PTR_TO_BTF_ID;
            self.check_reg_type(regno, &reg, arg, if kptr_src { MEM_ALLOC | MEM_PERCPU } else { 0 })?;
            if let (BPF_FUNC_KPTR_XCHG, 2, Some(f)) = (func, regno, meta.kptr_field) {
                self.kptr_xchg_src(regno, &reg, &f)?;
            }
            self.check_arg_reg_off(regno, &reg, arg)?;
        }
        if arg & OBJ_RELEASE != 0 {
            if base_arg == ARG_PTR_TO_DYNPTR {
                if reg.ty == PTR_TO_STACK {
                    let ok = self.dynptr_spi(&reg).ok().map(|spi| self.cur.frames[reg.frameno as usize].stack[spi].spilled.ref_obj_id != 0);
                    if ok != Some(true) {
                        return refuse(Errno::EINVAL, format!("arg {regno} is an unacquired reference"));
                    }
                } else {
                    return refuse(Errno::EINVAL, "cannot release unowned const bpf_dynptr");
                }
            } else if reg.ref_obj_id == 0 && !reg.is_null() {
                return refuse(Errno::EINVAL, format!("R{regno} must be referenced when passed to release function"));
            }
            meta.release_regno = regno;
            meta.release_dynptr = base_arg == ARG_PTR_TO_DYNPTR;
        }
        if reg.ref_obj_id != 0 && base_arg != ARG_KPTR_XCHG_DEST {
            if meta.ref_obj_id != 0 {
                return refuse(
                    Errno::EFAULT,
                    format!("verifier internal error: more than one arg with ref_obj_id R{regno} {} {}", reg.ref_obj_id, meta.ref_obj_id),
                );
            }
            meta.ref_obj_id = reg.ref_obj_id;
        }
        match base_arg {
            ARG_CONST_MAP_PTR => {
                // A timer's map must be the map the timer lives in (the timer argument came first).
                if let Some(timer_map) = meta.timer_map {
                    if timer_map != reg.map {
                        return refuse(Errno::EINVAL, "timer pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0");
                    }
                }
                meta.map = Some(reg.map)
            }
            ARG_PTR_TO_SPIN_LOCK => {
                self.check_field_arg(regno, &reg, FieldKind::SpinLock)?;
                // After the lock's place is checked: an unlock needs a lock held.
                if func == 94 && self.cur.active_lock == 0 {
                    return refuse(Errno::EINVAL, "bpf_spin_unlock without taking a lock");
                }
                // A lock is its map value: the map and the value's id (one per lookup); or its
                // allocated object, by the object's id.
                let lock_map = if reg.ty & MEM_ALLOC != 0 { super::graph::ALLOC_LOCK } else { reg.map };
                if func == 94 && (self.cur.lock_map, self.cur.lock_id) != (lock_map, reg.id) {
                    return refuse(Errno::EINVAL, "bpf_spin_unlock of different lock");
                }
                if func == 93 {
                    (self.cur.lock_map, self.cur.lock_id) = (lock_map, reg.id);
                    self.cur.lock_seq = self.id_gen;
                }
            }
            ARG_PTR_TO_TIMER => {
                self.check_field_arg(regno, &reg, FieldKind::Timer)?;
                meta.timer_map = Some(reg.map);
            }
            ARG_KPTR_XCHG_DEST => meta.kptr_field = Some(self.kptr_xchg_dest(regno, &reg)?),
            ARG_PTR_TO_PERCPU_BTF_ID => {
                self.percpu_btf_arg(regno, &reg)?;
                meta.percpu_arg = Some(reg);
            }
            ARG_PTR_TO_MAP_KEY => {
                let Some(map) = meta.map else { return refuse(Errno::EACCES, "invalid map_ptr to access map->key") };
                let ks = self.input.maps[map as usize].key_size as i32;
                self.check_helper_mem(regno, ks, false, false)?;
                if matches!(self.input.maps[map as usize].map_type, 2 | 6) {
                    meta.const_key = self.constant_map_key(&reg, ks as usize)?;
                }
            }
            ARG_PTR_TO_MAP_VALUE => {
                if null_ok {
                    return Ok(());
                }
                let Some(map) = meta.map else { return refuse(Errno::EACCES, "invalid map_ptr to access map->value") };
                let vs = self.input.maps[map as usize].value_size as i32;
                let write = arg & MEM_WRITE != 0;
                self.check_helper_mem(regno, vs, write, false)?;
                if arg & MEM_UNINIT != 0 {
                    meta.uninit_mem = Some((regno, vs));
                }
            }
            ARG_PTR_TO_MEM => {
                meta.raw_mode = arg & MEM_UNINIT != 0;
                if arg & MEM_FIXED_SIZE != 0 && !null_ok {
                    let size = fixed.unwrap_or(0) as i32;
                    if arg & MEM_UNINIT != 0 && reg.ty == PTR_TO_STACK {
                        self.check_stack_bounds(regno, &reg, reg.off, size, Access::Helper, true)?;
                        self.check_raw_write_over_dynptr(&reg, size)?;
                    }
                    self.check_helper_mem(regno, size, arg & MEM_WRITE != 0, false)?;
                    if arg & MEM_ALIGNED != 0 {
                        self.check_strict_alignment(&reg, 0, size)?;
                    }
                    if arg & MEM_UNINIT != 0 {
                        meta.uninit_mem = Some((regno, size));
                    }
                }
            }
            ARG_CONST_SIZE | ARG_CONST_SIZE_OR_ZERO => {
                let zero_ok = base_arg == ARG_CONST_SIZE_OR_ZERO;
                let prev = type_value(all[i - 1]).unwrap_or(0);
                self.check_mem_size_reg(regno, &reg, prev & MEM_WRITE != 0, zero_ok, meta)?;
            }
            ARG_CONST_ALLOC_SIZE_OR_ZERO => {
                let Some(v) = reg.var.is_const() else {
                    return refuse(Errno::EACCES, format!("R{regno} is not a known constant'"));
                };
                meta.mem_size = Some(v);
                self.mark_chain_precision(regno)?;
            }
            ARG_PTR_TO_DYNPTR => {
                self.process_dynptr_arg(pc, regno, arg, meta, 0)?;
            }
            ARG_PTR_TO_FUNC => meta.callback = Some(reg.subprog),
            ARG_PTR_TO_CONST_STR => {
                // `check_reg_const_str`: a zero-terminated string at a known place in a frozen
                // read-only map. (The kernel's lines end in a stray quote.)
                let m = &self.input.maps[reg.map as usize];
                let Some(bytes) = m.rdonly_value.clone() else {
                    return refuse(Errno::EACCES, format!("R{regno} does not point to a readonly map'"));
                };
                let Some(var) = reg.var.is_const() else {
                    return refuse(Errno::EACCES, format!("R{regno} is not a constant address'"));
                };
                let vs = m.value_size as i32;
                self.check_region(regno, &reg, reg.off, vs - reg.off, m.value_size, false)?;
                let start = (reg.off as i64 + var as i64).clamp(0, bytes.len() as i64) as usize;
                if !bytes[start..].contains(&0) {
                    return refuse(Errno::EINVAL, "string is not zero-terminated");
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn may_read_pkt_in_helper(&self, func: i32) -> bool {
        // `meta->pkt_access` of the prototypes that take packet memory.
        matches!(func, 1 | 2 | 3 | 28 | 84 | 85 | 87 | 99 | 100 | 110 | 195 | 204 | 205 | 206 | 207)
            && matches!(
                self.prog_type(),
                crate::bpf::elf::ProgKind::Xdp | crate::bpf::elf::ProgKind::SchedCls | crate::bpf::elf::ProgKind::SchedAct
            )
    }

    /// `get_constant_map_key`: the key a stack pointer points to, when the stack knows it: zero
    /// bytes covering the key, or a spilled constant of exactly the key's size.
    /// A spilled constant is relied on: its slot is marked precise.
    fn constant_map_key(&mut self, key: &Reg, key_size: usize) -> VResult<Option<u64>> {
        if !self.bpf_capable || key.ty != PTR_TO_STACK {
            return Ok(None);
        }
        let Some(v) = key.var.is_const() else { return Ok(None) };
        let stack_off = key.off as i64 + v as i64;
        let slot = (-stack_off - 1) as usize;
        let (spi, off) = (slot / 8, slot % 8);
        let Some(st) = self.cur.frames.get(key.frameno as usize).and_then(|f| f.stack.get(spi)).copied() else { return Ok(None) };
        let zeros = (0..=off).rev().take_while(|&i| st.bytes[i] == SlotByte::Zero).count();
        if zeros >= key_size {
            return Ok(Some(0));
        }
        if !st.is_spill() || st.spilled.ty != SCALAR {
            return Ok(None);
        }
        let spill = (0..=off).rev().take_while(|&i| st.bytes[i] == SlotByte::Spill).count();
        if spill != key_size {
            return Ok(None);
        }
        let Some(k) = st.spilled.var.is_const() else { return Ok(None) };
        let mut bt = super::precision::Backtrack::new(self.cur.curframe());
        bt.set_slot(key.frameno as usize, spi);
        self.mark_chain_batch(bt)?;
        Ok(Some(k))
    }

    /// `check_reg_type`.
    /// A bpf_spin_lock or bpf_timer argument (`process_spin_lock`, `process_timer_func`): a map
    /// value pointer at a constant offset, exactly at the map's one field of that kind.
    fn check_field_arg(&self, regno: u8, reg: &Reg, kind: FieldKind) -> VResult<()> {
        let what = kind.name();
        let Some(val) = reg.var.is_const() else {
            return refuse(Errno::EINVAL, format!("R{regno} doesn't have constant offset. {what} has to be at the constant offset"));
        };
        if base(reg.ty) == PTR_TO_BTF_ID && reg.ty & MEM_ALLOC != 0 && kind == FieldKind::SpinLock {
            return self.check_alloc_lock_arg(regno, reg);
        }
        if base(reg.ty) != PTR_TO_MAP_VALUE {
            return Ok(());
        }
        let m = &self.input.maps[reg.map as usize];
        if !m.has_btf {
            return refuse(Errno::EINVAL, format!("map '{}' has to have BTF in order to use {what}", m.name));
        }
        let Some(f) = m.field(kind) else {
            return refuse(Errno::EINVAL, format!("map '{}' has no valid {what}", m.name));
        };
        let at = val as i64 + reg.off as i64;
        if at != f.off as i64 {
            return refuse(Errno::EINVAL, format!("off {at} doesn't point to 'struct {what}' that is at {}", f.off));
        }
        Ok(())
    }

    /// `check_reg_type`; `strip`: flags not compared (bpf_kptr_xchg's local source).
    fn check_reg_type(&self, regno: u8, reg: &Reg, arg: u32, strip: u32) -> VResult<()> {
        let list = compatible(arg & 0xff);
        let mut ty = reg.ty & !strip;
        if arg & 0xff == ARG_PTR_TO_MEM {
            ty &= !DYNPTR_TYPE_MASK;
        }
        if arg & MEM_RDONLY != 0 {
            ty &= !MEM_RDONLY;
        }
        if arg & PTR_MAYBE_NULL != 0 {
            ty &= !PTR_MAYBE_NULL;
        }
        if list.is_empty() || list.contains(&ty) {
            return Ok(());
        }
        let names: Vec<String> = list.iter().map(|&t| type_name(t)).collect();
        refuse(Errno::EACCES, format!("R{regno} type={} expected={}", type_name(reg.ty), names.join(", ")))
    }

    /// `check_func_arg_reg_off`.
    fn check_arg_reg_off(&self, regno: u8, reg: &Reg, arg: u32) -> VResult<()> {
        if arg & OBJ_RELEASE != 0 && arg & 0xff != ARG_PTR_TO_DYNPTR {
            if reg.off != 0 {
                return refuse(
                    Errno::EINVAL,
                    format!("R{regno} must have zero offset when passed to release func or trusted arg to kfunc"),
                );
            }
            return self.check_ptr_off_reg(reg, regno, false);
        }
        match reg.ty {
            PTR_TO_STACK | PTR_TO_PACKET | PTR_TO_PACKET_META | PTR_TO_MAP_KEY | PTR_TO_MAP_VALUE | PTR_TO_MEM => Ok(()),
            t if t == PTR_TO_MEM | MEM_RDONLY || t == PTR_TO_MEM | MEM_RINGBUF || t == SCALAR => Ok(()),
            t if base(t) == PTR_TO_BTF_ID => Ok(()),
            CONST_PTR_TO_DYNPTR => Ok(()),
            _ => self.check_ptr_off_reg(reg, regno, false),
        }
    }

    /// `check_mem_size_reg`: the size argument after a memory argument.
    fn check_mem_size_reg(&mut self, regno: u8, reg: &Reg, write: bool, zero_ok: bool, meta: &mut Meta) -> VResult<()> {
        self.check_mem_size_unmarked(regno, reg, write, zero_ok, meta)?;
        // The access was checked against the size's bounds: they are relied on.
        if self.cur.reg(regno).is_scalar() {
            self.mark_chain_precision(regno)?;
        }
        Ok(())
    }

    fn check_mem_size_unmarked(&mut self, regno: u8, reg: &Reg, write: bool, zero_ok: bool, meta: &mut Meta) -> VResult<()> {
        let raw = meta.raw_mode && reg.var.is_const().is_some();
        if reg.var.smin < 0 {
            return refuse(Errno::EACCES, format!("R{regno} min value is negative, either use unsigned or 'var &= const'"));
        }
        if reg.var.umin == 0 && !zero_ok {
            return refuse(
                Errno::EACCES,
                format!("R{regno} invalid zero-sized read: u64=[{},{}]", reg.var.umin as i64, reg.var.umax as i64),
            );
        }
        if reg.var.umax >= super::alu::MAX_VAR_SIZ {
            return refuse(Errno::EACCES, format!("R{regno} unbounded memory access, use 'var &= const' or 'if (var < const)'"));
        }
        let mem = regno - 1;
        let size = reg.var.umax as i32;
        let m = *self.cur.reg(mem);
        if raw && m.ty == PTR_TO_STACK {
            // The helper writes these bytes: only the bounds are checked.
            if size == 0 && !zero_ok {
                return refuse(Errno::EACCES, "invalid zero-sized read");
            }
            self.check_stack_bounds(mem, &m, m.off, size, Access::Helper, true)?;
            self.check_raw_write_over_dynptr(&m, size)?;
            meta.uninit_mem = Some((mem, size));
            return Ok(());
        }
        if m.is_null() && zero_ok && size == 0 {
            return Ok(());
        }
        self.check_helper_mem(mem, size, write, zero_ok)
    }

    /// `check_bpf_snprintf_call`: the data is whole u64s, and the format (a constant string,
    /// the argument check made sure) has no more conversions than it and only those
    /// bpf_snprintf knows. A data size that is not whole u64s is refused without a line: the
    /// log's last line is then the call itself.
    fn check_snprintf_call(&mut self, pc: usize) -> VResult<()> {
        let (fmt, len) = (*self.cur.reg(3), *self.cur.reg(5));
        if len.var.var_off.value % 8 != 0 {
            return refuse(Errno::EINVAL, self.insn_line(pc));
        }
        let num_args = len.var.var_off.value / 8;
        let Some(bytes) = self.input.maps.get(fmt.map as usize).and_then(|m| m.rdonly_value.as_ref()) else { return Ok(()) };
        let start = ((fmt.off as i64 + fmt.var.var_off.value as i64).max(0) as usize).min(bytes.len());
        if !bprintf_format_ok(&bytes[start..], num_args) {
            return refuse(Errno::EINVAL, "Invalid format string");
        }
        Ok(())
    }

    /// A kfunc's memory argument and the size after it (`check_kfunc_mem_size_reg`): the size
    /// bounded, and the memory readable and then writable for all of it (a NULL one counts as
    /// not NULL here; an optional NULL one is not checked).
    fn check_kfunc_mem_size_pair(&mut self, mem: u8) -> VResult<()> {
        let size_regno = mem + 1;
        let size = *self.cur.reg(size_regno);
        let saved = *self.cur.reg(mem);
        if saved.maybe_null() {
            self.cur.reg_mut(mem).ty &= !PTR_MAYBE_NULL;
        }
        // The helpers' size check, once as a read and once as a write (zero allowed).
        let out = self
            .check_mem_size_reg(size_regno, &size, false, true, &mut Meta::default())
            .and_then(|()| self.check_mem_size_reg(size_regno, &size, true, true, &mut Meta::default()));
        *self.cur.reg_mut(mem) = saved;
        out
    }

    // ---------------------------------------------------------------------------------------
    // References

    pub(super) fn acquire_reference(&mut self, pc: usize) -> u32 {
        let id = self.new_id();
        self.cur.refs.push(RefState { id, insn: pc, kind: RefKind::Ptr });
        id
    }

    /// Releases a reference: every register and spill carrying it becomes unusable.
    pub(super) fn release_reference(&mut self, ref_obj_id: u32) -> VResult<()> {
        let before = self.cur.refs.len();
        self.cur.refs.retain(|r| r.id != ref_obj_id);
        if self.cur.refs.len() == before {
            return refuse(Errno::EINVAL, format!("verifier internal error: reference id={ref_obj_id} not found"));
        }
        let leaks = self.allow_ptr_leaks;
        self.cur.for_each_reg(|r| {
            if r.ref_obj_id == ref_obj_id && r.ty != CONST_PTR_TO_DYNPTR {
                *r = if leaks { Reg::unknown() } else { Reg::NOT_INIT };
            }
        });
        Ok(())
    }

    /// Packet-changing helpers and kfuncs: every packet pointer (and packet dynptr slice) dies.
    pub(super) fn clear_pkt_pointers(&mut self) {
        let leaks = self.allow_ptr_leaks;
        self.cur.for_each_reg(|r| {
            let slice = base(r.ty) == PTR_TO_MEM && r.dynptr.is_packet() && r.parent_id != 0;
            if matches!(r.ty, PTR_TO_PACKET | PTR_TO_PACKET_META | PTR_TO_PACKET_END) || slice {
                *r = if leaks { Reg::unknown() } else { Reg::NOT_INIT };
            }
        });
    }

    /// `check_resource_leak`: at an exit of the main program, a tail call or a legacy packet
    /// load, nothing may be held. Each leaked reference is logged before the refusal.
    pub(super) fn check_resource_leak(&mut self, exception_exit: bool, check_lock: bool, prefix: &str) -> VResult<()> {
        if check_lock && self.cur.active_lock > 0 {
            return refuse(Errno::EINVAL, format!("{prefix} cannot be used inside bpf_spin_lock-ed region"));
        }
        // `check_reference_leak` looks only from the main frame (or an asynchronous callback,
        // frame 0 of its own walk): in a subprogram the caller may still release them.
        let main_frame = self.cur.curframe() == 0 || self.cur.cur().async_cb;
        let leaked: Vec<RefState> = if exception_exit || main_frame {
            self.cur.refs.iter().filter(|r| r.kind == RefKind::Ptr).copied().collect()
        } else {
            Vec::new()
        };
        if !leaked.is_empty() {
            for r in &leaked {
                self.log.line(&format!("Unreleased reference id={} alloc_insn={}", r.id, r.insn));
            }
            return refuse(Errno::EINVAL, format!("{prefix} would lead to reference leak"));
        }
        if check_lock && self.cur.refs.iter().any(|r| r.kind == RefKind::Irq) {
            return refuse(Errno::EINVAL, format!("{prefix} cannot be used inside bpf_local_irq_save-ed region"));
        }
        if check_lock && self.cur.active_rcu > 0 {
            return refuse(Errno::EINVAL, format!("{prefix} cannot be used inside bpf_rcu_read_lock-ed region"));
        }
        if check_lock && self.cur.active_preempt > 0 {
            return refuse(Errno::EINVAL, format!("{prefix} cannot be used inside bpf_preempt_disable-ed region"));
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Exceptions (bpf_throw)

    /// Whether kfunc slot `imm` is bpf_throw.
    pub(super) fn is_throw(&self, imm: i32) -> bool {
        self.input.kfuncs.get(imm as usize).and_then(|k| k.as_ref()).is_some_and(|k| k.name == "bpf_throw")
    }

    /// A bpf_throw (its argument already checked): the program ends here, from whatever frame,
    /// so the path ends. Nothing may be held, in any frame: no reference (they are not released
    /// for the program), no RCU read lock, no disabled preemption. Return values are not checked:
    /// the exception callback gives the program's.
    pub(super) fn check_throw(&mut self, pc: usize) -> VResult<Option<usize>> {
        self.check_resource_leak(true, true, "bpf_throw")?;
        if self.throw_in_callback.is_none() {
            let in_callback = self.in_exception_cb || self.cur.frames.iter().any(|f| f.callback.is_some());
            if in_callback {
                let sub = self.info.subprogs.iter().rposition(|&s| s <= pc).unwrap_or(0);
                self.throw_in_callback = Some((pc, sub));
            }
        }
        Ok(None)
    }

    /// After the walk (the kernel's stack-depth pass): a callback may not throw, directly or
    /// from a subprogram it calls.
    pub(super) fn check_throw_sites(&self) -> VResult<()> {
        if let Some(cb) = self.input.global_funcs.iter().find(|g| g.exception_cb) {
            let target = |pc: usize| match self.ops[pc] {
                Op::Call(Callee::Local(imm)) if !self.info.second_half[pc] => Some((pc as i64 + 1 + imm as i64) as usize),
                _ => None,
            };
            if let Some(pc) = (0..self.ops.len()).find(|&pc| target(pc) == Some(cb.start)) {
                return refuse(Errno::EINVAL, format!("insn {pc} cannot call exception cb directly"));
            }
            // Its own instructions: a tail call makes the callback tail-call reachable.
            let sub = self.subprog_index(cb.start).unwrap_or(0);
            let end = self.info.subprogs.get(sub + 1).copied().unwrap_or(self.ops.len());
            if (cb.start..end).any(|pc| !self.info.second_half[pc] && self.ops[pc] == Op::Call(Callee::Helper(12))) {
                return refuse(Errno::EINVAL, "cannot tail call within exception cb");
            }
        }
        match self.throw_in_callback {
            Some((pc, sub)) => refuse(Errno::EINVAL, format!("bpf_throw kfunc (insn {pc}) cannot be called from callback subprog {sub}")),
            None => Ok(()),
        }
    }

    // ---------------------------------------------------------------------------------------
    // bpf-to-bpf calls, callbacks and exits

    fn subprog_index(&self, start: usize) -> Option<usize> {
        self.info.subprogs.iter().position(|&s| s == start)
    }

    pub(super) fn check_subprog_call(&mut self, pc: usize) -> VResult<usize> {
        let Op::Call(crate::bpf::isa::Callee::Local(imm)) = self.ops[pc] else { unreachable!("a local call") };
        let target = (pc as i64 + 1 + imm as i64) as usize;
        let Some(sub) = self.subprog_index(target) else {
            return refuse(Errno::EFAULT, format!("verifier bug. No program starts at insn {target}"));
        };
        if let Some(g) = self.input.global_funcs.iter().find(|g| g.start == target) {
            return self.check_global_call(pc, sub, g).map(|_| pc + 1);
        }
        if self.cur.frames.len() >= MAX_CALL_FRAMES {
            return refuse(Errno::E2BIG, format!("the call stack of {} frames is too deep", self.cur.frames.len() + 1));
        }
        let frameno = self.cur.frames.len() as u8;
        let mut callee = Frame::new(frameno, pc as i32, sub as u32);
        for r in 1..=5usize {
            callee.regs[r] = self.cur.cur().regs[r];
        }
        callee.regs[10] = Reg { frameno, ..Reg::ptr(PTR_TO_STACK) };
        for r in 0..=5u8 {
            *self.cur.reg_mut(r) = Reg::NOT_INIT;
        }
        self.cur.frames.push(callee);
        self.live_reset_chain();
        self.log.scratch_all();
        if self.log.on() {
            let n = self.cur.curframe();
            self.log.line("caller:");
            self.log.verifier_state(&self.cur, n - 1, true, self.input);
            self.log.line("callee:");
            self.log.verifier_state(&self.cur, n, true, self.input);
        }
        Ok(target)
    }

    /// A call of a global function: the caller's registers are checked against its prototype
    /// only (the function itself is walked once, on its own, after the main program); the
    /// caller then sees an unknown scalar in r0.
    fn check_global_call(&mut self, pc: usize, sub: usize, g: &GlobalFunc) -> VResult<()> {
        let args = match &g.args {
            Ok(args) => self.check_global_args(pc, args),
            Err((errno, line)) => Err(super::Refusal { errno: *errno, line: line.clone() }),
        };
        if self.cur.active_lock > 0 {
            if let Err(r) = &args {
                self.log.line(&r.line);
            }
            self.log.line("global function calls are not allowed while holding a lock,");
            return refuse(Errno::EINVAL, "use static function instead");
        }
        if let Err(r) = args {
            self.log.line(&r.line);
            return refuse(r.errno, format!("Caller passes invalid args into func#{sub} ('{}')", g.name));
        }
        self.log.line(&format!("Func#{sub} ('{}') is global and assumed valid.", g.name));
        if self.subprog_changes_pkt(sub) {
            self.clear_pkt_pointers();
        }
        if !self.global_called.contains(&sub) {
            self.global_called.push(sub);
        }
        for r in 1..=5u8 {
            *self.cur.reg_mut(r) = Reg::NOT_INIT;
        }
        *self.cur.reg_mut(0) = Reg::unknown();
        Ok(())
    }

    /// The caller's r1-r5 against a global function's parameters (`btf_check_func_arg_match`).
    fn check_global_args(&mut self, pc: usize, args: &[FuncArg]) -> VResult<()> {
        for (i, arg) in args.iter().enumerate() {
            let regno = i as u8 + 1;
            let reg = *self.cur.reg(regno);
            match *arg {
                FuncArg::Scalar => {
                    if !reg.is_scalar() {
                        return refuse(Errno::EINVAL, format!("R{regno} is not a scalar"));
                    }
                }
                FuncArg::Ctx => {
                    self.check_arg_reg_off(regno, &reg, 0)?;
                    if reg.ty != PTR_TO_CTX {
                        return refuse(Errno::EINVAL, format!("arg#{i} expects pointer to ctx"));
                    }
                }
                FuncArg::Mem { size, nullable } => {
                    self.check_arg_reg_off(regno, &reg, 0)?;
                    if reg.is_null() {
                        // NULL is told apart by the scalar's value: precise.
                        self.mark_chain_precision(regno)?;
                    }
                    if !reg.is_null() {
                        // Checked as if non-NULL, for reading and for writing; the caller's
                        // register itself is left as it was.
                        let saved = reg;
                        self.cur.reg_mut(regno).ty &= !PTR_MAYBE_NULL;
                        let r = self
                            .check_helper_mem(regno, size as i32, false, true)
                            .and_then(|_| self.check_helper_mem(regno, size as i32, true, true));
                        *self.cur.reg_mut(regno) = saved;
                        if let Err(e) = r {
                            return refuse(Errno::EINVAL, e.line);
                        }
                    }
                    if !nullable && (reg.maybe_null() || reg.is_null()) {
                        return refuse(Errno::EINVAL, format!("arg#{i} is expected to be non-NULL"));
                    }
                }
                FuncArg::Arena => {
                    if base(reg.ty) != PTR_TO_ARENA && !reg.is_scalar() {
                        return refuse(Errno::EINVAL, format!("R{regno} is not a pointer to arena or scalar."));
                    }
                }
                FuncArg::Dynptr => {
                    self.check_arg_reg_off(regno, &reg, 0)?;
                    let mut meta = Meta::default();
                    self.process_dynptr_arg_kfunc(pc, regno, i, ARG_PTR_TO_DYNPTR | MEM_RDONLY, &mut meta, 0)?;
                }
                FuncArg::Trusted { nullable } => {
                    if nullable && reg.is_null() {
                        continue;
                    }
                    if base(reg.ty) != PTR_TO_BTF_ID || (reg.ty & PTR_TRUSTED == 0 && reg.ref_obj_id == 0) || reg.maybe_null() {
                        return refuse(Errno::EINVAL, format!("R{regno} type={} expected=ptr_, trusted_ptr_, rcu_ptr_", type_name(reg.ty)));
                    }
                }
                FuncArg::Untrusted => {}
            }
        }
        Ok(())
    }

    /// Whether a subprogram, or one it calls, may change packet data (helpers and kfuncs that
    /// do, tail calls): a call of it invalidates the caller's packet pointers.
    pub(super) fn subprog_changes_pkt(&self, sub: usize) -> bool {
        let subs = &self.info.subprogs;
        let mut seen = vec![false; subs.len()];
        let mut todo = vec![sub];
        while let Some(s) = todo.pop() {
            if std::mem::replace(&mut seen[s], true) {
                continue;
            }
            let end = subs.get(s + 1).copied().unwrap_or(self.ops.len());
            for pc in subs[s]..end {
                if self.info.second_half[pc] {
                    continue;
                }
                match self.ops[pc] {
                    Op::Call(crate::bpf::isa::Callee::Helper(id)) if helper(id as i64).is_some_and(|h| h.changes_pkt_data) => return true,
                    Op::Call(crate::bpf::isa::Callee::Kfunc { imm, .. }) => {
                        let name = self.input.kfuncs.get(imm as usize).cloned().flatten().map(|k| k.name);
                        if name.as_deref() == Some("bpf_xdp_pull_data") {
                            return true;
                        }
                    }
                    Op::Call(crate::bpf::isa::Callee::Local(imm)) => {
                        let t = (pc as i64 + 1 + imm as i64) as usize;
                        if let Some(c) = subs.iter().position(|&x| x == t) {
                            todo.push(c);
                        }
                    }
                    _ => {}
                }
            }
        }
        false
    }

    /// `do_check_subprogs`: every global function a walked path called is walked once on its
    /// own, from the state its prototype gives, until no new one is called.
    pub(super) fn verify_global_funcs(&mut self) -> VResult<()> {
        let mut verified: Vec<usize> = Vec::new();
        // The exception callback is presumed called.
        if let Some(cb) = self.input.global_funcs.iter().find(|g| g.exception_cb) {
            if let Some(sub) = self.subprog_index(cb.start) {
                if !self.global_called.contains(&sub) {
                    self.global_called.push(sub);
                }
            }
        }
        loop {
            let mut next: Vec<usize> = self.global_called.iter().copied().filter(|s| !verified.contains(s)).collect();
            if next.is_empty() {
                return Ok(());
            }
            next.sort_unstable();
            for sub in next {
                let Some(g) = self.input.global_funcs.iter().find(|g| Some(g.start) == self.info.subprogs.get(sub).copied()) else {
                    verified.push(sub);
                    continue;
                };
                self.verify_global(sub, g)?;
                self.log.pass_succeeded();
                self.log.line(&format!("Func#{sub} ('{}') is safe for any args that match its prototype", g.name));
                verified.push(sub);
            }
        }
    }

    fn verify_global(&mut self, sub: usize, g: &GlobalFunc) -> VResult<()> {
        self.log.line(&format!("Validating {}() func#{sub}...", g.name));
        let args = match &g.args {
            Ok(a) => a.clone(),
            Err((errno, line)) => return refuse(*errno, line.clone()),
        };
        self.in_exception_cb = g.exception_cb;
        if g.exception_cb && !matches!(args.as_slice(), [FuncArg::Scalar]) {
            return refuse(Errno::EINVAL, "exception cb only supports single integer argument");
        }
        self.reset_walk();
        let mut f = Frame::new(0, -1, sub as u32);
        for (i, a) in args.iter().enumerate() {
            let r = &mut f.regs[i + 1];
            *r = match *a {
                FuncArg::Ctx => Reg::ptr(PTR_TO_CTX),
                FuncArg::Scalar | FuncArg::Arena => Reg::unknown(),
                FuncArg::Dynptr => {
                    let mut d = Reg::ptr(CONST_PTR_TO_DYNPTR);
                    d.dynptr = DynptrKind::Local;
                    d
                }
                FuncArg::Mem { size, nullable } => {
                    let mut m = Reg::ptr(PTR_TO_MEM | if nullable { PTR_MAYBE_NULL } else { 0 });
                    m.mem_size = size;
                    m
                }
                FuncArg::Trusted { nullable } => Reg::ptr(PTR_TO_BTF_ID | PTR_TRUSTED | if nullable { PTR_MAYBE_NULL } else { 0 }),
                FuncArg::Untrusted => Reg::ptr(PTR_TO_BTF_ID | PTR_UNTRUSTED),
            };
            if matches!(*a, FuncArg::Dynptr | FuncArg::Mem { .. } | FuncArg::Trusted { .. } | FuncArg::Untrusted) {
                f.regs[i + 1].id = self.new_id();
            }
        }
        f.regs[10] = Reg { frameno: 0, ..Reg::ptr(PTR_TO_STACK) };
        self.cur = State {
            frames: vec![f],
            refs: Vec::new(),
            active_rcu: 0,
            active_preempt: 0,
            active_lock: 0,
            lock_map: 0,
            lock_id: 0,
            lock_seq: 0,
            in_sleepable: false,
            speculative: false,
            callback_unroll: 0,
            may_goto_depth: 0,
        };
        self.pc = g.start;
        self.first_idx = g.start;
        self.prev = g.start;
        self.log.scratch_all();
        self.walk()
    }

    /// `check_max_stack_depth`, after the walks: along every chain of calls (static or global
    /// functions, and callbacks whose address a function takes, which run below it), the frames'
    /// stack (each rounded up to 16 bytes, as the JIT lays frames out) must fit in 512 bytes.
    /// Asynchronous callbacks (timers) run on a stack of their own: each is a chain's root, as
    /// the main program is, and checked before it.
    pub(super) fn check_stack_depth(&self) -> VResult<()> {
        if self.tail_call_in_callback {
            return refuse(Errno::EINVAL, "cannot tail call within callback");
        }
        let subs = &self.info.subprogs;
        let index_of = |t: usize| subs.iter().position(|&s| s == t);
        let calls_of = |sub: usize| -> Vec<usize> {
            let start = subs[sub];
            let end = subs.get(sub + 1).copied().unwrap_or(self.ops.len());
            (start..end)
                .filter(|&pc| !self.info.second_half[pc])
                .filter_map(|pc| match self.ops[pc] {
                    Op::Call(crate::bpf::isa::Callee::Local(imm)) => index_of((pc as i64 + 1 + imm as i64) as usize),
                    Op::Lddw { pseudo: Pseudo::Func, imm, .. } => {
                        index_of((pc as i64 + 1 + imm as i32 as i64) as usize).filter(|c| !self.async_cbs.contains(c))
                    }
                    _ => None,
                })
                .collect()
        };
        let depth_of = |sub: usize| self.stack_depth.get(sub).copied().unwrap_or(0).next_multiple_of(16);
        let has_tail_call = |sub: usize| {
            let end = subs.get(sub + 1).copied().unwrap_or(self.ops.len());
            (subs[sub]..end).any(|pc| !self.info.second_half[pc] && self.ops[pc] == Op::Call(crate::bpf::isa::Callee::Helper(12)))
        };
        let mut roots = self.async_cbs.clone();
        roots.sort_unstable_by(|a, b| b.cmp(a));
        roots.dedup();
        roots.push(0);
        for root in roots {
            // Depth first, each function's calls in instruction order; a chain deeper than the
            // frame limit was refused on the walk already unless global functions make it.
            let mut stack: Vec<(usize, u32, usize)> = vec![(root, depth_of(root), 1)];
            while let Some((sub, total, frames)) = stack.pop() {
                if frames > MAX_CALL_FRAMES {
                    // The kernel counts the frames below the root's here.
                    return refuse(Errno::E2BIG, format!("the call stack of {} frames is too deep !", frames - 1));
                }
                // A tail call replaces the frame it runs in, not the ones below it: those must
                // leave room for the next program's.
                let below = total - depth_of(sub);
                if sub != 0 && below >= 256 && has_tail_call(sub) {
                    return refuse(
                        Errno::EACCES,
                        format!("tail_calls are not allowed when call stack of previous frames is {below} bytes. Too large"),
                    );
                }
                if total > MAX_BPF_STACK_TOTAL {
                    return refuse(Errno::EACCES, format!("combined stack size of {frames} calls is {total}. Too large"));
                }
                for callee in calls_of(sub).into_iter().rev() {
                    stack.push((callee, total + depth_of(callee), frames + 1));
                }
            }
        }
        Ok(())
    }

    /// Whether the call at `pc` calls a callback synchronously: the callback's exit returns to
    /// this call, which queues another visit (`is_sync_callback_calling_insn`).
    pub(super) fn calls_sync_callback(&self, pc: usize) -> bool {
        if self.info.second_half[pc] {
            return false;
        }
        match self.ops[pc] {
            Op::Call(Callee::Helper(id)) => helper_calls_back(id) || (self.opts.seed_helpers && id == SEED_ITERATOR_HELPER),
            Op::Call(Callee::Kfunc { imm, .. }) => self
                .input
                .kfuncs
                .get(imm as usize)
                .and_then(|k| k.as_ref())
                .and_then(|k| k.proto)
                .is_some_and(|k| !kfunc_async_callback(k.name) && k.args.iter().any(|a| a.ty.contains("(*)"))),
            _ => false,
        }
    }

    /// A helper's callback: a synchronous one is queued as a visit from the call (the caller
    /// goes on after the call meanwhile); bpf_timer_set_callback's is walked on its own.
    fn push_callback(&mut self, pc: usize, id: i32, sub: u32, lo: i32, hi: i32) -> VResult<()> {
        let Some(&start) = self.info.subprogs.get(sub as usize) else { return Ok(()) };
        if self.cur.frames.len() >= MAX_CALL_FRAMES {
            return refuse(Errno::E2BIG, format!("the call stack of {} frames is too deep", self.cur.frames.len() + 1));
        }
        let frameno = self.cur.frames.len() as u8;
        let mut callee = Frame::new(frameno, pc as i32, sub);
        callee.callback = Some(CallbackKind { ret_min: lo, ret_max: hi, callsite: pc as i32, in_loop: id != 170 });
        let caller = self.cur.cur().regs;
        match id {
            181 => {
                // bpf_loop(nr, cb, ctx, flags): cb(u64 index, void *ctx)
                callee.regs[1] = Reg::unknown();
                callee.regs[2] = caller[3];
            }
            164 => {
                // for_each_map_elem(map, cb, ctx, flags): cb(map, key, value, ctx)
                callee.regs[1] = caller[1];
                let mut k = Reg::ptr(PTR_TO_MAP_KEY);
                k.map = caller[1].map;
                callee.regs[2] = k;
                let mut v = Reg::ptr(PTR_TO_MAP_VALUE);
                v.map = caller[1].map;
                v.id = self.new_id();
                callee.regs[3] = v;
                callee.regs[4] = caller[3];
            }
            209 => {
                let mut d = Reg::ptr(CONST_PTR_TO_DYNPTR);
                d.dynptr = DynptrKind::Local;
                callee.regs[1] = d;
                callee.regs[2] = caller[3];
            }
            180 => {
                callee.regs[1] = Reg::ptr(PTR_TO_BTF_ID | PTR_TRUSTED);
                callee.regs[2] = Reg::ptr(PTR_TO_BTF_ID | PTR_TRUSTED);
                callee.regs[3] = caller[4];
            }
            170 => {
                // The map the timer lives in.
                let map = caller[1].map;
                callee.regs[1] = Reg { map, ..Reg::ptr(CONST_PTR_TO_MAP) };
                callee.regs[2] = Reg { map, ..Reg::ptr(PTR_TO_MAP_KEY) };
                callee.regs[3] = Reg { map, id: self.new_id(), ..Reg::ptr(PTR_TO_MAP_VALUE) };
                callee.async_cb = true;
                if !self.async_cbs.contains(&(sub as usize)) {
                    self.async_cbs.push(sub as usize);
                }
            }
            _ => {}
        }
        callee.regs[10] = Reg { frameno, ..Reg::ptr(PTR_TO_STACK) };
        self.queue_callback(pc, start, callee)
    }

    /// Queues a walk of `callee` from the call at `pc`. A synchronous callback's walk carries the
    /// caller as it is at the call (its argument registers too: the callback's exit comes back
    /// to the call, which is checked again); the caller goes on after the call with its count of
    /// queued visits reset.
    pub(super) fn queue_callback(&mut self, pc: usize, start: usize, callee: Frame) -> VResult<()> {
        let asynchronous = callee.async_cb;
        // Only bpf_loop's visits are counted per call: its count bounds them. Other callbacks
        // are called any number of times, so states differing in that count only are alike; so
        // are bpf_loop's when its count is beyond what the complexity limit lets a walk reach.
        let counted = matches!(self.ops[pc], Op::Call(Callee::Helper(181))) && self.cur.reg(1).var.umax <= super::INSN_LIMIT;
        let saved = self.cur.clone();
        if asynchronous {
            // Run later, on its own: nothing the caller holds is held there.
            self.cur.refs.clear();
            self.cur.active_rcu = 0;
            self.cur.active_preempt = 0;
            self.cur.active_lock = 0;
        } else {
            if counted {
                self.cur.cur_mut().callback_depth += 1;
            }
            self.cur.callback_unroll += 1;
        }
        self.cur.frames.push(callee);
        let pushed = self.push_branch(start, pc);
        self.cur = saved;
        pushed?;
        // The callee frame's set-up touches every register and slot (the log's marks are not
        // per frame): the caller's whole state is printed after the call.
        self.log.scratch_all();
        if !asynchronous {
            self.cur.cur_mut().callback_depth = 0;
        }
        Ok(())
    }

    fn push_kfunc_callback(&mut self, pc: usize, k: &'static Kfunc, sub: u32, kind: DynptrKind, ctx_reg: u8) -> VResult<()> {
        let Some(&start) = self.info.subprogs.get(sub as usize) else { return Ok(()) };
        if self.cur.frames.len() >= MAX_CALL_FRAMES {
            return refuse(Errno::E2BIG, format!("the call stack of {} frames is too deep", self.cur.frames.len() + 1));
        }
        let frameno = self.cur.frames.len() as u8;
        let mut callee = Frame::new(frameno, pc as i32, sub);
        // bpf_rbtree_add's less() answers a bool; the seed's iterator callback any scalar.
        let (lo, hi) = if k.name.starts_with("bpf_rbtree_add") { (0, 1) } else { (i32::MIN, i32::MAX) };
        callee.callback = Some(CallbackKind { ret_min: lo, ret_max: hi, callsite: pc as i32, in_loop: true });
        callee.async_cb = kfunc_async_callback(k.name);
        let mut d = Reg::ptr(CONST_PTR_TO_DYNPTR);
        d.dynptr = kind;
        callee.regs[1] = d;
        callee.regs[2] = self.cur.cur().regs[ctx_reg as usize];
        callee.regs[10] = Reg { frameno, ..Reg::ptr(PTR_TO_STACK) };
        self.queue_callback(pc, start, callee)
    }

    /// After a synchronous callback's exit, back at its call: the caller's scalars that neither
    /// state marked precise and that differ from the previous visit's (the unfinished state at
    /// the same call on this path) are forgotten (`widen_imprecise_scalars` in
    /// `prepare_func_exit`), so that the visits reach a state one before covers.
    fn widen_after_callback(&mut self, callsite: usize) {
        let mut at = self.parent;
        while let Some(i) = at {
            let c = &self.checkpoints[i];
            if c.pc == callsite && c.branches > 0 && same_callsites(&c.state, &self.cur) {
                super::dynptr::widen_imprecise(&self.checkpoints[i].state, &mut self.cur);
                return;
            }
            at = c.parent;
        }
    }

    pub(super) fn check_exit(&mut self, pc: usize) -> VResult<Option<usize>> {
        let callback = self.cur.cur().callback;
        // An asynchronous callback is walked as a program of its own (the kernel's frame 0).
        let asynchronous = self.cur.cur().async_cb;
        if self.cur.curframe() == 0 || asynchronous {
            self.check_resource_leak(false, true, "BPF_EXIT instruction in main prog")?;
        }
        if self.cur.curframe() == 0 && self.cur.frames[0].subprog != 0 && self.in_exception_cb {
            // The exception callback's value is the program's: the main program's rules.
            self.check_return_code()?;
            return Ok(None);
        }
        if self.cur.curframe() == 0 && self.cur.frames[0].subprog != 0 {
            // The exit of a global function walked on its own: any scalar goes back.
            let r0 = *self.cur.reg(0);
            if !r0.is_init() {
                return refuse(Errno::EACCES, "R0 !read_ok");
            }
            if self.is_pointer_value(0) {
                return refuse(Errno::EACCES, "R0 leaks addr as return value");
            }
            if !r0.is_scalar() {
                return refuse(Errno::EINVAL, format!("At subprogram exit the register R0 is not a scalar value ({})", type_name(r0.ty)));
            }
            return Ok(None);
        }
        if self.cur.curframe() > 0 && !asynchronous {
            self.live_update();
        }
        if self.cur.curframe() > 0 {
            let r0 = *self.cur.reg(0);
            if let (Some(cb), true) = (callback, asynchronous) {
                // Its r0 must be a known 0.
                self.check_return_code()?;
                if !r0.is_scalar() {
                    return refuse(
                        Errno::EINVAL,
                        format!("At async callback return the register R0 is not a known value ({})", type_name(r0.ty)),
                    );
                }
                self.mark_chain_precision(0)?;
                if r0.var.smin < cb.ret_min as i64 || r0.var.smax > cb.ret_max as i64 {
                    return refuse(Errno::EINVAL, invalid_scalar(&r0.var, "At async callback return", "R0", cb.ret_min, cb.ret_max));
                }
                return Ok(None);
            }
            if r0.ty == PTR_TO_STACK {
                return refuse(Errno::EINVAL, "cannot return stack pointer to the caller");
            }
            if let Some(cb) = callback {
                if !r0.is_scalar() {
                    return refuse(Errno::EACCES, "R0 not a scalar value");
                }
                // Its range is checked: the value is relied on.
                self.mark_chain_precision(0)?;
                let any = cb.ret_min == i32::MIN && cb.ret_max == i32::MAX;
                if !any && (r0.var.smin < cb.ret_min as i64 || r0.var.smax > cb.ret_max as i64) {
                    return refuse(Errno::EINVAL, invalid_scalar(&r0.var, "At callback return", "R0", cb.ret_min, cb.ret_max));
                }
                // Back to the call, which is checked again and queues the next visit; what the
                // callback wrote into the caller's stack stays, its r0 does not reach the caller.
                let callsite = self.cur.cur().callsite as usize;
                self.log_return(callsite);
                self.cur.frames.pop();
                self.widen_after_callback(callsite);
                return Ok(Some(callsite));
            }
            // The caller gets r0 before the return is logged: the log shows it in both frames.
            let callsite = self.cur.cur().callsite as usize;
            let n = self.cur.curframe();
            self.cur.frames[n - 1].regs[0] = r0;
            self.log_return(callsite + 1);
            self.cur.frames.pop();
            return Ok(Some(callsite + 1));
        }
        self.check_return_code()?;
        self.note_exit(pc);
        Ok(None)
    }

    /// Records what r0 may be at an exit of the main program.
    fn note_exit(&mut self, pc: usize) {
        let seen = Small::of(self.cur.reg(0)).0;
        let e = self.facts.exits.entry(pc).or_default();
        e.small |= seen.small;
        e.other |= seen.other;
    }

    /// Records a helper or kfunc call: its map argument and its first argument's constant.
    pub(super) fn note_call(&mut self, pc: usize, callee: super::CallFactee, map: Option<u32>) {
        let r1 = self.cur.reg(1);
        let konst = if r1.is_scalar() { r1.var.var_off.is_const().then_some(r1.var.var_off.value) } else { None };
        let f = self.facts.calls.entry(pc).or_insert_with(|| super::CallFact {
            callee,
            maps: Default::default(),
            r1: Some(Default::default()),
        });
        f.maps.extend(map);
        match (konst, &mut f.r1) {
            (Some(k), Some(set)) => {
                set.insert(k);
            }
            _ => f.r1 = None,
        }
    }

    /// The log's lines for a return from a subprogram or callback (log level 1 and up).
    fn log_return(&mut self, to: usize) {
        if self.log.level == 0 {
            return;
        }
        let n = self.cur.curframe();
        self.log.line("returning from callee:");
        self.log.verifier_state(&self.cur, n, true, self.input);
        self.log.line(&format!("to caller at {to}:"));
        self.log.verifier_state(&self.cur, n - 1, true, self.input);
        self.print_from = true;
    }

    fn check_return_code(&self) -> VResult<()> {
        let r0 = *self.cur.reg(0);
        if !r0.is_init() {
            return refuse(Errno::EACCES, "R0 !read_ok");
        }
        if self.is_pointer_value(0) {
            return refuse(Errno::EACCES, "R0 leaks addr as return value");
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Loads of 64-bit immediates, legacy packet loads, atomics

    pub(super) fn check_ld_imm(&mut self, _pc: usize, dst: u8, pseudo: Pseudo, imm: u64) -> VResult<()> {
        self.check_reg_write(dst)?;
        let r = match pseudo {
            Pseudo::Imm => Reg::known(imm),
            Pseudo::MapFd | Pseudo::MapIdx => {
                let idx = imm as u32;
                if idx as usize >= self.input.maps.len() {
                    return refuse(Errno::EINVAL, format!("fd {} is not pointing to valid bpf_map", imm as u32 as i32));
                }
                let mut r = Reg::ptr(CONST_PTR_TO_MAP);
                r.map = idx;
                r
            }
            Pseudo::MapValue | Pseudo::MapIdxValue => {
                let idx = imm as u32;
                let off = (imm >> 32) as u32;
                let Some(m) = self.input.maps.get(idx as usize) else {
                    return refuse(Errno::EINVAL, format!("fd {} is not pointing to valid bpf_map", idx as i32));
                };
                if off >= m.value_size {
                    return refuse(Errno::EACCES, format!("invalid access to map value pointer, value_size={} off={off}", m.value_size));
                }
                let mut r = Reg::ptr(PTR_TO_MAP_VALUE);
                r.map = idx;
                r.off = off as i32;
                r
            }
            Pseudo::Func => {
                let target = (self.pc as i64 + 1 + imm as i32 as i64) as usize;
                let mut r = Reg::ptr(PTR_TO_FUNC);
                r.subprog = self.subprog_index(target).unwrap_or(0) as u32;
                r
            }
            // The address of a missing __weak kfunc (bpf_ksym_exists): libbpf writes 0.
            Pseudo::BtfId if self.input.kfuncs.get(imm as u32 as usize).and_then(|k| k.as_ref()).is_some_and(|k| k.unresolved) => Reg::known(0),
            Pseudo::BtfId => Reg::ptr(PTR_TO_BTF_ID | PTR_TRUSTED),
            Pseudo::Other(s) => return refuse(Errno::EINVAL, format!("unrecognized bpf_ld_imm64 insn (src_reg {s})")),
        };
        *self.cur.reg_mut(dst) = r;
        Ok(())
    }

    /// LD_ABS/LD_IND. In a subprogram its run-time failure returns 0 from that subprogram
    /// (not from the program): that return is a path of its own, walked first, and the
    /// instruction after it the other. The next instruction of the current path is returned.
    pub(super) fn check_ld_abs(&mut self, pc: usize, op: Op) -> VResult<Option<usize>> {
        use crate::bpf::elf::ProgKind;
        if !matches!(self.prog_type(), ProgKind::SocketFilter | ProgKind::SchedCls | ProgKind::SchedAct) {
            return refuse(Errno::EINVAL, "BPF_LD_[ABS|IND] instructions not allowed for this program type");
        }
        let Op::Legacy { src, mode, .. } = op else { return Ok(Some(pc + 1)) };
        // `dst_reg` must be r0, `off` 0, and LD_ABS has no source register.
        let raw = self.input.insns[pc];
        let (dst_reg, src_reg) = (raw.regs & 0xf, raw.regs >> 4);
        if dst_reg != 0 || raw.off != 0 || (mode == crate::bpf::isa::LegacyMode::Abs && src_reg != 0) {
            return refuse(Errno::EINVAL, "BPF_LD_[ABS|IND] uses reserved fields");
        }
        self.check_reg_read(6)?;
        self.check_resource_leak(false, true, "BPF_LD_[ABS|IND]")?;
        if self.cur.reg(6).ty != PTR_TO_CTX {
            return refuse(Errno::EINVAL, "at the time of BPF_LD_ABS|IND R6 != pointer to skb");
        }
        if mode == crate::bpf::isa::LegacyMode::Ind {
            self.check_reg_read(src)?;
        }
        let ctx = *self.cur.reg(6);
        self.check_ptr_off_reg(&ctx, 6, false)?;
        for r in 1..=5u8 {
            *self.cur.reg_mut(r) = Reg::NOT_INIT;
        }
        *self.cur.reg_mut(0) = Reg::unknown();
        self.implicit_subprog_exit(pc, Reg::known(0), false)
    }

    /// LD_ABS and a tail call in a subprogram may leave it at run time, returning `r0` to its
    /// caller: the instruction after them is pushed as the other path and the current one
    /// leaves the subprogram now. In a callback the kernel's precision backtracking of that
    /// return trips over the callback-calling instruction (a verifier bug it reports); a tail
    /// call in a subprogram a callback calls is refused outright.
    pub(super) fn implicit_subprog_exit(&mut self, pc: usize, r0: Reg, tail_call: bool) -> VResult<Option<usize>> {
        if self.cur.curframe() == 0 || self.cur.cur().async_cb {
            return Ok(Some(pc + 1));
        }
        if self.cur.cur().callback.is_some() {
            // The exit is taken (the callee's stack liveness settles first); the callback's r0
            // is then backtracked to the call that started the callback, which the kernel's
            // backtracking does not expect.
            self.live_update();
            *self.cur.reg_mut(0) = r0;
            self.mark_chain_precision(0)?;
            return refuse(Errno::EFAULT, "verifier bug: callback unexpected regs 1");
        }
        // A tail call a callback reaches is refused once the walk is done, with the stack
        // depths (`check_max_stack_depth`).
        if tail_call && self.cur.frames.iter().skip(1).any(|f| f.callback.is_some() && !f.async_cb) {
            self.tail_call_in_callback = true;
        }
        self.push_branch(pc + 1, pc)?;
        if tail_call {
            self.clear_pkt_pointers();
        }
        *self.cur.reg_mut(0) = r0;
        let next = self.check_exit(pc);
        // The walk goes on from the call into the caller as from any instruction: its state is
        // printed as the instruction's, not as a path taken up ("from X to Y").
        self.print_from = false;
        next
    }

    pub(super) fn check_atomic(&mut self, pc: usize, op: Op) -> VResult<()> {
        let Op::Atomic { size, op: aop, dst, src, off } = op else { return Ok(()) };
        match aop {
            AtomicOp::Rmw { .. } | AtomicOp::Xchg | AtomicOp::Cmpxchg => {}
            _ => return refuse(Errno::EINVAL, format!("BPF_ATOMIC uses invalid atomic opcode {:02x}", self.input.insns[pc].imm)),
        }
        if !matches!(size, Size::W | Size::DW) {
            return refuse(Errno::EINVAL, "invalid atomic operand size");
        }
        self.check_reg_read(src)?;
        self.check_reg_read(dst)?;
        if let Some(w) = aop.writes(src) {
            self.check_reg_write(w)?;
        }
        if aop == AtomicOp::Cmpxchg {
            self.check_reg_read(0)?;
            if self.is_pointer_value(0) {
                return refuse(Errno::EACCES, "R0 leaks addr into mem");
            }
        }
        if self.is_pointer_value(src) {
            return refuse(Errno::EACCES, format!("R{src} leaks addr into mem"));
        }
        let d = *self.cur.reg(dst);
        if d.ty == PTR_TO_CTX
            || d.is_pkt()
            || base(d.ty) == PTR_TO_FLOW_KEYS
            || matches!(base(d.ty), PTR_TO_SOCKET | PTR_TO_SOCK_COMMON | PTR_TO_TCP_SOCK | PTR_TO_XDP_SOCK)
        {
            let what = match d.ty {
                PTR_TO_CTX => "context",
                PTR_TO_PACKET | PTR_TO_PACKET_META => "packet",
                _ => "sock",
            };
            let _ = what;
            return refuse(Errno::EACCES, format!("BPF_ATOMIC stores into R{dst} {} is not allowed", type_name(d.ty)));
        }
        // Atomics are aligned whatever the pointer (`strict_alignment_once`).
        self.check_strict_alignment(&d, off as i32, size.bytes() as i32)?;
        self.atomic_access = true;
        let checked = self.check_atomic_mem(pc, dst, &d, src, off, size, aop);
        self.atomic_access = false;
        checked
    }

    /// An atomic's memory accesses: the old value is read (into the fetching register, or
    /// nowhere), then the new one stored.
    #[allow(clippy::too_many_arguments)]
    fn check_atomic_mem(&mut self, pc: usize, dst: u8, d: &Reg, src: u8, off: i16, size: Size, aop: crate::bpf::isa::AtomicOp) -> VResult<()> {
        let load_to = aop.writes(src);
        match load_to {
            Some(r) => {
                self.check_mem(pc, dst, off as i32, size, false, Some(r), false)?;
            }
            None => {
                self.check_atomic_spill_leak(d, off as i32, size)?;
                self.check_mem(pc, dst, off as i32, size, false, None, false)?;
            }
        }
        // What is stored is the old value combined with src (or src only if a compare matched):
        // a write of something unknown, never src's known value.
        self.check_mem(pc, dst, off as i32, size, true, None, false)?;
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // kfuncs

    pub(super) fn check_kfunc_call(&mut self, pc: usize, imm: i32, _off: i16) -> VResult<()> {
        let kref = self.input.kfuncs.get(imm as usize).cloned().flatten();
        let Some(kref) = kref else {
            return refuse(Errno::EINVAL, format!("kernel btf_id {imm} is not a function"));
        };
        if !kref.allowed {
            return refuse(Errno::EACCES, crate::bpf::protos::policy::kfunc_not_allowed(&kref.name));
        }
        self.note_call(pc, super::CallFactee::Kfunc(kref.name.clone()), None);
        let Some(k) = kref.proto else {
            // A user kfunc without a prototype: arguments are not checked, the result is a scalar.
            for r in 1..=5u8 {
                *self.cur.reg_mut(r) = Reg::NOT_INIT;
            }
            *self.cur.reg_mut(0) = Reg::unknown();
            return Ok(());
        };
        self.check_kfunc(pc, k)
    }

    fn check_kfunc(&mut self, pc: usize, k: &'static Kfunc) -> VResult<()> {
        let name = k.name;
        if k.flags & kfuncs::KF_SLEEPABLE != 0 && !self.cur.in_sleepable {
            return refuse(Errno::EACCES, format!("program must be sleepable to call sleepable kfunc {name}"));
        }
        if k.flags & kfuncs::KF_DESTRUCTIVE != 0 {
            return refuse(Errno::EACCES, "destructive kfunc calls require CAP_SYS_BOOT capability");
        }
        match name {
            "bpf_rcu_read_lock" => self.cur.active_rcu += 1,
            "bpf_rcu_read_unlock" => {
                if self.cur.active_rcu == 0 {
                    return refuse(Errno::EINVAL, "unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)");
                }
                self.cur.active_rcu -= 1;
            }
            "bpf_preempt_disable" => self.cur.active_preempt += 1,
            "bpf_preempt_enable" => {
                if self.cur.active_preempt == 0 {
                    return refuse(Errno::EINVAL, "unmatched attempt to enable preemption (kernel function bpf_preempt_enable)");
                }
                self.cur.active_preempt -= 1;
            }
            _ => {}
        }
        if super::graph::is_graph_kfunc(name) {
            return self.check_graph_kfunc(pc, k);
        }
        let mut meta = Meta::default();
        let mut slice_size: Option<u64> = None;
        let mut dynptr_reg: Option<u8> = None;
        let mut iter_reg: Option<Reg> = None;
        let mut callback: Option<(u32, u8)> = None;
        let nargs = k.args.len();
        let mut skip_size_arg = false;
        // The reference a release kfunc drops (a kernel struct argument's).
        let mut released: Option<u32> = None;
        for (i, a) in k.args.iter().enumerate() {
            if std::mem::take(&mut skip_size_arg) {
                continue;
            }
            let regno = (i + 1) as u8;
            let argn = i;
            let ty = a.ty.trim();
            // A scalar argument is only type-checked (an unwritten one "is not a scalar").
            if ty.ends_with('*') || ty.contains("(*)") {
                self.check_reg_read(regno)?;
            }
            let reg = *self.cur.reg(regno);
            let ann = a.annotation.unwrap_or("");
            if ann == "__ign" {
                continue;
            }
            if ty.contains("(*)") {
                // A callback: a static function's address (bpf_loop-like kfuncs).
                if reg.ty != PTR_TO_FUNC {
                    return refuse(Errno::EINVAL, format!("arg#{argn} expected pointer to func"));
                }
                callback = Some((reg.subprog, regno + 1));
                continue;
            }
            let is_ptr = ty.ends_with('*');
            if !is_ptr {
                // A scalar argument.
                if !reg.is_scalar() {
                    return refuse(Errno::EINVAL, format!("R{regno} is not a scalar"));
                }
                if ann == "__k" && reg.var.is_const().is_none() {
                    return refuse(Errno::EINVAL, format!("R{regno} must be a known constant"));
                }
                if ann == "__k" {
                    self.mark_chain_precision(regno)?;
                }
                continue;
            }
            // A trusted argument (KF_TRUSTED_ARGS, KF_RCU, and every release kfunc's) may not be NULL.
            if k.flags & (kfuncs::KF_TRUSTED_ARGS | kfuncs::KF_RCU | kfuncs::KF_RELEASE) != 0
                && (reg.is_null() || reg.maybe_null())
                && !matches!(ann, "__nullable" | "__opt")
            {
                return refuse(Errno::EACCES, format!("Possibly NULL pointer passed to trusted arg{argn}"));
            }
            if let Some(want) = super::kstruct::kernel_struct(ty) {
                if let Some(id) = self.check_kernel_struct_arg(k, regno, argn, want, &reg)? {
                    released = Some(id);
                }
                continue;
            }
            // A release kfunc of another kernel struct (bpf_cgroup_release, bpf_task_release):
            // a scalar (a pointer already released) is no struct, an RCU pointer loaded from a
            // kptr is no reference; else it drops the reference of the pointer it is given.
            if k.flags & kfuncs::KF_RELEASE != 0 && released.is_none() {
                if let Some(want) = super::kstruct::returned_struct(k.args[i].ty) {
                    if reg.is_scalar() {
                        return refuse(Errno::EINVAL, format!("arg#{argn} pointer type STRUCT {want} must point to scalar, or struct with scalar"));
                    }
                    if base(reg.ty) == PTR_TO_BTF_ID && reg.ty & PTR_TRUSTED == 0 && reg.ref_obj_id == 0 {
                        return refuse(Errno::EINVAL, format!("R{regno} must be referenced or trusted"));
                    }
                }
            }
            if k.flags & kfuncs::KF_RELEASE != 0 && released.is_none() && base(reg.ty) == PTR_TO_BTF_ID && reg.ref_obj_id != 0 {
                let held = match reg.btf_struct {
                    Some(n) if reg.btf_id == 0 => Some(n.to_string()),
                    _ => self.input.btf.and_then(|b| b.type_by_id(reg.btf_id)).map(|t| t.name.clone()),
                };
                if super::kstruct::returned_struct(k.args[i].ty).is_some_and(|want| held.as_deref() == Some(want)) {
                    released = Some(reg.ref_obj_id);
                }
            }
            if ty.contains("bpf_dynptr") {
                let uninit = ann == "__uninit";
                let rdonly = ty.starts_with("const ");
                let mut arg = ARG_PTR_TO_DYNPTR;
                if uninit {
                    arg |= MEM_UNINIT;
                    arg |= match name {
                        "bpf_dynptr_from_xdp" => DYNPTR_TYPE_XDP,
                        "bpf_dynptr_from_skb" => DYNPTR_TYPE_SKB,
                        "bpf_dynptr_from_skb_meta" => DYNPTR_TYPE_SKB_META,
                        _ => 0,
                    };
                } else if rdonly {
                    arg |= MEM_RDONLY;
                }
                let clone_ref = if uninit && name.contains("clone") { meta.dynptr_ref } else { 0 };
                if uninit && arg & DYNPTR_TYPE_MASK == 0 {
                    // A clone takes the source's kind.
                    let kind = meta.dynptr_kind.unwrap_or(DynptrKind::Local);
                    arg |= kind_flag(kind);
                }
                self.process_dynptr_arg_kfunc(pc, regno, argn, arg, &mut meta, clone_ref)?;
                if uninit && name.contains("clone") {
                    let origin = dynptr_reg.map_or(0, |r| self.dynptr_origin(&*self.cur.reg(r)));
                    let dst = *self.cur.reg(regno);
                    self.set_dynptr_origin(&dst, origin);
                }
                if !uninit && dynptr_reg.is_none() {
                    dynptr_reg = Some(regno);
                }
                continue;
            }
            if ty.contains("bpf_iter_") {
                iter_reg = Some(*self.cur.reg(regno));
                self.process_iter_arg(pc, regno, argn, k)?;
                continue;
            }
            if ty.contains("struct xdp_md") || ty.contains("struct __sk_buff") {
                // Another program type's context is no context here, but a kernel struct the
                // register would have to be a trusted pointer to (bpf_skb_ct_lookup from XDP).
                let own = ty.contains("struct xdp_md") == (self.prog_type() == crate::bpf::elf::ProgKind::Xdp);
                if !own && reg.ty & PTR_TRUSTED == 0 && reg.ref_obj_id == 0 {
                    return refuse(Errno::EINVAL, format!("R{regno} must be referenced or trusted"));
                }
                if reg.ty != PTR_TO_CTX {
                    return refuse(Errno::EINVAL, format!("arg#{argn} expected pointer to ctx, but got {}", kernel_type_word(&reg)));
                }
                self.check_ptr_off_reg(&reg, regno, false)?;
                continue;
            }
            // Memory: sized by the next argument (__sz / __szk), or by the pointee type.
            let size_ann = k.args.get(i + 1).and_then(|n| n.annotation).filter(|a| matches!(*a, "__sz" | "__szk"));
            if let Some(size_ann) = size_ann {
                let optional_null = ann == "__opt" && reg.is_null();
                if !optional_null {
                    kfunc_mem_arg(&reg, argn, ty)?;
                }
                let size_regno = regno + 1;
                self.check_reg_read(size_regno)?;
                if !optional_null {
                    if let Err(r) = self.check_kfunc_mem_size_pair(regno) {
                        self.log.line(&r.line);
                        return refuse(r.errno, format!("arg#{argn} arg#{} memory, len pair leads to invalid memory access", argn + 1));
                    }
                }
                if size_ann == "__szk" {
                    let Some(v) = self.cur.reg(size_regno).var.is_const() else {
                        return refuse(Errno::EINVAL, format!("R{size_regno} must be a known constant"));
                    };
                    slice_size = Some(v);
                    // The constant size is relied on (6.18 marks it once more).
                    self.mark_chain_precision(size_regno)?;
                }
                skip_size_arg = true;
                continue;
            }
            if ann == "__opt" && reg.is_null() {
                continue;
            }
            if ty.contains("struct bpf_wq") {
                // A workqueue: in a map value, exactly at the value's struct bpf_wq.
                if base(reg.ty) != PTR_TO_MAP_VALUE {
                    return refuse(Errno::EINVAL, format!("arg#{argn} doesn't point to a map value"));
                }
                let m = &self.input.maps[reg.map as usize];
                if let (Some(f), Some(v)) = (m.field(FieldKind::Wq), reg.var.is_const()) {
                    let at = reg.off as i64 + v as i64;
                    if at != f.off as i64 {
                        return refuse(Errno::EINVAL, format!("off {at} doesn't point to 'struct bpf_wq' that is at {}", f.off));
                    }
                }
                meta.timer_map = Some(reg.map);
                continue;
            }
            if ann == "__map" && reg.ty == CONST_PTR_TO_MAP {
                // bpf_wq_init: the map must be the workqueue's own.
                if meta.timer_map.is_some_and(|w| w != reg.map) {
                    return refuse(Errno::EINVAL, "workqueue pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0");
                }
                continue;
            }
            let pointee = pointee_size(ty);
            match pointee {
                Some(sz) => {
                    kfunc_mem_arg(&reg, argn, ty)?;
                    self.check_helper_mem(regno, sz, true, false)?;
                }
                None => {}
            }
        }
        let _ = nargs;
        if let Some((sub, ctx_reg)) = callback {
            // The seed's iterator calls back with a view of the dynptr and the context; the
            // callback's `long` result (how far to advance, 0 to stop, or an error) is any scalar.
            self.push_kfunc_callback(pc, k, sub, meta.dynptr_kind.unwrap_or(DynptrKind::Local), ctx_reg)?;
        }
        // The result.
        let ret = k.ret.trim();
        let slice_buf = {
            let b = *self.cur.reg(3);
            let at = b.var.is_const().map(|v| b.off as i64 + v as i64);
            match (b.ty, at, slice_size) {
                (PTR_TO_STACK, Some(at), Some(size)) if name.starts_with("bpf_dynptr_slice") => {
                    i16::try_from(at).ok().zip(u16::try_from(size).ok()).map(|(at, size)| (b.frameno, at, size))
                }
                _ => None,
            }
        };
        for r in 1..=5u8 {
            *self.cur.reg_mut(r) = Reg::NOT_INIT;
        }
        let mut r0 = if ret == "void" {
            Reg::NOT_INIT
        } else if ret.ends_with('*') {
            if name == "bpf_dynptr_slice" || name == "bpf_dynptr_slice_rdwr" || k.origin == kfuncs::Origin::Seed && ret == "void *" {
                let Some(size) = slice_size.or(meta.mem_size) else {
                    return refuse(Errno::EINVAL, format!("kernel function {name} unhandled dynamic return type"));
                };
                let rdonly = name == "bpf_dynptr_slice" || meta.dynptr_rdonly();
                let mut r = Reg::ptr(PTR_TO_MEM | PTR_MAYBE_NULL | if rdonly { MEM_RDONLY } else { 0 });
                r.mem_size = size as u32;
                r.parent_id = meta.dynptr_id;
                r.dynptr = meta.dynptr_kind.unwrap_or(DynptrKind::Invalid);
                r.ref_obj_id = meta.dynptr_ref;
                r.buf = slice_buf;
                if name == "bpf_dynptr_slice_rdwr" && r.dynptr.is_packet() && !self.may_write_pkt() {
                    return refuse(Errno::EINVAL, "the prog does not allow writes to packet data");
                }
                r
            } else if k.flags & kfuncs::KF_ITER_NEXT != 0 {
                let mut r = Reg::ptr(PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY);
                r.mem_size = pointee_size(ret).unwrap_or(4) as u32;
                let _ = iter_reg;
                r
            } else if name == "bpf_cast_to_kern_ctx" || name == "bpf_rdonly_cast" {
                // The kernel's own context struct (xdp_buff, sk_buff), read through BTF.
                let mut r = Reg::ptr(PTR_TO_BTF_ID | if name == "bpf_rdonly_cast" { PTR_UNTRUSTED } else { PTR_TRUSTED });
                if name == "bpf_cast_to_kern_ctx" {
                    r.btf_struct = match self.input.kind {
                        crate::bpf::elf::ProgKind::Xdp => Some("xdp_buff"),
                        crate::bpf::elf::ProgKind::SocketFilter | crate::bpf::elf::ProgKind::SchedCls | crate::bpf::elf::ProgKind::SchedAct => Some("sk_buff"),
                        _ => None,
                    };
                }
                r
            } else if ret.contains("struct") {
                // A plain kernel pointer: trusted only through the reference it may carry.
                let mut r = Reg::ptr(PTR_TO_BTF_ID | if k.flags & kfuncs::KF_RET_NULL != 0 { PTR_MAYBE_NULL } else { 0 });
                r.btf_struct = super::kstruct::returned_struct(ret);
                r
            } else {
                let mut r = Reg::ptr(PTR_TO_MEM | if k.flags & kfuncs::KF_RET_NULL != 0 { PTR_MAYBE_NULL } else { 0 });
                r.mem_size = pointee_size(ret).unwrap_or(0) as u32;
                r
            }
        } else {
            // Whatever its C type's width, a scalar result is unknown to the kernel.
            Reg::unknown()
        };
        if let Some(id) = released {
            self.release_reference(id)?;
        }
        if k.flags & kfuncs::KF_ACQUIRE != 0 && r0.is_pointer() {
            // A maybe-NULL acquired pointer's id is its reference's: the NULL branch of its
            // check drops the reference. The kernel draws a NULL-check id first and then
            // replaces it, so the ids it prints skip one.
            if r0.maybe_null() {
                self.new_id();
            }
            let id = self.acquire_reference(pc);
            r0.ref_obj_id = id;
            if r0.maybe_null() {
                r0.id = id;
            }
        } else if r0.maybe_null() {
            r0.id = self.new_id();
        }
        if k.flags & kfuncs::KF_ITER_NEXT != 0 {
            if let Some(it) = iter_reg {
                self.iter_next(pc, &it, r0)?;
            }
            return Ok(());
        }
        *self.cur.reg_mut(0) = r0;
        if name == "bpf_xdp_pull_data" || (k.origin == kfuncs::Origin::Seed && changes_pkt(name)) {
            self.clear_pkt_pointers();
        }
        Ok(())
    }
}

fn changes_pkt(name: &str) -> bool {
    name == "bpf_xdp_adjust_data"
}

fn kind_flag(k: DynptrKind) -> u32 {
    match k {
        DynptrKind::Local => DYNPTR_TYPE_LOCAL,
        DynptrKind::Ringbuf => DYNPTR_TYPE_RINGBUF,
        DynptrKind::Skb => DYNPTR_TYPE_SKB,
        DynptrKind::Xdp => DYNPTR_TYPE_XDP,
        DynptrKind::SkbMeta => DYNPTR_TYPE_SKB_META,
        DynptrKind::Invalid => 0,
    }
}

/// The type word a kfunc argument refusal prints for a register.
fn kernel_type_word(r: &Reg) -> String {
    type_name(r.ty)
}

/// A kfunc's memory argument must point at memory the program owns.
fn kfunc_mem_arg(reg: &Reg, argn: usize, ty: &str) -> VResult<()> {
    if matches!(
        base(reg.ty),
        PTR_TO_STACK | PTR_TO_MAP_VALUE | PTR_TO_MAP_KEY | PTR_TO_MEM | PTR_TO_PACKET | PTR_TO_PACKET_META | PTR_TO_BUF
    ) {
        return Ok(());
    }
    refuse(Errno::EINVAL, format!("arg#{argn} pointer type {} must point to scalar, or struct with scalar", c_pointee(ty)))
}

fn c_pointee(ty: &str) -> String {
    ty.trim_end_matches('*').trim().trim_start_matches("const ").to_string()
}

/// The size of what a C pointer type points to, for scalar pointees.
fn pointee_size(ty: &str) -> Option<i32> {
    let p = c_pointee(ty);
    Some(match p.as_str() {
        "u8" | "__u8" | "char" | "s8" | "bool" => 1,
        "u16" | "__u16" | "__be16" | "s16" => 2,
        "u32" | "__u32" | "int" | "s32" | "__be32" | "unsigned int" | "enum xdp_rss_hash_type" => 4,
        "u64" | "__u64" | "s64" | "unsigned long" | "long" => 8,
        "union nf_inet_addr" => 16,
        _ => return None,
    })
}

/// `verbose_invalid_scalar`.
pub(super) fn invalid_scalar(s: &Scalar, ctx: &str, reg: &str, lo: i32, hi: i32) -> String {
    let mut out = format!("{ctx} the register {reg} has");
    let mut unknown = true;
    if s.smin > i64::MIN {
        out.push_str(&format!(" smin={}", s.smin));
        unknown = false;
    }
    if s.smax < i64::MAX {
        out.push_str(&format!(" smax={}", s.smax));
        unknown = false;
    }
    if unknown {
        out.push_str(" unknown scalar value");
    }
    out.push_str(&format!(" should have been in [{lo}, {hi}]"));
    out
}

impl Meta {
    fn dynptr_rdonly(&self) -> bool {
        self.dynptr_rdonly
    }
}

/// `check_map_func_compatibility`: which helpers a map type takes, and which map types a helper
/// takes (both directions are checked), as `(map type, helper ids)`.
const MAP_FUNCS: &[(u32, &[i32])] = &[
    (3, &[12]),                            // prog_array: tail_call
    (4, &[22, 25, 111, 55, 121]),          // perf_event_array
    (27, &[130, 131, 134, 198, 199, 200]), // ringbuf
    (31, &[209]),                          // user_ringbuf
    (7, &[27]),                            // stack_trace
    (8, &[33, 37]),                        // cgroup_array
    (19, &[81]),                           // cgroup_storage
    (21, &[81]),                           // percpu_cgroup_storage
    (14, &[51, 1]),                        // devmap
    (25, &[51, 1]),                        // devmap_hash
    (16, &[51]),                           // cpumap
    (17, &[51, 1]),                        // xskmap
    (12, &[1]),                            // array_of_maps
    (13, &[1]),                            // hash_of_maps
    (15, &[52, 53, 60, 82, 1, 2, 3]),      // sockmap (update/delete: the program types verified here may)
    (18, &[72, 70, 71, 82, 1, 2, 3]),      // sockhash
    (20, &[82]),                           // reuseport_sockarray
    (22, &[87, 88, 89]),                   // queue
    (23, &[87, 88, 89]),                   // stack
    (24, &[107, 108, 194]),                // sk_storage
    (28, &[145, 146, 194]),                // inode_storage
    (29, &[156, 157, 194]),                // task_storage
    (32, &[210, 211, 194]),                // cgrp_storage
    (30, &[89, 87]),                       // bloom_filter
];

const FUNC_MAPS: &[(i32, &[u32])] = &[
    (12, &[3]),
    (22, &[4]),
    (25, &[4]),
    (55, &[4]),
    (111, &[4]),
    (121, &[4]),
    (130, &[27]),
    (131, &[27]),
    (134, &[27]),
    (198, &[27]),
    (199, &[27]),
    (200, &[27]),
    (209, &[31]),
    (27, &[7]),
    (37, &[8]),
    (33, &[8]),
    (51, &[14, 25, 16, 17]),
    (52, &[15]),
    (60, &[15]),
    (53, &[15]),
    (72, &[18]),
    (71, &[18]),
    (70, &[18]),
    (81, &[19, 21]),
    (82, &[20, 15, 18]),
    (88, &[22, 23]),
    (89, &[22, 23, 30]),
    (87, &[22, 23, 30]),
    (195, &[6, 5, 10]),
    (107, &[24]),
    (108, &[24]),
    (145, &[28]),
    (146, &[28]),
    (156, &[29]),
    (157, &[29]),
    (210, &[32]),
    (211, &[32]),
];

pub(super) fn map_func_compatible(map_type: u32, func: i32) -> bool {
    if let Some((_, funcs)) = MAP_FUNCS.iter().find(|m| m.0 == map_type) {
        if !funcs.contains(&func) {
            return false;
        }
    }
    match FUNC_MAPS.iter().find(|f| f.0 == func) {
        Some((_, maps)) => maps.contains(&map_type),
        None => true,
    }
}

/// Whether bpf_snprintf would take this format (up to its NUL) with `num_args` u64 arguments:
/// printable ASCII (or any non-ASCII byte), `%%`, and conversions d i u x X with up to two l,
/// c, s, and the p family (p, pK, px, ps, pS, pB, pks, pus, pi4, pI4, pi6, pI6), each with
/// optional flags (0 + - space) and width, one argument each.
pub(super) fn bprintf_format_ok(fmt: &[u8], num_args: u64) -> bool {
    let len = fmt.iter().position(|&c| c == 0).unwrap_or(fmt.len());
    let at = |i: usize| if i < len { fmt[i] } else { 0 };
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let punct = |c: u8| c.is_ascii_punctuation();
    // After a string conversion: the end, a space or punctuation.
    let ends_word = |c: u8| c == 0 || space(c) || punct(c);
    let mut specs = 0u64;
    let mut i = 0;
    while i < len {
        let c = fmt[i];
        if c.is_ascii() && !(0x20..=0x7e).contains(&c) && !space(c) {
            return false;
        }
        if c != b'%' {
            i += 1;
            continue;
        }
        if at(i + 1) == b'%' {
            i += 2;
            continue;
        }
        if specs >= num_args {
            return false;
        }
        i += 1;
        if !at(i).is_ascii() {
            return false;
        }
        while matches!(at(i), b'0' | b'+' | b'-' | b' ') {
            i += 1;
        }
        if matches!(at(i), b'1'..=b'9') {
            while at(i).is_ascii_digit() {
                i += 1;
            }
        }
        match at(i) {
            b'p' => {
                let next = at(i + 1);
                if ends_word(next) {
                } else if matches!(next, b'k' | b'u') && at(i + 2) == b's' {
                    i += 2;
                    if !ends_word(at(i + 1)) {
                        return false;
                    }
                } else if matches!(next, b'K' | b'x' | b's' | b'S' | b'B') {
                    i += 1;
                } else if matches!(next, b'i' | b'I') && matches!(at(i + 2), b'4' | b'6') {
                    i += 2;
                } else {
                    return false;
                }
            }
            b's' => {
                if !ends_word(at(i + 1)) {
                    return false;
                }
            }
            b'c' => {}
            _ => {
                for _ in 0..2 {
                    if at(i) == b'l' {
                        i += 1;
                    }
                }
                if !matches!(at(i), b'i' | b'd' | b'u' | b'x' | b'X') {
                    return false;
                }
            }
        }
        specs += 1;
        i += 1;
    }
    true
}

/// Whether two states' frames were called from the same places (`same_callsites`).
pub(super) fn same_callsites(a: &State, b: &State) -> bool {
    a.frames.len() == b.frames.len() && a.frames.iter().zip(&b.frames).all(|(x, y)| x.callsite == y.callsite)
}

/// Whether a scalar's low 32 bits may be `x` (a u32 return as the driver reads it).
fn may_be_u32(v: &super::scalar::Scalar, x: u32) -> bool {
    let low = v.var_off.subreg();
    low.contains(x as u64) && (v.u32min..=v.u32max).contains(&x) && (v.s32min..=v.s32max).contains(&(x as i32))
}

/// A register's possible low-32-bit values for the exits' facts: bit N of `small` is N (0..=7).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Small(super::ExitValues);

impl Small {
    const TOP: Small = Small(super::ExitValues { small: 0xff, other: true });

    fn of(r: &Reg) -> Small {
        if !r.is_scalar() {
            return Small::TOP;
        }
        let mut v = super::ExitValues::default();
        for x in 0..8u32 {
            if may_be_u32(&r.var, x) {
                v.small |= 1 << x;
            }
        }
        v.other = r.var.u32max > 7;
        Small(v)
    }

    fn konst(k: u64) -> Small {
        let low = k as u32;
        Small(if low < 8 { super::ExitValues { small: 1 << low, other: false } } else { super::ExitValues { small: 0, other: true } })
    }

    fn join(self, o: Small) -> Small {
        Small(super::ExitValues { small: self.0.small | o.0.small, other: self.0.other || o.0.other })
    }
}

impl Verifier<'_> {
    /// A path pruned where an explored state covers it only up to imprecise registers: the
    /// explored walk's exits need not show what this one would return. Follows the values this
    /// path holds to the main program's exits over the control-flow graph (constants through
    /// moves; anything computed, loaded or returned by a call is any value; no branch refines),
    /// and adds them to the facts: sound, if coarser than the walk.
    pub(super) fn note_pruned_exits(&mut self, pc: usize) {
        use crate::bpf::isa::{AluOp, Operand};
        use std::collections::HashMap;
        let main_end = self.info.subprogs.get(1).copied().unwrap_or(self.ops.len());
        // Inside a call: from the return to the main program, the callee-saved registers kept.
        let (start, regs): (usize, [Small; 11]) = if self.cur.curframe() == 0 {
            if self.cur.frames[0].subprog != 0 {
                return;
            }
            (pc, std::array::from_fn(|r| Small::of(&self.cur.frames[0].regs[r])))
        } else {
            let f0 = &self.cur.frames[0];
            let back = self.cur.frames[1].callsite as usize + 1;
            (back, std::array::from_fn(|r| if (6..=9).contains(&r) { Small::of(&f0.regs[r]) } else { Small::TOP }))
        };
        // The same values from the same place add nothing new.
        if !self.pruned_followed.insert((start, regs)) {
            return;
        }
        let mut at: HashMap<usize, [Small; 11]> = HashMap::new();
        let mut work = vec![(start, regs)];
        while let Some((pc, regs)) = work.pop() {
            if pc >= main_end {
                continue;
            }
            let merged = match at.get(&pc) {
                Some(old) => {
                    let j: [Small; 11] = std::array::from_fn(|r| old[r].join(regs[r]));
                    if j == *old {
                        continue;
                    }
                    j
                }
                None => regs,
            };
            at.insert(pc, merged);
            let mut next = merged;
            let op = self.ops[pc];
            match op {
                Op::Exit => {
                    let e = self.facts.exits.entry(pc).or_default();
                    e.small |= merged[0].0.small;
                    e.other |= merged[0].0.other;
                    continue;
                }
                Op::Alu { op: AluOp::Mov, dst, src, .. } => {
                    next[dst as usize] = match src {
                        Operand::Imm(k) => Small::konst(k as i64 as u64),
                        Operand::Reg(s) => merged[s as usize],
                    }
                }
                Op::Lddw { dst, pseudo: Pseudo::Imm, imm, .. } => next[dst as usize] = Small::konst(imm),
                Op::Call(c) => {
                    // bpf_redirect's ifindex is not precise for the kernel: the covering state's
                    // may differ. A constant below 8 is added; anything else leaves it unknown.
                    if c == Callee::Helper(23) {
                        if let Some(f) = self.facts.calls.get_mut(&pc) {
                            let v = merged[1].0;
                            match (&mut f.r1, v.other, v.small.count_ones()) {
                                (Some(set), false, 1) => {
                                    set.insert(v.small.trailing_zeros() as u64);
                                }
                                _ => f.r1 = None,
                            }
                        }
                    }
                    for r in next.iter_mut().take(6) {
                        *r = Small::TOP;
                    }
                }
                Op::Callx { .. } => {
                    for r in next.iter_mut().take(6) {
                        *r = Small::TOP;
                    }
                }
                _ => {
                    if let Some(w) = op.writes() {
                        next[w as usize] = Small::TOP;
                    }
                }
            }
            let fall = pc + op.width();
            match op {
                Op::Ja { off, .. } => work.push(((pc as i64 + 1 + off as i64) as usize, next)),
                Op::Jump { off, .. } | Op::MayGoto { off } => {
                    work.push(((pc as i64 + 1 + off as i64) as usize, next));
                    work.push((fall, next));
                }
                _ => work.push((fall, next)),
            }
        }
    }
}
