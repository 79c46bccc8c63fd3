//! When each helper and kernel kfunc came, and where it stands: the lifecycle policy the helper
//! freeze asked for (seed 004, R4) and the kernel never got. Versions are the first mainline
//! release with the function (the ebpf-docs project's feature tags, which point at the commits);
//! tiers are uxdp's reading of each function's status, each reason written down here.
//!
//! Tiers, from the thread (L10618-10621): helpers are `Stable` (uapi, frozen, never removed);
//! kernel kfuncs are `Unstable` (the kernel documents no stability for them, kfuncs.rst §3);
//! a kfunc upstream later deprecated in favour of a replacement is `StartingToDeprecate` here
//! (6.18 has no other way to call it); a function whose own documentation says to use another
//! is `Deprecated`. The seed's convenience API, in no kernel, is `Unstable`.

use std::borrow::Cow;

/// A stability tier (seed 004, L10618).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Stable,
    Unstable,
    StartingToDeprecate,
    Deprecated,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::Stable, Tier::Unstable, Tier::StartingToDeprecate, Tier::Deprecated];

    /// The name the TypeScript policy uses.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Stable => "stable",
            Tier::Unstable => "unstable",
            Tier::StartingToDeprecate => "starting-to-deprecate",
            Tier::Deprecated => "deprecated",
        }
    }

    pub fn from_name(name: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The bit of a set of tiers.
    pub fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// Where a function stands (a user kfunc's as its declaration says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    /// The first Linux release with it; None for one in no release (the seed's, a test kfunc's).
    pub since: Option<Cow<'static, str>>,
    pub tier: Tier,
    /// What to call instead, for a deprecated or deprecating function.
    pub replacement: Option<Cow<'static, str>>,
    /// The release that deprecates it (a later one than 6.18 for a deprecating kfunc).
    pub deprecated_in: Option<Cow<'static, str>>,
    /// A kfunc the kernel offers for its own selftests only (net/bpf/test_run.c).
    pub test_only: bool,
}

/// A kernel version, major and minor, ordered.
pub type Version = (u32, u32);

/// "6.6" as (6, 6); None for anything else.
pub fn parse_version(s: &str) -> Option<Version> {
    let (a, b) = s.split_once('.')?;
    let major = a.parse().ok()?;
    let minor = b.parse().ok()?;
    (!a.is_empty() && !b.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit())).then_some((major, minor))
}

/// The first release with each helper, by id (id 0 is `BPF_FUNC_unspec`, no helper).
#[rustfmt::skip]
pub const HELPER_SINCE: [Option<&str>; 212] = [
    None, // 0 unspec
    Some("3.18"), // 1 bpf_map_lookup_elem
    Some("3.18"), // 2 bpf_map_update_elem
    Some("3.19"), // 3 bpf_map_delete_elem
    Some("4.1"), // 4 bpf_probe_read
    Some("4.1"), // 5 bpf_ktime_get_ns
    Some("4.1"), // 6 bpf_trace_printk
    Some("4.1"), // 7 bpf_get_prandom_u32
    Some("4.1"), // 8 bpf_get_smp_processor_id
    Some("4.1"), // 9 bpf_skb_store_bytes
    Some("4.1"), // 10 bpf_l3_csum_replace
    Some("4.1"), // 11 bpf_l4_csum_replace
    Some("4.2"), // 12 bpf_tail_call
    Some("4.2"), // 13 bpf_clone_redirect
    Some("4.2"), // 14 bpf_get_current_pid_tgid
    Some("4.2"), // 15 bpf_get_current_uid_gid
    Some("4.2"), // 16 bpf_get_current_comm
    Some("4.3"), // 17 bpf_get_cgroup_classid
    Some("4.3"), // 18 bpf_skb_vlan_push
    Some("4.3"), // 19 bpf_skb_vlan_pop
    Some("4.3"), // 20 bpf_skb_get_tunnel_key
    Some("4.3"), // 21 bpf_skb_set_tunnel_key
    Some("4.3"), // 22 bpf_perf_event_read
    Some("4.4"), // 23 bpf_redirect
    Some("4.4"), // 24 bpf_get_route_realm
    Some("4.4"), // 25 bpf_perf_event_output
    Some("4.5"), // 26 bpf_skb_load_bytes
    Some("4.6"), // 27 bpf_get_stackid
    Some("4.6"), // 28 bpf_csum_diff
    Some("4.6"), // 29 bpf_skb_get_tunnel_opt
    Some("4.6"), // 30 bpf_skb_set_tunnel_opt
    Some("4.8"), // 31 bpf_skb_change_proto
    Some("4.8"), // 32 bpf_skb_change_type
    Some("4.8"), // 33 bpf_skb_under_cgroup
    Some("4.8"), // 34 bpf_get_hash_recalc
    Some("4.8"), // 35 bpf_get_current_task
    Some("4.8"), // 36 bpf_probe_write_user
    Some("4.9"), // 37 bpf_current_task_under_cgroup
    Some("4.9"), // 38 bpf_skb_change_tail
    Some("4.9"), // 39 bpf_skb_pull_data
    Some("4.9"), // 40 bpf_csum_update
    Some("4.9"), // 41 bpf_set_hash_invalid
    Some("4.10"), // 42 bpf_get_numa_node_id
    Some("4.10"), // 43 bpf_skb_change_head
    Some("4.10"), // 44 bpf_xdp_adjust_head
    Some("4.11"), // 45 bpf_probe_read_str
    Some("4.12"), // 46 bpf_get_socket_cookie
    Some("4.12"), // 47 bpf_get_socket_uid
    Some("4.13"), // 48 bpf_set_hash
    Some("4.13"), // 49 bpf_setsockopt
    Some("4.13"), // 50 bpf_skb_adjust_room
    Some("4.14"), // 51 bpf_redirect_map
    Some("4.14"), // 52 bpf_sk_redirect_map
    Some("4.14"), // 53 bpf_sock_map_update
    Some("4.15"), // 54 bpf_xdp_adjust_meta
    Some("4.15"), // 55 bpf_perf_event_read_value
    Some("4.15"), // 56 bpf_perf_prog_read_value
    Some("4.15"), // 57 bpf_getsockopt
    Some("4.16"), // 58 bpf_override_return
    Some("4.16"), // 59 bpf_sock_ops_cb_flags_set
    Some("4.17"), // 60 bpf_msg_redirect_map
    Some("4.17"), // 61 bpf_msg_apply_bytes
    Some("4.17"), // 62 bpf_msg_cork_bytes
    Some("4.17"), // 63 bpf_msg_pull_data
    Some("4.17"), // 64 bpf_bind
    Some("4.18"), // 65 bpf_xdp_adjust_tail
    Some("4.18"), // 66 bpf_skb_get_xfrm_state
    Some("4.18"), // 67 bpf_get_stack
    Some("4.18"), // 68 bpf_skb_load_bytes_relative
    Some("4.18"), // 69 bpf_fib_lookup
    Some("4.18"), // 70 bpf_sock_hash_update
    Some("4.18"), // 71 bpf_msg_redirect_hash
    Some("4.18"), // 72 bpf_sk_redirect_hash
    Some("4.18"), // 73 bpf_lwt_push_encap
    Some("4.18"), // 74 bpf_lwt_seg6_store_bytes
    Some("4.18"), // 75 bpf_lwt_seg6_adjust_srh
    Some("4.18"), // 76 bpf_lwt_seg6_action
    Some("4.18"), // 77 bpf_rc_repeat
    Some("4.18"), // 78 bpf_rc_keydown
    Some("4.18"), // 79 bpf_skb_cgroup_id
    Some("4.18"), // 80 bpf_get_current_cgroup_id
    Some("4.19"), // 81 bpf_get_local_storage
    Some("4.19"), // 82 bpf_sk_select_reuseport
    Some("4.19"), // 83 bpf_skb_ancestor_cgroup_id
    Some("4.20"), // 84 bpf_sk_lookup_tcp
    Some("4.20"), // 85 bpf_sk_lookup_udp
    Some("4.20"), // 86 bpf_sk_release
    Some("4.20"), // 87 bpf_map_push_elem
    Some("4.20"), // 88 bpf_map_pop_elem
    Some("4.20"), // 89 bpf_map_peek_elem
    Some("4.20"), // 90 bpf_msg_push_data
    Some("5.0"), // 91 bpf_msg_pop_data
    Some("5.0"), // 92 bpf_rc_pointer_rel
    Some("5.1"), // 93 bpf_spin_lock
    Some("5.1"), // 94 bpf_spin_unlock
    Some("5.1"), // 95 bpf_sk_fullsock
    Some("5.1"), // 96 bpf_tcp_sock
    Some("5.1"), // 97 bpf_skb_ecn_set_ce
    Some("5.1"), // 98 bpf_get_listener_sock
    Some("5.2"), // 99 bpf_skc_lookup_tcp
    Some("5.2"), // 100 bpf_tcp_check_syncookie
    Some("5.2"), // 101 bpf_sysctl_get_name
    Some("5.2"), // 102 bpf_sysctl_get_current_value
    Some("5.2"), // 103 bpf_sysctl_get_new_value
    Some("5.2"), // 104 bpf_sysctl_set_new_value
    Some("5.2"), // 105 bpf_strtol
    Some("5.2"), // 106 bpf_strtoul
    Some("5.2"), // 107 bpf_sk_storage_get
    Some("5.2"), // 108 bpf_sk_storage_delete
    Some("5.3"), // 109 bpf_send_signal
    Some("5.4"), // 110 bpf_tcp_gen_syncookie
    Some("5.5"), // 111 bpf_skb_output
    Some("5.5"), // 112 bpf_probe_read_user
    Some("5.5"), // 113 bpf_probe_read_kernel
    Some("5.5"), // 114 bpf_probe_read_user_str
    Some("5.5"), // 115 bpf_probe_read_kernel_str
    Some("5.6"), // 116 bpf_tcp_send_ack
    Some("5.6"), // 117 bpf_send_signal_thread
    Some("5.6"), // 118 bpf_jiffies64
    Some("5.7"), // 119 bpf_read_branch_records
    Some("5.7"), // 120 bpf_get_ns_current_pid_tgid
    Some("5.7"), // 121 bpf_xdp_output
    Some("5.7"), // 122 bpf_get_netns_cookie
    Some("5.7"), // 123 bpf_get_current_ancestor_cgroup_id
    Some("5.7"), // 124 bpf_sk_assign
    Some("5.8"), // 125 bpf_ktime_get_boot_ns
    Some("5.8"), // 126 bpf_seq_printf
    Some("5.8"), // 127 bpf_seq_write
    Some("5.8"), // 128 bpf_sk_cgroup_id
    Some("5.8"), // 129 bpf_sk_ancestor_cgroup_id
    Some("5.8"), // 130 bpf_ringbuf_output
    Some("5.8"), // 131 bpf_ringbuf_reserve
    Some("5.8"), // 132 bpf_ringbuf_submit
    Some("5.8"), // 133 bpf_ringbuf_discard
    Some("5.8"), // 134 bpf_ringbuf_query
    Some("5.8"), // 135 bpf_csum_level
    Some("5.9"), // 136 bpf_skc_to_tcp6_sock
    Some("5.9"), // 137 bpf_skc_to_tcp_sock
    Some("5.9"), // 138 bpf_skc_to_tcp_timewait_sock
    Some("5.9"), // 139 bpf_skc_to_tcp_request_sock
    Some("5.9"), // 140 bpf_skc_to_udp6_sock
    Some("5.9"), // 141 bpf_get_task_stack
    Some("5.10"), // 142 bpf_load_hdr_opt
    Some("5.10"), // 143 bpf_store_hdr_opt
    Some("5.10"), // 144 bpf_reserve_hdr_opt
    Some("5.10"), // 145 bpf_inode_storage_get
    Some("5.10"), // 146 bpf_inode_storage_delete
    Some("5.10"), // 147 bpf_d_path
    Some("5.10"), // 148 bpf_copy_from_user
    Some("5.10"), // 149 bpf_snprintf_btf
    Some("5.10"), // 150 bpf_seq_printf_btf
    Some("5.10"), // 151 bpf_skb_cgroup_classid
    Some("5.10"), // 152 bpf_redirect_neigh
    Some("5.10"), // 153 bpf_per_cpu_ptr
    Some("5.10"), // 154 bpf_this_cpu_ptr
    Some("5.10"), // 155 bpf_redirect_peer
    Some("5.11"), // 156 bpf_task_storage_get
    Some("5.11"), // 157 bpf_task_storage_delete
    Some("5.11"), // 158 bpf_get_current_task_btf
    Some("5.11"), // 159 bpf_bprm_opts_set
    Some("5.11"), // 160 bpf_ktime_get_coarse_ns
    Some("5.11"), // 161 bpf_ima_inode_hash
    Some("5.11"), // 162 bpf_sock_from_file
    Some("5.12"), // 163 bpf_check_mtu
    Some("5.13"), // 164 bpf_for_each_map_elem
    Some("5.13"), // 165 bpf_snprintf
    Some("5.14"), // 166 bpf_sys_bpf
    Some("5.14"), // 167 bpf_btf_find_by_name_kind
    Some("5.14"), // 168 bpf_sys_close
    Some("5.15"), // 169 bpf_timer_init
    Some("5.15"), // 170 bpf_timer_set_callback
    Some("5.15"), // 171 bpf_timer_start
    Some("5.15"), // 172 bpf_timer_cancel
    Some("5.15"), // 173 bpf_get_func_ip
    Some("5.15"), // 174 bpf_get_attach_cookie
    Some("5.15"), // 175 bpf_task_pt_regs
    Some("5.16"), // 176 bpf_get_branch_snapshot
    Some("5.16"), // 177 bpf_trace_vprintk
    Some("5.16"), // 178 bpf_skc_to_unix_sock
    Some("5.16"), // 179 bpf_kallsyms_lookup_name
    Some("5.17"), // 180 bpf_find_vma
    Some("5.17"), // 181 bpf_loop
    Some("5.17"), // 182 bpf_strncmp
    Some("5.17"), // 183 bpf_get_func_arg
    Some("5.17"), // 184 bpf_get_func_ret
    Some("5.17"), // 185 bpf_get_func_arg_cnt
    Some("5.18"), // 186 bpf_get_retval
    Some("5.18"), // 187 bpf_set_retval
    Some("5.18"), // 188 bpf_xdp_get_buff_len
    Some("5.18"), // 189 bpf_xdp_load_bytes
    Some("5.18"), // 190 bpf_xdp_store_bytes
    Some("5.18"), // 191 bpf_copy_from_user_task
    Some("5.18"), // 192 bpf_skb_set_tstamp
    Some("5.18"), // 193 bpf_ima_file_hash
    Some("5.19"), // 194 bpf_kptr_xchg
    Some("5.19"), // 195 bpf_map_lookup_percpu_elem
    Some("5.19"), // 196 bpf_skc_to_mptcp_sock
    Some("5.19"), // 197 bpf_dynptr_from_mem
    Some("5.19"), // 198 bpf_ringbuf_reserve_dynptr
    Some("5.19"), // 199 bpf_ringbuf_submit_dynptr
    Some("5.19"), // 200 bpf_ringbuf_discard_dynptr
    Some("5.19"), // 201 bpf_dynptr_read
    Some("5.19"), // 202 bpf_dynptr_write
    Some("5.19"), // 203 bpf_dynptr_data
    Some("6.0"), // 204 bpf_tcp_raw_gen_syncookie_ipv4
    Some("6.0"), // 205 bpf_tcp_raw_gen_syncookie_ipv6
    Some("6.0"), // 206 bpf_tcp_raw_check_syncookie_ipv4
    Some("6.0"), // 207 bpf_tcp_raw_check_syncookie_ipv6
    Some("6.1"), // 208 bpf_ktime_get_tai_ns
    Some("6.1"), // 209 bpf_user_ringbuf_drain
    Some("6.2"), // 210 bpf_cgrp_storage_get
    Some("6.2"), // 211 bpf_cgrp_storage_delete
];

/// The first release with each kernel kfunc that is not a dynptr function (those carry theirs in
/// the dynptr engine's table, [`crate::dynptr::functions`]).
#[rustfmt::skip]
const KFUNC_SINCE: &[(&str, &str)] = &[
    ("__bpf_trap", "6.16"),
    ("bbr_cwnd_event", "5.13"),
    ("bbr_init", "5.13"),
    ("bbr_main", "5.13"),
    ("bbr_min_tso_segs", "5.13"),
    ("bbr_set_state", "5.13"),
    ("bbr_sndbuf_expand", "5.13"),
    ("bbr_ssthresh", "5.13"),
    ("bbr_undo_cwnd", "5.13"),
    ("bpf_arena_alloc_pages", "6.9"),
    ("bpf_arena_free_pages", "6.9"),
    ("bpf_arena_reserve_pages", "6.17"),
    ("bpf_cast_to_kern_ctx", "6.2"),
    ("bpf_cgroup_acquire", "6.2"),
    ("bpf_cgroup_ancestor", "6.2"),
    ("bpf_cgroup_from_id", "6.4"),
    ("bpf_cgroup_read_xattr", "6.17"),
    ("bpf_cgroup_release", "6.2"),
    ("bpf_copy_from_user_dynptr", "6.16"),
    ("bpf_copy_from_user_str", "6.12"),
    ("bpf_copy_from_user_str_dynptr", "6.16"),
    ("bpf_copy_from_user_task_dynptr", "6.16"),
    ("bpf_copy_from_user_task_str", "6.15"),
    ("bpf_copy_from_user_task_str_dynptr", "6.16"),
    ("bpf_cpumask_acquire", "6.3"),
    ("bpf_cpumask_and", "6.3"),
    ("bpf_cpumask_any_and_distribute", "6.5"),
    ("bpf_cpumask_any_distribute", "6.5"),
    ("bpf_cpumask_clear", "6.3"),
    ("bpf_cpumask_clear_cpu", "6.3"),
    ("bpf_cpumask_copy", "6.3"),
    ("bpf_cpumask_create", "6.3"),
    ("bpf_cpumask_empty", "6.3"),
    ("bpf_cpumask_equal", "6.3"),
    ("bpf_cpumask_first", "6.3"),
    ("bpf_cpumask_first_and", "6.5"),
    ("bpf_cpumask_first_zero", "6.3"),
    ("bpf_cpumask_full", "6.3"),
    ("bpf_cpumask_intersects", "6.3"),
    ("bpf_cpumask_or", "6.3"),
    ("bpf_cpumask_populate", "6.15"),
    ("bpf_cpumask_release", "6.3"),
    ("bpf_cpumask_set_cpu", "6.3"),
    ("bpf_cpumask_setall", "6.3"),
    ("bpf_cpumask_subset", "6.3"),
    ("bpf_cpumask_test_and_clear_cpu", "6.3"),
    ("bpf_cpumask_test_and_set_cpu", "6.3"),
    ("bpf_cpumask_test_cpu", "6.3"),
    ("bpf_cpumask_weight", "6.8"),
    ("bpf_cpumask_xor", "6.3"),
    ("bpf_crypto_ctx_acquire", "6.10"),
    ("bpf_crypto_ctx_create", "6.10"),
    ("bpf_crypto_ctx_release", "6.10"),
    ("bpf_crypto_decrypt", "6.10"),
    ("bpf_crypto_encrypt", "6.10"),
    ("bpf_ct_change_status", "6.0"),
    ("bpf_ct_change_timeout", "6.0"),
    ("bpf_ct_insert_entry", "6.0"),
    ("bpf_ct_release", "5.18"),
    ("bpf_ct_set_nat_info", "6.1"),
    ("bpf_ct_set_status", "6.0"),
    ("bpf_ct_set_timeout", "6.0"),
    ("bpf_get_dentry_xattr", "6.12"),
    ("bpf_get_file_xattr", "6.8"),
    ("bpf_get_kmem_cache", "6.13"),
    ("bpf_get_task_exe_file", "6.12"),
    ("bpf_iter_bits_destroy", "6.11"),
    ("bpf_iter_bits_new", "6.11"),
    ("bpf_iter_bits_next", "6.11"),
    ("bpf_iter_css_destroy", "6.7"),
    ("bpf_iter_css_new", "6.7"),
    ("bpf_iter_css_next", "6.7"),
    ("bpf_iter_css_task_destroy", "6.7"),
    ("bpf_iter_css_task_new", "6.7"),
    ("bpf_iter_css_task_next", "6.7"),
    ("bpf_iter_dmabuf_destroy", "6.16"),
    ("bpf_iter_dmabuf_new", "6.16"),
    ("bpf_iter_dmabuf_next", "6.16"),
    ("bpf_iter_kmem_cache_destroy", "6.13"),
    ("bpf_iter_kmem_cache_new", "6.13"),
    ("bpf_iter_kmem_cache_next", "6.13"),
    ("bpf_iter_num_destroy", "6.4"),
    ("bpf_iter_num_new", "6.4"),
    ("bpf_iter_num_next", "6.4"),
    ("bpf_iter_task_destroy", "6.7"),
    ("bpf_iter_task_new", "6.7"),
    ("bpf_iter_task_next", "6.7"),
    ("bpf_iter_task_vma_destroy", "6.7"),
    ("bpf_iter_task_vma_new", "6.7"),
    ("bpf_iter_task_vma_next", "6.7"),
    ("bpf_key_put", "6.1"),
    ("bpf_list_back", "6.16"),
    ("bpf_list_front", "6.16"),
    ("bpf_list_pop_back", "6.2"),
    ("bpf_list_pop_front", "6.2"),
    ("bpf_list_push_back_impl", "6.4"),
    ("bpf_list_push_front_impl", "6.4"),
    ("bpf_local_irq_restore", "6.14"),
    ("bpf_local_irq_save", "6.14"),
    ("bpf_lookup_system_key", "6.1"),
    ("bpf_lookup_user_key", "6.1"),
    ("bpf_map_sum_elem_count", "6.6"),
    ("bpf_obj_drop_impl", "6.2"),
    ("bpf_obj_new_impl", "6.2"),
    ("bpf_path_d_path", "6.12"),
    ("bpf_percpu_obj_drop_impl", "6.7"),
    ("bpf_percpu_obj_new_impl", "6.7"),
    ("bpf_preempt_disable", "6.10"),
    ("bpf_preempt_enable", "6.10"),
    ("bpf_probe_read_kernel_dynptr", "6.16"),
    ("bpf_probe_read_kernel_str_dynptr", "6.16"),
    ("bpf_probe_read_user_dynptr", "6.16"),
    ("bpf_probe_read_user_str_dynptr", "6.16"),
    ("bpf_put_file", "6.12"),
    ("bpf_rbtree_add_impl", "6.4"),
    ("bpf_rbtree_first", "6.3"),
    ("bpf_rbtree_left", "6.16"),
    ("bpf_rbtree_remove", "6.3"),
    ("bpf_rbtree_right", "6.16"),
    ("bpf_rbtree_root", "6.16"),
    ("bpf_rcu_read_lock", "6.2"),
    ("bpf_rcu_read_unlock", "6.2"),
    ("bpf_rdonly_cast", "6.2"),
    ("bpf_refcount_acquire_impl", "6.4"),
    ("bpf_remove_dentry_xattr", "6.15"),
    ("bpf_res_spin_lock", "6.15"),
    ("bpf_res_spin_lock_irqsave", "6.15"),
    ("bpf_res_spin_unlock", "6.15"),
    ("bpf_res_spin_unlock_irqrestore", "6.15"),
    ("bpf_send_signal_task", "6.13"),
    ("bpf_session_cookie", "6.10"),
    ("bpf_session_is_return", "6.10"),
    ("bpf_set_dentry_xattr", "6.15"),
    ("bpf_sk_assign_tcp_reqsk", "6.11"),
    ("bpf_skb_ct_alloc", "6.0"),
    ("bpf_skb_ct_lookup", "5.18"),
    ("bpf_sock_addr_set_sun_path", "6.7"),
    ("bpf_sock_destroy", "6.5"),
    ("bpf_sock_ops_enable_tx_tstamp", "6.15"),
    ("bpf_strcasecmp", "6.18"),
    ("bpf_strchr", "6.17"),
    ("bpf_strchrnul", "6.17"),
    ("bpf_strcmp", "6.17"),
    ("bpf_strcspn", "6.17"),
    ("bpf_stream_vprintk_impl", "6.17"),
    ("bpf_strlen", "6.17"),
    ("bpf_strnchr", "6.17"),
    ("bpf_strnlen", "6.17"),
    ("bpf_strnstr", "6.17"),
    ("bpf_strrchr", "6.17"),
    ("bpf_strspn", "6.17"),
    ("bpf_strstr", "6.17"),
    ("bpf_task_acquire", "6.2"),
    ("bpf_task_from_pid", "6.2"),
    ("bpf_task_from_vpid", "6.13"),
    ("bpf_task_get_cgroup1", "6.8"),
    ("bpf_task_release", "6.2"),
    ("bpf_task_under_cgroup", "6.5"),
    ("bpf_task_work_schedule_resume_impl", "6.18"),
    ("bpf_task_work_schedule_signal_impl", "6.18"),
    ("bpf_throw", "6.7"),
    ("bpf_wq_init", "6.10"),
    ("bpf_wq_set_callback_impl", "6.10"),
    ("bpf_wq_start", "6.10"),
    ("bpf_xdp_ct_alloc", "6.0"),
    ("bpf_xdp_ct_lookup", "5.18"),
    ("bpf_xdp_get_xfrm_state", "6.8"),
    ("bpf_xdp_metadata_rx_hash", "6.3"),
    ("bpf_xdp_metadata_rx_timestamp", "6.3"),
    ("bpf_xdp_metadata_rx_vlan_tag", "6.8"),
    ("bpf_xdp_pull_data", "6.18"),
    ("bpf_xdp_xfrm_state_release", "6.8"),
    ("css_rstat_flush", "6.16"),
    ("css_rstat_updated", "6.16"),
    ("cubictcp_acked", "5.13"),
    ("cubictcp_cong_avoid", "5.13"),
    ("cubictcp_cwnd_event", "5.13"),
    ("cubictcp_init", "5.13"),
    ("cubictcp_recalc_ssthresh", "5.13"),
    ("cubictcp_state", "5.13"),
    ("tcp_cong_avoid_ai", "5.13"),
    ("tcp_reno_cong_avoid", "5.13"),
    ("tcp_reno_ssthresh", "5.13"),
    ("tcp_reno_undo_cwnd", "5.13"),
    ("tcp_slow_start", "5.13"),
];

/// The kfuncs the kernel offers only for its BPF selftests.
const TEST_ONLY: &[&str] = &["bpf_fentry_test1", "bpf_kfunc_call_memb_release", "bpf_kfunc_call_test_release", "bpf_modify_return_test", "bpf_modify_return_test2", "bpf_modify_return_test_tp"];

/// Kernel kfuncs upstream deprecated after 6.18, with the release and the replacement.
#[rustfmt::skip]
const LATER_DEPRECATED: &[(&str, &str, &str)] = &[
    ("bpf_list_push_back_impl", "7.1", "bpf_list_push_back"),
    ("bpf_list_push_front_impl", "7.1", "bpf_list_push_front"),
    ("bpf_obj_drop_impl", "7.1", "bpf_obj_drop"),
    ("bpf_obj_new_impl", "7.1", "bpf_obj_new"),
    ("bpf_percpu_obj_drop_impl", "7.1", "bpf_percpu_obj_drop"),
    ("bpf_percpu_obj_new_impl", "7.1", "bpf_percpu_obj_new"),
    ("bpf_rbtree_add_impl", "7.1", "bpf_rbtree_add"),
    ("bpf_refcount_acquire_impl", "7.1", "bpf_refcount_acquire"),
];

/// The helpers whose own documentation sends users to others: (id, replacement).
const DEPRECATED_HELPERS: &[(i64, &str)] = &[(4, "bpf_probe_read_kernel or bpf_probe_read_user"), (45, "bpf_probe_read_kernel_str or bpf_probe_read_user_str")];

/// A uapi helper's lifecycle (None for ids no kernel has).
pub fn helper(id: i64) -> Option<Lifecycle> {
    let since = *HELPER_SINCE.get(usize::try_from(id).ok()?)?;
    since?;
    let deprecated = DEPRECATED_HELPERS.iter().find(|d| d.0 == id);
    Some(Lifecycle {
        since: since.map(Cow::Borrowed),
        tier: if deprecated.is_some() { Tier::Deprecated } else { Tier::Stable },
        replacement: deprecated.map(|d| Cow::Borrowed(d.1)),
        deprecated_in: None,
        test_only: false,
    })
}

/// The first release with a kernel kfunc (the kfunc table reads it here while it is built).
pub fn kfunc_since(name: &str) -> Option<&'static str> {
    let dynptr = crate::dynptr::functions::DYNPTR_FUNCTIONS.iter().find(|d| d.name == name).and_then(|d| match d.origin {
        crate::dynptr::functions::Origin::Kernel { since } => Some(since),
        _ => None,
    });
    dynptr.or_else(|| KFUNC_SINCE.iter().find(|k| k.0 == name).map(|k| k.1))
}

/// A kernel kfunc's lifecycle (None for names no kernel has).
pub fn kernel_kfunc(name: &str) -> Option<Lifecycle> {
    super::kfuncs::kernel_kfunc(name)?;
    let since = kfunc_since(name);
    let later = LATER_DEPRECATED.iter().find(|d| d.0 == name);
    Some(Lifecycle {
        since: since.map(Cow::Borrowed),
        tier: if later.is_some() { Tier::StartingToDeprecate } else { Tier::Unstable },
        replacement: later.map(|d| Cow::Borrowed(d.2)),
        deprecated_in: later.map(|d| Cow::Borrowed(d.1)),
        test_only: TEST_ONLY.contains(&name),
    })
}

/// The seed's convenience kfuncs: in no kernel.
pub const SEED: Lifecycle = Lifecycle { since: None, tier: Tier::Unstable, replacement: None, deprecated_in: None, test_only: false };

impl Lifecycle {
    /// A user (module) kfunc's, as declared; unstable unless it says otherwise.
    pub fn declared(tier: Option<Tier>, since: Option<String>, replacement: Option<String>) -> Lifecycle {
        Lifecycle { since: since.map(Cow::Owned), tier: tier.unwrap_or(Tier::Unstable), replacement: replacement.map(Cow::Owned), deprecated_in: None, test_only: false }
    }
}

/// What a load's lifecycle policy asks, beyond the kernel's own rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LifecyclePolicy {
    /// Refuse what this kernel release lacks ("will this load on kernel X").
    pub target_kernel: Option<Version>,
    /// The tiers allowed (a set of [`Tier::bit`]); None: all.
    pub allow_tiers: Option<u8>,
}

/// One function a program calls, as the lifecycle policy sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Called<'a> {
    /// "bpf_xdp_load_bytes#189" for a helper, the name for a kfunc.
    pub what: String,
    pub kfunc: bool,
    pub name: &'a str,
    pub pc: Option<usize>,
    pub lifecycle: Lifecycle,
    /// A kfunc the embedder provides (a module's): its version is its own, not the kernel's.
    pub user: bool,
}

/// The warnings a load reports and its refusal, if any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub warnings: Vec<String>,
    pub refusal: Option<super::policy::Refusal>,
}

fn version_text(v: Version) -> String {
    format!("{}.{}", v.0, v.1)
}

impl LifecyclePolicy {
    /// Checks the calls in pc order: a function the target release lacks (the kernel's words for
    /// an unknown helper, libbpf's for a missing kfunc, then when it came), a tier the policy does
    /// not allow; and warns of every deprecated or deprecating one (with its replacement).
    pub fn check(&self, calls: &[Called]) -> Verdict {
        use crate::errno::Errno;
        let mut out = Verdict::default();
        let mut order: Vec<&Called> = calls.iter().collect();
        order.sort_by_key(|c| c.pc.unwrap_or(usize::MAX));
        for c in order {
            let l = &c.lifecycle;
            let refuse = |message: String, errno: Errno| Some(super::policy::Refusal { message, errno, pc: c.pc });
            if out.refusal.is_none() {
                if let Some(target) = self.target_kernel {
                    let came = l.since.as_deref().and_then(parse_version);
                    let lacks = match came {
                        Some(v) => v > target,
                        // The seed's kfuncs and the kernel's test kfuncs are in no release a program
                        // can count on; a user (module) kfunc without a version is the user's call.
                        None => !c.user,
                    };
                    if lacks {
                        let kernel = if c.kfunc { super::policy::kfunc_not_found(c.name) } else { c.what.split('#').nth(1).map_or_else(String::new, |id| format!("invalid func unknown#{id}")) };
                        let why = match l.since.as_deref() {
                            Some(v) => format!("{} came in Linux {v}, the target is {}", c.what, version_text(target)),
                            None if l.test_only => format!("{} is a kernel selftest kfunc, in no release to count on", c.what),
                            None if c.kfunc => format!("{} is in no Linux release (the seed's convenience API)", c.what),
                            None => format!("{} is in no Linux release (a helper the seed proposed)", c.what),
                        };
                        let errno = if c.kfunc { Errno::ESRCH } else { Errno::EINVAL };
                        out.refusal = refuse(format!("{kernel} ({why})"), errno);
                    }
                }
            }
            if out.refusal.is_none() {
                if let Some(allowed) = self.allow_tiers {
                    if allowed & l.tier.bit() == 0 {
                        let names: Vec<&str> = Tier::ALL.into_iter().filter(|t| allowed & t.bit() != 0).map(Tier::name).collect();
                        out.refusal = refuse(format!("{} is {}, which the policy does not allow (allowTiers: {})", c.what, l.tier.name(), names.join(", ")), Errno::EPERM);
                    }
                }
            }
            if !c.kfunc && l.since.is_none() {
                let at = c.pc.map_or_else(String::new, |pc| format!("insn {pc}: "));
                out.warnings.push(format!("{at}{} is one of the seed's proposed helpers (seed 004), which never reached uapi: no kernel has it", c.what));
            }
                        if matches!(l.tier, Tier::Deprecated | Tier::StartingToDeprecate) {
                let when = match (l.tier, l.deprecated_in.as_deref()) {
                    (Tier::StartingToDeprecate, Some(v)) => format!("is starting to deprecate (deprecated in Linux {v})"),
                    (Tier::StartingToDeprecate, None) => "is starting to deprecate".to_string(),
                    _ => "is deprecated".to_string(),
                };
                let instead = l.replacement.as_deref().map_or_else(String::new, |r| format!("; use {r}"));
                let at = c.pc.map_or_else(String::new, |pc| format!("insn {pc}: "));
                let w = format!("{at}{} {when}{instead}", c.what);
                if !out.warnings.contains(&w) {
                    out.warnings.push(w);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_helper_and_kernel_kfunc_has_a_release() {
        for id in 1..=211 {
            assert!(helper(id).and_then(|l| l.since).as_deref().and_then(parse_version).is_some(), "helper {id}");
        }
        assert!(helper(0).is_none() && helper(212).is_none());
        for (name, _) in super::super::kfuncs::kernel_kfunc_prog_types() {
            let l = kernel_kfunc(name).unwrap();
            assert!(l.test_only || l.since.as_deref().and_then(parse_version).is_some(), "{name}");
        }
        // The dynptr helpers' releases are the dynptr engine's too.
        for d in crate::dynptr::functions::DYNPTR_FUNCTIONS {
            if let (crate::dynptr::functions::Call::Helper(id), crate::dynptr::functions::Origin::Kernel { since }) = (d.call, d.origin) {
                assert_eq!(helper(i64::from(id)).unwrap().since.as_deref(), Some(since), "{}", d.name);
            }
        }
    }

    #[test]
    fn versions_order_as_releases() {
        assert!(parse_version("6.10") > parse_version("6.9"));
        assert_eq!(parse_version("6.18"), Some((6, 18)));
        for bad in ["6", "6.", ".6", "6.x", "v6.6", "6.6.1"] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_policy_refuses_and_warns() {
        let call = |name: &'static str, pc: usize| Called { what: name.to_string(), kfunc: true, name, pc: Some(pc), lifecycle: kernel_kfunc(name).unwrap(), user: false };
        let p = LifecyclePolicy { target_kernel: Some((6, 6)), allow_tiers: None };
        let v = p.check(&[call("bpf_iter_num_new", 3), call("bpf_iter_bits_new", 9)]);
        let r = v.refusal.unwrap();
        assert_eq!(r.message, "extern (func ksym) 'bpf_iter_bits_new': not found in kernel or module BTFs (bpf_iter_bits_new came in Linux 6.11, the target is 6.6)");
        assert_eq!((r.pc, r.errno), (Some(9), crate::errno::Errno::ESRCH));
        let v = LifecyclePolicy::default().check(&[call("bpf_obj_new_impl", 4)]);
        assert_eq!(v.warnings, ["insn 4: bpf_obj_new_impl is starting to deprecate (deprecated in Linux 7.1); use bpf_obj_new"]);
        let only_stable = LifecyclePolicy { target_kernel: None, allow_tiers: Some(Tier::Stable.bit()) };
        assert_eq!(only_stable.check(&[call("bpf_iter_num_new", 1)]).refusal.unwrap().message, "bpf_iter_num_new is unstable, which the policy does not allow (allowTiers: stable)");
    }
}
