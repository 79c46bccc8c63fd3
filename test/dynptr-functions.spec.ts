import { describe, expect, it } from 'vitest'
import { Dynptr, dynptrFunctions, RingBuffer } from '../lib/index'

describe('dynptrFunctions', () => {
  const all = dynptrFunctions()

  it('lists the stable helpers 197–203 and the kernel kfuncs with their versions', () => {
    const helpers = all.filter((f) => f.helperId !== undefined)
    expect(helpers.map((f) => [f.helperId, f.name])).toEqual([
      [197, 'bpf_dynptr_from_mem'],
      [198, 'bpf_ringbuf_reserve_dynptr'],
      [199, 'bpf_ringbuf_submit_dynptr'],
      [200, 'bpf_ringbuf_discard_dynptr'],
      [201, 'bpf_dynptr_read'],
      [202, 'bpf_dynptr_write'],
      [203, 'bpf_dynptr_data'],
    ])
    const kfunc = (name: string) => all.find((f) => f.name === name && f.origin === 'kernel')!
    expect(kfunc('bpf_dynptr_copy').since).toBe('6.15')
    expect(kfunc('bpf_dynptr_memset').since).toBe('6.17')
    expect(kfunc('bpf_dynptr_from_xdp').scope).toBe('xdp')
    expect(kfunc('bpf_dynptr_slice').kfuncFlags).toBe(1 << 2)
    expect(kfunc('bpf_dynptr_from_skb').kfuncFlags).toBe(1 << 4)
  })

  it("offers the seed's API as kfuncs named after the seed, beside the kernel's", () => {
    const seed = all.filter((f) => f.origin === 'seed')
    expect(seed.map((f) => f.name)).toEqual([
      'bpf_dynptr_advance',
      'bpf_dynptr_trim',
      'bpf_dynptr_is_null',
      'bpf_dynptr_is_rdonly',
      'bpf_dynptr_get_size',
      'bpf_dynptr_get_offset',
      'bpf_dynptr_clone',
      'bpf_dynptr_iterator',
    ])
    expect(seed.map((f) => f.proposedHelper)).toEqual([214, 215, 216, 217, 218, 219, 220, 221])
    expect(seed.every((f) => f.helperId === undefined && f.kfuncFlags === 0)).toBe(true)
    const clones = all.filter((f) => f.name === 'bpf_dynptr_clone')
    expect(clones.map((f) => [f.origin, f.args.length])).toEqual([
      ['kernel', 2],
      ['seed', 3],
    ])
  })

  it('names an existing operation for every function', () => {
    const ring = new RingBuffer(4096)
    const record = ring.reserve(8)
    for (const f of all) {
      const owner = f.operation === 'reserve' ? ring : ['fromMem', 'fromXdp', 'fromSkb', 'fromSkbMeta', 'copy'].includes(f.operation) ? Dynptr : record
      expect(f.operation in owner, `${f.name} -> ${f.operation}`).toBe(true)
    }
    record.discard()
  })
})
