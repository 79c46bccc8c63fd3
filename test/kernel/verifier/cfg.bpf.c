/* SPDX-License-Identifier: MIT */
/* The control-flow graph checked at load time: unreachable instructions, jumps out of range or into
 * an ld_imm64, falling off the end, dead branches pruned by known values. Raw instructions are
 * written as .quad where the assembler would refuse them. Written for uxdp. */
#include "verifier.h"

/* one raw instruction: code, dst, src, off, imm (little-endian) */
#define INSN(code, dst, src, off, imm) ".quad " #code " | (" #dst " << 8) | (" #src " << 12) | ((" #off " & 0xffff) << 16) | ((" #imm " & 0xffffffff) << 32);"

#if CASE == 0 /* dead_after_exit refused xdp: instructions after the last exit nobody jumps to */
NAKED("xdp") { asm volatile ("r0 = 2; exit; r0 = 1; exit;" ::: "memory"); }
#elif CASE == 1 /* dead_block_jumped_over refused xdp: a block every path jumps over is unreachable too */
NAKED("xdp") { asm volatile ("r0 = 2; goto l0_%=; r0 = 1; l0_%=: exit;" ::: "memory"); }
#elif CASE == 2 /* jump_out_of_range refused xdp: goto +5 past the end */
NAKED("xdp") { asm volatile ("r0 = 2;" INSN(0x05, 0, 0, 5, 0) "exit;" ::: "memory"); }
#elif CASE == 3 /* jump_before_start refused xdp: goto -3 before the first instruction */
NAKED("xdp") { asm volatile ("r0 = 2;" INSN(0x05, 0, 0, -3, 0) "exit;" ::: "memory"); }
#elif CASE == 4 /* fall_off_end refused xdp: the last instruction is not an exit or a jump */
NAKED("xdp") { asm volatile ("r0 = 2; if r0 == 2 goto l0_%=; exit; l0_%=: r0 = 3;" ::: "memory"); }
#elif CASE == 5 /* jump_past_ldimm64_start refused xdp: a goto into the second half of ld_imm64 whose first half nothing reaches */
NAKED("xdp") { asm volatile ("r0 = 2;" INSN(0x05, 0, 0, 1, 0) "r1 = 0x100000000 ll; exit;" ::: "memory"); }
#elif CASE == 6 /* dead_branch_const accepted xdp: a branch never taken (known r0) may hold anything */
NAKED("xdp") { asm volatile ("r0 = 2; if r0 != 2 goto l0_%=; exit; l0_%=: r0 = *(u64 *)(r9 + 0); exit;" ::: "memory"); }
#elif CASE == 7 /* live_branch_bad refused xdp: a branch that may be taken reads an unwritten register */
NAKED("xdp") { asm volatile ("r0 = *(u32 *)(r1 + 16); if r0 != 2 goto l0_%=; exit; l0_%=: r0 = *(u64 *)(r9 + 0); exit;" ::: "memory"); }
#elif CASE == 8 /* ja_self_exit_unreachable refused xdp: goto -1 leaves the exit after it unreachable */
NAKED("xdp") { asm volatile ("r0 = 2;" INSN(0x05, 0, 0, -1, 0) "exit;" ::: "memory"); }
#elif CASE == 9 /* unknown_opcode refused xdp: opcode 0xff */
NAKED("xdp") { asm volatile ("r0 = 2;" INSN(0xff, 0, 0, 0, 0) "exit;" ::: "memory"); }
#elif CASE == 10 /* reserved_field_set refused xdp: r0 = 2 with a nonzero off field */
NAKED("xdp") { asm volatile (INSN(0xb7, 0, 0, 1, 2) "exit;" ::: "memory"); }
#elif CASE == 11 /* bad_register refused xdp: a mov to register 11 */
NAKED("xdp") { asm volatile (INSN(0xb7, 11, 0, 0, 2) "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 12 /* exit_with_fields refused xdp: an exit with a nonzero imm */
NAKED("xdp") { asm volatile ("r0 = 2;" INSN(0x95, 0, 0, 0, 1) ::: "memory"); }
#elif CASE == 13 /* ldimm64_truncated refused xdp: ld_imm64 as the last instruction (no second half) */
NAKED("xdp") { asm volatile ("r0 = 2; exit;" INSN(0x18, 1, 0, 0, 0) ::: "memory"); }
#elif CASE == 14 /* div_by_zero_const accepted xdp: division by a zero register is defined (result 0) */
NAKED("xdp") { asm volatile ("r0 = 2; r1 = 0; r0 /= r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 15 /* div_by_zero_imm refused xdp: division by the immediate 0 */
NAKED("xdp") { asm volatile ("r0 = 2;" INSN(0x37, 0, 0, 0, 0) "exit;" ::: "memory"); }
#elif CASE == 16 /* shift_by_64_imm refused xdp: r0 <<= 64 (immediate) */
NAKED("xdp") { asm volatile ("r0 = 2;" INSN(0x67, 0, 0, 0, 64) "exit;" ::: "memory"); }
#elif CASE == 17 /* shift_by_63_imm accepted xdp: r0 <<= 63 */
NAKED("xdp") { asm volatile ("r0 = 2; r0 <<= 63; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 18 /* cond_jump_both_to_exit accepted xdp: a conditional jump whose both targets are the same exit */
NAKED("xdp") { asm volatile ("r0 = 2; if r0 > 1 goto l0_%=; l0_%=: exit;" ::: "memory"); }
#elif CASE == 19 /* c_many_branches accepted xdp: a C switch over the queue index */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	switch (ctx->rx_queue_index) {
	case 0: case 3: case 7: return XDP_DROP;
	case 1: case 9: return XDP_TX;
	case 2: return XDP_ABORTED;
	default: return XDP_PASS;
	}
}
#elif CASE == 20 /* tc_dead_code refused tc: unreachable code in tc */
NAKED("tc") { asm volatile ("r0 = 0; exit; r0 = 1; exit;" ::: "memory"); }
#elif CASE == 21 /* cond_jump_into_ldimm64 refused xdp: a conditional jump into the middle of a reachable ld_imm64 */
NAKED("xdp") { asm volatile ("r0 = 2;" INSN(0x15, 0, 0, 1, 2) "r1 = 0x100000000 ll; exit;" ::: "memory"); }
#elif CASE == 22 /* ja_self_reachable_exit refused xdp: an unconditional goto -1 with the exit reachable on another path */
NAKED("xdp") { asm volatile ("r0 = *(u32 *)(r1 + 16); if r0 > 2 goto l0_%=;" INSN(0x05, 0, 0, -1, 0) "l0_%=: exit;" ::: "memory"); }
#endif
