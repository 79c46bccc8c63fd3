use super::super::insn::{
    Insn, ATOMIC_CMPXCHG, ATOMIC_XCHG, PSEUDO_BTF_ID, PSEUDO_CALL, PSEUDO_FUNC, PSEUDO_KFUNC_CALL, PSEUDO_MAP_FD, PSEUDO_MAP_IDX,
    PSEUDO_MAP_IDX_VALUE, PSEUDO_MAP_VALUE,
};
use super::*;

fn one(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Op {
    decode(&[Insn::new(code, dst, src, off, imm)], 0)
}

#[test]
fn alu_forms_decode_with_width_and_operand() {
    assert_eq!(one(0x07, 1, 0, 0, -8), Op::Alu { op: AluOp::Add, w: Width::W64, dst: 1, src: Operand::Imm(-8) });
    assert_eq!(one(0x0c, 1, 2, 0, 0), Op::Alu { op: AluOp::Add, w: Width::W32, dst: 1, src: Operand::Reg(2) });
    assert_eq!(one(0x3f, 1, 2, 1, 0), Op::Alu { op: AluOp::SDiv, w: Width::W64, dst: 1, src: Operand::Reg(2) });
    assert_eq!(one(0x94, 1, 0, 1, 3), Op::Alu { op: AluOp::SMod, w: Width::W32, dst: 1, src: Operand::Imm(3) });
    // An off other than 1 leaves division unsigned (the structural checks refuse it).
    assert_eq!(one(0x37, 1, 0, 5, 3), Op::Alu { op: AluOp::Div, w: Width::W64, dst: 1, src: Operand::Imm(3) });
    assert_eq!(one(0xbf, 7, 3, 8, 0), Op::Alu { op: AluOp::MovSx8, w: Width::W64, dst: 7, src: Operand::Reg(3) });
    assert_eq!(one(0xbf, 7, 3, 32, 0), Op::Alu { op: AluOp::MovSx32, w: Width::W64, dst: 7, src: Operand::Reg(3) });
    assert_eq!(one(0xbc, 7, 3, 16, 0), Op::Alu { op: AluOp::MovSx16, w: Width::W32, dst: 7, src: Operand::Reg(3) });
    // ALU has no sign extension of 32 bits, and BPF_K moves never extend.
    assert_eq!(one(0xbc, 7, 3, 32, 0), Op::Alu { op: AluOp::Mov, w: Width::W32, dst: 7, src: Operand::Reg(3) });
    assert_eq!(one(0xb7, 7, 0, 8, 5), Op::Alu { op: AluOp::Mov, w: Width::W64, dst: 7, src: Operand::Imm(5) });
    assert_eq!(one(0x87, 2, 0, 0, 0), Op::Alu { op: AluOp::Neg, w: Width::W64, dst: 2, src: Operand::Imm(0) });
    assert_eq!(one(0xc4, 2, 0, 0, 3), Op::Alu { op: AluOp::Arsh, w: Width::W32, dst: 2, src: Operand::Imm(3) });
    assert_eq!(one(0xd4, 2, 0, 0, 16), Op::End { order: ByteOrder::Le, bits: 16, dst: 2 });
    assert_eq!(one(0xdc, 2, 0, 0, 32), Op::End { order: ByteOrder::Be, bits: 32, dst: 2 });
    assert_eq!(one(0xd7, 2, 0, 0, 64), Op::End { order: ByteOrder::Swap, bits: 64, dst: 2 });
    assert_eq!(one(0xd7, 2, 0, 0, 8), Op::End { order: ByteOrder::Swap, bits: 8, dst: 2 });
}

#[test]
fn memory_forms_decode_with_size_and_mode() {
    assert_eq!(one(0x61, 2, 1, 4, 0), Op::Load { size: Size::W, sx: false, dst: 2, src: 1, off: 4 });
    assert_eq!(one(0x91, 2, 10, -1, 0), Op::Load { size: Size::B, sx: true, dst: 2, src: 10, off: -1 });
    assert_eq!(one(0x7a, 10, 0, -8, 7), Op::Store { size: Size::DW, dst: 10, off: -8, val: Operand::Imm(7) });
    assert_eq!(one(0x6b, 10, 3, -2, 0), Op::Store { size: Size::H, dst: 10, off: -2, val: Operand::Reg(3) });
    let rmw = |imm| match one(0xdb, 10, 2, -8, imm) {
        Op::Atomic { op, size: Size::DW, dst: 10, src: 2, off: -8 } => op,
        other => panic!("{other:?}"),
    };
    assert_eq!(rmw(0x00), AtomicOp::Rmw { op: AluOp::Add, fetch: false });
    assert_eq!(rmw(0x51), AtomicOp::Rmw { op: AluOp::And, fetch: true });
    assert_eq!(rmw(0xa1), AtomicOp::Rmw { op: AluOp::Xor, fetch: true });
    assert_eq!(rmw(ATOMIC_XCHG), AtomicOp::Xchg);
    assert_eq!(rmw(ATOMIC_CMPXCHG), AtomicOp::Cmpxchg);
    assert_eq!(rmw(0x100), AtomicOp::LoadAcquire);
    assert_eq!(rmw(0x110), AtomicOp::StoreRelease);
    assert_eq!(rmw(0x20), AtomicOp::Unknown(0x20));
    assert!(rmw(0x01).runs() && !rmw(0x100).runs() && !rmw(0x20).runs());
    assert_eq!(rmw(0x01).writes(2), Some(2));
    assert_eq!(rmw(ATOMIC_CMPXCHG).writes(2), Some(0));
    assert_eq!(rmw(0x40).writes(2), None);
    // Byte and half-word atomics decode (to be refused by size), as does a legacy load.
    assert!(matches!(one(0xd3, 1, 2, 0, 0), Op::Atomic { size: Size::B, .. }));
    assert_eq!(one(0x28, 0, 0, 0, 12), Op::Legacy { mode: LegacyMode::Abs, size: Size::H, src: 0, imm: 12 });
    assert_eq!(one(0x50, 0, 2, 0, 3), Op::Legacy { mode: LegacyMode::Ind, size: Size::B, src: 2, imm: 3 });
    assert_eq!(one(0xc2, 0, 0, 0, 0), Op::Nospec);
}

#[test]
fn jumps_and_calls_decode() {
    assert_eq!(one(0x05, 0, 0, -3, 0), Op::Ja { off: -3, long: false });
    assert_eq!(one(0x06, 0, 0, 0, 70000), Op::Ja { off: 70000, long: true });
    assert_eq!(one(0x2d, 1, 2, 4, 0), Op::Jump { cond: Cond::Gt, w: Width::W64, dst: 1, src: Operand::Reg(2), off: 4 });
    assert_eq!(one(0xc6, 1, 0, 1, -5), Op::Jump { cond: Cond::Slt, w: Width::W32, dst: 1, src: Operand::Imm(-5), off: 1 });
    assert_eq!(one(0x45, 1, 0, 1, 8), Op::Jump { cond: Cond::Set, w: Width::W64, dst: 1, src: Operand::Imm(8), off: 1 });
    assert_eq!(one(0x85, 0, 0, 0, 5), Op::Call(Callee::Helper(5)));
    assert_eq!(one(0x85, 0, PSEUDO_CALL, 0, 2), Op::Call(Callee::Local(2)));
    assert_eq!(one(0x85, 0, PSEUDO_KFUNC_CALL, 1, 77), Op::Call(Callee::Kfunc { imm: 77, off: 1 }));
    assert_eq!(one(0x85, 0, 3, 0, 9), Op::Call(Callee::Reserved { src: 3, imm: 9 }));
    assert_eq!(one(0x8d, 4, 0, 0, 0), Op::Callx { dst: 4 });
    assert_eq!(one(0x95, 0, 0, 0, 0), Op::Exit);
    assert_eq!(one(0xe5, 0, 0, 2, 0), Op::MayGoto { off: 2 });
}

#[test]
fn lddw_is_one_op_with_its_64_bit_value_and_pseudo_kind() {
    let p = [Insn::new(0x18, 3, 0, 0, 0x55667788), Insn::new(0, 0, 0, 0, 0x11223344)];
    assert_eq!(decode(&p, 0), Op::Lddw { dst: 3, pseudo: Pseudo::Imm, imm: 0x1122334455667788 });
    assert_eq!(decode(&p, 0).width(), 2);
    let kinds = [
        (PSEUDO_MAP_FD, Pseudo::MapFd),
        (PSEUDO_MAP_VALUE, Pseudo::MapValue),
        (PSEUDO_BTF_ID, Pseudo::BtfId),
        (PSEUDO_FUNC, Pseudo::Func),
        (PSEUDO_MAP_IDX, Pseudo::MapIdx),
        (PSEUDO_MAP_IDX_VALUE, Pseudo::MapIdxValue),
        (9, Pseudo::Other(9)),
    ];
    for (src, kind) in kinds {
        let p = [Insn::new(0x18, 1, src, 0, -1), Insn::new(0, 0, 0, 0, 4)];
        assert_eq!(decode(&p, 0), Op::Lddw { dst: 1, pseudo: kind, imm: 0x4_ffff_ffff });
    }
    assert_eq!(one(0x18, 1, 0, 0, 5), Op::TruncatedLddw { dst: 1, pseudo: Pseudo::Imm });
}

#[test]
fn encodings_with_no_meaning_decode_as_unknown() {
    // neg with a register, ALU64 end with the to_be bit, ALU ops 0xe0/0xf0, a 64-bit sign-extending
    // load, ja with a register, call and exit in JMP32, exit with a register, LD modes but lddw.
    for code in [0x8f, 0x8c, 0xdf, 0xe7, 0xf4, 0x99, 0x0d, 0x0e, 0x86, 0x96, 0x9d, 0x00, 0x60, 0x82, 0xe3, 0xf5] {
        assert_eq!(one(code, 0, 0, 0, 0), Op::Unknown { code }, "{code:#x}");
    }
    // may_goto only with src 0.
    assert_eq!(one(0xe5, 0, 1, 0, 0), Op::Unknown { code: 0xe5 });
}

#[test]
fn op_queries() {
    assert!(!Op::Exit.falls_through() && !Op::Ja { off: 0, long: false }.falls_through());
    assert!(Op::Call(Callee::Helper(1)).falls_through() && Op::Call(Callee::Helper(1)).ends_block());
    assert_eq!(one(0x15, 1, 0, -4, 0).jump_offset(), Some(-4));
    assert_eq!(one(0x85, 0, PSEUDO_CALL, 0, 2).jump_offset(), None);
    assert_eq!(one(0x61, 2, 1, 0, 0).writes(), Some(2));
    assert_eq!(one(0x7b, 10, 1, -8, 0).writes(), None);
    assert_eq!(one(0x85, 0, 0, 0, 1).writes(), Some(0));
}

#[test]
fn alu_semantics_follow_the_kernel() {
    use sem::alu;
    let (w64, w32) = (Width::W64, Width::W32);
    // Division by zero gives 0, modulo by zero leaves the dividend (at 32 bits, zero-extended).
    assert_eq!(alu(AluOp::Div, w64, 7, 0), 0);
    assert_eq!(alu(AluOp::Mod, w64, 7, 0), 7);
    assert_eq!(alu(AluOp::Mod, w32, 0xffff_ffff_0000_0007, 0), 7);
    assert_eq!(alu(AluOp::SDiv, w64, 7, 0), 0);
    assert_eq!(alu(AluOp::SMod, w32, 0x1_0000_0009, 0), 9);
    // Signed forms: INT_MIN / -1 wraps, INT_MIN % -1 is 0, the remainder takes the dividend's sign.
    assert_eq!(alu(AluOp::SDiv, w64, i64::MIN as u64, u64::MAX), i64::MIN as u64);
    assert_eq!(alu(AluOp::SMod, w64, i64::MIN as u64, u64::MAX), 0);
    assert_eq!(alu(AluOp::SDiv, w32, i32::MIN as u32 as u64, u64::MAX), i32::MIN as u32 as u64);
    assert_eq!(alu(AluOp::SMod, w64, -7i64 as u64, 2), -1i64 as u64);
    assert_eq!(alu(AluOp::SDiv, w32, -7i32 as u32 as u64, 2), -3i32 as u32 as u64);
    assert_eq!(alu(AluOp::Div, w64, -7i64 as u64, 2), (-7i64 as u64) / 2);
    // Shift amounts are masked to the width.
    assert_eq!(alu(AluOp::Lsh, w64, 1, 65), 2);
    assert_eq!(alu(AluOp::Lsh, w32, 1, 33), 2);
    assert_eq!(alu(AluOp::Rsh, w32, 0xffff_ffff_8000_0000, 31), 1);
    assert_eq!(alu(AluOp::Arsh, w64, 0x8000_0000_0000_0000, 63), u64::MAX);
    assert_eq!(alu(AluOp::Arsh, w32, 0x8000_0000, 31), 0xffff_ffff);
    // 32-bit results are zero-extended; the immediate's sign extension is cut to its low half.
    assert_eq!(alu(AluOp::Add, w32, 0xffff_ffff, 1), 0);
    assert_eq!(alu(AluOp::Mov, w32, 5, -1i64 as u64), 0xffff_ffff);
    assert_eq!(alu(AluOp::Mov, w64, 5, -1i64 as u64), u64::MAX);
    assert_eq!(alu(AluOp::Neg, w32, 1, 0), 0xffff_ffff);
    assert_eq!(alu(AluOp::Neg, w64, 1, 0), u64::MAX);
    assert_eq!(alu(AluOp::Mul, w32, 0x1_0000_0003, 3), 9);
    assert_eq!(alu(AluOp::Sub, w64, 0, 1), u64::MAX);
    assert_eq!(alu(AluOp::Xor, w64, 0xf0, 0xff), 0x0f);
    // Sign-extending moves.
    assert_eq!(alu(AluOp::MovSx8, w64, 0, 0x80), 0xffff_ffff_ffff_ff80);
    assert_eq!(alu(AluOp::MovSx16, w32, 0, 0x8000), 0xffff_8000);
    assert_eq!(alu(AluOp::MovSx32, w64, 0, 0x8000_0000), 0xffff_ffff_8000_0000);
}

#[test]
fn byte_swaps_loads_and_atomics() {
    use sem::{atomic, end, extend};
    let v = 0x1122_3344_5566_7788;
    assert_eq!(end(ByteOrder::Le, 16, v), Some(0x7788));
    assert_eq!(end(ByteOrder::Le, 32, v), Some(0x5566_7788));
    assert_eq!(end(ByteOrder::Le, 64, v), Some(v));
    assert_eq!(end(ByteOrder::Be, 16, v), Some(0x8877));
    assert_eq!(end(ByteOrder::Swap, 32, v), Some(0x8877_6655));
    assert_eq!(end(ByteOrder::Swap, 64, v), Some(0x8877_6655_4433_2211));
    assert_eq!(end(ByteOrder::Be, 8, v), None);
    assert_eq!(extend(Size::B, true, 0x80), 0xffff_ffff_ffff_ff80);
    assert_eq!(extend(Size::H, true, 0x7fff), 0x7fff);
    assert_eq!(extend(Size::W, true, 0x8000_0000), 0xffff_ffff_8000_0000);
    assert_eq!(extend(Size::W, false, 0x8000_0000), 0x8000_0000);
    let add = AtomicOp::Rmw { op: AluOp::Add, fetch: true };
    assert_eq!(atomic(add, false, 0xffff_ffff, 1, 0), Some(0x1_0000_0000));
    assert_eq!(atomic(AtomicOp::Rmw { op: AluOp::And, fetch: false }, true, 0b110, 0b011, 0), Some(0b010));
    assert_eq!(atomic(AtomicOp::Xchg, true, 1, 2, 0), Some(2));
    // cmpxchg compares the old value with r0 at the access's width.
    assert_eq!(atomic(AtomicOp::Cmpxchg, false, 5, 9, 0x1_0000_0005), Some(9));
    assert_eq!(atomic(AtomicOp::Cmpxchg, true, 5, 9, 0x1_0000_0005), Some(5));
    assert_eq!(atomic(AtomicOp::LoadAcquire, true, 5, 9, 0), None);
}

#[test]
fn jump_conditions_compare_at_their_width_and_signedness() {
    use sem::cond;
    let (w64, w32) = (Width::W64, Width::W32);
    let m1 = u64::MAX;
    assert!(cond(Cond::Gt, w64, m1, 1) && !cond(Cond::Sgt, w64, m1, 1));
    assert!(cond(Cond::Slt, w64, m1, 0) && !cond(Cond::Lt, w64, m1, 0));
    // JMP32 looks at the low halves only.
    assert!(cond(Cond::Eq, w32, 0x1_0000_0005, 5) && !cond(Cond::Eq, w64, 0x1_0000_0005, 5));
    assert!(cond(Cond::Sle, w32, 0xffff_ffff, 0) && !cond(Cond::Le, w32, 0xffff_ffff, 0));
    assert!(cond(Cond::Sge, w32, 0x1_0000_0000, -1i64 as u64));
    assert!(cond(Cond::Set, w64, 0b1010, 0b0010) && !cond(Cond::Set, w32, 0x1_0000_0000, 0x1_0000_0000));
    assert!(cond(Cond::Ne, w64, 1, 2) && cond(Cond::Ge, w64, 2, 2) && cond(Cond::Le, w64, 2, 2));
}

#[test]
fn flat_slots_keep_their_kind_and_fields_in_eight_bytes() {
    assert_eq!(std::mem::size_of::<Flat>(), 8);
    let p = [
        Insn::new(0x07, 1, 0, 0, -8),
        Insn::new(0x18, 2, 0, 0, 1),
        Insn::new(0, 0, 0, 0, 2),
        Insn::new(0x2e, 1, 2, 3, 0),
        Insn::new(0x85, 0, 0, 0, 1),
        Insn::new(0x95, 0, 0, 0, 0),
    ];
    let f = Flat::program(&p);
    let kinds: Vec<Kind> = f.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [Kind::Add64K, Kind::Lddw, Kind::Other, Kind::Jgt32X, Kind::CallHelper, Kind::Exit]);
    // Every kind but Lddw and Other gives its op back as the decoder does.
    for (pc, f) in f.iter().enumerate() {
        if !matches!(f.kind, Kind::Lddw | Kind::Other) {
            assert_eq!(f.op(), Some(decode(&p, pc)), "slot {pc}");
        }
    }
    assert_eq!((f[0].dst(), f[0].imm, f[3].src(), f[3].off, f[2].imm), (1, -8, 2, 3, 2));
}

/// main: call f; r1 = &f (lddw func); if r0 > 5 goto +1; r0 = 1; goto +0; exit. f: r0 = 2; exit.
fn two_functions() -> Vec<Insn> {
    vec![
        Insn::new(0x85, 0, PSEUDO_CALL, 0, 6),
        Insn::new(0x18, 1, PSEUDO_FUNC, 0, 5),
        Insn::new(0, 0, 0, 0, 0),
        Insn::new(0x25, 0, 0, 1, 5),
        Insn::new(0xb7, 0, 0, 0, 1),
        Insn::new(0x05, 0, 0, 0, 0),
        Insn::new(0x95, 0, 0, 0, 0),
        Insn::new(0xb7, 0, 0, 0, 2),
        Insn::new(0x95, 0, 0, 0, 0),
    ]
}

#[test]
fn cfg_has_subprograms_blocks_edges_and_lddw_halves() {
    let cfg = Cfg::new(&two_functions());
    assert_eq!(cfg.subprogs, [Subprog { start: 0, end: 7 }, Subprog { start: 7, end: 9 }]);
    assert_eq!(cfg.call_target(0), Some(7));
    assert_eq!(cfg.func_ref(1), Some(7));
    assert!(cfg.second_half(2) && !cfg.second_half(1));
    assert_eq!(cfg.starts().collect::<Vec<_>>(), [0, 1, 3, 4, 5, 6, 7, 8]);
    assert!(cfg.is_target(5) && cfg.is_target(6) && !cfg.is_target(7));
    let blocks: Vec<(usize, usize, Vec<usize>)> = cfg.blocks.iter().map(|b| (b.start, b.end, b.succs.clone())).collect();
    assert_eq!(
        blocks,
        [
            // A call ends its block and falls through.
            (0, 1, vec![1]),
            (1, 4, vec![4, 5]),
            (4, 5, vec![5]),
            // ja +0: its target is the next instruction, but no fall-through edge.
            (5, 6, vec![6]),
            (6, 7, vec![]),
            (7, 9, vec![]),
        ]
    );
    assert_eq!(cfg.block_end(1), 4);
    assert_eq!(cfg.last_in(1, 4), 3);
}

#[test]
fn cfg_of_a_broken_program_leaves_out_what_points_nowhere() {
    // A jump before the start, a call past the end, a jump into an lddw's second half.
    let p = [
        Insn::new(0x05, 0, 0, -5, 0),
        Insn::new(0x85, 0, PSEUDO_CALL, 0, 100),
        Insn::new(0x05, 0, 0, 1, 0),
        Insn::new(0x18, 1, 0, 0, 0),
        Insn::new(0, 0, 0, 0, 0),
        Insn::new(0x95, 0, 0, 0, 0),
    ];
    let cfg = Cfg::new(&p);
    assert_eq!(cfg.jump_target(0), Some(usize::MAX));
    assert_eq!(cfg.call_target(1), Some(102));
    assert_eq!(cfg.subprogs, [Subprog { start: 0, end: 6 }]);
    assert!(cfg.is_target(4) && cfg.second_half(4) && !cfg.leader(4));
    assert!(cfg.blocks.iter().all(|b| b.succs.iter().all(|&s| s < p.len())));
    assert!(Cfg::new(&[]).subprogs.is_empty());
}
