/* SPDX-License-Identifier: MIT */
/*
 * Scenario after the seed's frags tail-shrink test (behaviour re-described, not copied): the first
 * packet byte picks how much to cut from the end: 0 -> 10 bytes, 1 -> 4100, 2 -> 8200, anything
 * else -> XDP_ABORTED. A successful shrink answers XDP_TX, a refused one XDP_DROP.
 */
#include "uxdp_test.h"

SEC("xdp.frags")
int uxdp_tail_shrink(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *data_end = (void *)(long)ctx->data_end;
	int cut;

	if (data + 1 > data_end)
		return XDP_ABORTED;
	switch (data[0]) {
	case 0:
		cut = 10;
		break;
	case 1:
		cut = 4100;
		break;
	case 2:
		cut = 8200;
		break;
	default:
		return XDP_ABORTED;
	}
	return bpf_xdp_adjust_tail(ctx, -cut) ? XDP_DROP : XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
