// `npm test`: builds, then runs every Rust test (cargo) and every TypeScript test (vitest), even
// when one side fails, and ends with one line counting both.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const env = { ...process.env, NO_COLOR: '1', CARGO_TERM_COLOR: 'never', FORCE_COLOR: '0' }

function run(cmd, args, capture = false) {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: capture ? ['inherit', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', maxBuffer: 1 << 28 })
  if (capture) process.stdout.write(r.stdout ?? '')
  return r
}

let passed = 0
let failed = 0
const parts = []

const build = run('npm', ['run', '--silent', 'build'])
if (build.status !== 0) {
  console.log('\nbuild failed: no test could run')
  console.log('0 passed, 1 failed')
  process.exit(1)
}

const cargo = run('cargo', ['test', '--workspace', '--color', 'never'], true)
let rustPassed = 0
let rustFailed = 0
for (const m of (cargo.stdout ?? '').matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
  rustPassed += Number(m[1])
  rustFailed += Number(m[2])
}
if (cargo.status !== 0 && rustFailed === 0) rustFailed = 1 // did not compile or crashed
passed += rustPassed
failed += rustFailed
parts.push(`rust ${rustPassed} passed, ${rustFailed} failed`)

const differencesDir = join(root, 'target', 'kernel-build-differences')
rmSync(differencesDir, { recursive: true, force: true })
const report = join(root, 'target', 'vitest-report.json')
mkdirSync(dirname(report), { recursive: true })
rmSync(report, { force: true })
const vitest = run(join(root, 'node_modules', '.bin', 'vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`])
let tsPassed = 0
let tsFailed = 0
let tsSkipped = 0
try {
  const r = JSON.parse(readFileSync(report, 'utf8'))
  tsPassed = r.numPassedTests
  // A file that fails to load has no failing assertion but must still count as a failure.
  const brokenFiles = (r.testResults ?? []).filter((t) => t.status === 'failed' && !t.assertionResults?.some((a) => a.status === 'failed')).length
  tsFailed = r.numFailedTests + brokenFiles
  tsSkipped = r.numPendingTests + (r.numTodoTests ?? 0)
} catch {
  tsFailed = 1
}
if (vitest.status !== 0 && tsFailed === 0) tsFailed = 1
passed += tsPassed
failed += tsFailed
parts.push(`typescript ${tsPassed} passed, ${tsFailed} failed${tsSkipped ? `, ${tsSkipped} skipped` : ''}`)

// What the kernel differential specs said about the live kernel (test/helpers/kernel.ts): never a
// failure, always shown.
if (existsSync(differencesDir)) {
  const specs = readdirSync(differencesDir).filter((f) => f.endsWith('.json')).map((f) => ({ tag: f.slice(0, -5), ...JSON.parse(readFileSync(join(differencesDir, f), 'utf8')) }))
  const live = [...new Set(specs.map((s) => s.live).filter(Boolean))]
  const differences = specs.flatMap((s) => s.differences.map((d) => ({ tag: s.tag, ...d })))
  const unrecorded = specs.reduce((n, s) => n + new Set(s.unrecorded.map((u) => u.test)).size, 0)
  console.log(`\nkernel evidence: uxdp compared with the recorded kernel answers (test/fixtures/kernel)${unrecorded ? `; ${unrecorded} case(s) on their pinned kernel facts only, the recording kernel refused their program (known build differences)` : ''}`)
  if (!live.length) console.log(`  live kernel: not asked (${specs.map((s) => s.liveReason).find(Boolean) ?? 'unavailable'})`)
  else {
    console.log(`  live kernel ${live.join(', ')} as a second opinion: ${differences.length} kernel-build difference(s) from the recordings${differences.length ? ' (not failures):' : ''}`)
    for (const d of differences.slice(0, 10)) console.log(`    [${d.tag}] ${d.what}\n      recorded (${d.recorded.kernel}): ${d.recorded.answer}\n      live     (${d.live.kernel}): ${d.live.answer}`)
    if (differences.length > 10) console.log(`    ... ${differences.length - 10} more in target/kernel-build-differences/`)
  }
}

console.log(`\n${parts.join('; ')}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
