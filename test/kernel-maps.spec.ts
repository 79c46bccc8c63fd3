/**
 * Kernel differential tests of the map types of issue 14 (test/kernel/maps14.bpf.c): queue and
 * stack (push/pop/peek), percpu_hash, lru_percpu_hash and percpu_array
 * (bpf_map_lookup_percpu_elem), lpm_trie, array_of_maps and hash_of_maps with libbpf's `.values`
 * slots, user_ringbuf's drain, and bpf_jiffies64. Each program records every helper's return (and
 * the values it reads) in the metadata area (bpf_diff.h); the same object runs in the kernel
 * (BPF_PROG_TEST_RUN, `bpftool map dump` afterwards) and in uxdp, twice in a row (the second run
 * sees the maps the first left), and both must give the same retval, data_out and map contents:
 * per-CPU values summed over the CPUs (which CPU ran is the scheduler's choice, and uxdp models 4),
 * an LPM trie's entries in the kernel's get_next_key order, maps of maps through their inner maps
 * (their own values are map ids, which differ from load to load). Also the verifier on 20 small
 * programs using these maps (test/kernel/maps14_verifier.bpf.c): same verdict, errno and line.
 *
 * The kernel's answers are recorded in test/fixtures/kernel/kernel-maps.json (`npm run
 * kernel:record -- kernel-maps`), with the object in test/fixtures/kernel/objects/.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BpfObject, lpmKey, UxdpError } from '../lib/index'
import { native } from '../lib/native'
import { ask, build, finishKernel, firstDifference, KERNEL_SRC_DIR, KernelObject, MODE, seededPattern, useKernel, verdict, type BpfBuild, type MapEntry } from './helpers/kernel'
import { scratchDir } from './helpers/kernel-live'

const use = useKernel('kernel-maps')
const META = 216
const NR_CPUS = 4

/** The slots a run recorded (bpf_diff.h): count, overflow, values. */
function slots(out: Buffer): { count: number; overflow: boolean; values: bigint[] } {
  const head = out.readBigUInt64LE(0)
  const count = Number(head & 0xffffffffn)
  return { count, overflow: (head >> 32n) !== 0n, values: Array.from({ length: Math.min(count, 26) }, (_, i) => out.readBigInt64LE(8 + 8 * i)) }
}

/** Entries as comparable text: per-CPU values summed over CPUs as u64 words. */
function normal(entries: MapEntry[], opts: { sort?: boolean } = {}): string[] {
  const sum = (values: Buffer[]): string => {
    const out = Buffer.alloc(values[0]?.length ?? 0)
    for (let i = 0; i + 8 <= out.length; i += 8) out.writeBigUInt64LE(BigInt.asUintN(64, values.reduce((t, v) => t + v.readBigUInt64LE(i), 0n)), i)
    return `sum ${out.toString('hex')}`
  }
  const lines = entries.map((e) => `${e.key.toString('hex')} => ${e.values ? sum(e.values) : e.value!.toString('hex')}`)
  return opts.sort ? lines.sort() : lines
}

/** uxdp's entries in the shape bpftool dumps them. */
function uxdpEntries(o: BpfObject, name: string): MapEntry[] {
  const m = o.map(name)
  // as bpftool, the keys whose lookup finds an element (an array of maps' empty slots have none)
  return m.entries().map(([key, value]) => (m.perCpu ? { key, values: m.lookupPerCpu(key)! } : { key, value }))
}

interface Case {
  prog: string
  /** Maps compared after each run, and how. */
  maps: Record<string, { sort?: boolean }>
  /** Runs in a row (default 2). */
  runs?: number
  /** Facts about the kernel's own answer (first run's slots). */
  check?: (values: bigint[]) => void
}

const E2BIG = -7n
const EINVAL = -22n
const ENOENT = -2n
const EEXIST = -17n
const ENOSPC = -28n

const CASES: Case[] = [
  {
    prog: 'queue_ops',
    maps: {},
    check: (v) => {
      expect(v.slice(0, 2)).toEqual([ENOENT, 0n]) // peek of an empty queue zeroes the value
      expect(v.slice(5, 9)).toEqual([E2BIG, 0n, EINVAL, EINVAL]) // full; BPF_EXIST drops the oldest; bad flags
      expect(v.slice(9, 13)).toEqual([0n, 20n, 0n, 20n]) // the oldest left is 20
    },
  },
  {
    prog: 'percpu_ops',
    // one run: a second would update the copies of whichever CPU the kernel runs it on
    runs: 1,
    maps: { pcpu_hash: { sort: true }, lru_pcpu: { sort: true }, pcpu_array: {} },
    check: (v) => {
      expect(v.slice(0, 8)).toEqual([0n, 0n, 0n, 0n, E2BIG, EEXIST, 0n, EINVAL])
      expect(v.slice(8, 12)).toEqual([7n, 1n, 1n, 1n])
    },
  },
  {
    prog: 'lpm_ops',
    maps: { lpm: {} },
    check: (v) => {
      expect(v.slice(6, 11)).toEqual([ENOSPC, EINVAL, EEXIST, ENOENT, 0n])
      expect(v.slice(11, 18)).toEqual([6n, 3n, 10n, 1n, 5n, 0xffffffffn, 1n])
    },
  },
  // the outer maps' contents are map ids, which differ between two loads even in one kernel: which
  // slots hold a map is what the program's lookups record
  { prog: 'mim_ops', maps: { inner_a: {}, inner_b: {}, inner_h: { sort: true } } },
  { prog: 'jiffies', maps: {}, check: (v) => expect(v).toEqual([1n, 1n, 1n]) },
  { prog: 'urb_drain', maps: {}, check: (v) => expect(v).toEqual([EINVAL, 0n, 0n, 0n, 0n]) },
]

describe(`map types of issue 14: uxdp against Linux ${use.recordedOn}`, () => {
  for (const c of CASES) {
    it(`${c.prog}: retval, data_out and maps after ${c.runs ?? 2} run(s)`, () => {
      const b = build('maps14.bpf.c', { BD_ONLY: 1, [`BD_ONLY_${c.prog}`]: 1 }, [], { commit: true })
      const k = KernelObject.load(b, { session: true })
      const u = BpfObject.open(b.path, { nrCpus: NR_CPUS })
      try {
        const packet = seededPattern(64)
        for (let run = 0; run < (c.runs ?? 2); run++) {
          const kr = k.run(c.prog, packet, { meta: Buffer.alloc(META) })
          if (!kr.ok) throw new Error(`the kernel's test_run failed: ${kr.code}`)
          if (run === 0) c.check?.(slots(kr.out).values)
          const ur = u.program(c.prog).testRun({ data: Buffer.concat([Buffer.alloc(META), packet]), ctx: { data: META, dataEnd: META + packet.length } })
          expect(ur.retval >>> 0, `run ${run}`).toBe(kr.retval)
          const out = Buffer.from(ur.dataOut)
          expect(firstDifference(kr.out, out), `run ${run} slots: kernel ${slots(kr.out).values} uxdp ${slots(out).values}`).toBe('')
          for (const [name, how] of Object.entries(c.maps)) {
            expect(normal(uxdpEntries(u, name), how), `map ${name} after run ${run}`).toEqual(normal(k.dump(name), how))
          }
        }
      } finally {
        k.release()
        u.close()
      }
    })
  }
})

describe('map types of issue 14 through the TypeScript API', () => {
  const b = build('maps14.bpf.c', { BD_ONLY: 1, BD_ONLY_urb_drain: 1 }, [], { commit: true })

  it('user ring buffer: samples reach bpf_user_ringbuf_drain in order, discarded ones skipped, a callback returning 1 stops it', () => {
    const u = BpfObject.open(b.path, { nrCpus: NR_CPUS })
    try {
      const ring = u.map('urb').userRingBuffer()
      const sample = (v: bigint, size = 8) => {
        const s = Buffer.alloc(size)
        s.writeBigUInt64LE(v, 0)
        return s
      }
      ring.push(sample(0x11n))
      ring.reserve(8).write(sample(0x22n)).discard()
      ring.push(sample(0x33n, 16))
      ring.push(sample(0x1ffn)) // stops the drain (its callback returns 1)
      ring.push(sample(0x44n))
      expect(ring.available).toBe(4096 - 5 * 16 - 8)
      const r = u.program('urb_drain').testRun({ data: Buffer.concat([Buffer.alloc(META), seededPattern(64)]), ctx: { data: META, dataEnd: META + 64 } })
      const s = slots(Buffer.from(r.dataOut))
      // drain(flags 4): EINVAL; then 0x11 (8 bytes), 0x33 (16), 0x1ff stops: 4 samples visited, 1 discarded -> 3;
      // seen 3; the next drain gets 0x44: returns 1, seen 4
      expect(s.values).toEqual([EINVAL, 8n, 0n, 0x11n, 16n, 0n, 0x33n, 8n, 0n, 0x1ffn, 3n, 3n, 8n, 0n, 0x44n, 1n, 4n])
      expect(ring.available).toBe(4096)
      expect(() => ring.reserve(4096)).toThrow(expect.objectContaining({ code: 'E2BIG' }))
      const big = ring.reserve(4088)
      expect(() => ring.reserve(1)).toThrow(expect.objectContaining({ code: 'ENOSPC' }))
      big.submit()
      expect(() => big.submit()).toThrow(expect.objectContaining({ code: 'EINVAL' }))
    } finally {
      u.close()
    }
  })

  it('queue, stack, per-CPU, LPM and map-of-maps helpers of BpfMap', () => {
    const objb = build('maps14.bpf.c', { BD_ONLY: 1, BD_ONLY_mim_ops: 1 }, [], { commit: true })
    const u = BpfObject.open(objb.path, { nrCpus: NR_CPUS })
    try {
      const q = u.map('queue')
      expect(q.pop()).toBeUndefined()
      for (const v of [1, 2, 3]) q.push(Buffer.from([v, 0, 0, 0]))
      expect(() => q.push(Buffer.from([4, 0, 0, 0]))).toThrow(expect.objectContaining({ code: 'E2BIG' }))
      q.push(Buffer.from([4, 0, 0, 0]), 2)
      expect(q.queued().map((b) => b[0])).toEqual([2, 3, 4])
      expect(q.peek()![0]).toBe(2)
      expect(q.pop()![0]).toBe(2)
      const st = u.map('stack')
      st.push(Buffer.alloc(8, 1))
      st.push(Buffer.alloc(8, 2))
      expect(st.pop()![0]).toBe(2)
      const pc = u.map('pcpu_hash')
      const key = Buffer.from([1, 0, 0, 0])
      pc.updatePerCpu(key, [0, 1, 2, 3].map((c) => Buffer.alloc(8, c + 1)))
      expect(pc.lookupPerCpu(key)!.map((v) => v[0])).toEqual([1, 2, 3, 4])
      expect(() => pc.updatePerCpu(key, [Buffer.alloc(8)])).toThrow(expect.objectContaining({ code: 'EINVAL' }))
      const lpm = u.map('lpm')
      lpm.update(lpmKey(16, Buffer.from([10, 1, 0, 0])), Buffer.from([7, 0, 0, 0]))
      expect(lpm.lookup(lpmKey(32, Buffer.from([10, 1, 2, 3])))![0]).toBe(7)
      expect(lpm.lookup(lpmKey(32, Buffer.from([10, 2, 2, 3])))).toBeUndefined()
      const outer = u.map('outer_array')
      const a = u.map('inner_a')
      const bmap = u.map('inner_b')
      expect(outer.inner(Buffer.from([0, 0, 0, 0]))?.name).toBe('inner_a')
      expect(outer.innerId(Buffer.from([1, 0, 0, 0]))).toBeUndefined()
      outer.setInner(Buffer.from([1, 0, 0, 0]), bmap)
      expect(outer.innerId(Buffer.from([1, 0, 0, 0]))).toBe(bmap.id)
      expect(() => outer.setInner(Buffer.from([1, 0, 0, 0]), u.map('inner_h'))).toThrow(expect.objectContaining({ code: 'EINVAL' }))
      expect(a.fd).not.toBe(bmap.fd)
      // the program now finds a map in slot 1 too
      const r = u.program('mim_ops').testRun({ data: Buffer.concat([Buffer.alloc(META), seededPattern(64)]), ctx: { data: META, dataEnd: META + 64 } })
      const s = slots(Buffer.from(r.dataOut))
      expect(s.values.slice(0, 9)).toEqual([1n, 0n, 0x100n, E2BIG, 1n, 0n, 0x101n, E2BIG, 1n])
      expect(bmap.lookup(Buffer.from([1, 0, 0, 0]))!.readBigUInt64LE(0)).toBe(0x101n)
    } finally {
      u.close()
    }
  })
})

/** test/kernel/maps14_verifier.bpf.c's cases, marked as the verifier corpus marks them. */
const VERIFIER_CASES = [...readFileSync(join(KERNEL_SRC_DIR, 'maps14_verifier.bpf.c'), 'utf8').matchAll(/^#\s*(?:el)?if\s+CASE\s*==\s*(\d+)\s*\/\*\s*([a-z0-9_]+)\s+(accepted|refused)\s+xdp\s*:\s*(.*?)\s*\*\/\s*$/gm)].map((m) => ({
  n: Number(m[1]),
  name: m[2],
  intent: m[3],
  about: m[4],
}))

describe(`the verifier on these maps' programs: uxdp against Linux ${use.recordedOn} (same verdict; refused: same errno and line)`, () => {
  it('has its cases', () => expect(VERIFIER_CASES.length).toBe(20))
  for (const c of VERIFIER_CASES) {
    it(`${c.name}: ${c.about}`, () => {
      const b = build('maps14_verifier.bpf.c', { CASE: c.n }, [], { commit: true })
      const k = verdict(b)
      expect(k.accepted ? 'accepted' : 'refused', k.accepted ? 'the kernel accepted it' : `the kernel: ${k.errno} ${k.line}`).toBe(c.intent)
      let u: { accepted: boolean; errno?: string; line?: string }
      try {
        BpfObject.open(b.path).close()
        u = { accepted: true }
      } catch (e) {
        if (!(e instanceof UxdpError)) throw e
        u = { accepted: false, errno: e.code, line: e.line ?? e.message }
      }
      expect(u).toEqual(k.accepted ? { accepted: true } : { accepted: false, errno: k.errno, line: k.line })
    })
  }
})

// =============================================================================================
// test/kernel/maps14_harness.c (libbpf): map creation's verdicts, and the user ring buffer's
// producer side feeding bpf_user_ringbuf_drain

const HARNESS = join(KERNEL_SRC_DIR, 'maps14_harness.c')
const HARNESS_KEY = createHash('sha256').update(readFileSync(HARNESS)).digest('hex').slice(0, 16)
let harnessPath: string | undefined

function runHarness(args: string[]): string {
  if (!harnessPath) {
    const path = join(scratchDir(), 'maps14_harness')
    const r = spawnSync('gcc', ['-O2', '-Wall', '-Werror', '-o', path, HARNESS, '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`building maps14_harness.c failed: ${r.stderr || r.error}`)
    harnessPath = path
  }
  const r = spawnSync(harnessPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`maps14_harness ${args.join(' ')} exited with ${r.status}: ${r.stderr}`)
  return r.stdout
}

/** The harness's answer to `args` (objects as builds; '@PACKET' stands for a file holding
 * `packet`), recorded. */
function oracle<A>(args: (string | BpfBuild)[], what: string, packet?: Buffer): A {
  const asked = MODE === 'record' || use.live !== undefined
  const request = {
    op: 'maps14_harness',
    harness: HARNESS_KEY,
    args: args.map((a) => (typeof a === 'string' ? a : `obj:${a.key}`)),
    packet: packet ? createHash('sha256').update(packet).digest('hex').slice(0, 16) : null,
  }
  const live = (): A => {
    const file = join(scratchDir(), `maps14-packet-${process.pid}.bin`)
    if (packet) writeFileSync(file, packet)
    try {
      return JSON.parse(runHarness(args.map((a) => (typeof a !== 'string' ? a.path : a === '@PACKET' ? file : a)))) as A
    } finally {
      rmSync(file, { force: true })
    }
  }
  return ask<A>(request, what, asked ? live : undefined, (a) => a)
}

const ERRNO_NAMES: Record<number, string> = { 0: 'OK', [-1]: 'EPERM', [-7]: 'E2BIG', [-9]: 'EBADF', [-12]: 'ENOMEM', [-22]: 'EINVAL', [-524]: 'ENOTSUPP', [-95]: 'EOPNOTSUPP' }

/** [type, key_size, value_size, max_entries, flags, inner [type, max_entries, flags]?, what] */
type CreateCase = [number, number, number, number, number, [number, number, number] | null, string]
const NO_PREALLOC = 1
const CREATE_CASES: CreateCase[] = [
  [5, 4, 8, 4, 0, null, 'percpu_hash'],
  [5, 4, 8, 4, 1 << 2, null, 'percpu_hash with BPF_F_NUMA_NODE'],
  [5, 4, 32768, 4, 0, null, 'percpu_hash with a 32 KiB value'],
  [5, 4, 32769, 4, 0, null, 'percpu_hash with a value past 32 KiB'],
  [5, 4, 8, 4, 1 << 1, null, 'percpu_hash with BPF_F_NO_COMMON_LRU'],
  [10, 4, 8, 4, 1 << 1, null, 'lru_percpu_hash with BPF_F_NO_COMMON_LRU'],
  [10, 4, 8, 4, NO_PREALLOC, null, 'lru_percpu_hash with BPF_F_NO_PREALLOC'],
  [10, 0, 8, 4, 0, null, 'lru_percpu_hash with key_size 0'],
  [22, 0, 4, 4, 0, null, 'queue'],
  [22, 4, 4, 4, 0, null, 'queue with a key'],
  [23, 0, 0, 4, 0, null, 'stack with value_size 0'],
  [23, 0, 4, 0, 0, null, 'stack with max_entries 0'],
  [22, 0, 4, 4, NO_PREALLOC, null, 'queue with BPF_F_NO_PREALLOC'],
  [11, 8, 4, 4, NO_PREALLOC, null, 'lpm_trie'],
  [11, 8, 4, 4, 0, null, 'lpm_trie without BPF_F_NO_PREALLOC'],
  [11, 4, 4, 4, NO_PREALLOC, null, 'lpm_trie with a 4-byte key'],
  [11, 260, 4, 4, NO_PREALLOC, null, 'lpm_trie with a 260-byte key'],
  [11, 261, 4, 4, NO_PREALLOC, null, 'lpm_trie with a 261-byte key'],
  [11, 8, 0, 4, NO_PREALLOC, null, 'lpm_trie with value_size 0'],
  [11, 8, 4, 0, NO_PREALLOC, null, 'lpm_trie with max_entries 0'],
  [12, 4, 4, 4, 0, [2, 4, 0], 'array_of_maps of arrays'],
  [12, 4, 8, 4, 0, [2, 4, 0], 'array_of_maps with 8-byte values'],
  [12, 4, 4, 4, 1 << 7, [2, 4, 0], 'array_of_maps with BPF_F_RDONLY_PROG'],
  [12, 4, 4, 4, 0, null, 'array_of_maps without an inner map'],
  [13, 4, 4, 4, 0, [1, 4, 0], 'hash_of_maps of hashes'],
  [13, 8, 4, 4, NO_PREALLOC, [2, 4, 0], 'hash_of_maps with BPF_F_NO_PREALLOC'],
  [31, 0, 0, 4096, 0, null, 'user_ringbuf'],
  [31, 0, 0, 4000, 0, null, 'user_ringbuf of 4000 bytes'],
  [31, 4, 0, 4096, 0, null, 'user_ringbuf with a key'],
]

describe(`map creation's checks: uxdp against Linux ${use.recordedOn}`, () => {
  for (const [type, key, value, max, flags, inner, what] of CREATE_CASES) {
    it(`${what}: same errno`, () => {
      const args = ['--create', type, key, value, max, flags, ...(inner ?? [-1, 0, 0])].map(String)
      const k = oracle<{ errno?: number; inner_errno?: number }>(args, `BPF_MAP_CREATE ${what}`)
      expect(k.inner_errno, 'the inner map is created').toBeUndefined()
      const u = native.bpfMapCreateCheck(type, key, value, max, flags, NR_CPUS, inner ?? undefined)
      expect(u ?? 'OK').toBe(ERRNO_NAMES[k.errno!] ?? `errno ${k.errno}`)
    })
  }
})

describe(`bpf_user_ringbuf_drain fed by libbpf's user_ring_buffer: uxdp against Linux ${use.recordedOn}`, () => {
  const hex = (v: bigint, size = 8) => {
    const b = Buffer.alloc(size)
    b.writeBigUInt64LE(v)
    return b.toString('hex')
  }
  const SEQUENCES: [string, string[]][] = [
    ['submitted, discarded, a stop, then the rest', [`s${hex(0x11n)}`, `d${hex(0x22n)}`, `s${hex(0x33n, 16)}`, `s${hex(0x1ffn)}`, `s${hex(0x44n)}`, 'x', 'x']],
    ['a sample still reserved holds the drain back', [`s${hex(0x55n)}`, 'R8', `s${hex(0x66n)}`, 'x']],
    ['sizes 0 to 3 (shorter than the 8 bytes read: EINVAL from bpf_dynptr_read)', ['s', 's01', 's0102', 's010203', 'x']],
    ['a ring filled to the byte, then too large, then full', ['R4089', 'R4088', 's01', 'x']],
  ]
  const b = build('maps14.bpf.c', { BD_ONLY: 1, BD_ONLY_urb_drain: 1 }, [], { commit: true })
  for (const [what, steps] of SEQUENCES) {
    it(what, () => {
      const packet = Buffer.concat([Buffer.alloc(META), seededPattern(64)])
      type Step = { err?: number; retval?: number; out?: string; error?: number }
      const k = oracle<{ steps: Step[] }>(['--urb', b, '@PACKET', String(META), ...steps], `user ring buffer steps ${steps.join(' ')}`, packet)
      const u = BpfObject.open(b.path, { nrCpus: NR_CPUS })
      try {
        const ring = u.map('urb').userRingBuffer()
        const got: Step[] = steps.map((s) => {
          const errOf = (f: () => void): Step => {
            try {
              f()
              return { err: 0 }
            } catch (e) {
              return { err: e instanceof UxdpError ? e.errno : -9999 }
            }
          }
          if (s[0] === 's') return errOf(() => ring.push(Buffer.from(s.slice(1), 'hex')))
          if (s[0] === 'd') return errOf(() => ring.reserve((s.length - 1) / 2).write(Buffer.from(s.slice(1), 'hex')).discard())
          if (s[0] === 'R') return errOf(() => ring.reserve(Number(s.slice(1))))
          const r = u.program('urb_drain').testRun({ data: packet, ctx: { data: META, dataEnd: packet.length } })
          return { retval: r.retval >>> 0, out: Buffer.from(r.dataOut).toString('hex') }
        })
        expect(got).toEqual(k.steps)
      } finally {
        u.close()
      }
    })
  }
})

afterAll(() => {
  finishKernel()
})
