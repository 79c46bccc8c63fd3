/** Linux errno numbers (x86-64) for the names the engine uses. `ENOTSUPP` (524) is kernel-internal
 * but is what `bpf_xdp_adjust_meta` returns. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ELOOP: 40,
  EBADRQC: 56,
  ENODATA: 61,
  EOVERFLOW: 75,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  ENETDOWN: 100,
  ENOTSUPP: 524,
} as const

export type ErrnoName = keyof typeof ERRNO

export interface UxdpErrorDetails {
  /** The helper or operation that failed, e.g. `bpf_xdp_adjust_tail`. */
  op?: string
  offset?: number
  length?: number
  /** The limit that was exceeded (tailroom, packet length, MAX_SKB_FRAGS, ...). */
  limit?: number
  /** True when the error is an internal bug (a Rust panic caught at the boundary). */
  panic?: boolean
}

/** An error as the kernel would report it: `code` is the errno name, `errno` the negative number a
 * helper returns, plus where it happened and against which limit. */
export class UxdpError extends Error implements UxdpErrorDetails {
  readonly code: ErrnoName
  readonly errno: number
  readonly op?: string
  readonly offset?: number
  readonly length?: number
  readonly limit?: number
  readonly panic?: boolean

  constructor(code: ErrnoName, message: string, details: UxdpErrorDetails = {}) {
    super(details.op ? `${details.op}: ${message} (${code})` : `${message} (${code})`)
    this.name = 'UxdpError'
    this.code = code
    this.errno = -ERRNO[code]
    for (const key of ['op', 'offset', 'length', 'limit', 'panic'] as const) {
      if (details[key] !== undefined) Object.defineProperty(this, key, { value: details[key], enumerable: true })
    }
  }

  /** The errno name for a helper's negative return value, if known. */
  static nameOf(retval: number): ErrnoName | undefined {
    return (Object.keys(ERRNO) as ErrnoName[]).find((k) => -ERRNO[k] === retval)
  }
}

interface NativeErrorPayload extends UxdpErrorDetails {
  uxdp: 1
  code: ErrnoName
  errno: number
  message: string
}

/** Turns an error thrown by the native binding into a `UxdpError`. Argument conversion errors from
 * N-API become EINVAL: they are bad input too. */
export function fromNative(e: unknown): unknown {
  if (!(e instanceof Error)) return e
  if (e.message.startsWith('{"uxdp":1')) {
    const p = JSON.parse(e.message) as NativeErrorPayload
    return new UxdpError(p.code, p.message, { op: p.op, offset: p.offset, length: p.length, limit: p.limit, panic: p.panic })
  }
  const code = (e as { code?: unknown }).code
  if (typeof code === 'string' && /^(InvalidArg|NumberExpected|StringExpected|ObjectExpected|ArrayExpected|BigintExpected)$/.test(code)) {
    return new UxdpError('EINVAL', e.message)
  }
  return e
}

/** Calls into the binding, translating its errors. */
export function call<T>(f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw fromNative(e)
  }
}

export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UxdpError('EINVAL', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}

export const checkU32 = (name: string, v: unknown) => checkInt(name, v, 0, 0xffffffff)
export const checkI32 = (name: string, v: unknown) => checkInt(name, v, -0x80000000, 0x7fffffff)

export function checkBytes(name: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new UxdpError('EINVAL', `${name} must be a Buffer or Uint8Array`)
  return value
}
