/* SPDX-License-Identifier: MIT */
/* A `__weak` kfunc extern the kernel does not have: libbpf (1.3+) loads the program with every
 * call of it poisoned; a call the verifier never reaches (guarded by a test of its address) is fine, a
 * reached one is refused. One program per -DCASE=n (test/kernel-exceptions.spec.ts). Written for
 * uxdp. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_uxdp_weak_absent(int x) __ksym __weak;
struct task_struct;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

char LICENSE[] SEC("license") = "GPL";

#if CASE == 0 /* accepted: guarded by a test of its address (bpf_ksym_exists) */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	if (bpf_uxdp_weak_absent)
		return bpf_uxdp_weak_absent(1);
	return XDP_PASS;
}
#elif CASE == 1 /* refused: called unguarded */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	return bpf_uxdp_weak_absent(1);
}
#elif CASE == 2 /* refused: called on one path only (long packets) */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	if (ctx->data_end - ctx->data > 60)
		return bpf_uxdp_weak_absent(2);
	return XDP_PASS;
}
#elif CASE == 3 /* accepted: guarded, and a tc program */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	if (bpf_uxdp_weak_absent && ctx->len > 10)
		return bpf_uxdp_weak_absent(3);
	return 0;
}
#elif CASE == 4 /* refused: bpf_task_acquire declared with a forward-declared task_struct (the kernel's is a struct) */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct task_struct *t = bpf_task_acquire((struct task_struct *)(long)ctx->data);

	if (t)
		bpf_task_release(t);
	return XDP_PASS;
}
#endif
