/* SPDX-License-Identifier: MIT */
/*
 * Maps and global variables (written for uxdp; no kernel selftest code). The test compares every
 * map's contents after a series of runs (bpftool map dump vs uxdp's BpfMap).
 *
 *   map_count    counters keyed by packet bytes: an array by one byte (which byte: the .rodata
 *                constant cfg.key_off), a hash by the last 4 bytes (mod 61) with packets and
 *                bytes, a per-CPU array (packets, bytes), an LRU hash by bytes 1..2; .bss counters;
 *                a .data accumulator; with cfg.mode 1 a sum of weights from a .rodata table
 *   map_ops      map update/delete/lookup return codes: BPF_NOEXIST / BPF_EXIST, a full hash,
 *                array bounds, bad flags
 *   map_for_each bpf_for_each_map_elem over the array (with an early stop) and the hash
 *
 * -DKEY_OFF=n and -DCFG_MODE=n set the .rodata constants. Build with -mcpu=v3 (atomics with fetch).
 */
#include "bpf_diff.h"

#ifndef KEY_OFF
#define KEY_OFF 0
#endif
#ifndef CFG_MODE
#define CFG_MODE 0
#endif

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} by_byte SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct counters);
} by_tail SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

/* far more entries than keys: the kernel's LRU hands out free nodes per CPU in batches, so a
 * nearly full LRU map may evict before it is full, differently on each CPU */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u16);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} small SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

/* One variable per section, so that the layout of each map value is plain. (A static const
 * array here made libbpf 1.1 emit a .rodata DATASEC the kernel refuses, "Invalid offset".) */
const volatile struct {
	__u32 key_off;
	__u32 mode;
	__u8 weights[16];
} cfg = { KEY_OFF, CFG_MODE, { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3 } };

struct {
	__u64 runs;
	__u64 last_len;
} stats;

struct {
	__u64 acc;
	__u32 weight_sum;
} state = { 0x9e3779b97f4a7c15ULL, 7 };

SEC(UXDP_SEC)
int map_count(struct xdp_md *ctx)
{
	__u32 len = bpf_xdp_get_buff_len(ctx);
	__u32 tail_off = len - 4 > 0xfff0 ? 0xfff0 : len - 4;
	__u8 kb = 0, b12[2];
	__u32 key, tk;
	__u64 *v;
	struct counters *c;

	R(bpf_xdp_load_bytes(ctx, cfg.key_off, &kb, 1));
	key = kb;
	v = bpf_map_lookup_elem(&by_byte, &key);
	if (v)
		R(__sync_fetch_and_add(v, 1) + 1);

	R(bpf_xdp_load_bytes(ctx, tail_off, &tk, 4));
	tk %= 61;
	c = bpf_map_lookup_elem(&by_tail, &tk);
	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, len);
		R(c->packets);
	} else {
		struct counters n = { 1, len };

		R(bpf_map_update_elem(&by_tail, &tk, &n, BPF_NOEXIST));
	}

	key = 0;
	v = bpf_map_lookup_elem(&pcpu, &key);
	if (v)
		*v += 1;
	key = 1;
	v = bpf_map_lookup_elem(&pcpu, &key);
	if (v)
		*v += len;

	if (!bpf_xdp_load_bytes(ctx, 1, b12, 2)) {
		__u16 lk = (__u16)(b12[0] << 8 | b12[1]);
		__u64 lv = len;

		R(bpf_map_update_elem(&lru, &lk, &lv, BPF_ANY));
	}

	R(__sync_fetch_and_add(&stats.runs, 1));
	stats.last_len = len;
	state.acc = state.acc * 31 + kb;
	if (cfg.mode == 1)
		state.weight_sum += cfg.weights[kb & 15];
	R(state.acc);
	R(state.weight_sum);
	return XDP_PASS;
}

SEC(UXDP_SEC)
int map_ops(struct xdp_md *ctx)
{
	__u8 kb = 0;
	__u32 k, i;
	__u64 v, *p;

	bpf_xdp_load_bytes(ctx, 0, &kb, 1);
	k = kb;
	v = 1000 + kb;
	R(bpf_map_update_elem(&small, &k, &v, BPF_NOEXIST));
	v++;
	R(bpf_map_update_elem(&small, &k, &v, BPF_NOEXIST));
	k = kb + 1000;
	R(bpf_map_update_elem(&small, &k, &v, BPF_EXIST));
	k = kb;
	v = 2000 + kb;
	R(bpf_map_update_elem(&small, &k, &v, BPF_EXIST));
	for (i = 0; i < 5; i++) {
		k = 300 + kb + i;
		v = i;
		R(bpf_map_update_elem(&small, &k, &v, BPF_ANY));
	}
	k = 99999;
	R(bpf_map_delete_elem(&small, &k));
	k = 300 + kb;
	R(bpf_map_delete_elem(&small, &k));
	p = bpf_map_lookup_elem(&small, &k);
	R(p ? (__s64)*p : -1);
	k = kb;
	p = bpf_map_lookup_elem(&small, &k);
	R(p ? (__s64)*p : -1);
	v = 7;
	R(bpf_map_update_elem(&small, &k, &v, 7));
	R(bpf_map_update_elem(&small, &k, &v, BPF_F_LOCK));
	k = 8;
	R(bpf_map_update_elem(&arr, &k, &v, BPF_ANY));
	k = kb & 7;
	R(bpf_map_update_elem(&arr, &k, &v, BPF_NOEXIST));
	v = kb;
	R(bpf_map_update_elem(&arr, &k, &v, BPF_EXIST));
	R(bpf_map_delete_elem(&arr, &k));
	p = bpf_map_lookup_elem(&arr, &k);
	R(p ? (__s64)*p : -1);
	k = 8;
	p = bpf_map_lookup_elem(&arr, &k);
	R(p ? (__s64)*p : -1);
	return XDP_PASS;
}

struct walk {
	struct xdp_md *ctx;
	__u64 n;
	__u64 sum;
	__u32 stop_at;
};

static long sum_array(void *map, __u32 *key, __u64 *val, struct walk *w)
{
	w->n++;
	w->sum += *val * (*key + 1);
	return *key == w->stop_at;
}

static long sum_hash(void *map, __u32 *key, struct counters *val, struct walk *w)
{
	w->n++;
	w->sum += val->packets * 1000 + val->bytes + *key;
	return 0;
}

SEC(UXDP_SEC)
int map_for_each(struct xdp_md *ctx)
{
	struct walk w = { .ctx = ctx, .stop_at = 1000 };

	R(bpf_for_each_map_elem(&by_byte, sum_array, &w, 0));
	R(w.n);
	R(w.sum);
	w.n = w.sum = 0;
	w.stop_at = 200;
	R(bpf_for_each_map_elem(&by_byte, sum_array, &w, 0));
	R(w.n);
	R(w.sum);
	w.n = w.sum = 0;
	R(bpf_for_each_map_elem(&by_tail, sum_hash, &w, 0));
	R(w.n);
	R(w.sum);
	R(bpf_for_each_map_elem(&by_tail, sum_hash, &w, 1));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
