import { native } from './native'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg: { version: string } = require('../package.json')

/** The package version (the engine is built from the same version). */
export const version: string = pkg.version

/** The version compiled into the native engine; differs from `version` only in a broken install. */
export function engineVersion(): string {
  return native.engineVersion()
}
