/**
 * Level 2 of the verifier log opens with the kernel's register liveness: "Live regs before
 * insn:", then per instruction its loop (strongly connected component) number, the registers
 * r0-r9 live before it and the instruction. The kernel prunes with the same liveness, so the
 * table is the verifier's own data-flow result made visible. For the verifier corpus's programs
 * (test/kernel/verifier/, one in three, loaded with full capabilities) the kernel's table is
 * recorded (`bpftool -d prog load`, `npm run kernel:record -- kernel-liveregs`) and uxdp's
 * (`verify(obj, { logLevel: 2 })`) must equal it.
 *
 * The whole level-2 log is compared as well: the subprograms (`func#N @start`), the table, then
 * the state after every instruction, the paths ("from X to Y"), precision backtracking
 * (`mark_precise:`, `propagating`), loop visits (`SCC enter`, `SCC backedge`, `SCC exit`), 6.18's
 * stack-slot liveness ("(callchain) frame F insn N +live -8", "live stack update done in N
 * iterations"), the refusal and the statistics. Left out of the comparison: the level-4 lines
 * bpftool asks for (verification time, stack depth), and uxdp's own policy notes
 * (`uxdp: warning: ...`, beyond the kernel).
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { verify } from '../lib/index'
import { askKernel, build, finishKernel, useKernel } from './helpers/kernel'
import { verifierCases } from './helpers/verifier-cases'

const kernel = useKernel('kernel-liveregs')

/** The table out of a level-2 log, map and kernel addresses masked. */
function liveTable(log: string): string | undefined {
  const lines = log.split('\n')
  const at = lines.indexOf('Live regs before insn:')
  if (at < 0) return undefined
  const rows: string[] = []
  for (const l of lines.slice(at + 1)) {
    if (!/^(?: {4}|\s*\d+ )\s*\d+: [0-9.]{10} /.test(l)) break
    rows.push(l.replace(/0x[0-9a-f]{16}\b/g, 'ADDR'))
  }
  return rows.join('\n')
}

function bpftoolDebugLoad(path: string): string {
  const pin = `/sys/fs/bpf/uxdp_liveregs_${process.pid}`
  rmSync(pin, { force: true, recursive: true })
  const r = spawnSync('bpftool', ['-d', 'prog', 'load', path, pin], { encoding: 'utf8', maxBuffer: 1 << 28 })
  rmSync(pin, { force: true, recursive: true })
  return `${r.stdout}\n${r.stderr}`
}

function kernelTable(path: string): string | null {
  return liveTable(bpftoolDebugLoad(path)) ?? null
}

/** A level-2 log's lines as compared: addresses masked, the lines uxdp does not print left out. */
function level2Lines(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => l !== '' && !/^(verification time|stack depth) /.test(l) && !l.startsWith('uxdp: '))
    .map((l) => l.replace(/0x[0-9a-f]{16}\b/g, 'ADDR'))
}

/** The verifier's log out of `bpftool -d prog load` (libbpf prints it between markers). */
function kernelLevel2(path: string): string | null {
  const out = bpftoolDebugLoad(path)
  const a = out.indexOf('-- BEGIN PROG LOAD LOG --\n')
  const b = out.indexOf('-- END PROG LOAD LOG --')
  if (a < 0 || b < 0) return null
  return level2Lines(out.slice(a + 26, b)).join('\n')
}

// one case in three of those loaded with full capabilities (chosen by a hash of the case's name, so a
// case added to the corpus leaves the others' choice alone): the scenarios' spread, at a third of the cost
const CASES = verifierCases()
  .filter((c) => !c.caps)
  .filter((c) => createHash('sha256').update(c.name).digest()[0] % 3 === 0)

describe(`the verifier's level-2 liveness table (${CASES.length} corpus programs; recorded on Linux ${kernel.recordedOn})`, () => {
  afterAll(() => {
    finishKernel()
  })

  it("uxdp's table equals the kernel's on (nearly) every program", () => {
    const r = compareOverCorpus('liveregs', 'the live regs table', kernelTable, (log) => liveTable(log) ?? '')
    console.log(`live regs tables equal to the kernel's: ${r.same} of ${r.compared} (${r.pct.toFixed(1)} %)\n${r.firstDiffs.join('\n')}`)
    expect(r.compared).toBeGreaterThan(500)
    expect(r.pct).toBeGreaterThanOrEqual(98)
  }, 1200_000)

  it("uxdp's whole level-2 log equals the kernel's on most programs", () => {
    const r = compareOverCorpus('level2', 'the level-2 log', kernelLevel2, (log) => level2Lines(log).join('\n'))
    console.log(`level-2 logs equal to the kernel's: ${r.same} of ${r.compared} (${r.pct.toFixed(1)} %)\n${r.firstDiffs.join('\n')}`)
    expect(r.compared).toBeGreaterThan(500)
    expect(r.pct).toBeGreaterThanOrEqual(93)
  }, 1200_000)
})

/**
 * The kernel's answer (`op`, recorded) and uxdp's (`fromLog` of its level-2 log) for each sampled
 * program, compared: how many, how many equal, and the first differing line of a few.
 */
function compareOverCorpus(op: string, what: string, kernelAnswer: (path: string) => string | null, fromLog: (log: string) => string) {
  let compared = 0
  let same = 0
  const firstDiffs: string[] = []
  for (const c of CASES) {
    const b = build(c.source, c.defines, c.flags, { commit: true })
    const k = askKernel<string | null>({ op, object: b.key }, `${what} of ${b.what}`, () => kernelAnswer(b.path))
    if (k === null) continue
    let u: string
    try {
      u = fromLog(verify(b.path, { logLevel: 2 }).log)
    } catch {
      continue
    }
    compared++
    if (u === k) {
      same++
      continue
    }
    const kl = k.split('\n')
    const ul = u.split('\n')
    const i = kl.findIndex((l, j) => l !== ul[j])
    if (firstDiffs.length < 5) firstDiffs.push(`${c.group}/${c.name} line ${i}:\n  kernel: ${kl[i]}\n  uxdp:   ${ul[i]}`)
  }
  return { compared, same, pct: (100 * same) / compared, firstDiffs }
}
