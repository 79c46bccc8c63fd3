/**
 * XDP feature needs read from the verified program (issue 13, part 3; seed 002): the actions a
 * program's exits may return, the redirect helpers and map types it calls, the frags helpers of an
 * xdp.frags program and the RX metadata kfuncs become device features, which `attachXdp` checks
 * instead of letting frames be dropped at run time.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CpuMap, inspect, Mvneta, Program } from '../lib/index'
import { compileOwn } from './helpers/bpf'
import { thrown } from './helpers/util'

const needs = () => compileOwn('needs.bpf.c')
const load = (prog: string, opts: { devBound?: boolean; verify?: false } = {}) => Program.load(needs(), { prog, ...opts })


const nics: Mvneta[] = []
afterEach(() => {
  for (const n of nics.splice(0)) n.close()
})
const nic = (o: ConstructorParameters<typeof Mvneta>[0] = {}) => {
  const n = new Mvneta(o)
  nics.push(n)
  return n
}
/** mvneta's own features (0x67) without some. */
const ALL = ['basic', 'redirect', 'ndo-xmit', 'rx-sg', 'ndo-xmit-sg'] as const
const without = (...gone: string[]) => ALL.filter((f) => !gone.includes(f))

describe('inspect(program): actions and needs from the verifier', () => {
  it('the actions are the values r0 may hold at the exits', () => {
    expect(inspect(load('pass')).actions).toEqual(['XDP_PASS'])
    expect(inspect(load('bounce')).actions).toEqual(['XDP_DROP', 'XDP_TX'])
    expect(inspect(load('configured')).actions).toEqual(['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX'])
    // bpf_redirect_map's result is any scalar to the verifier: every action is possible.
    expect(inspect(load('to_cpu')).actions).toContain('XDP_REDIRECT')
  })

  it('XDP_TX needs basic; the exit that returns it is named', () => {
    const [basic] = inspect(load('bounce')).needs
    expect(basic).toMatchObject({ feature: 'basic', kind: 'xdp', on: 'device', why: 'may return XDP_TX' })
    expect(load('bounce').insns).toBeGreaterThan(basic.pc)
  })

  it('a cpumap redirect needs redirect, named by its call', () => {
    const n = inspect(load('to_cpu')).needs
    expect(n[0]).toMatchObject({ feature: 'redirect', on: 'device', why: "bpf_redirect_map#51 into cpumap 'cpus'" })
  })

  it('a devmap redirect needs ndo-xmit on its entries, and ndo-xmit-sg from an xdp.frags program', () => {
    const n = inspect(load('to_port')).needs
    expect(n.map((x) => [x.feature, x.on, x.map])).toEqual([
      ['redirect', 'device', undefined],
      ['ndo-xmit', 'map', 'ports'],
      ['ndo-xmit-sg', 'map', 'ports'],
      ['basic', 'device', undefined],
    ])
    expect(new Set(n.slice(0, 3).map((x) => x.pc)).size).toBe(1)
  })

  it('the frags helpers of an xdp.frags program need rx-sg; the metadata kfuncs need the rx hints', () => {
    expect(inspect(load('frags_len')).needs[0]).toMatchObject({ feature: 'rx-sg', why: 'bpf_xdp_load_bytes#189 on multi-buffer frames (xdp.frags)' })
    expect(inspect(load('by_hash', { devBound: true })).needs[0]).toMatchObject({ feature: 'hash', kind: 'rx-metadata', why: 'bpf_xdp_metadata_rx_hash' })
  })

  it('a program loaded without the verifier has no facts', () => {
    expect(inspect(load('to_cpu', { verify: false }))).toEqual({ verified: false, actions: [], needs: [] })
    expect(thrown(() => inspect({} as Program)).code).toBe('EINVAL')
  })
})

describe('attachXdp refuses what the device lacks, at attach', () => {
  it('XDP_REDIRECT to a cpumap on a NIC built without redirect: refused, naming the feature and the instruction', () => {
    const n = nic({ xdpFeatures: without('redirect') })
    const prog = load('to_cpu')
    const pc = inspect(prog).needs[0].pc
    const e = thrown(() => n.attachXdp(prog))
    expect(e.code).toBe('EOPNOTSUPP')
    expect(e.message).toContain(`device lacks XDP feature redirect, which insn ${pc} needs (bpf_redirect_map#51 into cpumap 'cpus')`)
    expect(e.pc).toBe(pc)
    // The same program attaches where the feature is, and redirects to the cpumap.
    const ok = nic()
    const cpus = new CpuMap()
    cpus.set(0, 64)
    prog.map('cpus').setTarget(0, { map: cpus, cpu: 0 })
    ok.attachXdp(prog)
    ok.offer(Buffer.alloc(64))
    expect(ok.poll().redirect.cpumapEnqueued).toBe(1)
    expect(cpus.run(0).length).toBe(1)
  })

  it('inferNeeds: false attaches anyway, as the kernel does', () => {
    const n = nic({ xdpFeatures: without('redirect') })
    n.attachXdp(load('to_cpu'), { inferNeeds: false })
    expect(n.features().xdp).not.toContain('redirect')
  })

  it("a devmap entry's device must transmit (ndo-xmit), and multi-buffer frames (ndo-xmit-sg)", () => {
    const rx = nic()
    const prog = load('to_port')
    const pc = inspect(prog).needs[1].pc
    const noXmit = nic({ ifindex: 5, xdpFeatures: without('ndo-xmit', 'ndo-xmit-sg') })
    prog.map('ports').setTarget(0, noXmit)
    const e = thrown(() => rx.attachXdp(prog))
    expect(e.code).toBe('EOPNOTSUPP')
    expect(e.message).toContain(`redirect target ifindex 5 lacks XDP feature ndo-xmit, which insn ${pc} needs (bpf_redirect_map#51 into devmap 'ports')`)
    const noSg = nic({ ifindex: 6, xdpFeatures: without('ndo-xmit-sg') })
    prog.map('ports').setTarget(0, noSg)
    expect(thrown(() => rx.attachXdp(prog)).message).toContain('redirect target ifindex 6 lacks XDP feature ndo-xmit-sg')
    const full = nic({ ifindex: 7 })
    prog.map('ports').setTarget(0, full)
    rx.attachXdp(prog)
    rx.offer(Buffer.alloc(600, 1))
    expect(rx.poll().redirect.sent).toBe(1)
    expect(full.drainTx().map((f) => f.data.length)).toEqual([600])
  })

  it('rx-sg for the frags helpers; the rx metadata hint for its kfunc', () => {
    expect(thrown(() => nic({ xdpFeatures: without('rx-sg') }).attachXdp(load('frags_len'))).message).toMatch(/^mvneta_xdp_setup: device lacks XDP feature rx-sg, which insn \d+ needs \(bpf_xdp_load_bytes#189 on multi-buffer frames \(xdp\.frags\)\)/)
    const byHash = load('by_hash', { devBound: true })
    expect(thrown(() => nic({ rxHints: false }).attachXdp(byHash)).message).toMatch(/^mvneta_xdp_setup: device lacks XDP RX metadata hash, which insn \d+ needs \(bpf_xdp_metadata_rx_hash\)/)
    nic({ rxHints: { hash: true, timestamp: false, vlan: false } }).attachXdp(byHash)
  })

  it('declared needs still work beside the inferred ones', () => {
    expect(thrown(() => nic({ xdpFeatures: without('rx-sg') }).attachXdp(load('pass'), { needs: ['rx-sg'] })).message).toMatch(/rx-sg/)
  })
})

describe('uxdp prog show', () => {
  it('prints what each XDP program returns and needs', () => {
    const bin = join(__dirname, '..', 'bin', 'uxdp.js')
    const r = spawnSync(process.execPath, [bin, 'prog', 'show', needs()], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^ {2}bounce .*\n {4}returns: XDP_DROP, XDP_TX\n {4}needs:\n {6}basic \(insn \d+: may return XDP_TX\)$/m)
    expect(r.stdout).toMatch(/^ {6}ndo-xmit on the devices of ports \(insn \d+: bpf_redirect_map#51 into devmap 'ports'\)$/m)
    // by_hash needs a device-bound load: show says why it cannot verify it as is.
    expect(r.stdout).toMatch(/^ {2}by_hash .*\n {4}not loadable: .*metadata kfunc.*$/im)
    const j = JSON.parse(spawnSync(process.execPath, [bin, 'prog', 'show', needs(), '--json'], { encoding: 'utf8' }).stdout)
    expect(j.programs.find((p: { name: string }) => p.name === 'to_cpu').xdp.needs[0].feature).toBe('redirect')
  })
})
