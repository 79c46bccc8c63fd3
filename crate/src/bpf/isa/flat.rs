//! [`Flat`]: the interpreter's pre-decoded form of [`Op`]s, and the table of its kinds.

use super::super::insn::{dst_of, src_of, Insn};
use super::op::{decode, AluOp, ByteOrder, Callee, Cond, Op, Operand, Size, Width};

/// Calls `$cb! { alu: [...], end: [...], jump: [...], load: [...], store: [...] }` with every
/// [`Kind`] that stands for one [`Op`] form: its name and the op's fields (`K`/`X`: the operand is
/// the immediate or a register). The interpreter's inner loop expands its dispatch from the same
/// list, so the kinds and their meaning are written here once.
macro_rules! flat_kinds {
    ($cb:ident) => {
        $cb! {
            alu: [
                (Add64K, Add, W64, K), (Add64X, Add, W64, X), (Sub64K, Sub, W64, K), (Sub64X, Sub, W64, X),
                (Mul64K, Mul, W64, K), (Mul64X, Mul, W64, X), (Div64K, Div, W64, K), (Div64X, Div, W64, X),
                (SDiv64K, SDiv, W64, K), (SDiv64X, SDiv, W64, X), (Or64K, Or, W64, K), (Or64X, Or, W64, X),
                (And64K, And, W64, K), (And64X, And, W64, X), (Lsh64K, Lsh, W64, K), (Lsh64X, Lsh, W64, X),
                (Rsh64K, Rsh, W64, K), (Rsh64X, Rsh, W64, X), (Neg64K, Neg, W64, K), (Mod64K, Mod, W64, K),
                (Mod64X, Mod, W64, X), (SMod64K, SMod, W64, K), (SMod64X, SMod, W64, X), (Xor64K, Xor, W64, K),
                (Xor64X, Xor, W64, X), (Mov64K, Mov, W64, K), (Mov64X, Mov, W64, X), (MovSx864X, MovSx8, W64, X),
                (MovSx1664X, MovSx16, W64, X), (MovSx3264X, MovSx32, W64, X), (Arsh64K, Arsh, W64, K), (Arsh64X, Arsh, W64, X),
                (Add32K, Add, W32, K), (Add32X, Add, W32, X), (Sub32K, Sub, W32, K), (Sub32X, Sub, W32, X),
                (Mul32K, Mul, W32, K), (Mul32X, Mul, W32, X), (Div32K, Div, W32, K), (Div32X, Div, W32, X),
                (SDiv32K, SDiv, W32, K), (SDiv32X, SDiv, W32, X), (Or32K, Or, W32, K), (Or32X, Or, W32, X),
                (And32K, And, W32, K), (And32X, And, W32, X), (Lsh32K, Lsh, W32, K), (Lsh32X, Lsh, W32, X),
                (Rsh32K, Rsh, W32, K), (Rsh32X, Rsh, W32, X), (Neg32K, Neg, W32, K), (Mod32K, Mod, W32, K),
                (Mod32X, Mod, W32, X), (SMod32K, SMod, W32, K), (SMod32X, SMod, W32, X), (Xor32K, Xor, W32, K),
                (Xor32X, Xor, W32, X), (Mov32K, Mov, W32, K), (Mov32X, Mov, W32, X), (MovSx832X, MovSx8, W32, X),
                (MovSx1632X, MovSx16, W32, X), (Arsh32K, Arsh, W32, K), (Arsh32X, Arsh, W32, X),
            ],
            end: [
                (Le16, Le, 16), (Le32, Le, 32), (Le64, Le, 64),
                (Be16, Be, 16), (Be32, Be, 32), (Be64, Be, 64),
                (Swap16, Swap, 16), (Swap32, Swap, 32), (Swap64, Swap, 64),
            ],
            jump: [
                (Jeq64K, Eq, W64, K), (Jeq64X, Eq, W64, X), (Jgt64K, Gt, W64, K), (Jgt64X, Gt, W64, X),
                (Jge64K, Ge, W64, K), (Jge64X, Ge, W64, X), (Jset64K, Set, W64, K), (Jset64X, Set, W64, X),
                (Jne64K, Ne, W64, K), (Jne64X, Ne, W64, X), (Jsgt64K, Sgt, W64, K), (Jsgt64X, Sgt, W64, X),
                (Jsge64K, Sge, W64, K), (Jsge64X, Sge, W64, X), (Jlt64K, Lt, W64, K), (Jlt64X, Lt, W64, X),
                (Jle64K, Le, W64, K), (Jle64X, Le, W64, X), (Jslt64K, Slt, W64, K), (Jslt64X, Slt, W64, X),
                (Jsle64K, Sle, W64, K), (Jsle64X, Sle, W64, X), (Jeq32K, Eq, W32, K), (Jeq32X, Eq, W32, X),
                (Jgt32K, Gt, W32, K), (Jgt32X, Gt, W32, X), (Jge32K, Ge, W32, K), (Jge32X, Ge, W32, X),
                (Jset32K, Set, W32, K), (Jset32X, Set, W32, X), (Jne32K, Ne, W32, K), (Jne32X, Ne, W32, X),
                (Jsgt32K, Sgt, W32, K), (Jsgt32X, Sgt, W32, X), (Jsge32K, Sge, W32, K), (Jsge32X, Sge, W32, X),
                (Jlt32K, Lt, W32, K), (Jlt32X, Lt, W32, X), (Jle32K, Le, W32, K), (Jle32X, Le, W32, X),
                (Jslt32K, Slt, W32, K), (Jslt32X, Slt, W32, X), (Jsle32K, Sle, W32, K), (Jsle32X, Sle, W32, X),
            ],
            load: [
                (Ldxb, B, false), (Ldxh, H, false), (Ldxw, W, false), (Ldxdw, DW, false),
                (Ldxsb, B, true), (Ldxsh, H, true), (Ldxsw, W, true),
            ],
            store: [
                (Stb, B, K), (Sth, H, K), (Stw, W, K), (Stdw, DW, K),
                (Stxb, B, X), (Stxh, H, X), (Stxw, W, X), (Stxdw, DW, X),
            ],
        }
    };
}
pub(crate) use flat_kinds;

macro_rules! operand_pat {
    (K) => {
        Operand::Imm(_)
    };
    (X) => {
        Operand::Reg(_)
    };
}

macro_rules! operand_of {
    (K, $src:expr, $imm:expr) => {
        Operand::Imm($imm)
    };
    (X, $src:expr, $imm:expr) => {
        Operand::Reg($src)
    };
}

macro_rules! define_kind {
    (
        alu: [$(($an:ident, $aop:ident, $aw:ident, $as:ident)),* $(,)?],
        end: [$(($en:ident, $eo:ident, $eb:literal)),* $(,)?],
        jump: [$(($jn:ident, $jc:ident, $jw:ident, $js:ident)),* $(,)?],
        load: [$(($ln:ident, $lsz:ident, $lsx:literal)),* $(,)?],
        store: [$(($sn:ident, $ssz:ident, $ss:ident)),* $(,)?],
    ) => {
        /// What a [`Flat`] slot does: one kind per op form the interpreter's inner loop runs, and
        /// `Other` for everything it leaves to the general loop.
        #[repr(u8)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Kind {
            $($an,)* $($en,)* $($jn,)* $($ln,)* $($sn,)*
            /// BPF_JMP's `ja` (offset in off) and BPF_JMP32's `gotol` (offset in imm).
            Ja,
            JaLong,
            /// The first half of an lddw; the upper 32 bits are the next slot's imm.
            Lddw,
            Exit,
            /// Helper and bpf-to-bpf calls: the general loop's most common instructions.
            CallHelper,
            CallLocal,
            Other,
        }

        impl Kind {
            pub fn of(op: &Op) -> Kind {
                match *op {
                    $(Op::Alu { op: AluOp::$aop, w: Width::$aw, src: operand_pat!($as), .. } => Kind::$an,)*
                    $(Op::End { order: ByteOrder::$eo, bits: $eb, .. } => Kind::$en,)*
                    $(Op::Jump { cond: Cond::$jc, w: Width::$jw, src: operand_pat!($js), .. } => Kind::$jn,)*
                    $(Op::Load { size: Size::$lsz, sx: $lsx, .. } => Kind::$ln,)*
                    $(Op::Store { size: Size::$ssz, val: operand_pat!($ss), .. } => Kind::$sn,)*
                    Op::Ja { long: false, .. } => Kind::Ja,
                    Op::Ja { long: true, .. } => Kind::JaLong,
                    Op::Lddw { .. } => Kind::Lddw,
                    Op::Exit => Kind::Exit,
                    Op::Call(Callee::Helper(_)) => Kind::CallHelper,
                    Op::Call(Callee::Local(_)) => Kind::CallLocal,
                    _ => Kind::Other,
                }
            }
        }

        impl Flat {
            /// The op again, without decoding, for every kind but `Other` (and `Lddw`, whose
            /// value is in two slots).
            #[inline(always)]
            pub fn op(&self) -> Option<Op> {
                let (dst, src, off, imm) = (self.dst(), self.src(), self.off, self.imm);
                Some(match self.kind {
                    $(Kind::$an => Op::Alu { op: AluOp::$aop, w: Width::$aw, dst, src: operand_of!($as, src, imm) },)*
                    $(Kind::$en => Op::End { order: ByteOrder::$eo, bits: $eb, dst },)*
                    $(Kind::$jn => Op::Jump { cond: Cond::$jc, w: Width::$jw, dst, src: operand_of!($js, src, imm), off },)*
                    $(Kind::$ln => Op::Load { size: Size::$lsz, sx: $lsx, dst, src, off },)*
                    $(Kind::$sn => Op::Store { size: Size::$ssz, dst, off, val: operand_of!($ss, src, imm) },)*
                    Kind::Ja => Op::Ja { off: i32::from(off), long: false },
                    Kind::JaLong => Op::Ja { off: imm, long: true },
                    Kind::Exit => Op::Exit,
                    Kind::CallHelper => Op::Call(Callee::Helper(imm)),
                    Kind::CallLocal => Op::Call(Callee::Local(imm)),
                    Kind::Lddw | Kind::Other => return None,
                })
            }
        }
    };
}

flat_kinds!(define_kind);

/// One slot pre-decoded: the [`Kind`] of its [`Op`] and the instruction's register, offset and
/// immediate fields as encoded (which are the op's operands), laid out as the instruction is.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Flat {
    pub kind: Kind,
    /// dst_reg in the low nibble, src_reg in the high nibble.
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

impl Flat {
    /// Every slot of a program (an lddw's second half too, for a jump that lands there).
    pub fn program(insns: &[Insn]) -> Box<[Flat]> {
        (0..insns.len())
            .map(|pc| {
                let i = insns[pc];
                Flat { kind: Kind::of(&decode(insns, pc)), regs: i.regs, off: i.off, imm: i.imm }
            })
            .collect()
    }
    #[inline(always)]
    pub const fn dst(&self) -> u8 {
        dst_of(self.regs)
    }
    #[inline(always)]
    pub const fn src(&self) -> u8 {
        src_of(self.regs)
    }
}
