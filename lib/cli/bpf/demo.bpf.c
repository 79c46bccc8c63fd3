// The demo's XDP program as a clang-built BPF object (`uxdp demo --bpf`): the same decisions as the
// TypeScript one in ../demo.ts. Reads the UDP destination port across frags with
// bpf_xdp_load_bytes (nothing assumes the headers are linear), then drops port 9, sends port 7
// back with its MACs swapped (XDP_TX), redirects port 4789 through a devmap's slot 0, passes the
// rest. Its device feature needs are inferred at attach: basic, redirect, ndo-xmit(-sg) on the
// devmap's device, rx-sg. Built by scripts/demo-object.mjs into ../demo-object.ts.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} peer SEC(".maps");

SEC("xdp.frags")
int demo(struct xdp_md *ctx)
{
	unsigned char hdr[26];
	unsigned char *data = (unsigned char *)(long)ctx->data;
	unsigned char *end = (unsigned char *)(long)ctx->data_end;
	__u16 dport;
	__u32 ihl;

	if (bpf_xdp_get_buff_len(ctx) < 42)
		return XDP_PASS;
	if (bpf_xdp_load_bytes(ctx, 12, hdr, sizeof(hdr)))
		return XDP_PASS;
	if (hdr[0] != 0x08 || hdr[1] != 0x00 || hdr[11] != 17)
		return XDP_PASS;
	ihl = (hdr[2] & 0xf) * 4;
	if (bpf_xdp_load_bytes(ctx, 14 + ihl + 2, &dport, sizeof(dport)))
		return XDP_PASS;
	switch (__builtin_bswap16(dport)) {
	case 9:
		return XDP_DROP;
	case 7:
		if (data + 12 > end)
			return XDP_PASS;
		for (int i = 0; i < 6; i++) {
			unsigned char t = data[i];

			data[i] = data[i + 6];
			data[i + 6] = t;
		}
		return XDP_TX;
	case 4789:
		return bpf_redirect_map(&peer, 0, XDP_PASS);
	default:
		return XDP_PASS;
	}
}

char LICENSE[] SEC("license") = "GPL";
