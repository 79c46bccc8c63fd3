/* SPDX-License-Identifier: MIT */
/* Local kptrs for the kptr* verifier groups and the kernel-kptr runtime spec: objects of the
 * program's own types stashed in map values and in other objects with bpf_kptr_xchg, refcounted
 * objects (bpf_refcount_acquire), per-CPU objects (bpf_percpu_obj_new, bpf_this_cpu_ptr,
 * bpf_per_cpu_ptr). Written for uxdp. */
#ifndef UXDP_KPTR_H
#define UXDP_KPTR_H

#include "verifier.h"
#include <bpf/bpf_core_read.h>

/* the uapi graph types (the installed linux/bpf.h predates them); the kernel knows them by name */
struct bpf_list_head { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_list_node { __u64 __opaque[3]; } __attribute__((aligned(8)));
struct bpf_rb_root { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_rb_node { __u64 __opaque[4]; } __attribute__((aligned(8)));
struct bpf_refcount { __u32 __opaque[1]; } __attribute__((aligned(4)));

#define __kptr __attribute__((btf_type_tag("kptr")))
#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))
#define __percpu_kptr __attribute__((btf_type_tag("percpu_kptr")))
#define __contains(type, node) __attribute__((btf_decl_tag("contains:" #type ":" #node)))
/* a data section of its own (bpftool's libbpf 1.1 skips .bss.* sections) */
#define private(name) SEC(".data." #name) __attribute__((visibility("hidden"), aligned(8)))

extern void *bpf_obj_new_impl(__u64 local_type_id__k, void *meta__ign) __ksym;
extern void bpf_obj_drop_impl(void *p__alloc, void *meta__ign) __ksym;
extern void *bpf_percpu_obj_new_impl(__u64 local_type_id__k, void *meta__ign) __ksym;
extern void bpf_percpu_obj_drop_impl(void *p__alloc, void *meta__ign) __ksym;
extern void *bpf_refcount_acquire_impl(void *p__refcounted_kptr, void *meta__ign) __ksym;
extern int bpf_list_push_back_impl(struct bpf_list_head *head, struct bpf_list_node *node, void *meta__ign, __u64 off) __ksym;
extern struct bpf_list_node *bpf_list_pop_front(struct bpf_list_head *head) __ksym;
extern int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node,
			       _Bool (*less)(struct bpf_rb_node *a, const struct bpf_rb_node *b), void *meta__ign, __u64 off) __ksym;
extern struct bpf_rb_node *bpf_rbtree_first(struct bpf_rb_root *root) __ksym;
extern struct bpf_rb_node *bpf_rbtree_remove(struct bpf_rb_root *root, struct bpf_rb_node *node) __ksym;

#define new_obj(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), 0))
#define new_percpu(type) ((type *)bpf_percpu_obj_new_impl(bpf_core_type_id_local(type), 0))
#define drop_obj(p) bpf_obj_drop_impl(p, 0)
#define drop_percpu(p) bpf_percpu_obj_drop_impl(p, 0)
#define acquire(p) bpf_refcount_acquire_impl(p, 0)
#define rb_add(r, n, less) bpf_rbtree_add_impl(r, n, less, 0, 0)
#define push_back(h, n) bpf_list_push_back_impl(h, n, 0, 0)
#define owner_of(ptr, type, member) ((type *)((void *)(ptr) - __builtin_offsetof(type, member)))

/* a plain local type */
struct plain {
	long a;
	long b;
};

/* another, of another shape: stashing it where a plain goes is refused */
struct other {
	long x[4];
};

/* refcounted: in a tree (and a list) and stashed at the same time */
struct counted {
	long key;
	struct bpf_rb_node rb;
	struct bpf_list_node ln;
	struct bpf_refcount rc;
};

/* a local object holding a kptr of its own */
struct holder {
	long k;
	struct plain __kptr *inner;
};

/* per-CPU objects: scalars only */
struct pcpu {
	long hits;
	long bytes;
};

/* a map value with one kptr field of each kind */
struct slot {
	struct bpf_spin_lock lock;
	struct plain __kptr *p;
	struct counted __kptr *c;
	struct holder __kptr *h;
	struct pcpu __percpu_kptr *pc;
	struct plain __kptr_untrusted *u;
	long n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, int);
	__type(value, struct slot);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, int);
	__type(value, struct slot);
} hslots SEC(".maps");

private(K) struct bpf_spin_lock klock;
private(K) struct bpf_rb_root ktree __contains(counted, rb);
private(K) struct bpf_list_head klist __contains(counted, ln);

/* keeps every local type in the object's BTF (a kptr's type must be a complete struct there) */
static __attribute__((noinline, used)) int keep_types(struct plain *p, struct other *o, struct counted *c, struct holder *h, struct pcpu *q)
{
	return 0;
}

static __attribute__((noinline, used)) _Bool counted_less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return owner_of(a, struct counted, rb)->key < owner_of(b, struct counted, rb)->key;
}

#define SLOT struct slot *s = bpf_map_lookup_elem(&slots, &(int){0}); if (!s) return 1;

#endif
