//! Soundness fuzzing of the verifier (issue 12), beyond the kernel: generated and mutated XDP
//! programs (see support/verifier_gen.rs for the grammar and the oracle); every program the
//! verifier accepts runs in the interpreter on random packets, ctx_in and map contents, and no
//! run may fault. Neither the verifier nor the interpreter may panic or take too long.
//!
//! * CI: a bounded proptest (`UXDP_FUZZ_CASES` cases, 300 by default; each accepted program is
//!   run on 3 inputs).
//! * Long mode: `UXDP_FUZZ_SECS=900 cargo test --release --test verifier_fuzz -- --ignored
//!   --nocapture long` loops the generator from a random seed (`UXDP_FUZZ_SEED` fixes it) and
//!   prints every bug minimized.
//! * cargo-fuzz: `crate/fuzz`'s `verifier` target, the same generator driven by libFuzzer's bytes.

#[path = "support/verifier_gen.rs"]
mod gen;

use gen::*;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("UXDP_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn accepted_programs_never_fault(seed in any::<u64>()) {
        let mut r = FuzzRng::seeded(seed);
        let case = generate(&mut r);
        let mut rr = FuzzRng::seeded(seed ^ 0x5555);
        if let Outcome::Bug(e) = check(&case, &mut rr, 3) {
            prop_assert!(false, "{}", report(&case, seed, &e));
        }
    }
}

/// The generator must mostly produce programs the verifier accepts, or the oracle sees little.
#[test]
fn the_grammar_is_mostly_accepted() {
    let (cases, accepted, _, bugs) = campaign(0x1234_5678, 200, 1, None);
    assert!(bugs.is_empty(), "{}", bugs.join("\n"));
    assert!(accepted * 100 / cases >= 30, "only {accepted} of {cases} accepted");
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
    let seed: u64 = std::env::var("UXDP_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
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
    let n = 2000;
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
