//! The assembler and the disassemblers against the bpf_conformance vectors and against the text the
//! Linux 6.18 verifier and bpftool print for the same instructions.

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use uxdp::bpf::asm::{assemble, assemble_raw, raw_word_of};
use uxdp::bpf::disasm::{disassemble, helper_id, helper_name, kernel_listing, kernel_style};
use uxdp::bpf::insn::*;

// ---- the conformance vectors ----

/// The vectors' directory: `UXDP_CONFORMANCE_DIR`, else the shared checkout. Missing vectors fail the
/// test rather than skip it, so a moved directory cannot pass silently.
fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("UXDP_CONFORMANCE_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/work/shared/conformance"));
    assert!(dir.join("tests").is_dir(), "bpf_conformance vectors not found in {} (set UXDP_CONFORMANCE_DIR)", dir.display());
    dir
}

/// `-- name` sections of one `.data` file, keyed by name, text before the first header dropped.
fn sections(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("-- ") {
            current = Some(name.trim().to_string());
            out.entry(name.trim().to_string()).or_insert_with(String::new);
        } else if let Some(name) = &current {
            let s = out.get_mut(name).unwrap();
            s.push_str(line);
            s.push('\n');
        }
    }
    out
}

fn vectors(sub: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut files: Vec<_> = std::fs::read_dir(vectors_dir().join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "data"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), sections(&std::fs::read_to_string(&p).unwrap())))
        .collect()
}

#[test]
fn every_conformance_program_assembles_and_round_trips() {
    let all = vectors("tests");
    assert_eq!(all.len(), 313);
    let mut with_raw = 0;
    for (name, s) in &all {
        let prog = assemble(&s["asm"]).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(raw) = s.get("raw") {
            with_raw += 1;
            assert_eq!(assemble_raw(raw).unwrap(), prog, "{name}: -- raw differs from -- asm");
        }
        let text = disassemble(&prog);
        assert!(!text.contains(".raw"), "{name}: the dialect should spell every vector:\n{text}");
        assert_eq!(assemble(&text).unwrap(), prog, "{name}: round trip through\n{text}");
    }
    assert_eq!(with_raw, 1);
}

#[test]
fn vector_encodings_spot_checks() {
    let find = |name: &str| {
        let s = vectors("tests").into_iter().find(|(n, _)| n == name).unwrap().1;
        assemble(&s["asm"]).unwrap()
    };
    // lddw.data's own raw words, byte for byte.
    assert_eq!(find("lddw.data").iter().map(raw_word_of).collect::<Vec<_>>(), [0x5566778800000018, 0x1122334400000000, 0x0000000000000095]);
    // callx.data: `call %r2` is JMP|CALL|X with the register in dst_reg.
    assert!(find("callx.data").contains(&Insn::new(0x8d, 2, 0, 0, 0)));
    // call_local.data: the pseudo call's imm counts from the next instruction to func1.
    let p = find("call_local.data");
    let at = p.iter().position(|i| i.code == 0x85).unwrap();
    assert_eq!(p[at].src(), PSEUDO_CALL);
    let func1 = at + 1 + p[at].imm as usize;
    assert_eq!((p[func1], p[func1 - 1].code), (Insn::new(0xb7, 0, 0, 0, 0), 0x95));
    // jslt-reg.data jumps to `exit`, which no label defines: the first exit instruction.
    let p = find("jslt-reg.data");
    assert_eq!((p[4].off, p[5].off, p[6].off), (2, 1, 1));
    assert_eq!(p[7].code, 0x95);
    // ja32.data: gotol's distance lives in imm, off stays 0.
    assert!(find("ja32.data").iter().any(|i| i.code == 0x06 && i.off == 0 && i.imm != 0));
}

/// What each negative vector with an asm section must do here. `None`: it is a valid program, refused
/// later (by the verifier or the result check) if at all. `Some(text)`: refused with `text` in the message.
fn negative_expectation(name: &str) -> Option<Option<&'static str>> {
    Some(match name {
        // `or %r0, %r10` encodes fine; the kernel verifier refuses it (r0 read before it is written, and
        // bitwise operations on the frame pointer), which is not an assembler's call.
        "error.data" => None,
        // A valid program whose vector expects the wrong r0 on purpose.
        "incorrect_return_value_high_bits.data" => None,
        "invalid_imm32_dec_range.data" | "invalid_imm32_hex_range.data" => Some("out of 32-bit range"),
        "invalid_label.data" => Some("Invalid label: NOT_A_LABEL"),
        "invalid_lock.data" | "invalid_lock2.data" => Some("Invalid number of operands for lock"),
        "invalid_mnemonic.data" => Some("Invalid mnemonic: ldxq"),
        "invalid_offset.data" => Some("Invalid memory operand: %r1"),
        "invalid_offset_range.data" => Some("out of 16-bit range"),
        "invalid_operand_count.data" => Some("Invalid number of operands for lddw"),
        "invalid_register.data" => Some("Invalid register: %r50"),
        // Its `-- Unknown directive` line is read as a section header, leaving the asm section empty:
        // the file's "Invalid register" cannot come from that, but an empty program is still refused.
        "invalid_unknown_directive.data" => Some("Empty program"),
        _ => return None,
    })
}

#[test]
fn negative_vectors_are_refused_with_their_messages() {
    let all = vectors("negative");
    assert_eq!(all.len(), 60);
    let mut refused = 0;
    for (name, s) in &all {
        let Some(asm) = s.get("asm") else { continue };
        let expect = negative_expectation(name).unwrap_or_else(|| panic!("{name}: negative vector with no expectation here"));
        match expect {
            None => {
                assemble(asm).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            Some(text) => {
                let e = assemble(asm).expect_err(name);
                assert!(e.message.contains(text), "{name}: {e} lacks {text:?}");
                if let Some(expected) = s.get("error").map(|t| t.trim()).filter(|t| !t.is_empty()) {
                    if name != "invalid_unknown_directive.data" {
                        assert!(e.message.contains(expected), "{name}: {e} lacks the vector's {expected:?}");
                    }
                }
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 11);
    let error = vectors("negative").into_iter().find(|(n, _)| n == "error.data").unwrap().1;
    assert_eq!(assemble(&error["asm"]).unwrap()[0], Insn::new(0x4f, 0, 10, 0, 0));
}

/// The raw-only negatives set a field the ISA leaves unused: they decode (the validator refuses them),
/// and the dialect must not pretend to spell them.
#[test]
fn raw_negatives_decode_and_disassemble_only_as_raw() {
    let mut seen = 0;
    for (name, s) in vectors("negative") {
        let Some(raw) = s.get("raw") else { continue };
        let prog = assemble_raw(raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let bytes: Vec<u8> = raw.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect();
        assert_eq!(encode(&prog), bytes, "{name}");
        let text = disassemble(&prog);
        assert!(text.starts_with(".raw 0x"), "{name}: {text}");
        assert_eq!(text.lines().nth(1), Some("exit"), "{name}");
        assert_eq!(assemble(&text).unwrap(), prog, "{name}");
        seen += 1;
    }
    assert_eq!(seen, 45);
}

#[test]
fn error_lines_and_display() {
    let e = assemble("# header\nmov %r0, 1\n\nlabel:\n  jne %r0, 1, nowhere\nexit").unwrap_err();
    assert_eq!((e.line, e.to_string()), (5, "line 5: Invalid label: nowhere".to_string()));
    let e = assemble_raw("0x95\n95 00 00\n").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(assemble("").is_err() && assemble_raw("").is_err());
}

// ---- the kernel's text ----

const KFUNC_ID: i32 = 63863;

fn names(id: i32) -> Option<String> {
    (id == KFUNC_ID).then(|| "bpf_dynptr_from_xdp".to_string())
}

fn k(insns: &[Insn]) -> String {
    kernel_style(insns, 0, &names)
}

/// Every line below is what Linux 6.18 printed in its verifier log ("Live regs before insn") or in
/// `bpftool prog dump xlated` for the same encoding.
#[test]
fn kernel_style_matches_the_kernel_for_every_class() {
    let i = Insn::new;
    let cases: &[(&[Insn], &str)] = &[
        // ALU64 / ALU, K and X, signed division and modulo, sign-extending moves.
        (&[i(0xb7, 0, 0, 0, 1)], "(b7) r0 = 1"),
        (&[i(0xb7, 3, 0, 0, -3)], "(b7) r3 = -3"),
        (&[i(0xbc, 4, 2, 0, 0)], "(bc) w4 = w2"),
        (&[i(0xbf, 5, 10, 0, 0)], "(bf) r5 = r10"),
        (&[i(0x07, 5, 0, 0, -8)], "(07) r5 += -8"),
        (&[i(0x04, 2, 0, 0, 1)], "(04) w2 += 1"),
        (&[i(0xb4, 6, 0, 0, -1)], "(b4) w6 = -1"),
        (&[i(0x37, 2, 0, 1, 3)], "(37) r2 s/= 3"),
        (&[i(0x97, 2, 0, 1, 3)], "(97) r2 s%= 3"),
        (&[i(0x3c, 2, 3, 1, 0)], "(3c) w2 s/= w3"),
        (&[i(0xbf, 7, 3, 8, 0)], "(bf) r7 = (s8)r3"),
        (&[i(0xbc, 7, 3, 16, 0)], "(bc) w7 = (s16)w3"),
        (&[i(0xbf, 7, 3, 32, 0)], "(bf) r7 = (s32)r3"),
        (&[i(0x0f, 2, 3, 0, 0)], "(0f) r2 += r3"),
        (&[i(0xcf, 2, 3, 0, 0)], "(cf) r2 s>>= r3"),
        (&[i(0xac, 0, 0, 0, 0)], "(ac) w0 ^= w0"),
        (&[i(0x87, 2, 0, 0, 0)], "(87) r2 = -r2"),
        (&[i(0x84, 2, 0, 0, 0)], "(84) w2 = -w2"),
        (&[i(0xdc, 2, 0, 0, 16)], "(dc) r2 = be16 r2"),
        (&[i(0xd4, 2, 0, 0, 32)], "(d4) r2 = le32 r2"),
        (&[i(0xd7, 2, 0, 0, 64)], "(d7) r2 = bswap64 r2"),
        // LDX, ST, STX.
        (&[i(0x61, 8, 1, 0, 0)], "(61) r8 = *(u32 *)(r1 +0)"),
        (&[i(0x79, 8, 10, -8, 0)], "(79) r8 = *(u64 *)(r10 -8)"),
        (&[i(0x91, 8, 10, -8, 0)], "(91) r8 = *(s8 *)(r10 -8)"),
        (&[i(0x89, 8, 10, -16, 0)], "(89) r8 = *(s16 *)(r10 -16)"),
        (&[i(0x7a, 10, 0, -8, 0)], "(7a) *(u64 *)(r10 -8) = 0"),
        (&[i(0x62, 10, 0, -16, 5)], "(62) *(u32 *)(r10 -16) = 5"),
        (&[i(0x7b, 10, 2, -24, 0)], "(7b) *(u64 *)(r10 -24) = r2"),
        // Atomics.
        (&[i(0xdb, 10, 2, -8, 0x00)], "(db) lock *(u64 *)(r10 -8) += r2"),
        (&[i(0xc3, 10, 2, -16, 0x40)], "(c3) lock *(u32 *)(r10 -16) |= r2"),
        (&[i(0xdb, 10, 2, -8, 0x51)], "(db) r2 = atomic64_fetch_and((u64 *)(r10 -8), r2)"),
        (&[i(0xc3, 10, 0, -16, 0x01)], "(c3) r0 = atomic_fetch_add((u32 *)(r10 -16), r0)"),
        (&[i(0xdb, 10, 3, -8, 0xe1)], "(db) r3 = atomic64_xchg((u64 *)(r10 -8), r3)"),
        (&[i(0xc3, 10, 3, -16, 0xe1)], "(c3) r3 = atomic_xchg((u32 *)(r10 -16), r3)"),
        (&[i(0xdb, 10, 3, -8, 0xf1)], "(db) r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r3)"),
        (&[i(0xdb, 4, 10, -8, 0x100)], "(db) r4 = load_acquire((u64 *)(r10 -8))"),
        (&[i(0xdb, 10, 4, -8, 0x110)], "(db) store_release((u64 *)(r10 -8), r4)"),
        // LD: the 16-byte immediate and the legacy packet loads.
        (&[i(0x18, 2, 0, 0, 0x55667788), i(0, 0, 0, 0, 0x11223344)], "(18) r2 = 0x1122334455667788"),
        (&[i(0x18, 2, 0, 0, -1), i(0, 0, 0, 0, -1)], "(18) r2 = 0xffffffffffffffff"),
        (&[i(0x20, 0, 0, 0, 12)], "(20) r0 = *(u32 *)skb[12]"),
        (&[i(0x28, 0, 0, 0, 12)], "(28) r0 = *(u16 *)skb[12]"),
        (&[i(0x50, 0, 2, 0, 3)], "(50) r0 = *(u8 *)skb[r2 + 3]"),
        // JMP / JMP32.
        (&[i(0x85, 0, 0, 0, 5)], "(85) call bpf_ktime_get_ns#5"),
        (&[i(0x85, 0, 0, 0, 7)], "(85) call bpf_get_prandom_u32#7"),
        (&[i(0x85, 0, 0, 0, 999)], "(85) call unknown#999"),
        (&[i(0x85, 0, PSEUDO_KFUNC_CALL, 0, KFUNC_ID)], "(85) call bpf_dynptr_from_xdp#63863"),
        (&[i(0x85, 0, PSEUDO_CALL, 0, 2)], "(85) call pc+2"),
        (&[i(0x2d, 0, 2, 1, 0)], "(2d) if r0 > r2 goto pc+1"),
        (&[i(0x05, 0, 0, 0, 0)], "(05) goto pc+0"),
        (&[i(0x15, 0, 0, 0, 0)], "(15) if r0 == 0x0 goto pc+0"),
        (&[i(0xa6, 0, 0, 0, -5)], "(a6) if w0 < 0xfffffffb goto pc+0"),
        (&[i(0x5e, 0, 2, 0, 0)], "(5e) if w0 != w2 goto pc+0"),
        (&[i(0xc5, 0, 0, 0, -1)], "(c5) if r0 s< 0xffffffff goto pc+0"),
        (&[i(0x75, 0, 0, 2, 0)], "(75) if r0 s>= 0x0 goto pc+2"),
        (&[i(0x06, 0, 0, 0, 0)], "(06) gotol pc+0"),
        (&[i(0xe5, 0, 0, 0, 0)], "(e5) may_goto pc+0"),
        (&[i(0x95, 0, 0, 0, 0)], "(95) exit"),
    ];
    for (insns, want) in cases {
        assert_eq!(k(insns), *want, "{:?}", insns[0]);
    }
}

#[test]
fn kernel_style_edges() {
    // A kfunc id nobody names prints as the kernel does without BTF.
    assert_eq!(kernel_style(&[Insn::new(0x85, 0, PSEUDO_KFUNC_CALL, 0, 7)], 0, &|_| None), "(85) call kernel-function#7");
    // Helper ids come from the uapi table before the callback, like the kernel's order.
    assert_eq!(kernel_style(&[Insn::new(0x85, 0, 0, 0, 1)], 0, &|_| Some("x".into())), "(85) call bpf_map_lookup_elem#1");
    assert_eq!(kernel_style(&[Insn::new(0x85, 0, 0, 0, 500)], 0, &|_| Some("my_helper".into())), "(85) call my_helper#500");
    // The kernel has no callx (it refuses opcode 0x8d); LLVM's spelling stands in.
    assert_eq!(k(&[Insn::new(0x8d, 2, 0, 0, 0)]), "(8d) callx r2");
    // Encodings the kernel's printer has no text for get its BUG_ markers.
    assert_eq!(k(&[Insn::new(0x60, 0, 0, 0, 0)]), "BUG_ld_60");
    assert_eq!(k(&[Insn::new(0x19, 0, 0, 0, 0)]), "BUG_ldx_19");
    assert_eq!(k(&[Insn::new(0xc2, 0, 0, 0, 0)]), "(c2) nospec");
    assert_eq!(k(&[Insn::new(0x82, 0, 0, 0, 0)]), "BUG_st_82");
    assert_eq!(k(&[Insn::new(0xe1, 0, 0, 0, 0)]), "BUG_ldx_e1");
    assert_eq!(k(&[Insn::new(0xdb, 1, 2, 0, 0x20)]), "BUG_db");
    assert_eq!(k(&[Insn::new(0xe7, 1, 0, 0, 0)]), "BUG_alu_e7");
    // pc past the end: nothing to print.
    assert_eq!(kernel_style(&[], 3, &names), "");
    // An lddw cut short keeps the low half.
    assert_eq!(k(&[Insn::new(0x18, 1, 0, 0, 0x10)]), "(18) r1 = 0x10");
}

#[test]
fn kernel_listing_matches_bpftool() {
    let i = Insn::new;
    let map = 5463;
    let prog = [
        i(0x18, 1, PSEUDO_MAP_FD, 0, map),
        i(0, 0, 0, 0, 0),
        i(0x18, 2, PSEUDO_MAP_VALUE, 0, map),
        i(0, 0, 0, 0, 4),
        i(0xb7, 0, 0, 0, 2),
        i(0x95, 0, 0, 0, 0),
    ];
    // `bpftool prog dump xlated` for this program on Linux 6.18, with the map's id.
    let want = "   0: (18) r1 = map[id:5463]\n   2: (18) r2 = map[id:5463][0]+4\n   4: (b7) r0 = 2\n   5: (95) exit\n";
    assert_eq!(kernel_listing(&prog, &names), want);
    let long = vec![Insn::new(0x95, 0, 0, 0, 0); 1001];
    assert!(kernel_listing(&long, &names).ends_with("\n 999: (95) exit\n 1000: (95) exit\n"));
}

#[test]
fn helper_names_follow_the_uapi_list() {
    let expect = [
        (0, "bpf_unspec"),
        (1, "bpf_map_lookup_elem"),
        (5, "bpf_ktime_get_ns"),
        (12, "bpf_tail_call"),
        (44, "bpf_xdp_adjust_head"),
        (51, "bpf_redirect_map"),
        (65, "bpf_xdp_adjust_tail"),
        (69, "bpf_fib_lookup"),
        (181, "bpf_loop"),
        (188, "bpf_xdp_get_buff_len"),
        (189, "bpf_xdp_load_bytes"),
        (190, "bpf_xdp_store_bytes"),
        (209, "bpf_user_ringbuf_drain"),
        (210, "bpf_cgrp_storage_get"),
        (211, "bpf_cgrp_storage_delete"),
    ];
    for (id, name) in expect {
        assert_eq!(helper_name(id), Some(name));
    }
    assert_eq!((helper_name(212), helper_name(-1), helper_name(i32::MIN)), (None, None, None));
    for id in 1..=211 {
        assert_eq!(helper_id(helper_name(id).unwrap()), Some(id));
    }
    assert_eq!(helper_id("bpf_unspec"), None, "0 is no helper to call");
    assert_eq!(assemble("call bpf_xdp_adjust_tail").unwrap()[0].imm, 65);
}

// ---- properties ----

fn reg() -> impl Strategy<Value = u8> {
    0u8..=10
}

fn size() -> impl Strategy<Value = u8> {
    prop::sample::select(vec![W, H, B, DW])
}

/// One valid instruction (two for lddw) of every form the ISA defines, reserved fields zero.
fn valid_statement() -> impl Strategy<Value = Vec<Insn>> {
    let alu_op = prop::sample::select(vec![ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, MOD, XOR, MOV, ARSH]);
    let jmp_op = prop::sample::select(vec![JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE]);
    let class = || prop::sample::select(vec![ALU, ALU64]);
    let atomic_imm = prop::sample::select(vec![0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, ATOMIC_XCHG, ATOMIC_CMPXCHG]);
    prop_oneof![
        (class(), alu_op, reg(), reg(), any::<i32>(), any::<bool>()).prop_map(|(c, op, d, s, imm, x)| {
            if x {
                Insn::new(c | op | X, d, s, 0, 0)
            } else {
                Insn::new(c | op, d, 0, 0, imm)
            }
        }),
        (class(), prop::sample::select(vec![DIV, MOD]), reg(), reg(), any::<i32>(), any::<bool>()).prop_map(|(c, op, d, s, imm, x)| {
            if x {
                Insn::new(c | op | X, d, s, 1, 0)
            } else {
                Insn::new(c | op, d, 0, 1, imm)
            }
        }),
        (prop::sample::select(vec![(ALU, 8), (ALU, 16), (ALU64, 8), (ALU64, 16), (ALU64, 32)]), reg(), reg())
            .prop_map(|((c, bits), d, s)| Insn::new(c | MOV | X, d, s, bits, 0)),
        (class(), reg()).prop_map(|(c, d)| Insn::new(c | NEG, d, 0, 0, 0)),
        (prop::sample::select(vec![ALU | END | TO_LE, ALU | END | TO_BE, ALU64 | END]), prop::sample::select(vec![16, 32, 64]), reg())
            .prop_map(|(code, bits, d)| Insn::new(code, d, 0, 0, bits)),
        (prop::sample::select(vec![JMP, JMP32]), jmp_op, reg(), reg(), any::<i16>(), any::<i32>(), any::<bool>()).prop_map(
            |(c, op, d, s, off, imm, x)| {
                if x {
                    Insn::new(c | op | X, d, s, off, 0)
                } else {
                    Insn::new(c | op, d, 0, off, imm)
                }
            }
        ),
        any::<i16>().prop_map(|off| Insn::new(JMP | JA, 0, 0, off, 0)),
        any::<i32>().prop_map(|imm| Insn::new(JMP32 | JA, 0, 0, 0, imm)),
        (prop::sample::select(vec![0, PSEUDO_CALL, PSEUDO_KFUNC_CALL]), any::<i32>()).prop_map(|(s, imm)| Insn::new(
            JMP | CALL,
            0,
            s,
            0,
            imm
        )),
        reg().prop_map(|d| Insn::new(JMP | CALL | X, d, 0, 0, 0)),
        Just(Insn::new(JMP | EXIT, 0, 0, 0, 0)),
        (size(), reg(), reg(), any::<i16>()).prop_map(|(sz, d, s, off)| Insn::new(LDX | MEM | sz, d, s, off, 0)),
        (prop::sample::select(vec![W, H, B]), reg(), reg(), any::<i16>()).prop_map(|(sz, d, s, off)| Insn::new(
            LDX | MEMSX | sz,
            d,
            s,
            off,
            0
        )),
        (size(), reg(), any::<i16>(), any::<i32>()).prop_map(|(sz, d, off, imm)| Insn::new(ST | MEM | sz, d, 0, off, imm)),
        (size(), reg(), reg(), any::<i16>()).prop_map(|(sz, d, s, off)| Insn::new(STX | MEM | sz, d, s, off, 0)),
        (prop::sample::select(vec![W, DW]), reg(), reg(), any::<i16>(), atomic_imm).prop_map(|(sz, d, s, off, imm)| Insn::new(
            STX | ATOMIC | sz,
            d,
            s,
            off,
            imm
        )),
        (size(), any::<i32>()).prop_map(|(sz, imm)| Insn::new(LD | ABS | sz, 0, 0, 0, imm)),
        (size(), reg(), any::<i32>()).prop_map(|(sz, s, imm)| Insn::new(LD | IND | sz, 0, s, 0, imm)),
    ]
    .prop_map(|i| vec![i])
    .boxed()
    .prop_union(
        (reg(), any::<u64>())
            .prop_map(|(d, v)| vec![Insn::new(LD | DW | IMM, d, 0, 0, v as i32), Insn::new(0, 0, 0, 0, (v >> 32) as i32)])
            .boxed(),
    )
}

/// Words from the dialect's vocabulary glued at random: near-miss programs reach deeper than noise.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "mov",
        "mov32",
        "add",
        "lddw",
        "ldxw",
        "ldxsb",
        "stxdw",
        "stw",
        "lock",
        "fetch",
        "xchg",
        "cmpxchg32",
        "call",
        "local",
        "callx",
        "ja",
        "ja32",
        "jeq",
        "jne32",
        "exit",
        "be16",
        "bswap64",
        "movsx832",
        "neg",
        ".raw",
        "%r0",
        "%r10",
        "%r11",
        "%r",
        "[",
        "]",
        "[%r1+2]",
        "[%r10-8]",
        "[%r1+0x10000]",
        ",",
        ":",
        "+",
        "-",
        "0x",
        "0xffffffff",
        "0x100000000",
        "-2147483648",
        "2147483648",
        "99999999999999999999999999999999999999999",
        "+3",
        "-32769",
        "label",
        "label:",
        "exit:",
        "#",
        "\n",
        " ",
        "\t",
        "é",
        "\0",
    ]);
    prop::collection::vec(tokens, 0..40).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn valid_programs_round_trip_through_the_dialect(stmts in prop::collection::vec(valid_statement(), 1..40)) {
        let prog: Vec<Insn> = stmts.concat();
        let text = disassemble(&prog);
        prop_assert!(!text.contains(".raw"), "valid encodings must have a spelling:\n{}", text);
        prop_assert_eq!(text.lines().count(), stmts.len());
        prop_assert_eq!(assemble(&text).unwrap(), prog);
    }

    #[test]
    fn any_encoding_round_trips(words in prop::collection::vec(any::<u64>(), 1..40), seed in prop::collection::vec(valid_statement(), 0..10)) {
        let mut prog: Vec<Insn> = words.iter().map(|w| Insn::from_bytes(&w.to_le_bytes())).collect();
        prog.extend(seed.concat());
        let text = disassemble(&prog);
        prop_assert_eq!(assemble(&text).unwrap(), prog.clone());
        for pc in 0..prog.len() {
            let line = kernel_style(&prog, pc, &names);
            prop_assert!(line.starts_with('(') || line.starts_with("BUG_"), "{}", line);
        }
        prop_assert_eq!(kernel_listing(&prog, &names).lines().count(), prog.len() - lddw_pairs(&prog));
    }

    #[test]
    fn random_text_never_panics(s in ".{0,200}", soup in token_soup()) {
        let _ = assemble(&s);
        let _ = assemble_raw(&s);
        let _ = assemble(&soup);
        let _ = assemble_raw(&soup);
    }

    #[test]
    fn errors_name_a_line_of_the_source(soup in token_soup()) {
        if let Err(e) = assemble(&soup) {
            prop_assert!(e.line >= 1 && e.line <= soup.lines().count().max(1), "{} for {:?}", e, soup);
            prop_assert!(!e.message.is_empty());
        }
    }
}

/// lddw first halves that kernel_listing folds with their second half.
fn lddw_pairs(prog: &[Insn]) -> usize {
    let mut pc = 0;
    let mut pairs = 0;
    while pc < prog.len() {
        if prog[pc].is_lddw() && pc + 1 < prog.len() {
            pairs += 1;
            pc += 2;
        } else {
            pc += 1;
        }
    }
    pairs
}
