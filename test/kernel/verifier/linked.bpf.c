/* SPDX-License-Identifier: MIT */
/* Linked scalars: a copy of a scalar shares its id, and a copy moved by a constant (`+=` or `-=`,
 * 64- or 32-bit) keeps the link with that delta, so a bound a branch proves on one holds for the
 * other. Each probe ends in a division by zero the verifier refuses where it can reach it: a
 * program is accepted exactly when the link carried the bound. Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[2]);
} a SEC(".maps");

#define OPS IMM(get_prandom_u32), ADDR(a), IMM(map_lookup_elem)
#define ASM(body) asm volatile (body :: OPS : "memory")
/* reached only where the verifier could not prove the branch before it */
#define PROBE "r0 /= 0;"

#if CASE == 0 /* neg_delta_bounds_origin accepted socket: r7 = r6 - 4 (as += -4) bounded to [0, 100]: r6 is then within [4, 104] */
NAKED("socket") { ASM("call %[get_prandom_u32]; r6 = r0; r7 = r6; r7 += -4; if r7 > 100 goto 1f; if r6 >= 4 goto 1f;" PROBE "1: r0 = 0; exit;"); }
#elif CASE == 1 /* sub_delta_bounds_origin accepted socket: the same link made by r7 -= 4 */
NAKED("socket") { ASM("call %[get_prandom_u32]; r6 = r0; r7 = r6; r7 -= 4; if r7 > 100 goto 1f; if r6 >= 4 goto 1f;" PROBE "1: r0 = 0; exit;"); }
#elif CASE == 2 /* alu32_delta_bounds_origin accepted socket: w7 = w6 - 4 in 32 bits, bounded: w6 is within [4, 104] */
NAKED("socket") { ASM("call %[get_prandom_u32]; w6 = w0; w7 = w6; w7 += -4; if w7 > 100 goto 1f; if w6 >= 4 goto 1f;" PROBE "1: r0 = 0; exit;"); }
#elif CASE == 3 /* alu32_link_needs_clear_upper_half refused socket: a 64-bit value moved in 32 bits loses its link */
NAKED("socket") { ASM("call %[get_prandom_u32]; r6 = r0; r7 = r6; w7 += -4; if w7 > 100 goto 1f; if w6 >= 4 goto 1f;" PROBE "1: r0 = 0; exit;"); }
#elif CASE == 4 /* self_add_unlinks refused socket: r6 += r6 on a linked register breaks the link (its delta is no constant) */
NAKED("socket") { ASM("call %[get_prandom_u32]; r6 = r0; r7 = r6; call %[get_prandom_u32]; r8 = r0; r9 = r8;"
	"if r7 != 1 goto 1f; r6 += r6; if r7 == r9 goto 1f; if r6 == 3 goto 1f;" PROBE "1: r0 = 0; exit;"); }
#elif CASE == 5 /* cleared_delta_not_reused refused socket: a delta dropped with its link does not come back with a new one */
NAKED("socket") { ASM("call %[get_prandom_u32]; r6 = r0; r6 += 5; r6 ^= 0; r8 = r6; r8 += 3; r9 = r6;"
	"if r9 != 10 goto 1f; if r8 == 8 goto 1f;" PROBE "1: r0 = 0; exit;"); }
#elif CASE == 6 /* alu32_link_zero_extends accepted socket: w7 = w6 + 1 synced from w6 = 0xffffffff wraps to 0 (zero-extended) */
NAKED("socket") { ASM("call %[get_prandom_u32]; w6 = w0; r7 = r6; w7 += 1; r8 = 0xffffffff ll; if r6 < r8 goto 1f;"
	"r7 >>= 32; if r7 == 0 goto 1f;" PROBE "1: r0 = 0; exit;"); }
#elif CASE == 7 /* neg_delta_then_copy accepted socket: a register linked with a negative delta, copied: the copy is plainly linked to neither (a fresh id) */
NAKED("socket") { ASM("call %[get_prandom_u32]; r6 = r0; r7 = r6; r7 += -8; r8 = r7; if r8 > 10 goto 1f; if r8 <= 10 goto 1f;" PROBE "1: r0 = 0; exit;"); }
#elif CASE == 8 /* neg_delta_map_index accepted xdp: an index checked through a copy moved by -4 stays within a 16-byte value */
NAKED("xdp") { ASM("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[a] ll; call %[map_lookup_elem]; if r0 == 0 goto 1f; r9 = r0;"
	"call %[get_prandom_u32]; r6 = r0; r7 = r6; r7 += -4; if r7 > 12 goto 1f; r9 += r6; r0 = *(u32 *)(r9 - 4);"
	"1: r0 = 2; exit;"); }
#elif CASE == 9 /* neg_delta_map_index_off_by_one refused xdp: the same with one more allowed: past the value's end */
NAKED("xdp") { ASM("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[a] ll; call %[map_lookup_elem]; if r0 == 0 goto 1f; r9 = r0;"
	"call %[get_prandom_u32]; r6 = r0; r7 = r6; r7 += -4; if r7 > 13 goto 1f; r9 += r6; r0 = *(u32 *)(r9 - 4);"
	"1: r0 = 2; exit;"); }
#elif CASE == 10 /* c_window_index accepted xdp: C code indexing a 5-byte buffer with off - 5 after checking 5 <= off < 10 */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile char path[5] = {};
	volatile int offset = bpf_get_prandom_u32();
	int off = offset;

	if (off >= 5 && off < 10)
		path[off - 5] = '.';
	return path[0] ? XDP_PASS : XDP_DROP;
}
#endif
