import { call, checkBytes, checkI32, checkInt, checkOptions, checkU32, describe, optBool, UxdpError } from './errors'
import { frameMetadataBackend, MetadataStore, skbMetadataBackend, xdpFrameMetadataBackend } from './kvstore'
import { native, type BatchHandle, type FrameHandle, type SkbHandle, type XdpFrameHandle } from './native'
import { PagePool } from './pool'
import { LOC_NONE, ViewRegistry } from './views'
import { encodeMd } from './xdpmd'

/** `XDP_FLAGS_HAS_FRAGS`: the buffer is non-linear; its skb_shared_info is valid. */
export const XDP_FLAGS_HAS_FRAGS = 1
/** `XDP_FLAGS_FRAGS_PF_MEMALLOC`: a frag page came from the pfmemalloc reserves. */
export const XDP_FLAGS_FRAGS_PF_MEMALLOC = 2
export const XDP_PACKET_HEADROOM = 256
export const MAX_SKB_FRAGS = 17
/** `BPF_F_CURRENT_CPU` for `xdpOutput` flags. */
export const BPF_F_CURRENT_CPU = 0xffffffffn

export interface FrameOptions {
  /** Pool to take pages from; default `PagePool.default`. */
  pool?: PagePool
  /** Where data starts from `data_hard_start`. Default 256 (XDP_PACKET_HEADROOM). */
  headroom?: number
  /** Metadata placed right before the data (multiple of 4, at most 255 bytes). */
  meta?: Uint8Array
  /** false models a driver without metadata support (`data_meta = data + 1`). Default true. */
  metaSupported?: boolean
  /** Packet bytes to keep linear: 14 (an Ethernet header) up to what the linear part holds (3520
   * with 4 KiB pages and the default headroom), else EINVAL; a shorter packet is all linear.
   * test_run's own rules (clamping, a shorter linear part before frags) are `Frame.fromTestRun`'s. */
  linearLength?: number
  /** Packet bytes per frag. Default: a whole page. */
  fragLength?: number
  /** Where frag data starts in its page (a driver's RX offset). Default 0. */
  fragOffset?: number
  /** Added to `xdp_frags_truesize` per frag. Default 0, as test_run leaves it. */
  fragTruesize?: number
  /** `frame_sz` of the linear buffer. Default: the page size. */
  frameSize?: number
  /** `MAX_SKB_FRAGS`, 17 to 45. Default 17. */
  maxFrags?: number
  /** The receive queue's registered frag size; 0 means frags cannot grow (EOPNOTSUPP). Default: page size. */
  rxqFragSize?: number
  ifindex?: number
  queueIndex?: number
}

const FRAME_OPTION_KEYS = [
  'pool',
  'headroom',
  'meta',
  'metaSupported',
  'linearLength',
  'fragLength',
  'fragOffset',
  'fragTruesize',
  'frameSize',
  'maxFrags',
  'rxqFragSize',
  'ifindex',
  'queueIndex',
] as const satisfies readonly (keyof FrameOptions)[]

/** `struct xdp_md` as BPF_PROG_TEST_RUN's ctx_in, for `Frame.fromTestRun`. */
export interface TestRunCtx {
  /** Metadata length: the first `data` bytes of the input are metadata (multiple of 4, at most 252). */
  data?: number
  /** End of the linear part, counted from the start of the input (metadata included); default the
   * whole input. Clamped to what the linear part holds; may leave fewer than 14 bytes there. */
  dataEnd?: number
  /** Must be 0. */
  dataMeta?: number
  /** 0 or 1 (test_run's loopback device); ENODEV for any other. */
  ingressIfindex?: number
  /** 0 (the loopback has one RX queue); needs `ingressIfindex`. */
  rxQueueIndex?: number
  /** Must be 0. */
  egressIfindex?: number
}

export interface FrameLayout {
  /** Synthetic kernel address of the head page. */
  pageAddr: bigint
  pageSize: number
  /** Offsets in the head page. */
  hardStart: number
  dataMeta: number
  data: number
  dataEnd: number
  /** `xdp_data_hard_end`: the skb_shared_info starts here. */
  hardEnd: number
  frameSize: number
}

export interface FragInfo {
  pageAddr: bigint
  /** Offset of the frag's data in its page. */
  offset: number
  length: number
}

export interface Segment extends FragInfo {
  /** 0 for the linear part, i + 1 for frag i. */
  index: number
  kind: 'linear' | 'frag'
  /** A live view of the segment's bytes in page memory; detached when the frame changes shape. */
  data: Uint8Array
}

export interface RxQueueInfo {
  ifindex?: number
  queueIndex?: number
  /** 0: frags cannot grow. */
  fragSize?: number
}

export interface PerfSample {
  /** Perf event array index from the flags, or null for BPF_F_CURRENT_CPU. */
  index: number | null
  /** `meta` followed by the first bytes of the packet. */
  data: Buffer
}

const RXQ_KEYS = ['ifindex', 'queueIndex', 'fragSize'] as const

function optionalU32(name: string, v: number | undefined): number | undefined {
  return v === undefined ? undefined : checkU32(name, v)
}

/**
 * An XDP buffer (`struct xdp_buff`) in page-pool memory: a linear part with headroom, metadata and
 * tailroom, and up to MAX_SKB_FRAGS frags described by the `skb_shared_info` at the end of the
 * first page. Methods are the kernel's XDP helpers, with its semantics and errnos; failures throw
 * `UxdpError`.
 */
export class Frame {
  #h: FrameHandle
  /** Views to detach when the frame changes shape. */
  readonly #views = new ViewRegistry(this)

  /** Set for frames a NIC lends to its XDP program: the NIC takes them back after the program. */
  #lent = false

  /** @internal */
  constructor(handle: FrameHandle) {
    this.#h = handle
  }

  /** @internal A frame slot a NIC fills for its program. */
  static lent(handle: FrameHandle): Frame {
    const f = new Frame(handle)
    f.#lent = true
    return f
  }

  #checkOwned(op: string): void {
    if (this.#lent) throw new UxdpError('EBUSY', `${op}: this frame belongs to the NIC; the program returns an action instead`)
  }

  /** Builds a frame from packet bytes, split as BPF_PROG_TEST_RUN splits them unless options say
   * otherwise. ENOMEM when the bytes need more than MAX_SKB_FRAGS frags (73152 bytes at most by
   * default), EINVAL for fewer than 14 bytes or impossible options. */
  static fromBytes(bytes: Uint8Array, options: FrameOptions = {}): Frame {
    checkBytes('bytes', bytes)
    const { pool = PagePool.default, meta, ...rest } = checkOptions<FrameOptions>('Frame.fromBytes', options, FRAME_OPTION_KEYS)
    if (!(pool instanceof PagePool)) throw new UxdpError('EINVAL', `pool must be a PagePool, got ${describe(pool)}`)
    if (meta !== undefined) checkBytes('meta', meta)
    optBool('metaSupported', rest.metaSupported)
    const numeric = {
      headroom: optionalU32('headroom', rest.headroom),
      linearLength: optionalU32('linearLength', rest.linearLength),
      fragLength: optionalU32('fragLength', rest.fragLength),
      fragOffset: optionalU32('fragOffset', rest.fragOffset),
      fragTruesize: optionalU32('fragTruesize', rest.fragTruesize),
      frameSize: optionalU32('frameSize', rest.frameSize),
      maxFrags: optionalU32('maxFrags', rest.maxFrags),
      rxqFragSize: optionalU32('rxqFragSize', rest.rxqFragSize),
      ifindex: optionalU32('ifindex', rest.ifindex),
      queueIndex: optionalU32('queueIndex', rest.queueIndex),
    }
    const handle = call(
      () =>
        native.frameFromBytes(pool.handle, bytes, {
          ...numeric,
          meta: meta ? Buffer.from(meta.buffer, meta.byteOffset, meta.byteLength) : undefined,
          metaSupported: rest.metaSupported,
        }),
    )
    return new Frame(handle)
  }

  /**
   * The frame BPF_PROG_TEST_RUN builds for an XDP program, by the engine's own test_run code:
   * `data` is data_in (the metadata, `ctxIn.data` bytes, then the packet) and `ctxIn` is ctx_in.
   * The kernel's rules apply, not `fromBytes`'s: `dataEnd` is clamped to what the linear part
   * holds (3520 bytes), a linear part shorter than an Ethernet header is accepted when frags follow
   * (the packet as a whole needs 14 bytes), metadata must be a multiple of 4 and at most 252 bytes,
   * and ctx_in's EINVAL/ENODEV checks are test_run's. Without `ctxIn`, the split of a test_run
   * without ctx_in.
   */
  static fromTestRun(data: Uint8Array, ctxIn?: TestRunCtx, options: { pool?: PagePool } = {}): Frame {
    checkBytes('data', data)
    const { pool = PagePool.default } = checkOptions<{ pool: PagePool }>('Frame.fromTestRun', options, ['pool'])
    if (!(pool instanceof PagePool)) throw new UxdpError('EINVAL', `pool must be a PagePool, got ${describe(pool)}`)
    const ctx = ctxIn === undefined ? undefined : encodeMd(ctxIn, data.length, 'ctxIn')
    return new Frame(call(() => native.frameFromTestRun(pool.handle, data, ctx)))
  }

  /** @internal */
  get handle(): FrameHandle {
    return this.#h
  }

  /** `xdp_get_buff_len`: linear plus frags, without metadata. */
  get length(): number {
    return call(() => native.frameLength(this.#h))
  }
  /** `data_end - data`. */
  get linearLength(): number {
    return call(() => native.frameLinearLength(this.#h))
  }
  get nrFrags(): number {
    return call(() => native.frameNrFrags(this.#h))
  }
  /** `XDP_FLAGS_*` bits. */
  get flags(): number {
    return call(() => native.frameFlags(this.#h))
  }
  get hasFrags(): boolean {
    return (this.flags & XDP_FLAGS_HAS_FRAGS) !== 0
  }
  /** `data - data_meta` (0 when metadata is unsupported). */
  get metaLength(): number {
    return call(() => native.frameMetaLength(this.#h))
  }
  get metaSupported(): boolean {
    return call(() => native.frameMetaSupported(this.#h))
  }
  /** `skb_shared_info.xdp_frags_size` (0 without frags). */
  get fragsSize(): number {
    return call(() => native.frameFragsSize(this.#h))
  }
  /** `skb_shared_info.xdp_frags_truesize` (0 without frags). */
  get fragsTruesize(): number {
    return call(() => native.frameFragsTruesize(this.#h))
  }
  /** `data - data_hard_start`. */
  get headroom(): number {
    return call(() => native.frameHeadroom(this.#h))
  }
  /** Room for the linear part to grow before the shared info. */
  get tailroom(): number {
    return call(() => native.frameTailroom(this.#h))
  }
  get maxFrags(): number {
    return call(() => native.frameMaxFrags(this.#h))
  }
  get released(): boolean {
    return native.frameReleased(this.#h)
  }

  layout(): FrameLayout {
    return call(() => native.frameLayout(this.#h))
  }

  frags(): FragInfo[] {
    return call(() => native.frameFrags(this.#h))
  }

  meta(): Buffer {
    return call(() => native.frameMeta(this.#h))
  }

  /** The metadata area as a key/value store (see `MetadataStore`), names resolved through
   * `MetadataKeyRegistry.default`. */
  get metadata(): MetadataStore {
    return new MetadataStore(frameMetadataBackend(this))
  }

  /** The head page's bytes: headroom, metadata, linear data, tailroom and skb_shared_info. */
  headPage(): Buffer {
    return call(() => native.frameHeadPage(this.#h))
  }

  /** `bpf_xdp_get_buff_len`. */
  getBuffLen(): number {
    return this.length
  }

  /** `bpf_xdp_load_bytes`: a copy of `length` bytes at `offset`, across any frag boundary.
   * EFAULT above 0xffff, EINVAL past the end. */
  loadBytes(offset: number, length: number): Buffer {
    checkU32('offset', offset)
    checkU32('length', length)
    // Above the helper's 0xffff limit nothing is allocated: the check alone gives the EFAULT.
    if (length > 0xffff) call(() => native.frameCheckLoad(this.#h, offset, length))
    const out = Buffer.allocUnsafe(length)
    call(() => native.frameLoadBytesInto(this.#h, offset, out))
    return out
  }

  /** `bpf_xdp_load_bytes` into a caller's buffer (its whole length). */
  loadBytesInto(offset: number, target: Uint8Array): void {
    checkU32('offset', offset)
    checkBytes('target', target)
    call(() => native.frameLoadBytesInto(this.#h, offset, target))
  }

  /** `bpf_xdp_store_bytes`: write `bytes` at `offset`, across any frag boundary. */
  storeBytes(offset: number, bytes: Uint8Array): void {
    checkU32('offset', offset)
    checkBytes('bytes', bytes)
    call(() => native.frameStoreBytes(this.#h, offset, bytes))
  }

  /** `bpf_xdp_adjust_head`: move the packet start by `delta` (negative pushes a header). */
  adjustHead(delta: number): void {
    checkI32('delta', delta)
    this.#views.invalidate()
    call(() => native.frameAdjustHead(this.#h, delta))
  }

  /** `bpf_xdp_adjust_meta`: move the metadata start by `delta` (negative grows it). */
  adjustMeta(delta: number): void {
    checkI32('delta', delta)
    this.#views.invalidate()
    call(() => native.frameAdjustMeta(this.#h, delta))
  }

  /** `bpf_xdp_adjust_tail`: grow (into the tailroom, or the last frag) or shrink (releasing whole
   * frags from the end) the packet by `delta`. */
  adjustTail(delta: number): void {
    checkI32('delta', delta)
    this.#views.invalidate()
    call(() => native.frameAdjustTail(this.#h, delta))
  }

  /** `bpf_xdp_pull_data` (kfunc, 6.18): make the first `length` bytes linear. */
  pullData(length: number): void {
    checkU32('length', length)
    this.#views.invalidate()
    call(() => native.framePullData(this.#h, length))
  }

  /** `bpf_xdp_adjust_data` of the v14 multi-buffer series (the seed's API, never merged): point
   * data/data_end at the segment holding `offset`; returns that segment's packet offset. */
  adjustData(offset: number): number {
    checkU32('offset', offset)
    this.#views.invalidate()
    return call(() => native.frameAdjustData(this.#h, offset))
  }

  /** Where `ctx->data`/`ctx->data_end` point: segment (0 = linear) and page offsets. */
  dataWindow(): { segment: number; start: number; end: number } {
    return call(() => native.frameDataWindow(this.#h))
  }

  /** `bpf_xdp_pointer`: a live view of `length` bytes at `offset` when they sit in one segment
   * (writes through it change the packet), null when they cross a boundary. The view is detached
   * (length 0) once the frame changes shape or is released, as the verifier invalidates packet
   * pointers after such helpers. */
  pointer(offset: number, length: number): Uint8Array | null {
    checkU32('offset', offset)
    checkU32('length', length)
    const loc = call(() => native.framePointer(this.#h, offset, length))
    return loc === LOC_NONE ? null : this.regionView(loc, length)
  }

  /** `bpf_xdp_copy_buf` as the kernel uses it internally: no bounds checks, copies what exists. */
  copyBuf(offset: number, length: number): Buffer {
    checkU32('offset', offset)
    checkU32('length', length)
    return call(() => native.frameCopyOut(this.#h, offset, length))
  }

  /** The sample `bpf_xdp_output` / `bpf_perf_event_output` would emit: `meta` then the first
   * `(flags >> 32) & 0xfffff` packet bytes. EINVAL for unknown flag bits, EFAULT when asking for
   * more bytes than the packet has. */
  xdpOutput(flags: bigint | number, meta: Uint8Array = new Uint8Array(0)): PerfSample {
    checkBytes('meta', meta)
    if (typeof flags === 'number') {
      if (!Number.isSafeInteger(flags) || flags < 0) throw new UxdpError('EINVAL', 'flags must be a non-negative safe integer or a bigint')
      flags = BigInt(flags)
    }
    if (typeof flags !== 'bigint' || flags < 0n || flags > 0xffffffffffffffffn) throw new UxdpError('EINVAL', 'flags must be an unsigned 64-bit value')
    const f = flags
    const s = call(() => native.frameEventOutput(this.#h, f, meta))
    return { index: s.index < 0 ? null : s.index, data: s.data }
  }

  /** The packet, linear part then frags; with `{ meta: true }`, what test_run's data_out holds
   * (from data_meta on). */
  toBytes(options: { meta?: boolean } = {}): Buffer {
    const { meta } = checkOptions<{ meta: boolean }>('toBytes', options, ['meta'])
    return call(() => native.frameToBytes(this.#h, optBool('meta', meta) ?? false))
  }

  /** The linear part and each frag, with live views of their bytes. */
  segments(): Segment[] {
    const info = call(() => native.frameSegmentInfo(this.#h))
    return info.map((s, index) => ({
      index,
      kind: index === 0 ? 'linear' : 'frag',
      pageAddr: s.pageAddr,
      offset: s.offset,
      length: s.length,
      data: new Uint8Array(this.#views.region(index, this.#fetchSegment)),
    }))
  }

  /** Changes the receive queue the helpers see (its frag size decides whether frags can grow). */
  setRxQueue(rxq: RxQueueInfo): void {
    if (rxq === undefined) throw new UxdpError('EINVAL', 'setRxQueue takes { ifindex, queueIndex, fragSize }')
    checkOptions<RxQueueInfo>('setRxQueue', rxq, RXQ_KEYS)
    call(() =>
      native.frameSetRxq(this.#h, {
        ifindex: optionalU32('ifindex', rxq.ifindex),
        queueIndex: optionalU32('queueIndex', rxq.queueIndex),
        fragSize: optionalU32('fragSize', rxq.fragSize),
      }),
    )
  }

  /** `xdp_convert_buff_to_frame`: writes the 40-byte xdp_frame at data_hard_start and hands the
   * pages over. This Frame is consumed; on ENOSPC it stays usable. */
  toXdpFrame(): XdpFrame {
    this.#checkOwned('toXdpFrame')
    this.#views.invalidate()
    return new XdpFrame(call(() => native.frameToXdpFrame(this.#h)))
  }

  /** `xdp_return_buff`: every page goes back to its pool. Views are detached. */
  release(): void {
    this.#checkOwned('release')
    this.#views.invalidate()
    call(() => native.frameRelease(this.#h))
  }

  /** A batch of helper calls over `frames`, run in one native call. */
  static batch(frames: Frame[]): FrameBatch {
    return new FrameBatch(frames)
  }

  readonly #fetchSegment = (index: number): ArrayBuffer => call(() => native.frameSegmentView(this.#h, index))

  /** @internal A view at a packed location in this frame's segments (dynptr slices use it too). */
  regionView(loc: number, length: number): Uint8Array {
    return this.#views.regionView(loc, length, this.#fetchSegment)
  }

  /** @internal */
  invalidateViews(): void {
    this.#views.invalidate()
  }
}

/** Batch opcodes; the numbers are the engine's. */
const OP = {
  getBuffLen: 0,
  adjustHead: 1,
  adjustMeta: 2,
  adjustTail: 3,
  loadBytes: 4,
  storeBytes: 5,
  pointer: 6,
  pullData: 7,
  adjustData: 8,
} as const
const OP_WORDS = 5
const CHANGES_GEOMETRY = new Set<number>([OP.adjustHead, OP.adjustMeta, OP.adjustTail, OP.pullData, OP.adjustData])

export type BatchOpName = keyof typeof OP

/**
 * Many helper calls over many frames, run in one native call. Record operations once, run them as
 * often as needed: `run()` returns each operation's result as the kernel helper would return it
 * (0 or a negative errno; the length for `getBuffLen`; segment + 1 or 0 for `pointer`; the segment
 * offset for `adjustData`), and `bytes(op)` gives what a `loadBytes` read.
 */
export class FrameBatch {
  readonly #frames: Frame[]
  readonly #h: BatchHandle = native.batchCreate()
  /** `[results (cap) | ops (cap × 5)]`, one array so one argument crosses per run. */
  #words = new Int32Array(64 * (OP_WORDS + 1))
  #cap = 64
  #count = 0
  #results = this.#words.subarray(0, 0)
  #data = Buffer.alloc(4096)
  #dataUsed = 0
  /** Bumped whenever the recorded operations change: the engine re-validates only then. */
  #generation = 0
  #changesGeometry = false

  constructor(frames: Frame[]) {
    if (!Array.isArray(frames) || frames.some((f) => !(f instanceof Frame))) throw new UxdpError('EINVAL', 'a batch takes an array of Frames')
    this.#frames = frames.slice()
    for (const f of this.#frames) call(() => native.batchAdd(this.#h, f.handle))
  }

  /** Number of recorded operations. */
  get size(): number {
    return this.#count
  }

  getBuffLen(frame: number): number {
    return this.#record(OP.getBuffLen, frame, 0, 0, 0)
  }
  adjustHead(frame: number, delta: number): number {
    return this.#record(OP.adjustHead, frame, checkI32('delta', delta), 0, 0)
  }
  adjustMeta(frame: number, delta: number): number {
    return this.#record(OP.adjustMeta, frame, checkI32('delta', delta), 0, 0)
  }
  adjustTail(frame: number, delta: number): number {
    return this.#record(OP.adjustTail, frame, checkI32('delta', delta), 0, 0)
  }
  pullData(frame: number, length: number): number {
    return this.#record(OP.pullData, frame, checkInt31('length', length), 0, 0)
  }
  adjustData(frame: number, offset: number): number {
    return this.#record(OP.adjustData, frame, checkInt31('offset', offset), 0, 0)
  }
  pointer(frame: number, offset: number, length: number): number {
    return this.#record(OP.pointer, frame, checkInt31('offset', offset), checkInt31('length', length), 0)
  }
  loadBytes(frame: number, offset: number, length: number): number {
    const at = this.#reserve(checkInt31('length', length))
    return this.#record(OP.loadBytes, frame, checkInt31('offset', offset), length, at)
  }
  storeBytes(frame: number, offset: number, bytes: Uint8Array): number {
    checkBytes('bytes', bytes)
    const at = this.#reserve(bytes.length)
    this.#data.set(bytes, at)
    return this.#record(OP.storeBytes, frame, checkInt31('offset', offset), bytes.length, at)
  }

  /** Runs every recorded operation in order, in one native call. The returned array is reused by
   * the next run. */
  run(): Int32Array {
    if (this.#changesGeometry) for (const f of this.#frames) f.invalidateViews()
    call(() => native.batchRun(this.#h, this.#words, this.#count, this.#data, this.#generation))
    return this.#results
  }

  /** Runs the recorded operations `iterations` times in a loop inside the engine and returns
   * nanoseconds per run: the native baseline for judging what crossing from JS costs. */
  timeNativeLoop(iterations: number): number {
    checkInt('iterations', iterations, 1, 0x7fffffff)
    if (this.#changesGeometry) for (const f of this.#frames) f.invalidateViews()
    return call(() => native.batchTimeNativeLoop(this.#h, this.#words, this.#count, this.#data, iterations))
  }

  /** The bytes a `loadBytes` operation read in the last run (a view, overwritten by the next). */
  bytes(op: number): Buffer {
    checkInt('op', op, 0, this.#count - 1)
    const rec = this.#cap + op * OP_WORDS
    if (this.#words[rec] !== OP.loadBytes) throw new UxdpError('EINVAL', `operation ${op} is not a loadBytes`)
    return this.#data.subarray(this.#words[rec + 4], this.#words[rec + 4] + this.#words[rec + 3])
  }

  /** Forgets the recorded operations. */
  clear(): void {
    this.#count = 0
    this.#dataUsed = 0
    this.#changesGeometry = false
    this.#results = this.#words.subarray(0, 0)
    this.#generation++
  }

  #record(op: number, frame: number, a: number, b: number, c: number): number {
    checkInt('frame', frame, 0, this.#frames.length - 1)
    if (this.#count === this.#cap) {
      const cap = this.#cap * 2
      const words = new Int32Array(cap * (OP_WORDS + 1))
      words.set(this.#words.subarray(this.#cap, this.#cap + this.#count * OP_WORDS), cap)
      this.#words = words
      this.#cap = cap
    }
    this.#words.set([op, frame, a, b, c], this.#cap + this.#count * OP_WORDS)
    if (CHANGES_GEOMETRY.has(op)) this.#changesGeometry = true
    this.#count++
    this.#results = this.#words.subarray(0, this.#count)
    this.#generation++
    return this.#count - 1
  }

  #reserve(length: number): number {
    const at = this.#dataUsed
    if (at + length > this.#data.length) {
      const grown = Buffer.alloc(Math.max(this.#data.length * 2, at + length))
      this.#data.copy(grown, 0, 0, at)
      this.#data = grown
    }
    this.#dataUsed += length
    return at
  }
}

/** Batch records hold i32 words, so offsets and lengths are limited to 2^31 - 1 there. */
function checkInt31(name: string, v: unknown): number {
  return checkInt(name, v, 0, 0x7fffffff)
}

/** `struct xdp_frame`: a buffer on its way out (XDP_TX, XDP_REDIRECT, cpumap). Its 40 bytes live at
 * `data_hard_start` in the head page. */
export class XdpFrame {
  #h: XdpFrameHandle

  /** @internal */
  constructor(handle: XdpFrameHandle) {
    this.#h = handle
  }

  #info() {
    return call(() => native.xdpFrameInfo(this.#h))
  }

  /** `xdpf->len`: linear bytes. */
  get length(): number {
    return this.#info().length
  }
  /** `xdp_get_frame_len`: linear plus frags. */
  get frameLength(): number {
    return this.#info().frameLength
  }
  /** `xdpf->headroom`: bytes between the frame struct and data. */
  get headroom(): number {
    return this.#info().headroom
  }
  get metasize(): number {
    return this.#info().metasize
  }
  get frameSize(): number {
    return this.#info().frameSize
  }
  get flags(): number {
    return this.#info().flags
  }
  /** `enum xdp_mem_type` (2 = MEM_TYPE_PAGE_POOL). */
  get memType(): number {
    return this.#info().memType
  }
  get nrFrags(): number {
    return this.#info().nrFrags
  }
  get fragsSize(): number {
    return this.#info().fragsSize
  }
  get released(): boolean {
    return native.xdpFrameReleased(this.#h)
  }
  /** `xdpf->data` as written into the frame (a synthetic kernel address). */
  dataAddr(): bigint {
    return this.#info().dataAddr
  }
  /** The 40 bytes of `struct xdp_frame`. */
  raw(): Buffer {
    return call(() => native.xdpFrameRaw(this.#h))
  }
  meta(): Buffer {
    return call(() => native.xdpFrameMeta(this.#h))
  }
  /** The metadata key/value store, read-only. */
  get metadata(): MetadataStore {
    return new MetadataStore(xdpFrameMetadataBackend(this.#h))
  }
  frags(): FragInfo[] {
    return call(() => native.xdpFrameFrags(this.#h))
  }
  toBytes(): Buffer {
    return call(() => native.xdpFrameToBytes(this.#h))
  }

  /** `xdp_convert_frame_to_buff`, as cpumap/devmap do before a second program. The new buffer's
   * queue has no frag size unless given (so frags cannot grow there, as in the kernel). */
  toFrame(rxq: RxQueueInfo = {}): Frame {
    checkOptions<RxQueueInfo>('toFrame', rxq, RXQ_KEYS)
    const q = {
      ifindex: optionalU32('ifindex', rxq.ifindex),
      queueIndex: optionalU32('queueIndex', rxq.queueIndex),
      fragSize: optionalU32('fragSize', rxq.fragSize),
    }
    return new Frame(call(() => native.xdpFrameToBuff(this.#h, q)))
  }

  /** `__xdp_build_skb_from_frame`: an skb around the same memory, frags kept in place, then
   * `eth_type_trans` for the receiving device. */
  toSkb(dev: { ifindex?: number; devAddr?: Uint8Array } = {}): Skb {
    checkOptions<{ ifindex: number; devAddr: Uint8Array }>('toSkb', dev, ['ifindex', 'devAddr'])
    const ifindex = checkU32('ifindex', dev.ifindex ?? 1)
    const devAddr = dev.devAddr === undefined ? undefined : Buffer.from(checkBytes('devAddr', dev.devAddr))
    return new Skb(call(() => native.xdpFrameToSkb(this.#h, { ifindex, devAddr })))
  }

  /** `xdp_return_frame`: pages back to their pools. */
  release(): void {
    call(() => native.xdpFrameRelease(this.#h))
  }
}

export const PACKET_HOST = 0
export const PACKET_BROADCAST = 1
export const PACKET_MULTICAST = 2
export const PACKET_OTHERHOST = 3

export interface SkbInfo {
  /** Bytes from data (after the Ethernet header) to the end of the frags. */
  len: number
  /** Bytes in frags. */
  dataLen: number
  headlen: number
  truesize: number
  /** Host-order EtherType (0x0800 for IPv4). */
  protocol: number
  pktType: number
  metaLen: number
  nrFrags: number
  pfmemalloc: boolean
  ifindex: number
}

/** An `sk_buff` built around an xdp_frame's memory, as on the XDP_PASS path. */
export class Skb {
  #h: SkbHandle
  /** Views into the head (dynptr slices); detached before a write may reallocate it. */
  readonly #views = new ViewRegistry(this)

  /** @internal */
  constructor(handle: SkbHandle) {
    this.#h = handle
  }

  /** @internal */
  get handle(): SkbHandle {
    return this.#h
  }

  readonly #fetchRegion = (region: number): ArrayBuffer => call(() => native.skbRegionView(this.handle, region))

  /** @internal A view at a packed location in the linear part or the metadata. */
  regionView(loc: number, length: number): Uint8Array {
    return this.#views.regionView(loc, length, this.#fetchRegion)
  }

  /** @internal */
  invalidateViews(): void {
    this.#views.invalidate()
  }

  info(): SkbInfo {
    return call(() => native.skbInfo(this.#h))
  }
  frags(): FragInfo[] {
    return call(() => native.skbFrags(this.#h))
  }
  meta(): Buffer {
    return call(() => native.skbMeta(this.#h))
  }
  /** The metadata (`skb_metadata_len` bytes) as a key/value store, read-only. */
  get metadata(): MetadataStore {
    return new MetadataStore(skbMetadataBackend(this.#h))
  }
  macHeader(): Buffer {
    return call(() => native.skbMacHeader(this.#h))
  }
  /** The raw skb_shared_info bytes. */
  sharedInfo(): Buffer {
    return call(() => native.skbSharedInfo(this.#h))
  }
  /** Bytes from data to the end (Ethernet header already pulled). */
  toBytes(): Buffer {
    return call(() => native.skbToBytes(this.#h))
  }
  /** The frame as on the wire: Ethernet header and payload. */
  frameBytes(): Buffer {
    return call(() => native.skbFrameBytes(this.#h))
  }
  get released(): boolean {
    return native.skbReleased(this.#h)
  }
  /** `consume_skb`: pages back to their pools. */
  release(): void {
    this.#views.invalidate()
    call(() => native.skbRelease(this.#h))
  }
}
