// The kernel differential specs whose answers `npm run kernel:record` records (test/<tag>.spec.ts ->
// test/fixtures/kernel/<tag>.json): one list, read by the recorder and by test/kernel-fixtures.spec.ts.
export const KERNEL_SPECS = ['kernel-diff', 'kernel-dynptr', 'kernel-bpf', 'kernel-verifier', 'kernel-maps', 'kernel-skb', 'kernel-core', 'kernel-xsk', 'kernel-hostnet', 'kernel-conntrack', 'kernel-tcrun', 'kernel-exceptions', 'kernel-graph', 'kernel-liveregs', 'kernel-skrun', 'kernel-synproxy', 'kernel-kptr', 'kernel-maygoto', 'kernel-tchelp']
