/* SPDX-License-Identifier: MIT */
/* Dynptrs: from_xdp / from_skb, slices (with and without a NULL check, after packet-changing
 * helpers), ring buffer dynptrs and their release, the dynptr's stack slots, clones, adjust,
 * read-only dynptrs. bpf_dynptr_slice_rdwr is avoided (refused by the recording kernel build).
 * Written for uxdp. */
#include "verifier.h"
#include "bpf_kfuncs.h"

extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

#if CASE == 0 /* from_xdp_read accepted xdp: bpf_dynptr_from_xdp then bpf_dynptr_read */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[4];

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_DROP;
	return bpf_dynptr_read(b, sizeof(b), &d, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 1 /* slice_null_checked accepted xdp: a slice checked for NULL before use */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	return p && p[3] == 1 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 2 /* slice_no_null_check refused xdp: a slice read without a NULL check */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	return *(volatile __u8 *)p == 1 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 3 /* slice_read_past_len refused xdp: byte 4 of a 4-byte slice */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_PASS;
	return ((volatile __u8 *)p)[4] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 4 /* slice_after_adjust_head refused xdp: a slice used after bpf_xdp_adjust_head */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_PASS;
	bpf_xdp_adjust_head(ctx, 0);
	return *(volatile __u8 *)p ? XDP_DROP : XDP_PASS;
}
#elif CASE == 5 /* slice_write_rdonly_slice refused xdp: writing through a bpf_dynptr_slice result (read-only) */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_PASS;
	*(volatile __u8 *)p = 1;
	return XDP_PASS;
}
#elif CASE == 6 /* slice_size_not_const refused xdp: the slice size must be a constant */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[8], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, bpf_get_prandom_u32() & 7);
	return p ? XDP_DROP : XDP_PASS;
}
#elif CASE == 7 /* slice_buffer_too_small refused xdp: an 8-byte slice with a 4-byte buffer */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, 8);
	return p ? XDP_DROP : XDP_PASS;
}
#elif CASE == 8 /* slice_null_buffer accepted xdp: a slice with a NULL buffer */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, NULL, 8);
	return p && p[7] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 9 /* from_xdp_uninit_dynptr_read refused xdp: bpf_dynptr_read on a dynptr never created */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[4];

	return bpf_dynptr_read(b, sizeof(b), &d, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 10 /* dynptr_slot_read_directly refused xdp: reading the dynptr's stack slot as a u64 */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u64 v;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	asm volatile ("%[v] = *(u64 *)(%[p] + 0)" : [v] "=r"(v) : [p] "r"(&d) : "memory");
	return v ? XDP_DROP : XDP_PASS;
}
#elif CASE == 11 /* dynptr_slot_overwritten refused xdp: a byte written over the dynptr, then used */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[4];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	asm volatile ("r1 = 0; *(u8 *)(%[p] + 0) = r1" :: [p] "r"(&d) : "r1", "memory");
	return bpf_dynptr_read(b, sizeof(b), &d, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 12 /* dynptr_reinit_xdp accepted xdp: creating an xdp dynptr again over the same slots */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_size(&d) > 100 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 13 /* ringbuf_dynptr_submit accepted xdp: bpf_ringbuf_reserve_dynptr then submit */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u32 v = 1;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	bpf_dynptr_write(&d, 0, &v, sizeof(v), 0);
	bpf_ringbuf_submit_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 14 /* ringbuf_dynptr_leak refused xdp: a ring buffer dynptr never submitted */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u32 v = 1;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	bpf_dynptr_write(&d, 0, &v, sizeof(v), 0);
	return XDP_PASS;
}
#elif CASE == 15 /* ringbuf_dynptr_overwritten refused xdp: a live ring buffer dynptr overwritten by another */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	bpf_ringbuf_discard_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 16 /* ringbuf_dynptr_discard_failed_reserve accepted xdp: discarding even when the reserve failed */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	if (bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d)) {
		bpf_ringbuf_discard_dynptr(&d, 0);
		return XDP_DROP;
	}
	bpf_ringbuf_submit_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 17 /* ringbuf_dynptr_double_submit refused xdp: submitted twice */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	bpf_ringbuf_submit_dynptr(&d, 0);
	bpf_ringbuf_submit_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 18 /* submit_xdp_dynptr refused xdp: bpf_ringbuf_submit_dynptr on an xdp dynptr */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	bpf_ringbuf_submit_dynptr(&d, 0);
	return XDP_PASS;
}
#elif CASE == 19 /* clone_and_adjust accepted xdp: a clone narrowed by bpf_dynptr_adjust, then read */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d, c;
	__u8 b[2];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	bpf_dynptr_clone(&d, &c);
	bpf_dynptr_adjust(&c, 2, 4);
	return bpf_dynptr_read(b, sizeof(b), &c, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 20 /* clone_of_uninit refused xdp: cloning a dynptr never created */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d, c;

	bpf_dynptr_clone(&d, &c);
	return bpf_dynptr_size(&c) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 21 /* ringbuf_clone_leak_after_submit refused xdp: using a clone after its ring buffer parent is submitted */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d, c;
	__u8 b[2];

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	bpf_dynptr_clone(&d, &c);
	bpf_ringbuf_submit_dynptr(&d, 0);
	return bpf_dynptr_read(b, sizeof(b), &c, 0, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 22 /* dynptr_read_scalar_dynptr refused xdp: 0 as the dynptr argument of bpf_dynptr_read */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -16; r2 = 4; r3 = 0; r4 = 0; r5 = 0; call %[dynptr_read]; r0 = 2; exit;" :: IMM(dynptr_read) : "memory"); }
#elif CASE == 23 /* dynptr_misaligned_slot refused xdp: a dynptr at a 4-byte offset into a stack buffer */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u64 buf[4] = {};

	return bpf_dynptr_from_xdp(ctx, 0, (struct bpf_dynptr *)((char *)buf + 4)) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 24 /* from_skb_tc accepted tc: bpf_dynptr_from_skb then read */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u8 b[4];

	if (bpf_dynptr_from_skb(skb, 0, &d))
		return 2;
	return bpf_dynptr_read(b, sizeof(b), &d, 0, 0) ? 2 : 0;
}
#elif CASE == 25 /* from_skb_slice_after_pull refused tc: a skb slice used after bpf_skb_pull_data */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;

	bpf_dynptr_from_skb(skb, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return 0;
	bpf_skb_pull_data(skb, 0);
	return *(volatile __u8 *)p ? 2 : 0;
}
#elif CASE == 26 /* from_skb_write_socket accepted socket: bpf_dynptr_write to a socket filter's skb dynptr loads (the write fails when it runs) */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u8 b[2] = { 1, 2 };

	bpf_dynptr_from_skb(skb, 0, &d);
	return bpf_dynptr_write(&d, 0, b, sizeof(b), 0) ? 0 : 1;
}
#elif CASE == 27 /* xdp_dynptr_write accepted xdp: bpf_dynptr_write to an xdp dynptr */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 b[2] = { 1, 2 };

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_write(&d, 0, b, sizeof(b), 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 28 /* from_xdp_in_tc refused tc: bpf_dynptr_from_xdp in a tc program */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	return bpf_dynptr_from_xdp((struct xdp_md *)skb, 0, &d) ? 2 : 0;
}
#elif CASE == 29 /* slice_after_dynptr_reinit accepted xdp: a slice stays usable after its xdp dynptr's slots are reinitialised */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_PASS;
	bpf_dynptr_from_xdp(ctx, 0, &d);
	return *(volatile __u8 *)p ? XDP_DROP : XDP_PASS;
}
#elif CASE == 30 /* skb_slice_after_dynptr_write refused tc: bpf_dynptr_write through an skb dynptr invalidates its slices */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u8 buf[4], w[2] = {1, 2}, *p;

	bpf_dynptr_from_skb(skb, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return 0;
	bpf_dynptr_write(&d, 0, w, sizeof(w), 0);
	return *(volatile __u8 *)p ? 2 : 0;
}
#elif CASE == 31 /* xdp_slice_after_dynptr_write accepted xdp: bpf_dynptr_write through an xdp dynptr keeps its slices */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4], w[2] = {1, 2}, *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_PASS;
	bpf_dynptr_write(&d, 0, w, sizeof(w), 0);
	return *(volatile __u8 *)p ? XDP_DROP : XDP_PASS;
}
#elif CASE == 32 /* slice_unbounded_size refused tc: bpf_dynptr_slice's buffer size from a global variable */
__u32 slice_len = 4;
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u8 buf[4], *p;

	bpf_dynptr_from_skb(skb, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, slice_len);
	return p ? 2 : 0;
}
#endif
