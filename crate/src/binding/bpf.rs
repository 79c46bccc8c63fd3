//! The BPF engine's binding: objects (loaded programs and their maps), test_run, map access,
//! and kfuncs implemented in JavaScript.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use super::{err, guard};
use crate::bpf::loader::{self, LoadOptions, LoadedObject};
use crate::bpf::machine::{Trap, UserFn};
use crate::bpf::maps::Map;
use crate::bpf::context_skb::SkBuff;
use crate::bpf::test_run::{test_run_skb, test_run_xdp, SkbRunOptions, TestRun, TestRunOptions, TestRunOutput, XdpMd};
use crate::errno::{Errno, XdpError};
use crate::pool::{PagePool, PoolConfig};

pub struct BpfState {
    pub(crate) loaded: LoadedObject,
    pool: PagePool,
}

type BpfHandle = External<RefCell<BpfState>>;
pub(crate) type BpfHandleAlias = BpfHandle;

thread_local! {
    /// The env of the binding call that is running programs, for kfuncs implemented in JS.
    static CURRENT_ENV: Cell<Option<sys::napi_env>> = const { Cell::new(None) };
}

/// Sets the env JS kfuncs call back through for the duration of `f`.
fn with_env<R>(env: &Env, f: impl FnOnce() -> R) -> R {
    let prev = CURRENT_ENV.with(|c| c.replace(Some(env.raw())));
    let r = f();
    CURRENT_ENV.with(|c| c.set(prev));
    r
}

type KfuncDispatch = FunctionRef<Vec<BigInt>, BigInt>;

fn js_kfunc(dispatch: Rc<KfuncDispatch>, index: usize, name: String) -> UserFn {
    Rc::new(move |_m, a: &[u64; 5]| {
        let fail = |msg: String| Trap::Fault(XdpError::run(Errno::EFAULT, format!("kfunc {name}: {msg}")));
        let raw = CURRENT_ENV.with(|c| c.get()).ok_or_else(|| fail("called outside a run".into()))?;
        let env = Env::from_raw(raw);
        let func = dispatch.borrow_back(&env).map_err(|e| fail(e.reason.clone()))?;
        let mut args = vec![BigInt::from(index as u64)];
        args.extend(a.iter().map(|&v| BigInt::from(v)));
        let r = func.call(args).map_err(|e| fail(e.reason.clone()))?;
        let (negative, v, _) = r.get_u64();
        Ok(if negative { v.wrapping_neg() } else { v })
    })
}

#[napi(object)]
#[derive(Default)]
pub struct BpfLoadOptions {
    /// Load only this program (and those its prog arrays name).
    pub prog: Option<String>,
    pub helpers: Option<Vec<u32>>,
    pub kfuncs: Option<Vec<String>>,
    pub seed_kfuncs: Option<bool>,
    pub nr_cpus: Option<u32>,
    /// Names of kfuncs implemented in JS, in the order the dispatcher numbers them.
    pub user_kfuncs: Option<Vec<String>>,
    /// false: the programs run in the interpreter, never compiled (default: the JIT where it can).
    pub jit: Option<bool>,
    /// Loaded device-bound (what the XDP metadata kfuncs need).
    pub dev_bound: Option<bool>,
    /// false: skip the prototype table's checks (every implemented helper and kfunc callable).
    pub policy: Option<bool>,
    /// The program types and flags of the JS kfuncs (and their C prototypes, when declared).
    pub kfunc_specs: Option<Vec<super::protos::UserKfuncSpec>>,
    /// false: load without the verifier (structural checks only).
    pub verify: Option<bool>,
    /// The verifier's log level, the kernel's bit mask (1 path, 2 every path, 4 statistics).
    pub log_level: Option<u32>,
    /// The object's name as libbpf gives it (its file name up to the first dot).
    pub object_name: Option<String>,
    /// The verifier's complexity limit (instructions processed).
    pub insn_limit: Option<f64>,
    /// Overrides the program type of the selected program (`prog`), or of every program.
    pub prog_type: Option<u32>,
    /// CAP_BPF and CAP_PERFMON (default: both).
    pub cap_bpf: Option<bool>,
    pub cap_perfmon: Option<bool>,
    /// Refuse what this release lacks ('6.6').
    pub target_kernel: Option<String>,
    /// The stability tiers allowed.
    pub allow_tiers: Option<Vec<String>>,
    /// The `seed-helpers` profile (helper ids 214..=221, which never reached uapi).
    pub seed_helpers: Option<bool>,
    /// A struct_ops-like program type the user declares, with its pro/epilogue.
    pub struct_ops: Option<StructOpsSpec>,
    /// The target BTF: 'uxdp-6.18' (default), 'host', or a path to a raw BTF file.
    pub btf: Option<String>,
    /// The target BTF as bytes (takes precedence over `btf`).
    pub btf_bytes: Option<Buffer>,
    /// `.kconfig` values set by the user, as a config line writes them.
    pub kconfig: Option<std::collections::HashMap<String, String>>,
}

/// The target BTF a load names.
fn btf_source(name: Option<&str>, bytes: Option<&[u8]>) -> crate::bpf::target::BtfSource {
    use crate::bpf::target::BtfSource;
    match (bytes, name) {
        (Some(b), _) => BtfSource::Bytes(std::sync::Arc::new(b.to_vec())),
        (None, None | Some("uxdp-6.18")) => BtfSource::Uxdp618,
        (None, Some("host")) => BtfSource::Host,
        (None, Some(path)) => BtfSource::Path(path.to_string()),
    }
}

/// One field of a declared struct_ops context.
#[napi(object)]
#[derive(Clone)]
pub struct CtxFieldSpec {
    pub name: String,
    pub offset: u32,
    pub size: u32,
    pub read: bool,
    pub write: bool,
}

/// A module whose kfuncs pro/epilogues may call (BTF id N is its N-th kfunc).
#[napi(object)]
#[derive(Clone)]
pub struct KfuncModuleSpec {
    pub name: String,
    pub has_btf: bool,
    pub kfuncs: Vec<String>,
}

/// One program's prologue and epilogue: instruction bytes (hex), and the module their kfunc calls
/// name (an index into `modules`; absent: vmlinux).
#[napi(object)]
#[derive(Clone)]
pub struct ProEpilogueSpec {
    pub prog: String,
    pub prologue: Option<String>,
    pub prologue_module: Option<u32>,
    pub epilogue: Option<String>,
    pub epilogue_module: Option<u32>,
}

/// A struct_ops-like type: its context, and each program's prologue and epilogue.
#[napi(object)]
#[derive(Clone)]
pub struct StructOpsSpec {
    pub ctx_size: u32,
    pub fields: Vec<CtxFieldSpec>,
    pub programs: Vec<ProEpilogueSpec>,
    pub modules: Vec<KfuncModuleSpec>,
    /// 'modules' (default), 'builtin-only' or 'none'.
    pub kfunc_policy: Option<String>,
}

fn struct_ops_load(s: StructOpsSpec) -> crate::errno::Result<crate::bpf::loader::StructOpsLoad> {
    use crate::bpf::struct_ops::{CtxField, CtxLayout, Generated, KfuncModule, ProEpilogueKfuncs};
    const OP: &str = "struct_ops";
    let layout = CtxLayout {
        size: s.ctx_size,
        fields: s.fields.into_iter().map(|f| CtxField { name: f.name, off: f.offset, size: f.size, read: f.read, write: f.write }).collect(),
    };
    layout.check()?;
    let modules: Vec<KfuncModule> = s.modules.into_iter().map(|m| KfuncModule { name: m.name, has_btf: m.has_btf, kfuncs: m.kfuncs }).collect();
    let generated = |hex: Option<String>, module: Option<u32>| -> crate::errno::Result<Generated> {
        let hex = hex.unwrap_or_default();
        let bytes: Option<Vec<u8>> = hex
            .len()
            .is_multiple_of(2)
            .then(|| hex.as_bytes().chunks(2).map(|d| std::str::from_utf8(d).ok().and_then(|d| u8::from_str_radix(d, 16).ok())).collect())
            .flatten();
        let bytes = bytes.ok_or_else(|| XdpError::new(Errno::EINVAL, OP, "pro/epilogue instructions must be bytes"))?;
        let insns = crate::bpf::insn::decode(&bytes).map_err(|n| XdpError::new(Errno::EINVAL, OP, format!("pro/epilogue: {n} bytes is not a whole number of instructions")))?;
        if let Some(m) = module {
            if m as usize >= modules.len() {
                return Err(XdpError::new(Errno::EINVAL, OP, format!("pro/epilogue names module #{m}, which is not declared")));
            }
        }
        Ok(Generated { insns, module: module.map(|m| m as usize) })
    };
    let kfunc_policy = match s.kfunc_policy.as_deref() {
        None | Some("modules") => ProEpilogueKfuncs::Modules,
        Some("builtin-only") => ProEpilogueKfuncs::BuiltinOnly,
        Some("none") => ProEpilogueKfuncs::None,
        Some(other) => return Err(XdpError::new(Errno::EINVAL, OP, format!("prologueKfuncs must be 'modules', 'builtin-only' or 'none', got '{other}'"))),
    };
    let mut pro_epilogues = Vec::new();
    for p in s.programs {
        pro_epilogues.push((p.prog, generated(p.prologue, p.prologue_module)?, generated(p.epilogue, p.epilogue_module)?));
    }
    Ok(crate::bpf::loader::StructOpsLoad {
        pro_epilogues,
        layout,
        modules,
        kfunc_policy,
    })
}

impl BpfLoadOptions {
    fn engine(self, user_kfuncs: Vec<(String, crate::bpf::machine::UserFn)>) -> crate::errno::Result<LoadOptions> {
        let lifecycle = super::protos::lifecycle_policy(self.target_kernel.as_deref(), self.allow_tiers.as_deref())?;
        let struct_ops = self.struct_ops.map(struct_ops_load).transpose()?;
        Ok(LoadOptions {
            struct_ops,
            nr_cpus: self.nr_cpus.unwrap_or(1),
            helpers: self.helpers,
            kfuncs: self.kfuncs,
            seed_kfuncs: self.seed_kfuncs.unwrap_or(false),
            seed_helpers: self.seed_helpers.unwrap_or(false),
            user_kfuncs,
            kfunc_protos: self.kfunc_specs.iter().flatten().filter_map(|k| k.proto()).collect(),
            kfunc_specs: self.kfunc_specs.unwrap_or_default().into_iter().map(Into::into).collect(),
            dev_bound: self.dev_bound.unwrap_or(false),
            unrestricted: self.policy == Some(false),
            only: self.prog,
            no_verify: self.verify == Some(false),
            log_level: self.log_level.unwrap_or(0),
            object_name: self.object_name,
            insn_limit: self.insn_limit.map(|v| v.max(0.0) as u64),
            caps: crate::bpf::protos::policy::Caps { bpf: self.cap_bpf.unwrap_or(true), perfmon: self.cap_perfmon.unwrap_or(true) },
            lifecycle,
            btf: btf_source(self.btf.as_deref(), self.btf_bytes.as_deref()),
            kconfig: self.kconfig.map(|m| {
                let mut v: Vec<(String, String)> = m.into_iter().collect();
                v.sort();
                v
            }).unwrap_or_default(),
            ..Default::default()
        })
    }
}

fn no_options() -> BpfLoadOptions {
    BpfLoadOptions::default()
}

/// Parses an object and applies the program type override (`progType`) to the selected program,
/// or to every program when none is selected.
fn parse_with(bytes: &[u8], prog: Option<&str>, prog_type: Option<u32>) -> crate::errno::Result<crate::bpf::elf::Object> {
    let mut object = crate::bpf::elf::parse(bytes)?;
    if let Some(t) = prog_type {
        let kind = crate::bpf::elf::ProgKind::from_prog_type(t)
            .filter(|k| *k != crate::bpf::elf::ProgKind::Unknown)
            .ok_or_else(|| XdpError::new(Errno::EINVAL, "bpf_prog_load", format!("unknown program type {t}")))?;
        for p in object.programs.iter_mut().filter(|p| prog.is_none_or(|n| n == p.name)) {
            p.kind = kind;
        }
    }
    Ok(object)
}

/// Loads as libbpf does: a refusal by the verifier at log level 0 comes without a log, so the load
/// is retried at level 1 for it (libbpf's retry with a log buffer).
fn load_with_log(object: crate::bpf::elf::Object, opts: &LoadOptions) -> std::result::Result<LoadedObject, XdpError> {
    let retry = (opts.log_level == 0 && !opts.no_verify).then(|| object.clone());
    match loader::load(object, opts) {
        Err(e) if e.log.is_empty() && e.pc.is_some() => match retry {
            Some(object) => {
                let mut o2 = opts.clone();
                o2.log_level = 1;
                match loader::load(object, &o2) {
                    Err(e2) if e2.message == e.message => Err(e2),
                    _ => Err(e),
                }
            }
            None => Err(e),
        },
        r => r,
    }
}

/// A kfunc declared for `verify()` only: never run.
fn declared_only(name: String) -> UserFn {
    Rc::new(move |_m, _a: &[u64; 5]| {
        Err(Trap::Fault(XdpError::run(Errno::EOPNOTSUPP, format!("kfunc {name} was declared for verify() only"))))
    })
}

/// The verifier's stats (the kernel's `processed ... insns` line and the lines before it).
#[napi(object)]
pub struct VerifyStats {
    pub processed: f64,
    pub max_states_per_insn: u32,
    pub total_states: u32,
    pub peak_states: u32,
    pub mark_read: u32,
    pub stack_depth: Vec<u32>,
    pub time_us: f64,
}

/// One program's verdict: accepted, or refused with the kernel's line, errno and log.
#[napi(object, use_nullable = true)]
pub struct VerifyReport {
    pub accepted: bool,
    pub prog: String,
    /// Whether the verifier ran (false: refused before it, by libbpf or the structural checks).
    pub verified: bool,
    /// The negative errno bpf() answers (0 when accepted) and its name ('' when accepted).
    pub errno: i32,
    pub code: String,
    /// The refusal's line, exactly as the kernel's log ends with it ('' when accepted).
    pub message: String,
    pub pc: Option<u32>,
    pub insn: Option<String>,
    pub log: String,
    pub stats: VerifyStats,
    /// The lifecycle policy's warnings (calls of deprecated and deprecating functions).
    pub warnings: Vec<String>,
}

/// Reads the stats back from a log written at level 1 or more.
fn stats_from_log(log: &str) -> VerifyStats {
    let mut s = VerifyStats {
        processed: 0.0,
        max_states_per_insn: 0,
        total_states: 0,
        peak_states: 0,
        mark_read: 0,
        stack_depth: Vec::new(),
        time_us: 0.0,
    };
    for line in log.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let after = |key: &str| words.iter().position(|w| *w == key).and_then(|i| words.get(i + 1)).and_then(|w| w.parse::<u64>().ok());
        if let Some(rest) = line.strip_prefix("verification time ") {
            s.time_us = rest.trim_end_matches(" usec").trim().parse::<f64>().unwrap_or(0.0);
        } else if let Some(rest) = line.strip_prefix("stack depth ") {
            s.stack_depth = rest.split('+').filter_map(|d| d.trim().parse().ok()).collect();
        } else if line.starts_with("processed ") && line.contains(" insns (limit ") {
            s.processed = after("processed").unwrap_or(0) as f64;
            s.max_states_per_insn = after("max_states_per_insn").unwrap_or(0) as u32;
            s.total_states = after("total_states").unwrap_or(0) as u32;
            s.peak_states = after("peak_states").unwrap_or(0) as u32;
            s.mark_read = after("mark_read").unwrap_or(0) as u32;
        }
    }
    s
}

fn stats_of(v: &crate::bpf::verifier::Stats) -> VerifyStats {
    VerifyStats {
        processed: v.processed as f64,
        max_states_per_insn: v.max_states_per_insn,
        total_states: v.total_states,
        peak_states: v.peak_states,
        mark_read: v.mark_read,
        stack_depth: v.stack_depth.clone(),
        time_us: v.time_us as f64,
    }
}

/// Verifies one program of an object (`prog`, or the first autoload one) as the kernel would
/// load it, and answers with the verdict: a refusal is a result, not an error. Throws only for
/// unusable input (not an ELF object, no such program, an unknown program type).
#[napi]
pub fn bpf_verify(bytes: &[u8], options: Option<BpfLoadOptions>) -> Result<VerifyReport> {
    const OP: &str = "bpf_prog_load";
    guard(OP, || {
        let mut o = options.unwrap_or_else(no_options);
        let object = parse_with(bytes, o.prog.as_deref(), o.prog_type)?;
        let name = match o.prog.clone() {
            Some(n) => {
                if !object.programs.iter().any(|p| p.name == n) {
                    let names: Vec<&str> = object.programs.iter().map(|p| p.name.as_str()).collect();
                    return Err(err(Errno::ENOENT, OP, format!("no program '{n}' in the object (it has: {})", names.join(", "))));
                }
                n
            }
            None => object
                .programs
                .iter()
                .find(|p| p.autoload)
                .or(object.programs.first())
                .map(|p| p.name.clone())
                .ok_or_else(|| err(Errno::ENOENT, OP, "the object has no program"))?,
        };
        o.prog = Some(name.clone());
        o.verify = Some(true);
        let level = o.log_level.unwrap_or(0);
        let names: Vec<String> = o.kfunc_specs.iter().flatten().map(|k| k.name.clone()).collect();
        let user_kfuncs = names.into_iter().map(|n| (n.clone(), declared_only(n))).collect();
        let mut opts = o.engine(user_kfuncs)?;
        // The stats of a refusal are read from its log: verify at level 1 at least.
        opts.log_level = level.max(1);
        let keep = |log: String| if level == 0 { String::new() } else { log };
        Ok(match loader::load(object, &opts) {
            Ok(l) => {
                let verdict = l.program(&name).and_then(|p| p.verdict.clone());
                let warnings = l.program(&name).map(|p| p.warnings.clone()).unwrap_or_default();
                let (stats, log) = match verdict {
                    Some(v) => (stats_of(&v.stats), keep(v.log)),
                    None => (stats_from_log(""), String::new()),
                };
                VerifyReport {
                    accepted: true,
                    prog: name,
                    verified: true,
                    errno: 0,
                    code: String::new(),
                    message: String::new(),
                    pc: None,
                    insn: None,
                    log,
                    stats,
                    warnings,
                }
            }
            Err(e) => {
                let verified = e.log.lines().any(|l| l.starts_with("processed ") && l.contains(" insns (limit "));
                let insn = e.insn.map(|raw| crate::bpf::disasm::kernel_style(&[crate::bpf::Insn::from_bytes(&raw)], 0, &|_| None));
                VerifyReport {
                    accepted: false,
                    prog: if e.program.is_empty() { name } else { e.program.clone() },
                    verified,
                    errno: e.errno.retval(),
                    code: e.errno.name().into(),
                    message: e.message.clone(),
                    pc: e.pc.map(|p| p as u32),
                    insn,
                    stats: stats_from_log(&e.log),
                    log: keep(e.log.clone()),
                    warnings: Vec::new(),
                }
            }
        })
    })
}

#[napi]
pub fn bpf_object_load(
    bytes: &[u8],
    options: Option<BpfLoadOptions>,
    dispatch: Option<Function<Vec<BigInt>, BigInt>>,
) -> Result<BpfHandle> {
    const OP: &str = "bpf_object__load";
    guard(OP, || {
        let o = options.unwrap_or_else(no_options);
        let object = parse_with(bytes, o.prog.as_deref(), o.prog_type)?;
        load_handle(object, o, dispatch, OP)
    })
}

/// `bpf_prog_load` of raw instructions (8 bytes each) with no ELF around them: one program named
/// `name`, its type from `section` (libbpf's section names), lddw map references by fd in uxdp's
/// table (`BpfMap.fd`); loaded with the options an object takes (verifier, caps, policy, ...).
#[napi]
pub fn bpf_raw_load(
    insns: &[u8],
    name: String,
    section: String,
    license: String,
    options: Option<BpfLoadOptions>,
    dispatch: Option<Function<Vec<BigInt>, BigInt>>,
) -> Result<BpfHandle> {
    const OP: &str = "bpf_prog_load";
    guard(OP, || {
        let o = options.unwrap_or_else(no_options);
        let object = crate::bpf::elf::Object::from_insns(&name, &section, &license, insns)?;
        load_handle(object, o, dispatch, OP)
    })
}

/// Loads a parsed object with the binding's options (user kfuncs through `dispatch`).
fn load_handle(
    object: crate::bpf::elf::Object,
    mut o: BpfLoadOptions,
    dispatch: Option<Function<Vec<BigInt>, BigInt>>,
    op: &'static str,
) -> Result<BpfHandle> {
    let dispatch = match dispatch {
        Some(f) => Some(Rc::new(f.create_ref()?)),
        None => None,
    };
    let mut user_kfuncs = Vec::new();
    for (i, name) in o.user_kfuncs.take().unwrap_or_default().into_iter().enumerate() {
        let d = dispatch.clone().ok_or_else(|| err(Errno::EINVAL, op, "user kfuncs need a dispatcher"))?;
        user_kfuncs.push((name.clone(), js_kfunc(d, i, name)));
    }
    let jit = o.jit;
    let opts = o.engine(user_kfuncs)?;
    let loaded = load_with_log(object, &opts).map_err(XdpError::in_load)?;
    if jit == Some(false) {
        for p in loaded.programs.iter().filter_map(|p| p.prog.as_ref()) {
            p.jit.disabled.set(true);
        }
    }
    Ok(External::new(RefCell::new(BpfState { loaded, pool: PagePool::new(PoolConfig::default())? })))
}

#[napi(object, use_nullable = true)]
pub struct CoreReloObject {
    pub index: u32,
    pub section: String,
    pub insn: u32,
    pub kind: String,
    pub spec: String,
    /// false when the relocation fails the load (libbpf's error).
    pub accepted: bool,
    /// libbpf's lines when it fails the load, or why the instruction is poisoned; null when it
    /// resolves.
    pub reason: Option<String>,
    /// The value written into the instruction (null when poisoned or failing).
    pub value: Option<f64>,
    /// The target's spec it matched (`[N] struct sk_buff.len (0:0 @ offset 112)`), null when
    /// nothing matched.
    pub target: Option<String>,
}

#[napi(object)]
pub struct ProgramInfoObject {
    pub name: String,
    pub section: String,
    pub kind: String,
    pub frags: bool,
    pub autoload: bool,
    pub loaded: bool,
    pub insns: u32,
    pub core_relos: Vec<CoreReloObject>,
}

#[napi(object)]
pub struct MapInfoObject {
    pub name: String,
    #[napi(js_name = "type")]
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub flags: u32,
}

#[napi(object)]
pub struct ExternInfoObject {
    pub name: String,
    pub weak: bool,
    pub func: bool,
}

#[napi(object)]
pub struct ObjectInfo {
    pub license: String,
    pub programs: Vec<ProgramInfoObject>,
    pub maps: Vec<MapInfoObject>,
    pub externs: Vec<ExternInfoObject>,
}

fn object_info(object: &crate::bpf::elf::Object, loaded: &dyn Fn(&str) -> bool) -> ObjectInfo {
    // Relocations are described as they resolve against the default target.
    let target = crate::bpf::target::BtfSource::Uxdp618.load().ok();
    let local = object.btf.as_deref().and_then(|b| crate::bpf::btf::Btf::parse(b).ok()).unwrap_or_default();
    let mut cands = std::collections::HashMap::new();
    let mut outcome = |r: &crate::bpf::core::CoreRelo| -> (bool, Option<String>, Option<f64>, Option<String>) {
        let Some(t) = &target else { return (false, Some("the shipped BTF does not parse".into()), None, None) };
        match crate::bpf::core::calc(&local, t, r, &mut cands) {
            Err(f) => (false, Some(f.lines.join("\n")), None, None),
            Ok(x) if x.res.poison => (true, Some("no target matches: the instruction is poisoned (the verifier refuses it if reached)".into()), None, None),
            Ok(x) => (true, None, Some(x.res.new_val as f64), x.target_spec),
        }
    };
    let programs = object
        .programs
        .iter()
        .map(|p| ProgramInfoObject {
            name: p.name.clone(),
            section: p.section.clone(),
            kind: format!("{:?}", p.kind),
            frags: p.frags,
            autoload: p.autoload,
            loaded: loaded(&p.name),
            insns: p.insns.len() as u32,
            core_relos: p
                .core_relos
                .iter()
                .map(|r| {
                    let (accepted, reason, value, target) = outcome(r);
                    CoreReloObject {
                        index: r.index as u32,
                        section: r.section.clone(),
                        insn: r.insn as u32,
                        kind: r.kind.name().to_string(),
                        spec: r.spec.clone(),
                        accepted,
                        reason,
                        value,
                        target,
                    }
                })
                .collect(),
        })
        .collect();
    let maps = object
        .maps
        .iter()
        .map(|m| MapInfoObject {
            name: m.name.clone(),
            map_type: m.map_type,
            key_size: m.key_size,
            value_size: m.value_size,
            max_entries: m.max_entries,
            flags: m.map_flags,
        })
        .collect();
    let externs = object.externs.iter().map(|e| ExternInfoObject { name: e.name.clone(), weak: e.weak, func: e.func }).collect();
    ObjectInfo { license: object.license.clone(), programs, maps, externs }
}

/// Programs, maps, externs and license of a loaded object.
#[napi]
pub fn bpf_object_info(h: &BpfHandle) -> Result<ObjectInfo> {
    guard("bpf_object_info", || {
        let st = h.borrow();
        let l = &st.loaded;
        Ok(object_info(&l.object, &|name| l.program(name).is_some_and(|p| p.prog.is_some())))
    })
}

/// The same for an object file that is only opened, not loaded (`uxdp prog show`).
#[napi]
pub fn bpf_object_describe(bytes: &[u8]) -> Result<ObjectInfo> {
    guard("bpf_object__open", || {
        let object = crate::bpf::elf::parse(bytes)?;
        Ok(object_info(&object, &|_| false))
    })
}

#[napi(object)]
pub struct BpfRunResult {
    pub retval: u32,
    pub data_out: Buffer,
    pub duration_ns: f64,
    /// All runs together, in ns (the average is taken from it).
    pub total_ns: f64,
    pub runs: f64,
    pub ctx_out: Buffer,
    pub insns: f64,
    pub trace: Vec<String>,
}

fn run_result(out: TestRunOutput) -> BpfRunResult {
    BpfRunResult {
        retval: out.retval,
        data_out: out.data_out.into(),
        duration_ns: out.duration_ns as f64,
        total_ns: out.total_ns as f64,
        runs: out.runs as f64,
        ctx_out: out.ctx_out.to_bytes().to_vec().into(),
        insns: out.insns as f64,
        trace: out.trace,
    }
}

fn md_of(ctx: Option<&[u8]>) -> crate::errno::Result<Option<XdpMd>> {
    ctx.map(XdpMd::from_bytes).transpose()
}

/// BPF_PROG_TEST_RUN in one call; `timeout_ms` bounds the repeat loop (ETIMEDOUT).
#[napi]
pub fn bpf_test_run(
    env: Env,
    h: &BpfHandle,
    prog: String,
    data: &[u8],
    ctx: Option<&[u8]>,
    repeat: Option<u32>,
    timeout_ms: Option<f64>,
    host: Option<&super::hostnet::HostNetHandle>,
    netns: Option<u32>,
) -> Result<BpfRunResult> {
    const OP: &str = "bpf_prog_test_run";
    guard(OP, || {
        let st = h.try_borrow().map_err(|_| err(Errno::EBUSY, OP, "the object is in use"))?;
        let program = program_of_state(&st, &prog, OP)?;
        // An infinite (or absurdly long) budget is no budget.
        let timeout = timeout_ms.and_then(|ms| Duration::try_from_secs_f64(ms.max(0.0) / 1000.0).ok());
        let host = super::hostnet::host_ref(host, netns);
        let opts = TestRunOptions { ctx: md_of(ctx)?, repeat: repeat.unwrap_or(1), timeout, host, ..Default::default() };
        let out = with_env(&env, || test_run_xdp(&program, &st.pool, data, &opts))?;
        Ok(run_result(out))
    })
}

#[napi(object)]
pub struct BpfSkbRunResult {
    pub retval: u32,
    pub data_out: Buffer,
    pub duration_ns: f64,
    pub runs: f64,
    /// `struct __sk_buff` (192 bytes), when ctx_in was given.
    pub ctx_out: Option<Buffer>,
    /// bpf_redirect's target and flags, when the last run called it.
    pub redirect_ifindex: Option<u32>,
    pub redirect_flags: Option<f64>,
    pub insns: f64,
    pub trace: Vec<String>,
}

/// BPF_PROG_TEST_RUN of a tc or socket-filter program (`ctx`: `struct __sk_buff` bytes).
#[napi]
pub fn bpf_test_run_skb(
    env: Env,
    h: &BpfHandle,
    prog: String,
    data: &[u8],
    ctx: Option<&[u8]>,
    repeat: Option<u32>,
    host: Option<&super::hostnet::HostNetHandle>,
    netns: Option<u32>,
) -> Result<BpfSkbRunResult> {
    const OP: &str = "bpf_prog_test_run";
    guard(OP, || {
        let st = h.try_borrow().map_err(|_| err(Errno::EBUSY, OP, "the object is in use"))?;
        let program = program_of_state(&st, &prog, OP)?;
        let ctx = ctx.map(SkBuff::from_bytes).transpose()?;
        let opts = SkbRunOptions { ctx, repeat: repeat.unwrap_or(1), host: super::hostnet::host_ref(host, netns), ..Default::default() };
        let out = with_env(&env, || test_run_skb(&program, data, &opts))?;
        Ok(BpfSkbRunResult {
            retval: out.retval,
            data_out: out.data_out.into(),
            duration_ns: out.duration_ns as f64,
            runs: out.runs as f64,
            ctx_out: out.ctx_out.map(|c| c.0.to_vec().into()),
            redirect_ifindex: out.redirect.map(|r| r.0),
            redirect_flags: out.redirect.map(|r| r.1 as f64),
            insns: out.insns as f64,
            trace: out.trace,
        })
    })
}

type TestRunHandle = External<RefCell<Option<TestRun>>>;

/// A test_run whose repeat loop is run in parts ([`bpf_test_run_step`]): the buffer and the
/// program's machine are kept between them, so the parts make one kernel-style loop.
#[napi]
pub fn bpf_test_run_start(
    h: &BpfHandle,
    prog: String,
    data: &[u8],
    ctx: Option<&[u8]>,
    host: Option<&super::hostnet::HostNetHandle>,
    netns: Option<u32>,
) -> Result<TestRunHandle> {
    const OP: &str = "bpf_prog_test_run";
    guard(OP, || {
        let st = h.try_borrow().map_err(|_| err(Errno::EBUSY, OP, "the object is in use"))?;
        let program = program_of_state(&st, &prog, OP)?;
        let opts = TestRunOptions { ctx: md_of(ctx)?, host: super::hostnet::host_ref(host, netns), ..Default::default() };
        Ok(External::new(RefCell::new(Some(TestRun::new(&program, &st.pool, data, &opts)?))))
    })
}

/// Up to `n` more runs, for about `slice_ms` (the clock is looked at between slices of runs);
/// returns the runs made. A fault ends the test_run (the handle is then spent).
#[napi]
pub fn bpf_test_run_step(env: Env, run: &TestRunHandle, n: f64, slice_ms: f64) -> Result<f64> {
    const OP: &str = "bpf_prog_test_run";
    guard(OP, || {
        let mut slot = run.try_borrow_mut().map_err(|_| err(Errno::EBUSY, OP, "the test run is in use"))?;
        let t = slot.as_mut().ok_or_else(|| err(Errno::EINVAL, OP, "the test run has ended"))?;
        let until = Duration::try_from_secs_f64(slice_ms.max(0.0) / 1000.0).ok().and_then(|d| Instant::now().checked_add(d));
        let n = if n.is_finite() && n > 0.0 { n as u64 } else { 0 };
        match with_env(&env, || t.run(n, until, None)) {
            Ok(done) => Ok(done as f64),
            Err(e) => {
                *slot = None;
                Err(e.into())
            }
        }
    })
}

/// Ends a test_run: its results (None: only drops it, pages back to the pool).
#[napi]
pub fn bpf_test_run_finish(run: &TestRunHandle, results: bool) -> Result<Option<BpfRunResult>> {
    const OP: &str = "bpf_prog_test_run";
    guard(OP, || {
        let t = run.try_borrow_mut().map_err(|_| err(Errno::EBUSY, OP, "the test run is in use"))?.take();
        match (t, results) {
            (Some(t), true) => Ok(Some(run_result(t.finish()))),
            (None, true) => Err(err(Errno::EINVAL, OP, "the test run has ended")),
            (_, false) => Ok(None),
        }
    })
}

fn program_of_state(st: &BpfState, prog: &str, op: &'static str) -> Result<Rc<crate::bpf::Prog>> {
    let p = st.loaded.program(prog).ok_or_else(|| err(Errno::ENOENT, op, format!("no program '{prog}'")))?;
    p.prog.clone().ok_or_else(|| err(Errno::EINVAL, op, format!("program '{prog}' is not loaded")))
}

fn map_of(st: &BpfState, name: &str, op: &'static str) -> Result<Rc<Map>> {
    st.loaded.map(name).cloned().ok_or_else(|| err(Errno::ENOENT, op, format!("no map '{name}'")))
}

fn engine<T>(r: crate::errno::Result<T>) -> Result<T> {
    r.map_err(|e: XdpError| e.into())
}

#[napi]
pub fn bpf_map_lookup(h: &BpfHandle, map: String, key: &[u8]) -> Result<Option<Buffer>> {
    const OP: &str = "bpf_map_lookup_elem";
    guard(OP, || {
        let m = map_of(&h.borrow(), &map, OP)?;
        let mut out = Vec::new();
        match m.lookup_user(key, &mut out) {
            Ok(()) => Ok(Some(out.into())),
            Err(e) if e.errno == Errno::ENOENT => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
}

#[napi]
pub fn bpf_map_update(h: &BpfHandle, map: String, key: &[u8], value: &[u8], flags: Option<u32>) -> Result<()> {
    const OP: &str = "bpf_map_update_elem";
    guard(OP, || {
        let m = map_of(&h.borrow(), &map, OP)?;
        engine(m.update_user(key, value, u64::from(flags.unwrap_or(0))))
    })
}

/// A sockmap or sockhash update with a socket of the host model (the kernel takes its fd).
#[napi]
pub fn bpf_map_update_socket(h: &BpfHandle, map: String, key: &[u8], host: &super::hostnet::HostNetHandle, socket: f64, flags: Option<u32>) -> Result<()> {
    const OP: &str = "bpf_map_update_elem";
    guard(OP, || {
        let m = map_of(&h.borrow(), &map, OP)?;
        engine(m.sock_update(key, host, socket as u64, u64::from(flags.unwrap_or(0)), OP))
    })
}

/// An sk_storage map's value on a socket of the host model (the kernel's key is the socket's fd).
#[napi]
pub fn bpf_map_socket_storage(h: &BpfHandle, map: String, host: &super::hostnet::HostNetHandle, socket: f64) -> Result<Option<Buffer>> {
    const OP: &str = "bpf_map_lookup_elem";
    guard(OP, || {
        let m = map_of(&h.borrow(), &map, OP)?;
        match m.sk_storage_lookup(host, socket as u64) {
            Ok(v) => Ok(Some(v.into())),
            Err(e) if e.errno == Errno::ENOENT => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
}

#[napi]
pub fn bpf_map_set_socket_storage(h: &BpfHandle, map: String, host: &super::hostnet::HostNetHandle, socket: f64, value: &[u8], flags: Option<u32>) -> Result<()> {
    const OP: &str = "bpf_map_update_elem";
    guard(OP, || {
        let m = map_of(&h.borrow(), &map, OP)?;
        engine(m.sk_storage_update(host, socket as u64, value, u64::from(flags.unwrap_or(0))))
    })
}

#[napi]
pub fn bpf_map_delete_socket_storage(h: &BpfHandle, map: String, host: &super::hostnet::HostNetHandle, socket: f64) -> Result<()> {
    const OP: &str = "bpf_map_delete_elem";
    guard(OP, || {
        let m = map_of(&h.borrow(), &map, OP)?;
        engine(m.sk_storage_delete(host, socket as u64))
    })
}

#[napi]
pub fn bpf_map_delete(h: &BpfHandle, map: String, key: &[u8]) -> Result<()> {
    const OP: &str = "bpf_map_delete_elem";
    guard(OP, || {
        let m = map_of(&h.borrow(), &map, OP)?;
        engine(m.delete_user(key))
    })
}

#[napi]
pub fn bpf_map_keys(h: &BpfHandle, map: String) -> Result<Vec<Buffer>> {
    const OP: &str = "bpf_map_get_next_key";
    guard(OP, || {
        let m = map_of(&h.borrow(), &map, OP)?;
        Ok(m.keys().into_iter().map(Buffer::from).collect())
    })
}

/// Consumes every record of a ring-buffer map, in order.
#[napi]
pub fn bpf_map_records(h: &BpfHandle, map: String) -> Result<Vec<Buffer>> {
    const OP: &str = "ring_buffer__consume";
    guard(OP, || {
        let m = map_of(&h.borrow(), &map, OP)?;
        let mut rb = m.ringbuf().ok_or_else(|| err(Errno::EINVAL, OP, format!("map '{map}' is not a ring buffer")))?;
        let mut out = Vec::new();
        rb.consume(|r| {
            out.push(Buffer::from(r.to_vec()));
            0
        });
        Ok(out)
    })
}

/// Takes the samples written to a perf event array map.
#[napi]
pub fn bpf_map_samples(h: &BpfHandle, map: String) -> Result<Vec<Buffer>> {
    const OP: &str = "perf_buffer__consume";
    guard(OP, || {
        let m = map_of(&h.borrow(), &map, OP)?;
        Ok(m.drain_samples().into_iter().map(|(_, b)| Buffer::from(b)).collect())
    })
}

/// Puts a program of the object into a prog-array slot (None empties it).
#[napi]
pub fn bpf_map_set_prog(h: &BpfHandle, map: String, index: u32, prog: Option<String>) -> Result<()> {
    const OP: &str = "bpf_map_update_elem";
    guard(OP, || {
        let st = h.borrow();
        let m = map_of(&st, &map, OP)?;
        let p = match prog {
            Some(name) => Some(
                st.loaded
                    .program(&name)
                    .and_then(|p| p.prog.clone())
                    .ok_or_else(|| err(Errno::EINVAL, OP, format!("program '{name}' is not loaded")))?,
            ),
            None => None,
        };
        engine(m.set_prog(index, p))
    })
}

pub(crate) fn program_of(h: &BpfHandle, name: &str, op: &'static str) -> Result<Rc<crate::bpf::Prog>> {
    program_of_state(&h.borrow(), name, op)
}

pub(crate) fn map_handle_of(h: &BpfHandle, name: &str, op: &'static str) -> Result<Rc<Map>> {
    map_of(&h.borrow(), name, op)
}

#[napi(object)]
pub struct RawRunResult {
    /// r0, when the program ran to its exit.
    pub r0: Option<BigInt>,
    /// Why it did not: the bare message (what a vector's expected error is compared with) and the
    /// message with where it happened.
    pub error: Option<String>,
    pub detail: Option<String>,
}

/// Validates and runs instruction bytes bare, as bpf_conformance runs a plugin (see
/// [`crate::bpf::raw`]): the engine's side of `uxdp conformance`, whose vector runner is the CLI's.
#[napi]
pub fn bpf_run_raw(bytes: &[u8], mem: Option<&[u8]>) -> Result<RawRunResult> {
    const OP: &str = "bpf_run_raw";
    guard(OP, || {
        let insns = crate::bpf::insn::decode(bytes)
            .map_err(|n| err(Errno::EINVAL, OP, format!("{n} bytes is not a whole number of instructions")))?;
        Ok(match crate::bpf::raw::execute(insns, mem) {
            Ok(r0) => RawRunResult { r0: Some(BigInt::from(r0)), error: None, detail: None },
            Err(f) => RawRunResult { r0: None, error: Some(f.message), detail: Some(f.detail) },
        })
    })
}

/// Assembles the bpf_conformance/uBPF text dialect into instruction bytes.
#[napi]
pub fn bpf_assemble(text: String) -> Result<Buffer> {
    guard("bpf_assemble", || {
        let insns = crate::bpf::asm::assemble(&text).map_err(|e| err(Errno::EINVAL, "bpf_assemble", e.to_string()))?;
        Ok(crate::bpf::insn::encode(&insns).into())
    })
}

/// Disassembles instruction bytes: the uBPF dialect, or the kernel verifier log's style.
#[napi]
pub fn bpf_disassemble(bytes: &[u8], kernel: bool) -> Result<String> {
    guard("bpf_disassemble", || {
        let insns = crate::bpf::insn::decode(bytes)
            .map_err(|n| err(Errno::EINVAL, "bpf_disassemble", format!("{n} bytes is not a whole number of instructions")))?;
        Ok(if kernel { crate::bpf::disasm::kernel_listing(&insns, &|_| None) } else { crate::bpf::disasm::disassemble(&insns) })
    })
}

/// A program's instructions as the object holds them (before loading), as `bpftool prog dump`
/// lists them, kfunc calls named after their externs.
#[napi]
pub fn bpf_prog_listing(h: &BpfHandle, prog: String) -> Result<String> {
    const OP: &str = "bpf_prog_dump";
    guard(OP, || {
        let st = h.borrow();
        let p = st.loaded.program(&prog).ok_or_else(|| err(Errno::ENOENT, OP, format!("no program '{prog}'")))?;
        let externs = &st.loaded.object.externs;
        let out = crate::bpf::disasm::kernel_listing(&p.spec.insns, &|i| {
            usize::try_from(i).ok().and_then(|i| externs.get(i)).map(|e| e.name.clone())
        });
        Ok(out)
    })
}

/// A struct_ops-like program's run: r0 and the context afterwards.
#[napi(object)]
pub struct StructOpsRun {
    pub retval: BigInt,
    pub ctx_out: Buffer,
}

/// Runs a loaded struct_ops-like program on a context.
#[napi]
pub fn bpf_struct_ops_run(env: Env, h: &BpfHandle, prog: String, ctx: &[u8]) -> Result<StructOpsRun> {
    const OP: &str = "struct_ops_run";
    guard(OP, || {
        let p = program_of(h, &prog, OP)?;
        let mut buf = ctx.to_vec();
        let r0 = with_env(&env, || crate::bpf::struct_ops::run(p, &mut buf))?;
        Ok(StructOpsRun { retval: BigInt::from(r0), ctx_out: buf.into() })
    })
}

/// A feature a loaded XDP program needs (see `crate::bpf::needs`).
#[napi(object)]
pub struct XdpNeedInfo {
    /// `ynl`'s name of the feature: `redirect`, `ndo-xmit`, `rx-sg`, `hash`, ...
    pub feature: String,
    /// "xdp" (`netdev_xdp_act`) or "rx-metadata" (`netdev_xdp_rx_metadata`).
    pub kind: String,
    /// "device" (the one it is attached to), "map" (the devices of a devmap's entries), "ifindex".
    pub on: String,
    pub map: Option<String>,
    pub ifindex: Option<u32>,
    pub pc: u32,
    pub why: String,
}

/// What the verifier saw a loaded program do.
#[napi(object)]
pub struct ProgramInspect {
    /// Whether it was loaded through the verifier (without it nothing is known).
    pub verified: bool,
    /// The XDP actions its exits may return.
    pub actions: Vec<String>,
    pub needs: Vec<XdpNeedInfo>,
    /// The lifecycle policy's warnings at load (calls of deprecated and deprecating functions).
    pub warnings: Vec<String>,
}

#[napi]
pub fn bpf_prog_inspect(h: &BpfHandle, prog: String) -> Result<ProgramInspect> {
    const OP: &str = "bpf_prog_inspect";
    guard(OP, || {
        use crate::bpf::needs::{Feature, On};
        let p = program_of(h, &prog, OP)?;
        let actions = match (&p.facts, p.kind) {
            (Some(f), crate::bpf::elf::ProgKind::Xdp) => crate::bpf::needs::actions(f).iter().map(|a| a.name().to_string()).collect(),
            _ => Vec::new(),
        };
        let needs = p
            .xdp_needs()
            .into_iter()
            .map(|n| XdpNeedInfo {
                feature: n.feature.name().to_string(),
                kind: match n.feature {
                    Feature::Xdp(_) => "xdp",
                    Feature::RxMetadata(_) => "rx-metadata",
                }
                .to_string(),
                on: match n.on {
                    On::Device => "device",
                    On::MapTargets(_) => "map",
                    On::Ifindex(_) => "ifindex",
                }
                .to_string(),
                map: match n.on {
                    On::MapTargets(m) => p.maps.get(m as usize).map(|m| m.name().to_string()),
                    _ => None,
                },
                ifindex: match n.on {
                    On::Ifindex(i) => Some(i),
                    _ => None,
                },
                pc: n.pc as u32,
                why: n.why,
            })
            .collect();
        let warnings = h.borrow().loaded.program(&prog).map(|l| l.warnings.clone()).unwrap_or_default();
        Ok(ProgramInspect { verified: p.facts.is_some(), actions, needs, warnings })
    })
}

/// Opens and loads an object and reports, as `bpftool prog load` would, whether it was
/// accepted: (accepted, errno name, message, instruction count of the checked programs).
#[napi(object)]
pub struct LoadReport {
    pub accepted: bool,
    pub code: String,
    pub message: String,
    pub log: String,
    pub insns: u32,
    /// The lifecycle policy's warnings, per loaded program (`prog 'NAME': ...`).
    pub warnings: Vec<String>,
}

#[napi]
pub fn bpf_object_check(bytes: &[u8], options: Option<BpfLoadOptions>) -> Result<LoadReport> {
    guard("bpf_prog_load", || {
        let o = options.unwrap_or_else(no_options);
        let object = match parse_with(bytes, o.prog.as_deref(), o.prog_type) {
            Ok(obj) => obj,
            Err(e) => {
                return Ok(LoadReport {
                    accepted: false,
                    code: e.errno.name().into(),
                    message: e.message.clone(),
                    log: format!("{}\n", e.message),
                    insns: 0,
                    warnings: Vec::new(),
                })
            }
        };
        let mut opts = o.engine(Vec::new())?;
        // bpftool shows the verifier's log: at level 1 (libbpf's retry) at least.
        opts.log_level = opts.log_level.max(1);
        // The log lists each checked program's instructions in the verifier's style, as
        // `bpftool -d prog load` shows them, then the count line.
        let listing = |spec: &crate::bpf::elf::ProgramSpec, upto: Option<usize>| {
            let externs = &object.externs;
            let text = crate::bpf::disasm::kernel_listing(&spec.insns, &|i| {
                usize::try_from(i).ok().and_then(|i| externs.get(i)).map(|e| e.name.clone())
            });
            let mut out = format!("prog '{}' (section {}):\n", spec.name, spec.section);
            for line in text.lines() {
                let pc: Option<usize> = line.split(':').next().and_then(|n| n.trim().parse().ok());
                if upto.is_some_and(|u| pc.is_some_and(|pc| pc > u)) {
                    break;
                }
                out.push_str(line);
                out.push('\n');
            }
            out
        };
        let object_copy = object.clone();
        match loader::load(object_copy, &opts) {
            Ok(l) => {
                let loaded: Vec<_> = l.programs.iter().filter(|p| p.prog.is_some()).collect();
                let mut log = String::new();
                let mut insns: u64 = 0;
                for p in &loaded {
                    match &p.verdict {
                        Some(v) => {
                            insns += v.stats.processed;
                            if loaded.len() > 1 {
                                log.push_str(&format!("prog '{}' (section {}):\n", p.spec.name, p.spec.section));
                            }
                            log.push_str(&v.log);
                        }
                        None => {
                            insns += p.spec.insns.len() as u64;
                            log.push_str(&listing(&p.spec, None));
                        }
                    }
                }
                if loaded.iter().any(|p| p.verdict.is_none()) {
                    log.push_str(&format!("processed {insns} insns (structural checks only: loaded without the verifier)\n"));
                }
                let warnings = loaded.iter().flat_map(|p| p.warnings.iter().map(|w| format!("prog '{}': {w}", p.spec.name))).collect();
                Ok(LoadReport {
                    accepted: true,
                    code: String::new(),
                    message: String::new(),
                    log,
                    insns: insns.min(u32::MAX as u64) as u32,
                    warnings,
                })
            }
            Err(e) => {
                // The verifier's refusals come with its log (the path to the error, the error
                // line, the stats). The structural checks' point at an instruction: the listing
                // runs up to it. Those before both (libbpf's: CO-RE, section type, maps) have no
                // pc and no listing, as bpftool prints only libbpf's lines for them.
                let verified = e.log.lines().any(|l| l.starts_with("processed ") && l.contains(" insns (limit "));
                let log = if verified {
                    e.log.clone()
                } else {
                    let spec = object.programs.iter().find(|p| p.name == e.program).filter(|_| e.pc.is_some());
                    let mut log = spec.map(|s| listing(s, e.pc)).unwrap_or_default();
                    log.push_str(&e.log);
                    log
                };
                // The verifier's count is its log's statistics line.
                let insns = e.log.lines().find_map(|l| l.strip_prefix("processed ")?.split(' ').next()?.parse().ok()).unwrap_or(0);
                Ok(LoadReport { accepted: false, code: e.errno.name().into(), message: e.message.clone(), log, insns, warnings: Vec::new() })
            }
        }
    })
}

/// The map types the engine emulates, as bpftool names them (`MapType`, crate/src/bpf/mapdef.rs).
#[napi]
pub fn bpf_map_types() -> Vec<super::NamedValue> {
    crate::bpf::mapdef::MapType::ALL.iter().map(|t| super::NamedValue { name: t.name().into(), value: t.uapi() }).collect()
}

/// BPF-allocated objects (bpf_obj_new, bpf_percpu_obj_new) alive on this thread: held by a map's
/// kptrs, lists or trees, or by nothing yet freed. Every one goes back when what holds it goes.
#[napi]
pub fn bpf_allocated_objects() -> u32 {
    crate::bpf::graph::alloc::live_objects() as u32
}

/// References programs hold on kernel objects (bpf_cgroup_from_id and the like), stashed in map
/// kptrs included: each goes back with bpf_cgroup_release or the destructor of the field holding it.
#[napi]
pub fn bpf_kernel_object_references() -> u32 {
    crate::bpf::graph::kernel_obj::held_references() as u32
}
