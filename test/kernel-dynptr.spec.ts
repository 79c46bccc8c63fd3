/**
 * Kernel differential tests for dynptrs and the BPF ring buffer: small XDP programs
 * (test/kernel/dynptr_ops.bpf.c and ringbuf_ops.bpf.c, one compile-time sequence of steps per case,
 * see test/kernel/dynptr_steps.h) run by the running kernel's BPF_PROG_TEST_RUN, and the same steps
 * made through uxdp's Dynptr / RingBuffer API on a Frame built from the same bytes.
 *
 * Each step records what it observes (return codes, sizes, hashes of the bytes read or sliced, whether
 * a slice is the caller's buffer) into 8-byte slots in the XDP metadata area, which data_out returns
 * ahead of the packet. Both sides must agree on every slot, on the packet bytes afterwards and, for
 * ring buffers, on the records a consumer sees (ringbuf_harness.c consumes them with libbpf). Many
 * cases also pin the kernel's own answer (`want`, `check`), so the suite documents the semantics.
 * A last part plays producer/consumer sequences (test/kernel/ringbuf_poll.bpf.c, `ringbuf_harness
 * --poll`) to compare which records libbpf's ring_buffer__poll(rb, 0) sees after wakeups, and which
 * it leaves unread, with RingBuffer.poll.
 *
 * The kernel's answers are recorded (test/fixtures/kernel/kernel-dynptr.json, `npm run
 * kernel:record`), so this runs everywhere; where the kernel can be used live it is asked too and
 * what it answers differently is reported as a kernel-build difference (see helpers/kernel.ts).
 * Where the recording kernel refused a program that upstream 6.18 accepts (a known build
 * difference), the kernel answers a case pins (`want`, `check`, `records`) are checked on uxdp's.
 * UXDP_REQUIRE_KERNEL=1 fails when the live kernel cannot be asked.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Dynptr, Frame, PagePool, RingBuffer, UxdpError } from '../lib/index'
import { build, finishKernel, firstDifference, harness, ownPins, program, seededPattern, unlessKnownRefusal, useKernel } from './helpers/kernel'
import { MAX_PACKET } from './helpers/util'

const SLOTS = 27 // UXDP_SLOTS in dynptr_steps.h
const META = SLOTS * 8
const UXDP_BAD = 0xbad
const GBUF = 1024
const RING_SIZE = 4096

const EINVAL = -22
const E2BIG = -7
const EFAULT = -14
const ERANGE = -34
const EAGAIN = -11
/** bpf_dynptr_size of a null dynptr: -EINVAL as a u32. */
const NULL_SIZE = 0xffffffea
/** S_SLICE's first slot. */
const NULLP = 0
const DIRECT = 1
const BUFFER = 2

// ---------------------------------------------------------------------------------------------
// The kernel: recorded answers, the live kernel as a second opinion

const kernel = useKernel('kernel-dynptr')

if (!kernel.live && process.env.UXDP_REQUIRE_KERNEL) {
  describe('live kernel required (UXDP_REQUIRE_KERNEL is set)', () => {
    it('is available', () => {
      expect.fail(`the live kernel cannot be asked: ${kernel.liveReason}`)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Steps (see dynptr_steps.h and ringbuf_ops.bpf.c for their kernel side)

type Op =
  | 'xdp'
  | 'mem'
  | 'size'
  | 'null'
  | 'rdonly'
  | 'read'
  | 'write'
  | 'slice'
  | 'slicew'
  | 'adjust'
  | 'clone'
  | 'copy'
  | 'memset'
  | 'tail'
  | 'head'
  | 'ghash'
  | 'reserve'
  | 'submit'
  | 'discard'
  | 'output'
  | 'query'
type Step = [Op, ...number[]]

const xdp = (n: number, flags = 0): Step => ['xdp', n, flags]
const mem = (n: number, off: number, len: number): Step => ['mem', n, off, len]
const size = (n: number): Step => ['size', n]
const isNull = (n: number): Step => ['null', n]
const rdonly = (n: number): Step => ['rdonly', n]
const read = (n: number, off: number, len: number, flags = 0): Step => ['read', n, off, len, flags]
const write = (n: number, off: number, len: number, seed: number, flags = 0): Step => ['write', n, off, len, seed, flags]
const slice = (n: number, off: number, len: number, buf = 1): Step => ['slice', n, off, len, buf]
const slicew = (n: number, off: number, len: number, buf = 1): Step => ['slicew', n, off, len, buf]
const adjust = (n: number, start: number, end: number): Step => ['adjust', n, start, end]
const clone = (n: number, m: number): Step => ['clone', n, m]
const copy = (d: number, doff: number, s: number, soff: number, len: number): Step => ['copy', d, doff, s, soff, len]
const memset = (n: number, off: number, len: number, val: number): Step => ['memset', n, off, len, val]
const tail = (delta: number): Step => ['tail', delta]
const head = (delta: number): Step => ['head', delta]
const ghash = (): Step => ['ghash']
const reserve = (n: number, len: number, flags = 0): Step => ['reserve', n, len, flags]
const submit = (n: number, flags = 0): Step => ['submit', n, flags]
const discard = (n: number, flags = 0): Step => ['discard', n, flags]
const output = (off: number, len: number, flags = 0): Step => ['output', off, len, flags]
const query = (flags: number): Step => ['query', flags]

/** The slots each step records, in order. */
const OUTPUTS: Record<Op, string[]> = {
  xdp: ['ret'],
  mem: ['ret'],
  size: ['size'],
  null: ['null'],
  rdonly: ['rdonly'],
  read: ['ret', 'hash'],
  write: ['ret'],
  slice: ['kind', 'hash', 'buf'],
  slicew: ['kind', 'hash', 'buf'],
  adjust: ['ret'],
  clone: ['ret'],
  copy: ['ret'],
  memset: ['ret'],
  tail: ['ret'],
  head: ['ret'],
  ghash: ['hash'],
  reserve: ['ret'],
  submit: [],
  discard: [],
  output: ['ret'],
  query: ['value'],
}

const stepTitle = ([op, ...a]: Step) => `${op}(${a.join(',')})`

/** One entry per slot: key "<step index>.<output>" and a readable label. */
function slotsOf(steps: Step[]): { key: string; label: string }[] {
  return steps.flatMap((s, i) => OUTPUTS[s[0]].map((o) => ({ key: `${i}.${o}`, label: `#${i} ${stepTitle(s)}.${o}` })))
}

function cArg(v: number): string {
  if (!Number.isSafeInteger(v)) throw new Error(`step argument ${v} is not an integer`)
  if (v < 0) return `(${v})`
  return v > 0x7fffffff ? `${v}ULL` : `${v}`
}

/** The -DSTEPS=... macro list. */
function stepsMacro(steps: Step[]): string {
  return steps.map(([op, ...a]) => `S_${op.toUpperCase()}(${a.map(cArg).join(',')})`).join(' ')
}

/** FNV-1a, 32 bits: uxdp_fnv() in dynptr_steps.h. */
function fnv(b: Uint8Array): number {
  let h = 2166136261
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 16777619) >>> 0
  return h
}

/** The map value LOCAL dynptrs live on: the program fills it with i * 7 + 3 at every run. */
function freshGbuf(): Buffer {
  const g = Buffer.alloc(GBUF)
  for (let i = 0; i < GBUF; i++) g[i] = (i * 7 + 3) & 0xff
  return g
}

const seq = (seed: number, len: number) => Buffer.from(Array.from({ length: len }, (_, i) => (seed + i) & 0xff))

function fmtVal(v: number): string {
  if (v < 0) return `${v} (${UxdpError.nameOf(v) ?? '?'})`
  return `${v}`
}

function show(slots: { label: string }[], values: number[]): string[] {
  const n = Math.max(slots.length, values.length)
  return Array.from({ length: n }, (_, i) => `${slots[i]?.label ?? `#? extra slot ${i}`} = ${i < values.length ? fmtVal(values[i]) : '(missing)'}`)
}

/** The kernel's slots: data_out starts with the metadata area. */
function decodeSlots(out: Buffer, retval: number): number[] {
  expect(retval, 'the program ran out of metadata slots (UXDP_BAD)').not.toBe(UXDP_BAD)
  expect(retval).toBeLessThanOrEqual(SLOTS)
  return Array.from({ length: retval }, (_, i) => Number(out.readBigInt64LE(i * 8)))
}

function encodeSlots(values: number[]): Buffer {
  const b = Buffer.alloc(META)
  values.forEach((v, i) => b.writeBigInt64LE(BigInt(v), i * 8))
  return b
}

// ---------------------------------------------------------------------------------------------
// The uxdp side: the same steps through the TypeScript API

interface Env {
  frame: Frame
  gbuf: Buffer
  ring?: RingBuffer
  p: (Dynptr | undefined)[]
}

function errnoOf(f: () => void): number {
  try {
    f()
    return 0
  } catch (e) {
    if (e instanceof UxdpError) return e.errno
    throw e
  }
}

/** Runs the steps on uxdp and returns the slots the kernel program would record. */
function mirror(steps: Step[], env: Env): number[] {
  const res: number[] = []
  const R = (v: number) => res.push(v)
  const { p, gbuf } = env
  const ptr = (n: number): Dynptr => {
    const d = p[n]
    if (!d) throw new Error(`test bug: p${n} used before a constructor`)
    return d
  }
  const ring = (): RingBuffer => {
    if (!env.ring) throw new Error('test bug: ring step without a ring')
    return env.ring
  }
  for (const s of steps) {
    const [op, a = 0, b = 0, c = 0, d = 0, e = 0] = s
    switch (op) {
      case 'xdp':
        // a failed constructor leaves a null dynptr in the kernel's slot
        R(errnoOf(() => ((p[a] = Dynptr.null()), (p[a] = Dynptr.fromXdp(env.frame, b)))))
        break
      case 'mem':
        R(errnoOf(() => ((p[a] = Dynptr.null()), (p[a] = Dynptr.fromMem(gbuf.subarray(b, b + c))))))
        break
      case 'size':
        R(ptr(a).size)
        break
      case 'null':
        R(ptr(a).isNull() ? 1 : 0)
        break
      case 'rdonly':
        R(ptr(a).isRdonly() ? 1 : 0)
        break
      case 'read': {
        const buf = Buffer.alloc(Math.max(c, 1), 0xee)
        R(errnoOf(() => ptr(a).readInto(b, buf.subarray(0, c), d)))
        R(fnv(buf))
        break
      }
      case 'write': {
        const bytes = seq(d, Math.max(c, 1)).subarray(0, c)
        R(errnoOf(() => ptr(a).write(b, bytes, e)))
        break
      }
      case 'slice':
      case 'slicew': {
        const buf = d ? new Uint8Array(c).fill(0xee) : undefined
        const v = op === 'slice' ? ptr(a).slice(b, c, buf) : ptr(a).sliceRdwr(b, c, buf)
        if (!v) {
          R(NULLP)
          R(0)
        } else {
          R(buf && v.buffer === buf.buffer && v.byteOffset === buf.byteOffset ? BUFFER : DIRECT)
          if (op === 'slicew') for (let i = 0; i < c; i++) v[i] ^= 0xff
          R(fnv(v.subarray(0, c)))
        }
        R(buf ? fnv(buf) : 0)
        break
      }
      case 'adjust':
        R(errnoOf(() => ptr(a).adjust(b, c)))
        break
      case 'clone': {
        const src = ptr(a)
        R(errnoOf(() => ((p[b] = Dynptr.null()), (p[b] = src.clone()))))
        break
      }
      case 'copy':
        R(errnoOf(() => Dynptr.copy(ptr(a), b, ptr(c), d, e)))
        break
      case 'memset':
        R(errnoOf(() => ptr(a).memset(b, c, d)))
        break
      case 'tail':
        R(errnoOf(() => env.frame.adjustTail(a)))
        break
      case 'head':
        R(errnoOf(() => env.frame.adjustHead(a)))
        break
      case 'ghash':
        R(fnv(gbuf))
        break
      case 'reserve':
        R(errnoOf(() => ((p[a] = Dynptr.null()), (p[a] = ring().reserve(b, c)))))
        break
      case 'submit':
        ptr(a).submit(b) // void in the kernel: nothing to record, and it must not throw
        break
      case 'discard':
        ptr(a).discard(b)
        break
      case 'output':
        R(errnoOf(() => ring().output(gbuf.subarray(a, a + b), c)))
        break
      case 'query':
        R(Number(ring().query(a)))
        break
    }
  }
  return res
}

const pool = new PagePool()

/** One run on uxdp: a frame as test_run builds it (with the metadata area), the steps, the bytes. */
function uxdpRun(packet: Buffer, steps: Step[], ring?: RingBuffer): { slots: number[]; out: Buffer } {
  const frame = Frame.fromBytes(packet, { pool, meta: Buffer.alloc(META) })
  try {
    const slots = mirror(steps, { frame, gbuf: freshGbuf(), ring, p: [] })
    return { slots, out: frame.toBytes() }
  } finally {
    frame.release()
  }
}

// ---------------------------------------------------------------------------------------------
// Cases

interface Case {
  name: string
  size: number
  steps: Step[]
  seed?: number
  /** The kernel's answers for some slots, by "<step index>.<output>". */
  want?: (packet: Buffer) => Record<string, number>
  /** Checks on the kernel's packet bytes afterwards. */
  check?: (out: Buffer, packet: Buffer) => void
}

function slotValue(slots: { key: string }[], values: number[], key: string): number | undefined {
  const i = slots.findIndex((s) => s.key === key)
  if (i < 0) throw new Error(`test bug: no slot ${key}`)
  return values[i]
}

function checkWant(c: { steps: Step[]; want?: Case['want'] }, packet: Buffer, values: number[]) {
  if (!c.want) return
  const slots = slotsOf(c.steps)
  const want = c.want(packet)
  const got = Object.fromEntries(Object.keys(want).map((k) => [k, slotValue(slots, values, k)]))
  expect(got, 'the kernel answers as documented').toEqual(want)
}

function runCase(c: Case) {
  const packet = seededPattern(c.size, c.seed ?? c.size)
  const k = unlessKnownRefusal(() => program('dynptr_ops.bpf.c', { STEPS: stepsMacro(c.steps) }).run(packet, { meta: Buffer.alloc(META) }))
  if (!k) {
    // no recorded run: the kernel answers the case pins, on uxdp's
    const x = uxdpRun(packet, c.steps)
    checkWant(c, packet, x.slots)
    c.check?.(x.out, packet)
    return
  }
  if (!k.ok) throw new Error(`BPF_PROG_TEST_RUN failed: ${k.message}`)
  const kSlots = decodeSlots(k.out, k.retval)
  const kOut = k.out.subarray(META)
  const slots = slotsOf(c.steps)
  expect(kSlots.length, 'the kernel recorded one slot per output').toBe(slots.length)
  checkWant(c, packet, kSlots)
  c.check?.(kOut, packet)

  const x = uxdpRun(packet, c.steps)
  expect.soft(show(slots, x.slots), 'slots: uxdp (received) vs kernel (expected)').toEqual(show(slots, kSlots))
  expect.soft(firstDifference(kOut, x.out), 'packet bytes after the program (kernel data_out vs uxdp)').toBe('')
  expect.soft(k.out.subarray(0, META).equals(encodeSlots(kSlots)), 'unused metadata slots stay zero').toBe(true)
}

const h = (b: Uint8Array) => fnv(b)
const ee = (n: number) => Buffer.alloc(n, 0xee)
/** A packet with `bytes` written at `off`. */
function patched(packet: Buffer, off: number, bytes: Uint8Array): Buffer {
  const b = Buffer.from(packet)
  b.set(bytes, off)
  return b
}
/** bpf_dynptr_copy's chunked path between two ranges of one packet: 256-byte read-then-write chunks,
 * stopping where the xdp helpers fail (offset above 0xffff or past `end`). */
function chunkedCopy(packet: Buffer, dst: number, src: number, len: number, end = packet.length): Buffer {
  const b = Buffer.from(packet)
  for (let off = 0; off < len; off += 256) {
    const n = Math.min(256, len - off)
    if (src + off > 0xffff || src + off + n > end) break
    const chunk = Buffer.from(b.subarray(src + off, src + off + n))
    if (dst + off > 0xffff || dst + off + n > end) break
    chunk.copy(b, dst + off)
  }
  return b
}
function filled(packet: Buffer, off: number, len: number, val: number): Buffer {
  const b = Buffer.from(packet)
  b.fill(val, off, off + len)
  return b
}
const expectBytes = (out: Buffer, exp: Buffer) => expect(firstDifference(out, exp, ['kernel', 'expected']), 'kernel data_out vs the expected bytes').toBe('')

const SIZES = [64, 1500, 3520, 3521, 7616, 7617, 9000, MAX_PACKET]

const fromXdpCases: Case[] = [
  ...SIZES.map(
    (n): Case => ({
      name: `${n} B: size == the whole packet, not null, writable; the last byte and one past it`,
      size: n,
      steps: [xdp(0), size(0), isNull(0), rdonly(0), read(0, n - 1, 1), read(0, n, 1), read(0, n, 0)],
      want: (pk) => ({
        '0.ret': 0,
        '1.size': n,
        '2.null': 0,
        '3.rdonly': 0,
        '4.ret': n - 1 > 0xffff ? EFAULT : 0,
        '4.hash': n - 1 > 0xffff ? h(ee(1)) : h(pk.subarray(n - 1)),
        '5.ret': E2BIG,
        '6.ret': n > 0xffff ? EFAULT : 0,
      }),
    }),
  ),
  {
    name: '9000 B: flags 1 -> EINVAL and a null dynptr; every operation on it',
    size: 9000,
    steps: [
      xdp(0, 1),
      isNull(0),
      size(0),
      rdonly(0),
      read(0, 0, 4),
      write(0, 0, 4, 1),
      slice(0, 0, 4),
      slicew(0, 0, 4, 0),
      adjust(0, 0, 0),
      clone(0, 1),
      isNull(1),
      size(1),
      read(0, 0, 0),
      write(0, 0, 0, 1),
    ],
    want: () => ({
      '0.ret': EINVAL,
      '1.null': 1,
      '2.size': NULL_SIZE,
      '3.rdonly': 0,
      '4.ret': EINVAL,
      '5.ret': EINVAL,
      '6.kind': NULLP,
      '7.kind': NULLP,
      '8.ret': EINVAL,
      '9.ret': EINVAL,
      '10.null': 1,
      '11.size': NULL_SIZE,
      '12.ret': EINVAL,
      '13.ret': EINVAL,
    }),
    check: (out, pk) => expectBytes(out, pk),
  },
  {
    name: '9000 B: copy and memset with a null dynptr (the kernel checks bounds against size 0 after the slices fail)',
    size: 9000,
    steps: [xdp(0, 1), xdp(1), xdp(2, 1), memset(0, 0, 0, 1), memset(0, 0, 1, 1), copy(0, 0, 1, 0, 1), copy(1, 0, 0, 0, 1), copy(0, 0, 2, 0, 1), copy(0, 0, 2, 0, 0), copy(0, 0, 1, 0, 0), copy(1, 0, 0, 0, 0)],
    want: () => ({
      '3.ret': 0,
      '4.ret': E2BIG,
      '5.ret': EINVAL, // src slice direct -> __bpf_dynptr_write(null dst)
      '6.ret': EINVAL, // dst slice direct -> __bpf_dynptr_read(null src)
      '7.ret': E2BIG, // neither slice -> bounds against size 0
      '8.ret': 0,
      '9.ret': EINVAL,
      '10.ret': EINVAL,
    }),
    check: (out, pk) => expectBytes(out, pk),
  },
  {
    name: '9000 B: flags with only high bits (1 << 32) -> EINVAL too; flags 0 after it works',
    size: 9000,
    steps: [xdp(0, 2 ** 32), isNull(0), size(0), xdp(0, 0), isNull(0), size(0)],
    want: () => ({ '0.ret': EINVAL, '1.null': 1, '2.size': NULL_SIZE, '3.ret': 0, '4.null': 0, '5.size': 9000 }),
  },
]

const readWriteCases: Case[] = [
  {
    name: '9000 B: reads across linear|frag (3510+20), frag|frag (7606+20), at the edges, past the end, with flags',
    size: 9000,
    steps: [
      xdp(0),
      read(0, 3510, 20),
      read(0, 7606, 20),
      read(0, 0, 256),
      read(0, 3264, 256),
      read(0, 3519, 2),
      read(0, 8990, 10),
      read(0, 8991, 10),
      read(0, 9000, 0),
      read(0, 9001, 0),
      read(0, 0, 4, 1),
      read(0, 0xffffffff, 1),
      read(0, 8999, 0xff),
    ],
    want: (pk) => ({
      '1.ret': 0,
      '1.hash': h(pk.subarray(3510, 3530)),
      '2.ret': 0,
      '2.hash': h(pk.subarray(7606, 7626)),
      '3.hash': h(pk.subarray(0, 256)),
      '4.hash': h(pk.subarray(3264, 3520)),
      '5.hash': h(pk.subarray(3519, 3521)),
      '6.hash': h(pk.subarray(8990, 9000)),
      '7.ret': E2BIG,
      '8.ret': 0,
      '9.ret': E2BIG,
      '10.ret': EINVAL,
      '11.ret': E2BIG,
      '12.ret': E2BIG,
    }),
  },
  {
    name: '9000 B: writes across linear|frag and frag|frag, read back; past the end; flags != 0',
    size: 9000,
    steps: [
      xdp(0),
      write(0, 3510, 20, 1),
      write(0, 7606, 20, 100),
      read(0, 3500, 40),
      read(0, 7600, 40),
      write(0, 8990, 11, 0),
      write(0, 0, 4, 0, 1),
      write(0, 8999, 2, 0, 1),
      write(0, 9000, 0, 0),
      write(0, 8996, 4, 200),
      write(0, 0, 0, 0, 2),
    ],
    want: (pk) => {
      const after = patched(patched(pk, 3510, seq(1, 20)), 7606, seq(100, 20))
      return {
        '1.ret': 0,
        '2.ret': 0,
        '3.hash': h(after.subarray(3500, 3540)),
        '4.hash': h(after.subarray(7600, 7640)),
        '5.ret': E2BIG,
        '6.ret': EINVAL,
        '7.ret': E2BIG, // bounds are checked before the flags
        '8.ret': 0,
        '9.ret': 0,
        '10.ret': EINVAL,
      }
    },
    check: (out, pk) => expectBytes(out, patched(patched(patched(pk, 3510, seq(1, 20)), 7606, seq(100, 20)), 8996, seq(200, 4))),
  },
  {
    name: '73152 B: offsets above 0xffff fail with EFAULT from the xdp helpers (also through an adjusted dynptr)',
    size: MAX_PACKET,
    steps: [
      xdp(0),
      read(0, 0xffff, 1),
      read(0, 65530, 16),
      read(0, 0x10000, 1),
      read(0, 73136, 16),
      read(0, MAX_PACKET, 0),
      read(0, MAX_PACKET + 1, 0),
      write(0, 70000, 8, 1),
      write(0, 65530, 16, 1),
      write(0, 0x10000, 0, 1),
      adjust(0, 60000, MAX_PACKET),
      size(0),
      read(0, 5535, 1),
      read(0, 5536, 1),
      read(0, 13136, 16),
      read(0, 13137, 16),
    ],
    want: (pk) => ({
      '1.ret': 0,
      '2.ret': 0,
      '2.hash': h(pk.subarray(65530, 65546)),
      '3.ret': EFAULT,
      '3.hash': h(ee(1)),
      '4.ret': EFAULT,
      '5.ret': EFAULT,
      '6.ret': E2BIG,
      '7.ret': EFAULT,
      '8.ret': 0,
      '9.ret': EFAULT,
      '10.ret': 0,
      '11.size': MAX_PACKET - 60000,
      '12.ret': 0,
      '13.ret': EFAULT,
      '14.ret': EFAULT,
      '15.ret': E2BIG,
    }),
    check: (out, pk) => expectBytes(out, patched(pk, 65530, seq(1, 16))),
  },
  {
    name: '64 B: a linear-only packet: reads, writes and bounds',
    size: 64,
    steps: [xdp(0), read(0, 0, 64), read(0, 60, 8), write(0, 56, 8, 9), read(0, 56, 8), write(0, 57, 8, 9), read(0, 0x10000, 1)],
    want: (pk) => ({ '1.hash': h(pk), '2.ret': E2BIG, '3.ret': 0, '4.hash': h(seq(9, 8)), '5.ret': E2BIG, '6.ret': E2BIG }),
  },
]

const localCases: Case[] = [
  {
    name: 'LOCAL dynptr over a map value: size, read/write with bounds and flags, slices are always direct (also rdwr, persisting)',
    size: 64,
    steps: [
      mem(1, 100, 200),
      size(1),
      rdonly(1),
      read(1, 0, 200),
      read(1, 190, 11),
      read(1, 0, 4, 1),
      write(1, 196, 4, 77),
      write(1, 197, 4, 77),
      write(1, 0, 4, 77, 1),
      slice(1, 10, 64, 1),
      slice(1, 150, 64, 1),
      slicew(1, 20, 16, 1),
      adjust(1, 50, 150),
      read(1, 0, 16),
      ghash(),
    ],
    want: () => {
      const g = freshGbuf()
      const r3 = h(g.subarray(100, 300))
      seq(77, 4).copy(g, 296)
      const s9 = h(g.subarray(110, 174))
      for (let i = 120; i < 136; i++) g[i] ^= 0xff
      return {
        '0.ret': 0,
        '1.size': 200,
        '2.rdonly': 0,
        '3.hash': r3,
        '4.ret': E2BIG,
        '5.ret': EINVAL,
        '6.ret': 0,
        '7.ret': E2BIG,
        '8.ret': EINVAL,
        '9.kind': DIRECT,
        '9.hash': s9,
        '10.kind': NULLP,
        '10.buf': h(ee(64)),
        '11.kind': DIRECT,
        '12.ret': 0,
        '13.hash': h(g.subarray(150, 166)),
        '14.hash': h(g),
      }
    },
  },
]

const headCases: Case[] = [
  {
    name: '9000 B: after bpf_xdp_adjust_head the dynptr keeps its size but its offsets follow the new data start',
    size: 9000,
    // the 216-byte metadata area leaves no headroom to push below the original start: head(-20) fails
    steps: [xdp(0), read(0, 0, 16), head(14), size(0), read(0, 0, 16), read(0, 8980, 6), read(0, 8986, 6), read(0, 8995, 10), head(-10), read(0, 0, 16), read(0, 3512, 20), slice(0, 3516, 20, 1), head(-20), xdp(1), size(1)],
    want: (pk) => ({
      '1.hash': h(pk.subarray(0, 16)),
      '2.ret': 0,
      '3.size': 9000,
      '4.hash': h(pk.subarray(14, 30)),
      '5.ret': 0,
      '5.hash': h(pk.subarray(8994, 9000)),
      '6.ret': EINVAL,
      '7.ret': E2BIG,
      '8.ret': 0,
      // bytes 4..14 of the original packet held the end of the metadata area after head(14) moved it
      // forward over them (memmove, never cleared): unused slots, zero
      '9.hash': h(Buffer.concat([Buffer.alloc(10), pk.subarray(14, 20)])),
      '10.ret': 0,
      '10.hash': h(pk.subarray(3516, 3536)),
      '11.kind': DIRECT,
      '11.hash': h(pk.subarray(3520, 3540)),
      '12.ret': EINVAL,
      '14.size': 8996,
    }),
    check: (out, pk) => expectBytes(out, Buffer.concat([Buffer.alloc(10), pk.subarray(14)])),
  },
]

const sliceCases: Case[] = [
  {
    name: '9000 B: bpf_dynptr_slice: direct when contiguous, the buffer across boundaries, NULL without one, NULL out of range',
    size: 9000,
    steps: [
      xdp(0),
      slice(0, 100, 32, 0),
      slice(0, 100, 32, 1),
      slice(0, 3510, 20, 1),
      slice(0, 3510, 20, 0),
      slice(0, 7606, 20, 1),
      slice(0, 5000, 32, 1),
      slice(0, 3488, 32, 0),
      slice(0, 8990, 20, 1),
    ],
    want: (pk) => ({
      '1.kind': DIRECT,
      '1.hash': h(pk.subarray(100, 132)),
      '2.kind': DIRECT,
      '2.buf': h(ee(32)),
      '3.kind': BUFFER,
      '3.hash': h(pk.subarray(3510, 3530)),
      '4.kind': NULLP,
      '5.kind': BUFFER,
      '5.hash': h(pk.subarray(7606, 7626)),
      '6.kind': DIRECT,
      '6.buf': h(ee(32)),
      '7.kind': DIRECT,
      '8.kind': NULLP,
      '8.buf': h(ee(20)),
    }),
  },
  {
    name: '9000 B: more slices: frag start, the last bytes, after adjust (offsets add up), len 64',
    size: 9000,
    steps: [xdp(0), slice(0, 3520, 32, 0), slice(0, 8968, 32, 0), slice(0, 7552, 64, 1), slice(0, 7553, 64, 1), adjust(0, 3500, 9000), size(0), slice(0, 10, 20, 1), slice(0, 30, 16, 0), slice(0, 5480, 20, 1), slice(0, 5481, 20, 1)],
    want: (pk) => ({
      '1.kind': DIRECT,
      '2.kind': DIRECT,
      '2.hash': h(pk.subarray(8968)),
      '3.kind': DIRECT,
      '4.kind': BUFFER,
      '4.hash': h(pk.subarray(7553, 7617)),
      '6.size': 5500,
      '7.kind': BUFFER,
      '7.hash': h(pk.subarray(3510, 3530)),
      '8.kind': DIRECT,
      '8.hash': h(pk.subarray(3530, 3546)),
      '9.kind': DIRECT,
      '9.hash': h(pk.subarray(8980, 9000)),
      '10.kind': NULLP,
    }),
  },
  {
    name: '9000 B: bpf_dynptr_slice_rdwr: writes through a direct slice persist, through the buffer they do not',
    size: 9000,
    steps: [xdp(0), slicew(0, 200, 16, 0), slicew(0, 3510, 20, 1), slicew(0, 6000, 16, 1), slicew(0, 3510, 20, 0), slicew(0, 9000, 1, 1), read(0, 200, 16), read(0, 3510, 20)],
    want: (pk) => ({
      '1.kind': DIRECT,
      '2.kind': BUFFER,
      '3.kind': DIRECT,
      '4.kind': NULLP,
      '5.kind': NULLP,
      '6.hash': h(pk.subarray(200, 216).map((x) => x ^ 0xff)),
      '7.hash': h(pk.subarray(3510, 3530)),
    }),
    check: (out, pk) => {
      const exp = Buffer.from(pk)
      for (let i = 200; i < 216; i++) exp[i] ^= 0xff
      for (let i = 6000; i < 6016; i++) exp[i] ^= 0xff
      expectBytes(out, exp)
    },
  },
  {
    name: '73152 B: above 0xffff a slice is never direct (bpf_xdp_pointer fails): the buffer gets a copy, NULL without one',
    size: MAX_PACKET,
    steps: [
      xdp(0),
      slice(0, 70000, 32, 1),
      slice(0, 70000, 32, 0),
      slice(0, 65530, 16, 0),
      slice(0, 65536, 16, 1),
      slice(0, 69050, 16, 1),
      slice(0, 73136, 16, 1),
      slice(0, 73140, 16, 1),
      slicew(0, 70000, 32, 1),
    ],
    want: (pk) => ({
      '1.kind': BUFFER,
      '1.hash': h(pk.subarray(70000, 70032)),
      '2.kind': NULLP,
      '3.kind': DIRECT,
      '3.hash': h(pk.subarray(65530, 65546)),
      '4.kind': BUFFER,
      '4.hash': h(pk.subarray(65536, 65552)),
      '5.kind': BUFFER,
      '5.hash': h(pk.subarray(69050, 69066)),
      '6.kind': BUFFER,
      '6.hash': h(pk.subarray(73136)),
      '7.kind': NULLP,
      '8.kind': BUFFER,
    }),
    check: (out, pk) => expectBytes(out, pk),
  },
]

const adjustCloneCases: Case[] = [
  {
    name: '9000 B: adjust (EINVAL start > end, ERANGE past the size), clone keeps size and offset, clones adjust independently',
    size: 9000,
    steps: [
      xdp(0),
      adjust(0, 10, 5),
      adjust(0, 0, 9001),
      adjust(0, 9001, 9001),
      adjust(0, 9001, 9000),
      adjust(0, 100, 8100),
      size(0),
      read(0, 0, 16),
      clone(0, 1),
      size(1),
      read(1, 0, 16),
      adjust(1, 3410, 3430),
      size(1),
      read(1, 0, 20),
      read(1, 1, 20),
      size(0),
      adjust(0, 8000, 8000),
      size(0),
      read(0, 0, 0),
      read(0, 0, 1),
      adjust(0, 0, 1),
    ],
    want: (pk) => ({
      '1.ret': EINVAL,
      '2.ret': ERANGE,
      '3.ret': ERANGE,
      '4.ret': EINVAL,
      '5.ret': 0,
      '6.size': 8000,
      '7.hash': h(pk.subarray(100, 116)),
      '8.ret': 0,
      '9.size': 8000,
      '10.hash': h(pk.subarray(100, 116)),
      '12.size': 20,
      '13.hash': h(pk.subarray(3510, 3530)),
      '14.ret': E2BIG,
      '15.size': 8000,
      '17.size': 0,
      '18.ret': 0,
      '19.ret': E2BIG,
      '20.ret': ERANGE,
    }),
  },
  {
    name: '9000 B: a null dynptr: size, adjust and clone fail; the clone slot is null too',
    size: 9000,
    steps: [xdp(0), clone(0, 1), xdp(2, 1), size(2), adjust(2, 0, 0), clone(2, 3), isNull(3), size(3), rdonly(3), clone(2, 1), isNull(1), size(1)],
    want: () => ({ '1.ret': 0, '3.size': NULL_SIZE, '4.ret': EINVAL, '5.ret': EINVAL, '6.null': 1, '7.size': NULL_SIZE, '8.rdonly': 0, '9.ret': EINVAL, '10.null': 1, '11.size': NULL_SIZE }),
  },
]

const copyCases: Case[] = [
  {
    name: '9000 B: copy between two xdp dynptrs, both direct (linear, overlapping, inside frags)',
    size: 9000,
    steps: [xdp(0), xdp(1), copy(1, 100, 0, 1000, 200), copy(1, 10, 0, 0, 100), copy(1, 4000, 0, 5000, 500), copy(1, 9000, 0, 9000, 0)],
    want: () => ({ '2.ret': 0, '3.ret': 0, '4.ret': 0, '5.ret': 0 }),
    check: (out, pk) => {
      const exp = Buffer.from(pk)
      exp.copy(exp, 100, 1000, 1200)
      exp.copy(exp, 10, 0, 100)
      exp.copy(exp, 4000, 5000, 5500)
      expectBytes(out, exp)
    },
  },
  {
    name: '9000 B: copy with one side direct (dst across linear|frag; src across frag|frag)',
    size: 9000,
    steps: [xdp(0), xdp(1), copy(1, 3400, 0, 200, 300), copy(1, 200, 0, 7500, 300)],
    want: () => ({ '2.ret': 0, '3.ret': 0 }),
    check: (out, pk) => {
      const exp = Buffer.from(pk)
      exp.copy(exp, 3400, 200, 500)
      exp.copy(exp, 200, 7500, 7800)
      expectBytes(out, exp)
    },
  },
  {
    name: '9000 B: one-direct copy onto an overlapping range across linear|frag: written segment by segment, not memmove',
    size: 9000,
    // src 3300+200 is direct; dst 3450+200 is not: bpf_xdp_copy_buf writes dst's linear segment
    // (3450..3520) first, then reads 3370..3500 for the frag, half of which it has just overwritten
    // -> bytes 3600..3650 get the original 3300..3350, not 3450..3500 (memmove would give those).
    // (When this was written uxdp answered with memmove: reported, the engine is not changed here.)
    steps: [xdp(0), xdp(1), copy(1, 3450, 0, 3300, 200)],
    want: () => ({ '2.ret': 0 }),
    check: (out, pk) => {
      const exp = Buffer.from(pk)
      pk.copy(exp, 3450, 3300, 3370)
      Buffer.from(exp.subarray(3370, 3500)).copy(exp, 3520)
      const memmoved = Buffer.from(pk)
      memmoved.copy(memmoved, 3450, 3300, 3500)
      expect(firstDifference(exp, memmoved, ['kernel', 'memmove'])).toMatch(/at byte 3600:/)
      expect(exp.subarray(3600, 3650).equals(pk.subarray(3300, 3350))).toBe(true)
      expectBytes(out, exp)
    },
  },
  {
    name: '9000 B: overlapping copies that behave as memmove: both direct inside a frag; dst direct with src across linear|frag',
    size: 9000,
    steps: [xdp(0), xdp(1), copy(1, 4010, 0, 4000, 500), copy(1, 3300, 0, 3450, 200)],
    want: () => ({ '2.ret': 0, '3.ret': 0 }),
    check: (out, pk) => {
      const exp = Buffer.from(pk)
      exp.copy(exp, 4010, 4000, 4500)
      exp.copy(exp, 3300, 3450, 3650)
      expectBytes(out, exp)
    },
  },
  {
    name: '9000 B: copy with neither side direct: 256-byte chunks across frags (1000 bytes)',
    size: 9000,
    steps: [xdp(0), xdp(1), copy(1, 7000, 0, 3000, 1000)],
    want: () => ({ '2.ret': 0 }),
    check: (out, pk) => expectBytes(out, chunkedCopy(pk, 7000, 3000, 1000)),
  },
  {
    name: '9000 B: chunked copy to an overlapping range 10 bytes ahead: chunk by chunk, not memmove',
    size: 9000,
    steps: [xdp(0), xdp(1), copy(1, 3410, 0, 3400, 600)],
    want: () => ({ '2.ret': 0 }),
    check: (out, pk) => {
      const exp = chunkedCopy(pk, 3410, 3400, 600)
      const memmoved = Buffer.from(pk)
      memmoved.copy(memmoved, 3410, 3400, 4000)
      expect(exp.equals(memmoved), 'the chunked result differs from memmove here').toBe(false)
      expectBytes(out, exp)
    },
  },
  {
    name: '9000 B: copy out of range -> E2BIG (each path), nothing written',
    size: 9000,
    steps: [xdp(0), xdp(1), copy(1, 8900, 0, 0, 200), copy(1, 0, 0, 8900, 200), copy(1, 8800, 0, 3500, 300), copy(1, 3500, 0, 8800, 300), copy(1, 0, 0, 0, 9001)],
    want: () => ({ '2.ret': E2BIG, '3.ret': E2BIG, '4.ret': E2BIG, '5.ret': E2BIG, '6.ret': E2BIG }),
    check: (out, pk) => expectBytes(out, pk),
  },
  {
    name: '73152 B: copy of 69000 bytes stops with EFAULT at the first chunk above 0xffff, earlier chunks written',
    size: MAX_PACKET,
    steps: [xdp(0), xdp(1), copy(1, 0, 0, 4000, 69000)],
    want: () => ({ '2.ret': EFAULT }),
    check: (out, pk) => {
      const exp = chunkedCopy(pk, 0, 4000, 69000)
      expect(exp.subarray(0, 61696).equals(pk.subarray(4000, 65696))).toBe(true)
      expect(exp.subarray(61696).equals(pk.subarray(61696))).toBe(true)
      expectBytes(out, exp)
    },
  },
  {
    name: '73152 B: one-direct copies to or from offsets above 0xffff -> EFAULT',
    size: MAX_PACKET,
    steps: [xdp(0), xdp(1), copy(1, 70000, 0, 100, 64), copy(1, 100, 0, 70000, 64), copy(1, 65500, 0, 100, 64), copy(1, 66000, 0, 67000, 64)],
    want: () => ({ '2.ret': EFAULT, '3.ret': EFAULT, '4.ret': 0, '5.ret': EFAULT }),
    check: (out, pk) => {
      const exp = Buffer.from(pk)
      exp.copy(exp, 65500, 100, 164)
      expectBytes(out, exp)
    },
  },
  {
    name: '9000 B: copy between xdp and a local dynptr over a map value (both directions, out of range, local overlap)',
    size: 9000,
    steps: [
      xdp(0),
      mem(2, 0, GBUF),
      copy(2, 0, 0, 3400, 300),
      ghash(),
      copy(0, 7500, 2, 100, 300),
      copy(2, 900, 0, 0, 200),
      copy(0, 8900, 2, 0, 200),
      copy(2, 0, 2, 10, 500),
      copy(2, 20, 2, 0, 300),
      ghash(),
      mem(3, 512, 512),
      size(3),
      copy(3, 0, 2, 0, 512),
      ghash(),
      read(3, 0, 16),
    ],
    want: (pk) => {
      const g = freshGbuf()
      pk.copy(g, 0, 3400, 3700)
      const g1 = h(g)
      g.copy(g, 0, 10, 510)
      g.copy(g, 20, 0, 300)
      const g2 = h(g)
      g.copy(g, 512, 0, 512)
      return { '1.ret': 0, '2.ret': 0, '3.hash': g1, '4.ret': 0, '5.ret': E2BIG, '6.ret': E2BIG, '7.ret': 0, '8.ret': 0, '9.hash': g2, '10.ret': 0, '11.size': 512, '12.ret': 0, '13.hash': h(g), '14.hash': h(g.subarray(512, 528)) }
    },
    check: (out, pk) => {
      const g = freshGbuf()
      pk.copy(g, 0, 3400, 3700)
      expectBytes(out, patched(pk, 7500, g.subarray(100, 400)))
    },
  },
  {
    name: '73152 B: local -> xdp above 0xffff -> EFAULT; xdp above 0xffff -> local -> EFAULT',
    size: MAX_PACKET,
    steps: [xdp(0), mem(1, 0, GBUF), copy(0, 70000, 1, 0, 100), copy(1, 0, 0, 70000, 100), ghash(), copy(1, 0, 0, 65000, 100), ghash()],
    want: (pk) => {
      const g = freshGbuf()
      pk.copy(g, 0, 65000, 65100)
      return { '2.ret': EFAULT, '3.ret': EFAULT, '4.hash': h(freshGbuf()), '5.ret': 0, '6.hash': h(g) }
    },
  },
]

const memsetCases: Case[] = [
  {
    name: '9000 B: memset direct, across frags in 256-byte chunks, zero-length, the last byte, out of range',
    size: 9000,
    steps: [xdp(0), memset(0, 100, 200, 0x11), memset(0, 3000, 5000, 0xab), memset(0, 0, 0, 5), memset(0, 9000, 0, 5), memset(0, 8999, 1, 0x7f), memset(0, 8990, 20, 1), memset(0, 9001, 0, 1)],
    want: () => ({ '1.ret': 0, '2.ret': 0, '3.ret': 0, '4.ret': 0, '5.ret': 0, '6.ret': E2BIG, '7.ret': E2BIG }),
    check: (out, pk) => expectBytes(out, filled(filled(filled(pk, 100, 200, 0x11), 3000, 5000, 0xab), 8999, 1, 0x7f)),
  },
  {
    name: '73152 B: a chunked memset crossing 0xffff stops with EFAULT after the chunks below it; above 0xffff nothing is written; contiguous ranges are direct',
    size: MAX_PACKET,
    steps: [xdp(0), memset(0, 64900, 1000, 0x5a), memset(0, 70000, 100, 1), memset(0, 65535, 1, 9), memset(0, 69000, 10, 2), memset(0, 65000, 1000, 0x3c)],
    // 64900 + 1000 crosses frags 14|15 at 64960: chunks at 64900, 65156, 65412, then 65668 > 0xffff.
    // 65000 + 1000 lies inside frag 15: bpf_xdp_pointer gives a direct pointer (offset <= 0xffff).
    want: () => ({ '1.ret': EFAULT, '2.ret': EFAULT, '3.ret': 0, '4.ret': EFAULT, '5.ret': 0 }),
    check: (out, pk) => expectBytes(out, filled(filled(filled(pk, 64900, 768, 0x5a), 65535, 1, 9), 65000, 1000, 0x3c)),
  },
  {
    name: '9000 B: memset on a local dynptr (map value) and out of its range',
    size: 9000,
    steps: [mem(1, 0, GBUF), memset(1, 10, 300, 0xcd), ghash(), memset(1, 1000, 30, 1), mem(2, 100, 100), memset(2, 0, 100, 0), memset(2, 1, 100, 0), ghash()],
    want: () => {
      const g = freshGbuf()
      g.fill(0xcd, 10, 310)
      const g1 = h(g)
      g.fill(0, 100, 200)
      return { '1.ret': 0, '2.hash': g1, '3.ret': E2BIG, '5.ret': 0, '6.ret': E2BIG, '7.hash': h(g) }
    },
  },
]

const tailCases: Case[] = [
  {
    name: '9000 B: after bpf_xdp_adjust_tail(-1000) the dynptr keeps size 9000; past the new end EINVAL, past the old one E2BIG',
    size: 9000,
    steps: [
      xdp(0),
      tail(-1000),
      size(0),
      read(0, 7990, 10),
      read(0, 8500, 16),
      read(0, 7995, 10),
      read(0, 8995, 10),
      slice(0, 7990, 20, 1),
      slice(0, 7990, 20, 0),
      slice(0, 8500, 16, 1),
      write(0, 8000, 4, 1),
      memset(0, 7900, 200, 3),
      xdp(1),
      size(1),
    ],
    want: (pk) => ({
      '1.ret': 0,
      '2.size': 9000,
      '3.ret': 0,
      '3.hash': h(pk.subarray(7990, 8000)),
      '4.ret': EINVAL,
      '5.ret': EINVAL,
      '6.ret': E2BIG,
      '7.kind': BUFFER,
      '7.hash': h(Buffer.concat([pk.subarray(7990, 8000), ee(10)])),
      '8.kind': NULLP,
      '9.kind': BUFFER,
      '9.hash': h(ee(16)),
      '10.ret': EINVAL,
      '11.ret': EINVAL,
      '13.size': 8000,
    }),
    check: (out, pk) => expectBytes(out, pk.subarray(0, 8000)),
  },
  {
    name: '9000 B: after a shrink, a chunked memset and a chunked copy write the chunks before the new end, then fail with EINVAL',
    size: 9000,
    // the copy: neither 3400+600 (crosses 3520) nor 7600+600 (crosses 7616) is contiguous, so it is
    // chunked; a one-direct copy (dst 4000+600) reads everything at once and writes nothing.
    steps: [xdp(0), xdp(1), tail(-1000), memset(0, 7000, 1200, 3), copy(1, 3400, 0, 7600, 600), copy(1, 4000, 0, 7600, 600)],
    want: () => ({ '2.ret': 0, '3.ret': EINVAL, '4.ret': EINVAL, '5.ret': EINVAL }),
    check: (out, pk) => {
      const exp = filled(pk, 7000, 768, 3).subarray(0, 8000)
      const copied = chunkedCopy(exp, 3400, 7600, 600, 8000)
      expect(copied.subarray(3400, 3656).equals(exp.subarray(7600, 7856))).toBe(true)
      expect(copied.subarray(3656, 4000).equals(exp.subarray(3656, 4000))).toBe(true)
      expectBytes(out, copied)
    },
  },
  {
    name: '9000 B: a shrink that frees every frag (-5480): boundary reads fail, a buffered slice gets the linear bytes only',
    size: 9000,
    steps: [xdp(0), tail(-5480), size(0), read(0, 3510, 20), read(0, 3500, 20), slice(0, 3510, 20, 1), slice(0, 3500, 20, 0)],
    want: (pk) => ({ '1.ret': 0, '2.size': 9000, '3.ret': EINVAL, '4.ret': 0, '5.kind': BUFFER, '5.hash': h(Buffer.concat([pk.subarray(3510, 3520), ee(10)])), '6.kind': DIRECT }),
    check: (out, pk) => expectBytes(out, pk.subarray(0, 3520)),
  },
  {
    name: '9000 B: after a grow (+10) the old dynptr still ends at 9000, a new one sees the zeroed bytes',
    size: 9000,
    steps: [xdp(0), tail(10), size(0), read(0, 9000, 10), xdp(1), size(1), read(1, 8995, 15), slice(1, 9000, 10, 1)],
    want: (pk) => ({ '1.ret': 0, '2.size': 9000, '3.ret': E2BIG, '5.size': 9010, '6.ret': 0, '6.hash': h(Buffer.concat([pk.subarray(8995), Buffer.alloc(10)])), '7.kind': DIRECT }),
  },
]

// ---------------------------------------------------------------------------------------------
// Ring buffers: ringbuf_harness runs the program `runs` times and consumes the ring after each run

interface RingCase {
  name: string
  size?: number
  runs: number
  steps: Step[]
  /** The kernel's answers per run, by slot key. */
  want?: (packet: Buffer, run: number) => Record<string, number>
  /** The records the kernel's consumer sees per run (hex). */
  records?: (packet: Buffer, run: number) => string[] | undefined
}

type HarnessRun = { retval: number; out: string; records: string[]; consumed: number } | { error: number }

/** The kernel's runs, or undefined where the recording kernel refused the program (a known build difference). */
function kernelRing(c: RingCase, packet: Buffer): HarnessRun[] | undefined {
  const obj = build('ringbuf_ops.bpf.c', { STEPS: stepsMacro(c.steps), RING_SIZE })
  const r = unlessKnownRefusal(() => harness([obj, '@INPUT', String(META), String(c.runs)], Buffer.concat([Buffer.alloc(META), packet])))
  if (!r) return undefined
  if (r.status !== 0) throw new Error(`ringbuf_harness exited with ${r.status}: ${r.stderr}`)
  return (JSON.parse(r.stdout) as { runs: HarnessRun[] }).runs
}

function runRingCase(c: RingCase) {
  const packet = seededPattern(c.size ?? 9000, 7)
  const k = kernelRing(c, packet)
  const ring = new RingBuffer(RING_SIZE)
  const slots = slotsOf(c.steps)
  if (!k) {
    // no recorded run: the kernel answers the case pins, on uxdp's
    for (let run = 0; run < c.runs; run++) {
      const x = uxdpRun(packet, c.steps, ring)
      const xRecords = ring.drain().map((b) => b.toString('hex'))
      if (c.want) {
        const want = c.want(packet, run)
        expect(Object.fromEntries(Object.keys(want).map((key) => [key, slotValue(slots, x.slots, key)])), `run ${run}: uxdp answers as the kernel did`).toEqual(want)
      }
      const wantRecords = c.records?.(packet, run)
      if (wantRecords) expect(xRecords, `run ${run}: uxdp's records`).toEqual(wantRecords)
    }
    return
  }
  expect(k.length, 'runs').toBe(c.runs)
  for (let run = 0; run < c.runs; run++) {
    const kr = k[run]
    if ('error' in kr) throw new Error(`BPF_PROG_TEST_RUN failed in run ${run}: errno ${kr.error}`)
    const kOut = Buffer.from(kr.out, 'hex')
    const kSlots = decodeSlots(kOut, kr.retval)
    expect(kSlots.length, 'the kernel recorded one slot per output').toBe(slots.length)
    expect(kr.consumed, 'ring_buffer__consume count').toBe(kr.records.length)
    if (c.want) {
      const want = c.want(packet, run)
      const got = Object.fromEntries(Object.keys(want).map((key) => [key, slotValue(slots, kSlots, key)]))
      expect(got, `run ${run}: the kernel answers as documented`).toEqual(want)
    }
    const wantRecords = c.records?.(packet, run)
    if (wantRecords) expect(kr.records, `run ${run}: the kernel's records`).toEqual(wantRecords)

    const x = uxdpRun(packet, c.steps, ring)
    const xRecords = ring.drain().map((b) => b.toString('hex'))
    expect.soft(show(slots, x.slots), `run ${run}: slots: uxdp (received) vs kernel (expected)`).toEqual(show(slots, kSlots))
    expect.soft(recordsDifference(kr.records, xRecords), `run ${run}: consumed records (kernel vs uxdp)`).toBe('')
    expect.soft(firstDifference(kOut.subarray(META), x.out), `run ${run}: packet bytes`).toBe('')
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** '' when both consumers saw the same records, else where they first differ. */
function recordsDifference(kernel: string[], uxdp: string[]): string {
  if (kernel.length !== uxdp.length) return `kernel consumed ${kernel.length} records (${kernel.map((r) => r.length / 2).join(', ')} bytes), uxdp ${uxdp.length} (${uxdp.map((r) => r.length / 2).join(', ')} bytes)`
  for (let i = 0; i < kernel.length; i++) {
    const d = firstDifference(Buffer.from(kernel[i], 'hex'), Buffer.from(uxdp[i], 'hex'))
    if (d) return `record ${i}: ${d}`
  }
  return ''
}

const ringCases: RingCase[] = [
  {
    name: 'reserve/write/submit, reserve/discard, output; query AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS, unknown; two runs',
    runs: 2,
    steps: [
      reserve(1, 16),
      write(1, 0, 16, 5),
      submit(1),
      reserve(2, 32),
      write(2, 0, 32, 50),
      discard(2),
      output(0, 24),
      reserve(3, 5),
      write(3, 0, 5, 90),
      submit(3),
      query(0),
      query(1),
      query(2),
      query(3),
      query(4),
    ],
    want: (_p, run) => ({
      '0.ret': 0,
      '1.ret': 0,
      '3.ret': 0,
      '6.ret': 0,
      '7.ret': 0,
      '10.value': 112,
      '11.value': RING_SIZE,
      '12.value': 112 * run,
      '13.value': 112 * (run + 1),
      '14.value': 0,
    }),
    records: () => [hex(seq(5, 16)), hex(freshGbuf().subarray(0, 24)), hex(seq(90, 5))],
  },
  {
    name: 'ring dynptr operations: size, rdonly, memset, slices (direct), adjust, bounds, a clone writes the same record',
    runs: 1,
    steps: [
      reserve(0, 64),
      size(0),
      rdonly(0),
      isNull(0),
      write(0, 0, 16, 1),
      memset(0, 16, 48, 0x42),
      slice(0, 0, 16, 0),
      slicew(0, 16, 8, 1),
      adjust(0, 8, 40),
      size(0),
      write(0, 0, 4, 200),
      read(0, 28, 4),
      read(0, 29, 4),
      clone(0, 1),
      write(1, 28, 4, 100),
      memset(1, 30, 4, 0),
      submit(0),
    ],
    want: () => ({ '0.ret': 0, '1.size': 64, '2.rdonly': 0, '3.null': 0, '6.kind': DIRECT, '7.kind': DIRECT, '9.size': 32, '11.ret': 0, '12.ret': E2BIG, '13.ret': 0, '15.ret': E2BIG }),
    records: () => {
      const r = Buffer.concat([seq(1, 16), Buffer.alloc(48, 0x42)])
      for (let i = 16; i < 24; i++) r[i] ^= 0xff
      seq(200, 4).copy(r, 8)
      seq(100, 4).copy(r, 36)
      return [hex(r)]
    },
  },
  {
    name: 'copy from the packet into ring records (across linear|frag and frag|frag), one submitted, one discarded',
    runs: 1,
    steps: [xdp(0), reserve(1, 600), copy(1, 0, 0, 3300, 600), submit(1), reserve(2, 300), copy(2, 0, 0, 7500, 300), discard(2), reserve(3, 300), copy(3, 0, 0, 7500, 300), copy(0, 0, 3, 0, 20), submit(3)],
    want: () => ({ '2.ret': 0, '5.ret': 0, '8.ret': 0, '9.ret': 0 }),
    records: (pk) => [hex(pk.subarray(3300, 3900)), hex(pk.subarray(7500, 7800))],
  },
  {
    name: 'reserve flags != 0 -> EINVAL, above 16 MiB - 1 -> E2BIG (null dynptrs, discarded); output flags; empty records; submit/discard flags',
    runs: 1,
    steps: [
      reserve(0, 8, 1),
      isNull(0),
      size(0),
      discard(0),
      reserve(0, 0x1000000),
      isNull(0),
      submit(0),
      output(0, 8, 4),
      output(0, 8, 1),
      output(8, 8, 2),
      output(16, 8, 3),
      reserve(1, 0),
      size(1),
      submit(1, 1),
      reserve(2, 8),
      write(2, 0, 8, 7),
      discard(2, 2),
      reserve(3, 3),
      write(3, 0, 3, 9),
      submit(3, 2),
      output(0, 0),
      query(0),
    ],
    want: () => ({
      '0.ret': EINVAL,
      '1.null': 1,
      '2.size': NULL_SIZE,
      '4.ret': E2BIG,
      '5.null': 1,
      '7.ret': EINVAL,
      '8.ret': 0,
      '9.ret': 0,
      '10.ret': 0,
      '11.ret': 0,
      '12.size': 0,
      '14.ret': 0,
      '17.ret': 0,
      '20.ret': 0,
      '21.value': 3 * 16 + 8 + 16 + 16 + 8,
    }),
    records: () => {
      const g = freshGbuf()
      return [hex(g.subarray(0, 8)), hex(g.subarray(8, 16)), hex(g.subarray(16, 24)), '', hex(seq(9, 3)), '']
    },
  },
  {
    name: 'the largest record (4080 of 4096 bytes, 4088 with its header) fills the ring: output fails with EAGAIN; it wraps around in later runs',
    runs: 3,
    steps: [reserve(1, 4080), memset(1, 0, 4080, 0x61), write(1, 4072, 8, 1), query(0), submit(1), output(0, 1), query(0), query(2), query(3)],
    want: (_p, run) => ({ '0.ret': 0, '1.ret': 0, '2.ret': 0, '3.value': 4088, '5.ret': EAGAIN, '6.value': 4088, '7.value': 4088 * run, '8.value': 4088 * (run + 1) }),
    records: () => [hex(Buffer.concat([Buffer.alloc(4072, 0x61), seq(1, 8)]))],
  },
  {
    name: 'bpf_ringbuf_reserve_dynptr without room: a null dynptr and EINVAL (bpf_ringbuf_output says EAGAIN for the same)',
    runs: 1,
    // empty ring: 4088 + 8 = 4096 and round_up(4081 + 8, 8) = 4096 exceed what one ring of 4096 can hold
    // (the producer may run at most size - 1 ahead), 8192 is larger than the ring (below the 16 MiB
    // E2BIG limit); after a 4080-byte record nothing fits. (When this was written uxdp answered
    // EAGAIN for each failed reservation: reported, the engine is not changed here.)
    steps: [reserve(0, 4088), isNull(0), size(0), discard(0), reserve(0, 4081), discard(0), reserve(0, 8192), discard(0), reserve(1, 4080), reserve(2, 1), isNull(2), discard(2), submit(1), output(0, 1), reserve(3, 1), discard(3)],
    want: () => ({ '0.ret': EINVAL, '1.null': 1, '2.size': NULL_SIZE, '4.ret': EINVAL, '6.ret': EINVAL, '8.ret': 0, '9.ret': EINVAL, '10.null': 1, '13.ret': EAGAIN, '14.ret': EINVAL }),
    records: () => [hex(Buffer.alloc(4080))],
  },
  {
    name: 'reserved bytes are not cleared: a record that wraps over the previous one shows its header (len 4080, pg_off 3) and data',
    runs: 3,
    // The kernel maps the data pages twice, so a wrapping record's bytes are the ring's own bytes.
    // (When this was written uxdp's run-1 record had zeros at bytes 4..12: reported.)
    steps: [reserve(0, 4080), write(0, 0, 4, 1), submit(0)],
    records: (_p, run) => {
      if (run === 0) return [hex(Buffer.concat([seq(1, 4), Buffer.alloc(4076)]))]
      // run 1: header at ring offset 4088, data from offset 0: old header bytes 4..8, then old data
      if (run === 1) return [hex(Buffer.concat([seq(1, 4), Buffer.from('03000000', 'hex'), seq(1, 4), Buffer.alloc(4068)]))]
      return undefined
    },
  },
  {
    name: 'filling the ring with bpf_ringbuf_output: the fifth 1000-byte record does not fit (EAGAIN), a 48-byte reservation does, then nothing; two runs',
    runs: 2,
    steps: [output(0, 1000), output(1, 1000), output(2, 1000), output(3, 1000), output(4, 1000), query(0), query(2), query(3), reserve(0, 48), discard(0), output(0, 48), query(0)],
    want: (_p, run) => ({
      '0.ret': 0,
      '3.ret': 0,
      '4.ret': EAGAIN,
      '5.value': 4032,
      '6.value': 4088 * run,
      '7.value': 4088 * run + 4032,
      '8.ret': 0,
      '10.ret': EAGAIN,
      '11.value': 4088,
    }),
    records: () => [0, 1, 2, 3].map((i) => hex(freshGbuf().subarray(i, i + 1000))),
  },
]

// ---------------------------------------------------------------------------------------------
// Ring-buffer wakeups as libbpf's ring_buffer__poll(rb, 0) sees them: ringbuf_harness --poll runs
// ringbuf_poll.bpf.c once per step (the packet says which records to commit, with which flags) and
// then reads with ring_buffer__poll(rb, 0) ('p') or ring_buffer__consume ('c'); uxdp does the same
// commits through RingBuffer.output / reserve + discard and reads with poll / drain.

/** A record op of ringbuf_poll.bpf.c: flags in bits 0-1 (1 NO_WAKEUP, 2 FORCE_WAKEUP), 4 = discard. */
const PLAIN = 0
const NO_WAKEUP = 1
const FORCE = 2
const DISCARD = 4

interface PollStep {
  /** Record ops committed by this step's run, in order (at most 4). */
  ops: number[]
  read: 'poll' | 'consume'
  /** The kernel's answers: what poll/consume returned, the records it handed over as "step.i",
   * and the unread bytes afterwards (producer - consumer, 16 per record of 4 bytes). */
  want: { read: number; records: string[]; avail: number }
}

interface PollCase {
  name: string
  steps: PollStep[]
}

const pollStep = (read: PollStep['read']) => (ops: number[], n: number, records: string[], avail: number): PollStep => ({ ops, read, want: { read: n, records, avail } })
/** ops committed, then ring_buffer__poll(rb, 0): it returned `n`, handed over `records`, left `avail` bytes. */
const P = pollStep('poll')
/** ops committed, then ring_buffer__consume(rb). */
const C = pollStep('consume')

/** Record i of step s: { 0x70, s, i, op } (see ringbuf_poll.bpf.c). */
const pollRecord = (s: number, i: number, op: number) => Buffer.from([0x70, s, i, op])

type PollRun = { retval: number; ready: boolean | null; read: number; records: string[]; avail: number } | { error: number }

function kernelPoll(c: PollCase): PollRun[] {
  const args = c.steps.map((st) => st.ops.join('') + (st.read === 'poll' ? 'p' : 'c'))
  const r = harness(['--poll', build('ringbuf_poll.bpf.c'), ...args])
  if (r.status !== 0) throw new Error(`ringbuf_harness --poll exited with ${r.status}: ${r.stderr}`)
  return (JSON.parse(r.stdout) as { steps: PollRun[] }).steps
}

function stepLabel(c: PollCase, i: number): string {
  const st = c.steps[i]
  const name = (op: number) => `${op & DISCARD ? 'discard' : 'output'}(${['0', 'NO_WAKEUP', 'FORCE_WAKEUP', 'NO_WAKEUP|FORCE_WAKEUP'][op & 3]})`
  return `step ${i} [${st.ops.map(name).join(', ') || 'no records'}; ${st.read}]`
}

function runPollCase(c: PollCase) {
  const k = kernelPoll(c)
  expect(k.length, 'steps').toBe(c.steps.length)
  const ring = new RingBuffer(RING_SIZE)
  const kernelSeen: string[] = []
  const uxdpSeen: string[] = []
  const recordName = new Map<string, string>()
  c.steps.forEach((st, s) => st.ops.forEach((op, i) => recordName.set(hex(pollRecord(s, i, op)), `${s}.${i}`)))
  const named = (records: string[]) => records.map((r) => recordName.get(r) ?? `?${r}`)
  for (let s = 0; s < c.steps.length; s++) {
    const st = c.steps[s]
    const kr = k[s]
    const label = stepLabel(c, s)
    if ('error' in kr) throw new Error(`BPF_PROG_TEST_RUN failed at ${label}: errno ${kr.error}`)
    expect(kr.retval, `${label}: records the kernel program committed`).toBe(st.ops.length)
    if (st.read === 'poll' && kr.ready === false && kr.read > 0) {
      // See ringbuf_harness.c: the harness waited for it, so the result stands; only the timing differs.
      console.warn(`[kernel-dynptr] ${c.name}, ${label}: the wakeup arrived after BPF_PROG_TEST_RUN returned (late irq_work)`)
    }

    // uxdp: the same commits, the same read
    for (let i = 0; i < st.ops.length; i++) {
      const op = st.ops[i]
      const rec = pollRecord(s, i, op)
      if (op & DISCARD) {
        const d = ring.reserve(rec.length)
        d.write(0, rec)
        d.discard(op & 3)
      } else {
        ring.output(rec, op & 3)
      }
    }
    let xRead: number
    let xRecords: string[]
    if (st.read === 'poll') {
      const got: Buffer[] = []
      xRead = ring.poll((b) => void got.push(b))
      xRecords = got.map(hex)
    } else {
      xRecords = ring.drain().map(hex)
      xRead = xRecords.length
    }
    const xAvail = Number(ring.query(0))

    const kState = { read: kr.read, records: named(kr.records), avail: kr.avail }
    kernelSeen.push(`${label}: ${JSON.stringify(kState)}`)
    uxdpSeen.push(`${label}: ${JSON.stringify({ read: xRead, records: named(xRecords), avail: xAvail })}`)
    expect.soft(kState, `${label}: the kernel answers as documented`).toEqual(st.want)
    expect.soft(kr.read, `${label}: ring_buffer__${st.read} returned the records it handed over`).toBe(kr.records.length)
  }
  // The whole sequence at once, so that a disagreement shows with its history.
  expect.soft(uxdpSeen, 'per step: uxdp (received) vs kernel (expected)').toEqual(kernelSeen)
}

const pollCases: PollCase[] = [
  {
    name: 'NO_WAKEUP then a plain record behind it stay unseen by poll; FORCE_WAKEUP: poll reads all; level-triggered: after a report a NO_WAKEUP record is seen; poll on empty drops the item, then NO_WAKEUP stays unseen; consume reads it',
    steps: [
      P([NO_WAKEUP], 0, [], 16), // no wakeup, the epoll item is not on the ready list: data stays
      P([PLAIN], 0, [], 32), // not at the consumer position (an unread record is): no wakeup
      P([FORCE], 3, ['0.0', '1.0', '2.0'], 0), // wakeup: poll reads everything available
      P([NO_WAKEUP], 1, ['3.0'], 0), // no wakeup, but the item stayed on the ready list after the report
      P([], 0, [], 0), // re-checked and found empty: dropped
      P([NO_WAKEUP], 0, [], 16),
      C([], 1, ['5.0'], 0),
    ],
  },
  {
    name: 'a plain record at the consumer position wakes, and poll also reads the NO_WAKEUP record committed after it; NO_WAKEUP first, plain behind it: nothing',
    steps: [P([PLAIN, NO_WAKEUP], 2, ['0.0', '0.1'], 0), P([], 0, [], 0), P([NO_WAKEUP, PLAIN], 0, [], 32), P([NO_WAKEUP, NO_WAKEUP, PLAIN, NO_WAKEUP], 0, [], 96), C([], 6, ['2.0', '2.1', '3.0', '3.1', '3.2', '3.3'], 0)],
  },
  {
    name: 'NO_WAKEUP|FORCE_WAKEUP wakes (FORCE wins); FORCE_WAKEUP behind unread records wakes too',
    steps: [P([NO_WAKEUP | FORCE], 1, ['0.0'], 0), P([], 0, [], 0), P([NO_WAKEUP, NO_WAKEUP], 0, [], 32), P([NO_WAKEUP, FORCE], 4, ['2.0', '2.1', '3.0', '3.1'], 0)],
  },
  {
    name: 'a wakeup that consume read past stays pending: the next poll re-checks and sees a NO_WAKEUP record; a plain record consumed, then poll on empty drops it',
    steps: [C([FORCE], 1, ['0.0'], 0), P([NO_WAKEUP], 1, ['1.0'], 0), P([], 0, [], 0), C([PLAIN], 1, ['3.0'], 0), P([], 0, [], 0), P([NO_WAKEUP], 0, [], 16), C([], 1, ['5.0'], 0)],
  },
  {
    name: 'discarded records: they count as unread data (avail) and their wakeups count; poll skips them (returns 0) but the report keeps the item ready',
    steps: [
      P([DISCARD | NO_WAKEUP], 0, [], 16),
      P([DISCARD | FORCE], 0, [], 0), // a report with nothing to hand over: poll returns 0, the consumer moves on
      P([NO_WAKEUP], 1, ['2.0'], 0), // level-triggered re-check after that report
      P([], 0, [], 0),
      P([DISCARD | PLAIN], 0, [], 0), // at the consumer position: wakes
      P([NO_WAKEUP], 1, ['5.0'], 0),
      P([], 0, [], 0),
      P([NO_WAKEUP, DISCARD | PLAIN], 0, [], 32), // the discard is behind an unread record: no wakeup
      C([], 1, ['7.0'], 0),
    ],
  },
  {
    name: 'after the positions wrap around the 4096-byte ring (70 rounds of 4 records), a plain record at the consumer position still wakes (masked positions compared), NO_WAKEUP still does not',
    steps: [
      ...Array.from({ length: 70 }, (_, r) => [P([PLAIN, NO_WAKEUP, PLAIN, NO_WAKEUP], 4, [0, 1, 2, 3].map((i) => `${2 * r}.${i}`), 0), P([], 0, [], 0)]).flat(),
      P([NO_WAKEUP], 0, [], 16),
      P([PLAIN], 0, [], 32),
      P([FORCE], 3, ['140.0', '141.0', '142.0'], 0),
    ],
  },
]

// ---------------------------------------------------------------------------------------------

describe(`kernel differential: uxdp Dynptr / RingBuffer vs BPF_PROG_TEST_RUN (recorded on Linux ${kernel.recordedOn}${kernel.live ? `; live: ${kernel.live}` : ''})`, () => {
  afterEach(() => {
    expect(pool.stats().inFlight, 'pages still held by frames').toBe(0)
  })
  afterAll(() => {
    finishKernel()
    expect(ownPins()).toEqual([])
  })

  const each = (cases: Case[]) => it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => runCase(c))

  describe('bpf_dynptr_from_xdp, size, is_null, is_rdonly', () => each(fromXdpCases))
  describe('bpf_dynptr_read / bpf_dynptr_write', () => each(readWriteCases))
  describe('bpf_dynptr_slice / bpf_dynptr_slice_rdwr', () => each(sliceCases))
  describe('bpf_dynptr_adjust / bpf_dynptr_clone', () => each(adjustCloneCases))
  describe('bpf_dynptr_copy', () => each(copyCases))
  describe('bpf_dynptr_memset', () => each(memsetCases))
  describe('after bpf_xdp_adjust_tail', () => each(tailCases))
  describe('after bpf_xdp_adjust_head', () => each(headCases))
  describe('LOCAL dynptrs (bpf_dynptr_from_mem over a map value)', () => each(localCases))

  describe('BPF ring buffer (libbpf consumer)', () => {
    it.each(ringCases.map((c) => [c.name, c] as const))('%s', (_n, c) => runRingCase(c))
  })

  describe('BPF ring buffer wakeups: ring_buffer__poll(rb, 0) vs RingBuffer.poll', () => {
    it.each(pollCases.map((c) => [c.name, c] as const))('%s', (_n, c) => runPollCase(c))
  })
})
