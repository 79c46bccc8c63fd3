// `npm run build && node bench/verifier.bench.mjs [--quick] [--recorded]`: uxdp's verifier against
// the kernel's, on the same objects (the differential corpus: test/fixtures/kernel/objects/, every
// program the kernel accepts or refuses there).
//
// For each object, the kernel's `verification time N usec` is asked of the running kernel in the
// same run (test/kernel/verifier_stats.c: bpf_object__load at log level 4), the smallest of a few
// loads; uxdp's is `verify()`'s own timer (`stats.timeUs`, the verifier alone, as the kernel's
// figure is), the smallest of as many runs. Without a kernel that allows BPF (or with
// --recorded), the kernel's times recorded in test/fixtures/kernel/kernel-verifier.json are used
// and the report says so. Prints the median and quartiles of uxdp/kernel, the slowest objects,
// and the process's peak memory; writes bench/verifier-results.json.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inflateRawSync } from 'node:zlib'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { verify, describeObject } = await import(join(root, 'dist', 'index.js'))
const QUICK = process.argv.includes('--quick')
const RECORDED = process.argv.includes('--recorded')
const RUNS = QUICK ? 2 : 5
const OBJECTS = join(root, 'test', 'fixtures', 'kernel', 'objects')

// The corpus's objects and the kernel's recorded stats (by the object's hash prefix).
const fixture = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'kernel', 'kernel-verifier.json'), 'utf8'))
const recorded = new Map()
for (const e of Object.values(fixture.entries)) {
  const m = /^verifier_stats .* #([0-9a-f]{8})$/.exec(e.what)
  if (!m) continue
  let a = e.answer
  if (a && typeof a.text === 'string') a = JSON.parse(inflateRawSync(Buffer.from(a.text, 'base64')).toString('utf8'))
  recorded.set(m[1], a)
}
const objects = readdirSync(OBJECTS)
  .filter((f) => /^[a-z0-9]+-[0-9a-f]{16}\.o$/.test(f) && recorded.has(f.slice(-18, -10)))
  .sort()

// The live kernel, if it can be asked.
let tool
if (!RECORDED && process.getuid?.() === 0) {
  const out = join(mkdtempSync(join(tmpdir(), 'uxdp-vbench-')), 'verifier_stats')
  const r = spawnSync('gcc', ['-O2', '-o', out, join(root, 'test', 'kernel', 'verifier_stats.c'), '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' })
  if (r.status === 0) tool = out
}
const kernelTime = (path, hash) => {
  if (!tool) return recorded.get(hash)?.verificationUs
  let best = Infinity
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(tool, [path], { encoding: 'utf8' })
    if (r.status !== 0) return recorded.get(hash)?.verificationUs
    const us = JSON.parse(r.stdout).verificationUs
    if (us >= 0) best = Math.min(best, us)
  }
  return Number.isFinite(best) ? best : undefined
}

const rows = []
for (const f of objects) {
  const path = join(OBJECTS, f)
  const bytes = readFileSync(path)
  let prog
  try {
    prog = describeObject(bytes).programs[0]?.name
  } catch {
    continue
  }
  if (!prog) continue
  let uxdp = Infinity
  let result
  for (let i = 0; i < RUNS; i++) {
    try {
      result = verify(bytes, { prog })
    } catch {
      result = undefined
      break
    }
    if (result.verified === false) break
    uxdp = Math.min(uxdp, Math.max(1, result.stats.timeUs))
  }
  if (!result || !Number.isFinite(uxdp)) continue
  const kernel = kernelTime(path, f.slice(-18, -10))
  if (!(kernel > 0)) continue
  rows.push({ object: f, prog, accepted: result.accepted, processed: result.stats.processed, uxdpUs: uxdp, kernelUs: kernel, ratio: uxdp / kernel })
}

const ratios = rows.map((r) => r.ratio).sort((a, b) => a - b)
const q = (p) => ratios[Math.min(ratios.length - 1, Math.floor(p * ratios.length))]
const sum = (k) => rows.reduce((s, r) => s + r[k], 0)
const report = {
  date: new Date().toISOString(),
  kernel: tool ? `live (${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}), same run` : 'recorded (test/fixtures/kernel/kernel-verifier.json)',
  objects: rows.length,
  runsPerObject: RUNS,
  ratio: { p25: q(0.25), median: q(0.5), p75: q(0.75), p90: q(0.9), max: ratios.at(-1) },
  totalUs: { uxdp: sum('uxdpUs'), kernel: sum('kernelUs') },
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  slowest: [...rows].sort((a, b) => b.ratio - a.ratio).slice(0, 8),
  rows,
}
const fmt = (x) => x.toFixed(2)
console.log(`verifier time, uxdp / kernel, over ${rows.length} objects (kernel: ${report.kernel}; best of ${RUNS})`)
console.log(`  p25 ${fmt(report.ratio.p25)}  median ${fmt(report.ratio.median)}  p75 ${fmt(report.ratio.p75)}  p90 ${fmt(report.ratio.p90)}  max ${fmt(report.ratio.max)}`)
console.log(`  total: uxdp ${report.totalUs.uxdp} us, kernel ${report.totalUs.kernel} us; peak RSS of this process ${report.peakRssMiB} MiB`)
console.log('  slowest relative to the kernel:')
for (const r of report.slowest) console.log(`    ${r.object} ${r.prog}: ${r.uxdpUs} us vs ${r.kernelUs} us (${fmt(r.ratio)}x), ${r.processed} insns processed`)
writeFileSync(join(root, 'bench', 'verifier-results.json'), JSON.stringify(report, null, 1) + '\n')
