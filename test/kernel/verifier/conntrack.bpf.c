/* SPDX-License-Identifier: MIT */
/* The netfilter conntrack kfuncs (bpf_xdp_ct_lookup, bpf_skb_ct_lookup, *_ct_alloc, insert, release,
 * timeouts, status, NAT info): their argument rules, the references they hand out (nf_conn and the
 * not-yet-inserted nf_conn___init), and what a program may read and write of struct nf_conn.
 * Written for uxdp. */
#include "verifier.h"

typedef __s32 s32;
typedef __u32 u32;
typedef __u16 u16;
typedef __u8 u8;

struct bpf_ct_opts {
	s32 netns_id;
	s32 error;
	u8 l4proto;
	u8 dir;
	u16 ct_zone_id;
	u8 ct_zone_dir;
	u8 reserved[3];
};

/* The fields read here, relocated against the kernel's struct nf_conn (CO-RE). */
struct nf_conn {
	u32 timeout;
	unsigned long status;
	u32 mark;
	u32 secmark;
	struct nf_conn *master;
} __attribute__((preserve_access_index));

struct nf_conn___init {
	struct nf_conn ct;
} __attribute__((preserve_access_index));

union nf_inet_addr {
	u32 all[4];
	__be32 ip;
	__be32 ip6[4];
};

enum nf_nat_manip_type { NF_NAT_MANIP_SRC, NF_NAT_MANIP_DST };

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, u32, struct bpf_ct_opts *, u32) __ksym;
extern struct nf_conn *bpf_skb_ct_lookup(struct __sk_buff *, struct bpf_sock_tuple *, u32, struct bpf_ct_opts *, u32) __ksym;
extern struct nf_conn___init *bpf_xdp_ct_alloc(struct xdp_md *, struct bpf_sock_tuple *, u32, struct bpf_ct_opts *, u32) __ksym;
extern struct nf_conn___init *bpf_skb_ct_alloc(struct __sk_buff *, struct bpf_sock_tuple *, u32, struct bpf_ct_opts *, u32) __ksym;
extern struct nf_conn *bpf_ct_insert_entry(struct nf_conn___init *) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;
extern void bpf_ct_set_timeout(struct nf_conn___init *, u32) __ksym;
extern int bpf_ct_change_timeout(struct nf_conn *, u32) __ksym;
extern int bpf_ct_set_status(const struct nf_conn___init *, u32) __ksym;
extern int bpf_ct_change_status(struct nf_conn *, u32) __ksym;
extern int bpf_ct_set_nat_info(struct nf_conn___init *, union nf_inet_addr *, int, enum nf_nat_manip_type) __ksym;

/* a kfunc's address as an asm operand: call %[bpf_ct_release] */
#define KF(x) [x] "i"(x)

/* Naked programs call kfuncs from asm only: clang emits a kfunc's BTF (which libbpf needs to
 * resolve it) only for a call it compiles, so this never-loaded function makes one of each. */
static __attribute__((used, noinline)) int emit_kfunc_btf(struct xdp_md *x, struct __sk_buff *s)
{
	struct nf_conn *ct = bpf_xdp_ct_lookup(x, 0, 0, 0, 0);
	struct nf_conn *c2 = bpf_skb_ct_lookup(s, 0, 0, 0, 0);
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(x, 0, 0, 0, 0);

	bpf_ct_release(bpf_ct_insert_entry(ci));
	bpf_ct_release(ct);
	bpf_ct_release(c2);
	return 0;
}

#define OPTS struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = 6 }
#define TUPLE struct bpf_sock_tuple t = {}

#if CASE == 0 /* xdp_lookup_release accepted xdp: lookup, null check, release */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 1 /* xdp_lookup_leak refused xdp: a looked-up entry never released */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	return ct ? XDP_DROP : XDP_PASS;
}
#elif CASE == 2 /* xdp_release_maybe_null refused xdp: releasing the lookup's result before its null check */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 3 /* xdp_lookup_null_tuple refused xdp: a NULL tuple */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, 0, 0, &opts, sizeof(opts));

	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 4 /* xdp_lookup_null_opts refused xdp: NULL options */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), 0, 0);

	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 5 /* xdp_lookup_old_opts_size accepted xdp: the 12-byte options of older kernels */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, 12);

	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 6 /* xdp_lookup_opts_past_stack refused xdp: options size past the end of the stack buffer */
NAKED("xdp") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 32) = r2; *(u64 *)(r10 - 24) = r2;"
	"*(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 24; call %[bpf_xdp_ct_lookup];"
	"if r0 == 0 goto l0_%=; r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;" :: KF(bpf_ct_release), KF(bpf_xdp_ct_lookup) : "memory"); }
#elif CASE == 7 /* xdp_lookup_uninit_tuple accepted xdp: the tuple from uninitialised stack (a privileged load may pass it) */
NAKED("xdp") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[bpf_xdp_ct_lookup];"
	"if r0 == 0 goto l0_%=; r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;" :: KF(bpf_ct_release), KF(bpf_xdp_ct_lookup) : "memory"); }
#elif CASE == 8 /* tc_lookup_release accepted tc: bpf_skb_ct_lookup and release */
SEC("tc") int prog(struct __sk_buff *skb)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_skb_ct_lookup(skb, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	if (ct)
		bpf_ct_release(ct);
	return 0;
}
#elif CASE == 9 /* xdp_skb_lookup refused xdp: bpf_skb_ct_lookup with an xdp_md */
NAKED("xdp") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[bpf_skb_ct_lookup];"
	"if r0 == 0 goto l0_%=; r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;" :: KF(bpf_ct_release), KF(bpf_skb_ct_lookup) : "memory"); }
#elif CASE == 10 /* socket_ct_lookup refused socket: the conntrack kfuncs are for XDP and tc only */
NAKED("socket") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[bpf_skb_ct_lookup];"
	"if r0 == 0 goto l0_%=; r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 0; exit;" :: KF(bpf_ct_release), KF(bpf_skb_ct_lookup) : "memory"); }
#elif CASE == 11 /* xdp_lookup_stack_ctx refused xdp: a stack pointer for the context */
NAKED("xdp") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r1 = r10; r1 += -48; r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[bpf_xdp_ct_lookup];"
	"if r0 == 0 goto l0_%=; r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;" :: KF(bpf_ct_release), KF(bpf_xdp_ct_lookup) : "memory"); }
#elif CASE == 12 /* xdp_alloc_insert_release accepted xdp: alloc, set timeout and status, insert, release */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	struct nf_conn *ct;

	if (!ci)
		return XDP_PASS;
	bpf_ct_set_timeout(ci, 10000);
	bpf_ct_set_status(ci, 8);
	ct = bpf_ct_insert_entry(ci);
	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 13 /* xdp_alloc_leak refused xdp: an allocated entry neither inserted nor released */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	return ci ? XDP_DROP : XDP_PASS;
}
#elif CASE == 14 /* xdp_release_alloc refused xdp: bpf_ct_release of an nf_conn___init */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	if (ci)
		bpf_ct_release((struct nf_conn *)ci);
	return XDP_PASS;
}
#elif CASE == 15 /* xdp_set_timeout_looked_up refused xdp: bpf_ct_set_timeout on an inserted entry */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	if (!ct)
		return XDP_PASS;
	bpf_ct_set_timeout((struct nf_conn___init *)ct, 1000);
	bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 16 /* xdp_change_timeout_status accepted xdp: change timeout and status of a looked-up entry */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	int r;

	if (!ct)
		return XDP_PASS;
	r = bpf_ct_change_timeout(ct, 5000);
	r += bpf_ct_change_status(ct, 8);
	bpf_ct_release(ct);
	return r ? XDP_DROP : XDP_PASS;
}
#elif CASE == 17 /* xdp_change_status_alloc refused xdp: bpf_ct_change_status on an nf_conn___init */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	struct nf_conn *ct;

	if (!ci)
		return XDP_PASS;
	bpf_ct_change_status((struct nf_conn *)ci, 8);
	ct = bpf_ct_insert_entry(ci);
	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 18 /* xdp_use_after_insert refused xdp: the allocated pointer used after insert consumed it */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	struct nf_conn *ct;

	if (!ci)
		return XDP_PASS;
	ct = bpf_ct_insert_entry(ci);
	bpf_ct_set_timeout(ci, 1000);
	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 19 /* xdp_read_mark_status accepted xdp: reading mark and status of a looked-up entry */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	int r = XDP_PASS;

	if (!ct)
		return XDP_PASS;
	if (ct->mark == 7 && (ct->status & 8))
		r = XDP_DROP;
	bpf_ct_release(ct);
	return r;
}
#elif CASE == 20 /* xdp_write_mark accepted xdp: writing the mark of a looked-up entry */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	if (!ct)
		return XDP_PASS;
	ct->mark = 42;
	bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 21 /* xdp_write_status refused xdp: writing a field other than mark */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	if (!ct)
		return XDP_PASS;
	ct->status = 8;
	bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 22 /* xdp_write_mark_wide refused xdp: an 8-byte write at the 4-byte mark */
NAKED("xdp") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[bpf_xdp_ct_lookup];"
	"if r0 == 0 goto l0_%=; r1 = 1; *(u64 *)(r0 + %[mark]) = r1; r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;"
	:: KF(bpf_ct_release), KF(bpf_xdp_ct_lookup), [mark] "i"(168) : "memory"); }
#elif CASE == 23 /* xdp_read_past_nf_conn refused xdp: a read past the end of struct nf_conn */
NAKED("xdp") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[bpf_xdp_ct_lookup];"
	"if r0 == 0 goto l0_%=; r1 = *(u32 *)(r0 + 248); r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;" :: KF(bpf_ct_release), KF(bpf_xdp_ct_lookup) : "memory"); }
#elif CASE == 24 /* xdp_read_after_release refused xdp: reading the entry after releasing it */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	if (!ct)
		return XDP_PASS;
	bpf_ct_release(ct);
	return ct->mark == 1 ? XDP_DROP : XDP_PASS;
}
#elif CASE == 25 /* xdp_write_mark_alloc accepted xdp: writing the mark of an allocated entry before insert */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	struct nf_conn *ct;

	if (!ci)
		return XDP_PASS;
	ci->ct.mark = 9;
	ct = bpf_ct_insert_entry(ci);
	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 26 /* xdp_set_nat_info accepted xdp: NAT info on an allocated entry */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	union nf_inet_addr a = { .ip = 0x0100000a };
	struct nf_conn___init *ci = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	struct nf_conn *ct;

	if (!ci)
		return XDP_PASS;
	bpf_ct_set_nat_info(ci, &a, 8080, NF_NAT_MANIP_DST);
	ct = bpf_ct_insert_entry(ci);
	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 27 /* xdp_set_nat_info_looked_up refused xdp: NAT info on an inserted entry */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	union nf_inet_addr a = { .ip = 0x0100000a };
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));

	if (!ct)
		return XDP_PASS;
	bpf_ct_set_nat_info((struct nf_conn___init *)ct, &a, 8080, NF_NAT_MANIP_DST);
	bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 28 /* xdp_release_twice refused xdp: one entry released twice */
NAKED("xdp") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[bpf_xdp_ct_lookup];"
	"if r0 == 0 goto l0_%=; r6 = r0; r1 = r0; call %[bpf_ct_release]; r1 = r6; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;" :: KF(bpf_ct_release), KF(bpf_xdp_ct_lookup) : "memory"); }
#elif CASE == 29 /* xdp_release_offset refused xdp: releasing the entry plus 8 */
NAKED("xdp") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[bpf_xdp_ct_lookup];"
	"if r0 == 0 goto l0_%=; r0 += 8; r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;" :: KF(bpf_ct_release), KF(bpf_xdp_ct_lookup) : "memory"); }
#elif CASE == 30 /* xdp_release_null refused xdp: bpf_ct_release(NULL) */
NAKED("xdp") { asm volatile ("r1 = 0; call %[bpf_ct_release]; r0 = 2; exit;" :: KF(bpf_ct_release) : "memory"); }
#elif CASE == 31 /* xdp_insert_looked_up refused xdp: inserting an entry that came from a lookup */
NAKED("xdp") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[bpf_xdp_ct_lookup];"
	"if r0 == 0 goto l0_%=; r1 = r0; call %[bpf_ct_insert_entry]; if r0 == 0 goto l0_%=; r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;" :: KF(bpf_ct_insert_entry), KF(bpf_ct_release), KF(bpf_xdp_ct_lookup) : "memory"); }
#elif CASE == 32 /* xdp_lookup_var_tuple_size refused xdp: a tuple size the verifier cannot bound */
NAKED("xdp") { asm volatile (
	"r6 = r1; call %[get_prandom_u32]; r3 = r0; r1 = r6;"
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r4 = r10; r4 += -16; r5 = 16; call %[bpf_xdp_ct_lookup];"
	"if r0 == 0 goto l0_%=; r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;" :: KF(bpf_ct_release), KF(bpf_xdp_ct_lookup), IMM(get_prandom_u32) : "memory"); }
#elif CASE == 33 /* xdp_read_master accepted xdp: following the master pointer of an entry (untrusted read) */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	int r = XDP_PASS;

	if (!ct)
		return XDP_PASS;
	if (ct->master && ct->master->mark == 3)
		r = XDP_DROP;
	bpf_ct_release(ct);
	return r;
}
#elif CASE == 34 /* xdp_release_master refused xdp: releasing the master pointer read from an entry */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	struct nf_conn *m;

	if (!ct)
		return XDP_PASS;
	m = ct->master;
	bpf_ct_release(ct);
	if (m)
		bpf_ct_release(m);
	return XDP_PASS;
}
#elif CASE == 35 /* tc_alloc_insert_release accepted tc: bpf_skb_ct_alloc, insert, change timeout, release */
SEC("tc") int prog(struct __sk_buff *skb)
{
	TUPLE;
	OPTS;
	struct nf_conn___init *ci = bpf_skb_ct_alloc(skb, &t, sizeof(t.ipv4), &opts, sizeof(opts));
	struct nf_conn *ct;

	if (!ci)
		return 0;
	ct = bpf_ct_insert_entry(ci);
	if (!ct)
		return 0;
	bpf_ct_change_timeout(ct, 3000);
	bpf_ct_release(ct);
	return 0;
}
#elif CASE == 36 /* xdp_lookup_ipv6_tuple accepted xdp: an IPv6 tuple */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	TUPLE;
	OPTS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv6), &opts, sizeof(opts));

	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}
#elif CASE == 37 /* xdp_read_negative_off refused xdp: a read before the start of struct nf_conn */
NAKED("xdp") { asm volatile (
	"r2 = 0; *(u64 *)(r10 - 48) = r2; *(u64 *)(r10 - 40) = r2; *(u64 *)(r10 - 16) = r2; *(u64 *)(r10 - 8) = r2;"
	"r2 = r10; r2 += -48; r3 = 12; r4 = r10; r4 += -16; r5 = 16; call %[bpf_xdp_ct_lookup];"
	"if r0 == 0 goto l0_%=; r1 = *(u32 *)(r0 - 8); r1 = r0; call %[bpf_ct_release]; l0_%=: r0 = 2; exit;" :: KF(bpf_ct_release), KF(bpf_xdp_ct_lookup) : "memory"); }
#endif
