// AF_XDP: frames redirected into the xskmap slot of their RX queue (or slot SLOT), as libxdp's
// default program does, and a UDP-port filter for the demo.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef SLOT
#define SLOT -1
#endif

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} seen SEC(".maps");

static __always_inline __u32 slot(struct xdp_md *ctx)
{
	return SLOT >= 0 ? SLOT : ctx->rx_queue_index;
}

/* Everything into the socket of the slot; XDP_PASS when the slot is empty. */
SEC("xdp.frags")
int to_xsk(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xsks, slot(ctx), XDP_PASS);
}

/* Looks the socket up first and records its queue_id + 100 (the verifier's xdp_sock). */
SEC("xdp.frags")
int to_xsk_checked(struct xdp_md *ctx)
{
	__u32 q = slot(ctx), k = 0;
	struct bpf_xdp_sock *xs = bpf_map_lookup_elem(&xsks, &q);
	__u32 *v;

	if (!xs)
		return XDP_PASS;
	v = bpf_map_lookup_elem(&seen, &k);
	if (v)
		*v = xs->queue_id + 100;
	return bpf_redirect_map(&xsks, q, XDP_DROP);
}

/* UDP to port 9999 goes to the socket, the rest to the stack. */
SEC("xdp.frags")
int udp_to_xsk(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (udp->dest != bpf_htons(9999))
		return XDP_PASS;
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

/* The slot the frame's tag byte (offset 14) names, modulo the map's 8 slots: several sockets on
 * one queue (XDP_SHARED_UMEM) each get their frames. */
SEC("xdp.frags")
int by_tag(struct xdp_md *ctx)
{
	__u8 tag;

	if (bpf_xdp_load_bytes(ctx, 14, &tag, 1) < 0)
		return XDP_PASS;
	return bpf_redirect_map(&xsks, tag & 7, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
