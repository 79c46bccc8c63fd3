/**
 * Kernel functions (kfuncs) as a 6.18 kernel offers them to BPF programs: their `KF_*` flags, C
 * prototypes (vmlinux BTF), and the program types whose verifier accepts a call to them.
 *
 * After the helper freeze every new kernel function is a kfunc: dynptrs beyond helpers 197–203,
 * XDP metadata, `bpf_xdp_pull_data` (new in 6.18), iterators, RCU, object allocation, ...
 *
 * Sources: prototypes are a 6.18 kernel's vmlinux BTF (`DECL_TAG "bpf_kfunc"` functions); program
 * types are what its verifier answered to a call of each kfunc from every program type (see
 * ESTABLISHED_PROG_TYPES), `'any'` for the sets registered for every program type
 * (`BPF_PROG_TYPE_UNSPEC`); flags follow the `BTF_ID_FLAGS` of kernel/bpf/helpers.c, net/core/filter.c
 * and net/core/xdp.c. The dynptr functions come from the dynptr engine's own table
 * (`dynptrFunctions()`), which also lists the seed's convenience kfuncs (not in any kernel).
 */
import { dynptrFunctions, type DynptrFunction } from '../dynptr'
import { checkOptions, optBool } from '../errors'
import { ESTABLISHED_PROG_TYPES, type ProgTypeName } from './progtypes'

/** `KF_*` kfunc flags (include/linux/btf.h, 6.18). Bit 3 (the former KF_KPTR_GET) is unused. */
export const KF_FLAGS = {
  KF_ACQUIRE: 1 << 0,
  KF_RELEASE: 1 << 1,
  KF_RET_NULL: 1 << 2,
  KF_TRUSTED_ARGS: 1 << 4,
  KF_SLEEPABLE: 1 << 5,
  KF_DESTRUCTIVE: 1 << 6,
  KF_RCU: 1 << 7,
  KF_ITER_NEW: 1 << 8,
  KF_ITER_NEXT: 1 << 9,
  KF_ITER_DESTROY: 1 << 10,
  KF_RCU_PROTECTED: 1 << 11,
  KF_FASTCALL: 1 << 12,
  KF_ARENA_RET: 1 << 13,
  KF_ARENA_ARG1: 1 << 14,
  KF_ARENA_ARG2: 1 << 15,
} as const

export type KfFlag = keyof typeof KF_FLAGS

/** The flag names set in a `KF_*` bit mask (ascending bits); throws on bits 6.18 does not define. */
export function kfFlagNames(mask: number): KfFlag[] {
  const names = (Object.keys(KF_FLAGS) as KfFlag[]).filter((f) => (mask & KF_FLAGS[f]) !== 0)
  if (names.reduce((m, f) => m | KF_FLAGS[f], 0) !== mask) throw new RangeError(`unknown KF_* bits in 0x${mask.toString(16)}`)
  return names
}

/** The `KF_*` bit mask of flag names. */
export function kfFlagMask(flags: readonly KfFlag[]): number {
  return flags.reduce((m, f) => m | KF_FLAGS[f], 0)
}

export interface KfuncArg {
  /** The parameter name without its annotation suffix. */
  name: string
  /** The C type. */
  type: string
  /** The verifier's name-suffix annotation (`__uninit`, `__opt`, `__szk`, `__sz`, `__k`, `__ign`,
   * `__str`, `__map`, `__alloc`, `__prog`, `__irq_flag`, `__refcounted_kptr`, `__nullable`). */
  annotation?: string
}

export interface KfuncSpec {
  name: string
  flags: KfFlag[]
  args: KfuncArg[]
  /** The C return type. */
  ret: string
  /** Program types whose verifier accepts a call (among ESTABLISHED_PROG_TYPES), or `'any'`. */
  progTypes: readonly ProgTypeName[] | 'any'
  /** 'kernel': a 6.18 kfunc; 'seed': the seed's convenience API, offered by uxdp only; 'user':
   * registered in a KfuncRegistry. */
  origin: 'kernel' | 'seed' | 'user'
  /** Whether the uxdp engine implements it natively (see withNativeKfuncs). */
  native: boolean
  /** The first kernel version with it, where known. */
  since?: string
  /** A load condition beyond the program type: metadata kfuncs need a device-bound XDP program. */
  requires?: 'dev-bound'
}

type Signature = [ret: string, ...args: [type: string, name: string][]]

/** C prototypes (6.18 vmlinux BTF) of the kernel kfuncs this table describes in full. */
const SIGNATURES: Record<string, Signature> = {
  bpf_dynptr_from_skb: ['int', ['struct __sk_buff *', 's'], ['u64', 'flags'], ['struct bpf_dynptr *', 'ptr__uninit']],
  bpf_dynptr_from_skb_meta: ['int', ['struct __sk_buff *', 'skb_'], ['u64', 'flags'], ['struct bpf_dynptr *', 'ptr__uninit']],
  bpf_dynptr_from_xdp: ['int', ['struct xdp_md *', 'x'], ['u64', 'flags'], ['struct bpf_dynptr *', 'ptr__uninit']],
  bpf_dynptr_slice: ['void *', ['const struct bpf_dynptr *', 'p'], ['u32', 'offset'], ['void *', 'buffer__opt'], ['u32', 'buffer__szk']],
  bpf_dynptr_slice_rdwr: ['void *', ['const struct bpf_dynptr *', 'p'], ['u32', 'offset'], ['void *', 'buffer__opt'], ['u32', 'buffer__szk']],
  bpf_dynptr_adjust: ['int', ['const struct bpf_dynptr *', 'p'], ['u32', 'start'], ['u32', 'end']],
  bpf_dynptr_is_null: ['bool', ['const struct bpf_dynptr *', 'p']],
  bpf_dynptr_is_rdonly: ['bool', ['const struct bpf_dynptr *', 'p']],
  bpf_dynptr_size: ['__u32', ['const struct bpf_dynptr *', 'p']],
  bpf_dynptr_clone: ['int', ['const struct bpf_dynptr *', 'p'], ['struct bpf_dynptr *', 'clone__uninit']],
  bpf_dynptr_copy: ['int', ['struct bpf_dynptr *', 'dst_ptr'], ['u32', 'dst_off'], ['struct bpf_dynptr *', 'src_ptr'], ['u32', 'src_off'], ['u32', 'size']],
  bpf_dynptr_memset: ['int', ['struct bpf_dynptr *', 'p'], ['u32', 'offset'], ['u32', 'size'], ['u8', 'val']],
  bpf_xdp_pull_data: ['int', ['struct xdp_md *', 'x'], ['u32', 'len']],
  bpf_xdp_metadata_rx_timestamp: ['int', ['const struct xdp_md *', 'ctx'], ['u64 *', 'timestamp']],
  bpf_xdp_metadata_rx_hash: ['int', ['const struct xdp_md *', 'ctx'], ['u32 *', 'hash'], ['enum xdp_rss_hash_type *', 'rss_type']],
  bpf_xdp_metadata_rx_vlan_tag: ['int', ['const struct xdp_md *', 'ctx'], ['__be16 *', 'vlan_proto'], ['u16 *', 'vlan_tci']],
  bpf_cast_to_kern_ctx: ['void *', ['void *', 'obj']],
  bpf_rdonly_cast: ['void *', ['const void *', 'obj__ign'], ['u32', 'btf_id__k']],
  bpf_rcu_read_lock: ['void'],
  bpf_rcu_read_unlock: ['void'],
  bpf_iter_num_new: ['int', ['struct bpf_iter_num *', 'it'], ['int', 'start'], ['int', 'end']],
  bpf_iter_num_next: ['int *', ['struct bpf_iter_num *', 'it']],
  bpf_iter_num_destroy: ['void', ['struct bpf_iter_num *', 'it']],
  bpf_iter_bits_new: ['int', ['struct bpf_iter_bits *', 'it'], ['const u64 *', 'unsafe_ptr__ign'], ['u32', 'nr_words']],
  bpf_iter_bits_next: ['int *', ['struct bpf_iter_bits *', 'it']],
  bpf_iter_bits_destroy: ['void', ['struct bpf_iter_bits *', 'it']],
  bpf_preempt_disable: ['void'],
  bpf_preempt_enable: ['void'],
  bpf_local_irq_save: ['void', ['unsigned long *', 'flags__irq_flag']],
  bpf_local_irq_restore: ['void', ['unsigned long *', 'flags__irq_flag']],
  __bpf_trap: ['void'],
  bpf_wq_init: ['int', ['struct bpf_wq *', 'wq'], ['void *', 'p__map'], ['unsigned int', 'flags']],
  bpf_wq_set_callback_impl: ['int', ['struct bpf_wq *', 'wq'], ['int (*)(void *, int *, void *)', 'callback_fn'], ['unsigned int', 'flags'], ['void *', 'aux__prog']],
  bpf_wq_start: ['int', ['struct bpf_wq *', 'wq'], ['unsigned int', 'flags']],
  bpf_probe_read_user_dynptr: ['int', ['struct bpf_dynptr *', 'dptr'], ['u32', 'off'], ['u32', 'size'], ['const void *', 'unsafe_ptr__ign']],
  bpf_probe_read_kernel_dynptr: ['int', ['struct bpf_dynptr *', 'dptr'], ['u32', 'off'], ['u32', 'size'], ['const void *', 'unsafe_ptr__ign']],
  bpf_probe_read_user_str_dynptr: ['int', ['struct bpf_dynptr *', 'dptr'], ['u32', 'off'], ['u32', 'size'], ['const void *', 'unsafe_ptr__ign']],
  bpf_probe_read_kernel_str_dynptr: ['int', ['struct bpf_dynptr *', 'dptr'], ['u32', 'off'], ['u32', 'size'], ['const void *', 'unsafe_ptr__ign']],
  bpf_copy_from_user_dynptr: ['int', ['struct bpf_dynptr *', 'dptr'], ['u32', 'off'], ['u32', 'size'], ['const void *', 'unsafe_ptr__ign']],
  bpf_copy_from_user_str_dynptr: ['int', ['struct bpf_dynptr *', 'dptr'], ['u32', 'off'], ['u32', 'size'], ['const void *', 'unsafe_ptr__ign']],
  bpf_copy_from_user_task_dynptr: ['int', ['struct bpf_dynptr *', 'dptr'], ['u32', 'off'], ['u32', 'size'], ['const void *', 'unsafe_ptr__ign'], ['struct task_struct *', 'tsk']],
  bpf_copy_from_user_task_str_dynptr: ['int', ['struct bpf_dynptr *', 'dptr'], ['u32', 'off'], ['u32', 'size'], ['const void *', 'unsafe_ptr__ign'], ['struct task_struct *', 'tsk']],
  bpf_copy_from_user_str: ['int', ['void *', 'dst'], ['u32', 'dst__sz'], ['const void *', 'unsafe_ptr__ign'], ['u64', 'flags']],
  bpf_copy_from_user_task_str: ['int', ['void *', 'dst'], ['u32', 'dst__sz'], ['const void *', 'unsafe_ptr__ign'], ['struct task_struct *', 'tsk'], ['u64', 'flags']],
  bpf_strcmp: ['int', ['const char *', 's1__ign'], ['const char *', 's2__ign']],
  bpf_strcasecmp: ['int', ['const char *', 's1__ign'], ['const char *', 's2__ign']],
  bpf_strchr: ['int', ['const char *', 's__ign'], ['char', 'c']],
  bpf_strchrnul: ['int', ['const char *', 's__ign'], ['char', 'c']],
  bpf_strnchr: ['int', ['const char *', 's__ign'], ['size_t', 'count'], ['char', 'c']],
  bpf_strrchr: ['int', ['const char *', 's__ign'], ['int', 'c']],
  bpf_strlen: ['int', ['const char *', 's__ign']],
  bpf_strnlen: ['int', ['const char *', 's__ign'], ['size_t', 'count']],
  bpf_strspn: ['int', ['const char *', 's__ign'], ['const char *', 'accept__ign']],
  bpf_strcspn: ['int', ['const char *', 's__ign'], ['const char *', 'reject__ign']],
  bpf_strstr: ['int', ['const char *', 's1__ign'], ['const char *', 's2__ign']],
  bpf_strnstr: ['int', ['const char *', 's1__ign'], ['const char *', 's2__ign'], ['size_t', 'len']],
  bpf_obj_new_impl: ['void *', ['u64', 'local_type_id__k'], ['void *', 'meta__ign']],
  bpf_percpu_obj_new_impl: ['void *', ['u64', 'local_type_id__k'], ['void *', 'meta__ign']],
  bpf_obj_drop_impl: ['void', ['void *', 'p__alloc'], ['void *', 'meta__ign']],
  bpf_percpu_obj_drop_impl: ['void', ['void *', 'p__alloc'], ['void *', 'meta__ign']],
  bpf_refcount_acquire_impl: ['void *', ['void *', 'p__refcounted_kptr'], ['void *', 'meta__ign']],
  bpf_list_push_front_impl: ['int', ['struct bpf_list_head *', 'head'], ['struct bpf_list_node *', 'node'], ['void *', 'meta__ign'], ['u64', 'off']],
  bpf_list_push_back_impl: ['int', ['struct bpf_list_head *', 'head'], ['struct bpf_list_node *', 'node'], ['void *', 'meta__ign'], ['u64', 'off']],
  bpf_list_pop_front: ['struct bpf_list_node *', ['struct bpf_list_head *', 'head']],
  bpf_list_pop_back: ['struct bpf_list_node *', ['struct bpf_list_head *', 'head']],
  bpf_list_front: ['struct bpf_list_node *', ['struct bpf_list_head *', 'head']],
  bpf_list_back: ['struct bpf_list_node *', ['struct bpf_list_head *', 'head']],
  bpf_task_acquire: ['struct task_struct *', ['struct task_struct *', 'p']],
  bpf_task_release: ['void', ['struct task_struct *', 'p']],
  bpf_rbtree_remove: ['struct bpf_rb_node *', ['struct bpf_rb_root *', 'root'], ['struct bpf_rb_node *', 'node']],
  bpf_rbtree_add_impl: ['int', ['struct bpf_rb_root *', 'root'], ['struct bpf_rb_node *', 'node'], ['bool (*)(struct bpf_rb_node *, const struct bpf_rb_node *)', 'less'], ['void *', 'meta__ign'], ['u64', 'off']],
  bpf_rbtree_first: ['struct bpf_rb_node *', ['struct bpf_rb_root *', 'root']],
  bpf_rbtree_root: ['struct bpf_rb_node *', ['struct bpf_rb_root *', 'root']],
  bpf_rbtree_left: ['struct bpf_rb_node *', ['struct bpf_rb_root *', 'root'], ['struct bpf_rb_node *', 'node']],
  bpf_rbtree_right: ['struct bpf_rb_node *', ['struct bpf_rb_root *', 'root'], ['struct bpf_rb_node *', 'node']],
  bpf_cgroup_acquire: ['struct cgroup *', ['struct cgroup *', 'cgrp']],
  bpf_cgroup_release: ['void', ['struct cgroup *', 'cgrp']],
  bpf_cgroup_ancestor: ['struct cgroup *', ['struct cgroup *', 'cgrp'], ['int', 'level']],
  bpf_cgroup_from_id: ['struct cgroup *', ['u64', 'cgid']],
  bpf_task_under_cgroup: ['long', ['struct task_struct *', 'task'], ['struct cgroup *', 'ancestor']],
  bpf_task_get_cgroup1: ['struct cgroup *', ['struct task_struct *', 'task'], ['int', 'hierarchy_id']],
  bpf_task_from_pid: ['struct task_struct *', ['s32', 'pid']],
  bpf_task_from_vpid: ['struct task_struct *', ['s32', 'vpid']],
  bpf_throw: ['void', ['u64', 'cookie']],
  bpf_send_signal_task: ['int', ['struct task_struct *', 'task'], ['int', 'sig'], ['enum pid_type', 'type'], ['u64', 'value']],
}

const ANNOTATIONS = ['__uninit', '__opt', '__szk', '__sz', '__k', '__ign', '__str', '__map', '__alloc', '__prog', '__irq_flag', '__refcounted_kptr', '__nullable']

function arg([type, full]: [string, string]): KfuncArg {
  const annotation = ANNOTATIONS.find((a) => full.endsWith(a) && full.length > a.length)
  return annotation ? { name: full.slice(0, -annotation.length), type, annotation } : { name: full, type }
}

const GENERIC: readonly ProgTypeName[] = ['sched_cls', 'tracepoint', 'xdp', 'perf_event', 'cgroup_skb', 'cgroup_sock', 'sock_ops', 'cgroup_device', 'cgroup_sock_addr', 'cgroup_sysctl', 'cgroup_sockopt', 'tracing', 'syscall']
const SKB: readonly ProgTypeName[] = ['socket_filter', 'sched_cls', 'sched_act', 'tracepoint', 'perf_event', 'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device', 'cgroup_sock_addr', 'lwt_seg6local', 'cgroup_sysctl', 'cgroup_sockopt', 'tracing', 'netfilter']

/** Where each described kernel kfunc may be called, and the flags of those that are not dynptr
 * functions (the dynptr engine's table gives theirs). */
const KERNEL: Record<string, { flags?: KfFlag[]; progTypes: readonly ProgTypeName[] | 'any'; since?: string; requires?: 'dev-bound' }> = {
  bpf_dynptr_from_skb: { progTypes: SKB },
  bpf_dynptr_from_skb_meta: { progTypes: ['sched_cls', 'sched_act'] },
  bpf_dynptr_from_xdp: { progTypes: ['xdp'] },
  bpf_dynptr_slice: { progTypes: 'any' },
  bpf_dynptr_slice_rdwr: { progTypes: 'any' },
  bpf_dynptr_adjust: { progTypes: 'any' },
  bpf_dynptr_is_null: { progTypes: 'any' },
  bpf_dynptr_is_rdonly: { progTypes: 'any' },
  bpf_dynptr_size: { progTypes: 'any' },
  bpf_dynptr_clone: { progTypes: 'any' },
  bpf_dynptr_copy: { progTypes: 'any' },
  bpf_dynptr_memset: { progTypes: 'any' },
  bpf_xdp_pull_data: { progTypes: ['xdp'], since: '6.18' },
  // Registered for XDP (net/core/xdp.c); the verifier refuses them outside device-bound programs first.
  bpf_xdp_metadata_rx_timestamp: { flags: ['KF_TRUSTED_ARGS'], progTypes: ['xdp'], since: '6.3', requires: 'dev-bound' },
  bpf_xdp_metadata_rx_hash: { flags: ['KF_TRUSTED_ARGS'], progTypes: ['xdp'], since: '6.3', requires: 'dev-bound' },
  bpf_xdp_metadata_rx_vlan_tag: { flags: ['KF_TRUSTED_ARGS'], progTypes: ['xdp'], since: '6.8', requires: 'dev-bound' },
  bpf_cast_to_kern_ctx: { flags: ['KF_FASTCALL'], progTypes: 'any' },
  bpf_rdonly_cast: { flags: ['KF_FASTCALL'], progTypes: 'any' },
  bpf_rcu_read_lock: { progTypes: 'any' },
  bpf_rcu_read_unlock: { progTypes: 'any' },
  bpf_iter_num_new: { flags: ['KF_ITER_NEW'], progTypes: 'any' },
  bpf_iter_num_next: { flags: ['KF_RET_NULL', 'KF_ITER_NEXT'], progTypes: 'any' },
  bpf_iter_num_destroy: { flags: ['KF_ITER_DESTROY'], progTypes: 'any' },
  bpf_iter_bits_new: { flags: ['KF_ITER_NEW'], progTypes: 'any' },
  bpf_iter_bits_next: { flags: ['KF_RET_NULL', 'KF_ITER_NEXT'], progTypes: 'any' },
  bpf_iter_bits_destroy: { flags: ['KF_ITER_DESTROY'], progTypes: 'any' },
  bpf_preempt_disable: { progTypes: 'any' },
  bpf_preempt_enable: { progTypes: 'any' },
  bpf_local_irq_save: { progTypes: 'any' },
  bpf_local_irq_restore: { progTypes: 'any' },
  __bpf_trap: { progTypes: 'any' },
  bpf_wq_init: { progTypes: 'any' },
  bpf_wq_set_callback_impl: { progTypes: 'any' },
  bpf_wq_start: { progTypes: 'any' },
  bpf_probe_read_user_dynptr: { progTypes: 'any' },
  bpf_probe_read_kernel_dynptr: { progTypes: 'any' },
  bpf_probe_read_user_str_dynptr: { progTypes: 'any' },
  bpf_probe_read_kernel_str_dynptr: { progTypes: 'any' },
  bpf_copy_from_user_dynptr: { flags: ['KF_SLEEPABLE'], progTypes: 'any' },
  bpf_copy_from_user_str_dynptr: { flags: ['KF_SLEEPABLE'], progTypes: 'any' },
  bpf_copy_from_user_task_dynptr: { flags: ['KF_TRUSTED_ARGS', 'KF_SLEEPABLE'], progTypes: 'any' },
  bpf_copy_from_user_task_str_dynptr: { flags: ['KF_TRUSTED_ARGS', 'KF_SLEEPABLE'], progTypes: 'any' },
  bpf_copy_from_user_str: { flags: ['KF_SLEEPABLE'], progTypes: 'any' },
  bpf_copy_from_user_task_str: { flags: ['KF_SLEEPABLE'], progTypes: 'any' },
  bpf_strcmp: { progTypes: 'any' },
  bpf_strcasecmp: { progTypes: 'any' },
  bpf_strchr: { progTypes: 'any' },
  bpf_strchrnul: { progTypes: 'any' },
  bpf_strnchr: { progTypes: 'any' },
  bpf_strrchr: { progTypes: 'any' },
  bpf_strlen: { progTypes: 'any' },
  bpf_strnlen: { progTypes: 'any' },
  bpf_strspn: { progTypes: 'any' },
  bpf_strcspn: { progTypes: 'any' },
  bpf_strstr: { progTypes: 'any' },
  bpf_strnstr: { progTypes: 'any' },
  bpf_obj_new_impl: { flags: ['KF_ACQUIRE', 'KF_RET_NULL'], progTypes: GENERIC },
  bpf_percpu_obj_new_impl: { flags: ['KF_ACQUIRE', 'KF_RET_NULL'], progTypes: GENERIC },
  bpf_obj_drop_impl: { flags: ['KF_RELEASE'], progTypes: GENERIC },
  bpf_percpu_obj_drop_impl: { flags: ['KF_RELEASE'], progTypes: GENERIC },
  bpf_refcount_acquire_impl: { flags: ['KF_ACQUIRE', 'KF_RET_NULL', 'KF_RCU'], progTypes: GENERIC },
  bpf_list_push_front_impl: { progTypes: GENERIC },
  bpf_list_push_back_impl: { progTypes: GENERIC },
  bpf_list_pop_front: { flags: ['KF_ACQUIRE', 'KF_RET_NULL'], progTypes: GENERIC },
  bpf_list_pop_back: { flags: ['KF_ACQUIRE', 'KF_RET_NULL'], progTypes: GENERIC },
  bpf_list_front: { flags: ['KF_RET_NULL'], progTypes: GENERIC },
  bpf_list_back: { flags: ['KF_RET_NULL'], progTypes: GENERIC },
  bpf_task_acquire: { flags: ['KF_ACQUIRE', 'KF_RET_NULL', 'KF_RCU'], progTypes: GENERIC },
  bpf_task_release: { flags: ['KF_RELEASE'], progTypes: GENERIC },
  bpf_rbtree_remove: { flags: ['KF_ACQUIRE', 'KF_RET_NULL'], progTypes: GENERIC },
  bpf_rbtree_add_impl: { progTypes: GENERIC },
  bpf_rbtree_first: { flags: ['KF_RET_NULL'], progTypes: GENERIC },
  bpf_rbtree_root: { flags: ['KF_RET_NULL'], progTypes: GENERIC },
  bpf_rbtree_left: { flags: ['KF_RET_NULL'], progTypes: GENERIC },
  bpf_rbtree_right: { flags: ['KF_RET_NULL'], progTypes: GENERIC },
  bpf_cgroup_acquire: { flags: ['KF_ACQUIRE', 'KF_RET_NULL', 'KF_RCU'], progTypes: GENERIC },
  bpf_cgroup_release: { flags: ['KF_RELEASE'], progTypes: GENERIC },
  bpf_cgroup_ancestor: { flags: ['KF_ACQUIRE', 'KF_RET_NULL', 'KF_RCU'], progTypes: GENERIC },
  bpf_cgroup_from_id: { flags: ['KF_ACQUIRE', 'KF_RET_NULL'], progTypes: GENERIC },
  bpf_task_under_cgroup: { flags: ['KF_RCU'], progTypes: GENERIC },
  bpf_task_get_cgroup1: { flags: ['KF_ACQUIRE', 'KF_RET_NULL', 'KF_RCU'], progTypes: GENERIC },
  bpf_task_from_pid: { flags: ['KF_ACQUIRE', 'KF_RET_NULL'], progTypes: GENERIC },
  bpf_task_from_vpid: { flags: ['KF_ACQUIRE', 'KF_RET_NULL'], progTypes: GENERIC },
  bpf_throw: { progTypes: GENERIC },
  bpf_send_signal_task: { flags: ['KF_TRUSTED_ARGS'], progTypes: GENERIC },
}

/** The other kfuncs of the 6.18 kernel (vmlinux BTF of the probing kernel's configuration), by the
 * program types that accept them; `[]`: none established (struct_ops congestion control, LSM,
 * fentry test targets, kprobe sessions, socket iterators). Names only: calls to them are refused or
 * allowed as the kernel would, but their prototypes and flags are not described here. */
const OTHER_KERNEL_KFUNCS: readonly (readonly [readonly ProgTypeName[] | 'any', readonly string[]])[] = [
  ['any', ['bpf_arena_alloc_pages', 'bpf_arena_free_pages', 'bpf_arena_reserve_pages', 'bpf_cgroup_read_xattr', 'bpf_get_kmem_cache', 'bpf_iter_css_destroy', 'bpf_iter_css_new', 'bpf_iter_css_next', 'bpf_iter_css_task_destroy', 'bpf_iter_css_task_new', 'bpf_iter_css_task_next', 'bpf_iter_dmabuf_destroy', 'bpf_iter_dmabuf_new', 'bpf_iter_dmabuf_next', 'bpf_iter_kmem_cache_destroy', 'bpf_iter_kmem_cache_new', 'bpf_iter_kmem_cache_next', 'bpf_iter_task_destroy', 'bpf_iter_task_new', 'bpf_iter_task_next', 'bpf_iter_task_vma_destroy', 'bpf_iter_task_vma_new', 'bpf_iter_task_vma_next', 'bpf_map_sum_elem_count', 'bpf_modify_return_test_tp', 'bpf_res_spin_lock', 'bpf_res_spin_lock_irqsave', 'bpf_res_spin_unlock', 'bpf_res_spin_unlock_irqrestore', 'bpf_stream_vprintk_impl', 'bpf_task_work_schedule_resume_impl', 'bpf_task_work_schedule_signal_impl']],
  [['sched_cls', 'tracepoint', 'xdp', 'perf_event', 'cgroup_skb', 'cgroup_sock', 'sock_ops', 'cgroup_device', 'cgroup_sock_addr', 'cgroup_sysctl', 'cgroup_sockopt', 'tracing', 'syscall'], ['bpf_key_put', 'bpf_lookup_system_key', 'bpf_lookup_user_key']],
  [['cgroup_skb', 'cgroup_sock', 'sock_ops', 'cgroup_device', 'cgroup_sock_addr', 'cgroup_sysctl', 'cgroup_sockopt'], ['bpf_sock_addr_set_sun_path', 'bpf_sock_ops_enable_tx_tstamp']],
  [['sched_cls', 'tracepoint', 'perf_event', 'tracing', 'syscall'], ['bpf_kfunc_call_memb_release', 'bpf_kfunc_call_test_release']],
  [['tracepoint', 'perf_event', 'tracing', 'syscall'], ['bpf_cpumask_acquire', 'bpf_cpumask_and', 'bpf_cpumask_any_and_distribute', 'bpf_cpumask_any_distribute', 'bpf_cpumask_clear', 'bpf_cpumask_clear_cpu', 'bpf_cpumask_copy', 'bpf_cpumask_create', 'bpf_cpumask_empty', 'bpf_cpumask_equal', 'bpf_cpumask_first', 'bpf_cpumask_first_and', 'bpf_cpumask_first_zero', 'bpf_cpumask_full', 'bpf_cpumask_intersects', 'bpf_cpumask_or', 'bpf_cpumask_populate', 'bpf_cpumask_release', 'bpf_cpumask_set_cpu', 'bpf_cpumask_setall', 'bpf_cpumask_subset', 'bpf_cpumask_test_and_clear_cpu', 'bpf_cpumask_test_and_set_cpu', 'bpf_cpumask_test_cpu', 'bpf_cpumask_weight', 'bpf_cpumask_xor']],
  [['sched_cls', 'sched_act', 'xdp'], ['bpf_crypto_decrypt', 'bpf_crypto_encrypt']],
  [['tracepoint', 'perf_event', 'tracing'], ['css_rstat_flush', 'css_rstat_updated']],
  [['sched_cls', 'xdp'], ['bpf_ct_change_status', 'bpf_ct_change_timeout', 'bpf_ct_insert_entry', 'bpf_ct_release', 'bpf_ct_set_nat_info', 'bpf_ct_set_status', 'bpf_ct_set_timeout', 'bpf_skb_ct_alloc', 'bpf_skb_ct_lookup', 'bpf_xdp_ct_alloc', 'bpf_xdp_ct_lookup']],
  [['syscall'], ['bpf_crypto_ctx_acquire', 'bpf_crypto_ctx_create', 'bpf_crypto_ctx_release']],
  [['sched_cls'], ['bpf_sk_assign_tcp_reqsk']],
  [['xdp'], ['bpf_xdp_get_xfrm_state', 'bpf_xdp_xfrm_state_release']],
  [[], ['bbr_cwnd_event', 'bbr_init', 'bbr_main', 'bbr_min_tso_segs', 'bbr_set_state', 'bbr_sndbuf_expand', 'bbr_ssthresh', 'bbr_undo_cwnd', 'bpf_fentry_test1', 'bpf_get_dentry_xattr', 'bpf_get_file_xattr', 'bpf_get_task_exe_file', 'bpf_modify_return_test', 'bpf_modify_return_test2', 'bpf_path_d_path', 'bpf_put_file', 'bpf_remove_dentry_xattr', 'bpf_session_cookie', 'bpf_session_is_return', 'bpf_set_dentry_xattr', 'bpf_sock_destroy', 'cubictcp_acked', 'cubictcp_cong_avoid', 'cubictcp_cwnd_event', 'cubictcp_init', 'cubictcp_recalc_ssthresh', 'cubictcp_state', 'tcp_cong_avoid_ai', 'tcp_reno_cong_avoid', 'tcp_reno_ssthresh', 'tcp_reno_undo_cwnd', 'tcp_slow_start']],
]

/** Argument C types for the seed's kfuncs, by the dynptr engine's argument kinds. */
const SEED_ARGS: Record<string, KfuncArg> = {
  Dynptr: { name: 'p', type: 'const struct bpf_dynptr *' },
  DynptrMut: { name: 'p', type: 'struct bpf_dynptr *' },
  DynptrUninit: { name: 'clone', type: 'struct bpf_dynptr *', annotation: '__uninit' },
  Callback: { name: 'callback', type: 'long (*)(struct bpf_dynptr *, void *)' },
  CallbackCtx: { name: 'callback_ctx', type: 'void *' },
  U64: { name: 'flags', type: 'u64' },
}
const SEED_RET: Record<DynptrFunction['ret'], string> = { Errno: 'long', Bool: 'bool', U32: '__u32', MemOrNull: 'void *', Void: 'void' }

function fromDynptr(d: DynptrFunction): KfuncSpec {
  const out: KfuncSpec = { name: d.name, flags: kfFlagNames(d.kfuncFlags ?? 0), args: [], ret: '', progTypes: 'any', origin: d.origin, native: true }
  if (d.since !== undefined) out.since = d.since
  if (d.origin === 'kernel') {
    const sig = SIGNATURES[d.name]
    const k = KERNEL[d.name]
    if (!sig || !k) throw new Error(`policy: no kernel prototype for dynptr kfunc ${d.name}`)
    out.ret = sig[0]
    out.args = (sig.slice(1) as [string, string][]).map(arg)
    out.progTypes = k.progTypes
  } else {
    out.ret = SEED_RET[d.ret]
    out.args = d.args.map((kind, i) => SEED_ARGS[kind] ?? { name: i === 0 ? 'p' : `arg${i + 1}`, type: kind === 'U32' ? 'u32' : kind.toLowerCase() })
  }
  return out
}

function fromKernel(name: string): KfuncSpec {
  const sig = SIGNATURES[name]
  const k = KERNEL[name]
  const out: KfuncSpec = {
    name,
    flags: k.flags ?? [],
    args: (sig.slice(1) as [string, string][]).map(arg),
    ret: sig[0],
    progTypes: k.progTypes,
    origin: 'kernel',
    native: false,
  }
  if (k.since !== undefined) out.since = k.since
  if (k.requires !== undefined) out.requires = k.requires
  return out
}

function buildTables(): { kernel: KfuncSpec[]; seed: KfuncSpec[] } {
  const dynptr = dynptrFunctions().filter((d) => d.helperId === undefined)
  const kernel = dynptr.filter((d) => d.origin === 'kernel').map(fromDynptr)
  const seen = new Set(kernel.map((k) => k.name))
  for (const name of Object.keys(KERNEL)) if (!seen.has(name)) kernel.push(fromKernel(name))
  const seed = dynptr.filter((d) => d.origin === 'seed').map(fromDynptr)
  return { kernel, seed }
}

const TABLES = buildTables()

/** The kernel kfuncs described in full: every dynptr kfunc, XDP's, and the generic ones. */
export const KFUNCS: readonly KfuncSpec[] = TABLES.kernel

/** The seed's convenience kfuncs (uxdp extensions, opt-in). Three share a kernel kfunc's name
 * (bpf_dynptr_is_null, _is_rdonly, _clone; the seed's clone takes an offset). */
export const SEED_KFUNCS: readonly KfuncSpec[] = TABLES.seed

/**
 * The described kfuncs programs see: the kernel's; with `seed`, the seed's API as well, its version
 * replacing the kernel's where both use a name (as the engine's `seedKfuncs` load option resolves
 * them).
 */
export function kfuncTable(options: { seed?: boolean } = {}): KfuncSpec[] {
  if (!optBool('seed', checkOptions<{ seed: boolean }>('kfuncTable', options, ['seed']).seed)) return [...KFUNCS]
  const seed = new Map(SEED_KFUNCS.map((k) => [k.name, k]))
  const out = KFUNCS.map((k) => seed.get(k.name) ?? k)
  return [...out, ...SEED_KFUNCS.filter((k) => !KFUNCS.some((c) => c.name === k.name))]
}

/** Every kfunc name of the 6.18 kernel, with the program types that may call it. */
export const KERNEL_KFUNC_PROG_TYPES: ReadonlyMap<string, readonly ProgTypeName[] | 'any'> = new Map([
  ...KFUNCS.map((k): [string, readonly ProgTypeName[] | 'any'] => [k.name, k.progTypes]),
  ...OTHER_KERNEL_KFUNCS.flatMap(([types, names]) => names.map((n): [string, readonly ProgTypeName[] | 'any'] => [n, types])),
])

export const KERNEL_KFUNC_NAMES: readonly string[] = [...KERNEL_KFUNC_PROG_TYPES.keys()].sort()

/** Kernel kfuncs not described in full that are KF_SLEEPABLE (the verifier asks for a sleepable
 * program before anything else about them). */
export const SLEEPABLE_KERNEL_KFUNCS: ReadonlySet<string> = new Set([
  ...KFUNCS.filter((k) => k.flags.includes('KF_SLEEPABLE')).map((k) => k.name),
  'bpf_arena_alloc_pages',
  'bpf_arena_free_pages',
  'bpf_arena_reserve_pages',
  'bpf_iter_dmabuf_new',
  'bpf_iter_dmabuf_next',
  'bpf_iter_dmabuf_destroy',
  'bpf_iter_kmem_cache_new',
  'bpf_iter_kmem_cache_next',
  'bpf_iter_kmem_cache_destroy',
  'bpf_lookup_user_key',
  'css_rstat_flush',
])

/** Whether a kfunc's program types include this one. */
export function kfuncAllowed(progTypes: readonly ProgTypeName[] | 'any', progType: ProgTypeName): boolean {
  return progTypes === 'any' ? ESTABLISHED_PROG_TYPES.includes(progType) : progTypes.includes(progType)
}

/** The table with `native` set from the engine's list of natively implemented kfunc names. */
export function withNativeKfuncs(implemented: Iterable<string>, table: readonly KfuncSpec[] = KFUNCS): KfuncSpec[] {
  const names = new Set(implemented)
  return table.map((k) => ({ ...k, native: names.has(k.name) }))
}
