/* SPDX-License-Identifier: MIT */
/*
 * The dynptr kfuncs the uxdp BPF differential programs call (declarations for libbpf's __ksym
 * resolution against the running kernel's BTF). Written for uxdp.
 */
#ifndef UXDP_BPF_KFUNCS_H
#define UXDP_BPF_KFUNCS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
/* C bools: only the low byte of r0 is defined, hence int and a mask at the call site */
extern int bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_is_rdonly(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_copy(struct bpf_dynptr *dst, __u32 dst_off, struct bpf_dynptr *src, __u32 src_off, __u32 size) __ksym;
extern int bpf_dynptr_memset(struct bpf_dynptr *p, __u32 offset, __u32 size, __u8 val) __ksym;

/* What a slice call returned: 0 = NULL, 1 = a pointer into the packet, 2 = the caller's buffer. */
#define BD_KIND(s, buf) (!(s) ? 0 : (long)(s) == (long)(buf) ? 2 : 1)

#endif
