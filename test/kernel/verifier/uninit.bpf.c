/* SPDX-License-Identifier: MIT */
/* Uninitialised registers and stack slots: what may be read before it is written. Written for uxdp. */
#include "verifier.h"

#if CASE == 0 /* r0_set_then_exit accepted xdp: r0 written before exit */
NAKED("xdp") { asm volatile ("r0 = 2; exit;" ::: "memory"); }
#elif CASE == 1 /* r0_never_set refused xdp: exit with r0 never written */
NAKED("xdp") { asm volatile ("exit;" ::: "memory"); }
#elif CASE == 2 /* r2_read_uninit refused xdp: r0 = r2 before r2 is written */
NAKED("xdp") { asm volatile ("r0 = r2; exit;" ::: "memory"); }
#elif CASE == 3 /* r1_ctx_readable accepted xdp: r1 holds ctx at entry */
NAKED("xdp") { asm volatile ("r0 = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 4 /* r5_alu_uninit refused xdp: r5 += 1 on an unwritten register */
NAKED("xdp") { asm volatile ("r5 += 1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 5 /* r3_cmp_uninit refused xdp: compare against an unwritten register */
NAKED("xdp") { asm volatile ("r0 = 2; if r3 > 0 goto l0_%=; l0_%=: exit;" ::: "memory"); }
#elif CASE == 6 /* r6_callee_saved_uninit refused xdp: r6 is not initialised at entry */
NAKED("xdp") { asm volatile ("r0 = r6; exit;" ::: "memory"); }
#elif CASE == 7 /* r1_clobbered_by_call refused xdp: r1 is scratched by a helper call */
NAKED("xdp") { asm volatile ("call %[ktime_get_ns]; r0 = r1; exit;" :: IMM(ktime_get_ns) : "memory"); }
#elif CASE == 8 /* r6_survives_call accepted xdp: r6 keeps its value across a call */
NAKED("xdp") { asm volatile ("r6 = 2; call %[ktime_get_ns]; r0 = r6; exit;" :: IMM(ktime_get_ns) : "memory"); }
#elif CASE == 9 /* stack_read_uninit_priv accepted xdp: u64 load from a never written slot (root may read uninitialised stack) */
NAKED("xdp") { asm volatile ("r0 = *(u64 *)(r10 - 8); exit;" ::: "memory"); }
#elif CASE == 10 /* stack_read_after_write accepted xdp: stack slot written then read */
NAKED("xdp") { asm volatile ("r1 = 2; *(u64 *)(r10 - 8) = r1; r0 = *(u64 *)(r10 - 8); exit;" ::: "memory"); }
#elif CASE == 11 /* stack_read_half_written_priv accepted xdp: u64 read of a slot of which 4 bytes were written */
NAKED("xdp") { asm volatile ("r1 = 2; *(u32 *)(r10 - 8) = r1; r0 = *(u64 *)(r10 - 8); exit;" ::: "memory"); }
#elif CASE == 12 /* stack_read_written_half accepted xdp: u32 read of the 4 written bytes */
NAKED("xdp") { asm volatile ("r1 = 2; *(u32 *)(r10 - 8) = r1; r0 = *(u32 *)(r10 - 8); exit;" ::: "memory"); }
#elif CASE == 13 /* stack_read_other_half_priv accepted xdp: u32 read of the unwritten half */
NAKED("xdp") { asm volatile ("r1 = 2; *(u32 *)(r10 - 8) = r1; r0 = *(u32 *)(r10 - 4); exit;" ::: "memory"); }
#elif CASE == 14 /* stack_byte_writes accepted xdp: eight byte stores then a u64 load */
NAKED("xdp") { asm volatile ("r1 = 0; *(u8 *)(r10 - 8) = r1; *(u8 *)(r10 - 7) = r1; *(u8 *)(r10 - 6) = r1; *(u8 *)(r10 - 5) = r1; *(u8 *)(r10 - 4) = r1; *(u8 *)(r10 - 3) = r1; *(u8 *)(r10 - 2) = r1; *(u8 *)(r10 - 1) = r1; r0 = *(u64 *)(r10 - 8); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 15 /* stack_store_uninit_reg refused xdp: storing an unwritten register */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r4; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 16 /* r10_write refused xdp: the frame pointer is read only */
NAKED("xdp") { asm volatile ("r10 = 0; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 17 /* uninit_on_one_path refused xdp: r2 written on only one branch then read */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; if r0 > 5 goto l0_%=; r2 = 1; l0_%=: r0 = r2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 18 /* init_on_both_paths accepted xdp: r2 written on both branches */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r2 = 2; if r0 > 5 goto l0_%=; r2 = 1; l0_%=: r0 = r2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 19 /* ptr_store_uninit_base refused xdp: store through an unwritten register */
NAKED("xdp") { asm volatile ("r1 = 1; *(u64 *)(r7 + 0) = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 20 /* c_locals_initialised accepted xdp: plain C with an initialised local array */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile __u32 a[4] = { 1, 2, 3, 4 };
	return a[ctx->rx_queue_index & 3] == 2 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 21 /* socket_r0_set accepted socket: socket filter returning a length */
NAKED("socket") { asm volatile ("r0 = 0; exit;" ::: "memory"); }
#elif CASE == 22 /* tc_stack_uninit_priv accepted tc: tc program reading an unwritten slot */
NAKED("tc") { asm volatile ("r0 = *(u32 *)(r10 - 16); exit;" ::: "memory"); }
#elif CASE == 23 /* r0_after_call_is_set accepted tc: a helper call writes r0 */
NAKED("tc") { asm volatile ("call %[get_prandom_u32]; r0 = 0; exit;" :: IMM(get_prandom_u32) : "memory"); }
#endif
