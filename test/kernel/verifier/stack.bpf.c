/* SPDX-License-Identifier: MIT */
/* The stack: bounds, alignment, variable offsets, spills and fills of pointers. Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, __u64);
} h SEC(".maps");

#if CASE == 0 /* write_at_512 accepted xdp: the lowest slot, r10 - 512 */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 512) = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 1 /* write_below_512 refused xdp: r10 - 520 is below the stack */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 520) = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 2 /* write_at_r10 refused xdp: r10 + 0 is above the stack */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 + 0) = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 3 /* write_straddles_top refused xdp: u64 at r10 - 4 crosses the top */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 4) = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 4 /* read_above_top refused xdp: u32 read at r10 + 8 */
NAKED("xdp") { asm volatile ("r0 = *(u32 *)(r10 + 8); exit;" ::: "memory"); }
#elif CASE == 5 /* misaligned_u64 refused xdp: u64 store at r10 - 12 */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 12) = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 6 /* aligned_u32 accepted xdp: u32 store at r10 - 12 */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 12) = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 7 /* misaligned_u16 refused xdp: u16 store at r10 - 3 */
NAKED("xdp") { asm volatile ("r1 = 0; *(u16 *)(r10 - 3) = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 8 /* via_copy_of_fp accepted xdp: r1 = r10 - 16 then store through r1 */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -16; r2 = 7; *(u64 *)(r1 + 0) = r2; r0 = *(u64 *)(r10 - 16); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 9 /* var_off_write_bounded accepted xdp: store at fp - 64 + (x & 7) * 8 */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 7; r0 <<= 3; r1 = r10; r1 += -64; r1 += r0; r2 = 0; *(u64 *)(r1 + 0) = r2; r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 10 /* var_off_write_unbounded refused xdp: store at fp + unknown */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r1 = r10; r1 += r0; r2 = 0; *(u64 *)(r1 + 0) = r2; r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 11 /* var_off_read_initialised accepted xdp: variable-offset read of initialised bytes */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 8) = r1; call %[get_prandom_u32]; r0 &= 8; r1 = r10; r1 += -16; r1 += r0; r0 = *(u64 *)(r1 + 0); r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 12 /* var_off_read_past_top refused xdp: variable offset may reach r10 */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 8) = r1; call %[get_prandom_u32]; r0 &= 16; r1 = r10; r1 += -16; r1 += r0; r0 = *(u64 *)(r1 + 0); r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 13 /* spill_fill_ctx accepted xdp: ctx spilled and filled is still ctx */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r1; r2 = *(u64 *)(r10 - 8); r0 = *(u32 *)(r2 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 14 /* partial_fill_of_ptr refused xdp: u32 fill of a spilled ctx pointer then deref */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r1; r2 = *(u32 *)(r10 - 8); r0 = *(u32 *)(r2 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 15 /* partial_overwrite_of_spill refused xdp: a byte over a spilled ctx, then fill and deref */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r1; r3 = 0; *(u8 *)(r10 - 6) = r3; r2 = *(u64 *)(r10 - 8); r0 = *(u32 *)(r2 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 16 /* misaligned_spill refused xdp: spilling a pointer at fp - 4 */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 12) = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 17 /* spill_fp_fill_deref accepted xdp: spill r10, fill, store through it */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r10; r2 = *(u64 *)(r10 - 8); r3 = 1; *(u64 *)(r2 - 16) = r3; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 18 /* spill_map_value_null_check_after_fill accepted xdp: a map_value_or_null spilled, filled, then checked */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; r2 = r10; r2 += -8; r1 = %[h] ll; call %[map_lookup_elem]; *(u64 *)(r10 - 16) = r0; r6 = *(u64 *)(r10 - 16); if r6 == 0 goto l0_%=; r0 = *(u64 *)(r6 + 0); l0_%=: r0 = 2; exit;" :: ADDR(h), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 19 /* null_check_reaches_filled_copy accepted xdp: a null check of r0 also clears the copy filled from its spill (same id) */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; r2 = r10; r2 += -8; r1 = %[h] ll; call %[map_lookup_elem]; *(u64 *)(r10 - 16) = r0; r6 = *(u64 *)(r10 - 16); r7 = 1; *(u64 *)(r10 - 16) = r7; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r6 + 0); l0_%=: r0 = 2; exit;" :: ADDR(h), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 20 /* scalar_spill_keeps_const accepted xdp: a spilled constant still bounds an index */
NAKED("xdp") { asm volatile ("r1 = 8; *(u64 *)(r10 - 8) = r1; r2 = *(u64 *)(r10 - 8); r3 = r10; r3 += -32; r3 += r2; r4 = 0; *(u64 *)(r3 + 0) = r4; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 21 /* scalar_spill_u8_fill_u64 accepted xdp: byte-written slots read as u64 (root) */
NAKED("xdp") { asm volatile ("r1 = 8; *(u8 *)(r10 - 8) = r1; r2 = *(u64 *)(r10 - 8); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 22 /* ptr_arith_on_fp_const accepted xdp: r1 = r10; r1 -= 8 (sub of a constant) */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -8; r2 = 3; *(u64 *)(r1 + 0) = r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 23 /* fp_and_mask refused xdp: AND on the frame pointer */
NAKED("xdp") { asm volatile ("r1 = r10; r1 &= -16; r2 = 3; *(u64 *)(r1 - 8) = r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 24 /* fp_alu32 refused xdp: 32-bit add on a copy of the frame pointer */
NAKED("xdp") { asm volatile ("r1 = r10; w1 += -8; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 25 /* c_big_array accepted xdp: a 480-byte local array */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile __u8 a[480];
	a[0] = 1;
	a[479] = 2;
	return a[ctx->rx_queue_index & 1 ? 0 : 479] == 2 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 26 /* stack_size_exactly_512 accepted xdp: a volatile 512-byte array */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile __u64 a[64];
	a[0] = 1;
	a[63] = 2;
	return a[0] + a[63] == 3 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 27 /* neg_var_off_read refused xdp: fp - (x & 0xff) - 8 may cross the bottom */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 1023; r1 = r10; r1 -= r0; r0 = *(u8 *)(r1 - 1); r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 28 /* var_off_key_to_helper accepted xdp: a map key at a variable stack offset over initialised slots */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; *(u64 *)(r10 - 16) = r1; call %[get_prandom_u32]; r0 &= 8; r2 = r10; r2 += -16; r2 += r0; r1 = %[h] ll; call %[map_lookup_elem]; r0 = 2; exit;" :: ADDR(h), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 29 /* tc_stack_oob refused tc: a tc program writing below the stack */
NAKED("tc") { asm volatile ("r1 = 0; *(u32 *)(r10 - 516) = r1; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 30 /* socket_stack_ok accepted socket: a socket filter using its stack */
NAKED("socket") { asm volatile ("r1 = 0; *(u64 *)(r10 - 256) = r1; r0 = *(u64 *)(r10 - 256); exit;" ::: "memory"); }
#endif
