/**
 * Kernel differential tests for BPF-allocated objects and the lists and trees built of them
 * (bpf_obj_new / bpf_obj_drop, bpf_refcount_acquire, bpf_list_*, bpf_rbtree_*): tc programs of
 * test/kernel/graph_progs.bpf.c run in sequences on one freshly loaded object, through the running
 * kernel (`bpftool prog loadall`, then `bpftool prog run` per step) and through uxdp's
 * `Program.testRunSkb`. The objects stay in the map value between runs, so each step's return
 * value depends on what the steps before left: both must give the same sequence.
 *
 * The kernel's answers are recorded in test/fixtures/kernel/kernel-graph.json (`npm run
 * kernel:record -- kernel-graph`) with the object they came from, so the spec runs without a
 * kernel.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BpfObject, UxdpError } from '../lib/index'
import { askKernel, build, finishKernel, liveKernelAsked, useKernel } from './helpers/kernel'

const use = useKernel('kernel-graph')
const object = build('graph_progs.bpf.c', {}, ['--clang=clang-19'], { commit: true })
const PACKET = Buffer.alloc(64)

/** One run's outcome: its return value as the kernel reports it (u32), or the errno. */
type Step = number | string

function liveSequence(progs: string[]): Step[] {
  const dir = mkdtempSync(join('/sys/fs/bpf', 'uxdp-graph-'))
  const tmp = mkdtempSync(join(tmpdir(), 'uxdp-graph-run-'))
  try {
    const r = spawnSync('bpftool', ['prog', 'loadall', object.path, join(dir, 'progs')], { encoding: 'utf8' })
    if (r.status !== 0) return [`load: ${r.stderr.split('\n').slice(-3).join(' ')}`]
    const fin = join(tmp, 'in.bin')
    writeFileSync(fin, PACKET)
    return progs.map((p) => {
      const run = spawnSync('bpftool', ['prog', 'run', 'pinned', join(dir, 'progs', p), 'data_in', fin], { encoding: 'utf8' })
      const m = /Return value: (\d+)/.exec(run.stdout)
      return m ? Number(m[1]) : `error: ${run.stderr.trim()}`
    })
  } finally {
    spawnSync('rm', ['-rf', dir])
    rmSync(tmp, { recursive: true, force: true })
  }
}

function kernelSequence(progs: string[]): Step[] {
  const request = { op: 'graphseq', object: object.key, progs }
  return askKernel<Step[]>(request, `${object.what}: test_run sequence ${progs.join(", ")}`, liveKernelAsked() ? () => liveSequence(progs) : undefined)
}

function uxdpSequence(progs: string[]): Step[] {
  const o = BpfObject.open(object.path)
  try {
    return progs.map((p) => {
      try {
        return o.program(p).testRunSkb({ data: PACKET }).retval >>> 0
      } catch (e) {
        if (e instanceof UxdpError) return `error: ${e.code} ${e.message}`
        throw e
      }
    })
  } finally {
    o.close()
  }
}

const SEQUENCES: [string, string[]][] = [
  ['pushes front and back, peeks, pops from both ends until empty', ['list_push', 'list_push', 'list_push', 'list_peek', 'list_pop_front', 'list_pop_back', 'list_pop_back', 'list_pop_back', 'list_peek']],
  ['pops from an empty list', ['list_pop_front', 'list_pop_back', 'list_peek']],
  ['a tree ordered by less(): smallest key first', ['tree_add', 'tree_add', 'tree_add', 'tree_add', 'tree_add', 'tree_pop_first', 'tree_pop_first', 'tree_pop_first', 'tree_pop_first', 'tree_pop_first', 'tree_pop_first']],
  ['a list inside an allocated object, dropped with what it holds', ['nested_list', 'nested_list']],
  ['a second push of a node already in a list: -EINVAL', ['refcount_double_push', 'list_pop_front', 'list_pop_front']],
  ['objects left in the map across runs', ['list_push', 'tree_add', 'list_push', 'tree_add', 'list_peek', 'tree_pop_first', 'list_pop_back']],
]

describe(`BPF-allocated objects, lists and trees under test_run: uxdp vs Linux (recorded on ${use.recordedOn}${use.live ? `, live ${use.live}` : ''})`, () => {
  afterAll(() => finishKernel())

  for (const [about, progs] of SEQUENCES) {
    it(about, () => {
      const k = kernelSequence(progs)
      expect(uxdpSequence(progs)).toEqual(k)
    })
  }
})
