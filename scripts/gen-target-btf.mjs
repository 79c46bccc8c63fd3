#!/usr/bin/env node
// Generates the target BTF uxdp ships: Linux 6.18's vmlinux BTF trimmed to the types BPF programs
// reach, and the kernel config uxdp models (see README "CO-RE and kconfig").
//
//   node scripts/gen-target-btf.mjs [--btf /sys/kernel/btf/vmlinux] [--config /proc/config.gz]
//
// Writes crate/src/bpf/target/uxdp-6.18.btf (a valid BTF blob: `bpftool btf dump file` reads it),
// uxdp-6.18.ids (each kept type's id in the full vmlinux BTF, u32 little-endian, so that
// bpf_core_type_id_kernel() and typed ksyms give the kernel's ids) and uxdp-6.18.config (the
// CONFIG_* lines, comments dropped).
//
// What is kept (the root set):
// - every struct/union named in ROOTS below, in full (members, and every type they hold by value);
// - every named enum and enum64 (bpf_func_id, xdp_action, ...), every typedef of an integer or
//   enum (u32, __be16, ...), every VAR (per-CPU variables, what typed __ksym resolves) whose type
//   is an integer, pointer or array of them, or a root;
// - every kfunc's FUNC (those the kernel tags `bpf_kfunc`) and its FUNC_PROTO;
// - behind a pointer or in a function prototype, a struct or union outside the roots is kept as
//   a forward declaration of that name (its id and name stay, its layout goes): CO-RE reads
//   through such a pointer resolve up to it, and a relocation into it is unresolvable.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOTS = [
  // XDP, tc and socket-filter contexts, and the kernel structs behind them
  'xdp_md', 'xdp_buff', 'xdp_frame', 'xdp_rxq_info', 'xdp_txq_info', 'xdp_mem_info',
  '__sk_buff', 'sk_buff', 'skb_shared_info', 'skb_frag', 'sk_buff_head', 'sk_buff_list',
  'net_device', 'netdev_rx_queue', 'netdev_queue', 'net', 'possible_net_t',
  'sock', 'sock_common', 'inet_sock', 'inet_connection_sock', 'tcp_sock', 'udp_sock', 'unix_sock',
  'request_sock', 'inet_request_sock', 'tcp_request_sock', 'inet_timewait_sock', 'tcp_timewait_sock',
  'socket', 'nf_conn', 'nf_conn___init', 'nf_conntrack_tuple', 'tc_action', 'Qdisc', 'tcf_result',
  // packet headers
  'ethhdr', 'iphdr', 'ipv6hdr', 'tcphdr', 'udphdr', 'icmphdr', 'icmp6hdr', 'vlan_hdr', 'vlan_ethhdr',
  'arphdr', 'in_addr', 'in6_addr', 'sockaddr', 'sockaddr_in', 'sockaddr_in6', 'gre_base_hdr',
  'ip_esp_hdr', 'ipv6_opt_hdr', 'frag_hdr', 'mpls_label', 'tcp_word_hdr', 'sctphdr', 'ipv6_rt_hdr', 'ip_auth_hdr',
  'ipv6_sr_hdr', 'genevehdr', 'geneve_opt', 'vxlanhdr',
  // uapi helper structs
  'bpf_sock', 'bpf_sock_tuple', 'bpf_tcp_sock', 'bpf_xdp_sock', 'bpf_fib_lookup', 'bpf_dynptr',
  'bpf_spin_lock', 'bpf_timer', 'bpf_wq', 'bpf_list_head', 'bpf_list_node', 'bpf_rb_root', 'bpf_rb_node',
  'bpf_refcount', 'bpf_iter_num', 'bpf_sock_ops', 'bpf_sk_lookup', 'sk_msg_md', 'sk_reuseport_md',
  'bpf_sysctl', 'bpf_sockopt', 'bpf_perf_event_value', 'bpf_redir_neigh', 'bpf_tunnel_key',
  'bpf_xfrm_state', 'bpf_flow_keys', 'bpf_map', 'bpf_array', 'bpf_prog', 'bpf_prog_aux',
  'bpf_cpumask', 'bpf_ct_opts', 'bpf_xdp_metadata_ops',
  // what tracing-style CO-RE reads reach
  'task_struct', 'pt_regs', 'cgroup', 'css_set', 'cgroup_subsys_state', 'mm_struct', 'file', 'inode',
  'nsproxy', 'pid_namespace', 'ns_common', 'cred', 'path', 'dentry', 'qstr', 'super_block', 'upid', 'pid',
  'list_head', 'hlist_node', 'rb_node', 'callback_head', 'rcu_head', 'refcount_struct', 'atomic_t',
  'seq_file', 'bpf_iter_meta', 'trace_event_raw_sys_enter', 'trace_event_raw_sys_exit',
]

const here = dirname(fileURLToPath(import.meta.url))
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : dflt
}
const btfPath = arg('--btf', '/sys/kernel/btf/vmlinux')
const configPath = arg('--config', '/proc/config.gz')
const outDir = join(here, '..', 'crate', 'src', 'bpf', 'target')

const KIND = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19 }

const raw = readFileSync(btfPath)
const hdrLen = raw.readUInt32LE(4)
const typeOff = hdrLen + raw.readUInt32LE(8)
const typeLen = raw.readUInt32LE(12)
const strOff = hdrLen + raw.readUInt32LE(16)
const strLen = raw.readUInt32LE(20)
const strings = raw.subarray(strOff, strOff + strLen)
const str = (off) => {
  const end = strings.indexOf(0, off)
  return strings.subarray(off, end).toString('latin1')
}

// types[id] = { kind, name, nameOff, info, sizeOrType, at, len, refs: [{ id, pos, viaPtr }] }
const types = [null]
for (let p = typeOff; p < typeOff + typeLen; ) {
  const nameOff = raw.readUInt32LE(p)
  const info = raw.readUInt32LE(p + 4)
  const sot = raw.readUInt32LE(p + 8)
  const kind = (info >>> 24) & 0x1f
  const vlen = info & 0xffff
  let extra = 0
  const refs = [] // positions (byte offsets in raw) of u32 type ids
  switch (kind) {
    case KIND.INT: extra = 4; break
    case KIND.PTR: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT: case KIND.FUNC: case KIND.TYPE_TAG:
      refs.push(p + 8); break
    case KIND.ARRAY: extra = 12; refs.push(p + 12, p + 16); break
    case KIND.STRUCT: case KIND.UNION:
      extra = 12 * vlen
      for (let i = 0; i < vlen; i++) refs.push(p + 12 + 12 * i + 4)
      break
    case KIND.ENUM: extra = 8 * vlen; break
    case KIND.ENUM64: extra = 12 * vlen; break
    case KIND.FWD: case KIND.FLOAT: break
    case KIND.FUNC_PROTO:
      extra = 8 * vlen
      refs.push(p + 8)
      for (let i = 0; i < vlen; i++) refs.push(p + 12 + 8 * i + 4)
      break
    case KIND.VAR: extra = 4; refs.push(p + 8); break
    case KIND.DATASEC:
      extra = 12 * vlen
      for (let i = 0; i < vlen; i++) refs.push(p + 12 + 12 * i)
      break
    case KIND.DECL_TAG: extra = 4; refs.push(p + 8); break
    default: throw new Error(`unknown kind ${kind} at ${p}`)
  }
  types.push({ kind, name: str(nameOff), nameOff, info, sot, at: p, len: 12 + extra, refs })
  p += 12 + extra
}

const isComposite = (t) => t.kind === KIND.STRUCT || t.kind === KIND.UNION
const byName = new Map()
types.forEach((t, id) => {
  if (t && t.name && isComposite(t) && !byName.has(t.name)) byName.set(t.name, id)
})
// A root is every complete struct/union of a root name (a name may have more than one).
const rootIds = new Set()
types.forEach((t, id) => {
  if (t && isComposite(t) && ROOTS.includes(t.name)) rootIds.add(id)
})
for (const r of ROOTS) if (!byName.has(r)) console.warn(`root ${r}: no such struct or union in this BTF`)

// full: kept with its layout; fwd: a composite kept as a forward declaration.
const full = new Set()
const fwd = new Set()
const queue = []
const keepFull = (id) => {
  if (id === 0 || full.has(id)) return
  full.add(id)
  fwd.delete(id)
  queue.push(id)
}
// Reached through a pointer or a prototype: a composite outside the roots becomes a FWD.
const keepBehindPtr = (id) => {
  if (id === 0 || full.has(id)) return
  const t = types[id]
  if (isComposite(t) && !rootIds.has(id)) {
    fwd.add(id)
    return
  }
  keepFull(id)
}
const walk = () => {
  while (queue.length) {
    const id = queue.pop()
    const t = types[id]
    const ids = t.refs.map((pos) => raw.readUInt32LE(pos))
    switch (t.kind) {
      case KIND.PTR:
        keepBehindPtr(ids[0])
        break
      case KIND.FUNC_PROTO:
        ids.forEach(keepBehindPtr)
        break
      default:
        ids.forEach(keepFull)
    }
  }
}
for (const id of rootIds) keepFull(id)
const resolve = (id) => {
  let t = types[id]
  while (t && [KIND.TYPEDEF, KIND.VOLATILE, KIND.CONST, KIND.RESTRICT, KIND.TYPE_TAG].includes(t.kind)) {
    id = raw.readUInt32LE(t.refs[0])
    t = types[id]
  }
  return [id, t]
}
types.forEach((t, id) => {
  if (!t) return
  if ((t.kind === KIND.ENUM || t.kind === KIND.ENUM64) && t.name) keepFull(id)
  if (t.kind === KIND.TYPEDEF) {
    const [, r] = resolve(id)
    if (r && (r.kind === KIND.INT || r.kind === KIND.ENUM || r.kind === KIND.ENUM64)) keepFull(id)
  }
})
walk()
types.forEach((t, id) => {
  if (!t || t.kind !== KIND.VAR) return
  let [rid, r] = resolve(raw.readUInt32LE(t.refs[0]))
  while (r && r.kind === KIND.ARRAY) [rid, r] = resolve(raw.readUInt32LE(r.refs[0]))
  if (r && (r.kind === KIND.INT || r.kind === KIND.PTR || r.kind === KIND.ENUM || (isComposite(r) && full.has(rid)))) keepFull(id)
})
walk()
// Every kfunc (a FUNC with the kernel's `bpf_kfunc` decl tag) and its prototype: libbpf checks an
// object's `__ksym` kfunc declaration against it (bpf_core_types_are_compat) and names its id.
types.forEach((t) => {
  if (t && t.kind === KIND.DECL_TAG && t.name === 'bpf_kfunc' && raw.readInt32LE(t.at + 12) === -1) {
    const target = raw.readUInt32LE(t.refs[0])
    if (types[target] && types[target].kind === KIND.FUNC) keepFull(target)
  }
})
walk()

const kept = [...new Set([...full, ...fwd])].sort((a, b) => a - b)
const newId = new Map(kept.map((id, i) => [id, i + 1]))
// Strings: only the names kept types use.
const strTab = [Buffer.from([0])]
const strIndex = new Map([['', 0]])
let strSize = 1
const addStr = (s) => {
  if (strIndex.has(s)) return strIndex.get(s)
  const off = strSize
  const b = Buffer.from(s + '\0', 'latin1')
  strTab.push(b)
  strSize += b.length
  strIndex.set(s, off)
  return off
}
const out = []
for (const id of kept) {
  const t = types[id]
  if (fwd.has(id)) {
    const b = Buffer.alloc(12)
    b.writeUInt32LE(addStr(t.name), 0)
    b.writeUInt32LE(((KIND.FWD << 24) | (t.kind === KIND.UNION ? 0x80000000 : 0)) >>> 0, 4)
    out.push(b)
    continue
  }
  const b = Buffer.from(raw.subarray(t.at, t.at + t.len))
  b.writeUInt32LE(addStr(t.name), 0)
  for (const pos of t.refs) {
    const old = raw.readUInt32LE(pos)
    const rel = pos - t.at
    if (old === 0) continue
    const n = newId.get(old)
    if (n === undefined) throw new Error(`type [${id}] ${t.name} refers to [${old}], which is not kept`)
    b.writeUInt32LE(n, rel)
  }
  // Member, enumerator and parameter names.
  const vlen = t.info & 0xffff
  const nameAt = { [KIND.STRUCT]: [12, 12], [KIND.UNION]: [12, 12], [KIND.ENUM]: [12, 8], [KIND.ENUM64]: [12, 12], [KIND.FUNC_PROTO]: [12, 8] }[t.kind]
  if (nameAt) {
    for (let i = 0; i < vlen; i++) {
      const rel = nameAt[0] + nameAt[1] * i
      b.writeUInt32LE(addStr(str(raw.readUInt32LE(t.at + rel))), rel)
    }
  }
  out.push(b)
}
const typeBuf = Buffer.concat(out)
const strBuf = Buffer.concat(strTab)
const hdr = Buffer.alloc(24)
hdr.writeUInt16LE(0xeb9f, 0)
hdr.writeUInt8(1, 2)
hdr.writeUInt8(0, 3)
hdr.writeUInt32LE(24, 4)
hdr.writeUInt32LE(0, 8)
hdr.writeUInt32LE(typeBuf.length, 12)
hdr.writeUInt32LE(typeBuf.length, 16)
hdr.writeUInt32LE(strBuf.length, 20)
const blob = Buffer.concat([hdr, typeBuf, strBuf])
const ids = Buffer.alloc(4 * kept.length)
kept.forEach((id, i) => ids.writeUInt32LE(id, 4 * i))

let config = configPath.endsWith('.gz') ? gunzipSync(readFileSync(configPath)).toString() : readFileSync(configPath, 'utf8')
config = config.split('\n').filter((l) => l.startsWith('CONFIG_')).join('\n') + '\n'

mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'uxdp-6.18.btf'), blob)
writeFileSync(join(outDir, 'uxdp-6.18.ids'), ids)
writeFileSync(join(outDir, 'uxdp-6.18.config'), config)
console.log(`${kept.length} of ${types.length - 1} types (${full.size} full, ${fwd.size} forward), BTF ${blob.length} bytes, ids ${ids.length} bytes, config ${config.length} bytes`)
