import { describe, expect, it } from 'vitest'
import { Frame, PagePool, XDP_FLAGS_FRAGS_PF_MEMALLOC, XDP_FLAGS_HAS_FRAGS } from '../lib/index'
import { pattern, thrown } from './helpers/util'

describe('Frame.fromBytes', () => {
  it('splits like BPF_PROG_TEST_RUN', () => {
    const pool = new PagePool()
    const f = Frame.fromBytes(pattern(9000), { pool })
    expect([f.length, f.linearLength, f.nrFrags, f.fragsSize, f.flags]).toEqual([9000, 3520, 2, 5480, XDP_FLAGS_HAS_FRAGS])
    expect(f.frags().map((x) => x.length)).toEqual([4096, 1384])
    expect(f.hasFrags).toBe(true)
    expect([f.headroom, f.tailroom, f.metaLength, f.fragsTruesize, f.maxFrags]).toEqual([256, 0, 0, 0, 17])
    expect(f.toBytes().equals(pattern(9000))).toBe(true)
    f.release()
    expect(pool.stats().inFlight).toBe(0)
  })

  it('takes driver layouts as options', () => {
    const f = Frame.fromBytes(pattern(4000), { linearLength: 128, fragLength: 1500, fragOffset: 64, fragTruesize: 2048 })
    expect(f.segments().map((s) => [s.kind, s.length, s.offset])).toEqual([
      ['linear', 128, 256],
      ['frag', 1500, 64],
      ['frag', 1500, 64],
      ['frag', 872, 64],
    ])
    expect(f.fragsTruesize).toBe(3 * 2048)
    f.release()
  })

  it('places metadata before data', () => {
    const meta = Buffer.from('0011223344556677', 'hex')
    const f = Frame.fromBytes(pattern(100), { meta })
    expect(f.meta().equals(meta)).toBe(true)
    expect(f.toBytes({ meta: true }).equals(Buffer.concat([meta, pattern(100)]))).toBe(true)
    const l = f.layout()
    expect([l.data - l.dataMeta, l.data, l.hardEnd, l.frameSize]).toEqual([8, 256, 4096 - 320, 4096])
    expect(typeof l.pageAddr).toBe('bigint')
    f.release()
  })

  it('refuses what the kernel refuses', () => {
    expect(thrown(() => Frame.fromBytes(pattern(73153))).code).toBe('ENOMEM')
    expect(thrown(() => Frame.fromBytes(pattern(73153))).limit).toBe(73152)
    expect(thrown(() => Frame.fromBytes(pattern(13))).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromBytes(pattern(64), { meta: Buffer.alloc(6) })).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromBytes(pattern(64), { maxFrags: 46 })).code).toBe('EINVAL')
    expect(Frame.fromBytes(pattern(3072 + 45 * 4096), { maxFrags: 45 }).nrFrags).toBe(45)
  })

  it('rejects malformed arguments with EINVAL instead of guessing', () => {
    expect(thrown(() => Frame.fromBytes('abc' as unknown as Buffer)).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromBytes(pattern(64), { linearLength: -1 })).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromBytes(pattern(64), { fragLength: 1.5 })).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromBytes(pattern(64), { pool: {} as PagePool })).code).toBe('EINVAL')
    const f = Frame.fromBytes(pattern(100))
    expect(thrown(() => f.adjustTail(Number.NaN)).code).toBe('EINVAL')
    expect(thrown(() => f.adjustTail(2 ** 31)).code).toBe('EINVAL')
    expect(thrown(() => f.loadBytes(-1, 4)).code).toBe('EINVAL')
    expect(thrown(() => f.storeBytes(0, [1, 2] as unknown as Buffer)).code).toBe('EINVAL')
    expect(f.length).toBe(100)
  })
})

describe('helpers', () => {
  it('load and store across frag boundaries', () => {
    const f = Frame.fromBytes(pattern(9000))
    expect(f.loadBytes(3510, 20).equals(pattern(9000).subarray(3510, 3530))).toBe(true)
    f.storeBytes(7600, Buffer.alloc(30, 0xee))
    const want = pattern(9000)
    want.fill(0xee, 7600, 7630)
    expect(f.toBytes().equals(want)).toBe(true)
    const into = Buffer.alloc(64)
    f.loadBytesInto(3500, into)
    expect(into.equals(want.subarray(3500, 3564))).toBe(true)
    expect(f.getBuffLen()).toBe(9000)
    f.release()
  })

  it('reports helper failures as the kernel returns them', () => {
    const f = Frame.fromBytes(pattern(9000))
    const e = thrown(() => f.loadBytes(8990, 11))
    expect([e.code, e.errno, e.op, e.offset, e.length, e.limit]).toEqual(['EINVAL', -22, 'bpf_xdp_load_bytes', 8990, 11, 9000])
    expect(thrown(() => f.loadBytes(0x10000, 1)).errno).toBe(-14)
    expect(thrown(() => f.adjustTail(4000)).code).toBe('EINVAL')
    expect(thrown(() => f.adjustMeta(-6)).code).toBe('EACCES')
    expect(thrown(() => f.adjustHead(-217)).code).toBe('EINVAL')
    const noFragSize = Frame.fromBytes(pattern(9000), { rxqFragSize: 0 })
    expect(thrown(() => noFragSize.adjustTail(0)).code).toBe('EOPNOTSUPP')
    const noMeta = Frame.fromBytes(pattern(100), { metaSupported: false })
    const ns = thrown(() => noMeta.adjustMeta(-4))
    expect([ns.code, ns.errno]).toEqual(['ENOTSUPP', -524])
  })

  it('adjust tail, head and meta change the packet as in the kernel', () => {
    const pool = new PagePool()
    const f = Frame.fromBytes(pattern(9000), { pool })
    f.adjustTail(10)
    expect(f.frags().map((x) => x.length)).toEqual([4096, 1394])
    expect(f.loadBytes(9000, 10).equals(Buffer.alloc(10))).toBe(true)
    f.adjustTail(-5500)
    expect([f.length, f.nrFrags, f.flags, pool.stats().inFlight]).toEqual([3510, 0, 0, 1])
    f.adjustHead(14)
    expect(f.loadBytes(0, 4).equals(pattern(9000).subarray(14, 18))).toBe(true)
    f.adjustMeta(-8)
    expect(f.metaLength).toBe(8)
    f.release()
    expect(pool.stats().inFlight).toBe(0)
  })

  it('pullData makes the head linear', () => {
    const f = Frame.fromBytes(pattern(3064), { linearLength: 64, fragLength: 1000 })
    f.pullData(1064)
    expect(f.segments().map((s) => s.length)).toEqual([1064, 1000, 1000])
    expect(f.toBytes().equals(pattern(3064))).toBe(true)
    expect(thrown(() => f.pullData(4000)).code).toBe('EINVAL')
  })

  it('adjustData walks the window over the segments (v14 seed API)', () => {
    const f = Frame.fromBytes(pattern(9000))
    expect(f.adjustData(5000)).toBe(3520)
    expect(f.dataWindow()).toEqual({ segment: 1, start: 1480, end: 4096 })
    expect(thrown(() => f.adjustTail(-1)).code).toBe('EFAULT')
    expect(f.adjustData(0)).toBe(0)
    expect(f.dataWindow()).toEqual({ segment: 0, start: 256, end: 256 + 3520 })
    f.adjustTail(-1)
  })

  it('xdpOutput builds the perf sample across frags', () => {
    const f = Frame.fromBytes(pattern(9000))
    const s = f.xdpOutput((5000n << 32n) | 0xffffffffn, Buffer.from('meta'))
    expect(s.index).toBeNull()
    expect(s.data.equals(Buffer.concat([Buffer.from('meta'), pattern(9000).subarray(0, 5000)]))).toBe(true)
    expect(f.xdpOutput(2).index).toBe(2)
    expect(thrown(() => f.xdpOutput(9001n << 32n)).code).toBe('EFAULT')
    expect(thrown(() => f.xdpOutput(1n << 60n)).code).toBe('EINVAL')
  })

  it('copyBuf copies what exists without bounds checks', () => {
    const f = Frame.fromBytes(pattern(5000))
    expect(f.copyBuf(4990, 100).equals(pattern(5000).subarray(4990))).toBe(true)
    expect(f.copyBuf(6000, 10).length).toBe(0)
  })
})

describe('direct views', () => {
  it('pointer is a live view in one segment, null across a boundary', () => {
    const f = Frame.fromBytes(pattern(9000))
    expect(f.pointer(3510, 20)).toBeNull()
    const v = f.pointer(5000, 8)!
    expect(Buffer.from(v).equals(pattern(9000).subarray(5000, 5008))).toBe(true)
    v[0] = 0x42
    expect(f.loadBytes(5000, 1)[0]).toBe(0x42)
    f.storeBytes(5001, Buffer.from([0x43]))
    expect(v[1]).toBe(0x43)
    expect(thrown(() => f.pointer(8995, 6)).code).toBe('EINVAL')
    f.release()
  })

  it('views are detached when the packet changes shape or is released', () => {
    const f = Frame.fromBytes(pattern(9000))
    const v = f.pointer(0, 14)!
    const segs = f.segments()
    expect(v.length).toBe(14)
    f.storeBytes(0, Buffer.from([1]))
    expect(v.length).toBe(14)
    f.adjustTail(-1)
    expect(v.length).toBe(0)
    expect(segs.every((s) => s.data.length === 0)).toBe(true)
    const w = f.pointer(100, 4)!
    f.release()
    expect(w.length).toBe(0)
    expect(w[0]).toBeUndefined()
  })
})

describe('direct views share their segment', () => {
  it('views into one segment alias each other; after a change of shape new views see the new layout', () => {
    const f = Frame.fromBytes(pattern(9000))
    const a = f.pointer(4000, 16)!
    const b = f.pointer(4008, 16)!
    a[8] = 0xee
    expect(b[0]).toBe(0xee)
    // The view's buffer is the frag the bytes are in (frag 0 holds packet bytes 3520..7616).
    expect(a.buffer.byteLength).toBe(4096)
    expect(a.byteOffset).toBe(4000 - 3520)
    const seg = f.segments()[1].data
    expect(seg.buffer).toBe(a.buffer)
    f.adjustHead(14)
    expect(a.length + b.length + seg.length).toBe(0)
    // Packet offsets moved by 14: the byte written at 4008 is now at 3994, still in frag 0.
    const c = f.pointer(3994, 1)!
    expect(c[0]).toBe(0xee)
    expect(c.buffer).not.toBe(a.buffer)
    const linear = f.pointer(0, 4)!
    expect(Buffer.from(linear).equals(pattern(9000).subarray(14, 18))).toBe(true)
    expect(linear.buffer.byteLength).toBe(3520 - 14)
    f.release()
  })
})

describe('lifetime', () => {
  it('a released frame refuses every use and gave back its pages', () => {
    const pool = new PagePool()
    const f = Frame.fromBytes(pattern(20000), { pool })
    expect(pool.stats().inFlight).toBe(6)
    f.release()
    expect(f.released).toBe(true)
    expect(pool.stats()).toMatchObject({ inFlight: 0, recycled: 6 })
    expect(thrown(() => f.length).code).toBe('EINVAL')
    expect(thrown(() => f.release()).code).toBe('EINVAL')
  })

  it('pfmemalloc pages mark the frame', () => {
    const pool = new PagePool()
    pool.setPfmemalloc(true)
    const f = Frame.fromBytes(pattern(9000), { pool })
    expect(f.flags).toBe(XDP_FLAGS_HAS_FRAGS | XDP_FLAGS_FRAGS_PF_MEMALLOC)
    f.adjustTail(-5480)
    expect(f.flags).toBe(0)
  })
})
