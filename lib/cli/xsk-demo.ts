import { BpfObject } from '../bpf'
import { UxdpError } from '../errors'
import { Mvneta } from '../mvneta'
import { XdpSocket } from '../xsk'
import { rng, udpFrame } from './demo'
import { XSK_DEMO_OBJECT } from './xsk-demo-object'

/** The UDP port lib/cli/bpf/xsk-demo.bpf.c sends to the AF_XDP socket. */
export const PORT_XSK = 9999

const MTU = 9000
const CHUNKS = 1024

export interface XskDemoResult {
  frames: number
  /** Frames to port 9999 (the socket's share). */
  to_socket: number
  received: number
  /** Received as descriptor chains (XDP_PKT_CONTD). */
  chains: number
  descriptors: number
  bytes: number
  /** Packets echoed back out through the NIC's TX ring, their descriptors, and the descriptors completed. */
  echoed: number
  echoed_descriptors: number
  completed: number
  passed: number
  statistics: Record<string, number>
  /** Every UMEM chunk accounted for at the end (with us, on the fill ring or held by the kernel). */
  chunks_accounted: boolean
  page_pool_in_flight: number
  elapsed_ms: number
}

/**
 * `uxdp demo --xsk`: an AF_XDP consumer. The clang-built program redirects UDP to port 9999 into
 * an XdpSocket (4096-byte chunks, XDP_USE_SG), which counts what arrives (jumbo frames as
 * descriptor chains) and echoes each packet back through the NIC's TX ring with its Ethernet
 * addresses swapped, from the same chunks; completed chunks go back on the fill ring.
 */
export function runXskDemo(options: { frames?: number } = {}): XskDemoResult {
  const start = performance.now()
  const total = options.frames ?? 4000
  if (!Number.isInteger(total) || total < 0) throw new UxdpError('EINVAL', 'frames must be a non-negative integer')
  // Frames cut by a poll's budget carry over (the upstream driver drops them; the main demo shows that).
  const nic = new Mvneta({ ifindex: 2, mtu: MTU, mac: '02:00:00:00:00:01', quirks: { dropSplitFrames: false } })
  const object = BpfObject.open(XSK_DEMO_OBJECT)
  const sock = new XdpSocket({ chunks: CHUNKS, rxSize: 512, txSize: 512, fillSize: 1024, completionSize: 1024 })
  try {
    sock.bind(nic, 0, { sg: true })
    sock.addToMap(object.map('xsks'), 0)
    nic.attachXdp(object.program('xsk_demo'))
    sock.fill(Array.from({ length: CHUNKS }, (_, i) => sock.chunkAddr(i)))

    const r = { toSocket: 0, received: 0, chains: 0, descriptors: 0, bytes: 0, echoed: 0, echoedDescs: 0, completed: 0, passed: 0 }
    const consume = () => {
      const packets = sock.receivePackets()
      const echo = []
      for (const p of packets) {
        r.received++
        r.descriptors += p.descs.length
        r.bytes += p.data.length
        if (p.descs.length > 1) r.chains++
        // Swap the Ethernet addresses in place, in the first chunk, and send the same descriptors.
        const at = sock.dataAddr(p.descs[0].addr)
        const dst = Buffer.from(sock.umem.subarray(at, at + 6))
        sock.umem.copyWithin(at, at + 6, at + 12)
        sock.umem.set(dst, at + 6)
        echo.push(...p.descs)
      }
      if (echo.length > 0) {
        r.echoedDescs += sock.transmit(echo)
        sock.kick()
      }
      nic.poll()
      r.passed += nic.stack().length
      r.echoed += nic.drainTx().length
      const done = sock.complete()
      r.completed += done.length
      sock.fill(done)
    }
    const next = rng(0x2545f491)
    let batch: Buffer[] = []
    for (let seq = 0; seq < total; seq++) {
      const x = next()
      const toSocket = x % 3 === 0
      if (toSocket) r.toSocket++
      const len = x % 5 === 0 ? 3600 + (x % (MTU + 14 - 3600)) : 60 + (x % 1455)
      batch.push(udpFrame(len, toSocket ? PORT_XSK : 53, seq))
      if (batch.length === 64) {
        nic.offer(batch)
        nic.run()
        consume()
        batch = []
      }
    }
    nic.offer(batch)
    nic.run()
    consume()
    consume()

    const st = sock.state()
    const onFill = (st.fill!.producer - st.fill!.consumer) >>> 0
    const inFlight = (st.rx!.producer - st.rx!.consumer + st.tx!.producer - st.tx!.consumer + st.completion!.producer - st.completion!.consumer) >>> 0
    const statistics = { ...sock.statistics() } as unknown as Record<string, number>
    sock.close()
    nic.close()
    return {
      frames: total,
      to_socket: r.toSocket,
      received: r.received,
      chains: r.chains,
      descriptors: r.descriptors,
      bytes: r.bytes,
      echoed: r.echoed,
      echoed_descriptors: r.echoedDescs,
      completed: r.completed,
      passed: r.passed,
      statistics,
      chunks_accounted: onFill + st.kernelChunks.length + inFlight === CHUNKS,
      page_pool_in_flight: nic.stats().pagePool.inFlight,
      elapsed_ms: Math.round(performance.now() - start),
    }
  } finally {
    sock.close()
    nic.close()
    object.close()
  }
}


/** Prints the AF_XDP demo's result; exit status 0 when nothing was lost. */
export function printXskDemo(r: XskDemoResult, json: boolean, out: (line: string) => void): number {
  const ok = r.chunks_accounted && r.page_pool_in_flight === 0 && r.received === r.to_socket && r.completed === r.echoed_descriptors && r.passed === r.frames - r.to_socket
  if (json) {
    out(JSON.stringify(r))
    return ok ? 0 : 1
  }
  out(`uxdp: an AF_XDP socket on an emulated mvneta at MTU ${MTU} (copy mode, XDP_USE_SG, ${CHUNKS} chunks of 4096 bytes)`)
  out(`  ${r.frames} frames offered, ${r.to_socket} to UDP port ${PORT_XSK}: the BPF program redirects those into the socket's xskmap slot`)
  out(`  the socket received ${r.received} packets in ${r.descriptors} descriptors (${r.chains} jumbo frames as XDP_PKT_CONTD chains), ${r.bytes} bytes`)
  out(`  echoed ${r.echoed} back through the NIC's TX ring (${r.echoed_descriptors} descriptors, ${r.completed} completed); the host stack got the other ${r.passed}`)
  out(`  XDP_STATISTICS: ${Object.entries(r.statistics).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  out(`  UMEM chunks all accounted for: ${r.chunks_accounted ? 'yes' : 'NO'}; page pool pages in flight after close: ${r.page_pool_in_flight}`)
  return ok ? 0 : 1
}

