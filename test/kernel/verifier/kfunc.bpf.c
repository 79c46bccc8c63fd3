/* SPDX-License-Identifier: MIT */
/* kfunc calls: availability per program type, argument types and sizes, NULL returns, kfuncs the
 * kernel does not have. Written for uxdp. */
#include "verifier.h"
#include "bpf_kfuncs.h"

extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern __u64 bpf_get_rdonly_ptr_unknown(void) __ksym __weak;
extern int bpf_uxdp_not_a_kfunc(int x) __ksym;
extern int bpf_uxdp_weak_missing(int x) __ksym __weak;
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;

#if CASE == 0 /* dynptr_size accepted xdp: bpf_dynptr_size on an xdp dynptr */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_size(&d) > 60 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 1 /* missing_strong_kfunc refused xdp: a kfunc the kernel does not have (libbpf refuses) */
SEC("xdp") int prog(struct xdp_md *ctx) { return bpf_uxdp_not_a_kfunc(1); }
#elif CASE == 2 /* missing_weak_kfunc_guarded accepted xdp: a weak kfunc the kernel lacks, guarded by a test of its address */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	if (bpf_uxdp_weak_missing)
		return bpf_uxdp_weak_missing(1);
	return XDP_PASS;
}
#elif CASE == 3 /* missing_weak_kfunc_called refused xdp: a weak kfunc the kernel lacks, called unguarded (libbpf poisons the call) */
SEC("xdp") int prog(struct xdp_md *ctx) { return bpf_uxdp_weak_missing(1); }
#elif CASE == 4 /* skb_kfunc_in_xdp refused xdp: bpf_dynptr_from_skb in XDP */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	return bpf_dynptr_from_skb((struct __sk_buff *)ctx, 0, &d) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 5 /* from_xdp_scalar_ctx refused xdp: a scalar in place of the xdp context */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	return bpf_dynptr_from_xdp((struct xdp_md *)(long)bpf_get_prandom_u32(), 0, &d) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 6 /* from_xdp_flags_unknown accepted xdp: nonzero flags to bpf_dynptr_from_xdp are checked when it runs */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	return bpf_dynptr_from_xdp(ctx, 1, &d) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 7 /* from_xdp_modified_ctx refused xdp: ctx + 4 passed as the context */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	return bpf_dynptr_from_xdp((struct xdp_md *)((char *)ctx + 4), 0, &d) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 8 /* adjust_scalar_args accepted xdp: bpf_dynptr_adjust with unknown start and end */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_adjust(&d, bpf_get_prandom_u32(), bpf_get_prandom_u32()) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 9 /* cast_to_kern_ctx_xdp accepted xdp: bpf_cast_to_kern_ctx on the xdp context */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *k = bpf_cast_to_kern_ctx(ctx);

	return k ? XDP_PASS : XDP_DROP;
}
#elif CASE == 10 /* kfunc_proto_mismatch refused xdp: an extern bpf_task_acquire whose prototype does not match the kernel's BTF (libbpf refuses) */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct task_struct *t = bpf_task_acquire((struct task_struct *)(long)ctx->data);

	return t ? XDP_DROP : XDP_PASS;
}
#elif CASE == 11 /* slice_buffer_uninit_priv accepted xdp: an unwritten stack buffer for bpf_dynptr_slice (root) */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[16], *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	return p && p[0] ? XDP_DROP : XDP_PASS;
}
#elif CASE == 12 /* copy_between_dynptrs accepted xdp: bpf_dynptr_copy within one xdp dynptr */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return bpf_dynptr_copy(&d, 0, &d, 4, 4) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 13 /* memset_uninit_dynptr refused xdp: bpf_dynptr_memset on a dynptr never created */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	return bpf_dynptr_memset(&d, 0, 4, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 14 /* is_null_on_valid accepted tc: bpf_dynptr_is_null and is_rdonly on a skb dynptr */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_skb(skb, 0, &d);
	return (bpf_dynptr_is_null(&d) & 1) || (bpf_dynptr_is_rdonly(&d) & 1) ? 2 : 0;
}
#endif
