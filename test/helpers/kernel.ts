/**
 * The Linux kernel as a test oracle, recorded.
 *
 * Every question the kernel differential specs ask the kernel (does it load this program? what does
 * BPF_PROG_TEST_RUN return on this packet? what do the maps hold afterwards? what does the libbpf
 * ring-buffer harness print?) goes through here and is answered from the recordings committed in
 * test/fixtures/kernel/<spec>.json, each with the kernel release that gave it. So the suite
 * compares uxdp against the kernel on every machine: no root, no clang, no kernel needed.
 *
 * Modes (UXDP_KERNEL):
 * - unset / `auto`: answers come from the recordings; where the kernel can be used live, it is
 *   asked too, as a second opinion, and every answer that differs from the recording is reported as
 *   a *kernel-build difference* (target/kernel-build-differences/<spec>.json and on stderr), never
 *   as a failure: uxdp follows upstream Linux 6.18, and kernel builds differ from it and from each
 *   other;
 * - `off` (or UXDP_SKIP_KERNEL set): the recordings only;
 * - `record`: the live kernel answers, and its answers are written to target/kernel-record/ for
 *   `npm run kernel:record` (scripts/kernel-record.mjs) to merge into the recordings, showing every
 *   changed answer as a diff.
 *
 * A question without a recorded answer fails the test that asks it (record it). Objects that uxdp
 * runs itself (`{ commit: true }`) are committed next to the recordings
 * (test/fixtures/kernel/objects/), so the recording and the object under test always belong
 * together; every recording is keyed by a hash of the sources (local headers included), the clang
 * arguments and the inputs, so an edited program or case can never be answered by a stale one.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { expect } from 'vitest'
import { encodeMd } from '../../lib/xdpmd'
import {
  clangCompile,
  clangMissing,
  errnoName,
  HARNESS_SOURCE,
  harnessMissing,
  KERNEL_SRC_DIR,
  LivePin,
  liveKernel,
  loadFailure,
  ownPins,
  runHarness,
  runStats,
  scratchDir,
  STATS_SOURCE,
  unpinAllLive,
  type Availability,
  type CapSet,
  type DumpAnswer,
  type HarnessAnswer,
  type LoadAnswer,
  type MapEntry,
  type RunAnswer,
  type VerifierStats,
  type XdpMd,
} from './kernel-live'

export { KERNEL_SRC_DIR, ownPins, type CapSet, type HarnessAnswer, type LoadAnswer, type MapEntry, type RunAnswer, type VerifierStats, type XdpMd }

const ROOT = resolve(__dirname, '..', '..')
export const FIXTURE_DIR = join(ROOT, 'test', 'fixtures', 'kernel')
const OBJECT_DIR = join(FIXTURE_DIR, 'objects')
const RECORD_DIR = join(ROOT, 'target', 'kernel-record')
const DIFFERENCE_DIR = join(ROOT, 'target', 'kernel-build-differences')

export type Mode = 'auto' | 'off' | 'record'
export const MODE: Mode = process.env.UXDP_KERNEL === 'record' ? 'record' : process.env.UXDP_KERNEL === 'off' || process.env.UXDP_SKIP_KERNEL ? 'off' : 'auto'

// =============================================================================================
// Known kernel-build differences: refusals by kernel builds of what upstream 6.18 accepts

export interface BuildDifference {
  /** The kernel builds seen to do this. */
  kernels: string[]
  /** The verifier's (or libbpf's) line, exactly. */
  refusal: string
  errno: string
  /** What upstream Linux 6.18 does instead, and where that is decided. */
  upstream: string
}

export const KNOWN: BuildDifference[] = (JSON.parse(readFileSync(join(FIXTURE_DIR, 'build-differences.json'), 'utf8')) as { differences: BuildDifference[] }).differences

/** The known build difference a refusal is, if it is one. */
export function knownDifference(a: LoadAnswer | HarnessAnswer): BuildDifference | undefined {
  if ('accepted' in a) return a.accepted ? undefined : KNOWN.find((d) => d.refusal === a.line && d.errno === a.errno)
  return a.status === 0 ? undefined : KNOWN.find((d) => a.stderr.includes(d.refusal))
}

/** The kernel refused a program: what it said, whether it is a known build difference, and which
 * kernel said it. */
export class KernelRefused extends Error {
  constructor(
    readonly answer: Extract<LoadAnswer, { accepted: false }>,
    readonly kernel: string,
    readonly what: string,
  ) {
    super(`Linux ${kernel} refused ${what}: ${answer.message}`)
  }

  get known(): BuildDifference | undefined {
    return knownDifference(this.answer)
  }
}

// =============================================================================================
// Answers as stored: Buffers as hex (short) or deflated base64 (long), with length and hash

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

function encode(v: unknown): Json {
  if (Buffer.isBuffer(v)) {
    if (v.length <= 64) return { hex: v.toString('hex') }
    return { len: v.length, sha256: sha256(v).slice(0, 16), deflate: deflateRawSync(v, { level: 9 }).toString('base64') }
  }
  if (typeof v === 'string' && v.length > 512) return { text: deflateRawSync(Buffer.from(v), { level: 9 }).toString('base64') }
  if (Array.isArray(v)) return v.map(encode)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, encode(x)]))
  return v as Json
}

export function decode(v: Json): unknown {
  if (Array.isArray(v)) return v.map(decode)
  if (v && typeof v === 'object') {
    if (typeof v.hex === 'string' && Object.keys(v).length === 1) return Buffer.from(v.hex, 'hex')
    if (typeof v.deflate === 'string') {
      const b = inflateRawSync(Buffer.from(v.deflate, 'base64'))
      if (b.length !== v.len || sha256(b).slice(0, 16) !== v.sha256) throw new Error(`corrupt recording: a blob of ${v.len} bytes decodes to ${b.length} (or a different hash)`)
      return b
    }
    if (typeof v.text === 'string' && Object.keys(v).length === 1) return inflateRawSync(Buffer.from(v.text, 'base64')).toString('utf8')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]))
  }
  return v
}

/** One recorded answer. */
export interface Entry {
  /** The test that asked (for people reading the recording). */
  test: string
  /** The question, in words. */
  what: string
  /** `uname -r` of the kernel that answered. */
  kernel: string
  /** A hash of what must agree between two answers to this question (see `ask`). */
  same: string
  answer: Json
}

export interface FixtureFile {
  about: string
  entries: Record<string, Entry>
}

function readFixture(tag: string): FixtureFile {
  const path = join(FIXTURE_DIR, `${tag}.json`)
  if (!existsSync(path)) return { about: '', entries: {} }
  return JSON.parse(readFileSync(path, 'utf8')) as FixtureFile
}

// =============================================================================================
// The oracle of one spec file

export interface Difference {
  test: string
  what: string
  recorded: { kernel: string; answer: string }
  live: { kernel: string; answer: string }
}

interface Oracle {
  tag: string
  fixture: FixtureFile
  /** The live kernel, when it is asked too (auto with BPF allowed, record). */
  live?: string
  liveReason: string
  recorded: Map<string, Entry>
  objects: Set<string>
  differences: Difference[]
  /** Cases without a recorded run: the recording kernel refused their program (known build difference). */
  unrecorded: { test: string; what: string; refusal: string; kernel: string }[]
}

let oracle: Oracle | undefined

function current(): Oracle {
  if (!oracle) throw new Error('test bug: call useKernel(tag) first')
  return oracle
}

export interface KernelUse {
  mode: Mode
  /** The kernel releases the recordings come from. */
  recordedOn: string
  /** The live kernel asked for a second opinion (or recording), if any. */
  live?: string
  /** Why the live kernel is not asked ('' when it is). */
  liveReason: string
}

/**
 * Opens the recordings of spec `tag` (test/fixtures/kernel/<tag>.json) and decides whether the
 * live kernel is asked too. Call once per spec file, at the top.
 */
export function useKernel(tag: string): KernelUse {
  const fixture = readFixture(tag)
  let live: Availability = { ok: false, reason: `UXDP_KERNEL=off` }
  if (MODE !== 'off') live = liveKernel(() => build('buff_len.bpf.c').path)
  if (MODE === 'record' && !live.ok) throw new Error(`[${tag}] UXDP_KERNEL=record needs the live kernel: ${live.reason}`)
  oracle = { tag, fixture, live: live.ok ? live.kernel : undefined, liveReason: live.ok ? '' : live.reason, recorded: new Map(), objects: new Set(), differences: [], unrecorded: [] }
  if (!live.ok && MODE === 'auto') console.warn(`[${tag}] the live kernel gives no second opinion here (${live.reason}): uxdp is compared with the recorded answers only`)
  const releases = [...new Set(Object.values(fixture.entries).map((e) => e.kernel))].sort()
  return { mode: MODE, recordedOn: MODE === 'record' ? (live as { kernel: string }).kernel : releases.join(', ') || '(nothing recorded)', live: oracle.live, liveReason: oracle.liveReason }
}

/**
 * Notes a case whose program the recording kernel refused as a known build difference: it has no
 * recorded run, and the spec checks the kernel facts it pins on uxdp's answer instead.
 */
function noteUnrecorded(e: KernelRefused): void {
  const o = current()
  o.unrecorded.push({ test: testName(), what: e.what, refusal: e.answer.line, kernel: e.kernel })
}

/**
 * `f()`, or undefined where the recording kernel refused the program `f` needs as a known build
 * difference (noted: the case then checks the kernel facts it pins on uxdp's answer).
 */
export function unlessKnownRefusal<T>(f: () => T): T | undefined {
  try {
    return f()
  } catch (e) {
    if (!(e instanceof KernelRefused) || !e.known) throw e
    noteUnrecorded(e)
    return undefined
  }
}

/** The test asking, without the spec's top-level title (which names kernels). */
const testName = (): string => expect.getState().currentTestName?.split(' > ').slice(1).join(' > ') || '(setup)'

/** The whole of a comparable answer as text (Buffers as hex), to tell answers apart. */
function canon(a: unknown): string {
  return JSON.stringify(a, (_k, v) => (v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data as number[]).toString('hex') : v))
}

/** Short text of an answer, for reports. */
function summary(a: unknown): string {
  const s = JSON.stringify(a, (_k, v) => {
    if (v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data)) {
      const b = Buffer.from(v.data as number[])
      return b.length <= 16 ? `<${b.toString('hex')}>` : `<${b.length} B sha256:${sha256(b).slice(0, 12)}>`
    }
    return v
  })
  return s.length > 400 ? `${s.slice(0, 400)}…` : s
}

/**
 * The answer to one question: recorded (record mode: asked live and kept), with the live kernel's
 * as a second opinion. `comparable` picks what must agree (not messages naming temp files).
 */
export function ask<A>(request: Json, what: string, live: (() => A) | undefined, comparable: (a: A) => unknown): A {
  const o = current()
  const key = sha256(JSON.stringify(request)).slice(0, 24)
  if (MODE === 'record') {
    if (!live) throw new Error(`cannot record ${what}: the live kernel could not be asked (see the load before it)`)
    const a = live()
    const entry = { test: testName(), what, kernel: o.live!, same: sha256(canon(comparable(a))).slice(0, 16), answer: encode(a) }
    const earlier = o.recorded.get(key)
    if (earlier && earlier.same !== entry.same)
      throw new Error(`the kernel answered the same question twice differently (not deterministic?): ${what}`)
    o.recorded.set(key, entry)
    return a
  }
  const entry = o.fixture.entries[key]
  if (!entry)
    throw new Error(`no recorded kernel answer for ${what} (test/fixtures/kernel/${o.tag}.json, key ${key}): run \`npm run kernel:record\` on a machine whose kernel allows BPF`)
  const answer = decode(entry.answer) as A
  if (live) {
    let l: A | undefined
    let failure = ''
    try {
      l = live()
    } catch (e) {
      failure = (e as Error).message
    }
    if (failure || canon(comparable(answer)) !== canon(comparable(l as A)))
      o.differences.push({ test: testName(), what, recorded: { kernel: entry.kernel, answer: summary(comparable(answer)) }, live: { kernel: o.live!, answer: failure ? `(could not ask: ${failure})` : summary(comparable(l as A)) } })
  }
  return answer
}

/**
 * One question of a spec's own kind (a tool of its own asks the live kernel), recorded and
 * compared as every other: `live` is asked when recording or when the live kernel gives a second
 * opinion (see {@link liveKernelAsked}).
 */
export function askKernel<A>(request: unknown, what: string, live: (() => A) | undefined, comparable: (a: A) => unknown = (a) => a): A {
  return ask<A>(request as Json, what, live && (MODE === 'record' || current().live) ? live : undefined, comparable)
}

/** Whether the spec's questions go to the live kernel too (recording, or a second opinion). */
export function liveKernelAsked(): boolean {
  return MODE === 'record' || current().live !== undefined
}

const loadComparable = (a: LoadAnswer) => (a.accepted ? { accepted: true } : { accepted: false, errno: a.errno, line: a.line })
const runComparable = (a: RunAnswer) => (a.ok ? { ok: true, retval: a.retval, out: a.out, ctxOut: a.ctxOut } : { ok: false, code: a.code })
/** A dump as Linux defines it: entries in key order (a hash map's order depends on its random
 * seed), per-CPU values summed over the CPUs as u64 words (which CPU ran test_run is the
 * scheduler's choice). */
function dumpComparable(a: DumpAnswer): unknown {
  if (!a.ok) return { error: true }
  const sum = (values: Buffer[]) => {
    if (values.some((v) => v.length % 8)) return values
    const out = Buffer.alloc(values[0]?.length ?? 0)
    for (let i = 0; i < out.length; i += 8) out.writeBigUInt64LE(BigInt.asUintN(64, values.reduce((t, v) => t + v.readBigUInt64LE(i), 0n)), i)
    return { sumOverCpus: out }
  }
  return [...a.entries].sort((x, y) => Buffer.compare(x.key, y.key)).map((e) => ({ key: e.key, value: e.value, values: e.values && sum(e.values) }))
}
const harnessComparable = (a: HarnessAnswer) => ({ status: a.status, stdout: a.status === 0 ? a.stdout : '' })

/**
 * Ends the spec's use of the kernel: unpins everything, reports the kernel-build differences seen
 * (stderr and target/kernel-build-differences/<tag>.json) and, when recording, writes what the
 * kernel answered to target/kernel-record/<tag>.json. Returns the differences.
 */
export function finishKernel(): Difference[] {
  const o = current()
  unpinAllLive()
  livePrograms.clear()
  mkdirSync(DIFFERENCE_DIR, { recursive: true })
  writeFileSync(join(DIFFERENCE_DIR, `${o.tag}.json`), JSON.stringify({ live: o.live ?? null, liveReason: o.liveReason, differences: o.differences, unrecorded: o.unrecorded }, null, 1) + '\n')
  if (o.unrecorded.length) {
    const byRefusal = new Map<string, Set<string>>()
    for (const u of o.unrecorded) byRefusal.set(`${u.kernel}: ${u.refusal}`, (byRefusal.get(`${u.kernel}: ${u.refusal}`) ?? new Set()).add(u.test))
    for (const [why, tests] of byRefusal)
      console.warn(`[${o.tag}] ${tests.size} case(s) have no recorded kernel run, the recording kernel refused their program (a known build difference, upstream 6.18 accepts it): ${why}; the kernel facts they pin were checked on uxdp's answers`)
  }
  if (o.differences.length) {
    console.warn(`[${o.tag}] ${o.differences.length} kernel-build difference(s): the live kernel ${o.live} answers differently from the recordings (not uxdp failures; uxdp follows the recordings):`)
    for (const d of o.differences.slice(0, 20)) console.warn(`  ${d.test}: ${d.what}\n    recorded (${d.recorded.kernel}): ${d.recorded.answer}\n    live     (${d.live.kernel}): ${d.live.answer}`)
    if (o.differences.length > 20) console.warn(`  ... ${o.differences.length - 20} more in target/kernel-build-differences/${o.tag}.json`)
  }
  if (MODE === 'record') {
    mkdirSync(RECORD_DIR, { recursive: true })
    const entries = Object.fromEntries([...o.recorded.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
    writeFileSync(join(RECORD_DIR, `${o.tag}.json`), JSON.stringify({ entries, objects: [...o.objects].sort() }) + '\n')
  }
  return o.differences
}

// =============================================================================================
// Objects

/** The local headers a source includes, recursively (`#include "x.h"` in test/kernel). */
function localIncludes(file: string, seen = new Set<string>()): string[] {
  for (const m of readFileSync(file, 'utf8').matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    // as clang looks: next to the including file, then test/kernel (-I)
    const inc = [join(dirname(file), m[1]), join(KERNEL_SRC_DIR, m[1])].find((f) => existsSync(f))
    if (inc && !seen.has(inc)) {
      seen.add(inc)
      localIncludes(inc, seen)
    }
  }
  return [...seen].sort()
}

/** A hash of files' names and contents. */
function filesKey(files: string[]): string {
  const h = createHash('sha256')
  for (const f of files) h.update(basename(f)).update('\0').update(readFileSync(f)).update('\0')
  return h.digest('hex')
}

/** A BPF object built from test/kernel/<source> with clang: its key (sources, headers, arguments),
 * and its file once it exists. */
export class BpfBuild {
  private file: string | undefined
  constructor(
    readonly source: string,
    readonly args: string[],
    readonly key: string,
    /** Committed under test/fixtures/kernel/objects/ (uxdp runs these bytes too). */
    readonly committed: boolean,
  ) {}

  get what(): string {
    const shown = this.args.map((a) => (a.length > 60 ? `${a.slice(0, 57)}...` : a)).join(' ')
    return `${this.source}${shown ? ` ${shown}` : ''} #${this.key.slice(0, 8)}`
  }

  get committedPath(): string {
    // sources in subdirectories of test/kernel (verifier/packet.bpf.c) too: objects/packet-<key>.o
    return join(OBJECT_DIR, `${basename(this.source).replace(/\.bpf\.c$/, '')}-${this.key.slice(0, 16)}.o`)
  }

  /** The object file: the committed one, or (uncommitted builds) compiled now with clang. */
  get path(): string {
    if (this.file) return this.file
    if (this.committed) {
      if (!existsSync(this.committedPath)) {
        if (MODE !== 'record') throw new Error(`no recorded object for ${this.what} (${this.committedPath}): run \`npm run kernel:record\``)
        mkdirSync(OBJECT_DIR, { recursive: true })
        clangCompile(join(KERNEL_SRC_DIR, this.source), this.args, this.committedPath)
      }
      this.file = this.committedPath
    } else {
      const missing = clangMissing()
      if (missing) throw new Error(`cannot build ${this.what}: ${missing}`)
      this.file = join(scratchDir(), `${basename(this.source).replace(/\.bpf\.c$/, '')}-${this.key.slice(0, 16)}.o`)
      clangCompile(join(KERNEL_SRC_DIR, this.source), this.args, this.file)
    }
    if (oracle && this.committed) oracle.objects.add(basename(this.file))
    return this.file
  }
}

const builds = new Map<string, BpfBuild>()

/**
 * The object test/kernel/<source> built with -D`defines` and `flags` (e.g. -mcpu=v3). With
 * `commit`, the object is committed with the recordings (for objects uxdp runs too).
 */
export function build(source: string, defines: Record<string, string | number> = {}, flags: string[] = [], opts: { commit?: boolean } = {}): BpfBuild {
  const args = [...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`), ...flags]
  const src = join(KERNEL_SRC_DIR, source)
  const key = sha256([filesKey([src, ...localIncludes(src)]), ...args, opts.commit ? 'committed' : ''].join('\0'))
  let b = builds.get(key)
  if (!b) builds.set(key, (b = new BpfBuild(source, args, key, !!opts.commit)))
  return b
}

// =============================================================================================
// Programs and objects

/** ctx_in / data_in of one test_run. */
export interface RunOptions {
  /** Metadata placed before the packet (ctx_in.data = its length). */
  meta?: Uint8Array
  /** Bytes of packet to put in the linear part (ctx_in.data_end = meta + this). Default: all. */
  linear?: number
  /** The other ctx_in fields (ingress_ifindex, rx_queue_index, egress_ifindex); default 0. */
  ctx?: Partial<Pick<XdpMd, 'ingressIfindex' | 'rxQueueIndex' | 'egressIfindex'>>
}

function testRunInput(packet: Uint8Array, opts: RunOptions): { dataIn: Buffer; ctxIn: Buffer; what: string } {
  const meta = opts.meta ?? new Uint8Array(0)
  const dataIn = Buffer.concat([meta, packet])
  const md = { ...opts.ctx, data: meta.length, dataEnd: meta.length + (opts.linear ?? packet.length) }
  const extras = Object.entries(opts.ctx ?? {}).filter(([, v]) => v)
  const what = `${packet.length} B${meta.length ? `, meta ${meta.length}` : ''}${opts.linear !== undefined ? `, linear ${opts.linear}` : ''}${extras.length ? `, ${extras.map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`
  return { dataIn, ctxIn: encodeMd(md, dataIn.length), what }
}

function runRequest(b: BpfBuild, prog: string | undefined, dataIn: Buffer, ctxIn: Buffer, session?: string): Json {
  return { op: 'run', object: b.key, prog: prog ?? null, data: sha256(dataIn), len: dataIn.length, ctx: ctxIn.toString('hex'), session: session ?? null }
}

/** Live programs by object key, so that each is loaded once per spec file. */
const livePrograms = new Map<string, LivePin | Extract<LoadAnswer, { accepted: false }>>()

function liveLoad(b: BpfBuild, all: boolean, name: string): LivePin | Extract<LoadAnswer, { accepted: false }> {
  const cacheKey = `${all ? 'all' : 'one'}:${b.key}`
  let p = livePrograms.get(cacheKey)
  if (!p) livePrograms.set(cacheKey, (p = all ? LivePin.loadAll(b.path, name) : LivePin.load(b.path, name)))
  return p
}

function loadVerdict(b: BpfBuild, all: boolean, live: () => LivePin | Extract<LoadAnswer, { accepted: false }>): LoadAnswer {
  const o = current()
  const asked = MODE === 'record' || o.live
  return ask<LoadAnswer>({ op: all ? 'loadall' : 'load', object: b.key }, `${all ? 'bpftool prog loadall' : 'bpftool prog load'} ${b.what}`, asked ? () => toLoadAnswer(live()) : undefined, loadComparable)
}

const toLoadAnswer = (p: LivePin | Extract<LoadAnswer, { accepted: false }>): LoadAnswer => (p instanceof LivePin ? { accepted: true } : p)
const livePin = (p: LivePin | Extract<LoadAnswer, { accepted: false }> | undefined): LivePin | undefined => (p instanceof LivePin ? p : undefined)

/**
 * The verdict on an object as libbpf's bpf_object__load gives it (ringbuf_harness --load), refusals
 * included: the errno it returned (which bpftool does not print) and the verifier's line, or
 * libbpf's own when libbpf refused before the kernel saw the program.
 */
export function verdict(b: BpfBuild, opts: { stats?: boolean; caps?: CapSet } = {}): LoadAnswer {
  const a = harness(['--load', b], undefined, opts.caps)
  if (a.status !== 0) throw new Error(`ringbuf_harness --load ${b.what} exited with ${a.status}: ${a.stderr}`)
  const err = (JSON.parse(a.stdout) as { load: number }).load
  const answer: LoadAnswer = err === 0 ? { accepted: true } : { ...loadFailure(a.stderr, b.path), errno: errnoName(-err) }
  return opts.stats ? { ...answer, ...verifierStats(b, opts.caps) } : answer
}

/**
 * The verifier's statistics of a load (test/kernel/verifier_stats.c: log level 4), a question of
 * its own: the instructions processed, the verification time, the states. Recorded; only whether
 * the load succeeded must agree between two answers (the numbers vary from run to run).
 */
export function verifierStats(b: BpfBuild, caps?: CapSet): VerifierStats {
  const o = current()
  const asked = MODE === 'record' || o.live !== undefined
  type Stats = ReturnType<typeof runStats>
  const s = ask<Stats>({ op: 'stats', tool: filesKey([STATS_SOURCE]), object: b.key, ...(caps ? { caps } : {}) }, `verifier_stats ${b.what}${caps ? ` (caps ${caps})` : ''}`, asked ? () => runStats(b.path, caps) : undefined, (x) => ({ loaded: x.load === 0 }))
  const n = (v: number) => (v >= 0 ? v : undefined)
  return { processed: n(s.processed), verificationUs: n(s.verificationUs), states: s.states.total >= 0 ? { total: s.states.total, peak: s.states.peak } : undefined }
}

/** A program the kernel accepted (`bpftool prog load`: the object's first program). */
export class KernelProgram {
  constructor(
    readonly build: BpfBuild,
    private readonly live: () => LivePin | undefined,
  ) {}

  /** One BPF_PROG_TEST_RUN. ctx_in is always given so that ctx_out reports data/data_end afterwards. */
  run(packet: Uint8Array, opts: RunOptions = {}): RunAnswer {
    const { dataIn, ctxIn, what } = testRunInput(packet, opts)
    const pin = this.live()
    return ask<RunAnswer>(runRequest(this.build, undefined, dataIn, ctxIn), `test_run of ${this.build.what} on ${what}`, pin ? () => pin.run(dataIn, ctxIn) : undefined, runComparable)
  }
}

/**
 * The program of test/kernel/<source> (built with -D`defines`), loaded: throws KernelRefused when
 * the kernel refuses it.
 */
export function program(source: string, defines: Record<string, string | number> = {}): KernelProgram {
  const b = build(source, defines)
  const live = () => liveLoad(b, false, source.replace(/\.bpf\.c$/, ''))
  const verdict = loadVerdict(b, false, live)
  if (!verdict.accepted) throw new KernelRefused(verdict, recordedKernel(), b.what)
  return new KernelProgram(b, () => (MODE === 'record' || current().live ? livePin(live()) : undefined))
}

/** The release that answered the last question (for messages). */
function recordedKernel(): string {
  const o = current()
  if (MODE === 'record') return o.live!
  const releases = new Set(Object.values(o.fixture.entries).map((e) => e.kernel))
  return [...releases].join(', ')
}

/** Sessions per test, so that a session's name does not depend on which other tests ran. */
const sessionCounts = new Map<string, number>()

/**
 * An object with every program and map (`bpftool prog loadall`). Runs and dumps of one object are
 * stateless questions by default (the programs keep no state the cases read); with `session`, the
 * object is fresh and its questions form a sequence (each answer depends on the questions before
 * it, e.g. map contents after runs).
 */
export class KernelObject {
  private runs = 0
  private constructor(
    readonly build: BpfBuild,
    private readonly live: () => LivePin | undefined,
    private readonly session: string | undefined,
  ) {}

  /**
   * `session`: the object is fresh and its questions form a sequence, named after the test and how
   * many objects of this build the test loaded before (counted per `label`, so that two sides of a
   * comparison loading the same build ask the same questions).
   */
  static load(b: BpfBuild, opts: { session?: boolean; label?: string } = {}): KernelObject {
    const name = b.source.replace(/\.bpf\.c$/, '')
    // a fresh session has a live object of its own
    let own: LivePin | Extract<LoadAnswer, { accepted: false }> | undefined
    const live = opts.session ? () => (own ??= LivePin.loadAll(b.path, name)) : () => liveLoad(b, true, name)
    const verdict = loadVerdict(b, true, live)
    if (!verdict.accepted) throw new KernelRefused(verdict, recordedKernel(), b.what)
    let session: string | undefined
    if (opts.session) {
      const t = testName()
      const counter = `${t}\0${b.key}\0${opts.label ?? ''}`
      const n = sessionCounts.get(counter) ?? 0
      sessionCounts.set(counter, n + 1)
      session = `${t}#${n}`
    }
    const obj = new KernelObject(b, () => (MODE === 'record' || current().live ? livePin(live()) : undefined), session)
    if (opts.session) obj.release = () => livePin(own)?.unload()
    return obj
  }

  /** Where in its session a question stands: after how many runs (only runs change the object). */
  private sessionKey(): string | undefined {
    return this.session === undefined ? undefined : `${this.session}/${this.runs}`
  }

  run(prog: string, packet: Uint8Array, opts: RunOptions = {}): RunAnswer {
    const { dataIn, ctxIn, what } = testRunInput(packet, opts)
    const pin = this.live()
    const session = this.sessionKey()
    this.runs++
    return ask<RunAnswer>(runRequest(this.build, prog, dataIn, ctxIn, session), `test_run of ${prog} in ${this.build.what} on ${what}`, pin ? () => pin.run(dataIn, ctxIn, prog) : undefined, runComparable)
  }

  /** The map's entries (`bpftool map dump`), as libbpf names maps ('.bss' for global data). */
  dump(map: string): MapEntry[] {
    const pin = this.live()
    const a = ask<DumpAnswer>({ op: 'dump', object: this.build.key, map, session: this.sessionKey() ?? null }, `bpftool map dump of ${map} in ${this.build.what}`, pin ? () => pin.dump(map) : undefined, dumpComparable)
    if (!a.ok) throw new Error(a.message)
    return a.entries
  }

  /** Ends a session (shared objects stay loaded until finishKernel). */
  release: () => void = () => {}
}

let harnessWarned = false

/**
 * The ring-buffer harness (test/kernel/ringbuf_harness.c, libbpf) with `args`, where objects are
 * BpfBuilds and '@INPUT' stands for a file holding `input`.
 */
export function harness(args: (string | BpfBuild)[], input?: Buffer, caps?: CapSet): HarnessAnswer {
  const o = current()
  const request: Json = {
    op: 'harness',
    harness: filesKey([HARNESS_SOURCE]),
    args: args.map((a) => (a instanceof BpfBuild ? `obj:${a.key}` : a)),
    input: input ? sha256(input) : null,
    // a question under reduced capabilities is another question (root's keeps its old key)
    ...(caps ? { caps } : {}),
  }
  const what = `ringbuf_harness ${args.map((a) => (a instanceof BpfBuild ? a.what : a)).join(' ')}${input ? ` (${input.length} B input)` : ''}${caps ? ` (caps ${caps})` : ''}`
  const asked = MODE === 'record' || (o.live !== undefined && harnessMissing() === '')
  if (o.live && !asked && !harnessWarned) {
    harnessWarned = true
    console.warn(`[${o.tag}] the live kernel gives no second opinion on ring buffers here: ${harnessMissing()}`)
  }
  const answer = ask<HarnessAnswer>(request, what, asked ? () => runHarness(args.map((a) => (a instanceof BpfBuild ? a.path : a)), input, caps) : undefined, harnessComparable)
  // exit status 2: the harness could not open or load the object
  if (answer.status === 2) {
    const known = knownDifference(answer)
    throw new KernelRefused({ accepted: false, errno: known?.errno ?? '', line: known?.refusal ?? answer.stderr.split('\n').at(-1) ?? '', message: answer.stderr }, recordedKernel(), what)
  }
  return answer
}

/** The AF_XDP harness (test/kernel/xsk_harness.c): raw AF_XDP on a veth pair in a network
 * namespace of its own (root, unshare, iproute2). */
export const XSK_HARNESS_SOURCE = join(KERNEL_SRC_DIR, 'xsk_harness.c')
let xskTool: { ok: true; path: string } | { ok: false; reason: string } | undefined

function runXskHarness(scenario: string, object?: string): HarnessAnswer {
  if (!xskTool) {
    const path = join(scratchDir(), 'xsk_harness')
    const r = spawnSync('gcc', ['-O2', '-Wall', '-Werror', '-o', path, XSK_HARNESS_SOURCE, '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' })
    xskTool = r.status === 0 ? { ok: true, path } : { ok: false, reason: `building xsk_harness.c failed: ${r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' | ')}` }
  }
  if (!xskTool.ok) throw new Error(xskTool.reason)
  // A veth pair at MTU 9000 in a network namespace of its own; frames go in from the peer, xb.
  const links = 'ip link add xa type veth peer name xb && ip link set xa mtu 9000 && ip link set xb mtu 9000 && ip link set xa up && ip link set xb up'
  const script = `${links} && exec ${xskTool.path} xa ${scenario}${object ? ` ${object} xb` : ''}`
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8' })
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr || (r.error ? String(r.error) : '')).trim() }
}

/** What the live kernel's AF_XDP socket did in harness scenario `scenario` (recorded); the rx
 * scenarios attach `object`'s program `to_xsk` to the veth. */
export function xskHarness(scenario: string, object?: BpfBuild): HarnessAnswer {
  const o = current()
  const request: Json = { op: 'xsk-harness', harness: filesKey([XSK_HARNESS_SOURCE]), scenario, ...(object ? { object: object.key } : {}) }
  return ask<HarnessAnswer>(request, `xsk_harness ${scenario}${object ? ` ${object.what}` : ''}`, o.live ? () => runXskHarness(scenario, object?.path) : undefined, harnessComparable)
}

// =============================================================================================
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

/** A helper's return value as BPF_PROG_TEST_RUN reports it (u32): -22 -> 4294967274. */
export const u32 = (v: number): number => v >>> 0
/** The reverse: a retval read as the helper's int. */
export const s32 = (v: number): number => v | 0

/** Decodes uxdp_geometry(): [linear length, bpf_xdp_get_buff_len()]. */
export function geometry(retval: number): { linear: number; length: number } {
  return { linear: retval >>> 17, length: retval & 0x1ffff }
}
