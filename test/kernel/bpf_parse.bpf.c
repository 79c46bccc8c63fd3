/* SPDX-License-Identifier: MIT */
/*
 * An Ethernet (optionally one 802.1Q tag) / IPv4 / UDP parser through dynptr slices (written for
 * uxdp; no kernel selftest code). It checks the IPv4 header checksum and the UDP checksum (the
 * whole datagram, summed by a bpf_loop callback in 256-byte bpf_dynptr_read chunks with
 * bpf_csum_diff), then answers XDP_TX with the MAC addresses swapped, the TTL decremented, the
 * destination address and port rewritten and both checksums updated: the IPv4 one recomputed over
 * the header (options included), the UDP one incrementally with bpf_csum_diff. Headers may straddle
 * the linear part and the frags (slices then come back in the caller's buffer and writes go
 * through bpf_dynptr_write). Non-IPv4 and non-UDP packets: XDP_PASS untouched; malformed or bad
 * checksums: XDP_DROP. Each step is recorded (bpf_diff.h).
 *
 * csum_raw records bpf_csum_diff's results for sizes of every kind (since Linux 6.13 the helper
 * folds its sum to 16 bits and takes sizes that are not multiples of 4, and more than 512 bytes).
 */
#include "bpf_diff.h"
#include "bpf_kfuncs.h"
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>

#define NEW_DADDR 0x0a090807 /* 10.9.8.7 */
#define NEW_DPORT 4242

/* The 16-bit ones' complement of a 32-bit partial sum. */
static __always_inline __attribute__((unused)) __u16 bd_fold(__u64 c)
{
	c &= 0xffffffff;
	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (__u16)~c;
}

struct csum_walk {
	struct bpf_dynptr p;
	__u32 off;
	__u32 end;
	__s64 sum;
	__s64 err;
};

static __attribute__((unused)) long csum_chunk(__u32 i, struct csum_walk *w)
{
	__u8 buf[256];
	__u32 off = w->off + i * 256;
	__u32 left;
	long err;

	if (off >= w->end)
		return 1;
	left = w->end - off;
	if (left >= 256) {
		err = bpf_dynptr_read(buf, 256, &w->p, off, 0);
		if (!err)
			w->sum = bpf_csum_diff(0, 0, (__be32 *)buf, 256, (__wsum)w->sum);
	} else {
		__builtin_memset(buf, 0, sizeof(buf));
		/* a bound the verifier can see on the register passed as the length */
		asm volatile("%0 &= 255" : "+r"(left));
		err = bpf_dynptr_read(buf, left, &w->p, off, 0);
		if (!err) {
			/* rounded up to whole words (the tail of buf is zero), in steps the verifier
			 * follows: at most 256 */
			__u64 words = left;

			asm volatile("%0 += 3; %0 >>= 2; %0 <<= 2" : "+r"(words));
			w->sum = bpf_csum_diff(0, 0, (__be32 *)buf, words, (__wsum)w->sum);
		}
	}
	if (err) {
		w->err = err;
		return 1;
	}
	return 0;
}

/* The UDP checksum over the pseudo header and the datagram at [off, off + ulen): 1 when valid. */
static __always_inline __attribute__((unused)) int udp_valid(struct xdp_md *ctx, struct csum_walk *w, const __u8 *hb, __u32 off, __u32 ulen)
{
	__u8 ph[12];

	__builtin_memcpy(ph, hb + 12, 8);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP;
	ph[10] = ulen >> 8;
	ph[11] = ulen & 0xff;
	w->off = off;
	w->end = off + ulen;
	w->sum = bpf_csum_diff(0, 0, (__be32 *)ph, 12, 0);
	w->err = 0;
	R(bpf_loop((ulen + 255) / 256 + 1, csum_chunk, w, 0));
	R(w->err);
	return !w->err && bd_fold(w->sum) == 0;
}

#if !defined(BD_ONLY) || defined(BD_ONLY_parse_rewrite)
SEC(UXDP_SEC)
int parse_rewrite(struct xdp_md *ctx)
{
	struct csum_walk w;
	__u8 ebuf[14], vbuf[4], ibuf[20], ubuf[8], hb[60];
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *udp;
	__u32 off = ETH_HLEN, hlen, ulen;
	__u16 proto, check;
	__be32 old[2], new[2];
	__s64 c;

	R(bpf_dynptr_from_xdp(ctx, 0, &w.p));
	eth = bpf_dynptr_slice(&w.p, 0, ebuf, sizeof(ebuf));
	R(BD_KIND(eth, ebuf));
	if (!eth)
		return XDP_DROP;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		__u8 *vl = bpf_dynptr_slice(&w.p, ETH_HLEN, vbuf, sizeof(vbuf));

		R(BD_KIND(vl, vbuf));
		if (!vl)
			return XDP_DROP;
		proto = *(__u16 *)(vl + 2);
		off += 4;
	}
	R(bpf_ntohs(proto));
	if (proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	iph = bpf_dynptr_slice(&w.p, off, ibuf, sizeof(ibuf));
	R(BD_KIND(iph, ibuf));
	if (!iph)
		return XDP_DROP;
	if (iph->version != 4 || iph->ihl < 5) {
		R(-1);
		return XDP_DROP;
	}
	hlen = iph->ihl * 4;
	R(bpf_dynptr_read(hb, hlen, &w.p, off, 0));
	c = bpf_csum_diff(0, 0, (__be32 *)hb, hlen, 0);
	R(c);
	if (bd_fold(c)) {
		R(-2);
		return XDP_DROP;
	}
	if (hb[9] != IPPROTO_UDP)
		return XDP_PASS;

	udp = bpf_dynptr_slice(&w.p, off + hlen, ubuf, sizeof(ubuf));
	R(BD_KIND(udp, ubuf));
	if (!udp)
		return XDP_DROP;
	ulen = bpf_ntohs(udp->len);
	check = udp->check;
	old[1] = *(__be32 *)udp; /* source and destination port */
	R(ulen);
	if (ulen < 8 || ulen > 0xffff)
		return XDP_DROP;
	if (check && !udp_valid(ctx, &w, hb, off + hlen, ulen)) {
		R(-3);
		return XDP_DROP;
	}

	/* rewrite: MACs */
	eth = bpf_dynptr_slice_rdwr(&w.p, 0, ebuf, sizeof(ebuf));
	R(BD_KIND(eth, ebuf));
	if (!eth)
		return XDP_ABORTED;
	{
		__u8 mac[ETH_ALEN];

		__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	}
	if ((void *)eth == (void *)ebuf)
		R(bpf_dynptr_write(&w.p, 0, ebuf, sizeof(ebuf), 0));

	/* IPv4: TTL, destination, checksum over the whole header */
	__builtin_memcpy(&old[0], hb + 16, 4);
	new[0] = bpf_htonl(NEW_DADDR);
	hb[8] -= 1;
	__builtin_memcpy(hb + 16, &new[0], 4);
	hb[10] = 0;
	hb[11] = 0;
	*(__u16 *)(hb + 10) = bd_fold(bpf_csum_diff(0, 0, (__be32 *)hb, hlen, 0));
	R(bpf_dynptr_write(&w.p, off, hb, hlen, 0));

	/* UDP: destination port, checksum updated for the new address and port */
	udp = bpf_dynptr_slice_rdwr(&w.p, off + hlen, ubuf, sizeof(ubuf));
	R(BD_KIND(udp, ubuf));
	if (!udp)
		return XDP_ABORTED;
	udp->dest = bpf_htons(NEW_DPORT);
	new[1] = *(__be32 *)udp;
	if (check) {
		check = bd_fold(bpf_csum_diff(old, 8, new, 8, (__u16)~check));
		udp->check = check ? check : 0xffff;
	}
	if ((void *)udp == (void *)ubuf)
		R(bpf_dynptr_write(&w.p, off + hlen, ubuf, sizeof(ubuf), 0));
	if (check)
		R(udp_valid(ctx, &w, hb, off + hlen, ulen));
	return XDP_TX;
}
#endif

/* A map value (.bss) for operands larger than the stack allows. */
__u8 big[1024];

#if !defined(BD_ONLY) || defined(BD_ONLY_csum_raw)
SEC(UXDP_SEC)
int csum_raw(struct xdp_md *ctx)
{
	__u8 w[64];
	__u32 seed = 0x12345678;

	if (bpf_xdp_load_bytes(ctx, 0, w, sizeof(w)))
		return XDP_ABORTED;
	for (int i = 0; i < 1024; i++)
		big[i] = w[i & 63] ^ (__u8)(i >> 6);
	R(bpf_csum_diff(0, 0, (__be32 *)w, 4, 0));
	R(bpf_csum_diff(0, 0, (__be32 *)w, 64, 0));
	R(bpf_csum_diff(0, 0, (__be32 *)w, 64, seed));
	R(bpf_csum_diff((__be32 *)w, 4, (__be32 *)(w + 4), 4, 0));
	R(bpf_csum_diff((__be32 *)w, 8, 0, 0, seed));
	R(bpf_csum_diff((__be32 *)w, 20, (__be32 *)(w + 20), 40, seed));
	R(bpf_csum_diff(0, 0, 0, 0, seed));
	R(bpf_csum_diff((__be32 *)w, 3, 0, 0, 0));
	R(bpf_csum_diff(0, 0, (__be32 *)w, 6, 0));
	R(bpf_csum_diff((__be32 *)big, 256, (__be32 *)(big + 256), 256, 0));
	R(bpf_csum_diff((__be32 *)big, 512, (__be32 *)(big + 512), 4, 0));
	R(bpf_csum_diff(0, 0, (__be32 *)big, 1024, 0));
	R(bpf_csum_diff((__be32 *)big, 1024, 0, 0, 0xffffffff));
	return XDP_PASS;
}
#endif

char LICENSE[] SEC("license") = "Dual MIT/GPL";
