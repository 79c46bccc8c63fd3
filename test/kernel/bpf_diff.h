/* SPDX-License-Identifier: MIT */
/*
 * Shared definitions of the uxdp BPF-engine differential programs (test/kernel/bpf_*.bpf.c, run by
 * test/kernel-bpf.spec.ts through the kernel's BPF_PROG_TEST_RUN and through uxdp). Written for
 * uxdp; no kernel selftest code.
 *
 * Observations are recorded in the XDP metadata area, which data_out returns ahead of the packet,
 * so that a disagreement points at the step that saw it:
 *
 *   meta[0]        bits 0..31: the number of slots recorded; bit 32: a slot did not fit
 *   meta[1 + i]    slot i (an __s64)
 *
 * The count lives in the metadata itself, so that tail-called programs and bpf_loop callbacks
 * append to the same record. The test gives BD_META bytes of zeroed metadata (ctx_in.data).
 */
#ifndef UXDP_BPF_DIFF_H
#define UXDP_BPF_DIFF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* 8 + 26 * 8 = 216 bytes: the most metadata BPF_PROG_TEST_RUN takes (ctx_in.data), its 256 bytes of
 * headroom less a struct xdp_frame (40 bytes); 220 is refused with EINVAL. */
#define BD_SLOTS 26
#define BD_META (8 + BD_SLOTS * 8)
#define BD_OVERFLOW (1ULL << 32)

#ifndef UXDP_SEC
#define UXDP_SEC "xdp.frags"
#endif

/* An object holds every program of its source, unless it is built with -DBD_ONLY: then only those
 * named with -DBD_ONLY_<name> (each program is wrapped in
 * `#if !defined(BD_ONLY) || defined(BD_ONLY_<name>)`). A case's object then holds just the programs
 * it runs, so that a kernel refusing one program refuses only the cases that run it. */

/* Appends v to the record in the metadata area (see above). */
static __attribute__((noinline, unused)) int bd_put(struct xdp_md *ctx, __s64 v)
{
	void *data = (void *)(long)ctx->data;
	__u64 *meta = (void *)(long)ctx->data_meta;
	__u64 *slot;
	__u64 n;

	if ((void *)(meta + 1) > data)
		return 0;
	n = meta[0] & 0xffffffff;
	if (n >= BD_SLOTS) {
		meta[0] |= BD_OVERFLOW;
		return 0;
	}
	slot = meta + 1 + n;
	/* one register for the check and the store, so that the verifier sees the bound */
	asm volatile("" : "+r"(slot));
	if ((void *)(slot + 1) > data) {
		meta[0] |= BD_OVERFLOW;
		return 0;
	}
	*slot = (__u64)v;
	meta[0] += 1;
	return 0;
}

#define R(v) bd_put(ctx, (__s64)(v))

#define BD_FNV_INIT 2166136261u
#define BD_FNV_PRIME 16777619u

/* FNV-1a (32 bits) of len bytes, continuing from h. */
static __always_inline __attribute__((unused)) __u32 bd_fnv(__u32 h, const __u8 *p, __u32 len)
{
	for (__u32 i = 0; i < len; i++)
		h = (h ^ p[i]) * BD_FNV_PRIME;
	return h;
}

/* The linear part's length (data_end - data) and bpf_xdp_get_buff_len as one slot value. */
static __always_inline __attribute__((unused)) __s64 bd_geometry(struct xdp_md *ctx)
{
	long data = (long)ctx->data;
	long data_end = (long)ctx->data_end;

	return ((__s64)(data_end - data) << 32) | (__u32)bpf_xdp_get_buff_len(ctx);
}

#endif
