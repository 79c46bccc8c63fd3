// The AF_XDP demo's XDP program (`uxdp demo --xsk`): UDP to port 9999 goes to the AF_XDP socket
// of the frame's RX queue (the xskmap slot of that queue), everything else to the host stack.
// Headers are read with bpf_xdp_load_bytes, so nothing assumes they sit in the linear part.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PORT_XSK 9999

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp.frags")
int xsk_demo(struct xdp_md *ctx)
{
	__u8 hdr[38];

	if (bpf_xdp_load_bytes(ctx, 0, hdr, sizeof(hdr)) < 0)
		return XDP_PASS;
	/* IPv4 (0x0800), no options, UDP, destination port PORT_XSK. */
	if (hdr[12] != 0x08 || hdr[13] != 0x00 || hdr[14] != 0x45 || hdr[23] != 17)
		return XDP_PASS;
	if (hdr[36] != (PORT_XSK >> 8) || hdr[37] != (PORT_XSK & 0xff))
		return XDP_PASS;
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
