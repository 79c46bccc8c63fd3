import { describe, expect, it } from 'vitest'
import { BPF_RB_AVAIL_DATA, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_RING_SIZE, RingBuffer } from '../lib/index'
import { code } from './helpers/util'

describe('RingBuffer', () => {
  it('must be a power of two number of pages', () => {
    expect(code(() => new RingBuffer(4095))).toBe('EINVAL')
    expect(code(() => new RingBuffer(3 * 4096))).toBe('EINVAL')
    expect(new RingBuffer(8192).size).toBe(8192)
  })

  it('reserve, write, submit; discard; consumed in order', () => {
    const ring = new RingBuffer(4096)
    const a = ring.reserve(5)
    const b = ring.reserve(3)
    b.write(0, Buffer.from('two'))
    a.write(0, Buffer.from('first'))
    expect(ring.drain(), 'the first record is still being written').toEqual([])
    a.submit()
    b.discard()
    ring.output(Buffer.from('three'))
    expect(ring.drain().map(String)).toEqual(['first', 'three'])
    expect(ring.query(BPF_RB_AVAIL_DATA)).toBe(0n)
    expect(ring.query(BPF_RB_RING_SIZE)).toBe(4096n)
  })

  it('a reservation and its clones die together', () => {
    const ring = new RingBuffer(4096)
    const d = ring.reserve(16)
    const c = d.clone()
    const view = c.data(0, 16)!
    view.fill(0x41)
    d.submit()
    expect(view.length, 'views of the record are detached').toBe(0)
    expect(d.isNull()).toBe(true)
    expect(code(() => c.write(0, Buffer.alloc(1)))).toBe('EINVAL')
    expect(code(() => c.submit())).toBe('EINVAL')
    expect(ring.drain()[0].equals(Buffer.alloc(16, 0x41))).toBe(true)
  })

  it('full rings refuse (output with EAGAIN, reserve with EINVAL, as the kernel); flags are checked', () => {
    const ring = new RingBuffer(4096)
    for (let i = 0; i < 255; i++) ring.output(Buffer.alloc(8))
    expect(code(() => ring.output(Buffer.alloc(8)))).toBe('EAGAIN')
    expect(code(() => ring.reserve(8))).toBe('EINVAL')
    expect(ring.drain().length).toBe(255)
    expect(code(() => ring.reserve(8, 1))).toBe('EINVAL')
    expect(code(() => ring.reserve(1 << 24))).toBe('E2BIG')
    expect(code(() => ring.output(Buffer.alloc(1), 4))).toBe('EINVAL')
  })

  it('consume stops at a negative callback return, that record consumed', () => {
    const ring = new RingBuffer(4096)
    for (let i = 0; i < 4; i++) ring.output(Buffer.from([i]))
    const seen: number[] = []
    expect(ring.consume((s) => (seen.push(s[0]), s[0] === 1 ? -7 : 0))).toBe(-7)
    expect(seen).toEqual([0, 1])
    expect(ring.drain().map((s) => s[0])).toEqual([2, 3])
    ring.output(Buffer.from([9]))
    expect(ring.consume(() => {}, 0)).toBe(0)
    expect(ring.drain().length).toBe(1)
  })

  it('wakeups follow BPF_RB_* flags', () => {
    const ring = new RingBuffer(4096)
    ring.output(Buffer.from('a'))
    ring.output(Buffer.from('b'))
    ring.output(Buffer.from('c'), BPF_RB_FORCE_WAKEUP)
    ring.drain()
    ring.output(Buffer.from('d'), BPF_RB_NO_WAKEUP)
    expect(ring.info().notifications).toBe(2)
  })

  it('wrapped records come back whole and the data area shows the wrap', () => {
    const ring = new RingBuffer(4096)
    ring.output(Buffer.alloc(4000, 1))
    ring.drain()
    const payload = Buffer.from(Array.from({ length: 200 }, (_, i) => i))
    const d = ring.reserve(200)
    d.write(0, payload)
    d.submit()
    expect(ring.data().subarray(0, 120).equals(payload.subarray(80))).toBe(true)
    expect(ring.drain()[0].equals(payload)).toBe(true)
    expect(ring.timeNativeLoop(64, 1000)).toBeGreaterThan(0)
  })
})

describe('RingBuffer poll and wait (ring_buffer__poll)', () => {
  const texts = (out: Buffer[]) => out.map((b) => b.toString())

  it('poll reads only after a wakeup; consume reads regardless', () => {
    const ring = new RingBuffer(4096)
    const seen: Buffer[] = []
    ring.output(Buffer.from('quiet'), BPF_RB_NO_WAKEUP)
    expect(ring.poll((s) => void seen.push(s))).toBe(0)
    ring.output(Buffer.from('behind'))
    expect(ring.poll((s) => void seen.push(s))).toBe(0)
    ring.output(Buffer.from('forced'), BPF_RB_FORCE_WAKEUP)
    expect(ring.poll((s) => void seen.push(s))).toBe(3)
    expect(texts(seen)).toEqual(['quiet', 'behind', 'forced'])
    // Level-triggered: right after a report the next poll re-checks, and still sees new data.
    ring.output(Buffer.from('re-checked'), BPF_RB_NO_WAKEUP)
    expect(ring.poll(() => 0)).toBe(1)
    // A poll that finds the ring empty drops it from the ready list; then only a wakeup helps.
    expect(ring.poll(() => 0)).toBe(0)
    ring.output(Buffer.from('unwoken'), BPF_RB_NO_WAKEUP)
    expect(ring.poll(() => 0)).toBe(0)
    expect(texts(ring.drain())).toEqual(['unwoken'])
  })

  it('wait resolves when a submit wakes the consumer, and times out otherwise', async () => {
    const ring = new RingBuffer(4096)
    const seen: Buffer[] = []
    const waiting = ring.wait((s) => void seen.push(s), Infinity)
    setTimeout(() => {
      const rec = ring.reserve(5)
      rec.write(0, Buffer.from('hello'))
      rec.submit()
    }, 5)
    expect(await waiting).toBe(1)
    expect(texts(seen)).toEqual(['hello'])

    setTimeout(() => ring.output(Buffer.from('silent'), BPF_RB_NO_WAKEUP), 1)
    const start = Date.now()
    expect(await ring.wait(() => 0, 40)).toBe(0)
    expect(Date.now() - start).toBeGreaterThanOrEqual(35)
    expect(texts(ring.drain())).toEqual(['silent'])
    await expect(ring.wait(() => 0, -1)).rejects.toMatchObject({ code: 'EINVAL' })
  })
})
