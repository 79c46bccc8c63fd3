/* SPDX-License-Identifier: MIT */
/* Returns bpf_xdp_get_buff_len(): linear plus frag bytes, metadata excluded. Also the probe
 * program the test helper loads to decide whether the kernel accepts BPF at all. */
#include "uxdp_test.h"

SEC("xdp.frags")
int uxdp_buff_len(struct xdp_md *ctx)
{
	return bpf_xdp_get_buff_len(ctx);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
