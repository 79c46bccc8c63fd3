/**
 * A struct_ops-like program type declared in TypeScript, with the prologue and epilogue its ops
 * generate, which may call kfuncs (seed 001: "bpf: Add gen_epilogue and allow kfunc call in
 * pro/epilogue"). Upstream merged the epilogue and left kfunc calls out after the maintainer
 * objected (module functions would mean far calls on every exit); `prologueKfuncs` offers both
 * sides. The engine does the work (crate/src/bpf/struct_ops.rs): it verifies the program against
 * the declared context, fixes up the pro/epilogue's kfunc calls, patches them in as the kernel's
 * `convert_ctx_accesses` does, and verifies the result again.
 */
import { BpfObject, bytesOf, type KfuncImpl, type LoadOptions, type Program } from './bpf'
import { call, checkOptions, describe, UxdpError, type ErrnoName } from './errors'
import { native } from './native'
import { engineKfuncSpecs, KERNEL_KFUNC_PROG_TYPES, KfuncRegistry, type UserKfuncSpec } from './policy'

/** A module providing kfuncs (a registry standing for its BTF): BTF id N is its N-th kfunc. */
export class KfuncModule {
  readonly name: string
  /** Whether the module has BTF (a kfunc call needs it: "cannot find BTF from M ..."). */
  readonly hasBtf: boolean
  readonly registry = new KfuncRegistry()

  constructor(name: string, options: { btf?: boolean } = {}) {
    if (typeof name !== 'string' || name === '') throw new UxdpError('EINVAL', `a module has a name, got ${describe(name)}`)
    checkOptions<{ btf: boolean }>('KfuncModule', options, ['btf'])
    this.name = name
    this.hasBtf = options.btf ?? true
  }

  /** Registers a kfunc (as KfuncRegistry.register) and returns its BTF id in this module. */
  register(spec: UserKfuncSpec, impl: KfuncImpl): number {
    this.registry.register({ progTypes: 'any', ...spec }, impl)
    return this.registry.size
  }

  /** A kfunc's BTF id in this module (what a pro/epilogue's call puts in imm). */
  btfId(name: string): number {
    const i = this.registry.list().findIndex((k) => k.name === name)
    if (i < 0) throw new UxdpError('ENOENT', `module ${this.name} has no kfunc ${name}`)
    return i + 1
  }
}

/** vmlinux's BTF id of a kernel kfunc as uxdp numbers them (its place in the kernel kfunc
 * table, from 1): what a pro/epilogue's `call kfunc N` names without a module. */
export function vmlinuxKfuncId(name: string): number {
  const i = [...KERNEL_KFUNC_PROG_TYPES.keys()].indexOf(name)
  if (i < 0) throw new UxdpError('ENOENT', `no kernel kfunc ${name}`)
  return i + 1
}

/** A field of a declared context: what `r1` points to when a program runs. */
export interface CtxFieldSpec {
  name: string
  offset: number
  /** 1, 2, 4 or 8 bytes, naturally aligned. */
  size: number
  /** Loads allowed (whole field or an aligned power-of-two part). Default true. */
  read?: boolean
  /** Stores allowed (whole field). Default false. */
  write?: boolean
}

/** What a generator learns of the program it generates for (the kernel passes `prog`). */
export interface StructOpsProgInfo {
  name: string
  section: string
  insns: number
}

/** A generator's output: instructions (bytes, or uxdp assembler text such as `call kfunc 1`),
 * and the module whose BTF ids its kfunc calls use (none: vmlinux, as uxdp numbers its kfuncs). */
export type Generated = null | undefined | string | Uint8Array | { insns: string | Uint8Array; module?: KfuncModule }

export interface StructOpsSpec {
  /** The ops' name (the kernel's struct_ops type name), for messages. */
  name: string
  ctx: { size: number; fields: readonly CtxFieldSpec[] }
  /** Instructions run before the program (`gen_prologue`). */
  genPrologue?: (prog: StructOpsProgInfo) => Generated
  /** Instructions run at every exit of the main program, with the context pointer saved at
   * `ctxStackOff` from r10 (`gen_epilogue(insn_buf, prog, -(stack_depth + 8))`). */
  genEpilogue?: (prog: StructOpsProgInfo, ctxStackOff: number) => Generated
  /** Modules whose kfuncs the programs and their pro/epilogues call. */
  modules?: readonly KfuncModule[]
  /** Whether a pro/epilogue may call kfuncs: 'modules' (seed 001 as posted, default), 'builtin-only'
   * (kernel text only: the maintainer's requirement), 'none' (upstream Linux). */
  prologueKfuncs?: 'modules' | 'builtin-only' | 'none'
}

/** The result of running a struct_ops-like program. */
export interface StructOpsRunResult {
  retval: bigint
  /** The context afterwards. */
  ctx: Buffer
}

/** A loaded program of a declared struct_ops-like type. */
export class StructOpsProgram {
  constructor(
    readonly program: Program,
    readonly ops: StructOps,
  ) {}

  get name(): string {
    return this.program.name
  }

  /** Runs it on a context of the declared size (r1 points to it). */
  run(ctx: Uint8Array): StructOpsRunResult {
    if (!(ctx instanceof Uint8Array) || ctx.length !== this.ops.spec.ctx.size) {
      throw new UxdpError('EINVAL', `${this.ops.spec.name}: the context is ${this.ops.spec.ctx.size} bytes, got ${describe(ctx)}`)
    }
    this.program.object.check()
    const r = call(() => native.bpfStructOpsRun(this.program.object.handle, this.program.name, ctx))
    return { retval: BigInt.asUintN(64, r.retval), ctx: r.ctxOut }
  }

  close(): void {
    this.program.object.close()
  }
}

const MAX_EPILOGUE_INSNS = 16

function assembled(what: string, g: Generated, modules: readonly KfuncModule[]): { hex?: string; module?: number } {
  if (g === null || g === undefined) return {}
  const { insns, module } = typeof g === 'string' || g instanceof Uint8Array ? { insns: g, module: undefined } : g
  const bytes = typeof insns === 'string' ? call(() => native.bpfAssemble(insns)) : insns instanceof Uint8Array ? insns : undefined
  if (!bytes) throw new UxdpError('EINVAL', `${what} must return instructions (bytes or assembler text), got ${describe(insns)}`)
  // The kernel's buffers hold 16 instructions ("bpf verifier is misconfigured" past them).
  if (bytes.length / 8 >= MAX_EPILOGUE_INSNS) throw new UxdpError('EINVAL', `${what}: at most ${MAX_EPILOGUE_INSNS - 1} instructions, got ${bytes.length / 8}`)
  const out: { hex?: string; module?: number } = { hex: Buffer.from(bytes).toString('hex') }
  if (module !== undefined) {
    const i = modules.indexOf(module)
    if (i < 0) throw new UxdpError('EINVAL', `${what} names module ${module.name}, which the ops do not declare`)
    out.module = i
  }
  return out
}

/** A struct_ops-like program type declared in TypeScript. */
export class StructOps {
  readonly spec: StructOpsSpec

  constructor(spec: StructOpsSpec) {
    checkOptions<StructOpsSpec>('StructOps', spec, ['name', 'ctx', 'genPrologue', 'genEpilogue', 'modules', 'prologueKfuncs'])
    if (typeof spec.name !== 'string' || spec.name === '') throw new UxdpError('EINVAL', 'StructOps needs a name')
    if (typeof spec.ctx !== 'object' || spec.ctx === null || !Number.isInteger(spec.ctx.size) || spec.ctx.size <= 0 || !Array.isArray(spec.ctx.fields)) {
      throw new UxdpError('EINVAL', `${spec.name}: ctx must be { size, fields }`)
    }
    for (const m of spec.modules ?? []) if (!(m instanceof KfuncModule)) throw new UxdpError('EINVAL', `${spec.name}: modules must be KfuncModules`)
    if (spec.prologueKfuncs !== undefined && !['modules', 'builtin-only', 'none'].includes(spec.prologueKfuncs)) {
      throw new UxdpError('EINVAL', `${spec.name}: prologueKfuncs must be 'modules', 'builtin-only' or 'none', got ${describe(spec.prologueKfuncs)}`)
    }
    this.spec = spec
  }

  /**
   * Loads one program (`prog`, default the first) of an object as this type, with the programs its
   * prog arrays name (tail calls): each verified against the declared context, its prologue and
   * epilogue generated (for it: `genEpilogue` gets its own context slot), their kfunc calls fixed
   * up, patched in, and verified again. Refusals throw UxdpError (the verifier's words, or the
   * fix-up's: "pro/epilogue cannot use special kfunc", "cannot find BTF from M for kfunc used in
   * pro/epilogue", "too many different module BTFs" (E2BIG)).
   */
  load(source: string | Uint8Array, options: Pick<LoadOptions, 'prog' | 'logLevel' | 'registry'> = {}): StructOpsProgram {
    checkOptions<LoadOptions>('StructOps.load', options, ['prog', 'logLevel', 'registry'])
    const bytes = bytesOf(source)
    const programs = call(() => native.bpfObjectDescribe(bytes)).programs.filter((p) => p.kind === 'StructOps')
    const main = programs.find((p) => (options.prog === undefined ? p.autoload : p.name === options.prog))
    if (!main) throw new UxdpError('ENOENT', `no struct_ops program ${options.prog ?? '(autoload)'} in the object`)
    const modules = this.spec.modules ?? []
    const registry = new KfuncRegistry()
    if (options.registry) registry.adopt(options.registry)
    for (const m of modules) registry.adopt(m.registry)
    // Each program the load may take (the one asked for, and those its prog arrays name) gets its
    // own pro/epilogue. The epilogue's context slot lies below the stack the program uses, which
    // verifying it tells; a program the verifier refuses is left to the load to refuse, if loaded.
    const specs = programs.flatMap((p) => {
      const info: StructOpsProgInfo = { name: p.name, section: p.section, insns: p.insns }
      const depth = this.spec.genEpilogue ? this.#stackDepth(bytes, p.name, registry) : 0
      if (depth === undefined) {
        if (p.name === main.name) this.#stackDepth(bytes, p.name, registry, true)
        return []
      }
      const pro = assembled(`${p.name}: genPrologue`, this.spec.genPrologue?.(info), modules)
      const epi = this.spec.genEpilogue ? assembled(`${p.name}: genEpilogue`, this.spec.genEpilogue(info, -(depth + 8)), modules) : {}
      return [{ prog: p.name, prologue: pro.hex, prologueModule: pro.module, epilogue: epi.hex, epilogueModule: epi.module }]
    })
    const object = BpfObject.open(bytes, {
      prog: main.name,
      registry,
      logLevel: options.logLevel,
      structOps: {
        ...this.#layout(),
        programs: specs,
        modules: modules.map((m) => ({ name: m.name, hasBtf: m.hasBtf, kfuncs: m.registry.list().map((k) => k.name) })),
        kfuncPolicy: this.spec.prologueKfuncs,
      },
    })
    return new StructOpsProgram(object.program(main.name), this)
  }

  /** A program's verified stack depth, without the pro/epilogue; undefined when the verifier
   * refuses it (`orThrow`: throws its refusal). */
  #stackDepth(bytes: Uint8Array, prog: string, registry: KfuncRegistry, orThrow = false): number | undefined {
    const r = call(() => native.bpfVerify(bytes, { prog, kfuncSpecs: engineKfuncSpecs(registry), structOps: { ...this.#layout(), programs: [], modules: [] } }))
    if (r.accepted) return r.stats.stackDepth[0] ?? 0
    if (!orThrow) return undefined
    throw new UxdpError(r.code as ErrnoName, `prog '${prog}': ${r.message}`, { op: 'bpf_prog_load', program: prog, pc: r.pc ?? undefined, line: r.message })
  }

  #layout(): { ctxSize: number; fields: { name: string; offset: number; size: number; read: boolean; write: boolean }[] } {
    return {
      ctxSize: this.spec.ctx.size,
      fields: this.spec.ctx.fields.map((f) => ({ name: f.name, offset: f.offset, size: f.size, read: f.read ?? true, write: f.write ?? false })),
    }
  }
}
