import { printDemo, runNicDemo } from './demo'
import { UxdpError } from './errors'
import { asm, conformance, disasm, prog } from './prog-cli'
import { runTour } from './tour'
import { version } from './version'

const USAGE = `usage: uxdp <command> [options]

commands:
  demo        the main job: an emulated mvneta NIC at MTU 9000, small and jumbo frames through a
              frags-aware XDP program that passes, drops, transmits and redirects
                --json          one JSON object (frames, multi_buffer_frames, stats, page_pool)
                --pcap FILE     replay a pcap or pcapng capture instead of the built-in mix
                --frames N      frames in the built-in mix (default 20000)
                --native        run the engine's native program instead of the TypeScript one
                --write-pcap P  write what was sent to P-tx.pcap and what the stack got to P-pass.pcap
  prog load OBJ [--prog NAME] [--json]
              load an object as bpftool would (structural checks); exit 0 accepted, 1 refused
  prog run OBJ [--prog NAME] --data-in FILE [--data-out FILE] [--repeat N] [--json]
              BPF_PROG_TEST_RUN of an XDP program
  prog show OBJ [--json]
              programs, sections, maps and kfuncs of an object
  prog dump OBJ [--prog NAME]
              the instructions, as bpftool prog dump xlated prints them
  conformance DIR
              run bpf_conformance .data vectors (PASS/FAIL/SKIP, then Passed N out of M)
  asm FILE [--out BIN] / disasm BIN [--kernel]
              the bpf_conformance/uBPF assembler and disassembler
  tour        what the frame and dynptr engines do to one jumbo frame, step by step
  --version   print the version
  help        this text`

function demo(args: string[], out: (line: string) => void, err: (line: string) => void): number {
  let json = false
  let native = false
  let pcap: string | undefined
  let writePcap: string | undefined
  let frames: number | undefined
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--json') json = true
    else if (a === '--native') native = true
    else if (a === '--pcap' && i + 1 < args.length) pcap = args[++i]
    else if (a === '--write-pcap' && i + 1 < args.length) writePcap = args[++i]
    else if (a === '--frames' && i + 1 < args.length) {
      frames = Number(args[++i])
      if (!Number.isInteger(frames) || frames < 0) throw new UxdpError('EINVAL', `--frames takes a non-negative integer, got ${args[i]}`)
    } else throw new UxdpError('EINVAL', `unknown demo option ${a}`)
  }
  const result = runNicDemo({ frames, pcap, native, writePcap, progress: json ? undefined : err })
  return printDemo(result, json, out)
}

/** Runs the CLI; returns the process exit code. */
export function main(args: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
  const [command, ...rest] = args
  try {
    switch (command) {
      case '--version':
      case '-V':
      case 'version':
        out(version)
        return 0
      case 'demo':
        return demo(rest, out, err)
      case 'tour':
        return runTour(out)
      case 'prog':
        return prog(rest, out, err)
      case 'conformance':
        return conformance(rest, out)
      case 'asm':
        return asm(rest, out)
      case 'disasm':
        return disasm(rest, out)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE)
        return 0
      default:
        err(`uxdp: unknown command '${command}'\n${USAGE}`)
        return 2
    }
  } catch (e) {
    if (e instanceof UxdpError) {
      err(`uxdp: ${e.message}`)
      return 1
    }
    throw e
  }
}
