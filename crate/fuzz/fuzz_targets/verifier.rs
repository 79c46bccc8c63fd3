//! Verifier soundness (issue 12), beyond the kernel: libFuzzer's bytes steer the same grammar of
//! XDP programs as crate/tests/verifier_fuzz.rs (crate/tests/support/verifier_gen.rs); a program
//! the verifier accepts runs in the interpreter on inputs drawn from the same bytes, and must not
//! fault. The verifier and the interpreter must not panic, and the verifier must answer in time.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/verifier_gen.rs"]
mod gen;

fuzz_target!(|data: &[u8]| {
    let mut r = gen::FuzzRng::from_bytes(data);
    let case = gen::generate(&mut r);
    if let gen::Outcome::Bug(e) = gen::check(&case, &mut r, 3) {
        panic!("verifier bug: {e}\n{}", gen::listing(&case.insns));
    }
});
