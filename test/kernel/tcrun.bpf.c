/* SPDX-License-Identifier: MIT */
/*
 * Run-time questions for tc programs (written for uxdp; no kernel selftest code). Each program
 * writes what it saw into the packet (bpf_skb_store_bytes) so data_out carries it:
 *
 *   tc_map_fields  struct bpf_map fields read through map pointers (an lddw map reference
 *                  plus a constant offset: map_type, key_size, value_size, max_entries,
 *                  map_flags, numa_node, name, bypass_spec_v1, frozen, whether ops is set; bpf_array's
 *                  elem_size and index_mask; bpf_htab's n_buckets and elem_size)
 *   tc_pkt_addr    the low 9 bits of skb->data (the kmalloc'd head's alignment plus the
 *                  headroom), before and after bpf_skb_change_head reallocates the head
 *   tc_tail_depth  main calls sub, which tail-calls main again through the prog array: each
 *                  tail call keeps the frames below it, so the frames pile up until the tail-call
 *                  limit; every main's stack slot must survive; the answer is how many mains ran
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u8[12]);
} array_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u8[20]);
} hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 33);
	__type(key, __u64);
	__type(value, __u32);
} percpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 7);
	__type(key, __u16);
	__type(value, __u64);
} lru_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} queue_map SEC(".maps");

#define FIELD(map, off, type) (*(volatile type *)((char *)&(map) + (off)))

/* struct bpf_map (6.18): the fields every map has, 40 bytes of answer */
#define COMMON(a, map)								\
	do {									\
		(a)[0] = FIELD(map, 64, __u32);		/* map_type */		\
		(a)[1] = FIELD(map, 68, __u32);		/* key_size */		\
		(a)[2] = FIELD(map, 72, __u32);		/* value_size */	\
		(a)[3] = FIELD(map, 76, __u32);		/* max_entries */	\
		(a)[4] = FIELD(map, 88, __u32);		/* map_flags */		\
		(a)[5] = FIELD(map, 104, __s32);	/* numa_node */		\
		(a)[6] = FIELD(map, 136, __u32);	/* name[0..4] */	\
		(a)[7] = FIELD(map, 140, __u32);	/* name[4..8] */	\
		(a)[8] = FIELD(map, 256, __u8) |	/* bypass_spec_v1 */	\
			 FIELD(map, 257, __u8) << 8;	/* frozen */		\
		(a)[9] = FIELD(map, 40, __u64) != 0;	/* ops */		\
	} while (0)

SEC("tc")
int tc_map_fields(struct __sk_buff *skb)
{
	__u32 a[12] = {};

	COMMON(a, array_map);
	a[10] = FIELD(array_map, 296, __u32);	/* bpf_array.elem_size */
	a[11] = FIELD(array_map, 300, __u32);	/* bpf_array.index_mask */
	if (bpf_skb_store_bytes(skb, 0, a, sizeof(a), 0))
		return TC_ACT_SHOT;
	COMMON(a, hash_map);
	a[10] = FIELD(hash_map, 784, __u32);	/* bpf_htab.n_buckets */
	a[11] = FIELD(hash_map, 788, __u32);	/* bpf_htab.elem_size */
	if (bpf_skb_store_bytes(skb, 48, a, sizeof(a), 0))
		return TC_ACT_SHOT;
	COMMON(a, percpu_hash);
	a[10] = FIELD(percpu_hash, 784, __u32);
	a[11] = FIELD(percpu_hash, 788, __u32);
	if (bpf_skb_store_bytes(skb, 96, a, sizeof(a), 0))
		return TC_ACT_SHOT;
	COMMON(a, lru_map);
	a[10] = FIELD(lru_map, 784, __u32);
	a[11] = FIELD(lru_map, 788, __u32);
	if (bpf_skb_store_bytes(skb, 144, a, sizeof(a), 0))
		return TC_ACT_SHOT;
	COMMON(a, queue_map);
	a[10] = 0;
	a[11] = 0;
	if (bpf_skb_store_bytes(skb, 192, a, sizeof(a), 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc")
int tc_pkt_addr(struct __sk_buff *skb)
{
	__u32 a[4];

	a[0] = skb->data & 0x1ff;
	a[1] = skb->data_end - skb->data;
	if (bpf_skb_change_head(skb, 100, 0))
		return TC_ACT_SHOT;
	a[2] = skb->data & 0x1ff;
	a[3] = skb->data_end - skb->data;
	if (bpf_skb_store_bytes(skb, 0, a, sizeof(a), 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

int tc_tail_depth(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct __sk_buff *));
} jt SEC(".maps") = {
	.values = { [0] = (void *)&tc_tail_depth },
};

__u32 mains, broken;

/* reached only when the tail call fails (the limit): the frame's own stack slot checked */
static __noinline int tail_again(struct __sk_buff *skb)
{
	volatile __u64 mark = 0x5eb0;

	bpf_tail_call(skb, &jt, 0);
	return mark == 0x5eb0 ? 0 : 1;
}

/* each main writes (its own number, as its stack slot kept it; how many ran) at 8 * number */
SEC("tc")
int tc_tail_depth(struct __sk_buff *skb)
{
	volatile __u32 mine = ++mains;
	__u32 a[2];

	broken += tail_again(skb);
	a[0] = mine;
	a[1] = mains + (broken << 16);
	if (mine > 40 || bpf_skb_store_bytes(skb, 8 * mine, a, sizeof(a), 0))
		return TC_ACT_SHOT;
	return mine;
}

/*
 * tc_adjust_room: the question in the frame's last 24 bytes (s32 len_diff, u32 mode, u64 flags,
 * u32 calls: 1 or 2 identical calls); the answers replace it at the frame's new end: both
 * return values and skb->protocol (network order, as __sk_buff holds it).
 */
struct room_q {
	__s32 len_diff;
	__u32 mode;
	__u64 flags;
	__u32 calls;
	__u32 pad;
};

SEC("tc")
int tc_adjust_room(struct __sk_buff *skb)
{
	struct room_q q;
	__s64 a[3] = { 1, 1, 0 };
	__u32 len = skb->len;

	if (len < sizeof(q) || bpf_skb_load_bytes(skb, len - sizeof(q), &q, sizeof(q)))
		return TC_ACT_SHOT;
	a[0] = bpf_skb_adjust_room(skb, q.len_diff, q.mode, q.flags);
	if (q.calls > 1)
		a[1] = bpf_skb_adjust_room(skb, q.len_diff, q.mode, q.flags);
	a[2] = skb->protocol;
	len = skb->len;
	if (len < sizeof(a) || bpf_skb_store_bytes(skb, len - sizeof(a), a, sizeof(a), 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}
