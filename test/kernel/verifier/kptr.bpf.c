/* SPDX-License-Identifier: MIT */
/* Local kptrs: program types stashed in map values and objects with bpf_kptr_xchg, kptr fields
 * loaded and stored, refcounted objects (bpf_refcount_acquire), per-CPU objects. Written for uxdp. */
#include "kptr.h"

#if CASE == 0 /* kptr_stash_plain accepted tc: a new object stashed in a map value, the old one dropped */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	p->a = 1;
	p = bpf_kptr_xchg(&s->p, p);
	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 1 /* kptr_unstash_read accepted tc: taken back with a NULL exchange, read, dropped */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	long v;
	SLOT
	p = bpf_kptr_xchg(&s->p, NULL);
	if (!p)
		return 2;
	v = p->a;
	drop_obj(p);
	return v;
}
#elif CASE == 2 /* kptr_load_read accepted tc: a kptr field loaded (an RCU pointer), NULL-checked, read */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = s->p;
	if (!p)
		return 2;
	return p->a + p->b;
}
#elif CASE == 3 /* kptr_load_write accepted tc: an object written through a loaded kptr */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = s->p;
	if (!p)
		return 2;
	p->b = 7;
	return 0;
}
#elif CASE == 4 /* kptr_drop_merged refused tc: clang merges the drops of two types into one call: the kernel wants one type per call site */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct holder *h;
	struct plain *p;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	h = new_obj(struct holder);
	if (!h) {
		drop_obj(p);
		return 3;
	}
	p = bpf_kptr_xchg(&h->inner, p);
	if (p)
		drop_obj(p);
	h = bpf_kptr_xchg(&s->h, h);
	if (h)
		drop_obj(h);
	return 0;
}
#elif CASE == 5 /* kptr_unstash_nested accepted tc: the holder taken back, then what it holds */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct holder *h;
	struct plain *p;
	long v = 0;
	SLOT
	h = bpf_kptr_xchg(&s->h, NULL);
	if (!h)
		return 2;
	p = bpf_kptr_xchg(&h->inner, NULL);
	if (p) {
		v = p->a;
		drop_obj(p);
	}
	drop_obj(h);
	return v;
}
#elif CASE == 6 /* kptr_acquire_loaded accepted tc: bpf_refcount_acquire of a loaded refcounted kptr may fail */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	long k;
	SLOT
	c = s->c;
	if (!c)
		return 2;
	r = acquire(c);
	if (!r)
		return 3;
	k = r->key;
	drop_obj(r);
	return k;
}
#elif CASE == 7 /* kptr_acquire_owning accepted tc: from an owning reference it cannot fail */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	SLOT
	c = new_obj(struct counted);
	if (!c)
		return 2;
	r = acquire(c);
	r->key = 5;
	c = bpf_kptr_xchg(&s->c, c);
	if (c)
		drop_obj(c);
	drop_obj(r);
	return 0;
}
#elif CASE == 8 /* kptr_tree_and_stash accepted tc: one refcounted object both in a tree and stashed */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	SLOT
	c = new_obj(struct counted);
	if (!c)
		return 2;
	c->key = 3;
	r = acquire(c);
	bpf_spin_lock(&klock);
	rb_add(&ktree, &c->rb, counted_less);
	bpf_spin_unlock(&klock);
	r = bpf_kptr_xchg(&s->c, r);
	if (r)
		drop_obj(r);
	return 0;
}
#elif CASE == 9 /* kptr_percpu_stash accepted tc: a per-CPU object stashed in a __percpu_kptr field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct pcpu *p;
	SLOT
	p = new_percpu(struct pcpu);
	if (!p)
		return 2;
	p = bpf_kptr_xchg(&s->pc, p);
	if (p)
		drop_percpu(p);
	return 0;
}
#elif CASE == 10 /* kptr_percpu_this_cpu accepted tc: this CPU's copy of a loaded per-CPU kptr, counted */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct pcpu *p, *v;
	SLOT
	p = s->pc;
	if (!p)
		return 2;
	v = bpf_this_cpu_ptr(p);
	v->hits++;
	v->bytes += ctx->len;
	return 0;
}
#elif CASE == 11 /* kptr_percpu_per_cpu accepted tc: CPU 0's copy (bpf_per_cpu_ptr), read */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct pcpu *p, *v;
	SLOT
	p = s->pc;
	if (!p)
		return 2;
	v = bpf_per_cpu_ptr(p, 0);
	if (!v)
		return 3;
	return v->hits;
}
#elif CASE == 12 /* kptr_percpu_after_stash accepted tc: a per-CPU object stays readable (RCU) after it is stashed */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct pcpu *p, *old, *v;
	SLOT
	p = new_percpu(struct pcpu);
	if (!p)
		return 2;
	old = bpf_kptr_xchg(&s->pc, p);
	if (old)
		drop_percpu(old);
	v = bpf_this_cpu_ptr(p);
	return v->hits;
}
#elif CASE == 13 /* kptr_untrusted_store accepted tc: an owned object's address stored in a __kptr_untrusted field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	s->u = p;
	drop_obj(p);
	return 0;
}
#elif CASE == 14 /* kptr_untrusted_read accepted tc: an untrusted kptr read (PTR_UNTRUSTED) */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = s->u;
	if (!p)
		return 2;
	return p->a;
}
#elif CASE == 15 /* kptr_untrusted_clear accepted tc: NULL stored into a __kptr_untrusted field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	SLOT
	s->u = 0;
	return 0;
}
#elif CASE == 16 /* kptr_hash_stash accepted tc: stashed in a hash map's value */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct slot zero = {};
	struct plain *p;
	struct slot *s;
	int k = 1;

	bpf_map_update_elem(&hslots, &k, &zero, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&hslots, &k);
	if (!s)
		return 1;
	p = new_obj(struct plain);
	if (!p)
		return 2;
	p = bpf_kptr_xchg(&s->p, p);
	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 17 /* kptr_unstash_into_tree accepted tc: a refcounted object unstashed and added to a tree */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *c;
	SLOT
	c = bpf_kptr_xchg(&s->c, NULL);
	if (!c)
		return 2;
	bpf_spin_lock(&klock);
	rb_add(&ktree, &c->rb, counted_less);
	bpf_spin_unlock(&klock);
	return 0;
}
#elif CASE == 18 /* kptr_load_node_read accepted tc: a loaded kptr of a node type (non-owning RCU), read */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *c;
	SLOT
	c = s->c;
	if (!c)
		return 2;
	return c->key;
}
#elif CASE == 19 /* kptr_xchg_null_both accepted tc: exchanging NULL for NULL */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = bpf_kptr_xchg(&s->p, NULL);
	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 20 /* kptr_xchg_wrong_type refused tc: an object of another type into a kptr field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct other *o;
	SLOT
	o = new_obj(struct other);
	if (!o)
		return 2;
	o = bpf_kptr_xchg(&s->p, o);
	if (o)
		drop_obj(o);
	return 0;
}
#elif CASE == 21 /* kptr_xchg_untrusted_field refused tc: bpf_kptr_xchg into a __kptr_untrusted field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	p = bpf_kptr_xchg(&s->u, p);
	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 22 /* kptr_xchg_not_kptr refused tc: bpf_kptr_xchg on a field that is no kptr */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	p = bpf_kptr_xchg(&s->n, p);
	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 23 /* kptr_xchg_var_off refused tc: a destination at a variable offset */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	__u32 i = ctx->len & 8;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	p = bpf_kptr_xchg((void *)&s->p + i, p);
	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 24 /* kptr_store_referenced refused tc: a plain store into a __kptr field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	s->p = p;
	drop_obj(p);
	return 0;
}
#elif CASE == 25 /* kptr_store_null_referenced refused tc: even NULL goes into a __kptr field by exchange only */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	SLOT
	s->p = 0;
	return 0;
}
#elif CASE == 26 /* kptr_narrow_read refused tc: a 4-byte read of a kptr field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	SLOT
	return *(volatile __u32 *)&s->p;
}
#elif CASE == 27 /* kptr_misaligned_read refused tc: a read starting inside a kptr field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	SLOT
	return *(volatile __u8 *)((void *)&s->p + 1);
}
#elif CASE == 28 /* kptr_unstash_leak refused tc: an unstashed object neither dropped nor stashed again */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = bpf_kptr_xchg(&s->p, NULL);
	if (!p)
		return 2;
	return p->a;
}
#elif CASE == 29 /* kptr_load_no_null_check refused tc: a loaded kptr read before its NULL check */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = s->p;
	return p->a;
}
#elif CASE == 30 /* kptr_percpu_into_plain refused tc: a per-CPU object into a __kptr field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct pcpu *p;
	SLOT
	p = new_percpu(struct pcpu);
	if (!p)
		return 2;
	p = bpf_kptr_xchg(&s->p, p);
	if (p)
		drop_percpu(p);
	return 0;
}
#elif CASE == 31 /* kptr_plain_into_percpu refused tc: an ordinary object into a __percpu_kptr field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct pcpu *p;
	SLOT
	p = new_obj(struct pcpu);
	if (!p)
		return 2;
	p = bpf_kptr_xchg(&s->pc, p);
	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 32 /* kptr_this_cpu_owning refused tc: bpf_this_cpu_ptr of a just allocated per-CPU object */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct pcpu *p, *v;
	p = new_percpu(struct pcpu);
	if (!p)
		return 2;
	v = bpf_this_cpu_ptr(p);
	drop_percpu(p);
	return v != 0;
}
#elif CASE == 33 /* kptr_percpu_deref refused tc: a per-CPU kptr read directly */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct pcpu *p;
	SLOT
	p = s->pc;
	if (!p)
		return 2;
	return p->hits;
}
#elif CASE == 34 /* kptr_acquire_no_refcount refused tc: bpf_refcount_acquire of a type without bpf_refcount */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p, *q;
	p = new_obj(struct plain);
	if (!p)
		return 2;
	q = acquire(p);
	if (q)
		drop_obj(q);
	drop_obj(p);
	return 0;
}
#elif CASE == 35 /* kptr_acquire_map_value refused tc: bpf_refcount_acquire of a map value */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *q;
	SLOT
	q = acquire(s);
	if (q)
		drop_obj(q);
	return 0;
}
#elif CASE == 36 /* kptr_use_after_stash refused tc: an object written after the map took it */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p, *old;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	old = bpf_kptr_xchg(&s->p, p);
	if (old)
		drop_obj(old);
	p->a = 1;
	return 0;
}
#elif CASE == 37 /* kptr_drop_loaded refused tc: bpf_obj_drop of a loaded (unowned) kptr */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = s->p;
	if (!p)
		return 2;
	drop_obj(p);
	return 0;
}
#elif CASE == 38 /* kptr_untrusted_write refused tc: a write through an untrusted kptr */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = s->u;
	if (!p)
		return 2;
	p->a = 1;
	return 0;
}
#elif CASE == 39 /* kptr_untrusted_wrong_type refused tc: an object of another type into a __kptr_untrusted field */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct other *o;
	SLOT
	o = new_obj(struct other);
	if (!o)
		return 2;
	s->u = (void *)o;
	drop_obj(o);
	return 0;
}
#elif CASE == 40 /* kptr_acquire_loaded_unchecked refused tc: bpf_refcount_acquire of a loaded kptr, result used unchecked */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	SLOT
	c = s->c;
	if (!c)
		return 2;
	r = acquire(c);
	r->key = 1;
	drop_obj(r);
	return 0;
}
#elif CASE == 41 /* kptr_per_cpu_plain refused tc: bpf_per_cpu_ptr of a kptr that is not per-CPU */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p, *v;
	SLOT
	p = s->p;
	if (!p)
		return 2;
	v = bpf_per_cpu_ptr(p, 0);
	return v != 0;
}
#elif CASE == 42 /* kptr_xchg_dest_loaded refused tc: a loaded (RCU) object as bpf_kptr_xchg's destination */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct holder *h;
	struct plain *p;
	SLOT
	h = s->h;
	if (!h)
		return 2;
	p = bpf_kptr_xchg(&h->inner, NULL);
	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 43 /* kptr_object_field_direct refused tc: a kptr field of an object read directly */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct holder *h;
	long v;
	h = new_obj(struct holder);
	if (!h)
		return 2;
	v = (long)h->inner;
	drop_obj(h);
	return v != 0;
}
#elif CASE == 44 /* kptr_xchg_src_maybe_null refused tc: bpf_kptr_xchg of an object not NULL-checked */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p;
	SLOT
	p = new_obj(struct plain);
	p = bpf_kptr_xchg(&s->p, p);
	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 45 /* kptr_xchg_src_off refused tc: bpf_kptr_xchg of a pointer inside an object */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct plain *p, *q;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	q = bpf_kptr_xchg(&s->p, (void *)&p->b);
	if (q)
		drop_obj(q);
	return 0;
}
#elif CASE == 46 /* kptr_percpu_leak refused tc: an unstashed per-CPU object leaks */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct pcpu *p;
	SLOT
	p = bpf_kptr_xchg(&s->pc, NULL);
	return p != 0;
}
#elif CASE == 47 /* kptr_percpu_drop_plain refused tc: an unstashed per-CPU object given to bpf_obj_drop */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct pcpu *p;
	SLOT
	p = bpf_kptr_xchg(&s->pc, NULL);
	if (p)
		drop_obj(p);
	return 0;
}
#elif CASE == 48 /* kptr_stash_in_object accepted tc: an object stashed in another object, which goes into the map */
/* calls clang may not merge: one bpf_obj_drop call site per type */
void bpf_obj_drop_impl(void *p__alloc, void *meta__ign) __ksym __attribute__((nomerge));
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct holder *h;
	struct plain *p;
	SLOT
	p = new_obj(struct plain);
	if (!p)
		return 2;
	h = new_obj(struct holder);
	if (!h) {
		drop_obj(p);
		return 3;
	}
	p = bpf_kptr_xchg(&h->inner, p);
	if (p) {
		drop_obj(p);
		drop_obj(h);
		return 4;
	}
	h = bpf_kptr_xchg(&s->h, h);
	if (h)
		drop_obj(h);
	return 0;
}
#elif CASE == 49 /* kptr_refcounted_list_and_tree accepted tc: one refcounted object in a tree and a list */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	c = new_obj(struct counted);
	if (!c)
		return 2;
	r = acquire(c);
	bpf_spin_lock(&klock);
	rb_add(&ktree, &c->rb, counted_less);
	push_back(&klist, &r->ln);
	bpf_spin_unlock(&klock);
	return 0;
}
#elif CASE == 50 /* kptr_acquire_first accepted tc: an owning reference taken from the tree's first node under the lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_rb_node *n;
	struct counted *r;
	long k;

	bpf_spin_lock(&klock);
	n = bpf_rbtree_first(&ktree);
	if (!n) {
		bpf_spin_unlock(&klock);
		return 2;
	}
	r = acquire(owner_of(n, struct counted, rb));
	bpf_spin_unlock(&klock);
	if (!r)
		return 3;
	k = r->key;
	drop_obj(r);
	return k;
}
#elif CASE == 51 /* kptr_non_owning_after_unlock refused tc: a non-owning reference used after the unlock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct bpf_rb_node *n;

	bpf_spin_lock(&klock);
	n = bpf_rbtree_first(&ktree);
	bpf_spin_unlock(&klock);
	if (!n)
		return 2;
	return owner_of(n, struct counted, rb)->key;
}
#elif CASE == 52 /* kptr_add_twice accepted tc: the same refcounted object added twice (the second fails at run time) */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	long e;
	c = new_obj(struct counted);
	if (!c)
		return 2;
	r = acquire(c);
	bpf_spin_lock(&klock);
	rb_add(&ktree, &c->rb, counted_less);
	e = rb_add(&ktree, &r->rb, counted_less);
	bpf_spin_unlock(&klock);
	return e;
}
#elif CASE == 53 /* kptr_stash_non_owning refused tc: a non-owning reference given to bpf_kptr_xchg */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *c;
	SLOT
	c = new_obj(struct counted);
	if (!c)
		return 2;
	bpf_spin_lock(&klock);
	rb_add(&ktree, &c->rb, counted_less);
	c = bpf_kptr_xchg(&s->c, c);
	bpf_spin_unlock(&klock);
	if (c)
		drop_obj(c);
	return 0;
}
#elif CASE == 54 /* kptr_acquire_after_add accepted tc: a new reference from the non-owning one an add leaves, under the lock */
SEC("tc") int prog(struct __sk_buff *ctx)
{
	struct counted *c, *r;
	SLOT
	c = new_obj(struct counted);
	if (!c)
		return 2;
	bpf_spin_lock(&klock);
	rb_add(&ktree, &c->rb, counted_less);
	r = acquire(c);
	bpf_spin_unlock(&klock);
	if (!r)
		return 3;
	r = bpf_kptr_xchg(&s->c, r);
	if (r)
		drop_obj(r);
	return 0;
}
#endif
