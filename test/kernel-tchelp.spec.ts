/**
 * Kernel differential tests for the tc helpers uxdp added last (test/kernel/tchelp.bpf.c, our own
 * programs) and for conntrack expiry (test/kernel/conntrack_run.bpf.c, kernel-conntrack's object):
 *
 * - bpf_skb_cgroup_id / bpf_skb_ancestor_cgroup_id of test_run's socket, bpf_get_current_cgroup_id /
 *   bpf_get_current_ancestor_cgroup_id and bpf_get_current_uid_gid of the task running the program;
 * - bpf_get_netns_cookie from tc and socket filters (the context's namespace; NULL: the initial
 *   one), in the initial namespace and in a fresh one. A namespace's cookie is a number of the
 *   whole host, so the kernel's cookies are given to the model (`HostNet.setNetnsCookie`) and the
 *   spec checks that each call names the right namespace;
 * - bpf_skb_set_tstamp and the `__sk_buff` tstamp / tstamp_type it sets, bad types and protocols;
 * - bpf_redirect_neigh / bpf_redirect_peer: TC_ACT_REDIRECT, or TC_ACT_SHOT for flags and short
 *   next-hop parameters; bpf_sk_assign of test_run's socket; bpf_strncmp.
 * - the root cgroup as a kernel object (bpf_cgroup_from_id / _acquire / _ancestor / _release): its
 *   `level`, `max_depth` and its css id read through the pointer, a reference stashed in a map value's
 *   `struct cgroup __kptr` field with bpf_kptr_xchg, read in place, taken out, and released by the
 *   field's destructor when the value is overwritten from user space or the map goes (uxdp counts
 *   the references: `kernelObjectReferences()` comes back to where it was);
 * - conntrack expiry: an entry whose timeout passed (moved by bpf_ct_change_timeout, or set short
 *   by bpf_ct_set_timeout at alloc) is not found by a lookup, which reaps it, so that the tuple can
 *   be inserted again; before that reap an insert still clashes with it.
 *
 * The same object, frame and ctx_in go through the running kernel (`bpftool prog run`, then
 * `bpftool map lookup` of `out`) and uxdp; retval, data_out, ctx_out and the map must be equal.
 * Recorded in test/fixtures/kernel/kernel-tchelp.json (`npm run kernel:record -- kernel-tchelp`).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BpfObject, encodeSkBuff, HostNet, kernelObjectReferences, UxdpError, type SkBuff } from '../lib/index'
import { expectSameRun, outSlots, PinnedObject, type RunAnswer, uxdpRun } from './helpers/bpftool-run'
import { askKernel, build, finishKernel, liveKernelAsked, MODE, ownPins, useKernel } from './helpers/kernel'
import { LivePin, scratchDir } from './helpers/kernel-live'

const use = useKernel('kernel-tchelp')
const object = build('tchelp.bpf.c', {}, ['--clang=clang-19', '-mcpu=v3'], { commit: true })
const ctObject = build('conntrack_run.bpf.c', {}, ['--clang=clang-19', '-mcpu=v3'], { commit: true })
/** The fresh namespace the kernel's runs of the second namespace and of conntrack happen in. */
const NS = `uxdp-tchelp-${process.pid}`

type Answer = RunAnswer

let live: PinnedObject | undefined
let liveError = ''

function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.error}`)
}

/** Runs in the fresh namespace need it made first (record or live runs only). */
function freshNamespace(): void {
  if (existsSync(`/run/netns/${NS}`)) return
  sh(['ip', 'netns', 'add', NS])
  sh(['ip', '-n', NS, 'link', 'set', 'lo', 'up'])
}

function liveRun(prog: string, data: Buffer, ctx: Buffer | undefined, inFreshNs: boolean): Answer {
  live ??= new PinnedObject(object, 'uxdp-tchelp-')
  if (inFreshNs) freshNamespace()
  return live.run(prog, data, ctx, { inside: inFreshNs ? ['nsenter', `--net=/run/netns/${NS}`] : [] })
}

const uxdp = BpfObject.open(object.path)
/** References the cgroup test leaves stashed in the map, for the object's closing to release. */
let leftStashed = 0

function liveUpdate(map: string, key: number, value: Buffer): { ok: boolean } {
  if (!live) throw new Error('the object is not loaded yet')
  const k = Buffer.alloc(4)
  k.writeUInt32LE(key)
  const r = spawnSync('bpftool', ['map', 'update', 'pinned', live.map(map), 'key', ...[...k].map(String), 'value', ...[...value].map(String)], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`bpftool map update failed: ${r.stderr}`)
  return { ok: true }
}

const slotsOf = outSlots

/** The kernel's answer alone (for the cookies the model is then given). */
function kernelRun(prog: string, data: Buffer, ctx: Partial<SkBuff> | undefined, inFreshNs: boolean, tag: string): Answer {
  const ctxIn = ctx === undefined ? undefined : encodeSkBuff(ctx)
  const request = { op: 'tchelp', object: object.key, prog, data: data.toString('base64'), ctx: ctxIn?.toString('hex') ?? null, ns: inFreshNs ? 'fresh' : 'init', tag }
  const what = `test_run of ${prog} in ${object.what} on ${data.length} B${ctx ? ` ctx ${JSON.stringify(ctx, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}` : ''}${inFreshNs ? ' in a fresh namespace' : ''}`
  return askKernel<Answer>(request, what, liveKernelAsked() ? () => liveRun(prog, data, ctxIn, inFreshNs) : undefined)
}

/** Both runs, compared in full; the kernel's `out` slots returned for the spec's own checks. */
function same(prog: string, data: Buffer, ctx?: Partial<SkBuff>, opts: { host?: HostNet; netns?: string; freshNs?: boolean; tag?: string } = {}): bigint[] {
  const k = kernelRun(prog, data, ctx, opts.freshNs ?? false, opts.tag ?? '')
  return expectSameRun(uxdpRun(uxdp, prog, { data, ctx, host: opts.host, netns: opts.netns }), k)
}

// =============================================================================================
// Frames

const MAC = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]

function frame(ethertype: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(14)
  Buffer.from(MAC).copy(b, 0)
  b.writeUInt16BE(ethertype, 12)
  return Buffer.concat([b, payload])
}

function ipv4Frame(payloadLen = 20): Buffer {
  const ip = Buffer.alloc(20 + payloadLen)
  ip[0] = 0x45
  ip.writeUInt16BE(20 + payloadLen, 2)
  ip[8] = 64
  ip[9] = 17
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(ip, 12)
  return frame(0x0800, ip)
}

function ipv6Frame(): Buffer {
  const ip = Buffer.alloc(40 + 8)
  ip[0] = 0x60
  ip.writeUInt16BE(8, 4)
  ip[6] = 17
  ip[7] = 64
  ip[23] = 1
  ip[39] = 2
  return frame(0x86dd, ip)
}

const ARP = frame(0x0806, Buffer.alloc(28))

let initHostMade: HostNet | undefined
/** A host model whose initial namespace has the kernel's cookie of the namespace the recordings
 * ran in (tc_ids reports it beside the cgroup ids). */
function initHost(): HostNet {
  if (!initHostMade) {
    const k = slotsOf(kernelRun('sf_netns', ipv4Frame().subarray(14), undefined, false, 'cookie-init').map)
    initHostMade = new HostNet().setNetnsCookie(k[0])
  }
  return initHostMade
}
const cb = (...v: number[]): Partial<SkBuff> => ({ cb: [0, 1, 2, 3, 4].map((i) => v[i] ?? 0) as SkBuff['cb'] })
const neg = (errno: number) => (1n << 64n) - BigInt(errno)
const EINVAL = 22
const EOPNOTSUPP = 95
const TC_ACT_SHOT = 2
const TC_ACT_REDIRECT = 7

describe(`tc helpers under test_run vs Linux (recorded on ${use.recordedOn}${use.live ? `; live: ${use.live}` : ''})`, () => {
  afterAll(() => {
    live?.close()
    live = undefined
  })

  it("cgroup ids: test_run's socket and the running task are in the root cgroup; an ancestor past it is 0", () => {
    for (const [sk, task] of [
      [0, 0],
      [1, 1],
      [-1, 2],
      [5, -1],
    ]) {
      const s = same('tc_ids', ipv4Frame(), cb(sk >>> 0, task >>> 0), { host: initHost() })
      expect(s[0], 'skb cgroup').toBe(1n)
      expect(s[1], 'skb ancestor 0').toBe(1n)
      expect(s[8], 'skb->sk').toBe(1n)
    }
  })

  it('bpf_get_netns_cookie: the skb\'s namespace from tc and socket filters, the initial one for NULL', () => {
    // the kernel's cookies, given to the model
    const kInit = slotsOf(kernelRun('sf_netns', ipv4Frame().subarray(14), undefined, false, 'cookie-init').map)
    const kFresh = slotsOf(kernelRun('sf_netns', ipv4Frame().subarray(14), undefined, true, 'cookie-fresh').map)
    expect(kInit[0], 'the initial namespace: ctx and NULL agree').toBe(kInit[1])
    expect(kFresh[1], 'NULL from the fresh namespace is the initial one').toBe(kInit[0])
    expect(kFresh[0], 'the fresh namespace has a cookie of its own').not.toBe(kInit[0])
    const host = new HostNet()
    host.addNetns('fresh')
    host.setNetnsCookie(kInit[0]).setNetnsCookie(kFresh[0], 'fresh')
    same('sf_netns', ipv4Frame().subarray(14), undefined, { host, tag: 'cookie-init' })
    same('sf_netns', ipv4Frame().subarray(14), undefined, { host, netns: 'fresh', freshNs: true, tag: 'cookie-fresh' })
    expect(same('tc_ids', ipv4Frame(), cb(), { host, netns: 'fresh', freshNs: true, tag: 'cookie-fresh' })[7]).toBe(kFresh[0])
    expect(same('tc_ids', ipv4Frame(), cb(), { host, tag: 'cookie-init' })[7]).toBe(kInit[0])
    // namespaces the model numbers itself
    const own = new HostNet()
    own.addNetns('b')
    const u = uxdpRun(uxdp, 'sf_netns', { data: ipv4Frame().subarray(14), host: own, netns: 'b' })
    expect(slotsOf(u.map).slice(0, 2)).toEqual([2n, 1n])
    expect(() => own.setNetnsCookie(-1)).toThrow(UxdpError)
  })

  describe('bpf_skb_set_tstamp', () => {
    const REALTIME = 0
    const MONO = 1
    const TAI = 2
    it.each([
      ['a realtime stamp, then a monotonic one', ipv4Frame(), cb(5, 0, REALTIME, 1, MONO), [0n, 0n, 0n, 5n, 0n, 0n, 6n, 1n]],
      ['a monotonic stamp of 0 is EINVAL; a TAI one after it', ipv4Frame(), cb(0, 0, MONO, 1, TAI), [0n, 0n, neg(EINVAL), 0n, 0n, 0n, 1n, 2n]],
      ['a realtime stamp of 0 is fine; type 3 is EINVAL', ipv4Frame(), cb(0, 0, REALTIME, 1, 3), [0n, 0n, 0n, 0n, 0n, neg(EINVAL), 0n, 0n]],
      ['a 64-bit TAI stamp on IPv6', ipv6Frame(), cb(0x89abcdef, 0x1234567, TAI), [0n, 0n, 0n, 0x123456789abcdefn, 2n]],
      ['not IPv4 or IPv6: EOPNOTSUPP, nothing set', ARP, cb(7, 0, REALTIME), [0n, 0n, neg(EOPNOTSUPP), 0n, 0n]],
      ['a realtime stamp alone', ipv4Frame(), cb(9, 0, REALTIME), [0n, 0n, 0n, 9n, 0n, 0n, 0n, 0n]],
    ] as const)('%s', (_t, data, ctx, want) => {
      const s = same('tc_tstamp', data, ctx)
      expect(s.slice(0, want.length)).toEqual(want)
    })

    it('a stamp from ctx_in is read back, and a set one is in ctx_out', () => {
      const s = same('tc_tstamp', ipv4Frame(), { ...cb(77, 0, MONO), tstamp: 1234n })
      expect(s.slice(0, 5)).toEqual([1234n, 0n, 0n, 77n, 1n])
    })
  })

  describe('bpf_redirect_neigh and bpf_redirect_peer', () => {
    it.each([
      ['no next hop', cb(3, 0, 0), TC_ACT_REDIRECT],
      ['a next hop (IPv4)', cb(3, 20, 0, 2), TC_ACT_REDIRECT],
      ['a next hop of family 0', cb(9, 20, 0, 0), TC_ACT_REDIRECT],
      ['params of 4 bytes: TC_ACT_SHOT', cb(3, 4, 0, 2), TC_ACT_SHOT],
      ['params of 19 bytes: TC_ACT_SHOT', cb(3, 19, 0, 2), TC_ACT_SHOT],
      ['a flag: TC_ACT_SHOT', cb(3, 0, 1), TC_ACT_SHOT],
      ['a flag with a next hop: TC_ACT_SHOT', cb(3, 20, 0x10, 2), TC_ACT_SHOT],
    ] as const)('redirect_neigh, %s', (_t, ctx, want) => {
      same('tc_redirect_neigh', ipv4Frame(), ctx)
      const r = uxdp.program('tc_redirect_neigh').testRunSkb({ data: ipv4Frame(), ctx })
      expect(r.retval).toBe(want)
      if (want === TC_ACT_REDIRECT) expect(r.redirect).toEqual({ ifindex: ctx.cb![0], flags: 0x10000 | (ctx.cb![1] ? 0x40000 : 0) })
    })

    it.each([
      ['to a device', cb(4, 0, 0), TC_ACT_REDIRECT],
      ['BPF_F_INGRESS is a flag too: TC_ACT_SHOT', cb(4, 1, 0), TC_ACT_SHOT],
      ['a flag in the high half: TC_ACT_SHOT', cb(4, 0, 1), TC_ACT_SHOT],
    ] as const)('redirect_peer, %s', (_t, ctx, want) => {
      same('tc_redirect_peer', ipv4Frame(), ctx)
      const r = uxdp.program('tc_redirect_peer').testRunSkb({ data: ipv4Frame(), ctx })
      expect(r.retval).toBe(want)
      if (want === TC_ACT_REDIRECT) expect(r.redirect).toEqual({ ifindex: 4, flags: 0x20000 })
    })
  })

  it("bpf_sk_assign: test_run's skb is not at tc ingress (EOPNOTSUPP); a flag is EINVAL first", () => {
    expect(same('tc_sk_assign', ipv4Frame(), cb(0)).slice(0, 2)).toEqual([neg(EOPNOTSUPP), 1n])
    expect(same('tc_sk_assign', ipv4Frame(), cb(1)).slice(0, 2)).toEqual([neg(EINVAL), 1n])
  })

  it('the root cgroup: held, read, stashed in a kptr, taken out; the field\'s destructor releases it', () => {
    const base = kernelObjectReferences()
    let step = 0
    const stash = (id: number, slot: number, mode: number) => same('tc_cgroup', ipv4Frame(), cb(id, slot, mode), { tag: `cgroup step ${step++}` })
    const INT_MAX = 0x7fffffffn
    const first = stash(1, 0, 1)
    expect(first.slice(0, 6), 'from_id(1): level 0, max_depth INT_MAX, ancestor(0) the root, ancestor(1) NULL, nothing stashed before').toEqual([1n, 0n, INT_MAX, INT_MAX, 0n, 0n])
    expect(first[9], "the root's css id").toBe(0n)
    expect(kernelObjectReferences()).toBe(base + 1)
    expect(stash(1, 0, 1)[5], 'the old one came back out and was released').toBe(1n)
    expect(kernelObjectReferences()).toBe(base + 1)
    const noSuch = stash(77777777, 0, 3)
    expect([noSuch[0], noSuch[8]], 'an id nobody has: NULL; the stashed one read in place').toEqual([0n, INT_MAX])
    stash(1, 1, 1)
    expect(kernelObjectReferences()).toBe(base + 2)
    // user space overwrites slot 1: the destructor releases what the field held
    const zero = Buffer.alloc(16)
    askKernel<{ ok: boolean }>({ op: 'tchelp-update', object: object.key, map: 'stashes', key: 1 }, 'bpftool map update of stashes[1] with zeroes', liveKernelAsked() ? () => liveUpdate('stashes', 1, zero) : undefined)
    uxdp.map('stashes').update(Buffer.from([1, 0, 0, 0]), zero)
    expect(kernelObjectReferences()).toBe(base + 1)
    expect(stash(0, 1, 2)[6], 'slot 1 is empty').toBe(0n)
    expect(stash(0, 0, 2).slice(6, 8), 'slot 0 taken out and released').toEqual([1n, INT_MAX])
    expect(kernelObjectReferences()).toBe(base)
    // one left stashed: the map's going releases it (checked when the object closes, below)
    stash(1, 2, 1)
    expect(kernelObjectReferences()).toBe(base + 1)
    leftStashed = 1
  })

  it('bpf_strncmp', () => {
    const req = (s: string) => frame(0x0800, Buffer.concat([Buffer.from(s, 'latin1'), Buffer.alloc(32)]))
    for (const s of ['GET /ind', 'GET /inc', 'GET /inz', 'GE\0\0\0\0\0\0', '\0abcdefg', '\xffET /ind', 'GEX']) {
      same('tc_strncmp', req(s), undefined, { tag: s })
    }
    expect(same('tc_strncmp', req('GET /ind')).slice(0, 5)).toEqual([0n, 0n, 1n, 1n, 0n])
    expect(same('tc_strncmp', req('GET /inc')).slice(0, 1)).toEqual([neg(1)])
  })
})

// =============================================================================================
// Conntrack expiry

/** conntrack_run.bpf.c's command (its layout: see kernel-conntrack.spec.ts); TCP 10.0.0.1 -> .2. */
function ctCmd(op: 1 | 2, sport: number, flags = 0, timeoutMs = 0): Buffer {
  const b = Buffer.alloc(256)
  b.writeUInt32LE(op, 0)
  b.writeUInt32LE(flags, 4)
  b.writeUInt32LE(12, 8)
  b.writeUInt32LE(16, 12)
  b.writeInt32LE(-1, 16)
  b.writeUInt8(6, 24)
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(b, 40)
  b.writeUInt16BE(sport, 48)
  b.writeUInt16BE(80, 50)
  b.writeUInt32LE(timeoutMs, 80)
  return b
}
const CMD_TIMEOUT = 1

type CtRun = { ok: true; retval: number; out: string } | { ok: false; message: string }

describe(`conntrack expiry vs Linux (recorded on ${use.recordedOn})`, () => {
  let pin: LivePin | undefined
  let host: HostNet
  let ct: BpfObject
  let jiffies = 1000

  beforeAll(() => {
    host = new HostNet()
    host.addNetns('a')
    host.setConntrackJiffies(jiffies)
    ct = BpfObject.open(ctObject.path)
    if (MODE === 'record' || use.live) {
      try {
        freshNamespace()
        const p = LivePin.loadAll(ctObject.path, 'tchelp_ct')
        if (!(p instanceof LivePin)) throw new Error(`the kernel refused conntrack_run.bpf.c: ${p.line}`)
        pin = p
      } catch (e) {
        liveError = (e as Error).message
      }
    }
  })

  afterAll(() => {
    pin?.unload()
    pin = undefined
    ct?.close()
    if (existsSync(`/run/netns/${NS}`)) spawnSync('ip', ['netns', 'del', NS])
    // the reference left stashed goes with the map once its handles are collected
    // (crate/tests/kernel_kptr.rs counts it going)
    if (kernelObjectReferences() < leftStashed) throw new Error('a stashed reference was lost')
    uxdp.close()
    finishKernel()
    expect(ownPins()).toEqual([])
  })

  function liveCt(data: Buffer, waitMs: number): CtRun {
    if (!pin) throw new Error(`the live namespace is not set up: ${liveError}`)
    if (waitMs) spawnSync('sleep', [String(waitMs / 1000)])
    const dir = scratchDir()
    const fin = join(dir, `tchelp-ct-in-${process.pid}.bin`)
    const fout = join(dir, `tchelp-ct-out-${process.pid}.bin`)
    writeFileSync(fin, data)
    try {
      const r = spawnSync('nsenter', [`--net=/run/netns/${NS}`, 'bpftool', 'prog', 'run', 'pinned', join(pin.pin, 'progs', 'ct_xdp'), 'data_in', fin, 'data_out', fout, 'repeat', '1'], { encoding: 'utf8' })
      if (r.status !== 0) return { ok: false, message: (r.stderr || String(r.error)).trim().split('\n').at(-1) ?? '' }
      const m = /Return value: (\d+)/.exec(r.stdout)
      if (!m) throw new Error(`unexpected bpftool output: ${r.stdout}`)
      return { ok: true, retval: Number(m[1]), out: readFileSync(fout).toString('hex') }
    } finally {
      rmSync(fin, { force: true })
      rmSync(fout, { force: true })
    }
  }

  /** One step on both sides: `waitMs` of the kernel's clock pass first (uxdp's jiffies move by as
   * many, at HZ 250). What the program saw: opts->error, whether it got an entry, whether insert
   * returned one. */
  function step(name: string, data: Buffer, waitMs = 0): { error: number; got: number; inserted: number } {
    const k = askKernel<CtRun>({ op: 'tchelp-ct', object: ctObject.key, data: data.toString('hex'), step: name }, `conntrack expiry, ${name}`, () => liveCt(data, waitMs))
    if (waitMs) host.setConntrackJiffies((jiffies += Math.ceil((waitMs * 250) / 1000)))
    let u: CtRun
    try {
      const r = ct.program('ct_xdp').testRun({ data, host, netns: 'a' })
      u = { ok: true, retval: r.retval >>> 0, out: Buffer.from(r.dataOut).toString('hex') }
    } catch (e) {
      if (!(e instanceof UxdpError)) throw e
      u = { ok: false, message: `${e.code}: ${e.message}` }
    }
    expect(k.ok, `the kernel's run failed: ${!k.ok ? k.message : ''}`).toBe(true)
    expect(u.ok, `uxdp's run failed: ${!u.ok ? u.message : ''}`).toBe(true)
    if (!k.ok || !u.ok) throw new Error('unreachable')
    const seen = (hex: string) => {
      const o = Buffer.from(hex, 'hex').subarray(128)
      return { error: o.readInt32LE(0), got: o.readUInt32LE(4), inserted: o.readUInt32LE(28) }
    }
    expect(seen(u.out), name).toEqual(seen(k.out))
    expect(u.out, `data_out: ${name}`).toBe(k.out)
    expect(u.retval).toBe(k.retval)
    return seen(k.out)
  }

  it('a timeout moved to now: the entry is dead, still holds its tuple, and a lookup reaps it', () => {
    expect(step('insert A', ctCmd(1, 7000, CMD_TIMEOUT, 600000))).toMatchObject({ error: 0, inserted: 1 })
    expect(step('lookup A, change its timeout to 0', ctCmd(2, 7000, CMD_TIMEOUT, 0))).toMatchObject({ error: 0, got: 1 })
    expect(step('insert A again: the dead entry clashes', ctCmd(1, 7000, CMD_TIMEOUT, 600000))).toMatchObject({ inserted: 0 })
    expect(step('lookup A: not found (and reaped)', ctCmd(2, 7000))).toMatchObject({ error: -2, got: 0 })
    expect(step('insert A once more: the tuple is free', ctCmd(1, 7000, CMD_TIMEOUT, 600000))).toMatchObject({ error: 0, inserted: 1 })
    expect(step('lookup A: the new entry', ctCmd(2, 7000))).toMatchObject({ error: 0, got: 1 })
  })

  it('a short timeout set at alloc runs out with the clock; the table from TypeScript no longer lists it', () => {
    expect(step('insert B with 40 ms', ctCmd(1, 7001, CMD_TIMEOUT, 40))).toMatchObject({ error: 0, inserted: 1 })
    expect(step('lookup B at once', ctCmd(2, 7001))).toMatchObject({ error: 0, got: 1 })
    expect(host.conntrack().map((e) => e.sport)).toEqual([7000, 7001])
    expect(step('lookup B 400 ms later: gone', ctCmd(2, 7001), 400)).toMatchObject({ error: -2, got: 0 })
    expect(step('lookup A 400 ms later: alive (10 minutes)', ctCmd(2, 7000))).toMatchObject({ error: 0, got: 1 })
    expect(host.conntrack().map((e) => e.sport)).toEqual([7000])
    // a change of timeout revives an entry that is dead but not reaped; moving the clock past it reaps it
    expect(step('insert C with 10 minutes', ctCmd(1, 7002, CMD_TIMEOUT, 600000))).toMatchObject({ inserted: 1 })
    expect(step('lookup C, change its timeout to 200 ms', ctCmd(2, 7002, CMD_TIMEOUT, 200))).toMatchObject({ got: 1 })
    expect(step('lookup C 400 ms later: gone', ctCmd(2, 7002), 400)).toMatchObject({ error: -2 })
    expect(host.conntrack().map((e) => e.sport)).toEqual([7000])
  })
})
