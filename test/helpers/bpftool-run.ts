/**
 * BPF_PROG_TEST_RUN through bpftool on an object loaded whole (`bpftool prog loadall`, programs
 * and maps pinned under one directory of bpffs): data in and out, an optional `__sk_buff` in and
 * out, and the object's `out` map (key 0) read back after the run. Shared by the runtime specs
 * that compare a program's every answer with the kernel's (kernel-skrun, kernel-tchelp).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { type BpfObject, encodeSkBuff, type SkbTestRunOptions, UxdpError } from '../../lib/index'
import type { BpfBuild } from './kernel'

/** One run's answer: the return value, data_out and ctx_out (hex), the `out` map's value. */
export interface RunAnswer {
  ok: boolean
  /** The errno name of a failed run. */
  code?: string
  retval?: number
  out?: string
  ctxOut?: string
  map?: string
}

/** bpftool's error texts, by the errno names the specs compare. */
const ERRNO_TEXT: Record<string, string> = {
  'Invalid argument': 'EINVAL',
  'No such device': 'ENODEV',
  'Argument list too long': 'E2BIG',
  'Operation not supported': 'EOPNOTSUPP',
  'Unknown error 524': 'ENOTSUPP',
  'Bad address': 'EFAULT',
}

/** An object loaded whole into the live kernel, its programs run by name. */
export class PinnedObject {
  readonly dir: string

  constructor(b: BpfBuild, prefix: string) {
    this.dir = mkdtempSync(join('/sys/fs/bpf', prefix))
    const r = spawnSync('bpftool', ['prog', 'loadall', b.path, join(this.dir, 'progs'), 'pinmaps', join(this.dir, 'maps')], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`bpftool prog loadall ${b.what} failed: ${r.stderr.split('\n').slice(-4).join(' ')}`)
  }

  /** A pinned map's path. */
  map(name: string): string {
    return join(this.dir, 'maps', name)
  }

  /**
   * Runs `prog` once on `data` (and `ctx`, an encoded `__sk_buff`), `repeat` times if more than
   * one; `inside` wraps the bpftool command (e.g. to run it in another network namespace).
   */
  run(prog: string, data: Buffer, ctx: Buffer | undefined, opts: { repeat?: number; inside?: string[] } = {}): RunAnswer {
    const tmp = mkdtempSync(join(tmpdir(), 'uxdp-prog-run-'))
    try {
      const fin = join(tmp, 'in.bin')
      const fout = join(tmp, 'out.bin')
      writeFileSync(fin, data)
      writeFileSync(fout, Buffer.alloc(0))
      const args = ['prog', 'run', 'pinned', join(this.dir, 'progs', prog), 'data_in', fin, 'data_out', fout, 'data_size_out', '65536']
      if (ctx) {
        writeFileSync(join(tmp, 'ctx.bin'), ctx)
        writeFileSync(join(tmp, 'ctxout.bin'), Buffer.alloc(0))
        args.push('ctx_in', join(tmp, 'ctx.bin'), 'ctx_out', join(tmp, 'ctxout.bin'), 'ctx_size_out', String(ctx.length))
      }
      if ((opts.repeat ?? 1) > 1) args.push('repeat', String(opts.repeat))
      const cmd = [...(opts.inside ?? []), 'bpftool', ...args]
      const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' })
      const m = /Return value: (\d+)/.exec(r.stdout)
      if (!m) {
        const e = /failed to run program: (.*)/.exec(r.stderr)
        if (!e) throw new Error(`unexpected bpftool output: ${r.stdout} ${r.stderr}`)
        return { ok: false, code: ERRNO_TEXT[e[1].trim()] ?? e[1].trim() }
      }
      const look = spawnSync('bpftool', ['map', 'lookup', 'pinned', this.map('out'), 'key', '0', '0', '0', '0', '-j'], { encoding: 'utf8' })
      const map = Buffer.from((JSON.parse(look.stdout) as { value: string[] }).value.map((x) => Number.parseInt(x, 16))).toString('hex')
      return {
        ok: true,
        retval: Number(m[1]),
        out: readFileSync(fout).toString('hex'),
        ctxOut: ctx ? readFileSync(join(tmp, 'ctxout.bin')).toString('hex') : undefined,
        map,
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** uxdp's answer for the same run: `prog` of `obj` under test_run, its `out` map read back. */
export function uxdpRun(obj: BpfObject, prog: string, opts: SkbTestRunOptions): RunAnswer {
  try {
    const r = obj.program(prog).testRunSkb(opts)
    return {
      ok: true,
      retval: r.retval,
      out: Buffer.from(r.dataOut).toString('hex'),
      ctxOut: r.ctxOut ? encodeSkBuff(r.ctxOut).toString('hex') : undefined,
      map: obj.map('out').lookup(Buffer.alloc(4))!.toString('hex'),
    }
  } catch (e) {
    if (e instanceof UxdpError) return { ok: false, code: e.code }
    throw e
  }
}

/** The `out` map's value as 64-bit slots. */
export function outSlots(hex: string | undefined): bigint[] {
  const b = Buffer.from(hex ?? '', 'hex')
  return Array.from({ length: b.length / 8 }, (_, i) => b.readBigUInt64LE(i * 8))
}

/** uxdp's run against the kernel's, in full; the kernel's `out` slots, for a spec's own checks. */
export function expectSameRun(u: RunAnswer, k: RunAnswer): bigint[] {
  expect(u.ok ? 'ran' : u.code, 'outcome').toBe(k.ok ? 'ran' : k.code)
  if (!k.ok) return []
  expect(outSlots(u.map).map((v) => v.toString(16)), 'map out').toEqual(outSlots(k.map).map((v) => v.toString(16)))
  expect(u.retval, 'retval').toBe(k.retval)
  expect(u.out, 'data_out').toBe(k.out)
  expect(u.ctxOut, 'ctx_out').toBe(k.ctxOut)
  return outSlots(k.map)
}
