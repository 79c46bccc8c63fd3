//! Every uapi helper (`enum bpf_func_id`, 1..=211; 0 is `BPF_FUNC_unspec`): which program types
//! get it, GPL-only-ness, the capability `bpf_base_func_proto` / `bpf_sk_base_func_proto` want,
//! whether it changes packet data, and the full prototype (`struct bpf_func_proto`) of every
//! helper an XDP program can call. No helper was added after 211 (the helper freeze): new kernel
//! functions are kfuncs.
//!
//! Prototypes are XDP's (`xdp_func_proto`, falling back to `bpf_sk_base_func_proto` and
//! `bpf_base_func_proto`): where XDP has its own variant the XDP one is given (perf_event_output
//! is `bpf_xdp_event_output_proto`; helper 121, bpf_xdp_output, is the tracing-side one;
//! redirect, redirect_map, fib_lookup, check_mtu and the socket lookups are the `bpf_xdp_*`
//! prototypes). As of 6.18.y: fib_lookup's params carry MEM_WRITE, snprintf's buffer MEM_WRITE,
//! the raw syncookie helpers' headers MEM_RDONLY ("bpf: Fix memory access flags in helper
//! prototypes"), and xdp_store_bytes reads its buffer as MEM_RDONLY ("bpf: Fix
//! bpf_xdp_store_bytes proto for read-only arg"); 6.18.0 had plain ARG_PTR_TO_MEM /
//! ARG_PTR_TO_FIXED_SIZE_MEM and ARG_PTR_TO_UNINIT_MEM there.

use std::sync::OnceLock;

use super::pt::*;
use super::ProgTypes;
use crate::errno::Errno;

/// The last helper id: the helper freeze.
pub const LAST_HELPER_ID: u32 = 211;

/// Every uapi helper name, indexed by id.
#[rustfmt::skip]
pub const HELPER_NAMES: [&str; 212] = [
    "bpf_unspec", "bpf_map_lookup_elem", "bpf_map_update_elem", "bpf_map_delete_elem", "bpf_probe_read",
    "bpf_ktime_get_ns", "bpf_trace_printk", "bpf_get_prandom_u32", "bpf_get_smp_processor_id", "bpf_skb_store_bytes",
    "bpf_l3_csum_replace", "bpf_l4_csum_replace", "bpf_tail_call", "bpf_clone_redirect", "bpf_get_current_pid_tgid",
    "bpf_get_current_uid_gid", "bpf_get_current_comm", "bpf_get_cgroup_classid", "bpf_skb_vlan_push",
    "bpf_skb_vlan_pop", "bpf_skb_get_tunnel_key", "bpf_skb_set_tunnel_key", "bpf_perf_event_read", "bpf_redirect",
    "bpf_get_route_realm", "bpf_perf_event_output", "bpf_skb_load_bytes", "bpf_get_stackid", "bpf_csum_diff",
    "bpf_skb_get_tunnel_opt", "bpf_skb_set_tunnel_opt", "bpf_skb_change_proto", "bpf_skb_change_type",
    "bpf_skb_under_cgroup", "bpf_get_hash_recalc", "bpf_get_current_task", "bpf_probe_write_user",
    "bpf_current_task_under_cgroup", "bpf_skb_change_tail", "bpf_skb_pull_data", "bpf_csum_update",
    "bpf_set_hash_invalid", "bpf_get_numa_node_id", "bpf_skb_change_head", "bpf_xdp_adjust_head",
    "bpf_probe_read_str", "bpf_get_socket_cookie", "bpf_get_socket_uid", "bpf_set_hash", "bpf_setsockopt",
    "bpf_skb_adjust_room", "bpf_redirect_map", "bpf_sk_redirect_map", "bpf_sock_map_update", "bpf_xdp_adjust_meta",
    "bpf_perf_event_read_value", "bpf_perf_prog_read_value", "bpf_getsockopt", "bpf_override_return",
    "bpf_sock_ops_cb_flags_set", "bpf_msg_redirect_map", "bpf_msg_apply_bytes", "bpf_msg_cork_bytes",
    "bpf_msg_pull_data", "bpf_bind", "bpf_xdp_adjust_tail", "bpf_skb_get_xfrm_state", "bpf_get_stack",
    "bpf_skb_load_bytes_relative", "bpf_fib_lookup", "bpf_sock_hash_update", "bpf_msg_redirect_hash",
    "bpf_sk_redirect_hash", "bpf_lwt_push_encap", "bpf_lwt_seg6_store_bytes", "bpf_lwt_seg6_adjust_srh",
    "bpf_lwt_seg6_action", "bpf_rc_repeat", "bpf_rc_keydown", "bpf_skb_cgroup_id", "bpf_get_current_cgroup_id",
    "bpf_get_local_storage", "bpf_sk_select_reuseport", "bpf_skb_ancestor_cgroup_id", "bpf_sk_lookup_tcp",
    "bpf_sk_lookup_udp", "bpf_sk_release", "bpf_map_push_elem", "bpf_map_pop_elem", "bpf_map_peek_elem",
    "bpf_msg_push_data", "bpf_msg_pop_data", "bpf_rc_pointer_rel", "bpf_spin_lock", "bpf_spin_unlock",
    "bpf_sk_fullsock", "bpf_tcp_sock", "bpf_skb_ecn_set_ce", "bpf_get_listener_sock", "bpf_skc_lookup_tcp",
    "bpf_tcp_check_syncookie", "bpf_sysctl_get_name", "bpf_sysctl_get_current_value", "bpf_sysctl_get_new_value",
    "bpf_sysctl_set_new_value", "bpf_strtol", "bpf_strtoul", "bpf_sk_storage_get", "bpf_sk_storage_delete",
    "bpf_send_signal", "bpf_tcp_gen_syncookie", "bpf_skb_output", "bpf_probe_read_user", "bpf_probe_read_kernel",
    "bpf_probe_read_user_str", "bpf_probe_read_kernel_str", "bpf_tcp_send_ack", "bpf_send_signal_thread",
    "bpf_jiffies64", "bpf_read_branch_records", "bpf_get_ns_current_pid_tgid", "bpf_xdp_output",
    "bpf_get_netns_cookie", "bpf_get_current_ancestor_cgroup_id", "bpf_sk_assign", "bpf_ktime_get_boot_ns",
    "bpf_seq_printf", "bpf_seq_write", "bpf_sk_cgroup_id", "bpf_sk_ancestor_cgroup_id", "bpf_ringbuf_output",
    "bpf_ringbuf_reserve", "bpf_ringbuf_submit", "bpf_ringbuf_discard", "bpf_ringbuf_query", "bpf_csum_level",
    "bpf_skc_to_tcp6_sock", "bpf_skc_to_tcp_sock", "bpf_skc_to_tcp_timewait_sock", "bpf_skc_to_tcp_request_sock",
    "bpf_skc_to_udp6_sock", "bpf_get_task_stack", "bpf_load_hdr_opt", "bpf_store_hdr_opt", "bpf_reserve_hdr_opt",
    "bpf_inode_storage_get", "bpf_inode_storage_delete", "bpf_d_path", "bpf_copy_from_user", "bpf_snprintf_btf",
    "bpf_seq_printf_btf", "bpf_skb_cgroup_classid", "bpf_redirect_neigh", "bpf_per_cpu_ptr", "bpf_this_cpu_ptr",
    "bpf_redirect_peer", "bpf_task_storage_get", "bpf_task_storage_delete", "bpf_get_current_task_btf",
    "bpf_bprm_opts_set", "bpf_ktime_get_coarse_ns", "bpf_ima_inode_hash", "bpf_sock_from_file", "bpf_check_mtu",
    "bpf_for_each_map_elem", "bpf_snprintf", "bpf_sys_bpf", "bpf_btf_find_by_name_kind", "bpf_sys_close",
    "bpf_timer_init", "bpf_timer_set_callback", "bpf_timer_start", "bpf_timer_cancel", "bpf_get_func_ip",
    "bpf_get_attach_cookie", "bpf_task_pt_regs", "bpf_get_branch_snapshot", "bpf_trace_vprintk",
    "bpf_skc_to_unix_sock", "bpf_kallsyms_lookup_name", "bpf_find_vma", "bpf_loop", "bpf_strncmp",
    "bpf_get_func_arg", "bpf_get_func_ret", "bpf_get_func_arg_cnt", "bpf_get_retval", "bpf_set_retval",
    "bpf_xdp_get_buff_len", "bpf_xdp_load_bytes", "bpf_xdp_store_bytes", "bpf_copy_from_user_task",
    "bpf_skb_set_tstamp", "bpf_ima_file_hash", "bpf_kptr_xchg", "bpf_map_lookup_percpu_elem",
    "bpf_skc_to_mptcp_sock", "bpf_dynptr_from_mem", "bpf_ringbuf_reserve_dynptr", "bpf_ringbuf_submit_dynptr",
    "bpf_ringbuf_discard_dynptr", "bpf_dynptr_read", "bpf_dynptr_write", "bpf_dynptr_data",
    "bpf_tcp_raw_gen_syncookie_ipv4", "bpf_tcp_raw_gen_syncookie_ipv6", "bpf_tcp_raw_check_syncookie_ipv4",
    "bpf_tcp_raw_check_syncookie_ipv6", "bpf_ktime_get_tai_ns", "bpf_user_ringbuf_drain", "bpf_cgrp_storage_get",
    "bpf_cgrp_storage_delete",
];

/// Which program types accept each helper (helpers in no group are accepted by none established:
/// they need fentry/fexit, iterators, LSM, struct_ops, lirc or a kprobe override the probe lacked).
#[rustfmt::skip]
const GROUPS: &[(ProgTypes, &[u32])] = &[
    (ESTABLISHED, &[1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 35, 37, 42, 55, 80, 87, 88, 89, 93, 94, 105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158, 164, 165, 169, 170, 171, 172, 175, 176, 177, 180, 181, 182, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]),
    (ESTABLISHED & !(SK_REUSEPORT | FLOW_DISSECTOR | NETFILTER), &[25]),
    (ESTABLISHED & !(KPROBE | TRACEPOINT | PERF_EVENT | CGROUP_DEVICE | RAW_TRACEPOINT | RAW_TRACEPOINT_WRITABLE | CGROUP_SOCKOPT | TRACING | SYSCALL | NETFILTER), &[160]),
    (ESTABLISHED & !(KPROBE | TRACEPOINT | PERF_EVENT | CGROUP_SOCK | CGROUP_DEVICE | RAW_TRACEPOINT | SK_REUSEPORT | CGROUP_SYSCTL | RAW_TRACEPOINT_WRITABLE | CGROUP_SOCKOPT | NETFILTER), &[136, 137, 138, 139, 140, 178, 196]),
    (SOCKET_FILTER | SCHED_CLS | SCHED_ACT | CGROUP_SKB | LWT_IN | LWT_OUT | LWT_XMIT | SK_SKB | LWT_SEG6LOCAL | SK_REUSEPORT | FLOW_DISSECTOR, &[26]),
    (SOCKET_FILTER | SCHED_CLS | SCHED_ACT | CGROUP_SKB | CGROUP_SOCK | SOCK_OPS | SK_SKB | CGROUP_SOCK_ADDR | SK_REUSEPORT | TRACING | SYSCALL, &[46]),
    (SCHED_CLS | SCHED_ACT | CGROUP_SKB | CGROUP_SOCK | SOCK_OPS | SK_MSG | CGROUP_SOCK_ADDR | CGROUP_SOCKOPT | TRACING, &[107]),
    (SCHED_CLS | SCHED_ACT | CGROUP_SKB | SOCK_OPS | SK_MSG | CGROUP_SOCK_ADDR | CGROUP_SOCKOPT | TRACING, &[108]),
    (SOCKET_FILTER | SCHED_CLS | SCHED_ACT | CGROUP_SKB | CGROUP_SOCK | SOCK_OPS | SK_MSG | CGROUP_SOCK_ADDR | CGROUP_SOCKOPT, &[122]),
    (KPROBE | TRACEPOINT | PERF_EVENT | RAW_TRACEPOINT | RAW_TRACEPOINT_WRITABLE | TRACING | SYSCALL, &[4, 27, 45, 67]),
    (SCHED_CLS | SCHED_ACT | XDP | LWT_IN | LWT_OUT | LWT_XMIT | LWT_SEG6LOCAL, &[28]),
    (SCHED_CLS | SCHED_ACT | LWT_IN | LWT_OUT | LWT_XMIT | SK_SKB | LWT_SEG6LOCAL, &[39]),
    (CGROUP_SKB | CGROUP_SOCK | SOCK_OPS | CGROUP_DEVICE | CGROUP_SOCK_ADDR | CGROUP_SYSCTL | CGROUP_SOCKOPT, &[81]),
    (SCHED_CLS | SCHED_ACT | XDP | CGROUP_SKB | SK_SKB | CGROUP_SOCK_ADDR | SK_LOOKUP, &[86]),
    (SCHED_CLS | SCHED_ACT | LWT_IN | LWT_OUT | LWT_XMIT | LWT_SEG6LOCAL, &[24, 33, 34]),
    (SCHED_CLS | SCHED_ACT | XDP | CGROUP_SKB | SK_SKB | CGROUP_SOCK_ADDR, &[84, 85, 99]),
    (KPROBE | TRACEPOINT | PERF_EVENT | RAW_TRACEPOINT | RAW_TRACEPOINT_WRITABLE | TRACING, &[174]),
    (SOCKET_FILTER | SCHED_CLS | SCHED_ACT | CGROUP_SKB | SK_SKB, &[47]),
    (SOCKET_FILTER | SCHED_CLS | SCHED_ACT | CGROUP_SKB | SK_REUSEPORT, &[68]),
    (SCHED_CLS | SCHED_ACT | CGROUP_SKB | SOCK_OPS | CGROUP_SOCKOPT, &[96]),
    (SCHED_CLS | SCHED_ACT | LWT_XMIT | SK_SKB, &[9, 38, 43]),
    (SCHED_CLS | SCHED_ACT | XDP | LWT_XMIT, &[23]),
    (SCHED_CLS | SCHED_ACT | LWT_XMIT, &[10, 11, 13, 20, 21, 29, 30, 40, 41, 135]),
    (SOCK_OPS | CGROUP_SOCK_ADDR | CGROUP_SOCKOPT, &[49, 57]),
    (SCHED_CLS | SCHED_ACT | SK_SKB, &[50]),
    (SCHED_CLS | SCHED_ACT | XDP, &[69, 100, 110, 163, 204, 205, 206, 207]),
    (SCHED_CLS | SCHED_ACT | CGROUP_SKB, &[79, 83, 95, 97, 98]),
    (SCHED_CLS | SCHED_ACT | SK_LOOKUP, &[124]),
    (CGROUP_SOCK | CGROUP_SOCK_ADDR | CGROUP_SOCKOPT, &[186, 187]),
    (XDP | TRACING | SYSCALL, &[188]),
    (SCHED_CLS | SCHED_ACT, &[18, 19, 31, 32, 48, 66, 151, 152, 155, 192]),
    (LWT_IN | LWT_XMIT, &[73]),
    (TRACING | SYSCALL, &[111, 121, 162]),
    (XDP, &[44, 51, 54, 65, 189, 190]),
    (SK_SKB, &[52, 72]),
    (SOCK_OPS, &[53, 59, 70, 142, 143, 144]),
    (PERF_EVENT, &[56, 119]),
    (SK_MSG, &[60, 61, 62, 63, 71, 90, 91]),
    (CGROUP_SOCK_ADDR, &[64]),
    (LWT_SEG6LOCAL, &[74, 75, 76]),
    (SK_REUSEPORT, &[82]),
    (CGROUP_SYSCTL, &[101, 102, 103, 104]),
    (CGROUP_SKB, &[128, 129]),
    (SYSCALL, &[166, 167, 168, 179]),
    (KPROBE, &[173]),
];

/// The helpers whose prototype is GPL-only (the verifier refused them to a proprietary program).
#[rustfmt::skip]
const GPL_ONLY: &[u32] = &[
    4, 6, 22, 25, 27, 35, 45, 55, 56, 67, 69, 100, 110, 111, 112, 113, 114, 115, 119, 121, 158, 163, 165, 169, 170, 171, 172,
    173, 175, 176, 177, 191, 204, 205, 206, 207,
];

/// bpf_get_stackid's perf_event prototype (`bpf_get_stackid_proto_pe`) is not GPL-only.
const GPL_ONLY_EXCEPT: &[(u32, ProgTypes)] = &[(27, PERF_EVENT)];

/// Helpers `bpf_base_func_proto` offers only with CAP_BPF.
#[rustfmt::skip]
const NEEDS_CAP_BPF: &[u32] = &[
    17, 37, 80, 93, 94, 118, 123, 153, 154, 156, 157, 164, 169, 170, 171, 172, 181, 194, 197, 198, 199, 200, 201, 202, 203, 209,
    210, 211,
];

/// Helpers `bpf_base_func_proto` (and, for the skc_to_* casts, `bpf_sk_base_func_proto`) offer
/// only with CAP_PERFMON.
#[rustfmt::skip]
const NEEDS_CAP_PERFMON: &[u32] = &[
    6, 16, 22, 35, 55, 109, 112, 113, 114, 115, 117, 136, 137, 138, 139, 140, 141, 148, 149, 158, 165, 175, 176, 177, 178, 180,
    191, 196,
];

/// `bpf_helper_changes_pkt_data`: after these the verifier forgets every packet pointer (a tail
/// call may run any of them).
#[rustfmt::skip]
const CHANGES_PKT_DATA: &[u32] = &[
    9, 10, 11, 12, 13, 18, 19, 31, 38, 39, 43, 44, 50, 54, 63, 65, 73, 74, 75, 76, 90, 91, 143,
];

/// Program types that have a helper's prototype yet refuse the call after the prototype and GPL
/// checks: bpf_get_func_ip outside kprobes and fentry/fexit/fmod_ret (ENOTSUPP), and helpers
/// whose prototype's `allowed()` rejects the program (bpf_d_path outside allowlisted fentry
/// targets, bpf_sk_storage_get/delete in syscall programs).
const LATE_REFUSALS: &[(u32, ProgTypes, Late)] = &[
    (107, SYSCALL, Late::NotInProbe),
    (108, SYSCALL, Late::NotInProbe),
    (147, TRACING | SYSCALL, Late::NotInProbe),
    (173, TRACEPOINT | PERF_EVENT | RAW_TRACEPOINT | RAW_TRACEPOINT_WRITABLE | SYSCALL, Late::FuncIpUnsupported),
    (173, TRACING, Late::FuncIpFentryOnly),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Late {
    NotInProbe,
    FuncIpUnsupported,
    FuncIpFentryOnly,
}

impl Late {
    /// The verifier's words and errno for this refusal of helper `id` in `prog_type`.
    pub fn refusal(self, id: u32, prog_type: u32) -> (String, Errno) {
        let name = HELPER_NAMES[id as usize];
        match self {
            Late::NotInProbe => ("helper call is not allowed in probe".into(), Errno::EINVAL),
            Late::FuncIpUnsupported => (format!("func {name}#{id} not supported for program type {prog_type}"), Errno::ENOTSUPP),
            Late::FuncIpFentryOnly => (format!("func {name}#{id} supported only for fentry/fexit/fmod_ret programs"), Errno::ENOTSUPP),
        }
    }
}

/// The capability a helper wants beyond the program type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    Bpf,
    Perfmon,
}

impl Cap {
    pub fn name(self) -> &'static str {
        match self {
            Cap::Bpf => "CAP_BPF",
            Cap::Perfmon => "CAP_PERFMON",
        }
    }
}

/// A `struct bpf_func_proto`: the return and argument types as the kernel spells them (see
/// [`super::type_value`] for their numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proto {
    pub ret: &'static str,
    pub args: &'static [&'static str],
    /// `might_sleep`: callable only from sleepable programs (XDP never is).
    pub might_sleep: bool,
}

const fn p(ret: &'static str, args: &'static [&'static str]) -> Proto {
    Proto { ret, args, might_sleep: false }
}

const fn sleeps(ret: &'static str, args: &'static [&'static str]) -> Proto {
    Proto { ret, args, might_sleep: true }
}

const INT: &str = "RET_INTEGER";
const MEM_RO: &str = "ARG_PTR_TO_MEM|MEM_RDONLY";
const SOCK_LOOKUP: &[&str] = &["ARG_PTR_TO_CTX", MEM_RO, "ARG_CONST_SIZE", "ARG_ANYTHING", "ARG_ANYTHING"];
const SYNCOOKIE: &[&str] = &["ARG_PTR_TO_BTF_ID_SOCK_COMMON", MEM_RO, "ARG_CONST_SIZE", MEM_RO, "ARG_CONST_SIZE"];
const PROBE_READ: &[&str] = &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO", "ARG_ANYTHING"];
const STRTO: &[&str] = &[MEM_RO, "ARG_CONST_SIZE", "ARG_ANYTHING", "ARG_PTR_TO_FIXED_SIZE_MEM|MEM_UNINIT|MEM_WRITE|MEM_ALIGNED"];
const SKC_CAST: Proto = p("RET_PTR_TO_BTF_ID_OR_NULL", &["ARG_PTR_TO_BTF_ID_SOCK_COMMON"]);
const TIMER: &str = "ARG_PTR_TO_TIMER";
const RAW_SYNCOOKIE_GEN: &[&str] = &["ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY", MEM_RO, "ARG_CONST_SIZE_OR_ZERO"];
const RAW_SYNCOOKIE_CHECK: &[&str] = &["ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY", "ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY"];

/// The prototypes XDP programs get, by id.
#[rustfmt::skip]
const XDP_PROTOS: &[(u32, Proto)] = &[
    (1, p("RET_PTR_TO_MAP_VALUE_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY"])),
    (2, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY", "ARG_PTR_TO_MAP_VALUE", "ARG_ANYTHING"])),
    (3, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY"])),
    (5, p(INT, &[])),
    (6, p(INT, &[MEM_RO, "ARG_CONST_SIZE"])),
    (7, p(INT, &[])),
    (8, p(INT, &[])),
    (12, p("RET_VOID", &["ARG_PTR_TO_CTX", "ARG_CONST_MAP_PTR", "ARG_ANYTHING"])),
    (14, p(INT, &[])),
    (15, p(INT, &[])),
    (16, p(INT, &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (17, p(INT, &[])),
    (22, p(INT, &["ARG_CONST_MAP_PTR", "ARG_ANYTHING"])),
    (23, p(INT, &["ARG_ANYTHING", "ARG_ANYTHING"])),
    (25, p(INT, &["ARG_PTR_TO_CTX", "ARG_CONST_MAP_PTR", "ARG_ANYTHING", MEM_RO, "ARG_CONST_SIZE_OR_ZERO"])),
    (28, p(INT, &["ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY", "ARG_CONST_SIZE_OR_ZERO", "ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY", "ARG_CONST_SIZE_OR_ZERO", "ARG_ANYTHING"])),
    (35, p(INT, &[])),
    (37, p(INT, &["ARG_CONST_MAP_PTR", "ARG_ANYTHING"])),
    (42, p(INT, &[])),
    (44, p(INT, &["ARG_PTR_TO_CTX", "ARG_ANYTHING"])),
    (51, p(INT, &["ARG_CONST_MAP_PTR", "ARG_ANYTHING", "ARG_ANYTHING"])),
    (54, p(INT, &["ARG_PTR_TO_CTX", "ARG_ANYTHING"])),
    (55, p(INT, &["ARG_CONST_MAP_PTR", "ARG_ANYTHING", "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (65, p(INT, &["ARG_PTR_TO_CTX", "ARG_ANYTHING"])),
    (69, p(INT, &["ARG_PTR_TO_CTX", "ARG_PTR_TO_MEM|MEM_WRITE", "ARG_CONST_SIZE", "ARG_ANYTHING"])),
    (80, p(INT, &[])),
    (84, p("RET_PTR_TO_SOCKET_OR_NULL", SOCK_LOOKUP)),
    (85, p("RET_PTR_TO_SOCKET_OR_NULL", SOCK_LOOKUP)),
    (86, p(INT, &["ARG_PTR_TO_BTF_ID_SOCK_COMMON|OBJ_RELEASE"])),
    (87, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_VALUE", "ARG_ANYTHING"])),
    (88, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_VALUE|MEM_UNINIT|MEM_WRITE"])),
    (89, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_VALUE|MEM_UNINIT|MEM_WRITE"])),
    (93, p("RET_VOID", &["ARG_PTR_TO_SPIN_LOCK"])),
    (94, p("RET_VOID", &["ARG_PTR_TO_SPIN_LOCK"])),
    (99, p("RET_PTR_TO_SOCK_COMMON_OR_NULL", SOCK_LOOKUP)),
    (100, p(INT, SYNCOOKIE)),
    (105, p(INT, STRTO)),
    (106, p(INT, STRTO)),
    (109, p(INT, &["ARG_ANYTHING"])),
    (110, p(INT, SYNCOOKIE)),
    (112, p(INT, PROBE_READ)),
    (113, p(INT, PROBE_READ)),
    (114, p(INT, PROBE_READ)),
    (115, p(INT, PROBE_READ)),
    (117, p(INT, &["ARG_ANYTHING"])),
    (118, p(INT, &[])),
    (120, p(INT, &["ARG_ANYTHING", "ARG_ANYTHING", "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (123, p(INT, &["ARG_ANYTHING"])),
    (125, p(INT, &[])),
    (130, p(INT, &["ARG_CONST_MAP_PTR", MEM_RO, "ARG_CONST_SIZE_OR_ZERO", "ARG_ANYTHING"])),
    (131, p("RET_PTR_TO_RINGBUF_MEM_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_CONST_ALLOC_SIZE_OR_ZERO", "ARG_ANYTHING"])),
    (132, p("RET_VOID", &["ARG_PTR_TO_RINGBUF_MEM|OBJ_RELEASE", "ARG_ANYTHING"])),
    (133, p("RET_VOID", &["ARG_PTR_TO_RINGBUF_MEM|OBJ_RELEASE", "ARG_ANYTHING"])),
    (134, p(INT, &["ARG_CONST_MAP_PTR", "ARG_ANYTHING"])),
    (136, SKC_CAST),
    (137, SKC_CAST),
    (138, SKC_CAST),
    (139, SKC_CAST),
    (140, SKC_CAST),
    (141, p(INT, &["ARG_PTR_TO_BTF_ID", "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO", "ARG_ANYTHING"])),
    (148, sleeps(INT, PROBE_READ)),
    (149, p(INT, &["ARG_PTR_TO_MEM|MEM_WRITE", "ARG_CONST_SIZE", MEM_RO, "ARG_CONST_SIZE", "ARG_ANYTHING"])),
    (153, p("RET_PTR_TO_MEM_OR_BTF_ID|PTR_MAYBE_NULL|MEM_RDONLY", &["ARG_PTR_TO_PERCPU_BTF_ID", "ARG_ANYTHING"])),
    (154, p("RET_PTR_TO_MEM_OR_BTF_ID|MEM_RDONLY", &["ARG_PTR_TO_PERCPU_BTF_ID"])),
    (156, p("RET_PTR_TO_MAP_VALUE_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_OR_NULL", "ARG_PTR_TO_MAP_VALUE_OR_NULL", "ARG_ANYTHING"])),
    (157, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID"])),
    (158, p("RET_PTR_TO_BTF_ID_TRUSTED", &[])),
    (160, p(INT, &[])),
    (163, p(INT, &["ARG_PTR_TO_CTX", "ARG_ANYTHING", "ARG_PTR_TO_FIXED_SIZE_MEM|MEM_WRITE|MEM_ALIGNED", "ARG_ANYTHING", "ARG_ANYTHING"])),
    (164, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_FUNC", "ARG_PTR_TO_STACK_OR_NULL", "ARG_ANYTHING"])),
    (165, p(INT, &["ARG_PTR_TO_MEM_OR_NULL|MEM_WRITE", "ARG_CONST_SIZE_OR_ZERO", "ARG_PTR_TO_CONST_STR", "ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY", "ARG_CONST_SIZE_OR_ZERO"])),
    (169, p(INT, &[TIMER, "ARG_CONST_MAP_PTR", "ARG_ANYTHING"])),
    (170, p(INT, &[TIMER, "ARG_PTR_TO_FUNC"])),
    (171, p(INT, &[TIMER, "ARG_ANYTHING", "ARG_ANYTHING"])),
    (172, p(INT, &[TIMER])),
    (175, p("RET_PTR_TO_BTF_ID", &["ARG_PTR_TO_BTF_ID"])),
    (176, p(INT, PROBE_READ)),
    (177, p(INT, &[MEM_RO, "ARG_CONST_SIZE", "ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY", "ARG_CONST_SIZE_OR_ZERO"])),
    (178, SKC_CAST),
    (180, p(INT, &["ARG_PTR_TO_BTF_ID", "ARG_ANYTHING", "ARG_PTR_TO_FUNC", "ARG_PTR_TO_STACK_OR_NULL", "ARG_ANYTHING"])),
    (181, p(INT, &["ARG_ANYTHING", "ARG_PTR_TO_FUNC", "ARG_PTR_TO_STACK_OR_NULL", "ARG_ANYTHING"])),
    (182, p(INT, &[MEM_RO, "ARG_CONST_SIZE", "ARG_PTR_TO_CONST_STR"])),
    (188, p(INT, &["ARG_PTR_TO_CTX"])),
    (189, p(INT, &["ARG_PTR_TO_CTX", "ARG_ANYTHING", "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (190, p(INT, &["ARG_PTR_TO_CTX", "ARG_ANYTHING", MEM_RO, "ARG_CONST_SIZE"])),
    (191, sleeps(INT, &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO", "ARG_ANYTHING", "ARG_PTR_TO_BTF_ID", "ARG_ANYTHING"])),
    (194, p("RET_PTR_TO_BTF_ID_OR_NULL", &["ARG_KPTR_XCHG_DEST", "ARG_PTR_TO_BTF_ID_OR_NULL|OBJ_RELEASE"])),
    (195, p("RET_PTR_TO_MAP_VALUE_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY", "ARG_ANYTHING"])),
    (196, p("RET_PTR_TO_BTF_ID_OR_NULL", &["ARG_PTR_TO_SOCK_COMMON"])),
    (197, p(INT, &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO", "ARG_ANYTHING", "ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_LOCAL|MEM_UNINIT"])),
    (198, p(INT, &["ARG_CONST_MAP_PTR", "ARG_ANYTHING", "ARG_ANYTHING", "ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|MEM_UNINIT"])),
    (199, p("RET_VOID", &["ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|OBJ_RELEASE", "ARG_ANYTHING"])),
    (200, p("RET_VOID", &["ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|OBJ_RELEASE", "ARG_ANYTHING"])),
    (201, p(INT, &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO", "ARG_PTR_TO_DYNPTR|MEM_RDONLY", "ARG_ANYTHING", "ARG_ANYTHING"])),
    (202, p(INT, &["ARG_PTR_TO_DYNPTR|MEM_RDONLY", "ARG_ANYTHING", MEM_RO, "ARG_CONST_SIZE_OR_ZERO", "ARG_ANYTHING"])),
    (203, p("RET_PTR_TO_DYNPTR_MEM_OR_NULL", &["ARG_PTR_TO_DYNPTR|MEM_RDONLY", "ARG_ANYTHING", "ARG_CONST_ALLOC_SIZE_OR_ZERO"])),
    (204, p(INT, RAW_SYNCOOKIE_GEN)),
    (205, p(INT, RAW_SYNCOOKIE_GEN)),
    (206, p(INT, RAW_SYNCOOKIE_CHECK)),
    (207, p(INT, RAW_SYNCOOKIE_CHECK)),
    (208, p(INT, &[])),
    (209, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_FUNC", "ARG_PTR_TO_STACK_OR_NULL", "ARG_ANYTHING"])),
    (210, p("RET_PTR_TO_MAP_VALUE_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_OR_NULL", "ARG_PTR_TO_MAP_VALUE_OR_NULL", "ARG_ANYTHING"])),
    (211, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID"])),
];

/// One helper, as the tables above describe it.
#[derive(Clone, Debug)]
pub struct Helper {
    pub id: u32,
    pub name: &'static str,
    /// The program types whose verifier accepts a call (among [`super::pt::ESTABLISHED`]).
    pub prog_types: ProgTypes,
    /// Whether the prototype is GPL-only; None where no established program type has one.
    pub gpl_only: Option<bool>,
    /// Program types where the prototype is not GPL-only although `gpl_only` is.
    pub gpl_only_except: ProgTypes,
    pub cap: Option<Cap>,
    pub changes_pkt_data: bool,
    /// The full prototype, for every helper XDP can call.
    pub proto: Option<Proto>,
}

impl Helper {
    /// Whether the prototype is GPL-only for this program type.
    pub fn gpl_only_for(&self, prog_type: u32) -> bool {
        self.gpl_only == Some(true) && self.gpl_only_except & super::prog_type_bit(prog_type) == 0
    }

    /// The verifier's late refusal of a call from this program type, if it has one.
    pub fn late_refusal(&self, prog_type: u32) -> Option<Late> {
        LATE_REFUSALS.iter().find(|l| l.0 == self.id && l.1 & super::prog_type_bit(prog_type) != 0).map(|l| l.2)
    }
}

/// Every helper 0..=LAST_HELPER_ID, indexed by id.
pub fn helpers() -> &'static [Helper] {
    static TABLE: OnceLock<Vec<Helper>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=LAST_HELPER_ID)
            .map(|id| {
                let prog_types = GROUPS.iter().find(|g| g.1.contains(&id)).map_or(0, |g| g.0);
                let known = prog_types != 0 || LATE_REFUSALS.iter().any(|l| l.0 == id);
                Helper {
                    id,
                    name: HELPER_NAMES[id as usize],
                    prog_types,
                    gpl_only: known.then(|| GPL_ONLY.contains(&id)),
                    gpl_only_except: GPL_ONLY_EXCEPT.iter().find(|e| e.0 == id).map_or(0, |e| e.1),
                    cap: if NEEDS_CAP_BPF.contains(&id) {
                        Some(Cap::Bpf)
                    } else if NEEDS_CAP_PERFMON.contains(&id) {
                        Some(Cap::Perfmon)
                    } else {
                        None
                    },
                    changes_pkt_data: CHANGES_PKT_DATA.contains(&id),
                    proto: XDP_PROTOS.iter().find(|x| x.0 == id).map(|x| x.1),
                }
            })
            .collect()
    })
}

/// The helper with this id (0, `bpf_unspec`, included: the verifier names it when refusing it).
pub fn helper(id: i64) -> Option<&'static Helper> {
    usize::try_from(id).ok().and_then(|i| helpers().get(i))
}

/// The uapi helper's name (`bpf_map_lookup_elem` for 1); 0 is `bpf_unspec`, as the kernel prints it.
pub fn helper_name(id: i32) -> Option<&'static str> {
    usize::try_from(id).ok().and_then(|i| HELPER_NAMES.get(i)).copied()
}

/// The id of a uapi helper by name (`bpf_` prefix), the inverse of [`helper_name`] for ids above 0.
pub fn helper_id(name: &str) -> Option<i32> {
    HELPER_NAMES.iter().skip(1).position(|&h| h == name).map(|i| i as i32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdp_has_a_prototype_for_exactly_the_helpers_it_may_call() {
        let xdp: Vec<u32> = helpers().iter().filter(|h| h.prog_types & XDP != 0).map(|h| h.id).collect();
        let protos: Vec<u32> = XDP_PROTOS.iter().map(|x| x.0).collect();
        assert_eq!(xdp, protos);
        assert_eq!(protos.len(), 104);
        for (id, proto) in XDP_PROTOS {
            for t in std::iter::once(&proto.ret).chain(proto.args) {
                assert!(super::super::type_value(t).is_some(), "helper {id}: {t}");
            }
        }
    }

    #[test]
    fn each_helper_is_in_one_group_at_most() {
        for id in 0..=LAST_HELPER_ID {
            assert!(GROUPS.iter().filter(|g| g.1.contains(&id)).count() <= 1, "helper {id}");
        }
        assert_eq!(helper(44).unwrap().prog_types, XDP);
        assert!(helper(44).unwrap().changes_pkt_data);
        assert_eq!(helper(212).map(|h| h.id), None);
    }
}
