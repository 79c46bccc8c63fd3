/**
 * CO-RE relocations, `.kconfig` and `__ksym` variables against the kernel: objects built the
 * libbpf-bootstrap way (a vmlinux.h generated from /sys/kernel/btf/vmlinux at record time, never
 * committed; bpf_core_read.h; test/kernel/core_xdp.bpf.c and core_refuse.bpf.c) go through the
 * running kernel (libbpf 1.1 through bpftool and ringbuf_harness) and through uxdp, which
 * relocates against its default target BTF (Linux 6.18 as it models it, shipped trimmed).
 *
 * - XDP programs run with test_run write every relocated value (field offsets, sizes,
 *   existence, signedness, bitfield shifts, type ids, sizes, matches, enum values, enum64,
 *   kconfig values, ksym existence) into the packet: data_out and retval are compared.
 * - Load verdicts: unresolvable relocations reached (the verifier's refusal as libbpf rewrites it:
 *   `failed to resolve CO-RE relocation <spec>`) or dead, libbpf's kconfig and ksym refusals, the
 *   kernel's own for a variable kallsyms lacks, tc and socket-filter objects.
 *
 * The kernel's answers are recorded (test/fixtures/kernel/kernel-core.json, `npm run
 * kernel:record -- kernel-core`) with the objects (test/fixtures/kernel/objects/).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BpfObject, checkLoad, describeObject } from '../lib/index'
import { build, finishKernel, KernelObject, MODE, ownPins, useKernel, verdict, type BpfBuild } from './helpers/kernel'

const kernel = useKernel('kernel-core')

// vmlinux.h, generated where objects are compiled (record mode, or a live kernel without them).
const VMLINUX_DIR = join('target', 'vmlinux')
const FLAGS = ['--clang=clang-19', `-I${VMLINUX_DIR}`]
if (MODE !== 'off' && !existsSync(join(VMLINUX_DIR, 'vmlinux.h')) && existsSync('/sys/kernel/btf/vmlinux')) {
  const r = spawnSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status === 0) {
    mkdirSync(VMLINUX_DIR, { recursive: true })
    writeFileSync(join(VMLINUX_DIR, 'vmlinux.h'), r.stdout)
  }
}

/** An Ethernet + IPv4 (ihl 5, ttl 64) + TCP (SYN|ACK, doff 5, dport 80) packet, 256 bytes. */
function packet(): Buffer {
  const p = Buffer.alloc(256)
  p.writeUInt16BE(0x0800, 12)
  Buffer.from([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]).copy(p, 14)
  p.writeUInt16BE(1234, 34)
  p.writeUInt16BE(80, 36)
  p[46] = 0x50
  p[47] = 0x12
  return p
}

const slots = (out: Buffer, n = 24): bigint[] => Array.from({ length: n }, (_, i) => out.readBigUInt64LE(64 + 8 * i))

const xdpObject = (): BpfBuild => build('core_xdp.bpf.c', {}, FLAGS, { commit: true })

function compareRun(prog: string, opts: Parameters<typeof BpfObject.open>[1] = {}) {
  const b = xdpObject()
  const k = KernelObject.load(b).run(prog, packet())
  if (!k.ok) throw new Error(`the kernel's test_run failed: ${k.message}`)
  const o = BpfObject.open(b.path, opts)
  try {
    const x = o.program(prog).testRun({ data: packet() })
    expect(x.retval, 'retval').toBe(k.retval)
    expect(slots(x.dataOut), 'the relocated values, slot by slot').toEqual(slots(k.out))
    return { kernel: slots(k.out), uxdp: slots(x.dataOut) }
  } finally {
    o.close()
  }
}

describe(`CO-RE, .kconfig and __ksym against the kernel (recorded on Linux ${kernel.recordedOn})`, () => {
  afterAll(() => {
    finishKernel()
    expect(ownPins()).toEqual([])
  })

  describe('core_xdp.bpf.c: relocated values written into the packet, compared with the kernel', () => {
    it('field offsets, sizes, existence, signedness, array elements, bitfield shifts (local flavors with their own layouts)', () => {
      const { uxdp } = compareRun('core_fields')
      // local sk_buff___small puts len at 8: the kernel's is elsewhere, and a u64 mark is 4 bytes there
      expect(uxdp[0]).not.toBe(8n)
      expect([uxdp[2], uxdp[3], uxdp[4], uxdp[14]]).toEqual([4n, 0n, 1n, 8n])
      expect([uxdp[10], uxdp[11]], 'sk_buff.len unsigned, task_struct.pid signed').toEqual([0n, 1n])
    })
    it('bitfields read with BPF_CORE_READ_BITFIELD from the packet (kernel layout and a swapped local one), a narrowed load', () => {
      const { uxdp } = compareRun('core_packet')
      expect(uxdp.slice(0, 8), 'ihl, version (both ways), syn, ack, doff, fin').toEqual([5n, 4n, 5n, 4n, 1n, 1n, 5n, 0n])
      expect(uxdp[8], 'a u64 local daddr read as the kernel\'s u32').toBe(0x0200000an)
    })
    it('type existence, sizes, matches, local and kernel type ids (the kernel\'s ids from the trimmed BTF)', () => {
      const { uxdp } = compareRun('core_types')
      expect([uxdp[0], uxdp[1], uxdp[2], uxdp[5], uxdp[6], uxdp[12], uxdp[13]], 'iphdr___subset does not match: saddr is in an anonymous union there').toEqual([1n, 0n, 24n, 0n, 0n, 0n, 0n])
    })
    it('enum values and their existence, flavored enumerators, an enum64 value', () => {
      const { uxdp } = compareRun('core_enums')
      expect(uxdp[5], 'PERF_CONTEXT_USER, an enum64 value').toBe(0xfffffffffffffe00n)
    })
    it('.kconfig: LINUX_KERNEL_VERSION, LINUX_HAS_*, bool, int, u64, tristate, char, string and weak unknown values', () => {
      const { uxdp } = compareRun('core_kconfig')
      expect(uxdp[0], 'KERNEL_VERSION(6, 18, 44)').toBe(0x06122cn)
      expect(uxdp[2], 'no kprobes in the model config: libbpf cannot find the syscall wrapper').toBe(0n)
    })
    it('__ksym variables: weak ones the BTF or kallsyms lack (no data symbols in kallsyms) read 0', () => {
      const { uxdp } = compareRun('core_ksyms')
      expect(uxdp.slice(0, 4)).toEqual([0n, 0n, 0n, 7n])
    })
  })

  const refusals: { title: string; variant: number; errno?: string }[] = [
    { title: 'an unresolvable field read, reached: failed to resolve CO-RE relocation', variant: 1, errno: 'EINVAL' },
    { title: 'the same read behind bpf_core_field_exists: dead code, loads', variant: 2 },
    { title: 'an unresolvable enum value, reached', variant: 3, errno: 'EINVAL' },
    { title: 'a signed field of another size: the load cannot be resized, poisoned and refused', variant: 4, errno: 'EINVAL' },
    { title: 'a strong CONFIG_ extern no config sets', variant: 5, errno: 'ESRCH' },
    { title: 'an unknown strong LINUX_ extern', variant: 6, errno: 'EINVAL' },
    { title: 'a bool extern of an integer option', variant: 7, errno: 'EINVAL' },
    { title: 'a strong typed ksym the kernel lacks', variant: 8, errno: 'EINVAL' },
    { title: 'a typed ksym of another type than the kernel\'s', variant: 9, errno: 'EINVAL' },
    { title: 'a typed ksym without a kallsyms address (no CONFIG_KALLSYMS_ALL)', variant: 10, errno: 'ENOENT' },
    { title: 'a strong typeless ksym kallsyms lacks', variant: 11, errno: 'ESRCH' },
    { title: 'tc: CO-RE reads of kernel structs and field existence: loads', variant: 12 },
    { title: 'socket filter: a LINUX_KERNEL_VERSION branch pruned, an enum value: loads', variant: 13 },
    { title: 'socket filter: an unresolvable relocation behind a weak kconfig value: loads', variant: 14 },
  ]

  describe('core_refuse.bpf.c: load verdicts (errno and message), uxdp against libbpf and the kernel', () => {
    it.each(refusals.map((c) => [c.title, c] as const))('%s', (_t, c) => {
      const b = build('core_refuse.bpf.c', { CASE: c.variant }, FLAGS, { commit: true })
      const k = verdict(b)
      expect(k.accepted ? 'accepted' : k.errno, `the kernel's verdict${k.accepted ? '' : `: ${k.line}`}`).toBe(c.errno ?? 'accepted')
      const x = checkLoad(b.path)
      if (k.accepted) expect({ accepted: x.accepted, message: x.message }).toEqual({ accepted: true, message: '' })
      else expect({ accepted: x.accepted, errno: x.code, line: x.message }, 'uxdp refuses it in the same words').toEqual({ accepted: false, errno: k.errno, line: k.line })
    })

    it('a reached poisoned relocation: the log is rewritten as libbpf rewrites it', () => {
      const b = build('core_refuse.bpf.c', { CASE: 1 }, FLAGS, { commit: true })
      const x = checkLoad(b.path)
      expect(x.log).toMatch(/^\d+: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <byte_off> \[\d+\] struct ethhdr___nope\.h_uxdp_nope \(0:0 @ offset 0\)\n/m)
      expect(x.log).not.toMatch(/unknown#195896080/)
    })
  })

  describe('the target BTF and kconfig options (uxdp only)', () => {
    it('the host\'s BTF and the shipped BTF passed as bytes give the same values as the default', () => {
      const b = xdpObject()
      const run = (opts: Parameters<typeof BpfObject.open>[1]) => {
        const o = BpfObject.open(b.path, opts)
        try {
          return ['core_fields', 'core_types', 'core_enums'].map((p) => slots(o.program(p).testRun({ data: packet() }).dataOut))
        } finally {
          o.close()
        }
      }
      const dflt = run({})
      expect(run({ btf: readFileSync(join('crate', 'src', 'bpf', 'target', 'uxdp-6.18.btf')) }).map((s, i) => (i === 1 ? s.filter((_, j) => j !== 7) : s))).toEqual(dflt.map((s, i) => (i === 1 ? s.filter((_, j) => j !== 7) : s)))
      if (existsSync('/sys/kernel/btf/vmlinux')) expect(run({ btf: 'host' })).toEqual(dflt)
    })

    it('a user BTF without the kernel types: fields and types do not exist; a missing field read is refused', () => {
      const b = xdpObject()
      // A BTF of a few types (test/fixtures/core/tiny.c): u32 and struct xdp_md.
      const tiny = readFileSync(join('test', 'fixtures', 'core', 'tiny.btf'))
      const o = BpfObject.open(b.path, { btf: tiny, prog: 'core_types' })
      try {
        const s = slots(o.program('core_types').testRun({ data: packet() }).dataOut)
        expect([s[0], s[1], s[3], s[11]], 'no sk_buff, no enum xdp_action in it').toEqual([0n, 0n, 0n, 0n])
        expect([s[9], s[2], s[7]], 'its u32 and xdp_md; sk_buff has no kernel id').toEqual([1n, 24n, 0n])
      } finally {
        o.close()
      }
      // core_packet reads ethhdr/iphdr/tcphdr fields unconditionally: poisoned, reached, refused
      const x = checkLoad(b.path, { btf: tiny, prog: 'core_packet' })
      expect([x.accepted, x.code]).toEqual([false, 'EINVAL'])
      expect(x.message).toMatch(/^failed to resolve CO-RE relocation <byte_off> \[\d+\] struct (ethhdr|iphdr|tcphdr)\./)
      const e = (() => {
        try {
          BpfObject.open(b.path, { btf: '/nonexistent/vmlinux' })
        } catch (x) {
          return x as Error & { code: string }
        }
        throw new Error('loaded')
      })()
      expect(e.code).toBe('ENOENT')
      expect(e.message).toMatch(/failed to read BTF file '\/nonexistent\/vmlinux'/)
    })

    it('kconfig values set by the user are what the program reads; a bad one is refused in libbpf\'s words', () => {
      const b = xdpObject()
      const o = BpfObject.open(b.path, { prog: 'core_kconfig', kconfig: { CONFIG_HZ: 1000, CONFIG_UXDP_NO_SUCH_OPTION: 7, CONFIG_NET: 'n', CONFIG_DEFAULT_HOSTNAME: 'uxdp', LINUX_KERNEL_VERSION: 0x060c00 } })
      try {
        const s = slots(o.program('core_kconfig').testRun({ data: packet() }).dataOut)
        expect([s[0], s[4], s[6], s[10]]).toEqual([0x060c00n, 1000n, 0n, 7n])
        expect(Buffer.from(s[8].toString(16).padStart(16, '0'), 'hex').reverse().toString('latin1').replace(/\0+$/, '')).toBe('uxdp')
      } finally {
        o.close()
      }
      const x = checkLoad(b.path, { prog: 'core_kconfig', kconfig: { CONFIG_BPF_SYSCALL: 'm' } })
      expect([x.accepted, x.code, x.message]).toEqual([false, 'EINVAL', "extern (kcfg) 'CONFIG_BPF_SYSCALL': value 'm' implies tristate or char type"])
      expect(x.log).toMatch(/error parsing in-memory Kconfig line 'CONFIG_BPF_SYSCALL': -22/)
    })

    it('describeObject shows each relocation with the value it resolves to against the default BTF', () => {
      const d = describeObject(xdpObject().path)
      const fields = d.programs.find((p) => p.name === 'core_fields')!.coreRelos
      const exists = fields.find((r) => r.kind === 'field_exists' && r.spec.includes('uxdp_no_such_field'))!
      expect(exists).toMatchObject({ accepted: true, value: 0, target: null })
      const len = fields.find((r) => r.kind === 'byte_off' && /sk_buff___small\.len /.test(r.spec))!
      expect(len.target).toMatch(/^<byte_off> \[\d+\] struct sk_buff\.len \(0:\d+(:\d+)* @ offset \d+\)$/)
    })
  })
})
