/* SPDX-License-Identifier: MIT */
/*
 * Loops (written for uxdp; no kernel selftest code): bpf_loop with callbacks that walk the whole
 * packet in 64-byte chunks through bpf_xdp_load_bytes, bpf_dynptr_read or bpf_dynptr_slice and
 * sum / xor / hash the bytes; bpf_loop's own answers (zero iterations, bad flags, too many
 * iterations, a callback that stops); bounded C loops over the linear part and over chunks; the
 * open-coded number iterator (bpf_iter_num_new / _next / _destroy). Each records what it saw
 * (bpf_diff.h).
 */
#include "bpf_diff.h"
#include "bpf_kfuncs.h"

#define CHUNK 64

struct walk {
	struct xdp_md *ctx;
	struct bpf_dynptr p;
	__u32 len;
	__u32 n;
	__u32 sum;
	__u32 xor;
	__u32 fnv;
	__s64 err;
};

/* Adds bytes skip..CHUNK-1 of b (the chunk's bytes 0..CHUNK-1-skip). */
static __always_inline void walk_from(struct walk *w, const __u8 *b, __u32 skip)
{
	for (__u32 j = 0; j < CHUNK; j++) {
		__u32 k = j - skip;

		if (j < skip)
			continue;
		w->sum += b[j];
		w->xor ^= (__u32)b[j] << ((k & 3) * 8);
		w->fnv = (w->fnv ^ b[j]) * BD_FNV_PRIME;
	}
	w->n++;
}

/* Adds the first n bytes of b. */
static __always_inline void walk_bytes(struct walk *w, const __u8 *b, __u32 n)
{
	for (__u32 j = 0; j < CHUNK; j++) {
		if (j >= n)
			break;
		w->sum += b[j];
		w->xor ^= (__u32)b[j] << ((j & 3) * 8);
		w->fnv = (w->fnv ^ b[j]) * BD_FNV_PRIME;
	}
	w->n++;
}

/* The chunk at i * CHUNK: its length (0 past the end), bounded for the verifier. */
static __always_inline __u32 chunk_len(struct walk *w, __u32 i)
{
	__u32 off = i * CHUNK;
	__u64 left;

	if (off >= w->len)
		return 0;
	left = w->len - off;
	if (left >= CHUNK)
		return CHUNK;
	asm volatile("%0 &= 63" : "+r"(left));
	return left;
}

static long by_load_bytes(__u32 i, struct walk *w)
{
	__u8 b[CHUNK];
	__u32 n = chunk_len(w, i);
	long err;

	if (!n)
		return 1;
	if (n == CHUNK) {
		err = bpf_xdp_load_bytes(w->ctx, i * CHUNK, b, CHUNK);
	} else {
		/* 1..63 in a form the verifier follows (the helper refuses a zero length) */
		__u64 m = n - 1;

		asm volatile("%0 &= 63; %0 += 1" : "+r"(m));
		err = bpf_xdp_load_bytes(w->ctx, i * CHUNK, b, m);
	}
	if (err) {
		w->err = err;
		return 1;
	}
	walk_bytes(w, b, n);
	return 0;
}

static long by_dynptr_read(__u32 i, struct walk *w)
{
	__u8 b[CHUNK];
	__u32 n = chunk_len(w, i);
	long err;

	if (!n)
		return 1;
	err = bpf_dynptr_read(b, n, &w->p, i * CHUNK, 0);
	if (err) {
		w->err = err;
		return 1;
	}
	walk_bytes(w, b, n);
	return 0;
}

static long by_slice(__u32 i, struct walk *w)
{
	__u8 b[CHUNK];
	__u8 *s;
	__u32 n = chunk_len(w, i);

	if (!n)
		return 1;
	if (n == CHUNK) {
		s = bpf_dynptr_slice(&w->p, i * CHUNK, b, CHUNK);
	} else {
		/* a short last chunk: the last CHUNK bytes, of which the last n are new */
		s = bpf_dynptr_slice(&w->p, w->len - CHUNK, b, CHUNK);
		if (s) {
			walk_from(w, s, CHUNK - n);
			return 1;
		}
	}
	if (!s) {
		w->err = -1;
		return 1;
	}
	walk_bytes(w, s, n);
	return 0;
}

#define WALK(cb)                                                              \
	{                                                                     \
		struct walk w = { .ctx = ctx, .fnv = BD_FNV_INIT };            \
		R(bpf_dynptr_from_xdp(ctx, 0, &w.p));                         \
		w.len = bpf_dynptr_size(&w.p);                                \
		R(bpf_loop(w.len / CHUNK + 1, cb, &w, 0));                    \
		R(w.n);                                                       \
		R(w.err);                                                     \
		R(w.sum);                                                     \
		R(w.xor);                                                     \
		R(w.fnv);                                                     \
	}

SEC(UXDP_SEC)
int loop_load_bytes(struct xdp_md *ctx)
{
	WALK(by_load_bytes);
	return XDP_PASS;
}

SEC(UXDP_SEC)
int loop_dynptr_read(struct xdp_md *ctx)
{
	WALK(by_dynptr_read);
	return XDP_PASS;
}

SEC(UXDP_SEC)
int loop_slice(struct xdp_md *ctx)
{
	WALK(by_slice);
	return XDP_PASS;
}

struct count {
	__u32 calls;
	__u32 last;
	__u32 stop_at;
};

static long count_cb(__u32 i, struct count *c)
{
	c->calls++;
	c->last = i;
	return i == c->stop_at;
}

SEC(UXDP_SEC)
int loop_answers(struct xdp_md *ctx)
{
	struct count c = { .stop_at = 0xffffffff };

	R(bpf_loop(0, count_cb, &c, 0));
	R(c.calls);
	R(bpf_loop(5, count_cb, &c, 1));
	R(c.calls);
	R(bpf_loop((1 << 23) + 1, count_cb, &c, 0));
	R(c.calls);
	R(bpf_loop(7, count_cb, &c, 0));
	R(c.calls);
	R(c.last);
	c.stop_at = 10;
	R(bpf_loop(1 << 23, count_cb, &c, 0));
	R(c.calls);
	R(c.last);
	c.stop_at = 0;
	R(bpf_loop(3, count_cb, &c, 0));
	R(c.calls);
	return XDP_PASS;
}

struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

SEC(UXDP_SEC)
int loop_bounded(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *data_end = (void *)(long)ctx->data_end;
	__u32 sum = 0, n = 0, fnv = BD_FNV_INIT;
	struct bpf_iter_num it;
	int *v;

	/* direct access, bounded by 256 and by data_end */
	for (int i = 0; i < 256; i++) {
		if (data + i + 1 > data_end)
			break;
		sum += data[i];
		n++;
	}
	R(n);
	R(sum);

	/* unrolled */
	if (data + 16 <= data_end) {
#pragma unroll
		for (int i = 0; i < 16; i++)
			fnv = (fnv ^ data[i]) * BD_FNV_PRIME;
	}
	R(fnv);

	/* 8-byte chunks through the helper from offset 3480, at most 20 of them */
	sum = 0;
	n = 0;
	for (int i = 0; i < 20; i++) {
		__u64 q;

		if (bpf_xdp_load_bytes(ctx, 3480 + i * 8, &q, 8))
			break;
		sum += (__u32)q ^ (__u32)(q >> 32);
		n++;
	}
	R(n);
	R(sum);

	/* the open-coded iterator: [3, 11) and an empty range */
	sum = 0;
	n = 0;
	R(bpf_iter_num_new(&it, 3, 11));
	while ((v = bpf_iter_num_next(&it))) {
		__u8 b;

		if (!bpf_xdp_load_bytes(ctx, *v * 100, &b, 1))
			sum += b;
		n++;
	}
	bpf_iter_num_destroy(&it);
	R(n);
	R(sum);
	n = 0;
	R(bpf_iter_num_new(&it, 5, 5));
	while ((v = bpf_iter_num_next(&it)))
		n++;
	bpf_iter_num_destroy(&it);
	R(n);
	R(bpf_iter_num_new(&it, 7, 2));
	while ((v = bpf_iter_num_next(&it)))
		n++;
	bpf_iter_num_destroy(&it);
	R(n);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
