/* SPDX-License-Identifier: MIT */
/*
 * The host's sockets and routes as XDP programs ask about them (written for uxdp; no kernel
 * selftest code). Each program reads its question from the packet (bpf_xdp_load_bytes) and
 * writes its answer back into it (bpf_xdp_store_bytes), so data_out carries everything compared:
 *
 *   hn_lookup   bpf_sk_lookup_tcp / _udp with the tuple, its length, the netns argument and
 *               flags of the question; the struct bpf_sock fields read from the socket found,
 *               then bpf_sk_release
 *   hn_skc      the same with bpf_skc_lookup_tcp (the sock_common fields only)
 *   hn_fib      bpf_fib_lookup on the struct bpf_fib_lookup of the question, with its flags
 *   hn_mtu      bpf_check_mtu with the ifindex, mtu_len, len_diff and flags of the question
 *   hn_cookie   looks the listener up by the packet's IP/TCP headers, bpf_tcp_gen_syncookie on
 *               them, then turns the SYN into the ACK a client would send and asks
 *               bpf_tcp_check_syncookie; cookie values are random per boot in the kernel, so
 *               only the MSS, the error codes and whether the round trip checks out are written
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/* hn_lookup's question at offset 0, its answer from ANSWER on */
struct lookup_q {
	__u32 op;	/* hn_lookup: 0 sk_lookup_tcp, 1 sk_lookup_udp */
	__u32 len;	/* tuple length handed over (at most 36) */
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
	__u32 dst_port;		/* the 4-byte load (network order port, zero padding) */
	__u32 dst_port16;	/* the 2-byte load */
	__u32 dst_ip4;
	__u32 dst_ip6[4];
	__u32 state;
	__s32 rx_queue_mapping;
	__u32 ip4_byte;		/* a 1-byte load of src_ip4's second byte */
};

#define ANSWER 64

/* the fields a struct bpf_sock_common pointer may read */
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

/* bpf_sk_lookup_tcp (op 0) or bpf_sk_lookup_udp (op 1): a full socket */
SEC("xdp")
int hn_lookup(struct xdp_md *ctx)
{
	struct lookup_q q = {};
	struct lookup_a a = {};
	struct bpf_sock *sk;
	__u32 len;

	if (bpf_xdp_load_bytes(ctx, 0, &q, sizeof(q)))
		return XDP_ABORTED;
	len = q.len;
	if (len > 36)
		len = 36;
	if (q.op == 0)
		sk = bpf_sk_lookup_tcp(ctx, (struct bpf_sock_tuple *)q.tuple, len, q.netns, q.flags);
	else
		sk = bpf_sk_lookup_udp(ctx, (struct bpf_sock_tuple *)q.tuple, len, q.netns, q.flags);
	if (sk) {
		READ_COMMON(a, sk);
		a.type = sk->type;
		a.protocol = sk->protocol;
		a.mark = sk->mark;
		a.priority = sk->priority;
		a.rx_queue_mapping = sk->rx_queue_mapping;
		bpf_sk_release(sk);
	}
	if (bpf_xdp_store_bytes(ctx, ANSWER, &a, sizeof(a)))
		return XDP_ABORTED;
	return a.found ? XDP_PASS : XDP_DROP;
}

/* bpf_skc_lookup_tcp: any socket, request and timewait ones too */
SEC("xdp")
int hn_skc(struct xdp_md *ctx)
{
	struct lookup_q q = {};
	struct lookup_a a = {};
	struct bpf_sock *sk;
	__u32 len;

	if (bpf_xdp_load_bytes(ctx, 0, &q, sizeof(q)))
		return XDP_ABORTED;
	len = q.len;
	if (len > 36)
		len = 36;
	sk = (struct bpf_sock *)bpf_skc_lookup_tcp(ctx, (struct bpf_sock_tuple *)q.tuple, len, q.netns, q.flags);
	if (sk) {
		READ_COMMON(a, sk);
		bpf_sk_release(sk);
	}
	if (bpf_xdp_store_bytes(ctx, ANSWER, &a, sizeof(a)))
		return XDP_ABORTED;
	return a.found ? XDP_PASS : XDP_DROP;
}

/* hn_fib: flags at 0, struct bpf_fib_lookup at 8 (rewritten), the s64 answer at 72 */
SEC("xdp")
int hn_fib(struct xdp_md *ctx)
{
	struct bpf_fib_lookup p;
	__u32 flags;
	__s64 r;

	if (bpf_xdp_load_bytes(ctx, 0, &flags, 4) || bpf_xdp_load_bytes(ctx, 8, &p, sizeof(p)))
		return XDP_ABORTED;
	r = bpf_fib_lookup(ctx, &p, sizeof(p), flags);
	if (bpf_xdp_store_bytes(ctx, 8, &p, sizeof(p)) || bpf_xdp_store_bytes(ctx, 72, &r, 8))
		return XDP_ABORTED;
	return XDP_PASS;
}

/* hn_mtu: ifindex, mtu_len, len_diff at 0, 4, 8, flags at 16; the answer at 24, mtu_len at 32 */
SEC("xdp")
int hn_mtu(struct xdp_md *ctx)
{
	__u32 q[6];
	__u32 mtu_len;
	__s64 r;

	if (bpf_xdp_load_bytes(ctx, 0, q, sizeof(q)))
		return XDP_ABORTED;
	mtu_len = q[1];
	r = bpf_check_mtu(ctx, q[0], &mtu_len, (__s32)q[2], *(__u64 *)&q[4]);
	if (bpf_xdp_store_bytes(ctx, 24, &r, 8) || bpf_xdp_store_bytes(ctx, 32, &mtu_len, 4))
		return XDP_ABORTED;
	return XDP_PASS;
}

/*
 * hn_cookie's question: mode, iph_len, th_len (handed to gen), netns at 0..16; the IP header at
 * 64 (40 bytes read), the TCP header at 104 (60 bytes read). Modes: 0 gen then check the ACK
 * made from the SYN, 1 check the packet's own headers only, 2 gen on the lookup's socket with the
 * headers as they are (an established socket's errors). The answer at 16: the lookup (1 found),
 * gen's answer (negative errno, or the MSS it encoded), check's answer.
 */
struct cookie_q {
	__u32 mode;
	__u32 iph_len;
	__u32 th_len;
	__u32 netns;
};

struct cookie_a {
	__s64 found;
	__s64 gen;
	__s64 check;
};

SEC("xdp")
int hn_cookie(struct xdp_md *ctx)
{
	struct cookie_q q;
	struct cookie_a a = { .gen = 1, .check = 1 };
	__u8 iph[40];
	__u8 th[60];
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 iph_len, th_len, tlen;
	__s64 gen;

	if (bpf_xdp_load_bytes(ctx, 0, &q, sizeof(q)) || bpf_xdp_load_bytes(ctx, 64, iph, sizeof(iph)) ||
	    bpf_xdp_load_bytes(ctx, 104, th, sizeof(th)))
		return XDP_ABORTED;
	if ((iph[0] >> 4) == 6) {
		__builtin_memcpy(t.ipv6.saddr, iph + 8, 16);
		__builtin_memcpy(t.ipv6.daddr, iph + 24, 16);
		__builtin_memcpy(&t.ipv6.sport, th, 2);
		__builtin_memcpy(&t.ipv6.dport, th + 2, 2);
		tlen = sizeof(t.ipv6);
	} else {
		__builtin_memcpy(&t.ipv4.saddr, iph + 12, 4);
		__builtin_memcpy(&t.ipv4.daddr, iph + 16, 4);
		__builtin_memcpy(&t.ipv4.sport, th, 2);
		__builtin_memcpy(&t.ipv4.dport, th + 2, 2);
		tlen = sizeof(t.ipv4);
	}
	sk = bpf_skc_lookup_tcp(ctx, &t, tlen, q.netns, 0);
	if (!sk)
		goto out;
	a.found = 1;
	iph_len = q.iph_len;
	if (iph_len > 40)
		iph_len = 40;
	if (iph_len < 1)
		iph_len = 1;
	th_len = q.th_len;
	if (th_len > 60)
		th_len = 60;
	if (th_len < 1)
		th_len = 1;
	if (q.mode != 1) {
		gen = bpf_tcp_gen_syncookie(sk, iph, iph_len, (struct tcphdr *)th, th_len);
		a.gen = gen < 0 ? gen : gen >> 32;
		if (q.mode == 0 && gen >= 0) {
			__u32 seq, ack;

			__builtin_memcpy(&seq, th + 4, 4);
			seq = bpf_htonl(bpf_ntohl(seq) + 1);
			ack = bpf_htonl((__u32)gen + 1);
			__builtin_memcpy(th + 4, &seq, 4);
			__builtin_memcpy(th + 8, &ack, 4);
			th[13] = 0x10; /* ACK */
			a.check = bpf_tcp_check_syncookie(sk, iph, iph_len, (struct tcphdr *)th, th_len);
		}
	} else {
		a.check = bpf_tcp_check_syncookie(sk, iph, iph_len, (struct tcphdr *)th, th_len);
	}
	bpf_sk_release(sk);
out:
	if (bpf_xdp_store_bytes(ctx, 16, &a, sizeof(a)))
		return XDP_ABORTED;
	return XDP_PASS;
}
