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
  type TestRunCtx,
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
export { iterateCapture, LINKTYPE_ETHERNET, PcapWriter, readCapture, writeCapture, type CapturedPacket, type PcapWriterOptions, type WritablePacket } from './pcap'
export {
  KV_KEY_HW_HASH,
  KV_KEY_HW_TIMESTAMP,
  KV_KEY_HW_VLAN,
  MetadataKeyRegistry,
  MetadataStore,
  type MetadataKey,
  type MetadataKeyInfo,
  type MetadataValue,
  type MetadataValueSize,
} from './kvstore'
export {
  BpfMap,
  BpfObject,
  checkLoad,
  describeObject,
  inspect,
  MAP_TYPE_NAMES,
  Program,
  type InferredXdpNeed,
  type ProgramInspection,
  type XdpActionName,
  type CoreReloInfo,
  type ExternInfo,
  type KfuncImpl,
  type LoadReport,
  type LoadOptions,
  type MapInfo,
  type ObjectDescription,
  type ProgramInfo,
  type ProgramKind,
  type TestRunAsyncOptions,
  type TestRunOptions,
  type TestRunResult,
  type XdpMd,
} from './bpf'
export { lpmKey, UserRingBuffer, UserRingSample } from './bpf'
export { type SkBuff, type SkbTestRunOptions, type SkbTestRunResult } from './bpf'
export { decodeSkBuff, encodeSkBuff } from './skbuff'
export * from './policy'
export { KfuncModule, StructOps, StructOpsProgram, vmlinuxKfuncId, type CtxFieldSpec, type Generated, type StructOpsProgInfo, type StructOpsRunResult, type StructOpsSpec } from './structops'
export { verify, type VerifierProfile, type VerifierStats, type VerifyOptions, type VerifyResult } from './verifier'
export { version } from './version'
export {
  CpuMap,
  DevMap,
  Mvneta,
  NativeXdpProgram,
  NETDEV_XDP_ACT,
  NETDEV_XDP_RX_METADATA,
  XDP_ABORTED,
  XDP_DROP,
  XDP_PASS,
  XDP_REDIRECT,
  XDP_TX,
  XdpContext,
  type Descriptor,
  type MvnetaOptions,
  type MvnetaQuirks,
  type MvnetaStats,
  type OfferedFrame,
  type PollResult,
  type RingState,
  type RxErrorKind,
  type RxMetadataFeature,
  type StackPacket,
  type WireFrame,
  type XdpFeature,
  type XdpNeed,
  type XdpProgramFunction,
} from './mvneta'
