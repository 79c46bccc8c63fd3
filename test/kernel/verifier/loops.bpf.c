/* SPDX-License-Identifier: MIT */
/* Loops: bounded loops, infinite loops, bpf_loop callbacks, open-coded bpf_iter_num, and the
 * one-million-instruction complexity limit. Written for uxdp. */
#include "verifier.h"

struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)));
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

#if CASE == 0 /* bounded_for accepted xdp: a C for loop over 16 iterations */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile int s = 0;
	for (int i = 0; i < 16; i++)
		s += i;
	return s == 120 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 1 /* bounded_asm_countdown accepted xdp: r1 = 10; loop while r1 != 0 */
NAKED("xdp") { asm volatile ("r1 = 10; l0_%=: r1 += -1; if r1 != 0 goto l0_%=; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 2 /* infinite_no_change refused xdp: a loop whose state never changes */
NAKED("xdp") { asm volatile ("r1 = 10; l0_%=: r2 = r1; if r1 != 0 goto l0_%=; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 3 /* unbounded_counter refused xdp: a loop bound by an unknown value is too complex */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r1 = 0; l0_%=: r1 += 1; if r1 != r0 goto l0_%=; r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 4 /* loop_bounded_by_mask accepted xdp: an unknown count masked to 0..63 */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 63; r1 = 0; l0_%=: if r1 >= r0 goto l1_%=; r1 += 1; goto l0_%=; l1_%=: r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 5 /* bpf_loop_ok accepted xdp: bpf_loop with a callback returning 0 */
static int cb_ok(__u32 i, void *c) { return 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { bpf_loop(8, cb_ok, NULL, 0); return XDP_PASS; }
#elif CASE == 6 /* bpf_loop_cb_returns_2 refused xdp: a bpf_loop callback must return 0 or 1 */
SUB(cb_bad) { asm volatile ("r0 = 2; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 8; r2 = cb_bad ll; r3 = 0; r4 = 0; call %[loop]; r0 = 2; exit;" :: IMM(loop) : "memory"); }
#elif CASE == 7 /* bpf_loop_cb_returns_1 accepted xdp: a callback returning 1 (stop) */
SUB(cb_stop) { asm volatile ("r0 = 1; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 8; r2 = cb_stop ll; r3 = 0; r4 = 0; call %[loop]; r0 = 2; exit;" :: IMM(loop) : "memory"); }
#elif CASE == 8 /* bpf_loop_cb_unknown_return refused xdp: a callback returning an unknown scalar */
SUB(cb_any) { asm volatile ("call %[get_prandom_u32]; exit;" :: IMM(get_prandom_u32) : "memory"); }
NAKED("xdp") { asm volatile ("r1 = 8; r2 = cb_any ll; r3 = 0; r4 = 0; call %[loop]; r0 = 2; exit;" :: IMM(loop) : "memory"); }
#elif CASE == 9 /* bpf_loop_flags_nonzero accepted xdp: bpf_loop's flags are checked when it runs, not at load */
static int cb_ok(__u32 i, void *c) { return 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { bpf_loop(8, cb_ok, NULL, 1); return XDP_PASS; }
#elif CASE == 10 /* bpf_loop_ctx_stack accepted xdp: the callback updates the caller's stack through its ctx */
static int cb_add(__u32 i, void *c) { *(__u64 *)c += i; return 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { __u64 s = 0; bpf_loop(8, cb_add, &s, 0); return s == 28 ? XDP_PASS : XDP_DROP; }
#elif CASE == 11 /* bpf_loop_cb_reads_ctx_out_of_bounds refused xdp: the callback reads 16 bytes past its 8-byte ctx */
SUB(cb_oob) { asm volatile ("r0 = *(u64 *)(r2 + 8); r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = 8; r2 = cb_oob ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; r0 = 2; exit;" :: IMM(loop) : "memory"); }
#elif CASE == 12 /* bpf_loop_cb_not_func refused xdp: a scalar as the callback */
NAKED("xdp") { asm volatile ("r1 = 8; r2 = 0; r3 = 0; r4 = 0; call %[loop]; r0 = 2; exit;" :: IMM(loop) : "memory"); }
#elif CASE == 13 /* iter_num_ok accepted xdp: bpf_for over 0..10 with the open-coded iterator */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	int *v, s = 0;

	bpf_iter_num_new(&it, 0, 10);
	while ((v = bpf_iter_num_next(&it)))
		s += *v;
	bpf_iter_num_destroy(&it);
	return s == 45 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 14 /* iter_num_no_destroy refused xdp: an iterator left undestroyed */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	int *v, s = 0;

	bpf_iter_num_new(&it, 0, 10);
	while ((v = bpf_iter_num_next(&it)))
		s += *v;
	return s == 45 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 15 /* iter_num_next_no_null_check refused xdp: bpf_iter_num_next's result dereferenced unchecked */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	int s;

	bpf_iter_num_new(&it, 0, 10);
	s = *(volatile int *)bpf_iter_num_next(&it);
	bpf_iter_num_destroy(&it);
	return s ? XDP_PASS : XDP_DROP;
}
#elif CASE == 16 /* iter_num_next_uninit refused xdp: bpf_iter_num_next on an iterator never created */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	int *v = bpf_iter_num_next(&it);

	return v ? XDP_PASS : XDP_DROP;
}
#elif CASE == 17 /* iter_num_double_new refused xdp: bpf_iter_num_new twice on the same slots */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;

	bpf_iter_num_new(&it, 0, 10);
	bpf_iter_num_new(&it, 0, 10);
	bpf_iter_num_destroy(&it);
	return XDP_PASS;
}
#elif CASE == 18 /* unrolled_branches_pruned accepted xdp: 26 unrolled branches and a 1000-step loop, kept small by state pruning */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 r = bpf_get_prandom_u32(), s = 0;

#pragma unroll
	for (int i = 0; i < 26; i++) {
		if (r & (1u << i))
			s += i * 3;
		else
			s ^= i;
		asm volatile ("" : "+r"(s));
	}
	volatile __u32 n = s;
	for (__u32 j = 0; j < 1000; j++) {
		if (n == j)
			return XDP_DROP;
	}
	return XDP_PASS;
}
#elif CASE == 19 /* bounded_large_loop accepted xdp: 2000 iterations of a simple loop */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile __u32 s = 0;
	for (__u32 j = 0; j < 2000; j++)
		s += j;
	return s ? XDP_PASS : XDP_DROP;
}
#elif CASE == 20 /* infinite_while_true refused xdp: while (1) with a volatile store only */
NAKED("xdp") { asm volatile ("r1 = 0; l0_%=: *(u64 *)(r10 - 8) = r1; goto l0_%=;" ::: "memory"); }
#elif CASE == 21 /* tc_bounded_loop accepted tc: a bounded loop in tc */
SEC("tc") int prog(struct __sk_buff *skb)
{
	volatile int s = 0;
	for (int i = 0; i < 32; i++)
		s += i;
	return s ? 0 : 2;
}
#elif CASE == 22 /* jump_sequence_too_complex refused xdp: 8200 branches on an unknown value, each leaving a pending state */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r2 = 0; .rept 8200; if r0 == 5 goto 1f; r2 += 1; 1:; .endr; r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 23 /* jump_sequence_ok accepted xdp: 2000 such branches */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r2 = 0; .rept 2000; if r0 == 5 goto 1f; r2 += 1; 1:; .endr; r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#endif
