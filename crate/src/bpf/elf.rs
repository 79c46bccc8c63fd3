//! Loading clang-built BPF objects with libbpf's conventions (in progress: types first).

use super::insn::Insn;
use crate::errno::{Errno, Result, XdpError};

/// A parsed object, before anything is created: what `bpf_object__open` knows.
#[derive(Clone, Debug, Default)]
pub struct Object {
    pub license: String,
    pub programs: Vec<ProgramSpec>,
    pub maps: Vec<MapSpec>,
    /// `__ksym` externs, by index as instructions refer to them.
    pub externs: Vec<KsymExtern>,
    /// The raw `.BTF` and `.BTF.ext` sections, kept for later use.
    pub btf: Option<Vec<u8>>,
    pub btf_ext: Option<Vec<u8>>,
}

/// The program type a section name selects (libbpf's section table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgKind {
    Xdp,
    SchedCls,
    SchedAct,
    SocketFilter,
    Kprobe,
    Tracepoint,
    RawTracepoint,
    Tracing,
    StructOps,
    CgroupSkb,
    Lsm,
    Syscall,
    /// A section libbpf does not know: the object opens, the program cannot load.
    Unknown,
}

#[derive(Clone, Debug)]
pub struct ProgramSpec {
    /// The function's symbol name (what `--prog NAME` selects).
    pub name: String,
    /// The whole section name, `?` prefix included.
    pub section: String,
    pub kind: ProgKind,
    /// Loaded with BPF_F_XDP_HAS_FRAGS (`xdp.frags`, `xdp.frags/devmap`, …).
    pub frags: bool,
    /// false for `?`-prefixed sections: libbpf opens but does not load them by default.
    pub autoload: bool,
    /// The entry function followed by the subprograms it calls, as libbpf hands them to the kernel:
    /// - map references: lddw src=BPF_PSEUDO_MAP_IDX (imm = index in `Object::maps`), or
    ///   src=BPF_PSEUDO_MAP_IDX_VALUE (imm = map index, second imm = offset in the value);
    /// - bpf-to-bpf calls: call src=BPF_PSEUDO_CALL with imm relative to the next instruction;
    /// - function addresses: lddw src=BPF_PSEUDO_FUNC, imm relative to the next instruction;
    /// - kfunc calls: call src=BPF_PSEUDO_KFUNC_CALL, imm = index in `Object::externs`;
    /// - ksym addresses (`bpf_ksym_exists`): lddw src=BPF_PSEUDO_BTF_ID, imm = extern index.
    pub insns: Vec<Insn>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalData {
    Data,
    Rodata,
    Bss,
}

#[derive(Clone, Debug, Default)]
pub struct MapSpec {
    pub name: String,
    /// uapi `enum bpf_map_type`.
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    /// For .data/.rodata/.bss: which, and the section's initial bytes (one value of an array of 1).
    pub global: Option<GlobalData>,
    pub initial: Option<Vec<u8>>,
    /// Prog-array slots filled at load (`.values = { [i] = &prog }`): (slot, program name).
    pub init_progs: Vec<(u32, String)>,
}

#[derive(Clone, Debug)]
pub struct KsymExtern {
    pub name: String,
    pub weak: bool,
    /// true for a function (`extern int f(...) __ksym`), false for a variable.
    pub func: bool,
}

pub fn parse(_bytes: &[u8]) -> Result<Object> {
    Err(XdpError::new(Errno::EINVAL, "bpf_object__open", "not yet"))
}
