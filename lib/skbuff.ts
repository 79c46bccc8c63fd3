import { checkOptions, checkU32, describe, UxdpError } from './errors'

/**
 * `struct __sk_buff` as BPF_PROG_TEST_RUN's ctx_in and ctx_out carry it for tc and socket-filter
 * programs (192 bytes). `__be16`/`__be32` fields (protocol, vlanProto, the IP addresses and ports)
 * are the numbers a program loads, i.e. in network byte order as they lie in memory.
 */
export interface SkBuff {
  len: number
  pktType: number
  mark: number
  queueMapping: number
  protocol: number
  vlanPresent: number
  vlanTci: number
  vlanProto: number
  priority: number
  ingressIfindex: number
  ifindex: number
  tcIndex: number
  /** cb[0..5] */
  cb: number[]
  hash: number
  tcClassid: number
  data: number
  dataEnd: number
  napiId: number
  family: number
  remoteIp4: number
  localIp4: number
  remoteIp6: number[]
  localIp6: number[]
  remotePort: number
  localPort: number
  dataMeta: number
  flowKeys: bigint
  tstamp: bigint
  wireLen: number
  gsoSegs: number
  sk: bigint
  gsoSize: number
  tstampType: number
  hwtstamp: bigint
}

/** Byte offsets of the u32 fields (uapi layout). */
const U32: [keyof SkBuff, number][] = [
  ['len', 0], ['pktType', 4], ['mark', 8], ['queueMapping', 12], ['protocol', 16], ['vlanPresent', 20], ['vlanTci', 24],
  ['vlanProto', 28], ['priority', 32], ['ingressIfindex', 36], ['ifindex', 40], ['tcIndex', 44], ['hash', 68],
  ['tcClassid', 72], ['data', 76], ['dataEnd', 80], ['napiId', 84], ['family', 88], ['remoteIp4', 92], ['localIp4', 96],
  ['remotePort', 132], ['localPort', 136], ['dataMeta', 140], ['wireLen', 160], ['gsoSegs', 164], ['gsoSize', 176],
]
const U64: [keyof SkBuff, number][] = [['flowKeys', 144], ['tstamp', 152], ['sk', 168], ['hwtstamp', 184]]
const ARRAYS: [keyof SkBuff, number, number][] = [['cb', 48, 5], ['remoteIp6', 100, 4], ['localIp6', 116, 4]]
const SK_BUFF_KEYS = [...U32.map((f) => f[0]), ...U64.map((f) => f[0]), ...ARRAYS.map((f) => f[0]), 'tstampType'] as (keyof SkBuff)[]

/** `struct __sk_buff` as ctx_in: unset fields are 0. The kernel takes only mark, priority,
 * ingressIfindex, ifindex, cb, tstamp, wireLen, gsoSegs, gsoSize and hwtstamp; any other field set
 * is its EINVAL (reported by the run, as the kernel reports it). */
export function encodeSkBuff(ctx: unknown, what = 'ctx'): Buffer {
  const c = checkOptions<SkBuff>(what, ctx, SK_BUFF_KEYS)
  const b = Buffer.alloc(192)
  for (const [k, off] of U32) if (c[k] !== undefined) b.writeUInt32LE(checkU32(`${what}.${k}`, c[k]), off)
  for (const [k, off] of U64) {
    const v = c[k]
    if (v === undefined) continue
    if (typeof v !== 'bigint' && typeof v !== 'number') throw new UxdpError('EINVAL', `${what}.${k} must be a bigint or a number, got ${describe(v)}`)
    const n = BigInt(v)
    if (n < 0n || n > 0xffffffffffffffffn) throw new UxdpError('EINVAL', `${what}.${k} must fit in a u64, got ${n}`)
    b.writeBigUInt64LE(n, off)
  }
  for (const [k, off, n] of ARRAYS) {
    const v = c[k]
    if (v === undefined) continue
    if (!Array.isArray(v) || v.length > n) throw new UxdpError('EINVAL', `${what}.${k} must be an array of at most ${n} u32 values, got ${describe(v)}`)
    v.forEach((x, i) => b.writeUInt32LE(checkU32(`${what}.${k}[${i}]`, x), off + 4 * i))
  }
  if (c.tstampType !== undefined) b.writeUInt8(checkU32(`${what}.tstampType`, c.tstampType) & 0xff, 180)
  return b
}

export function decodeSkBuff(b: Buffer): SkBuff {
  const out: Record<string, unknown> = {}
  for (const [k, off] of U32) out[k] = b.readUInt32LE(off)
  for (const [k, off] of U64) out[k] = b.readBigUInt64LE(off)
  for (const [k, off, n] of ARRAYS) out[k] = Array.from({ length: n }, (_, i) => b.readUInt32LE(off + 4 * i))
  out.tstampType = b.readUInt8(180)
  return out as unknown as SkBuff
}
