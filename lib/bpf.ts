import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { call, checkBytes, checkInt, checkOptions, checkU32, describe, ERRNO, fsError, optBool, optInt, optMillis, optString, UxdpError, type ErrnoName } from './errors'
import { native } from './native'
import { decodeMd, encodeMd, type XdpMd } from './xdpmd'
import { checkTargetKernel, checkTiers, engineKfuncSpecs, KfuncRegistry, type Caps, type Tier } from './policy'
import { HostNet, HostSocket, type NetnsRef } from './hostnet'


export type { XdpMd } from './xdpmd'
import { decodeSkBuff, encodeSkBuff, type SkBuff } from './skbuff'
export type { SkBuff } from './skbuff'

/** BPF_PROG_TEST_RUN options of a tc (SCHED_CLS / SCHED_ACT) or socket-filter program. */
export interface SkbTestRunOptions {
  /** data_in: the frame from its Ethernet header, 14 to 3712 bytes (6.18 builds a linear skb). */
  data: Uint8Array
  /** ctx_in (`struct __sk_buff`); given, the result has ctxOut. */
  ctx?: Partial<SkBuff>
  /** Runs on the same skb; the duration is the average. */
  repeat?: number
  /** The host model the run sees: its sockets and routes (the socket-lookup, FIB and MTU helpers ask
   * it; default: a host with a loopback device only; ctx.ifindex may then name any of its devices, the
   * skb's device, `skb->dev`, which the lookups and bpf_fib_lookup's MTU check use) and its conntrack
   * table (the conntrack kfuncs). */
  host?: HostNet
  /** The namespace of `host` the skb's device is in (default the first). */
  netns?: NetnsRef
}

export interface SkbTestRunResult {
  /** r0 as the kernel reports it (u32): a tc action, or for a socket filter the bytes to keep. */
  retval: number
  /** `skb->len` bytes from `skb->data`: the frame for tc; for a socket filter 14 zero bytes where
   * the Ethernet header was, then the packet from its network header (as the kernel gives it). */
  dataOut: Buffer
  durationNs: number
  /** ctx_in with the fields the kernel copies back (mark, priority, ingressIfindex, ifindex,
   * tstamp, cb, wireLen, gsoSegs, hwtstamp); present when ctx was given. */
  ctxOut?: SkBuff
  /** What bpf_redirect asked for in the last run (TC_ACT_REDIRECT). */
  redirect?: { ifindex: number; flags: number }
  insns: number
  trace: string[]
}

/** The program types whose test_run builds an skb. */
const SKB_KINDS: readonly string[] = ['SchedCls', 'SchedAct', 'SocketFilter']

export interface TestRunOptions {
  /** data_in: metadata (ctx.data bytes) then the packet. */
  data: Uint8Array
  /** ctx_in. Given without `dataEnd`, the whole input is linear as far as it fits. */
  ctx?: Partial<XdpMd>
  /** Runs on the same buffer, as the kernel's repeat does; the duration is the average. */
  repeat?: number
  /**
   * A time budget for the repeat loop, in milliseconds: once it is used up the loop stops and the
   * run fails with ETIMEDOUT, saying how many runs completed. The engine reads the clock between
   * slices of runs (about once a millisecond), not per run.
   */
  timeoutMs?: number
  /** The host's sockets and routes the socket-lookup, FIB, MTU and syncookie helpers ask (default:
   * a host with a loopback device only). */
  host?: HostNet
  /** The namespace of `host` the run's device (loopback, ifindex 1) is in (default the first). */
  netns?: NetnsRef
}

export interface TestRunAsyncOptions extends TestRunOptions {
  /** Aborting it stops the repeat loop at the next slice: the run fails with EINTR, as the
   * kernel's loop stops on a pending signal. */
  signal?: AbortSignal
}

const TEST_RUN_KEYS = ['data', 'ctx', 'repeat', 'timeoutMs', 'host', 'netns'] as const
/** Milliseconds a slice of an asynchronous test_run runs before yielding to the event loop. */
const ASYNC_SLICE_MS = 20

export interface TestRunResult {
  retval: number
  /** From data_meta to the end of the last frag. */
  dataOut: Buffer
  durationNs: number
  ctxOut: XdpMd
  /** Instructions the last run executed. */
  insns: number
  /** What bpf_trace_printk wrote. */
  trace: string[]
}

export type ProgramKind =
  | 'Xdp'
  | 'SchedCls'
  | 'SchedAct'
  | 'SocketFilter'
  | 'Kprobe'
  | 'Tracepoint'
  | 'RawTracepoint'
  | 'Tracing'
  | 'StructOps'
  | 'CgroupSkb'
  | 'Lsm'
  | 'Syscall'
  | 'Unknown'

/**
 * A CO-RE relocation clang recorded in `.BTF.ext`, as it resolves against the default target BTF
 * (Linux 6.18 as uxdp models it; a load may name another, `LoadOptions.btf`).
 */
export interface CoreReloInfo {
  /** The record's index among its ELF section's CO-RE records (libbpf's `relo #N`). */
  index: number
  section: string
  /** The relocated instruction, numbered in the program as `uxdp prog dump` prints it. */
  insn: number
  /** In libbpf's words: `byte_off`, `field_exists`, `type_exists`, `enumval_value`, ... */
  kind: string
  /** libbpf's local spec: `[8] struct foo.b (0:1 @ offset 4)`. */
  spec: string
  /** false when the relocation fails the load (libbpf's error, in `reason`). */
  accepted: boolean
  /** libbpf's lines when it fails the load, or why the instruction is poisoned; null when it resolves. */
  reason: string | null
  /** The value written into the instruction; null when poisoned or failing. */
  value: number | null
  /** The target spec it matched (`[N] struct sk_buff.len (0:0 @ offset 112)`); null when nothing matched. */
  target: string | null
}

export interface ProgramInfo {
  name: string
  section: string
  kind: ProgramKind
  frags: boolean
  autoload: boolean
  loaded: boolean
  insns: number
  coreRelos: CoreReloInfo[]
}

/** uapi `enum bpf_map_type` names, as bpftool prints them, of the map types the engine emulates
 * (its table: crate/src/bpf/mapdef.rs). */
export const MAP_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(native.bpfMapTypes().map((t) => [t.value, t.name])),
)

export interface MapInfo {
  name: string
  type: number
  typeName: string
  keySize: number
  valueSize: number
  maxEntries: number
  flags: number
}

export interface ExternInfo {
  name: string
  weak: boolean
  func: boolean
}

/** A kfunc implemented in TypeScript: gets r1..r5 as unsigned 64-bit values, returns r0. */
export type KfuncImpl = (...args: bigint[]) => bigint | number

export interface LoadOptions {
  /** Load only this program (and the programs its prog arrays name). */
  prog?: string
  /** Narrows the helpers programs may call to these ids; default: what the kernel gives the program type. */
  helpers?: readonly number[]
  /** Narrows the kernel kfuncs programs may call to these names; default: what the kernel gives the program type. */
  kfuncs?: readonly string[]
  /** Resolve dynptr kfunc names to the seed's convenience API where both exist. */
  seedKfuncs?: boolean
  /** The `seed-helpers` profile: the helper ids the seed proposed for its API (214..=221:
   * advance, trim, is_null, is_rdonly, get_size, get_offset, clone, iterator) call it. They never
   * reached uapi (the helper freeze made them kfuncs): each call is warned of, and without this a
   * call is the kernel's `invalid func unknown#N`. */
  seedHelpers?: boolean
  /** kfuncs implemented in TypeScript, by name (callable from any program type). */
  userKfuncs?: Readonly<Record<string, KfuncImpl>>
  /** kfuncs implemented in TypeScript with their specs (program types, flags), checked by the policy. */
  registry?: KfuncRegistry
  /** Loaded device-bound (BPF_F_XDP_DEV_BOUND_ONLY): what the XDP metadata kfuncs need. */
  devBound?: boolean
  /** false: skip the engine's prototype-table checks; every helper and kfunc it implements is callable. */
  policy?: boolean
  /** CPUs per-CPU maps keep values for. Default 1. */
  nrCpus?: number
  /**
   * false: run the programs in the interpreter only. Default: compiled to x86-64 where the engine
   * can (Linux x86-64; `UXDP_JIT=0` in the environment turns the JIT off for the whole process).
   */
  jit?: boolean
  /**
   * false: load without the verifier, with the structural checks only (today's raw behaviour, for
   * ISA work and for programs the kernel would refuse on purpose). Default: every program is
   * verified as Linux 6.18 verifies it, and a refusal throws UxdpError with the kernel's line
   * (`line`), errno, `pc`, `insn` and the verifier's log.
   */
  verify?: boolean
  /** The verifier's log level, the kernel's bit mask: 0 (default; a refusal still carries the
   * level-1 log, as libbpf retries with a log), 1 (the path to the error: each instruction, the
   * registers it touched, the source lines), 2 (every path, with the state where each resumes), 4
   * (adds `verification time` and `stack depth` to the statistics), 8 (the kernel's fixed-size log: no
   * effect here, uxdp's log has no size); `bpftool -d` asks for 7. */
  logLevel?: number
  /** The verifier's complexity limit in instructions processed (default 1,000,000). */
  insnLimit?: number
  /** The loader's capabilities (default: CAP_BPF and CAP_PERFMON); without them the verifier
   * applies its unprivileged rules and the policy withholds some helpers. */
  caps?: Caps
  /**
   * "Will this load on kernel X": a release such as '6.6'. A call to a helper or kfunc that
   * release lacks is refused as that kernel would refuse it (`invalid func unknown#N`, libbpf's
   * "not found in kernel or module BTFs"), with the release that added it; so are the seed's
   * kfuncs, in no release. Beyond the kernel: uxdp's lifecycle policy (`lifecycle()`).
   */
  targetKernel?: string
  /** The stability tiers calls may have (default: all); see `lifecycle()`. Calls of deprecated
   * and deprecating functions are warned of in any case (`Program.warnings`, the log). */
  allowTiers?: readonly Tier[]
  /** @internal A declared struct_ops-like type (lib/structops.ts builds it). */
  structOps?: StructOpsEngineSpec
  /**
   * The kernel BTF that CO-RE relocations and typed `__ksym` variables resolve against:
   * `'uxdp-6.18'` (default: Linux 6.18 x86-64 as uxdp models it, shipped trimmed to the types
   * programs reach), `'host'` (`/sys/kernel/btf/vmlinux`), a path to a raw BTF file, or its bytes.
   */
  btf?: TargetBtf
  /**
   * `.kconfig` values (libbpf's `kconfig` option), taken before uxdp's model config (Linux
   * 6.18.44's): `{ CONFIG_X: 'y' | 'n' | 'm' | true | false | 42 | 'text' }`. A string other
   * than y/n/m or a number is a string value. `LINUX_KERNEL_VERSION` and the other `LINUX_`
   * values may be set too (beyond libbpf, which reads them from the running kernel).
   */
  kconfig?: Readonly<Record<string, KconfigValue>>
}

/** {@link BpfObject.fromInstructions}'s options: the program's name, section (its type) and licence,
 * and the options any load takes. */
export interface RawProgramOptions extends Omit<LoadOptions, 'prog'> {
  /** The program's name (default 'prog'). */
  name?: string
  /** A libbpf section name picking the type: 'xdp' (default), 'xdp.frags', 'tc', 'socket', ... */
  section?: string
  /** Default 'GPL' (GPL-only helpers need a GPL-compatible licence). */
  license?: string
}

/** The target BTF of a load: `'uxdp-6.18'`, `'host'`, a path, or raw BTF bytes. */
export type TargetBtf = 'uxdp-6.18' | 'host' | (string & {}) | Uint8Array

/** A `.kconfig` value: y/n/m, a boolean (y/n), a number, or a string. */
export type KconfigValue = string | number | bigint | boolean

/** @internal A kconfig value as a config line writes it. */
function kconfigLine(name: string, v: unknown): string {
  if (typeof v === 'boolean') return v ? 'y' : 'n'
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new UxdpError('EINVAL', `kconfig.${name} must be an integer, got ${v}`)
    return String(v)
  }
  if (typeof v === 'bigint') return String(v)
  if (typeof v !== 'string') throw new UxdpError('EINVAL', `kconfig.${name} must be y/n/m, a boolean, a number or a string, got ${describe(v)}`)
  if (/^[ynm]$/.test(v) || /^"/.test(v) || /^[-+]?(0x[0-9a-f]+|\d+)$/i.test(v)) return v
  return `"${v}"`
}

/** @internal The target BTF and kconfig options as the engine takes them. */
export function targetOptions(o: Pick<LoadOptions, 'btf' | 'kconfig'>): { btf?: string; btfBytes?: Buffer; kconfig?: Record<string, string> } {
  let btf: string | undefined
  let btfBytes: Buffer | undefined
  if (o.btf instanceof Uint8Array) btfBytes = Buffer.from(o.btf)
  else if (typeof o.btf === 'string') btf = o.btf
  else if (o.btf !== undefined) throw new UxdpError('EINVAL', `btf must be 'uxdp-6.18', 'host', a path or BTF bytes, got ${describe(o.btf)}`)
  let kconfig: Record<string, string> | undefined
  if (o.kconfig !== undefined) {
    if (o.kconfig === null || typeof o.kconfig !== 'object' || Array.isArray(o.kconfig)) throw new UxdpError('EINVAL', `kconfig must be an object of values by name, got ${describe(o.kconfig)}`)
    kconfig = Object.fromEntries(Object.entries(o.kconfig).map(([k, v]) => [k, kconfigLine(k, v)]))
  }
  return { btf, btfBytes, kconfig }
}

/** @internal The engine's form of a declared struct_ops-like type. */
export type StructOpsEngineSpec = NonNullable<NonNullable<Parameters<typeof native.bpfObjectLoad>[1]>['structOps']>

type ObjectHandle = ReturnType<typeof native.bpfObjectLoad>

/** @internal An object file's bytes (a path or the bytes themselves). */
export function bytesOf(source: string | Uint8Array): Uint8Array {
  if (typeof source === 'string') {
    try {
      return readFileSync(source)
    } catch (e) {
      throw fsError(e, 'cannot read', source)
    }
  }
  if (!(source instanceof Uint8Array)) throw new UxdpError('EINVAL', `an object file is a path or its bytes (a Buffer or Uint8Array), got ${describe(source)}`)
  return source
}

/** @internal libbpf's name for an object: its file name up to the first dot (the kernel's names of
 * its global data maps start with it, `prog_obj.rodata`); none for bytes, as uxdp cannot know it. */
export function objectNameOf(source: string | Uint8Array): string | undefined {
  return typeof source === 'string' ? basename(source).split('.')[0] : undefined
}

export interface ObjectDescription {
  license: string
  programs: ProgramInfo[]
  maps: MapInfo[]
  externs: ExternInfo[]
}

function checkSocket(what: string, socket: unknown): asserts socket is HostSocket {
  if (!(socket instanceof HostSocket)) throw new UxdpError('EINVAL', `${what}: socket must be a HostSocket, got ${describe(socket)}`)
}

function describeInfo(info: ReturnType<typeof native.bpfObjectDescribe>): ObjectDescription {
  return {
    ...info,
    programs: info.programs.map((p) => ({ ...p, kind: p.kind as ProgramKind })),
    maps: info.maps.map((m) => ({ ...m, typeName: MAP_TYPE_NAMES[m.type] ?? `type ${m.type}` })),
  }
}

/** What an object file holds, opened but not loaded: programs, sections, maps, kfuncs, license. */
export function describeObject(source: string | Uint8Array): ObjectDescription {
  const bytes = bytesOf(source)
  return describeInfo(call(() => native.bpfObjectDescribe(bytes)))
}

export interface LoadReport {
  accepted: boolean
  /** The refusal in the kernel's (or libbpf's) words; empty when accepted. */
  message: string
  log: string
  /** Instructions checked (structural checks; the verifier's count once it lands). */
  insnsProcessed: number
  code?: ErrnoName
  /** The lifecycle policy's warnings (`prog 'NAME': insn N: ... is deprecated; use ...`). */
  warnings: string[]
}

/** What `bpftool prog load` would say about an object, without keeping it loaded. */
export function checkLoad(
  source: string | Uint8Array,
  options: Pick<LoadOptions, 'prog' | 'seedKfuncs' | 'devBound' | 'registry' | 'policy' | 'verify' | 'logLevel' | 'insnLimit' | 'caps' | 'targetKernel' | 'allowTiers' | 'btf' | 'kconfig'> = {},
): LoadReport {
  options = checkLoadOptions('checkLoad', options, ['prog', 'seedKfuncs', 'devBound', 'registry', 'policy', 'verify', 'logLevel', 'insnLimit', 'caps', 'targetKernel', 'allowTiers', 'btf', 'kconfig'])
  const bytes = bytesOf(source)
  const r = call(() =>
    native.bpfObjectCheck(bytes, {
      prog: options.prog,
      objectName: objectNameOf(source),
      seedKfuncs: options.seedKfuncs,
      devBound: options.devBound,
      policy: options.policy,
      kfuncSpecs: engineKfuncSpecs(options.registry),
      ...verifierOptions(options),
      ...targetOptions(options),
    }),
  )
  return { accepted: r.accepted, message: r.message, log: r.log, insnsProcessed: r.insns, code: r.accepted ? undefined : errnoName(ERRNO[r.code as ErrnoName] ?? 22), warnings: r.warnings }
}

function errnoName(errno: number): ErrnoName {
  const hit = Object.entries(ERRNO).find(([, n]) => n === Math.abs(errno))
  return (hit?.[0] as ErrnoName | undefined) ?? 'EINVAL'
}

const LOAD_KEYS = ['prog', 'helpers', 'kfuncs', 'seedKfuncs', 'seedHelpers', 'userKfuncs', 'registry', 'devBound', 'policy', 'nrCpus', 'jit', 'verify', 'logLevel', 'insnLimit', 'caps', 'targetKernel', 'allowTiers', 'structOps', 'btf', 'kconfig'] as const

/** @internal The verifier's options as the engine takes them. */
export function verifierOptions(o: Pick<LoadOptions, 'verify' | 'logLevel' | 'insnLimit' | 'caps' | 'targetKernel' | 'allowTiers'>): {
  verify?: boolean
  logLevel?: number
  insnLimit?: number
  capBpf?: boolean
  capPerfmon?: boolean
  targetKernel?: string
  allowTiers?: string[]
} {
  return {
    verify: o.verify,
    logLevel: o.logLevel,
    insnLimit: o.insnLimit,
    capBpf: o.caps?.bpf,
    capPerfmon: o.caps?.perfmon,
    targetKernel: checkTargetKernel(o.targetKernel),
    allowTiers: checkTiers(o.allowTiers),
  }
}

/** Checks load options: known keys, and each of the right type. */
function checkLoadOptions(what: string, options: unknown, keys: readonly (keyof LoadOptions)[] = LOAD_KEYS): LoadOptions {
  const o = checkOptions<LoadOptions>(what, options, keys)
  optString('prog', o.prog)
  for (const k of ['seedKfuncs', 'seedHelpers', 'devBound', 'policy', 'jit', 'verify'] as const) optBool(k, o[k])
  optInt('logLevel', o.logLevel, 0, 15)
  optInt('insnLimit', o.insnLimit, 1, 0x7fffffff)
  if (o.caps !== undefined) {
    const c = checkOptions<Caps>('caps', o.caps, ['bpf', 'perfmon'])
    optBool('caps.bpf', c.bpf)
    optBool('caps.perfmon', c.perfmon)
  }
  if (o.helpers !== undefined) {
    if (!Array.isArray(o.helpers)) throw new UxdpError('EINVAL', `helpers must be an array of helper ids, got ${describe(o.helpers)}`)
    o.helpers.forEach((id, i) => checkInt(`helpers[${i}]`, id, 0, 0x7fffffff))
  }
  if (o.kfuncs !== undefined) {
    if (!Array.isArray(o.kfuncs) || o.kfuncs.some((k) => typeof k !== 'string')) throw new UxdpError('EINVAL', `kfuncs must be an array of kfunc names, got ${describe(o.kfuncs)}`)
  }
  if (o.userKfuncs !== undefined && (o.userKfuncs === null || typeof o.userKfuncs !== 'object' || Array.isArray(o.userKfuncs))) {
    throw new UxdpError('EINVAL', `userKfuncs must be an object of functions by kfunc name, got ${describe(o.userKfuncs)}`)
  }
  if (o.registry !== undefined && !(o.registry instanceof KfuncRegistry)) throw new UxdpError('EINVAL', `registry must be a KfuncRegistry, got ${describe(o.registry)}`)
  checkTargetKernel(o.targetKernel)
  checkTiers(o.allowTiers)
  return o
}

/** Checks test_run options and returns them converted for the engine. */
function testRunArgs(options: unknown, extra: readonly string[] = []): { data: Uint8Array; ctx?: Buffer; repeat: number; timeoutMs?: number; host?: HostNet['handle']; netns?: number } {
  if (options === undefined) throw new UxdpError('EINVAL', 'testRun takes options with at least data (data_in)')
  const o = checkOptions<TestRunAsyncOptions>('testRun', options, [...TEST_RUN_KEYS, ...extra] as (keyof TestRunAsyncOptions)[])
  const data = checkBytes('data', o.data)
  const repeat = o.repeat === undefined ? 1 : checkInt('repeat', o.repeat, 0, 0xffffffff)
  const ctx = o.ctx === undefined ? undefined : encodeMd(o.ctx, data.length)
  if (o.host !== undefined && !(o.host instanceof HostNet)) throw new UxdpError('EINVAL', `testRun: host must be a HostNet, got ${describe(o.host)}`)
  if (o.netns !== undefined && !o.host) throw new UxdpError('EINVAL', 'testRun: netns names a namespace of host, which is missing')
  return { data, ctx, repeat, timeoutMs: optMillis('timeoutMs', o.timeoutMs), host: o.host?.handle, netns: o.host?.netns(o.netns ?? 0) }
}

function runResult(r: ReturnType<typeof native.bpfTestRun>): TestRunResult {
  return { retval: r.retval, dataOut: r.dataOut, durationNs: r.durationNs, ctxOut: decodeMd(r.ctxOut), insns: r.insns, trace: r.trace }
}

/**
 * An object file as `bpf_object__open` + `bpf_object__load` make it: every autoload program loaded
 * (or the one asked for), maps created and shared between its programs, global data initialised,
 * prog arrays filled from their `.values`.
 */
export class BpfObject {
  /** @internal */ readonly handle: ObjectHandle
  readonly license: string
  readonly programs: readonly ProgramInfo[]
  readonly maps: readonly MapInfo[]
  readonly externs: readonly ExternInfo[]
  #closed = false
  readonly #progs = new Map<string, Program>()
  readonly #maps = new Map<string, BpfMap>()

  private constructor(handle: ObjectHandle) {
    this.handle = handle
    const info = describeInfo(call(() => native.bpfObjectInfo(handle)))
    this.license = info.license
    this.programs = info.programs
    this.maps = info.maps
    this.externs = info.externs
  }

  /** Opens and loads an object file (a path or its bytes). Refusals throw UxdpError with the
   * verifier's or libbpf's words. */
  static open(source: string | Uint8Array, options: LoadOptions = {}): BpfObject {
    options = checkLoadOptions('BpfObject.open', options)
    const bytes = bytesOf(source)
    return BpfObject.#load(options, (engine, dispatch) => native.bpfObjectLoad(bytes, { ...engine, objectName: objectNameOf(source) }, dispatch))
  }

  /**
   * `bpf_prog_load` of raw instructions, with no ELF object around them: `insns` are 8-byte
   * `struct bpf_insn`s; the program is named `name` (default 'prog'), `section` picks its type as
   * libbpf's section names do (`'xdp'`, `'xdp.frags'`, `'tc'`, `'socket'`, ...; default `'xdp'`),
   * `license` defaults to 'GPL'. An `lddw` with src 1 (BPF_PSEUDO_MAP_FD) or 2
   * (BPF_PSEUDO_MAP_VALUE) names a map by its fd in uxdp's table ({@link BpfMap.fd}), as the kernel
   * resolves a process's fds: `fd N is not pointing to valid bpf_map` (EBADF) otherwise. Calls to
   * subprograms work; there is no BTF, so no CO-RE, kfuncs or externs. The other options are an
   * object's (verifier, caps, policy, nrCpus, ...). The object holds the one program.
   */
  static fromInstructions(insns: Uint8Array, options: RawProgramOptions = {}): BpfObject {
    if (options === null || typeof options !== 'object') throw new UxdpError('EINVAL', `BpfObject.fromInstructions: options must be an object, got ${describe(options)}`)
    const { name = 'prog', section = 'xdp', license = 'GPL', ...rest } = options
    for (const [k, v] of Object.entries({ name, section, license })) {
      if (typeof v !== 'string') throw new UxdpError('EINVAL', `BpfObject.fromInstructions: ${k} must be a string, got ${describe(v)}`)
    }
    const load = checkLoadOptions('BpfObject.fromInstructions', rest)
    const bytes = checkBytes('insns', insns)
    return BpfObject.#load(load, (engine, dispatch) => native.bpfRawLoad(bytes, name, section, license, engine, dispatch))
  }

  static #load(options: LoadOptions, load: (engine: Parameters<typeof native.bpfObjectLoad>[1], dispatch: Parameters<typeof native.bpfObjectLoad>[2]) => ReturnType<typeof native.bpfObjectLoad>): BpfObject {
    const registry = new KfuncRegistry()
    if (options.registry) registry.adopt(options.registry)
    for (const [name, impl] of Object.entries(options.userKfuncs ?? {})) {
      if (typeof impl !== 'function') throw new UxdpError('EINVAL', `kfunc ${name} is not a function`)
      registry.register({ name, progTypes: 'any' }, impl)
    }
    const user = Object.entries(registry.implementations())
    const dispatch =
      user.length === 0
        ? undefined
        : (args: bigint[]): bigint => {
            const [index, ...regs] = args
            const r = user[Number(index)][1](...regs)
            return BigInt.asUintN(64, typeof r === 'bigint' ? r : BigInt(Math.trunc(r)))
          }
    const nrCpus = options.nrCpus === undefined ? undefined : checkInt('nrCpus', options.nrCpus, 1, 4096)
    const handle = call(() =>
      load(
        {
          prog: options.prog,
          helpers: options.helpers ? [...options.helpers] : undefined,
          kfuncs: options.kfuncs ? [...options.kfuncs] : undefined,
          seedKfuncs: options.seedKfuncs,
          seedHelpers: options.seedHelpers,
          devBound: options.devBound,
          policy: options.policy,
          kfuncSpecs: engineKfuncSpecs(registry),
          nrCpus,
          userKfuncs: user.map(([n]) => n),
          jit: options.jit,
          ...targetOptions(options),
          structOps: options.structOps,
          ...verifierOptions(options),
        },
        dispatch,
      ),
    )
    return new BpfObject(handle)
  }

  /** A loaded program by name; without a name, the first loaded one. */
  program(name?: string): Program {
    this.#check()
    const info = name === undefined ? this.programs.find((p) => p.loaded) : this.programs.find((p) => p.name === name)
    if (!info) throw new UxdpError('ENOENT', name === undefined ? 'the object has no loaded program' : `no program '${name}' in the object`)
    if (!info.loaded) throw new UxdpError('EINVAL', `program '${info.name}' is not loaded (its section is '${info.section}')`)
    let p = this.#progs.get(info.name)
    if (!p) {
      p = new Program(this, info)
      this.#progs.set(info.name, p)
    }
    return p
  }

  map(name: string): BpfMap {
    this.#check()
    const info = this.maps.find((m) => m.name === name)
    if (!info) throw new UxdpError('ENOENT', `no map '${name}' in the object (it has: ${this.maps.map((m) => m.name).join(', ')})`)
    let m = this.#maps.get(name)
    if (!m) {
      m = new BpfMap(this, info)
      this.#maps.set(name, m)
    }
    return m
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Drops the object; its handle is released when no program or map refers to it. */
  close(): void {
    this.#closed = true
  }

  /** @internal */
  check(): void {
    this.#check()
  }

  #check(): void {
    if (this.#closed) throw new UxdpError('EBADF', 'the BPF object was closed')
  }
}

/** One loaded program. */
export class Program {
  readonly name: string
  readonly section: string
  readonly kind: ProgramKind
  /** Loaded with BPF_F_XDP_HAS_FRAGS (`xdp.frags`). */
  readonly frags: boolean
  readonly insns: number

  /** @internal */
  constructor(
    readonly object: BpfObject,
    info: ProgramInfo,
  ) {
    this.name = info.name
    this.section = info.section
    this.kind = info.kind
    this.frags = info.frags
    this.insns = info.insns
  }

  /** Opens an object and returns one of its programs (`prog`, or the first loaded one). */
  static load(source: string | Uint8Array, options: LoadOptions = {}): Program {
    options = checkLoadOptions('Program.load', options)
    return BpfObject.open(source, options).program(options.prog)
  }

  /** A program from raw instructions (see {@link BpfObject.fromInstructions}): 8-byte
   * `struct bpf_insn`s, maps named by fd (`lddw` src 1/2, {@link BpfMap.fd}). */
  static fromInstructions(insns: Uint8Array, options: RawProgramOptions = {}): Program {
    return BpfObject.fromInstructions(insns, options).program()
  }

  /**
   * BPF_PROG_TEST_RUN: same split, same ctx_in rules, same errors as the kernel's. It picks by
   * program type: XDP programs run on an xdp_buff (`xdp_md` ctx), tc and socket-filter programs on
   * an skb (`__sk_buff` ctx, see {@link testRunSkb}); another type is refused with ENOTSUPP (-524),
   * as the kernel refuses a type it has no test_run for. `timeoutMs` bounds the repeat loop
   * (ETIMEDOUT, XDP).
   */
  testRun(options: TestRunOptions): TestRunResult
  testRun(options: SkbTestRunOptions): SkbTestRunResult
  testRun(options: TestRunOptions | SkbTestRunOptions): TestRunResult | SkbTestRunResult {
    if (SKB_KINDS.includes(this.kind)) return this.testRunSkb(options as SkbTestRunOptions)
    this.object.check()
    const { data, ctx, repeat, timeoutMs, host, netns } = testRunArgs(options)
    return runResult(call(() => native.bpfTestRun(this.object.handle, this.name, data, ctx, repeat, timeoutMs, host, netns)))
  }

  /**
   * BPF_PROG_TEST_RUN of a tc (SCHED_CLS / SCHED_ACT) or socket-filter program, as 6.18's
   * `bpf_prog_test_run_skb`: a linear skb on the loopback device, `skb->data` at the MAC header
   * for tc and at the network header for socket filters; EINVAL for data under 14 or over 3712
   * bytes, an IPv4/IPv6 frame shorter than its IP header, or a ctx field the kernel does not take.
   */
  testRunSkb(options: SkbTestRunOptions): SkbTestRunResult {
    this.object.check()
    if (options === undefined) throw new UxdpError('EINVAL', 'testRun takes options with at least data (data_in)')
    const o = checkOptions<SkbTestRunOptions>('testRun', options, ['data', 'ctx', 'repeat', 'host', 'netns'])
    const data = checkBytes('data', o.data)
    const repeat = o.repeat === undefined ? 1 : checkInt('repeat', o.repeat, 0, 0xffffffff)
    const ctx = o.ctx === undefined ? undefined : encodeSkBuff(o.ctx)
    if (o.host !== undefined && !(o.host instanceof HostNet)) throw new UxdpError('EINVAL', `testRun: host must be a HostNet, got ${describe(o.host)}`)
    if (o.netns !== undefined && !o.host) throw new UxdpError('EINVAL', 'testRun: netns names a namespace of host, which is missing')
    const netns = o.host?.netns(o.netns ?? 0)
    const r = call(() => native.bpfTestRunSkb(this.object.handle, this.name, data, ctx, repeat, o.host?.handle, netns))
    return {
      retval: r.retval,
      dataOut: r.dataOut,
      durationNs: r.durationNs,
      ...(r.ctxOut ? { ctxOut: decodeSkBuff(r.ctxOut) } : {}),
      ...(r.redirectIfindex !== undefined && r.redirectIfindex !== null ? { redirect: { ifindex: r.redirectIfindex, flags: r.redirectFlags ?? 0 } } : {}),
      insns: r.insns,
      trace: r.trace,
    }
  }

  /**
   * `testRun` that yields to the event loop every ~20 ms of runs, so that a long repeat loop can be
   * stopped: aborting `signal` fails it with EINTR (how many runs completed in the message), and
   * `timeoutMs` with ETIMEDOUT. The runs are the same loop on the same buffer as `testRun`'s,
   * and the average duration counts the runs' time only.
   */
  async testRunAsync(options: TestRunAsyncOptions): Promise<TestRunResult>
  async testRunAsync(options: SkbTestRunOptions & { signal?: AbortSignal }): Promise<SkbTestRunResult>
  async testRunAsync(options: TestRunAsyncOptions | (SkbTestRunOptions & { signal?: AbortSignal })): Promise<TestRunResult | SkbTestRunResult> {
    if (SKB_KINDS.includes(this.kind)) {
      // An skb program's loop runs in one piece: only a signal aborted before it starts stops it.
      const { signal, timeoutMs: _unbounded, ...rest } = options as SkbTestRunOptions & { signal?: AbortSignal; timeoutMs?: number }
      if (signal?.aborted) throw new UxdpError('EINTR', `interrupted after 0 of ${Math.max(rest.repeat ?? 1, 1)} runs`, { op: 'bpf_prog_test_run' })
      return this.testRunSkb(rest)
    }
    this.object.check()
    const { data, ctx, repeat: asked, timeoutMs, host, netns } = testRunArgs(options, ['signal'])
    const signal = (options as TestRunAsyncOptions).signal
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new UxdpError('EINVAL', `signal must be an AbortSignal, got ${describe(signal)}`)
    const repeat = Math.max(asked, 1)
    const run = call(() => native.bpfTestRunStart(this.object.handle, this.name, data, ctx, host, netns))
    const start = performance.now()
    let done = 0
    const stopped = (code: 'EINTR' | 'ETIMEDOUT'): UxdpError =>
      new UxdpError(
        code,
        code === 'EINTR' ? `interrupted after ${done} of ${repeat} runs` : `time budget of ${timeoutMs} ms used up after ${done} of ${repeat} runs`,
        { op: 'bpf_prog_test_run', length: done, limit: repeat },
      )
    try {
      for (;;) {
        if (signal?.aborted) throw stopped('EINTR')
        const left = timeoutMs === undefined ? Infinity : timeoutMs - (performance.now() - start)
        if (left <= 0 && done > 0) throw stopped('ETIMEDOUT')
        done += call(() => native.bpfTestRunStep(run, repeat - done, Math.max(0, Math.min(ASYNC_SLICE_MS, left))))
        if (done >= repeat) break
        await new Promise((resolve) => setImmediate(resolve))
      }
      return runResult(call(() => native.bpfTestRunFinish(run, true))!)
    } finally {
      native.bpfTestRunFinish(run, false)
    }
  }

  map(name: string): BpfMap {
    return this.object.map(name)
  }

  /** The lifecycle policy's warnings at load: calls of deprecated and deprecating helpers and
   * kfuncs, each with its replacement (`lifecycle()`). */
  get warnings(): string[] {
    this.object.check()
    return call(() => native.bpfProgInspect(this.object.handle, this.name)).warnings
  }

  /** What the verifier saw this program do: see {@link inspect}. */
  inspect(): ProgramInspection {
    this.object.check()
    const r = call(() => native.bpfProgInspect(this.object.handle, this.name))
    return {
      verified: r.verified,
      actions: r.actions as XdpActionName[],
      needs: r.needs.map((n) => {
        const need: InferredXdpNeed = { feature: n.feature, kind: n.kind as InferredXdpNeed['kind'], on: n.on as InferredXdpNeed['on'], pc: n.pc, why: n.why }
        if (n.map != null) need.map = n.map
        if (n.ifindex != null) need.ifindex = n.ifindex
        return need
      }),
    }
  }
}

export type XdpActionName = 'XDP_ABORTED' | 'XDP_DROP' | 'XDP_PASS' | 'XDP_TX' | 'XDP_REDIRECT'

/** A feature an XDP program needs, inferred from what the verifier saw it do. */
export interface InferredXdpNeed {
  /** The feature as `ynl` names it: a `netdev_xdp_act` ('basic', 'redirect', 'ndo-xmit', 'rx-sg',
   * 'ndo-xmit-sg') or a `netdev_xdp_rx_metadata` ('timestamp', 'hash', 'vlan-tag'). */
  feature: string
  kind: 'xdp' | 'rx-metadata'
  /** Whose feature: the device the program is attached to, every device bound to an entry of the
   * devmap `map`, or the device `ifindex` (`bpf_redirect` with a constant). */
  on: 'device' | 'map' | 'ifindex'
  map?: string
  ifindex?: number
  /** The instruction that needs it, and what it does there. */
  pc: number
  why: string
}

/** A need as one line: "ndo-xmit on the devices of ports (insn 9: bpf_redirect_map#51 into devmap 'ports')". */
export function needText(n: InferredXdpNeed): string {
  const on = n.on === 'map' ? ` on the devices of ${n.map}` : n.on === 'ifindex' ? ` on ifindex ${n.ifindex}` : ''
  return `${n.kind === 'rx-metadata' ? 'rx-metadata ' : ''}${n.feature}${on} (insn ${n.pc}: ${n.why})`
}

export interface ProgramInspection {
  /** Loaded through the verifier: without it (`verify: false`) nothing is inferred. */
  verified: boolean
  /** The XDP actions the program's exits may return (the verifier's range of r0 at each). */
  actions: XdpActionName[]
  /** The features it needs, most specific reason first; `Mvneta.attachXdp` refuses a program
   * whose needs the device (or a redirect target) lacks. Not seen: what a tail call's target
   * returns, a `bpf_redirect` ifindex the program computes. */
  needs: InferredXdpNeed[]
}

/**
 * What the verifier saw a loaded program do, for policy the kernel does not have: the XDP actions
 * it may return and the device features that needs (seed 002): XDP_TX → basic, XDP_REDIRECT →
 * redirect, `bpf_redirect_map` into a devmap → ndo-xmit on the devices of its entries (and
 * ndo-xmit-sg for an xdp.frags program), into a cpumap or xskmap → redirect, the frags helpers of
 * an xdp.frags program → rx-sg, the RX metadata kfuncs → the device's rx metadata features.
 */
export function inspect(program: Program): ProgramInspection {
  if (!(program instanceof Program)) throw new UxdpError('EINVAL', `inspect takes a loaded Program, got ${describe(program)}`)
  return program.inspect()
}

/** Where a devmap/cpumap slot sends frames once the program is attached to a NIC. */
export type RedirectSlotTarget = object

/** BpfMaps by map id, for maps of maps' lookups. */
const mapsById = new Map<number, WeakRef<BpfMap>>()

/** An LPM trie key: `{u32 prefixlen (host order); u8 data[]}`. */
/**
 * How many objects BPF programs allocated (`bpf_obj_new`, `bpf_percpu_obj_new`) are alive: held
 * in a map value's kptr fields, lists or trees, or in another object. They go back when the map
 * value is overwritten or deleted and when the map is closed, so this returns to its earlier
 * count once the objects holding them are closed.
 */
export function allocatedObjects(): number {
  return native.bpfAllocatedObjects()
}

/**
 * How many references BPF programs hold on kernel objects (the root cgroup of `bpf_cgroup_from_id`,
 * `bpf_cgroup_acquire`, `bpf_cgroup_ancestor`), those stashed in map values' `__kptr` fields
 * included. A stashed one is released by its type's destructor (`bpf_cgroup_release`) when the
 * value is overwritten or deleted and when the map is closed.
 */
export function kernelObjectReferences(): number {
  return native.bpfKernelObjectReferences()
}

export function lpmKey(prefixlen: number, data: Uint8Array): Buffer {
  checkU32('prefixlen', prefixlen)
  checkBytes('data', data)
  const k = Buffer.alloc(4 + data.length)
  k.writeUInt32LE(prefixlen, 0)
  k.set(data, 4)
  return k
}

/** A sample reserved in a user ring buffer: fill it, then submit or discard it (once). */
export class UserRingSample {
  private done = false
  /** @internal */
  constructor(
    private readonly ring: UserRingBuffer,
    /** Its position in the ring (the producer position it was reserved at). */
    readonly position: number,
    readonly size: number,
  ) {}

  /** Writes bytes into the sample at `offset`. */
  write(bytes: Uint8Array, offset = 0): this {
    this.live()
    this.ring.map.object.check()
    call(() => native.bpfUserRingbufWrite(this.ring.map.object.handle, this.ring.map.name, this.position, checkU32('offset', offset), checkBytes('bytes', bytes)))
    return this
  }

  /** user_ring_buffer__submit: the sample becomes visible to bpf_user_ringbuf_drain. */
  submit(): void {
    this.commit(false)
  }

  /** user_ring_buffer__discard: the drain skips it. */
  discard(): void {
    this.commit(true)
  }

  private commit(discard: boolean): void {
    this.live()
    this.ring.map.object.check()
    call(() => native.bpfUserRingbufCommit(this.ring.map.object.handle, this.ring.map.name, this.position, discard))
    this.done = true
  }

  private live(): void {
    if (this.done) throw new UxdpError('EINVAL', 'the sample was already submitted or discarded')
  }
}

/** The producer side of a BPF_MAP_TYPE_USER_RINGBUF map, as libbpf's user_ring_buffer: reserve a
 * sample (E2BIG when it can never fit, ENOSPC when the ring is too full), fill it, submit or
 * discard it; programs take the samples with bpf_user_ringbuf_drain. */
export class UserRingBuffer {
  /** @internal */
  constructor(readonly map: BpfMap) {}

  reserve(size: number): UserRingSample {
    this.map.object.check()
    const pos = call(() => native.bpfUserRingbufReserve(this.map.object.handle, this.map.name, checkU32('size', size)))
    return new UserRingSample(this, pos, size)
  }

  /** reserve + write + submit. */
  push(bytes: Uint8Array): void {
    checkBytes('bytes', bytes)
    this.reserve(bytes.length).write(bytes).submit()
  }

  /** Bytes free for samples (each takes its size plus an 8-byte header, rounded up to 8). */
  get available(): number {
    this.map.object.check()
    return call(() => native.bpfUserRingbufAvail(this.map.object.handle, this.map.name))
  }
}

/** A map of a loaded object, read and written as the bpf(2) syscall would. */
export class BpfMap {
  readonly name: string
  readonly type: number
  readonly typeName: string
  readonly keySize: number
  readonly valueSize: number
  readonly maxEntries: number
  readonly flags: number
  /** @internal devmap/cpumap slots bound to NICs or cpumaps, applied when attaching. */
  readonly targets = new Map<number, RedirectSlotTarget>()

  /** @internal */
  constructor(
    readonly object: BpfObject,
    info: MapInfo,
  ) {
    this.name = info.name
    this.type = info.type
    this.typeName = info.typeName
    this.keySize = info.keySize
    this.valueSize = info.valueSize
    this.maxEntries = info.maxEntries
    this.flags = info.flags
  }

  /** BPF_MAP_LOOKUP_ELEM: the value (per-CPU maps: every CPU's, each rounded up to 8 bytes). */
  lookup(key: Uint8Array): Buffer | undefined {
    this.object.check()
    return call(() => native.bpfMapLookup(this.object.handle, this.name, checkBytes('key', key))) ?? undefined
  }

  /** BPF_MAP_UPDATE_ELEM with BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2). */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.object.check()
    call(() => native.bpfMapUpdate(this.object.handle, this.name, checkBytes('key', key), checkBytes('value', value), checkU32('flags', flags)))
  }

  /**
   * A sockmap or sockhash update: `socket` (a HostNet socket) goes under `key`, as the kernel
   * takes a socket's fd. TCP sockets must be established or listening (EOPNOTSUPP); flags
   * BPF_ANY, BPF_NOEXIST (EEXIST), BPF_EXIST (ENOENT). A user `lookup` gives back the socket's
   * cookie (its id; ENOSPC unless values are 8 bytes); a program's lookup the socket itself.
   */
  updateSocket(key: Uint8Array, socket: HostSocket, flags = 0): void {
    this.object.check()
    if (!(socket instanceof HostSocket)) throw new UxdpError('EINVAL', `updateSocket: socket must be a HostSocket, got ${describe(socket)}`)
    call(() => native.bpfMapUpdateSocket(this.object.handle, this.name, checkBytes('key', key), socket.host.handle, socket.id, checkU32('flags', flags)))
  }

  /**
   * An sk_storage map's value on `socket` (a HostNet socket), where the kernel's key is the
   * socket's fd; undefined when the socket has none. The values live in the sockets: a socket
   * the HostNet removes takes its values with it.
   */
  socketStorage(socket: HostSocket): Buffer | undefined {
    this.object.check()
    checkSocket('socketStorage', socket)
    return call(() => native.bpfMapSocketStorage(this.object.handle, this.name, socket.host.handle, socket.id)) ?? undefined
  }

  /** Sets `socket`'s value in an sk_storage map: BPF_ANY (0), BPF_NOEXIST (1: EEXIST), BPF_EXIST (2: ENOENT); ENOMEM past the socket's optmem_max. */
  setSocketStorage(socket: HostSocket, value: Uint8Array, flags = 0): void {
    this.object.check()
    checkSocket('setSocketStorage', socket)
    call(() => native.bpfMapSetSocketStorage(this.object.handle, this.name, socket.host.handle, socket.id, checkBytes('value', value), checkU32('flags', flags)))
  }

  /** Deletes `socket`'s value from an sk_storage map (ENOENT when it has none). */
  deleteSocketStorage(socket: HostSocket): void {
    this.object.check()
    checkSocket('deleteSocketStorage', socket)
    call(() => native.bpfMapDeleteSocketStorage(this.object.handle, this.name, socket.host.handle, socket.id))
  }

  delete(key: Uint8Array): void {
    this.object.check()
    call(() => native.bpfMapDelete(this.object.handle, this.name, checkBytes('key', key)))
  }

  /** Every key, in BPF_MAP_GET_NEXT_KEY order. */
  keys(): Buffer[] {
    this.object.check()
    return call(() => native.bpfMapKeys(this.object.handle, this.name))
  }

  entries(): [Buffer, Buffer][] {
    return this.keys().flatMap((k) => {
      const v = this.lookup(k)
      return v === undefined ? [] : [[k, v] as [Buffer, Buffer]]
    })
  }

  /** Ring buffer: consumes every committed record, in order (libbpf's ring_buffer__consume). */
  records(): Buffer[] {
    this.object.check()
    return call(() => native.bpfMapRecords(this.object.handle, this.name))
  }

  /** Ring buffer: hands each committed record to `cb`; returns how many. */
  consume(cb: (record: Buffer) => void): number {
    const records = this.records()
    records.forEach(cb)
    return records.length
  }

  /** Perf event array: takes the samples bpf_perf_event_output / bpf_xdp_output wrote. */
  samples(): Buffer[] {
    this.object.check()
    return call(() => native.bpfMapSamples(this.object.handle, this.name))
  }

  /** Prog array: puts a program of the same object in a slot (null empties it). */
  setProgram(index: number, program: Program | null): void {
    this.object.check()
    if (program !== null && program.object !== this.object) throw new UxdpError('EINVAL', 'a prog array takes programs of its own object here')
    call(() => native.bpfMapSetProg(this.object.handle, this.name, checkU32('index', index), program?.name ?? undefined))
  }

  // ---- the map types of issue 14: per-CPU values, queues and stacks, LPM keys, maps of maps,
  // user ring buffers, ids and fds ----

  private ids?: { id: number; fd: number }

  /** The map's id (what a map of maps' lookup gives for it). */
  get id(): number {
    return this.idsOf().id
  }

  /** The map's fd in uxdp's table: what a map of maps' update takes, and what a raw `lddw` with
   * BPF_PSEUDO_MAP_FD (src 1) names in a program loaded afterwards. */
  get fd(): number {
    return this.idsOf().fd
  }

  private idsOf(): { id: number; fd: number } {
    if (!this.ids) {
      this.object.check()
      this.ids = call(() => native.bpfMapIds(this.object.handle, this.name))
      mapsById.set(this.ids.id, new WeakRef(this))
    }
    return this.ids
  }

  /** Whether values are per CPU (percpu_array, percpu_hash, lru_percpu_hash). */
  get perCpu(): boolean {
    return [5, 6, 10].includes(this.type)
  }

  /** Per-CPU maps: every CPU's value (valueSize bytes each), CPU 0 first. */
  lookupPerCpu(key: Uint8Array): Buffer[] | undefined {
    this.requireType([5, 6, 10], 'lookupPerCpu')
    const all = this.lookup(key)
    if (all === undefined) return undefined
    const stride = (this.valueSize + 7) & ~7
    const out: Buffer[] = []
    for (let off = 0; off < all.length; off += stride) out.push(all.subarray(off, off + this.valueSize))
    return out
  }

  /** Per-CPU maps: sets every CPU's value (one valueSize-byte value per possible CPU, CPU 0 first;
   * padded to 8 bytes each as the syscall takes them). */
  updatePerCpu(key: Uint8Array, values: Uint8Array[], flags = 0): void {
    this.requireType([5, 6, 10], 'updatePerCpu')
    const stride = (this.valueSize + 7) & ~7
    const buf = Buffer.alloc(stride * values.length)
    values.forEach((v, i) => {
      checkBytes(`values[${i}]`, v)
      if (v.length !== this.valueSize) throw new UxdpError('EINVAL', `values[${i}] is ${v.length} bytes; map '${this.name}' has ${this.valueSize}-byte values`)
      buf.set(v, i * stride)
    })
    this.update(key, buf, flags)
  }

  /** Queue/stack: BPF_MAP_UPDATE_ELEM with no key; flags BPF_ANY or BPF_EXIST (drops the oldest
   * value of a full map; without it a full map gives E2BIG). */
  push(value: Uint8Array, flags = 0): void {
    this.requireType([22, 23], 'push')
    this.object.check()
    call(() => native.bpfMapPush(this.object.handle, this.name, checkBytes('value', value), checkU32('flags', flags)))
  }

  /** Queue/stack: takes the next value (a queue's oldest, a stack's newest); undefined when empty. */
  pop(): Buffer | undefined {
    this.requireType([22, 23], 'pop')
    this.object.check()
    return call(() => native.bpfMapPop(this.object.handle, this.name, true)) ?? undefined
  }

  /** Queue/stack: the value pop would take, left in place; undefined when empty. */
  peek(): Buffer | undefined {
    this.requireType([22, 23], 'peek')
    this.object.check()
    return call(() => native.bpfMapPop(this.object.handle, this.name, false)) ?? undefined
  }

  /** Queue/stack: every value in pop order, left in place. */
  queued(): Buffer[] {
    this.requireType([22, 23], 'queued')
    this.object.check()
    return call(() => native.bpfMapQueued(this.object.handle, this.name))
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash maps; queues and stacks: see pop). */
  lookupAndDelete(key: Uint8Array, flags = 0): Buffer | undefined {
    this.object.check()
    return call(() => native.bpfMapLookupAndDelete(this.object.handle, this.name, checkBytes('key', key), checkU32('flags', flags))) ?? undefined
  }

  /** Array/hash of maps: puts `inner` (a map of any loaded object) under `key`. It must match the
   * inner map template: type, key and value size, flags, and max_entries for arrays (unless the
   * template has BPF_F_INNER_MAP); EINVAL otherwise. */
  setInner(key: Uint8Array, inner: BpfMap, flags = 0): void {
    this.requireType([12, 13], 'setInner')
    if (!(inner instanceof BpfMap)) throw new UxdpError('EINVAL', `setInner takes a BpfMap, got ${describe(inner)}`)
    const fd = Buffer.alloc(4)
    fd.writeInt32LE(inner.fd)
    this.update(key, fd, flags)
  }

  /** Array/hash of maps: the id of the map under `key`, undefined when none. */
  innerId(key: Uint8Array): number | undefined {
    this.requireType([12, 13], 'innerId')
    return this.lookup(key)?.readUInt32LE(0)
  }

  /** Array/hash of maps: the map under `key`, when it is one this process has a BpfMap for. */
  inner(key: Uint8Array): BpfMap | undefined {
    const id = this.innerId(key)
    if (id === undefined) return undefined
    const known = mapsById.get(id)?.deref()
    if (known) return known
    // A map of the same object not asked for its id yet.
    return this.object.maps.map((m) => this.object.map(m.name)).find((m) => m.id === id)
  }

  /** User ring buffer: the producer side (libbpf's user_ring_buffer). */
  userRingBuffer(): UserRingBuffer {
    this.requireType([31], 'userRingBuffer')
    return new UserRingBuffer(this)
  }

  private requireType(types: number[], what: string): void {
    if (!types.includes(this.type)) throw new UxdpError('EINVAL', `${what}: map '${this.name}' is a ${this.typeName}`)
  }

  /** Devmap / cpumap: the NIC (or cpumap) a slot redirects to once the program is attached to a
   * NIC. Also writes the slot's value so that bpf_redirect_map finds an entry. */
  setTarget(key: number, target: RedirectSlotTarget, ifindex = 1): void {
    checkU32('key', key)
    if (![14, 16, 25].includes(this.type)) throw new UxdpError('EINVAL', `map '${this.name}' is a ${this.typeName}, not a devmap or cpumap`)
    const value = Buffer.alloc(this.valueSize)
    value.writeUInt32LE(this.type === 16 ? 256 : ifindex, 0)
    const k = Buffer.alloc(this.keySize)
    k.writeUInt32LE(key, 0)
    this.update(k, value)
    this.targets.set(key, target)
  }
}
