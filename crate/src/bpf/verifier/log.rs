//! The verifier log as the kernel writes it. Its level is the kernel's bit mask: 1 the path to
//! the error, 2 every path, 4 the statistics block. Each instruction is printed as it is verified
//! (`12: (61) r2 = *(u32 *)(r1 +4)`), preceded by the source line it starts (`; ... @ file.c:7`);
//! the registers and stack slots it touched follow on its line (`; R1=ctx() R2=pkt_end()`).
//!
//! The text is a buffer with the kernel's positions, not a list of lines: at level 1 a path that
//! ends rewinds the log to where its pending branch was pushed, and an instruction's state replaces
//! that instruction's newline. Rewinding keeps whatever the rewound-to bytes became, so the log
//! reads as the kernel's does ("10: (56) if w1 != 0x7 goto pc+9 20: R0=...").

use super::state::*;
use super::Input;
use crate::bpf::core::SourceLine;
use crate::bpf::disasm;
use crate::bpf::insn::Insn;
use crate::bpf::isa::{Callee, Op, Pseudo};

/// The level bits (`BPF_LOG_LEVEL1`, `BPF_LOG_LEVEL2`, `BPF_LOG_STATS`).
pub const LOG_LEVEL1: u32 = 1;
pub const LOG_LEVEL2: u32 = 2;
pub const LOG_STATS: u32 = 4;

pub struct Log {
    pub level: u32,
    text: String,
    /// Where the last instruction's line ended, its newline included (`prev_log_pos`).
    prev_log_pos: usize,
    /// That line's length, its newline included (`prev_insn_print_pos`).
    prev_insn_print_pos: usize,
    /// Registers and stack slots (by index from the frame pointer) touched since the last state
    /// print: only they are printed after an instruction.
    scratched_regs: std::cell::Cell<u16>,
    scratched_stack: std::cell::Cell<u64>,
    /// The source line last quoted, by its index in the program's line table.
    prev_line: Option<usize>,
}

impl Log {
    pub fn new(level: u32) -> Log {
        Log { level, text: String::new(), prev_log_pos: 0, prev_insn_print_pos: 0, scratched_regs: Default::default(), scratched_stack: Default::default(), prev_line: None }
    }

    /// Instructions are printed (level 1 or 2).
    pub fn on(&self) -> bool {
        self.level & (LOG_LEVEL1 | LOG_LEVEL2) != 0
    }

    /// Every path is kept, with the state where each resumes.
    pub fn level2(&self) -> bool {
        self.level & LOG_LEVEL2 != 0
    }

    /// `verification time` and `stack depth` before the `processed` line.
    pub fn stats_on(&self) -> bool {
        self.level & LOG_STATS != 0
    }

    /// Appends text (the kernel's `verbose`).
    pub fn write(&mut self, s: &str) {
        if self.level != 0 {
            self.text.push_str(s);
        }
    }

    /// The log's last line is `s`.
    pub fn ends_with_line(&self, s: &str) -> bool {
        self.text.strip_suffix('\n').is_some_and(|t| t.ends_with(s) && t[..t.len() - s.len()].ends_with('\n'))
    }

    pub fn line(&mut self, s: &str) {
        self.write(s);
        self.write("\n");
    }

    /// Where the next byte goes (`log->end_pos`).
    pub fn end_pos(&self) -> usize {
        self.text.len()
    }

    /// Rewinds to `pos` (`bpf_vlog_reset`): what lies before it stays as it is now.
    pub fn reset(&mut self, pos: usize) {
        if pos < self.text.len() && self.text.is_char_boundary(pos) {
            self.text.truncate(pos);
        }
    }

    /// A path that ended at level 1: the log goes back to where its successor was pushed.
    pub fn rewind_to_push(&mut self, pos: usize) {
        if !self.level2() {
            self.reset(pos);
        }
    }

    /// After a pass of the walk that succeeded: at level 1 the kernel keeps nothing of it (only
    /// a failing pass's path, and the lines after the last pass, reach the user).
    pub fn pass_succeeded(&mut self) {
        if self.on() && !self.level2() {
            self.reset(0);
        }
    }

    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.text)
    }

    /// A register an instruction checked (read or written): printed after it. Marked through a
    /// shared reference, as checks that only read the state mark too.
    pub fn scratch_reg(&self, r: u8) {
        if r < 11 {
            self.scratched_regs.set(self.scratched_regs.get() | 1 << r);
        }
    }

    /// The stack slots from `lo` up to `hi` (offsets from the frame pointer, `hi` excluded).
    pub fn scratch_stack(&self, lo: i64, hi: i64) {
        for off in lo..hi {
            if (-512..0).contains(&off) {
                self.scratch_slot(((-off - 1) / 8) as usize);
            }
        }
    }

    pub fn scratch_slot(&self, spi: usize) {
        if spi < 64 {
            self.scratched_stack.set(self.scratched_stack.get() | 1 << spi);
        }
    }

    /// Everything counts as touched: a new frame, a path taken up again.
    pub fn scratch_all(&self) {
        self.scratched_regs.set(!0);
        self.scratched_stack.set(!0);
    }

    fn scratched(&self) -> bool {
        self.scratched_regs.get() != 0 || self.scratched_stack.get() != 0
    }

    /// The state after the previous instruction, if it touched anything (`print_insn_state`): on
    /// that instruction's line, aligned, when nothing came between; else on a line of its own
    /// under the number of the instruction about to be printed.
    pub fn insn_state(&mut self, st: &State, pc: usize, input: &Input) {
        if !self.on() || !self.scratched() {
            return;
        }
        if self.prev_log_pos != 0 && self.prev_log_pos == self.text.len() {
            self.reset(self.prev_log_pos - 1);
            let pos = self.prev_insn_print_pos;
            let width = (pos + 4).max(40).div_ceil(8) * 8 - pos - 1;
            let pad = " ".repeat(width.max(1));
            self.write(&format!("{pad};"));
        } else {
            self.write(&format!("{pc}:"));
        }
        self.verifier_state(st, st.curframe(), false, input);
    }

    /// The source line starting at `pc`, if another than the last one quoted (`verbose_linfo`).
    pub fn source_line(&mut self, lines: &[(usize, SourceLine)], pc: usize, prefix: &str) {
        if !self.on() {
            return;
        }
        let Some(i) = lines.partition_point(|(at, _)| *at <= pc).checked_sub(1) else { return };
        if self.prev_line == Some(i) {
            return;
        }
        let l = &lines[i].1;
        if let Some(p) = self.prev_line.and_then(|p| lines.get(p)) {
            if p.1.file_name_off == l.file_name_off && p.1.line == l.line {
                return;
            }
        }
        self.write(&format!("{prefix}{} @ {}:{}\n", l.text, l.file, l.line));
        self.prev_line = Some(i);
    }

    /// An instruction's own line (`N: (op) text`); the next state print may take its newline.
    pub fn insn_line(&mut self, line: &str) {
        if !self.on() {
            return;
        }
        self.prev_log_pos = self.text.len();
        self.write(line);
        self.write("\n");
        self.prev_insn_print_pos = self.text.len() - self.prev_log_pos;
        self.prev_log_pos = self.text.len();
    }

    /// An instruction as the kernel's `print_bpf_insn` prints it (kfunc calls by name). An lddw
    /// of a map, a map value or a kernel variable shows the kernel's pointer there: uxdp shows an
    /// address of the same shape (so the log's columns fall where the kernel's do).
    /// Without `leaks` (no CAP_PERFMON) the kernel prints such a pointer as 0.
    pub fn insn(&self, insns: &[Insn], pc: usize, op: &Op, input: &Input, leaks: bool) -> String {
        if let Op::Lddw { dst, pseudo, imm } = *op {
            let (lo, hi) = (imm as u32 as u64, imm >> 32);
            let value = match pseudo {
                Pseudo::MapFd | Pseudo::MapIdx | Pseudo::MapValue | Pseudo::MapIdxValue if !leaks => 0,
                Pseudo::MapFd | Pseudo::MapIdx => 0xffff_8881_0000_0000 + (lo << 12),
                Pseudo::MapValue | Pseudo::MapIdxValue => 0xffff_c900_0000_0000 + (lo << 20) + hi,
                Pseudo::BtfId => 0xffff_ffff_8200_0000 + (lo << 4),
                _ => imm,
            };
            return format!("({:02x}) r{dst} = {value:#x}", insns[pc].code);
        }
        if let Op::Call(Callee::Kfunc { imm, .. }) = *op {
            // The kernel's call names the kfunc's BTF id.
            if let Some(name) = input.kfuncs.get(imm as usize).cloned().flatten().map(|k| k.name) {
                let id = crate::bpf::target::kfunc_btf_id(&name).map_or(imm as i64, i64::from);
                return format!("({:02x}) call {name}#{id}", insns[pc].code);
            }
        }
        disasm::kernel_style(insns, pc, &|_| None)
    }

    /// A frame's registers and stack (`print_verifier_state`), then a newline: every one that holds
    /// something when `all`, else the touched ones, which then count as untouched again.
    pub fn verifier_state(&mut self, st: &State, frame: usize, all: bool, input: &Input) {
        if self.level == 0 {
            return;
        }
        let (regs, stack) = if all { (!0, !0) } else { (self.scratched_regs.get(), self.scratched_stack.get()) };
        let text = frame_text(st, frame, regs, stack, input);
        self.write(&text);
        self.write("\n");
        if !all {
            self.scratched_regs.set(0);
            self.scratched_stack.set(0);
        }
    }

}

/// The registers and stack slots of a frame selected by the two masks, each with its leading
/// space, as `print_verifier_state` writes them.
pub(super) fn frame_text(st: &State, frame: usize, regs: u16, stack: u64, input: &Input) -> String {
    let f = &st.frames[frame];
    let mut out = String::new();
    // An async callback is walked on its own, as the kernel's frame 0.
    if f.frameno > 0 && !f.async_cb {
        out.push_str(&format!(" frame{}:", f.frameno));
    }
    for (i, r) in f.regs.iter().enumerate() {
        if r.ty == NOT_INIT || regs & (1 << i) == 0 {
            continue;
        }
        out.push_str(&format!(" R{i}={}", reg_text(r, f.frameno, input)));
    }
    let mut i = 0;
    while i < f.stack.len() {
        let s = &f.stack[i];
        let off = -(i as i64 + 1) * 8;
        if i >= 64 || stack & (1 << i) == 0 {
            i += 1;
            continue;
        }
        if s.bytes.iter().all(|&b| b == SlotByte::Invalid) {
            i += 1;
            continue;
        }
        let letters: String = s.bytes.iter().map(|b| b.letter()).collect();
        if s.bytes[7] == SlotByte::Spill {
            let upto = s.bytes.iter().position(|&b| b == SlotByte::Spill).unwrap_or(8);
            out.push_str(&format!(" fp{off}={}{}", &letters[..upto], reg_text(&s.spilled, f.frameno, input)));
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
            // 6.18 names the dynptr a slot holds (its own id; a clone, its source's).
            if d.id != 0 {
                parts.push(format!("dynptr_id={}", if d.parent_id != 0 { d.parent_id } else { d.id }));
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
    // A held spin lock is one of the state's references in 6.18, by its map value's id.
    // In acquisition order, which ids follow.
    let mut ids: Vec<u32> = st.refs.iter().map(|r| r.id).collect();
    if st.active_lock > 0 && st.lock_id != 0 {
        let at = ids.iter().position(|&id| id > st.lock_seq).unwrap_or(ids.len());
        ids.insert(at, st.lock_id);
    }
    if !ids.is_empty() {
        let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
        out.push_str(&format!(" refs={}", ids.join(",")));
    }
    if f.async_cb {
        out.push_str(" async_cb");
    } else if f.callback.is_some() {
        out.push_str(" cb");
    }
    out
}

/// A signed number as the log prints it: decimal within 16 bits, else hex (`verbose_snum`).
fn snum(v: i64) -> String {
    if (i16::MIN as i64..=i16::MAX as i64).contains(&v) { v.to_string() } else { format!("{:#x}", v as u64) }
}

/// An unsigned number likewise (`verbose_unum`).
fn unum(v: u64) -> String {
    if v <= u16::MAX as u64 { v.to_string() } else { format!("{v:#x}") }
}

/// One register's value as `print_reg_state` prints it.
pub fn reg_text(r: &Reg, frameno: u8, input: &Input) -> String {
    // A precise scalar is marked `P` (`R1=P0`, `R2=Pscalar(...)`).
    let mark = if r.ty == SCALAR && r.precise { "P" } else { "" };
    if r.ty == SCALAR {
        if let Some(v) = r.var.is_const() {
            return format!("{mark}{}", snum(v as i64));
        }
    }
    let mut s = format!("{mark}{}", type_name(r.ty));
    if r.ty == PTR_TO_STACK {
        if r.frameno != frameno {
            s.push_str(&format!("[{}]", r.frameno));
        }
        if let Some(v) = r.var.is_const() {
            s.push_str(&snum((v as i64).wrapping_add(r.off as i64)));
            return s;
        }
    }
    // A kernel or program struct's pointer names its type (`ptr_or_null_nf_conn(`).
    if base(r.ty) == PTR_TO_BTF_ID {
        if let Some(name) = r.btf_struct {
            s.push_str(name);
        } else if let (true, Some(btf)) = (r.btf_id != 0, input.btf) {
            s.push_str(&btf.type_by_id(r.btf_id).map(|t| t.name.clone()).unwrap_or_default());
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
    // A non-owning reference to an allocated object says so (`type_is_non_owning_ref`).
    if base(r.ty) == PTR_TO_BTF_ID && r.ty & MEM_ALLOC != 0 && r.ty & NON_OWN_REF != 0 {
        parts.push("non_own_ref".to_string());
    }
    if matches!(base(r.ty), CONST_PTR_TO_MAP | PTR_TO_MAP_KEY | PTR_TO_MAP_VALUE) {
        match input.maps.get(r.map as usize) {
            Some(m) => {
                // The kernel's map name is at most 15 bytes (BPF_OBJ_NAME_LEN).
                let name: String = m.name.chars().take(15).collect();
                if !name.is_empty() {
                    parts.push(format!("map={name}"));
                }
                parts.push(format!("ks={},vs={}", m.key_size, m.value_size));
            }
            None => parts.push(format!("map#{}", r.map)),
        }
    }
    if r.ty != SCALAR && r.off != 0 {
        parts.push(format!("off={}", snum(r.off as i64)));
    }
    if matches!(r.ty, PTR_TO_PACKET | PTR_TO_PACKET_META) {
        parts.push(format!("r={}", unum(r.range as u64)));
    }
    if base(r.ty) == PTR_TO_MEM {
        parts.push(format!("sz={}", unum(r.mem_size as u64)));
    }
    if let Some((frame, off, size)) = r.buf {
        parts.push(format!("buf=fp[{frame}]{off:+}+{size}"));
    }
    if r.ty == CONST_PTR_TO_DYNPTR {
        parts.push(format!("type={}", r.dynptr.name()));
    }
    match r.var.is_const() {
        Some(0) => {}
        Some(v) => parts.push(format!("imm={}", snum(v as i64))),
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
