/**
 * The SYN proxy of test/kernel/synproxy_full.bpf.c (compared with Linux in kernel-synproxy.spec.ts)
 * attached to the emulated mvneta NIC: a SYN comes in on the wire, the SYN-ACK goes out through
 * XDP_TX with the right bytes; the client's ACK of the cookie reaches the stack (XDP_PASS); a
 * forged ACK is dropped. Cookies are uxdp's own, keyed by the HostNet's secret and clock.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BpfObject, HostNet, Mvneta } from '../lib/index'
import { build } from './helpers/kernel'
import { ackOf, MAC_CLIENT, MAC_SERVER, parseTcp, TH, tcpFrame, type TcpFrame } from './helpers/tcp-packets'

const object = build('synproxy_full.bpf.c', {}, ['--clang=clang-19', '-mcpu=v3', '-Itarget/synproxy-vmlinux'], { commit: true })

const open: { close(): void }[] = []
afterEach(() => {
  for (const o of open.splice(0)) o.close()
})

function proxy() {
  const host = new HostNet()
  host.addNetns('a')
  host.setSyncookieSecret([0x1234n, 0x5678n], 2000)
  const obj = BpfObject.open(object.path)
  open.push(obj)
  for (const [i, port] of [80, 443].entries()) {
    const key = Buffer.alloc(4)
    key.writeUInt32LE(i)
    const v = Buffer.alloc(2)
    v.writeUInt16LE(port)
    obj.map('allowed_ports').update(key, v)
  }
  // the real mvneta: no RX hints, so no VLAN stripping (the program sees and keeps the tags)
  const nic = new Mvneta({ rxHints: false })
  open.push(nic)
  nic.attachXdp(obj.program('syncookie_xdp'), { host, netns: 'a' })
  return { host, obj, nic }
}

const C4: TcpFrame = { src: '192.0.2.10', dst: '198.51.100.1', sport: 51000, dport: 80, flags: TH.SYN, seq: 0xabcd0000, opts: { mss: 1460, wscale: 8, sack: true, ts: 0x11223344 } }
const C6: TcpFrame = { src: '2001:db8:1::10', dst: '2001:db8:2::1', sport: 51001, dport: 443, flags: TH.SYN, seq: 0x0badcafe, opts: { mss: 1440 } }

describe('the SYN proxy on the emulated mvneta NIC', () => {
  it('SYN in, SYN-ACK out through XDP_TX: addresses and ports swapped, cookie, options, checksums', () => {
    const { nic, obj, host } = proxy()
    nic.offer(tcpFrame(C4))
    nic.poll()
    const sent = nic.drainTx()
    expect(sent).toHaveLength(1)
    const out = sent[0].data
    expect(out.subarray(0, 6).equals(MAC_CLIENT), 'to the client').toBe(true)
    expect(out.subarray(6, 12).equals(MAC_SERVER), 'from the server').toBe(true)
    const p = parseTcp(out)
    expect([p.src, p.dst, p.sport, p.dport]).toEqual([C4.dst, C4.src, C4.dport, C4.sport])
    expect(p.flags).toBe(TH.SYN | TH.ACK)
    expect(p.ack).toBe((C4.seq + 1) >>> 0)
    expect(p.ttl).toBe(64)
    expect(p.ipChecksumOk && p.tcpChecksumOk).toBe(true)
    // MSS 1460; SACK_PERM + timestamps (tsecr the client's tsval, tsval's low bits: wscale 8, SACK);
    // NOP + window scale 7 (the proxy's)
    expect(p.options.subarray(0, 4).toString('hex')).toBe('020405b4')
    expect(p.options.subarray(4, 8).toString('hex')).toBe('0402080a')
    expect(p.options.readUInt32BE(8) & 0x3f).toBe(8 | 0x10)
    expect(p.options.readUInt32BE(12)).toBe(0x11223344)
    expect(p.options.subarray(16, 20).toString('hex')).toBe('01030307')
    // the same answer as test_run's with the same secret and minute
    const t = obj.program('syncookie_xdp').testRun({ data: tcpFrame(C4), host, netns: 'a' })
    expect(parseTcp(Buffer.from(t.dataOut)).seq).toBe(p.seq)
    expect(obj.map('cookie_mss').lookup(Buffer.alloc(4))!.readUInt32LE(0), 'the MSS the cookie encodes').toBe(1460)
    expect(nic.stack()).toHaveLength(0)
  })

  it('the ACK of the cookie reaches the stack; a forged one is dropped', () => {
    const { nic } = proxy()
    nic.offer(tcpFrame(C4))
    nic.poll()
    const [synack] = nic.drainTx()
    const ack = ackOf(synack.data, C4)
    nic.offer([ack, ackOf(synack.data, C4, 1 << 22)])
    nic.poll()
    const up = nic.stack()
    expect(up).toHaveLength(1)
    expect(up[0].data.subarray(0, ack.length).equals(ack)).toBe(true)
    expect(nic.drainTx()).toHaveLength(0)
  })

  it('IPv6 and a VLAN-tagged SYN are answered too; traffic to other ports passes', () => {
    const { nic } = proxy()
    nic.offer([tcpFrame(C6), tcpFrame({ ...C4, vlans: [{ tpid: 0x8100, tci: 42 }] }), tcpFrame({ ...C4, dport: 8080 })])
    nic.poll()
    const sent = nic.drainTx()
    expect(sent).toHaveLength(2)
    const p6 = parseTcp(sent[0].data)
    expect([p6.v6, p6.flags, p6.ack, p6.tcpChecksumOk]).toEqual([true, TH.SYN | TH.ACK, C6.seq + 1, true])
    expect(p6.options.toString('hex')).toBe('020405a0')
    const pv = parseTcp(sent[1].data)
    expect(sent[1].data.readUInt16BE(12)).toBe(0x8100)
    expect(sent[1].data.readUInt16BE(14)).toBe(42)
    expect([pv.flags, pv.tcpChecksumOk, pv.ipChecksumOk]).toEqual([TH.SYN | TH.ACK, true, true])
    expect(nic.stack()).toHaveLength(1)
  })
})
