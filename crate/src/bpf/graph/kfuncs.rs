//! The graph kfuncs as the engine runs them: bpf_obj_new / drop (and their per-CPU forms),
//! bpf_refcount_acquire, the list and tree kfuncs, over [`super::alloc`]; and the helpers of
//! kptrs: bpf_kptr_xchg, bpf_this_cpu_ptr and bpf_per_cpu_ptr on per-CPU objects. An object a
//! kfunc or helper hands the program is a memory region of the run (loads and stores reach it)
//! until it is freed; one reached through a pointer the program loaded from a kptr field becomes
//! one at its first access ([`Machine::reach_object`]).

use std::rc::Rc;

use super::alloc;
use super::Record;
use crate::bpf::machine::{HelperFn, Machine, Trap};
use crate::bpf::memory::{Region, RegionKind};
use crate::errno::{Errno, XdpError};

/// The tag of the regions that are allocated objects.
const GRAPH_TAG: u64 = 0x6772_6170_6800_0000;

fn fault(_name: &str, what: String) -> Trap {
    Trap::Fault(XdpError::new(Errno::EFAULT, "kfunc", what))
}

/// Makes the object holding `addr` reachable by the program's loads and stores.
fn expose(m: &mut Machine<'_>, addr: u64) {
    if let Some((start, size, _)) = alloc::object_at(addr, 1) {
        if m.mem.find(start, u64::from(size).max(1)).is_none() {
            m.mem.push(Region::new(start, u64::from(size).max(1), true, RegionKind::Mem, GRAPH_TAG));
        }
    }
}

fn forget(m: &mut Machine<'_>, freed: &[u64]) {
    if !freed.is_empty() {
        m.mem.retain(|r| !(r.tag == GRAPH_TAG && freed.contains(&r.start)));
    }
}

/// A list head or tree root the program passes: 16 writable bytes of a map value or object.
fn head_arg(m: &mut Machine<'_>, addr: u64, name: &str) -> Result<u64, Trap> {
    if alloc::object_at(addr, 16).is_some() {
        return Ok(addr);
    }
    m.mem.check(addr, 16, true).map_err(|_| fault(name, format!("{name}: head {addr:#x} is not in a map value or object")))?;
    Ok(addr)
}

fn obj_new(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let Some(rec) = m.prog.local_types.as_ref().and_then(|b| Record::of_struct(b, a[0] as u32)) else {
        return Err(fault("bpf_obj_new_impl", format!("bpf_obj_new_impl: local type {} is no struct of the program's BTF", a[0])));
    };
    let addr = alloc::alloc(Rc::new(rec));
    expose(m, addr);
    Ok(addr)
}

fn percpu_obj_new(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let Some(rec) = m.prog.local_types.as_ref().and_then(|b| Record::of_struct(b, a[0] as u32)) else {
        return Err(fault("bpf_percpu_obj_new_impl", format!("bpf_percpu_obj_new_impl: local type {} is no struct of the program's BTF", a[0])));
    };
    let addr = alloc::alloc_percpu(Rc::new(rec), m.prog.nr_cpus);
    expose(m, addr);
    Ok(addr)
}

fn percpu_obj_drop(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    if !alloc::is_object_start(a[0], true) {
        return Err(fault("bpf_percpu_obj_drop_impl", format!("bpf_percpu_obj_drop_impl: {:#x} is no per-CPU object", a[0])));
    }
    let freed = alloc::drop_obj(a[0]);
    forget(m, &freed);
    Ok(0)
}

fn obj_drop(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    match alloc::object_at(a[0], 1) {
        Some((start, _, _)) if start == a[0] => {
            let freed = alloc::drop_obj(start);
            forget(m, &freed);
            Ok(0)
        }
        _ => Err(fault("bpf_obj_drop_impl", format!("bpf_obj_drop_impl: {:#x} is no allocated object", a[0]))),
    }
}

fn refcount_acquire(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let Some((start, _, _)) = alloc::object_at(a[0], 1) else { return Ok(0) };
    let _ = m;
    Ok(if alloc::acquire(start) { a[0] } else { 0 })
}

fn push(m: &mut Machine<'_>, a: &[u64; 5], back: bool, name: &str) -> Result<u64, Trap> {
    let head = head_arg(m, a[0], name)?;
    let (r, freed) = alloc::list_push(head, a[1], back);
    forget(m, &freed);
    Ok(r as u64)
}

fn list_push_front(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    push(m, a, false, "bpf_list_push_front_impl")
}

fn list_push_back(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    push(m, a, true, "bpf_list_push_back_impl")
}

fn handed(m: &mut Machine<'_>, n: u64) -> Result<u64, Trap> {
    if n != 0 {
        expose(m, n);
    }
    Ok(n)
}

fn list_pop_front(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let h = head_arg(m, a[0], "bpf_list_pop_front")?;
    handed(m, alloc::list_pop(h, false))
}

fn list_pop_back(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let h = head_arg(m, a[0], "bpf_list_pop_back")?;
    handed(m, alloc::list_pop(h, true))
}

fn list_front(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let h = head_arg(m, a[0], "bpf_list_front")?;
    handed(m, alloc::list_peek(h, false))
}

fn list_back(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let h = head_arg(m, a[0], "bpf_list_back")?;
    handed(m, alloc::list_peek(h, true))
}

fn rbtree_add(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let root = head_arg(m, a[0], "bpf_rbtree_add_impl")?;
    let pc = m.func_pc(a[2])?;
    let mut less = |x: u64, y: u64| {
        // less() reads both nodes' objects (one may come from an earlier run).
        expose(m, x);
        expose(m, y);
        m.call(pc, [x, y, 0, 0, 0]).map(|r| r & 0xff != 0)
    };
    let (r, freed) = alloc::rb_add(root, a[1], &mut less)?;
    forget(m, &freed);
    Ok(r as u64)
}

fn rbtree_first(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let r = head_arg(m, a[0], "bpf_rbtree_first")?;
    handed(m, alloc::rb_first(r))
}

fn rbtree_root(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let r = head_arg(m, a[0], "bpf_rbtree_root")?;
    handed(m, alloc::rb_root(r))
}

fn rbtree_left(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let r = head_arg(m, a[0], "bpf_rbtree_left")?;
    handed(m, alloc::rb_child(r, a[1], true))
}

fn rbtree_right(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let r = head_arg(m, a[0], "bpf_rbtree_right")?;
    handed(m, alloc::rb_child(r, a[1], false))
}

fn rbtree_remove(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let r = head_arg(m, a[0], "bpf_rbtree_remove")?;
    handed(m, alloc::rb_remove(r, a[1]))
}

/// The graph kfuncs the engine implements (Linux 6.18 names).
pub const GRAPH_KFUNCS: &[(&str, HelperFn)] = &[
    ("bpf_obj_new_impl", obj_new),
    ("bpf_obj_drop_impl", obj_drop),
    ("bpf_percpu_obj_new_impl", percpu_obj_new),
    ("bpf_percpu_obj_drop_impl", percpu_obj_drop),
    ("bpf_refcount_acquire_impl", refcount_acquire),
    ("bpf_list_push_front_impl", list_push_front),
    ("bpf_list_push_back_impl", list_push_back),
    ("bpf_list_pop_front", list_pop_front),
    ("bpf_list_pop_back", list_pop_back),
    ("bpf_list_front", list_front),
    ("bpf_list_back", list_back),
    ("bpf_rbtree_add_impl", rbtree_add),
    ("bpf_rbtree_first", rbtree_first),
    ("bpf_rbtree_root", rbtree_root),
    ("bpf_rbtree_left", rbtree_left),
    ("bpf_rbtree_right", rbtree_right),
    ("bpf_rbtree_remove", rbtree_remove),
];

/// `bpf_kptr_xchg(dst, ptr)`: the kptr field at `dst` (in a map value or an object) takes `ptr`
/// (which it now owns) and gives back what it held, which the program now owns.
pub fn kptr_xchg(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let dst = a[0];
    if alloc::object_at(dst, 8).is_none() {
        m.mem.check(dst, 8, true).map_err(|_| fault("bpf_kptr_xchg", format!("bpf_kptr_xchg: {dst:#x} is no kptr field of a map value or object")))?;
    }
    // SAFETY: 8 writable bytes of a map value or live object, checked above.
    let old = unsafe { (dst as *mut u64).replace(a[1]) };
    if old != 0 {
        expose(m, old);
    }
    Ok(old)
}

/// One CPU's copy of a per-CPU object (bpf_per_cpu_ptr): NULL past the possible CPUs.
pub fn per_cpu_ptr(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    percpu_copy(m, a[0], a[1])
}

/// This CPU's copy of a per-CPU object (bpf_this_cpu_ptr).
pub fn this_cpu_ptr(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let cpu = u64::from(m.cpu);
    percpu_copy(m, a[0], cpu)
}

fn percpu_copy(m: &mut Machine<'_>, p: u64, cpu: u64) -> Result<u64, Trap> {
    if !alloc::is_object_start(p, true) {
        // A per-CPU kernel variable (a typed __ksym): uxdp has no kernel memory behind it.
        return Err(fault("bpf_per_cpu_ptr", format!("{p:#x} is no per-CPU object of the program's (per-CPU kernel variables are not emulated)")));
    }
    let copy = u32::try_from(cpu).ok().and_then(|c| alloc::percpu_copy(p, c)).unwrap_or(0);
    if copy != 0 {
        expose(m, copy);
    }
    Ok(copy)
}

impl Machine<'_> {
    /// Makes a live allocated object holding `[addr, addr + len)` a region of the run: a pointer
    /// loaded from a kptr field reaches its object (possibly one an earlier run allocated).
    /// Whether there was one.
    #[cold]
    pub(crate) fn reach_object(&mut self, addr: u64, len: u64) -> bool {
        if super::kernel_obj::reach(self, addr, len) {
            return true;
        }
        if self.prog.local_types.is_none() || alloc::object_at(addr, len).is_none() {
            return false;
        }
        expose(self, addr);
        true
    }
}
