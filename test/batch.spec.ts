import { describe, expect, it } from 'vitest'
import { Frame, FrameBatch, PagePool, UxdpError } from '../lib/index'

const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 13) & 0xff))

describe('FrameBatch', () => {
  it('gives the same results as the helpers called one by one', () => {
    const mk = () => [Frame.fromBytes(pattern(9000)), Frame.fromBytes(pattern(100))]
    const [a, b] = mk()
    const batch = Frame.batch([a, b])
    const ops = [
      batch.getBuffLen(0),
      batch.loadBytes(0, 3510, 20),
      batch.storeBytes(1, 10, Buffer.from([9, 9, 9])),
      batch.adjustTail(0, 10),
      batch.adjustTail(1, -200),
      batch.pointer(0, 3510, 20),
      batch.pointer(0, 5000, 8),
      batch.loadBytes(0, 8995, 100),
      batch.adjustMeta(1, -6),
      batch.adjustData(0, 5000),
      batch.adjustData(0, 0),
      batch.pullData(0, 3600),
      batch.getBuffLen(0),
    ]
    expect(ops).toEqual([...ops.keys()])
    const r = Array.from(batch.run())
    expect(r).toEqual([9000, 0, 0, 0, -22, 0, 2, -22, -13, 3520, 0, 0, 9010])
    expect(batch.bytes(1).equals(pattern(9000).subarray(3510, 3530))).toBe(true)

    const [c, d] = mk()
    expect(c.getBuffLen()).toBe(9000)
    c.adjustTail(10)
    expect(() => d.adjustTail(-200)).toThrow(UxdpError)
    c.pullData(3600)
    d.storeBytes(10, Buffer.from([9, 9, 9]))
    expect(a.toBytes().equals(c.toBytes())).toBe(true)
    expect(b.toBytes().equals(d.toBytes())).toBe(true)
    expect(a.segments().map((s) => s.length)).toEqual(c.segments().map((s) => s.length))
  })

  it('runs again on the same frames and reuses its arrays', () => {
    const f = Frame.fromBytes(pattern(200))
    const batch = new FrameBatch([f])
    batch.adjustTail(0, -10)
    batch.getBuffLen(0)
    expect(Array.from(batch.run())).toEqual([0, 190])
    expect(Array.from(batch.run())).toEqual([0, 180])
    batch.clear()
    expect(batch.size).toBe(0)
    for (let i = 0; i < 200; i++) batch.getBuffLen(0)
    expect(batch.run().every((x) => x === 180)).toBe(true)
  })

  it('detaches views when a batch may change geometry', () => {
    const f = Frame.fromBytes(pattern(200))
    const v = f.pointer(0, 14)!
    const readOnly = new FrameBatch([f])
    readOnly.loadBytes(0, 0, 4)
    readOnly.run()
    expect(v.length).toBe(14)
    const changing = new FrameBatch([f])
    changing.adjustHead(0, 14)
    changing.run()
    expect(v.length).toBe(0)
  })

  it('validates the whole batch before running any of it', () => {
    const f = Frame.fromBytes(pattern(200))
    const batch = new FrameBatch([f])
    expect(() => batch.adjustTail(1, 0)).toThrow(/frame must be an integer from 0 to 0/)
    expect(() => batch.loadBytes(0, -1, 4)).toThrow(UxdpError)
    expect(() => new FrameBatch([{} as Frame])).toThrow(UxdpError)
    expect(() => batch.bytes(0)).toThrow(UxdpError)
  })

  it('refuses released frames with EINVAL for the whole batch', () => {
    const f = Frame.fromBytes(pattern(200))
    const g = Frame.fromBytes(pattern(200))
    const batch = new FrameBatch([f, g])
    batch.adjustTail(1, -10)
    f.release()
    try {
      batch.run()
      expect.unreachable()
    } catch (e) {
      expect((e as UxdpError).code).toBe('EINVAL')
    }
    expect(g.length).toBe(200)
  })

  it('has a native-loop twin for benchmarks', () => {
    const pool = new PagePool()
    const f = Frame.fromBytes(pattern(9000), { pool })
    const batch = new FrameBatch([f])
    for (let i = 0; i < 64; i++) batch.loadBytes(0, (i * 131) % 8900, 64)
    const ns = batch.timeNativeLoop(100)
    expect(ns).toBeGreaterThan(0)
    expect(batch.bytes(5).equals(pattern(9000).subarray(655, 719))).toBe(true)
  })
})
