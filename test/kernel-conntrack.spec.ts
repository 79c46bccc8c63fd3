/**
 * Kernel differential tests for the conntrack kfuncs over the host model's conntrack table
 * (lib/hostnet.ts `addConntrack` / `conntrack()`, crate/src/hostnet/conntrack.rs): bpf_xdp_ct_lookup,
 * bpf_skb_ct_lookup, bpf_xdp_ct_alloc, bpf_skb_ct_alloc, bpf_ct_insert_entry, bpf_ct_release,
 * bpf_ct_set_timeout, bpf_ct_change_timeout, bpf_ct_set_status, bpf_ct_change_status,
 * bpf_ct_set_nat_info and the nf_conn mark store (test/kernel/conntrack_run.bpf.c).
 *
 * The kernel side is a fresh network namespace (its conntrack table empty) where the programs run
 * under BPF_PROG_TEST_RUN (bpftool under nsenter); the uxdp side is a HostNet whose namespace 'a'
 * the runs are given. The cases run in order against both: entries one case inserts, later ones
 * find. A packet carries the command (alloc+insert or lookup, tuple, options, timeout, status,
 * mark, NAT); the program writes back what it saw (opts->error and dir, the entry's status, mark,
 * zone and tuples, each kfunc's return), and data_out must be equal. One entry is put in the
 * table from TypeScript on the uxdp side and by a program on the kernel's: lookups agree on it.
 * Recorded: test/fixtures/kernel/kernel-conntrack.json (`npm run kernel:record -- kernel-conntrack --accept`:
 * the synproxy's SYN-ACK carries the kernel's cookie, new at every recording, and the ACK after it
 * is built from it, so the recording replaces the old answer).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BpfObject, HostNet, IPS, ipv6Bytes, UxdpError } from '../lib/index'
import { askKernel, build, finishKernel, firstDifference, MODE, ownPins, useKernel } from './helpers/kernel'
import { LivePin, scratchDir } from './helpers/kernel-live'

const kernel = useKernel('kernel-conntrack')
const obj = build('conntrack_run.bpf.c', {}, ['--clang=clang-19', '-mcpu=v3'], { commit: true })
const synObj = build('synproxy.bpf.c', {}, ['--clang=clang-19', '-mcpu=v3'], { commit: true })
const NS = `uxdp-ct-${process.pid}`

interface Cmd {
  op: 1 | 2
  flags?: number
  src?: string
  sport?: number
  dst?: string
  dport?: number
  tupleSz?: number
  optsSz?: number
  netnsId?: number
  l4proto?: number
  zone?: number
  zoneDir?: number
  reserved?: number
  timeoutMs?: number
  status?: number
  mark?: number
  natAddr?: string
  natPort?: number
  natManip?: number
}
const F = { TIMEOUT: 1, STATUS: 2, MARK: 4, NAT: 8, NAT2: 32 }

const ip4 = (a: string) => Buffer.from(a.split('.').map(Number))
function encode(c: Cmd): Buffer {
  const b = Buffer.alloc(256)
  b.writeUInt32LE(c.op, 0)
  b.writeUInt32LE(c.flags ?? 0, 4)
  b.writeUInt32LE(c.tupleSz ?? 12, 8)
  b.writeUInt32LE(c.optsSz ?? 16, 12)
  // struct bpf_ct_opts at 16
  b.writeInt32LE(c.netnsId ?? -1, 16)
  b.writeUInt8(c.l4proto ?? 6, 24)
  b.writeUInt16LE(c.zone ?? 0, 26)
  b.writeUInt8(c.zoneDir ?? 0, 28)
  b.writeUInt8(c.reserved ?? 0, 29)
  // the tuple at 40: struct bpf_sock_tuple's ipv4 or ipv6 half
  if ((c.src ?? '').includes(':')) {
    if (c.tupleSz === undefined) b.writeUInt32LE(36, 8)
    ipv6Bytes(c.src!).copy(b, 40)
    ipv6Bytes(c.dst!).copy(b, 56)
    b.writeUInt16BE(c.sport ?? 1000, 72)
    b.writeUInt16BE(c.dport ?? 80, 74)
  } else {
    ip4(c.src ?? '10.0.0.1').copy(b, 40)
    ip4(c.dst ?? '10.0.0.2').copy(b, 44)
    b.writeUInt16BE(c.sport ?? 1000, 48)
    b.writeUInt16BE(c.dport ?? 80, 50)
  }
  b.writeUInt32LE(c.timeoutMs ?? 0, 80)
  b.writeUInt32LE(c.status ?? 0, 84)
  b.writeUInt32LE(c.mark ?? 0, 88)
  ip4(c.natAddr ?? '0.0.0.0').copy(b, 92)
  b.writeInt32LE(c.natPort ?? 0, 96)
  b.writeUInt32LE(c.natManip ?? 0, 100)
  return b
}

interface Case {
  title: string
  prog: 'ct_xdp' | 'ct_tc'
  cmd: Cmd
  /** uxdp's side adds this entry from TypeScript instead of running the program. */
  fromTs?: boolean
}

const FLOW = { src: '10.0.0.1', sport: 1000, dst: '10.0.0.2', dport: 80 }
const REPLY = { src: '10.0.0.2', sport: 80, dst: '10.0.0.1', dport: 1000 }
const CASES: Case[] = [
  { title: 'lookup of a flow not tracked: ENOENT, the zone direction written back', prog: 'ct_xdp', cmd: { op: 2, ...FLOW } },
  { title: 'alloc, set timeout, status SEEN_REPLY|ASSURED and mark, insert: CONFIRMED added', prog: 'ct_xdp', cmd: { op: 1, ...FLOW, flags: F.TIMEOUT | F.STATUS | F.MARK, timeoutMs: 600000, status: IPS.SEEN_REPLY | IPS.ASSURED, mark: 7 } },
  { title: 'lookup by the original tuple: dir 0', prog: 'ct_xdp', cmd: { op: 2, ...FLOW } },
  { title: 'lookup by the reply tuple: dir 1', prog: 'ct_xdp', cmd: { op: 2, ...REPLY } },
  { title: 'tc: bpf_skb_ct_lookup finds it too', prog: 'ct_tc', cmd: { op: 2, ...REPLY } },
  { title: 'insert of a tracked tuple: EEXIST, insert returns NULL', prog: 'ct_xdp', cmd: { op: 1, ...FLOW } },
  { title: 'insert of the reply tuple as a new flow: refused too', prog: 'ct_xdp', cmd: { op: 1, ...REPLY } },
  { title: 'the 12-byte options of older kernels: found, no zone direction written', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, optsSz: 12 } },
  { title: 'options of 8 bytes: EINVAL', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, optsSz: 8 } },
  { title: 'options of 20 bytes: EINVAL', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, optsSz: 20 } },
  { title: 'a reserved byte set: EINVAL', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, reserved: 1 } },
  { title: '12-byte options with a zone id (the old reserved bytes): EINVAL', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, optsSz: 12, zone: 3 } },
  { title: 'l4proto ICMP: EPROTO', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, l4proto: 1 } },
  { title: 'alloc with l4proto ICMP: EPROTO', prog: 'ct_xdp', cmd: { op: 1, ...FLOW, l4proto: 1 } },
  { title: 'tuple size 20: EAFNOSUPPORT', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, tupleSz: 20 } },
  { title: 'netns_id -2: EINVAL', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, netnsId: -2 } },
  { title: 'alloc with netns_id -2: EINVAL', prog: 'ct_xdp', cmd: { op: 1, ...FLOW, netnsId: -2 } },
  { title: 'a namespace id nobody has: ENONET', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, netnsId: 5 } },
  { title: 'UDP: the TCP entry is not found', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, l4proto: 17 } },
  { title: 'another zone: not found', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, zone: 4 } },
  { title: 'change status: clearing ASSURED is EBUSY', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, flags: F.STATUS, status: IPS.SEEN_REPLY | IPS.CONFIRMED } },
  { title: 'change status: setting CONFIRMED off is EBUSY', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, flags: F.STATUS, status: IPS.SEEN_REPLY | IPS.ASSURED } },
  { title: 'change status: NAT bits are ignored, the rest kept', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, flags: F.STATUS, status: IPS.SEEN_REPLY | IPS.ASSURED | IPS.CONFIRMED | IPS.SRC_NAT } },
  { title: 'change timeout and mark of a looked-up entry', prog: 'ct_xdp', cmd: { op: 2, ...FLOW, flags: F.TIMEOUT | F.MARK, timeoutMs: 300000, mark: 42 } },
  { title: 'the mark stored is the table\'s', prog: 'ct_tc', cmd: { op: 2, ...FLOW } },
  { title: 'destination NAT on a new flow: the reply comes from the new address and port', prog: 'ct_xdp', cmd: { op: 1, src: '10.0.0.3', sport: 1000, dst: '10.0.0.2', dport: 80, flags: F.NAT | F.TIMEOUT, timeoutMs: 600000, natAddr: '10.0.0.9', natPort: 8080, natManip: 1 } },
  { title: 'the reply tuple before NAT is not tracked', prog: 'ct_xdp', cmd: { op: 2, src: '10.0.0.2', sport: 80, dst: '10.0.0.3', dport: 1000 } },
  { title: 'the reply tuple after NAT is', prog: 'ct_tc', cmd: { op: 2, src: '10.0.0.9', sport: 8080, dst: '10.0.0.3', dport: 1000 } },
  { title: 'source NAT without a port, twice: the second is refused', prog: 'ct_xdp', cmd: { op: 1, src: '10.0.0.4', sport: 2000, dst: '10.0.0.2', dport: 53, l4proto: 17, flags: F.NAT2 | F.TIMEOUT, timeoutMs: 600000, natAddr: '192.168.1.1', natPort: 0, natManip: 0 } },
  { title: 'the source-NATed UDP flow, by its reply', prog: 'ct_xdp', cmd: { op: 2, src: '10.0.0.2', sport: 53, dst: '192.168.1.1', dport: 2000, l4proto: 17 } },
  { title: 'tc: alloc in a zone (reply direction only), insert', prog: 'ct_tc', cmd: { op: 1, src: '10.0.0.5', sport: 3000, dst: '10.0.0.2', dport: 80, zone: 9, zoneDir: 2, flags: F.TIMEOUT, timeoutMs: 600000 } },
  { title: 'the zoned flow by its original tuple in zone 0 (the zone applies to replies only)', prog: 'ct_xdp', cmd: { op: 2, src: '10.0.0.5', sport: 3000, dst: '10.0.0.2', dport: 80 } },
  { title: 'the zoned flow by its reply in zone 0: not found', prog: 'ct_xdp', cmd: { op: 2, src: '10.0.0.2', sport: 80, dst: '10.0.0.5', dport: 3000 } },
  { title: 'the zoned flow by its reply in zone 9', prog: 'ct_xdp', cmd: { op: 2, src: '10.0.0.2', sport: 80, dst: '10.0.0.5', dport: 3000, zone: 9 } },
  { title: 'IPv6: alloc with a mark, insert', prog: 'ct_xdp', cmd: { op: 1, src: '2001:db8::1', sport: 5000, dst: '2001:db8::2', dport: 443, flags: F.TIMEOUT | F.MARK, timeoutMs: 600000, mark: 6 } },
  { title: 'IPv6: found by its reply from tc', prog: 'ct_tc', cmd: { op: 2, src: '2001:db8::2', sport: 443, dst: '2001:db8::1', dport: 5000 } },
  { title: 'IPv6: an IPv4 tuple of the same ports is another flow', prog: 'ct_xdp', cmd: { op: 2, src: '0.0.0.0', sport: 5000, dst: '0.0.0.0', dport: 443 } },
  { title: 'an entry put in the table from TypeScript (by a program on the kernel)', prog: 'ct_xdp', fromTs: true, cmd: { op: 1, src: '10.0.0.6', sport: 4000, dst: '10.0.0.2', dport: 443, flags: F.TIMEOUT | F.STATUS | F.MARK, timeoutMs: 600000, status: IPS.SEEN_REPLY, mark: 99 } },
  { title: 'the TypeScript entry, looked up by its reply', prog: 'ct_tc', cmd: { op: 2, src: '10.0.0.2', sport: 443, dst: '10.0.0.6', dport: 4000 } },
]

type Run = { ok: true; retval: number; out: Buffer } | { ok: false; message: string }

let pin: LivePin | undefined
let synPin: LivePin | undefined
let liveError = ''

function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.error}`)
}

function liveRun(prog: string, data: Buffer, p: LivePin | undefined = pin): Run {
  if (!p) throw new Error(`the live namespace is not set up: ${liveError}`)
  const dir = scratchDir()
  const fin = join(dir, `ct-in-${process.pid}.bin`)
  const fout = join(dir, `ct-out-${process.pid}.bin`)
  writeFileSync(fin, data)
  try {
    const r = spawnSync('nsenter', [`--net=/run/netns/${NS}`, 'bpftool', 'prog', 'run', 'pinned', join(p.pin, 'progs', prog), 'data_in', fin, 'data_out', fout, 'repeat', '1'], { encoding: 'utf8' })
    if (r.status !== 0) return { ok: false, message: (r.stderr || String(r.error)).trim().split('\n').at(-1) ?? '' }
    const m = /Return value: (\d+)/.exec(r.stdout)
    if (!m) throw new Error(`unexpected bpftool output: ${r.stdout}`)
    return { ok: true, retval: Number(m[1]), out: readFileSync(fout) }
  } finally {
    rmSync(fin, { force: true })
    rmSync(fout, { force: true })
  }
}

let host: HostNet
let bpf: BpfObject
let syn: BpfObject

function uxdpRun(prog: string, data: Buffer, o: BpfObject = bpf): Run {
  try {
    const r = o.program(prog).testRun({ data, host, netns: 'a' })
    return { ok: true, retval: r.retval >>> 0, out: Buffer.from(r.dataOut) }
  } catch (e) {
    if (e instanceof UxdpError) return { ok: false, message: `${e.code}: ${e.message}` }
    throw e
  }
}

/** What the program wrote: the struct out at 128 (named for the failure messages). */
function seen(out: Buffer) {
  const o = out.subarray(128)
  return {
    error: o.readInt32LE(0),
    got: o.readUInt32LE(4),
    dir: o[8],
    zoneDirOpt: o[9],
    retTimeout: o.readInt32LE(12),
    retStatus: o.readInt32LE(16),
    retNat: o.readInt32LE(20),
    retNat2: o.readInt32LE(24),
    inserted: o.readUInt32LE(28),
    status: o.readUInt32LE(32),
    mark: o.readUInt32LE(36),
    zone: o.readUInt16LE(40),
    zoneDir: o[42],
    reply: `${[...o.subarray(44, 48)].join('.')}:${o.readUInt16BE(52)} -> ${[...o.subarray(48, 52)].join('.')}:${o.readUInt16BE(54)}`,
  }
}

describe(`conntrack kfuncs over the host model vs Linux (recorded on ${kernel.recordedOn}${kernel.live ? `; live: ${kernel.live}` : ""})`, () => {
  beforeAll(() => {
    host = new HostNet()
    host.addNetns('a')
    bpf = BpfObject.open(obj.path)
    syn = BpfObject.open(synObj.path)
    if (MODE === 'record' || kernel.live) {
      if (existsSync(`/run/netns/${NS}`)) spawnSync('ip', ['netns', 'del', NS])
      try {
        sh(['ip', 'netns', 'add', NS])
        sh(['ip', '-n', NS, 'link', 'set', 'lo', 'up'])
        const p = LivePin.loadAll(obj.path, 'conntrack_run')
        if (!(p instanceof LivePin)) throw new Error(`the kernel refused conntrack_run.bpf.c: ${p.line}`)
        pin = p
        const q = LivePin.loadAll(synObj.path, 'synproxy')
        if (!(q instanceof LivePin)) throw new Error(`the kernel refused synproxy.bpf.c: ${q.line}`)
        synPin = q
      } catch (e) {
        liveError = (e as Error).message
      }
    }
  })

  afterAll(() => {
    pin?.unload()
    pin = undefined
    synPin?.unload()
    synPin = undefined
    syn?.close()
    if (existsSync(`/run/netns/${NS}`)) spawnSync('ip', ['netns', 'del', NS])
    bpf?.close()
    finishKernel()
    expect(ownPins()).toEqual([])
  })

  it.each(CASES.map((c, i) => [`${i}: ${c.title}`, c, i] as const))('%s', (_t, c, step) => {
    const data = encode(c.cmd)
    const k = askKernel<Run>({ op: 'conntrack-run', object: obj.key, prog: c.prog, data: data.toString('hex'), step }, `test_run of ${c.prog} in ${obj.what}, step ${step}: ${c.title}`, () => liveRun(c.prog, data))
    expect(k.ok, `the kernel's run failed: ${!k.ok ? k.message : ''}`).toBe(true)
    if (c.fromTs) {
      const m = c.cmd
      host.addConntrack({ netns: 'a', protocol: m.l4proto === 17 ? 'udp' : 'tcp', src: m.src!, sport: m.sport!, dst: m.dst!, dport: m.dport!, status: m.status, timeout: m.timeoutMs, mark: m.mark })
      // the kernel's program saw its entry inserted with these fields
      if (k.ok) expect(seen(k.out)).toMatchObject({ error: 0, got: 1, inserted: 1, status: (m.status ?? 0) | IPS.CONFIRMED, mark: m.mark })
      return
    }
    const u = uxdpRun(c.prog, data)
    expect(u.ok, `uxdp's run failed: ${!u.ok ? u.message : ''}`).toBe(true)
    if (k.ok && u.ok) {
      expect(seen(u.out), c.title).toEqual(seen(k.out))
      expect(firstDifference(k.out, u.out), `data_out of ${c.prog}: ${c.title}`).toBe('')
      expect(u.retval, `retval: ${c.title}`).toBe(k.retval)
    }
  })

  it('the table from TypeScript: every entry the programs inserted, with their changes', () => {
    const t = host.conntrack()
    expect(t.map((e) => `${e.protocol} ${e.src}:${e.sport} -> ${e.dst}:${e.dport} | ${e.reply.src}:${e.reply.sport} -> ${e.reply.dst}:${e.reply.dport}`)).toEqual([
      'tcp 10.0.0.1:1000 -> 10.0.0.2:80 | 10.0.0.2:80 -> 10.0.0.1:1000',
      'tcp 10.0.0.3:1000 -> 10.0.0.2:80 | 10.0.0.9:8080 -> 10.0.0.3:1000',
      'udp 10.0.0.4:2000 -> 10.0.0.2:53 | 10.0.0.2:53 -> 192.168.1.1:2000',
      'tcp 10.0.0.5:3000 -> 10.0.0.2:80 | 10.0.0.2:80 -> 10.0.0.5:3000',
      'tcp 2001:db8::1:5000 -> 2001:db8::2:443 | 2001:db8::2:443 -> 2001:db8::1:5000',
      'tcp 10.0.0.6:4000 -> 10.0.0.2:443 | 10.0.0.2:443 -> 10.0.0.6:4000',
    ])
    expect(t[0]).toMatchObject({ mark: 42, status: IPS.SEEN_REPLY | IPS.ASSURED | IPS.CONFIRMED, netns: 1 })
    expect(t[3]).toMatchObject({ zone: 9, zoneDir: 2 })
    expect(() => host.addConntrack({ netns: 'a', protocol: 'tcp', ...REPLY })).toThrow(expect.objectContaining({ code: 'EEXIST' }))
    expect(() => host.addConntrack({ protocol: 'icmp' as 'tcp', ...FLOW })).toThrow(expect.objectContaining({ code: 'EPROTO' }))
    expect(t[4]).toMatchObject({ mark: 6 })
    host.removeConntrack(t[5].id)
    expect(host.conntrack()).toHaveLength(5)
  })

  describe('a synproxy-shaped program: conntrack lookup, then raw syncookies', () => {
    const TH_SYN = 0x02
    const TH_ACK = 0x10
    /** Ethernet, IPv4, TCP (no options) and 4 bytes where the program writes its verdict. */
    function tcp(src: string, sport: number, dst: string, dport: number, flags: number, seq: number, ack: number): Buffer {
      const b = Buffer.alloc(64)
      Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]).copy(b, 0)
      b.writeUInt16BE(0x0800, 12)
      b[14] = 0x45
      b.writeUInt16BE(44, 16)
      b[22] = 64
      b[23] = 6
      ip4(src).copy(b, 26)
      ip4(dst).copy(b, 30)
      b.writeUInt16BE(sport, 34)
      b.writeUInt16BE(dport, 36)
      b.writeUInt32BE(seq >>> 0, 38)
      b.writeUInt32BE(ack >>> 0, 42)
      b[46] = 0x50
      b[47] = flags
      b.writeUInt16BE(64240, 48)
      return b
    }
    /** Both sides' runs; the cookie (the SYN-ACK's seq, the ACK's ack) is each side's own secret: masked. */
    function both(prog: string, k: Buffer, u: Buffer, what: string, step: string): { kernel: Buffer; uxdp: Buffer; retval: number } {
      const kr = askKernel<Run>({ op: 'conntrack-synproxy', object: synObj.key, prog, data: k.toString('hex'), step }, `test_run of ${prog} in ${synObj.what}: ${what}`, () => liveRun(prog, k, synPin))
      const ur = uxdpRun(prog, u, syn)
      expect(kr.ok, `the kernel's run failed: ${!kr.ok ? kr.message : ''}`).toBe(true)
      expect(ur.ok, `uxdp's run failed: ${!ur.ok ? ur.message : ''}`).toBe(true)
      if (!kr.ok || !ur.ok) throw new Error('unreachable')
      expect(ur.retval, `retval: ${what}`).toBe(kr.retval)
      const mask = (b: Buffer) => {
        const c = Buffer.from(b)
        c.fill(0, 38, 46)
        return c
      }
      expect(firstDifference(mask(kr.out), mask(ur.out)), what).toBe('')
      return { kernel: kr.out, uxdp: ur.out, retval: kr.retval }
    }

    it('a tracked flow passes (XDP and tc)', () => {
      const p = tcp('10.0.0.1', 1000, '10.0.0.2', 80, TH_SYN, 1, 0)
      expect(both('synproxy', p, p, 'tracked SYN', 'tracked').retval).toBe(2)
      expect(both('synproxy_tc', p, p, 'tracked SYN, tc', 'tracked-tc').retval).toBe(0)
    })

    it('an unknown SYN is answered with a SYN-ACK cookie (XDP_TX), whose ACK passes; a wrong cookie is dropped', () => {
      const s = tcp('10.0.0.7', 5000, '10.0.0.2', 80, TH_SYN, 0x1000, 0)
      const r = both('synproxy', s, s, 'unknown SYN', 'syn')
      expect(r.retval).toBe(3)
      // verdict 2 with the MSS the cookie carries (536: no MSS option) above it
      expect(r.uxdp.readUInt32LE(54)).toBe(2 | (536 << 16))
      for (const out of [r.kernel, r.uxdp]) expect(out.readUInt32BE(42), 'the SYN-ACK acknowledges the SYN').toBe(0x1001)
      const ack = (synack: Buffer) => tcp('10.0.0.7', 5000, '10.0.0.2', 80, TH_ACK, 0x1001, synack.readUInt32BE(38) + 1)
      const good = both('synproxy', ack(r.kernel), ack(r.uxdp), 'the ACK of the cookie', 'ack')
      expect(good.retval).toBe(2)
      expect(good.uxdp.readUInt32LE(54)).toBe(3)
      const badAck = tcp('10.0.0.7', 5000, '10.0.0.2', 80, TH_ACK, 0x1001, 0x12345678)
      expect(both('synproxy', badAck, badAck, 'an ACK with a wrong cookie', 'bad-ack').retval).toBe(1)
      expect(both('synproxy_tc', badAck, badAck, 'an ACK with a wrong cookie, tc', 'bad-ack-tc').retval).toBe(2)
    })
  })
})
