// The generated N-API loader stays private: only this module touches it.
import type * as Binding from '../binding'

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: typeof Binding = require('../binding.js')

// Engine objects cross the boundary as opaque External handles, typed by the binding itself.
export type PoolHandle = ReturnType<typeof native.poolCreate>
export type FrameHandle = ReturnType<typeof native.frameFromBytes>
export type XdpFrameHandle = ReturnType<typeof native.frameToXdpFrame>
export type SkbHandle = ReturnType<typeof native.xdpFrameToSkb>
export type BatchHandle = ReturnType<typeof native.batchCreate>
export type DynptrHandle = ReturnType<typeof native.dynptrNull>
export type RingHandle = ReturnType<typeof native.ringCreate>
