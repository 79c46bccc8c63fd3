/**
 * Kernel functions (kfuncs) as a 6.18 kernel offers them to BPF programs: their `KF_*` flags, C
 * prototypes (vmlinux BTF), and the program types whose verifier accepts a call to them.
 *
 * After the helper freeze every new kernel function is a kfunc: dynptrs beyond helpers 197–203,
 * XDP metadata, `bpf_xdp_pull_data` (new in 6.18), iterators, RCU, object allocation, ...
 *
 * The facts and their sources are the engine's prototype table (crate/src/bpf/protos/kfuncs.rs),
 * whose dynptr kfuncs come from the dynptr engine's own table (`dynptrFunctions()`), which also
 * lists the seed's convenience kfuncs (not in any kernel).
 */
import { checkOptions, optBool } from '../errors'
import { ESTABLISHED_PROG_TYPES, progTypeNames, type ProgTypeName } from './progtypes'
import { lifecycleOf, type Lifecycle } from './lifecycle'
import { byName, TABLE } from './table'

/** `KF_*` kfunc flags (include/linux/btf.h, 6.18). Bit 3 (the former KF_KPTR_GET) is unused. */
export const KF_FLAGS: Readonly<Record<string, number>> = byName(TABLE.kfFlags)

export type KfFlag = string

/** The flag names set in a `KF_*` bit mask (ascending bits); throws on bits 6.18 does not define. */
export function kfFlagNames(mask: number): KfFlag[] {
  const names = Object.keys(KF_FLAGS).filter((f) => (mask & KF_FLAGS[f]) !== 0)
  if (names.reduce((m, f) => m | KF_FLAGS[f], 0) !== mask) throw new RangeError(`unknown KF_* bits in 0x${mask.toString(16)}`)
  return names
}

/** The `KF_*` bit mask of flag names. */
export function kfFlagMask(flags: readonly KfFlag[]): number {
  return flags.reduce((m, f) => m | KF_FLAGS[f], 0)
}

export interface KfuncArg {
  /** The parameter name without its annotation suffix. */
  name: string
  /** The C type. */
  type: string
  /** The verifier's name-suffix annotation (`__uninit`, `__opt`, `__szk`, `__sz`, `__k`, `__ign`,
   * `__str`, `__map`, `__alloc`, `__prog`, `__irq_flag`, `__refcounted_kptr`, `__nullable`). */
  annotation?: string
}

export interface KfuncSpec {
  name: string
  flags: KfFlag[]
  args: KfuncArg[]
  /** The C return type. */
  ret: string
  /** Program types whose verifier accepts a call (among ESTABLISHED_PROG_TYPES), or `'any'`. */
  progTypes: readonly ProgTypeName[] | 'any'
  /** 'kernel': a 6.18 kfunc; 'seed': the seed's convenience API, offered by uxdp only; 'user':
   * registered in a KfuncRegistry. */
  origin: 'kernel' | 'seed' | 'user'
  /** Whether the uxdp engine implements it natively (see withNativeKfuncs). */
  native: boolean
  /** The first kernel version with it, where known. */
  since?: string
  /** A load condition beyond the program type: metadata kfuncs need a device-bound XDP program. */
  requires?: 'dev-bound'
  /** Its tier and first release (see ./lifecycle): a kernel kfunc's from the table, the seed's
   * `unstable` and in no release, a user kfunc's as registered (default `unstable`). */
  lifecycle?: Lifecycle
}

function present(k: (typeof TABLE.kfuncs)[number]): KfuncSpec {
  const out: KfuncSpec = {
    name: k.name,
    flags: kfFlagNames(k.flags),
    args: k.args.map((a) => (a.annotation ? { name: a.name, type: a.type, annotation: a.annotation } : { name: a.name, type: a.type })),
    ret: k.ret,
    progTypes: k.progTypes ? progTypeNames(k.progTypes) : 'any',
    origin: k.origin as KfuncSpec['origin'],
    native: k.dynptr,
  }
  if (k.since) out.since = k.since
  if (k.devBound) out.requires = 'dev-bound'
  const kernel = TABLE.kernelKfuncs.find((x) => x.name === k.name)
  out.lifecycle = k.origin === 'kernel' && kernel ? lifecycleOf(kernel.lifecycle) : { tier: 'unstable' }
  return out
}

/** The kernel kfuncs described in full: every dynptr kfunc, XDP's, and the generic ones. */
export const KFUNCS: readonly KfuncSpec[] = TABLE.kfuncs.map(present)

/** The seed's convenience kfuncs (uxdp extensions, opt-in). Three share a kernel kfunc's name
 * (bpf_dynptr_is_null, _is_rdonly, _clone; the seed's clone takes an offset). */
export const SEED_KFUNCS: readonly KfuncSpec[] = TABLE.seedKfuncs.map(present)

/**
 * The described kfuncs programs see: the kernel's; with `seed`, the seed's API as well, its version
 * replacing the kernel's where both use a name (as the engine's `seedKfuncs` load option resolves
 * them).
 */
export function kfuncTable(options: { seed?: boolean } = {}): KfuncSpec[] {
  if (!optBool('seed', checkOptions<{ seed: boolean }>('kfuncTable', options, ['seed']).seed)) return [...KFUNCS]
  const seed = new Map(SEED_KFUNCS.map((k) => [k.name, k]))
  const out = KFUNCS.map((k) => seed.get(k.name) ?? k)
  return [...out, ...SEED_KFUNCS.filter((k) => !KFUNCS.some((c) => c.name === k.name))]
}

/** Every kfunc name of the 6.18 kernel, with the program types that may call it. */
export const KERNEL_KFUNC_PROG_TYPES: ReadonlyMap<string, readonly ProgTypeName[] | 'any'> = new Map(
  TABLE.kernelKfuncs.map((k): [string, readonly ProgTypeName[] | 'any'] => [k.name, k.progTypes ? progTypeNames(k.progTypes) : 'any']),
)

export const KERNEL_KFUNC_NAMES: readonly string[] = [...KERNEL_KFUNC_PROG_TYPES.keys()].sort()

/** The kernel kfuncs that are KF_SLEEPABLE, described or not (the verifier asks for a sleepable
 * program before anything else about them). */
export const SLEEPABLE_KERNEL_KFUNCS: ReadonlySet<string> = new Set(TABLE.kernelKfuncs.filter((k) => k.sleepable).map((k) => k.name))

/** Whether a kfunc's program types include this one. */
export function kfuncAllowed(progTypes: readonly ProgTypeName[] | 'any', progType: ProgTypeName): boolean {
  return progTypes === 'any' ? ESTABLISHED_PROG_TYPES.includes(progType) : progTypes.includes(progType)
}

/** The table with `native` set from the engine's list of natively implemented kfunc names. */
export function withNativeKfuncs(implemented: Iterable<string>, table: readonly KfuncSpec[] = KFUNCS): KfuncSpec[] {
  const names = new Set(implemented)
  return table.map((k) => ({ ...k, native: names.has(k.name) }))
}
