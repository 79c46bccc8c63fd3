//! The structural checks the kernel makes on a program before its data-flow analysis
//! (`check_and_resolve_insns`, `check_insn_fields`, `check_subprogs`): opcodes it knows, fields an
//! opcode leaves reserved set to zero, registers that exist, a read-only frame pointer, whole
//! `lddw` pairs, jumps that land on an instruction of their own function, functions that cannot
//! fall through into the next. Messages use the verifier's wording where it has one, so a user can
//! search for them.
//!
//! What passes here is safe to hand to the interpreter in the sense that every instruction has a
//! defined meaning; the interpreter itself never relies on it for memory safety.

use super::insn::{Insn, MAX_INSNS};
use super::isa::{AluOp, Callee, Cfg, Op, Operand, Pseudo, Size, Width};
use crate::errno::XdpError;

fn err(pc: usize, message: impl Into<String>) -> XdpError {
    XdpError::invalid(pc, message)
}

/// MAX_BPF_REG: r0..r10.
const NREGS: u8 = 11;
const FP: u8 = 10;

/// Checks `insns`; the first problem found in program order is reported.
pub fn validate(insns: &[Insn]) -> Result<(), XdpError> {
    validate_with(insns, true)
}

/// The checks the kernel makes before its verifier walks the program (`check_and_resolve_insns`,
/// `check_subprogs`): opcodes it knows, BPF_LDX's reserved fields, whole `lddw` pairs, function
/// boundaries. Every error here is one the kernel logs alone, before any instruction. The other
/// checks (registers, reserved fields, r10 writes, legacy packet loads) are the walk's:
/// [`check_in_walk`] makes them where a path reaches the instruction.
pub fn validate_for_verifier(insns: &[Insn]) -> Result<(), XdpError> {
    validate_with(insns, false)
}

/// The structural checks `do_check` makes on an instruction a path reaches: its reserved
/// fields, then its registers.
pub fn check_in_walk(insns: &[Insn], pc: usize, op: Op) -> Result<(), XdpError> {
    let insn = insns[pc];
    match op {
        Op::Lddw { .. } | Op::TruncatedLddw { .. } | Op::Legacy { size: Size::B | Size::H | Size::W, .. } => {}
        op => check_fields(pc, &insn, op, false)?,
    }
    check_regs(pc, &insn)
}

fn validate_with(insns: &[Insn], strict: bool) -> Result<(), XdpError> {
    if insns.is_empty() {
        return Err(err(0, "the program has no instructions"));
    }
    if insns.len() > MAX_INSNS {
        return Err(err(0, format!("the program has {} instructions, more than BPF_COMPLEXITY_LIMIT_INSNS ({MAX_INSNS})", insns.len())));
    }
    let cfg = Cfg::new(insns);
    for pc in cfg.starts() {
        let insn = insns[pc];
        if strict {
            check_regs(pc, &insn)?;
        }
        match cfg.ops[pc] {
            Op::Lddw { dst, pseudo, .. } => check_lddw(pc, &insn, &insns[pc + 1], if strict { dst } else { 0 }, pseudo)?,
            Op::TruncatedLddw { .. } => return Err(err(pc, "invalid bpf_ld_imm64 insn")),
            op if strict => check_fields(pc, &insn, op, strict)?,
            op => check_before_walk(pc, &insn, op)?,
        }
    }
    check_functions(&cfg, strict)
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

fn check_lddw(pc: usize, insn: &Insn, next: &Insn, dst: u8, pseudo: Pseudo) -> Result<(), XdpError> {
    if next.code != 0 || next.regs != 0 || next.off != 0 {
        return Err(err(pc, "invalid bpf_ld_imm64 insn"));
    }
    if insn.off != 0 {
        return Err(err(pc, "BPF_LD_IMM64 uses reserved fields"));
    }
    if matches!(pseudo, Pseudo::Other(_)) {
        return Err(err(pc, "unrecognized bpf_ld_imm64 insn"));
    }
    if dst == FP {
        return Err(err(pc, "frame pointer is read only"));
    }
    Ok(())
}

/// What `check_and_resolve_insns` refuses of an instruction: an opcode the kernel has no meaning
/// for, a BPF_LDX with its immediate set.
fn check_before_walk(pc: usize, insn: &Insn, op: Op) -> Result<(), XdpError> {
    match op {
        Op::Load { .. } if insn.imm != 0 => Err(err(pc, "BPF_LDX uses reserved fields")),
        op if unknown_opcode(&op) => Err(err(pc, format!("unknown opcode {:02x}", insn.code))),
        _ => Ok(()),
    }
}

/// An opcode the kernel has no meaning for (its instruction table lacks it).
fn unknown_opcode(op: &Op) -> bool {
    matches!(op, Op::Unknown { .. } | Op::Nospec | Op::Legacy { size: Size::DW, .. })
}

/// The fields `op` leaves unused must be zero, and it must not write r10.
fn check_fields(pc: usize, insn: &Insn, op: Op, strict: bool) -> Result<(), XdpError> {
    let unknown = || err(pc, format!("unknown opcode {:02x}", insn.code));
    let reserved = |what: &str| err(pc, format!("{what} uses reserved fields"));
    let writes_fp = |r: u8| if r == FP && strict { Err(err(pc, "frame pointer is read only")) } else { Ok(()) };
    let (off, imm) = (insn.off, insn.imm);
    match op {
        Op::Alu { op, w, dst, src } => {
            match (op, src) {
                (AluOp::Neg, _) => {
                    if insn.src() != 0 || off != 0 || imm != 0 {
                        return Err(reserved("BPF_NEG"));
                    }
                }
                (AluOp::Mov | AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32, Operand::Reg(_)) => {
                    let offs: &[i16] = if w == Width::W64 { &[0, 8, 16, 32] } else { &[0, 8, 16] };
                    if !offs.contains(&off) || imm != 0 {
                        return Err(reserved("BPF_MOV"));
                    }
                }
                (AluOp::Mov, Operand::Imm(_)) => {
                    if insn.src() != 0 || off != 0 {
                        return Err(reserved("BPF_MOV"));
                    }
                }
                _ => {
                    // off = 1 selects sdiv/smod; anywhere else it is reserved.
                    let divides = matches!(op, AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod);
                    let off_ok = off == 0 || (off == 1 && divides);
                    let other_ok = match src {
                        Operand::Reg(_) => imm == 0,
                        Operand::Imm(_) => insn.src() == 0,
                    };
                    if !off_ok || !other_ok {
                        return Err(reserved("BPF_ALU"));
                    }
                    if src == Operand::Imm(0) && divides {
                        return Err(err(pc, "div by zero"));
                    }
                }
            }
            writes_fp(dst)
        }
        Op::End { dst, .. } => {
            if insn.src() != 0 || off != 0 || !matches!(imm, 16 | 32 | 64) {
                return Err(reserved("BPF_END"));
            }
            writes_fp(dst)
        }
        Op::Call(callee) => {
            let src_ok = !matches!(callee, Callee::Reserved { .. });
            let off_ok = off == 0 || matches!(callee, Callee::Kfunc { .. });
            if !src_ok || !off_ok || insn.dst() != 0 {
                return Err(reserved("BPF_CALL"));
            }
            Ok(())
        }
        // callx (uBPF, bpf_conformance): the helper id is in dst.
        Op::Callx { .. } => {
            if insn.src() != 0 || off != 0 || imm != 0 {
                return Err(reserved("BPF_CALL"));
            }
            Ok(())
        }
        // may_goto (BPF_JMP | BPF_JCOND, src BPF_MAY_GOTO): only the offset is used.
        Op::MayGoto { .. } => {
            if imm != 0 || insn.regs != 0 {
                return Err(reserved("BPF_JCOND"));
            }
            Ok(())
        }
        Op::Exit => {
            if imm != 0 || insn.regs != 0 || off != 0 {
                return Err(reserved("BPF_EXIT"));
            }
            Ok(())
        }
        Op::Ja { long, .. } => {
            // JMP takes its offset from off, JMP32 (gotol) from imm; the other is reserved.
            let unused_set = if long { off != 0 } else { imm != 0 };
            if insn.regs != 0 || unused_set {
                return Err(reserved("BPF_JA"));
            }
            Ok(())
        }
        Op::Jump { src, .. } => {
            let bad = match src {
                Operand::Reg(_) => imm != 0,
                Operand::Imm(_) => insn.src() != 0,
            };
            if bad {
                return Err(reserved("BPF_JMP/JMP32"));
            }
            Ok(())
        }
        Op::Load { dst, .. } => {
            if imm != 0 {
                return Err(reserved("BPF_LDX"));
            }
            writes_fp(dst)
        }
        Op::Store { val: Operand::Imm(_), .. } => {
            if insn.src() != 0 {
                return Err(reserved("BPF_ST"));
            }
            Ok(())
        }
        Op::Store { val: Operand::Reg(_), .. } => {
            if imm != 0 {
                return Err(reserved("BPF_STX"));
            }
            Ok(())
        }
        Op::Atomic { size, op, src, .. } => {
            if !matches!(size, Size::W | Size::DW) {
                return Err(err(pc, "invalid atomic operand size"));
            }
            if !op.runs() {
                return Err(err(pc, format!("BPF_ATOMIC uses invalid atomic opcode {imm:02x}")));
            }
            // The fetching forms write the old value to src (cmpxchg to r0).
            op.writes(src).map_or(Ok(()), writes_fp)
        }
        // The legacy packet loads have no meaning outside socket filters.
        Op::Legacy { size: Size::B | Size::H | Size::W, .. } => {
            Err(err(pc, "BPF_LD_[ABS|IND] instructions not allowed for this program type"))
        }
        _ => Err(unknown()),
    }
}

/// Function boundaries and control flow: every pseudo call and function reference starts a
/// function; jumps stay inside their own; each ends in `exit` or `ja` so none falls into the next.
fn check_functions(cfg: &Cfg, strict: bool) -> Result<(), XdpError> {
    for pc in cfg.starts() {
        if let Some(t) = cfg.call_target(pc) {
            if !cfg.valid_start(t) {
                return Err(err(pc, "call to invalid destination"));
            }
        } else if let Some(t) = cfg.func_ref(pc) {
            if !cfg.valid_start(t) {
                return Err(err(pc, "invalid function reference"));
            }
        }
    }
    for f in &cfg.subprogs {
        let mut pc = f.start;
        while pc < f.end {
            let op = cfg.ops[pc];
            let delta = match op {
                Op::MayGoto { off } => Some(i64::from(off)),
                _ => op.jump_offset(),
            };
            if let Some(delta) = delta {
                let t = pc as i64 + delta + 1;
                if t < f.start as i64 || t >= f.end as i64 || (strict && cfg.second_half(t as usize)) {
                    return Err(err(pc, format!("jump out of range from insn {pc} to {t}")));
                }
            }
            if pc + op.width() >= f.end && !matches!(op, Op::Exit | Op::Ja { .. }) {
                return Err(err(pc, "last insn is not an exit or jmp"));
            }
            pc += op.width();
        }
    }
    Ok(())
}
