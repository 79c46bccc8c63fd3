/* SPDX-License-Identifier: MIT */
/* Kernel objects in kptrs: references to cgroups taken with the generic kfuncs (XDP's and tc's),
 * stashed in a map value's `struct cgroup __kptr` field with bpf_kptr_xchg, released; and the
 * cpumask kfuncs, which are not XDP's or tc's. Written for uxdp. */
#include "verifier.h"

#define __kptr __attribute__((btf_type_tag("kptr")))

struct cgroup {
	int level;
} __attribute__((preserve_access_index));

struct bpf_cpumask {
	int opaque;
};

extern struct cgroup *bpf_cgroup_from_id(__u64 cgid) __ksym;
extern struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;
extern struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
extern void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym;

struct holder {
	struct cgroup __kptr *c;
	__u64 t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct holder);
} holders SEC(".maps");

#define HOLDER                                                   \
	__u32 key = 0;                                           \
	struct holder *h = bpf_map_lookup_elem(&holders, &key); \
	if (!h)                                                  \
		return 1;

#if CASE == 0 /* kkptr_cgroup_stash accepted tc: the root cgroup held, stashed, the old one released */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct cgroup *c;
	HOLDER
	c = bpf_cgroup_from_id(1);
	if (!c)
		return 2;
	c = bpf_kptr_xchg(&h->c, c);
	if (c)
		bpf_cgroup_release(c);
	return 0;
}
#elif CASE == 1 /* kkptr_cgroup_stash_xdp accepted xdp: the same from XDP */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct cgroup *c;
	HOLDER
	c = bpf_cgroup_from_id(1);
	if (!c)
		return 2;
	c = bpf_kptr_xchg(&h->c, c);
	if (c)
		bpf_cgroup_release(c);
	return 0;
}
#elif CASE == 2 /* kkptr_cgroup_leak refused tc: a reference taken and never released */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct cgroup *c = bpf_cgroup_from_id(1);

	if (!c)
		return 2;
	return c->level;
}
#elif CASE == 3 /* kkptr_cgroup_released_twice refused tc: released, then released again */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct cgroup *c = bpf_cgroup_from_id(1);

	if (!c)
		return 2;
	bpf_cgroup_release(c);
	bpf_cgroup_release(c);
	return 0;
}
#elif CASE == 4 /* kkptr_release_loaded refused tc: a loaded kptr (not a reference) released */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct cgroup *c;
	HOLDER
	c = h->c;
	if (!c)
		return 2;
	bpf_cgroup_release(c);
	return 0;
}
#elif CASE == 5 /* kkptr_cgroup_read_acquire accepted tc: a loaded kptr read and acquired again */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct cgroup *c, *d;
	int level;
	HOLDER
	c = h->c;
	if (!c)
		return 2;
	level = c->level;
	d = bpf_cgroup_acquire(c);
	if (d)
		bpf_cgroup_release(d);
	return level;
}
#elif CASE == 6 /* kkptr_cpumask_in_tc refused tc: the cpumask kfuncs are not tc's on 6.18 */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_cpumask *m = bpf_cpumask_create();

	if (m)
		bpf_cpumask_release(m);
	return 0;
}
#endif

char _license[] SEC("license") = "GPL";
