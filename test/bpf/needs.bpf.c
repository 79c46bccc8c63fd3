// XDP programs whose device feature needs uxdp infers from what its verifier sees them do
// (test/needs.spec.ts): the actions their exits may return, the redirect helpers and map types
// they call, the frags helpers of an xdp.frags program, the RX metadata kfuncs.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* the kernel's prototype: libbpf refuses an incompatible declaration (an __u32 * for the enum) */
enum xdp_rss_hash_type;
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash, enum xdp_rss_hash_type *rss_type) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} config SEC(".maps");

/* Passes everything. */
SEC("xdp")
int pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* Bounces frames whose first byte is odd, drops the others. */
SEC("xdp")
int bounce(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	unsigned char *p = data;

	if (p + 1 > end)
		return XDP_DROP;
	return (*p & 1) ? XDP_TX : XDP_DROP;
}

/* Spreads frames over the CPUs of a cpumap (the Suricata configuration of seed 002). */
SEC("xdp")
int to_cpu(struct xdp_md *ctx)
{
	return bpf_redirect_map(&cpus, ctx->rx_queue_index & 3, 0);
}

/* Sends frames out of the port a devmap holds. */
SEC("xdp.frags")
int to_port(struct xdp_md *ctx)
{
	return bpf_redirect_map(&ports, 0, XDP_PASS);
}

/* Reads a multi-buffer frame's length across its frags. */
SEC("xdp.frags")
int frags_len(struct xdp_md *ctx)
{
	__u32 first = 0;

	if (bpf_xdp_load_bytes(ctx, 0, &first, sizeof(first)))
		return XDP_ABORTED;
	return bpf_xdp_get_buff_len(ctx) > 1500 ? XDP_DROP : XDP_PASS;
}

/* Drops by the RX hash. */
SEC("xdp")
int by_hash(struct xdp_md *ctx)
{
	__u32 hash = 0, type = 0;

	bpf_xdp_metadata_rx_hash(ctx, &hash, (enum xdp_rss_hash_type *)&type);
	return hash & 1 ? XDP_DROP : XDP_PASS;
}

/* Returns what a map says, masked to the four basic actions. */
SEC("xdp")
int configured(struct xdp_md *ctx)
{
	__u32 k = 0, *v = bpf_map_lookup_elem(&config, &k);

	return v ? (*v & 3) : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
