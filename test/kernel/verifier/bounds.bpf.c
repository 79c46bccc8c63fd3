/* SPDX-License-Identifier: MIT */
/* Scalar bounds: indexing a 64-byte map value with a value the verifier must bound first (unsigned,
 * signed, 32-bit compares, AND masks, shifts). Written for uxdp. */
#include "verifier.h"

struct val { __u8 b[64]; };
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct val);
} vals SEC(".maps");

/* r6 = map value (null-checked), r7 = a random u32 (unknown scalar), then BODY, then exit 2 */
#define WITH_VALUE(body) \
	asm volatile ( \
	"r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4;" \
	"r1 = %[vals] ll; call %[map_lookup_elem];" \
	"if r0 == 0 goto out_%=; r6 = r0;" \
	"call %[get_prandom_u32]; r7 = r0;" \
	body \
	"out_%=: r0 = 2; exit;" \
	:: ADDR(vals), IMM(map_lookup_elem), IMM(get_prandom_u32) : "memory")

#if CASE == 0 /* idx_unbounded refused xdp: index with no bounds check at all */
NAKED("xdp") { WITH_VALUE("r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 1 /* idx_ult_63 accepted xdp: unsigned r7 < 64 then byte read */
NAKED("xdp") { WITH_VALUE("if r7 >= 64 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 2 /* idx_ult_64_u64_read refused xdp: r7 < 64 but an 8-byte read at the end */
NAKED("xdp") { WITH_VALUE("if r7 >= 64 goto out_%=; r6 += r7; r0 = *(u64 *)(r6 + 0);"); }
#elif CASE == 3 /* idx_ult_57_u64_read accepted xdp: r7 <= 56 then 8-byte read */
NAKED("xdp") { WITH_VALUE("if r7 > 56 goto out_%=; r6 += r7; r0 = *(u64 *)(r6 + 0);"); }
#elif CASE == 4 /* idx_off_by_one refused xdp: r7 <= 64 lets the read reach byte 64 */
NAKED("xdp") { WITH_VALUE("if r7 > 64 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 5 /* idx_and_63 accepted xdp: r7 &= 63 bounds the index */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 6 /* idx_and_127 refused xdp: r7 &= 127 is too wide */
NAKED("xdp") { WITH_VALUE("r7 &= 127; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 7 /* idx_signed_only_upper refused xdp: signed r7 s< 64 leaves negatives */
NAKED("xdp") { WITH_VALUE("r7 <<= 32; r7 s>>= 32; if r7 s>= 64 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 8 /* idx_signed_both accepted xdp: 0 <= r7 s< 64 */
NAKED("xdp") { WITH_VALUE("r7 <<= 32; r7 s>>= 32; if r7 s>= 64 goto out_%=; if r7 s< 0 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 9 /* idx_w32_check_u64_use refused xdp: a 32-bit compare does not bound the 64-bit register */
NAKED("xdp") { WITH_VALUE("r7 <<= 32; r7 |= 5; if w7 > 63 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 10 /* idx_w32_check_zext accepted xdp: w7 = w7 zero-extends, then 32-bit compare bounds it */
NAKED("xdp") { WITH_VALUE("w7 = w7; if w7 > 63 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 11 /* idx_shift_right accepted xdp: a zero-extended u32 shifted right by 26 is < 64 */
NAKED("xdp") { WITH_VALUE("w7 = w7; r7 >>= 26; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 12 /* idx_shift_right_25 refused xdp: a zero-extended u32 shifted right by 25 may be 127 */
NAKED("xdp") { WITH_VALUE("w7 = w7; r7 >>= 25; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 13 /* idx_shift_left_bounded refused xdp: (r7 & 63) << 1 may reach 126 */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r7 <<= 1; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 14 /* idx_shift_left_ok accepted xdp: (r7 & 31) << 1 is at most 62 */
NAKED("xdp") { WITH_VALUE("r7 &= 31; r7 <<= 1; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 15 /* idx_sub_negative refused xdp: (r7 & 63) - 8 may be negative */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r7 -= 8; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 16 /* idx_sub_then_check accepted xdp: (r7 & 63) - 8 checked unsigned */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r7 -= 8; if r7 > 63 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 17 /* idx_jeq_const accepted xdp: r7 == 10 makes it a constant */
NAKED("xdp") { WITH_VALUE("if r7 != 10 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 18 /* idx_jne_only refused xdp: r7 != 10 says nothing about the rest */
NAKED("xdp") { WITH_VALUE("if r7 == 10 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 19 /* idx_lower_bound_only refused xdp: r7 >= 8 and no upper bound */
NAKED("xdp") { WITH_VALUE("if r7 < 8 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 20 /* idx_between accepted xdp: 8 <= r7 < 64 */
NAKED("xdp") { WITH_VALUE("if r7 < 8 goto out_%=; if r7 > 63 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 21 /* idx_reg_vs_reg accepted xdp: r7 < r8 where r8 = 64 */
NAKED("xdp") { WITH_VALUE("r8 = 64; if r7 >= r8 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 22 /* idx_reg_vs_unknown refused xdp: r7 < r8 with r8 unknown */
NAKED("xdp") { WITH_VALUE("r8 = r7; r8 ^= 3; if r7 >= r8 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 23 /* idx_mul_bounded accepted xdp: (r7 & 7) * 8 is at most 56, u64 read */
NAKED("xdp") { WITH_VALUE("r7 &= 7; r7 *= 8; r6 += r7; r0 = *(u64 *)(r6 + 0);"); }
#elif CASE == 24 /* idx_mul_too_big refused xdp: (r7 & 7) * 9 may reach 63, u64 read past the end */
NAKED("xdp") { WITH_VALUE("r7 &= 7; r7 *= 9; r6 += r7; r0 = *(u64 *)(r6 + 0);"); }
#elif CASE == 25 /* idx_const_offset_plus_var refused xdp: (r7 & 63) then +8 in the load offset */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r6 += r7; r0 = *(u8 *)(r6 + 8);"); }
#elif CASE == 26 /* idx_const_offset_ok accepted xdp: (r7 & 31) then +32 in the load offset */
NAKED("xdp") { WITH_VALUE("r7 &= 31; r6 += r7; r0 = *(u8 *)(r6 + 32);"); }
#elif CASE == 27 /* idx_negative_const_off refused xdp: (r7 & 31) then -1 in the load offset */
NAKED("xdp") { WITH_VALUE("r7 &= 31; r6 += r7; r0 = *(u8 *)(r6 - 1);"); }
#elif CASE == 28 /* idx_w32_signed accepted xdp: 32-bit signed range 0..63 via w-compares on a zero-extended value */
NAKED("xdp") { WITH_VALUE("w7 = w7; if w7 s> 63 goto out_%=; if w7 s< 0 goto out_%=; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 29 /* idx_neg_via_alu32 refused xdp: w7 -= 1 on zero wraps: upper bound lost */
NAKED("xdp") { WITH_VALUE("w7 &= 63; w7 -= 1; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 30 /* idx_or_bits refused xdp: r7 | 1 keeps it unbounded */
NAKED("xdp") { WITH_VALUE("r7 |= 1; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 31 /* idx_mod_unknown_divisor refused xdp: an index modulo a divisor read back from the stack (unknown) is not bounded */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&vals, &k);
	volatile __u32 m = 64;

	if (!v)
		return XDP_PASS;
	return v->b[bpf_get_prandom_u32() % m] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 32 /* idx_div refused xdp: r7 / 2 of a u32 is still too big */
NAKED("xdp") { WITH_VALUE("r7 /= 2; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 33 /* idx_neg_reg refused xdp: -(r7 & 63) is negative */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r7 = -r7; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 34 /* idx_c_checked accepted xdp: C index from the packet with an explicit check */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&vals, &k);
	__u32 i = bpf_get_prandom_u32();

	if (!v || i >= sizeof(v->b))
		return XDP_PASS;
	return v->b[i] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 35 /* idx_c_masked accepted xdp: C index masked */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&vals, &k);

	if (!v)
		return XDP_PASS;
	v->b[bpf_get_prandom_u32() & 63] = 1;
	return XDP_PASS;
}
#elif CASE == 36 /* idx_xor_unbounded refused xdp: r7 ^ 1 keeps it unbounded */
NAKED("xdp") { WITH_VALUE("r7 ^= 1; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 37 /* idx_arsh_bounded accepted xdp: (r7 & 63) s>> 1 stays in 0..31 */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r7 s>>= 1; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 38 /* idx_bswap_like_unbounded refused xdp: bytes shuffled through shifts lose the bound */
NAKED("xdp") { WITH_VALUE("r7 &= 63; r7 <<= 56; r7 >>= 2; r6 += r7; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 39 /* idx_spilled_bound_kept accepted xdp: a bounded scalar spilled and filled keeps its bounds */
NAKED("xdp") { WITH_VALUE("r7 &= 63; *(u64 *)(r10 - 16) = r7; r8 = *(u64 *)(r10 - 16); r6 += r8; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 40 /* idx_spilled_u32_fill_u64 refused xdp: a 4-byte spill read back as 8 bytes mixes in other bytes */
NAKED("xdp") { WITH_VALUE("r7 &= 63; *(u32 *)(r10 - 16) = r7; r8 = *(u64 *)(r10 - 16); r6 += r8; r0 = *(u8 *)(r6 + 0);"); }
#elif CASE == 41 /* s32_range_wraps_u32_meets_negative_part accepted socket: u32 >= 3 and s32 <= 1 leave only negative s32, so "w0 s< 0" always jumps */
NAKED("socket") { asm volatile ("call %[get_prandom_u32]; if w0 < 3 goto 1f; if w0 s> 1 goto 1f; if w0 s< 0 goto 1f; r10 = 0; 1: r0 = 0; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 42 /* s32_range_wraps_u32_meets_positive_part accepted socket: u32 <= 0x7ffffff0 and s32 >= -5 leave s32 0..0x7ffffff0 */
NAKED("socket") { asm volatile ("call %[get_prandom_u32]; if w0 > 0x7ffffff0 goto 1f; if w0 s< -5 goto 1f; if w0 s>= 0 goto 1f; r10 = 0; 1: r0 = 0; exit;" :: IMM(get_prandom_u32) : "memory"); }
#elif CASE == 43 /* s32_range_wraps_both_parts refused socket: u32 in 1..0x80000005 and s32 <= 1 may still be 1: the dead-looking path is walked */
NAKED("socket") { asm volatile ("call %[get_prandom_u32]; if w0 < 1 goto 1f; if w0 > 0x80000005 goto 1f; if w0 s> 1 goto 1f; if w0 s< 0 goto 1f; r10 = 0; 1: r0 = 0; exit;" :: IMM(get_prandom_u32) : "memory"); }
#endif
