/* SPDX-License-Identifier: MIT */
/* A parser the way XDP programs are often written: data + a register offset. Root loads it;
 * without CAP_PERFMON the kernel refuses the packet-pointer arithmetic (no Spectre v1 masking for
 * packet pointers). uxdp's `prog load --caps` and `verify({ caps })` tests. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
__attribute__((naked)) void parse_by_register(void)
{
	asm volatile ("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = 14; r2 += r4; if r2 > r3 goto l0_%=; r0 = *(u8 *)(r2 - 1); l0_%=: r0 = 2; exit;" ::: "memory");
}

char LICENSE[] SEC("license") = "GPL";
