import { call, checkInt, checkOptions, describe, UxdpError } from './errors'
import { native } from './native'

type HostNetHandle = ReturnType<typeof native.hostNetNew>

/** A namespace: by the name given to `addNetns` ('init' is the first), or its index. */
export type NetnsRef = string | number

export interface DeviceOptions {
  ifindex: number
  name?: string
  /** Default 1500. */
  mtu?: number
  /** 'aa:bb:cc:dd:ee:ff' or 6 bytes. */
  mac?: string | Uint8Array | number[]
  /** net.ipv4.conf.<dev>.forwarding (default off: bpf_fib_lookup answers FWD_DISABLED). */
  forwarding?: boolean
  /** net.ipv6.conf.<dev>.forwarding. */
  forwarding6?: boolean
  /** Default up. Routes through a device that is down are not used. */
  up?: boolean
  /** What the device adds to an L3 length (default 14, Ethernet). */
  hardHeaderLen?: number
  /** 'address/prefix' each: the kernel's local and connected routes follow from them. */
  addrs?: string[]
}

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'local' | 'broadcast' | 'multicast'

export interface RouteOptions {
  /** 'prefix/len', an address (a host route), 'default' or 'default6'. */
  dst: string
  /** Default unicast. */
  type?: RouteType
  gateway?: string
  /** The device (unicast, local, broadcast, multicast routes). */
  ifindex?: number
  /** Default main (254). Other tables answer bpf_fib_lookup with BPF_FIB_LOOKUP_DIRECT|TBID only. */
  table?: number
  /** Lower wins among routes of one prefix (default: 0 for IPv4, 1024 for IPv6). */
  metric?: number
  /** The route's MTU. IPv4 uses it only when locked (`mtu lock N`), as the kernel does. */
  mtu?: number
  mtuLocked?: boolean
  /** The source address BPF_FIB_LOOKUP_SRC answers. */
  prefsrc?: string
}

export type NeighbourState = 'permanent' | 'reachable' | 'stale' | 'delay' | 'probe' | 'noarp' | 'incomplete' | 'failed'

export interface NeighbourOptions {
  ifindex: number
  addr: string
  mac: string | Uint8Array | number[]
  /** Default permanent. incomplete and failed are not NUD_VALID: bpf_fib_lookup answers NO_NEIGH. */
  state?: NeighbourState
}

export type SocketState =
  | 'established'
  | 'syn-sent'
  | 'syn-recv'
  | 'fin-wait1'
  | 'fin-wait2'
  | 'time-wait'
  | 'close'
  | 'close-wait'
  | 'last-ack'
  | 'listen'
  | 'closing'
  | 'new-syn-recv'

export interface SocketOptions {
  netns?: NetnsRef
  protocol: 'tcp' | 'udp'
  /** 4 or 6; default the local address's (a v4 address on a family-6 socket is v4-mapped). */
  family?: 4 | 6
  /** The bound address ('0.0.0.0' or '::' for any). */
  localAddr: string
  localPort: number
  /** The peer of a connected socket (TCP established and friends, connected UDP). */
  remoteAddr?: string
  remotePort?: number
  /** Default: listen (TCP without a peer), established (with one), close (unconnected UDP). */
  state?: SocketState
  /** IPV6_V6ONLY: an IPv6 socket that IPv4 lookups never find. */
  v6only?: boolean
  /** SO_BINDTODEVICE. */
  boundDevIf?: number
  mark?: number
  priority?: number
  /** Default -1 (no queue recorded). */
  rxQueueMapping?: number
  reuseport?: boolean
  /** A request socket's (new-syn-recv) listener: bpf_sk_lookup_tcp answers with it. */
  listener?: HostSocket
  /** TCP_MAXSEG: clamps the MSS bpf_tcp_gen_syncookie encodes. */
  userMss?: number
  /** The SYN queue is full: bpf_tcp_gen_syncookie makes cookies with tcp_syncookies = 1. */
  synQueueFull?: boolean
  /** The accept queue is full: no cookies. */
  acceptQueueFull?: boolean
}

/** `struct bpf_sock` as a program reads it. */
export interface BpfSockView {
  boundDevIf: number
  family: number
  type: number
  protocol: number
  mark: number
  priority: number
  srcIp4: string
  srcIp6: string
  srcPort: number
  dstPort: number
  dstIp4: string
  dstIp6: string
  state: number
  rxQueueMapping: number
}

/** A socket of a HostNet. */
export class HostSocket {
  /** @internal */
  constructor(
    readonly host: HostNet,
    readonly id: number,
  ) {}

  /** References programs hold on it now (each lookup takes one, bpf_sk_release gives it back). */
  get refs(): number {
    return call(() => native.hostNetSocketRefs(this.host.handle, this.id))
  }

  /** `struct bpf_sock` as a program would read it now (80 bytes), decoded. */
  view(): BpfSockView {
    const b = call(() => native.hostNetSocketView(this.host.handle, this.id))
    const ip4 = (o: number) => [...b.subarray(o, o + 4)].join('.')
    const ip6 = (o: number) => {
      const w: string[] = []
      for (let i = 0; i < 16; i += 2) w.push(b.readUInt16BE(o + i).toString(16))
      return w.join(':')
    }
    return {
      boundDevIf: b.readUInt32LE(0),
      family: b.readUInt32LE(4),
      type: b.readUInt32LE(8),
      protocol: b.readUInt32LE(12),
      mark: b.readUInt32LE(16),
      priority: b.readUInt32LE(20),
      srcIp4: ip4(24),
      srcIp6: ip6(28),
      srcPort: b.readUInt32LE(44),
      dstPort: b.readUInt16BE(48),
      dstIp4: ip4(52),
      dstIp6: ip6(56),
      state: b.readUInt32LE(72),
      rxQueueMapping: b.readInt32LE(76),
    }
  }

  /** Closes it (a program or map still holding it keeps what it read). */
  close(): void {
    call(() => native.hostNetRemoveSocket(this.host.handle, this.id))
  }
}

function macBytes(what: string, m: string | Uint8Array | number[]): number[] {
  if (typeof m === 'string') {
    const parts = m.split(':')
    if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new UxdpError('EINVAL', `${what}: '${m}' is not a MAC address`)
    return parts.map((p) => parseInt(p, 16))
  }
  const b = [...m]
  if (b.length !== 6 || b.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new UxdpError('EINVAL', `${what}: a MAC address is 6 bytes`)
  return b
}

/** The result of `HostNet.fibLookup`. */
export interface FibLookupResult {
  /** BPF_FIB_LKUP_RET_* (0..9), or a negative errno. */
  ret: number
  /** struct bpf_fib_lookup afterwards. */
  params: Buffer
}

/** `BPF_FIB_LKUP_RET_*`. */
export const BPF_FIB_LKUP_RET = Object.freeze({
  SUCCESS: 0,
  BLACKHOLE: 1,
  UNREACHABLE: 2,
  PROHIBIT: 3,
  NOT_FWDED: 4,
  FWD_DISABLED: 5,
  UNSUPP_LWT: 6,
  NO_NEIGH: 7,
  FRAG_NEEDED: 8,
  NO_SRC_ADDR: 9,
})

/**
 * The host's network stack as XDP and tc programs ask about it: network namespaces with devices
 * (ifindex, MTU, MAC, forwarding), addresses, routes (types, tables, metrics, MTUs), neighbours
 * and `tcp_syncookies`, and the TCP and UDP sockets bound in them. bpf_sk_lookup_tcp/udp,
 * bpf_skc_lookup_tcp, bpf_sk_release, bpf_fib_lookup, bpf_check_mtu and the syncookie helpers
 * answer from it, with Linux 6.18's semantics. Give it to `testRun({ host })` (test_run's device
 * is the namespace's loopback, ifindex 1) or to a NIC.
 */
export class HostNet {
  /** @internal */ readonly handle: HostNetHandle

  constructor() {
    this.handle = native.hostNetNew()
  }

  /** Namespace index of `ns`. */
  netns(ns: NetnsRef = 0): number {
    if (typeof ns === 'number') {
      checkInt('netns', ns, 0, 0xffffffff)
      if (ns >= native.hostNetNetnsNames(this.handle).length) throw new UxdpError('ENOENT', `no network namespace ${ns}`)
      return ns
    }
    const i = native.hostNetNetnsNames(this.handle).indexOf(ns)
    if (i < 0) throw new UxdpError('ENOENT', `no network namespace '${ns}'`)
    return i
  }

  /** A new namespace with its loopback device; returns its index. */
  addNetns(name: string): number {
    if (typeof name !== 'string' || !name) throw new UxdpError('EINVAL', `a namespace needs a name, got ${describe(name)}`)
    return call(() => native.hostNetAddNetns(this.handle, name))
  }

  /** `ip netns set`: namespace `ns` calls `peer` by `id`, the id a lookup helper's netns argument names. */
  setPeerId(ns: NetnsRef, peer: NetnsRef, id: number): this {
    checkInt('id', id, 0, 0x7fffffff)
    call(() => native.hostNetSetPeerId(this.handle, this.netns(ns), this.netns(peer), id))
    return this
  }

  addDevice(dev: DeviceOptions, ns: NetnsRef = 0): this {
    const o = checkOptions<DeviceOptions>('addDevice', dev, ['ifindex', 'name', 'mtu', 'mac', 'forwarding', 'forwarding6', 'up', 'hardHeaderLen', 'addrs'])
    checkInt('ifindex', o.ifindex, 1, 0x7fffffff)
    call(() => native.hostNetAddDevice(this.handle, this.netns(ns), { ...o, mac: o.mac === undefined ? undefined : macBytes('mac', o.mac) }))
    return this
  }

  /** Changes a device (the loopback device, ifindex 1, too). */
  updateDevice(ifindex: number, change: Partial<Omit<DeviceOptions, 'ifindex'>>, ns: NetnsRef = 0): this {
    const o = checkOptions<DeviceOptions>('updateDevice', change, ['name', 'mtu', 'mac', 'forwarding', 'forwarding6', 'up', 'hardHeaderLen', 'addrs'])
    call(() => native.hostNetUpdateDevice(this.handle, this.netns(ns), ifindex, { ...o, mac: o.mac === undefined ? undefined : macBytes('mac', o.mac) }))
    return this
  }

  addRoute(route: RouteOptions, ns: NetnsRef = 0): this {
    const o = checkOptions<RouteOptions>('addRoute', route, ['dst', 'type', 'gateway', 'ifindex', 'table', 'metric', 'mtu', 'mtuLocked', 'prefsrc'])
    if (typeof o.dst !== 'string') throw new UxdpError('EINVAL', `addRoute: dst must be a string, got ${describe(o.dst)}`)
    call(() => native.hostNetAddRoute(this.handle, this.netns(ns), { ...o, dst: o.dst!, kind: o.type }))
    return this
  }

  addNeighbour(neigh: NeighbourOptions, ns: NetnsRef = 0): this {
    const o = checkOptions<NeighbourOptions>('addNeighbour', neigh, ['ifindex', 'addr', 'mac', 'state'])
    call(() => native.hostNetAddNeighbour(this.handle, this.netns(ns), { ifindex: checkInt('ifindex', o.ifindex, 1, 0x7fffffff), addr: String(o.addr), mac: macBytes('mac', o.mac!), state: o.state }))
    return this
  }

  /**
   * A namespace's netns cookie, what bpf_get_netns_cookie answers for it (tc and socket filters
   * running in it; a socket filter passing NULL gets the initial namespace's). uxdp numbers
   * namespaces 1, 2, ... as they are added; the kernel's come from one counter of the whole host.
   */
  setNetnsCookie(cookie: bigint | number, ns: NetnsRef = 0): this {
    if (typeof cookie === 'number') checkInt('cookie', cookie, 0, Number.MAX_SAFE_INTEGER)
    else if (typeof cookie !== 'bigint' || cookie < 0n || cookie > 0xffffffffffffffffn) throw new UxdpError('EINVAL', `setNetnsCookie: cookie must be a u64, got ${describe(cookie)}`)
    call(() => native.hostNetSetNetnsCookie(this.handle, this.netns(ns), BigInt(cookie)))
    return this
  }

  /** net.ipv4.tcp_syncookies (0, 1 or 2; 1 by default). */
  setTcpSyncookies(value: 0 | 1 | 2, ns: NetnsRef = 0): this {
    call(() => native.hostNetSetTcpSyncookies(this.handle, this.netns(ns), checkInt('tcp_syncookies', value, 0, 2)))
    return this
  }

  /**
   * The syncookie hash's key and clock. uxdp's cookies have the kernel's layout (ISN = hash + client
   * ISN + minute << 24 + (hash + MSS index) & 0xffffff, two minutes valid) with SipHash-2-4 under
   * this 128-bit secret (a fixed default, so runs repeat); the kernel's secret is random per boot,
   * so only the MSS carried and the round trip compare with it. `minute`: the cookie clock (default
   * the host's monotonic clock in minutes).
   */
  setSyncookieSecret(secret?: [bigint, bigint], minute?: number): this {
    call(() => native.hostNetSetSyncookie(this.handle, secret, minute === undefined ? undefined : checkInt('minute', minute, 0, 0xffffffff)))
    return this
  }

  addSocket(sock: SocketOptions): HostSocket {
    const o = checkOptions<SocketOptions>('addSocket', sock, [
      'netns',
      'protocol',
      'family',
      'localAddr',
      'localPort',
      'remoteAddr',
      'remotePort',
      'state',
      'v6only',
      'boundDevIf',
      'mark',
      'priority',
      'rxQueueMapping',
      'reuseport',
      'listener',
      'userMss',
      'synQueueFull',
      'acceptQueueFull',
    ])
    if (o.listener !== undefined && (!(o.listener instanceof HostSocket) || o.listener.host !== this)) throw new UxdpError('EINVAL', 'listener must be a socket of this HostNet')
    const id = call(() =>
      native.hostNetAddSocket(this.handle, {
        ...o,
        protocol: String(o.protocol),
        localAddr: String(o.localAddr),
        localPort: checkInt('localPort', o.localPort ?? 0, 0, 65535),
        netns: this.netns(o.netns ?? 0),
        listener: o.listener?.id,
      }),
    )
    return new HostSocket(this, id)
  }

  /** A TCP listener on `addr`:`port`. */
  listenTcp(addr: string, port: number, more: Omit<SocketOptions, 'protocol' | 'localAddr' | 'localPort'> = {}): HostSocket {
    return this.addSocket({ ...more, protocol: 'tcp', localAddr: addr, localPort: port })
  }

  /** An established TCP socket: local `addr`:`port`, peer `remoteAddr`:`remotePort`. */
  connectedTcp(addr: string, port: number, remoteAddr: string, remotePort: number, more: Omit<SocketOptions, 'protocol' | 'localAddr' | 'localPort' | 'remoteAddr' | 'remotePort'> = {}): HostSocket {
    return this.addSocket({ ...more, protocol: 'tcp', localAddr: addr, localPort: port, remoteAddr, remotePort })
  }

  /** A UDP socket bound to `addr`:`port` (connected when `remoteAddr` is given). */
  bindUdp(addr: string, port: number, more: Omit<SocketOptions, 'protocol' | 'localAddr' | 'localPort'> = {}): HostSocket {
    return this.addSocket({ ...more, protocol: 'udp', localAddr: addr, localPort: port })
  }

  /**
   * The socket a packet from `src`:`sport` to `dst`:`dport` arriving on `ifindex` belongs to, as
   * bpf_skc_lookup_tcp finds it (`full`: as bpf_sk_lookup_tcp/udp: a request socket stands for
   * its listener, a timewait socket for none).
   */
  lookup(protocol: 'tcp' | 'udp', src: string, sport: number, dst: string, dport: number, opts: { ifindex?: number; netns?: NetnsRef; full?: boolean } = {}): HostSocket | undefined {
    const v6 = src.includes(':')
    const t = Buffer.alloc(v6 ? 36 : 12)
    const put = (a: string, o: number) => {
      if (v6) {
        const b = ipv6Bytes(a)
        b.copy(t, o)
      } else a.split('.').forEach((x, i) => (t[o + i] = Number(x)))
    }
    put(src, 0)
    put(dst, v6 ? 16 : 4)
    t.writeUInt16BE(checkInt('sport', sport, 0, 65535), v6 ? 32 : 8)
    t.writeUInt16BE(checkInt('dport', dport, 0, 65535), v6 ? 34 : 10)
    const id = call(() => native.hostNetLookup(this.handle, this.netns(opts.netns ?? 0), protocol, t, opts.ifindex ?? 1, opts.full ?? true))
    return id == null ? undefined : new HostSocket(this, id)
  }

  /**
   * Adds a confirmed conntrack entry (what netfilter would have tracked for a flow): its id.
   * EEXIST when either direction's tuple is tracked already in that namespace and zone.
   */
  addConntrack(entry: ConntrackOptions): number {
    const o = checkOptions<ConntrackOptions>('addConntrack', entry, ['netns', 'protocol', 'src', 'sport', 'dst', 'dport', 'status', 'timeout', 'mark', 'zone', 'zoneDir'])
    return call(() =>
      native.hostNetCtAdd(this.handle, {
        protocol: String(o.protocol),
        src: String(o.src),
        sport: checkInt('sport', o.sport, 0, 65535),
        dst: String(o.dst),
        dport: checkInt('dport', o.dport, 0, 65535),
        netns: this.netns(o.netns ?? 0),
        status: o.status === undefined ? undefined : checkInt('status', o.status, 0, 0xffff),
        timeout: o.timeout === undefined ? undefined : checkInt('timeout', o.timeout, 0, 0x7fffffff),
        mark: o.mark === undefined ? undefined : checkInt('mark', o.mark, 0, 0xffffffff),
        zone: o.zone === undefined ? undefined : checkInt('zone', o.zone, 0, 65535),
        zoneDir: o.zoneDir,
      }),
    )
  }

  /** The conntrack table (every namespace), by id. */
  conntrack(): ConntrackEntry[] {
    return native.hostNetCtList(this.handle).map((e) => ({
      id: e.id!,
      netns: e.netns!,
      protocol: e.protocol as 'tcp' | 'udp',
      src: e.src,
      sport: e.sport,
      dst: e.dst,
      dport: e.dport,
      reply: { src: e.replySrc!, sport: e.replySport!, dst: e.replyDst!, dport: e.replyDport! },
      status: e.status!,
      timeout: e.timeout!,
      mark: e.mark!,
      zone: e.zone!,
      zoneDir: e.zoneDir!,
    }))
  }

  /** Removes a conntrack entry. */
  removeConntrack(id: number): this {
    call(() => native.hostNetCtRemove(this.handle, id))
    return this
  }

  /** Sets the conntrack clock, in jiffies (timeouts of confirmed entries are jiffies it expires at). */
  setConntrackJiffies(jiffies: number): this {
    native.hostNetCtSetJiffies(this.handle, checkInt('jiffies', jiffies, 0, 0xffffffff))
    return this
  }

  /** bpf_fib_lookup as XDP calls it, on a 64-byte `struct bpf_fib_lookup` (copied). */
  fibLookup(params: Uint8Array, flags = 0, ns: NetnsRef = 0): FibLookupResult {
    const p = Buffer.from(params)
    const ret = call(() => native.hostNetFibLookup(this.handle, this.netns(ns), p, checkInt('flags', flags, 0, 0xffffffff)))
    return { ret, params: p }
  }
}

/** `enum ip_conntrack_status` bits a conntrack entry's `status` holds. */
export const IPS = Object.freeze({
  EXPECTED: 1 << 0,
  SEEN_REPLY: 1 << 1,
  ASSURED: 1 << 2,
  CONFIRMED: 1 << 3,
  SRC_NAT: 1 << 4,
  DST_NAT: 1 << 5,
  SEQ_ADJUST: 1 << 6,
  SRC_NAT_DONE: 1 << 7,
  DST_NAT_DONE: 1 << 8,
  DYING: 1 << 9,
  FIXED_TIMEOUT: 1 << 10,
})

/** A conntrack entry to add: its original direction (the reply is its inverse). */
export interface ConntrackOptions {
  netns?: NetnsRef
  protocol: 'tcp' | 'udp'
  src: string
  sport: number
  dst: string
  dport: number
  /** `IPS` bits (CONFIRMED is set on insertion). */
  status?: number
  /** Milliseconds to live (default 30000). */
  timeout?: number
  mark?: number
  /** Conntrack zone id, and the directions it applies to (1 original, 2 reply, 3 both: default). */
  zone?: number
  zoneDir?: 1 | 2 | 3
}

/** A conntrack entry as the table holds it (programs may have changed it). */
export interface ConntrackEntry {
  id: number
  netns: number
  protocol: 'tcp' | 'udp'
  src: string
  sport: number
  dst: string
  dport: number
  reply: { src: string; sport: number; dst: string; dport: number }
  status: number
  /** The jiffy it expires at (`struct nf_conn`'s timeout; `HZ` = 250 a second). */
  timeout: number
  mark: number
  zone: number
  zoneDir: number
}

/** 16 bytes of an IPv6 address in text form (a dotted v4 tail too). */
export function ipv6Bytes(a: string): Buffer {
  let s: string
  try {
    // the URL parser writes any valid form as hex words, '::' compressed
    s = new URL(`http://[${a}]/`).hostname.slice(1, -1)
  } catch {
    throw new UxdpError('EINVAL', `'${a}' is not an IPv6 address`)
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined]
  const words = (x: string) => (x ? x.split(':').map((w) => parseInt(w, 16)) : [])
  const h = words(head)
  const r = rest === undefined ? [] : words(rest)
  const all = rest === undefined ? h : [...h, ...new Array<number>(8 - h.length - r.length).fill(0), ...r]
  const out = Buffer.alloc(16)
  all.forEach((w, i) => out.writeUInt16BE(w, i * 2))
  return out
}
