/**
 * may_goto at run time, kernel against uxdp (test/kernel/may_goto_run.bpf.c, one XDP program per
 * -DCASE=n, run by BPF_PROG_TEST_RUN): the hidden loop counter belongs to each function
 * invocation, so a subprogram called after its caller's may_goto loop has run out still loops,
 * and so does each later call. The kernel's answers are recorded
 * (test/fixtures/kernel/kernel-maygoto.json, `npm run kernel:record -- kernel-maygoto`).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { BpfObject } from '../lib/index'
import { finishKernel, program, useKernel } from './helpers/kernel'

useKernel('kernel-maygoto')

const SOURCE = 'may_goto_run.bpf.c'
const CASES = [
  { n: 0, about: 'a subprogram called after the caller ran out still loops', expected: 2 },
  { n: 1, about: 'three calls after the caller ran out each loop', expected: 31 },
]

describe("may_goto's counter is per function invocation, as the kernel's", () => {
  afterAll(() => {
    finishKernel()
  })
  for (const c of CASES) {
    it(`case ${c.n}: ${c.about}`, () => {
      const data = new Uint8Array(64)
      const k = program(SOURCE, { CASE: c.n }).run(data)
      if (!k.ok) throw new Error(`the kernel's test_run failed: ${k.message}`)
      expect(k.retval, "the kernel's return value").toBe(c.expected)
      const obj = BpfObject.open(program(SOURCE, { CASE: c.n }).build.path)
      try {
        expect(obj.program().testRun({ data }).retval, 'uxdp').toBe(k.retval)
      } finally {
        obj.close()
      }
    }, 60_000)
  }
})
