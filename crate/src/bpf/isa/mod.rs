//! The instruction model every reader of a program shares: [`Op`], one decoded instruction with its
//! operands (an `lddw` is one op carrying its 64-bit immediate), decoded from the raw
//! [`Insn`](super::insn::Insn)s in one place ([`decode`]); [`Cfg`], the control-flow graph of a
//! program (subprograms, basic blocks, edges, lddw halves), built once; and the pure semantics of
//! the ALU, byte swaps, sign-extending loads, atomics and jump conditions ([`sem`]), which the
//! interpreter runs and a verifier's constant folding can share.
//!
//! Decoding is lenient the way the interpreter is: an opcode has one meaning whatever its unused
//! fields hold (the structural checks in [`super::validate`] refuse those separately), and the
//! encodings with no meaning here decode to forms of their own ([`Op::Unknown`],
//! [`Op::TruncatedLddw`], the kernel-internal ones) so that every reader reports them alike.
//!
//! [`Flat`] is the interpreter's pre-decoded form of the same ops: one byte of kind and the
//! instruction's operand fields, eight bytes per slot, so that its inner loop dispatches once.

mod cfg;
mod flat;
mod op;
pub mod sem;

pub use cfg::{Block, Cfg, Subprog};
pub(crate) use flat::flat_kinds;
pub use flat::{Flat, Kind};
pub use op::{decode, decode_all, AluOp, AtomicOp, ByteOrder, Callee, Cond, LegacyMode, Op, Operand, Pseudo, Size, Width};

#[cfg(test)]
mod tests;
