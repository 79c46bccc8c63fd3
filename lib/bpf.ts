import { readFileSync } from 'node:fs'
import { call, checkBytes, checkInt, checkOptions, checkU32, describe, ERRNO, fsError, optBool, optInt, optMillis, optString, UxdpError, type ErrnoName } from './errors'
import { native } from './native'
import { decodeMd, encodeMd, type XdpMd } from './xdpmd'
import { checkTargetKernel, checkTiers, engineKfuncSpecs, KfuncRegistry, type Caps, type Tier } from './policy'


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
}

export interface TestRunAsyncOptions extends TestRunOptions {
  /** Aborting it stops the repeat loop at the next slice: the run fails with EINTR, as the
   * kernel's loop stops on a pending signal. */
  signal?: AbortSignal
}

const TEST_RUN_KEYS = ['data', 'ctx', 'repeat', 'timeoutMs'] as const
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
 * A CO-RE relocation clang recorded in `.BTF.ext`. uxdp does not apply CO-RE relocations yet: the
 * instruction keeps clang's local value, which is only right when the kernel would give the same
 * (a byte offset into a uapi struct with its uapi layout: `accepted`). A program with any other
 * relocation is refused at load (EOPNOTSUPP).
 */
export interface CoreReloInfo {
  /** The record's index among its ELF section's CO-RE records (libbpf's `relo #N`). */
  index: number
  section: string
  /** The relocated instruction, numbered in the program as `uxdp prog dump` prints it. */
  insn: number
  /** In libbpf's words: `byte_off`, `field_exists`, `type_exists`, `enumval_value`, ... */
  kind: string
  /** libbpf's spec: `[8] struct foo.b (0:1 @ offset 4)`. */
  spec: string
  accepted: boolean
  /** Why uxdp cannot be sure of the kernel's value; null when accepted. */
  reason: string | null
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
  /** The verifier's log level: 0 (default; a refusal still carries the level-1 log, as libbpf
   * retries with a log), 1 (the path and the stats), 2 (the state after every instruction). */
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

export interface ObjectDescription {
  license: string
  programs: ProgramInfo[]
  maps: MapInfo[]
  externs: ExternInfo[]
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
  options: Pick<LoadOptions, 'prog' | 'seedKfuncs' | 'devBound' | 'registry' | 'policy' | 'verify' | 'logLevel' | 'insnLimit' | 'caps' | 'targetKernel' | 'allowTiers'> = {},
): LoadReport {
  options = checkLoadOptions('checkLoad', options, ['prog', 'seedKfuncs', 'devBound', 'registry', 'policy', 'verify', 'logLevel', 'insnLimit', 'caps', 'targetKernel', 'allowTiers'])
  const bytes = bytesOf(source)
  const r = call(() =>
    native.bpfObjectCheck(bytes, {
      prog: options.prog,
      seedKfuncs: options.seedKfuncs,
      devBound: options.devBound,
      policy: options.policy,
      kfuncSpecs: engineKfuncSpecs(options.registry),
      ...verifierOptions(options),
    }),
  )
  return { accepted: r.accepted, message: r.message, log: r.log, insnsProcessed: r.insns, code: r.accepted ? undefined : errnoName(ERRNO[r.code as ErrnoName] ?? 22), warnings: r.warnings }
}

function errnoName(errno: number): ErrnoName {
  const hit = Object.entries(ERRNO).find(([, n]) => n === Math.abs(errno))
  return (hit?.[0] as ErrnoName | undefined) ?? 'EINVAL'
}

const LOAD_KEYS = ['prog', 'helpers', 'kfuncs', 'seedKfuncs', 'seedHelpers', 'userKfuncs', 'registry', 'devBound', 'policy', 'nrCpus', 'jit', 'verify', 'logLevel', 'insnLimit', 'caps', 'targetKernel', 'allowTiers', 'structOps'] as const

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
  optInt('logLevel', o.logLevel, 0, 2)
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
function testRunArgs(options: unknown, extra: readonly string[] = []): { data: Uint8Array; ctx?: Buffer; repeat: number; timeoutMs?: number } {
  if (options === undefined) throw new UxdpError('EINVAL', 'testRun takes options with at least data (data_in)')
  const o = checkOptions<TestRunAsyncOptions>('testRun', options, [...TEST_RUN_KEYS, ...extra] as (keyof TestRunAsyncOptions)[])
  const data = checkBytes('data', o.data)
  const repeat = o.repeat === undefined ? 1 : checkInt('repeat', o.repeat, 0, 0xffffffff)
  const ctx = o.ctx === undefined ? undefined : encodeMd(o.ctx, data.length)
  return { data, ctx, repeat, timeoutMs: optMillis('timeoutMs', o.timeoutMs) }
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
      native.bpfObjectLoad(
        bytes,
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
    const { data, ctx, repeat, timeoutMs } = testRunArgs(options)
    return runResult(call(() => native.bpfTestRun(this.object.handle, this.name, data, ctx, repeat, timeoutMs)))
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
    const o = checkOptions<SkbTestRunOptions>('testRun', options, ['data', 'ctx', 'repeat'])
    const data = checkBytes('data', o.data)
    const repeat = o.repeat === undefined ? 1 : checkInt('repeat', o.repeat, 0, 0xffffffff)
    const ctx = o.ctx === undefined ? undefined : encodeSkBuff(o.ctx)
    const r = call(() => native.bpfTestRunSkb(this.object.handle, this.name, data, ctx, repeat))
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
    const { data, ctx, repeat: asked, timeoutMs } = testRunArgs(options, ['signal'])
    const signal = (options as TestRunAsyncOptions).signal
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new UxdpError('EINVAL', `signal must be an AbortSignal, got ${describe(signal)}`)
    const repeat = Math.max(asked, 1)
    const run = call(() => native.bpfTestRunStart(this.object.handle, this.name, data, ctx))
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
