/* SPDX-License-Identifier: MIT */
/*
 * XDP dynptr kfuncs and helpers, one compile-time sequence of steps per test case:
 * build with -DSTEPS="S_XDP(0,0) S_READ(0,3510,20,0)". See dynptr_steps.h for the steps and how
 * their results are reported (metadata slots, return value = number of slots).
 */
#include "dynptr_steps.h"

#ifndef STEPS
#define STEPS
#endif

SEC("xdp.frags")
int uxdp_dynptr_ops(struct xdp_md *ctx)
{
	UXDP_DYNPTR_BODY(STEPS)
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
