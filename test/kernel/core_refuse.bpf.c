// CO-RE, .kconfig and __ksym cases whose load verdict (accepted, or libbpf's or the kernel's
// refusal) test/kernel-core.spec.ts compares; one case per -DCASE=N. Built against a vmlinux.h
// generated at record time (see core_xdp.bpf.c).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct ethhdr___nope {
	__be16 h_uxdp_nope;
} __attribute__((preserve_access_index));

struct iphdr___signed {
	__s64 tot_len;
} __attribute__((preserve_access_index));

enum xdp_action___nope {
	XDP_UXDP_NOPE___nope = 7,
};

#define PKT(ctx, T, p)                                                                                    \
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;                         \
	T *p = data;                                                                                      \
	if ((void *)(p + 1) > end)                                                                        \
		return XDP_DROP;

#if CASE == 1 /* an unresolvable field read, reached: the poisoned instruction is refused */
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	PKT(ctx, struct ethhdr___nope, e)
	return e->h_uxdp_nope;
}
#elif CASE == 2 /* the same read behind bpf_core_field_exists: dead, the program loads */
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	PKT(ctx, struct ethhdr___nope, e)
	if (bpf_core_field_exists(e->h_uxdp_nope))
		return e->h_uxdp_nope;
	return XDP_PASS;
}
#elif CASE == 3 /* an unresolvable enum value, reached */
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return bpf_core_enum_value(enum xdp_action___nope, XDP_UXDP_NOPE___nope);
}
#elif CASE == 4 /* a signed local field of another size: the load cannot be resized, poisoned */
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	PKT(ctx, struct iphdr___signed, ip)
	return ip->tot_len;
}
#elif CASE == 5 /* a strong CONFIG_ extern no config line sets */
extern int CONFIG_UXDP_NO_SUCH_OPTION __kconfig;
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return CONFIG_UXDP_NO_SUCH_OPTION;
}
#elif CASE == 6 /* a LINUX_ name libbpf does not know, strong */
extern int LINUX_UXDP_NO_SUCH_THING __kconfig;
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return LINUX_UXDP_NO_SUCH_THING;
}
#elif CASE == 7 /* a config value of another kind than the extern's type */
extern bool CONFIG_HZ __kconfig;
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return CONFIG_HZ;
}
#elif CASE == 8 /* a strong typed ksym the kernel BTF lacks */
extern const int uxdp_no_such_var __ksym;
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return *(const int *)bpf_this_cpu_ptr(&uxdp_no_such_var);
}
#elif CASE == 9 /* a typed ksym declared with another type than the kernel's */
extern const struct ethhdr bpf_prog_active __ksym;
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return ((const struct ethhdr *)bpf_this_cpu_ptr(&bpf_prog_active))->h_proto;
}
#elif CASE == 10 /* a typed ksym the kernel has: without CONFIG_KALLSYMS_ALL it has no address */
extern const int bpf_prog_active __ksym;
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return *(const int *)bpf_this_cpu_ptr(&bpf_prog_active);
}
#elif CASE == 11 /* a strong typeless ksym kallsyms lacks */
extern const void uxdp_no_such_sym __ksym;
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return (long)&uxdp_no_such_sym;
}
#elif CASE == 12 /* tc: CO-RE reads of the context and kernel structs, field existence */
SEC("tc")
int prog(struct __sk_buff *skb)
{
	if (!bpf_core_field_exists(struct sk_buff, tstamp_type))
		return 2;
	if (bpf_core_type_size(struct sk_buff) < 200)
		return 3;
	return skb->len > bpf_core_field_offset(struct sk_buff, len) ? 0 : 1;
}
#elif CASE == 13 /* socket filter: a LINUX_KERNEL_VERSION branch pruned, an enum value */
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
SEC("socket")
int prog(struct __sk_buff *skb)
{
	if (LINUX_KERNEL_VERSION < KERNEL_VERSION(6, 0, 0)) {
		int *wild = (void *)(long)skb->len;
		return *wild;
	}
	return bpf_core_enum_value(enum bpf_func_id, BPF_FUNC_skb_load_bytes);
}
#elif CASE == 14 /* socket filter: an unresolvable relocation guarded by a kconfig value */
extern int CONFIG_UXDP_NO_SUCH_OPTION __kconfig __weak;
SEC("socket")
int prog(struct __sk_buff *skb)
{
	if (CONFIG_UXDP_NO_SUCH_OPTION)
		return bpf_core_enum_value(enum xdp_action___nope, XDP_UXDP_NOPE___nope);
	return 0;
}
#endif

char LICENSE[] SEC("license") = "GPL";
