/**
 * Kernel differential tests for local kptrs at run time: objects of the program's own types
 * stashed in map values and in other objects with bpf_kptr_xchg, read and written through loaded
 * kptrs, refcounted objects held by a tree and a kptr at once (bpf_refcount_acquire), per-CPU
 * objects (bpf_percpu_obj_new, bpf_this_cpu_ptr, bpf_per_cpu_ptr), and what the kernel drops when
 * a value holding kptrs is overwritten or deleted. tc programs of test/kernel/kptr_progs.bpf.c run
 * in sequences on one freshly loaded object, through the running kernel (`bpftool prog loadall`,
 * then `bpftool prog run` per step, pinned to CPU 0 so per-CPU counts are one CPU's) and through
 * uxdp's `Program.testRunSkb`; after the sequence the value's counter (`slots[0].n`) is read back.
 *
 * The kernel's answers are recorded in test/fixtures/kernel/kernel-kptr.json (`npm run
 * kernel:record -- kernel-kptr`) with the object they came from, so the spec runs without a kernel.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { allocatedObjects, BpfObject, UxdpError } from '../lib/index'
import { askKernel, build, finishKernel, liveKernelAsked, useKernel } from './helpers/kernel'

const use = useKernel('kernel-kptr')
const object = build('kptr_progs.bpf.c', {}, ['--clang=clang-19'], { commit: true })
const PACKET = Buffer.alloc(64)
/** `struct slot`'s counter `n` (after the lock and five kptrs). */
const N_OFF = 48

/** One run's outcome: its return value as the kernel reports it (u32), or the errno; then `n`. */
type Step = number | string

function liveSequence(progs: string[]): Step[] {
  const dir = mkdtempSync(join('/sys/fs/bpf', 'uxdp-kptr-'))
  const tmp = mkdtempSync(join(tmpdir(), 'uxdp-kptr-run-'))
  try {
    const r = spawnSync('bpftool', ['prog', 'loadall', object.path, join(dir, 'progs'), 'pinmaps', join(dir, 'maps')], { encoding: 'utf8' })
    if (r.status !== 0) return [`load: ${r.stderr.split('\n').slice(-3).join(' ')}`]
    const fin = join(tmp, 'in.bin')
    writeFileSync(fin, PACKET)
    const steps: Step[] = progs.map((p) => {
      const run = spawnSync('taskset', ['-c', '0', 'bpftool', 'prog', 'run', 'pinned', join(dir, 'progs', p), 'data_in', fin], { encoding: 'utf8' })
      const m = /Return value: (\d+)/.exec(run.stdout)
      return m ? Number(m[1]) : `error: ${run.stderr.trim()}`
    })
    const look = spawnSync('bpftool', ['-j', 'map', 'lookup', 'pinned', join(dir, 'maps', 'slots'), 'key', '0', '0', '0', '0'], { encoding: 'utf8' })
    const value: string[] = JSON.parse(look.stdout).value
    steps.push(Number(Buffer.from(value.map((b) => parseInt(b, 16))).readBigInt64LE(N_OFF)))
    return steps
  } finally {
    spawnSync('rm', ['-rf', dir])
    rmSync(tmp, { recursive: true, force: true })
  }
}

function kernelSequence(progs: string[]): Step[] {
  const request = { op: 'kptrseq', object: object.key, progs }
  return askKernel<Step[]>(request, `${object.what}: test_run sequence ${progs.join(', ')}`, liveKernelAsked() ? () => liveSequence(progs) : undefined)
}

function uxdpSequence(progs: string[]): Step[] {
  const o = BpfObject.open(object.path)
  try {
    const steps: Step[] = progs.map((p) => {
      try {
        return o.program(p).testRunSkb({ data: PACKET }).retval >>> 0
      } catch (e) {
        if (e instanceof UxdpError) return `error: ${e.code} ${e.message}`
        throw e
      }
    })
    // The objects the sequence left are alive until the object's maps go (crate/tests/kptr.rs
    // counts them going; here the handles go with the garbage collector).
    if (allocatedObjects() < 0) throw new Error('negative object count')
    const value = o.map('slots').lookup(Buffer.alloc(4))
    steps.push(value ? Number(value.readBigInt64LE(N_OFF)) : 'no value')
    return steps
  } finally {
    o.close()
  }
}

const SEQUENCES: [string, string[]][] = [
  ['stashes, replaces (the old one dropped), takes back until empty', ['stash_plain', 'stash_plain', 'unstash_plain', 'unstash_plain', 'stash_plain']],
  ['writes through a loaded kptr, seen by the next run and by whoever takes it', ['bump_plain', 'stash_plain', 'bump_plain', 'bump_plain', 'unstash_plain', 'bump_plain']],
  ['an object stashed in an object stashed in the map', ['stash_nested', 'stash_nested', 'unstash_nested', 'unstash_nested']],
  ['a refcounted object in the tree and in the map at once', ['counted_add', 'counted_peek', 'counted_add', 'counted_pop_tree', 'counted_peek', 'counted_unstash', 'counted_pop_tree', 'counted_pop_tree', 'counted_peek']],
  ['the tree keeps an object the map let go', ['counted_add', 'counted_unstash', 'counted_pop_tree', 'counted_unstash']],
  ['per-CPU objects: this CPU counted, CPU 0 read, replaced by a fresh one', ['percpu_bump', 'percpu_stash', 'percpu_bump', 'percpu_bump', 'percpu_cpu0', 'percpu_stash', 'percpu_cpu0', 'percpu_bump']],
  ['bpf_map_update_elem over a value drops what its kptrs held', ['stash_plain', 'stash_nested', 'percpu_stash', 'counted_add', 'overwrite_slot', 'unstash_plain', 'unstash_nested', 'counted_peek', 'percpu_bump', 'counted_pop_tree']],
  ['refcounted objects in a list and a tree at once; a second add fails', ['counted_both', 'counted_both', 'counted_first_ref', 'counted_pop_list', 'counted_pop_tree', 'counted_first_ref', 'counted_add_twice', 'counted_pop_tree', 'counted_pop_tree', 'counted_pop_list', 'counted_pop_tree', 'counted_pop_list']],
  ['a hash element deleted takes its kptr with it', ['hash_peek', 'hash_stash', 'hash_peek', 'hash_stash', 'hash_delete', 'hash_peek', 'hash_stash', 'hash_peek', 'hash_delete', 'hash_delete']],
]

describe(`local kptrs under test_run: uxdp vs Linux (recorded on ${use.recordedOn}${use.live ? `, live ${use.live}` : ''})`, () => {
  afterAll(() => finishKernel())

  for (const [about, progs] of SEQUENCES) {
    it(about, () => {
      const k = kernelSequence(progs)
      expect(uxdpSequence(progs)).toEqual(k)
    })
  }
})
