/* SPDX-License-Identifier: MIT */
/*
 * tc programs that build lists and trees of BPF-allocated objects, for test/kernel-graph.spec.ts:
 * each run's return value says what the program found, and the objects stay in the map value
 * between runs. Written for uxdp; no kernel selftest code.
 */
#define WANT_PLAIN
#include "verifier/graph.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, long);
} seq SEC(".maps");

/* the next value of a counter kept in a map: 1, 2, 3, ... over runs */
static __always_inline long next_seq(void)
{
	long *s = bpf_map_lookup_elem(&seq, &(int){0});

	if (!s)
		return 0;
	*s += 1;
	return *s;
}

/* pushes one item keyed by the run's sequence number to the back (odd) or front (even) */
SEC("tc") int list_push(struct __sk_buff *ctx)
{
	struct box *b = bpf_map_lookup_elem(&boxes, &(int){0});
	long s = next_seq();
	struct item *it;

	if (!b)
		return -1;
	it = new_obj(struct item);
	if (!it)
		return -2;
	it->value = s;
	bpf_spin_lock(&b->lock);
	if (s & 1)
		push_back(&b->items, &it->link);
	else
		push_front(&b->items, &it->link);
	b->count++;
	bpf_spin_unlock(&b->lock);
	return s;
}

/* pops the front item: its value, or 0 when the list is empty */
SEC("tc") int list_pop_front(struct __sk_buff *ctx)
{
	struct box *b = bpf_map_lookup_elem(&boxes, &(int){0});
	struct bpf_list_node *n;
	int v;

	if (!b)
		return -1;
	bpf_spin_lock(&b->lock);
	n = bpf_list_pop_front(&b->items);
	if (n)
		b->count--;
	bpf_spin_unlock(&b->lock);
	if (!n)
		return 0;
	v = owner_of(n, struct item, link)->value;
	drop_obj(owner_of(n, struct item, link));
	return v;
}

/* pops the back item */
SEC("tc") int list_pop_back(struct __sk_buff *ctx)
{
	struct box *b = bpf_map_lookup_elem(&boxes, &(int){0});
	struct bpf_list_node *n;
	int v;

	if (!b)
		return -1;
	bpf_spin_lock(&b->lock);
	n = bpf_list_pop_back(&b->items);
	if (n)
		b->count--;
	bpf_spin_unlock(&b->lock);
	if (!n)
		return 0;
	v = owner_of(n, struct item, link)->value;
	drop_obj(owner_of(n, struct item, link));
	return v;
}

/* front and back values without removing them: front * 1000 + back */
SEC("tc") int list_peek(struct __sk_buff *ctx)
{
	struct box *b = bpf_map_lookup_elem(&boxes, &(int){0});
	struct bpf_list_node *n;
	int f = 0, k = 0;

	if (!b)
		return -1;
	bpf_spin_lock(&b->lock);
	n = bpf_list_front(&b->items);
	if (n)
		f = owner_of(n, struct item, link)->value;
	n = bpf_list_back(&b->items);
	if (n)
		k = owner_of(n, struct item, link)->value;
	bpf_spin_unlock(&b->lock);
	return f * 1000 + k;
}

/* adds an item to the global tree with a key scrambled from the run's sequence number */
SEC("tc") int tree_add(struct __sk_buff *ctx)
{
	long s = next_seq();
	struct box *b = bpf_map_lookup_elem(&boxes, &(int){0});
	long key = ((unsigned long)s * 7) % 11;
	struct item *it;

	if (!b)
		return -1;
	it = new_obj(struct item);
	if (!it)
		return -2;
	it->key = key;
	it->value = s;
	bpf_spin_lock(&b->lock);
	rb_add(&b->tree, &it->rb, item_less);
	bpf_spin_unlock(&b->lock);
	return key;
}

/* removes the smallest key: key * 100 + value, or -3 when empty */
SEC("tc") int tree_pop_first(struct __sk_buff *ctx)
{
	struct box *b = bpf_map_lookup_elem(&boxes, &(int){0});
	struct bpf_rb_node *n;
	struct item *it;
	int r;

	if (!b)
		return -1;
	bpf_spin_lock(&b->lock);
	n = bpf_rbtree_first(&b->tree);
	if (!n) {
		bpf_spin_unlock(&b->lock);
		return -3;
	}
	n = bpf_rbtree_remove(&b->tree, n);
	bpf_spin_unlock(&b->lock);
	if (!n)
		return -4;
	it = owner_of(n, struct item, rb);
	r = it->key * 100 + it->value;
	drop_obj(it);
	return r;
}

/* a list inside an allocated object: four plain nodes pushed, popped back in order, all dropped */
SEC("tc") int nested_list(struct __sk_buff *ctx)
{
	struct owner *o = new_obj(struct owner);
	struct bpf_list_node *n;
	int i, r = 0;

	if (!o)
		return -2;
	for (i = 0; i < 4; i++) {
		struct plain *p = new_obj(struct plain);

		if (!p)
			break;
		p->v = i + 1;
		bpf_spin_lock(&o->lock);
		push_back(&o->list, &p->node);
		bpf_spin_unlock(&o->lock);
	}
	/* pop two, leave two for the drop of the owner to free */
	for (i = 0; i < 2; i++) {
		bpf_spin_lock(&o->lock);
		n = bpf_list_pop_front(&o->list);
		bpf_spin_unlock(&o->lock);
		if (!n)
			break;
		r = r * 10 + owner_of(n, struct plain, node)->v;
		drop_obj(owner_of(n, struct plain, node));
	}
	drop_obj(o);
	return r;
}

/* pushing a node already in a list: -EINVAL (the kernel drops the object) */
SEC("tc") int refcount_double_push(struct __sk_buff *ctx)
{
	struct box *b = bpf_map_lookup_elem(&boxes, &(int){0});
	struct item *it, *again;
	int r1, r2;

	if (!b)
		return -1;
	it = new_obj(struct item);
	if (!it)
		return -2;
	it->value = 77;
	again = bpf_refcount_acquire_impl(it, 0);
	bpf_spin_lock(&b->lock);
	r1 = push_back(&b->items, &it->link);
	r2 = again ? push_back(&b->items, &again->link) : 5;
	bpf_spin_unlock(&b->lock);
	return r1 * 100 + r2;
}
