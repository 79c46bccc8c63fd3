/* SPDX-License-Identifier: MIT */
/*
 * XDP dynptrs driven from BPF code (written for uxdp; no kernel selftest code): bpf_dynptr_from_xdp,
 * bpf_dynptr_read / bpf_dynptr_write (helpers 201 / 202), bpf_dynptr_slice / _slice_rdwr on both
 * sides of the linear/frag and frag/frag boundaries, bpf_dynptr_adjust / _clone / _size, and
 * bpf_dynptr_copy / _memset. Offsets follow the packet length, so one object serves every size;
 * every step records what it observes (bpf_diff.h).
 *
 * Overlapping copies only where the kernel's result does not depend on its memcpy: when both
 * ranges are in one piece (memmove) or neither is (256-byte chunks through a buffer). When only one
 * is, the kernel copies straight between the overlapping packet bytes with memcpy.
 */
#include "bpf_diff.h"
#include "bpf_kfuncs.h"

#define LIN 3520
#define FRAG 4096

/* R: bpf_dynptr_read into an 0xee-filled buffer; R: fnv of the buffer */
#define DREAD(p, off, len, flags)                                                \
	{                                                                        \
		__u8 b_[(len) ? (len) : 1];                                      \
		__builtin_memset(b_, 0xee, sizeof(b_));                          \
		R(bpf_dynptr_read(b_, (len), (p), (off), (flags)));             \
		R(bd_fnv(BD_FNV_INIT, b_, sizeof(b_)));                          \
	}

/* R: bpf_dynptr_write of the bytes seed, seed + 5, ... */
#define DWRITE(p, off, len, seed, flags)                                          \
	{                                                                         \
		__u8 b_[len];                                                     \
		for (int i_ = 0; i_ < (len); i_++)                                \
			b_[i_] = (__u8)((seed) + 5 * i_);                         \
		R(bpf_dynptr_write((p), (off), b_, (len), (flags)));             \
	}

/* R: what the slice is (BD_KIND); R: fnv of its bytes (0 when NULL) */
#define SLICE(p, off, len, withbuf)                                               \
	{                                                                         \
		__u8 b_[len];                                                     \
		__u8 *s_;                                                         \
		__builtin_memset(b_, 0xee, sizeof(b_));                           \
		s_ = bpf_dynptr_slice((p), (off), (withbuf) ? b_ : (void *)0, (len)); \
		R(BD_KIND(s_, b_));                                               \
		R(s_ ? bd_fnv(BD_FNV_INIT, s_, (len)) : 0);                       \
	}

/*
 * R: what the writable slice is; its bytes are inverted through the slice and, when the kernel
 * handed out the buffer, written back with bpf_dynptr_write (R: that write's result, else 1 for a
 * direct slice, 0 for NULL).
 */
#define SLICEW(p, off, len, withbuf)                                                   \
	{                                                                              \
		__u8 b_[len];                                                          \
		__u8 *s_;                                                              \
		__builtin_memset(b_, 0xee, sizeof(b_));                                \
		s_ = bpf_dynptr_slice_rdwr((p), (off), (withbuf) ? b_ : (void *)0, (len)); \
		R(BD_KIND(s_, b_));                                                    \
		if (s_) {                                                              \
			for (int i_ = 0; i_ < (len); i_++)                             \
				s_[i_] ^= 0xff;                                        \
			if ((long)s_ == (long)b_)                                      \
				R(bpf_dynptr_write((p), (off), b_, (len), 0));        \
			else                                                           \
				R(1);                                                  \
		} else {                                                               \
			R(0);                                                          \
		}                                                                      \
	}

#if !defined(BD_ONLY) || defined(BD_ONLY_dyn_read)
SEC(UXDP_SEC)
int dyn_read(struct xdp_md *ctx)
{
	struct bpf_dynptr p;
	__u32 len;

	R(bpf_dynptr_from_xdp(ctx, 0, &p));
	len = bpf_dynptr_size(&p);
	R(len);
	DREAD(&p, 0, 16, 0);
	DREAD(&p, LIN - 8, 16, 0);
	DREAD(&p, LIN + FRAG - 24, 48, 0);
	DREAD(&p, 0x10000 - 8, 16, 0);
	DREAD(&p, len - 16, 16, 0);
	DREAD(&p, len - 15, 16, 0);
	DREAD(&p, len, 0, 0);
	DREAD(&p, len + 1, 0, 0);
	DREAD(&p, 0, 4, 1);
	DREAD(&p, LIN - 100, 200, 0);
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_dyn_write)
SEC(UXDP_SEC)
int dyn_write(struct xdp_md *ctx)
{
	struct bpf_dynptr p;
	__u32 len;

	R(bpf_dynptr_from_xdp(ctx, 0, &p));
	len = bpf_dynptr_size(&p);
	DWRITE(&p, 0, 16, 1, 0);
	DWRITE(&p, LIN - 8, 16, 2, 0);
	DWRITE(&p, LIN + FRAG - 24, 48, 3, 0);
	DWRITE(&p, 0x10000 - 8, 16, 4, 0);
	DWRITE(&p, len - 16, 16, 5, 0);
	DWRITE(&p, len - 15, 16, 6, 0);
	DWRITE(&p, 20, 4, 7, 1);
	DWRITE(&p, len / 3, 100, 8, 0);
	DREAD(&p, LIN - 8, 16, 0);
	return XDP_TX;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_dyn_slice)
SEC(UXDP_SEC)
int dyn_slice(struct xdp_md *ctx)
{
	struct bpf_dynptr p;
	__u32 len;

	R(bpf_dynptr_from_xdp(ctx, 0, &p));
	len = bpf_dynptr_size(&p);
	SLICE(&p, 0, 32, 1);
	SLICE(&p, 0, 32, 0);
	SLICE(&p, LIN - 16, 32, 1);
	SLICE(&p, LIN - 16, 32, 0);
	SLICE(&p, LIN, 32, 0);
	SLICE(&p, LIN + FRAG - 16, 32, 1);
	SLICE(&p, LIN + FRAG + 100, 32, 0);
	SLICE(&p, 0x10000 - 16, 32, 1);
	SLICE(&p, len - 32, 32, 1);
	SLICE(&p, len - 31, 32, 1);
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_dyn_slice_rdwr)
SEC(UXDP_SEC)
int dyn_slice_rdwr(struct xdp_md *ctx)
{
	struct bpf_dynptr p;
	__u32 len;

	R(bpf_dynptr_from_xdp(ctx, 0, &p));
	len = bpf_dynptr_size(&p);
	SLICEW(&p, 0, 16, 1);
	SLICEW(&p, LIN - 16, 32, 1);
	SLICEW(&p, LIN - 8, 16, 0);
	SLICEW(&p, LIN + 64, 32, 0);
	SLICEW(&p, LIN + FRAG - 16, 32, 1);
	SLICEW(&p, len - 40, 40, 1);
	SLICEW(&p, len - 8, 16, 1);
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_dyn_adjust)
SEC(UXDP_SEC)
int dyn_adjust(struct xdp_md *ctx)
{
	struct bpf_dynptr p, c;
	__u32 len;

	R(bpf_dynptr_from_xdp(ctx, 0, &p));
	len = bpf_dynptr_size(&p);
	R(bpf_dynptr_clone(&p, &c));
	R(bpf_dynptr_adjust(&c, LIN - 10, LIN + 22));
	R(bpf_dynptr_size(&c));
	DREAD(&c, 0, 32, 0);
	DWRITE(&c, 4, 8, 0x40, 0);
	R(bpf_dynptr_adjust(&c, 40, 8));
	R(bpf_dynptr_adjust(&c, 0, 33));
	R(bpf_dynptr_adjust(&c, 8, 8));
	R(bpf_dynptr_size(&c));
	DREAD(&c, 0, 0, 0);
	DREAD(&c, 0, 1, 0);
	R(bpf_dynptr_size(&p));
	R(bpf_dynptr_adjust(&p, len / 2, len));
	R(bpf_dynptr_size(&p));
	DREAD(&p, 0, 16, 0);
	SLICE(&p, 0, 16, 1);
	R(bpf_dynptr_is_null(&p) & 0xff);
	R(bpf_dynptr_is_rdonly(&p) & 0xff);
	return XDP_PASS;
}
#endif

#if !defined(BD_ONLY) || defined(BD_ONLY_dyn_copy_memset)
SEC(UXDP_SEC)
int dyn_copy_memset(struct xdp_md *ctx)
{
	struct bpf_dynptr p, q;
	__u32 len;

	R(bpf_dynptr_from_xdp(ctx, 0, &p));
	len = bpf_dynptr_size(&p);
	R(bpf_dynptr_clone(&p, &q));
	R(bpf_dynptr_copy(&p, 100, &q, LIN - 50, 200));
	R(bpf_dynptr_copy(&p, len - 300, &q, len - 700, 300));
	R(bpf_dynptr_copy(&p, 0, &q, len - 10, 20));
	/* overlapping: in one piece (memmove), across the linear/frag boundary (256-byte chunks) */
	R(bpf_dynptr_copy(&p, 40, &q, 0, 100));
	R(bpf_dynptr_copy(&p, LIN - 100, &q, LIN - 150, 300));
	R(bpf_dynptr_memset(&p, LIN - 100, 300, 0xab));
	R(bpf_dynptr_memset(&p, len - 10, 20, 0xcd));
	R(bpf_dynptr_memset(&p, len - 10, 10, 0xcd));
	R(bpf_dynptr_memset(&p, 0, 0, 0x11));
	return XDP_PASS;
}
#endif

char LICENSE[] SEC("license") = "Dual MIT/GPL";
