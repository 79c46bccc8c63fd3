export { ERRNO, UxdpError, type ErrnoName, type UxdpErrorDetails } from './errors'
export { PagePool, type PagePoolOptions, type PagePoolStats } from './pool'
export {
  BPF_F_CURRENT_CPU,
  Frame,
  FrameBatch,
  MAX_SKB_FRAGS,
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  PACKET_OTHERHOST,
  Skb,
  XDP_FLAGS_FRAGS_PF_MEMALLOC,
  XDP_FLAGS_HAS_FRAGS,
  XDP_PACKET_HEADROOM,
  XdpFrame,
  type BatchOpName,
  type FragInfo,
  type FrameLayout,
  type FrameOptions,
  type PerfSample,
  type RxQueueInfo,
  type Segment,
  type SkbInfo,
} from './frame'
export { Dynptr, DYNPTR_MAX_SIZE, dynptrFunctions, type DynptrFunction, type DynptrKind, type ProgType } from './dynptr'
export {
  BPF_RB_AVAIL_DATA,
  BPF_RB_CONS_POS,
  BPF_RB_FORCE_WAKEUP,
  BPF_RB_NO_WAKEUP,
  BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE,
  RingBuffer,
  type RingBufferInfo,
} from './ringbuf'
export { version } from './version'
