//! [`Op`] and its decoder: the only place the opcode byte's fields are taken apart.

use super::super::insn::*;

/// A register number as encoded (a nibble: r0..r10 exist, the structural checks refuse the rest).
pub type Reg = u8;

/// The operand width of an ALU op or a comparison: BPF_ALU / BPF_JMP32 (32) or BPF_ALU64 / BPF_JMP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    W32,
    W64,
}

/// An ALU op's or a comparison's second operand: BPF_K (the immediate) or BPF_X (a register).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    Imm(i32),
    Reg(Reg),
}

/// The operation of an ALU instruction other than a byte swap. `off` selects the signed division
/// forms (1) and the sign-extending moves (8, 16, 32), as cpu v4 encodes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluOp {
    Add,
    Sub,
    Mul,
    Div,
    SDiv,
    Or,
    And,
    Lsh,
    Rsh,
    Neg,
    Mod,
    SMod,
    Xor,
    Mov,
    MovSx8,
    MovSx16,
    MovSx32,
    Arsh,
}

/// BPF_END: to little endian (a truncation on this host), to big endian, or ALU64's unconditional swap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    Le,
    Be,
    Swap,
}

/// A conditional jump's comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    Eq,
    Gt,
    Ge,
    Set,
    Ne,
    Sgt,
    Sge,
    Lt,
    Le,
    Slt,
    Sle,
}

/// A memory access size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    B,
    H,
    W,
    DW,
}

impl Size {
    pub const fn bytes(self) -> u64 {
        match self {
            Size::B => 1,
            Size::H => 2,
            Size::W => 4,
            Size::DW => 8,
        }
    }
    fn of(code: u8) -> Size {
        match code & 0x18 {
            W => Size::W,
            H => Size::H,
            B => Size::B,
            _ => Size::DW,
        }
    }
}

/// A BPF_ATOMIC operation (its imm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    /// add, or, and, xor (`op` is one of those), writing the old value to src with `fetch`.
    Rmw {
        op: AluOp,
        fetch: bool,
    },
    Xchg,
    Cmpxchg,
    /// BPF_LOAD_ACQ and BPF_STORE_REL (cpu v4 in later kernels): printed, never run here.
    LoadAcquire,
    StoreRelease,
    Unknown(i32),
}

impl AtomicOp {
    fn of(imm: i32) -> AtomicOp {
        match imm {
            ATOMIC_XCHG => AtomicOp::Xchg,
            ATOMIC_CMPXCHG => AtomicOp::Cmpxchg,
            0x100 => AtomicOp::LoadAcquire,
            0x110 => AtomicOp::StoreRelease,
            _ => {
                let op = match imm & !ATOMIC_FETCH {
                    0x00 => AluOp::Add,
                    0x40 => AluOp::Or,
                    0x50 => AluOp::And,
                    0xa0 => AluOp::Xor,
                    _ => return AtomicOp::Unknown(imm),
                };
                AtomicOp::Rmw { op, fetch: imm & ATOMIC_FETCH != 0 }
            }
        }
    }
    /// Whether the interpreter and the JIT run it.
    pub const fn runs(self) -> bool {
        matches!(self, AtomicOp::Rmw { .. } | AtomicOp::Xchg | AtomicOp::Cmpxchg)
    }
    /// The register that receives the old value, if any: src for the fetching forms, r0 for cmpxchg.
    pub const fn writes(self, src: Reg) -> Option<Reg> {
        match self {
            AtomicOp::Rmw { fetch: true, .. } | AtomicOp::Xchg => Some(src),
            AtomicOp::Cmpxchg => Some(0),
            _ => None,
        }
    }
}

/// What an lddw's src_reg says its immediate is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pseudo {
    /// A plain 64-bit constant.
    Imm,
    MapFd,
    MapValue,
    BtfId,
    Func,
    MapIdx,
    MapIdxValue,
    Other(u8),
}

impl Pseudo {
    fn of(src: u8) -> Pseudo {
        match src {
            0 => Pseudo::Imm,
            PSEUDO_MAP_FD => Pseudo::MapFd,
            PSEUDO_MAP_VALUE => Pseudo::MapValue,
            PSEUDO_BTF_ID => Pseudo::BtfId,
            PSEUDO_FUNC => Pseudo::Func,
            PSEUDO_MAP_IDX => Pseudo::MapIdx,
            PSEUDO_MAP_IDX_VALUE => Pseudo::MapIdxValue,
            s => Pseudo::Other(s),
        }
    }
}

/// What a `call` (BPF_JMP | BPF_CALL | BPF_K) calls, by its src_reg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Callee {
    /// A helper by id.
    Helper(i32),
    /// A bpf-to-bpf call: the function starts `rel` instructions after the next one.
    Local(i32),
    /// A kfunc: its BTF id (an index into the program's kfuncs once loaded) and, in `off`, the
    /// BTF object it comes from.
    Kfunc { imm: i32, off: i16 },
    /// A src_reg no call has.
    Reserved { src: u8, imm: i32 },
}

/// BPF_LD's legacy packet access modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LegacyMode {
    Abs,
    Ind,
}

/// One decoded instruction with its operands. Jump offsets are relative to the next instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// dst = dst op src (at `w` bits; 32-bit results are zero-extended). Neg and the moves ignore dst's value.
    Alu {
        op: AluOp,
        w: Width,
        dst: Reg,
        src: Operand,
    },
    /// dst = dst in `order`, `bits` wide (16, 32 or 64; anything else is a fault to run).
    End {
        order: ByteOrder,
        bits: i32,
        dst: Reg,
    },
    /// dst = *(size *)(src + off), sign-extended with `sx` (BPF_MEMSX).
    Load {
        size: Size,
        sx: bool,
        dst: Reg,
        src: Reg,
        off: i16,
    },
    /// *(size *)(dst + off) = val (BPF_ST with an immediate, BPF_STX with a register).
    Store {
        size: Size,
        dst: Reg,
        off: i16,
        val: Operand,
    },
    /// A read-modify-write of *(size *)(dst + off) with src (sizes other than W and DW do not run).
    Atomic {
        size: Size,
        op: AtomicOp,
        dst: Reg,
        src: Reg,
        off: i16,
    },
    /// goto +off: BPF_JMP's from `off`, BPF_JMP32's (`long`, gotol) from imm.
    Ja {
        off: i32,
        long: bool,
    },
    /// if dst cond src goto +off, comparing `w` bits.
    Jump {
        cond: Cond,
        w: Width,
        dst: Reg,
        src: Operand,
        off: i16,
    },
    Call(Callee),
    /// callx (uBPF, bpf_conformance): the helper id is in dst.
    Callx {
        dst: Reg,
    },
    Exit,
    /// dst = imm, the 64-bit value of both halves; `pseudo` (src_reg) says what it is.
    Lddw {
        dst: Reg,
        pseudo: Pseudo,
        imm: u64,
    },
    /// An lddw with no second half: the program ends after it.
    TruncatedLddw {
        dst: Reg,
        pseudo: Pseudo,
    },
    /// BPF_LD_[ABS|IND]: legacy packet access, which XDP programs do not have (and which has no DW form).
    Legacy {
        mode: LegacyMode,
        size: Size,
        src: Reg,
        imm: i32,
    },
    /// The kernel's may_goto (BPF_JCOND): printed, never run here.
    MayGoto {
        off: i16,
    },
    /// The verifier's internal speculation barrier (BPF_ST | BPF_NOSPEC): printed, never run here.
    Nospec,
    /// An opcode the ISA does not define.
    Unknown {
        code: u8,
    },
}

/// Decodes the instruction at `pc` (an lddw takes its upper half from `pc + 1`).
pub fn decode(insns: &[Insn], pc: usize) -> Op {
    let i = insns[pc];
    let code = i.code;
    let (dst, src) = (i.dst(), i.src());
    let op = code & 0xf0;
    let x = code & X != 0;
    let operand = if x { Operand::Reg(src) } else { Operand::Imm(i.imm) };
    let unknown = Op::Unknown { code };
    match i.class() {
        class @ (ALU | ALU64) => {
            let w = if class == ALU64 { Width::W64 } else { Width::W32 };
            let signed = i.off == 1;
            let alu = match op {
                ADD => AluOp::Add,
                SUB => AluOp::Sub,
                MUL => AluOp::Mul,
                DIV if signed => AluOp::SDiv,
                DIV => AluOp::Div,
                OR => AluOp::Or,
                AND => AluOp::And,
                LSH => AluOp::Lsh,
                RSH => AluOp::Rsh,
                NEG if !x => AluOp::Neg,
                MOD if signed => AluOp::SMod,
                MOD => AluOp::Mod,
                XOR => AluOp::Xor,
                // Only the register form sign-extends; ALU's own moves stop at 16 bits.
                MOV if x => match (w, i.off) {
                    (_, 8) => AluOp::MovSx8,
                    (_, 16) => AluOp::MovSx16,
                    (Width::W64, 32) => AluOp::MovSx32,
                    _ => AluOp::Mov,
                },
                MOV => AluOp::Mov,
                ARSH => AluOp::Arsh,
                END => {
                    let order = match (class, x) {
                        (ALU64, false) => ByteOrder::Swap,
                        (ALU64, true) => return unknown,
                        (_, false) => ByteOrder::Le,
                        _ => ByteOrder::Be,
                    };
                    return Op::End { order, bits: i.imm, dst };
                }
                _ => return unknown,
            };
            Op::Alu { op: alu, w, dst, src: operand }
        }
        class @ (JMP | JMP32) => {
            let w = if class == JMP { Width::W64 } else { Width::W32 };
            let cond = match op {
                JA if x => return unknown,
                JA if class == JMP => return Op::Ja { off: i32::from(i.off), long: false },
                JA => return Op::Ja { off: i.imm, long: true },
                CALL if class == JMP32 => return unknown,
                CALL if x => return Op::Callx { dst },
                CALL => {
                    return Op::Call(match src {
                        0 => Callee::Helper(i.imm),
                        PSEUDO_CALL => Callee::Local(i.imm),
                        PSEUDO_KFUNC_CALL => Callee::Kfunc { imm: i.imm, off: i.off },
                        s => Callee::Reserved { src: s, imm: i.imm },
                    })
                }
                EXIT if class == JMP && !x => return Op::Exit,
                EXIT => return unknown,
                0xe0 if code == JMP | 0xe0 && src == 0 => return Op::MayGoto { off: i.off },
                JEQ => Cond::Eq,
                JGT => Cond::Gt,
                JGE => Cond::Ge,
                JSET => Cond::Set,
                JNE => Cond::Ne,
                JSGT => Cond::Sgt,
                JSGE => Cond::Sge,
                JLT => Cond::Lt,
                JLE => Cond::Le,
                JSLT => Cond::Slt,
                JSLE => Cond::Sle,
                _ => return unknown,
            };
            Op::Jump { cond, w, dst, src: operand, off: i.off }
        }
        LDX => {
            let size = Size::of(code);
            match code & 0xe0 {
                MEM => Op::Load { size, sx: false, dst, src, off: i.off },
                MEMSX if size != Size::DW => Op::Load { size, sx: true, dst, src, off: i.off },
                _ => unknown,
            }
        }
        ST => match code & 0xe0 {
            MEM => Op::Store { size: Size::of(code), dst, off: i.off, val: Operand::Imm(i.imm) },
            0xc0 => Op::Nospec,
            _ => unknown,
        },
        STX => match code & 0xe0 {
            MEM => Op::Store { size: Size::of(code), dst, off: i.off, val: Operand::Reg(src) },
            ATOMIC => Op::Atomic { size: Size::of(code), op: AtomicOp::of(i.imm), dst, src, off: i.off },
            _ => unknown,
        },
        // LD
        _ => {
            let size = Size::of(code);
            match code & 0xe0 {
                IMM if size == Size::DW => {
                    let pseudo = Pseudo::of(src);
                    match insns.get(pc + 1) {
                        Some(hi) => Op::Lddw { dst, pseudo, imm: (i.imm as u32 as u64) | ((hi.imm as u32 as u64) << 32) },
                        None => Op::TruncatedLddw { dst, pseudo },
                    }
                }
                ABS => Op::Legacy { mode: LegacyMode::Abs, size, src, imm: i.imm },
                IND => Op::Legacy { mode: LegacyMode::Ind, size, src, imm: i.imm },
                _ => unknown,
            }
        }
    }
}

/// Every slot decoded on its own (an lddw's second half too, for a jump that lands there).
pub fn decode_all(insns: &[Insn]) -> Vec<Op> {
    (0..insns.len()).map(|pc| decode(insns, pc)).collect()
}

impl Op {
    /// The slots it takes: 2 for an lddw, 1 otherwise.
    pub const fn width(&self) -> usize {
        match self {
            Op::Lddw { .. } => 2,
            _ => 1,
        }
    }

    /// A jump's target relative to the next instruction (`ja` and the conditional jumps; not calls,
    /// exits or may_goto).
    pub fn jump_offset(&self) -> Option<i64> {
        match *self {
            Op::Ja { off, .. } => Some(i64::from(off)),
            Op::Jump { off, .. } => Some(i64::from(off)),
            _ => None,
        }
    }

    /// Whether control can go on to the next instruction after it.
    pub const fn falls_through(&self) -> bool {
        !matches!(self, Op::Exit | Op::Ja { .. })
    }

    /// Whether it ends a basic block: every jump, call and exit (a call, because a helper can end
    /// the run or move it to another program).
    pub const fn ends_block(&self) -> bool {
        matches!(self, Op::Ja { .. } | Op::Jump { .. } | Op::Call(_) | Op::Callx { .. } | Op::Exit | Op::MayGoto { .. })
    }

    /// The register it writes, if any (the old value of a fetching atomic lands in src or r0).
    pub fn writes(&self) -> Option<Reg> {
        match *self {
            Op::Alu { dst, .. } | Op::End { dst, .. } | Op::Load { dst, .. } | Op::Lddw { dst, .. } => Some(dst),
            Op::Atomic { op, src, .. } => op.writes(src),
            Op::Call(_) | Op::Callx { .. } | Op::Legacy { .. } => Some(0),
            _ => None,
        }
    }
}
