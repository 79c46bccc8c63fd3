//! Every function a BPF program can call on dynptrs, as declared: the kernel's stable helpers
//! (197–203), the kernel's kfuncs up to Linux 6.18, and the seed's convenience API. The seed
//! proposed its functions as helpers 214–221; the helper freeze that thread ended in means new
//! functions are kfuncs, so here they are kfuncs named after the seed. Three names exist on both
//! sides (`bpf_dynptr_is_null`, `bpf_dynptr_is_rdonly`, `bpf_dynptr_clone`); the seed's clone takes
//! an extra offset. Which set a program sees is a policy decision made elsewhere: this table
//! only states what each function is and which engine operation implements it.

/// Where a function comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Merged upstream, first in this kernel version.
    Kernel { since: &'static str },
    /// The seed's v2 series (Dec 2022), never merged; it proposed this helper number.
    Seed { proposed_helper: u32 },
}

/// How a program calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `call N`, a stable uapi helper.
    Helper(u32),
    /// `call` by BTF id, with the kfunc's `KF_*` flags.
    Kfunc { flags: u32 },
}

pub use crate::bpf::protos::kfuncs::{KF_RET_NULL, KF_TRUSTED_ARGS};

/// An argument's kind, as the verifier checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// An initialised dynptr the call only reads (`const struct bpf_dynptr *`).
    Dynptr,
    /// An initialised dynptr the call changes (the seed's advance/trim).
    DynptrMut,
    /// Stack slots the call initialises as a dynptr (`MEM_UNINIT`, `__uninit`).
    DynptrUninit,
    /// A referenced ring-buffer dynptr the call releases.
    DynptrRelease,
    U32,
    U64,
    U8,
    /// Memory the call reads, with its size in the next argument.
    Mem,
    /// Memory the call fills, with its size in the next argument.
    UninitMem,
    /// The size of the memory argument before it (a constant for `__szk`).
    Size,
    /// Optional memory (`__opt`): a buffer or NULL.
    MemOpt,
    /// A constant size (`__szk`).
    ConstSize,
    XdpCtx,
    SkbCtx,
    RingbufMap,
    /// A static subprogram, called back.
    Callback,
    /// Anything, handed to the callback.
    CallbackCtx,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// 0 or a negative errno, as `long`/`int`.
    Errno,
    Bool,
    /// The size as `u32`, or -EINVAL as `u32` for a null dynptr.
    U32,
    /// A pointer to memory, maybe NULL.
    MemOrNull,
    Void,
}

/// Program types a function is offered to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Xdp,
    /// Program types with an `__sk_buff` context.
    Skb,
    /// tc (`sched_cls`, `sched_act`) only.
    Tc,
}

#[derive(Clone, Copy, Debug)]
pub struct DynptrFunction {
    pub name: &'static str,
    pub origin: Origin,
    pub call: Call,
    pub args: &'static [Arg],
    pub ret: Ret,
    pub scope: Scope,
    /// The engine operation behind it: the `Dynptr`/`RingBuf` method (and the TypeScript
    /// facade's method of the same meaning).
    pub operation: &'static str,
}

const fn kernel(since: &'static str) -> Origin {
    Origin::Kernel { since }
}

const fn seed(proposed_helper: u32) -> Origin {
    Origin::Seed { proposed_helper }
}

const fn kfunc(flags: u32) -> Call {
    Call::Kfunc { flags }
}

use Arg::*;

pub const DYNPTR_FUNCTIONS: &[DynptrFunction] = &[
    // The stable helpers.
    f("bpf_dynptr_from_mem", kernel("5.19"), Call::Helper(197), &[Mem, Size, U64, DynptrUninit], Ret::Errno, Scope::All, "fromMem"),
    f(
        "bpf_ringbuf_reserve_dynptr",
        kernel("5.19"),
        Call::Helper(198),
        &[RingbufMap, U32, U64, DynptrUninit],
        Ret::Errno,
        Scope::All,
        "reserve",
    ),
    f("bpf_ringbuf_submit_dynptr", kernel("5.19"), Call::Helper(199), &[DynptrRelease, U64], Ret::Void, Scope::All, "submit"),
    f("bpf_ringbuf_discard_dynptr", kernel("5.19"), Call::Helper(200), &[DynptrRelease, U64], Ret::Void, Scope::All, "discard"),
    f("bpf_dynptr_read", kernel("5.19"), Call::Helper(201), &[UninitMem, Size, Dynptr, U32, U64], Ret::Errno, Scope::All, "read"),
    f("bpf_dynptr_write", kernel("5.19"), Call::Helper(202), &[Dynptr, U32, Mem, Size, U64], Ret::Errno, Scope::All, "write"),
    f("bpf_dynptr_data", kernel("5.19"), Call::Helper(203), &[Dynptr, U32, ConstSize], Ret::MemOrNull, Scope::All, "data"),
    // The kernel's kfuncs.
    f("bpf_dynptr_from_skb", kernel("6.4"), kfunc(KF_TRUSTED_ARGS), &[SkbCtx, U64, DynptrUninit], Ret::Errno, Scope::Skb, "fromSkb"),
    f("bpf_dynptr_from_xdp", kernel("6.4"), kfunc(0), &[XdpCtx, U64, DynptrUninit], Ret::Errno, Scope::Xdp, "fromXdp"),
    f("bpf_dynptr_slice", kernel("6.4"), kfunc(KF_RET_NULL), &[Dynptr, U32, MemOpt, ConstSize], Ret::MemOrNull, Scope::All, "slice"),
    f(
        "bpf_dynptr_slice_rdwr",
        kernel("6.4"),
        kfunc(KF_RET_NULL),
        &[Dynptr, U32, MemOpt, ConstSize],
        Ret::MemOrNull,
        Scope::All,
        "sliceRdwr",
    ),
    f("bpf_dynptr_adjust", kernel("6.5"), kfunc(0), &[Dynptr, U32, U32], Ret::Errno, Scope::All, "adjust"),
    f("bpf_dynptr_is_null", kernel("6.5"), kfunc(0), &[Dynptr], Ret::Bool, Scope::All, "isNull"),
    f("bpf_dynptr_is_rdonly", kernel("6.5"), kfunc(0), &[Dynptr], Ret::Bool, Scope::All, "isRdonly"),
    f("bpf_dynptr_size", kernel("6.5"), kfunc(0), &[Dynptr], Ret::U32, Scope::All, "size"),
    f("bpf_dynptr_clone", kernel("6.5"), kfunc(0), &[Dynptr, DynptrUninit], Ret::Errno, Scope::All, "clone"),
    f("bpf_dynptr_copy", kernel("6.15"), kfunc(0), &[Dynptr, U32, Dynptr, U32, U32], Ret::Errno, Scope::All, "copy"),
    f("bpf_dynptr_memset", kernel("6.17"), kfunc(0), &[Dynptr, U32, U32, U8], Ret::Errno, Scope::All, "memset"),
    f(
        "bpf_dynptr_from_skb_meta",
        kernel("6.18"),
        kfunc(KF_TRUSTED_ARGS),
        &[SkbCtx, U64, DynptrUninit],
        Ret::Errno,
        Scope::Tc,
        "fromSkbMeta",
    ),
    // The seed's convenience API, as kfuncs.
    f("bpf_dynptr_advance", seed(214), kfunc(0), &[DynptrMut, U32], Ret::Errno, Scope::All, "advance"),
    f("bpf_dynptr_trim", seed(215), kfunc(0), &[DynptrMut, U32], Ret::Errno, Scope::All, "trim"),
    f("bpf_dynptr_is_null", seed(216), kfunc(0), &[Dynptr], Ret::Bool, Scope::All, "isNull"),
    f("bpf_dynptr_is_rdonly", seed(217), kfunc(0), &[Dynptr], Ret::Bool, Scope::All, "isRdonly"),
    f("bpf_dynptr_get_size", seed(218), kfunc(0), &[Dynptr], Ret::Errno, Scope::All, "getSize"),
    f("bpf_dynptr_get_offset", seed(219), kfunc(0), &[Dynptr], Ret::Errno, Scope::All, "getOffset"),
    f("bpf_dynptr_clone", seed(220), kfunc(0), &[Dynptr, DynptrUninit, U32], Ret::Errno, Scope::All, "clone"),
    f("bpf_dynptr_iterator", seed(221), kfunc(0), &[Dynptr, Callback, CallbackCtx, U64], Ret::Errno, Scope::All, "iterator"),
];

#[allow(clippy::too_many_arguments)]
const fn f(
    name: &'static str,
    origin: Origin,
    call: Call,
    args: &'static [Arg],
    ret: Ret,
    scope: Scope,
    operation: &'static str,
) -> DynptrFunction {
    DynptrFunction { name, origin, call, args, ret, scope, operation }
}

/// The function called `name` in the kernel's set (`seed == false`) or the seed's.
pub fn lookup(name: &str, seed: bool) -> Option<&'static DynptrFunction> {
    DYNPTR_FUNCTIONS.iter().find(|d| d.name == name && matches!(d.origin, Origin::Seed { .. }) == seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_within_each_side() {
        for (i, a) in DYNPTR_FUNCTIONS.iter().enumerate() {
            for b in &DYNPTR_FUNCTIONS[i + 1..] {
                let same_side = matches!(a.origin, Origin::Seed { .. }) == matches!(b.origin, Origin::Seed { .. });
                assert!(!(same_side && a.name == b.name), "{} twice", a.name);
            }
        }
    }

    #[test]
    fn the_seed_proposed_helpers_214_to_221_and_all_became_kfuncs() {
        let ids: Vec<u32> = DYNPTR_FUNCTIONS
            .iter()
            .filter_map(|d| match d.origin {
                Origin::Seed { proposed_helper } => {
                    assert!(matches!(d.call, Call::Kfunc { .. }), "{}: the freeze makes it a kfunc", d.name);
                    Some(proposed_helper)
                }
                Origin::Kernel { .. } => None,
            })
            .collect();
        assert_eq!(ids, (214..=221).collect::<Vec<_>>());
    }

    #[test]
    fn the_clones_differ_by_the_offset_argument() {
        assert_eq!(lookup("bpf_dynptr_clone", false).unwrap().args.len(), 2);
        assert_eq!(lookup("bpf_dynptr_clone", true).unwrap().args, &[Dynptr, DynptrUninit, U32]);
        assert!(lookup("bpf_dynptr_size", true).is_none(), "the seed called it get_size");
        assert!(lookup("bpf_dynptr_advance", false).is_none(), "the kernel has adjust instead");
    }

    #[test]
    fn only_the_slices_may_return_null_and_helpers_are_the_stable_197_to_203() {
        for d in DYNPTR_FUNCTIONS {
            match d.call {
                Call::Kfunc { flags } => assert_eq!(flags & KF_RET_NULL != 0, d.name.starts_with("bpf_dynptr_slice"), "{}", d.name),
                Call::Helper(id) => assert!((197..=203).contains(&id), "{}", d.name),
            }
        }
    }
}
