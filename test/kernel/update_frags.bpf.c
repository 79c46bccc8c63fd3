/* SPDX-License-Identifier: MIT */
/*
 * Scenario after the seed's "update frags" test (behaviour re-described, not copied): the first 4
 * packet bytes hold an offset (host byte order). The program reads 16 bytes there with
 * bpf_xdp_load_bytes; when the first and the last of them are both 0xaa it changes those two to
 * 0xbb, writes the 16 bytes back with bpf_xdp_store_bytes and answers XDP_PASS. In every other
 * case (other bytes, or a helper refusing the offset) it answers XDP_DROP.
 */
#include "uxdp_test.h"

SEC("xdp.frags")
int uxdp_update_frags(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 buf[16];
	__u32 offset;

	if (data + sizeof(__u32) > data_end)
		return XDP_DROP;
	offset = *(__u32 *)data;
	if (bpf_xdp_load_bytes(ctx, offset, buf, sizeof(buf)))
		return XDP_DROP;
	if (buf[0] != 0xaa || buf[15] != 0xaa)
		return XDP_DROP;
	buf[0] = 0xbb;
	buf[15] = 0xbb;
	if (bpf_xdp_store_bytes(ctx, offset, buf, sizeof(buf)))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
