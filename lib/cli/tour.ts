import { Dynptr } from '../dynptr'
import { UxdpError } from '../errors'
import { Frame, XDP_FLAGS_FRAGS_PF_MEMALLOC, XDP_FLAGS_HAS_FRAGS } from '../frame'
import { PagePool } from '../pool'
import { RingBuffer } from '../ringbuf'

const hex = (n: bigint | number) => '0x' + n.toString(16)

function flagNames(flags: number): string {
  const names = []
  if (flags & XDP_FLAGS_HAS_FRAGS) names.push('HAS_FRAGS')
  if (flags & XDP_FLAGS_FRAGS_PF_MEMALLOC) names.push('FRAGS_PF_MEMALLOC')
  return names.length ? names.join('|') : '0'
}

/** An Ethernet/IPv4/UDP jumbo frame whose payload bytes tell their own offset. */
export function jumboFrame(length: number): Buffer {
  const b = Buffer.alloc(length)
  for (let i = 0; i < length; i++) b[i] = i & 0xff
  Buffer.from('02000000000202000000000108004500', 'hex').copy(b, 0)
  b.writeUInt16BE(length - 14, 16)
  Buffer.from('00004000401100000a0000010a000002', 'hex').copy(b, 18)
  b.writeUInt16BE(4789, 34)
  b.writeUInt16BE(4789, 36)
  b.writeUInt16BE(length - 34, 38)
  return b
}

function attempt(what: string, f: () => string | void): string {
  try {
    const r = f()
    return `${what} -> ${r ?? 'ok'}`
  } catch (e) {
    if (e instanceof UxdpError) return `${what} -> ${e.errno} ${e.code}: ${e.message.replace(/^.*?: /, '').replace(/ \(\w+\)$/, '')}`
    throw e
  }
}

function describe(frame: Frame): string[] {
  const l = frame.layout()
  const lines = [
    `  head page ${hex(l.pageAddr)}: headroom ${frame.headroom} | meta ${frame.metaLength} | data ${frame.linearLength} | tailroom ${frame.tailroom} | skb_shared_info ${l.pageSize - l.hardEnd}`,
  ]
  frame.frags().forEach((f, i) => lines.push(`  frag ${i}    ${hex(f.pageAddr)}: ${f.length} bytes at page offset ${f.offset}`))
  lines.push(`  flags ${flagNames(frame.flags)}, xdp_get_buff_len ${frame.length}, xdp_frags_size ${frame.fragsSize}`)
  return lines
}

/** The tour: what the frame and dynptr engines do to one jumbo frame, step by step. */
export function runTour(out: (line: string) => void = console.log): number {
  const pool = new PagePool()
  const frame = Frame.fromBytes(jumboFrame(9000), { pool })

  out('uxdp: the XDP multi-buffer frame engine on one 9000-byte jumbo frame (Ethernet/IPv4/UDP)')
  out('')
  out('1. Built as BPF_PROG_TEST_RUN builds it (4 KiB pages: 3520 linear bytes, then page frags):')
  describe(frame).forEach((l) => out(l))
  out(`  a program that ignores frags sees only data..data_end = ${frame.linearLength} of ${frame.length} bytes`)
  out('')

  out('2. Reading across the linear|frag boundary at 3520:')
  out(`  ${attempt('bpf_xdp_pointer(3510, 20)', () => (frame.pointer(3510, 20) ? 'direct view' : 'NULL: the range crosses a boundary'))}`)
  out(`  ${attempt('bpf_xdp_load_bytes(3510, 20)', () => `copied ${frame.loadBytes(3510, 20).toString('hex')}`)}`)
  const view = frame.pointer(5000, 8)
  out(`  ${attempt('bpf_xdp_pointer(5000, 8)', () => (view ? `direct view into frag 0: ${Buffer.from(view).toString('hex')}` : 'NULL'))}`)
  out(`  ${attempt('bpf_xdp_load_bytes(9000, 1)', () => void frame.loadBytes(9000, 1))}`)
  out(`  ${attempt('bpf_xdp_load_bytes(0x10000, 1)', () => void frame.loadBytes(0x10000, 1))}`)
  out('')

  out('3. Changing the tail (only the last frag grows; shrinking frees whole frags):')
  out(`  ${attempt('bpf_xdp_adjust_tail(+10)', () => void frame.adjustTail(10))}`)
  out(`  ${attempt('bpf_xdp_adjust_tail(+3000)', () => void frame.adjustTail(3000))}`)
  out(`  the view taken in step 2 was detached by the change: ${view?.length === 0 ? 'yes' : 'no'}`)
  const before = pool.stats().inFlight
  out(`  ${attempt('bpf_xdp_adjust_tail(-4200)', () => void frame.adjustTail(-4200))}`)
  out(`  pages in flight: ${before} -> ${pool.stats().inFlight}`)
  describe(frame).forEach((l) => out(l))
  out('')

  out('4. Headers and metadata in the linear part:')
  out(`  ${attempt('bpf_xdp_adjust_head(+14)', () => {
    frame.adjustHead(14)
    return `popped Ethernet; packet starts with ${frame.loadBytes(0, 4).toString('hex')} (IPv4)`
  })}`)
  out(`  ${attempt('bpf_xdp_adjust_meta(-8)', () => {
    frame.adjustMeta(-8)
    return `metadata ${frame.metaLength} bytes`
  })}`)
  out(`  ${attempt('bpf_xdp_adjust_meta(-6)', () => void frame.adjustMeta(-6))}`)
  out(`  ${attempt('bpf_xdp_adjust_head(-14)', () => void frame.adjustHead(-14))}`)
  out('')

  out('5. A dynptr over the whole frame, and the UDP payload cut into ring-buffer records:')
  const d = Dynptr.fromXdp(frame)
  out(`  bpf_dynptr_from_xdp: size ${d.size} (linear part and frags alike)`)
  const buffer = new Uint8Array(20)
  out(`  ${attempt('bpf_dynptr_slice(3510, 20, buffer)', () => (d.slice(3510, 20, buffer)?.buffer === buffer.buffer ? 'copied into the buffer: the range crosses a boundary' : 'direct view'))}`)
  out(`  ${attempt('bpf_dynptr_slice(4000, 8)', () => (d.slice(4000, 8)?.buffer === buffer.buffer ? 'copied' : 'direct view into frag 0'))}`)
  out(`  ${attempt('bpf_dynptr_read(4800, 16)', () => void d.read(4800, 16))}`)
  const ring = new RingBuffer(16384)
  const payload = d.clone(42)
  const records: number[] = []
  const rc = payload.iterator((chunk) => {
    const n = Math.min(chunk.getSize(), 1472)
    const rec = ring.reserve(n)
    rec.copyFrom(0, chunk, 0, n)
    rec.submit()
    records.push(n)
    return n === chunk.getSize() ? 0 : n
  })
  out(`  bpf_dynptr_iterator over the payload (the seed's clone at offset 42): returned ${rc}, ${records.length} records of ${records.join(', ')} bytes`)
  const consumed = ring.drain()
  const intact = consumed.reduce((at, r) => (at >= 0 && r.equals(frame.loadBytes(at, r.length)) ? at + r.length : -1), 42)
  out(`  consumed ${consumed.length} records in order, ${intact === frame.length ? 'byte-exact' : 'NOT matching'} against the frame`)
  out('')

  out('6. Leaving the receive path:')
  const xdpf = frame.toXdpFrame()
  out(`  xdp_convert_buff_to_frame: 40-byte xdp_frame at data_hard_start, len ${xdpf.length}, headroom ${xdpf.headroom}, metasize ${xdpf.metasize}, frame length ${xdpf.frameLength}`)
  const skb = xdpf.toSkb({ ifindex: 2 })
  const info = skb.info()
  out(`  __xdp_build_skb_from_frame: len ${info.len}, data_len ${info.dataLen}, nr_frags ${info.nrFrags}, truesize ${info.truesize}, protocol ${hex(info.protocol)}, meta_len ${info.metaLen}`)
  skb.release()
  const s = pool.stats()
  out('')
  out(`7. Released: pages allocated ${s.allocated}, reused ${s.allocFast}, recycled ${s.recycled}, in flight ${s.inFlight}`)
  return s.inFlight === 0 ? 0 : 1
}
