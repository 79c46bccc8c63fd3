// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* may_goto's hidden counter at run time: each function invocation has its own, set as the
 * function is entered, so a subprogram called after its caller's loop has run out still loops
 * (one program per -DCASE=n, run by test/kernel-maygoto.spec.ts). The kernel's x86 JIT bounds
 * may_goto by time rather than by count, so the cases return only facts that hold either way. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* may_goto L (BPF_JMP | BPF_JCOND, 0xe5), encoded by hand: the assembler computes the offset */
#define MAY_GOTO(l) ".long 0xe5 + (((" #l " - 1f) / 8) << 16); .long 0; 1:;"

/* 1 when n > 1, without a branch: a comparison would make the count precise, and a may_goto loop
 * with a precise counter never converges in the verifier */
#define MORE_THAN_ONE(n) ({ __u64 r_ = (n); asm volatile ("%[r] -= 1; %[r] = -%[r]; %[r] >>= 63" : [r] "+r"(r_)); (int)r_; })

/* spins until may_goto jumps; returns how many times it fell through */
__attribute__((noinline)) static __u64 spin(void)
{
	__u64 n;
	asm volatile ("%[n] = 0; 2: " MAY_GOTO(3f) " %[n] += 1; goto 2b; 3:" : [n] "=r"(n));
	return n;
}

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	__u64 main_count;
	int ran = 0;

	asm volatile ("%[n] = 0; 2: " MAY_GOTO(3f) " %[n] += 1; goto 2b; 3:" : [n] "=r"(main_count));
#if CASE == 0
	/* the caller ran out; the callee still loops */
	ran = MORE_THAN_ONE(main_count) + MORE_THAN_ONE(spin());
#elif CASE == 1
	/* each call starts a count of its own */
	for (int i = 0; i < 3; i++)
		ran += MORE_THAN_ONE(spin());
	ran = ran * 10 + MORE_THAN_ONE(main_count);
#endif
	return ran;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
