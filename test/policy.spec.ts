import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { release } from 'node:os'
import { describe, expect, it, type TestContext } from 'vitest'
import { dynptrFunctions } from '../lib/dynptr'
import { UxdpError } from '../lib/errors'
import {
  BPF_ARG_TYPE,
  BPF_RETURN_TYPE,
  BPF_TYPE_FLAG,
  checkCalls,
  ESTABLISHED_PROG_TYPES,
  GPL_COMPATIBLE_LICENSES,
  HELPER_INFO,
  HELPER_NAMES,
  helperId,
  helperInfo,
  helperProtoFor,
  HELPERS,
  helpersFor,
  helperSpec,
  KERNEL_KFUNC_NAMES,
  kernelKfuncNamesFor,
  KF_FLAGS,
  kfFlagMask,
  kfFlagNames,
  KfuncRegistry,
  KFUNCS,
  kfuncsFor,
  kfuncTable,
  LAST_HELPER_ID,
  loadOptionsFor,
  licenseIsGplCompatible,
  PROG_TYPE_IDS,
  PROG_TYPE_NAMES,
  PROTO_PROG_TYPES,
  protoTypeValue,
  SEED_KFUNCS,
  withNativeKfuncs,
  type CheckResult,
  type KfuncSpec,
} from '../lib/policy'

const kfunc = (name: string): KfuncSpec => {
  const k = KFUNCS.find((f) => f.name === name) ?? SEED_KFUNCS.find((f) => f.name === name)
  if (!k) throw new Error(`no kfunc ${name}`)
  return k
}

const refusal = (r: CheckResult) => (r.ok ? undefined : { message: r.message, pc: r.pc, errno: r.errno })

function skipLoudly(ctx: TestContext, reason: string): void {
  console.warn(`SKIPPED (${ctx.task.name}): ${reason}`)
  ctx.skip(reason)
}

function run(cmd: string, args: string[]): { out: string } | { reason: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 })
  if (r.error) return { reason: `${cmd}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` }
  if (r.status !== 0) return { reason: `${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr.trim().split('\n').pop()}` }
  return { out: r.stdout }
}

describe('helper ids and names', () => {
  it('names every uapi helper by id, up to the last one before the helper freeze', () => {
    expect(HELPER_NAMES).toHaveLength(212)
    expect(LAST_HELPER_ID).toBe(211)
    const byId: [number, string][] = [
      [0, 'bpf_unspec'],
      [1, 'bpf_map_lookup_elem'],
      [2, 'bpf_map_update_elem'],
      [12, 'bpf_tail_call'],
      [23, 'bpf_redirect'],
      [25, 'bpf_perf_event_output'],
      [44, 'bpf_xdp_adjust_head'],
      [51, 'bpf_redirect_map'],
      [54, 'bpf_xdp_adjust_meta'],
      [65, 'bpf_xdp_adjust_tail'],
      [69, 'bpf_fib_lookup'],
      [121, 'bpf_xdp_output'],
      [130, 'bpf_ringbuf_output'],
      [131, 'bpf_ringbuf_reserve'],
      [163, 'bpf_check_mtu'],
      [181, 'bpf_loop'],
      [188, 'bpf_xdp_get_buff_len'],
      [189, 'bpf_xdp_load_bytes'],
      [190, 'bpf_xdp_store_bytes'],
      [194, 'bpf_kptr_xchg'],
      [197, 'bpf_dynptr_from_mem'],
      [198, 'bpf_ringbuf_reserve_dynptr'],
      [199, 'bpf_ringbuf_submit_dynptr'],
      [200, 'bpf_ringbuf_discard_dynptr'],
      [201, 'bpf_dynptr_read'],
      [202, 'bpf_dynptr_write'],
      [203, 'bpf_dynptr_data'],
      [209, 'bpf_user_ringbuf_drain'],
      [211, 'bpf_cgrp_storage_delete'],
    ]
    for (const [id, name] of byId) expect(HELPER_NAMES[id], `helper ${id}`).toBe(name)
    expect(new Set(HELPER_NAMES).size).toBe(HELPER_NAMES.length)
    expect(HELPER_NAMES.every((n) => /^bpf_[a-z0-9_]+$/.test(n))).toBe(true)
    expect(helperId('xdp_adjust_head')).toBe(44)
    expect(helperId('bpf_loop')).toBe(181)
    expect(helperId('bpf_unspec')).toBeUndefined()
    expect(helperId('bpf_dynptr_advance')).toBeUndefined()
    expect(HELPER_INFO.map((h) => h.id)).toEqual(Array.from({ length: 211 }, (_, i) => i + 1))
  })

  it("agrees with bpftool's list of helper names", (ctx) => {
    const r = run('bpftool', ['feature', 'list_builtins', 'helpers'])
    if ('reason' in r) return skipLoudly(ctx, r.reason)
    const names = r.out.trim().split('\n')
    // bpftool knows the helpers of the libbpf it was built with: a prefix of the kernel's list.
    expect(names.length).toBeGreaterThan(150)
    expect(names).toEqual(HELPER_NAMES.slice(0, names.length))
  })

  it("agrees with bpftool's list of program types", (ctx) => {
    const r = run('bpftool', ['feature', 'list_builtins', 'prog_types'])
    if ('reason' in r) return skipLoudly(ctx, r.reason)
    const names = r.out.trim().split('\n')
    expect(names[0]).toBe('unspec')
    expect(names.slice(1)).toEqual(PROG_TYPE_NAMES.slice(0, names.length - 1))
    names.slice(1).forEach((n, i) => expect(PROG_TYPE_IDS[n as keyof typeof PROG_TYPE_IDS]).toBe(i + 1))
  })
})

describe('XDP helper prototypes', () => {
  it('has a full prototype for every helper XDP can call, and only for those', () => {
    expect(HELPERS).toHaveLength(104)
    expect(HELPERS.every((h) => h.progTypes.includes('xdp'))).toBe(true)
    expect(helpersFor('xdp').map((h) => h.id)).toEqual(HELPERS.map((h) => h.id))
    expect(HELPERS.every((h) => h.args.length <= 5 && h.name === HELPER_NAMES[h.id])).toBe(true)
    for (const h of HELPERS) for (const t of [h.ret, ...h.args]) expect(() => protoTypeValue(t)).not.toThrow()
  })

  it('describes the map, ring-buffer and tail-call helpers', () => {
    expect(helperSpec(1)).toMatchObject({ ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY'], gplOnly: false })
    expect(helperSpec(1)!.cap).toBeUndefined()
    expect(helperSpec(2)!.args).toEqual(['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_ANYTHING'])
    expect(helperSpec(88)!.args[1]).toBe('ARG_PTR_TO_MAP_VALUE|MEM_UNINIT|MEM_WRITE')
    expect(helperSpec(12)).toMatchObject({ ret: 'RET_VOID', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'] })
    expect(helperSpec(130)).toMatchObject({ ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MEM|MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'] })
    expect(helperSpec(131)).toMatchObject({ ret: 'RET_PTR_TO_RINGBUF_MEM_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_CONST_ALLOC_SIZE_OR_ZERO', 'ARG_ANYTHING'] })
    expect(helperSpec(132)!.args).toEqual(['ARG_PTR_TO_RINGBUF_MEM|OBJ_RELEASE', 'ARG_ANYTHING'])
    expect(helperSpec(181)).toMatchObject({ args: ['ARG_ANYTHING', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', 'ARG_ANYTHING'], cap: 'CAP_BPF' })
    expect(helperSpec(194)).toMatchObject({ ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_KPTR_XCHG_DEST', 'ARG_PTR_TO_BTF_ID_OR_NULL|OBJ_RELEASE'] })
  })

  it("describes xdp_func_proto's own helpers, with XDP's variants", () => {
    expect(helperSpec(44)).toMatchObject({ ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], gplOnly: false, progTypes: ['xdp'] })
    expect(helperSpec(54)!.progTypes).toEqual(['xdp'])
    expect(helperSpec(65)!.args).toEqual(['ARG_PTR_TO_CTX', 'ARG_ANYTHING'])
    expect(helperSpec(51)).toMatchObject({ args: ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_ANYTHING'], progTypes: ['xdp'] })
    expect(helperSpec(23)!.args).toEqual(['ARG_ANYTHING', 'ARG_ANYTHING'])
    // bpf_xdp_event_output_proto: the context first, GPL-only; 121 (bpf_xdp_output) is tracing's.
    expect(helperSpec(25)).toMatchObject({ args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM|MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true })
    expect(helperInfo(121)!.progTypes).toEqual(['tracing', 'syscall'])
    expect(helperSpec(121)).toBeUndefined()
    expect(helperSpec(69)).toMatchObject({ args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM|MEM_WRITE', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], gplOnly: true })
    expect(helperSpec(163)).toMatchObject({ args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_FIXED_SIZE_MEM|MEM_WRITE|MEM_ALIGNED', 'ARG_ANYTHING', 'ARG_ANYTHING'], gplOnly: true })
    expect(helperSpec(28)!.args).toEqual(['ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_PTR_TO_MEM|PTR_MAYBE_NULL|MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'])
    expect(helperSpec(188)).toMatchObject({ ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'] })
    expect(helperSpec(189)!.args).toEqual(['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'])
    expect(helperSpec(190)!.args).toEqual(['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM|MEM_RDONLY', 'ARG_CONST_SIZE'])
    for (const id of [84, 85]) expect(helperSpec(id)).toMatchObject({ ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM|MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'] })
    expect(helperSpec(99)!.ret).toBe('RET_PTR_TO_SOCK_COMMON_OR_NULL')
    expect(helperSpec(86)!.args).toEqual(['ARG_PTR_TO_BTF_ID_SOCK_COMMON|OBJ_RELEASE'])
    for (const id of [100, 110, 204, 205, 206, 207]) expect(helperSpec(id)!.gplOnly, `helper ${id}`).toBe(true)
    expect(helperSpec(206)!.args).toEqual(['ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY', 'ARG_PTR_TO_FIXED_SIZE_MEM|MEM_RDONLY'])
  })

  it('gives socket filter and tc their own prototypes', () => {
    expect(PROTO_PROG_TYPES).toEqual(['socket_filter', 'sched_cls', 'sched_act', 'xdp'])
    expect(helperProtoFor(17, 'sched_cls')!.args).toEqual(['ARG_PTR_TO_CTX'])
    expect(helperProtoFor(17, 'xdp')!.args).toEqual([])
    expect(helperProtoFor(26, 'socket_filter')!.args).toEqual(['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'])
    expect(helperProtoFor(26, 'xdp')).toBeUndefined()
    expect(helperProtoFor(163, 'sched_act')!.fixedSize).toEqual({ 2: 4 })
    expect(helperProtoFor(207, 'xdp')!.fixedSize).toEqual({ 0: 40, 1: 20 })
    expect(helperProtoFor(1, 'cgroup_skb')).toBeUndefined()
    for (const h of HELPERS) expect(helperProtoFor(h.id, 'xdp'), h.name).toMatchObject({ ret: h.ret, args: h.args })
  })

  it('describes the dynptr helpers 197–203 as the dynptr engine numbers them', () => {
    expect(helperSpec(197)!.args).toEqual(['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_LOCAL|MEM_UNINIT|MEM_WRITE'])
    expect(helperSpec(198)!.args[3]).toBe('ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|MEM_UNINIT|MEM_WRITE')
    expect(helperSpec(199)).toMatchObject({ ret: 'RET_VOID', args: ['ARG_PTR_TO_DYNPTR|DYNPTR_TYPE_RINGBUF|OBJ_RELEASE', 'ARG_ANYTHING'] })
    expect(helperSpec(201)!.args).toEqual(['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_PTR_TO_DYNPTR|MEM_RDONLY', 'ARG_ANYTHING', 'ARG_ANYTHING'])
    expect(helperSpec(202)!.args).toEqual(['ARG_PTR_TO_DYNPTR|MEM_RDONLY', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM|MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'])
    expect(helperSpec(203)).toMatchObject({ ret: 'RET_PTR_TO_DYNPTR_MEM_OR_NULL', args: ['ARG_PTR_TO_DYNPTR|MEM_RDONLY', 'ARG_ANYTHING', 'ARG_CONST_ALLOC_SIZE_OR_ZERO'] })
    const engine = dynptrFunctions().filter((f) => f.helperId !== undefined)
    for (const f of engine) {
      const h = helperSpec(f.helperId!)!
      expect(h.name).toBe(f.name)
      expect(h.args).toHaveLength(f.args.length)
      expect(h).toMatchObject({ gplOnly: false, cap: 'CAP_BPF' })
      expect(h.ret === 'RET_VOID').toBe(f.ret === 'Void')
    }
  })

  it('marks the capability tiers of bpf_base_func_proto', () => {
    const perfmon = HELPERS.filter((h) => h.cap === 'CAP_PERFMON').map((h) => h.id)
    const bpf = HELPERS.filter((h) => h.cap === 'CAP_BPF').map((h) => h.id)
    expect(perfmon).toHaveLength(28)
    expect(bpf).toHaveLength(28)
    expect(perfmon).toEqual(expect.arrayContaining([6, 16, 113, 137, 148, 165, 177]))
    expect(bpf).toEqual(expect.arrayContaining([93, 164, 169, 181, 194, 197, 203, 209]))
    for (const unprivileged of [1, 2, 3, 5, 7, 8, 12, 14, 105, 130, 131, 160, 182, 208]) expect(helperSpec(unprivileged)!.cap).toBeUndefined()
    const noPerfmon = helpersFor('xdp', { caps: { perfmon: false } }).map((h) => h.id)
    expect(noPerfmon).toHaveLength(104 - 28)
    expect(noPerfmon).not.toContain(6)
    expect(helpersFor('xdp', { caps: { bpf: false } }).map((h) => h.id)).not.toContain(181)
    expect(helperSpec(148)).toMatchObject({ mightSleep: true, gplOnly: false })
    expect(helperSpec(191)).toMatchObject({ mightSleep: true, gplOnly: true })
  })

  it("encodes prototype types with 6.18's enum values", () => {
    expect(protoTypeValue('ARG_PTR_TO_UNINIT_MEM')).toBe(67141636)
    expect(protoTypeValue('ARG_PTR_TO_FIXED_SIZE_MEM')).toBe(262148)
    expect(protoTypeValue('ARG_PTR_TO_MAP_VALUE_OR_NULL')).toBe(259)
    expect(protoTypeValue('ARG_PTR_TO_STACK_OR_NULL')).toBe(275)
    expect(protoTypeValue('ARG_PTR_TO_MEM|MEM_RDONLY')).toBe(4 | 512)
    expect(protoTypeValue('RET_PTR_TO_RINGBUF_MEM_OR_NULL')).toBe(1286)
    expect(protoTypeValue('RET_PTR_TO_DYNPTR_MEM_OR_NULL')).toBe(262)
    expect(protoTypeValue('RET_PTR_TO_BTF_ID_TRUSTED')).toBe(1048584)
    expect(protoTypeValue('RET_PTR_TO_SOCKET_OR_NULL')).toBe(259)
  })
})

describe('helpers of other program types', () => {
  it('knows which program types may call each helper', () => {
    expect(helperInfo(9)!.progTypes).toEqual(['sched_cls', 'sched_act', 'lwt_xmit', 'sk_skb'])
    expect(helperInfo(26)!.progTypes).toContain('socket_filter')
    expect(helperInfo(26)!.progTypes).not.toContain('xdp')
    expect(helperInfo(4)).toMatchObject({ gplOnly: true })
    expect(helperInfo(4)!.progTypes).toEqual(['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'raw_tracepoint_writable', 'tracing', 'syscall'])
    expect(helperInfo(27)).toMatchObject({ gplOnly: true, gplOnlyExcept: ['perf_event'] })
    expect(helperInfo(166)!.progTypes).toEqual(['syscall'])
    // Not established on any probed program type (LSM, fentry, iterators, struct_ops, lirc).
    expect(helperInfo(36)!.progTypes).toEqual([])
    expect(helperInfo(36)!.gplOnly).toBeUndefined()
    const base = [1, 2, 3, 12, 130, 181, 197, 203]
    for (const t of ESTABLISHED_PROG_TYPES) {
      const ids = helpersFor(t).map((h) => h.id)
      expect(ids, t).toEqual(expect.arrayContaining(base))
    }
    expect(helpersFor('sched_cls').map((h) => h.id)).not.toContain(44)
  })

  it('refuses program types whose sets are not established', () => {
    expect(() => helpersFor('lsm')).toThrow(UxdpError)
    expect(() => helpersFor('lsm')).toThrow(/EOPNOTSUPP/)
    expect(() => helpersFor('bogus' as never)).toThrow(/EINVAL/)
  })
})

describe('kfuncs', () => {
  it("uses include/linux/btf.h's KF_* values", () => {
    expect(KF_FLAGS).toMatchObject({ KF_ACQUIRE: 1, KF_RELEASE: 2, KF_RET_NULL: 4, KF_TRUSTED_ARGS: 16, KF_SLEEPABLE: 32, KF_DESTRUCTIVE: 64, KF_RCU: 128 })
    expect(KF_FLAGS).toMatchObject({ KF_ITER_NEW: 256, KF_ITER_NEXT: 512, KF_ITER_DESTROY: 1024, KF_RCU_PROTECTED: 2048, KF_FASTCALL: 4096 })
    expect(KF_FLAGS).toMatchObject({ KF_ARENA_RET: 8192, KF_ARENA_ARG1: 16384, KF_ARENA_ARG2: 32768 })
    expect(kfFlagNames(4 | 512)).toEqual(['KF_RET_NULL', 'KF_ITER_NEXT'])
    expect(kfFlagMask(['KF_ACQUIRE', 'KF_RET_NULL'])).toBe(5)
    expect(() => kfFlagNames(8)).toThrow(RangeError)
    for (const k of [...KFUNCS, ...SEED_KFUNCS]) {
      const bits = k.flags.map((f) => KF_FLAGS[f])
      expect(bits, k.name).toEqual([...bits].sort((a, b) => a - b))
    }
  })

  it("derives every dynptr kfunc from the dynptr engine's table", () => {
    const engine = dynptrFunctions().filter((f) => f.helperId === undefined)
    const kernel = engine.filter((f) => f.origin === 'kernel')
    expect(kernel.map((f) => f.name)).toEqual(KFUNCS.filter((k) => k.name.startsWith('bpf_dynptr_')).map((k) => k.name))
    for (const f of kernel) {
      const k = kfunc(f.name)
      expect(k.flags, f.name).toEqual(kfFlagNames(f.kfuncFlags ?? 0))
      expect(k.args, f.name).toHaveLength(f.args.length)
      expect(k).toMatchObject({ origin: 'kernel', native: true, since: f.since })
      if (f.scope === 'all') expect(k.progTypes).toBe('any')
      if (f.scope === 'xdp') expect(k.progTypes).toEqual(['xdp'])
      if (f.scope === 'tc') expect(k.progTypes).toEqual(['sched_cls', 'sched_act'])
      if (f.scope === 'skb') expect(k.progTypes).toEqual(expect.arrayContaining(['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'sk_skb', 'lwt_in']))
    }
    // The seed's API is opt-in; offered, its version replaces the kernel's where both use a name.
    expect(SEED_KFUNCS.map((k) => k.name)).toEqual(engine.filter((f) => f.origin === 'seed').map((f) => f.name))
    expect(SEED_KFUNCS.every((k) => k.origin === 'seed' && k.progTypes === 'any' && k.native && k.flags.length === 0)).toBe(true)
    expect(kfunc('bpf_dynptr_clone').args).toHaveLength(2)
    expect(kfuncTable().find((k) => k.name === 'bpf_dynptr_clone')!.origin).toBe('kernel')
    const seeded = kfuncTable({ seed: true })
    expect(seeded.find((k) => k.name === 'bpf_dynptr_clone')).toMatchObject({ origin: 'seed', args: [{ name: 'p' }, { name: 'clone', annotation: '__uninit' }, { type: 'u32' }] })
    expect(seeded.filter((k) => k.name === 'bpf_dynptr_clone')).toHaveLength(1)
    expect(seeded).toHaveLength(KFUNCS.length + 5)
    expect(seeded.find((k) => k.name === 'bpf_dynptr_iterator')!.args.map((a) => a.name)).toEqual(['p', 'callback', 'callback_ctx', 'flags'])
  })

  it('describes the XDP kfuncs', () => {
    expect(kfunc('bpf_dynptr_from_xdp')).toMatchObject({
      ret: 'int',
      args: [
        { name: 'x', type: 'struct xdp_md *' },
        { name: 'flags', type: 'u64' },
        { name: 'ptr', type: 'struct bpf_dynptr *', annotation: '__uninit' },
      ],
      flags: [],
      progTypes: ['xdp'],
    })
    expect(kfunc('bpf_xdp_pull_data')).toMatchObject({ since: '6.18', ret: 'int', flags: [], progTypes: ['xdp'], native: false })
    expect(kfunc('bpf_xdp_pull_data').args).toEqual([
      { name: 'x', type: 'struct xdp_md *' },
      { name: 'len', type: 'u32' },
    ])
    for (const name of ['bpf_xdp_metadata_rx_timestamp', 'bpf_xdp_metadata_rx_hash', 'bpf_xdp_metadata_rx_vlan_tag']) {
      expect(kfunc(name), name).toMatchObject({ flags: ['KF_TRUSTED_ARGS'], progTypes: ['xdp'], requires: 'dev-bound', ret: 'int' })
      expect(kfunc(name).args[0]).toEqual({ name: 'ctx', type: 'const struct xdp_md *' })
    }
    expect(kfunc('bpf_xdp_metadata_rx_hash').args.map((a) => a.type)).toEqual(['const struct xdp_md *', 'u32 *', 'enum xdp_rss_hash_type *'])
    expect(kfunc('bpf_dynptr_slice')).toMatchObject({ flags: ['KF_RET_NULL'], ret: 'void *' })
    expect(kfunc('bpf_dynptr_slice').args.map((a) => a.annotation)).toEqual([undefined, undefined, '__opt', '__szk'])
    expect(kfunc('bpf_dynptr_from_skb').flags).toEqual(['KF_TRUSTED_ARGS'])
  })

  it('describes generic kfuncs', () => {
    expect(kfunc('bpf_rcu_read_lock')).toMatchObject({ flags: [], args: [], ret: 'void', progTypes: 'any' })
    expect(kfunc('bpf_cast_to_kern_ctx')).toMatchObject({ flags: ['KF_FASTCALL'], progTypes: 'any' })
    expect(kfunc('bpf_iter_num_new').flags).toEqual(['KF_ITER_NEW'])
    expect(kfunc('bpf_iter_num_next')).toMatchObject({ flags: ['KF_RET_NULL', 'KF_ITER_NEXT'], ret: 'int *' })
    expect(kfunc('bpf_obj_new_impl')).toMatchObject({ flags: ['KF_ACQUIRE', 'KF_RET_NULL'] })
    expect(kfunc('bpf_obj_new_impl').args[0]).toEqual({ name: 'local_type_id', type: 'u64', annotation: '__k' })
    expect(kfunc('bpf_obj_new_impl').progTypes).toContain('xdp')
    expect(kfunc('bpf_obj_new_impl').progTypes).not.toContain('socket_filter')
    expect(kfunc('bpf_copy_from_user_str').flags).toEqual(['KF_SLEEPABLE'])
  })

  it('offers each program type its kfuncs', () => {
    const xdp = kfuncsFor('xdp').map((k) => k.name)
    expect(xdp).toEqual(expect.arrayContaining(['bpf_dynptr_from_xdp', 'bpf_xdp_pull_data', 'bpf_dynptr_slice', 'bpf_rcu_read_lock', 'bpf_obj_new_impl']))
    expect(xdp).not.toContain('bpf_dynptr_from_skb')
    expect(xdp).not.toContain('bpf_xdp_metadata_rx_hash')
    expect(xdp).not.toContain('bpf_dynptr_advance')
    expect(kfuncsFor('xdp', { devBound: true, seed: true }).map((k) => k.name)).toEqual(expect.arrayContaining(['bpf_xdp_metadata_rx_hash', 'bpf_dynptr_advance']))
    const tc = kfuncsFor('sched_cls').map((k) => k.name)
    expect(tc).toEqual(expect.arrayContaining(['bpf_dynptr_from_skb', 'bpf_dynptr_from_skb_meta']))
    expect(tc).not.toContain('bpf_dynptr_from_xdp')
    expect(kernelKfuncNamesFor('xdp')).toEqual(expect.arrayContaining(['bpf_xdp_ct_lookup', 'bpf_crypto_encrypt', 'bpf_xdp_get_xfrm_state']))
    expect(kernelKfuncNamesFor('socket_filter')).not.toContain('bpf_xdp_ct_lookup')
    expect(KERNEL_KFUNC_NAMES).toHaveLength(203)
    expect(KERNEL_KFUNC_NAMES).toContain('bpf_xdp_pull_data')
  })

  it("takes the engine's list of natively implemented kfuncs", () => {
    const table = withNativeKfuncs(['bpf_xdp_pull_data', 'bpf_dynptr_slice'])
    expect(table.find((k) => k.name === 'bpf_xdp_pull_data')!.native).toBe(true)
    expect(table.find((k) => k.name === 'bpf_dynptr_from_xdp')!.native).toBe(false)
    expect(table).toHaveLength(KFUNCS.length)
    expect(kfunc('bpf_xdp_pull_data').native).toBe(false)
  })
})

describe('checkCalls', () => {
  const xdp = { progType: 'xdp' as const, license: 'GPL' }

  it('accepts what an XDP program may call', () => {
    expect(checkCalls({ ...xdp, helperIds: [1, 44, 51, 130, 181, 189, 197], kfuncNames: ['bpf_dynptr_from_xdp', 'bpf_dynptr_slice', 'bpf_xdp_pull_data'] })).toEqual({ ok: true })
    expect(checkCalls({ ...xdp, license: 'Dual MIT/GPL', helperIds: [6, 69, 163] })).toEqual({ ok: true })
    expect(checkCalls({ ...xdp, license: 'MIT', helperIds: [1, 44, 65, 189, 190] })).toEqual({ ok: true })
  })

  it("refuses unknown helper ids in the verifier's words", () => {
    expect(refusal(checkCalls({ ...xdp, helperIds: [212] }))).toEqual({ message: 'invalid func unknown#212', pc: undefined, errno: 22 })
    expect(refusal(checkCalls({ ...xdp, helperIds: [-1] }))!.message).toBe('invalid func unknown#-1')
    expect(refusal(checkCalls({ ...xdp, helperIds: [0] }))!.message).toBe('program of this type cannot use helper bpf_unspec#0')
  })

  it('refuses helpers the program type does not get', () => {
    expect(refusal(checkCalls({ ...xdp, helperIds: [1, { id: 26, pc: 7 }] }))).toEqual({ message: 'program of this type cannot use helper bpf_skb_load_bytes#26', pc: 7, errno: 22 })
    expect(refusal(checkCalls({ ...xdp, helperIds: [121] }))!.message).toBe('program of this type cannot use helper bpf_xdp_output#121')
    expect(refusal(checkCalls({ progType: 'sched_cls', license: 'GPL', helperIds: [44] }))!.message).toBe('program of this type cannot use helper bpf_xdp_adjust_head#44')
    expect(refusal(checkCalls({ ...xdp, helperIds: [6], caps: { perfmon: false } }))!.message).toBe('program of this type cannot use helper bpf_trace_printk#6')
    expect(refusal(checkCalls({ ...xdp, helperIds: [181], caps: { bpf: false } }))!.message).toBe('program of this type cannot use helper bpf_loop#181')
    expect(checkCalls({ ...xdp, helperIds: [1, 181], caps: { perfmon: false } })).toEqual({ ok: true })
  })

  it('refuses GPL-only helpers to programs that are not GPL-compatible', () => {
    const gplOnly = 'cannot call GPL-restricted function from non-GPL compatible program'
    for (const id of [6, 25, 69, 163, 204]) expect(refusal(checkCalls({ ...xdp, license: 'MIT', helperIds: [id] }))!.message, `helper ${id}`).toBe(gplOnly)
    expect(refusal(checkCalls({ ...xdp, license: 'gpl', helperIds: [6] }))!.message).toBe(gplOnly)
    // The program-type check comes first.
    expect(refusal(checkCalls({ ...xdp, license: 'MIT', helperIds: [4] }))!.message).toBe('program of this type cannot use helper bpf_probe_read#4')
    expect(refusal(checkCalls({ progType: 'kprobe', license: 'MIT', helperIds: [4] }))!.message).toBe(gplOnly)
    expect(checkCalls({ progType: 'perf_event', license: 'MIT', helperIds: [27] })).toEqual({ ok: true })
    expect(refusal(checkCalls({ progType: 'kprobe', license: 'MIT', helperIds: [27] }))!.message).toBe(gplOnly)
  })

  it('decides GPL compatibility as license_is_gpl_compatible does', () => {
    expect(GPL_COMPATIBLE_LICENSES).toEqual(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'])
    for (const l of GPL_COMPATIBLE_LICENSES) expect(licenseIsGplCompatible(l), l).toBe(true)
    for (const l of ['gpl', 'GPLv2', 'GPL ', 'GPL-2.0', 'Dual BSD/GPL/MIT', 'MIT', 'Proprietary', '']) expect(licenseIsGplCompatible(l), l).toBe(false)
    expect(licenseIsGplCompatible('GPL\0trailing')).toBe(true)
  })

  it('refuses sleeping helpers and kfuncs outside sleepable programs', () => {
    expect(refusal(checkCalls({ ...xdp, helperIds: [148] }))!.message).toBe('helper call might sleep in a non-sleepable prog')
    expect(refusal(checkCalls({ ...xdp, kfuncNames: ['bpf_copy_from_user_str'] }))).toEqual({ message: 'program must be sleepable to call sleepable kfunc bpf_copy_from_user_str', pc: undefined, errno: 13 })
    expect(refusal(checkCalls({ ...xdp, kfuncNames: ['bpf_arena_alloc_pages'] }))!.message).toBe('program must be sleepable to call sleepable kfunc bpf_arena_alloc_pages')
    expect(checkCalls({ progType: 'syscall', license: 'GPL', sleepable: true, helperIds: [148], kfuncNames: ['bpf_copy_from_user_str'] })).toEqual({ ok: true })
  })

  it('refuses kfuncs the program type does not get', () => {
    expect(refusal(checkCalls({ ...xdp, kfuncNames: [{ name: 'bpf_dynptr_from_skb', pc: 3 }] }))).toEqual({ message: 'calling kernel function bpf_dynptr_from_skb is not allowed', pc: 3, errno: 13 })
    expect(refusal(checkCalls({ progType: 'sched_cls', license: 'GPL', kfuncNames: ['bpf_xdp_pull_data'] }))!.message).toBe('calling kernel function bpf_xdp_pull_data is not allowed')
    expect(refusal(checkCalls({ progType: 'socket_filter', license: 'GPL', kfuncNames: ['bpf_xdp_ct_lookup'] }))!.message).toBe('calling kernel function bpf_xdp_ct_lookup is not allowed')
    expect(refusal(checkCalls({ ...xdp, kfuncNames: ['bbr_init'] }))!.message).toBe('calling kernel function bbr_init is not allowed')
  })

  it("refuses kfuncs no BTF has in libbpf's words", () => {
    const missing = "extern (func ksym) 'bpf_no_such_kfunc': not found in kernel or module BTFs"
    expect(refusal(checkCalls({ ...xdp, kfuncNames: ['bpf_no_such_kfunc'] }))).toEqual({ message: missing, pc: undefined, errno: 22 })
    expect(checkCalls({ ...xdp, kfuncNames: [{ name: 'bpf_no_such_kfunc', weak: true }] })).toEqual({ ok: true })
    // libbpf fails the load before the kernel sees the program.
    expect(refusal(checkCalls({ ...xdp, helperIds: [{ id: 26, pc: 0 }], kfuncNames: [{ name: 'bpf_no_such_kfunc', pc: 9 }] }))!.message).toBe(missing)
    expect(refusal(checkCalls({ ...xdp, kfuncNames: ['bpf_dynptr_advance'] }))!.message).toBe("extern (func ksym) 'bpf_dynptr_advance': not found in kernel or module BTFs")
    expect(checkCalls({ ...xdp, seed: true, kfuncNames: ['bpf_dynptr_advance', 'bpf_dynptr_iterator'] })).toEqual({ ok: true })
  })

  it('checks kfunc licences and device binding before walking the program', () => {
    const nonGpl = 'cannot call kernel function from non-GPL compatible program'
    const r = checkCalls({ ...xdp, license: 'MIT', helperIds: [{ id: 26, pc: 1 }], kfuncNames: [{ name: 'bpf_rcu_read_lock', pc: 5 }] })
    expect(refusal(r)).toEqual({ message: nonGpl, pc: 5, errno: 22 })
    expect(refusal(checkCalls({ ...xdp, kfuncNames: ['bpf_xdp_metadata_rx_timestamp'] }))!.message).toBe('metadata kfuncs require device-bound program')
    expect(refusal(checkCalls({ progType: 'sched_cls', license: 'GPL', kfuncNames: ['bpf_xdp_metadata_rx_hash'] }))!.message).toBe('metadata kfuncs require device-bound program')
    expect(checkCalls({ ...xdp, devBound: true, kfuncNames: ['bpf_xdp_metadata_rx_timestamp', 'bpf_xdp_metadata_rx_vlan_tag'] })).toEqual({ ok: true })
  })

  it('reports the first refusal in pc order', () => {
    const r = checkCalls({ ...xdp, helperIds: [{ id: 26, pc: 20 }, { id: 500, pc: 12 }], kfuncNames: [{ name: 'bpf_dynptr_from_skb', pc: 4 }] })
    expect(refusal(r)).toEqual({ message: 'calling kernel function bpf_dynptr_from_skb is not allowed', pc: 4, errno: 13 })
    const r2 = checkCalls({ ...xdp, helperIds: [{ id: 26, pc: 20 }, { id: 500, pc: 12 }] })
    expect(refusal(r2)).toEqual({ message: 'invalid func unknown#500', pc: 12, errno: 22 })
  })

  it("gives the verifier's late refusals for helpers whose prototype exists", () => {
    expect(refusal(checkCalls({ progType: 'tracepoint', license: 'GPL', helperIds: [173] }))).toEqual({ message: 'func bpf_get_func_ip#173 not supported for program type 5', pc: undefined, errno: 524 })
    expect(refusal(checkCalls({ progType: 'tracepoint', license: 'MIT', helperIds: [173] }))!.message).toBe('cannot call GPL-restricted function from non-GPL compatible program')
    expect(refusal(checkCalls({ progType: 'tracing', license: 'GPL', helperIds: [147] }))!.message).toBe('helper call is not allowed in probe')
    expect(checkCalls({ progType: 'kprobe', license: 'GPL', helperIds: [173] })).toEqual({ ok: true })
  })

  it('applies user kfuncs with their program types', () => {
    const reg = new KfuncRegistry()
    reg.register({ name: 'my_xdp_hash', args: [{ name: 'x', type: 'u64' }], ret: 'u64', progTypes: ['xdp'] }, (x) => x * 31n)
    reg.register({ name: 'my_sleepy', flags: ['KF_SLEEPABLE'] }, () => 0)
    expect(checkCalls({ ...xdp, kfuncNames: ['my_xdp_hash'], userKfuncs: reg })).toEqual({ ok: true })
    expect(refusal(checkCalls({ ...xdp, kfuncNames: ['my_xdp_hash'] }))!.message).toBe("extern (func ksym) 'my_xdp_hash': not found in kernel or module BTFs")
    expect(refusal(checkCalls({ progType: 'sched_cls', license: 'GPL', kfuncNames: ['my_xdp_hash'], userKfuncs: reg }))!.message).toBe('calling kernel function my_xdp_hash is not allowed')
    expect(refusal(checkCalls({ ...xdp, kfuncNames: ['my_sleepy'], userKfuncs: reg.list() }))!.message).toBe('program must be sleepable to call sleepable kfunc my_sleepy')
    expect(refusal(checkCalls({ ...xdp, license: 'MIT', kfuncNames: ['my_xdp_hash'], userKfuncs: reg }))!.message).toBe('cannot call kernel function from non-GPL compatible program')
    expect(kfuncsFor('xdp', { userKfuncs: reg }).map((k) => k.name)).toEqual(expect.arrayContaining(['my_xdp_hash', 'my_sleepy']))
    expect(kfuncsFor('sched_cls', { userKfuncs: reg }).map((k) => k.name)).not.toContain('my_xdp_hash')
  })

  it('turns into the engine\'s load options', () => {
    const reg = new KfuncRegistry()
    const hash = (x: bigint) => x ^ 1n
    reg.register({ name: 'my_hash', progTypes: ['xdp'] }, hash)
    reg.register({ name: 'my_tc_only', progTypes: ['sched_cls'] }, () => 0)
    const o = loadOptionsFor('xdp', { userKfuncs: reg })
    expect(o.helpers).toEqual(HELPERS.map((h) => h.id))
    expect(o.kfuncs).toEqual(expect.arrayContaining(['bpf_dynptr_from_xdp', 'bpf_xdp_pull_data', 'bpf_xdp_metadata_rx_hash']))
    expect(o.kfuncs).not.toContain('bpf_dynptr_from_skb')
    expect(o.seedKfuncs).toBe(false)
    expect(o.userKfuncs).toEqual({ my_hash: hash })
    expect(loadOptionsFor('xdp', { caps: { perfmon: false }, seed: true })).toMatchObject({ seedKfuncs: true, userKfuncs: {} })
    expect(loadOptionsFor('xdp', { caps: { perfmon: false } }).helpers).not.toContain(6)
  })

  it('refuses bad input', () => {
    expect(() => checkCalls({ progType: 'struct_ops', license: 'GPL' })).toThrow(/EOPNOTSUPP/)
    expect(() => checkCalls({ ...xdp, helperIds: [1.5] })).toThrow(/EINVAL/)
    expect(() => checkCalls({ ...xdp, kfuncNames: [''] })).toThrow(/EINVAL/)
    expect(() => checkCalls({ ...xdp, helperIds: [{ id: 1, pc: -1 }] })).toThrow(/EINVAL/)
  })
})

describe('KfuncRegistry', () => {
  const impl = () => 0n

  it('registers, lists and removes user kfuncs', () => {
    const reg = new KfuncRegistry()
    const spec = reg.register({ name: 'uxdp_count', flags: ['KF_RET_NULL', 'KF_ACQUIRE'] }, impl)
    expect(spec).toEqual({ name: 'uxdp_count', flags: ['KF_ACQUIRE', 'KF_RET_NULL'], args: [], ret: 'void', progTypes: 'any', origin: 'user', native: false, lifecycle: { tier: 'unstable' } })
    reg.register({ name: 'uxdp_other', progTypes: ['xdp'] }, impl)
    expect(reg.list().map((k) => k.name)).toEqual(['uxdp_count', 'uxdp_other'])
    expect(reg.size).toBe(2)
    expect(reg.has('uxdp_count')).toBe(true)
    expect(reg.get('uxdp_count')!.impl).toBe(impl)
    expect(reg.implementations()).toEqual({ uxdp_count: impl, uxdp_other: impl })
    reg.unregister('uxdp_count')
    expect(reg.has('uxdp_count')).toBe(false)
    expect(() => reg.unregister('uxdp_count')).toThrow(expect.objectContaining({ code: 'ENOENT' }))
  })

  it('refuses names the kernel or the registry already has (EEXIST)', () => {
    const reg = new KfuncRegistry()
    reg.register({ name: 'uxdp_twice' }, impl)
    for (const name of ['uxdp_twice', 'bpf_dynptr_from_xdp', 'bpf_xdp_pull_data', 'bpf_xdp_ct_lookup', 'bpf_rcu_read_lock', 'bpf_dynptr_advance', 'bpf_map_lookup_elem']) {
      let err: unknown
      try {
        reg.register({ name }, impl)
      } catch (e) {
        err = e
      }
      expect(err, name).toBeInstanceOf(UxdpError)
      expect((err as UxdpError).code, name).toBe('EEXIST')
      expect((err as UxdpError).errno).toBe(-17)
    }
    expect(reg.size).toBe(1)
  })

  it('refuses malformed specs', () => {
    const reg = new KfuncRegistry()
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return (e as UxdpError).code
      }
      return undefined
    }
    expect(code(() => reg.register({ name: '1bad' }, impl))).toBe('EINVAL')
    expect(code(() => reg.register({ name: 'ok_name' }, 'nope' as never))).toBe('EINVAL')
    expect(code(() => reg.register({ name: 'ok_name', flags: ['KF_BOGUS' as never] }, impl))).toBe('EINVAL')
    expect(code(() => reg.register({ name: 'ok_name', progTypes: ['nope' as never] }, impl))).toBe('EINVAL')
    const six = Array.from({ length: 6 }, (_, i) => ({ name: `a${i}`, type: 'u64' }))
    expect(code(() => reg.register({ name: 'ok_name', args: six }, impl))).toBe('E2BIG')
    expect(reg.size).toBe(0)
  })
})

describe('against the running kernel', () => {
  const btf = (() => {
    if (!release().startsWith('6.18.')) return { reason: `the running kernel is ${release()}, not 6.18` }
    if (!existsSync('/sys/kernel/btf/vmlinux')) return { reason: '/sys/kernel/btf/vmlinux is missing' }
    const r = run('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'raw'])
    return 'reason' in r ? r : { lines: r.out.split('\n') }
  })()

  /** enum values and FUNC prototypes from `bpftool btf dump ... format raw`. */
  const parse = (lines: string[]) => {
    const enums = new Map<string, Map<string, number>>()
    const types = new Map<number, { kind: string; name: string; ref: number; members: string[] }>()
    let cur: { kind: string; name: string; ref: number; members: string[] } | undefined
    let curEnum: Map<string, number> | undefined
    for (const line of lines) {
      const m = /^\[(\d+)\] (\S+) '([^']*)'(?:.*?type_id=(\d+))?/.exec(line)
      if (m) {
        cur = { kind: m[2], name: m[3], ref: Number(m[4] ?? 0), members: [] }
        types.set(Number(m[1]), cur)
        curEnum = m[2] === 'ENUM' ? new Map() : undefined
        if (curEnum) enums.set(m[3], curEnum)
        continue
      }
      const mem = /^\t'([^']*)' (?:type_id|val)=(-?\d+)/.exec(line)
      if (mem && cur) {
        cur.members.push(mem[1])
        curEnum?.set(mem[1], Number(mem[2]))
      }
    }
    const kfuncs = new Map<string, string[]>()
    for (const t of types.values()) {
      if (t.kind !== 'DECL_TAG' || t.name !== 'bpf_kfunc') continue
      const fn = types.get(t.ref)!
      kfuncs.set(fn.name, types.get(fn.ref)!.members)
    }
    return { enums, kfuncs }
  }

  it("has the kernel's helper ids and prototype enums", (ctx) => {
    if ('reason' in btf) return skipLoudly(ctx, btf.reason)
    const { enums } = parse(btf.lines)
    const ids = enums.get('bpf_func_id')!
    const kernel = [...ids].filter(([n]) => !n.startsWith('__')).map(([n, v]) => [v, `bpf_${n.slice('BPF_FUNC_'.length)}`] as const)
    expect(kernel.map(([, n]) => n)).toEqual(HELPER_NAMES)
    expect(kernel.map(([v]) => v)).toEqual(HELPER_NAMES.map((_, i) => i))
    for (const [name, table] of [['bpf_arg_type', BPF_ARG_TYPE], ['bpf_return_type', BPF_RETURN_TYPE], ['bpf_type_flag', BPF_TYPE_FLAG]] as const) {
      const e = enums.get(name)!
      for (const [k, v] of Object.entries(table)) expect(e.get(k), `${name} ${k}`).toBe(v)
    }
    const args = enums.get('bpf_arg_type')!
    for (const alias of ['ARG_PTR_TO_UNINIT_MEM', 'ARG_PTR_TO_FIXED_SIZE_MEM', 'ARG_PTR_TO_MEM_OR_NULL', 'ARG_PTR_TO_BTF_ID_OR_NULL'] as const) {
      expect(protoTypeValue(alias), alias).toBe(args.get(alias))
    }
    const rets = enums.get('bpf_return_type')!
    for (const alias of ['RET_PTR_TO_RINGBUF_MEM_OR_NULL', 'RET_PTR_TO_DYNPTR_MEM_OR_NULL', 'RET_PTR_TO_BTF_ID_TRUSTED', 'RET_PTR_TO_MAP_VALUE_OR_NULL'] as const) {
      expect(protoTypeValue(alias), alias).toBe(rets.get(alias))
    }
  })

  it("has the kernel's kfunc names and parameters", (ctx) => {
    if ('reason' in btf) return skipLoudly(ctx, btf.reason)
    const { kfuncs } = parse(btf.lines)
    for (const k of KFUNCS) {
      expect(kfuncs.has(k.name), k.name).toBe(true)
      expect(kfuncs.get(k.name), k.name).toEqual(k.args.map((a) => a.name + (a.annotation ?? '')))
    }
    // The rest of the names depend on the kernel's configuration: report, do not require.
    const extra = [...kfuncs.keys()].filter((n) => !KERNEL_KFUNC_NAMES.includes(n))
    const absent = KERNEL_KFUNC_NAMES.filter((n) => !kfuncs.has(n))
    if (extra.length || absent.length) console.warn(`kfunc names differ from this kernel's configuration: +${extra.join(',')} -${absent.join(',')}`)
  })
})
