/**
 * Every error path of the Dynptr and RingBuffer facade: argument validation (numbers, flags as
 * number or bigint, object types, callbacks), the binding's own refusals (short buffers, submitted
 * records, released frames) and the kernel errnos as they reach JS. Each test asserts the errno
 * (code and negative errno) and that the failed call changed nothing it must not: bytes, the
 * dynptr's view, the ring's positions. Where the kernel does change something on failure (chunks
 * written before the one that failed, a consumed record) the test pins exactly that.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  BPF_RB_RING_SIZE,
  Dynptr,
  DYNPTR_MAX_SIZE,
  ERRNO,
  Frame,
  PagePool,
  RingBuffer,
  UxdpError,
  type ErrnoName,
} from '../lib/index'
import { MAX_PACKET, pattern, skbOf, thrown } from './helpers/util'

const EE = 0xee

/** The call fails with `code`, its negative errno, and (when given) the helper's name. */
function fails(f: () => unknown, code: ErrnoName, op?: string): UxdpError {
  const e = thrown(f)
  expect([e.code, e.errno]).toEqual([code, -ERRNO[code]])
  if (op !== undefined) expect(e.op).toBe(op)
  return e
}

/** What a dynptr's view is: null?, size, offset and the raw 16 bytes' two fields. */
const view = (d: Dynptr) => [d.isNull(), d.size, d.offset, d.sizeField, d.dataField]
/** The ring's positions, wakeups and data area. (Not the pending position: the kernel moves it past
 * committed records even in a reservation that then fails for room; the tests say so where it matters.) */
const ringState = (r: RingBuffer) => {
  const { size, consumerPos, producerPos, notifications } = r.info()
  return { size, consumerPos, producerPos, notifications, data: createHash('sha256').update(r.data()).digest('hex') }
}
const any = (v: unknown) => v as never

describe('argument validation', () => {
  const BAD_NUMBERS: unknown[] = [1.5, -1, 2 ** 32, NaN, Infinity, '1', null, 1n]

  it('every offset, length, size and count is an integer in 0..2^32-1 (EINVAL), checked before anything changes', () => {
    const buf = pattern(64)
    const d = Dynptr.fromMem(buf)
    const src = Dynptr.fromMem(pattern(16))
    const ring = new RingBuffer(4096)
    ring.output(Buffer.from('kept'))
    const before = { d: view(d), ring: ringState(ring) }
    const cb = () => 0
    for (const v of [...BAD_NUMBERS, undefined]) {
      const calls: [string, () => unknown][] = [
        ['read offset', () => d.read(any(v), 1)],
        ['read length', () => d.read(0, any(v))],
        ['readInto offset', () => d.readInto(any(v), new Uint8Array(1))],
        ['write offset', () => d.write(any(v), Buffer.from([1]))],
        ['data offset', () => d.data(any(v), 1)],
        ['data length', () => d.data(0, any(v))],
        ['slice offset', () => d.slice(any(v), 1)],
        ['slice length', () => d.slice(0, any(v))],
        ['sliceRdwr offset', () => d.sliceRdwr(any(v), 1)],
        ['adjust start', () => d.adjust(any(v), 1)],
        ['adjust end', () => d.adjust(0, any(v))],
        ['copy dstOffset', () => Dynptr.copy(d, any(v), src, 0, 1)],
        ['copy srcOffset', () => d.copyFrom(0, src, any(v), 1)],
        ['copy size', () => d.copyFrom(0, src, 0, any(v))],
        ['memset offset', () => d.memset(any(v), 1, 0)],
        ['memset size', () => d.memset(0, any(v), 0)],
        ['memset value', () => d.memset(0, 1, any(v))],
        ['advance', () => d.advance(any(v))],
        ['trim', () => d.trim(any(v))],
        ['reserve size', () => ring.reserve(any(v))],
        ['RingBuffer size', () => new RingBuffer(any(v))],
        ['timeNativeLoop size', () => ring.timeNativeLoop(any(v), 1)],
        ['timeNativeLoop count', () => ring.timeNativeLoop(64, any(v))],
      ]
      // undefined is a valid "no argument" for these three.
      if (v !== undefined) {
        calls.push(['clone offset', () => d.clone(any(v))], ['consume max', () => ring.consume(cb, any(v))], ['poll max', () => ring.poll(cb, any(v))])
      }
      for (const [name, f] of calls) {
        const e = thrown(f)
        expect([name, e.code, e.errno]).toEqual([name, 'EINVAL', -22])
      }
    }
    expect(buf.equals(pattern(64))).toBe(true)
    expect(view(d)).toEqual(before.d)
    expect(ringState(ring)).toEqual(before.ring)
    expect(ring.drain().map(String)).toEqual(['kept'])
  })

  it('memset takes a byte: 256 and above are EINVAL and write nothing (the kernel takes a u8)', () => {
    const buf = pattern(64)
    const d = Dynptr.fromMem(buf)
    for (const value of [256, 0x1ff, 0xffffffff]) fails(() => d.memset(0, 8, value), 'EINVAL', 'bpf_dynptr_memset')
    expect(buf.equals(pattern(64))).toBe(true)
  })

  it('flags 1 and 1n mean the same (EINVAL where only 0 is allowed); 0 and 0n the same success', () => {
    const f = Frame.fromBytes(pattern(200))
    const skb = skbOf(200, Buffer.alloc(8, 1))
    const buf = pattern(16)
    const m = Dynptr.fromMem(buf)
    const x = Dynptr.fromXdp(f)
    const ring = new RingBuffer(4096)
    for (const flags of [1, 1n, 2 ** 32, 1n << 32n, 1n << 63n]) {
      fails(() => Dynptr.fromMem(pattern(4), flags), 'EINVAL', 'bpf_dynptr_from_mem')
      fails(() => Dynptr.fromXdp(f, flags), 'EINVAL', 'bpf_dynptr_from_xdp')
      fails(() => Dynptr.fromSkb(skb, { flags }), 'EINVAL', 'bpf_dynptr_from_skb')
      fails(() => Dynptr.fromSkbMeta(skb, flags), 'EINVAL', 'bpf_dynptr_from_skb_meta')
      fails(() => m.read(0, 4, flags), 'EINVAL', 'bpf_dynptr_read')
      fails(() => m.readInto(0, new Uint8Array(4), flags), 'EINVAL', 'bpf_dynptr_read')
      fails(() => m.write(0, Buffer.from([1]), flags), 'EINVAL', 'bpf_dynptr_write')
      fails(() => x.write(0, Buffer.from([1]), flags), 'EINVAL', 'bpf_dynptr_write')
      fails(() => ring.reserve(8, flags), 'EINVAL', 'bpf_ringbuf_reserve_dynptr')
    }
    fails(() => ring.output(Buffer.from('x'), 4), 'EINVAL', 'bpf_ringbuf_output')
    fails(() => ring.output(Buffer.from('x'), 4n), 'EINVAL', 'bpf_ringbuf_output')
    expect(ring.info().producerPos).toBe(0)
    expect(buf.equals(pattern(16))).toBe(true)
    expect(f.toBytes().equals(pattern(200))).toBe(true)
    for (const zero of [0, 0n]) {
      expect(Dynptr.fromMem(pattern(4), zero).size).toBe(4)
      expect(Dynptr.fromXdp(f, zero).size).toBe(200)
      expect(m.read(0, 2, zero).equals(pattern(2))).toBe(true)
      ring.reserve(8, zero).discard(zero)
    }
    expect(ring.query(1)).toBe(4096n)
    expect(ring.query(BPF_RB_RING_SIZE)).toBe(4096n)
    // BPF_RB_NO_WAKEUP as a number and as a bigint: the waiting consumer is not woken either way.
    ring.drain()
    const n0 = ring.info().notifications
    ring.reserve(1).submit(1)
    ring.drain()
    ring.reserve(1).submit(1n)
    ring.drain()
    expect(ring.info().notifications).toBe(n0)
    ring.reserve(1).submit()
    expect(ring.info().notifications).toBe(n0 + 1)
  })

  it('flags that are no u64 (unsafe or negative numbers, negative or too large bigints, other types) are EINVAL before anything happens', () => {
    const BAD_FLAGS: unknown[] = [1.5, -1, 2 ** 53, -1n, 1n << 64n, '0', {}, true]
    const f = Frame.fromBytes(pattern(200))
    const skb = skbOf(200, Buffer.alloc(8, 1))
    const buf = pattern(16)
    const m = Dynptr.fromMem(buf)
    const ring = new RingBuffer(4096)
    const rec = ring.reserve(4)
    rec.write(0, Buffer.from('live'))
    let called = 0
    const before = ringState(ring)
    for (const flags of BAD_FLAGS) {
      const calls: (() => unknown)[] = [
        () => Dynptr.fromMem(pattern(4), any(flags)),
        () => Dynptr.fromXdp(f, any(flags)),
        () => Dynptr.fromSkb(skb, { flags: any(flags) }),
        () => Dynptr.fromSkbMeta(skb, any(flags)),
        () => m.read(0, 4, any(flags)),
        () => m.readInto(0, new Uint8Array(4), any(flags)),
        () => m.write(0, Buffer.from([1]), any(flags)),
        () => m.iterator(() => ++called, undefined, any(flags)),
        () => ring.reserve(8, any(flags)),
        () => ring.output(Buffer.from('x'), any(flags)),
        () => ring.query(any(flags)),
        () => rec.discard(any(flags)),
        () => rec.submit(any(flags)),
      ]
      calls.forEach((c, i) => expect([i, thrown(c).code]).toEqual([i, 'EINVAL']))
    }
    expect(called).toBe(0)
    expect(ringState(ring)).toEqual(before)
    expect(buf.equals(pattern(16))).toBe(true)
    expect(rec.read(0, 4).toString()).toBe('live')
    rec.submit()
    expect(ring.drain().map(String)).toEqual(['live'])
  })

  it('fromMem over more than 16 MiB - 1 bytes is E2BIG, checked before the flags; the bytes untouched', () => {
    const big = Buffer.alloc(DYNPTR_MAX_SIZE + 1, 7)
    fails(() => Dynptr.fromMem(big), 'E2BIG', 'bpf_dynptr_from_mem')
    fails(() => Dynptr.fromMem(big, 1), 'E2BIG', 'bpf_dynptr_from_mem')
    fails(() => Dynptr.fromMem(big, 1n), 'E2BIG', 'bpf_dynptr_from_mem')
    expect(big.every((b) => b === 7)).toBe(true)
    expect(Dynptr.fromMem(big.subarray(1)).size).toBe(DYNPTR_MAX_SIZE)
  })

  it('objects of the wrong type are EINVAL', () => {
    const f = Frame.fromBytes(pattern(200))
    const skb = skbOf(200)
    const d = Dynptr.fromMem(pattern(8))
    const ring = new RingBuffer(4096)
    const notBytes: unknown[] = ['abcd', [1, 2, 3, 4], new ArrayBuffer(4), new DataView(new ArrayBuffer(4)), new Uint16Array(4), null, undefined]
    for (const b of notBytes) {
      fails(() => Dynptr.fromMem(any(b)), 'EINVAL')
      fails(() => d.write(0, any(b)), 'EINVAL')
      fails(() => d.readInto(0, any(b)), 'EINVAL')
      fails(() => ring.output(any(b)), 'EINVAL')
      if (b !== undefined) fails(() => d.slice(0, 4, any(b)), 'EINVAL')
    }
    fails(() => Dynptr.fromXdp(any(skb)), 'EINVAL')
    fails(() => Dynptr.fromXdp(any({})), 'EINVAL')
    fails(() => Dynptr.fromSkb(any(f)), 'EINVAL')
    fails(() => Dynptr.fromSkbMeta(any(f)), 'EINVAL')
    fails(() => Dynptr.fromSkb(skb, { progType: any('bogus') }), 'EINVAL', 'bpf_dynptr_from_skb')
    fails(() => Dynptr.fromSkb(skb, { progType: any(5) }), 'EINVAL')
    fails(() => Dynptr.copy(d, 0, any({}), 0, 1), 'EINVAL')
    fails(() => Dynptr.copy(any(Buffer.alloc(4)), 0, d, 0, 1), 'EINVAL')
    for (const cb of [undefined, 5, 'f', {}]) {
      fails(() => d.iterator(any(cb)), 'EINVAL')
      fails(() => ring.consume(any(cb)), 'EINVAL')
      fails(() => ring.poll(any(cb)), 'EINVAL')
    }
    expect(d.read(0, 8).equals(pattern(8))).toBe(true)
    expect(f.toBytes().equals(pattern(200))).toBe(true)
    expect(ring.info().producerPos).toBe(0)
  })

  // Bad arguments of any kind are EINVAL, detached views included.
  it('a view that was detached before fromMem is EINVAL', () => {
    const f = Frame.fromBytes(pattern(9000))
    const v = Dynptr.fromXdp(f).slice(5000, 8)!
    f.adjustTail(-10)
    expect(v.length).toBe(0)
    fails(() => Dynptr.fromMem(v), 'EINVAL')
  })

  it('fromSkb with null options is EINVAL', () => {
    fails(() => Dynptr.fromSkb(skbOf(200), any(null)), 'EINVAL')
  })
})

describe('released, converted and detached objects', () => {
  it('a dynptr over a released or converted frame fails with EINVAL, and no new one can be made', () => {
    const pool = new PagePool()
    const f = Frame.fromBytes(pattern(9000), { pool })
    const d = Dynptr.fromXdp(f)
    const c = d.clone()
    f.release()
    expect(pool.stats().inFlight).toBe(0)
    fails(() => d.read(0, 4), 'EINVAL', 'bpf_dynptr_read')
    fails(() => d.write(0, Buffer.from([1])), 'EINVAL', 'bpf_dynptr_write')
    fails(() => c.slice(0, 4), 'EINVAL', 'bpf_dynptr_slice')
    fails(() => c.memset(0, 4, 1), 'EINVAL', 'bpf_dynptr_memset')
    fails(() => Dynptr.copy(Dynptr.fromMem(Buffer.alloc(4)), 0, d, 0, 4), 'EINVAL', 'bpf_dynptr_copy')
    fails(() => Dynptr.fromXdp(f), 'EINVAL', 'bpf_dynptr_from_xdp')
    const g = Frame.fromBytes(pattern(9000), { pool })
    const e = Dynptr.fromXdp(g)
    const skb = g.toXdpFrame().toSkb({ ifindex: 2 })
    fails(() => e.read(0, 4), 'EINVAL', 'bpf_dynptr_read')
    fails(() => Dynptr.fromXdp(g), 'EINVAL')
    expect(skb.toBytes().equals(pattern(9000).subarray(14))).toBe(true)
    skb.release()
    expect(pool.stats().inFlight).toBe(0)
  })

  it('a dynptr over a released skb fails with EINVAL', () => {
    const skb = skbOf(200, Buffer.alloc(8, 3))
    const d = Dynptr.fromSkb(skb)
    const m = Dynptr.fromSkbMeta(skb)
    skb.release()
    fails(() => d.read(0, 4), 'EINVAL', 'bpf_dynptr_read')
    fails(() => m.write(0, Buffer.from([1])), 'EINVAL', 'bpf_dynptr_write')
    fails(() => Dynptr.fromSkb(skb), 'EINVAL', 'bpf_dynptr_from_skb')
    fails(() => Dynptr.fromSkbMeta(skb), 'EINVAL', 'bpf_dynptr_from_skb_meta')
  })

  it('a LOCAL dynptr over a view that was detached afterwards: EFAULT for reads and writes, null slices, no byte touched', () => {
    const f = Frame.fromBytes(pattern(9000))
    const v = Dynptr.fromXdp(f).slice(5000, 64)!
    const m = Dynptr.fromMem(v)
    expect(m.read(0, 4).equals(pattern(9000).subarray(5000, 5004))).toBe(true)
    f.adjustTail(-10)
    const target = new Uint8Array(4).fill(EE)
    fails(() => m.readInto(0, target), 'EFAULT', 'bpf_dynptr_read')
    expect([...target]).toEqual([EE, EE, EE, EE])
    fails(() => m.write(0, Buffer.from([1, 2, 3, 4])), 'EFAULT', 'bpf_dynptr_write')
    fails(() => m.memset(0, 4, 0), 'EFAULT')
    expect(m.data(0, 4)).toBeNull()
    expect(m.slice(0, 4)).toBeNull()
    expect(f.loadBytes(5000, 64).equals(pattern(9000).subarray(5000, 5064))).toBe(true)
  })
})

describe('read', () => {
  it('a failed read leaves the target untouched, for every errno', () => {
    const target = () => new Uint8Array(16).fill(EE)
    const untouched = (t: Uint8Array) => expect(t.every((b) => b === EE)).toBe(true)
    const cases: [string, Dynptr, number, ErrnoName][] = []
    cases.push(['null', Dynptr.null(), 0, 'EINVAL'])
    cases.push(['mem E2BIG', Dynptr.fromMem(pattern(20)), 5, 'E2BIG'])
    const ring = new RingBuffer(4096)
    const rec = ring.reserve(8)
    cases.push(['ring E2BIG', rec, 0, 'E2BIG'])
    cases.push(['skb E2BIG', Dynptr.fromSkb(skbOf(100)), 80, 'E2BIG'])
    const big = Frame.fromBytes(pattern(MAX_PACKET))
    cases.push(['xdp above 0xffff', Dynptr.fromXdp(big), 0x10000, 'EFAULT'])
    cases.push(['xdp out of range, above 0xffff too', Dynptr.fromXdp(big), MAX_PACKET - 8, 'E2BIG'])
    const shrunk = Frame.fromBytes(pattern(9000))
    const sd = Dynptr.fromXdp(shrunk)
    shrunk.adjustTail(-1000)
    cases.push(['xdp past a shrunk end', sd, 7990, 'EINVAL'])
    for (const [name, d, off, code] of cases) {
      const t = target()
      const e = thrown(() => d.readInto(off, t))
      expect([name, e.code, e.errno]).toEqual([name, code, -ERRNO[code]])
      untouched(t)
    }
    const t = target()
    fails(() => Dynptr.fromMem(pattern(64)).readInto(0, t, 1), 'EINVAL')
    untouched(t)
    rec.discard()
  })

  it('a length above 16 MiB - 1: EINVAL for a null dynptr or flags first, then E2BIG, nothing allocated', () => {
    const huge = DYNPTR_MAX_SIZE + 1
    fails(() => Dynptr.null().read(0, huge), 'EINVAL', 'bpf_dynptr_read')
    fails(() => Dynptr.fromMem(pattern(8)).read(0, huge, 1), 'EINVAL', 'bpf_dynptr_read')
    fails(() => Dynptr.fromMem(pattern(8)).read(0, huge), 'E2BIG', 'bpf_dynptr_read')
    fails(() => Dynptr.fromMem(pattern(8)).read(0xffffffff, 0xffffffff), 'E2BIG', 'bpf_dynptr_read')
    fails(() => Dynptr.fromXdp(Frame.fromBytes(pattern(9000))).read(100, huge), 'E2BIG', 'bpf_dynptr_read')
    fails(() => Dynptr.fromSkb(skbOf(200)).read(0, huge), 'E2BIG', 'bpf_dynptr_read')
  })

  // __bpf_dynptr_read checks the dynptr's bounds (E2BIG) before calling __bpf_xdp_load_bytes
  // (pinned by test/kernel-dynptr.spec.ts: out of range above 0xffff is E2BIG, not EFAULT); the
  // facade's path for lengths above 16 MiB - 1 makes the same checks without a buffer.
  it('a length above 16 MiB - 1 on an xdp dynptr is E2BIG also at offsets above 0xffff and past a shrunk end', () => {
    const d = Dynptr.fromXdp(Frame.fromBytes(pattern(MAX_PACKET)))
    fails(() => d.read(70000, DYNPTR_MAX_SIZE + 1), 'E2BIG', 'bpf_dynptr_read')
    const f = Frame.fromBytes(pattern(9000))
    const s = Dynptr.fromXdp(f)
    f.adjustTail(-1000)
    fails(() => s.read(8500, DYNPTR_MAX_SIZE + 1), 'E2BIG', 'bpf_dynptr_read')
  })
})

describe('write', () => {
  it('failed xdp writes change no byte: flags, out of range (before flags), above 0xffff, past a shrunk end', () => {
    const f = Frame.fromBytes(pattern(MAX_PACKET))
    const d = Dynptr.fromXdp(f)
    fails(() => d.write(0, Buffer.from([1]), 1), 'EINVAL', 'bpf_dynptr_write')
    fails(() => d.write(MAX_PACKET - 1, Buffer.from([1, 2]), 1), 'E2BIG', 'bpf_dynptr_write')
    fails(() => d.write(70000, Buffer.alloc(8, 1)), 'EFAULT', 'bpf_xdp_store_bytes')
    fails(() => d.write(0, Buffer.alloc(0x10000, 1)), 'EFAULT', 'bpf_xdp_store_bytes')
    expect(f.toBytes().equals(pattern(MAX_PACKET))).toBe(true)
    const g = Frame.fromBytes(pattern(9000))
    const s = Dynptr.fromXdp(g)
    g.adjustTail(-1000)
    fails(() => s.write(7996, Buffer.alloc(8, 1)), 'EINVAL', 'bpf_xdp_store_bytes')
    fails(() => s.write(8996, Buffer.alloc(8, 1)), 'E2BIG', 'bpf_dynptr_write')
    expect(g.toBytes().equals(pattern(9000).subarray(0, 8000))).toBe(true)
  })

  it('failed writes to memory and ring records change no byte; out of range is E2BIG even with flags', () => {
    const buf = pattern(16)
    const m = Dynptr.fromMem(buf)
    fails(() => m.write(14, Buffer.alloc(4, 1), 1), 'E2BIG')
    fails(() => m.write(0xffffffff, Buffer.alloc(1, 1)), 'E2BIG')
    fails(() => Dynptr.null().write(0, Buffer.alloc(1)), 'EINVAL', 'bpf_dynptr_write')
    expect(buf.equals(pattern(16))).toBe(true)
    const ring = new RingBuffer(4096)
    const rec = ring.reserve(16)
    rec.write(0, Buffer.alloc(16, 5))
    fails(() => rec.write(14, Buffer.alloc(4, 1), 1), 'E2BIG')
    fails(() => rec.write(0, Buffer.alloc(4, 1), 2n), 'EINVAL')
    rec.submit()
    expect(ring.drain()[0].equals(Buffer.alloc(16, 5))).toBe(true)
  })

  it('failed skb writes change no byte and pull nothing (read-only, out of range, unknown flags); metadata likewise', () => {
    const skb = skbOf(9000, Buffer.alloc(8, 3))
    const { headlen } = skb.info()
    const ro = Dynptr.fromSkb(skb, { progType: 'cgroup_skb' })
    fails(() => ro.write(5000, Buffer.from('x')), 'EINVAL', 'bpf_dynptr_write')
    fails(() => ro.memset(5000, 10, 0), 'EINVAL', 'bpf_dynptr_memset')
    const d = Dynptr.fromSkb(skb)
    fails(() => d.write(8980, Buffer.alloc(8)), 'E2BIG', 'bpf_dynptr_write')
    fails(() => d.write(5000, Buffer.from('x'), 4), 'EINVAL', 'bpf_skb_store_bytes')
    expect(skb.info().headlen, 'nothing was pulled into the head').toBe(headlen)
    expect(skb.toBytes().equals(pattern(9000).subarray(14))).toBe(true)
    const meta = Dynptr.fromSkbMeta(skb)
    fails(() => meta.write(0, Buffer.from([9]), 1), 'EINVAL', 'bpf_skb_meta_store_bytes')
    fails(() => meta.write(4, Buffer.alloc(8, 9)), 'E2BIG', 'bpf_dynptr_write')
    expect(skb.meta().equals(Buffer.alloc(8, 3))).toBe(true)
    // A fresh slice still sees the unchanged head.
    expect(Buffer.from(d.slice(0, 16)!).equals(pattern(9000).subarray(14, 30))).toBe(true)
  })
})

describe('data and slices', () => {
  it('data is null for null, read-only, out-of-range and packet dynptrs, and touches nothing', () => {
    const buf = pattern(64)
    const m = Dynptr.fromMem(buf)
    m.adjust(8, 40)
    const skb = skbOf(200, Buffer.alloc(8, 3))
    const ring = new RingBuffer(4096)
    const rec = ring.reserve(16)
    expect(Dynptr.null().data(0, 0)).toBeNull()
    expect(m.data(25, 8)).toBeNull()
    expect(m.data(0xffffffff, 2)).toBeNull()
    expect(rec.data(0, 17)).toBeNull()
    expect(Dynptr.fromXdp(Frame.fromBytes(pattern(200))).data(0, 4)).toBeNull()
    expect(Dynptr.fromSkb(skb).data(0, 4)).toBeNull()
    expect(Dynptr.fromSkb(skb, { progType: 'cgroup_skb' }).data(0, 4)).toBeNull()
    expect(Dynptr.fromSkbMeta(skb).data(0, 4)).toBeNull()
    expect(m.data(24, 8)!.length, 'the last 8 bytes are fine').toBe(8)
    expect(buf.equals(pattern(64))).toBe(true)
    rec.discard()
  })

  it('failed slices are null and leave the buffer untouched', () => {
    const b = () => new Uint8Array(32).fill(EE)
    const check = (name: string, f: (buf: Uint8Array) => Uint8Array | null) => {
      const buf = b()
      expect([name, f(buf)]).toEqual([name, null])
      expect([name, buf.every((x) => x === EE)]).toEqual([name, true])
    }
    const x = Dynptr.fromXdp(Frame.fromBytes(pattern(9000)))
    const skb = skbOf(9000, Buffer.alloc(8, 3))
    check('null', (buf) => Dynptr.null().slice(0, 4, buf))
    check('null rdwr', (buf) => Dynptr.null().sliceRdwr(0, 4, buf))
    check('mem out of range', (buf) => Dynptr.fromMem(pattern(64)).slice(40, 32, buf))
    check('xdp out of range', (buf) => x.slice(8990, 20, buf))
    check('skb out of range', (buf) => Dynptr.fromSkb(skb).slice(8980, 20, buf))
    check('skb read-only rdwr', (buf) => Dynptr.fromSkb(skb, { progType: 'cgroup_skb' }).sliceRdwr(5000, 20, buf))
    check('skb_meta out of range', (buf) => Dynptr.fromSkbMeta(skb).slice(4, 8, buf))
    expect(x.slice(3510, 20)).toBeNull()
    expect(Dynptr.fromSkb(skb).slice(5000, 20)).toBeNull()
  })

  it('a buffer shorter than the slice is EINVAL, wherever the slice would be direct, copied or null; the buffer untouched', () => {
    const x = Dynptr.fromXdp(Frame.fromBytes(pattern(9000)))
    for (const [name, d, off] of [
      ['direct', x, 100],
      ['across a boundary', x, 3510],
      ['out of range', x, 8999],
      ['null', Dynptr.null(), 0],
    ] as const) {
      const buf = new Uint8Array(8).fill(EE)
      const e = thrown(() => d.slice(off, 20, buf))
      expect([name, e.code, e.op]).toEqual([name, 'EINVAL', 'bpf_dynptr_slice'])
      fails(() => d.sliceRdwr(off, 20, buf), 'EINVAL', 'bpf_dynptr_slice_rdwr')
      expect(buf.every((b) => b === EE)).toBe(true)
    }
  })
})

describe('adjust, clone and the seed API', () => {
  it('adjust failures keep offset, size and the 16 bytes', () => {
    const d = Dynptr.fromXdp(Frame.fromBytes(pattern(9000)))
    d.adjust(100, 8100)
    const before = view(d)
    const cases: [number, number, ErrnoName][] = [
      [10, 5, 'EINVAL'],
      [8001, 8000, 'EINVAL'], // start > end comes before the range check
      [0, 8001, 'ERANGE'],
      [8001, 8001, 'ERANGE'],
      [0, 0xffffffff, 'ERANGE'],
    ]
    for (const [start, end, code] of cases) {
      fails(() => d.adjust(start, end), code, 'bpf_dynptr_adjust')
      expect(view(d)).toEqual(before)
    }
    const n = Dynptr.null()
    fails(() => n.adjust(0, 0), 'EINVAL', 'bpf_dynptr_adjust')
    expect(view(n)).toEqual([true, 0xffffffea, 0, 0, 0n])
  })

  it('clone failures: EINVAL for a null dynptr, ERANGE past the size (the seed), the source unchanged', () => {
    const skb = skbOf(200)
    const d = Dynptr.fromSkb(skb, { progType: 'cgroup_skb' })
    d.advance(6)
    const before = view(d)
    fails(() => d.clone(181), 'ERANGE', 'bpf_dynptr_clone')
    fails(() => d.clone(0xffffffff), 'ERANGE', 'bpf_dynptr_clone')
    expect(view(d)).toEqual(before)
    expect(d.clone(180).getSize(), 'exactly the size is fine').toBe(0)
    fails(() => Dynptr.null().clone(), 'EINVAL', 'bpf_dynptr_clone')
    fails(() => Dynptr.null().clone(0), 'EINVAL', 'bpf_dynptr_clone')
    fails(() => Dynptr.null().clone(5), 'EINVAL', 'bpf_dynptr_clone')
  })

  it('advance and trim failures keep the view; getSize and getOffset of a null dynptr are EINVAL', () => {
    const ring = new RingBuffer(4096)
    const d = ring.reserve(64)
    d.advance(10)
    d.trim(4)
    const before = view(d)
    for (const len of [51, 1000, 0xffffffff]) {
      fails(() => d.advance(len), 'ERANGE', 'bpf_dynptr_advance')
      fails(() => d.trim(len), 'ERANGE', 'bpf_dynptr_trim')
      expect(view(d)).toEqual(before)
    }
    expect([d.getOffset(), d.getSize()]).toEqual([10, 50])
    const n = Dynptr.null()
    fails(() => n.advance(0), 'EINVAL', 'bpf_dynptr_advance')
    fails(() => n.trim(0), 'EINVAL', 'bpf_dynptr_trim')
    fails(() => n.getSize(), 'EINVAL', 'bpf_dynptr_get_size')
    fails(() => n.getOffset(), 'EINVAL', 'bpf_dynptr_get_offset')
    d.discard()
  })
})

describe('copy and memset', () => {
  it('failed copies write nothing: null sides (EINVAL), read-only destination (EINVAL), out of range (E2BIG)', () => {
    const f = Frame.fromBytes(pattern(9000))
    const x = Dynptr.fromXdp(f)
    const buf = new Uint8Array(64).fill(EE)
    const m = Dynptr.fromMem(buf)
    const skb = skbOf(9000)
    const ro = Dynptr.fromSkb(skb, { progType: 'cgroup_skb' })
    fails(() => Dynptr.copy(m, 0, Dynptr.null(), 0, 8), 'EINVAL')
    fails(() => Dynptr.copy(Dynptr.null(), 0, m, 0, 8), 'EINVAL')
    fails(() => Dynptr.copy(x, 100, Dynptr.null(), 0, 8), 'EINVAL')
    fails(() => Dynptr.copy(Dynptr.null(), 0, Dynptr.null(), 0, 1), 'E2BIG')
    fails(() => Dynptr.copy(ro, 0, x, 0, 8), 'EINVAL')
    fails(() => Dynptr.copy(ro, 5000, x, 3510, 20), 'EINVAL')
    fails(() => Dynptr.copy(m, 60, x, 0, 8), 'E2BIG')
    fails(() => Dynptr.copy(m, 0, x, 8996, 8), 'E2BIG')
    fails(() => Dynptr.copy(x, 8990, x, 3510, 20), 'E2BIG', 'bpf_dynptr_copy')
    fails(() => Dynptr.copy(x, 8990, m, 0, 20), 'E2BIG')
    fails(() => m.copyFrom(50, m, 0, 20), 'E2BIG')
    expect(buf.every((b) => b === EE)).toBe(true)
    expect(f.toBytes().equals(pattern(9000))).toBe(true)
    expect(skb.toBytes().equals(pattern(9000).subarray(14))).toBe(true)
  })

  it('copies between an skb and its own metadata fail as the kernel order says and change nothing', () => {
    // One object, two kinds, one backing: the kernel's order (one side direct: that side's write or
    // read; neither: E2BIG up front, whatever the size, nothing allocated for it).
    const skb = skbOf(200, Buffer.alloc(8, 3))
    const d = Dynptr.fromSkb(skb)
    const m = Dynptr.fromSkbMeta(skb)
    const ro = Dynptr.fromSkb(skb, { progType: 'cgroup_skb' })
    fails(() => Dynptr.copy(m, 0, d, 0, 16), 'E2BIG', 'bpf_dynptr_write')
    fails(() => Dynptr.copy(m, 4, d, 0, 8), 'E2BIG', 'bpf_dynptr_write')
    fails(() => Dynptr.copy(d, 0, m, 4, 8), 'E2BIG', 'bpf_dynptr_read')
    fails(() => Dynptr.copy(d, 180, m, 0, 8), 'E2BIG', 'bpf_dynptr_write')
    fails(() => Dynptr.copy(ro, 0, m, 0, 4), 'EINVAL', 'bpf_dynptr_write')
    fails(() => Dynptr.copy(m, 0, d, 0, 0xffffffff), 'E2BIG', 'bpf_dynptr_copy')
    expect(skb.meta().equals(Buffer.alloc(8, 3))).toBe(true)
    expect(skb.toBytes().equals(pattern(200).subarray(14))).toBe(true)
  })

  it('copies to or from a submitted record fail with EINVAL and change nothing', () => {
    const ring = new RingBuffer(4096)
    const rec = ring.reserve(8)
    rec.write(0, Buffer.alloc(8, 7))
    const clone = rec.clone()
    rec.submit()
    const buf = new Uint8Array(8).fill(EE)
    const m = Dynptr.fromMem(buf)
    fails(() => Dynptr.copy(m, 0, clone, 0, 8), 'EINVAL', 'bpf_dynptr_copy')
    fails(() => Dynptr.copy(clone, 0, m, 0, 8), 'EINVAL', 'bpf_dynptr_copy')
    fails(() => Dynptr.copy(rec, 0, m, 0, 8), 'EINVAL')
    expect(buf.every((b) => b === EE)).toBe(true)
    expect(ring.drain()[0].equals(Buffer.alloc(8, 7))).toBe(true)
  })

  it('failed memsets write nothing: out of range, read-only, null; a null dynptr of 0 bytes is fine', () => {
    const buf = pattern(64)
    const m = Dynptr.fromMem(buf)
    fails(() => m.memset(60, 8, 0), 'E2BIG', 'bpf_dynptr_memset')
    fails(() => m.memset(0xffffffff, 2, 0), 'E2BIG', 'bpf_dynptr_memset')
    fails(() => Dynptr.null().memset(0, 1, 0), 'E2BIG', 'bpf_dynptr_memset')
    Dynptr.null().memset(0, 0, 0)
    const skb = skbOf(9000)
    fails(() => Dynptr.fromSkb(skb, { progType: 'flow_dissector' }).memset(0, 8, 0), 'EINVAL', 'bpf_dynptr_memset')
    const f = Frame.fromBytes(pattern(9000))
    fails(() => Dynptr.fromXdp(f).memset(3000, 6001, 1), 'E2BIG', 'bpf_dynptr_memset')
    expect(buf.equals(pattern(64))).toBe(true)
    expect(skb.toBytes().equals(pattern(9000).subarray(14))).toBe(true)
    expect(f.toBytes().equals(pattern(9000))).toBe(true)
  })

  it('a chunked memset that fails keeps the chunks written before (as the kernel does)', () => {
    const f = Frame.fromBytes(pattern(MAX_PACKET))
    fails(() => Dynptr.fromXdp(f).memset(64900, 1000, 0x5a), 'EFAULT')
    const want = pattern(MAX_PACKET)
    want.fill(0x5a, 64900, 65668)
    expect(f.toBytes().equals(want)).toBe(true)
  })
})

describe('iterator', () => {
  it('refused before the first call: no function, flags (returned, or thrown when malformed), a null dynptr', () => {
    const d = Dynptr.fromMem(pattern(64))
    let calls = 0
    const cb = () => (calls++, 0)
    fails(() => d.iterator(any(null)), 'EINVAL')
    expect(d.iterator(cb, undefined, 1)).toBe(-22)
    expect(d.iterator(cb, undefined, 1n)).toBe(-22)
    expect(d.iterator(cb, undefined, 1n << 40n)).toBe(-22)
    fails(() => d.iterator(cb, undefined, -1), 'EINVAL')
    expect(Dynptr.null().iterator(cb)).toBe(-22)
    expect(calls).toBe(0)
  })

  it('a callback result that is no int stops with EINVAL after that call; the dynptr untouched', () => {
    const d = Dynptr.fromMem(pattern(64))
    d.advance(4)
    const before = view(d)
    for (const bad of [1.5, NaN, Infinity, 2 ** 31, -(2 ** 31) - 1, undefined, '3', {}]) {
      let calls = 0
      const e = thrown(() =>
        d.iterator(() => {
          calls++
          return any(bad)
        }),
      )
      expect([String(bad), e.code, e.errno, calls]).toEqual([String(bad), 'EINVAL', -22, 1])
      expect(view(d)).toEqual(before)
    }
    // The extremes of an int are returned as they are.
    expect(d.iterator(() => -(2 ** 31))).toBe(-(2 ** 31))
    expect(d.iterator(() => 2 ** 31 - 1)).toBe(-34)
  })

  it('an exception from the callback propagates after that one call; the dynptr untouched', () => {
    const d = Dynptr.fromXdp(Frame.fromBytes(pattern(9000)))
    const before = view(d)
    let calls = 0
    expect(() =>
      d.iterator((v) => {
        if (++calls === 2) throw new RangeError('second')
        return v.getSize() > 100 ? 100 : 0
      }),
    ).toThrow(RangeError)
    expect(calls).toBe(2)
    expect(view(d)).toEqual(before)
  })

  it('the callback may use the dynptr, its frame and a ring: nothing is held while it runs (no EBUSY)', () => {
    const f = Frame.fromBytes(pattern(9000))
    const d = Dynptr.fromXdp(f)
    const ring = new RingBuffer(4096)
    const rec = ring.reserve(8)
    let calls = 0
    const r = d.iterator((v) => {
      calls++
      expect(v.read(0, 4).equals(pattern(4))).toBe(true)
      d.write(0, Buffer.from([0xaa]))
      expect(f.loadBytes(0, 1)[0]).toBe(0xaa)
      rec.copyFrom(0, v, 0, 8)
      ring.output(Buffer.from('inner'))
      expect(v.clone().iterator(() => 0)).toBe(0)
      expect(d.iterator(() => 0)).toBe(0)
      return 0
    })
    expect([r, calls]).toEqual([0, 1])
    rec.submit()
    // The record was reserved before 'inner' was output: it comes first.
    const [first, second] = ring.drain()
    expect(first.equals(Buffer.concat([Buffer.from([0xaa]), pattern(8).subarray(1)]))).toBe(true)
    expect(second.toString()).toBe('inner')
  })
})

describe('ring buffer', () => {
  it('failed reservations leave the ring as it was: flags (before the size limit), E2BIG, no room (EINVAL)', () => {
    const ring = new RingBuffer(4096)
    ring.output(Buffer.from('kept'))
    const before = ringState(ring)
    fails(() => ring.reserve(DYNPTR_MAX_SIZE + 1, 1), 'EINVAL', 'bpf_ringbuf_reserve_dynptr')
    fails(() => ring.reserve(DYNPTR_MAX_SIZE + 1), 'E2BIG', 'bpf_ringbuf_reserve_dynptr')
    fails(() => ring.reserve(0xffffffff), 'E2BIG', 'bpf_ringbuf_reserve_dynptr')
    fails(() => ring.reserve(DYNPTR_MAX_SIZE), 'EINVAL', 'bpf_ringbuf_reserve_dynptr')
    expect(ring.info().pendingPos).toBe(0)
    fails(() => ring.reserve(4081), 'EINVAL', 'bpf_ringbuf_reserve_dynptr')
    expect(ringState(ring)).toEqual(before)
    // 4081 fits the size checks, so the kernel walked its pending position past the committed
    // record before finding no room (it stores it before the check).
    expect(ring.info().pendingPos).toBe(16)
    const big = ring.reserve(4064)
    const full = ringState(ring)
    fails(() => ring.reserve(1), 'EINVAL', 'bpf_ringbuf_reserve_dynptr')
    expect(ringState(ring)).toEqual(full)
    big.discard()
    expect(ring.drain().map(String)).toEqual(['kept'])
  })

  it('failed outputs leave the ring as it was: flags before room (EINVAL), no room (EAGAIN)', () => {
    const ring = new RingBuffer(4096)
    ring.output(Buffer.from('kept'))
    const before = ringState(ring)
    fails(() => ring.output(Buffer.alloc(5000), 4), 'EINVAL', 'bpf_ringbuf_output')
    fails(() => ring.output(Buffer.alloc(8), 1n << 63n), 'EINVAL', 'bpf_ringbuf_output')
    fails(() => ring.output(Buffer.alloc(5000)), 'EAGAIN', 'bpf_ringbuf_output')
    fails(() => ring.output(Buffer.alloc(4073)), 'EAGAIN', 'bpf_ringbuf_output')
    expect(ringState(ring)).toEqual(before)
    expect(ring.drain().map(String)).toEqual(['kept'])
  })

  it('query: unknown flags answer 0, malformed flags are EINVAL', () => {
    const ring = new RingBuffer(8192)
    ring.output(Buffer.alloc(8))
    expect([ring.query(4), ring.query(1n << 40n), ring.query(2 ** 40)]).toEqual([0n, 0n, 0n])
    fails(() => ring.query(-1n), 'EINVAL', 'bpf_ringbuf_query')
    fails(() => ring.query(1n << 64n), 'EINVAL', 'bpf_ringbuf_query')
    fails(() => ring.query(-1), 'EINVAL')
    expect(ring.query(0n)).toBe(16n)
  })

  it('submit and discard of anything but a live record: EINVAL, the ring unchanged; a null dynptr is a no-op', () => {
    const ring = new RingBuffer(4096)
    const rec = ring.reserve(4)
    rec.write(0, Buffer.from('once'))
    const clone = rec.clone()
    rec.submit()
    const before = ringState(ring)
    fails(() => rec.submit(), 'EINVAL', 'bpf_ringbuf_submit_dynptr')
    fails(() => rec.discard(), 'EINVAL', 'bpf_ringbuf_submit_dynptr')
    fails(() => clone.submit(), 'EINVAL', 'bpf_ringbuf_submit_dynptr')
    fails(() => clone.discard(), 'EINVAL', 'bpf_ringbuf_submit_dynptr')
    fails(() => Dynptr.fromMem(pattern(4)).submit(), 'EINVAL', 'bpf_ringbuf_submit_dynptr')
    fails(() => Dynptr.fromXdp(Frame.fromBytes(pattern(64))).discard(), 'EINVAL', 'bpf_ringbuf_submit_dynptr')
    // The kernel's submit/discard of a null dynptr return without doing anything.
    Dynptr.null().submit()
    Dynptr.null().discard(2)
    expect(ringState(ring)).toEqual(before)
    expect(ring.drain().map(String)).toEqual(['once'])
  })

  it('a submit refused for its flags leaves the record reserved with its bytes; it can still be submitted', () => {
    const ring = new RingBuffer(4096)
    const rec = ring.reserve(4)
    rec.write(0, Buffer.from('late'))
    const before = ringState(ring)
    fails(() => rec.submit(-1), 'EINVAL')
    fails(() => rec.discard(1.5), 'EINVAL')
    fails(() => rec.submit(1n << 64n), 'EINVAL')
    expect(ringState(ring)).toEqual(before)
    expect([rec.isNull(), rec.read(0, 4).toString()]).toEqual([false, 'late'])
    rec.submit()
    expect(ring.drain().map(String)).toEqual(['late'])
  })

  // The kernel's submit cannot fail; the facade refuses bad flags before touching the record.
  it('views of a record survive a submit refused for its flags', () => {
    const ring = new RingBuffer(4096)
    const rec = ring.reserve(4)
    const v = rec.data(0, 4)!
    fails(() => rec.submit(-1), 'EINVAL')
    expect(v.length).toBe(4)
    rec.discard()
  })

  it('unknown submit and discard flag bits are ignored, as the kernel ignores them: the record is committed', () => {
    const ring = new RingBuffer(4096)
    const a = ring.reserve(1)
    a.write(0, Buffer.from('a'))
    a.submit(4)
    const b = ring.reserve(1)
    b.write(0, Buffer.from('b'))
    b.submit(0xffn)
    ring.reserve(1).discard(1n << 40n)
    expect(ring.drain().map(String)).toEqual(['a', 'b'])
    expect(ring.info().producerPos).toBe(48)
  })

  it('consume and poll refuse bad arguments before consuming anything', () => {
    const ring = new RingBuffer(4096)
    ring.output(Buffer.from('x'), 2n)
    const before = ringState(ring)
    fails(() => ring.consume(any(null)), 'EINVAL')
    fails(() => ring.consume(() => 0, -1), 'EINVAL')
    fails(() => ring.poll(any('f')), 'EINVAL')
    fails(() => ring.poll(() => 0, 1.5), 'EINVAL')
    expect(ringState(ring)).toEqual(before)
    expect(ring.poll(() => 0)).toBe(1)
  })

  it('a callback that throws: the exception propagates, that record is consumed, the rest stay', () => {
    const ring = new RingBuffer(4096)
    for (const i of [1, 2, 3]) ring.output(Buffer.from([i]))
    const seen: number[] = []
    expect(() =>
      ring.consume((s) => {
        seen.push(s[0])
        if (s[0] === 2) throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(seen).toEqual([1, 2])
    expect(ring.info().consumerPos).toBe(32)
    expect(ring.drain().map((s) => s[0])).toEqual([3])
  })

  it('records larger than the consumer scratch, and more than one batch of records, are consumed whole', () => {
    // The engine answers "-needed" for a record larger than the 64 KiB scratch and "more" after
    // 256 records: neither may lose or split a record.
    const ring = new RingBuffer(256 * 1024)
    const big = pattern(100_000)
    ring.output(big)
    ring.output(Buffer.from('after'))
    const got: Buffer[] = []
    expect(ring.consume((s) => void got.push(s))).toBe(2)
    expect(got[0].equals(big)).toBe(true)
    expect(got[1].toString()).toBe('after')
    for (let i = 0; i < 300; i++) ring.output(Buffer.from([i & 0xff, i >> 8]))
    const small: number[] = []
    expect(ring.consume((s) => void small.push(s[0] | (s[1] << 8)))).toBe(300)
    expect(small).toEqual(Array.from({ length: 300 }, (_, i) => i))
  })

  it('wait rejects bad arguments; producer calls that fail wake no waiter', async () => {
    const ring = new RingBuffer(4096)
    for (const [cb, t] of [
      [5, 10],
      [() => 0, -1],
      [() => 0, NaN],
      [() => 0, '10'],
    ] as const) {
      await expect(ring.wait(any(cb), any(t))).rejects.toMatchObject({ code: 'EINVAL', errno: -22 })
    }
    const rec = ring.reserve(4)
    rec.write(0, Buffer.from('wake'))
    const waiting = ring.wait(() => 0, 40)
    fails(() => ring.output(Buffer.from('x'), 4), 'EINVAL')
    fails(() => ring.output(Buffer.alloc(5000)), 'EAGAIN')
    fails(() => ring.reserve(8, 1), 'EINVAL')
    fails(() => rec.submit(-1), 'EINVAL')
    expect(await waiting).toBe(0)
    const seen: string[] = []
    const next = ring.wait((s) => void seen.push(s.toString()), Infinity)
    rec.submit()
    expect(await next).toBe(1)
    expect(seen).toEqual(['wake'])
  })

  it('sizes that are not a power-of-two number of pages are EINVAL', () => {
    for (const size of [0, 2048, 4095, 4097, 6144, 3 * 4096, 0xffffffff]) fails(() => new RingBuffer(size), 'EINVAL', 'ringbuf_map_alloc')
  })

  it('timeNativeLoop fails as its reservation does and leaves the ring as it was', () => {
    const ring = new RingBuffer(4096)
    const before = ringState(ring)
    fails(() => ring.timeNativeLoop(4096, 1), 'EINVAL', 'bpf_ringbuf_reserve_dynptr')
    fails(() => ring.timeNativeLoop(DYNPTR_MAX_SIZE + 1, 1), 'E2BIG', 'bpf_ringbuf_reserve_dynptr')
    fails(() => ring.timeNativeLoop(64, 0), 'EINVAL')
    expect(ringState(ring)).toEqual(before)
  })
})
