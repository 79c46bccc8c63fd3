import { describe, expect, it } from 'vitest'
import { Frame, PagePool, UxdpError } from '../lib/index'

describe('PagePool', () => {
  it('counts what it hands out and gets back', () => {
    const pool = new PagePool()
    const frames = [9000, 100, 73152].map((n) => Frame.fromBytes(Buffer.alloc(n), { pool }))
    expect(pool.stats()).toMatchObject({ allocated: 3 + 1 + 18, inFlight: 22, recycled: 0 })
    frames.forEach((f) => f.release())
    expect(pool.stats()).toMatchObject({ inFlight: 0, recycled: 22 })
    Frame.fromBytes(Buffer.alloc(9000), { pool }).release()
    expect(pool.stats()).toMatchObject({ allocFast: 3, allocated: 22 })
  })

  it('runs out like memory does, and loses nothing', () => {
    const pool = new PagePool({ maxInFlight: 4 })
    const held = Frame.fromBytes(Buffer.alloc(9000), { pool })
    try {
      Frame.fromBytes(Buffer.alloc(9000), { pool })
      expect.unreachable()
    } catch (e) {
      expect((e as UxdpError).code).toBe('ENOMEM')
    }
    expect(pool.stats()).toMatchObject({ inFlight: 3, allocFailed: 1 })
    held.release()
    expect(pool.stats().inFlight).toBe(0)
  })

  it('validates its configuration', () => {
    expect(() => new PagePool({ pageSize: 1000 })).toThrow(UxdpError)
    expect(() => new PagePool({ pageSize: -4096 })).toThrow(UxdpError)
    const big = new PagePool({ pageSize: 16384 })
    expect(big.pageSize).toBe(16384)
    expect(Frame.fromBytes(Buffer.alloc(20000), { pool: big }).linearLength).toBe(16384 - 256 - 320)
    expect(PagePool.default).toBe(PagePool.default)
  })
})
