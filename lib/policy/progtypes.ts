/**
 * BPF program types by the names libbpf and bpftool give them (`enum bpf_prog_type` without the
 * `BPF_PROG_TYPE_` prefix, lower case), with their uapi numbers.
 */
export const PROG_TYPE_IDS = {
  socket_filter: 1,
  kprobe: 2,
  sched_cls: 3,
  sched_act: 4,
  tracepoint: 5,
  xdp: 6,
  perf_event: 7,
  cgroup_skb: 8,
  cgroup_sock: 9,
  lwt_in: 10,
  lwt_out: 11,
  lwt_xmit: 12,
  sock_ops: 13,
  sk_skb: 14,
  cgroup_device: 15,
  sk_msg: 16,
  raw_tracepoint: 17,
  cgroup_sock_addr: 18,
  lwt_seg6local: 19,
  lirc_mode2: 20,
  sk_reuseport: 21,
  flow_dissector: 22,
  cgroup_sysctl: 23,
  raw_tracepoint_writable: 24,
  cgroup_sockopt: 25,
  tracing: 26,
  struct_ops: 27,
  ext: 28,
  lsm: 29,
  sk_lookup: 30,
  syscall: 31,
  netfilter: 32,
} as const

export type ProgTypeName = keyof typeof PROG_TYPE_IDS

export const PROG_TYPE_NAMES = Object.keys(PROG_TYPE_IDS) as readonly ProgTypeName[]

/**
 * The program types whose helper and kfunc sets this policy knows, established by loading a call to
 * every helper id and every vmlinux kfunc on a 6.18 kernel with all capabilities and reading the
 * verifier's answer. Where the answer depends on the attach type, the one used was: cgroup_sock
 * `BPF_CGROUP_INET_SOCK_CREATE`, cgroup_sock_addr `BPF_CGROUP_INET4_CONNECT`, cgroup_sockopt
 * `BPF_CGROUP_SETSOCKOPT`, sk_skb `BPF_SK_SKB_STREAM_VERDICT`, sk_msg `BPF_SK_MSG_VERDICT`,
 * sk_reuseport `BPF_SK_REUSEPORT_SELECT`, flow_dissector, sk_lookup, netfilter their only one,
 * tracing `BPF_TRACE_RAW_TP` (tp_btf; fentry/fexit and iterators get a few more), syscall sleepable.
 *
 * Not established (the kernel would not load a probe there): lirc_mode2, struct_ops, ext, lsm.
 */
export const ESTABLISHED_PROG_TYPES: readonly ProgTypeName[] = PROG_TYPE_NAMES.filter(
  (t) => t !== 'lirc_mode2' && t !== 'struct_ops' && t !== 'ext' && t !== 'lsm',
)

export function isProgTypeName(value: unknown): value is ProgTypeName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(PROG_TYPE_IDS, value)
}
