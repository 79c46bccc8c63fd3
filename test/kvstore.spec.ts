import { describe, expect, it } from 'vitest'
import { Frame, KV_KEY_HW_HASH, KV_KEY_HW_TIMESTAMP, KV_KEY_HW_VLAN, MetadataKeyRegistry, PagePool, UxdpError } from '../lib/index'
import { code, pattern, thrown } from './helpers/util'

const frame = (len = 200, opts = {}) => Frame.fromBytes(pattern(len), opts)

describe('MetadataStore on a Frame', () => {
  it('lays the store out as the header, values in slot order, zero padding', () => {
    const f = frame()
    const m = f.metadata
    expect(m.writable).toBe(true)
    expect(m.keys()).toEqual([])
    m.set(5, Buffer.from([0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]))
    m.set(3n, { u32: 0x33323130 })
    m.set(0, { u16: 0x0201 })
    const meta = f.meta()
    expect(meta.length).toBe(32)
    expect(meta.readBigUInt64LE(0)).toBe((1n << 3n) | (1n << 5n)) // hi
    expect(meta.readBigUInt64LE(8)).toBe(1n | (1n << 5n)) // lo
    expect([...meta.subarray(16)]).toEqual([1, 2, 0x30, 0x31, 0x32, 0x33, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0, 0])
    expect(f.metaLength).toBe(32)
    expect(m.keys()).toEqual([0n, 3n, 5n])
    expect(m.getU16(0)).toBe(0x0201)
    expect(m.getU32(3)).toBe(0x33323130)
    expect(m.getU64(5)).toBe(0xa7a6a5a4a3a2a1a0n)
    expect(m.get(5n).equals(Buffer.from([0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]))).toBe(true)
    expect(f.toBytes().equals(pattern(200))).toBe(true)
    f.release()
  })

  it('resizes, deletes and clears, moving data_meta', () => {
    const f = frame()
    const data = f.layout().data
    const m = f.metadata
    m.set(1, { u16: 1 })
    m.set(2, { u64: 2n })
    m.set(1, { u64: 0x1111111111111111n })
    expect(f.layout().dataMeta).toBe(data - 32)
    expect(m.getU64(2)).toBe(2n)
    m.delete(1)
    expect(f.metaLength).toBe(24)
    m.delete(2)
    expect(f.metaLength).toBe(0)
    m.set(7, { u32: 7 })
    m.clear()
    expect([f.metaLength, m.keys().length]).toEqual([0, 0])
    f.release()
  })

  it('knows the hardware keys and their fixed sizes', () => {
    const f = frame()
    const m = f.metadata
    m.set(KV_KEY_HW_HASH, { u32: 0xdeadbeef })
    m.set(KV_KEY_HW_TIMESTAMP, { u64: 1_700_000_000_000_000_000n })
    m.setVlan({ proto: 0x8100, tci: 0x0123 })
    expect(m.keys()).toEqual([KV_KEY_HW_HASH, KV_KEY_HW_VLAN, KV_KEY_HW_TIMESTAMP])
    expect(m.getU32(KV_KEY_HW_HASH)).toBe(0xdeadbeef)
    expect(m.getU32(61)).toBe(0xdeadbeef)
    expect(m.getVlan()).toEqual({ proto: 0x8100, tci: 0x0123 })
    expect([...m.get(KV_KEY_HW_VLAN)]).toEqual([0x81, 0x00, 0x23, 0x01])
    expect(m.getU64(KV_KEY_HW_TIMESTAMP)).toBe(1_700_000_000_000_000_000n)
    expect(code(() => m.set(KV_KEY_HW_HASH, { u16: 1 }))).toBe('EINVAL')
    expect(code(() => m.set(63, { u32: 1 }))).toBe('EINVAL')
    f.release()
  })

  it('reports errors as UxdpError with codes', () => {
    const f = frame()
    const m = f.metadata
    const unset = thrown(() => m.get(9))
    expect([unset.code, unset.errno, unset.op]).toEqual(['ENOENT', -2, 'xdp_kv_get'])
    expect(m.has(9)).toBe(false)
    expect(code(() => m.delete(9))).toBe('ENOENT')
    const outside = thrown(() => m.get(64))
    expect(outside.code).toBe('EINVAL')
    expect(outside.message).toMatch(/outside the 64 slots/)
    expect(code(() => m.set(KV_KEY_HW_TIMESTAMP + 1n, { u16: 1 }))).toBe('EINVAL')
    expect(code(() => m.set(0, Buffer.alloc(3)))).toBe('EINVAL')
    expect(code(() => m.set(0, Buffer.alloc(16)))).toBe('EINVAL')
    expect(code(() => m.set(0, { u16: 0x10000 }))).toBe('EINVAL')
    expect(code(() => m.set(0, { u64: -1n }))).toBe('EINVAL')
    expect(code(() => m.set(0, 'x' as never))).toBe('EINVAL')
    expect(code(() => m.get(-1))).toBe('EINVAL')
    expect(code(() => m.get(1.5))).toBe('EINVAL')
    expect(code(() => m.get(1n << 64n))).toBe('EINVAL')
    m.set(0, { u16: 1 })
    expect(code(() => m.getU32(0))).toBe('EINVAL')
    expect(code(() => m.getVlan())).toBe('ENOENT')
    f.release()
  })

  it('leaves metadata that is not a store alone (EINVAL)', () => {
    const f = frame(200, { meta: Buffer.alloc(8, 0xab) })
    const e = thrown(() => f.metadata.get(0))
    expect(e.code).toBe('EINVAL')
    expect(e.message).toMatch(/not a key\/value store/)
    expect(code(() => f.metadata.set(0, { u16: 1 }))).toBe('EINVAL')
    expect(code(() => f.metadata.keys())).toBe('EINVAL')
    expect(code(() => f.metadata.clear())).toBe('EINVAL')
    expect(f.meta().equals(Buffer.alloc(8, 0xab))).toBe(true)
    f.release()
  })

  it('is full at the headroom limit: ENOSPC, nothing changed', () => {
    const f = frame()
    const m = f.metadata
    for (let k = 0; k < 25; k++) m.set(k, { u64: BigInt(k) })
    expect(f.metaLength).toBe(216)
    const before = f.meta()
    const e = thrown(() => m.set(25, { u16: 1 }))
    expect([e.code, e.limit, e.length]).toEqual(['ENOSPC', 216, 220])
    expect(f.meta().equals(before)).toBe(true)
    f.release()

    const roomy = frame(200, { headroom: 512 })
    for (let k = 0; k < 59; k++) roomy.metadata.set(k, { u32: k })
    expect(roomy.metaLength).toBe(252)
    expect(thrown(() => roomy.metadata.set(59, { u16: 1 })).limit).toBe(252)
    roomy.release()

    const small = frame()
    for (let k = 0; k < 61; k++) small.metadata.set(k, { u16: k })
    small.metadata.set(KV_KEY_HW_HASH, { u32: 1 })
    small.metadata.set(KV_KEY_HW_VLAN, { u32: 2 })
    small.metadata.set(KV_KEY_HW_TIMESTAMP, { u64: 3 })
    expect([small.metadata.keys().length, small.metaLength]).toEqual([64, 156])
    small.release()
  })

  it('has no room without metadata support (ENOTSUPP)', () => {
    const f = frame(200, { metaSupported: false })
    expect(f.metadata.keys()).toEqual([])
    expect(code(() => f.metadata.set(0, { u16: 1 }))).toBe('ENOTSUPP')
    f.release()
  })

  it('detaches live views when it may move data_meta', () => {
    const f = frame()
    const view = f.pointer(0, 8)!
    expect(view.length).toBe(8)
    f.metadata.set(0, { u16: 1 })
    expect(view.length).toBe(0)
    f.release()
  })
})

describe('conversions', () => {
  it('survive xdp_frame, back to a buff, and skb', () => {
    const pool = new PagePool()
    const f = Frame.fromBytes(pattern(9000), { pool })
    f.metadata.set(0, { u16: 0xaabb })
    f.metadata.set(17, { u32: 0x17171717 })
    f.metadata.set(KV_KEY_HW_TIMESTAMP, { u64: 42n })
    const x = f.toXdpFrame()
    expect(() => f.metadata.keys()).toThrow(UxdpError)
    const xm = x.metadata
    expect(xm.writable).toBe(false)
    expect(xm.keys()).toEqual([0n, 17n, KV_KEY_HW_TIMESTAMP])
    expect(xm.getU32(17)).toBe(0x17171717)
    expect(code(() => xm.get(1))).toBe('ENOENT')
    const ro = thrown(() => xm.set(1, { u16: 1 }))
    expect([ro.code, ro.op]).toEqual(['EINVAL', 'xdp_kv_set'])
    expect(ro.message).toMatch(/read-only/)
    expect(code(() => xm.delete(0))).toBe('EINVAL')
    expect(code(() => xm.clear())).toBe('EINVAL')

    const back = x.toFrame()
    back.metadata.set(2, { u64: 2n })
    back.metadata.delete(0)
    const skb = back.toXdpFrame().toSkb({ ifindex: 2 })
    expect(skb.info().metaLen).toBe(16 + 8 + 4 + 8)
    expect(skb.metadata.keys()).toEqual([2n, 17n, KV_KEY_HW_TIMESTAMP])
    expect(skb.metadata.getU64(KV_KEY_HW_TIMESTAMP)).toBe(42n)
    expect(skb.metadata.writable).toBe(false)
    expect(code(() => skb.metadata.set(3, { u16: 1 }))).toBe('EINVAL')
    skb.release()
    expect(code(() => skb.metadata.keys())).toBe('EINVAL')
    expect(pool.stats().inFlight).toBe(0)
  })

  it('reads through a registry by name after conversion', () => {
    const reg = new MetadataKeyRegistry()
    const id = reg.register('packet_id', 8)
    const f = frame()
    f.metadata.withRegistry(reg).set('packet_id', { u64: 0x1234n })
    const x = f.toXdpFrame()
    expect(x.metadata.withRegistry(reg).getU64('packet_id')).toBe(0x1234n)
    expect(x.metadata.getU64(id)).toBe(0x1234n)
    x.release()
  })
})

describe('MetadataKeyRegistry', () => {
  it('hands out the lowest free application slot, the same key for the same name and size', () => {
    const reg = new MetadataKeyRegistry()
    expect(reg.strict).toBe(false)
    expect(reg.register('a', 2)).toBe(0n)
    expect(reg.register('b', 8)).toBe(1n)
    expect(reg.register('a', 2)).toBe(0n)
    expect(reg.key('b')).toBe(1n)
    expect(reg.size('b')).toBe(8)
    expect(reg.names()).toEqual(['a', 'b'])
    expect(reg.entries()).toEqual([
      { name: 'a', key: 0n, size: 2 },
      { name: 'b', key: 1n, size: 8 },
    ])
    reg.unregister('a')
    expect(reg.has('a')).toBe(false)
    expect(reg.register('c', 4)).toBe(0n)
    expect(reg.names()).toEqual(['c', 'b'])
  })

  it('errors: EEXIST, ENOSPC, ENOENT, EINVAL', () => {
    const reg = new MetadataKeyRegistry()
    reg.register('a', 2)
    const e = thrown(() => reg.register('a', 4))
    expect([e.code, e.errno]).toEqual(['EEXIST', -17])
    expect(code(() => reg.key('nope'))).toBe('ENOENT')
    expect(code(() => reg.unregister('nope'))).toBe('ENOENT')
    expect(code(() => reg.register('', 2))).toBe('EINVAL')
    expect(code(() => reg.register('x', 3 as never))).toBe('EINVAL')
    for (let i = 1; i < 61; i++) expect(reg.register(`k${i}`, 2)).toBe(BigInt(i))
    const full = thrown(() => reg.register('one-too-many', 2))
    expect([full.code, full.limit]).toEqual(['ENOSPC', 61])
    expect(reg.register('a', 2)).toBe(0n)
  })

  it('resolves string keys in stores; unknown names are ENOENT, has() is false', () => {
    const reg = new MetadataKeyRegistry()
    const f = frame()
    const m = f.metadata.withRegistry(reg)
    expect(m.registry).toBe(reg)
    reg.register('flow', 4)
    m.set('flow', { u32: 99 })
    expect(m.getU32('flow')).toBe(99)
    expect(m.getU32(0)).toBe(99)
    expect(m.has('flow')).toBe(true)
    expect(m.has('ghost')).toBe(false)
    expect(code(() => m.get('ghost'))).toBe('ENOENT')
    expect(code(() => m.set('ghost', { u16: 1 }))).toBe('ENOENT')
    // A registered key takes its registered size, by name or by number.
    const wrong = thrown(() => m.set('flow', { u16: 1 }))
    expect([wrong.code, wrong.limit]).toEqual(['EINVAL', 4])
    expect(code(() => m.set(0, { u64: 1n }))).toBe('EINVAL')
    m.delete('flow')
    expect(m.has('flow')).toBe(false)
    // Not strict: unregistered numeric keys are fine.
    m.set(30, { u16: 1 })
    f.release()
  })

  it('strict: unregistered application keys cannot be set (ENOENT); hardware keys always can', () => {
    const reg = new MetadataKeyRegistry({ strict: true })
    const f = frame()
    const m = f.metadata.withRegistry(reg)
    const e = thrown(() => m.set(3, { u16: 1 }))
    expect([e.code, e.op]).toEqual(['ENOENT', 'xdp_kv_set'])
    expect(e.message).toMatch(/not registered/)
    const key = reg.register('ok', 2)
    m.set(key, { u16: 1 })
    m.set('ok', { u16: 2 })
    m.set(KV_KEY_HW_HASH, { u32: 5 })
    m.set(61, { u32: 6 })
    expect(m.keys()).toEqual([key, KV_KEY_HW_HASH])
    // Reads are not restricted, and the default registry is a different, non-strict one.
    expect(m.getU16(key)).toBe(2)
    expect(f.metadata.registry).toBe(MetadataKeyRegistry.default)
    f.metadata.set(3, { u16: 1 })
    expect(code(() => m.withRegistry({} as never))).toBe('EINVAL')
    f.release()
  })

  it('the default registry resolves names for frame.metadata', () => {
    const key = MetadataKeyRegistry.default.register('kvstore.spec/trace_id', 8)
    const f = frame()
    f.metadata.set('kvstore.spec/trace_id', { u64: 7n })
    const x = f.toXdpFrame()
    expect(x.metadata.getU64('kvstore.spec/trace_id')).toBe(7n)
    x.release()
    MetadataKeyRegistry.default.unregister('kvstore.spec/trace_id')
    expect(key).toBeLessThan(61n)
  })
})
