/* SPDX-License-Identifier: MIT */
/*
 * Scenario after the seed's frags tail-grow test (behaviour re-described, not copied): a 9000-byte
 * packet asks for 10 more bytes, a 9001-byte packet for a whole page (4096) more. Success answers
 * XDP_TX, a refused grow XDP_DROP, any other size XDP_ABORTED.
 */
#include "uxdp_test.h"

SEC("xdp.frags")
int uxdp_tail_grow(struct xdp_md *ctx)
{
	__u64 len = bpf_xdp_get_buff_len(ctx);
	int grow;

	if (len == 9000)
		grow = 10;
	else if (len == 9001)
		grow = 4096;
	else
		return XDP_ABORTED;
	return bpf_xdp_adjust_tail(ctx, grow) ? XDP_DROP : XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
