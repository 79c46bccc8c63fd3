/* SPDX-License-Identifier: MIT */
/*
 * The host helpers from tc (SCHED_CLS) programs, for the verifier's verdicts (written for uxdp;
 * no kernel selftest code): the skb variants of the socket lookups, bpf_fib_lookup and
 * bpf_check_mtu (with BPF_MTU_CHK_SEGS, which only tc takes). -DLEAK drops the bpf_sk_release,
 * which the verifier refuses.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int hn_tc(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_fib_lookup p = {};
	struct bpf_sock *sk;
	__u32 mtu_len = 0;
	int r = 0;

	t.ipv4.dport = bpf_htons(80);
	sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (sk) {
		r += sk->state + sk->src_port + sk->mark;
#ifndef LEAK
		bpf_sk_release(sk);
#endif
	}
	sk = (struct bpf_sock *)bpf_skc_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (sk) {
		r += sk->state;
		bpf_sk_release(sk);
	}
	p.family = 2;
	p.ifindex = skb->ifindex;
	r += bpf_fib_lookup(skb, &p, sizeof(p), BPF_FIB_LOOKUP_DIRECT);
	r += bpf_check_mtu(skb, 0, &mtu_len, 0, BPF_MTU_CHK_SEGS);
	return r ? TC_ACT_OK : TC_ACT_SHOT;
}
