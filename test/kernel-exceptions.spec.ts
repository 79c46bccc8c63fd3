/**
 * BPF exceptions at run time, kernel against uxdp: XDP programs that call bpf_throw from the main
 * program, two static frames deep, from a global function, and in bpf_assert_range's shape
 * (test/kernel/exceptions_run.bpf.c, one program per -DCASE=n), run by BPF_PROG_TEST_RUN on the
 * same packets. The default exception callback makes the cookie the program's return value, from
 * whichever frame threw; the return values must agree (and data_out, which no case changes).
 *
 * The kernel's answers are recorded (test/fixtures/kernel/kernel-exceptions.json, `npm run
 * kernel:record -- kernel-exceptions`); where the kernel can be asked live it is asked too.
 * uxdp runs each case twice: with the JIT (programs with subprograms run in the interpreter) and
 * without.
 *
 * Exception callbacks (test/kernel/exceptions_cb.bpf.c) and missing __weak kfuncs
 * (test/kernel/weak_kfunc.bpf.c) depend on the libbpf: libbpf appends the function the
 * `exception_callback:NAME` decl tag names, and poisons a missing weak kfunc's calls into invalid
 * helper calls (whose refusal it rewrites), only since 1.3; bpftool and the corpus harness here
 * link libbpf 1.1, so these are asked through kload (scripts/verifier-selftests/kload.c, built
 * against the kernel source package's libbpf by `npm run verifier:selftests`): the verdict, the
 * kernel's (or libbpf's) line, and the return values of BPF_PROG_TEST_RUN on the same packets.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BpfObject, UxdpError } from '../lib/index'
import { askKernel, build, finishKernel, firstDifference, ownPins, program, useKernel } from './helpers/kernel'

useKernel('kernel-exceptions')

const SOURCE = 'exceptions_run.bpf.c'

function packet(size: number, first: number): Uint8Array {
  const p = new Uint8Array(size)
  for (let i = 0; i < size; i++) p[i] = (i * 37 + 11) & 0xff
  p[0] = first
  return p
}

// What each case returns, from first principles, so that the kernel half shows the programs do
// what they claim: len is the packet's length, first its first byte.
const CASES: { n: number; about: string; expected: (len: number, first: number) => number }[] = [
  { n: 0, about: 'throws from the main program when long', expected: (len) => (len > 60 ? len + 100 : 2) },
  { n: 1, about: 'throws two static frames deep', expected: (len, first) => (len > 60 ? 1000 + first : len * 2 + 1) },
  { n: 2, about: 'throws from a global function on odd lengths', expected: (len) => (len & 1 ? len + 7 : 4) },
  { n: 3, about: "throws in bpf_assert_range's shape", expected: (len) => (len < 50 ? len : 77) },
]
const PACKETS: [number, number][] = [
  [40, 5],
  [61, 9],
  [64, 200],
  [101, 1],
]

describe('bpf_throw: the kernel and uxdp return the same value', () => {
  for (const c of CASES) {
    for (const [size, first] of PACKETS) {
      it(`case ${c.n} (${c.about}), ${size} B`, () => {
        const data = packet(size, first)
        const k = program(SOURCE, { CASE: c.n }).run(data)
        if (!k.ok) throw new Error(`the kernel's test_run failed: ${k.message}`)
        expect(k.retval, "the kernel's return value").toBe(c.expected(size, first))
        for (const jit of [true, false]) {
          const obj = BpfObject.open(program(SOURCE, { CASE: c.n }).build.path, { jit })
          try {
            const r = obj.program().testRun({ data })
            expect(r.retval, `uxdp (jit ${jit})`).toBe(k.retval)
            expect(firstDifference(k.out, r.dataOut), 'data_out').toBe('')
          } finally {
            obj.close()
          }
        }
      })
    }
  }

})

// =============================================================================================
// Exception callbacks, through kload

const KLOAD = join(__dirname, '..', 'target', 'verifier-selftests', 'kload')
const CB_SOURCE = 'exceptions_cb.bpf.c'

interface KloadAnswer {
  accepted: boolean
  errno: number
  /** The verifier's error line, or libbpf's when libbpf refused before the kernel saw the program. */
  line: string
  retvals: number[]
}

/** The kernel's error line in a verifier log: the last line before the statistics. */
function errorLine(log: string): string {
  const lines = log.split('verification time')[0].split('\n').filter((l) => l.trim() !== '')
  return lines[lines.length - 1] ?? ''
}

function kload(path: string, packets: Uint8Array[]): KloadAnswer {
  if (!existsSync(KLOAD)) throw new Error(`${KLOAD} is missing: run \`npm run verifier:selftests\` once to build it`)
  const dir = mkdtempSync(join(tmpdir(), 'uxdp-kload-'))
  try {
    const pkts = join(dir, 'packets.bin')
    const parts: Buffer[] = [Buffer.alloc(4)]
    parts[0].writeUInt32LE(packets.length)
    for (const p of packets) {
      const len = Buffer.alloc(4)
      len.writeUInt32LE(p.length)
      parts.push(len, Buffer.from(p))
    }
    writeFileSync(pkts, Buffer.concat(parts))
    const verdict = spawnSync(KLOAD, [path, 'prog'], { encoding: 'utf8' })
    const v = JSON.parse(verdict.stdout.trim().split('\n')[0]) as { accepted: boolean; errno: number; log?: string; libbpf: string }
    if (!v.accepted) {
      const noise = /BPF program load failed|failed to load object|failed to load: |BTF loading error|Error loading \.BTF|^$/
      const libbpf = v.libbpf.split('\n').find((l) => !noise.test(l)) ?? ''
      const line = v.log ? errorLine(v.log) : libbpf.replace(/^libbpf: /, '')
      return { accepted: false, errno: v.errno, line, retvals: [] }
    }
    const run = spawnSync(KLOAD, ['--run', pkts, path, 'prog'], { encoding: 'utf8' })
    const r = JSON.parse(run.stdout.trim().split('\n')[0]) as { runs: { err: number; retval: number }[] }
    return { accepted: true, errno: 0, line: '', retvals: r.runs.slice(0, packets.length).map((x) => (x.err ? -Math.abs(x.err) : x.retval)) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const CB_CASES: { n: number; about: string }[] = [
  { n: 0, about: 'the callback doubles the cookie' },
  { n: 1, about: 'the callback calls a global function; the throw is two frames deep' },
  { n: 2, about: 'a callback in a program that never throws' },
  { n: 3, about: 'the callback takes two arguments' },
  { n: 4, about: 'the callback takes the context' },
  { n: 5, about: 'the main program calls its callback' },
  { n: 6, about: 'the callback throws' },
  { n: 7, about: 'the callback is static (libbpf refuses)' },
  { n: 8, about: 'the tag names no function (libbpf refuses)' },
]

/** One program of `source` (-DCASE=n) through kload and through uxdp: verdict, line, return values. */
function kloadCase(source: string, n: number): void {
  const packets = PACKETS.map(([size, first]) => packet(size, first))
  const b = build(source, { CASE: n }, [], { commit: true })
  const k = askKernel<KloadAnswer>({ op: 'kload', object: b.key, packets: PACKETS }, `kload ${b.what}`, () => kload(b.path, packets))
  for (const jit of [true, false]) {
    let obj: BpfObject
    try {
      obj = BpfObject.open(b.path, { jit })
    } catch (e) {
      if (!(e instanceof UxdpError)) throw e
      expect({ accepted: false, errno: e.errno }, `uxdp refused: ${e.message}`).toEqual({ accepted: k.accepted, errno: -k.errno })
      expect(e.line ?? e.message).toContain(k.line)
      continue
    }
    try {
      expect(k.accepted, `uxdp accepted; the kernel refused: ${k.line}`).toBe(true)
      const retvals = packets.map((data) => obj.program().testRun({ data }).retval)
      expect(retvals, `uxdp (jit ${jit})`).toEqual(k.retvals)
    } finally {
      obj.close()
    }
  }
}

describe('exception callbacks: the kernel (through a libbpf that appends them) and uxdp agree', () => {
  for (const c of CB_CASES) it(`case ${c.n}: ${c.about}`, () => kloadCase(CB_SOURCE, c.n))
})

const WEAK_CASES: { n: number; about: string }[] = [
  { n: 0, about: 'guarded by a test of its address' },
  { n: 1, about: 'called unguarded' },
  { n: 2, about: 'called on one path only' },
  { n: 3, about: 'guarded, in a tc program' },
  { n: 4, about: 'a kfunc declared with a prototype incompatible with the kernel\'s' },
]

describe('kfunc externs as libbpf 1.3+ resolves them (weak ones poisoned, prototypes checked): the kernel and uxdp agree', () => {
  for (const c of WEAK_CASES) it(`case ${c.n}: ${c.about}`, () => kloadCase('weak_kfunc.bpf.c', c.n))

  afterAll(() => {
    finishKernel()
    expect(ownPins()).toEqual([])
  })
})
