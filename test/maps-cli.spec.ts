/** `uxdp map dump`: a loaded object's maps as bpftool map dump prints them. */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { build } from './helpers/kernel'

const bin = join(__dirname, '..', 'bin', 'uxdp.js')

function uxdp(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('uxdp map dump', () => {
  // the kernel-maps spec's committed object (maps of every type of issue 14)
  const obj = build('maps14.bpf.c', { BD_ONLY: 1, BD_ONLY_mim_ops: 1 }, [], { commit: true }).path

  it('prints an array as bpftool does, one line per element, then the count', () => {
    const r = uxdp('map', 'dump', obj, '--map', 'inner_a')
    expect(r.status).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(5)
    expect(lines[1]).toBe('key: 01 00 00 00  value: 00 00 00 00 00 00 00 00')
    expect(lines[4]).toBe('Found 4 elements')
  })

  it("prints a map of maps' slots filled by .values as inner map ids", () => {
    const r = uxdp('map', 'dump', obj, '--map', 'outer_array')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^key: 00 00 00 00  inner_map_id: \d+ \nkey: 02 00 00 00  inner_map_id: \d+ \nFound 2 elements\n$/)
    const j = JSON.parse(uxdp('map', 'dump', obj, '--map', 'outer_hash', '--json').stdout)
    expect(j).toHaveLength(1)
    expect(j[0].key).toEqual(['01', '00', '00', '00'])
  })

  it('empty queues, unknown maps and ring buffers', () => {
    expect(uxdp('map', 'dump', obj, '--map', 'queue').stdout).toBe('Found 0 elements\n')
    const none = uxdp('map', 'dump', obj, '--map', 'nope')
    expect(none.status).toBe(1)
    expect(none.stderr).toContain('ENOENT')
    const rb = uxdp('map', 'dump', obj, '--map', 'urb')
    expect(rb.status).toBe(1)
    expect(rb.stderr).toContain('EOPNOTSUPP')
    expect(uxdp('map', 'dump', obj).status).toBe(1)
  })
})
