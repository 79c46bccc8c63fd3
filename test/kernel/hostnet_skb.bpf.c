/* SPDX-License-Identifier: MIT */
/*
 * The host helpers from tc (SCHED_CLS) programs at run time (written for uxdp; no kernel
 * selftest code): the skb variants of bpf_sk_lookup_tcp/_udp, bpf_skc_lookup_tcp and
 * bpf_fib_lookup. The questions and answers are hostnet.bpf.c's, at the same packet offsets, read
 * with bpf_skb_load_bytes and written back with bpf_skb_store_bytes; the caller's device is
 * skb->dev (loopback, or ctx_in's ifindex), and bpf_fib_lookup without tot_len checks the skb's
 * own length against the egress device (is_skb_forwardable) and returns its MTU in mtu_result.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* hostnet.bpf.c's lookup question (offset 0) and answer (offset ANSWER) */
struct lookup_q {
	__u32 op;
	__u32 len;
	__u64 netns;
	__u64 flags;
	__u8 tuple[36];
	__u32 pad;
};

struct lookup_a {
	__u32 found;
	__u32 bound_dev_if;
	__u32 family;
	__u32 type;
	__u32 protocol;
	__u32 mark;
	__u32 priority;
	__u32 src_ip4;
	__u32 src_ip6[4];
	__u32 src_port;
	__u32 dst_port;
	__u32 dst_port16;
	__u32 dst_ip4;
	__u32 dst_ip6[4];
	__u32 state;
	__s32 rx_queue_mapping;
	__u32 ip4_byte;
};

#define ANSWER 64

#define READ_COMMON(a, sk)							\
	do {								\
		(a).found = 1;						\
		(a).bound_dev_if = (sk)->bound_dev_if;			\
		(a).family = (sk)->family;				\
		(a).src_ip4 = (sk)->src_ip4;				\
		(a).ip4_byte = *((__u8 *)&(sk)->src_ip4 + 1);		\
		(a).src_ip6[0] = (sk)->src_ip6[0];			\
		(a).src_ip6[1] = (sk)->src_ip6[1];			\
		(a).src_ip6[2] = (sk)->src_ip6[2];			\
		(a).src_ip6[3] = (sk)->src_ip6[3];			\
		(a).src_port = (sk)->src_port;				\
		(a).dst_port = *(volatile __u32 *)&(sk)->dst_port;	\
		(a).dst_port16 = (sk)->dst_port;			\
		(a).dst_ip4 = (sk)->dst_ip4;				\
		(a).dst_ip6[0] = (sk)->dst_ip6[0];			\
		(a).dst_ip6[1] = (sk)->dst_ip6[1];			\
		(a).dst_ip6[2] = (sk)->dst_ip6[2];			\
		(a).dst_ip6[3] = (sk)->dst_ip6[3];			\
		(a).state = (sk)->state;				\
	} while (0)

SEC("tc")
int tc_lookup(struct __sk_buff *skb)
{
	struct lookup_q q = {};
	struct lookup_a a = {};
	struct bpf_sock *sk;
	__u32 len;

	if (bpf_skb_load_bytes(skb, 0, &q, sizeof(q)))
		return TC_ACT_SHOT;
	len = q.len;
	if (len > 36)
		len = 36;
	if (q.op == 0)
		sk = bpf_sk_lookup_tcp(skb, (struct bpf_sock_tuple *)q.tuple, len, q.netns, q.flags);
	else
		sk = bpf_sk_lookup_udp(skb, (struct bpf_sock_tuple *)q.tuple, len, q.netns, q.flags);
	if (sk) {
		READ_COMMON(a, sk);
		a.type = sk->type;
		a.protocol = sk->protocol;
		a.mark = sk->mark;
		a.priority = sk->priority;
		a.rx_queue_mapping = sk->rx_queue_mapping;
		bpf_sk_release(sk);
	}
	if (bpf_skb_store_bytes(skb, ANSWER, &a, sizeof(a), 0))
		return TC_ACT_SHOT;
	return a.found ? TC_ACT_OK : TC_ACT_UNSPEC;
}

SEC("tc")
int tc_skc(struct __sk_buff *skb)
{
	struct lookup_q q = {};
	struct lookup_a a = {};
	struct bpf_sock *sk;
	__u32 len;

	if (bpf_skb_load_bytes(skb, 0, &q, sizeof(q)))
		return TC_ACT_SHOT;
	len = q.len;
	if (len > 36)
		len = 36;
	sk = (struct bpf_sock *)bpf_skc_lookup_tcp(skb, (struct bpf_sock_tuple *)q.tuple, len, q.netns, q.flags);
	if (sk) {
		READ_COMMON(a, sk);
		bpf_sk_release(sk);
	}
	if (bpf_skb_store_bytes(skb, ANSWER, &a, sizeof(a), 0))
		return TC_ACT_SHOT;
	return a.found ? TC_ACT_OK : TC_ACT_UNSPEC;
}

/* flags at 0, struct bpf_fib_lookup at 8 (rewritten), the s64 answer at 72 */
SEC("tc")
int tc_fib(struct __sk_buff *skb)
{
	struct bpf_fib_lookup p;
	__u32 flags;
	__s64 r;

	if (bpf_skb_load_bytes(skb, 0, &flags, 4) || bpf_skb_load_bytes(skb, 8, &p, sizeof(p)))
		return TC_ACT_SHOT;
	r = bpf_fib_lookup(skb, &p, sizeof(p), flags);
	if (bpf_skb_store_bytes(skb, 8, &p, sizeof(p), 0) || bpf_skb_store_bytes(skb, 72, &r, 8, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}
