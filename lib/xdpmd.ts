import { checkOptions, checkU32 } from './errors'

/** `struct xdp_md` as BPF_PROG_TEST_RUN's ctx_in and ctx_out carry it. */
export interface XdpMd {
  data: number
  dataEnd: number
  dataMeta: number
  ingressIfindex: number
  rxQueueIndex: number
  egressIfindex: number
}

const XDP_MD_KEYS = ['data', 'dataEnd', 'dataMeta', 'ingressIfindex', 'rxQueueIndex', 'egressIfindex'] as const

/** `struct xdp_md` as ctx_in: unset fields are 0, `dataEnd` defaults to the whole input. */
export function encodeMd(md: unknown, dataLength: number, what = 'ctx'): Buffer {
  const m = checkOptions<XdpMd>(what, md, XDP_MD_KEYS)
  const b = Buffer.alloc(24)
  const fields = [m.data ?? 0, m.dataEnd ?? dataLength, m.dataMeta ?? 0, m.ingressIfindex ?? 0, m.rxQueueIndex ?? 0, m.egressIfindex ?? 0]
  fields.forEach((v, i) => b.writeUInt32LE(checkU32(`${what}.${XDP_MD_KEYS[i]}`, v), i * 4))
  return b
}

export function decodeMd(b: Buffer): XdpMd {
  const u = (i: number) => b.readUInt32LE(i * 4)
  return { data: u(0), dataEnd: u(1), dataMeta: u(2), ingressIfindex: u(3), rxQueueIndex: u(4), egressIfindex: u(5) }
}
