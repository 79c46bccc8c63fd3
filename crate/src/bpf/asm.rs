//! The assembler for the uBPF / bpf_conformance text dialect, and the reader of `-- raw` sections.
//!
//! One instruction per line: `mov32 %r0, 0`, `add %r1, %r2` (no suffix or `64` = ALU64, `32` = ALU),
//! `ldxh %r3, [%r1+12]`, `stw [%r10-4], 1`, `stxdw [%r10-8], %r1`, `lddw %r0, 0x1122334455667788`,
//! `jeq %r1, 2, +3`, `jne32 %r1, %r2, label`, `ja label`, `ja32 label` (gotol), `call 5`,
//! `call local label`, `call %r2` / `callx %r2`, `lock [fetch] add32 [%r10-8], %r1`, `exit`.
//! `name:` defines a label (also in front of an instruction), `#` starts a comment.
//!
//! Beyond the vectors' dialect: `call helper N`, `call kfunc N` / `call runtime N` (BPF_PSEUDO_KFUNC_CALL),
//! `call bpf_map_lookup_elem` (a helper by its uapi name), `ldabs{b,h,w,dw} imm`,
//! `ldind{b,h,w,dw} %rS, imm`, and `.raw 0x...` (one instruction as a 64-bit word, the way `-- raw`
//! writes it), which lets [`super::disasm::disassemble`] round-trip encodings the dialect has no words for.

use super::insn::*;
use std::collections::HashMap;
use std::fmt;

/// Why a source was refused, with the 1-based line it was found on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for AsmError {}

/// Assembles a program. Jumps and `call local` may name a label defined anywhere in the source; the
/// target `exit` also means the first `exit` instruction when no label of that name exists, because
/// the conformance vectors jump to it that way (`jslt %r1, %r2, exit`).
pub fn assemble(src: &str) -> Result<Vec<Insn>, AsmError> {
    let mut out: Vec<Insn> = Vec::new();
    let mut labels: HashMap<&str, usize> = HashMap::new();
    let mut first_exit = None;
    let mut fixups = Vec::new();
    let mut last_line = 0;
    for (n, raw) in src.lines().enumerate() {
        let line = n + 1;
        last_line = line;
        let fail = |message: String| AsmError { line, message };
        let mut text = strip_comment(raw).trim();
        while let Some((name, rest)) = split_label(text).map_err(fail)? {
            if labels.insert(name, out.len()).is_some() {
                return Err(fail(format!("Duplicate label: {name}")));
            }
            text = rest.trim_start();
        }
        if text.is_empty() {
            continue;
        }
        let stmt = statement(text).map_err(fail)?;
        if first_exit.is_none() && stmt.insns[0].code == JMP | EXIT {
            first_exit = Some(out.len());
        }
        if let Some((label, field)) = stmt.label {
            fixups.push((out.len(), line, label, field));
        }
        out.extend(stmt.insns);
    }
    if out.is_empty() {
        return Err(AsmError { line: last_line.max(1), message: "Empty program: no instructions".into() });
    }
    for (at, line, label, field) in fixups {
        let target = labels
            .get(label)
            .copied()
            .or(if label == "exit" { first_exit } else { None })
            .ok_or_else(|| AsmError { line, message: format!("Invalid label: {label}") })?;
        let rel = target as i64 - at as i64 - 1;
        field.store(&mut out[at], rel).map_err(|m| AsmError { line, message: format!("{m} (to label {label})") })?;
    }
    Ok(out)
}

/// Reads a `-- raw` section: per line either one 64-bit word whose least significant byte is the opcode
/// (`0x5566778800000018`, as lddw.data writes it) or the 8 bytes of one instruction in memory order
/// (`18 00 00 00 88 77 66 55`, as the negative vectors write them). `#` starts a comment.
pub fn assemble_raw(words: &str) -> Result<Vec<Insn>, AsmError> {
    let mut out = Vec::new();
    let mut last_line = 0;
    for (n, raw) in words.lines().enumerate() {
        let line = n + 1;
        last_line = line;
        let fields: Vec<&str> = strip_comment(raw).split_whitespace().collect();
        let insn = match fields.len() {
            0 => continue,
            1 => raw_word(fields[0]),
            8 => raw_bytes(&fields),
            k => Err(format!("Expected one 64-bit hex word or 8 hex bytes, found {k} fields")),
        };
        out.push(insn.map_err(|message| AsmError { line, message })?);
    }
    if out.is_empty() {
        return Err(AsmError { line: last_line.max(1), message: "Empty program: no instructions".into() });
    }
    Ok(out)
}

/// One line's encoding when it needs no label, for the disassembler's exactness check.
pub(crate) fn assemble_line(text: &str) -> Option<Vec<Insn>> {
    match statement(text) {
        Ok(Statement { insns, label: None }) => Some(insns),
        _ => None,
    }
}

/// The 64-bit form of one instruction, as `-- raw` and `.raw` write it.
pub fn raw_word_of(insn: &Insn) -> u64 {
    u64::from_le_bytes(insn.to_bytes())
}

type Res<T> = Result<T, String>;

/// Where a label's relative distance goes: the 16-bit offset of a jump, or the 32-bit imm of
/// `ja32` (gotol) and `call local`.
#[derive(Clone, Copy, Debug)]
enum Field {
    Off,
    Imm,
}

impl Field {
    fn store(self, insn: &mut Insn, rel: i64) -> Res<()> {
        match self {
            Field::Off => insn.off = i16::try_from(rel).map_err(|_| format!("Jump offset {rel} does not fit in 16 bits"))?,
            Field::Imm => insn.imm = i32::try_from(rel).map_err(|_| format!("Jump offset {rel} does not fit in 32 bits"))?,
        }
        Ok(())
    }
}

struct Statement<'a> {
    /// One instruction, or two for `lddw`.
    insns: Vec<Insn>,
    label: Option<(&'a str, Field)>,
}

impl Statement<'_> {
    fn one(insn: Insn) -> Self {
        Statement { insns: vec![insn], label: None }
    }
}

fn strip_comment(line: &str) -> &str {
    line.split('#').next().unwrap_or("")
}

/// Splits a leading `name:`. No instruction contains a colon, so one that does not follow a label
/// name is a typo worth reporting rather than an operand.
fn split_label(text: &str) -> Res<Option<(&str, &str)>> {
    let Some(colon) = text.find(':') else { return Ok(None) };
    let name = text[..colon].trim();
    if !is_ident(name) {
        return Err(format!("Invalid label definition: {}", &text[..=colon]));
    }
    Ok(Some((name, &text[colon + 1..])))
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '.')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    }
}

fn operands(text: &str) -> Res<Vec<&str>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let ops: Vec<&str> = text.split(',').map(str::trim).collect();
    if ops.iter().any(|o| o.is_empty()) {
        return Err(format!("Invalid operand list: {text}"));
    }
    Ok(ops)
}

fn count<'a, const N: usize>(mnemonic: &str, ops: &[&'a str]) -> Res<[&'a str; N]> {
    <[&str; N]>::try_from(ops).map_err(|_| format!("Invalid number of operands for {mnemonic}: expected {N}, found {}", ops.len()))
}

fn statement(text: &str) -> Res<Statement<'_>> {
    let (mnemonic, rest) = split_word(text);
    match mnemonic {
        "lock" => return atomic(rest).map(Statement::one),
        "call" => return call(rest),
        ".raw" => {
            let [w] = count::<1>(mnemonic, &operands(rest)?)?;
            return raw_word(w).map(Statement::one);
        }
        _ => {}
    }
    let ops = operands(rest)?;
    let m = mnemonic;
    if m == "exit" {
        count::<0>(m, &ops)?;
        return Ok(Statement::one(Insn::new(JMP | EXIT, 0, 0, 0, 0)));
    }
    if m == "callx" {
        let [r] = count::<1>(m, &ops)?;
        return Ok(Statement::one(Insn::new(JMP | CALL | X, reg(r)?, 0, 0, 0)));
    }
    if m == "ja" || m == "ja32" {
        let [t] = count::<1>(m, &ops)?;
        let (code, field) = if m == "ja" { (JMP | JA, Field::Off) } else { (JMP32 | JA, Field::Imm) };
        return jump(Insn::new(code, 0, 0, 0, 0), t, field);
    }
    if m == "lddw" {
        let [d, v] = count::<2>(m, &ops)?;
        let v = imm64(v)?;
        return Ok(Statement {
            insns: vec![Insn::new(LD | DW | IMM, reg(d)?, 0, 0, v as i32), Insn::new(0, 0, 0, 0, (v >> 32) as i32)],
            label: None,
        });
    }
    if let Some(insn) = endian(m) {
        let [d] = count::<1>(m, &ops)?;
        return Ok(Statement::one(Insn { regs: reg(d)?, ..insn }));
    }
    if let Some(rest) = m.strip_prefix("movsx") {
        let (bits, class) = match rest {
            "832" => (8, ALU),
            "864" => (8, ALU64),
            "1632" => (16, ALU),
            "1664" => (16, ALU64),
            "3264" => (32, ALU64),
            _ => return Err(format!("Invalid mnemonic: {m}")),
        };
        let [d, s] = count::<2>(m, &ops)?;
        return Ok(Statement::one(Insn::new(class | MOV | X, reg(d)?, reg(s)?, bits, 0)));
    }
    if let Some(rest) = m.strip_prefix("ldx") {
        let (mode, size) = match rest.strip_prefix('s').and_then(size_of_suffix) {
            Some(size) if size != DW => (MEMSX, size),
            _ => (MEM, size_of_suffix(rest).ok_or_else(|| format!("Invalid mnemonic: {m}"))?),
        };
        let [d, addr] = count::<2>(m, &ops)?;
        let (s, off) = memory(addr)?;
        return Ok(Statement::one(Insn::new(LDX | mode | size, reg(d)?, s, off, 0)));
    }
    if let Some(size) = m.strip_prefix("stx").and_then(size_of_suffix) {
        let [addr, s] = count::<2>(m, &ops)?;
        let (d, off) = memory(addr)?;
        return Ok(Statement::one(Insn::new(STX | MEM | size, d, reg(s)?, off, 0)));
    }
    if let Some(size) = m.strip_prefix("st").and_then(size_of_suffix) {
        let [addr, v] = count::<2>(m, &ops)?;
        let (d, off) = memory(addr)?;
        return Ok(Statement::one(Insn::new(ST | MEM | size, d, 0, off, imm32(v)?)));
    }
    if let Some(size) = m.strip_prefix("ldabs").and_then(size_of_suffix) {
        let [v] = count::<1>(m, &ops)?;
        return Ok(Statement::one(Insn::new(LD | ABS | size, 0, 0, 0, imm32(v)?)));
    }
    if let Some(size) = m.strip_prefix("ldind").and_then(size_of_suffix) {
        let [s, v] = count::<2>(m, &ops)?;
        return Ok(Statement::one(Insn::new(LD | IND | size, 0, reg(s)?, 0, imm32(v)?)));
    }
    let (base, class32) = match m.strip_suffix("32") {
        Some(base) => (base, true),
        None => (m.strip_suffix("64").unwrap_or(m), false),
    };
    if let Some(op) = jump_op(base) {
        if m.ends_with("64") {
            return Err(format!("Invalid mnemonic: {m}"));
        }
        let [d, src, t] = count::<3>(m, &ops)?;
        let class = if class32 { JMP32 } else { JMP };
        let insn = with_source(Insn::new(class | op, reg(d)?, 0, 0, 0), src)?;
        return jump(insn, t, Field::Off);
    }
    let class = if class32 { ALU } else { ALU64 };
    if base == "neg" {
        let [d] = count::<1>(m, &ops)?;
        return Ok(Statement::one(Insn::new(class | NEG, reg(d)?, 0, 0, 0)));
    }
    if let Some((op, off)) = alu_op(base) {
        let [d, src] = count::<2>(m, &ops)?;
        return with_source(Insn::new(class | op, reg(d)?, 0, off, 0), src).map(Statement::one);
    }
    Err(format!("Invalid mnemonic: {m}"))
}

/// `lock [fetch] op[32] [%rD+off], %rS`: STX|ATOMIC with the operation in imm.
fn atomic(rest: &str) -> Res<Insn> {
    let arity = || "Invalid number of operands for lock".to_string();
    let (first, after) = split_word(rest);
    let (fetch, name, after) = if first == "fetch" {
        let (name, after) = split_word(after);
        (true, name, after)
    } else {
        (false, first, after)
    };
    if name.is_empty() {
        return Err(arity());
    }
    let (base, size) = match name.strip_suffix("32") {
        Some(base) => (base, W),
        None => (name.strip_suffix("64").unwrap_or(name), DW),
    };
    let fetch_bit = if fetch { ATOMIC_FETCH } else { 0 };
    let imm = match base {
        "add" => ADD as i32 | fetch_bit,
        "and" => AND as i32 | fetch_bit,
        "or" => OR as i32 | fetch_bit,
        "xor" => XOR as i32 | fetch_bit,
        // Both always return the old value, so `fetch` is implied and allowed.
        "xchg" => ATOMIC_XCHG,
        "cmpxchg" => ATOMIC_CMPXCHG,
        _ => return Err(format!("Invalid atomic operation: lock {name}")),
    };
    let [addr, s] = <[&str; 2]>::try_from(operands(after)?.as_slice()).map_err(|_| arity())?;
    let (d, off) = memory(addr)?;
    Ok(Insn::new(STX | ATOMIC | size, d, reg(s)?, off, imm))
}

fn call(rest: &str) -> Res<Statement<'_>> {
    let (mode, after) = split_word(rest);
    let (mode, target) = match mode {
        "local" | "helper" | "kfunc" | "runtime" => (mode, after),
        _ => ("", rest),
    };
    let [t] = count::<1>("call", &operands(target)?)?;
    match mode {
        "local" => jump(Insn::new(JMP | CALL, 0, PSEUDO_CALL, 0, 0), t, Field::Imm),
        "helper" => Ok(Statement::one(Insn::new(JMP | CALL, 0, 0, 0, imm32(t)?))),
        "kfunc" | "runtime" => Ok(Statement::one(Insn::new(JMP | CALL, 0, PSEUDO_KFUNC_CALL, 0, imm32(t)?))),
        _ if t.starts_with('%') => Ok(Statement::one(Insn::new(JMP | CALL | X, reg(t)?, 0, 0, 0))),
        _ if is_ident(t) => {
            let id = super::disasm::helper_id(t)
                .ok_or_else(|| format!("Invalid call target: {t} (not a helper name; `call local {t}` calls a label)"))?;
            Ok(Statement::one(Insn::new(JMP | CALL, 0, 0, 0, id)))
        }
        _ => Ok(Statement::one(Insn::new(JMP | CALL, 0, 0, 0, imm32(t)?))),
    }
}

/// Fills a jump's distance: `+N`/`-N` now, a label once all labels are known.
fn jump(mut insn: Insn, target: &str, field: Field) -> Res<Statement<'_>> {
    if target.starts_with(['+', '-']) {
        let (v, _) = number(target).ok_or_else(|| format!("Invalid jump offset: {target}"))?;
        let v = i64::try_from(v).map_err(|_| format!("Invalid jump offset: {target} is out of range"))?;
        field.store(&mut insn, v).map_err(|m| format!("Invalid jump offset: {target}: {m}"))?;
        return Ok(Statement::one(insn));
    }
    if !is_ident(target) {
        return Err(format!("Invalid jump target: {target} (expected +N, -N or a label)"));
    }
    Ok(Statement { insns: vec![insn], label: Some((target, field)) })
}

/// The second operand of an ALU or conditional-jump instruction: a register (BPF_X) or an imm (BPF_K).
fn with_source(mut insn: Insn, src: &str) -> Res<Insn> {
    if src.starts_with('%') {
        insn.code |= X;
        insn.regs |= reg(src)? << 4;
    } else {
        insn.imm = imm32(src)?;
    }
    Ok(insn)
}

fn endian(m: &str) -> Option<Insn> {
    let (code, bits) = if let Some(b) = m.strip_prefix("le") {
        (ALU | END | TO_LE, b)
    } else if let Some(b) = m.strip_prefix("be") {
        (ALU | END | TO_BE, b)
    } else if let Some(b) = m.strip_prefix("bswap").or_else(|| m.strip_prefix("swap")) {
        // RFC 9669's unconditional byte swap: END under ALU64.
        (ALU64 | END, b)
    } else {
        return None;
    };
    let bits = match bits {
        "16" => 16,
        "32" => 32,
        "64" => 64,
        _ => return None,
    };
    Some(Insn::new(code, 0, 0, 0, bits))
}

fn size_of_suffix(s: &str) -> Option<u8> {
    match s {
        "b" => Some(B),
        "h" => Some(H),
        "w" => Some(W),
        "dw" => Some(DW),
        _ => None,
    }
}

fn jump_op(name: &str) -> Option<u8> {
    Some(match name {
        "jeq" => JEQ,
        "jgt" => JGT,
        "jge" => JGE,
        "jset" => JSET,
        "jne" => JNE,
        "jsgt" => JSGT,
        "jsge" => JSGE,
        "jlt" => JLT,
        "jle" => JLE,
        "jslt" => JSLT,
        "jsle" => JSLE,
        _ => return None,
    })
}

/// The ALU operation and its `off` field: signed division and modulo are DIV/MOD with off = 1.
fn alu_op(name: &str) -> Option<(u8, i16)> {
    Some(match name {
        "add" => (ADD, 0),
        "sub" => (SUB, 0),
        "mul" => (MUL, 0),
        "div" => (DIV, 0),
        "sdiv" => (DIV, 1),
        "or" => (OR, 0),
        "and" => (AND, 0),
        "lsh" => (LSH, 0),
        "rsh" => (RSH, 0),
        "mod" => (MOD, 0),
        "smod" => (MOD, 1),
        "xor" => (XOR, 0),
        "mov" => (MOV, 0),
        "arsh" => (ARSH, 0),
        _ => return None,
    })
}

/// `%r0` … `%r10`; the encoding has room for r11–r15, which no program may name.
fn reg(s: &str) -> Res<u8> {
    let bad = || format!("Invalid register: {s}");
    let digits = s.strip_prefix("%r").ok_or_else(bad)?;
    if digits.is_empty()
        || digits.len() > 2
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() == 2 && digits.starts_with('0'))
    {
        return Err(bad());
    }
    match digits.parse::<u8>() {
        Ok(r) if r <= 10 => Ok(r),
        _ => Err(bad()),
    }
}

/// `[%rN]`, `[%rN+off]`, `[%rN-off]` (spaces allowed inside), the offset within i16.
fn memory(s: &str) -> Res<(u8, i16)> {
    let inner = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .ok_or_else(|| format!("Invalid memory operand: {s} (expected [%rN+offset])"))?;
    let inner: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
    let (r, off) = match inner.find(['+', '-']) {
        Some(i) => (&inner[..i], &inner[i..]),
        None => (inner.as_str(), "+0"),
    };
    let r = reg(r)?;
    let (v, _) = number(off).ok_or_else(|| format!("Invalid offset: {off}"))?;
    let off = i16::try_from(v).map_err(|_| format!("Invalid offset: {off} is out of 16-bit range"))?;
    Ok((r, off))
}

/// A 32-bit imm: decimal within i32, hex up to 0xffffffff (its bit pattern), so `0xfffffffe` is -2
/// but decimal 2147483648 and 0x100000000 are refused as the vectors require.
fn imm32(s: &str) -> Res<i32> {
    let (v, hex) = number(s).ok_or_else(|| format!("Invalid immediate: {s}"))?;
    let max = if hex { u32::MAX as i128 } else { i32::MAX as i128 };
    if v < i32::MIN as i128 || v > max {
        return Err(format!("Invalid immediate: {s} is out of 32-bit range"));
    }
    Ok(v as i32)
}

/// lddw's imm: anything from i64::MIN to u64::MAX, as its 64-bit pattern.
fn imm64(s: &str) -> Res<u64> {
    let (v, _) = number(s).ok_or_else(|| format!("Invalid immediate: {s}"))?;
    if v < i64::MIN as i128 || v > u64::MAX as i128 {
        return Err(format!("Invalid immediate: {s} is out of 64-bit range"));
    }
    Ok(v as u64)
}

/// An optionally signed decimal or `0x` hex literal, and whether it was hex.
fn number(s: &str) -> Option<(i128, bool)> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(h) => (16, h),
        None => (10, body),
    };
    // from_str_radix would take a second sign; the check keeps `--1` and `+-1` out.
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mag = i128::try_from(u128::from_str_radix(digits, radix).ok()?).ok()?;
    Some((if neg { -mag } else { mag }, radix == 16))
}

fn raw_word(s: &str) -> Res<Insn> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("Invalid raw instruction word: {s}"));
    }
    let w = u64::from_str_radix(digits, 16).map_err(|_| format!("Invalid raw instruction word: {s}"))?;
    Ok(Insn::from_bytes(&w.to_le_bytes()))
}

fn raw_bytes(fields: &[&str]) -> Res<Insn> {
    let mut b = [0u8; 8];
    for (slot, f) in b.iter_mut().zip(fields) {
        let digits = f.strip_prefix("0x").or_else(|| f.strip_prefix("0X")).unwrap_or(f);
        if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("Invalid raw byte: {f}"));
        }
        *slot = u8::from_str_radix(digits, 16).map_err(|_| format!("Invalid raw byte: {f}"))?;
    }
    Ok(Insn::from_bytes(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Insn {
        let p = assemble(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(p.len(), 1, "{src}");
        p[0]
    }

    fn refused(src: &str) -> String {
        assemble(src).expect_err(src).message
    }

    #[test]
    fn alu_forms_and_widths() {
        assert_eq!(one("add32 %r0, 1"), Insn::new(0x04, 0, 0, 0, 1));
        assert_eq!(one("add %r0, %r1"), Insn::new(0x0f, 0, 1, 0, 0));
        assert_eq!(one("add64 %r0, %r1"), Insn::new(0x0f, 0, 1, 0, 0));
        assert_eq!(one("mov %r1, 0xfffffffe"), Insn::new(0xb7, 1, 0, 0, -2));
        assert_eq!(one("mov32 %r0, -2147483648"), Insn::new(0xb4, 0, 0, 0, i32::MIN));
        assert_eq!(one("sdiv32 %r0, %r1"), Insn::new(0x3c, 0, 1, 1, 0));
        assert_eq!(one("smod %r0, 3"), Insn::new(0x97, 0, 0, 1, 3));
        assert_eq!(one("neg32 %r3"), Insn::new(0x84, 3, 0, 0, 0));
        assert_eq!(one("movsx1664 %r8, %r7"), Insn::new(0xbf, 8, 7, 16, 0));
        assert_eq!(one("movsx832 %r2, %r1"), Insn::new(0xbc, 2, 1, 8, 0));
        assert_eq!(one("be16 %r9"), Insn::new(0xdc, 9, 0, 0, 16));
        assert_eq!(one("le64 %r0"), Insn::new(0xd4, 0, 0, 0, 64));
        assert_eq!(one("swap32 %r0"), Insn::new(0xd7, 0, 0, 0, 32));
        assert_eq!(one("bswap16 %r0"), Insn::new(0xd7, 0, 0, 0, 16));
    }

    #[test]
    fn memory_forms() {
        assert_eq!(one("ldxh %r3, [%r1+12]"), Insn::new(0x69, 3, 1, 12, 0));
        assert_eq!(one("ldxsw %r0, [%r10-4]"), Insn::new(0x81, 0, 10, -4, 0));
        assert_eq!(one("ldxb %r0, [%r1 + 0x2]"), Insn::new(0x71, 0, 1, 2, 0));
        assert_eq!(one("stxdw [%r1], %r2"), Insn::new(0x7b, 1, 2, 0, 0));
        assert_eq!(one("sth [%r10-2], 0x8001"), Insn::new(0x6a, 10, 0, -2, 0x8001));
        assert_eq!(one("ldxdw %r0, [%r1-32768]").off, i16::MIN);
        assert_eq!(one("ldabsh 12"), Insn::new(0x28, 0, 0, 0, 12));
        assert_eq!(one("ldindb %r2, 3"), Insn::new(0x50, 0, 2, 0, 3));
    }

    #[test]
    fn atomics() {
        assert_eq!(one("lock add [%r10-8], %r1"), Insn::new(0xdb, 10, 1, -8, 0));
        assert_eq!(one("lock add32 [%r10-8], %r1"), Insn::new(0xc3, 10, 1, -8, 0));
        assert_eq!(one("lock fetch xor32 [%r10-4], %r3"), Insn::new(0xc3, 10, 3, -4, 0xa1));
        assert_eq!(one("lock xchg [%r10-8], %r1"), Insn::new(0xdb, 10, 1, -8, 0xe1));
        assert_eq!(one("lock cmpxchg32 [%r10-8], %r1"), Insn::new(0xc3, 10, 1, -8, 0xf1));
        assert!(refused("lock").contains("Invalid number of operands for lock"));
        assert!(refused("lock or [%r10-8]").contains("Invalid number of operands for lock"));
        assert!(refused("lock fetch").contains("Invalid number of operands for lock"));
        assert!(refused("lock sub [%r10-8], %r1").contains("Invalid atomic operation"));
    }

    #[test]
    fn jumps_labels_and_calls() {
        let p = assemble("start:\n  jeq %r1, 2, +3\njne32 %r1, %r2, end\nja start\nja32 end\ncall local start\nend: exit").unwrap();
        assert_eq!(p[0], Insn::new(0x15, 1, 0, 3, 2));
        assert_eq!(p[1], Insn::new(0x5e, 1, 2, 3, 0));
        assert_eq!(p[2], Insn::new(0x05, 0, 0, -3, 0));
        assert_eq!(p[3], Insn::new(0x06, 0, 0, 0, 1));
        assert_eq!(p[4], Insn::new(0x85, 0, PSEUDO_CALL, 0, -5));
        assert_eq!(one("call 5"), Insn::new(0x85, 0, 0, 0, 5));
        assert_eq!(one("call %r2"), Insn::new(0x8d, 2, 0, 0, 0));
        assert_eq!(one("callx %r2"), Insn::new(0x8d, 2, 0, 0, 0));
        assert_eq!(one("call kfunc 1234"), Insn::new(0x85, 0, PSEUDO_KFUNC_CALL, 0, 1234));
        assert_eq!(one("call bpf_map_lookup_elem"), Insn::new(0x85, 0, 0, 0, 1));
        assert_eq!(one("ja -1"), Insn::new(0x05, 0, 0, -1, 0));
    }

    #[test]
    fn exit_is_a_target_even_without_a_label() {
        let p = assemble("jslt %r1, 3, exit\nmov %r0, 1\nexit\nexit").unwrap();
        assert_eq!(p[0].off, 1);
        let p = assemble("jslt %r1, 3, exit\nexit\nexit: exit").unwrap();
        assert_eq!(p[0].off, 1, "an explicit label wins over the first exit");
    }

    #[test]
    fn lddw_takes_two_slots_for_labels() {
        let p = assemble("lddw %r0, -1\nja +0\nlddw %r1, 0x1122334455667788\nja back\nback: exit").unwrap();
        assert_eq!(p.len(), 7);
        assert_eq!((p[0].imm, p[1].imm), (-1, -1));
        assert_eq!((p[3].imm as u32, p[4].imm as u32), (0x55667788, 0x11223344));
        assert_eq!(p[5].off, 0);
    }

    #[test]
    fn refusals() {
        assert!(refused("mov32 %r0, 2147483648").contains("out of 32-bit range"));
        assert!(refused("mov32 %r0, 0x100000000").contains("out of 32-bit range"));
        assert!(refused("mov32 %r0, -2147483649").contains("out of 32-bit range"));
        assert!(refused("ldxb %r0, [%r1+0x10000]").contains("16-bit"));
        assert!(refused("ldxb %r0, %r1").contains("Invalid memory operand"));
        assert!(refused("ldxq %r0, %r1").contains("Invalid mnemonic: ldxq"));
        assert!(refused("ja NOT_A_LABEL\nexit").contains("Invalid label: NOT_A_LABEL"));
        assert!(refused("lddw %r0").contains("Invalid number of operands for lddw"));
        assert!(refused("or %r0, %r50").contains("Invalid register: %r50"));
        assert!(refused("or %r0, %r11").contains("Invalid register"));
        assert!(refused("ja +32768").contains("16 bits"));
        assert!(refused("a:\na:\nexit").contains("Duplicate label"));
        assert!(refused("movsx3232 %r0, %r1").contains("Invalid mnemonic"));
        assert!(refused("ldxsdw %r0, [%r1]").contains("Invalid mnemonic"));
        assert!(refused("jeq64 %r0, 1, +1").contains("Invalid mnemonic"));
        assert!(refused("add %r0, 1,").contains("Invalid operand list"));
        assert!(refused("call foo").contains("Invalid call target"));
        assert!(refused("# nothing\n").contains("Empty program"));
        let e = assemble("exit\n\nfoo bar").unwrap_err();
        assert_eq!(e.to_string(), "line 3: Invalid mnemonic: foo");
    }

    #[test]
    fn raw_words_and_bytes() {
        let p = assemble_raw("0x5566778800000018\n0x1122334400000000\n95 00 00 00 00 00 00 00\n").unwrap();
        assert_eq!(p, assemble("lddw %r0, 0x1122334455667788\nexit").unwrap());
        assert_eq!(raw_word_of(&p[0]), 0x5566778800000018);
        assert!(assemble_raw("0x1 0x2").is_err());
        assert!(assemble_raw("0x11223344556677889").is_err());
        assert!(assemble_raw("").is_err());
    }
}
