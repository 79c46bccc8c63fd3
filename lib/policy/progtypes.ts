import { byName, TABLE } from './table'

/** Program type names as libbpf and bpftool give them (`enum bpf_prog_type` without the
 * `BPF_PROG_TYPE_` prefix, lower case). The list is the engine's (`PROG_KINDS` in
 * crate/src/bpf/elf.rs); this union only gives the names a type for users' editors. */
export type ProgTypeName =
  | 'socket_filter' | 'kprobe' | 'sched_cls' | 'sched_act' | 'tracepoint' | 'xdp' | 'perf_event' | 'cgroup_skb'
  | 'cgroup_sock' | 'lwt_in' | 'lwt_out' | 'lwt_xmit' | 'sock_ops' | 'sk_skb' | 'cgroup_device' | 'sk_msg'
  | 'raw_tracepoint' | 'cgroup_sock_addr' | 'lwt_seg6local' | 'lirc_mode2' | 'sk_reuseport' | 'flow_dissector'
  | 'cgroup_sysctl' | 'raw_tracepoint_writable' | 'cgroup_sockopt' | 'tracing' | 'struct_ops' | 'ext' | 'lsm'
  | 'sk_lookup' | 'syscall' | 'netfilter'

/** The uapi number of each program type, from the engine's table. */
export const PROG_TYPE_IDS = Object.freeze(byName(TABLE.progTypes)) as Readonly<Record<ProgTypeName, number>>

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
