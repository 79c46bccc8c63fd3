/* SPDX-License-Identifier: MIT */
/* XDP programs that throw (bpf_throw, Linux 6.7+), run by BPF_PROG_TEST_RUN on the kernel and on
 * uxdp (test/kernel-exceptions.spec.ts): the return value is the cookie (the default exception
 * callback), from whichever frame threw. Written for uxdp. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern void bpf_throw(__u64 cookie) __ksym;

char LICENSE[] SEC("license") = "GPL";

#if CASE == 1
static __attribute__((noinline)) int inner(__u64 len, __u64 first)
{
	if (len > 60)
		bpf_throw(1000 + first);
	return (int)len;
}

static __attribute__((noinline)) int outer(__u64 len, __u64 first)
{
	return inner(len, first) * 2 + 1;
}

#endif

#if CASE == 2
__attribute__((noinline)) int global_check(__u64 len)
{
	if (len & 1)
		bpf_throw(len + 7);
	return 3;
}
#endif

SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 len = end - data;
#if CASE == 0
	/* main frame: throw when long, else pass */
	if (len > 60)
		bpf_throw(len + 100);
	return XDP_PASS;
#elif CASE == 1
	/* two static frames deep; the cookie carries the packet's first byte */
	__u64 first = 0;

	if (data + 1 <= end)
		first = *(__u8 *)data;
	return outer(len, first);
#elif CASE == 2
	/* a global function */
	return global_check(len) + 1;
#elif CASE == 3
	/* bpf_assert_range's shape: the assertion's call never returns */
	if (len > 4000) /* a C call, so that clang emits bpf_throw's BTF */
		bpf_throw(1);
	asm volatile ("if %[v] < 50 goto +2;"
		      "r1 = 77;"
		      "call %[bpf_throw];"
		      :: [v] "r"(len), [bpf_throw] "i"(bpf_throw) : "r0", "r1", "r2", "r3", "r4", "r5", "memory");
	return (int)len;
#endif
}
