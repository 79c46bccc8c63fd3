/* SPDX-License-Identifier: MIT */
/* Acquired references: ring buffer reservations, socket lookups in tc, and their release on every
 * path. Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

#define RB_OPS ADDR(rb), IMM(ringbuf_reserve), IMM(ringbuf_submit), IMM(ringbuf_discard)
/* r0 = bpf_ringbuf_reserve(&rb, 8, 0) */
#define RESERVE "r1 = %[rb] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve];"

#if CASE == 0 /* reserve_submit accepted xdp: reserve, null check, write, submit */
NAKED("xdp") { asm volatile (RESERVE "if r0 == 0 goto l0_%=; r1 = 7; *(u64 *)(r0 + 0) = r1; r1 = r0; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 1 /* reserve_no_submit refused xdp: a reservation never submitted or discarded */
NAKED("xdp") { asm volatile (RESERVE "if r0 == 0 goto l0_%=; r1 = 7; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 2 /* reserve_double_submit refused xdp: the same reservation submitted twice */
NAKED("xdp") { asm volatile (RESERVE "if r0 == 0 goto l0_%=; r6 = r0; r1 = r6; r2 = 0; call %[ringbuf_submit]; r1 = r6; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 3 /* reserve_no_null_check_write refused xdp: writing to the reservation before the null check */
NAKED("xdp") { asm volatile (RESERVE "r1 = 7; *(u64 *)(r0 + 0) = r1; r1 = r0; r2 = 0; call %[ringbuf_submit]; r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 4 /* reserve_submit_maybe_null refused xdp: submitting a possibly-NULL reservation */
NAKED("xdp") { asm volatile (RESERVE "r1 = r0; r2 = 0; call %[ringbuf_submit]; r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 5 /* reserve_discard accepted xdp: reserve then discard */
NAKED("xdp") { asm volatile (RESERVE "if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; call %[ringbuf_discard]; l0_%=: r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 6 /* reserve_write_past_size refused xdp: u64 at offset 8 of an 8-byte reservation */
NAKED("xdp") { asm volatile (RESERVE "if r0 == 0 goto l0_%=; r1 = 7; *(u64 *)(r0 + 8) = r1; r1 = r0; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 7 /* reserve_var_size refused xdp: the reservation size must be a known constant */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r2 = r0; r2 &= 63; r1 = %[rb] ll; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;" :: RB_OPS, IMM(get_prandom_u32) : "memory"); }
#elif CASE == 8 /* reserve_submit_one_branch refused xdp: submitted on one branch only */
NAKED("xdp") { asm volatile ("r6 = *(u32 *)(r1 + 16);" RESERVE "if r0 == 0 goto l0_%=; if r6 > 3 goto l0_%=; r1 = r0; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 9 /* reserve_use_after_submit refused xdp: writing to a reservation after its submit */
NAKED("xdp") { asm volatile (RESERVE "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; r2 = 0; call %[ringbuf_submit]; r1 = 7; *(u64 *)(r6 + 0) = r1; l0_%=: r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 10 /* reserve_submit_offset_ptr refused xdp: submitting reservation + 4 */
NAKED("xdp") { asm volatile (RESERVE "if r0 == 0 goto l0_%=; r0 += 4; r1 = r0; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 11 /* reserve_spilled_then_submit accepted xdp: the reservation spilled and filled before submit */
NAKED("xdp") { asm volatile (RESERVE "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 8) = r0; r1 = *(u64 *)(r10 - 8); r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 12 /* reserve_submit_stack_ptr refused xdp: submitting a stack pointer */
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -8; r2 = 0; call %[ringbuf_submit]; r0 = 2; exit;" :: RB_OPS : "memory"); }
#elif CASE == 13 /* c_reserve_submit accepted xdp: bpf_ringbuf_reserve and submit in C */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e)
		return XDP_PASS;
	*e = ctx->rx_queue_index;
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}
#elif CASE == 14 /* tc_sk_lookup_release accepted tc: bpf_sk_lookup_tcp then bpf_sk_release */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), -1, 0);

	if (sk)
		bpf_sk_release(sk);
	return 0;
}
#elif CASE == 15 /* tc_sk_lookup_no_release refused tc: a socket reference leaked */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), -1, 0);

	return sk ? 1 : 0;
}
#elif CASE == 16 /* tc_sk_release_null refused tc: bpf_sk_release of a maybe-NULL socket */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), -1, 0);

	bpf_sk_release(sk);
	return 0;
}
#elif CASE == 17 /* xdp_sk_lookup_release accepted xdp: bpf_sk_lookup_udp from XDP, released */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv4), -1, 0);

	if (sk)
		bpf_sk_release(sk);
	return XDP_PASS;
}
#elif CASE == 18 /* xdp_sk_lookup_leak refused xdp: bpf_sk_lookup_udp from XDP, leaked */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv4), -1, 0);

	return sk ? XDP_DROP : XDP_PASS;
}
#elif CASE == 19 /* tc_sk_read_after_release refused tc: reading the socket after bpf_sk_release */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), -1, 0);
	int f = 0;

	if (!sk)
		return 0;
	bpf_sk_release(sk);
	asm volatile ("%[f] = *(u32 *)(%[sk] + 4)" : [f] "=r"(f) : [sk] "r"(sk));
	return f;
}
#elif CASE == 20 /* tc_sk_lookup_bad_tuple_size accepted tc: a tuple size that is neither IPv4 nor IPv6 is refused when it runs, not at load */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &t, 3, -1, 0);

	if (sk)
		bpf_sk_release(sk);
	return 0;
}
#elif CASE == 21 /* socket_ringbuf_submit accepted socket: reserve and submit from a socket filter */
NAKED("socket") { asm volatile (RESERVE "if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 0; exit;" :: RB_OPS : "memory"); }
#elif CASE == 22 /* sockmap_lookup_released accepted xdp: a sockmap lookup is a referenced socket, released */
struct { __uint(type, BPF_MAP_TYPE_SOCKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } sm SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx) { __u32 k = 0; struct bpf_sock *sk = bpf_map_lookup_elem(&sm, &k); if (sk) bpf_sk_release(sk); return XDP_PASS; }
#elif CASE == 23 /* sockmap_lookup_leaked refused xdp: a sockmap lookup's socket never released */
struct { __uint(type, BPF_MAP_TYPE_SOCKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } sm SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx) { __u32 k = 0; struct bpf_sock *sk = bpf_map_lookup_elem(&sm, &k); return sk ? XDP_DROP : XDP_PASS; }
#elif CASE == 24 /* sockhash_update_with_skb_sk accepted socket: a socket map's value is the skb's socket */
struct { __uint(type, BPF_MAP_TYPE_SOCKHASH); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } sh SEC(".maps");
SEC("socket") int prog(struct __sk_buff *skb) { __u32 k = 0; struct bpf_sock *sk = skb->sk; if (sk) bpf_map_update_elem(&sh, &k, sk, BPF_ANY); return 0; }
#elif CASE == 25 /* sockmap_update_with_stack_value refused socket: a socket map's value must be a socket, not stack memory */
struct { __uint(type, BPF_MAP_TYPE_SOCKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } sm SEC(".maps");
SEC("socket") int prog(struct __sk_buff *skb) { __u32 k = 0, v = 5; bpf_map_update_elem(&sm, &k, &v, BPF_ANY); return 0; }
#elif CASE == 26 /* sockmap_lookup_deref_before_check refused xdp: a sockmap lookup read before its null check */
struct { __uint(type, BPF_MAP_TYPE_SOCKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } sm SEC(".maps");
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[sm] ll; call %[map_lookup_elem]; r1 = *(u32 *)(r0 + 4); r0 = 2; exit;" :: ADDR(sm), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 27 /* xskmap_lookup_deref_before_check refused xdp: an XSK map lookup is an xdp_sock_or_null from the call on */
struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } xm SEC(".maps");
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[xm] ll; call %[map_lookup_elem]; r1 = *(u32 *)(r0 + 0); r0 = 2; exit;" :: ADDR(xm), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 28 /* xskmap_lookup_checked_read accepted xdp: an XSK map lookup read after its null check (queue_id) */
struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } xm SEC(".maps");
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[xm] ll; call %[map_lookup_elem]; if r0 == 0 goto 1f; r1 = *(u32 *)(r0 + 0); 1: r0 = 2; exit;" :: ADDR(xm), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 29 /* xskmap_equal_lookups_jne accepted xdp: two lookups of one key; the first NULL-checked; where they compare equal (jne falls through) the second is not NULL either */
struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } xm SEC(".maps");
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r8 = r10; r8 += -4; r1 = %[xm] ll; r2 = r8; call %[map_lookup_elem]; r6 = r0; r1 = %[xm] ll; r2 = r8; call %[map_lookup_elem]; r7 = r0; if r6 == 0 goto 1f; if r6 != r7 goto 1f; r0 = *(u32 *)(r7 + 0); 1: r0 = 2; exit;" :: ADDR(xm), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 30 /* xskmap_equal_lookups_jeq accepted xdp: the same, the second compared as the jump's source: the taken side of jeq knows it not NULL */
struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } xm SEC(".maps");
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r8 = r10; r8 += -4; r1 = %[xm] ll; r2 = r8; call %[map_lookup_elem]; r6 = r0; r1 = %[xm] ll; r2 = r8; call %[map_lookup_elem]; r7 = r0; if r6 == 0 goto 1f; if r7 == r6 goto 2f; goto 1f; 2: r0 = *(u32 *)(r7 + 0); 1: r0 = 2; exit;" :: ADDR(xm), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 31 /* xskmap_equal_lookups_unchecked refused xdp: neither lookup NULL-checked: their being equal proves nothing */
struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } xm SEC(".maps");
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r8 = r10; r8 += -4; r1 = %[xm] ll; r2 = r8; call %[map_lookup_elem]; r6 = r0; r1 = %[xm] ll; r2 = r8; call %[map_lookup_elem]; r7 = r0; if r6 != r7 goto 1f; r0 = *(u32 *)(r7 + 0); 1: r0 = 2; exit;" :: ADDR(xm), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 32 /* map_value_equal_lookups_jne accepted xdp: the same inference on a hash map's value: the checked lookup equal to the unchecked one */
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } hm SEC(".maps");
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r8 = r10; r8 += -4; r1 = %[hm] ll; r2 = r8; call %[map_lookup_elem]; r6 = r0; r1 = %[hm] ll; r2 = r8; call %[map_lookup_elem]; r7 = r0; if r6 == 0 goto 1f; if r6 != r7 goto 1f; r0 = *(u64 *)(r7 + 0); 1: r0 = 2; exit;" :: ADDR(hm), IMM(map_lookup_elem) : "memory"); }
#endif
