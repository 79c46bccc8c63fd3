/**
 * TCP/IP frames for the SYN-proxy tests (test/kernel-synproxy.spec.ts, test/synproxy-nic.spec.ts):
 * Ethernet with VLAN tags, IPv4 or IPv6, TCP with options, checksums right; and a reader of the
 * same, with checksum checks.
 */
import { ipv6Bytes } from '../../lib/index'

export const TH = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 }
export const MAC_CLIENT = Buffer.from([0x02, 0, 0, 0, 0, 0x0c])
export const MAC_SERVER = Buffer.from([0x02, 0, 0, 0, 0, 0x05])

export interface TcpOpts {
  mss?: number
  wscale?: number
  sack?: boolean
  /** tsval (tsecr 0) */
  ts?: number
  /** raw option bytes instead (padded to 4) */
  raw?: number[]
}

export interface TcpFrame {
  src: string
  dst: string
  sport: number
  dport: number
  flags: number
  seq: number
  ack?: number
  opts?: TcpOpts
  payload?: number
  /** 802.1Q / 802.1AD tags, outermost first */
  vlans?: { tpid: number; tci: number }[]
  /** TCP data offset in words, overriding the options' length */
  doff?: number
  /** IPv4 header length in words (5 unless IP options are wanted) */
  ihl?: number
  /** IP protocol / next header (6 unless another is wanted) */
  proto?: number
}

const v6 = (a: string) => a.includes(':')

function optionBytes(o: TcpOpts = {}): Buffer {
  if (o.raw) return Buffer.from([...o.raw, ...new Array((4 - (o.raw.length % 4)) % 4).fill(0)])
  const b: number[] = []
  if (o.mss !== undefined) b.push(2, 4, o.mss >> 8, o.mss & 0xff)
  if (o.sack && o.ts !== undefined) b.push(4, 2)
  else if (o.sack) b.push(1, 1, 4, 2)
  if (o.ts !== undefined) {
    if (!o.sack) b.push(1, 1)
    const t = Buffer.alloc(8)
    t.writeUInt32BE(o.ts >>> 0, 0)
    b.push(8, 10, ...t)
  }
  if (o.wscale !== undefined) b.push(1, 3, 3, o.wscale)
  return Buffer.from(b)
}

/** The one's-complement sum of `b` folded to 16 bits (not inverted). */
export function sum16(b: Buffer, init = 0): number {
  let s = init
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i)
  if (b.length & 1) s += b[b.length - 1] << 8
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16)
  return s
}

function addrBytes(a: string): Buffer {
  return v6(a) ? Buffer.from(ipv6Bytes(a)) : Buffer.from(a.split('.').map(Number))
}

function pseudo(src: string, dst: string, len: number): Buffer {
  if (v6(src)) {
    const p = Buffer.alloc(40)
    addrBytes(src).copy(p, 0)
    addrBytes(dst).copy(p, 16)
    p.writeUInt32BE(len, 32)
    p.writeUInt32BE(6, 36)
    return p
  }
  const p = Buffer.alloc(12)
  addrBytes(src).copy(p, 0)
  addrBytes(dst).copy(p, 4)
  p.writeUInt16BE(6, 8)
  p.writeUInt16BE(len, 10)
  return p
}

export function tcpFrame(f: TcpFrame): Buffer {
  const opts = optionBytes(f.opts)
  const payload = Buffer.alloc(f.payload ?? 0, 0x61)
  const tcp = Buffer.alloc(20 + opts.length)
  tcp.writeUInt16BE(f.sport, 0)
  tcp.writeUInt16BE(f.dport, 2)
  tcp.writeUInt32BE(f.seq >>> 0, 4)
  tcp.writeUInt32BE((f.ack ?? 0) >>> 0, 8)
  tcp[12] = (f.doff ?? tcp.length / 4) << 4
  tcp[13] = f.flags
  tcp.writeUInt16BE(64240, 14)
  opts.copy(tcp, 20)
  const l4 = Buffer.concat([tcp, payload])
  if ((f.proto ?? 6) === 6) l4.writeUInt16BE(~sum16(l4, sum16(pseudo(f.src, f.dst, l4.length))) & 0xffff, 16)
  let ip: Buffer
  let ethType: number
  if (v6(f.src)) {
    ethType = 0x86dd
    ip = Buffer.alloc(40)
    ip.writeUInt32BE(0x60000000, 0)
    ip.writeUInt16BE(l4.length, 4)
    ip[6] = f.proto ?? 6
    ip[7] = 64
    addrBytes(f.src).copy(ip, 8)
    addrBytes(f.dst).copy(ip, 24)
  } else {
    ethType = 0x0800
    const ihl = f.ihl ?? 5
    ip = Buffer.alloc(ihl * 4)
    ip[0] = 0x40 | ihl
    ip.writeUInt16BE(ip.length + l4.length, 2)
    ip.writeUInt16BE(0x1234, 4)
    ip[8] = 64
    ip[9] = f.proto ?? 6
    addrBytes(f.src).copy(ip, 12)
    addrBytes(f.dst).copy(ip, 16)
    ip.writeUInt16BE(~sum16(ip) & 0xffff, 10)
  }
  const eth: Buffer[] = [MAC_SERVER, MAC_CLIENT]
  for (const v of f.vlans ?? []) {
    const t = Buffer.alloc(4)
    t.writeUInt16BE(v.tpid, 0)
    t.writeUInt16BE(v.tci, 2)
    eth.push(t)
  }
  const type = Buffer.alloc(2)
  type.writeUInt16BE(ethType, 0)
  return Buffer.concat([...eth, type, ip, l4])
}

/** A frame read back: where its headers are, and whether its checksums hold. */
export interface ParsedTcp {
  l3: number
  l4: number
  v6: boolean
  src: string
  dst: string
  sport: number
  dport: number
  seq: number
  ack: number
  flags: number
  doff: number
  /** option bytes */
  options: Buffer
  ipChecksumOk: boolean
  tcpChecksumOk: boolean
  ttl: number
}

export function parseTcp(b: Buffer): ParsedTcp {
  let l3 = 12
  let type = b.readUInt16BE(l3)
  while (type === 0x8100 || type === 0x88a8) {
    l3 += 4
    type = b.readUInt16BE(l3)
  }
  l3 += 2
  const isV6 = type === 0x86dd
  const l4 = isV6 ? l3 + 40 : l3 + (b[l3] & 0xf) * 4
  // a captured frame may be padded past its IP datagram
  b = b.subarray(0, Math.min(b.length, isV6 ? l4 + b.readUInt16BE(l3 + 4) : l3 + b.readUInt16BE(l3 + 2)))
  const fmt4 = (o: number) => [...b.subarray(o, o + 4)].join('.')
  const fmt6 = (o: number) => Array.from({ length: 8 }, (_, i) => b.readUInt16BE(o + 2 * i).toString(16)).join(':')
  const src = isV6 ? fmt6(l3 + 8) : fmt4(l3 + 12)
  const dst = isV6 ? fmt6(l3 + 24) : fmt4(l3 + 16)
  const doff = b[l4 + 12] >> 4
  const l4len = b.length - l4
  const ps = isV6 ? Buffer.concat([b.subarray(l3 + 8, l3 + 40), Buffer.from([0, 0, l4len >> 8, l4len & 0xff, 0, 0, 0, 6])]) : Buffer.concat([b.subarray(l3 + 12, l3 + 20), Buffer.from([0, 6, l4len >> 8, l4len & 0xff])])
  return {
    l3,
    l4,
    v6: isV6,
    src,
    dst,
    sport: b.readUInt16BE(l4),
    dport: b.readUInt16BE(l4 + 2),
    seq: b.readUInt32BE(l4 + 4),
    ack: b.readUInt32BE(l4 + 8),
    flags: b[l4 + 13],
    doff,
    options: b.subarray(l4 + 20, l4 + doff * 4),
    ipChecksumOk: isV6 || sum16(b.subarray(l3, l4)) === 0xffff,
    tcpChecksumOk: sum16(b.subarray(l4), sum16(ps)) === 0xffff,
    ttl: isV6 ? b[l3 + 7] : b[l3 + 8],
  }
}

/** The client's ACK of a SYN-ACK (`synack` as the proxy sent it): seq = the SYN's + 1, ack = cookie + 1. */
export function ackOf(synack: Buffer, f: TcpFrame, flip = 0): Buffer {
  const p = parseTcp(synack)
  return tcpFrame({ ...f, flags: TH.ACK, seq: f.seq + 1, ack: ((p.seq + 1) ^ flip) >>> 0, opts: undefined, payload: 0 })
}
