import { Dynptr, RingRecord } from './dynptr'
import { call, checkBytes, checkInt, checkU32, UxdpError } from './errors'
import { native, type RingHandle } from './native'

/** `bpf_ringbuf_submit/discard/output` flags. */
export const BPF_RB_NO_WAKEUP = 1n
export const BPF_RB_FORCE_WAKEUP = 2n
/** `bpf_ringbuf_query` flags. */
export const BPF_RB_AVAIL_DATA = 0n
export const BPF_RB_RING_SIZE = 1n
export const BPF_RB_CONS_POS = 2n
export const BPF_RB_PROD_POS = 3n

export interface RingBufferInfo {
  size: number
  consumerPos: number
  producerPos: number
  /** The oldest record still being written, as the kernel tracks it. */
  pendingPos: number
  /** Consumer wakeups the kernel would have queued (BPF_RB_* flags decide them). */
  notifications: number
}

type Flags = bigint | number

function flagsOf(flags: Flags | undefined): bigint | undefined {
  if (flags === undefined || typeof flags === 'bigint') return flags
  if (!Number.isSafeInteger(flags) || flags < 0) throw new UxdpError('EINVAL', 'flags must be a non-negative safe integer or a bigint')
  return BigInt(flags)
}

/**
 * A BPF ring buffer (`BPF_MAP_TYPE_RINGBUF`) with the kernel's layout: a power-of-two data area of
 * whole pages, 8-byte record headers with BUSY and DISCARD bits, free-running consumer and producer
 * positions. Producers reserve records as dynptrs and submit or discard them; `consume` reads the
 * committed records in order, as libbpf's `ring_buffer__consume` does.
 */
export class RingBuffer {
  readonly #h: RingHandle

  /** `size`: data bytes, a power of two and a multiple of 4096 (EINVAL otherwise). */
  constructor(size: number) {
    checkU32('size', size)
    this.#h = call(() => native.ringCreate(size))
  }

  get size(): number {
    return this.info().size
  }

  info(): RingBufferInfo {
    return call(() => native.ringInfo(this.#h))
  }

  /** `bpf_ringbuf_reserve_dynptr`: a RINGBUF dynptr over a new record. EINVAL for flags, E2BIG above
   * the dynptr size limit, EINVAL also when the ring has no room (the kernel's errno here). Submit or discard it. */
  reserve(size: number, flags?: Flags): Dynptr {
    checkU32('size', size)
    const h = call(() => native.ringReserveDynptr(this.#h, size, flagsOf(flags)))
    return Dynptr.wrap(h, { kind: 'ring', record: new RingRecord(this) })
  }

  /** `bpf_ringbuf_output`: copy `bytes` in as one record. EINVAL for unknown flags, EAGAIN when full. */
  output(bytes: Uint8Array, flags?: Flags): void {
    checkBytes('bytes', bytes)
    call(() => native.ringOutput(this.#h, bytes, flagsOf(flags)))
    this.committed()
  }

  /** `bpf_ringbuf_query` (BPF_RB_AVAIL_DATA, _RING_SIZE, _CONS_POS, _PROD_POS; 0 otherwise). */
  query(flags: Flags): bigint {
    return call(() => native.ringQuery(this.#h, flagsOf(flags)))
  }

  /** The data area as the kernel maps it (a copy). */
  data(): Buffer {
    return call(() => native.ringData(this.#h))
  }

  /** Reused between consume calls: record words (end, length, discarded) and sample bytes. */
  #meta = new Float64Array(3 * 256)
  #scratch = new Uint8Array(64 * 1024)

  /**
   * Hands each committed sample to `callback`, oldest first, and moves the consumer past it
   * (discarded records are skipped). Stops at a record still being written. A negative return from
   * the callback stops there, that record consumed, and is returned; otherwise returns the number
   * of samples handed over. At most `max` records are looked at. A callback that throws stops
   * consumption there too (that record consumed) and the exception propagates. Samples are copies:
   * they stay valid after the callback and after the ring moves on. Records are read in batches of
   * up to 256 per crossing into the engine.
   */
  consume(callback: (sample: Buffer) => number | void, max = 0xffffffff): number {
    if (typeof callback !== 'function') throw new UxdpError('EINVAL', 'consume takes a callback function')
    checkInt('max', max, 0, 0xffffffff)
    let count = 0
    let remaining = max
    while (remaining > 0) {
      const r = call(() => native.ringPeekInto(this.#h, Math.min(remaining, 0xffffffff), this.#meta, this.#scratch))
      if (r < 0) {
        this.#scratch = new Uint8Array(Math.max(-r, this.#scratch.length * 2))
        continue
      }
      const n = Math.floor(r / 2)
      if (n === 0) break
      const meta = this.#meta
      let total = 0
      for (let i = 0; i < n; i++) total += meta[i * 3 + 1]
      const bytes = Buffer.allocUnsafe(total)
      bytes.set(this.#scratch.subarray(0, total))
      let at = 0
      let stop: number | undefined
      let i = 0
      try {
        for (; i < n; i++) {
          const len = meta[i * 3 + 1]
          if (meta[i * 3 + 2] !== 0) continue
          const ret = callback(bytes.subarray(at, at + len))
          at += len
          if (typeof ret === 'number' && ret < 0) {
            stop = ret
            break
          }
          count++
        }
      } finally {
        // Past the last record handed over (or skipped); a throw or a stop consumes that record.
        const last = Math.min(i, n - 1)
        call(() => native.ringSetConsumer(this.#h, meta[last * 3]))
      }
      if (stop !== undefined) return stop
      remaining -= n
      if (r % 2 === 0) break
    }
    return count
  }

  /**
   * libbpf's `ring_buffer__poll` with a zero timeout: consumes as `consume` does, but only when
   * `epoll_wait` would report the ring readable. That takes a wakeup: a commit while the consumer
   * had caught up, or one with BPF_RB_FORCE_WAKEUP. Records committed with BPF_RB_NO_WAKEUP (or
   * behind other unread records) while nothing woke the consumer stay unread here until a later
   * wakeup; `consume` reads them regardless. Returns the records consumed (0 when not readable).
   */
  poll(callback: (sample: Buffer) => number | void, max = 0xffffffff): number {
    if (typeof callback !== 'function') throw new UxdpError('EINVAL', 'poll takes a callback function')
    checkInt('max', max, 0, 0xffffffff)
    if (!call(() => native.ringEpollReady(this.#h))) return 0
    return this.consume(callback, max)
  }

  #waiters = new Set<() => void>()

  /**
   * `ring_buffer__poll` with a timeout: resolves once a wakeup makes the ring readable (records
   * produced through this RingBuffer or its records) and consumes then, or with 0 after
   * `timeoutMs` (Infinity waits for ever).
   */
  async wait(callback: (sample: Buffer) => number | void, timeoutMs: number): Promise<number> {
    if (typeof callback !== 'function') throw new UxdpError('EINVAL', 'wait takes a callback function')
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      throw new UxdpError('EINVAL', 'timeoutMs must be a non-negative number or Infinity')
    }
    if (call(() => native.ringEpollReady(this.#h))) return this.consume(callback)
    const woken = await new Promise<boolean>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const wake = () => {
        if (timer !== undefined) clearTimeout(timer)
        this.#waiters.delete(wake)
        resolve(true)
      }
      this.#waiters.add(wake)
      if (timeoutMs !== Infinity) {
        timer = setTimeout(() => {
          this.#waiters.delete(wake)
          resolve(false)
        }, timeoutMs)
      }
    })
    return woken ? this.poll(callback) : 0
  }

  /** @internal Called after a commit through this ring: wakes waiters the commit made readable. */
  committed(): void {
    if (this.#waiters.size === 0 || !call(() => native.ringEpollReady(this.#h))) return
    for (const wake of [...this.#waiters]) wake()
  }

  /** Consumes every committed sample and returns them. */
  drain(): Buffer[] {
    const out: Buffer[] = []
    this.consume((s) => void out.push(s))
    return out
  }

  /** Reserve, write, submit and consume `count` records of `size` bytes inside the engine;
   * nanoseconds per record (the native figure for benchmarks). */
  timeNativeLoop(size: number, count: number): number {
    checkU32('size', size)
    checkInt('count', count, 1, 0xffffffff)
    return call(() => native.ringTimeNativeLoop(this.#h, size, count))
  }
}
