/**
 * Kernel differential tests for what tc programs see at run time (test/kernel/tcrun.bpf.c, our
 * own programs): `struct bpf_map` fields read through map pointers (the kernel's 6.18 layout:
 * bpf_map, bpf_array, bpf_htab), the address bits of `skb->data` a program can observe (the
 * kmalloc'd head's alignment plus test_run's headroom, before and after bpf_skb_change_head
 * reallocates it), and tail calls from a subprogram that pile frames up to the tail-call limit.
 * The same object and frame go through the running kernel (`bpftool prog loadall` with pinned
 * maps, so the prog array keeps its slot, then `bpftool prog run`) and uxdp's `testRun`; retval and
 * data_out must be equal. Recorded in test/fixtures/kernel/kernel-tcrun.json (`npm run
 * kernel:record -- kernel-tcrun`), so the spec runs without a kernel.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BpfObject, UxdpError } from '../lib/index'
import { askKernel, build, finishKernel, liveKernelAsked, useKernel, type BpfBuild } from './helpers/kernel'

const use = useKernel('kernel-tcrun')
// clang-19 with alu32: skb->data's low bits are a 32-bit copy (w2 = w1), which the kernel lets a
// privileged program make a scalar; a 64-bit AND on the pointer is refused
const object = build('tcrun.bpf.c', {}, ['--clang=clang-19', '-mcpu=v3'], { commit: true })

type Answer = { ok: true; retval: number; out: string } | { ok: false; message: string }

let liveDir: string | undefined

function liveRun(b: BpfBuild, prog: string, data: Buffer): Answer {
  if (!liveDir) {
    liveDir = mkdtempSync(join('/sys/fs/bpf', 'uxdp-tcrun-'))
    const r = spawnSync('bpftool', ['prog', 'loadall', b.path, join(liveDir, 'progs'), 'pinmaps', join(liveDir, 'maps')], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`bpftool prog loadall ${b.what} failed: ${r.stderr.split('\n').slice(-4).join(' ')}`)
  }
  const tmp = mkdtempSync(join(tmpdir(), 'uxdp-tcrun-'))
  try {
    const fin = join(tmp, 'in.bin')
    const fout = join(tmp, 'out.bin')
    writeFileSync(fin, data)
    const r = spawnSync('bpftool', ['prog', 'run', 'pinned', join(liveDir, 'progs', prog), 'data_in', fin, 'data_out', fout, 'data_size_out', '65536'], { encoding: 'utf8' })
    const m = /Return value: (\d+)/.exec(r.stdout)
    if (!m) return { ok: false, message: r.stderr.trim().split('\n').at(-1) ?? '' }
    return { ok: true, retval: Number(m[1]), out: readFileSync(fout).toString('hex') }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

const uxdp = BpfObject.open(object.path)

function uxdpRun(prog: string, data: Buffer): Answer {
  try {
    const r = uxdp.program(prog).testRun({ data })
    return { ok: true, retval: r.retval, out: Buffer.from(r.dataOut).toString('hex') }
  } catch (e) {
    if (e instanceof UxdpError) return { ok: false, message: e.message }
    throw e
  }
}

/** Both runs of `prog` on `data`, compared; the kernel's answer returned for its own checks. */
function same(prog: string, data: Buffer, what: string): Buffer {
  const k = askKernel<Answer>({ op: 'tcrun', object: object.key, prog, data: data.toString('hex') }, `test_run of ${prog} in ${object.what}: ${what}`, liveKernelAsked() ? () => liveRun(object, prog, data) : undefined)
  const u = uxdpRun(prog, data)
  expect(k.ok, `the kernel's run: ${!k.ok ? k.message : ''}`).toBe(true)
  expect(u, what).toEqual(k)
  return Buffer.from(k.ok ? k.out : '', 'hex')
}

/** An Ethernet frame of `size` bytes with an EtherType no test_run parses (0x88b5, local). */
function frame(size: number): Buffer {
  const b = Buffer.alloc(size)
  b.writeUInt16BE(0x88b5, 12)
  return b
}

describe(`tc run-time answers vs Linux (recorded on ${use.recordedOn}${use.live ? `; live: ${use.live}` : ''})`, () => {
  afterAll(() => {
    if (liveDir) rmSync(liveDir, { recursive: true, force: true })
    uxdp.close()
    finishKernel()
  })

  it('struct bpf_map fields through map pointers: bpf_map, bpf_array, bpf_htab (6.18 offsets)', () => {
    const out = same('tc_map_fields', frame(300), 'map_type, sizes, flags, numa_node, name, frozen, ops, elem_size, index_mask, n_buckets')
    const row = (i: number) => Array.from({ length: 12 }, (_, j) => out.readUInt32LE(48 * i + 4 * j))
    // the array: type 2, key 4, value 12 (elem_size 16), 5 entries (index_mask 7), NUMA_NO_NODE
    expect(row(0).slice(0, 6)).toEqual([2, 4, 12, 5, 0, 0xffffffff])
    // bypass_spec_v1 (a privileged creator), not frozen; ops set; elem_size, index_mask
    expect(row(0).slice(8)).toEqual([1, 1, 16, 7])
    // the hash: BPF_F_NO_PREALLOC, 16 buckets, elements of 48 + 8 + 24 bytes
    expect([row(1)[4], row(1)[10], row(1)[11]]).toEqual([1, 16, 80])
    // per-CPU hash (a pointer per element) and LRU hash
    expect([row(2)[10], row(2)[11], row(3)[10], row(3)[11]]).toEqual([64, 64, 8, 64])
    expect(out.subarray(24, 32).toString()).toBe('array_ma')
  })

  // Not 60 B: bpf_skb_change_head reallocates that head from the kernel's skbuff_small_head cache
  // (640-byte objects, not power-of-two aligned), so the kernel's low bits there depend on the slab.
  it.each([300, 1500, 3000])('the low bits of skb->data, before and after bpf_skb_change_head (%i B)', (size) => {
    const out = same('tc_pkt_addr', frame(size), `${size} B`)
    expect(out.readUInt32LE(0), 'the head is kmalloc-aligned (512 at least here), the frame starts after 64 bytes of headroom').toBe(0x40)
    expect([out.readUInt32LE(4), out.readUInt32LE(12)]).toEqual([size, size + 100])
  })

  describe('bpf_skb_adjust_room: encapsulation and decapsulation flags, in the kernel\'s order of checks', () => {
    const F = { FIXED_GSO: 1n, L3_IPV4: 2n, L3_IPV6: 4n, L4_GRE: 8n, L4_UDP: 16n, NO_CSUM_RESET: 32n, L2_ETH: 64n, DECAP_IPV4: 128n, DECAP_IPV6: 256n }
    const L2 = (len: number) => BigInt(len) << 56n
    const NET = 0
    const MAC = 1
    interface RoomCase {
      title: string
      v6?: boolean
      lenDiff: number
      mode: number
      flags: bigint
      calls?: number
      /** the first call's answer, as the kernel must give it */
      ret: number
    }
    const CASES: RoomCase[] = [
      { title: 'IPIP: 20 bytes of outer IPv4 header (ENCAP_L3_IPV4)', lenDiff: 20, mode: MAC, flags: F.L3_IPV4, ret: 0 },
      { title: 'GRE over IPv4 (ENCAP_L3_IPV4 | L4_GRE)', lenDiff: 24, mode: MAC, flags: F.L3_IPV4 | F.L4_GRE, ret: 0 },
      { title: 'UDP over IPv4 with an inner Ethernet header (L2_ETH, L2(14))', lenDiff: 50, mode: MAC, flags: F.L3_IPV4 | F.L4_UDP | F.L2_ETH | L2(14), ret: 0 },
      { title: 'IPv4 in IPv6 (ENCAP_L3_IPV6): the protocol becomes IPv6', lenDiff: 40, mode: MAC, flags: F.L3_IPV6, ret: 0 },
      { title: 'IPv6 in IPv4: the protocol becomes IPv4', v6: true, lenDiff: 20, mode: MAC, flags: F.L3_IPV4, ret: 0 },
      { title: 'a second encapsulation is EALREADY', lenDiff: 20, mode: MAC, flags: F.L3_IPV4, calls: 2, ret: 0 },
      { title: 'plain growth twice is fine', lenDiff: 8, mode: NET, flags: 0n, calls: 2, ret: 0 },
      { title: 'ENCAP_L3_IPV4 and _IPV6 together: EINVAL', lenDiff: 20, mode: MAC, flags: F.L3_IPV4 | F.L3_IPV6, ret: -22 },
      { title: 'L4_GRE and L4_UDP together: EINVAL', lenDiff: 32, mode: MAC, flags: F.L3_IPV4 | F.L4_GRE | F.L4_UDP, ret: -22 },
      { title: 'L2_ETH with an inner MAC length under 14: EINVAL', lenDiff: 40, mode: MAC, flags: F.L3_IPV4 | F.L2_ETH | L2(10), ret: -22 },
      { title: 'an inner MAC length past len_diff: EINVAL', lenDiff: 20, mode: MAC, flags: F.L3_IPV4 | L2(30), ret: -22 },
      { title: 'L4/L2 flags without an L3 one are ignored', lenDiff: 16, mode: MAC, flags: F.L4_UDP | L2(8), ret: 0 },
      { title: 'NET mode encapsulation (after the IP header)', lenDiff: 20, mode: NET, flags: F.L3_IPV4, ret: 0 },
      { title: 'NO_CSUM_RESET', lenDiff: 20, mode: MAC, flags: F.L3_IPV4 | F.NO_CSUM_RESET, ret: 0 },
      { title: 'decapsulating IPIP (DECAP_L3_IPV4)', lenDiff: -20, mode: MAC, flags: F.DECAP_IPV4, ret: 0 },
      { title: 'DECAP_L3_IPV6 from IPv4: the protocol becomes IPv6', lenDiff: -20, mode: MAC, flags: F.DECAP_IPV6, ret: 0 },
      { title: 'DECAP_L3_IPV6 needs 40 bytes left', lenDiff: -70, mode: MAC, flags: F.DECAP_IPV6, ret: -524 },
      { title: 'both DECAP flags: EINVAL', lenDiff: -20, mode: MAC, flags: F.DECAP_IPV4 | F.DECAP_IPV6, ret: -22 },
      { title: 'DECAP when growing: EINVAL', lenDiff: 20, mode: MAC, flags: F.DECAP_IPV4, ret: -22 },
      { title: 'ENCAP when shrinking: EINVAL', lenDiff: -20, mode: MAC, flags: F.L3_IPV4, ret: -22 },
      { title: 'an unknown flag: EINVAL', lenDiff: 20, mode: MAC, flags: 1n << 9n, ret: -22 },
      { title: 'an unknown mode: ENOTSUPP', lenDiff: 20, mode: 2, flags: F.L3_IPV4, ret: -524 },
    ]
    /** Ethernet + IPv4 (or IPv6) header + zero payload, `size` bytes; the question at its end. */
    function roomFrame(c: RoomCase, size = 120): Buffer {
      const b = Buffer.alloc(size)
      b.writeUInt16BE(c.v6 ? 0x86dd : 0x0800, 12)
      if (c.v6) {
        b[14] = 0x60
        b.writeUInt16BE(size - 54, 18)
        b[20] = 59
        b[21] = 64
      } else {
        b[14] = 0x45
        b.writeUInt16BE(size - 14, 16)
        b[22] = 64
        b[23] = 4
      }
      const q = size - 24
      b.writeInt32LE(c.lenDiff, q)
      b.writeUInt32LE(c.mode, q + 4)
      b.writeBigUInt64LE(c.flags, q + 8)
      b.writeUInt32LE(c.calls ?? 1, q + 16)
      return b
    }
    it.each(CASES.map((c) => [c.title, c] as const))('%s', (_t, c) => {
      const out = same('tc_adjust_room', roomFrame(c), c.title)
      expect(Number(out.readBigInt64LE(out.length - 24)), 'the answer (the kernel)').toBe(c.ret)
    })
  })

  it('tail calls from a subprogram keep the frames below them: 34 mains, each with its own stack', () => {
    const out = same('tc_tail_depth', frame(300), 'main -> sub -> tail call main, to the limit')
    for (let i = 1; i <= 34; i++) expect(out.readUInt32LE(8 * i), `main #${i}'s own number`).toBe(i)
    expect(out.readUInt16LE(8 * 34 + 4), 'how many mains ran').toBe(34)
  })
})
