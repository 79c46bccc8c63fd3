//! What the verifier knows at one instruction: per frame, eleven registers and the stack; across
//! frames, the references held. Types are the kernel's `enum bpf_reg_type` numbers (a base kind in
//! the low byte, modifier flags above, as [`crate::bpf::protos`] spells them), so that a helper
//! prototype's expectation and a register compare without translation and print with the kernel's
//! names.

use super::scalar::{Scalar, Tnum};

// Base kinds (`enum bpf_reg_type`, 6.18).
pub const NOT_INIT: u32 = 0;
pub const SCALAR: u32 = 1;
pub const PTR_TO_CTX: u32 = 2;
pub const CONST_PTR_TO_MAP: u32 = 3;
pub const PTR_TO_MAP_VALUE: u32 = 4;
pub const PTR_TO_MAP_KEY: u32 = 5;
pub const PTR_TO_STACK: u32 = 6;
pub const PTR_TO_PACKET_META: u32 = 7;
pub const PTR_TO_PACKET: u32 = 8;
pub const PTR_TO_PACKET_END: u32 = 9;
pub const PTR_TO_FLOW_KEYS: u32 = 10;
pub const PTR_TO_SOCKET: u32 = 11;
pub const PTR_TO_SOCK_COMMON: u32 = 12;
pub const PTR_TO_TCP_SOCK: u32 = 13;
pub const PTR_TO_TP_BUFFER: u32 = 14;
pub const PTR_TO_XDP_SOCK: u32 = 15;
pub const PTR_TO_BTF_ID: u32 = 16;
pub const PTR_TO_MEM: u32 = 17;
pub const PTR_TO_ARENA: u32 = 18;
pub const PTR_TO_BUF: u32 = 19;
pub const PTR_TO_FUNC: u32 = 20;
pub const CONST_PTR_TO_DYNPTR: u32 = 21;

// Modifiers (`enum bpf_type_flag`).
pub const PTR_MAYBE_NULL: u32 = 1 << 8;
pub const MEM_RDONLY: u32 = 1 << 9;
pub const MEM_RINGBUF: u32 = 1 << 10;
pub const MEM_USER: u32 = 1 << 11;
pub const MEM_PERCPU: u32 = 1 << 12;
pub const OBJ_RELEASE: u32 = 1 << 13;
pub const PTR_UNTRUSTED: u32 = 1 << 14;
pub const MEM_UNINIT: u32 = 1 << 15;
pub const DYNPTR_TYPE_LOCAL: u32 = 1 << 16;
pub const DYNPTR_TYPE_RINGBUF: u32 = 1 << 17;
pub const MEM_FIXED_SIZE: u32 = 1 << 18;
pub const MEM_ALLOC: u32 = 1 << 19;
pub const PTR_TRUSTED: u32 = 1 << 20;
pub const MEM_RCU: u32 = 1 << 21;
pub const NON_OWN_REF: u32 = 1 << 22;
pub const DYNPTR_TYPE_SKB: u32 = 1 << 23;
pub const DYNPTR_TYPE_XDP: u32 = 1 << 24;
pub const MEM_ALIGNED: u32 = 1 << 25;
pub const MEM_WRITE: u32 = 1 << 26;
pub const DYNPTR_TYPE_SKB_META: u32 = 1 << 27;
pub const DYNPTR_TYPE_MASK: u32 = DYNPTR_TYPE_LOCAL | DYNPTR_TYPE_RINGBUF | DYNPTR_TYPE_SKB | DYNPTR_TYPE_XDP | DYNPTR_TYPE_SKB_META;

/// In a scalar's id: this scalar is another one (the id without the flags) plus `off`
/// (`rX = rY; rX += K`, or `-= K`), so a bound learnt on either holds for the other, shifted.
/// The 32-bit form (`wX += K`) zero-extends what it is shifted to.
pub const BPF_ADD_CONST64: u32 = 1 << 31;
pub const BPF_ADD_CONST32: u32 = 1 << 30;
pub const BPF_ADD_CONST: u32 = BPF_ADD_CONST64 | BPF_ADD_CONST32;

pub const fn base(ty: u32) -> u32 {
    ty & 0xff
}

/// The kernel's printed name of a register type (`map_value_or_null`, `rdonly_mem`, `fp`, ...).
pub fn type_name(ty: u32) -> String {
    const NAMES: [&str; 22] = [
        "?",
        "scalar",
        "ctx",
        "map_ptr",
        "map_value",
        "map_key",
        "fp",
        "pkt_meta",
        "pkt",
        "pkt_end",
        "flow_keys",
        "sock",
        "sock_common",
        "tcp_sock",
        "tp_buffer",
        "xdp_sock",
        "ptr_",
        "mem",
        "arena",
        "buf",
        "func",
        "dynptr_ptr",
    ];
    let b = base(ty) as usize;
    let mut s = String::new();
    for (flag, p) in [
        (MEM_RDONLY, "rdonly_"),
        (MEM_RINGBUF, "ringbuf_"),
        (MEM_USER, "user_"),
        (MEM_PERCPU, "percpu_"),
        (MEM_RCU, "rcu_"),
        (PTR_UNTRUSTED, "untrusted_"),
        (PTR_TRUSTED, "trusted_"),
    ] {
        if ty & flag != 0 {
            s.push_str(p);
        }
    }
    s.push_str(NAMES.get(b).copied().unwrap_or("?"));
    if ty & PTR_MAYBE_NULL != 0 {
        s.push_str(if b as u32 == PTR_TO_BTF_ID { "or_null_" } else { "_or_null" });
    }
    s
}

pub use crate::dynptr::DynptrKind;

/// The dynptr kind a `DYNPTR_TYPE_*` type flag names.
pub fn dynptr_kind_of_flag(ty: u32) -> DynptrKind {
    match ty & DYNPTR_TYPE_MASK {
        DYNPTR_TYPE_LOCAL => DynptrKind::Local,
        DYNPTR_TYPE_RINGBUF => DynptrKind::Ringbuf,
        DYNPTR_TYPE_SKB => DynptrKind::Skb,
        DYNPTR_TYPE_XDP => DynptrKind::Xdp,
        DYNPTR_TYPE_SKB_META => DynptrKind::SkbMeta,
        _ => DynptrKind::Invalid,
    }
}

/// One register's abstract value. Pointers keep a fixed offset (`off`) apart from their variable
/// part (`var`, a scalar), as the kernel does, so that offsets print and compare as it prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reg {
    pub ty: u32,
    pub off: i32,
    pub var: Scalar,
    /// Shared by copies of one maybe-null pointer (null checks refine them all), by packet
    /// pointers derived from one variable offset, and by scalars copied from each other.
    pub id: u32,
    /// The reference this pointer carries, 0 if none.
    pub ref_obj_id: u32,
    /// The map (index in the program's maps) of a map pointer, map value or key.
    pub map: u32,
    /// Packet pointers: bytes proven readable past `off`. Memory: its size.
    pub range: i32,
    pub mem_size: u32,
    /// Dynptr pointer and slices: the dynptr's kind; function pointers: the subprogram.
    pub dynptr: DynptrKind,
    pub subprog: u32,
    /// The frame a stack pointer points into.
    pub frameno: u8,
    /// A dynptr slice: the dynptr's id it came from (slices die with it).
    pub parent_id: u32,
    /// A PTR_TO_BTF_ID whose kernel struct the verifier checks accesses against (`nf_conn`,
    /// `nf_conn___init`); None where only reads of unknown layout are allowed.
    pub btf_struct: Option<&'static str>,
    /// An allocated object (`MEM_ALLOC`): its local type's id in the program's BTF.
    pub btf_id: u32,
    /// A dynptr slice given a stack buffer, which it may be: (frame, offset, size), as the log
    /// names it (`buf=fp[0]-20+4`). A stack buffer fits the narrow types; any other buffer is
    /// not named (what 6.18 prints for one, uxdp has not seen).
    pub buf: Option<(u8, i16, u16)>,
    /// A scalar whose exact value some later use relies on (precision tracking,
    /// [`super::precision`]): pruning compares it by range; the log prints it with `P`.
    pub precise: bool,
}

impl Reg {
    pub const NOT_INIT: Reg = Reg {
        ty: NOT_INIT,
        off: 0,
        var: Scalar::unknown(),
        id: 0,
        ref_obj_id: 0,
        map: 0,
        range: 0,
        mem_size: 0,
        dynptr: DynptrKind::Invalid,
        subprog: 0,
        frameno: 0,
        parent_id: 0,
        btf_struct: None,
        btf_id: 0,
        buf: None,
        precise: false,
    };

    pub fn scalar(var: Scalar) -> Reg {
        Reg { ty: SCALAR, var, ..Reg::NOT_INIT }
    }
    pub fn unknown() -> Reg {
        Reg::scalar(Scalar::unknown())
    }
    pub fn known(v: u64) -> Reg {
        Reg::scalar(Scalar::constant(v))
    }
    /// A pointer of this type at offset zero, with a known-zero variable part.
    pub fn ptr(ty: u32) -> Reg {
        Reg { ty, var: Scalar::constant(0), ..Reg::NOT_INIT }
    }
    pub fn is_scalar(&self) -> bool {
        self.ty == SCALAR
    }
    pub fn is_pointer(&self) -> bool {
        self.ty != SCALAR && self.ty != NOT_INIT
    }
    pub fn is_init(&self) -> bool {
        self.ty != NOT_INIT
    }
    pub fn is_const(&self) -> Option<u64> {
        if self.is_scalar() {
            self.var.is_const()
        } else {
            None
        }
    }
    pub fn is_null(&self) -> bool {
        self.is_const() == Some(0)
    }
    pub fn maybe_null(&self) -> bool {
        self.ty & PTR_MAYBE_NULL != 0
    }
    pub fn is_pkt(&self) -> bool {
        matches!(self.ty, PTR_TO_PACKET | PTR_TO_PACKET_META)
    }
    pub fn var_off(&self) -> Tnum {
        self.var.var_off
    }
}

/// What one byte of a stack slot holds (`enum bpf_stack_slot_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlotByte {
    Invalid,
    Spill,
    Misc,
    Zero,
    Dynptr,
    Iter,
    IrqFlag,
}

impl SlotByte {
    /// The letter the log prints for it.
    pub fn letter(self) -> char {
        match self {
            SlotByte::Invalid => '?',
            SlotByte::Spill => 'r',
            SlotByte::Misc => 'm',
            SlotByte::Zero => '0',
            SlotByte::Dynptr => 'd',
            SlotByte::Iter => 'i',
            SlotByte::IrqFlag => 'f',
        }
    }
}

/// An 8-byte stack slot: per-byte kinds (byte 0 is the lowest address) and the spilled register
/// (or the dynptr / iterator state, for those slots).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    pub bytes: [SlotByte; 8],
    pub spilled: Reg,
    /// Dynptrs take two slots: set on the slot at the lower... higher address (the first).
    pub dynptr_first: bool,
    /// Iterators: the state (active / drained) and loop depth.
    pub iter_state: u8,
    pub iter_depth: u32,
}

impl Slot {
    pub const EMPTY: Slot =
        Slot { bytes: [SlotByte::Invalid; 8], spilled: Reg::NOT_INIT, dynptr_first: false, iter_state: 0, iter_depth: 0 };
    pub fn is_spill(&self) -> bool {
        self.bytes[7] == SlotByte::Spill
    }
    /// A full 8-byte spill of any register.
    pub fn spill_size(&self) -> usize {
        self.bytes.iter().rev().take_while(|&&b| b == SlotByte::Spill).count()
    }
    pub fn is_dynptr(&self) -> bool {
        self.bytes[0] == SlotByte::Dynptr
    }
    pub fn is_iter(&self) -> bool {
        self.bytes[0] == SlotByte::Iter
    }
}

pub const MAX_CALL_FRAMES: usize = 8;
pub const MAX_BPF_STACK: i32 = 512;

/// One call frame: registers, stack (slot 0 at fp-8), where it was called from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    pub regs: [Reg; 11],
    pub stack: Vec<Slot>,
    pub callsite: i32,
    pub frameno: u8,
    pub subprog: u32,
    /// A callback's frame: the range its r0 must be in at exit, and whether it is run repeatedly.
    pub callback: Option<CallbackKind>,
    pub async_cb: bool,
    /// How many visits of a callback this frame's current call has queued on this path (the
    /// kernel's `callback_depth`): bpf_loop stops queueing at its count's upper bound.
    pub callback_depth: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallbackKind {
    pub ret_min: i32,
    pub ret_max: i32,
    /// The helper or kfunc that calls it (for the loop: bpf_loop, for_each_map_elem, ...).
    pub callsite: i32,
    pub in_loop: bool,
}

impl Frame {
    pub fn new(frameno: u8, callsite: i32, subprog: u32) -> Frame {
        Frame {
            regs: [Reg::NOT_INIT; 11],
            stack: Vec::new(),
            callsite,
            frameno,
            subprog,
            callback: None,
            async_cb: false,
            callback_depth: 0,
        }
    }
    pub fn allocated(&self) -> i32 {
        self.stack.len() as i32 * 8
    }
    pub fn grow(&mut self, size: i32) {
        let slots = ((size + 7) / 8) as usize;
        if slots > self.stack.len() {
            self.stack.resize(slots, Slot::EMPTY);
        }
    }
    /// The slot index of the byte at fp+off (off negative), and the byte's index in the slot.
    pub fn spi(off: i32) -> (usize, usize) {
        let slot = (-off - 1) as usize;
        (slot / 8, slot % 8)
    }
}

/// A reference the program holds (`struct bpf_reference_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefState {
    pub id: u32,
    pub insn: usize,
    pub kind: RefKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefKind {
    Ptr,
    Lock,
    Rcu,
    Irq,
}

/// The whole state on one path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    pub frames: Vec<Frame>,
    pub refs: Vec<RefState>,
    pub active_rcu: u32,
    pub active_preempt: u32,
    pub active_lock: u32,
    /// The held bpf_spin_lock's map value: its map and id (the kernel's lock `ptr` and id).
    pub lock_map: u32,
    pub lock_id: u32,
    /// The last id handed out when the lock was taken: references with greater ids came after
    /// it (the kernel keeps the lock among its references, in acquisition order).
    pub lock_seq: u32,
    /// Loop iterators: depth of the iterator loop this path is in.
    pub in_sleepable: bool,
    pub speculative: bool,
    /// Callback visits queued on the way to this state (the kernel's `callback_unroll_depth`):
    /// two states of different visits of one callback are not an infinite loop.
    pub callback_unroll: u32,
    /// may_goto loop bodies entered on the way to this state (the kernel's `may_goto_depth`):
    /// states of different depths at a may_goto are iterations of its loop, not an infinite one.
    pub may_goto_depth: u32,
}

impl State {
    pub fn cur(&self) -> &Frame {
        self.frames.last().expect("a frame")
    }
    pub fn cur_mut(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("a frame")
    }
    pub fn regs(&self) -> &[Reg; 11] {
        &self.cur().regs
    }
    pub fn reg(&self, r: u8) -> &Reg {
        &self.cur().regs[r as usize]
    }
    pub fn reg_mut(&mut self, r: u8) -> &mut Reg {
        &mut self.cur_mut().regs[r as usize]
    }
    pub fn curframe(&self) -> usize {
        self.frames.len() - 1
    }
    /// Every register and spilled register in every frame.
    pub fn for_each_reg(&mut self, mut f: impl FnMut(&mut Reg)) {
        for fr in &mut self.frames {
            for r in fr.regs.iter_mut() {
                f(r);
            }
            for s in fr.stack.iter_mut() {
                if s.is_spill() || s.is_dynptr() {
                    f(&mut s.spilled);
                }
            }
        }
    }
}
