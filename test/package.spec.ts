import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(__dirname, '..')
const work = mkdtempSync(join(tmpdir(), 'uxdp-pack-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

// No Rust toolchain may be reachable: the installed package must not need one.
const env = { ...process.env, PATH: (process.env.PATH ?? '').split(delimiter).filter((p) => !/cargo|rustup/.test(p)).join(delimiter) }

describe('npm package', () => {
  it('installs from its two tarballs into an empty folder and works without Rust', () => {
    const packed = JSON.parse(execFileSync(process.execPath, [join(root, 'scripts', 'pack-platform.mjs'), join(work, 'tarballs')], { encoding: 'utf8' }).trim().split('\n').pop()!)
    expect(packed.mainFiles.some((f: string) => f.endsWith('.node'))).toBe(false)
    expect(packed.platformFiles).toContain('uxdp.linux-x64-gnu.node')

    const app = join(work, 'app')
    execFileSync('mkdir', ['-p', app])
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
    execFileSync('npm', ['install', '--no-audit', '--no-fund', packed.main, packed.platform], { cwd: app, env, stdio: 'pipe' })
    expect(() => execFileSync('cargo', ['--version'], { env, stdio: 'pipe' })).toThrow()

    const script = `
      const u = require('uxdp')
      const pool = new u.PagePool()
      const f = u.Frame.fromBytes(Buffer.alloc(9000, 1), { pool })
      f.adjustTail(-4100)
      const out = { nrFrags: f.nrFrags, length: f.length, version: u.version, binary: require.resolve('uxdp-linux-x64-gnu') }
      f.release()
      out.inFlight = pool.stats().inFlight
      console.log(JSON.stringify(out))`
    const r = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: app, env, encoding: 'utf8' }))
    expect(r).toMatchObject({ nrFrags: 1, length: 4900, version: '0.1.0', inFlight: 0 })
    expect(r.binary).toBe(join(app, 'node_modules', 'uxdp-linux-x64-gnu', 'uxdp.linux-x64-gnu.node'))
    expect(readdirSync(join(app, 'node_modules', 'uxdp')).filter((f) => f.endsWith('.node'))).toEqual([])
    expect(execFileSync(join(app, 'node_modules', '.bin', 'uxdp'), ['--version'], { env, encoding: 'utf8' }).trim()).toBe('0.1.0')

    // The shipped typings: a strict TypeScript consumer compiles against them, and misuse fails.
    const good = `import { Frame, PagePool, UxdpError, type FrameOptions } from 'uxdp'
const opts: FrameOptions = { pool: new PagePool(), maxFrags: 17 }
const f: Frame = Frame.fromBytes(Buffer.alloc(100), opts)
const n: number = f.nrFrags
const v: Uint8Array | null = f.pointer(0, 14)
export const out = [n, v, UxdpError.nameOf(-22)]
`
    writeFileSync(join(app, 'good.ts'), good)
    writeFileSync(join(app, 'bad.ts'), `import { Frame } from 'uxdp'
const s: string = Frame.fromBytes(Buffer.alloc(100)).length
export { s }
`)
    const tsc = (file: string) =>
      spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'commonjs', '--moduleResolution', 'node', '--target', 'es2022', '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types'), file], { cwd: app, env, encoding: 'utf8' })
    const ok = tsc('good.ts')
    expect(ok.stdout + ok.stderr).toBe('')
    expect(ok.status).toBe(0)
    const bad = tsc('bad.ts')
    expect(bad.status).not.toBe(0)
    expect(bad.stdout).toMatch(/bad\.ts.*not assignable to type 'string'/)
    expect(bad.stdout).not.toMatch(/node_modules/)
  })
})
