import { printDemo, runNicDemo } from './demo'
import { printXskDemo, runXskDemo } from './xsk-demo'
import { UxdpError } from '../errors'
import { asm, conformance, disasm, prog } from './prog-cli'
import { map } from './map-cli'
import { runTour } from './tour'
import { version } from '../version'

const USAGE = `usage: uxdp <command> [options]

commands:
  demo        the main job: an emulated mvneta NIC at MTU 9000, small and jumbo frames through a
              frags-aware XDP program that passes, drops, transmits and redirects
                --json          one JSON object (frames, multi_buffer_frames, stats, page_pool)
                --pcap FILE     replay a pcap or pcapng capture instead of the built-in mix
                --frames N      frames in the built-in mix (default 20000)
                --native        run the engine's native program instead of the TypeScript one
                --bpf           run it as a clang-built BPF object, verified, its device feature
                                needs inferred at attach (no declared needs)
                --write-pcap P  write what was sent to P-tx.pcap and what the stack got to P-pass.pcap
                --xsk           an AF_XDP consumer instead: a BPF program redirects UDP to port 9999
                                into an XdpSocket, which counts what arrives and echoes it back (TX)
  prog load OBJ [--prog NAME] [-d] [--no-verify] [--target-kernel X.Y] [--allow-tiers T,..] [--btf uxdp-6.18|host|FILE] [--kconfig NAME=VALUE,..] [--json]
              load an object as bpftool would (libbpf's checks, the verifier); exit 0 accepted,
              1 refused with the kernel's error line; -d prints the verifier's log (level 2 and
              stats, as bpftool -d); --no-verify: structural checks only
  prog run OBJ [--prog NAME] --data-in FILE [--data-out FILE] [--ctx-in FILE] [--ctx-out FILE] [--repeat N] [--timeout SECONDS] [--no-verify] [--json]
              BPF_PROG_TEST_RUN of an XDP, tc or socket-filter program (the latter two on an
              skb; --ctx-in/--ctx-out: struct __sk_buff bytes); --timeout bounds an XDP
              repeat loop (ETIMEDOUT), Ctrl-C stops it (EINTR, exit 130)
  prog show OBJ [--json]
              programs, sections, maps and kfuncs of an object
  prog dump OBJ [--prog NAME] [--no-verify]
              the instructions, as bpftool prog dump xlated prints them
  map dump OBJ --map NAME [--json]
              a map's elements once the object is loaded, as bpftool map dump prints them
              (per-CPU values by CPU, inner map ids, queue and stack values in pop order)
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
  let bpf = false
  let xsk = false
  let pcap: string | undefined
  let writePcap: string | undefined
  let frames: number | undefined
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--json') json = true
    else if (a === '--native') native = true
    else if (a === '--bpf') bpf = true
    else if (a === '--xsk') xsk = true
    else if (a === '--pcap' || a === '--write-pcap' || a === '--frames') {
      if (i + 1 >= args.length) throw new UxdpError('EINVAL', `${a} needs a value`)
      const v = args[++i]
      if (a === '--pcap') pcap = v
      else if (a === '--write-pcap') writePcap = v
      else {
        frames = /^\d+$/.test(v) ? Number(v) : NaN
        if (!Number.isSafeInteger(frames)) throw new UxdpError('EINVAL', `--frames takes a non-negative integer, got ${v}`)
      }
    } else throw new UxdpError('EINVAL', `unknown demo option ${a}`)
  }
  if (xsk) {
    if (native || bpf || pcap !== undefined || writePcap !== undefined) throw new UxdpError('EINVAL', '--xsk runs its own program and traffic: give only --frames and --json with it')
    return printXskDemo(runXskDemo({ frames }), json, out)
  }
  const result = runNicDemo({ frames, pcap, native, bpf, writePcap, progress: json ? undefined : err })
  return printDemo(result, json, out)
}

/** Any message on one line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\s*\n\s*/g, ' ').replace(/[\x00-\x1f\x7f]/g, '.').trim()
}

/**
 * The one line a failed command prints on stderr: `Error: <what> (<ERRNO>)`. UxdpError messages
 * already end with their errno; Node's system errors (fs: ENOENT, EACCES, EISDIR...) are named by
 * their code; anything else is an internal error (EFAULT), its stack shown only with UXDP_DEBUG=1.
 */
function errorLine(e: unknown): string {
  if (e instanceof UxdpError) return `Error: ${oneLine(e.message)}`
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  const message = e instanceof Error ? e.message : String(e)
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return `Error: ${oneLine(message.replace(new RegExp(`^${code}: `), ''))} (${code})`
  return `Error: internal error: ${oneLine(message)} (EFAULT)`
}

/** The exit status for a failed command: 130 for an interrupted one (as after SIGINT), else 1. */
function errorStatus(e: unknown): number {
  return e instanceof UxdpError && e.code === 'EINTR' ? 130 : 1
}

/** Prints a failure as its one line (the stack too with UXDP_DEBUG=1, for internal errors) and
 * returns the exit status. */
export function reportFailure(e: unknown, err: (line: string) => void): number {
  err(errorLine(e))
  if (process.env.UXDP_DEBUG && e instanceof Error && !(e instanceof UxdpError)) err(e.stack ?? '')
  return errorStatus(e)
}

/** Runs the CLI; returns the process exit code (a promise of it for commands that wait, such as
 * `prog run`). A failure prints one line on stderr (see `errorLine`), never a stack trace. */
export function main(args: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): number | Promise<number> {
  const fail = (e: unknown): number => reportFailure(e, err)
  try {
    const r = command(args, out, err)
    return typeof r === 'number' ? r : r.catch(fail)
  } catch (e) {
    return fail(e)
  }
}

function command(args: string[], out: (line: string) => void, err: (line: string) => void): number | Promise<number> {
  const [command, ...rest] = args
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
    case 'map':
      return map(rest, out)
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
      err(`Error: unknown command '${command}' (EINVAL); usage: uxdp <command> [options], the commands are listed by 'uxdp help'`)
      return 2
  }
}
