import { call } from './errors'
import { native } from './native'

/** A view keeps its owner reachable, so the engine memory behind it outlives every attached view. */
const keepOwnerAlive = new WeakMap<ArrayBuffer, object>()

/** Above this many tracked views a registry forgets the ones the GC has already collected. */
const PRUNE_THRESHOLD = 256

/** Direct views come from the engine as `region * 2^32 + offset` (see the binding). */
const REGION_STRIDE = 4294967296
/** The region that is the caller's own memory (memory dynptrs). */
export const REGION_CALLER_MEM = 0xffff
/** Packed locations that are not views. */
export const LOC_NONE = -1
export const LOC_COPIED = -2

/** The region and offset of a packed location. */
export function unpackLocation(loc: number): { region: number; offset: number } {
  const offset = loc % REGION_STRIDE
  return { region: (loc - offset) / REGION_STRIDE, offset }
}

/**
 * Views into engine memory (packet pages, skb heads, ring-buffer records) handed to JS. Like the
 * verifier invalidating packet pointers after a helper that may move the packet, the owner detaches
 * them (length 0) before its memory can move or go away.
 */
export class ViewRegistry {
  readonly #owner: object
  #views: WeakRef<ArrayBuffer>[] = []
  #pruneAt = PRUNE_THRESHOLD
  /** One engine view per region (frame segment, skb part, ring record), cut into as many views as
   * asked for: creating an external ArrayBuffer costs ~1 µs, cutting a Uint8Array from one ~20 ns. */
  #regions = new Map<number, ArrayBuffer>()

  constructor(owner: object) {
    this.#owner = owner
  }

  /** Registers an engine-memory ArrayBuffer and returns a Uint8Array over it. */
  track(ab: ArrayBuffer): Uint8Array {
    if (ab.byteLength > 0) {
      keepOwnerAlive.set(ab, this.#owner)
      this.#views.push(new WeakRef(ab))
      if (this.#views.length >= this.#pruneAt) {
        this.#views = this.#views.filter((v) => v.deref() !== undefined)
        this.#pruneAt = Math.max(PRUNE_THRESHOLD, this.#views.length * 2)
      }
    }
    return new Uint8Array(ab)
  }

  /** A view of `length` bytes at a packed location, cut from the region's view (fetched once per
   * region until the next invalidation). */
  regionView(loc: number, length: number, fetch: (region: number) => ArrayBuffer): Uint8Array {
    const { region, offset } = unpackLocation(loc)
    return new Uint8Array(this.region(region, fetch), offset, length)
  }

  /** The whole region's view. */
  region(region: number, fetch: (region: number) => ArrayBuffer): ArrayBuffer {
    let ab = this.#regions.get(region)
    if (ab === undefined) {
      ab = fetch(region)
      keepOwnerAlive.set(ab, this.#owner)
      this.#regions.set(region, ab)
    }
    return ab
  }

  /** Detaches every live view. */
  invalidate(): void {
    if (this.#views.length === 0 && this.#regions.size === 0) return
    const views = this.#views.map((v) => v.deref()).filter((v): v is ArrayBuffer => v !== undefined && v.byteLength > 0)
    for (const ab of this.#regions.values()) if (ab.byteLength > 0) views.push(ab)
    this.#views = []
    this.#regions.clear()
    this.#pruneAt = PRUNE_THRESHOLD
    if (views.length > 0) call(() => native.detachViews(views))
  }
}
