#!/usr/bin/env node
'use strict'
const cli = require('../dist/cli/cli.js')

// A failure is one line on stderr and exit status 1, whatever throws it and when.
function die(e) {
  process.exit(cli.reportFailure(e, console.error))
}
process.on('uncaughtException', die)
process.on('unhandledRejection', die)
// A reader that went away (`uxdp ... | head`) ends the output quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => (e && e.code === 'EPIPE' ? process.exit(process.exitCode ?? 0) : die(e)))
}

const status = cli.main(process.argv.slice(2))
if (typeof status === 'number') process.exitCode = status
else status.then((code) => (process.exitCode = code), die)
