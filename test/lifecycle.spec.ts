/**
 * The lifecycle policy (issue 13, part 2; seed 004, the helper freeze): every helper and kfunc
 * carries the Linux release that added it and a stability tier; a load can ask "will this load on
 * kernel X" (`targetKernel`), limit the tiers (`allowTiers`), and is warned of calls to deprecated
 * and deprecating functions, with their replacements.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  BpfObject,
  checkCalls,
  checkLoad,
  HELPER_INFO,
  KERNEL_KFUNC_NAMES,
  KfuncRegistry,
  kfuncsFor,
  lifecycle,
  Program,
  UxdpError,
  verify,
} from '../lib/index'
import { compileOwn } from './helpers/bpf'
import { thrown } from './helpers/util'

const needs = () => compileOwn('needs.bpf.c')
const features = () => compileOwn('features.bpf.c')


const release = (v: string) => v.split('.').map(Number) as [number, number]
const before = (a: string, b: string) => release(a)[0] < release(b)[0] || (release(a)[0] === release(b)[0] && release(a)[1] < release(b)[1])

describe('the table: releases and tiers', () => {
  it('every helper has its release, and ids follow releases (the enum is append-only)', () => {
    expect(HELPER_INFO).toHaveLength(211)
    for (const h of HELPER_INFO) expect(h.lifecycle.since, h.name).toMatch(/^\d+\.\d+$/)
    // Append-only: a helper never came in an older release than one with a much lower id
    // (ids 1..9 came between 3.18 and 4.1, all later ones in id order but for neighbours).
    const late = HELPER_INFO.filter((h) => h.id >= 60)
    for (let i = 1; i < late.length; i++) expect(before(late[i].lifecycle.since!, late[i - 1].lifecycle.since!), late[i].name).toBe(false)
    expect(lifecycle('bpf_xdp_load_bytes')).toEqual({ tier: 'stable', since: '5.18' })
    expect(lifecycle(51)).toEqual({ tier: 'stable', since: '4.14' })
  })

  it('the helpers whose documentation sends users elsewhere are deprecated', () => {
    expect(lifecycle('bpf_probe_read')).toEqual({ tier: 'deprecated', since: '4.1', replacement: 'bpf_probe_read_kernel or bpf_probe_read_user' })
    expect(lifecycle('probe_read_str')?.tier).toBe('deprecated')
  })

  it('kernel kfuncs are unstable, those upstream deprecates after 6.18 are starting to deprecate', () => {
    for (const name of KERNEL_KFUNC_NAMES) {
      const l = lifecycle(name)!
      expect(['unstable', 'starting-to-deprecate'], name).toContain(l.tier)
      if (!l.testOnly) expect(l.since, name).toMatch(/^\d+\.\d+$/)
    }
    expect(lifecycle('bpf_obj_new_impl')).toEqual({ tier: 'starting-to-deprecate', since: '6.2', replacement: 'bpf_obj_new', deprecatedIn: '7.1' })
    expect(lifecycle('bpf_dynptr_from_xdp')).toEqual({ tier: 'unstable', since: '6.4' })
    expect(lifecycle('bpf_kfunc_call_test_release')).toEqual({ tier: 'unstable', testOnly: true })
    expect(lifecycle('bpf_nothing')).toBeUndefined()
  })

  it("the seed's API is unstable and in no release; user kfuncs declare theirs", () => {
    expect(kfuncsFor('xdp', { seed: true }).find((k) => k.name === 'bpf_dynptr_advance')!.lifecycle).toEqual({ tier: 'unstable' })
    const r = new KfuncRegistry()
    const spec = r.register({ name: 'old_sum', tier: 'deprecated', since: '6.1', replacement: 'new_sum' }, () => 0n)
    expect(spec.lifecycle).toEqual({ tier: 'deprecated', since: '6.1', replacement: 'new_sum' })
    expect(r.register({ name: 'plain' }, () => 0n).lifecycle).toEqual({ tier: 'unstable' })
    expect(thrown(() => r.register({ name: 'bad', tier: 'gold' as never }, () => 0n)).code).toBe('EINVAL')
    expect(thrown(() => r.register({ name: 'bad2', since: 'six' }, () => 0n)).code).toBe('EINVAL')
  })
})

describe('targetKernel: will this load on kernel X', () => {
  it('a helper the release lacks is refused in that kernel\'s words, with the release that added it', () => {
    const old = verify(needs(), { prog: 'frags_len', targetKernel: '5.15' })
    expect(old).toMatchObject({ accepted: false, code: 'EINVAL', errno: -22 })
    expect(old.message).toBe('invalid func unknown#189 (bpf_xdp_load_bytes#189 came in Linux 5.18, the target is 5.15)')
    expect(old.pc).toBe(inspectPc('frags_len', 'bpf_xdp_load_bytes'))
    expect(verify(needs(), { prog: 'frags_len', targetKernel: '5.18' }).accepted).toBe(true)
    expect(verify(needs(), { prog: 'frags_len' }).accepted).toBe(true)
  })

  it("a kfunc the release lacks is refused in libbpf's words (ESRCH)", () => {
    const r = verify(needs(), { prog: 'by_hash', devBound: true, targetKernel: '6.2' })
    expect(r).toMatchObject({ accepted: false, code: 'ESRCH' })
    expect(r.message).toBe("extern (func ksym) 'bpf_xdp_metadata_rx_hash': not found in kernel or module BTFs (bpf_xdp_metadata_rx_hash came in Linux 6.3, the target is 6.2)")
    expect(verify(needs(), { prog: 'by_hash', devBound: true, targetKernel: '6.3' }).accepted).toBe(true)
    const e = thrown(() => BpfObject.open(features(), { prog: 'loop_sum', targetKernel: '6.1' }))
    expect(e.message).toContain("'bpf_dynptr_from_xdp': not found in kernel or module BTFs (bpf_dynptr_from_xdp came in Linux 6.4, the target is 6.1)")
  })

  it("the seed's kfuncs are in no release: refused whatever the target", () => {
    const r = verify(compileOwn('seed_iter.bpf.c'), { profile: 'seed', targetKernel: '6.18' })
    expect(r.accepted).toBe(false)
    expect(r.message).toMatch(/^extern \(func ksym\) 'bpf_dynptr_advance': not found in kernel or module BTFs \(bpf_dynptr_advance is in no Linux release \(the seed's convenience API\)\)$/)
    expect(verify(compileOwn('seed_iter.bpf.c'), { profile: 'seed' }).accepted).toBe(true)
  })

  it('a user (module) kfunc is the user\'s: refused only when it declares a later release', () => {
    const impl = () => 0n
    const at = (since?: string) => {
      const registry = new KfuncRegistry()
      registry.register({ name: 'uxdp_test_mix', since }, impl)
      return () => Program.load(features(), { prog: 'user_kfunc', registry, targetKernel: '6.6' })
    }
    expect(at()().name).toBe('user_kfunc')
    expect(at('6.6')().name).toBe('user_kfunc')
    expect(thrown(at('6.8')).message).toContain('(uxdp_test_mix came in Linux 6.8, the target is 6.6)')
  })

  it('bad targets are refused before anything is loaded', () => {
    for (const bad of ['6', 'six', 'v6.6', '6.6.1', 6.6]) {
      expect(thrown(() => verify(needs(), { prog: 'pass', targetKernel: bad as string })).code).toBe('EINVAL')
      expect(thrown(() => Program.load(needs(), { prog: 'pass', targetKernel: bad as string })).code).toBe('EINVAL')
    }
    expect(thrown(() => checkCalls({ progType: 'xdp', license: 'GPL', targetKernel: '6' })).code).toBe('EINVAL')
  })
})

describe('allowTiers', () => {
  it('refuses a call whose tier the policy leaves out', () => {
    const r = verify(needs(), { prog: 'frags_len', allowTiers: ['unstable'] })
    expect(r).toMatchObject({ accepted: false, code: 'EPERM' })
    expect(r.message).toBe('bpf_xdp_load_bytes#189 is stable, which the policy does not allow (allowTiers: unstable)')
    expect(verify(needs(), { prog: 'frags_len', allowTiers: ['stable'] }).accepted).toBe(true)
    // Helpers only: no kfunc is stable.
    expect(verify(features(), { prog: 'loop_sum', allowTiers: ['stable'] }).message).toBe('bpf_dynptr_from_xdp is unstable, which the policy does not allow (allowTiers: stable)')
    expect(thrown(() => verify(needs(), { prog: 'pass', allowTiers: ['gold' as never] })).code).toBe('EINVAL')
  })
})

describe('warnings for deprecated and deprecating functions', () => {
  it('in checkCalls, with the replacement and the release that deprecates it', () => {
    expect(checkCalls({ progType: 'tracing', license: 'GPL', kfuncNames: [{ name: 'bpf_obj_new_impl', pc: 3 }] })).toEqual({
      ok: true,
      warnings: ['insn 3: bpf_obj_new_impl is starting to deprecate (deprecated in Linux 7.1); use bpf_obj_new'],
    })
    expect(checkCalls({ progType: 'kprobe', license: 'GPL', helperIds: [{ id: 4, pc: 7 }] }).warnings).toEqual([
      'insn 7: bpf_probe_read#4 is deprecated; use bpf_probe_read_kernel or bpf_probe_read_user',
    ])
    expect(checkCalls({ progType: 'xdp', license: 'GPL', helperIds: [189] })).toEqual({ ok: true })
  })

  it('at load: in the program, the verify() result and the log', () => {
    const registry = new KfuncRegistry()
    registry.register({ name: 'uxdp_test_mix', tier: 'deprecated', replacement: 'uxdp_test_mix2' }, () => 0n)
    const p = Program.load(features(), { prog: 'user_kfunc', registry })
    const pc = p.warnings.length ? Number(/^insn (\d+):/.exec(p.warnings[0])![1]) : -1
    expect(p.warnings).toEqual([`insn ${pc}: uxdp_test_mix is deprecated; use uxdp_test_mix2`])
    const v = verify(features(), { prog: 'user_kfunc', userKfuncs: registry, logLevel: 1 })
    expect(v.warnings).toEqual(p.warnings)
    expect(v.log.trimEnd().split('\n').at(-1)).toBe(`uxdp: warning: ${p.warnings[0]}`)
    expect(Program.load(needs(), { prog: 'pass' }).warnings).toEqual([])
    expect(checkLoad(needs(), { prog: 'pass' }).warnings).toEqual([])
  })
})

describe('the helper freeze', () => {
  it('no helper id above 211: the kernel\'s invalid func unknown#N', () => {
    for (const id of [212, 214, 221]) {
      expect(checkCalls({ progType: 'xdp', license: 'GPL', helperIds: [{ id, pc: 1 }] })).toEqual({ ok: false, message: `invalid func unknown#${id}`, errno: 22, pc: 1 })
    }
  })
})

describe("the seed-helpers profile: the seed's proposed helper ids, opt-in", () => {
  const viaHelpers = () => compileOwn('seed_iter.bpf.c', { SEED_HELPERS: 1 })
  it('without it, 214..=221 are unknown helpers, as in every kernel', () => {
    expect(verify(viaHelpers())).toMatchObject({ accepted: false, code: 'EINVAL', message: 'invalid func unknown#214' })
    expect(verify(viaHelpers(), { profile: 'seed' }).message).toBe('invalid func unknown#214')
  })

  it('with it, they verify and run as the seed kfuncs do, each call warned of as never in uapi', () => {
    const v = verify(viaHelpers(), { profile: 'seed-helpers' })
    expect(v.accepted).toBe(true)
    expect(v.warnings.map((w) => w.replace(/^insn \d+: /, ''))).toEqual(
      ['bpf_dynptr_advance#214', 'bpf_dynptr_iterator#221', 'bpf_dynptr_get_size#218'].map((h) => `${h} is one of the seed's proposed helpers (seed 004), which never reached uapi: no kernel has it`),
    )
    // The same walk through the helper ids and through the seed's kfuncs: same verdict, same maps.
    const data = Buffer.alloc(5000, 7)
    const run = (p: Program) => {
      const r = p.testRun({ data, ctx: { dataEnd: 3000 } })
      return { retval: r.retval, bss: p.object.map('.bss').lookup(Buffer.alloc(4)) }
    }
    const helpers = Program.load(viaHelpers(), { seedKfuncs: true, seedHelpers: true })
    const kfuncs = Program.load(compileOwn('seed_iter.bpf.c'), { seedKfuncs: true })
    const a = run(helpers)
    expect(a).toEqual(run(kfuncs))
    expect(a.bss!.readUInt32LE(8)).toBe(5) // views: 4500 bytes in 1000-byte steps
    expect(helpers.warnings).toHaveLength(3)
    expect(kfuncs.warnings).toEqual([])
  })

  it('a target release refuses them: no kernel has them', () => {
    const r = verify(viaHelpers(), { profile: 'seed-helpers', targetKernel: '6.18' })
    expect(r.message).toBe('invalid func unknown#214 (bpf_dynptr_advance#214 is in no Linux release (a helper the seed proposed))')
    expect(checkCalls({ progType: 'xdp', license: 'GPL', helperIds: [{ id: 214, pc: 1 }], seedHelpers: true }).ok).toBe(true)
    expect(checkCalls({ progType: 'xdp', license: 'GPL', helperIds: [{ id: 222, pc: 1 }], seedHelpers: true }).ok).toBe(false)
  })
})

describe('uxdp prog load --target-kernel / --allow-tiers', () => {
  const bin = join(__dirname, '..', 'bin', 'uxdp.js')
  const uxdp = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  it('answers "will this load on kernel X" as a CI check', () => {
    const old = uxdp('prog', 'load', needs(), '--prog', 'frags_len', '--target-kernel', '5.15')
    expect(old.status).toBe(1)
    expect(old.stderr.trim().split('\n').at(-1)).toBe('Error: failed to load object file: invalid func unknown#189 (bpf_xdp_load_bytes#189 came in Linux 5.18, the target is 5.15) (EINVAL)')
    expect(uxdp('prog', 'load', needs(), '--prog', 'frags_len', '--target-kernel', '6.1').status).toBe(0)
    const tiers = uxdp('prog', 'load', needs(), '--prog', 'frags_len', '--allow-tiers', 'unstable,deprecated', '--json')
    expect(JSON.parse(tiers.stdout)).toMatchObject({ accepted: false, message: 'bpf_xdp_load_bytes#189 is stable, which the policy does not allow (allowTiers: unstable, deprecated)' })
  })
})

/** The pc of a program's call to a helper, from its listing. */
function inspectPc(prog: string, helper: string): number {
  const o = BpfObject.open(needs(), { prog })
  try {
    const r = spawnSync(process.execPath, [join(__dirname, '..', 'bin', 'uxdp.js'), 'prog', 'dump', needs(), '--prog', prog], { encoding: 'utf8' })
    const line = r.stdout.split('\n').find((l) => l.includes(`call ${helper}#`))!
    return Number(/^\s*(\d+):/.exec(line)![1])
  } finally {
    o.close()
  }
}
