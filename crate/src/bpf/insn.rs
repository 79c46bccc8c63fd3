//! The instruction encoding: `struct bpf_insn` and the opcode fields of the BPF ISA (RFC 9669 and the
//! kernel's uapi `bpf.h`/`bpf_common.h`).

/// One 8-byte instruction, byte-for-byte the kernel's `struct bpf_insn` on a little-endian host.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Insn {
    pub code: u8,
    /// dst_reg in the low nibble, src_reg in the high nibble.
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    pub const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn { code, regs: (dst & 0xf) | (src << 4), off, imm }
    }
    #[inline(always)]
    pub const fn dst(&self) -> u8 {
        dst_of(self.regs)
    }
    #[inline(always)]
    pub const fn src(&self) -> u8 {
        src_of(self.regs)
    }
    #[inline(always)]
    pub const fn class(&self) -> u8 {
        self.code & 0x07
    }
    pub fn from_bytes(b: &[u8; 8]) -> Insn {
        Insn { code: b[0], regs: b[1], off: i16::from_le_bytes([b[2], b[3]]), imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]) }
    }
    pub fn to_bytes(&self) -> [u8; 8] {
        let o = self.off.to_le_bytes();
        let i = self.imm.to_le_bytes();
        [self.code, self.regs, o[0], o[1], i[0], i[1], i[2], i[3]]
    }
    /// Whether this is the first half of a 16-byte `lddw`.
    pub const fn is_lddw(&self) -> bool {
        self.code == LD | DW | IMM
    }
}

/// dst_reg of a `regs` byte.
#[inline(always)]
pub const fn dst_of(regs: u8) -> u8 {
    regs & 0xf
}

/// src_reg of a `regs` byte.
#[inline(always)]
pub const fn src_of(regs: u8) -> u8 {
    regs >> 4
}

/// Decodes a byte stream; a length that is not a multiple of 8 is refused with the byte count.
pub fn decode(bytes: &[u8]) -> Result<Vec<Insn>, usize> {
    if !bytes.len().is_multiple_of(8) {
        return Err(bytes.len());
    }
    Ok(bytes.chunks_exact(8).map(|c| Insn::from_bytes(c.try_into().unwrap())).collect())
}

pub fn encode(insns: &[Insn]) -> Vec<u8> {
    insns.iter().flat_map(|i| i.to_bytes()).collect()
}

// Instruction classes.
pub const LD: u8 = 0x00;
pub const LDX: u8 = 0x01;
pub const ST: u8 = 0x02;
pub const STX: u8 = 0x03;
pub const ALU: u8 = 0x04;
pub const JMP: u8 = 0x05;
pub const JMP32: u8 = 0x06;
pub const ALU64: u8 = 0x07;

// Load/store sizes.
pub const W: u8 = 0x00;
pub const H: u8 = 0x08;
pub const B: u8 = 0x10;
pub const DW: u8 = 0x18;

// Load/store modes.
pub const IMM: u8 = 0x00;
pub const ABS: u8 = 0x20;
pub const IND: u8 = 0x40;
pub const MEM: u8 = 0x60;
pub const MEMSX: u8 = 0x80;
pub const ATOMIC: u8 = 0xc0;

// Source operand.
pub const K: u8 = 0x00;
pub const X: u8 = 0x08;

// ALU operations.
pub const ADD: u8 = 0x00;
pub const SUB: u8 = 0x10;
pub const MUL: u8 = 0x20;
pub const DIV: u8 = 0x30;
pub const OR: u8 = 0x40;
pub const AND: u8 = 0x50;
pub const LSH: u8 = 0x60;
pub const RSH: u8 = 0x70;
pub const NEG: u8 = 0x80;
pub const MOD: u8 = 0x90;
pub const XOR: u8 = 0xa0;
pub const MOV: u8 = 0xb0;
pub const ARSH: u8 = 0xc0;
pub const END: u8 = 0xd0;
/// BPF_END source bit: BPF_TO_LE (0) or BPF_TO_BE (0x08); with ALU64 it is the unconditional bswap.
pub const TO_LE: u8 = 0x00;
pub const TO_BE: u8 = 0x08;

// Jump operations.
pub const JA: u8 = 0x00;
pub const JEQ: u8 = 0x10;
pub const JGT: u8 = 0x20;
pub const JGE: u8 = 0x30;
pub const JSET: u8 = 0x40;
pub const JNE: u8 = 0x50;
pub const JSGT: u8 = 0x60;
pub const JSGE: u8 = 0x70;
pub const CALL: u8 = 0x80;
pub const EXIT: u8 = 0x90;
pub const JLT: u8 = 0xa0;
pub const JLE: u8 = 0xb0;
pub const JSLT: u8 = 0xc0;
pub const JSLE: u8 = 0xd0;

// Atomic operations (in imm).
pub const ATOMIC_FETCH: i32 = 0x01;
pub const ATOMIC_XCHG: i32 = 0xe0 | ATOMIC_FETCH;
pub const ATOMIC_CMPXCHG: i32 = 0xf0 | ATOMIC_FETCH;

// src_reg of an lddw.
pub const PSEUDO_MAP_FD: u8 = 1;
pub const PSEUDO_MAP_VALUE: u8 = 2;
pub const PSEUDO_BTF_ID: u8 = 3;
pub const PSEUDO_FUNC: u8 = 4;
pub const PSEUDO_MAP_IDX: u8 = 5;
pub const PSEUDO_MAP_IDX_VALUE: u8 = 6;

// src_reg of a call.
pub const PSEUDO_CALL: u8 = 1;
pub const PSEUDO_KFUNC_CALL: u8 = 2;

/// Per-frame stack (MAX_BPF_STACK) and call depth (MAX_CALL_FRAMES).
pub const STACK_SIZE: usize = 512;
pub const MAX_CALL_FRAMES: usize = 8;
/// The stack buffer of a run: every frame's.
pub const STACK_TOTAL: u64 = (STACK_SIZE * MAX_CALL_FRAMES) as u64;
/// MAX_TAIL_CALL_CNT.
pub const MAX_TAIL_CALLS: u32 = 33;
/// BPF_COMPLEXITY_LIMIT_INSNS: the most instructions a program may have.
pub const MAX_INSNS: usize = 1_000_000;

/// How an error names the instruction it is blamed on: the error type sits below `bpf`.
impl From<Insn> for [u8; 8] {
    fn from(insn: Insn) -> [u8; 8] {
        insn.to_bytes()
    }
}

/// Callback addresses (lddw src=BPF_PSEUDO_FUNC, once linked) live in a range no region can have:
/// the instruction model reads them back as function references, the machine as call targets.
pub const FUNC_ADDR_BASE: u64 = 0xffff_ffff_a000_0000;

pub fn func_addr(pc: usize) -> u64 {
    FUNC_ADDR_BASE + pc as u64 * 8
}
