// Reads the RX metadata kfuncs (hash, timestamp, VLAN tag) and reports what each returned on the
// ring: { ret_hash, hash, rss_type, ret_ts, ts_lo, ret_vlan, proto, tci } as eight u32.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* the kernel's prototype: libbpf refuses an incompatible declaration (an __u32 * for the enum) */
enum xdp_rss_hash_type;
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash, enum xdp_rss_hash_type *rss_type) __ksym;
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto, __u16 *vlan_tci) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} hints SEC(".maps");

SEC("xdp")
int read_hints(struct xdp_md *ctx)
{
	__u32 out[8] = {};
	__u64 ts = 0;
	__be16 proto = 0;
	__u16 tci = 0;

	out[0] = bpf_xdp_metadata_rx_hash(ctx, &out[1], (enum xdp_rss_hash_type *)&out[2]);
	out[3] = bpf_xdp_metadata_rx_timestamp(ctx, &ts);
	out[4] = (__u32)ts;
	out[5] = bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &tci);
	out[6] = proto;
	out[7] = tci;
	bpf_ringbuf_output(&hints, out, sizeof(out), 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
