/* SPDX-License-Identifier: MIT */
/* Direct packet access: bounds checks against data_end, data_meta, range lost after helpers that
 * change the packet, arithmetic on packet pointers. Written for uxdp. */
#include "verifier.h"

#define XO(f) OFF(f, struct xdp_md, f)
#define SO(f) OFF(f, struct __sk_buff, f)
/* r2 = data, r3 = data_end */
#define PKT "r2 = *(u32 *)(r1 + %[data]); r3 = *(u32 *)(r1 + %[data_end]);"
#define PKTOPS XO(data), XO(data_end)

#if CASE == 0 /* no_check refused xdp: a byte read with no data_end check */
NAKED("xdp") { asm volatile (PKT "r0 = *(u8 *)(r2 + 0); r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 1 /* checked_14 accepted xdp: data + 14 <= data_end, then read 14 bytes' last */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 14; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 13); l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 2 /* off_by_one refused xdp: data + 14 checked, byte 14 read */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 14; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 14); l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 3 /* wrong_branch refused xdp: reads on the branch where data + 14 > data_end */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 14; if r4 <= r3 goto l0_%=; r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 4 /* checked_ge_form accepted xdp: data_end >= data + 8 form */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 8; if r3 >= r4 goto l0_%=; r0 = 1; exit; l0_%=: r0 = *(u64 *)(r2 + 0); r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 5 /* strict_lt_form accepted xdp: data + 8 < data_end gives 8 bytes too */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 8; if r4 < r3 goto l0_%=; r0 = 1; exit; l0_%=: r0 = *(u64 *)(r2 + 0); r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 6 /* u16_read_unaligned_ok accepted xdp: u16 at data + 1 (packet loads may be unaligned) */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 4; if r4 > r3 goto l0_%=; r0 = *(u16 *)(r2 + 1); l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 7 /* write_checked accepted xdp: a byte write after the check */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 1; if r4 > r3 goto l0_%=; r5 = 0; *(u8 *)(r2 + 0) = r5; l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 8 /* write_past_check refused xdp: u32 write at data + 2 with 4 bytes checked */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 4; if r4 > r3 goto l0_%=; r5 = 0; *(u32 *)(r2 + 2) = r5; l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 9 /* deref_data_end refused xdp: reading through data_end */
NAKED("xdp") { asm volatile (PKT "r0 = *(u8 *)(r3 + 0); r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 10 /* arith_on_data_end refused xdp: data_end - 1 */
NAKED("xdp") { asm volatile (PKT "r3 += -1; r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 11 /* var_offset_checked accepted xdp: data + (x & 15) checked against data_end */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r1 = r6;" PKT "r0 &= 15; r2 += r0; r4 = r2; r4 += 1; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS, IMM(get_prandom_u32) : "memory"); }
#elif CASE == 12 /* var_offset_unbounded refused xdp: data + unknown scalar */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r1 = r6;" PKT "r2 += r0; r4 = r2; r4 += 1; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS, IMM(get_prandom_u32) : "memory"); }
#elif CASE == 13 /* var_offset_after_check refused xdp: checked first, then a variable offset added */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r1 = r6;" PKT "r4 = r2; r4 += 16; if r4 > r3 goto l0_%=; r0 &= 7; r2 += r0; r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS, IMM(get_prandom_u32) : "memory"); }
#elif CASE == 14 /* meta_checked accepted xdp: data_meta + 4 <= data, u32 read of the metadata */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + %[data_meta]); r3 = *(u32 *)(r1 + %[data]); r4 = r2; r4 += 4; if r4 > r3 goto l0_%=; r0 = *(u32 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: XO(data_meta), XO(data) : "memory"); }
#elif CASE == 15 /* meta_no_check refused xdp: metadata read without a check */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + %[data_meta]); r0 = *(u32 *)(r2 + 0); r0 = 2; exit;" :: XO(data_meta) : "memory"); }
#elif CASE == 16 /* meta_checked_against_end refused xdp: data_meta checked against data_end */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + %[data_meta]); r3 = *(u32 *)(r1 + %[data_end]); r4 = r2; r4 += 4; if r4 > r3 goto l0_%=; r0 = *(u32 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: XO(data_meta), XO(data_end) : "memory"); }
#elif CASE == 17 /* range_lost_adjust_head refused xdp: a checked pointer used after bpf_xdp_adjust_head */
NAKED("xdp") { asm volatile ("r6 = r1;" PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r7 = r2; r1 = r6; r2 = 4; call %[xdp_adjust_head]; r0 = *(u8 *)(r7 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS, IMM(xdp_adjust_head) : "memory"); }
#elif CASE == 18 /* reload_after_adjust_head accepted xdp: data reloaded and re-checked after adjust_head */
NAKED("xdp") { asm volatile ("r6 = r1; r2 = 4; call %[xdp_adjust_head]; r1 = r6;" PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS, IMM(xdp_adjust_head) : "memory"); }
#elif CASE == 19 /* range_lost_adjust_tail refused xdp: a checked pointer used after bpf_xdp_adjust_tail */
NAKED("xdp") { asm volatile ("r6 = r1;" PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r7 = r2; r1 = r6; r2 = -4; call %[xdp_adjust_tail]; r0 = *(u8 *)(r7 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS, IMM(xdp_adjust_tail) : "memory"); }
#elif CASE == 20 /* range_kept_other_helper accepted xdp: a checked pointer stays valid across bpf_ktime_get_ns */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r7 = r2; call %[ktime_get_ns]; r0 = *(u8 *)(r7 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS, IMM(ktime_get_ns) : "memory"); }
#elif CASE == 21 /* range_kept_load_bytes accepted xdp: bpf_xdp_load_bytes does not change the packet */
NAKED("xdp") { asm volatile ("r6 = r1;" PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r7 = r2; r1 = r6; r2 = 0; r3 = r10; r3 += -8; r4 = 4; call %[xdp_load_bytes]; r0 = *(u8 *)(r7 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS, IMM(xdp_load_bytes) : "memory"); }
#elif CASE == 22 /* range_kept_store_bytes accepted xdp: bpf_xdp_store_bytes leaves checked packet pointers valid */
NAKED("xdp") { asm volatile ("r6 = r1; r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = r6;" PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r7 = r2; r1 = r6; r2 = 0; r3 = r10; r3 += -8; r4 = 4; call %[xdp_store_bytes]; r0 = *(u8 *)(r7 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS, IMM(xdp_store_bytes) : "memory"); }
#elif CASE == 23 /* pkt_ptr_alu32 refused xdp: 32-bit add on a packet pointer */
NAKED("xdp") { asm volatile (PKT "w2 += 1; r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 24 /* pkt_ptr_sub_ptr accepted xdp: data_end - data is a scalar length */
NAKED("xdp") { asm volatile (PKT "r3 -= r2; r0 = r3; r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 25 /* pkt_ptr_add_ptr refused xdp: data + data_end */
NAKED("xdp") { asm volatile (PKT "r2 += r3; r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 26 /* pkt_ptr_big_const refused xdp: data + 0x10000 then a check */
NAKED("xdp") { asm volatile (PKT "r2 += 0x10000; r4 = r2; r4 += 1; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 27 /* pkt_ptr_store_to_stack_fill accepted xdp: a checked packet pointer spilled and filled keeps its range */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; *(u64 *)(r10 - 8) = r2; r5 = *(u64 *)(r10 - 8); r0 = *(u8 *)(r5 + 7); l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 28 /* pkt_copy_unchecked refused xdp: a copy of data read with no check */
NAKED("xdp") { asm volatile (PKT "r2 = r2; r6 = r2; r0 = *(u32 *)(r6 + 0); r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 29 /* c_eth_parse accepted xdp: Ethernet and IPv4 headers parsed with checks in C */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	if (eth->h_proto != __builtin_bswap16(ETH_P_IP))
		return XDP_PASS;
	return ip->protocol == 17 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 30 /* c_ihl_var_offset accepted xdp: the L4 header found through ihl, checked */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u8 *l4;

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	l4 = (__u8 *)ip + ip->ihl * 4;
	if (l4 + 4 > (__u8 *)end)
		return XDP_PASS;
	return l4[3] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 31 /* tc_skb_data_checked accepted tc: skb->data checked against skb->data_end */
NAKED("tc") { asm volatile ("r2 = *(u32 *)(r1 + %[data]); r3 = *(u32 *)(r1 + %[data_end]); r4 = r2; r4 += 14; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 12); l0_%=: r0 = 0; exit;" :: SO(data), SO(data_end) : "memory"); }
#elif CASE == 32 /* tc_skb_data_unchecked refused tc: skb->data read with no check */
NAKED("tc") { asm volatile ("r2 = *(u32 *)(r1 + %[data]); r0 = *(u8 *)(r2 + 0); r0 = 0; exit;" :: SO(data) : "memory"); }
#elif CASE == 33 /* tc_range_lost_pull refused tc: bpf_skb_pull_data invalidates the checked pointer */
NAKED("tc") { asm volatile ("r6 = r1; r2 = *(u32 *)(r1 + %[data]); r3 = *(u32 *)(r1 + %[data_end]); r4 = r2; r4 += 14; if r4 > r3 goto l0_%=; r7 = r2; r1 = r6; r2 = 14; call %[skb_pull_data]; r0 = *(u8 *)(r7 + 0); l0_%=: r0 = 0; exit;" :: SO(data), SO(data_end), IMM(skb_pull_data) : "memory"); }
#elif CASE == 34 /* meta_var_negative_check accepted xdp: metadata before data checked as data_meta + 8 <= data */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u64 *meta = (void *)(long)ctx->data_meta;

	if ((void *)(meta + 1) > (void *)(long)ctx->data)
		return XDP_PASS;
	return *meta == 7 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 35 /* pkt_read_negative_off refused xdp: data - 1 read after a check */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 - 1); l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 36 /* pkt_two_checks_max accepted xdp: the larger of two checks applies */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 4; if r4 > r3 goto l0_%=; r4 = r2; r4 += 20; if r4 > r3 goto l0_%=; r0 = *(u32 *)(r2 + 16); l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 37 /* pkt_check_copy_ptr accepted xdp: checking a copy of data also covers data */
NAKED("xdp") { asm volatile (PKT "r5 = r2; r4 = r5; r4 += 4; if r4 > r3 goto l0_%=; r0 = *(u32 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: PKTOPS : "memory"); }
#elif CASE == 38 /* pkt_socket_no_direct refused socket: socket filters have no direct packet access (skb->data) */
NAKED("socket") { asm volatile ("r2 = *(u32 *)(r1 + %[data_end]); r0 = 0; exit;" :: SO(data_end) : "memory"); }
#elif CASE == 39 /* meta_after_adjust_meta accepted xdp: bpf_xdp_adjust_meta, then data_meta and data reloaded and checked (upstream accepts; the recording kernel build refuses the helper, a known build difference) */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 *meta;

	if (bpf_xdp_adjust_meta(ctx, -4))
		return XDP_PASS;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)ctx->data)
		return XDP_PASS;
	*meta = 7;
	return XDP_PASS;
}
#endif
