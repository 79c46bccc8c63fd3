//! The prototype table (`bpf::protos`) for the TypeScript policy, as plain objects: the facade
//! keeps no table of its own. Program types cross as uapi numbers.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::{guard, NamedValue};
use crate::bpf::elf::PROG_KINDS;
use crate::bpf::protos::helpers::{helpers, PROTO_PROG_TYPES};
use crate::bpf::protos::kfuncs::{self, Kfunc, Origin};
use crate::bpf::protos::policy::{self, CallPolicy, Caps, Site, UserKfunc};
use crate::bpf::protos::lifecycle::{parse_version, Lifecycle, LifecyclePolicy, Tier};
use crate::bpf::protos::{self as protos, prog_type_ids};
use crate::errno::{Errno, XdpError};

#[napi(object)]
pub struct TypeAlias {
    pub name: String,
    pub parts: Vec<String>,
}

#[napi(object)]
pub struct HelperProto {
    pub id: u32,
    pub name: String,
    pub prog_types: Vec<u32>,
    pub gpl_only: Option<bool>,
    pub gpl_only_except: Option<Vec<u32>>,
    /// "CAP_BPF" or "CAP_PERFMON".
    pub cap: Option<String>,
    pub changes_pkt_data: bool,
    /// The prototype, where the table has it.
    pub ret: Option<String>,
    pub args: Option<Vec<String>>,
    pub might_sleep: Option<bool>,
    /// The prototype each program type with a table (XDP, socket filter, SCHED_CLS, SCHED_ACT)
    /// gets, for those that may call the helper; `ret`/`args`/`mightSleep` above are XDP's.
    pub by_prog_type: Vec<ProgTypeProto>,
    pub lifecycle: LifecycleInfo,
}

/// One program type's prototype of a helper.
#[napi(object)]
pub struct ProgTypeProto {
    pub prog_type: u32,
    pub ret: String,
    pub args: Vec<String>,
    pub might_sleep: bool,
    /// `argN_size` per argument (0-based, as long as `args`): 0 where the argument is not
    /// `ARG_PTR_TO_FIXED_SIZE_MEM`.
    pub fixed_size: Vec<u32>,
}

#[napi(object)]
pub struct KfuncArgProto {
    pub name: String,
    #[napi(js_name = "type")]
    pub ty: String,
    pub annotation: Option<String>,
}

#[napi(object)]
pub struct KfuncProto {
    pub name: String,
    pub flags: u32,
    pub args: Vec<KfuncArgProto>,
    pub ret: String,
    /// Absent: every established program type.
    pub prog_types: Option<Vec<u32>>,
    /// "kernel" or "seed".
    pub origin: String,
    /// Derived from the dynptr engine's table.
    pub dynptr: bool,
    pub since: Option<String>,
    pub dev_bound: bool,
}

#[napi(object)]
pub struct KernelKfuncName {
    pub name: String,
    pub prog_types: Option<Vec<u32>>,
    pub sleepable: bool,
    pub lifecycle: LifecycleInfo,
}

#[napi(object)]
pub struct ProtoTable {
    pub helpers: Vec<HelperProto>,
    pub kfuncs: Vec<KfuncProto>,
    pub seed_kfuncs: Vec<KfuncProto>,
    /// Every kernel kfunc name, described or not.
    pub kernel_kfuncs: Vec<KernelKfuncName>,
    /// Every program type (bpftool's name, uapi number), unspec excluded.
    pub prog_types: Vec<NamedValue>,
    pub established_prog_types: Vec<u32>,
    pub arg_types: Vec<NamedValue>,
    pub ret_types: Vec<NamedValue>,
    pub type_flags: Vec<NamedValue>,
    pub type_aliases: Vec<TypeAlias>,
    pub kf_flags: Vec<NamedValue>,
    pub kfunc_annotations: Vec<String>,
    pub gpl_compatible_licenses: Vec<String>,
}

fn named(t: &[(&str, u32)]) -> Vec<NamedValue> {
    t.iter().map(|&(name, value)| NamedValue { name: name.into(), value }).collect()
}

fn kfunc_proto(k: &Kfunc) -> KfuncProto {
    KfuncProto {
        name: k.name.into(),
        flags: k.flags,
        args: k
            .args
            .iter()
            .map(|a| KfuncArgProto { name: a.name.clone(), ty: a.ty.into(), annotation: a.annotation.map(Into::into) })
            .collect(),
        ret: k.ret.into(),
        prog_types: k.prog_types.map(prog_type_ids),
        origin: if k.origin == Origin::Seed { "seed" } else { "kernel" }.into(),
        dynptr: k.dynptr,
        since: k.since.map(Into::into),
        dev_bound: k.dev_bound,
    }
}

/// Where a function stands (see `crate::bpf::protos::lifecycle`).
#[napi(object)]
pub struct LifecycleInfo {
    pub since: Option<String>,
    pub tier: String,
    pub replacement: Option<String>,
    pub deprecated_in: Option<String>,
    pub test_only: bool,
}

fn lifecycle_info(l: Lifecycle) -> LifecycleInfo {
    LifecycleInfo {
        since: l.since.map(|s| s.into_owned()),
        tier: l.tier.name().into(),
        replacement: l.replacement.map(|s| s.into_owned()),
        deprecated_in: l.deprecated_in.map(|s| s.into_owned()),
        test_only: l.test_only,
    }
}

/// The whole table.
#[napi]
pub fn proto_table() -> Result<ProtoTable> {
    guard("proto_table", || {
        Ok(ProtoTable {
            helpers: helpers()
                .iter()
                .map(|h| HelperProto {
                    id: h.id,
                    name: h.name.into(),
                    prog_types: prog_type_ids(h.prog_types),
                    gpl_only: h.gpl_only,
                    gpl_only_except: (h.gpl_only_except != 0).then(|| prog_type_ids(h.gpl_only_except)),
                    cap: h.cap.map(|c| c.name().into()),
                    changes_pkt_data: h.changes_pkt_data,
                    ret: h.proto.map(|p| p.ret.into()),
                    args: h.proto.map(|p| p.args.iter().map(|a| a.to_string()).collect()),
                    might_sleep: h.proto.map(|p| p.might_sleep),
                    by_prog_type: prog_type_ids(PROTO_PROG_TYPES)
                        .into_iter()
                        .filter_map(|t| h.proto_for(t).map(|p| (t, p)))
                        .map(|(prog_type, p)| ProgTypeProto {
                            prog_type,
                            ret: p.ret.into(),
                            args: p.args.iter().map(|a| a.to_string()).collect(),
                            might_sleep: p.might_sleep,
                            fixed_size: (0..p.args.len()).map(|i| p.fixed_size(i).unwrap_or(0)).collect(),
                        })
                        .collect(),
                    lifecycle: lifecycle_info(protos::lifecycle::helper(i64::from(h.id)).unwrap_or_else(|| Lifecycle::declared(Some(Tier::Stable), None, None))),
                })
                .collect(),
            kfuncs: kfuncs::kernel_kfuncs().iter().map(kfunc_proto).collect(),
            seed_kfuncs: kfuncs::seed_kfuncs().iter().map(kfunc_proto).collect(),
            kernel_kfuncs: kfuncs::kernel_kfunc_prog_types()
                .map(|(name, types)| KernelKfuncName {
                    name: name.into(),
                    prog_types: types.map(prog_type_ids),
                    sleepable: kfuncs::kernel_kfunc_sleeps(name),
                    lifecycle: lifecycle_info(protos::lifecycle::kernel_kfunc(name).expect("a kernel kfunc")),
                })
                .collect(),
            prog_types: PROG_KINDS.iter().skip(1).map(|&(kind, name)| NamedValue { name: name.into(), value: kind.prog_type() }).collect(),
            established_prog_types: prog_type_ids(protos::pt::ESTABLISHED),
            arg_types: named(protos::ARG_TYPES),
            ret_types: named(protos::RET_TYPES),
            type_flags: named(protos::TYPE_FLAGS),
            type_aliases: protos::TYPE_ALIASES
                .iter()
                .map(|(name, parts)| TypeAlias { name: (*name).into(), parts: parts.iter().map(|p| p.to_string()).collect() })
                .collect(),
            kf_flags: named(kfuncs::KF_FLAGS),
            kfunc_annotations: kfuncs::ANNOTATIONS.iter().map(|a| a.to_string()).collect(),
            gpl_compatible_licenses: policy::GPL_COMPATIBLE_LICENSES.iter().map(|l| l.to_string()).collect(),
        })
    })
}

/// A kfunc implemented in JS, as the policy sees it.
#[napi(object)]
pub struct UserKfuncSpec {
    pub name: String,
    pub flags: Option<u32>,
    /// Absent: every established program type.
    pub prog_types: Option<Vec<u32>>,
    /// The C prototype's arguments; with `ret`, present when the declaration gives a prototype
    /// (the verifier then checks calls against it).
    pub args: Option<Vec<KfuncArgSpec>>,
    pub ret: Option<String>,
    /// Its stability tier ('stable', 'unstable', 'starting-to-deprecate', 'deprecated'), the first
    /// kernel release with it and what to call instead, as the module that provides it declares.
    pub tier: Option<String>,
    pub since: Option<String>,
    pub replacement: Option<String>,
}

/// One argument of a user kfunc's C prototype.
#[napi(object)]
pub struct KfuncArgSpec {
    pub name: String,
    #[napi(js_name = "type")]
    pub ty: String,
    pub annotation: Option<String>,
}

impl UserKfuncSpec {
    /// The prototype the verifier checks calls against, when the declaration gives one.
    pub fn proto(&self) -> Option<crate::bpf::loader::UserKfuncProto> {
        if self.args.is_none() && self.ret.is_none() {
            return None;
        }
        Some(crate::bpf::loader::UserKfuncProto {
            name: self.name.clone(),
            flags: self.flags.unwrap_or(0),
            ret: self.ret.clone().unwrap_or_else(|| "void".into()),
            args: self.args.iter().flatten().map(|a| (a.name.clone(), a.ty.clone(), a.annotation.clone())).collect(),
            prog_types: self.prog_types.as_ref().map(|t| t.iter().fold(0, |set, &id| set | protos::prog_type_bit(id))),
        })
    }
}

impl From<UserKfuncSpec> for UserKfunc {
    fn from(u: UserKfuncSpec) -> UserKfunc {
        let declared = u.tier.is_some() || u.since.is_some() || u.replacement.is_some();
        UserKfunc {
            name: u.name,
            flags: u.flags.unwrap_or(0),
            prog_types: u.prog_types.map(|t| t.iter().fold(0, |set, &id| set | protos::prog_type_bit(id))),
            lifecycle: declared.then(|| Lifecycle::declared(u.tier.as_deref().and_then(Tier::from_name), u.since, u.replacement)),
        }
    }
}

/// The lifecycle policy from its options: EINVAL for a release that is not MAJOR.MINOR or a tier
/// name that is not one.
pub fn lifecycle_policy(target_kernel: Option<&str>, allow_tiers: Option<&[String]>) -> crate::errno::Result<LifecyclePolicy> {
    const OP: &str = "bpf_prog_load";
    let target_kernel = match target_kernel {
        None => None,
        Some(t) => Some(parse_version(t).ok_or_else(|| XdpError::new(Errno::EINVAL, OP, format!("targetKernel must be a release such as '6.6', got '{t}'")))?),
    };
    let allow_tiers = match allow_tiers {
        None => None,
        Some(names) => Some(names.iter().try_fold(0u8, |set, n| {
            Tier::from_name(n)
                .map(|t| set | t.bit())
                .ok_or_else(|| XdpError::new(Errno::EINVAL, OP, format!("unknown tier '{n}' (the tiers are stable, unstable, starting-to-deprecate, deprecated)")))
        })?),
    };
    Ok(LifecyclePolicy { target_kernel, allow_tiers })
}

#[napi(object)]
pub struct CallPolicyInput {
    pub prog_type: u32,
    pub license: String,
    pub seed: Option<bool>,
    pub dev_bound: Option<bool>,
    pub sleepable: Option<bool>,
    pub cap_bpf: Option<bool>,
    pub cap_perfmon: Option<bool>,
    pub user_kfuncs: Option<Vec<UserKfuncSpec>>,
    pub target_kernel: Option<String>,
    pub allow_tiers: Option<Vec<String>>,
    pub seed_helpers: Option<bool>,
}

/// A helper call (`helperId`) or a kfunc extern call (`kfunc`).
#[napi(object)]
pub struct CallSite {
    pub helper_id: Option<i64>,
    pub kfunc: Option<String>,
    pub pc: Option<u32>,
    pub weak: Option<bool>,
}

#[napi(object)]
pub struct CallVerdict {
    pub ok: bool,
    pub message: Option<String>,
    pub errno: Option<u32>,
    pub pc: Option<u32>,
    /// Calls of deprecated and deprecating functions (the lifecycle policy's).
    pub warnings: Vec<String>,
}

/// The loader's decision on a list of call sites, without a program.
#[napi]
pub fn policy_check_calls(input: CallPolicyInput, sites: Vec<CallSite>) -> Result<CallVerdict> {
    guard("policy_check_calls", || {
        let defaults = Caps::default();
        let p = CallPolicy {
            prog_type: input.prog_type,
            license: input.license,
            seed: input.seed.unwrap_or(false),
            dev_bound: input.dev_bound.unwrap_or(false),
            sleepable: input.sleepable.unwrap_or(false),
            caps: Caps { bpf: input.cap_bpf.unwrap_or(defaults.bpf), perfmon: input.cap_perfmon.unwrap_or(defaults.perfmon) },
            user_kfuncs: input.user_kfuncs.unwrap_or_default().into_iter().map(Into::into).collect(),
            lifecycle: lifecycle_policy(input.target_kernel.as_deref(), input.allow_tiers.as_deref())?,
            seed_helpers: input.seed_helpers.unwrap_or(false),
            declared_struct_ops: false,
            walked: false,
        };
        let sites: Vec<Site> = sites
            .into_iter()
            .map(|s| match (s.helper_id, s.kfunc) {
                (_, Some(name)) => Site::Kfunc { name, pc: s.pc.map(|p| p as usize), weak: s.weak.unwrap_or(false) },
                (id, None) => Site::Helper { id: id.unwrap_or(0), pc: s.pc.map(|p| p as usize) },
            })
            .collect();
        let refused = |r: crate::bpf::protos::policy::Refusal, warnings| CallVerdict {
            ok: false,
            message: Some(r.message),
            errno: Some(r.errno as u32),
            pc: r.pc.map(|p| p as u32),
            warnings,
        };
        if let Err(r) = p.check(&sites) {
            return Ok(refused(r, Vec::new()));
        }
        let v = p.lifecycle_check(&sites);
        Ok(match v.refusal {
            Some(r) => refused(r, v.warnings),
            None => CallVerdict { ok: true, message: None, errno: None, pc: None, warnings: v.warnings },
        })
    })
}
