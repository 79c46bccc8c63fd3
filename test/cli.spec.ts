import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const bin = join(__dirname, '..', 'bin', 'uxdp.js')
const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'))

describe('uxdp CLI', () => {
  it('--version prints the package version', () => {
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version)
  })

  it('demo walks a jumbo frame through the engine and ends with nothing in flight', () => {
    const out = execFileSync(process.execPath, [bin, 'demo'], { encoding: 'utf8' })
    expect(out).toMatch(/frag 1 .*: 1384 bytes/)
    expect(out).toMatch(/bpf_xdp_pointer\(3510, 20\) -> NULL/)
    expect(out).toMatch(/bpf_xdp_adjust_tail\(\+3000\) -> -22 EINVAL/)
    expect(out).toMatch(/bpf_dynptr_slice\(3510, 20, buffer\) -> copied/)
    expect(out).toMatch(/4 records of 1472, 1472, 1472, 352 bytes/)
    expect(out).toMatch(/consumed 4 records in order, byte-exact/)
    expect(out).toMatch(/in flight 0$/m)
  })

  it('unknown commands exit 2 with usage', () => {
    const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/usage: uxdp/)
  })
})
