import { describe, expect, it } from 'vitest'
import { Frame, PagePool, Program, XDP_FLAGS_FRAGS_PF_MEMALLOC, XDP_FLAGS_HAS_FRAGS } from '../lib/index'
import { compileOwn } from './helpers/bpf'
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

describe('Frame.fromBytes validates strictly; Frame.fromTestRun has the kernel test_run rules', () => {
  it('linearLength past the linear capacity is EINVAL naming the option, the value and the limit (was clamped to 3520)', () => {
    const e = thrown(() => Frame.fromBytes(Buffer.alloc(9000), { linearLength: 5000 }))
    expect([e.code, e.length, e.limit]).toEqual(['EINVAL', 5000, 3520])
    expect(e.message).toMatch(/linearLength 5000 is more than the linear part holds: 3520 bytes/)
    // The capacity follows the options: a larger headroom leaves less.
    expect(thrown(() => Frame.fromBytes(Buffer.alloc(9000), { headroom: 512, linearLength: 3300 })).limit).toBe(3264)
    // Up to the capacity, and for a packet shorter than linearLength (all of it linear), it holds.
    const f = Frame.fromBytes(Buffer.alloc(9000), { linearLength: 3520 })
    const g = Frame.fromBytes(Buffer.alloc(64), { linearLength: 100 })
    expect([f.linearLength, g.linearLength, g.nrFrags]).toEqual([3520, 64, 0])
    f.release()
    g.release()
  })

  it('a linear part shorter than an Ethernet header is EINVAL (was built without a word)', () => {
    for (const linearLength of [0, 5, 13]) {
      const e = thrown(() => Frame.fromBytes(Buffer.alloc(9000), { linearLength }))
      expect([e.code, e.length, e.limit]).toEqual(['EINVAL', linearLength, 14])
      expect(e.message).toContain(`linearLength ${linearLength} is shorter than an Ethernet header`)
    }
    const f = Frame.fromBytes(Buffer.alloc(9000), { linearLength: 14 })
    expect([f.linearLength, f.nrFrags]).toEqual([14, 3])
    f.release()
  })

  it('options must be an object of known keys with values of the right type', () => {
    const b = Buffer.alloc(100)
    expect(thrown(() => Frame.fromBytes(b, 'abc' as never)).message).toMatch(/Frame.fromBytes: options must be an object, got the string "abc"/)
    expect(thrown(() => Frame.fromBytes(b, null as never)).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromBytes(b, 5 as never)).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromBytes(b, [] as never)).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromBytes(b, { linerLength: 64 } as never)).message).toMatch(/unknown option 'linerLength' \(did you mean 'linearLength'\?\)/)
    expect(thrown(() => Frame.fromBytes(b, { metaSupported: 'no' } as never)).message).toMatch(/metaSupported must be true or false/)
    expect(thrown(() => Frame.fromBytes(b, { headroom: '256' } as never)).code).toBe('EINVAL')
    // undefined for an optional key is no option
    const f = Frame.fromBytes(b, { linearLength: undefined, pool: undefined, meta: undefined })
    expect(f.linearLength).toBe(100)
    expect(thrown(() => f.toBytes({ meta: 1 } as never)).code).toBe('EINVAL')
    expect(thrown(() => f.setRxQueue({ fragsize: 0 } as never)).message).toMatch(/did you mean 'fragSize'/)
    f.release()
  })

  it('fromTestRun: ctx_in.data_end is clamped to the linear capacity, as BPF_PROG_TEST_RUN does', () => {
    const pool = new PagePool()
    const f = Frame.fromTestRun(pattern(9000), { dataEnd: 5000 }, { pool })
    expect([f.linearLength, f.nrFrags, f.length]).toEqual([3520, 2, 9000])
    expect(f.toBytes().equals(pattern(9000))).toBe(true)
    f.release()
    // With metadata: data_end counts it, and still clamps to 3520 packet bytes.
    const meta = Buffer.from('0102030405060708', 'hex')
    const m = Frame.fromTestRun(Buffer.concat([meta, pattern(9000)]), { data: 8, dataEnd: 9008 }, { pool })
    expect([m.metaLength, m.linearLength, m.length]).toEqual([8, 3520, 9000])
    expect(m.meta().equals(meta)).toBe(true)
    m.release()
    // Without ctx_in: the whole input is packet, linear as far as it fits.
    const n = Frame.fromTestRun(pattern(9000), undefined, { pool })
    expect([n.linearLength, n.nrFrags]).toEqual([3520, 2])
    n.release()
    expect(pool.stats().inFlight).toBe(0)
  })

  it('fromTestRun: a linear part shorter than 14 bytes (even 0) when frags follow; the packet still needs 14', () => {
    for (const dataEnd of [0, 1, 5, 13]) {
      const f = Frame.fromTestRun(pattern(9000), { dataEnd })
      expect([f.linearLength, f.length]).toEqual([dataEnd, 9000])
      expect(f.toBytes().equals(pattern(9000))).toBe(true)
      f.release()
    }
    const g = Frame.fromTestRun(Buffer.concat([Buffer.alloc(8), pattern(14)]), { data: 8, dataEnd: 8 })
    expect([g.metaLength, g.linearLength, g.length]).toEqual([8, 0, 14])
    g.release()
    expect(thrown(() => Frame.fromTestRun(pattern(13), { dataEnd: 5 })).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromTestRun(Buffer.concat([Buffer.alloc(8), pattern(13)]), { data: 8, dataEnd: 8 })).code).toBe('EINVAL')
  })

  it("fromTestRun: ctx_in's checks are test_run's (EINVAL, ENODEV)", () => {
    const d = pattern(100)
    expect(thrown(() => Frame.fromTestRun(d, { dataEnd: 101 })).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromTestRun(d, { data: 20, dataEnd: 10 })).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromTestRun(d, { data: 3, dataEnd: 50 })).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromTestRun(d, { dataMeta: 4 })).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromTestRun(d, { egressIfindex: 1 })).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromTestRun(d, { rxQueueIndex: 1 })).code).toBe('EINVAL')
    expect(thrown(() => Frame.fromTestRun(d, { ingressIfindex: 2 })).code).toBe('ENODEV')
    expect(thrown(() => Frame.fromTestRun(d, { dataend: 20 } as never)).message).toMatch(/did you mean 'dataEnd'/)
    expect(thrown(() => Frame.fromTestRun(d, {}, { pol: new PagePool() } as never)).code).toBe('EINVAL')
    Frame.fromTestRun(d, { ingressIfindex: 1 }).release()
  })

  it('fromTestRun builds exactly the buffer test_run gives a program (same engine function)', () => {
    const p = Program.load(compileOwn('test_run.bpf.c'), { prog: 'count_runs' })
    const meta = Buffer.from('a0a1a2a3b0b1b2b3', 'hex')
    for (const [len, ctx] of [
      [9000, undefined],
      [9000, { dataEnd: 5000 }],
      [9000, { data: 8, dataEnd: 8 + 20 }],
      [64, { data: 8 }],
      [40000, { data: 8, dataEnd: 3000 }],
    ] as const) {
      const data = ctx?.data ? Buffer.concat([meta, pattern(len)]) : pattern(len)
      const f = Frame.fromTestRun(data, ctx)
      // count_runs adds 1 to the u32 at 14: apply it to the frame, then compare with test_run's data_out.
      f.storeBytes(14, u32le(f.loadBytes(14, 4).readUInt32LE() + 1))
      const r = p.testRun({ data, ctx })
      expect(f.toBytes({ meta: true }).equals(r.dataOut), `${len} ${JSON.stringify(ctx)}`).toBe(true)
      expect([f.metaLength, f.metaLength + f.linearLength]).toEqual([r.ctxOut.data, r.ctxOut.dataEnd])
      f.release()
    }
  })
})

const u32le = (v: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(v >>> 0)
  return b
}

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
