/* SPDX-License-Identifier: MIT */
/* Return values at program exit: what XDP, socket filters and tc may return. Written for uxdp. */
#include "verifier.h"

#if CASE == 0 /* xdp_pass accepted xdp: XDP_PASS */
NAKED("xdp") { asm volatile ("r0 = 2; exit;" ::: "memory"); }
#elif CASE == 1 /* xdp_large_const_priv accepted xdp: XDP may return any value (no range check for XDP) */
NAKED("xdp") { asm volatile ("r0 = 1000; exit;" ::: "memory"); }
#elif CASE == 2 /* xdp_ptr_return_ctx_priv accepted xdp: returning the ctx pointer (root) */
NAKED("xdp") { asm volatile ("r0 = r1; exit;" ::: "memory"); }
#elif CASE == 3 /* xdp_uninit_r0 refused xdp: r0 never written */
NAKED("xdp") { asm volatile ("r1 = 0; exit;" ::: "memory"); }
#elif CASE == 4 /* xdp_r0_uninit_one_path refused xdp: r0 written on one branch only */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 16); if r2 > 3 goto l0_%=; r0 = 2; l0_%=: exit;" ::: "memory"); }
#elif CASE == 5 /* socket_any_length accepted socket: a socket filter returns a length */
NAKED("socket") { asm volatile ("r0 = 65535; exit;" ::: "memory"); }
#elif CASE == 6 /* socket_negative accepted socket: socket filters may return -1 */
NAKED("socket") { asm volatile ("r0 = -1; exit;" ::: "memory"); }
#elif CASE == 7 /* socket_uninit_r0 refused socket: r0 never written */
NAKED("socket") { asm volatile ("exit;" ::: "memory"); }
#elif CASE == 8 /* tc_ok accepted tc: TC_ACT_OK */
NAKED("tc") { asm volatile ("r0 = 0; exit;" ::: "memory"); }
#elif CASE == 9 /* tc_redirect_value accepted tc: TC_ACT_REDIRECT (7) */
NAKED("tc") { asm volatile ("r0 = 7; exit;" ::: "memory"); }
#elif CASE == 10 /* tc_negative accepted tc: TC_ACT_UNSPEC (-1) */
NAKED("tc") { asm volatile ("r0 = -1; exit;" ::: "memory"); }
#elif CASE == 11 /* tc_uninit_r0 refused tc: r0 never written */
NAKED("tc") { asm volatile ("r2 = 0; exit;" ::: "memory"); }
#elif CASE == 12 /* tc_ptr_return_priv accepted tc: returning a pointer from tc (root) */
NAKED("tc") { asm volatile ("r0 = r10; exit;" ::: "memory"); }
#elif CASE == 13 /* xdp_unknown_scalar accepted xdp: an unknown scalar as the verdict */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 14 /* xdp_r0_clobbered_uninit refused xdp: r0 = r3 where r3 is unwritten */
NAKED("xdp") { asm volatile ("r0 = r3; exit;" ::: "memory"); }
#elif CASE == 15 /* xdp_c_return accepted xdp: a C program with several verdicts */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	switch (ctx->rx_queue_index) {
	case 0: return XDP_DROP;
	case 1: return XDP_TX;
	default: return XDP_PASS;
	}
}
#elif CASE == 16 /* xdp_w0_only accepted xdp: r0 written with a 32-bit move */
NAKED("xdp") { asm volatile ("w0 = 2; exit;" ::: "memory"); }
#elif CASE == 17 /* socket_ptr_return_priv accepted socket: returning the frame pointer from a socket filter (root) */
NAKED("socket") { asm volatile ("r0 = r10; exit;" ::: "memory"); }
#elif CASE == 18 /* xdp_lookup_no_map refused xdp: bpf_map_lookup_elem with 0 as the map */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = 0; call %[map_lookup_elem]; exit;" :: IMM(map_lookup_elem) : "memory"); }
#elif CASE == 19 /* cgroup_skb_one accepted cgroup_skb: cgroup_skb returns 1 (allow) */
NAKED("cgroup_skb/ingress") { asm volatile ("r0 = 1; exit;" ::: "memory"); }
#elif CASE == 20 /* cgroup_skb_two refused cgroup_skb: 2 is outside cgroup_skb ingress's [0, 1] */
NAKED("cgroup_skb/ingress") { asm volatile ("r0 = 2; exit;" ::: "memory"); }
#elif CASE == 21 /* cgroup_skb_unknown refused cgroup_skb: an unknown scalar may be out of range */
NAKED("cgroup_skb/ingress") { asm volatile ("call %[get_prandom_u32]; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 22 /* cgroup_skb_masked accepted cgroup_skb: an unknown scalar & 1 */
NAKED("cgroup_skb/ingress") { asm volatile ("call %[get_prandom_u32]; r0 &= 1; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 23 /* cgroup_skb_egress_three accepted cgroup_skb: egress may return 0..3 (congestion notification) */
NAKED("cgroup_skb/egress") { asm volatile ("r0 = 3; exit;" ::: "memory"); }
#elif CASE == 24 /* cgroup_skb_ptr refused cgroup_skb: a pointer as the verdict */
NAKED("cgroup_skb/ingress") { asm volatile ("r0 = r10; exit;" ::: "memory"); }
#elif CASE == 25 /* sk_lookup_pass accepted sk_lookup: SK_PASS */
NAKED("sk_lookup") { asm volatile ("r0 = 1; exit;" ::: "memory"); }
#elif CASE == 26 /* sk_lookup_out_of_range refused sk_lookup: 5 is not SK_DROP or SK_PASS */
NAKED("sk_lookup") { asm volatile ("r0 = 5; exit;" ::: "memory"); }
#elif CASE == 27 /* cgroup_skb_negative refused cgroup_skb: -1 */
NAKED("cgroup_skb/ingress") { asm volatile ("r0 = -1; exit;" ::: "memory"); }
#endif
