/**
 * Kernel differential tests for uxdp's BPF engine: the same clang-built object (test/kernel/bpf_*.bpf.c)
 * and the same packet go through the running kernel (BPF_PROG_TEST_RUN via bpftool, or libbpf in
 * ringbuf_harness.c for ring buffers) and through uxdp's BpfObject. Both must give the same return
 * value, the same data_out (metadata area + packet, all frags), the same ctx_out, and afterwards the
 * same map contents (bpftool map dump vs BpfMap) and ring-buffer records.
 *
 * The programs record what each step observes in the metadata area (see test/kernel/bpf_diff.h:
 * meta[0] = slot count, meta[1..] = slots), so a difference in data_out names the step. Many cases
 * also pin the kernel's own answer computed here from first principles (`check`), so that the kernel
 * half proves the programs do what they claim even when the uxdp half cannot run.
 *
 * The uxdp side goes through one small adapter (`uxdpSide` below), written against the BpfObject API
 * while it was being built; when lib/index has no BpfObject the uxdp half is skipped and one test
 * fails saying so (UXDP_BPF_KERNEL_ONLY=1 turns that failure into a warning).
 *
 * Programs (test/kernel/): bpf_frags (xdp_buff helpers, direct access; also as SEC("xdp")),
 * bpf_dynptr (dynptr kfuncs and helpers), bpf_parse (Ethernet/IPv4/UDP via slices, checksums with
 * bpf_csum_diff and bpf_loop), bpf_maps (array/hash/per-CPU/LRU maps, .rodata/.data/.bss,
 * bpf_for_each_map_elem), bpf_loop (bpf_loop, bounded loops, bpf_iter_num), bpf_tail (tail calls),
 * bpf_ringbuf (ring buffer records), bpf_actions (verdicts, redirects, time, prandom). Packet sizes
 * 64 .. 73152 bytes, 73153 for ENOMEM; some also -mcpu=v3.
 *
 * The kernel's answers are recorded (test/fixtures/kernel/kernel-bpf.json, `npm run kernel:record`)
 * together with the objects they were made from (test/fixtures/kernel/objects/, the very bytes uxdp
 * loads), so this runs everywhere; where the kernel can be used live it is asked too and what it
 * answers differently is reported as a kernel-build difference (see helpers/kernel.ts). Each case's
 * object holds just the programs it runs (-DBD_ONLY, see bpf_diff.h). Where the recording kernel
 * refused a program that upstream 6.18 accepts (a known build difference), the kernel facts the case
 * pins (`check`, `mapCheck`, ring records) are checked on uxdp's answers.
 * UXDP_REQUIRE_KERNEL=1 fails when the live kernel cannot be asked. UXDP_BPF_SHOW=1 prints the
 * kernel's slots and ctx_out of every run. UXDP_BPF_SELFCHECK=1 puts the kernel's recorded answers
 * behind the BpfObject API too (every case must pass), =corrupt flips bytes on that side (every
 * compared case must fail): a check of the comparisons themselves.
 */
import { basename } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { build, finishKernel, firstDifference, harness, KernelObject, knownDifference, ownPins, seededPattern, unlessKnownRefusal, useKernel, verdict, type BpfBuild, type MapEntry, type RunOptions, type XdpMd } from './helpers/kernel'

// =============================================================================================
// The uxdp adapter: the only code that touches uxdp's BPF API.

interface UxdpCtxIn {
  data?: number
  dataEnd?: number
  dataMeta?: number
  ingressIfindex?: number
  rxQueueIndex?: number
}
interface UxdpRunResult {
  retval: number
  dataOut: Buffer
  durationNs: number
  ctxOut: XdpMd
}
interface UxdpProgram {
  testRun(opts: { data: Buffer; ctx?: UxdpCtxIn; repeat?: number }): UxdpRunResult
}
interface UxdpMap {
  lookup(key: Buffer): Buffer | undefined
  keys(): Buffer[]
  records(): Buffer[]
}
interface UxdpObject {
  program(name: string): UxdpProgram
  map(name: string): UxdpMap
  close(): void
}
interface UxdpBpfApi {
  BpfObject: { open(pathOrBuffer: string | Buffer): UxdpObject }
  /** What `bpftool prog load` would say (not offered by the self-check). */
  checkLoad?(path: string): { accepted: boolean; message: string; code?: string }
  UxdpError: abstract new (...args: never[]) => Error & { code: string; errno: number }
}

async function loadUxdpApi(): Promise<{ api?: UxdpBpfApi; missing: string }> {
  try {
    const lib = (await import('../lib/index')) as unknown as Partial<UxdpBpfApi>
    if (typeof lib.BpfObject?.open !== 'function') return { missing: 'lib/index exports no BpfObject.open' }
    return { api: lib as UxdpBpfApi, missing: '' }
  } catch (e) {
    return { missing: `importing lib/index failed: ${(e as Error).message.split('\n')[0]}` }
  }
}
/**
 * UXDP_BPF_SELFCHECK=1: the kernel itself behind the BpfObject API, so that the uxdp half of the
 * suite (adapter, comparisons, map normalisation) can be checked to pass when both sides agree.
 * Ring buffers are not offered (their uxdp half is skipped). UXDP_BPF_SELFCHECK=corrupt flips the
 * last byte of every data_out and the first byte of every map value, which must fail every case.
 */
function kernelAsUxdp(corrupt: boolean): UxdpBpfApi {
  class SelfCheckError extends Error {
    constructor(
      readonly code: string,
      readonly errno: number,
    ) {
      super(code)
    }
  }
  const open = (path: string | Buffer): UxdpObject => {
    const b = typeof path === 'string' ? buildsByPath.get(path) : undefined
    if (!b) throw new Error('self-check: paths of the objects built here only')
    // the same questions as the kernel side asks: answered by the same recordings
    const k = KernelObject.load(b, { session: fresh.get(path), label: 'selfcheck' })
    return {
      program: (name) => ({
        testRun: ({ data, ctx }) => {
          const meta = ctx?.data ?? 0
          const r = k.run(name, data.subarray(meta), {
            meta: data.subarray(0, meta),
            linear: (ctx?.dataEnd ?? data.length) - meta,
            ctx: { ingressIfindex: ctx?.ingressIfindex, rxQueueIndex: ctx?.rxQueueIndex },
          })
          if (!r.ok) throw new SelfCheckError(r.code, -1)
          if (corrupt && r.out.length) r.out[r.out.length - 1] ^= 1
          return { retval: r.retval, dataOut: r.out, durationNs: 0, ctxOut: r.ctxOut! }
        },
      }),
      map: (name) => ({
        keys: () => k.dump(name).map((e) => e.key),
        lookup: (key) => {
          const e = k.dump(name).find((x) => x.key.equals(key))
          if (corrupt && e?.value?.length) e.value[0] ^= 1
          // per-CPU values as the syscall gives them: each CPU's value rounded up to 8 bytes
          return e?.value ?? (e?.values ? Buffer.concat(e.values.map((v) => Buffer.concat([v, Buffer.alloc(-v.length & 7)]))) : undefined)
        },
        records: () => {
          throw new Error('self-check: no ring buffers')
        },
      }),
      close: () => k.release(),
    }
  }
  return { BpfObject: { open }, UxdpError: SelfCheckError }
}

const selfCheck = !!process.env.UXDP_BPF_SELFCHECK
const { api: uxdp, missing: uxdpMissing } = selfCheck ? { api: kernelAsUxdp(process.env.UXDP_BPF_SELFCHECK === 'corrupt'), missing: '' } : await loadUxdpApi()

/** One run's outcome, on either side. */
type Outcome = { ok: true; retval: number; out: Buffer; ctxOut?: XdpMd } | { ok: false; code: string; message: string }

/** A packet and what goes with it into test_run. */
interface Input {
  /** The program to run, when not the case's. */
  prog?: string
  size: number
  /** seededPattern seed (default: the size). */
  seed?: number
  /** The packet itself, instead of a seeded pattern. */
  bytes?: Buffer
  /** Bytes of zeroed metadata ahead of the packet (ctx_in.data); default META. */
  meta?: number
  /** Bytes in the linear part (ctx_in.data_end - ctx_in.data); default all (the kernel caps it at 3520). */
  linear?: number
  ctx?: { ingressIfindex?: number; rxQueueIndex?: number }
  /** test_run itself fails with this errno name (on both sides). */
  error?: string
}

/** A loaded object on one side. */
interface Side {
  run(prog: string, packet: Buffer, inp: Input): Outcome
  /** Every entry of a map (not ring buffers). Per-CPU values: one Buffer holding every CPU's value. */
  dump(map: string): MapEntry[]
  /** The ring buffer's records, consumed. */
  records(map: string): Buffer[]
  close(): void
}

/** libbpf's name for a global data map of the object at `path`: the object name's first
 * 15 - strlen(section) characters, then the section ('bpf_maps-1234.o', '.bss' -> 'bpf_maps-1.bss'). */
function libbpfInternalName(path: string, section: string): string {
  const obj = basename(path).split('.')[0]
  return obj.slice(0, 15 - section.length) + section
}

function uxdpSide(path: string): Side {
  if (!uxdp) throw new Error(uxdpMissing)
  const api = uxdp
  const obj = api.BpfObject.open(path)
  const map = (name: string): UxdpMap => {
    if (!name.startsWith('.')) return obj.map(name)
    try {
      return obj.map(name)
    } catch {
      return obj.map(libbpfInternalName(path, name))
    }
  }
  return {
    run(prog, packet, inp) {
      const meta = inp.meta ?? META
      try {
        const r = obj.program(prog).testRun({
          data: Buffer.concat([Buffer.alloc(meta), packet]),
          ctx: { data: meta, dataEnd: meta + (inp.linear ?? packet.length), ...inp.ctx },
        })
        const c = r.ctxOut
        const ctxOut = { data: c.data, dataEnd: c.dataEnd, dataMeta: c.dataMeta, ingressIfindex: c.ingressIfindex, rxQueueIndex: c.rxQueueIndex, egressIfindex: c.egressIfindex }
        return { ok: true, retval: r.retval >>> 0, out: Buffer.from(r.dataOut), ctxOut }
      } catch (e) {
        if (e instanceof api.UxdpError) return { ok: false, code: e.code, message: e.message }
        throw e
      }
    },
    dump(name) {
      const m = map(name)
      // bpftool map dump lists the keys whose lookup succeeds (a prog array's empty slots are not listed)
      return m.keys().flatMap((key) => {
        const value = m.lookup(key)
        return value ? [{ key: Buffer.from(key), value: Buffer.from(value) }] : []
      })
    },
    records: (name) => map(name).records().map((b) => Buffer.from(b)),
    close: () => obj.close(),
  }
}

// =============================================================================================
// The kernel side

const kernel = useKernel('kernel-bpf')

if (!kernel.live && process.env.UXDP_REQUIRE_KERNEL) {
  describe('live kernel required (UXDP_REQUIRE_KERNEL is set)', () => {
    it('is available', () => {
      expect.fail(`the live kernel cannot be asked: ${kernel.liveReason}`)
    })
  })
}

/** Objects built here, by file, and whether the case loads them fresh (the self-check opens them by path). */
const buildsByPath = new Map<string, BpfBuild>()
const fresh = new Map<string, boolean>()

/** bpf_diff.h: BD_META. */
const META = 216
const BD_SLOTS = 26

/** The kernel's side of an object; undefined where the recording kernel refused it as a known
 * build difference. `fresh`: the object's questions form a session of their own. */
function kernelSide(b: BpfBuild, fresh: boolean): Side | undefined {
  const k = unlessKnownRefusal(() => KernelObject.load(b, { session: fresh }))
  if (!k) return undefined
  return {
    run(prog, packet, inp) {
      const opts: RunOptions = { meta: Buffer.alloc(inp.meta ?? META), linear: inp.linear, ctx: inp.ctx }
      const r = k.run(prog, packet, opts)
      return r.ok ? { ok: true, retval: r.retval, out: r.out, ctxOut: r.ctxOut } : { ok: false, code: r.code, message: r.message }
    },
    dump: (map) => k.dump(map),
    records: () => {
      throw new Error('ring buffers are read through ringbuf_harness')
    },
    close: () => k.release(),
  }
}

// =============================================================================================
// Slots, hashes, packets

const EINVAL = -22
const EFAULT = -14
const ERANGE = -34
const E2BIG = -7
const EEXIST = -17
const ENOENT = -2
const EACCES = -13

const XDP_ABORTED = 0
const XDP_DROP = 1
const XDP_PASS = 2
const XDP_TX = 3
const XDP_REDIRECT = 4

const LIN = 3520
const FRAG = 4096
const SIZES = [64, 1000, 3520, 3521, 4096, 9000, 16384, 40000, 73152]
const TOO_BIG = 73153

/** The record bpf_diff.h leaves in the metadata area. */
function slotsOf(out: Buffer): { count: number; overflow: boolean; slots: bigint[] } {
  if (out.length < 8) return { count: 0, overflow: false, slots: [] }
  const head = out.readBigUInt64LE(0)
  const count = Number(head & 0xffffffffn)
  const n = Math.min(count, BD_SLOTS, Math.floor(out.length / 8) - 1)
  return { count, overflow: (head >> 32n) !== 0n, slots: Array.from({ length: n }, (_, i) => out.readBigInt64LE(8 + i * 8)) }
}

/** FNV-1a, 32 bits (bd_fnv). */
function fnv(b: Uint8Array, h = 2166136261): number {
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 16777619) >>> 0
  return h
}
const ee = (n: number) => Buffer.alloc(n, 0xee)

/** bd_geometry: linear length << 32 | buff_len. */
const geom = (linear: number, len: number): bigint => (BigInt(linear) << 32n) | BigInt(len)

function packetOf(inp: Input): Buffer {
  return inp.bytes ?? seededPattern(inp.size, inp.seed ?? inp.size)
}

function describeInput(inp: Input): string {
  const parts = [`${inp.size} B`]
  if (inp.linear !== undefined) parts.push(`linear ${inp.linear}`)
  if (inp.meta !== undefined) parts.push(`meta ${inp.meta}`)
  if (inp.ctx) parts.push(JSON.stringify(inp.ctx))
  return parts.join(', ')
}

const fmt = (v: bigint): string => (v < 0n || v > 0xffffn ? `${v} (0x${BigInt.asUintN(64, v).toString(16)})` : `${v}`)

/** Which slots differ, for a data_out mismatch. */
function slotDifference(k: Buffer, x: Buffer): string {
  const a = slotsOf(k)
  const b = slotsOf(x)
  const lines: string[] = []
  if (a.count !== b.count || a.overflow !== b.overflow) lines.push(`slot count kernel ${a.count}${a.overflow ? '+overflow' : ''} / uxdp ${b.count}${b.overflow ? '+overflow' : ''}`)
  for (let i = 0; i < Math.max(a.slots.length, b.slots.length) && lines.length < 6; i++)
    if (a.slots[i] !== b.slots[i]) lines.push(`slot ${i}: kernel ${a.slots[i] === undefined ? '-' : fmt(a.slots[i])} / uxdp ${b.slots[i] === undefined ? '-' : fmt(b.slots[i])}`)
  return lines.length ? ` [${lines.join('; ')}]` : ''
}

/** The kernel's bytes are the expected ones (the first difference in the message). */
function sameBytes(kernel: Buffer, expected: Buffer, what: string) {
  const d = firstDifference(kernel, expected, ['kernel', 'expected'])
  expect(d === '', `${what}: ${d}`).toBe(true)
}

function outcomeText(o: Outcome): string {
  return o.ok ? `ran (retval ${o.retval})` : `failed with ${o.code}`
}

/** The uxdp half of one run. */
function compareRun(label: string, k: Outcome, x: Outcome, slots = true) {
  if (!k.ok || !x.ok) {
    expect.soft(outcomeText(x), `${label}: test_run outcome (uxdp vs kernel)`).toBe(outcomeText(k))
    return
  }
  expect.soft(x.retval, `${label}: retval (uxdp vs kernel)`).toBe(k.retval)
  const d = firstDifference(k.out, x.out)
  // the difference goes into the message: vitest shortens the values it prints
  expect.soft(d === '', `${label}: data_out (kernel vs uxdp) differs: ${d}${slots ? slotDifference(k.out, x.out) : ''}`).toBe(true)
  expect.soft(x.ctxOut, `${label}: ctx_out (uxdp vs kernel)`).toEqual(k.ctxOut)
}

// ---------------------------------------------------------------------------------------------
// Map contents

interface MapSpec {
  name: string
  /** Per-CPU map with values of this size: compare the sum over CPUs of each u64 field. */
  percpu?: number
  /** Compare only which keys exist (prog arrays: the values are kernel program ids). */
  keysOnly?: boolean
}

/** A map's contents as sorted lines, comparable across the two sides. */
function mapLines(entries: MapEntry[], spec: MapSpec): string[] {
  const lines = entries.map((e) => {
    const key = e.key.toString('hex')
    if (spec.keysOnly) return e.value || e.values ? key : ''
    if (spec.percpu !== undefined) {
      const size = spec.percpu
      const stride = (size + 7) & ~7
      const cpus = e.values ?? (e.value ? Array.from({ length: e.value.length / stride }, (_, i) => e.value!.subarray(i * stride, i * stride + size)) : [])
      const sums = Array.from({ length: size / 8 }, (_, f) => cpus.reduce((s, v) => s + v.readBigUInt64LE(f * 8), 0n))
      return `${key}: sum over CPUs ${sums.join(',')}`
    }
    return `${key}: ${e.value?.toString('hex') ?? '(no value)'}`
  })
  // keysOnly: the keys that hold something (a prog array's get_next_key walks every index, and
  // bpftool dump leaves out the empty ones)
  return lines.filter((l) => l !== '').sort()
}

// =============================================================================================
// Cases

interface Case {
  title: string
  src: string
  defines?: Record<string, string | number>
  /** Extra clang flags (e.g. -mcpu=v3). */
  flags?: string[]
  prog: string
  runs: Input[]
  /** Kernel facts about one successful run, computed here (slots, bytes, retval). */
  check?: (r: { retval: number; out: Buffer; slots: bigint[]; packet: Buffer; inp: Input; meta: number }, run: number) => void
  /** The number of slots each successful run records. */
  slots?: number | ((inp: Input) => number)
  /** Programs that do not use bpf_diff.h's record. */
  noSlots?: boolean
  maps?: MapSpec[]
  /** Kernel facts about the maps after the runs. */
  mapCheck?: (dump: (name: string) => MapEntry[], packets: Buffer[]) => void
  /** Load the object afresh for this case (the case reads or writes map state). */
  fresh?: boolean
}

const show = !!process.env.UXDP_BPF_SHOW

const kernelObjects = new Map<string, Side | undefined>()
const uxdpObjects = new Map<string, Side>()

/** Sources whose programs are wrapped in BD_ONLY guards (bpf_diff.h): each case's object holds just
 * the programs it runs. */
const PER_PROGRAM = new Set(['bpf_frags.bpf.c', 'bpf_dynptr.bpf.c', 'bpf_parse.bpf.c'])

/** The case's object, committed with the recordings (uxdp loads the same bytes). */
function buildOf(c: Case): BpfBuild {
  const progs = [...new Set([c.prog, ...c.runs.flatMap((r) => (r.prog ? [r.prog] : []))])]
  const only = PER_PROGRAM.has(c.src) ? { BD_ONLY: 1, ...Object.fromEntries(progs.map((p) => [`BD_ONLY_${p}`, 1])) } : {}
  const b = build(c.src, { ...c.defines, ...only }, c.flags, { commit: true })
  buildsByPath.set(b.path, b)
  fresh.set(b.path, !!c.fresh)
  return b
}

/** The object on both sides; no kernel side where the recording kernel refused it (a known build
 * difference: the case's pinned facts are then checked on uxdp). */
function sides(c: Case): { k?: Side; x?: Side; done: () => void } {
  const b = buildOf(c)
  if (c.fresh) {
    const k = kernelSide(b, true)
    let x: Side | undefined
    try {
      // (the self-check has nothing to compare where the kernel refused the object)
      x = uxdp && (k || !selfCheck) ? uxdpSide(b.path) : undefined
    } catch (e) {
      k?.close()
      throw e
    }
    return { k, x, done: () => (k?.close(), x?.close()) }
  }
  // a refusal is not kept: every case it concerns is noted as one without a recorded run
  if (!kernelObjects.get(b.path)) kernelObjects.set(b.path, kernelSide(b, false))
  const k = kernelObjects.get(b.path)
  let x = uxdpObjects.get(b.path)
  if (!x && uxdp && (k || !selfCheck)) uxdpObjects.set(b.path, (x = uxdpSide(b.path)))
  return { k, x, done: () => {} }
}

function runCase(c: Case) {
  const { k, x, done } = sides(c)
  try {
    const packets: Buffer[] = []
    c.runs.forEach((inp, i) => {
      const packet = packetOf(inp)
      packets.push(packet)
      const prog = inp.prog ?? c.prog
      const label = `${prog} run ${i} (${describeInput(inp)})`
      const kr = k?.run(prog, packet, inp)
      const xr = x?.run(prog, packet, inp)
      // the kernel half: what the case pins about the kernel's answer (uxdp's, where no kernel run is recorded)
      const answer = kr ?? xr
      if (!answer) return
      const whose = kr ? 'the kernel' : 'uxdp (no recorded kernel run)'
      if (inp.error) {
        expect(outcomeText(answer), `${label}: ${whose}: test_run outcome`).toBe(`failed with ${inp.error}`)
      } else {
        if (!answer.ok) throw new Error(`${label}: ${whose}: BPF_PROG_TEST_RUN failed: ${answer.message}`)
        const meta = answer.ctxOut?.data ?? inp.meta ?? META
        const rec = slotsOf(answer.out)
        if (show && !c.noSlots) console.log(`[kernel-bpf] ${label}: ${whose}: retval ${answer.retval}, ctx_out ${JSON.stringify(answer.ctxOut)}, ${rec.count} slots${rec.overflow ? ' + overflow' : ''}: ${rec.slots.map(fmt).join(' ')}`)
        if (!c.noSlots) {
          expect(rec.overflow, `${label}: the record did not fit the metadata area`).toBe(false)
          const want = typeof c.slots === 'function' ? c.slots(inp) : c.slots
          if (want !== undefined) expect(rec.count, `${label}: slots recorded`).toBe(want)
        }
        c.check?.({ retval: answer.retval, out: answer.out, slots: rec.slots, packet, inp, meta }, i)
      }
      // the uxdp half
      if (kr && xr) compareRun(label, kr, xr, !c.noSlots)
    })
    if (c.maps?.length) {
      const cache = new Map<string, MapEntry[]>()
      const dumper = k ?? x
      const kdump = (name: string) => {
        let d = cache.get(name)
        if (!d) cache.set(name, (d = dumper!.dump(name)))
        return d
      }
      if (dumper) c.mapCheck?.(kdump, packets)
      if (k && x)
        for (const m of c.maps) expect.soft(mapLines(x.dump(m.name), m), `map ${m.name} after ${c.runs.length} runs (uxdp vs kernel)`).toEqual(mapLines(kdump(m.name), m))
    }
  } finally {
    done()
  }
}

const titleOf = (c: Case) => c.title

// ---------------------------------------------------------------------------------------------
// bpf_frags.bpf.c: the xdp_buff helpers on every size

/** bpf_xdp_load_bytes's answer: EFAULT past offset 0xffff (or len), EINVAL past the end. */
function loadRet(n: number, off: number, len: number): number {
  off >>>= 0
  if (off > 0xffff || len > 0xffff) return EFAULT
  if (off + len > n) return EINVAL
  return 0
}
function loadSlots(p: Buffer, off: number, len: number): bigint[] {
  const r = loadRet(p.length, off, len)
  return [BigInt(r), BigInt(fnv(r ? ee(len) : p.subarray(off >>> 0, (off >>> 0) + len)))]
}
const storeBytes = (len: number, seed: number) => Buffer.from(Array.from({ length: len }, (_, i) => (seed + 3 * i) & 0xff))

const fragsChecks: Record<string, Pick<Case, 'check' | 'slots'>> = {
  frags_geometry: {
    slots: 3,
    check: ({ slots, packet, inp, retval }) => {
      expect(retval).toBe(XDP_PASS)
      // without ctx_in.ingress_ifindex the program sees the loopback device (ifindex 1), queue 0
      expect(slots).toEqual([geom(Math.min(inp.linear ?? packet.length, LIN), packet.length), BigInt(inp.ctx?.ingressIfindex || 1), BigInt(inp.ctx?.rxQueueIndex ?? 0)])
    },
  },
  frags_load: {
    slots: 23,
    check: ({ slots, packet: p }) => {
      const n = p.length
      const loads: [number, number][] = [
        [0, 16],
        [LIN - 8, 16],
        [LIN, 16],
        [LIN + FRAG - 24, 48],
        [LIN + 2 * FRAG - 1, 2],
        [0x10000 - 8, 16],
        [n - 16, 16],
        [n - 15, 16],
        [n, 1],
        [LIN - 100, 200],
        [n >>> 1, 64],
      ]
      expect(slots).toEqual([BigInt(n), ...loads.flatMap(([o, l]) => loadSlots(p, o, l))])
    },
  },
  frags_store: {
    slots: 9,
    check: ({ slots, packet: p, out, meta, retval }) => {
      expect(retval).toBe(XDP_TX)
      const n = p.length
      const want = Buffer.from(p)
      const stores: [number, number, number][] = [
        [0, 16, 1],
        [LIN - 8, 16, 2],
        [LIN + FRAG - 24, 48, 3],
        [0x10000 - 8, 16, 4],
        [n - 16, 16, 5],
        [n - 15, 16, 6],
        [Math.floor(n / 3), 100, 7],
      ]
      const rets = stores.map(([o, l, s]) => {
        const r = loadRet(n, o, l)
        if (!r) storeBytes(l, s).copy(want, o)
        return BigInt(r)
      })
      expect(slots).toEqual([...rets, ...loadSlots(want, LIN - 8, 16)])
      sameBytes(out.subarray(meta), want, 'packet after the stores')
    },
  },
  frags_xor: {
    slots: 8,
    check: ({ slots, packet: p, out, meta }) => {
      const n = p.length
      const want = Buffer.from(p)
      const rets = (
        [
          [LIN - 128, 256],
          [LIN + FRAG - 100, 200],
          [n - 256, 256],
          [n - 255, 256],
        ] as const
      ).flatMap(([o, l]) => {
        const r = loadRet(n, o, l)
        if (!r) for (let i = o; i < o + l; i++) want[i] ^= 0xff
        return [BigInt(r), r ? 1n : 0n]
      })
      expect(slots).toEqual(rets)
      sameBytes(out.subarray(meta), want, 'packet after the inversions')
    },
  },
  frags_tail_grow: {
    slots: 11,
    check: ({ slots, packet: p, out, meta }) => {
      const g = Layout.of(p.length)
      const want: bigint[] = []
      for (const d of [1, 100, 1000, 4096]) want.push(BigInt(g.tail(d)), g.geometry())
      const n = g.length
      const after = Buffer.concat([p, Buffer.alloc(n - p.length)])
      const r = loadRet(n, n - 4, 4)
      if (!r) storeBytes(4, 0xa0).copy(after, n - 4)
      want.push(BigInt(r), ...loadSlots(after, n - 40, 36))
      expect(slots).toEqual(want)
      sameBytes(out.subarray(meta), after, 'packet: grown bytes zeroed, then the marker')
    },
  },
  frags_tail_shrink: {
    slots: 15,
    check: ({ slots, packet: p, out, meta }) => {
      const g = Layout.of(p.length)
      const want: bigint[] = []
      const step = (d: number) => want.push(BigInt(g.tail(d)))
      step(-1)
      want.push(g.geometry())
      step(-g.length)
      want.push(g.geometry())
      if (g.length > LIN + FRAG) step(-(g.length - LIN - FRAG))
      else if (g.length > LIN) step(-(g.length - LIN))
      else step(-10)
      want.push(g.geometry())
      step(-(g.length > LIN ? g.length - LIN + 1 : 1))
      want.push(g.geometry())
      step(-(g.length - 20))
      want.push(g.geometry())
      step(-7)
      step(-6)
      want.push(g.geometry())
      step(10)
      want.push(g.geometry())
      expect(slots).toEqual(want)
      expect(g.length).toBe(24)
      expect(out.subarray(meta).toString('hex'), 'packet: 14 bytes, then 10 zeroed').toBe(p.subarray(0, 14).toString('hex') + '00'.repeat(10))
    },
  },
  frags_head: {
    slots: 12,
    check: ({ slots, packet: p, inp }) => {
      const g = Layout.of(p.length, { meta: inp.meta })
      const want: bigint[] = []
      const step = (d: number) => want.push(BigInt(g.head(d)))
      step(-8)
      want.push(g.geometry())
      step(-4096)
      step(14)
      want.push(g.geometry())
      step(g.linear - 13)
      step(g.linear - 14)
      want.push(g.geometry())
      step(-32)
      want.push(g.geometry())
      expect(slots.slice(0, want.length)).toEqual(want)
      expect(slots[want.length], 'LOAD(0, 48)').toBe(BigInt(loadRet(g.length, 0, 48)))
    },
  },
  frags_meta: {
    check: ({ out, packet: p, inp, meta: metaOut }) => {
      // the model of bpf_xdp_adjust_meta: data_meta stays within [hard_start + 40, data], the
      // metadata length a multiple of 4 and at most 255 (else EACCES)
      const data = 256
      let m = data - (inp.meta ?? META)
      const adjust = (d: number) => {
        const to = m + d
        if (to < 40 || to > data) return EINVAL
        if ((data - to) % 4 || data - to > 255) return EACCES
        m = to
        return 0
      }
      const len = () => data - m
      const res: number[] = []
      res.push(adjust(-4), len(), adjust(6), adjust(8), len(), adjust(-256))
      res.push(adjust(-len() - 4))
      res.push(adjust(len() + 4))
      res.push(adjust(len()), len(), adjust(-16))
      const wrote = len() >= 16
      res.push(wrote ? 1 : 0, len(), p.length)
      expect(metaOut, 'ctx_out.data (the metadata length)').toBe(len())
      const got = Array.from({ length: res.length }, (_, i) => out.readInt32LE(metaOut + i * 4))
      expect(got, 'the results the program wrote into the packet').toEqual(res)
      if (wrote) expect(out.subarray(0, 16).toString('hex')).toBe(Buffer.from(Array.from({ length: 16 }, (_, i) => 0x30 + i)).toString('hex'))
      sameBytes(out.subarray(metaOut + 56), p.subarray(56), 'the rest of the packet')
    },
  },
  frags_direct: {
    slots: 8,
    check: ({ slots, packet: p, out, meta, inp, retval }) => {
      expect(retval).toBe(XDP_DROP)
      const lin = Math.min(inp.linear ?? p.length, LIN)
      const want = Buffer.from(p)
      for (let i = lin - 32; i < lin; i++) want[i] ^= 0xff
      for (let i = 0; i < 16; i++) want[i] ^= 0x5a
      expect(slots).toEqual([
        BigInt(lin),
        lin >= 64 ? BigInt(fnv(p.subarray(0, 64))) : 0n,
        lin >= LIN ? 1n : 0n,
        0n,
        BigInt(fnv(p.subarray(lin - 32, lin))),
        BigInt(want[0]),
        ...loadSlots(want, lin, 8),
      ])
      sameBytes(out.subarray(meta), want, 'packet after the direct writes')
    },
  },
}

/**
 * The xdp_buff layout as BPF_PROG_TEST_RUN builds it, and the kernel's rules for moving its ends
 * (net/core/filter.c): a 4096-byte page with 256 bytes of headroom (metadata included) and 320 of
 * tailroom (skb_shared_info) around a linear part of at most 3520 bytes, then frags of 4096 bytes;
 * data_hard_start + 40 (struct xdp_frame) is as far back as data_meta and data may go.
 */
class Layout {
  private constructor(
    /** data, relative to data_hard_start. */
    private data: number,
    private meta: number,
    public linear: number,
    private frags: number[],
  ) {}

  static of(size: number, opts: { meta?: number; linear?: number } = {}): Layout {
    const linear = Math.min(size, opts.linear ?? LIN, LIN)
    const frags: number[] = []
    for (let rest = size - linear; rest > 0; rest -= FRAG) frags.push(Math.min(rest, FRAG))
    return new Layout(256, opts.meta ?? META, linear, frags)
  }

  get length(): number {
    return this.linear + this.frags.reduce((a, b) => a + b, 0)
  }

  geometry(): bigint {
    return geom(this.linear, this.length)
  }

  /** Whether [off, off + len) lies in one piece of memory (the linear part or one frag). */
  contiguous(off: number, len: number): boolean {
    let start = 0
    for (const size of [this.linear, ...this.frags]) {
      if (off >= start && off + len <= start + size) return true
      start += size
    }
    return false
  }

  /** bpf_xdp_adjust_tail */
  tail(delta: number): number {
    if (this.frags.length) {
      if (delta > 0) {
        const last = this.frags.length - 1
        if (this.frags[last] + delta > FRAG) return EINVAL
        this.frags[last] += delta
        return 0
      }
      let off = -delta
      if (off > this.length - 14) return EINVAL
      while (off > 0 && this.frags.length) {
        const last = this.frags.length - 1
        const cut = Math.min(off, this.frags[last])
        off -= cut
        if (cut === this.frags[last]) this.frags.pop()
        else {
          this.frags[last] -= cut
          break
        }
      }
      if (!this.frags.length) this.linear -= off
      return 0
    }
    const end = this.linear + delta
    if (this.data + end > 256 + LIN || end < 14) return EINVAL
    this.linear = end
    return 0
  }

  /** bpf_xdp_adjust_head */
  head(delta: number): number {
    const to = this.data + delta
    if (to < 40 + this.meta || delta > this.linear - 14) return EINVAL
    this.data = to
    this.linear -= delta
    return 0
  }
}

/** `flags` (e.g. -mcpu=v3: 32-bit ALU and jumps in the instructions) go into the title. */
const cpuNote = (flags: string[]) => (flags.length ? ` [${flags.join(' ')}]` : '')

function fragsCases(section: string, flags: string[] = []): Case[] {
  const defines = section === 'xdp.frags' ? {} : { UXDP_SEC: `"${section}"` }
  return Object.entries(fragsChecks).map(([prog, chk]) => {
    const meta = prog === 'frags_head' ? 128 : undefined
    const runs: Input[] =
      prog === 'frags_meta'
        ? [0, 32, 212, META].flatMap((m) => SIZES.map((size) => ({ size, meta: m })))
        : [...SIZES.map((size) => ({ size, meta })), { size: TOO_BIG, meta, error: 'ENOMEM' }]
    if (prog === 'frags_geometry')
      runs.push(
        { size: 9000, linear: 14 },
        { size: 9000, linear: 1000 },
        { size: 64, ctx: { ingressIfindex: 1, rxQueueIndex: 0 } },
        { size: 9000, ctx: { ingressIfindex: 1, rxQueueIndex: 1 }, error: 'EINVAL' },
        { size: 9000, ctx: { rxQueueIndex: 1 }, error: 'EINVAL' },
        { size: 64, ctx: { ingressIfindex: 0x7fff0000 }, error: 'ENODEV' },
        { size: 64, meta: 220, error: 'EINVAL' },
        { size: 64, meta: 2, error: 'EINVAL' },
      )
    if (prog === 'frags_load') runs.push({ size: 9000, linear: 100 }, { size: 40000, linear: 3000 }, { size: 4096, linear: 14 })
    if (prog === 'frags_direct') runs.push({ size: 9000, linear: 100 }, { size: 40000, linear: 3000 }, { size: 4096, linear: 40 })
    return { title: `${prog} (SEC("${section}"))${cpuNote(flags)}: ${runs.map((r) => r.size).join(', ')} B`, src: 'bpf_frags.bpf.c', defines, flags, prog, runs, ...chk, noSlots: prog === 'frags_meta' }
  })
}

// ---------------------------------------------------------------------------------------------
// bpf_dynptr.bpf.c: XDP dynptrs from BPF code

/**
 * An XDP dynptr over a packet as the kernel's helpers treat it: bounds against the dynptr's own size
 * first (E2BIG), then the xdp_buff helpers' limit (EFAULT past offset 0xffff); a slice is a pointer
 * into the packet when the bytes are in one piece (and below 0xffff), else a copy into the caller's
 * buffer, else NULL.
 */
class XdpDynptr {
  constructor(
    readonly bytes: Buffer,
    readonly layout: Layout,
    public base = 0,
    public size = bytes.length,
  ) {}

  clone(): XdpDynptr {
    return new XdpDynptr(this.bytes, this.layout, this.base, this.size)
  }

  private check(off: number, len: number, flags = 0): number {
    if (flags) return EINVAL
    if (off > this.size || len > this.size - off) return E2BIG
    if (this.base + off > 0xffff || len > 0xffff) return EFAULT
    return 0
  }

  /** bpf_dynptr_read: [ret, fnv of the 0xee-filled buffer afterwards] */
  read(off: number, len: number, flags = 0): bigint[] {
    const r = this.check(off >>> 0, len, flags)
    const b = ee(Math.max(len, 1))
    if (!r) this.bytes.copy(b, 0, this.base + off, this.base + off + len)
    return [BigInt(r), BigInt(fnv(b))]
  }

  write(off: number, data: Buffer, flags = 0): number {
    const r = this.check(off >>> 0, data.length, flags)
    if (!r) data.copy(this.bytes, this.base + off)
    return r
  }

  /** bpf_dynptr_slice: [kind (0 NULL, 1 direct, 2 buffer), the bytes] */
  slice(off: number, len: number, withBuffer: boolean): [number, Buffer | undefined] {
    off >>>= 0
    if (off > this.size || len > this.size - off) return [0, undefined]
    const abs = this.base + off
    const bytes = Buffer.from(this.bytes.subarray(abs, abs + len))
    if (abs <= 0xffff && this.layout.contiguous(abs, len)) return [1, bytes]
    return withBuffer ? [2, bytes] : [0, undefined]
  }

  adjust(start: number, end: number): number {
    if (start > end) return EINVAL
    if (end > this.size) return ERANGE
    this.base += start
    this.size = end - start
    return 0
  }
}

const dynWriteBytes = (len: number, seed: number) => Buffer.from(Array.from({ length: len }, (_, i) => (seed + 5 * i) & 0xff))
const sliceSlots = ([kind, bytes]: [number, Buffer | undefined]): bigint[] => [BigInt(kind), bytes ? BigInt(fnv(bytes)) : 0n]

const dynptrChecks: Record<string, Pick<Case, 'check' | 'slots'>> = {
  dyn_read: {
    slots: 22,
    check: ({ slots, packet: p, inp }) => {
      const n = p.length
      const d = new XdpDynptr(p, Layout.of(n, inp))
      expect(slots).toEqual([
        0n,
        BigInt(n),
        ...d.read(0, 16),
        ...d.read(LIN - 8, 16),
        ...d.read(LIN + FRAG - 24, 48),
        ...d.read(0x10000 - 8, 16),
        ...d.read(n - 16, 16),
        ...d.read(n - 15, 16),
        ...d.read(n, 0),
        ...d.read(n + 1, 0),
        ...d.read(0, 4, 1),
        ...d.read(LIN - 100, 200),
      ])
    },
  },
  dyn_write: {
    slots: 11,
    check: ({ slots, packet: p, inp, out, meta, retval }) => {
      expect(retval).toBe(XDP_TX)
      const n = p.length
      const want = Buffer.from(p)
      const d = new XdpDynptr(want, Layout.of(n, inp))
      const w = (off: number, len: number, seed: number, flags = 0) => BigInt(d.write(off, dynWriteBytes(len, seed), flags))
      const rets = [w(0, 16, 1), w(LIN - 8, 16, 2), w(LIN + FRAG - 24, 48, 3), w(0x10000 - 8, 16, 4), w(n - 16, 16, 5), w(n - 15, 16, 6), w(20, 4, 7, 1), w(Math.floor(n / 3), 100, 8)]
      expect(slots).toEqual([0n, ...rets, ...d.read(LIN - 8, 16)])
      sameBytes(out.subarray(meta), want, 'packet after the writes')
    },
  },
  dyn_slice: {
    slots: 21,
    check: ({ slots, packet: p, inp }) => {
      const n = p.length
      const d = new XdpDynptr(p, Layout.of(n, inp))
      const sl = (off: number, len: number, buf: number) => sliceSlots(d.slice(off, len, !!buf))
      expect(slots).toEqual([
        0n,
        ...sl(0, 32, 1),
        ...sl(0, 32, 0),
        ...sl(LIN - 16, 32, 1),
        ...sl(LIN - 16, 32, 0),
        ...sl(LIN, 32, 0),
        ...sl(LIN + FRAG - 16, 32, 1),
        ...sl(LIN + FRAG + 100, 32, 0),
        ...sl(0x10000 - 16, 32, 1),
        ...sl(n - 32, 32, 1),
        ...sl(n - 31, 32, 1),
      ])
    },
  },
  dyn_slice_rdwr: {
    slots: 15,
    check: ({ slots, packet: p, inp, out, meta }) => {
      const n = p.length
      const want = Buffer.from(p)
      const d = new XdpDynptr(want, Layout.of(n, inp))
      const sw = (off: number, len: number, buf: number): bigint[] => {
        const [kind, bytes] = d.slice(off, len, !!buf)
        if (!bytes) return [BigInt(kind), 0n]
        const inv = Buffer.from(bytes.map((b) => b ^ 0xff))
        if (kind === 1) {
          inv.copy(want, off)
          return [1n, 1n]
        }
        return [2n, BigInt(d.write(off, inv))]
      }
      expect(slots).toEqual([0n, ...sw(0, 16, 1), ...sw(LIN - 16, 32, 1), ...sw(LIN - 8, 16, 0), ...sw(LIN + 64, 32, 0), ...sw(LIN + FRAG - 16, 32, 1), ...sw(n - 40, 40, 1), ...sw(n - 8, 16, 1)])
      sameBytes(out.subarray(meta), want, 'packet after the writable slices')
    },
  },
  dyn_adjust: {
    slots: 24,
    check: ({ slots, packet: p, inp, out, meta }) => {
      const n = p.length
      const want = Buffer.from(p)
      const d = new XdpDynptr(want, Layout.of(n, inp))
      const c = d.clone()
      const r: bigint[] = [0n, 0n]
      r.push(BigInt(c.adjust(LIN - 10, LIN + 22)), BigInt(c.size), ...c.read(0, 32))
      r.push(BigInt(c.write(4, dynWriteBytes(8, 0x40))))
      r.push(BigInt(c.adjust(40, 8)), BigInt(c.adjust(0, 33)), BigInt(c.adjust(8, 8)), BigInt(c.size))
      r.push(...c.read(0, 0), ...c.read(0, 1), BigInt(d.size))
      r.push(BigInt(d.adjust(n >>> 1, n)), BigInt(d.size), ...d.read(0, 16), ...sliceSlots(d.slice(0, 16, true)), 0n, 0n)
      expect(slots).toEqual(r)
      sameBytes(out.subarray(meta), want, 'packet after the write through the clone')
    },
  },
  dyn_copy_memset: {
    slots: 11,
    check: ({ slots, packet: p, inp, out, meta }) => {
      const n = p.length
      const layout = Layout.of(n, inp)
      const want = Buffer.from(p)
      // E2BIG out of range; one piece each side (or only one side in one piece, which here never
      // overlaps): a plain move; neither: 256-byte chunks read then written, stopping at the first
      // failure (EFAULT past offset 0xffff)
      const range = (off: number, len: number) => off >>> 0 <= n && len <= n - (off >>> 0)
      const direct = (off: number, len: number) => off + len - 1 <= 0xffff && layout.contiguous(off, len)
      const copy = (doff: number, soff: number, len: number): number => {
        if (!range(doff, len) || !range(soff, len)) return E2BIG
        if (direct(doff, len) || direct(soff, len)) {
          if (direct(doff, len) !== direct(soff, len) && doff < soff + len && soff < doff + len)
            throw new Error(`test bug: copy(${doff} <- ${soff}, ${len}) overlaps with one side in one piece: the kernel's memcpy decides`)
          if (soff + len - 1 > 0xffff || doff + len - 1 > 0xffff) return EFAULT
          want.copyWithin(doff, soff, soff + len)
          return 0
        }
        for (let off = 0; off < len; off += 256) {
          const c = Math.min(256, len - off)
          if (soff + off > 0xffff || doff + off > 0xffff) return EFAULT
          const chunk = Buffer.from(want.subarray(soff + off, soff + off + c))
          chunk.copy(want, doff + off)
        }
        return 0
      }
      const memset = (off: number, len: number, v: number): number => {
        if (!range(off, len)) return E2BIG
        if (!len) return 0
        if (direct(off, len)) {
          want.fill(v, off, off + len)
          return 0
        }
        for (let o = 0; o < len; o += 256) {
          if (off + o > 0xffff) return EFAULT
          want.fill(v, off + o, off + o + Math.min(256, len - o))
        }
        return 0
      }
      const rets = [
        0,
        0,
        copy(100, LIN - 50, 200),
        copy(n - 300, n - 700, 300),
        copy(0, n - 10, 20),
        copy(40, 0, 100),
        copy(LIN - 100, LIN - 150, 300),
        memset(LIN - 100, 300, 0xab),
        memset(n - 10, 20, 0xcd),
        memset(n - 10, 10, 0xcd),
        memset(0, 0, 0x11),
      ]
      expect(slots.map(Number)).toEqual(rets)
      sameBytes(out.subarray(meta), want, 'packet after the copies and memsets')
    },
  },
}

function dynptrCases(flags: string[] = []): Case[] {
  return Object.entries(dynptrChecks).map(([prog, chk]) => {
    // dyn_copy_memset's overlapping copies need both ranges in one piece or neither (see its source)
    const linear: Input[] = prog === 'dyn_copy_memset' ? [{ size: 9000, linear: 3000 }, { size: 20000, linear: 3300 }] : [{ size: 9000, linear: 100 }, { size: 20000, linear: 14 }]
    const runs: Input[] = [...SIZES.map((size) => ({ size })), ...linear, { size: TOO_BIG, error: 'ENOMEM' }]
    return { title: `${prog}${cpuNote(flags)}: ${runs.map(describeInput).join('; ')}`, src: 'bpf_dynptr.bpf.c', flags, prog, runs, ...chk }
  })
}

// ---------------------------------------------------------------------------------------------
// bpf_parse.bpf.c: Ethernet / IPv4 / UDP through dynptr slices, checksums with bpf_csum_diff

/** The 16-bit ones' complement sum of big-endian words (odd length: a zero byte appended). */
function onesSum(...parts: Buffer[]): number {
  let s = 0
  for (const b of parts)
    for (let i = 0; i < b.length; i += 2) {
      s += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0)
      s = (s & 0xffff) + (s >>> 16)
    }
  return s
}
const checksum = (...parts: Buffer[]) => ~onesSum(...parts) & 0xffff

interface UdpOpts {
  vlan?: boolean
  ihl?: number
  /** false: a zero UDP checksum (none) */
  udpCsum?: boolean
  ethType?: number
  proto?: number
  badIp?: boolean
  badUdp?: boolean
}

/** An Ethernet / IPv4 / UDP packet of `size` bytes with valid checksums; the IPv4 total length is
 * capped at 65535, bytes past it are trailer. */
function udpPacket(size: number, o: UdpOpts = {}): Buffer {
  const b = seededPattern(size, size ^ 0x55)
  Buffer.from('020000000001020000000002', 'hex').copy(b, 0)
  let l3 = 14
  if (o.vlan) {
    b.writeUInt16BE(0x8100, 12)
    b.writeUInt16BE(100, 14)
    l3 = 18
  }
  b.writeUInt16BE(o.ethType ?? 0x0800, l3 - 2)
  const ihl = o.ihl ?? 5
  const hlen = ihl * 4
  if (size < l3 + hlen + 8) return b
  const tot = Math.min(size - l3, 0xffff)
  const ip = b.subarray(l3, l3 + hlen)
  ip[0] = 0x40 | ihl
  ip[1] = 0
  ip.writeUInt16BE(tot, 2)
  ip.writeUInt32BE(0x12344000, 4)
  ip[8] = 64
  ip[9] = o.proto ?? 17
  ip.writeUInt16BE(0, 10)
  Buffer.from([192, 0, 2, 1, 198, 51, 100, 2]).copy(ip, 12)
  ip.fill(1, 20) // options: NOP
  ip.writeUInt16BE(checksum(ip) ^ (o.badIp ? 1 : 0), 10)
  const l4 = l3 + hlen
  const ulen = tot - hlen
  b.writeUInt16BE(1234, l4)
  b.writeUInt16BE(5678, l4 + 2)
  b.writeUInt16BE(ulen, l4 + 4)
  b.writeUInt16BE(0, l4 + 6)
  if (o.udpCsum !== false) {
    const c = checksum(udpPseudo(ip, ulen), b.subarray(l4, l4 + ulen)) || 0xffff
    b.writeUInt16BE(c ^ (o.badUdp ? 0x100 : 0), l4 + 6)
  }
  return b
}
const udpPseudo = (ip: Buffer, ulen: number) => Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 17, ulen >> 8, ulen & 0xff])])

/** What parse_rewrite must make of `p` (when it answers XDP_TX): everything but the UDP checksum,
 * which `out` must carry valid. */
function rewritten(p: Buffer, out: Buffer, o: UdpOpts): Buffer {
  const b = Buffer.from(p)
  p.copy(b, 0, 6, 12)
  p.copy(b, 6, 0, 6)
  const l3 = o.vlan ? 18 : 14
  const hlen = (o.ihl ?? 5) * 4
  const ip = b.subarray(l3, l3 + hlen)
  ip[8] -= 1
  ip.writeUInt32BE(0x0a090807, 16)
  ip.writeUInt16BE(0, 10)
  ip.writeUInt16BE(checksum(ip), 10)
  const l4 = l3 + hlen
  const ulen = b.readUInt16BE(l4 + 4)
  b.writeUInt16BE(4242, l4 + 2)
  const c = out.readUInt16BE(l4 + 6)
  if (o.udpCsum === false) expect(c, 'no UDP checksum stays none').toBe(0)
  else {
    b.writeUInt16BE(c, l4 + 6)
    expect(onesSum(udpPseudo(ip, ulen), b.subarray(l4, l4 + ulen)), 'the rewritten UDP checksum is valid').toBe(0xffff)
  }
  return b
}

function parseCase(title: string, runs: { size: number; o?: UdpOpts; linear?: number; want: number }[]): Case {
  const inputs: Input[] = runs.map((r) => ({ size: r.size, bytes: udpPacket(r.size, r.o), linear: r.linear }))
  return {
    title: `${title}: ${runs.map((r) => `${r.size} B${r.linear !== undefined ? ` (linear ${r.linear})` : ''}`).join(', ')}`,
    src: 'bpf_parse.bpf.c',
    prog: 'parse_rewrite',
    runs: inputs,
    check: ({ retval, out, meta, packet }, i) => {
      const r = runs[i]
      expect(retval, 'the verdict').toBe(r.want)
      const o = out.subarray(meta)
      const want = r.want === XDP_TX ? rewritten(packet, o, r.o ?? {}) : packet
      sameBytes(o, want, 'the packet afterwards')
    },
  }
}

const parseCases: Case[] = [
  parseCase('UDP, valid checksums: XDP_TX, rewritten', SIZES.map((size) => ({ size, want: XDP_TX }))),
  parseCase('802.1Q-tagged; IPv4 options (IHL 7, 15)', [
    { size: 64, o: { vlan: true }, want: XDP_TX },
    { size: 9000, o: { vlan: true }, want: XDP_TX },
    { size: 1000, o: { ihl: 7 }, want: XDP_TX },
    { size: 73152, o: { ihl: 15, vlan: true }, want: XDP_TX },
  ]),
  parseCase('headers across the linear part and the frags (slices in the buffer, writes through bpf_dynptr_write)', [
    { size: 9000, linear: 14, want: XDP_TX },
    { size: 9000, linear: 20, want: XDP_TX },
    { size: 9000, linear: 38, want: XDP_TX },
    { size: 9000, linear: 40, want: XDP_TX },
    { size: 40000, linear: 16, o: { vlan: true, ihl: 6 }, want: XDP_TX },
    { size: 16384, linear: 100, want: XDP_TX },
  ]),
  parseCase('no UDP checksum; not UDP; not IPv4: untouched', [
    { size: 1000, o: { udpCsum: false }, want: XDP_TX },
    { size: 9000, o: { udpCsum: false }, linear: 30, want: XDP_TX },
    { size: 1000, o: { proto: 6 }, want: XDP_PASS },
    { size: 1000, o: { ethType: 0x0806 }, want: XDP_PASS },
    { size: 9000, o: { ethType: 0x86dd, vlan: true }, want: XDP_PASS },
  ]),
  parseCase('bad checksums, truncated: dropped', [
    { size: 1000, o: { badIp: true }, want: XDP_DROP },
    { size: 9000, o: { badUdp: true }, want: XDP_DROP },
    { size: 73152, o: { badUdp: true }, want: XDP_DROP },
    { size: 30, want: XDP_DROP },
    { size: 14, want: XDP_DROP },
  ]),
]

/**
 * bpf_csum_diff(from, to, seed) as a 16-bit ones' complement sum of the little-endian words (an odd
 * last byte as the low byte), with 0 and 0xffff alike. Since Linux 6.13 the helper returns
 * csum_from32to16() of its 32-bit sum, the same on every architecture, and takes any sizes.
 */
function csumDiffFolded(from: Buffer, to: Buffer, seed: number): number {
  const le = (b: Buffer) => {
    let s = 0
    for (let i = 0; i < b.length; i += 2) s += b[i] | (i + 1 < b.length ? b[i + 1] << 8 : 0)
    return s
  }
  // ~from, word by word, is 0xffff - word
  const fromWords = Math.ceil(from.length / 2)
  let s = fromWords * 0xffff - le(from) + le(to) + (seed & 0xffff) + (seed >>> 16)
  s %= 0xffff
  return s
}
const fold16 = (v: bigint) => Number(v) % 0xffff

const csumCase: Case = {
  title: `csum_raw: bpf_csum_diff results (16-bit since 6.13), any sizes, on ${SIZES.join(', ')} B`,
  src: 'bpf_parse.bpf.c',
  prog: 'csum_raw',
  runs: SIZES.map((size) => ({ size })),
  slots: 13,
  check: ({ slots, packet: p }) => {
    const w = p.subarray(0, 64)
    const big = Buffer.from(Array.from({ length: 1024 }, (_, i) => w[i & 63] ^ (i >> 6)))
    const z = Buffer.alloc(0)
    const seed = 0x12345678
    const sums: [Buffer, Buffer, number][] = [
      [z, w.subarray(0, 4), 0],
      [z, w, 0],
      [z, w, seed],
      [w.subarray(0, 4), w.subarray(4, 8), 0],
      [w.subarray(0, 8), z, seed],
      [w.subarray(0, 20), w.subarray(20, 60), seed],
      [z, z, seed],
      [w.subarray(0, 3), z, 0],
      [z, w.subarray(0, 6), 0],
      [big.subarray(0, 256), big.subarray(256, 512), 0],
      [big.subarray(0, 512), big.subarray(512, 516), 0],
      [z, big, 0],
      [big, z, 0xffffffff],
    ]
    for (const v of slots) expect(v >= 0n && v <= 0xffffn, `${v}: a 16-bit result`).toBe(true)
    expect(slots.map(fold16), 'the results are the ones-complement sums').toEqual(sums.map(([f, t, sd]) => csumDiffFolded(f, t, sd)))
    expect(slots[6], 'nothing to sum: the seed, folded').toBe(BigInt(0x1234 + 0x5678))
  },
}

// ---------------------------------------------------------------------------------------------
// bpf_maps.bpf.c: map contents after a series of runs

const u64 = (v: bigint) => BigInt.asUintN(64, v)
const le64 = (v: bigint | number) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(u64(BigInt(v)))
  return b
}
const le32 = (v: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(v >>> 0)
  return b
}
const le16 = (v: number) => {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(v)
  return b
}
/** A packet of `size` seeded bytes whose first byte is `b0`. */
function withFirst(size: number, b0: number, seed = size): Buffer {
  const b = seededPattern(size, seed)
  b[0] = b0
  return b
}

const WEIGHTS = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3]

/** What map_count does to its maps, run after run, and the slots it records. */
class MapCountModel {
  byByte = Array.from({ length: 256 }, () => 0n)
  byTail = new Map<number, { packets: bigint; bytes: bigint }>()
  pcpu = [0n, 0n]
  lru = new Map<number, bigint>()
  runs = 0n
  lastLen = 0n
  acc = 0x9e3779b97f4a7c15n
  weightSum = 7

  constructor(
    readonly keyOff: number,
    readonly mode: number,
  ) {}

  run(p: Buffer): bigint[] {
    const len = p.length
    const r: bigint[] = []
    const kb = this.keyOff < len ? p[this.keyOff] : 0
    r.push(this.keyOff < len ? 0n : BigInt(EINVAL))
    r.push(++this.byByte[kb])
    const tailOff = len - 4 > 0xfff0 ? 0xfff0 : len - 4
    r.push(0n)
    const tk = p.readUInt32LE(tailOff) % 61
    const c = this.byTail.get(tk)
    if (c) {
      c.packets++
      c.bytes += BigInt(len)
      r.push(c.packets)
    } else {
      this.byTail.set(tk, { packets: 1n, bytes: BigInt(len) })
      r.push(0n)
    }
    this.pcpu[0]++
    this.pcpu[1] += BigInt(len)
    this.lru.set((p[1] << 8) | p[2], BigInt(len))
    r.push(0n)
    r.push(this.runs++)
    this.lastLen = BigInt(len)
    this.acc = u64(this.acc * 31n + BigInt(kb))
    if (this.mode === 1) this.weightSum = (this.weightSum + WEIGHTS[kb & 15]) >>> 0
    r.push(BigInt.asIntN(64, this.acc), BigInt(this.weightSum))
    return r
  }

  /** The expected dumps, as mapLines() shows them. */
  maps(): Record<string, string[]> {
    const line = (k: Buffer, v: Buffer) => `${k.toString('hex')}: ${v.toString('hex')}`
    return {
      by_byte: this.byByte.map((v, k) => line(le32(k), le64(v))).sort(),
      by_tail: [...this.byTail].map(([k, v]) => line(le32(k), Buffer.concat([le64(v.packets), le64(v.bytes)]))).sort(),
      pcpu: this.pcpu.map((v, k) => `${le32(k).toString('hex')}: sum over CPUs ${v}`).sort(),
      lru: [...this.lru].map(([k, v]) => line(le16(k), le64(v))).sort(),
      '.bss': [line(le32(0), Buffer.concat([le64(this.runs), le64(this.lastLen)]))],
      '.data': [line(le32(0), Buffer.concat([le64(this.acc), le32(this.weightSum), Buffer.alloc(4)]))],
      '.rodata': [line(le32(0), Buffer.concat([le32(this.keyOff), le32(this.mode), Buffer.from(WEIGHTS)]))],
    }
  }
}

const countMaps: MapSpec[] = [{ name: 'by_byte' }, { name: 'by_tail' }, { name: 'pcpu', percpu: 8 }, { name: 'lru' }, { name: '.bss' }, { name: '.data' }, { name: '.rodata' }]

function mapCountCase(title: string, packets: Buffer[], keyOff: number, mode: number, extra: Partial<Case> = {}): Case {
  const model = new MapCountModel(keyOff, mode)
  const expected = packets.map((p) => model.run(p))
  return {
    title: `${title}: ${packets.length} packets (${[...new Set(packets.map((p) => p.length))].join(', ')} B)`,
    src: 'bpf_maps.bpf.c',
    defines: { KEY_OFF: keyOff, CFG_MODE: mode },
    flags: ['-mcpu=v3'],
    prog: 'map_count',
    fresh: true,
    runs: packets.map((bytes) => ({ size: bytes.length, bytes })),
    slots: 8,
    check: ({ slots }, run) => expect(slots, 'what map_count saw').toEqual(expected[run]),
    maps: countMaps,
    mapCheck: (dump) => {
      const want = model.maps()
      for (const m of countMaps) expect(mapLines(dump(m.name), m), `map ${m.name} (kernel vs the model)`).toEqual(want[m.name])
    },
    ...extra,
  }
}

const countPackets = [...SIZES.map((n) => seededPattern(n, n)), ...SIZES.map((n) => seededPattern(n, 1)), ...[0, 0, 0].map(() => seededPattern(9000, 5)), withFirst(64, 0xff, 3)]

/** map_ops: the return codes of map updates and deletes, modelled (a hash of 4, an array of 8). */
function mapOpsCase(firstBytes: number[]): Case {
  const small = new Map<number, bigint>()
  const arr = Array.from({ length: 8 }, () => 0n)
  const expected = firstBytes.map((kb) => {
    const r: bigint[] = []
    const upd = (k: number, v: bigint, flags: number) => {
      const has = small.has(k)
      if (flags === 1 && has) return EEXIST // BPF_NOEXIST
      if (flags === 2 && !has) return ENOENT // BPF_EXIST
      if (!has && small.size >= 4) return E2BIG
      small.set(k, v)
      return 0
    }
    const del = (k: number) => (small.delete(k) ? 0 : ENOENT)
    r.push(BigInt(upd(kb, BigInt(1000 + kb), 1)), BigInt(upd(kb, BigInt(1001 + kb), 1)), BigInt(upd(kb + 1000, BigInt(1001 + kb), 2)), BigInt(upd(kb, BigInt(2000 + kb), 2)))
    for (let i = 0; i < 5; i++) r.push(BigInt(upd(300 + kb + i, BigInt(i), 0)))
    r.push(BigInt(del(99999)), BigInt(del(300 + kb)), small.get(300 + kb) ?? -1n, small.get(kb) ?? -1n)
    r.push(BigInt(EINVAL), BigInt(EINVAL), BigInt(E2BIG), BigInt(EEXIST), 0n, BigInt(EINVAL))
    arr[kb & 7] = BigInt(kb)
    r.push(arr[kb & 7], -1n)
    return r
  })
  return {
    title: `map_ops: update/delete/lookup return codes, a full hash, array bounds; first bytes ${firstBytes.join(', ')}`,
    src: 'bpf_maps.bpf.c',
    flags: ['-mcpu=v3'],
    prog: 'map_ops',
    fresh: true,
    runs: firstBytes.map((b, i) => ({ size: 200 + i * 1000, bytes: withFirst(200 + i * 1000, b) })),
    slots: 21,
    check: ({ slots }, run) => expect(slots, 'return codes and values').toEqual(expected[run]),
    maps: [{ name: 'small' }, { name: 'arr' }],
    mapCheck: (dump) => {
      expect(mapLines(dump('small'), { name: 'small' }), 'hash after the runs').toEqual([...small].map(([k, v]) => `${le32(k).toString('hex')}: ${le64(v).toString('hex')}`).sort())
      expect(mapLines(dump('arr'), { name: 'arr' })).toEqual(arr.map((v, k) => `${le32(k).toString('hex')}: ${le64(v).toString('hex')}`).sort())
    },
  }
}

function forEachCase(): Case {
  const packets = [...SIZES.map((n) => seededPattern(n, 2 * n)), ...[0, 0].map(() => seededPattern(1000, 9))]
  const model = new MapCountModel(0, 0)
  for (const p of packets) model.run(p)
  const sumArray = (stop: number) => {
    let n = 0n
    let sum = 0n
    for (let k = 0; k < 256; k++) {
      n++
      sum += model.byByte[k] * BigInt(k + 1)
      if (k === stop) break
    }
    return [n, n, sum]
  }
  let hashSum = 0n
  for (const [k, v] of model.byTail) hashSum += v.packets * 1000n + v.bytes + BigInt(k)
  const entries = BigInt(model.byTail.size)
  return {
    title: `map_for_each: bpf_for_each_map_elem over an array (all, stopped at 200) and a hash, after ${packets.length} map_count runs`,
    src: 'bpf_maps.bpf.c',
    defines: { UXDP_FOR_EACH: 1 },
    flags: ['-mcpu=v3'],
    prog: 'map_for_each',
    fresh: true,
    runs: [...packets.map((bytes) => ({ prog: 'map_count', size: bytes.length, bytes })), { size: 64 }],
    check: ({ slots }, run) => {
      if (run < packets.length) return
      expect(slots).toEqual([...sumArray(1000), ...sumArray(200), entries, entries, hashSum, BigInt(EINVAL)])
    },
  }
}

const mapCases: Case[] = [
  mapCountCase('map_count (key byte 0, no weights)', countPackets, 0, 0),
  mapCountCase('map_count with .rodata cfg: key byte 5, weights from the .rodata table', countPackets, 5, 1),
  mapCountCase('map_count with .rodata cfg: key byte 100 (past the end of 64-byte packets: EINVAL, key 0)', countPackets, 100, 1),
  mapOpsCase([5, 5, 9, 200, 13, 5, 77, 9]),
  forEachCase(),
]

// ---------------------------------------------------------------------------------------------
// bpf_loop.bpf.c: bpf_loop callbacks over the whole packet, bounded loops, bpf_iter_num

/** The walk of a bpf_loop callback over 64-byte chunks: bytes up to `end`, then the error. */
function walkSlots(p: Buffer, end: number, err: number): bigint[] {
  const len = p.length
  let sum = 0
  let xor = 0
  let h = 2166136261
  for (let i = 0; i < end; i++) {
    sum = (sum + p[i]) >>> 0
    xor = (xor ^ (p[i] << ((i & 3) * 8))) >>> 0
    h = Math.imul(h ^ p[i], 16777619) >>> 0
  }
  const chunks = Math.ceil(end / 64)
  const loops = Math.floor(len / 64) + 1
  const ret = err ? chunks + 1 : loops
  return [0n, BigInt(ret), BigInt(chunks), BigInt(err), BigInt(sum), BigInt(xor), BigInt(h)]
}

const loopChecks: Record<string, Pick<Case, 'check' | 'slots'>> = {
  // bpf_xdp_load_bytes and bpf_dynptr_read stop at offset 0x10000 (EFAULT); slices with a buffer go on
  loop_load_bytes: { slots: 7, check: ({ slots, packet: p }) => expect(slots).toEqual(p.length > 0x10000 ? walkSlots(p, 0x10000, EFAULT) : walkSlots(p, p.length, 0)) },
  loop_dynptr_read: { slots: 7, check: ({ slots, packet: p }) => expect(slots).toEqual(p.length > 0x10000 ? walkSlots(p, 0x10000, EFAULT) : walkSlots(p, p.length, 0)) },
  loop_slice: { slots: 7, check: ({ slots, packet: p }) => expect(slots).toEqual(walkSlots(p, p.length, 0)) },
  loop_answers: {
    slots: 17,
    // 0 loops; flags != 0: EINVAL; more than 1 << 23: E2BIG; a callback returning 1 ends the loop,
    // which then answers the iterations made, that one included. The E2BIG comes back as the u32
    // 0xfffffff9: with flags a constant 0 the verifier inlines bpf_loop, and its inlined code sets
    // r0 with a 32-bit move (BPF_MOV32_IMM(R0, -E2BIG)); from the helper itself (flags not known to
    // the verifier, or not 0) errors are 64-bit negatives.
    check: ({ slots }) => expect(slots.map(Number)).toEqual([0, 0, EINVAL, 0, 2 ** 32 + E2BIG, 0, 7, 7, 6, 11, 18, 10, 1, 19, E2BIG, 4, 23]),
  },
  loop_bounded: {
    slots: 5,
    check: ({ slots, packet: p, inp }) => {
      const lin = Math.min(inp.linear ?? p.length, LIN)
      const n = Math.min(lin, 256)
      let sum = 0
      for (let i = 0; i < n; i++) sum += p[i]
      const h = lin >= 16 ? fnv(p.subarray(0, 16)) : 2166136261
      let n2 = 0
      let sum2 = 0
      for (let i = 0; i < 20; i++) {
        const off = 3480 + i * 8
        if (off + 8 > p.length) break
        sum2 = (sum2 + (p.readUInt32LE(off) ^ p.readUInt32LE(off + 4))) >>> 0
        n2++
      }
      expect(slots.map(Number)).toEqual([n, sum, h, n2, sum2])
    },
  },
  loop_iter: {
    slots: 7,
    // [3, 11): 8 values; [5, 5): none; [7, 2): EINVAL and none
    check: ({ slots, packet: p }) => {
      let sum = 0
      for (let v = 3; v < 11; v++) if (v * 100 < p.length) sum += p[v * 100]
      expect(slots.map(Number)).toEqual([0, 8, sum, 0, 0, EINVAL, 0])
    },
  },
}

function loopCases(flags: string[] = []): Case[] {
  return Object.entries(loopChecks).map(([prog, chk]) => {
    // with a 14-byte linear part the frags hold 17 * 4096 bytes at most: 69646 in all
    const runs: Input[] = [...SIZES.map((size) => ({ size })), { size: 69646, linear: 14 }, { size: 69647, linear: 14, error: 'ENOMEM' }, { size: 9000, linear: 100 }]
    const defines = prog === 'loop_iter' ? { UXDP_ITER_NUM: 1 } : {}
    return { title: `${prog}${cpuNote(flags)}: ${runs.map(describeInput).join('; ')}`, src: 'bpf_loop.bpf.c', defines, flags, prog, runs, ...chk }
  })
}

// ---------------------------------------------------------------------------------------------
// bpf_tail.bpf.c: tail calls through a prog array filled from `.values`

/** The kernel's limit on tail calls in one run (MAX_TAIL_CALL_CNT). */
const MAX_TAIL_CALLS = 33

function tailInput(size: number, idx: number): Input {
  const b = seededPattern(size, size + idx)
  b[0] = idx
  b[2] = 0
  return { size, bytes: b, meta: 128 }
}

function tailExpect(p: Buffer, idx: number): { retval: number; slots: bigint[] } {
  const entry = [0n, BigInt(0x100 + idx)]
  const a = [0xan, 0n, geom(Math.min(p.length - 10, LIN), p.length - 10)]
  const b = [0xbn, 0n, 0xb0fn]
  switch (idx) {
    case 0:
    case 5:
      return { retval: XDP_TX, slots: [...entry, ...a, ...b] }
    case 1:
      return { retval: XDP_TX, slots: [...entry, ...b] }
    case 3:
      return { retval: XDP_PASS, slots: [...entry, 0x100fn, BigInt(MAX_TAIL_CALLS)] }
    case 4:
      // tail_meta moved data_meta 8 bytes back: the record restarts there (the headroom is zeroed),
      // with adjust_meta's own result first
      return { retval: XDP_TX, slots: [0n, ...a, ...b] }
    default:
      return { retval: XDP_DROP, slots: [...entry, 0xfa11n] }
  }
}

const tailRuns = [...SIZES.map((n) => [n, 0]), [64, 1], [1000, 2], [4096, 3], [73152, 3], [9000, 4], [73152, 5], [64, 7], [64, 8], [9000, 255]]

const tailCase: Case = {
  title: `tail_entry: a chain (0 -> 1 -> empty), an empty slot, self tail calls to the limit, after adjust_meta, past the array; first bytes ${tailRuns.map(([n, i]) => `${i} (${n} B)`).join(', ')}`,
  src: 'bpf_tail.bpf.c',
  prog: 'tail_entry',
  runs: tailRuns.map(([n, i]) => tailInput(n, i)),
  check: ({ retval, slots, packet, out, meta }) => {
    const idx = packet[0]
    const want = tailExpect(packet, idx)
    expect({ retval, slots }, 'the path through the programs').toEqual(want)
    expect(meta, 'ctx_out.data: the metadata length').toBe(idx === 4 ? 136 : 128)
    const after = Buffer.from(packet.subarray(0, [0, 4, 5].includes(idx) ? packet.length - 10 : packet.length))
    if ([0, 1, 4, 5].includes(idx)) after[1] = 0xbb
    if (idx === 3) after[2] = MAX_TAIL_CALLS
    sameBytes(out.subarray(meta), after, 'the packet afterwards')
  },
  maps: [{ name: 'jt', keysOnly: true }],
  mapCheck: (dump) => expect(mapLines(dump('jt'), { name: 'jt', keysOnly: true }), 'slots libbpf filled').toEqual([0, 1, 3, 4, 5].map((k) => le32(k).toString('hex'))),
}

// ---------------------------------------------------------------------------------------------
// bpf_ringbuf.bpf.c: packet excerpts into a ring buffer; the kernel's records read by
// ringbuf_harness.c (libbpf's ring_buffer__consume after each run)

type HarnessRun = { retval: number; out: string; consumed: number; records: string[] } | { error: number }

/** `runs` runs of the object's first program on one packet, the ring consumed after each
 * (ringbuf_harness.c, libbpf's ring_buffer__consume). */
function kernelRing(b: BpfBuild, packet: Buffer, meta: number, runs: number): HarnessRun[] {
  const r = harness([b, '@INPUT', String(meta), String(runs)], Buffer.concat([Buffer.alloc(meta), packet]))
  if (r.status !== 0) throw new Error(`ringbuf_harness exited with ${r.status}: ${r.stderr}`)
  return (JSON.parse(r.stdout) as { runs: HarnessRun[] }).runs
}

const RING = 16384
const ringRecordSize = (n: number) => (n + 8 + 7) & ~7

/** What ring_excerpts records and outputs for packet `p` when the ring held `prod` bytes before. */
function ringExpect(p: Buffer, prod: number): { slots: bigint[]; records: string[] } {
  const n = p.length
  const slots: bigint[] = [0n]
  let b64: Buffer
  if (n >= LIN + 32) b64 = p.subarray(LIN - 32, LIN + 32)
  else {
    slots.push(0n)
    b64 = p.subarray(0, 64)
  }
  slots.push(0n, 1n)
  const tail = p.subarray(n - 16)
  const ex = Buffer.concat([le32(n), le32(Math.min(n, LIN)), le32(fnv(b64)), le32(n - 16 <= 0xffff && Layout.of(n).contiguous(n - 16, 16) ? 1 : 2), p.subarray(0, 16), tail])
  const src = n >> 1 > 0xff00 ? 0xff00 : (n >> 1) - 16
  // a failed copy leaves the reserved bytes as the ring had them: never written yet, zero
  const copied = src + 256 <= n
  const dyn = Buffer.concat([le32(0x7a67 + n), copied ? p.subarray(src + 4, src + 256) : Buffer.alloc(252)])
  slots.push(0n, copied ? 0n : BigInt(E2BIG), 0n, 0n)
  const vlen = (n % 200) + 1
  const vb = Buffer.alloc(200, 0x5c)
  p.copy(vb, 0, 0, 32)
  const varRec = vb.subarray(0, vlen)
  slots.push(0n, 0n, BigInt(EINVAL))
  const written = ringRecordSize(64) + ringRecordSize(ex.length) + ringRecordSize(256) + ringRecordSize(100) + ringRecordSize(vlen)
  slots.push(BigInt(written), BigInt(prod + written))
  return { slots, records: [b64, ex, dyn, varRec].map((b) => b.toString('hex')) }
}

function runRingCase(sizes: number[], runs: number) {
  const b = build('bpf_ringbuf.bpf.c', {}, [], { commit: true })
  for (const size of sizes) {
    const packet = seededPattern(size, size + 3)
    const k = kernelRing(b, packet, META, runs)
    expect(k.length, `${size} B: runs`).toBe(runs)
    const x = uxdp && !selfCheck ? uxdpSide(b.path) : undefined
    try {
      let prod = 0
      for (let run = 0; run < runs; run++) {
        const label = `${size} B, run ${run}`
        const kr = k[run]
        if ('error' in kr) throw new Error(`${label}: BPF_PROG_TEST_RUN failed: errno ${kr.error}`)
        const out = Buffer.from(kr.out, 'hex')
        const rec = slotsOf(out)
        if (show) console.log(`[kernel-bpf] ring_excerpts ${label}: retval ${kr.retval}, slots ${rec.slots.map(fmt).join(' ')}, records ${kr.records.map((r) => r.length / 2).join(', ')} B`)
        const want = ringExpect(packet, prod)
        expect({ retval: kr.retval, slots: rec.slots }, `${label}: what the program saw`).toEqual({ retval: XDP_PASS, slots: want.slots })
        expect(kr.records, `${label}: the records libbpf consumed`).toEqual(want.records)
        expect(kr.consumed).toBe(kr.records.length)
        prod = Number(rec.slots.at(-1))
        if (x) {
          const xr = x.run('ring_excerpts', packet, { size })
          compareRun(label, { ok: true, retval: kr.retval, out }, xr.ok ? { ...xr, ctxOut: undefined } : xr)
          const xrec = x.records('rb').map((b) => b.toString('hex'))
          expect.soft(xrec, `${label}: ring buffer records (uxdp vs kernel)`).toEqual(kr.records)
        }
      }
    } finally {
      x?.close()
    }
  }
}

// ---------------------------------------------------------------------------------------------
// bpf_actions.bpf.c: verdicts, redirects, time and random numbers

function actBytes(size: number, head: number[]): Input {
  const b = seededPattern(size, size + 11)
  Buffer.from(head).copy(b)
  return { size, bytes: b }
}

const actionCases: Case[] = [
  {
    title: 'act_byte: the verdict is the program\'s return value, whatever it is (0..4, 5, 255, 32-bit values)',
    src: 'bpf_actions.bpf.c',
    prog: 'act_byte',
    noSlots: true,
    runs: [
      ...[XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT, 5, 255].map((v, i) => actBytes(SIZES[i % SIZES.length], [v, 0, 0, 0, 0])),
      actBytes(73152, [0x78, 0x56, 0x34, 0x12, 1]),
      actBytes(9000, [0xff, 0xff, 0xff, 0xff, 1]),
      actBytes(64, [0, 0, 0, 0x80, 1]),
    ],
    check: ({ retval, packet: p }) => expect(retval).toBe(p[4] === 1 ? p.readUInt32LE(0) : p[0]),
  },
  {
    title: 'act_redirect: bpf_redirect (flags 0: XDP_REDIRECT; else XDP_ABORTED), bpf_redirect_map on an empty DEVMAP (the fallback verdict in the flags)',
    src: 'bpf_actions.bpf.c',
    prog: 'act_redirect',
    runs: [actBytes(64, [1, 0, 0, 0]), actBytes(9000, [2, 0, 0, 0]), actBytes(73152, [0xff, 0xff, 0, 0])],
    slots: 7,
    check: ({ retval, slots }) => {
      expect(retval).toBe(XDP_REDIRECT)
      expect(slots.map(Number)).toEqual([XDP_REDIRECT, XDP_ABORTED, XDP_ABORTED, XDP_PASS, XDP_DROP, XDP_ABORTED, XDP_TX])
    },
  },
  {
    title: 'act_time: ktime (nonzero, monotonic), boot and coarse time nonzero, prandom not constant, a CPU id',
    src: 'bpf_actions.bpf.c',
    prog: 'act_time',
    runs: [{ size: 64 }, { size: 9000 }, { size: 73152 }],
    slots: 6,
    check: ({ slots }) => expect(slots).toEqual([1n, 1n, 1n, 1n, 1n, 1n]),
  },
]

// ---------------------------------------------------------------------------------------------
// bpf_load.bpf.c: load verdicts, the kernel's (errno and the verifier's or libbpf's line) vs uxdp's

const loadCases: { title: string; variant: number; errno?: string }[] = [
  { title: 'a plain XDP program: accepted', variant: 0 },
  { title: 'an skb helper (bpf_skb_load_bytes) in XDP: refused', variant: 1, errno: 'EINVAL' },
  { title: 'a GPL-only helper (bpf_trace_printk) under the MIT license: refused', variant: 2, errno: 'EINVAL' },
  { title: 'a kfunc no kernel has (a strong __ksym extern): refused by libbpf', variant: 3, errno: 'EINVAL' },
  { title: 'an skb kfunc (bpf_dynptr_from_skb) in XDP: refused', variant: 4, errno: 'EACCES' },
  { title: 'bpf_xdp_adjust_meta in XDP: accepted by upstream 6.18', variant: 5 },
  { title: 'bpf_dynptr_slice_rdwr in XDP: accepted by upstream 6.18', variant: 6 },
]

function runLoadCase(c: (typeof loadCases)[number]) {
  const b = build('bpf_load.bpf.c', { CASE: c.variant }, [], { commit: true })
  const k = verdict(b)
  const known = knownDifference(k)
  // what the kernel said, pinned (a known build difference stands for upstream's acceptance)
  expect(k.accepted || known ? 'accepted' : k.errno, `the kernel's verdict${k.accepted ? '' : `: ${k.line}`}`).toBe(c.errno ?? 'accepted')
  if (!uxdp?.checkLoad) return
  const x = uxdp.checkLoad(b.path)
  if (k.accepted || known) expect({ accepted: x.accepted, message: x.message }, known ? `upstream accepts it (${known.upstream}); the recording kernel refused: ${k.accepted ? '' : k.line}` : 'uxdp accepts it too').toEqual({ accepted: true, message: '' })
  else expect({ accepted: x.accepted, errno: x.code, line: x.message }, 'uxdp refuses it in the same words').toEqual({ accepted: false, errno: k.errno, line: k.line })
}

// =============================================================================================

const uxdpMode = selfCheck ? 'kernel vs kernel: self-check of the comparisons' : uxdp ? 'kernel vs uxdp' : `kernel only: ${uxdpMissing}`

describe(`BPF engine differential (${uxdpMode}; recorded on Linux ${kernel.recordedOn}${kernel.live ? `; live: ${kernel.live}` : ''})`, () => {
  afterAll(() => {
    for (const s of uxdpObjects.values()) s.close()
    uxdpObjects.clear()
    kernelObjects.clear()
    finishKernel()
    expect(ownPins()).toEqual([])
  })

  it('the uxdp BPF API (BpfObject) is there to compare with', () => {
    if (!uxdp) {
      const msg = `the uxdp half of every case is skipped: ${uxdpMissing}`
      if (process.env.UXDP_BPF_KERNEL_ONLY) console.warn(`[kernel-bpf] ${msg}`)
      else expect.fail(`${msg} (UXDP_BPF_KERNEL_ONLY=1 accepts that)`)
    }
  })

  describe('bpf_frags.bpf.c: get_buff_len, load/store_bytes, adjust_tail/head/meta, direct access', () => {
    it.each(fragsCases('xdp.frags').map((c) => [titleOf(c), c] as const))('%s', (_t, c) => runCase(c))
  })
  describe('bpf_dynptr.bpf.c: from_xdp, read/write, slice/slice_rdwr, adjust/clone/size, copy/memset', () => {
    it.each(dynptrCases().map((c) => [titleOf(c), c] as const))('%s', (_t, c) => runCase(c))
  })
  describe('bpf_parse.bpf.c: Ethernet/IPv4/UDP parser through dynptr slices, bpf_loop + bpf_csum_diff checksums', () => {
    it.each([...parseCases, csumCase].map((c) => [titleOf(c), c] as const))('%s', (_t, c) => runCase(c))
  })
  describe('bpf_maps.bpf.c: array, hash, per-CPU array, LRU hash, .rodata/.data/.bss; map contents compared', () => {
    it.each(mapCases.map((c) => [titleOf(c), c] as const))('%s', (_t, c) => runCase(c))
  })
  describe('bpf_loop.bpf.c: bpf_loop callbacks (load_bytes, dynptr_read, slices), bounded loops, bpf_iter_num', () => {
    it.each(loopCases().map((c) => [titleOf(c), c] as const))('%s', (_t, c) => runCase(c))
  })
  describe('bpf_tail.bpf.c: tail calls (prog array from .values)', () => {
    it(titleOf(tailCase), () => runCase(tailCase))
  })
  describe('bpf_ringbuf.bpf.c: ringbuf_output, reserve/submit, reserve_dynptr/submit_dynptr/discard, query', () => {
    it.each(SIZES.map((n) => [n] as const))('ring_excerpts on %i B, three runs, the ring consumed after each', (n) => runRingCase([n], 3))
  })
  describe('bpf_actions.bpf.c: verdicts, bpf_redirect / bpf_redirect_map, time and prandom', () => {
    it.each(actionCases.map((c) => [titleOf(c), c] as const))('%s', (_t, c) => runCase(c))
  })
  describe('bpf_load.bpf.c: load verdicts (errno and message) of programs refused before any verifier', () => {
    it.each(loadCases.map((c) => [c.title, c] as const))('%s', (_t, c) => runLoadCase(c))
  })
  describe('the same programs built with -mcpu=v3 (ALU32, JMP32)', () => {
    const v3 = ['-mcpu=v3']
    it.each([...fragsCases('xdp.frags', v3), ...dynptrCases(v3), ...loopCases(v3)].map((c) => [titleOf(c), c] as const))('%s', (_t, c) => runCase(c))
  })
  describe('bpf_frags.bpf.c built with SEC("xdp") (no frags flag): test_run gives it the same frags', () => {
    it.each(fragsCases('xdp').map((c) => [titleOf(c), c] as const))('%s', (_t, c) => runCase(c))
  })
})

