import type { BpfMap } from './bpf'
import { call, checkInt, checkOptions, checkU32, describe, optBool, UxdpError } from './errors'
import type { Mvneta } from './mvneta'
import { native } from './native'

/** `sockaddr_xdp.sxdp_flags`. */
export const XDP_SHARED_UMEM = 1 << 0
export const XDP_COPY = 1 << 1
export const XDP_ZEROCOPY = 1 << 2
export const XDP_USE_NEED_WAKEUP = 1 << 3
export const XDP_USE_SG = 1 << 4
/** `xdp_desc.options`: more buffers of this packet follow. */
export const XDP_PKT_CONTD = 1 << 0
/** `xdp_ring.flags`. */
export const XDP_RING_NEED_WAKEUP = 1
/** `xdp_umem_reg.flags`: chunks anywhere in the UMEM, of any size from 2048 to 4096. */
export const XDP_UMEM_UNALIGNED_CHUNK_FLAG = 1 << 0
/** `XSK_UNALIGNED_BUF_OFFSET_SHIFT`: in unaligned mode an address carries an offset in its upper
 * 16 bits and a base in its lower 48. */
export const XSK_UNALIGNED_BUF_OFFSET_SHIFT = 48

/**
 * A UMEM address as the kernel's u64: a number when it is below 2^53 (always with aligned
 * chunks), a bigint otherwise (unaligned mode's addresses whose offset, in the upper 16 bits, is
 * 32 or more: every RX descriptor's). `xskAddrBase`, `xskAddrOffset` and `xskDataAddr` read one.
 */
export type XskAddr = number | bigint

const TWO_48 = 2 ** 48

/** An address's lower 48 bits (unaligned mode: the buffer's base). */
export function xskAddrBase(a: XskAddr): number {
  return typeof a === 'bigint' ? Number(a & 0xffffffffffffn) : a % TWO_48
}

/** An address's upper 16 bits (unaligned mode: the offset to the data). */
export function xskAddrOffset(a: XskAddr): number {
  return typeof a === 'bigint' ? Number(a >> 48n) : Math.floor(a / TWO_48)
}

/** Where an address's data is in the UMEM in unaligned mode, base + offset
 * (`xsk_umem__add_offset_to_addr`). */
export function xskDataAddr(a: XskAddr): number {
  return xskAddrBase(a) + xskAddrOffset(a)
}

/** The address of `base` with `offset` in its upper 16 bits (unaligned mode). */
export function xskAddr(base: number, offset = 0): XskAddr {
  checkInt('base', base, 0, TWO_48 - 1)
  checkInt('offset', offset, 0, 0xffff)
  const n = offset * TWO_48 + base
  return Number.isSafeInteger(n) ? n : (BigInt(offset) << 48n) | BigInt(base)
}

/** The two halves an address crosses into the engine as. */
function addrHalves(a: XskAddr, what: string): [number, number] {
  if (typeof a === 'bigint') {
    if (a < 0n || a > 0xffffffffffffffffn) throw new UxdpError('EINVAL', `${what} must be a u64, got ${a}`)
    return [Number(a & 0xffffffffffffn), Number(a >> 48n)]
  }
  if (!Number.isSafeInteger(a) || a < 0) throw new UxdpError('EINVAL', `${what} must be a whole number from 0 (or a bigint), got ${describe(a)}`)
  return [a % TWO_48, Math.floor(a / TWO_48)]
}

/** An address from its halves: a number when exact. */
function addrOf(low: number, high: number): XskAddr {
  const n = high * TWO_48 + low
  return Number.isSafeInteger(n) ? n : (BigInt(high) << 48n) | BigInt(low)
}

/** `struct xdp_desc`: a UMEM address (aligned chunks: where the data starts; unaligned: base and
 * offset, see `XskAddr`), a length and options. */
export interface XdpDesc {
  addr: XskAddr
  len: number
  options: number
}

/** A received packet: its descriptors (one, or a chain with XDP_PKT_CONTD on all but the last)
 * and its bytes, copied out of the UMEM. */
export interface XskPacket {
  descs: XdpDesc[]
  data: Buffer
}

/** `getsockopt(XDP_STATISTICS)`. */
export interface XdpStatistics {
  rxDropped: number
  rxInvalidDescs: number
  txInvalidDescs: number
  rxRingFull: number
  rxFillRingEmptyDescs: number
  txRingEmptyDescs: number
}

/** A ring's shared producer and consumer indexes (free-running u32s) and flags. */
export interface XskRingIndexes {
  size: number
  producer: number
  consumer: number
  flags: number
}

export interface XskState {
  rx?: XskRingIndexes
  tx?: XskRingIndexes
  fill?: XskRingIndexes
  completion?: XskRingIndexes
  /** Chunks the kernel holds in its buffer pool's free list (taken off the fill ring, not handed
   * back yet), by base address. */
  kernelChunks: number[]
  /** Descriptors of a multi-buffer packet on TX still waiting for its last one. */
  partialTx: number
  bound: boolean
  ifindex: number
  queueId: number
  flags: number
}

export interface XdpSocketOptions {
  /** UMEM chunks (default 4096). */
  chunks?: number
  /** UMEM bytes instead of `chunks` (with unaligned chunks it need not be a whole number of
   * them; `chunks` is then how many whole ones fit). */
  size?: number
  /** 2048..=4096, a power of two unless `unaligned` (default 4096). */
  chunkSize?: number
  /** User headroom in each RX chunk, before the kernel's 256 bytes (default 0). */
  headroom?: number
  /** XDP_UMEM_UNALIGNED_CHUNK_FLAG: fill addresses anywhere (a whole chunk after them inside the
   * UMEM), RX descriptors' addresses with the data's offset in their upper 16 bits. */
  unaligned?: boolean
  /** Raw `xdp_umem_reg.flags` besides `unaligned`. */
  umemFlags?: number
  /** XDP_SHARED_UMEM: no UMEM of its own; `bind` shares this socket's (which must be bound by
   * then). On the same NIC and queue the sockets share one buffer pool, so this socket has no
   * fill or completion ring (uses the other's); elsewhere it needs its own (`fillSize`,
   * `completionSize`, which default to 0 here). */
  shareUmem?: XdpSocket
  /** Ring sizes (powers of two; default 2048 each, fill and completion 0 with `shareUmem`). 0
   * leaves a ring out. */
  rxSize?: number
  txSize?: number
  fillSize?: number
  completionSize?: number
}

export interface XdpBindOptions {
  /** XDP_COPY: refuse to fall back from zero-copy (copy is what mvneta does anyway). */
  copy?: boolean
  /** XDP_ZEROCOPY: the emulated mvneta, like the real one, has none: EOPNOTSUPP. */
  zeroCopy?: boolean
  /** XDP_USE_NEED_WAKEUP: the TX ring's flags say when `sendto` is needed (always, in copy mode). */
  needWakeup?: boolean
  /** XDP_USE_SG: frames larger than one chunk arrive as descriptor chains, and chains can be sent. */
  sg?: boolean
  /** Raw `sxdp_flags` instead of the booleans. */
  flags?: number
}

const SOCKET_OPTION_KEYS = ['chunks', 'size', 'chunkSize', 'headroom', 'unaligned', 'umemFlags', 'shareUmem', 'rxSize', 'txSize', 'fillSize', 'completionSize'] as const
const BIND_OPTION_KEYS = ['copy', 'zeroCopy', 'needWakeup', 'sg', 'flags'] as const

/** The kernel's headroom in front of every RX chunk's data (`XDP_PACKET_HEADROOM`). */
const KERNEL_HEADROOM = 256

/**
 * An AF_XDP socket (copy mode) with its own UMEM or one shared with another socket
 * (`shareUmem`). Linux 6.18's behaviour: the fill ring gives the kernel chunks, frames an XDP
 * program redirects into an xskmap slot holding the socket arrive on the RX ring (made visible at
 * the end of the NIC's poll), descriptors on the TX ring go out through the bound NIC queue on
 * `sendto()`, and their addresses come back on the completion ring once the NIC's TX completion
 * frees them. Rings and the UMEM cross into the engine per batch.
 */
export class XdpSocket {
  /** @internal */
  readonly handle: ReturnType<typeof native.xskCreate>
  /** The UMEM itself (the memory user space would mmap): write TX data here, read RX data.
   * Sockets sharing a UMEM see the same memory. */
  readonly umem: Uint8Array
  readonly chunkSize: number
  readonly chunks: number
  readonly headroom: number
  /** XDP_UMEM_UNALIGNED_CHUNK_FLAG. */
  readonly unaligned: boolean
  /** The socket whose UMEM this one shares (XDP_SHARED_UMEM), if any. */
  readonly sharedWith: XdpSocket | null
  #closed = false
  #nic: Mvneta | null = null

  constructor(options: XdpSocketOptions = {}) {
    const o = checkOptions<XdpSocketOptions>('XdpSocket', options, SOCKET_OPTION_KEYS)
    const owner = o.shareUmem
    if (owner !== undefined && !(owner instanceof XdpSocket)) throw new UxdpError('EINVAL', `shareUmem takes an XdpSocket, got ${describe(owner)}`)
    if (owner) {
      for (const k of ['chunks', 'size', 'chunkSize', 'headroom', 'unaligned', 'umemFlags'] as const)
        if (o[k] !== undefined) throw new UxdpError('EINVAL', `${k} belongs to the UMEM, which a socket with shareUmem takes from the other socket`)
    }
    this.sharedWith = owner ?? null
    this.chunkSize = owner ? owner.chunkSize : checkU32('chunkSize', o.chunkSize ?? 4096)
    if (o.size !== undefined && o.chunks !== undefined) throw new UxdpError('EINVAL', 'give chunks or size, not both')
    const size = owner ? owner.umem.length : o.size !== undefined ? checkInt('size', o.size, 1, 2 ** 40) : checkInt('chunks', o.chunks ?? 4096, 1, 1 << 20) * this.chunkSize
    this.chunks = owner ? owner.chunks : Math.floor(size / Math.max(this.chunkSize, 1))
    this.headroom = owner ? owner.headroom : checkU32('headroom', o.headroom ?? 0)
    const rawFlags = checkU32('umemFlags', o.umemFlags ?? 0)
    this.unaligned = owner ? owner.unaligned : optBool('unaligned', o.unaligned) === true || (rawFlags & XDP_UMEM_UNALIGNED_CHUNK_FLAG) !== 0
    const umemFlags = rawFlags | (this.unaligned ? XDP_UMEM_UNALIGNED_CHUNK_FLAG : 0)
    this.handle = call(() => native.xskCreate())
    if (!owner) call(() => native.xskUmemReg(this.handle, size, this.chunkSize, this.headroom, umemFlags))
    const sizes: [string, number | undefined][] = [
      ['rx', o.rxSize],
      ['tx', o.txSize],
      ['fill', o.fillSize],
      ['completion', o.completionSize],
    ]
    for (const [kind, size] of sizes) {
      const n = checkU32(`${kind}Size`, size ?? (owner && (kind === 'fill' || kind === 'completion') ? 0 : 2048))
      if (n === 0 && (kind === 'rx' || kind === 'tx' || owner)) continue
      call(() => native.xskRing(this.handle, kind, n))
    }
    this.umem = owner ? owner.umem : new Uint8Array(call(() => native.xskUmemView(this.handle)))
  }

  /** Data bytes one RX chunk holds: `chunkSize - headroom - 256`. */
  get rxFrameSize(): number {
    return this.chunkSize - this.headroom - KERNEL_HEADROOM
  }

  /** The base address of chunk `i` (`i * chunkSize`; in unaligned mode any address with a whole
   * chunk after it in the UMEM is one too). */
  chunkAddr(i: number): number {
    checkInt('chunk', i, 0, this.chunks - 1)
    return i * this.chunkSize
  }

  /** Where a descriptor's data is in `umem`: its address, or in unaligned mode base + offset. */
  dataAddr(addr: XskAddr): number {
    return this.unaligned ? xskDataAddr(addr) : Number(addr)
  }

  /** `bind()` to a NIC's queue; a socket made with `shareUmem` binds with XDP_SHARED_UMEM and
   * takes no flags (its mode is the UMEM owner's). Errors as the kernel's: EINVAL (flags, rings,
   * queue), EBUSY (bound, or the queue has another buffer pool), EOPNOTSUPP (zero-copy), EBADF
   * (the socket shared is not bound), ENOTSOCK (it was closed). */
  bind(nic: Mvneta, queueId = 0, options: XdpBindOptions = {}): void {
    this.#checkOpen()
    const o = checkOptions<XdpBindOptions>('bind', options, BIND_OPTION_KEYS)
    let flags = o.flags === undefined ? 0 : checkU32('flags', o.flags)
    const bits: [boolean | undefined, number, string][] = [
      [o.copy, XDP_COPY, 'copy'],
      [o.zeroCopy, XDP_ZEROCOPY, 'zeroCopy'],
      [o.needWakeup, XDP_USE_NEED_WAKEUP, 'needWakeup'],
      [o.sg, XDP_USE_SG, 'sg'],
    ]
    for (const [on, bit, name] of bits) if (optBool(name, on)) flags |= bit
    if (nic === null || typeof nic !== 'object' || !('handle' in nic)) throw new UxdpError('EINVAL', `bind takes a Mvneta, got ${describe(nic)}`)
    const owner = this.sharedWith
    if (owner) flags |= XDP_SHARED_UMEM
    call(() => native.xskBind(this.handle, nic.handle, checkU32('queueId', queueId), flags, owner ? owner.handle : undefined))
    this.#nic = nic
  }

  /** Puts the socket in slot `key` of an xskmap (`bpf_map_update_elem` with the socket's fd):
   * BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2). */
  addToMap(map: BpfMap, key: number, flags = 0): void {
    this.#checkOpen()
    if (map.type !== 17) throw new UxdpError('EINVAL', `map '${map.name}' is a ${map.typeName}, not an xskmap`)
    map.object.check()
    call(() => native.xskMapUpdate(this.handle, map.object.handle, map.name, checkU32('key', key), checkU32('flags', flags)))
  }

  /** Puts chunk addresses on the fill ring (the shared one when this socket shares another's
   * buffer pool); returns how many fit. */
  fill(addrs: Iterable<XskAddr>): number {
    this.#checkOpen()
    const flat: number[] = []
    for (const a of addrs) flat.push(...addrHalves(a, 'a fill address'))
    return call(() => native.xskFill(this.handle, flat))
  }

  /** Takes up to `max` RX descriptors. */
  receive(max = 0xffffffff): XdpDesc[] {
    this.#checkOpen()
    const flat = call(() => native.xskReceive(this.handle, checkU32('max', max)))
    const out: XdpDesc[] = []
    for (let i = 0; i < flat.length; i += 4) out.push({ addr: addrOf(flat[i], flat[i + 1]), len: flat[i + 2], options: flat[i + 3] })
    return out
  }

  /** Takes RX descriptors and groups them into packets (chains end at the descriptor without
   * XDP_PKT_CONTD), with their bytes copied out. A chain not complete yet stays for later. */
  receivePackets(max = 0xffffffff): XskPacket[] {
    const pending = this.#partialRx
    const out: XskPacket[] = []
    for (const d of this.receive(max)) {
      pending.push(d)
      if ((d.options & XDP_PKT_CONTD) !== 0) continue
      const data = Buffer.concat(pending.map((x) => this.umem.subarray(this.dataAddr(x.addr), this.dataAddr(x.addr) + x.len)))
      out.push({ descs: pending.splice(0), data })
    }
    return out
  }

  #partialRx: XdpDesc[] = []

  /** Puts descriptors on the TX ring; returns how many fit. */
  transmit(descs: Iterable<XdpDesc>): number {
    this.#checkOpen()
    const flat: number[] = []
    for (const d of descs) flat.push(...addrHalves(d.addr, 'a descriptor address'), d.len, d.options ?? 0)
    return call(() => native.xskTransmit(this.handle, flat))
  }

  /** Copies `data` into chunk `chunk` (at `offset`) and returns the descriptor that sends it. */
  stage(chunk: number, data: Uint8Array, offset = 0, options = 0): XdpDesc {
    const base = this.chunkAddr(chunk)
    checkInt('offset', offset, 0, this.chunkSize)
    if (offset + data.length > this.chunkSize) throw new UxdpError('EINVAL', `${data.length} bytes at offset ${offset} do not fit a ${this.chunkSize}-byte chunk`)
    this.umem.set(data, base + offset)
    return { addr: base + offset, len: data.length, options }
  }

  /** `sendto()`: the TX ring's descriptors go out through the bound NIC's queue (at most 32 a
   * call; EAGAIN then, or when the completion ring is full or the queue stopped). */
  sendto(): number {
    this.#checkOpen()
    return call(() => native.xskSendto(this.handle))
  }

  /** `sendto()` again while a call stops at the batch limit (EAGAIN after taking descriptors);
   * returns the TX descriptors taken. EAGAIN without progress (the completion ring full, the
   * queue stopped) is thrown as it comes. */
  kick(): number {
    const start = this.state().tx?.consumer ?? 0
    for (;;) {
      const before = this.state().tx?.consumer
      try {
        this.sendto()
        return ((this.state().tx?.consumer ?? 0) - start) >>> 0
      } catch (e) {
        const tx = this.state().tx
        const progressed = tx !== undefined && tx.consumer !== before && tx.consumer !== tx.producer
        if (!(e instanceof UxdpError && e.code === 'EAGAIN' && progressed)) throw e
      }
    }
  }

  /** Takes up to `max` completed TX addresses (the pool's completion ring, shared when this
   * socket shares another's buffer pool), as the TX descriptors gave them. */
  complete(max = 0xffffffff): XskAddr[] {
    this.#checkOpen()
    const flat = call(() => native.xskComplete(this.handle, checkU32('max', max)))
    const out: XskAddr[] = []
    for (let i = 0; i < flat.length; i += 2) out.push(addrOf(flat[i], flat[i + 1]))
    return out
  }

  /** Whether the TX ring asks for a `sendto` (XDP_USE_NEED_WAKEUP). */
  get needsWakeup(): boolean {
    return ((this.state().tx?.flags ?? 0) & XDP_RING_NEED_WAKEUP) !== 0
  }

  statistics(): XdpStatistics {
    this.#checkOpen()
    return call(() => native.xskStatistics(this.handle))
  }

  /** The rings' indexes and what the kernel holds. */
  state(): XskState {
    this.#checkOpen()
    const s = call(() => native.xskState(this.handle))
    return {
      rx: s.rx ?? undefined,
      tx: s.tx ?? undefined,
      fill: s.fill ?? undefined,
      completion: s.completion ?? undefined,
      kernelChunks: s.kernelChunks,
      partialTx: s.partialTx,
      bound: s.bound,
      ifindex: s.ifindex,
      queueId: s.queueId,
      flags: s.flags,
    }
  }

  /** The NIC it is bound to. */
  get nic(): Mvneta | null {
    return this.#nic
  }

  /** `close()`: leaves its xskmap slots and its queue. The UMEM view stays readable. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#nic = null
    call(() => native.xskClose(this.handle))
  }

  get closed(): boolean {
    return this.#closed
  }

  #checkOpen(): void {
    if (this.#closed) throw new UxdpError('EBADF', 'the socket was closed')
  }
}
