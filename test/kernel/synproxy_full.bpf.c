/* SPDX-License-Identifier: MIT */
/*
 * A SYN proxy as users write it (test/kernel-synproxy.spec.ts), written for uxdp in the
 * libbpf-bootstrap style: vmlinux.h generated at record time (target/synproxy-vmlinux, never
 * committed; the object is), CO-RE field accesses, a `.rodata` configuration, an allowed-ports
 * array and a values map.
 *
 * For TCP to an allowed port that conntrack does not know:
 * - a SYN is answered in place with a SYN-ACK whose sequence number is a syncookie
 *   (bpf_tcp_raw_gen_syncookie_ipv4/ipv6), carrying MSS, window scale, SACK-permitted and
 *   timestamps as the SYN asked (options parsed in a bpf_loop callback); IP and TCP checksums are
 *   recomputed with bpf_csum_diff and folded; XDP_TX, or in tc bpf_redirect back out;
 * - an ACK passes when its cookie checks out (bpf_tcp_raw_check_syncookie_ipv4/ipv6), else it is
 *   dropped;
 * - everything else passes. Ethernet with up to two VLAN tags, IPv4 (no IP options) and IPv6.
 *
 * The timestamp value is bpf_ktime_get_ns() in milliseconds with its low 6 bits replaced by the
 * SYN's window scale (4 bits) and SACK-permitted (bit 4), as Linux's own cookies encode options.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IP_DF 0x4000
#define ENOENT 2
#define ETH_ALEN 6
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_TIMESTAMP 8

#define MAX_VLANS 2
#define TCP_MAX_LEN 60
#define ALLOWED_PORTS 8
/* The options of the SYN-ACK: MSS 4, SACK_PERM + timestamps 12 (or NOP NOP + timestamps), window scale 4. */
#define REPLY_OPTS_MAX 20
#define MAX_PACKET_OFF 0xffff

/* Configuration, set by the loader before load (libbpf's skeleton rodata). */
const volatile __u16 default_mss4 = 1460;
const volatile __u16 default_mss6 = 1440;
const volatile __u8 default_ttl = 64;
const volatile __u8 default_wscale = 7;
const volatile bool use_conntrack = true;

/* values[0]: IPv4, values[1]: IPv6, each mss | wscale << 16 | ttl << 24; 0 = the defaults above. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} values SEC(".maps");

/* Ports the proxy protects (host order), ended by the first 0. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u16);
	__uint(max_entries, ALLOWED_PORTS);
} allowed_ports SEC(".maps");

/* What happened: 0 SYN-ACKs sent, 1 cookies accepted, 2 cookies refused, 3 conntrack hits. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} stats SEC(".maps");

/* The MSS the last cookie encodes (the upper half of bpf_tcp_raw_gen_syncookie_*'s value). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} cookie_mss SEC(".maps");

/* The kernel's struct bpf_ct_opts, relocated by CO-RE (the ___local flavour matches it). */
struct bpf_ct_opts___local {
	s32 netns_id;
	s32 error;
	u8 l4proto;
	u8 dir;
	u16 ct_zone_id;
	u8 ct_zone_dir;
	u8 reserved[3];
} __attribute__((preserve_access_index));

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, u32, struct bpf_ct_opts___local *, u32) __ksym;
extern struct nf_conn *bpf_skb_ct_lookup(struct __sk_buff *, struct bpf_sock_tuple *, u32, struct bpf_ct_opts___local *, u32) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;

/* The headers of one packet: packet pointers kept on the stack across calls. */
struct hdrs {
	struct ethhdr *eth;
	struct iphdr *ip4;
	struct ipv6hdr *ip6;
	struct tcphdr *tcp;
	__u32 l3_off;
	__u32 l4_off;
	__u32 tcp_len;
};

/* What the SYN asked for. */
struct syn_opts {
	__u16 mss;
	__u8 wscale;
	__u8 has_wscale;
	__u8 sack;
	__u8 has_ts;
	__u32 tsval;
};

/* The bpf_loop callback's context: where the options are, and where their values go. */
struct opt_walk {
	void *data;
	void *data_end;
	__u32 off;
	__u32 stop;
	struct syn_opts *out;
};

static __always_inline void count(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &what);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline void note_cookie_mss(__s64 cookie)
{
	__u32 zero = 0, mss = cookie >> 32;

	bpf_map_update_elem(&cookie_mss, &zero, &mss, BPF_ANY);
}

static __always_inline __u16 csum_fold(__u64 csum)
{
	csum = (csum & 0xffffffff) + (csum >> 32);
	csum = (csum & 0xffffffff) + (csum >> 32);
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

/* Ethernet, VLAN tags, IPv4 or IPv6, TCP: 0 and the headers found, or -1 when not TCP over IP. */
static __noinline int parse_headers(void *data, void *data_end, struct hdrs *h)
{
	struct ethhdr *eth = data;
	struct vlan_hdr *vlan;
	__u32 off = sizeof(*eth);
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = eth->h_proto;
	for (i = 0; i < MAX_VLANS; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		vlan = data + off;
		if ((void *)(vlan + 1) > data_end)
			return -1;
		proto = vlan->h_vlan_encapsulated_proto;
		off += sizeof(*vlan);
	}
	h->eth = eth;
	h->ip4 = NULL;
	h->ip6 = NULL;
	h->l3_off = off;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;

		if ((void *)(ip + 1) > data_end)
			return -1;
		if (ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
			return -1;
		h->ip4 = ip;
		off += sizeof(*ip);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		if (ip6->nexthdr != IPPROTO_TCP)
			return -1;
		h->ip6 = ip6;
		off += sizeof(*ip6);
	} else {
		return -1;
	}
	h->tcp = data + off;
	if ((void *)(h->tcp + 1) > data_end)
		return -1;
	h->l4_off = off;
	h->tcp_len = h->tcp->doff * 4;
	if (h->tcp_len < sizeof(struct tcphdr))
		return -1;
	return 0;
}

static __always_inline bool port_allowed(__u16 port)
{
	for (__u32 i = 0; i < ALLOWED_PORTS; i++) {
		__u16 *p = bpf_map_lookup_elem(&allowed_ports, &i);

		if (!p || *p == 0)
			return false;
		if (*p == port)
			return true;
	}
	return false;
}

/* One TCP option; 1 ends the walk. */
static long walk_option(__u32 index, void *arg)
{
	struct opt_walk *w = arg;
	__u64 off = w->off;
	__u8 *p, kind, len;

	if (off >= w->stop || off > MAX_PACKET_OFF - TCP_MAX_LEN)
		return 1;
	p = w->data + off;
	if ((void *)(p + 1) > w->data_end)
		return 1;
	kind = p[0];
	if (kind == TCPOPT_EOL)
		return 1;
	if (kind == TCPOPT_NOP) {
		w->off = off + 1;
		return 0;
	}
	if ((void *)(p + 2) > w->data_end)
		return 1;
	len = p[1];
	if (len < 2 || off + len > w->stop)
		return 1;
	switch (kind) {
	case TCPOPT_MSS:
		if (len == 4 && (void *)(p + 4) <= w->data_end)
			w->out->mss = (p[2] << 8) | p[3];
		break;
	case TCPOPT_WINDOW:
		if (len == 3 && (void *)(p + 3) <= w->data_end) {
			w->out->wscale = p[2] > 14 ? 14 : p[2];
			w->out->has_wscale = 1;
		}
		break;
	case TCPOPT_SACK_PERM:
		if (len == 2)
			w->out->sack = 1;
		break;
	case TCPOPT_TIMESTAMP:
		if (len == 10 && (void *)(p + 10) <= w->data_end) {
			w->out->has_ts = 1;
			w->out->tsval = bpf_ntohl(*(__be32 *)(p + 2));
		}
		break;
	}
	w->off = off + len;
	return 0;
}

/* The SYN-ACK's options from the SYN's, into 32-bit words; returns their length in bytes. */
static __always_inline __u32 reply_options(__be32 *opt, const struct syn_opts *s, __u16 mss, __u8 wscale)
{
	__u32 n = 0;
	__u64 now = bpf_ktime_get_ns() / 1000000;

	opt[n++] = bpf_htonl((TCPOPT_MSS << 24) | (4 << 16) | mss);
	if (s->has_ts) {
		__u32 tsval = ((__u32)now & ~0x3fu) | (s->has_wscale ? s->wscale : 0xf) | (s->sack ? 0x10 : 0);

		if (s->sack)
			opt[n++] = bpf_htonl((TCPOPT_SACK_PERM << 24) | (2 << 16) | (TCPOPT_TIMESTAMP << 8) | 10);
		else
			opt[n++] = bpf_htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) | (TCPOPT_TIMESTAMP << 8) | 10);
		opt[n++] = bpf_htonl(tsval);
		opt[n++] = bpf_htonl(s->tsval);
	} else if (s->sack) {
		opt[n++] = bpf_htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) | (TCPOPT_SACK_PERM << 8) | 2);
	}
	if (s->has_wscale)
		opt[n++] = bpf_htonl((TCPOPT_NOP << 24) | (TCPOPT_WINDOW << 16) | (3 << 8) | wscale);
	return n * 4;
}

static __always_inline void reply_config(bool v6, __u16 *mss, __u8 *wscale, __u8 *ttl)
{
	__u32 key = v6;
	__u64 *v = bpf_map_lookup_elem(&values, &key);
	__u64 x = v ? *v : 0;

	*mss = x & 0xffff ? x & 0xffff : (v6 ? default_mss6 : default_mss4);
	*wscale = (x >> 16) & 0xff ? (x >> 16) & 0xf : default_wscale;
	*ttl = (x >> 24) & 0xff ? (x >> 24) & 0xff : default_ttl;
}

/* The TCP checksum of a header of tcp_len bytes whose first 20 are th and the rest opt. */
static __always_inline __u16 tcp_checksum(struct hdrs *h, struct tcphdr *th, __be32 *opt, __u32 opt_len)
{
	__u32 tcp_len = sizeof(*th) + opt_len;
	__s64 sum;

	sum = bpf_csum_diff(0, 0, (__be32 *)th, sizeof(*th), 0);
	sum = bpf_csum_diff(0, 0, opt, opt_len & 0x1f, sum);
	if (h->ip4) {
		__be32 pseudo[3] = { h->ip4->saddr, h->ip4->daddr, bpf_htonl((IPPROTO_TCP << 16) | tcp_len) };

		sum = bpf_csum_diff(0, 0, pseudo, sizeof(pseudo), sum);
	} else if (h->ip6) {
		struct {
			struct in6_addr saddr, daddr;
			__be32 len, next;
		} pseudo = { .len = bpf_htonl(tcp_len), .next = bpf_htonl(IPPROTO_TCP) };

		__builtin_memcpy(&pseudo.saddr, &h->ip6->saddr, sizeof(pseudo.saddr));
		__builtin_memcpy(&pseudo.daddr, &h->ip6->daddr, sizeof(pseudo.daddr));
		sum = bpf_csum_diff(0, 0, (__be32 *)&pseudo, sizeof(pseudo), sum);
	}
	return csum_fold(sum);
}

/* Turn the SYN's headers (already bounds-checked for 20 TCP bytes) into the SYN-ACK's. */
static __always_inline void write_synack(struct hdrs *h, __u32 cookie, __u8 ttl, __u32 opt_len)
{
	struct ethhdr *eth = h->eth;
	struct tcphdr *th = h->tcp;
	unsigned char mac[ETH_ALEN];
	__u32 seq = bpf_ntohl(th->seq);
	__u16 port;

	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	if (h->ip4) {
		struct iphdr *ip = h->ip4;
		__be32 a = ip->saddr;

		ip->saddr = ip->daddr;
		ip->daddr = a;
		ip->ttl = ttl;
		ip->tos = 0;
		ip->id = 0;
		ip->frag_off = bpf_htons(IP_DF);
		ip->tot_len = bpf_htons(sizeof(*ip) + sizeof(*th) + opt_len);
		ip->check = 0;
		ip->check = csum_fold(bpf_csum_diff(0, 0, (__be32 *)ip, sizeof(*ip), 0));
	} else if (h->ip6) {
		struct ipv6hdr *ip6 = h->ip6;
		struct in6_addr a = ip6->saddr;

		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		ip6->hop_limit = ttl;
		ip6->payload_len = bpf_htons(sizeof(*th) + opt_len);
	}
	port = th->source;
	th->source = th->dest;
	th->dest = port;
	th->ack_seq = bpf_htonl(seq + 1);
	th->seq = bpf_htonl(cookie);
	/* doff, then the flags byte: SYN|ACK */
	((__u8 *)th)[12] = ((sizeof(*th) + opt_len) / 4) << 4;
	((__u8 *)th)[13] = 0x12;
	th->window = bpf_htons(0);
	th->urg_ptr = 0;
	th->check = 0;
}

/* The SYN's TCP header and options in a stack buffer (for the cookie helpers, which read doff * 4 bytes). */
struct tcp_copy {
	__u8 b[TCP_MAX_LEN];
};

SEC("xdp")
int syncookie_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct bpf_ct_opts___local ct_opts = { .netns_id = BPF_F_CURRENT_NETNS, .l4proto = IPPROTO_TCP };
	struct bpf_sock_tuple tuple = {};
	struct syn_opts syn = {};
	struct opt_walk walk;
	struct tcp_copy copy = {};
	__be32 opt[REPLY_OPTS_MAX / 4] = {};
	struct hdrs h;
	__u32 tuple_len, opt_len, tcp_len, l4_off, new_len;
	__u16 mss;
	__u8 wscale, ttl;
	__s64 cookie;
	bool syn_flag, ack_flag;

	if (parse_headers(data, data_end, &h))
		return XDP_PASS;
	if (!port_allowed(bpf_ntohs(h.tcp->dest)))
		return XDP_PASS;
	syn_flag = h.tcp->syn && !h.tcp->ack && !h.tcp->rst;
	ack_flag = h.tcp->ack && !h.tcp->syn && !h.tcp->rst;
	if (!syn_flag && !ack_flag)
		return XDP_PASS;

	if (use_conntrack) {
		struct nf_conn *ct;

		if (h.ip4) {
			tuple.ipv4.saddr = h.ip4->saddr;
			tuple.ipv4.daddr = h.ip4->daddr;
			tuple.ipv4.sport = h.tcp->source;
			tuple.ipv4.dport = h.tcp->dest;
			tuple_len = sizeof(tuple.ipv4);
		} else if (h.ip6) {
			__builtin_memcpy(tuple.ipv6.saddr, &h.ip6->saddr, sizeof(tuple.ipv6.saddr));
			__builtin_memcpy(tuple.ipv6.daddr, &h.ip6->daddr, sizeof(tuple.ipv6.daddr));
			tuple.ipv6.sport = h.tcp->source;
			tuple.ipv6.dport = h.tcp->dest;
			tuple_len = sizeof(tuple.ipv6);
		} else {
			return XDP_ABORTED;
		}
		ct = bpf_xdp_ct_lookup(ctx, &tuple, tuple_len, &ct_opts, sizeof(ct_opts));
		if (ct) {
			bpf_ct_release(ct);
			count(3);
			return XDP_PASS;
		}
		if (ct_opts.error != -ENOENT)
			return XDP_ABORTED;
	}

	if (ack_flag) {
		long r;

		if (h.ip4)
			r = bpf_tcp_raw_check_syncookie_ipv4(h.ip4, h.tcp);
		else if (h.ip6)
			r = bpf_tcp_raw_check_syncookie_ipv6(h.ip6, h.tcp);
		else
			r = -1;
		count(r ? 2 : 1);
		return r ? XDP_DROP : XDP_PASS;
	}

	/* a SYN: its options, walked in the packet */
	tcp_len = h.tcp_len;
	if (tcp_len > TCP_MAX_LEN)
		return XDP_DROP;
	walk.data = data;
	walk.data_end = data_end;
	walk.off = h.l4_off + sizeof(struct tcphdr);
	walk.stop = h.l4_off + tcp_len;
	walk.out = &syn;
	bpf_loop(TCP_MAX_LEN - sizeof(struct tcphdr), walk_option, &walk, 0);

	/* the cookie, from a copy of the header with its options */
	if (bpf_xdp_load_bytes(ctx, h.l4_off, &copy, tcp_len))
		return XDP_DROP;
	if (h.ip4)
		cookie = bpf_tcp_raw_gen_syncookie_ipv4(h.ip4, (struct tcphdr *)&copy, tcp_len);
	else if (h.ip6)
		cookie = bpf_tcp_raw_gen_syncookie_ipv6(h.ip6, (struct tcphdr *)&copy, tcp_len);
	else
		cookie = -1;
	if (cookie < 0)
		return XDP_DROP;
	note_cookie_mss(cookie);

	reply_config(!h.ip4, &mss, &wscale, &ttl);
	if (syn.mss && syn.mss < mss)
		mss = syn.mss;
	opt_len = reply_options(opt, &syn, mss, wscale);

	/* the reply is exactly the headers: resize the frame, then find them again */
	l4_off = h.l4_off;
	new_len = l4_off + sizeof(struct tcphdr) + opt_len;
	if (bpf_xdp_adjust_tail(ctx, (int)new_len - (int)(data_end - data)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (parse_headers(data, data_end, &h))
		return XDP_ABORTED;
	if (h.l4_off != l4_off)
		return XDP_ABORTED;

	write_synack(&h, (__u32)cookie, ttl, opt_len);
	/* the options after the 20 bytes of TCP header, a word at a time */
	for (__u32 i = 0; i < REPLY_OPTS_MAX / 4; i++) {
		__be32 *w = (__be32 *)(h.tcp + 1) + i;

		if (i * 4 >= opt_len)
			break;
		if ((void *)(w + 1) > data_end)
			return XDP_ABORTED;
		*w = opt[i];
	}
	h.tcp->check = tcp_checksum(&h, h.tcp, opt, opt_len);
	count(0);
	return XDP_TX;
}

/* tc: the same decisions on an skb; the SYN-ACK is built on the stack and stored over the packet. */
struct reply {
	__u8 b[sizeof(struct ethhdr) + MAX_VLANS * sizeof(struct vlan_hdr) + sizeof(struct ipv6hdr) + sizeof(struct tcphdr) + REPLY_OPTS_MAX];
};

SEC("tc")
int syncookie_tc(struct __sk_buff *skb)
{
	void *data, *data_end;
	struct bpf_ct_opts___local ct_opts = { .netns_id = BPF_F_CURRENT_NETNS, .l4proto = IPPROTO_TCP };
	struct bpf_sock_tuple tuple = {};
	struct syn_opts syn = {};
	struct opt_walk walk;
	struct tcp_copy copy = {};
	struct reply out = {};
	__be32 opt[REPLY_OPTS_MAX / 4] = {};
	struct hdrs h;
	__u32 tuple_len, opt_len, tcp_len, l4_off, hdr_len;
	__u16 mss;
	__u8 wscale, ttl;
	__s64 cookie;
	bool syn_flag, ack_flag;

	if (bpf_skb_pull_data(skb, 0))
		return TC_ACT_OK;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (parse_headers(data, data_end, &h))
		return TC_ACT_OK;
	if (!port_allowed(bpf_ntohs(h.tcp->dest)))
		return TC_ACT_OK;
	syn_flag = h.tcp->syn && !h.tcp->ack && !h.tcp->rst;
	ack_flag = h.tcp->ack && !h.tcp->syn && !h.tcp->rst;
	if (!syn_flag && !ack_flag)
		return TC_ACT_OK;

	if (use_conntrack) {
		struct nf_conn *ct;

		if (h.ip4) {
			tuple.ipv4.saddr = h.ip4->saddr;
			tuple.ipv4.daddr = h.ip4->daddr;
			tuple.ipv4.sport = h.tcp->source;
			tuple.ipv4.dport = h.tcp->dest;
			tuple_len = sizeof(tuple.ipv4);
		} else if (h.ip6) {
			__builtin_memcpy(tuple.ipv6.saddr, &h.ip6->saddr, sizeof(tuple.ipv6.saddr));
			__builtin_memcpy(tuple.ipv6.daddr, &h.ip6->daddr, sizeof(tuple.ipv6.daddr));
			tuple.ipv6.sport = h.tcp->source;
			tuple.ipv6.dport = h.tcp->dest;
			tuple_len = sizeof(tuple.ipv6);
		} else {
			return TC_ACT_SHOT;
		}
		ct = bpf_skb_ct_lookup(skb, &tuple, tuple_len, &ct_opts, sizeof(ct_opts));
		if (ct) {
			bpf_ct_release(ct);
			count(3);
			return TC_ACT_OK;
		}
		if (ct_opts.error != -ENOENT)
			return TC_ACT_SHOT;
	}

	if (ack_flag) {
		long r;

		if (h.ip4)
			r = bpf_tcp_raw_check_syncookie_ipv4(h.ip4, h.tcp);
		else if (h.ip6)
			r = bpf_tcp_raw_check_syncookie_ipv6(h.ip6, h.tcp);
		else
			r = -1;
		count(r ? 2 : 1);
		return r ? TC_ACT_SHOT : TC_ACT_OK;
	}

	tcp_len = h.tcp_len;
	if (tcp_len > TCP_MAX_LEN)
		return TC_ACT_SHOT;
	walk.data = data;
	walk.data_end = data_end;
	walk.off = h.l4_off + sizeof(struct tcphdr);
	walk.stop = h.l4_off + tcp_len;
	walk.out = &syn;
	bpf_loop(TCP_MAX_LEN - sizeof(struct tcphdr), walk_option, &walk, 0);

	if (bpf_skb_load_bytes(skb, h.l4_off, &copy, tcp_len))
		return TC_ACT_SHOT;
	if (h.ip4)
		cookie = bpf_tcp_raw_gen_syncookie_ipv4(h.ip4, (struct tcphdr *)&copy, tcp_len);
	else if (h.ip6)
		cookie = bpf_tcp_raw_gen_syncookie_ipv6(h.ip6, (struct tcphdr *)&copy, tcp_len);
	else
		cookie = -1;
	if (cookie < 0)
		return TC_ACT_SHOT;
	note_cookie_mss(cookie);

	reply_config(!h.ip4, &mss, &wscale, &ttl);
	if (syn.mss && syn.mss < mss)
		mss = syn.mss;
	opt_len = reply_options(opt, &syn, mss, wscale);

	/* the headers in place first (as XDP does), then the whole reply copied out to the stack */
	l4_off = h.l4_off;
	hdr_len = l4_off + sizeof(struct tcphdr);
	write_synack(&h, (__u32)cookie, ttl, opt_len);
	h.tcp->check = tcp_checksum(&h, h.tcp, opt, opt_len);
	if (hdr_len < sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct tcphdr) || hdr_len > sizeof(out.b) - REPLY_OPTS_MAX)
		return TC_ACT_SHOT;
	if (bpf_skb_load_bytes(skb, 0, &out, hdr_len))
		return TC_ACT_SHOT;
	for (__u32 i = 0; i < REPLY_OPTS_MAX / 4; i++) {
		__u32 at = hdr_len + i * 4;

		if (i * 4 >= opt_len || at > sizeof(out.b) - 4)
			break;
		__builtin_memcpy(&out.b[at], &opt[i], 4);
	}
	if (bpf_skb_change_tail(skb, hdr_len + opt_len, 0))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, 0, &out, hdr_len + opt_len, 0))
		return TC_ACT_SHOT;
	count(0);
	return bpf_redirect(skb->ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
