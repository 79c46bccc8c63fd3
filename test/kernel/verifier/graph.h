/* SPDX-License-Identifier: MIT */
/* BPF-allocated objects and graph kfuncs for the graph* verifier groups. Written for uxdp. */
#ifndef UXDP_GRAPH_H
#define UXDP_GRAPH_H

#include "verifier.h"
#include <bpf/bpf_core_read.h>

/* the uapi graph types (the installed linux/bpf.h predates them); the kernel knows them by name */
struct bpf_list_head { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_list_node { __u64 __opaque[3]; } __attribute__((aligned(8)));
struct bpf_rb_root { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_rb_node { __u64 __opaque[4]; } __attribute__((aligned(8)));
struct bpf_refcount { __u32 __opaque[1]; } __attribute__((aligned(4)));

#define __contains(type, node) __attribute__((btf_decl_tag("contains:" #type ":" #node)))
#define private(name) SEC(".bss." #name) __attribute__((visibility("hidden"), aligned(8)))

extern void *bpf_obj_new_impl(__u64 local_type_id__k, void *meta__ign) __ksym;
extern void bpf_obj_drop_impl(void *p__alloc, void *meta__ign) __ksym;
extern void *bpf_refcount_acquire_impl(void *p__refcounted_kptr, void *meta__ign) __ksym;
extern int bpf_list_push_front_impl(struct bpf_list_head *head, struct bpf_list_node *node, void *meta__ign, __u64 off) __ksym;
extern int bpf_list_push_back_impl(struct bpf_list_head *head, struct bpf_list_node *node, void *meta__ign, __u64 off) __ksym;
extern struct bpf_list_node *bpf_list_pop_front(struct bpf_list_head *head) __ksym;
extern struct bpf_list_node *bpf_list_pop_back(struct bpf_list_head *head) __ksym;
extern struct bpf_list_node *bpf_list_front(struct bpf_list_head *head) __ksym;
extern struct bpf_list_node *bpf_list_back(struct bpf_list_head *head) __ksym;
extern int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node,
			       _Bool (*less)(struct bpf_rb_node *a, const struct bpf_rb_node *b), void *meta__ign, __u64 off) __ksym;
extern struct bpf_rb_node *bpf_rbtree_first(struct bpf_rb_root *root) __ksym;
extern struct bpf_rb_node *bpf_rbtree_remove(struct bpf_rb_root *root, struct bpf_rb_node *node) __ksym;

#define new_obj(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), 0))
#define drop_obj(p) bpf_obj_drop_impl(p, 0)
#define push_front(h, n) bpf_list_push_front_impl(h, n, 0, 0)
#define push_back(h, n) bpf_list_push_back_impl(h, n, 0, 0)
#define rb_add(r, n, less) bpf_rbtree_add_impl(r, n, less, 0, 0)
#define owner_of(ptr, type, member) ((type *)((void *)(ptr) - __builtin_offsetof(type, member)))

/* both a list node and a tree node: the kernel's BTF check wants a bpf_refcount then */
struct item {
	int value;
	struct bpf_refcount ref;
	struct bpf_list_node link;
	struct bpf_rb_node rb;
	long key;
};

struct box {
	struct bpf_spin_lock lock;
	struct bpf_list_head items __contains(item, link);
	struct bpf_rb_root tree __contains(item, rb);
	int count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct box);
} boxes SEC(".maps");

#ifdef WANT_PLAIN
/* a node type without bpf_refcount, and its own map (only where used: a contains: tag must name
 * a type the object's BTF holds, or the kernel refuses the BTF) */
struct plain {
	long v;
	struct bpf_list_node node;
};

struct pbox {
	struct bpf_spin_lock lock;
	struct bpf_list_head list __contains(plain, node);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct pbox);
} pboxes SEC(".maps");
#endif

#ifdef WANT_ABSENT
/* contains: names a struct that is nowhere in the BTF */
struct absent_box {
	struct bpf_spin_lock lock;
	struct bpf_list_head list __contains(nosuch, node);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct absent_box);
} absent SEC(".maps");
#endif

/* an allocated object holding a list (and the lock that guards it) */
struct owner {
	struct bpf_spin_lock lock;
	struct bpf_list_head list __contains(plain, node);
	long n;
};

private(G) struct bpf_spin_lock glock;
private(G) struct bpf_list_head glist __contains(item, link);
private(G) struct bpf_rb_root gtree __contains(item, rb);
private(H) struct bpf_spin_lock hlock;

/* keeps the node types in every object's BTF: a map's contains: tag must name a type the BTF holds */
static __attribute__((noinline, used)) int keep_types(struct item *i
#ifdef WANT_PLAIN
	, struct plain *p
#endif
	)
{
	return 0;
}

static __attribute__((noinline, used)) _Bool item_less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return owner_of(a, struct item, rb)->key < owner_of(b, struct item, rb)->key;
}

#endif
