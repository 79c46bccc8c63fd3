/* SPDX-License-Identifier: MIT */
/* BPF-to-BPF calls: static and global subprograms, argument and return types, stack depth over the
 * call chain, call depth. Written for uxdp. */
#include "verifier.h"

#define XO(f) OFF(f, struct xdp_md, f)

#if CASE == 0 /* static_call accepted xdp: a static subprogram returning a scalar */
static __noinline int twice(int x) { return x * 2; }
SEC("xdp") int prog(struct xdp_md *ctx) { return twice(ctx->rx_queue_index) > 100 ? XDP_DROP : XDP_PASS; }
#elif CASE == 1 /* global_call accepted xdp: a global function with a scalar argument */
__noinline int global_twice(int x) { return x * 2; }
SEC("xdp") int prog(struct xdp_md *ctx) { return global_twice(ctx->rx_queue_index) > 100 ? XDP_DROP : XDP_PASS; }
#elif CASE == 2 /* global_ctx_arg accepted xdp: a global function taking the context */
__noinline int global_q(struct xdp_md *c) { return c ? c->rx_queue_index : 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { return global_q(ctx) ? XDP_DROP : XDP_PASS; }
#elif CASE == 3 /* global_deref_ptr_arg_unchecked refused xdp: a global function dereferencing an int pointer argument without a NULL check */
__noinline int global_read(int *p) { return *p; }
SEC("xdp") int prog(struct xdp_md *ctx) { int v = 3; return global_read(&v) ? XDP_DROP : XDP_PASS; }
#elif CASE == 4 /* global_deref_ptr_arg_checked accepted xdp: the same with a NULL check */
__noinline int global_read(int *p) { return p ? *p : 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { int v = 3; return global_read(&v) ? XDP_DROP : XDP_PASS; }
#elif CASE == 5 /* static_stack_sum_over_512 refused xdp: 320 + 320 bytes of stack over a call chain */
static __noinline int deep(int x)
{
	volatile char b[320];
	b[x & 255] = 1;
	return b[(x + 1) & 255];
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile char a[320];
	a[ctx->rx_queue_index & 255] = 2;
	return deep(a[0]) + a[1];
}
#elif CASE == 6 /* static_stack_sum_under_512 accepted xdp: 200 + 200 bytes over a call chain */
static __noinline int deep(int x)
{
	volatile char b[200];
	b[x & 127] = 1;
	return b[(x + 1) & 127];
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile char a[200];
	a[ctx->rx_queue_index & 127] = 2;
	return deep(a[0]) + a[1];
}
#elif CASE == 7 /* call_depth_8 accepted xdp: main plus 7 nested static calls */
#define LVL(n, m) static __noinline int f##n(int x) { return f##m(x + 1) + 1; }
static __noinline int f7(int x) { return x; }
LVL(6, 7) LVL(5, 6) LVL(4, 5) LVL(3, 4) LVL(2, 3) LVL(1, 2)
SEC("xdp") int prog(struct xdp_md *ctx) { return f1(ctx->rx_queue_index) & 3; }
#elif CASE == 8 /* call_depth_9 refused xdp: main plus 8 nested subprograms (asm, nothing inlined) */
SUB(g8) { asm volatile ("r0 = r1; exit;" ::: "memory"); }
SUB(g7) { asm volatile ("call g8; exit;" ::: "memory"); }
SUB(g6) { asm volatile ("call g7; exit;" ::: "memory"); }
SUB(g5) { asm volatile ("call g6; exit;" ::: "memory"); }
SUB(g4) { asm volatile ("call g5; exit;" ::: "memory"); }
SUB(g3) { asm volatile ("call g4; exit;" ::: "memory"); }
SUB(g2) { asm volatile ("call g3; exit;" ::: "memory"); }
SUB(g1) { asm volatile ("call g2; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 2; call g1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 21 /* call_depth_8_asm accepted xdp: main plus 7 nested subprograms (asm) */
SUB(g7) { asm volatile ("r0 = r1; exit;" ::: "memory"); }
SUB(g6) { asm volatile ("call g7; exit;" ::: "memory"); }
SUB(g5) { asm volatile ("call g6; exit;" ::: "memory"); }
SUB(g4) { asm volatile ("call g5; exit;" ::: "memory"); }
SUB(g3) { asm volatile ("call g4; exit;" ::: "memory"); }
SUB(g2) { asm volatile ("call g3; exit;" ::: "memory"); }
SUB(g1) { asm volatile ("call g2; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 2; call g1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 9 /* subprog_r0_uninit_unused accepted xdp: a subprogram exits without setting r0, and the caller ignores r0 */
SUB(sub_a) { asm volatile ("r1 = 1; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("call sub_a; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 10 /* subprog_reads_caller_r6 refused xdp: a subprogram reads r6, not passed */
SUB(sub_a) { asm volatile ("r0 = r6; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r6 = 1; call sub_a; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 11 /* subprog_reads_r1 accepted xdp: arguments arrive in r1..r5 */
SUB(sub_a) { asm volatile ("r0 = r1; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 5; call sub_a; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 12 /* subprog_caller_stack_ptr accepted xdp: a pointer to the caller's stack used by the callee */
SUB(sub_a) { asm volatile ("r0 = *(u64 *)(r1 + 0); exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 7; *(u64 *)(r10 - 8) = r1; r1 = r10; r1 += -8; call sub_a; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 13 /* subprog_returns_own_stack refused xdp: the callee returns a pointer into its own frame, the caller reads it */
SUB(sub_a) { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; r0 = r10; r0 += -8; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("call sub_a; r0 = *(u64 *)(r0 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 14 /* subprog_r6_preserved accepted xdp: callee-saved r6 survives a bpf-to-bpf call */
SUB(sub_a) { asm volatile ("r6 = 9; r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r6 = 2; call sub_a; r0 = r6; exit;" ::: "memory"); }
#elif CASE == 15 /* subprog_r1_clobbered refused xdp: r1 is scratched by a bpf-to-bpf call */
SUB(sub_a) { asm volatile ("r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 2; call sub_a; r0 = r1; exit;" ::: "memory"); }
#elif CASE == 16 /* global_returns_scalar_unknown refused xdp: a global function's return is unknown, used as a stack index */
__noinline int global_idx(int x) { return x; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile char a[16] = {};
	int i = global_idx(ctx->rx_queue_index);
	asm volatile ("r1 = r10; r1 += -16; r1 += %[i]; r0 = *(u8 *)(r1 + 0);" :: [i] "r"((long)i) : "r0", "r1", "memory");
	return a[0];
}
#elif CASE == 17 /* static_subprog_return_tracked accepted xdp: a static subprogram's constant return is known to the caller */
SUB(sub_a) { asm volatile ("r0 = 8; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("call sub_a; r1 = r10; r1 += -16; r1 += r0; r2 = 0; *(u64 *)(r1 + 0) = r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 18 /* global_pkt_ptr_arg accepted xdp: a global function taking a checked packet pointer as a nullable memory argument */
__noinline int global_first(unsigned char *p) { return p ? p[0] : 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data;
	if (d + 1 > (unsigned char *)(long)ctx->data_end)
		return XDP_PASS;
	return global_first(d);
}
#elif CASE == 19 /* recursive_subprog refused xdp: a subprogram calling itself */
SUB(sub_a) { asm volatile ("r1 += 1; call sub_a; r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 0; call sub_a; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 20 /* tc_global_skb_arg accepted tc: a global function taking __sk_buff */
__noinline int global_len(struct __sk_buff *s) { return s ? s->len : 0; }
SEC("tc") int prog(struct __sk_buff *skb) { return global_len(skb) > 1000 ? 2 : 0; }
#elif CASE == 22 /* subprog_r0_uninit_used refused xdp: the caller returns the r0 a subprogram never set */
SUB(sub_a) { asm volatile ("r1 = 1; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("call sub_a; exit;" ::: "memory"); }
#elif CASE == 23 /* global_void_return_used refused xdp: a global function that returns void */
__noinline void global_nothing(int *p) { if (p) *p = 1; }
SEC("xdp") int prog(struct xdp_md *ctx) { int v = 0; global_nothing(&v); return v ? XDP_PASS : XDP_DROP; }
#elif CASE == 24 /* async_callback_chain_over_512 refused tc: a timer callback's own call chain (320 + 256 bytes) counts as a separate root */
struct tv { struct bpf_timer t; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); __type(key, int); __type(value, struct tv); } timers SEC(".maps");
static __noinline int leaf_cb(void *map, int *key, struct tv *v) { volatile char b[256] = {}; return b[7]; }
static __noinline int root_cb(void *map, int *key, struct tv *v) { volatile char b[320] = {}; return b[9] + leaf_cb(0, 0, 0); }
SEC("tc") int prog(struct __sk_buff *skb)
{
	int k = 0;
	struct tv *v = bpf_map_lookup_elem(&timers, &k);
	if (!v)
		return 0;
	return bpf_timer_set_callback(&v->t, root_cb);
}
#elif CASE == 25 /* async_callback_chain_under_512 accepted tc: a timer callback's chain of 128 + 128 bytes */
struct tv { struct bpf_timer t; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); __type(key, int); __type(value, struct tv); } timers SEC(".maps");
static __noinline int leaf_cb(void *map, int *key, struct tv *v) { volatile char b[128] = {}; return b[7]; }
static __noinline int root_cb(void *map, int *key, struct tv *v) { volatile char b[128] = {}; return b[9] + leaf_cb(0, 0, 0); }
SEC("tc") int prog(struct __sk_buff *skb)
{
	int k = 0;
	volatile char big[300] = {};
	struct tv *v = bpf_map_lookup_elem(&timers, &k);
	if (!v)
		return big[3];
	return bpf_timer_set_callback(&v->t, root_cb);
}
#endif
