import { readFileSync } from 'node:fs'

import { BpfObject, needText } from '../bpf'
import { fsError, UxdpError } from '../errors'
import { DevMap, Mvneta, NativeXdpProgram, XDP_DROP, XDP_PASS, XDP_TX, type XdpContext } from '../mvneta'
import { PcapWriter, readCapture } from '../pcap'
import { DEMO_OBJECT } from './demo-object'

/** UDP destination ports the demo's program acts on (the native `mix` program uses the same). */
export const PORT_DROP = 9
export const PORT_TX = 7
export const PORT_REDIRECT = 4789

const MTU = 9000
/** Bytes a single 3520-byte RX buffer holds of a frame: 3520 - 2 (Marvell header) - 4 (FCS). */
const SINGLE_BUFFER_FRAME = 3520 - 2 - 4

export interface DemoOptions {
  /** Frames of the built-in mix (default 20000). */
  frames?: number
  /** Replay this pcap/pcapng file instead of the built-in mix. */
  pcap?: string
  /** Run the engine's native program instead of the JavaScript one. */
  native?: boolean
  /** Run the clang-built BPF object (lib/cli/bpf/demo.bpf.c) instead, attached with the device
   * features it needs inferred from what the verifier saw it do (no declared needs). */
  bpf?: boolean
  json?: boolean
  /** Write what left the NICs to `PREFIX-tx.pcap` (XDP_TX and redirected frames, as sent) and
   * what the host stack received to `PREFIX-pass.pcap`. */
  writePcap?: string
  /** Progress lines (on long runs, to stderr). */
  progress?: (line: string) => void
}

/** A small deterministic generator (xorshift32), so every run offers the same traffic. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}

/** An Ethernet/IPv4/UDP frame of `len` bytes to `dport`, checksums valid. */
export function udpFrame(len: number, dport: number, seq: number): Buffer {
  const f = Buffer.alloc(len)
  Buffer.from('0200000000010200000000020800', 'hex').copy(f, 0)
  f[14] = 0x45
  f.writeUInt16BE(len - 14, 16)
  f.writeUInt16BE(seq & 0xffff, 18)
  f[22] = 64
  f[23] = 17
  Buffer.from([10, 0, (seq >> 8) & 0xff, seq & 0xff, 10, 0, 0, 2]).copy(f, 26)
  let sum = 0
  for (let i = 14; i < 34; i += 2) sum += f.readUInt16BE(i)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  f.writeUInt16BE(~sum & 0xffff, 24)
  f.writeUInt16BE(1024 + (seq % 50000), 34)
  f.writeUInt16BE(dport, 36)
  f.writeUInt16BE(len - 34, 38)
  PAYLOAD.copy(f, 42, seq & 0xff, (seq & 0xff) + len - 42)
  return f
}

/** Payload bytes: each tells its position (offset by the frame's sequence number). */
const PAYLOAD = Buffer.from(Array.from({ length: 256 + MTU + 14 }, (_, i) => i & 0xff))

/** The built-in mix: mostly small frames, a third jumbo, spread over the four verdicts. */
function* mix(count: number): Generator<Buffer> {
  const next = rng(0x9e3779b9)
  const ports = [53, 53, 443, PORT_DROP, PORT_TX, PORT_REDIRECT]
  for (let seq = 0; seq < count; seq++) {
    const r = next()
    const jumbo = r % 3 === 0
    const len = jumbo ? 3600 + (r % (MTU + 14 - 3600)) : 60 + (r % 1455)
    yield udpFrame(len, ports[(r >>> 8) % ports.length], seq)
  }
}

/** The demo's XDP program, in TypeScript: reads the UDP port across frags (the headers sit in
 * the linear part, but nothing here assumes it), then decides. */
function program(target: DevMap) {
  return (ctx: XdpContext): number => {
    const f = ctx.frame
    if (f.length < 42) return XDP_PASS
    const hdr = f.loadBytes(12, 26)
    if (hdr.readUInt16BE(0) !== 0x0800 || hdr[11] !== 17) return XDP_PASS
    const ihl = (hdr[2] & 0xf) * 4
    const dport = f.loadBytes(14 + ihl + 2, 2).readUInt16BE(0)
    switch (dport) {
      case PORT_DROP:
        return XDP_DROP
      case PORT_TX: {
        const eth = f.pointer(0, 12)!
        const dst = Buffer.from(eth.subarray(0, 6))
        eth.copyWithin(0, 6, 12)
        eth.set(dst, 6)
        return XDP_TX
      }
      case PORT_REDIRECT:
        return ctx.redirectMap(target, 0, XDP_PASS)
      default:
        return XDP_PASS
    }
  }
}

export interface DemoResult {
  frames: number
  multi_buffer_frames: number
  accepted: number
  passed: number
  transmitted: number
  redirected: number
  /** Frames the driver dropped without a counter: a multi-buffer frame straddling the end of a
   * poll's budget (the upstream driver's behaviour, see `quirks.dropSplitFrames`). */
  split_dropped: number
  /** The receiving NIC's `ethtool -S` names, the redirect target's `tx_xdp_xmit`. */
  stats: Record<string, number>
  page_pool: { allocated: number; in_flight: number }
  program: 'typescript' | 'native' | 'bpf'
  /** The BPF program's needs, inferred at attach (`--bpf`). */
  needs?: string[]
  elapsed_ms: number
}

/** The main job: the emulated mvneta at MTU 9000 with a mix of small and jumbo frames through
 * a frags-aware XDP program that passes, drops, transmits and redirects. */
export function runNicDemo(options: DemoOptions = {}): DemoResult {
  const start = performance.now()
  const rx = new Mvneta({ ifindex: 2, mtu: MTU, mac: '02:00:00:00:00:01' })
  const peer = new Mvneta({ ifindex: 3, mtu: MTU, mac: '02:00:00:00:00:03' })
  const devmap = new DevMap()
  devmap.set(0, peer)
  const native = Boolean(options.native)
  if (native && options.bpf) throw new UxdpError('EINVAL', '--native and --bpf choose different programs: give one')
  let object: BpfObject | undefined
  let needs: string[] | undefined
  try {
    if (native) rx.attachXdp(NativeXdpProgram.mix(peer), { needs: ['tx', 'redirect', 'rx-sg'] })
    else if (options.bpf) {
      object = BpfObject.open(DEMO_OBJECT)
      object.map('peer').setTarget(0, peer, peer.ifindex)
      const prog = object.program('demo')
      needs = prog.inspect().needs.map(needText)
      rx.attachXdp(prog)
    } else rx.attachXdp(program(devmap), { frags: true, needs: ['tx', 'redirect', 'rx-sg'] })

    let source: Iterable<Buffer>
    let total: number
    if (options.pcap !== undefined) {
      let bytes: Buffer
      try {
        bytes = readFileSync(options.pcap)
      } catch (e) {
        throw fsError(e, 'cannot read', options.pcap)
      }
      const packets = readCapture(bytes)
      source = packets.map((p) => p.data)
      total = packets.length
    } else {
      total = options.frames ?? 20000
      if (!Number.isInteger(total) || total < 0) throw new UxdpError('EINVAL', 'frames must be a non-negative integer')
      source = mix(total)
    }

    let frames = 0
    let multi = 0
    let accepted = 0
    let passed = 0
    let transmitted = 0
    let redirected = 0
    let lastReport = performance.now()
    const chunk: Buffer[] = []
    const txOut = options.writePcap === undefined ? undefined : new PcapWriter()
    const passOut = options.writePcap === undefined ? undefined : new PcapWriter()
    let clock = 0n
    const collect = () => {
      const stack = rx.stack()
      const sent = [...rx.drainTx(), ...peer.drainTx().map((f) => ({ ...f, peer: true }))]
      passed += stack.length
      for (const f of sent) {
        if ('peer' in f) redirected++
        else transmitted++
        txOut?.write(f.data, (clock += 1000n))
      }
      for (const p of stack) passOut?.write(p.data, (clock += 1000n))
    }
    const flush = () => {
      // Small chunks: the RX ring holds 512 descriptors, and a jumbo frame takes three.
      accepted += rx.offer(chunk)
      chunk.length = 0
      rx.run({ budget: 64 })
      peer.poll()
      collect()
    }
    for (const f of source) {
      chunk.push(f)
      frames++
      if (f.length > SINGLE_BUFFER_FRAME && f.length <= MTU + 14) multi++
      if (chunk.length === 128) flush()
      if (options.progress && performance.now() - lastReport > 1000) {
        lastReport = performance.now()
        options.progress(`uxdp demo: ${frames}/${total} frames (${Math.round((100 * frames) / Math.max(total, 1))} %)`)
      }
    }
    flush()
    rx.run({ budget: 64 })
    peer.run({ budget: 64 })
    collect()
    if (options.writePcap !== undefined) {
      txOut!.writeFile(`${options.writePcap}-tx.pcap`)
      passOut!.writeFile(`${options.writePcap}-pass.pcap`)
    }

    const s = rx.stats()
    const splitDropped = s.diagnostics.rx_split_dropped
    const stats: Record<string, number> = { ...s.ethtool, ...s.stats64, tx_xdp_xmit_peer: peer.stats().ethtool.tx_xdp_xmit }
    peer.close()
    rx.close()
    const pool = rx.stats().pagePool
    const peerPool = peer.stats().pagePool
    return {
      frames,
      multi_buffer_frames: multi,
      accepted,
      passed,
      transmitted,
      redirected,
      split_dropped: splitDropped,
      stats,
      page_pool: { allocated: pool.allocated + peerPool.allocated, in_flight: pool.inFlight + peerPool.inFlight },
      program: native ? 'native' : options.bpf ? 'bpf' : 'typescript',
      ...(needs ? { needs } : {}),
      elapsed_ms: Math.round(performance.now() - start),
    }
  } finally {
    peer.close()
    rx.close()
    object?.close()
  }
}


const TABLE_STATS = [
  'good_frames_received',
  'good_octets_received',
  'oversize_received',
  'rx_discard',
  'rx_packets',
  'rx_bytes',
  'rx_xdp_pass',
  'rx_xdp_drop',
  'rx_xdp_tx',
  'rx_xdp_tx_errors',
  'rx_xdp_redirect',
  'tx_packets',
  'tx_bytes',
  'good_frames_sent',
  'tx_xdp_xmit_peer',
  'rx_pp_alloc_slow',
  'rx_pp_alloc_fast',
  'rx_pp_recycle_ring',
]

/** Prints the demo's result: a summary and a stats table, or one JSON object. */
export function printDemo(r: DemoResult, json: boolean, out: (line: string) => void): number {
  if (json) {
    out(JSON.stringify(r))
  } else {
    const where = r.program === 'native' ? 'the engine (native)' : r.program === 'bpf' ? 'BPF (a clang-built object, verified)' : 'TypeScript'
    out(`uxdp: an emulated mvneta NIC at MTU ${MTU}, XDP program in ${where}`)
    if (r.needs) {
      out('  device features the program needs, inferred from the verified program at attach:')
      for (const n of r.needs) out(`    ${n}`)
    }
    out(`  ${r.frames} frames offered (${r.multi_buffer_frames} over several RX buffers), ${r.accepted} taken by the hardware, in ${r.elapsed_ms} ms`)
    out(`  host stack received ${r.passed}, XDP_TX sent ${r.transmitted}, redirected to ifindex 3 and sent ${r.redirected}`)
    out(`  ${r.split_dropped} jumbo frames dropped by the driver where a poll's 64-descriptor budget cut them (upstream mvneta does this too)`)
    out('')
    out('  counter                        value')
    for (const name of TABLE_STATS) out(`  ${name.padEnd(28)} ${String(r.stats[name] ?? 0).padStart(12)}`)
    out('')
    out(`  page pool: ${r.page_pool.allocated} pages allocated, ${r.page_pool.in_flight} in flight after closing the NICs`)
  }
  return r.page_pool.in_flight === 0 ? 0 : 1
}
