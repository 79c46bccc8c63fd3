/* SPDX-License-Identifier: MIT */
/*
 * A tc program built against the running kernel's vmlinux.h (generated at record time with
 * `bpftool btf dump file /sys/kernel/btf/vmlinux format c` into target/skb-vmlinux/, never
 * committed; the object is): its struct accesses are CO-RE relocations into fixed uapi layouts
 * (__sk_buff, ethhdr, iphdr, udphdr). It reflects a UDP packet: swaps MAC and IP addresses and the
 * ports, decrements the TTL with bpf_l3_csum_replace, and returns the new TTL. For
 * test/kernel-skb.spec.ts. Written for uxdp.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_SHOT 2
#define ETH_P_IP 0x0800
#define IP_CSUM_OFF (sizeof(struct ethhdr) + __builtin_offsetof(struct iphdr, check))

SEC("tc")
int tc_reflect(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	unsigned char mac[6];
	__u32 addr;
	__u16 port, old_ttl, new_ttl;

	if ((void *)(udp + 1) > end)
		return TC_ACT_SHOT;
	/* version and ihl through a byte: bitfield relocations are the CO-RE engine's business */
	if (eth->h_proto != bpf_htons(ETH_P_IP) || *(__u8 *)ip != 0x45 || ip->protocol != 17)
		return TC_ACT_SHOT;
	__builtin_memcpy(mac, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, mac, 6);
	addr = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	old_ttl = *(__u16 *)&ip->ttl;
	ip->ttl -= 1;
	new_ttl = *(__u16 *)&ip->ttl;
	if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_ttl, new_ttl, 2))
		return TC_ACT_SHOT;
	/* packet pointers are stale after the helper: reload them */
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > end)
		return TC_ACT_SHOT;
	return 0x100 | ip->ttl;
}

char LICENSE[] SEC("license") = "GPL";
