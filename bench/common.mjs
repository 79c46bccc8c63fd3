// What bench/frame.bench.mjs and bench/dynptr.bench.mjs share: the 73152-byte packet, measuring
// with benchmark.js, the rows of the results and the report (a table on stdout and a JSON file).

import { createRequire } from 'node:module'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const Benchmark = require('benchmark')

export const QUICK = process.argv.includes('--quick')
const MAX_TIME = QUICK ? 0.25 : 1 // seconds of sampling per benchmark

// The packet: 73152 bytes split as BPF_PROG_TEST_RUN splits them, 3520 linear bytes and 17 frags
// of a 4 KiB page.
export const PACKET_LEN = 73152
const LINEAR = 3520
const FRAG = 4096
export const fragStart = (i) => LINEAR + FRAG * i

/** Same placement as crate/benches (common/mod.rs): centred on the start of frag 2, moved down to fit. */
export const copyOffset = (len) => Math.min(fragStart(2) - Math.min(len >> 1, fragStart(2)), PACKET_LEN - len)

/** The packet's bytes and a Frame (from the facade's `Frame`) built from them, with its 17 frags checked. */
export function packet(Frame) {
  const packetBytes = Buffer.alloc(PACKET_LEN)
  for (let i = 0; i < PACKET_LEN; i++) packetBytes[i] = (i * 7 + Math.floor(i / 251)) & 0xff
  const frame = Frame.fromBytes(packetBytes)
  if (frame.nrFrags !== 17) throw new Error(`expected 17 frags, got ${frame.nrFrags}`)
  return { packetBytes, frame }
}

// ------------------------------------------------------------------ measuring

/** Runs one benchmark.js benchmark and returns the median ns per call over its samples. */
export function measure(name, fn) {
  const bench = new Benchmark(name, fn, { maxTime: MAX_TIME, minSamples: 10 })
  bench.run()
  if (bench.error) throw bench.error
  const sample = [...bench.stats.sample].sort((a, b) => a - b)
  const median = sample[sample.length >> 1] * 1e9
  return { ns: median, rme: bench.stats.rme, samples: sample.length }
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

export const rows = []
/** A table row: a baseline (no `baseline` argument), a measurement against `baseline` (with a
 * `target` when there is one), or, with `note`, a figure shown for information only. */
export function row(group, name, m, baseline, target, note) {
  const r = { group, name, ns: m.ns, rme: m.rme }
  if (note) r.note = note
  if (baseline) {
    r.baseline = baseline.name
    r.baselineNs = baseline.ns
    r.ratio = m.ns / baseline.ns
  }
  if (target) {
    r.target = target.text
    r.met = target.met(r)
  }
  rows.push(r)
  return r
}

/** Measures `fn` as the baseline of `group`, adds its row and returns it as the `baseline` argument
 * of the rows measured against it. */
export function baselineRow(group, name, fn) {
  const m = measure(name, fn)
  row(group, name, m)
  return { name, ns: m.ns }
}

// ------------------------------------------------------------------ report

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m) return m[1].trim()
  } catch {}
  return os.cpus()[0]?.model ?? 'unknown'
}

/**
 * Prints the rows as a table, a blank line between groups, and writes them to `file` (next to
 * this module). `title` names the benchmarks in the first line, `legend` is the second line,
 * `lastColumn` the last column's header and `last(r)` its cell for row `r`.
 */
export function report({ title, legend, lastColumn, last, file }) {
  const fmtNs = (ns) => (ns >= 100 ? ns.toFixed(0) : ns.toFixed(1))
  const table = [['benchmark', 'ns/op', '±%', 'baseline', 'baseline ns', 'ratio', lastColumn]]
  for (const r of rows) {
    table.push([
      r.name,
      fmtNs(r.ns),
      r.rme ? r.rme.toFixed(1) : '',
      r.baseline ?? (r.note ? '' : '(baseline)'),
      r.baselineNs === undefined ? '' : fmtNs(r.baselineNs),
      r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
      last(r),
    ])
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((t) => t[c].length)))
  const line = (t) => t.map((cell, c) => (c === 1 || c === 2 || c === 4 || c === 5 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ')
  const machine = { nproc: os.availableParallelism?.() ?? os.cpus().length, cpu: cpuModel(), node: process.version, platform: `${process.platform}-${process.arch}` }
  console.log(`uxdp ${title} benchmarks, ${new Date().toISOString()}, ${machine.cpu}, nproc ${machine.nproc}, node ${machine.node}`)
  console.log(`${legend}\n`)
  console.log(line(table[0]))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  let group = rows[0].group
  rows.forEach((r, i) => {
    if (r.group !== group) {
      console.log('')
      group = r.group
    }
    console.log(line(table[i + 1]))
  })

  const out = fileURLToPath(new URL(`./${file}`, import.meta.url))
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine, quick: QUICK, rows }, null, 2) + '\n')
  console.log(`\nwrote ${out}`)
}
