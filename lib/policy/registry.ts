import type { KfuncImpl } from '../bpf'
import { checkOptions, UxdpError } from '../errors'
import { HELPER_NAMES } from './helpers'
import { KERNEL_KFUNC_PROG_TYPES, KF_FLAGS, SEED_KFUNCS, type KfFlag, type KfuncArg, type KfuncSpec } from './kfuncs'
import { checkTargetKernel, TIERS, type Tier } from './lifecycle'
import { isProgTypeName, type ProgTypeName } from './progtypes'


/**
 * What a user gives to register a kfunc; unset fields default to no flags, no arguments, `void`,
 * every program type.
 *
 * A declaration with a C prototype — `proto` (`'long my_sum(const u8 *buf, u32 buf__sz)'`), or
 * `args` and `ret` — is enforced by the verifier as a kernel kfunc's: arguments by their C types
 * and the kernel's name-suffix annotations (`__sz`, `__szk`, `__k`, `__opt`, `__uninit`, `__ign`,
 * `__nullable`, `__str`: `buf__sz` or `{ name: 'buf', annotation: '__sz' }`), the result by its
 * type, and the `KF_*` flags (KF_ACQUIRE: the result is a reference the program must release;
 * KF_RET_NULL: it must be null-checked; KF_SLEEPABLE, KF_DESTRUCTIVE, KF_TRUSTED_ARGS,
 * KF_RELEASE). A declaration without one takes anything and returns a scalar.
 */
export interface UserKfuncSpec {
  name?: string
  flags?: readonly KfFlag[]
  args?: readonly KfuncArg[]
  ret?: string
  progTypes?: readonly ProgTypeName[] | 'any'
  /** The C prototype, `RET NAME(TYPE ARG, ...)`; gives `name` (when unset), `ret` and `args`. */
  proto?: string
  /** Its stability tier, as the module providing it declares (default 'unstable'); a load warns
   * of a call to a 'deprecated' or 'starting-to-deprecate' one, and `allowTiers` may refuse it. */
  tier?: Tier
  /** The first kernel release with it; `targetKernel` refuses it on an older one. */
  since?: string
  /** What to call instead (for a deprecated one). */
  replacement?: string
}

/** A registered user kfunc: its spec (origin 'user', never native) and implementation. */
export interface UserKfunc {
  spec: KfuncSpec
  impl: KfuncImpl
  /** Whether the declaration gave a C prototype (`proto`, `args` or `ret`): the verifier checks
   * calls against it. */
  prototype: boolean
}

/** The annotations the verifier reads on a user kfunc's arguments (longest first where one ends
 * another, as the kernel matches them). */
export const KFUNC_ARG_ANNOTATIONS: readonly string[] = ['__uninit', '__opt', '__szk', '__sz', '__k', '__ign', '__str', '__nullable']

/** Splits `buf__sz` into `buf` and `__sz`. */
function splitAnnotation(name: string): { name: string; annotation?: string } {
  const a = KFUNC_ARG_ANNOTATIONS.find((x) => name.length > x.length && name.endsWith(x))
  return a ? { name: name.slice(0, -a.length), annotation: a } : { name }
}

/**
 * Parses a C prototype: `long my_sum(const u8 *buf, u32 buf__sz)`, `struct foo *my_get(void)`.
 * Each parameter's name is its last identifier; what comes before it is its type.
 */
export function parseKfuncProto(proto: string): { name: string; ret: string; args: KfuncArg[] } {
  const m = /^\s*([^()]*?[\s*])([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*;?\s*$/.exec(proto)
  if (!m) throw new UxdpError('EINVAL', `kfunc prototype must read 'RET NAME(TYPE ARG, ...)', got ${JSON.stringify(proto)}`)
  const ret = m[1].trim().replace(/\s+\*/g, ' *').replace(/\s+/g, ' ')
  if (ret === '') throw new UxdpError('EINVAL', `kfunc prototype ${JSON.stringify(proto)} has no return type`)
  const params = m[3].trim()
  const args: KfuncArg[] =
    params === '' || params === 'void'
      ? []
      : params.split(',').map((p) => {
          const a = /^(.*?[\s*])([A-Za-z_][A-Za-z0-9_]*)$/.exec(p.trim())
          if (!a || a[1].trim() === '') throw new UxdpError('EINVAL', `kfunc prototype ${JSON.stringify(proto)}: parameter '${p.trim()}' needs a type and a name`)
          const type = a[1].trim().replace(/\s+\*/g, ' *').replace(/\s+/g, ' ')
          return { type, ...splitAnnotation(a[2]) }
        })
  return { name: m[2], ret, args }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
/** BTF limits kfunc arguments to the five argument registers. */
const MAX_ARGS = 5

const takenByKernel = (name: string): string | undefined => {
  if (KERNEL_KFUNC_PROG_TYPES.has(name)) return 'a kernel kfunc'
  if (SEED_KFUNCS.some((k) => k.name === name)) return "one of the seed's kfuncs"
  if (HELPER_NAMES.includes(name)) return 'a BPF helper'
  return undefined
}

/**
 * Kfuncs users implement in TypeScript. Names are unique: registering a kernel kfunc's name (or a
 * seed kfunc's or a helper's) or one already registered fails with EEXIST.
 */
export class KfuncRegistry {
  readonly #kfuncs = new Map<string, UserKfunc>()

  register(spec: UserKfuncSpec, impl: KfuncImpl): KfuncSpec {
    if (typeof spec !== 'object' || spec === null) throw new UxdpError('EINVAL', 'register takes a kfunc spec object')
    // A full KfuncSpec (from list()) registers too: its origin, native, since and requires are
    // what the registry decides, so they are ignored.
    checkOptions<KfuncSpec & { proto: string; tier: Tier; replacement: string }>('register', spec, ['name', 'flags', 'args', 'ret', 'progTypes', 'origin', 'native', 'since', 'requires', 'proto', 'lifecycle', 'tier', 'replacement'])
    const prototype = spec.proto !== undefined || spec.args !== undefined || spec.ret !== undefined
    if (spec.proto !== undefined) {
      if (typeof spec.proto !== 'string') throw new UxdpError('EINVAL', `kfunc ${String(spec.name)}: proto must be a C prototype string`)
      if (spec.args !== undefined || spec.ret !== undefined) throw new UxdpError('EINVAL', `kfunc ${String(spec.name ?? spec.proto)}: give proto, or args and ret, not both`)
      const parsed = parseKfuncProto(spec.proto)
      if (spec.name !== undefined && spec.name !== parsed.name) throw new UxdpError('EINVAL', `kfunc ${String(spec.name)}: the prototype names ${parsed.name}`)
      spec = { ...spec, name: parsed.name, args: parsed.args, ret: parsed.ret, proto: undefined }
    }
    if (spec.flags !== undefined && !Array.isArray(spec.flags as unknown)) throw new UxdpError('EINVAL', `kfunc ${String(spec.name)}: flags must be an array of KF_* names`)
    if (spec.args !== undefined && !Array.isArray(spec.args as unknown)) throw new UxdpError('EINVAL', `kfunc ${String(spec.name)}: args must be an array`)
    if (spec.ret !== undefined && typeof spec.ret !== 'string') throw new UxdpError('EINVAL', `kfunc ${String(spec.name)}: ret must be a type name`)
    const { name } = spec
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) throw new UxdpError('EINVAL', `kfunc name must be a C identifier, got ${String(name)}`)
    if (typeof impl !== 'function') throw new UxdpError('EINVAL', `kfunc ${name}: the implementation must be a function`)
    const kernel = takenByKernel(name)
    if (kernel) throw new UxdpError('EEXIST', `kfunc ${name}: the name is ${kernel}`)
    if (this.#kfuncs.has(name)) throw new UxdpError('EEXIST', `kfunc ${name} is already registered`)
    const flags = [...(spec.flags ?? [])]
    for (const f of flags) if (!Object.prototype.hasOwnProperty.call(KF_FLAGS, f)) throw new UxdpError('EINVAL', `kfunc ${name}: unknown flag ${String(f)}`)
    flags.sort((a, b) => KF_FLAGS[a] - KF_FLAGS[b])
    const args = (spec.args ?? []).map((a, i) => {
      if (typeof a !== 'object' || a === null || typeof a.name !== 'string' || typeof a.type !== 'string' || a.type.trim() === '') {
        throw new UxdpError('EINVAL', `kfunc ${name}: args[${i}] must be { name, type, annotation? }`)
      }
      const split = a.annotation === undefined ? splitAnnotation(a.name) : { name: a.name, annotation: a.annotation }
      if (split.annotation !== undefined && !KFUNC_ARG_ANNOTATIONS.includes(split.annotation)) {
        throw new UxdpError('EINVAL', `kfunc ${name}: unknown annotation ${String(split.annotation)} on argument ${a.name} (the annotations are ${KFUNC_ARG_ANNOTATIONS.join(', ')})`)
      }
      return split.annotation ? { name: split.name, type: a.type.trim(), annotation: split.annotation } : { name: split.name, type: a.type.trim() }
    })
    if (args.length > MAX_ARGS) throw new UxdpError('E2BIG', `kfunc ${name}: at most ${MAX_ARGS} arguments, got ${args.length}`)
    const progTypes = spec.progTypes ?? 'any'
    if (progTypes !== 'any' && (!Array.isArray(progTypes) || !progTypes.every(isProgTypeName))) {
      throw new UxdpError('EINVAL', `kfunc ${name}: progTypes must be 'any' or program type names`)
    }
    // A full KfuncSpec (from list()) carries its lifecycle; a declaration gives tier, since, replacement.
    const declared = (spec as KfuncSpec).lifecycle ?? { tier: spec.tier ?? 'unstable', since: spec.since, replacement: spec.replacement }
    if (!TIERS.includes(declared.tier)) throw new UxdpError('EINVAL', `kfunc ${name}: tier must be one of ${TIERS.join(', ')}, got ${String(declared.tier)}`)
    if (declared.since !== undefined) checkTargetKernel(declared.since)
    if (declared.replacement !== undefined && typeof declared.replacement !== 'string') throw new UxdpError('EINVAL', `kfunc ${name}: replacement must be a function name`)
    const lifecycle: KfuncSpec['lifecycle'] = { tier: declared.tier }
    if (declared.since !== undefined) lifecycle.since = declared.since
    if (declared.replacement !== undefined) lifecycle.replacement = declared.replacement
    const full: KfuncSpec = {
      name,
      flags: [...new Set(flags)],
      args,
      ret: spec.ret ?? 'void',
      progTypes: progTypes === 'any' ? 'any' : [...progTypes],
      origin: 'user',
      native: false,
      lifecycle,
    }
    if (lifecycle.since !== undefined) full.since = lifecycle.since
    this.#kfuncs.set(name, { spec: full, impl, prototype })
    return full
  }

  /** @internal Copies another registry's kfuncs (prototypes as declared). */
  adopt(other: KfuncRegistry): void {
    for (const k of other.#kfuncs.values()) {
      if (this.#kfuncs.has(k.spec.name)) throw new UxdpError('EEXIST', `kfunc ${k.spec.name} is already registered`)
      this.#kfuncs.set(k.spec.name, k)
    }
  }

  /** Removes a registered kfunc; ENOENT if there is none by that name. */
  unregister(name: string): void {
    if (!this.#kfuncs.delete(name)) throw new UxdpError('ENOENT', `kfunc ${name} is not registered`)
  }

  has(name: string): boolean {
    return this.#kfuncs.has(name)
  }

  get(name: string): UserKfunc | undefined {
    return this.#kfuncs.get(name)
  }

  /** The registered kfuncs' specs, in registration order. */
  list(): KfuncSpec[] {
    return [...this.#kfuncs.values()].map((k) => k.spec)
  }

  get size(): number {
    return this.#kfuncs.size
  }

  /** The implementations by name, as `LoadOptions.userKfuncs` takes them. */
  implementations(): Record<string, KfuncImpl> {
    return Object.fromEntries([...this.#kfuncs].map(([name, k]) => [name, k.impl]))
  }
}
