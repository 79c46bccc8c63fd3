/**
 * The running Linux kernel as a test oracle: compiles the BPF programs of test/kernel/ with clang,
 * loads them with bpftool and runs them with BPF_PROG_TEST_RUN (`bpftool prog run`).
 *
 * `kernelOracle()` decides once whether that is possible here and, if not, gives the precise
 * reason (missing tool, /sys/fs/bpf not mounted, the kernel refusing to load a program, ...), so the
 * suite can skip loudly instead of passing silently.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { arch, release, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const KERNEL_SRC_DIR = resolve(__dirname, '..', 'kernel')
const BPFFS = '/sys/fs/bpf'
const PIN_PREFIX = 'uxdp_'

/** errno names for the strerror() texts bpftool prints ("Error: failed to run program: <text>"). */
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
}

export type Availability = { ok: true; kernel: string } | { ok: false; reason: string }

let scratch: string | undefined
/** A private temp directory for objects and packet files (never inside the repository). */
function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'uxdp-kernel-'))
  return scratch
}

function firstLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).slice(-1)[0] ?? ''
}

function has(tool: string): string | null {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' })
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${tool} not found in PATH` : `${tool}: ${r.error.message}`
  if (r.status !== 0) return `${tool} --version exited with ${r.status}: ${firstLine(r.stderr)}`
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

function includeArch(): string {
  const m = spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout?.trim() || (arch() === 'x64' ? 'x86_64' : arch())
  return `/usr/include/${m}-linux-gnu`
}

let availability: Availability | undefined

/** Whether the kernel can serve as oracle here, and if not, why. Computed once, synchronously. */
export function kernelOracle(): Availability {
  availability ??= probe()
  return availability
}

/** The oracle for the spec file `tag`, with why it is unavailable ('' when it is available); says
 * `[tag] SKIPPED: ...` on stderr when it is not. */
export function specOracle(tag: string): { oracle: Availability; skipReason: string } {
  const oracle = kernelOracle()
  const skipReason = oracle.ok ? '' : oracle.reason
  if (!oracle.ok) console.warn(`[${tag}] SKIPPED: the kernel oracle is unavailable: ${skipReason}`)
  return { oracle, skipReason }
}

function probe(): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` }
  if (process.env.UXDP_SKIP_KERNEL) return { ok: false, reason: 'UXDP_SKIP_KERNEL is set' }
  for (const tool of ['clang', 'bpftool']) {
    const missing = has(tool)
    if (missing) return { ok: false, reason: `${missing} (apt-get install -y clang llvm libbpf-dev bpftool)` }
  }
  if (!existsSync('/usr/include/bpf/bpf_helpers.h')) return { ok: false, reason: 'libbpf headers missing: /usr/include/bpf/bpf_helpers.h (apt-get install -y libbpf-dev)' }
  if (!existsSync(join(includeArch(), 'asm'))) return { ok: false, reason: `no asm headers in ${includeArch()}` }
  if (!bpffsMounted()) {
    const m = spawnSync('mount', ['-t', 'bpf', 'bpf', BPFFS], { encoding: 'utf8' })
    if (m.status !== 0 || !bpffsMounted()) return { ok: false, reason: `${BPFFS} is not a mounted bpf filesystem and mounting failed: ${firstLine(m.stderr || String(m.error))}` }
  }
  let prog: KernelProgram | undefined
  try {
    const obj = compile('buff_len.bpf.c')
    prog = KernelProgram.load(obj, 'probe')
    const r = prog.run(Buffer.alloc(64))
    if (!r.ok) return { ok: false, reason: `BPF_PROG_TEST_RUN failed on the probe program: ${r.message}` }
    if (r.retval !== 64) return { ok: false, reason: `probe program returned ${r.retval}, expected 64` }
  } catch (e) {
    return { ok: false, reason: `probe failed: ${(e as Error).message}` }
  } finally {
    prog?.unload()
  }
  return { ok: true, kernel: release() }
}

const objects = new Map<string, string>()

/** Compiles test/kernel/<source> with the given -D macros (and extra clang flags, e.g. -mcpu=v3)
 * into the temp dir; cached per variant. */
export function compile(source: string, defines: Record<string, string | number> = {}, flags: string[] = []): string {
  const defs = [...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`), ...flags]
  const key = createHash('sha1').update(source).update('\0').update(defs.join('\0')).digest('hex').slice(0, 16)
  const cached = objects.get(key)
  if (cached) return cached
  const out = join(scratchDir(), `${source.replace(/\.bpf\.c$/, '')}-${key}.o`)
  const args = ['-O2', '-g', '-target', 'bpf', '-Wall', '-Werror', `-I${includeArch()}`, `-I${KERNEL_SRC_DIR}`, ...defs, '-c', join(KERNEL_SRC_DIR, source), '-o', out]
  const r = spawnSync('clang', args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`clang ${source} ${defs.join(' ')} failed:\n${r.stderr || r.error}`)
  objects.set(key, out)
  return out
}

/** struct xdp_md as BPF_PROG_TEST_RUN's ctx_in / ctx_out. */
export interface XdpMd {
  data: number
  dataEnd: number
  dataMeta: number
  ingressIfindex: number
  rxQueueIndex: number
  egressIfindex: number
}

function encodeMd(md: Partial<XdpMd>): Buffer {
  const b = Buffer.alloc(24)
  ;[md.data, md.dataEnd, md.dataMeta, md.ingressIfindex, md.rxQueueIndex, md.egressIfindex].forEach((v, i) => b.writeUInt32LE(v ?? 0, i * 4))
  return b
}

function decodeMd(b: Buffer): XdpMd {
  const u = (i: number) => b.readUInt32LE(i * 4)
  return { data: u(0), dataEnd: u(1), dataMeta: u(2), ingressIfindex: u(3), rxQueueIndex: u(4), egressIfindex: u(5) }
}

export type KernelRun =
  | { ok: true; retval: number; out: Buffer; ctxOut?: XdpMd }
  /** test_run itself failed (e.g. ENOMEM past MAX_SKB_FRAGS); `code` is the errno name. */
  | { ok: false; code: string; message: string }

export interface RunOptions {
  /** Metadata placed before the packet (ctx_in.data = its length). */
  meta?: Uint8Array
  /** Bytes of packet to put in the linear part (ctx_in.data_end = meta + this). Default: all. */
  linear?: number
  /** The other ctx_in fields (ingress_ifindex, rx_queue_index, egress_ifindex); default 0. */
  ctx?: Partial<Pick<XdpMd, 'ingressIfindex' | 'rxQueueIndex' | 'egressIfindex'>>
}

/** The useful part of a failed `bpftool prog load`: the errno (e.g. EPERM when the kernel does not
 * allow BPF here) and the verifier's last message or libbpf's complaint. */
export function loadFailure(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean)
  let errno = ''
  for (const [text, name] of Object.entries(STRERROR)) if (stderr.includes(text)) errno ||= name
  const m = /(?:err(?:or)?[ =:]*)-(\d+)\b|\((\d+)\)/i.exec(stderr)
  if (!errno && m) errno = `errno ${m[1] ?? m[2]}`
  // verifier log: the message is the last line before "processed N insns" / "verification time"
  const end = lines.findIndex((l) => /^processed \d+ insns|^verification time/.test(l))
  const verifier = end > 0 ? lines[end - 1] : ''
  const libbpfLines = lines.filter((l) => /^libbpf: /.test(l) && !/Failed to bump RLIMIT_MEMLOCK/.test(l))
  const libbpf =
    libbpfLines.find((l) => Object.keys(STRERROR).some((t) => l.includes(t))) ?? libbpfLines[0] ?? lines.find((l) => /^Error:/.test(l)) ?? lines.at(-1) ?? ''
  return [errno, verifier && `verifier: ${verifier}`, libbpf].filter(Boolean).join(': ')
}

const pinned = new Set<string>()
let seq = 0

/** A program pinned in bpffs. Always `unload()` it (or call `unpinAll()`). */
export class KernelProgram {
  private constructor(readonly pin: string) {}

  /** `bpftool prog load OBJ /sys/fs/bpf/uxdp_<name>_<pid>_<n>`; throws with the verifier's last
   * message when the kernel refuses it. */
  static load(object: string, name: string): KernelProgram {
    const pin = join(BPFFS, `${PIN_PREFIX}${name.replace(/[^A-Za-z0-9_]/g, '_')}_${process.pid}_${seq++}`)
    const r = spawnSync('bpftool', ['prog', 'load', object, pin], { encoding: 'utf8' })
    if (r.status !== 0) {
      rmSync(pin, { force: true })
      throw new Error(`bpftool prog load ${object} refused: ${loadFailure(r.stderr || String(r.error))}`)
    }
    pinned.add(pin)
    return new KernelProgram(pin)
  }

  /** One BPF_PROG_TEST_RUN (repeat 1: with repeat N the kernel re-runs on the same, already
   * modified buffer). ctx_in is always given so that ctx_out reports data/data_end afterwards. */
  run(packet: Uint8Array, opts: RunOptions = {}): KernelRun {
    const dir = scratchDir()
    const id = `${process.pid}-${seq++}`
    const fin = join(dir, `in-${id}.bin`)
    const fout = join(dir, `out-${id}.bin`)
    const fctx = join(dir, `ctx-${id}.bin`)
    const fctxOut = join(dir, `ctxout-${id}.bin`)
    const meta = opts.meta ?? new Uint8Array(0)
    writeFileSync(fin, Buffer.concat([meta, packet]))
    writeFileSync(fctx, encodeMd({ ...opts.ctx, data: meta.length, dataEnd: meta.length + (opts.linear ?? packet.length) }))
    try {
      const r = spawnSync(
        'bpftool',
        ['prog', 'run', 'pinned', this.pin, 'data_in', fin, 'data_out', fout, 'data_size_out', '131072', 'ctx_in', fctx, 'ctx_out', fctxOut, 'repeat', '1'],
        { encoding: 'utf8' },
      )
      if (r.status !== 0) {
        const message = firstLine(r.stderr || String(r.error))
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

  unload(): void {
    rmSync(this.pin, { force: true })
    pinned.delete(this.pin)
  }

  /** A program pinned by someone else (e.g. one of a KernelObject's): run it, never unload it. */
  static at(pin: string): KernelProgram {
    return new KernelProgram(pin)
  }
}

/** Compile (cached) and load; programs are cached per variant until `unpinAll()`. */
const loaded = new Map<string, KernelProgram>()
export function program(source: string, defines: Record<string, string | number> = {}): KernelProgram {
  const obj = compile(source, defines)
  let p = loaded.get(obj)
  if (!p) {
    p = KernelProgram.load(obj, source.replace(/\.bpf\.c$/, ''))
    loaded.set(obj, p)
  }
  return p
}

// ---------------------------------------------------------------------------------------------
// Whole objects: every program and every map pinned, map contents read back with bpftool

const pinnedDirs = new Set<string>()

/** One map entry as `bpftool map dump -j` gives it: `value` for ordinary maps, `values` (one per
 * possible CPU, in CPU order) for per-CPU maps. */
export interface MapEntry {
  key: Buffer
  value?: Buffer
  values?: Buffer[]
}

const hexBytes = (a: string[]): Buffer => Buffer.from(a.map((x) => parseInt(x, 16)))

/**
 * An object loaded with `bpftool prog loadall OBJ DIR/progs pinmaps DIR/maps`: every program is
 * loaded (so prog arrays initialised in C with `.values = { [i] = &prog }` are filled by libbpf)
 * and pinned under its function name, every map pinned under libbpf's pin name. Always `unload()`
 * it (or call `unpinAll()`).
 */
export class KernelObject {
  private constructor(
    readonly dir: string,
    /** Program (function) names. */
    readonly programs: string[],
    /** Map name -> pin path; global data maps under their section name ('.bss', '.data', '.rodata'). */
    readonly maps: Map<string, string>,
  ) {}

  static load(object: string, name: string): KernelObject {
    const dir = join(BPFFS, `${PIN_PREFIX}${name.replace(/[^A-Za-z0-9_]/g, '_')}_${process.pid}_${seq++}`)
    mkdirSync(dir)
    pinnedDirs.add(dir)
    const r = spawnSync('bpftool', ['prog', 'loadall', object, join(dir, 'progs'), 'pinmaps', join(dir, 'maps')], { encoding: 'utf8' })
    if (r.status !== 0) {
      rmSync(dir, { recursive: true, force: true })
      pinnedDirs.delete(dir)
      throw new Error(`bpftool prog loadall ${object} refused: ${loadFailure(r.stderr || String(r.error))}`)
    }
    const ls = (d: string) => (existsSync(d) ? readdirSync(d) : [])
    const maps = new Map<string, string>()
    for (const pin of ls(join(dir, 'maps'))) {
      const path = join(dir, 'maps', pin)
      const show = spawnSync('bpftool', ['map', 'show', 'pinned', path, '-j'], { encoding: 'utf8' })
      const kname = show.status === 0 ? String((JSON.parse(show.stdout) as { name?: string }).name ?? pin) : pin
      // libbpf names a global data map "<object name prefix>.<section>"
      maps.set(kname.includes('.') ? kname.slice(kname.indexOf('.')) : kname, path)
    }
    return new KernelObject(dir, ls(join(dir, 'progs')), maps)
  }

  program(name: string): KernelProgram {
    if (!this.programs.includes(name)) throw new Error(`no program ${name} in ${this.dir} (${this.programs.join(', ')})`)
    return KernelProgram.at(join(this.dir, 'progs', name))
  }

  run(prog: string, packet: Uint8Array, opts: RunOptions = {}): KernelRun {
    return this.program(prog).run(packet, opts)
  }

  /** `bpftool map dump pinned ... -j`: the raw keys and values (not for ring buffers). */
  dump(map: string): MapEntry[] {
    const path = this.maps.get(map)
    if (!path) throw new Error(`no map ${map} in ${this.dir} (${[...this.maps.keys()].join(', ')})`)
    const r = spawnSync('bpftool', ['map', 'dump', 'pinned', path, '-j'], { encoding: 'utf8', maxBuffer: 64 << 20 })
    if (r.status !== 0) throw new Error(`bpftool map dump ${map} failed: ${firstLine(r.stderr || String(r.error))}`)
    type Raw = { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] }
    return (JSON.parse(r.stdout) as Raw[]).map((e) => ({
      key: hexBytes(e.key),
      ...(e.value ? { value: hexBytes(e.value) } : {}),
      ...(e.values ? { values: [...e.values].sort((a, b) => a.cpu - b.cpu).map((v) => hexBytes(v.value)) } : {}),
    }))
  }

  unload(): void {
    rmSync(this.dir, { recursive: true, force: true })
    pinnedDirs.delete(this.dir)
  }
}

/** Removes every pin this process made and the temp directory. */
export function unpinAll(): void {
  for (const pin of pinned) rmSync(pin, { force: true })
  pinned.clear()
  for (const dir of pinnedDirs) rmSync(dir, { recursive: true, force: true })
  pinnedDirs.clear()
  loaded.clear()
  objects.clear()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
  scratch = undefined
}

/** Leftover pins of this process (should be none after unpinAll). */
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

/** A helper's return value as BPF_PROG_TEST_RUN reports it (u32): -22 -> 4294967274. */
export const u32 = (v: number): number => v >>> 0
/** The reverse: a retval read as the helper's int. */
export const s32 = (v: number): number => v | 0

/** Decodes uxdp_geometry(): [linear length, bpf_xdp_get_buff_len()]. */
export function geometry(retval: number): { linear: number; length: number } {
  return { linear: retval >>> 17, length: retval & 0x1ffff }
}

// ---------------------------------------------------------------------------------------------
// Packets and comparisons of the differential specs

/** Deterministic bytes that differ from offset to offset (and from page to page). */
export function seededPattern(size: number, seed = 0): Buffer {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) b[i] = (i * 131 + (i >>> 12) * 17 + seed * 29 + 7) & 0xff
  return b
}

/** '' when the bytes are equal, else both lengths and the first byte where they differ, with 8
 * bytes from there of each (named `names`). */
export function firstDifference(a: Buffer, b: Buffer, names = ['kernel', 'uxdp']): string {
  if (a.equals(b)) return ''
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  const hex = (x: Buffer) => x.subarray(i, i + 8).toString('hex') || '(end)'
  return `lengths ${names[0]} ${a.length} / ${names[1]} ${b.length}, first difference at byte ${i}: ${names[0]} ${hex(a)} ${names[1]} ${hex(b)}`
}
