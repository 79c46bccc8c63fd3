#!/usr/bin/env node
// Precision backtracking, uxdp against the live kernel: loads the verifier corpus's committed
// objects (test/fixtures/kernel/objects/*.o) at log level 2 in the kernel (`bpftool -d prog
// load`, root) and in uxdp (`verify`, privileged), and compares their precision lines in order:
// `mark_precise: ...`, `frame N: propagating ...`, `force_precise: ...`. The kernel's other
// level-2 lines (its "Live regs before insn:" table, its SCC and stack-liveness notes) are left
// out, and an lddw's kernel address is masked (uxdp prints one of the same shape). Prints how many programs have such lines in the kernel's log and in how many uxdp's
// sequence is the same, and the first difference of a few that are not.
//
//   npm run build && node scripts/precision-level2.mjs [--limit N] [--show N] [--only SUBSTR]
//
// Needs root, bpftool and a kernel with BPF; nothing is recorded (the Rust unit tests in
// crate/src/bpf/verifier/tests.rs hold recorded excerpts).

import { execFileSync } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { verify } from '../dist/index.js'

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i < 0 ? dflt : args[i + 1]
}
const limit = Number(opt('--limit', 1e9))
const show = Number(opt('--show', 5))
const only = opt('--only', '')

const dir = 'test/fixtures/kernel/objects'
const pin = '/sys/fs/bpf/uxdp_precision_level2'
const precisionLines = (log) =>
  log
    .split('\n')
    .map((l) => l.replace(/^libbpf: /, '').replace(/(\(18\) r\d+ = )0x[0-9a-f]{16}\b/g, '$1ADDR'))
    .filter((l) => l.startsWith('mark_precise:') || l.startsWith('force_precise:') || /^frame \d+: propagating /.test(l))

function kernelLog(path) {
  try {
    return execFileSync('bpftool', ['-d', 'prog', 'load', path, pin], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 }).toString()
  } catch (e) {
    return String(e.stdout ?? '') + String(e.stderr ?? '')
  } finally {
    rmSync(pin, { force: true })
  }
}

let withLines = 0
let same = 0
let shown = 0
let seen = 0
for (const f of readdirSync(dir).filter((f) => f.endsWith('.o') && f.includes(only)).sort()) {
  if (seen >= limit) break
  const path = join(dir, f)
  const k = precisionLines(kernelLog(path))
  if (k.length === 0) continue
  seen++
  let u
  try {
    const r = verify(path, { logLevel: 2 | 4 })
    u = precisionLines(r.log ?? '')
  } catch (e) {
    u = [`(uxdp: ${e.message})`]
  }
  withLines++
  if (k.length === u.length && k.every((l, i) => l === u[i])) {
    same++
    continue
  }
  if (shown++ < show) {
    let i = 0
    while (i < k.length && k[i] === u[i]) i++
    console.log(`${f}: first difference at precision line ${i + 1} of ${k.length} (uxdp has ${u.length})`)
    console.log(`  kernel: ${k[i] ?? '(none)'}`)
    console.log(`  uxdp:   ${u[i] ?? '(none)'}`)
  }
}
console.log(`precision lines at level 2 identical to the kernel's: ${same} of ${withLines} programs whose kernel log has them`)
