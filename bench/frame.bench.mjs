// Frame benchmarks from JS, each against a baseline measured in the same run.
//
//   npm run bench            (builds first, then runs this file)
//   node bench/frame.bench.mjs [--quick]
//
// The packet is 73152 bytes, split as BPF_PROG_TEST_RUN splits it: 3520 linear bytes and 17 frags
// of a 4 KiB page, frag i starting at packet offset 3520 + 4096 * i.
//
// * loadBytes / loadBytesInto / storeBytes of 64 B .. 60 KiB across frag boundaries, against
//   Buffer.copy of the same number of bytes between two flat Buffers (no target: informative).
//   loadBytes returns a new Buffer, so "new Buffer + copy" shows what allocating one costs here.
// * pointer to 64 bytes inside frag 3, alone and with a read through the view, against
//   Buffer.copy of 64 bytes (no target: informative).
// * FrameBatch of 64 operations: batch.run() against batch.timeNativeLoop(N), the same records in
//   a Rust loop. Target: run() ≤ 2 × the native loop. Shown too: a run of no operations and a bare
//   getter (the fixed cost of crossing into the engine), and the same 64 operations as single
//   calls from JS (what batching saves).
//
// Prints a table and writes bench/results.json (not committed; bench/RESULTS.md records a run).

import { createRequire } from 'node:module'
import { baselineRow, copyOffset, fragStart, measure, median, packet, PACKET_LEN, QUICK, report, row } from './common.mjs'

const require = createRequire(import.meta.url)
const { Frame } = require('../dist/index.js')

const SIZES = [
  [64, '64B'],
  [256, '256B'],
  [1024, '1KiB'],
  [4096, '4KiB'],
  [16384, '16KiB'],
  [61440, '60KiB'],
]
const BATCH_TARGET = 2 // run() may take at most this many times the native loop

const { packetBytes, frame } = packet(Frame)

let sink = 0

// ------------------------------------------------------------------ copies

for (const [len, label] of SIZES) {
  const off = copyOffset(len)
  if (frame.pointer(off, len) !== null) throw new Error(`${label} at ${off} does not cross a boundary`)
  const flat = Buffer.from(packetBytes)
  const dst = Buffer.alloc(len)
  const src = Buffer.from(packetBytes.subarray(off, off + len))
  // The copies must be right before they are timed.
  if (!frame.loadBytes(off, len).equals(src)) throw new Error(`loadBytes ${label} is wrong`)
  const baseline = baselineRow(`copy ${label}`, `Buffer.copy ${label}`, () => {
    sink += flat.copy(dst, 0, off, off + len)
  })
  // What loadBytes has to do besides the copy: hand back a new Buffer of its own.
  row(`copy ${label}`, `new Buffer + copy ${label}`, measure(`new Buffer + copy ${label}`, () => {
    const out = Buffer.allocUnsafeSlow(len)
    sink += flat.copy(out, 0, off, off + len)
  }), baseline)
  row(`copy ${label}`, `loadBytes ${label}`, measure(`loadBytes ${label}`, () => {
    sink += frame.loadBytes(off, len).length
  }), baseline)
  row(`copy ${label}`, `loadBytesInto ${label}`, measure(`loadBytesInto ${label}`, () => {
    frame.loadBytesInto(off, dst)
  }), baseline)
  row(`copy ${label}`, `storeBytes ${label}`, measure(`storeBytes ${label}`, () => {
    frame.storeBytes(off, src)
  }), baseline)
}

// ------------------------------------------------------------------ pointer

{
  const off = fragStart(3) + 100
  const view = frame.pointer(off, 64)
  if (view === null || view.length !== 64 || view[0] !== packetBytes[off]) throw new Error('pointer in frag 3 is wrong')
  frame.invalidateViews()
  const flat = Buffer.from(packetBytes)
  const dst = Buffer.alloc(64)
  const baseline = baselineRow('pointer', 'Buffer.copy 64B', () => {
    sink += flat.copy(dst, 0, off, off + 64)
  })
  // Every view pointer() returns stays tracked by the Frame until its geometry changes or it is
  // released (so that it can be detached then). A loop of pointer() calls would hold millions of
  // views; the benchmark lets go of them every 4096 calls, and that cost is part of the figure.
  let n = 0
  row('pointer', 'pointer 64B in frag 3', measure('pointer', () => {
    if (frame.pointer(off, 64) !== null) n++
    if ((n & 4095) === 0) frame.invalidateViews()
  }), baseline)
  row('pointer', 'pointer + read 64B', measure('pointer + read', () => {
    const v = frame.pointer(off, 64)
    for (let i = 0; i < 64; i++) sink += v[i]
    if ((++n & 4095) === 0) frame.invalidateViews()
  }), baseline)
  frame.invalidateViews()
}

// ------------------------------------------------------------------ batch

{
  // The 64 records of crate/benches/frame.rs `batch64`: for frag k = 0..15, a 64-byte load and a
  // 64-byte store across the start of frag k, a pointer to 64 bytes inside it, and getBuffLen.
  const batch = Frame.batch([frame])
  const store = Buffer.alloc(64, 0xa5)
  const expected = []
  for (let k = 0; k < 16; k++) {
    const across = fragStart(k) - 32
    batch.loadBytes(0, across, 64)
    batch.storeBytes(0, across, store)
    batch.pointer(0, fragStart(k) + 100, 64)
    batch.getBuffLen(0)
    expected.push(0, 0, k + 2, PACKET_LEN)
  }
  if (batch.size !== 64) throw new Error('the batch must hold 64 operations')
  const got = Array.from(batch.run())
  if (got.join() !== expected.join()) throw new Error(`batch results ${got} differ from ${expected}`)

  const js = measure('FrameBatch.run (64 ops)', () => {
    sink += batch.run()[0]
  })

  // timeNativeLoop: rounds of N iterations, each round ~50 ms; the median round.
  const probe = batch.timeNativeLoop(1000)
  const iterations = Math.max(1000, Math.round(50e6 / Math.max(probe, 1)))
  const rounds = []
  for (let i = 0; i < (QUICK ? 5 : 21); i++) rounds.push(batch.timeNativeLoop(iterations))
  const nativeNs = median(rounds)
  const baseline = { name: `timeNativeLoop(${iterations})`, ns: nativeNs }
  row('batch 64 ops', baseline.name, { ns: nativeNs, rme: 0 })
  row('batch 64 ops', 'FrameBatch.run()', js, baseline, {
    text: `≤ ${BATCH_TARGET}× native`,
    met: (r) => r.ratio <= BATCH_TARGET,
  })

  // Where run()'s time goes besides the operations: a run of nothing (the facade, the N-API
  // call with its three typed arrays, the borrow of the frame), and the bare N-API call floor.
  const empty = Frame.batch([frame])
  row('batch 64 ops', 'FrameBatch.run(), 0 ops', measure('empty run', () => {
    sink += empty.run().length
  }), undefined, undefined, 'info: the fixed cost of one run()')
  row('batch 64 ops', 'frame.length (N-API getter)', measure('getter', () => {
    sink += frame.length
  }), undefined, undefined, 'info: one call into the engine')

  // The same 64 operations as single calls, for what the batch saves.
  let k = 0
  row('batch 64 ops', '64 single calls', measure('64 single calls', () => {
    for (k = 0; k < 16; k++) {
      const across = fragStart(k) - 32
      sink += frame.loadBytes(across, 64)[0]
      frame.storeBytes(across, store)
      if (frame.pointer(fragStart(k) + 100, 64) !== null) sink++
      sink += frame.length
    }
    frame.invalidateViews()
  }), baseline)
}

// ------------------------------------------------------------------ report

report({
  title: 'frame',
  legend: 'ns/op = median over benchmark.js samples; ratio = ns/op ÷ baseline ns (lower is better)',
  lastColumn: 'target',
  last: (r) => (r.target ? `${r.target}: ${r.met ? 'met' : 'NOT MET'}` : (r.note ?? (r.baseline ? 'none' : ''))),
  file: 'results.json',
})
if (sink === 0.5) console.log(sink) // keeps the results alive
