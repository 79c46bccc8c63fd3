//! A runner for bpf_conformance's `.data` test vectors: a program (uBPF assembler text or raw
//! words), optional input memory, and the r0 it must end with or the error it must fail with.
//!
//! A vector runs the way bpf_conformance's plugins run one, through [`uxdp::bpf::raw`]: assembled
//! (or decoded), validated, then executed with the memory in r1 and r2 and the "unwind" helper.
//! r0 is compared in full, all 64 bits. A vector that expects an error passes only when the
//! failure's message is exactly the expected text, as bpf_conformance compares a plugin's output;
//! one whose `-- error` section is empty can therefore not pass by failing.
//!
//! Test support (crate/tests/conformance.rs, crate/tests/jit.rs), not part of the library.

#![allow(dead_code)]

use std::path::Path;

use uxdp::bpf::asm::assemble;
use uxdp::bpf::raw::{execute_with, Failure};
use uxdp::bpf::{Insn, Prog};

/// One parsed `.data` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vector {
    /// The `-- asm` text, comments removed, preceded by blank lines so that its line numbers are
    /// the file's.
    pub asm: Option<String>,
    /// The `-- raw` program.
    pub raw: Option<Vec<Insn>>,
    /// The `-- mem` bytes; `None` when the file has no such section (r1 is then 0).
    pub mem: Option<Vec<u8>>,
    /// The `-- result` value.
    pub result: Option<u64>,
    /// The `-- error` text; `Some("")` for a section with no text.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// The vector's expectation was not met; why.
    Fail(String),
    /// Nothing to run (no instructions).
    Skip(String),
}

impl Outcome {
    pub fn is_pass(&self) -> bool {
        matches!(self, Outcome::Pass)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Asm,
    Raw,
    Mem,
    Result,
    Error,
    Ignored,
}

/// Parses the text of a `.data` file.
pub fn parse(text: &str) -> Result<Vector, String> {
    let mut v = Vector::default();
    let mut section = Section::None;
    let mut asm = String::new();
    let mut raw: Vec<Insn> = Vec::new();
    let mut result_lines: Vec<(usize, String)> = Vec::new();
    let mut error_lines: Vec<String> = Vec::new();

    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(name) = line.strip_prefix("--") {
            let name = name.trim();
            section = match name {
                "asm" => Section::Asm,
                "raw" => Section::Raw,
                "mem" => Section::Mem,
                "result" => Section::Result,
                "error" => Section::Error,
                "c" | "no register offset" => Section::Ignored,
                _ => return Err(format!("line {n}: unknown section \"-- {name}\"")),
            };
            match section {
                // Blank lines up to the header, so that the assembler's line numbers are the file's.
                Section::Asm if v.asm.is_none() => {
                    v.asm = Some(String::new());
                    asm = "\n".repeat(n);
                }
                Section::Raw if v.raw.is_none() => v.raw = Some(Vec::new()),
                Section::Mem if v.mem.is_none() => v.mem = Some(Vec::new()),
                Section::Error if v.error.is_none() => v.error = Some(String::new()),
                Section::Asm | Section::Raw | Section::Mem | Section::Error => {
                    return Err(format!("line {n}: a second \"-- {name}\" section"))
                }
                _ => {}
            }
            continue;
        }
        if section == Section::Ignored {
            continue;
        }
        if section == Section::Error {
            if !line.trim().is_empty() {
                error_lines.push(line.trim().to_string());
            }
            continue;
        }
        let body = line.split('#').next().unwrap_or("").trim();
        if section == Section::Asm {
            asm.push_str(body);
            asm.push('\n');
            continue;
        }
        if body.is_empty() {
            continue;
        }
        match section {
            Section::None => return Err(format!("line {n}: \"{body}\" before any section")),
            Section::Raw => raw.push(parse_raw_line(body).map_err(|e| format!("line {n}: {e}"))?),
            Section::Mem => {
                let mem = v.mem.get_or_insert_with(Vec::new);
                for tok in body.split_whitespace() {
                    let b = u8::from_str_radix(tok.trim_start_matches("0x"), 16)
                        .map_err(|_| format!("line {n}: \"{tok}\" is not a hex byte"))?;
                    mem.push(b);
                }
            }
            Section::Result => result_lines.push((n, body.to_string())),
            Section::Asm | Section::Error | Section::Ignored => {}
        }
    }

    if v.asm.is_some() {
        v.asm = Some(asm);
    }
    if v.raw.is_some() {
        v.raw = Some(raw);
    }
    if v.error.is_some() {
        v.error = Some(error_lines.join("\n"));
    }
    match result_lines.as_slice() {
        [] => {}
        [(n, text)] => v.result = Some(parse_number(text).ok_or_else(|| format!("line {n}: \"{text}\" is not a number"))?),
        [_, (n, _), ..] => return Err(format!("line {n}: more than one result value")),
    }
    Ok(v)
}

/// A raw instruction: one 64-bit word (low byte = opcode, as the little-endian `struct bpf_insn`
/// reads as a number) or its eight bytes in memory order.
fn parse_raw_line(body: &str) -> Result<Insn, String> {
    let toks: Vec<&str> = body.split_whitespace().collect();
    match toks.as_slice() {
        [word] => {
            let w = parse_number(word).ok_or_else(|| format!("\"{word}\" is not an instruction word"))?;
            Ok(Insn::from_bytes(&w.to_le_bytes()))
        }
        bytes if bytes.len() == 8 => {
            let mut b = [0u8; 8];
            for (slot, tok) in b.iter_mut().zip(bytes) {
                *slot = u8::from_str_radix(tok.trim_start_matches("0x"), 16).map_err(|_| format!("\"{tok}\" is not a hex byte"))?;
            }
            Ok(Insn::from_bytes(&b))
        }
        _ => Err(format!("\"{body}\" is neither one 64-bit word nor eight bytes")),
    }
}

fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The program a vector holds: the raw words, or the assembled text (which must agree with the raw
/// words when both are given).
pub fn program(v: &Vector) -> Result<Vec<Insn>, String> {
    let assembled = match &v.asm {
        Some(text) => Some(assemble(text).map_err(|e| e.to_string())?),
        None => None,
    };
    match (assembled, &v.raw) {
        (Some(a), Some(r)) => {
            if a != *r {
                let at = a.iter().zip(r).position(|(x, y)| x != y).unwrap_or(a.len().min(r.len()));
                return Err(format!(
                    "the assembled program and the raw words differ at insn {at}: {:?} vs {:?} ({} and {} instructions)",
                    a.get(at),
                    r.get(at),
                    a.len(),
                    r.len()
                ));
            }
            Ok(a)
        }
        (Some(a), None) => Ok(a),
        (None, Some(r)) => Ok(r.clone()),
        (None, None) => Ok(Vec::new()),
    }
}

pub fn run_vector(v: &Vector) -> Outcome {
    run_vector_with(v, false)
}

/// Whether the JIT compiles the vector's program (None: it does not assemble).
pub fn jit_compiles(v: &Vector) -> Option<bool> {
    let insns = program(v).ok()?;
    let prog = Prog { insns, ..Prog::default() };
    Some(prog.jit.compiled(&prog))
}

/// [`run_vector`], with the program compiled by the JIT when `jit`.
pub fn run_vector_with(v: &Vector, jit: bool) -> Outcome {
    let insns = match program(v) {
        Ok(i) => i,
        // The vector itself is malformed: no expected error can make that a pass (bpf_conformance's
        // runner, too, stops at its assembler before any plugin runs).
        Err(e) => return Outcome::Fail(format!("assembler: {e}")),
    };
    if insns.is_empty() {
        return Outcome::Skip("no instructions".into());
    }
    match execute_with(insns, v.mem.as_deref(), jit) {
        Err(e) => failed(v, e),
        Ok(r0) => match (&v.error, v.result) {
            (Some(expected), _) if !expected.is_empty() => {
                Outcome::Fail(format!("expected the error \"{expected}\", but the program returned {r0:#x}"))
            }
            (_, Some(want)) if want == r0 => Outcome::Pass,
            (_, Some(want)) => Outcome::Fail(format!("r0 = {r0:#x}, expected {want:#x}")),
            (_, None) => Outcome::Fail(format!("r0 = {r0:#x}, and the vector gives no result to compare it with")),
        },
    }
}

/// A failure to assemble, validate or run: a pass only if it is exactly the expected error.
fn failed(v: &Vector, f: Failure) -> Outcome {
    match &v.error {
        Some(expected) if !expected.is_empty() && *expected == f.message => Outcome::Pass,
        Some(expected) if !expected.is_empty() => Outcome::Fail(format!("{}; expected the error \"{expected}\"", f.detail)),
        _ => Outcome::Fail(f.detail),
    }
}

pub fn run_file(path: impl AsRef<Path>) -> Outcome {
    let path = path.as_ref();
    match std::fs::read_to_string(path) {
        Err(e) => Outcome::Fail(format!("{}: {e}", path.display())),
        Ok(text) => match parse(&text) {
            Err(e) => Outcome::Fail(format!("parse error: {e}")),
            Ok(v) => run_vector(&v),
        },
    }
}

/// Every `.data` file of `dir`, by file name; an unreadable directory is one failed entry.
pub fn run_dir(dir: impl AsRef<Path>) -> Vec<(String, Outcome)> {
    let dir = dir.as_ref();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return vec![(dir.display().to_string(), Outcome::Fail(format!("cannot read the directory: {e}")))],
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "data") && e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().map(|name| (name.clone(), run_file(dir.join(&name)))).collect()
}
