//! The verifier through the crate alone, on small programs in the assembler's dialect; the
//! kernel-recorded corpus (test/kernel-verifier.spec.ts) is the differential proof.

use super::*;
use crate::bpf::asm::assemble;

fn run(kind: ProgKind, src: &str, opts: &VerifyOptions) -> std::result::Result<Verdict, XdpError> {
    // The assembler's dialect spells registers %rN.
    let mut text = String::new();
    let mut prev_alnum = false;
    for (i, ch) in src.char_indices() {
        if ch == 'r' && !prev_alnum && src[i + 1..].starts_with(|c: char| c.is_ascii_digit()) {
            text.push('%');
        }
        text.push(ch);
        prev_alnum = ch.is_ascii_alphanumeric();
    }
    let insns = assemble(&text).expect("assembles");
    let input = Input { name: "t", kind, insns: &insns, maps: &[], kfuncs: &[], global_funcs: &[], non_scalar_returns: &[], lines: &[], main_proto_note: None, btf: None };
    verify(&input, opts)
}

fn refusal(src: &str) -> (Errno, String, Option<usize>) {
    let e = run(ProgKind::Xdp, src, &VerifyOptions::default()).expect_err("refused");
    (e.errno, e.message.clone(), e.pc)
}

#[test]
fn an_uninitialised_register_is_refused_where_it_is_read() {
    assert_eq!(refusal("mov r0, r2\nexit"), (Errno::EACCES, "R2 !read_ok".into(), Some(0)));
    assert_eq!(refusal("exit"), (Errno::EACCES, "R0 !read_ok".into(), Some(0)));
}

#[test]
fn packet_reads_need_a_comparison_with_data_end() {
    let checked = "ldxw r2, [r1+0]\nldxw r3, [r1+4]\nmov r4, r2\nadd r4, 14\njgt r4, r3, +1\nldxb r0, [r2+13]\nmov r0, 2\nexit";
    run(ProgKind::Xdp, checked, &VerifyOptions::default()).expect("accepted");
    let past = checked.replace("[r2+13]", "[r2+14]");
    assert_eq!(refusal(&past), (Errno::EACCES, "R2 offset is outside of the packet".into(), Some(5)));
    let unchecked = "ldxw r2, [r1+0]\nldxb r0, [r2+0]\nexit";
    assert_eq!(refusal(unchecked).1, "R2 offset is outside of the packet");
}

#[test]
fn context_fields_follow_the_program_type() {
    assert_eq!(refusal("ldxw r0, [r1+24]\nexit").1, "invalid bpf_context access off=24 size=4");
    assert_eq!(refusal("ldxh r0, [r1+12]\nexit").1, "invalid bpf_context access off=12 size=2");
    assert_eq!(refusal("stw [r1+12], 0\nmov r0, 0\nexit").1, "invalid bpf_context access off=12 size=4");
    // a socket filter reads len (0) but not data (76)
    run(ProgKind::SocketFilter, "ldxw r0, [r1+0]\nexit", &VerifyOptions::default()).expect("accepted");
    let e = run(ProgKind::SocketFilter, "ldxw r0, [r1+76]\nexit", &VerifyOptions::default()).expect_err("refused");
    assert_eq!(e.message, "invalid bpf_context access off=76 size=4");
}

#[test]
fn loops_are_walked_to_their_bound_and_endless_ones_found() {
    run(ProgKind::Xdp, "mov r1, 10\nsub r1, 1\njne r1, 0, -2\nmov r0, 2\nexit", &VerifyOptions::default()).expect("a bounded loop");
    // The jump's target is a prune point too: the 8th instruction processed (insn 1, after 3
    // jumps) is checkpointed, and the next visit of insn 1 finds the same state (6.18.44 says so).
    assert_eq!(refusal("mov r1, 10\nmov r2, r1\njne r1, 0, -2\nmov r0, 2\nexit").1, "infinite loop detected at insn 1");
}

#[test]
fn the_stack_is_512_bytes_and_r10_is_read_only() {
    assert_eq!(
        refusal("stxdw [r10-520], r1\nmov r0, 0\nexit"),
        (Errno::EACCES, "invalid write to stack R10 off=-520 size=8".into(), Some(0))
    );
    assert_eq!(refusal("mov r10, 0\nmov r0, 0\nexit").1, "frame pointer is read only");
    run(ProgKind::Xdp, "stdw [r10-8], 7\nldxdw r0, [r10-8]\nexit", &VerifyOptions::default()).expect("a spill and a fill");
}

#[test]
fn unprivileged_programs_may_not_leak_pointers() {
    let unpriv = VerifyOptions { caps: crate::bpf::protos::policy::Caps { bpf: false, perfmon: false }, ..VerifyOptions::default() };
    run(ProgKind::SocketFilter, "mov r0, r1\nexit", &VerifyOptions::default()).expect("privileged");
    let e = run(ProgKind::SocketFilter, "mov r0, r1\nexit", &unpriv).expect_err("unprivileged");
    assert_eq!(e.message, "R0 leaks addr as return value");
}

/// CAP_BPF without CAP_PERFMON: the Spectre v1 rules of pointer arithmetic and speculative paths.
#[test]
fn without_perfmon_pointer_arithmetic_is_sanitized() {
    let bpf_only = VerifyOptions { caps: crate::bpf::protos::policy::Caps { bpf: true, perfmon: false }, ..VerifyOptions::default() };
    let refused = |src: &str| run(ProgKind::Xdp, src, &bpf_only).expect_err("refused").message.clone();
    // fp + 0 is out of the stack; fp - 8 is fine
    assert_eq!(refused("mov r1, r10\nadd r1, 0\nmov r0, 2\nexit"), "R1 stack pointer arithmetic goes out of range, prohibited for !root; off=0");
    run(ProgKind::Xdp, "mov r1, r10\nadd r1, -8\nmov r0, 2\nexit", &bpf_only).expect("fp - 8");
    run(ProgKind::Xdp, "mov r1, r10\nadd r1, 0\nmov r0, 2\nexit", &VerifyOptions::default()).expect("root may");
    // a packet pointer plus a register cannot be masked
    let pkt = "ldxw r2, [r1+0]\nmov r4, 14\nadd r2, r4\nmov r0, 2\nexit";
    assert_eq!(refused(pkt), "R2 has pointer with unsupported alu operation, pointer arithmetic with it prohibited for !root");
    run(ProgKind::Xdp, pkt, &VerifyOptions::default()).expect("root may");
    // a variable stack pointer names its whole offset
    assert_eq!(
        refused("call 7\nand r0, 8\nmov r1, r10\nadd r1, -16\nadd r1, r0\nmov r0, 2\nexit"),
        "R1 variable stack access prohibited for !root, var_off=(0x0; 0x8) off=-16"
    );
    // a decided branch's other side is walked speculatively: what it would refuse is fenced
    let dead = "mov r1, 0\njeq r1, 0, +2\nmov r2, 0\nstxdw [r10-520], r2\nmov r0, 2\nexit";
    let v = run(ProgKind::Xdp, dead, &bpf_only).expect("fenced, not refused");
    let root = run(ProgKind::Xdp, dead, &VerifyOptions::default()).expect("root");
    assert!(v.stats.processed > root.stats.processed, "{} vs {}", v.stats.processed, root.stats.processed);
    // ctx == 0 is a pointer comparison (ctx is not among the never-null types)
    assert_eq!(refused("mov r0, 2\njeq r1, 0, +1\nmov r0, 1\nexit"), "R1 pointer comparison prohibited");
}

#[test]
fn without_cap_bpf_no_back_edges() {
    let unpriv = VerifyOptions { caps: crate::bpf::protos::policy::Caps { bpf: false, perfmon: false }, ..VerifyOptions::default() };
    let e = run(ProgKind::SocketFilter, "mov r1, 0\nadd r1, 1\njlt r1, 4, -2\nmov r0, 0\nexit", &unpriv).expect_err("back-edge");
    assert_eq!(e.message, "back-edge from insn 2 to 1");
}

#[test]
fn the_log_has_the_kernels_shape() {
    let opts = VerifyOptions { log_level: 2, ..VerifyOptions::default() };
    let v = run(ProgKind::Xdp, "mov r0, 2\nexit", &opts).expect("accepted");
    // Level 2 opens with the subprograms, the liveness table (r0 live before the exit only),
    // then the walk.
    assert!(v.log.starts_with("func#0 @0\nLive regs before insn:\n      0: .......... (b7) r0 = 2\n      1: 0......... (95) exit\n0: R1=ctx() R10=fp0\n"), "{}", v.log);
    assert!(v.log.contains("0: (b7) r0 = 2"), "{}", v.log);
    assert!(v.log.contains("R0=2"), "{}", v.log);
    assert!(
        v.log.contains("processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0"),
        "{}",
        v.log
    );
    assert_eq!(v.stats.processed, 2);
    let e = run(ProgKind::Xdp, "mov r0, r2\nexit", &VerifyOptions { log_level: 1, ..VerifyOptions::default() }).expect_err("refused");
    let lines: Vec<&str> = e.log.lines().collect();
    let stats = lines.iter().position(|l| l.starts_with("processed ")).expect("stats");
    assert_eq!(lines[stats - 1], "R2 !read_ok");
    // `verification time` and `stack depth` come with level bit 4 only.
    assert!(!e.log.contains("verification time"), "{}", e.log);
    let e = run(ProgKind::Xdp, "mov r0, r2\nexit", &VerifyOptions { log_level: 1 | 4, ..VerifyOptions::default() }).expect_err("refused");
    assert!(e.log.contains("verification time") && e.log.contains("stack depth 0"), "{}", e.log);
}

#[test]
fn each_instruction_is_followed_by_the_registers_it_touched_aligned_as_the_kernel_aligns_them() {
    let src = "mov r6, r1\nldxw r2, [r6+4]\nmov r0, 2\nexit";
    let v = run(ProgKind::Xdp, src, &VerifyOptions { log_level: 2, ..VerifyOptions::default() }).expect("accepted");
    // (after level 2's subprogram and liveness table: a line per instruction and its title)
    let lines: Vec<&str> = v.log.lines().skip(6).collect();
    assert_eq!(lines[0], "0: R1=ctx() R10=fp0");
    // `;` in column 38 (the kernel pads to a multiple of 8, at least 40, less the newline).
    assert_eq!(lines[1], "0: (bf) r6 = r1                       ; R1=ctx() R6=ctx()");
    assert_eq!(lines[2], "1: (61) r2 = *(u32 *)(r6 +4)          ; R2=pkt_end() R6=ctx()");
    assert_eq!(lines[3], "2: (b7) r0 = 2                        ; R0=2");
    assert_eq!(lines[4], "3: (95) exit");
}

#[test]
fn at_level_1_a_finished_path_is_rewound_to_where_its_branch_was_pushed() {
    // The fall-through path is walked first and ends well; the log then keeps only what precedes
    // the push, and the branch's state lands on the jump's line, whose newline became a space.
    let src = "call 7\njne r0, 0, +2\nmov r0, 2\nexit\nldxw r3, [r9+0]\nexit";
    let e = run(ProgKind::Xdp, src, &VerifyOptions { log_level: 1, ..VerifyOptions::default() }).expect_err("r9 is not initialised");
    assert!(!e.log.contains("2: (b7) r0 = 2"), "the first path's lines are gone:\n{}", e.log);
    assert!(e.log.contains("1: (55) if r0 != 0x0 goto pc+2 4: R0=scalar("), "{}", e.log);
    assert!(e.log.contains(") R10=fp0\n4: (61) r3 = *(u32 *)(r9 +0)\nR9 !read_ok\nprocessed "), "{}", e.log);
    // At level 2 every path stays, and the branch starts with `from 1 to 4:`.
    let e = run(ProgKind::Xdp, src, &VerifyOptions { log_level: 2, ..VerifyOptions::default() }).expect_err("refused");
    assert!(e.log.contains("2: (b7) r0 = 2") && e.log.contains("\nfrom 1 to 4: R0=scalar("), "{}", e.log);
}

#[test]
fn an_unmodelled_program_type_is_refused_clearly() {
    let e = run(ProgKind::Kprobe, "mov r0, 0\nexit", &VerifyOptions::default()).expect_err("refused");
    assert_eq!(e.errno, Errno::EINVAL);
    assert!(e.message.contains("does not model kprobe programs"), "{}", e.message);
}

fn run_with_globals(src: &str, globals: &[GlobalFunc]) -> std::result::Result<Verdict, XdpError> {
    let text = src.replace(" r", " %r").replace("[r", "[%r");
    let insns = assemble(&text).expect("assembles");
    let input =
        Input { name: "t", kind: ProgKind::Xdp, insns: &insns, maps: &[], kfuncs: &[], global_funcs: globals, non_scalar_returns: &[], lines: &[], main_proto_note: None, btf: None };
    verify(&input, &VerifyOptions { log_level: 2, ..VerifyOptions::default() })
}

#[test]
fn a_global_function_is_checked_against_its_prototype_and_walked_once_on_its_own() {
    // prog: r1 = 5; call g; exit (r0 unknown) | g(int x): r0 = x; exit
    let src = "mov r1, 5\ncall local g\nexit\ng:\nmov r0, r1\nexit";
    let scalar = |args: Vec<FuncArg>| vec![GlobalFunc { start: 3, name: "g".into(), args: Ok(args), exception_cb: false }];
    let v = run_with_globals(src, &scalar(vec![FuncArg::Scalar])).expect("accepted");
    assert!(v.log.contains("Func#1 ('g') is global and assumed valid."), "{}", v.log);
    assert!(v.log.contains("Validating g() func#1..."), "{}", v.log);
    // At level 1, as the kernel's, only what follows the last successful pass is kept.
    let insns = assemble(&src.replace(" r", " %r")).expect("assembles");
    let globals = scalar(vec![FuncArg::Scalar]);
    let input =
        Input { name: "t", kind: ProgKind::Xdp, insns: &insns, maps: &[], kfuncs: &[], global_funcs: &globals, non_scalar_returns: &[], lines: &[], main_proto_note: None, btf: None };
    let l1 = verify(&input, &VerifyOptions { log_level: 1, ..VerifyOptions::default() }).expect("accepted").log;
    assert!(l1.starts_with("Func#1 ('g') is safe for any args that match its prototype\n"), "{l1}");
    // The context where a scalar is expected: refused at the call, in the kernel's words.
    let ctx = "mov r6, r1\nmov r1, 5\nmov r1, r6\ncall local g\nexit\ng:\nmov r0, r1\nexit";
    let with_ctx = |args| vec![GlobalFunc { start: 5, name: "g".into(), args: Ok(args), exception_cb: false }];
    let e = run_with_globals(ctx, &with_ctx(vec![FuncArg::Scalar])).expect_err("refused");
    assert_eq!((e.errno, e.message.as_str()), (Errno::EINVAL, "Caller passes invalid args into func#1 ('g')"));
    assert!(e.log.contains("R1 is not a scalar\n"), "{}", e.log);
    // Given the context, the function may not return it.
    let e = run_with_globals(ctx, &with_ctx(vec![FuncArg::Ctx])).expect_err("refused");
    assert_eq!(e.message, "At subprogram exit the register R0 is not a scalar value (ctx)");
    // Memory that may be NULL is not read unchecked.
    let mem = "mov r1, 0\nstxdw [r10-8], r1\nmov r1, r10\nadd r1, -8\ncall local g\nexit\ng:\nldxdw r0, [r1+0]\nexit";
    let with_mem =
        |nullable| vec![GlobalFunc { start: 6, name: "g".into(), args: Ok(vec![FuncArg::Mem { size: 8, nullable }]), exception_cb: false }];
    assert_eq!(run_with_globals(mem, &with_mem(true)).expect_err("refused").message, "R1 invalid mem access 'mem_or_null'");
    run_with_globals(mem, &with_mem(false)).expect("a non-NULL argument is read");
    // A prototype the kernel refuses is reported at the call.
    let bad = vec![GlobalFunc {
        start: 6,
        name: "g".into(),
        args: Err((Errno::EINVAL, "Global function g() doesn't return scalar. Only those are supported.".into())),
        exception_cb: false,
    }];
    let e = run_with_globals(mem, &bad).expect_err("refused");
    assert_eq!(e.message, "Caller passes invalid args into func#1 ('g')");
}

#[test]
fn snprintf_formats_are_checked_as_the_kernel_checks_them() {
    use super::calls::bprintf_format_ok as ok;
    assert!(ok(b"q=%d\0", 1));
    assert!(ok(b"%d %u %x %X %i %lld %llu %c %s. %pK %pi4 %pI6 %pks %% done\0", 13));
    assert!(!ok(b"q=%d %d\0", 1), "two conversions, one argument");
    assert!(!ok(b"q=%n\0", 1), "no %n");
    assert!(!ok(b"%sx\0", 1), "a string conversion ends a word");
    assert!(!ok(b"%pi5\0", 1));
    assert!(!ok(b"bell\x07\0", 0), "not printable");
    assert!(ok(b"width %08lx and %-3d\0", 2));
    assert!(ok(b"no conversions, extra args\0", 3));
}

/// bpf_loop(nr, cb, fp-16, 0) whose callback counts into the caller's fp-16; the caller then
/// writes a byte at fp-32 + count. Raw instructions (the assembler has no callback address).
fn counting_loop(nr: i32) -> Vec<Insn> {
    let i = |code: u8, dst: u8, src: u8, off: i16, imm: i32| Insn::new(code, dst, src, off, imm);
    vec![
        i(0xb7, 1, 0, 0, 0),                                      // 0: r1 = 0
        i(0x7b, 10, 1, -16, 0),                                   // 1: *(u64 *)(r10 -16) = r1
        i(0xb7, 1, 0, 0, nr),                                     // 2: r1 = nr
        i(0x18, 2, crate::bpf::insn::PSEUDO_FUNC, 0, 15 - 3 - 1), // 3: r2 = callback (insn 15)
        i(0, 0, 0, 0, 0),                                         // 4
        i(0xbf, 3, 10, 0, 0),                                     // 5: r3 = r10
        i(0x07, 3, 0, 0, -16),                                    // 6: r3 += -16
        i(0xb7, 4, 0, 0, 0),                                      // 7: r4 = 0
        i(0x85, 0, 0, 0, 181),                                    // 8: call bpf_loop
        i(0x79, 1, 10, -16, 0),                                   // 9: r1 = *(u64 *)(r10 -16)
        i(0xbf, 2, 10, 0, 0),                                     // 10: r2 = r10
        i(0x07, 2, 0, 0, -32),                                    // 11: r2 += -32
        i(0x0f, 2, 1, 0, 0),                                      // 12: r2 += r1
        i(0x72, 2, 0, 0, 1),                                      // 13: *(u8 *)(r2 +0) = 1
        i(0x95, 0, 0, 0, 0),                                      // 14: exit (r0 from bpf_loop)
        i(0x79, 1, 2, 0, 0),                                      // 15: r1 = *(u64 *)(r2 +0)
        i(0x07, 1, 0, 0, 1),                                      // 16: r1 += 1
        i(0x7b, 2, 1, 0, 0),                                      // 17: *(u64 *)(r2 +0) = r1
        i(0xb7, 0, 0, 0, 0),                                      // 18: r0 = 0
        i(0x95, 0, 0, 0, 0),                                      // 19: exit
    ]
}

#[test]
fn a_callback_returns_to_its_call_until_the_count_is_reached() {
    let opts = VerifyOptions { log_level: 2, ..VerifyOptions::default() };
    let verify_loop = |nr: i32| {
        let insns = counting_loop(nr);
        let input =
            Input { name: "t", kind: ProgKind::Xdp, insns: &insns, maps: &[], kfuncs: &[], global_funcs: &[], non_scalar_returns: &[], lines: &[], main_proto_note: None, btf: None };
        verify(&input, &opts)
    };
    // Counts 0..=8 fit the 16 bytes from fp-32; the write through the caller's stack is kept.
    let ok = verify_loop(8).expect("a count of at most 8 is a safe index");
    assert!(ok.log.contains("returning from callee:\n frame1: R0=0 R1=1 R2=fp[0]-16 R10=fp0 cb\nto caller at 8:\n"), "{}", ok.log);
    assert!(ok.log.contains("from 19 to 8: "), "{}", ok.log);
    assert!(ok.log.contains("frame0 bpf_loop iteration limit reached"), "{}", ok.log);
    // A count of 40 reaches past the frame.
    let e = verify_loop(40).expect_err("a count of 40 writes past the stack");
    assert_eq!(e.errno, Errno::EACCES);
    // bpf_loop(0) never visits its callback.
    verify_loop(0).expect("no visit");
}

/// A u32 spilled whole at fp-24 and as a u32 at fp-16 (one value, linked), bpf_loop(1000) whose
/// callback checks the u32 (> 30 ends the loop) and counts at fp-8, then fp-24 checked in 32 bits
/// (`checked`) and added to fp-64 as a byte offset. Raw instructions.
fn narrowing_loop(checked: bool) -> Vec<Insn> {
    let i = |code: u8, dst: u8, src: u8, off: i16, imm: i32| Insn::new(code, dst, src, off, imm);
    vec![
        i(0x85, 0, 0, 0, 7),                                      // 0: call bpf_get_prandom_u32
        i(0xbc, 1, 0, 0, 0),                                      // 1: w1 = w0
        i(0x7b, 10, 1, -24, 0),                                   // 2: *(u64 *)(r10 -24) = r1
        i(0x63, 10, 1, -16, 0),                                   // 3: *(u32 *)(r10 -16) = r1
        i(0xb7, 1, 0, 0, 0),                                      // 4: r1 = 0
        i(0x7b, 10, 1, -8, 0),                                    // 5: *(u64 *)(r10 -8) = r1
        i(0xb7, 1, 0, 0, 1000),                                   // 6: r1 = 1000
        i(0x18, 2, crate::bpf::insn::PSEUDO_FUNC, 0, 21 - 7 - 1), // 7: r2 = callback (insn 21)
        i(0, 0, 0, 0, 0),                                         // 8
        i(0xbf, 3, 10, 0, 0),                                     // 9: r3 = r10
        i(0x07, 3, 0, 0, -16),                                    // 10: r3 += -16
        i(0xb7, 4, 0, 0, 0),                                      // 11: r4 = 0
        i(0x85, 0, 0, 0, 181),                                    // 12: call bpf_loop
        i(0x79, 1, 10, -24, 0),                                   // 13: r1 = *(u64 *)(r10 -24)
        if checked { i(0x26, 1, 0, 4, 30) } else { i(0x05, 0, 0, 0, 0) }, // 14: if w1 > 30 goto 19
        i(0xbf, 2, 10, 0, 0),                                     // 15: r2 = r10
        i(0x07, 2, 0, 0, -64),                                    // 16: r2 += -64
        i(0x0f, 2, 1, 0, 0),                                      // 17: r2 += r1
        i(0x72, 2, 0, 0, 0),                                      // 18: *(u8 *)(r2 +0) = 0
        i(0xb7, 0, 0, 0, 2),                                      // 19: r0 = 2
        i(0x95, 0, 0, 0, 0),                                      // 20: exit
        i(0x61, 1, 2, 0, 0),                                      // 21: r1 = *(u32 *)(r2 +0)
        i(0x79, 3, 2, 8, 0),                                      // 22: r3 = *(u64 *)(r2 +8)
        i(0x07, 3, 0, 0, 1),                                      // 23: r3 += 1
        i(0x7b, 2, 3, 8, 0),                                      // 24: *(u64 *)(r2 +8) = r3
        i(0x25, 1, 0, 2, 30),                                     // 25: if r1 > 30 goto 28
        i(0xb7, 0, 0, 0, 0),                                      // 26: r0 = 0
        i(0x95, 0, 0, 0, 0),                                      // 27: exit
        i(0xb7, 0, 0, 0, 1),                                      // 28: r0 = 1
        i(0x95, 0, 0, 0, 0),                                      // 29: exit
    ]
}

#[test]
fn a_callers_scalar_narrowed_in_a_callback_stays_exact_for_its_use_as_an_offset() {
    // 6.18.44 accepts the checked one (corpus synproxy/loop_narrowed_linked_offset): the count
    // at fp-8 is widened over the visits, the offset at fp-24, narrowed through its linked copy
    // and used as a stack offset after the loop, is kept a u32, so the 32-bit check bounds it.
    let verify_loop = |checked: bool| {
        let insns = narrowing_loop(checked);
        let input =
            Input { name: "t", kind: ProgKind::Xdp, insns: &insns, maps: &[], kfuncs: &[], global_funcs: &[], non_scalar_returns: &[], lines: &[], main_proto_note: None, btf: None };
        verify(&input, &VerifyOptions::default())
    };
    verify_loop(true).expect("the checked offset is within fp-64..fp-34");
    let e = verify_loop(false).expect_err("an unchecked u32 offset");
    assert_eq!((e.errno, e.message.as_str()), (Errno::EACCES, "invalid unbounded variable-offset write to stack R2"));
}

#[test]
fn an_atomic_on_a_spilled_constant_makes_the_slot_unknown() {
    let src = "mov r6, r1\nldxw r7, [r6+0]\nldxw r8, [r6+4]\nstdw [r10-40], -1\nmov r1, 0\nlock or32 [r10-36], r1\nmov r3, r7\nadd r3, 8\njle r8, r3, +3\nldxw r4, [r10-36]\nadd r3, r4\nldxb r1, [r3+0]\nmov r0, 2\nexit";
    let e = run(ProgKind::Xdp, src, &VerifyOptions { log_level: 2, ..VerifyOptions::default() });
    match e {
        Ok(v) => panic!("accepted:\n{}", v.log),
        Err(e) => assert!(e.message.contains("packet"), "{}", e.message),
    }
}

/// Runs `src` with `maps`; every `lddw rN, 0` becomes a reference to map 0 (`BPF_PSEUDO_MAP_FD`).
fn run_with_map(kind: ProgKind, src: &str, map: MapMeta) -> std::result::Result<Verdict, XdpError> {
    let mut text = String::new();
    let mut prev_alnum = false;
    for (i, ch) in src.char_indices() {
        if ch == 'r' && !prev_alnum && src[i + 1..].starts_with(|c: char| c.is_ascii_digit()) {
            text.push('%');
        }
        text.push(ch);
        prev_alnum = ch.is_ascii_alphanumeric();
    }
    let mut insns = assemble(&text).expect("assembles");
    for i in insns.iter_mut() {
        if i.code == 0x18 && i.imm == 0 && i.regs & 0xf0 == 0 && i.regs & 0x0f != 0 {
            i.regs |= 1 << 4;
        }
    }
    let maps = [map];
    let input = Input { name: "t", kind, insns: &insns, maps: &maps, kfuncs: &[], global_funcs: &[], non_scalar_returns: &[], lines: &[], main_proto_note: None, btf: None };
    verify(&input, &VerifyOptions::default())
}

/// An array of one 16-byte value: a bpf_spin_lock at 0, a counter at 8.
fn lock_map() -> MapMeta {
    MapMeta {
        name: "locks".into(),
        map_type: 2,
        key_size: 4,
        value_size: 16,
        max_entries: 1,
        has_btf: true,
        fields: vec![SpecialField { off: 0, size: 4, kind: FieldKind::SpinLock, kptr_type: 0 }],
        ..MapMeta::default()
    }
}

const LOOKUP: &str = "stw [r10-4], 0\nmov r2, r10\nadd r2, -4\nlddw r1, 0\ncall bpf_map_lookup_elem\njeq r0, 0, +1\n";

#[test]
fn a_spin_lock_argument_must_point_at_the_lock() {
    let ok = format!("{LOOKUP}mov r6, r0\nmov r1, r6\ncall bpf_spin_lock\nmov r1, r6\ncall bpf_spin_unlock\nmov r0, 2\nexit");
    // NULL skips to the exit
    let ok = ok.replace("jeq r0, 0, +1\n", "jeq r0, 0, +5\n");
    run_with_map(ProgKind::Xdp, &ok, lock_map()).expect("lock and unlock at the lock");
    let off = format!("{LOOKUP}mov r1, r0\nadd r1, 8\ncall bpf_spin_lock\nmov r0, 2\nexit").replace("+1\n", "+3\n");
    let e = run_with_map(ProgKind::Xdp, &off, lock_map()).expect_err("refused");
    assert_eq!((e.errno, e.message.as_str()), (Errno::EINVAL, "off 8 doesn't point to 'struct bpf_spin_lock' that is at 0"));
    let none = MapMeta { fields: vec![], ..lock_map() };
    let e = run_with_map(ProgKind::Xdp, &off.replace("add r1, 8", "add r1, 0"), none).expect_err("refused");
    assert_eq!(e.message, "map 'locks' has no valid bpf_spin_lock");
}

#[test]
fn loads_and_stores_may_not_touch_a_special_field() {
    let load = format!("{LOOKUP}ldxw r0, [r0+0]\nmov r0, 2\nexit").replace("+1\n", "+2\n");
    let e = run_with_map(ProgKind::Xdp, &load, lock_map()).expect_err("refused");
    assert_eq!((e.errno, e.message.as_str()), (Errno::EACCES, "bpf_spin_lock cannot be accessed directly by load/store"));
    let beside = load.replace("[r0+0]", "[r0+8]");
    run_with_map(ProgKind::Xdp, &beside, lock_map()).expect("the counter is no field");
}

#[test]
fn socket_filters_may_not_refer_to_a_map_with_a_lock() {
    let e = run_with_map(ProgKind::SocketFilter, "lddw r1, 0\nmov r0, 0\nexit", lock_map()).expect_err("refused");
    assert_eq!((e.errno, e.message.as_str()), (Errno::EINVAL, "socket filter progs cannot use bpf_spin_lock yet"));
    run_with_map(ProgKind::Xdp, "lddw r1, 0\nmov r0, 0\nexit", lock_map()).expect("XDP may");
}

// may_goto +2 (BPF_JMP | BPF_JCOND), as one raw instruction
const MAY_GOTO_2: &str = ".raw 0x200e5";

#[test]
fn a_may_goto_loop_converges_by_widening_and_depth() {
    // r6 counts, unused: widened at the second visit, pruned at the third (another depth).
    let counter = format!("mov r6, 0\n{MAY_GOTO_2}\nadd r6, 1\nja -3\nmov r0, 2\nexit");
    run(ProgKind::Xdp, &counter, &VerifyOptions::default()).expect("accepted");
    // A body that changes nothing is no infinite loop: the hidden counter bounds it.
    let empty = format!("mov r6, 0\n{MAY_GOTO_2}\nmov r1, 0\nja -3\nmov r0, 2\nexit");
    run(ProgKind::Xdp, &empty, &VerifyOptions::default()).expect("accepted");
    // The exit is walked first: r7, set only in the body, is uninitialised there.
    let uninit = format!("mov r6, 0\n{MAY_GOTO_2}\nmov r7, 1\nja -3\nmov r0, r7\nexit");
    assert_eq!(refusal(&uninit), (Errno::EACCES, "R7 !read_ok".into(), Some(4)));
}

#[test]
fn exit_facts_hold_what_a_pruned_path_returns() {
    // r6 is 3 or 1 after the first diamond and goes only to the return: the kernel (and uxdp)
    // keep it imprecise and prune the second path at the next checkpoint; the facts still see 1.
    let mut src = String::from("call 7\nmov r6, 3\njeq r0, 0, +1\nmov r6, 1\n");
    for _ in 1..12 {
        src.push_str("call 7\njeq r0, 0, +1\nmov r8, 1\n");
    }
    src.push_str("mov r0, r6\nexit");
    let v = run(ProgKind::Xdp, &src, &VerifyOptions::default()).expect("accepted");
    assert!(v.stats.processed < 2000, "pruned: {} insns processed", v.stats.processed);
    let exits: Vec<_> = v.facts.exits.values().collect();
    assert_eq!(exits.len(), 1);
    assert!(exits[0].may_be(1) && exits[0].may_be(3), "{:?}", exits[0]);
}

// ---- precision backtracking: the level-2 `mark_precise` lines against the live kernel's
// (6.18.44, `bpftool -d prog load` of the same instructions written as naked inline asm).

/// The `mark_precise`, `propagating` and `force_precise` lines of a level-2 log.
fn precision_lines(log: &str) -> Vec<String> {
    log.lines().filter(|l| l.starts_with("mark_precise:") || l.contains(": propagating ") || l.starts_with("force_precise:")).map(str::to_string).collect()
}

fn level2(src: &str) -> String {
    match run(ProgKind::Xdp, src, &VerifyOptions { log_level: 2, ..VerifyOptions::default() }) {
        Ok(v) => v.log,
        Err(e) => e.log.clone(),
    }
}

#[test]
fn precision_follows_a_spill_and_a_linked_branch_back() {
    let src = "call 7\nand r0, 7\nmov r6, r0\nstxdw [r10-16], r6\nmov r7, 0\njgt r6, 3, +1\nmov r7, 1\n\
               ldxdw r2, [r10-16]\nmov r3, r10\nadd r3, -8\nsub r3, r2\nmov r1, 0\nstxb [r3+0], r1\nmov r0, 2\nexit";
    let r = "scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3))";
    let want = [
        "mark_precise: frame0: last_idx 10 first_idx 7 subseq_idx -1 ".to_string(),
        "mark_precise: frame0: regs=r2 stack= before 9: (07) r3 += -8".into(),
        "mark_precise: frame0: regs=r2 stack= before 8: (bf) r3 = r10".into(),
        "mark_precise: frame0: regs=r2 stack= before 7: (79) r2 = *(u64 *)(r10 -16)".into(),
        format!("mark_precise: frame0: parent state regs= stack=-16:  R0=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=7,var_off=(0x0; 0x7)) R6={r} R7=1 R10=fp0 fp-16=P{r}"),
        "mark_precise: frame0: last_idx 6 first_idx 0 subseq_idx 7 ".into(),
        "mark_precise: frame0: regs= stack=-16 before 6: (b7) r7 = 1".into(),
        "mark_precise: frame0: regs= stack=-16 before 5: (25) if r6 > 0x3 goto pc+1".into(),
        "mark_precise: frame0: regs=r6 stack=-16 before 4: (b7) r7 = 0".into(),
        "mark_precise: frame0: regs=r6 stack=-16 before 3: (7b) *(u64 *)(r10 -16) = r6".into(),
        "mark_precise: frame0: regs=r6 stack= before 2: (bf) r6 = r0".into(),
        "mark_precise: frame0: regs=r0 stack= before 1: (57) r0 &= 7".into(),
        "mark_precise: frame0: regs=r0 stack= before 0: (85) call bpf_get_prandom_u32#7".into(),
    ];
    assert_eq!(precision_lines(&level2(src)), want);
}

#[test]
fn precision_crosses_a_subprogram_call_and_its_return() {
    let src = "call 7\nand r0, 7\nmov r6, r0\nmov r1, r6\ncall local sub\nmov r2, r10\nadd r2, -16\nadd r2, r0\n\
               mov r1, 0\nstxb [r2+0], r1\nmov r0, 2\nexit\nsub:\nmov r0, r1\nadd r0, 1\nexit";
    let want = [
        "mark_precise: frame0: last_idx 7 first_idx 5 subseq_idx -1 ",
        "mark_precise: frame0: regs=r0 stack= before 6: (07) r2 += -16",
        "mark_precise: frame0: regs=r0 stack= before 5: (bf) r2 = r10",
        "mark_precise: frame0: parent state regs=r0 stack=:  R0=Pscalar(id=1+1,smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=8,var_off=(0x0; 0xf)) R6=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=7,var_off=(0x0; 0x7)) R10=fp0",
        "mark_precise: frame0: last_idx 14 first_idx 0 subseq_idx 5 ",
        "mark_precise: frame0: regs=r0 stack= before 14: (95) exit",
        "mark_precise: frame1: regs=r0 stack= before 13: (07) r0 += 1",
        "mark_precise: frame1: regs=r0 stack= before 12: (bf) r0 = r1",
        "mark_precise: frame1: regs=r1 stack= before 4: (85) call pc+7",
        "mark_precise: frame0: regs=r1 stack= before 3: (bf) r1 = r6",
        "mark_precise: frame0: regs=r6 stack= before 2: (bf) r6 = r0",
        "mark_precise: frame0: regs=r0 stack= before 1: (57) r0 &= 7",
        "mark_precise: frame0: regs=r0 stack= before 0: (85) call bpf_get_prandom_u32#7",
    ];
    assert_eq!(precision_lines(&level2(src)), want);
}

#[test]
fn a_pruned_branch_takes_the_covering_states_precision() {
    let src = "call 7\nmov r6, r0\nand r6, 3\ncall 7\njgt r0, 5, +4\nmov r7, 1\nmov r8, 1\nadd r8, 1\nja +1\nmov r7, 2\n\
               mov r2, r10\nadd r2, -16\nadd r2, r6\nmov r1, 0\nstxb [r2+0], r1\nmov r0, 2\nexit";
    let r6 = "scalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3))";
    let back = [
        "mark_precise: frame0: regs=r6 stack= before 3: (85) call bpf_get_prandom_u32#7",
        "mark_precise: frame0: regs=r6 stack= before 2: (57) r6 &= 3",
        "mark_precise: frame0: regs=r6 stack= before 1: (bf) r6 = r0",
        "mark_precise: frame0: regs=r0 stack= before 0: (85) call bpf_get_prandom_u32#7",
    ];
    let mut want: Vec<String> = vec![
        "mark_precise: frame0: last_idx 12 first_idx 10 subseq_idx -1 ".into(),
        "mark_precise: frame0: regs=r6 stack= before 11: (07) r2 += -16".into(),
        "mark_precise: frame0: regs=r6 stack= before 10: (bf) r2 = r10".into(),
        format!("mark_precise: frame0: parent state regs=r6 stack=:  R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=5,var_off=(0x0; 0x7)) R6=P{r6} R7=1 R8=2 R10=fp0"),
        "mark_precise: frame0: last_idx 8 first_idx 0 subseq_idx 10 ".into(),
        "mark_precise: frame0: regs=r6 stack= before 8: (05) goto pc+1".into(),
        "mark_precise: frame0: regs=r6 stack= before 7: (07) r8 += 1".into(),
        "mark_precise: frame0: regs=r6 stack= before 6: (b7) r8 = 1".into(),
        "mark_precise: frame0: regs=r6 stack= before 5: (b7) r7 = 1".into(),
        "mark_precise: frame0: regs=r6 stack= before 4: (25) if r0 > 0x5 goto pc+4".into(),
    ];
    want.extend(back.iter().map(|s| s.to_string()));
    want.extend([
        "frame 0: propagating r6".to_string(),
        "mark_precise: frame0: last_idx 10 first_idx 0 subseq_idx -1 ".into(),
        "mark_precise: frame0: regs=r6 stack= before 9: (b7) r7 = 2".into(),
        "mark_precise: frame0: regs=r6 stack= before 4: (25) if r0 > 0x5 goto pc+4".into(),
    ]);
    want.extend(back.iter().map(|s| s.to_string()));
    let log = level2(src);
    assert_eq!(precision_lines(&log), want);
    assert!(log.contains("processed 18 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0"), "{log}");
}

/// Three diamonds, each spilling the context pointer into its own slot on one side only, then
/// `tail`. A slot holding a pointer and a never-written one do not cover each other.
fn diamonds(tail: &str) -> String {
    let mut s = String::from("mov r6, r1\n");
    for off in [8, 16, 24] {
        s.push_str(&format!("call 7\njeq r0, 0, +1\nstxdw [r10-{off}], r6\n"));
    }
    s + tail
}

#[test]
fn dead_stack_slots_do_not_keep_paths_apart() {
    let opts = VerifyOptions { log_level: 2, ..VerifyOptions::default() };
    let dead = run(ProgKind::Xdp, &diamonds("mov r0, 2\nexit"), &opts).expect("accepted");
    let read = run(ProgKind::Xdp, &diamonds("ldxdw r1, [r10-8]\nldxdw r1, [r10-16]\nldxdw r1, [r10-24]\nmov r0, 2\nexit"), &opts).expect("accepted");
    // Nothing reads the slots: the second path into each join is pruned. Read, every one of
    // the eight combinations reaches the end.
    assert!(dead.stats.processed < 30, "{}", dead.log);
    assert_eq!(read.log.matches("\n14: (95) exit").count(), 8, "{}", read.log);
    // The analysis shows its work at level 2: the reads at the end make the slots live back to
    // the entry; the first spill writes -8 on its path.
    assert!(read.log.contains("(0) frame 0 insn 12 +live -24 \n"), "{}", read.log);
    assert!(read.log.contains("(0) frame 0 insn 0 +live -8,-16,-24 \n"), "{}", read.log);
    assert!(read.log.contains("(0) frame 0 insn 3 +written -8 \n"), "{}", read.log);
    assert!(read.log.contains("(0) live stack update done in 2 iterations\n"), "{}", read.log);
    assert!(!dead.log.contains("+live"), "{}", dead.log);
}

#[test]
fn a_callee_that_always_writes_a_callers_slot_kills_it_at_the_call() {
    let opts = VerifyOptions { log_level: 2, ..VerifyOptions::default() };
    let tail = "mov r1, r10\nadd r1, -8\ncall local w\nldxdw r0, [r10-8]\nmov r0, 2\nexit\nw:\nmov r2, 0\nstxdw [r1+0], r2\nmov r0, 0\nexit";
    let v = run(ProgKind::Xdp, &diamonds(tail), &opts).expect("accepted");
    // The callee's instance is named by its call site and start; its entry's marks reach the
    // call in the caller's: -8 written there, so dead before it.
    assert!(v.log.contains("(12,16) frame 0 insn 16 +written -8 \n"), "{}", v.log);
    assert!(v.log.contains("(0) frame 0 insn 12 +written -8 \n"), "{}", v.log);
    assert!(!v.log.contains("(0) frame 0 insn 0 +live"), "{}", v.log);
    let maybe = "mov r1, r10\nadd r1, -8\ncall local w\nldxdw r0, [r10-8]\nmov r0, 2\nexit\nw:\nmov r6, r1\ncall 7\njeq r0, 0, +2\nmov r2, 0\nstxdw [r6+0], r2\nmov r0, 0\nexit";
    let m = run(ProgKind::Xdp, &diamonds(maybe), &opts).expect("accepted");
    // Written on one path only: -8 stays live through the call.
    assert!(m.log.contains("(0) frame 0 insn 0 +live -8 \n"), "{}", m.log);
    assert!(m.stats.processed > v.stats.processed, "{} vs {}", m.stats.processed, v.stats.processed);
}

#[test]
fn a_copy_moved_by_a_constant_stays_linked_both_ways_and_widths() {
    // r7 = r6 - 4 bounded to [0, 100] bounds r6 to [4, 104]: `r0 /= 0` is never reached.
    let probe = |link: &str, check: &str| {
        let src = format!("call 7\nmov r6, r0\n{link}\n{check}\nmov r0, 0\nexit");
        run(ProgKind::SocketFilter, &src, &VerifyOptions::default()).map(|_| ()).map_err(|e| e.message.clone())
    };
    for link in ["mov r7, r6\nadd r7, -4", "mov r7, r6\nsub r7, 4"] {
        assert_eq!(probe(link, "jgt r7, 100, +2\njge r6, 4, +1\ndiv r0, 0"), Ok(()), "{link}");
    }
    // 32 bits: linked only while nothing lies above bit 31.
    assert_eq!(probe("mov32 r6, r6\nmov32 r7, r6\nadd32 r7, -4", "jgt32 r7, 100, +2\njge32 r6, 4, +1\ndiv r0, 0"), Ok(()));
    assert_eq!(probe("mov r7, r6\nadd32 r7, -4", "jgt32 r7, 100, +2\njge32 r6, 4, +1\ndiv r0, 0"), Err("div by zero".into()));
    // A delta beyond 32 bits does not link.
    assert_eq!(probe("mov r7, r6\nlddw r8, 0x100000000\nadd r7, r8", "jgt r7, 100, +2\njge r6, 4, +1\ndiv r0, 0"), Err("div by zero".into()));
}
