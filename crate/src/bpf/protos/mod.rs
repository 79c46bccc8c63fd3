//! What a BPF program may call, as data: every uapi helper ([`helpers`]) and every kfunc
//! ([`kfuncs`]) with its prototype in the kernel's terms, the program types that get it, its
//! licence and capability needs; and the decision a load makes from them ([`policy`]), in the
//! kernel's and libbpf's words.
//!
//! This is the one table. The engine's dispatch ([`super::helpers`], [`super::kfuncs`]) binds
//! native functions to its ids and names, the disassembler names helpers from it, and the
//! TypeScript policy reads it through the binding. Facts are Linux 6.18's: ids and names from
//! `enum bpf_func_id`, prototypes from `struct bpf_func_proto` (net/core/filter.c,
//! kernel/bpf/helpers.c), program types from what that kernel's verifier answered to a call of
//! each helper and kfunc from every program type.
//!
//! It sits under `bpf` because it describes the program ABI the loader and the coming verifier
//! check against; the dynptr engine's own description of its functions ([`crate::dynptr::functions`])
//! is read from here, not repeated.

pub mod helpers;
pub mod kfuncs;
pub mod lifecycle;
pub mod policy;

/// A set of program types: bit N is uapi `enum bpf_prog_type` N.
pub type ProgTypes = u64;

/// The program types by uapi number, as bit sets.
pub mod pt {
    use super::ProgTypes;
    use crate::bpf::elf::ProgKind;

    const fn bit(kind: ProgKind) -> ProgTypes {
        1 << kind.prog_type()
    }

    pub const SOCKET_FILTER: ProgTypes = bit(ProgKind::SocketFilter);
    pub const KPROBE: ProgTypes = bit(ProgKind::Kprobe);
    pub const SCHED_CLS: ProgTypes = bit(ProgKind::SchedCls);
    pub const SCHED_ACT: ProgTypes = bit(ProgKind::SchedAct);
    pub const TRACEPOINT: ProgTypes = bit(ProgKind::Tracepoint);
    pub const XDP: ProgTypes = bit(ProgKind::Xdp);
    pub const PERF_EVENT: ProgTypes = bit(ProgKind::PerfEvent);
    pub const CGROUP_SKB: ProgTypes = bit(ProgKind::CgroupSkb);
    pub const CGROUP_SOCK: ProgTypes = bit(ProgKind::CgroupSock);
    pub const LWT_IN: ProgTypes = bit(ProgKind::LwtIn);
    pub const LWT_OUT: ProgTypes = bit(ProgKind::LwtOut);
    pub const LWT_XMIT: ProgTypes = bit(ProgKind::LwtXmit);
    pub const SOCK_OPS: ProgTypes = bit(ProgKind::SockOps);
    pub const SK_SKB: ProgTypes = bit(ProgKind::SkSkb);
    pub const CGROUP_DEVICE: ProgTypes = bit(ProgKind::CgroupDevice);
    pub const SK_MSG: ProgTypes = bit(ProgKind::SkMsg);
    pub const RAW_TRACEPOINT: ProgTypes = bit(ProgKind::RawTracepoint);
    pub const CGROUP_SOCK_ADDR: ProgTypes = bit(ProgKind::CgroupSockAddr);
    pub const LWT_SEG6LOCAL: ProgTypes = bit(ProgKind::LwtSeg6local);
    pub const LIRC_MODE2: ProgTypes = bit(ProgKind::LircMode2);
    pub const SK_REUSEPORT: ProgTypes = bit(ProgKind::SkReuseport);
    pub const FLOW_DISSECTOR: ProgTypes = bit(ProgKind::FlowDissector);
    pub const CGROUP_SYSCTL: ProgTypes = bit(ProgKind::CgroupSysctl);
    pub const RAW_TRACEPOINT_WRITABLE: ProgTypes = bit(ProgKind::RawTracepointWritable);
    pub const CGROUP_SOCKOPT: ProgTypes = bit(ProgKind::CgroupSockopt);
    pub const TRACING: ProgTypes = bit(ProgKind::Tracing);
    pub const STRUCT_OPS: ProgTypes = bit(ProgKind::StructOps);
    pub const EXT: ProgTypes = bit(ProgKind::Ext);
    pub const LSM: ProgTypes = bit(ProgKind::Lsm);
    pub const SK_LOOKUP: ProgTypes = bit(ProgKind::SkLookup);
    pub const SYSCALL: ProgTypes = bit(ProgKind::Syscall);
    pub const NETFILTER: ProgTypes = bit(ProgKind::Netfilter);

    /// The program types whose helper and kfunc sets are established: a 6.18 kernel was asked
    /// about a call to every helper and kfunc from each (attach types: cgroup_sock
    /// INET_SOCK_CREATE, cgroup_sock_addr INET4_CONNECT, cgroup_sockopt SETSOCKOPT, sk_skb
    /// STREAM_VERDICT, sk_msg MSG_VERDICT, sk_reuseport SELECT, tracing RAW_TP, syscall
    /// sleepable). The kernel would not load a probe for lirc_mode2, struct_ops, ext or lsm:
    /// they get nothing.
    pub const ESTABLISHED: ProgTypes = ((1 << 33) - 2) & !(LIRC_MODE2 | STRUCT_OPS | EXT | LSM);
}

/// The highest uapi program type number.
pub const LAST_PROG_TYPE: u32 = crate::bpf::elf::PROG_KINDS.len() as u32 - 1;

/// The set holding one program type (empty for numbers beyond the uapi enum).
pub fn prog_type_bit(prog_type: u32) -> ProgTypes {
    if prog_type == 0 || prog_type > LAST_PROG_TYPE {
        0
    } else {
        1 << prog_type
    }
}

/// The uapi numbers in a set, ascending.
pub fn prog_type_ids(set: ProgTypes) -> Vec<u32> {
    (1..=LAST_PROG_TYPE).filter(|&t| set & (1 << t) != 0).collect()
}

/// Base argument kinds (`enum bpf_arg_type`, 6.18), by value.
pub const ARG_TYPES: &[(&str, u32)] = &[
    ("ARG_DONTCARE", 0),
    ("ARG_CONST_MAP_PTR", 1),
    ("ARG_PTR_TO_MAP_KEY", 2),
    ("ARG_PTR_TO_MAP_VALUE", 3),
    ("ARG_PTR_TO_MEM", 4),
    ("ARG_PTR_TO_ARENA", 5),
    ("ARG_CONST_SIZE", 6),
    ("ARG_CONST_SIZE_OR_ZERO", 7),
    ("ARG_PTR_TO_CTX", 8),
    ("ARG_ANYTHING", 9),
    ("ARG_PTR_TO_SPIN_LOCK", 10),
    ("ARG_PTR_TO_SOCK_COMMON", 11),
    ("ARG_PTR_TO_SOCKET", 12),
    ("ARG_PTR_TO_BTF_ID", 13),
    ("ARG_PTR_TO_RINGBUF_MEM", 14),
    ("ARG_CONST_ALLOC_SIZE_OR_ZERO", 15),
    ("ARG_PTR_TO_BTF_ID_SOCK_COMMON", 16),
    ("ARG_PTR_TO_PERCPU_BTF_ID", 17),
    ("ARG_PTR_TO_FUNC", 18),
    ("ARG_PTR_TO_STACK", 19),
    ("ARG_PTR_TO_CONST_STR", 20),
    ("ARG_PTR_TO_TIMER", 21),
    ("ARG_KPTR_XCHG_DEST", 22),
    ("ARG_PTR_TO_DYNPTR", 23),
];

/// Base return kinds (`enum bpf_return_type`, 6.18), by value.
pub const RET_TYPES: &[(&str, u32)] = &[
    ("RET_INTEGER", 0),
    ("RET_VOID", 1),
    ("RET_PTR_TO_MAP_VALUE", 2),
    ("RET_PTR_TO_SOCKET", 3),
    ("RET_PTR_TO_TCP_SOCK", 4),
    ("RET_PTR_TO_SOCK_COMMON", 5),
    ("RET_PTR_TO_MEM", 6),
    ("RET_PTR_TO_MEM_OR_BTF_ID", 7),
    ("RET_PTR_TO_BTF_ID", 8),
];

/// Type modifiers (`enum bpf_type_flag`, 6.18): bits above the base kind.
pub const TYPE_FLAGS: &[(&str, u32)] = &[
    ("PTR_MAYBE_NULL", 1 << 8),
    ("MEM_RDONLY", 1 << 9),
    ("MEM_RINGBUF", 1 << 10),
    ("MEM_USER", 1 << 11),
    ("MEM_PERCPU", 1 << 12),
    ("OBJ_RELEASE", 1 << 13),
    ("PTR_UNTRUSTED", 1 << 14),
    ("MEM_UNINIT", 1 << 15),
    ("DYNPTR_TYPE_LOCAL", 1 << 16),
    ("DYNPTR_TYPE_RINGBUF", 1 << 17),
    ("MEM_FIXED_SIZE", 1 << 18),
    ("MEM_ALLOC", 1 << 19),
    ("PTR_TRUSTED", 1 << 20),
    ("MEM_RCU", 1 << 21),
    ("NON_OWN_REF", 1 << 22),
    ("DYNPTR_TYPE_SKB", 1 << 23),
    ("DYNPTR_TYPE_XDP", 1 << 24),
    ("MEM_ALIGNED", 1 << 25),
    ("MEM_WRITE", 1 << 26),
    ("DYNPTR_TYPE_SKB_META", 1 << 27),
];

/// The kernel's shorthand names for a base kind with modifiers.
pub const TYPE_ALIASES: &[(&str, &[&str])] = &[
    ("ARG_PTR_TO_MAP_VALUE_OR_NULL", &["ARG_PTR_TO_MAP_VALUE", "PTR_MAYBE_NULL"]),
    ("ARG_PTR_TO_MEM_OR_NULL", &["ARG_PTR_TO_MEM", "PTR_MAYBE_NULL"]),
    ("ARG_PTR_TO_CTX_OR_NULL", &["ARG_PTR_TO_CTX", "PTR_MAYBE_NULL"]),
    ("ARG_PTR_TO_SOCKET_OR_NULL", &["ARG_PTR_TO_SOCKET", "PTR_MAYBE_NULL"]),
    ("ARG_PTR_TO_STACK_OR_NULL", &["ARG_PTR_TO_STACK", "PTR_MAYBE_NULL"]),
    ("ARG_PTR_TO_BTF_ID_OR_NULL", &["ARG_PTR_TO_BTF_ID", "PTR_MAYBE_NULL"]),
    ("ARG_PTR_TO_UNINIT_MEM", &["ARG_PTR_TO_MEM", "MEM_UNINIT", "MEM_WRITE"]),
    ("ARG_PTR_TO_FIXED_SIZE_MEM", &["ARG_PTR_TO_MEM", "MEM_FIXED_SIZE"]),
    ("RET_PTR_TO_MAP_VALUE_OR_NULL", &["RET_PTR_TO_MAP_VALUE", "PTR_MAYBE_NULL"]),
    ("RET_PTR_TO_SOCKET_OR_NULL", &["RET_PTR_TO_SOCKET", "PTR_MAYBE_NULL"]),
    ("RET_PTR_TO_TCP_SOCK_OR_NULL", &["RET_PTR_TO_TCP_SOCK", "PTR_MAYBE_NULL"]),
    ("RET_PTR_TO_SOCK_COMMON_OR_NULL", &["RET_PTR_TO_SOCK_COMMON", "PTR_MAYBE_NULL"]),
    ("RET_PTR_TO_RINGBUF_MEM_OR_NULL", &["RET_PTR_TO_MEM", "MEM_RINGBUF", "PTR_MAYBE_NULL"]),
    ("RET_PTR_TO_DYNPTR_MEM_OR_NULL", &["RET_PTR_TO_MEM", "PTR_MAYBE_NULL"]),
    ("RET_PTR_TO_BTF_ID_OR_NULL", &["RET_PTR_TO_BTF_ID", "PTR_MAYBE_NULL"]),
    ("RET_PTR_TO_BTF_ID_TRUSTED", &["RET_PTR_TO_BTF_ID", "PTR_TRUSTED"]),
];

/// The kernel's number for an argument or return type as the prototypes spell it (a base kind
/// or shorthand, then `|`-joined modifiers): what a verifier compares. None for an unknown part.
pub fn type_value(spelling: &str) -> Option<u32> {
    fn part(p: &str) -> Option<u32> {
        if let Some((_, parts)) = TYPE_ALIASES.iter().find(|a| a.0 == p) {
            return parts.iter().try_fold(0, |v, q| Some(v | part(q)?));
        }
        ARG_TYPES.iter().chain(RET_TYPES).chain(TYPE_FLAGS).find(|t| t.0 == p).map(|t| t.1)
    }
    spelling.split('|').try_fold(0, |v, p| Some(v | part(p)?))
}

/// A type split as the verifier reads it: the base kind (low 8 bits) and the modifier flags.
pub fn type_parts(spelling: &str) -> Option<(u32, u32)> {
    type_value(spelling).map(|v| (v & 0xff, v & !0xff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_values_are_the_kernels() {
        assert_eq!(type_value("ARG_PTR_TO_UNINIT_MEM"), Some(67141636));
        assert_eq!(type_value("ARG_PTR_TO_MEM|MEM_RDONLY"), Some(4 | 512));
        assert_eq!(type_value("RET_PTR_TO_RINGBUF_MEM_OR_NULL"), Some(1286));
        assert_eq!(type_value("ARG_BOGUS"), None);
        assert_eq!(type_parts("ARG_PTR_TO_MAP_VALUE_OR_NULL"), Some((3, 1 << 8)));
        assert_eq!(pt::ESTABLISHED.count_ones(), 28);
    }
}
