/* SPDX-License-Identifier: MIT */
/*
 * tc and socket-filter programs for test/kernel-tchelp.spec.ts: the cgroup ids of skb->sk and of
 * the current task, the netns cookie, bpf_sk_assign, bpf_redirect_neigh / bpf_redirect_peer,
 * bpf_skb_set_tstamp and the __sk_buff tstamp fields, bpf_strncmp and bpf_get_current_uid_gid
 * under BPF_PROG_TEST_RUN; the root cgroup held, stashed in a map value's kptr and released. Each program writes what it observes into the map `out` (zeroed
 * first); parameters come in through ctx_in's cb[]. No vmlinux.h: uapi headers only. Written for
 * uxdp.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct outv {
	__u64 s[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct outv);
} out SEC(".maps");

static __always_inline struct outv *slots(void)
{
	__u32 k = 0;
	struct outv *o = bpf_map_lookup_elem(&out, &k);

	if (o)
		__builtin_memset(o, 0, sizeof(*o));
	return o;
}

/* cb[0]: an ancestor level asked of skb->sk's cgroup, cb[1]: one asked of the task's. */
SEC("tc")
int tc_ids(struct __sk_buff *skb)
{
	struct outv *o = slots();

	if (!o)
		return TC_ACT_SHOT;
	o->s[0] = bpf_skb_cgroup_id(skb);
	o->s[1] = bpf_skb_ancestor_cgroup_id(skb, 0);
	o->s[2] = bpf_skb_ancestor_cgroup_id(skb, (int)skb->cb[0]);
	o->s[3] = bpf_get_current_cgroup_id();
	o->s[4] = bpf_get_current_ancestor_cgroup_id(0);
	o->s[5] = bpf_get_current_ancestor_cgroup_id((int)skb->cb[1]);
	o->s[6] = bpf_get_current_uid_gid();
	o->s[7] = bpf_get_netns_cookie(skb);
	o->s[8] = skb->sk ? 1 : 0;
	return TC_ACT_OK;
}

/* The cookie of the skb's namespace and of the initial one (NULL). */
SEC("socket")
int sf_netns(struct __sk_buff *skb)
{
	struct outv *o = slots();

	if (!o)
		return 0;
	o->s[0] = bpf_get_netns_cookie(skb);
	o->s[1] = bpf_get_netns_cookie(NULL);
	return skb->len;
}

/* bpf_skb_set_tstamp(skb, cb[0] | cb[1] << 32, cb[2]); then, if cb[3], a second call with cb[4]
 * as the type and the same stamp; the __sk_buff fields after each. */
SEC("tc")
int tc_tstamp(struct __sk_buff *skb)
{
	struct outv *o = slots();
	__u64 ts = (__u64)skb->cb[0] | (__u64)skb->cb[1] << 32;

	if (!o)
		return TC_ACT_SHOT;
	o->s[0] = skb->tstamp;
	o->s[1] = skb->tstamp_type;
	o->s[2] = bpf_skb_set_tstamp(skb, ts, skb->cb[2]);
	o->s[3] = skb->tstamp;
	o->s[4] = skb->tstamp_type;
	if (skb->cb[3]) {
		o->s[5] = bpf_skb_set_tstamp(skb, ts + 1, skb->cb[4]);
		o->s[6] = skb->tstamp;
		o->s[7] = skb->tstamp_type;
	}
	return TC_ACT_OK;
}

/* bpf_redirect_neigh(cb[0], params or NULL (cb[1] is plen: 0 passes NULL), plen, cb[2]): its
 * answer is the program's. cb[3] is the next hop's family. */
SEC("tc")
int tc_redirect_neigh(struct __sk_buff *skb)
{
	struct bpf_redir_neigh nh = {};
	__u32 plen = skb->cb[1];

	slots();
	nh.nh_family = skb->cb[3];
	nh.ipv4_nh = 0x0100000a;
	if (plen == 0)
		return bpf_redirect_neigh(skb->cb[0], NULL, 0, skb->cb[2]);
	if (plen == 4)
		return bpf_redirect_neigh(skb->cb[0], &nh, 4, skb->cb[2]);
	if (plen == 19)
		return bpf_redirect_neigh(skb->cb[0], &nh, 19, skb->cb[2]);
	return bpf_redirect_neigh(skb->cb[0], &nh, sizeof(nh), skb->cb[2]);
}

/* bpf_redirect_peer(cb[0], cb[1] | cb[2] << 32). */
SEC("tc")
int tc_redirect_peer(struct __sk_buff *skb)
{
	slots();
	return bpf_redirect_peer(skb->cb[0], (__u64)skb->cb[1] | (__u64)skb->cb[2] << 32);
}

/* bpf_sk_assign of test_run's own socket (skb->sk) with flags cb[0]. */
SEC("tc")
int tc_sk_assign(struct __sk_buff *skb)
{
	struct outv *o = slots();
	struct bpf_sock *sk = skb->sk;

	if (!o)
		return TC_ACT_SHOT;
	if (!sk)
		return 99;
	o->s[0] = bpf_sk_assign(skb, sk, skb->cb[0]);
	o->s[1] = skb->sk == sk;
	return TC_ACT_OK;
}

const char want_a[] = "GET /ind";
const char want_b[] = "GE";
const char want_c[] = "";

/* bpf_strncmp of the 8 payload bytes after the Ethernet header against constant strings. */
SEC("tc")
int tc_strncmp(struct __sk_buff *skb)
{
	struct outv *o = slots();
	char buf[8];

	if (!o)
		return TC_ACT_SHOT;
	if (bpf_skb_load_bytes(skb, 14, buf, sizeof(buf)))
		return TC_ACT_SHOT;
	o->s[0] = bpf_strncmp(buf, sizeof(buf), want_a);
	o->s[1] = bpf_strncmp(buf, 2, want_b);
	o->s[2] = bpf_strncmp(buf, 3, want_b);
	o->s[3] = bpf_strncmp(buf, 1, want_c);
	o->s[4] = bpf_strncmp(buf, 4, want_a);
	return TC_ACT_OK;
}

/* The root cgroup as a kernel object programs hold references to and stash in a map value's
 * kptr field. Only the members read are declared; CO-RE places them. */
struct cgroup_subsys_state {
	int id;
} __attribute__((preserve_access_index));

struct cgroup {
	struct cgroup_subsys_state self;
	int level;
	int max_depth;
} __attribute__((preserve_access_index));

extern struct cgroup *bpf_cgroup_from_id(__u64 cgid) __ksym;
extern struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp) __ksym;
extern struct cgroup *bpf_cgroup_ancestor(struct cgroup *cgrp, int level) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;

struct stash {
	struct cgroup __kptr *c;
	__u64 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct stash);
} stashes SEC(".maps");

/* cb[0]: the cgroup id asked, cb[1]: the stash slot, cb[2]: 1 stash a new reference (the old
 * one released), 2 take the stashed one out and release it, 3 read it in place. */
SEC("tc")
int tc_cgroup(struct __sk_buff *skb)
{
	struct outv *o = slots();
	struct cgroup *c, *a, *old;
	struct stash *st;
	__u32 key;

	if (!o)
		return TC_ACT_SHOT;
	key = skb->cb[1] & 3;
	st = bpf_map_lookup_elem(&stashes, &key);
	if (!st)
		return TC_ACT_SHOT;
	c = bpf_cgroup_from_id(skb->cb[0]);
	if (c) {
		o->s[0] = 1;
		o->s[1] = c->level;
		o->s[2] = c->max_depth;
		o->s[9] = c->self.id;
		a = bpf_cgroup_ancestor(c, 0);
		if (a) {
			o->s[3] = a->max_depth;
			bpf_cgroup_release(a);
		}
		a = bpf_cgroup_ancestor(c, 1);
		o->s[4] = a != 0;
		if (a)
			bpf_cgroup_release(a);
		if (skb->cb[2] == 1) {
			a = bpf_cgroup_acquire(c);
			if (a) {
				old = bpf_kptr_xchg(&st->c, a);
				o->s[5] = old != 0;
				if (old)
					bpf_cgroup_release(old);
			}
		}
		bpf_cgroup_release(c);
	}
	if (skb->cb[2] == 2) {
		old = bpf_kptr_xchg(&st->c, NULL);
		o->s[6] = old != 0;
		if (old) {
			o->s[7] = old->max_depth;
			bpf_cgroup_release(old);
		}
	}
	if (skb->cb[2] == 3) {
		c = st->c;
		o->s[8] = c ? c->max_depth : 0xffff;
	}
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
