//! Kernel structs a kfunc hands a program by pointer (PTR_TO_BTF_ID with a known struct): the
//! conntrack entry `struct nf_conn` and its not-yet-inserted `struct nf_conn___init`. What the
//! verifier checks of them: a kfunc argument's struct, trust and offset; loads within the struct
//! (pointer members load as pointers); and stores, which netfilter allows to `mark` alone
//! (`nf_conntrack_btf_struct_access`). The layout is 6.18's (`hostnet::conntrack::layout`).

use super::state::*;
use super::explore::Verifier;
use super::{refuse, VResult};
use crate::bpf::protos::kfuncs::{Kfunc, KF_RELEASE};
use crate::errno::Errno;
use crate::hostnet::conntrack::layout;

/// The kernel struct a kfunc's C type points to, when the verifier knows its layout.
pub(super) fn kernel_struct(c_type: &str) -> Option<&'static str> {
    let t = c_type.trim().trim_start_matches("const ").trim_end_matches('*').trim();
    match t {
        "struct nf_conn" => Some("nf_conn"),
        "struct nf_conn___init" => Some("nf_conn___init"),
        _ => None,
    }
}

/// The kernel struct a kfunc returns a pointer to (`struct task_struct *`, `struct cgroup *`,
/// ...), named when the modelled kernel has it: what `bpf_kptr_xchg` matches against a kernel
/// kptr field's type, and the log prints (`ptr_or_null_cgroup(`).
pub(super) fn returned_struct(c_type: &'static str) -> Option<&'static str> {
    kernel_struct(c_type).or_else(|| {
        let t = c_type.trim().trim_start_matches("const ").trim_end_matches('*').trim();
        t.strip_prefix("struct ").filter(|n| crate::bpf::target::kernel_has_struct(n))
    })
}

/// A kernel struct whose layout uxdp checks accesses against; others are only named.
pub(super) fn modelled(name: &str) -> bool {
    struct_size(name) > 0
}

fn struct_size(name: &str) -> i32 {
    match name {
        "nf_conn" | "nf_conn___init" => layout::SIZE,
        _ => 0,
    }
}

impl Verifier<'_> {
    /// A kfunc argument of a known kernel struct (`process_kf_arg_ptr_to_btf_id`): a trusted or
    /// referenced pointer to exactly that struct, at its start. Returns the reference a release
    /// kfunc drops.
    pub(super) fn check_kernel_struct_arg(&mut self, k: &Kfunc, regno: u8, argn: usize, want: &str, reg: &Reg) -> VResult<Option<u32>> {
        if base(reg.ty) != PTR_TO_BTF_ID {
            // Before refusing, the kernel asks whether the struct is made of scalars only, and
            // gives up in nf_conn's nesting with a line of its own.
            if modelled(want) {
                self.log.line("max struct nesting depth exceeded");
            }
            return refuse(Errno::EINVAL, format!("arg#{argn} pointer type STRUCT {want} must point to scalar, or struct with scalar"));
        }
        if reg.ty & PTR_TRUSTED == 0 && reg.ref_obj_id == 0 {
            return refuse(Errno::EINVAL, format!("R{regno} must be referenced or trusted"));
        }
        if reg.off != 0 || reg.var.is_const() != Some(0) {
            return refuse(Errno::EINVAL, format!("R{regno} must have zero offset when passed to release func or trusted arg to kfunc"));
        }
        let have = reg.btf_struct.unwrap_or("(anon)");
        if have != want {
            return refuse(
                Errno::EINVAL,
                format!("kernel function {} args#{argn} expected pointer to STRUCT {want} but R{regno} has a pointer to STRUCT {have}", k.name),
            );
        }
        if k.flags & KF_RELEASE != 0 {
            if reg.ref_obj_id == 0 {
                return refuse(Errno::EINVAL, format!("release kernel function {} expects refcounted PTR_TO_BTF_ID", k.name));
            }
            return Ok(Some(reg.ref_obj_id));
        }
        Ok(None)
    }

    /// A load from or store to a known kernel struct at `off` (the register's fixed offset
    /// included): what is loaded, for a load.
    pub(super) fn check_kernel_struct_access(&self, regno: u8, reg: &Reg, name: &'static str, off: i32, size: i32, write: bool) -> VResult<Reg> {
        if reg.var.is_const() != Some(0) {
            return refuse(Errno::EACCES, format!("R{regno} is ptr_{name} invalid variable offset: off={off}, var_off={}", reg.var.var_off.strn()));
        }
        if off < 0 {
            return refuse(Errno::EACCES, format!("R{regno} is ptr_{name} invalid negative access: off={off}"));
        }
        if write {
            // nf_conn and nf_conn___init share a layout; the kernel names the former.
            if off != layout::MARK {
                return refuse(Errno::EACCES, format!("no write support to nf_conn at off {off}"));
            }
            let end = layout::MARK + 4;
            if off + size > end {
                return refuse(Errno::EACCES, format!("write access at off {off} with size {size} beyond the member of nf_conn ended at {end}"));
            }
            return Ok(Reg::unknown());
        }
        if off + size > struct_size(name) {
            return refuse(Errno::EACCES, format!("access beyond struct {name} at off {off} size {size}"));
        }
        if size == 8 && off == layout::MASTER {
            // `master`: another entry, untrusted (read-only, never released).
            return Ok(Reg { btf_struct: Some("nf_conn"), ..Reg::ptr(PTR_TO_BTF_ID | PTR_UNTRUSTED) });
        }
        if size == 8 && layout::OTHER_POINTERS.contains(&off) {
            return Ok(Reg::ptr(PTR_TO_BTF_ID));
        }
        Ok(Reg::unknown())
    }
}
