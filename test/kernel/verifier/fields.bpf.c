/* SPDX-License-Identifier: MIT */
/* Map values' special BTF fields (struct bpf_spin_lock, struct bpf_timer, struct bpf_wq, kptrs):
 * the lock and timer arguments must point exactly at their field, bpf_kptr_xchg at a referenced
 * kptr, and no load, store or helper access may touch a field (a kptr only by an aligned 8-byte
 * load or store). XDP and tc programs may use locks and timers. Written for uxdp. */
#include "verifier.h"

#ifndef __kptr_untrusted
#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))
#endif

/* a complete struct (a kptr's pointee must be one; the kernel takes vmlinux's by its name) */
struct task_struct {
	int pid;
};
struct task_struct fl_task_shape;
/* only declared: a pointer to it tagged __kptr makes the whole value's fields unreadable (none) */
struct fl_opaque;
struct bpf_wq {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

struct lv {
	struct bpf_spin_lock l;
	__u32 pad;
	__u64 cnt;
};
struct tv {
	__u64 hits;
	struct bpf_timer t;
};
struct kv {
	__u64 n;
	struct task_struct __kptr *ref;
	struct task_struct __kptr_untrusted *raw;
};
extern int bpf_wq_init(struct bpf_wq *wq, void *p__map, unsigned int flags) __ksym;

struct fv {
	__u64 n;
	struct fl_opaque __kptr *p;
};
struct wv {
	struct bpf_wq w;
	__u64 n;
};
struct outer {
	__u64 n;
	struct lv in;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lv);
} locks SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tv);
} timers SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} plain SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

#define DEF_KPTR struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct kv); } kptrs SEC(".maps");
#define DEF_FWD struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct fv); } fwds SEC(".maps");
#define DEF_WQ struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct wv); } wqs SEC(".maps");
#define DEF_NESTED struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct outer); } nested SEC(".maps");

#define OPS ADDR(locks), ADDR(timers), ADDR(plain), IMM(map_lookup_elem), IMM(map_update_elem), IMM(spin_lock), IMM(spin_unlock), \
	IMM(timer_init), IMM(kptr_xchg), IMM(get_prandom_u32)
#define ASM(body) asm volatile (body :: OPS : "memory")
/* r0 = bpf_map_lookup_elem(&MAP, &(u32)0), the key at fp-4; l0 exits with 0 when NULL */
#define LOOKUP(map) "r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[" #map "] ll; call %[map_lookup_elem]; if r0 == 0 goto l0_%=;"
#define OUT "l0_%=: r0 = 0; exit;"

#if CASE == 0 /* fl_xdp_spin_lock_counter accepted xdp: bpf_spin_lock around a counter in an array value (allowed outside socket filters) */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct lv *v = bpf_map_lookup_elem(&locks, &k);

	if (!v)
		return XDP_PASS;
	bpf_spin_lock(&v->l);
	v->cnt++;
	bpf_spin_unlock(&v->l);
	return XDP_PASS;
}
#elif CASE == 1 /* fl_tc_lookup_lock_map_read accepted tc: a tc program reads the counter beside a lock without taking it */
SEC("tc") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct lv *v = bpf_map_lookup_elem(&locks, &k);

	return v ? (int)v->cnt : 0;
}
#elif CASE == 2 /* fl_xdp_spin_lock_wrong_offset refused xdp: bpf_spin_lock on the counter, 8 bytes past the lock */
NAKED("xdp") { ASM(LOOKUP(locks) "r1 = r0; r1 += 8; call %[spin_lock];" OUT); }
#elif CASE == 3 /* fl_xdp_spin_lock_variable_offset refused xdp: bpf_spin_lock at a value pointer moved by an unknown amount */
NAKED("xdp") { ASM(LOOKUP(locks) "r6 = r0; call %[get_prandom_u32]; r0 &= 8; r6 += r0; r1 = r6; call %[spin_lock];" OUT); }
#elif CASE == 4 /* fl_xdp_load_spin_lock refused xdp: a direct 4-byte load of the lock word */
NAKED("xdp") { ASM(LOOKUP(locks) "r0 = *(u32 *)(r0 + 0); exit;" OUT); }
#elif CASE == 5 /* fl_tc_store_over_timer refused tc: an 8-byte store that overlaps the struct bpf_timer */
NAKED("tc") { ASM(LOOKUP(timers) "r1 = 0; *(u64 *)(r0 + 12) = r1;" OUT); }
#elif CASE == 6 /* fl_xdp_store_beside_timer accepted xdp: a store to the counter before the timer touches no field */
NAKED("xdp") { ASM(LOOKUP(timers) "r1 = 1; *(u64 *)(r0 + 0) = r1;" OUT); }
#elif CASE == 7 /* fl_xdp_helper_reads_lock_value refused xdp: bpf_map_update_elem given a value holding a spin lock (a helper may not touch it either) */
NAKED("xdp") { ASM(LOOKUP(locks) "r3 = r0; r1 = %[plain] ll; r2 = r10; r2 += -4; r4 = 0; call %[map_update_elem];" OUT); }
#elif CASE == 8 /* fl_xdp_timer_in_lock_map refused xdp: bpf_timer_init on a map whose value has a lock but no timer */
NAKED("xdp") { ASM(LOOKUP(locks) "r1 = r0; r2 = %[locks] ll; r3 = 1; call %[timer_init];" OUT); }
#elif CASE == 9 /* fl_tc_timer_init accepted tc: bpf_timer_init on the timer at offset 8 of an array value */
SEC("tc") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct tv *v = bpf_map_lookup_elem(&timers, &k);

	if (!v)
		return 0;
	return bpf_timer_init(&v->t, &timers, 1) ? 1 : 0;
}
#elif CASE == 10 /* fl_socket_timer_at_value_start refused socket: bpf_timer_init at the value's start, the timer is at 8 */
NAKED("socket") { ASM(LOOKUP(timers) "r1 = r0; r2 = %[timers] ll; r3 = 1; call %[timer_init];" OUT); }
#elif CASE == 11 /* fl_socket_kptr_xchg_wrong_offset refused socket: bpf_kptr_xchg at the value's counter, beside its kptrs */
DEF_KPTR
NAKED("socket") { asm volatile (LOOKUP(kptrs) "r1 = r0; r2 = 0; call %[kptr_xchg];" OUT :: ADDR(kptrs), IMM(map_lookup_elem), IMM(kptr_xchg) : "memory"); }
#elif CASE == 12 /* fl_socket_kptr_xchg_untrusted refused socket: bpf_kptr_xchg on a __kptr_untrusted field (not a referenced kptr) */
DEF_KPTR
NAKED("socket") { asm volatile (LOOKUP(kptrs) "r1 = r0; r1 += 16; r2 = 0; call %[kptr_xchg];" OUT :: ADDR(kptrs), IMM(map_lookup_elem), IMM(kptr_xchg) : "memory"); }
#elif CASE == 13 /* fl_xdp_kptr_load_4_bytes refused xdp: a 4-byte load of a kptr field */
DEF_KPTR
NAKED("xdp") { asm volatile (LOOKUP(kptrs) "r0 = *(u32 *)(r0 + 8); exit;" OUT :: ADDR(kptrs), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 14 /* fl_xdp_kptr_load_misaligned refused xdp: a 4-byte load in the middle of a kptr field */
DEF_KPTR
NAKED("xdp") { asm volatile (LOOKUP(kptrs) "r0 = *(u32 *)(r0 + 12); exit;" OUT :: ADDR(kptrs), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 15 /* fl_tc_kptr_helper_access refused tc: bpf_ringbuf_output reading a whole value that holds kptrs */
DEF_KPTR
NAKED("tc") { asm volatile (LOOKUP(kptrs) "r2 = r0; r1 = %[rb] ll; r3 = 24; r4 = 0; call %[ringbuf_output];" OUT :: ADDR(kptrs), ADDR(rb), IMM(map_lookup_elem), IMM(ringbuf_output) : "memory"); }
#elif CASE == 16 /* fl_xdp_store_over_wq refused xdp: a store into a struct bpf_wq */
DEF_WQ
NAKED("xdp") { asm volatile (LOOKUP(wqs) "r1 = 0; *(u64 *)(r0 + 8) = r1;" OUT :: ADDR(wqs), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 17 /* fl_xdp_nested_lock_store refused xdp: a store into a bpf_spin_lock inside a nested struct */
DEF_NESTED
NAKED("xdp") { asm volatile (LOOKUP(nested) "r1 = 0; *(u32 *)(r0 + 8) = r1;" OUT :: ADDR(nested), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 18 /* fl_xdp_nested_lock_wrong_offset refused xdp: bpf_spin_lock at the value's start, the nested lock is at 8 */
DEF_NESTED
NAKED("xdp") { asm volatile (LOOKUP(nested) "r1 = r0; call %[spin_lock];" OUT :: ADDR(nested), IMM(map_lookup_elem), IMM(spin_lock) : "memory"); }
#elif CASE == 19 /* fl_socket_spin_lock_map_address refused socket: a socket filter that only loads the address of a map whose value holds a lock */
NAKED("socket") { ASM("r1 = %[locks] ll; r0 = 0; exit;"); }
#elif CASE == 20 /* fl_xdp_lock_without_unlock refused xdp: bpf_spin_lock taken and the program exits holding it */
NAKED("xdp") { ASM(LOOKUP(locks) "r1 = r0; call %[spin_lock];" OUT); }
#elif CASE == 21 /* fl_socket_kptr_fwd_pointee refused socket: bpf_kptr_xchg on a __kptr to a struct only declared: the value has no kptr */
DEF_FWD
NAKED("socket") { asm volatile (LOOKUP(fwds) "r1 = r0; r1 += 8; r2 = 0; call %[kptr_xchg];" OUT :: ADDR(fwds), IMM(map_lookup_elem), IMM(kptr_xchg) : "memory"); }
#elif CASE == 22 /* fl_xdp_kptr_load_8_bytes accepted xdp: an aligned 8-byte load of a kptr field, not used */
DEF_KPTR
NAKED("xdp") { asm volatile (LOOKUP(kptrs) "r1 = *(u64 *)(r0 + 8); r0 = 2; exit;" OUT :: ADDR(kptrs), IMM(map_lookup_elem) : "memory"); }
#elif CASE == 23 /* fl_tc_update_from_kptr_value_head accepted tc: bpf_map_update_elem of an 8-byte map from the first 8 bytes of a value holding kptrs after them */
DEF_KPTR
NAKED("tc") { asm volatile (LOOKUP(kptrs) "r3 = r0; r1 = %[plain] ll; r2 = r10; r2 += -4; r4 = 0; call %[map_update_elem];" OUT :: ADDR(kptrs), ADDR(plain), IMM(map_lookup_elem), IMM(map_update_elem) : "memory"); }
#elif CASE == 24 /* fl_xdp_unlock_wrong_offset_unlocked refused xdp: bpf_spin_unlock past the lock with none held: the offset is refused first */
NAKED("xdp") { ASM(LOOKUP(locks) "r1 = r0; r1 += 8; call %[spin_unlock];" OUT); }
#elif CASE == 25 /* fl_tc_unlock_without_lock refused tc: bpf_spin_unlock of the value's lock with none held */
NAKED("tc") { ASM(LOOKUP(locks) "r1 = r0; call %[spin_unlock];" OUT); }
#elif CASE == 26 /* fl_xdp_wq_init accepted xdp: bpf_wq_init on the struct bpf_wq at the start of an array value, with its own map */
DEF_WQ
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct wv *v = bpf_map_lookup_elem(&wqs, &k);

	if (!v)
		return XDP_PASS;
	return bpf_wq_init(&v->w, &wqs, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 27 /* fl_xdp_wq_init_wrong_offset refused xdp: bpf_wq_init on the counter after the struct bpf_wq */
DEF_WQ
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct wv *v = bpf_map_lookup_elem(&wqs, &k);

	if (!v)
		return XDP_PASS;
	return bpf_wq_init((struct bpf_wq *)&v->n, &wqs, 0) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 28 /* fl_tc_wq_init_other_map refused tc: bpf_wq_init given a map other than the workqueue's own */
DEF_WQ
SEC("tc") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct wv *v = bpf_map_lookup_elem(&wqs, &k);

	if (!v)
		return 0;
	return bpf_wq_init(&v->w, &timers, 0) ? 1 : 0;
}
#elif CASE == 29 /* fl_tc_wq_init_stack refused tc: bpf_wq_init on a struct bpf_wq on the stack */
SEC("tc") int prog(struct __sk_buff *skb)
{
	struct bpf_wq w = {};

	return bpf_wq_init(&w, &timers, 0) ? 1 : 0;
}
#endif
