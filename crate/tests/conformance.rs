//! bpf_conformance's vectors: every program in `tests/` gives its expected r0, no input in
//! `negative/` passes, and every `unused-*` encoding there is refused by the validator with the
//! kernel's wording.

use std::path::PathBuf;

#[path = "support/conformance.rs"]
mod conformance;

use conformance::Outcome;
use uxdp::bpf::validate::validate;

/// UXDP_CONFORMANCE_DIR, else `shared/conformance` next to the repository (or next to a directory
/// above it, for a git worktree kept elsewhere).
fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os("UXDP_CONFORMANCE_DIR") {
        return PathBuf::from(d);
    }
    let beside_repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance"));
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/conformance"))
        .find(|d| d.join("tests").is_dir())
        .unwrap_or(beside_repo)
}

#[test]
fn every_vector_passes() {
    let results = conformance::run_dir(dir().join("tests"));
    let failures: Vec<String> = results.iter().filter(|(_, o)| !o.is_pass()).map(|(name, o)| format!("{name}: {o:?}")).collect();
    println!("passed {} of {}", results.len() - failures.len(), results.len());
    assert!(failures.is_empty(), "{} of {} vectors failed:\n{}", failures.len(), results.len(), failures.join("\n"));
    assert_eq!(results.len(), 313, "the vector directory should hold bpf_conformance's 313 programs");
}

#[test]
fn no_negative_input_passes() {
    let results = conformance::run_dir(dir().join("negative"));
    assert_eq!(results.len(), 60, "negative/ holds 60 .data inputs (and invalid.sh)");
    let passed: Vec<&String> = results.iter().filter(|(_, o)| o.is_pass()).map(|(n, _)| n).collect();
    assert!(passed.is_empty(), "negative inputs reported as passing: {passed:?}");
    // The ones without a program are skipped, not failed: there is nothing to run.
    for name in ["empty.data", "empty_instructions.data"] {
        let o = &results.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(matches!(o, Outcome::Skip(_)), "{name}: {o:?}");
    }
}

#[test]
fn unused_fields_are_refused_in_the_kernels_words() {
    let mut checked = 0;
    for entry in std::fs::read_dir(dir().join("negative")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("unused-") {
            continue;
        }
        let v = conformance::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let insns = v.raw.clone().expect("unused-* vectors are raw");
        let e = validate(&insns).expect_err(&name);
        assert_eq!(e.pc, Some(0), "{name}: {e}");
        assert!(e.message.ends_with("uses reserved fields"), "{name}: {e}");
        let o = conformance::run_vector(&v);
        assert!(matches!(&o, Outcome::Fail(m) if m.contains("uses reserved fields")), "{name}: {o:?}");
        checked += 1;
    }
    assert_eq!(checked, 45);
}

#[test]
fn no_vector_program_is_refused_by_the_validator() {
    for (name, _) in conformance::run_dir(dir().join("tests")) {
        let v = conformance::parse(&std::fs::read_to_string(dir().join("tests").join(&name)).unwrap()).unwrap();
        let insns = conformance::program(&v).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(e) = validate(&insns) {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn parse_reads_every_section_and_both_raw_forms() {
    let text = "# comment\n-- asm\nmov %r0, 1 # trailing\nexit\n-- raw\n0x00000001000000b7\nb4 00 00 00 01 00 00 00\n-- mem\n00 ff\n0a\n-- result\n0x1\n-- c\nint f() { return 1; } # not parsed\n-- no register offset\nanything\n";
    let v = conformance::parse(text).unwrap();
    assert!(v.asm.as_deref().unwrap().contains("mov %r0, 1\nexit\n"));
    let raw = v.raw.unwrap();
    assert_eq!(raw.len(), 2);
    assert_eq!((raw[0].code, raw[0].imm), (0xb7, 1));
    assert_eq!((raw[1].code, raw[1].imm), (0xb4, 1));
    assert_eq!(v.mem, Some(vec![0x00, 0xff, 0x0a]));
    assert_eq!(v.result, Some(1));
    assert_eq!(v.error, None);

    assert!(conformance::parse("-- asm\nexit\n-- bogus\n").unwrap_err().contains("unknown section"));
    assert!(conformance::parse("mov %r0, 1\n").unwrap_err().contains("before any section"));
    assert!(conformance::parse("-- raw\n01 02 03\n").unwrap_err().contains("line 2"));
    assert!(conformance::parse("-- mem\nzz\n").is_err());
    assert!(conformance::parse("-- result\n0x1\n0x2\n").unwrap_err().contains("more than one"));
    assert_eq!(conformance::parse("-- error\n").unwrap().error.as_deref(), Some(""));
}

#[test]
fn expectations_are_compared_strictly() {
    let run = |text: &str| conformance::run_vector(&conformance::parse(text).unwrap());
    assert_eq!(run("-- asm\nmov %r0, 7\nexit\n-- result\n0x7\n"), Outcome::Pass);
    // All 64 bits count.
    assert!(matches!(run("-- asm\nlddw %r0, 0x100000007\nexit\n-- result\n0x7\n"), Outcome::Fail(_)));
    // r1 and r2 are the memory and its length; memory is writable.
    assert_eq!(run("-- asm\nstb [%r1+1], 9\nldxb %r0, [%r1+1]\nadd %r0, %r2\nexit\n-- mem\n00 00 00\n-- result\n0xc\n"), Outcome::Pass);
    // No memory: r1 is 0 and nothing is mapped.
    assert!(matches!(run("-- asm\nldxb %r0, [%r1]\nexit\n-- result\n0x0\n"), Outcome::Fail(m) if m.contains("EFAULT")));
    // unwind(0) stops the program with r0 = 0.
    assert_eq!(run("-- asm\nmov %r1, 0\ncall 5\nmov %r0, 9\nexit\n-- result\n0x0\n"), Outcome::Pass);
    // An expected error passes only when it is exactly the failure's message.
    assert_eq!(run("-- raw\n0x0000000000010007\n0x0000000000000095\n-- error\nBPF_ALU uses reserved fields\n"), Outcome::Pass);
    assert!(matches!(run("-- raw\n0x0000000000010007\n0x0000000000000095\n-- error\nInvalid\n"), Outcome::Fail(_)));
    assert!(matches!(run("-- asm\nmov %r0, 1\nexit\n-- error\nInvalid\n"), Outcome::Fail(m) if m.contains("expected the error")));
    // asm and raw must agree.
    assert!(
        matches!(run("-- asm\nmov %r0, 2\nexit\n-- raw\n0x00000001000000b7\n0x0000000000000095\n-- result\n0x1\n"), Outcome::Fail(m) if m.contains("differ at insn 0"))
    );
    // A runaway loop ends as an error.
    assert!(matches!(run("-- asm\nl:\nja l\nexit\n-- result\n0x0\n"), Outcome::Fail(m) if m.contains("instruction limit")));
}

#[test]
fn run_dir_ignores_other_files_and_sorts() {
    let results = conformance::run_dir(dir().join("negative"));
    assert!(results.iter().all(|(n, _)| n.ends_with(".data")));
    assert!(results.windows(2).all(|w| w[0].0 < w[1].0));
    let missing = conformance::run_dir(dir().join("no-such-directory"));
    assert!(matches!(missing.as_slice(), [(_, Outcome::Fail(_))]));
}

#[test]
#[ignore = "a listing, for eyes"]
fn list_negative_outcomes() {
    for (name, o) in conformance::run_dir(dir().join("negative")) {
        println!("{name}: {o:?}");
    }
}
