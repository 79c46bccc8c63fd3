// Benchmark program (bench/bpf.bench.mjs): looks the IPv4 source address up in a hash map (a
// block list) and counts the frame in an array map by its verdict.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

SEC("xdp")
int bench_map(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 action = XDP_PASS;
	__u64 *count;

	if ((void *)(ip + 1) > data_end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		__u32 saddr = ip->saddr;
		__u32 *hit = bpf_map_lookup_elem(&blocked, &saddr);
		if (hit) {
			*hit += 1;
			action = XDP_DROP;
		}
	}
	count = bpf_map_lookup_elem(&verdicts, &action);
	if (count)
		*count += 1;
	return action;
}

char LICENSE[] SEC("license") = "GPL";
