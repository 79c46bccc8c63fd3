/* SPDX-License-Identifier: MIT */
/*
 * Reduced capabilities: CAP_BPF without CAP_PERFMON (caps=bpf: no pointer leaks, Spectre v1
 * sanitation of pointer arithmetic, no uninitialised stack reads) and no capability at all
 * (caps=unpriv: socket filters, no back-edges, no calls), each beside its root twin. Written for uxdp.
 */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} a8 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[16]);
} a16 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} jt1 SEC(".maps"), jt2 SEC(".maps");

/* r0 = &a8[0] or exit 0 */
#define LOOKUP(m) "r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[" #m "] ll; call %[map_lookup_elem]; if r0 != 0 goto l9_%=; exit; l9_%=: "

#if CASE == 0 /* map_value_into_map_root accepted xdp: root may store a map value's address in the map */
NAKED("xdp") { asm volatile (LOOKUP(a8) "*(u64 *)(r0 + 0) = r0; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 1 /* map_value_into_map_bpf refused caps=bpf xdp: without CAP_PERFMON the address leaks into the map */
NAKED("xdp") { asm volatile (LOOKUP(a8) "*(u64 *)(r0 + 0) = r0; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 2 /* ctx_into_map_bpf refused caps=bpf xdp: ctx pointer stored into a map value */
NAKED("xdp") { asm volatile ("r6 = r1;" LOOKUP(a8) "*(u64 *)(r0 + 0) = r6; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 3 /* fp_into_map_bpf refused caps=bpf xdp: a stack address stored into a map value */
NAKED("xdp") { asm volatile (LOOKUP(a8) "*(u64 *)(r0 + 0) = r10; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 4 /* ctx_as_return_bpf refused caps=bpf xdp: returning the ctx pointer */
NAKED("xdp") { asm volatile ("r0 = r1; exit;" ::: "memory"); }
#elif CASE == 5 /* ctx_as_return_unpriv refused caps=unpriv socket: returning the ctx pointer leaks it */
NAKED("socket") { asm volatile ("r0 = r1; exit;" ::: "memory"); }
#elif CASE == 6 /* ctx_as_return_root accepted socket: root may return the ctx pointer from a socket filter */
NAKED("socket") { asm volatile ("r0 = r1; exit;" ::: "memory"); }
#elif CASE == 7 /* ptr_cmp_ctx_fp_bpf refused caps=bpf xdp: comparing two pointers */
NAKED("xdp") { asm volatile ("r0 = 2; if r1 > r10 goto l0_%=; r0 = 1; l0_%=: exit;" ::: "memory"); }
#elif CASE == 8 /* ptr_cmp_ctx_fp_root accepted xdp: root may compare pointers */
NAKED("xdp") { asm volatile ("r0 = 2; if r1 > r10 goto l0_%=; r0 = 1; l0_%=: exit;" ::: "memory"); }
#elif CASE == 9 /* ptr_cmp_imm_bpf refused caps=bpf xdp: a pointer against a non-zero constant */
NAKED("xdp") { asm volatile ("r0 = 2; if r1 == 5 goto l0_%=; r0 = 1; l0_%=: exit;" ::: "memory"); }
#elif CASE == 10 /* ptr_cmp_zero_bpf refused caps=bpf xdp: ctx == 0 is a comparison (ctx is not among the never-null types) */
NAKED("xdp") { asm volatile ("r0 = 2; if r1 == 0 goto l0_%=; r0 = 1; l0_%=: exit;" ::: "memory"); }
#elif CASE == 11 /* ptr_gt_zero_bpf refused caps=bpf xdp: a pointer > 0 is a comparison */
NAKED("xdp") { asm volatile ("r0 = 2; if r1 > 0 goto l0_%=; r0 = 1; l0_%=: exit;" ::: "memory"); }
#elif CASE == 12 /* map_ptr_cmp_zero_unpriv accepted caps=unpriv socket: a map pointer == 0 */
NAKED("socket") { asm volatile ("r1 = %[a8] ll; r0 = 0; if r1 != 0 goto l0_%=; r0 = 1; l0_%=: exit;" :: ADDR(a8) : "memory"); }
#elif CASE == 13 /* pkt_cmp_bpf accepted caps=bpf xdp: packet pointers against data_end are allowed */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r0 = 1; r4 = r2; r4 += 14; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 0); r0 = 2; l0_%=: exit;" ::: "memory"); }
#elif CASE == 14 /* fp_add_zero_bpf refused caps=bpf xdp: fp + 0 points out of the stack */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += 0; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 15 /* fp_add_zero_root accepted xdp: root may form fp + 0 */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += 0; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 16 /* fp_add_below_bpf refused caps=bpf xdp: fp - 520 is below the stack */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -520; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 17 /* fp_add_inside_bpf accepted caps=bpf xdp: fp - 8, then a store through it */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -8; r2 = 0; *(u64 *)(r1 + 0) = r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 18 /* fp_add_const_reg_bpf accepted caps=bpf xdp: fp + a register holding -16 */
NAKED("xdp") { asm volatile ("r1 = r10; r2 = -16; r1 += r2; r2 = 0; *(u64 *)(r1 + 0) = r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 19 /* fp_add_const_reg_zero_bpf refused caps=bpf xdp: fp - 8 + a register holding 8 */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -8; r2 = 8; r1 += r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 20 /* fp_var_bpf refused caps=bpf xdp: fp - 16 + (x & 8): a variable stack pointer */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 8; r1 = r10; r1 += -16; r1 += r0; r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 21 /* fp_var_root accepted xdp: root may write at fp - 16 + (x & 8) */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 8; r1 = r10; r1 += -16; r1 += r0; r2 = 0; *(u64 *)(r1 + 0) = r2; r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 22 /* fp_var_neg_bpf refused caps=bpf xdp: fp + (x | -16) & -8: var_off with the sign bits set */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 8; r0 += -16; r1 = r10; r1 += r0; r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 23 /* mv_add_k_out_bpf refused caps=bpf xdp: value + 8 of an 8-byte value */
NAKED("xdp") { asm volatile (LOOKUP(a8) "r0 += 8; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 24 /* mv_add_k_out_root accepted xdp: root may form value + 8 and not use it */
NAKED("xdp") { asm volatile (LOOKUP(a8) "r0 += 8; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 25 /* mv_add_k_in_bpf accepted caps=bpf xdp: value + 7, a byte read */
NAKED("xdp") { asm volatile (LOOKUP(a8) "r0 += 7; r0 = *(u8 *)(r0 + 0); r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 26 /* mv_add_var_in_bpf accepted caps=bpf xdp: value + (x & 7), a byte read */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r7 = r0; r7 &= 7;" LOOKUP(a8) "r0 += r7; r0 = *(u8 *)(r0 + 0); r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 27 /* mv_add_var_out_bpf refused caps=bpf xdp: value + (x & 15) may leave an 8-byte value */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 15;" LOOKUP(a8) "r0 += r7; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 28 /* mv_add_var_out_root accepted xdp: root may form value + (x & 15) and not use it */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 15;" LOOKUP(a8) "r0 += r7; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 29 /* mv_add_mixed_sign_bpf refused caps=bpf xdp: value + an offset in [-4, 3] */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 7; r7 += -4;" LOOKUP(a16) "r0 += 8; r0 += r7; r0 = 2; exit;" :: ADDR(a16), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 30 /* mv_add_mixed_sign_root accepted xdp: root may add [-4, 3] to value + 8 */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 7; r7 += -4;" LOOKUP(a16) "r0 += 8; r0 += r7; r0 = 2; exit;" :: ADDR(a16), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 31 /* mv_sub_var_bpf refused caps=bpf xdp: value - (x & 3) goes below the value */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 3;" LOOKUP(a8) "r0 -= r7; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 32 /* mv_sub_var_in_bpf refused caps=bpf xdp: (value + 8) - (x & 7): a variable subtraction leaves umax unbounded */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 7;" LOOKUP(a16) "r0 += 8; r0 -= r7; r0 = *(u8 *)(r0 + 0); r0 = 2; exit;" :: ADDR(a16), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 33 /* scalar_plus_mv_bpf accepted caps=bpf xdp: (x & 7) + value: the scalar is the destination */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 7;" LOOKUP(a8) "r7 += r0; r0 = *(u8 *)(r7 + 0); r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 34 /* scalar_mixed_plus_mv_bpf refused caps=bpf xdp: a mixed-sign scalar destination + value */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 7; r7 += -4;" LOOKUP(a16) "r0 += 8; r7 += r0; r0 = 2; exit;" :: ADDR(a16), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 35 /* pkt_add_reg_bpf refused caps=bpf xdp: packet pointer + a register: no Spectre masking for packets */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = 14; r2 += r4; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 36 /* pkt_add_reg_root accepted xdp: root may add a register to a packet pointer */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = 14; r2 += r4; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 37 /* pkt_add_imm_bpf accepted caps=bpf xdp: packet pointer + a constant is fine */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r2 += 14; if r2 > r3 goto l0_%=; r0 = *(u8 *)(r2 - 1); l0_%=: r0 = 2; exit;" ::: "memory"); }
#elif CASE == 38 /* ctx_add_reg_bpf refused caps=bpf xdp: ctx + a register */
NAKED("xdp") { asm volatile ("r2 = 4; r1 += r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 39 /* reg_plus_pkt_bpf refused caps=bpf xdp: a scalar register + packet pointer names the pointer */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 0); r4 = 14; r4 += r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 40 /* ptr_sub_ptr_bpf refused caps=bpf xdp: pointer - pointer */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r3 -= r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 41 /* ptr_sub_ptr_root accepted xdp: root may subtract packet pointers */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r3 -= r2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 42 /* ptr_sub32_bpf refused caps=bpf xdp: 32-bit pointer subtraction */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); w3 -= w2; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 43 /* uninit_stack_read_bpf refused caps=bpf xdp: reading a never-written slot */
NAKED("xdp") { asm volatile ("r0 = *(u64 *)(r10 - 8); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 44 /* uninit_stack_read_root accepted xdp: root reads an unwritten slot as unknown */
NAKED("xdp") { asm volatile ("r0 = *(u64 *)(r10 - 8); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 45 /* partial_fill_bpf refused caps=bpf xdp: a 4-byte fill of a spilled ctx pointer */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r1; r0 = *(u32 *)(r10 - 8); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 46 /* spill_fill_ptr_bpf accepted caps=bpf xdp: a whole spill and fill of ctx (Spectre v4: nospec, not refused) */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r1; r2 = *(u64 *)(r10 - 8); r0 = *(u32 *)(r2 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 47 /* map_ptr_load_bpf refused caps=bpf xdp: reading a field of struct bpf_array */
NAKED("xdp") { asm volatile ("r1 = %[a8] ll; r0 = *(u32 *)(r1 + 0); r0 = 2; exit;" :: ADDR(a8) : "memory"); }
#elif CASE == 48 /* tail_call_two_maps_bpf refused caps=bpf xdp: one tail call site, two program arrays */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r2 = %[jt1] ll; if r0 == 0 goto l0_%=; r2 = %[jt2] ll; l0_%=: r1 = r6; r3 = 0; call %[tail_call]; r0 = 2; exit;" :: ADDR(jt1), ADDR(jt2), IMM(get_prandom_u32), IMM(tail_call) : "memory"); }
#elif CASE == 49 /* tail_call_two_maps_root accepted xdp: root may tail call through either map */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r2 = %[jt1] ll; if r0 == 0 goto l0_%=; r2 = %[jt2] ll; l0_%=: r1 = r6; r3 = 0; call %[tail_call]; r0 = 2; exit;" :: ADDR(jt1), ADDR(jt2), IMM(get_prandom_u32), IMM(tail_call) : "memory"); }
#elif CASE == 50 /* tail_call_var_index_bpf accepted caps=bpf xdp: one map, a variable index */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r3 = r0; r3 &= 1; r1 = r6; r2 = %[jt1] ll; call %[tail_call]; r0 = 2; exit;" :: ADDR(jt1), IMM(get_prandom_u32), IMM(tail_call) : "memory"); }
#elif CASE == 51 /* add_ptr_or_scalar_bpf refused caps=bpf xdp: one add, a map value on one path and a scalar on the other */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 3; r6 = r0;" LOOKUP(a8) "r1 = 4; if r6 == 0 goto l0_%=; r1 = r0; l0_%=: r1 += r7; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 52 /* add_two_offsets_bpf accepted caps=bpf xdp: one add, two fixed offsets into the value, the same mask */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 3; r6 = r0;" LOOKUP(a16) "r1 = r0; if r6 == 0 goto l0_%=; r1 += 8; l0_%=: r1 += r7; r0 = *(u8 *)(r1 + 0); r0 = 2; exit;" :: ADDR(a16), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 53 /* add_two_limits_root accepted xdp: root does not mask, either path is fine */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 3; r6 = r0;" LOOKUP(a16) "r1 = r0; if r6 == 0 goto l0_%=; r1 += 8; l0_%=: r1 += r7; r0 = *(u8 *)(r1 + 0); r0 = 2; exit;" :: ADDR(a16), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 54 /* ptr_into_helper_bpf refused caps=bpf xdp: a pointer as a scalar helper argument */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; *(u64 *)(r10 - 16) = r1; r2 = r10; r2 += -4; r3 = r10; r3 += -16; r4 = r10; r1 = %[a8] ll; call %[map_update_elem]; r0 = 2; exit;" :: ADDR(a8), IMM(map_update_elem) : "memory"); }
#elif CASE == 55 /* ptr_in_stack_to_helper_bpf refused caps=bpf xdp: a spilled pointer inside the value handed to update */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; *(u64 *)(r10 - 16) = r10; r2 = r10; r2 += -4; r3 = r10; r3 += -16; r4 = 0; r1 = %[a8] ll; call %[map_update_elem]; r0 = 2; exit;" :: ADDR(a8), IMM(map_update_elem) : "memory"); }
#elif CASE == 56 /* ptr_in_stack_to_helper_root accepted xdp: root may hand a spilled pointer to update */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; *(u64 *)(r10 - 16) = r10; r2 = r10; r2 += -4; r3 = r10; r3 += -16; r4 = 0; r1 = %[a8] ll; call %[map_update_elem]; r0 = 2; exit;" :: ADDR(a8), IMM(map_update_elem) : "memory"); }
#elif CASE == 57 /* mov32_ptr_bpf refused caps=bpf xdp: a 32-bit copy of a pointer */
NAKED("xdp") { asm volatile ("w0 = w1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 58 /* mov32_ptr_root accepted xdp: root may take a pointer's low half */
NAKED("xdp") { asm volatile ("w0 = w1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 59 /* probe_read_bpf refused caps=bpf xdp: bpf_probe_read_kernel needs CAP_PERFMON */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -8; r2 = 8; r3 = 0; call %[probe_read_kernel]; r0 = 2; exit;" :: IMM(probe_read_kernel) : "memory"); }
#elif CASE == 60 /* trace_printk_bpf refused caps=bpf xdp: bpf_trace_printk needs CAP_PERFMON */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = r10; r1 += -8; r2 = 8; call %[trace_printk]; r0 = 2; exit;" :: IMM(trace_printk) : "memory"); }
#elif CASE == 61 /* ktime_unpriv accepted caps=unpriv socket: bpf_ktime_get_ns needs no capability */
NAKED("socket") { asm volatile ("call %[ktime_get_ns]; r0 = 0; exit;" :: IMM(ktime_get_ns) : "memory"); }
#elif CASE == 62 /* loop_unpriv refused caps=unpriv socket: a back-edge without CAP_BPF */
NAKED("socket") { asm volatile ("r1 = 0; l0_%=: r1 += 1; if r1 < 4 goto l0_%=; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 63 /* loop_bpf refused caps=bpf socket: a bounded loop, but the speculative walk of its exit branch finds the loop state again */
NAKED("socket") { asm volatile ("r1 = 0; l0_%=: r1 += 1; if r1 < 4 goto l0_%=; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 64 /* subprog_call_unpriv refused caps=unpriv socket: a bpf-to-bpf call without CAP_BPF */
SUB(sub) { asm volatile ("r0 = 0; exit;" ::: "memory"); }
NAKED("socket") { asm volatile ("call sub; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 65 /* uninit_stack_unpriv refused caps=unpriv socket: reading a never-written slot */
NAKED("socket") { asm volatile ("r0 = *(u64 *)(r10 - 8); r0 = 0; exit;" ::: "memory"); }
#elif CASE == 66 /* map_value_leak_unpriv refused caps=unpriv socket: a map value's address stored in the map */
NAKED("socket") { asm volatile (LOOKUP(a8) "*(u64 *)(r0 + 0) = r0; r0 = 0; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 67 /* map_value_use_unpriv accepted caps=unpriv socket: lookup, bounded variable index, read */
NAKED("socket") { asm volatile ("call %[get_prandom_u32]; r7 = r0; r7 &= 7;" LOOKUP(a8) "r0 += r7; r0 = *(u8 *)(r0 + 0); r0 = 0; exit;" :: ADDR(a8), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 68 /* ctx_into_cb_unpriv refused caps=unpriv socket: the ctx pointer stored into skb->cb */
NAKED("socket") { asm volatile ("*(u64 *)(r1 + 48) = r1; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 69 /* dead_branch_unpriv accepted caps=unpriv socket: a never-taken branch reading an unset slot is walked speculatively and fenced */
NAKED("socket") { asm volatile ("r0 = 0; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r10 - 8); l0_%=: r0 = 0; exit;" ::: "memory"); }
#elif CASE == 70 /* dead_branch_null_deref_unpriv accepted caps=unpriv socket: a dead path dereferences a scalar */
NAKED("socket") { asm volatile ("r1 = 0; if r1 != 0 goto l0_%=; r0 = 0; exit; l0_%=: r0 = *(u64 *)(r1 + 0); r0 = 0; exit;" ::: "memory"); }
#elif CASE == 71 /* spec_oob_after_mask_bpf accepted caps=bpf xdp: value + (x & 7) read; masking makes the speculative path safe */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0;" LOOKUP(a16) "if r7 > 15 goto l0_%=; r0 += r7; r0 = *(u8 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: ADDR(a16), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 72 /* ld_imm_unknown_sub_bpf refused caps=bpf xdp: map value - an unknown register */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r7 = r0;" LOOKUP(a16) "r0 -= r7; r0 = 2; exit;" :: ADDR(a16), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 73 /* ptr_cmp_unpriv refused caps=unpriv socket: comparing ctx with fp */
NAKED("socket") { asm volatile ("r0 = 0; if r1 > r10 goto l0_%=; r0 = 1; l0_%=: exit;" ::: "memory"); }
#elif CASE == 74 /* ptr_into_helper_unpriv refused caps=unpriv socket: fp as the flags of map_update */
NAKED("socket") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; *(u64 *)(r10 - 16) = r1; r2 = r10; r2 += -4; r3 = r10; r3 += -16; r4 = r10; r1 = %[a8] ll; call %[map_update_elem]; r0 = 0; exit;" :: ADDR(a8), IMM(map_update_elem) : "memory"); }
#elif CASE == 75 /* fp_add_zero_unpriv refused caps=unpriv socket: fp + 0 */
NAKED("socket") { asm volatile ("r1 = r10; r1 += 0; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 76 /* mv_add_k_out_unpriv refused caps=unpriv socket: value + 8 of an 8-byte value */
NAKED("socket") { asm volatile (LOOKUP(a8) "r0 += 8; r0 = 0; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 78 /* load_bytes_unpriv accepted caps=unpriv socket: skb_load_bytes into the stack */
NAKED("socket") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 8; call %[skb_load_bytes]; r0 = 0; exit;" :: IMM(skb_load_bytes) : "memory"); }
#elif CASE == 79 /* pkt_var_add_tc_bpf refused caps=bpf tc: __sk_buff data + a register */
NAKED("tc") { asm volatile ("r2 = *(u32 *)(r1 + 76); r4 = 14; r2 += r4; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 80 /* loop_root accepted socket: root walks the bounded loop without speculation */
NAKED("socket") { asm volatile ("r1 = 0; l0_%=: r1 += 1; if r1 < 4 goto l0_%=; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 81 /* dead_branch_root accepted socket: root never walks the dead branch */
NAKED("socket") { asm volatile ("r0 = 0; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r10 - 8); l0_%=: r0 = 0; exit;" ::: "memory"); }
#elif CASE == 82 /* dead_branch_bad_store_bpf accepted caps=bpf xdp: a dead path writing below the stack is fenced, not refused */
NAKED("xdp") { asm volatile ("r1 = 0; if r1 == 0 goto l0_%=; r2 = 0; *(u64 *)(r10 - 520) = r2; l0_%=: r0 = 2; exit;" ::: "memory"); }
#elif CASE == 83 /* spec_path_leak_bpf accepted caps=bpf xdp: a dead path returning ctx is fenced */
NAKED("xdp") { asm volatile ("r0 = 2; r2 = 0; if r2 == 0 goto l0_%=; r0 = r1; l0_%=: exit;" ::: "memory"); }
#elif CASE == 84 /* v4_overwrite_spill_bpf accepted caps=bpf xdp: a scalar written over a spilled pointer (nospec, not refused) */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r1; r2 = 0; *(u64 *)(r10 - 8) = r2; r0 = *(u64 *)(r10 - 8); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 85 /* pkt_add_masked_reg_bpf refused caps=bpf xdp: the usual parse, data + (x & 0xff) */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r0 &= 255; r2 = *(u32 *)(r6 + 0); r3 = *(u32 *)(r6 + 4); r2 += r0; r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 86 /* helper_var_stack_bpf accepted caps=bpf xdp: a helper given fp-4 as the key */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[a8] ll; call %[map_lookup_elem]; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 87 /* mv_neg_k_bpf refused caps=bpf xdp: value - 1 before the value */
NAKED("xdp") { asm volatile (LOOKUP(a8) "r0 += -1; r0 = 2; exit;" :: ADDR(a8), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 88 /* mv_back_in_bpf accepted caps=bpf xdp: value + 12 - 4 inside 16 bytes */
NAKED("xdp") { asm volatile (LOOKUP(a16) "r0 += 12; r0 += -4; r0 = *(u64 *)(r0 + 0); r0 = 2; exit;" :: ADDR(a16), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 89 /* ptr_xor_bpf refused caps=bpf xdp: xor on a pointer */
NAKED("xdp") { asm volatile ("r1 ^= 1; r0 = 2; exit;" ::: "memory"); }
#endif
