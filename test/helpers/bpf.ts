import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { arch, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The engine's own test programs (test/bpf/*.bpf.c). */
export const BPF_SRC_DIR = resolve(__dirname, '..', 'bpf')

let scratch: string | undefined
const built = new Map<string, string>()

function includeArch(): string {
  return `/usr/include/${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`
}

/** Compiles test/bpf/<source> with clang (-D defines), cached per variant; throws clang's output. */
export function compileOwn(source: string, defines: Record<string, string | number> = {}): string {
  const defs = Object.entries(defines).map(([k, v]) => `-D${k}=${v}`)
  const key = createHash('sha1').update(source).update(defs.join('\0')).digest('hex').slice(0, 12)
  const hit = built.get(key)
  if (hit) return hit
  scratch ??= mkdtempSync(join(tmpdir(), 'uxdp-bpf-'))
  const out = join(scratch, `${source.replace(/\.bpf\.c$/, '')}-${key}.o`)
  const r = spawnSync('clang', ['-O2', '-g', '-target', 'bpf', '-Wall', `-I${includeArch()}`, ...defs, '-c', join(BPF_SRC_DIR, source), '-o', out], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`clang ${source} failed (clang is installed by .ci/run):\n${r.stderr || r.error}`)
  built.set(key, out)
  return out
}
