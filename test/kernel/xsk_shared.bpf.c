// The AF_XDP harness's program for sockets sharing a UMEM: frames of the test's EtherType (0x88b5)
// go to the xskmap slot their tag byte (offset 14) names, modulo 4 (XDP_PASS when empty);
// everything else (the namespace's own traffic) to the stack.
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
	__u8 head[3];

	if (bpf_xdp_load_bytes(ctx, 12, head, 3) < 0 || head[0] != 0x88 || head[1] != 0xb5)
		return XDP_PASS;
	return bpf_redirect_map(&xsks, head[2] & 3, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
