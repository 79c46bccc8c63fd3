#!/usr/bin/env node
// `node scripts/gen-kfunc-ids.mjs [VMLINUX_BTF]`: the kernel's kfuncs and their BTF ids, as uxdp's
// model of Linux 6.18 prints them in the verifier log (`call bpf_dynptr_from_xdp#63312`). Reads the
// BTF of the kernel the shipped target BTF was cut from (default /sys/kernel/btf/vmlinux) with
// bpftool: every FUNC a `bpf_kfunc` declaration tag marks. Writes
// crate/src/bpf/target/uxdp-6.18.kfuncs, one `name id` line per kfunc, sorted by name.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const btf = process.argv[2] ?? '/sys/kernel/btf/vmlinux'
const dump = execFileSync('bpftool', ['btf', 'dump', 'file', btf], { encoding: 'utf8', maxBuffer: 1 << 30 })
const funcs = new Map()
const tagged = new Set()
for (const line of dump.split('\n')) {
  let m = /^\[(\d+)\] FUNC '([^']+)'/.exec(line)
  if (m) funcs.set(Number(m[1]), m[2])
  m = /^\[\d+\] DECL_TAG 'bpf_kfunc' type_id=(\d+) component_idx=-1/.exec(line)
  if (m) tagged.add(Number(m[1]))
}
const rows = [...tagged].map((id) => [funcs.get(id), id]).filter(([n]) => n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
const out = join(root, 'crate/src/bpf/target/uxdp-6.18.kfuncs')
writeFileSync(out, rows.map(([n, id]) => `${n} ${id}\n`).join(''))
console.log(`${rows.length} kfuncs -> ${out}`)
