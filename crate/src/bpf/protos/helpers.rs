//! Every uapi helper (`enum bpf_func_id`, 1..=211; 0 is `BPF_FUNC_unspec`): which program types
//! get it, GPL-only-ness, the capability `bpf_base_func_proto` / `bpf_sk_base_func_proto` want,
//! whether it changes packet data, and the full prototypes (`struct bpf_func_proto`) the XDP,
//! socket filter and tc (SCHED_CLS / SCHED_ACT) program types get. No helper was added after 211
//! (the helper freeze): new kernel functions are kfuncs.
//!
//! Prototypes follow the kernel's lookup chains: `xdp_func_proto`, `sk_filter_func_proto` and
//! `tc_cls_act_func_proto`, each falling back to `bpf_sk_base_func_proto` and
//! `bpf_base_func_proto`. Where a type has its own variant, that one is given (perf_event_output
//! is `bpf_xdp_event_output_proto` / `bpf_skb_event_output_proto`; helper 121, bpf_xdp_output,
//! is the tracing-side one; redirect, redirect_map, fib_lookup, check_mtu and the socket lookups
//! are the `bpf_xdp_*` / `bpf_skb_*` / `bpf_tc_*` prototypes; tc's get_cgroup_classid reads the
//! skb where the base's reads the current task). `argN_size` of `ARG_PTR_TO_FIXED_SIZE_MEM`
//! arguments is [`Proto::fixed_size`]. As of 6.18.y: fib_lookup's params carry MEM_WRITE (xdp
//! and skb), snprintf's and snprintf_btf's buffers MEM_WRITE, the raw syncookie helpers'
//! headers MEM_RDONLY ("bpf: Fix memory access flags in helper prototypes"), and
//! xdp_store_bytes reads its buffer as MEM_RDONLY ("bpf: Fix bpf_xdp_store_bytes proto for
//! read-only arg"); 6.18.0 had plain ARG_PTR_TO_MEM / ARG_PTR_TO_FIXED_SIZE_MEM and
//! ARG_PTR_TO_UNINIT_MEM there. The running 6.18.44 kernel refuses a read-only map value as
//! fib_lookup's params (xdp and tc), snprintf's and snprintf_btf's buffer.

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
    /// `argN_size`, by argument index (0 is r1): the bytes an `ARG_PTR_TO_FIXED_SIZE_MEM`
    /// argument must cover; None for every other argument.
    pub fixed_size: [Option<u32>; 5],
}

impl Proto {
    /// The size an `ARG_PTR_TO_FIXED_SIZE_MEM` argument (0-based) names, where the kernel sets one.
    pub fn fixed_size(&self, arg: usize) -> Option<u32> {
        self.fixed_size.get(arg).copied().flatten()
    }

    /// This prototype with `argN_size` set for argument `arg` (0-based).
    const fn sized(self, arg: usize, size: u32) -> Proto {
        let mut p = self;
        p.fixed_size[arg] = Some(size);
        p
    }
}

const fn p(ret: &'static str, args: &'static [&'static str]) -> Proto {
    Proto { ret, args, might_sleep: false, fixed_size: [None; 5] }
}

const fn sleeps(ret: &'static str, args: &'static [&'static str]) -> Proto {
    Proto { ret, args, might_sleep: true, fixed_size: [None; 5] }
}

/// `sizeof(struct iphdr)`, `sizeof(struct ipv6hdr)`, `sizeof(struct tcphdr)`.
const IPHDR: u32 = 20;
const IPV6HDR: u32 = 40;
const TCPHDR: u32 = 20;

const INT: &str = "RET_INTEGER";
const CTX: &str = "ARG_PTR_TO_CTX";
const ANY: &str = "ARG_ANYTHING";
const MEM_RO: &str = "ARG_PTR_TO_MEM|MEM_RDONLY";
/// The socket lookups' (`bpf_xdp_*`, `bpf_tc_*`): a zero-sized tuple is allowed.
const SOCK_LOOKUP: &[&str] = &[CTX, MEM_RO, "ARG_CONST_SIZE_OR_ZERO", ANY, ANY];
const SYNCOOKIE: &[&str] = &["ARG_PTR_TO_BTF_ID_SOCK_COMMON", MEM_RO, "ARG_CONST_SIZE", MEM_RO, "ARG_CONST_SIZE"];
const PROBE_READ: &[&str] = &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO", ANY];
const STRTO: Proto = p(INT, &[MEM_RO, "ARG_CONST_SIZE", ANY, "ARG_PTR_TO_FIXED_SIZE_MEM|MEM_UNINIT|MEM_WRITE|MEM_ALIGNED"]).sized(3, 8);
const SKC_CAST: Proto = p("RET_PTR_TO_BTF_ID_OR_NULL", &["ARG_PTR_TO_BTF_ID_SOCK_COMMON"]);
const TIMER: &str = "ARG_PTR_TO_TIMER";
const RAW_SYNCOOKIE_GEN: &[&str] = &["ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY", MEM_RO, "ARG_CONST_SIZE_OR_ZERO"];
const RAW_SYNCOOKIE_CHECK: &[&str] = &["ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY", "ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY"];
/// `bpf_skb_event_output_proto` / `bpf_xdp_event_output_proto` (the same types).
const EVENT_OUTPUT: Proto = p(INT, &[CTX, "ARG_CONST_MAP_PTR", ANY, MEM_RO, "ARG_CONST_SIZE_OR_ZERO"]);
/// `bpf_skb_fib_lookup_proto` / `bpf_xdp_fib_lookup_proto`.
const FIB_LOOKUP: Proto = p(INT, &[CTX, "ARG_PTR_TO_MEM|MEM_WRITE", "ARG_CONST_SIZE", ANY]);
/// `bpf_skb_check_mtu_proto` / `bpf_xdp_check_mtu_proto`: `mtu_len` is a `u32`.
const CHECK_MTU: Proto = p(INT, &[CTX, ANY, "ARG_PTR_TO_FIXED_SIZE_MEM|MEM_WRITE|MEM_ALIGNED", ANY, ANY]).sized(2, 4);
const CSUM_DIFF: Proto = p(
    INT,
    &[
        "ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY",
        "ARG_CONST_SIZE_OR_ZERO",
        "ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY",
        "ARG_CONST_SIZE_OR_ZERO",
        ANY,
    ],
);
/// The networking protos XDP and tc share: `bpf_sk_release_proto`, the syncookie helpers.
#[rustfmt::skip]
const SHARED_INET: &[(u32, Proto)] = &[
    (86, p(INT, &["ARG_PTR_TO_BTF_ID_SOCK_COMMON|OBJ_RELEASE"])),
    (100, p(INT, SYNCOOKIE)),
    (110, p(INT, SYNCOOKIE)),
    (204, p(INT, RAW_SYNCOOKIE_GEN).sized(0, IPHDR)),
    (205, p(INT, RAW_SYNCOOKIE_GEN).sized(0, IPV6HDR)),
    (206, p(INT, RAW_SYNCOOKIE_CHECK).sized(0, IPHDR).sized(1, TCPHDR)),
    (207, p(INT, RAW_SYNCOOKIE_CHECK).sized(0, IPV6HDR).sized(1, TCPHDR)),
];

/// `bpf_base_func_proto` with `bpf_sk_base_func_proto`'s skc_to_* casts and coarse clock: what
/// every networking program type falls back to, by id.
#[rustfmt::skip]
const BASE_PROTOS: &[(u32, Proto)] = &[
    (1, p("RET_PTR_TO_MAP_VALUE_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY"])),
    (2, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY", "ARG_PTR_TO_MAP_VALUE", ANY])),
    (3, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY"])),
    (5, p(INT, &[])),
    (6, p(INT, &[MEM_RO, "ARG_CONST_SIZE"])),
    (7, p(INT, &[])),
    (8, p(INT, &[])),
    (12, p("RET_VOID", &[CTX, "ARG_CONST_MAP_PTR", ANY])),
    (14, p(INT, &[])),
    (15, p(INT, &[])),
    (16, p(INT, &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (17, p(INT, &[])),
    (22, p(INT, &["ARG_CONST_MAP_PTR", ANY])),
    (35, p(INT, &[])),
    (37, p(INT, &["ARG_CONST_MAP_PTR", ANY])),
    (42, p(INT, &[])),
    (55, p(INT, &["ARG_CONST_MAP_PTR", ANY, "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (80, p(INT, &[])),
    (87, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_VALUE", ANY])),
    (88, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_VALUE|MEM_UNINIT|MEM_WRITE"])),
    (89, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_VALUE|MEM_UNINIT|MEM_WRITE"])),
    (93, p("RET_VOID", &["ARG_PTR_TO_SPIN_LOCK"])),
    (94, p("RET_VOID", &["ARG_PTR_TO_SPIN_LOCK"])),
    (105, STRTO),
    (106, STRTO),
    (109, p(INT, &[ANY])),
    (112, p(INT, PROBE_READ)),
    (113, p(INT, PROBE_READ)),
    (114, p(INT, PROBE_READ)),
    (115, p(INT, PROBE_READ)),
    (117, p(INT, &[ANY])),
    (118, p(INT, &[])),
    (120, p(INT, &[ANY, ANY, "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (123, p(INT, &[ANY])),
    (125, p(INT, &[])),
    (130, p(INT, &["ARG_CONST_MAP_PTR", MEM_RO, "ARG_CONST_SIZE_OR_ZERO", ANY])),
    (131, p("RET_PTR_TO_RINGBUF_MEM_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_CONST_ALLOC_SIZE_OR_ZERO", ANY])),
    (132, p("RET_VOID", &["ARG_PTR_TO_RINGBUF_MEM|OBJ_RELEASE", ANY])),
    (133, p("RET_VOID", &["ARG_PTR_TO_RINGBUF_MEM|OBJ_RELEASE", ANY])),
    (134, p(INT, &["ARG_CONST_MAP_PTR", ANY])),
    (136, SKC_CAST),
    (137, SKC_CAST),
    (138, SKC_CAST),
    (139, SKC_CAST),
    (140, SKC_CAST),
    (141, p(INT, &["ARG_PTR_TO_BTF_ID", "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO", ANY])),
    (148, sleeps(INT, PROBE_READ)),
    (149, p(INT, &["ARG_PTR_TO_MEM|MEM_WRITE", "ARG_CONST_SIZE", MEM_RO, "ARG_CONST_SIZE", ANY])),
    (153, p("RET_PTR_TO_MEM_OR_BTF_ID|PTR_MAYBE_NULL|MEM_RDONLY", &["ARG_PTR_TO_PERCPU_BTF_ID", ANY])),
    (154, p("RET_PTR_TO_MEM_OR_BTF_ID|MEM_RDONLY", &["ARG_PTR_TO_PERCPU_BTF_ID"])),
    (156, p("RET_PTR_TO_MAP_VALUE_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_OR_NULL", "ARG_PTR_TO_MAP_VALUE_OR_NULL", ANY])),
    (157, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_OR_NULL"])),
    (158, p("RET_PTR_TO_BTF_ID_TRUSTED", &[])),
    (160, p(INT, &[])),
    (164, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_FUNC", "ARG_PTR_TO_STACK_OR_NULL", ANY])),
    (165, p(INT, &["ARG_PTR_TO_MEM_OR_NULL|MEM_WRITE", "ARG_CONST_SIZE_OR_ZERO", "ARG_PTR_TO_CONST_STR", "ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY", "ARG_CONST_SIZE_OR_ZERO"])),
    (169, p(INT, &[TIMER, "ARG_CONST_MAP_PTR", ANY])),
    (170, p(INT, &[TIMER, "ARG_PTR_TO_FUNC"])),
    (171, p(INT, &[TIMER, ANY, ANY])),
    (172, p(INT, &[TIMER])),
    (175, p("RET_PTR_TO_BTF_ID", &["ARG_PTR_TO_BTF_ID"])),
    (176, p(INT, &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO"])),
    (177, p(INT, &[MEM_RO, "ARG_CONST_SIZE", "ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY", "ARG_CONST_SIZE_OR_ZERO"])),
    (178, SKC_CAST),
    (180, p(INT, &["ARG_PTR_TO_BTF_ID", ANY, "ARG_PTR_TO_FUNC", "ARG_PTR_TO_STACK_OR_NULL", ANY])),
    (181, p(INT, &[ANY, "ARG_PTR_TO_FUNC", "ARG_PTR_TO_STACK_OR_NULL", ANY])),
    (182, p(INT, &[MEM_RO, "ARG_CONST_SIZE", "ARG_PTR_TO_CONST_STR"])),
    (191, sleeps(INT, &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO", ANY, "ARG_PTR_TO_BTF_ID", ANY])),
    (194, p("RET_PTR_TO_BTF_ID_OR_NULL", &["ARG_KPTR_XCHG_DEST", "ARG_PTR_TO_BTF_ID_OR_NULL|OBJ_RELEASE"])),
    (195, p("RET_PTR_TO_MAP_VALUE_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY", ANY])),
    (196, p("RET_PTR_TO_BTF_ID_OR_NULL", &["ARG_PTR_TO_SOCK_COMMON"])),
    (197, p(INT, &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO", ANY, "ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_LOCAL|MEM_UNINIT|MEM_WRITE"])),
    (198, p(INT, &["ARG_CONST_MAP_PTR", ANY, ANY, "ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|MEM_UNINIT|MEM_WRITE"])),
    (199, p("RET_VOID", &["ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|OBJ_RELEASE", ANY])),
    (200, p("RET_VOID", &["ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|OBJ_RELEASE", ANY])),
    (201, p(INT, &["ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE_OR_ZERO", "ARG_PTR_TO_DYNPTR|MEM_RDONLY", ANY, ANY])),
    (202, p(INT, &["ARG_PTR_TO_DYNPTR|MEM_RDONLY", ANY, MEM_RO, "ARG_CONST_SIZE_OR_ZERO", ANY])),
    (203, p("RET_PTR_TO_DYNPTR_MEM_OR_NULL", &["ARG_PTR_TO_DYNPTR|MEM_RDONLY", ANY, "ARG_CONST_ALLOC_SIZE_OR_ZERO"])),
    (208, p(INT, &[])),
    (209, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_FUNC", "ARG_PTR_TO_STACK_OR_NULL", ANY])),
    (210, p("RET_PTR_TO_MAP_VALUE_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_OR_NULL", "ARG_PTR_TO_MAP_VALUE_OR_NULL", ANY])),
    (211, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_OR_NULL"])),
];

/// `xdp_func_proto`'s own cases (everything else falls back to [`BASE_PROTOS`]).
#[rustfmt::skip]
const XDP_FUNC_PROTOS: &[(u32, Proto)] = &[
    (8, p(INT, &[])),
    (23, p(INT, &[ANY, ANY])),
    (25, EVENT_OUTPUT),
    (28, CSUM_DIFF),
    (44, p(INT, &[CTX, ANY])),
    (51, p(INT, &["ARG_CONST_MAP_PTR", ANY, ANY])),
    (54, p(INT, &[CTX, ANY])),
    (65, p(INT, &[CTX, ANY])),
    (69, FIB_LOOKUP),
    (84, p("RET_PTR_TO_SOCKET_OR_NULL", SOCK_LOOKUP)),
    (85, p("RET_PTR_TO_SOCKET_OR_NULL", SOCK_LOOKUP)),
    (99, p("RET_PTR_TO_SOCK_COMMON_OR_NULL", SOCK_LOOKUP)),
    (163, CHECK_MTU),
    (188, p(INT, &[CTX])),
    (189, p(INT, &[CTX, ANY, "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (190, p(INT, &[CTX, ANY, MEM_RO, "ARG_CONST_SIZE"])),
];

/// `sk_filter_func_proto`'s own cases; the rest is `bpf_sk_base_func_proto`'s. 6.18 added
/// bpf_get_netns_cookie (NULL or the context: the running kernel accepts both).
#[rustfmt::skip]
const SK_FILTER_FUNC_PROTOS: &[(u32, Proto)] = &[
    (25, EVENT_OUTPUT),
    (26, p(INT, &[CTX, ANY, "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (46, p(INT, &[CTX])),
    (47, p(INT, &[CTX])),
    (68, p(INT, &[CTX, ANY, "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE", ANY])),
    (122, p(INT, &["ARG_PTR_TO_CTX_OR_NULL"])),
];

/// `tc_cls_act_func_proto`'s own cases (SCHED_CLS and SCHED_ACT); the rest is
/// `bpf_sk_base_func_proto`'s. The socket lookups are the `bpf_tc_*` prototypes, redirect is
/// `bpf_redirect_proto`, perf_event_output `bpf_skb_event_output_proto`, get_cgroup_classid the
/// skb one (the base's takes no context).
#[rustfmt::skip]
const TC_CLS_ACT_FUNC_PROTOS: &[(u32, Proto)] = &[
    (8, p(INT, &[])),
    (9, p(INT, &[CTX, ANY, MEM_RO, "ARG_CONST_SIZE", ANY])),
    (10, p(INT, &[CTX, ANY, ANY, ANY, ANY])),
    (11, p(INT, &[CTX, ANY, ANY, ANY, ANY])),
    (13, p(INT, &[CTX, ANY, ANY])),
    (17, p(INT, &[CTX])),
    (18, p(INT, &[CTX, ANY, ANY])),
    (19, p(INT, &[CTX])),
    (20, p(INT, &[CTX, "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE", ANY])),
    (21, p(INT, &[CTX, MEM_RO, "ARG_CONST_SIZE", ANY])),
    (23, p(INT, &[ANY, ANY])),
    (24, p(INT, &[CTX])),
    (25, EVENT_OUTPUT),
    (26, p(INT, &[CTX, ANY, "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (28, CSUM_DIFF),
    (29, p(INT, &[CTX, "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE"])),
    (30, p(INT, &[CTX, MEM_RO, "ARG_CONST_SIZE"])),
    (31, p(INT, &[CTX, ANY, ANY])),
    (32, p(INT, &[CTX, ANY])),
    (33, p(INT, &[CTX, "ARG_CONST_MAP_PTR", ANY])),
    (34, p(INT, &[CTX])),
    (38, p(INT, &[CTX, ANY, ANY])),
    (39, p(INT, &[CTX, ANY])),
    (40, p(INT, &[CTX, ANY])),
    (41, p(INT, &[CTX])),
    (43, p(INT, &[CTX, ANY, ANY])),
    (46, p(INT, &[CTX])),
    (47, p(INT, &[CTX])),
    (48, p(INT, &[CTX, ANY])),
    (50, p(INT, &[CTX, ANY, ANY, ANY])),
    (66, p(INT, &[CTX, ANY, "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE", ANY])),
    (68, p(INT, &[CTX, ANY, "ARG_PTR_TO_UNINIT_MEM", "ARG_CONST_SIZE", ANY])),
    (69, FIB_LOOKUP),
    (79, p(INT, &[CTX])),
    (83, p(INT, &[CTX, ANY])),
    (84, p("RET_PTR_TO_SOCKET_OR_NULL", SOCK_LOOKUP)),
    (85, p("RET_PTR_TO_SOCKET_OR_NULL", SOCK_LOOKUP)),
    (95, p("RET_PTR_TO_SOCKET_OR_NULL", &["ARG_PTR_TO_SOCK_COMMON"])),
    (96, p("RET_PTR_TO_TCP_SOCK_OR_NULL", &["ARG_PTR_TO_SOCK_COMMON"])),
    (97, p(INT, &[CTX])),
    (98, p("RET_PTR_TO_SOCKET_OR_NULL", &["ARG_PTR_TO_SOCK_COMMON"])),
    (99, p("RET_PTR_TO_SOCK_COMMON_OR_NULL", SOCK_LOOKUP)),
    (107, p("RET_PTR_TO_MAP_VALUE_OR_NULL", &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_SOCK_COMMON", "ARG_PTR_TO_MAP_VALUE_OR_NULL", ANY])),
    (108, p(INT, &["ARG_CONST_MAP_PTR", "ARG_PTR_TO_BTF_ID_SOCK_COMMON"])),
    (122, p(INT, &["ARG_PTR_TO_CTX_OR_NULL"])),
    (124, p(INT, &[CTX, "ARG_PTR_TO_BTF_ID_SOCK_COMMON", ANY])),
    (135, p(INT, &[CTX, ANY])),
    (151, p(INT, &[CTX])),
    (152, p(INT, &[ANY, "ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY", "ARG_CONST_SIZE_OR_ZERO", ANY])),
    (155, p(INT, &[ANY, ANY])),
    (163, CHECK_MTU),
    (192, p(INT, &[CTX, ANY, ANY])),
];

/// The uapi numbers of the program types with prototype tables.
const XDP_PROG_TYPE: u32 = XDP.trailing_zeros();

/// The program types [`Helper::proto_for`] knows the prototypes of.
pub const PROTO_PROG_TYPES: ProgTypes = XDP | SOCKET_FILTER | SCHED_CLS | SCHED_ACT;

/// The kernel's lookup chain for a program type: its own `*_func_proto` cases, then the ones it
/// shares, then the base. None for a type without a table here.
fn chain(prog_type: u32) -> Option<[&'static [(u32, Proto)]; 3]> {
    let bit = super::prog_type_bit(prog_type);
    if bit == XDP {
        Some([XDP_FUNC_PROTOS, SHARED_INET, BASE_PROTOS])
    } else if bit == SOCKET_FILTER {
        Some([SK_FILTER_FUNC_PROTOS, &[], BASE_PROTOS])
    } else if bit & (SCHED_CLS | SCHED_ACT) != 0 {
        Some([TC_CLS_ACT_FUNC_PROTOS, SHARED_INET, BASE_PROTOS])
    } else {
        None
    }
}

fn lookup(prog_type: u32, id: u32) -> Option<Proto> {
    chain(prog_type)?.iter().find_map(|t| t.iter().find(|x| x.0 == id)).map(|x| x.1)
}

/// Every prototype a program type gets, by ascending id (empty for types outside
/// [`PROTO_PROG_TYPES`]).
pub fn protos_for(prog_type: u32) -> Vec<(u32, Proto)> {
    (1..=LAST_HELPER_ID).filter_map(|id| lookup(prog_type, id).map(|p| (id, p))).collect()
}

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
    /// XDP's prototype (`xdp_func_proto`), for every helper XDP can call; see
    /// [`Helper::proto_for`] for other program types.
    pub proto: Option<Proto>,
}

impl Helper {
    /// Whether the prototype is GPL-only for this program type.
    pub fn gpl_only_for(&self, prog_type: u32) -> bool {
        self.gpl_only == Some(true) && self.gpl_only_except & super::prog_type_bit(prog_type) == 0
    }

    /// The prototype this program type gets (`bpf_func_proto` as its `get_func_proto` returns
    /// it): XDP's, the socket filter's or tc's (SCHED_CLS and SCHED_ACT share one). None when
    /// the type cannot call the helper, and for program types outside [`PROTO_PROG_TYPES`],
    /// whose prototypes this table does not hold (their `prog_types` bit still says whether
    /// they may call it).
    pub fn proto_for(&self, prog_type: u32) -> Option<Proto> {
        lookup(prog_type, self.id)
    }

    /// The verifier's late refusal of a call from this program type, if it has one.
    pub fn late_refusal(&self, prog_type: u32) -> Option<Late> {
        LATE_REFUSALS.iter().find(|l| l.0 == self.id && l.1 & super::prog_type_bit(prog_type) != 0).map(|l| l.2)
    }
}

/// A helper every established program type gets (`bpf_base_func_proto`'s): what a struct_ops-like
/// type the embedder declares gets, with the socket filter's prototype
/// ([`crate::bpf::struct_ops`]).
pub fn base_helper(id: i64) -> bool {
    helper(id).is_some_and(|h| h.prog_types & super::pt::ESTABLISHED == super::pt::ESTABLISHED && h.proto_for(super::pt::SOCKET_FILTER.trailing_zeros()).is_some())
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
                    proto: lookup(XDP_PROG_TYPE, id),
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
/// The kernel struct a helper's BTF pointer result points to (its `ret_btf_id`).
const RET_STRUCTS: &[(i64, &str)] = &[
    (136, "tcp6_sock"),
    (137, "tcp_sock"),
    (138, "tcp_timewait_sock"),
    (139, "tcp_request_sock"),
    (140, "udp6_sock"),
    (158, "task_struct"),
    (162, "socket"),
    (175, "pt_regs"),
    (178, "unix_sock"),
    (196, "mptcp_sock"),
];

/// The kernel struct a helper returning RET_PTR_TO_BTF_ID* points to.
pub fn ret_struct(id: i64) -> Option<&'static str> {
    RET_STRUCTS.iter().find(|r| r.0 == id).map(|r| r.1)
}

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

    /// The prototypes a program type gets cover exactly the helpers its group allows, and every
    /// type spelled in them is one the kernel has.
    fn check_table(set: ProgTypes, count: usize) {
        let prog_type = set.trailing_zeros();
        let may: Vec<u32> = helpers().iter().filter(|h| h.prog_types & set != 0).map(|h| h.id).collect();
        let table = protos_for(prog_type);
        let ids: Vec<u32> = table.iter().map(|x| x.0).collect();
        assert_eq!(may, ids, "program type {prog_type}");
        assert_eq!(ids.len(), count, "program type {prog_type}");
        for (id, proto) in &table {
            assert_eq!(helper(i64::from(*id)).unwrap().proto_for(prog_type), Some(*proto));
            for t in std::iter::once(&proto.ret).chain(proto.args) {
                assert!(super::super::type_value(t).is_some(), "helper {id}: {t}");
            }
            assert!(proto.args.len() <= 5, "helper {id}");
            for (i, a) in proto.args.iter().enumerate() {
                let fixed = super::super::type_value(a).unwrap() & super::super::type_value("MEM_FIXED_SIZE").unwrap() != 0;
                assert_eq!(fixed, proto.fixed_size(i).is_some(), "helper {id} arg {i}: {a}");
            }
            assert!(proto.fixed_size[proto.args.len()..].iter().all(Option::is_none), "helper {id}");
        }
        for h in helpers().iter().filter(|h| h.prog_types & set == 0) {
            assert_eq!(h.proto_for(prog_type), None, "{}", h.name);
        }
    }

    #[test]
    fn xdp_has_a_prototype_for_exactly_the_helpers_it_may_call() {
        check_table(XDP, 104);
        for h in helpers() {
            assert_eq!(h.proto, h.proto_for(XDP_PROG_TYPE), "{}", h.name);
        }
    }

    #[test]
    fn socket_filter_has_a_prototype_for_exactly_the_helpers_it_may_call() {
        check_table(SOCKET_FILTER, 88);
    }

    #[test]
    fn tc_has_a_prototype_for_exactly_the_helpers_it_may_call() {
        check_table(SCHED_CLS, 139);
        check_table(SCHED_ACT, 139);
        let cls = SCHED_CLS.trailing_zeros();
        let act = SCHED_ACT.trailing_zeros();
        for h in helpers() {
            assert_eq!(h.proto_for(cls), h.proto_for(act), "{}", h.name);
        }
    }

    #[test]
    fn program_types_get_their_own_variants() {
        let (xdp, sf, tc) = (XDP_PROG_TYPE, SOCKET_FILTER.trailing_zeros(), SCHED_CLS.trailing_zeros());
        let get = |id: i64, t: u32| helper(id).unwrap().proto_for(t);
        // bpf_get_cgroup_classid: the base's reads the current task; tc's reads the skb.
        assert_eq!(get(17, xdp).unwrap().args, &[] as &[&str]);
        assert_eq!(get(17, sf).unwrap().args, &[] as &[&str]);
        assert_eq!(get(17, tc).unwrap().args, &["ARG_PTR_TO_CTX"]);
        // bpf_skb_load_bytes and the socket filter's own.
        assert_eq!(get(26, sf).unwrap().args[2], "ARG_PTR_TO_UNINIT_MEM");
        assert_eq!(get(26, xdp), None);
        assert_eq!(get(122, sf).unwrap().args, &["ARG_PTR_TO_CTX_OR_NULL"]);
        // fib_lookup's params are written, check_mtu's mtu_len is a u32.
        assert_eq!(get(69, tc).unwrap().args[1], "ARG_PTR_TO_MEM|MEM_WRITE");
        assert_eq!(get(163, tc).unwrap().fixed_size(2), Some(4));
        assert_eq!(get(163, xdp).unwrap().fixed_size(2), Some(4));
        assert_eq!(get(163, sf), None);
        // strtol's result, the raw syncookie headers.
        assert_eq!(get(105, sf).unwrap().fixed_size(3), Some(8));
        assert_eq!(get(205, tc).unwrap().fixed_size, [Some(40), None, None, None, None]);
        assert_eq!(get(207, xdp).unwrap().fixed_size, [Some(40), Some(20), None, None, None]);
        // tc's socket lookups take the context.
        assert_eq!(get(84, tc).unwrap().args[0], "ARG_PTR_TO_CTX");
        assert_eq!(get(84, sf), None);
        // Corrections the running kernel confirmed (a size-0 tuple, a NULL owner, r3 unset).
        assert_eq!(get(85, xdp).unwrap().args[2], "ARG_CONST_SIZE_OR_ZERO");
        assert_eq!(get(211, sf).unwrap().args[1], "ARG_PTR_TO_BTF_ID_OR_NULL");
        assert_eq!(get(176, tc).unwrap().args.len(), 2);
        // Program types without a table.
        assert_eq!(get(1, CGROUP_SKB.trailing_zeros()), None);
        assert_eq!(get(1, 0), None);
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
