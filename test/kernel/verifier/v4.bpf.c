/* SPDX-License-Identifier: MIT */
/* cpu v4 instructions (clang-19 -mcpu=v4): sign-extending moves and loads, byte swaps, signed
 * division and modulo, gotol, and the bounds the verifier derives from them. Written for uxdp. */
#include "verifier.h"

struct val { __u8 b[64]; };
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct val);
} vals SEC(".maps");

/* r6 = map value (null-checked), r7 = a random u32, then BODY, then exit 2 */
#define WITH_VALUE(body) \
	asm volatile ( \
	"r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4;" \
	"r1 = %[vals] ll; call %[map_lookup_elem];" \
	"if r0 == 0 goto out_%=; r6 = r0;" \
	"call %[get_prandom_u32]; r7 = r0;" \
	body \
	"out_%=: r0 = 2; exit;" \
	:: ADDR(vals), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory")

#if CASE == 0 /* movsx8_negative_index refused xdp: (s8) of a byte may be negative */
NAKED("xdp") { WITH_VALUE("r7 &= 255; r7 = (s8)r7; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 1 /* movsx8_then_mask accepted xdp: (s8) then & 63 */
NAKED("xdp") { WITH_VALUE("r7 = (s8)r7; r7 &= 63; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 2 /* movsx8_small_positive accepted xdp: (s8) of a value in 0..63 stays 0..63 */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r7 = (s8)r7; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 3 /* movsx16_of_byte accepted xdp: (s16) of a byte in 0..63 */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r7 = (s16)r7; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 4 /* movsx32_unknown refused xdp: (s32) of an unknown u32 is unbounded below */
NAKED("xdp") { WITH_VALUE("r7 = (s32)r7; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 5 /* movsx32_checked accepted xdp: (s32) then 0 <= x s< 64 */
NAKED("xdp") { WITH_VALUE("r7 = (s32)r7; if r7 s< 0 goto out_%=; if r7 s> 63 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 6 /* w_movsx8_upper_zero accepted xdp: w7 = (s8)w7 then r7 &= 63 */
NAKED("xdp") { WITH_VALUE("w7 = (s8)w7; r7 &= 63; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 7 /* ldsx8_from_value refused xdp: a sign-extending byte load may be negative */
NAKED("xdp") { WITH_VALUE("r7 = *(s8 *)(r6 + 0); r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 8 /* ldsx8_masked accepted xdp: a sign-extending byte load then & 63 */
NAKED("xdp") { WITH_VALUE("r7 = *(s8 *)(r6 + 0); r7 &= 63; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 9 /* ldsx16_ctx refused xdp: a sign-extending load from the context */
NAKED("xdp") { asm volatile ("r0 = *(s16 *)(r1 + 16); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 10 /* ldsx32_stack accepted xdp: a sign-extending load from the stack */
NAKED("xdp") { asm volatile ("r1 = -1; *(u32 *)(r10 - 8) = r1; r0 = *(s32 *)(r10 - 8); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 11 /* ldsx8_packet accepted xdp: a sign-extending byte load from checked packet data */
NAKED("xdp") { asm volatile ("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = r2; r4 += 1; if r4 > r3 goto l0_%=; r0 = *(s8 *)(r2 + 0); l0_%=: r0 = 2; exit;" ::: "memory"); }
#elif CASE == 12 /* bswap16_bounded accepted xdp: bswap16 leaves at most 16 bits, then >> 10 */
NAKED("xdp") { WITH_VALUE("r7 = bswap16 r7; r7 >>= 10; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 13 /* bswap16_too_big refused xdp: bswap16 leaves up to 65535 */
NAKED("xdp") { WITH_VALUE("r7 = bswap16 r7; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 14 /* bswap64_of_small refused xdp: bswap64 of a small value is large */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r7 = bswap64 r7; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 15 /* sdiv_by_const accepted xdp: signed division by a constant */
NAKED("xdp") { asm volatile ("r0 = -10; r0 s/= 3; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 16 /* sdiv_index refused xdp: a signed quotient used as an index may be negative */
NAKED("xdp") { WITH_VALUE("r7 = (s32)r7; r7 s/= 1000; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 17 /* smod_reg_zero accepted xdp: signed modulo by a zero register is defined */
NAKED("xdp") { asm volatile ("r0 = 7; r1 = 0; r0 s%%= r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 18 /* gotol_forward accepted xdp: a long jump over a block another path reaches */
NAKED("xdp") { asm volatile ("r0 = 2; r1 = *(u32 *)(r1 + 16); if r1 > 3 goto l1_%=; gotol l0_%=; l1_%=: r0 = 1; l0_%=: exit;" ::: "memory"); }
#elif CASE == 19 /* gotol_uninit_path refused xdp: a long jump landing where r2 is read unwritten */
NAKED("xdp") { asm volatile ("r3 = *(u32 *)(r1 + 16); if r3 > 3 goto l1_%=; gotol l0_%=; l1_%=: r2 = 1; l0_%=: r0 = r2; exit;" ::: "memory"); }
#elif CASE == 20 /* ldsx_ptr_from_stack refused xdp: a sign-extending load of a spilled pointer is a scalar */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 8) = r1; r2 = *(s32 *)(r10 - 8); r0 = *(u32 *)(r2 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 21 /* movsx_ptr refused xdp: a sign-extending move of a pointer */
NAKED("xdp") { asm volatile ("r2 = (s32)r1; r0 = *(u32 *)(r2 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 22 /* c_signed_char_index accepted xdp: a C signed char index checked for >= 0 */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&vals, &k);
	signed char i;

	if (!v)
		return XDP_PASS;
	i = (signed char)v->b[0];
	if (i < 0 || i >= 64)
		return XDP_PASS;
	return v->b[i] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 23 /* c_signed_char_no_check refused xdp: a C signed char index checked only against 64 */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&vals, &k);
	signed char i;

	if (!v)
		return XDP_PASS;
	i = (signed char)v->b[0];
	if (i >= 64)
		return XDP_PASS;
	return *(volatile __u8 *)&v->b[i] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 24 /* ldsx_xdp_data refused xdp: a sign-extending load of xdp_md->data is not a packet pointer load */
NAKED("xdp") { asm volatile ("r2 = *(s32 *)(r1 + %[data]); r0 = 2; exit;" :: OFF(data, struct xdp_md, data) : "memory"); }
#elif CASE == 25 /* ldsx_xdp_rx_queue accepted xdp: a sign-extending load of a scalar xdp_md field */
NAKED("xdp") { asm volatile ("r2 = *(s32 *)(r1 + %[q]); r0 = 2; exit;" :: OFF(q, struct xdp_md, rx_queue_index) : "memory"); }
#elif CASE == 26 /* ldsx_skb_data_end refused tc: a sign-extending load of __sk_buff->data_end */
NAKED("tc") { asm volatile ("r2 = *(s32 *)(r1 + %[de]); r0 = 0; exit;" :: OFF(de, struct __sk_buff, data_end) : "memory"); }
#endif
