// The per-run cost of BPF_PROG_TEST_RUN: uxdp's interpreter against the running kernel's JIT, on the
// same object files and the same packets.
//
//   npm run bench:bpf:js          (builds first, then runs this file)
//   node bench/bpf.bench.mjs [--quick]
//
// Programs: test/bpf/bench_*.bpf.c, compiled here with clang (-O2 -g -target bpf):
// * verdict: returns XDP_DROP;
// * swap: swaps the Ethernet addresses after a bounds check, returns XDP_TX;
// * parse: Ethernet, optional VLAN, IPv4/IPv6, TCP/UDP, with bounds checks, a verdict from the ports;
// * map: a hash-map lookup of the IPv4 source (a miss) and a per-verdict counter in an array map;
// * frags (xdp.frags): bpf_xdp_get_buff_len and two bpf_xdp_load_bytes, one from the frag holding the
//   tail of a 9000-byte frame (3520 linear bytes, then 4096-byte frags).
// Packets: Ethernet/IPv4/UDP to port 53 of 64 and 1500 bytes (and 9000 for frags).
//
// Per program and size, each the median of 3 runs of `repeat` iterations:
// * uxdp: `uxdp prog run OBJ --data-in FILE --repeat N --json`, its duration_ns (the engine's average
//   per run, timed inside the engine around the repeat loop as the kernel times its own);
// * uxdp from JS: Program.testRun({ data, repeat: N }), its durationNs, and the wall time of the whole
//   call divided by N (the call's fixed cost spread over N runs);
// * kernel: `bpftool prog run pinned PIN data_in FILE ... repeat N`, its "duration (average)", with the
//   JIT on (bpf_jit_enable is reported). Skipped, loudly, when the kernel refuses BPF.
// Target: the engine's per-run cost within 2× of the kernel's on the small programs (verdict, swap,
// parse, map at 64 B and 1500 B). The multi-buffer case is shown against the kernel without a target.
// Prints a table and writes bench/bpf-results.json.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { QUICK, median, report, row } from './common.mjs'

const require = createRequire(import.meta.url)
const { Program } = require('../dist/index.js')

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'bin', 'uxdp.js')
const SRC = join(ROOT, 'test', 'bpf')
const RUNS = 3
const REPEAT_SMALL = QUICK ? 100_000 : 1_000_000
const REPEAT_FRAGS = QUICK ? 20_000 : 200_000
const TARGET = 2

const CASES = [
  { prog: 'verdict', sizes: [64, 1500], small: true },
  { prog: 'swap', sizes: [64, 1500], small: true },
  { prog: 'parse', sizes: [64, 1500], small: true },
  { prog: 'map', sizes: [64, 1500], small: true },
  { prog: 'frags', sizes: [9000], small: false },
]

const tmp = mkdtempSync(join(os.tmpdir(), 'uxdp-bench-bpf-'))
const pins = []
process.on('exit', () => {
  for (const p of pins) rmSync(p, { force: true })
  rmSync(tmp, { recursive: true, force: true })
})

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24 })
  if (r.error) return { ok: false, out: '', err: String(r.error) }
  return { ok: r.status === 0, out: r.stdout, err: r.stderr }
}

/** Ethernet/IPv4/UDP, 10.0.0.1:1000 → 10.0.0.2:53, payload bytes i & 0xff. */
function udp(len) {
  const f = Buffer.alloc(len)
  Buffer.from('0200000000010200000000020800', 'hex').copy(f, 0)
  f[14] = 0x45
  f.writeUInt16BE(len - 14, 16)
  f[22] = 64
  f[23] = 17
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(f, 26)
  f.writeUInt16BE(1000, 34)
  f.writeUInt16BE(53, 36)
  f.writeUInt16BE(len - 34, 38)
  for (let i = 42; i < len; i++) f[i] = i & 0xff
  return f
}

// ------------------------------------------------------------------ objects and packets

const archInclude = `/usr/include/${os.arch() === 'x64' ? 'x86_64' : os.arch() === 'arm64' ? 'aarch64' : os.arch()}-linux-gnu`
const objects = {}
for (const { prog } of CASES) {
  const src = join(SRC, `bench_${prog}.bpf.c`)
  const obj = join(tmp, `bench_${prog}.bpf.o`)
  const r = run('clang', ['-O2', '-g', '-target', 'bpf', '-Wall', '-Werror', `-I${archInclude}`, '-c', src, '-o', obj])
  if (!r.ok) {
    console.error(`cannot compile ${src} (clang and libbpf-dev are needed: apt-get install -y clang llvm libbpf-dev): ${r.err.trim().split('\n')[0]}`)
    process.exit(1)
  }
  objects[prog] = obj
}
const packets = {}
for (const n of [64, 1500, 9000]) {
  packets[n] = udp(n)
  writeFileSync(join(tmp, `pkt${n}.bin`), packets[n])
}

// ------------------------------------------------------------------ the kernel

function kernelProbe() {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`
  if (process.env.UXDP_SKIP_KERNEL) return 'UXDP_SKIP_KERNEL is set'
  if (!run('bpftool', ['version']).ok) return 'bpftool is missing (apt-get install -y bpftool)'
  if (!existsSync('/sys/fs/bpf')) return '/sys/fs/bpf does not exist'
  const pin = `/sys/fs/bpf/uxdp_bench_probe_${process.pid}`
  const r = run('bpftool', ['prog', 'load', objects.verdict, pin])
  rmSync(pin, { force: true })
  if (!r.ok) return `bpftool prog load refused: ${r.err.trim().split('\n').at(-1)}`
  return ''
}

const kernelSkip = kernelProbe()
let jit = 'unknown'
try {
  jit = readFileSync('/proc/sys/net/core/bpf_jit_enable', 'utf8').trim()
} catch {}
if (kernelSkip) console.warn(`\n[bpf bench] KERNEL SIDE SKIPPED: ${kernelSkip}; only uxdp's figures are measured, no ratio can be judged\n`)

function kernelLoad(prog) {
  const pin = `/sys/fs/bpf/uxdp_bench_${prog}_${process.pid}`
  rmSync(pin, { force: true })
  const r = run('bpftool', ['prog', 'load', objects[prog], pin])
  if (!r.ok) throw new Error(`the kernel refused bench_${prog}: ${r.err.trim().split('\n').at(-1)}`)
  pins.push(pin)
  return pin
}

function kernelRun(pin, size, repeat) {
  const r = run('bpftool', [
    'prog', 'run', 'pinned', pin,
    'data_in', join(tmp, `pkt${size}.bin`), 'data_out', join(tmp, 'out.bin'), 'data_size_out', '131072', 'repeat', String(repeat),
  ])
  const m = /Return value: (\d+), duration(?: \(average\))?: (\d+)ns/.exec(r.out)
  if (!r.ok || !m) throw new Error(`bpftool prog run failed: ${r.err || r.out}`)
  return { retval: Number(m[1]), ns: Number(m[2]) }
}

// ------------------------------------------------------------------ uxdp

function cliRun(prog, size, repeat) {
  const r = run(process.execPath, [CLI, 'prog', 'run', objects[prog], '--data-in', join(tmp, `pkt${size}.bin`), '--repeat', String(repeat), '--json'])
  if (!r.ok) throw new Error(`uxdp prog run failed: ${r.err || r.out}`)
  const j = JSON.parse(r.out.trim().split('\n').at(-1))
  return { retval: j.retval, ns: j.duration_ns }
}

function apiRun(program, size, repeat) {
  const t0 = process.hrtime.bigint()
  const r = program.testRun({ data: packets[size], repeat })
  const wall = Number(process.hrtime.bigint() - t0) / repeat
  return { retval: r.retval, ns: r.durationNs, wall }
}

// ------------------------------------------------------------------ measure

const summary = []
for (const c of CASES) {
  const repeat = c.small ? REPEAT_SMALL : REPEAT_FRAGS
  const program = Program.load(readFileSync(objects[c.prog]))
  const pin = kernelSkip ? undefined : kernelLoad(c.prog)
  for (const size of c.sizes) {
    const group = `${c.prog}`
    const cli = [], api = [], wall = [], kern = []
    let retvals = new Set()
    for (let i = 0; i < RUNS; i++) {
      const a = cliRun(c.prog, size, repeat)
      const b = apiRun(program, size, repeat)
      cli.push(a.ns)
      api.push(b.ns)
      wall.push(b.wall)
      retvals.add(`uxdp ${a.retval}`).add(`uxdp ${b.retval}`)
      if (pin) {
        const k = kernelRun(pin, size, repeat)
        kern.push(k.ns)
        retvals.add(`kernel ${k.retval}`)
      }
    }
    const verdicts = [...new Set([...retvals].map((v) => v.split(' ')[1]))]
    if (verdicts.length !== 1) throw new Error(`${c.prog} ${size} B: the verdicts differ: ${[...retvals].join(', ')}`)
    const name = `${c.prog} ${size}B`
    const k = pin ? { name: `kernel JIT ${size}B`, ns: median(kern) } : undefined
    if (k) row(group, `kernel JIT: ${name}`, { ns: k.ns, rme: 0 })
    const target = c.small && k ? { text: `≤ ${TARGET}× the kernel's`, met: (r) => r.ratio <= TARGET } : undefined
    const cliRow = row(group, `uxdp prog run: ${name}`, { ns: median(cli), rme: 0 }, k, target, k ? undefined : 'kernel skipped')
    row(group, `Program.testRun durationNs: ${name}`, { ns: median(api), rme: 0 }, k, undefined, 'the same engine figure, from the API')
    row(group, `Program.testRun wall / run: ${name}`, { ns: median(wall), rme: 0 }, k, undefined, `whole call ÷ ${repeat}`)
    summary.push({ name, uxdp: cliRow.ns, kernel: k?.ns, ratio: cliRow.ratio, met: cliRow.met, small: c.small, verdict: verdicts[0] })
  }
  program.object.close?.()
}

report({
  title: 'BPF test_run',
  legend: `ns/op = median of ${RUNS} averages per run (repeat ${REPEAT_SMALL}, frags ${REPEAT_FRAGS}); baseline = the kernel's JIT'd test_run average (bpf_jit_enable=${jit}); ratio = uxdp ÷ kernel${kernelSkip ? `; KERNEL SKIPPED: ${kernelSkip}` : ''}`,
  lastColumn: 'target',
  last: (r) => (r.target ? `${r.met ? 'met' : 'NOT MET'} (${r.target})` : r.note ? `info: ${r.note}` : ''),
  file: 'bpf-results.json',
})

console.log('\nsummary (uxdp prog run vs kernel):')
for (const s of summary) {
  const ratio = s.ratio === undefined ? 'kernel skipped' : `${s.ratio.toFixed(1)}×`
  console.log(`  ${s.name.padEnd(14)} verdict ${s.verdict}  uxdp ${String(s.uxdp).padStart(5)} ns  kernel ${String(s.kernel ?? '-').padStart(4)} ns  ${ratio}${s.small && s.met !== undefined ? (s.met ? '  met' : '  NOT MET') : ''}`)
}
