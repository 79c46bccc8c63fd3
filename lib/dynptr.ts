import { call, checkBytes, checkOptions, checkU32, optString, UxdpError } from './errors'
import { Frame, Skb } from './frame'
import { native, type DynptrHandle } from './native'
import type { RingBuffer } from './ringbuf'
import { LOC_COPIED, LOC_NONE, REGION_CALLER_MEM, unpackLocation, ViewRegistry } from './views'

/** `DYNPTR_MAX_SIZE`: a dynptr covers at most 2^24 - 1 bytes. */
export const DYNPTR_MAX_SIZE = 0xffffff

export type DynptrKind = 'local' | 'ringbuf' | 'skb' | 'xdp' | 'skb_meta' | '<invalid>'

/** Program types, for the read-only rule of skb dynptrs. */
export type ProgType =
  | 'sched_cls'
  | 'sched_act'
  | 'xdp'
  | 'lwt_xmit'
  | 'sk_skb'
  | 'sk_msg'
  | 'cgroup_sockopt'
  | 'lwt_in'
  | 'lwt_out'
  | 'lwt_seg6local'
  | 'sk_reuseport'
  | 'flow_dissector'
  | 'cgroup_skb'
  | 'socket_filter'
  | 'netfilter'
  | 'tracing'

type Flags = bigint | number

function flagsOf(flags: Flags | undefined): bigint | undefined {
  if (flags === undefined) return undefined
  if (typeof flags === 'number') {
    if (!Number.isSafeInteger(flags) || flags < 0) throw new UxdpError('EINVAL', 'flags must be a non-negative safe integer or a bigint')
    return BigInt(flags)
  }
  if (typeof flags !== 'bigint' || flags < 0n || flags > 0xffffffffffffffffn) throw new UxdpError('EINVAL', 'flags must be an unsigned 64-bit value')
  return flags
}

/** @internal What a dynptr's bytes belong to, for views and invalidation. */
export type DynptrOwner =
  | { kind: 'mem'; mem: Uint8Array }
  | { kind: 'frame'; frame: Frame }
  | { kind: 'skb'; skb: Skb }
  | { kind: 'ring'; record: RingRecord }

/** @internal A reserved ring-buffer record, shared by a reservation and its clones. */
export class RingRecord {
  readonly views = new ViewRegistry(this)
  constructor(readonly ring: RingBuffer) {}
}

/**
 * A BPF dynamic pointer (`struct bpf_dynptr`) over a Buffer, a Frame (XDP), an Skb or a ring-buffer
 * record, with the kernel's kinds, limits and operations, and the seed's convenience API. Failures
 * throw `UxdpError` with the kernel's errno.
 *
 * One memory model: writes change the Buffer, the frame's pages or the skb; slices are views of that
 * memory whenever the kernel's would be (a Buffer subarray, or an engine-memory view detached when
 * the memory may move), and copies otherwise.
 */
export class Dynptr {
  #h: DynptrHandle
  readonly #owner: DynptrOwner

  private constructor(handle: DynptrHandle, owner: DynptrOwner) {
    this.#h = handle
    this.#owner = owner
  }

  /** @internal */
  static wrap(handle: DynptrHandle, owner: DynptrOwner): Dynptr {
    return new Dynptr(handle, owner)
  }

  /** `bpf_dynptr_from_mem`: a LOCAL dynptr over `bytes` (any Uint8Array; the dynptr covers exactly
   * its range). E2BIG above 16 MiB - 1, EINVAL for flags. */
  static fromMem(bytes: Uint8Array, flags?: Flags): Dynptr {
    checkBytes('bytes', bytes)
    let mem: Uint8Array
    try {
      mem = new Uint8Array(bytes.buffer)
    } catch {
      throw new UxdpError('EINVAL', 'bytes is a view of a detached ArrayBuffer')
    }
    const h = call(() => native.dynptrFromMem(bytes.byteOffset, bytes.byteLength, flagsOf(flags)))
    return new Dynptr(h, { kind: 'mem', mem })
  }

  /** `bpf_dynptr_from_xdp`: the whole frame, linear part and frags, as long as it is now. */
  static fromXdp(frame: Frame, flags?: Flags): Dynptr {
    if (!(frame instanceof Frame)) throw new UxdpError('EINVAL', 'fromXdp takes a Frame')
    return new Dynptr(call(() => native.dynptrFromXdp(frame.handle, flagsOf(flags))), { kind: 'frame', frame })
  }

  /** `bpf_dynptr_from_skb`: `skb.len` bytes from the skb's data; read-only unless the program type
   * may write packets (default `sched_cls`, writable). */
  static fromSkb(skb: Skb, options: { flags?: Flags; progType?: ProgType } = {}): Dynptr {
    if (!(skb instanceof Skb)) throw new UxdpError('EINVAL', 'fromSkb takes an Skb')
    const o = checkOptions<{ flags: Flags; progType: ProgType }>('Dynptr.fromSkb', options, ['flags', 'progType'])
    const h = call(() => native.dynptrFromSkb(skb.handle, flagsOf(o.flags), optString('progType', o.progType) ?? 'sched_cls'))
    return new Dynptr(h, { kind: 'skb', skb })
  }

  /** `bpf_dynptr_from_skb_meta`: the skb's metadata area. */
  static fromSkbMeta(skb: Skb, flags?: Flags): Dynptr {
    if (!(skb instanceof Skb)) throw new UxdpError('EINVAL', 'fromSkbMeta takes an Skb')
    return new Dynptr(call(() => native.dynptrFromSkbMeta(skb.handle, flagsOf(flags))), { kind: 'skb', skb })
  }

  /** A null dynptr, as the kernel leaves in the slot of a failed constructor. */
  static null(): Dynptr {
    return new Dynptr(native.dynptrNull(), { kind: 'mem', mem: new Uint8Array(0) })
  }

  get #mem(): Uint8Array | undefined {
    return this.#owner.kind === 'mem' ? this.#owner.mem : undefined
  }

  #info() {
    return call(() => native.dynptrInfo(this.#h))
  }

  get kind(): DynptrKind {
    return this.#info().kind as DynptrKind
  }
  /** `bpf_dynptr_size`: the usable size; for a null dynptr the kernel's -EINVAL as a u32 (4294967274). */
  get size(): number {
    const i = this.#info()
    return i.isNull ? 0xffffffea : i.size
  }
  get offset(): number {
    return this.#info().offset
  }
  /** The 16 bytes' `size` field: size, kind in bits 28-30, read-only in bit 31. */
  get sizeField(): number {
    return this.#info().sizeField
  }
  /** The 16 bytes' `data` field: an address, or a handle for frames and skbs; 0 when null. */
  get dataField(): bigint {
    return this.#info().data
  }
  /** `bpf_dynptr_is_null`. */
  isNull(): boolean {
    return this.#info().isNull
  }
  /** `bpf_dynptr_is_rdonly` (false for a null dynptr). */
  isRdonly(): boolean {
    return this.#info().rdonly
  }

  /** `bpf_dynptr_read`: a copy of `length` bytes at `offset`. */
  read(offset: number, length: number, flags?: Flags): Buffer {
    checkU32('offset', offset)
    checkU32('length', length)
    if (length > DYNPTR_MAX_SIZE) {
      // Out of any dynptr's range: the kernel's checks, without allocating the buffer.
      call(() => native.dynptrCheckRead(this.#h, this.#mem, offset, length, flagsOf(flags)))
      throw new UxdpError('E2BIG', 'range is outside the dynptr', { op: 'bpf_dynptr_read', offset, length })
    }
    // Zeroed: a read can succeed without writing every byte (an xdp buffer whose frags hold
    // fewer bytes than xdp_frags_size says), and then the rest must not be stale memory.
    const out = Buffer.alloc(length)
    call(() => native.dynptrRead(this.#h, this.#mem, offset, out, flagsOf(flags)))
    return out
  }

  /** `bpf_dynptr_read` into a caller's buffer (its whole length). */
  readInto(offset: number, target: Uint8Array, flags?: Flags): void {
    checkU32('offset', offset)
    checkBytes('target', target)
    call(() => native.dynptrRead(this.#h, this.#mem, offset, target, flagsOf(flags)))
  }

  /** `bpf_dynptr_write`: EINVAL for a null or read-only dynptr, E2BIG out of range. Skb writes may
   * pull the range into the head (its views are detached first). */
  write(offset: number, bytes: Uint8Array, flags?: Flags): void {
    checkU32('offset', offset)
    checkBytes('bytes', bytes)
    this.#beforeWrite()
    call(() => native.dynptrWrite(this.#h, this.#mem, offset, bytes, flagsOf(flags)))
  }

  /** `bpf_dynptr_data`: a view of `length` bytes for memory and ring-buffer dynptrs, null for skb,
   * xdp (use `slice`), read-only and null dynptrs and out of range. */
  data(offset: number, length: number): Uint8Array | null {
    checkU32('offset', offset)
    checkU32('length', length)
    const loc = call(() => native.dynptrData(this.#h, this.#mem, offset, length))
    return loc === LOC_NONE ? null : this.#view(loc, length)
  }

  /** `bpf_dynptr_slice`: a view of `length` bytes at `offset` when the object allows it; else the
   * bytes copied into `buffer` (returned), or null without a buffer, out of range, or null dynptr. */
  slice(offset: number, length: number, buffer?: Uint8Array): Uint8Array | null {
    return this.#slice(offset, length, false, buffer)
  }

  /** `bpf_dynptr_slice_rdwr`: as `slice`, null for a read-only dynptr. Writes into a returned
   * `buffer` are not written back: use `write`. */
  sliceRdwr(offset: number, length: number, buffer?: Uint8Array): Uint8Array | null {
    return this.#slice(offset, length, true, buffer)
  }

  #slice(offset: number, length: number, rdwr: boolean, buffer?: Uint8Array): Uint8Array | null {
    checkU32('offset', offset)
    checkU32('length', length)
    if (buffer !== undefined) checkBytes('buffer', buffer)
    const loc = call(() => native.dynptrSlice(this.#h, this.#mem, offset, length, rdwr, buffer))
    if (loc === LOC_NONE) return null
    if (loc === LOC_COPIED) return buffer!.subarray(0, length)
    return this.#view(loc, length)
  }

  /** The view at a packed location: the caller's own memory, or a region of the owner's. */
  #view(loc: number, length: number): Uint8Array {
    const owner = this.#owner
    switch (owner.kind) {
      case 'mem': {
        const { region, offset } = unpackLocation(loc)
        if (region !== REGION_CALLER_MEM) throw new UxdpError('EFAULT', 'engine view for a memory dynptr')
        return owner.mem.subarray(offset, offset + length)
      }
      case 'frame':
        return owner.frame.regionView(loc, length)
      case 'skb':
        return owner.skb.regionView(loc, length)
      case 'ring':
        return owner.record.views.regionView(loc, length, () => call(() => native.dynptrRecordView(this.#h)))
    }
  }

  #beforeWrite(): void {
    if (this.#owner.kind === 'skb') this.#owner.skb.invalidateViews()
  }

  /** `bpf_dynptr_adjust(start, end)`: now covers `[start, end)` of what it covered. */
  adjust(start: number, end: number): void {
    checkU32('start', start)
    checkU32('end', end)
    call(() => native.dynptrAdjust(this.#h, start, end))
  }

  /** `bpf_dynptr_clone`; with an offset, the seed's clone advanced by `offset` (ERANGE past the
   * size). Clones share the object; their views are independent. */
  clone(offset?: number): Dynptr {
    if (offset === undefined) return new Dynptr(call(() => native.dynptrClone(this.#h)), this.#owner)
    checkU32('offset', offset)
    return new Dynptr(call(() => native.dynptrCloneAt(this.#h, offset)), this.#owner)
  }

  /** `bpf_dynptr_copy(dst=this, dstOffset, src, srcOffset, size)`, across any frags. */
  copyFrom(dstOffset: number, src: Dynptr, srcOffset: number, size: number): void {
    Dynptr.copy(this, dstOffset, src, srcOffset, size)
  }

  /** `bpf_dynptr_copy`. */
  static copy(dst: Dynptr, dstOffset: number, src: Dynptr, srcOffset: number, size: number): void {
    if (!(dst instanceof Dynptr) || !(src instanceof Dynptr)) throw new UxdpError('EINVAL', 'copy takes two Dynptrs')
    checkU32('dstOffset', dstOffset)
    checkU32('srcOffset', srcOffset)
    checkU32('size', size)
    dst.#beforeWrite()
    const [dm, sm] = [dst.#mem, src.#mem]
    const sameMem = dm !== undefined && sm !== undefined && dm.buffer === sm.buffer
    call(() => native.dynptrCopy(dst.#h, dm, dstOffset, src.#h, sameMem ? undefined : sm, srcOffset, size, sameMem))
  }

  /** `bpf_dynptr_memset`: `size` bytes of `value` at `offset`. */
  memset(offset: number, size: number, value: number): void {
    checkU32('offset', offset)
    checkU32('size', size)
    checkU32('value', value)
    this.#beforeWrite()
    call(() => native.dynptrMemset(this.#h, this.#mem, offset, size, value))
  }

  // -- the seed's convenience API (v2 "Dynptr convenience helpers"), kfuncs named after the seed

  /** `bpf_dynptr_advance`: offset += len, size -= len (ERANGE past the size, EINVAL if null). */
  advance(len: number): void {
    checkU32('len', len)
    call(() => native.dynptrAdvance(this.#h, len))
  }

  /** `bpf_dynptr_trim`: size -= len (ERANGE past the size, EINVAL if null). */
  trim(len: number): void {
    checkU32('len', len)
    call(() => native.dynptrTrim(this.#h, len))
  }

  /** `bpf_dynptr_get_size`: EINVAL for a null dynptr. */
  getSize(): number {
    return call(() => native.dynptrGetSize(this.#h))
  }

  /** `bpf_dynptr_get_offset`: EINVAL for a null dynptr. */
  getOffset(): number {
    return call(() => native.dynptrGetOffset(this.#h))
  }

  /** `bpf_dynptr_iterator`: calls `callback(view, ctx)` on a clone, advancing it by what the callback
   * returns, until it returns 0 or a negative value (returned as is) or more than is left (ERANGE).
   * Returns what the kernel helper returns: 0, -ERANGE, -EINVAL or the callback's error. This
   * dynptr is untouched. */
  iterator<C>(callback: (view: Dynptr, ctx: C) => number, ctx?: C, flags?: Flags): number {
    if (typeof callback !== 'function') throw new UxdpError('EINVAL', 'iterator takes a callback function')
    const owner = this.#owner
    return call(() => native.dynptrIterator(this.#h, flagsOf(flags), (h: DynptrHandle) => callback(new Dynptr(h, owner), ctx as C)))
  }

  // -- ring-buffer records

  /** `bpf_ringbuf_submit_dynptr`: commit the record; every clone becomes unusable. */
  submit(flags?: Flags): void {
    this.#commit(flags, false)
  }

  /** `bpf_ringbuf_discard_dynptr`: drop the record; every clone becomes unusable. */
  discard(flags?: Flags): void {
    this.#commit(flags, true)
  }

  #commit(flags: Flags | undefined, discard: boolean): void {
    const f = flagsOf(flags)
    if (this.#owner.kind === 'ring') this.#owner.record.views.invalidate()
    call(() => native.ringCommitDynptr(this.#h, f, discard))
    if (this.#owner.kind === 'ring') this.#owner.record.ring.committed()
  }
}

/** A function a BPF program can call on dynptrs, as declared. */
export interface DynptrFunction {
  name: string
  /** 'kernel': merged upstream; 'seed': the seed's convenience API (never merged), offered as a kfunc. */
  origin: 'kernel' | 'seed'
  /** The first kernel version with it. */
  since?: string
  /** The helper number the seed proposed before the helper freeze. */
  proposedHelper?: number
  /** Stable helpers' number; kfuncs have none. */
  helperId?: number
  /** Kfuncs' `KF_*` flags. */
  kfuncFlags?: number
  /** Argument kinds as the verifier checks them (Dynptr, DynptrUninit, U32, Mem, Size, ...). */
  args: string[]
  ret: 'Errno' | 'Bool' | 'U32' | 'MemOrNull' | 'Void'
  /** Program types offered it. */
  scope: 'all' | 'xdp' | 'skb' | 'tc'
  /** The `Dynptr` / `RingBuffer` method that performs it. */
  operation: string
}

/**
 * Every dynptr function: the kernel's helpers 197–203, its kfuncs up to 6.18, and the seed's
 * advance/trim/is_null/is_rdonly/get_size/get_offset/clone/iterator (proposed as helpers 214–221;
 * after the helper freeze, kfuncs named after the seed). `bpf_dynptr_is_null`, `_is_rdonly` and
 * `_clone` exist on both sides; the seed's clone takes an offset. Which side a program sees is for
 * the policy layer to decide.
 */
export function dynptrFunctions(): DynptrFunction[] {
  return native.dynptrFunctions().map((d) => ({
    name: d.name,
    origin: d.origin as DynptrFunction['origin'],
    ...(d.since != null && { since: d.since }),
    ...(d.proposedHelper != null && { proposedHelper: d.proposedHelper }),
    ...(d.helperId != null && { helperId: d.helperId }),
    ...(d.kfuncFlags != null && { kfuncFlags: d.kfuncFlags }),
    args: d.args,
    ret: d.ret as DynptrFunction['ret'],
    scope: d.scope as DynptrFunction['scope'],
    operation: d.operation,
  }))
}
