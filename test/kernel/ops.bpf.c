/* SPDX-License-Identifier: MIT */
/*
 * A sequence of XDP helper calls chosen at compile time: build with -DSTEPS="S_TAIL(-10) S_HEAD(14)".
 * Steps run in order; the first failing helper's return value (a negative errno) is the program's
 * return value, otherwise the program returns uxdp_geometry(). The test suite runs the same steps on
 * a uxdp Frame and compares return value, data_out and ctx_out.
 *
 *   S_TAIL(d)            bpf_xdp_adjust_tail(ctx, d)
 *   S_HEAD(d)            bpf_xdp_adjust_head(ctx, d)
 *   S_META(d)            bpf_xdp_adjust_meta(ctx, d)
 *   S_PULL(n)            bpf_xdp_pull_data(ctx, n)            (6.18 kfunc)
 *   S_LOAD(off, len)     bpf_xdp_load_bytes only (its return value is what is checked)
 *   S_COPY(off, len, to) load len bytes at off, store them at to
 *   S_XOR(off, len)      load len bytes at off, invert every bit, store them back at off
 *   S_FILL(off, len, b)  store the bytes b, b+1, b+2, ... at off
 */
#include "uxdp_test.h"

extern int bpf_xdp_pull_data(struct xdp_md *x, __u32 len) __ksym;

#define UXDP_CHECK(call)              \
	do {                          \
		ret = (call);         \
		if (ret)              \
			return ret;   \
	} while (0)

#define S_TAIL(d) UXDP_CHECK(bpf_xdp_adjust_tail(ctx, (d)));
#define S_HEAD(d) UXDP_CHECK(bpf_xdp_adjust_head(ctx, (d)));
#define S_META(d) UXDP_CHECK(bpf_xdp_adjust_meta(ctx, (d)));
#define S_PULL(n) UXDP_CHECK(bpf_xdp_pull_data(ctx, (n)));

#define S_LOAD(off, len)                                              \
	{                                                             \
		__u8 buf[(len)];                                      \
		UXDP_CHECK(bpf_xdp_load_bytes(ctx, (off), buf, (len))); \
	}

#define S_COPY(off, len, to)                                           \
	{                                                              \
		__u8 buf[(len)];                                       \
		UXDP_CHECK(bpf_xdp_load_bytes(ctx, (off), buf, (len)));  \
		UXDP_CHECK(bpf_xdp_store_bytes(ctx, (to), buf, (len)));  \
	}

#define S_XOR(off, len)                                                \
	{                                                              \
		__u8 buf[(len)];                                       \
		UXDP_CHECK(bpf_xdp_load_bytes(ctx, (off), buf, (len)));  \
		for (int i = 0; i < (len); i++)                        \
			buf[i] ^= 0xff;                                \
		UXDP_CHECK(bpf_xdp_store_bytes(ctx, (off), buf, (len))); \
	}

#define S_FILL(off, len, b)                                            \
	{                                                              \
		__u8 buf[(len)];                                       \
		for (int i = 0; i < (len); i++)                        \
			buf[i] = (__u8)((b) + i);                      \
		UXDP_CHECK(bpf_xdp_store_bytes(ctx, (off), buf, (len))); \
	}

#ifndef STEPS
#define STEPS
#endif

SEC("xdp.frags")
int uxdp_ops(struct xdp_md *ctx)
{
	int ret = 0;

	STEPS
	(void)ret;
	return uxdp_geometry(ctx);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
