/* SPDX-License-Identifier: MIT */
/*
 * Step macros for the uxdp dynptr differential programs (written for uxdp; no kernel selftest code).
 *
 * A program is a straight sequence of steps chosen at compile time (-DSTEPS="S_XDP(0,0) S_SIZE(0)").
 * Steps act on four stack dynptrs p0..p3 and record what they observe, in order, as __s64 slots in
 * the XDP metadata area (ctx_in gives 8 * UXDP_SLOTS bytes of metadata; data_out starts with it).
 * The program returns the number of slots written, or UXDP_BAD when the metadata area was too
 * small. The test suite runs the same steps through uxdp's TypeScript API and compares the slots,
 * the packet bytes (data_out) and, for ring buffers, the consumed records.
 *
 *   S_XDP(n, flags)                 R: bpf_dynptr_from_xdp(ctx, flags, &pn)
 *   S_MEM(n, off, len)              R: bpf_dynptr_from_mem(gbuf + off, len, 0, &pn) (gbuf: 1024-byte
 *                                   map value, refilled with (i * 7 + 3) & 0xff at every run)
 *   S_SIZE(n) S_NULL(n) S_RDONLY(n) R: bpf_dynptr_size / _is_null / _is_rdonly
 *   S_READ(n, off, len, flags)      R: bpf_dynptr_read into a 0xee-filled buffer; R: fnv1a(buffer)
 *   S_WRITE(n, off, len, seed, flags) R: bpf_dynptr_write of the bytes seed, seed + 1, ...
 *   S_SLICE(n, off, len, buf)       bpf_dynptr_slice with (buf = 1) or without (0) a 0xee-filled
 *                                   stack buffer. R: 0 = NULL, 1 = a pointer other than the
 *                                   buffer, 2 = the buffer; R: fnv1a of the returned bytes (0 if
 *                                   NULL); R: fnv1a of the buffer afterwards (0 without one)
 *   S_SLICEW(n, off, len, buf)      the same with bpf_dynptr_slice_rdwr; before hashing, every byte
 *                                   of the returned memory is inverted (persists only when direct)
 *   S_ADJUST(n, start, end)         R: bpf_dynptr_adjust
 *   S_CLONE(n, m)                   R: bpf_dynptr_clone(&pn, &pm)
 *   S_COPY(d, doff, s, soff, size)  R: bpf_dynptr_copy(&pd, doff, &ps, soff, size)
 *   S_MEMSET(n, off, size, val)     R: bpf_dynptr_memset
 *   S_TAIL(delta)                   R: bpf_xdp_adjust_tail(ctx, delta)
 *   S_HEAD(delta)                   R: bpf_xdp_adjust_head(ctx, delta)
 *   S_GHASH()                       R: fnv1a over gbuf (1024 bytes)
 *
 * (LOCAL dynptrs live over a map value: this kernel refuses bpf_dynptr_from_mem on stack memory,
 * "Unsupported reg type fp for bpf_dynptr_from_mem data".)
 */
#ifndef UXDP_DYNPTR_STEPS_H
#define UXDP_DYNPTR_STEPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define UXDP_SLOTS 27
#define UXDP_BAD 0xbad
#define UXDP_GBUF 1024

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
/* These two return a C bool: only the low byte of r0 is defined (the JIT leaves whatever the x86
 * function left in the upper bits), so they are declared int and masked below. */
extern int bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_is_rdonly(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_copy(struct bpf_dynptr *dst, __u32 dst_off, struct bpf_dynptr *src, __u32 src_off, __u32 size) __ksym;
extern int bpf_dynptr_memset(struct bpf_dynptr *p, __u32 offset, __u32 size, __u8 val) __ksym;

/* A map value (the .bss map) for LOCAL dynptrs. Refilled at every run. */
__u8 gbuf[UXDP_GBUF];

static __always_inline int uxdp_rec(struct xdp_md *ctx, __u32 i, __s64 v)
{
	void *data = (void *)(long)ctx->data;
	void *meta = (void *)(long)ctx->data_meta;

	if (i >= UXDP_SLOTS)
		return -1;
	if (meta + (i + 1) * 8 > data)
		return -1;
	*(__s64 *)(meta + i * 8) = v;
	return 0;
}

#define UXDP_FNV_INIT 2166136261u
#define UXDP_FNV_PRIME 16777619u

static __always_inline __u32 uxdp_fnv(const __u8 *p, __u32 len)
{
	__u32 h = UXDP_FNV_INIT;

	for (__u32 i = 0; i < len; i++)
		h = (h ^ p[i]) * UXDP_FNV_PRIME;
	return h;
}

#define R(v)                                   \
	do {                                   \
		if (uxdp_rec(ctx, nrec++, (v))) \
			bad = 1;               \
	} while (0)

#define P(n) (&p##n)
#define UXDP_LEN1(len) ((len) ? (len) : 1)

#define S_XDP(n, flags) R(bpf_dynptr_from_xdp(ctx, (flags), P(n)));
#define S_MEM(n, off, len) R(bpf_dynptr_from_mem(gbuf + (off), (len), 0, P(n)));
#define S_SIZE(n) R((__s64)bpf_dynptr_size(P(n)));
#define S_NULL(n) R((bpf_dynptr_is_null(P(n)) & 0xff) ? 1 : 0);
#define S_RDONLY(n) R((bpf_dynptr_is_rdonly(P(n)) & 0xff) ? 1 : 0);

#define S_READ(n, off, len, flags)                                         \
	{                                                                  \
		__u8 b[UXDP_LEN1(len)];                                    \
		__builtin_memset(b, 0xee, sizeof(b));                      \
		R(bpf_dynptr_read(b, (len), P(n), (off), (flags)));        \
		R(uxdp_fnv(b, sizeof(b)));                                 \
	}

#define S_WRITE(n, off, len, seed, flags)                                   \
	{                                                                   \
		__u8 b[UXDP_LEN1(len)];                                     \
		for (int i = 0; i < (int)sizeof(b); i++)                    \
			b[i] = (__u8)((seed) + i);                          \
		R(bpf_dynptr_write(P(n), (off), b, (len), (flags)));        \
	}

#define UXDP_SLICE(fn, n, off, len, buf, invert)                                  \
	{                                                                         \
		__u8 b[len];                                                      \
		__u8 *s;                                                          \
		__builtin_memset(b, 0xee, sizeof(b));                             \
		s = fn(P(n), (off), (buf) ? b : (void *)0, (len));                \
		if (!s) {                                                         \
			R(0);                                                     \
			R(0);                                                     \
		} else {                                                          \
			R((long)s == (long)b ? 2 : 1);                            \
			if (invert)                                               \
				for (int i = 0; i < (len); i++)                   \
					s[i] ^= 0xff;                             \
			R(uxdp_fnv(s, (len)));                                    \
		}                                                                 \
		R((buf) ? uxdp_fnv(b, (len)) : 0);                                \
	}
#define S_SLICE(n, off, len, buf) UXDP_SLICE((__u8 *)bpf_dynptr_slice, n, off, len, buf, 0)
#define S_SLICEW(n, off, len, buf) UXDP_SLICE((__u8 *)bpf_dynptr_slice_rdwr, n, off, len, buf, 1)

#define S_ADJUST(n, start, end) R(bpf_dynptr_adjust(P(n), (start), (end)));
#define S_CLONE(n, m) R(bpf_dynptr_clone(P(n), P(m)));
#define S_COPY(d, doff, s, soff, size) R(bpf_dynptr_copy(P(d), (doff), P(s), (soff), (size)));
#define S_MEMSET(n, off, size, val) R(bpf_dynptr_memset(P(n), (off), (size), (val)));
#define S_TAIL(delta) R(bpf_xdp_adjust_tail(ctx, (delta)));
#define S_HEAD(delta) R(bpf_xdp_adjust_head(ctx, (delta)));
#define S_GHASH() R(uxdp_fnv(gbuf, UXDP_GBUF));

/* The program body shared by dynptr_ops.bpf.c and ringbuf_ops.bpf.c. */
#define UXDP_DYNPTR_BODY(STEPS_)                                  \
	struct bpf_dynptr p0, p1, p2, p3;                         \
	__u32 nrec = 0;                                           \
	int bad = 0;                                              \
                                                                  \
	for (int i = 0; i < UXDP_GBUF; i++)                       \
		gbuf[i] = (__u8)(i * 7 + 3);                      \
	STEPS_                                                    \
	(void)p0;                                                 \
	(void)p1;                                                 \
	(void)p2;                                                 \
	(void)p3;                                                 \
	return bad ? UXDP_BAD : nrec;

#endif
