import { afterEach, describe, expect, it } from 'vitest'
import {
  CpuMap,
  DevMap,
  Dynptr,
  Frame,
  KV_KEY_HW_HASH,
  KV_KEY_HW_TIMESTAMP,
  MetadataKeyRegistry,
  Mvneta,
  NativeXdpProgram,
  NETDEV_XDP_ACT,
  XDP_ABORTED,
  XDP_DROP,
  XDP_PASS,
  XDP_TX,
  type MvnetaOptions,
  type XdpContext,
} from '../lib/index'
import { code, thrown } from './helpers/util'

/** An Ethernet/IPv4/UDP frame of `len` bytes to `dport`, with valid IPv4 and UDP checksums. */
function udp(len: number, dport = 53, vlan?: number): Buffer {
  const f = Buffer.alloc(len)
  Buffer.from('020000000001020000000002', 'hex').copy(f, 0)
  f.writeUInt16BE(0x0800, 12)
  f[14] = 0x45
  f.writeUInt16BE(len - 14, 16)
  f[22] = 64
  f[23] = 17
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(f, 26)
  let sum = 0
  for (let i = 14; i < 34; i += 2) sum += f.readUInt16BE(i)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  f.writeUInt16BE(~sum & 0xffff, 24)
  f.writeUInt16BE(1000, 34)
  f.writeUInt16BE(dport, 36)
  f.writeUInt16BE(len - 34, 38)
  for (let i = 42; i < len; i++) f[i] = i % 251
  if (vlan === undefined) return f
  return Buffer.concat([f.subarray(0, 12), Buffer.from([0x81, 0x00, vlan >> 8, vlan & 0xff]), f.subarray(12)])
}

const nics: Mvneta[] = []
function nic(options: MvnetaOptions = {}): Mvneta {
  const n = new Mvneta(options)
  nics.push(n)
  return n
}

/** Every NIC made by a test gives every page back once all are closed. */
afterEach(() => {
  const all = nics.splice(0)
  for (const n of all) n.close()
  for (const n of all) expect(n.stats().pagePool.inFlight).toBe(0)
})

describe('Mvneta: the wire, the rings, the stack', () => {
  it('a frame is received over descriptors and reaches the stack', () => {
    const n = nic()
    expect(n.offer(udp(100))).toBe(1)
    const d = n.descriptor('rx', 0, 0)
    expect([d.first, d.last, d.dataSize]).toEqual([true, true, 2 + 100 + 4])
    expect(n.ring('rx')).toMatchObject({ size: 512, occupied: 1, free: 511 })
    const r = n.poll()
    expect([r.rxPackets, r.rxDescriptors]).toEqual([1, 1])
    const [p] = n.stack()
    expect(p.data.equals(udp(100))).toBe(true)
    expect([p.len, p.protocol, p.ipSummed, p.nrFrags]).toEqual([86, 0x0800, 'unnecessary', 0])
    expect(n.stats().ethtool).toMatchObject({ good_frames_received: 1, good_octets_received: 104, frames_65_to_127_octets: 1 })
    expect(n.stats().stats64).toMatchObject({ rx_packets: 1, rx_bytes: 100 })
  })

  it('jumbo frames need an MTU that takes them; each buffer holds 3520 bytes', () => {
    const n = nic()
    n.offer(udp(9014))
    n.poll()
    expect(n.stats().ethtool.oversize_received).toBe(1)
    expect(n.stats().stats64.rx_errors).toBe(1)
    n.setMtu(9000)
    n.offer(udp(9014))
    expect(n.ring('rx').occupied).toBe(3)
    expect(n.descriptor('rx', 0, 0).dataSize).toBe(9020)
    n.poll()
    const [p] = n.stack()
    expect([p.nrFrags, p.data.length]).toEqual([2, 9014 + 4])
    expect(p.data.subarray(0, 9014).equals(udp(9014))).toBe(true)
  })

  it('the last buffer of a frame can end up holding only FCS bytes', () => {
    // 2 + 7034 + 4 = 7040 = 2 × 3520: the FCS sits in the second buffer's tail; one more byte of
    // frame and the last buffer holds one FCS byte alone, which is not attached as a frag.
    const n = nic({ mtu: 9000, quirks: { fcsInFragsSize: false } })
    n.offer([udp(7034), udp(7035)])
    n.poll()
    const [a, b] = n.stack()
    expect([a.nrFrags, a.data.length]).toEqual([1, 7034])
    expect([b.nrFrags, b.data.length]).toEqual([1, 7035 + 3])
  })

  it('padding, runts and RX errors', () => {
    const n = nic()
    n.offer([{ data: udp(42) }, { data: udp(200), error: 'crc' }, { data: udp(200), error: 'overrun' }])
    n.poll()
    const s = n.stats()
    expect(s.ethtool.bad_crc_event + s.ethtool.rx_overrun).toBe(2)
    expect(s.stats64.rx_errors).toBe(2)
    expect(n.stack()[0].data.length).toBe(60)
  })
})

describe('Mvneta: XDP programs', () => {
  it('a JavaScript program sees each frame once, whole, and its verdicts apply', () => {
    const a = nic({ mtu: 9000 })
    const b = nic({ mtu: 9000, ifindex: 3 })
    const seen: number[][] = []
    a.attachXdp(
      (ctx: XdpContext) => {
        seen.push([ctx.frame.length, ctx.frame.nrFrags, ctx.frame.linearLength])
        const port = ctx.frame.loadBytes(36, 2).readUInt16BE(0)
        if (port === 9) return XDP_DROP
        if (port === 7) {
          const eth = ctx.frame.pointer(0, 12)!
          const src = Buffer.from(eth.subarray(6, 12))
          eth.copyWithin(6, 0, 6)
          eth.set(src, 0)
          return XDP_TX
        }
        if (port === 4789) return ctx.redirect(b)
        return XDP_PASS
      },
      { frags: true },
    )
    a.offer([udp(60, 9), udp(9014, 7), udp(1500, 4789), udp(9014, 53)])
    const r = a.poll()
    expect(r.rxPackets).toBe(4)
    expect(r.redirect.sent).toBe(1)
    expect(seen).toEqual([
      [60, 0, 60],
      [9018, 2, 3518],
      [1500, 0, 1500],
      [9018, 2, 3518],
    ])
    const tx = a.drainTx()
    expect(tx.length).toBe(1)
    expect(tx[0].data.subarray(0, 6).toString('hex')).toBe('020000000002')
    expect(b.drainTx().map((f) => f.data.length)).toEqual([1500])
    expect(a.stack().map((p) => p.nrFrags)).toEqual([2])
    const e = a.stats().ethtool
    expect([e.rx_xdp_drop, e.rx_xdp_tx, e.rx_xdp_redirect, e.rx_xdp_pass]).toEqual([1, 1, 1, 1])
    expect(b.stats().ethtool.tx_xdp_xmit).toBe(1)
  })

  it('frames are lent to the program: no release, no conversion, views die with the poll', () => {
    const n = nic()
    let kept: Uint8Array | null = null
    const errors: string[] = []
    n.attachXdp((ctx) => {
      kept = ctx.frame.pointer(0, 6)
      errors.push(code(() => ctx.frame.release()), code(() => ctx.frame.toXdpFrame()))
      return XDP_DROP
    })
    n.offer(udp(100))
    n.poll()
    expect(errors).toEqual(['EBUSY', 'EBUSY'])
    expect(kept!.length).toBe(0)
  })

  it('a program that throws aborts that frame, the poll completes, and the error surfaces', () => {
    const n = nic()
    let calls = 0
    n.attachXdp(() => {
      calls++
      if (calls === 2) throw new Error('boom')
      return XDP_PASS
    })
    n.offer([udp(100), udp(100), udp(100)])
    expect(() => n.poll()).toThrow('boom')
    expect(n.stack().length).toBe(2)
    expect(n.stats().diagnostics['xdp:xdp_exception']).toBe(1)
    expect(n.stats().ethtool.rx_xdp_drop).toBe(1)
  })

  it('invalid return values are unknown actions (warned, aborted, dropped)', () => {
    const n = nic()
    const values: unknown[] = [undefined, 1.5, -1, 99, 'x']
    let i = 0
    n.attachXdp(() => values[i++] as number)
    n.offer(values.map(() => udp(100)))
    n.poll()
    expect(n.stats().diagnostics['xdp:xdp_exception']).toBe(values.length)
  })

  it('native programs run inside the engine', () => {
    const n = nic()
    n.attachXdp(NativeXdpProgram.drop())
    n.offer(Array.from({ length: 100 }, () => udp(64)))
    n.run({ budget: 64 })
    expect(n.stats().ethtool.rx_xdp_drop).toBe(100)
    expect(n.timeNativePoll(64, 10)).toBeGreaterThan(0)
  })

  it('RX metadata kfuncs: values, ENODATA, and EOPNOTSUPP on a NIC without them', () => {
    const got: string[] = []
    const prog = (ctx: XdpContext) => {
      for (const f of [() => ctx.rxHash().rssType, () => ctx.rxVlanTag().tci, () => ctx.rxTimestamp()]) {
        try {
          got.push(String(f()))
        } catch (e) {
          got.push((e as { code: string }).code)
        }
      }
      return XDP_PASS
    }
    const n = nic()
    n.attachXdp(prog)
    n.offer([{ data: udp(100), timestampNs: 5000n }, { data: udp(100, 53, 42) }])
    n.poll()
    expect(got.slice(0, 3)).toEqual(['41', 'ENODATA', '5000'])
    expect(got.slice(3, 5)).toEqual(['41', '42'])
    const [, tagged] = n.stack()
    expect(tagged.vlan).toEqual({ proto: 0x8100, tci: 42 })
    expect(tagged.data.length).toBe(100)
    got.length = 0
    const plain = nic({ rxHints: false, ifindex: 5 })
    plain.attachXdp(prog)
    plain.offer(udp(100, 53, 42))
    plain.poll()
    expect(got).toEqual(['EOPNOTSUPP', 'EOPNOTSUPP', 'EOPNOTSUPP'])
    expect(plain.features().rxMetadata).toEqual([])
    expect(n.features().rxMetadata).toEqual(['timestamp', 'hash', 'vlan-tag'])
  })

  it('the program can use dynptrs over its frame, and sees the FCS quirk', () => {
    const tails: number[][] = []
    const prog = (ctx: XdpContext) => {
      const d = Dynptr.fromXdp(ctx.frame)
      tails.push([d.size, ...d.read(9012, d.size - 9012)])
      return XDP_DROP
    }
    const frame = udp(9014)
    for (const fcsInFragsSize of [false, true]) {
      const n = nic({ mtu: 9000, quirks: { fcsInFragsSize }, ifindex: fcsInFragsSize ? 3 : 2 })
      n.attachXdp(prog, { frags: true })
      n.offer(frame)
      n.poll()
    }
    expect(tails[0]).toEqual([9014, frame[9012], frame[9013]])
    // xdp_frags_size counts the FCS: 4 more bytes that no frag holds; the helper copies nothing for them.
    expect(tails[1]).toEqual([9018, frame[9012], frame[9013], 0, 0, 0, 0])
  })
})

describe('Mvneta: attach, MTU and features', () => {
  it('the frags rules, as the driver enforces them', () => {
    const n = nic({ mtu: 9000 })
    const e = thrown(() => n.attachXdp(() => XDP_PASS))
    expect(e.code).toBe('EOPNOTSUPP')
    expect(e.message).toContain('prog does not support XDP frags')
    n.setMtu(1500)
    n.attachXdp(() => XDP_PASS)
    const m = thrown(() => n.setMtu(3521))
    expect(m.code).toBe('EINVAL')
    expect(m.message).toContain('Illegal MTU 3521 for XDP prog without frags')
    n.setMtu(3520)
    expect(code(() => n.setMtu(9677))).toBe('EINVAL')
    n.detachXdp()
    n.setMtu(9676)
    expect(n.mtu).toBe(9676)
  })

  it('features as netlink reports them, and declared needs refused at attach', () => {
    const n = nic()
    expect(n.features()).toMatchObject({ xdp: ['basic', 'redirect', 'ndo-xmit', 'rx-sg', 'ndo-xmit-sg'], xdpMask: 0x67 })
    const basic = nic({ xdpFeatures: ['basic'], ifindex: 7 })
    const e = thrown(() => basic.attachXdp(NativeXdpProgram.pass(), { needs: ['redirect', 'rx-sg'] }))
    expect(e.code).toBe('EOPNOTSUPP')
    expect(e.message).toContain('redirect, rx-sg')
    basic.attachXdp(NativeXdpProgram.pass(), { needs: ['tx'] })
    expect(nic({ hwbm: true, ifindex: 8 }).xdpFeaturesMask).toBe(0)
    expect(NETDEV_XDP_ACT.NDO_XMIT_SG).toBe(64)
  })

  it('redirecting frags to a device without NDO_XMIT_SG fails like the devmap does', () => {
    const a = nic({ mtu: 9000 })
    const narrow = nic({ mtu: 9000, ifindex: 4, xdpFeatures: ['basic', 'ndo-xmit'] })
    const devmap = new DevMap()
    devmap.set(0, narrow)
    a.attachXdp((ctx) => ctx.redirectMap(devmap, 0), { frags: true })
    a.offer([udp(1000), udp(9014)])
    const r = a.poll()
    expect(r.redirect.sent).toBe(1)
    expect(a.stats().diagnostics['xdp:xdp_redirect_err']).toBe(1)
    expect(narrow.drainTx().length).toBe(1)
  })

  it('a missing map entry returns the action in the flags', () => {
    const n = nic()
    const devmap = new DevMap()
    n.attachXdp((ctx) => ctx.redirectMap(devmap, 3, XDP_PASS))
    n.offer(udp(100))
    n.poll()
    expect(n.stack().length).toBe(1)
  })

  it('cpumap: queued per CPU, built into skbs by its kthread, drops past qsize', () => {
    const n = nic({ mtu: 9000 })
    const map = new CpuMap(4)
    map.set(2, 3)
    n.attachXdp((ctx) => ctx.redirectMap(map, 2), { frags: true })
    n.offer(Array.from({ length: 5 }, () => udp(9014)))
    const r = n.poll()
    expect([r.redirect.cpumapEnqueued, r.redirect.cpumapDrops]).toEqual([3, 2])
    const skbs = map.run(2, 8)
    expect(skbs.map((p) => p.nrFrags)).toEqual([2, 2, 2])
    expect(map.entry(2)).toMatchObject({ qsize: 3, queued: 0, processed: 3, drops: 2 })
    expect(code(() => map.set(4, 1))).toBe('E2BIG')
  })
})

describe('Mvneta: the metadata key/value store', () => {
  it('hints exported into the store travel through a cpumap redirect into the skb; program keys too', () => {
    const registry = new MetadataKeyRegistry({ strict: true })
    const n = nic({ mtu: 9000, metadataKeys: registry })
    const map = new CpuMap(2)
    map.set(1, 16)
    const flow = registry.register('flow-id', 8)
    n.attachXdp(
      (ctx) => {
        expect(ctx.exportHints()).toBe(3)
        expect(code(() => ctx.metadata.set(5n, { u32: 1 }))).toBe('ENOENT')
        ctx.metadata.set('flow-id', { u64: 0x1122334455667788n })
        return ctx.redirectMap(map, 1)
      },
      { frags: true },
    )
    n.offer({ data: udp(9014, 53, 7), timestampNs: 123456789n })
    n.poll()
    const [skb] = map.run(1)
    expect(skb.nrFrags).toBe(2)
    // The skb's metadata is the store: read it back through a Frame-less parse of the bytes.
    const meta = skb.meta
    expect(meta.length).toBeGreaterThan(16)
    const f = Frame.fromBytes(skb.data.subarray(0, 64), { meta })
    const store = f.metadata.withRegistry(registry)
    expect(store.getU64(KV_KEY_HW_TIMESTAMP)).toBe(123456789n)
    expect(store.getVlan()).toEqual({ proto: 0x8100, tci: 7 })
    expect(store.getU32(KV_KEY_HW_HASH)).toBeGreaterThan(0)
    expect(store.getU64('flow-id')).toBe(0x1122334455667788n)
    expect(flow).toBe(0n)
    f.release()
  })
})

describe('Mvneta: rings under pressure and the quirks', () => {
  it('XDP_TX into a full ring fails, counted, and the buffers come back', () => {
    const n = nic()
    n.attachXdp(NativeXdpProgram.reflect())
    n.setTxPaused(true)
    for (let i = 0; i < 17; i++) {
      n.offer(Array.from({ length: 64 }, () => udp(60, 7)))
      n.poll()
    }
    const e = n.stats().ethtool
    expect([e.rx_xdp_tx, e.rx_xdp_tx_errors]).toEqual([1023, 17 * 64 - 1023])
    expect(n.ring('tx', 0)).toMatchObject({ count: 1023, hwPending: 1023 })
    n.setTxPaused(false)
    expect(n.drainTx().length).toBe(1023)
    n.poll()
    expect(n.ring('tx', 0).count).toBe(0)
  })

  it('the host stack transmits: checksum offload on the wire, the queue stops and wakes', () => {
    const n = nic()
    const frame = udp(300)
    const blank = Buffer.from(frame)
    blank.fill(0, 24, 26)
    blank.writeUInt16BE(0x1234, 40)
    expect(n.transmit(blank, { checksumOffload: true })).toBe(1)
    const [out] = n.drainTx()
    expect(out.data.readUInt16BE(24)).toBe(frame.readUInt16BE(24))
    expect(out.data.readUInt16BE(40)).not.toBe(0x1234)
    const d = n.descriptor('tx', 0, 0)
    expect([d.first, d.last]).toEqual([true, true])
    n.poll()
    n.setTxPaused(true)
    expect(n.transmit(Array.from({ length: 1000 }, () => frame))).toBe(807)
    expect(n.ring('tx', 0)).toMatchObject({ count: 807, stopped: true })
    expect(n.transmit(frame)).toBe(0)
    n.setTxPaused(false)
    n.poll()
    expect(n.ring('tx', 0)).toMatchObject({ count: 0, stopped: false })
    expect(n.transmit(frame)).toBe(1)
    n.setUp(false)
    expect(code(() => n.transmit(frame))).toBe('ENETDOWN')
  })

  it('the budget-split quirk both ways', () => {
    for (const dropSplitFrames of [true, false]) {
      const n = nic({ mtu: 9000, quirks: { dropSplitFrames } })
      n.offer([udp(9014), udp(60)])
      n.poll(2)
      n.poll(64)
      const packets = n.stack().length
      expect(packets).toBe(dropSplitFrames ? 1 : 2)
      expect(n.stats().diagnostics.rx_split_dropped).toBe(dropSplitFrames ? 1 : 0)
      n.close()
    }
  })

  it('no page stays out once a NIC is closed', () => {
    const a = new Mvneta({ mtu: 9000 })
    const b = new Mvneta({ mtu: 9000, ifindex: 3 })
    a.attachXdp(NativeXdpProgram.redirect(b))
    b.setTxPaused(true)
    a.offer(Array.from({ length: 20 }, (_, i) => udp(i % 2 ? 9014 : 100)))
    a.poll()
    expect(a.stats().pagePool.inFlight).toBeGreaterThan(512)
    b.close()
    a.close()
    expect(a.stats().pagePool.inFlight).toBe(0)
    expect(b.stats().pagePool.inFlight).toBe(0)
    expect(code(() => a.poll())).toBe('EINVAL')
  })
})
