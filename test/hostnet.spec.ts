/**
 * The HostNet API (lib/hostnet.ts): what it refuses, lookups and FIB answers asked from
 * TypeScript, sockmaps filled from user space, and a BPF program attached to the emulated NIC
 * seeing the host through `attachXdp(prog, { host })`. What the helpers answer is compared with
 * Linux in kernel-hostnet.spec.ts; this is the facade around them.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BPF_FIB_LKUP_RET, BpfObject, HostNet, ipv6Bytes, Mvneta, UxdpError } from '../lib/index'
import { build } from './helpers/kernel'

function thrown(f: () => unknown): UxdpError {
  try {
    f()
  } catch (e) {
    if (e instanceof UxdpError) return e
    throw e
  }
  throw new Error('did not throw')
}

const lookupObject = () => build('hostnet.bpf.c', {}, [], { commit: true }).path
const mapsObject = () => build('hostnet_maps.bpf.c', {}, [], { commit: true }).path

/** hn_lookup's question: a TCP lookup of 127.0.0.1:sport -> 127.0.0.1:dport in the current netns. */
function question(sport: number, dport: number): Buffer {
  const p = Buffer.alloc(160)
  p.writeUInt32LE(12, 4)
  p.writeBigUInt64LE(0xffffffffffffffffn, 8)
  Buffer.from([127, 0, 0, 1, 127, 0, 0, 1]).copy(p, 24)
  p.writeUInt16BE(sport, 32)
  p.writeUInt16BE(dport, 34)
  return p
}

describe('HostNet: the model and its checks', () => {
  it('refuses bad devices, routes, neighbours and sockets with errnos', () => {
    const h = new HostNet()
    expect(thrown(() => h.addDevice({ ifindex: 1, name: 'lo2' })).code).toBe('EEXIST')
    expect(thrown(() => h.addDevice({ ifindex: 0 })).code).toBe('EINVAL')
    expect(thrown(() => h.addDevice({ ifindex: 5, mac: '02:00' })).code).toBe('EINVAL')
    expect(thrown(() => h.addDevice({ ifindex: 5, addrs: ['10.0.0.1/33'] })).code).toBe('EINVAL')
    expect(thrown(() => h.addRoute({ dst: '10.0.0.0/8', ifindex: 9 })).code).toBe('ENODEV')
    expect(thrown(() => h.addRoute({ dst: 'nowhere' })).code).toBe('EINVAL')
    expect(thrown(() => h.addRoute({ dst: '10.0.0.0/8', type: 'blackhole', ifindex: 1 })).code).toBe('EINVAL')
    expect(thrown(() => h.addNeighbour({ ifindex: 7, addr: '10.0.0.2', mac: '02:00:00:00:00:02' })).code).toBe('ENODEV')
    expect(thrown(() => h.addSocket({ protocol: 'sctp' as 'tcp', localAddr: '0.0.0.0', localPort: 1 })).code).toBe('EPROTONOSUPPORT')
    expect(thrown(() => h.addSocket({ protocol: 'udp', localAddr: '0.0.0.0', localPort: 1, state: 'listen' })).code).toBe('EINVAL')
    expect(thrown(() => h.addSocket({ protocol: 'tcp', localAddr: '::1', localPort: 1, family: 4 })).code).toBe('EINVAL')
    expect(thrown(() => h.addSocket({ protocol: 'tcp', localAddr: '0.0.0.0', localPort: 70000 })).code).toBe('EINVAL')
    expect(thrown(() => h.listenTcp('0.0.0.0', 1, { netns: 'nope' })).code).toBe('ENOENT')
    expect(thrown(() => h.setTcpSyncookies(3 as 2)).code).toBe('EINVAL')
    expect(thrown(() => h.addDevice({ ifindex: 5, colour: 'red' } as never)).code).toBe('EINVAL')
  })

  it('finds sockets as the kernel does and shows their struct bpf_sock', () => {
    const h = new HostNet()
    const any = h.listenTcp('0.0.0.0', 80, { mark: 9 })
    const est = h.connectedTcp('10.0.0.1', 80, '10.0.0.2', 4000)
    const dual = h.listenTcp('::', 81)
    expect(h.lookup('tcp', '10.0.0.2', 4000, '10.0.0.1', 80)?.id).toBe(est.id)
    expect(h.lookup('tcp', '10.0.0.2', 4001, '10.0.0.1', 80)?.id).toBe(any.id)
    expect(h.lookup('tcp', '10.0.0.2', 4001, '10.0.0.1', 81)?.id).toBe(dual.id)
    expect(h.lookup('udp', '10.0.0.2', 4001, '10.0.0.1', 80)).toBeUndefined()
    expect(any.view()).toMatchObject({ family: 2, type: 1, protocol: 6, mark: 9, srcIp4: '0.0.0.0', srcPort: 80, dstPort: 0, state: 10, rxQueueMapping: -1 })
    expect(est.view()).toMatchObject({ srcIp4: '10.0.0.1', dstIp4: '10.0.0.2', dstPort: 4000, state: 1, dstIp6: '0:0:0:0:0:ffff:a00:2' })
    est.close()
    expect(h.lookup('tcp', '10.0.0.2', 4000, '10.0.0.1', 80)?.id).toBe(any.id)
    expect(thrown(() => est.view()).code).toBe('ENOENT')
  })

  it('answers bpf_fib_lookup from TypeScript', () => {
    const h = new HostNet()
      .addDevice({ ifindex: 2, mac: '02:00:00:00:00:01', forwarding: true, addrs: ['10.0.0.1/24'] })
      .addRoute({ dst: '10.1.0.0/16', gateway: '10.0.0.2', ifindex: 2 })
      .addRoute({ dst: '10.2.0.0/16', type: 'unreachable' })
      .addNeighbour({ ifindex: 2, addr: '10.0.0.2', mac: '02:00:00:00:00:02' })
    const params = (dst: number[]) => {
      const p = Buffer.alloc(64)
      p[0] = 2
      p.writeUInt32LE(2, 8)
      Buffer.from(dst).copy(p, 32)
      return p
    }
    const ok = h.fibLookup(params([10, 1, 2, 3]))
    expect(ok.ret).toBe(BPF_FIB_LKUP_RET.SUCCESS)
    expect([...ok.params.subarray(32, 36)]).toEqual([10, 0, 0, 2])
    expect(ok.params.subarray(58, 64).toString('hex')).toBe('020000000002')
    expect(ok.params.readUInt16LE(6)).toBe(1500)
    expect(h.fibLookup(params([10, 2, 0, 1])).ret).toBe(BPF_FIB_LKUP_RET.UNREACHABLE)
    expect(h.fibLookup(params([10, 1, 2, 3]), 1 << 7).ret).toBe(-22)
  })

  it('writes IPv6 addresses in every form', () => {
    expect(ipv6Bytes('::1').toString('hex')).toBe('00000000000000000000000000000001')
    expect(ipv6Bytes('::ffff:127.0.0.1').toString('hex')).toBe('00000000000000000000ffff7f000001')
    expect(ipv6Bytes('2001:db8::2').toString('hex')).toBe('20010db8000000000000000000000002')
    expect(thrown(() => ipv6Bytes('1:2:3')).code).toBe('EINVAL')
  })
})

describe('HostNet with programs', () => {
  const nics: Mvneta[] = []
  afterEach(() => {
    for (const n of nics.splice(0)) n.close()
  })

  it('testRun takes a HostNet and a namespace; a bad one is refused', () => {
    const o = BpfObject.open(lookupObject())
    const h = new HostNet()
    const l = h.listenTcp('127.0.0.1', 8080)
    const p = o.program('hn_lookup')
    expect(p.testRun({ data: question(1, 8080), host: h }).retval).toBe(2) // XDP_PASS: found
    expect(p.testRun({ data: question(1, 8080) }).retval).toBe(1) // the default host has no sockets
    expect(l.refs).toBe(0)
    expect(thrown(() => p.testRun({ data: question(1, 8080), host: {} as HostNet })).code).toBe('EINVAL')
    expect(thrown(() => p.testRun({ data: question(1, 8080), netns: 'x' })).code).toBe('EINVAL')
    expect(thrown(() => p.testRun({ data: question(1, 8080), host: h, netns: 'x' })).code).toBe('ENOENT')
    o.close()
  })

  it('a program on the NIC sees the HostNet given at attach', () => {
    const o = BpfObject.open(lookupObject())
    const n = new Mvneta({ ifindex: 4 })
    nics.push(n)
    const h = new HostNet().addDevice({ ifindex: 4, name: 'eth0' })
    const l = h.listenTcp('127.0.0.1', 8080, { boundDevIf: 4 })
    n.attachXdp(o.program('hn_lookup'), { host: h })
    n.offer([question(1, 8080), question(1, 8081)])
    n.poll()
    // found (bound to the NIC's device): XDP_PASS to the stack; not found: XDP_DROP
    expect(n.stack().length).toBe(1)
    expect(l.refs).toBe(0)
    expect(thrown(() => n.attachXdp(o.program('hn_lookup'), { host: 3 as never })).code).toBe('EINVAL')
    o.close()
  })

  it('sockmaps take HostNet sockets from user space and give back cookies', () => {
    const o = BpfObject.open(mapsObject())
    const h = new HostNet()
    const l = h.listenTcp('127.0.0.1', 8080)
    const tw = h.connectedTcp('127.0.0.1', 9, '127.0.0.2', 10, { state: 'time-wait' })
    const socks = o.map('socks')
    const k = (i: number) => Buffer.from([i, 0, 0, 0])
    socks.updateSocket(k(0), l)
    expect(socks.lookup(k(0))!.readBigUInt64LE(0)).toBe(BigInt(l.id))
    expect(thrown(() => socks.updateSocket(k(0), l, 1)).code).toBe('EEXIST')
    expect(thrown(() => socks.updateSocket(k(1), tw)).code).toBe('EOPNOTSUPP')
    expect(thrown(() => socks.updateSocket(k(9), l)).code).toBe('E2BIG')
    expect(thrown(() => socks.update(k(1), Buffer.alloc(8))).code).toBe('EOPNOTSUPP')
    // the program finds it through the map (lookup only: ops bit 3), referenced and released
    const q = Buffer.alloc(80)
    q.writeUInt32LE(8, 0)
    const r = o.program('hn_sockmap').testRun({ data: q, host: h })
    expect(r.dataOut.readUInt32LE(48)).toBe(1)
    expect(r.dataOut.readUInt32LE(56)).toBe(8080)
    expect(l.refs).toBe(0)
    l.close()
    expect(socks.lookup(k(0))).toBeUndefined()
    expect(socks.keys().length).toBe(4)
    o.close()
  })
})
