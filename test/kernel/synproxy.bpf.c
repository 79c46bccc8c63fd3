/* SPDX-License-Identifier: MIT */
/* A synproxy-shaped XDP program (test/kernel-conntrack.spec.ts), written for uxdp: TCP to port 80
 * that conntrack knows passes; an unknown SYN is answered in place with a SYN-ACK carrying a
 * syncookie (bpf_tcp_raw_gen_syncookie_ipv4, XDP_TX); an unknown ACK passes only when its cookie
 * checks out (bpf_tcp_raw_check_syncookie_ipv4), else it is dropped. The same in tc for IPv4. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct bpf_ct_opts {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u16 ct_zone_id;
	__u8 ct_zone_dir;
	__u8 reserved[3];
};

struct nf_conn {
	__u32 mark;
} __attribute__((preserve_access_index));

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn *bpf_skb_ct_lookup(struct __sk_buff *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts *, __u32) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;

#define PORT 80

/* What the program decided, in the 4 bytes after the TCP header (the payload the test sends). */
#define VERDICT_KNOWN 1
#define VERDICT_SYNACK 2
#define VERDICT_COOKIE_OK 3
#define VERDICT_COOKIE_BAD 4

SEC("xdp") int synproxy(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);
	__u32 *verdict = (void *)(th + 1);
	struct bpf_sock_tuple t = {};
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct nf_conn *ct;

	if ((void *)(verdict + 1) > end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_TCP || th->dest != bpf_htons(PORT))
		return XDP_PASS;
	t.ipv4.saddr = ip->saddr;
	t.ipv4.daddr = ip->daddr;
	t.ipv4.sport = th->source;
	t.ipv4.dport = th->dest;
	ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	if (ct) {
		bpf_ct_release(ct);
		*verdict = VERDICT_KNOWN;
		return XDP_PASS;
	}
	if (th->syn && !th->ack) {
		__s64 v = bpf_tcp_raw_gen_syncookie_ipv4(ip, th, sizeof(*th));
		__u32 seq = th->seq, a = ip->saddr;
		__u16 p = th->source;
		unsigned char m[ETH_ALEN];

		if (v < 0)
			return XDP_DROP;
		__builtin_memcpy(m, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, m, ETH_ALEN);
		ip->saddr = ip->daddr;
		ip->daddr = a;
		th->source = th->dest;
		th->dest = p;
		th->ack_seq = bpf_htonl(bpf_ntohl(seq) + 1);
		th->seq = bpf_htonl((__u32)v);
		th->ack = 1;
		/* the MSS the cookie carries */
		*verdict = VERDICT_SYNACK | (__u32)(v >> 32) << 16;
		return XDP_TX;
	}
	if (th->ack && !th->syn) {
		long r = bpf_tcp_raw_check_syncookie_ipv4(ip, th);

		*verdict = r == 0 ? VERDICT_COOKIE_OK : VERDICT_COOKIE_BAD;
		return r == 0 ? XDP_PASS : XDP_DROP;
	}
	return XDP_PASS;
}

SEC("tc") int synproxy_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);
	__u32 *verdict = (void *)(th + 1);
	struct bpf_sock_tuple t = {};
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct nf_conn *ct;

	if ((void *)(verdict + 1) > end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_TCP || th->dest != bpf_htons(PORT))
		return TC_ACT_OK;
	t.ipv4.saddr = ip->saddr;
	t.ipv4.daddr = ip->daddr;
	t.ipv4.sport = th->source;
	t.ipv4.dport = th->dest;
	ct = bpf_skb_ct_lookup(skb, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	if (ct) {
		bpf_ct_release(ct);
		*verdict = VERDICT_KNOWN;
		return TC_ACT_OK;
	}
	if (th->ack && !th->syn) {
		long r = bpf_tcp_raw_check_syncookie_ipv4(ip, th);

		*verdict = r == 0 ? VERDICT_COOKIE_OK : VERDICT_COOKIE_BAD;
		return r == 0 ? TC_ACT_OK : TC_ACT_SHOT;
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
