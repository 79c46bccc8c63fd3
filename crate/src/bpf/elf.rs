//! Loading clang-built BPF objects with libbpf's conventions: what `bpf_object__open` knows
//! before anything reaches the kernel. Programs come from executable sections named by libbpf's
//! section table, one per global function; `.text` functions are subprograms appended to each
//! program that reaches them; `.maps` holds BTF-defined maps and `.data`/`.rodata`/`.bss` become
//! one-element array maps; `__ksym` externs become kfunc calls and BTF-id loads.
//!
//! Any input is answered with an `Object` or an `Err(XdpError)`; a malformed object is EINVAL (or
//! the errno libbpf gives for the case) with the section, symbol or offset at fault.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use object::elf::{FileHeader64, SHF_EXECINSTR, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS, SHT_PROGBITS, SHT_REL, SHT_RELA, SHT_SYMTAB};
use object::read::elf::{FileHeader as _, SectionHeader as _, Sym as _};
use object::LittleEndian as LE;

use super::btf::{self, Btf, Kind as BtfKind};
use super::core::{self as co_re, BtfExt, CoreRelo, SourceLine};
use super::insn::{self, Insn};
use super::isa::{self, Callee, Op};
use crate::errno::{Errno, Result, XdpError};

/// A parsed object, before anything is created: what `bpf_object__open` knows.
#[derive(Clone, Debug, Default)]
pub struct Object {
    pub license: String,
    pub programs: Vec<ProgramSpec>,
    pub maps: Vec<MapSpec>,
    /// `__ksym` externs, by index as instructions refer to them (sorted by name, as libbpf does).
    pub externs: Vec<KsymExtern>,
    /// `__kconfig` externs, each at its offset in the `.kconfig` map (`kconfig_map`), as libbpf
    /// lays them out; their values are set at load (see [`super::kconfig`]).
    pub kconfig: Vec<KconfigExtern>,
    /// The index in `maps` of the `.kconfig` map, when the object has `__kconfig` externs.
    pub kconfig_map: Option<usize>,
    /// The raw `.BTF` and `.BTF.ext` sections, kept for later use.
    pub btf: Option<Vec<u8>>,
    pub btf_ext: Option<Vec<u8>>,
}

/// The program type a section name selects (libbpf's section table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ProgKind {
    Xdp = 6,
    SchedCls = 3,
    SchedAct = 4,
    SocketFilter = 1,
    Kprobe = 2,
    Tracepoint = 5,
    RawTracepoint = 17,
    Tracing = 26,
    StructOps = 27,
    CgroupSkb = 8,
    Lsm = 29,
    Syscall = 31,
    /// A section libbpf does not know: the object opens, the program cannot load.
    Unknown = 0,
    PerfEvent = 7,
    RawTracepointWritable = 24,
    Ext = 28,
    LwtIn = 10,
    LwtOut = 11,
    LwtXmit = 12,
    LwtSeg6local = 19,
    SockOps = 13,
    SkSkb = 14,
    SkMsg = 16,
    LircMode2 = 20,
    FlowDissector = 22,
    CgroupSock = 9,
    CgroupSockAddr = 18,
    CgroupSysctl = 23,
    CgroupSockopt = 25,
    CgroupDevice = 15,
    SkReuseport = 21,
    SkLookup = 30,
    Netfilter = 32,
}

/// Every program type in uapi order (index = `enum bpf_prog_type` number) with the name libbpf
/// and bpftool give it: the one list of program types the crate and, through the binding, the
/// TypeScript policy read.
pub const PROG_KINDS: [(ProgKind, &str); 33] = [
    (ProgKind::Unknown, "unspec"),
    (ProgKind::SocketFilter, "socket_filter"),
    (ProgKind::Kprobe, "kprobe"),
    (ProgKind::SchedCls, "sched_cls"),
    (ProgKind::SchedAct, "sched_act"),
    (ProgKind::Tracepoint, "tracepoint"),
    (ProgKind::Xdp, "xdp"),
    (ProgKind::PerfEvent, "perf_event"),
    (ProgKind::CgroupSkb, "cgroup_skb"),
    (ProgKind::CgroupSock, "cgroup_sock"),
    (ProgKind::LwtIn, "lwt_in"),
    (ProgKind::LwtOut, "lwt_out"),
    (ProgKind::LwtXmit, "lwt_xmit"),
    (ProgKind::SockOps, "sock_ops"),
    (ProgKind::SkSkb, "sk_skb"),
    (ProgKind::CgroupDevice, "cgroup_device"),
    (ProgKind::SkMsg, "sk_msg"),
    (ProgKind::RawTracepoint, "raw_tracepoint"),
    (ProgKind::CgroupSockAddr, "cgroup_sock_addr"),
    (ProgKind::LwtSeg6local, "lwt_seg6local"),
    (ProgKind::LircMode2, "lirc_mode2"),
    (ProgKind::SkReuseport, "sk_reuseport"),
    (ProgKind::FlowDissector, "flow_dissector"),
    (ProgKind::CgroupSysctl, "cgroup_sysctl"),
    (ProgKind::RawTracepointWritable, "raw_tracepoint_writable"),
    (ProgKind::CgroupSockopt, "cgroup_sockopt"),
    (ProgKind::Tracing, "tracing"),
    (ProgKind::StructOps, "struct_ops"),
    (ProgKind::Ext, "ext"),
    (ProgKind::Lsm, "lsm"),
    (ProgKind::SkLookup, "sk_lookup"),
    (ProgKind::Syscall, "syscall"),
    (ProgKind::Netfilter, "netfilter"),
];

impl ProgKind {
    /// The uapi `enum bpf_prog_type` number (0, BPF_PROG_TYPE_UNSPEC, for `Unknown`).
    pub const fn prog_type(self) -> u32 {
        self as u32
    }

    /// The kind for a uapi number; None beyond the enum.
    pub fn from_prog_type(prog_type: u32) -> Option<ProgKind> {
        PROG_KINDS.get(prog_type as usize).map(|&(k, _)| k)
    }

    /// The name bpftool prints for the type.
    pub fn name(self) -> &'static str {
        PROG_KINDS[self as usize].1
    }
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
    /// The CO-RE relocations of these instructions (the entry function's and its subprograms'),
    /// `insn` numbered in `insns`, in instruction order. The instructions hold clang's local
    /// values; the loader applies the relocations against the load's target BTF.
    pub core_relos: Vec<CoreRelo>,
    /// What libbpf hands the kernel as is (an lddw naming a map by a raw file descriptor: no
    /// relocation, so no map of the object): the first such instruction's pc, and the fd. The
    /// loader resolves it in uxdp's map fd table (`maps::map_by_fd`), as the kernel resolves the
    /// process's fds; an fd naming no map fails this program's load alone.
    pub raw_map_fd: Option<(usize, i32)>,
    /// Where each function of `insns` starts, and its name: the entry function at 0, then every
    /// appended subprogram (what `.BTF.ext` func_info tells the kernel).
    pub funcs: Vec<(usize, String)>,
    /// `.BTF.ext` line_info of these instructions, in instruction order: the source line each
    /// record starts (the verifier log quotes them).
    pub lines: Vec<(usize, SourceLine)>,
}

/// A linked program: its instructions, their CO-RE relocations, and where each function starts.
type Linked = (Vec<Insn>, Vec<CoreRelo>, Vec<(usize, String)>, Vec<(usize, SourceLine)>);

impl ProgramSpec {
    /// The uapi `enum bpf_attach_type` libbpf loads the program with (`BPF_XDP_DEVMAP` for
    /// `xdp/devmap`, `BPF_TCX_INGRESS` for `tc/ingress`, …); 0 where the section sets none.
    pub fn expected_attach_type(&self) -> u32 {
        sec_def(&self.section).map_or(0, |d| d.attach)
    }

    /// Loaded with BPF_F_SLEEPABLE (`fentry.s/`, `lsm.s/`, `syscall`, …).
    pub fn sleepable(&self) -> bool {
        sec_def(&self.section).is_some_and(|d| d.flags & SLEEPABLE != 0)
    }

    /// What follows the section table's prefix: the kprobe's function, the tracepoint's
    /// `category/name`, the fentry target. None when the section is just the type.
    pub fn attach_target(&self) -> Option<&str> {
        let sec = self.section.strip_prefix('?').unwrap_or(&self.section);
        let d = sec_def(&self.section)?;
        if d.flags & PREFIX == 0 {
            return None;
        }
        sec.get(d.pattern.len() + 1..).filter(|s| !s.is_empty())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalData {
    Data,
    Rodata,
    Bss,
}

#[derive(Clone, Debug, Default)]
pub struct MapSpec {
    /// The variable's name; for global data, the section's (`.data`, `.rodata.str1.1`, …).
    pub name: String,
    /// uapi `enum bpf_map_type`.
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    /// For ringbufs, already rounded up to a power-of-2 multiple of the page size, as libbpf does.
    pub max_entries: u32,
    pub map_flags: u32,
    /// For .data/.rodata/.bss: which, and the section's initial bytes (one value of an array of 1).
    pub global: Option<GlobalData>,
    pub initial: Option<Vec<u8>>,
    /// Prog-array slots filled at load (`.values = { [i] = &prog }`): (slot, program name).
    pub init_progs: Vec<(u32, String)>,
    /// Map-in-map slots filled at load (`.values = { [i] = &map }`): (slot, map name).
    pub init_maps: Vec<(u32, String)>,
    /// For array/hash of maps: the inner map's definition (`__array(values, struct { ... })`).
    pub inner: Option<Box<MapSpec>>,
    pub map_extra: u64,
    pub numa_node: u32,
    /// LIBBPF_PIN_BY_NAME (1) or none (0).
    pub pinning: u32,
    /// The BTF type of its value (`__type(value, ...)`), 0 when none.
    pub value_type: u32,
    /// A global data section with a DATASEC in BTF (its value type, as libbpf creates it):
    /// each variable's VAR id and offset in the section (from the symbol table, as clang leaves
    /// the DATASEC's offsets for the linker). None without BTF.
    pub global_vars: Option<Vec<(u32, u32)>>,
}

#[derive(Clone, Debug)]
pub struct KsymExtern {
    pub name: String,
    pub weak: bool,
    /// true for a function (`extern int f(...) __ksym`), false for a variable.
    pub func: bool,
    /// The extern's FUNC or VAR in the object's BTF (the kfunc prototype lives behind it; a
    /// variable of type `void` is typeless: libbpf resolves it by address, not BTF).
    pub btf_type_id: u32,
}

/// How libbpf reads a `__kconfig` extern's value (`enum kcfg_type`), from its BTF type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KcfgType {
    /// `bool`: y/n.
    Bool,
    /// `char`: the y/n/m letter, or a number.
    Char,
    /// `enum libbpf_tristate`: y=1, n=0, m=2.
    Tristate,
    /// An integer of 1, 2, 4 or 8 bytes.
    Int,
    /// `char[N]`: a quoted string.
    CharArr,
}

/// A `__kconfig` extern (libbpf's EXT_KCFG).
#[derive(Clone, Debug)]
pub struct KconfigExtern {
    pub name: String,
    pub weak: bool,
    pub kind: KcfgType,
    pub size: u32,
    pub align: u32,
    pub signed: bool,
    /// Its offset in the `.kconfig` map's value.
    pub data_off: u32,
}

impl Object {
    pub fn program(&self, name: &str) -> Option<&ProgramSpec> {
        self.programs.iter().find(|p| p.name == name)
    }

    pub fn map(&self, name: &str) -> Option<&MapSpec> {
        self.maps.iter().find(|m| m.name == name)
    }

    /// What `uxdp prog show` prints for an object file.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let yes = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(s, "programs ({}):", self.programs.len());
        for p in &self.programs {
            let _ = writeln!(
                s,
                "  {}: section {}, type {}, frags {}, autoload {}, {} insns",
                p.name,
                p.section,
                p.kind.name(),
                yes(p.frags),
                yes(p.autoload),
                p.insns.len()
            );
            for r in &p.core_relos {
                let _ = writeln!(s, "    CO-RE {}", r.describe());
            }
        }
        let _ = writeln!(s, "maps ({}):", self.maps.len());
        for m in &self.maps {
            let _ = write!(
                s,
                "  {}: {}, key {}, value {}, max_entries {}, flags {:#x}",
                m.name,
                map_type_name(m.map_type),
                m.key_size,
                m.value_size,
                m.max_entries,
                m.map_flags
            );
            if let Some(inner) = &m.inner {
                let _ = write!(s, ", inner {} (key {}, value {})", map_type_name(inner.map_type), inner.key_size, inner.value_size);
            }
            for (what, slots) in [("progs", &m.init_progs), ("maps", &m.init_maps)] {
                if !slots.is_empty() {
                    let list: Vec<String> = slots.iter().map(|(i, n)| format!("[{i}]={n}")).collect();
                    let _ = write!(s, ", {what} {}", list.join(" "));
                }
            }
            let _ = writeln!(s);
        }
        let list = |func: bool| -> String {
            let names: Vec<String> = self
                .externs
                .iter()
                .filter(|e| e.func == func)
                .map(|e| if e.weak { format!("{} (weak)", e.name) } else { e.name.clone() })
                .collect();
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        };
        let _ = writeln!(s, "kfuncs: {}", list(true));
        if self.externs.iter().any(|e| !e.func) {
            let _ = writeln!(s, "ksyms: {}", list(false));
        }
        if !self.kconfig.is_empty() {
            let names: Vec<String> = self.kconfig.iter().map(|e| if e.weak { format!("{} (weak)", e.name) } else { e.name.clone() }).collect();
            let _ = writeln!(s, "kconfig: {}", names.join(", "));
        }
        let _ = writeln!(s, "license: {}", if self.license.is_empty() { "none" } else { &self.license });
        s
    }
}

/// The name bpftool and libbpf give a uapi map type.
pub fn map_type_name(map_type: u32) -> &'static str {
    super::mapdef::map_type_name(map_type).unwrap_or("unknown")
}

pub const MAP_TYPE_ARRAY: u32 = 2;
pub const MAP_TYPE_RINGBUF: u32 = 27;
pub const MAP_TYPE_USER_RINGBUF: u32 = 31;
/// BPF_F_RDONLY_PROG: the program may read but not write the map (libbpf's `.rodata`).
pub const BPF_F_RDONLY_PROG: u32 = 0x80;
const PAGE_SIZE: u64 = 4096;
/// Global data sections past this are refused rather than allocated: the kernel caps a map
/// value far lower (KMALLOC_MAX_SIZE).
const MAX_GLOBAL_DATA: u64 = 1 << 26;

// Section table flags.
/// `pattern` also matches `pattern/anything` (libbpf's trailing `+`).
const PREFIX: u8 = 1;
const SLEEPABLE: u8 = 2;
const FRAGS: u8 = 4;

struct SecDef {
    pattern: &'static str,
    kind: ProgKind,
    attach: u32,
    flags: u8,
}

/// `enum bpf_attach_type` of XDP programs run from a devmap or cpumap entry.
pub const ATTACH_XDP_DEVMAP: u32 = 33;
pub const ATTACH_XDP_CPUMAP: u32 = 35;

const fn def(pattern: &'static str, kind: ProgKind, attach: u32, flags: u8) -> SecDef {
    SecDef { pattern, kind, attach, flags }
}

// libbpf's section names with the uapi program and attach types they select (attach type
// numbers from `enum bpf_attach_type`). First match wins, as in libbpf.
#[rustfmt::skip]
const SECTION_DEFS: &[SecDef] = {
    use ProgKind::*;
    &[
        def("socket", SocketFilter, 0, 0),
        def("sk_reuseport/migrate", SkReuseport, 40, 0),
        def("sk_reuseport", SkReuseport, 39, 0),
        def("kprobe", Kprobe, 0, PREFIX),
        def("uprobe", Kprobe, 0, PREFIX),
        def("uprobe.s", Kprobe, 0, PREFIX | SLEEPABLE),
        def("kretprobe", Kprobe, 0, PREFIX),
        def("uretprobe", Kprobe, 0, PREFIX),
        def("uretprobe.s", Kprobe, 0, PREFIX | SLEEPABLE),
        def("kprobe.multi", Kprobe, 42, PREFIX),
        def("kretprobe.multi", Kprobe, 42, PREFIX),
        def("uprobe.multi", Kprobe, 48, PREFIX),
        def("uretprobe.multi", Kprobe, 48, PREFIX),
        def("uprobe.multi.s", Kprobe, 48, PREFIX | SLEEPABLE),
        def("uretprobe.multi.s", Kprobe, 48, PREFIX | SLEEPABLE),
        def("ksyscall", Kprobe, 0, PREFIX),
        def("kretsyscall", Kprobe, 0, PREFIX),
        def("usdt", Kprobe, 0, PREFIX),
        def("usdt.s", Kprobe, 0, PREFIX | SLEEPABLE),
        def("tc/ingress", SchedCls, 46, 0),
        def("tc/egress", SchedCls, 47, 0),
        def("tcx/ingress", SchedCls, 46, 0),
        def("tcx/egress", SchedCls, 47, 0),
        def("tc", SchedCls, 0, 0),
        def("classifier", SchedCls, 0, 0),
        def("action", SchedAct, 0, 0),
        def("netkit/primary", SchedCls, 54, 0),
        def("netkit/peer", SchedCls, 55, 0),
        def("tracepoint", Tracepoint, 0, PREFIX),
        def("tp", Tracepoint, 0, PREFIX),
        def("raw_tracepoint", RawTracepoint, 0, PREFIX),
        def("raw_tp", RawTracepoint, 0, PREFIX),
        def("raw_tracepoint.w", RawTracepointWritable, 0, PREFIX),
        def("raw_tp.w", RawTracepointWritable, 0, PREFIX),
        def("tp_btf", Tracing, 23, PREFIX),
        def("fentry", Tracing, 24, PREFIX),
        def("fmod_ret", Tracing, 26, PREFIX),
        def("fexit", Tracing, 25, PREFIX),
        def("fentry.s", Tracing, 24, PREFIX | SLEEPABLE),
        def("fmod_ret.s", Tracing, 26, PREFIX | SLEEPABLE),
        def("fexit.s", Tracing, 25, PREFIX | SLEEPABLE),
        def("freplace", Ext, 0, PREFIX),
        def("lsm", Lsm, 27, PREFIX),
        def("lsm.s", Lsm, 27, PREFIX | SLEEPABLE),
        def("lsm_cgroup", Lsm, 43, PREFIX),
        def("iter", Tracing, 28, PREFIX),
        def("iter.s", Tracing, 28, PREFIX | SLEEPABLE),
        def("syscall", Syscall, 0, SLEEPABLE),
        def("xdp.frags/devmap", Xdp, ATTACH_XDP_DEVMAP, FRAGS),
        def("xdp/devmap", Xdp, ATTACH_XDP_DEVMAP, 0),
        def("xdp.frags/cpumap", Xdp, ATTACH_XDP_CPUMAP, FRAGS),
        def("xdp/cpumap", Xdp, ATTACH_XDP_CPUMAP, 0),
        def("xdp.frags", Xdp, 37, FRAGS),
        def("xdp", Xdp, 37, 0),
        def("perf_event", PerfEvent, 0, 0),
        def("lwt_in", LwtIn, 0, 0),
        def("lwt_out", LwtOut, 0, 0),
        def("lwt_xmit", LwtXmit, 0, 0),
        def("lwt_seg6local", LwtSeg6local, 0, 0),
        def("sockops", SockOps, 3, 0),
        def("sk_skb/stream_parser", SkSkb, 4, 0),
        def("sk_skb/stream_verdict", SkSkb, 5, 0),
        def("sk_skb/verdict", SkSkb, 38, 0),
        def("sk_skb", SkSkb, 0, 0),
        def("sk_msg", SkMsg, 7, 0),
        def("lirc_mode2", LircMode2, 16, 0),
        def("flow_dissector", FlowDissector, 17, 0),
        def("cgroup_skb/ingress", CgroupSkb, 0, 0),
        def("cgroup_skb/egress", CgroupSkb, 1, 0),
        def("cgroup/skb", CgroupSkb, 0, 0),
        def("cgroup/sock_create", CgroupSock, 2, 0),
        def("cgroup/sock_release", CgroupSock, 34, 0),
        def("cgroup/sock", CgroupSock, 2, 0),
        def("cgroup/post_bind4", CgroupSock, 12, 0),
        def("cgroup/post_bind6", CgroupSock, 13, 0),
        def("cgroup/bind4", CgroupSockAddr, 8, 0),
        def("cgroup/bind6", CgroupSockAddr, 9, 0),
        def("cgroup/connect4", CgroupSockAddr, 10, 0),
        def("cgroup/connect6", CgroupSockAddr, 11, 0),
        def("cgroup/connect_unix", CgroupSockAddr, 49, 0),
        def("cgroup/sendmsg4", CgroupSockAddr, 14, 0),
        def("cgroup/sendmsg6", CgroupSockAddr, 15, 0),
        def("cgroup/sendmsg_unix", CgroupSockAddr, 50, 0),
        def("cgroup/recvmsg4", CgroupSockAddr, 19, 0),
        def("cgroup/recvmsg6", CgroupSockAddr, 20, 0),
        def("cgroup/recvmsg_unix", CgroupSockAddr, 51, 0),
        def("cgroup/getpeername4", CgroupSockAddr, 29, 0),
        def("cgroup/getpeername6", CgroupSockAddr, 30, 0),
        def("cgroup/getpeername_unix", CgroupSockAddr, 52, 0),
        def("cgroup/getsockname4", CgroupSockAddr, 31, 0),
        def("cgroup/getsockname6", CgroupSockAddr, 32, 0),
        def("cgroup/getsockname_unix", CgroupSockAddr, 53, 0),
        def("cgroup/sysctl", CgroupSysctl, 18, 0),
        def("cgroup/getsockopt", CgroupSockopt, 21, 0),
        def("cgroup/setsockopt", CgroupSockopt, 22, 0),
        def("cgroup/dev", CgroupDevice, 6, 0),
        def("struct_ops", StructOps, 0, PREFIX),
        def("struct_ops.s", StructOps, 0, PREFIX | SLEEPABLE),
        def("sk_lookup", SkLookup, 36, 0),
        def("netfilter", Netfilter, 45, 0),
    ]
};

/// The section table's entry for a section name (`?` ignored), as libbpf's `find_sec_def`.
fn sec_def(section: &str) -> Option<&'static SecDef> {
    let name = section.strip_prefix('?').unwrap_or(section);
    SECTION_DEFS.iter().find(|d| {
        if d.flags & PREFIX != 0 {
            name.strip_prefix(d.pattern).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        } else {
            name == d.pattern
        }
    })
}

/// The program type, frags flag and autoload flag a section name gives its programs.
pub fn section_kind(section: &str) -> (ProgKind, bool, bool) {
    let autoload = !section.starts_with('?');
    match sec_def(section) {
        Some(d) => (d.kind, d.flags & FRAGS != 0, autoload),
        None => (ProgKind::Unknown, false, autoload),
    }
}

const OP: &str = "bpf_object__open";

fn err(message: impl Into<String>) -> XdpError {
    XdpError::new(Errno::EINVAL, OP, message)
}

fn err_no(errno: Errno, message: impl Into<String>) -> XdpError {
    XdpError::new(errno, OP, message)
}

// ELF relocation types for BPF (llvm's BPFELFObjectWriter).
const R_BPF_64_64: u32 = 1;
const R_BPF_64_ABS64: u32 = 2;
const R_BPF_64_ABS32: u32 = 3;
const R_BPF_64_32: u32 = 10;

const EM_BPF: u16 = 247;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SecKind {
    Prog,
    Maps,
    LegacyMaps,
    Data(GlobalData),
    Other,
}

struct Section<'a> {
    name: String,
    kind: SecKind,
    data: &'a [u8],
    size: u64,
}

struct Symbol {
    name: String,
    value: u64,
    size: u64,
    shndx: u16,
    bind: u8,
    typ: u8,
}

impl Symbol {
    fn is_extern(&self) -> bool {
        self.shndx == SHN_UNDEF
            && matches!(self.bind, object::elf::STB_GLOBAL | object::elf::STB_WEAK)
            && self.typ == object::elf::STT_NOTYPE
            && !self.name.is_empty()
    }
}

/// Where a map definition lies in `.maps` or `maps`.
#[derive(Clone, Copy, Debug)]
struct MapPlace {
    sec: usize,
    off: u64,
    size: u64,
    /// Byte offset of the `values` member inside the definition, for `.values` initialisers.
    values_offset: Option<u32>,
}

/// A function in an executable section, in instruction units.
#[derive(Clone, Debug)]
struct Func {
    sec: usize,
    start: usize,
    len: usize,
    name: String,
    /// A global (not static) symbol.
    global: bool,
}

/// What a relocated instruction becomes, resolved against maps, data and externs.
#[derive(Clone, Copy, Debug)]
enum Reloc {
    Map(u32),
    Data {
        map: u32,
        sym_off: u64,
    },
    ExternCall(u32),
    ExternLoad(u32),
    /// A `__kconfig` extern: its value in the `.kconfig` map.
    Kconfig {
        map: u32,
        off: u32,
    },
    /// A call into `.text`; the target is `sym_off / 8 + imm + 1`.
    Call {
        sym_off: u64,
    },
    /// An lddw of a `.text` address; the target byte is `sym_off + imm`.
    FuncAddr {
        sym_off: u64,
    },
}

/// Copies the input to 8-byte-aligned memory: the `object` crate reads headers in place and
/// refuses misaligned ones, and callers may hand us any slice.
fn aligned_copy(bytes: &[u8]) -> (Vec<u8>, usize) {
    let mut buf = vec![0u8; bytes.len() + 8];
    let start = buf.as_ptr().align_offset(8).min(8);
    buf[start..start + bytes.len()].copy_from_slice(bytes);
    (buf, start)
}

/// Parses a clang-built BPF object (`clang -target bpf -c`).
/// The first lddw naming a map by a raw fd (BPF_PSEUDO_MAP_FD / _VALUE): its pc and the fd.
fn first_raw_map_fd(insns: &[Insn]) -> Option<(usize, i32)> {
    (0..insns.len())
        .find(|&pc| insns[pc].is_lddw() && matches!(insns[pc].src(), insn::PSEUDO_MAP_FD | insn::PSEUDO_MAP_VALUE))
        .map(|pc| (pc, insns[pc].imm))
}

impl Object {
    /// An object of one program made of raw instructions (8 bytes each, as `bpf_prog_load` takes
    /// them), with no ELF around it: `section` picks its type as libbpf's section table does
    /// (`xdp`, `xdp.frags`, `tc`, `socket`, ...), and an lddw names a map by its fd in uxdp's table
    /// (src BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE), as the kernel resolves a process's fds.
    /// Bpf-to-bpf calls (src BPF_PSEUDO_CALL) work; there is no BTF, so no CO-RE, kfuncs or externs.
    pub fn from_insns(name: &str, section: &str, license: &str, bytes: &[u8]) -> Result<Object> {
        if bytes.is_empty() || bytes.len() % 8 != 0 {
            return Err(err(format!("{} bytes of instructions: a program is a non-empty multiple of 8 bytes", bytes.len())));
        }
        let (kind, frags, autoload) = section_kind(section);
        if kind == ProgKind::Unknown {
            return Err(err(format!("section '{section}' names no program type (libbpf's section names: xdp, tc, socket, ...)")));
        }
        if name.is_empty() || name.contains('\0') {
            return Err(err("a program needs a name without NUL bytes"));
        }
        let insns: Vec<Insn> = bytes.chunks_exact(8).map(|c| Insn::from_bytes(c.try_into().expect("8 bytes"))).collect();
        let raw_map_fd = first_raw_map_fd(&insns);
        let spec = ProgramSpec {
            name: name.to_string(),
            section: section.to_string(),
            kind,
            frags,
            autoload,
            insns,
            core_relos: Vec::new(),
            raw_map_fd,
            funcs: vec![(0, name.to_string())],
            lines: Vec::new(),
        };
        Ok(Object { license: license.to_string(), programs: vec![spec], ..Object::default() })
    }
}

pub fn parse(bytes: &[u8]) -> Result<Object> {
    if bytes.len() < 64 {
        return Err(err(format!("{} bytes is shorter than an ELF64 header", bytes.len())));
    }
    if bytes[..4] != *b"\x7fELF" {
        return Err(err("not an ELF file (bad magic)"));
    }
    if bytes[4] != 2 {
        return Err(err(format!("ELF class {} is not ELFCLASS64", bytes[4])));
    }
    if bytes[5] != 1 {
        return Err(err(format!("ELF data encoding {} is not little-endian; objects must match the host", bytes[5])));
    }
    let (buf, start) = aligned_copy(bytes);
    Loader::new(&buf[start..start + bytes.len()])?.load()
}

struct Loader<'a> {
    sections: Vec<Section<'a>>,
    symbols: Vec<Symbol>,
    rels: Vec<(usize, &'a [object::elf::Rel64<LE>])>,
    btf: Option<Btf>,
    btf_raw: Option<&'a [u8]>,
    btf_ext_raw: Option<&'a [u8]>,
    license: String,
    text: Option<usize>,
    maps: Vec<MapSpec>,
    /// (section, offset) of each map defined in `.maps`/`maps`.
    map_at: HashMap<(usize, u64), usize>,
    /// Where each map's definition lies, by map index (None for global data).
    map_extent: Vec<Option<MapPlace>>,
    data_map: HashMap<usize, u32>,
    externs: Vec<KsymExtern>,
    extern_of_sym: HashMap<usize, u32>,
    kconfig: Vec<KconfigExtern>,
    kconfig_of_sym: HashMap<usize, u32>,
    kconfig_map: Option<usize>,
    funcs: Vec<Func>,
    relocs: HashMap<(usize, usize), Reloc>,
    insns: HashMap<usize, Vec<Insn>>,
    /// CO-RE relocations by (section, instruction index in it).
    core_relos: BTreeMap<(usize, usize), Vec<CoreRelo>>,
    /// Source lines (`.BTF.ext` line_info) by (section, instruction index in it).
    lines: BTreeMap<(usize, usize), SourceLine>,
}

impl<'a> Loader<'a> {
    fn new(file: &'a [u8]) -> Result<Loader<'a>> {
        let e = LE;
        let elf_err = |what: &str, x: object::read::Error| err(format!("{what}: {x}"));
        let hdr = FileHeader64::<LE>::parse(file).map_err(|x| elf_err("ELF header", x))?;
        if hdr.e_type(e) != object::elf::ET_REL {
            return Err(err(format!("e_type {} is not ET_REL: not a relocatable object", hdr.e_type(e))));
        }
        // Old LLVM left e_machine at EM_NONE; libbpf accepts that too.
        let machine = hdr.e_machine(e);
        if machine != EM_BPF && machine != 0 {
            return Err(err(format!("e_machine {machine} is not EM_BPF ({EM_BPF})")));
        }
        let table = hdr.sections(e, file).map_err(|x| elf_err("section headers", x))?;
        let mut sections = Vec::with_capacity(table.len());
        let mut symtab_idx = None;
        let mut loader = Loader {
            sections: Vec::new(),
            symbols: Vec::new(),
            rels: Vec::new(),
            btf: None,
            btf_raw: None,
            btf_ext_raw: None,
            license: String::new(),
            text: None,
            maps: Vec::new(),
            map_at: HashMap::new(),
            map_extent: Vec::new(),
            data_map: HashMap::new(),
            externs: Vec::new(),
            extern_of_sym: HashMap::new(),
            kconfig: Vec::new(),
            kconfig_of_sym: HashMap::new(),
            kconfig_map: None,
            funcs: Vec::new(),
            relocs: HashMap::new(),
            insns: HashMap::new(),
            core_relos: BTreeMap::new(),
            lines: BTreeMap::new(),
        };
        for (index, sh) in table.enumerate() {
            let idx = index.0;
            let name = table.section_name(e, sh).map_err(|x| elf_err(&format!("section #{idx} name"), x))?;
            let name = String::from_utf8_lossy(name).into_owned();
            let sh_type = sh.sh_type(e);
            let size = sh.sh_size(e);
            let flags = sh.sh_flags(e);
            let data: &[u8] = if sh_type == SHT_NOBITS || idx == 0 {
                &[]
            } else {
                sh.data(e, file).map_err(|x| elf_err(&format!("section '{name}' data"), x))?
            };
            let mut kind = SecKind::Other;
            match sh_type {
                SHT_SYMTAB => {
                    if symtab_idx.is_some() {
                        return Err(err("more than one symbol table"));
                    }
                    symtab_idx = Some(idx);
                }
                SHT_REL => {
                    loader.rels.push((idx, sh.data_as_array(e, file).map_err(|x| elf_err(&format!("relocation section '{name}'"), x))?))
                }
                SHT_RELA => {
                    // BPF relocations carry their addend in the instruction; RELA ones would
                    // need handling no toolchain asks for.
                    let target = sh.sh_info(e) as usize;
                    if target < table.len() {
                        let t = table.section(object::SectionIndex(target)).map_err(|x| elf_err(&name, x))?;
                        if t.sh_flags(e) & u64::from(SHF_EXECINSTR) != 0 {
                            return Err(err(format!("section '{name}': RELA relocations for code are not supported")));
                        }
                    }
                }
                _ => {}
            }
            if name == "license" {
                let end = data.iter().position(|&b| b == 0).ok_or_else(|| err("section 'license' is not NUL-terminated"))?;
                loader.license = String::from_utf8_lossy(&data[..end]).into_owned();
            } else if name == ".BTF" {
                loader.btf_raw = Some(data);
            } else if name == ".BTF.ext" {
                loader.btf_ext_raw = Some(data);
            } else if name == ".maps" && sh_type == SHT_PROGBITS {
                kind = SecKind::Maps;
            } else if name == "maps" && sh_type == SHT_PROGBITS {
                kind = SecKind::LegacyMaps;
            } else if sh_type == SHT_PROGBITS && flags & u64::from(SHF_EXECINSTR) != 0 {
                kind = SecKind::Prog;
                if name == ".text" {
                    loader.text = Some(idx);
                }
            } else if sh_type == SHT_PROGBITS && size > 0 && (name == ".data" || name.starts_with(".data.")) {
                kind = SecKind::Data(GlobalData::Data);
            } else if sh_type == SHT_PROGBITS && size > 0 && (name == ".rodata" || name.starts_with(".rodata.")) {
                kind = SecKind::Data(GlobalData::Rodata);
            } else if sh_type == SHT_NOBITS && size > 0 && (name == ".bss" || name.starts_with(".bss.")) {
                kind = SecKind::Data(GlobalData::Bss);
            }
            sections.push(Section { name, kind, data, size });
        }
        loader.sections = sections;

        let symtab_idx = symtab_idx.ok_or_else(|| err_no(Errno::ENOENT, "no symbol table (stripped object?)"))?;
        let symtab = table.symbols(e, file, SHT_SYMTAB).map_err(|x| elf_err("symbol table", x))?;
        for (i, sym) in symtab.iter().enumerate() {
            let name = symtab.symbol_name(e, sym).map_err(|x| elf_err(&format!("symbol #{i} name"), x))?;
            let mut name = String::from_utf8_lossy(name).into_owned();
            let shndx = sym.st_shndx(e);
            if name.is_empty() && sym.st_type() == object::elf::STT_SECTION {
                if let Some(s) = loader.sections.get(shndx as usize) {
                    name = s.name.clone();
                }
            }
            loader.symbols.push(Symbol {
                name,
                value: sym.st_value(e),
                size: sym.st_size(e),
                shndx,
                bind: sym.st_bind(),
                typ: sym.st_type(),
            });
        }
        for &(idx, _) in &loader.rels {
            let sh = table.section(object::SectionIndex(idx)).map_err(|x| elf_err("relocation section", x))?;
            let target = sh.sh_info(e) as usize;
            let targets_code_or_maps =
                loader.sections.get(target).is_some_and(|t| matches!(t.kind, SecKind::Prog | SecKind::Maps | SecKind::LegacyMaps));
            if targets_code_or_maps && sh.sh_link(e) as usize != symtab_idx {
                return Err(err(format!("relocation section '{}' does not use the symbol table", loader.sections[idx].name)));
            }
        }
        // Keep only relocation sections that apply to code or map definitions, keyed by target.
        let rels = std::mem::take(&mut loader.rels);
        for (idx, r) in rels {
            let sh = table.section(object::SectionIndex(idx)).map_err(|x| elf_err("relocation section", x))?;
            let target = sh.sh_info(e) as usize;
            if loader.sections.get(target).is_some_and(|t| matches!(t.kind, SecKind::Prog | SecKind::Maps)) {
                loader.rels.push((target, r));
            }
        }
        Ok(loader)
    }

    fn load(mut self) -> Result<Object> {
        if let Some(raw) = self.btf_raw {
            self.btf = Some(Btf::parse(raw)?);
        }
        self.collect_btf_maps()?;
        self.collect_legacy_maps()?;
        self.collect_data_maps()?;
        self.collect_externs()?;
        self.collect_funcs()?;
        self.collect_core_relos()?;
        self.collect_prog_relocs()?;
        let programs = self.link_programs()?;
        self.collect_map_relocs(&programs)?;
        Ok(Object {
            license: self.license,
            programs,
            maps: self.maps,
            externs: self.externs,
            kconfig: self.kconfig,
            kconfig_map: self.kconfig_map,
            btf: self.btf_raw.map(<[u8]>::to_vec),
            btf_ext: self.btf_ext_raw.map(<[u8]>::to_vec),
        })
    }

    fn push_map(&mut self, spec: MapSpec, extent: Option<MapPlace>) -> u32 {
        let idx = self.maps.len();
        if let Some(p) = extent {
            self.map_at.insert((p.sec, p.off), idx);
        }
        self.maps.push(spec);
        self.map_extent.push(extent);
        idx as u32
    }

    /// `.maps`: one map per variable of the `.maps` DATASEC, placed by its ELF symbol (clang
    /// leaves the DATASEC offsets 0 in an unlinked object, so the symbol table is the truth).
    fn collect_btf_maps(&mut self) -> Result<()> {
        let Some(sec) = self.sections.iter().position(|s| s.kind == SecKind::Maps) else { return Ok(()) };
        let btf = self.btf.as_ref().ok_or_else(|| err("section '.maps' needs BTF, and the object has no .BTF"))?;
        let (_, vars) = btf.datasec(".maps").ok_or_else(|| err("section '.maps' has no DATASEC in BTF"))?;
        let sec_size = self.sections[sec].size;
        let mut found = Vec::new();
        for (i, v) in vars.iter().enumerate() {
            let var = btf.type_by_id(v.type_id).ok_or_else(|| err(format!(".maps variable #{i}: bad type id")))?;
            let name = var.name.clone();
            if name.is_empty() {
                return Err(err(format!("map #{i} in .maps has no name")));
            }
            let BtfKind::Var { target, linkage } = var.kind else {
                return Err(err(format!("map '{name}': .maps entry is a {}, not a VAR", var.kind.name())));
            };
            if linkage != btf::Linkage::Global {
                return Err(err_no(Errno::EOPNOTSUPP, format!("map '{name}': unsupported map linkage {}", linkage.as_str())));
            }
            let sym = self
                .symbols
                .iter()
                .find(|s| s.name == name && s.shndx as usize == sec)
                .ok_or_else(|| err(format!("map '{name}': no symbol for it in section '.maps'")))?;
            let off = sym.value;
            // The DATASEC size covers `.values` initialisers past the struct; the symbol size
            // is the fallback when clang left it 0.
            let size = if v.size != 0 { v.size as u64 } else { sym.size };
            if off.checked_add(size).is_none_or(|end| end > sec_size) {
                return Err(err(format!("map '{name}': {off}+{size} runs past the {sec_size}-byte '.maps' section")));
            }
            let def = btf.map_def(&name, target)?;
            let def_size = btf.resolve_size(target)? as u64;
            if def_size > size {
                return Err(err(format!("map '{name}': definition is {def_size} bytes, its variable {size}")));
            }
            found.push((name, off, size, def));
        }
        for (name, off, size, def) in found {
            let values_offset = def.values_offset;
            let spec = map_spec_from_def(name, &def);
            self.push_map(spec, Some(MapPlace { sec, off, size, values_offset }));
        }
        Ok(())
    }

    /// The pre-BTF `SEC("maps")` with `struct bpf_map_def { type, key_size, value_size,
    /// max_entries, map_flags }` per symbol; libbpf 1.0 dropped it, older objects still have it.
    fn collect_legacy_maps(&mut self) -> Result<()> {
        let Some(sec) = self.sections.iter().position(|s| s.kind == SecKind::LegacyMaps) else { return Ok(()) };
        let data = self.sections[sec].data;
        let mut syms: Vec<(u64, String)> = self
            .symbols
            .iter()
            .filter(|s| s.shndx as usize == sec && s.typ != object::elf::STT_SECTION && !s.name.is_empty())
            .map(|s| (s.value, s.name.clone()))
            .collect();
        if syms.is_empty() {
            return Ok(());
        }
        syms.sort();
        // Every definition has the same size, the section split evenly between the symbols.
        let def_size = data.len() as u64 / syms.len() as u64;
        if def_size == 0 || !(data.len() as u64).is_multiple_of(syms.len() as u64) {
            return Err(err(format!("section 'maps': {} bytes do not split into {} definitions", data.len(), syms.len())));
        }
        for (off, name) in syms {
            let def = off.checked_add(def_size).and_then(|end| data.get(off as usize..end as usize)).ok_or_else(|| {
                err(format!("map '{name}': definition at {off}+{def_size} is past the {}-byte 'maps' section", data.len()))
            })?;
            if def.len() > 20 && def[20..].iter().any(|&b| b != 0) {
                return Err(err_no(Errno::EOPNOTSUPP, format!("map '{name}': legacy definition has unknown non-zero fields")));
            }
            let field = |i: usize| def.get(4 * i..4 * i + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            let mut spec = MapSpec {
                name,
                map_type: field(0),
                key_size: field(1),
                value_size: field(2),
                max_entries: field(3),
                map_flags: field(4),
                ..MapSpec::default()
            };
            adjust_ringbuf(&mut spec);
            self.push_map(spec, Some(MapPlace { sec, off, size: def_size, values_offset: None }));
        }
        Ok(())
    }

    /// `.data*`, `.rodata*` and `.bss*`: each section one array map with a single value holding
    /// the whole section, as libbpf's internal maps.
    fn collect_data_maps(&mut self) -> Result<()> {
        let data_secs: Vec<(usize, GlobalData)> = self
            .sections
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s.kind {
                SecKind::Data(g) => Some((i, g)),
                _ => None,
            })
            .collect();
        for (sec, global) in data_secs {
            let s = &self.sections[sec];
            if s.size > MAX_GLOBAL_DATA {
                return Err(err_no(Errno::E2BIG, format!("section '{}' is {} bytes, more than a map value can hold", s.name, s.size)));
            }
            let value_size = s.size as u32;
            let initial = match global {
                GlobalData::Bss => vec![0; value_size as usize],
                _ => s.data.to_vec(),
            };
            let global_vars = self.btf.as_ref().and_then(|b| b.datasec(&s.name)).map(|(_, vars)| {
                vars.iter()
                    .filter_map(|v| {
                        let name = &self.btf.as_ref()?.type_by_id(v.type_id)?.name;
                        let sym = self.symbols.iter().find(|y| y.shndx as usize == sec && &y.name == name)?;
                        Some((v.type_id, sym.value as u32))
                    })
                    .collect::<Vec<_>>()
            });
            let spec = MapSpec {
                name: s.name.clone(),
                map_type: MAP_TYPE_ARRAY,
                key_size: 4,
                value_size,
                max_entries: 1,
                map_flags: if global == GlobalData::Rodata { BPF_F_RDONLY_PROG } else { 0 },
                global: Some(global),
                initial: Some(initial),
                global_vars,
                ..MapSpec::default()
            };
            let idx = self.push_map(spec, None);
            self.data_map.insert(sec, idx);
        }
        Ok(())
    }

    /// Undefined global/weak symbols are externs; each must be declared in BTF's `.ksyms`.
    fn collect_externs(&mut self) -> Result<()> {
        let ext_syms: Vec<usize> = (0..self.symbols.len()).filter(|&i| self.symbols[i].is_extern()).collect();
        if ext_syms.is_empty() {
            return Ok(());
        }
        let btf = self.btf.as_ref().ok_or_else(|| {
            err(format!("extern '{}' needs BTF to say what it is, and the object has no .BTF", self.symbols[ext_syms[0]].name))
        })?;
        let ksyms = btf.ksyms()?;
        let kconfig = btf.datasec(".kconfig").map(|(_, v)| v).unwrap_or(&[]);
        let mut found: Vec<(KsymExtern, usize)> = Vec::new();
        let mut kcfg: Vec<(KconfigExtern, usize)> = Vec::new();
        for i in ext_syms {
            let sym = &self.symbols[i];
            let weak = sym.bind == object::elf::STB_WEAK;
            if let Some(k) = ksyms.iter().find(|k| k.name == sym.name) {
                let ext = KsymExtern { name: sym.name.clone(), weak, func: k.func, btf_type_id: k.type_id };
                found.push((ext, i));
            } else if let Some(v) = kconfig.iter().find(|v| btf.type_by_id(v.type_id).is_some_and(|t| t.name == sym.name)) {
                kcfg.push((kconfig_extern(btf, &sym.name, weak, v.type_id)?, i));
            } else {
                return Err(err_no(Errno::ENOENT, format!("extern '{}' is not declared in BTF's .ksyms or .kconfig", sym.name)));
            }
        }
        // libbpf orders ksym externs by name; instructions refer to that order.
        found.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        for (idx, (ext, sym)) in found.into_iter().enumerate() {
            self.extern_of_sym.insert(sym, idx as u32);
            self.externs.push(ext);
        }
        // kconfig externs: by alignment (largest first), size (smallest first), then name, each
        // at the next offset its alignment allows, in one `.kconfig` map (libbpf's layout).
        if !kcfg.is_empty() {
            kcfg.sort_by(|a, b| b.0.align.cmp(&a.0.align).then(a.0.size.cmp(&b.0.size)).then(a.0.name.cmp(&b.0.name)));
            let mut off = 0u32;
            for (idx, (mut ext, sym)) in kcfg.into_iter().enumerate() {
                ext.data_off = off.div_ceil(ext.align) * ext.align;
                off = ext.data_off + ext.size;
                self.kconfig_of_sym.insert(sym, idx as u32);
                self.kconfig.push(ext);
            }
            let spec = MapSpec {
                name: ".kconfig".into(),
                map_type: MAP_TYPE_ARRAY,
                key_size: 4,
                value_size: off,
                max_entries: 1,
                map_flags: BPF_F_RDONLY_PROG,
                global: Some(GlobalData::Rodata),
                initial: Some(vec![0; off as usize]),
                ..MapSpec::default()
            };
            self.kconfig_map = Some(self.push_map(spec, None) as usize);
        }
        Ok(())
    }

    fn collect_funcs(&mut self) -> Result<()> {
        for (sec, s) in self.sections.iter().enumerate() {
            if s.kind != SecKind::Prog {
                continue;
            }
            let insns =
                insn::decode(s.data).map_err(|n| err(format!("section '{}' is {n} bytes, not a whole number of instructions", s.name)))?;
            self.insns.insert(sec, insns);
            let mut funcs: Vec<Func> = Vec::new();
            for sym in &self.symbols {
                if sym.shndx as usize != sec || sym.typ != object::elf::STT_FUNC {
                    continue;
                }
                if sym.value % 8 != 0 || sym.size % 8 != 0 {
                    return Err(err(format!(
                        "function '{}' in '{}' at {}+{} is not instruction-aligned",
                        sym.name, s.name, sym.value, sym.size
                    )));
                }
                if sym.value.checked_add(sym.size).is_none_or(|end| end > s.data.len() as u64) {
                    return Err(err(format!(
                        "function '{}' at {}+{} runs past the {}-byte section '{}'",
                        sym.name,
                        sym.value,
                        sym.size,
                        s.data.len(),
                        s.name
                    )));
                }
                if sym.size == 0 {
                    return Err(err(format!("function '{}' in '{}' has size 0", sym.name, s.name)));
                }
                if Some(sec) != self.text && sym.bind == object::elf::STB_LOCAL {
                    return Err(err_no(
                        Errno::EOPNOTSUPP,
                        format!("program '{}' in section '{}' is static, and programs must be global", sym.name, s.name),
                    ));
                }
                let global = sym.bind == object::elf::STB_GLOBAL;
                funcs.push(Func { sec, start: (sym.value / 8) as usize, len: (sym.size / 8) as usize, name: sym.name.clone(), global });
            }
            funcs.sort_by_key(|f| f.start);
            self.funcs.extend(funcs);
        }
        Ok(())
    }

    /// `.BTF.ext`: its header and record tables checked, and every CO-RE relocation resolved
    /// against the object's BTF and judged (see [`co_re`]). As libbpf, a relocation outside any
    /// function (a `__weak` subprogram a linker dropped) is skipped.
    fn collect_core_relos(&mut self) -> Result<()> {
        let Some(raw) = self.btf_ext_raw else { return Ok(()) };
        let Some(btf) = self.btf.as_ref() else {
            // libbpf ignores .BTF.ext without .BTF; relocations would be ignored with it.
            let header = co_re::ExtHeader::parse(raw)?;
            if header.core_relo.1 != 0 {
                return Err(err(".BTF.ext holds CO-RE relocations, and the object has no .BTF to read them with"));
            }
            return Ok(());
        };
        let ext = BtfExt::parse(raw, btf)?;
        for table in &ext.line_info {
            let Some(sec) = self.sections.iter().position(|s| s.name == table.section && s.kind == SecKind::Prog) else { continue };
            for rec in &table.records {
                if let (0, Some(l)) = (rec.insn_off % 8, SourceLine::resolve(btf, rec)) {
                    self.lines.insert((sec, rec.insn_off as usize / 8), l);
                }
            }
        }
        for table in &ext.core_relos {
            let sec = self.sections.iter().position(|s| s.name == table.section && s.kind == SecKind::Prog).ok_or_else(|| {
                err(format!(".BTF.ext: CO-RE relocations for section '{}', which is not a program section", table.section))
            })?;
            let insns = self.insns.get(&sec).map(Vec::as_slice).unwrap_or(&[]);
            for (index, rec) in table.records.iter().enumerate() {
                let idx = rec.insn_off as usize / 8;
                if rec.insn_off % 8 == 0 && idx < insns.len() && self.func_at(sec, idx).is_none() {
                    continue;
                }
                let (fname, fstart) = self.func_at(sec, idx).map_or((String::new(), 0), |f| (f.name.clone(), f.start));
                let relo = co_re::resolve(btf, &table.section, index, rec, insns, &fname, fstart)?;
                self.core_relos.entry((sec, idx)).or_default().push(relo);
            }
        }
        Ok(())
    }

    /// The function of `sec` holding instruction `idx`.
    fn func_at(&self, sec: usize, idx: usize) -> Option<&Func> {
        self.funcs.iter().find(|f| f.sec == sec && f.start <= idx && idx < f.start + f.len)
    }

    /// Whether `.text` functions are subprograms; a lone `.text` function with nothing else is
    /// an old-style program of its own, as libbpf treats it.
    fn text_is_subprogs(&self) -> bool {
        self.funcs.len() > 1
    }

    fn collect_prog_relocs(&mut self) -> Result<()> {
        let e = LE;
        let mut relocs = HashMap::new();
        for &(sec, rels) in &self.rels {
            if self.sections[sec].kind != SecKind::Prog {
                continue;
            }
            let sec_name = &self.sections[sec].name;
            let Some(insns) = self.insns.get(&sec) else { continue };
            for (i, rel) in rels.iter().enumerate() {
                let r_offset = rel.r_offset.get(e);
                let r_type = rel.r_type(e);
                let at = |msg: String| err(format!("section '{sec_name}' relocation #{i} at offset {r_offset}: {msg}"));
                if r_offset % 8 != 0 || r_offset >= insns.len() as u64 * 8 {
                    return Err(at(format!("offset is not an instruction of the {}-instruction section", insns.len())));
                }
                let idx = (r_offset / 8) as usize;
                // libbpf skips relocations outside any function (an overridden weak one).
                let Some(func) = self.func_at(sec, idx) else { continue };
                let prog = func.name.as_str();
                let sym_idx = rel.r_sym(e) as usize;
                let sym = self.symbols.get(sym_idx).ok_or_else(|| at(format!("symbol #{sym_idx} does not exist")))?;
                if r_type != R_BPF_64_64 && r_type != R_BPF_64_32 {
                    return Err(at(format!("unsupported relocation type {r_type} against '{}'", sym.name)));
                }
                let insn = insns[idx];
                let is_call = matches!(isa::decode(insns, idx), Op::Call(_));
                let is_lddw = insn.is_lddw();
                if !is_call && !is_lddw {
                    return Err(at(format!(
                        "'{prog}': relocation against '{}' on instruction {idx} with opcode {:#04x}",
                        sym.name, insn.code
                    )));
                }
                if is_lddw && idx + 1 >= insns.len() {
                    return Err(at(format!("'{prog}': lddw at instruction {idx} is cut off by the section end")));
                }
                let reloc = if let (true, Some(&k)) = (sym.is_extern(), self.kconfig_of_sym.get(&sym_idx)) {
                    if !is_lddw {
                        return Err(at(format!("'{prog}' calls extern '{}', which is a __kconfig variable", sym.name)));
                    }
                    let map = self.kconfig_map.unwrap_or_default() as u32;
                    Reloc::Kconfig { map, off: self.kconfig[k as usize].data_off }
                } else if sym.is_extern() {
                    let ext = *self.extern_of_sym.get(&sym_idx).ok_or_else(|| at(format!("no extern for '{}'", sym.name)))?;
                    if is_call {
                        if !self.externs[ext as usize].func {
                            return Err(at(format!("'{prog}' calls extern '{}', which is a variable", sym.name)));
                        }
                        Reloc::ExternCall(ext)
                    } else {
                        Reloc::ExternLoad(ext)
                    }
                } else if is_call {
                    if insn.src() != insn::PSEUDO_CALL {
                        return Err(at(format!("'{prog}': call relocation on a call with src {}, not BPF_PSEUDO_CALL", insn.src())));
                    }
                    if Some(sym.shndx as usize) != self.text || sym.shndx == SHN_UNDEF {
                        return Err(at(format!("'{prog}': call to '{}', which is not in .text", sym.name)));
                    }
                    if sym.value % 8 != 0 {
                        return Err(at(format!("'{prog}': call to '{}' at unaligned offset {}", sym.name, sym.value)));
                    }
                    Reloc::Call { sym_off: sym.value }
                } else {
                    let shndx = sym.shndx;
                    if shndx == SHN_UNDEF || shndx >= SHN_LORESERVE {
                        return Err(at(format!(
                            "'{prog}': '{}' is in special section {shndx:#x} (an uninitialised global? try -fno-common or initialise it)",
                            sym.name
                        )));
                    }
                    let target = shndx as usize;
                    let tsec = self
                        .sections
                        .get(target)
                        .ok_or_else(|| at(format!("'{}' is in section #{target}, which does not exist", sym.name)))?;
                    if Some(target) == self.text && matches!(sym.typ, object::elf::STT_FUNC | object::elf::STT_SECTION) {
                        if sym.value % 8 != 0 || insn.imm % 8 != 0 || sym.value >= tsec.size {
                            return Err(at(format!(
                                "'{prog}': address of '{}' at {}+{} is not an instruction",
                                sym.name, sym.value, insn.imm
                            )));
                        }
                        Reloc::FuncAddr { sym_off: sym.value }
                    } else {
                        match tsec.kind {
                            SecKind::Maps | SecKind::LegacyMaps => {
                                let map = *self.map_at.get(&(target, sym.value)).ok_or_else(|| {
                                    at(format!("'{prog}': no map at offset {} of '{}' for '{}'", sym.value, tsec.name, sym.name))
                                })?;
                                Reloc::Map(map as u32)
                            }
                            SecKind::Data(_) => {
                                if sym.value > tsec.size {
                                    return Err(at(format!(
                                        "'{prog}': '{}' at {} is past the {}-byte '{}'",
                                        sym.name, sym.value, tsec.size, tsec.name
                                    )));
                                }
                                let map = *self.data_map.get(&target).ok_or_else(|| at(format!("no map for section '{}'", tsec.name)))?;
                                Reloc::Data { map, sym_off: sym.value }
                            }
                            _ => {
                                return Err(at(format!(
                                    "'{prog}': reference to '{}' in section '{}', which is neither maps nor data",
                                    sym.name, tsec.name
                                )))
                            }
                        }
                    }
                };
                relocs.insert((sec, idx), reloc);
            }
        }
        self.relocs = relocs;
        Ok(())
    }

    /// Builds each program: its own instructions, then every `.text` function it reaches
    /// (transitively), each appended once, with calls and function addresses re-aimed. The order
    /// is libbpf's: a subprogram is appended when first reached and walked at once, before the
    /// caller's remaining instructions (depth first), so instruction numbers match what libbpf
    /// gives the kernel.
    fn link_programs(&self) -> Result<Vec<ProgramSpec>> {
        let mut programs = Vec::new();
        for f in &self.funcs {
            if Some(f.sec) == self.text && self.text_is_subprogs() {
                continue;
            }
            let section = self.sections[f.sec].name.clone();
            let (kind, frags, autoload) = section_kind(&section);
            let (insns, core_relos, funcs, lines) = self.link(f)?;
            let raw_map_fd = first_raw_map_fd(&insns);
            programs.push(ProgramSpec { name: f.name.clone(), section, kind, frags, autoload, insns, core_relos, raw_map_fd, funcs, lines });
        }
        Ok(programs)
    }

    /// The subprogram the `exception_callback:NAME` decl tag on `main`'s BTF function names, as
    /// libbpf finds it: a global function of `.text`. None without the tag (or without BTF).
    fn exception_callback(&self, main: &Func) -> Result<Option<&Func>> {
        const TAG: &str = "exception_callback:";
        let Some(btf) = self.btf.as_ref() else { return Ok(None) };
        let mut found: Option<&Func> = None;
        for t in btf.types() {
            let super::btf::Kind::DeclTag { target, component: -1 } = t.kind else { continue };
            let Some(name) = t.name.strip_prefix(TAG) else { continue };
            let Some(func) = btf.type_by_id(target) else { continue };
            let super::btf::Kind::Func { linkage, .. } = func.kind else {
                return Err(err(format!("prog '{}': exception_callback:<value> decl tag not applied to the main program", main.name)));
            };
            if linkage != super::btf::Linkage::Global {
                return Err(err(format!("prog '{}': exception_callback:<value> decl tag not applied to the main program", main.name)));
            }
            if func.name != main.name {
                continue;
            }
            // Several tags: the verifier refuses the program; libbpf appends none.
            if found.is_some() {
                return Ok(None);
            }
            if name.is_empty() {
                return Err(err(format!("prog '{}': exception_callback:<value> decl tag contains empty value", main.name)));
            }
            let in_text = |f: &&Func| Some(f.sec) == self.text && self.text_is_subprogs() && f.name == name;
            match self.funcs.iter().find(in_text) {
                Some(f) if !f.global => {
                    return Err(err(format!("prog '{}': exception callback {name} must be a global non-hidden function", main.name)));
                }
                Some(f) => found = Some(f),
                None => return Err(err_no(Errno::ENOENT, format!("prog '{}': cannot find exception callback '{name}'", main.name))),
            }
        }
        Ok(found)
    }

    fn link(&self, main: &Func) -> Result<Linked> {
        let sec_insns = |sec: usize| self.insns.get(&sec).map(Vec::as_slice).unwrap_or(&[]);
        let mut out: Vec<Insn> = sec_insns(main.sec)[main.start..main.start + main.len].to_vec();
        // (section, function start) -> where that function starts in `out`.
        let mut placed: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        placed.insert((main.sec, main.start), 0);
        // Functions being walked, innermost last: (section, start there, start in `out`, length,
        // next instruction to look at). An explicit stack: call chains in a crafted object may
        // be deeper than the thread's stack.
        let mut stack: Vec<(usize, usize, usize, usize, usize)> = vec![(main.sec, main.start, 0, main.len, 0)];
        // libbpf (1.3+) appends the main program's exception callback after what it calls, unless
        // a call already placed it (a direct call the verifier refuses).
        let mut exception_cb = self.exception_callback(main)?;
        loop {
            if stack.is_empty() {
                match exception_cb.take() {
                    Some(cb) if !placed.contains_key(&(cb.sec, cb.start)) => {
                        let o = out.len();
                        out.extend_from_slice(&sec_insns(cb.sec)[cb.start..cb.start + cb.len]);
                        placed.insert((cb.sec, cb.start), o);
                        stack.push((cb.sec, cb.start, o, cb.len, 0));
                    }
                    _ => break,
                }
            }
            while let Some(&(sec, sec_start, out_start, len, j)) = stack.last() {
                if j >= len {
                    stack.pop();
                    continue;
                }
                let sec_name = &self.sections[sec].name;
                {
                    let idx = sec_start + j;
                    let at = out_start + j;
                    let insn = out[at];
                    let here = |msg: String| {
                        let fname = self.func_at(sec, sec_start).map_or("?", |f| f.name.as_str());
                        err(format!("'{}': instruction {idx} of '{sec_name}' (in '{fname}'): {msg}", main.name))
                    };
                    let reloc = self.relocs.get(&(sec, idx)).copied();
                    // A bare lddw cut off by its function's end is libbpf's to pass on: the kernel
                    // refuses it ("last insn is not an exit or jmp"). One that needs patching cannot be.
                    if insn.is_lddw() && j + 1 >= len && (reloc.is_some() || insn.src() != 0) {
                        return Err(here("lddw is cut off by the end of its function".into()));
                    }
                    let mut target: Option<(usize, i64)> = None;
                    let mut appended = None;
                    match reloc {
                        Some(Reloc::Map(m)) => {
                            out[at] = with_src_imm(insn, insn::PSEUDO_MAP_IDX, m as i32);
                        }
                        Some(Reloc::Data { map, sym_off }) => {
                            let off = i64::from(insn.imm) + sym_off as i64;
                            let off = i32::try_from(off).map_err(|_| here(format!("data offset {off} does not fit 32 bits")))?;
                            out[at] = with_src_imm(insn, insn::PSEUDO_MAP_IDX_VALUE, map as i32);
                            out[at + 1].imm = off;
                        }
                        Some(Reloc::Kconfig { map, off }) => {
                            out[at] = with_src_imm(insn, insn::PSEUDO_MAP_IDX_VALUE, map as i32);
                            out[at + 1].imm = off as i32;
                        }
                        Some(Reloc::ExternCall(e)) => {
                            let mut i = with_src_imm(insn, insn::PSEUDO_KFUNC_CALL, e as i32);
                            i.off = 0;
                            out[at] = i;
                        }
                        Some(Reloc::ExternLoad(e)) => {
                            out[at] = with_src_imm(insn, insn::PSEUDO_BTF_ID, e as i32);
                            out[at + 1].imm = 0;
                        }
                        Some(Reloc::Call { sym_off }) => {
                            target = Some((self.text.unwrap_or(usize::MAX), (sym_off / 8) as i64 + i64::from(insn.imm) + 1));
                        }
                        Some(Reloc::FuncAddr { sym_off }) => {
                            target = Some((self.text.unwrap_or(usize::MAX), (sym_off as i64 + i64::from(insn.imm)) / 8));
                        }
                        None => {
                            if matches!(isa::decode(&out, at), Op::Call(Callee::Local(_))) {
                                // clang resolved a call within one section itself; only .text has
                                // more than one function to call.
                                if Some(sec) != self.text {
                                    return Err(here(format!(
                                        "call to instruction {} outside .text",
                                        idx as i64 + i64::from(insn.imm) + 1
                                    )));
                                }
                                target = Some((sec, idx as i64 + i64::from(insn.imm) + 1));
                            } else if insn.is_lddw() && !matches!(insn.src(), 0 | insn::PSEUDO_MAP_FD | insn::PSEUDO_MAP_VALUE) {
                                return Err(here(format!("lddw with src {} but no relocation", insn.src())));
                            }
                        }
                    }
                    if let Some((tsec, tidx)) = target {
                        let sub = usize::try_from(tidx)
                            .ok()
                            .and_then(|t| self.func_at(tsec, t))
                            .ok_or_else(|| here(format!("call or address target {tidx} is not inside a .text function")))?;
                        if !(Some(tsec) == self.text && self.text_is_subprogs()) {
                            return Err(here(format!("target '{}' is not a subprogram", sub.name)));
                        }
                        let sub_out = match placed.get(&(tsec, sub.start)) {
                            Some(&o) => o,
                            None => {
                                let o = out.len();
                                out.extend_from_slice(&sec_insns(tsec)[sub.start..sub.start + sub.len]);
                                placed.insert((tsec, sub.start), o);
                                appended = Some((tsec, sub.start, o, sub.len, 0));
                                o
                            }
                        };
                        let rel = (sub_out + (tidx as usize - sub.start)) as i64 - (at as i64 + 1);
                        let rel = i32::try_from(rel).map_err(|_| here(format!("call offset {rel} does not fit 32 bits")))?;
                        out[at] = if insn.is_lddw() {
                            out[at + 1].imm = 0;
                            with_src_imm(insn, insn::PSEUDO_FUNC, rel)
                        } else {
                            with_src_imm(insn, insn::PSEUDO_CALL, rel)
                        };
                    }
                    if let Some(top) = stack.last_mut() {
                        top.4 = j + if insn.is_lddw() { 2 } else { 1 };
                    }
                    stack.extend(appended);
                }
            }
        }
        // Each placed function's CO-RE relocations, renumbered where it landed.
        let mut core_relos = Vec::new();
        for (&(sec, start), &out_start) in &placed {
            let Some(f) = self.func_at(sec, start) else { continue };
            for (_, relos) in self.core_relos.range((sec, start)..(sec, start + f.len)) {
                for r in relos {
                    core_relos.push(CoreRelo { insn: out_start + (r.sec_insn - start), ..r.clone() });
                }
            }
        }
        core_relos.sort_by_key(|r| (r.insn, r.index));
        let mut lines = Vec::new();
        for (&(sec, start), &out_start) in &placed {
            let Some(f) = self.func_at(sec, start) else { continue };
            for (&(_, idx), l) in self.lines.range((sec, start)..(sec, start + f.len)) {
                lines.push((out_start + (idx - start), l.clone()));
            }
        }
        lines.sort_by_key(|(pc, _)| *pc);
        let mut funcs: Vec<(usize, String)> =
            placed.iter().filter_map(|(&(sec, start), &o)| self.func_at(sec, start).map(|f| (o, f.name.clone()))).collect();
        funcs.sort();
        Ok((out, core_relos, funcs, lines))
    }

    /// `.rel.maps`: the `.values = { [i] = &x }` initialisers of prog arrays and map-in-maps.
    fn collect_map_relocs(&mut self, programs: &[ProgramSpec]) -> Result<()> {
        let e = LE;
        let rels: Vec<_> = self.rels.iter().filter(|(sec, _)| self.sections[*sec].kind == SecKind::Maps).copied().collect();
        for (sec, rels) in rels {
            for (i, rel) in rels.iter().enumerate() {
                let r_offset = rel.r_offset.get(e);
                let at = |msg: String| err(format!("section '.maps' relocation #{i} at offset {r_offset}: {msg}"));
                let r_type = rel.r_type(e);
                if ![R_BPF_64_64, R_BPF_64_ABS64, R_BPF_64_ABS32].contains(&r_type) {
                    return Err(at(format!("unsupported relocation type {r_type}")));
                }
                let sym_idx = rel.r_sym(e) as usize;
                let sym = self.symbols.get(sym_idx).ok_or_else(|| at(format!("symbol #{sym_idx} does not exist")))?;
                let (map_idx, map_off, values_offset) = self
                    .map_extent
                    .iter()
                    .enumerate()
                    .find_map(|(m, ext)| match *ext {
                        Some(p) if p.sec == sec && p.off <= r_offset && r_offset < p.off + p.size => Some((m, p.off, p.values_offset)),
                        _ => None,
                    })
                    .ok_or_else(|| at("not inside any map definition".into()))?;
                let map_name = self.maps[map_idx].name.clone();
                let values_offset = values_offset.ok_or_else(|| at(format!("map '{map_name}' has no 'values' member")))?;
                let rel_off = (r_offset - map_off)
                    .checked_sub(values_offset as u64)
                    .filter(|o| o % 8 == 0)
                    .ok_or_else(|| at(format!("map '{map_name}': offset {} is not a pointer slot of 'values'", r_offset - map_off)))?;
                let slot = u32::try_from(rel_off / 8).map_err(|_| at("slot out of range".into()))?;
                let map = &self.maps[map_idx];
                if slot >= map.max_entries {
                    return Err(err_no(
                        Errno::E2BIG,
                        format!("map '{map_name}': .values slot {slot} is past max_entries {}", map.max_entries),
                    ));
                }
                if map.map_type == btf::MAP_TYPE_PROG_ARRAY {
                    let in_prog_sec = self.sections.get(sym.shndx as usize).is_some_and(|s| s.kind == SecKind::Prog);
                    if sym.typ != object::elf::STT_FUNC || !in_prog_sec || !programs.iter().any(|p| p.name == sym.name) {
                        return Err(at(format!("map '{map_name}': slot {slot} points at '{}', which is not a program", sym.name)));
                    }
                    let name = sym.name.clone();
                    self.maps[map_idx].init_progs.push((slot, name));
                } else {
                    let inner = self.map_at.get(&(sym.shndx as usize, sym.value)).copied().filter(|_| sym.shndx as usize == sec);
                    let inner =
                        inner.ok_or_else(|| at(format!("map '{map_name}': slot {slot} points at '{}', which is not a map", sym.name)))?;
                    let name = self.maps[inner].name.clone();
                    self.maps[map_idx].init_maps.push((slot, name));
                }
            }
        }
        for m in &mut self.maps {
            m.init_progs.sort();
            m.init_maps.sort();
        }
        Ok(())
    }
}

fn with_src_imm(insn: Insn, src: u8, imm: i32) -> Insn {
    Insn { regs: (insn.regs & 0x0f) | (src << 4), imm, ..insn }
}

fn map_spec_from_def(name: String, def: &btf::MapDef) -> MapSpec {
    let mut spec = MapSpec {
        name,
        map_type: def.map_type,
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: def.max_entries,
        map_flags: def.map_flags,
        map_extra: def.map_extra,
        numa_node: def.numa_node,
        pinning: def.pinning,
        value_type: def.value_type,
        ..MapSpec::default()
    };
    if let Some(inner) = &def.inner {
        spec.inner = Some(Box::new(map_spec_from_def(format!("{}.inner", spec.name), inner)));
    }
    adjust_ringbuf(&mut spec);
    spec
}

/// The kernel wants a ring buffer's size a power-of-2 number of pages; libbpf rounds a size that
/// is not up to the next one, so `__uint(max_entries, 5000)` asks for 8192.
fn adjust_ringbuf(spec: &mut MapSpec) {
    if spec.map_type != MAP_TYPE_RINGBUF && spec.map_type != MAP_TYPE_USER_RINGBUF {
        return;
    }
    let sz = spec.max_entries as u64;
    if sz == 0 || (sz.is_multiple_of(PAGE_SIZE) && (sz / PAGE_SIZE).is_power_of_two()) {
        return;
    }
    let mut mul = 1u64;
    while mul * PAGE_SIZE <= u32::MAX as u64 {
        if mul * PAGE_SIZE > sz {
            spec.max_entries = (mul * PAGE_SIZE) as u32;
            return;
        }
        mul <<= 1;
    }
}

#[cfg(test)]
mod prog_kind_tests {
    use super::*;

    #[test]
    fn prog_kinds_are_listed_at_their_uapi_numbers() {
        for (i, &(kind, name)) in PROG_KINDS.iter().enumerate() {
            assert_eq!(kind.prog_type() as usize, i, "{name}");
            assert_eq!(ProgKind::from_prog_type(i as u32), Some(kind));
            assert_eq!(kind.name(), name);
        }
        assert_eq!(ProgKind::Xdp.prog_type(), 6);
        assert_eq!(ProgKind::Netfilter.prog_type(), 32);
        assert_eq!(ProgKind::from_prog_type(PROG_KINDS.len() as u32), None);
    }
}

/// A `.kconfig` extern read from BTF as libbpf's `bpf_object__collect_externs` reads it: its
/// size, alignment and how its value is parsed; libbpf's words when its type does not fit.
fn kconfig_extern(btf: &Btf, name: &str, weak: bool, var_id: u32) -> Result<KconfigExtern> {
    let t = btf.type_by_id(var_id).ok_or_else(|| err(format!("extern '{name}': bad BTF type id {var_id}")))?;
    let BtfKind::Var { target, .. } = t.kind else {
        return Err(err(format!("extern '{name}' in .kconfig is a {}, not a variable", t.kind.name())));
    };
    let size = btf
        .resolve_size(target)
        .map_err(|e| err(format!("failed to resolve size of extern (kcfg) '{name}': {}", e.errno.retval())))?;
    if size == 0 {
        return Err(err(format!("failed to resolve size of extern (kcfg) '{name}': 0")));
    }
    let align = btf.align_of(target).ok_or_else(|| err(format!("failed to determine alignment of extern (kcfg) '{name}': -22")))?;
    let (kind, signed) =
        kcfg_type(btf, target).ok_or_else(|| err_no(Errno::EOPNOTSUPP, format!("extern (kcfg) '{name}': type is unsupported")))?;
    Ok(KconfigExtern { name: name.to_string(), weak, kind, size, align, signed, data_off: 0 })
}

/// libbpf's `find_kcfg_type`.
fn kcfg_type(btf: &Btf, id: u32) -> Option<(KcfgType, bool)> {
    let (_, t) = btf.skip_mods_and_typedefs(id).ok()?;
    match &t.kind {
        BtfKind::Int { size, encoding, .. } => {
            if encoding & btf::INT_BOOL != 0 {
                return (*size == 1).then_some((KcfgType::Bool, false));
            }
            let signed = encoding & btf::INT_SIGNED != 0;
            if *size == 1 {
                return Some((KcfgType::Char, signed));
            }
            (size.is_power_of_two() && *size <= 8).then_some((KcfgType::Int, signed))
        }
        BtfKind::Enum { size: 4, .. } | BtfKind::Enum64 { .. } if t.name == "libbpf_tristate" => Some((KcfgType::Tristate, false)),
        BtfKind::Array { elem, nelems, .. } if *nelems > 0 => {
            matches!(kcfg_type(btf, *elem), Some((KcfgType::Char, _))).then_some((KcfgType::CharArr, false))
        }
        _ => None,
    }
}
