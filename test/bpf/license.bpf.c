// A program calling a GPL-only helper (bpf_perf_event_output) under the license LICENSE_STR.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} samples SEC(".maps");

SEC("xdp")
int sample(struct xdp_md *ctx)
{
	__u32 mark = 0xabcd;

	bpf_perf_event_output(ctx, &samples, BPF_F_CURRENT_CPU | (16ULL << 32), &mark, sizeof(mark));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = LICENSE_STR;
