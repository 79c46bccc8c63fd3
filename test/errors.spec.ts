import { describe, expect, it } from 'vitest'
import { BpfObject, ERRNO, Program, UxdpError } from '../lib/index'
import { native } from '../lib/native'
import { call, fromNative } from '../lib/errors'
import { compileOwn } from './helpers/bpf'
import { thrown } from './helpers/util'

describe('UxdpError', () => {
  it('carries the errno name, the negative number and the detail', () => {
    const e = new UxdpError('ENOSPC', 'no room', { op: 'x', limit: 40 })
    expect(e).toBeInstanceOf(Error)
    expect([e.code, e.errno, e.op, e.limit, e.message]).toEqual(['ENOSPC', -28, 'x', 40, 'x: no room (ENOSPC)'])
    expect(UxdpError.nameOf(-524)).toBe('ENOTSUPP')
    expect(UxdpError.nameOf(-12345)).toBeUndefined()
    expect(ERRNO.EOPNOTSUPP).toBe(95)
  })

  it('a Rust panic comes back as an error and Node keeps running', () => {
    try {
      call(() => native.internalPanicForTest('boom'))
      expect.unreachable()
    } catch (e) {
      const u = e as UxdpError
      expect(u).toBeInstanceOf(UxdpError)
      expect([u.code, u.panic]).toEqual(['EFAULT', true])
      expect(u.message).toMatch(/internal error \(Rust panic\): boom/)
    }
    expect(native.engineVersion()).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('errors from the engine', () => {
  const basic = () => compileOwn('basic.bpf.c')

  it('cross N-API as an Error whose own properties are the fields, not JSON in the message', () => {
    let raw: unknown
    try {
      native.ringCreate(3)
    } catch (e) {
      raw = e
    }
    const e = raw as Error & Record<string, unknown>
    expect(e).toBeInstanceOf(Error)
    expect(e.message.startsWith('{')).toBe(false)
    expect([typeof e.code, typeof e.errno]).toEqual(['string', 'number'])
    const u = fromNative(e) as UxdpError
    expect(u).toBeInstanceOf(UxdpError)
    expect([u.code, u.errno, u.op]).toEqual([e.code, e.errno, e.op])
  })

  it('a run fault names its pc, its instruction in the kernel log\'s words, and the address', () => {
    // the kernel would refuse it (an unchecked packet read); the test is about the run-time fault
    const p = Program.load(basic(), { prog: 'unchecked_read', verify: false })
    const e = thrown(() => p.testRun({ data: Buffer.alloc(64) }))
    expect([e.code, e.op]).toEqual(['EFAULT', 'bpf_prog_run'])
    expect(e.pc).toBeTypeOf('number')
    expect(e.offset).toBe(e.pc)
    expect(e.insn).toMatch(/^\([0-9a-f]{2}\) r\d = \*\(u\d+ \*\)\(r\d [+-]\d+\)$/)
    expect(e.addr).toBeTypeOf('bigint')
  })

  it('a load refusal names its program and carries the loader\'s log', () => {
    // An empty target BTF: md_core's xdp_md reads cannot be relocated, and the first is reached.
    const empty = Buffer.alloc(25)
    empty.writeUInt16LE(0xeb9f, 0)
    empty[2] = 1
    empty.writeUInt32LE(24, 4)
    empty.writeUInt32LE(1, 20)
    const e = thrown(() => BpfObject.open(compileOwn('core.bpf.c'), { btf: empty }))
    expect([e.code, e.op, e.program]).toEqual(['EINVAL', 'bpf_prog_load', 'md_core'])
    expect(e.message).toMatch(/failed to resolve CO-RE relocation <byte_off> \[\d+\] struct xdp_md\.data \(0:0 @ offset 0\)/)
    expect(e.log).toMatch(/^0: <invalid CO-RE relocation>$/m)
  })
})
