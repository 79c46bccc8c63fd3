/**
 * The verifier differential corpus's case table (test/kernel-verifier.spec.ts), read from the
 * sources: every test/kernel/verifier/<group>.bpf.c announces its programs, one per -DCASE=n, as
 *
 *   #if CASE == n  / * name accepted|refused xdp|tc|socket: what it shows * /
 *
 * (`#elif` likewise). `accepted`/`refused` is what the case was written to show; the spec checks the
 * kernel agrees, so a case that does not test what it claims fails. Per-case build notes (other
 * clang flags) go in NOTES below.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { KERNEL_SRC_DIR } from './kernel'

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
  about: string
  /** A note on how it is built (clang version, -mcpu), if any. */
  note?: string
}

export const VERIFIER_DIR = join(KERNEL_SRC_DIR, 'verifier')

/** Per-case build flags and notes, by case name. */
const NOTES: Record<string, { flags?: string[]; note?: string }> = {}

const MARK = /^#\s*(?:el)?if\s+CASE\s*==\s*(\d+)\s*\/\*\s*([a-z0-9_]+)\s+(accepted|refused)\s+(xdp|tc|socket|cgroup_skb|sk_lookup)\s*:\s*(.*?)\s*\*\/\s*$/

export function verifierCases(): VerifierCase[] {
  const out: VerifierCase[] = []
  const files = readdirSync(VERIFIER_DIR)
    .filter((f) => f.endsWith('.bpf.c'))
    .sort()
  for (const f of files) {
    const group = f.replace(/\.bpf\.c$/, '')
    const lines = readFileSync(join(VERIFIER_DIR, f), 'utf8').split('\n')
    for (const l of lines) {
      if (!/^#\s*(el)?if\s+CASE\b/.test(l)) continue
      const m = MARK.exec(l)
      if (!m) throw new Error(`${f}: a case line not in the form "#if CASE == n /* name accepted|refused xdp|tc|socket: about */": ${l}`)
      const [, n, name, intent, type, about] = m
      const extra = NOTES[name] ?? {}
      out.push({ name, group, type: type as ProgType, source: `verifier/${f}`, defines: { CASE: Number(n) }, flags: extra.flags ?? [], intent: intent as 'accepted' | 'refused', about, note: extra.note })
    }
  }
  const seen = new Set<string>()
  for (const c of out) {
    if (seen.has(c.name)) throw new Error(`two cases named ${c.name}`)
    seen.add(c.name)
  }
  return out
}
