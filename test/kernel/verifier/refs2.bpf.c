/* SPDX-License-Identifier: MIT */
/* Reference tracking, second round: socket lookups (which program types may call which helper,
 * NULL checks, release, pointers derived from a referenced socket, references through spills,
 * subprograms, callbacks, tail calls and LD_ABS), ring buffer references in socket filters,
 * LD_ABS/LD_IND in socket filters (clobbered registers, R6, reserved fields, subprograms), NULL
 * inference from comparing two pointers, and bpf_spin_lock in XDP and tc. Written for uxdp. */
#include "verifier.h"

#define STATIC static __attribute__((noinline))
#define GLOBAL __attribute__((noinline))

struct lv {
	struct bpf_spin_lock l;
	__u64 cnt;
};
struct lv2 {
	__u64 cnt;
	struct bpf_spin_lock l;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} h SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u8[16]);
} a SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} pa SEC(".maps");

/* lock maps: only the XDP and tc cases define them (a socket filter may not even refer to one) */
#define DEF_LOCK struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, struct lv); } locks SEC(".maps");
#define DEF_LOCK2 struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct lv2); } locks SEC(".maps");
#define DEF_HLOCK struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2); __type(key, __u32); __type(value, struct lv); } locks SEC(".maps");

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)));
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

#define OPS ADDR(rb), ADDR(h), ADDR(a), ADDR(pa), IMM(map_lookup_elem), IMM(get_prandom_u32), IMM(sk_lookup_tcp), IMM(sk_lookup_udp), IMM(skc_lookup_tcp), \
	IMM(sk_release), IMM(sk_fullsock), IMM(tcp_sock), IMM(get_listener_sock), IMM(skc_to_tcp_sock), IMM(tail_call), IMM(loop), IMM(ringbuf_reserve), \
	IMM(ringbuf_submit), IMM(ringbuf_discard), IMM(spin_lock), IMM(spin_unlock), IMM(skb_load_bytes), IMM(tcp_check_syncookie), IMM(skc_to_tcp6_sock), IMM(skc_to_udp6_sock), IMM(skc_to_unix_sock),  OFF(sk, struct __sk_buff, sk), OFF(cb0, struct __sk_buff, cb[0])
#define ASM(body) asm volatile (body :: OPS : "memory")
#define ASML(body) asm volatile (body :: OPS, ADDR(locks) : "memory")

/* r0 = bpf_<fn>(ctx in r6, a zeroed 12-byte IPv4 tuple at fp-16, 12, current netns, 0) */
#define SKL(fn) "r1 = 0; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 8) = r1; r1 = r6; r2 = r10; r2 += -16; r3 = 12; r4 = -1; r5 = 0; call %[" #fn "];"
/* r0 = bpf_map_lookup_elem(&MAP, &(u32)KEY), the key at fp-20 */
#define LOOKUP(map, key) "r1 = " #key "; *(u32 *)(r10 - 20) = r1; r2 = r10; r2 += -20; r1 = %[" #map "] ll; call %[map_lookup_elem];"
/* r0 = bpf_ringbuf_reserve(&rb, 8, 0) */
/* the same with the key as a 4-byte spill at fp-8 (8-aligned: a spilled constant the verifier knows) */
#define LOOKUP8(map, key) "r1 = " #key "; *(u32 *)(r10 - 8) = r1; r2 = r10; r2 += -8; r1 = %[" #map "] ll; call %[map_lookup_elem];"
#define RESERVE "r1 = %[rb] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve];"
#define SUBMIT(r) "r1 = " #r "; r2 = 0; call %[ringbuf_submit];"
/* a static naked subprogram whose BTF prototype returns int (LD_ABS needs that) */
#define SUBI(name) static __attribute__((naked, noinline, used)) int name(void)
/* a looked-up socket (tc: bpf_sk_lookup_tcp; sock_common: bpf_skc_lookup_tcp) read with INSN (on r0), then released */
#define SKREAD(fn, insn) "r6 = r1;" SKL(fn) "if r0 == 0 goto l0_%=;" insn "; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"
/* a bpf_tcp_sock of a looked-up socket read with INSN (on r0) */
#define TPREAD(insn) "r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[tcp_sock]; if r0 == 0 goto l1_%=;" insn "; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"
#define TAIL "r1 = r6; r2 = %[pa] ll; r3 = 0; call %[tail_call];"

/* ---- socket lookups: who may call what ---- */
#if CASE == 0 /* tc_skc_lookup_release accepted tc: bpf_skc_lookup_tcp's sock_common, NULL-checked and released */
NAKED("tc") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 1 /* sf_sk_lookup_tcp refused socket: a socket filter may not call bpf_sk_lookup_tcp */
NAKED("socket") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 2 /* sf_skb_sk_release refused socket: a socket filter may not call bpf_sk_release (on skb->sk) */
NAKED("socket") { ASM("r1 = *(u64 *)(r1 + %[sk]); if r1 == 0 goto l0_%=; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 3 /* xdp_skc_lookup_release accepted xdp: bpf_skc_lookup_tcp from XDP, released */
NAKED("xdp") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 4 /* xdp_lookup_released_on_one_path refused xdp: the socket released only when a random value is odd */
NAKED("xdp") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; call %[get_prandom_u32]; r0 &= 1; if r0 != 0 goto l0_%=; r1 = r7; call %[sk_release]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 5 /* tc_lookup_read_before_null_check refused tc: sk->family read before the NULL check */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "r1 = *(u32 *)(r0 + 4); if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 6 /* tc_lookup_release_twice refused tc: the same socket released twice */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r7; call %[sk_release]; r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 7 /* tc_release_skb_sk refused tc: skb->sk (NULL-checked) is not a reference: it may not be released */
NAKED("tc") { ASM("r1 = *(u64 *)(r1 + %[sk]); if r1 == 0 goto l0_%=; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 8 /* tc_release_ctx refused tc: bpf_sk_release given the skb */
NAKED("tc") { ASM("call %[sk_release]; r0 = 0; exit;"); }
#elif CASE == 9 /* tc_lookup_ptr_add refused tc: arithmetic on a (NULL-checked) socket pointer */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r0 += 4; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 10 /* tc_lookup_ptr_add_or_null refused tc: arithmetic on the lookup's result before its NULL check */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "r0 += 4; if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 11 /* tc_lookup_read_fields accepted tc: family, type, protocol, src_ip4, dst_port and state read from the socket */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = *(u32 *)(r0 + 4); r1 = *(u32 *)(r0 + 8); r1 = *(u32 *)(r0 + 12); r1 = *(u32 *)(r0 + 24); r1 = *(u16 *)(r0 + 48); r1 = *(u32 *)(r0 + 72); r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 12 /* tc_lookup_read_past_struct refused tc: a read at offset 200 of struct bpf_sock */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = *(u32 *)(r0 + 200); r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 13 /* tc_lookup_write_field refused tc: a store into the socket */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = 1; *(u32 *)(r0 + 16) = r1; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 14 /* tc_lookup_spill_fill_release accepted tc: the socket spilled, helpers called, filled and released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_udp) "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 24) = r0; call %[get_prandom_u32]; r1 = *(u64 *)(r10 - 24); call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 15 /* tc_lookup_spilled_then_lost refused tc: the socket spilled, its slot overwritten with a scalar: leaked */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_udp) "*(u64 *)(r10 - 24) = r0; r1 = 0; *(u64 *)(r10 - 24) = r1; r0 = 0; exit;"); }
#elif CASE == 16 /* tc_lookup_release_copy accepted tc: NULL-checked on r0, released through its copy */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "r7 = r0; if r0 == 0 goto l0_%=; r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 17 /* tc_lookup_check_copy_release_original accepted tc: the copy NULL-checked, the original released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "r7 = r0; if r7 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 18 /* tc_lookup_copy_after_release refused tc: a copy of the socket read after the original's release */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_release]; r0 = *(u32 *)(r7 + 4); l0_%=: r0 = 0; exit;"); }
#elif CASE == 19 /* tc_two_lookups_both_released accepted tc: a TCP and a UDP lookup, each released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "r7 = r0;" SKL(sk_lookup_udp) "r8 = r0; if r7 == 0 goto l0_%=; r1 = r7; call %[sk_release]; l0_%=: if r8 == 0 goto l1_%=; r1 = r8; call %[sk_release]; l1_%=: r0 = 0; exit;"); }
#elif CASE == 20 /* tc_two_lookups_one_leaked refused tc: of two lookups only the first is released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "r7 = r0;" SKL(sk_lookup_udp) "r8 = r0; if r7 == 0 goto l0_%=; r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 21 /* tc_compare_two_sockets accepted tc: two referenced sockets compared, both released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0;" SKL(sk_lookup_tcp) "if r0 == 0 goto l1_%=; r8 = r0; r9 = 0; if r7 != r8 goto l2_%=; r9 = 1; l2_%=: r1 = r8; call %[sk_release]; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 22 /* tc_socket_into_map_value accepted tc: a referenced socket's address stored into a hash value (privileged), then released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0;" LOOKUP(h, 0) "if r0 == 0 goto l1_%=; *(u64 *)(r0 + 0) = r7; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 23 /* tc_socket_into_cb accepted tc: a referenced socket's address stored into skb->cb (privileged), then released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; *(u32 *)(r6 + %[cb0]) = r0; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 24 /* tc_fullsock_of_lookup accepted tc: bpf_sk_fullsock of a looked-up sock_common, read, the lookup released */
NAKED("tc") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_fullsock]; if r0 == 0 goto l1_%=; r1 = *(u32 *)(r0 + 16); l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 25 /* tc_fullsock_after_release refused tc: bpf_sk_fullsock's result read after the lookup's release */
NAKED("tc") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_fullsock]; if r0 == 0 goto l1_%=; r8 = r0; r1 = r7; call %[sk_release]; r0 = *(u32 *)(r8 + 16); r0 = 0; exit; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 26 /* tc_tcp_sock_after_release refused tc: bpf_tcp_sock's result read after the lookup's release */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[tcp_sock]; if r0 == 0 goto l1_%=; r8 = r0; r1 = r7; call %[sk_release]; r0 = *(u32 *)(r8 + 0); r0 = 0; exit; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 27 /* tc_release_via_tcp_sock accepted tc: the reference released through the bpf_tcp_sock derived from it */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[tcp_sock]; if r0 == 0 goto l1_%=; r1 = r0; call %[sk_release]; r0 = 0; exit; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 28 /* tc_listener_after_release accepted tc: bpf_get_listener_sock's socket (no reference) read after the lookup's release */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[get_listener_sock]; r8 = r0; r1 = r7; call %[sk_release]; if r8 == 0 goto l0_%=; r0 = *(u32 *)(r8 + 4); l0_%=: r0 = 0; exit;"); }
#elif CASE == 29 /* tc_release_listener refused tc: bpf_get_listener_sock's result is not a reference: releasing it */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[get_listener_sock]; if r0 == 0 goto l1_%=; r1 = r0; call %[sk_release]; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 30 /* tc_skb_sk_fullsock_tcp_sock accepted tc: skb->sk, bpf_sk_fullsock, bpf_tcp_sock, a field read: no reference at all */
NAKED("tc") { ASM("r1 = *(u64 *)(r1 + %[sk]); if r1 == 0 goto l0_%=; call %[sk_fullsock]; if r0 == 0 goto l0_%=; r1 = r0; call %[tcp_sock]; if r0 == 0 goto l0_%=; r0 = *(u32 *)(r0 + 0); l0_%=: r0 = 0; exit;"); }
#elif CASE == 31 /* tc_skc_to_tcp_sock_then_release accepted tc: bpf_skc_to_tcp_sock of a referenced socket, then the socket released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[skc_to_tcp_sock]; r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 32 /* tc_skc_to_tcp_sock_after_release refused tc: bpf_skc_to_tcp_sock's result passed on after the socket's release */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[skc_to_tcp_sock]; r8 = r0; r1 = r7; call %[sk_release]; if r8 == 0 goto l0_%=; r1 = r8; call %[tcp_sock]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 33 /* xdp_sk_fullsock refused xdp: XDP may not call bpf_sk_fullsock */
NAKED("xdp") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_fullsock]; r1 = r7; call %[sk_release]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 34 /* tc_lookup_unknown_netns_flags accepted tc: netns and flags unknown scalars (checked when it runs) */
NAKED("tc") { ASM("r6 = r1; call %[get_prandom_u32]; r8 = r0; call %[get_prandom_u32]; r9 = r0; r1 = 0; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 8) = r1; r1 = r6; r2 = r10; r2 += -16; r3 = 12; r4 = r8; r5 = r9; call %[sk_lookup_tcp]; if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 35 /* tc_lookup_tuple_past_stack refused tc: a 12-byte tuple at fp-8 */
NAKED("tc") { ASM("r6 = r1; r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = r6; r2 = r10; r2 += -8; r3 = 12; r4 = -1; r5 = 0; call %[sk_lookup_tcp]; if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
/* ---- references across subprograms, callbacks, tail calls, LD_ABS ---- */
#elif CASE == 36 /* tc_lookup_leaked_by_subprog refused tc: a static subprogram looks a socket up and drops it */
SUB(sub_leak) { ASM("r6 = r1;" SKL(sk_lookup_tcp) "r0 = 0; exit;"); }
NAKED("tc") { ASM("call sub_leak; r0 = 0; exit;"); }
#elif CASE == 37 /* tc_lookup_returned_by_subprog accepted tc: a static subprogram returns the lookup's result; main checks and releases it */
SUB(sub_get) { ASM("r6 = r1;" SKL(sk_lookup_tcp) "exit;"); }
NAKED("tc") { ASM("call sub_get; if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 38 /* tc_release_in_subprog accepted tc: main looks up, a static subprogram releases */
SUB(sub_put) { ASM("call %[sk_release]; r0 = 0; exit;"); }
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = r0; call sub_put; l0_%=: r0 = 0; exit;"); }
#elif CASE == 39 /* tc_tail_call_holding_socket refused tc: a tail call while a socket is held */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0;" TAIL "r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 40 /* tc_tail_call_after_release accepted tc: the socket released, then the tail call */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=:" TAIL "r0 = 0; exit;"); }
#elif CASE == 41 /* tc_ld_abs_holding_socket refused tc: LD_ABS while a socket is held */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r0 = *(u8 *)skb[12]; r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 42 /* tc_ld_abs_after_release accepted tc: LD_ABS once the socket is released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
#elif CASE == 43 /* tc_loop_cb_lookup_release accepted tc: a bpf_loop callback looks a socket up (skb from the caller's stack) and releases it */
SUB(cb_sk) { ASM("r6 = *(u64 *)(r2 + 0);" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
NAKED("tc") { ASM("*(u64 *)(r10 - 8) = r1; r1 = 2; r2 = cb_sk ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; r0 = 0; exit;"); }
#elif CASE == 44 /* tc_loop_cb_lookup_leak refused tc: a bpf_loop callback looks a socket up and keeps it */
SUB(cb_sk) { ASM("r6 = *(u64 *)(r2 + 0);" SKL(sk_lookup_tcp) "r0 = 0; exit;"); }
NAKED("tc") { ASM("*(u64 *)(r10 - 8) = r1; r1 = 2; r2 = cb_sk ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; r0 = 0; exit;"); }
#elif CASE == 45 /* tc_loop_cb_releases_callers_socket refused tc: a bpf_loop callback releases the caller's socket: the path where the callback never ran still holds it at exit */
SUB(cb_put) { ASM("r1 = *(u64 *)(r2 + 0); call %[sk_release]; r0 = 1; exit;"); }
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 24) = r0; r1 = 1; r2 = cb_put ll; r3 = r10; r3 += -24; r4 = 0; call %[loop]; l0_%=: r0 = 0; exit;"); }
/* ---- ring buffer references in socket filters ---- */
#elif CASE == 46 /* sf_reservation_across_ld_abs refused socket: LD_ABS while a ring buffer record is held */
NAKED("socket") { ASM("r6 = r1;" RESERVE "if r0 == 0 goto l0_%=; r7 = r0; r0 = *(u8 *)skb[12];" SUBMIT(r7) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 47 /* sf_reservation_across_tail_call refused socket: a tail call while a ring buffer record is held */
NAKED("socket") { ASM("r6 = r1;" RESERVE "if r0 == 0 goto l0_%=; r7 = r0;" TAIL SUBMIT(r7) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 48 /* sf_ld_abs_then_reservation accepted socket: LD_ABS first, the record reserved and submitted after */
NAKED("socket") { ASM("r6 = r1; r0 = *(u16 *)skb[12]; r7 = r0;" RESERVE "if r0 == 0 goto l0_%=; *(u64 *)(r0 + 0) = r7;" SUBMIT(r0) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 49 /* sf_discard_map_value refused socket: bpf_ringbuf_discard of a map value */
NAKED("socket") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; call %[ringbuf_discard]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 50 /* sf_two_reservations accepted socket: two records held at once, submitted in reverse order */
NAKED("socket") { ASM(RESERVE "r6 = r0;" RESERVE "r7 = r0; if r7 == 0 goto l0_%=;" SUBMIT(r7) "l0_%=: if r6 == 0 goto l1_%=;" SUBMIT(r6) "l1_%=: r0 = 0; exit;"); }
#elif CASE == 51 /* sf_submit_in_subprog accepted socket: a static subprogram submits the caller's record */
SUB(sub_submit) { ASM("r2 = 0; call %[ringbuf_submit]; r0 = 0; exit;"); }
NAKED("socket") { ASM(RESERVE "if r0 == 0 goto l0_%=; r1 = r0; call sub_submit; l0_%=: r0 = 0; exit;"); }
#elif CASE == 52 /* sf_reserve_leaked_by_subprog refused socket: a static subprogram reserves a record and drops it */
SUB(sub_reserve) { ASM(RESERVE "r0 = 0; exit;"); }
NAKED("socket") { ASM("call sub_reserve; r0 = 0; exit;"); }
#elif CASE == 53 /* sf_reservation_returned_by_subprog accepted socket: a static subprogram returns the record; main checks and submits */
SUB(sub_reserve) { ASM(RESERVE "exit;"); }
NAKED("socket") { ASM("call sub_reserve; if r0 == 0 goto l0_%=;" SUBMIT(r0) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 54 /* sf_reservation_copy_checked accepted socket: the copy NULL-checked, the original submitted */
NAKED("socket") { ASM(RESERVE "r7 = r0; if r7 == 0 goto l0_%=;" SUBMIT(r0) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 55 /* sf_submit_null refused socket: bpf_ringbuf_submit(NULL) */
NAKED("socket") { ASM("r1 = 0; r2 = 0; call %[ringbuf_submit]; r0 = 0; exit;"); }
#elif CASE == 56 /* sf_reservation_spilled_across_calls accepted socket: the record spilled, two helpers called, filled and submitted */
NAKED("socket") { ASM(RESERVE "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 8) = r0; call %[get_prandom_u32]; call %[get_prandom_u32]; r1 = *(u64 *)(r10 - 8); r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 57 /* sf_reservation_jmp32_null_check refused socket: if w0 == 0 infers nothing: the record written as maybe NULL */
NAKED("socket") { ASM(RESERVE "if w0 == 0 goto l0_%=; r1 = 1; *(u64 *)(r0 + 0) = r1;" SUBMIT(r0) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 58 /* sf_loop_cb_reserve_leak refused socket: a bpf_loop callback reserves a record and never submits it */
SUB(cb_res) { ASM(RESERVE "r0 = 0; exit;"); }
NAKED("socket") { ASM("r1 = 3; r2 = cb_res ll; r3 = 0; r4 = 0; call %[loop]; r0 = 0; exit;"); }
#elif CASE == 59 /* sf_loop_cb_reserve_submit accepted socket: a bpf_loop callback reserves and submits per iteration */
SUB(cb_res) { ASM(RESERVE "if r0 == 0 goto l0_%=;" SUBMIT(r0) "l0_%=: r0 = 0; exit;"); }
NAKED("socket") { ASM("r1 = 3; r2 = cb_res ll; r3 = 0; r4 = 0; call %[loop]; r0 = 0; exit;"); }
/* ---- LD_ABS / LD_IND in socket filters ---- */
#elif CASE == 60 /* sf_ld_abs_sizes accepted socket: LD_ABS bytes, halves and words, LD_IND with a constant index */
NAKED("socket") { ASM("r6 = r1; r0 = *(u8 *)skb[0]; r0 = *(u16 *)skb[12]; r0 = *(u32 *)skb[26]; r7 = 14; r0 = *(u8 *)skb[r7]; r0 = *(u16 *)skb[r7]; r0 = *(u32 *)skb[r7]; r0 = 0; exit;"); }
#elif CASE == 61 /* sf_ld_abs_clobbers_r1 refused socket: r1 read after LD_ABS */
NAKED("socket") { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r0 = r1; exit;"); }
#elif CASE == 62 /* sf_ld_abs_clobbers_r5 refused socket: r5 (set before) read after LD_ABS */
NAKED("socket") { ASM("r6 = r1; r5 = 1; r0 = *(u8 *)skb[12]; r0 = r5; exit;"); }
#elif CASE == 63 /* sf_ld_abs_keeps_r7_r9 accepted socket: r7..r9 survive LD_ABS */
NAKED("socket") { ASM("r6 = r1; r7 = 1; r8 = 2; r9 = 3; r0 = *(u8 *)skb[12]; r0 = r7; r0 += r8; r0 += r9; r0 = *(u32 *)(r6 + 0); exit;"); }
#elif CASE == 64 /* sf_ld_abs_r6_stack refused socket: R6 a stack pointer at LD_ABS */
NAKED("socket") { ASM("r6 = r10; r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
#elif CASE == 65 /* sf_ld_abs_r6_uninit refused socket: R6 never written */
NAKED("socket") { ASM("r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
#elif CASE == 66 /* sf_ld_abs_r6_ctx_moved refused socket: R6 is the skb plus 8 */
NAKED("socket") { ASM("r6 = r1; r6 += 8; r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
#elif CASE == 67 /* sf_ld_ind_uninit_index refused socket: LD_IND's index register never written */
NAKED("socket") { ASM("r6 = r1; r0 = *(u8 *)skb[r7]; r0 = 0; exit;"); }
#elif CASE == 68 /* sf_ld_ind_pointer_index accepted socket: LD_IND indexed by a stack pointer (privileged: any readable register) */
NAKED("socket") { ASM("r6 = r1; r7 = r10; r0 = *(u8 *)skb[r7]; r0 = 0; exit;"); }
#elif CASE == 69 /* sf_ld_ind_unknown_index accepted socket: LD_IND indexed by a random value */
NAKED("socket") { ASM("r6 = r1; call %[get_prandom_u32]; r7 = r0; r0 = *(u32 *)skb[r7]; r0 = 0; exit;"); }
#elif CASE == 70 /* sf_ld_abs_dw refused socket: an 8-byte LD_ABS (opcode 0x38) is no instruction */
NAKED("socket") { ASM("r6 = r1; .8byte 0x0000000c00000038; r0 = 0; exit;"); }
#elif CASE == 71 /* sf_ld_abs_dst_r1 refused socket: LD_ABS with destination register 1 (reserved field) */
NAKED("socket") { ASM("r6 = r1; .8byte 0x0000000c00000130; r0 = 0; exit;"); }
#elif CASE == 72 /* sf_ld_abs_src_r1 refused socket: LD_ABS with source register 1 (reserved field) */
NAKED("socket") { ASM("r6 = r1; .8byte 0x0000000c00001030; r0 = 0; exit;"); }
#elif CASE == 73 /* sf_ld_abs_in_void_subprog refused socket: a static subprogram whose BTF prototype returns void may not use LD_ABS */
SUB(sub_ld) { ASM("r6 = r1; r0 = *(u16 *)skb[12]; exit;"); }
NAKED("socket") { ASM("call sub_ld; r0 = 0; exit;"); }
#elif CASE == 74 /* sf_ld_abs_subprog_r6_unset refused socket: LD_ABS in a static subprogram returning void (refused for that before R6 is looked at) */
SUB(sub_ld) { ASM("r0 = *(u16 *)skb[12]; exit;"); }
NAKED("socket") { ASM("r6 = r1; call sub_ld; r0 = 0; exit;"); }
#elif CASE == 75 /* sf_ld_abs_r6_filled accepted socket: the skb spilled, a helper called, R6 filled from the stack, LD_ABS */
NAKED("socket") { ASM("*(u64 *)(r10 - 8) = r1; call %[get_prandom_u32]; r6 = *(u64 *)(r10 - 8); r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
#elif CASE == 76 /* sf_ld_abs_result_unbounded refused socket: LD_ABS's byte result is an unknown 64-bit scalar: it may not index a map value */
NAKED("socket") { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r7 = r0;" LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r0 += r7; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r0 = 0; exit;"); }
#elif CASE == 77 /* xdp_ld_abs refused xdp: XDP programs may not use LD_ABS */
NAKED("xdp") { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r0 = 2; exit;"); }
#elif CASE == 78 /* tc_ld_abs_ld_ind accepted tc: tc programs may use LD_ABS and LD_IND */
NAKED("tc") { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r7 = 2; r0 = *(u16 *)skb[r7]; r0 = 0; exit;"); }
#elif CASE == 79 /* sf_ld_abs_in_loop_cb refused socket: LD_ABS inside a bpf_loop callback whose prototype returns void */
SUB(cb_ld) { ASM("r6 = *(u64 *)(r2 + 0); r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
NAKED("socket") { ASM("*(u64 *)(r10 - 8) = r1; r1 = 2; r2 = cb_ld ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; r0 = 0; exit;"); }
#elif CASE == 80 /* sf_ld_abs_rcu_locked refused socket: LD_ABS inside bpf_rcu_read_lock */
SEC("socket") int prog(struct __sk_buff *skb)
{
	int x;

	bpf_rcu_read_lock();
	x = load_byte(skb, 14);
	bpf_rcu_read_unlock();
	return x;
}
#elif CASE == 81 /* sf_ld_abs_in_global_func accepted socket: a global function taking the skb uses LD_ABS */
GLOBAL int ld_global(struct __sk_buff *skb)
{
	return load_byte(skb, 12) + skb->len;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	return ld_global(skb) & 1;
}
#elif CASE == 82 /* sf_ld_abs_c_after_rcu accepted socket: LD_ABS once bpf_rcu_read_unlock ran */
SEC("socket") int prog(struct __sk_buff *skb)
{
	int y = 0;

	bpf_rcu_read_lock();
	y = skb->len;
	bpf_rcu_read_unlock();
	return load_byte(skb, 14) + y;
}
#elif CASE == 83 /* sf_ld_abs_r0_masked_index accepted socket: LD_ABS's result masked to 0..15 indexes a 16-byte value */
NAKED("socket") { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r7 = r0; r7 &= 15;" LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r0 += r7; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r0 = 0; exit;"); }
/* ---- NULL inference from comparing two pointers ---- */
#elif CASE == 84 /* nn_jeq_value_vs_or_null accepted xdp: a hash value (maybe NULL) equal to a checked array value is not NULL on the equal branch */
NAKED("xdp") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(h, 0) "if r0 == r6 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 85 /* nn_jne_fallthrough accepted xdp: if r0 != r6 goto out: r0 is not NULL on the fall-through */
NAKED("xdp") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(h, 0) "if r0 != r6 goto l0_%=; r1 = 1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 86 /* nn_jne_taken_branch refused xdp: if r0 != r6: the taken branch learns nothing */
NAKED("xdp") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(h, 0) "if r0 != r6 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 87 /* nn_jeq_fallthrough refused xdp: if r0 == r6: the fall-through learns nothing */
NAKED("xdp") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(h, 0) "if r0 == r6 goto l0_%=; r1 = 1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 88 /* nn_jeq_vs_stack_pointer refused xdp: equal to a stack pointer: a stack pointer is not among the types the verifier counts as non-NULL */
NAKED("xdp") { ASM(LOOKUP(h, 0) "r1 = r10; r1 += -8; if r0 == r1 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r0 + 0) = r1; r0 = 2; exit;"); }
#elif CASE == 89 /* nn_two_or_null refused xdp: two maybe-NULL values compared equal: neither learns anything */
NAKED("xdp") { ASM(LOOKUP(h, 0) "r6 = r0;" LOOKUP(h, 1) "if r0 == r6 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r0 + 0) = r1; r0 = 2; exit;"); }
#elif CASE == 90 /* nn_copy_not_marked refused xdp: only the compared register becomes non-NULL, not its copy */
NAKED("xdp") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(h, 0) "r8 = r0; if r0 == r6 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r8 + 0) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 91 /* nn_jmp32_eq_no_inference refused xdp: w0 == w6 (32-bit) infers nothing */
NAKED("xdp") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(h, 0) "if w0 == w6 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 92 /* nn_jmp32_zero_no_inference refused xdp: if w0 != 0 on a maybe-NULL value infers nothing */
NAKED("xdp") { ASM(LOOKUP(h, 0) "if w0 == 0 goto l0_%=; r1 = 1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 93 /* nn_nonzero_const refused xdp: if r0 == 1 (not 0) infers nothing on either branch */
NAKED("xdp") { ASM(LOOKUP(h, 0) "if r0 == 1 goto l0_%=; r1 = 1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 94 /* nn_sock_vs_or_null accepted tc: a socket (maybe NULL) equal to a checked one is not NULL: released on each branch */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0;" SKL(sk_lookup_tcp) "r8 = r0; if r8 != r7 goto l1_%=; r1 = r8; call %[sk_release]; goto l2_%=; l1_%=: if r8 == 0 goto l2_%=; r1 = r8; call %[sk_release]; l2_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 95 /* nn_sock_release_on_unknown_branch refused tc: released on the not-equal branch without a NULL check */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0;" SKL(sk_lookup_tcp) "r8 = r0; if r8 == r7 goto l1_%=; r1 = r8; call %[sk_release]; goto l2_%=; l1_%=: r1 = r8; call %[sk_release]; l2_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 96 /* nn_ringbuf_vs_value accepted socket: a reservation (maybe NULL) equal to a map value pointer: submitted on that branch */
NAKED("socket") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r6 = r0;" RESERVE "if r0 == r6 goto l1_%=; if r0 == 0 goto l0_%=;" SUBMIT(r0) "goto l0_%=; l1_%=:" SUBMIT(r0) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 97 /* nn_vs_scalar_no_inference refused xdp: equal to a scalar register holding 5 infers nothing */
NAKED("xdp") { ASM(LOOKUP(h, 0) "r1 = 5; if r0 == r1 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r0 + 0) = r1; r0 = 2; exit;"); }
#elif CASE == 98 /* nn_jeq_ctx refused xdp: equal to the context pointer: ctx is not among the types the verifier counts as non-NULL */
NAKED("xdp") { ASM("r9 = r1;" LOOKUP(h, 0) "if r9 == r0 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r0 + 0) = r1; r0 = 2; exit;"); }
#elif CASE == 99 /* nn_jgt_no_inference refused xdp: if r0 > r6 infers nothing */
NAKED("xdp") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(h, 0) "if r0 > r6 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 100 /* nn_copy_checked_original_used accepted socket: the copy NULL-checked, the original written */
NAKED("socket") { ASM(LOOKUP(h, 0) "r7 = r0; if r7 == 0 goto l0_%=; r1 = 1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 0; exit;"); }
#elif CASE == 101 /* nn_copy_then_equal_then_null_check accepted xdp: after the equality the copy is still checked before use */
NAKED("xdp") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(h, 0) "r8 = r0; if r0 != r6 goto l0_%=; if r8 == 0 goto l0_%=; r1 = 1; *(u64 *)(r8 + 0) = r1; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;"); }
/* ---- bpf_spin_lock in XDP and tc ---- */
#elif CASE == 102 /* xdp_lock_unlock accepted xdp: lock, counter update, unlock */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[spin_lock]; r1 = *(u64 *)(r6 + 8); r1 += 1; *(u64 *)(r6 + 8) = r1; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 103 /* tc_lock_unlock_c accepted tc: bpf_spin_lock around a counter in C */
DEF_LOCK
SEC("tc") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct lv *v = bpf_map_lookup_elem(&locks, &k);

	if (!v)
		return 0;
	bpf_spin_lock(&v->l);
	v->cnt += skb->len;
	bpf_spin_unlock(&v->l);
	return 0;
}
#elif CASE == 104 /* xdp_lock_held_at_exit refused xdp: the program exits holding the lock */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r1 = r0; call %[spin_lock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 105 /* xdp_helper_while_locked refused xdp: bpf_get_prandom_u32 called while locked */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[spin_lock]; call %[get_prandom_u32]; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 106 /* xdp_lock_twice refused xdp: the same lock taken twice */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[spin_lock]; r1 = r6; call %[spin_lock]; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 107 /* xdp_unlock_without_lock refused xdp: bpf_spin_unlock never locked */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r1 = r0; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 108 /* xdp_unlock_other_element refused xdp: element 0 locked, element 1 unlocked */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(locks, 1) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r6; call %[spin_lock]; r1 = r7; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 109 /* xdp_lock_at_offset_8 accepted xdp: the lock is the value's second field */
DEF_LOCK2
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; r1 += 8; call %[spin_lock]; r1 = 5; *(u64 *)(r6 + 0) = r1; r1 = r6; r1 += 8; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 110 /* xdp_lock_wrong_offset refused xdp: the value's start given where the lock is at 8 */
DEF_LOCK2
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[spin_lock]; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 111 /* xdp_lock_variable_offset refused xdp: the lock's address at a variable offset */
DEF_LOCK2
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; call %[get_prandom_u32]; r0 &= 8; r1 = r6; r1 += r0; call %[spin_lock]; r1 = r6; r1 += 8; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 112 /* xdp_static_call_while_locked accepted xdp: a static subprogram (no helpers) called while locked */
DEF_LOCK
SUB(sub_add) { ASM("r0 = *(u64 *)(r1 + 8); r0 += 1; *(u64 *)(r1 + 8) = r0; exit;"); }
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[spin_lock]; r1 = r6; call sub_add; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 113 /* xdp_subprog_unlocks accepted xdp: main locks, a static subprogram unlocks */
DEF_LOCK
SUB(sub_unlock) { ASM("call %[spin_unlock]; r0 = 0; exit;"); }
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[spin_lock]; r1 = r6; call sub_unlock; l0_%=: r0 = 2; exit;"); }
#elif CASE == 114 /* xdp_subprog_returns_locked accepted xdp: a static subprogram locks and returns; main unlocks */
DEF_LOCK
SUB(sub_lock) { ASM("call %[spin_lock]; r0 = 0; exit;"); }
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call sub_lock; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 115 /* xdp_global_call_while_locked refused xdp: a global function called while locked */
DEF_LOCK
GLOBAL int gadd(int x) { return x + 1; }
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct lv *v = bpf_map_lookup_elem(&locks, &k);

	if (!v)
		return XDP_PASS;
	bpf_spin_lock(&v->l);
	v->cnt = gadd(v->cnt);
	bpf_spin_unlock(&v->l);
	return XDP_PASS;
}
#elif CASE == 116 /* xdp_tail_call_while_locked refused xdp: a tail call while locked */
DEF_LOCK
NAKED("xdp") { ASML("r6 = r1;" LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[spin_lock];" TAIL "r1 = r7; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 117 /* tc_ld_abs_while_locked refused tc: LD_ABS while locked */
DEF_LOCK
NAKED("tc") { ASML("r6 = r1;" LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[spin_lock]; r0 = *(u8 *)skb[12]; r1 = r7; call %[spin_unlock]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 118 /* xdp_unlock_through_copy accepted xdp: locked through r0, unlocked through its copy */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "r6 = r0; if r0 == 0 goto l0_%=; r1 = r0; call %[spin_lock]; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 119 /* xdp_unlock_through_fill accepted xdp: the value spilled before locking, filled to unlock */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 8) = r0; r1 = r0; call %[spin_lock]; r1 = *(u64 *)(r10 - 8); call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 120 /* xdp_lock_in_hash_value accepted xdp: a hash map's value lock */
DEF_HLOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[spin_lock]; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 121 /* xdp_lock_maybe_null refused xdp: locking a hash lookup's result before its NULL check */
DEF_HLOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "r6 = r0; r1 = r0; call %[spin_lock]; r1 = r6; call %[spin_unlock]; r0 = 2; exit;"); }
#elif CASE == 122 /* xdp_lock_same_key_two_lookups refused xdp: the same key looked up twice: two different locks to the verifier */
DEF_HLOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r6; call %[spin_lock]; r1 = r7; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 123 /* xdp_unlock_on_one_path refused xdp: unlocked only on one branch */
DEF_LOCK
NAKED("xdp") { ASML("r9 = *(u32 *)(r1 + 16);" LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[spin_lock]; if r9 > 3 goto l0_%=; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 124 /* xdp_kfunc_while_locked refused xdp: bpf_rcu_read_lock (a kfunc) called while locked */
DEF_LOCK
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct lv *v = bpf_map_lookup_elem(&locks, &k);

	if (!v)
		return XDP_PASS;
	bpf_spin_lock(&v->l);
	bpf_rcu_read_lock();
	v->cnt++;
	bpf_rcu_read_unlock();
	bpf_spin_unlock(&v->l);
	return XDP_PASS;
}
#elif CASE == 125 /* xdp_packet_read_while_locked accepted xdp: a checked packet read while locked */
DEF_LOCK
SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 k = 0;
	struct lv *v = bpf_map_lookup_elem(&locks, &k);

	if (!v || data + 1 > end)
		return XDP_PASS;
	bpf_spin_lock(&v->l);
	v->cnt += *(__u8 *)data;
	bpf_spin_unlock(&v->l);
	return XDP_PASS;
}
#elif CASE == 126 /* xdp_lock_in_loop_cb accepted xdp: a bpf_loop callback locks and unlocks a value the caller passes */
DEF_LOCK
SUB(cb_lock) { ASM("r6 = *(u64 *)(r2 + 0); r1 = r6; call %[spin_lock]; r1 = r6; call %[spin_unlock]; r0 = 0; exit;"); }
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 8) = r0; r1 = 2; r2 = cb_lock ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 127 /* xdp_lock_direct_load refused xdp: the lock word read with a load */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r1 = *(u32 *)(r0 + 0); l0_%=: r0 = 2; exit;"); }
#elif CASE == 128 /* xdp_lock_then_socket_lookup refused xdp: bpf_sk_lookup_tcp called while locked */
DEF_LOCK
NAKED("xdp") { ASML("r6 = r1;" LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[spin_lock];" SKL(sk_lookup_tcp) "r8 = r0; r1 = r7; call %[spin_unlock]; if r8 == 0 goto l0_%=; r1 = r8; call %[sk_release]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 129 /* tc_lock_c_two_values refused tc: two elements locked one after the other without unlocking */
DEF_LOCK
SEC("tc") int prog(struct __sk_buff *skb)
{
	__u32 k0 = 0, k1 = 1;
	struct lv *v = bpf_map_lookup_elem(&locks, &k0), *w = bpf_map_lookup_elem(&locks, &k1);

	if (!v || !w)
		return 0;
	bpf_spin_lock(&v->l);
	bpf_spin_lock(&w->l);
	w->cnt = v->cnt;
	bpf_spin_unlock(&w->l);
	bpf_spin_unlock(&v->l);
	return 0;
}
#elif CASE == 130 /* tc_c_lookup_release accepted tc: bpf_sk_lookup_udp in C, a field read, released */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_udp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	int r = 0;

	if (sk) {
		r = sk->protocol == 17;
		bpf_sk_release(sk);
	}
	return r;
}
#elif CASE == 131 /* tc_c_lookup_released_in_one_branch refused tc: released only when the protocol is UDP */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_udp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);

	if (sk && sk->protocol == 17)
		bpf_sk_release(sk);
	return 0;
}
#elif CASE == 132 /* sf_c_ringbuf_ld_abs_after_submit accepted socket: a record submitted, then LD_ABS */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (e) {
		*e = skb->len;
		bpf_ringbuf_submit(e, 0);
	}
	return load_byte(skb, 12);
}
#elif CASE == 133 /* sf_ld_abs_in_static_int_subprog accepted socket: a static subprogram returning int, given the skb, uses LD_ABS */
STATIC int ld_static(struct __sk_buff *skb)
{
	return load_byte(skb, 12) + skb->len;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	return ld_static(skb) & 1;
}
#elif CASE == 134 /* xdp_lock_array_const_key_unchecked accepted xdp: an array lookup at a constant in-range key is never NULL: locked without a check */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP8(locks, 1) "r6 = r0; r1 = r0; call %[spin_lock]; r1 = r6; call %[spin_unlock]; r0 = 2; exit;"); }
#elif CASE == 135 /* xdp_lock_array_key_out_of_range refused xdp: an array lookup at key 2 of 2 entries may be NULL */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP8(locks, 2) "r6 = r0; r1 = r0; call %[spin_lock]; r1 = r6; call %[spin_unlock]; r0 = 2; exit;"); }
#elif CASE == 136 /* nn_jeq_sock_vs_map_value accepted tc: a socket (maybe NULL) equal to a map value pointer is not NULL: released there */
NAKED("tc") { ASM("r6 = r1;" LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r7 = r0;" SKL(sk_lookup_tcp) "if r0 == r7 goto l1_%=; if r0 == 0 goto l0_%=; l1_%=: r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 137 /* nn_jeq_or_null_vs_ringbuf_mem accepted socket: a hash value (maybe NULL) equal to a reserved record (ringbuf mem) is not NULL */
NAKED("socket") { ASM(RESERVE "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(h, 0) "if r0 != r6 goto l1_%=; r1 = 1; *(u64 *)(r0 + 0) = r1; l1_%=:" SUBMIT(r6) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 138 /* xdp_lock_array_key_unaligned refused xdp: key 1 stored as 4 bytes at fp-20 (not 8-aligned) is no spilled constant: the lookup may be NULL */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 1) "r6 = r0; r1 = r0; call %[spin_lock]; r1 = r6; call %[spin_unlock]; r0 = 2; exit;"); }
#elif CASE == 139 /* xdp_array_zero_key_unaligned_unchecked accepted xdp: key 0 stored at fp-20 is known (zeroed stack bytes): the array value used without a NULL check */
NAKED("xdp") { ASM(LOOKUP(a, 0) "r1 = 1; *(u8 *)(r0 + 15) = r1; r0 = 2; exit;"); }
#elif CASE == 140 /* sf_ld_abs_int_subprog_r6_unset refused socket: an int subprogram's R6 is not the caller's: LD_ABS without setting it */
SUBI(sub_ld) { ASM("r0 = *(u16 *)skb[12]; exit;"); }
NAKED("socket") { ASM("r6 = r1; call sub_ld; r0 = 0; exit;"); }
#elif CASE == 141 /* sf_ld_abs_in_int_loop_cb refused socket: LD_ABS inside a bpf_loop callback returning int */
SUBI(cb_ld) { ASM("r6 = *(u64 *)(r2 + 0); r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
NAKED("socket") { ASM("*(u64 *)(r10 - 8) = r1; r1 = 2; r2 = cb_ld ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; r0 = 0; exit;"); }
#elif CASE == 142 /* sf_ld_ind_src_r1_clobbered refused socket: LD_IND indexed by r1 (at SKF_NET_OFF) clobbers r1 too */
NAKED("socket") { ASM("r6 = r1; r1 = 1; .8byte 0xffe0000000001050; r0 = r1; exit;"); }
#elif CASE == 143 /* sf_ld_ind_src_r7_kept accepted socket: LD_IND indexed by r7 keeps r7 */
NAKED("socket") { ASM("r6 = r1; r7 = 1; .8byte 0xffe0000000007050; r0 = r7; exit;"); }
#elif CASE == 144 /* sf_ld_ind_index_ctx accepted socket: LD_IND indexed by R6 itself (the skb pointer) */
NAKED("socket") { ASM("r6 = r1; r0 = *(u8 *)skb[r6]; r0 = 0; exit;"); }
#elif CASE == 145 /* sf_ld_abs_negative_imm accepted socket: LD_ABS at SKF_NET_OFF (a negative offset) */
NAKED("socket") { ASM("r6 = r1; .8byte 0xffe0000000000030; r0 = 0; exit;"); }
#elif CASE == 146 /* sf_ld_abs_off_nonzero refused socket: LD_ABS with a non-zero off field (reserved) */
NAKED("socket") { ASM("r6 = r1; .8byte 0x0000000c00010030; r0 = 0; exit;"); }
#elif CASE == 147 /* sf_ld_ind_dst_r2 refused socket: LD_IND with destination register 2 (reserved field) */
NAKED("socket") { ASM("r6 = r1; r7 = 0; .8byte 0x0000000c00007240; r0 = 0; exit;"); }
#elif CASE == 148 /* tc_release_fullsock_then_use_lookup refused tc: released through bpf_sk_fullsock's result, the looked-up socket read after */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_fullsock]; if r0 == 0 goto l1_%=; r1 = r0; call %[sk_release]; r0 = *(u32 *)(r7 + 4); r0 = 0; exit; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 149 /* tc_fullsock_null_keeps_reference refused tc: bpf_sk_fullsock NULL: the lookup's socket is still held, and leaked there */
NAKED("tc") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_fullsock]; if r0 == 0 goto l0_%=; r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 150 /* tc_fullsock_released_via_result_or_original accepted tc: released through the fullsock when there is one, else through the lookup */
NAKED("tc") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_fullsock]; if r0 == 0 goto l1_%=; r1 = r0; call %[sk_release]; goto l0_%=; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 151 /* tc_release_fullsock_of_skb_sk refused tc: bpf_sk_fullsock(skb->sk) carries no reference: releasing it */
NAKED("tc") { ASM("r1 = *(u64 *)(r1 + %[sk]); if r1 == 0 goto l0_%=; call %[sk_fullsock]; if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 152 /* tc_release_null_const refused tc: bpf_sk_release(NULL) */
NAKED("tc") { ASM("r1 = 0; call %[sk_release]; r0 = 0; exit;"); }
#elif CASE == 153 /* tc_lookup_read_u64_field refused tc: an 8-byte read of the socket's first field */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = *(u64 *)(r0 + 0); r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 154 /* tc_lookup_tuple_in_packet accepted tc: the tuple read straight from checked packet bytes */
SEC("tc") int prog(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct bpf_sock *sk;

	if (data + sizeof(struct ethhdr) + 12 > end)
		return 0;
	sk = bpf_sk_lookup_tcp(skb, data + sizeof(struct ethhdr), 12, BPF_F_CURRENT_NETNS, 0);
	if (sk)
		bpf_sk_release(sk);
	return 0;
}
#elif CASE == 155 /* tc_sub_stores_socket_in_caller_stack accepted tc: a subprogram stores its lookup in the caller's stack; the caller checks and releases it */
SUB(sub_put_in) { ASM("r6 = r1; r7 = r2;" SKL(sk_lookup_tcp) "*(u64 *)(r7 + 0) = r0; r0 = 0; exit;"); }
NAKED("tc") { ASM("r6 = r1; r2 = r10; r2 += -24; call sub_put_in; r1 = *(u64 *)(r10 - 24); if r1 == 0 goto l0_%=; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 156 /* tc_sub_stores_socket_in_caller_stack_leak refused tc: the caller never releases what the subprogram stored */
SUB(sub_put_in) { ASM("r6 = r1; r7 = r2;" SKL(sk_lookup_tcp) "*(u64 *)(r7 + 0) = r0; r0 = 0; exit;"); }
NAKED("tc") { ASM("r6 = r1; r2 = r10; r2 += -24; call sub_put_in; r0 = 0; exit;"); }
#elif CASE == 157 /* tc_release_in_subprog_and_caller refused tc: released by a subprogram, then again by the caller */
SUB(sub_put) { ASM("call %[sk_release]; r0 = 0; exit;"); }
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call sub_put; r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 158 /* tc_checked_socket_eq_zero_dead accepted tc: a checked socket compared with 0 again: that branch is never taken (its bad read unseen) */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; if r0 == 0 goto l1_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit; l1_%=: r0 = *(u64 *)(r9 + 0); exit;"); }
#elif CASE == 159 /* nn_fp_eq_zero_explored refused xdp: a stack pointer compared with 0: both branches are walked (fp is not known non-NULL) */
NAKED("xdp") { ASM("r1 = r10; if r1 == 0 goto l1_%=; r0 = 2; exit; l1_%=: r0 = *(u64 *)(r9 + 0); exit;"); }
#elif CASE == 160 /* nn_value_eq_zero_dead accepted xdp: a checked map value compared with 0 again: the branch is dead */
NAKED("xdp") { ASM(LOOKUP(h, 0) "if r0 == 0 goto l0_%=; if r0 == 0 goto l1_%=; l0_%=: r0 = 2; exit; l1_%=: r0 = *(u64 *)(r9 + 0); exit;"); }
#elif CASE == 161 /* nn_inner_map_vs_value accepted xdp: an inner map (maybe NULL) equal to a map value is a map on that branch, looked up */
struct inner_map { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } inner SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 1); __type(key, __u32); __array(values, struct inner_map); } mm SEC(".maps") = { .values = { [0] = &inner } };
NAKED("xdp") { asm volatile (LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(mm, 0) "if r0 != r6 goto l0_%=; r1 = r0; r2 = r10; r2 += -20; call %[map_lookup_elem]; l0_%=: r0 = 2; exit;" :: OPS, ADDR(mm) : "memory"); }
#elif CASE == 162 /* nn_or_null_vs_pkt refused xdp: equal to a packet pointer: a packet pointer is not among the non-NULL types */
NAKED("xdp") { ASM("r9 = *(u32 *)(r1 + 0);" LOOKUP(h, 0) "if r0 == r9 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r0 + 0) = r1; r0 = 2; exit;"); }
#elif CASE == 163 /* xdp_lock_regsafe_ids refused xdp: one path unlocks the locked value, the other a second lookup of the same key: not pruned as equal */
DEF_HLOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r7 = r0; call %[get_prandom_u32]; r8 = r6; if r0 == 0 goto l1_%=; r8 = r7; l1_%=: r1 = r6; call %[spin_lock]; r1 = r8; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 164 /* xdp_subprog_locks_main_exits refused xdp: a subprogram takes the lock, main never releases it */
DEF_LOCK
SUB(sub_lock) { ASM("call %[spin_lock]; r0 = 0; exit;"); }
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r1 = r0; call sub_lock; l0_%=: r0 = 2; exit;"); }
#elif CASE == 165 /* xdp_subprog_helper_while_locked refused xdp: a static subprogram called under the lock calls a helper */
DEF_LOCK
SUB(sub_rnd) { ASM("call %[get_prandom_u32]; exit;"); }
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[spin_lock]; call sub_rnd; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 166 /* xdp_lock_byte_store refused xdp: a byte stored into the lock word */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r1 = 0; *(u8 *)(r0 + 2) = r1; l0_%=: r0 = 2; exit;"); }
#elif CASE == 167 /* xdp_lock_u64_read_over_lock refused xdp: an 8-byte read covering the lock word */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r1 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;"); }
#elif CASE == 168 /* xdp_lock_padding_read accepted xdp: the 4 bytes after the lock (padding) read */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r1 = *(u32 *)(r0 + 4); l0_%=: r0 = 2; exit;"); }
#elif CASE == 169 /* xdp_lock_on_stack refused xdp: bpf_spin_lock on a stack address */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = r10; r1 += -8; call %[spin_lock]; r0 = 2; exit;"); }
#elif CASE == 170 /* xdp_unlock_other_map refused xdp: a value of one lock map locked, a value of another unlocked */
DEF_LOCK
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct lv); } locks_b SEC(".maps");
NAKED("xdp") { asm volatile (LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0;" LOOKUP(locks_b, 0) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r6; call %[spin_lock]; r1 = r7; call %[spin_unlock]; l0_%=: r0 = 2; exit;" :: OPS, ADDR(locks), ADDR(locks_b) : "memory"); }
#elif CASE == 171 /* xdp_lock_then_write_via_moved_copy accepted xdp: under the lock the counter written through value + 8, then unlocked through the original */
DEF_LOCK
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[spin_lock]; r7 = r6; r7 += 8; r1 = 3; *(u64 *)(r7 + 0) = r1; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 172 /* sf_skc_to_tcp_sock_of_skb_sk accepted socket: bpf_skc_to_tcp_sock of skb->sk from a socket filter */
NAKED("socket") { ASM("r1 = *(u64 *)(r1 + %[sk]); if r1 == 0 goto l0_%=; call %[skc_to_tcp_sock]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 173 /* sf_tcp_sock refused socket: a socket filter may not call bpf_tcp_sock */
NAKED("socket") { ASM("r1 = *(u64 *)(r1 + %[sk]); if r1 == 0 goto l0_%=; call %[tcp_sock]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 174 /* tc_release_via_skc_to_tcp_sock accepted tc: the reference released through bpf_skc_to_tcp_sock's (checked) result */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[skc_to_tcp_sock]; if r0 == 0 goto l1_%=; r1 = r0; call %[sk_release]; r0 = 0; exit; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 175 /* xdp_lookup_sock_common_read_family accepted xdp: bpf_skc_lookup_tcp's sock_common: family read, released */
NAKED("xdp") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = *(u32 *)(r0 + 4); r1 = r0; call %[sk_release]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 176 /* xdp_lookup_sock_common_read_mark refused xdp: sock_common has no mark: reading it */
NAKED("xdp") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = *(u32 *)(r0 + 16); r1 = r0; call %[sk_release]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 177 /* tc_lookup_leak_in_one_subprog_path refused tc: a subprogram releases only on one of its paths */
SUB(sub_maybe_put) { ASM("r6 = r1; call %[get_prandom_u32]; if r0 == 0 goto l0_%=; r1 = r6; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = r0; call sub_maybe_put; l0_%=: r0 = 0; exit;"); }
#elif CASE == 178 /* sf_ringbuf_discard_then_ld_abs accepted socket: a record discarded, then LD_ABS */
NAKED("socket") { ASM("r6 = r1;" RESERVE "if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; call %[ringbuf_discard]; l0_%=: r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
#elif CASE == 179 /* sf_ringbuf_ld_abs_on_null_branch accepted socket: LD_ABS on the branch where the reservation failed (nothing held) */
NAKED("socket") { ASM("r6 = r1;" RESERVE "if r0 != 0 goto l1_%=; r0 = *(u8 *)skb[12]; r0 = 0; exit; l1_%=:" SUBMIT(r0) "r0 = 0; exit;"); }
#elif CASE == 180 /* sf_ringbuf_tail_call_on_null_branch accepted socket: a tail call where the reservation failed */
NAKED("socket") { ASM("r6 = r1;" RESERVE "if r0 != 0 goto l1_%=;" TAIL "r0 = 0; exit; l1_%=:" SUBMIT(r0) "r0 = 0; exit;"); }
#elif CASE == 181 /* sf_ringbuf_ref_in_subprog_then_ld_abs accepted socket: LD_ABS in a subprogram while the caller holds a record: the leak check looks only at the main frame */
SUBI(sub_ld_held) { ASM("r6 = r2; r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
NAKED("socket") { ASM("r6 = r1;" RESERVE "if r0 == 0 goto l0_%=; r7 = r0; r2 = r6; call sub_ld_held;" SUBMIT(r7) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 182 /* sf_ringbuf_ref_in_subprog_then_tail_call accepted socket: a tail call in a subprogram while the caller holds a record: the leak check looks only at the main frame */
SUBI(sub_tail_held) { ASM("r6 = r2;" TAIL "r0 = 0; exit;"); }
NAKED("socket") { ASM("r6 = r1;" RESERVE "if r0 == 0 goto l0_%=; r7 = r0; r2 = r6; call sub_tail_held;" SUBMIT(r7) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 183 /* sf_subprog_reserves_then_ld_abs refused socket: LD_ABS in a subprogram may return 0 from it (its run-time failure path): there the subprogram's own record is still held, up to the exit */
SUBI(sub_res_ld) { ASM("r6 = r1;" RESERVE "if r0 == 0 goto l0_%=; r7 = r0; r0 = *(u8 *)skb[12];" SUBMIT(r7) "l0_%=: r0 = 0; exit;"); }
NAKED("socket") { ASM("call sub_res_ld; r0 = 0; exit;"); }
#elif CASE == 184 /* tc_subprog_ld_abs_while_locked refused tc: LD_ABS in a subprogram while the caller holds a bpf_spin_lock (the lock check covers every frame) */
DEF_LOCK
SUBI(sub_ld_locked) { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
NAKED("tc") { ASML("r6 = r1;" LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[spin_lock]; r1 = r6; call sub_ld_locked; r1 = r7; call %[spin_unlock]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 185 /* sf_tail_call_in_subprog_return_unknown refused socket: a tail call in a subprogram may return from it with any value: the caller's check of a zero return is not enough */
SUBI(sub_tail) { ASM("r6 = r1;" TAIL "r0 = 0; exit;"); }
NAKED("socket") { ASM("r6 = r1; call sub_tail; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r9 + 0); l0_%=: r0 = 0; exit;"); }
#elif CASE == 186 /* sf_ld_abs_in_subprog_return_one refused socket: LD_ABS in a subprogram may return from it at run time: the caller sees another return value than the subprogram's 1 */
SUBI(sub_ld) { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r0 = 1; exit;"); }
NAKED("socket") { ASM("call sub_ld; if r0 == 1 goto l0_%=; r0 = *(u64 *)(r9 + 0); l0_%=: r0 = 0; exit;"); }
#elif CASE == 187 /* sf_ld_abs_in_subprog_return_zero accepted socket: LD_ABS's implicit return from a subprogram returns 0: a subprogram returning 0 anyway gives its caller 0 on both paths */
SUBI(sub_ld) { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
NAKED("socket") { ASM("call sub_ld; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r9 + 0); l0_%=: r0 = 0; exit;"); }
#elif CASE == 188 /* sf_ld_abs_in_subprog_of_loop_cb accepted socket: LD_ABS in a subprogram a bpf_loop callback calls: its implicit return goes back to the callback */
SUBI(sub_ld) { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r0 = 0; exit;"); }
SUBI(cb_ld) { ASM("r1 = *(u64 *)(r2 + 0); call sub_ld; r0 = 0; exit;"); }
NAKED("socket") { ASM("*(u64 *)(r10 - 8) = r1; r1 = 2; r2 = cb_ld ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; r0 = 0; exit;"); }
#elif CASE == 189 /* sf_tail_call_in_loop_cb refused socket: a tail call straight in a bpf_loop callback */
SUBI(cb_tail) { ASM("r6 = *(u64 *)(r2 + 0);" TAIL "r0 = 0; exit;"); }
NAKED("socket") { ASM("*(u64 *)(r10 - 8) = r1; r1 = 2; r2 = cb_tail ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; r0 = 0; exit;"); }
#elif CASE == 190 /* sf_tail_call_in_subprog_of_loop_cb refused socket: a tail call in a subprogram a bpf_loop callback calls */
SUBI(sub_tail) { ASM("r6 = r1;" TAIL "r0 = 0; exit;"); }
SUBI(cb_tail) { ASM("r1 = *(u64 *)(r2 + 0); call sub_tail; r0 = 0; exit;"); }
NAKED("socket") { ASM("*(u64 *)(r10 - 8) = r1; r1 = 2; r2 = cb_tail ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; r0 = 0; exit;"); }
#elif CASE == 191 /* sf_ld_abs_in_subprog_pkt_after accepted socket: LD_ABS in a subprogram, whose caller then just returns */
SUBI(sub_ld) { ASM("r6 = r1; r0 = *(u8 *)skb[12]; exit;"); }
NAKED("socket") { ASM("call sub_ld; r0 = 0; exit;"); }
#elif CASE == 192 /* tc_sock_family_byte_read accepted tc: a 1-byte (narrow) read of the socket's family */
NAKED("tc") { ASM(SKREAD(sk_lookup_tcp, "r1 = *(u8 *)(r0 + 4)")); }
#elif CASE == 193 /* tc_sock_dst_port_u16 accepted tc: dst_port read as 16 bits */
NAKED("tc") { ASM(SKREAD(sk_lookup_tcp, "r1 = *(u16 *)(r0 + 48)")); }
#elif CASE == 194 /* tc_sock_dst_port_u32 accepted tc: dst_port read as 32 bits (with its zero padding) */
NAKED("tc") { ASM(SKREAD(sk_lookup_tcp, "r1 = *(u32 *)(r0 + 48)")); }
#elif CASE == 195 /* tc_sock_src_ip6_byte accepted tc: one byte of src_ip6 */
NAKED("tc") { ASM(SKREAD(sk_lookup_tcp, "r1 = *(u8 *)(r0 + 29)")); }
#elif CASE == 196 /* tc_sock_rx_queue_mapping accepted tc: rx_queue_mapping, the last field */
NAKED("tc") { ASM(SKREAD(sk_lookup_tcp, "r1 = *(u32 *)(r0 + 76)")); }
#elif CASE == 197 /* tc_sock_past_end refused tc: a read at offset 80, just past struct bpf_sock */
NAKED("tc") { ASM(SKREAD(sk_lookup_tcp, "r1 = *(u32 *)(r0 + 80)")); }
#elif CASE == 198 /* tc_sock_common_type refused tc: sock_common has no type field */
NAKED("tc") { ASM(SKREAD(skc_lookup_tcp, "r1 = *(u32 *)(r0 + 8)")); }
#elif CASE == 199 /* tc_sock_common_state accepted tc: a sock_common's state */
NAKED("tc") { ASM(SKREAD(skc_lookup_tcp, "r1 = *(u32 *)(r0 + 72)")); }
#elif CASE == 200 /* tc_sock_common_src_port accepted tc: a sock_common's src_port */
NAKED("tc") { ASM(SKREAD(skc_lookup_tcp, "r1 = *(u32 *)(r0 + 44)")); }
#elif CASE == 201 /* tc_sock_common_priority refused tc: sock_common has no priority */
NAKED("tc") { ASM(SKREAD(skc_lookup_tcp, "r1 = *(u32 *)(r0 + 20)")); }
#elif CASE == 202 /* tc_tcp_sock_bytes_received accepted tc: bpf_tcp_sock's 64-bit bytes_received */
NAKED("tc") { ASM(TPREAD("r1 = *(u64 *)(r0 + 80)")); }
#elif CASE == 203 /* tc_tcp_sock_bytes_received_u32 refused tc: the 64-bit bytes_received read as 32 bits */
NAKED("tc") { ASM(TPREAD("r1 = *(u32 *)(r0 + 80)")); }
#elif CASE == 204 /* tc_tcp_sock_last_field accepted tc: icsk_retransmits (offset 108) */
NAKED("tc") { ASM(TPREAD("r1 = *(u32 *)(r0 + 108)")); }
#elif CASE == 205 /* tc_tcp_sock_past_end refused tc: a read at offset 112 of bpf_tcp_sock */
NAKED("tc") { ASM(TPREAD("r1 = *(u32 *)(r0 + 112)")); }
#elif CASE == 206 /* tc_tcp_sock_write refused tc: a store into bpf_tcp_sock */
NAKED("tc") { ASM(TPREAD("r1 = 1; *(u32 *)(r0 + 0) = r1")); }
#elif CASE == 207 /* tc_tcp_sock_ptr_add refused tc: arithmetic on a tcp_sock pointer */
NAKED("tc") { ASM(TPREAD("r0 += 8")); }
#elif CASE == 208 /* sf_iter_held_across_ld_abs refused socket: LD_ABS while a bpf_iter_num is alive */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	int *v, s = 0;

	bpf_iter_num_new(&it, 0, 3);
	while ((v = bpf_iter_num_next(&it)))
		s += load_byte(skb, 12 + (*v & 3));
	bpf_iter_num_destroy(&it);
	return s;
}
#elif CASE == 209 /* sf_ld_abs_after_iter_destroyed accepted socket: LD_ABS once the bpf_iter_num is destroyed */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	int *v, s = 0;

	bpf_iter_num_new(&it, 0, 3);
	while ((v = bpf_iter_num_next(&it)))
		s += *v;
	bpf_iter_num_destroy(&it);
	return s + load_byte(skb, 12);
}
#elif CASE == 210 /* sf_ringbuf_dynptr_held_ld_abs refused socket: LD_ABS while a ring buffer dynptr is held */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	int x;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	x = load_byte(skb, 12);
	bpf_ringbuf_discard_dynptr(&d, 0);
	return x;
}
#elif CASE == 211 /* sf_ringbuf_dynptr_held_tail_call refused socket: a tail call while a ring buffer dynptr is held */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	bpf_tail_call(skb, &pa, 0);
	bpf_ringbuf_discard_dynptr(&d, 0);
	return 0;
}
#elif CASE == 212 /* tc_tail_call_in_subprog_clears_pkt refused tc: after a subprogram that may tail call, the caller's packet pointer is gone */
SUBI(sub_tail) { ASM("r6 = r1;" TAIL "r0 = 0; exit;"); }
NAKED("tc") { ASM("r6 = r1; r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80); r7 = r2; r7 += 1; if r7 > r3 goto l0_%=; r8 = r2; r1 = r6; call sub_tail; r0 = *(u8 *)(r8 + 0); l0_%=: r0 = 0; exit;"); }
#elif CASE == 213 /* sf_ld_abs_subprog_then_ringbuf accepted socket: a subprogram with LD_ABS returns before the caller reserves and submits */
SUBI(sub_ld) { ASM("r6 = r1; r0 = *(u8 *)skb[12]; exit;"); }
NAKED("socket") { ASM("call sub_ld; r7 = r0;" RESERVE "if r0 == 0 goto l0_%=; *(u64 *)(r0 + 0) = r7;" SUBMIT(r0) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 214 /* sf_ld_abs_subprog_return_bounded refused socket: a subprogram returning LD_ABS's byte masked to 0..15, or 0 at its implicit return, indexes 16 bytes: fine; by 17 bytes the last is past */
SUBI(sub_ld) { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r0 &= 15; r0 += 1; exit;"); }
NAKED("socket") { ASM("call sub_ld; r7 = r0;" LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r0 += r7; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r0 = 0; exit;"); }
#elif CASE == 215 /* sf_ld_abs_subprog_return_bounded_ok accepted socket: the same subprogram's 0..15 (or 0) indexes 16 bytes */
SUBI(sub_ld) { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r0 &= 15; exit;"); }
NAKED("socket") { ASM("call sub_ld; r7 = r0;" LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r0 += r7; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r0 = 0; exit;"); }
#elif CASE == 216 /* tc_ld_abs_subprog_keeps_pkt accepted tc: a subprogram with LD_ABS leaves the caller's checked packet pointer usable */
SUBI(sub_ld) { ASM("r6 = r1; r0 = *(u8 *)skb[12]; exit;"); }
NAKED("tc") { ASM("r6 = r1; r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80); r7 = r2; r7 += 1; if r7 > r3 goto l0_%=; r8 = r2; r1 = r6; call sub_ld; r0 = *(u8 *)(r8 + 0); l0_%=: r0 = 0; exit;"); }
#elif CASE == 217 /* sf_ld_ind_index_filled accepted socket: LD_IND's index spilled before a helper call and filled after */
NAKED("socket") { ASM("r6 = r1; r7 = 14; *(u64 *)(r10 - 8) = r7; call %[get_prandom_u32]; r8 = *(u64 *)(r10 - 8); r0 = *(u16 *)skb[r8]; r0 = 0; exit;"); }
#elif CASE == 218 /* tc_sock_alu32_copy_add accepted tc: w1 = w0 of a socket pointer is a scalar (privileged), then incremented */
NAKED("tc") { ASM(SKREAD(sk_lookup_tcp, "w1 = w0; w1 += 1")); }
#elif CASE == 219 /* tc_sock_or refused tc: a bitwise or on a socket pointer */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r7 |= 1; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 220 /* tc_sock_minus_sock accepted tc: one socket pointer subtracted from another gives a scalar (privileged) */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r8 = r0; r8 -= r7; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 221 /* tc_sock_neg accepted tc: negating a socket pointer gives a scalar (privileged) */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r7 = -r7; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 222 /* tc_sock_mov32_copy accepted tc: w7 = w0 of a socket pointer gives a scalar (privileged); the socket still released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; w7 = w0; r1 = r0; call %[sk_release]; r0 = r7; r0 &= 1; exit; l0_%=: r0 = 0; exit;"); }
#elif CASE == 223 /* tc_return_released_socket_copy accepted tc: a copy of the released socket is a scalar: returned as the verdict */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_release]; r0 = r7; exit; l0_%=: r0 = 0; exit;"); }
#elif CASE == 224 /* tc_return_held_socket refused tc: the still-held socket returned as the verdict */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; exit; l0_%=: r0 = 0; exit;"); }
#elif CASE == 225 /* tc_sock_partial_spill refused tc: the socket spilled with a 4-byte store and filled back: its reference is lost */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; *(u32 *)(r10 - 24) = r0; r1 = *(u32 *)(r10 - 24); call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 226 /* tc_sock_as_ctx_arg refused tc: a socket given to bpf_skb_load_bytes as its skb */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; r2 = 0; r3 = r10; r3 += -8; r4 = 4; call %[skb_load_bytes]; r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 227 /* tc_sock_spilled_ref_survives_other_release accepted tc: two sockets, one spilled; releasing the other leaves the spilled one usable */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 24) = r0;" SKL(sk_lookup_udp) "if r0 == 0 goto l1_%=; r1 = r0; call %[sk_release]; l1_%=: r1 = *(u64 *)(r10 - 24); r0 = *(u32 *)(r1 + 4); call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 228 /* tc_sock_spilled_invalid_after_release refused tc: the spilled copy is gone once the socket is released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 24) = r0; r1 = r0; call %[sk_release]; r1 = *(u64 *)(r10 - 24); r0 = *(u32 *)(r1 + 4); l0_%=: r0 = 0; exit;"); }
#elif CASE == 229 /* xdp_lock_in_cb_unlock_in_main refused xdp: a bpf_loop callback takes the lock, main unlocks after the loop */
DEF_LOCK
SUB(cb_lock) { ASM("r1 = *(u64 *)(r2 + 0); call %[spin_lock]; r0 = 0; exit;"); }
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; r6 = r0; *(u64 *)(r10 - 8) = r0; r1 = 1; r2 = cb_lock ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; r1 = r6; call %[spin_unlock]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 230 /* xdp_lock_cb_locks_and_unlocks_twice_loop accepted xdp: a callback visited up to 4 times locks and unlocks its value each time */
DEF_LOCK
SUB(cb_lock) { ASM("r6 = *(u64 *)(r2 + 0); r1 = r6; call %[spin_lock]; r1 = *(u64 *)(r6 + 8); r1 += 1; *(u64 *)(r6 + 8) = r1; r1 = r6; call %[spin_unlock]; r0 = 0; exit;"); }
NAKED("xdp") { ASML(LOOKUP(locks, 0) "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 8) = r0; r1 = 4; r2 = cb_lock ll; r3 = r10; r3 += -8; r4 = 0; call %[loop]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 231 /* tc_sock_alu32_add_in_place refused tc: w0 += 1 on the socket pointer itself, then released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; w0 += 1; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 232 /* tc_sock_neg_then_release refused tc: the negated socket pointer (a scalar now) released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r0 = -r0; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 233 /* tc_return_fullsock_after_release accepted tc: bpf_sk_fullsock's result, a scalar once the socket is released, returned as the verdict */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_fullsock]; r8 = r0; r1 = r7; call %[sk_release]; r0 = r8; exit; l0_%=: r0 = 0; exit;"); }
#elif CASE == 234 /* tc_spilled_socket_overwritten_by_st refused tc: the spilled socket's slot overwritten with an immediate store (ST): leaked */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "*(u64 *)(r10 - 24) = r0; .8byte 0x00000000ffe80a7a; r0 = 0; exit;"); }
#elif CASE == 235 /* xdp_zero_potential_reference refused xdp: the lookup's result overwritten with 0 before any check */
NAKED("xdp") { ASM("r6 = r1;" SKL(sk_lookup_udp) "r0 = 0; exit;"); }
#elif CASE == 236 /* xdp_copy_and_zero_references refused xdp: the lookup and its copy both overwritten */
NAKED("xdp") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "r7 = r0; r0 = 0; r7 = 0; r0 = 2; exit;"); }
#elif CASE == 237 /* tc_release_twice_inside_branch refused tc: released on a branch after a release before it */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "r7 = r0; if r0 == 0 goto l0_%=; r1 = r7; call %[sk_release]; r1 = *(u32 *)(r6 + 0); if r1 > 64 goto l0_%=; r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 238 /* tc_lookup_in_one_packet_branch accepted tc: looked up, checked and released only on the branch where the packet is long enough */
NAKED("tc") { ASM("r6 = r1; r2 = *(u32 *)(r1 + 76); r3 = *(u32 *)(r1 + 80); r2 += 16; if r2 > r3 goto l0_%=;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 239 /* tc_sub_stores_and_releases_caller_slot accepted tc: a subprogram stores its lookup into the caller's stack, then releases it through that slot */
SUB(sub_put_in) { ASM("r6 = r1; r7 = r2;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; *(u64 *)(r7 + 0) = r0; r1 = *(u64 *)(r7 + 0); call %[sk_release]; l0_%=: r0 = 0; exit;"); }
NAKED("tc") { ASM("r2 = r10; r2 += -24; call sub_put_in; r0 = 0; exit;"); }
#elif CASE == 240 /* tc_released_socket_stored_in_map accepted tc: the released socket (a scalar now) stored into a map value */
NAKED("tc") { ASM("r6 = r1;" LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r8 = r0;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_release]; *(u64 *)(r8 + 0) = r7; l0_%=: r0 = 0; exit;"); }
#elif CASE == 241 /* tc_tcp_sock_after_fullsock_release refused tc: the tcp_sock of a fullsock read after the fullsock (the reference) is released */
NAKED("tc") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[sk_fullsock]; if r0 == 0 goto l1_%=; r8 = r0; r1 = r0; call %[tcp_sock]; if r0 == 0 goto l2_%=; r9 = r0; r1 = r8; call %[sk_release]; r0 = *(u32 *)(r9 + 0); r0 = 0; exit; l2_%=: r1 = r8; call %[sk_release]; r0 = 0; exit; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 242 /* tc_sock_after_release_via_tcp_sock refused tc: the socket read after its tcp_sock was released */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; call %[tcp_sock]; if r0 == 0 goto l1_%=; r1 = r0; call %[sk_release]; r0 = *(u32 *)(r7 + 4); r0 = 0; exit; l1_%=: r1 = r7; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 243 /* tc_socket_eq_const_both_walked accepted tc: a checked socket compared with 1234: both branches walked, each releases */
NAKED("tc") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; if r0 == 1234 goto l1_%=; r1 = r0; call %[sk_release]; r0 = 0; exit; l1_%=: r1 = r0; call %[sk_release]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 244 /* tc_sock_common_leak refused tc: bpf_skc_lookup_tcp's reference checked but never released */
NAKED("tc") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r0 = 1; exit; l0_%=: r0 = 0; exit;"); }
#elif CASE == 245 /* xdp_release_sock_common_unchecked refused xdp: bpf_skc_lookup_tcp's result released without a NULL check */
NAKED("xdp") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "r1 = r0; call %[sk_release]; r0 = 2; exit;"); }
#elif CASE == 246 /* xdp_tail_call_after_checked_leak refused xdp: the socket checked, then a tail call still holding it */
NAKED("xdp") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0;" TAIL "r1 = r7; call %[sk_release]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 247 /* xdp_tail_call_on_null_branch accepted xdp: the tail call only where the lookup gave NULL */
NAKED("xdp") { ASM("r6 = r1;" SKL(sk_lookup_tcp) "if r0 != 0 goto l1_%=;" TAIL "r0 = 2; exit; l1_%=: r1 = r0; call %[sk_release]; r0 = 2; exit;"); }
#elif CASE == 248 /* nn_same_reg_ptr_ne_walked refused xdp: if r1 != r1 on a stack pointer: its taken branch (with a bad read) is walked too */
NAKED("xdp") { ASM("r1 = r10; if r1 != r1 goto l1_%=; r0 = 2; exit; l1_%=: r0 = *(u64 *)(r9 + 0); exit;"); }
#elif CASE == 249 /* nn_same_reg_or_null_eq refused xdp: if r0 == r0 on a maybe-NULL value infers nothing: written on the taken branch */
NAKED("xdp") { ASM(LOOKUP(h, 0) "if r0 == r0 goto l1_%=; r0 = 2; exit; l1_%=: r1 = 1; *(u64 *)(r0 + 0) = r1; r0 = 2; exit;"); }
#elif CASE == 250 /* sf_reservation_as_load_bytes_dest accepted socket: bpf_skb_load_bytes into a reserved record, then submitted */
NAKED("socket") { ASM("r6 = r1;" RESERVE "if r0 == 0 goto l0_%=; r7 = r0; r1 = r6; r2 = 0; r3 = r7; r4 = 8; call %[skb_load_bytes];" SUBMIT(r7) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 251 /* sf_reservation_load_bytes_past refused socket: 9 bytes loaded into an 8-byte record */
NAKED("socket") { ASM("r6 = r1;" RESERVE "if r0 == 0 goto l0_%=; r7 = r0; r1 = r6; r2 = 0; r3 = r7; r4 = 9; call %[skb_load_bytes];" SUBMIT(r7) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 252 /* sf_reservation_submit_unknown_flags accepted socket: bpf_ringbuf_submit with flags from a random value */
NAKED("socket") { ASM(RESERVE "if r0 == 0 goto l0_%=; r7 = r0; call %[get_prandom_u32]; r2 = r0; r1 = r7; call %[ringbuf_submit]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 253 /* sf_reservation_compare_two accepted socket: two reservations compared with each other, both submitted */
NAKED("socket") { ASM(RESERVE "if r0 == 0 goto l0_%=; r6 = r0;" RESERVE "if r0 == 0 goto l1_%=; r7 = r0; if r6 == r7 goto l2_%=; l2_%=:" SUBMIT(r7) "l1_%=:" SUBMIT(r6) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 254 /* sf_reservation_maybe_null_vs_other accepted socket: a maybe-NULL reservation equal to a checked one: submitted on that branch */
NAKED("socket") { ASM(RESERVE "if r0 == 0 goto l0_%=; r6 = r0;" RESERVE "r7 = r0; if r7 != r6 goto l1_%=;" SUBMIT(r7) "goto l2_%=; l1_%=: if r7 == 0 goto l2_%=;" SUBMIT(r7) "l2_%=:" SUBMIT(r6) "l0_%=: r0 = 0; exit;"); }
#elif CASE == 255 /* xdp_lookup_tuple_in_packet accepted xdp: bpf_sk_lookup_udp with the tuple in checked packet bytes */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_sock *sk;

	if (data + 14 + 12 > end)
		return XDP_PASS;
	sk = bpf_sk_lookup_udp(ctx, data + 14, 12, BPF_F_CURRENT_NETNS, 0);
	if (sk)
		bpf_sk_release(sk);
	return XDP_PASS;
}
#elif CASE == 256 /* xdp_lookup_tuple_past_packet refused xdp: the tuple's 12 bytes run past the checked 8 */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_sock *sk;

	if (data + 14 + 8 > end)
		return XDP_PASS;
	sk = bpf_sk_lookup_udp(ctx, data + 14, 12, BPF_F_CURRENT_NETNS, 0);
	if (sk)
		bpf_sk_release(sk);
	return XDP_PASS;
}
#elif CASE == 257 /* xdp_check_syncookie_sock_common accepted xdp: bpf_tcp_check_syncookie on bpf_skc_lookup_tcp's sock_common */
NAKED("xdp") { ASM("r6 = r1;" SKL(skc_lookup_tcp) "if r0 == 0 goto l0_%=; r7 = r0; r1 = r0; r2 = r10; r2 += -40; r3 = 20; r4 = r10; r4 += -16; r5 = 16; call %[tcp_check_syncookie]; r1 = r7; call %[sk_release]; l0_%=: r0 = 2; exit;"); }
#elif CASE == 258 /* xdp_release_xsk refused xdp: an XSK map's socket is no reference: releasing it */
struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } xm SEC(".maps");
NAKED("xdp") { asm volatile (LOOKUP(xm, 0) "if r0 == 0 goto l0_%=; r1 = r0; call %[sk_release]; l0_%=: r0 = 2; exit;" :: OPS, ADDR(xm) : "memory"); }
#elif CASE == 259 /* sf_skb_sk_family accepted socket: skb->sk, NULL-checked, its family read */
NAKED("socket") { ASM("r1 = *(u64 *)(r1 + %[sk]); if r1 == 0 goto l0_%=; r0 = *(u32 *)(r1 + 4); l0_%=: r0 = 0; exit;"); }
#elif CASE == 260 /* sf_skb_sk_mark refused socket: skb->sk is a sock_common: no mark */
NAKED("socket") { ASM("r1 = *(u64 *)(r1 + %[sk]); if r1 == 0 goto l0_%=; r0 = *(u32 *)(r1 + 16); l0_%=: r0 = 0; exit;"); }
#elif CASE == 261 /* sf_skb_sk_unchecked refused socket: skb->sk read before its NULL check */
NAKED("socket") { ASM("r1 = *(u64 *)(r1 + %[sk]); r0 = *(u32 *)(r1 + 4); r0 = 0; exit;"); }
#elif CASE == 262 /* sf_skb_sk_u32_load refused socket: skb->sk loaded as 32 bits */
NAKED("socket") { ASM("r1 = *(u32 *)(r1 + %[sk]); r0 = 0; exit;"); }
#elif CASE == 263 /* sf_skc_to_tcp_sock_unchecked refused socket: bpf_skc_to_tcp_sock's result read before its NULL check */
NAKED("socket") { ASM("r1 = *(u64 *)(r1 + %[sk]); if r1 == 0 goto l0_%=; call %[skc_to_tcp_sock]; r0 = *(u32 *)(r0 + 0); l0_%=: r0 = 0; exit;"); }
#elif CASE == 264 /* sf_skc_to_tcp_sock_read accepted socket: bpf_skc_to_tcp_sock's result, NULL-checked, its first word read (BTF) */
NAKED("socket") { ASM("r1 = *(u64 *)(r1 + %[sk]); if r1 == 0 goto l0_%=; call %[skc_to_tcp_sock]; if r0 == 0 goto l0_%=; r0 = *(u32 *)(r0 + 0); l0_%=: r0 = 0; exit;"); }
#elif CASE == 265 /* sf_skc_to_udp6_and_unix accepted socket: bpf_skc_to_udp6_sock and bpf_skc_to_unix_sock of skb->sk */
NAKED("socket") { ASM("r6 = *(u64 *)(r1 + %[sk]); if r6 == 0 goto l0_%=; r1 = r6; call %[skc_to_udp6_sock]; r1 = r6; call %[skc_to_unix_sock]; r1 = r6; call %[skc_to_tcp6_sock]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 266 /* sf_sockmap_lookup_leak refused socket: a sockmap lookup in a socket filter is a reference it cannot release */
struct { __uint(type, BPF_MAP_TYPE_SOCKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } sm SEC(".maps");
NAKED("socket") { asm volatile (LOOKUP(sm, 0) "if r0 == 0 goto l0_%=; r0 = 1; exit; l0_%=: r0 = 0; exit;" :: OPS, ADDR(sm) : "memory"); }
#elif CASE == 267 /* sf_skc_to_tcp_sock_of_ctx refused socket: bpf_skc_to_tcp_sock given the skb */
NAKED("socket") { ASM("call %[skc_to_tcp_sock]; r0 = 0; exit;"); }
#elif CASE == 268 /* sf_ld_abs_two_subprogs_deep accepted socket: LD_ABS two subprograms down: its implicit return goes to the middle one, which returns 0 or 1 */
SUBI(sub_ld) { ASM("r6 = r1; r0 = *(u8 *)skb[12]; r0 = 1; exit;"); }
SUBI(sub_mid) { ASM("call sub_ld; if r0 == 1 goto l0_%=; r0 = 0; l0_%=: exit;"); }
NAKED("socket") { ASM("call sub_mid; if r0 > 1 goto l0_%=; r0 = 0; exit; l0_%=: r0 = *(u64 *)(r9 + 0); exit;"); }
#elif CASE == 269 /* sf_subprog_reserves_then_tail_call refused socket: a subprogram reserves a record and tail calls: its implicit return leaves the record held up to the exit */
SUBI(sub_res_tail) { ASM("r6 = r1;" RESERVE "if r0 == 0 goto l0_%=; r7 = r0;" TAIL SUBMIT(r7) "l0_%=: r0 = 0; exit;"); }
NAKED("socket") { ASM("call sub_res_tail; r0 = 0; exit;"); }
#elif CASE == 270 /* xdp_tail_call_in_subprog_clears_pkt refused xdp: after a subprogram that may tail call, the caller's packet pointer is gone */
SUBI(sub_tail) { ASM("r6 = r1;" TAIL "r0 = 0; exit;"); }
NAKED("xdp") { ASM("r6 = r1; r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r7 = r2; r7 += 1; if r7 > r3 goto l0_%=; r8 = r2; r1 = r6; call sub_tail; r0 = *(u8 *)(r8 + 0); l0_%=: r0 = 2; exit;"); }
#endif
