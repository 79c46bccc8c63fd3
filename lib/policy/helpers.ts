/**
 * BPF helpers as a 6.18 kernel defines them: every uapi helper id and name, which program types may
 * call each, which are GPL-only, and the full prototypes (`struct bpf_func_proto`) of every helper an
 * XDP program can call. The facts and their sources are the engine's prototype table
 * (crate/src/bpf/protos/helpers.rs); this module presents them by program type name.
 *
 * The helper freeze: no helper was added after 211; new kernel functions are kfuncs (./kfuncs).
 */
import { PROG_TYPE_IDS, progTypeNames, type ProgTypeName } from './progtypes'
import { lifecycleOf, type Lifecycle } from './lifecycle'
import { byName, TABLE } from './table'

/** Base argument kinds (`enum bpf_arg_type`, 6.18), with their values. */
export const BPF_ARG_TYPE: Readonly<Record<string, number>> = byName(TABLE.argTypes)

/** Base return kinds (`enum bpf_return_type`, 6.18), with their values. */
export const BPF_RETURN_TYPE: Readonly<Record<string, number>> = byName(TABLE.retTypes)

/** Type modifiers (`enum bpf_type_flag`, 6.18): bits above the base kind. */
export const BPF_TYPE_FLAG: Readonly<Record<string, number>> = byName(TABLE.typeFlags)

const ALIASES = new Map(TABLE.typeAliases.map((a) => [a.name, a.parts]))

/** An argument kind as the prototypes spell it: a base kind or shorthand, then `|`-joined modifiers
 * (`ARG_PTR_TO_MEM|MEM_RDONLY`). */
export type ArgType = string

/** A return kind as the prototypes spell it. */
export type RetType = string

/** The kernel's number for an argument or return kind: base value ORed with the modifier bits. */
export function protoTypeValue(type: ArgType | RetType): number {
  let value = 0
  const expand = (part: string): void => {
    const alias = ALIASES.get(part)
    if (alias) return alias.forEach(expand)
    const v = BPF_ARG_TYPE[part] ?? BPF_RETURN_TYPE[part] ?? BPF_TYPE_FLAG[part]
    if (v === undefined) throw new TypeError(`unknown prototype type part ${part}`)
    value |= v
  }
  type.split('|').forEach(expand)
  return value >>> 0
}

/** What the policy knows of any helper. */
export interface HelperInfo {
  id: number
  name: string
  /** The program types whose verifier accepts a call to it (only among ESTABLISHED_PROG_TYPES). */
  progTypes: readonly ProgTypeName[]
  /** Set wherever some established program type has its prototype; absent where none does. */
  gplOnly?: boolean
  /** Program types where the helper's prototype is not GPL-only although `gplOnly` is true. */
  gplOnlyExcept?: readonly ProgTypeName[]
  /** The first release with it, and its tier (see ./lifecycle). */
  lifecycle: Lifecycle
}

/** A helper's full prototype (`struct bpf_func_proto`) with the program types allowed to call it. */
export interface HelperSpec extends HelperInfo {
  ret: RetType
  args: ArgType[]
  gplOnly: boolean
  /** The capability `bpf_base_func_proto` / `bpf_sk_base_func_proto` want before offering it. */
  cap?: 'CAP_BPF' | 'CAP_PERFMON'
  /** `might_sleep`: callable only from sleepable programs (XDP never is). */
  mightSleep?: true
}

/** Every uapi helper name, indexed by id (0 is `BPF_FUNC_unspec`, never callable). */
export const HELPER_NAMES: readonly string[] = TABLE.helpers.map((h) => h.name)

/** The last helper id: the helper freeze. */
export const LAST_HELPER_ID = HELPER_NAMES.length - 1

function present(h: (typeof TABLE.helpers)[number]): HelperSpec | HelperInfo {
  const out: HelperInfo = { id: h.id, name: h.name, progTypes: progTypeNames(h.progTypes), lifecycle: lifecycleOf(h.lifecycle) }
  if (h.gplOnly !== undefined && h.gplOnly !== null) out.gplOnly = h.gplOnly
  if (h.gplOnlyExcept) out.gplOnlyExcept = progTypeNames(h.gplOnlyExcept)
  if (!h.ret || !h.args) return out
  const spec: HelperSpec = { ...out, ret: h.ret, args: [...h.args], gplOnly: h.gplOnly === true }
  if (h.cap) spec.cap = h.cap as HelperSpec['cap']
  if (h.mightSleep) spec.mightSleep = true
  return spec
}

/** Every helper 1..LAST_HELPER_ID: the full spec where known, else what is established. */
export const HELPER_INFO: readonly (HelperSpec | HelperInfo)[] = TABLE.helpers.filter((h) => h.id > 0).map(present)

/** Full prototypes of every helper an XDP program can call on 6.18, by id. */
export const HELPERS: readonly HelperSpec[] = HELPER_INFO.filter((h): h is HelperSpec => 'args' in h)

/** The helper with this id (undefined for 0 and unknown ids). */
export function helperInfo(id: number): HelperSpec | HelperInfo | undefined {
  return Number.isInteger(id) && id > 0 ? HELPER_INFO[id - 1] : undefined
}

/** A helper's prototype as one program type gets it (`struct bpf_func_proto`). */
export interface HelperProtoForType {
  ret: RetType
  args: ArgType[]
  /** `might_sleep`: callable only from sleepable programs. */
  mightSleep?: true
  /** `argN_size` of each `ARG_PTR_TO_FIXED_SIZE_MEM` argument, by argument index (0 is r1). */
  fixedSize?: Readonly<Record<number, number>>
}

/** The program types whose prototypes the table holds (XDP's, the socket filter's, tc's). */
export const PROTO_PROG_TYPES: readonly ProgTypeName[] = progTypeNames(
  [...new Set(TABLE.helpers.flatMap((h) => h.byProgType.map((p) => p.progType)))].sort((a, b) => a - b),
)

/**
 * The prototype this program type gets for helper `id`: where a type has its own variant (tc's
 * `bpf_skb_*` and `bpf_tc_*` prototypes, the socket filter's), that one. Undefined when the type
 * cannot call it, and for program types outside PROTO_PROG_TYPES.
 */
export function helperProtoFor(id: number, progType: ProgTypeName): HelperProtoForType | undefined {
  const h = Number.isInteger(id) && id > 0 ? TABLE.helpers[id] : undefined
  const p = h?.byProgType.find((x) => x.progType === PROG_TYPE_IDS[progType])
  if (!p) return undefined
  const out: HelperProtoForType = { ret: p.ret, args: [...p.args] }
  if (p.mightSleep) out.mightSleep = true
  const sized = p.fixedSize.flatMap((size, i) => (size ? [[i, size] as const] : []))
  if (sized.length) out.fixedSize = Object.fromEntries(sized)
  return out
}

/** The helper's full prototype, when the policy has it. */
export function helperSpec(id: number): HelperSpec | undefined {
  const h = helperInfo(id)
  return h && 'args' in h ? h : undefined
}

/** The helper id for a name (`bpf_` prefix optional), or undefined. */
export function helperId(name: string): number | undefined {
  const full = name.startsWith('bpf_') ? name : `bpf_${name}`
  const id = HELPER_NAMES.indexOf(full)
  return id > 0 ? id : undefined
}

/** Whether a helper's prototype is GPL-only for a program type. */
export function helperIsGplOnly(h: HelperInfo, progType: ProgTypeName): boolean {
  return h.gplOnly === true && !(h.gplOnlyExcept ?? []).includes(progType)
}
