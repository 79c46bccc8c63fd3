/**
 * BPF helpers as a 6.18 kernel defines them: every uapi helper id and name, which program types may
 * call each, which are GPL-only, and the full prototypes (`struct bpf_func_proto`) of every helper an
 * XDP program can call.
 *
 * Sources: ids and names are `enum bpf_func_id` of a running 6.18 kernel's BTF (the order of
 * `___BPF_FUNC_MAPPER` in include/uapi/linux/bpf.h); program types and GPL-only-ness are what that
 * kernel's verifier answered to a call of every helper from every program type (GPL and proprietary
 * licences, all capabilities); prototypes follow net/core/filter.c (`xdp_func_proto`,
 * `bpf_sk_base_func_proto`) and kernel/bpf/helpers.c (`bpf_base_func_proto`), with the
 * memory-access fixes the 6.18 stable series carries (see HELPERS).
 *
 * The helper freeze: no helper was added after 211; new kernel functions are kfuncs (./kfuncs).
 */
import { ESTABLISHED_PROG_TYPES, type ProgTypeName } from './progtypes'

/** Base argument kinds (`enum bpf_arg_type`, 6.18), with their values. */
export const BPF_ARG_TYPE = {
  ARG_DONTCARE: 0,
  ARG_CONST_MAP_PTR: 1,
  ARG_PTR_TO_MAP_KEY: 2,
  ARG_PTR_TO_MAP_VALUE: 3,
  ARG_PTR_TO_MEM: 4,
  ARG_PTR_TO_ARENA: 5,
  ARG_CONST_SIZE: 6,
  ARG_CONST_SIZE_OR_ZERO: 7,
  ARG_PTR_TO_CTX: 8,
  ARG_ANYTHING: 9,
  ARG_PTR_TO_SPIN_LOCK: 10,
  ARG_PTR_TO_SOCK_COMMON: 11,
  ARG_PTR_TO_SOCKET: 12,
  ARG_PTR_TO_BTF_ID: 13,
  ARG_PTR_TO_RINGBUF_MEM: 14,
  ARG_CONST_ALLOC_SIZE_OR_ZERO: 15,
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: 16,
  ARG_PTR_TO_PERCPU_BTF_ID: 17,
  ARG_PTR_TO_FUNC: 18,
  ARG_PTR_TO_STACK: 19,
  ARG_PTR_TO_CONST_STR: 20,
  ARG_PTR_TO_TIMER: 21,
  ARG_KPTR_XCHG_DEST: 22,
  ARG_PTR_TO_DYNPTR: 23,
} as const

/** Base return kinds (`enum bpf_return_type`, 6.18), with their values. */
export const BPF_RETURN_TYPE = {
  RET_INTEGER: 0,
  RET_VOID: 1,
  RET_PTR_TO_MAP_VALUE: 2,
  RET_PTR_TO_SOCKET: 3,
  RET_PTR_TO_TCP_SOCK: 4,
  RET_PTR_TO_SOCK_COMMON: 5,
  RET_PTR_TO_MEM: 6,
  RET_PTR_TO_MEM_OR_BTF_ID: 7,
  RET_PTR_TO_BTF_ID: 8,
} as const

/** Type modifiers (`enum bpf_type_flag`, 6.18): bits above the base kind. */
export const BPF_TYPE_FLAG = {
  PTR_MAYBE_NULL: 1 << 8,
  MEM_RDONLY: 1 << 9,
  MEM_RINGBUF: 1 << 10,
  MEM_USER: 1 << 11,
  MEM_PERCPU: 1 << 12,
  OBJ_RELEASE: 1 << 13,
  PTR_UNTRUSTED: 1 << 14,
  MEM_UNINIT: 1 << 15,
  DYNPTR_TYPE_LOCAL: 1 << 16,
  DYNPTR_TYPE_RINGBUF: 1 << 17,
  MEM_FIXED_SIZE: 1 << 18,
  MEM_ALLOC: 1 << 19,
  PTR_TRUSTED: 1 << 20,
  MEM_RCU: 1 << 21,
  NON_OWN_REF: 1 << 22,
  DYNPTR_TYPE_SKB: 1 << 23,
  DYNPTR_TYPE_XDP: 1 << 24,
  MEM_ALIGNED: 1 << 25,
  MEM_WRITE: 1 << 26,
  DYNPTR_TYPE_SKB_META: 1 << 27,
} as const

/** The kernel's shorthand names for a base kind with modifiers. */
const ALIASES: Record<string, readonly string[]> = {
  ARG_PTR_TO_MAP_VALUE_OR_NULL: ['ARG_PTR_TO_MAP_VALUE', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_MEM_OR_NULL: ['ARG_PTR_TO_MEM', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_CTX_OR_NULL: ['ARG_PTR_TO_CTX', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_SOCKET_OR_NULL: ['ARG_PTR_TO_SOCKET', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_STACK_OR_NULL: ['ARG_PTR_TO_STACK', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_BTF_ID_OR_NULL: ['ARG_PTR_TO_BTF_ID', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_UNINIT_MEM: ['ARG_PTR_TO_MEM', 'MEM_UNINIT', 'MEM_WRITE'],
  ARG_PTR_TO_FIXED_SIZE_MEM: ['ARG_PTR_TO_MEM', 'MEM_FIXED_SIZE'],
  RET_PTR_TO_MAP_VALUE_OR_NULL: ['RET_PTR_TO_MAP_VALUE', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_SOCKET_OR_NULL: ['RET_PTR_TO_SOCKET', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_TCP_SOCK_OR_NULL: ['RET_PTR_TO_TCP_SOCK', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_SOCK_COMMON_OR_NULL: ['RET_PTR_TO_SOCK_COMMON', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_RINGBUF_MEM_OR_NULL: ['RET_PTR_TO_MEM', 'MEM_RINGBUF', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_DYNPTR_MEM_OR_NULL: ['RET_PTR_TO_MEM', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_BTF_ID_OR_NULL: ['RET_PTR_TO_BTF_ID', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_BTF_ID_TRUSTED: ['RET_PTR_TO_BTF_ID', 'PTR_TRUSTED'],
}

/** An argument kind as the prototypes spell it: a base kind or shorthand, then `|`-joined modifiers. */
export type ArgType =
  | keyof typeof BPF_ARG_TYPE
  | 'ARG_PTR_TO_MAP_VALUE_OR_NULL'
  | 'ARG_PTR_TO_MEM_OR_NULL'
  | 'ARG_PTR_TO_CTX_OR_NULL'
  | 'ARG_PTR_TO_SOCKET_OR_NULL'
  | 'ARG_PTR_TO_STACK_OR_NULL'
  | 'ARG_PTR_TO_BTF_ID_OR_NULL'
  | 'ARG_PTR_TO_UNINIT_MEM'
  | 'ARG_PTR_TO_FIXED_SIZE_MEM'
  | 'ARG_PTR_TO_MEM|MEM_RDONLY'
  | 'ARG_PTR_TO_MEM|MEM_WRITE'
  | 'ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY'
  | 'ARG_PTR_TO_MEM_OR_NULL|MEM_WRITE'
  | 'ARG_PTR_TO_MAP_VALUE|MEM_UNINIT|MEM_WRITE'
  | 'ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY'
  | 'ARG_PTR_TO_FIXED_SIZE_MEM|MEM_WRITE|MEM_ALIGNED'
  | 'ARG_PTR_TO_FIXED_SIZE_MEM|MEM_UNINIT|MEM_WRITE|MEM_ALIGNED'
  | 'ARG_PTR_TO_BTF_ID_SOCK_COMMON|OBJ_RELEASE'
  | 'ARG_PTR_TO_BTF_ID_OR_NULL|OBJ_RELEASE'
  | 'ARG_PTR_TO_RINGBUF_MEM|OBJ_RELEASE'
  | 'ARG_PTR_TO_DYNPTR|MEM_RDONLY'
  | 'ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_LOCAL|MEM_UNINIT'
  | 'ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|MEM_UNINIT'
  | 'ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|OBJ_RELEASE'

/** A return kind as the prototypes spell it. */
export type RetType =
  | keyof typeof BPF_RETURN_TYPE
  | 'RET_PTR_TO_MAP_VALUE_OR_NULL'
  | 'RET_PTR_TO_SOCKET_OR_NULL'
  | 'RET_PTR_TO_TCP_SOCK_OR_NULL'
  | 'RET_PTR_TO_SOCK_COMMON_OR_NULL'
  | 'RET_PTR_TO_RINGBUF_MEM_OR_NULL'
  | 'RET_PTR_TO_DYNPTR_MEM_OR_NULL'
  | 'RET_PTR_TO_BTF_ID_OR_NULL'
  | 'RET_PTR_TO_BTF_ID_TRUSTED'
  | 'RET_PTR_TO_MEM_OR_BTF_ID|MEM_RDONLY'
  | 'RET_PTR_TO_MEM_OR_BTF_ID|PTR_MAYBE_NULL|MEM_RDONLY'

/** The kernel's number for an argument or return kind: base value ORed with the modifier bits. */
export function protoTypeValue(type: ArgType | RetType): number {
  let value = 0
  const expand = (part: string): void => {
    const alias = ALIASES[part]
    if (alias) return alias.forEach(expand)
    const v =
      (BPF_ARG_TYPE as Record<string, number>)[part] ??
      (BPF_RETURN_TYPE as Record<string, number>)[part] ??
      (BPF_TYPE_FLAG as Record<string, number>)[part]
    if (v === undefined) throw new TypeError(`unknown prototype type part ${part}`)
    value |= v
  }
  type.split('|').forEach(expand)
  return value >>> 0
}

/** What the policy knows of any helper. */
export interface HelperInfo {
  id: number
  name: string
  /** The program types whose verifier accepts a call to it (only among ESTABLISHED_PROG_TYPES). */
  progTypes: readonly ProgTypeName[]
  /** Set wherever some established program type accepts it; absent for the helpers none does. */
  gplOnly?: boolean
  /** Program types where the helper's prototype is not GPL-only although `gplOnly` is true. */
  gplOnlyExcept?: readonly ProgTypeName[]
}

/** A helper's full prototype (`struct bpf_func_proto`) with the program types allowed to call it. */
export interface HelperSpec extends HelperInfo {
  ret: RetType
  args: ArgType[]
  gplOnly: boolean
  /** The capability `bpf_base_func_proto` / `bpf_sk_base_func_proto` want before offering it. */
  cap?: 'CAP_BPF' | 'CAP_PERFMON'
  /** `might_sleep`: callable only from sleepable programs (XDP never is). */
  mightSleep?: true
}

/** Every uapi helper name, indexed by id (0 is `BPF_FUNC_unspec`, never callable). */
export const HELPER_NAMES: readonly string[] = [
  'bpf_unspec', 'bpf_map_lookup_elem', 'bpf_map_update_elem', 'bpf_map_delete_elem', // 0
  'bpf_probe_read', 'bpf_ktime_get_ns', 'bpf_trace_printk', 'bpf_get_prandom_u32', // 4
  'bpf_get_smp_processor_id', 'bpf_skb_store_bytes', 'bpf_l3_csum_replace', 'bpf_l4_csum_replace', // 8
  'bpf_tail_call', 'bpf_clone_redirect', 'bpf_get_current_pid_tgid', 'bpf_get_current_uid_gid', // 12
  'bpf_get_current_comm', 'bpf_get_cgroup_classid', 'bpf_skb_vlan_push', 'bpf_skb_vlan_pop', // 16
  'bpf_skb_get_tunnel_key', 'bpf_skb_set_tunnel_key', 'bpf_perf_event_read', 'bpf_redirect', // 20
  'bpf_get_route_realm', 'bpf_perf_event_output', 'bpf_skb_load_bytes', 'bpf_get_stackid', // 24
  'bpf_csum_diff', 'bpf_skb_get_tunnel_opt', 'bpf_skb_set_tunnel_opt', 'bpf_skb_change_proto', // 28
  'bpf_skb_change_type', 'bpf_skb_under_cgroup', 'bpf_get_hash_recalc', 'bpf_get_current_task', // 32
  'bpf_probe_write_user', 'bpf_current_task_under_cgroup', 'bpf_skb_change_tail', 'bpf_skb_pull_data', // 36
  'bpf_csum_update', 'bpf_set_hash_invalid', 'bpf_get_numa_node_id', 'bpf_skb_change_head', // 40
  'bpf_xdp_adjust_head', 'bpf_probe_read_str', 'bpf_get_socket_cookie', 'bpf_get_socket_uid', // 44
  'bpf_set_hash', 'bpf_setsockopt', 'bpf_skb_adjust_room', 'bpf_redirect_map', // 48
  'bpf_sk_redirect_map', 'bpf_sock_map_update', 'bpf_xdp_adjust_meta', 'bpf_perf_event_read_value', // 52
  'bpf_perf_prog_read_value', 'bpf_getsockopt', 'bpf_override_return', 'bpf_sock_ops_cb_flags_set', // 56
  'bpf_msg_redirect_map', 'bpf_msg_apply_bytes', 'bpf_msg_cork_bytes', 'bpf_msg_pull_data', // 60
  'bpf_bind', 'bpf_xdp_adjust_tail', 'bpf_skb_get_xfrm_state', 'bpf_get_stack', // 64
  'bpf_skb_load_bytes_relative', 'bpf_fib_lookup', 'bpf_sock_hash_update', 'bpf_msg_redirect_hash', // 68
  'bpf_sk_redirect_hash', 'bpf_lwt_push_encap', 'bpf_lwt_seg6_store_bytes', 'bpf_lwt_seg6_adjust_srh', // 72
  'bpf_lwt_seg6_action', 'bpf_rc_repeat', 'bpf_rc_keydown', 'bpf_skb_cgroup_id', // 76
  'bpf_get_current_cgroup_id', 'bpf_get_local_storage', 'bpf_sk_select_reuseport', 'bpf_skb_ancestor_cgroup_id', // 80
  'bpf_sk_lookup_tcp', 'bpf_sk_lookup_udp', 'bpf_sk_release', 'bpf_map_push_elem', // 84
  'bpf_map_pop_elem', 'bpf_map_peek_elem', 'bpf_msg_push_data', 'bpf_msg_pop_data', // 88
  'bpf_rc_pointer_rel', 'bpf_spin_lock', 'bpf_spin_unlock', 'bpf_sk_fullsock', // 92
  'bpf_tcp_sock', 'bpf_skb_ecn_set_ce', 'bpf_get_listener_sock', 'bpf_skc_lookup_tcp', // 96
  'bpf_tcp_check_syncookie', 'bpf_sysctl_get_name', 'bpf_sysctl_get_current_value', 'bpf_sysctl_get_new_value', // 100
  'bpf_sysctl_set_new_value', 'bpf_strtol', 'bpf_strtoul', 'bpf_sk_storage_get', // 104
  'bpf_sk_storage_delete', 'bpf_send_signal', 'bpf_tcp_gen_syncookie', 'bpf_skb_output', // 108
  'bpf_probe_read_user', 'bpf_probe_read_kernel', 'bpf_probe_read_user_str', 'bpf_probe_read_kernel_str', // 112
  'bpf_tcp_send_ack', 'bpf_send_signal_thread', 'bpf_jiffies64', 'bpf_read_branch_records', // 116
  'bpf_get_ns_current_pid_tgid', 'bpf_xdp_output', 'bpf_get_netns_cookie', 'bpf_get_current_ancestor_cgroup_id', // 120
  'bpf_sk_assign', 'bpf_ktime_get_boot_ns', 'bpf_seq_printf', 'bpf_seq_write', // 124
  'bpf_sk_cgroup_id', 'bpf_sk_ancestor_cgroup_id', 'bpf_ringbuf_output', 'bpf_ringbuf_reserve', // 128
  'bpf_ringbuf_submit', 'bpf_ringbuf_discard', 'bpf_ringbuf_query', 'bpf_csum_level', // 132
  'bpf_skc_to_tcp6_sock', 'bpf_skc_to_tcp_sock', 'bpf_skc_to_tcp_timewait_sock', 'bpf_skc_to_tcp_request_sock', // 136
  'bpf_skc_to_udp6_sock', 'bpf_get_task_stack', 'bpf_load_hdr_opt', 'bpf_store_hdr_opt', // 140
  'bpf_reserve_hdr_opt', 'bpf_inode_storage_get', 'bpf_inode_storage_delete', 'bpf_d_path', // 144
  'bpf_copy_from_user', 'bpf_snprintf_btf', 'bpf_seq_printf_btf', 'bpf_skb_cgroup_classid', // 148
  'bpf_redirect_neigh', 'bpf_per_cpu_ptr', 'bpf_this_cpu_ptr', 'bpf_redirect_peer', // 152
  'bpf_task_storage_get', 'bpf_task_storage_delete', 'bpf_get_current_task_btf', 'bpf_bprm_opts_set', // 156
  'bpf_ktime_get_coarse_ns', 'bpf_ima_inode_hash', 'bpf_sock_from_file', 'bpf_check_mtu', // 160
  'bpf_for_each_map_elem', 'bpf_snprintf', 'bpf_sys_bpf', 'bpf_btf_find_by_name_kind', // 164
  'bpf_sys_close', 'bpf_timer_init', 'bpf_timer_set_callback', 'bpf_timer_start', // 168
  'bpf_timer_cancel', 'bpf_get_func_ip', 'bpf_get_attach_cookie', 'bpf_task_pt_regs', // 172
  'bpf_get_branch_snapshot', 'bpf_trace_vprintk', 'bpf_skc_to_unix_sock', 'bpf_kallsyms_lookup_name', // 176
  'bpf_find_vma', 'bpf_loop', 'bpf_strncmp', 'bpf_get_func_arg', // 180
  'bpf_get_func_ret', 'bpf_get_func_arg_cnt', 'bpf_get_retval', 'bpf_set_retval', // 184
  'bpf_xdp_get_buff_len', 'bpf_xdp_load_bytes', 'bpf_xdp_store_bytes', 'bpf_copy_from_user_task', // 188
  'bpf_skb_set_tstamp', 'bpf_ima_file_hash', 'bpf_kptr_xchg', 'bpf_map_lookup_percpu_elem', // 192
  'bpf_skc_to_mptcp_sock', 'bpf_dynptr_from_mem', 'bpf_ringbuf_reserve_dynptr', 'bpf_ringbuf_submit_dynptr', // 196
  'bpf_ringbuf_discard_dynptr', 'bpf_dynptr_read', 'bpf_dynptr_write', 'bpf_dynptr_data', // 200
  'bpf_tcp_raw_gen_syncookie_ipv4', 'bpf_tcp_raw_gen_syncookie_ipv6', 'bpf_tcp_raw_check_syncookie_ipv4', 'bpf_tcp_raw_check_syncookie_ipv6', // 204
  'bpf_ktime_get_tai_ns', 'bpf_user_ringbuf_drain', 'bpf_cgrp_storage_get', 'bpf_cgrp_storage_delete', // 208
]

/** The last helper id: the helper freeze. */
export const LAST_HELPER_ID = HELPER_NAMES.length - 1

const allBut = (...except: ProgTypeName[]): ProgTypeName[] => ESTABLISHED_PROG_TYPES.filter((t) => !except.includes(t))

/** Which program types accept each helper (helpers in no group are accepted by none established:
 * they need fentry/fexit, iterators, LSM, struct_ops, lirc or a kprobe override the probe lacked). */
const GROUPS: readonly (readonly [readonly ProgTypeName[], readonly number[]])[] = [
  [ESTABLISHED_PROG_TYPES, [1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 35, 37, 42, 55, 80, 87, 88, 89, 93, 94, 105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158, 164, 165, 169, 170, 171, 172, 175, 176, 177, 180, 181, 182, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211]],
  [allBut('sk_reuseport', 'flow_dissector', 'netfilter'), [25]],
  [allBut('kprobe', 'tracepoint', 'perf_event', 'cgroup_device', 'raw_tracepoint', 'raw_tracepoint_writable', 'cgroup_sockopt', 'tracing', 'syscall', 'netfilter'), [160]],
  [allBut('kprobe', 'tracepoint', 'perf_event', 'cgroup_sock', 'cgroup_device', 'raw_tracepoint', 'sk_reuseport', 'cgroup_sysctl', 'raw_tracepoint_writable', 'cgroup_sockopt', 'netfilter'), [136, 137, 138, 139, 140, 178, 196]],
  [['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb', 'lwt_seg6local', 'sk_reuseport', 'flow_dissector'], [26]],
  [['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'cgroup_sock', 'sock_ops', 'sk_skb', 'cgroup_sock_addr', 'sk_reuseport', 'tracing', 'syscall'], [46]],
  [['sched_cls', 'sched_act', 'cgroup_skb', 'cgroup_sock', 'sock_ops', 'sk_msg', 'cgroup_sock_addr', 'cgroup_sockopt', 'tracing', 'syscall'], [107]],
  [['sched_cls', 'sched_act', 'cgroup_skb', 'sock_ops', 'sk_msg', 'cgroup_sock_addr', 'cgroup_sockopt', 'tracing', 'syscall'], [108]],
  [['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'cgroup_sock', 'sock_ops', 'sk_msg', 'cgroup_sock_addr', 'cgroup_sockopt'], [122]],
  [['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'raw_tracepoint_writable', 'tracing', 'syscall'], [4, 27, 45, 67]],
  [['sched_cls', 'sched_act', 'xdp', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local'], [28]],
  [['sched_cls', 'sched_act', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb', 'lwt_seg6local'], [39]],
  [['cgroup_skb', 'cgroup_sock', 'sock_ops', 'cgroup_device', 'cgroup_sock_addr', 'cgroup_sysctl', 'cgroup_sockopt'], [81]],
  [['sched_cls', 'sched_act', 'xdp', 'cgroup_skb', 'sk_skb', 'cgroup_sock_addr', 'sk_lookup'], [86]],
  [['sched_cls', 'sched_act', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local'], [24, 33, 34]],
  [['sched_cls', 'sched_act', 'xdp', 'cgroup_skb', 'sk_skb', 'cgroup_sock_addr'], [84, 85, 99]],
  [['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'raw_tracepoint_writable', 'tracing'], [174]],
  [['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'sk_skb'], [47]],
  [['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'sk_reuseport'], [68]],
  [['sched_cls', 'sched_act', 'cgroup_skb', 'sock_ops', 'cgroup_sockopt'], [96]],
  [['sched_cls', 'sched_act', 'lwt_xmit', 'sk_skb'], [9, 38, 43]],
  [['sched_cls', 'sched_act', 'xdp', 'lwt_xmit'], [23]],
  [['sched_cls', 'sched_act', 'lwt_xmit'], [10, 11, 13, 20, 21, 29, 30, 40, 41, 135]],
  [['sock_ops', 'cgroup_sock_addr', 'cgroup_sockopt'], [49, 57]],
  [['sched_cls', 'sched_act', 'sk_skb'], [50]],
  [['sched_cls', 'sched_act', 'xdp'], [69, 100, 110, 163, 204, 205, 206, 207]],
  [['sched_cls', 'sched_act', 'cgroup_skb'], [79, 83, 95, 97, 98]],
  [['sched_cls', 'sched_act', 'sk_lookup'], [124]],
  [['cgroup_sock', 'cgroup_sock_addr', 'cgroup_sockopt'], [186, 187]],
  [['xdp', 'tracing', 'syscall'], [188]],
  [['sched_cls', 'sched_act'], [18, 19, 31, 32, 48, 66, 151, 152, 155, 192]],
  [['lwt_in', 'lwt_xmit'], [73]],
  [['tracing', 'syscall'], [111, 121, 147, 162]],
  [['xdp'], [44, 51, 54, 65, 189, 190]],
  [['sk_skb'], [52, 72]],
  [['sock_ops'], [53, 59, 70, 142, 143, 144]],
  [['perf_event'], [56, 119]],
  [['sk_msg'], [60, 61, 62, 63, 71, 90, 91]],
  [['cgroup_sock_addr'], [64]],
  [['lwt_seg6local'], [74, 75, 76]],
  [['sk_reuseport'], [82]],
  [['cgroup_sysctl'], [101, 102, 103, 104]],
  [['cgroup_skb'], [128, 129]],
  [['syscall'], [166, 167, 168, 179]],
  [['kprobe'], [173]],
]

/** The helpers whose prototype is GPL-only (the verifier refused them to a proprietary program). */
const GPL_ONLY = new Set([
  4, 6, 22, 25, 27, 35, 45, 55, 56, 67, 69, 100, 110, 111, 112, 113, 114, 115, 119, 121, 158, 163, 165, 169, 170, 171, 172,
  173, 175, 176, 177, 191, 204, 205, 206, 207,
])

/** bpf_get_stackid's perf_event prototype (`bpf_get_stackid_proto_pe`) is not GPL-only. */
const GPL_ONLY_EXCEPT: Record<number, readonly ProgTypeName[]> = { 27: ['perf_event'] }

/** Helpers `bpf_base_func_proto` offers only with CAP_BPF. */
const NEEDS_CAP_BPF = new Set([
  17, 37, 80, 93, 94, 118, 123, 153, 154, 156, 157, 164, 169, 170, 171, 172, 181, 194, 197, 198, 199, 200, 201, 202, 203, 209,
  210, 211,
])

/** Helpers `bpf_base_func_proto` (and, for the skc_to_* casts, `bpf_sk_base_func_proto`) offer only
 * with CAP_PERFMON. */
const NEEDS_CAP_PERFMON = new Set([
  6, 16, 22, 35, 55, 109, 112, 113, 114, 115, 117, 136, 137, 138, 139, 140, 141, 148, 149, 158, 165, 175, 176, 177, 178, 180,
  191, 196,
])

const PROG_TYPES_OF = new Map<number, readonly ProgTypeName[]>()
for (const [types, ids] of GROUPS) for (const id of ids) PROG_TYPES_OF.set(id, types)

function info(id: number): HelperInfo {
  const progTypes = PROG_TYPES_OF.get(id) ?? []
  const out: HelperInfo = { id, name: HELPER_NAMES[id], progTypes }
  if (progTypes.length > 0) out.gplOnly = GPL_ONLY.has(id)
  if (GPL_ONLY_EXCEPT[id]) out.gplOnlyExcept = GPL_ONLY_EXCEPT[id]
  return out
}

type Proto = [ret: RetType, args: ArgType[], extra?: { mightSleep?: true }]

const MEM_RO: ArgType = 'ARG_PTR_TO_MEM|MEM_RDONLY'
const SOCK_LOOKUP: ArgType[] = ['ARG_PTR_TO_CTX', MEM_RO, 'ARG_CONST_SIZE', 'ARG_ANYTHING', 'ARG_ANYTHING']
const SYNCOOKIE: ArgType[] = ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', MEM_RO, 'ARG_CONST_SIZE', MEM_RO, 'ARG_CONST_SIZE']
const PROBE_READ: ArgType[] = ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING']
const STRTO: ArgType[] = [MEM_RO, 'ARG_CONST_SIZE', 'ARG_ANYTHING', 'ARG_PTR_TO_FIXED_SIZE_MEM|MEM_UNINIT|MEM_WRITE|MEM_ALIGNED']
const SKC_CAST: Proto = ['RET_PTR_TO_BTF_ID_OR_NULL', ['ARG_PTR_TO_BTF_ID_SOCK_COMMON']]
const TIMER = 'ARG_PTR_TO_TIMER'
const RAW_SYNCOOKIE_GEN: ArgType[] = ['ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY', MEM_RO, 'ARG_CONST_SIZE_OR_ZERO']
const RAW_SYNCOOKIE_CHECK: ArgType[] = ['ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY', 'ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY']
const INT: RetType = 'RET_INTEGER'

/**
 * The prototypes XDP programs get (`xdp_func_proto`, falling back to `bpf_sk_base_func_proto` and
 * `bpf_base_func_proto`). Where XDP has its own variant the XDP one is given: perf_event_output is
 * `bpf_xdp_event_output_proto` (helper 121, bpf_xdp_output, is the tracing-side one), redirect,
 * redirect_map, fib_lookup, check_mtu and the socket lookups are the `bpf_xdp_*` prototypes.
 *
 * As of 6.18.y: fib_lookup's params carry MEM_WRITE, snprintf's buffer MEM_WRITE, the raw syncookie
 * helpers' headers MEM_RDONLY ("bpf: Fix memory access flags in helper prototypes"), and
 * xdp_store_bytes reads its buffer as MEM_RDONLY ("bpf: Fix bpf_xdp_store_bytes proto for
 * read-only arg"); 6.18.0 had plain ARG_PTR_TO_MEM / ARG_PTR_TO_FIXED_SIZE_MEM and
 * ARG_PTR_TO_UNINIT_MEM there.
 */
const XDP_PROTOS: Record<number, Proto> = {
  1: ['RET_PTR_TO_MAP_VALUE_OR_NULL', ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY']],
  2: [INT, ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_ANYTHING']],
  3: [INT, ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY']],
  5: [INT, []],
  6: [INT, [MEM_RO, 'ARG_CONST_SIZE']],
  7: [INT, []],
  8: [INT, []],
  12: ['RET_VOID', ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING']],
  14: [INT, []],
  15: [INT, []],
  16: [INT, ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE']],
  17: [INT, []],
  22: [INT, ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING']],
  23: [INT, ['ARG_ANYTHING', 'ARG_ANYTHING']],
  25: [INT, ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', MEM_RO, 'ARG_CONST_SIZE_OR_ZERO']],
  28: [INT, ['ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING']],
  35: [INT, []],
  37: [INT, ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING']],
  42: [INT, []],
  44: [INT, ['ARG_PTR_TO_CTX', 'ARG_ANYTHING']],
  51: [INT, ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_ANYTHING']],
  54: [INT, ['ARG_PTR_TO_CTX', 'ARG_ANYTHING']],
  55: [INT, ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE']],
  65: [INT, ['ARG_PTR_TO_CTX', 'ARG_ANYTHING']],
  69: [INT, ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM|MEM_WRITE', 'ARG_CONST_SIZE', 'ARG_ANYTHING']],
  80: [INT, []],
  84: ['RET_PTR_TO_SOCKET_OR_NULL', SOCK_LOOKUP],
  85: ['RET_PTR_TO_SOCKET_OR_NULL', SOCK_LOOKUP],
  86: [INT, ['ARG_PTR_TO_BTF_ID_SOCK_COMMON|OBJ_RELEASE']],
  87: [INT, ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_VALUE', 'ARG_ANYTHING']],
  88: [INT, ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_VALUE|MEM_UNINIT|MEM_WRITE']],
  89: [INT, ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_VALUE|MEM_UNINIT|MEM_WRITE']],
  93: ['RET_VOID', ['ARG_PTR_TO_SPIN_LOCK']],
  94: ['RET_VOID', ['ARG_PTR_TO_SPIN_LOCK']],
  99: ['RET_PTR_TO_SOCK_COMMON_OR_NULL', SOCK_LOOKUP],
  100: [INT, SYNCOOKIE],
  105: [INT, STRTO],
  106: [INT, STRTO],
  109: [INT, ['ARG_ANYTHING']],
  110: [INT, SYNCOOKIE],
  112: [INT, PROBE_READ],
  113: [INT, PROBE_READ],
  114: [INT, PROBE_READ],
  115: [INT, PROBE_READ],
  117: [INT, ['ARG_ANYTHING']],
  118: [INT, []],
  120: [INT, ['ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE']],
  123: [INT, ['ARG_ANYTHING']],
  125: [INT, []],
  130: [INT, ['ARG_CONST_MAP_PTR', MEM_RO, 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING']],
  131: ['RET_PTR_TO_RINGBUF_MEM_OR_NULL', ['ARG_CONST_MAP_PTR', 'ARG_CONST_ALLOC_SIZE_OR_ZERO', 'ARG_ANYTHING']],
  132: ['RET_VOID', ['ARG_PTR_TO_RINGBUF_MEM|OBJ_RELEASE', 'ARG_ANYTHING']],
  133: ['RET_VOID', ['ARG_PTR_TO_RINGBUF_MEM|OBJ_RELEASE', 'ARG_ANYTHING']],
  134: [INT, ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING']],
  136: SKC_CAST,
  137: SKC_CAST,
  138: SKC_CAST,
  139: SKC_CAST,
  140: SKC_CAST,
  141: [INT, ['ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING']],
  148: [INT, PROBE_READ, { mightSleep: true }],
  149: [INT, ['ARG_PTR_TO_MEM|MEM_WRITE', 'ARG_CONST_SIZE', MEM_RO, 'ARG_CONST_SIZE', 'ARG_ANYTHING']],
  153: ['RET_PTR_TO_MEM_OR_BTF_ID|PTR_MAYBE_NULL|MEM_RDONLY', ['ARG_PTR_TO_PERCPU_BTF_ID', 'ARG_ANYTHING']],
  154: ['RET_PTR_TO_MEM_OR_BTF_ID|MEM_RDONLY', ['ARG_PTR_TO_PERCPU_BTF_ID']],
  156: ['RET_PTR_TO_MAP_VALUE_OR_NULL', ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_OR_NULL', 'ARG_PTR_TO_MAP_VALUE_OR_NULL', 'ARG_ANYTHING']],
  157: [INT, ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID']],
  158: ['RET_PTR_TO_BTF_ID_TRUSTED', []],
  160: [INT, []],
  163: [INT, ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_FIXED_SIZE_MEM|MEM_WRITE|MEM_ALIGNED', 'ARG_ANYTHING', 'ARG_ANYTHING']],
  164: [INT, ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', 'ARG_ANYTHING']],
  165: [INT, ['ARG_PTR_TO_MEM_OR_NULL|MEM_WRITE', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_PTR_TO_CONST_STR', 'ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO']],
  169: [INT, [TIMER, 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING']],
  170: [INT, [TIMER, 'ARG_PTR_TO_FUNC']],
  171: [INT, [TIMER, 'ARG_ANYTHING', 'ARG_ANYTHING']],
  172: [INT, [TIMER]],
  175: ['RET_PTR_TO_BTF_ID', ['ARG_PTR_TO_BTF_ID']],
  176: [INT, PROBE_READ],
  177: [INT, [MEM_RO, 'ARG_CONST_SIZE', 'ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO']],
  178: SKC_CAST,
  180: [INT, ['ARG_PTR_TO_BTF_ID', 'ARG_ANYTHING', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', 'ARG_ANYTHING']],
  181: [INT, ['ARG_ANYTHING', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', 'ARG_ANYTHING']],
  182: [INT, [MEM_RO, 'ARG_CONST_SIZE', 'ARG_PTR_TO_CONST_STR']],
  188: [INT, ['ARG_PTR_TO_CTX']],
  189: [INT, ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE']],
  190: [INT, ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', MEM_RO, 'ARG_CONST_SIZE']],
  191: [INT, [...PROBE_READ, 'ARG_PTR_TO_BTF_ID', 'ARG_ANYTHING'], { mightSleep: true }],
  194: ['RET_PTR_TO_BTF_ID_OR_NULL', ['ARG_KPTR_XCHG_DEST', 'ARG_PTR_TO_BTF_ID_OR_NULL|OBJ_RELEASE']],
  195: ['RET_PTR_TO_MAP_VALUE_OR_NULL', ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_ANYTHING']],
  196: ['RET_PTR_TO_BTF_ID_OR_NULL', ['ARG_PTR_TO_SOCK_COMMON']],
  197: [INT, ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_LOCAL|MEM_UNINIT']],
  198: [INT, ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|MEM_UNINIT']],
  199: ['RET_VOID', ['ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|OBJ_RELEASE', 'ARG_ANYTHING']],
  200: ['RET_VOID', ['ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|OBJ_RELEASE', 'ARG_ANYTHING']],
  201: [INT, ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_PTR_TO_DYNPTR|MEM_RDONLY', 'ARG_ANYTHING', 'ARG_ANYTHING']],
  202: [INT, ['ARG_PTR_TO_DYNPTR|MEM_RDONLY', 'ARG_ANYTHING', MEM_RO, 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING']],
  203: ['RET_PTR_TO_DYNPTR_MEM_OR_NULL', ['ARG_PTR_TO_DYNPTR|MEM_RDONLY', 'ARG_ANYTHING', 'ARG_CONST_ALLOC_SIZE_OR_ZERO']],
  204: [INT, RAW_SYNCOOKIE_GEN],
  205: [INT, RAW_SYNCOOKIE_GEN],
  206: [INT, RAW_SYNCOOKIE_CHECK],
  207: [INT, RAW_SYNCOOKIE_CHECK],
  208: [INT, []],
  209: [INT, ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', 'ARG_ANYTHING']],
  210: ['RET_PTR_TO_MAP_VALUE_OR_NULL', ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_OR_NULL', 'ARG_PTR_TO_MAP_VALUE_OR_NULL', 'ARG_ANYTHING']],
  211: [INT, ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID']],
}

function spec(id: number, [ret, args, extra]: Proto): HelperSpec {
  const out: HelperSpec = { ...info(id), ret, args: [...args], gplOnly: GPL_ONLY.has(id) }
  if (NEEDS_CAP_BPF.has(id)) out.cap = 'CAP_BPF'
  if (NEEDS_CAP_PERFMON.has(id)) out.cap = 'CAP_PERFMON'
  if (extra?.mightSleep) out.mightSleep = true
  return out
}

/** Full prototypes of every helper an XDP program can call on 6.18, by id. */
export const HELPERS: readonly HelperSpec[] = Object.entries(XDP_PROTOS)
  .map(([id, proto]) => spec(Number(id), proto))
  .sort((a, b) => a.id - b.id)

const SPECS = new Map(HELPERS.map((h) => [h.id, h]))

/** Every helper 1..LAST_HELPER_ID: the full spec where known, else what is established. */
export const HELPER_INFO: readonly (HelperSpec | HelperInfo)[] = HELPER_NAMES.map((_, id) => id)
  .filter((id) => id > 0)
  .map((id) => SPECS.get(id) ?? info(id))

/** The helper with this id (undefined for 0 and unknown ids). */
export function helperInfo(id: number): HelperSpec | HelperInfo | undefined {
  return Number.isInteger(id) && id > 0 ? HELPER_INFO[id - 1] : undefined
}

/** The helper's full prototype, when the policy has it. */
export function helperSpec(id: number): HelperSpec | undefined {
  return SPECS.get(id)
}

/** The helper id for a name (`bpf_` prefix optional), or undefined. */
export function helperId(name: string): number | undefined {
  const full = name.startsWith('bpf_') ? name : `bpf_${name}`
  const id = HELPER_NAMES.indexOf(full)
  return id > 0 ? id : undefined
}

/** Whether a helper's prototype is GPL-only for a program type. */
export function helperIsGplOnly(h: HelperInfo, progType: ProgTypeName): boolean {
  return h.gplOnly === true && !(h.gplOnlyExcept ?? []).includes(progType)
}
