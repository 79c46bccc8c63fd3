/**
 * A struct_ops-like program type declared in TypeScript, with a prologue and an epilogue that call
 * kfuncs (issue 13, part 1; seed 001). Re-describes the series' selftest scenarios with programs of
 * our own (test/bpf/struct_ops.bpf.c): an epilogue changing the return value, an epilogue whose
 * kfunc calls add 10 and 100, pro/epilogues on programs with subprograms and tail calls; and the
 * fix-up's refusals.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KfuncModule, StructOps, UxdpError, vmlinuxKfuncId, type StructOpsSpec } from '../lib/index'
import { compileOwn } from './helpers/bpf'
import { thrown } from './helpers/util'

const object = () => compileOwn('struct_ops.bpf.c')
const ctx = (a: bigint, b = 0n) => {
  const c = Buffer.alloc(16)
  c.writeBigUInt64LE(a, 0)
  c.writeBigUInt64LE(b, 8)
  return c
}
const CTX: StructOpsSpec['ctx'] = { size: 16, fields: [{ name: 'a', offset: 0, size: 8, write: true }, { name: 'b', offset: 8, size: 8 }] }


/** a += 1000 before the program. */
const PROLOGUE = 'ldxdw %r6, [%r1+0]\nadd %r6, 1000\nstxdw [%r1+0], %r6'
/** After the program: a += 10000, and it returns a * 2. */
const epilogue = (off: number) => `ldxdw %r1, [%r10${off}]\nldxdw %r0, [%r1+0]\nadd %r0, 10000\nstxdw [%r1+0], %r0\nlsh %r0, 1\nexit`

function kfuncModule(name = 'st_mod', btf = true): KfuncModule {
  const m = new KfuncModule(name, { btf })
  m.register({ proto: 'u64 st_add10(u64 x)' }, (x) => x + 10n)
  m.register({ proto: 'u64 st_add100(u64 x)' }, (x) => x + 100n)
  return m
}
/** After the program: a = add100(add10(a)), and it returns a * 2. */
const kfuncEpilogue = (off: number, m: KfuncModule) => ({
  insns: `ldxdw %r1, [%r10${off}]\nldxdw %r1, [%r1+0]\ncall kfunc ${m.btfId('st_add10')}\nmov %r1, %r0\ncall kfunc ${m.btfId('st_add100')}\nldxdw %r1, [%r10${off}]\nstxdw [%r1+0], %r0\nlsh %r0, 1\nexit`,
  module: m,
})

describe('a declared context', () => {
  it('programs are verified against the fields it declares', () => {
    const ops = new StructOps({ name: 'st', ctx: CTX })
    const p = ops.load(object(), { prog: 'add_one' })
    expect(p.run(ctx(41n))).toEqual({ retval: 42n, ctx: ctx(42n) })
    const e = thrown(() => ops.load(object(), { prog: 'writes_b' }))
    expect(e.code).toBe('EACCES')
    expect(e.line).toBe('invalid bpf_context access off=8 size=8')
    expect(thrown(() => p.run(Buffer.alloc(8))).code).toBe('EINVAL')
    expect(thrown(() => new StructOps({ name: 'bad', ctx: { size: 8, fields: [{ name: 'x', offset: 4, size: 8 }] } }).load(object(), { prog: 'add_one' })).code).toBe('EINVAL')
  })
})

describe('prologue and epilogue', () => {
  it('the epilogue runs at the exit with the saved context and changes the return value', () => {
    const slots: Record<string, number> = {}
    const ops = new StructOps({
      name: 'st',
      ctx: CTX,
      genEpilogue: (p, off) => {
        slots[p.name] = off
        return epilogue(off)
      },
    })
    const r = ops.load(object(), { prog: 'add_one' }).run(ctx(1n))
    expect(slots.add_one).toBe(-8)
    expect(r.ctx.readBigUInt64LE(0)).toBe(10002n)
    expect(r.retval).toBe(20004n)
    // A program using 32 bytes of stack gets its context saved below them.
    expect(slots.big_stack).toBe(-40)
    expect(ops.load(object(), { prog: 'big_stack' }).run(ctx(1n)).ctx.readBigUInt64LE(0)).toBe(10001n)
  })

  it('the prologue runs first; both together', () => {
    const ops = new StructOps({ name: 'st', ctx: CTX, genPrologue: () => PROLOGUE, genEpilogue: (_p, off) => epilogue(off) })
    const r = ops.load(object(), { prog: 'add_one' }).run(ctx(1n))
    expect(r.ctx.readBigUInt64LE(0)).toBe(1n + 1000n + 1n + 10000n)
    expect(r.retval).toBe(2n * 11002n)
  })

  it('kfunc calls in the epilogue add 10 and 100 (a module BTF, fixed up)', () => {
    const m = kfuncModule()
    const ops = new StructOps({ name: 'st', ctx: CTX, modules: [m], genPrologue: () => PROLOGUE, genEpilogue: (_p, off) => kfuncEpilogue(off, m) })
    const r = ops.load(object(), { prog: 'add_one' }).run(ctx(1n))
    expect(r.ctx.readBigUInt64LE(0)).toBe(1n + 1000n + 1n + 110n)
    expect(r.retval).toBe(2n * 1112n)
  })

  it('a subprogram\'s exits are not the epilogue; a tail call runs the target\'s pro/epilogue, not the caller\'s epilogue', () => {
    const m = kfuncModule()
    const ops = new StructOps({ name: 'st', ctx: CTX, modules: [m], genPrologue: () => PROLOGUE, genEpilogue: (_p, off) => kfuncEpilogue(off, m) })
    const sub = ops.load(object(), { prog: 'with_subprog' }).run(ctx(1n))
    expect(sub.ctx.readBigUInt64LE(0)).toBe(1n + 1000n + 3n + 3n + 110n)
    expect(sub.retval).toBe(2n * 1117n)
    const tail = ops.load(object(), { prog: 'with_tail_call' }).run(ctx(1n))
    // caller: prologue, +1, tail call; target: prologue, +5, epilogue.
    expect(tail.ctx.readBigUInt64LE(0)).toBe(1n + 1000n + 1n + 1000n + 5n + 110n)
    expect(tail.retval).toBe(2n * 2117n)
  })

  it('the pro/epilogue is verified like the program', () => {
    const e = thrown(() => new StructOps({ name: 'st', ctx: CTX, genEpilogue: () => 'mov %r0, %r2\nexit' }).load(object(), { prog: 'add_one' }))
    expect([e.code, e.line]).toEqual(['EACCES', 'R2 !read_ok'])
    const ro = thrown(() => new StructOps({ name: 'st', ctx: CTX, genPrologue: () => 'stdw [%r1+8], 1' }).load(object(), { prog: 'add_one' }))
    expect(ro.line).toBe('invalid bpf_context access off=8 size=8')
    const long = Array.from({ length: 16 }, () => 'mov %r6, 0').join('\n')
    expect(thrown(() => new StructOps({ name: 'st', ctx: CTX, genPrologue: () => long }).load(object(), { prog: 'add_one' })).message).toMatch(/at most 15 instructions/)
  })
})

describe('kfunc calls from a pro/epilogue: the fix-up and the policy', () => {
  const withKfuncs = (extra: Partial<StructOpsSpec>, m = kfuncModule()) =>
    new StructOps({ name: 'st', ctx: CTX, modules: [m], genEpilogue: (_p, off) => kfuncEpilogue(off, m), ...extra })

  it("prologueKfuncs 'none' is upstream Linux; 'builtin-only' the maintainer's requirement", () => {
    expect(thrown(() => withKfuncs({ prologueKfuncs: 'none' }).load(object(), { prog: 'add_one' })).line).toBe(
      "pro/epilogue cannot call kfuncs (prologueKfuncs: 'none', as upstream Linux)",
    )
    expect(thrown(() => withKfuncs({ prologueKfuncs: 'builtin-only' }).load(object(), { prog: 'add_one' })).line).toBe(
      "pro/epilogue kfunc calls must be kernel text, not module st_mod (prologueKfuncs: 'builtin-only')",
    )
    expect(withKfuncs({ prologueKfuncs: 'modules' }).load(object(), { prog: 'add_one' }).run(ctx(0n)).retval).toBe(2n * 111n)
  })

  it("a module without BTF, the kernel's special kfuncs: refused in the series' words", () => {
    const e = thrown(() => withKfuncs({}, kfuncModule('nobtf', false)).load(object(), { prog: 'add_one' }))
    expect([e.code, e.line]).toEqual(['EINVAL', 'cannot find BTF from nobtf for kfunc used in pro/epilogue'])
    // vmlinux kfunc ids as uxdp numbers them: bpf_rcu_read_lock is special.
    const special = new StructOps({ name: 'st', ctx: CTX, genPrologue: () => `call kfunc ${vmlinuxKfuncId('bpf_rcu_read_lock')}` })
    expect(thrown(() => special.load(object(), { prog: 'add_one' })).line).toBe('pro/epilogue cannot use special kfunc')
  })

  it('too many different module BTFs: E2BIG past 256', () => {
    // A program calling one kfunc from each of 256 modules fills the table; the epilogue's module is the 257th.
    const dir = mkdtempSync(join(tmpdir(), 'uxdp-st-'))
    const n = 256
    const decls = Array.from({ length: n }, (_, i) => `extern __u64 k${i}(__u64 x) __ksym;`).join('\n')
    const calls = Array.from({ length: n }, (_, i) => `\tx = k${i}(x);`).join('\n')
    const src = `#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nstruct st_args { __u64 a; __u64 b; };\n${decls}\nSEC("struct_ops/many")\n__u64 many(struct st_args *args)\n{\n\t__u64 x = args->a;\n${calls}\n\treturn x;\n}\nchar LICENSE[] SEC("license") = "GPL";\n`
    writeFileSync(join(dir, 'many.bpf.c'), src)
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(dir, 'many.bpf.c'), '-o', join(dir, 'many.o')])
    const modules = Array.from({ length: n }, (_, i) => {
      const m = new KfuncModule(`m${i}`)
      m.register({ proto: `u64 k${i}(u64 x)` }, (x) => x + 1n)
      return m
    })
    const last = kfuncModule('m256')
    const ops = new StructOps({ name: 'st', ctx: CTX, modules: [...modules, last], genEpilogue: (_p, off) => kfuncEpilogue(off, last) })
    const e = thrown(() => ops.load(join(dir, 'many.o')))
    expect([e.code, e.line]).toEqual(['E2BIG', 'too many different module BTFs'])
    // Without the epilogue's module the program loads and calls all 256.
    const fits = new StructOps({ name: 'st', ctx: CTX, modules, genEpilogue: (_p, off) => epilogue(off) })
    expect(fits.load(join(dir, 'many.o')).run(ctx(0n)).retval).toBe(2n * 10000n)
    expect(new StructOps({ name: 'st', ctx: CTX, modules }).load(join(dir, 'many.o')).run(ctx(0n)).retval).toBe(256n)
  })
})

