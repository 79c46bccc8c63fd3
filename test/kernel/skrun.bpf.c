/* SPDX-License-Identifier: MIT */
/*
 * tc and socket-filter programs for test/kernel-skrun.spec.ts: socket-local storage on test_run's
 * socket (skb->sk), the socket-pointer helpers, tunnel keys and options, the hash, checksum-level
 * and xfrm helpers, every __sk_buff field a socket filter reads (narrow and wide), and LD_ABS /
 * LD_IND of every size at edge offsets. Each program writes what it observes into the map `out`
 * (zeroed first); parameters come in through ctx_in's cb[]. No vmlinux.h: uapi headers only.
 * Written for uxdp.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct outv {
	__u64 s[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct outv);
} out SEC(".maps");

struct val {
	__u64 a;
	__u64 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct val);
} stg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} stg64 SEC(".maps");

struct big {
	__u8 b[60000];
};

struct mid {
	__u8 b[10000];
};

struct small {
	__u8 b[700];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct big);
} big1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct big);
} big2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct big);
} big3 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mid);
} mid1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct small);
} small1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} skmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

static __always_inline struct outv *slots(void)
{
	__u32 zero = 0;
	struct outv *o = bpf_map_lookup_elem(&out, &zero);

	if (o)
		__builtin_memset(o, 0, sizeof(*o));
	return o;
}

/* test_run's socket as skb->sk: its struct bpf_sock fields, and what the socket-pointer helpers
 * answer for it. */
SEC("tc")
int tc_sk_view(struct __sk_buff *skb)
{
	struct outv *o = slots();
	struct bpf_sock *sk;

	if (!o)
		return TC_ACT_SHOT;
	sk = skb->sk;
	o->s[0] = sk != 0;
	if (!sk)
		return TC_ACT_OK;
	o->s[1] = sk->family;
	o->s[2] = sk->src_ip4;
	o->s[3] = sk->dst_ip4;
	o->s[4] = sk->src_port;
	o->s[5] = sk->dst_port;
	o->s[6] = sk->bound_dev_if;
	o->s[7] = sk->src_ip6[0] | ((__u64)sk->src_ip6[3] << 32);
	o->s[8] = sk->dst_ip6[0] | ((__u64)sk->dst_ip6[3] << 32);
	o->s[9] = sk->state;
	sk = bpf_sk_fullsock(sk);
	o->s[10] = sk != 0;
	if (!sk)
		return TC_ACT_OK;
	o->s[11] = sk->type;
	o->s[12] = sk->protocol;
	o->s[13] = sk->mark;
	o->s[14] = sk->priority;
	o->s[15] = (__s64)sk->rx_queue_mapping;
	o->s[16] = bpf_tcp_sock(sk) != 0;
	o->s[17] = bpf_get_listener_sock(sk) != 0;
	o->s[18] = bpf_get_socket_uid(skb);
	o->s[19] = bpf_skc_to_tcp_sock(sk) != 0;
	o->s[20] = bpf_skc_to_tcp6_sock(sk) != 0;
	o->s[21] = bpf_skc_to_udp6_sock(sk) != 0;
	o->s[22] = bpf_skc_to_tcp_timewait_sock(sk) != 0;
	o->s[23] = bpf_skc_to_tcp_request_sock(sk) != 0;
	/* narrow loads of the socket's fields */
	o->s[24] = *(__u8 *)((void *)sk + 4) | ((__u64)*(__u16 *)((void *)sk + 24) << 8);
	{
		__u32 zero = 0;
		__u8 hdr[40] = {};

		/* no sockmap takes a socket of no protocol; no syncookie without a listener */
		o->s[25] = bpf_map_update_elem(&skmap, &zero, sk, BPF_ANY);
		o->s[26] = bpf_tcp_check_syncookie(sk, hdr, 20, (void *)(hdr + 20), 20);
		hdr[32] = 0x50;
		o->s[27] = bpf_tcp_gen_syncookie(sk, hdr, 20, (void *)(hdr + 20), 20);
	}
	return TC_ACT_OK;
}

/* sk_storage on test_run's socket: lookups, creation with and without an initial value, bad
 * flags, deletes, and the socket's optmem charge across five maps. */
SEC("tc")
int tc_sk_storage(struct __sk_buff *skb)
{
	struct outv *o = slots();
	struct bpf_sock *sk;
	struct val init = { .a = 0x1122334455667788ULL, .b = skb->len };
	struct val *v, *w;
	__u64 *x;

	if (!o)
		return TC_ACT_SHOT;
	sk = skb->sk;
	if (!sk)
		return TC_ACT_OK;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return TC_ACT_OK;
	o->s[0] = 1;
	v = bpf_sk_storage_get(&stg, sk, 0, 0);
	o->s[1] = v != 0;
	v = bpf_sk_storage_get(&stg, sk, &init, 2);
	o->s[2] = v != 0;
	v = bpf_sk_storage_get(&stg, sk, &init, BPF_SK_STORAGE_GET_F_CREATE);
	o->s[3] = v != 0;
	if (!v)
		return TC_ACT_OK;
	o->s[4] = v->a;
	o->s[5] = v->b;
	v->b += 5;
	w = bpf_sk_storage_get(&stg, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	o->s[6] = w == v;
	if (w)
		o->s[7] = w->b;
	x = bpf_sk_storage_get(&stg64, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	o->s[8] = x ? *x + 1 : 0;
	o->s[9] = bpf_sk_storage_delete(&stg, sk);
	o->s[10] = bpf_sk_storage_delete(&stg, sk);
	/* the deleted value is still the program's memory until the run ends */
	o->s[11] = v->a;
	w = bpf_sk_storage_get(&stg, sk, 0, 0);
	o->s[12] = w != 0;
	w = bpf_sk_storage_get(&stg, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (w)
		o->s[13] = w->a + w->b + 1;
	o->s[14] = bpf_sk_storage_get(&big1, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) != 0;
	o->s[15] = bpf_sk_storage_get(&big2, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) != 0;
	o->s[16] = bpf_sk_storage_get(&big3, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) != 0;
	o->s[17] = bpf_sk_storage_get(&mid1, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) != 0;
	o->s[18] = bpf_sk_storage_get(&small1, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) != 0;
	o->s[19] = bpf_sk_storage_delete(&big1, sk);
	o->s[20] = bpf_sk_storage_get(&big3, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) != 0;
	o->s[21] = bpf_sk_storage_get(&small1, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) != 0;
	o->s[22] = bpf_sk_storage_delete(&stg64, sk);
	o->s[23] = bpf_sk_storage_delete(&mid1, sk);
	o->s[24] = bpf_sk_storage_get(&big1, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) != 0;
	return TC_ACT_OK;
}

/* A counter in test_run's socket: one socket for all of a test_run's repeats. */
SEC("tc")
int tc_sk_counter(struct __sk_buff *skb)
{
	struct outv *o = slots();
	struct bpf_sock *sk = skb->sk;
	__u64 *x;

	if (!o || !sk)
		return TC_ACT_SHOT;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return TC_ACT_SHOT;
	x = bpf_sk_storage_get(&stg64, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!x)
		return TC_ACT_SHOT;
	*x += 1;
	o->s[0] = *x;
	return TC_ACT_OK;
}

/* Tunnel metadata: test_run's skb has none; bpf_skb_set_tunnel_key gives it some. cb[0] picks
 * the set's flags, cb[1] the get's flags, cb[2] the option length, cb[3] IPv6 keys. */
SEC("tc")
int tc_tunnel(struct __sk_buff *skb)
{
	struct outv *o = slots();
	struct bpf_tunnel_key k;
	struct bpf_tunnel_key s = {};
	__u8 opt[256];
	__u8 got[32];
	__u32 optlen = skb->cb[2];

	if (!o)
		return TC_ACT_SHOT;
	__builtin_memset(&k, 0xaa, sizeof(k));
	__builtin_memset(opt, 0, sizeof(opt));
	for (int i = 0; i < 32; i++)
		opt[i] = i + 1;
	__builtin_memset(got, 0xbb, sizeof(got));
	o->s[0] = bpf_skb_get_tunnel_key(skb, &k, sizeof(k), 0);
	__builtin_memcpy(&o->s[1], &k, sizeof(k));
	o->s[7] = bpf_skb_get_tunnel_opt(skb, got, sizeof(got));
	__builtin_memcpy(&o->s[8], got, 8);
	o->s[9] = bpf_skb_set_tunnel_opt(skb, opt, 8);
	s.tunnel_id = 0x01020304;
	s.tunnel_tos = 0x12;
	s.tunnel_ttl = 0x34;
	if (skb->cb[3]) {
		s.remote_ipv6[0] = 0x20010db8;
		s.remote_ipv6[3] = 1;
		s.local_ipv6[0] = 0x20010db8;
		s.local_ipv6[3] = 2;
		s.tunnel_label = 0xfff12345;
	} else {
		s.remote_ipv4 = 0x0a000001;
		s.local_ipv4 = 0x0a000002;
	}
	o->s[10] = bpf_skb_set_tunnel_key(skb, &s, sizeof(s), skb->cb[0]);
	__builtin_memset(&k, 0xaa, sizeof(k));
	o->s[11] = bpf_skb_get_tunnel_key(skb, &k, sizeof(k), skb->cb[1]);
	__builtin_memcpy(&o->s[12], &k, sizeof(k));
	o->s[18] = bpf_skb_get_tunnel_opt(skb, got, sizeof(got));
	if (optlen) {
		if (optlen > 256)
			optlen = 256;
		o->s[19] = bpf_skb_set_tunnel_opt(skb, opt, optlen);
	}
	__builtin_memset(got, 0xbb, sizeof(got));
	o->s[20] = bpf_skb_get_tunnel_opt(skb, got, sizeof(got));
	__builtin_memcpy(&o->s[21], got, 32);
	__builtin_memset(got, 0xbb, sizeof(got));
	o->s[25] = bpf_skb_get_tunnel_opt(skb, got, 4);
	__builtin_memcpy(&o->s[26], got, 8);
	__builtin_memset(&k, 0xaa, sizeof(k));
	o->s[27] = bpf_skb_get_tunnel_key(skb, &k, sizeof(k), skb->cb[1] | 0x20);
	__builtin_memcpy(&o->s[28], &k, 8);
	__builtin_memset(&k, 0xaa, sizeof(k));
	o->s[29] = bpf_skb_get_tunnel_key(skb, &k, sizeof(k), skb->cb[1] ^ BPF_F_TUNINFO_IPV6);
	__builtin_memcpy(&o->s[30], &k, 8);
	/* the old layouts: up to remote_ipv6[1], tunnel_ext, tunnel_label, local_ipv6[0] */
	__builtin_memset(&k, 0xaa, sizeof(k));
	o->s[31] = bpf_skb_get_tunnel_key(skb, &k, 8, skb->cb[1]);
	__builtin_memcpy(&o->s[32], &k, sizeof(k));
	__builtin_memset(&k, 0xaa, sizeof(k));
	o->s[38] = bpf_skb_get_tunnel_key(skb, &k, 22, skb->cb[1]);
	__builtin_memcpy(&o->s[39], &k, sizeof(k));
	__builtin_memset(&k, 0xaa, sizeof(k));
	o->s[45] = bpf_skb_get_tunnel_key(skb, &k, 28, skb->cb[1]);
	__builtin_memcpy(&o->s[46], &k, sizeof(k));
	__builtin_memset(&k, 0xaa, sizeof(k));
	o->s[52] = bpf_skb_get_tunnel_key(skb, &k, 12, skb->cb[1]);
	__builtin_memcpy(&o->s[53], &k, 16);
	o->s[55] = bpf_skb_set_tunnel_key(skb, &s, 28, skb->cb[0]);
	o->s[56] = bpf_skb_set_tunnel_key(skb, &s, 24, skb->cb[0]);
	o->s[57] = bpf_skb_set_tunnel_key(skb, &s, 8, skb->cb[0]);
	o->s[58] = bpf_skb_set_tunnel_key(skb, &s, 40, skb->cb[0]);
	__builtin_memset(&k, 0xaa, sizeof(k));
	o->s[59] = bpf_skb_get_tunnel_key(skb, &k, sizeof(k), skb->cb[1]);
	__builtin_memcpy(&o->s[60], &k, 24);
	o->s[63] = bpf_skb_get_tunnel_opt(skb, got, sizeof(got));
	return TC_ACT_OK;
}

/* The hash (its value is a secret of the kernel's: only its properties are compared),
 * the checksum level, xfrm state, cgroup classid and route realm. */
SEC("tc")
int tc_misc(struct __sk_buff *skb)
{
	struct outv *o = slots();
	struct bpf_xfrm_state xs;
	__u32 h1, h2;

	if (!o)
		return TC_ACT_SHOT;
	o->s[0] = skb->hash;
	h1 = bpf_get_hash_recalc(skb);
	h2 = bpf_get_hash_recalc(skb);
	o->s[1] = h1 != 0;
	o->s[2] = h1 == h2;
	o->s[3] = skb->hash == h1;
	bpf_set_hash(skb, 0x1234);
	o->s[4] = bpf_get_hash_recalc(skb);
	bpf_set_hash_invalid(skb);
	o->s[5] = skb->hash;
	o->s[6] = bpf_get_hash_recalc(skb) == h1;
	o->s[7] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	o->s[8] = bpf_csum_level(skb, BPF_CSUM_LEVEL_DEC);
	o->s[9] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	o->s[10] = bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	o->s[11] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	for (int i = 0; i < 5; i++)
		bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	o->s[12] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	o->s[13] = bpf_csum_level(skb, BPF_CSUM_LEVEL_DEC);
	o->s[14] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	o->s[15] = bpf_csum_level(skb, 4);
	o->s[16] = bpf_csum_level(skb, BPF_CSUM_LEVEL_RESET);
	o->s[17] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	bpf_csum_level(skb, BPF_CSUM_LEVEL_DEC);
	bpf_csum_level(skb, BPF_CSUM_LEVEL_DEC);
	o->s[18] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	if (skb->cb[0]) {
		bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
		o->s[19] = bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, skb->cb[1]);
		o->s[20] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	}
	__builtin_memset(&xs, 0xcc, sizeof(xs));
	o->s[21] = bpf_skb_get_xfrm_state(skb, 0, &xs, sizeof(xs), 0);
	__builtin_memcpy(&o->s[22], &xs, 8);
	o->s[23] = bpf_get_cgroup_classid(skb);
	o->s[24] = bpf_get_route_realm(skb);
	o->s[25] = bpf_skb_cgroup_classid(skb);
	o->s[26] = bpf_get_socket_uid(skb);
	return TC_ACT_OK;
}

/* Every field a socket filter reads, whole; cb[] written back. */
SEC("socket")
int sf_all_fields(struct __sk_buff *skb)
{
	struct outv *o = slots();

	if (!o)
		return 0;
	o->s[0] = skb->len;
	o->s[1] = skb->pkt_type;
	o->s[2] = skb->mark;
	o->s[3] = skb->queue_mapping;
	o->s[4] = skb->protocol;
	o->s[5] = skb->vlan_present;
	o->s[6] = skb->vlan_tci;
	o->s[7] = skb->vlan_proto;
	o->s[8] = skb->priority;
	o->s[9] = skb->ingress_ifindex;
	o->s[10] = skb->ifindex;
	o->s[11] = skb->tc_index;
	o->s[12] = skb->cb[0];
	o->s[13] = skb->cb[1];
	o->s[14] = skb->cb[2];
	o->s[15] = skb->cb[3];
	o->s[16] = skb->cb[4];
	o->s[17] = skb->hash;
	o->s[18] = skb->napi_id;
	/* family .. local_port: not a socket filter's (the verifier refuses them) */
	o->s[28] = skb->gso_segs;
	o->s[29] = skb->gso_size;
	o->s[30] = skb->sk != 0;
	o->s[31] = bpf_get_socket_cookie(skb) != 0;
	o->s[32] = bpf_get_socket_uid(skb);
	skb->cb[0] = skb->cb[4] + 1;
	skb->cb[4] = 0x77;
	return skb->len;
}

/* Narrow loads: each byte and each half of the 4-byte fields a socket filter reads. */
#define NARROW(i, field)                                                                          \
	do {                                                                                      \
		o->s[i] = *(__u8 *)((void *)skb + offsetof(struct __sk_buff, field)) |               \
			  ((__u64)*(__u8 *)((void *)skb + offsetof(struct __sk_buff, field) + 1) << 8) | \
			  ((__u64)*(__u8 *)((void *)skb + offsetof(struct __sk_buff, field) + 2) << 16) | \
			  ((__u64)*(__u8 *)((void *)skb + offsetof(struct __sk_buff, field) + 3) << 24) | \
			  ((__u64)*(__u16 *)((void *)skb + offsetof(struct __sk_buff, field)) << 32) |   \
			  ((__u64)*(__u16 *)((void *)skb + offsetof(struct __sk_buff, field) + 2) << 48); \
	} while (0)

SEC("socket")
int sf_narrow(struct __sk_buff *skb)
{
	struct outv *o = slots();

	if (!o)
		return 0;
	NARROW(0, len);
	NARROW(1, pkt_type);
	NARROW(2, mark);
	NARROW(3, queue_mapping);
	NARROW(4, protocol);
	NARROW(5, vlan_present);
	NARROW(6, vlan_tci);
	NARROW(7, vlan_proto);
	NARROW(8, priority);
	NARROW(9, ingress_ifindex);
	NARROW(10, ifindex);
	NARROW(11, tc_index);
	NARROW(12, cb[0]);
	NARROW(13, cb[2]);
	NARROW(14, hash);
	NARROW(15, napi_id);
	NARROW(23, gso_segs);
	NARROW(24, gso_size);
	/* cb[] as one 8-byte load */
	o->s[25] = *(__u64 *)((void *)skb + offsetof(struct __sk_buff, cb[0]));
	o->s[26] = *(__u64 *)((void *)skb + offsetof(struct __sk_buff, cb[2]));
	return 1;
}

/* LD_ABS/LD_IND of every size at offset cb[0] (+ SKF_NET_OFF or SKF_LL_OFF by cb[1]): marks the
 * load's start and end in `out` (an out-of-bounds load ends the program with 0). */
SEC("socket")
int sf_ld(struct __sk_buff *skb)
{
	struct outv *o = slots();
	__u64 off = skb->cb[0];
	__u64 base = skb->cb[1] == 1 ? -0x100000 : skb->cb[1] == 2 ? -0x200000 : 0;
	__u64 v;

	if (!o)
		return 0;
	off += base;
	o->s[0] = 1;
	switch (skb->cb[2]) {
	case 0:
		v = load_byte(skb, off);
		break;
	case 1:
		v = load_half(skb, off);
		break;
	default:
		v = load_word(skb, off);
		break;
	}
	o->s[1] = v;
	o->s[2] = 2;
	return (v & 0xffffff) + 1;
}

/* The same from tc, where offsets count from the MAC header. */
SEC("tc")
int tc_ld(struct __sk_buff *skb)
{
	struct outv *o = slots();
	__u64 off = skb->cb[0];
	__u64 base = skb->cb[1] == 1 ? -0x100000 : skb->cb[1] == 2 ? -0x200000 : 0;
	__u64 v;

	if (!o)
		return 0;
	off += base;
	o->s[0] = 1;
	switch (skb->cb[2]) {
	case 0:
		v = load_byte(skb, off);
		break;
	case 1:
		v = load_half(skb, off);
		break;
	default:
		v = load_word(skb, off);
		break;
	}
	o->s[1] = v;
	o->s[2] = 2;
	return (v & 0xffffff) + 1;
}

/* Socket-filter helpers: load_bytes / load_bytes_relative at cb[0] with length cb[1], the cookie
 * twice, skc_to_* on skb->sk. */
SEC("socket")
int sf_helpers(struct __sk_buff *skb)
{
	struct outv *o = slots();
	__u8 buf[64];
	/* 1 .. 64 by masking: uxdp's verifier does not yet link `w1 = w4; w1 += -1` range checks
	 * (clang's form of `len > 0 && len <= 64`) back to w4 as 6.18 does */
	__u32 len = ((skb->cb[1] - 1) & 63) + 1;
	struct bpf_sock *sk;

	if (!o)
		return 0;
	__builtin_memset(buf, 0xdd, sizeof(buf));
	{
		o->s[0] = bpf_skb_load_bytes(skb, skb->cb[0], buf, len);
		__builtin_memcpy(&o->s[1], buf, 64);
		__builtin_memset(buf, 0xdd, sizeof(buf));
		o->s[9] = bpf_skb_load_bytes_relative(skb, skb->cb[0], buf, len, BPF_HDR_START_MAC);
		__builtin_memcpy(&o->s[10], buf, 64);
		__builtin_memset(buf, 0xdd, sizeof(buf));
		o->s[18] = bpf_skb_load_bytes_relative(skb, skb->cb[0], buf, len, BPF_HDR_START_NET);
		__builtin_memcpy(&o->s[19], buf, 64);
	}
	o->s[27] = bpf_get_socket_cookie(skb) == bpf_get_socket_cookie(skb);
	o->s[28] = bpf_get_socket_uid(skb);
	sk = skb->sk;
	if (sk) {
		o->s[29] = 1;
		o->s[30] = bpf_skc_to_tcp_sock(sk) != 0;
		o->s[31] = bpf_skc_to_udp6_sock(sk) != 0;
		o->s[32] = sk->family;
		o->s[33] = sk->src_ip4;
		o->s[34] = sk->dst_ip4;
	}
	return skb->len;
}

/* bpf_perf_event_output from a socket filter and from tc: flags from cb[0] (low) and cb[1] (high). */
SEC("socket")
int sf_perf(struct __sk_buff *skb)
{
	struct outv *o = slots();
	__u64 meta = 0x0123456789abcdefULL;
	__u64 flags = skb->cb[0] | ((__u64)skb->cb[1] << 32);

	if (!o)
		return 0;
	o->s[0] = bpf_perf_event_output(skb, &events, flags, &meta, sizeof(meta));
	return 1;
}

SEC("tc")
int tc_perf(struct __sk_buff *skb)
{
	struct outv *o = slots();
	__u64 meta = 0x0123456789abcdefULL;
	__u64 flags = skb->cb[0] | ((__u64)skb->cb[1] << 32);

	if (!o)
		return 0;
	o->s[0] = bpf_perf_event_output(skb, &events, flags, &meta, sizeof(meta));
	return 1;
}

/* sk_storage on a socket a lookup found (127.0.0.1:40000 -> 127.0.0.1:8080): a counter. */
SEC("tc")
int tc_lookup_storage(struct __sk_buff *skb)
{
	struct outv *o = slots();
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u64 *x;

	if (!o)
		return TC_ACT_SHOT;
	t.ipv4.saddr = bpf_htonl(0x7f000001);
	t.ipv4.daddr = bpf_htonl(0x7f000001);
	t.ipv4.sport = bpf_htons(40000);
	t.ipv4.dport = bpf_htons(8080);
	sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return TC_ACT_OK;
	o->s[0] = 1;
	x = bpf_sk_storage_get(&stg64, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (x) {
		*x += 1;
		o->s[1] = *x;
	}
	o->s[2] = bpf_sk_storage_delete(&stg, sk);
	o->s[3] = bpf_get_listener_sock(sk) == sk;
	bpf_sk_release(sk);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
