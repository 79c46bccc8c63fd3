/* SPDX-License-Identifier: MIT */
/* Context access: struct xdp_md and struct __sk_buff fields, sizes, writes, bad offsets. Written for uxdp. */
#include "verifier.h"

#define XO(f) OFF(f, struct xdp_md, f)
#define SO(f) OFF(f, struct __sk_buff, f)

#if CASE == 0 /* xdp_read_data accepted xdp: u32 read of data */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + %[data]); r0 = 2; exit;" :: XO(data) : "memory"); }
#elif CASE == 1 /* xdp_read_scalar_fields accepted xdp: ingress_ifindex and rx_queue_index read in C */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	return (ctx->ingress_ifindex + ctx->rx_queue_index) & 1 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 2 /* xdp_write_data refused xdp: storing into ctx->data */
NAKED("xdp") { asm volatile ("r2 = 0; *(u32 *)(r1 + %[data]) = r2; r0 = 2; exit;" :: XO(data) : "memory"); }
#elif CASE == 3 /* xdp_read_past_end refused xdp: u32 read at offset 24, past struct xdp_md */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 24); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 4 /* xdp_u64_read_data refused xdp: u64 read of data */
NAKED("xdp") { asm volatile ("r2 = *(u64 *)(r1 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 5 /* xdp_narrow_read_data refused xdp: u16 read of data (a pointer field) */
NAKED("xdp") { asm volatile ("r2 = *(u16 *)(r1 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 6 /* xdp_narrow_read_ifindex refused xdp: u8 read of ingress_ifindex */
NAKED("xdp") { asm volatile ("r2 = *(u8 *)(r1 + %[ingress_ifindex]); r0 = 2; exit;" :: XO(ingress_ifindex) : "memory"); }
#elif CASE == 7 /* xdp_misaligned_read refused xdp: u32 read at offset 2 */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 2); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 8 /* xdp_negative_offset refused xdp: read at ctx - 4 */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 - 4); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 9 /* xdp_ctx_plus_const_read refused xdp: ctx += 4 then read at 0 */
NAKED("xdp") { asm volatile ("r1 += 4; r2 = *(u32 *)(r1 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 10 /* xdp_ctx_var_offset refused xdp: ctx + unknown scalar */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r0 &= 4; r6 += r0; r2 = *(u32 *)(r6 + 0); r0 = 2; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 11 /* xdp_write_rx_queue refused xdp: storing into rx_queue_index */
NAKED("xdp") { asm volatile ("r2 = 1; *(u32 *)(r1 + %[rx_queue_index]) = r2; r0 = 2; exit;" :: XO(rx_queue_index) : "memory"); }
#elif CASE == 12 /* xdp_write_ingress_ifindex refused xdp: storing into ingress_ifindex */
NAKED("xdp") { asm volatile ("r2 = 0; *(u32 *)(r1 + %[ingress_ifindex]) = r2; r0 = 2; exit;" :: XO(ingress_ifindex) : "memory"); }
#elif CASE == 13 /* xdp_read_egress refused xdp: egress_ifindex is for devmap programs only */
NAKED("xdp") { asm volatile ("r0 = *(u32 *)(r1 + %[egress_ifindex]); r0 = 2; exit;" :: XO(egress_ifindex) : "memory"); }
#elif CASE == 14 /* xdp_ctx_passed_to_helper accepted xdp: ctx to bpf_xdp_get_buff_len */
NAKED("xdp") { asm volatile ("call %[xdp_get_buff_len]; r0 = 2; exit;" :: IMM(xdp_get_buff_len) : "memory"); }
#elif CASE == 15 /* xdp_ctx_modified_to_helper refused xdp: ctx + 4 handed to a helper */
NAKED("xdp") { asm volatile ("r1 += 4; call %[xdp_get_buff_len]; r0 = 2; exit;" :: IMM(xdp_get_buff_len) : "memory"); }
#elif CASE == 16 /* skb_read_len accepted tc: u32 read of skb->len */
NAKED("tc") { asm volatile ("r0 = *(u32 *)(r1 + %[len]); r0 = 0; exit;" :: SO(len) : "memory"); }
#elif CASE == 17 /* skb_write_len refused tc: skb->len is read only */
NAKED("tc") { asm volatile ("r2 = 0; *(u32 *)(r1 + %[len]) = r2; r0 = 0; exit;" :: SO(len) : "memory"); }
#elif CASE == 18 /* skb_write_mark accepted tc: tc may write skb->mark */
NAKED("tc") { asm volatile ("r2 = 7; *(u32 *)(r1 + %[mark]) = r2; r0 = 0; exit;" :: SO(mark) : "memory"); }
#elif CASE == 19 /* skb_write_mark_socket refused socket: a socket filter may not write skb->mark */
NAKED("socket") { asm volatile ("r2 = 7; *(u32 *)(r1 + %[mark]) = r2; r0 = 0; exit;" :: SO(mark) : "memory"); }
#elif CASE == 20 /* skb_write_cb accepted socket: a socket filter may write cb[] */
NAKED("socket") { asm volatile ("r2 = 7; *(u32 *)(r1 + %[cb]) = r2; r0 = 0; exit;" :: SO(cb) : "memory"); }
#elif CASE == 21 /* skb_narrow_len accepted tc: u8 read of skb->len (narrow load) */
NAKED("tc") { asm volatile ("r0 = *(u8 *)(r1 + %[len]); r0 = 0; exit;" :: SO(len) : "memory"); }
#elif CASE == 22 /* skb_narrow_len_high_byte accepted tc: u16 read of the upper half of skb->len */
NAKED("tc") { asm volatile ("r0 = *(u16 *)(r1 + %[len] + 2); r0 = 0; exit;" :: SO(len) : "memory"); }
#elif CASE == 23 /* skb_u64_len refused tc: u64 read at skb->len */
NAKED("tc") { asm volatile ("r0 = *(u64 *)(r1 + %[len]); r0 = 0; exit;" :: SO(len) : "memory"); }
#elif CASE == 24 /* skb_read_data_socket refused socket: a socket filter has no skb->data */
NAKED("socket") { asm volatile ("r0 = *(u32 *)(r1 + %[data]); r0 = 0; exit;" :: SO(data) : "memory"); }
#elif CASE == 25 /* skb_read_data_tc accepted tc: tc reads skb->data */
NAKED("tc") { asm volatile ("r0 = *(u32 *)(r1 + %[data]); r0 = 0; exit;" :: SO(data) : "memory"); }
#elif CASE == 26 /* skb_write_tc_classid accepted tc: tc writes tc_classid */
NAKED("tc") { asm volatile ("r2 = 1; *(u32 *)(r1 + %[tc_classid]) = r2; r0 = 0; exit;" :: SO(tc_classid) : "memory"); }
#elif CASE == 27 /* skb_read_tc_classid_socket refused socket: a socket filter may not read tc_classid */
NAKED("socket") { asm volatile ("r0 = *(u32 *)(r1 + %[tc_classid]); r0 = 0; exit;" :: SO(tc_classid) : "memory"); }
#elif CASE == 28 /* skb_read_sk_tc accepted tc: skb->sk read (sock_common_or_null) */
NAKED("tc") { asm volatile ("r0 = *(u64 *)(r1 + %[sk]); r0 = 0; exit;" :: SO(sk) : "memory"); }
#elif CASE == 29 /* skb_deref_sk_no_check refused tc: skb->sk dereferenced without a null check */
NAKED("tc") { asm volatile ("r2 = *(u64 *)(r1 + %[sk]); r0 = *(u32 *)(r2 + 0); r0 = 0; exit;" :: SO(sk) : "memory"); }
#elif CASE == 30 /* skb_deref_sk_checked accepted tc: skb->sk null-checked then its family read */
NAKED("tc") { asm volatile ("r2 = *(u64 *)(r1 + %[sk]); if r2 == 0 goto l0_%=; r0 = *(u32 *)(r2 + %[family]); l0_%=: r0 = 0; exit;" :: SO(sk), OFF(family, struct bpf_sock, family) : "memory"); }
#elif CASE == 31 /* skb_read_past_end refused tc: read past struct __sk_buff */
NAKED("tc") { asm volatile ("r0 = *(u32 *)(r1 + %[end]); r0 = 0; exit;" :: [end] "i"(sizeof(struct __sk_buff)) : "memory"); }
#elif CASE == 32 /* skb_write_priority accepted tc: tc writes skb->priority */
NAKED("tc") { asm volatile ("r2 = 3; *(u32 *)(r1 + %[priority]) = r2; r0 = 0; exit;" :: SO(priority) : "memory"); }
#elif CASE == 33 /* skb_write_protocol refused tc: skb->protocol is read only */
NAKED("tc") { asm volatile ("r2 = 3; *(u32 *)(r1 + %[protocol]) = r2; r0 = 0; exit;" :: SO(protocol) : "memory"); }
#elif CASE == 34 /* skb_read_tstamp accepted tc: u64 read of skb->tstamp */
NAKED("tc") { asm volatile ("r0 = *(u64 *)(r1 + %[tstamp]); r0 = 0; exit;" :: SO(tstamp) : "memory"); }
#elif CASE == 35 /* skb_read_tstamp_u32 refused tc: skb->tstamp is u64-only */
NAKED("tc") { asm volatile ("r0 = *(u32 *)(r1 + %[tstamp]); r0 = 0; exit;" :: SO(tstamp) : "memory"); }
#elif CASE == 36 /* skb_write_tstamp_socket refused socket: a socket filter may not write tstamp */
NAKED("socket") { asm volatile ("r2 = 3; *(u64 *)(r1 + %[tstamp]) = r2; r0 = 0; exit;" :: SO(tstamp) : "memory"); }
#elif CASE == 37 /* skb_cb_u64 accepted tc: u64 read and write of cb[0..1] */
NAKED("tc") { asm volatile ("r2 = 3; *(u64 *)(r1 + %[cb]) = r2; r0 = *(u64 *)(r1 + %[cb]); r0 = 0; exit;" :: SO(cb) : "memory"); }
#elif CASE == 38 /* skb_c_fields accepted socket: plain C reading len, protocol, ifindex */
SEC("socket") int prog(struct __sk_buff *skb)
{
	return skb->len > 100 && skb->protocol == __builtin_bswap16(ETH_P_IP) ? skb->ifindex : 0;
}
#elif CASE == 39 /* xdp_ctx_copy_then_read accepted xdp: a copy of ctx read at the same offsets */
NAKED("xdp") { asm volatile ("r6 = r1; r2 = *(u32 *)(r6 + %[data_end]); r0 = 2; exit;" :: XO(data_end) : "memory"); }
#elif CASE == 40 /* xdp_devmap_egress_ifindex accepted xdp: a devmap program (xdp/devmap) reads egress_ifindex */
SEC("xdp/devmap") int prog(struct xdp_md *ctx) { return ctx->egress_ifindex == 3 ? XDP_DROP : XDP_PASS; }
#elif CASE == 41 /* xdp_plain_egress_ifindex refused xdp: a plain XDP program may not read egress_ifindex */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + %[egress_ifindex]); r0 = 2; exit;" :: XO(egress_ifindex) : "memory"); }
#elif CASE == 42 /* xdp_st_imm_into_ctx refused xdp: BPF_ST of an immediate into xdp_md */
NAKED("xdp") { asm volatile (".8byte 0x00000000000c0162; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 43 /* tc_st_imm_into_mark accepted tc: BPF_ST of an immediate into __sk_buff->mark */
NAKED("tc") { asm volatile (".8byte 0x0000002a00080162; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 44 /* socket_st_imm_into_mark refused socket: a socket filter may not write mark, BPF_ST or not */
NAKED("socket") { asm volatile (".8byte 0x0000002a00080162; r0 = 0; exit;" ::: "memory"); }
#endif
