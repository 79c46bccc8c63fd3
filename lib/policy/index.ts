/**
 * Which helpers and kfuncs a BPF program may call, decided as a 6.18 kernel decides it, with the
 * kernel's (or libbpf's) words for every refusal. The engine's prototype table
 * (crate/src/bpf/protos) holds the facts and makes the decisions, at every load and here; this
 * layer presents them by program type name.
 */
import type { KfuncImpl } from '../bpf'
import { checkOptions, optBool, UxdpError } from '../errors'
import { native } from '../native'
import { HELPER_INFO, type HelperInfo, type HelperSpec } from './helpers'
import { KERNEL_KFUNC_PROG_TYPES, kfFlagMask, kfuncAllowed, kfuncTable, type KfuncSpec } from './kfuncs'
import { KfuncRegistry } from './registry'
import { checkTargetKernel, checkTiers, type Tier } from './lifecycle'
import { ESTABLISHED_PROG_TYPES, isProgTypeName, PROG_TYPE_IDS, type ProgTypeName } from './progtypes'
import { TABLE } from './table'

export * from './helpers'
export * from './kfuncs'
export * from './lifecycle'
export * from './progtypes'
export * from './registry'

/** The licence strings the kernel counts as GPL-compatible (`license_is_gpl_compatible`), compared
 * exactly, up to the first NUL as the kernel reads the string. */
export const GPL_COMPATIBLE_LICENSES: readonly string[] = TABLE.gplCompatibleLicenses

export function licenseIsGplCompatible(license: string): boolean {
  if (typeof license !== 'string') return false
  const nul = license.indexOf('\0')
  return GPL_COMPATIBLE_LICENSES.includes(nul < 0 ? license : license.slice(0, nul))
}

/** Capabilities the loader holds; `bpf_base_func_proto` withholds some helpers without them. */
export interface Caps {
  /** CAP_BPF (or CAP_SYS_ADMIN). Default true. */
  bpf?: boolean
  /** CAP_PERFMON (or CAP_SYS_ADMIN). Default true. */
  perfmon?: boolean
}

function established(progType: ProgTypeName): void {
  if (!isProgTypeName(progType)) throw new UxdpError('EINVAL', `unknown program type ${String(progType)}`)
  if (!ESTABLISHED_PROG_TYPES.includes(progType)) {
    throw new UxdpError('EOPNOTSUPP', `the helper and kfunc sets of ${progType} programs are not established`)
  }
}

function checkCaps(caps: unknown): Caps | undefined {
  if (caps === undefined) return undefined
  const c = checkOptions<Caps>('caps', caps, ['bpf', 'perfmon'])
  optBool('caps.bpf', c.bpf)
  optBool('caps.perfmon', c.perfmon)
  return c
}

function capsAllow(h: HelperInfo, caps: Caps | undefined): boolean {
  const cap = (h as HelperSpec).cap
  if (cap === 'CAP_BPF') return caps?.bpf !== false
  if (cap === 'CAP_PERFMON') return caps?.perfmon !== false
  return true
}

/** The helpers a program of this type may call: full specs where the policy has the prototype
 * (every helper XDP can call), else id, name and program types. */
export function helpersFor(progType: ProgTypeName, options: { caps?: Caps } = {}): (HelperSpec | HelperInfo)[] {
  const caps = checkCaps(checkOptions<{ caps: Caps }>('helpersFor', options, ['caps']).caps)
  established(progType)
  return HELPER_INFO.filter((h) => h.progTypes.includes(progType) && capsAllow(h, caps))
}

export interface KfuncsForOptions {
  /** Offer the seed's convenience kfuncs (uxdp extensions, not in the kernel); on the names both
   * sides use, the seed's version. Default false. */
  seed?: boolean
  /** The XDP program is loaded device-bound (needed for the metadata kfuncs). Default false. */
  devBound?: boolean
  /** User kfuncs to include. */
  userKfuncs?: KfuncRegistry | readonly KfuncSpec[]
}

function userSpecs(user: KfuncRegistry | readonly KfuncSpec[] | undefined): readonly KfuncSpec[] {
  if (user === undefined) return []
  return user instanceof KfuncRegistry ? user.list() : user
}

/** The described kfuncs a program of this type may call (kernel, then seed and user ones if asked). */
export function kfuncsFor(progType: ProgTypeName, options: KfuncsForOptions = {}): KfuncSpec[] {
  checkOptions<KfuncsForOptions>('kfuncsFor', options, ['seed', 'devBound', 'userKfuncs'])
  optBool('seed', options.seed)
  optBool('devBound', options.devBound)
  established(progType)
  const pool = [...kfuncTable({ seed: options.seed }), ...userSpecs(options.userKfuncs)]
  return pool.filter((k) => kfuncAllowed(k.progTypes, progType) && (k.requires !== 'dev-bound' || options.devBound === true))
}

/** Every 6.18 kernel kfunc name a program of this type may call, described or not. */
export function kernelKfuncNamesFor(progType: ProgTypeName): string[] {
  established(progType)
  return [...KERNEL_KFUNC_PROG_TYPES].filter(([, types]) => kfuncAllowed(types, progType)).map(([name]) => name)
}

/**
 * The engine's load options for a program type, from this policy: the helper ids and kernel kfunc
 * names it may call (the engine still offers only those it implements; device binding is
 * checkCalls' business), the seed switch, and the registry's implementations this program type
 * may call.
 */
export function loadOptionsFor(
  progType: ProgTypeName,
  options: { caps?: Caps; seed?: boolean; userKfuncs?: KfuncRegistry } = {},
): { helpers: number[]; kfuncs: string[]; seedKfuncs: boolean; userKfuncs: Record<string, KfuncImpl> } {
  checkOptions<{ caps: Caps; seed: boolean; userKfuncs: KfuncRegistry }>('loadOptionsFor', options, ['caps', 'seed', 'userKfuncs'])
  optBool('seed', options.seed)
  const user = options.userKfuncs
  if (user !== undefined && !(user instanceof KfuncRegistry)) throw new UxdpError('EINVAL', 'userKfuncs must be a KfuncRegistry')
  return {
    helpers: helpersFor(progType, { caps: options.caps }).map((h) => h.id),
    kfuncs: kernelKfuncNamesFor(progType),
    seedKfuncs: options.seed === true,
    userKfuncs: user ? Object.fromEntries(Object.entries(user.implementations()).filter(([n]) => kfuncAllowed(user.get(n)!.spec.progTypes, progType))) : {},
  }
}

export type HelperCall = number | { id: number; pc?: number }
export type KfuncCall = string | { name: string; pc?: number; weak?: boolean }

export interface CheckCallsInput {
  progType: ProgTypeName
  /** The program's licence section. */
  license: string
  helperIds?: readonly HelperCall[]
  kfuncNames?: readonly KfuncCall[]
  /** Kfuncs users implemented in TypeScript. */
  userKfuncs?: KfuncRegistry | readonly KfuncSpec[]
  /** Offer the seed's convenience kfuncs (as KfuncsForOptions.seed). Default false: kernel-exact. */
  seed?: boolean
  /** Loaded device-bound (BPF_F_XDP_DEV_BOUND_ONLY). Default false. */
  devBound?: boolean
  /** Loaded sleepable (BPF_F_SLEEPABLE; never for XDP). Default false. */
  sleepable?: boolean
  caps?: Caps
  /** The `seed-helpers` profile: helper ids 214..=221 are the seed's proposed helpers. */
  seedHelpers?: boolean
  /** Refuse calls this release lacks ("will this load on kernel 6.6"), naming the release that
   * added them. */
  targetKernel?: string
  /** The stability tiers allowed (default: all). */
  allowTiers?: readonly Tier[]
}

/** A refusal: the verifier's log line (or libbpf's warning), the call's pc when given, and the errno
 * the load fails with (EINVAL 22, EACCES 13). */
export type CheckResult = ({ ok: true } | { ok: false; message: string; pc?: number; errno: number }) & {
  /** Calls of deprecated and deprecating functions, each with its replacement. */
  warnings?: string[]
}

type Site = Parameters<typeof native.policyCheckCalls>[1][number]

function sites(input: CheckCallsInput): Site[] {
  const out: Site[] = []
  for (const h of input.helperIds ?? []) {
    const id = typeof h === 'number' ? h : h?.id
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new UxdpError('EINVAL', `helper ids must be integers, got ${String(id)}`)
    out.push({ helperId: id, pc: typeof h === 'number' ? undefined : h.pc })
  }
  for (const k of input.kfuncNames ?? []) {
    const name = typeof k === 'string' ? k : k?.name
    if (typeof name !== 'string' || name === '') throw new UxdpError('EINVAL', `kfunc names must be non-empty strings, got ${String(name)}`)
    out.push(typeof k === 'string' ? { kfunc: name } : { kfunc: name, pc: k.pc, weak: k.weak === true })
  }
  for (const s of out) {
    if (s.pc !== undefined && (!Number.isInteger(s.pc) || s.pc < 0)) throw new UxdpError('EINVAL', `pc must be a non-negative integer, got ${String(s.pc)}`)
  }
  return out
}

/** User kfunc specs as the engine's policy takes them (program types by number, flags as a mask). */
export function engineKfuncSpecs(user: KfuncRegistry | readonly KfuncSpec[] | undefined): EngineKfuncSpec[] {
  return userSpecs(user).map((k) => {
    const out: EngineKfuncSpec = {
      name: k.name,
      flags: kfFlagMask(k.flags),
      progTypes: k.progTypes === 'any' ? undefined : k.progTypes.map((t) => PROG_TYPE_IDS[t]),
    }
    // A declared C prototype goes to the verifier, which checks calls against it.
    if (k.lifecycle) {
      out.tier = k.lifecycle.tier
      if (k.lifecycle.since) out.since = k.lifecycle.since
      if (k.lifecycle.replacement) out.replacement = k.lifecycle.replacement
    }
    if (user instanceof KfuncRegistry && user.get(k.name)?.prototype) {
      out.ret = k.ret
      out.args = k.args.map((a) => ({ name: a.name, type: a.type, annotation: a.annotation }))
    }
    return out
  })
}

/** A user kfunc as the engine takes it (the binding's UserKfuncSpec). */
export interface EngineKfuncSpec {
  name: string
  flags: number
  progTypes?: number[]
  args?: { name: string; type: string; annotation?: string }[]
  ret?: string
  tier?: string
  since?: string
  replacement?: string
}

/**
 * Checks a program's helper and kfunc calls as libbpf and the 6.18 verifier would (the engine's
 * decision at load, on a list of calls), returning the first refusal:
 *
 * 1. libbpf, resolving kfunc externs: a name no kernel, seed (if offered) or user kfunc has
 *    (weak externs resolve to 0 and pass);
 * 2. the verifier's pass over kfunc calls before it runs the program: a non-GPL-compatible licence,
 *    then a metadata kfunc outside a device-bound program;
 * 3. the verifier's walk, in pc order: an unknown helper id, a helper the program type (or missing
 *    capability) does not get, a GPL-only helper from a non-GPL program, a sleeping helper in a
 *    non-sleepable program, a kfunc the program type does not get, a sleepable kfunc in a
 *    non-sleepable program.
 */
export function checkCalls(input: CheckCallsInput): CheckResult {
  if (typeof input !== 'object' || input === null) throw new UxdpError('EINVAL', 'checkCalls takes an object')
  checkOptions<CheckCallsInput>('checkCalls', input, ['progType', 'license', 'helperIds', 'kfuncNames', 'userKfuncs', 'seed', 'devBound', 'sleepable', 'caps', 'targetKernel', 'allowTiers', 'seedHelpers'])
  for (const k of ['seed', 'devBound', 'sleepable', 'seedHelpers'] as const) optBool(k, input[k])
  const caps = checkCaps(input.caps)
  const { progType } = input
  established(progType)
  const r = native.policyCheckCalls(
    {
      progType: PROG_TYPE_IDS[progType],
      license: typeof input.license === 'string' ? input.license : '',
      seed: input.seed,
      devBound: input.devBound,
      sleepable: input.sleepable,
      capBpf: caps?.bpf,
      capPerfmon: caps?.perfmon,
      userKfuncs: engineKfuncSpecs(input.userKfuncs),
      targetKernel: checkTargetKernel(input.targetKernel),
      seedHelpers: input.seedHelpers,
      allowTiers: checkTiers(input.allowTiers),
    },
    sites(input),
  )
  const warnings = r.warnings.length ? { warnings: r.warnings } : {}
  if (r.ok) return { ok: true, ...warnings }
  const out: CheckResult = { ok: false, message: r.message!, errno: r.errno!, ...warnings }
  if (r.pc !== undefined && r.pc !== null) out.pc = r.pc
  return out
}
