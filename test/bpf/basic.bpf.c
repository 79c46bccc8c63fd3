// Small XDP programs for the BPF engine's own tests (test/bpf.spec.ts, test/prog-cli.spec.ts).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// Swaps the MAC addresses of frames long enough to have them; passes the rest.
SEC("xdp")
int swap_macs(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	unsigned char tmp[ETH_ALEN];

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return XDP_TX;
}

// Returns the packet length (linear plus frags) modulo 256 as the verdict's upper bits are unused.
SEC("xdp.frags")
int buff_len(struct xdp_md *ctx)
{
	return bpf_xdp_get_buff_len(ctx);
}

// Shrinks the packet by 4 bytes at the tail (drops an FCS, say).
SEC("xdp.frags")
int trim_tail(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_tail(ctx, -4))
		return XDP_ABORTED;
	return XDP_PASS;
}

// Reads beyond data_end without a check when asked to (a program the kernel's verifier would
// refuse): the engine must fault, not read.
SEC("?xdp")
int unchecked_read(struct xdp_md *ctx)
{
	volatile unsigned char *p = (void *)(long)ctx->data_end;
	return p[64];
}

char LICENSE[] SEC("license") = "GPL";
