/* SPDX-License-Identifier: MIT */
/*
 * The multi-buffer XDP helpers as a program sees them (written for uxdp; no kernel selftest code):
 * bpf_xdp_get_buff_len, bpf_xdp_load_bytes / bpf_xdp_store_bytes at and across the linear/frag and
 * frag/frag boundaries, bpf_xdp_adjust_tail / _head / _meta, and direct packet access bounded by
 * data_end (the end of the linear part). Offsets are computed from the packet length at run time,
 * so one object serves every packet size. Every step records what it observes (bpf_diff.h);
 * -DUXDP_SEC='"xdp"' builds the same programs without the frags flag.
 *
 * Boundaries: 3520 (end of a full linear part), 7616 (end of the first frag), 65536 (2^16).
 */
#include "bpf_diff.h"

#define LIN 3520
#define FRAG 4096

/* R: bpf_xdp_load_bytes(off, len) into an 0xee-filled buffer; R: fnv of the buffer */
#define LOAD(off, len)                                                          \
	{                                                                       \
		__u8 b_[len];                                                   \
		__builtin_memset(b_, 0xee, sizeof(b_));                         \
		R(bpf_xdp_load_bytes(ctx, (off), b_, (len)));                  \
		R(bd_fnv(BD_FNV_INIT, b_, (len)));                              \
	}

/* R: bpf_xdp_store_bytes(off, len) of the bytes seed, seed + 3, seed + 6, ... */
#define STORE(off, len, seed)                                                   \
	{                                                                       \
		__u8 b_[len];                                                   \
		for (int i_ = 0; i_ < (len); i_++)                              \
			b_[i_] = (__u8)((seed) + 3 * i_);                       \
		R(bpf_xdp_store_bytes(ctx, (off), b_, (len)));                 \
	}

/* R: load; R: store of the inverted bytes (only when the load worked) */
#define XOR(off, len)                                                           \
	{                                                                       \
		__u8 b_[len];                                                   \
		long r_ = bpf_xdp_load_bytes(ctx, (off), b_, (len));            \
		R(r_);                                                          \
		if (!r_) {                                                      \
			for (int i_ = 0; i_ < (len); i_++)                      \
				b_[i_] ^= 0xff;                                 \
			R(bpf_xdp_store_bytes(ctx, (off), b_, (len)));         \
		} else {                                                        \
			R(1);                                                   \
		}                                                               \
	}

#if !defined(BD_ONLY) || defined(BD_ONLY_frags_geometry)
SEC(UXDP_SEC)
int frags_geometry(struct xdp_md *ctx)
{
	R(bd_geometry(ctx));
	R(ctx->ingress_ifindex);
	R(ctx->rx_queue_index);
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_frags_load)
SEC(UXDP_SEC)
int frags_load(struct xdp_md *ctx)
{
	__u32 len = bpf_xdp_get_buff_len(ctx);

	R(len);
	LOAD(0, 16);
	LOAD(LIN - 8, 16);
	LOAD(LIN, 16);
	LOAD(LIN + FRAG - 24, 48);
	LOAD(LIN + 2 * FRAG - 1, 2);
	LOAD(0x10000 - 8, 16);
	LOAD(len - 16, 16);
	LOAD(len - 15, 16);
	LOAD(len, 1);
	LOAD(LIN - 100, 200);
	LOAD(len / 2, 64);
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_frags_store)
SEC(UXDP_SEC)
int frags_store(struct xdp_md *ctx)
{
	__u32 len = bpf_xdp_get_buff_len(ctx);

	STORE(0, 16, 1);
	STORE(LIN - 8, 16, 2);
	STORE(LIN + FRAG - 24, 48, 3);
	STORE(0x10000 - 8, 16, 4);
	STORE(len - 16, 16, 5);
	STORE(len - 15, 16, 6);
	STORE(len / 3, 100, 7);
	LOAD(LIN - 8, 16);
	return XDP_TX;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_frags_xor)
SEC(UXDP_SEC)
int frags_xor(struct xdp_md *ctx)
{
	__u32 len = bpf_xdp_get_buff_len(ctx);

	XOR(LIN - 128, 256);
	XOR(LIN + FRAG - 100, 200);
	XOR(len - 256, 256);
	XOR(len - 255, 256);
	return XDP_PASS;
}
#endif

/* Grow, then store a marker into the grown bytes; R: length after each step. */
#if !defined(BD_ONLY) || defined(BD_ONLY_frags_tail_grow)
SEC(UXDP_SEC)
int frags_tail_grow(struct xdp_md *ctx)
{
	__u32 len;

	R(bpf_xdp_adjust_tail(ctx, 1));
	R(bd_geometry(ctx));
	R(bpf_xdp_adjust_tail(ctx, 100));
	R(bd_geometry(ctx));
	R(bpf_xdp_adjust_tail(ctx, 1000));
	R(bd_geometry(ctx));
	R(bpf_xdp_adjust_tail(ctx, 4096));
	R(bd_geometry(ctx));
	len = bpf_xdp_get_buff_len(ctx);
	STORE(len - 4, 4, 0xa0);
	/* the grown bytes before the marker: zeroed by the kernel */
	LOAD(len - 40, 36);
	return XDP_PASS;
}
#endif

/* Shrink through the frags into the linear part; R: length after each step. */
#if !defined(BD_ONLY) || defined(BD_ONLY_frags_tail_shrink)
SEC(UXDP_SEC)
int frags_tail_shrink(struct xdp_md *ctx)
{
	__u32 len = bpf_xdp_get_buff_len(ctx);

	R(bpf_xdp_adjust_tail(ctx, -1));
	R(bd_geometry(ctx));
	R(bpf_xdp_adjust_tail(ctx, -(int)len));
	R(bd_geometry(ctx));
	len = bpf_xdp_get_buff_len(ctx);
	/* exactly to the end of the first frag, or of the linear part */
	if (len > LIN + FRAG)
		R(bpf_xdp_adjust_tail(ctx, -(int)(len - LIN - FRAG)));
	else if (len > LIN)
		R(bpf_xdp_adjust_tail(ctx, -(int)(len - LIN)));
	else
		R(bpf_xdp_adjust_tail(ctx, -10));
	R(bd_geometry(ctx));
	len = bpf_xdp_get_buff_len(ctx);
	/* then one byte into the previous part */
	R(bpf_xdp_adjust_tail(ctx, -(int)(len > LIN ? len - LIN + 1 : 1)));
	R(bd_geometry(ctx));
	len = bpf_xdp_get_buff_len(ctx);
	/* then down to 20 bytes, 6 more than ETH_HLEN; then below ETH_HLEN */
	R(bpf_xdp_adjust_tail(ctx, -(int)(len - 20)));
	R(bd_geometry(ctx));
	R(bpf_xdp_adjust_tail(ctx, -7));
	R(bpf_xdp_adjust_tail(ctx, -6));
	R(bd_geometry(ctx));
	/* and grow again: the bytes come back zeroed */
	R(bpf_xdp_adjust_tail(ctx, 10));
	R(bd_geometry(ctx));
	return XDP_PASS;
}
#endif

/* Needs headroom: run with a small metadata area (ctx_in.data). */
#if !defined(BD_ONLY) || defined(BD_ONLY_frags_head)
SEC(UXDP_SEC)
int frags_head(struct xdp_md *ctx)
{
	void *data, *data_end;

	R(bpf_xdp_adjust_head(ctx, -8));
	R(bd_geometry(ctx));
	R(bpf_xdp_adjust_head(ctx, -4096));
	R(bpf_xdp_adjust_head(ctx, 14));
	R(bd_geometry(ctx));
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	/* past the linear part (keeping ETH_HLEN) fails; exactly to 14 bytes left works */
	R(bpf_xdp_adjust_head(ctx, (int)(data_end - data) - 13));
	R(bpf_xdp_adjust_head(ctx, (int)(data_end - data) - 14));
	R(bd_geometry(ctx));
	R(bpf_xdp_adjust_head(ctx, -32));
	R(bd_geometry(ctx));
	LOAD(0, 48);
	return XDP_PASS;
}
#endif

/* data - data_meta, computed on 64-bit pointers (with -mcpu=v3 clang would otherwise spill a
 * 32-bit copy of a packet pointer, which the verifier refuses) */
static __always_inline __attribute__((unused)) __s32 metalen(struct xdp_md *ctx)
{
	__u64 data = (long)ctx->data;
	__u64 meta = (long)ctx->data_meta;

	asm volatile("%0 -= %1" : "+r"(data) : "r"(meta));
	return (__s32)data;
}

/*
 * bpf_xdp_adjust_meta: moving data_meta moves the record, so this program writes its results as
 * __s32 into the first 64 bytes of the packet (direct access), not into slots.
 */
#if !defined(BD_ONLY) || defined(BD_ONLY_frags_meta)
SEC(UXDP_SEC)
int frags_meta(struct xdp_md *ctx)
{
	__s32 res[14];
	int n = 0;

	__builtin_memset(res, 0, sizeof(res));
	res[n++] = bpf_xdp_adjust_meta(ctx, -4);
	res[n++] = metalen(ctx);
	res[n++] = bpf_xdp_adjust_meta(ctx, 4 + 2);
	res[n++] = bpf_xdp_adjust_meta(ctx, 8);
	res[n++] = metalen(ctx);
	res[n++] = bpf_xdp_adjust_meta(ctx, -256);
	res[n++] = bpf_xdp_adjust_meta(ctx, -(int)(metalen(ctx)) - 4);
	res[n++] = bpf_xdp_adjust_meta(ctx, (int)(metalen(ctx)) + 4);
	res[n++] = bpf_xdp_adjust_meta(ctx, (int)(metalen(ctx)));
	res[n++] = metalen(ctx);
	res[n++] = bpf_xdp_adjust_meta(ctx, -16);
	{
		void *data = (void *)(long)ctx->data;
		__u8 *meta = (void *)(long)ctx->data_meta;

		if ((void *)(meta + 16) <= data) {
			for (int i = 0; i < 16; i++)
				meta[i] = (__u8)(0x30 + i);
			res[n++] = 1;
		} else {
			res[n++] = 0;
		}
	}
	res[n++] = metalen(ctx);
	res[n++] = bpf_xdp_get_buff_len(ctx);
	{
		void *data = (void *)(long)ctx->data;
		void *data_end = (void *)(long)ctx->data_end;

		if (data + sizeof(res) > data_end)
			return XDP_ABORTED;
		__builtin_memcpy(data, res, sizeof(res));
	}
	return XDP_PASS;
}
#endif

/* Direct packet access: only the linear part is reachable through data/data_end. */
#if !defined(BD_ONLY) || defined(BD_ONLY_frags_direct)
SEC(UXDP_SEC)
int frags_direct(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *data_end = (void *)(long)ctx->data_end;
	__u32 lin = (__u32)(data_end - data);

	R(lin);
	R(data + 64 <= data_end ? bd_fnv(BD_FNV_INIT, data, 64) : 0);
	R(data + LIN <= data_end);
	R(data + LIN + 1 <= data_end);
	if (lin >= 32) {
		__u32 off = lin - 32;
		__u8 *p;

		asm volatile("" : "+r"(off));
		if (off > 4096)
			return XDP_ABORTED;
		p = data + off;
		asm volatile("" : "+r"(p));
		if (p + 32 <= data_end) {
			R(bd_fnv(BD_FNV_INIT, p, 32));
			for (int i = 0; i < 32; i++)
				p[i] = ~p[i];
		}
	}
	if (data + 16 <= data_end) {
		for (int i = 0; i < 16; i++)
			data[i] ^= 0x5a;
		R(data[0]);
	}
	/* the frags: through the helper */
	LOAD(lin, 8);
	return XDP_DROP;
}
#endif

char LICENSE[] SEC("license") = "Dual MIT/GPL";
