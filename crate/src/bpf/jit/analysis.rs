//! Which programs the compiler takes, and what a block's map lookups name.

use std::rc::Rc;

use super::super::insn::{Insn, STACK_TOTAL};
use super::super::isa::{Callee, Cfg, Op, Size};
use super::super::machine::{Callable, Prog};
use super::super::maps::{JitLookup, Map};

/// Whether the compiler takes the program (see the module's documentation): every instruction is
/// one it emits, with registers that exist (in every field, used or not), no write to r10, jumps
/// that land on an instruction of the program, and nothing that can run off its end.
pub(super) fn acceptable(insns: &[Insn], cfg: &Cfg) -> bool {
    let n = cfg.len();
    if n == 0 || n > 1 << 20 {
        return false;
    }
    let lands = |pc: usize| cfg.jump_target(pc).is_some_and(|t| t < n && !cfg.second_half(t));
    for pc in cfg.starts() {
        let (i, op) = (insns[pc], cfg.ops[pc]);
        if i.dst() > 10 || i.src() > 10 {
            return false;
        }
        let ok = match op {
            Op::Alu { dst, .. } | Op::Load { dst, .. } | Op::Lddw { dst, .. } => dst != 10,
            Op::End { dst, bits, .. } => dst != 10 && matches!(bits, 16 | 32 | 64),
            Op::Store { .. } | Op::Exit | Op::Callx { .. } | Op::Call(Callee::Helper(_) | Callee::Kfunc { .. }) => true,
            Op::Atomic { size: Size::W | Size::DW, op, src, .. } => op.runs() && op.writes(src) != Some(10),
            Op::Ja { .. } | Op::Jump { .. } => lands(pc),
            _ => false,
        };
        if !ok || (op.falls_through() && pc + op.width() >= n) {
            return false;
        }
    }
    true
}

/// For a `call 1` at `pc`: the map it looks up, when r1 is set by an lddw of one of the
/// program's maps earlier in the same basic block, helper 1 is the engine's own
/// bpf_map_lookup_elem, and the map's lookup can be done without the helper (see
/// [`Map::jit_lookup`]); None otherwise.
pub(super) fn lookup_target<'p>(prog: &'p Prog, cfg: &Cfg, pc: usize) -> Option<(&'p Rc<Map>, JitLookup)> {
    if cfg.ops[pc] != Op::Call(Callee::Helper(1)) {
        return None;
    }
    match prog.helpers.get(1) {
        Some(Some(Callable::Native(f))) if super::super::helpers::native_helper(1).is_some_and(|g| std::ptr::fn_addr_eq(*f, g)) => {}
        _ => return None,
    }
    // Walk back through the block to the instruction that last wrote r1.
    let mut q = pc;
    loop {
        if cfg.leader(q) || q == 0 {
            return None;
        }
        q -= 1;
        // An lddw's second half: look at its first.
        if cfg.second_half(q) {
            q -= 1;
            match cfg.ops[q] {
                Op::Lddw { dst: 1, imm: handle, .. } => {
                    let map = prog.maps.iter().find(|m| super::super::machine::map_handle(m) == handle)?;
                    let how = map.jit_lookup()?;
                    let ks = u64::from(map.def().key_size);
                    if ks == 0 || ks > STACK_TOTAL {
                        return None;
                    }
                    if let JitLookup::Array { stride, .. } | JitLookup::PercpuArray { stride, .. } = how {
                        if ks != 4 || i32::try_from(stride).is_err() {
                            return None;
                        }
                    }
                    if let JitLookup::PercpuArray { nr_cpus, .. } = how {
                        if i32::try_from(nr_cpus).is_err() {
                            return None;
                        }
                    }
                    return Some((map, how));
                }
                _ => continue,
            }
        }
        let writes_r1 = match cfg.ops[q] {
            Op::Alu { dst, .. } | Op::End { dst, .. } | Op::Load { dst, .. } => dst == 1,
            Op::Store { .. } => false,
            // Any atomic naming r1 as its source is taken to write it.
            Op::Atomic { src, .. } => src == 1,
            _ => true,
        };
        if writes_r1 {
            return None;
        }
    }
}
