//! BTF, the BPF Type Format (the kernel's Documentation/bpf/btf.rst): the `.BTF` section of a
//! clang-built object. Parsed into a table of types by id, with what the object loader needs on
//! top: sizes through typedefs and modifiers, BTF-defined map definitions (`SEC(".maps")`), the
//! `.ksyms` externs, and function linkage.
//!
//! Every offset, count and type id in the input is checked: a malformed section is an
//! `Err(EINVAL)` naming the type id or byte offset, never a panic.

use crate::errno::{Errno, Result, XdpError};

const MAGIC: u16 = 0xeb9f;
const HEADER_LEN: usize = 24;
/// How deep libbpf follows typedef/modifier/array chains before calling a type a loop.
const MAX_RESOLVE_DEPTH: usize = 32;
const PTR_SIZE: u32 = 8;

// The kind numbers of `struct btf_type.info` bits 24-28.
pub const KIND_INT: u8 = 1;
pub const KIND_PTR: u8 = 2;
pub const KIND_ARRAY: u8 = 3;
pub const KIND_STRUCT: u8 = 4;
pub const KIND_UNION: u8 = 5;
pub const KIND_ENUM: u8 = 6;
pub const KIND_FWD: u8 = 7;
pub const KIND_TYPEDEF: u8 = 8;
pub const KIND_VOLATILE: u8 = 9;
pub const KIND_CONST: u8 = 10;
pub const KIND_RESTRICT: u8 = 11;
pub const KIND_FUNC: u8 = 12;
pub const KIND_FUNC_PROTO: u8 = 13;
pub const KIND_VAR: u8 = 14;
pub const KIND_DATASEC: u8 = 15;
pub const KIND_FLOAT: u8 = 16;
pub const KIND_DECL_TAG: u8 = 17;
pub const KIND_TYPE_TAG: u8 = 18;
pub const KIND_ENUM64: u8 = 19;

// BTF_INT_ENCODING bits.
pub const INT_SIGNED: u8 = 1;
pub const INT_CHAR: u8 = 2;
pub const INT_BOOL: u8 = 4;

/// Linkage of a FUNC (in `vlen`) or a VAR (in `btf_var.linkage`); both use 0/1/2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linkage {
    Static,
    /// FUNC: `BTF_FUNC_GLOBAL` (verified on its own); VAR: `BTF_VAR_GLOBAL_ALLOCATED`.
    Global,
    /// Declared here, defined elsewhere (a `__ksym` or `__kconfig` extern).
    Extern,
}

impl Linkage {
    fn from_raw(raw: u32) -> Option<Linkage> {
        match raw {
            0 => Some(Linkage::Static),
            1 => Some(Linkage::Global),
            2 => Some(Linkage::Extern),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Linkage::Static => "static",
            Linkage::Global => "global",
            Linkage::Extern => "extern",
        }
    }
}

/// How the verifier treats one parameter of a global function (its BTF type and `arg:` tags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuncArg {
    /// An integer or enum: any scalar.
    Scalar,
    /// The program's context (a pointer to its context struct, or tagged `__arg_ctx`).
    Ctx,
    /// Memory of `size` bytes (the pointee's size), NULL allowed unless tagged `__arg_nonnull`.
    Mem { size: u32, nullable: bool },
    /// `struct bpf_dynptr *`: an initialised dynptr, read-only to the callee.
    Dynptr,
    /// `__arg_trusted`: a trusted kernel object (NULL allowed with `__arg_nullable`).
    Trusted { nullable: bool },
    /// `__arg_untrusted`: any kernel object, read through BTF.
    Untrusted,
    /// `__arg_arena`: an arena pointer or a scalar; the callee sees an unknown scalar.
    Arena,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub type_id: u32,
    pub bit_offset: u32,
    /// Non-zero only for a bitfield in a struct whose kind_flag is set.
    pub bitfield_size: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumValue {
    pub name: String,
    /// The value's 64-bit pattern: sign-extended for a signed enum, zero-extended otherwise
    /// (read it as `u64` when the enum is unsigned).
    pub value: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    /// 0 with an empty name in the last slot marks a variadic function.
    pub type_id: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarSecinfo {
    pub type_id: u32,
    /// As clang writes it; 0 in an unlinked object until the loader fills it from the symbols.
    pub offset: u32,
    pub size: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Type id 0, implicit: `void`.
    Void,
    Int {
        size: u32,
        encoding: u8,
        bit_offset: u8,
        bits: u8,
    },
    Ptr {
        target: u32,
    },
    Array {
        elem: u32,
        index: u32,
        nelems: u32,
    },
    Struct {
        size: u32,
        members: Vec<Member>,
    },
    Union {
        size: u32,
        members: Vec<Member>,
    },
    Enum {
        size: u32,
        signed: bool,
        values: Vec<EnumValue>,
    },
    Fwd {
        union: bool,
    },
    Typedef {
        target: u32,
    },
    Volatile {
        target: u32,
    },
    Const {
        target: u32,
    },
    Restrict {
        target: u32,
    },
    Func {
        proto: u32,
        linkage: Linkage,
    },
    FuncProto {
        ret: u32,
        params: Vec<Param>,
    },
    Var {
        target: u32,
        linkage: Linkage,
    },
    Datasec {
        size: u32,
        vars: Vec<VarSecinfo>,
    },
    Float {
        size: u32,
    },
    /// `component` is -1 for the tagged type or variable itself, else a member/parameter index.
    DeclTag {
        target: u32,
        component: i32,
    },
    TypeTag {
        target: u32,
    },
    Enum64 {
        size: u32,
        signed: bool,
        values: Vec<EnumValue>,
    },
}

impl Kind {
    pub fn number(&self) -> u8 {
        match self {
            Kind::Void => 0,
            Kind::Int { .. } => KIND_INT,
            Kind::Ptr { .. } => KIND_PTR,
            Kind::Array { .. } => KIND_ARRAY,
            Kind::Struct { .. } => KIND_STRUCT,
            Kind::Union { .. } => KIND_UNION,
            Kind::Enum { .. } => KIND_ENUM,
            Kind::Fwd { .. } => KIND_FWD,
            Kind::Typedef { .. } => KIND_TYPEDEF,
            Kind::Volatile { .. } => KIND_VOLATILE,
            Kind::Const { .. } => KIND_CONST,
            Kind::Restrict { .. } => KIND_RESTRICT,
            Kind::Func { .. } => KIND_FUNC,
            Kind::FuncProto { .. } => KIND_FUNC_PROTO,
            Kind::Var { .. } => KIND_VAR,
            Kind::Datasec { .. } => KIND_DATASEC,
            Kind::Float { .. } => KIND_FLOAT,
            Kind::DeclTag { .. } => KIND_DECL_TAG,
            Kind::TypeTag { .. } => KIND_TYPE_TAG,
            Kind::Enum64 { .. } => KIND_ENUM64,
        }
    }

    /// The upper-case name bpftool prints (`STRUCT`, `FUNC_PROTO`, ...).
    pub fn name(&self) -> &'static str {
        kind_name(self.number())
    }

    /// The one type this kind refers to, for the kinds that refer to exactly one.
    fn target(&self) -> Option<u32> {
        match *self {
            Kind::Ptr { target }
            | Kind::Typedef { target }
            | Kind::Volatile { target }
            | Kind::Const { target }
            | Kind::Restrict { target }
            | Kind::Var { target, .. }
            | Kind::DeclTag { target, .. }
            | Kind::TypeTag { target } => Some(target),
            Kind::Func { proto, .. } => Some(proto),
            _ => None,
        }
    }

    /// Every type id this type mentions, for the reference check after parsing.
    fn references(&self) -> Vec<u32> {
        match self {
            Kind::Array { elem, index, .. } => vec![*elem, *index],
            Kind::Struct { members, .. } | Kind::Union { members, .. } => members.iter().map(|m| m.type_id).collect(),
            Kind::FuncProto { ret, params } => std::iter::once(*ret).chain(params.iter().map(|p| p.type_id)).collect(),
            Kind::Datasec { vars, .. } => vars.iter().map(|v| v.type_id).collect(),
            k => k.target().into_iter().collect(),
        }
    }
}

pub fn kind_name(kind: u8) -> &'static str {
    match kind {
        0 => "VOID",
        KIND_INT => "INT",
        KIND_PTR => "PTR",
        KIND_ARRAY => "ARRAY",
        KIND_STRUCT => "STRUCT",
        KIND_UNION => "UNION",
        KIND_ENUM => "ENUM",
        KIND_FWD => "FWD",
        KIND_TYPEDEF => "TYPEDEF",
        KIND_VOLATILE => "VOLATILE",
        KIND_CONST => "CONST",
        KIND_RESTRICT => "RESTRICT",
        KIND_FUNC => "FUNC",
        KIND_FUNC_PROTO => "FUNC_PROTO",
        KIND_VAR => "VAR",
        KIND_DATASEC => "DATASEC",
        KIND_FLOAT => "FLOAT",
        KIND_DECL_TAG => "DECL_TAG",
        KIND_TYPE_TAG => "TYPE_TAG",
        KIND_ENUM64 => "ENUM64",
        _ => "UNKNOWN",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Type {
    /// Empty for anonymous types.
    pub name: String,
    pub kind: Kind,
}

/// A parsed `.BTF` section. Type ids index [`Btf::types`]; id 0 is `void`.
#[derive(Clone, Debug, Default)]
pub struct Btf {
    types: Vec<Type>,
    /// The string section, for names other sections refer to by offset (`.BTF.ext`'s section
    /// names and CO-RE access strings).
    strings: Vec<u8>,
}

fn btf_err(message: impl Into<String>) -> XdpError {
    XdpError::new(Errno::EINVAL, "btf__parse", message)
}

fn map_err(errno: Errno, message: impl Into<String>) -> XdpError {
    XdpError::new(errno, "bpf_object__open", message)
}

/// Bounds-checked little-endian reads over the section.
struct Reader<'a> {
    data: &'a [u8],
}

impl Reader<'_> {
    fn u32(&self, off: usize) -> Option<u32> {
        let b = self.data.get(off..off.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Btf {
    /// Parses a raw `.BTF` section (little-endian, version 1).
    pub fn parse(data: &[u8]) -> Result<Btf> {
        if data.len() < HEADER_LEN {
            return Err(btf_err(format!("section is {} bytes, shorter than the {HEADER_LEN}-byte header", data.len())));
        }
        let magic = u16::from_le_bytes([data[0], data[1]]);
        if magic == MAGIC.swap_bytes() {
            return Err(btf_err("big-endian BTF (magic 0x9feb) in a little-endian object"));
        }
        if magic != MAGIC {
            return Err(btf_err(format!("bad magic {magic:#06x}, expected {MAGIC:#06x}")));
        }
        if data[2] != 1 {
            return Err(btf_err(format!("unsupported version {}", data[2])));
        }
        let r = Reader { data };
        let field = |off| r.u32(off).map(|v| v as usize).unwrap_or(0);
        let hdr_len = field(4);
        let (type_off, type_len, str_off, str_len) = (field(8), field(12), field(16), field(20));
        if hdr_len < HEADER_LEN || hdr_len > data.len() {
            return Err(btf_err(format!("header length {hdr_len} outside {HEADER_LEN}..={}", data.len())));
        }
        // A newer header than ours is only acceptable if what we do not understand is zero.
        if data[HEADER_LEN..hdr_len].iter().any(|&b| b != 0) {
            return Err(btf_err(format!("header length {hdr_len} carries unknown non-zero fields")));
        }
        let body = &data[hdr_len..];
        let section = |name: &str, off: usize, len: usize| -> Result<&[u8]> {
            off.checked_add(len)
                .and_then(|end| body.get(off..end))
                .ok_or_else(|| btf_err(format!("{name} section at {off}+{len} runs past the {} bytes after the header", body.len())))
        };
        let types_raw = section("type", type_off, type_len)?;
        let strings = section("string", str_off, str_len)?;
        if type_off % 4 != 0 {
            return Err(btf_err(format!("type section offset {type_off} is not 4-byte aligned")));
        }
        if strings.first().is_some_and(|&b| b != 0) || strings.last().is_some_and(|&b| b != 0) {
            return Err(btf_err("string section must start and end with a NUL"));
        }
        let string_at = |off: u32| -> Result<String> {
            let off = off as usize;
            let tail = strings
                .get(off..)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| btf_err(format!("name offset {off} is past the {}-byte string section", strings.len())))?;
            let end = tail.iter().position(|&b| b == 0).ok_or_else(|| btf_err(format!("string at {off} is not NUL-terminated")))?;
            Ok(String::from_utf8_lossy(&tail[..end]).into_owned())
        };

        let mut types = vec![Type { name: String::new(), kind: Kind::Void }];
        let t = Reader { data: types_raw };
        let mut pos = 0usize;
        while pos < types_raw.len() {
            let id = types.len();
            let at = |what: &str| btf_err(format!("type [{id}] at byte {pos}: {what} runs past the type section"));
            let (name_off, info, size_or_type) = match (t.u32(pos), t.u32(pos + 4), t.u32(pos + 8)) {
                (Some(a), Some(b), Some(c)) => (a, b, c),
                _ => return Err(at("header")),
            };
            let vlen = (info & 0xffff) as usize;
            let kind = ((info >> 24) & 0x1f) as u8;
            let kind_flag = info >> 31 == 1;
            let name = string_at(name_off).map_err(|e| btf_err(format!("type [{id}]: {}", e.message)))?;
            let extra = pos + 12;
            let per = |n: usize| -> usize { vlen * n };
            let extra_len = match kind {
                KIND_INT | KIND_VAR | KIND_DECL_TAG => 4,
                KIND_ARRAY => 12,
                KIND_STRUCT | KIND_UNION | KIND_DATASEC | KIND_ENUM64 => per(12),
                KIND_ENUM | KIND_FUNC_PROTO => per(8),
                KIND_PTR | KIND_FWD | KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_FUNC | KIND_FLOAT
                | KIND_TYPE_TAG => 0,
                _ => return Err(btf_err(format!("type [{id}] at byte {pos}: unknown kind {kind}"))),
            };
            if extra + extra_len > types_raw.len() {
                return Err(at(kind_name(kind)));
            }
            let word = |i: usize| t.u32(extra + 4 * i).unwrap_or(0);
            let members = || -> Result<Vec<Member>> {
                (0..vlen)
                    .map(|i| {
                        let raw_off = word(3 * i + 2);
                        let (bit_offset, bitfield_size) =
                            if kind_flag { (raw_off & 0xff_ffff, (raw_off >> 24) as u8) } else { (raw_off, 0) };
                        Ok(Member {
                            name: string_at(word(3 * i)).map_err(|e| btf_err(format!("type [{id}] member {i}: {}", e.message)))?,
                            type_id: word(3 * i + 1),
                            bit_offset,
                            bitfield_size,
                        })
                    })
                    .collect()
            };
            let linkage = |raw: u32| Linkage::from_raw(raw).ok_or_else(|| btf_err(format!("type [{id}] '{name}': unknown linkage {raw}")));
            let kind = match kind {
                KIND_INT => {
                    let enc = word(0);
                    let (bits, bit_offset, encoding) = ((enc & 0xff) as u8, ((enc >> 16) & 0xff) as u8, ((enc >> 24) & 0x0f) as u8);
                    if bits as u32 + bit_offset as u32 > size_or_type.saturating_mul(8) || size_or_type > 16 {
                        return Err(btf_err(format!(
                            "type [{id}] INT '{name}': {bits} bits at {bit_offset} do not fit {size_or_type} bytes"
                        )));
                    }
                    Kind::Int { size: size_or_type, encoding, bit_offset, bits }
                }
                KIND_PTR => Kind::Ptr { target: size_or_type },
                KIND_ARRAY => Kind::Array { elem: word(0), index: word(1), nelems: word(2) },
                KIND_STRUCT => Kind::Struct { size: size_or_type, members: members()? },
                KIND_UNION => Kind::Union { size: size_or_type, members: members()? },
                KIND_ENUM => Kind::Enum {
                    size: size_or_type,
                    signed: kind_flag,
                    values: (0..vlen)
                        .map(|i| {
                            let raw = word(2 * i + 1);
                            let value = if kind_flag { raw as i32 as i64 } else { raw as i64 };
                            Ok(EnumValue { name: string_at(word(2 * i))?, value })
                        })
                        .collect::<Result<_>>()?,
                },
                KIND_FWD => Kind::Fwd { union: kind_flag },
                KIND_TYPEDEF => Kind::Typedef { target: size_or_type },
                KIND_VOLATILE => Kind::Volatile { target: size_or_type },
                KIND_CONST => Kind::Const { target: size_or_type },
                KIND_RESTRICT => Kind::Restrict { target: size_or_type },
                KIND_FUNC => Kind::Func { proto: size_or_type, linkage: linkage(vlen as u32)? },
                KIND_FUNC_PROTO => Kind::FuncProto {
                    ret: size_or_type,
                    params: (0..vlen)
                        .map(|i| Ok(Param { name: string_at(word(2 * i))?, type_id: word(2 * i + 1) }))
                        .collect::<Result<_>>()?,
                },
                KIND_VAR => Kind::Var { target: size_or_type, linkage: linkage(word(0))? },
                KIND_DATASEC => Kind::Datasec {
                    size: size_or_type,
                    vars: (0..vlen).map(|i| VarSecinfo { type_id: word(3 * i), offset: word(3 * i + 1), size: word(3 * i + 2) }).collect(),
                },
                KIND_FLOAT => Kind::Float { size: size_or_type },
                KIND_DECL_TAG => Kind::DeclTag { target: size_or_type, component: word(0) as i32 },
                KIND_TYPE_TAG => Kind::TypeTag { target: size_or_type },
                _ => Kind::Enum64 {
                    size: size_or_type,
                    signed: kind_flag,
                    values: (0..vlen)
                        .map(|i| {
                            let value = ((word(3 * i + 2) as u64) << 32 | word(3 * i + 1) as u64) as i64;
                            Ok(EnumValue { name: string_at(word(3 * i))?, value })
                        })
                        .collect::<Result<_>>()?,
                },
            };
            types.push(Type { name, kind });
            pos = extra + extra_len;
        }

        let btf = Btf { types, strings: strings.to_vec() };
        let count = btf.types.len() as u64;
        for (id, ty) in btf.types.iter().enumerate() {
            if let Some(bad) = ty.kind.references().into_iter().find(|&r| r as u64 >= count) {
                return Err(btf_err(format!(
                    "type [{id}] {} '{}' refers to type [{bad}], past the last type [{}]",
                    ty.kind.name(),
                    ty.name,
                    count - 1
                )));
            }
        }
        Ok(btf)
    }

    /// The NUL-terminated string at `off` of the string section (lossily UTF-8), as other
    /// sections refer to names; None when `off` is past the section or the string has no NUL.
    pub fn string_at(&self, off: u32) -> Option<String> {
        let tail = self.strings.get(off as usize..).filter(|t| !t.is_empty())?;
        let end = tail.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&tail[..end]).into_owned())
    }

    /// All types, `void` at index 0.
    pub fn types(&self) -> &[Type] {
        &self.types
    }

    /// The number of type ids, `void` included.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.len() <= 1
    }

    pub fn type_by_id(&self, id: u32) -> Option<&Type> {
        self.types.get(id as usize)
    }

    fn get(&self, id: u32) -> Result<&Type> {
        self.type_by_id(id).ok_or_else(|| btf_err(format!("type [{id}] does not exist ({} types)", self.types.len())))
    }

    /// The first type with this name, of any kind.
    pub fn find_by_name(&self, name: &str) -> Option<u32> {
        self.types.iter().skip(1).position(|t| t.name == name).map(|i| i as u32 + 1)
    }

    /// The first type with this name and kind (a `KIND_*` number).
    pub fn find_by_name_kind(&self, name: &str, kind: u8) -> Option<u32> {
        self.types.iter().skip(1).position(|t| t.name == name && t.kind.number() == kind).map(|i| i as u32 + 1)
    }

    /// Follows typedefs and the const/volatile/restrict/type-tag modifiers to the type they name.
    pub fn skip_mods_and_typedefs(&self, id: u32) -> Result<(u32, &Type)> {
        let mut id = id;
        for _ in 0..=MAX_RESOLVE_DEPTH {
            let t = self.get(id)?;
            match t.kind {
                Kind::Typedef { target }
                | Kind::Volatile { target }
                | Kind::Const { target }
                | Kind::Restrict { target }
                | Kind::TypeTag { target } => id = target,
                _ => return Ok((id, t)),
            }
        }
        Err(btf_err(format!("type [{id}]: typedef/modifier chain deeper than {MAX_RESOLVE_DEPTH} (a loop?)")))
    }

    /// The alignment of an object of this type, as `btf__align_of`: an integer or float its size
    /// (at most 8), a pointer 8, an array its element's, a struct or union its largest member's
    /// (1 when packed: a member at an offset its alignment does not divide). None: no alignment.
    pub fn align_of(&self, id: u32) -> Option<u32> {
        let (_, t) = self.skip_mods_and_typedefs(id).ok()?;
        match &t.kind {
            Kind::Int { size, .. } | Kind::Float { size } | Kind::Enum { size, .. } | Kind::Enum64 { size, .. } => Some((*size).clamp(1, 8)),
            Kind::Ptr { .. } => Some(PTR_SIZE),
            Kind::Array { elem, .. } => self.align_of(*elem),
            Kind::Struct { members, .. } | Kind::Union { members, .. } => {
                let mut max = 1;
                for m in members {
                    let a = self.align_of(m.type_id)?;
                    if m.bitfield_size == 0 && m.bit_offset % (8 * a) != 0 {
                        return Some(1);
                    }
                    max = max.max(a);
                }
                Some(max)
            }
            _ => None,
        }
    }

    /// The size in bytes of an object of this type, as `btf__resolve_size` computes it: through
    /// typedefs, modifiers and variables, arrays multiplied out, pointers 8 bytes. `void`,
    /// functions and forward declarations have no size (EINVAL); an array past 4 GiB is E2BIG.
    pub fn resolve_size(&self, id: u32) -> Result<u32> {
        let mut id = id;
        let mut nelems: u64 = 1;
        for _ in 0..=MAX_RESOLVE_DEPTH {
            let t = self.get(id)?;
            let size = match &t.kind {
                Kind::Int { size, .. }
                | Kind::Enum { size, .. }
                | Kind::Enum64 { size, .. }
                | Kind::Struct { size, .. }
                | Kind::Union { size, .. }
                | Kind::Datasec { size, .. }
                | Kind::Float { size } => *size,
                Kind::Ptr { .. } => PTR_SIZE,
                Kind::Array { elem, nelems: n, .. } => {
                    nelems = nelems.saturating_mul(*n as u64);
                    id = *elem;
                    continue;
                }
                Kind::Typedef { target }
                | Kind::Volatile { target }
                | Kind::Const { target }
                | Kind::Restrict { target }
                | Kind::TypeTag { target }
                | Kind::Var { target, .. }
                | Kind::DeclTag { target, .. } => {
                    id = *target;
                    continue;
                }
                k => return Err(btf_err(format!("type [{id}] {} '{}' has no size", k.name(), t.name))),
            };
            let total = nelems.saturating_mul(size as u64);
            return u32::try_from(total)
                .map_err(|_| XdpError::new(Errno::E2BIG, "btf__parse", format!("type [{id}]: size {total} does not fit 32 bits")));
        }
        Err(btf_err(format!("type [{id}]: type chain deeper than {MAX_RESOLVE_DEPTH} (a loop?)")))
    }

    /// A C-like spelling of a type for messages and listings: `struct pair`, `__u32`, `int *`,
    /// `char[6]`, `const volatile struct pair`. Long or looping types end in `...`.
    pub fn type_name(&self, id: u32) -> String {
        // A budget of types visited, not just a depth: a FUNC_PROTO whose parameters point back
        // at itself would otherwise fan out exponentially.
        let mut budget = 64;
        self.type_name_budget(id, &mut budget)
    }

    fn type_name_budget(&self, id: u32, budget: &mut usize) -> String {
        let Some(t) = self.type_by_id(id) else { return format!("<bad type {id}>") };
        if *budget == 0 {
            return "...".into();
        }
        *budget -= 1;
        let named = |tag: &str| if t.name.is_empty() { format!("{tag} (anon)") } else { format!("{tag} {}", t.name) };
        match &t.kind {
            Kind::Void => "void".into(),
            Kind::Int { .. } | Kind::Float { .. } | Kind::Typedef { .. } | Kind::Func { .. } | Kind::Var { .. } => t.name.clone(),
            Kind::Struct { .. } => named("struct"),
            Kind::Union { .. } => named("union"),
            Kind::Enum { .. } | Kind::Enum64 { .. } => named("enum"),
            Kind::Fwd { union } => named(if *union { "union" } else { "struct" }),
            Kind::Datasec { .. } => format!("datasec {}", t.name),
            Kind::Ptr { target } => format!("{} *", self.type_name_budget(*target, budget)),
            Kind::Array { elem, nelems, .. } => {
                // C puts the outer dimension first: int m[3][5] is an array of 3 arrays of 5.
                let mut dims = format!("[{nelems}]");
                let mut elem = *elem;
                while let Some(Kind::Array { elem: inner, nelems, .. }) = self.type_by_id(elem).map(|t| &t.kind) {
                    if *budget == 0 {
                        break;
                    }
                    *budget -= 1;
                    dims.push_str(&format!("[{nelems}]"));
                    elem = *inner;
                }
                format!("{}{dims}", self.type_name_budget(elem, budget))
            }
            Kind::Const { target } => format!("const {}", self.type_name_budget(*target, budget)),
            Kind::Volatile { target } => format!("volatile {}", self.type_name_budget(*target, budget)),
            Kind::Restrict { target } => format!("{} restrict", self.type_name_budget(*target, budget)),
            Kind::TypeTag { target } | Kind::DeclTag { target, .. } => self.type_name_budget(*target, budget),
            Kind::FuncProto { ret, params } => {
                let ret = self.type_name_budget(*ret, budget);
                let args: Vec<String> = params.iter().map(|p| self.type_name_budget(p.type_id, budget)).collect();
                format!("{ret} (*)({})", args.join(", "))
            }
        }
    }

    /// The DATASEC of this name (`.maps`, `.ksyms`, `.data`, ...) and its variables.
    pub fn datasec(&self, name: &str) -> Option<(u32, &[VarSecinfo])> {
        self.types.iter().enumerate().find_map(|(id, t)| match &t.kind {
            Kind::Datasec { vars, .. } if t.name == name => Some((id as u32, vars.as_slice())),
            _ => None,
        })
    }

    /// The linkage of the FUNC of this name (static, global or extern), if there is one.
    pub fn func_linkage(&self, name: &str) -> Option<Linkage> {
        self.types.iter().find_map(|t| match t.kind {
            Kind::Func { linkage, .. } if t.name == name => Some(linkage),
            _ => None,
        })
    }

    /// Whether the FUNC of this name returns a scalar (an integer of at most 8 bytes, or an
    /// enum), as the verifier asks of functions with LD_ABS or a tail call. None: no such FUNC.
    pub fn func_returns_scalar(&self, name: &str) -> Option<bool> {
        let proto = self.types.iter().find_map(|t| match t.kind {
            Kind::Func { proto, .. } if t.name == name => Some(proto),
            _ => None,
        })?;
        let Some(Type { kind: Kind::FuncProto { ret, .. }, .. }) = self.type_by_id(proto) else { return Some(false) };
        Some(match self.skip_mods_and_typedefs(*ret) {
            Ok((_, t)) => match t.kind {
                Kind::Int { size, .. } => size <= 8,
                Kind::Enum { .. } | Kind::Enum64 { .. } => true,
                _ => false,
            },
            Err(_) => false,
        })
    }

    /// A global function's prototype as the verifier reads it (`btf_prepare_func_args`): None
    /// for a function that is not a global FUNC here, else its parameters by verifier class, or
    /// the errno and line the kernel refuses the prototype with. `ctx` names the program type's
    /// context struct as user code spells it and as the kernel does (`xdp_md`, `xdp_buff`).
    pub fn global_func_args(&self, name: &str, ctx: Option<(&str, &str)>) -> Option<std::result::Result<Vec<FuncArg>, (Errno, String)>> {
        let (func_id, proto) = self.types.iter().enumerate().find_map(|(id, t)| match t.kind {
            Kind::Func { proto, linkage: Linkage::Global } if t.name == name => Some((id as u32, proto)),
            _ => None,
        })?;
        Some(self.classify_func_args(func_id, proto, name, ctx))
    }

    fn classify_func_args(
        &self,
        func_id: u32,
        proto: u32,
        name: &str,
        ctx: Option<(&str, &str)>,
    ) -> std::result::Result<Vec<FuncArg>, (Errno, String)> {
        let einval = |line: String| Err((Errno::EINVAL, line));
        let Some(Type { kind: Kind::FuncProto { ret, params }, .. }) = self.type_by_id(proto) else {
            return einval(format!("Invalid type of function {name}()"));
        };
        if params.len() > 5 {
            return einval(format!("Global function {name}() with {} > 5 args. Buggy compiler.", params.len()));
        }
        let base = |id: u32| self.skip_mods_and_typedefs(id).ok().map(|(i, t)| (i, t.clone()));
        match base(*ret) {
            Some((_, Type { kind: Kind::Int { .. } | Kind::Enum { .. } | Kind::Enum64 { .. }, .. })) => {}
            _ => return einval(format!("Global function {name}() doesn't return scalar. Only those are supported.")),
        }
        let is_struct = |t: &Type| matches!(t.kind, Kind::Struct { .. } | Kind::Union { .. });
        let mut out = Vec::with_capacity(params.len());
        for (i, p) in params.iter().enumerate() {
            // The `arg:` declaration tags on this parameter, in type order.
            let (mut tag_ctx, mut nonnull, mut nullable, mut trusted, mut untrusted, mut arena) =
                (false, false, false, false, false, false);
            for t in &self.types {
                let Kind::DeclTag { target, component } = t.kind else { continue };
                if target != func_id || component != i as i32 {
                    continue;
                }
                let Some(tag) = t.name.strip_prefix("arg:") else { continue };
                match tag {
                    "ctx" => tag_ctx = true,
                    "nonnull" => nonnull = true,
                    "nullable" => nullable = true,
                    "trusted" => trusted = true,
                    "untrusted" => untrusted = true,
                    "arena" => arena = true,
                    _ => return Err((Errno::EOPNOTSUPP, format!("arg#{i} has unsupported set of tags"))),
                }
            }
            let any_tag = tag_ctx || nonnull || nullable || trusted || untrusted || arena;
            let Some((_, t)) = base(p.type_id) else { return einval(format!("Arg#{i} type UNKNOWN in {name}() is not supported yet.")) };
            let Kind::Ptr { target } = t.kind else {
                if any_tag {
                    return einval(format!("arg#{i} has pointer tag, but is not a pointer type"));
                }
                if matches!(t.kind, Kind::Int { .. } | Kind::Enum { .. } | Kind::Enum64 { .. }) {
                    out.push(FuncArg::Scalar);
                    continue;
                }
                return einval(format!("Arg#{i} type {} in {name}() is not supported yet.", kind_name(t.kind.number())));
            };
            let pointee = base(target);
            let is_ctx_struct = match (&pointee, ctx) {
                (Some((_, pt)), Some((user, kern))) => is_struct(pt) && (pt.name == user || pt.name == kern),
                _ => false,
            };
            if tag_ctx || is_ctx_struct {
                if nonnull || nullable || trusted || untrusted || arena {
                    return einval(format!("arg#{i} has invalid combination of tags"));
                }
                if tag_ctx {
                    match &pointee {
                        Some((0, _)) => {}
                        Some((_, pt)) if pt.name.is_empty() => return einval(format!("arg#{i} type doesn't have a name")),
                        Some((_, pt)) => {
                            let user = ctx.map_or("", |c| c.0);
                            if !(is_struct(pt) && pt.name == user) {
                                return einval(format!("arg#{i} should be `struct {user} *`"));
                            }
                        }
                        None => return einval(format!("arg#{i} type doesn't have a name")),
                    }
                }
                out.push(FuncArg::Ctx);
                continue;
            }
            if matches!(&pointee, Some((_, pt)) if is_struct(pt) && pt.name == "bpf_dynptr") {
                if any_tag {
                    return einval(format!("arg#{i} has invalid combination of tags"));
                }
                out.push(FuncArg::Dynptr);
                continue;
            }
            if trusted {
                if nonnull {
                    return einval(format!("arg#{i} has invalid combination of tags"));
                }
                out.push(FuncArg::Trusted { nullable });
                continue;
            }
            if untrusted {
                if tag_ctx || nonnull || nullable || trusted || arena {
                    return einval(format!("arg#{i} untrusted cannot be combined with any other tags"));
                }
                out.push(FuncArg::Untrusted);
                continue;
            }
            if arena {
                if tag_ctx || nonnull || nullable || trusted || untrusted {
                    return einval(format!("arg#{i} arena cannot be combined with any other tags"));
                }
                out.push(FuncArg::Arena);
                continue;
            }
            if nullable {
                return einval(format!("arg#{i} has invalid combination of tags"));
            }
            let (pid, pt) = pointee.unwrap_or((0, Type { name: String::new(), kind: Kind::Void }));
            let sized = match pt.kind {
                Kind::Void | Kind::Fwd { .. } | Kind::Func { .. } | Kind::FuncProto { .. } => None,
                _ => self.resolve_size(pid).ok(),
            };
            let Some(size) = sized else {
                let kind = if pid == 0 { "UNKNOWN" } else { kind_name(pt.kind.number()) };
                return einval(format!("arg#{i} reference type('{kind} {}') size cannot be determined: -22", pt.name));
            };
            out.push(FuncArg::Mem { size, nullable: !nonnull });
        }
        Ok(out)
    }

    /// The externs clang put in the `.ksyms` DATASEC: kfuncs (`extern int f(...) __ksym`) and
    /// kernel variables (`extern const int v __ksym`).
    pub fn ksyms(&self) -> Result<Vec<KsymDecl>> {
        let Some((_, vars)) = self.datasec(".ksyms") else { return Ok(Vec::new()) };
        vars.iter()
            .map(|v| {
                let t = self.get(v.type_id)?;
                let func = match t.kind {
                    Kind::Func { .. } => true,
                    Kind::Var { .. } => false,
                    ref k => return Err(btf_err(format!("DATASEC .ksyms entry [{}] is a {}, not a FUNC or VAR", v.type_id, k.name()))),
                };
                Ok(KsymDecl { name: t.name.clone(), type_id: v.type_id, func })
            })
            .collect()
    }

    /// Reads a BTF-defined map definition: the struct `def_id` (after typedefs/modifiers) whose
    /// members are `__uint(type, ...)`, `__type(key, ...)` and the rest, as libbpf's
    /// `parse_btf_map_def` reads them. `__uint(x, N)` is a pointer to an array of N ints;
    /// `__type(x, T)` a pointer to T; `__array(values, T)` a zero-length array of pointers to T,
    /// last in the struct. Unknown members are EOPNOTSUPP, as libbpf in strict mode.
    /// The special fields of a map value's type (`btf_parse_fields`): structs the kernel knows by
    /// name and pointers tagged as kptrs, at the top level and inside nested structs (and each
    /// element of arrays of them), with their byte offsets. Not a struct: none. A value the
    /// kernel cannot read (a kptr tag on something other than a complete struct, even its
    /// forward declaration, an unknown or doubled
    /// tag, two locks or timers) has no fields at all, as the kernel then keeps no record.
    pub fn special_fields(&self, value_type: u32) -> Vec<crate::bpf::verifier::SpecialField> {
        let mut out = Vec::new();
        let Ok((id, _)) = self.skip_mods_and_typedefs(value_type) else { return out };
        if self.collect_fields(id, 0, 0, &mut out).is_err() {
            return Vec::new();
        }
        out.sort_by_key(|f| f.off);
        // One of each of these at most.
        for k in ["bpf_spin_lock", "bpf_timer", "bpf_wq", "bpf_res_spin_lock", "bpf_refcount"] {
            if out.iter().filter(|f| f.kind.name() == k).count() > 1 {
                return Vec::new();
            }
        }
        out
    }

    /// The kptr kind a member's type names: `Ok(None)` when it is no tagged pointer.
    /// With it, the pointee struct's id (after modifiers and typedefs).
    fn kptr_kind(&self, id: u32) -> std::result::Result<Option<(crate::bpf::verifier::FieldKind, u32)>, ()> {
        use crate::bpf::verifier::FieldKind;
        // Only `volatile` may qualify the pointer itself.
        let mut t = self.get(id).map_err(|_| ())?;
        if let Kind::Volatile { target } = t.kind {
            t = self.get(target).map_err(|_| ())?;
        }
        let Kind::Ptr { target } = t.kind else { return Ok(None) };
        let tag = self.get(target).map_err(|_| ())?;
        let Kind::TypeTag { target: pointee } = tag.kind else { return Ok(None) };
        if matches!(self.get(pointee).map(|p| &p.kind), Ok(Kind::TypeTag { .. })) {
            return Err(());
        }
        let kind = match tag.name.as_str() {
            "kptr_untrusted" => FieldKind::KptrUnref,
            "kptr" => FieldKind::KptrRef,
            "percpu_kptr" => FieldKind::KptrPercpu,
            "uptr" => FieldKind::Other("uptr"),
            _ => return Err(()),
        };
        match self.skip_mods_and_typedefs(pointee) {
            Ok((pid, p)) if matches!(p.kind, Kind::Struct { .. }) => Ok(Some((kind, pid))),
            _ => Err(()),
        }
    }

    fn collect_fields(
        &self,
        id: u32,
        base: u32,
        depth: u32,
        out: &mut Vec<crate::bpf::verifier::SpecialField>,
    ) -> std::result::Result<(), ()> {
        use crate::bpf::verifier::{FieldKind, SpecialField};
        let Ok(t) = self.get(id) else { return Ok(()) };
        let Kind::Struct { members, .. } = &t.kind else { return Ok(()) };
        if depth > 8 {
            return Ok(());
        }
        for m in members {
            if m.bitfield_size != 0 || m.bit_offset % 8 != 0 {
                continue;
            }
            let off = base + m.bit_offset / 8;
            // Arrays: every element, for a bounded count.
            let (mut elem, mut count) = (m.type_id, 1u32);
            if let Ok((_, Type { kind: Kind::Array { elem: e, nelems, .. }, .. })) = self.skip_mods_and_typedefs(m.type_id) {
                elem = *e;
                count = (*nelems).min(64);
            }
            if let Some((kind, kptr_type)) = self.kptr_kind(elem)? {
                for i in 0..count {
                    out.push(SpecialField { off: off + i * 8, size: 8, kind, kptr_type });
                }
                continue;
            }
            let Ok((sid, st)) = self.skip_mods_and_typedefs(elem) else { continue };
            let Kind::Struct { size, .. } = st.kind else { continue };
            let kind = match st.name.as_str() {
                "bpf_spin_lock" => Some(FieldKind::SpinLock),
                "bpf_timer" => Some(FieldKind::Timer),
                "bpf_wq" => Some(FieldKind::Wq),
                "bpf_res_spin_lock" => Some(FieldKind::Other("bpf_res_spin_lock")),
                "bpf_list_head" => Some(FieldKind::Other("bpf_list_head")),
                "bpf_list_node" => Some(FieldKind::Other("bpf_list_node")),
                "bpf_rb_root" => Some(FieldKind::Other("bpf_rb_root")),
                "bpf_rb_node" => Some(FieldKind::Other("bpf_rb_node")),
                "bpf_refcount" => Some(FieldKind::Other("bpf_refcount")),
                "bpf_task_work" => Some(FieldKind::Other("bpf_task_work")),
                _ => None,
            };
            for i in 0..count {
                match kind {
                    Some(kind) => out.push(SpecialField { off: off + i * size, size, kind, kptr_type: 0 }),
                    None => self.collect_fields(sid, off + i * size, depth + 1, out)?,
                }
            }
        }
        Ok(())
    }

    pub fn map_def(&self, map_name: &str, def_id: u32) -> Result<MapDef> {
        self.map_def_inner(map_name, def_id, false)
    }

    fn map_def_inner(&self, map_name: &str, def_id: u32, is_inner: bool) -> Result<MapDef> {
        let bad = |msg: String| map_err(Errno::EINVAL, format!("map '{map_name}': {msg}"));
        let (_, def) = self.skip_mods_and_typedefs(def_id)?;
        let Kind::Struct { members, .. } = &def.kind else {
            return Err(bad(format!("definition is a {}, not a struct", def.kind.name())));
        };
        let mut d = MapDef::default();
        for (i, m) in members.iter().enumerate() {
            let name = m.name.as_str();
            if name.is_empty() {
                return Err(bad(format!("member #{i} has no name")));
            }
            match name {
                "type" => d.map_type = self.map_field_int(map_name, m)?,
                "max_entries" => d.max_entries = self.map_field_int(map_name, m)?,
                "map_flags" => d.map_flags = self.map_field_int(map_name, m)?,
                "numa_node" => d.numa_node = self.map_field_int(map_name, m)?,
                "key_size" | "value_size" => {
                    let sz = self.map_field_int(map_name, m)?;
                    let (slot, what) = if name == "key_size" { (&mut d.key_size, "key") } else { (&mut d.value_size, "value") };
                    if *slot != 0 && *slot != sz {
                        return Err(bad(format!("conflicting {what} size {} != {sz}", *slot)));
                    }
                    *slot = sz;
                }
                "key" | "value" => {
                    let t = self.get(m.type_id)?;
                    let Kind::Ptr { target } = t.kind else {
                        return Err(bad(format!("{name} spec is not PTR: {}", t.kind.name())));
                    };
                    let sz = self.resolve_size(target).map_err(|e| {
                        XdpError::new(
                            e.errno,
                            "bpf_object__open",
                            format!("map '{map_name}': can't size {name} type [{target}]: {}", e.message),
                        )
                    })?;
                    let (slot, tid) =
                        if name == "key" { (&mut d.key_size, &mut d.key_type) } else { (&mut d.value_size, &mut d.value_type) };
                    if *slot != 0 && *slot != sz {
                        return Err(bad(format!("conflicting {name} size {} != {sz}", *slot)));
                    }
                    *slot = sz;
                    *tid = target;
                }
                "values" => {
                    let map_in_map = matches!(d.map_type, MAP_TYPE_ARRAY_OF_MAPS | MAP_TYPE_HASH_OF_MAPS);
                    let prog_array = d.map_type == MAP_TYPE_PROG_ARRAY;
                    if is_inner {
                        return Err(map_err(Errno::EOPNOTSUPP, format!("map '{map_name}': multi-level inner maps not supported")));
                    }
                    if i != members.len() - 1 {
                        return Err(bad("'values' member should be last".into()));
                    }
                    if !map_in_map && !prog_array {
                        return Err(map_err(
                            Errno::EOPNOTSUPP,
                            format!("map '{map_name}': 'values' needs a map-in-map or prog-array type"),
                        ));
                    }
                    if d.value_size != 0 && d.value_size != 4 {
                        return Err(bad(format!("conflicting value size {} != 4", d.value_size)));
                    }
                    d.value_size = 4;
                    let t = self.get(m.type_id)?;
                    let Kind::Array { elem, nelems: 0, .. } = t.kind else {
                        return Err(bad("'values' is not a zero-sized array".into()));
                    };
                    let (_, ptr) = self.skip_mods_and_typedefs(elem)?;
                    let Kind::Ptr { target } = ptr.kind else {
                        return Err(bad(format!("'values' element is a {}, not a pointer", ptr.kind.name())));
                    };
                    let (inner_id, inner) = self.skip_mods_and_typedefs(target)?;
                    if prog_array {
                        if !matches!(inner.kind, Kind::FuncProto { .. }) {
                            return Err(bad(format!("prog-array 'values' point to a {}, not a function", inner.kind.name())));
                        }
                    } else {
                        if !matches!(inner.kind, Kind::Struct { .. }) {
                            return Err(bad(format!("inner map definition is a {}, not a struct", inner.kind.name())));
                        }
                        d.inner = Some(Box::new(self.map_def_inner(&format!("{map_name}.inner"), inner_id, true)?));
                    }
                    d.values_offset = Some(m.bit_offset / 8);
                }
                "pinning" => {
                    if is_inner {
                        return Err(bad("inner def can't be pinned".into()));
                    }
                    let v = self.map_field_int(map_name, m)?;
                    if v > 1 {
                        return Err(bad(format!("invalid pinning value {v}")));
                    }
                    d.pinning = v;
                }
                "map_extra" => d.map_extra = self.map_field_long(map_name, m)?,
                _ => return Err(map_err(Errno::EOPNOTSUPP, format!("map '{map_name}': unknown field '{name}'"))),
            }
        }
        if d.map_type == 0 {
            return Err(bad("map type isn't specified".into()));
        }
        Ok(d)
    }

    /// `__uint(name, N)`: `int (*name)[N]`, the number in the array's element count.
    fn map_field_int(&self, map_name: &str, m: &Member) -> Result<u32> {
        let bad = |msg: String| map_err(Errno::EINVAL, format!("map '{map_name}': attr '{}': {msg}", m.name));
        let (_, t) = self.skip_mods_and_typedefs(m.type_id)?;
        let Kind::Ptr { target } = t.kind else { return Err(bad(format!("expected PTR, got {}", t.kind.name()))) };
        let arr = self.get(target)?;
        let Kind::Array { nelems, .. } = arr.kind else { return Err(bad(format!("expected ARRAY, got {}", arr.kind.name()))) };
        Ok(nelems)
    }

    /// `map_extra` may also be a one-value enum (`__ulong`), for 64-bit values.
    fn map_field_long(&self, map_name: &str, m: &Member) -> Result<u64> {
        let (_, t) = self.skip_mods_and_typedefs(m.type_id)?;
        match &t.kind {
            Kind::Ptr { .. } => self.map_field_int(map_name, m).map(u64::from),
            Kind::Enum { values, .. } | Kind::Enum64 { values, .. } if values.len() == 1 => Ok(values[0].value as u64),
            k => Err(map_err(
                Errno::EINVAL,
                format!("map '{map_name}': attr '{}': expected PTR, ENUM or ENUM64 with one value, got {}", m.name, k.name()),
            )),
        }
    }
}

pub const MAP_TYPE_PROG_ARRAY: u32 = 3;
pub const MAP_TYPE_ARRAY_OF_MAPS: u32 = 12;
pub const MAP_TYPE_HASH_OF_MAPS: u32 = 13;

/// A `__ksym` extern as BTF declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KsymDecl {
    pub name: String,
    /// The FUNC or VAR type id.
    pub type_id: u32,
    pub func: bool,
}

/// A BTF-defined map definition, before the loader turns it into a map spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapDef {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub numa_node: u32,
    pub map_extra: u64,
    /// LIBBPF_PIN_NONE (0) or LIBBPF_PIN_BY_NAME (1).
    pub pinning: u32,
    /// The BTF types behind `__type(key, ...)`/`__type(value, ...)`, 0 when given by size.
    pub key_type: u32,
    pub value_type: u32,
    /// Byte offset of the `values` member: where a `.values = { ... }` initialiser's slots start.
    pub values_offset: Option<u32>,
    /// For map-in-map: the inner map's definition.
    pub inner: Option<Box<MapDef>>,
}
