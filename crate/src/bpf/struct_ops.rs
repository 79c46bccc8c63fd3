//! A struct_ops-like program type the embedder declares, with the prologue and epilogue its ops
//! generate (seed 001, "bpf: Add gen_epilogue and allow kfunc call in pro/epilogue").
//!
//! The embedder declares the context (its size, which fields a program reads and writes) and the
//! instructions its `gen_prologue` and `gen_epilogue` return. The program is verified as written,
//! against that context; then the epilogue's context save goes in front (the context pointer at
//! `-(stack_depth + 8)`, the main program's stack growing by 8), the prologue in front of that,
//! and every exit of the main program becomes the epilogue (the first inline, later ones a jump
//! to it), as the kernel's `convert_ctx_accesses` does. Upstream merged that (patches 1–6) but not
//! kfunc calls in pro/epilogues (7–8): here they are policy, [`ProEpilogueKfuncs`]. A call is a
//! `BPF_PSEUDO_KFUNC_CALL` whose imm is the kfunc's BTF id in the module the generator names (none:
//! vmlinux); the fix-up gives each module BTF its slot in the program's kfunc BTF table (`off`), as
//! patch 7 did. The patched program is verified again, its pro/epilogue like its own code.

use crate::bpf::insn::Insn;
use crate::errno::{Errno, XdpError};

/// One field of a declared context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtxField {
    pub name: String,
    pub off: u32,
    pub size: u32,
    pub read: bool,
    pub write: bool,
}

/// A declared context: what `r1` points to when the program runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CtxLayout {
    pub size: u32,
    pub fields: Vec<CtxField>,
}

impl CtxLayout {
    /// EINVAL for fields outside the context, overlapping, or of a size that is not 1, 2, 4 or 8.
    pub fn check(&self) -> Result<(), XdpError> {
        const OP: &str = "struct_ops";
        let mut spans: Vec<(u32, u32, &str)> = Vec::new();
        for f in &self.fields {
            if !matches!(f.size, 1 | 2 | 4 | 8) || f.off % f.size != 0 {
                return Err(XdpError::new(Errno::EINVAL, OP, format!("ctx field {}: size {} at offset {} is not a naturally aligned 1, 2, 4 or 8 bytes", f.name, f.size, f.off)));
            }
            if u64::from(f.off) + u64::from(f.size) > u64::from(self.size) {
                return Err(XdpError::new(Errno::EINVAL, OP, format!("ctx field {} ends past the context's {} bytes", f.name, self.size)));
            }
            if let Some(o) = spans.iter().find(|(a, b, _)| f.off < *b && *a < f.off + f.size) {
                return Err(XdpError::new(Errno::EINVAL, OP, format!("ctx fields {} and {} overlap", o.2, f.name)));
            }
            spans.push((f.off, f.off + f.size, &f.name));
        }
        Ok(())
    }

    /// Whether a load (or store) of `size` bytes at `off` is allowed: a whole field, or (loads) a
    /// naturally aligned power-of-two part of a readable one.
    pub fn access(&self, off: i32, size: i32, write: bool) -> bool {
        let Some(f) = self.fields.iter().find(|f| off >= f.off as i32 && off < (f.off + f.size) as i32) else { return false };
        if write {
            return f.write && off == f.off as i32 && size == f.size as i32;
        }
        f.read && size > 0 && size & (size - 1) == 0 && off % size == 0 && off + size <= (f.off + f.size) as i32
    }
}

/// Whether a prologue or epilogue may call kfuncs (the thread's outcome as a switch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProEpilogueKfuncs {
    /// Kfuncs of any module with BTF (patches 7–8 as posted).
    #[default]
    Modules,
    /// Kernel text only (the maintainer's requirement: no far calls on every exit).
    BuiltinOnly,
    /// None (upstream Linux: 7–8 were dropped).
    None,
}

/// A module providing kfuncs, as the fix-up sees it: its name, whether it has BTF, and its kfuncs
/// (BTF id N is the N-th, from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KfuncModule {
    pub name: String,
    pub has_btf: bool,
    pub kfuncs: Vec<String>,
}

/// The kfuncs the verifier handles specially (`special_kfunc_list`): no pro/epilogue may call one.
#[rustfmt::skip]
pub const SPECIAL_KFUNCS: &[&str] = &[
    "bpf_obj_new_impl", "bpf_obj_drop_impl", "bpf_refcount_acquire_impl", "bpf_list_push_front_impl",
    "bpf_list_push_back_impl", "bpf_list_pop_front", "bpf_list_pop_back", "bpf_list_front", "bpf_list_back",
    "bpf_cast_to_kern_ctx", "bpf_rdonly_cast", "bpf_rcu_read_lock", "bpf_rcu_read_unlock", "bpf_rbtree_remove",
    "bpf_rbtree_add_impl", "bpf_rbtree_first", "bpf_rbtree_root", "bpf_rbtree_left", "bpf_rbtree_right",
    "bpf_dynptr_from_skb", "bpf_dynptr_from_xdp", "bpf_dynptr_from_skb_meta", "bpf_dynptr_slice",
    "bpf_dynptr_slice_rdwr", "bpf_dynptr_clone", "bpf_percpu_obj_new_impl", "bpf_percpu_obj_drop_impl", "bpf_throw",
    "bpf_wq_set_callback_impl", "bpf_preempt_disable", "bpf_preempt_enable", "bpf_iter_css_task_new",
    "bpf_session_cookie", "bpf_get_kmem_cache", "bpf_local_irq_save", "bpf_local_irq_restore",
    "bpf_iter_num_new", "bpf_iter_num_next", "bpf_iter_num_destroy", "bpf_set_dentry_xattr",
    "bpf_remove_dentry_xattr", "bpf_res_spin_lock", "bpf_res_spin_unlock", "bpf_res_spin_lock_irqsave",
    "bpf_res_spin_unlock_irqrestore", "__bpf_trap", "bpf_task_work_schedule_signal_impl",
    "bpf_task_work_schedule_resume_impl",
];

/// `MAX_KFUNC_BTFS`: module BTFs one program's kfunc calls may use.
pub const MAX_KFUNC_BTFS: usize = 256;

/// vmlinux's kfunc BTF ids as uxdp numbers them: a kernel kfunc's place in the table, from 1.
pub fn vmlinux_kfunc_id(name: &str) -> Option<u32> {
    crate::bpf::protos::kfuncs::kernel_kfunc_prog_types().position(|(n, _)| n == name).map(|i| i as u32 + 1)
}

pub fn vmlinux_kfunc_name(id: u32) -> Option<&'static str> {
    crate::bpf::protos::kfuncs::kernel_kfunc_prog_types().nth(id.checked_sub(1)? as usize).map(|(n, _)| n)
}

/// The program's kfunc BTF table (`kfunc_btf_tab`): module BTFs by the slot (`off`) calls name.
#[derive(Clone, Debug, Default)]
pub struct KfuncBtfTab {
    /// Module indices, slot = position + 1 (0 is vmlinux).
    pub modules: Vec<usize>,
}

impl KfuncBtfTab {
    /// The module's slot, added if new; E2BIG past [`MAX_KFUNC_BTFS`].
    pub fn slot(&mut self, module: usize) -> Result<i16, (Errno, String)> {
        if let Some(i) = self.modules.iter().position(|&m| m == module) {
            return Ok(i as i16 + 1);
        }
        if self.modules.len() == MAX_KFUNC_BTFS {
            return Err((Errno::E2BIG, "too many different module BTFs".into()));
        }
        self.modules.push(module);
        Ok(self.modules.len() as i16)
    }
}

/// What a generator returned: its instructions and the module its kfunc calls' ids belong to.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    pub insns: Vec<Insn>,
    /// An index into the modules; None: vmlinux.
    pub module: Option<usize>,
}

const CALL: u8 = 0x85;
const PSEUDO_KFUNC_CALL: u8 = 2;
const EXIT: u8 = 0x95;
const JA32: u8 = 0x06;

fn is_kfunc_call(i: &Insn) -> bool {
    i.code == CALL && i.src() == PSEUDO_KFUNC_CALL
}

/// Patch 7's `fixup_pro_epilogue_kfunc` under the policy: each kfunc call of a pro/epilogue is
/// checked and gets its module BTF's slot in `off`; returns the callees' names by the calls'
/// positions. Refusals in the kernel's words (and the policy's).
pub fn fixup_kfunc_calls(
    g: &mut Generated,
    modules: &[KfuncModule],
    policy: ProEpilogueKfuncs,
    tab: &mut KfuncBtfTab,
) -> Result<Vec<(usize, String)>, (Errno, String)> {
    let mut callees = Vec::new();
    for (pc, insn) in g.insns.iter_mut().enumerate() {
        if !is_kfunc_call(insn) {
            continue;
        }
        let id = insn.imm as u32;
        match policy {
            ProEpilogueKfuncs::None => {
                return Err((Errno::EINVAL, "pro/epilogue cannot call kfuncs (prologueKfuncs: 'none', as upstream Linux)".into()));
            }
            ProEpilogueKfuncs::BuiltinOnly if g.module.is_some() => {
                let m = &modules[g.module.unwrap_or_default()];
                return Err((
                    Errno::EINVAL,
                    format!("pro/epilogue kfunc calls must be kernel text, not module {} (prologueKfuncs: 'builtin-only')", m.name),
                ));
            }
            _ => {}
        }
        match g.module {
            None => {
                let Some(name) = vmlinux_kfunc_name(id) else {
                    return Err((Errno::EINVAL, format!("kernel btf_id {id} is not a function")));
                };
                if SPECIAL_KFUNCS.contains(&name) {
                    return Err((Errno::EINVAL, "pro/epilogue cannot use special kfunc".into()));
                }
                insn.off = 0;
                callees.push((pc, name.to_string()));
            }
            Some(mi) => {
                let m = &modules[mi];
                if !m.has_btf {
                    return Err((Errno::EINVAL, format!("cannot find BTF from {} for kfunc used in pro/epilogue", m.name)));
                }
                let Some(name) = id.checked_sub(1).and_then(|i| m.kfuncs.get(i as usize)) else {
                    return Err((Errno::EINVAL, format!("kernel btf_id {id} is not a function")));
                };
                insn.off = tab.slot(mi)?;
                callees.push((pc, name.clone()));
            }
        }
    }
    Ok(callees)
}

/// The program with its prologue and epilogue, and where things moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patched {
    pub insns: Vec<Insn>,
    /// Instructions put in front of the program (prologue, then the context save).
    pub front: usize,
    /// Where the epilogue starts, if there is one.
    pub epilogue_at: Option<usize>,
    /// The main program's stack depth after the context save slot.
    pub stack_depth: u32,
    /// For each original instruction, its index in the patched program.
    pub moved: Vec<usize>,
}

/// `convert_ctx_accesses`' pro/epilogue part. `main_end` is where the main program ends (the
/// first subprogram's start, or the program's length); `stack_depth` is its verified depth.
pub fn patch(insns: &[Insn], main_end: usize, stack_depth: u32, prologue: &[Insn], epilogue: &[Insn]) -> Patched {
    let mut out: Vec<Insn> = prologue.to_vec();
    let mut depth = stack_depth;
    if !epilogue.is_empty() {
        depth += 8;
        // *(u64 *)(r10 - depth) = r1
        out.push(Insn::new(0x7b, 10, 1, -(depth as i32) as i16, 0));
    }
    let front = out.len();
    let mut moved = Vec::with_capacity(insns.len());
    let mut epilogue_at: Option<usize> = None;
    // Jumps that cross a replaced exit need their offsets fixed: map old pc -> new pc first.
    let mut pc = 0;
    while pc < insns.len() {
        moved.push(out.len());
        let i = insns[pc];
        if i.code == EXIT && pc < main_end && !epilogue.is_empty() {
            match epilogue_at {
                Some(at) => out.push(Insn::new(JA32, 0, 0, 0, at as i32 - out.len() as i32 - 1)),
                None => {
                    epilogue_at = Some(out.len());
                    out.extend_from_slice(epilogue);
                }
            }
        } else {
            out.push(i);
        }
        pc += 1;
    }
    // Relative jumps and calls of the original code now span the epilogue where it was put.
    let end = out.len();
    let new_pc = |old: usize| if old < moved.len() { moved[old] } else { end };
    for (old, &at) in moved.iter().enumerate() {
        let i = insns[old];
        let is_jump = matches!(i.class(), 0x05 | 0x06) && !matches!(i.code, CALL | EXIT) || (i.code == CALL && i.src() == 1);
        let replaced = i.code == EXIT && old < main_end && !epilogue.is_empty();
        if !is_jump || replaced {
            continue;
        }
        let (target, wide) = if i.code == JA32 || (i.code == CALL && i.src() == 1) { (old as i64 + 1 + i.imm as i64, true) } else { (old as i64 + 1 + i.off as i64, false) };
        let t = new_pc(target.max(0) as usize) as i64 - at as i64 - 1;
        if wide {
            out[at].imm = t as i32;
        } else {
            out[at].off = t as i16;
        }
    }
    // A ld_imm64 of a function (src 4) is relative as well.
    for (old, &at) in moved.iter().enumerate() {
        let i = insns[old];
        if i.code == 0x18 && i.src() == 4 {
            out[at].imm = (new_pc((old as i64 + 1 + i.imm as i64) as usize) as i64 - at as i64 - 1) as i32;
        }
    }
    Patched { insns: out, front, epilogue_at, stack_depth: depth, moved }
}

/// Runs a loaded struct_ops-like program on a context (`r1` points to it; its fields change in
/// place), in the interpreter: r0, or the fault.
pub fn run(prog: std::rc::Rc<crate::bpf::Prog>, ctx: &mut [u8]) -> Result<u64, XdpError> {
    use crate::bpf::memory::{Region, RegionKind};
    if prog.kind != crate::bpf::elf::ProgKind::StructOps {
        return Err(XdpError::new(Errno::EINVAL, "struct_ops_run", format!("program '{}' is not a struct_ops program", prog.name)));
    }
    let mut m = crate::bpf::Machine::new(prog);
    m.mem.push(Region::of_slice(ctx, true, RegionKind::Mem, 0));
    let r = m.run([ctx.as_mut_ptr() as u64, 0, 0, 0, 0]);
    // The region must not outlive the buffer it describes.
    drop(m);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> CtxLayout {
        CtxLayout {
            size: 16,
            fields: vec![
                CtxField { name: "a".into(), off: 0, size: 8, read: true, write: true },
                CtxField { name: "b".into(), off: 8, size: 4, read: true, write: false },
            ],
        }
    }

    #[test]
    fn the_context_allows_what_it_declares() {
        let l = layout();
        l.check().unwrap();
        assert!(l.access(0, 8, false) && l.access(0, 8, true) && l.access(4, 4, false));
        assert!(!l.access(0, 4, true), "a store is of the whole field");
        assert!(!l.access(8, 4, true) && l.access(8, 4, false) && !l.access(12, 4, false) && !l.access(6, 4, false));
        let bad = CtxLayout { size: 8, fields: vec![CtxField { name: "x".into(), off: 4, size: 8, read: true, write: false }] };
        assert_eq!(bad.check().unwrap_err().errno, Errno::EINVAL);
    }

    #[test]
    fn exits_become_the_epilogue_and_jumps_follow() {
        // 0: if r1 == 0 goto 2; 1: exit; 2: r0 = 1; 3: exit
        let prog = [Insn::new(0x15, 1, 0, 1, 0), Insn::new(EXIT, 0, 0, 0, 0), Insn::new(0xb7, 0, 0, 0, 1), Insn::new(EXIT, 0, 0, 0, 0)];
        let epilogue = [Insn::new(0x79, 1, 10, -8, 0), Insn::new(0x07, 0, 0, 0, 10), Insn::new(EXIT, 0, 0, 0, 0)];
        let prologue = [Insn::new(0xb7, 6, 0, 0, 0)];
        let p = patch(&prog, prog.len(), 0, &prologue, &epilogue);
        assert_eq!(p.front, 2);
        assert_eq!(p.stack_depth, 8);
        assert_eq!(p.insns[1], Insn::new(0x7b, 10, 1, -8, 0), "the context saved at -(depth + 8)");
        assert_eq!(p.epilogue_at, Some(3));
        assert_eq!(p.moved, vec![2, 3, 6, 7]);
        // The jump at 2 still reaches the old insn 2 (now 6): off = 6 - 2 - 1.
        assert_eq!(p.insns[2].off, 3);
        // The second exit jumps back to the epilogue: 3 - 7 - 1.
        assert_eq!(p.insns[7], Insn::new(JA32, 0, 0, 0, -5));
    }

    #[test]
    fn kfunc_calls_get_their_module_slot_or_the_refusal() {
        let call = |id| Insn::new(CALL, 0, PSEUDO_KFUNC_CALL, 0, id);
        let modules = vec![
            KfuncModule { name: "st_ops".into(), has_btf: true, kfuncs: vec!["inc10".into(), "inc100".into()] },
            KfuncModule { name: "nobtf".into(), has_btf: false, kfuncs: vec!["x".into()] },
        ];
        let mut tab = KfuncBtfTab::default();
        let mut g = Generated { insns: vec![call(2)], module: Some(0) };
        assert_eq!(fixup_kfunc_calls(&mut g, &modules, ProEpilogueKfuncs::Modules, &mut tab).unwrap(), vec![(0, "inc100".to_string())]);
        assert_eq!(g.insns[0].off, 1);
        let mut g = Generated { insns: vec![call(1)], module: Some(1) };
        assert_eq!(fixup_kfunc_calls(&mut g, &modules, ProEpilogueKfuncs::Modules, &mut tab).unwrap_err().1, "cannot find BTF from nobtf for kfunc used in pro/epilogue");
        let special = vmlinux_kfunc_id("bpf_obj_new_impl").unwrap() as i32;
        let mut g = Generated { insns: vec![call(special)], module: None };
        assert_eq!(fixup_kfunc_calls(&mut g, &modules, ProEpilogueKfuncs::Modules, &mut tab).unwrap_err().1, "pro/epilogue cannot use special kfunc");
        let mut g = Generated { insns: vec![call(1)], module: Some(0) };
        assert!(fixup_kfunc_calls(&mut g, &modules, ProEpilogueKfuncs::BuiltinOnly, &mut tab).unwrap_err().1.contains("not module st_ops"));
        let mut g = Generated { insns: vec![call(1)], module: Some(0) };
        assert!(fixup_kfunc_calls(&mut g, &modules, ProEpilogueKfuncs::None, &mut tab).is_err());
        let mut full = KfuncBtfTab { modules: (100..356).collect() };
        assert_eq!(full.slot(0).unwrap_err(), (Errno::E2BIG, "too many different module BTFs".to_string()));
        assert_eq!(full.slot(100), Ok(1));
    }
}
