/* SPDX-License-Identifier: MIT */
/*
 * Load verdicts (test/kernel-bpf.spec.ts, "load verdicts"): one XDP program per -DCASE=..., each
 * either loadable or refused for a reason uxdp's loader decides before any verifier (helper and
 * kfunc availability per program type, GPL-only helpers, kfuncs missing from the kernel) or that a
 * kernel build refuses while upstream accepts it. Written
 * for uxdp; no kernel selftest code.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CASE_PLAIN 0
#define CASE_SKB_HELPER 1
#define CASE_GPL_HELPER 2
#define CASE_MISSING_KFUNC 3
#define CASE_SKB_KFUNC 4
#define CASE_ADJUST_META 5
#define CASE_SLICE_RDWR 6

#ifndef CASE
#define CASE CASE_PLAIN
#endif

struct bpf_dynptr;
extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern int bpf_uxdp_no_such_kfunc(struct xdp_md *x) __ksym;

SEC("xdp")
int load_case(struct xdp_md *ctx)
{
#if CASE == CASE_SKB_HELPER
	/* an skb helper: not in XDP's set */
	__u8 b[2];

	return bpf_skb_load_bytes(ctx, 0, b, sizeof(b)) ? XDP_DROP : XDP_PASS;
#elif CASE == CASE_GPL_HELPER
	/* GPL-only, and LICENSE below is not GPL-compatible */
	bpf_printk("uxdp %d", 1);
	return XDP_PASS;
#elif CASE == CASE_MISSING_KFUNC
	return bpf_uxdp_no_such_kfunc(ctx);
#elif CASE == CASE_SKB_KFUNC
	/* an skb kfunc handed an XDP context */
	struct bpf_dynptr d;
	return bpf_dynptr_from_skb((struct __sk_buff *)ctx, 0, &d) ? XDP_DROP : XDP_PASS;
#elif CASE == CASE_ADJUST_META
	return bpf_xdp_adjust_meta(ctx, -8) ? XDP_DROP : XDP_PASS;
#elif CASE == CASE_SLICE_RDWR
	struct bpf_dynptr d;
	__u8 buf[4];
	__u8 *p;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_DROP;
	p = bpf_dynptr_slice_rdwr(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_DROP;
	p[0] ^= 1;
	return XDP_PASS;
#else
	return XDP_PASS;
#endif
}

#if CASE == CASE_GPL_HELPER
char LICENSE[] SEC("license") = "MIT";
#else
char LICENSE[] SEC("license") = "Dual MIT/GPL";
#endif
