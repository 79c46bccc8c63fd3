/**
 * AF_XDP against the kernel: what a copy-mode socket's TX ring, completion ring, statistics and
 * setup calls do on Linux (test/kernel/xsk_harness.c, raw AF_XDP on a veth in a namespace of its
 * own, recorded in test/fixtures/kernel/kernel-xsk.json by `npm run kernel:record -- kernel-xsk`),
 * and the same scenario on an XdpSocket bound to the emulated mvneta. The kernel frees a veth
 * packet at once; mvneta frees it at TX completion, so uxdp's completions are read after a poll.
 * RX: the same clang-built program (test/kernel/xsk_rx.bpf.c) redirects frames into the socket's
 * xskmap slot, on the veth (native XDP, MTU 9000, frames sent from its peer) and on the mvneta
 * (MTU 9000, its frags-size quirk off: the veth has none); descriptors and their bytes must agree.
 * Unaligned chunks (XDP_UMEM_UNALIGNED_CHUNK_FLAG): registration, RX addresses with the data offset
 * in their upper 16 bits, TX validation. Shared UMEM (XDP_SHARED_UMEM): every bind answer, and
 * frames of two sockets on one queue (one fill and completion ring) and of a third on a second
 * veth pair (its own rings), routed by test/kernel/xsk_shared.bpf.c. The kernel's
 * `shared_fd_not_xdp` answer (ENOPROTOOPT for an fd that is no AF_XDP socket) has no uxdp
 * counterpart: an XdpSocket can only name another XdpSocket.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Mvneta, Program, UxdpError, XDP_COPY, XDP_PKT_CONTD, XDP_SHARED_UMEM, XDP_UMEM_UNALIGNED_CHUNK_FLAG, XDP_USE_NEED_WAKEUP, XDP_USE_SG, XdpSocket, xskAddr, type XskAddr, type XdpSocketOptions } from '../lib/index'
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
  constructor(rings: { completion?: number } = {}, flags = XDP_COPY, umem: XdpSocketOptions = { chunks: CHUNKS, chunkSize: CHUNK }) {
    this.sock = new XdpSocket({ ...umem, rxSize: 64, txSize: 64, fillSize: 64, completionSize: rings.completion ?? 64 })
    this.lines.push(`setup bind ${errnoOf(() => this.sock.bind(this.nic, 0, { flags }))}`)
  }
  put(addr: XskAddr, len: number, options = 0): void {
    expect(this.sock.transmit([{ addr, len, options }])).toBe(1)
  }
  kick(): void {
    const e = errnoOf(() => this.sock.sendto())
    this.lines.push(`sendto ${this.#n++} ${e} ${this.sock.state().tx!.consumer}`)
    // The veth frees a packet as it sends it; mvneta at TX completion: a poll here keeps the
    // completion ring in the veth's order where sent and skipped descriptors interleave.
    if (this.pollAfterKick) this.nic.poll()
  }
  pollAfterKick = false
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

  // ---- unaligned chunks ----

  const UMEM_SIZE = CHUNKS * CHUNK
  const UNALIGNED: XdpSocketOptions = { size: UMEM_SIZE, chunkSize: 3000, unaligned: true }

  it('unaligned chunks: any size from 2048 to 4096, any UMEM size of at least one chunk; the headroom rule; the TX ring asks for a wakeup', () => {
    const lines: string[] = []
    const regs: [string, number, number, number, number][] = [
      ['u_chunk_3000', UMEM_SIZE, 3000, 0, 0],
      ['u_chunk_2048', UMEM_SIZE, 2048, 0, 0],
      ['u_chunk_2047', UMEM_SIZE, 2047, 0, 0],
      ['u_chunk_4097', UMEM_SIZE, 4097, 0, 0],
      ['u_size_not_whole_chunks', UMEM_SIZE - 100, 3000, 0, 0],
      ['u_size_below_one_chunk', 2999, 3000, 0, 0],
      ['u_headroom_2296', UMEM_SIZE, 3000, 2296, 0],
      ['u_headroom_2297', UMEM_SIZE, 3000, 2297, 0],
      ['u_flags_unknown', UMEM_SIZE, 3000, 0, 1 << 7],
    ]
    for (const [name, size, chunk, headroom, flags] of regs) {
      const h = native.xskCreate()
      lines.push(`setup ${name} ${errnoOf(() => native.xskUmemReg(h, size, chunk, headroom, XDP_UMEM_UNALIGNED_CHUNK_FLAG | flags))}`)
      native.xskClose(h)
    }
    const u = new Uxdp({}, XDP_COPY, { ...UNALIGNED })
    lines.push(...u.lines, `txflags ${u.sock.state().tx!.flags}`)
    u.done()
    expect(lines).toEqual(kernelLines('unaligned_setup'))
  })

  it('unaligned TX: base + offset anywhere inside the UMEM, at most a chunk long; invalid ones end a sendto and complete as given', () => {
    const u = new Uxdp({}, XDP_COPY | XDP_USE_SG, UNALIGNED)
    u.pollAfterKick = true
    u.put(4000, 200)
    u.put(xskAddr(8000, 100), 60)
    u.put(0, 3000)
    u.kick()
    u.put(0, 3001)
    u.kick()
    u.put(UMEM_SIZE - 60, 60)
    u.kick()
    u.put(UMEM_SIZE - 59, 60)
    u.kick()
    u.put(xskAddr(UMEM_SIZE - 1, 1), 1)
    u.kick()
    u.put(xskAddr(UMEM_SIZE - 62, 2), 60)
    u.kick()
    u.put(10000, 100, XDP_PKT_CONTD)
    u.put(xskAddr(20000, 16), 50)
    u.kick()
    u.put(30000, 0)
    u.kick()
    u.put(40000, 60, 4)
    u.kick()
    u.put(50000, 60)
    u.kick()
    u.kick()
    u.completions()
    u.stats()
    expect(u.done()).toEqual(kernelLines('unaligned_tx'))
  })

  it('unaligned RX: fill addresses anywhere (pages crossed, offset bits dropped, past the end skipped); descriptors carry headroom + 256 in their upper 16 bits', () => {
    const nic = new Mvneta({ mtu: 9000, rxQueues: 1, txQueues: 1, quirks: { fcsInFragsSize: false } })
    const sock = new XdpSocket({ ...UNALIGNED, headroom: 64, rxSize: 64, txSize: 64, fillSize: 64, completionSize: 64 })
    const lines = [`setup bind ${errnoOf(() => sock.bind(nic, 0, { flags: XDP_COPY | XDP_USE_SG }))}`]
    const p = Program.load(rxObject.path, { prog: 'to_xsk' })
    sock.addToMap(p.map('xsks'), 0)
    nic.attachXdp(p)
    sock.fill([100, 4000, xskAddr(20000, 1), UMEM_SIZE - 3000, UMEM_SIZE - 2999, UMEM_SIZE, 50000, 60000, 70000, 80000, 90000])
    const send = (len: number, tag: number) => {
      nic.offer(testFrame(len, tag))
      nic.run()
    }
    const receive = () => {
      for (const d of sock.receive()) {
        const at = sock.dataAddr(d.addr)
        lines.push(`rx ${d.addr} ${d.len} ${d.options} ${fnv(sock.umem.subarray(at, at + d.len))}`)
      }
    }
    send(100, 1)
    send(1000, 2)
    send(200, 3)
    send(2680, 4)
    receive()
    send(9000, 5)
    receive()
    send(2681, 6)
    receive()
    const fq = sock.state().fill!
    lines.push(`fq ${fq.producer} ${fq.consumer}`)
    const s = sock.statistics()
    lines.push(`stats ${s.rxDropped} ${s.rxInvalidDescs} ${s.txInvalidDescs} ${s.rxRingFull} ${s.rxFillRingEmptyDescs} ${s.txRingEmptyDescs}`)
    sock.close()
    nic.close()
    expect(nic.stats().pagePool.inFlight).toBe(0)
    expect(lines).toEqual(kernelLines('unaligned_rx', rxObject))
  })

  // ---- shared UMEM ----

  const sharedObject = build('xsk_shared.bpf.c', {}, [], { commit: true })

  it('XDP_SHARED_UMEM bind answers: flags, the socket named, own rings on the same queue, rings of its own elsewhere, queues taken by pools', () => {
    // Two NICs, told apart by ifindex as the kernel's bind tells devices apart.
    const nicA = new Mvneta({ ifindex: 12, rxQueues: 1, txQueues: 1 })
    const nicC = new Mvneta({ ifindex: 13, rxQueues: 2, txQueues: 2 })
    const map = Program.load(sharedObject.path, { prog: 'to_xsk' }).map('xsks')
    const lines: string[] = []
    const step = (name: string, f: () => unknown) => lines.push(`setup ${name} ${errnoOf(f)}`)
    const handles: ReturnType<typeof native.xskCreate>[] = []
    /** A socket with the rings given (64 entries) and, with `umem`, a UMEM of its own. */
    const raw = (kinds: string[], umem = false) => {
      const h = native.xskCreate()
      handles.push(h)
      if (umem) native.xskUmemReg(h, UMEM_SIZE, CHUNK, 0, 0)
      for (const k of kinds) native.xskRing(h, k, 64)
      return h
    }
    const all = ['rx', 'tx', 'fill', 'completion']
    const a = raw(all, true)
    step('bind_a', () => native.xskBind(a, nicA.handle, 0, XDP_COPY | XDP_USE_NEED_WAKEUP, undefined))
    const unbound = raw(all, true)
    const b = raw(['rx', 'tx'])
    step('map_no_umem', () => native.xskMapUpdate(b, map.object.handle, 'xsks', 0, 0))
    step('map_no_rx_ring', () => native.xskMapUpdate(raw(['tx', 'fill', 'completion'], true), map.object.handle, 'xsks', 1, 0))
    const shared = (h: typeof a, nic: Mvneta, queue: number, other: typeof a, flags = 0) => () => native.xskBind(h, nic.handle, queue, XDP_SHARED_UMEM | flags, other)
    step('shared_with_copy', shared(b, nicA, 0, a, XDP_COPY))
    step('shared_with_sg', shared(b, nicA, 0, a, XDP_USE_SG))
    step('shared_with_wakeup', shared(b, nicA, 0, a, XDP_USE_NEED_WAKEUP))
    const closed = raw([])
    native.xskClose(closed)
    step('shared_fd_closed', shared(b, nicA, 0, closed))
    step('shared_fd_unbound', shared(b, nicA, 0, unbound))
    step('shared_fd_self', shared(b, nicA, 0, b))
    step('shared_own_umem', shared(unbound, nicA, 0, a))
    step('same_queue_own_fill', shared(raw(['rx', 'fill']), nicA, 0, a))
    step('same_queue_own_completion', shared(raw(['rx', 'completion']), nicA, 0, a))
    step('same_queue', shared(b, nicA, 0, a))
    step('same_queue_twice', shared(b, nicA, 0, a))
    step('map_shared', () => native.xskMapUpdate(b, map.object.handle, 'xsks', 0, 0))
    lines.push(`txflags_b ${native.xskState(b).tx!.flags}`)
    step('other_queue_no_rings', shared(raw(['rx']), nicC, 1, a))
    step('other_queue_no_completion', shared(raw(['rx', 'fill']), nicC, 1, a))
    const g = raw(all)
    step('other_queue_past_end', shared(g, nicC, 2, a))
    step('other_device', shared(g, nicC, 0, a))
    lines.push(`txflags_g ${native.xskState(g).tx!.flags}`)
    const h = raw(['rx', 'fill', 'completion'])
    step('other_device_queue_taken', shared(h, nicC, 0, a))
    step('other_device_queue_1', shared(h, nicC, 1, a))
    step('own_umem_queue_taken', () => native.xskBind(raw(['rx', 'fill', 'completion'], true), nicC.handle, 1, XDP_COPY, undefined))
    step('shares_g_pool', shared(raw(['rx']), nicC, 0, g))
    step('shares_b_pool', shared(raw(['rx']), nicA, 0, b))
    native.xskClose(a)
    step('after_owner_closed', shared(raw(['rx']), nicA, 0, b))
    step('own_umem_on_shared_queue', () => native.xskBind(raw(['rx', 'fill', 'completion'], true), nicA.handle, 0, XDP_COPY, undefined))
    for (const x of handles) native.xskClose(x)
    nicA.close()
    nicC.close()
    // uxdp has no socket of another family to name.
    expect(lines).toEqual(kernelLines('shared_setup').filter((l) => !l.startsWith('setup shared_fd_not_xdp ')))
  })

  it('shared UMEM at work: two sockets on one queue take chunks from one fill ring and complete on one ring; a third on another device has its own, with XDP_USE_SG inherited; frames for a socket bound elsewhere are dropped', () => {
    const nicA = new Mvneta({ ifindex: 12, mtu: 9000, rxQueues: 1, txQueues: 1, quirks: { fcsInFragsSize: false } })
    const nicC = new Mvneta({ ifindex: 13, mtu: 9000, rxQueues: 1, txQueues: 1, quirks: { fcsInFragsSize: false } })
    const lines: string[] = []
    const rings = { rxSize: 64, txSize: 64 }
    const a = new XdpSocket({ chunks: CHUNKS, chunkSize: CHUNK, ...rings, fillSize: 64, completionSize: 64 })
    lines.push(`setup bind_a ${errnoOf(() => a.bind(nicA, 0, { copy: true, sg: true }))}`)
    const b = new XdpSocket({ shareUmem: a, ...rings })
    lines.push(`setup bind_b ${errnoOf(() => b.bind(nicA, 0))}`)
    const c = new XdpSocket({ shareUmem: a, ...rings, fillSize: 64, completionSize: 64 })
    lines.push(`setup bind_c ${errnoOf(() => c.bind(nicC, 0))}`)
    const p = Program.load(sharedObject.path, { prog: 'to_xsk' })
    const map = p.map('xsks')
    for (const [name, sock, key] of [['a', a, 0], ['b', b, 1], ['c', c, 2]] as const) lines.push(`setup map_${name} ${errnoOf(() => sock.addToMap(map, key))}`)
    nicA.attachXdp(p)
    nicC.attachXdp(p)
    a.fill(Array.from({ length: 8 }, (_, i) => i * CHUNK))
    c.fill(Array.from({ length: 8 }, (_, i) => (16 + i) * CHUNK))
    const send = (nic: Mvneta, len: number, tag: number) => {
      nic.offer(testFrame(len, tag))
      nic.run()
    }
    for (const [len, tag] of [[100, 0], [110, 1], [120, 0], [130, 1], [140, 1], [150, 2]]) send(nicA, len, tag)
    for (const [len, tag] of [[160, 2], [9000, 2], [170, 0]]) send(nicC, len, tag)
    const receive = (name: string, sock: XdpSocket) => {
      lines.push(`sock ${name}`)
      for (const d of sock.receive()) lines.push(`rx ${d.addr} ${d.len} ${d.options} ${fnv(sock.umem.subarray(Number(d.addr), Number(d.addr) + d.len))}`)
    }
    receive('a', a)
    receive('b', b)
    receive('c', c)
    let n = 0
    for (const [sock, chunk] of [[b, 40], [a, 41], [c, 50]] as const) {
      expect(sock.transmit([sock.stage(chunk, testFrame(60, 0))])).toBe(1)
      const e = errnoOf(() => sock.sendto())
      lines.push(`sendto ${n++} ${e} ${sock.state().tx!.consumer}`)
    }
    nicA.poll()
    nicC.poll()
    const tail = (name: string, sock: XdpSocket, rings: boolean) => {
      lines.push(`sock ${name}`)
      if (rings) {
        const fq = sock.state().fill!
        lines.push(`fq ${fq.producer} ${fq.consumer}`, ['cq', ...sock.complete()].join(' '))
      }
      const s = sock.statistics()
      lines.push(`stats ${s.rxDropped} ${s.rxInvalidDescs} ${s.txInvalidDescs} ${s.rxRingFull} ${s.rxFillRingEmptyDescs} ${s.txRingEmptyDescs}`)
    }
    tail('a', a, true)
    tail('b', b, false)
    tail('c', c, true)
    // Every chunk is somewhere: with user space (never filled, received, completed) or the kernel.
    expect(a.state().kernelChunks).toEqual([])
    for (const s of [a, b, c]) s.close()
    nicA.close()
    nicC.close()
    expect(nicA.stats().pagePool.inFlight + nicC.stats().pagePool.inFlight).toBe(0)
    expect(lines).toEqual(kernelLines('shared_rx', sharedObject))
  })
})
