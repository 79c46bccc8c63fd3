//! Kernel objects a program holds references to and stashes in `__kptr` fields of map values:
//! the cgroups of `bpf_cgroup_from_id` / `bpf_cgroup_acquire` / `bpf_cgroup_ancestor`, released by
//! `bpf_cgroup_release`, their destructor (`register_btf_id_dtor_kfuncs`' pairing). A map value
//! holding one releases it when the value is deleted, overwritten or the map goes
//! ([`super::alloc::contained`]), so every reference a program took comes back, counted
//! ([`held_references`]).
//!
//! The model has one cgroup, the root of the default hierarchy (id 1, level 0): the cgroup of
//! test_run's socket and of the task uxdp runs programs as (see `helpers_tc.rs`). Its image is a
//! `struct cgroup` of 6.18's layout (from the shipped target BTF) with what the root's holds as the
//! kernel sets it up: `level` 0, `max_depth` and `max_descendants` INT_MAX, its css id 0 and
//! `ancestors[0]` itself; the rest reads 0 (its `kn` too: the shipped BTF only declares
//! `struct kernfs_node`). The kernel's own reference keeps it alive; the count is the
//! programs'. Tasks are not modelled (`bpf_task_from_pid` and the rest fault with their names).

use std::cell::RefCell;

use super::super::machine::{HelperFn, Machine, Trap};
use super::super::memory::{Region, RegionKind};
use crate::bpf::btf::{Btf, Kind};
use crate::errno::Errno;

/// The root cgroup's id (`cgrp_dfl_root.cgrp`'s kernfs id).
pub const ROOT_CGROUP_ID: u64 = 1;
/// Regions of kernel objects in a run carry this tag.
const KOBJ_TAG: u64 = 0x6b6f_626a_0000_0000;

struct KernelObject {
    /// `struct cgroup`'s image (boxed: its address stays put).
    image: Box<[u8]>,
    /// References programs hold (stashed ones included).
    refs: u64,
}

thread_local! {
    static ROOT: RefCell<Option<KernelObject>> = const { RefCell::new(None) };
}

fn member_off(btf: &Btf, id: u32, name: &str) -> Option<u32> {
    match &btf.type_by_id(id)?.kind {
        Kind::Struct { members, .. } => members.iter().find(|m| m.name == name).map(|m| m.bit_offset / 8),
        _ => None,
    }
}

/// The root cgroup's image, made on first use from the target BTF's layout.
fn make_root() -> Option<KernelObject> {
    let target = crate::bpf::target::BtfSource::Uxdp618.load().ok()?;
    let btf = &target.btf;
    let cg = target.find("cgroup", crate::bpf::btf::KIND_STRUCT)?;
    let size = btf.resolve_size(cg).ok()? as usize;
    let at = |name: &str| member_off(btf, cg, name).map(|o| o as usize);
    let (level, max_depth, max_desc, anc) = (at("level")?, at("max_depth")?, at("max_descendants")?, at("ancestors")?);
    // `ancestors[]` is a flexible array: the root's holds itself.
    let mut image = vec![0u8; size.max(anc + 8)].into_boxed_slice();
    let self_addr = image.as_ptr() as u64;
    image[level..level + 4].copy_from_slice(&0i32.to_le_bytes());
    image[max_depth..max_depth + 4].copy_from_slice(&i32::MAX.to_le_bytes());
    image[max_desc..max_desc + 4].copy_from_slice(&i32::MAX.to_le_bytes());
    image[anc..anc + 8].copy_from_slice(&self_addr.to_le_bytes());
    Some(KernelObject { image, refs: 0 })
}

fn with_root<R>(f: impl FnOnce(&mut KernelObject) -> R) -> Option<R> {
    ROOT.with(|r| {
        let mut r = r.borrow_mut();
        if r.is_none() {
            *r = make_root();
        }
        r.as_mut().map(f)
    })
}

/// The root cgroup's address (where its `struct cgroup` image is).
fn root_addr() -> u64 {
    with_root(|o| o.image.as_ptr() as u64).unwrap_or(0)
}

/// Whether `p` is a kernel object of the model (a pointer a program may hold a reference to).
pub fn is_object(p: u64) -> bool {
    p != 0 && ROOT.with(|r| r.borrow().as_ref().is_some_and(|o| o.image.as_ptr() as u64 == p))
}

/// References programs hold on kernel objects (taken and not yet released, stashed ones too).
pub fn held_references() -> u64 {
    ROOT.with(|r| r.borrow().as_ref().map_or(0, |o| o.refs))
}

/// Drops one reference (the type's destructor: bpf_cgroup_release's `cgroup_put`).
pub fn release(p: u64) {
    if is_object(p) {
        with_root(|o| o.refs = o.refs.saturating_sub(1));
    }
}

fn take_ref() -> u64 {
    with_root(|o| {
        o.refs += 1;
        o.image.as_ptr() as u64
    })
    .unwrap_or(0)
}

/// Makes the object holding `[addr, addr + len)` a read-only
/// region of the run. Whether there was one.
pub fn reach(m: &mut Machine<'_>, addr: u64, len: u64) -> bool {
    let found = ROOT.with(|r| {
        let r = r.borrow();
        let o = r.as_ref()?;
        let (s, l) = (o.image.as_ptr() as u64, o.image.len() as u64);
        (addr >= s && addr.saturating_add(len) <= s + l).then_some((s, l))
    });
    let Some((start, size)) = found else { return false };
    if m.mem.find(start, size).is_none() {
        m.mem.push(Region::new(start, size, false, RegionKind::Mem, KOBJ_TAG));
    }
    true
}

fn fault(name: &str, msg: String) -> Trap {
    super::super::helpers::fault(Errno::EINVAL, format!("{name}: {msg}"))
}

fn cgroup_arg(name: &str, p: u64) -> Result<(), Trap> {
    if is_object(p) {
        Ok(())
    } else {
        Err(fault(name, format!("{p:#x} is no cgroup of the model")))
    }
}

/// bpf_cgroup_from_id(id): a reference to the cgroup of that id (the root's, 1); NULL for others.
fn cgroup_from_id(_m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(if a[0] == ROOT_CGROUP_ID { take_ref() } else { 0 })
}

/// bpf_cgroup_acquire(cgrp): another reference.
fn cgroup_acquire(_m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    cgroup_arg("bpf_cgroup_acquire", a[0])?;
    Ok(take_ref())
}

/// bpf_cgroup_release(cgrp).
fn cgroup_release(_m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    cgroup_arg("bpf_cgroup_release", a[0])?;
    release(a[0]);
    Ok(0)
}

/// bpf_cgroup_ancestor(cgrp, level): a reference to the ancestor at `level` (0: the root); NULL
/// below 0 or past the cgroup's own level.
fn cgroup_ancestor(_m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    cgroup_arg("bpf_cgroup_ancestor", a[0])?;
    Ok(if a[1] as i32 == 0 && a[0] == root_addr() { take_ref() } else { 0 })
}

/// The kfuncs over kernel objects, by name.
pub const KERNEL_OBJ_KFUNCS: &[(&str, HelperFn)] = &[
    ("bpf_cgroup_from_id", cgroup_from_id),
    ("bpf_cgroup_acquire", cgroup_acquire),
    ("bpf_cgroup_release", cgroup_release),
    ("bpf_cgroup_ancestor", cgroup_ancestor),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_cgroup_reads_as_the_kernel_lays_it_out() {
        let p = take_ref();
        assert!(is_object(p));
        let target = crate::bpf::target::BtfSource::Uxdp618.load().unwrap();
        let cg = target.find("cgroup", crate::bpf::btf::KIND_STRUCT).unwrap();
        let read = |name: &str| {
            let off = member_off(&target.btf, cg, name).unwrap() as u64;
            // SAFETY: inside the root's boxed image.
            unsafe { ((p + off) as *const i32).read_unaligned() }
        };
        assert_eq!((read("level"), read("max_depth")), (0, i32::MAX));
        assert_eq!(held_references(), 1);
        release(p);
        assert_eq!(held_references(), 0);
    }
}
