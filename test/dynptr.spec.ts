import { describe, expect, it } from 'vitest'
import { Dynptr, DYNPTR_MAX_SIZE, Frame, PagePool, RingBuffer } from '../lib/index'
import { pattern, skbOf, thrown } from './helpers/util'

describe('Dynptr over memory', () => {
  it('reads and writes the Buffer itself', () => {
    const buf = pattern(64)
    const d = Dynptr.fromMem(buf)
    expect([d.kind, d.size, d.offset, d.isNull(), d.isRdonly()]).toEqual(['local', 64, 0, false, false])
    expect(d.read(60, 4).equals(pattern(64).subarray(60))).toBe(true)
    d.write(0, Buffer.from('abc'))
    expect(buf.subarray(0, 3).toString()).toBe('abc')
    const view = d.data(8, 8)!
    view.fill(0x55)
    expect(buf.subarray(8, 16).equals(Buffer.alloc(8, 0x55))).toBe(true)
    expect(d.slice(62, 2)!.buffer).toBe(buf.buffer)
  })

  it('covers exactly the Uint8Array it was made from', () => {
    const whole = pattern(100)
    const d = Dynptr.fromMem(whole.subarray(40, 60))
    expect(d.size).toBe(20)
    expect(d.read(0, 4).equals(whole.subarray(40, 44))).toBe(true)
    expect(thrown(() => d.read(18, 4)).code).toBe('E2BIG')
    d.write(19, Buffer.from([0xaa]))
    expect([whole[58], whole[59], whole[60]]).toEqual([pattern(100)[58], 0xaa, pattern(100)[60]])
  })

  it('reports the kernel errnos', () => {
    const d = Dynptr.fromMem(Buffer.alloc(16))
    expect(thrown(() => d.read(0, 4, 1)).code).toBe('EINVAL')
    expect(thrown(() => d.write(0, Buffer.alloc(1), 1)).code).toBe('EINVAL')
    expect(thrown(() => d.write(15, Buffer.alloc(2))).errno).toBe(-7)
    expect(thrown(() => d.read(0, DYNPTR_MAX_SIZE + 1)).code).toBe('E2BIG')
    expect(thrown(() => Dynptr.fromMem(Buffer.alloc(4), 1)).code).toBe('EINVAL')
    expect(thrown(() => Dynptr.fromMem('x' as unknown as Buffer)).code).toBe('EINVAL')
  })

  it('null dynptrs', () => {
    const n = Dynptr.null()
    expect([n.isNull(), n.isRdonly(), n.size, n.kind]).toEqual([true, false, 0xffffffea, '<invalid>'])
    expect(thrown(() => n.read(0, 1)).code).toBe('EINVAL')
    expect(thrown(() => n.getSize()).code).toBe('EINVAL')
    expect(thrown(() => n.getOffset()).code).toBe('EINVAL')
    expect(thrown(() => n.clone()).code).toBe('EINVAL')
    expect(thrown(() => n.adjust(0, 0)).code).toBe('EINVAL')
    expect(n.slice(0, 1, Buffer.alloc(1))).toBeNull()
  })
})

describe('Dynptr over a Frame (XDP)', () => {
  it('spans linear part and frags; writes reach the frame', () => {
    const f = Frame.fromBytes(pattern(9000))
    const d = Dynptr.fromXdp(f)
    expect([d.kind, d.size]).toEqual(['xdp', 9000])
    expect(d.read(3510, 20).equals(pattern(9000).subarray(3510, 3530))).toBe(true)
    d.write(7606, Buffer.alloc(20, 0xee))
    expect(f.loadBytes(7606, 20).equals(Buffer.alloc(20, 0xee))).toBe(true)
    expect(d.data(0, 4)).toBeNull()
    expect(thrown(() => d.write(0, Buffer.alloc(1), 1)).code).toBe('EINVAL')
  })

  it('slices are frame views when contiguous, copies otherwise, and die with the geometry', () => {
    const f = Frame.fromBytes(pattern(9000))
    const d = Dynptr.fromXdp(f)
    const v = d.sliceRdwr(5000, 4)!
    v.set([1, 2, 3, 4])
    expect([...f.loadBytes(5000, 4)]).toEqual([1, 2, 3, 4])
    const buf = Buffer.alloc(32)
    const c = d.slice(3510, 20, buf)!
    expect(c.buffer).toBe(buf.buffer)
    expect(Buffer.from(c).equals(pattern(9000).subarray(3510, 3530))).toBe(true)
    expect(d.slice(3510, 20)).toBeNull()
    expect(thrown(() => d.slice(0, 8, Buffer.alloc(4))).code).toBe('EINVAL')
    f.adjustTail(-10)
    expect(v.length).toBe(0)
  })

  it('keeps its size when the frame shrinks, and reads past the new end fail like the helper', () => {
    const f = Frame.fromBytes(pattern(9000))
    const d = Dynptr.fromXdp(f)
    f.adjustTail(-1000)
    expect(d.size).toBe(9000)
    expect(thrown(() => d.read(8500, 8)).code).toBe('EINVAL')
  })

  it('copy and memset across frags', () => {
    const f = Frame.fromBytes(pattern(9000))
    const d = Dynptr.fromXdp(f)
    const mem = Buffer.alloc(600)
    const m = Dynptr.fromMem(mem)
    Dynptr.copy(m, 0, d, 3400, 600)
    expect(mem.equals(pattern(9000).subarray(3400, 4000))).toBe(true)
    d.copyFrom(7000, d, 3400, 1000)
    expect(f.loadBytes(7000, 1000).equals(pattern(9000).subarray(3400, 4400))).toBe(true)
    d.memset(3000, 5000, 0xcd)
    expect(f.loadBytes(3000, 5000).equals(Buffer.alloc(5000, 0xcd))).toBe(true)
    expect(thrown(() => d.memset(8999, 2, 1)).code).toBe('E2BIG')
    expect(thrown(() => d.memset(0, 1, 256)).code).toBe('EINVAL')
  })

  it('copies between two views of one Buffer as memmove', () => {
    const buf = pattern(100)
    const a = Dynptr.fromMem(buf.subarray(0, 60))
    const b = Dynptr.fromMem(buf.subarray(10, 100))
    Dynptr.copy(b, 0, a, 0, 50)
    const want = pattern(100)
    want.copyWithin(10, 0, 50)
    expect(buf.equals(want)).toBe(true)
  })
})

describe('Dynptr over an Skb', () => {
  it('is writable for tc, read-only for cgroup_skb, and writes pull into the head', () => {
    const pool = new PagePool()
    const skb = Frame.fromBytes(pattern(9000), { pool }).toXdpFrame().toSkb()
    const ro = Dynptr.fromSkb(skb, { progType: 'cgroup_skb' })
    expect(ro.isRdonly()).toBe(true)
    expect(thrown(() => ro.write(0, Buffer.alloc(1))).code).toBe('EINVAL')
    expect(ro.sliceRdwr(0, 4)).toBeNull()
    const d = Dynptr.fromSkb(skb)
    expect([d.size, d.isRdonly()]).toEqual([8986, false])
    const head = d.slice(0, 14)!
    expect(d.slice(5000, 16)).toBeNull()
    d.write(5000, Buffer.from('PULLED'))
    expect(head.length, 'views of the old head are detached before the head moves').toBe(0)
    expect(d.slice(5000, 6)!.length).toBe(6)
    expect(skb.info().headlen).toBe(5006)
    expect(skb.toBytes().subarray(5000, 5006).toString()).toBe('PULLED')
    skb.release()
    expect(pool.stats().inFlight).toBe(0)
  })

  it('metadata dynptrs', () => {
    const skb = skbOf(200, Buffer.from('0011223344556677', 'hex'))
    const m = Dynptr.fromSkbMeta(skb)
    expect([m.kind, m.size]).toEqual(['skb_meta', 8])
    expect(m.read(4, 4).toString('hex')).toBe('44556677')
    m.write(0, Buffer.from([0xff]))
    expect(skb.meta()[0]).toBe(0xff)
  })
})

describe("the seed's convenience API", () => {
  it('advance, trim, getSize, getOffset', () => {
    const ring = new RingBuffer(4096)
    const d = ring.reserve(64)
    expect(d.getSize()).toBe(64)
    d.advance(10)
    expect([d.getOffset(), d.getSize()]).toEqual([10, 54])
    d.trim(5)
    expect([d.getOffset(), d.getSize()]).toEqual([10, 49])
    expect(thrown(() => d.advance(50)).code).toBe('ERANGE')
    expect(thrown(() => d.trim(50)).code).toBe('ERANGE')
    d.discard()
  })

  it('zero-size dynptrs read and write only zero bytes', () => {
    const ring = new RingBuffer(4096)
    const d = ring.reserve(64)
    d.advance(64)
    expect(thrown(() => d.read(0, 1)).code).toBe('E2BIG')
    expect(thrown(() => d.write(0, Buffer.from('x'))).code).toBe('E2BIG')
    expect(d.read(0, 0).length).toBe(0)
    d.write(0, Buffer.alloc(0))
    d.discard()
  })

  it('clones: same view, independent afterwards, offsets with ERANGE', () => {
    const skb = skbOf(200)
    const d = Dynptr.fromSkb(skb, { progType: 'cgroup_skb' })
    d.advance(2)
    const c = d.clone()
    expect([c.getSize(), c.getOffset(), c.isRdonly()]).toEqual([d.getSize(), 2, true])
    d.advance(50)
    d.trim(50)
    expect([c.getOffset(), c.getSize()]).toEqual([2, 184])
    expect(thrown(() => c.clone(185)).code).toBe('ERANGE')
    expect(c.clone(2).getSize()).toBe(182)
  })

  it('iterator: over-advance, callback errors, and the original untouched', () => {
    const skb = skbOf(200)
    const d = Dynptr.fromSkb(skb, { progType: 'cgroup_skb' })
    d.advance(1)
    expect(d.iterator((view) => view.getSize() + 1)).toBe(-34)
    expect([d.getSize(), d.getOffset()]).toEqual([185, 1])
    expect(d.iterator(() => -14)).toBe(-14)
    expect(d.iterator(() => 0, undefined, 1)).toBe(-22)
    let seen = 0
    expect(
      d.iterator((view, ctx: { n: number }) => {
        ctx.n++
        seen = view.getSize()
        return view.getSize() >= 50 ? 50 : 0
      }, { n: 0 }),
    ).toBe(0)
    expect(seen).toBe(35)
    expect(() => d.iterator(() => 1.5)).toThrow(/integer/)
    expect(() =>
      d.iterator(() => {
        throw new Error('from the callback')
      }),
    ).toThrow('from the callback')
  })

  it('iterator parse strings', () => {
    const val = Buffer.alloc(64)
    val.write('x=foo/y=bar/z=baz/')
    const values: string[] = []
    const r = Dynptr.fromMem(val).iterator((view) => {
      const size = view.getSize()
      const data = size < 10 ? view.read(0, size) : Buffer.from(view.data(0, 10)!)
      const s = data.toString('latin1')
      const i = s.indexOf('=')
      if (i < 0) return 0
      const j = s.indexOf('/', i)
      if (j < 0) return -2
      values.push(s.slice(i + 1, j))
      return j
    })
    expect([r, values]).toEqual([0, ['foo', 'bar', 'baz']])
  })
})
