import { Program } from './bpf'
import { call, checkBool, checkInt, checkOptions, checkU32, describe, optBool, optString, UxdpError } from './errors'
import { Frame } from './frame'
import { HostNet, type NetnsRef } from './hostnet'
import { KV_KEY_HW_HASH, KV_KEY_HW_TIMESTAMP, MetadataKeyRegistry, type MetadataStore } from './kvstore'
import { native } from './native'

/** XDP actions (`enum xdp_action`), as the engine's XDP contract defines them. */
export const XDP_ABORTED: number = native.XDP_ABORTED
export const XDP_DROP: number = native.XDP_DROP
export const XDP_PASS: number = native.XDP_PASS
export const XDP_TX: number = native.XDP_TX
export const XDP_REDIRECT: number = native.XDP_REDIRECT

export type XdpFeature = 'basic' | 'redirect' | 'ndo-xmit' | 'xsk-zerocopy' | 'hw-offload' | 'rx-sg' | 'ndo-xmit-sg'
export type RxMetadataFeature = 'timestamp' | 'hash' | 'vlan-tag'
/** What a program can declare it needs at attach: actions, or features by name. */
export type XdpNeed = 'tx' | 'redirect' | XdpFeature

// The bits by name, from the engine's XDP contract (no table of their own here).
const FEATURE_BITS = Object.fromEntries(native.xdpFeatureBits().map((b) => [b.name, b.bit])) as Record<XdpFeature, number>
const RX_METADATA_BITS = Object.fromEntries(native.xdpRxMetadataBits().map((b) => [b.name, b.bit])) as Record<RxMetadataFeature, number>

/** The bits under the uapi's enumerator names (`ndo-xmit` is `NDO_XMIT`). */
function uapiNames<K extends string>(bits: Record<string, number>): Readonly<Record<K, number>> {
  return Object.fromEntries(Object.entries(bits).map(([name, bit]) => [name.toUpperCase().replace(/-/g, '_'), bit])) as Record<K, number>
}

/** `enum netdev_xdp_act`. */
export const NETDEV_XDP_ACT = uapiNames<'BASIC' | 'REDIRECT' | 'NDO_XMIT' | 'XSK_ZEROCOPY' | 'HW_OFFLOAD' | 'RX_SG' | 'NDO_XMIT_SG'>(FEATURE_BITS)

/** `enum netdev_xdp_rx_metadata`. */
export const NETDEV_XDP_RX_METADATA = uapiNames<'TIMESTAMP' | 'HASH' | 'VLAN_TAG'>(RX_METADATA_BITS)

function names<T extends string>(bits: Record<T, number>, mask: number): T[] {
  return (Object.keys(bits) as T[]).filter((k) => (mask & bits[k]) !== 0)
}

/** Upstream driver behaviours that look like bugs; each is reproduced unless turned off. */
export interface MvnetaQuirks {
  /** `xdp_frags_size` counts the 4 FCS bytes (the buffer length and the skb come out 4 too long). */
  fcsInFragsSize: boolean
  /** A frame straddling the end of a poll's budget is dropped (off: it carries over). */
  dropSplitFrames: boolean
  /** A failed DMA mapping in ndo_xdp_xmit unwinds `next_desc_to_proc` one short of the ring's
   * end and leaves the put index (off: exact rollback). */
  txUnwind: boolean
}

export interface MvnetaOptions {
  ifindex?: number
  /** 6 bytes, or "02:00:00:00:00:01". */
  mac?: Uint8Array | string
  /** 68..=9676 (default 1500). */
  mtu?: number
  /** RX queues in use, 1..=8 (default 1). */
  rxQueues?: number
  /** TX queues, 1..=8 (default 8; XDP uses `cpu % txQueues`). */
  txQueues?: number
  /** Descriptors per RX ring (at most 512, the default). */
  rxRingSize?: number
  /** Descriptors per TX ring (434..=1024, default 1024). */
  txRingSize?: number
  /** The RX metadata kfuncs the NIC implements (default all: hash, timestamp, VLAN tag with VLAN
   * stripping). `false` is the real mvneta, which implements none. */
  rxHints?: boolean | { hash?: boolean; timestamp?: boolean; vlan?: boolean }
  /** Hardware buffer management: the driver then refuses XDP. */
  hwbm?: boolean
  /** Overrides the advertised XDP features (models other drivers). */
  xdpFeatures?: number | XdpFeature[]
  quirks?: Partial<MvnetaQuirks>
  /** The CPU NAPI runs on (default 0). */
  cpu?: number
  /** NETIF_F_RXCSUM (default true). */
  rxChecksum?: boolean
  /** Keep transmitted frames for `drainTx` (default true). */
  captureTx?: boolean
  /** Spread received frames over the RX queues by RSS hash (default: everything on queue 0). */
  rss?: boolean
  /** Pages each RX queue's pool may have out at once (memory pressure). */
  poolMaxInFlight?: number
  /** Packets the host stack queue holds before dropping (default 65536). */
  stackLimit?: number
  /** The largest frame the MAC takes (with its 2-byte header and FCS), instead of what the MTU
   * programs: only to reach driver paths a correctly configured MAC never exercises. */
  maxRxFrame?: number
  /** The registry programs resolve metadata key names through (`ctx.metadata`); default
   * `MetadataKeyRegistry.default`, shared by everything in the process like a deployment's. */
  metadataKeys?: MetadataKeyRegistry
}

const NIC_OPTION_KEYS = [
  'ifindex',
  'mac',
  'mtu',
  'rxQueues',
  'txQueues',
  'rxRingSize',
  'txRingSize',
  'rxHints',
  'hwbm',
  'xdpFeatures',
  'quirks',
  'cpu',
  'rxChecksum',
  'captureTx',
  'rss',
  'poolMaxInFlight',
  'stackLimit',
  'maxRxFrame',
  'metadataKeys',
] as const satisfies readonly (keyof MvnetaOptions)[]

/** Options of the NativeXdpProgram constructors. */
function fragsOption(what: string, options: unknown): boolean {
  return optBool('frags', checkOptions<{ frags: boolean }>(what, options, ['frags']).frags) ?? true
}

/** A packet the host stack received (XDP_PASS, or no program). */
export interface StackPacket {
  /** From the Ethernet header on, linear part and frags. */
  data: Buffer
  /** `skb->len` after `eth_type_trans` (the Ethernet header pulled). */
  len: number
  dataLen: number
  nrFrags: number
  protocol: number
  ipSummed: 'none' | 'unnecessary'
  pktType: number
  /** The VLAN tag the NIC stripped. */
  vlan?: { proto: number; tci: number }
  /** The XDP metadata the program left (skb_metadata). */
  meta: Buffer
}

export interface WireFrame {
  /** The frame as a capture shows it (no FCS; short frames padded to 60 bytes). */
  data: Buffer
  queue: number
}

export interface PollResult {
  rxPackets: number
  rxDescriptors: number
  txReclaimed: number
  redirect: { sent: number; devmapDrops: number; cpumapEnqueued: number; cpumapDrops: number; targetGone: number }
}

export interface MvnetaStats {
  /** `ethtool -S`: the MAC's MIB counters, then the driver's software counters, then page pool. */
  ethtool: Record<string, number>
  /** `ndo_get_stats64`. */
  stats64: { rx_packets: number; rx_bytes: number; tx_packets: number; tx_bytes: number; rx_dropped: number; rx_errors: number; tx_dropped: number }
  /** All the RX queues' page pools, old and current. */
  pagePool: { allocated: number; allocFast: number; recycled: number; released: number; allocFailed: number; inFlight: number }
  /** Events the kernel shows through tracepoints (`xdp:*`) or not at all. */
  diagnostics: Record<string, number>
}

export interface RingState {
  size: number
  nextDescToProc: number
  /** RX. */
  occupied?: number
  free?: number
  refillNum?: number
  /** TX. */
  count?: number
  pending?: number
  putIndex?: number
  getIndex?: number
  hwPending?: number
  stopped?: boolean
}

/** A descriptor's fields, from its 32 bytes (little-endian layout). */
export interface Descriptor {
  raw: Buffer
  /** RX: status; TX: command. */
  bits: number
  dataSize: number
  bufPhysAddr: number
  first: boolean
  last: boolean
}

const RX_FIRST = 1 << 27
const RX_LAST = 1 << 26
const TX_FIRST = 1 << 21
const TX_LAST = 1 << 20

type Target = Mvneta | { map: CpuMap; cpu: number }

/** The emulated NICs alive in this process, by ifindex: the "netns" a BPF program's
 * `bpf_redirect(ifindex)` looks its target up in (the last one made with an ifindex wins). */
const LIVE_NICS = new Map<number, WeakRef<Mvneta>>()

/** `BPF_MAP_TYPE_DEVMAP`: redirect targets by key. */
export class DevMap {
  readonly #entries = new Map<number, Mvneta>()
  constructor(readonly maxEntries = 64) {
    checkInt('maxEntries', maxEntries, 1, 0xffffffff)
  }
  set(key: number, nic: Mvneta): void {
    checkInt('key', key, 0, this.maxEntries - 1)
    if (!(nic instanceof Mvneta)) throw new UxdpError('EINVAL', 'a devmap entry is a Mvneta')
    this.#entries.set(key, nic)
  }
  get(key: number): Mvneta | undefined {
    return this.#entries.get(key)
  }
  delete(key: number): boolean {
    return this.#entries.delete(key)
  }
}

/** `BPF_MAP_TYPE_CPUMAP`: per-CPU queues a kthread turns into skbs. */
export class CpuMap {
  /** @internal */
  readonly handle: ReturnType<typeof native.cpumapCreate>
  constructor(readonly maxEntries = 64) {
    checkInt('maxEntries', maxEntries, 1, 4096)
    this.handle = call(() => native.cpumapCreate(maxEntries))
  }
  /** Entry `cpu` with a queue of `qsize` frames (0 deletes). E2BIG past maxEntries. */
  set(cpu: number, qsize: number): void {
    checkU32('cpu', cpu)
    checkU32('qsize', qsize)
    call(() => native.cpumapSet(this.handle, cpu, qsize))
  }
  entry(cpu: number): { qsize: number; queued: number; enqueued: number; drops: number; processed: number; skbErrors: number } | undefined {
    checkU32('cpu', cpu)
    return call(() => native.cpumapEntry(this.handle, cpu)) ?? undefined
  }
  /** Runs entry `cpu`'s kthread for up to `budget` frames; returns the packets it built. */
  run(cpu: number, budget = 8): StackPacket[] {
    checkU32('cpu', cpu)
    checkU32('budget', budget)
    return stackPackets(call(() => native.cpumapRun(this.handle, cpu, budget)))
  }
}

const STACK_WORDS = 10
const HINT_WORDS = 6

function stackPackets(b: { data: Buffer; words: number[]; meta: Buffer }): StackPacket[] {
  const out: StackPacket[] = []
  let at = 0
  let metaAt = 0
  for (let i = 0; i * STACK_WORDS < b.words.length; i++) {
    const w = b.words.slice(i * STACK_WORDS, (i + 1) * STACK_WORDS)
    const data = b.data.subarray(at, at + w[0])
    at += w[0]
    const meta = b.meta.subarray(metaAt, metaAt + w[9])
    metaAt += w[9]
    const p: StackPacket = {
      data,
      len: w[1],
      dataLen: w[2],
      nrFrags: w[3],
      protocol: w[4],
      ipSummed: w[5] === 1 ? 'unnecessary' : 'none',
      pktType: w[6],
      meta,
    }
    if (w[7] >= 0) p.vlan = { proto: w[7], tci: w[8] }
    out.push(p)
  }
  return out
}

/**
 * What an XDP program sees for one frame: the frame (with the Frame and Dynptr APIs), its RX
 * metadata through the kernel's `bpf_xdp_metadata_rx_*` semantics, and the redirect helpers.
 * Contexts are reused: keep nothing from one after the program returns.
 */
export class XdpContext {
  /** The frame, lent by the NIC for the duration of the program. */
  readonly frame: Frame
  readonly #nic: Mvneta
  #hints: Float64Array = new Float64Array(HINT_WORDS)
  #base = 0
  /** @internal the redirect target id, -1 when none. */
  target = -1

  /** @internal */
  constructor(nic: Mvneta, frame: Frame) {
    this.#nic = nic
    this.frame = frame
  }

  /** @internal */
  reset(hints: Float64Array, i: number): void {
    this.#hints = hints
    this.#base = i * HINT_WORDS
    this.target = -1
  }

  get ifindex(): number {
    return this.#nic.ifindex
  }

  /** The frame's metadata key/value store, resolving names through the NIC's registry. */
  get metadata(): MetadataStore {
    return this.frame.metadata.withRegistry(this.#nic.metadataKeys)
  }

  get rxQueueIndex(): number {
    return this.#hints[this.#base + 5]
  }

  #kfunc(bit: number, op: string): void {
    if ((this.#nic.rxMetadataMask & bit) === 0) throw new UxdpError('EOPNOTSUPP', "device driver doesn't implement kfunc", { op })
  }

  /** `bpf_xdp_metadata_rx_hash`: EOPNOTSUPP when the NIC does not implement it, ENODATA when
   * the frame has no hash (not IP). `rssType` is an `xdp_rss_hash_type`. */
  rxHash(): { hash: number; rssType: number } {
    this.#kfunc(NETDEV_XDP_RX_METADATA.HASH, 'bpf_xdp_metadata_rx_hash')
    const h = this.#hints[this.#base]
    if (h < 0) throw new UxdpError('ENODATA', 'no hash available for this frame', { op: 'bpf_xdp_metadata_rx_hash' })
    return { hash: h, rssType: this.#hints[this.#base + 1] }
  }

  /** `bpf_xdp_metadata_rx_timestamp`, ns. */
  rxTimestamp(): bigint {
    this.#kfunc(NETDEV_XDP_RX_METADATA.TIMESTAMP, 'bpf_xdp_metadata_rx_timestamp')
    const t = this.#hints[this.#base + 4]
    if (t < 0) throw new UxdpError('ENODATA', 'no timestamp available for this frame', { op: 'bpf_xdp_metadata_rx_timestamp' })
    return BigInt(t)
  }

  /** `bpf_xdp_metadata_rx_vlan_tag`: the tag the NIC stripped (protocol in host order here). */
  rxVlanTag(): { proto: number; tci: number } {
    this.#kfunc(NETDEV_XDP_RX_METADATA.VLAN_TAG, 'bpf_xdp_metadata_rx_vlan_tag')
    const p = this.#hints[this.#base + 2]
    if (p < 0) throw new UxdpError('ENODATA', 'no VLAN tag available for this frame', { op: 'bpf_xdp_metadata_rx_vlan_tag' })
    return { proto: p, tci: this.#hints[this.#base + 3] }
  }

  /** Writes the frame's RX hints (hash, VLAN tag, timestamp) into its metadata key/value store
   * under the well-known hardware keys, so they travel with the frame through XDP_REDIRECT and
   * into the skb. Skips hints the NIC does not implement or the frame lacks; returns how many
   * it stored. ENOSPC when the metadata area is full. */
  exportHints(): number {
    const store = this.metadata
    let n = 0
    const take = <T>(f: () => T): T | undefined => {
      try {
        return f()
      } catch (e) {
        if (e instanceof UxdpError && (e.code === 'ENODATA' || e.code === 'EOPNOTSUPP')) return undefined
        throw e
      }
    }
    const hash = take(() => this.rxHash())
    if (hash !== undefined) {
      store.set(KV_KEY_HW_HASH, { u32: hash.hash })
      n++
    }
    const vlan = take(() => this.rxVlanTag())
    if (vlan !== undefined) {
      store.setVlan(vlan)
      n++
    }
    const ts = take(() => this.rxTimestamp())
    if (ts !== undefined) {
      store.set(KV_KEY_HW_TIMESTAMP, { u64: ts })
      n++
    }
    return n
  }

  /** `bpf_redirect(ifindex, flags)`: XDP_REDIRECT to `nic`'s `ndo_xdp_xmit`; XDP_ABORTED for
   * any flag (XDP has none). */
  redirect(nic: Mvneta, flags = 0): number {
    if (flags !== 0) return XDP_ABORTED
    this.target = this.#nic.targetId(nic)
    return XDP_REDIRECT
  }

  /** `bpf_redirect_map`: XDP_REDIRECT to the entry, or, when the key has none, the action in the
   * lower two bits of `flags` (XDP_ABORTED by default). */
  redirectMap(map: DevMap | CpuMap, key: number, flags = 0): number {
    const entry = map instanceof DevMap ? map.get(key) : map.entry(key) !== undefined ? { map, cpu: key } : undefined
    if (entry === undefined) return flags & 3
    this.target = this.#nic.targetId(entry)
    return XDP_REDIRECT
  }
}

export type XdpProgramFunction = (ctx: XdpContext) => number

/** Programs that run inside the engine, without crossing into JavaScript per frame. */
export class NativeXdpProgram {
  private constructor(
    /** @internal */ readonly kind: 'verdict' | 'reflect' | 'redirect' | 'mix',
    /** `xdp.frags`: accepts multi-buffer frames. */ readonly frags: boolean,
    /** @internal */ readonly action?: number,
    /** @internal */ readonly target?: Target,
  ) {}
  /** Returns `action` for every frame. */
  static verdict(action: number, options: { frags?: boolean } = {}): NativeXdpProgram {
    checkU32('action', action)
    return new NativeXdpProgram('verdict', fragsOption('NativeXdpProgram.verdict', options), action)
  }
  static drop(options: { frags?: boolean } = {}): NativeXdpProgram {
    return NativeXdpProgram.verdict(XDP_DROP, options)
  }
  static pass(options: { frags?: boolean } = {}): NativeXdpProgram {
    return NativeXdpProgram.verdict(XDP_PASS, options)
  }
  /** Swaps the Ethernet addresses and sends the frame back out (XDP_TX). */
  static reflect(options: { frags?: boolean } = {}): NativeXdpProgram {
    return new NativeXdpProgram('reflect', fragsOption('NativeXdpProgram.reflect', options))
  }
  /** Redirects every frame to `target`. */
  static redirect(target: Target, options: { frags?: boolean } = {}): NativeXdpProgram {
    if (!(target instanceof Mvneta) && !(typeof target === 'object' && target !== null && target.map instanceof CpuMap)) {
      throw new UxdpError('EINVAL', `a redirect target is a Mvneta or { map: CpuMap, cpu }, got ${describe(target)}`)
    }
    return new NativeXdpProgram('redirect', fragsOption('NativeXdpProgram.redirect', options), undefined, target)
  }
  /** The main job's program (frags-aware): UDP to port 9 → DROP, 7 → TX (addresses swapped),
   * 4789 → REDIRECT to `target` (PASS without one), anything else → PASS. */
  static mix(target?: Target): NativeXdpProgram {
    return new NativeXdpProgram('mix', true, undefined, target)
  }
}

function macBytes(mac: Uint8Array | string): Buffer {
  if (typeof mac === 'string') {
    const parts = mac.split(':')
    if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new UxdpError('EINVAL', `bad MAC address ${mac}`)
    return Buffer.from(parts.map((p) => parseInt(p, 16)))
  }
  if (!(mac instanceof Uint8Array) || mac.length !== 6) throw new UxdpError('EINVAL', 'mac must be 6 bytes')
  return Buffer.from(mac)
}

const RX_ERRORS = { crc: 1, overrun: 2, length: 3, resource: 4 } as const
export type RxErrorKind = keyof typeof RX_ERRORS

/** A frame offered to the wire, with what the wire side should say about it. */
export interface OfferedFrame {
  data: Uint8Array
  timestampNs?: bigint
  error?: RxErrorKind
}

/**
 * An emulated Marvell NETA (mvneta) NIC with its Linux driver's XDP paths: descriptor rings,
 * multi-buffer RX over 3520-byte buffers, XDP_TX over one descriptor per buffer, redirects,
 * MTU and attach rules, XDP features, RX metadata hints, ethtool counters. Frames come in with
 * `offer`, a NAPI `poll` processes them, `stack()` and `drainTx()` show where they went.
 */
export class Mvneta {
  /** @internal */
  readonly handle: ReturnType<typeof native.nicCreate>
  #program: XdpProgramFunction | NativeXdpProgram | Program | null = null
  #slots: Frame[] = []
  #contexts: XdpContext[] = []
  #hints = new Float64Array(0)
  #verdicts = new Int32Array(0)
  #offerScratch = new Uint8Array(64 * 1024)
  readonly #targets = new Map<Mvneta | CpuMap, Map<number, number> | number>()
  #closed = false
  #rxMetadataMask: number
  #ifindex: number
  #rxRingSize: number
  /** Metadata key names, as the NIC's programs resolve them. */
  readonly metadataKeys: MetadataKeyRegistry

  constructor(options: MvnetaOptions = {}) {
    options = checkOptions<MvnetaOptions>('Mvneta', options, NIC_OPTION_KEYS)
    if (options.metadataKeys !== undefined && !(options.metadataKeys instanceof MetadataKeyRegistry)) {
      throw new UxdpError('EINVAL', `metadataKeys must be a MetadataKeyRegistry, got ${describe(options.metadataKeys)}`)
    }
    this.metadataKeys = options.metadataKeys ?? MetadataKeyRegistry.default
    const hints = options.rxHints
    let rxHints: number | undefined
    if (hints === false) rxHints = 0
    else if (typeof hints === 'object' && hints !== null && !Array.isArray(hints)) {
      const h = checkOptions<{ hash: boolean; timestamp: boolean; vlan: boolean }>('rxHints', hints, ['hash', 'timestamp', 'vlan'])
      rxHints =
        (optBool('rxHints.hash', h.hash) === false ? 0 : 2) | (optBool('rxHints.timestamp', h.timestamp) === false ? 0 : 1) | (optBool('rxHints.vlan', h.vlan) === false ? 0 : 4)
    } else if (hints !== undefined && hints !== true) throw new UxdpError('EINVAL', `rxHints must be a boolean or { hash, timestamp, vlan }, got ${describe(hints)}`)
    let xdpFeatures: number | undefined
    if (Array.isArray(options.xdpFeatures)) {
      xdpFeatures = 0
      for (const f of options.xdpFeatures) {
        if (typeof f !== 'string' || !(f in FEATURE_BITS)) throw new UxdpError('EINVAL', `unknown XDP feature ${String(f)}; the features are ${Object.keys(FEATURE_BITS).join(', ')}`)
        xdpFeatures |= FEATURE_BITS[f]
      }
    } else if (options.xdpFeatures !== undefined) xdpFeatures = checkU32('xdpFeatures', options.xdpFeatures)
    const u32 = (name: string, v: number | undefined) => (v === undefined ? undefined : checkU32(name, v))
    const q = checkOptions<MvnetaQuirks>('quirks', options.quirks, ['fcsInFragsSize', 'dropSplitFrames', 'txUnwind'])
    this.handle = call(() =>
      native.nicCreate({
        ifindex: u32('ifindex', options.ifindex),
        mac: options.mac === undefined ? undefined : macBytes(options.mac),
        mtu: u32('mtu', options.mtu),
        rxQueues: u32('rxQueues', options.rxQueues),
        txQueues: u32('txQueues', options.txQueues),
        rxRingSize: u32('rxRingSize', options.rxRingSize),
        txRingSize: u32('txRingSize', options.txRingSize),
        rxHints,
        hwbm: optBool('hwbm', options.hwbm),
        xdpFeatures,
        quirks: {
          fcsInFragsSize: optBool('quirks.fcsInFragsSize', q.fcsInFragsSize),
          dropSplitFrames: optBool('quirks.dropSplitFrames', q.dropSplitFrames),
          txUnwind: optBool('quirks.txUnwind', q.txUnwind),
        },
        cpu: u32('cpu', options.cpu),
        rxCsum: optBool('rxChecksum', options.rxChecksum),
        captureTx: optBool('captureTx', options.captureTx),
        rss: optBool('rss', options.rss),
        poolMaxInFlight: u32('poolMaxInFlight', options.poolMaxInFlight),
        stackLimit: u32('stackLimit', options.stackLimit),
        maxRxFrame: u32('maxRxFrame', options.maxRxFrame),
      }),
    )
    const info = call(() => native.nicInfo(this.handle))
    this.#rxMetadataMask = info.rxMetadataFeatures
    this.#ifindex = info.ifindex
    LIVE_NICS.set(this.#ifindex, new WeakRef(this))
    this.#rxRingSize = info.rxRingSize
  }

  #info() {
    return call(() => native.nicInfo(this.handle))
  }

  get ifindex(): number {
    return this.#ifindex
  }
  get mtu(): number {
    return this.#info().mtu
  }
  get up(): boolean {
    return this.#info().up
  }
  /** `dev->xdp_features` (mvneta: 0x67). */
  get xdpFeaturesMask(): number {
    return this.#info().xdpFeatures
  }
  /** `NETDEV_A_DEV_XDP_RX_METADATA_FEATURES`. */
  get rxMetadataMask(): number {
    return this.#rxMetadataMask
  }

  /** What `ynl --family netdev --do dev-get` would say about the device. */
  features(): { xdp: XdpFeature[]; xdpMask: number; rxMetadata: RxMetadataFeature[]; rxMetadataMask: number } {
    const i = this.#info()
    return {
      xdp: names(FEATURE_BITS, i.xdpFeatures),
      xdpMask: i.xdpFeatures,
      rxMetadata: names(RX_METADATA_BITS, i.rxMetadataFeatures),
      rxMetadataMask: i.rxMetadataFeatures,
    }
  }

  /** @internal A redirect target id for this NIC's verdicts. */
  targetId(target: Target): number {
    if (target instanceof Mvneta) {
      if (target.#closed) throw new UxdpError('ENODEV', 'redirect target NIC was closed')
      let id = this.#targets.get(target)
      if (id === undefined) {
        id = call(() => native.nicTargetDevice(this.handle, target.handle))
        this.#targets.set(target, id)
      }
      return id as number
    }
    let perCpu = this.#targets.get(target.map) as Map<number, number> | undefined
    if (perCpu === undefined) this.#targets.set(target.map, (perCpu = new Map()))
    let id = perCpu.get(target.cpu)
    if (id === undefined) {
      id = call(() => native.nicTargetCpu(this.handle, target.map.handle, target.cpu))
      perCpu.set(target.cpu, id)
    }
    return id
  }

  /**
   * `ip link set dev X xdp obj ...`: attaches `program` (a function run per frame from JS, a
   * NativeXdpProgram, or null to detach). A program without frags support is refused with
   * EOPNOTSUPP ("prog does not support XDP frags") while the MTU exceeds one 3520-byte buffer;
   * `needs` lists actions or features the program relies on, refused at attach (EOPNOTSUPP,
   * naming what is missing) rather than dropping frames later. A loaded BPF `Program`'s needs are
   * also inferred from what the verifier saw it do (`inspect(program).needs`): a need this device
   * or a devmap entry's device lacks is refused the same way, the message naming the feature and
   * the instruction ("device lacks XDP feature redirect, which insn 9 needs (bpf_redirect_map#51
   * into cpumap 'cpus')"); `inferNeeds: false` attaches anyway, as the kernel does. Attaching where there was none,
   * or detaching, restarts the port: frames on the rings are dropped. `host` (with `netns`) is the
   * host's sockets and routes a BPF `Program`'s socket-lookup, FIB, MTU and syncookie helpers ask;
   * add this NIC's ifindex to it as a device (bpf_check_mtu with ifindex 0 reads its MTU there).
   */
  attachXdp(
    program: XdpProgramFunction | NativeXdpProgram | Program | null,
    options: { frags?: boolean; needs?: XdpNeed[]; inferNeeds?: boolean; host?: HostNet; netns?: NetnsRef } = {},
  ): void {
    this.#checkOpen()
    checkOptions<{ frags: boolean; needs: XdpNeed[]; inferNeeds: boolean; host: HostNet; netns: NetnsRef }>('attachXdp', options, ['frags', 'needs', 'inferNeeds', 'host', 'netns'])
    if (options.host !== undefined && !(options.host instanceof HostNet)) throw new UxdpError('EINVAL', `attachXdp: host must be a HostNet, got ${describe(options.host)}`)
    optBool('frags', options.frags)
    optBool('inferNeeds', options.inferNeeds)
    if (options.needs !== undefined && !Array.isArray(options.needs)) throw new UxdpError('EINVAL', `needs must be an array of actions or feature names, got ${describe(options.needs)}`)
    if (program === null) {
      call(() => native.nicDetach(this.handle))
      this.#program = null
      return
    }
    let needs = 0
    for (const n of options.needs ?? []) {
      if (n === 'tx') needs |= FEATURE_BITS.basic
      else if (n in FEATURE_BITS) needs |= FEATURE_BITS[n as XdpFeature]
      else throw new UxdpError('EINVAL', `unknown need ${String(n)}`)
    }
    if (program instanceof NativeXdpProgram) {
      const frags = options.frags ?? program.frags
      const target = program.target === undefined ? undefined : this.targetId(program.target)
      call(() => native.nicAttach(this.handle, program.kind, program.action, frags, target, needs))
    } else if (program instanceof Program) {
      if (options.frags !== undefined && options.frags !== program.frags) {
        throw new UxdpError('EINVAL', `program '${program.name}' was loaded ${program.frags ? 'with' : 'without'} frags support (its section is '${program.section}')`)
      }
      const bindings = program.object.maps
        .filter((m) => [14, 16, 25].includes(m.type))
        .flatMap((m) => [...program.object.map(m.name).targets].map(([key, t]) => ({ map: m.name, key, target: this.targetId(t as Target) })))
      const devices = [...LIVE_NICS.values()].flatMap((ref) => {
        const nic = ref.deref()
        return nic && !nic.closed ? [{ ifindex: nic.ifindex, target: this.targetId(nic) }] : []
      })
      const host = options.host
      call(() => native.nicAttachBpf(this.handle, program.object.handle, program.name, bindings, devices, needs, options.inferNeeds, host?.handle, host?.netns(options.netns ?? 0)))
    } else if (typeof program === 'function') {
      call(() => native.nicAttach(this.handle, undefined, undefined, options.frags ?? false, undefined, needs))
    } else {
      throw new UxdpError('EINVAL', 'an XDP program is a function, a NativeXdpProgram, a loaded BPF Program or null')
    }
    this.#program = program
  }

  detachXdp(): void {
    this.attachXdp(null)
  }

  /** `ip link set mtu`: EINVAL outside 68..=9676, and above 3520 while a program without frags
   * support is attached. A running port restarts. */
  setMtu(mtu: number): void {
    this.#checkOpen()
    checkU32('mtu', mtu)
    call(() => native.nicSetMtu(this.handle, mtu))
  }

  /** `ip link set up/down`: down drops what is on the rings and gives every buffer back. */
  setUp(up: boolean): void {
    this.#checkOpen()
    call(() => native.nicSetUp(this.handle, checkBool('up', up)))
  }

  /** Holds the transmit side of the link (descriptors wait, TX rings fill) or lets it go. */
  setTxPaused(paused: boolean): void {
    this.#checkOpen()
    call(() => native.nicSetTxPaused(this.handle, checkBool('paused', paused)))
  }

  /** Fault injection: after `after` more successes, the next DMA mapping (ndo_xdp_xmit) or skb
   * allocation fails. */
  inject(fault: 'dmaMap' | 'skbAlloc', after = 0): void {
    this.#checkOpen()
    checkU32('after', after)
    call(() => native.nicInject(this.handle, fault, after))
  }

  /**
   * Frames arrive on the wire (without FCS; the MAC adds it). One crossing into the engine for
   * all of them. `queue` forces an RX queue. Returns how many the hardware took (the rest found
   * no free descriptor and count as `rx_discard`).
   */
  offer(frames: Uint8Array | OfferedFrame | Iterable<Uint8Array | OfferedFrame>, options: { queue?: number } = {}): number {
    this.#checkOpen()
    checkOptions<{ queue: number }>('offer', options, ['queue'])
    const queue = options.queue === undefined ? -1 : checkInt('queue', options.queue, 0, 7)
    const list: OfferedFrame[] = []
    let items: Iterable<Uint8Array | OfferedFrame>
    if (frames instanceof Uint8Array) items = [frames]
    else if (frames !== null && typeof frames === 'object' && Symbol.iterator in frames) items = frames
    else if (frames !== null && typeof frames === 'object' && 'data' in frames) items = [frames]
    else throw new UxdpError('EINVAL', 'offer takes a frame, a { data } object, or an iterable of them')
    for (const f of items) {
      const o: OfferedFrame = f instanceof Uint8Array ? { data: f } : (f as OfferedFrame)
      if (!(o.data instanceof Uint8Array)) throw new UxdpError('EINVAL', 'each frame is a Uint8Array or { data }')
      list.push(o)
    }
    if (list.length === 0) return 0
    const lengths = new Uint32Array(list.length)
    let total = 0
    for (let i = 0; i < list.length; i++) total += lengths[i] = list[i].data.length
    // Reused between calls: the engine copies the frames into its buffers before returning.
    if (this.#offerScratch.length < total) this.#offerScratch = new Uint8Array(Math.max(total, 2 * this.#offerScratch.length))
    const data = this.#offerScratch.subarray(0, total)
    let at = 0
    for (const o of list) {
      data.set(o.data, at)
      at += o.data.length
    }
    let timestamps: Float64Array | undefined
    let errors: Uint8Array | undefined
    for (let i = 0; i < list.length; i++) {
      const o = list[i]
      if (o.timestampNs !== undefined) {
        timestamps ??= new Float64Array(list.length).fill(-1)
        timestamps[i] = Number(o.timestampNs)
      }
      if (o.error !== undefined) {
        if (!(o.error in RX_ERRORS)) throw new UxdpError('EINVAL', `unknown RX error ${String(o.error)}`)
        errors ??= new Uint8Array(list.length)
        errors[i] = RX_ERRORS[o.error]
      }
    }
    return call(() => native.nicOffer(this.handle, data, lengths, queue, timestamps, errors))
  }

  /**
   * The host stack sends packets (`ndo_start_xmit`, linear packets): each takes one TX descriptor,
   * with the IPv4 and TCP/UDP checksums left to the MAC when `checksumOffload` (CHECKSUM_PARTIAL).
   * The queue stops at its stop threshold (ring size - 217) and wakes when completions bring it to
   * half that: returns how many packets the driver took (the rest stay with the caller, as
   * NETDEV_TX_BUSY leaves them in the qdisc). ENETDOWN when down.
   */
  transmit(frames: Uint8Array | Iterable<Uint8Array>, options: { checksumOffload?: boolean } = {}): number {
    this.#checkOpen()
    const { checksumOffload } = checkOptions<{ checksumOffload: boolean }>('transmit', options, ['checksumOffload'])
    optBool('checksumOffload', checksumOffload)
    if (!(frames instanceof Uint8Array) && (frames === null || typeof frames !== 'object' || !(Symbol.iterator in frames))) {
      throw new UxdpError('EINVAL', `transmit takes a packet or an iterable of packets, got ${describe(frames)}`)
    }
    const list = frames instanceof Uint8Array ? [frames] : [...frames]
    if (list.length === 0) return 0
    const lengths = new Uint32Array(list.length)
    let total = 0
    for (let i = 0; i < list.length; i++) {
      if (!(list[i] instanceof Uint8Array)) throw new UxdpError('EINVAL', 'each packet is a Uint8Array')
      total += lengths[i] = list[i].length
    }
    const data = Buffer.allocUnsafe(total)
    let at = 0
    for (const f of list) {
      data.set(f, at)
      at += f.length
    }
    return call(() => native.nicTransmit(this.handle, data, lengths, checksumOffload ?? false))
  }

  #ensureSlots(n: number): void {
    while (this.#slots.length < n) {
      const i = this.#slots.length
      const frame = Frame.lent(call(() => native.nicSlot(this.handle, i)))
      this.#slots.push(frame)
      this.#contexts.push(new XdpContext(this, frame))
    }
    if (this.#hints.length < n * HINT_WORDS) this.#hints = new Float64Array(n * HINT_WORDS)
    if (this.#verdicts.length < n * 2) this.#verdicts = new Int32Array(n * 2)
  }

  /**
   * One NAPI poll: TX completions, then up to `budget` RX descriptors of the highest-numbered
   * RX queue with frames; XDP runs once per complete frame. A JavaScript program runs on the
   * whole batch between two crossings into the engine. If it throws, that frame is ABORTED and,
   * once the poll has finished, the first error is rethrown.
   */
  poll(budget = 64): PollResult {
    this.#checkOpen()
    checkInt('budget', budget, 1, 0x7fffffff)
    const prog = this.#program
    if (typeof prog !== 'function') return pollResult(call(() => native.nicPoll(this.handle, budget)))
    const n = Math.min(budget, this.#rxRingSize)
    this.#ensureSlots(n)
    const count = call(() => native.nicPollBegin(this.handle, budget, this.#hints))
    const verdicts = this.#verdicts
    let error: unknown
    let failed = false
    for (let i = 0; i < count; i++) {
      const ctx = this.#contexts[i]
      ctx.reset(this.#hints, i)
      let action: number
      try {
        action = prog(ctx)
      } catch (e) {
        if (!failed) {
          failed = true
          error = e
        }
        action = XDP_ABORTED
      }
      verdicts[2 * i] = Number.isInteger(action) && action >= 0 && action <= 0x7fffffff ? action : -1
      verdicts[2 * i + 1] = ctx.target
    }
    let result
    try {
      result = call(() => native.nicPollEnd(this.handle, verdicts.subarray(0, 2 * count)))
    } finally {
      for (let i = 0; i < count; i++) this.#slots[i].invalidateViews()
    }
    if (failed) throw error
    return pollResult(result)
  }

  /** Polls until the RX rings are empty (at most `maxPolls` times); totals. */
  run(options: { budget?: number; maxPolls?: number } = {}): PollResult {
    const total: PollResult = { rxPackets: 0, rxDescriptors: 0, txReclaimed: 0, redirect: { sent: 0, devmapDrops: 0, cpumapEnqueued: 0, cpumapDrops: 0, targetGone: 0 } }
    const o = checkOptions<{ budget: number; maxPolls: number }>('run', options, ['budget', 'maxPolls'])
    const max = o.maxPolls === undefined ? 1_000_000 : checkInt('maxPolls', o.maxPolls, 0, 0x7fffffff)
    const budget = o.budget === undefined ? 64 : checkInt('budget', o.budget, 1, 0x7fffffff)
    for (let i = 0; i < max; i++) {
      const r = this.poll(budget)
      total.rxPackets += r.rxPackets
      total.rxDescriptors += r.rxDescriptors
      total.txReclaimed += r.txReclaimed
      for (const k of Object.keys(total.redirect) as (keyof PollResult['redirect'])[]) total.redirect[k] += r.redirect[k]
      if (r.rxDescriptors === 0 && r.txReclaimed === 0) break
    }
    return total
  }

  /** Frames the NIC put on the wire since the last call. */
  drainTx(): WireFrame[] {
    this.#checkOpen()
    const b = call(() => native.nicTakeTx(this.handle))
    const out: WireFrame[] = []
    let at = 0
    for (let i = 0; i * 2 < b.words.length; i++) {
      const len = b.words[2 * i]
      out.push({ data: b.data.subarray(at, at + len), queue: b.words[2 * i + 1] })
      at += len
    }
    return out
  }

  /** Packets the host stack received, oldest first (taken from its queue). */
  stack(max = 0xffffffff): StackPacket[] {
    this.#checkOpen()
    checkU32('max', max)
    return stackPackets(call(() => native.nicTakeStack(this.handle, max)))
  }

  /** Every counter; still readable once the NIC is closed. */
  stats(): MvnetaStats {
    const entries = call(() => native.nicStats(this.handle))
    const ethtool: Record<string, number> = {}
    const diagnostics: Record<string, number> = {}
    const rest: Record<string, number> = {}
    for (const { name, value } of entries) {
      if (name.startsWith('xdp:') || name.startsWith('diag.')) diagnostics[name.replace(/^diag\./, '')] = value
      else if (name.startsWith('page_pool.')) rest[name] = value
      else if (['rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes', 'rx_dropped', 'rx_errors', 'tx_dropped'].includes(name)) rest[name] = value
      else ethtool[name] = value
    }
    return {
      ethtool,
      stats64: {
        rx_packets: rest.rx_packets,
        rx_bytes: rest.rx_bytes,
        tx_packets: rest.tx_packets,
        tx_bytes: rest.tx_bytes,
        rx_dropped: rest.rx_dropped,
        rx_errors: rest.rx_errors,
        tx_dropped: rest.tx_dropped,
      },
      pagePool: {
        allocated: rest['page_pool.allocated'],
        allocFast: rest['page_pool.alloc_fast'],
        recycled: rest['page_pool.recycled'],
        released: rest['page_pool.released'],
        allocFailed: rest['page_pool.alloc_failed'],
        inFlight: rest['page_pool.in_flight'],
      },
      diagnostics,
    }
  }

  /** A ring's indexes and counters. */
  ring(kind: 'rx' | 'tx', queue = 0): RingState {
    this.#checkOpen()
    optString('kind', kind ?? null, ['rx', 'tx'])
    checkInt('queue', queue, 0, 7)
    const r = call(() => native.nicRing(this.handle, kind === 'tx', queue, -1))
    if (Buffer.isBuffer(r)) throw new UxdpError('EFAULT', 'unexpected descriptor bytes')
    return kind === 'rx'
      ? { size: r.size, nextDescToProc: r.nextDescToProc, occupied: r.a, free: r.b, refillNum: r.c }
      : { size: r.size, nextDescToProc: r.nextDescToProc, count: r.a, pending: r.b, putIndex: r.c, getIndex: r.d, hwPending: r.hwPending, stopped: r.stopped }
  }

  /** Descriptor `index` of a ring, decoded from its 32 little-endian bytes. */
  descriptor(kind: 'rx' | 'tx', queue: number, index: number): Descriptor {
    this.#checkOpen()
    optString('kind', kind ?? null, ['rx', 'tx'])
    checkInt('queue', queue, 0, 7)
    checkU32('index', index)
    const raw = call(() => native.nicRing(this.handle, kind === 'tx', queue, index))
    if (!Buffer.isBuffer(raw)) throw new UxdpError('EFAULT', 'expected descriptor bytes')
    const bits = raw.readUInt32LE(0)
    return {
      raw,
      bits,
      dataSize: raw.readUInt16LE(6),
      bufPhysAddr: raw.readUInt32LE(8),
      first: (bits & (kind === 'rx' ? RX_FIRST : TX_FIRST)) !== 0,
      last: (bits & (kind === 'rx' ? RX_LAST : TX_LAST)) !== 0,
    }
  }

  /** Shuts the NIC down for good: every buffer back to its pool, queues emptied. */
  close(): void {
    if (this.#closed) return
    call(() => native.nicClose(this.handle))
    this.#closed = true
    if (LIVE_NICS.get(this.#ifindex)?.deref() === this) LIVE_NICS.delete(this.#ifindex)
  }

  get closed(): boolean {
    return this.#closed
  }

  #checkOpen(): void {
    if (this.#closed) throw new UxdpError('EINVAL', 'the NIC was closed')
  }

  /** Runs the attached native program's poll `rounds` times inside the engine; ns per poll
   * (the baseline JavaScript programs are compared with). */
  timeNativePoll(budget: number, rounds: number): number {
    this.#checkOpen()
    return call(() => native.nicTimeNativePoll(this.handle, checkInt('budget', budget, 1, 0x7fffffff), checkInt('rounds', rounds, 1, 0x7fffffff)))
  }
}

function pollResult(r: ReturnType<typeof native.nicPoll>): PollResult {
  return {
    rxPackets: r.rxPackets,
    rxDescriptors: r.rxDescriptors,
    txReclaimed: r.txReclaimed,
    redirect: { sent: r.redirectSent, devmapDrops: r.devmapDrops, cpumapEnqueued: r.cpumapEnqueued, cpumapDrops: r.cpumapDrops, targetGone: r.targetGone },
  }
}
