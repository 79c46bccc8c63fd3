/* SPDX-License-Identifier: MIT */
/* BPF-allocated objects, lists and trees: owning and non-owning references, the lock that must
 * be held, accesses to local objects. Written for uxdp. */
#if (CASE == 28 || CASE == 29 || CASE == 31 || CASE == 32)
#define WANT_PLAIN
#endif
#if (CASE == 21)
#define WANT_ABSENT
#endif
#include "graph.h"

#define BOX struct box *b = bpf_map_lookup_elem(&boxes, &(int){0}); if (!b) return 1;

#if CASE == 0 /* graph_new_drop accepted tc: bpf_obj_new, null check, write, drop */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it = new_obj(struct item);

	if (!it)
		return 1;
	it->value = 5;
	drop_obj(it);
	return 0;
}
#elif CASE == 1 /* graph_new_leak refused tc: an object neither dropped nor pushed leaks */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it = new_obj(struct item);

	if (!it)
		return 1;
	it->value = 5;
	return 0;
}
#elif CASE == 2 /* graph_new_no_null_check refused tc: a write before the null check */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it = new_obj(struct item);

	it->value = 5;
	if (it)
		drop_obj(it);
	return 0;
}
#elif CASE == 3 /* graph_push_pop_map accepted tc: push into a map value's list and pop it back under its lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_list_node *n;
	struct item *it;
	BOX
	it = new_obj(struct item);
	if (!it)
		return 1;
	it->value = 7;
	bpf_spin_lock(&b->lock);
	push_back(&b->items, &it->link);
	n = bpf_list_pop_front(&b->items);
	bpf_spin_unlock(&b->lock);
	if (!n)
		return 2;
	it = owner_of(n, struct item, link);
	int v = it->value;
	drop_obj(it);
	return v;
}
#elif CASE == 4 /* graph_push_without_lock refused tc: a push with no lock held */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it;
	BOX
	it = new_obj(struct item);
	if (!it)
		return 1;
	push_back(&b->items, &it->link);
	return 0;
}
#elif CASE == 5 /* graph_pop_without_lock refused tc: a pop with no lock held */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_list_node *n;
	BOX
	n = bpf_list_pop_front(&b->items);
	if (n)
		drop_obj(owner_of(n, struct item, link));
	return 0;
}
#elif CASE == 6 /* graph_push_wrong_lock refused tc: the global list under the other section's lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it = new_obj(struct item);

	if (!it)
		return 1;
	bpf_spin_lock(&hlock);
	push_back(&glist, &it->link);
	bpf_spin_unlock(&hlock);
	return 0;
}
#elif CASE == 7 /* graph_global_push_pop accepted tc: a list in a .bss.G global, its lock beside it */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_list_node *n;
	struct item *it = new_obj(struct item);

	if (!it)
		return 1;
	bpf_spin_lock(&glock);
	push_front(&glist, &it->link);
	bpf_spin_unlock(&glock);
	bpf_spin_lock(&glock);
	n = bpf_list_pop_back(&glist);
	bpf_spin_unlock(&glock);
	if (n)
		drop_obj(owner_of(n, struct item, link));
	return 0;
}
#elif CASE == 8 /* graph_non_owning_after_unlock refused tc: a pushed object is read after the unlock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it;
	BOX
	it = new_obj(struct item);
	if (!it)
		return 1;
	bpf_spin_lock(&b->lock);
	push_back(&b->items, &it->link);
	bpf_spin_unlock(&b->lock);
	return it->value;
}
#elif CASE == 9 /* graph_non_owning_in_lock accepted tc: a pushed object is written before the unlock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it;
	BOX
	it = new_obj(struct item);
	if (!it)
		return 1;
	bpf_spin_lock(&b->lock);
	push_back(&b->items, &it->link);
	it->value = 3;
	bpf_spin_unlock(&b->lock);
	return 0;
}
#elif CASE == 10 /* graph_drop_after_push refused tc: dropping a non-owning reference */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it;
	BOX
	it = new_obj(struct item);
	if (!it)
		return 1;
	bpf_spin_lock(&b->lock);
	push_back(&b->items, &it->link);
	bpf_spin_unlock(&b->lock);
	drop_obj(it);
	return 0;
}
#elif CASE == 11 /* graph_push_wrong_node refused tc: the tree node offered to a list */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it;
	BOX
	it = new_obj(struct item);
	if (!it)
		return 1;
	bpf_spin_lock(&b->lock);
	push_back(&b->items, (struct bpf_list_node *)&it->rb);
	bpf_spin_unlock(&b->lock);
	return 0;
}
#elif CASE == 12 /* graph_direct_node_write refused tc: a store into an object's list node */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it = new_obj(struct item);

	if (!it)
		return 1;
	*(volatile __u64 *)&it->link = 0;
	drop_obj(it);
	return 0;
}
#elif CASE == 13 /* graph_access_beyond refused tc: a read past the end of the local type */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it = new_obj(struct item);
	long v;

	if (!it)
		return 1;
	v = *(volatile long *)((void *)it + sizeof(*it));
	drop_obj(it);
	return v;
}
#elif CASE == 14 /* graph_drop_offset refused tc: dropping a pointer into the object's middle */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it = new_obj(struct item);

	if (!it)
		return 1;
	drop_obj(&it->key);
	return 0;
}
#elif CASE == 15 /* graph_rbtree_add_first_remove accepted tc: add with less(), first, remove, drop */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_rb_node *n;
	struct item *it;
	BOX
	it = new_obj(struct item);
	if (!it)
		return 1;
	it->key = 4;
	bpf_spin_lock(&b->lock);
	rb_add(&b->tree, &it->rb, item_less);
	n = bpf_rbtree_first(&b->tree);
	if (!n) {
		bpf_spin_unlock(&b->lock);
		return 2;
	}
	n = bpf_rbtree_remove(&b->tree, n);
	bpf_spin_unlock(&b->lock);
	if (!n)
		return 3;
	drop_obj(owner_of(n, struct item, rb));
	return 0;
}
#elif CASE == 16 /* graph_rbtree_remove_owning accepted tc: 6.18 takes an owning reference to remove (the live kernel accepts it) */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_rb_node *n;
	struct item *it;
	BOX
	it = new_obj(struct item);
	if (!it)
		return 1;
	bpf_spin_lock(&b->lock);
	n = bpf_rbtree_remove(&b->tree, &it->rb);
	bpf_spin_unlock(&b->lock);
	if (n)
		drop_obj(owner_of(n, struct item, rb));
	drop_obj(it);
	return 0;
}
#elif CASE == 17 /* graph_first_no_lock refused tc: rbtree_first without the lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	BOX
	return bpf_rbtree_first(&b->tree) ? 1 : 0;
}
#elif CASE == 18 /* graph_helper_in_lock refused tc: a helper call while the lock is held */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	BOX
	bpf_spin_lock(&b->lock);
	b->count = bpf_get_prandom_u32();
	bpf_spin_unlock(&b->lock);
	return 0;
}
#elif CASE == 19 /* graph_drop_in_lock refused tc: bpf_obj_drop is no graph call: not under the lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_list_node *n;
	BOX
	bpf_spin_lock(&b->lock);
	n = bpf_list_pop_front(&b->items);
	if (n)
		drop_obj(owner_of(n, struct item, link));
	bpf_spin_unlock(&b->lock);
	return 0;
}
#elif CASE == 20 /* graph_pop_leak refused tc: a popped node neither dropped nor pushed */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_list_node *n;
	BOX
	bpf_spin_lock(&b->lock);
	n = bpf_list_pop_front(&b->items);
	bpf_spin_unlock(&b->lock);
	return n ? 1 : 0;
}
#elif CASE == 21 /* graph_btf_absent_contains refused tc: a map value's contains: names no struct of the BTF: the kernel refuses the BTF, libbpf loads without it, and the lock needs BTF */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_list_node *n;
	int v = 0;
	BOX
	bpf_spin_lock(&b->lock);
	n = bpf_list_front(&b->items);
	if (n)
		v = owner_of(n, struct item, link)->value;
	bpf_spin_unlock(&b->lock);
	return v;
}
#elif CASE == 22 /* graph_exit_in_lock refused tc: returning with the lock held */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	BOX
	bpf_spin_lock(&b->lock);
	return 0;
}
#elif CASE == 23 /* graph_obj_new_not_struct refused tc: bpf_obj_new of an int's type id */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	int *p = bpf_obj_new_impl(bpf_core_type_id_local(int), 0);

	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 24 /* graph_push_twice refused tc: the second push of an object already pushed */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it;
	BOX
	it = new_obj(struct item);
	if (!it)
		return 1;
	bpf_spin_lock(&b->lock);
	push_back(&b->items, &it->link);
	push_back(&b->items, &it->link);
	bpf_spin_unlock(&b->lock);
	return 0;
}
#elif CASE == 25 /* graph_global_tree accepted tc: a tree in a global, add then pop via first/remove */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_rb_node *n;
	struct item *it = new_obj(struct item);

	if (!it)
		return 1;
	it->key = 9;
	bpf_spin_lock(&glock);
	rb_add(&gtree, &it->rb, item_less);
	n = bpf_rbtree_first(&gtree);
	if (n)
		n = bpf_rbtree_remove(&gtree, n);
	bpf_spin_unlock(&glock);
	if (n)
		drop_obj(owner_of(n, struct item, rb));
	return 0;
}
#elif CASE == 26 /* graph_list_front_read accepted tc: bpf_list_front's non-owning node read under the lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_list_node *n;
	struct item *it;
	int v = 0;
	BOX
	it = new_obj(struct item);
	if (!it)
		return 1;
	bpf_spin_lock(&b->lock);
	push_back(&b->items, &it->link);
	n = bpf_list_front(&b->items);
	if (n)
		v = owner_of(n, struct item, link)->value;
	bpf_spin_unlock(&b->lock);
	return v;
}
#elif CASE == 27 /* graph_drop_maybe_null refused tc: bpf_obj_drop before the null check */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it = new_obj(struct item);

	drop_obj(it);
	return 0;
}
#elif CASE == 28 /* graph_drop_non_owning_plain refused tc: dropping a non-owning reference to a type without bpf_refcount */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	struct pbox *b = bpf_map_lookup_elem(&pboxes, &(int){0});

	if (!b)
		return 1;
	p = new_obj(struct plain);
	if (!p)
		return 1;
	bpf_spin_lock(&b->lock);
	push_front(&b->list, &p->node);
	bpf_spin_unlock(&b->lock);
	drop_obj(p);
	return 0;
}
#elif CASE == 29 /* graph_plain_pop_push_back accepted tc: pop a plain node and push it back */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_list_node *n;
	struct pbox *b = bpf_map_lookup_elem(&pboxes, &(int){0});

	if (!b)
		return 1;
	bpf_spin_lock(&b->lock);
	n = bpf_list_pop_front(&b->list);
	if (n)
		push_back(&b->list, n);
	bpf_spin_unlock(&b->lock);
	return 0;
}
#elif CASE == 30 /* graph_new_in_lock refused tc: bpf_obj_new while holding the lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct item *it;
	BOX
	bpf_spin_lock(&b->lock);
	it = new_obj(struct item);
	bpf_spin_unlock(&b->lock);
	if (it)
		drop_obj(it);
	return 0;
}
#elif CASE == 31 /* graph_object_lock_list accepted tc: a list inside an allocated object under the object's own lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_list_node *n;
	struct owner *o = new_obj(struct owner);
	struct plain *p;

	if (!o)
		return 1;
	p = new_obj(struct plain);
	if (!p) {
		drop_obj(o);
		return 1;
	}
	bpf_spin_lock(&o->lock);
	push_back(&o->list, &p->node);
	n = bpf_list_pop_back(&o->list);
	bpf_spin_unlock(&o->lock);
	if (n)
		drop_obj(owner_of(n, struct plain, node));
	drop_obj(o);
	return 0;
}
#elif CASE == 32 /* graph_object_list_map_lock refused tc: a list inside an object under a map value's lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct owner *o;
	struct plain *p;
	BOX
	o = new_obj(struct owner);
	if (!o)
		return 1;
	p = new_obj(struct plain);
	if (!p) {
		drop_obj(o);
		return 1;
	}
	bpf_spin_lock(&b->lock);
	push_back(&o->list, &p->node);
	bpf_spin_unlock(&b->lock);
	drop_obj(o);
	return 0;
}
#endif
