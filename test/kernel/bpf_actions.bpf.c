/* SPDX-License-Identifier: MIT */
/*
 * Verdicts and helpers whose results vary (written for uxdp; no kernel selftest code):
 *
 *   act_byte      returns the packet's first byte as the verdict, or, when byte 4 is 1, the
 *                 little-endian 32-bit value of bytes 0..3 (BPF_PROG_TEST_RUN hands back any value)
 *   act_redirect  bpf_redirect with and without flags, bpf_redirect_map on an empty DEVMAP with
 *                 fallback verdicts; returns bpf_redirect's XDP_REDIRECT
 *   act_time      bpf_ktime_get_ns / _boot_ns / _coarse_ns and bpf_get_prandom_u32, recorded only
 *                 as deterministic facts (nonzero, monotonic, not all equal)
 */
#include "bpf_diff.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} devs SEC(".maps");

SEC(UXDP_SEC)
int act_byte(struct xdp_md *ctx)
{
	__u8 b[8];

	if (bpf_xdp_load_bytes(ctx, 0, b, sizeof(b)))
		return XDP_ABORTED;
	if (b[4] == 1)
		return *(__u32 *)b;
	return b[0];
}

SEC(UXDP_SEC)
int act_redirect(struct xdp_md *ctx)
{
	__u32 ifindex = 0;

	bpf_xdp_load_bytes(ctx, 0, &ifindex, 4);
	R(bpf_redirect(ifindex, 0));
	R(bpf_redirect(ifindex, 1));
	R(bpf_redirect(ifindex, XDP_PASS));
	R(bpf_redirect_map(&devs, 0, XDP_PASS));
	R(bpf_redirect_map(&devs, 1, XDP_DROP));
	R(bpf_redirect_map(&devs, 2, 0));
	R(bpf_redirect_map(&devs, 9, XDP_TX));
	return bpf_redirect(ifindex, 0);
}

SEC(UXDP_SEC)
int act_time(struct xdp_md *ctx)
{
	__u64 t1 = bpf_ktime_get_ns();
	__u64 t2 = bpf_ktime_get_ns();
	__u64 boot = bpf_ktime_get_boot_ns();
	__u64 coarse = bpf_ktime_get_coarse_ns();
	__u32 r1 = bpf_get_prandom_u32();
	__u32 r2 = bpf_get_prandom_u32();
	__u32 r3 = bpf_get_prandom_u32();
	__u32 r4 = bpf_get_prandom_u32();

	R(t1 != 0);
	R(t2 >= t1);
	R(boot != 0);
	R(coarse != 0);
	R(!(r1 == r2 && r2 == r3 && r3 == r4));
	R(bpf_get_smp_processor_id() < 4096);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
