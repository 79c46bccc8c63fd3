// The generated N-API loader stays private: only this module touches it.
import type * as Binding from '../binding'

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: typeof Binding = require('../binding.js')

// Engine objects cross the boundary as opaque External handles; these brands keep them apart in
// the facade's types (the engine checks them too).
declare const brand: unique symbol
type Handle<Kind extends string> = Binding.ExternalObject<unknown> & { readonly [brand]: Kind }
export type PoolHandle = Handle<'pool'>
export type FrameHandle = Handle<'frame'>
export type XdpFrameHandle = Handle<'xdp_frame'>
export type SkbHandle = Handle<'skb'>
export type BatchHandle = Handle<'batch'>
