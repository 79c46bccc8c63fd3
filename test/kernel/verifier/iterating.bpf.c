/* SPDX-License-Identifier: MIT */
/* Iterating constructs as the kernel verifies them: bpf_loop and bpf_for_each_map_elem callbacks
 * (visited until the caller's state at the call repeats, imprecise scalars widened), may_goto
 * loops (BPF_JCOND: the kernel explores the exit first, queues the body one may_goto level deeper,
 * and prunes a state that is within one of another level), open-coded bpf_iter_num loops, and the
 * limits (one million instructions, infinite loops, frames). Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u8[16]);
} a SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} h SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)));
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

/* r0 = bpf_map_lookup_elem(&a, &(u32)0), the key at fp-4 */
#define LOOKUP "r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[a] ll; call %[map_lookup_elem];"
/* bpf_loop(NR, CB, fp-16, 0) with NR a constant */
#define LOOP(nr, cb) "r1 = " #nr "; r2 = " #cb " ll; r3 = r10; r3 += -16; r4 = 0; call %[loop];"
/* bpf_loop(prandom, CB, fp-16, 0) */
#define LOOP_ANY(cb) "call %[get_prandom_u32]; r1 = r0; r2 = " #cb " ll; r3 = r10; r3 += -16; r4 = 0; call %[loop];"
/* bpf_for_each_map_elem(&M, CB, fp-16, 0) */
#define EACH(m, cb) "r1 = %[" #m "] ll; r2 = " #cb " ll; r3 = r10; r3 += -16; r4 = 0; call %[for_each_map_elem];"
#define ZERO "r1 = 0; *(u64 *)(r10 - 16) = r1;"
/* the u64 at fp-16 as a byte index into a's 16-byte value */
#define INDEX LOOKUP "if r0 == 0 goto l9_%=; r1 = *(u64 *)(r10 - 16); r0 += r1; r1 = 1; *(u8 *)(r0 + 0) = r1; l9_%=: r0 = 2; exit;"
#define OPS ADDR(a), ADDR(h), ADDR(rb), IMM(map_lookup_elem), IMM(get_prandom_u32), IMM(loop), IMM(for_each_map_elem), IMM(ringbuf_reserve), IMM(ringbuf_submit), IMM(ktime_get_ns)
#define ASM(body) asm volatile (body :: OPS : "memory")
/* with the iterator kfuncs: call %[iter_new], %[iter_next], %[iter_destroy] */
#define ASMI(body) asm volatile (body :: OPS, [iter_new] "i"(bpf_iter_num_new), [iter_next] "i"(bpf_iter_num_next), [iter_destroy] "i"(bpf_iter_num_destroy) : "memory")
/* A kfunc called from asm only gets no BTF: a function no program calls calls them in C. */
#define KFUNC_BTF __attribute__((noinline, used)) int iter_btf(struct bpf_iter_num *it) \
	{ bpf_iter_num_new(it, 0, 1); bpf_iter_num_next(it); bpf_iter_num_destroy(it); return 0; }
/* may_goto L (BPF_JMP | BPF_JCOND, 0xe5), encoded by hand: the assembler computes the offset */
#define MAY_GOTO(l) ".long 0xe5 + (((" #l " - 1f) / 8) << 16); .long 0; 1:;"
/* 300 instructions doing nothing that matters (a long callback body) */
#define PAD ".rept 300; r7 += 1; .endr;"

SUB(cb_nop) { ASM("r0 = 0; exit;"); }
SUB(cb_inc) { ASM("r1 = *(u64 *)(r2 + 0); r1 += 1; *(u64 *)(r2 + 0) = r1; r0 = 0; exit;"); }
/* the counter at ctx+0 counts up to 15 and stays there */
SUB(cb_sat15) { ASM("r1 = *(u64 *)(r2 + 0); if r1 >= 15 goto l0_%=; r1 += 1; *(u64 *)(r2 + 0) = r1; l0_%=: r0 = 0; exit;"); }

#if CASE == 0 /* saturating_counter_index accepted xdp: a callback counts up to 15 and stops counting; an unknown count: the counter (0..15) indexes a 16-byte value */
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_sat15) INDEX); }
#elif CASE == 1 /* saturating_counter_index_long_cb accepted xdp: the same with a 300-instruction callback: the counter is precise, visited exactly up to 15 */
SUB(cb_sat_long) { ASM("r7 = 0;" PAD "r1 = *(u64 *)(r2 + 0); if r1 >= 15 goto l0_%=; r1 += 1; *(u64 *)(r2 + 0) = r1; l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_sat_long) INDEX); }
#elif CASE == 2 /* saturating_counter_16_index refused xdp: a counter saturating at 16 indexes the 16-byte value: the 16th byte is past it */
SUB(cb_sat16) { ASM("r1 = *(u64 *)(r2 + 0); if r1 >= 16 goto l0_%=; r1 += 1; *(u64 *)(r2 + 0) = r1; l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_sat16) INDEX); }
#elif CASE == 3 /* unsafe_on_second_visit refused xdp: the first visit replaces the caller's spilled ctx pointer with a scalar and sets a flag, the second dereferences it */
SUB(cb_two_faced) { ASM("r6 = r2; r1 = *(u64 *)(r6 + 0); if r1 != 0 goto l0_%=; r1 = 7; *(u64 *)(r6 + 8) = r1; r1 = 1; *(u64 *)(r6 + 0) = r1; r0 = 0; exit; l0_%=: r1 = *(u64 *)(r6 + 8); r0 = *(u32 *)(r1 + 0); r0 = 0; exit;"); }
NAKED("xdp") { ASM("*(u64 *)(r10 - 8) = r1;" ZERO LOOP(2, cb_two_faced) "r0 = 2; exit;"); }
#elif CASE == 4 /* unsafe_on_second_visit_one_iter accepted xdp: the same callback with bpf_loop(1): there is no second visit */
SUB(cb_two_faced) { ASM("r6 = r2; r1 = *(u64 *)(r6 + 0); if r1 != 0 goto l0_%=; r1 = 7; *(u64 *)(r6 + 8) = r1; r1 = 1; *(u64 *)(r6 + 0) = r1; r0 = 0; exit; l0_%=: r1 = *(u64 *)(r6 + 8); r0 = *(u32 *)(r1 + 0); r0 = 0; exit;"); }
NAKED("xdp") { ASM("*(u64 *)(r10 - 8) = r1;" ZERO LOOP(1, cb_two_faced) "r0 = 2; exit;"); }
#elif CASE == 5 /* unsafe_on_zero_visits refused xdp: the caller uses the map value pointer only the callback stores: after zero visits the slot holds the caller's zero */
SUB(cb_store_val) { ASM("r6 = r2;" LOOKUP "if r0 == 0 goto l0_%=; *(u64 *)(r6 + 0) = r0; l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_store_val) "r1 = *(u64 *)(r10 - 16); r0 = *(u8 *)(r1 + 0); r0 = 2; exit;"); }
#elif CASE == 6 /* flag_guards_pointer accepted xdp: the callback stores a map value pointer and a non-zero flag; the caller dereferences the pointer only under the flag */
SUB(cb_store_flag) { ASM("r6 = r2;" LOOKUP "if r0 == 0 goto l0_%=; *(u64 *)(r6 - 8) = r0; r1 = 1; *(u64 *)(r6 + 0) = r1; l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_store_flag) "r1 = *(u64 *)(r10 - 16); if r1 == 0 goto l0_%=; r1 = *(u64 *)(r10 - 24); r0 = *(u8 *)(r1 + 0); l0_%=: r0 = 2; exit;"); }
#elif CASE == 7 /* uninit_read_on_later_visit refused xdp: a visit after the first indexes a value with a caller slot nobody wrote */
SUB(cb_later) { ASM("r6 = r2; r1 = *(u64 *)(r6 + 0); if r1 == 0 goto l1_%=;" LOOKUP "if r0 == 0 goto l0_%=; r1 = *(u64 *)(r6 - 8); r0 += r1; r1 = 1; *(u8 *)(r0 + 0) = r1; goto l0_%=; l1_%=: r1 = 1; *(u64 *)(r6 + 0) = r1; l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP(3, cb_later) "r0 = 2; exit;"); }
#elif CASE == 8 /* ptr_counter_pair accepted xdp: the callback advances a map value pointer spilled in the caller's stack and counts; it writes only while the count is below 15 */
SUB(cb_adv) { ASM("r6 = r2; r1 = *(u64 *)(r6 + 0); if r1 >= 15 goto l0_%=; r1 += 1; *(u64 *)(r6 + 0) = r1; r2 = *(u64 *)(r6 - 8); r1 = 1; *(u8 *)(r2 + 0) = r1; r2 += 1; *(u64 *)(r6 - 8) = r2; l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 24) = r0;" ZERO LOOP_ANY(cb_adv) "l0_%=: r0 = 2; exit;"); }
#elif CASE == 9 /* ptr_advanced_without_bound refused xdp: the callback advances and writes through a map value pointer spilled in the caller's stack with no bound */
SUB(cb_adv) { ASM("r2 = *(u64 *)(r2 - 8); r1 = 1; *(u8 *)(r2 + 0) = r1; r0 = 0; exit;"); }
SUB(cb_adv2) { ASM("r6 = r2; r2 = *(u64 *)(r6 - 8); r1 = 1; *(u8 *)(r2 + 0) = r1; r2 += 1; *(u64 *)(r6 - 8) = r2; r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 24) = r0;" ZERO LOOP_ANY(cb_adv2) "l0_%=: r0 = 2; exit;"); }
#elif CASE == 10 /* nested_unknown_counts accepted xdp: bpf_loop with an unknown count inside a callback of one with an unknown count, both counting into the caller's stack */
SUB(cb_outer) { ASM("r6 = r2; call %[get_prandom_u32]; r1 = r0; r2 = cb_inc ll; r3 = r6; r4 = 0; call %[loop]; r1 = *(u64 *)(r6 + 8); r1 += 1; *(u64 *)(r6 + 8) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO "*(u64 *)(r10 - 8) = r1;" LOOP_ANY(cb_outer) "r0 = 2; exit;"); }
#elif CASE == 11 /* nested_three_deep accepted xdp: three levels of bpf_loop with unknown counts, the innermost counting */
SUB(cb_mid) { ASM("r6 = r2; call %[get_prandom_u32]; r1 = r0; r2 = cb_inc ll; r3 = r6; r4 = 0; call %[loop]; r0 = 0; exit;"); }
SUB(cb_top) { ASM("r6 = r2; call %[get_prandom_u32]; r1 = r0; r2 = cb_mid ll; r3 = r6; r4 = 0; call %[loop]; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_top) "r0 = 2; exit;"); }
#elif CASE == 12 /* nested_inner_cb_bad_return refused xdp: the innermost of three nested callbacks returns 2 */
SUB(cb_two) { ASM("r0 = 2; exit;"); }
SUB(cb_mid) { ASM("r6 = r2; r1 = 3; r2 = cb_two ll; r3 = r6; r4 = 0; call %[loop]; r0 = 0; exit;"); }
SUB(cb_top) { ASM("r6 = r2; r1 = 3; r2 = cb_mid ll; r3 = r6; r4 = 0; call %[loop]; r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOP(3, cb_top) "r0 = 2; exit;"); }
#elif CASE == 13 /* cb_calls_itself refused xdp: a callback passing itself to bpf_loop: frames pile up until the call stack is too deep */
SUB(cb_self) { ASM("r1 = 2; r2 = cb_self ll; r3 = 0; r4 = 0; call %[loop]; r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOP(2, cb_self) "r0 = 2; exit;"); }
#elif CASE == 14 /* index_unknown_even_nr_one refused xdp: under bpf_loop(1) the callback's index is still unknown: its branch for a non-zero index is walked and reads past the caller's stack */
SUB(cb_idx0) { ASM("if r1 == 0 goto l0_%=; r0 = *(u64 *)(r2 + 512); l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP(1, cb_idx0) "r0 = 2; exit;"); }
#elif CASE == 15 /* index_as_stack_offset refused xdp: the callback adds its (unknown) index to the caller's stack pointer and reads there */
SUB(cb_idx0) { ASM("if r1 == 0 goto l0_%=; r0 = *(u64 *)(r2 + 512); l0_%=: r0 = 0; exit;"); }
SUB(cb_idxv) { ASM("r2 += r1; r0 = *(u8 *)(r2 + 0); r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP(1, cb_idxv) "r0 = 2; exit;"); }
#elif CASE == 16 /* huge_const_nr_counter_index refused xdp: bpf_loop(1 << 20) counting, the count used as an index: visited exactly until it passes the value */
NAKED("xdp") { ASM(ZERO LOOP(1048576, cb_inc) INDEX); }
#elif CASE == 17 /* flags_unknown accepted xdp: bpf_loop's flags an unknown scalar (checked when it runs) */
NAKED("xdp") { ASM("call %[get_prandom_u32]; r4 = r0; r1 = 4; r2 = cb_nop ll; r3 = 0; call %[loop]; r0 = 2; exit;"); }
#elif CASE == 18 /* nr_pointer refused xdp: bpf_loop's count must be a scalar */
NAKED("xdp") { ASM("r1 = r10; r2 = cb_nop ll; r3 = 0; r4 = 0; call %[loop]; r0 = 2; exit;"); }
#elif CASE == 19 /* cb_returns_index refused xdp: a callback returning its index (any u64) */
SUB(cb_ret_idx) { ASM("r0 = r1; exit;"); }
NAKED("xdp") { ASM(LOOP(4, cb_ret_idx) "r0 = 2; exit;"); }
#elif CASE == 20 /* cb_returns_index_bit accepted xdp: a callback returning its index's low bit */
SUB(cb_ret_bit) { ASM("r0 = r1; r0 &= 1; exit;"); }
NAKED("xdp") { ASM(LOOP_ANY(cb_ret_bit) "r0 = 2; exit;"); }
#elif CASE == 21 /* cb_returns_uninit refused xdp: a callback that exits without setting r0 */
SUB(cb_no_r0) { ASM("r1 = 0; exit;"); }
NAKED("xdp") { ASM(LOOP(4, cb_no_r0) "r0 = 2; exit;"); }
#elif CASE == 22 /* cb_stops_at_saturated_counter accepted xdp: a callback counting up to 3 that asks to stop (1) once there, an unknown count */
SUB(cb_stop) { ASM("r1 = *(u64 *)(r2 + 0); r0 = 1; if r1 >= 3 goto l0_%=; r1 += 1; *(u64 *)(r2 + 0) = r1; r0 = 0; l0_%=: exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_stop) "r0 = 2; exit;"); }
#elif CASE == 23 /* loop_cb_reads_r3 refused xdp: a bpf_loop callback has two arguments: r3 is not initialised */
SUB(cb_r3) { ASM("r0 = r3; r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOP(2, cb_r3) "r0 = 2; exit;"); }
#elif CASE == 24 /* each_cb_reads_r5 refused xdp: a for_each_map_elem callback has four arguments: r5 is not initialised */
SUB(cb_r5) { ASM("r0 = r5; r0 = 0; exit;"); }
NAKED("xdp") { ASM(EACH(a, cb_r5) "r0 = 2; exit;"); }
#elif CASE == 25 /* cb_calls_subprog accepted xdp: the callback hands its ctx to a subprogram that counts */
SUB(sub_inc) { ASM("r2 = *(u64 *)(r1 + 0); r2 += 1; *(u64 *)(r1 + 0) = r2; r0 = 0; exit;"); }
SUB(cb_via_sub) { ASM("r1 = r2; call sub_inc; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_via_sub) "r0 = 2; exit;"); }
#elif CASE == 26 /* cb_returns_subprog_result accepted xdp: the callback returns what a subprogram answers (the index's low bit) */
SUB(sub_bit) { ASM("r0 = r1; r0 &= 1; exit;"); }
SUB(cb_sub_ret) { ASM("call sub_bit; exit;"); }
NAKED("xdp") { ASM(LOOP_ANY(cb_sub_ret) "r0 = 2; exit;"); }
#elif CASE == 27 /* cb_returns_subprog_two refused xdp: the callback returns a subprogram's 2 */
SUB(sub_two) { ASM("r0 = 2; exit;"); }
SUB(cb_sub_ret) { ASM("call sub_two; exit;"); }
NAKED("xdp") { ASM(LOOP(2, cb_sub_ret) "r0 = 2; exit;"); }
#elif CASE == 28 /* subprog_in_cb_indexes accepted xdp: a subprogram called from the callback indexes a value with the caller's counter checked, the callback counting up to 15 */
SUB(sub_idx) { ASM("r6 = r1;" LOOKUP "if r0 == 0 goto l0_%=; r1 = *(u64 *)(r6 + 0); if r1 > 15 goto l0_%=; r0 += r1; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r0 = 0; exit;"); }
SUB(cb_via_sub) { ASM("r6 = r2; r1 = r2; call sub_idx; r1 = *(u64 *)(r6 + 0); if r1 >= 15 goto l0_%=; r1 += 1; *(u64 *)(r6 + 0) = r1; l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_via_sub) "r0 = 2; exit;"); }
#elif CASE == 29 /* map_value_via_ctx accepted xdp: the caller spills a checked map value pointer in its ctx; the callback writes its byte 15 */
SUB(cb_mv) { ASM("r1 = *(u64 *)(r2 + 0); r3 = 1; *(u8 *)(r1 + 15) = r3; r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 16) = r0;" LOOP_ANY(cb_mv) "l0_%=: r0 = 2; exit;"); }
#elif CASE == 30 /* map_value_or_null_via_ctx refused xdp: the spilled hash map value pointer was never null-checked */
SUB(cb_mv) { ASM("r1 = *(u64 *)(r2 + 0); r3 = 1; *(u8 *)(r1 + 0) = r3; r0 = 0; exit;"); }
NAKED("xdp") { ASM("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[h] ll; call %[map_lookup_elem]; *(u64 *)(r10 - 16) = r0;" LOOP_ANY(cb_mv) "r0 = 2; exit;"); }
#elif CASE == 31 /* map_value_via_ctx_past_end refused xdp: the callback writes byte 16 of the value through the spilled pointer */
SUB(cb_mv16) { ASM("r1 = *(u64 *)(r2 + 0); r3 = 1; *(u8 *)(r1 + 16) = r3; r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 16) = r0;" LOOP_ANY(cb_mv16) "l0_%=: r0 = 2; exit;"); }
#elif CASE == 32 /* map_value_nulled_by_cb refused xdp: the callback dereferences the spilled pointer, then overwrites it with 0: the next visit dereferences 0 */
SUB(cb_mvz) { ASM("r1 = *(u64 *)(r2 + 0); r0 = *(u8 *)(r1 + 0); r1 = 0; *(u64 *)(r2 + 0) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 16) = r0;" LOOP(5, cb_mvz) "l0_%=: r0 = 2; exit;"); }
#elif CASE == 33 /* each_array_key_index accepted xdp: a for_each_map_elem callback indexes its value with its key masked to 0..15 */
SUB(cb_key) { ASM("r1 = *(u32 *)(r2 + 0); r1 &= 15; r3 += r1; r1 = 1; *(u8 *)(r3 + 0) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(EACH(a, cb_key) "r0 = 2; exit;"); }
#elif CASE == 34 /* each_array_key_unmasked refused xdp: the key unmasked as an index into the value */
SUB(cb_key) { ASM("r1 = *(u32 *)(r2 + 0); r3 += r1; r1 = 1; *(u8 *)(r3 + 0) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(EACH(a, cb_key) "r0 = 2; exit;"); }
#elif CASE == 35 /* each_hash_key_value accepted xdp: a for_each_map_elem callback over a hash map adds its key to its 8-byte value */
SUB(cb_hash) { ASM("r1 = *(u32 *)(r2 + 0); r4 = *(u64 *)(r3 + 0); r4 += r1; *(u64 *)(r3 + 0) = r4; r0 = 0; exit;"); }
NAKED("xdp") { ASM(EACH(h, cb_hash) "r0 = 2; exit;"); }
#elif CASE == 36 /* each_hash_value_past_end refused xdp: a hash map's callback reads past its 8-byte value */
SUB(cb_hash) { ASM("r0 = *(u32 *)(r3 + 8); r0 = 0; exit;"); }
NAKED("xdp") { ASM(EACH(h, cb_hash) "r0 = 2; exit;"); }
#elif CASE == 37 /* each_writes_key refused xdp: a for_each_map_elem callback may not write its key */
SUB(cb_wkey) { ASM("r1 = 0; *(u32 *)(r2 + 0) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(EACH(h, cb_wkey) "r0 = 2; exit;"); }
#elif CASE == 38 /* each_null_ctx accepted xdp: for_each_map_elem with a NULL ctx, the callback ignoring it */
SUB(cb_val) { ASM("r0 = *(u64 *)(r3 + 0); r0 = 0; exit;"); }
NAKED("xdp") { ASM("r1 = %[h] ll; r2 = cb_val ll; r3 = 0; r4 = 0; call %[for_each_map_elem]; r0 = 2; exit;"); }
#elif CASE == 39 /* each_ringbuf_map refused xdp: for_each_map_elem does not iterate a ring buffer */
NAKED("xdp") { ASM(EACH(rb, cb_nop) "r0 = 2; exit;"); }
#elif CASE == 40 /* each_stops_on_value accepted xdp: the callback stops (1) at a value whose first byte is zero, counting the others into the caller's stack */
SUB(cb_stopv) { ASM("r0 = 1; r1 = *(u8 *)(r3 + 0); if r1 == 0 goto l0_%=; r1 = *(u64 *)(r4 + 0); r1 += 1; *(u64 *)(r4 + 0) = r1; r0 = 0; l0_%=: exit;"); }
NAKED("xdp") { ASM(ZERO EACH(a, cb_stopv) "r0 = *(u64 *)(r10 - 16); r0 &= 1; r0 += 1; exit;"); }
#elif CASE == 41 /* each_keeps_max_index accepted xdp: the callback keeps the largest key seen (masked to 0..15) in the caller's stack; the caller indexes with it */
SUB(cb_max) { ASM("r1 = *(u32 *)(r2 + 0); r1 &= 15; r5 = *(u64 *)(r4 + 0); if r5 >= r1 goto l0_%=; *(u64 *)(r4 + 0) = r1; l0_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO EACH(a, cb_max) INDEX); }
#elif CASE == 42 /* each_in_loop_cb accepted xdp: a bpf_loop callback runs for_each_map_elem with the caller's ctx */
SUB(cb_cnt) { ASM("r1 = *(u64 *)(r4 + 0); r1 += 1; *(u64 *)(r4 + 0) = r1; r0 = 0; exit;"); }
SUB(cb_loop_each) { ASM("r3 = r2; r1 = %[a] ll; r2 = cb_cnt ll; r4 = 0; call %[for_each_map_elem]; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_loop_each) "r0 = 2; exit;"); }
#elif CASE == 43 /* socket_nested_counts accepted socket: a socket filter's bpf_loop(3) runs bpf_loop(3) counting; it returns the count */
SUB(cb_outer) { ASM("r3 = r2; r1 = 3; r2 = cb_inc ll; r4 = 0; call %[loop]; r0 = 0; exit;"); }
NAKED("socket") { ASM(ZERO LOOP(3, cb_outer) "r0 = *(u64 *)(r10 - 16); exit;"); }
#elif CASE == 44 /* socket_cb_reads_skb_len accepted socket: the callback reads skb->len through a ctx pointer the caller spilled */
SUB(cb_len) { ASM("r1 = *(u64 *)(r2 + 0); r0 = *(u32 *)(r1 + 0); r0 = 0; exit;"); }
NAKED("socket") { ASM("*(u64 *)(r10 - 16) = r1;" LOOP_ANY(cb_len) "r0 = 0; exit;"); }
#elif CASE == 45 /* socket_cb_writes_skb_len refused socket: the callback writes skb->len through the spilled ctx */
SUB(cb_wlen) { ASM("r1 = *(u64 *)(r2 + 0); r3 = 1; *(u32 *)(r1 + 0) = r3; r0 = 0; exit;"); }
NAKED("socket") { ASM("*(u64 *)(r10 - 16) = r1;" LOOP(2, cb_wlen) "r0 = 0; exit;"); }
#elif CASE == 46 /* socket_each_sum accepted socket: a socket filter's for_each_map_elem callback sums the hash map's values */
SUB(cb_sum) { ASM("r1 = *(u64 *)(r3 + 0); r5 = *(u64 *)(r4 + 0); r5 += r1; *(u64 *)(r4 + 0) = r5; r0 = 0; exit;"); }
NAKED("socket") { ASM(ZERO EACH(h, cb_sum) "r0 = *(u64 *)(r10 - 16); exit;"); }
#elif CASE == 47 /* cb_branches_many_states accepted xdp: a callback branching on random bits eight times, storing a different constant on each path in the caller's stack, an unknown count */
SUB(cb_br) { ASM("r6 = r2; call %[get_prandom_u32]; r1 = 0;"
	".irp b,1,2,4,8,16,32,64,128; r2 = r0; r2 &= \\b; if r2 == 0 goto 1f; r1 += \\b; 1:; .endr;"
	"*(u64 *)(r6 + 0) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_br) "r0 = 2; exit;"); }
#elif CASE == 48 /* cb_branches_index accepted xdp: the same callback stores 0..15 (four bits) that the caller uses as an index */
SUB(cb_br) { ASM("r6 = r2; call %[get_prandom_u32]; r1 = 0;"
	".irp b,1,2,4,8; r2 = r0; r2 &= \\b; if r2 == 0 goto 1f; r1 += \\b; 1:; .endr;"
	"*(u64 *)(r6 + 0) = r1; r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_br) INDEX); }
#elif CASE == 49 /* global_func_runs_loop accepted xdp: a global function runs bpf_loop on its own stack and returns the count */
struct lctx { __u64 n; };
static int cb_c(__u64 i, void *p) { ((struct lctx *)p)->n++; return 0; }
__attribute__((noinline)) int glob(int nr)
{
	struct lctx c = { 0 };

	bpf_loop(nr & 15, cb_c, &c, 0);
	return c.n;
}
SEC("xdp") int prog(struct xdp_md *ctx) { return glob(ctx->ingress_ifindex) > 3 ? XDP_DROP : XDP_PASS; }
#elif CASE == 50 /* global_func_cb_indexes accepted xdp: a global function's bpf_loop callback indexes a value with a count below 16 */
struct lctx { __u64 n; };
static int cb_c(__u64 i, void *p)
{
	struct lctx *c = p;
	__u32 k = 0;
	__u8 *v = bpf_map_lookup_elem(&a, &k);

	if (!v || c->n >= 16)
		return 1;
	v[c->n++] = 1;
	return 0;
}
__attribute__((noinline)) int glob(int nr)
{
	struct lctx c = { 0 };

	bpf_loop(nr, cb_c, &c, 0);
	return 0;
}
SEC("xdp") int prog(struct xdp_md *ctx) { return glob(ctx->ingress_ifindex) ? XDP_DROP : XDP_PASS; }
#elif CASE == 51 /* global_func_cb_past_end refused xdp: the same with the count allowed up to 16 */
struct lctx { __u64 n; };
static int cb_c(__u64 i, void *p)
{
	struct lctx *c = p;
	__u32 k = 0;
	__u8 *v = bpf_map_lookup_elem(&a, &k);

	if (!v || c->n > 16)
		return 1;
	v[c->n++] = 1;
	return 0;
}
__attribute__((noinline)) int glob(int nr)
{
	struct lctx c = { 0 };

	bpf_loop(nr, cb_c, &c, 0);
	return 0;
}
SEC("xdp") int prog(struct xdp_md *ctx) { return glob(ctx->ingress_ifindex) ? XDP_DROP : XDP_PASS; }
#elif CASE == 52 /* c_loop_sum_index accepted xdp: a C callback sums indices into a struct and counts, the count (bpf_loop(10)) indexes a value */
struct sctx { __u64 sum, n; };
static int cb_s(__u64 i, void *p) { struct sctx *s = p; s->sum += i; s->n++; return 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct sctx s = { 0, 0 };
	__u32 k = 0;
	__u8 *v;

	bpf_loop(10, cb_s, &s, 0);
	v = bpf_map_lookup_elem(&a, &k);
	if (!v)
		return XDP_PASS;
	v[s.n] = s.sum;
	return XDP_PASS;
}
#elif CASE == 53 /* c_each_hash_count accepted socket: a C for_each_map_elem callback over the hash map counts and sums */
struct sctx { __u64 sum, n; };
static long cb_h(void *map, __u32 *key, __u64 *val, void *p) { struct sctx *s = p; s->sum += *val + *key; s->n++; return 0; }
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct sctx s = { 0, 0 };

	bpf_for_each_map_elem(&h, cb_h, &s, 0);
	return s.n + s.sum;
}
/* ---- may_goto */
#elif CASE == 54 /* mg_counter_unused accepted xdp: r6 counts in a may_goto loop and is never used: the imprecise counter widens and the loop converges */
NAKED("xdp") { ASM("r6 = 0; l0_%=: " MAY_GOTO(l1_%=) " r6 += 1; goto l0_%=; l1_%=: r0 = 2; exit;"); }
#elif CASE == 55 /* mg_empty_body accepted xdp: a may_goto loop whose body changes nothing (no infinite loop: the hidden counter bounds it) */
NAKED("xdp") { ASM("r6 = 0; l0_%=: " MAY_GOTO(l1_%=) " goto l0_%=; l1_%=: r0 = 2; exit;"); }
#elif CASE == 56 /* mg_bounded_index accepted xdp: for (i = 0; i < 16 && can_loop; i++) v[i] = 1 */
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l1_%=; r6 = 0; l0_%=: " MAY_GOTO(l1_%=) " if r6 >= 16 goto l1_%=; r1 = r0; r1 += r6; r2 = 1; *(u8 *)(r1 + 0) = r2; r6 += 1; goto l0_%=; l1_%=: r0 = 2; exit;"); }
#elif CASE == 57 /* mg_bounded_index_off_by_one refused xdp: i <= 16 as the bound: byte 16 is written */
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l1_%=; r6 = 0; l0_%=: " MAY_GOTO(l1_%=) " if r6 > 16 goto l1_%=; r1 = r0; r1 += r6; r2 = 1; *(u8 *)(r1 + 0) = r2; r6 += 1; goto l0_%=; l1_%=: r0 = 2; exit;"); }
#elif CASE == 58 /* mg_counter_index_after_loop refused xdp: the counter, precise as an index after the loop, is kept exact and reaches 16 */
NAKED("xdp") { ASM("r6 = 0; l0_%=: " MAY_GOTO(l1_%=) " r6 += 1; goto l0_%=; l1_%=:" LOOKUP "if r0 == 0 goto l2_%=; r0 += r6; r1 = 1; *(u8 *)(r0 + 0) = r1; l2_%=: r0 = 2; exit;"); }
#elif CASE == 59 /* mg_counter_masked_after_loop refused xdp: the counter masked as an index after the loop: precise, exact, never converging */
NAKED("xdp") { ASM("r6 = 0; l0_%=: " MAY_GOTO(l1_%=) " r6 += 1; goto l0_%=; l1_%=:" LOOKUP "if r0 == 0 goto l2_%=; r6 &= 15; r0 += r6; r1 = 1; *(u8 *)(r0 + 0) = r1; l2_%=: r0 = 2; exit;"); }
#elif CASE == 60 /* mg_stack_counter accepted xdp: a counter kept in a stack slot, incremented by a may_goto loop, unused */
NAKED("xdp") { ASM(ZERO "l0_%=: " MAY_GOTO(l1_%=) " r1 = *(u64 *)(r10 - 16); r1 += 1; *(u64 *)(r10 - 16) = r1; goto l0_%=; l1_%=: r0 = 2; exit;"); }
#elif CASE == 61 /* mg_stack_counter_checked accepted xdp: a stack counter bounded by 15 in the loop indexes the value after it */
NAKED("xdp") { ASM(ZERO "l0_%=: " MAY_GOTO(l1_%=) " r1 = *(u64 *)(r10 - 16); if r1 >= 15 goto l1_%=; r1 += 1; *(u64 *)(r10 - 16) = r1; goto l0_%=; l1_%=:" INDEX); }
#elif CASE == 62 /* mg_nested accepted xdp: a may_goto loop inside another, both counting imprecisely */
NAKED("xdp") { ASM("r6 = 0; r7 = 0; l0_%=: " MAY_GOTO(l3_%=) " r6 += 1; l1_%=: " MAY_GOTO(l2_%=) " r7 += 1; goto l1_%=; l2_%=: goto l0_%=; l3_%=: r0 = 2; exit;"); }
#elif CASE == 63 /* mg_nested_bounded accepted xdp: nested may_goto loops over i < 4 and j < 4 writing v[i * 4 + j] */
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l3_%=; r6 = 0; l0_%=: " MAY_GOTO(l3_%=) " if r6 >= 4 goto l3_%=; r7 = 0; l1_%=: " MAY_GOTO(l2_%=) " if r7 >= 4 goto l2_%=; r1 = r6; r1 <<= 2; r1 += r7; r2 = r0; r2 += r1; r1 = 1; *(u8 *)(r2 + 0) = r1; r7 += 1; goto l1_%=; l2_%=: r6 += 1; goto l0_%=; l3_%=: r0 = 2; exit;"); }
#elif CASE == 64 /* mg_ptr_survives accepted xdp: a map value pointer spilled before a may_goto loop is dereferenced after it */
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l2_%=; *(u64 *)(r10 - 16) = r0; r6 = 0; l0_%=: " MAY_GOTO(l1_%=) " r6 += 3; goto l0_%=; l1_%=: r1 = *(u64 *)(r10 - 16); r0 = *(u8 *)(r1 + 15); l2_%=: r0 = 2; exit;"); }
#elif CASE == 65 /* mg_ptr_clobbered_in_body refused xdp: the loop body replaces the spilled pointer with a scalar; after the loop it is dereferenced */
NAKED("xdp") { ASM(LOOKUP "if r0 == 0 goto l2_%=; *(u64 *)(r10 - 16) = r0; l0_%=: " MAY_GOTO(l1_%=) " r1 = 5; *(u64 *)(r10 - 16) = r1; goto l0_%=; l1_%=: r1 = *(u64 *)(r10 - 16); r0 = *(u8 *)(r1 + 0); l2_%=: r0 = 2; exit;"); }
#elif CASE == 66 /* mg_in_callback accepted xdp: a may_goto loop inside a bpf_loop callback, counting into the caller's stack */
SUB(cb_mg) { ASM("l0_%=: " MAY_GOTO(l1_%=) " r1 = *(u64 *)(r2 + 0); r1 += 1; *(u64 *)(r2 + 0) = r1; goto l0_%=; l1_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM(ZERO LOOP_ANY(cb_mg) "r0 = 2; exit;"); }
#elif CASE == 67 /* mg_in_subprog accepted xdp: a may_goto loop in a static subprogram, its count unused */
SUB(sub_mg) { ASM("r0 = 0; l0_%=: " MAY_GOTO(l1_%=) " r0 += 1; goto l0_%=; l1_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASM("call sub_mg; r0 = 2; exit;"); }
#elif CASE == 68 /* mg_subprog_result_index refused xdp: a subprogram returns its may_goto loop's count, the caller indexes with it */
SUB(sub_mg) { ASM("r0 = 0; l0_%=: " MAY_GOTO(l1_%=) " r0 += 1; goto l0_%=; l1_%=: exit;"); }
NAKED("xdp") { ASM("call sub_mg; r6 = r0;" LOOKUP "if r0 == 0 goto l2_%=; r0 += r6; r1 = 1; *(u8 *)(r0 + 0) = r1; l2_%=: r0 = 2; exit;"); }
#elif CASE == 69 /* mg_socket_returns_count accepted socket: a socket filter returns its may_goto loop's count */
NAKED("socket") { ASM("r0 = 0; l0_%=: " MAY_GOTO(l1_%=) " r0 += 1; goto l0_%=; l1_%=: exit;"); }
#elif CASE == 70 /* mg_socket_reads_skb accepted socket: a may_goto loop reading skb->len each time, summing it */
NAKED("socket") { ASM("r6 = r1; r7 = 0; l0_%=: " MAY_GOTO(l1_%=) " r1 = *(u32 *)(r6 + 0); r7 += r1; goto l0_%=; l1_%=: r0 = 0; exit;"); }
#elif CASE == 71 /* mg_uninit_after_loop refused xdp: r7 is set only in the loop body; after zero iterations it is uninitialised */
NAKED("xdp") { ASM("l0_%=: " MAY_GOTO(l1_%=) " r7 = 1; goto l0_%=; l1_%=: r0 = r7; exit;"); }
#elif CASE == 72 /* mg_stack_512 accepted xdp: 512 bytes of stack used and a may_goto loop (its hidden counter's slot is added after verification) */
NAKED("xdp") { ASM("r1 = 0; *(u64 *)(r10 - 512) = r1; r6 = 0; l0_%=: " MAY_GOTO(l1_%=) " r6 += 1; goto l0_%=; l1_%=: r0 = *(u64 *)(r10 - 512); r0 = 2; exit;"); }
#elif CASE == 73 /* mg_two_loops_in_sequence accepted xdp: two may_goto loops one after the other */
NAKED("xdp") { ASM("r6 = 0; l0_%=: " MAY_GOTO(l1_%=) " r6 += 1; goto l0_%=; l1_%=: r7 = 0; l2_%=: " MAY_GOTO(l3_%=) " r7 += 2; goto l2_%=; l3_%=: r0 = 2; exit;"); }
#elif CASE == 74 /* mg_branchy_body accepted xdp: the loop body branches on a random value and stores one of two constants to the stack */
NAKED("xdp") { ASM(ZERO "l0_%=: " MAY_GOTO(l1_%=) " call %[get_prandom_u32]; r1 = 1; if r0 > 100 goto l2_%=; r1 = 2; l2_%=: *(u64 *)(r10 - 16) = r1; goto l0_%=; l1_%=: r0 = 2; exit;"); }
#elif CASE == 75 /* mg_cond_break_c accepted xdp: a C loop with can_loop (asm goto may_goto) summing into a volatile */
#define can_loop ({ __label__ l_break, l_continue; int ret = 1; asm volatile goto(MAY_GOTO(%l[l_break]) :::: l_break); goto l_continue; l_break: ret = 0; l_continue:; ret; })
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile __u64 s = 0;
	__u64 i = 0;

	while (can_loop) {
		s += i;
		i++;
	}
	return s ? XDP_DROP : XDP_PASS;
}
#elif CASE == 76 /* mg_can_loop_index_c accepted xdp: for (i = 0; i < 16 && can_loop; i++) writing a value in C */
#define can_loop ({ __label__ l_break, l_continue; int ret = 1; asm volatile goto(MAY_GOTO(%l[l_break]) :::: l_break); goto l_continue; l_break: ret = 0; l_continue:; ret; })
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0, i;
	__u8 *v = bpf_map_lookup_elem(&a, &k);

	if (!v)
		return XDP_PASS;
	for (i = 0; i < 16 && can_loop; i++)
		v[i] = i;
	return XDP_PASS;
}
/* ---- open-coded iterators */
#elif CASE == 77 /* iter_sum_imprecise accepted xdp: sum += *v over bpf_iter_num(0, 1000): the sum widens */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	__u64 s = 0;
	int *v;

	bpf_iter_num_new(&it, 0, 1000);
	while ((v = bpf_iter_num_next(&it)))
		s += *v;
	bpf_iter_num_destroy(&it);
	return s & 1 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 78 /* iter_value_index_checked accepted xdp: the iterator's value checked below 16 indexes a map value */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	__u32 k = 0;
	__u8 *m = bpf_map_lookup_elem(&a, &k);
	int *v;

	if (!m)
		return XDP_PASS;
	bpf_iter_num_new(&it, 0, 16);
	while ((v = bpf_iter_num_next(&it))) {
		if (*v >= 0 && *v < 16)
			m[*v] = 1;
	}
	bpf_iter_num_destroy(&it);
	return XDP_PASS;
}
#elif CASE == 79 /* iter_value_index_unchecked refused xdp: the iterator's value indexes a map value unchecked (the verifier does not know its range) */
KFUNC_BTF
NAKED("xdp") { ASMI(LOOKUP "if r0 == 0 goto l2_%=; r6 = r0; r1 = r10; r1 += -16; r2 = 0; r3 = 16; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -16; call %[iter_next]; if r0 == 0 goto l1_%=; r1 = *(u32 *)(r0 + 0); r2 = r6; r2 += r1; r1 = 1; *(u8 *)(r2 + 0) = r1; goto l0_%=;"
	"l1_%=: r1 = r10; r1 += -16; call %[iter_destroy]; l2_%=: r0 = 2; exit;"); }
#elif CASE == 80 /* iter_local_counter_unused accepted xdp: a counter of the iterations kept in a register, never used */
KFUNC_BTF
NAKED("xdp") { ASMI("r6 = 0; r1 = r10; r1 += -16; r2 = 0; r3 = 100; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -16; call %[iter_next]; if r0 == 0 goto l1_%=; r6 += 1; goto l0_%=;"
	"l1_%=: r1 = r10; r1 += -16; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 81 /* iter_local_counter_bounded_index accepted xdp: an iteration counter that stops at 15, used as an index after the loop */
KFUNC_BTF
NAKED("xdp") { ASMI("r6 = 0; r1 = r10; r1 += -16; r2 = 0; r3 = 100; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -16; call %[iter_next]; if r0 == 0 goto l1_%=; if r6 >= 15 goto l0_%=; r6 += 1; goto l0_%=;"
	"l1_%=: r1 = r10; r1 += -16; call %[iter_destroy];" LOOKUP "if r0 == 0 goto l2_%=; r0 += r6; r1 = 1; *(u8 *)(r0 + 0) = r1; l2_%=: r0 = 2; exit;"); }
#elif CASE == 82 /* iter_local_counter_index refused xdp: an unchecked iteration counter used as an index after the loop (precise, exact, reaching 16) */
KFUNC_BTF
NAKED("xdp") { ASMI("r6 = 0; r1 = r10; r1 += -16; r2 = 0; r3 = 100; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -16; call %[iter_next]; if r0 == 0 goto l1_%=; r6 += 1; goto l0_%=;"
	"l1_%=: r1 = r10; r1 += -16; call %[iter_destroy];" LOOKUP "if r0 == 0 goto l2_%=; r0 += r6; r1 = 1; *(u8 *)(r0 + 0) = r1; l2_%=: r0 = 2; exit;"); }
#elif CASE == 83 /* iter_nested accepted xdp: two nested bpf_iter_num loops summing */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num i1, i2;
	__u64 s = 0;
	int *v, *w;

	bpf_iter_num_new(&i1, 0, 10);
	while ((v = bpf_iter_num_next(&i1))) {
		bpf_iter_num_new(&i2, 0, 10);
		while ((w = bpf_iter_num_next(&i2)))
			s += *v * *w;
		bpf_iter_num_destroy(&i2);
	}
	bpf_iter_num_destroy(&i1);
	return s & 1 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 84 /* iter_inner_not_destroyed refused xdp: the inner of two nested iterators is recreated each outer iteration without being destroyed */
KFUNC_BTF
NAKED("xdp") { ASMI("r1 = r10; r1 += -8; r2 = 0; r3 = 4; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -8; call %[iter_next]; if r0 == 0 goto l1_%=; r1 = r10; r1 += -16; r2 = 0; r3 = 4; call %[iter_new]; goto l0_%=;"
	"l1_%=: r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 85 /* iter_in_callback accepted xdp: a bpf_loop callback runs a bpf_iter_num loop on its own stack, counting into the caller's */
KFUNC_BTF
SUB(cb_iter) { ASMI("r6 = r2; r1 = r10; r1 += -8; r2 = 0; r3 = 5; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -8; call %[iter_next]; if r0 == 0 goto l1_%=; r1 = *(u64 *)(r6 + 0); r1 += 1; *(u64 *)(r6 + 0) = r1; goto l0_%=;"
	"l1_%=: r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 0; exit;"); }
NAKED("xdp") { ASMI(ZERO LOOP_ANY(cb_iter) "r0 = 2; exit;"); }
#elif CASE == 86 /* iter_in_callback_not_destroyed refused xdp: the callback's iterator is left undestroyed at its exit */
KFUNC_BTF
SUB(cb_iter) { ASMI("r1 = r10; r1 += -8; r2 = 0; r3 = 5; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -8; call %[iter_next]; if r0 == 0 goto l1_%=; goto l0_%=;"
	"l1_%=: r0 = 0; exit;"); }
NAKED("xdp") { ASMI(LOOP(2, cb_iter) "r0 = 2; exit;"); }
#elif CASE == 87 /* iter_caller_iter_in_callback accepted xdp: the caller's iterator is advanced by the callback through its ctx */
KFUNC_BTF
SUB(cb_adv_iter) { ASMI("r1 = r2; call %[iter_next]; r0 = 0; exit;"); }
NAKED("xdp") { ASMI("r1 = r10; r1 += -16; r2 = 0; r3 = 5; call %[iter_new];" LOOP_ANY(cb_adv_iter) "r1 = r10; r1 += -16; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 88 /* iter_loop_runs_bpf_loop accepted xdp: each iteration of a bpf_iter_num loop runs bpf_loop(3) counting */
KFUNC_BTF
NAKED("xdp") { ASMI(ZERO "r1 = r10; r1 += -8; r2 = 0; r3 = 50; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -8; call %[iter_next]; if r0 == 0 goto l1_%=;" LOOP(3, cb_inc) "goto l0_%=;"
	"l1_%=: r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 89 /* iter_with_may_goto accepted xdp: a may_goto loop inside each iteration of a bpf_iter_num loop */
KFUNC_BTF
NAKED("xdp") { ASMI("r6 = 0; r1 = r10; r1 += -8; r2 = 0; r3 = 50; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -8; call %[iter_next]; if r0 == 0 goto l1_%=; l2_%=: " MAY_GOTO(l0_%=) " r6 += 1; goto l2_%=;"
	"l1_%=: r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 90 /* iter_next_on_destroyed refused xdp: bpf_iter_num_next on a destroyed iterator, the result unused */
KFUNC_BTF
NAKED("xdp") { ASMI("r1 = r10; r1 += -8; r2 = 0; r3 = 5; call %[iter_new]; r1 = r10; r1 += -8; call %[iter_destroy]; r1 = r10; r1 += -8; call %[iter_next]; r0 = 2; exit;"); }
#elif CASE == 91 /* iter_destroy_twice refused xdp: bpf_iter_num_destroy twice */
KFUNC_BTF
NAKED("xdp") { ASMI("r1 = r10; r1 += -8; r2 = 0; r3 = 5; call %[iter_new]; r1 = r10; r1 += -8; call %[iter_destroy]; r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 92 /* iter_overwritten refused xdp: an active iterator's slot overwritten by a store */
KFUNC_BTF
NAKED("xdp") { ASMI("r1 = r10; r1 += -8; r2 = 0; r3 = 5; call %[iter_new]; r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 93 /* iter_in_subprog_by_pointer accepted xdp: a subprogram advances the caller's iterator, passed by pointer */
KFUNC_BTF
SUB(sub_next) { ASMI("call %[iter_next]; r0 = 0; exit;"); }
NAKED("xdp") { ASMI("r1 = r10; r1 += -8; r2 = 0; r3 = 5; call %[iter_new]; r1 = r10; r1 += -8; call sub_next; r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 94 /* iter_value_deref_after_drain refused xdp: the value pointer dereferenced on the drained path (NULL) */
KFUNC_BTF
NAKED("xdp") { ASMI("r1 = r10; r1 += -8; r2 = 0; r3 = 5; call %[iter_new]; r1 = r10; r1 += -8; call %[iter_next]; r6 = *(u32 *)(r0 + 0); r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 95 /* iter_empty_range accepted socket: bpf_iter_num over an empty range, the loop body branching */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	int *v, n = 0;

	bpf_iter_num_new(&it, 5, 5);
	while ((v = bpf_iter_num_next(&it))) {
		if (*v > 2)
			n += 2;
		else
			n -= 1;
	}
	bpf_iter_num_destroy(&it);
	return n;
}
#elif CASE == 96 /* iter_stack_pointer_state accepted xdp: a pointer to one of two stack buffers chosen per iteration, written after the loop */
KFUNC_BTF
NAKED("xdp") { ASMI("r1 = 0; *(u64 *)(r10 - 24) = r1; *(u64 *)(r10 - 32) = r1; r6 = r10; r6 += -24; r1 = r10; r1 += -8; r2 = 0; r3 = 10; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -8; call %[iter_next]; if r0 == 0 goto l1_%=; r1 = *(u32 *)(r0 + 0); r6 = r10; r6 += -24; if r1 > 4 goto l0_%=; r6 = r10; r6 += -32; goto l0_%=;"
	"l1_%=: r1 = 1; *(u64 *)(r6 + 0) = r1; r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 97 /* iter_ptr_clobbered_second_iteration refused xdp: the first iteration turns a pointer register into a scalar, the next dereferences it */
KFUNC_BTF
NAKED("xdp") { ASMI("r6 = r1; r1 = r10; r1 += -8; r2 = 0; r3 = 10; call %[iter_new];"
	"l0_%=: r1 = r10; r1 += -8; call %[iter_next]; if r0 == 0 goto l1_%=; r1 = *(u32 *)(r6 + 0); r6 = 0; goto l0_%=;"
	"l1_%=: r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 98 /* iter_socket_c accepted socket: a C bpf_iter_num loop reading skb fields each time */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	__u32 s = 0;
	int *v;

	bpf_iter_num_new(&it, 0, 8);
	while ((v = bpf_iter_num_next(&it)))
		s += skb->len + *v;
	bpf_iter_num_destroy(&it);
	return s;
}
/* ---- limits */
#elif CASE == 102 /* mg_infinite_inside_body refused xdp: a plain infinite loop (no may_goto) inside a may_goto loop's body */
NAKED("xdp") { ASM("l0_%=: " MAY_GOTO(l1_%=) " r1 = 0; l2_%=: if r1 == 0 goto l2_%=; goto l0_%=; l1_%=: r0 = 2; exit;"); }
#endif
