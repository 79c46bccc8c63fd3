/* SPDX-License-Identifier: MIT */
/*
 * Common ground of the verifier differential corpus (test/kernel-verifier.spec.ts): every
 * test/kernel/verifier/<group>.bpf.c holds many small programs, one per -DCASE=n, each announced by
 *   #if CASE == n / * name accepted|refused xdp|tc|socket: what it shows * /
 * (the spec's case table is read from these lines). Exactly one program per object, so a whole-object
 * load's verdict is that program's. Written for uxdp; no kernel selftest code.
 */
#ifndef UXDP_VERIFIER_H
#define UXDP_VERIFIER_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

#ifndef CASE
#define CASE 0
#endif

/* a naked function: its body is exactly the instructions of the asm block */
#define NAKED(sec) SEC(sec) __attribute__((naked)) void prog(void)
/* helper ids and map addresses as asm operands: call %[bpf_map_lookup_elem], r1 = %[m] ll */
/* a static naked subprogram, called from asm as "call name;" */
#define SUB(name) static __attribute__((naked, noinline, used)) void name(void)
#define IMM(x) [x] "i"(BPF_FUNC_##x)
#define ADDR(x) [x] "i"(&x)
#define OFF(name, type, field) [name] "i"(__builtin_offsetof(type, field))

struct bpf_dynptr;

char LICENSE[] SEC("license") = "GPL";

#endif
