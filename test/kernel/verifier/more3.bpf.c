/* SPDX-License-Identifier: MIT */
/* Yet more: XDP multi-buffer helpers (bpf_xdp_get_buff_len, bpf_xdp_load_bytes/store_bytes with
 * constant, bounded, unbounded, zero and negative sizes, stack buffers partly written or too small,
 * map values as buffers, xdp.frags programs), packet pointers across head/tail adjustment, XDP
 * dynptrs (read/write sizes, slices, adjust/clone/is_null/is_rdonly, dynptrs in static
 * subprograms), ring buffer dynptrs, open-coded iterators, socket filter __sk_buff fields and the
 * skb->sk pointer, skb loads and LD_ABS/LD_IND next to calls, and tc packet-changing helpers.
 * Written for uxdp. */
#include "verifier.h"
#include "bpf_kfuncs.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64[2]);
} a SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__type(key, __u32);
	__type(value, __u64[2]);
} ro SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)));
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

#define XO(f) OFF(f, struct xdp_md, f)
#define SO(f) OFF(f, struct __sk_buff, f)
#define KO(f) OFF(k_##f, struct bpf_sock, f)
#define OPS ADDR(a), ADDR(ro), ADDR(rb), IMM(map_lookup_elem), IMM(get_prandom_u32), IMM(xdp_get_buff_len), IMM(xdp_load_bytes), IMM(xdp_store_bytes), IMM(xdp_adjust_head), IMM(xdp_adjust_tail), XO(data), XO(data_end)
#define SOPS ADDR(a), IMM(map_lookup_elem), IMM(get_prandom_u32), IMM(skb_load_bytes), IMM(skb_load_bytes_relative), IMM(skb_store_bytes), IMM(l3_csum_replace), IMM(l4_csum_replace), IMM(skb_pull_data), IMM(skb_change_tail), IMM(get_socket_cookie), IMM(get_socket_uid), IMM(sk_fullsock), SO(data), SO(data_end), SO(data_meta), SO(cb), SO(mark), SO(priority), SO(len), SO(protocol), SO(pkt_type), SO(ifindex), SO(hash), SO(sk), SO(family), SO(tstamp), SO(tc_index), KO(family), KO(type), KO(mark), KO(src_port)

/* r0 = bpf_map_lookup_elem(&MAP, &(u32)KEY) */
#define LOOKUP(map, key) "r1 = " #key "; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[" #map "] ll; call %[map_lookup_elem];"
/* r2 = data, r3 = data_end (r1 the XDP context) */
#define PKT "r2 = *(u32 *)(r1 + %[data]); r3 = *(u32 *)(r1 + %[data_end]);"
/* r2 = data, r3 = data_end (r1 the __sk_buff) */
#define SPKT "r2 = *(u32 *)(r1 + %[data]); r3 = *(u32 *)(r1 + %[data_end]);"
/* r6 = ctx, r2 = data checked for 8 bytes (goto l0_%= if not) */
#define PKT8 "r6 = r1;" PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=;"
/* bpf_xdp_load_bytes(r6 ctx, OFF, fp - 8, LEN) */
#define XLOAD(off, len) "r1 = r6; r2 = " #off "; r3 = r10; r3 += -8; r4 = " #len "; call %[xdp_load_bytes];"

/* the multi-buffer helpers */
#if CASE == 0 /* buff_len_xdp accepted xdp: bpf_xdp_get_buff_len of the context, its result returned masked */
NAKED("xdp") { asm volatile ("call %[xdp_get_buff_len]; r0 &= 3; exit;" :: OPS : "memory"); }
#elif CASE == 3 /* buff_len_as_load_size refused xdp: the whole buffer length as bpf_xdp_load_bytes' size */
NAKED("xdp") { asm volatile ("r6 = r1; call %[xdp_get_buff_len]; r1 = r6; r2 = 0; r3 = r10; r3 += -8; r4 = r0; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 4 /* buff_len_clamped_size accepted xdp: the buffer length clamped to 1..8 as the size */
NAKED("xdp") { asm volatile ("r6 = r1; call %[xdp_get_buff_len]; if r0 > 8 goto l0_%=; if r0 == 0 goto l0_%=; r1 = r6; r2 = 0; r3 = r10; r3 += -8; r4 = r0; call %[xdp_load_bytes]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 5 /* xload_uninit_buffer accepted xdp: bpf_xdp_load_bytes into 8 stack bytes never written */
NAKED("xdp") { asm volatile ("r6 = r1;" XLOAD(0, 8) "r0 = *(u64 *)(r10 - 8); r0 &= 1; r0 += 1; exit;" :: OPS : "memory"); }
#elif CASE == 6 /* xload_buffer_too_small refused xdp: 8 bytes into fp - 4 */
NAKED("xdp") { asm volatile ("r6 = r1; r1 = r6; r2 = 0; r3 = r10; r3 += -4; r4 = 8; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 14 /* xload_var_stack_buffer accepted xdp: the buffer at a variable stack offset (fp - 16 or fp - 8), bounded */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r0 &= 8; r3 = r10; r3 += -16; r3 += r0; r1 = r6; r2 = 0; r4 = 8; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 16 /* xload_array_const_key_unchecked accepted xdp: an array lookup with a constant key in range cannot fail, its result is the buffer without a NULL check */
NAKED("xdp") { asm volatile ("r6 = r1;" LOOKUP(a, 0) "r1 = r6; r2 = 0; r3 = r0; r4 = 16; call %[xdp_load_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 18 /* xload_rdonly_map_value refused xdp: bpf_xdp_load_bytes writing into a map the program may only read */
NAKED("xdp") { asm volatile ("r6 = r1;" LOOKUP(ro, 0) "if r0 == 0 goto l0_%=; r1 = r6; r2 = 0; r3 = r0; r4 = 8; call %[xdp_load_bytes]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 19 /* xload_into_packet refused xdp: bpf_xdp_load_bytes may not write into the packet (no packet access for this helper) */
NAKED("xdp") { asm volatile (PKT8 "r1 = r6; r3 = r2; r2 = 0; r4 = 8; call %[xdp_load_bytes]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 21 /* xstore_uninit_buffer accepted xdp: bpf_xdp_store_bytes from 8 stack bytes never written (a privileged program may read uninitialised stack) */
NAKED("xdp") { asm volatile ("r6 = r1; r1 = r6; r2 = 0; r3 = r10; r3 += -8; r4 = 8; call %[xdp_store_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 22 /* xstore_half_written_buffer accepted xdp: 8 bytes stored from a buffer whose upper 4 were written (uninitialised stack is readable when privileged) */
NAKED("xdp") { asm volatile ("r6 = r1; r1 = 0; *(u32 *)(r10 - 4) = r1; r1 = r6; r2 = 0; r3 = r10; r3 += -8; r4 = 8; call %[xdp_store_bytes]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 24 /* xstore_from_rdonly_map accepted xdp: bpf_xdp_store_bytes only reads its buffer, a read-only map value will do */
NAKED("xdp") { asm volatile ("r6 = r1;" LOOKUP(ro, 0) "if r0 == 0 goto l0_%=; r1 = r6; r2 = 0; r3 = r0; r4 = 16; call %[xdp_store_bytes]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 140 /* xstore_from_packet refused xdp: bpf_xdp_store_bytes may not read its source from the packet either */
NAKED("xdp") { asm volatile (PKT8 "r1 = r6; r3 = r2; r2 = 8; r4 = 8; call %[xdp_store_bytes]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 146 /* xload_over_dynptr refused xdp: bpf_xdp_load_bytes writes 16 bytes from fp - 24 over a ring buffer dynptr at fp - 16 */
NAKED("xdp") { asm volatile ("r6 = r1; r1 = %[rb] ll; r2 = 8; r3 = 0; r4 = r10; r4 += -16; call %[ringbuf_reserve_dynptr]; r1 = r6; r2 = 0; r3 = r10; r3 += -24; r4 = 16; call %[xdp_load_bytes]; r1 = r10; r1 += -16; r2 = 0; call %[ringbuf_discard_dynptr]; r0 = 2; exit;" :: OPS, IMM(ringbuf_reserve_dynptr), IMM(ringbuf_discard_dynptr) : "memory"); }
#elif CASE == 147 /* xstore_reads_dynptr_slots refused xdp: bpf_xdp_store_bytes reads 16 bytes from fp - 24, half of them a ring buffer dynptr's slot */
NAKED("xdp") { asm volatile ("r6 = r1; r1 = %[rb] ll; r2 = 8; r3 = 0; r4 = r10; r4 += -16; call %[ringbuf_reserve_dynptr]; r1 = 0; *(u64 *)(r10 - 24) = r1; r1 = r6; r2 = 0; r3 = r10; r3 += -24; r4 = 16; call %[xdp_store_bytes]; r1 = r10; r1 += -16; r2 = 0; call %[ringbuf_discard_dynptr]; r0 = 2; exit;" :: OPS, IMM(ringbuf_reserve_dynptr), IMM(ringbuf_discard_dynptr) : "memory"); }
#elif CASE == 148 /* xdp_lookup_pkt_key accepted xdp: a map lookup whose key is 4 checked packet bytes */
NAKED("xdp") { asm volatile (PKT8 "r1 = %[a] ll; call %[map_lookup_elem]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 149 /* xdp_ringbuf_output_from_packet refused xdp: bpf_ringbuf_output may not read from the packet */
NAKED("xdp") { asm volatile (PKT8 "r1 = %[rb] ll; r3 = 8; r4 = 0; call %[ringbuf_output]; l0_%=: r0 = 2; exit;" :: OPS, IMM(ringbuf_output) : "memory"); }
#elif CASE == 27 /* tail_stale_data refused xdp: a packet pointer checked before bpf_xdp_adjust_tail, read after */
NAKED("xdp") { asm volatile (PKT8 "r7 = r2; r1 = r6; r2 = -4; call %[xdp_adjust_tail]; r0 = *(u8 *)(r7 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 28 /* tail_rederived accepted xdp: data and data_end reloaded and checked again after bpf_xdp_adjust_tail */
NAKED("xdp") { asm volatile ("r6 = r1; r2 = -4; call %[xdp_adjust_tail]; r1 = r6;" PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 7); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 29 /* head_rederived_unchecked refused xdp: data reloaded after bpf_xdp_adjust_head but not checked against data_end */
NAKED("xdp") { asm volatile ("r6 = r1; r2 = 14; call %[xdp_adjust_head]; r2 = *(u32 *)(r6 + %[data]); r0 = *(u8 *)(r2 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 31 /* tail_stale_on_one_path refused xdp: bpf_xdp_adjust_tail on one branch only, the old pointer read after the join */
NAKED("xdp") { asm volatile (PKT8 "r7 = r2; call %[get_prandom_u32]; if r0 == 0 goto l1_%=; r1 = r6; r2 = -4; call %[xdp_adjust_tail]; l1_%=: r0 = *(u8 *)(r7 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 32 /* get_buff_len_keeps_range accepted xdp: bpf_xdp_get_buff_len does not change the packet, the checked pointer stays good */
NAKED("xdp") { asm volatile (PKT8 "r7 = r2; r1 = r6; call %[xdp_get_buff_len]; r0 = *(u8 *)(r7 + 7); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 34 /* frags_prog_c accepted xdp: an xdp.frags program reads the first bytes through bpf_xdp_load_bytes and checks the length */
SEC("xdp.frags") int prog(struct xdp_md *ctx)
{
	__u8 b[14];

	if (bpf_xdp_get_buff_len(ctx) < sizeof(b))
		return XDP_DROP;
	if (bpf_xdp_load_bytes(ctx, 0, b, sizeof(b)))
		return XDP_DROP;
	return b[12] == 8 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 35 /* frags_direct_access accepted xdp: an xdp.frags program may still read the linear part directly */
SEC("xdp.frags") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *e = data;

	if ((void *)(e + 1) > end)
		return XDP_DROP;
	return e->h_proto == 8 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 36 /* frags_load_past_buffer refused xdp: an xdp.frags program loads 16 bytes into a 14-byte array */
SEC("xdp.frags") int prog(struct xdp_md *ctx)
{
	__u8 b[14];
	volatile __u32 n = 16;

	if (bpf_xdp_load_bytes(ctx, 0, b, n < 16 ? n : 16))
		return XDP_DROP;
	return b[0] ? XDP_PASS : XDP_DROP;
}
/* XDP dynptrs */
#elif CASE == 38 /* dptr_read_bounded_len accepted xdp: bpf_dynptr_read of 0..8 bytes into 8 */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[8];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_read(b, bpf_get_prandom_u32() & 7, &d, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 39 /* dptr_read_len_past_buffer refused xdp: 16 bytes read into an 8-byte array */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[8];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_read(b, 16, &d, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 40 /* dptr_read_unbounded_len refused xdp: a random length for bpf_dynptr_read */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[8];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_read(b, bpf_get_prandom_u32(), &d, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 41 /* dptr_write_uninit_source accepted xdp: bpf_dynptr_write from 8 stack bytes never written (privileged: uninitialised stack is readable) */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[8];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	asm volatile ("" : : "r"(b) : "memory");
	return bpf_dynptr_write(&d, 0, b, sizeof(b), 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 141 /* dptr_read_bounded_len_over refused xdp: bpf_dynptr_read of 0..15 bytes into an 8-byte array */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[8];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_read(b, bpf_get_prandom_u32() & 15, &d, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 142 /* dptr_write_len_past_source refused xdp: bpf_dynptr_write of 16 bytes from an 8-byte array */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u64 v = 1;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_write(&d, 0, &v, 16, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 143 /* xdp_dynptr_data accepted xdp: bpf_dynptr_data of an XDP dynptr (NULL at run time), checked and read */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_data(&d, 0, 2);
	return p && p[1] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 43 /* dptr_from_xdp_flags accepted xdp: non-zero flags are refused at run time, not by the verifier */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	return bpf_dynptr_from_xdp(ctx, 5, &d) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 44 /* dptr_from_xdp_socket refused socket: bpf_dynptr_from_xdp in a socket filter */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	return bpf_dynptr_from_xdp((void *)skb, 0, &d) ? 0 : 1;
}
#elif CASE == 47 /* slice_zero_size_compared accepted xdp: a 0-byte slice with no buffer, only compared with NULL */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_slice(&d, 0, NULL, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 48 /* slice_bounded_index accepted xdp: an 8-byte slice read at a random index masked to 0..7 */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[8], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_PASS;
	return p[bpf_get_prandom_u32() & 7] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 49 /* slice_index_past_end refused xdp: an 8-byte slice read at a random index masked to 0..15 */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[8], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_PASS;
	return p[bpf_get_prandom_u32() & 15] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 51 /* slice_after_adjust_tail refused xdp: a slice read after bpf_xdp_adjust_tail */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_PASS;
	bpf_xdp_adjust_tail(ctx, -4);
	return *(volatile __u8 *)p ? XDP_DROP : XDP_PASS;
}
#elif CASE == 52 /* slice_after_xdp_store_bytes accepted xdp: bpf_xdp_store_bytes does not invalidate packet slices */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;
	__u32 v = 0;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_PASS;
	bpf_xdp_store_bytes(ctx, 0, &v, sizeof(v));
	return *(volatile __u8 *)p ? XDP_DROP : XDP_PASS;
}
#elif CASE == 53 /* dptr_second_slot_overwritten refused xdp: a byte written into the dynptr's second 8 bytes, then the dynptr read */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[4];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	*((volatile __u8 *)&d + 9) = 1;
	return bpf_dynptr_read(b, sizeof(b), &d, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 54 /* dptr_static_subprog accepted xdp: a dynptr passed by pointer to a static subprogram that reads from it */
static __attribute__((noinline)) int rd(struct bpf_dynptr *d)
{
	__u8 b[2];

	return bpf_dynptr_read(b, sizeof(b), d, 0, 0) ? 1 : b[1];
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return rd(&d) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 55 /* dptr_static_subprog_uninit refused xdp: a dynptr never created passed to a static subprogram that reads from it */
static __attribute__((noinline)) int rd(struct bpf_dynptr *d)
{
	__u8 b[2];

	return bpf_dynptr_read(b, sizeof(b), d, 0, 0) ? 1 : b[1];
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	return rd(&d) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 57 /* dptr_adjust_var accepted xdp: bpf_dynptr_adjust with random bounds, then a read */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[2];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	if (bpf_dynptr_adjust(&d, bpf_get_prandom_u32(), bpf_get_prandom_u32()))
		return XDP_DROP;
	return bpf_dynptr_read(b, sizeof(b), &d, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 59 /* dptr_clone_read accepted xdp: a clone of an XDP dynptr read, then a slice of the original */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d, c;
	__u8 b[2], buf[2], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	bpf_dynptr_clone(&d, &c);
	if (bpf_dynptr_read(b, sizeof(b), &c, 0, 0))
		return XDP_DROP;
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	return p && p[1] == b[1] ? XDP_PASS : XDP_DROP;
}
#elif CASE == 61 /* dptr_queries accepted xdp: bpf_dynptr_is_null, bpf_dynptr_is_rdonly and bpf_dynptr_size of an XDP dynptr */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	if (bpf_dynptr_is_null(&d) & 1)
		return XDP_ABORTED;
	if (bpf_dynptr_is_rdonly(&d) & 1)
		return XDP_DROP;
	return bpf_dynptr_size(&d) > 64 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 62 /* dptr_is_null_uninit refused xdp: bpf_dynptr_is_null of a dynptr never created */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	return bpf_dynptr_is_null(&d) & 1 ? XDP_DROP : XDP_PASS;
}
/* ring buffer dynptrs */
#elif CASE == 65 /* rbd_double_discard refused xdp: a ring buffer dynptr discarded twice */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	bpf_ringbuf_discard_dynptr(&d, 0);
	bpf_ringbuf_discard_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 66 /* rbd_read_after_submit refused xdp: bpf_dynptr_read of a ring buffer dynptr already submitted */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[4];

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	bpf_ringbuf_submit_dynptr(&d, 0);
	return bpf_dynptr_read(b, sizeof(b), &d, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 150 /* rbd_data_discard accepted xdp: bpf_dynptr_data of a ring buffer dynptr written, then the dynptr discarded */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u32 *p;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	p = bpf_dynptr_data(&d, 0, sizeof(*p));
	if (p)
		*p = 7;
	bpf_ringbuf_discard_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 68 /* rbd_data_write accepted xdp: bpf_dynptr_data of 8 bytes checked for NULL, written, submitted */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u64 *p;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	p = bpf_dynptr_data(&d, 8, sizeof(*p));
	if (p)
		*p = 7;
	bpf_ringbuf_submit_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 69 /* rbd_data_no_null_check refused xdp: bpf_dynptr_data's result written without a NULL check */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u64 *p;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	p = bpf_dynptr_data(&d, 0, sizeof(*p));
	*(volatile __u64 *)p = 7;
	bpf_ringbuf_submit_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 70 /* rbd_data_past_len refused xdp: a 4-byte bpf_dynptr_data region written as 8 bytes */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u64 *p;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	p = bpf_dynptr_data(&d, 0, 4);
	if (p)
		*(volatile __u64 *)p = 7;
	bpf_ringbuf_submit_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 71 /* rbd_data_var_len refused xdp: bpf_dynptr_data's length must be a constant */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 *p;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	p = bpf_dynptr_data(&d, 0, bpf_get_prandom_u32() & 7);
	if (p)
		*(volatile __u8 *)p = 7;
	bpf_ringbuf_submit_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 72 /* rbd_data_after_submit refused xdp: bpf_dynptr_data's region written after the dynptr was submitted */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u64 *p;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	p = bpf_dynptr_data(&d, 0, sizeof(*p));
	if (!p) {
		bpf_ringbuf_discard_dynptr(&d, 0);
		return XDP_PASS;
	}
	bpf_ringbuf_submit_dynptr(&d, 0);
	*(volatile __u64 *)p = 7;
	return XDP_PASS;
}
#elif CASE == 73 /* rbd_submit_one_branch refused xdp: the ring buffer dynptr submitted on one branch only */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	if (bpf_get_prandom_u32() & 1)
		bpf_ringbuf_submit_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 74 /* rbd_submit_in_subprog accepted xdp: a static subprogram submits the caller's ring buffer dynptr */
static __attribute__((noinline)) void sub(struct bpf_dynptr *d)
{
	bpf_ringbuf_submit_dynptr(d, 0);
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	sub(&d);
	return XDP_PASS;
}
/* open-coded iterators */
#elif CASE == 78 /* iter_next_after_destroy refused xdp: bpf_iter_num_next after bpf_iter_num_destroy */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	int *v;

	bpf_iter_num_new(&it, 0, 4);
	bpf_iter_num_destroy(&it);
	v = bpf_iter_num_next(&it);
	return v ? XDP_DROP : XDP_PASS;
}
#elif CASE == 79 /* iter_double_destroy refused xdp: bpf_iter_num_destroy twice */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;

	bpf_iter_num_new(&it, 0, 4);
	bpf_iter_num_destroy(&it);
	bpf_iter_num_destroy(&it);
	return XDP_PASS;
}
#elif CASE == 80 /* iter_destroy_one_branch refused xdp: the iterator destroyed on one branch only */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;

	bpf_iter_num_new(&it, 0, 4);
	if (bpf_get_prandom_u32() & 1)
		bpf_iter_num_destroy(&it);
	return XDP_PASS;
}
#elif CASE == 81 /* iter_value_checked_index accepted xdp: next()'s value checked below 2 before indexing a 2-element map value */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	__u32 k = 0;
	__u64 *val = bpf_map_lookup_elem(&a, &k);
	int *v;

	if (!val)
		return XDP_PASS;
	bpf_iter_num_new(&it, 0, 2);
	while ((v = bpf_iter_num_next(&it))) {
		if (*v >= 0 && *v < 2)
			val[*v] += 1;
	}
	bpf_iter_num_destroy(&it);
	return XDP_PASS;
}
#elif CASE == 82 /* iter_value_unchecked_index refused xdp: next()'s value used as an index though the iterator's range is not the value's */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	__u32 k = 0;
	__u64 *val = bpf_map_lookup_elem(&a, &k);
	int *v;

	if (!val)
		return XDP_PASS;
	bpf_iter_num_new(&it, 0, 2);
	while ((v = bpf_iter_num_next(&it)))
		val[*v] += 1;
	bpf_iter_num_destroy(&it);
	return XDP_PASS;
}
#elif CASE == 85 /* iter_slot_overwritten refused xdp: a scalar stored over the live iterator, then destroy */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;

	bpf_iter_num_new(&it, 0, 4);
	*(volatile __u64 *)&it = 0;
	bpf_iter_num_destroy(&it);
	return XDP_PASS;
}
#elif CASE == 86 /* iter_in_static_subprog accepted xdp: a static subprogram advances the caller's iterator */
static __attribute__((noinline)) int step(struct bpf_iter_num *it)
{
	int *v = bpf_iter_num_next(it);

	return v ? *v : -1;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	int r;

	bpf_iter_num_new(&it, 0, 4);
	r = step(&it);
	bpf_iter_num_destroy(&it);
	return r > 0 ? XDP_PASS : XDP_DROP;
}
/* socket filters: __sk_buff fields by size and offset */
#elif CASE == 88 /* sf_cb_byte_read accepted socket: a byte of cb[0] at offset 3, written first */
NAKED("socket") { asm volatile ("r2 = 0; *(u32 *)(r1 + %[cb]) = r2; r0 = *(u8 *)(r1 + %[o]); exit;" :: SOPS, [o] "i"(__builtin_offsetof(struct __sk_buff, cb) + 3) : "memory"); }
#elif CASE == 90 /* sf_cb_u64_mid accepted socket: an 8-byte store and load of cb[2..3] */
NAKED("socket") { asm volatile ("r2 = 7; *(u64 *)(r1 + %[o]) = r2; r0 = *(u64 *)(r1 + %[o]); r0 &= 0; exit;" :: SOPS, [o] "i"(__builtin_offsetof(struct __sk_buff, cb[2])) : "memory"); }
#elif CASE == 91 /* sf_cb_u64_past_end refused socket: an 8-byte store to cb[4], past the cb array */
NAKED("socket") { asm volatile ("r2 = 7; *(u64 *)(r1 + %[o]) = r2; r0 = 0; exit;" :: SOPS, [o] "i"(__builtin_offsetof(struct __sk_buff, cb[4])) : "memory"); }
#elif CASE == 92 /* sf_cb_u64_misaligned refused socket: an 8-byte load of cb[1..2], 4-byte aligned only */
NAKED("socket") { asm volatile ("r0 = *(u64 *)(r1 + %[o]); r0 = 0; exit;" :: SOPS, [o] "i"(__builtin_offsetof(struct __sk_buff, cb[1])) : "memory"); }
#elif CASE == 95 /* sf_mark_write refused socket: socket filters may write cb[] only */
NAKED("socket") { asm volatile ("r2 = 1; *(u32 *)(r1 + %[mark]) = r2; r0 = 0; exit;" :: SOPS : "memory"); }
#elif CASE == 97 /* sf_len_upper_half accepted socket: a 2-byte load of len's upper half */
NAKED("socket") { asm volatile ("r0 = *(u16 *)(r1 + %[o]); exit;" :: SOPS, [o] "i"(__builtin_offsetof(struct __sk_buff, len) + 2) : "memory"); }
#elif CASE == 99 /* sf_protocol_pkt_type_bytes accepted socket: 1-byte loads of protocol and pkt_type, and of hash's top byte */
NAKED("socket") { asm volatile ("r0 = *(u8 *)(r1 + %[protocol]); r2 = *(u8 *)(r1 + %[pkt_type]); r0 += r2; r2 = *(u8 *)(r1 + %[o]); r0 += r2; exit;" :: SOPS, [o] "i"(__builtin_offsetof(struct __sk_buff, hash) + 3) : "memory"); }
#elif CASE == 101 /* sf_family_read refused socket: socket filters have no family..local_port fields */
NAKED("socket") { asm volatile ("r0 = *(u32 *)(r1 + %[family]); exit;" :: SOPS : "memory"); }
#elif CASE == 105 /* sf_sk_family accepted socket: skb->sk checked for NULL, its family read (a sock_common field) */
NAKED("socket") { asm volatile ("r1 = *(u64 *)(r1 + %[sk]); r0 = 0; if r1 == 0 goto l0_%=; r0 = *(u32 *)(r1 + %[k_family]); l0_%=: exit;" :: SOPS : "memory"); }
#elif CASE == 106 /* sf_sk_unchecked refused socket: skb->sk read without a NULL check */
NAKED("socket") { asm volatile ("r1 = *(u64 *)(r1 + %[sk]); r0 = *(u32 *)(r1 + %[k_family]); exit;" :: SOPS : "memory"); }
#elif CASE == 108 /* sf_sk_type_no_fullsock refused socket: sk->type needs a full socket, skb->sk is only sock_common */
NAKED("socket") { asm volatile ("r1 = *(u64 *)(r1 + %[sk]); r0 = 0; if r1 == 0 goto l0_%=; r0 = *(u32 *)(r1 + %[k_type]); l0_%=: exit;" :: SOPS : "memory"); }
#elif CASE == 145 /* tc_sk_dst_port_upper_half refused tc: a 2-byte load of the upper half of bpf_sock's dst_port (its zero padding) */
NAKED("tc") { asm volatile ("r1 = *(u64 *)(r1 + %[sk]); r0 = 0; if r1 == 0 goto l0_%=; r0 = *(u16 *)(r1 + %[o]); r0 = 0; l0_%=: exit;" :: SOPS, [o] "i"(__builtin_offsetof(struct bpf_sock, dst_port) + 2) : "memory"); }
#elif CASE == 109 /* tc_sk_fullsock_type accepted tc: bpf_sk_fullsock of skb->sk, checked, then sk->type and sk->mark */
NAKED("tc") { asm volatile ("r1 = *(u64 *)(r1 + %[sk]); r0 = 0; if r1 == 0 goto l0_%=; call %[sk_fullsock]; if r0 == 0 goto l0_%=; r1 = *(u32 *)(r0 + %[k_type]); r0 = *(u32 *)(r0 + %[k_mark]); r0 = 0; l0_%=: exit;" :: SOPS : "memory"); }
#elif CASE == 110 /* tc_sk_fullsock_unchecked refused tc: bpf_sk_fullsock's result read without a NULL check */
NAKED("tc") { asm volatile ("r1 = *(u64 *)(r1 + %[sk]); r0 = 0; if r1 == 0 goto l0_%=; call %[sk_fullsock]; r1 = *(u32 *)(r0 + %[k_type]); r0 = 0; l0_%=: exit;" :: SOPS : "memory"); }
#elif CASE == 111 /* tc_sk_fullsock_maybe_null_arg refused tc: skb->sk given to bpf_sk_fullsock before a NULL check */
NAKED("tc") { asm volatile ("r1 = *(u64 *)(r1 + %[sk]); call %[sk_fullsock]; r0 = 0; exit;" :: SOPS : "memory"); }
#elif CASE == 112 /* tc_sk_mark_write refused tc: a store into a full socket's mark */
NAKED("tc") { asm volatile ("r1 = *(u64 *)(r1 + %[sk]); r0 = 0; if r1 == 0 goto l0_%=; call %[sk_fullsock]; if r0 == 0 goto l0_%=; r1 = 1; *(u32 *)(r0 + %[k_mark]) = r1; r0 = 0; l0_%=: exit;" :: SOPS : "memory"); }
/* skb loads, socket cookies, LD_ABS/LD_IND next to calls */
#elif CASE == 144 /* tc_load_bytes_into_packet refused tc: bpf_skb_load_bytes may not write into the packet */
NAKED("tc") { asm volatile ("r6 = r1;" SPKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r1 = r6; r3 = r2; r2 = 0; r4 = 8; call %[skb_load_bytes]; l0_%=: r0 = 0; exit;" :: SOPS : "memory"); }
#elif CASE == 115 /* sf_load_bytes_relative_too_big refused socket: 16 bytes into fp - 8 by bpf_skb_load_bytes_relative */
NAKED("socket") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 16; r5 = 1; call %[skb_load_bytes_relative]; r0 = 0; exit;" :: SOPS : "memory"); }
#elif CASE == 120 /* sf_ldabs_after_call accepted socket: r6 = ctx survives a call, LD_ABS after it */
NAKED("socket") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r0 = *(u8 *)skb[12]; exit;" :: SOPS : "memory"); }
#elif CASE == 122 /* sf_ldabs_clobbers_r3 refused socket: r3 read after LD_ABS, which clobbers r1-r5 */
NAKED("socket") { asm volatile ("r6 = r1; r3 = 5; r0 = *(u8 *)skb[12]; r0 = r3; exit;" :: SOPS : "memory"); }
#elif CASE == 123 /* sf_ldabs_r6_not_ctx_after_call refused socket: r6 overwritten by a helper's result before LD_ABS */
NAKED("socket") { asm volatile ("call %[get_prandom_u32]; r6 = r0; r0 = *(u8 *)skb[12]; exit;" :: SOPS : "memory"); }
#elif CASE == 124 /* sf_ldabs_with_subprog accepted socket: LD_ABS in a program that also has a bpf-to-bpf call */
SUB(sfsub) { asm volatile ("r0 = 0; exit;" ::: "memory"); }
NAKED("socket") { asm volatile ("r6 = r1; call sfsub; r0 = *(u8 *)skb[12]; exit;" ::: "memory"); }
/* tc packet-changing helpers and direct access */
#elif CASE == 126 /* tc_store_bytes_stale refused tc: a checked packet pointer read after bpf_skb_store_bytes */
NAKED("tc") { asm volatile ("r6 = r1;" SPKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r7 = r2; r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = r6; r2 = 0; r3 = r10; r3 += -8; r4 = 4; r5 = 0; call %[skb_store_bytes]; r0 = *(u8 *)(r7 + 0); l0_%=: r0 = 0; exit;" :: SOPS : "memory"); }
#elif CASE == 129 /* tc_l3_csum_stale refused tc: a checked packet pointer read after bpf_l3_csum_replace */
NAKED("tc") { asm volatile ("r6 = r1;" SPKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r7 = r2; r1 = r6; r2 = 24; r3 = 0; r4 = 1; r5 = 2; call %[l3_csum_replace]; r0 = *(u8 *)(r7 + 0); l0_%=: r0 = 0; exit;" :: SOPS : "memory"); }
#elif CASE == 131 /* tc_change_tail_stale_end refused tc: data_end from before bpf_skb_change_tail in a fresh check */
NAKED("tc") { asm volatile ("r6 = r1; r7 = *(u32 *)(r1 + %[data_end]); r2 = 64; r3 = 0; call %[skb_change_tail]; r2 = *(u32 *)(r6 + %[data]); r4 = r2; r4 += 8; if r4 > r7 goto l0_%=; r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 0; exit;" :: SOPS : "memory"); }
#elif CASE == 132 /* tc_pull_rederived accepted tc: bpf_skb_pull_data of 34 bytes, then a 34-byte check and a read */
NAKED("tc") { asm volatile ("r6 = r1; r2 = 34; call %[skb_pull_data]; r1 = r6;" SPKT "r4 = r2; r4 += 34; if r4 > r3 goto l0_%=; r0 = *(u32 *)(r2 + 30); l0_%=: r0 = 0; exit;" :: SOPS : "memory"); }
#elif CASE == 136 /* tc_meta_write_checked accepted tc: a store into 4 metadata bytes checked against data */
NAKED("tc") { asm volatile ("r2 = *(u32 *)(r1 + %[data_meta]); r3 = *(u32 *)(r1 + %[data]); r4 = r2; r4 += 4; if r4 > r3 goto l0_%=; r1 = 0; *(u32 *)(r2 + 0) = r1; l0_%=: r0 = 0; exit;" :: SOPS : "memory"); }
#endif

