//! Soundness fuzzing of the verifier (issue 12), beyond the kernel: generated and mutated XDP
//! programs (see support/verifier_gen.rs for the grammar and the oracle); every program the
//! verifier accepts runs in the interpreter on random packets, ctx_in and map contents, and no
//! run may fault. Neither the verifier nor the interpreter may panic or take too long.
//!
//! * CI: a bounded proptest (`UXDP_FUZZ_CASES` cases, 3000 by default, from a fixed seed that
//!   `UXDP_FUZZ_SEED` changes; each accepted program is run on 6 inputs).
//! * Long mode: `UXDP_FUZZ_SECS=900 cargo test --release --test verifier_fuzz -- --ignored
//!   --nocapture long` loops the generator from a random seed (`UXDP_FUZZ_SEED` fixes it) and
//!   prints every bug minimized.
//! * cargo-fuzz: `crate/fuzz`'s `verifier` target, the same generator driven by libFuzzer's bytes.

#[path = "support/verifier_gen.rs"]
mod gen;

use gen::*;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("UXDP_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000)
}

/// CI runs a fixed sequence (so a failure is the same on every machine); `UXDP_FUZZ_SEED` picks
/// another.
fn seed() -> u64 {
    std::env::var("UXDP_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x12_0012)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(seed()), ..ProptestConfig::default() })]

    #[test]
    fn accepted_programs_never_fault(seed in any::<u64>()) {
        let mut r = FuzzRng::seeded(seed);
        let case = generate(&mut r);
        let mut rr = FuzzRng::seeded(seed ^ 0x5555);
        if let Outcome::Bug(e) = check(&case, &mut rr, 6) {
            prop_assert!(false, "{}", report(&case, seed, &e));
        }
    }
}

/// The generator must mostly produce programs the verifier accepts, or the oracle sees little.
#[test]
fn the_grammar_is_mostly_accepted() {
    let (cases, accepted, _, bugs) = campaign(0x1234_5678, 200, 1, None);
    assert!(bugs.is_empty(), "{}", bugs.join("\n"));
    assert!(accepted * 100 / cases >= 15, "only {accepted} of {cases} accepted");
}

/// bpf_loop shapes (a callback counting into the caller's stack, the count then an index) are
/// generated, some accepted and run (the interpreter runs the loop for real), some refused.
#[test]
fn bpf_loop_callbacks_are_fuzzed() {
    let (mut with_loop, mut accepted) = (0, 0);
    for i in 0..3000u64 {
        let seed = 0xb0f_1009u64.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut r = FuzzRng::seeded(seed);
        let case = generate(&mut r);
        if !case.insns.iter().any(|i| i.code == JMP | CALL && i.src() == 0 && i.imm == 181) {
            continue;
        }
        with_loop += 1;
        let mut rr = FuzzRng::seeded(seed ^ 0x5555);
        match check(&case, &mut rr, 3) {
            Outcome::Bug(e) => panic!("{}", report(&case, seed, &e)),
            Outcome::Refused => {}
            _ => accepted += 1,
        }
    }
    println!("{with_loop} programs with bpf_loop, {accepted} accepted");
    assert!(with_loop >= 50, "only {with_loop} programs with bpf_loop");
    assert!(accepted >= 10 && accepted < with_loop, "{accepted} of {with_loop} bpf_loop programs accepted");
}

/// The jump fix-up the minimizer relies on.
#[test]
fn removing_an_instruction_keeps_jump_targets() {
    let insns = vec![movi(0, 0), Insn::new(JMP | JEQ | K, 1, 0, 2, 0), movi(0, 1), movi(0, 2), movi(0, 3), exit()];
    let out = remove_insn(&insns, 2).unwrap();
    assert_eq!(out[1].off, 1);
    assert_eq!(out[3], movi(0, 3));
}

#[test]
#[ignore]
fn long() {
    let secs: u64 = std::env::var("UXDP_FUZZ_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    let seed: u64 = std::env::var("UXDP_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    let stop = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let (mut cases, mut accepted, mut runs, mut found) = (0u64, 0u64, 0u64, Vec::new());
    let mut s = seed;
    while std::time::Instant::now() < stop {
        let (c, a, r, bugs) = campaign(s, 2000, 3, Some(stop));
        cases += c;
        accepted += a;
        runs += r;
        for b in bugs {
            println!("BUG {b}\n");
            found.push(b);
        }
        s = s.wrapping_add(c.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
    println!("seed {seed:#x}: {cases} cases, {accepted} accepted, {runs} runs, {} bugs", found.len());
    assert!(found.is_empty(), "{} bugs", found.len());
}

/// Which refusals the grammar meets most (`-- --ignored --nocapture refusal_profile`).
#[test]
#[ignore]
fn refusal_profile() {
    let mut counts: std::collections::HashMap<String, u32> = Default::default();
    let n: u64 = std::env::var("UXDP_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let mut ok = 0;
    for i in 0..n {
        let mut r = FuzzRng::seeded(i);
        let case = generate(&mut r);
        match refusal(&case) {
            None => ok += 1,
            Some(m) => {
                let m: String = m.chars().map(|c| if c.is_ascii_digit() { 'N' } else { c }).collect();
                *counts.entry(m).or_default() += 1;
            }
        }
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1));
    println!("{ok} of {n} accepted");
    for (m, c) in v.iter().take(40) {
        println!("{c:6} {m}");
    }
}

/// Cases whose refusal contains `UXDP_FUZZ_SHOW`, with their log, and the slowest cases.
#[test]
#[ignore]
fn show() {
    let pat = std::env::var("UXDP_FUZZ_SHOW").unwrap_or_default();
    let n: u64 = std::env::var("UXDP_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let mut shown = 0;
    let mut slow = Vec::new();
    for i in 0..n {
        let mut r = FuzzRng::seeded(i);
        let case = generate(&mut r);
        let t = std::time::Instant::now();
        let m = refusal(&case);
        slow.push((t.elapsed(), i));
        if let Some(m) = m {
            if !pat.is_empty() && m.contains(&pat) && shown < 3 {
                shown += 1;
                println!("--- seed {i}: {m}\n{}", listing(&case.insns));
            }
        }
    }
    slow.sort();
    for (d, i) in slow.iter().rev().take(5) {
        let mut r = FuzzRng::seeded(*i);
        let case = generate(&mut r);
        println!("slow {d:?} seed {i} ({} insns)", case.insns.len());
    }
}

/// One case by seed, listed, with its verdict and how long it took (`UXDP_FUZZ_SEED`).
#[test]
#[ignore]
fn one() {
    let seed: u64 = std::env::var("UXDP_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut r = FuzzRng::seeded(seed);
    let case = generate(&mut r);
    println!("{:?} frags {}\n{}", case.fx, case.frags, listing(&case.insns));
    let t = std::time::Instant::now();
    let m = refusal(&case);
    println!("{:?} in {:?}", m, t.elapsed());
    let mut rr = FuzzRng::seeded(seed ^ 0x5555);
    println!("{:?}", check(&case, &mut rr, 3));
}

// ---------------------------------------------------------------------------------------------
// Bugs the fuzzer found, minimized. Each is `#[ignore]`d until fixed; the comment says what the
// kernel does.

fn load_insns(insns: Vec<Insn>) -> (Result<(), String>, std::time::Duration) {
    let case = Case { insns, fx: Fixture { array_value: 8, hash_value: 8, array4_value: 8 }, frags: false };
    let t = std::time::Instant::now();
    let r = refusal(&case);
    (r.map_or(Ok(()), Err), t.elapsed())
}

/// An endless loop whose state changes every iteration (a context pointer moved by one each
/// time) is refused as the kernel refuses it, and as fast: unfinished states are found by a hash
/// of their registers, states that keep missing are dropped and checkpoints are spaced as the
/// kernel spaces them (the fuzzer found this walk quadratic: minutes for six instructions).
#[test]
fn endless_loop_with_a_moving_pointer_is_refused_quickly() {
    let insns = vec![
        movi(9, 0),
        alui(ADD, 1, 1),                        // loop: r1 += 1
        Insn::new(JMP | JNE | K, 9, 0, -2, 12), // if r9 != 12 goto loop
        movi(0, 2),
        exit(),
    ];
    let (r, took) = load_insns(insns);
    assert!(r.is_err());
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}: {r:?}");
}

/// The oracle sees a fault where the verifier's refusal matters: a packet read one byte past
/// the check, a read past a map value, a stack read below the frame.
#[test]
fn the_oracle_sees_faults() {
    let fx = Fixture { array_value: 8, hash_value: 8, array4_value: 8 };
    let pkt = vec![
        mov(6, 1),
        ldx(W, 7, 6, 0),
        ldx(W, 8, 6, 4),
        mov(3, 7),
        alui(ADD, 3, 64),
        Insn::new(JMP | JGT | X, 3, 8, 1, 0),
        ldx(B, 0, 7, 64), // one past
        movi(0, 2),
        exit(),
    ];
    // (The interpreter checks stack accesses against the whole stack of 8 frames, not the frame.)
    let stack = vec![ldx(DW, 0, 10, -4104), movi(0, 2), exit()];
    let map = vec![
        st(W, 10, -4, 0),
        mov(2, 10),
        alui(ADD, 2, -4),
        Insn::new(LD | DW | IMM, 1, PSEUDO_MAP_IDX, 0, MAP_ARRAY),
        Insn::new(0, 0, 0, 0, 0),
        call(1),
        Insn::new(JMP | JEQ | K, 0, 0, 1, 0),
        ldx(B, 0, 0, 8), // one past the value
        movi(0, 2),
        exit(),
    ];
    for (i, insns) in [pkt, stack, map].into_iter().enumerate() {
        let case = Case { insns, fx: fx.clone(), frags: false };
        assert!(refusal(&case).is_some(), "the verifier refuses it");
        let (lo, prog) = load_unverified(&case);
        let mut r = FuzzRng::seeded(1);
        let mut input = random_input(&mut r, &fx, false);
        input.packet.truncate(64);
        input.ctx = None;
        let e = run_once(&lo, &prog, &input).expect_err(&format!("the interpreter faults on program {i}"));
        assert!(e.contains("outside the program's memory"), "{e}");
    }
}
