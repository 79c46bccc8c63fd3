import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { BpfObject, checkLoad, describeObject, needText, type ProgramInspection } from '../bpf'
import { call, fsError, UxdpError } from '../errors'
import type { Tier } from '../policy'
import { native } from '../native'
import { runDir } from './conformance'
import { decodeSkBuff, encodeSkBuff } from '../skbuff'

/** The program types `prog run` gives an skb (and a struct __sk_buff ctx). */
const SKB_PROGRAM_KINDS: readonly string[] = ['SchedCls', 'SchedAct', 'SocketFilter']

type Out = (line: string) => void

interface Parsed {
  positional: string[]
  flags: Map<string, string | true>
}

function parse(args: string[], valued: string[], boolean: string[]): Parsed {
  const positional: string[] = []
  const flags = new Map<string, string | true>()
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (valued.includes(a)) {
      if (i + 1 >= args.length) throw new UxdpError('EINVAL', `${a} needs a value`)
      flags.set(a, args[++i])
    } else if (boolean.includes(a)) flags.set(a, true)
    else if (a.startsWith('--')) throw new UxdpError('EINVAL', `unknown option ${a}`)
    else positional.push(a)
  }
  return { positional, flags }
}

function str(p: Parsed, flag: string): string | undefined {
  const v = p.flags.get(flag)
  return typeof v === 'string' ? v : undefined
}

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (e) {
    throw fsError(e, `cannot read ${what}`, path)
  }
}

function writeOutput(path: string, bytes: Uint8Array): void {
  try {
    writeFileSync(path, bytes)
  } catch (e) {
    throw fsError(e, 'cannot write', path)
  }
}

function objectArg(p: Parsed, usage: string): string {
  if (p.positional.length !== 1) throw new UxdpError('EINVAL', `usage: ${usage}`)
  return p.positional[0]
}

/**
 * `uxdp prog load OBJ [--prog NAME] [-d] [--no-verify] [--target-kernel X.Y] [--allow-tiers T,..]
 * [--btf uxdp-6.18|host|FILE] [--kconfig NAME=VALUE,..] [--caps root|bpf|unpriv] [--json]`: the load's checks, the verifier included.
 * `--caps` loads as a loader with fewer capabilities would: `bpf` is CAP_BPF without CAP_PERFMON
 * (no pointer leaks, Spectre v1 sanitation), `unpriv` no capability (socket filters only); `root`
 * (the default) both. `--btf`
 * names the BTF CO-RE relocations resolve against, `--kconfig` sets `.kconfig` values. `--target-kernel` asks "will this load on
 * kernel X.Y" (refusing what that release lacks), `--allow-tiers` limits the stability tiers of
 * the functions called; calls of deprecated functions print `Warning:` lines. A refusal prints the kernel's error line (`Error: failed to load object file: LINE
 * (CODE)`) and exits 1. `-d` prints the verifier's log first, as `bpftool -d prog load` does
 * (log level 1|2|4: the state after every instruction, the error line last before the stats), on
 * success too. `--no-verify` loads with the structural checks only.
 */
/** `--kconfig CONFIG_A=y,CONFIG_B=42`: the values as config lines write them. */
function kconfigArg(v: string | undefined): Record<string, string> | undefined {
  if (v === undefined) return undefined
  const entries = v.split(',').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=')
    if (i <= 0) throw new UxdpError('EINVAL', `--kconfig takes NAME=VALUE pairs separated by commas, got '${kv}'`)
    return [kv.slice(0, i), kv.slice(i + 1)]
  })
  return Object.fromEntries(entries)
}

/** `--caps root|bpf|unpriv`: the capability set the load is checked under. */
function capsArg(v: string | undefined): { bpf: boolean; perfmon: boolean } | undefined {
  switch (v) {
    case undefined:
    case 'root':
      return undefined
    case 'bpf':
      return { bpf: true, perfmon: false }
    case 'unpriv':
      return { bpf: false, perfmon: false }
    default:
      throw new UxdpError('EINVAL', `--caps takes root, bpf or unpriv, got '${v}'`)
  }
}

function load(args: string[], out: Out, err: Out): number {
  const usage = 'uxdp prog load OBJ [--prog NAME] [-d] [--no-verify] [--target-kernel X.Y] [--allow-tiers T,...] [--btf uxdp-6.18|host|FILE] [--kconfig NAME=VALUE,...] [--caps root|bpf|unpriv] [--json]'
  const p = parse(args, ['--prog', '--target-kernel', '--allow-tiers', '--btf', '--kconfig', '--caps'], ['--json', '-d', '--debug', '--no-verify'])
  const path = objectArg(p, usage)
  const debug = p.flags.has('-d') || p.flags.has('--debug')
  const report = checkLoad(readInput(path, 'object'), {
    prog: str(p, '--prog'),
    verify: p.flags.has('--no-verify') ? false : undefined,
    logLevel: debug ? 7 : undefined,
    targetKernel: str(p, '--target-kernel'),
    allowTiers: str(p, '--allow-tiers')?.split(',') as Tier[] | undefined,
    btf: str(p, '--btf'),
    kconfig: kconfigArg(str(p, '--kconfig')),
    caps: capsArg(str(p, '--caps')),
  })
  if (p.flags.has('--json')) {
    const warnings = report.warnings.length ? { warnings: report.warnings } : {}
    out(JSON.stringify({ accepted: report.accepted, message: report.message, log: report.log, insns_processed: report.insnsProcessed, ...warnings }))
    return report.accepted ? 0 : 1
  }
  for (const w of report.warnings) err(`Warning: ${w}`)
  const log = report.log.trimEnd()
  if (debug && log !== '') err(log)
  if (!report.accepted) {
    // Without -d, a structural refusal still shows its listing up to the instruction (the
    // verifier's own refusals print their one line, as the kernel's log ends with it).
    const verifierLog = /^processed \d+ insns \(limit /m.test(log)
    if (!debug && !verifierLog && log !== report.message.trim() && log.includes('\n')) err(log)
    const message = report.message.replace(/\s*\n\s*/g, ' ')
    const code = report.code ?? 'EINVAL'
    err(`Error: failed to load object file: ${message.endsWith(`(${code})`) ? message : `${message} (${code})`}`)
  }
  return report.accepted ? 0 : 1
}

/** `uxdp prog run OBJ [--prog NAME] --data-in FILE [--data-out FILE] [--repeat N] [--timeout SECONDS] [--no-verify] [--json]`.
 * The repeat loop runs in slices with the event loop in between, so that Ctrl-C (SIGINT) stops it:
 * one line, `... interrupted after N of M runs (EINTR)`, exit status 130. */
async function run(args: string[], out: Out, err: Out): Promise<number> {
  const usage = 'uxdp prog run OBJ [--prog NAME] --data-in FILE [--data-out FILE] [--ctx-in FILE] [--ctx-out FILE] [--repeat N] [--timeout SECONDS] [--no-verify] [--json]'
  const p = parse(args, ['--prog', '--data-in', '--data-out', '--ctx-in', '--ctx-out', '--repeat', '--timeout'], ['--json', '--no-verify'])
  const path = objectArg(p, usage)
  const dataIn = str(p, '--data-in')
  if (!dataIn) throw new UxdpError('EINVAL', 'prog run needs --data-in FILE')
  const repeatArg = str(p, '--repeat')
  const repeat = repeatArg === undefined ? 1 : /^\d+$/.test(repeatArg) ? Number(repeatArg) : NaN
  if (!Number.isInteger(repeat) || repeat < 0 || repeat > 0xffffffff) throw new UxdpError('EINVAL', `--repeat takes an unsigned 32-bit integer, got ${repeatArg}`)
  const timeoutArg = str(p, '--timeout')
  const timeout = timeoutArg === undefined ? undefined : /^\d+(\.\d+)?$/.test(timeoutArg) ? Number(timeoutArg) : NaN
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) throw new UxdpError('EINVAL', `--timeout takes a positive number of seconds, got ${timeoutArg}`)
  const json = p.flags.has('--json')
  // From here on Ctrl-C stops the run (at the next slice of the loop) instead of killing the process.
  const interrupt = new AbortController()
  const onSigint = () => interrupt.abort()
  process.on('SIGINT', onSigint)
  let r
  try {
    const data = readInput(dataIn, 'data')
    let program
    try {
      program = BpfObject.open(path, { prog: str(p, '--prog'), verify: p.flags.has('--no-verify') ? false : undefined }).program(str(p, '--prog'))
    } catch (e) {
      // A refused load: the kernel's line (the verifier's), as bpftool prog run reports a load failure.
      if (!(e instanceof UxdpError) || e.line === undefined) throw e
      if (json) out(JSON.stringify({ error: e.code, errno: e.errno, message: e.line }))
      else err(`Error: failed to load program: ${e.line.replace(/\s*\n\s*/g, ' ')} (${e.code})`)
      return 1
    }
    const ctxIn = str(p, '--ctx-in')
    const skb = SKB_PROGRAM_KINDS.includes(program.kind)
    if ((ctxIn || str(p, '--ctx-out')) && !skb) throw new UxdpError('EINVAL', '--ctx-in and --ctx-out take a struct __sk_buff: tc and socket-filter programs only')
    try {
      if (skb) {
        // A tc or socket-filter program: an skb test_run, ctx as raw struct __sk_buff bytes (bpftool's ctx_in).
        const raw = ctxIn ? readInput(ctxIn, 'ctx') : undefined
        if (raw && raw.length > 192 && raw.subarray(192).some((b) => b !== 0)) throw new UxdpError('E2BIG', 'ctx_in is larger than struct __sk_buff and the rest is not zero', { op: 'bpf_prog_test_run' })
        const ctx = raw ? decodeSkBuff(Buffer.concat([Buffer.from(raw.subarray(0, 192)), Buffer.alloc(Math.max(0, 192 - raw.length))])) : undefined
        const sr = program.testRunSkb({ data, repeat, ctx })
        const ctxOut = str(p, '--ctx-out')
        if (ctxOut && sr.ctxOut) writeOutput(ctxOut, encodeSkBuff(sr.ctxOut))
        r = sr
      } else r = await program.testRunAsync({ data, repeat, timeoutMs: timeout === undefined ? undefined : timeout * 1000, signal: interrupt.signal })
    } catch (e) {
      if (!(e instanceof UxdpError)) throw e
      if (json) out(JSON.stringify({ error: e.code, errno: e.errno, message: e.message }))
      else err(`Error: failed to run program: ${e.message.replace(/\s*\n\s*/g, ' ')}`)
      return e.code === 'EINTR' ? 130 : 1
    }
  } finally {
    process.off('SIGINT', onSigint)
  }
  const dataOut = str(p, '--data-out')
  if (dataOut) writeOutput(dataOut, r.dataOut)
  if (json) out(JSON.stringify({ retval: r.retval, duration_ns: r.durationNs, data_out_len: r.dataOut.length }))
  else out(`Return value: ${r.retval}, duration${repeat > 1 ? ' (average)' : ''}: ${r.durationNs}ns`)
  for (const line of r.trace) err(line)
  return 0
}

/** An XDP program's verdict and, when accepted, what it returns and needs (`inspect`). */
function xdpNeedsOf(bytes: Uint8Array, prog: string): { error: string } | ProgramInspection {
  let o: BpfObject | undefined
  try {
    o = BpfObject.open(bytes, { prog })
    return o.program(prog).inspect()
  } catch (e) {
    if (e instanceof UxdpError) return { error: `${e.line ?? e.message} (${e.code})` }
    throw e
  } finally {
    o?.close()
  }
}

/** `uxdp prog show OBJ`: programs, sections, maps, kfuncs used; for XDP programs, the actions
 * they may return and the device features they need, as the verifier sees them. */
function show(args: string[], out: Out): number {
  const p = parse(args, [], ['--json'])
  const path = objectArg(p, 'uxdp prog show OBJ [--json]')
  const bytes = readInput(path, 'object')
  const o = describeObject(bytes)
  const xdp = new Map(o.programs.filter((prog) => prog.kind === 'Xdp').map((prog) => [prog.name, xdpNeedsOf(bytes, prog.name)]))
  if (p.flags.has('--json')) {
    const programs = o.programs.map((prog) => (xdp.has(prog.name) ? { ...prog, xdp: xdp.get(prog.name) } : prog))
    out(JSON.stringify({ license: o.license, programs, maps: o.maps, kfuncs: o.externs.filter((e) => e.func) }))
    return 0
  }
  out(`license: ${o.license || '(none)'}`)
  out('programs:')
  for (const prog of o.programs) {
    const notes = [prog.frags ? 'frags' : '', prog.autoload ? '' : 'not autoloaded'].filter(Boolean).join(', ')
    out(`  ${prog.name}  section ${prog.section}  type ${prog.kind.toLowerCase()}  ${prog.insns} insns${notes ? `  (${notes})` : ''}`)
    for (const r of prog.coreRelos) {
      const verdict = !r.accepted ? `fails the load: ${r.reason}` : r.value === null ? `poisoned: ${r.reason}` : `= ${r.value}${r.target ? ` (${r.target})` : ''}`
      out(`    CO-RE relo #${r.index} (section '${r.section}') at insn #${r.insn}: ${r.spec}  ${verdict}`)
    }
    const x = xdp.get(prog.name)
    if (x && 'error' in x) out(`    not loadable: ${x.error}`)
    else if (x) {
      out(`    returns: ${x.actions.join(', ') || '(nothing: it never exits)'}`)
      out(`    needs: ${x.needs.length ? '' : '(nothing)'}`.trimEnd())
      for (const n of x.needs) out(`      ${needText(n)}`)
    }
  }
  out('maps:')
  if (o.maps.length === 0) out('  (none)')
  for (const m of o.maps) {
    out(`  ${m.name}  ${m.typeName}  key ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}${m.flags ? `  flags 0x${m.flags.toString(16)}` : ''}`)
  }
  out('kfuncs:')
  const kfuncs = o.externs.filter((e) => e.func)
  if (kfuncs.length === 0) out('  (none)')
  for (const k of kfuncs) out(`  ${k.name}${k.weak ? '  (weak)' : ''}`)
  return 0
}

/** `uxdp prog dump OBJ [--prog NAME] [--no-verify]`: the instructions, as `bpftool prog dump xlated` prints them. */
function dump(args: string[], out: Out): number {
  const p = parse(args, ['--prog'], ['--no-verify'])
  const path = objectArg(p, 'uxdp prog dump OBJ [--prog NAME] [--no-verify]')
  const o = BpfObject.open(path, { prog: str(p, '--prog'), verify: p.flags.has('--no-verify') ? false : undefined })
  const name = str(p, '--prog') ?? o.program().name
  out(call(() => native.bpfProgListing(o.handle, name)).trimEnd())
  return 0
}

export function prog(args: string[], out: Out, err: Out): number | Promise<number> {
  const [sub, ...rest] = args
  switch (sub) {
    case 'load':
      return load(rest, out, err)
    case 'run':
      return run(rest, out, err)
    case 'show':
      return show(rest, out)
    case 'dump':
      return dump(rest, out)
    default:
      throw new UxdpError('EINVAL', `usage: uxdp prog {load|run|show|dump} OBJ ...`)
  }
}

/** `uxdp conformance DIR`: bpf_conformance vectors through the assembler and the interpreter. */
export function conformance(args: string[], out: Out): number {
  const p = parse(args, [], [])
  if (p.positional.length !== 1) throw new UxdpError('EINVAL', 'usage: uxdp conformance DIR')
  const dir = p.positional[0]
  let isDir: boolean
  try {
    isDir = statSync(dir).isDirectory()
  } catch (e) {
    throw fsError(e, 'cannot read', dir)
  }
  if (!isDir) throw new UxdpError('ENOTDIR', `cannot read ${dir}: not a directory`)
  const results = call(() => runDir(dir))
  let passed = 0
  for (const [name, r] of results) {
    if (r.outcome === 'PASS') passed++
    out(r.outcome !== 'PASS' && r.detail ? `${r.outcome} ${name}: ${r.detail}` : `${r.outcome} ${name}`)
  }
  out(`Passed ${passed} out of ${results.length}`)
  return results.some(([, r]) => r.outcome === 'FAIL') ? 1 : 0
}

/** `uxdp asm FILE` (instruction bytes to stdout as hex) and `uxdp disasm FILE [--kernel]`. */
export function asm(args: string[], out: Out): number {
  const p = parse(args, ['--out'], [])
  if (p.positional.length !== 1) throw new UxdpError('EINVAL', 'usage: uxdp asm FILE [--out BIN]')
  const bytes = call(() => native.bpfAssemble(readInput(p.positional[0], 'source').toString('utf8')))
  const dest = str(p, '--out')
  if (dest) writeOutput(dest, bytes)
  else for (let i = 0; i < bytes.length; i += 8) out(bytes.subarray(i, i + 8).toString('hex').replace(/(..)(?!$)/g, '$1 '))
  return 0
}

export function disasm(args: string[], out: Out): number {
  const p = parse(args, [], ['--kernel'])
  if (p.positional.length !== 1) throw new UxdpError('EINVAL', 'usage: uxdp disasm BIN [--kernel]')
  out(call(() => native.bpfDisassemble(readInput(p.positional[0], 'instructions'), p.flags.has('--kernel'))).trimEnd())
  return 0
}
