/**
 * Small helpers the spec files share: the test packet's bytes, an skb built from them, and catching
 * the UxdpError a call must throw.
 */
import { expect } from 'vitest'
import { Frame, UxdpError } from '../../lib/index'

/** The largest frame: 3520 linear bytes and 17 frags of 4096 (73152), so offsets above 0xffff exist. */
export const MAX_PACKET = 3520 + 17 * 4096

/** Bytes whose value tells their position, so a misplaced byte shows (crate/tests/common's pattern). */
export const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + Math.floor(i / 251)) & 0xff))

/** An skb (ifindex 2) made from a `len`-byte pattern packet, with `meta` as its metadata when given. */
export const skbOf = (len: number, meta?: Buffer) => Frame.fromBytes(pattern(len), meta ? { meta } : {}).toXdpFrame().toSkb({ ifindex: 2 })

/** The UxdpError `f` throws; fails the test when it throws nothing or something else. */
export function thrown(f: () => unknown): UxdpError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(UxdpError)
    return e as UxdpError
  }
  throw new Error('expected a UxdpError')
}

/** The errno name of the UxdpError `f` throws. */
export const code = (f: () => unknown): string => thrown(f).code
