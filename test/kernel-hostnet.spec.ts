/**
 * Kernel differential tests for the host network model (lib/hostnet.ts) and the helpers over it:
 * bpf_sk_lookup_tcp/udp, bpf_skc_lookup_tcp, bpf_sk_release, bpf_fib_lookup, bpf_check_mtu,
 * bpf_tcp_gen_syncookie / bpf_tcp_check_syncookie (test/kernel/hostnet.bpf.c).
 *
 * One topology (TOPO below) is built twice: on the live kernel as two network namespaces with
 * veth devices, addresses, routes, neighbours, sysctls and real sockets (a Python process per
 * namespace holds them: listeners, accepted connections with fixed client ports, a TIME_WAIT
 * socket, UDP sockets), and on the uxdp side as a HostNet filled with the same description. Each
 * case runs the same XDP program on the same packet in namespace A (bpftool under nsenter: test_run's
 * device is A's loopback) and through uxdp's testRun({ host }); retval and data_out (the answers
 * the program wrote into the packet) must be equal. The kernel's answers are recorded
 * (test/fixtures/kernel/kernel-hostnet.json, `npm run kernel:record -- kernel-hostnet`, as root),
 * so the replay needs no kernel. Syncookie values are random per boot in the kernel: the program
 * writes only the MSS a cookie carries, the errors, and whether its own round trip checks out.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BpfObject, HostNet, ipv6Bytes, UxdpError, type HostSocket } from '../lib/index'
import { encodeSkBuff } from '../lib/skbuff'
import { encodeMd } from '../lib/xdpmd'
import { askKernel, build, finishKernel, firstDifference, KernelObject, KernelRefused, MODE, ownPins, useKernel, type BpfBuild } from './helpers/kernel'
import { LivePin, scratchDir } from './helpers/kernel-live'

const kernel = useKernel('kernel-hostnet')
const obj = build('hostnet.bpf.c', {}, [], { commit: true })
const mapsObj = build('hostnet_maps.bpf.c', {}, [], { commit: true })
const tcObj = build('hostnet_tc.bpf.c', {}, [], { commit: true })
const tcLeakObj = build('hostnet_tc.bpf.c', { LEAK: 1 }, [], { commit: true })
const skbObj = build('hostnet_skb.bpf.c', {}, [], { commit: true })

// =============================================================================================
// The topology, one description for both sides

const NS_A = `uxdp-hn-a-${process.pid}`
const NS_B = `uxdp-hn-b-${process.pid}`
/** The id namespace A gives B (what a lookup's netns argument names). */
const B_ID = 7

interface Dev {
  ifindex: number
  name: string
  mtu: number
  mac: string
  forwarding: boolean
  addrs: string[]
}
const DEVS: Dev[] = [
  { ifindex: 10, name: 'hn0', mtu: 1500, mac: '02:00:00:00:00:0a', forwarding: true, addrs: ['10.0.0.1/24', '2001:db8::1/64'] },
  { ifindex: 11, name: 'hn1', mtu: 1400, mac: '02:00:00:00:00:0b', forwarding: false, addrs: ['10.9.0.1/24'] },
]

interface R {
  dst: string
  type?: 'blackhole' | 'unreachable' | 'prohibit'
  gateway?: string
  dev?: number
  table?: number
  mtu?: number
  mtuLocked?: boolean
}
const ROUTES: R[] = [
  { dst: '10.1.0.0/16', gateway: '10.0.0.2', dev: 10 },
  { dst: '10.2.0.0/16', type: 'blackhole' },
  { dst: '10.3.0.0/16', type: 'unreachable' },
  { dst: '10.4.0.0/16', type: 'prohibit' },
  { dst: '10.5.0.0/16', gateway: '10.0.0.2', dev: 10, mtu: 1300, mtuLocked: true },
  { dst: '10.7.0.0/16', gateway: '10.0.0.2', dev: 10, mtu: 1300 },
  { dst: '10.6.0.0/16', gateway: '10.0.0.3', dev: 10, table: 100 },
  { dst: '10.8.0.0/16', dev: 11 },
  { dst: '2001:db8:1::/48', gateway: '2001:db8::2', dev: 10 },
  { dst: '2001:db8:2::/48', type: 'blackhole' },
  { dst: '2001:db8:3::/48', type: 'prohibit' },
]

const NEIGHS = [
  { ifindex: 10, addr: '10.0.0.2', mac: '02:00:00:00:00:02', state: 'permanent' as const },
  { ifindex: 10, addr: '10.0.0.4', mac: '02:00:00:00:00:04', state: 'stale' as const },
  { ifindex: 10, addr: '2001:db8::2', mac: '02:00:00:00:00:12', state: 'permanent' as const },
]

/**
 * The sockets, as the Python helper opens them (in order) and as the model describes them.
 * 'conn' is a connect() from a fixed client port and its accept(): two sockets; 'timewait' is
 * one whose client closes first and lingers in TIME_WAIT.
 */
type Sock =
  | { kind: 'listen'; fam: 4 | 6; addr: string; port: number; v6only?: boolean; mark?: number; priority?: number; ns?: 'b'; dev?: number }
  | { kind: 'conn'; fam: 4 | 6; caddr: string; cport: number; saddr: string; sport: number; mark?: number; childFam?: 4 | 6 }
  | { kind: 'timewait'; caddr: string; cport: number; saddr: string; sport: number }
  | { kind: 'udp'; fam: 4 | 6; addr: string; port: number; peer?: [string, number] }

const SOCKS: Sock[] = [
  { kind: 'listen', fam: 4, addr: '127.0.0.1', port: 8080, mark: 7, priority: 3 },
  { kind: 'listen', fam: 6, addr: '::', port: 8081 },
  { kind: 'listen', fam: 6, addr: '::1', port: 8082, v6only: true },
  { kind: 'listen', fam: 4, addr: '0.0.0.0', port: 8090, dev: 10 },
  { kind: 'conn', fam: 4, caddr: '127.0.0.1', cport: 40000, saddr: '127.0.0.1', sport: 8080, mark: 7 },
  { kind: 'conn', fam: 6, caddr: '::1', cport: 40001, saddr: '::1', sport: 8082 },
  { kind: 'conn', fam: 4, caddr: '127.0.0.1', cport: 40003, saddr: '127.0.0.1', sport: 8081, childFam: 6 },
  { kind: 'timewait', caddr: '127.0.0.1', cport: 40002, saddr: '127.0.0.1', sport: 8080 },
  { kind: 'udp', fam: 4, addr: '127.0.0.1', port: 5353 },
  { kind: 'udp', fam: 4, addr: '0.0.0.0', port: 5354 },
  { kind: 'udp', fam: 4, addr: '127.0.0.1', port: 5355, peer: ['127.0.0.1', 6000] },
  { kind: 'udp', fam: 6, addr: '::', port: 5356 },
  { kind: 'listen', fam: 4, addr: '127.0.0.1', port: 9090, ns: 'b' },
]

/** The uxdp side: the same topology as a HostNet (namespace 'a' is where test_run runs). */
function modelHost(): HostNet {
  const h = new HostNet()
  const a = h.addNetns('a')
  const b = h.addNetns('b')
  h.setPeerId(a, b, B_ID)
  h.setTcpSyncookies(2, a)
  for (const d of DEVS) {
    h.addDevice({ ifindex: d.ifindex, name: d.name, mtu: d.mtu, mac: d.mac, forwarding: d.forwarding, forwarding6: d.forwarding, addrs: d.addrs }, a)
    h.addDevice({ ifindex: d.ifindex + 10, name: `${d.name}p` }, a)
  }
  for (const r of ROUTES) h.addRoute({ dst: r.dst, type: r.type, gateway: r.gateway, ifindex: r.dev, table: r.table, mtu: r.mtu, mtuLocked: r.mtuLocked }, a)
  for (const n of NEIGHS) h.addNeighbour(n, a)
  const listeners = new Map<number, HostSocket>()
  for (const s of SOCKS) {
    if (s.kind === 'listen') {
      const l = h.listenTcp(s.addr, s.port, { netns: s.ns === 'b' ? b : a, family: s.fam, v6only: s.v6only, mark: s.mark, priority: s.priority, boundDevIf: s.dev })
      listeners.set(s.port, l)
    } else if (s.kind === 'conn') {
      // as Linux leaves them: the accepted socket has the listener's mark but not its priority
      h.connectedTcp(s.caddr, s.cport, s.saddr, s.sport, { netns: a, family: s.fam })
      h.connectedTcp(s.saddr, s.sport, s.caddr, s.cport, { netns: a, family: s.childFam ?? s.fam, mark: s.mark })
    } else if (s.kind === 'timewait') {
      h.connectedTcp(s.caddr, s.cport, s.saddr, s.sport, { netns: a, state: 'time-wait' })
    } else {
      h.addSocket({ netns: a, protocol: 'udp', family: s.fam, localAddr: s.addr, localPort: s.port, remoteAddr: s.peer?.[0], remotePort: s.peer?.[1] })
    }
  }
  return h
}

// =============================================================================================
// The kernel side: namespaces, devices, routes, sockets, and runs under nsenter

const PY = String.raw`
import socket, sys, json, time
S = []
def opt(s, spec):
    if spec.get('mark'): s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, spec['mark'])
    if spec.get('priority'): s.setsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY, spec['priority'])
def fam(f): return socket.AF_INET6 if f == 6 else socket.AF_INET
listeners = {}
for spec in json.loads(sys.argv[1]):
    k = spec['kind']
    if k == 'listen':
        s = socket.socket(fam(spec['fam']), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if spec['fam'] == 6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if spec.get('v6only') else 0)
        opt(s, spec)
        if spec.get('devname'): s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, spec['devname'].encode())
        s.bind((spec['addr'], spec['port'])); s.listen(16); S.append(s); listeners[spec['port']] = s
    elif k in ('conn', 'timewait'):
        f = spec.get('fam', 4)
        c = socket.socket(fam(f), socket.SOCK_STREAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        c.bind((spec['caddr'], spec['cport'])); c.connect((spec['saddr'], spec['sport']))
        a, _ = listeners[spec['sport']].accept()
        if k == 'conn':
            # a byte each way: both ends record the queue it came in on (only the accept is racy)
            c.sendall(b'x'); a.recv(1); a.sendall(b'y'); c.recv(1)
            S += [c, a]
        else:
            c.close(); time.sleep(0.05); a.close(); time.sleep(0.05)
    elif k == 'udp':
        s = socket.socket(fam(spec['fam']), socket.SOCK_DGRAM)
        if spec['fam'] == 6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind((spec['addr'], spec['port']))
        if spec.get('peer'): s.connect(tuple(spec['peer']))
        S.append(s)
print('ready', flush=True)
sys.stdin.read()
`

function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.error}`)
}

interface LiveEnv {
  pins: Map<string, LivePin>
  procs: ChildProcess[]
}
let live: LiveEnv | undefined
let liveError = ''

async function startSockets(ns: string, specs: Sock[]): Promise<ChildProcess> {
  const p = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', PY, JSON.stringify(specs)], { stdio: ['pipe', 'pipe', 'pipe'] })
  let err = ''
  p.stderr!.on('data', (d) => (err += String(d)))
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d) => String(d).includes('ready') && resolve())
    p.on('exit', (code) => reject(new Error(`socket helper in ${ns} exited with ${code}: ${err}`)))
  })
  return p
}

async function setUpLive(): Promise<LiveEnv> {
  for (const ns of [NS_A, NS_B]) {
    sh(['ip', 'netns', 'add', ns])
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
  }
  sh(['ip', '-n', NS_A, 'netns', 'set', NS_B, String(B_ID)])
  const sysctl = (ns: string, kv: string) => sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', kv])
  sysctl(NS_A, 'net.ipv4.tcp_syncookies=2')
  sysctl(NS_B, 'net.ipv4.tcp_syncookies=1')
  sysctl(NS_A, 'net.ipv4.conf.all.forwarding=0')
  sysctl(NS_A, 'net.ipv6.conf.all.forwarding=0')
  for (const d of DEVS) {
    // veth pairs (this kernel has no dummy devices): the peer is ifindex + 10, up for the carrier
    sh(['ip', '-n', NS_A, 'link', 'add', d.name, 'index', String(d.ifindex), 'address', d.mac, 'mtu', String(d.mtu), 'type', 'veth', 'peer', 'name', `${d.name}p`, 'index', String(d.ifindex + 10)])
    sh(['ip', '-n', NS_A, 'link', 'set', `${d.name}p`, 'up'])
    sh(['ip', '-n', NS_A, 'link', 'set', d.name, 'up'])
    for (const a of d.addrs) sh(['ip', '-n', NS_A, 'addr', 'add', a, 'dev', d.name, ...(a.includes(':') ? ['nodad'] : [])])
    sysctl(NS_A, `net.ipv4.conf.${d.name}.forwarding=${d.forwarding ? 1 : 0}`)
    sysctl(NS_A, `net.ipv6.conf.${d.name}.forwarding=${d.forwarding ? 1 : 0}`)
  }
  for (const r of ROUTES) {
    const v6 = r.dst.includes(':') ? ['-6'] : []
    const args = ['ip', ...v6, '-n', NS_A, 'route', 'add', ...(r.type ? [r.type] : []), r.dst]
    if (r.gateway) args.push('via', r.gateway)
    if (r.dev) args.push('dev', DEVS.find((d) => d.ifindex === r.dev)!.name)
    if (r.table) args.push('table', String(r.table))
    if (r.mtu) args.push('mtu', ...(r.mtuLocked ? ['lock'] : []), String(r.mtu))
    sh(args)
  }
  for (const n of NEIGHS) sh(['ip', '-n', NS_A, 'neigh', 'add', n.addr, 'lladdr', n.mac, 'dev', DEVS.find((d) => d.ifindex === n.ifindex)!.name, 'nud', n.state])
  const named = SOCKS.map((s) => ('dev' in s && s.dev ? { ...s, devname: DEVS.find((d) => d.ifindex === s.dev)!.name } : s))
  const procs = [await startSockets(NS_A, named.filter((s) => !('ns' in s && s.ns === 'b'))), await startSockets(NS_B, named.filter((s) => 'ns' in s && s.ns === 'b'))]
  const pins = new Map<string, LivePin>()
  for (const b of [obj, mapsObj, skbObj]) {
    const pin = LivePin.loadAll(b.path, b.source.replace(/\.bpf\.c$/, ''))
    if (!(pin instanceof LivePin)) throw new Error(`the kernel refused ${b.source}: ${pin.line}`)
    pins.set(b.key, pin)
  }
  return { pins, procs }
}

function tearDownLive(): void {
  if (!live) return
  for (const p of live.procs) p.kill()
  for (const p of live.pins.values()) p.unload()
  live = undefined
}

function tearDownNamespaces(): void {
  for (const ns of [NS_A, NS_B]) if (existsSync(`/run/netns/${ns}`)) spawnSync('ip', ['netns', 'del', ns])
}

type Run = { ok: true; retval: number; out: Buffer } | { ok: false; message: string }

/** One BPF_PROG_TEST_RUN of `prog` (of object `b`) in namespace A, on device `ingress` (ctx_in). */
function liveRun(b: BpfBuild, prog: string, data: Buffer, ingress?: number): Run {
  if (!live) throw new Error(`the live namespaces are not set up: ${liveError}`)
  const pin = live.pins.get(b.key)!
  const dir = scratchDir()
  const fin = join(dir, `hn-in-${process.pid}.bin`)
  const fout = join(dir, `hn-out-${process.pid}.bin`)
  const fctx = join(dir, `hn-ctx-${process.pid}.bin`)
  writeFileSync(fin, data)
  const ctxArgs = ingress ? ['ctx_in', fctx] : []
  // a tc program's device is ctx_in's __sk_buff ifindex (skb->dev); an XDP program's the xdp_md's
  if (ingress) writeFileSync(fctx, b === skbObj ? encodeSkBuff({ ifindex: ingress }) : encodeMd({ data: 0, dataEnd: data.length, ingressIfindex: ingress }, data.length))
  try {
    const r = spawnSync('nsenter', [`--net=/run/netns/${NS_A}`, 'bpftool', 'prog', 'run', 'pinned', join(pin.pin, 'progs', prog), 'data_in', fin, 'data_out', fout, ...ctxArgs, 'repeat', '1'], { encoding: 'utf8' })
    if (r.status !== 0) return { ok: false, message: (r.stderr || String(r.error)).trim().split('\n').at(-1) ?? '' }
    const m = /Return value: (\d+)/.exec(r.stdout)
    if (!m) throw new Error(`unexpected bpftool output: ${r.stdout}`)
    return { ok: true, retval: Number(m[1]), out: readFileSync(fout) }
  } finally {
    rmSync(fin, { force: true })
    rmSync(fout, { force: true })
    rmSync(fctx, { force: true })
  }
}

// =============================================================================================
// Both sides of one case

let host: HostNet
let bpf: BpfObject
let bpfMaps: BpfObject
let bpfSkb: BpfObject

function uxdpRun(o: BpfObject, prog: string, data: Buffer, ingress?: number): Run {
  try {
    const r =
      o === bpfSkb
        ? o.program(prog).testRun({ data, host, netns: 'a', ctx: ingress ? { ifindex: ingress } : undefined })
        : o.program(prog).testRun({ data, host, netns: 'a', ctx: ingress ? { ingressIfindex: ingress } : undefined })
    return { ok: true, retval: r.retval >>> 0, out: Buffer.from(r.dataOut) }
  } catch (e) {
    if (e instanceof UxdpError) return { ok: false, message: e.code }
    throw e
  }
}

/**
 * `step`: where in a sequence of runs that change state (the socket maps) the question stands.
 * `mask`: clears what the kernel answers at random in data_out, on both sides.
 */
function compare(prog: string, data: Buffer, what: string, b: BpfBuild = obj, step?: number, mask?: (out: Buffer) => void, ingress?: number): { kernel: Run; uxdp: Run } {
  const masked = (r: Run): Run => {
    if (!r.ok || !mask) return r
    const out = Buffer.from(r.out)
    mask(out)
    return { ...r, out }
  }
  const k = masked(
    askKernel<Run>(
      { op: 'hostnet-run', object: b.key, prog, data: data.toString('hex'), step: step ?? null, ...(ingress ? { ingress } : {}) },
      `test_run of ${prog} in ${b.what}, in namespace A${ingress ? `, on ifindex ${ingress}` : ''}: ${what}`,
      () => liveRun(b, prog, data, ingress),
      masked,
    ),
  )
  const u = masked(uxdpRun(b === obj ? bpf : b === skbObj ? bpfSkb : bpfMaps, prog, data, ingress))
  expect(k.ok, `the kernel's run failed: ${!k.ok ? k.message : ''}`).toBe(true)
  expect(u.ok, `uxdp's run failed: ${!u.ok ? u.message : ''}`).toBe(true)
  if (k.ok && u.ok) {
    expect(firstDifference(k.out, u.out), `data_out of ${prog}: ${what}`).toBe('')
    expect(u.retval, `retval of ${prog}: ${what}`).toBe(k.retval)
  }
  return { kernel: k, uxdp: u }
}

// ---------------------------------------------------------------------------------------------
// Questions

const ip4 = (a: string) => Buffer.from(a.split('.').map(Number))
const be16 = (v: number) => Buffer.from([v >> 8, v & 0xff])

function tuple(src: string, sport: number, dst: string, dport: number): Buffer {
  return src.includes(':') ? Buffer.concat([ipv6Bytes(src), ipv6Bytes(dst), be16(sport), be16(dport)]) : Buffer.concat([ip4(src), ip4(dst), be16(sport), be16(dport)])
}

interface LookupCase {
  title: string
  prog: 'hn_lookup' | 'hn_skc'
  udp?: boolean
  t: Buffer
  len?: number
  netns?: bigint
  flags?: bigint
  /** The device test_run's packet arrives on (ctx_in.ingress_ifindex). */
  ingress?: number
  /** What the kernel must answer (pinned here, so the kernel half proves the case). */
  found: boolean
  state?: number
}

function lookupPacket(c: LookupCase): Buffer {
  const p = Buffer.alloc(64 + 96)
  p.writeUInt32LE(c.udp ? 1 : 0, 0)
  p.writeUInt32LE(c.len ?? c.t.length, 4)
  p.writeBigUInt64LE(c.netns ?? 0xffffffffffffffffn, 8)
  p.writeBigUInt64LE(c.flags ?? 0n, 16)
  c.t.copy(p, 24)
  return p
}

const CUR = 0xffffffffffffffffn
const LOOKUPS: LookupCase[] = [
  { title: 'established v4, server side (before the listener)', prog: 'hn_lookup', t: tuple('127.0.0.1', 40000, '127.0.0.1', 8080), found: true, state: 1 },
  { title: 'established v4, client side', prog: 'hn_lookup', t: tuple('127.0.0.1', 8080, '127.0.0.1', 40000), found: true, state: 1 },
  { title: 'v4 listener with mark and priority', prog: 'hn_lookup', t: tuple('127.0.0.1', 50000, '127.0.0.1', 8080), found: true, state: 10 },
  { title: 'dual-stack [::] listener answers a v4 tuple', prog: 'hn_lookup', t: tuple('10.0.0.9', 1, '10.0.0.1', 8081), found: true, state: 10 },
  { title: 'v6only listener never answers v4', prog: 'hn_lookup', t: tuple('127.0.0.1', 1, '127.0.0.1', 8082), found: false },
  { title: 'v6 listener on ::1', prog: 'hn_lookup', t: tuple('::1', 50000, '::1', 8082), found: true, state: 10 },
  { title: 'established v6', prog: 'hn_lookup', t: tuple('::1', 40001, '::1', 8082), found: true, state: 1 },
  { title: 'v4 connection accepted by a dual-stack listener, v4 tuple', prog: 'hn_lookup', t: tuple('127.0.0.1', 40003, '127.0.0.1', 8081), found: true, state: 1 },
  { title: 'a v4-mapped v6 tuple misses it (IPv6 hash) and finds the listener', prog: 'hn_lookup', t: tuple('::ffff:127.0.0.1', 40003, '::ffff:127.0.0.1', 8081), found: true, state: 10 },
  { title: 'TIME_WAIT: sk_lookup finds nothing', prog: 'hn_lookup', t: tuple('127.0.0.1', 8080, '127.0.0.1', 40002), found: false },
  { title: 'TIME_WAIT: skc_lookup finds the timewait socket', prog: 'hn_skc', t: tuple('127.0.0.1', 8080, '127.0.0.1', 40002), found: true, state: 6 },
  { title: 'skc: established', prog: 'hn_skc', t: tuple('127.0.0.1', 40000, '127.0.0.1', 8080), found: true, state: 1 },
  { title: 'skc: listener', prog: 'hn_skc', t: tuple('127.0.0.1', 50000, '127.0.0.1', 8080), found: true, state: 10 },
  { title: 'no socket on the port', prog: 'hn_lookup', t: tuple('127.0.0.1', 1, '127.0.0.1', 8099), found: false },
  { title: 'a listener bound to hn0 (SO_BINDTODEVICE), packet on loopback', prog: 'hn_lookup', t: tuple('10.0.0.9', 1, '10.0.0.1', 8090), found: false },
  { title: 'a listener bound to hn0, packet on hn0 (ctx_in ingress_ifindex)', prog: 'hn_lookup', t: tuple('10.0.0.9', 1, '10.0.0.1', 8090), ingress: 10, found: true, state: 10 },
  { title: 'UDP bound to 127.0.0.1', prog: 'hn_lookup', udp: true, t: tuple('127.0.0.1', 1000, '127.0.0.1', 5353), found: true, state: 7 },
  { title: 'UDP bound to 0.0.0.0', prog: 'hn_lookup', udp: true, t: tuple('10.0.0.9', 1000, '10.0.0.1', 5354), found: true, state: 7 },
  { title: 'UDP connected, from its peer', prog: 'hn_lookup', udp: true, t: tuple('127.0.0.1', 6000, '127.0.0.1', 5355), found: true, state: 1 },
  { title: 'UDP connected, from another port', prog: 'hn_lookup', udp: true, t: tuple('127.0.0.1', 6001, '127.0.0.1', 5355), found: false },
  { title: 'UDP [::], v6 tuple', prog: 'hn_lookup', udp: true, t: tuple('::1', 1, '::1', 5356), found: true, state: 7 },
  { title: 'UDP [::] dual-stack, v4 tuple', prog: 'hn_lookup', udp: true, t: tuple('127.0.0.1', 1, '127.0.0.1', 5356), found: true, state: 7 },
  { title: 'UDP lookup of a TCP-only port', prog: 'hn_lookup', udp: true, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), found: false },
  { title: 'netns id of namespace B', prog: 'hn_lookup', t: tuple('127.0.0.1', 1, '127.0.0.1', 9090), netns: BigInt(B_ID), found: true, state: 10 },
  { title: 'B\'s listener is not in the current namespace', prog: 'hn_lookup', t: tuple('127.0.0.1', 1, '127.0.0.1', 9090), found: false },
  { title: 'an unknown netns id', prog: 'hn_lookup', t: tuple('127.0.0.1', 50000, '127.0.0.1', 8080), netns: 8n, found: false },
  { title: 'netns 0xffffffff (negative s32: current)', prog: 'hn_lookup', t: tuple('127.0.0.1', 50000, '127.0.0.1', 8080), netns: 0xffffffffn, found: true, state: 10 },
  { title: 'netns 0x80000000 (negative s32: current)', prog: 'hn_lookup', t: tuple('127.0.0.1', 50000, '127.0.0.1', 8080), netns: 0x80000000n, found: true, state: 10 },
  { title: 'XDP netns is a u32: 0x1_00000007 names B', prog: 'hn_lookup', t: tuple('127.0.0.1', 1, '127.0.0.1', 9090), netns: 0x100000007n, found: true, state: 10 },
  { title: 'flags must be 0', prog: 'hn_lookup', t: tuple('127.0.0.1', 50000, '127.0.0.1', 8080), flags: 1n, found: false },
  { title: 'skc: flags must be 0', prog: 'hn_skc', t: tuple('127.0.0.1', 50000, '127.0.0.1', 8080), flags: 1n << 40n, found: false },
  { title: 'tuple size 13', prog: 'hn_lookup', t: tuple('127.0.0.1', 50000, '127.0.0.1', 8080), len: 13, found: false },
  { title: 'tuple size 0', prog: 'hn_lookup', t: tuple('127.0.0.1', 50000, '127.0.0.1', 8080), len: 0, found: false },
  { title: 'tuple size 35', prog: 'hn_lookup', t: tuple('::1', 50000, '::1', 8082), len: 35, found: false },
]

interface FibCase {
  title: string
  family?: number
  dst: string
  src?: string
  ifindex: number
  flags?: number
  totLen?: number
  tbid?: number
  /** The packet's length (default 80): tc without tot_len checks the skb's length. */
  size?: number
  /** BPF_FIB_LKUP_RET_* or negative errno the kernel must answer. */
  ret: number
}

const FIB = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16, MARK: 32 }
const FIBS: FibCase[] = [
  { title: 'via a gateway with a neighbour', dst: '10.1.2.3', ifindex: 10, totLen: 100, ret: 0 },
  { title: 'tot_len at the MTU', dst: '10.1.2.3', ifindex: 10, totLen: 1500, ret: 0 },
  { title: 'tot_len one past the MTU', dst: '10.1.2.3', ifindex: 10, totLen: 1501, ret: 8 },
  { title: 'a locked route MTU', dst: '10.5.0.1', ifindex: 10, totLen: 1301, ret: 8 },
  { title: 'an unlocked route MTU is not used', dst: '10.7.0.1', ifindex: 10, totLen: 1301, ret: 0 },
  { title: 'blackhole', dst: '10.2.0.1', ifindex: 10, ret: 1 },
  { title: 'unreachable', dst: '10.3.0.1', ifindex: 10, ret: 2 },
  { title: 'prohibit', dst: '10.4.0.1', ifindex: 10, ret: 3 },
  { title: 'no route', dst: '192.168.1.1', ifindex: 10, ret: 4 },
  { title: 'a local address', dst: '10.0.0.1', ifindex: 10, ret: 4 },
  { title: 'the subnet broadcast', dst: '10.0.0.255', ifindex: 10, ret: 4 },
  { title: 'on-link without a neighbour', dst: '10.0.0.7', ifindex: 10, ret: 7 },
  { title: 'on-link, SKIP_NEIGH', dst: '10.0.0.7', ifindex: 10, flags: FIB.SKIP_NEIGH, ret: 0 },
  { title: 'a stale neighbour is valid', dst: '10.0.0.4', ifindex: 10, ret: 0 },
  { title: 'forwarding off on the input device', dst: '10.1.2.3', ifindex: 11, ret: 5 },
  { title: 'forwarding off on loopback', dst: '10.1.2.3', ifindex: 1, ret: 5 },
  { title: 'no such device', dst: '10.1.2.3', ifindex: 99, ret: -19 },
  { title: 'an unknown flag', dst: '10.1.2.3', ifindex: 10, flags: 64, ret: -22 },
  { title: 'an unknown family', family: 3, dst: '10.1.2.3', ifindex: 10, ret: -97 },
  { title: 'table 100 is not in the default rules', dst: '10.6.0.1', ifindex: 10, ret: 4 },
  { title: 'DIRECT|TBID 100', dst: '10.6.0.1', ifindex: 10, flags: FIB.DIRECT | FIB.TBID | FIB.SKIP_NEIGH, tbid: 100, ret: 0 },
  { title: 'DIRECT|TBID 100 without SKIP_NEIGH', dst: '10.6.0.1', ifindex: 10, flags: FIB.DIRECT | FIB.TBID, tbid: 100, ret: 7 },
  { title: 'DIRECT|TBID of a table that does not exist', dst: '10.6.0.1', ifindex: 10, flags: FIB.DIRECT | FIB.TBID, tbid: 101, ret: 4 },
  { title: 'DIRECT: main shares its trie with local (no rules)', dst: '10.0.0.1', ifindex: 10, flags: FIB.DIRECT | FIB.SKIP_NEIGH, ret: 4 },
  { title: 'DIRECT|TBID 255: the local table', dst: '10.0.0.1', ifindex: 10, flags: FIB.DIRECT | FIB.TBID, tbid: 255, ret: 4 },
  { title: 'DIRECT on-link', dst: '10.0.0.7', ifindex: 10, flags: FIB.DIRECT | FIB.SKIP_NEIGH, ret: 0 },
  { title: 'OUTPUT on the route\'s device', dst: '10.1.2.3', ifindex: 10, flags: FIB.OUTPUT, ret: 0 },
  { title: 'OUTPUT on another device', dst: '10.8.0.1', ifindex: 10, flags: FIB.OUTPUT, ret: 4 },
  { title: 'the route out of a non-forwarding device', dst: '10.8.0.1', ifindex: 10, flags: FIB.SKIP_NEIGH, ret: 0 },
  { title: 'SRC', dst: '10.1.2.3', ifindex: 10, flags: FIB.SRC, ret: 0 },
  { title: 'MARK with the default rules', dst: '10.1.2.3', ifindex: 10, flags: FIB.MARK, ret: 0 },
  { title: 'v6 via a gateway', family: 10, dst: '2001:db8:1::5', ifindex: 10, totLen: 1280, ret: 0 },
  { title: 'v6 tot_len past the MTU', family: 10, dst: '2001:db8:1::5', ifindex: 10, totLen: 1501, ret: 8 },
  { title: 'v6 SRC', family: 10, dst: '2001:db8:1::5', ifindex: 10, flags: FIB.SRC | FIB.SKIP_NEIGH, ret: 0 },
  { title: 'v6 blackhole', family: 10, dst: '2001:db8:2::1', ifindex: 10, ret: 1 },
  { title: 'v6 prohibit', family: 10, dst: '2001:db8:3::1', ifindex: 10, ret: 3 },
  { title: 'v6 link-local is never forwarded', family: 10, dst: 'fe80::1', ifindex: 10, ret: 4 },
  { title: 'v6 forwarding off', family: 10, dst: '2001:db8:1::5', ifindex: 11, ret: 5 },
  { title: 'v6 no route', family: 10, dst: '2001:db9::1', ifindex: 10, ret: 4 },
]

function fibPacket(c: FibCase): Buffer {
  const p = Buffer.alloc(c.size ?? 80)
  p.writeUInt32LE(c.flags ?? 0, 0)
  const v6 = c.dst.includes(':')
  p[8] = c.family ?? (v6 ? 10 : 2)
  p[9] = 6
  p.writeUInt16BE(1234, 10)
  p.writeUInt16BE(80, 12)
  p.writeUInt16LE(c.totLen ?? 0, 14)
  p.writeUInt32LE(c.ifindex, 16)
  const src = c.src ?? (v6 ? '2001:db8::99' : '10.0.0.99')
  ;(v6 ? ipv6Bytes(src) : ip4(src)).copy(p, 24)
  ;(v6 ? ipv6Bytes(c.dst) : ip4(c.dst)).copy(p, 40)
  p.writeUInt32LE(c.tbid ?? 0, 56)
  return p
}

interface MtuCase {
  title: string
  ingress?: number
  size?: number
  ifindex: number
  mtuLen?: number
  lenDiff?: number
  flags?: bigint
  ret: number
}
const MTUS: MtuCase[] = [
  { title: 'ifindex 0 is the context device (loopback)', ifindex: 0, ret: 0 },
  { title: 'a 1400-byte device: len_diff up to the MTU plus the header', ifindex: 11, lenDiff: 1414 - 64, ret: 0 },
  { title: 'one byte more', ifindex: 11, lenDiff: 1414 - 64 + 1, ret: 1 },
  { title: 'mtu_len in at the MTU', ifindex: 11, mtuLen: 1400, ret: 0 },
  { title: 'mtu_len in past the MTU', ifindex: 11, mtuLen: 1401, ret: 1 },
  { title: 'mtu_len in with a negative len_diff', ifindex: 11, mtuLen: 1500, lenDiff: -100, ret: 0 },
  { title: 'the packet itself', size: 1500, ifindex: 11, ret: 1 },
  { title: 'the packet itself on a 1500-byte device', size: 1514, ifindex: 10, ret: 0 },
  { title: 'the packet one byte past it', size: 1515, ifindex: 10, ret: 1 },
  { title: 'BPF_MTU_CHK_SEGS is refused in XDP', ifindex: 10, flags: 1n, ret: -22 },
  { title: 'no such device', ifindex: 99, ret: -19 },
  { title: 'ifindex 0 on a packet arriving on hn1 (ctx_in): its 1400-byte MTU', ingress: 11, ifindex: 0, lenDiff: 1414 - 64, ret: 0 },
  { title: 'the same, one byte more', ingress: 11, ifindex: 0, lenDiff: 1414 - 64 + 1, ret: 1 },
]

function mtuPacket(c: MtuCase): Buffer {
  const p = Buffer.alloc(c.size ?? 64)
  p.writeUInt32LE(c.ifindex, 0)
  p.writeUInt32LE(c.mtuLen ?? 0, 4)
  p.writeInt32LE(c.lenDiff ?? 0, 8)
  p.writeBigUInt64LE(c.flags ?? 0n, 16)
  return p
}

interface CookieCase {
  title: string
  mode?: number
  v6?: boolean
  src: string
  sport: number
  dst: string
  dport: number
  /** TCP flag byte (default SYN). */
  tcpFlags?: number
  mss?: number
  /** th_len handed over (default: doff * 4). */
  thLen?: number
  iphLen?: number
  version?: number
  netns?: number
  /** found, gen (MSS or -errno), check (0, -errno, or 1 when not called) the kernel must answer. */
  want: [number, number, number]
}

const COOKIES: CookieCase[] = [
  { title: 'MSS 1460 round trip', src: '127.0.0.1', sport: 50000, dst: '127.0.0.1', dport: 8080, mss: 1460, want: [1, 1460, 0] },
  { title: 'MSS 1400 encodes 1300', src: '127.0.0.1', sport: 50001, dst: '127.0.0.1', dport: 8080, mss: 1400, want: [1, 1300, 0] },
  { title: 'no MSS option: the default 536', src: '127.0.0.1', sport: 50002, dst: '127.0.0.1', dport: 8080, want: [1, 536, 0] },
  { title: 'v4 SYN to a dual-stack listener', src: '127.0.0.1', sport: 50003, dst: '127.0.0.1', dport: 8081, mss: 1460, want: [1, 1460, 0] },
  { title: 'v6 SYN, MSS 1440', v6: true, src: '::1', sport: 50004, dst: '::1', dport: 8082, mss: 1440, want: [1, 1440, 0] },
  { title: 'v6 SYN, MSS 9000', v6: true, src: '::1', sport: 50005, dst: '::1', dport: 8082, mss: 9000, want: [1, 8940, 0] },
  { title: 'th_len is not doff * 4', src: '127.0.0.1', sport: 50006, dst: '127.0.0.1', dport: 8080, mss: 1460, thLen: 20, want: [1, -22, 1] },
  { title: 'SYN|ACK is no SYN', src: '127.0.0.1', sport: 50007, dst: '127.0.0.1', dport: 8080, tcpFlags: 0x12, want: [1, -22, 1] },
  { title: 'iph_len below an IPv4 header', src: '127.0.0.1', sport: 50008, dst: '127.0.0.1', dport: 8080, iphLen: 19, want: [1, -22, 1] },
  { title: 'IP version 5', src: '127.0.0.1', sport: 50009, dst: '127.0.0.1', dport: 8080, version: 5, want: [1, -93, 1] },
  { title: 'an established socket is no listener', mode: 2, src: '127.0.0.1', sport: 40000, dst: '127.0.0.1', dport: 8080, want: [1, -22, 1] },
  { title: 'tcp_syncookies=1 and a SYN queue with room: no cookie', src: '127.0.0.1', sport: 50010, dst: '127.0.0.1', dport: 9090, netns: B_ID, mss: 1460, want: [1, -2, 1] },
  { title: 'check: an ACK with a cookie never made', mode: 1, src: '127.0.0.1', sport: 50011, dst: '127.0.0.1', dport: 8080, tcpFlags: 0x10, want: [1, 1, -2] },
  { title: 'check: a SYN is no ACK', mode: 1, src: '127.0.0.1', sport: 50012, dst: '127.0.0.1', dport: 8080, want: [1, 1, -2] },
  { title: 'check: th_len below a TCP header', mode: 1, src: '127.0.0.1', sport: 50013, dst: '127.0.0.1', dport: 8080, tcpFlags: 0x10, thLen: 19, want: [1, 1, -22] },
]

function cookiePacket(c: CookieCase): Buffer {
  const p = Buffer.alloc(164)
  const opts = c.mss ? Buffer.from([2, 4, c.mss >> 8, c.mss & 0xff]) : Buffer.alloc(0)
  const doff = (20 + opts.length) / 4
  const iphLen = c.iphLen ?? (c.v6 ? 40 : 20)
  p.writeUInt32LE(c.mode ?? 0, 0)
  p.writeUInt32LE(iphLen, 4)
  p.writeUInt32LE(c.thLen ?? doff * 4, 8)
  p.writeUInt32LE(c.netns ?? 0xffffffff, 12)
  if (c.v6) {
    p[64] = 0x60
    p.writeUInt16BE(20 + opts.length, 68)
    p[70] = 6
    p[71] = 64
    ipv6Bytes(c.src).copy(p, 72)
    ipv6Bytes(c.dst).copy(p, 88)
  } else {
    p[64] = ((c.version ?? 4) << 4) | 5
    p.writeUInt16BE(40 + opts.length, 66)
    p[72] = 64
    p[73] = 6
    ip4(c.src).copy(p, 76)
    ip4(c.dst).copy(p, 80)
  }
  p.writeUInt16BE(c.sport, 104)
  p.writeUInt16BE(c.dport, 106)
  p.writeUInt32BE(0x12345678, 108)
  p.writeUInt32BE(c.tcpFlags === 0x10 ? 0x0badf00d : 0, 112)
  p[116] = doff << 4
  p[117] = c.tcpFlags ?? 0x02
  p.writeUInt16BE(65535, 118)
  opts.copy(p, 124)
  return p
}

interface SockmapCase {
  title: string
  hash?: boolean
  udp?: boolean
  del?: boolean
  noUpdate?: boolean
  key: number
  flags?: number
  t: Buffer
  /** update's answer, found after, delete's answer (1000: not called) the kernel must give. */
  want: [number, number, number]
}

// in this order: the maps keep what earlier cases put in
const SOCKMAPS: SockmapCase[] = [
  { title: 'a listener into slot 0', key: 0, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), want: [0, 1, 1000] },
  { title: 'BPF_NOEXIST on a full slot', key: 0, flags: 1, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), want: [-17, 1, 1000] },
  { title: 'BPF_EXIST on an empty slot', key: 1, flags: 2, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), want: [-2, 0, 1000] },
  { title: 'past max_entries', key: 5, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), want: [-7, 0, 1000] },
  { title: 'an unknown flag', key: 1, flags: 4, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), want: [-22, 0, 1000] },
  { title: 'an established socket into slot 1', key: 1, t: tuple('127.0.0.1', 40000, '127.0.0.1', 8080), want: [0, 1, 1000] },
  { title: 'a UDP socket into slot 2', key: 2, udp: true, t: tuple('127.0.0.1', 1, '127.0.0.1', 5353), want: [0, 1, 1000] },
  { title: 'slot 2 deleted', key: 2, noUpdate: true, del: true, t: tuple('127.0.0.1', 1, '127.0.0.1', 5353), want: [1000, 1, 0] },
  { title: 'slot 2 is empty now, deleting it again', key: 2, noUpdate: true, del: true, t: tuple('127.0.0.1', 1, '127.0.0.1', 5353), want: [1000, 0, -22] },
  { title: 'slot 0 still holds the listener', key: 0, noUpdate: true, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), want: [1000, 1, 1000] },
  { title: 'sockhash: a listener under key 7', hash: true, key: 7, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), want: [0, 1, 1000] },
  { title: 'sockhash: BPF_EXIST on a new key', hash: true, key: 8, flags: 2, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), want: [-2, 0, 1000] },
  { title: 'sockhash: key 7 deleted', hash: true, key: 7, noUpdate: true, del: true, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), want: [1000, 1, 0] },
  { title: 'sockhash: deleting key 7 again', hash: true, key: 7, noUpdate: true, del: true, t: tuple('127.0.0.1', 1, '127.0.0.1', 8080), want: [1000, 0, -2] },
]

function sockmapPacket(c: SockmapCase): Buffer {
  const p = Buffer.alloc(80)
  p.writeUInt32LE((c.hash ? 1 : 0) | (c.udp ? 2 : 0) | (c.del ? 4 : 0) | (c.noUpdate ? 8 : 0), 0)
  p.writeUInt32LE(c.key, 4)
  p.writeBigUInt64LE(BigInt(c.flags ?? 0), 8)
  c.t.copy(p, 16)
  return p
}

/** The kernel's verdict on an object (`bpftool prog loadall`): accepted, or its error line. */
function kernelVerdict(b: BpfBuild): { accepted: boolean; line?: string } {
  try {
    KernelObject.load(b)
    return { accepted: true }
  } catch (e) {
    if (e instanceof KernelRefused) return { accepted: false, line: e.answer.line }
    throw e
  }
}

// =============================================================================================

describe(`host sockets and routes vs Linux (recorded on ${kernel.recordedOn}${kernel.live ? `; live: ${kernel.live}` : ''})`, () => {
  beforeAll(async () => {
    host = modelHost()
    // a fixed cookie clock: runs repeat
    host.setSyncookieSecret(undefined, 1000)
    bpf = BpfObject.open(obj.path)
    bpfMaps = BpfObject.open(mapsObj.path)
    bpfSkb = BpfObject.open(skbObj.path)
    if (MODE === 'record' || kernel.live) {
      tearDownNamespaces()
      try {
        live = await setUpLive()
      } catch (e) {
        liveError = (e as Error).message
        tearDownLive()
        tearDownNamespaces()
        if (MODE === 'record') throw e
        console.warn(`[kernel-hostnet] no live second opinion: ${liveError}`)
      }
    }
  }, 60_000)

  afterAll(() => {
    tearDownLive()
    tearDownNamespaces()
    bpf?.close()
    bpfMaps?.close()
    bpfSkb?.close()
    finishKernel()
    expect(ownPins()).toEqual([])
  })

  describe('bpf_sk_lookup_tcp / _udp, bpf_skc_lookup_tcp, bpf_sk_release: the struct bpf_sock fields', () => {
    it.each(LOOKUPS.map((c) => [c.title, c] as const))('%s', (_t, c) => {
      // An accepted socket's rx_queue_mapping is 0 or -1 from one connection to the next (the
      // kernel's race between the handshake's last ACK and the accept): not compared there.
      const racy = (out: Buffer) => out.readUInt32LE(64 + 80) === 1 && out.writeInt32LE(0, 64 + 84)
      const { kernel: k } = compare(c.prog, lookupPacket(c), c.title, obj, undefined, racy, c.ingress)
      if (!k.ok) return
      expect(k.out.readUInt32LE(64), 'found (the kernel)').toBe(c.found ? 1 : 0)
      if (c.state !== undefined) expect(k.out.readUInt32LE(64 + 80), 'state (the kernel)').toBe(c.state)
    })

    it('every reference a lookup took went back', () => {
      const t = tuple('127.0.0.1', 40000, '127.0.0.1', 8080)
      const s = host.lookup('tcp', '127.0.0.1', 40000, '127.0.0.1', 8080, { netns: 'a' })!
      expect(s).toBeDefined()
      uxdpRun(bpf, 'hn_lookup', lookupPacket({ title: '', prog: 'hn_lookup', t, found: true }))
      expect(s.refs).toBe(0)
    })
  })

  describe('bpf_fib_lookup: every BPF_FIB_LKUP_RET_* answer, flags, struct bpf_fib_lookup out', () => {
    it.each(FIBS.map((c) => [c.title, c] as const))('%s', (_t, c) => {
      const { kernel: k } = compare('hn_fib', fibPacket(c), c.title)
      if (k.ok) expect(Number(k.out.readBigInt64LE(72)), 'the answer (the kernel)').toBe(c.ret)
    })
  })

  it('ctx_in naming a device the namespace lacks: test_run fails with ENODEV on both sides', () => {
    const data = mtuPacket({ title: '', ifindex: 0, ret: 0 })
    const k = askKernel<Run>({ op: 'hostnet-run', object: obj.key, prog: 'hn_mtu', data: data.toString('hex'), ingress: 99 }, `test_run of hn_mtu in ${obj.what}, in namespace A, on ifindex 99`, () => liveRun(obj, 'hn_mtu', data, 99))
    expect(k.ok).toBe(false)
    expect(!k.ok && k.message).toContain('No such device')
    expect(uxdpRun(bpf, 'hn_mtu', data, 99)).toEqual({ ok: false, message: 'ENODEV' })
  })

  describe('bpf_check_mtu (XDP)', () => {
    it.each(MTUS.map((c) => [c.title, c] as const))('%s', (_t, c) => {
      const { kernel: k } = compare('hn_mtu', mtuPacket(c), c.title, obj, undefined, undefined, c.ingress)
      if (k.ok) expect(Number(k.out.readBigInt64LE(24)), 'the answer (the kernel)').toBe(c.ret)
    })
  })

  describe('bpf_tcp_gen_syncookie / bpf_tcp_check_syncookie: MSS, errors, the round trip', () => {
    it.each(COOKIES.map((c) => [c.title, c] as const))('%s', (_t, c) => {
      const { kernel: k } = compare('hn_cookie', cookiePacket(c), c.title)
      if (k.ok) expect([0, 1, 2].map((i) => Number(k.out.readBigInt64LE(16 + 8 * i))), 'found, gen, check (the kernel)').toEqual(c.want)
    })
  })

  describe('sockmap / sockhash from XDP: update with a socket, lookup returns it referenced, delete', () => {
    it.each(SOCKMAPS.map((c, i) => [c.title, c, i] as const))('%s', (_t, c, i) => {
      const { kernel: k } = compare('hn_sockmap', sockmapPacket(c), c.title, mapsObj, i)
      if (k.ok) expect([Number(k.out.readBigInt64LE(32)), k.out.readUInt32LE(48), Number(k.out.readBigInt64LE(40))], 'update, found, delete (the kernel)').toEqual(c.want)
    })

    it('user space sees the sockets as their cookies', () => {
      const socks = bpfMaps.map('socks')
      const l = host.lookup('tcp', '127.0.0.1', 1, '127.0.0.1', 8080, { netns: 'a' })!
      expect(socks.lookup(Buffer.from([0, 0, 0, 0]))!.readBigUInt64LE(0)).toBe(BigInt(l.id))
      socks.updateSocket(Buffer.from([3, 0, 0, 0]), l)
      expect(socks.keys().length).toBe(4)
      expect(l.refs).toBe(0)
    })
  })

  describe('tc: the skb variants of the lookups (skb->dev is the caller\'s device; netns is a u64)', () => {
    const tcLookups = LOOKUPS.map((c): LookupCase => {
      const prog = c.prog === 'hn_lookup' ? 'tc_lookup' : 'tc_skc'
      // tc's netns argument is a u64: a high half set with a non-negative low half finds nothing
      if (c.netns === 0x100000007n) return { ...c, prog, title: 'tc netns is a u64: 0x1_00000007 is no namespace', found: false, state: undefined }
      return { ...c, prog, title: c.ingress ? c.title.replace('ctx_in ingress_ifindex', 'ctx_in ifindex: skb->dev') : c.title }
    })
    it.each(tcLookups.map((c) => [c.title, c] as const))('%s', (_t, c) => {
      const racy = (out: Buffer) => out.readUInt32LE(64 + 80) === 1 && out.writeInt32LE(0, 64 + 84)
      const { kernel: k } = compare(c.prog, lookupPacket(c), c.title, skbObj, undefined, racy, c.ingress)
      if (!k.ok) return
      expect(k.out.readUInt32LE(64), 'found (the kernel)').toBe(c.found ? 1 : 0)
      if (c.state !== undefined) expect(k.out.readUInt32LE(64 + 80), 'state (the kernel)').toBe(c.state)
    })
  })

  describe('tc: bpf_fib_lookup on an skb (without tot_len the skb\'s length against the egress device, mtu_result)', () => {
    const TC_FIBS: FibCase[] = [
      ...FIBS,
      { title: 'no tot_len: an skb at hn0\'s MTU + 18 is forwardable', dst: '10.1.2.3', ifindex: 10, size: 1518, ret: 0 },
      { title: 'no tot_len: one byte more needs fragmenting', dst: '10.1.2.3', ifindex: 10, size: 1519, ret: 8 },
      { title: 'no tot_len: out of hn1 (MTU 1400) at 1418 bytes', dst: '10.8.0.1', ifindex: 10, flags: FIB.SKIP_NEIGH, size: 1418, ret: 0 },
      { title: 'no tot_len: out of hn1 at 1419 bytes', dst: '10.8.0.1', ifindex: 10, flags: FIB.SKIP_NEIGH, size: 1419, ret: 8 },
      { title: 'tot_len given: the skb\'s own length is not checked', dst: '10.1.2.3', ifindex: 10, totLen: 100, size: 1600, ret: 0 },
      { title: 'no tot_len, no neighbour: no MTU check, tot_len stays', dst: '10.0.0.7', ifindex: 10, size: 1600, ret: 7 },
    ]
    it.each(TC_FIBS.map((c) => [c.title, c] as const))('%s', (_t, c) => {
      const { kernel: k } = compare('tc_fib', fibPacket(c), c.title, skbObj)
      if (k.ok) expect(Number(k.out.readBigInt64LE(72)), 'the answer (the kernel)').toBe(c.ret)
    })
  })

  describe('tc programs: the verifier\'s verdicts (their test_run is the skb engine\'s)', () => {
    it('the skb variants of the lookups, fib_lookup and check_mtu (BPF_MTU_CHK_SEGS) load', () => {
      expect(kernelVerdict(tcObj)).toEqual({ accepted: true })
      const o = BpfObject.open(tcObj.path)
      expect(o.programs.map((p) => p.name)).toEqual(['hn_tc'])
      o.close()
    })

    it('a socket never released is refused, in the kernel\'s words', () => {
      const k = kernelVerdict(tcLeakObj)
      expect(k.accepted).toBe(false)
      let line = ''
      try {
        BpfObject.open(tcLeakObj.path).close()
      } catch (e) {
        line = (e as Error).message
      }
      expect(line).toContain(k.line!)
    })
  })
})
