/**
 * Capture files: reading classic pcap and pcapng (to replay captures into an emulated NIC) and
 * writing classic pcap with nanosecond timestamps (to record what it transmits). Written from the
 * public format descriptions (draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng); no dependencies.
 *
 * Reading is strict: anything truncated or inconsistent is a `UxdpError('EINVAL')` whose `offset`
 * (also in the message) is the byte offset of the broken structure or field, never a partial or
 * silently wrong answer.
 */
import { writeFileSync } from 'node:fs'
import { checkBytes, checkInt, checkOptions, fsError, UxdpError } from './errors'

/** `LINKTYPE_ETHERNET`: IEEE 802.3 Ethernet frames, no FCS. */
export const LINKTYPE_ETHERNET = 1

export interface CapturedPacket {
  /** Nanoseconds since the Unix epoch (pcapng's `if_tsoffset` included, so it may be negative). */
  timestampNs: bigint
  /** The captured bytes (a copy), possibly fewer than `originalLength` when the capture was sliced. */
  data: Buffer
  /** The length of the packet on the wire. */
  originalLength: number
  linkType: number
  /** Classic pcap: 0. pcapng: the Interface ID within the packet's section (0 for a Simple Packet Block). */
  interfaceIndex: number
}

const OP = 'pcap'

function bad(offset: number, what: string, extra: { length?: number; limit?: number } = {}): never {
  throw new UxdpError('EINVAL', `at byte offset ${offset}: ${what}`, { op: OP, offset, ...extra })
}

const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`

// Classic pcap magics as a little-endian read of the first 4 bytes sees them.
const PCAP_US_LE = 0xa1b2c3d4
const PCAP_US_BE = 0xd4c3b2a1
const PCAP_NS_LE = 0xa1b23c4d
const PCAP_NS_BE = 0x4d3cb2a1
const PCAP_KUZNETZOV_LE = 0xa1b2cd34
const PCAP_KUZNETZOV_BE = 0x34cdb2a1
// pcapng
const BT_SHB = 0x0a0d0d0a
const BT_IDB = 0x00000001
const BT_OPB = 0x00000002 // obsolete Packet Block
const BT_SPB = 0x00000003
const BT_EPB = 0x00000006
const BYTE_ORDER_MAGIC = 0x1a2b3c4d
const OPT_ENDOFOPT = 0
const IF_TSRESOL = 9
const IF_TSOFFSET = 14

const PCAP_HEADER = 24
const PCAP_RECORD_HEADER = 16
const NS_PER_S = 1_000_000_000n
/** A record's seconds field is 32-bit unsigned. */
const MAX_PCAP_TIMESTAMP_NS = 0xffffffffn * NS_PER_S + NS_PER_S - 1n

const pad4 = (n: number) => (n + 3) & ~3

/** The packets of a classic pcap or pcapng capture, all at once. EINVAL for anything malformed. */
export function readCapture(bytes: Uint8Array): CapturedPacket[] {
  return Array.from(iterateCapture(bytes))
}

/**
 * The packets of a classic pcap or pcapng capture, one at a time. The format is detected here
 * (EINVAL at once for input that is neither); a malformed record is an EINVAL thrown by the `next()`
 * that reaches it, after the good packets before it.
 *
 * Classic pcap: both byte orders, microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magics,
 * version 2.4 (and 2.3, whose length fields may be swapped). pcapng: any number of sections in
 * either byte order; Interface Description Blocks (`if_tsresol` as a power of 10 or of 2, default
 * microseconds; `if_tsoffset`; `snaplen`); Enhanced, Simple and obsolete Packet Blocks; every other
 * block (Name Resolution, Interface Statistics, custom, ...) is checked for framing and skipped.
 */
export function iterateCapture(bytes: Uint8Array): Generator<CapturedPacket, void, undefined> {
  checkBytes('bytes', bytes)
  if (bytes.length < 4) bad(0, `${bytes.length} bytes are too short for a capture file (the magic alone is 4)`, { length: bytes.length, limit: 4 })
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const magic = dv.getUint32(0, true)
  switch (magic) {
    case PCAP_US_LE:
      return readClassic(bytes, dv, true, false)
    case PCAP_US_BE:
      return readClassic(bytes, dv, false, false)
    case PCAP_NS_LE:
      return readClassic(bytes, dv, true, true)
    case PCAP_NS_BE:
      return readClassic(bytes, dv, false, true)
    case BT_SHB:
      return readPcapng(bytes, dv)
    case PCAP_KUZNETZOV_LE:
    case PCAP_KUZNETZOV_BE:
      bad(0, `modified (Kuznetzov) pcap magic ${hex(0xa1b2cd34)} is not supported`)
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bad(0, 'gzip-compressed data, not a capture: decompress it first (zlib.gunzipSync)')
  bad(0, `not a pcap or pcapng file: magic ${hex(dv.getUint32(0, false))} (bytes ${Buffer.from(bytes.subarray(0, 4)).toString('hex')})`)
}

function* readClassic(b: Uint8Array, dv: DataView, le: boolean, nano: boolean): Generator<CapturedPacket, void, undefined> {
  const end = b.length
  if (end < PCAP_HEADER) bad(0, `truncated pcap file header: ${end} of ${PCAP_HEADER} bytes`, { length: end, limit: PCAP_HEADER })
  const major = dv.getUint16(4, le)
  const minor = dv.getUint16(6, le)
  if (major !== 2 || (minor !== 4 && minor !== 3)) bad(4, `unsupported pcap version ${major}.${minor} (2.4 expected)`)
  // Version 2.3 files may have the captured and original lengths the other way round; libpcap
  // swaps them when the "captured" one is the larger, and so does this.
  const maybeSwapped = minor === 3
  const snaplen = dv.getUint32(16, le)
  // The upper bits carry FCS information; the link type is below them (libpcap's LT_LINKTYPE).
  const linkType = dv.getUint32(20, le) & 0x03ffffff
  const fracLimit = nano ? 1_000_000_000 : 1_000_000
  const fracScale = nano ? 1n : 1000n
  let off = PCAP_HEADER
  for (let index = 0; off < end; index++) {
    const left = end - off
    if (left < PCAP_RECORD_HEADER) {
      bad(off, `truncated header of record ${index}: ${left} of ${PCAP_RECORD_HEADER} bytes`, { length: left, limit: PCAP_RECORD_HEADER })
    }
    const sec = dv.getUint32(off, le)
    const frac = dv.getUint32(off + 4, le)
    let caplen = dv.getUint32(off + 8, le)
    let len = dv.getUint32(off + 12, le)
    if (maybeSwapped && caplen > len) [caplen, len] = [len, caplen]
    if (frac >= fracLimit) {
      bad(off + 4, `record ${index}: ${nano ? 'nanosecond' : 'microsecond'} field ${frac} is not below ${fracLimit}`, { limit: fracLimit })
    }
    if (snaplen !== 0 && caplen > snaplen) {
      bad(off + 8, `record ${index}: captured length ${caplen} exceeds the file's snaplen ${snaplen}`, { length: caplen, limit: snaplen })
    }
    if (caplen > len) bad(off + 8, `record ${index}: captured length ${caplen} exceeds the original length ${len}`, { length: caplen, limit: len })
    if (caplen > left - PCAP_RECORD_HEADER) {
      bad(off, `truncated record ${index}: ${caplen} captured bytes declared, ${left - PCAP_RECORD_HEADER} left in the file`, {
        length: caplen,
        limit: left - PCAP_RECORD_HEADER,
      })
    }
    const start = off + PCAP_RECORD_HEADER
    yield {
      timestampNs: BigInt(sec) * NS_PER_S + BigInt(frac) * fracScale,
      data: Buffer.from(b.subarray(start, start + caplen)),
      originalLength: len,
      linkType,
      interfaceIndex: 0,
    }
    off = start + caplen
  }
}

interface Interface {
  linkType: number
  snaplen: number
  /** ns = ticks * num / den + offsetNs */
  num: bigint
  den: bigint
  offsetNs: bigint
}

function* readPcapng(b: Uint8Array, dv: DataView): Generator<CapturedPacket, void, undefined> {
  const end = b.length
  let le = true
  let section = -1
  let ifaces: Interface[] = []
  let off = 0
  while (off < end) {
    const left = end - off
    if (left < 12) bad(off, `truncated block: ${left} bytes left, a block is at least 12`, { length: left, limit: 12 })
    const rawType = dv.getUint32(off, true) // the SHB's type reads the same in both byte orders
    if (rawType === BT_SHB) {
      const bom = dv.getUint32(off + 8, true)
      if (bom === BYTE_ORDER_MAGIC) le = true
      else if (bom === 0x4d3c2b1a) le = false
      else bad(off + 8, `Section Header Block with a bad byte-order magic ${hex(dv.getUint32(off + 8, false))}`)
      section++
      ifaces = []
    } else if (section < 0) {
      bad(off, 'pcapng data before any Section Header Block') // unreachable: detection saw an SHB first
    }
    const type = dv.getUint32(off, le)
    const len = dv.getUint32(off + 4, le)
    const name = blockName(type)
    if (len < 12) bad(off + 4, `${name} has a total length of ${len}, below the minimum of 12`, { length: len, limit: 12 })
    if (len % 4 !== 0) bad(off + 4, `${name} has a total length of ${len}, not a multiple of 4`, { length: len })
    if (len > left) bad(off, `truncated ${name}: its total length is ${len}, ${left} bytes left in the file`, { length: len, limit: left })
    const trailer = dv.getUint32(off + len - 4, le)
    if (trailer !== len) {
      bad(off + len - 4, `${name} at byte offset ${off}: trailing total length ${trailer} differs from the leading ${len}`, { length: trailer, limit: len })
    }
    const body = off + 8
    const bodyEnd = off + len - 4
    const need = (n: number) => {
      if (bodyEnd - body < n) bad(off + 4, `${name} has a total length of ${len}, too short for its ${n}-byte fixed part`, { length: len, limit: n + 12 })
    }
    switch (type) {
      case BT_SHB: {
        need(16)
        const major = dv.getUint16(body + 4, le)
        const minor = dv.getUint16(body + 6, le)
        // 1.2 was written by early pcapng writers and means the same as 1.0 (libpcap takes both).
        if (major !== 1 || (minor !== 0 && minor !== 2)) bad(body + 4, `unsupported pcapng version ${major}.${minor} (1.0 expected)`)
        break
      }
      case BT_IDB: {
        need(8)
        const iface: Interface = { linkType: dv.getUint16(body, le), snaplen: dv.getUint32(body + 4, le), num: 1000n, den: 1n, offsetNs: 0n }
        let sawResol = false
        let sawOffset = false
        forOptions(dv, le, body + 8, bodyEnd, name, (code, at, olen) => {
          if (code === IF_TSRESOL) {
            if (olen !== 1) bad(at, `if_tsresol option of length ${olen}, 1 expected`, { length: olen, limit: 1 })
            if (sawResol) bad(at, 'second if_tsresol option in one Interface Description Block')
            sawResol = true
            const v = b[at + 4]!
            const exp = v & 0x7f
            if (v & 0x80) {
              iface.num = NS_PER_S
              iface.den = 1n << BigInt(exp)
            } else if (exp <= 9) {
              iface.num = 10n ** BigInt(9 - exp)
              iface.den = 1n
            } else {
              iface.num = 1n
              iface.den = 10n ** BigInt(exp - 9)
            }
          } else if (code === IF_TSOFFSET) {
            if (olen !== 8) bad(at, `if_tsoffset option of length ${olen}, 8 expected`, { length: olen, limit: 8 })
            if (sawOffset) bad(at, 'second if_tsoffset option in one Interface Description Block')
            sawOffset = true
            iface.offsetNs = dv.getBigInt64(at + 4, le) * NS_PER_S
          }
        })
        ifaces.push(iface)
        break
      }
      case BT_EPB:
      case BT_OPB: {
        need(20)
        const ifid = type === BT_EPB ? dv.getUint32(body, le) : dv.getUint16(body, le)
        const iface = ifaces[ifid]
        if (iface === undefined) {
          bad(body, `${name} refers to interface ${ifid}, but section ${section} has ${ifaces.length} Interface Description Block(s) before it`)
        }
        const ticks = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le))
        const caplen = dv.getUint32(body + 12, le)
        const origlen = dv.getUint32(body + 16, le)
        if (iface.snaplen !== 0 && caplen > iface.snaplen) {
          bad(body + 12, `${name}: captured length ${caplen} exceeds interface ${ifid}'s snaplen ${iface.snaplen}`, { length: caplen, limit: iface.snaplen })
        }
        if (caplen > origlen) bad(body + 12, `${name}: captured length ${caplen} exceeds the original length ${origlen}`, { length: caplen, limit: origlen })
        const room = bodyEnd - (body + 20)
        if (pad4(caplen) > room) {
          bad(body + 12, `${name} at byte offset ${off}: captured length ${caplen} (${pad4(caplen)} with padding) overruns the block, which has ${room} bytes for data and options`, {
            length: caplen,
            limit: room,
          })
        }
        // The packet's options follow the data; nothing here needs them.
        yield packet(b, body + 20, caplen, origlen, iface, ticks, ifid)
        break
      }
      case BT_SPB: {
        need(4)
        const iface = ifaces[0]
        if (iface === undefined) bad(off, `Simple Packet Block, but section ${section} has no Interface Description Block before it`)
        const origlen = dv.getUint32(body, le)
        // No captured length in the block: it is min(original length, interface 0's snaplen).
        const caplen = iface.snaplen !== 0 && origlen > iface.snaplen ? iface.snaplen : origlen
        const room = bodyEnd - (body + 4)
        if (caplen > room || room - caplen >= 4) {
          bad(off + 4, `Simple Packet Block at byte offset ${off}: total length ${len} leaves ${room} bytes for the packet, but its captured length is ${caplen} (${pad4(caplen)} with padding)`, {
            length: room,
            limit: pad4(caplen),
          })
        }
        yield packet(b, body + 4, caplen, origlen, iface, 0n, 0)
        break
      }
      default:
        // Name Resolution, Interface Statistics, Decryption Secrets, custom and unknown blocks.
        break
    }
    off += len
  }
}

function packet(b: Uint8Array, start: number, caplen: number, origlen: number, iface: Interface, ticks: bigint, ifid: number): CapturedPacket {
  return {
    timestampNs: (ticks * iface.num) / iface.den + iface.offsetNs,
    data: Buffer.from(b.subarray(start, start + caplen)),
    originalLength: origlen,
    linkType: iface.linkType,
    interfaceIndex: ifid,
  }
}

/** Walks the options from `start` to `end` (the start of the block trailer), checking their framing. */
function forOptions(dv: DataView, le: boolean, start: number, end: number, blockName: string, f: (code: number, at: number, length: number) => void) {
  let p = start
  while (p < end) {
    const left = end - p
    if (left < 4) bad(p, `${blockName}: truncated option header, ${left} bytes left in the block`, { length: left, limit: 4 })
    const code = dv.getUint16(p, le)
    const olen = dv.getUint16(p + 2, le)
    if (code === OPT_ENDOFOPT) return
    if (pad4(olen) > left - 4) {
      bad(p, `${blockName}: option ${code} of length ${olen} (${pad4(olen)} with padding) overruns the block, ${left - 4} bytes left`, {
        length: olen,
        limit: left - 4,
      })
    }
    f(code, p, olen)
    p += 4 + pad4(olen)
  }
}

function blockName(type: number): string {
  switch (type) {
    case BT_SHB:
      return 'Section Header Block'
    case BT_IDB:
      return 'Interface Description Block'
    case BT_OPB:
      return 'Packet Block'
    case BT_SPB:
      return 'Simple Packet Block'
    case 4:
      return 'Name Resolution Block'
    case 5:
      return 'Interface Statistics Block'
    case BT_EPB:
      return 'Enhanced Packet Block'
    default:
      return `block of type ${hex(type)}`
  }
}

export interface PcapWriterOptions {
  /** The file's link type, 0–65535: LINKTYPE_ETHERNET (1) unless told. */
  linkType?: number
  /** Packets longer than this keep only their first `snaplen` bytes (the original length is recorded). 262144 unless told. */
  snaplen?: number
}

/**
 * Writes classic pcap, version 2.4, with nanosecond timestamps (magic 0xa1b23c4d), little-endian.
 * Everything is kept in memory until `toBuffer()` or `writeFile()`.
 */
export class PcapWriter {
  readonly linkType: number
  readonly snaplen: number
  readonly #records: Buffer[] = []
  #size = PCAP_HEADER
  #latest = -1n
  readonly #epochNs = BigInt(Date.now()) * 1_000_000n
  readonly #hrStart = process.hrtime.bigint()

  constructor(options: PcapWriterOptions = {}) {
    checkOptions<PcapWriterOptions>('PcapWriter', options, ['linkType', 'snaplen'])
    this.linkType = checkInt('linkType', options.linkType ?? LINKTYPE_ETHERNET, 0, 0xffff)
    this.snaplen = checkInt('snaplen', options.snaplen ?? 262144, 1, 0xffffffff)
  }

  /** The number of packets written so far. */
  get packets(): number {
    return this.#records.length
  }

  /**
   * Appends a packet. `timestampNs`: nanoseconds since the Unix epoch, 0 to 2^32 s - 1 ns (EINVAL
   * otherwise); when left out, the wall clock advanced by a monotonic clock, and always later than
   * every timestamp written before. `originalLength` (at least `data.length`; `data.length` unless
   * told) is the length on the wire, for data that was already sliced.
   */
  write(data: Uint8Array, timestampNs?: bigint, originalLength?: number): void {
    checkBytes('data', data)
    let ts: bigint
    if (timestampNs === undefined) {
      const now = this.#epochNs + (process.hrtime.bigint() - this.#hrStart)
      ts = now > this.#latest ? now : this.#latest + 1n
    } else {
      if (typeof timestampNs !== 'bigint') throw new UxdpError('EINVAL', `timestampNs must be a bigint, got ${typeof timestampNs}`, { op: 'PcapWriter.write' })
      ts = timestampNs
    }
    if (ts < 0n || ts > MAX_PCAP_TIMESTAMP_NS) {
      throw new UxdpError('EINVAL', `timestamp ${ts} ns is outside what pcap records (0 to ${MAX_PCAP_TIMESTAMP_NS})`, { op: 'PcapWriter.write' })
    }
    const len = originalLength === undefined ? data.length : checkInt('originalLength', originalLength, data.length, 0xffffffff)
    if (data.length > 0xffffffff) throw new UxdpError('EINVAL', 'a packet is at most 2^32 - 1 bytes', { op: 'PcapWriter.write', length: data.length })
    const caplen = Math.min(data.length, this.snaplen)
    const rec = Buffer.allocUnsafe(PCAP_RECORD_HEADER + caplen)
    rec.writeUInt32LE(Number(ts / NS_PER_S), 0)
    rec.writeUInt32LE(Number(ts % NS_PER_S), 4)
    rec.writeUInt32LE(caplen, 8)
    rec.writeUInt32LE(len, 12)
    rec.set(data.subarray(0, caplen), PCAP_RECORD_HEADER)
    this.#records.push(rec)
    this.#size += rec.length
    if (ts > this.#latest) this.#latest = ts
  }

  /** The whole file: header and every packet so far. The writer stays usable. */
  toBuffer(): Buffer {
    const header = Buffer.alloc(PCAP_HEADER)
    header.writeUInt32LE(PCAP_NS_LE, 0)
    header.writeUInt16LE(2, 4)
    header.writeUInt16LE(4, 6)
    // thiszone and sigfigs: 0
    header.writeUInt32LE(this.snaplen, 16)
    header.writeUInt32LE(this.linkType, 20)
    return Buffer.concat([header, ...this.#records], this.#size)
  }

  /** Writes `toBuffer()` to `path` (synchronously). File system errors are Node's own. */
  writeFile(path: string): void {
    if (typeof path !== 'string' || path === '') throw new UxdpError('EINVAL', 'path must be a non-empty string', { op: 'PcapWriter.writeFile' })
    try {
      writeFileSync(path, this.toBuffer())
    } catch (e) {
      throw fsError(e, 'cannot write', path)
    }
  }
}

/** What `writeCapture` takes: bytes, or a packet such as `readCapture` returns. */
export type WritablePacket = Uint8Array | { data: Uint8Array; timestampNs?: bigint; originalLength?: number; linkType?: number }

/**
 * Writes `packets` to `path` as classic pcap with nanosecond timestamps and returns how many there
 * were. The link type is `options.linkType`, else the first packet's, else Ethernet; a packet with
 * another link type is EINVAL (a classic pcap file has one). Original lengths are kept, so a capture
 * read with `readCapture` is written back as it was (timestamps at nanosecond resolution).
 */
export function writeCapture(path: string, packets: Iterable<WritablePacket>, options: PcapWriterOptions = {}): number {
  if (typeof path !== 'string' || path === '') throw new UxdpError('EINVAL', 'path must be a non-empty string', { op: 'writeCapture' })
  if (packets === null || typeof (packets as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
    throw new UxdpError('EINVAL', 'packets must be an iterable of Uint8Arrays or { data } packets', { op: 'writeCapture' })
  }
  checkOptions<PcapWriterOptions>('writeCapture', options, ['linkType', 'snaplen'])
  let writer: PcapWriter | undefined
  let index = 0
  for (const p of packets) {
    const isBytes = p instanceof Uint8Array
    if (!isBytes && (p === null || typeof p !== 'object' || !(p.data instanceof Uint8Array))) {
      throw new UxdpError('EINVAL', `packet ${index} is neither a Uint8Array nor an object with data: Uint8Array`, { op: 'writeCapture' })
    }
    const linkType = isBytes ? undefined : p.linkType
    writer ??= new PcapWriter({ ...options, linkType: options.linkType ?? linkType ?? LINKTYPE_ETHERNET })
    if (linkType !== undefined && linkType !== writer.linkType) {
      throw new UxdpError('EINVAL', `packet ${index} has link type ${linkType}, the file has ${writer.linkType}: a classic pcap file has one link type`, {
        op: 'writeCapture',
      })
    }
    if (isBytes) writer.write(p)
    else writer.write(p.data, p.timestampNs, p.originalLength)
    index++
  }
  ;(writer ?? new PcapWriter(options)).writeFile(path)
  return index
}
