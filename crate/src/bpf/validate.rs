//! The structural checks the kernel makes on a program before its data-flow analysis
//! (`check_and_resolve_insns`, `check_insn_fields`, `check_subprogs`): opcodes it knows, fields an
//! opcode leaves reserved set to zero, registers that exist, a read-only frame pointer, whole
//! `lddw` pairs, jumps that land on an instruction of their own function, functions that cannot
//! fall through into the next. Messages use the verifier's wording where it has one, so a user can
//! search for them.
//!
//! What passes here is safe to hand to the interpreter in the sense that every instruction has a
//! defined meaning; the interpreter itself never relies on it for memory safety.

use super::insn::*;
use super::machine::FUNC_ADDR_BASE;
use crate::errno::XdpError;

fn err(pc: usize, message: impl Into<String>) -> XdpError {
    XdpError::invalid(pc, message)
}

/// MAX_BPF_REG: r0..r10.
const NREGS: u8 = 11;
const FP: u8 = 10;

/// Checks `insns`; the first problem found in program order is reported.
pub fn validate(insns: &[Insn]) -> Result<(), XdpError> {
    if insns.is_empty() {
        return Err(err(0, "the program has no instructions"));
    }
    if insns.len() > MAX_INSNS {
        return Err(err(0, format!("the program has {} instructions, more than BPF_COMPLEXITY_LIMIT_INSNS ({MAX_INSNS})", insns.len())));
    }

    // Which slots are the second half of an lddw: nothing may start or land there.
    let mut second_half = vec![false; insns.len()];
    let mut pc = 0;
    while pc < insns.len() {
        let insn = insns[pc];
        check_regs(pc, &insn)?;
        if insn.is_lddw() {
            check_lddw(insns, pc)?;
            second_half[pc + 1] = true;
            pc += 2;
            continue;
        }
        check_fields(pc, &insn)?;
        pc += 1;
    }

    check_functions(insns, &second_half)
}

fn check_regs(pc: usize, insn: &Insn) -> Result<(), XdpError> {
    if insn.dst() >= NREGS {
        return Err(err(pc, format!("R{} is invalid", insn.dst())));
    }
    if insn.src() >= NREGS {
        return Err(err(pc, format!("R{} is invalid", insn.src())));
    }
    Ok(())
}

fn check_lddw(insns: &[Insn], pc: usize) -> Result<(), XdpError> {
    let insn = insns[pc];
    let Some(next) = insns.get(pc + 1) else { return Err(err(pc, "invalid bpf_ld_imm64 insn")) };
    if next.code != 0 || next.regs != 0 || next.off != 0 {
        return Err(err(pc, "invalid bpf_ld_imm64 insn"));
    }
    if insn.off != 0 {
        return Err(err(pc, "BPF_LD_IMM64 uses reserved fields"));
    }
    if insn.src() > PSEUDO_MAP_IDX_VALUE {
        return Err(err(pc, "unrecognized bpf_ld_imm64 insn"));
    }
    if insn.dst() == FP {
        return Err(err(pc, "frame pointer is read only"));
    }
    Ok(())
}

fn check_fields(pc: usize, insn: &Insn) -> Result<(), XdpError> {
    let code = insn.code;
    let op = code & 0xf0;
    let src_x = code & X != 0;
    let unknown = || err(pc, format!("unknown opcode {code:02x}"));
    let reserved = |what: &str| err(pc, format!("{what} uses reserved fields"));
    let writes_fp = |r: u8| if r == FP { Err(err(pc, "frame pointer is read only")) } else { Ok(()) };
    match insn.class() {
        ALU | ALU64 => {
            let alu64 = insn.class() == ALU64;
            match op {
                NEG => {
                    if src_x {
                        return Err(unknown());
                    }
                    if insn.src() != 0 || insn.off != 0 || insn.imm != 0 {
                        return Err(reserved("BPF_NEG"));
                    }
                }
                END => {
                    // ALU64 only has the unconditional bswap, encoded with the TO_LE bit.
                    if alu64 && src_x {
                        return Err(unknown());
                    }
                    if insn.src() != 0 || insn.off != 0 || !matches!(insn.imm, 16 | 32 | 64) {
                        return Err(reserved("BPF_END"));
                    }
                }
                MOV => {
                    if src_x {
                        let offs: &[i16] = if alu64 { &[0, 8, 16, 32] } else { &[0, 8, 16] };
                        if !offs.contains(&insn.off) || insn.imm != 0 {
                            return Err(reserved("BPF_MOV"));
                        }
                    } else if insn.src() != 0 || insn.off != 0 {
                        return Err(reserved("BPF_MOV"));
                    }
                }
                ADD | SUB | MUL | DIV | OR | AND | LSH | RSH | MOD | XOR | ARSH => {
                    // off = 1 selects sdiv/smod; anywhere else it is reserved.
                    let off_ok = insn.off == 0 || (insn.off == 1 && matches!(op, DIV | MOD));
                    let other_ok = if src_x { insn.imm == 0 } else { insn.src() == 0 };
                    if !off_ok || !other_ok {
                        return Err(reserved("BPF_ALU"));
                    }
                    if !src_x && insn.imm == 0 && matches!(op, DIV | MOD) {
                        return Err(err(pc, "div by zero"));
                    }
                }
                _ => return Err(unknown()),
            }
            writes_fp(insn.dst())
        }
        JMP | JMP32 => {
            let jmp32 = insn.class() == JMP32;
            match op {
                CALL => {
                    if jmp32 {
                        return Err(unknown());
                    }
                    if src_x {
                        // callx (uBPF, bpf_conformance): the helper id is in dst.
                        if insn.src() != 0 || insn.off != 0 || insn.imm != 0 {
                            return Err(reserved("BPF_CALL"));
                        }
                        return Ok(());
                    }
                    let src_ok = matches!(insn.src(), 0 | PSEUDO_CALL | PSEUDO_KFUNC_CALL);
                    let off_ok = insn.off == 0 || insn.src() == PSEUDO_KFUNC_CALL;
                    if !src_ok || !off_ok || insn.dst() != 0 {
                        return Err(reserved("BPF_CALL"));
                    }
                }
                EXIT => {
                    if jmp32 || src_x {
                        return Err(unknown());
                    }
                    if insn.imm != 0 || insn.regs != 0 || insn.off != 0 {
                        return Err(reserved("BPF_EXIT"));
                    }
                }
                JA => {
                    if src_x {
                        return Err(unknown());
                    }
                    // JMP takes its offset from off, JMP32 (gotol) from imm; the other is reserved.
                    let unused_set = if jmp32 { insn.off != 0 } else { insn.imm != 0 };
                    if insn.regs != 0 || unused_set {
                        return Err(reserved("BPF_JA"));
                    }
                }
                JEQ | JGT | JGE | JSET | JNE | JSGT | JSGE | JLT | JLE | JSLT | JSLE => {
                    let bad = if src_x { insn.imm != 0 } else { insn.src() != 0 };
                    if bad {
                        return Err(reserved("BPF_JMP/JMP32"));
                    }
                }
                _ => return Err(unknown()),
            }
            Ok(())
        }
        LDX => {
            let size = code & 0x18;
            match code & 0xe0 {
                MEM => {}
                MEMSX if size != DW => {}
                _ => return Err(unknown()),
            }
            if insn.imm != 0 {
                return Err(reserved("BPF_LDX"));
            }
            writes_fp(insn.dst())
        }
        ST => {
            if code & 0xe0 != MEM {
                return Err(unknown());
            }
            if insn.src() != 0 {
                return Err(reserved("BPF_ST"));
            }
            Ok(())
        }
        STX => match code & 0xe0 {
            MEM => {
                if insn.imm != 0 {
                    return Err(reserved("BPF_STX"));
                }
                Ok(())
            }
            ATOMIC => {
                let size = code & 0x18;
                if size != W && size != DW {
                    return Err(err(pc, "invalid atomic operand size"));
                }
                let base = insn.imm & !ATOMIC_FETCH;
                let known = matches!(base, 0x00 | 0x40 | 0x50 | 0xa0) || insn.imm == ATOMIC_XCHG || insn.imm == ATOMIC_CMPXCHG;
                if !known {
                    return Err(err(pc, format!("BPF_ATOMIC uses invalid atomic opcode {:02x}", insn.imm)));
                }
                // The fetching forms write the old value to src (cmpxchg to r0).
                if insn.imm & ATOMIC_FETCH != 0 && insn.imm != ATOMIC_CMPXCHG {
                    writes_fp(insn.src())?;
                }
                Ok(())
            }
            _ => Err(unknown()),
        },
        // LD: lddw is handled by the caller; the legacy packet loads have no meaning outside
        // socket filters.
        _ => match code {
            0x20 | 0x28 | 0x30 | 0x40 | 0x48 | 0x50 => Err(err(pc, "BPF_LD_[ABS|IND] instructions not allowed for this program type")),
            _ => Err(unknown()),
        },
    }
}

/// Function boundaries and control flow: every pseudo call and function reference starts a
/// function; jumps stay inside their own; each ends in `exit` or `ja` so none falls into the next.
fn check_functions(insns: &[Insn], second_half: &[bool]) -> Result<(), XdpError> {
    let n = insns.len();
    let mut starts = vec![0usize];
    for (pc, insn) in insns.iter().enumerate() {
        if second_half[pc] {
            continue;
        }
        let target = if insn.code == JMP | CALL && insn.src() == PSEUDO_CALL {
            let t = pc as i64 + insn.imm as i64 + 1;
            if t < 0 || t >= n as i64 || second_half[t as usize] {
                return Err(err(pc, "call to invalid destination"));
            }
            t as usize
        } else if insn.is_lddw() {
            match func_ref(insns, pc) {
                Some(t) if t < n && !second_half[t] => t,
                Some(_) => return Err(err(pc, "invalid function reference")),
                None => continue,
            }
        } else {
            continue;
        };
        starts.push(target);
    }
    starts.sort_unstable();
    starts.dedup();

    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(n);
        let mut pc = start;
        while pc < end {
            let insn = insns[pc];
            let class = insn.class();
            let op = insn.code & 0xf0;
            if (class == JMP || class == JMP32) && op != CALL && op != EXIT {
                let delta = if class == JMP32 && op == JA { insn.imm as i64 } else { insn.off as i64 };
                let t = pc as i64 + delta + 1;
                if t < start as i64 || t >= end as i64 || second_half[t as usize] {
                    return Err(err(pc, format!("jump out of range from insn {pc} to {t}")));
                }
            }
            let last = if insn.is_lddw() { pc + 2 >= end } else { pc + 1 == end };
            if last {
                let ends = insn.code == JMP | EXIT || insn.code == JMP | JA || insn.code == JMP32 | JA;
                if !ends {
                    return Err(err(pc, "last insn is not an exit or jmp"));
                }
            }
            pc += if insn.is_lddw() { 2 } else { 1 };
        }
    }
    Ok(())
}

/// The instruction an lddw src=BPF_PSEUDO_FUNC names: in the kernel's raw form imm is relative
/// to the next instruction; once the loader resolved it the value is a
/// [`super::machine::func_addr`]. A plain lddw (src 0) is a constant even when its value happens
/// to look like a function address: taking it for one could only invent boundaries.
fn func_ref(insns: &[Insn], pc: usize) -> Option<usize> {
    let insn = insns[pc];
    if insn.src() != PSEUDO_FUNC {
        return None;
    }
    let value = (insn.imm as u32 as u64) | ((insns[pc + 1].imm as u32 as u64) << 32);
    if value >= FUNC_ADDR_BASE {
        let off = value - FUNC_ADDR_BASE;
        return Some(if off.is_multiple_of(8) { (off / 8) as usize } else { usize::MAX });
    }
    let t = pc as i64 + insn.imm as i64 + 1;
    Some(if t < 0 { usize::MAX } else { t as usize })
}
