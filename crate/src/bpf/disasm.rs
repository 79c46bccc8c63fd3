//! Disassembly: the uBPF / bpf_conformance dialect that [`super::asm::assemble`] reads back, and the
//! kernel's verifier-log text (`(b7) r0 = 1`, `(61) r2 = *(u32 *)(r1 +0)`, `(85) call bpf_map_lookup_elem#1`)
//! for error messages and listings that read like the kernel's.

use super::asm::{assemble_line, raw_word_of};
use super::insn::*;
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
        if let Some(text) = insns.get(pc + 1).and_then(|next| lddw_text(&insn, next)) {
            out.push_str(&text);
            out.push('\n');
            pc += 2;
            continue;
        }
        // The text is only kept if it encodes back to the same bits: that one check covers every
        // reserved field and out-of-range value without a validity table of its own.
        match dialect_text(&insn) {
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

fn lddw_text(insn: &Insn, next: &Insn) -> Option<String> {
    if !insn.is_lddw() || insn.src() != 0 || insn.off != 0 || insn.dst() > 10 || *next != Insn::new(0, 0, 0, 0, next.imm) {
        return None;
    }
    Some(format!("lddw %r{}, {:#x}", insn.dst(), wide_imm(insn, Some(next))))
}

fn wide_imm(insn: &Insn, next: Option<&Insn>) -> u64 {
    (next.map_or(0, |n| n.imm as u32 as u64) << 32) | insn.imm as u32 as u64
}

/// Small values in decimal, the rest as their 32-bit pattern in hex (the assembler takes both).
fn imm_text(v: i32) -> String {
    if v.unsigned_abs() <= 0xffff {
        v.to_string()
    } else {
        format!("{:#x}", v as u32)
    }
}

fn size_suffix(code: u8) -> &'static str {
    match code & 0x18 {
        W => "w",
        H => "h",
        B => "b",
        _ => "dw",
    }
}

const ALU_NAMES: [&str; 16] = ["add", "sub", "mul", "div", "or", "and", "lsh", "rsh", "neg", "mod", "xor", "mov", "arsh", "end", "", ""];
const JMP_NAMES: [&str; 16] =
    ["ja", "jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge", "call", "exit", "jlt", "jle", "jslt", "jsle", "", ""];

/// A candidate spelling; [`disassemble`] keeps it only if it assembles back to `insn`.
fn dialect_text(insn: &Insn) -> Option<String> {
    let (d, s, off, imm) = (insn.dst(), insn.src(), insn.off, insn.imm);
    let op = insn.code & 0xf0;
    let x = insn.code & X != 0;
    let mem = |r: u8| format!("[%r{r}{off:+}]");
    Some(match insn.class() {
        ALU | ALU64 => {
            let w = if insn.class() == ALU { "32" } else { "" };
            match op {
                END if insn.class() == ALU64 => format!("bswap{imm} %r{d}"),
                END => format!("{}{imm} %r{d}", if x { "be" } else { "le" }),
                NEG => format!("neg{w} %r{d}"),
                MOV if x && off != 0 => format!("movsx{off}{} %r{d}, %r{s}", if w.is_empty() { "64" } else { "32" }),
                _ => {
                    let name = match (op, off) {
                        (DIV, 1) => "sdiv",
                        (MOD, 1) => "smod",
                        _ => ALU_NAMES[usize::from(op >> 4)],
                    };
                    let src = if x { format!("%r{s}") } else { imm_text(imm) };
                    format!("{name}{w} %r{d}, {src}")
                }
            }
        }
        JMP | JMP32 => {
            let w = if insn.class() == JMP32 { "32" } else { "" };
            match insn.code {
                0x05 => format!("ja {off:+}"),
                0x06 => format!("ja32 {imm:+}"),
                0x95 => "exit".into(),
                0x8d => format!("callx %r{d}"),
                0x85 => match s {
                    PSEUDO_CALL => format!("call local {imm:+}"),
                    PSEUDO_KFUNC_CALL => format!("call kfunc {imm}"),
                    _ => format!("call {imm}"),
                },
                _ => {
                    let src = if x { format!("%r{s}") } else { imm_text(imm) };
                    format!("{}{w} %r{d}, {src}, {off:+}", JMP_NAMES[usize::from(op >> 4)])
                }
            }
        }
        LDX => {
            let sx = if insn.code & 0xe0 == MEMSX { "s" } else { "" };
            format!("ldx{sx}{} %r{d}, {}", size_suffix(insn.code), mem(s))
        }
        ST => format!("st{} {}, {}", size_suffix(insn.code), mem(d), imm_text(imm)),
        STX if insn.code & 0xe0 == ATOMIC => {
            let w = if insn.code & 0x18 == W { "32" } else { "" };
            let name = match imm {
                ATOMIC_XCHG => "xchg".to_string(),
                ATOMIC_CMPXCHG => "cmpxchg".to_string(),
                _ => {
                    let fetch = if imm & ATOMIC_FETCH != 0 { "fetch " } else { "" };
                    format!("{fetch}{}", ALU_NAMES[usize::from((imm as u8) >> 4)])
                }
            };
            format!("lock {name}{w} {}, %r{s}", mem(d))
        }
        STX => format!("stx{} {}, %r{s}", size_suffix(insn.code), mem(d)),
        _ => match insn.code & 0xe0 {
            ABS => format!("ldabs{} {}", size_suffix(insn.code), imm_text(imm)),
            IND => format!("ldind{} %r{s}, {}", size_suffix(insn.code), imm_text(imm)),
            _ => return None,
        },
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
    match kernel_text(insn, insns.get(pc + 1), names) {
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
        pc += if insns[pc].is_lddw() && pc + 1 < insns.len() { 2 } else { 1 };
    }
    out
}

const KERNEL_ALU_OPS: [&str; 16] = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian", "", ""];
const KERNEL_JMP_OPS: [&str; 16] = ["jmp", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<", "s<=", "", ""];

fn kernel_size(code: u8) -> &'static str {
    match code & 0x18 {
        W => "u32",
        H => "u16",
        B => "u8",
        _ => "u64",
    }
}

/// The text after `(code) `, or the kernel's `BUG_...` marker (printed without the code) for encodings
/// its printer has no form for.
fn kernel_text(insn: &Insn, next: Option<&Insn>, names: &dyn Fn(i32) -> Option<String>) -> Result<String, String> {
    let (d, s, off, imm) = (insn.dst(), insn.src(), insn.off, insn.imm);
    let code = insn.code;
    let op = code & 0xf0;
    let x = code & X != 0;
    let bug = |what: &str| Err(format!("BUG_{what}{code:02x}"));
    Ok(match insn.class() {
        class @ (ALU | ALU64) => {
            let r = if class == ALU { 'w' } else { 'r' };
            let signed = (op == DIV || op == MOD) && off == 1;
            let sym = match op {
                DIV if signed => "s/=",
                MOD if signed => "s%=",
                _ => KERNEL_ALU_OPS[usize::from(op >> 4)],
            };
            match op {
                END if class == ALU64 => format!("r{d} = bswap{imm} r{d}"),
                END => format!("r{d} = {}{imm} r{d}", if x { "be" } else { "le" }),
                NEG => format!("{r}{d} = -{r}{d}"),
                _ if sym.is_empty() => return bug("alu_"),
                _ if x => {
                    let sx = match (op, off) {
                        (MOV, 8) => "(s8)",
                        (MOV, 16) => "(s16)",
                        (MOV, 32) => "(s32)",
                        _ => "",
                    };
                    format!("{r}{d} {sym} {sx}{r}{s}")
                }
                _ => format!("{r}{d} {sym} {imm}"),
            }
        }
        class @ (JMP | JMP32) => {
            let r = if class == JMP32 { 'w' } else { 'r' };
            match code {
                0x8d => format!("callx r{d}"),
                _ if op == CALL => match s {
                    PSEUDO_CALL => format!("call pc{imm:+}"),
                    _ => {
                        let known = if s == 0 { helper_name(imm).map(str::to_string) } else { None };
                        let fallback = if s == PSEUDO_KFUNC_CALL { "kernel-function" } else { "unknown" };
                        let name = known.or_else(|| names(imm)).unwrap_or_else(|| fallback.to_string());
                        format!("call {name}#{imm}")
                    }
                },
                0x05 => format!("goto pc{off:+}"),
                // BPF_JCOND with BPF_MAY_GOTO in src_reg.
                0xe5 if s == 0 => format!("may_goto pc{off:+}"),
                0x06 => format!("gotol pc{imm:+}"),
                0x95 => "exit".into(),
                _ => {
                    let sym = KERNEL_JMP_OPS[usize::from(op >> 4)];
                    if sym.is_empty() {
                        return bug("jmp_");
                    }
                    if x {
                        format!("if {r}{d} {sym} {r}{s} goto pc{off:+}")
                    } else {
                        format!("if {r}{d} {sym} {imm:#x} goto pc{off:+}")
                    }
                }
            }
        }
        LDX => match code & 0xe0 {
            MEM => format!("r{d} = *({} *)(r{s} {off:+})", kernel_size(code)),
            MEMSX if code & 0x18 != DW => format!("r{d} = *(s{} *)(r{s} {off:+})", &kernel_size(code)[1..]),
            _ => return bug("ldx_"),
        },
        ST => match code & 0xe0 {
            MEM => format!("*({} *)(r{d} {off:+}) = {imm}", kernel_size(code)),
            // The verifier's internal speculation barrier (BPF_ST | BPF_NOSPEC).
            0xc0 => "nospec".into(),
            _ => return bug("st_"),
        },
        STX => {
            let ty = kernel_size(code);
            let bits = if code & 0x18 == DW { "64" } else { "" };
            match code & 0xe0 {
                MEM => format!("*({ty} *)(r{d} {off:+}) = r{s}"),
                ATOMIC => match imm {
                    0x00 | 0x40 | 0x50 | 0xa0 => {
                        format!("lock *({ty} *)(r{d} {off:+}) {} r{s}", KERNEL_ALU_OPS[(imm >> 4) as usize])
                    }
                    0x01 | 0x41 | 0x51 | 0xa1 => {
                        let name = ALU_NAMES[(imm >> 4) as usize];
                        format!("r{s} = atomic{bits}_fetch_{name}(({ty} *)(r{d} {off:+}), r{s})")
                    }
                    ATOMIC_CMPXCHG => format!("r0 = atomic{bits}_cmpxchg(({ty} *)(r{d} {off:+}), r0, r{s})"),
                    ATOMIC_XCHG => format!("r{s} = atomic{bits}_xchg(({ty} *)(r{d} {off:+}), r{s})"),
                    // BPF_LOAD_ACQ and BPF_STORE_REL.
                    0x100 => format!("r{d} = load_acquire(({ty} *)(r{s} {off:+}))"),
                    0x110 => format!("store_release(({ty} *)(r{d} {off:+}), r{s})"),
                    _ => return bug(""),
                },
                _ => return bug(""),
            }
        }
        _ => match code & 0xe0 {
            ABS => format!("r0 = *({} *)skb[{imm}]", kernel_size(code)),
            IND => format!("r0 = *({} *)skb[r{s} + {imm}]", kernel_size(code)),
            IMM if code & 0x18 == DW => {
                let hi = next.map_or(0, |n| n.imm as u32);
                let value = match s {
                    PSEUDO_MAP_FD => format!("map[id:{}]", imm as u32),
                    PSEUDO_MAP_VALUE => format!("map[id:{}][0]+{hi}", imm as u32),
                    PSEUDO_MAP_IDX_VALUE => format!("map[idx:{}]+{hi}", imm as u32),
                    PSEUDO_FUNC => format!("subprog[{imm:+}]"),
                    _ => format!("{:#x}", wide_imm(insn, next)),
                };
                format!("r{d} = {value}")
            }
            _ => return bug("ld_"),
        },
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
