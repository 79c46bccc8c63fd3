import { native } from './native'
/** The errno names the engine and the facade report. The numbers are the engine's (`Errno`,
 * crate/src/errno.rs: Linux x86-64, plus the kernel-internal `ENOTSUPP` = 524 that
 * `bpf_xdp_adjust_meta` returns); this union only gives the names a type. */
export type ErrnoName =
  | 'EPERM'
  | 'ENOENT'
  | 'ESRCH'
  | 'EINTR'
  | 'EIO'
  | 'ENXIO'
  | 'E2BIG'
  | 'EBADF'
  | 'EAGAIN'
  | 'ENOMEM'
  | 'EACCES'
  | 'EFAULT'
  | 'EBUSY'
  | 'EEXIST'
  | 'ENODEV'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'EINVAL'
  | 'EMFILE'
  | 'ENOSPC'
  | 'EROFS'
  | 'EPIPE'
  | 'ERANGE'
  | 'ENAMETOOLONG'
  | 'ELOOP'
  | 'EBADRQC'
  | 'ENODATA'
  | 'EOVERFLOW'
  | 'ENOTSOCK'
  | 'EMSGSIZE'
  | 'EPROTONOSUPPORT'
  | 'EOPNOTSUPP'
  | 'EAFNOSUPPORT'
  | 'ENETDOWN'
  | 'ENOBUFS'
  | 'ETIMEDOUT'
  | 'EALREADY'
  | 'ENOTSUPP'

/** Linux errno numbers (x86-64) by name, from the engine's table. */
export const ERRNO: Readonly<Record<ErrnoName, number>> = Object.freeze(
  Object.fromEntries(native.errnoTable().map((e) => [e.name, e.value])) as Record<ErrnoName, number>,
)

export interface UxdpErrorDetails {
  /** The helper or operation that failed, e.g. `bpf_xdp_adjust_tail`. */
  op?: string
  offset?: number
  length?: number
  /** The limit that was exceeded (tailroom, packet length, MAX_SKB_FRAGS, ...). */
  limit?: number
  /** True when the error is an internal bug (a Rust panic caught at the boundary). */
  panic?: boolean
  /** The instruction a load refusal or run fault is blamed on, and its text as the kernel's log prints it. */
  pc?: number
  insn?: string
  /** The program address a memory access faulted at. */
  addr?: bigint
  /** The program a load refusal is about, and the loader's log (what bpftool prints). */
  program?: string
  log?: string
  /**
   * A load refusal's own line, character for character: for a verifier refusal the kernel's
   * error line (`R2 !read_ok`, `R0 leaks addr as return value`), the last line of its log before
   * the stats. `message` wraps it as `bpf_prog_load: prog 'NAME': LINE (CODE)`.
   */
  line?: string
}

const DETAIL_KEYS = ['op', 'offset', 'length', 'limit', 'panic', 'pc', 'insn', 'addr', 'program', 'log', 'line'] as const

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
  readonly pc?: number
  readonly insn?: string
  readonly addr?: bigint
  readonly program?: string
  readonly log?: string
  readonly line?: string

  constructor(code: ErrnoName, message: string, details: UxdpErrorDetails = {}) {
    super(details.op ? `${details.op}: ${message} (${code})` : `${message} (${code})`)
    this.name = 'UxdpError'
    this.code = code
    this.errno = -ERRNO[code]
    for (const key of DETAIL_KEYS) {
      if (details[key] !== undefined) Object.defineProperty(this, key, { value: details[key], enumerable: true })
    }
  }

  /** The errno name for a helper's negative return value, if known. */
  static nameOf(retval: number): ErrnoName | undefined {
    return (Object.keys(ERRNO) as ErrnoName[]).find((k) => -ERRNO[k] === retval)
  }
}

/** Turns an error thrown by the native binding into a `UxdpError`: the binding throws engine errors
 * as `Error`s whose own properties carry the errno name and number and the detail. Argument
 * conversion errors from N-API become EINVAL: they are bad input too. */
export function fromNative(e: unknown): unknown {
  if (!(e instanceof Error)) return e
  const p = e as Error & Partial<Record<(typeof DETAIL_KEYS)[number] | 'code' | 'errno', unknown>>
  if (typeof p.code === 'string' && p.code in ERRNO && typeof p.errno === 'number') {
    const details: Record<string, unknown> = {}
    for (const key of DETAIL_KEYS) if (p[key] !== undefined) details[key] = p[key]
    return new UxdpError(p.code as ErrnoName, e.message, details as UxdpErrorDetails)
  }
  if (typeof p.code === 'string' && /^(InvalidArg|[A-Za-z]+Expected)$/.test(p.code)) {
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
    throw new UxdpError('EINVAL', `${name} must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? String(value) : describe(value)}`)
  }
  return value
}

export const checkU32 = (name: string, v: unknown) => checkInt(name, v, 0, 0xffffffff)
export const checkI32 = (name: string, v: unknown) => checkInt(name, v, -0x80000000, 0x7fffffff)

export function checkBytes(name: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new UxdpError('EINVAL', `${name} must be a Buffer or Uint8Array`)
  return value
}

/** How a bad value reads in a message: its type and, for short ones, the value. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${typeof value} ${String(value)}`
    case 'undefined':
      return 'undefined'
    case 'function':
      return 'a function'
    default:
      return value instanceof Uint8Array ? `a ${value.constructor.name}` : 'an object'
  }
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]
    d[0] = i
    for (let j = 1; j <= b.length; j++) {
      const t = d[j]
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1))
      prev = t
    }
  }
  return d[b.length]
}

/**
 * Checks an options argument: `undefined` is no options; anything else must be an object (not an
 * array, not a string) whose keys are all known. An unknown key is EINVAL naming the closest known
 * one, so that a typo (`linerLength`) is never silently ignored. Keys set to `undefined` are fine.
 */
export function checkOptions<T extends object>(what: string, options: unknown, known: readonly (keyof T & string)[]): Partial<T> {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object' || Array.isArray(options) || options instanceof Uint8Array) {
    throw new UxdpError('EINVAL', `${what}: options must be an object, got ${describe(options)}`)
  }
  for (const key of Object.keys(options)) {
    if ((known as readonly string[]).includes(key)) continue
    const near = [...known].sort((a, b) => editDistance(key, a) - editDistance(key, b))[0]
    const hint = near !== undefined && editDistance(key, near) <= Math.max(2, near.length / 3) ? ` (did you mean '${near}'?)` : ''
    throw new UxdpError('EINVAL', `${what}: unknown option '${key}'${hint}; the options are ${known.join(', ')}`)
  }
  return options as Partial<T>
}

/** An optional boolean option: undefined, true or false, nothing else. */
export function optBool(name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw new UxdpError('EINVAL', `${name} must be true or false, got ${describe(value)}`)
}

/** An optional integer option in [min, max]. */
export function optInt(name: string, value: unknown, min: number, max: number): number | undefined {
  return value === undefined ? undefined : checkInt(name, value, min, max)
}

/** An optional string option, one of `allowed` when given. */
export function optString<S extends string>(name: string, value: unknown, allowed?: readonly S[]): S | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || (allowed && !(allowed as readonly string[]).includes(value))) {
    throw new UxdpError('EINVAL', `${name} must be ${allowed ? `one of ${allowed.map((a) => `'${a}'`).join(', ')}` : 'a string'}, got ${describe(value)}`)
  }
  return value as S
}

/** A time budget in milliseconds: a non-negative finite number (fractions allowed). */
export function optMillis(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new UxdpError('EINVAL', `${name} must be a non-negative finite number of milliseconds, got ${describe(value)}`)
  }
  return value
}

/** Node's description of a system error code ("no such file or directory"), from its message. */
function systemDescription(e: NodeJS.ErrnoException): string {
  const m = /^[A-Z0-9]+: ([^,]+)/.exec(e.message)
  return m ? m[1] : e.message
}

/**
 * Turns an error thrown by Node's `fs` (or any error with a system `code`) into a `UxdpError`:
 * `${verb} ${path}: no such file or directory (ENOENT)`. Codes outside `ERRNO` become EIO with the
 * code in the message.
 */
export function fsError(e: unknown, verb: string, path: string): UxdpError {
  if (e instanceof UxdpError) return e
  const err = e as NodeJS.ErrnoException
  const code = typeof err?.code === 'string' ? err.code : undefined
  if (code && code in ERRNO) return new UxdpError(code as ErrnoName, `${verb} ${path}: ${systemDescription(err)}`)
  return new UxdpError('EIO', `${verb} ${path}: ${err instanceof Error ? systemDescription(err) : String(e)}${code ? ` [${code}]` : ''}`)
}

/** A required boolean argument. */
export function checkBool(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value
  throw new UxdpError('EINVAL', `${name} must be true or false, got ${describe(value)}`)
}
