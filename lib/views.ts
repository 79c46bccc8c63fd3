import { call } from './errors'
import { native } from './native'

/** A view keeps its owner reachable, so the engine memory behind it outlives every attached view. */
const keepOwnerAlive = new WeakMap<ArrayBuffer, object>()

/** Above this many tracked views a registry forgets the ones the GC has already collected. */
const PRUNE_THRESHOLD = 256

/**
 * Views into engine memory (packet pages, skb heads, ring-buffer records) handed to JS. Like the
 * verifier invalidating packet pointers after a helper that may move the packet, the owner detaches
 * them (length 0) before its memory can move or go away.
 */
export class ViewRegistry {
  readonly #owner: object
  #views: WeakRef<ArrayBuffer>[] = []
  #pruneAt = PRUNE_THRESHOLD

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

  /** Detaches every live view. */
  invalidate(): void {
    if (this.#views.length === 0) return
    const views = this.#views.map((v) => v.deref()).filter((v): v is ArrayBuffer => v !== undefined)
    this.#views = []
    this.#pruneAt = PRUNE_THRESHOLD
    if (views.length > 0) call(() => native.detachViews(views))
  }
}
