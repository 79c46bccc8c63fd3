//! Disassembly: the uBPF / bpf_conformance dialect that [`super::asm::assemble`] reads back, and the
//! kernel's verifier-log text (`(b7) r0 = 1`, `(61) r2 = *(u32 *)(r1 +0)`, `(85) call bpf_map_lookup_elem#1`)
//! for error messages and listings that read like the kernel's.

use super::asm::{assemble_line, raw_word_of};
use super::insn::*;
use super::isa::{decode, AluOp, AtomicOp, ByteOrder, Callee, Cond, LegacyMode, Op, Operand, Pseudo, Size, Width};
use std::fmt::Write;

/// The program in the assembler's dialect, one line per instruction (one for an `lddw` pair), jump
/// distances as `+N`/`-N`. Encodings the dialect cannot spell (registers above r10, non-zero unused
/// fields, unknown opcodes, pseudo `lddw` sources) come out as `.raw 0x...`, so that
/// `assemble(&disassemble(p)) == p` holds for every program, valid or not.
pub fn disassemble(insns: &[Insn]) -> String {
    let mut out = String::new();
    let mut pc = 0;
    while pc < insns.len() {
        let insn = insns[pc];
        let op = decode(insns, pc);
        if let Some(text) = lddw_text(&insn, op, insns.get(pc + 1)) {
            out.push_str(&text);
            out.push('\n');
            pc += 2;
            continue;
        }
        // The text is only kept if it encodes back to the same bits: that one check covers every
        // reserved field and out-of-range value without a validity table of its own.
        match dialect_text(&insn, op) {
            Some(text) if assemble_line(&text).as_deref() == Some(&[insn]) => out.push_str(&text),
            _ => {
                let _ = write!(out, ".raw {:#018x}", raw_word_of(&insn));
            }
        }
        out.push('\n');
        pc += 1;
    }
    out
}

fn lddw_text(insn: &Insn, op: Op, next: Option<&Insn>) -> Option<String> {
    let Op::Lddw { dst, pseudo: Pseudo::Imm, imm } = op else { return None };
    let next = next?;
    if insn.off != 0 || dst > 10 || *next != Insn::new(0, 0, 0, 0, next.imm) {
        return None;
    }
    Some(format!("lddw %r{dst}, {imm:#x}"))
}

/// Small values in decimal, the rest as their 32-bit pattern in hex (the assembler takes both).
fn imm_text(v: i32) -> String {
    if v.unsigned_abs() <= 0xffff {
        v.to_string()
    } else {
        format!("{:#x}", v as u32)
    }
}

fn size_suffix(size: Size) -> &'static str {
    match size {
        Size::W => "w",
        Size::H => "h",
        Size::B => "b",
        Size::DW => "dw",
    }
}

/// The dialect's name of an ALU or atomic operation.
fn alu_name(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "add",
        AluOp::Sub => "sub",
        AluOp::Mul => "mul",
        AluOp::Div => "div",
        AluOp::SDiv => "sdiv",
        AluOp::Or => "or",
        AluOp::And => "and",
        AluOp::Lsh => "lsh",
        AluOp::Rsh => "rsh",
        AluOp::Neg => "neg",
        AluOp::Mod => "mod",
        AluOp::SMod => "smod",
        AluOp::Xor => "xor",
        AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32 => "mov",
        AluOp::Arsh => "arsh",
    }
}

fn cond_name(c: Cond) -> &'static str {
    match c {
        Cond::Eq => "jeq",
        Cond::Gt => "jgt",
        Cond::Ge => "jge",
        Cond::Set => "jset",
        Cond::Ne => "jne",
        Cond::Sgt => "jsgt",
        Cond::Sge => "jsge",
        Cond::Lt => "jlt",
        Cond::Le => "jle",
        Cond::Slt => "jslt",
        Cond::Sle => "jsle",
    }
}

/// A candidate spelling; [`disassemble`] keeps it only if it assembles back to `insn`.
fn dialect_text(insn: &Insn, op: Op) -> Option<String> {
    let mem = |r: u8, off: i16| format!("[%r{r}{off:+}]");
    let operand = |o: Operand| match o {
        Operand::Reg(r) => format!("%r{r}"),
        Operand::Imm(imm) => imm_text(imm),
    };
    let w32 = |w: Width| if w == Width::W32 { "32" } else { "" };
    Some(match op {
        Op::Alu { op: AluOp::Neg, w, dst, .. } => format!("neg{} %r{dst}", w32(w)),
        Op::Alu { op: AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32, w, dst, src } => {
            let to = if w == Width::W64 { "64" } else { "32" };
            format!("movsx{}{to} %r{dst}, {}", insn.off, operand(src))
        }
        Op::Alu { op, w, dst, src } => format!("{}{} %r{dst}, {}", alu_name(op), w32(w), operand(src)),
        Op::End { order, bits, dst } => {
            let name = match order {
                ByteOrder::Swap => "bswap",
                ByteOrder::Le => "le",
                ByteOrder::Be => "be",
            };
            format!("{name}{bits} %r{dst}")
        }
        Op::Ja { off, long: false } => format!("ja {off:+}"),
        Op::Ja { off, long: true } => format!("ja32 {off:+}"),
        Op::Exit => "exit".into(),
        Op::Callx { dst } => format!("callx %r{dst}"),
        Op::Call(Callee::Local(rel)) => format!("call local {rel:+}"),
        Op::Call(Callee::Kfunc { imm, .. }) => format!("call kfunc {imm}"),
        Op::Call(Callee::Helper(imm)) => format!("call {imm}"),
        Op::Jump { cond, w, dst, src, off } => format!("{}{} %r{dst}, {}, {off:+}", cond_name(cond), w32(w), operand(src)),
        Op::Load { size, sx, dst, src, off } => {
            format!("ldx{}{} %r{dst}, {}", if sx { "s" } else { "" }, size_suffix(size), mem(src, off))
        }
        Op::Store { size, dst, off, val: Operand::Imm(imm) } => format!("st{} {}, {}", size_suffix(size), mem(dst, off), imm_text(imm)),
        Op::Store { size, dst, off, val: Operand::Reg(src) } => format!("stx{} {}, %r{src}", size_suffix(size), mem(dst, off)),
        Op::Atomic { size, op, dst, src, off } => {
            let name = match op {
                AtomicOp::Xchg => "xchg".to_string(),
                AtomicOp::Cmpxchg => "cmpxchg".to_string(),
                AtomicOp::Rmw { op, fetch } => format!("{}{}", if fetch { "fetch " } else { "" }, alu_name(op)),
                _ => return None,
            };
            let w = if size == Size::W { "32" } else { "" };
            format!("lock {name}{w} {}, %r{src}", mem(dst, off))
        }
        Op::Legacy { mode: LegacyMode::Abs, size, imm, .. } => format!("ldabs{} {}", size_suffix(size), imm_text(imm)),
        Op::Legacy { mode: LegacyMode::Ind, size, src, imm } => format!("ldind{} %r{src}, {}", size_suffix(size), imm_text(imm)),
        _ => return None,
    })
}

/// One instruction as the kernel's verifier log prints it, e.g. `(07) r1 += -8`,
/// `(7b) *(u64 *)(r10 -8) = r1`, `(2d) if r3 > r2 goto pc+5`, `(c3) r0 = atomic_fetch_add((u32 *)(r1 +0), r0)`.
/// Calls are named like the kernel does: the uapi helper table first, then `names` (for helper ids past
/// the table and for kfunc BTF ids), then `unknown` / `kernel-function`; local calls print as
/// `call pc+N`. `lddw` with a map source prints as bpftool does (`map[id:N]`, `map[id:N][0]+OFF`),
/// since the loader here has no kernel pointer to hide. An out-of-range `pc` gives an empty string.
pub fn kernel_style(insns: &[Insn], pc: usize, names: &dyn Fn(i32) -> Option<String>) -> String {
    let Some(insn) = insns.get(pc) else { return String::new() };
    match kernel_text(insn, decode(insns, pc), names) {
        Ok(text) => format!("({:02x}) {text}", insn.code),
        Err(bug) => bug,
    }
}

/// The program as `bpftool prog dump xlated` lists it: `   0: (b7) r0 = 1`, one line per instruction,
/// the second half of an `lddw` skipped (its index is not printed).
pub fn kernel_listing(insns: &[Insn], names: &dyn Fn(i32) -> Option<String>) -> String {
    let mut out = String::new();
    let mut pc = 0;
    while pc < insns.len() {
        // bpftool's "% 4d: ": a space where a sign would go, right-aligned in four columns.
        let _ = writeln!(out, "{:>4}: {}", format!(" {pc}"), kernel_style(insns, pc, names));
        pc += decode(insns, pc).width();
    }
    out
}

/// The kernel's operator for an ALU op (also an atomic's, in `lock *(..) op= r`).
fn kernel_alu_sym(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "+=",
        AluOp::Sub => "-=",
        AluOp::Mul => "*=",
        AluOp::Div => "/=",
        AluOp::SDiv => "s/=",
        AluOp::Or => "|=",
        AluOp::And => "&=",
        AluOp::Lsh => "<<=",
        AluOp::Rsh => ">>=",
        AluOp::Neg => "neg",
        AluOp::Mod => "%=",
        AluOp::SMod => "s%=",
        AluOp::Xor => "^=",
        AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32 => "=",
        AluOp::Arsh => "s>>=",
    }
}

fn kernel_cond_sym(c: Cond) -> &'static str {
    match c {
        Cond::Eq => "==",
        Cond::Gt => ">",
        Cond::Ge => ">=",
        Cond::Set => "&",
        Cond::Ne => "!=",
        Cond::Sgt => "s>",
        Cond::Sge => "s>=",
        Cond::Lt => "<",
        Cond::Le => "<=",
        Cond::Slt => "s<",
        Cond::Sle => "s<=",
    }
}

fn kernel_size(size: Size) -> &'static str {
    match size {
        Size::W => "u32",
        Size::H => "u16",
        Size::B => "u8",
        Size::DW => "u64",
    }
}

/// The text after `(code) `, or the kernel's `BUG_...` marker (printed without the code) for encodings
/// its printer has no form for.
fn kernel_text(insn: &Insn, op: Op, names: &dyn Fn(i32) -> Option<String>) -> Result<String, String> {
    let code = insn.code;
    let r = |w: Width| if w == Width::W32 { 'w' } else { 'r' };
    let lddw = |dst: u8, pseudo: Pseudo, imm: u64| {
        let (lo, hi) = (imm as u32, (imm >> 32) as u32);
        let value = match pseudo {
            Pseudo::MapFd => format!("map[id:{lo}]"),
            Pseudo::MapValue => format!("map[id:{lo}][0]+{hi}"),
            Pseudo::MapIdxValue => format!("map[idx:{lo}]+{hi}"),
            Pseudo::Func => format!("subprog[{:+}]", lo as i32),
            _ => format!("{imm:#x}"),
        };
        format!("r{dst} = {value}")
    };
    Ok(match op {
        Op::Alu { op: AluOp::Neg, w, dst, .. } => format!("{r}{dst} = -{r}{dst}", r = r(w)),
        Op::Alu { op, w, dst, src: Operand::Reg(src) } => {
            let sx = match op {
                AluOp::MovSx8 => "(s8)",
                AluOp::MovSx16 => "(s16)",
                AluOp::MovSx32 => "(s32)",
                _ => "",
            };
            format!("{r}{dst} {} {sx}{r}{src}", kernel_alu_sym(op), r = r(w))
        }
        Op::Alu { op, w, dst, src: Operand::Imm(imm) } => format!("{}{dst} {} {imm}", r(w), kernel_alu_sym(op)),
        Op::End { order: ByteOrder::Swap, bits, dst } => format!("r{dst} = bswap{bits} r{dst}"),
        Op::End { order, bits, dst } => format!("r{dst} = {}{bits} r{dst}", if order == ByteOrder::Be { "be" } else { "le" }),
        Op::Callx { dst } => format!("callx r{dst}"),
        Op::Call(Callee::Local(rel)) => format!("call pc{rel:+}"),
        Op::Call(callee) => {
            let (imm, known, fallback) = match callee {
                Callee::Helper(imm) => (imm, helper_name(imm).map(str::to_string), "unknown"),
                Callee::Kfunc { imm, .. } => (imm, None, "kernel-function"),
                Callee::Reserved { imm, .. } | Callee::Local(imm) => (imm, None, "unknown"),
            };
            let name = known.or_else(|| names(imm)).unwrap_or_else(|| fallback.to_string());
            format!("call {name}#{imm}")
        }
        Op::Ja { off, long: false } => format!("goto pc{off:+}"),
        Op::Ja { off, long: true } => format!("gotol pc{off:+}"),
        Op::MayGoto { off } => format!("may_goto pc{off:+}"),
        Op::Exit => "exit".into(),
        Op::Jump { cond, w, dst, src: Operand::Reg(src), off } => {
            format!("if {r}{dst} {} {r}{src} goto pc{off:+}", kernel_cond_sym(cond), r = r(w))
        }
        Op::Jump { cond, w, dst, src: Operand::Imm(imm), off } => {
            format!("if {}{dst} {} {imm:#x} goto pc{off:+}", r(w), kernel_cond_sym(cond))
        }
        Op::Load { size, sx: false, dst, src, off } => format!("r{dst} = *({} *)(r{src} {off:+})", kernel_size(size)),
        Op::Load { size, sx: true, dst, src, off } => format!("r{dst} = *(s{} *)(r{src} {off:+})", &kernel_size(size)[1..]),
        Op::Store { size, dst, off, val: Operand::Imm(imm) } => format!("*({} *)(r{dst} {off:+}) = {imm}", kernel_size(size)),
        Op::Store { size, dst, off, val: Operand::Reg(src) } => format!("*({} *)(r{dst} {off:+}) = r{src}", kernel_size(size)),
        // The verifier's internal speculation barrier (BPF_ST | BPF_NOSPEC).
        Op::Nospec => "nospec".into(),
        Op::Atomic { size, op, dst: d, src: s, off } => {
            let ty = kernel_size(size);
            let bits = if size == Size::DW { "64" } else { "" };
            match op {
                AtomicOp::Rmw { op, fetch: false } => format!("lock *({ty} *)(r{d} {off:+}) {} r{s}", kernel_alu_sym(op)),
                AtomicOp::Rmw { op, fetch: true } => {
                    format!("r{s} = atomic{bits}_fetch_{}(({ty} *)(r{d} {off:+}), r{s})", alu_name(op))
                }
                AtomicOp::Cmpxchg => format!("r0 = atomic{bits}_cmpxchg(({ty} *)(r{d} {off:+}), r0, r{s})"),
                AtomicOp::Xchg => format!("r{s} = atomic{bits}_xchg(({ty} *)(r{d} {off:+}), r{s})"),
                AtomicOp::LoadAcquire => format!("r{d} = load_acquire(({ty} *)(r{s} {off:+}))"),
                AtomicOp::StoreRelease => format!("store_release(({ty} *)(r{d} {off:+}), r{s})"),
                AtomicOp::Unknown(_) => return Err(format!("BUG_{code:02x}")),
            }
        }
        Op::Legacy { mode: LegacyMode::Abs, size, imm, .. } => format!("r0 = *({} *)skb[{imm}]", kernel_size(size)),
        Op::Legacy { mode: LegacyMode::Ind, size, src, imm } => format!("r0 = *({} *)skb[r{src} + {imm}]", kernel_size(size)),
        Op::Lddw { dst, pseudo, imm } => lddw(dst, pseudo, imm),
        // Cut short: the upper half reads as zero.
        Op::TruncatedLddw { dst, pseudo } => lddw(dst, pseudo, insn.imm as u32 as u64),
        Op::Unknown { .. } => {
            let what = match insn.class() {
                ALU | ALU64 => "alu_",
                JMP | JMP32 => "jmp_",
                LDX => "ldx_",
                ST => "st_",
                STX => "",
                _ => "ld_",
            };
            return Err(format!("BUG_{what}{code:02x}"));
        }
    })
}

pub use super::protos::helpers::{helper_id, helper_name};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::asm::assemble;

    #[test]
    fn dialect_text_is_the_vectors_spelling() {
        let src = "\
mov32 %r0, 0
add %r1, -8
sdiv32 %r2, %r3
movsx1664 %r8, %r7
be16 %r9
bswap64 %r0
ldxh %r3, [%r1+12]
ldxsb %r0, [%r10-1]
stw [%r10-4], 0x80000001
stxdw [%r10-8], %r1
lock fetch xor32 [%r10-4], %r3
lock cmpxchg [%r10-8], %r1
lddw %r0, 0x1122334455667788
jeq %r1, 2, +3
jne32 %r1, %r2, -1
ja +0
ja32 -7
call 5
call local +2
call kfunc 63863
callx %r2
ldabsh 12
exit
";
        assert_eq!(disassemble(&assemble(src).unwrap()), src);
    }

    #[test]
    fn unspellable_encodings_fall_back_to_raw_words() {
        // mov64 with a non-zero src field, r11, an unknown opcode, and an lddw with a map source.
        let odd = [
            Insn::new(0xb7, 0, 1, 0, 1),
            Insn::new(0xbf, 11, 1, 0, 0),
            Insn::new(0xff, 0, 0, 0, 0),
            Insn::new(0x18, 1, PSEUDO_MAP_FD, 0, 3),
            Insn::new(0, 0, 0, 0, 0),
        ];
        let text = disassemble(&odd);
        assert_eq!(
            text,
            ".raw 0x00000001000010b7\n.raw 0x0000000000001bbf\n.raw 0x00000000000000ff\n.raw 0x0000000300001118\n.raw 0x0000000000000000\n"
        );
        assert_eq!(assemble(&text).unwrap(), odd);
    }
}
