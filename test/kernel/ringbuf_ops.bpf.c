/* SPDX-License-Identifier: MIT */
/*
 * BPF ring buffer with dynptrs, one compile-time sequence of steps per test case (written for uxdp;
 * no kernel selftest code). Besides the steps of dynptr_steps.h:
 *
 *   S_RESERVE(n, size, flags)   R: bpf_ringbuf_reserve_dynptr(&rb, size, flags, &pn)
 *   S_SUBMIT(n, flags)          bpf_ringbuf_submit_dynptr(&pn, flags)
 *   S_DISCARD(n, flags)         bpf_ringbuf_discard_dynptr(&pn, flags)
 *   S_OUTPUT(off, len, flags)   R: bpf_ringbuf_output(&rb, gbuf + off, len, flags)
 *   S_QUERY(flags)              R: bpf_ringbuf_query(&rb, flags)
 *
 * The ring has RING_SIZE data bytes (default 4096). ringbuf_harness.c loads the object, runs it
 * with BPF_PROG_TEST_RUN and consumes the ring between runs.
 */
#include "dynptr_steps.h"

#ifndef RING_SIZE
#define RING_SIZE 4096
#endif

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RING_SIZE);
} rb SEC(".maps");

#define S_RESERVE(n, size, flags) R(bpf_ringbuf_reserve_dynptr(&rb, (size), (flags), P(n)));
#define S_SUBMIT(n, flags) bpf_ringbuf_submit_dynptr(P(n), (flags));
#define S_DISCARD(n, flags) bpf_ringbuf_discard_dynptr(P(n), (flags));
#define S_OUTPUT(off, len, flags) R(bpf_ringbuf_output(&rb, gbuf + (off), (len), (flags)));
#define S_QUERY(flags) R((__s64)bpf_ringbuf_query(&rb, (flags)));

#ifndef STEPS
#define STEPS
#endif

SEC("xdp.frags")
int uxdp_ringbuf_ops(struct xdp_md *ctx)
{
	UXDP_DYNPTR_BODY(STEPS)
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
