import { runDemo } from './demo'
import { UxdpError } from './errors'
import { version } from './version'

const USAGE = `usage: uxdp <command>

commands:
  demo        show what the frame engine does to a jumbo frame
  --version   print the version
  help        this text`

/** Runs the CLI; returns the process exit code. */
export function main(args: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
  const [command] = args
  try {
    switch (command) {
      case '--version':
      case '-V':
      case 'version':
        out(version)
        return 0
      case 'demo':
        return runDemo(out)
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
