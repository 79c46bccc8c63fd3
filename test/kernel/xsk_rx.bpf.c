// The AF_XDP harness's XDP program: frames of the test's EtherType (0x88b5) go to the xskmap slot
// of their RX queue (XDP_PASS when empty), everything else (the namespace's own traffic) to the stack.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp.frags")
int to_xsk(struct xdp_md *ctx)
{
	__u8 type[2];

	if (bpf_xdp_load_bytes(ctx, 12, type, 2) < 0 || type[0] != 0x88 || type[1] != 0xb5)
		return XDP_PASS;
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
