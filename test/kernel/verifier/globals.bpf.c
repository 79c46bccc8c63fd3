/* SPDX-License-Identifier: MIT */
/* Global (non-static) functions: verified once on their own from their BTF prototype (scalar,
 * context, sized memory that may be NULL, __arg_nonnull, dynptr, __arg_ctx), and at each call only
 * checked against it; the caller sees an unknown scalar back. Wrong arguments at the call site,
 * prototypes the kernel refuses, globals calling globals, packet-changing globals, stack and call
 * depth over chains of globals. Written for uxdp. */
#include "verifier.h"
#include "bpf_kfuncs.h"

#define ARG_CTX __attribute__((btf_decl_tag("arg:ctx")))
#define ARG_NONNULL __attribute__((btf_decl_tag("arg:nonnull")))
#define ARG_NULLABLE __attribute__((btf_decl_tag("arg:nullable")))
#define GLOBAL __attribute__((noinline))

struct pair {
	__u32 a;
	__u32 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct pair);
} pairs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

#if CASE == 0 /* scalar_args accepted xdp: a global function taking two scalars; its result is any scalar */
GLOBAL int mix(__u32 a, __u64 b) { return (a ^ b) & 3; }
SEC("xdp") int prog(struct xdp_md *ctx) { return mix(ctx->rx_queue_index, ctx->ingress_ifindex) == 1 ? XDP_DROP : XDP_PASS; }
#elif CASE == 1 /* ctx_arg_parses_packet accepted xdp: a global function given the context checks packet bounds itself */
GLOBAL int first_byte(struct xdp_md *c)
{
	unsigned char *d = (void *)(long)c->data;

	if (d + 1 > (unsigned char *)(long)c->data_end)
		return -1;
	return d[0];
}
SEC("xdp") int prog(struct xdp_md *ctx) { return first_byte(ctx) == 0xff ? XDP_DROP : XDP_PASS; }
#elif CASE == 2 /* ctx_arg_given_stack refused xdp: a stack pointer passed where the prototype wants the context */
GLOBAL int rxq(struct xdp_md *c) { return c->rx_queue_index; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u64 fake[4] = {};

	return rxq((struct xdp_md *)fake) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 3 /* ctx_arg_modified refused xdp: the context moved forward before the call */
GLOBAL int rxq(struct xdp_md *c) { return c->rx_queue_index; }
SEC("xdp") int prog(struct xdp_md *ctx) { return rxq((struct xdp_md *)((char *)ctx + 8)) ? XDP_DROP : XDP_PASS; }
#elif CASE == 4 /* scalar_arg_given_pointer refused xdp: a stack address passed for an integer parameter */
GLOBAL int low_bits(long v) { return v & 7; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	int x = 1;

	asm volatile ("" : "+m"(x));
	return low_bits((long)&x) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 5 /* mem_arg_struct_unchecked refused xdp: a global function reads a struct pointer argument that may be NULL */
GLOBAL int sum(struct pair *p) { return p->a + p->b; }
SEC("xdp") int prog(struct xdp_md *ctx) { struct pair v = { 1, 2 }; return sum(&v) == 3 ? XDP_PASS : XDP_DROP; }
#elif CASE == 6 /* mem_arg_struct_checked accepted xdp: the same function checks for NULL first */
GLOBAL int sum(struct pair *p) { return p ? p->a + p->b : 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { struct pair v = { 1, 2 }; return sum(&v) == 3 ? XDP_PASS : XDP_DROP; }
#elif CASE == 7 /* mem_arg_nonnull_deref accepted xdp: an __arg_nonnull pointer is read without a check */
GLOBAL int sum(struct pair *p ARG_NONNULL) { return p->a + p->b; }
SEC("xdp") int prog(struct xdp_md *ctx) { struct pair v = { 1, 2 }; return sum(&v) == 3 ? XDP_PASS : XDP_DROP; }
#elif CASE == 8 /* mem_arg_nonnull_given_maybe_null refused xdp: an unchecked map lookup passed for an __arg_nonnull pointer */
GLOBAL int sum(struct pair *p ARG_NONNULL) { return p->a + p->b; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = ctx->rx_queue_index;

	return sum(bpf_map_lookup_elem(&pairs, &k)) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 9 /* mem_arg_nullable_given_maybe_null accepted xdp: an unchecked map lookup passed to a function that checks NULL */
GLOBAL int sum(struct pair *p) { return p ? p->a + p->b : 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = ctx->rx_queue_index;

	return sum(bpf_map_lookup_elem(&pairs, &k)) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 10 /* mem_arg_past_its_size refused xdp: the function reads past the pointee's size */
GLOBAL int third(struct pair *p) { return p ? ((__u32 *)p)[2] : 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { struct pair v[2] = {}; return third(v) ? XDP_PASS : XDP_DROP; }
#elif CASE == 11 /* mem_arg_stack_too_small refused xdp: a 4-byte stack object passed for an 8-byte struct */
GLOBAL int sum(struct pair *p) { return p ? p->a + p->b : 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r1 = r10; r1 += -4; call sum; r0 = 2;" ::: "r0", "r1", "r2", "r3", "r4", "r5", "memory");
	return XDP_PASS;
}
#elif CASE == 12 /* mem_arg_packet_checked accepted xdp: a bounds-checked packet pointer passed for an ethernet header */
GLOBAL int proto(struct ethhdr *e) { return e ? e->h_proto : 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct ethhdr *e = (void *)(long)ctx->data;

	if ((void *)(e + 1) > (void *)(long)ctx->data_end)
		return XDP_PASS;
	return proto(e) == 8 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 13 /* mem_arg_packet_short refused xdp: a packet pointer checked for 4 bytes passed for a 14-byte header */
GLOBAL int proto(struct ethhdr *e) { return e ? e->h_proto : 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct ethhdr *e = (void *)(long)ctx->data;

	if ((void *)e + 4 > (void *)(long)ctx->data_end)
		return XDP_PASS;
	return proto(e) == 8 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 14 /* mem_arg_rodata refused xdp: read-only global data passed as memory the function may write */
const struct pair fixed = { 3, 4 };
GLOBAL int sum(struct pair *p) { return p ? p->a + p->b : 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { return sum((struct pair *)&fixed) == 7 ? XDP_PASS : XDP_DROP; }
#elif CASE == 15 /* void_ptr_arg refused xdp: a void * parameter has no size to check */
GLOBAL int peek(void *p) { return p ? 1 : 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { int v = 0; return peek(&v) ? XDP_PASS : XDP_DROP; }
#elif CASE == 16 /* dynptr_arg accepted xdp: a global function reads from a dynptr made by the caller */
GLOBAL int dlen(struct bpf_dynptr *d) { __u8 b[2]; return bpf_dynptr_read(b, sizeof(b), d, 0, 0) ? 0 : b[1]; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_DROP;
	return dlen(&d) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 17 /* dynptr_arg_uninit refused xdp: stack bytes that are no dynptr passed for a dynptr parameter */
GLOBAL int dlen(struct bpf_dynptr *d) { __u8 b[2]; return bpf_dynptr_read(b, sizeof(b), d, 0, 0) ? 0 : b[1]; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u64 raw[2] = {};

	return dlen((struct bpf_dynptr *)raw) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 18 /* void_global_tc refused tc: a global function returning void is refused at its call */
GLOBAL void touch(struct __sk_buff *s) { bpf_skb_change_type(s, 0); }
SEC("tc") int prog(struct __sk_buff *skb) { touch(skb); return 0; }
#elif CASE == 19 /* refused_on_its_own refused xdp: a global function whose own body reads the context out of bounds */
GLOBAL int bad_field(struct xdp_md *c) { return *(__u32 *)((char *)c + 64); }
SEC("xdp") int prog(struct xdp_md *ctx) { return bad_field(ctx) ? XDP_PASS : XDP_DROP; }
#elif CASE == 20 /* returns_pointer refused xdp: a global function returning a map value address */
struct pair scratch;
GLOBAL long where(void)
{
	long r;

	asm volatile ("%[r] = %[s]" : [r] "=r"(r) : [s] "r"(&scratch));
	return r;
}
SEC("xdp") int prog(struct xdp_md *ctx) { return where() & 1 ? XDP_PASS : XDP_DROP; }
#elif CASE == 21 /* global_calls_global accepted xdp: a chain of three global functions, each verified once */
GLOBAL int leaf(int x) { return x & 1; }
GLOBAL int middle(int x) { return leaf(x) + leaf(x >> 1); }
GLOBAL int top(struct xdp_md *c) { return middle(c->rx_queue_index); }
SEC("xdp") int prog(struct xdp_md *ctx) { return top(ctx) == 2 ? XDP_DROP : XDP_PASS; }
#elif CASE == 22 /* global_calls_bad_global refused xdp: the innermost global function, called only from another, dereferences a nullable pointer */
GLOBAL int inner(struct pair *p) { return p->b; }
GLOBAL int outer(int x) { struct pair v = { x, x }; return inner(&v); }
SEC("xdp") int prog(struct xdp_md *ctx) { return outer(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP; }
#elif CASE == 23 /* dead_global_not_verified accepted xdp: a broken global function called only on a path the verifier knows is dead */
GLOBAL __attribute__((used)) int broken(struct pair *p) { return p->a; }
NAKED("xdp") { asm volatile ("r1 = 0; if r1 != 0 goto 1f; r0 = 2; exit; 1: call broken; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 24 /* stack_combined_too_large refused xdp: 320 bytes in the program and 320 in the global function it calls */
GLOBAL int fill(int x)
{
	asm volatile ("*(u64 *)(r10 - 320) = %[x]" :: [x] "r"((long)x) : "memory");
	return x;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	asm volatile ("r1 = 0; *(u64 *)(r10 - 320) = r1;" ::: "r1", "memory");
	return fill(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 25 /* stack_combined_fits accepted xdp: 200 bytes in the program and 200 in the global function */
GLOBAL int fill(int x)
{
	asm volatile ("*(u64 *)(r10 - 200) = %[x]" :: [x] "r"((long)x) : "memory");
	return x;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	asm volatile ("r1 = 0; *(u64 *)(r10 - 200) = r1;" ::: "r1", "memory");
	return fill(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 26 /* call_depth_too_deep refused xdp: nine frames through a chain of global functions */
GLOBAL int g8(int x) { return x + 8; }
GLOBAL int g7(int x) { return g8(x) + 7; }
GLOBAL int g6(int x) { return g7(x) + 6; }
GLOBAL int g5(int x) { return g6(x) + 5; }
GLOBAL int g4(int x) { return g5(x) + 4; }
GLOBAL int g3(int x) { return g4(x) + 3; }
GLOBAL int g2(int x) { return g3(x) + 2; }
GLOBAL int g1(int x) { return g2(x) + 1; }
SEC("xdp") int prog(struct xdp_md *ctx) { return g1(ctx->rx_queue_index) == 3 ? XDP_DROP : XDP_PASS; }
#elif CASE == 27 /* call_depth_eight accepted xdp: eight frames through a chain of global functions */
GLOBAL int g7(int x) { return x + 7; }
GLOBAL int g6(int x) { return g7(x) + 6; }
GLOBAL int g5(int x) { return g6(x) + 5; }
GLOBAL int g4(int x) { return g5(x) + 4; }
GLOBAL int g3(int x) { return g4(x) + 3; }
GLOBAL int g2(int x) { return g3(x) + 2; }
GLOBAL int g1(int x) { return g2(x) + 1; }
SEC("xdp") int prog(struct xdp_md *ctx) { return g1(ctx->rx_queue_index) == 3 ? XDP_DROP : XDP_PASS; }
#elif CASE == 28 /* changes_pkt_kills_pointers refused xdp: a packet pointer used after a global function that moves the packet head */
GLOBAL int shrink(struct xdp_md *c) { return bpf_xdp_adjust_head(c, 4); }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data;

	if (d + 1 > (unsigned char *)(long)ctx->data_end)
		return XDP_PASS;
	shrink(ctx);
	asm volatile ("r0 = *(u8 *)(%[d] + 0);" :: [d] "r"(d) : "r0");
	return XDP_PASS;
}
#elif CASE == 29 /* changes_pkt_through_static refused xdp: the same with the packet change in a static function the global one calls */
static __noinline int move_head(struct xdp_md *c) { return bpf_xdp_adjust_head(c, 4); }
GLOBAL int shrink(struct xdp_md *c) { return move_head(c) + 1; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data;

	if (d + 1 > (unsigned char *)(long)ctx->data_end)
		return XDP_PASS;
	shrink(ctx);
	asm volatile ("r0 = *(u8 *)(%[d] + 0);" :: [d] "r"(d) : "r0");
	return XDP_PASS;
}
#elif CASE == 30 /* pkt_pointer_kept accepted xdp: a global function that does not change the packet keeps the caller's packet pointers */
GLOBAL int halve(unsigned int x) { return x / 2; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data;

	if (d + 1 > (unsigned char *)(long)ctx->data_end)
		return XDP_PASS;
	int h = halve(d[0]);
	int v;

	asm volatile ("%[v] = *(u8 *)(%[d] + 0);" : [v] "=r"(v) : [d] "r"(d));
	return v + h > 3 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 31 /* arg_ctx_void_socket accepted socket: a void * parameter tagged __arg_ctx is the socket filter's context */
GLOBAL int load_two(void *c ARG_CTX) { __u8 b[2]; return bpf_skb_load_bytes(c, 0, b, 2) ? 0 : b[0]; }
SEC("socket") int prog(struct __sk_buff *skb) { return load_two(skb) ? 0 : 1; }
#elif CASE == 32 /* arg_ctx_wrong_struct refused xdp: __arg_ctx on a pointer to another program type's context */
GLOBAL int skb_len(struct __sk_buff *s ARG_CTX) { return s ? 1 : 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { return skb_len((void *)ctx) ? XDP_PASS : XDP_DROP; }
#elif CASE == 33 /* arg_nullable_on_mem refused xdp: __arg_nullable alone on a plain memory pointer */
GLOBAL int sum(struct pair *p ARG_NULLABLE) { return p ? p->a : 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { struct pair v = { 1, 2 }; return sum(&v) ? XDP_PASS : XDP_DROP; }
#elif CASE == 34 /* pointer_tag_on_scalar refused xdp: __arg_nonnull on an integer parameter */
GLOBAL int twice(int x ARG_NONNULL) { return x * 2; }
SEC("xdp") int prog(struct xdp_md *ctx) { return twice(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP; }
#elif CASE == 35 /* reference_leak_in_global refused xdp: a global function keeps a ring buffer reservation */
GLOBAL int grab(int x)
{
	void *p = bpf_ringbuf_reserve(&rb, 8, 0);

	return p ? x : 0;
}
SEC("xdp") int prog(struct xdp_md *ctx) { return grab(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP; }
#elif CASE == 36 /* global_writes_caller_stack accepted xdp: a global function writes through the pointer into the caller's stack */
GLOBAL int set(struct pair *p) { if (p) { p->a = 5; p->b = 6; } return 0; }
SEC("xdp") int prog(struct xdp_md *ctx) { struct pair v; set(&v); return v.a == 5 ? XDP_PASS : XDP_DROP; }
#elif CASE == 37 /* result_is_unknown refused xdp: a global function's constant result is unknown to the caller, used as a stack offset */
GLOBAL int four(int x)
{
	int r;

	asm volatile ("%[r] = 4" : [r] "=r"(r));
	return r + x;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile char a[8] = {};
	long i = four(0);

	asm volatile ("r1 = r10; r1 += -8; r1 += %[i]; r0 = *(u8 *)(r1 + 0);" :: [i] "r"(i) : "r0", "r1", "memory");
	return a[0];
}
#elif CASE == 38 /* tc_ctx_and_mem accepted tc: a global function taking the skb context and a stack buffer */
GLOBAL int copy_head(struct __sk_buff *s, struct pair *out)
{
	if (!out)
		return -1;
	return bpf_skb_load_bytes(s, 0, out, sizeof(*out));
}
SEC("tc") int prog(struct __sk_buff *skb) { struct pair p; return copy_head(skb, &p) ? 2 : 0; }
#elif CASE == 39 /* tc_mem_given_ctx refused tc: the skb context passed where the prototype wants plain memory */
GLOBAL int sum(struct pair *p) { return p ? p->a + p->b : 0; }
SEC("tc") int prog(struct __sk_buff *skb) { return sum((struct pair *)skb) ? 2 : 0; }
#elif CASE == 40 /* call_holding_spin_lock refused xdp: a global function called while a bpf_spin_lock is held */
struct locked {
	struct bpf_spin_lock l;
	int n;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} lm SEC(".maps");
GLOBAL int inc(int x) { return x + 1; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct locked *v = bpf_map_lookup_elem(&lm, &k);
	int r;

	if (!v)
		return XDP_PASS;
	bpf_spin_lock(&v->l);
	r = inc(v->n);
	bpf_spin_unlock(&v->l);
	return r ? XDP_PASS : XDP_DROP;
}
#elif CASE == 41 /* call_with_preemption_disabled accepted xdp: 6.18 lets a global function be called with preemption disabled */
extern void bpf_preempt_disable(void) __ksym;
extern void bpf_preempt_enable(void) __ksym;
GLOBAL int inc(int x) { return x + 1; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	int r;

	bpf_preempt_disable();
	r = inc(ctx->rx_queue_index);
	bpf_preempt_enable();
	return r ? XDP_PASS : XDP_DROP;
}
#elif CASE == 42 /* nonnull_given_null_constant refused xdp: a NULL constant passed for an __arg_nonnull pointer */
GLOBAL int sum(struct pair *p ARG_NONNULL) { return p->a + p->b; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct pair *p;

	asm volatile ("%[p] = 0" : [p] "=r"(p));
	return sum(p) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 43 /* static_calls_global accepted xdp: a static function calls a global one on its frame */
GLOBAL int inc(int x) { return x + 1; }
static __noinline int twice_inc(int x) { return inc(x) + inc(x); }
SEC("xdp") int prog(struct xdp_md *ctx) { return twice_inc(ctx->rx_queue_index) == 4 ? XDP_DROP : XDP_PASS; }
#elif CASE == 44 /* second_call_wrong_args refused xdp: the same global function called twice, the second time with a pointer for its scalar */
GLOBAL int low_bits(long v) { return v & 7; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	int x = 1, a;

	asm volatile ("" : "+m"(x));
	a = low_bits(ctx->rx_queue_index);
	return a + low_bits((long)&x) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 45 /* dynptr_arg_adjusted accepted xdp: a global function narrows the dynptr it is given (bpf_dynptr_adjust takes a const dynptr) */
GLOBAL int cut(struct bpf_dynptr *d) { return bpf_dynptr_adjust(d, 1, 2); }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_DROP;
	return cut(&d) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 46 /* global_stack_chain_too_large refused xdp: two global functions of 288 bytes each under the program's 64 */
GLOBAL int deep(int x)
{
	asm volatile ("*(u64 *)(r10 - 288) = %[x]" :: [x] "r"((long)x) : "memory");
	return x;
}
GLOBAL int mid(int x)
{
	asm volatile ("*(u64 *)(r10 - 288) = %[x]" :: [x] "r"((long)x) : "memory");
	return deep(x) + 1;
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	asm volatile ("r1 = 0; *(u64 *)(r10 - 64) = r1;" ::: "r1", "memory");
	return mid(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 47 /* mem_arg_map_value_offset accepted xdp: a map value pointer moved inside the value passed for a 4-byte object */
GLOBAL int get(__u32 *p) { return p ? *p : 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = ctx->rx_queue_index;
	struct pair *v = bpf_map_lookup_elem(&pairs, &k);

	if (!v)
		return XDP_PASS;
	return get(&v->b) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 48 /* mem_arg_map_value_past_end refused xdp: a map value pointer moved to the last 4 bytes passed for an 8-byte struct */
GLOBAL int sum(struct pair *p) { return p ? p->a + p->b : 0; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = ctx->rx_queue_index;
	struct pair *v = bpf_map_lookup_elem(&pairs, &k);

	if (!v)
		return XDP_PASS;
	return sum((struct pair *)&v->b) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 49 /* static_call_holding_spin_lock accepted xdp: a static function may be called with the lock held, unlike a global one */
struct locked {
	struct bpf_spin_lock l;
	int n;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} lm SEC(".maps");
static __noinline int inc(int x) { return x + 1; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct locked *v = bpf_map_lookup_elem(&lm, &k);
	int r;

	if (!v)
		return XDP_PASS;
	bpf_spin_lock(&v->l);
	r = inc(v->n);
	v->n = r;
	bpf_spin_unlock(&v->l);
	return r ? XDP_PASS : XDP_DROP;
}
#elif CASE == 50 /* global_loop_callback_stack refused xdp: a global function's bpf_loop callback counts on its stack chain (64 + 288 + 288 bytes) */
static int step(__u64 i, void *c)
{
	asm volatile ("r1 = 0; *(u64 *)(r10 - 288) = r1;" ::: "r1", "memory");
	return 0;
}
GLOBAL int looper(int n)
{
	asm volatile ("r1 = 0; *(u64 *)(r10 - 288) = r1;" ::: "r1", "memory");
	return bpf_loop(n & 7, step, NULL, 0);
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	asm volatile ("r1 = 0; *(u64 *)(r10 - 64) = r1;" ::: "r1", "memory");
	return looper(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;
}
#elif CASE == 51 /* global_loop_callback_stack_fits accepted xdp: the same chain in 64 + 192 + 192 bytes */
static int step(__u64 i, void *c)
{
	asm volatile ("r1 = 0; *(u64 *)(r10 - 192) = r1;" ::: "r1", "memory");
	return 0;
}
GLOBAL int looper(int n)
{
	asm volatile ("r1 = 0; *(u64 *)(r10 - 192) = r1;" ::: "r1", "memory");
	return bpf_loop(n & 7, step, NULL, 0);
}
SEC("xdp") int prog(struct xdp_md *ctx)
{
	asm volatile ("r1 = 0; *(u64 *)(r10 - 64) = r1;" ::: "r1", "memory");
	return looper(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;
}
#endif
