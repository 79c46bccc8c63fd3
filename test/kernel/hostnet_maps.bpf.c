/* SPDX-License-Identifier: MIT */
/*
 * sockmap and sockhash from XDP (written for uxdp; no kernel selftest code). hn_sockmap looks a
 * socket up by the tuple of the question, puts it into the map with bpf_map_update_elem (XDP
 * may update socket maps with a socket it holds), releases it, then looks the key up again
 * (bpf_map_lookup_elem on a socket map returns the socket, referenced), reads a few fields and
 * releases it, and optionally deletes the key. The answers go back into the packet.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} sockh SEC(".maps");

/* ops: bit 0 sockhash (else sockmap), bit 1 UDP lookup, bit 2 delete afterwards, bit 3 no update */
struct map_q {
	__u32 ops;
	__u32 key;
	__u64 flags;
	__u8 tuple[12];
	__u32 pad;
};

struct map_a {
	__s64 update;
	__s64 del;
	__u32 found;
	__u32 state;
	__u32 src_port;
	__u32 family;
	__u32 protocol;
	__u32 pad;
};

SEC("xdp")
int hn_sockmap(struct xdp_md *ctx)
{
	struct map_q q = {};
	struct map_a a = { .update = 1000, .del = 1000 };
	struct bpf_sock *sk;
	void *map;

	if (bpf_xdp_load_bytes(ctx, 0, &q, sizeof(q)))
		return XDP_ABORTED;
	map = (q.ops & 1) ? (void *)&sockh : (void *)&socks;
	if (!(q.ops & 8)) {
		if (q.ops & 2)
			sk = bpf_sk_lookup_udp(ctx, (struct bpf_sock_tuple *)q.tuple, 12, BPF_F_CURRENT_NETNS, 0);
		else
			sk = bpf_sk_lookup_tcp(ctx, (struct bpf_sock_tuple *)q.tuple, 12, BPF_F_CURRENT_NETNS, 0);
		if (sk) {
			if (q.ops & 1)
				a.update = bpf_map_update_elem(&sockh, &q.key, sk, q.flags);
			else
				a.update = bpf_map_update_elem(&socks, &q.key, sk, q.flags);
			bpf_sk_release(sk);
		}
	}
	if (q.ops & 1)
		sk = bpf_map_lookup_elem(&sockh, &q.key);
	else
		sk = bpf_map_lookup_elem(&socks, &q.key);
	if (sk) {
		a.found = 1;
		a.state = sk->state;
		a.src_port = sk->src_port;
		a.family = sk->family;
		a.protocol = sk->protocol;
		bpf_sk_release(sk);
	}
	if (q.ops & 4)
		a.del = bpf_map_delete_elem(map, &q.key);
	if (bpf_xdp_store_bytes(ctx, 32, &a, sizeof(a)))
		return XDP_ABORTED;
	return XDP_PASS;
}
