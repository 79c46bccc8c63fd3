/* SPDX-License-Identifier: MIT */
/* Helper arguments: wrong types, uninitialised memory, size arguments (constant, zero, negative,
 * unbounded), ARG_PTR_TO_UNINIT_MEM, helpers a program type may not call. Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} h SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

#define XO(f) OFF(f, struct xdp_md, f)
#define OPS ADDR(h), ADDR(rb), IMM(map_lookup_elem), IMM(get_prandom_u32), IMM(xdp_load_bytes), IMM(csum_diff), IMM(ringbuf_output), IMM(get_smp_processor_id)

#if CASE == 0 /* load_bytes_to_stack accepted xdp: bpf_xdp_load_bytes into 8 stack bytes */
NAKED("xdp") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 8; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 1 /* load_bytes_len_too_big refused xdp: 16 bytes into an 8-byte stack area */
NAKED("xdp") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 16; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 2 /* load_bytes_len_zero refused xdp: size 0 for ARG_CONST_SIZE */
NAKED("xdp") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 0; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 3 /* load_bytes_len_negative refused xdp: size -1 */
NAKED("xdp") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = -1; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 4 /* load_bytes_len_unbounded refused xdp: an unknown size */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r4 = r0; r1 = r6; r2 = 0; r3 = r10; r3 += -8; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 5 /* load_bytes_len_bounded accepted xdp: a size in 1..8 */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r0 &= 7; r0 += 1; r4 = r0; r1 = r6; r2 = 0; r3 = r10; r3 += -8; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 6 /* load_bytes_len_maybe_zero refused xdp: a size in 0..7 (ARG_CONST_SIZE: zero not allowed) */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r0 &= 7; r4 = r0; r1 = r6; r2 = 0; r3 = r10; r3 += -8; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 7 /* load_bytes_into_map_value accepted xdp: the destination is a map value */
NAKED("xdp") { asm volatile ("r6 = r1; r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[h] ll; call %[map_lookup_elem]; if r0 == 0 goto l0_%=; r1 = r6; r2 = 0; r3 = r0; r4 = 8; call %[xdp_load_bytes]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 8 /* load_bytes_into_map_value_too_long refused xdp: 9 bytes into an 8-byte value */
NAKED("xdp") { asm volatile ("r6 = r1; r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[h] ll; call %[map_lookup_elem]; if r0 == 0 goto l0_%=; r1 = r6; r2 = 0; r3 = r0; r4 = 9; call %[xdp_load_bytes]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 9 /* load_bytes_into_ctx refused xdp: the destination is the context */
NAKED("xdp") { asm volatile ("r2 = 0; r3 = r1; r4 = 4; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 10 /* load_bytes_scalar_ctx refused xdp: a scalar in place of the context */
NAKED("xdp") { asm volatile ("r1 = 0; r2 = 0; r3 = r10; r3 += -8; r4 = 4; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 11 /* csum_diff_uninit_stack_priv accepted xdp: bpf_csum_diff over unwritten stack (root) */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -8; r2 = 8; r3 = 0; r4 = 0; r5 = 0; call %[csum_diff]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 12 /* csum_diff_null_zero_size accepted xdp: NULL with size 0 (ARG_PTR_TO_MEM_OR_NULL + CONST_SIZE_OR_ZERO) */
NAKED("xdp") { asm volatile ("r1 = 0; r2 = 0; r3 = r10; r3 += -8; r4 = 0; *(u64 *)(r10 - 8) = r4; r4 = 8; r5 = 0; call %[csum_diff]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 13 /* csum_diff_null_nonzero_size refused xdp: NULL with size 8 */
NAKED("xdp") { asm volatile ("r1 = 0; r2 = 8; r3 = 0; r4 = 0; r5 = 0; call %[csum_diff]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 14 /* csum_diff_packet accepted xdp: checked packet bytes as the memory */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + %[data]); r3 = *(u32 *)(r1 + %[data_end]); r1 = r2; r1 += 8; if r1 > r3 goto l0_%=; r1 = r2; r2 = 8; r3 = 0; r4 = 0; r5 = 0; call %[csum_diff]; l0_%=: r0 = 2; exit;" :: OPS, XO(data), XO(data_end) : "memory"); }
#elif CASE == 15 /* csum_diff_packet_unchecked refused xdp: unchecked packet bytes */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + %[data]); r1 = r2; r2 = 8; r3 = 0; r4 = 0; r5 = 0; call %[csum_diff]; r0 = 2; exit;" :: OPS, XO(data) : "memory"); }
#elif CASE == 16 /* ringbuf_output_stack accepted xdp: bpf_ringbuf_output of 8 stack bytes */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = %[rb] ll; r2 = r10; r2 += -8; r3 = 8; r4 = 0; call %[ringbuf_output]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 17 /* ringbuf_output_wrong_map refused xdp: a hash map where a ring buffer is expected */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = %[h] ll; r2 = r10; r2 += -8; r3 = 8; r4 = 0; call %[ringbuf_output]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 18 /* lookup_on_ringbuf refused xdp: bpf_map_lookup_elem on a ring buffer */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[rb] ll; call %[map_lookup_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 19 /* unknown_helper_id refused xdp: call 10000 */
NAKED("xdp") { asm volatile ("call 10000; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 20 /* skb_helper_in_xdp refused xdp: bpf_skb_load_bytes is not an XDP helper */
NAKED("xdp") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 4; call %[skb_load_bytes]; r0 = 2; exit;" :: IMM(skb_load_bytes) : "memory"); }
#elif CASE == 21 /* skb_load_bytes_tc accepted tc: bpf_skb_load_bytes from tc */
NAKED("tc") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 4; call %[skb_load_bytes]; r0 = 0; exit;" :: IMM(skb_load_bytes) : "memory"); }
#elif CASE == 22 /* skb_load_bytes_socket accepted socket: bpf_skb_load_bytes from a socket filter */
NAKED("socket") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 4; call %[skb_load_bytes]; r0 = 0; exit;" :: IMM(skb_load_bytes) : "memory"); }
#elif CASE == 23 /* skb_store_bytes_socket refused socket: socket filters may not store bytes */
NAKED("socket") { asm volatile ("r2 = 0; *(u64 *)(r10 - 8) = r2; r3 = r10; r3 += -8; r4 = 4; r5 = 0; call %[skb_store_bytes]; r0 = 0; exit;" :: IMM(skb_store_bytes) : "memory"); }
#elif CASE == 24 /* redirect_xdp accepted xdp: bpf_redirect(ifindex, 0) as the verdict */
NAKED("xdp") { asm volatile ("r1 = 1; r2 = 0; call %[redirect]; exit;" :: IMM(redirect) : "memory"); }
#elif CASE == 25 /* xdp_adjust_head_in_tc refused tc: an XDP helper in tc */
NAKED("tc") { asm volatile ("r2 = 4; call %[xdp_adjust_head]; r0 = 0; exit;" :: IMM(xdp_adjust_head) : "memory"); }
#elif CASE == 26 /* probe_read_kernel_uninit_dst accepted xdp: ARG_PTR_TO_UNINIT_MEM destination on the stack */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -16; r2 = 16; r3 = 0; call %[probe_read_kernel]; r0 = *(u64 *)(r10 - 16); r0 = 2; exit;" :: IMM(probe_read_kernel) : "memory"); }
#elif CASE == 27 /* probe_read_kernel_size_unbounded refused xdp: an unbounded size for the uninit destination */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r2 = r0; r1 = r10; r1 += -16; r3 = 0; call %[probe_read_kernel]; r0 = 2; exit;" :: IMM(probe_read_kernel), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 28 /* probe_read_kernel_size_zero_ok accepted xdp: size 0 (ARG_CONST_SIZE_OR_ZERO) */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -16; r2 = 0; r3 = 0; call %[probe_read_kernel]; r0 = 2; exit;" :: IMM(probe_read_kernel) : "memory"); }
#elif CASE == 29 /* probe_read_kernel_into_ctx refused xdp: the context as the destination */
NAKED("xdp") { asm volatile ("r2 = 4; r3 = 0; call %[probe_read_kernel]; r0 = 2; exit;" :: IMM(probe_read_kernel) : "memory"); }
#elif CASE == 30 /* get_stack_size_too_big refused xdp: a 64-byte destination that is 32 bytes on the stack */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -32; r2 = 64; r3 = 0; call %[probe_read_kernel]; r0 = 2; exit;" :: IMM(probe_read_kernel) : "memory"); }
#elif CASE == 31 /* tail_call_wrong_map refused xdp: bpf_tail_call with a hash map */
NAKED("xdp") { asm volatile ("r2 = %[h] ll; r3 = 0; call %[tail_call]; r0 = 2; exit;" :: OPS, IMM(tail_call) : "memory"); }
#elif CASE == 32 /* smp_processor_id_no_args accepted xdp: a helper without arguments ignores r1..r5 */
NAKED("xdp") { asm volatile ("call %[get_smp_processor_id]; r0 = 2; exit;" :: OPS : "memory"); }
#endif
