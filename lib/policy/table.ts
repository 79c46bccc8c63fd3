/**
 * The prototype table, read once from the engine (crate/src/bpf/protos): the policy's helpers,
 * kfuncs, type encodings and flags all come from here. Program types cross as uapi numbers
 * (./progtypes names them).
 */
import { native } from '../native'

export const TABLE = native.protoTable()

/** A `{ name: value }` object from the table's name/value lists. */
export function byName(list: readonly { name: string; value: number }[]): Record<string, number> {
  return Object.fromEntries(list.map((e) => [e.name, e.value]))
}
