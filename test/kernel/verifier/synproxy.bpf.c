/* SPDX-License-Identifier: MIT */
/* What a SYN proxy (test/kernel/synproxy_full.bpf.c) asks of the verifier, one construct per case:
 * a caller's scalar narrowed inside a bpf_loop callback through a linked copy and then used as a
 * stack offset (kept exact: the kernel's precise mark stops its widening), the raw syncookie
 * helpers' memory arguments (fixed-size headers, a TCP header and options of variable length on
 * the stack or in the packet), skb load/store lengths, and a callback walking the packet through
 * pointers spilled in its caller's stack. Written for uxdp. */
#include "verifier.h"

/* bpf_loop(NR, CB, fp-16, 0) */
#define LOOP(nr, cb) "r1 = " #nr "; r2 = " #cb " ll; r3 = r10; r3 += -16; r4 = 0; call %[loop];"
/* an unknown u32 in r1, spilled whole at fp-24 and as a u32 at fp-16 (the callback's ctx): one
 * value, linked; a counter at fp-8 */
#define LINKED "call %[get_prandom_u32]; w1 = w0; *(u64 *)(r10 - 24) = r1; *(u32 *)(r10 - 16) = r1; r1 = 0; *(u64 *)(r10 - 8) = r1;"
/* the u64 at fp-24 as an offset into fp-64..fp-25, after a 32-bit check */
#define USE_CHECKED "r1 = *(u64 *)(r10 - 24); if w1 > 30 goto l9_%=; r2 = r10; r2 += -64; r2 += r1; r3 = 0; *(u8 *)(r2 + 0) = r3; l9_%=: r0 = 2; exit;"
#define USE_UNCHECKED "r1 = *(u64 *)(r10 - 24); r2 = r10; r2 += -64; r2 += r1; r3 = 0; *(u8 *)(r2 + 0) = r3; r0 = 2; exit;"
/* XDP: r6 ctx, r7 data, r8 data_end; at least 94 bytes (Ethernet, IPv4 or IPv6 without
 * options, 20 bytes of TCP) or the program returns 2 */
#define PKT(n) "r6 = r1; r7 = *(u32 *)(r1 + 0); r8 = *(u32 *)(r1 + 4); r1 = r7; r1 += " #n "; if r1 > r8 goto l8_%=;"
#define PKT_TC(n) "r6 = r1; r7 = *(u32 *)(r1 + 76); r8 = *(u32 *)(r1 + 80); r1 = r7; r1 += " #n "; if r1 > r8 goto l8_%=;"
#define OUT "l8_%=: r0 = 2; exit;"
/* 64 zero bytes at fp-64 */
#define ZERO64 "r1 = 0; *(u64 *)(r10 - 8) = r1; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 24) = r1; *(u64 *)(r10 - 32) = r1; *(u64 *)(r10 - 40) = r1; *(u64 *)(r10 - 48) = r1; *(u64 *)(r10 - 56) = r1; *(u64 *)(r10 - 64) = r1;"
/* the TCP header length from doff (20..60, or out) in r4; the TCP header at data + 34 */
#define DOFF "r4 = *(u8 *)(r7 + 46); r4 >>= 4; r4 <<= 2; if r4 < 20 goto l8_%=;"
#define OPS IMM(get_prandom_u32), IMM(loop), IMM(tcp_raw_gen_syncookie_ipv4), IMM(tcp_raw_gen_syncookie_ipv6), IMM(tcp_raw_check_syncookie_ipv4), IMM(tcp_raw_check_syncookie_ipv6), IMM(skb_load_bytes), IMM(skb_store_bytes), IMM(xdp_load_bytes)
#define ASM(body) asm volatile (body :: OPS : "memory")

/* the linked u32 checked: 1 ends the loop above 30; the counter grows, so visits differ */
SUB(cb_narrow) { ASM("r1 = *(u32 *)(r2 + 0); r3 = *(u64 *)(r2 + 8); r3 += 1; *(u64 *)(r2 + 8) = r3; if r1 > 30 goto l0_%=; r0 = 0; exit; l0_%=: r0 = 1; exit;"); }
/* the same without the check */
SUB(cb_count) { ASM("r3 = *(u64 *)(r2 + 8); r3 += 1; *(u64 *)(r2 + 8) = r3; r0 = 0; exit;"); }

#if CASE == 0 /* loop_narrowed_linked_offset accepted xdp: a u32 narrowed in a callback through a linked copy, checked in 32 bits after the loop and added to the stack pointer: its zero upper half is kept */
NAKED("xdp") { ASM(LINKED LOOP(1000, cb_narrow) USE_CHECKED); }
#elif CASE == 1 /* loop_narrowed_linked_offset_unchecked refused xdp: the same offset used without the check after the loop */
NAKED("xdp") { ASM(LINKED LOOP(1000, cb_narrow) USE_UNCHECKED); }
#elif CASE == 2 /* loop_unnarrowed_linked_offset accepted xdp: a callback that never checks the value: it stays a u32 */
NAKED("xdp") { ASM(LINKED LOOP(1000, cb_count) USE_CHECKED); }
#elif CASE == 3 /* loop_narrowed_unknown_count accepted xdp: the narrowing callback called an unknown number of times */
NAKED("xdp") { ASM(LINKED "call %[get_prandom_u32]; r1 = r0; r2 = cb_narrow ll; r3 = r10; r3 += -16; r4 = 0; call %[loop];" USE_CHECKED); }
#elif CASE == 4 /* raw_check_v6_null_iph refused xdp: bpf_tcp_raw_check_syncookie_ipv6 with a NULL IPv6 header */
NAKED("xdp") { ASM(PKT(94) "r1 = 0; r2 = r7; r2 += 54; call %[tcp_raw_check_syncookie_ipv6]; r0 = 2; exit;" OUT); }
#elif CASE == 5 /* raw_check_v4 accepted xdp: IPv4 and TCP headers in the packet, bounds checked */
NAKED("xdp") { ASM(PKT(54) "r1 = r7; r1 += 14; r2 = r7; r2 += 34; call %[tcp_raw_check_syncookie_ipv4]; r0 = 2; exit;" OUT); }
#elif CASE == 6 /* raw_check_v4_short_tcp refused xdp: only 16 bytes of the TCP header checked */
NAKED("xdp") { ASM(PKT(50) "r1 = r7; r1 += 14; r2 = r7; r2 += 34; call %[tcp_raw_check_syncookie_ipv4]; r0 = 2; exit;" OUT); }
#elif CASE == 7 /* raw_gen_v4_stack_var_len accepted xdp: the TCP header and options copied to 64 zeroed stack bytes, doff * 4 bytes of them given */
NAKED("xdp") { ASM(PKT(54) ZERO64 DOFF "r1 = r7; r1 += 14; r2 = r10; r2 += -64; r3 = r4; call %[tcp_raw_gen_syncookie_ipv4]; r0 = 2; exit;" OUT); }
#elif CASE == 8 /* raw_gen_v4_pkt_var_len refused xdp: doff * 4 bytes of a packet checked for 20 */
NAKED("xdp") { ASM(PKT(54) DOFF "r1 = r7; r1 += 14; r2 = r7; r2 += 34; r3 = r4; call %[tcp_raw_gen_syncookie_ipv4]; r0 = 2; exit;" OUT); }
#elif CASE == 9 /* raw_gen_v4_pkt_fixed_len accepted xdp: 20 bytes of a packet checked for 20 */
NAKED("xdp") { ASM(PKT(54) "r1 = r7; r1 += 14; r2 = r7; r2 += 34; r3 = 20; call %[tcp_raw_gen_syncookie_ipv4]; r0 = 2; exit;" OUT); }
#elif CASE == 10 /* raw_gen_v4_len_unbounded refused xdp: an unknown length */
NAKED("xdp") { ASM(PKT(54) ZERO64 "call %[get_prandom_u32]; r3 = r0; r1 = r7; r1 += 14; r2 = r10; r2 += -64; call %[tcp_raw_gen_syncookie_ipv4]; r0 = 2; exit;" OUT); }
#elif CASE == 11 /* raw_gen_v4_uninit_stack accepted xdp: options on a stack the program never wrote (a privileged program may read it) */
NAKED("xdp") { ASM(PKT(54) DOFF "r1 = r7; r1 += 14; r2 = r10; r2 += -64; r3 = r4; call %[tcp_raw_gen_syncookie_ipv4]; r0 = 2; exit;" OUT); }
#elif CASE == 12 /* raw_gen_v6_tc accepted tc: IPv6 header in the packet, the TCP header on the stack, from tc */
NAKED("tc") { ASM(PKT_TC(74) ZERO64 "r1 = r7; r1 += 14; r2 = r10; r2 += -64; r3 = 20; call %[tcp_raw_gen_syncookie_ipv6]; r0 = 0; exit;" OUT); }
#elif CASE == 13 /* raw_gen_v6_short_iph refused tc: 30 bytes of IPv6 header checked */
NAKED("tc") { ASM(PKT_TC(44) ZERO64 "r1 = r7; r1 += 14; r2 = r10; r2 += -64; r3 = 20; call %[tcp_raw_gen_syncookie_ipv6]; r0 = 0; exit;" OUT); }
#elif CASE == 14 /* xdp_load_bytes_var_len accepted xdp: doff * 4 bytes loaded into a 64-byte stack buffer */
NAKED("xdp") { ASM(PKT(54) DOFF "r1 = r6; r2 = 34; r3 = r10; r3 += -64; call %[xdp_load_bytes]; r0 = 2; exit;" OUT); }
#elif CASE == 15 /* skb_load_bytes_maybe_zero_len refused tc: a length of 0..82 */
NAKED("tc") { ASM("r6 = r1; call %[get_prandom_u32]; r4 = r0; r4 &= 127; if r4 > 82 goto l0_%=; r1 = r6; r2 = 0; r3 = r10; r3 += -128; call %[skb_load_bytes]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 16 /* skb_load_bytes_var_len accepted tc: a length of 54..82 into a 128-byte stack buffer */
NAKED("tc") { ASM("r6 = r1; call %[get_prandom_u32]; r4 = r0; r4 &= 127; if r4 > 82 goto l0_%=; if r4 < 54 goto l0_%=; r1 = r6; r2 = 0; r3 = r10; r3 += -128; call %[skb_load_bytes]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 17 /* skb_store_bytes_var_len accepted tc: 1..64 initialised stack bytes stored over the packet */
NAKED("tc") { ASM("r6 = r1;" ZERO64 "call %[get_prandom_u32]; r4 = r0; r4 &= 63; r4 += 1; r1 = r6; r2 = 0; r3 = r10; r3 += -64; r5 = 0; call %[skb_store_bytes]; r0 = 0; exit;"); }
#elif CASE == 18 /* skb_store_bytes_var_len_uninit accepted tc: 1..64 stack bytes stored, only 32 written (a privileged program may read the rest) */
NAKED("tc") { ASM("r6 = r1; r1 = 0; *(u64 *)(r10 - 8) = r1; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 24) = r1; *(u64 *)(r10 - 32) = r1; call %[get_prandom_u32]; r4 = r0; r4 &= 63; r4 += 1; r1 = r6; r2 = 0; r3 = r10; r3 += -64; r5 = 0; call %[skb_store_bytes]; r0 = 0; exit;"); }
#elif CASE == 19 /* loop_cb_packet_walk accepted xdp: a callback reads the packet through data and data_end spilled in its caller's stack, at an offset it bounds and advances */
/* ctx at fp-32: data, data_end, offset (u32) */
SUB(cb_walk) { ASM("r6 = r2; r1 = *(u32 *)(r6 + 16); if r1 > 65000 goto l1_%=; r3 = *(u64 *)(r6 + 0); r3 += r1; r4 = r3; r4 += 1; r5 = *(u64 *)(r6 + 8); if r4 > r5 goto l1_%=; r0 = *(u8 *)(r3 + 0); r0 += 1; r1 += r0; *(u32 *)(r6 + 16) = r1; r0 = 0; exit; l1_%=: r0 = 1; exit;"); }
NAKED("xdp") { ASM("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); *(u64 *)(r10 - 32) = r2; *(u64 *)(r10 - 24) = r3; r1 = 0; *(u64 *)(r10 - 16) = r1; r1 = 40; r2 = cb_walk ll; r3 = r10; r3 += -32; r4 = 0; call %[loop]; r0 = 2; exit;"); }
#elif CASE == 20 /* loop_cb_packet_walk_unbounded accepted xdp: the same walk without bounding the offset: bpf_loop(40) visits the callback at most 40 times, 256 bytes each, within the packet's 64 KiB */
SUB(cb_walk_any) { ASM("r6 = r2; r1 = *(u32 *)(r6 + 16); r3 = *(u64 *)(r6 + 0); r3 += r1; r4 = r3; r4 += 1; r5 = *(u64 *)(r6 + 8); if r4 > r5 goto l1_%=; r0 = *(u8 *)(r3 + 0); r0 += 1; r1 += r0; *(u32 *)(r6 + 16) = r1; r0 = 0; exit; l1_%=: r0 = 1; exit;"); }
NAKED("xdp") { ASM("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); *(u64 *)(r10 - 32) = r2; *(u64 *)(r10 - 24) = r3; r1 = 0; *(u64 *)(r10 - 16) = r1; r1 = 40; r2 = cb_walk_any ll; r3 = r10; r3 += -32; r4 = 0; call %[loop]; r0 = 2; exit;"); }
#endif
