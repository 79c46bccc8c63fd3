// Benchmark program (bench/bpf.bench.mjs): a small parser touching a few headers (Ethernet, an
// optional VLAN tag, IPv4 or IPv6, TCP or UDP) with the bounds checks the verifier wants, and a
// verdict from what it found.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

SEC("xdp")
int bench_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3;
	__u16 proto;
	__u8 l4proto;
	void *l4;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	proto = eth->h_proto;
	l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *vh = l3;
		if ((void *)(vh + 1) > data_end)
			return XDP_DROP;
		proto = vh->proto;
		l3 = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > data_end)
			return XDP_DROP;
		if (ip->ihl < 5 || ip->version != 4)
			return XDP_DROP;
		if (ip->frag_off & bpf_htons(0x3fff))
			return XDP_PASS;
		l4proto = ip->protocol;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > data_end)
			return XDP_DROP;
		l4proto = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		return XDP_PASS;
	}
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > data_end)
			return XDP_DROP;
		if (tcp->syn && !tcp->ack && tcp->dest == bpf_htons(22))
			return XDP_DROP;
		return XDP_PASS;
	}
	if (l4proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > data_end)
			return XDP_DROP;
		if (udp->dest == bpf_htons(9))
			return XDP_DROP;
		return udp->dest == bpf_htons(53) ? XDP_TX : XDP_PASS;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
