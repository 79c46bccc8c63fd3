/**
 * `uxdp conformance DIR`: bpf_conformance's `.data` vectors, each a program (uBPF assembler text or
 * raw words), optional input memory, and the r0 it must end with or the error it must fail with.
 * The engine runs a program the way bpf_conformance runs a plugin (`native.bpfRunRaw`: validated,
 * r1 and r2 the memory, helper #5 "unwind"); reading the vectors and judging the runs is this
 * runner's, as it is crate/tests/support/conformance.rs's for the Rust tests.
 *
 * r0 is compared in full, all 64 bits. A vector that expects an error passes only when the
 * failure's message is exactly the expected text, as bpf_conformance compares a plugin's output;
 * one whose `-- error` section is empty can therefore not pass by failing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { call, UxdpError } from '../errors'
import { native } from '../native'

export interface Vector {
  /** The `-- asm` text, comments removed, preceded by blank lines so that its line numbers are the file's. */
  asm?: string
  /** The `-- raw` program, 8 bytes per instruction. */
  raw?: Buffer
  /** The `-- mem` bytes; absent when the file has no such section (r1 is then 0). */
  mem?: Buffer
  result?: bigint
  /** The `-- error` text; '' for a section with no text. */
  error?: string
}

export type Outcome = { outcome: 'PASS' } | { outcome: 'FAIL' | 'SKIP'; detail: string }

const U64_MAX = (1n << 64n) - 1n

function parseNumber(s: string): bigint | undefined {
  const hex = /^0[xX]\+?([0-9a-fA-F]+)$/.exec(s)
  const dec = /^\+?([0-9]+)$/.exec(s)
  const n = hex ? BigInt(`0x${hex[1]}`) : dec ? BigInt(dec[1]) : undefined
  return n !== undefined && n <= U64_MAX ? n : undefined
}

function parseByte(tok: string): number | undefined {
  const m = /^\+?([0-9a-fA-F]+)$/.exec(tok.replace(/^(0x)+/, ''))
  const b = m ? parseInt(m[1], 16) : NaN
  return b <= 0xff ? b : undefined
}

/** A raw instruction: one 64-bit word (low byte = opcode) or its eight bytes in memory order. */
function parseRawLine(body: string): Buffer {
  const toks = body.split(/\s+/)
  const insn = Buffer.alloc(8)
  if (toks.length === 1) {
    const w = parseNumber(toks[0])
    if (w === undefined) throw `"${toks[0]}" is not an instruction word`
    insn.writeBigUInt64LE(w)
  } else if (toks.length === 8) {
    toks.forEach((tok, i) => {
      const b = parseByte(tok)
      if (b === undefined) throw `"${tok}" is not a hex byte`
      insn[i] = b
    })
  } else throw `"${body}" is neither one 64-bit word nor eight bytes`
  return insn
}

type Section = 'asm' | 'raw' | 'mem' | 'result' | 'error' | 'ignored' | undefined
const SECTIONS: Record<string, Section> = { asm: 'asm', raw: 'raw', mem: 'mem', result: 'result', error: 'error', c: 'ignored', 'no register offset': 'ignored' }

/** Parses the text of a `.data` file; throws a string (with the line) when it is malformed. */
export function parseVector(text: string): Vector {
  let section: Section
  let asm = ''
  const present = new Set<Section>()
  const raw: Buffer[] = []
  const mem: number[] = []
  const results: [number, string][] = []
  const errors: string[] = []
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  lines.forEach((full, i) => {
    const n = i + 1
    // A CRLF line ending, then one more CR, as the Rust runner strips them.
    const line = full.replace(/\r?\r$/, '')
    if (line.startsWith('--')) {
      const name = line.slice(2).trim()
      section = SECTIONS[name]
      if (!Object.hasOwn(SECTIONS, name)) throw `line ${n}: unknown section "-- ${name}"`
      if (section === 'asm' || section === 'raw' || section === 'mem' || section === 'error') {
        if (present.has(section)) throw `line ${n}: a second "-- ${name}" section`
        present.add(section)
        // Blank lines up to the header, so that the assembler's line numbers are the file's.
        if (section === 'asm') asm = '\n'.repeat(n)
      }
      return
    }
    if (section === 'ignored') return
    if (section === 'error') {
      if (line.trim() !== '') errors.push(line.trim())
      return
    }
    const body = line.split('#')[0].trim()
    if (section === 'asm') {
      asm += `${body}\n`
      return
    }
    if (body === '') return
    if (section === undefined) throw `line ${n}: "${body}" before any section`
    if (section === 'raw') {
      try {
        raw.push(parseRawLine(body))
      } catch (e) {
        throw `line ${n}: ${String(e)}`
      }
    } else if (section === 'mem') {
      for (const tok of body.split(/\s+/)) {
        const b = parseByte(tok)
        if (b === undefined) throw `line ${n}: "${tok}" is not a hex byte`
        mem.push(b)
      }
    } else if (section === 'result') results.push([n, body])
  })
  const v: Vector = {}
  if (present.has('asm')) v.asm = asm
  if (present.has('raw')) v.raw = Buffer.concat(raw)
  if (present.has('mem')) v.mem = Buffer.from(mem)
  if (present.has('error')) v.error = errors.join('\n')
  if (results.length > 1) throw `line ${results[1][0]}: more than one result value`
  if (results.length === 1) {
    const [n, body] = results[0]
    v.result = parseNumber(body)
    if (v.result === undefined) throw `line ${n}: "${body}" is not a number`
  }
  return v
}

/** The message a native error carries, without the op and errno around it. */
function reason(e: unknown): string {
  if (!(e instanceof UxdpError)) return String(e)
  const prefix = e.op ? `${e.op}: ` : ''
  const suffix = ` (${e.code})`
  const m = e.message
  return m.startsWith(prefix) && m.endsWith(suffix) ? m.slice(prefix.length, m.length - suffix.length) : m
}

/** `struct bpf_insn` as the Rust runner's messages show one. */
function insnText(b: Buffer | undefined): string {
  return b && b.length === 8 ? `Some(Insn { code: ${b[0]}, regs: ${b[1]}, off: ${b.readInt16LE(2)}, imm: ${b.readInt32LE(4)} })` : 'None'
}

/** The program a vector holds: the raw words, or the assembled text (which must agree with the raw words when both are given). */
function program(v: Vector): Buffer {
  let assembled: Buffer | undefined
  if (v.asm !== undefined) {
    try {
      assembled = call(() => native.bpfAssemble(v.asm as string))
    } catch (e) {
      throw reason(e)
    }
  }
  if (assembled && v.raw && !assembled.equals(v.raw)) {
    const [a, r] = [assembled.length / 8, v.raw.length / 8]
    let at = 0
    while (at < Math.min(a, r) && assembled.subarray(at * 8, at * 8 + 8).equals(v.raw.subarray(at * 8, at * 8 + 8))) at++
    const insn = (b: Buffer) => insnText(at * 8 < b.length ? b.subarray(at * 8, at * 8 + 8) : undefined)
    throw `the assembled program and the raw words differ at insn ${at}: ${insn(assembled)} vs ${insn(v.raw)} (${a} and ${r} instructions)`
  }
  return assembled ?? v.raw ?? Buffer.alloc(0)
}

const hex = (n: bigint) => `0x${n.toString(16)}`

/** A failure to validate or run: a pass only if it is exactly the expected error. */
function failed(v: Vector, message: string, detail: string): Outcome {
  if (v.error && v.error === message) return { outcome: 'PASS' }
  if (v.error) return { outcome: 'FAIL', detail: `${detail}; expected the error "${v.error}"` }
  return { outcome: 'FAIL', detail }
}

export function runVector(v: Vector): Outcome {
  let insns: Buffer
  try {
    insns = program(v)
  } catch (e) {
    // The vector itself is malformed: no expected error can make that a pass.
    return { outcome: 'FAIL', detail: `assembler: ${String(e)}` }
  }
  if (insns.length === 0) return { outcome: 'SKIP', detail: 'no instructions' }
  const run = native.bpfRunRaw(insns, v.mem)
  if (run.r0 === undefined || run.r0 === null) return failed(v, run.error ?? '', run.detail ?? '')
  const r0 = BigInt.asUintN(64, run.r0)
  if (v.error) return { outcome: 'FAIL', detail: `expected the error "${v.error}", but the program returned ${hex(r0)}` }
  if (v.result === r0) return { outcome: 'PASS' }
  if (v.result !== undefined) return { outcome: 'FAIL', detail: `r0 = ${hex(r0)}, expected ${hex(v.result)}` }
  return { outcome: 'FAIL', detail: `r0 = ${hex(r0)}, and the vector gives no result to compare it with` }
}

export function runFile(path: string): Outcome {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    return { outcome: 'FAIL', detail: `${path}: ${(e as Error).message}` }
  }
  let v: Vector
  try {
    v = parseVector(text)
  } catch (e) {
    return { outcome: 'FAIL', detail: `parse error: ${String(e)}` }
  }
  return runVector(v)
}

/** Every `.data` file of `dir`, by file name. */
export function runDir(dir: string): [string, Outcome][] {
  const names = readdirSync(dir)
    .filter((n) => /^.+\.data$/.test(n) && statSync(join(dir, n)).isFile())
    .sort()
  return names.map((n) => [n, runFile(join(dir, n))])
}
