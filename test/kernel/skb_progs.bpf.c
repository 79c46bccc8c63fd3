/* SPDX-License-Identifier: MIT */
/*
 * tc (SCHED_CLS) and socket-filter programs for test/kernel-skb.spec.ts: each runs under
 * BPF_PROG_TEST_RUN on the kernel and in uxdp, and writes what it observes into the map `out`
 * (slot 0 .. 31, all zeroed first, so that a run leaves the same map whatever ran before), the
 * packet and the ctx fields the kernel copies back. Parameters come in through ctx_in's cb[]
 * (cb[0], cb[1], ...). No vmlinux.h, no CO-RE: classic uapi headers only. Written for uxdp.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct outv {
	__u64 s[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct outv);
} out SEC(".maps");

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;

static __always_inline struct outv *slots(void)
{
	__u32 zero = 0;
	struct outv *o = bpf_map_lookup_elem(&out, &zero);

	if (o)
		__builtin_memset(o, 0, sizeof(*o));
	return o;
}

/* Every readable field, then writes to the writable ones (read back where ctx_out does not
 * carry them). */
SEC("tc")
int tc_fields(struct __sk_buff *skb)
{
	struct outv *o = slots();

	if (!o)
		return TC_ACT_SHOT;
	o->s[0] = skb->len;
	o->s[1] = skb->data_end - skb->data;
	o->s[2] = skb->protocol;
	o->s[3] = skb->pkt_type;
	o->s[4] = skb->mark;
	o->s[5] = skb->queue_mapping;
	o->s[6] = skb->vlan_present | (skb->vlan_tci << 8) | ((__u64)skb->vlan_proto << 32);
	o->s[7] = skb->priority;
	o->s[8] = skb->ingress_ifindex | ((__u64)skb->ifindex << 32);
	o->s[9] = skb->tc_index;
	o->s[10] = skb->cb[0] | ((__u64)skb->cb[4] << 32);
	o->s[11] = skb->hash;
	o->s[12] = skb->tc_classid;
	o->s[13] = skb->napi_id;
	o->s[14] = skb->data_meta == skb->data;
	o->s[15] = skb->tstamp;
	o->s[16] = skb->wire_len;
	o->s[17] = skb->gso_segs | ((__u64)skb->gso_size << 32);
	o->s[18] = skb->hwtstamp;
	o->s[19] = *(__u8 *)((void *)skb + offsetof(struct __sk_buff, protocol) + 1);
	o->s[20] = *(__u16 *)((void *)skb + offsetof(struct __sk_buff, cb) + 2);
	skb->mark = skb->len ^ 0x5a5a;
	skb->priority = 7;
	skb->tc_index = 0x1234;
	skb->tc_classid = 0x10002;
	skb->queue_mapping = 3;
	skb->cb[2] = 0xabcdef;
	*(__u8 *)((void *)skb + offsetof(struct __sk_buff, cb) + 13) = 0x77;
	skb->tstamp = 123456789;
	o->s[21] = skb->tc_index;
	o->s[22] = skb->tc_classid;
	o->s[23] = skb->queue_mapping;
	skb->queue_mapping = 0xffff;
	o->s[24] = skb->queue_mapping;
	return TC_ACT_OK;
}

/* Destination NAT of an IPv4 TCP/UDP packet with the checksum helpers: the new address from
 * cb[0], the new port from cb[1]. Direct packet access to parse. */
SEC("tc")
int tc_nat(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct outv *o = slots();
	__u32 new_ip = skb->cb[0], old_ip;
	__u16 new_port = skb->cb[1], old_port;
	int l4_off, csum_off, port_off;

	if (!o || (void *)(ip + 1) > end)
		return TC_ACT_SHOT;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return TC_ACT_UNSPEC;
	old_ip = ip->daddr;
	l4_off = sizeof(*eth) + sizeof(*ip);
	if (ip->protocol == IPPROTO_TCP) {
		csum_off = l4_off + offsetof(struct tcphdr, check);
		port_off = l4_off + offsetof(struct tcphdr, dest);
	} else if (ip->protocol == IPPROTO_UDP) {
		csum_off = l4_off + offsetof(struct udphdr, check);
		port_off = l4_off + offsetof(struct udphdr, dest);
	} else {
		return TC_ACT_UNSPEC;
	}
	if (bpf_skb_load_bytes(skb, port_off, &old_port, 2))
		return TC_ACT_SHOT;
	o->s[0] = bpf_l4_csum_replace(skb, csum_off, old_ip, new_ip, BPF_F_PSEUDO_HDR | sizeof(new_ip) | (ip->protocol == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0));
	o->s[1] = bpf_l3_csum_replace(skb, sizeof(*eth) + offsetof(struct iphdr, check), old_ip, new_ip, sizeof(new_ip));
	o->s[2] = bpf_skb_store_bytes(skb, sizeof(*eth) + offsetof(struct iphdr, daddr), &new_ip, sizeof(new_ip), 0);
	o->s[3] = bpf_l4_csum_replace(skb, csum_off, old_port, new_port, sizeof(new_port));
	o->s[4] = bpf_skb_store_bytes(skb, port_off, &new_port, sizeof(new_port), BPF_F_INVALIDATE_HASH);
	/* the checksum helpers' refusals */
	o->s[5] = bpf_l3_csum_replace(skb, 15, 0, 0, 2);
	o->s[6] = bpf_l3_csum_replace(skb, 0x10000, 0, 0, 2);
	o->s[7] = bpf_l3_csum_replace(skb, 24, 0, 0, 3);
	o->s[8] = bpf_l3_csum_replace(skb, 24, 1, 0, 0);
	o->s[9] = bpf_l4_csum_replace(skb, 24, 0, 0, 1 << 9);
	o->s[10] = bpf_l3_csum_replace(skb, skb->len, 0, 0, 2);
	/* a diff (size 0) through both */
	o->s[11] = bpf_l3_csum_replace(skb, sizeof(*eth) + offsetof(struct iphdr, check), 0, 0x1234, 0);
	o->s[12] = bpf_l3_csum_replace(skb, sizeof(*eth) + offsetof(struct iphdr, check), 0, -0x1234 - 1, 0);
	return TC_ACT_OK;
}

/* bpf_skb_load_bytes / store_bytes / load_bytes_relative at cb[0] with length cb[1]. */
SEC("tc")
int tc_bytes(struct __sk_buff *skb)
{
	struct outv *o = slots();
	__u32 off = skb->cb[0], len = skb->cb[1] & 63;
	__u8 buf[64] = {};

	if (!o)
		return TC_ACT_SHOT;
	if (len == 0)
		len = 1;
	o->s[0] = bpf_skb_load_bytes(skb, off, buf, len);
	__builtin_memcpy(&o->s[1], buf, 16);
	o->s[3] = bpf_skb_load_bytes_relative(skb, off, buf, len, BPF_HDR_START_MAC);
	__builtin_memcpy(&o->s[4], buf, 8);
	o->s[5] = bpf_skb_load_bytes_relative(skb, off, buf, len, BPF_HDR_START_NET);
	__builtin_memcpy(&o->s[6], buf, 8);
	o->s[7] = bpf_skb_load_bytes_relative(skb, off, buf, len, 2);
	buf[0] = 0xee;
	buf[1] = 0xdd;
	o->s[8] = bpf_skb_store_bytes(skb, off, buf, len, 0);
	o->s[9] = bpf_skb_store_bytes(skb, off, buf, len, 4);
	o->s[10] = bpf_skb_store_bytes(skb, 0x80000000u, buf, 1, 0);
	o->s[11] = skb->len;
	return TC_ACT_OK;
}

/* Packet shape: cb[0] selects the helper, cb[1] and cb[2] are its arguments; the helper's
 * answer, then len and data_end - data. */
SEC("tc")
int tc_shape(struct __sk_buff *skb)
{
	struct outv *o = slots();
	__u32 a = skb->cb[1], b = skb->cb[2];
	long r;

	if (!o)
		return TC_ACT_SHOT;
	switch (skb->cb[0]) {
	case 0:
		r = bpf_skb_change_tail(skb, a, b);
		break;
	case 1:
		r = bpf_skb_change_head(skb, a, b);
		break;
	case 2:
		r = bpf_skb_pull_data(skb, a);
		break;
	case 3:
		r = bpf_skb_change_type(skb, a);
		break;
	case 4:
		r = bpf_skb_vlan_push(skb, bpf_htons(a), b);
		break;
	case 5:
		r = bpf_skb_vlan_pop(skb);
		break;
	case 6:
		r = bpf_skb_vlan_push(skb, bpf_htons(0x88a8), 5);
		o->s[5] = r;
		r = bpf_skb_vlan_push(skb, bpf_htons(0x8100), 0x1007);
		break;
	case 7:
		r = bpf_skb_vlan_pop(skb);
		o->s[5] = r | ((__u64)skb->protocol << 32);
		r = bpf_skb_vlan_pop(skb);
		break;
	case 9:
		r = bpf_skb_adjust_room(skb, (int)a, b, skb->cb[3]);
		break;
	case 10:
		r = bpf_skb_change_proto(skb, bpf_htons(a), b);
		break;
	default:
		r = bpf_skb_ecn_set_ce(skb);
	}
	o->s[0] = r;
	o->s[1] = skb->len;
	o->s[2] = skb->data_end - skb->data;
	o->s[3] = skb->protocol | ((__u64)skb->pkt_type << 32);
	o->s[4] = skb->vlan_present | (skb->vlan_tci << 8) | ((__u64)skb->vlan_proto << 32);
	return TC_ACT_OK;
}

/* bpf_redirect(cb[0], cb[1]) as the return value, bpf_clone_redirect(cb[2], cb[3]); the hash
 * helpers, the socket cookie and the zero answers. */
SEC("tc")
int tc_redirect(struct __sk_buff *skb)
{
	struct outv *o = slots();

	if (!o)
		return TC_ACT_SHOT;
	o->s[0] = bpf_set_hash(skb, 0xfeedbeef);
	o->s[1] = skb->hash;
	bpf_set_hash_invalid(skb);
	o->s[3] = skb->hash;
	o->s[4] = bpf_get_cgroup_classid(skb);
	o->s[5] = bpf_get_route_realm(skb);
	o->s[6] = bpf_csum_update(skb, 5);
	o->s[7] = bpf_clone_redirect(skb, skb->cb[2], skb->cb[3]);
	o->s[8] = skb->data_end - skb->data;
	/* the test socket's cookie: its number is the kernel's history, only that it is one is compared */
	o->s[9] = bpf_get_socket_cookie(skb) != 0 && bpf_get_socket_cookie(skb) == bpf_get_socket_cookie(skb);
	return bpf_redirect(skb->cb[0], skb->cb[1]);
}

/* bpf_check_mtu(skb, cb[0], &mtu = cb[1], cb[2], cb[3]): its answer and the MTU it writes. */
SEC("tc")
int tc_mtu(struct __sk_buff *skb)
{
	struct outv *o = slots();
	__u32 mtu = skb->cb[1];

	if (!o)
		return TC_ACT_SHOT;
	o->s[0] = bpf_check_mtu(skb, skb->cb[0], &mtu, (__s32)skb->cb[2], skb->cb[3]);
	o->s[1] = mtu;
	return TC_ACT_OK;
}

/* An skb dynptr: its size, reads at cb[0], a slice, a write. */
SEC("tc")
int tc_dynptr(struct __sk_buff *skb)
{
	struct outv *o = slots();
	struct bpf_dynptr d;
	__u8 buf[8] = {}, *p;
	__u32 off = skb->cb[0];

	if (!o)
		return TC_ACT_SHOT;
	o->s[0] = bpf_dynptr_from_skb(skb, 0, &d);
	o->s[1] = bpf_dynptr_read(buf, 4, &d, off, 0);
	__builtin_memcpy(&o->s[2], buf, 8);
	p = bpf_dynptr_slice(&d, 12, buf, 2);
	o->s[3] = p ? (p[0] << 8 | p[1]) : 0xffff;
	o->s[4] = bpf_dynptr_write(&d, off, "\x11\x22", 2, 0);
	o->s[5] = bpf_dynptr_read(buf, 2, &d, off, 0);
	o->s[6] = buf[0] | (buf[1] << 8);
	return TC_ACT_OK;
}

/* LD_ABS and LD_IND in tc: offsets from skb->data (the MAC header); a failed load returns 0. */
SEC("tc")
int tc_ldabs(struct __sk_buff *skb)
{
	__u64 off = skb->cb[0];
	__u64 v = load_half(skb, 12);

	v = v * 31 + load_byte(skb, off);
	v = v * 31 + load_word(skb, off + 1);
	return v & 0x7fffffff;
}

/* Socket filter: the fields it may read, LD_ABS from the network header, cb[0] bytes kept. */
SEC("socket")
int sf_fields(struct __sk_buff *skb)
{
	struct outv *o = slots();

	if (!o)
		return 0;
	o->s[0] = skb->len;
	o->s[1] = skb->protocol;
	o->s[2] = skb->pkt_type;
	o->s[3] = skb->ifindex | ((__u64)skb->ingress_ifindex << 32);
	o->s[4] = skb->mark | ((__u64)skb->priority << 32);
	o->s[5] = skb->cb[1];
	o->s[6] = skb->hash | ((__u64)skb->queue_mapping << 32);
	o->s[7] = skb->vlan_present;
	o->s[8] = load_byte(skb, 0);
	skb->cb[3] = 0x5555;
	return skb->cb[0];
}

/* Socket filter LD_ABS / LD_IND at cb[0], cb[0] - SKF_NET_OFF, cb[0] - SKF_LL_OFF. */
SEC("socket")
int sf_ldabs(struct __sk_buff *skb)
{
	__u64 off = skb->cb[0];
	__u64 v = 1;

	switch (skb->cb[1]) {
	case 0:
		v = load_byte(skb, off) | (load_half(skb, off) << 8);
		break;
	case 1:
		v = load_word(skb, off);
		break;
	case 2:
		v = load_byte(skb, off - 0x100000) + 1;
		break;
	case 3:
		v = load_half(skb, off - 0x200000) + 1;
		break;
	default:
		v = load_byte(skb, -0x200001) + 1;
	}
	return v & 0x7fffffff;
}

/* bpf_skb_load_bytes(_relative) from a socket filter: offsets from the network header. */
SEC("socket")
int sf_bytes(struct __sk_buff *skb)
{
	struct outv *o = slots();
	__u8 buf[8] = {};

	if (!o)
		return 0;
	o->s[0] = bpf_skb_load_bytes(skb, skb->cb[0], buf, 4);
	__builtin_memcpy(&o->s[1], buf, 8);
	o->s[2] = bpf_skb_load_bytes_relative(skb, skb->cb[0], buf, 4, BPF_HDR_START_MAC);
	__builtin_memcpy(&o->s[3], buf, 8);
	o->s[4] = bpf_skb_load_bytes_relative(skb, skb->cb[0], buf, 4, BPF_HDR_START_NET);
	__builtin_memcpy(&o->s[5], buf, 8);
	return 0xffff;
}

char LICENSE[] SEC("license") = "GPL";
