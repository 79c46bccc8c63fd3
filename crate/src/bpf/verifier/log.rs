//! The verifier log as the kernel writes it: at level 1 each instruction on the path as it is
//! verified (`12: (61) r2 = *(u32 *)(r1 +4)`), `from X to Y:` where a saved path resumes, and the
//! stats; at level 2 the register and stack state after every instruction
//! (`R1=ctx() R2=pkt(r=14) R10=fp0 fp-8=mmmmmmmm`).

use super::state::*;
use super::Input;
use crate::bpf::disasm;
use crate::bpf::insn::Insn;
use crate::bpf::isa::{Callee, Op};

pub struct Log {
    pub level: u32,
    text: String,
}

impl Log {
    pub fn new(level: u32) -> Log {
        Log { level, text: String::new() }
    }

    pub fn line(&mut self, s: &str) {
        if self.level == 0 {
            return;
        }
        self.text.push_str(s);
        self.text.push('\n');
    }

    /// Appends a state to the last printed instruction, padded as the kernel pads it.
    pub fn append_state(&mut self, state: &str) {
        if self.level == 0 || state.is_empty() {
            return;
        }
        if self.text.ends_with('\n') {
            self.text.pop();
        }
        let line_start = self.text.rfind('\n').map_or(0, |i| i + 1);
        let width = self.text.len() - line_start;
        if width < 40 {
            self.text.extend(std::iter::repeat_n(' ', 40 - width));
        }
        self.text.push_str(" ; ");
        self.text.push_str(state);
        self.text.push('\n');
    }

    /// After a pass of the walk that succeeded: at level 1 the kernel keeps nothing of it (only
    /// a failing pass's path, and the lines after the last pass, reach the user).
    pub fn pass_succeeded(&mut self) {
        if self.level == 1 {
            self.text.clear();
        }
    }

    /// How much has been written (to tell whether anything followed a line).
    pub fn written(&self) -> usize {
        self.text.len()
    }

    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.text)
    }

    /// An instruction as the kernel's `print_bpf_insn` prints it (kfunc calls by name).
    pub fn insn(&self, insns: &[Insn], pc: usize, op: &Op, input: &Input) -> String {
        let names = |imm: i32| -> Option<String> {
            if let Op::Call(Callee::Kfunc { .. }) = op {
                return input.kfuncs.get(imm as usize).cloned().flatten().map(|k| k.name);
            }
            None
        };
        disasm::kernel_style(insns, pc, &names)
    }

    /// A frame's registers and stack, as ` R1=ctx() R10=fp0 fp-8=mmmmmmmm`.
    pub fn frame_state(&self, st: &State, frame: usize, _all: bool) -> String {
        let f = &st.frames[frame];
        let mut out = String::new();
        if f.frameno > 0 {
            out.push_str(&format!(" frame{}:", f.frameno));
        }
        for (i, r) in f.regs.iter().enumerate() {
            if r.ty == NOT_INIT {
                continue;
            }
            out.push_str(&format!(" R{i}={}", reg_text(r, f.frameno)));
        }
        let mut i = 0;
        while i < f.stack.len() {
            let s = &f.stack[i];
            let off = -(i as i64 + 1) * 8;
            if s.bytes.iter().all(|&b| b == SlotByte::Invalid) {
                i += 1;
                continue;
            }
            let letters: String = s.bytes.iter().map(|b| b.letter()).collect();
            if s.bytes[7] == SlotByte::Spill {
                let upto = s.bytes.iter().position(|&b| b == SlotByte::Spill).unwrap_or(8);
                out.push_str(&format!(" fp{off}={}{}", &letters[..upto], reg_text(&s.spilled, f.frameno)));
            } else if s.bytes[7] == SlotByte::Dynptr && i + 1 < f.stack.len() {
                let d = &f.stack[i + 1].spilled;
                let off2 = -(i as i64 + 2) * 8;
                let mut parts = Vec::new();
                if d.id != 0 {
                    parts.push(format!("id={}", d.id));
                }
                if d.ref_obj_id != 0 {
                    parts.push(format!("ref_id={}", d.ref_obj_id));
                }
                out.push_str(&format!(" fp{off2}=dynptr_{}({})", d.dynptr.name(), parts.join(",")));
                i += 2;
                continue;
            } else if s.bytes[7] == SlotByte::Iter {
                if s.spilled.ref_obj_id != 0 {
                    let state = if s.iter_state == 2 { "drained" } else { "active" };
                    out.push_str(&format!(" fp{off}=iter_num(ref_id={},state={state},depth={})", s.spilled.ref_obj_id, s.iter_depth));
                }
            } else {
                out.push_str(&format!(" fp{off}={letters}"));
            }
            i += 1;
        }
        if !st.refs.is_empty() {
            let ids: Vec<String> = st.refs.iter().map(|r| r.id.to_string()).collect();
            out.push_str(&format!(" refs={}", ids.join(",")));
        }
        if f.async_cb {
            out.push_str(" async_cb");
        } else if f.callback.is_some() {
            out.push_str(" cb");
        }
        out.trim_start().to_string()
    }
}

/// One register's value as `print_reg_state` prints it.
pub fn reg_text(r: &Reg, frameno: u8) -> String {
    if r.ty == SCALAR {
        if let Some(v) = r.var.is_const() {
            return (v as i64).to_string();
        }
    }
    let mut s = type_name(r.ty);
    if r.ty == PTR_TO_STACK {
        if r.frameno != frameno {
            s.push_str(&format!("[{}]", r.frameno));
        }
        if let Some(v) = r.var.is_const() {
            s.push_str(&(v as i64 + r.off as i64).to_string());
            return s;
        }
    }
    let mut parts: Vec<String> = Vec::new();
    if r.id != 0 {
        if r.id & BPF_ADD_CONST != 0 {
            parts.push(format!("id={}{:+}", r.id & !BPF_ADD_CONST, r.off));
        } else {
            parts.push(format!("id={}", r.id));
        }
    }
    if r.ref_obj_id != 0 {
        parts.push(format!("ref_obj_id={}", r.ref_obj_id));
    }
    if matches!(base(r.ty), CONST_PTR_TO_MAP | PTR_TO_MAP_KEY | PTR_TO_MAP_VALUE) {
        parts.push(format!("map#{}", r.map));
    }
    if r.ty != SCALAR && r.off != 0 {
        parts.push(format!("off={}", r.off));
    }
    if matches!(r.ty, PTR_TO_PACKET | PTR_TO_PACKET_META | PTR_TO_PACKET_END) {
        parts.push(format!("r={}", r.range));
    }
    if base(r.ty) == PTR_TO_MEM {
        parts.push(format!("sz={}", r.mem_size));
    }
    if r.ty == CONST_PTR_TO_DYNPTR {
        parts.push(format!("type={}", r.dynptr.name()));
    }
    match r.var.is_const() {
        Some(0) => {}
        Some(v) => parts.push(format!("imm={}", v as i64)),
        None => {
            let f = r.var.log_fields();
            if !f.is_empty() {
                parts.push(f);
            }
        }
    }
    s.push('(');
    s.push_str(&parts.join(","));
    s.push(')');
    s
}
