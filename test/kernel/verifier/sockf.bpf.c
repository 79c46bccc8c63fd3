/* SPDX-License-Identifier: MIT */
/* Socket filters (SEC("socket"), loaded privileged): the generic helpers and kfuncs they may call
 * (skb loads, socket cookie/uid, perf output with the skb, spin locks, timers, ring buffers and
 * their dynptrs, dynptrs from memory and from the skb, bpf_loop, bpf_for_each_map_elem, open-coded
 * number iterators, strncmp, maps of maps, tail calls), global data (.data, .bss, .rodata whose
 * constant loads are known values), static and global subprograms, the bounds the verifier must
 * learn before an index is used, and stack patterns (zeroed structs, copies, variable-offset
 * accesses, spilled pointers across calls). Written for uxdp. */
#include "verifier.h"

#define GLOBAL __attribute__((noinline))
#define STATIC static __attribute__((noinline))

struct pair {
	__u32 a;
	__u32 b;
};
struct lv {
	struct bpf_spin_lock l;
	__u64 cnt;
};
struct tv {
	struct bpf_timer t;
	__u64 hits;
};

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
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[64]);
} big SEC(".maps");
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
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pe SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} pa SEC(".maps");

/* maps only some cases define (inside their case) */
#define DEF_LOCK struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct lv); } locks SEC(".maps");
#define DEF_TIMER struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct tv); } timers SEC(".maps");
#define DEF_AOM struct inner_map { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } inner SEC(".maps"); \
	struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 1); __type(key, __u32); __array(values, struct inner_map); } mm SEC(".maps") = { .values = { [0] = &inner } };

struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)));
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;
extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;

#define SO(f) OFF(f, struct __sk_buff, f)
#define OPS ADDR(h), ADDR(a), ADDR(big), ADDR(rb), ADDR(pe), ADDR(pa), IMM(map_lookup_elem), IMM(get_prandom_u32), IMM(ktime_get_ns), IMM(skb_load_bytes), \
	IMM(ringbuf_output), IMM(ringbuf_reserve), IMM(ringbuf_submit), IMM(kptr_xchg), IMM(get_smp_processor_id), IMM(tail_call), SO(len), SO(mark), SO(cb)
#define ASM(body) asm volatile (body :: OPS : "memory")

/* r0 = bpf_map_lookup_elem(&MAP, &(u32)KEY), the key at fp-4 */
#define LOOKUP(map, key) "r1 = " #key "; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[" #map "] ll; call %[map_lookup_elem];"
/* r6 = a random u32 (upper half zero); r6 = a 64-bit unknown */
#define RND "call %[get_prandom_u32]; r6 = r0;"
#define KT "call %[ktime_get_ns]; r6 = r0;"
#define RND32 "call %[get_prandom_u32]; w6 = w0;"
/* a byte store at a's 16-byte value + r6 (big's 64-byte value for USE64); l1 skips it */
#define USE16 LOOKUP(a, 0) "if r0 == 0 goto l1_%=; r0 += r6; r1 = 1; *(u8 *)(r0 + 0) = r1; l1_%=: r0 = 0; exit;"
#define USE64 LOOKUP(big, 0) "if r0 == 0 goto l1_%=; r0 += r6; r1 = 1; *(u8 *)(r0 + 0) = r1; l1_%=: r0 = 0; exit;"

/* ---- skb helpers ---- */
#if CASE == 0 /* sf_load_bytes_stack accepted socket: bpf_skb_load_bytes of 8 bytes into the stack, then read back */
NAKED("socket") { ASM("r2 = 0; r3 = r10; r3 += -8; r4 = 8; call %[skb_load_bytes]; if r0 != 0 goto l0_%=; r0 = *(u64 *)(r10 - 8); exit; l0_%=: r0 = 0; exit;"); }
#elif CASE == 1 /* sf_load_bytes_len_1_to_8 accepted socket: a length masked to 0..7 plus one (never zero) into an 8-byte buffer */
NAKED("socket") { ASM("r6 = r1; call %[get_prandom_u32]; r1 = r6; r2 = 0; r3 = r10; r3 += -8; r4 = r0; r4 &= 7; r4 += 1; call %[skb_load_bytes]; r0 = 0; exit;"); }
#elif CASE == 2 /* sf_load_bytes_len_maybe_zero refused socket: a length masked to 0..7: zero is possible */
NAKED("socket") { ASM("r6 = r1; call %[get_prandom_u32]; r1 = r6; r2 = 0; r3 = r10; r3 += -8; r4 = r0; r4 &= 7; call %[skb_load_bytes]; r0 = 0; exit;"); }
#elif CASE == 3 /* sf_load_bytes_past_buffer refused socket: 16 bytes into an 8-byte stack buffer */
NAKED("socket") { ASM("r2 = 0; r3 = r10; r3 += -8; r4 = 16; call %[skb_load_bytes]; r0 = 0; exit;"); }
#elif CASE == 4 /* sf_load_bytes_map_value accepted socket: bpf_skb_load_bytes straight into a 16-byte map value */
NAKED("socket") { ASM("r6 = r1;" LOOKUP(a, 1) "if r0 == 0 goto l0_%=; r1 = r6; r2 = 14; r3 = r0; r4 = 16; call %[skb_load_bytes]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 5 /* sf_load_bytes_map_value_offset_overflow refused socket: 8 bytes at value + 12 of a 16-byte value */
NAKED("socket") { ASM("r6 = r1;" LOOKUP(a, 1) "if r0 == 0 goto l0_%=; r1 = r6; r2 = 14; r3 = r0; r3 += 12; r4 = 8; call %[skb_load_bytes]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 6 /* sf_cookie_uid accepted socket: socket cookie and uid of the skb combined */
SEC("socket") int prog(struct __sk_buff *skb) { return (bpf_get_socket_cookie(skb) ^ bpf_get_socket_uid(skb)) & 1 ? skb->len : 0; }
#elif CASE == 7 /* sf_perf_output_skb_payload accepted socket: bpf_perf_event_output with the skb as ctx, 64 packet bytes appended in the flags */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 meta[2] = { skb->len, skb->protocol };

	bpf_perf_event_output(skb, &pe, BPF_F_CURRENT_CPU | (64ULL << 32), meta, sizeof(meta));
	return 0;
}
#elif CASE == 8 /* sf_perf_output_half_written accepted socket: perf output of 16 stack bytes with only 8 written (root may read unwritten stack) */
NAKED("socket") { asm volatile ("r2 = 0; *(u64 *)(r10 - 16) = r2; r2 = %[pe] ll; r3 = 0xffffffff ll; r4 = r10; r4 += -16; r5 = 16; call %[perf_event_output]; r0 = 0; exit;" :: ADDR(pe), IMM(perf_event_output) : "memory"); }
#elif CASE == 9 /* sf_ctx_cb_roundtrip accepted socket: a socket filter writes skb->cb[0] and reads it back */
SEC("socket") int prog(struct __sk_buff *skb)
{
	skb->cb[0] = skb->len;
	return skb->cb[0] > 64 ? 0 : -1;
}
#elif CASE == 10 /* sf_ctx_write_mark refused socket: a socket filter may not write skb->mark */
NAKED("socket") { ASM("r2 = 1; *(u32 *)(r1 + %[mark]) = r2; r0 = 0; exit;"); }
/* ---- smp id, strncmp, tail call, map in map ---- */
#elif CASE == 11 /* sf_cpu_id_masked_index accepted socket: bpf_get_smp_processor_id masked to 0..3 indexes a .bss array */
__u64 per_cpu_hits[4];
SEC("socket") int prog(struct __sk_buff *skb) { per_cpu_hits[bpf_get_smp_processor_id() & 3]++; return 0; }
#elif CASE == 12 /* sf_cpu_id_below_nr_cpus accepted socket: the raw CPU number (known below nr_cpu_ids) indexes a 4096-slot .bss array */
__u64 slots4[4096];
NAKED("socket") { asm volatile ("call %[get_smp_processor_id]; r0 <<= 3; r1 = %[slots4] ll; r1 += r0; r2 = 1; *(u64 *)(r1 + 0) = r2; r0 = 0; exit;" :: IMM(get_smp_processor_id), ADDR(slots4) : "memory"); }
#elif CASE == 13 /* sf_strncmp_literal accepted socket: bpf_strncmp of packet bytes against a .rodata string */
static const char want[] = "GET";
SEC("socket") int prog(struct __sk_buff *skb)
{
	char buf[4] = {};

	if (bpf_skb_load_bytes(skb, 0, buf, 3))
		return 0;
	return bpf_strncmp(buf, sizeof(buf), want) == 0 ? -1 : 0;
}
#elif CASE == 14 /* sf_strncmp_stack_string refused socket: bpf_strncmp's constant string on the stack */
SEC("socket") int prog(struct __sk_buff *skb)
{
	char buf[4] = { (char)skb->len, 'E', 'T', 0 };
	char lit[4] = { 'G', 'E', 'T', 0 };

	return bpf_strncmp(buf, sizeof(buf), lit) == 0 ? -1 : 0;
}
#elif CASE == 15 /* sf_tail_call_then_fallthrough accepted socket: bpf_tail_call with the skb into a prog array, then the fallthrough path */
SEC("socket") int prog(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &pa, skb->len & 3);
	return 0;
}
#elif CASE == 16 /* sf_tail_call_stack_ctx refused socket: bpf_tail_call with a stack pointer as the context */
NAKED("socket") { ASM("r1 = r10; r1 += -8; r2 = %[pa] ll; r3 = 0; call %[tail_call]; r0 = 0; exit;"); }
#elif CASE == 17 /* sf_map_in_map accepted socket: an array of maps looked up, then its inner array, each checked for NULL */
DEF_AOM
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	void *in = bpf_map_lookup_elem(&mm, &k);
	__u64 *v;

	if (!in)
		return 0;
	v = bpf_map_lookup_elem(in, &k);
	if (!v)
		return 0;
	*v += skb->len;
	return 0;
}
#elif CASE == 18 /* sf_map_in_map_inner_unchecked refused socket: the inner map's value at an unknown key used without a NULL check */
DEF_AOM
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	void *in = bpf_map_lookup_elem(&mm, &k);
	__u64 *v;

	if (!in)
		return 0;
	k = skb->len;
	v = bpf_map_lookup_elem(in, &k);
	*(volatile __u64 *)v = skb->len;
	return 0;
}
/* ---- spin locks, timers, kptr ---- */
#elif CASE == 19 /* sf_spin_lock_counter refused socket: bpf_spin_lock around a counter: socket filters may not use bpf_spin_lock */
DEF_LOCK
SEC("socket") int prog(struct __sk_buff *skb)
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
#elif CASE == 22 /* sf_spin_lock_map_without_lock refused socket: bpf_spin_lock on a map value that has no struct bpf_spin_lock */
NAKED("socket") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r1 = r0; call %[spin_lock]; l0_%=: r0 = 0; exit;" :: ADDR(h), IMM(map_lookup_elem), IMM(spin_lock) : "memory"); }
#elif CASE == 25 /* sf_timer_start accepted socket: bpf_timer_init, set_callback (counting hits in its value) and start from a socket filter */
DEF_TIMER
static int tick(void *map, __u32 *key, struct tv *v)
{
	v->hits++;
	return 0;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct tv *v = bpf_map_lookup_elem(&timers, &k);

	if (!v)
		return 0;
	bpf_timer_init(&v->t, &timers, 1 /* CLOCK_MONOTONIC */);
	bpf_timer_set_callback(&v->t, tick);
	bpf_timer_start(&v->t, 1000, 0);
	return 0;
}
#elif CASE == 26 /* sf_timer_init_other_map refused socket: bpf_timer_init given a map other than the timer's own */
DEF_TIMER
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct tv *v = bpf_map_lookup_elem(&timers, &k);

	if (!v)
		return 0;
	return bpf_timer_init(&v->t, &a, 1) ? 1 : 0;
}
#elif CASE == 27 /* sf_timer_wrong_offset refused socket: bpf_timer_init on the value's counter, not its struct bpf_timer */
DEF_TIMER
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct tv *v = bpf_map_lookup_elem(&timers, &k);

	if (!v)
		return 0;
	return bpf_timer_init((struct bpf_timer *)&v->hits, &timers, 1) ? 1 : 0;
}
#elif CASE == 28 /* sf_kptr_xchg_plain_field refused socket: bpf_kptr_xchg on a map value field that is no kptr */
NAKED("socket") { ASM(LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; call %[kptr_xchg]; l0_%=: r0 = 0; exit;"); }
/* ---- ring buffers and dynptrs ---- */
#elif CASE == 29 /* sf_ringbuf_output_header accepted socket: 14 loaded bytes (in a zeroed 16-byte buffer) sent with bpf_ringbuf_output */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u8 eth[16] = {};

	bpf_skb_load_bytes(skb, 0, eth, 14);
	bpf_ringbuf_output(&rb, eth, sizeof(eth), 0);
	return 0;
}
#elif CASE == 30 /* sf_ringbuf_reserve_submit accepted socket: reserve 16 bytes, fill them, submit */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 *r = bpf_ringbuf_reserve(&rb, 16, 0);

	if (!r)
		return 0;
	r[0] = skb->len;
	r[1] = bpf_get_socket_cookie(skb);
	bpf_ringbuf_submit(r, 0);
	return 0;
}
#elif CASE == 31 /* sf_ringbuf_reserve_leak refused socket: a reserved record neither submitted nor discarded on one path */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 *r = bpf_ringbuf_reserve(&rb, 16, 0);

	if (!r)
		return 0;
	r[0] = skb->len;
	if (skb->len > 100)
		return 1;
	bpf_ringbuf_submit(r, 0);
	return 0;
}
#elif CASE == 32 /* sf_ringbuf_reserve_write_past refused socket: a store at offset 16 of a 16-byte record */
NAKED("socket") { ASM("r1 = %[rb] ll; r2 = 16; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r1 = 0; *(u64 *)(r0 + 16) = r1; r1 = r0; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 33 /* sf_ringbuf_reserve_unknown_size refused socket: bpf_ringbuf_reserve with a size that is not a constant */
NAKED("socket") { ASM("r6 = r1; r2 = *(u32 *)(r6 + %[len]); r2 &= 63; r1 = %[rb] ll; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 34 /* sf_ringbuf_submit_twice refused socket: the same record submitted twice */
NAKED("socket") { ASM("r1 = %[rb] ll; r2 = 8; r3 = 0; call %[ringbuf_reserve]; if r0 == 0 goto l0_%=; r6 = r0; r1 = r6; r2 = 0; call %[ringbuf_submit]; r1 = r6; r2 = 0; call %[ringbuf_submit]; l0_%=: r0 = 0; exit;"); }
#elif CASE == 35 /* sf_ringbuf_dynptr_write_submit accepted socket: a ringbuf dynptr written with bpf_dynptr_write, then submitted */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u32 len = skb->len;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	bpf_dynptr_write(&d, 0, &len, sizeof(len), 0);
	bpf_ringbuf_submit_dynptr(&d, 0);
	return 0;
}
#elif CASE == 36 /* sf_ringbuf_dynptr_failed_not_released refused socket: a failed bpf_ringbuf_reserve_dynptr still has to be discarded */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	if (bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d))
		return 0;
	bpf_ringbuf_submit_dynptr(&d, 0);
	return 0;
}
#elif CASE == 37 /* sf_ringbuf_dynptr_data_used accepted socket: bpf_dynptr_data of a ringbuf dynptr, NULL-checked, written, then discarded */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u32 *p;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	p = bpf_dynptr_data(&d, 4, 4);
	if (p)
		*p = skb->len;
	bpf_ringbuf_discard_dynptr(&d, 0);
	return 0;
}
#elif CASE == 38 /* sf_dynptr_from_stack_read refused socket: bpf_dynptr_from_mem over a stack buffer (only map values are taken) */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u8 buf[16] = {};
	__u32 out = 0;
	struct bpf_dynptr d;

	bpf_skb_load_bytes(skb, 0, buf, sizeof(buf));
	bpf_dynptr_from_mem(buf, sizeof(buf), 0, &d);
	bpf_dynptr_read(&out, sizeof(out), &d, 12, 0);
	return out;
}
#elif CASE == 39 /* sf_dynptr_from_map_value_data accepted socket: bpf_dynptr_from_mem over a map value; bpf_dynptr_data NULL-checked */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u8 *v = bpf_map_lookup_elem(&a, &k);
	struct bpf_dynptr d;
	__u8 *p;

	if (!v)
		return 0;
	bpf_dynptr_from_mem(v, 16, 0, &d);
	p = bpf_dynptr_data(&d, 8, 8);
	if (!p)
		return 0;
	p[7] = 1;
	return p[0];
}
#elif CASE == 40 /* sf_dynptr_data_unchecked refused socket: bpf_dynptr_data's result (a map value dynptr) used without a NULL check */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u8 *v = bpf_map_lookup_elem(&a, &k);
	struct bpf_dynptr d;
	volatile __u8 *p;

	if (!v)
		return 0;
	bpf_dynptr_from_mem(v, 16, 0, &d);
	p = bpf_dynptr_data(&d, 0, 4);
	return p[1];
}
#elif CASE == 41 /* sf_dynptr_from_mem_size_past refused socket: bpf_dynptr_from_mem claiming 32 bytes of a 16-byte map value */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u8 *v = bpf_map_lookup_elem(&a, &k);
	__u32 out = 0;
	struct bpf_dynptr d;

	if (!v)
		return 0;
	bpf_dynptr_from_mem(v, 32, 0, &d);
	bpf_dynptr_read(&out, sizeof(out), &d, 0, 0);
	return out;
}
#elif CASE == 42 /* sf_dynptr_from_skb_slice accepted socket: bpf_dynptr_from_skb in a socket filter, a 4-byte slice with a stack buffer */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u8 buf[4];
	__u8 *p;

	if (bpf_dynptr_from_skb(skb, 0, &d))
		return 0;
	p = bpf_dynptr_slice(&d, 12, buf, sizeof(buf));
	if (!p)
		return 0;
	return p[0] == 0x08 ? -1 : 0;
}
#elif CASE == 43 /* sf_dynptr_from_skb_write accepted socket: bpf_dynptr_write into an skb dynptr (only refused when it runs) */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u32 z = 0;

	bpf_dynptr_from_skb(skb, 0, &d);
	return bpf_dynptr_write(&d, 0, &z, sizeof(z), 0) ? 0 : -1;
}
#elif CASE == 44 /* sf_dynptr_skb_slice_past_end refused socket: a 4-byte slice read at byte 4 */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u8 buf[4];
	volatile __u8 *p;

	bpf_dynptr_from_skb(skb, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return 0;
	return p[4];
}
/* ---- callbacks and iterators ---- */
#elif CASE == 45 /* sf_loop_sums_into_ctx accepted socket: bpf_loop adds each index into a stack struct */
struct acc { __u64 sum; __u32 n; };
static int add_one(__u32 i, struct acc *c)
{
	c->sum += i;
	c->n++;
	return 0;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct acc c = {};

	bpf_loop(skb->len & 63, add_one, &c, 0);
	return c.sum > 100 ? -1 : 0;
}
#elif CASE == 46 /* sf_loop_cb_returns_2 refused socket: a bpf_loop callback returning 2 */
static int bad_ret(__u32 i, void *c) { return 2; }
SEC("socket") int prog(struct __sk_buff *skb) { return bpf_loop(4, bad_ret, 0, 0); }
#elif CASE == 47 /* sf_for_each_counts accepted socket: bpf_for_each_map_elem counting the array's elements in the caller's stack */
static int count(void *map, __u32 *key, __u8 *val, __u64 *n)
{
	*n += val[0];
	return 0;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 n = 0;

	bpf_for_each_map_elem(&a, count, &n, 0);
	return n > 5 ? -1 : 0;
}
#elif CASE == 48 /* sf_for_each_value_past_end refused socket: the callback reads byte 16 of a 16-byte value */
static int peek16(void *map, __u32 *key, __u8 *val, __u64 *n)
{
	*n += *(volatile __u8 *)(val + 16);
	return 0;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 n = 0;

	bpf_for_each_map_elem(&a, peek16, &n, 0);
	return n ? -1 : 0;
}
#elif CASE == 49 /* sf_iter_num_checked_index accepted socket: bpf_iter_num over 0..4, each value checked below 4 before indexing */
__u64 buckets[4];
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	int *v;

	bpf_iter_num_new(&it, 0, 4);
	while ((v = bpf_iter_num_next(&it))) {
		__u32 i = *v;

		if (i < 4)
			buckets[i] += skb->len;
	}
	bpf_iter_num_destroy(&it);
	return 0;
}
#elif CASE == 50 /* sf_iter_num_unchecked_index refused socket: bpf_iter_num's values are not bounded by its range: one indexes a 4-slot array unchecked */
__u64 buckets[4];
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	int *v;

	bpf_iter_num_new(&it, 0, 4);
	while ((v = bpf_iter_num_next(&it)))
		buckets[*v] += skb->len;
	bpf_iter_num_destroy(&it);
	return 0;
}
#elif CASE == 51 /* sf_iter_num_not_destroyed refused socket: a bpf_iter_num created and never destroyed */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	int *v, s = 0;

	bpf_iter_num_new(&it, 0, 3);
	while ((v = bpf_iter_num_next(&it)))
		s += *v;
	return s;
}
/* ---- global data ---- */
#elif CASE == 52 /* sf_rodata_limit_known accepted socket: a const volatile limit of 4 in .rodata bounds an index into a 4-slot .bss array */
const volatile __u32 lim = 4;
__u64 tab[4];
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 i = bpf_get_prandom_u32();

	if (i < lim)
		tab[i]++;
	return 0;
}
#elif CASE == 53 /* sf_rodata_limit_too_big refused socket: the .rodata limit is 5 for a 4-slot array */
const volatile __u32 lim = 5;
__u64 tab[4];
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 i = bpf_get_prandom_u32();

	if (i < lim)
		tab[i]++;
	return 0;
}
#elif CASE == 54 /* sf_data_limit_unknown refused socket: the same limit in writable .data is not a known value */
volatile __u32 lim = 4;
__u64 tab[4];
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 i = bpf_get_prandom_u32();

	if (i < lim)
		tab[i]++;
	return 0;
}
#elif CASE == 55 /* sf_rodata_mask_known accepted socket: a .rodata mask of 7 bounds an index into an 8-slot array */
const volatile __u32 mask = 7;
__u32 tab[8];
SEC("socket") int prog(struct __sk_buff *skb)
{
	tab[skb->len & mask] = 1;
	return 0;
}
#elif CASE == 56 /* sf_bss_unbounded_index refused socket: skb->len indexes a .bss array */
__u32 tab[8];
SEC("socket") int prog(struct __sk_buff *skb)
{
	tab[skb->len] = 1;
	return 0;
}
#elif CASE == 57 /* sf_bss_buffer_to_load_bytes accepted socket: a .bss buffer as bpf_skb_load_bytes's destination */
__u8 hdr[20];
SEC("socket") int prog(struct __sk_buff *skb)
{
	if (bpf_skb_load_bytes(skb, 0, hdr, sizeof(hdr)))
		return 0;
	return hdr[12] == 0x08 ? -1 : 0;
}
#elif CASE == 58 /* sf_bss_buffer_overflow refused socket: 20 bytes loaded at the 8th byte of a 20-byte .bss buffer */
__u8 hdr[20];
SEC("socket") int prog(struct __sk_buff *skb)
{
	return bpf_skb_load_bytes(skb, 0, hdr + 8, 20) ? 0 : -1;
}
#elif CASE == 59 /* sf_rodata_store refused socket: a store into .rodata through a cast */
const volatile __u32 lim = 4;
SEC("socket") int prog(struct __sk_buff *skb)
{
	*(volatile __u32 *)&lim = skb->len;
	return 0;
}
#elif CASE == 60 /* sf_data_struct_to_ringbuf accepted socket: a .data struct updated then sent whole with bpf_ringbuf_output */
struct stats { __u64 pkts; __u64 bytes; } st = { 1, 0 };
SEC("socket") int prog(struct __sk_buff *skb)
{
	st.pkts++;
	st.bytes += skb->len;
	bpf_ringbuf_output(&rb, &st, sizeof(st), 0);
	return 0;
}
/* ---- subprograms ---- */
#elif CASE == 61 /* sf_static_sub_index accepted socket: a static subprogram's x & 3 return is tracked: it indexes a 4-slot array */
__u64 tab[4];
STATIC __u32 pick(__u32 x) { return x & 3; }
SEC("socket") int prog(struct __sk_buff *skb)
{
	tab[pick(skb->len)]++;
	return 0;
}
#elif CASE == 62 /* sf_global_sub_index refused socket: the same function global: its caller sees any scalar */
__u64 tab[4];
GLOBAL __u32 pick(__u32 x) { return x & 3; }
SEC("socket") int prog(struct __sk_buff *skb)
{
	tab[pick(skb->len)]++;
	return 0;
}
#elif CASE == 63 /* sf_global_sub_ctx accepted socket: a global function given the skb reads its length and loads bytes */
GLOBAL int first(struct __sk_buff *s)
{
	__u8 b = 0;

	if (s->len < 1)
		return 0;
	bpf_skb_load_bytes(s, 0, &b, 1);
	return b;
}
SEC("socket") int prog(struct __sk_buff *skb) { return first(skb) == 0x45 ? -1 : 0; }
#elif CASE == 64 /* sf_global_sub_ptr_unchecked refused socket: a global function dereferences its pointer argument without a NULL check */
GLOBAL int deref(__u32 *p) { return *p + 1; }
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 x = skb->len;

	return deref(&x);
}
#elif CASE == 65 /* sf_global_sub_ptr_checked accepted socket: the global function checks its pointer first; called with a stack and a map value pointer */
GLOBAL int sum(struct pair *p) { return p ? p->a + p->b : 0; }
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct pair s = { skb->len, 1 };
	__u32 k = 0;
	struct pair *v = bpf_map_lookup_elem(&pairs, &k);

	return sum(&s) + (v ? sum(v) : 0);
}
#elif CASE == 66 /* sf_static_sub_two_pointer_kinds accepted socket: one static subprogram writing through a stack pointer and, elsewhere, a map value pointer */
STATIC void bump(__u64 *p, __u64 by) { *p += by; }
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 local = 0;
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&h, &k);

	bump(&local, skb->len);
	if (v)
		bump(v, local);
	return local & 1;
}
#elif CASE == 67 /* sf_static_sub_writes_caller_stack accepted socket: a static subprogram fills the caller's buffer, which the caller then reads */
STATIC void fill(__u64 *b, __u64 x)
{
	b[0] = x;
	b[1] = x + 1;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 b[2];

	fill(b, skb->len);
	return b[0] + b[1] > 10;
}
#elif CASE == 68 /* sf_sub_reads_unwritten_caller_slot accepted socket: a subprogram reads a caller stack slot never written (root may) */
SUB(rd) { asm volatile ("r0 = *(u64 *)(r1 + 0); exit;" ::: "memory"); }
NAKED("socket") { asm volatile ("r1 = r10; r1 += -8; call rd; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 69 /* sf_call_chain_8_frames accepted socket: main and seven nested subprograms (eight frames) */
SUB(c7) { asm volatile ("r0 = 1; exit;"); }
SUB(c6) { asm volatile ("call c7; exit;"); }
SUB(c5) { asm volatile ("call c6; exit;"); }
SUB(c4) { asm volatile ("call c5; exit;"); }
SUB(c3) { asm volatile ("call c4; exit;"); }
SUB(c2) { asm volatile ("call c3; exit;"); }
SUB(c1) { asm volatile ("call c2; exit;"); }
NAKED("socket") { asm volatile ("call c1; exit;"); }
#elif CASE == 70 /* sf_call_chain_9_frames refused socket: main and eight nested subprograms: nine frames */
SUB(c8) { asm volatile ("r0 = 1; exit;"); }
SUB(c7) { asm volatile ("call c8; exit;"); }
SUB(c6) { asm volatile ("call c7; exit;"); }
SUB(c5) { asm volatile ("call c6; exit;"); }
SUB(c4) { asm volatile ("call c5; exit;"); }
SUB(c3) { asm volatile ("call c4; exit;"); }
SUB(c2) { asm volatile ("call c3; exit;"); }
SUB(c1) { asm volatile ("call c2; exit;"); }
NAKED("socket") { asm volatile ("call c1; exit;"); }
#elif CASE == 71 /* sf_mutual_recursion refused socket: two subprograms calling each other */
SUB(ping) { asm volatile ("if r1 == 0 goto l0_%=; r1 += -1; call pong; l0_%=: r0 = 0; exit;" ::: "memory"); }
SUB(pong) { asm volatile ("call ping; exit;" ::: "memory"); }
NAKED("socket") { asm volatile ("r1 = 3; call ping; exit;" ::: "memory"); }
#elif CASE == 72 /* sf_frames_over_512 refused socket: a 320-byte main frame calling a subprogram with a 256-byte frame */
SUB(deep) { asm volatile ("r1 = 0; *(u64 *)(r10 - 256) = r1; r0 = 0; exit;" ::: "memory"); }
NAKED("socket") { asm volatile ("r1 = 0; *(u64 *)(r10 - 320) = r1; call deep; exit;" ::: "memory"); }
/* ---- bounds ---- */
#elif CASE == 73 /* sf_and_15 accepted socket: an unknown masked with 15 indexes a 16-byte value */
NAKED("socket") { ASM(RND "r6 &= 15;" USE16); }
#elif CASE == 74 /* sf_and_31 refused socket: masked with 31 for a 16-byte value */
NAKED("socket") { ASM(RND "r6 &= 31;" USE16); }
#elif CASE == 75 /* sf_jge_imm accepted socket: the index used only when below 16 */
NAKED("socket") { ASM(RND "if r6 >= 16 goto l1_%=;" USE16); }
#elif CASE == 76 /* sf_jgt_imm_off_by_one refused socket: the index used when at most 16 */
NAKED("socket") { ASM(RND "if r6 > 16 goto l1_%=;" USE16); }
#elif CASE == 77 /* sf_jmp32_on_u32 accepted socket: a 32-bit comparison bounds a value whose upper half is known zero (w6 = w0) */
NAKED("socket") { ASM(RND32 "if w6 >= 16 goto l1_%=;" USE16); }
#elif CASE == 78 /* sf_jmp32_on_u64 refused socket: a 32-bit comparison leaves a 64-bit unknown's upper half unknown */
NAKED("socket") { ASM(KT "if w6 >= 16 goto l1_%=;" USE16); }
#elif CASE == 79 /* sf_mov32_then_jmp32 accepted socket: w6 = w6 zero-extends, then the 32-bit comparison bounds all 64 bits */
NAKED("socket") { ASM(KT "w6 = w6; if w6 >= 16 goto l1_%=;" USE16); }
#elif CASE == 80 /* sf_signed_upper_only refused socket: a signed upper bound leaves negative values */
NAKED("socket") { ASM(KT "if r6 s>= 16 goto l1_%=;" USE16); }
#elif CASE == 81 /* sf_signed_both_ends accepted socket: signed bounds on both ends */
NAKED("socket") { ASM(KT "if r6 s>= 16 goto l1_%=; if r6 s< 0 goto l1_%=;" USE16); }
#elif CASE == 82 /* sf_signed_on_u32 accepted socket: one signed bound on a value known non-negative (a u32 from w6 = w0) */
NAKED("socket") { ASM(RND32 "if r6 s> 15 goto l1_%=;" USE16); }
#elif CASE == 83 /* sf_cmp_reg_const accepted socket: compared with a register holding 16 */
NAKED("socket") { ASM(RND "r7 = 16; if r6 >= r7 goto l1_%=;" USE16); }
#elif CASE == 84 /* sf_cmp_reg_const_swapped accepted socket: the constant register on the left (if 16 <= r6) */
NAKED("socket") { ASM(RND "r7 = 16; if r7 <= r6 goto l1_%=;" USE16); }
#elif CASE == 85 /* sf_lt_two_unknowns accepted socket: r6 < r7 with r7 at most 15 bounds r6 */
NAKED("socket") { ASM(RND "call %[get_prandom_u32]; r7 = r0; r7 &= 15; if r6 >= r7 goto l1_%=;" USE16); }
#elif CASE == 86 /* sf_lt_two_unknowns_other_branch refused socket: used on the r6 >= r7 branch */
NAKED("socket") { ASM(RND "call %[get_prandom_u32]; r7 = r0; r7 &= 15; if r6 < r7 goto l1_%=;" USE16); }
#elif CASE == 87 /* sf_lt_two_unknowns_jmp32 accepted socket: w6 < w7 on 32-bit values with w7 at most 15, w6's upper half zero */
NAKED("socket") { ASM(RND32 "call %[get_prandom_u32]; r7 = r0; r7 &= 15; if w6 >= w7 goto l1_%=;" USE16); }
#elif CASE == 88 /* sf_clamp_chain accepted socket: clamped to 10..73 by two branches, minus 10, indexes a 64-byte value */
NAKED("socket") { ASM(RND "if r6 <= 73 goto l2_%=; r6 = 73; l2_%=: if r6 >= 10 goto l3_%=; r6 = 10; l3_%=: r6 += -10;" USE64); }
#elif CASE == 89 /* sf_alu32_sub_wraps refused socket: (w & 15) - 1 in 32 bits wraps to 0xffffffff */
NAKED("socket") { ASM(RND "w6 &= 15; w6 += -1;" USE16); }
#elif CASE == 90 /* sf_rsh_60 accepted socket: a 64-bit unknown shifted right by 60 */
NAKED("socket") { ASM(KT "r6 >>= 60;" USE16); }
#elif CASE == 91 /* sf_rsh_59 refused socket: shifted right by 59 is up to 31 */
NAKED("socket") { ASM(KT "r6 >>= 59;" USE16); }
#elif CASE == 92 /* sf_arsh_60 refused socket: an arithmetic shift by 60 keeps the sign: -8..7 */
NAKED("socket") { ASM(KT "r6 s>>= 60;" USE16); }
#elif CASE == 93 /* sf_mov32_rsh_28 accepted socket: w6 = w6 then >> 28 is at most 15 */
NAKED("socket") { ASM(KT "w6 = w6; r6 >>= 28;" USE16); }
#elif CASE == 94 /* sf_div_const refused socket: a division by 16 of a byte (no range tracked through division) */
NAKED("socket") { ASM(RND "r6 &= 255; r6 /= 16;" USE16); }
#elif CASE == 95 /* sf_mod_const refused socket: an unknown modulo 16 (no range tracked through modulo) */
NAKED("socket") { ASM(RND ".8byte 0x0000001000000697;" USE16); }
#elif CASE == 96 /* sf_mul_masked accepted socket: (x & 3) * 4 at most 12 */
NAKED("socket") { ASM(RND "r6 &= 3; r6 *= 4;" USE16); }
#elif CASE == 97 /* sf_or_one refused socket: x | 1 stays unbounded */
NAKED("socket") { ASM(RND "r6 |= 1;" USE16); }
#elif CASE == 98 /* sf_xor_masked accepted socket: (x & 7) ^ 5 stays within 0..7 */
NAKED("socket") { ASM(RND "r6 &= 7; r6 ^= 5;" USE16); }
#elif CASE == 99 /* sf_masked_minus_one refused socket: (x & 15) - 1 in 64 bits may be -1 */
NAKED("socket") { ASM(RND "r6 &= 15; r6 += -1;" USE16); }
#elif CASE == 100 /* sf_eq_const accepted socket: the index used only where it equals 9 */
NAKED("socket") { ASM(KT "if r6 != 9 goto l1_%=;" USE16); }
#elif CASE == 101 /* sf_neg_then_mask accepted socket: -x & 15 */
NAKED("socket") { ASM(KT "r6 = -r6; r6 &= 15;" USE16); }
#elif CASE == 102 /* sf_lsh_rsh accepted socket: x << 60 >> 60 is at most 15 */
NAKED("socket") { ASM(KT "r6 <<= 60; r6 >>= 60;" USE16); }
#elif CASE == 103 /* sf_skb_byte_rsh accepted socket: a loaded packet byte shifted right by 4 */
NAKED("socket") { ASM("r2 = 0; *(u64 *)(r10 - 16) = r2; r2 = 0; r3 = r10; r3 += -16; r4 = 1; call %[skb_load_bytes]; r6 = *(u8 *)(r10 - 16); r6 >>= 4;" USE16); }
#elif CASE == 104 /* sf_ctx_len_index refused socket: skb->len as an index */
NAKED("socket") { ASM("r6 = *(u32 *)(r1 + %[len]);" USE16); }
#elif CASE == 105 /* sf_ctx_len_low_bits accepted socket: skb->len & 63 indexes a 64-byte value */
NAKED("socket") { ASM("r6 = *(u32 *)(r1 + %[len]); r6 &= 63;" USE64); }
#elif CASE == 106 /* sf_c_swapped_compare accepted socket: if (10 > i) indexes a 10-slot .bss array */
__u32 slots[10];
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 i = bpf_get_prandom_u32();

	if (10 > i)
		slots[i]++;
	return 0;
}
#elif CASE == 107 /* sf_c_lt_len_bound accepted socket: i < (len & 15) indexes a 16-slot array */
__u32 slots[16];
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 n = skb->len & 15;
	__u32 i = bpf_get_prandom_u32();

	if (i < n)
		slots[i]++;
	return 0;
}
#elif CASE == 108 /* sf_c_signed_int_upper_only refused socket: an int below 16 may be negative */
__u32 slots[16];
SEC("socket") int prog(struct __sk_buff *skb)
{
	int i = (int)bpf_ktime_get_ns();

	if (i < 16)
		slots[i]++;
	return 0;
}
#elif CASE == 109 /* sf_c_signed_int_both refused socket: an int checked 0 <= i < 16: clang's sign extension of i after the checks loses the bound */
__u32 slots[16];
SEC("socket") int prog(struct __sk_buff *skb)
{
	int i = (int)bpf_ktime_get_ns();

	if (i >= 0 && i < 16)
		slots[i]++;
	return 0;
}
#elif CASE == 110 /* sf_c_byte_div accepted socket: a byte divided by 16 (clang: a shift) indexes a 16-slot array */
__u32 slots[16];
SEC("socket") int prog(struct __sk_buff *skb)
{
	slots[(bpf_get_prandom_u32() & 0xff) / 16]++;
	return 0;
}
/* ---- stack ---- */
#elif CASE == 111 /* sf_stack_zeroed_256 accepted socket: a zero-initialised 256-byte struct sent with bpf_perf_event_output */
struct rec { __u64 w[32]; };
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct rec r = {};

	r.w[0] = skb->len;
	r.w[31] = skb->protocol;
	bpf_perf_event_output(skb, &pe, BPF_F_CURRENT_CPU, &r, sizeof(r));
	return 0;
}
#elif CASE == 112 /* sf_stack_memcpy accepted socket: a 32-byte stack buffer copied into another, which goes to the ring buffer */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u8 src[32] = {}, dst[32];

	bpf_skb_load_bytes(skb, 0, src, 20);
	__builtin_memcpy(dst, src, sizeof(dst));
	bpf_ringbuf_output(&rb, dst, sizeof(dst), 0);
	return 0;
}
#elif CASE == 113 /* sf_stack_var_read_init accepted socket: a variable-offset byte read from a fully written 16-byte stack buffer */
NAKED("socket") { ASM(RND "r1 = 0; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 8) = r1; r6 &= 15; r1 = r10; r1 += -16; r1 += r6; r0 = *(u8 *)(r1 + 0); exit;"); }
#elif CASE == 114 /* sf_stack_var_read_half_written accepted socket: a variable-offset read over 16 bytes of which 8 were written (root) */
NAKED("socket") { ASM(RND "r1 = 0; *(u64 *)(r10 - 8) = r1; r6 &= 15; r1 = r10; r1 += -16; r1 += r6; r0 = *(u8 *)(r1 + 0); exit;"); }
#elif CASE == 115 /* sf_stack_var_write_then_helper accepted socket: a variable-offset byte store into a zeroed buffer, then the buffer to bpf_ringbuf_output */
NAKED("socket") { ASM(RND "r1 = 0; *(u64 *)(r10 - 16) = r1; *(u64 *)(r10 - 8) = r1; r6 &= 15; r1 = r10; r1 += -16; r1 += r6; r2 = 7; *(u8 *)(r1 + 0) = r2;"
	"r1 = %[rb] ll; r2 = r10; r2 += -16; r3 = 16; r4 = 0; call %[ringbuf_output]; r0 = 0; exit;"); }
#elif CASE == 116 /* sf_stack_var_write_unzeroed_helper accepted socket: a variable-offset store into an unwritten buffer, then the buffer read by a helper */
NAKED("socket") { ASM(RND "r6 &= 15; r1 = r10; r1 += -16; r1 += r6; r2 = 7; *(u8 *)(r1 + 0) = r2;"
	"r1 = %[rb] ll; r2 = r10; r2 += -16; r3 = 16; r4 = 0; call %[ringbuf_output]; r0 = 0; exit;"); }
#elif CASE == 117 /* sf_stack_ptr_array_var_read refused socket: two spilled stack pointers picked by a variable offset: the fill is a scalar */
NAKED("socket") { ASM(RND "r1 = r10; r1 += -32; *(u64 *)(r10 - 16) = r1; r1 = r10; r1 += -24; *(u64 *)(r10 - 8) = r1;"
	"r6 &= 8; r1 = r10; r1 += -16; r1 += r6; r2 = *(u64 *)(r1 + 0); r3 = 5; *(u64 *)(r2 + 0) = r3; r0 = 0; exit;"); }
#elif CASE == 118 /* sf_stack_ptr_array_const_read accepted socket: the same two spilled pointers, each filled at a constant offset and written through */
NAKED("socket") { ASM(RND "r1 = r10; r1 += -32; *(u64 *)(r10 - 16) = r1; r1 = r10; r1 += -24; *(u64 *)(r10 - 8) = r1;"
	"r2 = *(u64 *)(r10 - 16); if r6 > 7 goto l2_%=; r2 = *(u64 *)(r10 - 8); l2_%=: r3 = 5; *(u64 *)(r2 + 0) = r3; r0 = *(u64 *)(r10 - 32); exit;"); }
#elif CASE == 119 /* sf_spilled_value_after_call accepted socket: a map value pointer spilled, helpers called, filled and written through */
NAKED("socket") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; *(u64 *)(r10 - 16) = r0; call %[get_prandom_u32]; call %[ktime_get_ns]; r1 = *(u64 *)(r10 - 16); r2 = 3; *(u64 *)(r1 + 8) = r2; l0_%=: r0 = 0; exit;"); }
#elif CASE == 120 /* sf_spilled_or_null_checked_after accepted socket: a hash map value spilled before its NULL check; the filled copy is non-NULL too */
NAKED("socket") { ASM(LOOKUP(h, 0) "*(u64 *)(r10 - 16) = r0; if r0 == 0 goto l0_%=; call %[get_prandom_u32]; r1 = *(u64 *)(r10 - 16); r2 = 3; *(u64 *)(r1 + 0) = r2; l0_%=: r0 = 0; exit;"); }
#elif CASE == 121 /* sf_spilled_or_null_unchecked refused socket: a hash map value spilled and filled without any NULL check */
NAKED("socket") { ASM(LOOKUP(h, 0) "*(u64 *)(r10 - 16) = r0; call %[get_prandom_u32]; r1 = *(u64 *)(r10 - 16); r2 = 3; *(u64 *)(r1 + 0) = r2; r0 = 0; exit;"); }
#elif CASE == 122 /* sf_spill_32_fill_64_index refused socket: 4 bytes of a bounded value written at fp-8, 8 bytes read back: unbounded as an index */
NAKED("socket") { ASM(RND "r6 &= 15; *(u32 *)(r10 - 16) = r6; r6 = *(u64 *)(r10 - 16);" USE16); }
#elif CASE == 123 /* sf_spill_32_fill_32 accepted socket: 4 bytes written at fp-8 and read back as 4 */
NAKED("socket") { ASM("r1 = 1; *(u32 *)(r10 - 8) = r1; r0 = *(u32 *)(r10 - 8); exit;"); }
#elif CASE == 124 /* sf_stack_below_512 refused socket: a store at fp-520 */
NAKED("socket") { ASM("r1 = 0; *(u64 *)(r10 - 520) = r1; r0 = 0; exit;"); }
#elif CASE == 125 /* sf_spilled_const_bound accepted socket: a bounded index spilled across a call keeps its bounds */
NAKED("socket") { ASM(RND "r6 &= 15; *(u64 *)(r10 - 24) = r6; call %[ktime_get_ns]; r6 = *(u64 *)(r10 - 24);" USE16); }
#elif CASE == 126 /* sf_spilled_u32_bound_lost refused socket: a bounded index spilled as 4 bytes and filled as 8 (upper half unknown) */
NAKED("socket") { ASM(RND "r6 &= 15; r1 = 0; *(u64 *)(r10 - 24) = r1; *(u32 *)(r10 - 20) = r6; r6 = *(u64 *)(r10 - 24);" USE16); }
#elif CASE == 127 /* sf_spin_lock_map_lookup_only refused socket: a socket filter only looking up a map whose value holds a bpf_spin_lock */
DEF_LOCK
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct lv *v = bpf_map_lookup_elem(&locks, &k);

	if (v)
		v->cnt++;
	return 0;
}
#elif CASE == 128 /* sf_timer_cancel accepted socket: bpf_timer_init then bpf_timer_cancel */
DEF_TIMER
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct tv *v = bpf_map_lookup_elem(&timers, &k);

	if (!v)
		return 0;
	bpf_timer_init(&v->t, &timers, 1);
	return bpf_timer_cancel(&v->t) < 0;
}
#elif CASE == 129 /* sf_timer_start_without_init accepted socket: bpf_timer_start on a timer never initialised (fails when it runs) */
DEF_TIMER
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct tv *v = bpf_map_lookup_elem(&timers, &k);

	if (!v)
		return 0;
	return bpf_timer_start(&v->t, 100, 0) < 0;
}
#elif CASE == 130 /* sf_timer_in_hash accepted socket: a timer in a hash map's value, initialised with an unknown clock id */
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4); __type(key, __u32); __type(value, struct tv); } ht SEC(".maps");
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = skb->len;
	struct tv *v = bpf_map_lookup_elem(&ht, &k);

	if (!v)
		return 0;
	return bpf_timer_init(&v->t, &ht, skb->mark) < 0;
}
#elif CASE == 131 /* sf_timer_on_stack refused socket: bpf_timer_init on a struct bpf_timer on the stack */
DEF_TIMER
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_timer t = {};

	return bpf_timer_init(&t, &timers, 1) < 0;
}
#elif CASE == 132 /* sf_ringbuf_dynptr_read accepted socket: bpf_dynptr_read out of a ringbuf dynptr, then submitted */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u32 x = 0;

	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &d);
	bpf_dynptr_read(&x, sizeof(x), &d, 8, 0);
	bpf_ringbuf_submit_dynptr(&d, 0);
	return x;
}
#elif CASE == 133 /* sf_ringbuf_dynptr_data_submit accepted socket: bpf_dynptr_data of a ringbuf dynptr, NULL-checked, written, submitted */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u64 *p;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	p = bpf_dynptr_data(&d, 0, 8);
	if (p)
		*p = skb->len;
	bpf_ringbuf_submit_dynptr(&d, 0);
	return 0;
}
#elif CASE == 134 /* sf_ringbuf_dynptr_data_after_submit refused socket: bpf_dynptr_data's memory written after the dynptr was submitted */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	volatile __u64 *p;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	p = bpf_dynptr_data(&d, 0, 8);
	bpf_ringbuf_submit_dynptr(&d, 0);
	if (p)
		*p = skb->len;
	return 0;
}
#elif CASE == 135 /* sf_dynptr_from_bss accepted socket: bpf_dynptr_from_mem over a .bss buffer, written with bpf_dynptr_write */
__u8 scratch[32];
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u32 len = skb->len;

	bpf_dynptr_from_mem(scratch, sizeof(scratch), 0, &d);
	return bpf_dynptr_write(&d, 28, &len, sizeof(len), 0);
}
#elif CASE == 136 /* sf_dynptr_from_ringbuf_record refused socket: bpf_dynptr_from_mem over a reserved ring buffer record */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u8 *r = bpf_ringbuf_reserve(&rb, 16, 0);

	if (!r)
		return 0;
	bpf_dynptr_from_mem(r, 16, 0, &d);
	bpf_ringbuf_discard(r, 0);
	return 0;
}
#elif CASE == 137 /* sf_dynptr_from_rodata refused socket: bpf_dynptr_from_mem over read-only .rodata */
const volatile __u8 table[16] = { 1, 2, 3 };
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u8 x = 0;

	bpf_dynptr_from_mem((void *)table, sizeof(table), 0, &d);
	bpf_dynptr_read(&x, 1, &d, 2, 0);
	return x;
}
#elif CASE == 138 /* sf_kptr_xchg_stack refused socket: bpf_kptr_xchg on a stack slot */
NAKED("socket") { ASM("r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = r10; r1 += -8; r2 = 0; call %[kptr_xchg]; r0 = 0; exit;"); }
#elif CASE == 139 /* sf_for_each_hash accepted socket: bpf_for_each_map_elem over a hash map, the callback summing values and stopping early */
static int add_val(void *map, __u32 *key, __u64 *val, __u64 *sum)
{
	*sum += *val;
	return *sum > 1000;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 sum = 0;

	bpf_for_each_map_elem(&h, add_val, &sum, 0);
	return sum & 1;
}
#elif CASE == 140 /* sf_loop_in_loop accepted socket: a bpf_loop callback that itself calls bpf_loop */
static int inner_cb(__u32 i, __u64 *n)
{
	*n += 1;
	return 0;
}
static int outer_cb(__u32 i, __u64 *n)
{
	bpf_loop(4, inner_cb, n, 0);
	return 0;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 n = 0;

	bpf_loop(4, outer_cb, &n, 0);
	return n == 16;
}
#elif CASE == 141 /* sf_tail_call_in_static_sub accepted socket: a static subprogram makes the tail call */
STATIC int jump(struct __sk_buff *s, __u32 i)
{
	bpf_tail_call(s, &pa, i);
	return 1;
}
SEC("socket") int prog(struct __sk_buff *skb) { return jump(skb, skb->len & 3); }
#elif CASE == 142 /* sf_iter_num_nested accepted socket: two nested bpf_iter_num loops summing products */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_iter_num i, j;
	int *x, *y, s = 0;

	bpf_iter_num_new(&i, 0, 3);
	while ((x = bpf_iter_num_next(&i))) {
		bpf_iter_num_new(&j, 0, 3);
		while ((y = bpf_iter_num_next(&j)))
			s += *x * *y;
		bpf_iter_num_destroy(&j);
	}
	bpf_iter_num_destroy(&i);
	return s;
}
#elif CASE == 143 /* sf_linked_copy_bound accepted socket: r7 = r6, then r6 < 16: the copy is bounded too */
NAKED("socket") { ASM(KT "r7 = r6; if r6 >= 16 goto l2_%=; r6 = r7;" USE16 "l2_%=: r0 = 0; exit;"); }
#elif CASE == 144 /* sf_linked_copy_delta_bound accepted socket: r7 = r6 + 4, then r6 < 12: r7 is 4..15 */
NAKED("socket") { ASM(KT "r7 = r6; r7 += 4; if r6 >= 12 goto l2_%=; r6 = r7;" USE16 "l2_%=: r0 = 0; exit;"); }
#elif CASE == 145 /* sf_linked_copy_delta_too_big refused socket: r7 = r6 + 5, then r6 < 12: r7 reaches 16 */
NAKED("socket") { ASM(KT "r7 = r6; r7 += 5; if r6 >= 12 goto l2_%=; r6 = r7;" USE16 "l2_%=: r0 = 0; exit;"); }
#elif CASE == 146 /* sf_spill_then_bound_fill accepted socket: r6 spilled, then bounded; the filled copy is bounded too */
NAKED("socket") { ASM(KT "*(u64 *)(r10 - 16) = r6; if r6 >= 16 goto l2_%=; r6 = *(u64 *)(r10 - 16);" USE16 "l2_%=: r0 = 0; exit;"); }
#elif CASE == 147 /* sf_be16_then_rsh12 accepted socket: a 16-bit byte swap (upper bits cleared) shifted right by 12 */
NAKED("socket") { ASM(KT "r6 = be16 r6; r6 >>= 12;" USE16); }
#elif CASE == 148 /* sf_w_shifts accepted socket: w6 <<= 28 then w6 >>= 28 is at most 15 in all 64 bits */
NAKED("socket") { ASM(KT "w6 <<= 28; w6 >>= 28;" USE16); }
#elif CASE == 149 /* sf_w_arsh refused socket: w6 s>>= 28 is -8..7 in 32 bits: 0..0xffffffff zero-extended */
NAKED("socket") { ASM(KT "w6 <<= 28; w6 s>>= 28;" USE16); }
#elif CASE == 150 /* sf_jset_fallthrough_bound accepted socket: past if r6 & -16 (not taken) only the low four bits may be set */
NAKED("socket") { ASM(KT ".8byte 0xfffffff0000d0645; /* if r6 & -16 goto +13 (past the use) */" USE16 "r0 = 0; exit;"); }
#elif CASE == 151 /* sf_rodata_struct_fields accepted socket: a u16 field at offset 2 of a .rodata struct bounds an index */
struct cfg { __u8 on; __u8 pad; __u16 n; __u32 shift; };
const volatile struct cfg conf = { 1, 0, 8, 3 };
__u64 tab[8];
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 i = skb->len >> conf.shift;

	if (conf.on && i < conf.n)
		tab[i]++;
	return 0;
}
#elif CASE == 152 /* sf_rodata_var_offset_unknown refused socket: a .rodata table read at a variable offset gives unknown bytes */
const volatile __u8 small[4] = { 0, 1, 2, 3 };
__u64 tab[4];
SEC("socket") int prog(struct __sk_buff *skb)
{
	tab[small[skb->len & 3]]++;
	return 0;
}
#elif CASE == 153 /* sf_global_void_sub refused socket: a global function returning void (its prototype is refused at the call) */
__u64 seen;
GLOBAL void note(__u32 x) { seen += x; }
SEC("socket") int prog(struct __sk_buff *skb)
{
	note(skb->len);
	return 0;
}
#elif CASE == 154 /* sf_global_byte_ptr_past refused socket: a global function's __u8 * parameter is one byte: p[1] is past it */
GLOBAL int second(__u8 *p) { return p ? p[1] : 0; }
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u8 b[4] = { 1, 2, 3, (__u8)skb->len };

	return second(b);
}
#elif CASE == 155 /* sf_global_struct_from_small_stack refused socket: an 8-byte struct parameter given 4 bytes of stack */
GLOBAL int sum2(struct pair *p) { return p ? p->a + p->b : 0; }
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 x[2] = { skb->len, 0 };

	return sum2((struct pair *)&x[1]);
}
#elif CASE == 156 /* sf_static_sub_scalar_or_pointer accepted socket: one static subprogram called with a scalar and with a stack pointer */
SUB(nz) { asm volatile ("r0 = 0; if r1 == 0 goto l0_%=; r0 = 1; l0_%=: exit;" ::: "memory"); }
NAKED("socket") { asm volatile ("r6 = r1; r1 = 5; call nz; r7 = r0; r1 = r10; r1 += -8; call nz; r0 += r7; exit;" ::: "memory"); }
#elif CASE == 157 /* sf_spilled_ctx_after_calls accepted socket: the skb spilled, helpers called, filled and its cb read */
NAKED("socket") { ASM("*(u64 *)(r10 - 8) = r1; call %[get_prandom_u32]; call %[ktime_get_ns]; r1 = *(u64 *)(r10 - 8); r0 = *(u32 *)(r1 + %[cb]); exit;"); }
#elif CASE == 158 /* sf_spilled_value_with_offset accepted socket: a map value pointer moved by 8, spilled, filled, stored at +4 */
NAKED("socket") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r0 += 8; *(u64 *)(r10 - 16) = r0; call %[ktime_get_ns]; r1 = *(u64 *)(r10 - 16); r2 = 1; *(u32 *)(r1 + 4) = r2; l0_%=: r0 = 0; exit;"); }
#elif CASE == 159 /* sf_spilled_value_with_offset_past refused socket: the same pointer stored at +8 (byte 16 of a 16-byte value) */
NAKED("socket") { ASM(LOOKUP(a, 0) "if r0 == 0 goto l0_%=; r0 += 8; *(u64 *)(r10 - 16) = r0; call %[ktime_get_ns]; r1 = *(u64 *)(r10 - 16); r2 = 1; *(u32 *)(r1 + 8) = r2; l0_%=: r0 = 0; exit;"); }
#elif CASE == 160 /* sf_helper_ktime_boot accepted socket: bpf_ktime_get_boot_ns from a socket filter */
NAKED("socket") { asm volatile ("call %[ktime_get_boot_ns]; r0 &= 1; exit;" :: IMM(ktime_get_boot_ns) : "memory"); }
#elif CASE == 161 /* sf_helper_jiffies64 accepted socket: bpf_jiffies64 from a socket filter */
NAKED("socket") { asm volatile ("call %[jiffies64]; r0 &= 1; exit;" :: IMM(jiffies64) : "memory"); }
#elif CASE == 162 /* sf_helper_pid_tgid accepted socket: bpf_get_current_pid_tgid from a socket filter (a base helper) */
NAKED("socket") { asm volatile ("call %[get_current_pid_tgid]; r0 &= 1; exit;" :: IMM(get_current_pid_tgid) : "memory"); }
#elif CASE == 163 /* sf_helper_uid_gid accepted socket: bpf_get_current_uid_gid from a socket filter (a base helper) */
NAKED("socket") { asm volatile ("call %[get_current_uid_gid]; r0 &= 1; exit;" :: IMM(get_current_uid_gid) : "memory"); }
#elif CASE == 164 /* sf_helper_probe_read_kernel accepted socket: bpf_probe_read_kernel into the stack from an unknown address */
NAKED("socket") { asm volatile ("r1 = r10; r1 += -8; r2 = 8; r3 = 0; call %[probe_read_kernel]; r0 = *(u64 *)(r10 - 8); exit;" :: IMM(probe_read_kernel) : "memory"); }
#elif CASE == 165 /* sf_helper_current_task accepted socket: bpf_get_current_task (a scalar) from a socket filter */
NAKED("socket") { asm volatile ("call %[get_current_task]; r0 &= 1; exit;" :: IMM(get_current_task) : "memory"); }
#elif CASE == 166 /* sf_helper_numa_node accepted socket: bpf_get_numa_node_id from a socket filter */
NAKED("socket") { asm volatile ("call %[get_numa_node_id]; exit;" :: IMM(get_numa_node_id) : "memory"); }
#elif CASE == 167 /* sf_helper_csum_diff refused socket: bpf_csum_diff is not a socket filter helper */
NAKED("socket") { asm volatile ("r1 = 0; r2 = 0; r3 = 0; *(u64 *)(r10 - 8) = r3; r3 = r10; r3 += -8; r4 = 8; r5 = 0; call %[csum_diff]; exit;" :: IMM(csum_diff) : "memory"); }
#elif CASE == 168 /* sf_helper_load_bytes_relative accepted socket: bpf_skb_load_bytes_relative from the network header */
NAKED("socket") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 8; r5 = 1; call %[skb_load_bytes_relative]; r0 = 0; exit;" :: IMM(skb_load_bytes_relative) : "memory"); }
#elif CASE == 169 /* sf_helper_cgroup_classid accepted socket: bpf_get_cgroup_classid of the skb from a socket filter */
NAKED("socket") { asm volatile ("call %[get_cgroup_classid]; exit;" :: IMM(get_cgroup_classid) : "memory"); }
#elif CASE == 170 /* sf_helper_skb_pull_data refused socket: bpf_skb_pull_data: a socket filter may not change the packet */
NAKED("socket") { asm volatile ("r2 = 0; call %[skb_pull_data]; r0 = 0; exit;" :: IMM(skb_pull_data) : "memory"); }
#elif CASE == 171 /* sf_helper_trace_printk accepted socket: bpf_trace_printk of a 3-byte stack string */
NAKED("socket") { asm volatile ("r1 = 0x6968; *(u32 *)(r10 - 4) = r1; r1 = r10; r1 += -4; r2 = 3; call %[trace_printk]; r0 = 0; exit;" :: IMM(trace_printk) : "memory"); }
#elif CASE == 172 /* sf_helper_hash_recalc refused socket: bpf_get_hash_recalc (tc only) from a socket filter */
NAKED("socket") { asm volatile ("call %[get_hash_recalc]; exit;" :: IMM(get_hash_recalc) : "memory"); }
#elif CASE == 173 /* sf_helper_ringbuf_query accepted socket: bpf_ringbuf_query of the available data */
NAKED("socket") { asm volatile ("r1 = %[rb] ll; r2 = 0; call %[ringbuf_query]; r0 &= 1; exit;" :: ADDR(rb), IMM(ringbuf_query) : "memory"); }
#elif CASE == 174 /* sf_helper_current_comm accepted socket: bpf_get_current_comm into 16 stack bytes (a base helper) */
NAKED("socket") { asm volatile ("r1 = r10; r1 += -16; r2 = 16; call %[get_current_comm]; r0 = 0; exit;" :: IMM(get_current_comm) : "memory"); }
#elif CASE == 175 /* sf_helper_ktime_tai accepted socket: bpf_ktime_get_tai_ns from a socket filter */
NAKED("socket") { asm volatile ("call %[ktime_get_tai_ns]; r0 &= 1; exit;" :: IMM(ktime_get_tai_ns) : "memory"); }
#elif CASE == 176 /* sf_rcu_read_lock_kfuncs accepted socket: bpf_rcu_read_lock/unlock around a map update */
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v;

	bpf_rcu_read_lock();
	v = bpf_map_lookup_elem(&h, &k);
	if (v)
		*v += 1;
	bpf_rcu_read_unlock();
	return 0;
}
#elif CASE == 177 /* sf_rcu_read_lock_unbalanced refused socket: bpf_rcu_read_lock without its unlock */
extern void bpf_rcu_read_lock(void) __ksym;
SEC("socket") int prog(struct __sk_buff *skb)
{
	bpf_rcu_read_lock();
	return 0;
}
#elif CASE == 178 /* sf_skb_dynptr_adjust_clone accepted socket: an skb dynptr adjusted past the Ethernet header, cloned, and read from the clone */
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d, c;
	__u8 b = 0;

	bpf_dynptr_from_skb(skb, 0, &d);
	if (bpf_dynptr_adjust(&d, 14, skb->len))
		return 0;
	bpf_dynptr_clone(&d, &c);
	bpf_dynptr_read(&b, 1, &c, 0, 0);
	return b >> 4;
}
#elif CASE == 179 /* sf_ringbuf_dynptr_slice accepted socket: bpf_dynptr_slice of a ringbuf dynptr, NULL-checked, read, then discarded */
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct bpf_dynptr d;
	__u8 buf[8];
	__u64 *p, x = 0;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (p)
		x = *p;
	bpf_ringbuf_discard_dynptr(&d, 0);
	return x & 1;
}
#elif CASE == 180 /* sf_map_dynptr_data_twice accepted socket: two bpf_dynptr_data slices of a map value dynptr, both written */
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u8 *v = bpf_map_lookup_elem(&a, &k);
	struct bpf_dynptr d;
	__u32 *p, *q;

	if (!v)
		return 0;
	bpf_dynptr_from_mem(v, 16, 0, &d);
	p = bpf_dynptr_data(&d, 0, 4);
	q = bpf_dynptr_data(&d, 12, 4);
	if (!p || !q)
		return 0;
	*p = *q + 1;
	return 0;
}
#elif CASE == 181 /* sf_cast_to_kern_ctx accepted socket: bpf_cast_to_kern_ctx on the skb, a no-op kfunc for socket filters */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
SEC("socket") int prog(struct __sk_buff *skb)
{
	return bpf_cast_to_kern_ctx(skb) ? 0 : 1;
}
#elif CASE == 182 /* sf_rodata_size_for_helper accepted socket: a .rodata constant (8) as bpf_skb_load_bytes's length into 8 stack bytes */
const volatile __u32 n = 8;
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 buf = 0;

	bpf_skb_load_bytes(skb, 0, &buf, n);
	return buf & 1;
}
#elif CASE == 183 /* sf_rodata_size_for_reserve accepted socket: a .rodata constant as bpf_ringbuf_reserve's size (must be a known constant) */
const volatile __u32 n = 16;
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 *r = bpf_ringbuf_reserve(&rb, n, 0);

	if (!r)
		return 0;
	r[1] = skb->len;
	bpf_ringbuf_submit(r, 0);
	return 0;
}
#elif CASE == 184 /* sf_rodata_dead_branch accepted socket: a .rodata flag of 0 makes a branch with an unbounded index dead */
const volatile int debug = 0;
__u64 tab[4];
SEC("socket") int prog(struct __sk_buff *skb)
{
	if (debug)
		tab[skb->len]++;
	return 0;
}
#elif CASE == 185 /* sf_data_flag_live_branch refused socket: the same flag in .data: the branch is live */
volatile int debug = 0;
__u64 tab[4];
SEC("socket") int prog(struct __sk_buff *skb)
{
	if (debug)
		tab[skb->len]++;
	return 0;
}
#elif CASE == 186 /* sf_kconfig_version_dead_branch accepted socket: LINUX_KERNEL_VERSION (.kconfig, read-only) makes a branch with an unbounded index dead */
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
__u64 tab[4];
SEC("socket") int prog(struct __sk_buff *skb)
{
	if (LINUX_KERNEL_VERSION < 0x050000)
		tab[skb->len]++;
	return 0;
}
#elif CASE == 187 /* sf_static_sub_returns_pointer accepted socket: a static subprogram returns a map value pointer, which the caller NULL-checks and writes through */
SUB(get) { asm volatile (LOOKUP(a, 0) "exit;" :: ADDR(a), IMM(map_lookup_elem) : "memory"); }
NAKED("socket") { asm volatile ("call get; if r0 == 0 goto l0_%=; r1 = 1; *(u8 *)(r0 + 0) = r1; l0_%=: r0 = 0; exit;" ::: "memory"); }
#elif CASE == 188 /* sf_static_sub_loads_into_value accepted socket: a static subprogram given the skb and a map value pointer loads bytes into the value */
STATIC int grab(struct __sk_buff *s, __u8 *dst) { return bpf_skb_load_bytes(s, 0, dst, 16); }
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 1;
	__u8 *v = bpf_map_lookup_elem(&a, &k);

	return v ? grab(skb, v) : 0;
}
#elif CASE == 189 /* sf_timer_cb_calls_helpers accepted socket: a timer callback that looks up another map and re-arms its own timer */
DEF_TIMER
static int rearm(void *map, __u32 *key, struct tv *v)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&h, &k);

	if (c)
		*c += 1;
	bpf_timer_start(&v->t, 1000000, 0);
	return 0;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct tv *v = bpf_map_lookup_elem(&timers, &k);

	if (!v)
		return 0;
	bpf_timer_init(&v->t, &timers, 1);
	bpf_timer_set_callback(&v->t, rearm);
	return 0;
}
#elif CASE == 190 /* sf_percpu_lookup_on_cpu accepted socket: bpf_map_lookup_percpu_elem on CPU 0 of a per-CPU array */
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } pca SEC(".maps");
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u32 k = 1;
	__u64 *v = bpf_map_lookup_percpu_elem(&pca, &k, 0);

	return v ? *v & 1 : 0;
}
#elif CASE == 191 /* sf_sub_spills_value_into_caller accepted socket: a subprogram stores a map value pointer into the caller's stack; the caller fills and writes through it */
SUB(put) { asm volatile ("r6 = r1;" LOOKUP(a, 0) "*(u64 *)(r6 + 0) = r0; r0 = 0; exit;" :: ADDR(a), IMM(map_lookup_elem) : "memory"); }
NAKED("socket") { asm volatile ("r1 = r10; r1 += -8; call put; r1 = *(u64 *)(r10 - 8); r2 = 1; *(u8 *)(r1 + 15) = r2; r0 = 0; exit;" ::: "memory"); }
#elif CASE == 192 /* sf_stack_ptr_two_levels accepted socket: a caller's buffer passed down two subprograms, written at the bottom, read at the top */
STATIC void leaf(__u64 *b, __u32 v) { b[1] = v; }
STATIC void mid(__u64 *b, __u32 v) { b[0] = v; leaf(b, v + 1); }
SEC("socket") int prog(struct __sk_buff *skb)
{
	__u64 b[2];

	mid(b, skb->len);
	return b[0] + b[1] > 3;
}
#elif CASE == 193 /* sf_loop_break_early accepted socket: a bpf_loop callback returning 1 once a packet byte matches */
struct scan { struct __sk_buff *skb; __u32 at; };
static int find_zero(__u32 i, struct scan *s)
{
	__u8 b = 1;

	bpf_skb_load_bytes(s->skb, i, &b, 1);
	if (b == 0) {
		s->at = i;
		return 1;
	}
	return 0;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct scan s = { skb, 0 };

	bpf_loop(64, find_zero, &s, 0);
	return s.at;
}
#elif CASE == 194 /* sf_loop_index_into_ctx_array accepted socket: a callback indexes an array in its context with the loop index masked */
struct hist { __u32 n[8]; };
static int bucket(__u32 i, struct hist *h)
{
	h->n[i & 7]++;
	return 0;
}
SEC("socket") int prog(struct __sk_buff *skb)
{
	struct hist h = {};

	bpf_loop(skb->len & 0xff, bucket, &h, 0);
	return h.n[3];
}
#elif CASE == 195 /* sf_for_each_null_ctx accepted socket: bpf_for_each_map_elem with a NULL callback context */
static int touch(void *map, __u32 *key, __u8 *val, void *ctx)
{
	val[0] = 1;
	return 0;
}
SEC("socket") int prog(struct __sk_buff *skb) { return bpf_for_each_map_elem(&a, touch, 0, 0) > 2; }
#elif CASE == 196 /* sf_loop_nonzero_flags accepted socket: bpf_loop with flags 1 (refused only when it runs) */
static int nop(__u32 i, void *c) { return 0; }
SEC("socket") int prog(struct __sk_buff *skb) { return bpf_loop(2, nop, 0, 1) < 0; }
#elif CASE == 197 /* sf_stack_var_read_spilled_scalars accepted socket: a variable-offset read over two spilled scalar constants */
NAKED("socket") { ASM(RND "r1 = 3; *(u64 *)(r10 - 16) = r1; r1 = 4; *(u64 *)(r10 - 8) = r1; r6 &= 8; r1 = r10; r1 += -16; r1 += r6; r0 = *(u64 *)(r1 + 0); exit;"); }
#elif CASE == 198 /* sf_jmp32_then_add32 accepted socket: w6 < 12 after w6 = w0, then w6 += 3: 3..14 */
NAKED("socket") { ASM(RND32 "if w6 >= 12 goto l2_%=; w6 += 3;" USE16 "l2_%=: r0 = 0; exit;"); }
#endif
