/**
 * A SYN proxy as users write it (test/kernel/synproxy_full.bpf.c: vmlinux.h and CO-RE, `.rodata`
 * configuration, an allowed-ports array and a values map, TCP options parsed in a bpf_loop
 * callback, conntrack lookup, raw syncookies, checksums with bpf_csum_diff, XDP_TX and tc's
 * change_tail/store_bytes/redirect) run on Linux and on uxdp, packet after packet: SYNs with and
 * without options, over VLANs, IPv4 and IPv6; the ACKs of each side's own SYN-ACK, a cookie with a
 * flipped bit, non-TCP frames, wrong ports, RSTs, truncated options.
 *
 * The kernel side is a fresh network namespace (its conntrack table empty, so every lookup is
 * ENOENT as in uxdp's empty table) where the programs run under BPF_PROG_TEST_RUN; uxdp's runs get
 * a HostNet's namespace. Compared: retval, data_out (the SYN-ACK's cookie, TCP checksum and the
 * timestamp's clock bits masked: the kernel keys its cookies with a per-boot secret and time; the
 * rest, the timestamp's low 6 option bits included, equal byte for byte; both sides' checksums
 * checked), ctx_out for tc, the MSS each cookie encodes (a map the program writes) and the
 * counters at the end. Recorded: test/fixtures/kernel/kernel-synproxy.json
 * (`npm run kernel:record -- kernel-synproxy --accept`: cookies are new at every recording).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BpfObject, encodeSkBuff, HostNet, UxdpError } from '../lib/index'
import { askKernel, build, finishKernel, firstDifference, MODE, ownPins, useKernel } from './helpers/kernel'
import { LivePin, scratchDir } from './helpers/kernel-live'
import { ackOf, parseTcp, TH, tcpFrame, type TcpFrame } from './helpers/tcp-packets'

const kernel = useKernel('kernel-synproxy')
/** Where the recording machine's vmlinux.h goes (relative: the build's key is the same everywhere). */
const VMLINUX_DIR = 'target/synproxy-vmlinux'
if (MODE === 'record' && !existsSync(join(VMLINUX_DIR, 'vmlinux.h'))) {
  mkdirSync(VMLINUX_DIR, { recursive: true })
  const dump = spawnSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { encoding: 'utf8', maxBuffer: 1 << 28 })
  if (dump.status !== 0) throw new Error(`bpftool btf dump failed: ${dump.stderr}`)
  writeFileSync(join(VMLINUX_DIR, 'vmlinux.h'), dump.stdout)
}
const object = build('synproxy_full.bpf.c', {}, ['--clang=clang-19', '-mcpu=v3', `-I${VMLINUX_DIR}`], { commit: true })
const NS = `uxdp-synproxy-${process.pid}`
const XDP = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3 }
const TC = { OK: 0, SHOT: 2, REDIRECT: 7 }
type Prog = 'syncookie_xdp' | 'syncookie_tc'

type Run = { ok: true; retval: number; out: Buffer; ctxOut?: Buffer } | { ok: false; message: string }

let pin: LivePin | undefined
let liveError = ''
let host: HostNet
let obj: BpfObject

function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.error}`)
}

function livePin(): LivePin {
  if (!pin) throw new Error(`the live namespace is not set up: ${liveError}`)
  return pin
}

function liveRun(prog: Prog, data: Buffer, ctx: Buffer | undefined): Run {
  const p = livePin()
  const dir = scratchDir()
  const f = (n: string) => join(dir, `synproxy-${n}-${process.pid}.bin`)
  writeFileSync(f('in'), data)
  const args = ['prog', 'run', 'pinned', join(p.pin, 'progs', prog), 'data_in', f('in'), 'data_out', f('out'), 'data_size_out', '4096', 'repeat', '1']
  if (ctx) {
    writeFileSync(f('ctx'), ctx)
    args.push('ctx_in', f('ctx'), 'ctx_out', f('ctxout'), 'ctx_size_out', String(ctx.length))
  }
  try {
    const r = spawnSync('nsenter', [`--net=/run/netns/${NS}`, 'bpftool', ...args], { encoding: 'utf8' })
    if (r.status !== 0) return { ok: false, message: (r.stderr || String(r.error)).trim().split('\n').at(-1) ?? '' }
    const m = /Return value: (\d+)/.exec(r.stdout)
    if (!m) throw new Error(`unexpected bpftool output: ${r.stdout}`)
    return { ok: true, retval: Number(m[1]), out: readFileSync(f('out')), ctxOut: ctx ? readFileSync(f('ctxout')) : undefined }
  } finally {
    for (const n of ['in', 'out', 'ctx', 'ctxout']) rmSync(f(n), { force: true })
  }
}

function liveMapUpdate(map: string, key: Buffer, value: Buffer): void {
  const path = livePin().maps.get(map)
  if (!path) throw new Error(`no pinned map ${map}`)
  const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0'))
  sh(['bpftool', 'map', 'update', 'pinned', path, 'key', 'hex', ...hex(key), 'value', 'hex', ...hex(value)])
}

/** A map's values in key order (u32 keys, array maps). */
function liveMap(map: string): string[] {
  const d = livePin().dump(map)
  if (!d.ok) throw new Error(d.message)
  return [...d.entries].sort((a, b) => a.key.readUInt32LE(0) - b.key.readUInt32LE(0)).map((e) => e.value!.toString('hex'))
}

function uxdpRun(prog: Prog, data: Buffer, ctx: Buffer | undefined): Run {
  try {
    const p = obj.program(prog)
    if (prog === 'syncookie_tc') {
      const r = p.testRunSkb({ data, ctx: ctx ? {} : undefined, host, netns: 'a' })
      return { ok: true, retval: r.retval >>> 0, out: Buffer.from(r.dataOut), ctxOut: r.ctxOut ? encodeSkBuff(r.ctxOut) : undefined }
    }
    const r = p.testRun({ data, host, netns: 'a' })
    return { ok: true, retval: r.retval >>> 0, out: Buffer.from(r.dataOut) }
  } catch (e) {
    if (e instanceof UxdpError) return { ok: false, message: `${e.code}: ${e.message}` }
    throw e
  }
}

function uxdpMap(map: string): string[] {
  const m = obj.map(map)
  return m.keys().sort((a, b) => a.readUInt32LE(0) - b.readUInt32LE(0)).map((k) => m.lookup(k)!.toString('hex'))
}

/** The SYN-ACK with what only the side's secret and clock decide zeroed: the cookie, the TCP
 * checksum, and the timestamp's clock bits (its low 6 bits carry the SYN's options). */
function masked(b: Buffer): Buffer {
  const c = Buffer.from(b)
  const p = parseTcp(c)
  c.fill(0, p.l4 + 4, p.l4 + 8)
  c.fill(0, p.l4 + 16, p.l4 + 18)
  for (let i = 0; i < p.options.length; ) {
    const kind = p.options[i]
    if (kind === 0) break
    if (kind === 1) {
      i++
      continue
    }
    if (kind === 8) {
      const at = p.l4 + 20 + i + 2
      c.writeUInt32BE(c.readUInt32BE(at) & 0x3f, at)
    }
    i += Math.max(2, p.options[i + 1])
  }
  return c
}

let step = 0
/** One packet through both: the answers compared; both runs returned. */
function both(prog: Prog, k: Buffer, u: Buffer, what: string): { kernel: Buffer; uxdp: Buffer; retval: number } {
  const s = step++
  const ctx = prog === 'syncookie_tc' ? encodeSkBuff({}) : undefined
  const kr = askKernel<Run>({ op: 'synproxy-run', object: object.key, prog, data: k.toString('hex'), ctx: ctx?.toString('hex') ?? null, step: s }, `test_run of ${prog} in ${object.what}: ${what}`, () => liveRun(prog, k, ctx))
  const ur = uxdpRun(prog, u, ctx)
  expect(kr.ok, `the kernel's run failed: ${!kr.ok ? kr.message : ''}`).toBe(true)
  expect(ur.ok, `uxdp's run failed: ${!ur.ok ? ur.message : ''}`).toBe(true)
  if (!kr.ok || !ur.ok) throw new Error('unreachable')
  expect(ur.retval, `retval: ${what}`).toBe(kr.retval)
  const answered = kr.retval === XDP.TX && prog === 'syncookie_xdp' ? true : prog === 'syncookie_tc' && kr.retval === TC.REDIRECT
  if (answered) {
    for (const [side, out] of [['kernel', kr.out], ['uxdp', ur.out]] as const) {
      const p = parseTcp(out)
      expect(p.flags, `${side}'s SYN-ACK flags`).toBe(TH.SYN | TH.ACK)
      expect(p.ipChecksumOk, `${side}'s IP checksum`).toBe(true)
      expect(p.tcpChecksumOk, `${side}'s TCP checksum`).toBe(true)
    }
    expect(firstDifference(masked(kr.out), masked(ur.out)), `data_out (cookie, checksum and clock masked): ${what}`).toBe('')
    const km = askKernel<string[]>({ op: 'synproxy-map', object: object.key, map: 'cookie_mss', step: s }, `cookie_mss after ${what}`, () => liveMap('cookie_mss'))
    expect(uxdpMap('cookie_mss'), `the MSS the cookie encodes: ${what}`).toEqual(km)
  } else {
    // the ACKs of each side's own cookie differ where their inputs do (the ack number and the
    // TCP checksum): those bytes are compared with each side's input instead
    const differ = (b: Buffer) => {
      const c = Buffer.from(b)
      for (let i = 0; i < Math.min(k.length, u.length, c.length); i++) if (k[i] !== u[i]) c[i] = 0
      return c
    }
    expect(firstDifference(differ(kr.out), differ(ur.out)), `data_out: ${what}`).toBe('')
    for (const [side, input, out] of [['kernel', k, kr.out], ['uxdp', u, ur.out]] as const) {
      for (let i = 0; i < Math.min(k.length, u.length, out.length); i++) if (k[i] !== u[i]) expect(out[i], `${side}'s byte ${i}: ${what}`).toBe(input[i])
    }
  }
  if (prog === 'syncookie_tc') expect(ur.ctxOut?.toString('hex'), `ctx_out: ${what}`).toBe(kr.ctxOut?.toString('hex'))
  return { kernel: kr.out, uxdp: ur.out, retval: kr.retval }
}

const C4 = { src: '10.0.0.7', dst: '10.0.0.2', sport: 40000, dport: 80 }
const C6 = { src: '2001:db8::7', dst: '2001:db8::2', sport: 40001, dport: 443 }
const FULL = { mss: 1400, wscale: 7, sack: true, ts: 0x01020304 }
const syn = (c: typeof C4, more: Partial<TcpFrame> = {}): TcpFrame => ({ ...c, flags: TH.SYN, seq: 0x1000, ...more })

describe(`a SYN proxy (XDP and tc) vs Linux (recorded on ${kernel.recordedOn}${kernel.live ? `; live: ${kernel.live}` : ''})`, () => {
  beforeAll(() => {
    host = new HostNet()
    host.addNetns('a')
    obj = BpfObject.open(object.path)
    if (MODE === 'record' || kernel.live) {
      if (existsSync(`/run/netns/${NS}`)) spawnSync('ip', ['netns', 'del', NS])
      try {
        sh(['ip', 'netns', 'add', NS])
        sh(['ip', '-n', NS, 'link', 'set', 'lo', 'up'])
        const p = LivePin.loadAll(object.path, 'synproxy_full')
        if (!(p instanceof LivePin)) throw new Error(`the kernel refused synproxy_full.bpf.c: ${p.line}`)
        pin = p
      } catch (e) {
        liveError = (e as Error).message
      }
    }
    // ports 80 and 443 (host order), on both sides
    for (const [i, port] of [80, 443].entries()) {
      const key = Buffer.alloc(4)
      key.writeUInt32LE(i)
      const value = Buffer.alloc(2)
      value.writeUInt16LE(port)
      obj.map('allowed_ports').update(key, value)
      if (pin) liveMapUpdate('allowed_ports', key, value)
    }
  })

  afterAll(() => {
    pin?.unload()
    pin = undefined
    if (existsSync(`/run/netns/${NS}`)) spawnSync('ip', ['netns', 'del', NS])
    obj?.close()
    finishKernel()
    expect(ownPins()).toEqual([])
  })

  it('the object loads on both (CO-RE against the target BTF, .rodata, bpf_loop, kfuncs)', () => {
    expect(obj.programs.map((p) => p.name).sort()).toEqual(['syncookie_tc', 'syncookie_xdp'])
  })

  it('IPv4 SYNs are answered with a SYN-ACK cookie (XDP_TX), options as the SYN asked', () => {
    const cases: [string, TcpFrame][] = [
      ['no options', syn(C4)],
      ['MSS 1400, window scale 7, SACK, timestamps', syn(C4, { opts: FULL })],
      ['MSS 1460 only', syn(C4, { opts: { mss: 1460 } })],
      ['MSS 536 only', syn(C4, { opts: { mss: 536 } })],
      ['timestamps without SACK', syn(C4, { opts: { mss: 1300, ts: 7 } })],
      ['SACK without timestamps, window scale 14', syn(C4, { opts: { sack: true, wscale: 14 } })],
      ['a window scale above 14 (clamped)', syn(C4, { opts: { mss: 1200, wscale: 15 } })],
      ['an 802.1Q tag', syn(C4, { opts: FULL, vlans: [{ tpid: 0x8100, tci: 100 }] })],
      ['802.1AD and 802.1Q tags', syn(C4, { opts: { mss: 1440 }, vlans: [{ tpid: 0x88a8, tci: 10 }, { tpid: 0x8100, tci: 20 }] })],
      ['data on the SYN (the reply is shorter)', syn(C4, { opts: { mss: 1400 }, payload: 100 })],
      ['EOL ends the options', syn(C4, { opts: { raw: [2, 4, 5, 0xb4, 0, 3, 3, 7] } })],
      ['an option length of 1 ends the walk', syn(C4, { opts: { raw: [4, 2, 8, 1, 2, 4, 5, 0xb4] } })],
      ['NOP padding before MSS', syn(C4, { opts: { raw: [1, 1, 1, 1, 2, 4, 4, 0] } })],
      ['port 443', syn({ ...C4, dport: 443 }, { opts: { mss: 1380 } })],
    ]
    for (const [what, f] of cases) {
      const r = both('syncookie_xdp', tcpFrame(f), tcpFrame(f), `IPv4 SYN, ${what}`)
      expect(r.retval, what).toBe(XDP.TX)
      const p = parseTcp(r.uxdp)
      expect([p.src, p.dst, p.sport, p.dport, p.ack], what).toEqual([f.dst, f.src, f.dport, f.sport, f.seq + 1])
    }
  })

  it('the ACK of each side\'s own SYN-ACK passes; a flipped cookie bit or a random ACK is dropped', () => {
    const f = syn(C4, { opts: FULL, seq: 0x5000 })
    const r = both('syncookie_xdp', tcpFrame(f), tcpFrame(f), 'IPv4 SYN before its ACK')
    expect(both('syncookie_xdp', ackOf(r.kernel, f), ackOf(r.uxdp, f), 'the ACK of the cookie').retval).toBe(XDP.PASS)
    expect(both('syncookie_xdp', ackOf(r.kernel, f, 1 << 20), ackOf(r.uxdp, f, 1 << 20), 'the ACK with cookie bit 20 flipped').retval).toBe(XDP.DROP)
    expect(both('syncookie_xdp', ackOf(r.kernel, f, 1 << 31), ackOf(r.uxdp, f, 1 << 31), 'the ACK with cookie bit 31 flipped (another minute)').retval).toBe(XDP.DROP)
    const random = tcpFrame({ ...C4, flags: TH.ACK, seq: 0x5001, ack: 0x12345678 })
    expect(both('syncookie_xdp', random, random, 'an ACK nobody sent a cookie for').retval).toBe(XDP.DROP)
  })

  it('IPv6: SYNs answered, the ACK of the cookie passes, a flipped bit is dropped', () => {
    for (const [what, f] of [
      ['no options', syn(C6)],
      ['all options', syn(C6, { opts: FULL })],
      ['MSS 1220', syn(C6, { opts: { mss: 1220 } })],
      ['a VLAN tag', syn(C6, { opts: { mss: 9000, sack: true }, vlans: [{ tpid: 0x8100, tci: 7 }] })],
    ] as [string, TcpFrame][]) {
      expect(both('syncookie_xdp', tcpFrame(f), tcpFrame(f), `IPv6 SYN, ${what}`).retval).toBe(XDP.TX)
    }
    const f = syn(C6, { opts: { mss: 1440, ts: 99 }, seq: 0x7000 })
    const r = both('syncookie_xdp', tcpFrame(f), tcpFrame(f), 'IPv6 SYN before its ACK')
    expect(both('syncookie_xdp', ackOf(r.kernel, f), ackOf(r.uxdp, f), 'IPv6: the ACK of the cookie').retval).toBe(XDP.PASS)
    expect(both('syncookie_xdp', ackOf(r.kernel, f, 1 << 21), ackOf(r.uxdp, f, 1 << 21), 'IPv6: cookie bit 21 flipped').retval).toBe(XDP.DROP)
  })

  it('what is not a SYN or ACK to an allowed TCP port passes untouched; a SYN whose options run past the frame is dropped', () => {
    const udp = tcpFrame({ ...C4, flags: TH.SYN, seq: 1, proto: 17 })
    const arp = Buffer.concat([tcpFrame(syn(C4)).subarray(0, 12), Buffer.from([0x08, 0x06]), Buffer.alloc(46)])
    const passes: [string, Buffer][] = [
      ['port 22', tcpFrame(syn({ ...C4, dport: 22 }))],
      ['UDP', udp],
      ['ARP', arp],
      ['IPv4 with IP options', tcpFrame(syn(C4, { ihl: 6 }))],
      ['RST', tcpFrame({ ...C4, flags: TH.RST, seq: 1 })],
      ['SYN+ACK', tcpFrame({ ...C4, flags: TH.SYN | TH.ACK, seq: 1, ack: 2 })],
      ['SYN+RST', tcpFrame({ ...C4, flags: TH.SYN | TH.RST, seq: 1 })],
      ['a data offset under 5', tcpFrame(syn(C4, { doff: 4 }))],
      ['IPv6 UDP', tcpFrame({ ...C6, flags: TH.SYN, seq: 1, proto: 17 })],
      ['a frame shorter than its TCP header', tcpFrame(syn(C4)).subarray(0, 50)],
    ]
    for (const [what, p] of passes) expect(both('syncookie_xdp', p, p, what).retval, what).toBe(XDP.PASS)
    const long = tcpFrame(syn(C4, { doff: 15 }))
    expect(both('syncookie_xdp', long, long, 'a data offset of 15 in a 20-byte header').retval).toBe(XDP.DROP)
  })

  it('the values map sets MSS, window scale and TTL', () => {
    const key = Buffer.alloc(4)
    const value = Buffer.alloc(8)
    value.writeBigUInt64LE(1300n | (5n << 16n) | (100n << 24n))
    obj.map('values').update(key, value)
    if (pin) liveMapUpdate('values', key, value)
    const r = both('syncookie_xdp', tcpFrame(syn(C4, { opts: FULL })), tcpFrame(syn(C4, { opts: FULL })), 'IPv4 SYN with configured values')
    expect(parseTcp(r.uxdp).ttl).toBe(100)
    both('syncookie_xdp', tcpFrame(syn(C4, { opts: { mss: 1200 } })), tcpFrame(syn(C4, { opts: { mss: 1200 } })), 'a SYN asking a smaller MSS than configured')
    value.fill(0)
    obj.map('values').update(key, value)
    if (pin) liveMapUpdate('values', key, value)
  })

  it('tc: the SYN-ACK built on the stack, stored over the skb and redirected; ACKs checked', () => {
    for (const [what, f] of [
      ['IPv4, no options', syn(C4)],
      ['IPv4, all options', syn(C4, { opts: FULL })],
      ['IPv4 over a VLAN', syn(C4, { opts: { mss: 1440 }, vlans: [{ tpid: 0x8100, tci: 5 }] })],
      ['IPv4 with data', syn(C4, { opts: { mss: 1400, sack: true }, payload: 64 })],
      ['IPv6, all options', syn(C6, { opts: FULL })],
    ] as [string, TcpFrame][]) {
      expect(both('syncookie_tc', tcpFrame(f), tcpFrame(f), `tc SYN, ${what}`).retval).toBe(TC.REDIRECT)
    }
    const f = syn(C4, { opts: { mss: 1460 }, seq: 0x9000 })
    const r = both('syncookie_tc', tcpFrame(f), tcpFrame(f), 'tc SYN before its ACK')
    expect(both('syncookie_tc', ackOf(r.kernel, f), ackOf(r.uxdp, f), 'tc: the ACK of the cookie').retval).toBe(TC.OK)
    expect(both('syncookie_tc', ackOf(r.kernel, f, 1 << 20), ackOf(r.uxdp, f, 1 << 20), 'tc: a flipped cookie bit').retval).toBe(TC.SHOT)
    const f6 = syn(C6, { seq: 0x9100 })
    const r6 = both('syncookie_tc', tcpFrame(f6), tcpFrame(f6), 'tc IPv6 SYN before its ACK')
    expect(both('syncookie_tc', ackOf(r6.kernel, f6), ackOf(r6.uxdp, f6), 'tc IPv6: the ACK of the cookie').retval).toBe(TC.OK)
    for (const [what, p] of [
      ['UDP', tcpFrame({ ...C4, flags: TH.SYN, seq: 1, proto: 17 })],
      ['port 22', tcpFrame(syn({ ...C4, dport: 22 }))],
    ] as [string, Buffer][]) {
      expect(both('syncookie_tc', p, p, `tc: ${what}`).retval).toBe(TC.OK)
    }
  })

  it('the counters agree: SYN-ACKs sent, cookies accepted and refused', () => {
    const k = askKernel<string[]>({ op: 'synproxy-map', object: object.key, map: 'stats', step: step++ }, 'stats at the end', () => liveMap('stats'))
    expect(uxdpMap('stats')).toEqual(k)
  })
})

describe('uxdp\'s own cookies: keyed by HostNet\'s secret and clock', () => {
  it('gen -> check round trips; a flipped bit refuses; the secret and the minute decide the cookie', () => {
    const h = new HostNet()
    h.addNetns('a')
    const o = BpfObject.open(object.path)
    try {
      for (const [i, port] of [80].entries()) {
        const key = Buffer.alloc(4)
        key.writeUInt32LE(i)
        const v = Buffer.alloc(2)
        v.writeUInt16LE(port)
        o.map('allowed_ports').update(key, v)
      }
      const run = (data: Buffer) => o.program('syncookie_xdp').testRun({ data, host: h, netns: 'a' })
      const f = syn(C4, { opts: { mss: 1440 } })
      h.setSyncookieSecret([1n, 2n], 1000)
      const a = run(tcpFrame(f))
      const b = run(tcpFrame(f))
      expect(a.retval).toBe(XDP.TX)
      expect(parseTcp(Buffer.from(a.dataOut)).seq, 'the same secret and minute: the same cookie').toBe(parseTcp(Buffer.from(b.dataOut)).seq)
      expect(run(ackOf(Buffer.from(a.dataOut), f)).retval).toBe(XDP.PASS)
      for (let bit = 0; bit < 32; bit += 5) {
        // a flip in the low bits can land on another valid MSS index: only those far from them
        if (bit < 2) continue
        expect(run(ackOf(Buffer.from(a.dataOut), f, 1 << bit)).retval, `bit ${bit}`).toBe(XDP.DROP)
      }
      h.setSyncookieSecret([1n, 3n], 1000)
      expect(parseTcp(Buffer.from(run(tcpFrame(f)).dataOut)).seq, 'another secret: another cookie').not.toBe(parseTcp(Buffer.from(a.dataOut)).seq)
      expect(run(ackOf(Buffer.from(a.dataOut), f)).retval, 'the old secret\'s cookie').toBe(XDP.DROP)
      h.setSyncookieSecret([1n, 2n], 1001)
      expect(run(ackOf(Buffer.from(a.dataOut), f)).retval, 'a minute later: still valid').toBe(XDP.PASS)
      h.setSyncookieSecret([1n, 2n], 1002)
      expect(run(ackOf(Buffer.from(a.dataOut), f)).retval, 'two minutes later: expired').toBe(XDP.DROP)
    } finally {
      o.close()
    }
  })
})
