// SPDX-License-Identifier: MIT
// Small programs for the verifier API (test/verifier-api.spec.ts): accepted ones, and ones the
// Linux verifier refuses on purpose, each for one reason.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct uxdp_obj;
extern long uxdp_sum(const __u8 *buf, __u32 buf__sz) __ksym;
extern struct uxdp_obj *uxdp_acquire(__u64 x) __ksym;
extern void uxdp_release(struct uxdp_obj *o) __ksym;

// Accepted: the packet is read after a bounds check.
SEC("xdp")
int ok_bounded(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	return eth->h_proto == __builtin_bswap16(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

// Refused: the packet is read with no bounds check.
SEC("xdp")
int no_bounds(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;

	return eth->h_proto == __builtin_bswap16(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

// Refused: r2 is read before anything wrote it.
SEC("xdp")
__attribute__((naked)) int uninit_r2(struct xdp_md *ctx)
{
	asm volatile("r0 = r2; exit;" ::: "memory");
}

// Accepted privileged, refused unprivileged: the context pointer is the return value.
SEC("socket")
__attribute__((naked)) int leak_ctx(struct __sk_buff *skb)
{
	asm volatile("r0 = r1; exit;" ::: "memory");
}

// Accepted privileged, refused unprivileged: two pointers compared.
SEC("socket")
__attribute__((naked)) int ptr_cmp(struct __sk_buff *skb)
{
	asm volatile("r2 = r10;"
		     "r0 = 0;"
		     "if r1 == r2 goto +1;"
		     "r0 = 1;"
		     "exit;" ::: "memory");
}

// A user kfunc with a sized memory argument: 8 bytes of stack, 8 declared.
SEC("xdp")
int sum_ok(struct xdp_md *ctx)
{
	__u8 buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	return uxdp_sum(buf, sizeof(buf)) == 36 ? XDP_PASS : XDP_DROP;
}

// The same with a size beyond the buffer.
SEC("xdp")
int sum_oob(struct xdp_md *ctx)
{
	__u8 buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	return uxdp_sum(buf, 16) == 36 ? XDP_PASS : XDP_DROP;
}

// KF_ACQUIRE | KF_RET_NULL: the reference is never released.
SEC("xdp")
int acquire_leak(struct xdp_md *ctx)
{
	struct uxdp_obj *o = uxdp_acquire(1);

	if (!o)
		return XDP_PASS;
	return XDP_DROP;
}

// The reference released (KF_RELEASE).
SEC("xdp")
int acquire_release(struct xdp_md *ctx)
{
	struct uxdp_obj *o = uxdp_acquire(1);

	if (!o)
		return XDP_PASS;
	uxdp_release(o);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
