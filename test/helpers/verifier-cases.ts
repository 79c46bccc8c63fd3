/**
 * The verifier differential corpus's case table (test/kernel-verifier.spec.ts), read from the
 * sources: every test/kernel/verifier/<group>.bpf.c announces its programs, one per -DCASE=n, as
 *
 *   #if CASE == n  / * name accepted|refused [caps=bpf|caps=unpriv] xdp|tc|socket: what it shows * /
 *
 * (`#elif` likewise). `caps=` loads it with fewer capabilities than root's (the kernel's answer is
 * recorded under setpriv, uxdp is asked with the same `caps`): `bpf` is CAP_BPF without
 * CAP_PERFMON, `unpriv` no capability at all (socket filters). `accepted`/`refused` is what the case was written to show; the spec checks the
 * kernel agrees, so a case that does not test what it claims fails. Per-case build notes (other
 * clang flags) go in NOTES below.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { KERNEL_SRC_DIR, type CapSet } from './kernel'

export type ProgType = 'xdp' | 'tc' | 'socket' | 'cgroup_skb' | 'sk_lookup'

export interface VerifierCase {
  /** Unique over the corpus. */
  name: string
  /** The source's name without .bpf.c: stack, packet, ctx, ... */
  group: string
  type: ProgType
  /** test/kernel/ relative path. */
  source: string
  defines: Record<string, number>
  /** Extra clang flags (e.g. -mcpu=v3). */
  flags: string[]
  /** What the case was written to show. */
  intent: 'accepted' | 'refused'
  /** Loaded with fewer capabilities than root's (see above); root's when absent. */
  caps?: CapSet
  about: string
  /** A note on how it is built (clang version, -mcpu), if any. */
  note?: string
}

export const VERIFIER_DIR = join(KERNEL_SRC_DIR, 'verifier')

/** Per-case build flags and notes, by case name. */
const NOTES: Record<string, { flags?: string[]; note?: string }> = {}

/** Build flags and notes of whole groups (sources), by group name. */
const GROUPS: Record<string, { flags: string[]; note: string }> = {
  v4: { flags: ['--clang=clang-19', '-mcpu=v4'], note: 'clang-19 -mcpu=v4: sign-extending moves and loads, bswap, sdiv/smod, gotol' },
  fields: { flags: ['--clang=clang-19'], note: 'clang-19: BTF type tags (__kptr), which clang 14 does not emit' },
  graph: { flags: ['--clang=clang-19'], note: 'clang-19: BTF decl tags (__contains) and local type ids (bpf_obj_new)' },
  kptr: { flags: ['--clang=clang-19'], note: 'clang-19: BTF type tags (__kptr, __percpu_kptr) and local type ids (bpf_obj_new)' },
  kkptr: { flags: ['--clang=clang-19'], note: 'clang-19: BTF type tags (__kptr) on kernel structs' },
}

/**
 * Every case written in plain C (no naked asm function) is built a second time with -mcpu=v3 (ALU32
 * and JMP32 code: 32-bit subregisters, zero extension), as case `<name>_v3`, same intent: the same
 * program the way clang emits it for newer CPUs. Except these, whose verdict differs under v3 (with why).
 */
const V3_INTENT: Record<string, { intent: 'accepted' | 'refused'; why: string }> = {}

const MARK = /^#\s*(?:el)?if\s+CASE\s*==\s*(\d+)\s*\/\*\s*([a-z0-9_]+)\s+(accepted|refused)\s+(?:caps=(bpf|unpriv)\s+)?(xdp|tc|socket|cgroup_skb|sk_lookup)\s*:\s*(.*?)\s*\*\/\s*$/

export function verifierCases(): VerifierCase[] {
  const out: VerifierCase[] = []
  const files = readdirSync(VERIFIER_DIR)
    .filter((f) => f.endsWith('.bpf.c'))
    .sort()
  for (const f of files) {
    const group = f.replace(/\.bpf\.c$/, '')
    const lines = readFileSync(join(VERIFIER_DIR, f), 'utf8').split('\n')
    const g = GROUPS[group]
    const marks = lines.map((l, i) => [l, i] as const).filter(([l]) => /^#\s*(el)?if\s+CASE\b/.test(l))
    for (const [k, [l, at]] of marks.entries()) {
      const m = MARK.exec(l)
      if (!m) throw new Error(`${f}: a case line not in the form "#if CASE == n /* name accepted|refused [caps=bpf|unpriv] xdp|tc|socket: about */": ${l}`)
      const [, n, name, intent, caps, type, about] = m
      const extra = NOTES[name] ?? {}
      const c: VerifierCase = {
        name,
        group,
        type: type as ProgType,
        source: `verifier/${f}`,
        defines: { CASE: Number(n) },
        flags: [...(g?.flags ?? []), ...(extra.flags ?? [])],
        intent: intent as 'accepted' | 'refused',
        ...(caps ? { caps: caps as CapSet } : {}),
        about,
        note: [g?.note, extra.note].filter(Boolean).join('; ') || undefined,
      }
      out.push(c)
      const body = lines.slice(at + 1, marks[k + 1]?.[1] ?? lines.length).join('\n')
      if (!g && !/\bNAKED\(/.test(body)) {
        const v3 = V3_INTENT[`${name}_v3`]
        out.push({ ...c, name: `${name}_v3`, flags: [...c.flags, '-mcpu=v3'], intent: v3?.intent ?? c.intent, about: `${about} (-mcpu=v3${v3 ? `: ${v3.why}` : ''})`, note: ['-mcpu=v3', c.note].filter(Boolean).join('; ') })
      }
    }
  }
  const seen = new Set<string>()
  for (const c of out) {
    if (seen.has(c.name)) throw new Error(`two cases named ${c.name}`)
    seen.add(c.name)
  }
  return out
}
