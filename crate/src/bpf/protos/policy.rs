//! The decision a load makes about a program's calls, as libbpf and the 6.18 verifier make it,
//! in their words. Fail closed: a program type whose sets are not established gets no helper
//! and no kfunc.

use super::helpers::{helper, Cap, LAST_HELPER_ID};
use super::kfuncs::{self, KF_SLEEPABLE};
use super::lifecycle::{self, Called, Lifecycle, LifecyclePolicy};
use super::ProgTypes;
use crate::errno::Errno;

/// The licence strings the kernel counts as GPL-compatible (`license_is_gpl_compatible`).
pub const GPL_COMPATIBLE_LICENSES: &[&str] =
    &["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"];

/// Compared exactly, up to the first NUL as the kernel reads the string.
pub fn license_is_gpl_compatible(license: &str) -> bool {
    let license = license.split('\0').next().unwrap_or("");
    GPL_COMPATIBLE_LICENSES.contains(&license)
}

/// Capabilities the loader holds; `bpf_base_func_proto` withholds some helpers without them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// CAP_BPF (or CAP_SYS_ADMIN).
    pub bpf: bool,
    /// CAP_PERFMON (or CAP_SYS_ADMIN).
    pub perfmon: bool,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps { bpf: true, perfmon: true }
    }
}

impl Caps {
    pub fn allow(self, cap: Option<Cap>) -> bool {
        match cap {
            Some(Cap::Bpf) => self.bpf,
            Some(Cap::Perfmon) => self.perfmon,
            None => true,
        }
    }
}

/// A kfunc the embedder implements, as the policy sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserKfunc {
    pub name: String,
    /// `KF_*` flags (KF_SLEEPABLE matters here).
    pub flags: u32,
    /// None: every established program type.
    pub prog_types: Option<ProgTypes>,
    /// Its tier and release as declared (None: unstable, no release: a module's).
    pub lifecycle: Option<Lifecycle>,
}

/// What a program's calls are checked against.
#[derive(Clone, Debug, Default)]
pub struct CallPolicy {
    /// uapi `enum bpf_prog_type`.
    pub prog_type: u32,
    /// The program's licence section.
    pub license: String,
    /// Offer the seed's convenience kfuncs (uxdp extensions, not in the kernel).
    pub seed: bool,
    /// Loaded device-bound (BPF_F_XDP_DEV_BOUND_ONLY).
    pub dev_bound: bool,
    /// Loaded sleepable (BPF_F_SLEEPABLE; never for XDP).
    pub sleepable: bool,
    pub caps: Caps,
    pub user_kfuncs: Vec<UserKfunc>,
    /// Beyond the kernel: the target release and the tiers allowed.
    pub lifecycle: LifecyclePolicy,
    /// The `seed-helpers` profile: the seed's proposed helper ids 214..=221 are callable.
    pub seed_helpers: bool,
    /// A struct_ops-like type the embedder declared: the base helpers are callable.
    pub declared_struct_ops: bool,
    /// The verifier walks the program: the refusals the kernel makes at a call during its walk
    /// (step 3 of [`CallPolicy::check`]) are left to it, which makes them where a path reaches
    /// the call, after what the path refuses before it, with the path in the log.
    pub walked: bool,
}

/// One call site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Site {
    Helper {
        id: i64,
        pc: Option<usize>,
    },
    /// A kfunc extern; a weak one no BTF has resolves to 0 and passes.
    Kfunc {
        name: String,
        pc: Option<usize>,
        weak: bool,
    },
}

impl Site {
    fn pc(&self) -> Option<usize> {
        match self {
            Site::Helper { pc, .. } | Site::Kfunc { pc, .. } => *pc,
        }
    }
}

/// A refusal: the verifier's log line (or libbpf's warning), the call's pc, the load's errno.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub errno: Errno,
    pub pc: Option<usize>,
}

fn refuse(message: String, errno: Errno, site: &Site) -> Refusal {
    Refusal { message, errno, pc: site.pc() }
}

/// The verifier's words for a helper id it does not know.
pub fn unknown_helper(id: i64) -> String {
    format!("invalid func unknown#{id}")
}

/// The verifier's words for a helper the program type (or the loader's capabilities) does not get.
pub fn helper_not_allowed(name: &str, id: i64) -> String {
    format!("program of this type cannot use helper {name}#{id}")
}

/// libbpf's words for a kfunc extern no BTF has.
pub fn kfunc_not_found(name: &str) -> String {
    format!("extern (func ksym) '{name}': not found in kernel or module BTFs")
}

/// The verifier's words for a kfunc the program type does not get.
pub fn kfunc_not_allowed(name: &str) -> String {
    format!("calling kernel function {name} is not allowed")
}

pub const GPL_HELPER_REFUSAL: &str = "cannot call GPL-restricted function from non-GPL compatible program";
pub const GPL_KFUNC_REFUSAL: &str = "cannot call kernel function from non-GPL compatible program";
pub const DEV_BOUND_REFUSAL: &str = "metadata kfuncs require device-bound program";
pub const HELPER_SLEEPS_REFUSAL: &str = "helper call might sleep in a non-sleepable prog";

/// Whether the program type (and capabilities) get this helper by the prototype alone.
pub fn helper_allowed(id: i64, prog_type: u32, caps: Caps) -> bool {
    helper(id).is_some_and(|h| h.prog_types & super::prog_type_bit(prog_type) != 0 && caps.allow(h.cap))
}

impl CallPolicy {
    fn user(&self, name: &str) -> Option<&UserKfunc> {
        self.user_kfuncs.iter().find(|u| u.name == name)
    }

    /// Whether the name resolves at all: a kernel kfunc, the seed's when offered, or a user's.
    pub fn resolves(&self, name: &str) -> bool {
        kfuncs::kernel_kfunc(name).is_some() || (self.seed && kfuncs::kfunc(name, true).is_some()) || self.user(name).is_some()
    }

    /// The program types and sleepability of a resolved kfunc: a kernel name is the kernel's
    /// kfunc (or, offered, the seed's version of it), never a user's.
    fn kfunc_facts(&self, name: &str) -> (Option<ProgTypes>, bool) {
        if let Some(types) = kfuncs::kernel_kfunc(name) {
            let sleeps = match self.seed.then(|| kfuncs::seed_kfuncs().iter().find(|k| k.name == name)).flatten() {
                Some(k) => k.flags & KF_SLEEPABLE != 0,
                None => kfuncs::kernel_kfunc_sleeps(name),
            };
            return (types, sleeps);
        }
        if let Some(k) = self.seed.then(|| kfuncs::seed_kfuncs().iter().find(|k| k.name == name)).flatten() {
            return (k.prog_types, k.flags & KF_SLEEPABLE != 0);
        }
        match self.user(name) {
            Some(u) => (u.prog_types, u.flags & KF_SLEEPABLE != 0),
            None => (Some(0), false),
        }
    }

    /// Whether a program of this policy may call the kfunc (it resolves and its program types
    /// include this one).
    pub fn kfunc_allowed(&self, name: &str) -> bool {
        self.resolves(name) && kfuncs::allowed(self.kfunc_facts(name).0, self.prog_type)
    }

    /// The lifecycle policy's verdict on the calls (after [`CallPolicy::check`] passed them):
    /// what the target release lacks, tiers not allowed, warnings for deprecated functions.
    pub fn lifecycle_check(&self, sites: &[Site]) -> lifecycle::Verdict {
        let mut calls = Vec::new();
        for s in sites {
            match s {
                Site::Helper { id, pc } => {
                    if let Some(k) = kfuncs::seed_helper(*id).filter(|_| self.seed_helpers) {
                        calls.push(Called { what: format!("{}#{id}", k.name), kfunc: false, name: k.name, pc: *pc, lifecycle: lifecycle::SEED, user: false });
                        continue;
                    }
                    let (Some(l), Some(h)) = (lifecycle::helper(*id), helper(*id)) else { continue };
                    calls.push(Called { what: format!("{}#{id}", h.name), kfunc: false, name: h.name, pc: *pc, lifecycle: l, user: false });
                }
                Site::Kfunc { name, pc, .. } => {
                    let seed_version = self.seed && kfuncs::seed_kfuncs().iter().any(|k| k.name == name);
                    let (l, user) = if seed_version {
                        (lifecycle::SEED, false)
                    } else if let Some(l) = lifecycle::kernel_kfunc(name) {
                        (l, false)
                    } else if let Some(u) = self.user(name) {
                        (u.lifecycle.clone().unwrap_or_else(|| Lifecycle::declared(None, None, None)), true)
                    } else {
                        continue;
                    };
                    calls.push(Called { what: name.clone(), kfunc: true, name, pc: *pc, lifecycle: l, user });
                }
            }
        }
        self.lifecycle.check(&calls)
    }

    /// Checks the calls as libbpf and the verifier would, returning the first refusal:
    ///
    /// 1. libbpf, resolving kfunc externs: a name no kernel, seed (if offered) or user kfunc has;
    /// 2. the verifier's pass over kfunc calls before it runs the program: a non-GPL-compatible
    ///    licence, then a metadata kfunc outside a device-bound program;
    /// 3. the verifier's walk, in pc order (sites without a pc last, as listed): an unknown
    ///    helper id, a helper the program type (or missing capability) does not get, a GPL-only
    ///    helper from a non-GPL program, a late refusal, a sleeping helper in a non-sleepable
    ///    program, a kfunc the program type does not get, a sleepable kfunc in a non-sleepable
    ///    program. When the program is [`walked`](CallPolicy::walked), the verifier makes these.
    pub fn check(&self, sites: &[Site]) -> Result<(), Refusal> {
        let gpl = license_is_gpl_compatible(&self.license);
        let mut order: Vec<&Site> = sites.iter().collect();
        order.sort_by_key(|s| s.pc().unwrap_or(usize::MAX));

        let kfunc_sites = sites.iter().filter_map(|s| match s {
            Site::Kfunc { name, weak, .. } => Some((s, name.as_str(), *weak)),
            Site::Helper { .. } => None,
        });
        if let Some((s, name, _)) = kfunc_sites.clone().find(|&(_, n, weak)| !weak && !self.resolves(n)) {
            return Err(refuse(kfunc_not_found(name), Errno::EINVAL, s));
        }
        let resolved = |s: &Site| matches!(s, Site::Kfunc { name, .. } if self.resolves(name));

        for s in order.iter().filter(|s| resolved(s)) {
            let Site::Kfunc { name, .. } = s else { continue };
            if !gpl {
                return Err(refuse(GPL_KFUNC_REFUSAL.into(), Errno::EINVAL, s));
            }
            if kfuncs::kernel_kfuncs().iter().any(|k| k.name == name && k.dev_bound) && !self.dev_bound {
                return Err(refuse(DEV_BOUND_REFUSAL.into(), Errno::EINVAL, s));
            }
        }

        if self.walked {
            return Ok(());
        }
        for s in order.iter().filter(|s| matches!(s, Site::Helper { .. }) || resolved(s)) {
            match s {
                Site::Helper { id, .. } => {
                    let id = *id;
                    if self.seed_helpers && kfuncs::seed_helper(id).is_some() {
                        continue;
                    }
                    if id < 0 || id > i64::from(LAST_HELPER_ID) {
                        return Err(refuse(unknown_helper(id), Errno::EINVAL, s));
                    }
                    let h = helper(id).expect("ids up to the last helper are in the table");
                    let late = h.late_refusal(self.prog_type);
                    let declared = self.declared_struct_ops && super::helpers::base_helper(id);
                    let by_type = h.prog_types & super::prog_type_bit(self.prog_type) != 0 || late.is_some() || declared;
                    if !by_type || !self.caps.allow(h.cap) {
                        return Err(refuse(helper_not_allowed(h.name, id), Errno::EINVAL, s));
                    }
                    if !gpl && h.gpl_only_for(self.prog_type) {
                        return Err(refuse(GPL_HELPER_REFUSAL.into(), Errno::EINVAL, s));
                    }
                    if let Some(late) = late {
                        let (message, errno) = late.refusal(h.id, self.prog_type);
                        return Err(refuse(message, errno, s));
                    }
                    if h.proto.is_some_and(|p| p.might_sleep) && !self.sleepable {
                        return Err(refuse(HELPER_SLEEPS_REFUSAL.into(), Errno::EINVAL, s));
                    }
                }
                Site::Kfunc { name, .. } => {
                    let (types, sleeps) = self.kfunc_facts(name);
                    if !kfuncs::allowed(types, self.prog_type) {
                        return Err(refuse(kfunc_not_allowed(name), Errno::EACCES, s));
                    }
                    if sleeps && !self.sleepable {
                        return Err(refuse(format!("program must be sleepable to call sleepable kfunc {name}"), Errno::EACCES, s));
                    }
                }
            }
        }
        Ok(())
    }
}
