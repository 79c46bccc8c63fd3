/**
 * The recorded kernel answers themselves (test/fixtures/kernel, written by `npm run kernel:record`):
 * intact, every committed object accounted for, and the known kernel-build differences still seen
 * in the recordings and listed in the README, so that the list users read is the list the suite
 * applies.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KERNEL_SPECS } from '../scripts/kernel-specs.mjs'
import { decode, FIXTURE_DIR, KNOWN, type FixtureFile } from './helpers/kernel'

const SPECS: string[] = KERNEL_SPECS
const fixtures = Object.fromEntries(SPECS.map((t) => [t, JSON.parse(readFileSync(join(FIXTURE_DIR, `${t}.json`), 'utf8')) as FixtureFile]))
const entries = Object.values(fixtures).flatMap((f) => Object.values(f.entries))

describe('recorded kernel answers', () => {
  it.each(SPECS)('%s: every entry names its question, the kernel that answered and decodes intact', (tag) => {
    const f = fixtures[tag]
    expect(Object.keys(f.entries).length).toBeGreaterThan(0)
    for (const [key, e] of Object.entries(f.entries)) {
      expect(key).toMatch(/^[0-9a-f]{24}$/)
      expect(e.what.length, key).toBeGreaterThan(0)
      expect(e.kernel, key).toMatch(/^\d+\.\d+/)
      expect(e.same, key).toMatch(/^[0-9a-f]{16}$/)
      // blobs carry their length and hash: decode checks both
      expect(() => decode(e.answer), key).not.toThrow()
    }
  })

  it('every committed object is one a recording asks about', () => {
    const objects = readdirSync(join(FIXTURE_DIR, 'objects'))
    expect(objects.length).toBeGreaterThan(0)
    const asked = new Set(entries.flatMap((e) => [...e.what.matchAll(/#([0-9a-f]{8})\b/g)].map((m) => m[1])))
    const orphans = objects.filter((o) => !asked.has(/-([0-9a-f]{16})\.o$/.exec(o)?.[1].slice(0, 8) ?? ''))
    expect(orphans, 'objects no recording uses (npm run kernel:record removes them)').toEqual([])
  })

  it('every known kernel-build difference is a refusal the recordings hold, and the README lists it', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8').replace(/\s+/g, ' ')
    const refusals = entries.flatMap((e) => {
      // (an answer may be null: a question the kernel had nothing for, such as a table it did not print)
      const a = (decode(e.answer) ?? {}) as { accepted?: boolean; line?: string; stderr?: string }
      return [a.accepted === false ? (a.line ?? '') : '', a.stderr ?? '']
    })
    for (const d of KNOWN) {
      expect(refusals.some((r) => r.includes(d.refusal)), `recorded: ${d.refusal}`).toBe(true)
      expect(readme.includes(d.refusal), `README lists: ${d.refusal}`).toBe(true)
      for (const k of d.kernels) expect(readme.includes(k), `README names the kernel build ${k}`).toBe(true)
    }
  })
})
