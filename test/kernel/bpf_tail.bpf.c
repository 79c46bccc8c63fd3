/* SPDX-License-Identifier: MIT */
/*
 * Tail calls through a prog array that libbpf fills at load time from `.values` (written for uxdp;
 * no kernel selftest code). The packet's first byte picks the slot tail_entry jumps to:
 *
 *   0  tail_a: shrinks the tail by 10, jumps to slot 1
 *   1  tail_b: rewrites byte 1, jumps to slot 2, which is empty: falls through, XDP_TX
 *   2  empty: tail_entry falls through, XDP_DROP
 *   3  tail_loop: counts itself in byte 2 and jumps to slot 3 again until the kernel's limit on
 *      tail calls stops it, then answers XDP_PASS
 *   4  tail_meta: jumps to slot 5 (tail_a) after adjusting the metadata: the record moves with it
 *   >= 8  past the array: falls through
 *
 * Every program appends to the record in the metadata area (bpf_diff.h), so data_out shows the path.
 */
#include "bpf_diff.h"

int tail_a(struct xdp_md *ctx);
int tail_b(struct xdp_md *ctx);
int tail_loop(struct xdp_md *ctx);
int tail_meta(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} jt SEC(".maps") = {
	.values = {
		[0] = (void *)&tail_a,
		[1] = (void *)&tail_b,
		[3] = (void *)&tail_loop,
		[4] = (void *)&tail_meta,
		[5] = (void *)&tail_a,
	},
};

SEC(UXDP_SEC)
int tail_entry(struct xdp_md *ctx)
{
	__u8 idx = 0;

	R(bpf_xdp_load_bytes(ctx, 0, &idx, 1));
	R(0x100 + idx);
	bpf_tail_call(ctx, &jt, idx);
	R(0xfa11);
	return XDP_DROP;
}

SEC(UXDP_SEC)
int tail_a(struct xdp_md *ctx)
{
	R(0xa);
	R(bpf_xdp_adjust_tail(ctx, -10));
	R(bd_geometry(ctx));
	bpf_tail_call(ctx, &jt, 1);
	R(0xa0f);
	return XDP_ABORTED;
}

SEC(UXDP_SEC)
int tail_b(struct xdp_md *ctx)
{
	__u8 b = 0xbb;

	R(0xb);
	R(bpf_xdp_store_bytes(ctx, 1, &b, 1));
	bpf_tail_call(ctx, &jt, 2);
	R(0xb0f);
	return XDP_TX;
}

SEC(UXDP_SEC)
int tail_loop(struct xdp_md *ctx)
{
	__u8 n = 0;

	bpf_xdp_load_bytes(ctx, 2, &n, 1);
	n++;
	bpf_xdp_store_bytes(ctx, 2, &n, 1);
	bpf_tail_call(ctx, &jt, 3);
	R(0x100f);
	R(n);
	return XDP_PASS;
}

SEC(UXDP_SEC)
int tail_meta(struct xdp_md *ctx)
{
	R(0xe);
	/* 8 more bytes of metadata in front: the record (meta[0] first) now starts 8 bytes later */
	R(bpf_xdp_adjust_meta(ctx, -8));
	bpf_tail_call(ctx, &jt, 5);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
