//! CO-RE ("compile once, run everywhere") relocations: the `struct bpf_core_relo` records clang
//! writes to `.BTF.ext` for `__builtin_preserve_access_index`, `preserve_access_index` structs and
//! the `bpf_core_*` builtins (uapi `linux/bpf.h`, `enum bpf_core_relo_kind`).
//!
//! Parsed apart from loading, as the object's other sections are: [`BtfExt::parse`] reads the
//! `.BTF.ext` header and its three per-ELF-section record tables (func_info, line_info, CO-RE
//! relocations); [`resolve`] reads one relocation against the object's own BTF as libbpf's
//! `bpf_core_parse_spec` does (the access string walked member by member) and formats it as libbpf
//! prints it (`[8] struct foo.b (0:1 @ offset 4)`).
//!
//! Applied at load against a target BTF ([`super::target`]), as libbpf's `relo_core.c` does:
//! [`calc`] finds the candidates (target types of a compatible kind whose essential name, the name
//! without a `___flavor` suffix, is the local one's), matches the local access path in each
//! (members by name through anonymous members, arrays by index, field compatibility), computes the
//! local and target values of the relocation kind (bitfields included), and checks that every
//! matching candidate agrees; [`patch`] writes the target value into the ALU immediate, the
//! load/store offset (adjusting a load's size as libbpf does) or the ld_imm64, after checking the
//! instruction holds the local value. An unresolvable relocation poisons its instruction (a call
//! to helper [`POISON_HELPER`]): dead code loads, a reachable one is refused by the verifier and
//! the loader rewrites that refusal as libbpf rewrites the log.
//!
//! Every offset, count, type id and access string is checked: malformed input is `Err(EINVAL)`
//! naming the section, record and byte offset, never a panic.

use super::btf::{kind_name, Btf, Kind};
use std::collections::HashMap;

use super::btf::{INT_SIGNED, KIND_ENUM, KIND_ENUM64, KIND_FWD, KIND_STRUCT, KIND_UNION};
use super::insn::{Insn, ALU, ALU64, JMP, LD, LDX, ST, STX, X};
use super::target::TargetBtf;
use crate::errno::{Errno, Result, XdpError};

const MAGIC: u16 = 0xeb9f;
/// magic, version, flags, hdr_len, func_info_off/len, line_info_off/len: every `.BTF.ext` has these.
const HEADER_MIN: usize = 24;
/// ... then core_relo_off/len (LLVM 10 and later).
const HEADER_CORE: usize = 32;
/// `sizeof(struct bpf_func_info)`, `sizeof(struct bpf_line_info)`, `sizeof(struct bpf_core_relo)`:
/// the smallest records; a newer producer may write longer ones, read up to these.
const FUNC_INFO_MIN: u32 = 8;
const LINE_INFO_MIN: u32 = 16;
const CORE_RELO_MIN: u32 = 16;
/// BPF_CORE_SPEC_MAX_LEN: the most accessors an access string may hold.
const SPEC_MAX_LEN: usize = 64;

fn ext_err(message: impl Into<String>) -> XdpError {
    XdpError::new(Errno::EINVAL, "bpf_object__open", format!(".BTF.ext: {}", message.into()))
}

fn u32_at(data: &[u8], off: usize) -> Option<u32> {
    let b = data.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The `.BTF.ext` header: where each record table lies, in bytes after the header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtHeader {
    pub hdr_len: u32,
    pub func_info: (u32, u32),
    pub line_info: (u32, u32),
    /// (0, 0) when the header is the older 24-byte one, without CO-RE relocations.
    pub core_relo: (u32, u32),
}

impl ExtHeader {
    pub fn parse(data: &[u8]) -> Result<ExtHeader> {
        if data.len() < 8 {
            return Err(ext_err(format!("section is {} bytes, shorter than the 8-byte header start", data.len())));
        }
        let magic = u16::from_le_bytes([data[0], data[1]]);
        if magic == MAGIC.swap_bytes() {
            return Err(ext_err("big-endian .BTF.ext (magic 0x9feb) in a little-endian object"));
        }
        if magic != MAGIC {
            return Err(ext_err(format!("bad magic {magic:#06x}, expected {MAGIC:#06x}")));
        }
        if data[2] != 1 {
            return Err(ext_err(format!("unsupported version {}", data[2])));
        }
        if data[3] != 0 {
            return Err(ext_err(format!("unsupported flags {:#04x}", data[3])));
        }
        let hdr_len = u32_at(data, 4).unwrap_or(0);
        let len = hdr_len as usize;
        if len < HEADER_MIN || len > data.len() {
            return Err(ext_err(format!("header length {hdr_len} outside {HEADER_MIN}..={}", data.len())));
        }
        if !len.is_multiple_of(4) {
            return Err(ext_err(format!("header length {hdr_len} is not a multiple of 4")));
        }
        // A newer header than ours is only acceptable if what we do not understand is zero.
        if len > HEADER_CORE && data[HEADER_CORE..len].iter().any(|&b| b != 0) {
            return Err(ext_err(format!("header length {hdr_len} carries unknown non-zero fields")));
        }
        let field = |off: usize| if off + 4 <= len { u32_at(data, off).unwrap_or(0) } else { 0 };
        Ok(ExtHeader { hdr_len, func_info: (field(8), field(12)), line_info: (field(16), field(20)), core_relo: (field(24), field(28)) })
    }
}

/// One ELF section's records of a `.BTF.ext` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtSection<T> {
    /// The ELF section the records are about (`xdp`, `.text`, ...).
    pub section: String,
    pub records: Vec<T>,
}

/// `struct bpf_func_info`: the BTF FUNC of the function starting at `insn_off` (bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    pub insn_off: u32,
    pub type_id: u32,
}

/// `struct bpf_line_info`: the source line of the instruction at `insn_off` (bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineInfo {
    pub insn_off: u32,
    pub file_name_off: u32,
    pub line_off: u32,
    pub line_col: u32,
}

/// A source line the verifier log quotes before the instructions it covers (`verbose_linfo`):
/// `; <text> @ <file>:<line>`. `file_name_off` tells two files apart as the kernel does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    pub file_name_off: u32,
    pub line: u32,
    /// The line's text with leading white space dropped.
    pub text: String,
    /// The file name without its directories.
    pub file: String,
}

impl SourceLine {
    /// The record's strings resolved in the object's BTF; None where they do not resolve.
    pub fn resolve(btf: &Btf, rec: &LineInfo) -> Option<SourceLine> {
        let text = btf.string_at(rec.line_off)?;
        let path = btf.string_at(rec.file_name_off)?;
        let file = path.rsplit('/').next().unwrap_or(&path).to_string();
        Some(SourceLine { file_name_off: rec.file_name_off, line: rec.line_col >> 10, text: text.trim_start().to_string(), file })
    }
}

/// `struct bpf_core_relo` as clang writes it: the instruction at `insn_off` (bytes into its ELF
/// section) holds a value computed from the local type `type_id` along `access_str_off` (an offset
/// into `.BTF`'s strings), of the relocation kind `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreReloRecord {
    pub insn_off: u32,
    pub type_id: u32,
    pub access_str_off: u32,
    pub kind: u32,
}

/// A parsed `.BTF.ext`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BtfExt {
    pub header: ExtHeader,
    pub func_info: Vec<ExtSection<FuncInfo>>,
    pub line_info: Vec<ExtSection<LineInfo>>,
    pub core_relos: Vec<ExtSection<CoreReloRecord>>,
}

impl BtfExt {
    /// Parses a raw `.BTF.ext`; section names are offsets into `btf`'s strings.
    pub fn parse(data: &[u8], btf: &Btf) -> Result<BtfExt> {
        let header = ExtHeader::parse(data)?;
        let body = &data[header.hdr_len as usize..];
        let word = |rec: &[u8], i: usize| u32_at(rec, 4 * i).unwrap_or(0);
        Ok(BtfExt {
            header,
            func_info: info_table(body, btf, "func_info", header.func_info, FUNC_INFO_MIN, |r| FuncInfo {
                insn_off: word(r, 0),
                type_id: word(r, 1),
            })?,
            line_info: info_table(body, btf, "line_info", header.line_info, LINE_INFO_MIN, |r| LineInfo {
                insn_off: word(r, 0),
                file_name_off: word(r, 1),
                line_off: word(r, 2),
                line_col: word(r, 3),
            })?,
            core_relos: info_table(body, btf, "core_relo", header.core_relo, CORE_RELO_MIN, |r| CoreReloRecord {
                insn_off: word(r, 0),
                type_id: word(r, 1),
                access_str_off: word(r, 2),
                kind: word(r, 3),
            })?,
        })
    }

    /// Number of CO-RE relocation records, over every section.
    pub fn core_relo_count(&self) -> usize {
        self.core_relos.iter().map(|s| s.records.len()).sum()
    }
}

/// One record table: a record size, then per ELF section `{ sec_name_off, num_info }` and
/// `num_info` records (libbpf's `btf_ext_info_sec`).
fn info_table<T>(
    body: &[u8],
    btf: &Btf,
    what: &str,
    (off, len): (u32, u32),
    min_rec: u32,
    read: impl Fn(&[u8]) -> T,
) -> Result<Vec<ExtSection<T>>> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if off % 4 != 0 {
        return Err(ext_err(format!("{what} table offset {off} is not 4-byte aligned")));
    }
    let (start, size) = (off as usize, len as usize);
    let table = start
        .checked_add(size)
        .and_then(|end| body.get(start..end))
        .ok_or_else(|| ext_err(format!("{what} table at {off}+{len} runs past the {} bytes after the header", body.len())))?;
    let rec_size = u32_at(table, 0).ok_or_else(|| ext_err(format!("{what} table of {len} bytes has no record size")))?;
    if rec_size < min_rec || rec_size % 4 != 0 {
        return Err(ext_err(format!("{what} record size {rec_size} (at least {min_rec}, a multiple of 4)")));
    }
    let rec = rec_size as usize;
    let mut out = Vec::new();
    let mut pos = 4usize;
    while pos < table.len() {
        let (Some(name_off), Some(num)) = (u32_at(table, pos), u32_at(table, pos + 4)) else {
            return Err(ext_err(format!("{what} section header at byte {pos} is cut off by the table's end ({len} bytes)")));
        };
        let section =
            btf.string_at(name_off).ok_or_else(|| ext_err(format!("{what} section name offset {name_off} is not a string of .BTF")))?;
        if section.is_empty() {
            return Err(ext_err(format!("{what} section at byte {pos} has an empty name")));
        }
        if num == 0 {
            return Err(ext_err(format!("{what} section '{section}' has 0 records")));
        }
        let first = pos + 8;
        let end = (num as usize).checked_mul(rec).and_then(|n| n.checked_add(first)).filter(|&e| e <= table.len()).ok_or_else(|| {
            ext_err(format!(
                "{what} section '{section}': {num} records of {rec_size} bytes at byte {first} run past the table's {len} bytes"
            ))
        })?;
        let records = table[first..end].chunks_exact(rec).map(&read).collect();
        out.push(ExtSection { section, records });
        pos = end;
    }
    Ok(out)
}

/// `enum bpf_core_relo_kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoreReloKind {
    FieldByteOffset = 0,
    FieldByteSize = 1,
    FieldExists = 2,
    FieldSigned = 3,
    FieldLshiftU64 = 4,
    FieldRshiftU64 = 5,
    TypeIdLocal = 6,
    TypeIdTarget = 7,
    TypeExists = 8,
    TypeSize = 9,
    EnumvalExists = 10,
    EnumvalValue = 11,
    TypeMatches = 12,
}

impl CoreReloKind {
    pub fn from_raw(raw: u32) -> Option<CoreReloKind> {
        use CoreReloKind::*;
        Some(match raw {
            0 => FieldByteOffset,
            1 => FieldByteSize,
            2 => FieldExists,
            3 => FieldSigned,
            4 => FieldLshiftU64,
            5 => FieldRshiftU64,
            6 => TypeIdLocal,
            7 => TypeIdTarget,
            8 => TypeExists,
            9 => TypeSize,
            10 => EnumvalExists,
            11 => EnumvalValue,
            12 => TypeMatches,
            _ => return None,
        })
    }

    pub fn number(self) -> u32 {
        self as u32
    }

    /// libbpf's name for the kind (`core_relo_kind_str`), as its messages print it in `<...>`.
    pub fn name(self) -> &'static str {
        use CoreReloKind::*;
        match self {
            FieldByteOffset => "byte_off",
            FieldByteSize => "byte_sz",
            FieldExists => "field_exists",
            FieldSigned => "signed",
            FieldLshiftU64 => "lshift_u64",
            FieldRshiftU64 => "rshift_u64",
            TypeIdLocal => "local_type_id",
            TypeIdTarget => "target_type_id",
            TypeExists => "type_exists",
            TypeMatches => "type_matches",
            TypeSize => "type_size",
            EnumvalExists => "enumval_exists",
            EnumvalValue => "enumval_value",
        }
    }

    pub fn is_field_based(self) -> bool {
        self.number() <= 5
    }

    pub fn is_type_based(self) -> bool {
        matches!(self.number(), 6..=9 | 12)
    }

    pub fn is_enumval_based(self) -> bool {
        matches!(self.number(), 10 | 11)
    }
}

/// The helper id libbpf calls in place of an instruction whose relocation failed (0xbad2310,
/// "bad relo"): the verifier refuses it with `invalid func unknown#195896080` if reached.
pub const POISON_HELPER: i32 = 0xbad2310;

/// A CO-RE relocation of a program, as clang recorded it, read against the object's BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreRelo {
    /// The ELF section of the instruction, and the record's index among that section's CO-RE
    /// records (libbpf's `relo #N`).
    pub section: String,
    pub index: usize,
    /// The instruction's index in its ELF section.
    pub sec_insn: usize,
    /// The function holding the instruction and the instruction's index in it: what libbpf's
    /// messages name (it relocates functions before it links them).
    pub func: String,
    pub func_insn: usize,
    /// The instruction's index in the linked program (what `uxdp prog dump` numbers); the object
    /// loader sets it, per program, as it appends subprograms.
    pub insn: usize,
    pub kind: CoreReloKind,
    pub type_id: u32,
    /// The access string as clang wrote it (`0:1`).
    pub access: String,
    /// The relocation's local spec in libbpf's words: `<byte_off> [8] struct foo.b (0:1 @ offset 4)`.
    pub spec: String,
}

impl CoreRelo {
    /// One line: `relo #0 (section 'xdp') at insn #3: <field_exists> [8] struct foo.b (0:1 @ offset 4)`.
    pub fn describe(&self) -> String {
        format!("relo #{} (section '{}') at insn #{}: {}", self.index, self.section, self.insn, self.spec)
    }
}

/// One accessor of a spec (libbpf's `bpf_core_accessor`): a named member (`idx` in the struct or
/// union `type_id`), an array element or the root's index (no name), or an enumerator.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Acc {
    type_id: u32,
    idx: u32,
    name: Option<String>,
}

/// A parsed access string (libbpf's `struct bpf_core_spec`), local or matched in a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The relocation's type, before typedefs and modifiers are skipped.
    root: u32,
    kind: CoreReloKind,
    acc: Vec<Acc>,
    raw: Vec<u32>,
    bit_offset: u64,
}

fn essential(name: &str) -> &str {
    essential_name(name)
}

fn skip(btf: &Btf, id: u32) -> std::result::Result<(u32, &super::btf::Type), String> {
    btf.skip_mods_and_typedefs(id).map_err(|e| e.message.clone())
}

fn size_of(btf: &Btf, id: u32) -> std::result::Result<u64, String> {
    btf.resolve_size(id).map(u64::from).map_err(|e| e.message.clone())
}

fn members(t: &super::btf::Type) -> Option<&[super::btf::Member]> {
    match &t.kind {
        Kind::Struct { members, .. } | Kind::Union { members, .. } => Some(members),
        _ => None,
    }
}

fn enum_values(t: &super::btf::Type) -> Option<&[super::btf::EnumValue]> {
    match &t.kind {
        Kind::Enum { values, .. } | Kind::Enum64 { values, .. } => Some(values),
        _ => None,
    }
}

/// libbpf's `is_flex_arr`: an array of 0 elements that is the last member its accessor names.
fn is_flex_arr(btf: &Btf, prev: Option<&Acc>, nelems: u32) -> bool {
    let Some(prev) = prev else { return false };
    if prev.name.is_none() || nelems > 0 {
        return false;
    }
    btf.type_by_id(prev.type_id).and_then(members).is_some_and(|m| prev.idx as usize + 1 == m.len())
}

/// Reads the access string of a relocation of `kind` rooted at `type_id`, as libbpf's
/// `bpf_core_parse_spec`: type relocations take "0"; enum value relocations the index of an
/// enumerator; field relocations an index into the root (as an array) then member and element
/// indices down to the field (anonymous members leave no accessor). Err is why it is malformed.
fn parse_spec(btf: &Btf, kind: CoreReloKind, type_id: u32, access: &str) -> std::result::Result<Spec, String> {
    if btf.type_by_id(type_id).is_none() {
        return Err(format!("type [{type_id}] does not exist ({} types)", btf.len()));
    }
    let mut spec = Spec { root: type_id, kind, acc: Vec::new(), raw: Vec::new(), bit_offset: 0 };
    for part in access.split(':') {
        let n = part
            .parse::<u32>()
            .ok()
            .filter(|&n| n <= i32::MAX as u32 && !part.starts_with('+'))
            .ok_or_else(|| format!("access string \"{access}\" is not colon-separated indices"))?;
        if spec.raw.len() == SPEC_MAX_LEN {
            return Err(format!("access string \"{access}\" has more than {SPEC_MAX_LEN} indices"));
        }
        spec.raw.push(n);
    }
    if kind.is_type_based() {
        if access != "0" {
            return Err(format!("a type relocation's access string must be \"0\", not \"{access}\""));
        }
        return Ok(spec);
    }
    let (mut id, t) = skip(btf, type_id)?;
    spec.acc.push(Acc { type_id: id, idx: spec.raw[0], name: None });
    if kind.is_enumval_based() {
        let values = enum_values(t).ok_or_else(|| format!("enum value relocation on [{id}], a {}, not an enum", t.kind.name()))?;
        if spec.raw.len() != 1 {
            return Err(format!("enum value relocation with access string \"{access}\" (one index expected)"));
        }
        let v = values
            .get(spec.raw[0] as usize)
            .ok_or_else(|| format!("enumerator index {} past the {} values of [{id}]", spec.raw[0], values.len()))?;
        spec.acc[0].name = Some(v.name.clone());
        return Ok(spec);
    }
    let overflow = || format!("access string \"{access}\": the offset overflows");
    let sz = size_of(btf, id)?;
    spec.bit_offset = (spec.raw[0] as u64).checked_mul(sz * 8).ok_or_else(overflow)?;
    for i in 1..spec.raw.len() {
        let idx = spec.raw[i];
        let (tid, t) = skip(btf, id)?;
        id = tid;
        if let Some(ms) = members(t) {
            let m = ms.get(idx as usize).ok_or_else(|| format!("member index {idx} past the {} members of [{id}] {}", ms.len(), btf.type_name(id)))?;
            spec.bit_offset = spec.bit_offset.checked_add(m.bit_offset as u64).ok_or_else(overflow)?;
            if !m.name.is_empty() {
                spec.acc.push(Acc { type_id: id, idx, name: Some(m.name.clone()) });
            }
            id = m.type_id;
        } else if let Kind::Array { elem, nelems, .. } = t.kind {
            let (eid, _) = skip(btf, elem)?;
            let flex = is_flex_arr(btf, spec.acc.last(), nelems);
            if !flex && idx >= nelems {
                return Err(format!("index {idx} past the {nelems} elements of [{id}] {}", btf.type_name(id)));
            }
            id = eid;
            spec.acc.push(Acc { type_id: id, idx, name: None });
            let esz = size_of(btf, id)?;
            let add = (idx as u64).checked_mul(esz * 8).ok_or_else(overflow)?;
            spec.bit_offset = spec.bit_offset.checked_add(add).ok_or_else(overflow)?;
        } else {
            return Err(format!(
                "index #{i} ({idx}) of \"{access}\" steps into [{id}], a {}, which is neither a struct, a union nor an array",
                t.kind.name()
            ));
        }
    }
    Ok(spec)
}

/// libbpf's `bpf_core_format_spec`: `<relo kind> [id] kind name`, then the field path with its raw indices
/// and offset, or the enumerator.
pub fn format_spec(btf: &Btf, spec: &Spec) -> String {
    format_spec_as(btf, spec, spec.root)
}

/// [`format_spec`] with the root shown as `shown_root` (a trimmed BTF's type by its kernel id).
fn format_spec_as(btf: &Btf, spec: &Spec, shown_root: u32) -> String {
    let t = btf.type_by_id(spec.root);
    let tkind = t.map_or("?".to_string(), |t| kind_name(t.kind.number()).to_ascii_lowercase());
    let name = t.map(|t| t.name.as_str()).filter(|n| !n.is_empty()).unwrap_or("<anon>");
    let mut s = format!("<{}> [{shown_root}] {tkind} {name}", spec.kind.name());
    if spec.kind.is_type_based() {
        return s;
    }
    if spec.kind.is_enumval_based() {
        if let Ok((_, t)) = btf.skip_mods_and_typedefs(spec.root) {
            let signed = matches!(t.kind, Kind::Enum { signed: true, .. } | Kind::Enum64 { signed: true, .. });
            let wide = matches!(t.kind, Kind::Enum64 { .. });
            if let Some(v) = enum_values(t).and_then(|vs| vs.get(spec.raw[0] as usize)) {
                let shown = match (signed, wide) {
                    (true, false) => format!("{}", v.value as i32),
                    (false, false) => format!("{}", v.value as u32),
                    (true, true) => format!("{}", v.value),
                    (false, true) => format!("{}", v.value as u64),
                };
                s.push_str(&format!("::{} = {shown}", v.name));
            }
        }
        return s;
    }
    for (i, a) in spec.acc.iter().enumerate() {
        match &a.name {
            Some(n) => s.push_str(&format!(".{n}")),
            None if i > 0 || a.idx > 0 => s.push_str(&format!("[{}]", a.idx)),
            None => {}
        }
    }
    let raw: Vec<String> = spec.raw.iter().map(u32::to_string).collect();
    let (bytes, bits) = (spec.bit_offset / 8, spec.bit_offset % 8);
    if bits != 0 {
        s.push_str(&format!(" ({} @ offset {bytes}.{bits})", raw.join(":")));
    } else {
        s.push_str(&format!(" ({} @ offset {bytes})", raw.join(":")));
    }
    s
}

/// libbpf's essential name: the name up to a `___flavor` suffix (`xdp_md___local` → `xdp_md`).
pub fn essential_name(name: &str) -> &str {
    let b = name.as_bytes();
    if b.len() >= 5 {
        for i in (0..=b.len() - 5).rev() {
            if b[i] != b'_' && b[i + 1] == b'_' && b[i + 2] == b'_' && b[i + 3] == b'_' && b[i + 4] != b'_' {
                return &name[..i + 1];
            }
        }
    }
    name
}

/// Kinds CO-RE takes as the same: equal, or enum and enum64.
fn kind_compat(a: u8, b: u8) -> bool {
    a == b || (matches!(a, KIND_ENUM | KIND_ENUM64) && matches!(b, KIND_ENUM | KIND_ENUM64))
}

fn is_composite(t: &super::btf::Type) -> bool {
    matches!(t.kind, Kind::Struct { .. } | Kind::Union { .. })
}

/// libbpf's `bpf_core_fields_are_compat`: whether a local field's type can be read as the target's.
fn fields_compat(lb: &Btf, lid: u32, tb: &Btf, tid: u32) -> std::result::Result<bool, String> {
    let (mut lid, mut tid) = (lid, tid);
    for _ in 0..32 {
        let (_, lt) = skip(lb, lid)?;
        let (_, tt) = skip(tb, tid)?;
        if is_composite(lt) && is_composite(tt) {
            return Ok(true);
        }
        if !kind_compat(lt.kind.number(), tt.kind.number()) {
            return Ok(false);
        }
        match (&lt.kind, &tt.kind) {
            (Kind::Ptr { .. }, _) | (Kind::Float { .. }, _) => return Ok(true),
            (Kind::Fwd { .. } | Kind::Enum { .. } | Kind::Enum64 { .. }, _) => {
                let (l, t) = (essential(&lt.name), essential(&tt.name));
                return Ok(l.is_empty() || t.is_empty() || l == t);
            }
            (Kind::Int { bit_offset: lo, .. }, Kind::Int { bit_offset: to, .. }) => return Ok(*lo == 0 && *to == 0),
            (Kind::Array { elem: le, .. }, Kind::Array { elem: te, .. }) => {
                lid = *le;
                tid = *te;
            }
            _ => return Ok(false),
        }
    }
    Err("type chain too deep".into())
}

/// libbpf's `bpf_core_types_are_compat`: the type relocations' (and typed ksyms') check.
pub fn types_compat(lb: &Btf, lid: u32, tb: &Btf, tid: u32) -> std::result::Result<bool, String> {
    types_compat_level(lb, lid, tb, tid, 32, false)
}

/// The same check against a trimmed target BTF (uxdp's shipped one), whose forward declarations
/// stand for structs and unions the kernel defines: a local struct or union matches them.
pub fn types_compat_trimmed(lb: &Btf, lid: u32, tb: &Btf, tid: u32) -> std::result::Result<bool, String> {
    types_compat_level(lb, lid, tb, tid, 32, true)
}

fn types_compat_level(lb: &Btf, lid: u32, tb: &Btf, tid: u32, level: i32, trimmed: bool) -> std::result::Result<bool, String> {
    let kind = |b: &Btf, id: u32| b.type_by_id(id).map(|t| t.kind.number()).ok_or_else(|| format!("type [{id}] does not exist"));
    let compat = |l: u8, t: u8| kind_compat(l, t) || (trimmed && t == KIND_FWD && matches!(l, KIND_STRUCT | KIND_UNION));
    if !compat(kind(lb, lid)?, kind(tb, tid)?) {
        return Ok(false);
    }
    let (mut lid, mut tid) = (lid, tid);
    for _ in 0..32 {
        let (_, lt) = skip(lb, lid)?;
        let (_, tt) = skip(tb, tid)?;
        if !compat(lt.kind.number(), tt.kind.number()) {
            return Ok(false);
        }
        match (&lt.kind, &tt.kind) {
            (Kind::Void | Kind::Struct { .. } | Kind::Union { .. } | Kind::Enum { .. } | Kind::Fwd { .. } | Kind::Enum64 { .. }, _) => {
                return Ok(true)
            }
            (Kind::Int { bit_offset: lo, .. }, Kind::Int { bit_offset: to, .. }) => return Ok(*lo == 0 && *to == 0),
            (Kind::Ptr { target: l }, Kind::Ptr { target: t }) => {
                lid = *l;
                tid = *t;
            }
            (Kind::Array { elem: l, .. }, Kind::Array { elem: t, .. }) => {
                lid = *l;
                tid = *t;
            }
            (Kind::FuncProto { ret: lr, params: lp }, Kind::FuncProto { ret: tr, params: tp }) => {
                if lp.len() != tp.len() {
                    return Ok(false);
                }
                for (l, t) in lp.iter().zip(tp) {
                    if level <= 0 {
                        return Err("type chain too deep".into());
                    }
                    let (l, _) = skip(lb, l.type_id)?;
                    let (t, _) = skip(tb, t.type_id)?;
                    if !types_compat_level(lb, l, tb, t, level - 1, trimmed)? {
                        return Ok(false);
                    }
                }
                lid = skip(lb, *lr)?.0;
                tid = skip(tb, *tr)?.0;
            }
            _ => return Ok(false),
        }
    }
    Err("type chain too deep".into())
}

/// libbpf's `bpf_core_names_match`: an anonymous side matches anything; otherwise the target's
/// name starts with the local essential name.
fn names_match(l: &str, t: &str) -> bool {
    l.is_empty() || t.is_empty() || t.starts_with(essential(l))
}

/// libbpf's `bpf_core_types_match` (`bpf_core_type_matches`): a stricter, recursive comparison.
fn types_match(lb: &Btf, lid: u32, tb: &Btf, tid: u32, behind_ptr: bool, level: i32) -> std::result::Result<bool, String> {
    if level <= 0 {
        return Err("type chain too deep".into());
    }
    let (mut lid, mut tid, mut behind_ptr) = (lid, tid, behind_ptr);
    for _ in 0..32 {
        let (_, lt) = skip(lb, lid)?;
        let (_, tt) = skip(tb, tid)?;
        if !names_match(&lt.name, &tt.name) {
            return Ok(false);
        }
        let (lk, tk) = (lt.kind.number(), tt.kind.number());
        match &lt.kind {
            Kind::Void => return Ok(lk == tk),
            Kind::Fwd { union: lu } => {
                let tf = matches!(tt.kind, Kind::Fwd { union: true });
                return Ok(if behind_ptr {
                    if lk == tk {
                        *lu == tf
                    } else {
                        (tk == KIND_STRUCT && !lu) || (tk == KIND_UNION && *lu)
                    }
                } else {
                    lk == tk && *lu == tf
                });
            }
            Kind::Enum { size: ls, values: lv, .. } | Kind::Enum64 { size: ls, values: lv, .. } => {
                let (Kind::Enum { size: ts, values: tv, .. } | Kind::Enum64 { size: ts, values: tv, .. }) = &tt.kind else {
                    return Ok(false);
                };
                if ls != ts || lv.len() > tv.len() {
                    return Ok(false);
                }
                return Ok(lv.iter().all(|l| tv.iter().any(|t| names_match(&l.name, &t.name))));
            }
            Kind::Struct { members: lm, .. } | Kind::Union { members: lm, .. } => {
                if behind_ptr {
                    if lk == tk {
                        return Ok(true);
                    }
                    let Kind::Fwd { union: tf } = tt.kind else { return Ok(false) };
                    return Ok((lk == KIND_UNION) == tf);
                }
                if lk != tk {
                    return Ok(false);
                }
                let tm = members(tt).unwrap_or(&[]);
                if lm.len() > tm.len() {
                    return Ok(false);
                }
                for l in lm {
                    let mut matched = false;
                    for t in tm {
                        if !names_match(&l.name, &t.name) {
                            continue;
                        }
                        if types_match(lb, l.type_id, tb, t.type_id, behind_ptr, level - 1)? {
                            matched = true;
                            break;
                        }
                    }
                    if !matched {
                        return Ok(false);
                    }
                }
                return Ok(true);
            }
            Kind::Int { size: ls, encoding: le, .. } => {
                let Kind::Int { size: ts, encoding: te, .. } = tt.kind else { return Ok(false) };
                return Ok(*ls == ts && (le & INT_SIGNED) == (te & INT_SIGNED));
            }
            Kind::Ptr { target: l } => {
                let Kind::Ptr { target: t } = tt.kind else { return Ok(false) };
                behind_ptr = true;
                lid = *l;
                tid = t;
            }
            Kind::Array { elem: l, nelems: ln, .. } => {
                let Kind::Array { elem: t, nelems: tn, .. } = tt.kind else { return Ok(false) };
                if *ln != tn {
                    return Ok(false);
                }
                lid = *l;
                tid = t;
            }
            Kind::FuncProto { ret: lr, params: lp } => {
                let Kind::FuncProto { ret: tr, params: tp } = &tt.kind else { return Ok(false) };
                if lp.len() != tp.len() {
                    return Ok(false);
                }
                for (l, t) in lp.iter().zip(tp) {
                    if !types_match(lb, l.type_id, tb, t.type_id, behind_ptr, level - 1)? {
                        return Ok(false);
                    }
                }
                lid = *lr;
                tid = *tr;
            }
            _ => return Ok(false),
        }
    }
    Err("type chain too deep".into())
}

/// A failure to match a candidate (libbpf returns it as an error rather than "no match").
#[derive(Debug)]
struct MatchErr(Errno, #[allow(dead_code)] String);

/// libbpf's `bpf_core_match_member`: finds the local accessor's member by name in the target
/// composite `tid`, descending into anonymous members, and checks the fields are compatible.
fn match_member(lb: &Btf, lacc: &Acc, tb: &Btf, tid: u32, spec: &mut Spec) -> std::result::Result<Option<u32>, MatchErr> {
    let einval = |m: String| MatchErr(Errno::EINVAL, m);
    let lt = lb.type_by_id(lacc.type_id).ok_or_else(|| einval("local type".into()))?;
    let lm = members(lt).and_then(|m| m.get(lacc.idx as usize)).ok_or_else(|| einval("local member".into()))?.clone();
    let (tid, tt) = skip(tb, tid).map_err(einval)?;
    let Some(tms) = members(tt) else { return Ok(None) };
    for (i, m) in tms.iter().enumerate() {
        if spec.raw.len() == SPEC_MAX_LEN {
            return Err(MatchErr(Errno::E2BIG, "too deep".into()));
        }
        spec.bit_offset = spec.bit_offset.wrapping_add(m.bit_offset as u64);
        spec.raw.push(i as u32);
        if m.name.is_empty() {
            if let Some(found) = match_member(lb, lacc, tb, m.type_id, spec)? {
                return Ok(Some(found));
            }
        } else if m.name == lm.name {
            spec.acc.push(Acc { type_id: tid, idx: i as u32, name: Some(m.name.clone()) });
            if fields_compat(lb, lm.type_id, tb, m.type_id).map_err(einval)? {
                return Ok(Some(m.type_id));
            }
            spec.acc.pop();
            // libbpf leaves the speculated raw index and offset in place here: the candidate
            // does not match either way.
            return Ok(None);
        }
        spec.bit_offset = spec.bit_offset.wrapping_sub(m.bit_offset as u64);
        spec.raw.pop();
    }
    Ok(None)
}

/// libbpf's `bpf_core_spec_match`: the local spec matched in the target type `tid`; None when it
/// does not match.
fn spec_match(local: &Spec, lb: &Btf, tb: &Btf, tid: u32) -> std::result::Result<Option<Spec>, MatchErr> {
    let einval = |m: String| MatchErr(Errno::EINVAL, m);
    let mut t = Spec { root: tid, kind: local.kind, acc: Vec::new(), raw: Vec::new(), bit_offset: 0 };
    if local.kind.is_type_based() {
        let ok = if local.kind == CoreReloKind::TypeMatches {
            types_match(lb, local.root, tb, tid, false, 32).map_err(einval)?
        } else {
            types_compat(lb, local.root, tb, tid).map_err(einval)?
        };
        return Ok(ok.then_some(t));
    }
    if local.kind.is_enumval_based() {
        let (eid, et) = skip(tb, tid).map_err(einval)?;
        let Some(values) = enum_values(et) else { return Ok(None) };
        let lname = essential(local.acc[0].name.as_deref().unwrap_or(""));
        for (i, v) in values.iter().enumerate() {
            if essential(&v.name) == lname {
                t.acc.push(Acc { type_id: eid, idx: i as u32, name: Some(v.name.clone()) });
                t.raw.push(i as u32);
                return Ok(Some(t));
            }
        }
        return Ok(None);
    }
    let mut id = tid;
    for (i, la) in local.acc.iter().enumerate() {
        let (tid2, tt) = skip(tb, id).map_err(einval)?;
        id = tid2;
        if la.name.is_some() {
            match match_member(lb, la, tb, id, &mut t)? {
                Some(next) => id = next,
                None => return Ok(None),
            }
        } else {
            if i > 0 {
                let Kind::Array { elem, nelems, .. } = tt.kind else { return Ok(None) };
                let flex = is_flex_arr(tb, t.acc.last(), nelems);
                if !flex && la.idx >= nelems {
                    return Ok(None);
                }
                id = skip(tb, elem).map_err(einval)?.0;
            }
            if t.raw.len() == SPEC_MAX_LEN {
                return Err(MatchErr(Errno::E2BIG, "too deep".into()));
            }
            t.acc.push(Acc { type_id: id, idx: la.idx, name: None });
            t.raw.push(la.idx);
            let sz = tb.resolve_size(id).map_err(|e| MatchErr(e.errno, e.message.clone()))?;
            t.bit_offset = t.bit_offset.wrapping_add((la.idx as u64).wrapping_mul(sz as u64 * 8));
        }
    }
    Ok(Some(t))
}

/// The outcome of one relocation (libbpf's `bpf_core_relo_res`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Res {
    pub orig_val: u64,
    pub new_val: u64,
    pub poison: bool,
    pub validate: bool,
    pub fail_memsz_adjust: bool,
    pub orig_sz: u32,
    pub new_sz: u32,
    orig_type_id: u32,
    new_type_id: u32,
}

/// Why a relocation fails the load: libbpf's errno and its warning lines (without `libbpf: `).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreFail {
    pub errno: Errno,
    pub lines: Vec<String>,
}

enum CalcErr {
    /// EUCLEAN: poison the instruction.
    Poison,
    Fail(Errno, Option<String>),
}

struct FieldVal {
    val: u64,
    sz: u32,
    type_id: u32,
}

fn calc_field(btf: &Btf, r: &CoreRelo, spec: Option<&Spec>, validate: Option<&mut bool>) -> std::result::Result<FieldVal, CalcErr> {
    let fail = |m: Option<String>| CalcErr::Fail(Errno::EINVAL, m);
    let mut out = FieldVal { val: 0, sz: 0, type_id: 0 };
    if r.kind == CoreReloKind::FieldExists {
        out.val = spec.is_some() as u64;
        return Ok(out);
    }
    let Some(spec) = spec else { return Err(CalcErr::Poison) };
    let acc = spec.acc.last().ok_or_else(|| fail(None))?;
    let relo_insn = r.func_insn;
    if acc.name.is_none() {
        let sz = btf.resolve_size(acc.type_id).map_err(|_| fail(None))?;
        match r.kind {
            CoreReloKind::FieldByteOffset => {
                out.val = spec.bit_offset / 8;
                out.sz = sz;
                out.type_id = acc.type_id;
            }
            CoreReloKind::FieldByteSize => out.val = sz as u64,
            _ => {
                return Err(fail(Some(format!("relo {} at insn #{relo_insn} can't be applied to array access", r.kind.number()))));
            }
        }
        if let Some(v) = validate {
            *v = true;
        }
        return Ok(out);
    }
    let t = btf.type_by_id(acc.type_id).ok_or_else(|| fail(None))?;
    let m = members(t).and_then(|m| m.get(acc.idx as usize)).ok_or_else(|| fail(None))?;
    let (field_type_id, mt) = btf.skip_mods_and_typedefs(m.type_id).map_err(|_| fail(None))?;
    let bit_off = spec.bit_offset;
    let mut bit_sz = m.bitfield_size as u64;
    let bitfield = bit_sz > 0;
    let (byte_sz, byte_off);
    if bitfield {
        let mut bs = match mt.kind {
            Kind::Int { size, .. } | Kind::Enum { size, .. } | Kind::Enum64 { size, .. } => size as u64,
            _ => btf.resolve_size(field_type_id).map_err(|_| fail(None))? as u64,
        };
        if bs == 0 {
            return Err(fail(None));
        }
        let mut bo = bit_off / 8 / bs * bs;
        while bit_off.saturating_add(bit_sz) - bo * 8 > bs * 8 {
            if bs >= 8 {
                return Err(CalcErr::Fail(
                    Errno::E2BIG,
                    Some(format!("relo {} at insn #{relo_insn} can't be satisfied for bitfield", r.kind.number())),
                ));
            }
            bs *= 2;
            bo = bit_off / 8 / bs * bs;
        }
        byte_sz = bs;
        byte_off = bo;
    } else {
        byte_sz = btf.resolve_size(field_type_id).map_err(|_| fail(None))? as u64;
        byte_off = spec.bit_offset / 8;
        bit_sz = byte_sz * 8;
    }
    let mut validate = validate;
    if let Some(v) = validate.as_deref_mut() {
        *v = !bitfield;
    }
    match r.kind {
        CoreReloKind::FieldByteOffset => {
            out.val = byte_off;
            if !bitfield {
                out.sz = byte_sz as u32;
                out.type_id = field_type_id;
            }
        }
        CoreReloKind::FieldByteSize => out.val = byte_sz,
        CoreReloKind::FieldSigned => {
            out.val = match mt.kind {
                Kind::Enum { signed, .. } | Kind::Enum64 { signed, .. } => signed as u64,
                Kind::Int { encoding, .. } => (encoding & INT_SIGNED != 0) as u64,
                _ => 0,
            };
            if let Some(v) = validate {
                *v = true;
            }
        }
        CoreReloKind::FieldLshiftU64 => out.val = 64u64.wrapping_sub(bit_off.wrapping_add(bit_sz).wrapping_sub(byte_off * 8)),
        CoreReloKind::FieldRshiftU64 => {
            out.val = 64u64.wrapping_sub(bit_sz);
            if let Some(v) = validate {
                *v = true;
            }
        }
        _ => return Err(CalcErr::Fail(Errno::EOPNOTSUPP, None)),
    }
    Ok(out)
}

fn calc_type(btf: &Btf, kind: CoreReloKind, spec: Option<&Spec>, public_id: &dyn Fn(u32) -> u32) -> std::result::Result<u64, CalcErr> {
    let Some(spec) = spec else { return Ok(0) };
    Ok(match kind {
        CoreReloKind::TypeIdLocal | CoreReloKind::TypeIdTarget => public_id(spec.root) as u64,
        CoreReloKind::TypeExists | CoreReloKind::TypeMatches => 1,
        CoreReloKind::TypeSize => btf.resolve_size(spec.root).map_err(|_| CalcErr::Fail(Errno::EINVAL, None))? as u64,
        _ => return Err(CalcErr::Fail(Errno::EOPNOTSUPP, None)),
    })
}

fn calc_enumval(btf: &Btf, kind: CoreReloKind, spec: Option<&Spec>) -> std::result::Result<u64, CalcErr> {
    match kind {
        CoreReloKind::EnumvalExists => Ok(spec.is_some() as u64),
        CoreReloKind::EnumvalValue => {
            let Some(spec) = spec else { return Err(CalcErr::Poison) };
            let a = &spec.acc[0];
            let t = btf.type_by_id(a.type_id).ok_or(CalcErr::Fail(Errno::EINVAL, None))?;
            let v = enum_values(t).and_then(|v| v.get(a.idx as usize)).ok_or(CalcErr::Fail(Errno::EINVAL, None))?;
            // A 32-bit enumerator is an `__s32` in BTF: libbpf widens it with its sign.
            Ok(match t.kind {
                Kind::Enum { .. } => v.value as i32 as i64 as u64,
                _ => v.value as u64,
            })
        }
        _ => Err(CalcErr::Fail(Errno::EOPNOTSUPP, None)),
    }
}

/// libbpf's `bpf_core_calc_relo`: the local and target values (no target spec: nothing matched).
fn calc_one(lb: &Btf, target: &TargetBtf, r: &CoreRelo, local: &Spec, targ: Option<&Spec>) -> std::result::Result<Res, CoreFail> {
    let mut res = Res { validate: true, ..Res::default() };
    let tb = &target.btf;
    let out: std::result::Result<(), CalcErr> = (|| {
        if r.kind.is_field_based() {
            let mut validate = true;
            let o = calc_field(lb, r, Some(local), Some(&mut validate))?;
            res.validate = validate;
            res.orig_val = o.val;
            res.orig_sz = o.sz;
            res.orig_type_id = o.type_id;
            let n = calc_field(tb, r, targ, None)?;
            res.new_val = n.val;
            res.new_sz = n.sz;
            res.new_type_id = n.type_id;
            if res.orig_sz != res.new_sz {
                let ot = lb.type_by_id(res.orig_type_id).map(|t| &t.kind);
                let nt = tb.type_by_id(res.new_type_id).map(|t| &t.kind);
                let ok = match (ot, nt) {
                    (Some(Kind::Ptr { .. }), Some(Kind::Ptr { .. })) => true,
                    (Some(Kind::Int { encoding: a, .. }), Some(Kind::Int { encoding: b, .. })) => a & INT_SIGNED == 0 && b & INT_SIGNED == 0,
                    _ => false,
                };
                res.fail_memsz_adjust = !ok;
            }
        } else if r.kind.is_type_based() {
            res.orig_val = calc_type(lb, r.kind, Some(local), &|id| id)?;
            res.new_val = calc_type(tb, r.kind, targ, &|id| target.public_id(id))?;
        } else {
            res.orig_val = calc_enumval(lb, r.kind, Some(local))?;
            res.new_val = calc_enumval(tb, r.kind, targ)?;
        }
        Ok(())
    })();
    match out {
        Ok(()) => Ok(res),
        Err(CalcErr::Poison) => {
            res.poison = true;
            Ok(res)
        }
        Err(CalcErr::Fail(errno, line)) => {
            let mut lines: Vec<String> = line.into_iter().map(|l| format!("prog '{}': {l}", r.func)).collect();
            if errno == Errno::EOPNOTSUPP {
                lines.push(format!(
                    "prog '{}': relo #{}: unrecognized CO-RE relocation {} ({}) at insn #{}",
                    r.func,
                    r.index,
                    r.kind.name(),
                    r.kind.number(),
                    r.func_insn
                ));
            }
            Err(CoreFail { errno, lines })
        }
    }
}

/// Candidates and the target spec a relocation resolved to, for `uxdp prog show` and the log.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub res: Res,
    /// The matched target spec, formatted; None when nothing matched.
    pub target_spec: Option<String>,
}

/// libbpf's `bpf_core_calc_relo_insn`: resolves relocation `r` of the object (local BTF `lb`)
/// against `target`. `cands` caches the candidates of each local type.
pub fn calc(lb: &Btf, target: &TargetBtf, r: &CoreRelo, cands: &mut HashMap<u32, Vec<u32>>) -> std::result::Result<Resolved, CoreFail> {
    let fail = |errno: Errno, line: String| CoreFail { errno, lines: vec![format!("prog '{}': relo #{}: {line}", r.func, r.index)] };
    let local = parse_spec(lb, r.kind, r.type_id, &r.access).map_err(|why| {
        let t = lb.type_by_id(r.type_id);
        let name = t.map(|t| t.name.as_str()).filter(|n| !n.is_empty()).unwrap_or("<anon>");
        let kind = t.map_or("?".into(), |t| kind_name(t.kind.number()).to_ascii_lowercase());
        fail(Errno::EINVAL, format!("parsing [{}] {kind} {name} + {} failed: -22 ({why})", r.type_id, r.access))
    })?;
    if r.kind == CoreReloKind::TypeIdLocal {
        let res = Res { orig_val: r.type_id as u64, new_val: r.type_id as u64, validate: true, ..Res::default() };
        return Ok(Resolved { res, target_spec: None });
    }
    let local_t = lb.type_by_id(r.type_id).ok_or_else(|| fail(Errno::EINVAL, "no local type".into()))?;
    if !cands.contains_key(&r.type_id) {
        if local_t.name.is_empty() {
            return Err(fail(
                Errno::EINVAL,
                format!(
                    "target candidate search failed for [{}] {} <anon>: -22",
                    r.type_id,
                    kind_name(local_t.kind.number()).to_ascii_lowercase()
                ),
            ));
        }
        let lk = local_t.kind.number();
        let found: Vec<u32> = target
            .by_essential_name(essential(&local_t.name))
            .iter()
            .copied()
            .filter(|&id| target.btf.type_by_id(id).is_some_and(|t| kind_compat(t.kind.number(), lk)))
            .collect();
        cands.insert(r.type_id, found);
    }
    let list = cands.get(&r.type_id).cloned().unwrap_or_default();
    let mut chosen: Option<(Res, Spec)> = None;
    let mut matched = Vec::new();
    for (i, &cid) in list.iter().enumerate() {
        let cand = match spec_match(&local, lb, &target.btf, cid) {
            Ok(Some(s)) => s,
            Ok(None) => continue,
            Err(MatchErr(errno, _)) => {
                let spec = format_spec(&target.btf, &Spec { root: cid, kind: r.kind, acc: Vec::new(), raw: Vec::new(), bit_offset: 0 });
                return Err(fail(errno, format!("error matching candidate #{i} {spec}: {}", errno.retval())));
            }
        };
        let res = calc_one(lb, target, r, &local, Some(&cand))?;
        match &chosen {
            None => chosen = Some((res, cand)),
            Some((tres, tspec)) => {
                if cand.bit_offset != tspec.bit_offset {
                    return Err(fail(Errno::EINVAL, format!("field offset ambiguity: {} != {}", cand.bit_offset, tspec.bit_offset)));
                }
                if res.poison != tres.poison || res.new_val != tres.new_val {
                    let word = |p: bool| if p { "failure" } else { "success" };
                    return Err(fail(
                        Errno::EINVAL,
                        format!(
                            "relocation decision ambiguity: {} {} != {} {}",
                            word(res.poison),
                            res.new_val,
                            word(tres.poison),
                            tres.new_val
                        ),
                    ));
                }
            }
        }
        matched.push(cid);
    }
    if !matched.is_empty() {
        cands.insert(r.type_id, matched);
    }
    match chosen {
        Some((res, spec)) => Ok(Resolved { res, target_spec: Some(format_spec_as(&target.btf, &spec, target.public_id(spec.root))) }),
        None => Ok(Resolved { res: calc_one(lb, target, r, &local, None)?, target_spec: None }),
    }
}

/// libbpf's `bpf_core_poison_insn`.
fn poison_insn(insn: &mut Insn) {
    *insn = Insn::new(JMP | super::insn::CALL, 0, 0, 0, POISON_HELPER);
}

fn bpf_size_bytes(code: u8) -> u32 {
    match code & 0x18 {
        0x00 => 4,
        0x08 => 2,
        0x10 => 1,
        _ => 8,
    }
}

/// libbpf's `bpf_core_patch_insn`: writes `res` into the instruction at `idx` of `insns` (its
/// index in its function is `r.func_insn`). Err: libbpf's lines and errno.
pub fn patch(insns: &mut [Insn], idx: usize, r: &CoreRelo, res: &Res) -> std::result::Result<(), CoreFail> {
    let n = r.func_insn;
    let pre = format!("prog '{}': relo #{}: ", r.func, r.index);
    let fail = |errno: Errno, line: Option<String>| {
        let mut lines: Vec<String> = line.into_iter().map(|l| format!("{pre}{l}")).collect();
        lines.push(format!("{pre}failed to patch insn #{n}: {}", errno.retval()));
        CoreFail { errno: Errno::EINVAL, lines }
    };
    let Some(&insn) = insns.get(idx) else { return Err(fail(Errno::EINVAL, Some(format!("insn #{n} is past the program's end")))) };
    let poison = |insns: &mut [Insn]| {
        if insns[idx].is_lddw() && idx + 1 < insns.len() {
            poison_insn(&mut insns[idx + 1]);
        }
        poison_insn(&mut insns[idx]);
    };
    if res.poison {
        poison(insns);
        return Ok(());
    }
    let (orig, new) = (res.orig_val, res.new_val);
    match insn.class() {
        ALU | ALU64 => {
            if insn.code & X != 0 {
                return Err(fail(Errno::EINVAL, None));
            }
            if res.validate && insn.imm as i64 as u64 != orig {
                return Err(fail(
                    Errno::EINVAL,
                    Some(format!("unexpected insn #{n} (ALU/ALU64) value: got {}, exp {orig} -> {new}", insn.imm as u32)),
                ));
            }
            insns[idx].imm = new as i32;
        }
        LDX | ST | STX => {
            if res.validate && insn.off as i64 as u64 != orig {
                return Err(fail(
                    Errno::EINVAL,
                    Some(format!("unexpected insn #{n} (LDX/ST/STX) value: got {}, exp {orig} -> {new}", insn.off as i32 as u32)),
                ));
            }
            if new > i16::MAX as u64 {
                return Err(fail(Errno::ERANGE, Some(format!("insn #{n} (LDX/ST/STX) value too big: {new}"))));
            }
            if res.fail_memsz_adjust {
                // libbpf warns, then poisons rather than fails.
                poison(insns);
                return Ok(());
            }
            insns[idx].off = new as i16;
            if res.new_sz != res.orig_sz {
                let have = bpf_size_bytes(insn.code);
                if have != res.orig_sz {
                    return Err(fail(Errno::EINVAL, Some(format!("insn #{n} (LDX/ST/STX) unexpected mem size: got {have}, exp {}", res.orig_sz))));
                }
                let size = match res.new_sz {
                    8 => 0x18,
                    4 => 0x00,
                    2 => 0x08,
                    1 => 0x10,
                    s => return Err(fail(Errno::EINVAL, Some(format!("insn #{n} (LDX/ST/STX) invalid new mem size: {s}")))),
                };
                insns[idx].code = (insn.code & 0xe0) | size | insn.class();
            }
        }
        LD => {
            let second = insns.get(idx + 1).copied();
            let well_formed = insn.is_lddw()
                && insn.src() == 0
                && insn.off == 0
                && second.is_some_and(|s| s.code == 0 && s.regs == 0 && s.off == 0);
            if !well_formed {
                return Err(fail(Errno::EINVAL, Some(format!("insn #{n} (LDIMM64) has unexpected form"))));
            }
            let hi = second.map_or(0, |s| s.imm as u32 as u64);
            let imm = (insn.imm as u32 as u64) | (hi << 32);
            if res.validate && imm != orig {
                return Err(fail(Errno::EINVAL, Some(format!("unexpected insn #{n} (LDIMM64) value: got {imm}, exp {orig} -> {new}"))));
            }
            insns[idx].imm = new as u32 as i32;
            insns[idx + 1].imm = (new >> 32) as u32 as i32;
        }
        _ => {
            return Err(fail(
                Errno::EINVAL,
                Some(format!(
                    "trying to relocate unrecognized insn #{n}, code:{:#x}, src:{:#x}, dst:{:#x}, off:{:#x}, imm:{:#x}",
                    insn.code,
                    insn.src(),
                    insn.dst(),
                    insn.off,
                    insn.imm
                )),
            ))
        }
    }
    Ok(())
}

/// Reads the `index`th CO-RE record of ELF section `section` against the object's BTF: its kind,
/// instruction and local spec. Err (EINVAL) when the record is malformed: unknown kind, misplaced
/// instruction offset, missing type, bad access string. `func`/`func_start` name the function
/// holding the instruction.
pub fn resolve(
    btf: &Btf,
    section: &str,
    index: usize,
    rec: &CoreReloRecord,
    insns: &[Insn],
    func: &str,
    func_start: usize,
) -> Result<CoreRelo> {
    let bad = |msg: String| {
        XdpError::new(
            Errno::EINVAL,
            "bpf_object__open",
            format!(".BTF.ext: CO-RE relocation #{index} of section '{section}' (insn_off {}): {msg}", rec.insn_off),
        )
    };
    let kind = CoreReloKind::from_raw(rec.kind).ok_or_else(|| bad(format!("unknown relocation kind {}", rec.kind)))?;
    if !rec.insn_off.is_multiple_of(8) || rec.insn_off as usize / 8 >= insns.len() {
        return Err(bad(format!("not an instruction of the {}-instruction section", insns.len())));
    }
    let sec_insn = rec.insn_off as usize / 8;
    let access = btf
        .string_at(rec.access_str_off)
        .ok_or_else(|| bad(format!("access string offset {} is not a string of .BTF", rec.access_str_off)))?;
    let spec = parse_spec(btf, kind, rec.type_id, &access).map_err(|m| bad(format!("kind <{}>, access \"{access}\": {m}", kind.name())))?;
    Ok(CoreRelo {
        section: section.to_string(),
        index,
        sec_insn,
        func: func.to_string(),
        func_insn: sec_insn.saturating_sub(func_start),
        insn: sec_insn,
        kind,
        type_id: rec.type_id,
        spec: format_spec(btf, &spec),
        access,
    })
}

/// Applies every relocation of a linked program (`relos`, numbered in `insns`) against `target`,
/// as libbpf's `bpf_object__relocate_core`. Returns what each resolved to, in order.
pub fn relocate(lb: &Btf, target: &TargetBtf, relos: &[CoreRelo], insns: &mut [Insn]) -> std::result::Result<Vec<Resolved>, CoreFail> {
    let mut cands = HashMap::new();
    let mut out = Vec::with_capacity(relos.len());
    for r in relos {
        let mut resolved = calc(lb, target, r, &mut cands).map_err(|mut f| {
            f.lines.push(format!("prog '{}': relo #{}: failed to relocate: {}", r.func, r.index, f.errno.retval()));
            f
        })?;
        if resolved.res.fail_memsz_adjust && matches!(insns.get(r.insn).map(|i| i.class()), Some(LDX | ST | STX)) {
            resolved.res.poison = true;
        }
        patch(insns, r.insn, r, &resolved.res)?;
        out.push(resolved);
    }
    Ok(out)
}

/// The CO-RE relocation whose poisoned instruction is at `pc`: what libbpf's log fix-up names.
pub fn poisoned_at<'a>(relos: &'a [CoreRelo], pc: usize) -> Option<&'a CoreRelo> {
    relos.iter().find(|r| r.insn == pc)
}

/// The lines libbpf writes in place of a reachable poisoned instruction's refusal
/// (`fixup_log_failed_core_relo`).
pub fn poisoned_lines(pc: usize, r: &CoreRelo) -> (String, String) {
    (format!("{pc}: <invalid CO-RE relocation>"), format!("failed to resolve CO-RE relocation {}", r.spec))
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essential_names_drop_the_flavor() {
        assert_eq!(essential_name("xdp_md___local"), "xdp_md");
        assert_eq!(essential_name("__sk_buff___x"), "__sk_buff");
        assert_eq!(essential_name("xdp_md"), "xdp_md");
        assert_eq!(essential_name("a____b"), "a____b"); // four underscores: no X___Y pattern
        assert_eq!(essential_name("x___y___z"), "x___y");
        assert_eq!(essential_name("___"), "___");
    }

    #[test]
    fn kinds_round_trip_with_libbpf_names() {
        for n in 0..13 {
            let k = CoreReloKind::from_raw(n).unwrap();
            assert_eq!(k.number(), n);
            assert_eq!(k.is_field_based() as u8 + k.is_type_based() as u8 + k.is_enumval_based() as u8, 1);
        }
        assert_eq!(CoreReloKind::from_raw(13), None);
        assert_eq!(CoreReloKind::FieldExists.name(), "field_exists");
        assert_eq!(CoreReloKind::EnumvalValue.name(), "enumval_value");
    }

    /// A BTF blob writer for the relocation tests: types in order (ids from 1), names interned.
    #[derive(Default)]
    struct B {
        types: Vec<u8>,
        strs: Vec<u8>,
        n: u32,
    }

    impl B {
        fn new() -> B {
            B { strs: vec![0], ..B::default() }
        }
        fn name(&mut self, s: &str) -> u32 {
            if s.is_empty() {
                return 0;
            }
            let off = self.strs.len() as u32;
            self.strs.extend_from_slice(s.as_bytes());
            self.strs.push(0);
            off
        }
        fn head(&mut self, name: &str, kind: u32, vlen: u32, kflag: bool, size_or_type: u32) -> u32 {
            let n = self.name(name);
            for w in [n, (kind << 24) | vlen | ((kflag as u32) << 31), size_or_type] {
                self.types.extend_from_slice(&w.to_le_bytes());
            }
            self.n += 1;
            self.n
        }
        fn word(&mut self, w: u32) {
            self.types.extend_from_slice(&w.to_le_bytes());
        }
        fn int(&mut self, name: &str, size: u32, signed: bool) -> u32 {
            let id = self.head(name, 1, 0, false, size);
            self.word(((signed as u32) << 24) | (size * 8));
            id
        }
        fn array(&mut self, elem: u32, index: u32, n: u32) -> u32 {
            let id = self.head("", 3, 0, false, 0);
            self.word(elem);
            self.word(index);
            self.word(n);
            id
        }
        /// members: (name, type, bit offset, bitfield size)
        fn composite(&mut self, union: bool, name: &str, size: u32, members: &[(&str, u32, u32, u32)]) -> u32 {
            let kflag = members.iter().any(|m| m.3 != 0);
            let id = self.head(name, if union { 5 } else { 4 }, members.len() as u32, kflag, size);
            for &(n, t, off, bits) in members {
                let n = self.name(n);
                self.word(n);
                self.word(t);
                self.word(if kflag { (bits << 24) | off } else { off });
            }
            id
        }
        fn enum32(&mut self, name: &str, values: &[(&str, i32)]) -> u32 {
            let id = self.head(name, 6, values.len() as u32, false, 4);
            for &(n, v) in values {
                let n = self.name(n);
                self.word(n);
                self.word(v as u32);
            }
            id
        }
        fn enum64(&mut self, name: &str, values: &[(&str, u64)]) -> u32 {
            let id = self.head(name, 19, values.len() as u32, false, 8);
            for &(n, v) in values {
                let n = self.name(n);
                self.word(n);
                self.word(v as u32);
                self.word((v >> 32) as u32);
            }
            id
        }
        fn btf(&self) -> Btf {
            let mut out = Vec::new();
            out.extend_from_slice(&0xeb9fu16.to_le_bytes());
            out.extend_from_slice(&[1, 0]);
            for w in [24u32, 0, self.types.len() as u32, self.types.len() as u32, self.strs.len() as u32] {
                out.extend_from_slice(&w.to_le_bytes());
            }
            out.extend_from_slice(&self.types);
            out.extend_from_slice(&self.strs);
            Btf::parse(&out).unwrap()
        }
    }

    fn relo(local: &Btf, kind: CoreReloKind, type_id: u32, access: &str) -> CoreRelo {
        let spec = parse_spec(local, kind, type_id, access).unwrap();
        CoreRelo {
            section: "xdp".into(),
            index: 0,
            sec_insn: 0,
            func: "prog".into(),
            func_insn: 0,
            insn: 0,
            kind,
            type_id,
            access: access.into(),
            spec: format_spec(local, &spec),
        }
    }

    fn target(b: &B) -> TargetBtf {
        TargetBtf::new("test", b.btf(), None)
    }

    fn value(local: &Btf, t: &TargetBtf, r: &CoreRelo) -> std::result::Result<Res, CoreFail> {
        calc(local, t, r, &mut HashMap::new()).map(|x| x.res)
    }

    const LDX_W: u8 = 0x61;
    const LDX_DW: u8 = 0x79;

    #[test]
    fn field_offsets_follow_names_through_flavors_and_anonymous_members() {
        let mut l = B::new();
        let int = l.int("int", 4, true);
        let s = l.composite(false, "foo___local", 8, &[("b", int, 0, 0), ("a", int, 32, 0)]);
        let local = l.btf();
        let mut t = B::new();
        let int_t = t.int("int", 4, true);
        let long = t.int("long", 8, true);
        let anon = t.composite(true, "", 8, &[("b", int_t, 0, 0), ("x", long, 0, 0)]);
        t.composite(false, "foo", 24, &[("a", int_t, 0, 0), ("pad", long, 64, 0), ("", anon, 128, 0)]);
        let tb = target(&t);
        let r = relo(&local, CoreReloKind::FieldByteOffset, s, "0:0");
        assert_eq!(r.spec, format!("<byte_off> [{s}] struct foo___local.b (0:0 @ offset 0)"));
        let res = value(&local, &tb, &r).unwrap();
        assert_eq!((res.orig_val, res.new_val, res.poison), (0, 16, false));
        // the instruction gets it, its size unchanged
        let mut insns = [Insn::new(LDX_W, 1, 1, 0, 0)];
        patch(&mut insns, 0, &r, &res).unwrap();
        assert_eq!((insns[0].code, insns[0].off), (LDX_W, 16));
        let resolved = calc(&local, &tb, &r, &mut HashMap::new()).unwrap();
        assert_eq!(resolved.target_spec.as_deref(), Some("<byte_off> [4] struct foo.b (0:2:0 @ offset 16)"));
        // existence, size and signedness of the same field; a field the kernel lacks does not exist
        assert_eq!(value(&local, &tb, &relo(&local, CoreReloKind::FieldExists, s, "0:1")).unwrap().new_val, 1);
        assert_eq!(value(&local, &tb, &relo(&local, CoreReloKind::FieldByteSize, s, "0:1")).unwrap().new_val, 4);
        assert_eq!(value(&local, &tb, &relo(&local, CoreReloKind::FieldSigned, s, "0:1")).unwrap().new_val, 1);
    }

    #[test]
    fn a_missing_field_does_not_exist_and_poisons_other_reads() {
        let mut l = B::new();
        let int = l.int("int", 4, false);
        let s = l.composite(false, "foo", 4, &[("gone", int, 0, 0)]);
        let local = l.btf();
        let mut t = B::new();
        let i = t.int("int", 4, false);
        t.composite(false, "foo", 4, &[("here", i, 0, 0)]);
        let tb = target(&t);
        let exists = value(&local, &tb, &relo(&local, CoreReloKind::FieldExists, s, "0:0")).unwrap();
        assert_eq!((exists.orig_val, exists.new_val, exists.poison), (1, 0, false));
        let r = relo(&local, CoreReloKind::FieldByteOffset, s, "0:0");
        let res = value(&local, &tb, &r).unwrap();
        assert!(res.poison);
        let mut insns = [Insn::new(LDX_W, 0, 1, 0, 0)];
        patch(&mut insns, 0, &r, &res).unwrap();
        assert_eq!((insns[0].code, insns[0].imm), (JMP | super::super::insn::CALL, POISON_HELPER));
        // no candidate at all: the same
        let empty = target(&B::new());
        assert!(value(&local, &empty, &r).unwrap().poison);
        assert_eq!(value(&local, &empty, &relo(&local, CoreReloKind::TypeExists, s, "0")).unwrap().new_val, 0);
    }

    #[test]
    fn candidates_that_disagree_are_an_ambiguity_in_libbpfs_words() {
        let mut l = B::new();
        let int = l.int("int", 4, false);
        let s = l.composite(false, "foo", 8, &[("a", int, 0, 0)]);
        let local = l.btf();
        let mut t = B::new();
        let i = t.int("int", 4, false);
        t.composite(false, "foo", 8, &[("a", i, 0, 0)]);
        t.composite(false, "foo___v2", 16, &[("x", i, 0, 0), ("a", i, 32, 0)]);
        let tb = target(&t);
        let e = value(&local, &tb, &relo(&local, CoreReloKind::FieldByteOffset, s, "0:0")).unwrap_err();
        assert_eq!(e.lines, vec!["prog 'prog': relo #0: field offset ambiguity: 32 != 0".to_string()]);
        let e = value(&local, &tb, &relo(&local, CoreReloKind::TypeSize, s, "0")).unwrap_err();
        assert_eq!(e.lines, vec!["prog 'prog': relo #0: relocation decision ambiguity: success 16 != success 8".to_string()]);
        // agreeing candidates are fine
        assert_eq!(value(&local, &tb, &relo(&local, CoreReloKind::TypeExists, s, "0")).unwrap().new_val, 1);
    }

    #[test]
    fn bitfields_give_the_containing_load_and_its_shifts() {
        // struct bf { u8 lo: 4, hi: 4; u32 wide: 20; } locally; the kernel swaps lo and hi
        let mut l = B::new();
        let u8_ = l.int("u8", 1, false);
        let u32_ = l.int("u32", 4, false);
        let s = l.composite(false, "bf", 8, &[("lo", u8_, 0, 4), ("hi", u8_, 4, 4), ("wide", u32_, 8, 20)]);
        let local = l.btf();
        let mut t = B::new();
        let tu8 = t.int("u8", 1, false);
        let tu32 = t.int("u32", 4, false);
        t.composite(false, "bf", 8, &[("hi", tu8, 0, 4), ("lo", tu8, 4, 4), ("wide", tu32, 8, 20)]);
        let tb = target(&t);
        let v = |k, a| value(&local, &tb, &relo(&local, k, s, a)).unwrap().new_val;
        use CoreReloKind::*;
        assert_eq!([v(FieldByteOffset, "0:0"), v(FieldByteSize, "0:0"), v(FieldLshiftU64, "0:0"), v(FieldRshiftU64, "0:0")], [0, 1, 56, 60]);
        assert_eq!([v(FieldByteOffset, "0:1"), v(FieldByteSize, "0:1"), v(FieldLshiftU64, "0:1"), v(FieldRshiftU64, "0:1")], [0, 1, 60, 60]);
        // 20 bits from bit 8 of a u32: one 4-byte load at 0, shifted left 36, right 44
        assert_eq!([v(FieldByteOffset, "0:2"), v(FieldByteSize, "0:2"), v(FieldLshiftU64, "0:2"), v(FieldRshiftU64, "0:2")], [0, 4, 36, 44]);
        // a bitfield's offset is not validated against the instruction (clang may disagree)
        let r = relo(&local, FieldByteOffset, s, "0:1");
        assert!(!value(&local, &tb, &r).unwrap().validate);
    }

    #[test]
    fn loads_are_resized_for_unsigned_fields_and_poisoned_for_signed_ones() {
        let mut l = B::new();
        let u64_ = l.int("u64", 8, false);
        let s64 = l.int("s64", 8, true);
        let s = l.composite(false, "hdr", 16, &[("addr", u64_, 0, 0), ("len", s64, 64, 0)]);
        let local = l.btf();
        let mut t = B::new();
        let u32_ = t.int("u32", 4, false);
        let u16_ = t.int("u16", 2, false);
        t.composite(false, "hdr", 8, &[("len", u16_, 0, 0), ("addr", u32_, 32, 0)]);
        let tb = target(&t);
        let r = relo(&local, CoreReloKind::FieldByteOffset, s, "0:0");
        let res = value(&local, &tb, &r).unwrap();
        let mut insns = [Insn::new(LDX_DW, 0, 1, 0, 0)];
        patch(&mut insns, 0, &r, &res).unwrap();
        assert_eq!((insns[0].code, insns[0].off), (LDX_W, 4));
        let r = relo(&local, CoreReloKind::FieldByteOffset, s, "0:1");
        let mut insns = [Insn::new(LDX_DW, 0, 1, 8, 0)];
        let res = value(&local, &tb, &r).unwrap();
        assert!(res.fail_memsz_adjust);
        patch(&mut insns, 0, &r, &res).unwrap();
        assert_eq!(insns[0].imm, POISON_HELPER);
        // an instruction not holding the local value is libbpf's "unexpected insn"
        let r = relo(&local, CoreReloKind::FieldByteOffset, s, "0:0");
        let mut insns = [Insn::new(0xb7, 0, 0, 0, 3)];
        let e = patch(&mut insns, 0, &r, &value(&local, &tb, &r).unwrap()).unwrap_err();
        assert_eq!(
            e.lines,
            vec![
                "prog 'prog': relo #0: unexpected insn #0 (ALU/ALU64) value: got 3, exp 0 -> 4".to_string(),
                "prog 'prog': relo #0: failed to patch insn #0: -22".to_string()
            ]
        );
    }

    #[test]
    fn enum_values_by_essential_name_enum64_into_ld_imm64_and_poisoned_when_missing() {
        let mut l = B::new();
        let e = l.enum32("act___local", &[("XDP_TX___local", 9), ("XDP_NOPE___local", 1)]);
        let e64 = l.enum64("ctx", &[("USER", 1)]);
        let local = l.btf();
        let mut t = B::new();
        t.enum32("act", &[("XDP_ABORTED", 0), ("XDP_TX", 3)]);
        t.enum64("ctx", &[("KERNEL", 0xffff_ffff_ffff_ff80), ("USER", 0xffff_ffff_ffff_fe00)]);
        let tb = target(&t);
        let r = relo(&local, CoreReloKind::EnumvalValue, e, "0");
        assert_eq!(r.spec, format!("<enumval_value> [{e}] enum act___local::XDP_TX___local = 9"));
        assert_eq!(value(&local, &tb, &r).unwrap().new_val, 3);
        assert_eq!(value(&local, &tb, &relo(&local, CoreReloKind::EnumvalExists, e, "1")).unwrap().new_val, 0);
        let r = relo(&local, CoreReloKind::EnumvalValue, e64, "0");
        let res = value(&local, &tb, &r).unwrap();
        let mut insns = [Insn::new(0x18, 1, 0, 0, 1), Insn::new(0, 0, 0, 0, 0)];
        patch(&mut insns, 0, &r, &res).unwrap();
        assert_eq!((insns[0].imm as u32, insns[1].imm as u32), (0xffff_fe00, 0xffff_ffff));
        // a missing enumerator's value poisons both halves of the ld_imm64
        let r = relo(&local, CoreReloKind::EnumvalValue, e, "1");
        let res = value(&local, &tb, &r).unwrap();
        let mut insns = [Insn::new(0x18, 1, 0, 0, 1), Insn::new(0, 0, 0, 0, 0)];
        patch(&mut insns, 0, &r, &res).unwrap();
        assert_eq!((insns[0].imm, insns[1].imm), (POISON_HELPER, POISON_HELPER));
    }

    #[test]
    fn types_exist_match_and_size_through_typedefs_and_arrays() {
        let mut l = B::new();
        let u32_ = l.int("unsigned int", 4, false);
        let td = l.head("u32", 8, 0, false, u32_);
        let arr = l.array(u32_, u32_, 4);
        let s = l.composite(false, "thing", 16, &[("v", arr, 0, 0)]);
        let sig = l.composite(false, "thing___signed", 4, &[("v", u32_, 0, 0)]);
        let local = l.btf();
        let mut t = B::new();
        let tu = t.int("unsigned int", 4, false);
        t.head("u32", 8, 0, false, tu);
        let tarr = t.array(tu, tu, 4);
        t.composite(false, "thing", 16, &[("v", tarr, 0, 0)]);
        let tb = target(&t);
        let v = |k, id| value(&local, &tb, &relo(&local, k, id, "0")).unwrap().new_val;
        assert_eq!(v(CoreReloKind::TypeExists, td), 1);
        assert_eq!(v(CoreReloKind::TypeSize, td), 4);
        assert_eq!(v(CoreReloKind::TypeSize, s), 16);
        assert_eq!(v(CoreReloKind::TypeMatches, s), 1);
        assert_eq!(v(CoreReloKind::TypeIdTarget, s), 4);
        assert_eq!(v(CoreReloKind::TypeIdLocal, s), s as u64);
        // thing___signed's v is an unsigned int, not an array: exists (compatible root), no match
        assert_eq!(v(CoreReloKind::TypeExists, sig), 1);
        assert_eq!(v(CoreReloKind::TypeMatches, sig), 0);
        // array element access: offset and size, existence refused
        let r = relo(&local, CoreReloKind::FieldByteOffset, s, "0:0:3");
        assert_eq!(value(&local, &tb, &r).unwrap().new_val, 12);
        let e = value(&local, &tb, &relo(&local, CoreReloKind::FieldSigned, s, "0:0:3")).unwrap_err();
        assert_eq!(e.lines[0], "prog 'prog': relo 3 at insn #0 can't be applied to array access");
    }
}
