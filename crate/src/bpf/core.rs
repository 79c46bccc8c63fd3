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
//! uxdp does not apply CO-RE relocations yet: that takes the running kernel's BTF as the target,
//! as libbpf's `relo_core.c` does. Until it does, a relocated instruction would run with clang's
//! *local* value, and that is only right when the kernel's value is certain to be the same.
//! [`resolve`] marks every relocation with whether it is: the one case uxdp accepts is a field
//! byte offset (`BPF_CORE_FIELD_BYTE_OFFSET`) whose root is one of a few uapi structs with a fixed
//! layout ([`UAPI_STRUCTS`]), every member on its access path having the uapi name, offset, size
//! and kind. Every other relocation is marked unsupported and the loader refuses its program
//! (EOPNOTSUPP).
//!
//! Every offset, count, type id and access string is checked: malformed input is `Err(EINVAL)`
//! naming the section, record and byte offset, never a panic.

use super::btf::{kind_name, Btf, Kind};
use super::insn::{Insn, ALU, ALU64, LD, LDX, ST, STX, X};
use crate::errno::{Errno, Result, XdpError};
use crate::xdp;

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

/// A CO-RE relocation of a program, resolved against the object's BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreRelo {
    /// The ELF section of the instruction, and the record's index among that section's CO-RE
    /// records (libbpf's `relo #N`).
    pub section: String,
    pub index: usize,
    /// The instruction's index in its ELF section.
    pub sec_insn: usize,
    /// The instruction's index in the linked program (what `uxdp prog dump` numbers); the object
    /// loader sets it, per program, as it appends subprograms.
    pub insn: usize,
    pub kind: CoreReloKind,
    pub type_id: u32,
    /// The access string as clang wrote it (`0:1`).
    pub access: String,
    /// The relocation's target in libbpf's words: `[8] struct foo.b (0:1 @ offset 4)`.
    pub spec: String,
    /// None when uxdp is sure the kernel's value is clang's local one (the instruction runs as
    /// is); otherwise why not, and the program is refused at load.
    pub unsupported: Option<String>,
}

impl CoreRelo {
    /// One line: `relo #0 (section 'xdp') at insn #3: kind <field_exists> (2), spec is [8] struct foo.b (0:1 @ offset 4)`.
    pub fn describe(&self) -> String {
        format!(
            "relo #{} (section '{}') at insn #{}: kind <{}> ({}), spec is {}",
            self.index,
            self.section,
            self.insn,
            self.kind.name(),
            self.kind.number(),
            self.spec
        )
    }

    /// Why a load refuses the program, when it does: the relocation, and that uxdp does not
    /// apply CO-RE relocations yet.
    pub fn refusal(&self) -> Option<String> {
        let why = self.unsupported.as_ref()?;
        Some(format!("{}: uxdp does not apply CO-RE relocations yet, and {why}", self.describe()))
    }
}

/// One step of an access string past the root.
#[derive(Clone, Debug)]
enum Step {
    /// A member of a struct or union (anonymous when `name` is empty), at `bit_offset` in it.
    Member { name: String, bit_offset: u32, bitfield: bool, type_id: u32 },
    /// Element `index` of an array.
    Elem { index: u32 },
}

/// A parsed access string: libbpf's `struct bpf_core_spec`, in the parts uxdp needs.
#[derive(Clone, Debug)]
struct Spec {
    raw: Vec<u32>,
    steps: Vec<Step>,
    bit_offset: u64,
    /// For enum value relocations: the enumerator's name and value, as libbpf prints it.
    enumval: Option<String>,
}

/// Reads the access string of a relocation of `kind` rooted at `type_id`, as libbpf's
/// `bpf_core_parse_spec`: type relocations take "0"; enum value relocations the index of an
/// enumerator; field relocations an index into the root (as an array) then member and element
/// indices down to the field. Err is why the record is malformed.
fn parse_spec(btf: &Btf, kind: CoreReloKind, type_id: u32, access: &str) -> std::result::Result<Spec, String> {
    if btf.type_by_id(type_id).is_none() {
        return Err(format!("type [{type_id}] does not exist ({} types)", btf.len()));
    }
    let mut spec = Spec { raw: Vec::new(), steps: Vec::new(), bit_offset: 0, enumval: None };
    if kind.is_type_based() {
        if access != "0" {
            return Err(format!("a type relocation's access string must be \"0\", not \"{access}\""));
        }
        spec.raw.push(0);
        return Ok(spec);
    }
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
    let (root, t) = btf.skip_mods_and_typedefs(type_id).map_err(|e| e.message.clone())?;
    if kind.is_enumval_based() {
        let (values, signed) = match &t.kind {
            Kind::Enum { values, signed, .. } | Kind::Enum64 { values, signed, .. } => (values, *signed),
            k => return Err(format!("enum value relocation on [{root}], a {}, not an enum", k.name())),
        };
        if spec.raw.len() != 1 {
            return Err(format!("enum value relocation with access string \"{access}\" (one index expected)"));
        }
        let v = values
            .get(spec.raw[0] as usize)
            .ok_or_else(|| format!("enumerator index {} past the {} values of [{root}]", spec.raw[0], values.len()))?;
        spec.enumval = Some(if signed { format!("::{} = {}", v.name, v.value) } else { format!("::{} = {}", v.name, v.value as u64) });
        return Ok(spec);
    }
    let size = btf.resolve_size(root).map_err(|e| e.message.clone())?;
    let overflow = || format!("access string \"{access}\": the offset overflows");
    spec.bit_offset = (spec.raw[0] as u64).checked_mul(size as u64 * 8).ok_or_else(overflow)?;
    let mut cur = root;
    // Whether the last step was the last member of its struct (an array there may be flexible).
    let mut last_member = false;
    for (i, &idx) in spec.raw.iter().enumerate().skip(1) {
        let (id, t) = btf.skip_mods_and_typedefs(cur).map_err(|e| e.message.clone())?;
        match &t.kind {
            Kind::Struct { members, .. } | Kind::Union { members, .. } => {
                let m = members
                    .get(idx as usize)
                    .ok_or_else(|| format!("member index {idx} past the {} members of [{id}] {}", members.len(), btf.type_name(id)))?;
                spec.bit_offset = spec.bit_offset.checked_add(m.bit_offset as u64).ok_or_else(overflow)?;
                last_member = idx as usize + 1 == members.len();
                spec.steps.push(Step::Member {
                    name: m.name.clone(),
                    bit_offset: m.bit_offset,
                    bitfield: m.bitfield_size != 0,
                    type_id: m.type_id,
                });
                cur = m.type_id;
            }
            Kind::Array { elem, nelems, .. } => {
                let flex = *nelems == 0 && last_member;
                if !flex && idx >= *nelems {
                    return Err(format!("index {idx} past the {nelems} elements of [{id}] {}", btf.type_name(id)));
                }
                let esize = btf.resolve_size(*elem).map_err(|e| e.message.clone())?;
                let add = (idx as u64).checked_mul(esize as u64 * 8).ok_or_else(overflow)?;
                spec.bit_offset = spec.bit_offset.checked_add(add).ok_or_else(overflow)?;
                spec.steps.push(Step::Elem { index: idx });
                last_member = false;
                cur = *elem;
            }
            k => {
                return Err(format!(
                    "index #{i} ({idx}) of \"{access}\" steps into [{id}], a {}, which is neither a struct, a union nor an array",
                    k.name()
                ))
            }
        }
    }
    Ok(spec)
}

/// libbpf's `bpf_core_format_spec`: `[id] kind name`, then the field path with its raw indices
/// and offset, or the enumerator.
fn format_spec(btf: &Btf, kind: CoreReloKind, type_id: u32, spec: &Spec) -> String {
    let t = btf.type_by_id(type_id);
    let tkind = t.map_or("?", |t| kind_name(t.kind.number()));
    let name = t.map(|t| t.name.as_str()).filter(|n| !n.is_empty()).unwrap_or("<anon>");
    let mut s = format!("[{type_id}] {} {name}", tkind.to_ascii_lowercase());
    if kind.is_type_based() {
        return s;
    }
    if let Some(e) = &spec.enumval {
        s.push_str(e);
        return s;
    }
    if spec.raw.first().is_some_and(|&r| r > 0) {
        s.push_str(&format!("[{}]", spec.raw[0]));
    }
    for step in &spec.steps {
        match step {
            Step::Member { name, .. } if !name.is_empty() => s.push_str(&format!(".{name}")),
            Step::Member { .. } => {}
            Step::Elem { index } => s.push_str(&format!("[{index}]")),
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

// ---------------------------------------------------------------------------------------------
// The uapi structs whose layout the kernel cannot change.

/// What a uapi member is, as far as libbpf's field compatibility check (`bpf_core_fields_are_compat`)
/// and the offset arithmetic care.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// An integer (of the member's size; not a bitfield).
    Int,
    /// A pointer (`__bpf_md_ptr` members).
    Ptr,
    /// An array of `n` integers of `elem` bytes each.
    Array { elem: u32, n: u32 },
    /// A struct or union, its members listed in turn.
    Composite(&'static UapiStruct),
}

#[derive(Clone, Copy, Debug)]
pub struct UapiMember {
    pub name: &'static str,
    /// Byte offset from the start of the enclosing [`UapiStruct`], through anonymous members.
    pub offset: u32,
    pub size: u32,
    pub shape: Shape,
}

/// A uapi struct (or a named member's struct or union inside one) with the layout Linux 6.18's
/// uapi headers give it. Members are listed as libbpf finds them by name: members of anonymous
/// structs and unions appear in their parent, at their offset from its start. Bitfields are left
/// out: their relocations compute offsets differently.
#[derive(Debug)]
pub struct UapiStruct {
    /// Empty for the anonymous structs and unions reached through a named member.
    pub name: &'static str,
    pub size: u32,
    pub members: &'static [UapiMember],
}

const fn m(name: &'static str, offset: u32, size: u32, shape: Shape) -> UapiMember {
    UapiMember { name, offset, size, shape }
}

use Shape::{Array, Composite, Int, Ptr};

/// `struct xdp_md` (uapi `linux/bpf.h`): the XDP context, laid out as the XDP contract says.
const XDP_MD: UapiStruct = UapiStruct {
    name: "xdp_md",
    size: xdp::XDP_MD_SIZE as u32,
    members: &[
        m("data", xdp::XDP_MD_DATA as u32, 4, Int),
        m("data_end", xdp::XDP_MD_DATA_END as u32, 4, Int),
        m("data_meta", xdp::XDP_MD_DATA_META as u32, 4, Int),
        m("ingress_ifindex", xdp::XDP_MD_INGRESS_IFINDEX as u32, 4, Int),
        m("rx_queue_index", xdp::XDP_MD_RX_QUEUE_INDEX as u32, 4, Int),
        m("egress_ifindex", xdp::XDP_MD_EGRESS_IFINDEX as u32, 4, Int),
    ],
};

/// `struct __sk_buff` (uapi `linux/bpf.h`): the tc and socket-filter context. `flow_keys` and `sk`
/// are `__bpf_md_ptr` unions of a pointer and 8 bytes of padding.
const SK_BUFF: UapiStruct = UapiStruct {
    name: "__sk_buff",
    size: 192,
    members: &[
        m("len", 0, 4, Int),
        m("pkt_type", 4, 4, Int),
        m("mark", 8, 4, Int),
        m("queue_mapping", 12, 4, Int),
        m("protocol", 16, 4, Int),
        m("vlan_present", 20, 4, Int),
        m("vlan_tci", 24, 4, Int),
        m("vlan_proto", 28, 4, Int),
        m("priority", 32, 4, Int),
        m("ingress_ifindex", 36, 4, Int),
        m("ifindex", 40, 4, Int),
        m("tc_index", 44, 4, Int),
        m("cb", 48, 20, Array { elem: 4, n: 5 }),
        m("hash", 68, 4, Int),
        m("tc_classid", 72, 4, Int),
        m("data", 76, 4, Int),
        m("data_end", 80, 4, Int),
        m("napi_id", 84, 4, Int),
        m("family", 88, 4, Int),
        m("remote_ip4", 92, 4, Int),
        m("local_ip4", 96, 4, Int),
        m("remote_ip6", 100, 16, Array { elem: 4, n: 4 }),
        m("local_ip6", 116, 16, Array { elem: 4, n: 4 }),
        m("remote_port", 132, 4, Int),
        m("local_port", 136, 4, Int),
        m("data_meta", 140, 4, Int),
        m("flow_keys", 144, 8, Ptr),
        m("tstamp", 152, 8, Int),
        m("wire_len", 160, 4, Int),
        m("gso_segs", 164, 4, Int),
        m("sk", 168, 8, Ptr),
        m("gso_size", 176, 4, Int),
        m("tstamp_type", 180, 1, Int),
        m("hwtstamp", 184, 8, Int),
    ],
};

/// `struct bpf_sock` (uapi `linux/bpf.h`): what `skb->sk` and the socket lookup helpers give.
const BPF_SOCK: UapiStruct = UapiStruct {
    name: "bpf_sock",
    size: 80,
    members: &[
        m("bound_dev_if", 0, 4, Int),
        m("family", 4, 4, Int),
        m("type", 8, 4, Int),
        m("protocol", 12, 4, Int),
        m("mark", 16, 4, Int),
        m("priority", 20, 4, Int),
        m("src_ip4", 24, 4, Int),
        m("src_ip6", 28, 16, Array { elem: 4, n: 4 }),
        m("src_port", 44, 4, Int),
        m("dst_port", 48, 2, Int),
        m("dst_ip4", 52, 4, Int),
        m("dst_ip6", 56, 16, Array { elem: 4, n: 4 }),
        m("state", 72, 4, Int),
        m("rx_queue_mapping", 76, 4, Int),
    ],
};

const SOCK_TUPLE_V4: UapiStruct = UapiStruct {
    name: "",
    size: 12,
    members: &[m("saddr", 0, 4, Int), m("daddr", 4, 4, Int), m("sport", 8, 2, Int), m("dport", 10, 2, Int)],
};

const SOCK_TUPLE_V6: UapiStruct = UapiStruct {
    name: "",
    size: 36,
    members: &[
        m("saddr", 0, 16, Array { elem: 4, n: 4 }),
        m("daddr", 16, 16, Array { elem: 4, n: 4 }),
        m("sport", 32, 2, Int),
        m("dport", 34, 2, Int),
    ],
};

/// `struct bpf_sock_tuple` (uapi `linux/bpf.h`): the socket lookup helpers' key.
const BPF_SOCK_TUPLE: UapiStruct = UapiStruct {
    name: "bpf_sock_tuple",
    size: 36,
    members: &[m("ipv4", 0, 12, Composite(&SOCK_TUPLE_V4)), m("ipv6", 0, 36, Composite(&SOCK_TUPLE_V6))],
};

/// `struct ethhdr` (uapi `linux/if_ether.h`, packed): the Ethernet header.
const ETHHDR: UapiStruct = UapiStruct {
    name: "ethhdr",
    size: 14,
    members: &[m("h_dest", 0, 6, Array { elem: 1, n: 6 }), m("h_source", 6, 6, Array { elem: 1, n: 6 }), m("h_proto", 12, 2, Int)],
};

const IP_ADDRS: UapiStruct = UapiStruct { name: "", size: 8, members: &[m("saddr", 0, 4, Int), m("daddr", 4, 4, Int)] };

/// `struct iphdr` (uapi `linux/ip.h`): `saddr`/`daddr` sit in a `__struct_group` (an anonymous
/// union of an anonymous struct and `addrs`) since 5.19, at the same offsets as before; `ihl` and
/// `version` are bitfields.
const IPHDR: UapiStruct = UapiStruct {
    name: "iphdr",
    size: 20,
    members: &[
        m("tos", 1, 1, Int),
        m("tot_len", 2, 2, Int),
        m("id", 4, 2, Int),
        m("frag_off", 6, 2, Int),
        m("ttl", 8, 1, Int),
        m("protocol", 9, 1, Int),
        m("check", 10, 2, Int),
        m("saddr", 12, 4, Int),
        m("daddr", 16, 4, Int),
        m("addrs", 12, 8, Composite(&IP_ADDRS)),
    ],
};

const IN6_U: UapiStruct = UapiStruct {
    name: "",
    size: 16,
    members: &[
        m("u6_addr8", 0, 16, Array { elem: 1, n: 16 }),
        m("u6_addr16", 0, 16, Array { elem: 2, n: 8 }),
        m("u6_addr32", 0, 16, Array { elem: 4, n: 4 }),
    ],
};

/// `struct in6_addr` (uapi `linux/in6.h`).
const IN6_ADDR: UapiStruct = UapiStruct { name: "in6_addr", size: 16, members: &[m("in6_u", 0, 16, Composite(&IN6_U))] };

const IP6_ADDRS: UapiStruct =
    UapiStruct { name: "", size: 32, members: &[m("saddr", 0, 16, Composite(&IN6_ADDR)), m("daddr", 16, 16, Composite(&IN6_ADDR))] };

/// `struct ipv6hdr` (uapi `linux/ipv6.h`): the addresses in a `__struct_group` as in `iphdr`;
/// `priority` and `version` are bitfields.
const IPV6HDR: UapiStruct = UapiStruct {
    name: "ipv6hdr",
    size: 40,
    members: &[
        m("flow_lbl", 1, 3, Array { elem: 1, n: 3 }),
        m("payload_len", 4, 2, Int),
        m("nexthdr", 6, 1, Int),
        m("hop_limit", 7, 1, Int),
        m("saddr", 8, 16, Composite(&IN6_ADDR)),
        m("daddr", 24, 16, Composite(&IN6_ADDR)),
        m("addrs", 8, 32, Composite(&IP6_ADDRS)),
    ],
};

/// `struct udphdr` (uapi `linux/udp.h`).
const UDPHDR: UapiStruct = UapiStruct {
    name: "udphdr",
    size: 8,
    members: &[m("source", 0, 2, Int), m("dest", 2, 2, Int), m("len", 4, 2, Int), m("check", 6, 2, Int)],
};

/// `struct tcphdr` (uapi `linux/tcp.h`); the flag and data-offset bitfields are left out.
const TCPHDR: UapiStruct = UapiStruct {
    name: "tcphdr",
    size: 20,
    members: &[
        m("source", 0, 2, Int),
        m("dest", 2, 2, Int),
        m("seq", 4, 4, Int),
        m("ack_seq", 8, 4, Int),
        m("window", 14, 2, Int),
        m("check", 16, 2, Int),
        m("urg_ptr", 18, 2, Int),
    ],
};

/// The roots uxdp trusts a field byte offset relocation into. Two reasons make their layout the
/// kernel's for good: the BPF context and helper structs are uapi ABI (fields are only ever
/// appended, never moved: a program built against old headers keeps working), and the packet
/// headers are wire formats. The members are Linux 6.18's (the reference kernel); a member a
/// newer header adds is not here, and its relocation is refused.
pub const UAPI_STRUCTS: &[&UapiStruct] =
    &[&XDP_MD, &SK_BUFF, &BPF_SOCK, &BPF_SOCK_TUPLE, &ETHHDR, &IPHDR, &IPV6HDR, &IN6_ADDR, &UDPHDR, &TCPHDR];

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

/// Whether a field byte offset relocation is one the kernel gives clang's local value to: Ok with
/// the local byte offset, or Err with why uxdp cannot be sure.
fn uapi_byte_offset(btf: &Btf, type_id: u32, spec: &Spec) -> std::result::Result<u64, String> {
    let root = btf.type_by_id(type_id).ok_or("no root type")?;
    let table = match &root.kind {
        Kind::Struct { size, .. } => {
            let ess = essential_name(&root.name);
            let table = UAPI_STRUCTS.iter().find(|u| u.name == ess).ok_or_else(|| {
                format!("struct {} is not one of the uapi structs whose layout uxdp knows is the kernel's ({})", root.name, uapi_list())
            })?;
            // Only members are looked up by name: a partial copy (the CO-RE idiom of declaring
            // just the fields used) is fine, unless the root is indexed as an array, which
            // steps by the struct's size.
            if spec.raw[0] != 0 && *size != table.size {
                return Err(format!(
                    "the access indexes struct {} as an array ([{}]), and it is {size} bytes here, {} in the uapi header",
                    root.name, spec.raw[0], table.size
                ));
            }
            table
        }
        k => {
            return Err(format!(
                "the root [{type_id}] is a {}, not a struct (libbpf would look for a kernel {} of that name)",
                kind_name(k.number()).to_ascii_lowercase(),
                kind_name(k.number()).to_ascii_lowercase()
            ))
        }
    };
    let mut cur: &UapiStruct = table;
    // Bits from the start of `cur` in the local type, through anonymous members.
    let mut rel: u64 = 0;
    let mut path = root.name.clone();
    // The uapi shape of the last named member, and whether an array element follows it.
    let mut at: Option<Shape> = None;
    let mut ends_anonymous = false;
    for step in &spec.steps {
        match step {
            Step::Member { name, bit_offset, bitfield, type_id } => {
                if at.is_some() {
                    // The parser only lets a member follow a struct or union.
                    if let Some(Shape::Composite(t)) = at {
                        cur = t;
                        rel = 0;
                    } else {
                        return Err(format!("{path} is not a struct or union in the uapi layout"));
                    }
                }
                rel += *bit_offset as u64;
                if *bitfield {
                    let shown = if name.is_empty() { format!("an anonymous member of {path}") } else { format!("{path}.{name}") };
                    return Err(format!("{shown} is a bitfield, whose offsets uxdp does not take as the kernel's"));
                }
                if name.is_empty() {
                    ends_anonymous = true;
                    at = None;
                    continue;
                }
                ends_anonymous = false;
                path = format!("{path}.{name}");
                let u = cur.members.iter().find(|u| u.name == name).ok_or_else(|| format!("{path} is not in the uapi layout"))?;
                if rel != u.offset as u64 * 8 {
                    let here = if rel.is_multiple_of(8) { format!("{}", rel / 8) } else { format!("{}.{}", rel / 8, rel % 8) };
                    return Err(format!("{path} is at offset {here} here, {} in the uapi layout", u.offset));
                }
                let size = btf.resolve_size(*type_id).map_err(|e| e.message.clone())?;
                if size != u.size {
                    return Err(format!("{path} is {size} bytes here, {} in the uapi layout", u.size));
                }
                let (_, t) = btf.skip_mods_and_typedefs(*type_id).map_err(|e| e.message.clone())?;
                let fits = match (u.shape, &t.kind) {
                    (Shape::Int, Kind::Int { bit_offset: 0, .. }) => true,
                    (Shape::Ptr, Kind::Ptr { .. }) => true,
                    (Shape::Array { elem, n }, Kind::Array { elem: e, nelems, .. }) => {
                        *nelems == n
                            && matches!(btf.skip_mods_and_typedefs(*e).map(|(_, t)| &t.kind), Ok(Kind::Int { size, bit_offset: 0, .. }) if *size == elem)
                    }
                    (Shape::Composite(_), Kind::Struct { .. } | Kind::Union { .. }) => true,
                    _ => false,
                };
                if !fits {
                    let want = match u.shape {
                        Shape::Int => "an integer".to_string(),
                        Shape::Ptr => "a pointer".to_string(),
                        Shape::Array { elem, n } => format!("an array of {n} {elem}-byte integers"),
                        Shape::Composite(_) => "a struct or union".to_string(),
                    };
                    return Err(format!("{path} is {} here, {want} in the uapi layout", btf.type_name(*type_id)));
                }
                at = Some(u.shape);
            }
            Step::Elem { index } => {
                let Some(Shape::Array { n, .. }) = at else {
                    return Err(format!("{path} is not an array in the uapi layout"));
                };
                if *index >= n {
                    return Err(format!("{path}[{index}] is past the uapi array's {n} elements"));
                }
                path = format!("{path}[{index}]");
                at = Some(Shape::Int);
            }
        }
    }
    if at.is_none() || ends_anonymous {
        return Err(format!(
            "the access ends at {}, not at a named member",
            if ends_anonymous { "an anonymous member" } else { "the root" }
        ));
    }
    if !spec.bit_offset.is_multiple_of(8) {
        return Err("the offset is not a whole number of bytes".into());
    }
    Ok(spec.bit_offset / 8)
}

fn uapi_list() -> String {
    UAPI_STRUCTS.iter().map(|u| u.name).collect::<Vec<_>>().join(", ")
}

/// The value clang put in a relocated instruction, from the field libbpf patches: an ALU
/// immediate, a load or store offset, or an lddw's 64-bit immediate.
fn insn_value(insns: &[Insn], idx: usize) -> std::result::Result<i64, String> {
    let i = insns[idx];
    match i.class() {
        ALU | ALU64 => {
            if i.code & X != 0 {
                return Err(format!(
                    "insn #{idx} (ALU/ALU64, code {:#04x}) takes a register, not the immediate a relocation patches",
                    i.code
                ));
            }
            Ok(i.imm as i64)
        }
        LDX | ST | STX => Ok(i.off as i64),
        LD if i.is_lddw() => {
            let hi = insns.get(idx + 1).ok_or_else(|| format!("lddw insn #{idx} is cut off by the section's end"))?;
            Ok(((hi.imm as u32 as u64) << 32 | i.imm as u32 as u64) as i64)
        }
        _ => Err(format!("trying to relocate unrecognized insn #{idx}, code {:#04x}", i.code)),
    }
}

/// Resolves the `index`th CO-RE record of ELF section `section` (whose instructions are `insns`)
/// against the object's BTF, and judges it. Err (EINVAL) when the record is malformed: unknown
/// kind, misplaced instruction offset, missing type, bad access string, an instruction libbpf
/// could not patch, or one not holding the local value the relocation describes.
pub fn resolve(btf: &Btf, section: &str, index: usize, rec: &CoreReloRecord, insns: &[Insn]) -> Result<CoreRelo> {
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
    let value = insn_value(insns, sec_insn).map_err(bad)?;
    let unsupported = if kind == CoreReloKind::FieldByteOffset {
        match uapi_byte_offset(btf, rec.type_id, &spec) {
            Ok(local) => {
                if value != local as i64 {
                    return Err(bad(format!("unexpected insn #{sec_insn} value: got {value}, exp {local} (the local byte offset)")));
                }
                None
            }
            Err(why) => Some(why),
        }
    } else {
        Some(format!("a <{}> relocation's value comes from the running kernel's BTF", kind.name()))
    };
    Ok(CoreRelo {
        section: section.to_string(),
        index,
        sec_insn,
        insn: sec_insn,
        kind,
        type_id: rec.type_id,
        spec: format_spec(btf, kind, rec.type_id, &spec),
        access,
        unsupported,
    })
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

    #[test]
    fn uapi_tables_are_consistent() {
        fn check(u: &UapiStruct) {
            for m in u.members {
                assert!(m.offset + m.size <= u.size, "{}.{}", u.name, m.name);
                match m.shape {
                    Shape::Array { elem, n } => assert_eq!(elem * n, m.size, "{}.{}", u.name, m.name),
                    Shape::Composite(t) => {
                        assert_eq!(t.size, m.size, "{}.{}", u.name, m.name);
                        check(t);
                    }
                    Shape::Ptr => assert_eq!(m.size, 8),
                    Shape::Int => assert!(matches!(m.size, 1 | 2 | 4 | 8)),
                }
            }
        }
        for u in UAPI_STRUCTS {
            check(u);
        }
    }
}
