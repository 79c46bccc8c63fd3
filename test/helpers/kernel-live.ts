/**
 * The running Linux kernel, used live: compiles BPF programs with clang, loads them with bpftool,
 * runs them with BPF_PROG_TEST_RUN (`bpftool prog run`), dumps maps, and runs the libbpf ring-buffer
 * harness. Every answer is a plain value (a refusal too), so that helpers/kernel.ts can record it,
 * replay it and compare it with a recording.
 *
 * `liveKernel()` decides once whether the kernel can be used here and, if not, says precisely why
 * (missing tool, /sys/fs/bpf not mounted, the kernel refusing BPF, ...).
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { arch, release, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { UxdpError } from '../../lib/errors'
import { decodeMd, encodeMd, type XdpMd } from '../../lib/xdpmd'

export type { XdpMd }

export const KERNEL_SRC_DIR = resolve(__dirname, '..', 'kernel')
const BPFFS = '/sys/fs/bpf'
const PIN_PREFIX = 'uxdp_'

/** errno names for the strerror() texts bpftool and libbpf print. */
const STRERROR: Record<string, string> = {
  'Operation not permitted': 'EPERM',
  'No such file or directory': 'ENOENT',
  'Cannot allocate memory': 'ENOMEM',
  'Bad address': 'EFAULT',
  'Invalid argument': 'EINVAL',
  'No space left on device': 'ENOSPC',
  'Permission denied': 'EACCES',
  'Argument list too long': 'E2BIG',
  'No such device': 'ENODEV',
  'Operation not supported': 'EOPNOTSUPP',
  'No such process': 'ESRCH',
  'Unknown error 524': 'ENOTSUPP',
}

/** The name of errno `n` (positive), from uxdp's table. */
export const errnoName = (n: number): string => UxdpError.nameOf(-n) ?? `errno ${n}`

export type Availability = { ok: true; kernel: string } | { ok: false; reason: string }

/** The kernel's verdict on a program or object: accepted, or refused with the errno the bpf()
 * syscall returned and the verifier's error line (or libbpf's complaint when the verifier said
 * nothing). */
export type LoadAnswer = ({ accepted: true } | { accepted: false; errno: string; line: string; message: string; log?: string }) & VerifierStats

/** What the verifier's log level 4 (BPF_LOG_STATS) says about a load, where it was asked for
 * (`verdict(b, { stats: true })`): recorded, never compared (they vary from run to run). */
export interface VerifierStats {
  /** `processed N insns`. */
  processed?: number
  /** `verification time N usec`. */
  verificationUs?: number
  /** `total_states N peak_states N`. */
  states?: { total: number; peak: number }
}

export type RunAnswer =
  | { ok: true; retval: number; out: Buffer; ctxOut?: XdpMd }
  /** test_run itself failed (e.g. ENOMEM past MAX_SKB_FRAGS); `code` is the errno name. */
  | { ok: false; code: string; message: string }

/** One map entry as `bpftool map dump -j` gives it: `value` for ordinary maps, `values` (one per
 * possible CPU, in CPU order) for per-CPU maps. */
export interface MapEntry {
  key: Buffer
  value?: Buffer
  values?: Buffer[]
}

export type DumpAnswer = { ok: true; entries: MapEntry[] } | { ok: false; message: string }

/** What a harness process printed. */
export interface HarnessAnswer {
  status: number
  stdout: string
  /** The last 40 lines of stderr (where a refusal is explained: libbpf prints the verifier's log). */
  stderr: string
}

// ---------------------------------------------------------------------------------------------

let scratch: string | undefined
/** A private temp directory for objects and packet files (never inside the repository). */
export function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'uxdp-kernel-'))
  return scratch
}

function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).slice(-1)[0] ?? ''
}

function has(tool: string): string | null {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' })
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${tool} not found in PATH` : `${tool}: ${r.error.message}`
  if (r.status !== 0) return `${tool} --version exited with ${r.status}: ${lastLine(r.stderr)}`
  return null
}

function bpffsMounted(): boolean {
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .some((l) => {
        const [, mnt, type] = l.split(' ')
        return mnt === BPFFS && type === 'bpf'
      })
  } catch {
    return false
  }
}

export function includeArch(): string {
  const m = spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout?.trim() || (arch() === 'x64' ? 'x86_64' : arch())
  return `/usr/include/${m}-linux-gnu`
}

/** Why clang cannot build the test programs here ('' when it can). */
export function clangMissing(): string {
  const missing = has('clang')
  if (missing) return `${missing} (apt-get install -y clang llvm libbpf-dev)`
  if (!existsSync('/usr/include/bpf/bpf_helpers.h')) return 'libbpf headers missing: /usr/include/bpf/bpf_helpers.h (apt-get install -y libbpf-dev)'
  if (!existsSync(join(includeArch(), 'asm'))) return `no asm headers in ${includeArch()}`
  return ''
}

/** Compiles `source` (a path) with the given clang arguments into `out`; throws clang's output.
 * An argument `--clang=clang-19` picks another clang than the default `clang`. */
export function clangCompile(source: string, args: string[], out: string): void {
  const tool = args.find((a) => a.startsWith('--clang='))?.slice('--clang='.length) ?? 'clang'
  const rest = args.filter((a) => !a.startsWith('--clang='))
  const r = spawnSync(tool, ['-O2', '-g', '-target', 'bpf', '-Wall', '-Werror', `-I${includeArch()}`, `-I${KERNEL_SRC_DIR}`, ...rest, '-c', source, '-o', out], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`clang ${source} ${args.join(' ')} failed:\n${r.stderr || r.error}`)
}

let availability: Availability | undefined

/** Whether the kernel can be used live here, and if not, why. Computed once, synchronously.
 * `probe` loads and runs one program (an object path) to see that BPF is allowed. */
export function liveKernel(probeObject: () => string): Availability {
  availability ??= probe(probeObject)
  return availability
}

function probe(probeObject: () => string): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` }
  const missing = has('bpftool') || clangMissing()
  if (missing) return { ok: false, reason: missing }
  if (!bpffsMounted()) {
    const m = spawnSync('mount', ['-t', 'bpf', 'bpf', BPFFS], { encoding: 'utf8' })
    if (m.status !== 0 || !bpffsMounted()) return { ok: false, reason: `${BPFFS} is not a mounted bpf filesystem and mounting failed: ${lastLine(m.stderr || String(m.error))}` }
  }
  let pin: LivePin | undefined
  try {
    const loaded = LivePin.load(probeObject(), 'probe')
    if (!(loaded instanceof LivePin)) return { ok: false, reason: `the kernel refused the probe program: ${loaded.message}` }
    pin = loaded
    const r = pin.run(Buffer.alloc(64))
    if (!r.ok) return { ok: false, reason: `BPF_PROG_TEST_RUN failed on the probe program: ${r.message}` }
    if (r.retval !== 64) return { ok: false, reason: `probe program returned ${r.retval}, expected 64` }
  } catch (e) {
    return { ok: false, reason: `probe failed: ${(e as Error).message}` }
  } finally {
    pin?.unload()
  }
  return { ok: true, kernel: release() }
}

/** The useful part of a failed load's output: the errno, the verifier's error line (the last line
 * before `processed N insns` / `verification time`) or else libbpf's complaint. */
export function loadFailure(stderr: string, object: string): Extract<LoadAnswer, { accepted: false }> {
  const text = stderr.split(object).join('OBJ')
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  let errno = ''
  for (const [t, name] of Object.entries(STRERROR)) if (text.includes(t)) errno ||= name
  const m = /(?:err(?:or)?[ =:]*|failed to load: )-(\d+)\b|\((\d+)\)/i.exec(text)
  if (!errno && m) errno = errnoName(Number(m[1] ?? m[2]))
  const end = lines.findIndex((l) => /^processed \d+ insns|^verification time/.test(l))
  // a verifier message without its newline runs into the statistics line ("expected prog array map
  // for tail callprocessed 3 insns (limit ..."): the message is the text before it
  const glued = lines.map((l) => /^(.+?)processed \d+ insns \(limit \d+\)/.exec(l)).find((m) => m)
  // "infinite loop detected at insn N" is followed by the two states it compared: skip those dumps
  let last = end - 1
  while (last > 0 && /^(cur|old) state: /.test(lines[last])) last--
  const verifier = glued && (end < 0 || lines.indexOf(glued.input) < end) ? glued[1] : end > 0 ? lines[last] : ''
  const libbpfLines = lines.filter((l) => /^libbpf: /.test(l) && !/Failed to bump RLIMIT_MEMLOCK/.test(l))
  const libbpf = libbpfLines.find((l) => Object.keys(STRERROR).some((t) => l.includes(t))) ?? libbpfLines[0] ?? lines.find((l) => /^Error:/.test(l)) ?? lines.at(-1) ?? ''
  // the verifier's whole log (level 1, as libbpf asks for it after a failed load), verbatim
  const log = /-- BEGIN PROG LOAD LOG --\n([\s\S]*?)-- END PROG LOAD LOG --/.exec(stderr)?.[1]
  return { accepted: false, errno, line: verifier || libbpf.replace(/^libbpf: /, ''), message: [errno, verifier && `verifier: ${verifier}`, libbpf].filter(Boolean).join(': '), ...(log !== undefined && { log }) }
}

export interface RunInput {
  /** data_in: metadata then packet. */
  dataIn: Buffer
  /** ctx_in (struct xdp_md). */
  ctxIn: Buffer
}

const pinned = new Set<string>()
const pinnedDirs = new Set<string>()
let seq = 0

const hexBytes = (a: string[]): Buffer => Buffer.from(a.map((x) => parseInt(x, 16)))

/** A program (`bpftool prog load`) or an object (`bpftool prog loadall`, every program and map
 * pinned) in bpffs. Always `unload()` it (or call `unpinAllLive()`). */
export class LivePin {
  private constructor(
    readonly pin: string,
    /** Object pins only: program (function) names, and map name -> pin path (global data maps
     * under their section name: '.bss', '.data', '.rodata'). */
    readonly programs: string[] = [],
    readonly maps = new Map<string, string>(),
  ) {}

  /** `bpftool prog load OBJ PIN`: the object's first program. */
  static load(object: string, name: string): LivePin | Extract<LoadAnswer, { accepted: false }> {
    const pin = join(BPFFS, `${PIN_PREFIX}${name.replace(/[^A-Za-z0-9_]/g, '_')}_${process.pid}_${seq++}`)
    const r = spawnSync('bpftool', ['prog', 'load', object, pin], { encoding: 'utf8' })
    if (r.status !== 0) {
      rmSync(pin, { force: true })
      return loadFailure(r.stderr || String(r.error), object)
    }
    pinned.add(pin)
    return new LivePin(pin)
  }

  /** `bpftool prog loadall OBJ DIR/progs pinmaps DIR/maps`: every program is loaded (so prog
   * arrays initialised in C with `.values = { [i] = &prog }` are filled by libbpf). */
  static loadAll(object: string, name: string): LivePin | Extract<LoadAnswer, { accepted: false }> {
    const dir = join(BPFFS, `${PIN_PREFIX}${name.replace(/[^A-Za-z0-9_]/g, '_')}_${process.pid}_${seq++}`)
    mkdirSync(dir)
    pinnedDirs.add(dir)
    const r = spawnSync('bpftool', ['prog', 'loadall', object, join(dir, 'progs'), 'pinmaps', join(dir, 'maps')], { encoding: 'utf8' })
    if (r.status !== 0) {
      rmSync(dir, { recursive: true, force: true })
      pinnedDirs.delete(dir)
      return loadFailure(r.stderr || String(r.error), object)
    }
    const ls = (d: string) => (existsSync(d) ? readdirSync(d) : [])
    const maps = new Map<string, string>()
    for (const p of ls(join(dir, 'maps'))) {
      const path = join(dir, 'maps', p)
      const show = spawnSync('bpftool', ['map', 'show', 'pinned', path, '-j'], { encoding: 'utf8' })
      const kname = show.status === 0 ? String((JSON.parse(show.stdout) as { name?: string }).name ?? p) : p
      // libbpf names a global data map "<object name prefix>.<section>"
      maps.set(kname.includes('.') ? kname.slice(kname.indexOf('.')) : kname, path)
    }
    return new LivePin(dir, ls(join(dir, 'progs')), maps)
  }

  /** One BPF_PROG_TEST_RUN (repeat 1: with repeat N the kernel re-runs on the same, already
   * modified buffer) of the pinned program, or of program `prog` of a pinned object. */
  run(dataIn: Buffer, ctxIn?: Buffer, prog?: string): RunAnswer {
    let pin = this.pin
    if (prog !== undefined) {
      if (!this.programs.includes(prog)) throw new Error(`no program ${prog} in ${this.pin} (${this.programs.join(', ')})`)
      pin = join(this.pin, 'progs', prog)
    }
    const dir = scratchDir()
    const id = `${process.pid}-${seq++}`
    const fin = join(dir, `in-${id}.bin`)
    const fout = join(dir, `out-${id}.bin`)
    const fctx = join(dir, `ctx-${id}.bin`)
    const fctxOut = join(dir, `ctxout-${id}.bin`)
    writeFileSync(fin, dataIn)
    writeFileSync(fctx, ctxIn ?? encodeMd(undefined, dataIn.length))
    try {
      const r = spawnSync(
        'bpftool',
        ['prog', 'run', 'pinned', pin, 'data_in', fin, 'data_out', fout, 'data_size_out', '131072', 'ctx_in', fctx, 'ctx_out', fctxOut, 'repeat', '1'],
        { encoding: 'utf8' },
      )
      if (r.status !== 0) {
        const message = lastLine(r.stderr || String(r.error))
        const m = /failed to run program: (.*)$/.exec(message)
        return { ok: false, code: (m && STRERROR[m[1]]) || 'UNKNOWN', message }
      }
      const m = /Return value: (\d+)/.exec(r.stdout)
      if (!m) throw new Error(`unexpected bpftool output: ${r.stdout}`)
      return {
        ok: true,
        retval: Number(m[1]),
        out: existsSync(fout) ? readFileSync(fout) : Buffer.alloc(0),
        ctxOut: existsSync(fctxOut) ? decodeMd(readFileSync(fctxOut)) : undefined,
      }
    } finally {
      for (const f of [fin, fout, fctx, fctxOut]) rmSync(f, { force: true })
    }
  }

  /** `bpftool map dump pinned ... -j`: the raw keys and values (not for ring buffers). */
  dump(map: string): DumpAnswer {
    const path = this.maps.get(map)
    if (!path) return { ok: false, message: `no map ${map} (${[...this.maps.keys()].join(', ')})` }
    const r = spawnSync('bpftool', ['map', 'dump', 'pinned', path, '-j'], { encoding: 'utf8', maxBuffer: 64 << 20 })
    if (r.status !== 0) return { ok: false, message: `bpftool map dump ${map} failed: ${lastLine(r.stderr || String(r.error))}` }
    type Raw = { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] }
    return {
      ok: true,
      entries: (JSON.parse(r.stdout) as Raw[]).map((e) => ({
        key: hexBytes(e.key),
        ...(e.value ? { value: hexBytes(e.value) } : {}),
        ...(e.values ? { values: [...e.values].sort((a, b) => a.cpu - b.cpu).map((v) => hexBytes(v.value)) } : {}),
      })),
    }
  }

  unload(): void {
    rmSync(this.pin, { recursive: true, force: true })
    pinned.delete(this.pin)
    pinnedDirs.delete(this.pin)
  }
}

// ---------------------------------------------------------------------------------------------
// The ring-buffer harness (test/kernel/ringbuf_harness.c, built with gcc and libbpf)

export const HARNESS_SOURCE = join(KERNEL_SRC_DIR, 'ringbuf_harness.c')
let harness: { ok: true; path: string } | { ok: false; reason: string } | undefined

/** Builds the harness once; why it cannot be built ('' when it can). */
export function harnessMissing(): string {
  if (!harness) {
    const path = join(scratchDir(), 'ringbuf_harness')
    const r = spawnSync('gcc', ['-O2', '-Wall', '-Werror', '-o', path, HARNESS_SOURCE, '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' })
    if (r.error) harness = { ok: false, reason: `gcc: ${r.error.message} (apt-get install -y gcc libbpf-dev libelf-dev zlib1g-dev)` }
    else if (r.status !== 0) harness = { ok: false, reason: `building ringbuf_harness.c failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` }
    else harness = { ok: true, path }
  }
  return harness.ok ? '' : harness.reason
}

/**
 * A capability set a loader runs under, below root's full one: `bpf` is root without CAP_PERFMON
 * and CAP_SYS_ADMIN (CAP_BPF and CAP_NET_ADMIN kept: the kernel's bpf_capable() but neither
 * allow_ptr_leaks nor the Spectre bypasses), `unpriv` user nobody with no capabilities at all
 * (socket filters only, and only while kernel.unprivileged_bpf_disabled is 0).
 */
export type CapSet = 'bpf' | 'unpriv'
const CAP_WRAP: Record<CapSet, string[]> = {
  bpf: ['--inh-caps=-perfmon,-sys_admin', '--bounding-set=-perfmon,-sys_admin', '--'],
  unpriv: ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--'],
}

/** `cmd args` as run under `caps` (setpriv), or as they are. */
export function underCaps(cmd: string, args: string[], caps: CapSet | undefined): [string, string[]] {
  if (!caps) return [cmd, args]
  if (caps === 'unpriv') {
    const v = existsSync('/proc/sys/kernel/unprivileged_bpf_disabled') ? readFileSync('/proc/sys/kernel/unprivileged_bpf_disabled', 'utf8').trim() : '?'
    if (v !== '0') throw new Error(`recording an unprivileged load needs kernel.unprivileged_bpf_disabled=0 (it is ${v}): sysctl -w kernel.unprivileged_bpf_disabled=0, record, then set it back to 2`)
    // user nobody runs the tool from the scratch directory (mkdtemp makes it private)
    chmodSync(scratchDir(), 0o755)
  }
  return ['setpriv', [...CAP_WRAP[caps], cmd, ...args]]
}

/** Runs the harness with `args`; `input` (if given) is written to a file whose path replaces the
 * argument '@INPUT'. */
export function runHarness(args: string[], input?: Buffer, caps?: CapSet): HarnessAnswer {
  const reason = harnessMissing()
  if (reason) throw new Error(reason)
  const file = join(scratchDir(), `pkt-${process.pid}-${seq++}.bin`)
  if (input) writeFileSync(file, input)
  try {
    const [cmd, argv] = underCaps((harness as { path: string }).path, args.map((a) => (a === '@INPUT' ? file : a)), caps)
    const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20 })
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr || (r.error ? String(r.error) : '')).trim().split('\n').slice(-40).join('\n') }
  } finally {
    rmSync(file, { force: true })
  }
}

// ---------------------------------------------------------------------------------------------
// The verifier's statistics (test/kernel/verifier_stats.c, built with gcc and libbpf)

export const STATS_SOURCE = join(KERNEL_SRC_DIR, 'verifier_stats.c')
let statsTool: { ok: true; path: string } | { ok: false; reason: string } | undefined

/** `verifier_stats OBJ`: bpf_object__load with log level 4; its JSON line, parsed. */
export function runStats(object: string, caps?: CapSet): { load: number } & Required<VerifierStats> {
  if (!statsTool) {
    const path = join(scratchDir(), 'verifier_stats')
    const r = spawnSync('gcc', ['-O2', '-Wall', '-Werror', '-o', path, STATS_SOURCE, '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' })
    statsTool = r.status === 0 ? { ok: true, path } : { ok: false, reason: `building verifier_stats.c failed: ${r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' | ')}` }
  }
  if (!statsTool.ok) throw new Error(statsTool.reason)
  const [cmd, argv] = underCaps(statsTool.path, [object], caps)
  const r = spawnSync(cmd, argv, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`verifier_stats ${object} exited with ${r.status}: ${r.stderr}`)
  return JSON.parse(r.stdout) as { load: number } & Required<VerifierStats>
}

// ---------------------------------------------------------------------------------------------

/** Removes every pin this process made and the temp directory. */
export function unpinAllLive(): void {
  for (const pin of pinned) rmSync(pin, { force: true })
  pinned.clear()
  for (const dir of pinnedDirs) rmSync(dir, { recursive: true, force: true })
  pinnedDirs.clear()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
  scratch = undefined
  harness = undefined
  statsTool = undefined
}

/** Leftover pins of this process (should be none after unpinAllLive). */
export function ownPins(): string[] {
  try {
    return readdirSync(BPFFS).filter((n) => n.startsWith(PIN_PREFIX) && n.includes(`_${process.pid}_`))
  } catch {
    return []
  }
}

process.once('exit', () => {
  for (const pin of pinned) rmSync(pin, { force: true })
  for (const dir of pinnedDirs) rmSync(dir, { recursive: true, force: true })
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})
