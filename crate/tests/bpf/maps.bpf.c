// Maps of each kind the XDP engine models, defined the BTF way, plus one legacy-free tail-call
// table initialised with `.values`. Each program touches its maps so the relocations exist.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pair);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 24);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

typedef const volatile struct pair pair_t;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, pair_t);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, struct pair);
	__type(value, __u32[3]);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 32);
	__uint(key_size, 4);
	__uint(value_size, 4);
} ports_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 5000);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 100);
	__uint(key_size, 8);
	__uint(value_size, 4);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 64);
	__type(value, __u32);
	__uint(map_extra, 3);
	__uint(numa_node, 0);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u64);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 7);
		__type(key, __u16);
		__type(value, struct pair);
	});
} per_flow SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u16);
};

struct inner inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [1] = &inner_b, [3] = &inner_a },
};

int tail_a(struct xdp_md *ctx);
int tail_b(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} jumps SEC(".maps") = {
	.values = { [0] = &tail_a, [5] = &tail_b, [2] = &tail_a },
};

SEC("xdp")
int tail_a(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct pair *p = bpf_map_lookup_elem(&flows, &k);
	if (p)
		p->packets++;
	return XDP_PASS;
}

SEC("xdp")
int tail_b(struct xdp_md *ctx)
{
	__u32 k = 1;
	__u64 *v = bpf_map_lookup_elem(&stats, &k);
	if (v)
		*v += 1;
	return XDP_DROP;
}

SEC("xdp")
int entry(struct xdp_md *ctx)
{
	__u32 k = ctx->rx_queue_index;
	void *c = bpf_map_lookup_elem(&counters, &k);
	if (c)
		__sync_fetch_and_add((__u64 *)c, 1);
	bpf_ringbuf_output(&events, &k, sizeof(k), 0);
	__u64 lk = k;
	bpf_map_lookup_elem(&lru, &lk);
	struct pair pk = {};
	bpf_map_lookup_elem(&pcpu_hash, &pk);
	bpf_map_lookup_elem(&prefixes, &lk);
	void *in = bpf_map_lookup_elem(&outer, &k);
	if (in)
		bpf_map_lookup_elem(in, &k);
	bpf_map_peek_elem(&seen, &k);
	bpf_map_lookup_elem(&per_flow, &lk);
	bpf_tail_call(ctx, &jumps, k & 7);
	if (k & 1)
		return bpf_redirect_map(&xsks, k, XDP_PASS);
	if (k & 2)
		return bpf_redirect_map(&cpus, k, XDP_PASS);
	if (k & 4)
		return bpf_redirect_map(&ports_hash, k, XDP_PASS);
	return bpf_redirect_map(&ports, k, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
