/* SPDX-License-Identifier: MIT */
/*
 * Shared definitions for the uxdp kernel differential test programs (written for uxdp; no kernel
 * selftest code). Each program ends by reporting the packet geometry or a verdict; helper failures
 * are returned as the helper's negative errno, which BPF_PROG_TEST_RUN hands back unchanged as the
 * (unsigned) return value.
 */
#ifndef UXDP_TEST_H
#define UXDP_TEST_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Success report: bits 17..28 = linear length (data_end - data), bits 0..16 =
 * bpf_xdp_get_buff_len(). Always < 2^31, so it cannot be mistaken for a negative errno. */
static __always_inline __u32 uxdp_geometry(struct xdp_md *ctx)
{
	long data = (long)ctx->data;
	long data_end = (long)ctx->data_end;
	__u32 linear = (__u32)(data_end - data);

	return (linear << 17) | ((__u32)bpf_xdp_get_buff_len(ctx) & 0x1ffff);
}

#endif
