// The emulated mvneta from JS: the same two paths as crate/benches/mvneta.rs, with a native
// program and with a TypeScript one, each against a baseline measured in the same run.
//
//   npm run bench:nic:js           (builds first, then runs this file)
//   node bench/mvneta.bench.mjs [--quick]
//
// * 64-byte frames through RX → XDP_DROP, per frame: 64 frames offered in one call, one poll.
//   Baseline: Buffer.copy of the same bytes (64 × 60 B); the TypeScript program also against the
//   native one.
// * 9000-byte frames (9014 on the wire) through RX → XDP_TX → TX completion, per frame: 16
//   offered in one call, one poll (which also reclaims the previous poll's transmitted frames).
//   Baseline: Buffer.copy of 9014 bytes.
// * The TypeScript programs: DROP returns a constant; TX swaps the Ethernet addresses with a
//   12-byte load and store before returning XDP_TX (and, shown apart, through a direct view).
//
// No targets here (the native ones are in crate/benches/mvneta.rs): the ratios show what offering
// from JS and running the program in JS cost. Prints a table and writes bench/mvneta-results.json.

import { createRequire } from 'node:module'
import { baselineRow, measure, report, row as addRow } from './common.mjs'

const require = createRequire(import.meta.url)
const { Mvneta, NativeXdpProgram, XDP_DROP, XDP_TX } = require('../dist/index.js')

const row = (group, name, m, baseline, note) => addRow(group, name, m, baseline, undefined, note)

function udp(len) {
  const f = Buffer.alloc(len)
  Buffer.from('0200000000010200000000020800', 'hex').copy(f, 0)
  f[14] = 0x45
  f.writeUInt16BE(len - 14, 16)
  f[23] = 17
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(f, 26)
  f.writeUInt16BE(1000, 34)
  f.writeUInt16BE(53, 36)
  f.writeUInt16BE(len - 34, 38)
  for (let i = 42; i < len; i++) f[i] = i & 0xff
  return f
}

const per = (m, n) => ({ ns: m.ns / n, rme: m.rme })

// ------------------------------------------------------------------ 64-byte frames, XDP_DROP

{
  const N = 64
  const frames = Array.from({ length: N }, () => udp(60))
  const group = 'drop64'
  const dst = Buffer.alloc(N * 60)
  const copied = per(
    measure('Buffer.copy 64 × 60B', () => {
      for (let i = 0; i < N; i++) frames[i].copy(dst, i * 60)
    }),
    N,
  )
  const copy = { name: 'Buffer.copy 60B', ns: copied.ns }
  row(group, copy.name, copied)

  const nativeNic = new Mvneta({ captureTx: false })
  nativeNic.attachXdp(NativeXdpProgram.drop({ frags: false }))
  const native = measure('native program: offer 64 + poll', () => {
    nativeNic.offer(frames)
    nativeNic.poll(64)
  })
  row(group, 'native program, per frame', per(native, N), copy)

  const tsNic = new Mvneta({ captureTx: false })
  tsNic.attachXdp(() => XDP_DROP)
  const ts = measure('TS program: offer 64 + poll', () => {
    tsNic.offer(frames)
    tsNic.poll(64)
  })
  row(group, 'TypeScript program, per frame', per(ts, N), copy)
  row(group, 'TypeScript program, per frame', per(ts, N), { name: 'native program', ns: native.ns / N }, 'the JS program against the native one')
  if (nativeNic.stats().ethtool.rx_xdp_drop === 0 || tsNic.stats().ethtool.rx_xdp_drop === 0) throw new Error('no frame was dropped')
  nativeNic.close()
  tsNic.close()
}

// ------------------------------------------------------------------ 9000-byte frames, XDP_TX

{
  const N = 16
  const frame = udp(9014)
  const frames = Array.from({ length: N }, () => frame)
  const group = 'tx9000'
  const dst = Buffer.alloc(9014)
  const copy = baselineRow(group, 'Buffer.copy 9014B', () => {
    frame.copy(dst, 0)
  })

  const nativeNic = new Mvneta({ mtu: 9000, captureTx: false })
  nativeNic.attachXdp(NativeXdpProgram.reflect())
  const native = measure('native program: offer 16 + poll', () => {
    nativeNic.offer(frames)
    nativeNic.poll(64)
  })
  row(group, 'native program, per frame', per(native, N), copy)

  // Swapping the addresses with a 12-byte load and store (what a BPF program does with
  // bpf_xdp_load_bytes/store_bytes), and through a direct view (frame.pointer, like direct packet
  // access), which costs a view of the page per frame.
  const swapped = Buffer.alloc(12)
  const tsNic = new Mvneta({ mtu: 9000, captureTx: false })
  tsNic.attachXdp(
    (ctx) => {
      const eth = ctx.frame.loadBytes(0, 12)
      eth.copy(swapped, 0, 6, 12)
      eth.copy(swapped, 6, 0, 6)
      ctx.frame.storeBytes(0, swapped)
      return XDP_TX
    },
    { frags: true },
  )
  const ts = measure('TS program (load/store): offer 16 + poll', () => {
    tsNic.offer(frames)
    tsNic.poll(64)
  })
  row(group, 'TypeScript program, per frame', per(ts, N), copy)
  const viewNic = new Mvneta({ mtu: 9000, captureTx: false })
  viewNic.attachXdp(
    (ctx) => {
      const eth = ctx.frame.pointer(0, 12)
      const dstMac = Buffer.from(eth.subarray(0, 6))
      eth.copyWithin(0, 6, 12)
      eth.set(dstMac, 6)
      return XDP_TX
    },
    { frags: true },
  )
  const view = measure('TS program (pointer): offer 16 + poll', () => {
    viewNic.offer(frames)
    viewNic.poll(64)
  })
  row(group, 'TS program via frame.pointer', per(view, N), copy, 'a direct view of each frame: a new external ArrayBuffer per frame')
  for (const n of [nativeNic, tsNic, viewNic]) {
    const e = n.stats().ethtool
    if (e.rx_xdp_tx === 0 || e.rx_xdp_tx_errors !== 0) throw new Error(`XDP_TX did not run cleanly: ${e.rx_xdp_tx} sent, ${e.rx_xdp_tx_errors} errors`)
  }
  nativeNic.close()
  tsNic.close()
  viewNic.close()
}

report({
  title: 'mvneta',
  legend: 'ns/op = median per frame over benchmark.js samples; ratio = ns/op ÷ baseline ns (lower is better); no targets from JS',
  lastColumn: 'note',
  last: (r) => (r.note ? `info: ${r.note}` : ''),
  file: 'mvneta-results.json',
})
