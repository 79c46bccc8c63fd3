// Benchmark program (bench/bpf.bench.mjs): the smallest XDP program, a constant verdict.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bench_verdict(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
