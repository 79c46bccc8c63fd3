// The generated N-API loader stays private: only this module touches it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import type * as Binding from '../binding'

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: typeof Binding = require('../binding.js')

export type NativeFrame = Binding.NativeFrame
export type NativeXdpFrame = Binding.NativeXdpFrame
export type NativeSkb = Binding.NativeSkb
export type NativePool = Binding.NativePool
