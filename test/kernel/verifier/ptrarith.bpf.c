/* SPDX-License-Identifier: MIT */
/* Pointer arithmetic: what may be added to, subtracted from, compared with and stored of each pointer
 * type. Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64[4]);
} h SEC(".maps");

#define LOOKUP "r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[h] ll; call %[map_lookup_elem]; if r0 == 0 goto out_%=;"
#define OPS ADDR(h), IMM(map_lookup_elem), IMM(get_prandom_u32)
#define OUT "out_%=: r0 = 2; exit;"

#if CASE == 0 /* ctx_add_const_no_deref accepted xdp: ctx + 8 that is never dereferenced */
NAKED("xdp") { asm volatile ("r1 += 8; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 1 /* ctx_sub_const_reg accepted xdp: ctx minus a register holding 4, never dereferenced */
NAKED("xdp") { asm volatile ("r2 = 4; r1 -= r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 2 /* ctx_add_unknown refused xdp: ctx + unknown */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r6 += r0; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 3 /* value_minus_value accepted xdp: two map value pointers subtracted (root) */
NAKED("xdp") { asm volatile (LOOKUP "r1 = r0; r1 += 8; r1 -= r0; r0 = r1; r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 4 /* value_plus_value refused xdp: two map value pointers added */
NAKED("xdp") { asm volatile (LOOKUP "r1 = r0; r1 += r0; r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 5 /* scalar_minus_ptr refused xdp: a scalar minus a pointer */
NAKED("xdp") { asm volatile ("r2 = 100; r2 -= r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 6 /* scalar_plus_ptr accepted xdp: a scalar plus the frame pointer is a stack pointer */
NAKED("xdp") { asm volatile ("r2 = -8; r2 += r10; r3 = 0; *(u64 *)(r2 + 0) = r3; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 7 /* ptr_neg_priv accepted xdp: negating a pointer (root: the result is an unknown scalar) */
NAKED("xdp") { asm volatile ("r2 = r10; r2 = -r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 8 /* ptr_or refused xdp: OR on a map value pointer */
NAKED("xdp") { asm volatile (LOOKUP "r0 |= 1; r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 9 /* ptr_lsh refused xdp: shift of a map value pointer */
NAKED("xdp") { asm volatile (LOOKUP "r0 <<= 1; r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 10 /* ptr_xor_self refused xdp: r0 ^= r0 where r0 is a pointer */
NAKED("xdp") { asm volatile (LOOKUP "r0 ^= r0; r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 11 /* ptr_cmp_ptr_priv accepted xdp: comparing two pointers (root) */
NAKED("xdp") { asm volatile (LOOKUP "if r0 == r10 goto out_%=; r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 12 /* ptr_store_to_stack_then_arith accepted xdp: a spilled value pointer filled and offset */
NAKED("xdp") { asm volatile (LOOKUP "*(u64 *)(r10 - 16) = r0; r1 = *(u64 *)(r10 - 16); r1 += 24; r0 = *(u64 *)(r1 + 0); r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 13 /* value_ptr_offset_oob_then_back accepted xdp: value + 64 then - 40 before the read */
NAKED("xdp") { asm volatile (LOOKUP "r0 += 64; r0 += -40; r0 = *(u64 *)(r0 + 0); r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 14 /* value_ptr_huge_const refused xdp: value + (1 << 29) */
NAKED("xdp") { asm volatile (LOOKUP "r1 = 0x20000000; r0 += r1; r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 15 /* ptr_spill_fill_compare_zero accepted xdp: a spilled and filled frame pointer compared with 0 */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r10; r1 = *(u64 *)(r10 - 8); if r1 == 0 goto l0_%=; l0_%=: r0 = 2; exit;" ::: "memory"); }
#elif CASE == 16 /* fp_minus_fp accepted xdp: r10 - (r10 - 8) is the scalar 8 */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -8; r2 = r10; r2 -= r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 17 /* ptr_div refused xdp: division of the frame pointer */
NAKED("xdp") { asm volatile ("r1 = r10; r1 /= 2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 18 /* value_ptr_bounded_var_then_const accepted xdp: value + (x & 7) + 16, byte read */
NAKED("xdp") { asm volatile (LOOKUP "r6 = r0; call %[get_prandom_u32]; r0 &= 7; r6 += r0; r6 += 16; r0 = *(u8 *)(r6 + 0); r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 19 /* value_ptr_var_then_const_oob refused xdp: value + (x & 7) + 28, u64 read */
NAKED("xdp") { asm volatile (LOOKUP "r6 = r0; call %[get_prandom_u32]; r0 &= 7; r6 += r0; r6 += 28; r0 = *(u64 *)(r6 + 0); r0 = 2; exit;" OUT :: OPS : "memory"); }
#elif CASE == 20 /* ptr_mov32 refused xdp: w1 = w10 turns the pointer into a scalar, then deref */
NAKED("xdp") { asm volatile ("w1 = w10; r0 = *(u64 *)(r1 - 8); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 21 /* tc_ctx_add refused tc: skb ctx + 8 dereferenced */
NAKED("tc") { asm volatile ("r1 += 8; r0 = *(u32 *)(r1 + 0); r0 = 0; exit;" ::: "memory"); }
#endif
