import { describe, expect, it } from 'vitest'
import { Frame, PACKET_BROADCAST, PACKET_HOST, PagePool, UxdpError, XDP_FLAGS_HAS_FRAGS } from '../lib/index'

function ethFrame(len: number, dest: number[], proto: number): Buffer {
  const b = Buffer.alloc(len)
  for (let i = 0; i < len; i++) b[i] = (i * 3) & 0xff
  Buffer.from(dest).copy(b, 0)
  Buffer.from([2, 0, 0, 0, 0, 1]).copy(b, 6)
  b.writeUInt16BE(proto, 12)
  return b
}

describe('XdpFrame', () => {
  it('is the 40 bytes at data_hard_start', () => {
    const f = Frame.fromBytes(ethFrame(9000, [2, 0, 0, 0, 0, 2], 0x0800), { meta: Buffer.alloc(16, 7) })
    const pageAddr = f.layout().pageAddr
    const x = f.toXdpFrame()
    expect(() => f.length).toThrow(UxdpError)
    expect([x.length, x.frameLength, x.headroom, x.metasize, x.frameSize, x.flags, x.memType, x.nrFrags, x.fragsSize]).toEqual([
      3520, 9000, 216, 16, 4096, XDP_FLAGS_HAS_FRAGS, 2, 2, 5480,
    ])
    const raw = x.raw()
    expect(raw.length).toBe(40)
    expect(raw.readBigUInt64LE(0)).toBe(pageAddr + 256n)
    expect(x.dataAddr()).toBe(pageAddr + 256n)
    expect(raw.readUInt32LE(8)).toBe(3520)
    expect(x.meta().equals(Buffer.alloc(16, 7))).toBe(true)
    x.release()
  })

  it('goes back to a buffer whose queue has no frag size', () => {
    const pool = new PagePool()
    const bytes = ethFrame(9000, [2, 0, 0, 0, 0, 2], 0x0800)
    const back = Frame.fromBytes(bytes, { pool }).toXdpFrame().toFrame({ ifindex: 3 })
    expect(back.toBytes().equals(bytes)).toBe(true)
    expect(() => back.adjustTail(1)).toThrow(/EOPNOTSUPP/)
    back.release()
    expect(pool.stats().inFlight).toBe(0)
  })

  it('a build that could not hold the xdp_frame in its headroom is refused', () => {
    // The helpers never leave less than 40 bytes above the metadata; the builder refuses to start there.
    expect(() => Frame.fromBytes(Buffer.alloc(100), { headroom: 32 })).toThrow(/xdp_frame/)
  })
})

describe('Skb', () => {
  it('is built around the same memory with frags carried over', () => {
    const pool = new PagePool()
    const bytes = ethFrame(9000, [2, 0, 0, 0, 0, 2], 0x86dd)
    const f = Frame.fromBytes(bytes, { pool, meta: Buffer.alloc(8, 1) })
    const frags = f.frags()
    const skb = f.toXdpFrame().toSkb({ ifindex: 2, devAddr: Buffer.from([2, 0, 0, 0, 0, 2]) })
    expect(skb.info()).toEqual({
      len: 9000 - 14,
      dataLen: 5480,
      headlen: 3520 - 14,
      truesize: 4352 + 2 * 4096,
      protocol: 0x86dd,
      pktType: PACKET_HOST,
      metaLen: 8,
      nrFrags: 2,
      pfmemalloc: false,
      ifindex: 2,
    })
    expect(skb.frags()).toEqual(frags)
    expect(skb.frameBytes().equals(bytes)).toBe(true)
    expect(skb.toBytes().equals(bytes.subarray(14))).toBe(true)
    expect(skb.macHeader().equals(bytes.subarray(0, 14))).toBe(true)
    expect(skb.sharedInfo().subarray(40, 48).equals(Buffer.alloc(8))).toBe(true)
    expect(pool.stats().inFlight).toBe(3)
    skb.release()
    expect(pool.stats().inFlight).toBe(0)
    expect(skb.released).toBe(true)
  })

  it('classifies broadcast', () => {
    const skb = Frame.fromBytes(ethFrame(60, [255, 255, 255, 255, 255, 255], 0x0806)).toXdpFrame().toSkb()
    expect(skb.info().pktType).toBe(PACKET_BROADCAST)
    expect(() => Frame.fromBytes(Buffer.alloc(60)).toXdpFrame().toSkb({ devAddr: Buffer.alloc(5) })).toThrow(/6 bytes/)
  })
})
