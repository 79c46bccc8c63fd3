/* SPDX-License-Identifier: MIT */
/* Local kptrs at run time (test/kernel-kptr.spec.ts): tc programs run in sequences on one loaded
 * object; what they stash in the map's values stays there between runs. Written for uxdp. */
#include "verifier/kptr.h"

/* one bpf_obj_drop call site per type: clang must not merge them (the kernel refuses a call site
 * that drops objects of two types) */
void bpf_obj_drop_impl(void *p__alloc, void *meta__ign) __ksym __attribute__((nomerge));

#define EMPTY 0xee

/* a new plain object (a = the value's counter) stashed; the old one's a + 100, or 0 */
SEC("tc") int stash_plain(struct __sk_buff *ctx)
{
	struct plain *p;
	long r = 0;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	/* every field written: the kernel does not clear the memory of a reused object */
	p->a = ++s->n;
	p->b = 0;
	p = bpf_kptr_xchg(&s->p, p);
	if (p) {
		r = p->a + 100;
		drop_obj(p);
	}
	return r;
}

/* the stashed plain object taken back: its a and b, or EMPTY */
SEC("tc") int unstash_plain(struct __sk_buff *ctx)
{
	struct plain *p;
	long r;
	SLOT
	p = bpf_kptr_xchg(&s->p, NULL);
	if (!p)
		return EMPTY;
	r = p->a * 16 + p->b;
	drop_obj(p);
	return r;
}

/* the stashed object read and written in place through the loaded kptr */
SEC("tc") int bump_plain(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = s->p;
	if (!p)
		return EMPTY;
	p->b++;
	return p->a * 16 + p->b;
}

/* a holder holding a plain object, stashed; the old holder's inner a + 100 (or 50), or 0 */
SEC("tc") int stash_nested(struct __sk_buff *ctx)
{
	struct holder *h;
	struct plain *p;
	long r = 0;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	p->a = ++s->n;
	h = new_obj(struct holder);
	if (!h) {
		drop_obj(p);
		return 3;
	}
	h->k = p->a;
	p = bpf_kptr_xchg(&h->inner, p);
	if (p) {
		drop_obj(p);
		drop_obj(h);
		return 4;
	}
	h = bpf_kptr_xchg(&s->h, h);
	if (h) {
		r = h->k + 50;
		drop_obj(h);
	}
	return r;
}

/* the holder taken back, then its inner object: k * 16 + inner a, or EMPTY */
SEC("tc") int unstash_nested(struct __sk_buff *ctx)
{
	struct holder *h;
	struct plain *p;
	long r;
	SLOT
	h = bpf_kptr_xchg(&s->h, NULL);
	if (!h)
		return EMPTY;
	r = h->k * 16;
	p = bpf_kptr_xchg(&h->inner, NULL);
	if (p) {
		r += p->a;
		drop_obj(p);
	}
	drop_obj(h);
	return r;
}

/* a refcounted object both in the tree and stashed (bpf_refcount_acquire) */
SEC("tc") int counted_add(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	long ret = 0;
	SLOT
	c = new_obj(struct counted);
	if (!c)
		return 2;
	c->key = ++s->n;
	r = acquire(c);
	bpf_spin_lock(&klock);
	rb_add(&ktree, &c->rb, counted_less);
	bpf_spin_unlock(&klock);
	r = bpf_kptr_xchg(&s->c, r);
	if (r) {
		ret = r->key + 100;
		drop_obj(r);
	}
	return ret;
}

/* the stashed reference read without taking it (an RCU pointer), and a new reference from it */
SEC("tc") int counted_peek(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	long k;
	SLOT
	c = s->c;
	if (!c)
		return EMPTY;
	r = acquire(c);
	if (!r)
		return 3;
	k = r->key;
	drop_obj(r);
	return k;
}

/* the tree's first object removed and dropped: its key, or EMPTY */
SEC("tc") int counted_pop_tree(struct __sk_buff *ctx)
{
	struct bpf_rb_node *n;
	struct counted *c;
	long k;

	bpf_spin_lock(&klock);
	n = bpf_rbtree_first(&ktree);
	if (!n) {
		bpf_spin_unlock(&klock);
		return EMPTY;
	}
	n = bpf_rbtree_remove(&ktree, n);
	bpf_spin_unlock(&klock);
	if (!n)
		return 3;
	c = owner_of(n, struct counted, rb);
	k = c->key;
	drop_obj(c);
	return k;
}

/* the stashed reference taken back and dropped: its key, or EMPTY */
SEC("tc") int counted_unstash(struct __sk_buff *ctx)
{
	struct counted *c;
	long k;
	SLOT
	c = bpf_kptr_xchg(&s->c, NULL);
	if (!c)
		return EMPTY;
	k = c->key;
	drop_obj(c);
	return k;
}

/* a per-CPU object stashed (1 if one was there already), this CPU's copy cleared (the kernel
 * does not clear a reused object's memory; the runs are pinned to CPU 0) */
SEC("tc") int percpu_stash(struct __sk_buff *ctx)
{
	struct pcpu *p, *old, *v;
	SLOT
	p = new_percpu(struct pcpu);
	if (!p)
		return 2;
	old = bpf_kptr_xchg(&s->pc, p);
	v = bpf_this_cpu_ptr(p);
	v->hits = 0;
	v->bytes = 0;
	if (old) {
		drop_percpu(old);
		return 1;
	}
	return 0;
}

/* this CPU's copy counted: hits * 4096 + bytes (the runs are pinned to CPU 0) */
SEC("tc") int percpu_bump(struct __sk_buff *ctx)
{
	struct pcpu *p, *v;
	SLOT
	p = s->pc;
	if (!p)
		return EMPTY;
	v = bpf_this_cpu_ptr(p);
	v->hits++;
	v->bytes += ctx->len;
	return v->hits * 4096 + v->bytes;
}

/* CPU 0's copy read through bpf_per_cpu_ptr */
SEC("tc") int percpu_cpu0(struct __sk_buff *ctx)
{
	struct pcpu *p, *v;
	SLOT
	p = s->pc;
	if (!p)
		return EMPTY;
	v = bpf_per_cpu_ptr(p, 0);
	if (!v)
		return 3;
	return v->hits;
}

/* the value overwritten by bpf_map_update_elem: the kernel drops what its kptrs held */
SEC("tc") int overwrite_slot(struct __sk_buff *ctx)
{
	struct slot zero = {};
	int k = 0;

	return bpf_map_update_elem(&slots, &k, &zero, BPF_ANY);
}

/* an object stashed in a hash element (created if absent), 1 if it replaced one */
SEC("tc") int hash_stash(struct __sk_buff *ctx)
{
	struct slot zero = {};
	struct plain *p;
	struct slot *s;
	int k = 7;

	bpf_map_update_elem(&hslots, &k, &zero, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&hslots, &k);
	if (!s)
		return 2;
	p = new_obj(struct plain);
	if (!p)
		return 3;
	p->a = 9;
	p = bpf_kptr_xchg(&s->p, p);
	if (p) {
		drop_obj(p);
		return 1;
	}
	return 0;
}

/* the hash element deleted (its kptr goes with it): bpf_map_delete_elem's result */
SEC("tc") int hash_delete(struct __sk_buff *ctx)
{
	int k = 7;

	return bpf_map_delete_elem(&hslots, &k);
}

/* the hash element's stashed a, EMPTY without one, 0xdd without the element */
SEC("tc") int hash_peek(struct __sk_buff *ctx)
{
	struct plain *p;
	struct slot *s;
	int k = 7;

	s = bpf_map_lookup_elem(&hslots, &k);
	if (!s)
		return 0xdd;
	p = s->p;
	if (!p)
		return EMPTY;
	return p->a;
}

/* one refcounted object in the tree and in the list at once */
SEC("tc") int counted_both(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	SLOT
	c = new_obj(struct counted);
	if (!c)
		return 2;
	c->key = ++s->n;
	r = acquire(c);
	bpf_spin_lock(&klock);
	rb_add(&ktree, &c->rb, counted_less);
	push_back(&klist, &r->ln);
	bpf_spin_unlock(&klock);
	return 0;
}

/* the list's first object taken and dropped: its key, or EMPTY */
SEC("tc") int counted_pop_list(struct __sk_buff *ctx)
{
	struct bpf_list_node *n;
	struct counted *c;
	long k;

	bpf_spin_lock(&klock);
	n = bpf_list_pop_front(&klist);
	bpf_spin_unlock(&klock);
	if (!n)
		return EMPTY;
	c = owner_of(n, struct counted, ln);
	k = c->key;
	drop_obj(c);
	return k;
}

/* the same object added to the tree twice: the second add fails (-EINVAL), its reference dropped */
SEC("tc") int counted_add_twice(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	long e;
	SLOT
	c = new_obj(struct counted);
	if (!c)
		return 2;
	c->key = ++s->n;
	r = acquire(c);
	bpf_spin_lock(&klock);
	rb_add(&ktree, &c->rb, counted_less);
	e = rb_add(&ktree, &r->rb, counted_less);
	bpf_spin_unlock(&klock);
	return e;
}

/* a new reference from the tree's first object (non-owning, under the lock): its key, or EMPTY */
SEC("tc") int counted_first_ref(struct __sk_buff *ctx)
{
	struct bpf_rb_node *n;
	struct counted *r;
	long k;

	bpf_spin_lock(&klock);
	n = bpf_rbtree_first(&ktree);
	if (!n) {
		bpf_spin_unlock(&klock);
		return EMPTY;
	}
	r = acquire(owner_of(n, struct counted, rb));
	bpf_spin_unlock(&klock);
	if (!r)
		return 3;
	k = r->key;
	drop_obj(r);
	return k;
}
