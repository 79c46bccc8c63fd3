/* SPDX-License-Identifier: MIT */
/* More of what the other groups cover thinly: XDP metadata, narrow and partial spills and fills,
 * helpers with variable-length memory, variable stack offsets, map value null checks by pointer
 * comparison and read-only/write-only maps, legacy LD_ABS/LD_IND, ring buffer reservations, loops,
 * context field sizes. Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64[2]);
} h SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64[8]);
} big SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__type(key, __u32);
	__type(value, __u64[2]);
} ro SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__uint(map_flags, BPF_F_WRONLY_PROG);
	__type(key, __u32);
	__type(value, __u64[2]);
} wo SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct arrval {
	__u32 n;
	__u32 arr[16];
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct arrval);
} av SEC(".maps");

#define XO(f) OFF(f, struct xdp_md, f)
#define SO(f) OFF(f, struct __sk_buff, f)
#define OPS ADDR(h), ADDR(big), ADDR(ro), ADDR(wo), ADDR(rb), IMM(map_lookup_elem), IMM(get_prandom_u32), IMM(ktime_get_ns), IMM(probe_read_kernel), IMM(csum_diff), IMM(ringbuf_output), IMM(ringbuf_reserve), IMM(ringbuf_submit), IMM(ringbuf_discard), IMM(xdp_load_bytes), IMM(loop)

/* r0 = bpf_map_lookup_elem(&MAP, &(u32)KEY) */
#define LOOKUP(map, key) "r1 = " #key "; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[" #map "] ll; call %[map_lookup_elem];"
/* r2 = data_meta, r3 = data */
#define META "r2 = *(u32 *)(r1 + %[data_meta]); r3 = *(u32 *)(r1 + %[data]);"
#define METAOPS XO(data_meta), XO(data), XO(data_end), IMM(get_prandom_u32), IMM(xdp_adjust_meta)
/* r2 = data, r3 = data_end */
#define PKT "r2 = *(u32 *)(r1 + %[data]); r3 = *(u32 *)(r1 + %[data_end]);"
/* a byte store at fp - 64 + REG: refused unless REG is known to lie in 0..63 */
#define IDX(reg) "r3 = r10; r3 += -64; r3 += " reg "; r4 = 0; *(u8 *)(r3 + 0) = r4;"
/* BPF_ST_MEM, which clang 14's assembler does not take: *(u64 *)(r10 - 8) = 16, *(u32 *)(r10 - 4) = 16,
 * *(u32 *)(r1 + 0) = 0 */
#define ST_DW_FP8_16 ".8byte 0x00000010fff80a7a;"
#define ST_W_FP4_16 ".8byte 0x00000010fffc0a62;"
#define ST_W_R1_0 ".8byte 0x0000000000000162;"
/* *(u64 *)(r10 - 8) = 0, *(u32 *)(r1 + 8) = 5 (skb->mark) */
#define ST_DW_FP8_0 ".8byte 0x00000000fff80a7a;"
#define ST_W_R1_8_5 ".8byte 0x0000000500080162;"

/* XDP metadata */
#if CASE == 0 /* meta_data_ge_meta8 accepted xdp: data >= data_meta + 8 (data on the left), then a u64 read of the metadata */
NAKED("xdp") { asm volatile (META "r4 = r2; r4 += 8; if r3 >= r4 goto l1_%=; r0 = 1; exit; l1_%=: r0 = *(u64 *)(r2 + 0); r0 = 2; exit;" :: METAOPS : "memory"); }
#elif CASE == 2 /* meta_vs_data_plus_4 refused xdp: data_meta + 4 checked against data + 4 (not data itself) gives no range */
NAKED("xdp") { asm volatile (META "r3 += 4; r4 = r2; r4 += 4; if r4 > r3 goto l0_%=; r0 = *(u32 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: METAOPS : "memory"); }
#elif CASE == 4 /* meta_var_off_checked accepted xdp: data_meta + (x & 7), then + 1 checked against data */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r1 = r6;" META "r0 &= 7; r2 += r0; r4 = r2; r4 += 1; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: METAOPS : "memory"); }
#elif CASE == 7 /* meta_check_no_data_range refused xdp: a metadata check says nothing about the packet: data read unchecked */
NAKED("xdp") { asm volatile (META "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r3 + 0); l0_%=: r0 = 2; exit;" :: METAOPS : "memory"); }
#elif CASE == 9 /* tc_meta_checked accepted tc: skb->data_meta + 4 <= skb->data, u32 read */
NAKED("tc") { asm volatile ("r2 = *(u32 *)(r1 + %[data_meta]); r3 = *(u32 *)(r1 + %[data]); r4 = r2; r4 += 4; if r4 > r3 goto l0_%=; r0 = *(u32 *)(r2 + 0); l0_%=: r0 = 0; exit;" :: SO(data_meta), SO(data) : "memory"); }
#elif CASE == 11 /* meta_adjust_unknown_delta accepted xdp: bpf_xdp_adjust_meta by -(x & 60), reload, check, read (upstream accepts; the recording kernel build refuses the helper, a known build difference) */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r2 = r0; r2 &= 60; r2 = -r2; r1 = r6; call %[xdp_adjust_meta]; r1 = r6;" META "r4 = r2; r4 += 4; if r4 > r3 goto l0_%=; r0 = *(u32 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: METAOPS : "memory"); }
/* spills and fills */
#elif CASE == 12 /* spill64_fill32_low_const accepted xdp: a spilled constant 16 filled as its low u32 is still 16 */
NAKED("xdp") { asm volatile ("r1 = 16; *(u64 *)(r10 - 8) = r1; r2 = *(u32 *)(r10 - 8);" IDX("r2") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 15 /* spill64_zero_fill8_high accepted xdp: any byte of a spilled zero is zero */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; r2 = *(u8 *)(r10 - 3);" IDX("r2") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 17 /* spill32_fill16_low_const accepted xdp: a 4-byte spill filled as its low 2 bytes */
NAKED("xdp") { asm volatile ("r1 = 16; *(u32 *)(r10 - 8) = r1; r2 = *(u16 *)(r10 - 8);" IDX("r2") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 18 /* spill16_fill32_unknown refused xdp: a 2-byte spill filled as 4 bytes mixes in unwritten bytes */
NAKED("xdp") { asm volatile ("r1 = 16; *(u16 *)(r10 - 8) = r1; r2 = *(u32 *)(r10 - 8);" IDX("r2") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 19 /* st_imm64_fill_const accepted xdp: BPF_ST of 16 into a slot, filled as a constant */
NAKED("xdp") { asm volatile (ST_DW_FP8_16 "r2 = *(u64 *)(r10 - 8);" IDX("r2") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 20 /* st_imm32_mid_slot_unknown refused xdp: BPF_ST of 16 at fp - 4 (not a slot start) is not tracked */
NAKED("xdp") { asm volatile (ST_W_FP4_16 "r2 = *(u32 *)(r10 - 4);" IDX("r2") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 21 /* zero_spill_then_zero_half_fill64 refused xdp: a zero u32 spill at fp - 8, zero u32 at fp - 4, u64 fill is not known zero */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 8) = r1; *(u32 *)(r10 - 4) = r1; r2 = *(u64 *)(r10 - 8);" IDX("r2") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 23 /* zero_bytes_fill64 refused xdp: eight zero bytes stored one by one: the first, at the slot start, is a 1-byte spill the next stores turn into misc, so the u64 fill is not known zero */
NAKED("xdp") { asm volatile ("r1 = 0; *(u8 *)(r10 - 8) = r1; *(u8 *)(r10 - 7) = r1; *(u8 *)(r10 - 6) = r1; *(u8 *)(r10 - 5) = r1; *(u8 *)(r10 - 4) = r1; *(u8 *)(r10 - 3) = r1; *(u8 *)(r10 - 2) = r1; *(u8 *)(r10 - 1) = r1; r2 = *(u64 *)(r10 - 8);" IDX("r2") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 24 /* spill_ptr_overwrite_low_u32 refused xdp: a u32 scalar over the low half of a spilled map value pointer, u64 fill, deref */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 16) = r0; r1 = 0; *(u32 *)(r10 - 16) = r1; r2 = *(u64 *)(r10 - 16); r0 = *(u64 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 27 /* spill_then_check_original accepted xdp: a scalar spilled, the register bounded after the spill, the fill has the bounds too */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; *(u64 *)(r10 - 8) = r0; if r0 > 48 goto l0_%=; r2 = *(u64 *)(r10 - 8);" IDX("r2") "l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 28 /* spill32_narrowing_unlinked refused xdp: a 64-bit unknown spilled as 4 bytes: bounding the register later does not bound the fill */
NAKED("xdp") { asm volatile ("call %[ktime_get_ns]; *(u32 *)(r10 - 8) = r0; if r0 > 48 goto l0_%=; r2 = *(u32 *)(r10 - 8);" IDX("r2") "l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 29 /* spill32_fits_linked accepted xdp: a 16-bit value spilled as 4 bytes stays linked: bounding the register bounds the fill */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 0xffff; *(u32 *)(r10 - 8) = r0; if r0 > 48 goto l0_%=; r2 = *(u32 *)(r10 - 8);" IDX("r2") "l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 30 /* spilled_index_into_value accepted xdp: (x & 56) spilled across a lookup, filled, added to a 64-byte value, u64 read */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 56; *(u64 *)(r10 - 16) = r0;" LOOKUP(big, 1) "if r0 == 0 goto l0_%=; r2 = *(u64 *)(r10 - 16); r0 += r2; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 31 /* spilled_index_into_value_too_wide refused xdp: (x & 63) the same way: a u64 read may pass the value's end */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 63; *(u64 *)(r10 - 16) = r0;" LOOKUP(big, 1) "if r0 == 0 goto l0_%=; r2 = *(u64 *)(r10 - 16); r0 += r2; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
/* the stack: variable offsets, the frame's bounds */
#elif CASE == 32 /* var_off_read_uninit_priv accepted xdp: a variable-offset u64 read of never written slots (root) */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 8; r1 = r10; r1 += -32; r1 += r0; r0 = *(u64 *)(r1 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 33 /* var_off_write_erases_spill refused xdp: a variable-offset write over a spilled ctx makes its fill a scalar */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 16) = r1; call %[get_prandom_u32]; r0 &= 8; r2 = r10; r2 += -16; r2 += r0; r3 = 1; *(u64 *)(r2 + 0) = r3; r2 = *(u64 *)(r10 - 16); r0 = *(u32 *)(r2 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 34 /* var_off_write_spares_other_slot accepted xdp: the spilled ctx lies outside the variable write's range */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 24) = r1; call %[get_prandom_u32]; r0 &= 8; r2 = r10; r2 += -16; r2 += r0; r3 = 1; *(u64 *)(r2 + 0) = r3; r2 = *(u64 *)(r10 - 24); r0 = *(u32 *)(r2 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 35 /* fp_var_below_512 refused xdp: fp - 520 + (x & 8): the lowest access is below the stack */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 8; r1 = r10; r1 += -520; r1 += r0; r2 = 0; *(u64 *)(r1 + 0) = r2; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 42 /* probe_read_var_off_dst accepted xdp: bpf_probe_read_kernel into fp - 24 + (x & 8), 16 bytes */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 8; r1 = r10; r1 += -24; r1 += r0; r2 = 16; r3 = 0; call %[probe_read_kernel]; r0 = 2; exit;" :: OPS : "memory"); }
/* helpers with a memory and a size */
#elif CASE == 43 /* probe_read_size_masked_too_big refused xdp: a 32-byte stack buffer, size x & 63 */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r2 = r0; r2 &= 63; r1 = r10; r1 += -32; r3 = 0; call %[probe_read_kernel]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 45 /* probe_read_size_signed_check refused xdp: a 64-bit unknown size checked s<= 32 may be negative */
NAKED("xdp") { asm volatile ("call %[ktime_get_ns]; r2 = r0; if r2 s> 32 goto l0_%=; r1 = r10; r1 += -32; r3 = 0; call %[probe_read_kernel]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 47 /* csum_diff_var_size_too_big refused xdp: 16 stack bytes, size x & 28 */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r2 = r0; r2 &= 28; r1 = r10; r1 += -16; r3 = 0; r4 = 0; r5 = 0; call %[csum_diff]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 49 /* csum_diff_pkt_var_size accepted xdp: 16 checked packet bytes, size x & 15 */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r7 = r0; r7 &= 15; r1 = r6;" PKT "r4 = r2; r4 += 16; if r4 > r3 goto l0_%=; r1 = r2; r2 = r7; r3 = 0; r4 = 0; r5 = 0; call %[csum_diff]; l0_%=: r0 = 2; exit;" :: OPS, XO(data), XO(data_end) : "memory"); }
#elif CASE == 53 /* ringbuf_output_unbounded refused xdp: an unbounded u32 size */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; w3 = w0; r1 = %[rb] ll; r2 = r10; r2 += -8; r4 = 0; call %[ringbuf_output]; r0 = 2; exit;" :: OPS : "memory"); }
/* map values */
#elif CASE == 60 /* mv_add_u32_unknown_deref refused xdp: value + a zero-extended unknown u32 may be added, not dereferenced */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r6 = r0; call %[get_prandom_u32]; w0 = w0; r6 += r0; r0 = *(u8 *)(r6 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 61 /* mv_add_s64_unknown refused xdp: value + a 64-bit unknown (no lower bound) is refused at the add */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r6 = r0; call %[ktime_get_ns]; r6 += r0; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 62 /* mv_eq_nonnull_marks accepted xdp: a maybe-NULL value equal to a checked one is not NULL */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(h, 1) "if r0 == r6 goto l1_%=; r0 = 2; exit; l1_%=: r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 63 /* mv_eq_two_maybe_null refused xdp: two maybe-NULL values equal: both may still be NULL */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "r6 = r0;" LOOKUP(h, 1) "if r0 == r6 goto l1_%=; r0 = 2; exit; l1_%=: r0 = *(u64 *)(r0 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 66 /* mv_null_check_jmp32 refused xdp: a 32-bit compare with 0 does not null-check the pointer */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if w0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 67 /* mv_rdonly_prog_read accepted xdp: reading a BPF_F_RDONLY_PROG map's value */
NAKED("xdp") { asm volatile (LOOKUP(ro, 0) "if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 8); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 68 /* mv_rdonly_prog_write refused xdp: storing into a BPF_F_RDONLY_PROG map's value */
NAKED("xdp") { asm volatile (LOOKUP(ro, 0) "if r0 == 0 goto l0_%=; r1 = 1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 69 /* mv_rdonly_prog_helper_dst refused xdp: a BPF_F_RDONLY_PROG value as bpf_probe_read_kernel's destination */
NAKED("xdp") { asm volatile (LOOKUP(ro, 0) "if r0 == 0 goto l0_%=; r1 = r0; r2 = 8; r3 = 0; call %[probe_read_kernel]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 72 /* c_value_array_masked accepted xdp: a value's u32 array indexed by rx_queue_index & 15 */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct arrval *v = bpf_map_lookup_elem(&av, &k);
	if (!v)
		return XDP_PASS;
	v->arr[ctx->rx_queue_index & 15] += 1;
	return XDP_PASS;
}
#elif CASE == 73 /* c_value_array_unchecked refused xdp: the same array indexed by rx_queue_index unchecked */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct arrval *v = bpf_map_lookup_elem(&av, &k);
	if (!v)
		return XDP_PASS;
	v->arr[ctx->rx_queue_index] += 1;
	return XDP_PASS;
}
/* legacy packet loads (LD_ABS, LD_IND) */
#elif CASE == 74 /* ldabs_u8 accepted socket: r6 = ctx, r0 = skb[12] */
NAKED("socket") { asm volatile ("r6 = r1; r0 = *(u8 *)skb[12]; exit;" ::: "memory"); }
#elif CASE == 75 /* ldabs_in_xdp refused xdp: LD_ABS is for socket buffers only */
NAKED("xdp") { asm volatile ("r6 = r1; r0 = *(u8 *)skb[12]; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 76 /* ldabs_r6_not_ctx refused socket: r6 holds the frame pointer */
NAKED("socket") { asm volatile ("r6 = r10; r0 = *(u16 *)skb[12]; exit;" ::: "memory"); }
#elif CASE == 77 /* ldabs_clobbers_r2 refused socket: r1-r5 are scratched by LD_ABS */
NAKED("socket") { asm volatile ("r6 = r1; r2 = 1; r0 = *(u32 *)skb[12]; r0 = r2; exit;" ::: "memory"); }
#elif CASE == 79 /* ldind_uninit_src refused socket: LD_IND with an unwritten index register */
NAKED("socket") { asm volatile ("r6 = r1; r0 = *(u16 *)skb[r8]; exit;" ::: "memory"); }
#elif CASE == 80 /* ldind_ok accepted socket: LD_IND with r7 = 14 */
NAKED("socket") { asm volatile ("r6 = r1; r7 = 14; r0 = *(u32 *)skb[r7]; exit;" ::: "memory"); }
#elif CASE == 81 /* ldabs_r6_ctx_plus_8 refused socket: r6 is ctx + 8 */
NAKED("socket") { asm volatile ("r6 = r1; r6 += 8; r0 = *(u8 *)skb[12]; exit;" ::: "memory"); }
#elif CASE == 82 /* ldabs_tc accepted tc: LD_ABS from a tc program */
NAKED("tc") { asm volatile ("r6 = r1; r0 = *(u16 *)skb[12]; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 84 /* ldind_pointer_index accepted socket: LD_IND with a pointer as the index (root) */
NAKED("socket") { asm volatile ("r6 = r1; r7 = r10; r0 = *(u8 *)skb[r7]; exit;" ::: "memory"); }
/* ring buffer reservations */
#elif CASE == 85 /* rb_reserve_zero_discard accepted xdp: a 0-byte reservation discarded */
NAKED("xdp") { asm volatile ("r1 = %[rb] ll; r2 = 0; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; call %[ringbuf_discard]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 86 /* rb_reserve_zero_write refused xdp: writing a byte into a 0-byte reservation */
NAKED("xdp") { asm volatile ("r1 = %[rb] ll; r2 = 0; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r1 = 1; *(u8 *)(r0 + 0) = r1; r1 = r0; r2 = 0; call %[ringbuf_discard]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 88 /* rb_submit_then_discard refused xdp: discarding what was submitted */
NAKED("xdp") { asm volatile ("r1 = %[rb] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r6 = r0; r1 = r6; r2 = 0; call %[ringbuf_submit]; r1 = r6; r2 = 0; call %[ringbuf_discard]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 93 /* rb_reserve_helper_dst_too_long refused xdp: 32 bytes into a 16-byte reservation */
NAKED("xdp") { asm volatile ("r1 = %[rb] ll; r2 = 16; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r6 = r0; r1 = r6; r2 = 32; r3 = 0; call %[probe_read_kernel]; r1 = r6; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
/* loops */
#elif CASE == 96 /* loop_stack_counter_mid_slot refused xdp: a u32 counter at fp - 4 is not tracked, so the loop never ends */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; l1_%=: r1 = *(u32 *)(r10 - 4); r1 += 1; *(u32 *)(r10 - 4) = r1; if r1 < 10 goto l1_%=; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 97 /* loop_until_packet_byte refused xdp: looping on the same packet byte until it changes */
NAKED("xdp") { asm volatile (PKT "l1_%=: r4 = r2; r4 += 1; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 0); if r0 != 0 goto l1_%=; l0_%=: r0 = 2; exit;" :: XO(data), XO(data_end) : "memory"); }
#elif CASE == 98 /* c_packet_walk accepted xdp: walk up to 64 packet bytes until a zero, each checked */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	int i;
	for (i = 0; i < 64; i++) {
		if (p + 1 > end || *p == 0)
			break;
		p++;
	}
	return i == 7 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 99 /* c_nested_loops accepted xdp: 8 x 8 nested loops summing packet-independent values, not unrolled */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 s = ctx->rx_queue_index;
	int i, j;
#pragma clang loop unroll(disable)
	for (i = 0; i < 8; i++)
#pragma clang loop unroll(disable)
		for (j = 0; j < 8; j++)
			s = s * 31 + (i ^ j);
	return s & 1 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 100 /* bpf_loop_unknown_count accepted xdp: bpf_loop's count may be any value */
SUB(cb_zero) { asm volatile ("r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r1 = r0; r2 = cb_zero ll; r3 = 0; r4 = 0; call %[loop]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 101 /* bpf_loop_cb_null_ctx_deref refused xdp: the callback reads through a NULL ctx */
SUB(cb_deref) { asm volatile ("r0 = *(u64 *)(r2 + 0); r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 4; r2 = cb_deref ll; r3 = 0; r4 = 0; call %[loop]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 102 /* bpf_loop_cb_reads_r3 refused xdp: a bpf_loop callback has two arguments: r3 is not set */
SUB(cb_r3) { asm volatile ("r0 = r3; r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = 4; r2 = cb_r3 ll; r3 = 0; r4 = 0; call %[loop]; r0 = 2; exit;" :: OPS : "memory"); }
/* the context */
#elif CASE == 104 /* xdp_st_imm_ctx refused xdp: BPF_ST into the context */
NAKED("xdp") { asm volatile (ST_W_R1_0 "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 106 /* xdp_ctx_add_sub_back accepted xdp: ctx + 4 - 4 is ctx again and may be read */
NAKED("xdp") { asm volatile ("r1 += 4; r1 += -4; r0 = *(u32 *)(r1 + %[data]); r0 = 2; exit;" :: XO(data) : "memory"); }
#elif CASE == 114 /* tc_write_ifindex refused tc: skb->ifindex is read only */
NAKED("tc") { asm volatile ("r2 = 1; *(u32 *)(r1 + %[ifindex]) = r2; r0 = 0; exit;" :: SO(ifindex) : "memory"); }
/* more spills, zero slots, and the rest */
#elif CASE == 116 /* st_imm_zero_fill8 accepted xdp: BPF_ST of 0 into a slot: any byte of it fills as 0 */
NAKED("xdp") { asm volatile (ST_DW_FP8_0 "r2 = *(u8 *)(r10 - 5);" IDX("r2") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 117 /* spill_scrubbed_by_byte refused xdp: a zero byte over a spilled 16 turns the slot to misc: its low u32 fill is unknown */
NAKED("xdp") { asm volatile ("r1 = 16; *(u64 *)(r10 - 8) = r1; r1 = 0; *(u8 *)(r10 - 1) = r1; r2 = *(u32 *)(r10 - 8);" IDX("r2") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 118 /* fill8_of_u8_value_linked accepted xdp: an 8-bit value spilled as u64, filled as u8, stays linked: bounding the register bounds the fill */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 255; *(u64 *)(r10 - 8) = r0; r2 = *(u8 *)(r10 - 8); if r0 > 48 goto l0_%=;" IDX("r2") "l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 119 /* fill8_of_9bit_value_unlinked refused xdp: a 9-bit value filled as u8 loses the link: the fill stays 0..255 */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 511; *(u64 *)(r10 - 8) = r0; r2 = *(u8 *)(r10 - 8); if r0 > 48 goto l0_%=;" IDX("r2") "l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 120 /* var_off_zero_write_keeps_zero_spill accepted xdp: a variable-offset zero store over spilled zeros leaves them zero */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 8) = r1; call %[get_prandom_u32]; r0 &= 8; r1 = r10; r1 += -16; r1 += r0; r2 = 0; *(u64 *)(r1 + 0) = r2; r2 = *(u64 *)(r10 - 16);" IDX("r2") "r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 121 /* ldabs_in_void_subprog refused socket: LD_ABS in a static subprogram whose BTF says it returns void (a naked function) */
SUB(ld_sub) { asm volatile ("r6 = r1; r0 = *(u8 *)skb[12]; exit;" ::: "memory"); }
NAKED("socket") { asm volatile ("call ld_sub; exit;" ::: "memory"); }
#elif CASE == 124 /* c_ldabs_in_int_subprog accepted socket: LD_ABS (llvm.bpf.load.byte) in a static noinline C function returning int */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
static __attribute__((noinline)) int proto_byte(struct __sk_buff *skb) { return load_byte(skb, 12); }
SEC("socket") int prog(struct __sk_buff *skb) { return proto_byte(skb) == 8 ? skb->len : 0; }
#elif CASE == 122 /* rb_reserve_size_from_spill accepted xdp: the reservation size a constant filled from the stack */
NAKED("xdp") { asm volatile ("r1 = 16; *(u64 *)(r10 - 8) = r1; r2 = *(u64 *)(r10 - 8); r1 = %[rb] ll; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 123 /* tc_st_imm_mark accepted tc: BPF_ST of 5 into skb->mark */
NAKED("tc") { asm volatile (ST_W_R1_8_5 "r0 = 0; exit;" ::: "memory"); }
#elif CASE == 125 /* linked_reg_plus_const accepted xdp: r1 = r0 + 4 stays linked to r0: bounding r0 <= 40 bounds r1 <= 44 */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r1 = r0; r1 += 4; if r0 > 40 goto l0_%=;" IDX("r1") "l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 126 /* linked_reg_plus_const_alu32 refused xdp: w1 += 4 (32-bit) breaks the link: r1 is not bounded by r0's check */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r1 = r0; w1 += 4; if r0 > 40 goto l0_%=;" IDX("r1") "l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 127 /* ldabs_u8_result_unbounded refused socket: LD_ABS leaves r0 an unknown scalar, even for a byte */
NAKED("socket") { asm volatile ("r6 = r1; r0 = *(u8 *)skb[12];" IDX("r0") "r0 = 0; exit;" ::: "memory"); }
#elif CASE == 128 /* ldabs_with_reference_held refused socket: LD_ABS while a ring buffer reservation is held */
NAKED("socket") { asm volatile ("r6 = r1; r1 = %[rb] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r7 = r0; r0 = *(u8 *)skb[12]; r1 = r7; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 0; exit;" :: OPS : "memory"); }
#elif CASE == 129 /* socket_read_sk accepted socket: a socket filter reads skb->sk (u64) and null-checks it */
NAKED("socket") { asm volatile ("r2 = *(u64 *)(r1 + %[sk]); if r2 == 0 goto l0_%=; r0 = *(u32 *)(r2 + %[family]); l0_%=: r0 = 0; exit;" :: SO(sk), OFF(family, struct bpf_sock, family) : "memory"); }
#elif CASE == 130 /* pkt_check_jmp32 refused xdp: a 32-bit compare of data + 8 with data_end gives no range */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 8; if w4 > w3 goto l0_%=; r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: XO(data), XO(data_end) : "memory"); }
#elif CASE == 131 /* mv_null_check_via_zero_reg refused xdp: if r0 == r1 where r1 = 0 is no null check (only a compare with the immediate 0 is) */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "r1 = 0; if r0 == r1 goto l0_%=; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 132 /* loop_stack_counter_u32_slot accepted xdp: a u32 counter at fp - 8 (a slot start) is tracked, 10 iterations */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 8) = r1; l1_%=: r1 = *(u32 *)(r10 - 8); r1 += 1; *(u32 *)(r10 - 8) = r1; if r1 < 10 goto l1_%=; r0 = 2; exit;" ::: "memory"); }
#endif
