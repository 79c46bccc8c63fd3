//! From an opened object to runnable programs, as `bpf_object__load` does: create the maps
//! (global data initialised, .rodata frozen), resolve every map, function and ksym reference in
//! the instructions, check every helper and kfunc call against the prototype table for the
//! program's type and licence (`bpf::protos`), check the instructions' structure, and fill prog
//! arrays declared with `.values`.

use std::collections::HashMap;
use std::rc::Rc;

use super::elf::{Object, ProgKind, ProgramSpec};
use super::helpers::helper_table;
use super::insn::*;
use super::isa::{self, Callee, Op};
use super::kfuncs::native_kfunc;
use super::machine::{func_addr, map_handle, Callable, Prog, UserFn};
use super::maps::{map_by_fd, map_fd, Map};
use super::protos::policy::{self, CallPolicy, Caps, Site, UserKfunc};
use super::verifier::{GlobalFunc, Input, KfuncRef, MapMeta, Profile, Verdict, VerifyOptions};
use crate::errno::{Errno, Result, XdpError};

/// What a load runs under. By default a program gets what the kernel gives its type (the
/// program type from its section, the licence from the object, every capability): the
/// prototype table decides, and a program type it has not established gets nothing.
#[derive(Clone, Default)]
pub struct LoadOptions {
    /// The object's name as libbpf gives it (the file name up to its first dot): it prefixes the
    /// kernel's names of global data maps. None: loaded from memory, names unprefixed.
    pub object_name: Option<String>,
    /// Number of CPUs per-CPU maps hold values for (at least 1).
    pub nr_cpus: u32,
    /// Narrows the helpers further to these ids (None: no further restriction).
    pub helpers: Option<Vec<u32>>,
    /// Narrows the kernel kfuncs further to these names (None: no further restriction).
    pub kfuncs: Option<Vec<String>>,
    /// Offer the seed's convenience API, its version where a kernel kfunc has the name.
    pub seed_kfuncs: bool,
    /// The `seed-helpers` profile: the seed's proposed helper ids 214..=221 (which never reached
    /// uapi) call the seed's functions.
    pub seed_helpers: bool,
    /// kfuncs implemented by the embedder, by name.
    pub user_kfuncs: Vec<(String, UserFn)>,
    /// The program types and flags of `user_kfuncs`; one without a spec is callable from every
    /// established program type.
    pub kfunc_specs: Vec<UserKfunc>,
    /// The loader's capabilities (default: all).
    pub caps: Caps,
    /// Loaded device-bound (BPF_F_XDP_DEV_BOUND_ONLY): what the XDP metadata kfuncs need.
    pub dev_bound: bool,
    /// Loaded sleepable (BPF_F_SLEEPABLE).
    pub sleepable: bool,
    /// Skip the prototype table's checks: every helper and kfunc the engine implements is
    /// callable from any program (the engine's own tests and fuzzing).
    pub unrestricted: bool,
    /// Only this program (and programs its prog arrays name) is loaded; others stay unloaded.
    pub only: Option<String>,
    /// Load without the verifier (structural checks only): for ISA work, conformance vectors and
    /// fuzzing of the engine. By default every program is verified as the kernel verifies it.
    pub no_verify: bool,
    /// The verifier's log level (0: none, 1: the path and stats, 2: state after every insn).
    pub log_level: u32,
    /// The verifier's complexity limit (default 1,000,000 instructions processed).
    pub insn_limit: Option<u64>,
    /// C prototypes of `user_kfuncs` (return type, arguments with their annotations, KF_* flags):
    /// the verifier checks calls to a kfunc that has one as it checks a kernel kfunc's. A user
    /// kfunc without one takes anything and returns a scalar.
    pub kfunc_protos: Vec<UserKfuncProto>,
    /// Beyond the kernel: refuse what a target release lacks, or tiers not allowed; warn of
    /// deprecated functions (see [`super::protos::lifecycle`]).
    pub lifecycle: super::protos::lifecycle::LifecyclePolicy,
    /// A struct_ops-like program type the embedder declares: its context, and the prologue and
    /// epilogue patched into its programs (see [`super::struct_ops`]).
    pub struct_ops: Option<StructOpsLoad>,
    /// The kernel BTF CO-RE relocations and typed `__ksym` variables resolve against (default:
    /// Linux 6.18 as uxdp models it; see [`super::target`]).
    pub btf: super::target::BtfSource,
    /// `.kconfig` values the user sets, as a config line writes them (`CONFIG_X` → `y`, `m`,
    /// `"text"`, `42`), taken before the model's config (see [`super::kconfig`]).
    pub kconfig: Vec<(String, String)>,
}

/// The embedder's struct_ops-like ops, as a load applies them.
#[derive(Clone, Debug, Default)]
pub struct StructOpsLoad {
    pub layout: super::struct_ops::CtxLayout,
    /// Each program's prologue and epilogue, by name (the ops generate them per program, as
    /// `gen_prologue(.., prog)` and `gen_epilogue(.., prog, ctx_stack_off)`); a program not
    /// named gets neither.
    pub pro_epilogues: Vec<(String, super::struct_ops::Generated, super::struct_ops::Generated)>,
    /// The modules kfunc calls may name (a user kfunc of theirs must be among `user_kfuncs`).
    pub modules: Vec<super::struct_ops::KfuncModule>,
    pub kfunc_policy: super::struct_ops::ProEpilogueKfuncs,
}

/// A user kfunc's C prototype, as the embedder declares it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UserKfuncProto {
    pub name: String,
    /// `KF_*` flags.
    pub flags: u32,
    /// The C return type (`void`, `u32`, `struct foo *`, ...).
    pub ret: String,
    /// (parameter name without its annotation, C type, annotation such as `__sz`).
    pub args: Vec<(String, String, Option<String>)>,
    /// None: every established program type.
    pub prog_types: Option<super::protos::ProgTypes>,
}

/// The prototype table entry of a user kfunc. The verifier reads prototypes as `&'static Kfunc`;
/// user ones are interned by content, so that loading the same declaration again leaks nothing.
pub fn user_kfunc_proto(p: &UserKfuncProto) -> std::result::Result<&'static super::protos::kfuncs::Kfunc, String> {
    use super::protos::kfuncs::{Kfunc, KfuncArg, Origin, ANNOTATIONS};
    use std::sync::{Mutex, OnceLock};
    static INTERNED: OnceLock<Mutex<HashMap<UserKfuncProto, &'static Kfunc>>> = OnceLock::new();
    let mut table = INTERNED.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = table.get(p) {
        return Ok(k);
    }
    if p.args.len() > 5 {
        return Err(format!("kfunc {}: at most 5 arguments, got {}", p.name, p.args.len()));
    }
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    let mut args = Vec::with_capacity(p.args.len());
    for (name, ty, annotation) in &p.args {
        let annotation = match annotation.as_deref() {
            None | Some("") => None,
            Some(a) => Some(
                *ANNOTATIONS
                    .iter()
                    .find(|k| **k == a)
                    .ok_or_else(|| format!("kfunc {}: unknown annotation {a} on argument {name}", p.name))?,
            ),
        };
        args.push(KfuncArg { name: name.clone(), ty: leak(ty.trim()), annotation });
    }
    let k: &'static Kfunc = Box::leak(Box::new(Kfunc {
        name: leak(&p.name),
        flags: p.flags,
        args,
        ret: leak(p.ret.trim()),
        prog_types: p.prog_types,
        origin: Origin::Kernel,
        dynptr: false,
        since: None,
        dev_bound: false,
    }));
    table.insert(p.clone(), k);
    Ok(k)
}

pub struct LoadedProgram {
    pub spec: ProgramSpec,
    /// None when the program was not selected for loading.
    pub prog: Option<Rc<Prog>>,
    /// The verifier's stats and log (None when loaded without it, or not loaded).
    pub verdict: Option<Verdict>,
    /// The lifecycle policy's warnings: calls of deprecated and deprecating functions.
    pub warnings: Vec<String>,
}

pub struct LoadedObject {
    pub object: Object,
    pub maps: Vec<Rc<Map>>,
    pub programs: Vec<LoadedProgram>,
}

/// The object's last user reference going away clears its prog arrays and redirect slots, as the
/// kernel clears a prog array when its last user reference goes: that breaks the cycle of a prog
/// array holding programs that hold the prog array. Programs still attached somewhere keep running,
/// with empty slots.
impl Drop for LoadedObject {
    fn drop(&mut self) {
        for map in &self.maps {
            map.release();
        }
    }
}

impl LoadedObject {
    pub fn program(&self, name: &str) -> Option<&LoadedProgram> {
        self.programs.iter().find(|p| p.spec.name == name)
    }

    pub fn map(&self, name: &str) -> Option<&Rc<Map>> {
        self.maps.iter().find(|m| m.name() == name)
    }
}

fn refuse(program: &str, errno: Errno, pc: Option<usize>, message: String) -> XdpError {
    XdpError::refused(program, errno, pc, message)
}

/// A refusal the kernel makes before its walk: verified, the log is the line and empty statistics
/// (at level 2 after the subprograms found, which the kernel lists before these checks).
fn before_walk(mut e: XdpError, opts: &LoadOptions, insns: &[Insn]) -> XdpError {
    if !opts.no_verify {
        let mut subprogs = String::new();
        if opts.log_level & 2 != 0 {
            let ops = super::isa::decode_all(insns);
            for (i, start) in super::verifier::cfg::subprog_starts(&ops, &[]).iter().enumerate() {
                subprogs.push_str(&format!("func#{i} @{start}\n"));
            }
        }
        e.log = format!(
            "{subprogs}{}\nprocessed 0 insns (limit {}) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n",
            e.message,
            opts.insn_limit.unwrap_or(super::verifier::INSN_LIMIT)
        );
    }
    e
}

/// Creates the object's maps and loads its programs (every autoload one, or `opts.only`).
pub fn load(object: Object, opts: &LoadOptions) -> std::result::Result<LoadedObject, XdpError> {
    let mut object = object;
    let is_wanted = |object: &Object, p: &ProgramSpec| match &opts.only {
        Some(name) => &p.name == name || object.maps.iter().any(|m| m.init_progs.iter().any(|(_, n)| n == &p.name)),
        None => p.autoload,
    };
    if let Some(name) = &opts.only {
        if !object.programs.iter().any(|p| &p.name == name) {
            let names: Vec<&str> = object.programs.iter().map(|p| p.name.as_str()).collect();
            return Err(refuse(name, Errno::ENOENT, None, format!("no program '{name}' in the object (it has: {})", names.join(", "))));
        }
    }
    // What libbpf does before any program reaches the kernel: externs resolved (.kconfig values,
    // kernel variables), then CO-RE relocations applied.
    let wanted_names: Vec<String> = object.programs.iter().filter(|p| is_wanted(&object, p)).map(|p| p.name.clone()).collect();
    resolve_externs(&mut object, &wanted_names, opts)?;
    relocate_core(&mut object, &wanted_names, opts)?;
    if !opts.caps.perfmon {
        downgrade_probe_reads(&mut object);
    }
    let wanted = |p: &ProgramSpec| wanted_names.contains(&p.name);
    // libbpf resolves the object's kfunc externs (by name) before it loads any program: one no
    // BTF has fails every program of the object, used or not. That holds for the kernel's
    // namespace (`bpf_*`, the kernel's and its modules'); other names may be user kfuncs, which
    // uxdp takes per load, so only the programs calling them need them.
    if !opts.unrestricted {
        if let Some(first) = object.programs.iter().find(|p| wanted(p) && p.kind != ProgKind::Unknown) {
            let policy = call_policy(&object, first, opts);
            let mut missing: Vec<&str> = object
                .externs
                .iter()
                .filter(|e| e.func && !e.weak && e.name.starts_with("bpf_") && !policy.resolves(&e.name))
                .map(|e| e.name.as_str())
                .collect();
            missing.sort_unstable();
            if let Some(name) = missing.first() {
                return Err(refuse(&first.name, Errno::EINVAL, None, policy::kfunc_not_found(name)));
            }
        }
    }
    // libbpf and the verifier refuse calls before the object's maps exist for the kernel.
    let mut warnings: HashMap<String, Vec<String>> = HashMap::new();
    for spec in object.programs.iter().filter(|p| wanted(p) && p.kind != ProgKind::Unknown) {
        if !opts.unrestricted {
            let policy = call_policy(&object, spec, opts);
            let sites = call_sites(&object, spec);
            policy.check(&sites).map_err(|r| refuse(&spec.name, r.errno, r.pc, r.message))?;
            let v = policy.lifecycle_check(&sites);
            if let Some(r) = v.refusal {
                return Err(refuse(&spec.name, r.errno, r.pc, r.message));
            }
            warnings.insert(spec.name.clone(), v.warnings);
        }
    }
    let nr_cpus = opts.nr_cpus.max(1);
    let mut maps = Vec::with_capacity(object.maps.len());
    let graph_btf = object.btf.as_deref().and_then(|raw| super::btf::Btf::parse(raw).ok()).filter(super::graph::kernel_accepts);
    for spec in &object.maps {
        let map =
            Map::from_spec(spec, nr_cpus).map_err(|e| refuse(&spec.name, e.errno, None, format!("map '{}': {}", spec.name, e.message)))?;
        // Values holding lists or trees: what they hold is dropped with the map.
        if let Some(b) = &graph_btf {
            let rec = match &spec.global_vars {
                Some(vars) => Some(super::graph::Record::of_vars(b, vars, spec.value_size)),
                None if spec.value_type != 0 => {
                    b.skip_mods_and_typedefs(spec.value_type).ok().and_then(|(id, _)| super::graph::Record::of_struct(b, id))
                }
                None => None,
            };
            let owns = |r: &super::graph::Record| !r.roots.is_empty() || r.fields.iter().any(|f| matches!(f.kind, super::verifier::FieldKind::KptrRef | super::verifier::FieldKind::KptrPercpu));
            if let Some(rec) = rec.filter(owns) {
                map.set_graph_record(Rc::new(rec));
            }
        }
        let map = Rc::new(map);
        map_fd(&map);
        maps.push(map);
    }
    // libbpf fills maps of maps' `.values = { [i] = &inner }` slots right after creating the maps.
    for (spec, map) in object.maps.iter().zip(&maps) {
        for (slot, name) in &spec.init_maps {
            let inner = object.maps.iter().position(|m| &m.name == name).map(|i| maps[i].clone());
            let inner = inner.ok_or_else(|| {
                refuse(
                    &spec.name,
                    Errno::EINVAL,
                    None,
                    format!("map '{}': slot {slot} names map '{name}', which the object has not", spec.name),
                )
            })?;
            map.set_inner(&slot.to_le_bytes(), inner, 0).map_err(|e| {
                refuse(
                    &spec.name,
                    e.errno,
                    None,
                    format!("map '{}': failed to initialize slot [{slot}] to map '{name}': {}", spec.name, e.message),
                )
            })?;
        }
    }
    // Raw map references (lddw src=BPF_PSEUDO_MAP_FD/VALUE, no relocation): the fd names a map of
    // uxdp's table, which the programs then hold after the object's own.
    let own = maps.len();
    for spec in object.programs.iter_mut().filter(|p| wanted(p) && p.kind != ProgKind::Unknown) {
        if spec.raw_map_fd.is_none() {
            continue;
        }
        let mut pc = 0;
        while pc + 1 < spec.insns.len() {
            let insn = spec.insns[pc];
            if insn.is_lddw() && matches!(insn.src(), PSEUDO_MAP_FD | PSEUDO_MAP_VALUE) {
                let map = map_by_fd(insn.imm).map_err(|e| refuse(&spec.name, e.errno, Some(pc), e.message.clone()))?;
                let index = match maps[own..].iter().position(|m| Rc::ptr_eq(m, &map)) {
                    Some(i) => own + i,
                    None => {
                        maps.push(map);
                        maps.len() - 1
                    }
                };
                let src = if insn.src() == PSEUDO_MAP_FD { PSEUDO_MAP_IDX } else { PSEUDO_MAP_IDX_VALUE };
                spec.insns[pc] = Insn { regs: (insn.regs & 0x0f) | (src << 4), imm: index as i32, ..insn };
                pc += 2;
                continue;
            }
            pc += 1;
        }
        spec.raw_map_fd = None;
    }
    let mut tables: HashMap<u32, Rc<Vec<Option<Callable>>>> = HashMap::new();
    let mut programs = Vec::with_capacity(object.programs.len());
    for spec in &object.programs {
        let (prog, verdict) = if wanted(spec) {
            let prog_type = spec.kind.prog_type();
            let helpers = tables
                .entry(prog_type)
                .or_insert_with(|| with_unemulated(helper_table(Some(&helper_ids(prog_type, opts))), prog_type, opts))
                .clone();
            let (prog, verdict) = link(&object, spec, &maps, &helpers, opts)?;
            (Some(Rc::new(prog)), verdict)
        } else {
            (None, None)
        };
        let warnings = warnings.remove(&spec.name).unwrap_or_default();
        let verdict = verdict.map(|mut v| {
            // The log says it too, after the kernel's lines, in uxdp's own words.
            if !v.log.is_empty() {
                for w in &warnings {
                    v.log.push_str(&format!("uxdp: warning: {w}\n"));
                }
            }
            v
        });
        programs.push(LoadedProgram { spec: spec.clone(), prog, verdict, warnings });
    }
    // The maps the object holds are its own; programs hold the fd-referenced ones too.
    maps.truncate(own);
    for (spec, map) in object.maps.iter().zip(&maps) {
        for (slot, name) in &spec.init_progs {
            let prog = programs.iter().find(|p| &p.spec.name == name).and_then(|p| p.prog.clone());
            let prog = prog.ok_or_else(|| {
                refuse(
                    &spec.name,
                    Errno::EINVAL,
                    None,
                    format!("map '{}': slot {slot} names program '{name}', which is not loaded", spec.name),
                )
            })?;
            map.set_prog(*slot, Some(prog))
                .map_err(|e| refuse(&spec.name, e.errno, None, format!("map '{}': slot {slot}: {}", spec.name, e.message)))?;
        }
    }
    Ok(LoadedObject { object, maps, programs })
}

/// A ksym address that is not memory: `bpf_ksym_exists()` only compares it with 0.
const KSYM_ADDR_BASE: u64 = 0xffff_ffff_c000_0000;

/// A refusal in libbpf's words: the first line is the message, every line the log.
fn libbpf_refusal(program: &str, errno: Errno, lines: &[String]) -> XdpError {
    let mut e = refuse(program, errno, None, lines.first().cloned().unwrap_or_default());
    e.log = lines.iter().map(|l| format!("libbpf: {l}\n")).collect();
    e
}

/// libbpf's `bpf_object__resolve_externs` for what is not a kfunc: the `.kconfig` map's value
/// (see [`super::kconfig`]) and `__ksym` variables against the target BTF. A typed variable keeps
/// its BTF-id load (the verifier's PTR_TO_BTF_ID); a typeless one found, and a weak one missing,
/// become a plain constant (an address that is not memory, or 0), as libbpf writes them.
fn resolve_externs(object: &mut Object, wanted: &[String], opts: &LoadOptions) -> std::result::Result<(), XdpError> {
    // libbpf fails the object; the refusal names the first program the load was for.
    let first = wanted.first().or(object.programs.first().map(|p| &p.name)).cloned().unwrap_or_default();
    if let Some(m) = object.kconfig_map {
        let size = object.maps.get(m).map_or(0, |m| m.value_size as usize);
        let value = super::kconfig::values(&object.kconfig, size, &opts.kconfig, super::target::UXDP_618_CONFIG, super::target::UXDP_618_RELEASE)
            .map_err(|e| libbpf_refusal(&first, e.errno, &e.lines))?;
        if let Some(map) = object.maps.get_mut(m) {
            map.initial = Some(value);
        }
    }
    check_kfunc_protos(object, &first, opts)?;
    if !object.externs.iter().any(|e| !e.func) {
        return Ok(());
    }
    let target = opts.btf.load().map_err(|e| refuse(&first, e.errno, None, format!("libbpf: failed to load the target BTF: {}", e.message)))?;
    let local = object.btf.as_deref().map(super::btf::Btf::parse).transpose()?.unwrap_or_default();
    // Per extern index: Some(value) when its loads become the constant `value`.
    let mut constants: HashMap<usize, u64> = HashMap::new();
    // kallsyms as the model's config makes it: data symbols only with CONFIG_KALLSYMS_ALL.
    let kallsyms_all = super::kconfig::enabled(&opts.kconfig, super::target::UXDP_618_CONFIG, "CONFIG_KALLSYMS_ALL");
    let mut no_address: Vec<usize> = Vec::new();
    for (i, e) in object.externs.iter().enumerate().filter(|(_, e)| !e.func) {
        use super::btf::{KIND_FUNC, KIND_VAR};
        // The variable's type past modifiers and typedefs; 0 (void): typeless.
        let var_type_id = match local.type_by_id(e.btf_type_id).map(|t| &t.kind) {
            Some(super::btf::Kind::Var { target, .. }) => local.skip_mods_and_typedefs(*target).map_or(0, |(id, _)| id),
            _ => 0,
        };
        if var_type_id != 0 {
            let Some(id) = target.find(&e.name, KIND_VAR) else {
                if e.weak {
                    constants.insert(i, 0);
                    continue;
                }
                return Err(libbpf_refusal(&first, Errno::EINVAL, &[format!("extern (var ksym) '{}': not found in kernel BTF", e.name)]));
            };
            let tvar = target.btf.type_by_id(id).map(|t| t.kind.clone());
            let Some(super::btf::Kind::Var { target: tt, .. }) = tvar else { continue };
            let (tid, tty) = target.btf.skip_mods_and_typedefs(tt)?;
            if !super::core::types_compat(&local, var_type_id, &target.btf, tid).unwrap_or(false) {
                let lt = local.type_by_id(var_type_id);
                let kind = |k: u8| super::btf::kind_name(k).to_ascii_lowercase();
                let line = format!(
                    "extern (var ksym) '{}': incompatible types, expected [{}] {} {}, but kernel has [{}] {} {}",
                    e.name,
                    var_type_id,
                    lt.map_or("?".into(), |t| kind(t.kind.number())),
                    lt.map_or("", |t| t.name.as_str()),
                    target.public_id(tid),
                    kind(tty.kind.number()),
                    tty.name
                );
                return Err(libbpf_refusal(&first, Errno::EINVAL, &[line]));
            }
            if !kallsyms_all {
                no_address.push(i);
            }
        } else if target.find(&e.name, KIND_FUNC).is_some() || (kallsyms_all && target.find(&e.name, KIND_VAR).is_some()) {
            // A typeless ksym is an address from kallsyms: functions always, variables with
            // CONFIG_KALLSYMS_ALL; each at an address that is not memory.
            constants.insert(i, KSYM_ADDR_BASE + i as u64 * 8);
        } else if e.weak {
            constants.insert(i, 0);
        } else {
            return Err(libbpf_refusal(&first, Errno::ESRCH, &[format!("extern '{}' (strong): not resolved", e.name)]));
        }
    }
    // The kernel finds a typed variable's address in kallsyms when it checks the program's
    // ld_imm64s (before it verifies anything): without data symbols there, the first program
    // loading one is refused.
    if !no_address.is_empty() {
        for p in object.programs.iter().filter(|p| wanted.contains(&p.name)) {
            let at = (0..p.insns.len()).find(|&pc| p.insns[pc].is_lddw() && p.insns[pc].src() == PSEUDO_BTF_ID && no_address.contains(&(p.insns[pc].imm as usize)));
            if let Some(pc) = at {
                let ext = &object.externs[p.insns[pc].imm as usize];
                let mut e = refuse(&p.name, Errno::ENOENT, Some(pc), format!("ldimm64 failed to find the address for kernel symbol '{}'.", ext.name));
                e.log = format!("func#0 @0\n{}\n", e.message);
                return Err(e);
            }
        }
    }
    for p in &mut object.programs {
        let n = p.insns.len();
        for pc in 0..n.saturating_sub(1) {
            let insn = p.insns[pc];
            if insn.is_lddw() && insn.src() == PSEUDO_BTF_ID {
                if let Some(&v) = constants.get(&(insn.imm as usize)) {
                    p.insns[pc] = Insn { regs: insn.regs & 0x0f, imm: v as u32 as i32, ..insn };
                    p.insns[pc + 1].imm = (v >> 32) as u32 as i32;
                }
            }
        }
    }
    Ok(())
}

/// libbpf's `bpf_object__resolve_ksym_func_btf_id` check: a kfunc extern's prototype in the
/// object must be compatible (`bpf_core_types_are_compat`) with the target's function of that
/// name, or libbpf fails the object, naming both prototypes' ids. A kfunc the target BTF does not
/// have is left to the call checks (not found, or a weak one poisoned).
fn check_kfunc_protos(object: &Object, first: &str, opts: &LoadOptions) -> std::result::Result<(), XdpError> {
    use super::btf::{Kind, KIND_FUNC};
    let externs: Vec<&super::elf::KsymExtern> = object.externs.iter().filter(|e| e.func && e.btf_type_id != 0).collect();
    if externs.is_empty() || opts.no_verify {
        return Ok(());
    }
    let Some(local) = object.btf.as_deref().and_then(|raw| super::btf::Btf::parse(raw).ok()) else { return Ok(()) };
    let target = opts.btf.load().map_err(|e| refuse(first, e.errno, None, format!("libbpf: failed to load the target BTF: {}", e.message)))?;
    for e in externs {
        let Some(Kind::Func { proto: local_proto, .. }) = local.type_by_id(e.btf_type_id).map(|t| t.kind.clone()) else { continue };
        let Some(kfunc) = target.find(&e.name, KIND_FUNC) else { continue };
        let Some(Kind::Func { proto: target_proto, .. }) = target.btf.type_by_id(kfunc).map(|t| t.kind.clone()) else { continue };
        let compat = if matches!(opts.btf, super::target::BtfSource::Uxdp618) {
            super::core::types_compat_trimmed(&local, local_proto, &target.btf, target_proto)
        } else {
            super::core::types_compat(&local, local_proto, &target.btf, target_proto)
        };
        if compat.unwrap_or(false) || e.weak {
            // (A weak one libbpf leaves unresolved; uxdp resolves it by name as before.)
            continue;
        }
        let line = format!(
            "extern (func ksym) '{}': func_proto [{local_proto}] incompatible with vmlinux [{}]",
            e.name,
            target.public_id(target_proto)
        );
        return Err(libbpf_refusal(first, Errno::EINVAL, &[line]));
    }
    Ok(())
}

/// libbpf's `bpf_object__relocate_core`: each loaded program's CO-RE relocations applied against
/// the target BTF (loaded only when some program has relocations).
/// libbpf probes whether the kernel has `bpf_probe_read_kernel` by loading a tracing program,
/// which needs CAP_PERFMON: without it the probe fails and libbpf calls the old helpers instead
/// (`probe_read_{kernel,user}` become `bpf_probe_read#4`, their `_str` forms
/// `bpf_probe_read_str#45`), so a refusal names those.
fn downgrade_probe_reads(object: &mut Object) {
    const CALL: u8 = 0x85;
    for p in &mut object.programs {
        for insn in &mut p.insns {
            if insn.code != CALL || insn.regs >> 4 != 0 {
                continue;
            }
            insn.imm = match insn.imm {
                112 | 113 => 4,
                114 | 115 => 45,
                other => other,
            };
        }
    }
}

fn relocate_core(object: &mut Object, wanted: &[String], opts: &LoadOptions) -> std::result::Result<(), XdpError> {
    if !object.programs.iter().any(|p| wanted.contains(&p.name) && !p.core_relos.is_empty()) {
        return Ok(());
    }
    let first = object.programs.iter().find(|p| wanted.contains(&p.name)).map_or(String::new(), |p| p.name.clone());
    let target = opts.btf.load().map_err(|e| refuse(&first, e.errno, None, format!("libbpf: failed to load the target BTF: {}", e.message)))?;
    let local = object.btf.as_deref().map(super::btf::Btf::parse).transpose()?.unwrap_or_default();
    for p in object.programs.iter_mut().filter(|p| wanted.contains(&p.name)) {
        if let Err(f) = super::core::relocate(&local, &target, &p.core_relos, &mut p.insns) {
            let mut lines = f.lines;
            lines.push(format!("failed to perform CO-RE relocations: {}", f.errno.retval()));
            return Err(libbpf_refusal(&p.name, f.errno, &lines));
        }
    }
    Ok(())
}

/// libbpf's log fix-up for a reachable poisoned instruction (`fixup_log_failed_core_relo`): the
/// verifier's `N: (85) call unknown#195896080` / `invalid func unknown#195896080` become
/// `N: <invalid CO-RE relocation>` / `failed to resolve CO-RE relocation <spec>`.
fn fixup_poisoned(spec: &ProgramSpec, mut e: XdpError) -> XdpError {
    let poison = format!("invalid func unknown#{}", super::core::POISON_HELPER);
    let Some(pc) = e.pc.filter(|_| e.message == poison) else { return e };
    let Some(r) = super::core::poisoned_at(&spec.core_relos, pc) else { return e };
    let (l1, l2) = super::core::poisoned_lines(pc, r);
    let call_line = format!("{pc}: (85) call unknown#{}\n", super::core::POISON_HELPER);
    if let Some(at) = e.log.rfind(&call_line) {
        let end = e.log[at..].find(&format!("{poison}\n")).map(|i| at + i + poison.len() + 1);
        if let Some(end) = end {
            e.log.replace_range(at..end, &format!("{l1}\n{l2}\n"));
        }
    } else if let Some(at) = e.log.rfind(&format!("{poison}\n")) {
        e.log.replace_range(at..at + poison.len() + 1, &format!("{l2}\n"));
    }
    e.message = l2;
    e
}

fn link(
    object: &Object,
    spec: &ProgramSpec,
    maps: &[Rc<Map>],
    helpers: &Rc<Vec<Option<Callable>>>,
    opts: &LoadOptions,
) -> std::result::Result<(Prog, Option<Verdict>), XdpError> {
    let name = spec.name.as_str();
    if spec.kind == ProgKind::Unknown {
        return Err(refuse(
            name,
            Errno::EINVAL,
            None,
            format!("libbpf: prog '{name}': missing BPF prog type, check ELF section name '{}'", spec.section),
        ));
    }
    if let Some((pc, fd)) = spec.raw_map_fd {
        // No file descriptor of this process is a map the object created.
        return Err(refuse(name, Errno::EINVAL, Some(pc), format!("fd {fd} is not pointing to valid bpf_map")));
    }
    let mut insns = spec.insns.clone();
    let mut kfuncs: Vec<Callable> = Vec::new();
    let mut kfunc_index: HashMap<usize, i32> = HashMap::new();
    let n = insns.len();
    let mut pc = 0;
    while pc < n {
        let insn = insns[pc];
        if insn.is_lddw() {
            if pc + 1 >= n {
                // Only ever the program's last instruction: the kernel's subprogram check
                // (before ld_imm64 is resolved) finds a last insn that is neither exit nor jump.
                return Err(before_walk(refuse(name, Errno::EINVAL, Some(pc), "last insn is not an exit or jmp".into()), opts, &insns));
            }
            let imm = insn.imm;
            let value: Option<u64> = match insn.src() {
                0 => None,
                PSEUDO_MAP_IDX | PSEUDO_MAP_FD => {
                    let map = maps
                        .get(imm as usize)
                        .ok_or_else(|| refuse(name, Errno::EINVAL, Some(pc), format!("fd {imm} is not pointing to valid bpf_map")))?;
                    Some(map_handle(map))
                }
                PSEUDO_MAP_IDX_VALUE | PSEUDO_MAP_VALUE => {
                    let map = maps
                        .get(imm as usize)
                        .ok_or_else(|| refuse(name, Errno::EINVAL, Some(pc), format!("fd {imm} is not pointing to valid bpf_map")))?;
                    let off = insns[pc + 1].imm as u32;
                    if off >= map.def().value_size {
                        return Err(refuse(
                            name,
                            Errno::EACCES,
                            Some(pc),
                            format!("invalid access to map value pointer, value_size={} off={off}", map.def().value_size),
                        ));
                    }
                    let base = map
                        .lookup(&0u32.to_le_bytes(), 0)
                        .ok_or_else(|| refuse(name, Errno::EINVAL, Some(pc), format!("map '{}' has no direct value access", map.name())))?;
                    Some(base + u64::from(off))
                }
                PSEUDO_FUNC => {
                    let target = pc as i64 + 1 + i64::from(imm);
                    if target < 0 || target as usize >= n {
                        return Err(refuse(name, Errno::EINVAL, Some(pc), format!("jump out of range from insn {pc} to {target}")));
                    }
                    Some(func_addr(target as usize))
                }
                PSEUDO_BTF_ID => {
                    let ext = object
                        .externs
                        .get(imm as usize)
                        .ok_or_else(|| refuse(name, Errno::EINVAL, Some(pc), format!("ksym extern #{imm} does not exist")))?;
                    if !ext.func {
                        // A typed kernel variable (resolved in `resolve_externs`): no kernel
                        // memory behind it, an address that faults if read.
                        Some(KSYM_ADDR_BASE + imm as u64 * 8)
                    } else {
                        match resolve_kfunc(&ext.name, opts) {
                            Some(_) => Some(KSYM_ADDR_BASE + imm as u64 * 8),
                            None if ext.weak => Some(0),
                            None => {
                                return Err(refuse(
                                    name,
                                    Errno::ESRCH,
                                    Some(pc),
                                    format!("libbpf: extern (ksym) '{}': not found in kernel BTF", ext.name),
                                ))
                            }
                        }
                    }
                }
                src => return Err(refuse(name, Errno::EINVAL, Some(pc), format!("unrecognized bpf_ld_imm64 insn (src_reg {src})"))),
            };
            if let Some(v) = value {
                insns[pc].imm = v as u32 as i32;
                insns[pc + 1].imm = (v >> 32) as u32 as i32;
            }
            pc += 2;
            continue;
        }
        match isa::decode(&insns, pc) {
            Op::Call(Callee::Helper(id)) => {
                let bound = usize::try_from(id).ok().and_then(|i| helpers.get(i)).is_some_and(|h| h.is_some());
                // A poisoned CO-RE relocation: dead code loads, the verifier refuses a reachable one.
                // Verified, a call the program type does not get is the verifier's to refuse, where
                // a path reaches it (a dead one loads, as on the kernel).
                let walked = !opts.no_verify && opts.helpers.is_none();
                if !bound && id != super::core::POISON_HELPER && !walked {
                    return Err(refuse(name, Errno::EINVAL, Some(pc), helper_refusal(id, spec, opts)));
                }
            }
            Op::Call(Callee::Kfunc { imm, .. }) => {
                let ext_i = imm as usize;
                let ext = object
                    .externs
                    .get(ext_i)
                    .ok_or_else(|| refuse(name, Errno::EINVAL, Some(pc), format!("kfunc extern #{ext_i} does not exist")))?;
                let index = match kfunc_index.get(&ext_i) {
                    Some(&i) => i,
                    None => {
                        let callable = match resolve_kfunc(&ext.name, opts) {
                            Some(c) => c,
                            // libbpf poisons the call; it faults only if reached.
                            None if ext.weak => Callable::Missing(ext.name.clone()),
                            // libbpf's bpf_object__load fails with EINVAL here (recorded:
                            // test/fixtures/kernel/kernel-bpf.json, "load verdicts")
                            None => {
                                return Err(refuse(
                                    name,
                                    Errno::EINVAL,
                                    Some(pc),
                                    format!("libbpf: {}", policy::kfunc_not_found(&ext.name)),
                                ))
                            }
                        };
                        kfuncs.push(callable);
                        let i = (kfuncs.len() - 1) as i32;
                        kfunc_index.insert(ext_i, i);
                        i
                    }
                };
                insns[pc].imm = index;
            }
            _ => {}
        }
        pc += 1;
    }
    let structural = if opts.no_verify { super::validate::validate } else { super::validate::validate_for_verifier };
    structural(&insns).map_err(|e| before_walk(refuse(name, Errno::EINVAL, e.pc, e.message.clone()), opts, &insns))?;
    let mut verdict = if opts.no_verify { None } else { Some(verify_program(object, spec, maps, opts).map_err(|e| fixup_poisoned(spec, e))?) };
    if let (Some(so), ProgKind::StructOps, Some(v)) = (&opts.struct_ops, spec.kind, &verdict) {
        let (patched, v) = with_pro_epilogue(object, spec, maps, opts, so, &insns, &mut kfuncs, v)?;
        insns = patched;
        verdict = Some(v);
    }
    mark_inlined_loops(&mut insns);
    Ok((
        Prog {
            name: spec.name.clone(),
            kind: spec.kind,
            insns,
            helpers: helpers.clone(),
            kfuncs,
            maps: maps.to_vec(),
            frags: spec.frags,
            attach_type: spec.expected_attach_type(),
            jit: Default::default(),
            facts: verdict.as_ref().map(|v| v.facts.clone()),
            exception_cb: object.btf.as_deref().and_then(|raw| super::btf::Btf::parse(raw).ok()).and_then(|b| exception_callback(&b, spec)),
            local_types: object
                .btf
                .as_deref()
                .and_then(|raw| super::btf::Btf::parse(raw).ok())
                .filter(super::graph::kernel_accepts)
                .map(Rc::new),
            nr_cpus: opts.nr_cpus.max(1),
        },
        verdict,
    ))
}

/// A struct_ops-like program with its ops' prologue and epilogue (see [`super::struct_ops`]): the
/// kfunc calls fixed up under the policy, the code patched as the kernel patches it, and the
/// result verified again (the pro/epilogue is the embedder's code, checked like the program's).
/// `insns` is the linked program (kfunc calls index `kfuncs`); returns it patched, and the verdict.
#[allow(clippy::too_many_arguments)]
fn with_pro_epilogue(
    object: &Object,
    spec: &ProgramSpec,
    maps: &[Rc<Map>],
    opts: &LoadOptions,
    so: &StructOpsLoad,
    insns: &[Insn],
    kfuncs: &mut Vec<Callable>,
    verdict: &Verdict,
) -> std::result::Result<(Vec<Insn>, Verdict), XdpError> {
    use super::struct_ops::{fixup_kfunc_calls, patch, KfuncBtfTab};
    let name = spec.name.as_str();
    let depth = verdict.stats.stack_depth.first().copied().unwrap_or(0);
    let main_end = spec.funcs.iter().map(|f| f.0).filter(|&s| s > 0).min().unwrap_or(spec.insns.len());
    // The program's own module kfuncs hold their BTFs' slots first.
    let mut tab = KfuncBtfTab::default();
    for e in object.externs.iter().filter(|e| e.func) {
        if let Some(m) = so.modules.iter().position(|m| m.kfuncs.contains(&e.name)) {
            tab.slot(m).map_err(|(errno, line)| refuse(name, errno, None, line))?;
        }
    }
    let mut verified_object = object.clone();
    let mut sides = Vec::new();
    let none = Default::default();
    let (prologue, epilogue) = so.pro_epilogues.iter().find(|p| p.0 == spec.name).map_or((&none, &none), |p| (&p.1, &p.2));
    for g in [prologue, epilogue] {
        let mut g = g.clone();
        let callees =
            fixup_kfunc_calls(&mut g, &so.modules, so.kfunc_policy, &mut tab).map_err(|(errno, line)| refuse(name, errno, None, line))?;
        // The verifier's copy calls externs by index; the engine's, its kfunc table.
        let (mut for_verifier, mut for_engine) = (g.insns.clone(), g.insns.clone());
        for (pc, callee) in callees {
            let ext = match verified_object.externs.iter().position(|e| e.func && e.name == callee) {
                Some(i) => i,
                None => {
                    verified_object.externs.push(super::elf::KsymExtern { name: callee.clone(), weak: false, func: true, btf_type_id: 0 });
                    verified_object.externs.len() - 1
                }
            };
            for_verifier[pc].imm = ext as i32;
            let callable = resolve_kfunc(&callee, opts)
                .ok_or_else(|| refuse(name, Errno::EINVAL, None, format!("libbpf: {}", policy::kfunc_not_found(&callee))))?;
            kfuncs.push(callable);
            for_engine[pc].imm = (kfuncs.len() - 1) as i32;
        }
        sides.push((for_verifier, for_engine));
    }
    let (pro, epi) = (&sides[0], &sides[1]);
    let for_verifier = patch(&spec.insns, main_end, depth, &pro.0, &epi.0);
    let mut patched_spec = spec.clone();
    patched_spec.insns = for_verifier.insns;
    patched_spec.funcs =
        spec.funcs.iter().map(|(start, f)| (if *start == 0 { 0 } else { for_verifier.moved[*start] }, f.clone())).collect();
    super::validate::validate_for_verifier(&patched_spec.insns)
        .map_err(|e| refuse(name, Errno::EINVAL, e.pc, format!("pro/epilogue: {}", e.message)))?;
    let v = verify_program(&verified_object, &patched_spec, maps, opts)?;
    Ok((patch(insns, main_end, depth, &pro.1, &epi.1).insns, v))
}

/// libbpf's name for a global data map (`.rodata`, `.bss`, `.data.x`, `.kconfig`) of object
/// `obj`: at most 15 bytes, the object's name cut to fit before the section's (not before a
/// custom `.data.x` section's), anything but letters, digits, `_` and `.` made `_`.
pub fn internal_map_name(obj: &str, section: &str) -> String {
    const OBJ_NAME_LEN: usize = 16;
    let sfx_len = section.len().max(7);
    let pfx_len = if section.get(1..).is_some_and(|s| s.contains('.')) { 0 } else { (OBJ_NAME_LEN - 1).saturating_sub(sfx_len).min(obj.len()) };
    let name: String = obj.bytes().take(pfx_len).chain(section.bytes().take(sfx_len)).take(OBJ_NAME_LEN - 1).map(char::from).collect();
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '.' { c } else { '_' }).collect()
}

/// What the verifier needs to know of a map: its attributes, and a frozen read-only map's value.
pub fn map_meta(map: &Map) -> MapMeta {
    use super::elf::BPF_F_RDONLY_PROG;
    let def = map.def();
    let rdonly_value = (def.map_flags & BPF_F_RDONLY_PROG != 0 && map.is_frozen())
        .then(|| {
            let mut out = Vec::new();
            map.lookup_user(&0u32.to_le_bytes(), &mut out).ok().map(|_| out)
        })
        .flatten();
    MapMeta {
        name: map.name().to_string(),
        map_type: map.uapi_type(),
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: def.max_entries,
        map_flags: def.map_flags,
        rdonly_value,
        inner: None,
        has_btf: false,
        fields: Vec::new(),
        roots: Vec::new(),
    }
}

/// Runs the verifier on a program as libbpf hands it to the kernel (maps and kfuncs by index).
fn verify_program(object: &Object, spec: &ProgramSpec, maps: &[Rc<Map>], opts: &LoadOptions) -> std::result::Result<Verdict, XdpError> {
    let mut metas: Vec<MapMeta> = maps.iter().map(|m| map_meta(m)).collect();
    // The kernel knows a global data map by libbpf's name for it, which the object's name prefixes.
    if let Some(obj) = &opts.object_name {
        for (i, spec) in object.maps.iter().enumerate() {
            if let (Some(_), Some(m)) = (spec.global, metas.get_mut(i)) {
                m.name = internal_map_name(obj, &spec.name);
            }
        }
    }
    // Inner map templates of maps of maps, after the object's own maps.
    for (i, spec) in object.maps.iter().enumerate() {
        if let (Some(inner), true) = (&spec.inner, i < metas.len()) {
            metas[i].inner = Some(metas.len() as u32);
            // An inner map template has no name in the kernel.
            metas.push(MapMeta {
                name: String::new(),
                map_type: inner.map_type,
                key_size: inner.key_size,
                value_size: inner.value_size,
                max_entries: inner.max_entries,
                map_flags: inner.map_flags,
                rdonly_value: None,
                inner: None,
                has_btf: false,
                fields: Vec::new(),
                roots: Vec::new(),
            });
        }
    }
    // Maps of maps referenced by fd: their templates as the maps themselves keep them.
    for i in object.maps.len()..maps.len() {
        if let Some(inner) = maps[i].inner_meta() {
            metas[i].inner = Some(metas.len() as u32);
            let d = inner.def;
            metas.push(MapMeta {
                name: String::new(),
                map_type: d.map_type.uapi(),
                key_size: d.key_size,
                value_size: d.value_size,
                max_entries: d.max_entries,
                map_flags: d.map_flags,
                rdonly_value: None,
                inner: None,
                has_btf: false,
                fields: Vec::new(),
                roots: Vec::new(),
            });
        }
    }
    let policy = call_policy(object, spec, opts);
    let kfuncs: Vec<Option<KfuncRef>> = object
        .externs
        .iter()
        .map(|e| {
            let user = opts.user_kfuncs.iter().any(|(n, _)| n == &e.name);
            if !user {
                let proto = crate::bpf::protos::kfuncs::kfunc(&e.name, opts.seed_kfuncs);
                let unresolved = e.weak && resolve_kfunc(&e.name, opts).is_none();
                return Ok(Some(KfuncRef { name: e.name.clone(), proto, flags: 0, unresolved, allowed: unresolved || policy.kfunc_allowed(&e.name) }));
            }
            let flags = opts.kfunc_specs.iter().find(|u| u.name == e.name).map_or(0, |u| u.flags);
            let proto = match opts.kfunc_protos.iter().find(|p| p.name == e.name) {
                Some(p) => Some(user_kfunc_proto(p).map_err(|m| refuse(&spec.name, Errno::EINVAL, None, m))?),
                None => None,
            };
            Ok(Some(KfuncRef { name: e.name.clone(), proto, flags, unresolved: false, allowed: policy.kfunc_allowed(&e.name) }))
        })
        .collect::<std::result::Result<_, XdpError>>()?;
    let btf = object.btf.as_deref().and_then(|raw| super::btf::Btf::parse(raw).ok());
    // BTF the kernel refuses is left out by libbpf: the maps and the program load without it.
    let kernel_btf = btf.as_ref().filter(|b| super::graph::kernel_accepts(b));
    // The special fields of each map's value, as map creation reads them from its BTF.
    if let Some(b) = kernel_btf {
        for (i, spec) in object.maps.iter().enumerate() {
            let Some(meta) = metas.get_mut(i) else { break };
            if spec.value_type != 0 {
                meta.has_btf = true;
                meta.fields = b.special_fields(spec.value_type);
                if let Some(rec) = super::graph::Record::of_struct(b, b.skip_mods_and_typedefs(spec.value_type).map_or(0, |(id, _)| id)) {
                    meta.roots = rec.roots;
                }
            }
            if let Some(vars) = &spec.global_vars {
                // A global data section: its DATASEC is the value type.
                let rec = super::graph::Record::of_vars(b, vars, spec.value_size);
                meta.has_btf = true;
                meta.fields = rec.fields;
                meta.roots = rec.roots;
            }
            // A map of maps' inner template, likewise.
            let inner_at = meta.inner;
            if let (Some(inner), Some(at)) = (&spec.inner, inner_at) {
                if inner.value_type != 0 {
                    if let Some(im) = metas.get_mut(at as usize) {
                        im.has_btf = true;
                        im.fields = b.special_fields(inner.value_type);
                        if let Some(rec) = super::graph::Record::of_struct(b, b.skip_mods_and_typedefs(inner.value_type).map_or(0, |(id, _)| id)) {
                            im.roots = rec.roots;
                        }
                    }
                }
            }
        }
    }
    let global_funcs = btf.as_ref().map_or_else(Vec::new, |b| global_funcs(b, spec));
    let non_scalar_returns = btf.as_ref().map_or_else(Vec::new, |b| non_scalar_returns(b, spec));
    let main_proto_note = btf.as_ref().and_then(|b| match b.global_func_args(&spec.name, ctx_names(spec.kind)) {
        Some(Err((_, line))) => Some(line),
        _ => None,
    });
    let input = Input {
        name: &spec.name,
        kind: spec.kind,
        insns: &spec.insns,
        maps: &metas,
        kfuncs: &kfuncs,
        global_funcs: &global_funcs,
        non_scalar_returns: &non_scalar_returns,
        // Without CAP_BPF libbpf cannot load the program's BTF: no line info, no prototype note.
        lines: if opts.caps.bpf { &spec.lines } else { &[] },
        main_proto_note: main_proto_note.as_deref().filter(|_| opts.caps.bpf),
        btf: kernel_btf,
    };
    let vopts = VerifyOptions {
        caps: opts.caps,
        log_level: opts.log_level,
        insn_limit: opts.insn_limit.unwrap_or(super::verifier::INSN_LIMIT),
        profile: if opts.seed_kfuncs { Profile::Seed } else { Profile::Linux },
        frags: spec.frags,
        expected_attach_type: spec.expected_attach_type(),
        nr_cpus: opts.nr_cpus.max(1),
        seed_helpers: opts.seed_helpers,
        ctx_layout: opts.struct_ops.as_ref().filter(|_| spec.kind == ProgKind::StructOps).map(|s| s.layout.clone()),
        gpl: policy::license_is_gpl_compatible(&object.license),
    };
    super::verifier::verify(&input, &vopts)
}

/// The program's global subprograms (FUNC linkage global in the object's BTF), with their
/// parameters classified for the program's type; the entry function is not one of them.
fn global_funcs(btf: &super::btf::Btf, spec: &ProgramSpec) -> Vec<GlobalFunc> {
    let ctx = ctx_names(spec.kind);
    let exception_cb = exception_callback(btf, spec);
    spec.funcs
        .iter()
        .filter(|(start, _)| *start != 0)
        .filter_map(|(start, name)| {
            let args = btf.global_func_args(name, ctx)?;
            Some(GlobalFunc { start: *start, name: name.clone(), args, exception_cb: exception_cb == Some(*start) })
        })
        .collect()
}

/// The program type's context struct as user code spells it and as the kernel does.
fn ctx_names(kind: super::elf::ProgKind) -> Option<(&'static str, &'static str)> {
    use super::elf::ProgKind;
    match kind {
        ProgKind::Xdp => Some(("xdp_md", "xdp_buff")),
        ProgKind::SocketFilter | ProgKind::SchedCls | ProgKind::SchedAct => Some(("__sk_buff", "sk_buff")),
        _ => None,
    }
}

/// Where the program's exception callback starts: the function its `exception_callback:NAME`
/// decl tag names, which the object's linking appended (as libbpf does).
pub(crate) fn exception_callback(btf: &super::btf::Btf, spec: &ProgramSpec) -> Option<usize> {
    let main = btf.find_by_name_kind(&spec.name, super::btf::KIND_FUNC)?;
    let name = btf.types().iter().find_map(|t| match t.kind {
        super::btf::Kind::DeclTag { target, component: -1 } if target == main => t.name.strip_prefix("exception_callback:"),
        _ => None,
    })?;
    spec.funcs.iter().find(|(start, n)| *start != 0 && n == name).map(|(start, _)| *start)
}

/// The subprograms (not the entry) whose BTF prototype does not return a scalar.
fn non_scalar_returns(btf: &super::btf::Btf, spec: &ProgramSpec) -> Vec<usize> {
    spec.funcs.iter().filter(|(start, name)| *start != 0 && btf.func_returns_scalar(name) == Some(false)).map(|(start, _)| *start).collect()
}

/// The verifier inlines a bpf_loop call whose flags (r4) it knows to be 0, and the inlined code
/// answers E2BIG differently. Its knowledge is approximated from the code: r4 set to 0 by the
/// last write before the call, with no jump landing in between.
fn mark_inlined_loops(insns: &mut [Insn]) {
    use super::isa::{AluOp, Callee, Cfg, Op, Operand};
    let cfg = Cfg::new(insns);
    let inlined: Vec<usize> = cfg
        .starts()
        .filter(|&pc| cfg.ops[pc] == Op::Call(Callee::Helper(181)))
        .filter(|&pc| {
            let mut p = pc;
            loop {
                if p == 0 || cfg.is_target(p) {
                    return false;
                }
                p -= 1;
                let op = cfg.ops[p];
                if op.ends_block() || cfg.second_half(p) {
                    return false;
                }
                if op.writes() == Some(4) && !matches!(op, Op::Atomic { .. }) {
                    return matches!(op, Op::Alu { op: AluOp::Mov, src: Operand::Imm(0), .. });
                }
            }
        })
        .collect();
    for pc in inlined {
        insns[pc].imm = super::helpers::BPF_LOOP_INLINED as i32;
    }
}

/// The policy a program's calls are checked under: its type, the object's licence, the options.
pub fn call_policy(object: &Object, spec: &ProgramSpec, opts: &LoadOptions) -> CallPolicy {
    let mut user_kfuncs = opts.kfunc_specs.clone();
    for (name, _) in &opts.user_kfuncs {
        if !user_kfuncs.iter().any(|u| &u.name == name) {
            user_kfuncs.push(UserKfunc { name: name.clone(), flags: 0, prog_types: None, lifecycle: None });
        }
    }
    // A declared struct_ops-like type calls the user's kfuncs (the modules' its ops name).
    if opts.struct_ops.is_some() && spec.kind == ProgKind::StructOps {
        for u in user_kfuncs.iter_mut().filter(|u| u.prog_types.is_none()) {
            u.prog_types = Some(super::protos::pt::STRUCT_OPS);
        }
    }
    CallPolicy {
        prog_type: spec.kind.prog_type(),
        license: object.license.clone(),
        seed: opts.seed_kfuncs,
        dev_bound: opts.dev_bound,
        sleepable: opts.sleepable,
        caps: opts.caps,
        user_kfuncs,
        lifecycle: opts.lifecycle.clone(),
        seed_helpers: opts.seed_helpers,
        declared_struct_ops: opts.struct_ops.is_some() && spec.kind == ProgKind::StructOps,
        walked: !opts.no_verify,
    }
}

/// A program's helper and kfunc call sites, in pc order.
pub fn call_sites(object: &Object, spec: &ProgramSpec) -> Vec<Site> {
    let mut sites = Vec::new();
    for pc in 0..spec.insns.len() {
        match isa::decode(&spec.insns, pc) {
            // A poisoned CO-RE relocation is the verifier's to refuse, if reached.
            Op::Call(Callee::Helper(super::core::POISON_HELPER)) => {}
            Op::Call(Callee::Helper(id)) => sites.push(Site::Helper { id: i64::from(id), pc: Some(pc) }),
            Op::Call(Callee::Kfunc { imm, .. }) => {
                if let Some(e) = usize::try_from(imm).ok().and_then(|i| object.externs.get(i)) {
                    sites.push(Site::Kfunc { name: e.name.clone(), pc: Some(pc), weak: e.weak });
                }
            }
            _ => {}
        }
    }
    sites
}

/// The helper ids the engine binds for a program type: those the engine implements that the
/// type (and the loader's capabilities) gets, narrowed by the embedder's list.
fn helper_ids(prog_type: u32, opts: &LoadOptions) -> Vec<u32> {
    let declared = opts.struct_ops.is_some() && prog_type == ProgKind::StructOps.prog_type();
    super::helpers::NATIVE_HELPERS
        .iter()
        .map(|h| h.0)
        .filter(|&id| {
            opts.unrestricted
                || policy::helper_allowed(i64::from(id), prog_type, opts.caps)
                || (declared && super::protos::helpers::base_helper(i64::from(id)))
        })
        .filter(|id| opts.helpers.as_ref().is_none_or(|allowed| allowed.contains(id)))
        .collect()
}

/// The helpers the program type may call that the engine does not implement: bound so that a
/// program calling them loads (the verifier checks the call against the prototype) and faults
/// only if it reaches the call.
fn with_unemulated(table: Rc<Vec<Option<Callable>>>, prog_type: u32, opts: &LoadOptions) -> Rc<Vec<Option<Callable>>> {
    let table = with_seed_helpers(table, opts);
    if opts.unrestricted || opts.helpers.is_some() || opts.no_verify {
        return table;
    }
    let mut t = (*table).clone();
    // A helper only the capabilities deny is bound too: the verifier refuses a call a path
    // reaches, as the kernel does, after what the path refuses before it.
    let caps = policy::Caps::default();
    for h in crate::bpf::protos::helpers::helpers().iter().skip(1) {
        let slot = &mut t[h.id as usize];
        if slot.is_none() && policy::helper_allowed(i64::from(h.id), prog_type, caps) {
            *slot = Some(Callable::Unemulated(h.name));
        }
    }
    Rc::new(t)
}

/// The `seed-helpers` profile binds the seed's proposed helper ids to the seed's functions.
fn with_seed_helpers(table: Rc<Vec<Option<Callable>>>, opts: &LoadOptions) -> Rc<Vec<Option<Callable>>> {
    if !opts.seed_helpers {
        return table;
    }
    let mut t = (*table).clone();
    for id in 214..=221u32 {
        let f = crate::bpf::protos::kfuncs::seed_helper(i64::from(id)).and_then(|k| native_kfunc(k.name, true));
        if let (Some(f), Some(slot)) = (f, t.get_mut(id as usize)) {
            *slot = Some(Callable::Native(f));
        }
    }
    Rc::new(t)
}

/// A helper call the policy let through (or did not check) that the engine has not bound.
fn helper_refusal(id: i32, spec: &ProgramSpec, opts: &LoadOptions) -> String {
    let implemented = super::helpers::native_helper(id as u32).is_some();
    let narrowed = opts.helpers.is_some() || !helper_ids(spec.kind.prog_type(), opts).contains(&(id as u32));
    match super::protos::helpers::helper_name(id) {
        Some(name) if implemented && narrowed => policy::helper_not_allowed(name, i64::from(id)),
        _ => policy::unknown_helper(i64::from(id)),
    }
}

fn resolve_kfunc(name: &str, opts: &LoadOptions) -> Option<Callable> {
    if let Some((_, f)) = opts.user_kfuncs.iter().find(|(n, _)| n == name) {
        return Some(Callable::User(f.clone()));
    }
    if let Some(allowed) = &opts.kfuncs {
        if !allowed.iter().any(|k| k == name) {
            return None;
        }
    }
    match native_kfunc(name, opts.seed_kfuncs) {
        Some(f) => Some(Callable::Native(f)),
        // A kernel kfunc the table describes but the engine does not implement (an skb dynptr
        // outside test_run's XDP, a BTF cast): the program verifies against its prototype and
        // faults with its name if it reaches the call.
        None if !opts.no_verify => crate::bpf::protos::kfuncs::kfunc(name, opts.seed_kfuncs).map(|k| Callable::Unemulated(k.name)).or_else(|| {
            // A kernel kfunc known by name only (its program types): it resolves, as libbpf
            // resolves it against vmlinux, and the verifier says whether the program may call it.
            crate::bpf::protos::kfuncs::kernel_kfunc_prog_types().find(|(n, _)| *n == name).map(|(n, _)| Callable::Unemulated(n))
        }),
        None => None,
    }
}

/// Opens and loads in one step.
pub fn load_bytes(bytes: &[u8], opts: &LoadOptions) -> Result<LoadedObject> {
    let object = super::elf::parse(bytes)?;
    load(object, opts).map_err(XdpError::in_load)
}
