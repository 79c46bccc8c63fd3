// SPDX-License-Identifier: GPL-2.0
/* For test_run's limits (test/bpf.spec.ts, test/prog-cli.spec.ts):
 * - programs of types other than XDP: test_run gives tc and socket-filter programs an skb, and
 *   only XDP programs attach to the emulated NIC (EINVAL);
 * - an XDP program that counts its runs in the packet, so that a repeat loop run in slices can be
 *   seen to be one loop over one buffer, and long loops can be stopped. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

/* A socket filter keeping the whole packet: returns skb->len. */
SEC("socket")
int filter(struct __sk_buff *skb)
{
	return skb->len;
}

/* A tc classifier that marks the packet and lets it pass. */
SEC("tc")
int classify(struct __sk_buff *skb)
{
	skb->mark = skb->len;
	return TC_ACT_OK;
}

/* Adds 1 to the little-endian u32 after the Ethernet header: after N runs on one buffer it has
 * grown by N. */
SEC("xdp")
int count_runs(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 *n = data + 14;

	if ((void *)(n + 1) > data_end)
		return XDP_ABORTED;
	*n += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
