/**
 * AF_XDP against the kernel: what a copy-mode socket's TX ring, completion ring, statistics and
 * setup calls do on Linux (test/kernel/xsk_harness.c, raw AF_XDP on a veth in a namespace of its
 * own, recorded in test/fixtures/kernel/kernel-xsk.json by `npm run kernel:record -- kernel-xsk`),
 * and the same scenario on an XdpSocket bound to the emulated mvneta. The kernel frees a veth
 * packet at once; mvneta frees it at TX completion, so uxdp's completions are read after a poll.
 * RX: the same clang-built program (test/kernel/xsk_rx.bpf.c) redirects frames into the socket's
 * xskmap slot, on the veth (native XDP, MTU 9000, frames sent from its peer) and on the mvneta
 * (MTU 9000, its frags-size quirk off: the veth has none); descriptors and their bytes must agree.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Mvneta, Program, UxdpError, XDP_COPY, XDP_PKT_CONTD, XDP_USE_NEED_WAKEUP, XDP_USE_SG, XdpSocket } from '../lib/index'
import { native } from '../lib/native'
import { build, finishKernel, useKernel, xskHarness } from './helpers/kernel'

const kernel = useKernel('kernel-xsk')
afterAll(() => {
  finishKernel()
})

const CHUNK = 4096
const CHUNKS = 64

/** The harness's lines: `sendto N ERRNO TXCONS`, `cq ADDR...`, `stats ...`, `setup NAME ERRNO`, `txflags F`. */
function kernelLines(scenario: string, object?: ReturnType<typeof build>): string[] {
  const a = xskHarness(scenario, object)
  expect(a.status, a.stderr).toBe(0)
  return a.stdout.trim().split('\n')
}

const errnoOf = (f: () => unknown): string => {
  try {
    f()
    return '0'
  } catch (e) {
    if (e instanceof UxdpError) return e.code
    if (e && typeof e === 'object' && 'code' in e) return String((e as { code: unknown }).code)
    throw e
  }
}

/** uxdp's lines for the same scenario, on a one-queue mvneta. */
class Uxdp {
  lines: string[] = []
  nic = new Mvneta({ rxQueues: 1, txQueues: 1 })
  sock: XdpSocket
  #n = 0
  constructor(rings: { completion?: number } = {}, flags = XDP_COPY) {
    this.sock = new XdpSocket({ chunks: CHUNKS, chunkSize: CHUNK, rxSize: 64, txSize: 64, fillSize: 64, completionSize: rings.completion ?? 64 })
    this.lines.push(`setup bind ${errnoOf(() => this.sock.bind(this.nic, 0, { flags }))}`)
  }
  put(addr: number, len: number, options = 0): void {
    expect(this.sock.transmit([{ addr, len, options }])).toBe(1)
  }
  kick(): void {
    const e = errnoOf(() => this.sock.sendto())
    this.lines.push(`sendto ${this.#n++} ${e} ${this.sock.state().tx!.consumer}`)
  }
  completions(): void {
    this.nic.poll()
    this.lines.push(['cq', ...this.sock.complete()].join(' '))
  }
  stats(): void {
    const s = this.sock.statistics()
    this.lines.push(`stats ${s.rxDropped} ${s.rxInvalidDescs} ${s.txInvalidDescs} ${s.rxRingFull} ${s.rxFillRingEmptyDescs} ${s.txRingEmptyDescs}`)
  }
  done(): string[] {
    this.sock.close()
    this.nic.close()
    expect(this.nic.stats().pagePool.inFlight).toBe(0)
    return this.lines
  }
}

describe(`AF_XDP TX and setup, against the kernel (recorded on ${kernel.recordedOn})`, () => {
  it('invalid descriptors: each ends a sendto, is skipped and counted, and its address completes; XDP_TX_METADATA without a metadata area sticks (EINVAL)', () => {
    const u = new Uxdp()
    u.put(0, 0)
    u.put(4000, 200)
    u.put(CHUNKS * CHUNK, 60)
    u.put(0, 4097)
    u.put(0, 60, 2)
    u.put(0, 60, XDP_PKT_CONTD)
    u.put(5 * CHUNK, 60)
    for (let i = 0; i < 7; i++) u.kick()
    u.completions()
    u.stats()
    expect(u.done()).toEqual(kernelLines('invalid'))
  })

  it('an unknown option bit is invalid; a chain goes out from a socket bound without XDP_USE_SG; every empty look counts', () => {
    const u = new Uxdp()
    u.put(0, 60, 4)
    u.put(CHUNK, 60, XDP_PKT_CONTD)
    u.put(2 * CHUNK, 60)
    u.put(3 * CHUNK, 60)
    for (let i = 0; i < 4; i++) u.kick()
    u.completions()
    u.stats()
    expect(u.done()).toEqual(kernelLines('options'))
  })

  it('a full completion ring stops sendto with EAGAIN until completions are taken', () => {
    const u = new Uxdp({ completion: 4 })
    for (let i = 0; i < 6; i++) u.put(i * CHUNK, 60)
    u.kick()
    u.completions()
    u.kick()
    u.completions()
    u.stats()
    expect(u.done()).toEqual(kernelLines('cq_full'))
  })

  it('TX_BATCH_SIZE: 32 descriptors a sendto, then EAGAIN', () => {
    const u = new Uxdp()
    for (let i = 0; i < 40; i++) u.put(i * CHUNK, 60)
    u.kick()
    u.kick()
    u.completions()
    u.stats()
    expect(u.done()).toEqual(kernelLines('batch'))
  })

  it('XDP_USE_SG: a chain and a single packet complete in ring order', () => {
    const u = new Uxdp({}, XDP_COPY | XDP_USE_SG)
    u.put(CHUNK, 100)
    u.put(2 * CHUNK + 16, 50, XDP_PKT_CONTD)
    u.put(3 * CHUNK, 10)
    u.kick()
    u.completions()
    u.stats()
    expect(u.done()).toEqual(kernelLines('chain'))
  })

  it('sendto without a TX ring is ENOBUFS, on a socket not bound ENXIO', () => {
    const nic = new Mvneta({ rxQueues: 1, txQueues: 1 })
    const lines: string[] = []
    const a = new XdpSocket({ chunks: CHUNKS, rxSize: 64, txSize: 0, fillSize: 64, completionSize: 64 })
    lines.push(`setup bind ${errnoOf(() => a.bind(nic, 0, { copy: true }))}`)
    lines.push(`setup sendto_no_tx_ring ${errnoOf(() => a.sendto())}`)
    const b = new XdpSocket({ chunks: CHUNKS, rxSize: 64, txSize: 64, fillSize: 64, completionSize: 64 })
    lines.push(`setup sendto_unbound ${errnoOf(() => b.sendto())}`)
    a.close()
    b.close()
    nic.close()
    expect(lines).toEqual(kernelLines('sendto_errors'))
  })

  it('XDP_USE_NEED_WAKEUP sets the TX ring flag at bind', () => {
    const u = new Uxdp({}, XDP_COPY | XDP_USE_NEED_WAKEUP)
    u.lines.push(`txflags ${u.sock.state().tx!.flags}`)
    expect(u.done()).toEqual(kernelLines('wakeup'))
  })

  it('UMEM registration, ring and bind errors, in the kernel order', () => {
    const nic = new Mvneta({ rxQueues: 1, txQueues: 1 })
    const h = native.xskCreate()
    const lines: string[] = []
    const step = (name: string, f: () => unknown) => lines.push(`setup ${name} ${errnoOf(f)}`)
    const size = CHUNKS * CHUNK
    step('chunk_1024', () => native.xskUmemReg(h, size, 1024, 0, 0))
    step('chunk_3000', () => native.xskUmemReg(h, size, 3000, 0, 0))
    step('not_whole_chunks', () => native.xskUmemReg(h, size - 2048, CHUNK, 0, 0))
    step('headroom_3840', () => native.xskUmemReg(h, size, CHUNK, 3840, 0))
    step('headroom_3839', () => native.xskUmemReg(h, size, CHUNK, 3839, 0))
    step('headroom_3393', () => native.xskUmemReg(h, size, CHUNK, 3393, 0))
    step('umem_twice', () => native.xskUmemReg(h, size, CHUNK, 0, 0))
    step('ring_1000', () => native.xskRing(h, 'rx', 1000))
    step('ring_0', () => native.xskRing(h, 'rx', 0))
    step('bind_no_rings', () => native.xskBind(h, nic.handle, 0, XDP_COPY))
    step('ring_64', () => native.xskRing(h, 'rx', 64))
    step('ring_twice', () => native.xskRing(h, 'rx', 64))
    step('bind_no_fill', () => native.xskBind(h, nic.handle, 0, XDP_COPY))
    native.xskRing(h, 'fill', 64)
    step('bind_no_completion', () => native.xskBind(h, nic.handle, 0, XDP_COPY))
    native.xskRing(h, 'completion', 64)
    step('bind_flags_unknown', () => native.xskBind(h, nic.handle, 0, 1 << 6))
    step('bind_copy_and_zerocopy', () => native.xskBind(h, nic.handle, 0, XDP_COPY | 4))
    step('bind_queue_past_end', () => native.xskBind(h, nic.handle, 1, XDP_COPY))
    step('bind', () => native.xskBind(h, nic.handle, 0, XDP_COPY))
    step('bind_twice', () => native.xskBind(h, nic.handle, 0, XDP_COPY))
    step('ring_after_bind', () => native.xskRing(h, 'tx', 64))
    const other = new XdpSocket({ chunks: CHUNKS, rxSize: 64, txSize: 0, fillSize: 64, completionSize: 64 })
    step('second_socket_same_queue', () => other.bind(nic, 0, { copy: true }))
    other.close()
    native.xskClose(h)
    nic.close()
    expect(lines).toEqual(kernelLines('setup'))
  })

  const rxObject = build('xsk_rx.bpf.c', {}, [], { commit: true })

  /** The harness's test frame: broadcast, EtherType 0x88b5, tag, pattern. */
  const testFrame = (len: number, tag: number): Buffer => {
    const f = Buffer.alloc(len)
    f.fill(0xff, 0, 6)
    Buffer.from('020000000002', 'hex').copy(f, 6)
    f[12] = 0x88
    f[13] = 0xb5
    f[14] = tag
    for (let i = 15; i < len; i++) f[i] = (i * 13 + tag) & 0xff
    return f
  }
  const fnv = (b: Uint8Array): number => {
    let h = 2166136261
    for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0
    return h
  }

  /** The rx scenarios on uxdp: the socket in slot 0, the program on a 9000-MTU mvneta. */
  class UxdpRx {
    lines: string[] = []
    nic = new Mvneta({ mtu: 9000, rxQueues: 1, txQueues: 1, quirks: { fcsInFragsSize: false } })
    sock: XdpSocket
    constructor(sg: boolean, rxSize = 64) {
      this.sock = new XdpSocket({ chunks: CHUNKS, chunkSize: CHUNK, rxSize, txSize: 64, fillSize: 64, completionSize: 64 })
      this.lines.push(`setup bind ${errnoOf(() => this.sock.bind(this.nic, 0, { flags: XDP_COPY | (sg ? XDP_USE_SG : 0) }))}`)
      const p = Program.load(rxObject.path, { prog: 'to_xsk' })
      this.sock.addToMap(p.map('xsks'), 0)
      this.nic.attachXdp(p)
    }
    fill(first: number, n: number): void {
      this.sock.fill(Array.from({ length: n }, (_, i) => (first + i) * CHUNK))
    }
    send(len: number, tag: number): void {
      this.nic.offer(testFrame(len, tag))
      this.nic.run()
    }
    receive(): void {
      for (const d of this.sock.receive()) this.lines.push(`rx ${d.addr} ${d.len} ${d.options} ${fnv(this.sock.umem.subarray(d.addr, d.addr + d.len))}`)
    }
    done(): string[] {
      const s = this.sock.statistics()
      this.lines.push(`stats ${s.rxDropped} ${s.rxInvalidDescs} ${s.txInvalidDescs} ${s.rxRingFull} ${s.rxFillRingEmptyDescs} ${s.txRingEmptyDescs}`)
      this.sock.close()
      this.nic.close()
      expect(this.nic.stats().pagePool.inFlight).toBe(0)
      return this.lines
    }
  }

  for (const sg of [true, false]) {
    it(`RX ${sg ? 'with' : 'without'} XDP_USE_SG: a 9000-byte frame ${sg ? 'as a 3840/3840/1320 chain' : 'dropped (rx_dropped)'}, a two-buffer 3600-byte frame whole, a small one`, () => {
      const u = new UxdpRx(sg)
      u.fill(0, 8)
      u.send(9000, 1)
      u.send(3600, 2)
      u.send(100, 3)
      u.receive()
      expect(u.done()).toEqual(kernelLines(sg ? 'rx_sg' : 'rx_nosg', rxObject))
    })
  }

  it('RX with an empty fill ring: dropped and counted; the next chunks take a jumbo chain', () => {
    const u = new UxdpRx(true)
    u.fill(0, 1)
    for (let i = 0; i < 3; i++) u.send(100, i)
    u.receive()
    u.fill(1, 4)
    u.send(9000, 7)
    u.receive()
    expect(u.done()).toEqual(kernelLines('rx_fill_empty', rxObject))
  })

  it('RX ring full: counted, and the chunk the kernel took stays with it for the next frame', () => {
    const u = new UxdpRx(true, 2)
    u.fill(0, 4)
    for (let i = 0; i < 3; i++) u.send(100, i)
    u.receive()
    u.send(200, 9)
    u.receive()
    expect(u.done()).toEqual(kernelLines('rx_ring_full', rxObject))
  })
})
