//! Every kfunc of Linux 6.18 a program may call, and the seed's convenience API as its own set.
//!
//! Described in full (name, C prototype from vmlinux BTF with the verifier's argument-name
//! annotations, `KF_*` flags from the `BTF_ID_FLAGS` of kernel/bpf/helpers.c, net/core/filter.c
//! and net/core/xdp.c, program types, first kernel version): the dynptr kfuncs, XDP's, and the
//! generic ones. The dynptr functions' flags, versions and scopes are the dynptr engine's own
//! table ([`crate::dynptr::functions`]); only their C prototypes are here. The other kernel
//! kfuncs are known by name and program types, so that calls to them are refused or allowed as
//! the kernel would.

use std::sync::OnceLock;

use super::pt::*;
use super::ProgTypes;
use crate::dynptr::functions::{Arg, Call, DynptrFunction, Origin as DynptrOrigin, Ret, Scope, DYNPTR_FUNCTIONS};

// `KF_*` kfunc flags (include/linux/btf.h, 6.18). Bit 3 (the former KF_KPTR_GET) is unused.
pub const KF_ACQUIRE: u32 = 1 << 0;
pub const KF_RELEASE: u32 = 1 << 1;
pub const KF_RET_NULL: u32 = 1 << 2;
pub const KF_TRUSTED_ARGS: u32 = 1 << 4;
pub const KF_SLEEPABLE: u32 = 1 << 5;
pub const KF_DESTRUCTIVE: u32 = 1 << 6;
pub const KF_RCU: u32 = 1 << 7;
pub const KF_ITER_NEW: u32 = 1 << 8;
pub const KF_ITER_NEXT: u32 = 1 << 9;
pub const KF_ITER_DESTROY: u32 = 1 << 10;
pub const KF_RCU_PROTECTED: u32 = 1 << 11;
pub const KF_FASTCALL: u32 = 1 << 12;
pub const KF_ARENA_RET: u32 = 1 << 13;
pub const KF_ARENA_ARG1: u32 = 1 << 14;
pub const KF_ARENA_ARG2: u32 = 1 << 15;

/// The flags by name, in bit order.
pub const KF_FLAGS: &[(&str, u32)] = &[
    ("KF_ACQUIRE", KF_ACQUIRE),
    ("KF_RELEASE", KF_RELEASE),
    ("KF_RET_NULL", KF_RET_NULL),
    ("KF_TRUSTED_ARGS", KF_TRUSTED_ARGS),
    ("KF_SLEEPABLE", KF_SLEEPABLE),
    ("KF_DESTRUCTIVE", KF_DESTRUCTIVE),
    ("KF_RCU", KF_RCU),
    ("KF_ITER_NEW", KF_ITER_NEW),
    ("KF_ITER_NEXT", KF_ITER_NEXT),
    ("KF_ITER_DESTROY", KF_ITER_DESTROY),
    ("KF_RCU_PROTECTED", KF_RCU_PROTECTED),
    ("KF_FASTCALL", KF_FASTCALL),
    ("KF_ARENA_RET", KF_ARENA_RET),
    ("KF_ARENA_ARG1", KF_ARENA_ARG1),
    ("KF_ARENA_ARG2", KF_ARENA_ARG2),
];

/// The verifier's parameter-name suffixes, longest match first where one ends another.
#[rustfmt::skip]
pub const ANNOTATIONS: &[&str] =
    &["__uninit", "__opt", "__szk", "__sz", "__k", "__ign", "__str", "__map", "__alloc", "__prog", "__irq_flag", "__refcounted_kptr", "__nullable"];

/// A kfunc's C prototype: name, return type, then (C type, parameter name with its annotation).
type Signature = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// C prototypes (6.18 vmlinux BTF) of the kernel kfuncs described in full.
#[rustfmt::skip]
const SIGNATURES: &[Signature] = &[
    ("bpf_dynptr_from_skb", "int", &[("struct __sk_buff *", "s"), ("u64", "flags"), ("struct bpf_dynptr *", "ptr__uninit")]),
    ("bpf_dynptr_from_skb_meta", "int", &[("struct __sk_buff *", "skb_"), ("u64", "flags"), ("struct bpf_dynptr *", "ptr__uninit")]),
    ("bpf_dynptr_from_xdp", "int", &[("struct xdp_md *", "x"), ("u64", "flags"), ("struct bpf_dynptr *", "ptr__uninit")]),
    ("bpf_dynptr_slice", "void *", &[("const struct bpf_dynptr *", "p"), ("u32", "offset"), ("void *", "buffer__opt"), ("u32", "buffer__szk")]),
    ("bpf_dynptr_slice_rdwr", "void *", &[("const struct bpf_dynptr *", "p"), ("u32", "offset"), ("void *", "buffer__opt"), ("u32", "buffer__szk")]),
    ("bpf_dynptr_adjust", "int", &[("const struct bpf_dynptr *", "p"), ("u32", "start"), ("u32", "end")]),
    ("bpf_dynptr_is_null", "bool", &[("const struct bpf_dynptr *", "p")]),
    ("bpf_dynptr_is_rdonly", "bool", &[("const struct bpf_dynptr *", "p")]),
    ("bpf_dynptr_size", "__u32", &[("const struct bpf_dynptr *", "p")]),
    ("bpf_dynptr_clone", "int", &[("const struct bpf_dynptr *", "p"), ("struct bpf_dynptr *", "clone__uninit")]),
    ("bpf_dynptr_copy", "int", &[("struct bpf_dynptr *", "dst_ptr"), ("u32", "dst_off"), ("struct bpf_dynptr *", "src_ptr"), ("u32", "src_off"), ("u32", "size")]),
    ("bpf_dynptr_memset", "int", &[("struct bpf_dynptr *", "p"), ("u32", "offset"), ("u32", "size"), ("u8", "val")]),
    ("bpf_xdp_pull_data", "int", &[("struct xdp_md *", "x"), ("u32", "len")]),
    ("bpf_xdp_metadata_rx_timestamp", "int", &[("const struct xdp_md *", "ctx"), ("u64 *", "timestamp")]),
    ("bpf_xdp_metadata_rx_hash", "int", &[("const struct xdp_md *", "ctx"), ("u32 *", "hash"), ("enum xdp_rss_hash_type *", "rss_type")]),
    ("bpf_xdp_metadata_rx_vlan_tag", "int", &[("const struct xdp_md *", "ctx"), ("__be16 *", "vlan_proto"), ("u16 *", "vlan_tci")]),
    ("bpf_cast_to_kern_ctx", "void *", &[("void *", "obj")]),
    ("bpf_rdonly_cast", "void *", &[("const void *", "obj__ign"), ("u32", "btf_id__k")]),
    ("bpf_rcu_read_lock", "void", &[]),
    ("bpf_rcu_read_unlock", "void", &[]),
    ("bpf_iter_num_new", "int", &[("struct bpf_iter_num *", "it"), ("int", "start"), ("int", "end")]),
    ("bpf_iter_num_next", "int *", &[("struct bpf_iter_num *", "it")]),
    ("bpf_iter_num_destroy", "void", &[("struct bpf_iter_num *", "it")]),
    ("bpf_iter_bits_new", "int", &[("struct bpf_iter_bits *", "it"), ("const u64 *", "unsafe_ptr__ign"), ("u32", "nr_words")]),
    ("bpf_iter_bits_next", "int *", &[("struct bpf_iter_bits *", "it")]),
    ("bpf_iter_bits_destroy", "void", &[("struct bpf_iter_bits *", "it")]),
    ("bpf_preempt_disable", "void", &[]),
    ("bpf_preempt_enable", "void", &[]),
    ("bpf_local_irq_save", "void", &[("unsigned long *", "flags__irq_flag")]),
    ("bpf_local_irq_restore", "void", &[("unsigned long *", "flags__irq_flag")]),
    ("__bpf_trap", "void", &[]),
    ("bpf_wq_init", "int", &[("struct bpf_wq *", "wq"), ("void *", "p__map"), ("unsigned int", "flags")]),
    ("bpf_wq_set_callback_impl", "int", &[("struct bpf_wq *", "wq"), ("int (*)(void *, int *, void *)", "callback_fn"), ("unsigned int", "flags"), ("void *", "aux__prog")]),
    ("bpf_wq_start", "int", &[("struct bpf_wq *", "wq"), ("unsigned int", "flags")]),
    ("bpf_probe_read_user_dynptr", "int", &[("struct bpf_dynptr *", "dptr"), ("u32", "off"), ("u32", "size"), ("const void *", "unsafe_ptr__ign")]),
    ("bpf_probe_read_kernel_dynptr", "int", &[("struct bpf_dynptr *", "dptr"), ("u32", "off"), ("u32", "size"), ("const void *", "unsafe_ptr__ign")]),
    ("bpf_probe_read_user_str_dynptr", "int", &[("struct bpf_dynptr *", "dptr"), ("u32", "off"), ("u32", "size"), ("const void *", "unsafe_ptr__ign")]),
    ("bpf_probe_read_kernel_str_dynptr", "int", &[("struct bpf_dynptr *", "dptr"), ("u32", "off"), ("u32", "size"), ("const void *", "unsafe_ptr__ign")]),
    ("bpf_copy_from_user_dynptr", "int", &[("struct bpf_dynptr *", "dptr"), ("u32", "off"), ("u32", "size"), ("const void *", "unsafe_ptr__ign")]),
    ("bpf_copy_from_user_str_dynptr", "int", &[("struct bpf_dynptr *", "dptr"), ("u32", "off"), ("u32", "size"), ("const void *", "unsafe_ptr__ign")]),
    ("bpf_copy_from_user_task_dynptr", "int", &[("struct bpf_dynptr *", "dptr"), ("u32", "off"), ("u32", "size"), ("const void *", "unsafe_ptr__ign"), ("struct task_struct *", "tsk")]),
    ("bpf_copy_from_user_task_str_dynptr", "int", &[("struct bpf_dynptr *", "dptr"), ("u32", "off"), ("u32", "size"), ("const void *", "unsafe_ptr__ign"), ("struct task_struct *", "tsk")]),
    ("bpf_copy_from_user_str", "int", &[("void *", "dst"), ("u32", "dst__sz"), ("const void *", "unsafe_ptr__ign"), ("u64", "flags")]),
    ("bpf_copy_from_user_task_str", "int", &[("void *", "dst"), ("u32", "dst__sz"), ("const void *", "unsafe_ptr__ign"), ("struct task_struct *", "tsk"), ("u64", "flags")]),
    ("bpf_strcmp", "int", &[("const char *", "s1__ign"), ("const char *", "s2__ign")]),
    ("bpf_strcasecmp", "int", &[("const char *", "s1__ign"), ("const char *", "s2__ign")]),
    ("bpf_strchr", "int", &[("const char *", "s__ign"), ("char", "c")]),
    ("bpf_strchrnul", "int", &[("const char *", "s__ign"), ("char", "c")]),
    ("bpf_strnchr", "int", &[("const char *", "s__ign"), ("size_t", "count"), ("char", "c")]),
    ("bpf_strrchr", "int", &[("const char *", "s__ign"), ("int", "c")]),
    ("bpf_strlen", "int", &[("const char *", "s__ign")]),
    ("bpf_strnlen", "int", &[("const char *", "s__ign"), ("size_t", "count")]),
    ("bpf_strspn", "int", &[("const char *", "s__ign"), ("const char *", "accept__ign")]),
    ("bpf_strcspn", "int", &[("const char *", "s__ign"), ("const char *", "reject__ign")]),
    ("bpf_strstr", "int", &[("const char *", "s1__ign"), ("const char *", "s2__ign")]),
    ("bpf_strnstr", "int", &[("const char *", "s1__ign"), ("const char *", "s2__ign"), ("size_t", "len")]),
    ("bpf_obj_new_impl", "void *", &[("u64", "local_type_id__k"), ("void *", "meta__ign")]),
    ("bpf_percpu_obj_new_impl", "void *", &[("u64", "local_type_id__k"), ("void *", "meta__ign")]),
    ("bpf_obj_drop_impl", "void", &[("void *", "p__alloc"), ("void *", "meta__ign")]),
    ("bpf_percpu_obj_drop_impl", "void", &[("void *", "p__alloc"), ("void *", "meta__ign")]),
    ("bpf_refcount_acquire_impl", "void *", &[("void *", "p__refcounted_kptr"), ("void *", "meta__ign")]),
    ("bpf_list_push_front_impl", "int", &[("struct bpf_list_head *", "head"), ("struct bpf_list_node *", "node"), ("void *", "meta__ign"), ("u64", "off")]),
    ("bpf_list_push_back_impl", "int", &[("struct bpf_list_head *", "head"), ("struct bpf_list_node *", "node"), ("void *", "meta__ign"), ("u64", "off")]),
    ("bpf_list_pop_front", "struct bpf_list_node *", &[("struct bpf_list_head *", "head")]),
    ("bpf_list_pop_back", "struct bpf_list_node *", &[("struct bpf_list_head *", "head")]),
    ("bpf_list_front", "struct bpf_list_node *", &[("struct bpf_list_head *", "head")]),
    ("bpf_list_back", "struct bpf_list_node *", &[("struct bpf_list_head *", "head")]),
    ("bpf_task_acquire", "struct task_struct *", &[("struct task_struct *", "p")]),
    ("bpf_task_release", "void", &[("struct task_struct *", "p")]),
    ("bpf_rbtree_remove", "struct bpf_rb_node *", &[("struct bpf_rb_root *", "root"), ("struct bpf_rb_node *", "node")]),
    ("bpf_rbtree_add_impl", "int", &[("struct bpf_rb_root *", "root"), ("struct bpf_rb_node *", "node"), ("bool (*)(struct bpf_rb_node *, const struct bpf_rb_node *)", "less"), ("void *", "meta__ign"), ("u64", "off")]),
    ("bpf_rbtree_first", "struct bpf_rb_node *", &[("struct bpf_rb_root *", "root")]),
    ("bpf_rbtree_root", "struct bpf_rb_node *", &[("struct bpf_rb_root *", "root")]),
    ("bpf_rbtree_left", "struct bpf_rb_node *", &[("struct bpf_rb_root *", "root"), ("struct bpf_rb_node *", "node")]),
    ("bpf_rbtree_right", "struct bpf_rb_node *", &[("struct bpf_rb_root *", "root"), ("struct bpf_rb_node *", "node")]),
    ("bpf_cgroup_acquire", "struct cgroup *", &[("struct cgroup *", "cgrp")]),
    ("bpf_cgroup_release", "void", &[("struct cgroup *", "cgrp")]),
    ("bpf_cgroup_ancestor", "struct cgroup *", &[("struct cgroup *", "cgrp"), ("int", "level")]),
    ("bpf_cgroup_from_id", "struct cgroup *", &[("u64", "cgid")]),
    ("bpf_task_under_cgroup", "long", &[("struct task_struct *", "task"), ("struct cgroup *", "ancestor")]),
    ("bpf_task_get_cgroup1", "struct cgroup *", &[("struct task_struct *", "task"), ("int", "hierarchy_id")]),
    ("bpf_task_from_pid", "struct task_struct *", &[("s32", "pid")]),
    ("bpf_task_from_vpid", "struct task_struct *", &[("s32", "vpid")]),
    ("bpf_throw", "void", &[("u64", "cookie")]),
    ("bpf_send_signal_task", "int", &[("struct task_struct *", "task"), ("int", "sig"), ("enum pid_type", "type"), ("u64", "value")]),
    // netfilter conntrack (net/netfilter/nf_conntrack_bpf.c, nf_nat_bpf.c)
    ("bpf_xdp_ct_lookup", "struct nf_conn *", &[("struct xdp_md *", "xdp_ctx"), ("struct bpf_sock_tuple *", "bpf_tuple"), ("u32", "tuple__sz"), ("struct bpf_ct_opts *", "opts"), ("u32", "opts__sz")]),
    ("bpf_skb_ct_lookup", "struct nf_conn *", &[("struct __sk_buff *", "skb_ctx"), ("struct bpf_sock_tuple *", "bpf_tuple"), ("u32", "tuple__sz"), ("struct bpf_ct_opts *", "opts"), ("u32", "opts__sz")]),
    ("bpf_xdp_ct_alloc", "struct nf_conn___init *", &[("struct xdp_md *", "xdp_ctx"), ("struct bpf_sock_tuple *", "bpf_tuple"), ("u32", "tuple__sz"), ("struct bpf_ct_opts *", "opts"), ("u32", "opts__sz")]),
    ("bpf_skb_ct_alloc", "struct nf_conn___init *", &[("struct __sk_buff *", "skb_ctx"), ("struct bpf_sock_tuple *", "bpf_tuple"), ("u32", "tuple__sz"), ("struct bpf_ct_opts *", "opts"), ("u32", "opts__sz")]),
    ("bpf_ct_insert_entry", "struct nf_conn *", &[("struct nf_conn___init *", "nfct_i")]),
    ("bpf_ct_release", "void", &[("struct nf_conn *", "nfct")]),
    ("bpf_ct_set_timeout", "void", &[("struct nf_conn___init *", "nfct"), ("u32", "timeout")]),
    ("bpf_ct_change_timeout", "int", &[("struct nf_conn *", "nfct"), ("u32", "timeout")]),
    ("bpf_ct_set_status", "int", &[("const struct nf_conn___init *", "nfct"), ("u32", "status")]),
    ("bpf_ct_change_status", "int", &[("struct nf_conn *", "nfct"), ("u32", "status")]),
    ("bpf_ct_set_nat_info", "int", &[("struct nf_conn___init *", "nfct"), ("union nf_inet_addr *", "addr"), ("int", "port"), ("enum nf_nat_manip_type", "manip")]),
];

/// Program types with an `__sk_buff` context (the dynptr engine's `Scope::Skb`).
#[rustfmt::skip]
const SKB: ProgTypes = SOCKET_FILTER | SCHED_CLS | SCHED_ACT | TRACEPOINT | PERF_EVENT | CGROUP_SKB | CGROUP_SOCK | LWT_IN | LWT_OUT
    | LWT_XMIT | SOCK_OPS | SK_SKB | CGROUP_DEVICE | CGROUP_SOCK_ADDR | LWT_SEG6LOCAL | CGROUP_SYSCTL | CGROUP_SOCKOPT | TRACING | NETFILTER;

/// The program types of the generic kfunc sets (`BPF_PROG_TYPE_UNSPEC` registrations minus the
/// types the verifier still refuses them to).
#[rustfmt::skip]
const GENERIC: ProgTypes = SCHED_CLS | TRACEPOINT | XDP | PERF_EVENT | CGROUP_SKB | CGROUP_SOCK | SOCK_OPS | CGROUP_DEVICE
    | CGROUP_SOCK_ADDR | CGROUP_SYSCTL | CGROUP_SOCKOPT | TRACING | SYSCALL;

struct KernelKfunc {
    name: &'static str,
    flags: u32,
    /// None: every established program type.
    prog_types: Option<ProgTypes>,
    dev_bound: bool,
}

const fn k(name: &'static str, flags: u32, prog_types: Option<ProgTypes>, dev_bound: bool) -> KernelKfunc {
    KernelKfunc { name, flags, prog_types, dev_bound }
}

/// The described kernel kfuncs that are not dynptr functions. The XDP metadata kfuncs are
/// registered for XDP (net/core/xdp.c); the verifier refuses them outside device-bound programs.
#[rustfmt::skip]
const KERNEL: &[KernelKfunc] = &[
    k("bpf_xdp_pull_data", 0, Some(XDP), false),
    k("bpf_xdp_metadata_rx_timestamp", KF_TRUSTED_ARGS, Some(XDP), true),
    k("bpf_xdp_metadata_rx_hash", KF_TRUSTED_ARGS, Some(XDP), true),
    k("bpf_xdp_metadata_rx_vlan_tag", KF_TRUSTED_ARGS, Some(XDP), true),
    k("bpf_cast_to_kern_ctx", KF_FASTCALL, None, false),
    k("bpf_rdonly_cast", KF_FASTCALL, None, false),
    k("bpf_rcu_read_lock", 0, None, false),
    k("bpf_rcu_read_unlock", 0, None, false),
    k("bpf_iter_num_new", KF_ITER_NEW, None, false),
    k("bpf_iter_num_next", KF_RET_NULL | KF_ITER_NEXT, None, false),
    k("bpf_iter_num_destroy", KF_ITER_DESTROY, None, false),
    k("bpf_iter_bits_new", KF_ITER_NEW, None, false),
    k("bpf_iter_bits_next", KF_RET_NULL | KF_ITER_NEXT, None, false),
    k("bpf_iter_bits_destroy", KF_ITER_DESTROY, None, false),
    k("bpf_preempt_disable", 0, None, false),
    k("bpf_preempt_enable", 0, None, false),
    k("bpf_local_irq_save", 0, None, false),
    k("bpf_local_irq_restore", 0, None, false),
    k("__bpf_trap", 0, None, false),
    k("bpf_wq_init", 0, None, false),
    k("bpf_wq_set_callback_impl", 0, None, false),
    k("bpf_wq_start", 0, None, false),
    k("bpf_probe_read_user_dynptr", 0, None, false),
    k("bpf_probe_read_kernel_dynptr", 0, None, false),
    k("bpf_probe_read_user_str_dynptr", 0, None, false),
    k("bpf_probe_read_kernel_str_dynptr", 0, None, false),
    k("bpf_copy_from_user_dynptr", KF_SLEEPABLE, None, false),
    k("bpf_copy_from_user_str_dynptr", KF_SLEEPABLE, None, false),
    k("bpf_copy_from_user_task_dynptr", KF_TRUSTED_ARGS | KF_SLEEPABLE, None, false),
    k("bpf_copy_from_user_task_str_dynptr", KF_TRUSTED_ARGS | KF_SLEEPABLE, None, false),
    k("bpf_copy_from_user_str", KF_SLEEPABLE, None, false),
    k("bpf_copy_from_user_task_str", KF_SLEEPABLE, None, false),
    k("bpf_strcmp", 0, None, false),
    k("bpf_strcasecmp", 0, None, false),
    k("bpf_strchr", 0, None, false),
    k("bpf_strchrnul", 0, None, false),
    k("bpf_strnchr", 0, None, false),
    k("bpf_strrchr", 0, None, false),
    k("bpf_strlen", 0, None, false),
    k("bpf_strnlen", 0, None, false),
    k("bpf_strspn", 0, None, false),
    k("bpf_strcspn", 0, None, false),
    k("bpf_strstr", 0, None, false),
    k("bpf_strnstr", 0, None, false),
    k("bpf_obj_new_impl", KF_ACQUIRE | KF_RET_NULL, Some(GENERIC), false),
    k("bpf_percpu_obj_new_impl", KF_ACQUIRE | KF_RET_NULL, Some(GENERIC), false),
    k("bpf_obj_drop_impl", KF_RELEASE, Some(GENERIC), false),
    k("bpf_percpu_obj_drop_impl", KF_RELEASE, Some(GENERIC), false),
    k("bpf_refcount_acquire_impl", KF_ACQUIRE | KF_RET_NULL | KF_RCU, Some(GENERIC), false),
    k("bpf_list_push_front_impl", 0, Some(GENERIC), false),
    k("bpf_list_push_back_impl", 0, Some(GENERIC), false),
    k("bpf_list_pop_front", KF_ACQUIRE | KF_RET_NULL, Some(GENERIC), false),
    k("bpf_list_pop_back", KF_ACQUIRE | KF_RET_NULL, Some(GENERIC), false),
    k("bpf_list_front", KF_RET_NULL, Some(GENERIC), false),
    k("bpf_list_back", KF_RET_NULL, Some(GENERIC), false),
    k("bpf_task_acquire", KF_ACQUIRE | KF_RET_NULL | KF_RCU, Some(GENERIC), false),
    k("bpf_task_release", KF_RELEASE, Some(GENERIC), false),
    k("bpf_rbtree_remove", KF_ACQUIRE | KF_RET_NULL, Some(GENERIC), false),
    k("bpf_rbtree_add_impl", 0, Some(GENERIC), false),
    k("bpf_rbtree_first", KF_RET_NULL, Some(GENERIC), false),
    k("bpf_rbtree_root", KF_RET_NULL, Some(GENERIC), false),
    k("bpf_rbtree_left", KF_RET_NULL, Some(GENERIC), false),
    k("bpf_rbtree_right", KF_RET_NULL, Some(GENERIC), false),
    k("bpf_cgroup_acquire", KF_ACQUIRE | KF_RET_NULL | KF_RCU, Some(GENERIC), false),
    k("bpf_cgroup_release", KF_RELEASE, Some(GENERIC), false),
    k("bpf_cgroup_ancestor", KF_ACQUIRE | KF_RET_NULL | KF_RCU, Some(GENERIC), false),
    k("bpf_cgroup_from_id", KF_ACQUIRE | KF_RET_NULL, Some(GENERIC), false),
    k("bpf_task_under_cgroup", KF_RCU, Some(GENERIC), false),
    k("bpf_task_get_cgroup1", KF_ACQUIRE | KF_RET_NULL | KF_RCU, Some(GENERIC), false),
    k("bpf_task_from_pid", KF_ACQUIRE | KF_RET_NULL, Some(GENERIC), false),
    k("bpf_task_from_vpid", KF_ACQUIRE | KF_RET_NULL, Some(GENERIC), false),
    k("bpf_throw", 0, Some(GENERIC), false),
    k("bpf_send_signal_task", KF_TRUSTED_ARGS, Some(GENERIC), false),
    // netfilter conntrack: XDP and tc. The live 6.18 treats the lookup and alloc arguments as
    // trusted (a NULL tuple or opts is refused), release ones as every release kfunc's.
    k("bpf_xdp_ct_alloc", KF_ACQUIRE | KF_RET_NULL | KF_TRUSTED_ARGS, Some(SCHED_CLS | XDP), false),
    k("bpf_xdp_ct_lookup", KF_ACQUIRE | KF_RET_NULL | KF_TRUSTED_ARGS, Some(SCHED_CLS | XDP), false),
    k("bpf_skb_ct_alloc", KF_ACQUIRE | KF_RET_NULL | KF_TRUSTED_ARGS, Some(SCHED_CLS | XDP), false),
    k("bpf_skb_ct_lookup", KF_ACQUIRE | KF_RET_NULL | KF_TRUSTED_ARGS, Some(SCHED_CLS | XDP), false),
    k("bpf_ct_insert_entry", KF_ACQUIRE | KF_RET_NULL | KF_RELEASE, Some(SCHED_CLS | XDP), false),
    k("bpf_ct_release", KF_RELEASE, Some(SCHED_CLS | XDP), false),
    k("bpf_ct_set_timeout", KF_TRUSTED_ARGS, Some(SCHED_CLS | XDP), false),
    k("bpf_ct_change_timeout", KF_TRUSTED_ARGS, Some(SCHED_CLS | XDP), false),
    k("bpf_ct_set_status", KF_TRUSTED_ARGS, Some(SCHED_CLS | XDP), false),
    k("bpf_ct_change_status", KF_TRUSTED_ARGS, Some(SCHED_CLS | XDP), false),
    k("bpf_ct_set_nat_info", KF_TRUSTED_ARGS, Some(SCHED_CLS | XDP), false),
];

/// The other kfuncs of the 6.18 kernel (vmlinux BTF of the probing kernel's configuration), by
/// the program types that accept them (None: every established one; 0: none established —
/// struct_ops congestion control, LSM, fentry test targets, kprobe sessions, socket iterators).
#[rustfmt::skip]
const OTHER_KERNEL_KFUNCS: &[(Option<ProgTypes>, &[&str])] = &[
    (None, &["bpf_arena_alloc_pages", "bpf_arena_free_pages", "bpf_arena_reserve_pages", "bpf_cgroup_read_xattr", "bpf_get_kmem_cache", "bpf_iter_css_destroy", "bpf_iter_css_new", "bpf_iter_css_next", "bpf_iter_css_task_destroy", "bpf_iter_css_task_new", "bpf_iter_css_task_next", "bpf_iter_dmabuf_destroy", "bpf_iter_dmabuf_new", "bpf_iter_dmabuf_next", "bpf_iter_kmem_cache_destroy", "bpf_iter_kmem_cache_new", "bpf_iter_kmem_cache_next", "bpf_iter_task_destroy", "bpf_iter_task_new", "bpf_iter_task_next", "bpf_iter_task_vma_destroy", "bpf_iter_task_vma_new", "bpf_iter_task_vma_next", "bpf_map_sum_elem_count", "bpf_modify_return_test_tp", "bpf_res_spin_lock", "bpf_res_spin_lock_irqsave", "bpf_res_spin_unlock", "bpf_res_spin_unlock_irqrestore", "bpf_stream_vprintk_impl", "bpf_task_work_schedule_resume_impl", "bpf_task_work_schedule_signal_impl"]),
    (Some(SCHED_CLS | TRACEPOINT | XDP | PERF_EVENT | CGROUP_SKB | CGROUP_SOCK | SOCK_OPS | CGROUP_DEVICE | CGROUP_SOCK_ADDR | CGROUP_SYSCTL | CGROUP_SOCKOPT | TRACING | SYSCALL), &["bpf_key_put", "bpf_lookup_system_key", "bpf_lookup_user_key"]),
    (Some(CGROUP_SKB | CGROUP_SOCK | SOCK_OPS | CGROUP_DEVICE | CGROUP_SOCK_ADDR | CGROUP_SYSCTL | CGROUP_SOCKOPT), &["bpf_sock_addr_set_sun_path", "bpf_sock_ops_enable_tx_tstamp"]),
    (Some(SCHED_CLS | TRACEPOINT | PERF_EVENT | TRACING | SYSCALL), &["bpf_kfunc_call_memb_release", "bpf_kfunc_call_test_release"]),
    (Some(TRACEPOINT | PERF_EVENT | TRACING | SYSCALL), &["bpf_cpumask_acquire", "bpf_cpumask_and", "bpf_cpumask_any_and_distribute", "bpf_cpumask_any_distribute", "bpf_cpumask_clear", "bpf_cpumask_clear_cpu", "bpf_cpumask_copy", "bpf_cpumask_create", "bpf_cpumask_empty", "bpf_cpumask_equal", "bpf_cpumask_first", "bpf_cpumask_first_and", "bpf_cpumask_first_zero", "bpf_cpumask_full", "bpf_cpumask_intersects", "bpf_cpumask_or", "bpf_cpumask_populate", "bpf_cpumask_release", "bpf_cpumask_set_cpu", "bpf_cpumask_setall", "bpf_cpumask_subset", "bpf_cpumask_test_and_clear_cpu", "bpf_cpumask_test_and_set_cpu", "bpf_cpumask_test_cpu", "bpf_cpumask_weight", "bpf_cpumask_xor"]),
    (Some(SCHED_CLS | SCHED_ACT | XDP), &["bpf_crypto_decrypt", "bpf_crypto_encrypt"]),
    (Some(TRACEPOINT | PERF_EVENT | TRACING), &["css_rstat_flush", "css_rstat_updated"]),
    (Some(SYSCALL), &["bpf_crypto_ctx_acquire", "bpf_crypto_ctx_create", "bpf_crypto_ctx_release"]),
    (Some(SCHED_CLS), &["bpf_sk_assign_tcp_reqsk"]),
    (Some(XDP), &["bpf_xdp_get_xfrm_state", "bpf_xdp_xfrm_state_release"]),
    (Some(0), &["bbr_cwnd_event", "bbr_init", "bbr_main", "bbr_min_tso_segs", "bbr_set_state", "bbr_sndbuf_expand", "bbr_ssthresh", "bbr_undo_cwnd", "bpf_fentry_test1", "bpf_get_dentry_xattr", "bpf_get_file_xattr", "bpf_get_task_exe_file", "bpf_modify_return_test", "bpf_modify_return_test2", "bpf_path_d_path", "bpf_put_file", "bpf_remove_dentry_xattr", "bpf_session_cookie", "bpf_session_is_return", "bpf_set_dentry_xattr", "bpf_sock_destroy", "cubictcp_acked", "cubictcp_cong_avoid", "cubictcp_cwnd_event", "cubictcp_init", "cubictcp_recalc_ssthresh", "cubictcp_state", "tcp_cong_avoid_ai", "tcp_reno_cong_avoid", "tcp_reno_ssthresh", "tcp_reno_undo_cwnd", "tcp_slow_start"]),
];

/// Kernel kfuncs not described in full that are KF_SLEEPABLE (the verifier asks for a sleepable
/// program before anything else about them).
const SLEEPABLE_OTHERS: &[&str] = &[
    "bpf_arena_alloc_pages",
    "bpf_arena_free_pages",
    "bpf_arena_reserve_pages",
    "bpf_iter_dmabuf_new",
    "bpf_iter_dmabuf_next",
    "bpf_iter_dmabuf_destroy",
    "bpf_iter_kmem_cache_new",
    "bpf_iter_kmem_cache_next",
    "bpf_iter_kmem_cache_destroy",
    "bpf_lookup_user_key",
    "css_rstat_flush",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A Linux kfunc.
    Kernel,
    /// The seed's convenience API: offered by uxdp only, on request.
    Seed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KfuncArg {
    /// The parameter name without its annotation.
    pub name: String,
    /// The C type.
    pub ty: &'static str,
    /// The verifier's name-suffix annotation (`__uninit`, `__opt`, `__szk`, ...).
    pub annotation: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct Kfunc {
    pub name: &'static str,
    pub flags: u32,
    pub args: Vec<KfuncArg>,
    /// The C return type.
    pub ret: &'static str,
    /// None: every established program type.
    pub prog_types: Option<ProgTypes>,
    pub origin: Origin,
    /// Derived from the dynptr engine's table (which implements every one of them).
    pub dynptr: bool,
    /// The first Linux release with it (see [`super::lifecycle`]).
    pub since: Option<&'static str>,
    /// Needs a device-bound XDP program (the metadata kfuncs).
    pub dev_bound: bool,
}

impl Kfunc {
    pub fn allowed_in(&self, prog_type: u32) -> bool {
        allowed(self.prog_types, prog_type)
    }
}

/// Whether a kfunc set of program types (None: all established) includes this one.
pub fn allowed(prog_types: Option<ProgTypes>, prog_type: u32) -> bool {
    prog_types.unwrap_or(ESTABLISHED) & super::prog_type_bit(prog_type) != 0
}

fn arg(ty: &'static str, full: &str) -> KfuncArg {
    match ANNOTATIONS.iter().find(|a| full.len() > a.len() && full.ends_with(*a)) {
        Some(a) => KfuncArg { name: full[..full.len() - a.len()].to_string(), ty, annotation: Some(a) },
        None => KfuncArg { name: full.to_string(), ty, annotation: None },
    }
}

fn scope_prog_types(scope: Scope) -> Option<ProgTypes> {
    match scope {
        Scope::All => None,
        Scope::Xdp => Some(XDP),
        Scope::Tc => Some(SCHED_CLS | SCHED_ACT),
        Scope::Skb => Some(SKB),
    }
}

fn signature(name: &str) -> &'static Signature {
    SIGNATURES.iter().find(|s| s.0 == name).unwrap_or_else(|| panic!("no C prototype for kernel kfunc {name}"))
}

/// The seed's functions have no kernel prototype: their C types follow the engine's argument kinds.
fn seed_arg(i: usize, kind: Arg) -> KfuncArg {
    let (name, ty, annotation) = match kind {
        Arg::Dynptr => ("p", "const struct bpf_dynptr *", None),
        Arg::DynptrMut => ("p", "struct bpf_dynptr *", None),
        Arg::DynptrUninit => ("clone", "struct bpf_dynptr *", Some("__uninit")),
        Arg::Callback => ("callback", "long (*)(struct bpf_dynptr *, void *)", None),
        Arg::CallbackCtx => ("callback_ctx", "void *", None),
        Arg::U64 => ("flags", "u64", None),
        Arg::U32 => ("", "u32", None),
        other => panic!("no seed kfunc takes {other:?}"),
    };
    let name = if name.is_empty() {
        if i == 0 {
            "p".to_string()
        } else {
            format!("arg{}", i + 1)
        }
    } else {
        name.to_string()
    };
    KfuncArg { name, ty, annotation }
}

fn from_dynptr(d: &DynptrFunction) -> Kfunc {
    let Call::Kfunc { flags } = d.call else { unreachable!("helpers are not kfuncs") };
    match d.origin {
        DynptrOrigin::Kernel { since } => {
            let (_, ret, args) = signature(d.name);
            Kfunc {
                name: d.name,
                flags,
                args: args.iter().map(|&(t, n)| arg(t, n)).collect(),
                ret,
                prog_types: scope_prog_types(d.scope),
                origin: Origin::Kernel,
                dynptr: true,
                since: Some(since),
                dev_bound: false,
            }
        }
        DynptrOrigin::Seed { .. } => Kfunc {
            name: d.name,
            flags,
            args: d.args.iter().enumerate().map(|(i, &a)| seed_arg(i, a)).collect(),
            ret: match d.ret {
                Ret::Errno => "long",
                Ret::Bool => "bool",
                Ret::U32 => "__u32",
                Ret::MemOrNull => "void *",
                Ret::Void => "void",
            },
            prog_types: scope_prog_types(d.scope),
            origin: Origin::Seed,
            dynptr: true,
            since: None,
            dev_bound: false,
        },
    }
}

struct Tables {
    kernel: Vec<Kfunc>,
    seed: Vec<Kfunc>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let dynptr = DYNPTR_FUNCTIONS.iter().filter(|d| matches!(d.call, Call::Kfunc { .. }));
        let mut kernel: Vec<Kfunc> = dynptr.clone().filter(|d| matches!(d.origin, DynptrOrigin::Kernel { .. })).map(from_dynptr).collect();
        kernel.extend(KERNEL.iter().map(|k| {
            let (_, ret, args) = signature(k.name);
            Kfunc {
                name: k.name,
                flags: k.flags,
                args: args.iter().map(|&(t, n)| arg(t, n)).collect(),
                ret,
                prog_types: k.prog_types,
                origin: Origin::Kernel,
                dynptr: false,
                since: super::lifecycle::kfunc_since(k.name),
                dev_bound: k.dev_bound,
            }
        }));
        let seed = dynptr.filter(|d| matches!(d.origin, DynptrOrigin::Seed { .. })).map(from_dynptr).collect();
        Tables { kernel, seed }
    })
}

/// The kernel kfuncs described in full: every dynptr kfunc, XDP's, and the generic ones.
pub fn kernel_kfuncs() -> &'static [Kfunc] {
    &tables().kernel
}

/// The seed's convenience kfuncs (uxdp extensions, opt-in). Three share a kernel kfunc's name
/// (bpf_dynptr_is_null, _is_rdonly, _clone; the seed's clone takes an offset).
pub fn seed_kfuncs() -> &'static [Kfunc] {
    &tables().seed
}

/// The seed's proposed helper with this id (214..=221: advance, trim, is_null, is_rdonly,
/// get_size, get_offset, clone, iterator), as the kfunc uxdp implements it: the ids never
/// reached uapi (the freeze made them kfuncs), so only the `seed-helpers` profile offers them.
pub fn seed_helper(id: i64) -> Option<&'static Kfunc> {
    let d = DYNPTR_FUNCTIONS.iter().find(|d| matches!(d.origin, DynptrOrigin::Seed { proposed_helper } if i64::from(proposed_helper) == id))?;
    seed_kfuncs().iter().find(|k| k.name == d.name)
}

/// The described kfunc a program sees under this name: with `seed`, the seed's version first.
pub fn kfunc(name: &str, seed: bool) -> Option<&'static Kfunc> {
    let find = |t: &'static [Kfunc]| t.iter().find(|k| k.name == name);
    if seed {
        find(seed_kfuncs()).or_else(|| find(kernel_kfuncs()))
    } else {
        find(kernel_kfuncs())
    }
}

/// Every kfunc name of the 6.18 kernel with the program types that may call it (described ones
/// first, in table order).
pub fn kernel_kfunc_prog_types() -> impl Iterator<Item = (&'static str, Option<ProgTypes>)> {
    kernel_kfuncs()
        .iter()
        .map(|k| (k.name, k.prog_types))
        .chain(OTHER_KERNEL_KFUNCS.iter().flat_map(|(types, names)| names.iter().map(move |n| (*n, *types))))
}

/// The program types of a kernel kfunc by name; None when no kernel has it.
pub fn kernel_kfunc(name: &str) -> Option<Option<ProgTypes>> {
    kernel_kfunc_prog_types().find(|k| k.0 == name).map(|k| k.1)
}

/// Whether a kernel kfunc is KF_SLEEPABLE.
pub fn kernel_kfunc_sleeps(name: &str) -> bool {
    match kernel_kfuncs().iter().find(|k| k.name == name) {
        Some(k) => k.flags & KF_SLEEPABLE != 0,
        None => SLEEPABLE_OTHERS.contains(&name),
    }
}

/// The names of the sleepable kernel kfuncs.
pub fn sleepable_kernel_kfuncs() -> impl Iterator<Item = &'static str> {
    kernel_kfuncs().iter().filter(|k| k.flags & KF_SLEEPABLE != 0).map(|k| k.name).chain(SLEEPABLE_OTHERS.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kernel_kfunc_is_named_once() {
        let mut names: Vec<&str> = kernel_kfunc_prog_types().map(|k| k.0).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!((n, names.len()), (203, 203));
        assert_eq!(SIGNATURES.len(), kernel_kfuncs().len(), "every prototype is used");
        assert!(SLEEPABLE_OTHERS.iter().all(|s| kernel_kfunc(s).is_some()));
    }

    #[test]
    fn annotations_are_split_off_parameter_names() {
        let slice = kfunc("bpf_dynptr_slice", false).unwrap();
        let ann: Vec<Option<&str>> = slice.args.iter().map(|a| a.annotation).collect();
        assert_eq!(ann, [None, None, Some("__opt"), Some("__szk")]);
        assert_eq!(slice.args[3].name, "buffer");
        assert_eq!(kfunc("bpf_dynptr_clone", true).unwrap().args.len(), 3);
        assert!(kfunc("bpf_dynptr_advance", false).is_none());
    }
}
