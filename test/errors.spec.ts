import { describe, expect, it } from 'vitest'
import { ERRNO, UxdpError } from '../lib/index'
import { native } from '../lib/native'
import { call } from '../lib/errors'

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
