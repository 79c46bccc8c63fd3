// Dynptr and ring-buffer benchmarks from JS, each against a baseline measured in the same run.
//
//   npm run bench:dynptr:js        (builds first, then runs this file)
//   node bench/dynptr.bench.mjs [--quick]
//
// The packet is the one of bench/frame.bench.mjs and crate/benches/dynptr.rs: 73152 bytes, split as
// BPF_PROG_TEST_RUN splits it (3520 linear bytes and 17 frags of a 4 KiB page, frag i starting at
// packet offset 3520 + 4096 * i), behind Dynptr.fromXdp.
//
// * dynptr.slice of 64 bytes inside frag 3 (the direct path: a view of the page, which the frame
//   tracks so it can detach it) and across the start of frag 2 (the copy path: into the caller's
//   buffer), against Buffer.copy of 64 bytes; frame.pointer for the same 64 bytes for comparison.
// * dynptr.read (returns a new Buffer), readInto (the caller's buffer) and write of 64 B, 1 KiB and
//   16 KiB across frag boundaries, against Buffer.copy of the same number of bytes.
// * The ring buffer, per 64-byte record: reserve + write + submit from JS and consume with a JS
//   callback, against ring.timeNativeLoop(64, N), which does the same inside Rust. Shown too:
//   output + consume, 64 records per consume, and the two halves: a consume with nothing to read,
//   and producing alone.
//
// None of these has a target: the ratios show what crossing from JS into the engine costs.
// Prints a table and writes bench/dynptr-results.json (not committed; bench/RESULTS.md records a run).

import { createRequire } from 'node:module'
import { baselineRow, copyOffset, fragStart, measure, median, packet, PACKET_LEN, QUICK, report, row as addRow } from './common.mjs'

const require = createRequire(import.meta.url)
const { Frame, Dynptr, RingBuffer } = require('../dist/index.js')

const SIZES = [
  [64, '64B'],
  [1024, '1KiB'],
  [16384, '16KiB'],
]
const RING_SIZE = 256 * 1024
const RECORD = 64

const { packetBytes, frame } = packet(Frame)
const dynptr = Dynptr.fromXdp(frame)
if (dynptr.size !== PACKET_LEN) throw new Error(`the dynptr covers ${dynptr.size} bytes`)

let sink = 0

/** A table row: a baseline (no `baseline` argument), a measurement against `baseline`, or, with
 * `note`, a figure shown for information only. No row here has a target. */
const row = (group, name, m, baseline, note) => addRow(group, name, m, baseline, undefined, note)

// ------------------------------------------------------------------ slice

{
  const inside = fragStart(3) + 100
  const across = fragStart(2) - 32
  const buffer = Buffer.alloc(64)
  // The paths must be the ones named, with the packet's bytes, before they are timed.
  const direct = dynptr.slice(inside, 64, buffer)
  if (direct === null || direct.buffer === buffer.buffer || !Buffer.from(direct).equals(packetBytes.subarray(inside, inside + 64))) {
    throw new Error('slice in frag 3 is not a direct view of the packet')
  }
  const copied = dynptr.slice(across, 64, buffer)
  if (copied === null || copied.buffer !== buffer.buffer || !Buffer.from(copied).equals(packetBytes.subarray(across, across + 64))) {
    throw new Error('slice across frag 2 is not a copy into the buffer')
  }
  frame.invalidateViews()

  const flat = Buffer.from(packetBytes)
  const dst = Buffer.alloc(64)
  const baseline = baselineRow('slice', 'Buffer.copy 64B', () => {
    sink += flat.copy(dst, 0, across, across + 64)
  })
  // Every direct view stays tracked by the Frame until its geometry changes or it is released (so
  // that it can be detached then). The loops let go of them every 4096 calls, as
  // bench/frame.bench.mjs does for pointer(), and that cost is part of the figure.
  let n = 0
  row('slice', 'dynptr.slice direct, 64B in frag 3', measure('slice direct', () => {
    if (dynptr.slice(inside, 64, buffer) !== null) n++
    if ((n & 4095) === 0) frame.invalidateViews()
  }), baseline)
  row('slice', 'dynptr.slice direct + read 64B', measure('slice direct + read', () => {
    const v = dynptr.slice(inside, 64, buffer)
    for (let i = 0; i < 64; i++) sink += v[i]
    if ((++n & 4095) === 0) frame.invalidateViews()
  }), baseline)
  row('slice', 'frame.pointer, 64B in frag 3', measure('pointer', () => {
    if (frame.pointer(inside, 64) !== null) n++
    if ((n & 4095) === 0) frame.invalidateViews()
  }), baseline, 'info: the Frame API for the same view')
  frame.invalidateViews()
  row('slice', 'dynptr.slice copy, 64B across frag 2', measure('slice copy', () => {
    sink += dynptr.slice(across, 64, buffer).length
  }), baseline)
}

// ------------------------------------------------------------------ read / write

for (const [len, label] of SIZES) {
  const off = copyOffset(len)
  if (frame.pointer(off, len) !== null) throw new Error(`${label} at ${off} does not cross a boundary`)
  frame.invalidateViews()
  const flat = Buffer.from(packetBytes)
  const dst = Buffer.alloc(len)
  const src = Buffer.from(packetBytes.subarray(off, off + len))
  if (!dynptr.read(off, len).equals(src)) throw new Error(`read ${label} is wrong`)
  dynptr.readInto(off, dst)
  if (!dst.equals(src)) throw new Error(`readInto ${label} is wrong`)
  const baseline = baselineRow(`rw ${label}`, `Buffer.copy ${label}`, () => {
    sink += flat.copy(dst, 0, off, off + len)
  })
  row(`rw ${label}`, `dynptr.read ${label} (new Buffer)`, measure(`read ${label}`, () => {
    sink += dynptr.read(off, len).length
  }), baseline)
  row(`rw ${label}`, `dynptr.readInto ${label}`, measure(`readInto ${label}`, () => {
    dynptr.readInto(off, dst)
  }), baseline)
  row(`rw ${label}`, `dynptr.write ${label}`, measure(`write ${label}`, () => {
    dynptr.write(off, src)
  }), baseline)
}

// ------------------------------------------------------------------ ring buffer

{
  const ring = new RingBuffer(RING_SIZE)
  const payload = Buffer.alloc(RECORD, 0x5a)
  let got = 0
  const onSample = (s) => {
    got += s.length
  }
  // Right before timed: every record arrives whole, also across the ring's end.
  for (let i = 0; i < (2 * RING_SIZE) / (RECORD + 8); i++) {
    payload[0] = i & 0xff
    const d = ring.reserve(RECORD)
    d.write(0, payload)
    d.submit()
    const out = ring.drain()
    if (out.length !== 1 || !out[0].equals(payload)) throw new Error(`record ${i} came back wrong`)
  }
  payload[0] = 0x5a

  // timeNativeLoop: rounds of N records, each round ~50 ms; the median round.
  const probe = ring.timeNativeLoop(RECORD, 10000)
  const count = Math.max(10000, Math.round(50e6 / Math.max(probe, 1)))
  const rounds = []
  for (let i = 0; i < (QUICK ? 5 : 21); i++) rounds.push(ring.timeNativeLoop(RECORD, count))
  const nativeNs = median(rounds)
  const baseline = { name: `timeNativeLoop(64, ${count})`, ns: nativeNs }
  row('ring buffer, per 64-byte record', baseline.name, { ns: nativeNs, rme: 0 })

  row('ring buffer, per 64-byte record', 'reserve + write + submit + consume', measure('record', () => {
    const d = ring.reserve(RECORD)
    d.write(0, payload)
    d.submit()
    ring.consume(onSample)
  }), baseline)
  row('ring buffer, per 64-byte record', 'output + consume', measure('output', () => {
    ring.output(payload)
    ring.consume(onSample)
  }), baseline)
  // 64 records per consume (per-record figure): what one consume crossing costs when shared.
  const batch = measure('64 per consume', () => {
    for (let i = 0; i < 64; i++) {
      const d = ring.reserve(RECORD)
      d.write(0, payload)
      d.submit()
    }
    ring.consume(onSample)
  })
  row('ring buffer, per 64-byte record', '64 × (reserve + write + submit), 1 consume', { ns: batch.ns / 64, rme: batch.rme }, baseline,
    'per record')
  // Where a record's time goes from JS: one consume with nothing to read (the peek's result object
  // and Buffer, the consumer update skipped), and producing alone with a consume every 1024 records.
  row('ring buffer, per 64-byte record', 'consume, nothing to read', measure('consume empty', () => {
    sink += ring.consume(onSample)
  }), undefined, 'info: the fixed cost of one consume')
  let k = 0
  row('ring buffer, per 64-byte record', 'reserve + write + submit', measure('produce', () => {
    const d = ring.reserve(RECORD)
    d.write(0, payload)
    d.submit()
    if ((++k & 1023) === 0) ring.consume(onSample)
  }), baseline, 'consumed every 1024 records')
  ring.consume(onSample)
  const copy = Buffer.alloc(RECORD)
  row('ring buffer, per 64-byte record', 'Buffer.copy 64B', measure('Buffer.copy 64B ring', () => {
    sink += payload.copy(copy)
  }), undefined, 'info: the bytes of one record')
  if (ring.info().consumerPos !== ring.info().producerPos) throw new Error('records were left unconsumed')
  sink += got
}

// ------------------------------------------------------------------ report

report({
  title: 'dynptr and ring buffer',
  legend: 'ns/op = median over benchmark.js samples; ratio = ns/op ÷ baseline ns (lower is better); no targets: the cost of crossing from JS',
  lastColumn: 'note',
  last: (r) => r.note ?? '',
  file: 'dynptr-results.json',
})
if (sink === 0.5) console.log(sink) // keeps the results alive
