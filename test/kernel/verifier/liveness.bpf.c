/* SPDX-License-Identifier: MIT */
/* Stack-slot liveness (Linux 6.18): a slot no later instruction may read cannot make two states
 * differ, so paths that differ only in dead slots are pruned. Each program runs a chain of
 * diamonds, each writing one slot on one side only (the slot is initialised on one path, never
 * written on the other): pruned when the slots are dead, walked 2^n times when they are read.
 * Reads and writes through helpers, callees, callbacks, variable offsets, dynptrs and iterators.
 * Written for uxdp. */
#include "verifier.h"
#include "bpf_kfuncs.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} a SEC(".maps");

struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)));
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

/* one diamond: an unknown value decides whether the slot at fp-OFF gets the context pointer (r6,
 * kept from the entry); a slot holding a pointer and one never written never cover each other */
#define P(off) "call %[get_prandom_u32]; if r0 == 0 goto 1f; *(u64 *)(r10 - " #off ") = r6; 1:;"
#define D6 "r6 = r1;" P(8) P(16) P(24) P(32) P(40) P(48)
/* the same with a constant: an imprecise spilled constant covers a never-written slot where
 * uninitialised stack reads as unknown (CAP_PERFMON) */
#define D(off) "call %[get_prandom_u32]; if r0 == 0 goto 1f; r1 = 7; *(u64 *)(r10 - " #off ") = r1; 1:;"
#define READ(off) "r1 = *(u64 *)(r10 - " #off ");"
#define OPS ADDR(a), IMM(get_prandom_u32), IMM(map_lookup_elem), IMM(loop)
#define ASM(body) asm volatile (body :: OPS : "memory")
#define ASMI(body) asm volatile (body :: OPS, [iter_new] "i"(bpf_iter_num_new), [iter_next] "i"(bpf_iter_num_next), [iter_destroy] "i"(bpf_iter_num_destroy) : "memory")
/* a kfunc called from asm only gets no BTF: a function no program calls calls them in C */
#define KFUNC_BTF __attribute__((noinline, used)) int iter_btf(struct bpf_iter_num *it) \
	{ bpf_iter_num_new(it, 0, 1); bpf_iter_num_next(it); bpf_iter_num_destroy(it); return 0; }

#if CASE == 0 /* dead_slots_pruned accepted xdp: six diamonds spill a pointer into six slots nothing reads: the paths meet in one state */
NAKED("xdp") { ASM(D6 "r0 = 2; exit;"); }
#elif CASE == 1 /* read_slots_walked accepted xdp: the same six slots all read at the end: every combination is walked */
NAKED("xdp") { ASM(D6 READ(8) READ(16) READ(24) READ(32) READ(40) READ(48) "r0 = 2; exit;"); }
#elif CASE == 2 /* rewritten_slots_pruned accepted xdp: the slots are written whole (8 bytes) before they are read: dead at the diamonds */
NAKED("xdp") { ASM(D6 "r1 = 0; *(u64 *)(r10 - 8) = r1; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 24) = r1; *(u64 *)(r10 - 32) = r1;"
	"*(u64 *)(r10 - 40) = r1; *(u64 *)(r10 - 48) = r1;" READ(8) READ(16) READ(24) READ(32) READ(40) READ(48) "r0 = 2; exit;"); }
#elif CASE == 3 /* narrow_rewrite_keeps_live accepted xdp: a 4-byte write over each slot before it is read does not count as writing it */
NAKED("xdp") { ASM(D6 "r1 = 0; *(u32 *)(r10 - 8) = r1; *(u32 *)(r10 - 16) = r1; *(u32 *)(r10 - 24) = r1; *(u32 *)(r10 - 32) = r1;"
	"*(u32 *)(r10 - 40) = r1; *(u32 *)(r10 - 48) = r1;" READ(8) READ(16) READ(24) READ(32) READ(40) READ(48) "r0 = 2; exit;"); }
#elif CASE == 4 /* callee_reads_caller_slot accepted xdp: a static subprogram reads the caller's fp-8 through a pointer: only that slot is live */
SUB(sub_read) { ASM("r0 = *(u64 *)(r1 + 0); r0 = 0; exit;"); }
NAKED("xdp") { ASM(D6 "r1 = r10; r1 += -8; call sub_read; r0 = 2; exit;"); }
#elif CASE == 5 /* callee_writes_caller_slot accepted xdp: a subprogram that always writes the caller's fp-8 kills it before the call */
SUB(sub_write) { ASM("r2 = 0; *(u64 *)(r1 + 0) = r2; r0 = 0; exit;"); }
NAKED("xdp") { ASM(D6 "r1 = r10; r1 += -8; call sub_write;" READ(8) "r0 = 2; exit;"); }
#elif CASE == 6 /* callee_writes_on_one_path accepted xdp: a subprogram writes the caller's slot on one path only: it stays live */
SUB(sub_maybe) { ASM("r6 = r1; call %[get_prandom_u32]; if r0 == 0 goto 1f; r2 = 0; *(u64 *)(r6 + 0) = r2; 1: r0 = 0; exit;"); }
NAKED("xdp") { ASM(D6 "r1 = r10; r1 += -8; call sub_maybe;" READ(8) "r0 = 2; exit;"); }
#elif CASE == 7 /* read_two_frames_down accepted xdp: the slot's pointer goes down two calls before it is read */
SUB(sub_leaf) { ASM("r0 = *(u64 *)(r1 + 0); r0 = 0; exit;"); }
SUB(sub_pass) { ASM("call sub_leaf; r0 = 0; exit;"); }
NAKED("xdp") { ASM(D6 "r1 = r10; r1 += -16; call sub_pass; r0 = 2; exit;"); }
#elif CASE == 8 /* callback_reads_ctx_slot accepted xdp: a bpf_loop callback reads its context, the caller's fp-8: live before the call */
SUB(cb_read) { ASM("r0 = *(u64 *)(r2 + 0); r0 = 0; exit;"); }
NAKED("xdp") { ASM(D6 "r1 = 2; r2 = cb_read ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; r0 = 2; exit;"); }
#elif CASE == 9 /* uninit_read_after_join refused caps=bpf xdp: without CAP_PERFMON the slot written on one side only is read after the join */
NAKED("xdp") { ASM(D(8) D(16) READ(8) "r0 = 2; exit;"); }
#elif CASE == 10 /* helper_key_only_live accepted xdp: a map lookup reads its key slot; the diamonds' slots stay dead */
NAKED("xdp") { ASM(D6 "r1 = 0; *(u32 *)(r10 - 64) = r1; r2 = r10; r2 += -64; r1 = %[a] ll; call %[map_lookup_elem]; r0 = 2; exit;"); }
#elif CASE == 11 /* var_off_read_keeps_both accepted xdp: a read at fp-16 plus 0 or 8 keeps both slots live */
NAKED("xdp") { ASM(D6 "call %[get_prandom_u32]; r0 &= 8; r1 = r10; r1 += -16; r1 += r0; r0 = *(u64 *)(r1 + 0); r0 = 2; exit;"); }
#elif CASE == 12 /* iter_loop_scratch_slot accepted xdp: inside an iterator loop a diamond writes a slot nothing reads */
KFUNC_BTF
NAKED("xdp") { ASMI("r6 = r1; r1 = r10; r1 += -8; r2 = 0; r3 = 4; call %[iter_new];"
	"2: r1 = r10; r1 += -8; call %[iter_next]; if r0 == 0 goto 3f;" P(16) P(24) "goto 2b;"
	"3: r1 = r10; r1 += -8; call %[iter_destroy]; r0 = 2; exit;"); }
#elif CASE == 13 /* loop_counter_on_stack accepted xdp: a bounded loop keeps its counter in fp-8 and spills a pointer into fp-16 on some turns */
NAKED("xdp") { ASM("r6 = r1; r1 = 0; *(u64 *)(r10 - 8) = r1; 2:" P(16) READ(8) "r1 += 1; *(u64 *)(r10 - 8) = r1; if r1 < 5 goto 2b; r0 = 2; exit;"); }
#elif CASE == 14 /* dead_slots_pruned_socket accepted socket: the diamonds in a socket filter */
NAKED("socket") { ASM(D6 "r0 = 0; exit;"); }
#elif CASE == 15 /* dynptr_slots_live accepted xdp: a dynptr's two slots are read by bpf_dynptr_read after the diamonds */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u64 buf = 0;
	volatile __u64 scratch[4];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	if (bpf_get_prandom_u32() & 1)
		scratch[0] = 1;
	if (bpf_get_prandom_u32() & 1)
		scratch[1] = 2;
	if (bpf_get_prandom_u32() & 1)
		scratch[2] = 3;
	if (bpf_get_prandom_u32() & 1)
		scratch[3] = 4;
	bpf_dynptr_read(&buf, sizeof(buf), &d, 0, 0);
	return buf ? XDP_PASS : XDP_DROP;
}
#elif CASE == 17 /* read_const_slots_pruned accepted xdp: diamonds spilling a constant, all read at the end: an imprecise constant covers a never-written slot (CAP_PERFMON) */
NAKED("xdp") { ASM(D(8) D(16) D(24) D(32) D(40) D(48) READ(8) READ(16) READ(24) READ(32) READ(40) READ(48) "r0 = 2; exit;"); }
#elif CASE == 18 /* ptr_slot_read_refused_unpriv refused caps=bpf xdp: without CAP_PERFMON, a never-written slot read after a join */
NAKED("xdp") { ASM(D6 READ(48) "r0 = 2; exit;"); }
#elif CASE == 16 /* c_scratch_array accepted xdp: C code writing a scratch array on some paths, reading one entry at the end */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile __u64 s[6];

	if (bpf_get_prandom_u32() & 1)
		s[0] = 1;
	if (bpf_get_prandom_u32() & 1)
		s[1] = 2;
	if (bpf_get_prandom_u32() & 1)
		s[2] = 3;
	if (bpf_get_prandom_u32() & 1)
		s[3] = 4;
	if (bpf_get_prandom_u32() & 1)
		s[4] = 5;
	s[5] = 6;
	return s[5] == 6 ? XDP_PASS : XDP_DROP;
}
#endif
