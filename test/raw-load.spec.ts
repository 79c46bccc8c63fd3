/**
 * Loading raw instructions from TypeScript (BpfObject.fromInstructions / Program.fromInstructions):
 * `bpf_prog_load` without an ELF object, maps named by fd (lddw src=1 BPF_PSEUDO_MAP_FD, src=2
 * BPF_PSEUDO_MAP_VALUE) in uxdp's map table, the type from a libbpf section name, the verifier's
 * refusals in the kernel's words.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { BpfObject, Program, UxdpError } from '../lib/index'
import { build } from './helpers/kernel'

/** One `struct bpf_insn`: opcode, dst, src, off, imm. */
function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8)
  b[0] = code
  b[1] = (src << 4) | dst
  b.writeInt16LE(off, 2)
  b.writeInt32LE(imm, 4)
  return b
}
const lddw = (dst: number, src: number, imm: number, imm2 = 0) => [insn(0x18, dst, src, 0, imm), insn(0, 0, 0, 0, imm2)]
const movk = (dst: number, imm: number) => insn(0xb7, dst, 0, 0, imm)
const movx = (dst: number, src: number) => insn(0xbf, dst, src, 0, 0)
const addk = (dst: number, imm: number) => insn(0x07, dst, 0, 0, imm)
const stw = (dst: number, off: number, imm: number) => insn(0x62, dst, 0, off, imm)
const ldxw = (dst: number, src: number, off: number) => insn(0x61, dst, src, off, 0)
const jeqk = (dst: number, imm: number, off: number) => insn(0x15, dst, 0, off, imm)
const call = (id: number) => insn(0x85, 0, 0, 0, id)
const exit = () => insn(0x95, 0, 0, 0, 0)
const prog = (...parts: (Buffer | Buffer[])[]) => Buffer.concat(parts.flat())

const PSEUDO_MAP_FD = 1
const PSEUDO_MAP_VALUE = 2

// An object with maps of its own: its array_map (5 entries of 12 bytes) gets an fd in uxdp's table.
const withMaps = BpfObject.open(build('tcrun.bpf.c', {}, ['--clang=clang-19', '-mcpu=v3'], { commit: true }).path)
const array = withMaps.map('array_map')
const frame = Buffer.alloc(64)

describe('raw instructions (bpf_prog_load without an ELF)', () => {
  afterAll(() => withMaps.close())

  it('an XDP program: the section picks the type, testRun runs it', () => {
    const p = Program.fromInstructions(prog(movk(0, 2), exit()))
    expect([p.name, p.kind]).toEqual(['prog', 'Xdp'])
    expect(p.testRun({ data: frame }).retval).toBe(2)
  })

  it('a tc program runs on an skb', () => {
    const p = Program.fromInstructions(prog(ldxw(0, 1, 0), exit()), { name: 'len', section: 'tc' })
    expect(p.kind).toBe('SchedCls')
    expect(p.testRun({ data: frame }).retval).toBe(64)
  })

  it('lddw src=1 names a map by its fd: the program looks up its value', () => {
    array.update(Buffer.from([1, 0, 0, 0]), Buffer.from([7, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]))
    // *(u32 *)(fp - 4) = 1; r0 = lookup(map by fd, fp - 4); return r0 ? *(u32 *)r0 : 99
    const code = prog(stw(10, -4, 1), movx(2, 10), addk(2, -4), lddw(1, PSEUDO_MAP_FD, array.fd), call(1), jeqk(0, 0, 2), ldxw(0, 0, 0), exit(), movk(0, 99), exit())
    expect(Program.fromInstructions(code).testRun({ data: frame }).retval).toBe(7)
  })

  it('lddw src=2 is a pointer into a value: fd, then the offset in the second half', () => {
    array.update(Buffer.from([0, 0, 0, 0]), Buffer.from([1, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0]))
    const code = prog(lddw(1, PSEUDO_MAP_VALUE, array.fd, 4), ldxw(0, 1, 0), exit())
    expect(Program.fromInstructions(code).testRun({ data: frame }).retval).toBe(42)
  })

  it('an fd naming no map: EBADF with the kernel\'s line', () => {
    const code = prog(lddw(1, PSEUDO_MAP_FD, 1 << 20), movk(0, 2), exit())
    expect(() => Program.fromInstructions(code)).toThrow(/fd 1048576 is not pointing to valid bpf_map/)
    try {
      Program.fromInstructions(code)
    } catch (e) {
      expect((e as UxdpError).code).toBe('EBADF')
    }
  })

  it('the verifier refuses as the kernel does', () => {
    try {
      Program.fromInstructions(prog(exit()))
      expect.unreachable()
    } catch (e) {
      expect((e as UxdpError).code).toBe('EACCES')
      expect((e as UxdpError).message).toContain('R0 !read_ok')
    }
  })

  it('bad input is a clear error', () => {
    expect(() => Program.fromInstructions(Buffer.alloc(7))).toThrow(/multiple of 8 bytes/)
    expect(() => Program.fromInstructions(Buffer.alloc(0))).toThrow(/multiple of 8 bytes/)
    expect(() => Program.fromInstructions(prog(movk(0, 2), exit()), { section: 'nope' })).toThrow(/names no program type/)
    expect(() => Program.fromInstructions(prog(movk(0, 2), exit()), { name: 3 as unknown as string })).toThrow(/name must be a string/)
  })
})
