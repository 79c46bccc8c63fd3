/* SPDX-License-Identifier: MIT */
/* The conntrack kfuncs run (test/kernel-conntrack.spec.ts): one XDP and one tc program that read a
 * command from the packet (allocate and insert an entry, or look one up and change it), make the
 * calls, and write what they saw back into the packet: opts->error, the direction found, the
 * entry's status, mark, zone and reply tuple, each kfunc's return. Written for uxdp. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

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

union nf_inet_addr {
	u32 all[4];
	__be32 ip;
	__be32 ip6[4];
};

union nf_conntrack_man_proto {
	__be16 all;
};

struct nf_conntrack_man {
	union nf_inet_addr u3;
	union nf_conntrack_man_proto u;
	u16 l3num;
} __attribute__((preserve_access_index));

struct nf_conntrack_tuple {
	struct nf_conntrack_man src;
	struct {
		union nf_inet_addr u3;
		union {
			__be16 all;
		} u;
		u8 protonum;
		u8 dir;
	} dst;
} __attribute__((preserve_access_index));

struct nf_conntrack_tuple_hash {
	struct nf_conntrack_tuple tuple;
} __attribute__((preserve_access_index));

struct nf_conntrack_zone {
	u16 id;
	u8 flags;
	u8 dir;
} __attribute__((preserve_access_index));

struct nf_conn {
	u32 timeout;
	struct nf_conntrack_zone zone;
	struct nf_conntrack_tuple_hash tuplehash[2];
	unsigned long status;
	u32 mark;
} __attribute__((preserve_access_index));

struct nf_conn___init {
	struct nf_conn ct;
} __attribute__((preserve_access_index));

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

/* The command, at the packet's start. */
struct cmd {
	u32 op;		/* 1: alloc (and insert), 2: lookup */
	u32 flags;	/* CMD_* */
	u32 tuple_sz;
	u32 opts_sz;
	union {
		struct bpf_ct_opts opts;
		u8 opts_raw[24];
	};
	union {
		struct bpf_sock_tuple t;
		u8 raw[40];
	};
	u32 timeout_ms;
	u32 status;
	u32 mark;
	u32 nat_addr;
	s32 nat_port;
	u32 nat_manip;
};

#define CMD_TIMEOUT 1	/* alloc: set_timeout; lookup: change_timeout */
#define CMD_STATUS 2	/* alloc: set_status; lookup: change_status */
#define CMD_MARK 4	/* store the mark */
#define CMD_NAT 8	/* alloc: set_nat_info */
#define CMD_NAT2 32	/* alloc: set_nat_info twice */

/* What the program saw, at OUT_AT. */
struct out {
	s32 error;
	u32 got;
	u8 dir;
	u8 zone_dir_opt;
	u16 pad;
	s32 ret_timeout;
	s32 ret_status;
	s32 ret_nat;
	s32 ret_nat2;
	u32 inserted;
	u32 status;
	u32 mark;
	u16 zone;
	u8 zone_dir;
	u8 pad2;
	u32 reply_src;
	u32 reply_dst;
	u16 reply_sport;
	u16 reply_dport;
	u32 orig_src;
	u16 orig_sport;
	u8 orig_proto;
	u8 reply_dir;
};

#define OUT_AT 128
#define PKT_LEN 256

static __always_inline void see(struct out *o, struct nf_conn *ct)
{
	o->status = ct->status;
	o->mark = ct->mark;
	o->zone = ct->zone.id;
	o->zone_dir = ct->zone.dir;
	o->reply_src = ct->tuplehash[1].tuple.src.u3.ip;
	o->reply_sport = ct->tuplehash[1].tuple.src.u.all;
	o->reply_dst = ct->tuplehash[1].tuple.dst.u3.ip;
	o->reply_dport = ct->tuplehash[1].tuple.dst.u.all;
	o->orig_src = ct->tuplehash[0].tuple.src.u3.ip;
	o->orig_sport = ct->tuplehash[0].tuple.src.u.all;
	o->orig_proto = ct->tuplehash[0].tuple.dst.protonum;
	o->reply_dir = ct->tuplehash[1].tuple.dst.dir;
}

#define BODY(ctx, ALLOC, LOOKUP)                                                                   \
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;                  \
	struct cmd c;                                                                              \
	struct out o = {};                                                                         \
	if (data + PKT_LEN > end)                                                                  \
		return 1;                                                                          \
	__builtin_memcpy(&c, data, sizeof(c));                                                     \
	u32 tsz = c.tuple_sz, osz = c.opts_sz;                                                     \
	if (tsz > 40)                                                                              \
		tsz = 40;                                                                          \
	if (osz > 24)                                                                              \
		osz = 24;                                                                          \
	if (c.op == 1) {                                                                           \
		struct nf_conn___init *ci = ALLOC(ctx, &c.t, tsz, &c.opts, osz);      \
		if (ci) {                                                                          \
			struct nf_conn *ct;                                                        \
			o.got = 1;                                                                 \
			if (c.flags & CMD_TIMEOUT)                                                 \
				bpf_ct_set_timeout(ci, c.timeout_ms);                              \
			if (c.flags & CMD_STATUS)                                                  \
				o.ret_status = bpf_ct_set_status(ci, c.status);                    \
			if (c.flags & CMD_MARK)                                                    \
				ci->ct.mark = c.mark;                                              \
			if (c.flags & (CMD_NAT | CMD_NAT2)) {                                      \
				union nf_inet_addr a = { .ip = c.nat_addr };                       \
				o.ret_nat = bpf_ct_set_nat_info(ci, &a, c.nat_port, c.nat_manip);  \
				if (c.flags & CMD_NAT2)                                            \
					o.ret_nat2 = bpf_ct_set_nat_info(ci, &a, c.nat_port, c.nat_manip); \
			}                                                                          \
			ct = bpf_ct_insert_entry(ci);                                              \
			if (ct) {                                                                  \
				o.inserted = 1;                                                    \
				see(&o, ct);                                                       \
				bpf_ct_release(ct);                                                \
			}                                                                          \
		}                                                                                  \
	} else if (c.op == 2) {                                                                    \
		struct nf_conn *ct = LOOKUP(ctx, &c.t, tsz, &c.opts, osz);            \
		if (ct) {                                                                          \
			o.got = 1;                                                                 \
			if (c.flags & CMD_TIMEOUT)                                                 \
				o.ret_timeout = bpf_ct_change_timeout(ct, c.timeout_ms);           \
			if (c.flags & CMD_STATUS)                                                  \
				o.ret_status = bpf_ct_change_status(ct, c.status);                 \
			if (c.flags & CMD_MARK)                                                    \
				ct->mark = c.mark;                                                 \
			see(&o, ct);                                                               \
			bpf_ct_release(ct);                                                        \
		}                                                                                  \
	}                                                                                          \
	o.error = c.opts.error;                                                                    \
	o.dir = c.opts.dir;                                                                        \
	o.zone_dir_opt = c.opts.ct_zone_dir;                                                       \
	data = (void *)(long)ctx->data;                                                            \
	end = (void *)(long)ctx->data_end;                                                         \
	if (data + PKT_LEN > end)                                                                  \
		return 1;                                                                          \
	__builtin_memcpy(data + OUT_AT, &o, sizeof(o));                                            \
	return 2;

SEC("xdp") int ct_xdp(struct xdp_md *ctx)
{
	BODY(ctx, bpf_xdp_ct_alloc, bpf_xdp_ct_lookup)
}

SEC("tc") int ct_tc(struct __sk_buff *ctx)
{
	BODY(ctx, bpf_skb_ct_alloc, bpf_skb_ct_lookup)
}

char LICENSE[] SEC("license") = "GPL";
