/* SPDX-License-Identifier: MIT */
/* Exception callbacks (the main program's `exception_callback:NAME` decl tag), verified and run.
 * libbpf 1.3+ appends the named global function to the program; the kernel verifies it on its own,
 * as a callback taking the cookie, and runs it after the unwinding: its value is the program's.
 * One program per -DCASE=n (test/kernel-exceptions.spec.ts). Written for uxdp. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern void bpf_throw(__u64 cookie) __ksym;

#define EXC_CB(name) __attribute__((btf_decl_tag("exception_callback:" #name)))

char LICENSE[] SEC("license") = "GPL";

#if CASE == 0 /* accepted: the callback doubles the cookie */
__attribute__((noinline)) int on_throw(__u64 cookie)
{
	return (int)cookie * 2;
}
SEC("xdp") EXC_CB(on_throw) int prog(struct xdp_md *ctx)
{
	if (ctx->data_end - ctx->data > 60)
		bpf_throw(ctx->data_end - ctx->data);
	return XDP_PASS;
}
#elif CASE == 1 /* accepted: the callback calls a global function; the throw is two frames deep */
__attribute__((noinline)) int adjust(__u64 v)
{
	return (int)v + 3;
}
__attribute__((noinline)) int on_throw(__u64 cookie)
{
	return adjust(cookie) + 100;
}
static __attribute__((noinline)) int deep(__u64 len)
{
	if (len & 1)
		bpf_throw(len);
	return 1;
}
static __attribute__((noinline)) int middle(__u64 len)
{
	return deep(len) + 1;
}
SEC("xdp") EXC_CB(on_throw) int prog(struct xdp_md *ctx)
{
	return middle(ctx->data_end - ctx->data);
}
#elif CASE == 2 /* accepted: a callback in a program that never throws */
__attribute__((noinline)) int on_throw(__u64 cookie)
{
	return 3;
}
SEC("xdp") EXC_CB(on_throw) int prog(struct xdp_md *ctx)
{
	return XDP_PASS;
}
#elif CASE == 3 /* refused: the callback takes two arguments */
__attribute__((noinline)) int on_throw(__u64 cookie, __u64 other)
{
	return (int)(cookie + other);
}
SEC("xdp") EXC_CB(on_throw) int prog(struct xdp_md *ctx)
{
	bpf_throw(1);
	return XDP_PASS;
}
#elif CASE == 4 /* refused: the callback takes the context */
__attribute__((noinline)) int on_throw(struct xdp_md *c)
{
	return c->ingress_ifindex;
}
SEC("xdp") EXC_CB(on_throw) int prog(struct xdp_md *ctx)
{
	bpf_throw(1);
	return XDP_PASS;
}
#elif CASE == 5 /* refused: the main program calls its callback */
__attribute__((noinline)) int on_throw(__u64 cookie)
{
	return (int)cookie;
}
SEC("xdp") EXC_CB(on_throw) int prog(struct xdp_md *ctx)
{
	if (ctx->data_end - ctx->data > 60)
		bpf_throw(1);
	return on_throw(ctx->data_end - ctx->data);
}
#elif CASE == 6 /* refused: the callback throws */
__attribute__((noinline)) int on_throw(__u64 cookie)
{
	if (cookie > 5)
		bpf_throw(0);
	return (int)cookie;
}
SEC("xdp") EXC_CB(on_throw) int prog(struct xdp_md *ctx)
{
	if (ctx->data_end - ctx->data > 60)
		bpf_throw(9);
	return XDP_PASS;
}
#elif CASE == 7 /* refused: the callback is static (libbpf refuses) */
static __attribute__((noinline, used)) int on_throw(__u64 cookie)
{
	return 1;
}
SEC("xdp") EXC_CB(on_throw) int prog(struct xdp_md *ctx)
{
	bpf_throw(1);
	return XDP_PASS;
}
#elif CASE == 8 /* refused: the tag names no function (libbpf refuses) */
SEC("xdp") EXC_CB(no_such_function) int prog(struct xdp_md *ctx)
{
	bpf_throw(1);
	return XDP_PASS;
}
#endif
