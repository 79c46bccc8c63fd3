import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { udpFrame } from '../lib/cli/demo'
import { DEMO_OBJECT } from '../lib/cli/demo-object'
import { BpfObject, PcapWriter, readCapture } from '../lib/index'
import { compileOwn } from './helpers/bpf'

const bin = join(__dirname, '..', 'bin', 'uxdp.js')
const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'))

describe('uxdp CLI', () => {
  it('--version prints the package version', () => {
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version)
  })

  it('tour walks a jumbo frame through the frame and dynptr engines and ends with nothing in flight', () => {
    const out = execFileSync(process.execPath, [bin, 'tour'], { encoding: 'utf8' })
    expect(out).toMatch(/frag 1 .*: 1384 bytes/)
    expect(out).toMatch(/bpf_xdp_pointer\(3510, 20\) -> NULL/)
    expect(out).toMatch(/bpf_xdp_adjust_tail\(\+3000\) -> -22 EINVAL/)
    expect(out).toMatch(/bpf_dynptr_slice\(3510, 20, buffer\) -> copied/)
    expect(out).toMatch(/4 records of 1472, 1472, 1472, 352 bytes/)
    expect(out).toMatch(/consumed 4 records in order, byte-exact/)
    expect(out).toMatch(/in flight 0$/m)
  })

  it('demo runs the NIC at MTU 9000 through every action and ends with a stats table, nothing in flight', () => {
    const r = spawnSync(process.execPath, [bin, 'demo', '--frames', '3000'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/emulated mvneta NIC at MTU 9000, XDP program in TypeScript/)
    for (const name of ['rx_xdp_pass', 'rx_xdp_drop', 'rx_xdp_tx', 'rx_xdp_redirect']) {
      const m = r.stdout.match(new RegExp(`^  ${name} +(\\d+)$`, 'm'))
      expect(Number(m?.[1]), name).toBeGreaterThan(100)
    }
    expect(r.stdout).toMatch(/0 in flight after closing the NICs/)
  })

  it('demo --json: frames, multi-buffer frames, ethtool-named stats, page pool back to 0', () => {
    for (const extra of [[], ['--native']]) {
      const out = execFileSync(process.execPath, [bin, 'demo', '--json', '--frames', '2000', ...extra], { encoding: 'utf8' })
      const j = JSON.parse(out)
      expect(j.frames).toBe(2000)
      expect(j.multi_buffer_frames).toBeGreaterThan(400)
      expect(j.page_pool.in_flight).toBe(0)
      expect(j.page_pool.allocated).toBeGreaterThan(0)
      const s = j.stats
      expect(s.good_frames_received).toBe(2000)
      expect(s.rx_xdp_pass + s.rx_xdp_drop + s.rx_xdp_tx + s.rx_xdp_redirect + j.split_dropped).toBe(2000)
      expect(s.tx_xdp_xmit_peer).toBe(s.rx_xdp_redirect)
      expect(j.program).toBe(extra.length ? 'native' : 'typescript')
    }
  })

  it('the native and TypeScript programs decide the same', () => {
    const run = (extra: string[]) => JSON.parse(execFileSync(process.execPath, [bin, 'demo', '--json', '--frames', '1500', ...extra], { encoding: 'utf8' }))
    const [ts, nat] = [run([]), run(['--native'])]
    for (const k of ['rx_xdp_pass', 'rx_xdp_drop', 'rx_xdp_tx', 'rx_xdp_redirect', 'tx_bytes', 'rx_bytes']) expect(nat.stats[k], k).toBe(ts.stats[k])
  })

  it('demo --bpf: the clang-built program decides as the TypeScript one, its needs inferred at attach', () => {
    const run = (extra: string[]) => JSON.parse(execFileSync(process.execPath, [bin, 'demo', '--json', '--frames', '1500', ...extra], { encoding: 'utf8' }))
    const [ts, bpf] = [run([]), run(['--bpf'])]
    for (const k of ['rx_xdp_pass', 'rx_xdp_drop', 'rx_xdp_tx', 'rx_xdp_redirect', 'tx_bytes', 'rx_bytes']) expect(bpf.stats[k], k).toBe(ts.stats[k])
    expect(bpf.program).toBe('bpf')
    expect(bpf.page_pool.in_flight).toBe(0)
    expect(bpf.needs.map((n: string) => n.split(' (')[0])).toEqual(['rx-sg', 'redirect', 'ndo-xmit on the devices of peer', 'ndo-xmit-sg on the devices of peer', 'basic'])
    const text = spawnSync(process.execPath, [bin, 'demo', '--bpf', '--frames', '200'], { encoding: 'utf8' }).stdout
    expect(text).toMatch(/^ {4}redirect \(insn \d+: bpf_redirect_map#51 into devmap 'peer'\)$/m)
    expect(spawnSync(process.execPath, [bin, 'demo', '--bpf', '--native'], { encoding: 'utf8' }).status).toBe(1)
  })

  it("the demo's embedded object is its source's: same verdict, needs and decisions as a fresh build", () => {
    const fresh = join(mkdtempSync(join(tmpdir(), 'uxdp-demo-obj-')), 'demo.o')
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(__dirname, '..', 'lib', 'cli', 'bpf', 'demo.bpf.c'), '-o', fresh])
    const [a, b] = [BpfObject.open(DEMO_OBJECT), BpfObject.open(fresh)]
    try {
      expect(a.program('demo').inspect()).toEqual(b.program('demo').inspect())
      for (const port of [53, 9, 7, 4789]) {
        const frame = udpFrame(600, port, 1)
        expect(a.program('demo').testRun({ data: frame }), `port ${port}`).toEqual({ ...b.program('demo').testRun({ data: frame }), durationNs: expect.any(Number) })
      }
    } finally {
      a.close()
      b.close()
    }
  })

  it('demo --pcap replays a capture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uxdp-demo-'))
    const file = join(dir, 'in.pcap')
    const w = new PcapWriter()
    w.write(udpFrame(100, 7, 1), 1000n)
    w.write(udpFrame(9000, 9, 2), 2000n)
    w.write(udpFrame(5000, 53, 3), 3000n)
    w.writeFile(file)
    const j = JSON.parse(execFileSync(process.execPath, [bin, 'demo', '--json', '--pcap', file], { encoding: 'utf8' }))
    expect([j.frames, j.multi_buffer_frames, j.transmitted, j.passed]).toEqual([3, 2, 1, 1])
    expect(j.stats.rx_xdp_drop).toBe(1)
    rmSync(dir, { recursive: true })
  })

  it('demo --write-pcap writes what was sent and what the stack received, readable by tcpdump', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uxdp-demo-out-'))
    const prefix = join(dir, 'run')
    const j = JSON.parse(execFileSync(process.execPath, [bin, 'demo', '--json', '--frames', '500', '--write-pcap', prefix], { encoding: 'utf8' }))
    const tx = readCapture(readFileSync(`${prefix}-tx.pcap`))
    const pass = readCapture(readFileSync(`${prefix}-pass.pcap`))
    expect(tx.length).toBe(j.transmitted + j.redirected)
    expect(pass.length).toBe(j.passed)
    expect(Math.max(...tx.map((p) => p.data.length))).toBeGreaterThan(3600)
    // --count: the redirected frames go to the VXLAN port and tcpdump prints several lines for them.
    const tcpdump = spawnSync('tcpdump', ['--count', '-r', `${prefix}-tx.pcap`], { encoding: 'utf8' })
    if (tcpdump.error) console.warn('[cli] tcpdump not installed: reading the capture back with tcpdump SKIPPED')
    else expect(tcpdump.stdout.trim()).toBe(`${tx.length} packets`)
    rmSync(dir, { recursive: true })
  })

  it('bad demo options exit 1 with the reason', () => {
    const r = spawnSync(process.execPath, [bin, 'demo', '--frames', 'many'], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/--frames takes a non-negative integer/)
  })

  it('every failure is one line on stderr naming the errno, exit status 1, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uxdp-cli-errors-'))
    const data = join(dir, 'in.bin')
    writeFileSync(data, Buffer.alloc(64))
    const notElf = join(dir, 'not.o')
    writeFileSync(notElf, 'not an object file')
    const asm = join(dir, 'p.asm')
    writeFileSync(asm, 'mov %r0, 1\nexit\n')
    const obj = compileOwn('test_run.bpf.c')
    // A path this process may not write: a read-only file, or for root (who may write those) a
    // read-only sysfs attribute.
    const root = process.getuid?.() === 0
    const denied = root ? '/sys/kernel/notes' : join(dir, 'denied')
    if (!root) {
      writeFileSync(denied, '')
      chmodSync(denied, 0o444)
    }
    const cases: [string[], string][] = [
      [['prog', 'run', obj, '--prog', 'count_runs', '--data-in', data, '--data-out', '/nonexistent/x'], 'ENOENT'],
      [['prog', 'run', obj, '--prog', 'count_runs', '--data-in', data, '--data-out', dir], 'EISDIR'],
      [['prog', 'run', obj, '--prog', 'count_runs', '--data-in', data, '--data-out', join(data, 'x')], 'ENOTDIR'],
      [['demo', '--pcap', '/nonexistent'], 'ENOENT'],
      [['demo', '--pcap', dir], 'EISDIR'],
      [['demo', '--pcap', data], 'EINVAL'],
      [['demo', '--frames', '-5'], 'EINVAL'],
      [['demo', '--frames'], 'EINVAL'],
      [['prog', 'run', '/nonexistent.o', '--data-in', data], 'ENOENT'],
      [['prog', 'run', obj, '--data-in', '/nonexistent'], 'ENOENT'],
      [['prog', 'run', notElf, '--data-in', data], 'EINVAL'],
      [['prog', 'run', obj, '--data-in', data, '--repeat', 'lots'], 'EINVAL'],
      [['prog', 'run', obj, '--data-in', data, '--timeout', '-1'], 'EINVAL'],
      [['prog', 'run', obj, '--data-in', data, '--prog', 'nope'], 'ENOENT'],
      [['prog', 'show', notElf], 'EINVAL'],
      [['prog', 'show', dir], 'EISDIR'],
      [['prog', 'dump', '/nonexistent.o'], 'ENOENT'],
      [['prog', 'load', notElf], 'EINVAL'],
      [['prog', 'frobnicate'], 'EINVAL'],
      [['conformance', '/nonexistent'], 'ENOENT'],
      [['conformance', data], 'ENOTDIR'],
      [['asm', asm, '--out', '/nonexistent/p.bin'], 'ENOENT'],
      ...(root && !existsSync(denied) ? [] : [[['asm', asm, '--out', denied], 'EACCES'] as [string[], string]]),
      [['disasm', dir], 'EISDIR'],
    ]
    for (const [args, errno] of cases) {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
      const what = `uxdp ${args.join(' ')}: ${r.stderr}`
      expect(r.status, what).toBe(1)
      const lines = r.stderr.trimEnd().split('\n')
      expect(lines.length, what).toBe(1)
      expect(lines[0], what).toMatch(new RegExp(`^Error: .*\\(${errno}\\)$`))
      expect(r.stderr, what).not.toMatch(/^\s+at /m)
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('unknown commands exit 2 with usage', () => {
    const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/usage: uxdp/)
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^Error: unknown command 'frobnicate' \(EINVAL\)/)])
  })
})
