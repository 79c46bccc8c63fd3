/* SPDX-License-Identifier: MIT */
/*
 * Packet excerpts into a BPF ring buffer (written for uxdp; no kernel selftest code): one program
 * (ringbuf_harness.c runs an object's first program and consumes the map "rb" after each run).
 *
 *   1. bpf_ringbuf_output of 64 bytes loaded across the linear/frag boundary (or from offset 0)
 *   2. bpf_ringbuf_reserve of a struct excerpt (lengths, a hash, the first and last 16 bytes, the
 *      last ones through a dynptr slice), bpf_ringbuf_submit
 *   3. bpf_ringbuf_reserve_dynptr of 256 bytes filled by bpf_dynptr_copy from the packet's middle,
 *      a 4-byte tag written over its start, bpf_ringbuf_submit_dynptr
 *   4. bpf_ringbuf_reserve_dynptr of 100 bytes, discarded
 *   5. bpf_ringbuf_output of 1 + len % 200 bytes (a size known only at run time)
 *   6. reservations larger than the ring: NULL / a null dynptr
 *   7. bpf_ringbuf_query of the unread bytes and the producer position
 *
 * Every result is recorded (bpf_diff.h); -DRING_SIZE=n sets the ring's size (default 16384).
 */
#include "bpf_diff.h"
#include "bpf_kfuncs.h"

#ifndef RING_SIZE
#define RING_SIZE 16384
#endif
#define LIN 3520

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RING_SIZE);
} rb SEC(".maps");

struct excerpt {
	__u32 len;
	__u32 linear;
	__u32 hash;
	__u32 tail_kind;
	__u8 head[16];
	__u8 tail[16];
};

SEC(UXDP_SEC)
int ring_excerpts(struct xdp_md *ctx)
{
	struct bpf_dynptr p, d;
	__u8 b[200];
	__u32 len;
	struct excerpt *e;

	R(bpf_dynptr_from_xdp(ctx, 0, &p));
	len = bpf_dynptr_size(&p);

	/* 1 */
	if (bpf_xdp_load_bytes(ctx, LIN - 32, b, 64))
		R(bpf_xdp_load_bytes(ctx, 0, b, 64));
	R(bpf_ringbuf_output(&rb, b, 64, 0));

	/* 2 */
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	R(e != 0);
	if (e) {
		__u8 *t;

		e->len = len;
		e->linear = (__u32)(ctx->data_end - ctx->data);
		e->hash = bd_fnv(BD_FNV_INIT, b, 64);
		bpf_dynptr_read(e->head, 16, &p, 0, 0);
		t = bpf_dynptr_slice(&p, len - 16, b, 16);
		e->tail_kind = BD_KIND(t, b);
		if (t)
			__builtin_memcpy(e->tail, t, 16);
		bpf_ringbuf_submit(e, 0);
	}

	/* 3 */
	R(bpf_ringbuf_reserve_dynptr(&rb, 256, 0, &d));
	R(bpf_dynptr_copy(&d, 0, &p, len / 2 > 0xff00 ? 0xff00 : len / 2 - 16, 256));
	{
		__u32 tag = 0x7a67 + len;

		R(bpf_dynptr_write(&d, 0, &tag, 4, 0));
	}
	bpf_ringbuf_submit_dynptr(&d, 0);

	/* 4 */
	R(bpf_ringbuf_reserve_dynptr(&rb, 100, 0, &d));
	bpf_ringbuf_discard_dynptr(&d, 0);

	/* 5 */
	{
		__u64 n = len % 200;

		asm volatile("%0 &= 255" : "+r"(n));
		if (n < 200) {
			__builtin_memset(b, 0x5c, sizeof(b));
			bpf_xdp_load_bytes(ctx, 0, b, 32);
			R(bpf_ringbuf_output(&rb, b, n + 1 > 200 ? 200 : n + 1, 0));
		}
	}

	/* 6 */
	e = bpf_ringbuf_reserve(&rb, RING_SIZE, 0);
	R(e != 0);
	if (e)
		bpf_ringbuf_discard(e, 0);
	R(bpf_ringbuf_reserve_dynptr(&rb, RING_SIZE + 8, 0, &d));
	bpf_ringbuf_discard_dynptr(&d, 0);

	/* 7 */
	R(bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA));
	R(bpf_ringbuf_query(&rb, BPF_RB_PROD_POS));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
