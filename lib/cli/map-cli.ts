import { BpfObject, type BpfMap } from '../bpf'
import { UxdpError } from '../errors'

type Out = (line: string) => void

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ')

/** One element as `bpftool map dump` prints it (print_entry_plain). */
function entryLines(m: BpfMap, key: Buffer, value: Buffer): string[] {
  if (m.perCpu) {
    const lines = ['key:', hex(key)]
    const stride = (m.valueSize + 7) & ~7
    for (let cpu = 0; cpu * stride < value.length; cpu++) {
      const v = value.subarray(cpu * stride, cpu * stride + m.valueSize)
      lines.push(`value (CPU ${String(cpu).padStart(2, '0')}):${m.valueSize > 16 ? '\n' : ' '}${hex(v)}`)
    }
    return lines
  }
  const breakNames = m.keySize > 16 || m.valueSize > 16
  const singleLine = m.keySize + m.valueSize <= 24 && !breakNames
  let s = ''
  if (m.keySize) s += `key:${breakNames ? '\n' : ' '}${hex(key)}${singleLine ? '  ' : '\n'}`
  if (m.valueSize) s += [12, 13].includes(m.type) ? `inner_map_id:${breakNames ? '\n' : ' '}${value.readUInt32LE(0)} ` : `value:${breakNames ? '\n' : ' '}${hex(value)}`
  return [s]
}

/** `uxdp map dump OBJ --map NAME`: a map's elements after the object is loaded (global data,
 * `.values` slots of prog arrays and maps of maps), as `bpftool map dump` prints them; queues
 * and stacks list their values in pop order. */
function dump(args: string[], out: Out): number {
  const usage = 'usage: uxdp map dump OBJ --map NAME [--json]'
  let path: string | undefined
  let name: string | undefined
  let json = false
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--map') name = args[++i]
    else if (args[i] === '--json') json = true
    else if (args[i].startsWith('--')) throw new UxdpError('EINVAL', `unknown option ${args[i]}; ${usage}`)
    else if (path === undefined) path = args[i]
    else throw new UxdpError('EINVAL', usage)
  }
  if (!path || !name) throw new UxdpError('EINVAL', usage)
  const o = BpfObject.open(path)
  try {
    const m = o.map(name)
    let entries: [Buffer, Buffer][]
    if ([22, 23].includes(m.type)) entries = m.queued().map((v) => [Buffer.alloc(0), v])
    else if ([27, 31, 4].includes(m.type)) throw new UxdpError('EOPNOTSUPP', `map '${name}' is a ${m.typeName}: it has no elements to dump`)
    else entries = m.entries()
    if (json) {
      out(JSON.stringify(entries.map(([k, v]) => (m.perCpu ? { key: hex(k).split(' '), values: m.lookupPerCpu(k)!.map((x, cpu) => ({ cpu, value: hex(x).split(' ') })) } : { key: k.length ? hex(k).split(' ') : [], value: hex(v).split(' ') }))))
      return 0
    }
    for (const [k, v] of entries) for (const line of entryLines(m, k, v)) out(line)
    out(`Found ${entries.length} element${entries.length === 1 ? '' : 's'}`)
    return 0
  } finally {
    o.close()
  }
}

export function map(args: string[], out: Out): number {
  const [sub, ...rest] = args
  if (sub === 'dump') return dump(rest, out)
  throw new UxdpError('EINVAL', 'usage: uxdp map dump OBJ --map NAME [--json]')
}
