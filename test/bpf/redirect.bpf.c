// bpf_redirect to the interface with index IFINDEX.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp.frags")
int to_ifindex(struct xdp_md *ctx)
{
	return bpf_redirect(IFINDEX, 0);
}

char LICENSE[] SEC("license") = "GPL";
