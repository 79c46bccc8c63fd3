/**
 * Kernel differential tests for what tc and socket-filter programs see at run time beyond
 * kernel-skb (test/kernel/skrun.bpf.c, our own programs): test_run's socket (`skb->sk`, a full
 * socket of no protocol in TCP_CLOSE with the packet's addresses) and the socket-pointer helpers
 * on it, BPF_MAP_TYPE_SK_STORAGE on that socket (creation with and without an initial value, bad
 * flags, deletes, a deleted value still readable, the socket's optmem_max charge across maps, one
 * socket for all of a test_run's repeats), tunnel keys and options on the skb's metadata dst
 * (none until bpf_skb_set_tunnel_key; old key layouts; flags; IPv6), the hash (its value is a
 * secret of each kernel: only its properties are compared), the checksum level, xfrm state,
 * classids, every `__sk_buff` field a socket filter may read whole and byte by byte, and
 * LD_ABS/LD_IND of every size at edge offsets (SKF_NET_OFF, SKF_LL_OFF, past the end) from tc and
 * socket filters, on many packets (sizes, protocols, VLAN tags, IPv6).
 *
 * The same object, frame and ctx_in go through the running kernel (`bpftool prog run` with
 * data_in / ctx_in / ctx_out / repeat, then `bpftool map lookup` of `out`) and uxdp's
 * `Program.testRun`; retval, data_out, ctx_out and the map must be equal. Recorded in
 * test/fixtures/kernel/kernel-skrun.json (`npm run kernel:record -- kernel-skrun`).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { BpfObject, encodeSkBuff, HostNet, type SkBuff } from '../lib/index'
import { expectSameRun, PinnedObject, type RunAnswer, uxdpRun } from './helpers/bpftool-run'
import { askKernel, build, finishKernel, liveKernelAsked, useKernel, type BpfBuild } from './helpers/kernel'

const use = useKernel('kernel-skrun')
const object = build('skrun.bpf.c', {}, [], { commit: true })

type Answer = RunAnswer

let live: PinnedObject | undefined

function liveRun(b: BpfBuild, prog: string, data: Buffer, ctx: Buffer | undefined, repeat: number): Answer {
  live ??= new PinnedObject(b, 'uxdp-skrun-')
  return live.run(prog, data, ctx, { repeat })
}

const uxdp = BpfObject.open(object.path)

/** Both runs, compared in full; the kernel's `out` slots returned for the spec's own checks. */
function same(prog: string, data: Buffer, ctx?: Partial<SkBuff>, repeat = 1): bigint[] {
  const ctxIn = ctx === undefined ? undefined : encodeSkBuff(ctx)
  const request = { op: 'skrun', object: object.key, prog, data: data.toString('base64'), ctx: ctxIn?.toString('hex') ?? null, repeat }
  const what = `test_run of ${prog} in ${object.what} on ${data.length} B${ctx ? ` ctx ${JSON.stringify(ctx)}` : ''}${repeat > 1 ? ` repeat ${repeat}` : ''}`
  const k = askKernel<Answer>(request, what, liveKernelAsked() ? () => liveRun(object, prog, data, ctxIn, repeat) : undefined)
  return expectSameRun(uxdpRun(uxdp, prog, { data, ctx, repeat }), k)
}

// =============================================================================================
// Frames

const MAC = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]

function csum16(b: Buffer): number {
  let s = 0
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i)
  if (b.length & 1) s += b[b.length - 1] << 8
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16)
  return ~s & 0xffff
}

function ipv4(proto: number, payload: number, frag = 0): Buffer {
  const l4len = (proto === 6 ? 20 : proto === 17 ? 8 : 0) + payload
  const ip = Buffer.alloc(20)
  ip.writeUInt8(0x45, 0)
  ip.writeUInt16BE(20 + l4len, 2)
  ip.writeUInt16BE(0x1c46, 4)
  ip.writeUInt16BE(frag, 6)
  ip.writeUInt8(64, 8)
  ip.writeUInt8(proto, 9)
  Buffer.from([192, 0, 2, 1]).copy(ip, 12)
  Buffer.from([198, 51, 100, 7]).copy(ip, 16)
  ip.writeUInt16BE(csum16(ip), 10)
  const l4 = Buffer.alloc(l4len)
  for (let i = 0; i < l4len; i++) l4[i] = (i * 11 + 5) & 0xff
  if (proto === 6 || proto === 17) {
    l4.writeUInt16BE(43210, 0)
    l4.writeUInt16BE(proto === 6 ? 443 : 53, 2)
  }
  return Buffer.concat([Buffer.from([...MAC, 0x08, 0x00]), ip, l4])
}

function ipv6(next: number, payload: number): Buffer {
  const ip = Buffer.alloc(40)
  ip.writeUInt32BE((6 << 28) | (0x12 << 20) | 0xbeef, 0)
  ip.writeUInt16BE(payload, 4)
  ip.writeUInt8(next, 6)
  ip.writeUInt8(64, 7)
  for (let i = 8; i < 40; i++) ip[i] = (i * 5) & 0xff
  const l4 = Buffer.alloc(payload, 0x3c)
  if (payload >= 4) {
    l4.writeUInt16BE(5353, 0)
    l4.writeUInt16BE(8080, 2)
  }
  return Buffer.concat([Buffer.from([...MAC, 0x86, 0xdd]), ip, l4])
}

function ether(type: number, size: number): Buffer {
  const b = Buffer.alloc(size)
  Buffer.from(MAC).copy(b)
  b.writeUInt16BE(type, 12)
  for (let i = 14; i < size; i++) b[i] = (i * 13 + 1) & 0xff
  return b
}

function vlan(outer: boolean): Buffer {
  const inner = ipv4(17, 12)
  const tag = (tpid: number, tci: number) => Buffer.from([tpid >> 8, tpid & 0xff, tci >> 8, tci & 0xff])
  const tags = outer ? Buffer.concat([tag(0x88a8, 0x0064), tag(0x8100, 0x2005)]) : tag(0x8100, 0x3009)
  return Buffer.concat([inner.subarray(0, 12), tags, inner.subarray(12)])
}

const PACKETS: [string, Buffer][] = [
  ['IPv4 TCP', ipv4(6, 0)],
  ['IPv4 UDP 1500 B', ipv4(17, 1458)],
  ['IPv4 ICMP', ipv4(1, 16)],
  ['IPv4 fragment', ipv4(17, 30, 0x2001)],
  ['IPv6 UDP', ipv6(17, 24)],
  ['IPv6 no next header', ipv6(59, 0)],
  ['802.1Q', vlan(false)],
  ['QinQ', vlan(true)],
  ['ARP, 42 B', ether(0x0806, 42)],
  ['14 B, 802.3 length', ether(0x0040, 14)],
  ['3712 B', ipv4(17, 3670)],
]

// =============================================================================================

describe(`tc and socket filters at run time: uxdp vs Linux (recorded on ${use.recordedOn}${use.live ? `, live ${use.live}` : ''})`, () => {
  afterAll(() => {
    live?.close()
    uxdp.close()
    finishKernel()
  })

  describe("test_run's socket as skb->sk", () => {
    it.each(PACKETS)('%s: struct bpf_sock fields and the socket-pointer helpers', (_t, data) => {
      const s = same('tc_sk_view', data)
      expect(s[0], 'skb->sk is set').toBe(1n)
      expect(s[9], 'TCP_CLOSE').toBe(7n)
      expect(s[15], 'no rx queue').toBe(0xffffffffffffffffn)
      expect([s[25], s[26], s[27]], 'no sockmap takes it (EOPNOTSUPP); no syncookies without a listener (EINVAL)').toEqual([-95n, -22n, -22n].map((e) => BigInt.asUintN(64, e)))
    })
    it('IPv4: the addresses are the packet\'s', () => {
      const s = same('tc_sk_view', ipv4(6, 0))
      expect([s[1], s[2], s[3]]).toEqual([2n, 0x010200c0n, 0x076433c6n])
    })
  })

  describe('sk_storage on test_run\'s socket', () => {
    it.each(PACKETS.slice(0, 6))('%s: get, create, flags, delete, optmem_max', (_t, data) => {
      const s = same('tc_sk_storage', data)
      expect(s.slice(0, 4), 'none yet; flags 2: NULL; created').toEqual([1n, 0n, 0n, 1n])
      expect(s[4], 'the initial value').toBe(0x1122334455667788n)
      expect([s[6], s[9], s[10]], 'the same value again; deleted; ENOENT').toEqual([1n, 0n, 0xfffffffffffffffen])
      expect(s.slice(14, 21), 'two 60000-byte values and a 10000-byte one fit in optmem_max, a third big one does not').toEqual([1n, 1n, 0n, 1n, 0n, 0n, 1n])
    })
    it.each([1, 2, 7, 100])('one socket for all of a test_run\'s %i repeats', (n) => {
      expect(same('tc_sk_counter', ipv4(6, 0), undefined, n)[0]).toBe(BigInt(n))
    })
  })

  describe('tunnel keys and options', () => {
    const GET_FLAGS = 1 << 4
    const cases: [string, number, number, number, number][] = [
      ['IPv4 key, default flags', 0, 0, 0, 0],
      ['IPv4 key, reported flags, 12 bytes of options', 0, GET_FLAGS, 12, 0],
      ['ZERO_CSUM_TX | DONT_FRAGMENT | SEQ_NUMBER | NO_TUNNEL_KEY', 2 | 4 | 8 | 16, GET_FLAGS, 4, 0],
      ['an unknown set flag: EINVAL', 1 << 5, 0, 8, 0],
      ['IPv6 key with a flow label', 1, 1, 0, 1],
      ['IPv6 key, reported flags, 252 bytes of options', 1, 1 | GET_FLAGS, 252, 1],
      ['IPv4 key with a label: EINVAL', 0, 0, 0, 1],
      ['options of 6 bytes: EINVAL', 0, GET_FLAGS, 6, 0],
      ['options of 256 bytes: ENOMEM', 0, GET_FLAGS, 256, 0],
      ['32 bytes of options read into 32', 0, 0, 32, 0],
      ['36 bytes of options: too many for the 32-byte read (ENOMEM)', 0, 0, 36, 0],
    ]
    it.each(cases)('%s', (_t, setFlags, getFlags, optlen, v6) => {
      same('tc_tunnel', ipv4(17, 10), { cb: [setFlags, getFlags, optlen, v6, 0] })
    })
    it('before any set: EINVAL for the key, ENOENT for options, the buffers cleared', () => {
      const s = same('tc_tunnel', ipv4(6, 0), { cb: [0, 0, 0, 0, 0] })
      expect([s[0], s[7], s[9]]).toEqual([0xffffffffffffffean, 0xfffffffffffffffen, 0xffffffffffffffean])
      expect(s[12] & 0xffffffffn, 'the tunnel id').toBe(0x01020304n)
      expect(s[12] >> 32n, 'remote is the metadata\'s source: the key\'s local address').toBe(0x0a000002n)
    })
  })

  describe('hash, checksum level, xfrm state, classids', () => {
    it.each(PACKETS)('%s', (_t, data) => {
      const s = same('tc_misc', data)
      expect(s.slice(1, 4), 'a hash, stable, kept in skb->hash').toEqual([1n, 1n, 1n])
      expect([s[4], s[6]], 'bpf_set_hash\'s value; the same flow hashes the same').toEqual([0x1234n, 1n])
    })
    it.each([
      ['after bpf_skb_adjust_room the checksum level is reset', 0],
      ['unless BPF_F_ADJ_ROOM_NO_CSUM_RESET', 1 << 5],
    ])('%s', (_t, flags) => {
      same('tc_misc', ipv4(6, 0), { cb: [1, flags, 0, 0, 0] })
    })
  })

  describe('a socket filter reads every field it may', () => {
    const ctxs: [string, Partial<SkBuff> | undefined][] = [
      ['no ctx_in', undefined],
      ['ctx_in mark, priority, cb', { mark: 0xdeadbeef, priority: 7, cb: [1, 0x80000000, 3, 0xffffffff, 5] }],
      ['ctx_in gso numbers', { gsoSegs: 3, gsoSize: 1400, cb: [0, 0, 0, 0, 9] }],
    ]
    for (const [name, ctx] of ctxs) {
      it.each(PACKETS)(`%s, ${name}: whole fields`, (_t, data) => {
        same('sf_all_fields', data, ctx)
      })
      it.each(PACKETS)(`%s, ${name}: byte and half loads`, (_t, data) => {
        same('sf_narrow', data, ctx)
      })
    }
    it.each(PACKETS)('%s: load_bytes, load_bytes_relative, cookie, uid, skc_to_*', (_t, data) => {
      for (const [off, len] of [[0, 4], [10, 8], [data.length - 14 - 4, 4], [data.length - 14 - 3, 4], [-14, 14], [-20, 4], [20, 64]]) {
        same('sf_helpers', data, { cb: [off >>> 0, len, 0, 0, 0] })
      }
    })
  })

  describe('bpf_perf_event_output from socket filters and tc: the checks before the perf event', () => {
    const data = ipv4(17, 14)
    const cases: [string, number, number][] = [
      ['an unknown flag bit: EINVAL', 0xffffffff, 1 << 20],
      ['more packet bytes than the skb has: EFAULT', 0xffffffff, data.length + 1],
      ['an index past max_entries: E2BIG', 5, 0],
      ['an index past max_entries with more bytes than the skb has', 5, data.length + 1],
    ]
    for (const prog of ['sf_perf', 'tc_perf']) {
      it.each(cases)(`${prog}: %s`, (_t, lo, hi) => {
        same(prog, data, { cb: [lo, hi, 0, 0, 0] })
      })
    }
  })

  describe('LD_ABS / LD_IND of every size at edge offsets', () => {
    const data = ipv4(17, 14)
    const net = data.length - 14
    // offset, base (0: plain, 1: SKF_NET_OFF, 2: SKF_LL_OFF)
    const offsets: [number, number][] = [
      [0, 0], [1, 0], [net - 4, 0], [net - 3, 0], [net - 2, 0], [net - 1, 0], [net, 0], [data.length - 1, 0], [data.length, 0],
      [0x7fffffff, 0], [0xffffffff, 0], [0xfffffff0, 0],
      [0, 1], [3, 1], [net - 1, 1], [net, 1], [0xffffffff, 1],
      [0, 2], [12, 2], [data.length - 2, 2], [data.length, 2], [0xfffffff2, 2],
    ]
    for (const prog of ['sf_ld', 'tc_ld']) {
      it.each(offsets)(`${prog}: offset %i, base %i, sizes 1, 2, 4`, (off, base) => {
        for (const size of [0, 1, 2]) same(prog, data, { cb: [off, base, size, 0, 0] })
      })
    }
    it.each(PACKETS)('sf_ld and tc_ld near the end of %s', (_t, p) => {
      for (const prog of ['sf_ld', 'tc_ld']) {
        const end = p.length - (prog === 'sf_ld' ? 14 : 0)
        for (const off of [end - 4, end - 1]) for (const size of [0, 1, 2]) same(prog, p, { cb: [off >>> 0, 0, size, 0, 0] })
      }
    })
  })
})

describe('a perf sample from a socket filter (uxdp only: the kernel needs a perf event in the slot)', () => {
  it('holds the meta bytes, then the skb from skb->data (the network header)', () => {
    const o = BpfObject.open(object.path)
    try {
      const data = ipv4(17, 14)
      const r = o.program('sf_perf').testRunSkb({ data, ctx: { cb: [0xffffffff, 20, 0, 0, 0] } })
      expect(r.retval).toBe(1)
      expect(o.map('out').lookup(Buffer.alloc(4))!.readBigUInt64LE(0)).toBe(0n)
      const [sample] = o.map('events').samples()
      expect(sample.subarray(0, 8)).toEqual(Buffer.from('efcdab8967452301', 'hex'))
      expect(sample.subarray(8)).toEqual(data.subarray(14, 34))
    } finally {
      o.close()
    }
  })
})

describe('sk_storage from user space, by socket (uxdp only: the kernel takes a socket fd)', () => {
  it('values live in the host model\'s sockets and go with them', () => {
    const o = BpfObject.open(object.path)
    try {
      const host = new HostNet()
      const a = host.listenTcp('127.0.0.1', 8080)
      const b = host.addSocket({ protocol: 'udp', localAddr: '127.0.0.1', localPort: 53 })
      const stg = o.map('stg')
      expect(stg.socketStorage(a)).toBeUndefined()
      stg.setSocketStorage(a, Buffer.alloc(16, 1), 1)
      expect(() => stg.setSocketStorage(a, Buffer.alloc(16, 2), 1)).toThrow(expect.objectContaining({ code: 'EEXIST' }))
      expect(() => stg.setSocketStorage(b, Buffer.alloc(16, 2), 2)).toThrow(expect.objectContaining({ code: 'ENOENT' }))
      expect(() => stg.setSocketStorage(a, Buffer.alloc(8), 0)).toThrow(expect.objectContaining({ code: 'EINVAL' }))
      stg.setSocketStorage(b, Buffer.alloc(16, 3))
      expect(stg.socketStorage(a)).toEqual(Buffer.alloc(16, 1))
      expect(() => stg.lookup(Buffer.alloc(4))).toThrow(expect.objectContaining({ code: 'EBADF' }))
      a.close()
      expect(() => stg.socketStorage(a), 'a closed socket names nothing').toThrow(expect.objectContaining({ code: 'EBADF' }))
      expect(stg.socketStorage(b)).toEqual(Buffer.alloc(16, 3))
      stg.deleteSocketStorage(b)
      expect(stg.socketStorage(b)).toBeUndefined()
      expect(() => stg.deleteSocketStorage(b)).toThrow(expect.objectContaining({ code: 'ENOENT' }))
    } finally {
      o.close()
    }
  })
  it('a tc program keeps a counter in the listener a lookup finds; the user reads it by socket', () => {
    const o = BpfObject.open(object.path)
    try {
      const host = new HostNet()
      const a = host.listenTcp('127.0.0.1', 8080)
      const data = ipv4(6, 0)
      for (const n of [1n, 2n, 3n]) {
        o.program('tc_lookup_storage').testRunSkb({ data, host })
        const out = o.map('out').lookup(Buffer.alloc(4))!
        expect([0, 1, 2, 3].map((i) => out.readBigUInt64LE(i * 8)), 'found; the counter; no stg value (ENOENT); a listener').toEqual([1n, n, BigInt.asUintN(64, -2n), 1n])
      }
      expect(o.map('stg64').socketStorage(a)!.readBigUInt64LE(0)).toBe(3n)
      expect(host.lookup('tcp', '127.0.0.1', 40000, '127.0.0.1', 8080)!.refs, 'the program released its reference').toBe(0)
      a.close()
      expect(() => o.map('stg64').socketStorage(a)).toThrow(expect.objectContaining({ code: 'EBADF' }))
    } finally {
      o.close()
    }
  })
})
