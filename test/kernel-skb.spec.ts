/**
 * Kernel differential tests for tc (SCHED_CLS) and socket-filter programs under BPF_PROG_TEST_RUN:
 * the same clang-built object (test/kernel/skb_progs.bpf.c, no vmlinux.h, no CO-RE) and the same
 * frame and `struct __sk_buff` ctx_in go through the running kernel (`bpftool prog run` with
 * data_in / ctx_in / ctx_out) and through uxdp's `Program.testRun`. Both must give the same
 * return value (or errno), data_out, ctx_out and afterwards the same map `out`, where each
 * program writes what it observed (ctx fields, helper answers).
 *
 * Covered: the skb test_run builds (14 .. 3712 bytes, 6.18's linear skb; 13 and 3713 bytes,
 * short IPv4/IPv6 headers: EINVAL; ctx_in fields the kernel refuses: EINVAL / ENODEV / E2BIG),
 * every `__sk_buff` field a tc program reads and writes (narrow loads and stores included),
 * destination NAT with bpf_l3/l4_csum_replace and bpf_skb_store_bytes, the load/store helpers'
 * bounds, bpf_skb_change_tail/change_head/pull_data/change_type/vlan_push/vlan_pop/ecn_set_ce,
 * bpf_redirect's verdicts, the hash helpers, skb dynptrs, LD_ABS/LD_IND in tc and socket filters
 * (out of bounds: the program returns 0), and a socket filter's retval and data_out (14 zero
 * bytes where the Ethernet header was).
 *
 * The kernel's answers are recorded in test/fixtures/kernel/kernel-skb.json (`npm run
 * kernel:record -- kernel-skb`) with the object they came from, so the spec runs without a kernel;
 * a live kernel that answers differently is reported as a kernel-build difference.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BpfObject, encodeSkBuff, UxdpError, type SkBuff } from '../lib/index'
import { askKernel, build, finishKernel, liveKernelAsked, useKernel, type BpfBuild } from './helpers/kernel'

const use = useKernel('kernel-skb')
const object = build('skb_progs.bpf.c', {}, [], { commit: true })
/** Where the recording machine's vmlinux.h goes (relative, so the build's key is the same everywhere). */
const VMLINUX_DIR = 'target/skb-vmlinux'
const vmlinuxObject = build('skb_vmlinux.bpf.c', {}, [`-I${VMLINUX_DIR}`], { commit: true })

interface SkbAnswer {
  ok: boolean
  code?: string
  retval?: number
  out?: Buffer
  ctxOut?: Buffer
  map?: Buffer
}

// =============================================================================================
// The live kernel: bpftool prog loadall once, then prog run / map lookup per question.

const ERRNO_TEXT: Record<string, string> = {
  'Invalid argument': 'EINVAL',
  'No such device': 'ENODEV',
  'Argument list too long': 'E2BIG',
  'Unknown error 524': 'ENOTSUPP',
  'Bad address': 'EFAULT',
  'No space left on device': 'ENOSPC',
  'Cannot allocate memory': 'ENOMEM',
}

const liveDirs = new Map<string, string>()

/** The object's programs loaded in the kernel (pinned), once per spec. */
function liveLoad(b: BpfBuild): string {
  const had = liveDirs.get(b.key)
  if (had) return had
  if (b === vmlinuxObject && !existsSync(join(VMLINUX_DIR, 'vmlinux.h'))) {
    mkdirSync(VMLINUX_DIR, { recursive: true })
    const dump = spawnSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { encoding: 'utf8', maxBuffer: 1 << 28 })
    if (dump.status !== 0) throw new Error(`bpftool btf dump failed: ${dump.stderr}`)
    writeFileSync(join(VMLINUX_DIR, 'vmlinux.h'), dump.stdout)
  }
  const dir = mkdtempSync(join('/sys/fs/bpf', 'uxdp-skb-'))
  const r = spawnSync('bpftool', ['prog', 'loadall', b.path, join(dir, 'progs'), 'pinmaps', join(dir, 'maps')], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`bpftool prog loadall ${b.what} failed: ${r.stderr.split('\n').slice(-4).join(' ')}`)
  liveDirs.set(b.key, dir)
  return dir
}

function liveRun(b: BpfBuild, prog: string, data: Buffer, ctx: Buffer | undefined): SkbAnswer {
  const dir = liveLoad(b)
  const tmp = mkdtempSync(join(tmpdir(), 'uxdp-skb-run-'))
  try {
    const fin = join(tmp, 'in.bin')
    const fout = join(tmp, 'out.bin')
    const fctx = join(tmp, 'ctx.bin')
    const fctxOut = join(tmp, 'ctxout.bin')
    writeFileSync(fin, data)
    writeFileSync(fout, Buffer.alloc(0))
    const args = ['prog', 'run', 'pinned', join(dir, 'progs', prog), 'data_in', fin, 'data_out', fout, 'data_size_out', '65536']
    if (ctx) {
      writeFileSync(fctx, ctx)
      writeFileSync(fctxOut, Buffer.alloc(0))
      args.push('ctx_in', fctx, 'ctx_out', fctxOut, 'ctx_size_out', String(ctx.length))
    }
    const r = spawnSync('bpftool', args, { encoding: 'utf8' })
    const m = /Return value: (\d+)/.exec(r.stdout)
    if (!m) {
      const e = /failed to run program: (.*)/.exec(r.stderr)
      if (!e) throw new Error(`unexpected bpftool output: ${r.stdout} ${r.stderr}`)
      return { ok: false, code: ERRNO_TEXT[e[1].trim()] ?? e[1].trim() }
    }
    let map: Buffer | undefined
    if (b === object) {
      const look = spawnSync('bpftool', ['map', 'lookup', 'pinned', join(dir, 'maps', 'out'), 'key', '0', '0', '0', '0', '-j'], { encoding: 'utf8' })
      map = Buffer.from((JSON.parse(look.stdout) as { value: string[] }).value.map((x) => Number.parseInt(x, 16)))
    }
    return { ok: true, retval: Number(m[1]), out: readFileSync(fout), ctxOut: ctx ? readFileSync(fctxOut) : undefined, map }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

function kernelRun(prog: string, data: Buffer, ctx?: Partial<SkBuff> | Buffer, b: BpfBuild = object): SkbAnswer {
  const ctxIn = ctx === undefined ? undefined : Buffer.isBuffer(ctx) ? ctx : encodeSkBuff(ctx)
  const request = { op: 'skbrun', object: b.key, prog, data: data.toString('base64'), ctx: ctxIn?.toString('hex') ?? null }
  const what = `test_run of ${prog} in ${b.what} on ${data.length} B${ctxIn ? ` ctx ${describeCtx(ctx)}` : ''}`
  return askKernel<SkbAnswer>(request, what, liveKernelAsked() ? () => liveRun(b, prog, data, ctxIn) : undefined)
}

function describeCtx(ctx: unknown): string {
  if (Buffer.isBuffer(ctx)) return `${ctx.length} B`
  return JSON.stringify(ctx, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
}

// =============================================================================================
// The uxdp side

const uxdpObject = BpfObject.open(object.path)
let uxdpVmlinux: BpfObject | undefined

function uxdpRun(prog: string, data: Buffer, ctx?: Partial<SkBuff> | Buffer, b: BpfBuild = object): SkbAnswer {
  try {
    const o = b === object ? uxdpObject : (uxdpVmlinux ??= BpfObject.open(b.path))
    const p = o.program(prog)
    const c = Buffer.isBuffer(ctx) ? undefined : ctx
    if (Buffer.isBuffer(ctx)) throw new Error('raw ctx goes through the binding only')
    const r = p.testRunSkb({ data, ctx: c })
    return {
      ok: true,
      retval: r.retval,
      out: r.dataOut,
      ctxOut: r.ctxOut ? encodeSkBuff(r.ctxOut) : undefined,
      map: b === object ? uxdpObject.map('out').lookup(Buffer.alloc(4)) : undefined,
    }
  } catch (e) {
    if (e instanceof UxdpError) return { ok: false, code: e.code }
    throw e
  }
}

/** Runs both and compares everything. */
function same(prog: string, data: Buffer, ctx?: Partial<SkBuff>, b: BpfBuild = object): { k: SkbAnswer; u: SkbAnswer } {
  const k = kernelRun(prog, data, ctx, b)
  const u = uxdpRun(prog, data, ctx, b)
  expect(u.ok ? 'ran' : u.code, 'outcome').toBe(k.ok ? 'ran' : k.code)
  if (k.ok) {
    expect(u.retval, 'retval').toBe(k.retval)
    expect(u.out?.toString('hex'), 'data_out').toBe(k.out?.toString('hex'))
    expect(u.ctxOut?.toString('hex'), 'ctx_out').toBe(k.ctxOut?.toString('hex'))
    expect(slots(u.map), 'map out').toEqual(slots(k.map))
  }
  return { k, u }
}

const slots = (b: Buffer | undefined): string[] => (b ? Array.from({ length: 32 }, (_, i) => b.readBigUInt64LE(i * 8).toString(16)) : [])
const slot = (a: SkbAnswer, i: number): bigint => a.map!.readBigUInt64LE(i * 8)

// =============================================================================================
// Frames

const MAC_DST = [0x02, 0, 0, 0, 0, 1]
const MAC_SRC = [0x02, 0, 0, 0, 0, 2]

function csum16(b: Buffer, init = 0): number {
  let s = init
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i)
  if (b.length & 1) s += b[b.length - 1] << 8
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16)
  return ~s & 0xffff
}

/** Ethernet + IPv4 + TCP (6) or UDP (17) with correct checksums and `payload` bytes. */
function ipv4Frame(proto: 6 | 17, payload: number, opts: { udpCsum0?: boolean; tos?: number } = {}): Buffer {
  const l4len = (proto === 6 ? 20 : 8) + payload
  const ip = Buffer.alloc(20)
  ip.writeUInt8(0x45, 0)
  ip.writeUInt8(opts.tos ?? 0, 1)
  ip.writeUInt16BE(20 + l4len, 2)
  ip.writeUInt16BE(0x1c46, 4)
  ip.writeUInt8(64, 8)
  ip.writeUInt8(proto, 9)
  Buffer.from([10, 1, 2, 3]).copy(ip, 12)
  Buffer.from([10, 9, 8, 7]).copy(ip, 16)
  ip.writeUInt16BE(csum16(ip), 10)
  const l4 = Buffer.alloc(l4len)
  l4.writeUInt16BE(40000, 0)
  l4.writeUInt16BE(80, 2)
  for (let i = proto === 6 ? 20 : 8; i < l4len; i++) l4[i] = (i * 7 + 3) & 0xff
  if (proto === 6) {
    l4.writeUInt32BE(1, 4)
    l4.writeUInt8(0x50, 12)
    l4.writeUInt8(0x02, 13)
    l4.writeUInt16BE(64240, 14)
  } else l4.writeUInt16BE(l4len, 4)
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, proto, l4len >> 8, l4len & 0xff])])
  const sum = opts.udpCsum0 ? 0 : csum16(Buffer.concat([pseudo, l4]))
  l4.writeUInt16BE(proto === 17 && sum === 0 && !opts.udpCsum0 ? 0xffff : sum, proto === 6 ? 16 : 6)
  return Buffer.concat([Buffer.from([...MAC_DST, ...MAC_SRC, 0x08, 0x00]), ip, l4])
}

function ipv6Frame(payload: number, tc = 0): Buffer {
  const ip = Buffer.alloc(40)
  ip.writeUInt32BE((6 << 28) | (tc << 20), 0)
  ip.writeUInt16BE(payload, 4)
  ip.writeUInt8(59, 6)
  ip.writeUInt8(64, 7)
  for (let i = 8; i < 40; i++) ip[i] = i
  return Buffer.concat([Buffer.from([...MAC_DST, ...MAC_SRC, 0x86, 0xdd]), ip, Buffer.alloc(payload, 0x5c)])
}

function etherFrame(type: number, size: number, dst = MAC_DST): Buffer {
  const b = Buffer.alloc(size)
  Buffer.from([...dst, ...MAC_SRC]).copy(b)
  b.writeUInt16BE(type, 12)
  for (let i = 14; i < size; i++) b[i] = (i * 13 + 1) & 0xff
  return b
}

/** An 802.1Q-tagged (and, with `outer`, 802.1ad-in-front) IPv4 frame. */
function vlanFrame(outer = false): Buffer {
  const inner = ipv4Frame(17, 10)
  const tag = (tpid: number, tci: number) => Buffer.from([tpid >> 8, tpid & 0xff, tci >> 8, tci & 0xff])
  const tags = outer ? Buffer.concat([tag(0x88a8, 0x0064), tag(0x8100, 0x2005)]) : tag(0x8100, 0x3009)
  return Buffer.concat([inner.subarray(0, 12), tags, inner.subarray(12)])
}

const tcp = ipv4Frame(6, 20)

// =============================================================================================

describe(`tc and socket filters under test_run: uxdp vs Linux (recorded on ${use.recordedOn}${use.live ? `, live ${use.live}` : ''})`, () => {
  afterAll(() => {
    uxdpObject.close()
    uxdpVmlinux?.close()
    for (const dir of liveDirs.values()) spawnSync('rm', ['-rf', dir])
    liveDirs.clear()
    finishKernel()
  })

  describe('the skb test_run builds', () => {
    const sizes: [string, Buffer][] = [
      ['14-byte ARP-typed frame', etherFrame(0x0806, 14)],
      ['15-byte 802.3 length frame', etherFrame(0x0010, 15)],
      ['34-byte IPv4 header only', ipv4Frame(17, 0).subarray(0, 34)],
      ['54-byte IPv6 header only', ipv6Frame(0).subarray(0, 54)],
      ['TCP frame', tcp],
      ['1514-byte UDP frame', ipv4Frame(17, 1472)],
      ['3712 bytes (the largest)', ipv4Frame(17, 3670)],
      ['broadcast frame', etherFrame(0x88b5, 60, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
      ['multicast frame', etherFrame(0x88b5, 60, [0x01, 0, 0x5e, 0, 0, 1])],
      ['frame to the loopback address', etherFrame(0x88b5, 60, [0, 0, 0, 0, 0, 0])],
    ]
    for (const [name, frame] of sizes) {
      it(`tc_fields on a ${name}`, () => {
        const { k } = same('tc_fields', frame, {})
        if (k.ok) expect(Number(slot(k, 0)), 'skb->len is the frame').toBe(frame.length)
      })
      it(`sf_fields on a ${name}`, () => {
        const { k } = same('sf_fields', frame, { cb: [1000, 9] })
        if (k.ok) expect(k.out!.subarray(0, 14).equals(Buffer.alloc(14)), 'the Ethernet header comes back zeroed').toBe(true)
      })
    }
    const refused: [string, Buffer][] = [
      ['13 bytes', etherFrame(0x0806, 14).subarray(0, 13)],
      ['3713 bytes', ipv4Frame(17, 3671)],
      ['an IPv4 frame of 33 bytes', ipv4Frame(17, 0).subarray(0, 33)],
      ['an IPv6 frame of 53 bytes', ipv6Frame(0).subarray(0, 53)],
    ]
    for (const [name, frame] of refused) {
      it(`refuses ${name} (EINVAL)`, () => {
        const { k } = same('tc_fields', frame)
        expect(k.code).toBe('EINVAL')
      })
    }
    it('runs without ctx_in', () => {
      same('tc_fields', tcp)
      same('sf_fields', tcp)
    })
  })

  describe('__sk_buff as ctx_in and ctx_out', () => {
    const good: [string, Partial<SkBuff>][] = [
      ['every field the kernel takes', { mark: 0xdead, priority: 6, ingressIfindex: 7, ifindex: 1, cb: [1, 2, 3, 4, 5], tstamp: 99n, wireLen: 1000, gsoSegs: 3, gsoSize: 1448, hwtstamp: 77n }],
      ['wire_len = skb->len', { wireLen: tcp.length }],
      ['wire_len at GSO_LEGACY_MAX_SIZE', { wireLen: 65536 }],
      ['gso_segs at GSO_MAX_SEGS, gso_size above 16 bits', { gsoSegs: 65535, gsoSize: 0x12345 }],
    ]
    for (const [name, ctx] of good) it(`tc: ${name}`, () => same('tc_fields', tcp, ctx))
    it('socket filter: wire_len = skb->len after the Ethernet header', () => same('sf_fields', tcp, { wireLen: tcp.length - 14, cb: [tcp.length] }))
    const bad: [string, Partial<SkBuff> | Buffer][] = [
      ['len', { len: 1 }],
      ['protocol', { protocol: 8 }],
      ['tc_index', { tcIndex: 1 }],
      ['data_end', { dataEnd: 20 }],
      ['tstamp_type', { tstampType: 1 }],
      ['wire_len below skb->len', { wireLen: tcp.length - 1 }],
      ['wire_len above GSO_LEGACY_MAX_SIZE', { wireLen: 65537 }],
      ['gso_segs above GSO_MAX_SEGS', { gsoSegs: 65536 }],
      ['an unknown ifindex', { ifindex: 99 }],
    ]
    for (const [name, ctx] of bad) it(`refuses ${name}`, () => same('tc_fields', tcp, ctx as Partial<SkBuff>))
    it('refuses a ctx_in longer than __sk_buff with a non-zero tail (E2BIG); a zero tail is fine', () => {
      const long = Buffer.alloc(200)
      long[196] = 1
      // (uxdp's TypeScript ctx is the 192-byte struct: the longer form is the engine's unit test)
      expect(kernelRun('tc_fields', tcp, long).code).toBe('E2BIG')
      const zeroTail = Buffer.alloc(200)
      zeroTail.writeUInt32LE(5, 8)
      const k = kernelRun('tc_fields', tcp, zeroTail)
      const u = uxdpRun('tc_fields', tcp, { mark: 5 })
      expect(u.retval).toBe(k.retval)
      expect(slots(u.map)).toEqual(slots(k.map))
    })
  })

  describe('checksums and stores: destination NAT', () => {
    const cases: [string, Buffer][] = [
      ['TCP', tcp],
      ['UDP', ipv4Frame(17, 32)],
      ['UDP without a checksum (BPF_F_MARK_MANGLED_0)', ipv4Frame(17, 32, { udpCsum0: true })],
    ]
    for (const [name, frame] of cases) {
      it(name, () => {
        const { k } = same('tc_nat', frame, { cb: [0x0a00a8c0, 0x901f] })
        // the kernel's own answer: the rewritten frame's checksums are right
        if (k.ok && !name.includes('without')) {
          const ip = k.out!.subarray(14, 34)
          expect(csum16(ip), 'IPv4 header checksum').toBe(0)
        }
      })
    }
  })

  describe('bpf_skb_load_bytes, store_bytes, load_bytes_relative', () => {
    for (const [off, len] of [
      [0, 14],
      [12, 4],
      [50, 4],
      [tcp.length - 4, 4],
      [tcp.length - 3, 4],
      [tcp.length, 1],
      [0x10000, 1],
      [0x7fffffff, 2],
    ])
      it(`offset ${off}, ${len} bytes`, () => same('tc_bytes', tcp, { cb: [off, len] }))
    for (const off of [0, 10, 16, 20, 40, 0x10000]) it(`socket filter at ${off}`, () => same('sf_bytes', tcp, { cb: [off] }))
  })

  describe('bpf_check_mtu on the skb (loopback: MTU 65536, hard header 14)', () => {
    for (const [what, cb] of [
      ['the skb itself', [0, 0, 0, 0]],
      ['grown to the MTU plus the hard header', [0, 0, 65550 - tcp.length, 0]],
      ['grown one byte past it', [0, 0, 65551 - tcp.length, 0]],
      ['shrunk', [0, 0, -20, 0]],
      ['an L3 length given', [0, 1500, 0, 0]],
      ['an L3 length past the MTU', [0, 65537, 0, 0]],
      ['ifindex 1 named', [1, 0, 0, 0]],
      ['an unknown ifindex', [99, 0, 0, 0]],
      ['BPF_MTU_CHK_SEGS', [0, 0, 0, 1]],
      ['BPF_MTU_CHK_SEGS with a length diff', [0, 0, 8, 1]],
      ['BPF_MTU_CHK_SEGS with an L3 length', [0, 100, 0, 1]],
      ['an unknown flag', [0, 0, 0, 2]],
    ] as [string, number[]][])
      it(what, () => same('tc_mtu', tcp, { cb: cb.map((x) => x >>> 0) }))
  })

  describe('packet shape', () => {
    const grow: [string, number[], Buffer?][] = [
      ['change_tail grows', [0, tcp.length + 100, 0]],
      ['change_tail grows past the tailroom', [0, tcp.length + 3000, 0]],
      ['change_tail to BPF_SKB_MAX_LEN', [0, 16064, 0]],
      ['change_tail past BPF_SKB_MAX_LEN', [0, 16065, 0]],
      ['change_tail trims', [0, 20, 0]],
      ['change_tail to the network header', [0, 14, 0]],
      ['change_tail below the network header', [0, 13, 0]],
      ['change_tail with flags', [0, 60, 1]],
      ['change_head by 8', [1, 8, 0]],
      ['change_head past the headroom', [1, 200, 0]],
      ['change_head with flags', [1, 8, 1]],
      ['pull_data 0', [2, 0, 0]],
      ['pull_data of all', [2, tcp.length, 0]],
      ['pull_data past the end', [2, tcp.length + 1, 0]],
      ['change_type to multicast', [3, 2, 0]],
      ['change_type to an invalid type', [3, 4, 0]],
      ['vlan_push 802.1Q', [4, 0x8100, 0x2064]],
      ['vlan_push of an unknown TPID', [4, 0x1234, 7]],
      ['vlan_push twice', [6, 0, 0]],
      ['vlan_pop of an untagged frame', [5, 0, 0]],
      ['vlan_pop of a tagged frame', [5, 0, 0], vlanFrame()],
      ['vlan_pop twice of a double-tagged frame', [7, 0, 0], vlanFrame(true)],
      ['ecn_set_ce of a not-ECT IPv4 frame', [8, 0, 0]],
      ['ecn_set_ce of an ECT(0) IPv4 frame', [8, 0, 0], ipv4Frame(17, 8, { tos: 2 })],
      ['ecn_set_ce of an ECT(1) IPv4 frame', [8, 0, 0], ipv4Frame(17, 8, { tos: 0xb9 })],
      ['ecn_set_ce of a CE IPv4 frame', [8, 0, 0], ipv4Frame(17, 8, { tos: 3 })],
      ['ecn_set_ce of an ECT(0) IPv6 frame', [8, 0, 0], ipv6Frame(8, 2)],
      ['ecn_set_ce of a non-IP frame', [8, 0, 0], etherFrame(0x88b5, 60)],
      ['adjust_room +8 after the IPv4 header', [9, 8, 0, 0]],
      ['adjust_room -8 after the IPv4 header', [9, -8 >>> 0, 0, 0]],
      ['adjust_room +8 after the MAC header', [9, 8, 1, 0]],
      ['adjust_room -4 after the MAC header', [9, -4 >>> 0, 1, 0]],
      ['adjust_room +100 past the headroom', [9, 100, 1, 0]],
      ['adjust_room removing the whole payload', [9, -(tcp.length - 34) >>> 0, 0, 0]],
      ['adjust_room removing into the IPv4 header', [9, -(tcp.length - 34 + 1) >>> 0, 1, 0]],
      ['adjust_room by 0x1000 (EFAULT)', [9, 0x1000, 0, 0]],
      ['adjust_room with an unknown mode', [9, 8, 2, 0]],
      ['adjust_room with NO_CSUM_RESET', [9, 8, 0, 32]],
      ['adjust_room with an unknown flag', [9, 8, 0, 1 << 9]],
      ['adjust_room on a non-IP frame', [9, 8, 0, 0], etherFrame(0x88b5, 60)],
      ['adjust_room on an IPv6 frame', [9, 16, 0, 0], ipv6Frame(24)],
      ['change_proto IPv4 to IPv6', [10, 0x86dd, 0]],
      ['change_proto IPv6 to IPv4', [10, 0x0800, 0], ipv6Frame(24)],
      ['change_proto IPv4 to IPv4', [10, 0x0800, 0]],
      ['change_proto of a non-IP frame', [10, 0x86dd, 0], etherFrame(0x88b5, 60)],
      ['change_proto with flags', [10, 0x86dd, 1]],
    ]
    for (const [name, cb, frame] of grow) it(name, () => same('tc_shape', frame ?? tcp, { cb }))
    it('change_tail grows the largest frame', () => same('tc_shape', ipv4Frame(17, 3670), { cb: [0, 4000, 0] }))
    it('change_tail and change_head on a 14-byte frame', () => {
      same('tc_shape', etherFrame(0x0806, 14), { cb: [0, 64, 0] })
      same('tc_shape', etherFrame(0x0806, 14), { cb: [1, 64, 0] })
    })
  })

  describe('redirects, hashes and zero answers', () => {
    for (const [ifindex, flags] of [
      [1, 0],
      [1, 1],
      [42, 0],
      [1, 2],
    ])
      it(`bpf_redirect(${ifindex}, ${flags}) and bpf_clone_redirect(${ifindex}, ${flags})`, () => {
        const { k } = same('tc_redirect', tcp, { cb: [ifindex, flags, ifindex, flags] })
        if (k.ok) {
          expect(k.retval).toBe(flags & ~1 ? 2 : 7)
          expect(Number(slot(k, 9)), 'a socket cookie, the same each call').toBe(1)
        }
      })
  })

  describe('skb dynptrs', () => {
    for (const off of [0, 12, 50, tcp.length - 4, tcp.length - 2, tcp.length - 1, tcp.length + 10]) it(`at ${off}`, () => same('tc_dynptr', tcp, { cb: [off] }))
    it('on the largest frame', () => same('tc_dynptr', ipv4Frame(17, 3670), { cb: [3000] }))
  })

  describe('LD_ABS and LD_IND', () => {
    for (const off of [0, 13, 20, tcp.length - 5, tcp.length - 4, tcp.length - 1, tcp.length]) it(`tc at ${off}`, () => same('tc_ldabs', tcp, { cb: [off] }))
    for (const [off, mode] of [
      [0, 0],
      [9, 0],
      [tcp.length - 14 - 1, 0],
      [tcp.length - 14, 0],
      [0, 1],
      [16, 1],
      [tcp.length - 14 - 4, 1],
      [tcp.length - 14 - 3, 1],
      [0, 2],
      [19, 2],
      [tcp.length - 14, 2],
      [0, 3],
      [12, 3],
      [tcp.length - 1, 3],
      [0, 4],
    ])
      it(`socket filter mode ${mode} at ${off}`, () => same('sf_ldabs', tcp, { cb: [off, mode] }))
  })

  describe('a vmlinux.h tc program (CO-RE relocations into uapi layouts)', () => {
    it('reflects a UDP packet and decrements its TTL', () => {
      const frame = ipv4Frame(17, 20)
      const { k } = same('tc_reflect', frame, {}, vmlinuxObject)
      if (k.ok) {
        expect(k.retval, 'the new TTL').toBe(0x100 | 63)
        expect(csum16(k.out!.subarray(14, 34)), 'IPv4 header checksum').toBe(0)
      }
    })
    it('drops what is not IPv4/UDP', () => same('tc_reflect', tcp, undefined, vmlinuxObject))
    it('drops a frame too short for the headers', () => same('tc_reflect', ipv4Frame(17, 0).subarray(0, 40), undefined, vmlinuxObject))
  })

  describe('socket filters keep what they return', () => {
    for (const keep of [0, 1, 20, tcp.length - 14, 0xffffffff]) it(`keep ${keep}`, () => same('sf_fields', tcp, { cb: [keep] }))
  })
})
