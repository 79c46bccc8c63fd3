/**
 * Where each helper and kfunc stands: the first Linux release with it and a stability tier, the
 * lifecycle the helper freeze asked for (seed 004) and the kernel never got. The facts are the
 * engine's (crate/src/bpf/protos/lifecycle.rs); loads use them through `targetKernel` ("will this
 * load on kernel X", refusing what that release lacks) and `allowTiers`, and warn of calls to
 * deprecated and deprecating functions.
 *
 * Tiers: helpers are `stable` (uapi, frozen, never removed) but for `bpf_probe_read` and
 * `bpf_probe_read_str`, `deprecated` (their documentation sends users to the _kernel/_user
 * variants); kernel kfuncs are `unstable` (the kernel promises them nothing), but those upstream
 * later deprecated for a replacement, `starting-to-deprecate`; the seed's API is `unstable` and in
 * no release; user kfuncs declare theirs (default `unstable`).
 */
import { UxdpError, describe } from '../errors'
import { TABLE } from './table'

export type Tier = 'stable' | 'unstable' | 'starting-to-deprecate' | 'deprecated'
export const TIERS: readonly Tier[] = ['stable', 'unstable', 'starting-to-deprecate', 'deprecated']

export interface Lifecycle {
  /** The first Linux release with it ('6.4'); absent for one in no release. */
  since?: string
  tier: Tier
  /** What to call instead, for a deprecated or deprecating function. */
  replacement?: string
  /** The release that deprecates it (after 6.18 for a deprecating kfunc). */
  deprecatedIn?: string
  /** A kfunc the kernel offers for its own selftests only. */
  testOnly?: true
}

/** @internal The table's form as the policy presents it. */
export function lifecycleOf(l: (typeof TABLE.helpers)[number]['lifecycle']): Lifecycle {
  const out: Lifecycle = { tier: l.tier as Tier }
  if (l.since) out.since = l.since
  if (l.replacement) out.replacement = l.replacement
  if (l.deprecatedIn) out.deprecatedIn = l.deprecatedIn
  if (l.testOnly) out.testOnly = true
  return out
}

const HELPER_LIFECYCLE = new Map(TABLE.helpers.map((h) => [h.name, lifecycleOf(h.lifecycle)]))
const KFUNC_LIFECYCLE = new Map(TABLE.kernelKfuncs.map((k) => [k.name, lifecycleOf(k.lifecycle)]))

/** A helper's (by name or id) or kernel kfunc's lifecycle; undefined for names no kernel has. */
export function lifecycle(fn: string | number): Lifecycle | undefined {
  if (typeof fn === 'number') return TABLE.helpers.find((h) => h.id === fn && h.id > 0) && HELPER_LIFECYCLE.get(TABLE.helpers[fn].name)
  if (typeof fn !== 'string') throw new UxdpError('EINVAL', `lifecycle takes a helper or kfunc name or a helper id, got ${describe(fn)}`)
  return HELPER_LIFECYCLE.get(fn) ?? HELPER_LIFECYCLE.get(`bpf_${fn}`) ?? KFUNC_LIFECYCLE.get(fn)
}

/** Checks a `targetKernel` option: a release MAJOR.MINOR. */
export function checkTargetKernel(v: unknown): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !/^\d+\.\d+$/.test(v)) throw new UxdpError('EINVAL', `targetKernel must be a release such as '6.6', got ${describe(v)}`)
  return v
}

/** Checks an `allowTiers` option: tier names. */
export function checkTiers(v: unknown): Tier[] | undefined {
  if (v === undefined) return undefined
  if (!Array.isArray(v) || v.some((t) => !TIERS.includes(t as Tier))) throw new UxdpError('EINVAL', `allowTiers must be an array of tiers (${TIERS.join(', ')}), got ${describe(v)}`)
  return [...v] as Tier[]
}
