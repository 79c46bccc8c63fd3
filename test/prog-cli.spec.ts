/**
 * The bpftool-style commands: `uxdp prog load|run|show|dump`, `uxdp conformance DIR` and the
 * assembler/disassembler commands, run as a user would run them.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compileOwn } from './helpers/bpf'

const bin = join(__dirname, '..', 'bin', 'uxdp.js')
const dir = mkdtempSync(join(tmpdir(), 'uxdp-cli-'))
const CONFORMANCE = process.env.UXDP_CONFORMANCE_DIR ?? resolve(__dirname, '..', '..', 'shared', 'conformance')

function uxdp(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name)
  writeFileSync(p, bytes)
  return p
}

describe('uxdp prog', () => {
  it('load --json: accepted objects exit 0 with the instruction count', () => {
    const r = uxdp('prog', 'load', compileOwn('basic.bpf.c'), '--json')
    expect(r.status).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j).toMatchObject({ accepted: true, message: '' })
    expect(j.insns_processed).toBeGreaterThan(50)
    expect(Object.keys(j).sort()).toEqual(['accepted', 'insns_processed', 'log', 'message'])
  })

  it('load refuses with exit 1 and the message in libbpf/verifier wording', () => {
    const missing = uxdp('prog', 'load', compileOwn('features.bpf.c'), '--prog', 'user_kfunc', '--json')
    expect(missing.status).toBe(1)
    const refusal = JSON.parse(missing.stdout)
    expect(refusal.accepted).toBe(false)
    expect(refusal.message).toContain("extern (func ksym) 'uxdp_test_mix': not found in kernel or module BTFs")
    const proprietary = uxdp('prog', 'load', compileOwn('license.bpf.c', { LICENSE_STR: '"Proprietary"' }), '--json')
    expect(proprietary.status).toBe(1)
    expect(JSON.parse(proprietary.stdout).message).toBe('cannot call GPL-restricted function from non-GPL compatible program')
    expect(uxdp('prog', 'load', compileOwn('license.bpf.c', { LICENSE_STR: '"Dual MIT/GPL"' })).status).toBe(0)
    const garbage = uxdp('prog', 'load', file('garbage.o', Buffer.from('\x7fELF not really')), '--json')
    expect(garbage.status).toBe(1)
    expect(JSON.parse(garbage.stdout).accepted).toBe(false)
    const plain = uxdp('prog', 'load', file('garbage2.o', Buffer.from('nope')))
    expect(plain.status).toBe(1)
    expect(plain.stderr).toMatch(/Error: failed to load object file/)
  })

  it('load refuses a structurally bad instruction where the walk reaches it, with the verifier message and its log', () => {
    const bytes = readFileSync(compileOwn('basic.bpf.c'))
    const exit = bytes.indexOf(Buffer.from('9500000000000000', 'hex'))
    expect(exit).toBeGreaterThan(0)
    bytes[exit + 4] = 1 // a nonzero imm in an exit
    const r = uxdp('prog', 'load', file('bad-exit.o', bytes), '--json')
    expect(r.status).toBe(1)
    const j = JSON.parse(r.stdout)
    // the kernel checks an exit's reserved fields in its walk (recorded: cfg/exit_with_fields in
    // the verifier corpus): the log is the path to the exit, the line, the statistics
    expect(j).toMatchObject({ accepted: false, message: 'BPF_EXIT uses reserved fields' })
    const lines = j.log.trimEnd().split('\n')
    expect(lines[0]).toBe('0: R1=ctx() R10=fp0')
    expect(lines.at(-3)).toMatch(/^\d+: \(95\) exit$/)
    expect(lines.at(-2)).toBe('BPF_EXIT uses reserved fields')
    expect(lines.at(-1)).toMatch(new RegExp(`^processed ${j.insns_processed} insns `))
    expect(j.insns_processed).toBeGreaterThan(1)
  })

  it('load --caps checks as a loader with fewer capabilities would (CAP_BPF without CAP_PERFMON: Spectre v1 rules)', () => {
    const obj = compileOwn('caps.bpf.c')
    expect(uxdp('prog', 'load', obj).status).toBe(0)
    expect(uxdp('prog', 'load', obj, '--caps', 'root').status).toBe(0)
    const bpf = uxdp('prog', 'load', obj, '--caps', 'bpf')
    expect(bpf.status).toBe(1)
    expect(bpf.stderr.trimEnd().split('\n').at(-1)).toBe('Error: failed to load object file: R2 has pointer with unsupported alu operation, pointer arithmetic with it prohibited for !root (EACCES)')
    // an XDP program needs CAP_BPF: refused before the verifier
    expect(uxdp('prog', 'load', obj, '--caps', 'unpriv').status).toBe(1)
    const bad = uxdp('prog', 'load', obj, '--caps', 'perfmon')
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toContain("--caps takes root, bpf or unpriv, got 'perfmon'")
  })

  it('load applies CO-RE relocations against the target BTF (--btf); show lists them with their values', () => {
    const core = compileOwn('core.bpf.c')
    expect(uxdp('prog', 'load', core).status).toBe(0)
    expect(uxdp('prog', 'load', core, '--btf', 'uxdp-6.18').status).toBe(0)
    const missing = uxdp('prog', 'load', core, '--btf', join(dir, 'no-such.btf'))
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/failed to read BTF file '.*no-such\.btf'.*\(ENOENT\)$/m)
    const show = uxdp('prog', 'show', core)
    expect(show.status).toBe(0)
    expect(show.stdout).toMatch(/^ {4}CO-RE relo #1 \(section 'xdp'\) at insn #1: <byte_off> \[\d+\] struct xdp_md\.data_end \(0:1 @ offset 4\) {2}= 4 \(<byte_off> \[\d+\] struct xdp_md\.data_end \(0:1 @ offset 4\)\)$/m)
    expect(show.stdout).toMatch(/^ {4}CO-RE relo #2 \(section 'xdp'\) at insn #0: <field_exists> \[\d+\] struct foo\.b \(0:1 @ offset 4\) {2}= 0$/m)
    const shown = JSON.parse(uxdp('prog', 'show', core, '--json').stdout)
    expect(shown.programs.find((p: { name: string }) => p.name === 'has_field').coreRelos[0]).toMatchObject({ kind: 'field_exists', accepted: true, value: 0 })
  })

  it('run: retval, average duration and data_out like bpftool prog run', () => {
    const data = Buffer.alloc(9000, 7)
    const out = join(dir, 'out.bin')
    const r = uxdp('prog', 'run', compileOwn('basic.bpf.c'), '--prog', 'trim_tail', '--data-in', file('in.bin', data), '--data-out', out, '--repeat', '3', '--json')
    expect(r.status).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j).toMatchObject({ retval: 2, data_out_len: 9000 - 12 })
    expect(j.duration_ns).toBeGreaterThanOrEqual(0)
    expect(readFileSync(out).equals(data.subarray(0, 8988))).toBe(true)
    const text = uxdp('prog', 'run', compileOwn('basic.bpf.c'), '--prog', 'buff_len', '--data-in', file('in2.bin', data), '--repeat', '10')
    expect(text.stdout).toMatch(/^Return value: 9000, duration \(average\): \d+ns$/m)
  })

  it('run fails as the kernel would: ENOMEM past 17 frags, JSON error and exit 1', () => {
    const r = uxdp('prog', 'run', compileOwn('basic.bpf.c'), '--prog', 'buff_len', '--data-in', file('big.bin', Buffer.alloc(73153)), '--json')
    expect(r.status).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'ENOMEM', errno: -12 })
    // --no-verify: the kernel would refuse unchecked_read; this is about the run-time fault
    const fault = uxdp('prog', 'run', compileOwn('basic.bpf.c'), '--prog', 'unchecked_read', '--data-in', file('small.bin', Buffer.alloc(64)), '--json', '--no-verify')
    expect(fault.status).toBe(1)
    expect(JSON.parse(fault.stdout)).toMatchObject({ error: 'EFAULT', errno: -14 })
  })

  it('run takes tc and socket-filter programs on an skb, with a struct __sk_buff ctx in and out', () => {
    const data = file('in-socket.bin', Buffer.alloc(64))
    const r = uxdp('prog', 'run', compileOwn('test_run.bpf.c'), '--prog', 'filter', '--data-in', data)
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^Return value: 50, duration: \d+ns/)
    const ctxOut = join(dir, 'ctx-out.bin')
    const j = uxdp('prog', 'run', compileOwn('test_run.bpf.c'), '--prog', 'classify', '--data-in', data, '--ctx-in', file('ctx-in.bin', Buffer.alloc(192)), '--ctx-out', ctxOut, '--json')
    expect(j.status).toBe(0)
    expect(JSON.parse(j.stdout)).toMatchObject({ retval: 0, data_out_len: 64 })
    // mark = skb->len, ifindex 1 (lo), wire_len = skb->len
    const c = readFileSync(ctxOut)
    expect([c.readUInt32LE(8), c.readUInt32LE(40), c.readUInt32LE(160)]).toEqual([64, 1, 64])
    const bad = uxdp('prog', 'run', compileOwn('test_run.bpf.c'), '--prog', 'classify', '--data-in', data, '--ctx-in', file('ctx-bad.bin', Buffer.from([1])), '--json')
    expect(bad.status).toBe(1)
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: 'EINVAL', errno: -22 })
  })

  it('run --timeout bounds the repeat loop: ETIMEDOUT with the runs completed, exit 1', () => {
    const data = file('in-timeout.bin', Buffer.alloc(64))
    const start = Date.now()
    const r = uxdp('prog', 'run', compileOwn('test_run.bpf.c'), '--prog', 'count_runs', '--data-in', data, '--repeat', '4000000000', '--timeout', '0.3')
    expect(Date.now() - start).toBeLessThan(10_000)
    expect(r.status).toBe(1)
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^Error: failed to run program: .*time budget of 300 ms used up after \d+ of 4000000000 runs \(ETIMEDOUT\)$/)])
    const ok = uxdp('prog', 'run', compileOwn('test_run.bpf.c'), '--prog', 'count_runs', '--data-in', data, '--repeat', '1000', '--timeout', '60', '--json')
    expect(ok.status).toBe(0)
    expect(JSON.parse(ok.stdout).retval).toBe(2)
  })

  it('run stops on SIGINT: one line, "interrupted after N runs (EINTR)", exit 130, no data_out left', async () => {
    const data = file('in-sigint.bin', Buffer.alloc(64))
    const out = join(dir, 'sigint-out.bin')
    const child = spawn(process.execPath, [bin, 'prog', 'run', compileOwn('test_run.bpf.c'), '--prog', 'count_runs', '--data-in', data, '--data-out', out, '--repeat', '4000000000'])
    let stderr = ''
    let stdout = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (d) => (stdout += d))
    const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])))
    // Long enough for Node to start and the loop to be running (unstopped, it would run for a minute).
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const sent = Date.now()
    child.kill('SIGINT')
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000)
    const [status, signal] = await exited
    clearTimeout(guard)
    expect(Date.now() - sent).toBeLessThan(5000)
    expect([status, signal]).toEqual([130, null])
    expect(stdout).toBe('')
    const lines = stderr.trimEnd().split('\n')
    expect(lines).toEqual([expect.stringMatching(/interrupted after \d+ of 4000000000 runs \(EINTR\)$/)])
    expect(Number(/after (\d+) of/.exec(lines[0])![1])).toBeGreaterThan(0)
    expect(existsSync(out)).toBe(false)
  })

  it('show lists programs with sections, maps and kfuncs; dump prints the verifier-style listing', () => {
    const show = uxdp('prog', 'show', compileOwn('features.bpf.c'))
    expect(show.status).toBe(0)
    expect(show.stdout).toMatch(/^ {2}count {2}section xdp\.frags {2}type xdp {2}\d+ insns {2}\(frags\)$/m)
    expect(show.stdout).toMatch(/^ {2}user_kfunc {2}section \?xdp .*\(not autoloaded\)$/m)
    expect(show.stdout).toMatch(/^ {2}events {2}ringbuf {2}key 0B {2}value 0B {2}max_entries 4096$/m)
    expect(show.stdout).toMatch(/^ {2}no_such_kfunc {2}\(weak\)$/m)
    const dump = uxdp('prog', 'dump', compileOwn('features.bpf.c'), '--prog', 'loop_sum')
    expect(dump.status).toBe(0)
    expect(dump.stdout).toMatch(/call bpf_dynptr_from_xdp#\d+/)
    expect(dump.stdout).toMatch(/call bpf_loop#181/)
    expect(dump.stdout).toMatch(/^ {3}0: \(/m)
  })
})

describe('uxdp conformance', () => {
  it.skipIf(!existsSync(CONFORMANCE))('passes all 313 vectors and none of the negative ones', () => {
    const r = uxdp('conformance', join(CONFORMANCE, 'tests'))
    expect(r.status).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines.at(-1)).toBe('Passed 313 out of 313')
    expect(lines.filter((l) => l.startsWith('PASS ')).length).toBe(313)
    const neg = uxdp('conformance', join(CONFORMANCE, 'negative'))
    expect(neg.status).toBe(1)
    expect(neg.stdout).toMatch(/^Passed 0 out of \d+$/m)
    expect(neg.stdout).toMatch(/^FAIL unused-add64_imm-offset\.data: .*reserved fields/m)
  })

  it('asm and disasm round-trip a program', () => {
    const src = file('p.asm', Buffer.from('mov %r0, 1\nlddw %r1, 0x1122334455667788\njeq %r1, 2, +1\nadd32 %r0, %r1\nexit\n'))
    const binOut = join(dir, 'p.bin')
    expect(uxdp('asm', src, '--out', binOut).status).toBe(0)
    expect(readFileSync(binOut).length).toBe(6 * 8)
    const text = uxdp('disasm', binOut)
    expect(text.stdout.trim().split('\n')).toEqual(['mov %r0, 1', 'lddw %r1, 0x1122334455667788', 'jeq %r1, 2, +1', 'add32 %r0, %r1', 'exit'])
    expect(uxdp('disasm', binOut, '--kernel').stdout).toMatch(/^ {3}0: \(b7\) r0 = 1$/m)
    expect(uxdp('asm', file('bad.asm', Buffer.from('mov %r0, %r50\n'))).stderr).toMatch(/Invalid register/)
  })
})
