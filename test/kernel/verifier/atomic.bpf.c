/* SPDX-License-Identifier: MIT */
/* Atomic operations on the stack, map values, packet and context. Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64[2]);
} h SEC(".maps");

#define LOOKUP "r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[h] ll; call %[map_lookup_elem]; if r0 == 0 goto out_%=;"
#define OPS ADDR(h), IMM(map_lookup_elem)
#define OUT "out_%=: r0 = 2; exit;"

#if CASE == 0 /* stack_add accepted xdp: lock *(u64 *)(r10 - 8) += r1 on an initialised slot */
NAKED("xdp") { asm volatile ("r1 = 1; *(u64 *)(r10 - 8) = r1; lock *(u64 *)(r10 - 8) += r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 1 /* stack_add_uninit_priv accepted xdp: atomic add to an unwritten slot (root may read uninitialised stack) */
NAKED("xdp") { asm volatile ("r1 = 1; lock *(u64 *)(r10 - 8) += r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 2 /* stack_add_misaligned refused xdp: a u64 atomic at fp - 4 */
NAKED("xdp") { asm volatile ("r1 = 1; *(u64 *)(r10 - 8) = r1; lock *(u64 *)(r10 - 12) += r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 3 /* map_value_add accepted xdp: atomic add to a map value */
NAKED("xdp") { asm volatile (LOOKUP "r1 = 1; lock *(u64 *)(r0 + 8) += r1;" OUT :: OPS : "memory"); }
#elif CASE == 4 /* map_value_add_oob refused xdp: atomic add past the 16-byte value */
NAKED("xdp") { asm volatile (LOOKUP "r1 = 1; lock *(u64 *)(r0 + 16) += r1;" OUT :: OPS : "memory"); }
#elif CASE == 5 /* map_value_add_unaligned refused xdp: u64 atomic at offset 4 of a map value */
NAKED("xdp") { asm volatile (LOOKUP "r1 = 1; lock *(u64 *)(r0 + 4) += r1;" OUT :: OPS : "memory"); }
#elif CASE == 6 /* map_value_u32_add accepted xdp: a 32-bit atomic add */
NAKED("xdp") { asm volatile (LOOKUP "w1 = 1; lock *(u32 *)(r0 + 4) += w1;" OUT :: OPS : "memory"); }
#elif CASE == 7 /* ctx_atomic refused xdp: an atomic add to the context */
NAKED("xdp") { asm volatile ("w2 = 1; lock *(u32 *)(r1 + 16) += w2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 8 /* packet_atomic refused xdp: an atomic add to checked packet bytes */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r5 = 1; lock *(u64 *)(r2 + 0) += r5; l0_%=: r0 = 2; exit;" ::: "memory"); }
#elif CASE == 9 /* atomic_ptr_source_priv accepted xdp: adding the frame pointer atomically into a stack slot (root) */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; lock *(u64 *)(r10 - 8) += r10; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 10 /* atomic_on_spilled_ptr_priv accepted xdp: an atomic add on a slot holding a spilled pointer (root) */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r1; r1 = 1; lock *(u64 *)(r10 - 8) += r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 11 /* map_or_null_atomic refused xdp: an atomic add before the null check */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[h] ll; call %[map_lookup_elem]; r1 = 1; lock *(u64 *)(r0 + 0) += r1; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 12 /* c_fetch_add accepted xdp: __sync_fetch_and_add with the old value used */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&h, &k);

	if (!v)
		return XDP_PASS;
	return __sync_fetch_and_add(v, 1) > 10 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 13 /* c_cmpxchg accepted xdp: __sync_val_compare_and_swap on a map value */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&h, &k);

	if (!v)
		return XDP_PASS;
	return __sync_val_compare_and_swap(v, 0, 5) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 14 /* c_xchg_and_or accepted xdp: __sync_lock_test_and_set and __sync_fetch_and_or */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&h, &k);

	if (!v)
		return XDP_PASS;
	__sync_fetch_and_or(&v[1], 4);
	return __sync_lock_test_and_set(v, 3) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 15 /* tc_ctx_atomic refused tc: an atomic add to skb->mark */
NAKED("tc") { asm volatile ("w2 = 1; lock *(u32 *)(r1 + 8) += w2; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 16 /* socket_stack_atomic accepted socket: an atomic on the stack in a socket filter */
NAKED("socket") { asm volatile ("r1 = 1; *(u64 *)(r10 - 8) = r1; lock *(u64 *)(r10 - 8) += r1; r0 = 0; exit;" ::: "memory"); }
#endif
