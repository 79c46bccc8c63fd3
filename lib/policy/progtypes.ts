import { TABLE } from './table'

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

const NAME_BY_ID = new Map(Object.entries(PROG_TYPE_IDS).map(([name, id]) => [id as number, name as ProgTypeName]))

/** Program type names for uapi numbers (the prototype table's sets). */
export function progTypeNames(ids: readonly number[]): ProgTypeName[] {
  return ids.map((id) => {
    const name = NAME_BY_ID.get(id)
    if (!name) throw new Error(`prototype table: unknown program type ${id}`)
    return name
  })
}

/** The program types whose helper and kfunc sets the prototype table has established (how: see
 * `pt::ESTABLISHED` in crate/src/bpf/protos); the others (lirc_mode2, struct_ops, ext, lsm) get
 * nothing. */
export const ESTABLISHED_PROG_TYPES: readonly ProgTypeName[] = progTypeNames(TABLE.establishedProgTypes)

export function isProgTypeName(value: unknown): value is ProgTypeName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(PROG_TYPE_IDS, value)
}
