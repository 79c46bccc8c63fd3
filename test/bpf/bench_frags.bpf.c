// Benchmark program (bench/bpf.bench.mjs): a multi-buffer program that reads the Ethernet and IPv4
// headers and the last 64 bytes of the frame with bpf_xdp_load_bytes (the tail lives in a frag of a
// 9000-byte frame), and drops frames whose tail starts with a marker.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp.frags")
int bench_frags(struct xdp_md *ctx)
{
	__u8 hdr[34];
	__u8 tail[64];
	__u32 len = bpf_xdp_get_buff_len(ctx);

	if (len < 98)
		return XDP_ABORTED;
	if (bpf_xdp_load_bytes(ctx, 0, hdr, sizeof(hdr)))
		return XDP_ABORTED;
	if (hdr[12] != 0x08 || hdr[13] != 0x00)
		return XDP_PASS;
	if (bpf_xdp_load_bytes(ctx, len - 64, tail, sizeof(tail)))
		return XDP_ABORTED;
	return tail[0] == 0xee ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
