/* SPDX-License-Identifier: MIT */
/* Synchronous callbacks (bpf_loop, bpf_for_each_map_elem) as the kernel verifies them: called an
 * unknown number of times, each exit going back to the call with what the callback wrote into the
 * caller's stack; return ranges, references and dynptrs across callbacks, nesting, bounded and
 * unbounded counts. Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u8[16]);
} a SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

/* r0 = bpf_map_lookup_elem(&a, &(u32)0), the key at fp-4 */
#define LOOKUP "r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[a] ll; call %[map_lookup_elem];"
/* bpf_loop(NR, CB, fp-16, 0) with NR a constant */
#define LOOP(nr, cb) "r1 = " #nr "; r2 = " #cb " ll; r3 = r10; r3 += -16; r4 = 0; call %[loop];"
/* bpf_loop(prandom, CB, fp-16, 0) */
#define LOOP_ANY(cb) "call %[get_prandom_u32]; r1 = r0; r2 = " #cb " ll; r3 = r10; r3 += -16; r4 = 0; call %[loop];"
/* bpf_for_each_map_elem(&a, CB, fp-16, 0) */
#define EACH(cb) "r1 = %[a] ll; r2 = " #cb " ll; r3 = r10; r3 += -16; r4 = 0; call %[for_each_map_elem];"
#define ZERO "r1 = 0; *(u64 *)(r10 - 16) = r1;"
/* the u64 at fp-16 as a byte index into a's 16-byte value */
#define INDEX LOOKUP "if r0 == 0 goto l9_%=; r1 = *(u64 *)(r10 - 16); r0 += r1; r1 = 1; *(u8 *)(r0 + 0) = r1; l9_%=: r0 = 2; exit;"
#define OPS ADDR(a), ADDR(rb), IMM(map_lookup_elem), IMM(get_prandom_u32), IMM(loop), IMM(for_each_map_elem), IMM(ringbuf_reserve), IMM(ringbuf_submit), IMM(ringbuf_reserve_dynptr), IMM(ringbuf_discard_dynptr), IMM(ringbuf_submit_dynptr), IMM(dynptr_read)
#define ASM(body) asm volatile (body :: OPS : "memory")

/* callbacks: (index or map, ctx or key, ...) */
SUB(cb_inc) { ASM("r1 = *(u64 *)(r2 + 0); r1 += 1; *(u64 *)(r2 + 0) = r1; r0 = 0; exit;"); }
SUB(cb_nop) { ASM("r0 = 0; exit;"); }

#if CASE == 0 /* counter_index_const_nr accepted xdp: bpf_loop(8) counts into the caller's stack; the count (0..8) indexes a 16-byte value */
NAKED("xdp") { ASM(ZERO LOOP(8, cb_inc) INDEX); }
#elif CASE == 1 /* counter_index_const_nr_too_big refused xdp: bpf_loop(20) counting: the count reaches 16, past the value */
NAKED("xdp") { ASM(ZERO LOOP(20, cb_inc) INDEX); }
#elif CASE == 2 /* counter_index_unknown_nr refused xdp: an unknown count: the counter is unbounded as an index */
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_inc) INDEX); }
#elif CASE == 3 /* counter_index_masked_unknown_nr refused xdp: an unknown count, the counter masked to 0..15: the kernel keeps it exact (precise) and never converges */
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_inc) LOOKUP "if r0 == 0 goto l0_%=; r1 = *(u64 *)(r10 - 16); r1 &= 15; r0 += r1; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 4 /* counter_unused_unknown_nr accepted xdp: an unknown count, the counter never used: the iteration converges */
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_inc) "r0 = 2; exit;"); }
#elif CASE == 5 /* counter_unused_big_const_nr accepted xdp: bpf_loop(100000) counting, the counter unused */
NAKED("xdp") { ASM(ZERO LOOP(100000, cb_inc) "r0 = 2; exit;"); }
#elif CASE == 6 /* cb_overwrites_caller_spill refused xdp: the callback overwrites the caller's spilled ctx pointer with a scalar, the caller dereferences it */
SUB(cb_clobber) { ASM("r6 = r2; call %[get_prandom_u32]; *(u64 *)(r6 + 0) = r0; r0 = 0; exit;"); }
NAKED("xdp") { ASM("*(u64 *)(r10 - 16) = r1;" LOOP(1, cb_clobber) "r1 = *(u64 *)(r10 - 16); r0 = *(u32 *)(r1 + 0); r0 = 2; exit;"); }
#elif CASE == 7 /* cb_keeps_caller_spill accepted xdp: a callback that does not touch its ctx: the caller's spilled ctx pointer survives the call */
NAKED("xdp") { ASM("*(u64 *)(r10 - 16) = r1;" LOOP(4, cb_nop) "r1 = *(u64 *)(r10 - 16); r0 = *(u32 *)(r1 + 0); r0 = 2; exit;"); }
#elif CASE == 8 /* each_cb_returns_2 refused xdp: a for_each_map_elem callback returning 2 */
SUB(cb_two) { ASM("r0 = 2; exit;"); }
NAKED("xdp") { ASM(EACH(cb_two) "r0 = 2; exit;"); }
#elif CASE == 9 /* cb_returns_masked_random accepted xdp: a bpf_loop callback returning a random bit */
SUB(cb_bit) { ASM("call %[get_prandom_u32]; r0 &= 1; exit;"); }
NAKED("xdp") { ASM(LOOP_ANY(cb_bit) "r0 = 2; exit;"); }
#elif CASE == 10 /* cb_returns_minus_one refused xdp: a bpf_loop callback returning -1 */
SUB(cb_neg) { ASM("r0 = -1; exit;"); }
NAKED("xdp") { ASM(LOOP(3, cb_neg) "r0 = 2; exit;"); }
#elif CASE == 11 /* each_cb_returns_map_ptr refused xdp: a for_each_map_elem callback returning its map pointer */
SUB(cb_map) { ASM("r0 = r1; exit;"); }
NAKED("xdp") { ASM(EACH(cb_map) "r0 = 2; exit;"); }
#elif CASE == 12 /* each_cb_writes_value accepted xdp: a for_each_map_elem callback writes the last byte of each value */
SUB(cb_wr) { ASM("r1 = 7; *(u8 *)(r3 + 15) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(EACH(cb_wr) "r0 = 2; exit;"); }
#elif CASE == 13 /* each_cb_value_out_of_bounds refused xdp: a for_each_map_elem callback reads past its 16-byte value */
SUB(cb_oob) { ASM("r0 = *(u8 *)(r3 + 16); r0 = 0; exit;"); }
NAKED("xdp") { ASM(EACH(cb_oob) "r0 = 2; exit;"); }
#elif CASE == 14 /* each_cb_counts_into_ctx accepted xdp: a for_each_map_elem callback counts elements into the caller's stack, the caller returns the count's low bit */
SUB(cb_cnt) { ASM("r1 = *(u64 *)(r4 + 0); r1 += 1; *(u64 *)(r4 + 0) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO EACH(cb_cnt) "r0 = *(u64 *)(r10 - 16); r0 &= 1; r0 += 1; exit;"); }
#elif CASE == 15 /* cb_reads_uninit_caller_stack_priv accepted xdp: the callback reads a caller slot never written (root may) */
SUB(cb_rd) { ASM("r0 = *(u64 *)(r2 + 0); r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOP(2, cb_rd) "r0 = 2; exit;"); }
#elif CASE == 16 /* cb_uninit_caller_value_as_index refused xdp: the callback indexes a map value with an uninitialised caller slot */
SUB(cb_idx) { ASM("r6 = r2;" LOOKUP "if r0 == 0 goto l0_%=; r1 = *(u64 *)(r6 + 0); r0 += r1; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOP(2, cb_idx) "r0 = 2; exit;"); }
#elif CASE == 17 /* cb_ringbuf_reserve_leak refused xdp: a callback reserves a ring buffer record and never submits it */
SUB(cb_leak) { ASM("r1 = %[rb] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve]; r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOP(2, cb_leak) "r0 = 2; exit;"); }
#elif CASE == 18 /* cb_ringbuf_reserve_submit accepted xdp: a callback reserves and submits a record */
SUB(cb_rec) { ASM("r1 = %[rb] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOP_ANY(cb_rec) "r0 = 2; exit;"); }
#elif CASE == 19 /* ref_held_across_loop accepted xdp: the caller holds a record across bpf_loop and submits it after */
NAKED("xdp") { ASM("r1 = %[rb] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r6 = r0;" LOOP(4, cb_nop) "r1 = r6; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 20 /* ref_released_in_cb_and_caller refused xdp: the callback submits the caller's record (spilled in its ctx), the caller submits it again */
SUB(cb_sub) { ASM("r1 = *(u64 *)(r2 + 0); r2 = 0; call %[ringbuf_submit]; r0 = 0; exit;"); }
NAKED("xdp") { ASM("r1 = %[rb] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r6 = r0; *(u64 *)(r10 - 16) = r0;" LOOP(1, cb_sub) "r1 = r6; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 21 /* dynptr_read_in_cb accepted xdp: the caller's ring buffer dynptr is read by the callback through its ctx, then discarded */
SUB(cb_dread) { ASM("r3 = r2; r1 = r10; r1 += -8; r2 = 4; r4 = 0; r5 = 0; call %[dynptr_read]; r0 = 0; exit;"); }
NAKED("xdp") { ASM("r1 = %[rb] ll; r2 = 8; r3 = 0; r4 = r10; r4 += -16; call %[ringbuf_reserve_dynptr];" LOOP(2, cb_dread) "r1 = r10; r1 += -16; r2 = 0; call %[ringbuf_discard_dynptr]; r0 = 2; exit;"); }
#elif CASE == 22 /* dynptr_submitted_in_cb refused xdp: the callback submits the caller's dynptr, the caller discards it again */
SUB(cb_dsub) { ASM("r1 = r2; r2 = 0; call %[ringbuf_submit_dynptr]; r0 = 0; exit;"); }
NAKED("xdp") { ASM("r1 = %[rb] ll; r2 = 8; r3 = 0; r4 = r10; r4 += -16; call %[ringbuf_reserve_dynptr];" LOOP(1, cb_dsub) "r1 = r10; r1 += -16; r2 = 0; call %[ringbuf_discard_dynptr]; r0 = 2; exit;"); }
#elif CASE == 23 /* nested_loops accepted xdp: a bpf_loop callback runs bpf_loop(4) with the caller's ctx, the inner one counting */
SUB(cb_outer) { ASM("r3 = r2; r1 = 4; r2 = cb_inc ll; r4 = 0; call %[loop]; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP(4, cb_outer) "r0 = 2; exit;"); }
#elif CASE == 24 /* nested_inner_returns_2 refused xdp: the inner callback of nested bpf_loops returns 2 */
SUB(cb_two) { ASM("r0 = 2; exit;"); }
SUB(cb_outer) { ASM("r3 = r2; r1 = 4; r2 = cb_two ll; r4 = 0; call %[loop]; r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOP(4, cb_outer) "r0 = 2; exit;"); }
#elif CASE == 25 /* nested_counter_index_16 refused xdp: nested bpf_loop(4) x bpf_loop(4) counting: the count reaches 16 as an index */
SUB(cb_outer) { ASM("r3 = r2; r1 = 4; r2 = cb_inc ll; r4 = 0; call %[loop]; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP(4, cb_outer) INDEX); }
#elif CASE == 26 /* nested_counter_index_9 accepted xdp: nested bpf_loop(3) x bpf_loop(3) counting: the count stays below 16 */
SUB(cb_outer) { ASM("r3 = r2; r1 = 3; r2 = cb_inc ll; r4 = 0; call %[loop]; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP(3, cb_outer) INDEX); }
#elif CASE == 27 /* cb_spins_forever refused xdp: a callback whose body loops without changing anything */
SUB(cb_spin) { ASM("r0 = 0; l0_%=: if r0 == 0 goto l0_%=; exit;"); }
NAKED("xdp") { ASM(LOOP(2, cb_spin) "r0 = 2; exit;"); }
#elif CASE == 28 /* cb_never_stops_unknown_nr accepted xdp: a callback that never asks to stop, an unknown count */
NAKED("xdp") { ASM(LOOP_ANY(cb_nop) "r0 = 2; exit;"); }
#elif CASE == 29 /* zero_nr_bad_cb accepted xdp: bpf_loop(0): its callback, returning 2, is never visited */
SUB(cb_two) { ASM("r0 = 2; exit;"); }
NAKED("xdp") { ASM(LOOP(0, cb_two) "r0 = 2; exit;"); }
#elif CASE == 30 /* socket_loop_counter accepted socket: a socket filter counts with bpf_loop(5) and returns the count */
NAKED("socket") { ASM(ZERO LOOP(5, cb_inc) "r0 = *(u64 *)(r10 - 16); exit;"); }
#elif CASE == 31 /* tc_each_writes_value accepted tc: a tc program's for_each_map_elem callback writes each value */
SUB(cb_wr) { ASM("r1 = 1; *(u64 *)(r3 + 8) = r1; r0 = 0; exit;"); }
NAKED("tc") { ASM(EACH(cb_wr) "r0 = 0; exit;"); }
#elif CASE == 32 /* cb_returns_stack_ptr refused xdp: a callback returning its own stack pointer */
SUB(cb_fp) { ASM("r0 = r10; exit;"); }
NAKED("xdp") { ASM(LOOP(2, cb_fp) "r0 = 2; exit;"); }
#elif CASE == 33 /* caller_r6_survives accepted xdp: the caller's r6 (ctx) is intact after bpf_loop */
NAKED("xdp") { ASM("r6 = r1;" LOOP_ANY(cb_inc) "r0 = *(u32 *)(r6 + 0); r0 = 2; exit;"); }
#elif CASE == 34 /* caller_r1_clobbered refused xdp: bpf_loop clobbers r1..r5 like any helper */
NAKED("xdp") { ASM(LOOP(2, cb_nop) "r0 = r3; exit;"); }
#elif CASE == 35 /* cb_stores_pkt_len_then_index refused tc: a callback stores skb->len-like unknowns into the counter, the caller indexes with it */
SUB(cb_rand) { ASM("r6 = r2; call %[get_prandom_u32]; *(u64 *)(r6 + 0) = r0; r0 = 0; exit;"); }
NAKED("tc") { ASM(ZERO LOOP(3, cb_rand) LOOKUP "if r0 == 0 goto l0_%=; r1 = *(u64 *)(r10 - 16); r0 += r1; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r0 = 0; exit;"); }
#elif CASE == 36 /* c_counter_index accepted xdp: the bounded counter in C: a struct on the stack counted by a bpf_loop(8) callback, used as an index */
struct lctx { __u64 n; };
static int cb_c(__u64 i, void *p) { ((struct lctx *)p)->n++; return 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct lctx c = { 0 };
	__u32 k = 0;
	__u8 *v;

	bpf_loop(8, cb_c, &c, 0);
	v = bpf_map_lookup_elem(&a, &k);
	if (!v)
		return XDP_PASS;
	v[c.n] = 1;
	return XDP_PASS;
}
#elif CASE == 37 /* c_each_sum accepted xdp: a C for_each_map_elem callback sums each value's first byte into a caller struct */
struct sctx { __u64 sum; };
static long cb_sum(void *map, __u32 *key, __u8 *val, void *p) { ((struct sctx *)p)->sum += val[0]; return 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct sctx s = { 0 };

	bpf_for_each_map_elem(&a, cb_sum, &s, 0);
	return s.sum > 100 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 38 /* cb_indexes_with_counter_const_nr accepted xdp: the callback itself indexes a value with the count it keeps, bpf_loop(12) */
SUB(cb_own_idx) { ASM("r6 = r2;" LOOKUP "if r0 == 0 goto l0_%=; r1 = *(u64 *)(r6 + 0); r0 += r1; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r1 = *(u64 *)(r6 + 0); r1 += 1; *(u64 *)(r6 + 0) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP(12, cb_own_idx) "r0 = 2; exit;"); }
#elif CASE == 39 /* cb_indexes_with_counter_unknown_nr refused xdp: the same with an unknown count: the 17th visit writes past the value */
SUB(cb_own_idx) { ASM("r6 = r2;" LOOKUP "if r0 == 0 goto l0_%=; r1 = *(u64 *)(r6 + 0); r0 += r1; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r1 = *(u64 *)(r6 + 0); r1 += 1; *(u64 *)(r6 + 0) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_own_idx) "r0 = 2; exit;"); }
#elif CASE == 40 /* loop_ctx_map_value refused xdp: bpf_loop's ctx must be a stack pointer or NULL, not a map value */
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l0_%=; r3 = r0; r1 = 4; r2 = cb_nop ll; r4 = 0; call %[loop]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 41 /* loop_ctx_null accepted xdp: bpf_loop with a NULL ctx and a callback that ignores it */
NAKED("xdp") { ASM("r1 = 4; r2 = cb_nop ll; r3 = 0; r4 = 0; call %[loop]; r0 = 2; exit;"); }
#elif CASE == 42 /* cb_writes_below_its_ctx accepted xdp: the callback writes the caller's fp-24 through ctx - 8, the caller reads it back */
SUB(cb_below) { ASM("r1 = 5; *(u64 *)(r2 - 8) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM("r1 = 0; *(u64 *)(r10 - 24) = r1;" LOOP(2, cb_below) "r0 = *(u64 *)(r10 - 24); r0 &= 3; exit;"); }
#elif CASE == 43 /* loop_inside_each accepted xdp: a for_each_map_elem callback runs bpf_loop(3) counting into the caller's stack */
SUB(cb_each_loop) { ASM("r3 = r4; r1 = 3; r2 = cb_inc ll; r4 = 0; call %[loop]; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO EACH(cb_each_loop) "r0 = 2; exit;"); }
#elif CASE == 44 /* cb_stops_at_index accepted xdp: a callback that asks to stop (returns 1) once the index reaches 3, the count unknown */
SUB(cb_stop3) { ASM("r0 = 0; if r1 < 3 goto l0_%=; r0 = 1; l0_%=: exit;"); }
NAKED("xdp") { ASM(LOOP_ANY(cb_stop3) "r0 = 2; exit;"); }
#elif CASE == 45 /* cb_bounded_loop_inside accepted xdp: a callback with a bounded loop of its own, the count unknown */
SUB(cb_inner_loop) { ASM("r1 = 0; l0_%=: r1 += 1; if r1 < 5 goto l0_%=; r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOP_ANY(cb_inner_loop) "r0 = 2; exit;"); }
#elif CASE == 46 /* cb_pkt_pointer_spilled_by_caller refused xdp: the callback dereferences the caller's spilled packet pointer without a bounds check */
SUB(cb_pkt) { ASM("r1 = *(u64 *)(r2 + 0); r0 = *(u8 *)(r1 + 0); r0 = 0; exit;"); }
NAKED("xdp") { ASM("r1 = *(u32 *)(r1 + 0); *(u64 *)(r10 - 16) = r1;" LOOP(2, cb_pkt) "r0 = 2; exit;"); }
#elif CASE == 47 /* caller_reads_spill_written_by_cb accepted xdp: the callback spills a constant 3 into the caller's stack; the caller (0 or 3 there) indexes the value with it */
SUB(cb_three) { ASM("r1 = 3; *(u64 *)(r2 + 0) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_three) INDEX); }
#elif CASE == 48 /* timer_cb_returns_0 accepted xdp: an asynchronous timer callback returning 0, verified on its own */
struct tval { struct bpf_timer t; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tval);
} tm SEC(".maps");
static int tcb(void *map, __u32 *key, struct tval *v) { return 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct tval *v = bpf_map_lookup_elem(&tm, &k);

	if (!v)
		return XDP_PASS;
	bpf_timer_init(&v->t, &tm, 1);
	bpf_timer_set_callback(&v->t, tcb);
	return XDP_PASS;
}
#elif CASE == 49 /* timer_cb_returns_1 refused xdp: an asynchronous timer callback must return 0 */
struct tval { struct bpf_timer t; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tval);
} tm SEC(".maps");
static int tcb(void *map, __u32 *key, struct tval *v) { return 1; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct tval *v = bpf_map_lookup_elem(&tm, &k);

	if (!v)
		return XDP_PASS;
	bpf_timer_init(&v->t, &tm, 1);
	bpf_timer_set_callback(&v->t, tcb);
	return XDP_PASS;
}
#endif
