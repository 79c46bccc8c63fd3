// CO-RE relocations, as clang records them for __builtin_preserve_access_index, structs with
// preserve_access_index (vmlinux.h's pragma) and the bpf_core_* builtins, applied at load against
// the target BTF (crate/tests/elf.rs): the autoloaded programs relocate byte offsets into uapi
// structs (they load and run as their plain twins do); the `?xdp` ones relocate what only a
// kernel's BTF answers (fields and types no kernel has, task_struct, a flavor's other layout).
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#pragma clang attribute pop
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define CORE(x) __builtin_preserve_access_index(x)
#define IPPROTO_UDP 17
#define IPPROTO_TCP 6

/* The ctx fields the plain program reads, for the relocated ones to match. */
SEC("xdp")
int md_plain(struct xdp_md *ctx)
{
	return (ctx->data_end - ctx->data) * 1000 + ctx->ingress_ifindex * 10 + ctx->rx_queue_index;
}

/* The same reads, each a byte_off relocation against struct xdp_md. */
SEC("xdp")
int md_core(struct xdp_md *ctx)
{
	return (CORE(ctx->data_end) - CORE(ctx->data)) * 1000 + CORE(ctx->ingress_ifindex) * 10 +
	       CORE(ctx->rx_queue_index);
}

/* A flavored local copy of the uapi struct: libbpf matches it to the kernel's xdp_md by name. */
struct xdp_md___local {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
} __attribute__((preserve_access_index));

/* A subprogram with relocations of its own: they follow it into each program that calls it. */
static __attribute__((noinline)) int queue_of(struct xdp_md___local *ctx)
{
	return ctx->rx_queue_index + 1;
}

SEC("xdp")
int md_flavor(struct xdp_md___local *ctx)
{
	return (ctx->data_end - ctx->data) * 1000 + ctx->ingress_ifindex * 10 + queue_of(ctx) - 1;
}

/* Packet headers through the pragma'd uapi structs: every field access is relocated. Returns
 * the UDP or TCP destination port of IPv4 and IPv6 packets plus the IP header's protocol and
 * TTL bytes and an address byte, so that every relocated offset is used. */
SEC("xdp")
int headers(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 proto;
	void *l4;
	int extra;

	if ((void *)(eth + 1) > end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end)
			return -2;
		proto = ip->protocol;
		extra = ip->ttl + (bpf_ntohl(ip->daddr) & 0xff) + eth->h_source[5];
		l4 = ip + 1;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > end)
			return -3;
		proto = ip6->nexthdr;
		extra = ip6->hop_limit + ip6->daddr.in6_u.u6_addr8[15] + eth->h_source[5];
		l4 = ip6 + 1;
	} else {
		return -4;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > end)
			return -5;
		return bpf_ntohs(udp->dest) * 1000 + extra;
	}
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > end)
			return -6;
		return bpf_ntohs(tcp->dest) * 1000 + extra;
	}
	return -7;
}

/* The tc context and the socket lookup key: arrays, __bpf_md_ptr unions, a struct in an anonymous
 * union. */
SEC("tc")
int skb_fields(struct __sk_buff *s)
{
	struct bpf_sock_tuple *t = (void *)(long)CORE(s->data);

	if ((void *)(t + 1) > (void *)(long)CORE(s->data_end))
		return 0;
	return CORE(s->cb[3]) + CORE(s->remote_ip6[1]) + CORE(s->tstamp_type) + (CORE(s->sk) != 0) +
	       CORE(t->ipv4.dport) + CORE(t->ipv6.daddr[2]);
}

/* A kernel struct the object declares itself, as a vmlinux.h would. */
struct task_struct {
	int pad;
	int pid;
	struct task_struct *parent;
} __attribute__((preserve_access_index));

struct foo {
	int a;
	int b;
} __attribute__((preserve_access_index));

enum kstate { K_A = 1, K_B = 7 };

/* A struct named like the uapi one, with another layout: not the kernel's xdp_md. */
struct xdp_md___fake {
	__u32 data_end;
	__u32 data;
	__u32 rx_queue_index;
} __attribute__((preserve_access_index));

SEC("?xdp")
int field_exists(struct xdp_md *ctx)
{
	struct foo *f = (void *)(long)ctx->data;
	return bpf_core_field_exists(f->b);
}

SEC("?xdp")
int task_read(struct xdp_md *ctx)
{
	struct task_struct *t = (void *)(long)ctx->data;
	return BPF_CORE_READ(t, parent, pid);
}

SEC("?xdp")
int field_offset(struct xdp_md *ctx)
{
	struct task_struct *t = (void *)(long)ctx->data;
	return bpf_core_field_offset(t->pid);
}

SEC("?xdp")
int type_exists(struct xdp_md *ctx)
{
	return bpf_core_type_exists(struct foo);
}

SEC("?xdp")
int enum_value(struct xdp_md *ctx)
{
	return bpf_core_enum_value(enum kstate, K_B);
}

SEC("?xdp")
int fake_md(struct xdp_md___fake *ctx)
{
	return ctx->rx_queue_index;
}

/* A subprogram whose relocation is refused: every program calling it is. */
static __attribute__((noinline)) int has_b(struct foo *f)
{
	return bpf_core_field_exists(f->b);
}

SEC("?xdp")
int calls_has_b(struct xdp_md *ctx)
{
	return has_b((void *)(long)ctx->data);
}

char LICENSE[] SEC("license") = "GPL";
