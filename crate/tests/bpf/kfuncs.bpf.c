// __ksym externs: kfuncs called directly, a __weak kfunc that no kernel has (guarded by
// bpf_ksym_exists, which takes its address), and typed ksym variables.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* libbpf 1.1's bpf_helpers.h predates bpf_ksym_exists; this is its documented meaning. */
#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) (!!(sym))
#endif

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt,
			      __u32 buffer__szk) __ksym;
extern int bpf_uxdp_does_not_exist(struct xdp_md *x) __ksym __weak;
extern const int bpf_prog_active __ksym;
extern const int bpf_uxdp_missing_var __ksym __weak;

SEC("xdp")
int dynptr_prog(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;
	__u8 buf[4];

	if (bpf_dynptr_from_xdp(ctx, 0, &ptr))
		return XDP_ABORTED;
	__u8 *p = bpf_dynptr_slice(&ptr, 0, buf, sizeof(buf));
	if (!p)
		return XDP_DROP;
	if (bpf_ksym_exists(bpf_uxdp_does_not_exist))
		return bpf_uxdp_does_not_exist(ctx);
	if (&bpf_uxdp_missing_var)
		return XDP_TX;
	return p[0] == 0x45 ? XDP_PASS : XDP_DROP;
}

SEC("xdp.frags")
int ksym_var_prog(struct xdp_md *ctx)
{
	return (__u64)&bpf_prog_active == ctx->rx_queue_index ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
