/**
 * Bad arguments of any kind are EINVAL with a message naming the option, never silently ignored:
 * options that are not objects, unknown option names (a typo), values of the wrong type, negative,
 * fractional or out-of-range numbers. What was valid stays valid (undefined for an optional key is
 * no option).
 */
import { describe, expect, it } from 'vitest'
import {
  checkCalls,
  CpuMap,
  DevMap,
  Dynptr,
  Frame,
  helpersFor,
  KfuncRegistry,
  kfuncsFor,
  kfuncTable,
  loadOptionsFor,
  MetadataKeyRegistry,
  Mvneta,
  NativeXdpProgram,
  PagePool,
  PcapWriter,
  RingBuffer,
  writeCapture,
} from '../lib/index'
import { pattern, skbOf, thrown } from './helpers/util'

/** Asserts EINVAL, and that the message mentions each of `words`. */
function einval(f: () => unknown, ...words: string[]) {
  const e = thrown(f)
  expect(e.code, e.message).toBe('EINVAL')
  for (const w of words) expect(e.message).toContain(w)
}

describe('options and numbers are checked everywhere', () => {
  it('PagePool', () => {
    einval(() => new PagePool(-1 as never), 'PagePool: options must be an object, got number -1')
    einval(() => new PagePool('x' as never), 'options must be an object')
    einval(() => new PagePool({ pagesize: 4096 } as never), "unknown option 'pagesize'", "did you mean 'pageSize'")
    einval(() => new PagePool({ pageSize: 4096.5 }), 'pageSize')
    einval(() => new PagePool({ maxInFlight: -1 }), 'maxInFlight')
    einval(() => new PagePool({ cacheSize: '8' as never }), 'cacheSize')
    einval(() => new PagePool().setPfmemalloc('yes' as never), 'on must be true or false')
    expect(new PagePool({ pageSize: undefined, maxInFlight: 0, cacheSize: 0 }).pageSize).toBe(4096)
  })

  it('Dynptr constructors and RingBuffer', () => {
    const skb = skbOf(100)
    einval(() => Dynptr.fromSkb(skb, 'sched_cls' as never), 'Dynptr.fromSkb: options must be an object')
    einval(() => Dynptr.fromSkb(skb, { progtype: 'xdp' } as never), "did you mean 'progType'")
    einval(() => Dynptr.fromSkb(skb, { progType: 7 } as never), 'progType must be a string')
    einval(() => Dynptr.fromMem(Buffer.alloc(8), -1))
    einval(() => Dynptr.fromMem(Buffer.alloc(8), 1.5))
    expect(Dynptr.fromSkb(skb, { progType: undefined, flags: undefined }).size).toBe(86)
    skb.release()
    einval(() => new RingBuffer(-4096), 'size')
    einval(() => new RingBuffer(4096.5), 'size')
    einval(() => new RingBuffer('4096' as never), 'size must be an integer', 'the string "4096"')
    const ring = new RingBuffer(4096)
    einval(() => ring.reserve(-1), 'size')
    einval(() => ring.consume(() => 0, -1), 'max')
  })

  it('Mvneta, its methods, DevMap, CpuMap and the native programs', () => {
    einval(() => new Mvneta(-1 as never), 'Mvneta: options must be an object')
    einval(() => new Mvneta({ Mtu: 9000 } as never), "unknown option 'Mtu'", "did you mean 'mtu'")
    einval(() => new Mvneta({ mtu: 9000.5 }), 'mtu')
    einval(() => new Mvneta({ hwbm: 'yes' as never }), 'hwbm must be true or false')
    einval(() => new Mvneta({ rss: 1 as never }), 'rss must be true or false')
    einval(() => new Mvneta({ quirks: { txunwind: false } as never }), "did you mean 'txUnwind'")
    einval(() => new Mvneta({ quirks: 5 as never }), 'quirks: options must be an object')
    einval(() => new Mvneta({ rxHints: { hsh: false } as never }), "did you mean 'hash'")
    einval(() => new Mvneta({ rxHints: { hash: 0 } as never }), 'rxHints.hash must be true or false')
    // Above the maxima ethtool reports is refused as ethtool refuses it (was clamped).
    einval(() => new Mvneta({ rxRingSize: 513 }), 'rx ring size 513', 'maximum is 512')
    einval(() => new Mvneta({ txRingSize: 1025 }), 'tx ring size 1025', 'maximum is 1024')
    einval(() => new Mvneta({ rxRingSize: 0 }))
    const nic = new Mvneta({ rxRingSize: 512, txRingSize: 10, mac: undefined })
    try {
      // The driver raises a small TX ring to 2 * MVNETA_MAX_SKB_DESCS, as mvneta_ethtool_set_ringparam does.
      expect([nic.ring('rx').size, nic.ring('tx').size]).toEqual([512, 434])
      einval(() => nic.attachXdp(() => 2, 'frags' as never), 'attachXdp: options must be an object')
      einval(() => nic.attachXdp(() => 2, { frag: true } as never), "did you mean 'frags'")
      einval(() => nic.attachXdp(() => 2, { frags: 'yes' as never }), 'frags must be true or false')
      einval(() => nic.attachXdp(() => 2, { needs: 'tx' as never }), 'needs must be an array')
      einval(() => nic.offer([], { queue: 9 }), 'queue')
      einval(() => nic.offer([pattern(64)], { qeue: 1 } as never), "did you mean 'queue'")
      einval(() => nic.run({ maxPolls: -1 }), 'maxPolls')
      einval(() => nic.run({ bugdet: 1 } as never), "did you mean 'budget'")
      einval(() => nic.transmit(pattern(64), { checksum: true } as never), "unknown option 'checksum'")
      einval(() => nic.ring('rxx' as never), "kind must be one of 'rx', 'tx'")
      einval(() => nic.setUp(1 as never), 'up must be true or false')
      expect(nic.run({ budget: undefined, maxPolls: undefined }).rxPackets).toBe(0)
    } finally {
      nic.close()
    }
    einval(() => new DevMap(-1), 'maxEntries')
    einval(() => new DevMap(1.5), 'maxEntries')
    einval(() => new CpuMap(0), 'maxEntries')
    einval(() => new CpuMap(64).set(0, -1), 'qsize')
    einval(() => NativeXdpProgram.drop({ frgs: true } as never), "did you mean 'frags'")
    einval(() => NativeXdpProgram.pass('x' as never), 'options must be an object')
    einval(() => NativeXdpProgram.reflect({ frags: 1 } as never), 'frags must be true or false')
    einval(() => NativeXdpProgram.redirect({} as never), 'a redirect target is a Mvneta')
    expect(NativeXdpProgram.drop({ frags: false }).frags).toBe(false)
  })

  it('MetadataKeyRegistry, pcap writers', () => {
    einval(() => new MetadataKeyRegistry({ strct: true } as never), "did you mean 'strict'")
    einval(() => new MetadataKeyRegistry(5 as never), 'MetadataKeyRegistry: options must be an object')
    einval(() => new MetadataKeyRegistry({ strict: 'yes' } as never), 'strict must be true or false')
    expect(new MetadataKeyRegistry({ strict: true }).strict).toBe(true)
    const f = Frame.fromBytes(pattern(100))
    einval(() => f.metadata.set(61n, { U32: 5 } as never), "unknown option 'U32'", "did you mean 'u32'")
    einval(() => f.metadata.set(1n, { u16: 1, u32: 2 } as never), 'exactly one of u16, u32, u64')
    f.metadata.set(1n, { u32: 7 })
    expect(f.metadata.getU32(1n)).toBe(7)
    f.release()
    einval(() => new PcapWriter({ snaplen: 100, linktype: 1 } as never), "did you mean 'linkType'")
    einval(() => writeCapture('/tmp/x.pcap', [], { snapLen: 1 } as never), "did you mean 'snaplen'")
  })

  it('the policy functions and the kfunc registry', () => {
    einval(() => helpersFor('xdp', { cap: {} } as never), "did you mean 'caps'")
    einval(() => helpersFor('xdp', { caps: { bpf: 'no' } } as never), 'caps.bpf must be true or false')
    einval(() => kfuncsFor('xdp', { devbound: true } as never), "did you mean 'devBound'")
    einval(() => kfuncTable({ seed: 1 } as never), 'seed must be true or false')
    einval(() => loadOptionsFor('xdp', { sead: true } as never), "did you mean 'seed'")
    einval(() => checkCalls({ progType: 'xdp', license: 'GPL', helperIDs: [1] } as never), "did you mean 'helperIds'")
    einval(() => new KfuncRegistry().register({ name: 'my_kfunc', progtypes: 'any' } as never, () => 0), "did you mean 'progTypes'")
    expect(helpersFor('xdp', { caps: undefined }).length).toBeGreaterThan(10)
  })

  it('Frame conversions', () => {
    const f = Frame.fromBytes(pattern(100))
    einval(() => f.toBytes('meta' as never), 'toBytes: options must be an object')
    const x = f.toXdpFrame()
    einval(() => x.toSkb({ ifIndex: 2 } as never), "did you mean 'ifindex'")
    einval(() => x.toFrame({ fragsize: 4096 } as never), "did you mean 'fragSize'")
    x.release()
  })
})
