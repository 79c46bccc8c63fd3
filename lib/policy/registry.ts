import type { KfuncImpl } from '../bpf'
import { checkOptions, UxdpError } from '../errors'
import { HELPER_NAMES } from './helpers'
import { KERNEL_KFUNC_PROG_TYPES, KF_FLAGS, SEED_KFUNCS, type KfFlag, type KfuncArg, type KfuncSpec } from './kfuncs'
import { isProgTypeName, type ProgTypeName } from './progtypes'


/** What a user gives to register a kfunc; unset fields default to no flags, no arguments, `void`,
 * every program type. */
export interface UserKfuncSpec {
  name: string
  flags?: readonly KfFlag[]
  args?: readonly KfuncArg[]
  ret?: string
  progTypes?: readonly ProgTypeName[] | 'any'
}

/** A registered user kfunc: its spec (origin 'user', never native) and implementation. */
export interface UserKfunc {
  spec: KfuncSpec
  impl: KfuncImpl
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
    checkOptions<KfuncSpec>('register', spec, ['name', 'flags', 'args', 'ret', 'progTypes', 'origin', 'native', 'since', 'requires'])
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
    const args = (spec.args ?? []).map((a) => ({ ...a }))
    if (args.length > MAX_ARGS) throw new UxdpError('E2BIG', `kfunc ${name}: at most ${MAX_ARGS} arguments, got ${args.length}`)
    const progTypes = spec.progTypes ?? 'any'
    if (progTypes !== 'any' && (!Array.isArray(progTypes) || !progTypes.every(isProgTypeName))) {
      throw new UxdpError('EINVAL', `kfunc ${name}: progTypes must be 'any' or program type names`)
    }
    const full: KfuncSpec = {
      name,
      flags: [...new Set(flags)],
      args,
      ret: spec.ret ?? 'void',
      progTypes: progTypes === 'any' ? 'any' : [...progTypes],
      origin: 'user',
      native: false,
    }
    this.#kfuncs.set(name, { spec: full, impl })
    return full
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
