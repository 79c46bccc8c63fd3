import { call, checkInt, checkOptions, optBool, UxdpError } from './errors'
import { native, type FrameHandle, type SkbHandle, type XdpFrameHandle } from './native'

/**
 * A key/value store in the XDP metadata area, in the format proposed on the bpf-next "XDP rx hw
 * hints" thread: a 16-byte header (two little-endian u64 bitmaps, `hi` then `lo`) whose 2-bit code
 * per slot gives the size of that slot's value (00 absent, 01 2 bytes, 10 4 bytes, 11 8 bytes),
 * followed by the values in slot order and zero padding up to a multiple of 4. It occupies the whole
 * metadata area `[data_meta, data)`, so it travels with the frame through `toXdpFrame()` and
 * `toSkb()`.
 *
 * Keys are u64: 0–63 are slots, 0–60 for applications. {@link KV_KEY_HW_HASH},
 * {@link KV_KEY_HW_VLAN} and {@link KV_KEY_HW_TIMESTAMP} are slots 61–63 with fixed sizes. Any other
 * key is EINVAL. Capacity follows `bpf_xdp_adjust_meta`: the metadata may not come within 40 bytes
 * of `data_hard_start` nor exceed 255 bytes (252, a multiple of 4), so with the usual 256 bytes of
 * headroom the store holds 200 bytes of values (25 eight-byte or 50 four-byte values, or all 64
 * slots at 2 bytes); with more headroom, 236 bytes. Beyond that, ENOSPC.
 */

/** The RX hash: a u32, little-endian (slot 61). */
export const KV_KEY_HW_HASH = 0xfffffffffffffff0n
/** The RX VLAN tag, 4 bytes: the protocol (e.g. 0x8100) in network order, then the TCI little-endian
 * (slot 62). See {@link MetadataStore.getVlan}. */
export const KV_KEY_HW_VLAN = 0xfffffffffffffff1n
/** The RX timestamp: u64 nanoseconds, little-endian (slot 63). */
export const KV_KEY_HW_TIMESTAMP = 0xfffffffffffffff2n
/** Slots 0 to 60 are the applications'; a registry allocates only those. */
export const KV_APP_SLOTS = 61

/** A key: a bigint or number (a slot 0–63, or a well-known key), or a name in the store's registry. */
export type MetadataKey = bigint | number | string
/** A value: 2, 4 or 8 raw bytes, or an unsigned integer stored little-endian. */
export type MetadataValue = Uint8Array | { u16: number } | { u32: number } | { u64: bigint | number }
export type MetadataValueSize = 2 | 4 | 8

export interface MetadataKeyInfo {
  name: string
  key: bigint
  size: MetadataValueSize
}

const U64_MAX = 0xffffffffffffffffn
function isSize(size: unknown): size is MetadataValueSize {
  return size === 2 || size === 4 || size === 8
}

/**
 * Which application key means what, per deployment, so services need not hard-code ids (the
 * thread's registry idea): `register(name, size)` hands out the lowest free slot below 61, and
 * every store reading through this registry accepts the name as a key. With `strict: true`, a store
 * refuses to set application keys no one registered (ENOENT). A registered key always takes its
 * registered size (EINVAL otherwise). `MetadataKeyRegistry.default` (not strict) is what
 * `frame.metadata` uses; `store.withRegistry(r)` reads the same metadata through another one.
 */
export class MetadataKeyRegistry {
  /** The registry `frame.metadata` resolves names through. */
  static readonly default = new MetadataKeyRegistry()

  readonly strict: boolean
  readonly #byName = new Map<string, MetadataKeyInfo>()
  readonly #bySlot = new Map<bigint, MetadataKeyInfo>()

  constructor(options: { strict?: boolean } = {}) {
    this.strict = optBool('strict', checkOptions<{ strict: boolean }>('MetadataKeyRegistry', options, ['strict']).strict) ?? false
  }

  /** The key for `name`: the lowest free slot below 61, or the same key again for the same name and
   * size. EEXIST for a name registered with another size, ENOSPC when all 61 are taken, EINVAL for
   * an empty name or a size other than 2, 4, 8. */
  register(name: string, size: MetadataValueSize): bigint {
    if (typeof name !== 'string' || name.length === 0) throw new UxdpError('EINVAL', 'a key name must be a non-empty string', { op: 'kv_register' })
    if (!isSize(size)) throw new UxdpError('EINVAL', `values are 2, 4 or 8 bytes, not ${String(size)}`, { op: 'kv_register' })
    const known = this.#byName.get(name)
    if (known !== undefined) {
      if (known.size !== size) {
        throw new UxdpError('EEXIST', `key name '${name}' is registered with size ${known.size}, not ${size}`, { op: 'kv_register' })
      }
      return known.key
    }
    for (let slot = 0n; slot < BigInt(KV_APP_SLOTS); slot++) {
      if (!this.#bySlot.has(slot)) {
        const info: MetadataKeyInfo = { name, key: slot, size }
        this.#byName.set(name, info)
        this.#bySlot.set(slot, info)
        return slot
      }
    }
    throw new UxdpError('ENOSPC', `all ${KV_APP_SLOTS} application keys are registered`, { op: 'kv_register', limit: KV_APP_SLOTS })
  }

  /** Frees `name`'s key for the next registration. ENOENT when it is not registered. */
  unregister(name: string): void {
    const info = this.#lookup(name, 'kv_unregister')
    this.#byName.delete(name)
    this.#bySlot.delete(info.key)
  }

  /** The key registered for `name`; ENOENT when there is none. */
  key(name: string): bigint {
    return this.#lookup(name, 'kv_key').key
  }

  /** The value size registered for `name`; ENOENT when there is none. */
  size(name: string): MetadataValueSize {
    return this.#lookup(name, 'kv_key').size
  }

  has(name: string): boolean {
    return this.#byName.has(name)
  }

  /** Registered names, in key order. */
  names(): string[] {
    return this.entries().map((e) => e.name)
  }

  /** Registrations, in key order. */
  entries(): MetadataKeyInfo[] {
    return [...this.#bySlot.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map((e) => ({ ...e }))
  }

  /** The registration holding `key`, if any. */
  byKey(key: bigint): MetadataKeyInfo | undefined {
    const info = this.#bySlot.get(key)
    return info && { ...info }
  }

  #lookup(name: string, op: string): MetadataKeyInfo {
    const info = typeof name === 'string' ? this.#byName.get(name) : undefined
    if (info === undefined) throw new UxdpError('ENOENT', `no key is registered under the name '${String(name)}'`, { op })
    return info
  }
}

/** @internal What a store reads and writes: one engine object's metadata. Without `set`, `del`
 * and `clear` it is read-only. */
export interface MetadataBackend {
  /** What the metadata belongs to, for messages. */
  readonly what: string
  get(key: bigint): Buffer | null
  keys(): bigint[]
  set?(key: bigint, value: Uint8Array): void
  del?(key: bigint): void
  clear?(): void
}

/** @internal */
export function frameMetadataBackend(frame: { readonly handle: FrameHandle; invalidateViews(): void }): MetadataBackend {
  return {
    what: 'an xdp_buff',
    get: (key) => call(() => native.frameKvGet(frame.handle, key)),
    keys: () => call(() => native.frameKvKeys(frame.handle)),
    // data_meta may move: like the verifier after bpf_xdp_adjust_meta, packet views are detached.
    set: (key, value) => {
      frame.invalidateViews()
      call(() => native.frameKvSet(frame.handle, key, value))
    },
    del: (key) => {
      frame.invalidateViews()
      call(() => native.frameKvDel(frame.handle, key))
    },
    clear: () => {
      frame.invalidateViews()
      call(() => native.frameKvClear(frame.handle))
    },
  }
}

/** @internal */
export function xdpFrameMetadataBackend(handle: XdpFrameHandle): MetadataBackend {
  return {
    what: 'an xdp_frame',
    get: (key) => call(() => native.xdpFrameKvGet(handle, key)),
    keys: () => call(() => native.xdpFrameKvKeys(handle)),
  }
}

/** @internal */
export function skbMetadataBackend(handle: SkbHandle): MetadataBackend {
  return {
    what: 'an skb',
    get: (key) => call(() => native.skbKvGet(handle, key)),
    keys: () => call(() => native.skbKvKeys(handle)),
  }
}

function encodeValue(value: MetadataValue): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    checkOptions<{ u16: number; u32: number; u64: bigint }>('a metadata value', value, ['u16', 'u32', 'u64'])
    if (Object.keys(value).length !== 1) throw new UxdpError('EINVAL', 'a metadata value object has exactly one of u16, u32, u64', { op: 'xdp_kv_set' })
    if ('u16' in value) {
      const b = Buffer.alloc(2)
      b.writeUInt16LE(checkInt('u16', value.u16, 0, 0xffff))
      return b
    }
    if ('u32' in value) {
      const b = Buffer.alloc(4)
      b.writeUInt32LE(checkInt('u32', value.u32, 0, 0xffffffff))
      return b
    }
    if ('u64' in value) {
      const v = value.u64
      const n = typeof v === 'number' ? BigInt(checkInt('u64', v, 0, Number.MAX_SAFE_INTEGER)) : v
      if (typeof n !== 'bigint' || n < 0n || n > U64_MAX) throw new UxdpError('EINVAL', `u64 must be from 0 to 2^64 - 1, got ${String(v)}`)
      const b = Buffer.alloc(8)
      b.writeBigUInt64LE(n)
      return b
    }
  }
  throw new UxdpError('EINVAL', 'a value is a Uint8Array of 2, 4 or 8 bytes, or { u16 }, { u32 } or { u64 }', { op: 'xdp_kv_set' })
}

/**
 * The metadata key/value store of a `Frame` (read/write: `frame.metadata`), an `XdpFrame` or an
 * `Skb` (read-only: writes are EINVAL). Keys are bigints, numbers or registered names; see the
 * module comment above for the format and its limits. Failures throw `UxdpError`: ENOENT for an
 * unset key, EINVAL for a bad key or size or for metadata that is not a store (programs may use
 * the area for something else; it is left alone), ENOSPC when the store would outgrow the
 * headroom, ENOTSUPP when the driver has no metadata.
 *
 * Integer conveniences read and write little-endian. Every write may move `data_meta`, so like
 * `adjustMeta` it detaches the frame's live views.
 */
export class MetadataStore {
  readonly #backend: MetadataBackend
  /** Resolves string keys; in strict mode, decides which application keys may be set. */
  readonly registry: MetadataKeyRegistry

  /** @internal */
  constructor(backend: MetadataBackend, registry: MetadataKeyRegistry = MetadataKeyRegistry.default) {
    this.#backend = backend
    this.registry = registry
  }

  /** The same metadata, names resolved through `registry`. */
  withRegistry(registry: MetadataKeyRegistry): MetadataStore {
    if (!(registry instanceof MetadataKeyRegistry)) throw new UxdpError('EINVAL', 'registry must be a MetadataKeyRegistry')
    return new MetadataStore(this.#backend, registry)
  }

  /** false for an xdp_frame's or an skb's store. */
  get writable(): boolean {
    return this.#backend.set !== undefined
  }

  /** The key as the engine takes it: ENOENT for an unregistered name, EINVAL for anything that is
   * not a u64. */
  resolve(key: MetadataKey): bigint {
    if (typeof key === 'string') return this.registry.key(key)
    if (typeof key === 'number') {
      if (!Number.isSafeInteger(key) || key < 0) throw new UxdpError('EINVAL', `a key must be an unsigned integer, got ${key}`)
      return BigInt(key)
    }
    if (typeof key === 'bigint') {
      if (key < 0n || key > U64_MAX) throw new UxdpError('EINVAL', `a key must be an unsigned 64-bit value, got ${key}`)
      return key
    }
    throw new UxdpError('EINVAL', 'a key is a bigint, a number or a registered name')
  }

  /** The value bytes (a copy). ENOENT when the key is unset. */
  get(key: MetadataKey): Buffer {
    const k = this.resolve(key)
    const v = this.#backend.get(k)
    if (v === null) throw new UxdpError('ENOENT', `key ${describe(key, k)} is not set`, { op: 'xdp_kv_get' })
    return v
  }

  /** Whether the key is set; false for a name no one registered. */
  has(key: MetadataKey): boolean {
    if (typeof key === 'string' && !this.registry.has(key)) return false
    return this.#backend.get(this.resolve(key)) !== null
  }

  /** A 2-byte value as a little-endian u16. EINVAL when the value has another size. */
  getU16(key: MetadataKey): number {
    return this.#sized(key, 2).readUInt16LE(0)
  }

  /** A 4-byte value as a little-endian u32. */
  getU32(key: MetadataKey): number {
    return this.#sized(key, 4).readUInt32LE(0)
  }

  /** An 8-byte value as a little-endian u64. */
  getU64(key: MetadataKey): bigint {
    return this.#sized(key, 8).readBigUInt64LE(0)
  }

  /** The {@link KV_KEY_HW_VLAN} value: protocol (stored in network order) and TCI (stored
   * little-endian). */
  getVlan(): { proto: number; tci: number } {
    const v = this.#sized(KV_KEY_HW_VLAN, 4)
    return { proto: v.readUInt16BE(0), tci: v.readUInt16LE(2) }
  }

  /** Sets {@link KV_KEY_HW_VLAN}. */
  setVlan(vlan: { proto: number; tci: number }): void {
    const b = Buffer.alloc(4)
    b.writeUInt16BE(checkInt('proto', vlan?.proto, 0, 0xffff), 0)
    b.writeUInt16LE(checkInt('tci', vlan?.tci, 0, 0xffff), 2)
    this.set(KV_KEY_HW_VLAN, b)
  }

  /** Sets a value of 2, 4 or 8 bytes, replacing (and resizing) any value the key had. EINVAL for a
   * bad size, a well-known key with the wrong size, or a registered key with a size other than its
   * registered one; ENOENT, in strict mode, for an application key no one registered; ENOSPC when
   * the store would not fit (nothing changes then). */
  set(key: MetadataKey, value: MetadataValue): void {
    const k = this.resolve(key)
    const bytes = encodeValue(value)
    const set = this.#writer('set', 'xdp_kv_set')
    if (k < BigInt(KV_APP_SLOTS)) {
      const info = this.registry.byKey(k)
      if (info === undefined && this.registry.strict) {
        throw new UxdpError('ENOENT', `key ${describe(key, k)} is not registered (strict registry)`, { op: 'xdp_kv_set' })
      }
      if (info !== undefined && bytes.byteLength !== info.size) {
        throw new UxdpError('EINVAL', `key '${info.name}' is registered with ${info.size}-byte values, not ${bytes.byteLength}`, {
          op: 'xdp_kv_set',
          length: bytes.byteLength,
          limit: info.size,
        })
      }
    }
    set(k, bytes)
  }

  /** Removes the key; the values after it move down and the store shrinks. ENOENT when unset. */
  delete(key: MetadataKey): void {
    const k = this.resolve(key)
    this.#writer('del', 'xdp_kv_del')(k)
  }

  /** The keys set, in slot order (slots 61–63 as their well-known keys). */
  keys(): bigint[] {
    return this.#backend.keys()
  }

  /** Removes every key: the metadata area becomes empty. EINVAL when it is not a store. */
  clear(): void {
    this.#writer('clear', 'xdp_kv_clear')()
  }

  #writer<K extends 'set' | 'del' | 'clear'>(what: K, op: string): NonNullable<MetadataBackend[K]> {
    const f = this.#backend[what]
    if (f === undefined) throw new UxdpError('EINVAL', `the metadata of ${this.#backend.what} is read-only`, { op })
    return f as NonNullable<MetadataBackend[K]>
  }

  #sized(key: MetadataKey, size: number): Buffer {
    const v = this.get(key)
    if (v.length !== size) {
      throw new UxdpError('EINVAL', `key ${String(key)} holds ${v.length} bytes, not ${size}`, { op: 'xdp_kv_get', length: v.length, limit: size })
    }
    return v
  }
}

function describe(key: MetadataKey, k: bigint): string {
  const hex = `0x${k.toString(16)}`
  return typeof key === 'string' ? `'${key}' (${hex})` : hex
}
