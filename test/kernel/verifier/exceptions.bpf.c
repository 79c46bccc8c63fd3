/* SPDX-License-Identifier: MIT */
/* BPF exceptions (Linux 6.7+): bpf_throw ends the program from any frame, the exception callback
 * (the main program's `exception_callback:NAME` decl tag, or the default one returning the cookie)
 * gives the return value. What may be held at a throw, where throwing is allowed, the callback's
 * rules. Written for uxdp. */
#include "verifier.h"

extern void bpf_throw(__u64 cookie) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void bpf_preempt_disable(void) __ksym;
extern void bpf_preempt_enable(void) __ksym;

/* No program here names an exception callback: the recording harness's libbpf (1.1) predates
 * libbpf's appending of it (1.3), so the kernel would never see one (the selftests' exceptions.c,
 * loaded by a newer libbpf, covers them). */

struct sock_val {
	int n;
	struct bpf_spin_lock lock;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct sock_val);
} locked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} jumps SEC(".maps");

static __attribute__((noinline, used)) int thrower(__u64 v)
{
	if (v > 3)
		bpf_throw(v);
	return (int)v;
}

__attribute__((noinline)) int global_thrower(__u64 v)
{
	if (v > 3)
		bpf_throw(v + 1);
	return (int)v;
}

#if CASE == 0 /* throw_always_tc accepted tc: bpf_throw in the main program */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	bpf_throw(7);
	return 0;
}
#elif CASE == 1 /* throw_xdp accepted xdp: a conditional bpf_throw in XDP */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	if (ctx->data_end - ctx->data < 20)
		bpf_throw(XDP_DROP);
	return XDP_PASS;
}
#elif CASE == 2 /* throw_socket refused socket: socket filters may not call bpf_throw (no kfuncs) */
SEC("socket") int prog(struct __sk_buff *ctx)
{
	if (ctx->len > 100)
		bpf_throw(0);
	return ctx->len;
}
#elif CASE == 3 /* throw_static_subprog accepted tc: a static subprogram throws */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	return thrower(ctx->len) + 1;
}
#elif CASE == 4 /* throw_global_subprog accepted tc: a global subprogram throws */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	return global_thrower(ctx->len) + 1;
}
#elif CASE == 5 /* dead_after_throw accepted xdp: what follows bpf_throw is never walked (an uninitialised read there) */
NAKED("xdp") { asm volatile ("r1 = 2; call %[bpf_throw]; r0 = r7; exit;" :: [bpf_throw] "i"(bpf_throw) : "memory"); }
#elif CASE == 6 /* throw_cookie_uninit refused xdp: bpf_throw with r1 clobbered by a call */
NAKED("xdp") { asm volatile ("call %[bpf_ktime_get_ns]; call %[bpf_throw]; r0 = 0; exit;" :: [bpf_ktime_get_ns] "i"(BPF_FUNC_ktime_get_ns), [bpf_throw] "i"(bpf_throw) : "memory"); }
#elif CASE == 7 /* throw_holding_socket refused tc: bpf_throw while a socket reference is held */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(ctx, &t, sizeof(t.ipv4), -1, 0);

	if (sk)
		bpf_throw(1);
	return 0;
}
#elif CASE == 8 /* subprog_throw_holding_socket refused tc: a static subprogram throws while the caller holds a socket reference */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(ctx, &t, sizeof(t.ipv4), -1, 0);
	int r;

	if (!sk)
		return 0;
	r = thrower(ctx->len);
	bpf_sk_release(sk);
	return r;
}
#elif CASE == 9 /* throw_under_rcu refused xdp: bpf_throw inside bpf_rcu_read_lock */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	bpf_rcu_read_lock();
	if (ctx->data_end - ctx->data < 20)
		bpf_throw(1);
	bpf_rcu_read_unlock();
	return XDP_PASS;
}
#elif CASE == 10 /* throw_under_preempt refused xdp: bpf_throw with preemption disabled */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	bpf_preempt_disable();
	if (ctx->data_end - ctx->data < 20)
		bpf_throw(1);
	bpf_preempt_enable();
	return XDP_PASS;
}
#elif CASE == 11 /* throw_under_spin_lock refused tc: bpf_throw while holding a bpf_spin_lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	int k = 0;
	struct sock_val *v = bpf_map_lookup_elem(&locked, &k);

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	if (v->n)
		bpf_throw(1);
	bpf_spin_unlock(&v->lock);
	return 0;
}
#elif CASE == 12 /* throw_in_loop_callback refused xdp: a bpf_loop callback throws */
static int loop_cb(__u32 i, void *c)
{
	if (i == 3)
		bpf_throw(9);
	return 0;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	bpf_loop(10, loop_cb, 0, 0);
	return XDP_PASS;
}
#elif CASE == 13 /* throw_two_frames_deep accepted tc: a static subprogram's static callee throws */
static __attribute__((noinline)) int outer(__u64 v)
{
	return thrower(v * 2) + 1;
}
SEC("tc") int prog(struct __sk_buff *ctx)
{
	return outer(ctx->len) + 1;
}
#elif CASE == 14 /* throw_then_tail_call accepted tc: a program that both tail-calls and throws */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	if (ctx->len > 1000)
		bpf_throw(2);
	bpf_tail_call_static(ctx, &jumps, 0);
	return 0;
}
#elif CASE == 15 /* throw_pointer_cookie refused xdp: the context pointer as the cookie (bpf_throw takes a scalar) */
NAKED("xdp") { asm volatile ("call %[bpf_throw]; r0 = 0; exit;" :: [bpf_throw] "i"(bpf_throw) : "memory"); }
#elif CASE == 16 /* assert_range_dead_throw accepted tc: bpf_assert_range-style asm: the call clobbers r0, but the throwing path ends there */
SEC("tc") __attribute__((naked)) void prog(void)
{
	asm volatile ("call %[bpf_ktime_get_ns];"
		      "if r0 s>= -100 goto +2;"
		      "r1 = 0;"
		      "call %[bpf_throw];"
		      "if r0 s<= 100 goto +2;"
		      "r1 = 0;"
		      "call %[bpf_throw];"
		      "r0 = 1;"
		      "exit;"
		      :: [bpf_ktime_get_ns] "i"(BPF_FUNC_ktime_get_ns), [bpf_throw] "i"(bpf_throw) : "memory");
}
#elif CASE == 17 /* throw_in_subprog_under_rcu refused xdp: a static subprogram throws while its caller holds bpf_rcu_read_lock */
static __attribute__((noinline)) int rcu_thrower(struct xdp_md *ctx)
{
	if (ctx->data_end - ctx->data < 20)
		bpf_throw(1);
	return XDP_PASS;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	int r;

	bpf_rcu_read_lock();
	r = rcu_thrower(ctx);
	bpf_rcu_read_unlock();
	return r;
}
#elif CASE == 18 /* throw_ringbuf_reserved refused xdp: bpf_throw with a ring buffer record reserved */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u64 *r = bpf_ringbuf_reserve(&rb, 8, 0);

	if (!r)
		return XDP_PASS;
	if (ctx->data_end - ctx->data < 20)
		bpf_throw(1);
	bpf_ringbuf_submit(r, 0);
	return XDP_PASS;
}
#endif
