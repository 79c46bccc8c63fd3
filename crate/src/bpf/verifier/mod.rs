//! The verifier: Linux's verdict on a program, its error line and its log, by abstract
//! interpretation with the kernel's model (register types with fixed and variable offsets,
//! scalars as tnum plus signed/unsigned 64- and 32-bit bounds, stack slots per byte, packet ranges
//! from comparisons with `data_end`, references, dynptrs), exploring every path depth first with
//! state-equivalence pruning, as `kernel/bpf/verifier.c` does. Re-implemented from the kernel's
//! behaviour (and its selftests' scenarios), not from its code.
//!
//! Modules by concern: [`state`] (registers, stack, frames, references), [`scalar`] (the bounds
//! domain), [`mem`] (memory access by pointer type, the context rules in [`ctx`]), [`alu`]
//! (arithmetic on scalars and pointers), [`branch`] (conditional jumps: bounds refinement, packet
//! ranges, null checks), [`calls`] (helpers, kfuncs, subprograms, callbacks), [`dynptr`] (dynptr
//! and reference rules), [`explore`] (the path walk, pruning, loops, limits), [`cfg`] (the
//! kernel's control-flow checks before the walk), [`log`] (the kernel's log text).
//!
//! The loader calls [`verify`] after the structural checks ([`super::validate`]); a refusal is an
//! [`XdpError`] with the kernel's errno, its error line as the message, the pc and instruction,
//! and the log.

pub mod alu;
pub mod branch;
pub mod calls;
pub mod cfg;
pub mod ctx;
pub mod dynptr;
pub mod explore;
pub mod kstruct;
pub mod liveness;
pub mod graph;
pub mod kptr;
pub mod log;
pub mod mem;
pub mod precision;
pub mod scalar;
pub mod spectre;
pub mod state;

pub use super::btf::FuncArg;
use super::elf::ProgKind;
use super::insn::Insn;
use super::isa::{self, Op};
use super::protos::kfuncs::Kfunc;
use super::protos::policy::Caps;
use crate::errno::{Errno, XdpError};

/// The complexity limit: instructions processed over all paths (`BPF_COMPLEXITY_LIMIT_INSNS`).
pub const INSN_LIMIT: u64 = 1_000_000;

/// What the verifier knows of a map the program refers to (it need not be one uxdp can run).
#[derive(Clone, Debug, Default)]
pub struct MapMeta {
    pub name: String,
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    /// A frozen, read-only map's value (key 0), whose loads the kernel knows as constants.
    pub rdonly_value: Option<Vec<u8>>,
    /// For a map of maps: its inner map template (an index in the same list).
    pub inner: Option<u32>,
    /// Whether the map was created with BTF for its value (the special fields need it).
    pub has_btf: bool,
    /// The special fields of its value's BTF type (locks, timers, kptrs), by offset.
    pub fields: Vec<SpecialField>,
    /// Its value's list heads and tree roots, with what they hold.
    pub roots: Vec<crate::bpf::graph::GraphRoot>,
}

/// What kind of special field a map value holds at some offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    SpinLock,
    Timer,
    Wq,
    /// `__kptr_untrusted`.
    KptrUnref,
    /// `__kptr`.
    KptrRef,
    /// `__percpu_kptr`.
    KptrPercpu,
    /// Others the kernel knows (list heads and nodes, rb roots and nodes, refcounts, task work):
    /// not to be touched by loads and stores.
    Other(&'static str),
}

impl FieldKind {
    /// The kernel's name for the field in its refusals.
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::SpinLock => "bpf_spin_lock",
            FieldKind::Timer => "bpf_timer",
            FieldKind::Wq => "bpf_wq",
            FieldKind::KptrUnref | FieldKind::KptrRef | FieldKind::KptrPercpu => "kptr",
            FieldKind::Other(n) => n,
        }
    }

    pub fn is_kptr(self) -> bool {
        matches!(self, FieldKind::KptrUnref | FieldKind::KptrRef | FieldKind::KptrPercpu)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecialField {
    pub off: u32,
    pub size: u32,
    pub kind: FieldKind,
    /// A kptr's pointee: the struct's id in the program's BTF (0 for other fields).
    pub kptr_type: u32,
}

impl MapMeta {
    pub fn field(&self, kind: FieldKind) -> Option<&SpecialField> {
        self.fields.iter().find(|f| f.kind == kind)
    }

    pub fn has_kptr(&self) -> bool {
        self.fields.iter().any(|f| f.kind.is_kptr())
    }
}

/// Which function set a program is verified against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// Upstream Linux 6.18.
    #[default]
    Linux,
    /// Linux plus the seed's convenience API (dynptr advance, trim, clone at an offset, ...).
    Seed,
}

#[derive(Clone, Debug)]
pub struct VerifyOptions {
    pub caps: Caps,
    /// 0: no log; 1: the path to the error and the stats; 2: register state after every insn.
    pub log_level: u32,
    pub insn_limit: u64,
    pub profile: Profile,
    /// BPF_F_XDP_HAS_FRAGS.
    pub frags: bool,
    /// The program's expected attach type (uapi number): devmap/cpumap XDP programs differ.
    pub expected_attach_type: u32,
    /// The machine's CPU count (bpf_get_smp_processor_id() is below it).
    pub nr_cpus: u32,
    /// The `seed-helpers` profile: helper ids 214..=221 are the seed's functions, checked as the
    /// seed's kfuncs are (the seed's helper prototypes take the same arguments).
    pub seed_helpers: bool,
    /// A struct_ops-like program's declared context ([`crate::bpf::struct_ops`]): with it, such a
    /// program is verified against the fields it declares.
    pub ctx_layout: Option<crate::bpf::struct_ops::CtxLayout>,
    /// The licence is GPL-compatible: GPL-only helpers are callable.
    pub gpl: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            caps: Caps::default(),
            log_level: 0,
            insn_limit: INSN_LIMIT,
            profile: Profile::Linux,
            frags: false,
            expected_attach_type: 0,
            nr_cpus: 1,
            seed_helpers: false,
            ctx_layout: None,
            gpl: true,
        }
    }
}

/// A kfunc call site's callee, as the loader resolved it.
#[derive(Clone, Debug)]
pub struct KfuncRef {
    pub name: String,
    pub proto: Option<&'static Kfunc>,
    /// The flags of a user kfunc without a table entry.
    pub flags: u32,
    /// A `__weak` extern the target lacks: libbpf poisons its calls (an invalid helper call the
    /// verifier refuses if reached, with libbpf's rewrite of the line).
    pub unresolved: bool,
    /// The program type gets it: a call reached otherwise is refused.
    pub allowed: bool,
}

/// The program as the kernel receives it (maps by index, kfuncs by extern index).
pub struct Input<'a> {
    pub name: &'a str,
    pub kind: ProgKind,
    pub insns: &'a [Insn],
    pub maps: &'a [MapMeta],
    /// By the call's imm (the extern index).
    pub kfuncs: &'a [Option<KfuncRef>],
    /// The subprograms with global linkage: checked once on their own, from their BTF
    /// prototype, and at each call only against it.
    pub global_funcs: &'a [GlobalFunc],
    /// Subprograms (by first instruction) whose BTF prototype returns something other than a
    /// scalar: they may not hold LD_ABS or a tail call.
    pub non_scalar_returns: &'a [usize],
    /// `.BTF.ext` line_info: where each source line starts (the log quotes them).
    pub lines: &'a [(usize, crate::bpf::core::SourceLine)],
    /// What the kernel logs on reading the entry function's BTF prototype, when it does not
    /// take it ("Global function prog() doesn't return scalar. ..."): the log's first line.
    pub main_proto_note: Option<&'a str>,
    /// The program's BTF: the local types `bpf_obj_new` allocates.
    pub btf: Option<&'a crate::bpf::btf::Btf>,
}

/// A global (non-static) subprogram, as the loader read it from BTF and func_info.
#[derive(Clone, Debug)]
pub struct GlobalFunc {
    /// Its first instruction.
    pub start: usize,
    pub name: String,
    /// Its parameters by verifier class, or why the kernel refuses its prototype (errno, line).
    pub args: std::result::Result<Vec<FuncArg>, (Errno, String)>,
    /// It is the main program's exception callback: verified whether or not anything calls it,
    /// as a callback (it may not throw or tail-call, nothing may call it).
    pub exception_cb: bool,
}

/// What a successful verification reports (the kernel's stats line).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub processed: u64,
    pub max_states_per_insn: u32,
    pub total_states: u32,
    pub peak_states: u32,
    pub mark_read: u32,
    pub stack_depth: Vec<u32>,
    pub time_us: u64,
}

#[derive(Clone, Debug)]
pub struct Verdict {
    pub stats: Stats,
    pub log: String,
    /// What the walk learnt about the program for the policy above the kernel.
    pub facts: Facts,
}

/// What an accepted program was seen to do on every path the walk took, for policy the kernel
/// does not have (the XDP features a program needs, [`super::needs`]). Sound despite pruning: a
/// path pruned where the explored state covers it only up to imprecise scalars (the kernel's
/// precision marks: a return value or bpf_redirect's ifindex are not among them) is followed on
/// statically from there to the main program's exits (`note_pruned_exits`), its returns and
/// bpf_redirect targets added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The main program's exits, by pc: what the low 32 bits of r0 may be there.
    pub exits: std::collections::BTreeMap<usize, ExitValues>,
    /// Helper and kfunc calls, by pc (a call in a subprogram walked from several sites once).
    pub calls: std::collections::BTreeMap<usize, CallFact>,
}

/// The values a return may give, as a driver reads them (a u32).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExitValues {
    /// Bit N: the value N (0..=7) is possible.
    pub small: u8,
    /// A value above 7 is possible.
    pub other: bool,
}

impl ExitValues {
    /// Whether the value `v` may be returned.
    pub fn may_be(&self, v: u32) -> bool {
        if v < 8 {
            self.small & (1 << v) != 0
        } else {
            self.other
        }
    }
}

/// One call site, over every path that reached it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFact {
    pub callee: CallFactee,
    /// The maps (indices into [`Input::maps`]) its map argument pointed to.
    pub maps: std::collections::BTreeSet<u32>,
    /// The constants its first argument held, when known on every path (`None`: unknown on some).
    pub r1: Option<std::collections::BTreeSet<u64>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallFactee {
    Helper(i32),
    Kfunc(String),
}

/// An internal refusal: errno and the kernel's line (the log gets the line appended).
#[derive(Clone, Debug)]
pub struct Refusal {
    pub errno: Errno,
    pub line: String,
}

pub type VResult<T> = std::result::Result<T, Refusal>;

pub fn refuse<T>(errno: Errno, line: impl Into<String>) -> VResult<T> {
    Err(Refusal { errno, line: line.into() })
}

/// The program types whose context and rules are modelled.
pub fn modelled(kind: ProgKind) -> bool {
    matches!(kind, ProgKind::Xdp | ProgKind::SocketFilter | ProgKind::SchedCls | ProgKind::SchedAct)
}

/// Refusals the kernel logs without a newline: the statistics follow on the same line.
const UNTERMINATED: &[&str] = &["expected prog array map for tail call"];

/// Verifies one program. On refusal the error carries the kernel's line, errno, pc, instruction
/// and the log up to the refusal.
pub fn verify(input: &Input, opts: &VerifyOptions) -> std::result::Result<Verdict, XdpError> {
    let start = std::time::Instant::now();
    let mut v = explore::Verifier::new(input, opts);
    let out = v.run();
    let time_us = start.elapsed().as_micros() as u64;
    match out {
        Ok(()) => {
            let mut stats = v.stats();
            stats.time_us = time_us;
            v.log_stats(&stats);
            let facts = std::mem::take(&mut v.facts);
            Ok(Verdict { stats, log: v.log.take(), facts })
        }
        Err(r) => {
            let pc = v.pc;
            // A line glued onto a jump's is glued in the log by the log's own rewind.
            let logged = v.unglued.take().unwrap_or_else(|| r.line.clone());
            if UNTERMINATED.contains(&logged.as_str()) {
                v.log.write(&logged);
            } else if !v.log.ends_with_line(&logged) {
                // (a refusal without words of its own names the instruction, already logged)
                v.log.line(&logged);
            }
            let trailer = std::mem::take(&mut v.refusal_trailer);
            v.log.write(&trailer);
            let mut stats = v.stats();
            stats.time_us = time_us;
            v.log_stats(&stats);
            let mut e = XdpError::refused(input.name, r.errno, Some(pc), r.line.clone());
            if let Some(i) = input.insns.get(pc) {
                e.insn = Some(i.to_bytes());
            }
            e.log = v.log.take();
            Err(e)
        }
    }
}

/// The ops of a program, each slot decoded (the second half of an lddw too).
fn decode(insns: &[Insn]) -> Vec<Op> {
    isa::decode_all(insns)
}

#[cfg(test)]
mod tests;
