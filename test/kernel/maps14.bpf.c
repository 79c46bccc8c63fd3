/* SPDX-License-Identifier: MIT */
/*
 * The map types of issue 14 from XDP programs, for test/kernel-maps.spec.ts: percpu_hash and
 * lru_percpu_hash (bpf_map_lookup_percpu_elem), queue and stack (push/pop/peek), lpm_trie,
 * array_of_maps and hash_of_maps (with .values slots), and bpf_jiffies64. Each program records
 * every helper's return (and the values it reads) as slots in the metadata area (bpf_diff.h);
 * the spec compares data_out and the maps' contents afterwards. Written for uxdp.
 */
#include "bpf_diff.h"

extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;

#undef UXDP_SEC
#define UXDP_SEC "xdp"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 3);
	__type(value, __u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 3);
	__type(value, __u64);
} stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} lru_pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_array SEC(".maps");

struct lpm_key {
	__u32 prefixlen;
	__u8 data[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 6);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} lpm SEC(".maps");

struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner_array inner_a SEC(".maps");
struct inner_array inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner_array);
} outer_array SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct inner_hash {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner_hash inner_h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_hash);
} outer_hash SEC(".maps") = {
	.values = { [1] = &inner_h },
};

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} urb SEC(".maps");

#if !defined(BD_ONLY) || defined(BD_ONLY_urb_drain)
struct urb_ctx {
	struct xdp_md *xdp;
	__u32 seen;
};

static long urb_sample(struct bpf_dynptr *d, void *data)
{
	struct urb_ctx *c = data;
	__u64 v = 0;
	long err;

	c->seen++;
	bd_put(c->xdp, bpf_dynptr_size(d));
	err = bpf_dynptr_read(&v, sizeof(v), d, 0, 0);
	bd_put(c->xdp, err);
	bd_put(c->xdp, v);
	/* a sample starting with 0xff stops the drain */
	return (v & 0xff) == 0xff;
}

SEC(UXDP_SEC)
int urb_drain(struct xdp_md *ctx)
{
	struct urb_ctx c = { ctx, 0 };

	R(bpf_user_ringbuf_drain(&urb, urb_sample, &c, 4));
	R(bpf_user_ringbuf_drain(&urb, urb_sample, &c, 0));
	R(c.seen);
	R(bpf_user_ringbuf_drain(&urb, urb_sample, &c, BPF_RB_FORCE_WAKEUP));
	R(c.seen);
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_queue_ops)
SEC(UXDP_SEC)
int queue_ops(struct xdp_md *ctx)
{
	__u32 v = 0;
	__u64 w = 0;

	v = 0xdead;
	R(bpf_map_peek_elem(&queue, &v));
	R(v);
#define QPUSH(x) v = (x); R(bpf_map_push_elem(&queue, &v, 0))
	QPUSH(10);
	QPUSH(20);
	QPUSH(30);
	v = 40;
	R(bpf_map_push_elem(&queue, &v, 0));
	R(bpf_map_push_elem(&queue, &v, BPF_EXIST));
	R(bpf_map_push_elem(&queue, &v, BPF_NOEXIST));
	R(bpf_map_push_elem(&queue, &v, 4));
	R(bpf_map_peek_elem(&queue, &v));
	R(v);
	R(bpf_map_pop_elem(&queue, &v));
	R(v);
	/* the stack: newest first */
#define SPUSH(i, f) w = (__u64)(i) << 40 | (i); R(bpf_map_push_elem(&stack, &w, f))
	SPUSH(1, 0);
	SPUSH(2, 0);
	SPUSH(3, 0);
	SPUSH(4, 0);
	SPUSH(4, BPF_EXIST);
	R(bpf_map_pop_elem(&stack, &w));
	R(w);
	R(bpf_map_peek_elem(&stack, &w));
	R(w);
	R(bpf_map_pop_elem(&stack, &w));
	R(bpf_map_pop_elem(&stack, &w));
	R(w);
	w = 77;
	R(bpf_map_pop_elem(&stack, &w));
	R(w);
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_percpu_ops)
SEC(UXDP_SEC)
int percpu_ops(struct xdp_md *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 v, *p, *q;
	__u32 k;

#define PPUT(x) k = (x); v = (x) * 100; R(bpf_map_update_elem(&pcpu_hash, &k, &v, BPF_NOEXIST))
	PPUT(1);
	PPUT(2);
	PPUT(3);
	PPUT(4);
	PPUT(5);
	k = 2;
	v = 7;
	R(bpf_map_update_elem(&pcpu_hash, &k, &v, BPF_NOEXIST));
	R(bpf_map_update_elem(&pcpu_hash, &k, &v, BPF_EXIST));
	R(bpf_map_update_elem(&pcpu_hash, &k, &v, BPF_F_LOCK));
	p = bpf_map_lookup_elem(&pcpu_hash, &k);
	R(p ? *p : -1);
	q = bpf_map_lookup_percpu_elem(&pcpu_hash, &k, cpu);
	R(p && q == p);
	R(bpf_map_lookup_percpu_elem(&pcpu_hash, &k, 1 << 20) == 0);
	k = 9;
	R(bpf_map_lookup_percpu_elem(&pcpu_hash, &k, cpu) == 0);
	k = 3;
	R(bpf_map_delete_elem(&pcpu_hash, &k));
	R(bpf_map_delete_elem(&pcpu_hash, &k));
	/* a per-CPU array through lookup_percpu_elem */
	k = 1;
	v = 0x1234;
	R(bpf_map_update_elem(&pcpu_array, &k, &v, 0));
	q = bpf_map_lookup_percpu_elem(&pcpu_array, &k, cpu);
	R(q ? *q : -1);
	k = 2;
	R(bpf_map_lookup_percpu_elem(&pcpu_array, &k, cpu) == 0);
	/* lru_percpu_hash */
#define LPUT(x) k = (x); v = (x); R(bpf_map_update_elem(&lru_pcpu, &k, &v, 0))
	LPUT(10);
	LPUT(11);
	LPUT(12);
	LPUT(13);
	k = 11;
	p = bpf_map_lookup_elem(&lru_pcpu, &k);
	if (p)
		*p += 1000;
	R(p ? *p : -1);
	R(bpf_map_update_elem(&lru_pcpu, &k, &v, BPF_F_LOCK));
	k = 12;
	R(bpf_map_delete_elem(&lru_pcpu, &k));
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_lpm_ops)
static __always_inline __s64 lpm_get(__u32 plen, __u8 a, __u8 b, __u8 c, __u8 d)
{
	struct lpm_key key = { plen, { a, b, c, d } };
	__u32 *v = bpf_map_lookup_elem(&lpm, &key);

	return v ? *v : -1;
}

static __always_inline long lpm_put(__u32 plen, __u8 a, __u8 b, __u8 c, __u8 d, __u32 v, __u64 flags)
{
	struct lpm_key key = { plen, { a, b, c, d } };

	return bpf_map_update_elem(&lpm, &key, &v, flags);
}

static __always_inline long lpm_del(__u32 plen, __u8 a, __u8 b, __u8 c, __u8 d)
{
	struct lpm_key key = { plen, { a, b, c, d } };

	return bpf_map_delete_elem(&lpm, &key);
}

SEC(UXDP_SEC)
int lpm_ops(struct xdp_md *ctx)
{
	R(lpm_put(8, 192, 0, 0, 0, 1, 0));
	R(lpm_put(16, 192, 168, 0, 0, 2, BPF_NOEXIST));
	R(lpm_put(24, 192, 168, 1, 0, 3, 0));
	R(lpm_put(24, 192, 168, 0, 0, 4, 0));
	R(lpm_put(8, 10, 0, 0, 0, 5, 0));
	R(lpm_put(32, 192, 168, 1, 1, 6, 0));
	R(lpm_put(8, 11, 0, 0, 0, 7, 0));
	R(lpm_put(33, 192, 168, 1, 1, 8, 0));
	R(lpm_put(16, 192, 168, 0, 0, 9, BPF_NOEXIST));
	R(lpm_put(17, 192, 168, 0, 0, 9, BPF_EXIST));
	R(lpm_put(16, 192, 168, 0, 0, 10, BPF_EXIST));
	R(lpm_get(32, 192, 168, 1, 1));
	R(lpm_get(32, 192, 168, 1, 2));
	R(lpm_get(32, 192, 168, 2, 2));
	R(lpm_get(32, 192, 1, 2, 2));
	R(lpm_get(32, 10, 1, 2, 2));
	R(lpm_get(32, 11, 1, 2, 2));
	R(lpm_get(12, 192, 168, 1, 1));
	R(lpm_get(33, 192, 168, 1, 1));
	R(lpm_del(24, 192, 168, 0, 0));
	R(lpm_del(24, 192, 168, 0, 0));
	R(lpm_del(16, 192, 168, 0, 0));
	R(lpm_get(32, 192, 168, 0, 1));
	R(lpm_get(32, 192, 168, 1, 9));
	R(lpm_del(33, 0, 0, 0, 0));
	R(lpm_put(8, 11, 0, 0, 0, 7, 0));
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_mim_ops)
SEC(UXDP_SEC)
int mim_ops(struct xdp_md *ctx)
{
	__u32 k = 0, ik = 2, hv;
	__u64 v = 0xabcdef, *p;
	void *inner;

#define AOM(x)                                                  \
	k = (x);                                                \
	inner = bpf_map_lookup_elem(&outer_array, &k);          \
	R(inner != 0);                                          \
	if (inner) {                                            \
		v = 0x100 + (x);                                \
		ik = (x);                                       \
		R(bpf_map_update_elem(inner, &ik, &v, 0));      \
		p = bpf_map_lookup_elem(inner, &ik);            \
		R(p ? *p : -1);                                 \
		ik = 4;                                         \
		R(bpf_map_update_elem(inner, &ik, &v, 0));      \
	}
#define HOM(x)                                                          \
	k = (x);                                                        \
	inner = bpf_map_lookup_elem(&outer_hash, &k);                   \
	R(inner != 0);                                                  \
	if (inner) {                                                    \
		ik = 7;                                                 \
		hv = 0x77;                                              \
		R(bpf_map_update_elem(inner, &ik, &hv, BPF_NOEXIST));   \
		R(bpf_map_update_elem(inner, &ik, &hv, BPF_NOEXIST));   \
		ik = 8;                                                 \
		R(bpf_map_delete_elem(inner, &ik));                     \
	}
	AOM(0)
	AOM(1)
	AOM(2)
	AOM(3)
	HOM(0)
	HOM(1)
	HOM(2)
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_jiffies)
SEC(UXDP_SEC)
int jiffies(struct xdp_md *ctx)
{
	__u64 j0 = bpf_jiffies64();
	__u64 ns = bpf_ktime_get_ns();
	__u64 j1 = bpf_jiffies64();
	/* INITIAL_JIFFIES is (u32)(-300 * HZ); with HZ 250 jiffies count 4 ms ticks from it */
	__u64 initial = (__u32)(-300 * 250);
	__s64 ticks = (__s64)(j0 - initial);
	__s64 want = ns / 4000000;
	__s64 d = ticks - want;

	R(j1 >= j0);
	R(j0 > initial);
	/* the tick count agrees with the monotonic clock within a second */
	R(d > -250 && d < 250);
	return XDP_PASS;
}
#endif

char LICENSE[] SEC("license") = "GPL";
