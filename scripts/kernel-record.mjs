// `npm run kernel:record [-- --accept] [-- SPEC...]`: asks the running kernel every question the
// kernel differential specs ask (UXDP_KERNEL=record, see test/helpers/kernel.ts) and merges its
// answers into the recordings, test/fixtures/kernel/<spec>.json (SPEC: one of scripts/kernel-specs.mjs'
// list; default all).
//
// New answers are added. An answer that differs from the recorded one is never overwritten
// silently: it is shown as a diff and kept as recorded, unless --accept is given (then it is
// replaced, and still shown). Recordings no longer asked for are removed, with the committed
// objects no recording of any spec uses any more, when the specs ran through without a failure.
// Exit status 1 when a changed answer was kept or a spec failed.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inflateRawSync } from 'node:zlib'
import { KERNEL_SPECS } from './kernel-specs.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const FIXTURES = join(root, 'test', 'fixtures', 'kernel')
const OBJECTS = join(FIXTURES, 'objects')
const RECORDS = join(root, 'target', 'kernel-record')
const ALL = KERNEL_SPECS
const ABOUT =
  "The Linux kernel's answers to the questions of test/%s.spec.ts, recorded by `npm run kernel:record` (scripts/kernel-record.mjs): keyed by a hash of the question (program sources and clang arguments, inputs), each with the kernel release that answered. Do not edit by hand."

const args = process.argv.slice(2)
const accept = args.includes('--accept')
const specs = args.filter((a) => !a.startsWith('--'))
for (const s of specs) if (!ALL.includes(s)) {
  console.error(`unknown spec ${s} (${ALL.join(', ')})`)
  process.exit(2)
}
const tags = specs.length ? specs : ALL

const run = (cmd, argv, env = {}) => spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })

if (run('npm', ['run', '--silent', 'build']).status !== 0) {
  console.error('build failed')
  process.exit(1)
}
rmSync(RECORDS, { recursive: true, force: true })
const vitest = run(join(root, 'node_modules', '.bin', 'vitest'), ['run', ...tags.map((t) => `test/${t}.spec.ts`)], { UXDP_KERNEL: 'record' })
const complete = vitest.status === 0
if (!complete) console.error('\nsome specs failed while recording: recordings nobody asked for are kept (nothing is pruned)')

/** A blob or text as stored, decoded; other values as they are. */
function decoded(v) {
  if (v && typeof v === 'object' && typeof v.deflate === 'string') return inflateRawSync(Buffer.from(v.deflate, 'base64'))
  if (v && typeof v === 'object' && typeof v.hex === 'string' && Object.keys(v).length === 1) return Buffer.from(v.hex, 'hex')
  if (v && typeof v === 'object' && typeof v.text === 'string' && Object.keys(v).length === 1) return inflateRawSync(Buffer.from(v.text, 'base64')).toString('utf8')
  return v
}

/** Where two stored answers differ, as lines. */
function diff(a, b, path = 'answer', out = []) {
  const x = decoded(a)
  const y = decoded(b)
  if (Buffer.isBuffer(x) || Buffer.isBuffer(y)) {
    if (!Buffer.isBuffer(x) || !Buffer.isBuffer(y) || !x.equals(y)) {
      if (!Buffer.isBuffer(x) || !Buffer.isBuffer(y)) out.push(`${path}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`)
      else {
        let i = 0
        while (i < x.length && i < y.length && x[i] === y[i]) i++
        out.push(`${path}: ${x.length} B -> ${y.length} B, first difference at byte ${i}: ${x.subarray(i, i + 8).toString('hex') || '(end)'} -> ${y.subarray(i, i + 8).toString('hex') || '(end)'}`)
      }
    }
  } else if (typeof x === 'string' && typeof y === 'string' && x.length > 80) {
    if (x !== y) {
      let i = 0
      while (i < x.length && x[i] === y[i]) i++
      out.push(`${path}: text differs at ${i}: ${JSON.stringify(x.slice(i, i + 60))} -> ${JSON.stringify(y.slice(i, i + 60))}`)
    }
  } else if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) === !Array.isArray(y)) {
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) diff(x[k], y[k], `${path}.${k}`, out)
  } else if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${path}: ${JSON.stringify(x)} -> ${JSON.stringify(y)}`)
  return out
}

let kept = 0
const usedObjects = new Set()
for (const tag of tags) {
  const recPath = join(RECORDS, `${tag}.json`)
  const fixPath = join(FIXTURES, `${tag}.json`)
  const old = existsSync(fixPath) ? JSON.parse(readFileSync(fixPath, 'utf8')) : { entries: {} }
  if (!existsSync(recPath)) {
    console.error(`\n${tag}: nothing recorded (the spec did not run to its end)`)
    kept++
    continue
  }
  const rec = JSON.parse(readFileSync(recPath, 'utf8'))
  for (const o of rec.objects) usedObjects.add(o)
  const entries = {}
  let added = 0
  let same = 0
  let changed = 0
  let accepted = 0
  for (const [key, e] of Object.entries(rec.entries)) {
    const before = old.entries[key]
    if (!before) {
      added++
      entries[key] = e
    } else if (before.same === e.same) {
      // the same answer as Linux defines it (a hash map's order, which CPU ran: not compared)
      same++
      entries[key] = before
    } else {
      changed++
      console.log(`\n${tag}: the kernel's answer changed: ${e.what}\n  test: ${e.test}\n  recorded on ${before.kernel}, now ${e.kernel}:`)
      for (const line of diff(before.answer, e.answer)) console.log(`    ${line}`)
      if (accept) {
        accepted++
        entries[key] = e
      } else {
        kept++
        entries[key] = before
      }
    }
  }
  const stale = Object.keys(old.entries).filter((k) => !(k in rec.entries))
  if (!complete) for (const k of stale) entries[k] = old.entries[k]
  const sorted = Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1)))
  writeFileSync(fixPath, JSON.stringify({ about: ABOUT.replace('%s', tag), entries: sorted }, null, 1) + '\n')
  console.log(
    `\n${tag}: ${added} added, ${same} unchanged, ${changed} changed (${accept ? `${accepted} accepted` : `${changed - accepted} kept as recorded: --accept replaces them`}), ${complete ? `${stale.length} no longer asked for, removed` : `${stale.length} not asked for this time, kept`}`,
  )
}

if (complete && existsSync(OBJECTS)) {
  // objects some recording (of any spec, recorded now or before) asks about: `#<key prefix>` in its question
  const asked = new Set()
  for (const t of ALL) {
    const path = join(FIXTURES, `${t}.json`)
    if (!existsSync(path)) continue
    for (const e of Object.values(JSON.parse(readFileSync(path, 'utf8')).entries)) for (const m of e.what.matchAll(/#([0-9a-f]{8})\b/g)) asked.add(m[1])
  }
  const unused = readdirSync(OBJECTS).filter((f) => !usedObjects.has(f) && !asked.has(/-([0-9a-f]{16})\.o$/.exec(f)?.[1].slice(0, 8)))
  for (const f of unused) rmSync(join(OBJECTS, f))
  if (unused.length) console.log(`removed ${unused.length} committed object(s) no recording uses`)
}
process.exit(complete && kept === 0 ? 0 : 1)
