import { call, checkBool, checkOptions, checkU32 } from './errors'
import { native, type PoolHandle } from './native'

export interface PagePoolOptions {
  /** Bytes per page: a power of two from 1024 to 65536. Default 4096. */
  pageSize?: number
  /** Most pages out of the pool at once; beyond it allocation fails with ENOMEM. Default: no limit. */
  maxInFlight?: number
  /** Pages kept for reuse; returns beyond it are freed. Default 1024. */
  cacheSize?: number
}

export interface PagePoolStats {
  /** Pages created from fresh memory. */
  allocated: number
  /** Allocations served from the recycle cache. */
  allocFast: number
  /** Pages returned into the cache. */
  recycled: number
  /** Pages returned while the cache was full, and so freed. */
  released: number
  /** Allocations refused at `maxInFlight`. */
  allocFailed: number
  /** Pages currently held by frames, xdp_frames and skbs: 0 when nothing leaks. */
  inFlight: number
}

/** A page pool like the kernel's `page_pool`. Frames take their pages from one and every page
 * goes back when the frame is released; `stats().inFlight` proves it. */
export class PagePool {
  /** @internal */
  readonly handle: PoolHandle
  static #default: PagePool | undefined

  constructor(options: PagePoolOptions = {}) {
    const { pageSize, maxInFlight, cacheSize } = checkOptions<PagePoolOptions>('PagePool', options, ['pageSize', 'maxInFlight', 'cacheSize'])
    if (pageSize !== undefined) checkU32('pageSize', pageSize)
    if (maxInFlight !== undefined) checkU32('maxInFlight', maxInFlight)
    if (cacheSize !== undefined) checkU32('cacheSize', cacheSize)
    this.handle = call(() => native.poolCreate({ pageSize, maxInFlight, cacheSize }))
  }

  /** The pool frames use when none is given. */
  static get default(): PagePool {
    return (PagePool.#default ??= new PagePool())
  }

  get pageSize(): number {
    return native.poolPageSize(this.handle)
  }

  stats(): PagePoolStats {
    return native.poolStats(this.handle)
  }

  /** While on, new pages count as taken from the pfmemalloc reserves (memory pressure); frames with
   * such frags carry XDP_FLAGS_FRAGS_PF_MEMALLOC. */
  setPfmemalloc(on: boolean): void {
    native.poolSetPfmemalloc(this.handle, checkBool('on', on))
  }
}
