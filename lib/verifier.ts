/**
 * The verifier policy API: Linux 6.18's verdict on one program of an object, its exact words and
 * its log, without keeping anything loaded. The verifier itself is the engine's
 * (crate/src/bpf/verifier): the same one `BpfObject.open`, `Program.load`, test_run and NIC attach
 * go through. One call into the engine per `verify()`.
 */
import { BpfObject, bytesOf, objectNameOf, targetOptions, type KconfigValue, type TargetBtf } from './bpf'
import { call, checkOptions, describe, optBool, optInt, optString, UxdpError, type ErrnoName } from './errors'
import { native } from './native'
import { checkTargetKernel, checkTiers, engineKfuncSpecs, isProgTypeName, KfuncRegistry, PROG_TYPE_IDS, type Caps, type ProgTypeName, type Tier, type UserKfuncSpec } from './policy'

/** 'linux-6.18': the kernel's kfuncs only. 'seed': the seed's convenience kfuncs as well (their
 * version where a kernel kfunc has the name), as `seedKfuncs: true` loads. 'seed-helpers': those,
 * and the helper ids the seed proposed for them (214..=221), which never reached uapi (every call
 * is warned of), as `seedKfuncs: true, seedHelpers: true` loads. */
export type VerifierProfile = 'linux-6.18' | 'seed' | 'seed-helpers'

export interface VerifyOptions {
  /** The program to verify (default: the first autoload one). */
  prog?: string
  /** Overrides the program type the section gives (uapi name: 'xdp', 'socket_filter', 'sched_cls',
   * ...). The verifier models XDP, socket filter and tc (sched_cls, sched_act) programs; it refuses
   * other types with EINVAL and a line that says so. */
  progType?: ProgTypeName
  /** The loader's capabilities: `{ bpf, perfmon }` (default both), or 'privileged' /
   * 'unprivileged' (neither CAP_BPF nor CAP_PERFMON: pointer leaks and comparisons are refused). */
  caps?: Caps | 'privileged' | 'unprivileged'
  profile?: VerifierProfile
  /** The kernel's log-level bit mask: 0 (default: `log` is empty), 1 (the path to the error: each
   * instruction, the registers it touched, the source lines), 2 (every path, with the state where
   * each resumes), 4 (adds `verification time` and `stack depth`), 8 (no effect: the log has no size
   * limit); `bpftool -d` asks for 7. */
  logLevel?: number
  /** The complexity limit in instructions processed (default 1,000,000). */
  insnLimit?: number
  /** User kfuncs the program calls, with the C prototypes and KF_* flags the verifier enforces:
   * a KfuncRegistry, or declarations (no implementation needed: verify() runs nothing). */
  userKfuncs?: KfuncRegistry | readonly UserKfuncSpec[]
  /** Loaded device-bound (BPF_F_XDP_DEV_BOUND_ONLY), what the XDP metadata kfuncs need. */
  devBound?: boolean
  /** "Will this load on kernel X" (`LoadOptions.targetKernel`). */
  targetKernel?: string
  /** The stability tiers calls may have (`LoadOptions.allowTiers`). */
  allowTiers?: readonly Tier[]
  /** The target BTF CO-RE relocations resolve against (`LoadOptions.btf`). */
  btf?: TargetBtf
  /** `.kconfig` values (`LoadOptions.kconfig`). */
  kconfig?: Readonly<Record<string, KconfigValue>>
}

export interface VerifierStats {
  /** The kernel's `processed N insns`. */
  processed: number
  totalStates: number
  peakStates: number
  maxStatesPerInsn: number
  markRead: number
  /** Stack depth of each subprogram, as `stack depth 16+0`. */
  stackDepth: number[]
  /** uxdp's verification time in microseconds (the kernel's `verification time N usec`). */
  timeUs: number
}

export interface VerifyResult {
  accepted: boolean
  /** The program verified. */
  prog: string
  /** The negative errno the load fails with (bpf()'s -EACCES, -EINVAL, -E2BIG, ...); 0 when accepted. */
  errno: number
  /** The errno's name; undefined when accepted. */
  code?: ErrnoName
  /** The kernel's error line, character for character (`R2 !read_ok`); '' when accepted. A
   * refusal before the verifier (libbpf's, the structural checks') has its own line here. */
  message: string
  /** Whether the verifier ran: false when the load was refused before it. */
  verified: boolean
  /** The instruction refused, as the kernel's log prints it, and its index. */
  insn?: string
  pc?: number
  /** The verifier's log at `logLevel` ('' at level 0). */
  log: string
  stats: VerifierStats
  /** Calls of deprecated and deprecating functions (uxdp's lifecycle policy), with replacements. */
  warnings: string[]
}

const VERIFY_KEYS = ['prog', 'progType', 'caps', 'profile', 'logLevel', 'insnLimit', 'userKfuncs', 'devBound', 'targetKernel', 'allowTiers', 'btf', 'kconfig'] as const

function capsOf(caps: unknown): Caps | undefined {
  if (caps === undefined || caps === 'privileged') return undefined
  if (caps === 'unprivileged') return { bpf: false, perfmon: false }
  if (typeof caps === 'string') throw new UxdpError('EINVAL', `caps must be { bpf, perfmon }, 'privileged' or 'unprivileged', got ${describe(caps)}`)
  const c = checkOptions<Caps>('caps', caps, ['bpf', 'perfmon'])
  optBool('caps.bpf', c.bpf)
  optBool('caps.perfmon', c.perfmon)
  return c
}

function registryOf(user: unknown): KfuncRegistry | undefined {
  if (user === undefined || user instanceof KfuncRegistry) return user
  if (!Array.isArray(user)) throw new UxdpError('EINVAL', `userKfuncs must be a KfuncRegistry or an array of kfunc declarations, got ${describe(user)}`)
  const registry = new KfuncRegistry()
  const never = (): bigint => {
    throw new UxdpError('EOPNOTSUPP', 'declared for verify() only')
  }
  for (const spec of user as UserKfuncSpec[]) registry.register(spec, never)
  return registry
}

/**
 * Verifies one program of an object file (a path or its bytes) as Linux 6.18 would load it, and
 * answers with the verdict. A
 * refusal is a result (`accepted: false`, the kernel's line in `message`), never an exception;
 * unusable input (an object `bpf_object__open` refuses: not ELF, a malformed section; no such
 * program; bad options) throws UxdpError.
 */
export function verify(object: string | Uint8Array, options: VerifyOptions = {}): VerifyResult {
  if (object instanceof BpfObject) throw new UxdpError('EINVAL', 'verify takes an object file (a path or its bytes), not a loaded BpfObject')
  const o = checkOptions<VerifyOptions>('verify', options, VERIFY_KEYS)
  optString('prog', o.prog)
  if (o.progType !== undefined && !isProgTypeName(o.progType)) throw new UxdpError('EINVAL', `progType must be a program type name ('xdp', 'socket_filter', 'sched_cls', ...), got ${describe(o.progType)}`)
  const profile = optString<VerifierProfile>('profile', o.profile, ['linux-6.18', 'seed', 'seed-helpers'])
  const logLevel = optInt('logLevel', o.logLevel, 0, 15)
  const insnLimit = optInt('insnLimit', o.insnLimit, 1, 0x7fffffff)
  optBool('devBound', o.devBound)
  const caps = capsOf(o.caps)
  const registry = registryOf(o.userKfuncs)
  const bytes = bytesOf(object)
  const r = call(() =>
    native.bpfVerify(bytes, {
      prog: o.prog,
      objectName: objectNameOf(object),
      progType: o.progType === undefined ? undefined : PROG_TYPE_IDS[o.progType],
      seedKfuncs: profile === 'seed' || profile === 'seed-helpers',
      seedHelpers: profile === 'seed-helpers',
      devBound: o.devBound,
      kfuncSpecs: engineKfuncSpecs(registry),
      logLevel,
      insnLimit,
      capBpf: caps?.bpf,
      capPerfmon: caps?.perfmon,
      targetKernel: checkTargetKernel(o.targetKernel),
      allowTiers: checkTiers(o.allowTiers),
      ...targetOptions(o),
    }),
  )
  const out: VerifyResult = {
    accepted: r.accepted,
    prog: r.prog,
    errno: r.errno,
    message: r.message,
    verified: r.verified,
    log: r.log,
    stats: {
      processed: r.stats.processed,
      totalStates: r.stats.totalStates,
      peakStates: r.stats.peakStates,
      maxStatesPerInsn: r.stats.maxStatesPerInsn,
      markRead: r.stats.markRead,
      stackDepth: r.stats.stackDepth,
      timeUs: r.stats.timeUs,
    },
    warnings: r.warnings,
  }
  if (!r.accepted) out.code = r.code as ErrnoName
  if (r.insn != null) out.insn = r.insn
  if (r.pc != null) out.pc = r.pc
  return out
}
