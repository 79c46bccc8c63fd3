// CO-RE, .kconfig and __ksym, the libbpf-bootstrap way: built against a vmlinux.h generated from
// /sys/kernel/btf/vmlinux at record time (never committed; test/kernel-core.spec.ts makes it).
// Each XDP program writes what it observes as u64 slots into the packet (data_out), so the
// kernel's answer and uxdp's are compared slot by slot.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define SLOTS 24
#define field_signed(type, field) __builtin_preserve_field_info(((type *)0)->field, BPF_FIELD_SIGNED)
#define OUT_AT 64
#define ksym_exists(sym) ({ _Static_assert(!__builtin_constant_p(!!(sym)), #sym " must be weak"); !!(sym); })

// Local flavors of kernel structs: their own layouts, resolved to the kernel's by name.
struct sk_buff___small {
	__u64 mark;
	int len;
	char cb[48];
	struct net_device *dev;
	int uxdp_no_such_field;
} __attribute__((preserve_access_index));

struct iphdr___swapped {
	__u8 version : 4, ihl : 4;
	__u64 daddr;
} __attribute__((preserve_access_index));

struct iphdr___subset {
	__u8 tos;
	__be32 saddr;
} __attribute__((preserve_access_index));

struct iphdr___mismatch {
	__u64 tos;
} __attribute__((preserve_access_index));

struct uxdp_no_such_type {
	int x;
};

enum bpf_func_id___local {
	BPF_FUNC_xdp_adjust_tail___local = 1,
	BPF_FUNC_uxdp_no_such_helper___local = 2,
};

static __always_inline __u64 *slots(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 *out = data + OUT_AT;
	if ((void *)(out + SLOTS) > end)
		return 0;
	return out;
}

SEC("xdp")
int core_fields(struct xdp_md *ctx)
{
	__u64 *o = slots(ctx);
	if (!o)
		return XDP_ABORTED;
	o[0] = bpf_core_field_offset(struct sk_buff___small, len);
	o[1] = bpf_core_field_offset(struct sk_buff___small, mark);
	o[2] = bpf_core_field_size(struct sk_buff___small, mark);
	o[3] = bpf_core_field_exists(struct sk_buff___small, uxdp_no_such_field);
	o[4] = bpf_core_field_exists(struct sk_buff___small, len);
	o[5] = bpf_core_field_offset(struct net_device, mtu);
	o[6] = bpf_core_field_offset(struct xdp_buff, data_end);
	o[7] = bpf_core_field_offset(struct task_struct, pid);
	o[8] = bpf_core_field_size(struct task_struct, comm);
	o[9] = bpf_core_field_offset(struct net_device, name);
	o[10] = field_signed(struct sk_buff___small, len);
	o[11] = field_signed(struct task_struct, pid);
	o[12] = bpf_core_field_offset(struct iphdr, daddr);
	o[13] = bpf_core_field_offset(struct sk_buff___small, cb[5]);
	o[14] = bpf_core_field_size(struct sk_buff___small, dev);
	o[15] = bpf_core_field_offset(struct sk_buff___small, dev);
	o[16] = bpf_core_field_offset(struct iphdr___swapped, ihl);
	o[17] = bpf_core_field_size(struct iphdr___swapped, version);
	o[18] = __builtin_preserve_field_info(((struct iphdr___swapped *)0)->ihl, BPF_FIELD_LSHIFT_U64);
	o[19] = __builtin_preserve_field_info(((struct iphdr___swapped *)0)->version, BPF_FIELD_LSHIFT_U64);
	o[20] = __builtin_preserve_field_info(((struct iphdr___swapped *)0)->version, BPF_FIELD_RSHIFT_U64);
	o[21] = bpf_core_field_offset(struct tcp_sock, snd_cwnd);
	o[22] = bpf_core_field_offset(struct sock, __sk_common.skc_family);
	o[23] = bpf_core_field_exists(struct iphdr___swapped, daddr);
	return XDP_PASS;
}

SEC("xdp")
int core_packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 *o = slots(ctx);
	if (!o)
		return XDP_ABORTED;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct tcphdr *tcp = data + sizeof(*eth) + sizeof(*ip);
	if ((void *)(tcp + 1) > end)
		return XDP_DROP;
	struct iphdr___swapped *sw = (void *)ip;
	o[0] = BPF_CORE_READ_BITFIELD(ip, ihl);
	o[1] = BPF_CORE_READ_BITFIELD(ip, version);
	o[2] = BPF_CORE_READ_BITFIELD(sw, ihl);
	o[3] = BPF_CORE_READ_BITFIELD(sw, version);
	o[4] = BPF_CORE_READ_BITFIELD(tcp, syn);
	o[5] = BPF_CORE_READ_BITFIELD(tcp, ack);
	o[6] = BPF_CORE_READ_BITFIELD(tcp, doff);
	o[7] = BPF_CORE_READ_BITFIELD(tcp, fin);
	// a u64 local read of a u32 kernel field: the load is narrowed to 4 bytes
	o[8] = sw->daddr;
	o[9] = eth->h_proto;
	o[10] = ip->protocol;
	o[11] = bpf_ntohs(tcp->dest);
	return ip->ttl;
}

SEC("xdp")
int core_types(struct xdp_md *ctx)
{
	__u64 *o = slots(ctx);
	if (!o)
		return XDP_ABORTED;
	o[0] = bpf_core_type_exists(struct sk_buff);
	o[1] = bpf_core_type_exists(struct uxdp_no_such_type);
	o[2] = bpf_core_type_size(struct xdp_md);
	o[3] = bpf_core_type_size(struct sk_buff);
	o[4] = bpf_core_type_size(struct net_device);
	o[5] = bpf_core_type_matches(struct iphdr___subset);
	o[6] = bpf_core_type_matches(struct iphdr___mismatch);
	o[7] = bpf_core_type_id_kernel(struct sk_buff);
	o[8] = bpf_core_type_id_local(struct sk_buff);
	o[9] = bpf_core_type_exists(u32);
	o[10] = bpf_core_type_size(__be64);
	o[11] = bpf_core_type_exists(enum xdp_action);
	o[12] = bpf_core_type_size(struct uxdp_no_such_type);
	o[13] = bpf_core_type_id_kernel(struct uxdp_no_such_type);
	o[14] = bpf_core_type_size(struct task_struct);
	o[15] = bpf_core_type_exists(struct iphdr___mismatch);
	return XDP_PASS;
}

SEC("xdp")
int core_enums(struct xdp_md *ctx)
{
	__u64 *o = slots(ctx);
	if (!o)
		return XDP_ABORTED;
	o[0] = bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_map_lookup_elem);
	o[1] = bpf_core_enum_value(enum bpf_func_id, BPF_FUNC_xdp_adjust_tail);
	o[2] = bpf_core_enum_value_exists(enum bpf_func_id___local, BPF_FUNC_uxdp_no_such_helper___local);
	o[3] = bpf_core_enum_value(enum bpf_func_id___local, BPF_FUNC_xdp_adjust_tail___local);
	o[4] = bpf_core_enum_value(enum xdp_action, XDP_REDIRECT);
	o[5] = bpf_core_enum_value(enum perf_callchain_context, PERF_CONTEXT_USER);
	o[6] = bpf_core_enum_value_exists(enum perf_callchain_context, PERF_CONTEXT_MAX);
	o[7] = bpf_core_enum_value(enum bpf_func_id, __BPF_FUNC_MAX_ID);
	return XDP_PASS;
}

extern __u32 LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig __weak;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig __weak;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern int CONFIG_HZ __kconfig;
extern __u64 CONFIG_NR_CPUS __kconfig;
extern enum libbpf_tristate CONFIG_NET __kconfig;
extern char CONFIG_BPF_JIT __kconfig;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig;
extern int CONFIG_UXDP_NO_SUCH_OPTION __kconfig __weak;
extern enum libbpf_tristate CONFIG_UXDP_NO_SUCH_TRISTATE __kconfig __weak;

SEC("xdp")
int core_kconfig(struct xdp_md *ctx)
{
	__u64 *o = slots(ctx);
	if (!o)
		return XDP_ABORTED;
	o[0] = LINUX_KERNEL_VERSION;
	o[1] = LINUX_HAS_BPF_COOKIE;
	o[2] = LINUX_HAS_SYSCALL_WRAPPER;
	o[3] = CONFIG_BPF_SYSCALL;
	o[4] = CONFIG_HZ;
	o[5] = CONFIG_NR_CPUS;
	o[6] = CONFIG_NET;
	o[7] = CONFIG_BPF_JIT;
	__builtin_memcpy(&o[8], CONFIG_DEFAULT_HOSTNAME, 16);
	o[10] = CONFIG_UXDP_NO_SUCH_OPTION;
	o[11] = CONFIG_UXDP_NO_SUCH_TRISTATE;
	// dead unless the kernel were older than 5.0: the verifier prunes it on the frozen value
	if (LINUX_KERNEL_VERSION < KERNEL_VERSION(5, 0, 0)) {
		__u64 *wild = (void *)(long)o[0];
		return *wild;
	}
	return XDP_PASS;
}

// A typed variable the kernel has would be refused here (no CONFIG_KALLSYMS_ALL: no address for
// it; core_refuse.bpf.c case 10), so only weak ones kallsyms or BTF lack.
extern const int uxdp_no_such_var __ksym __weak;
extern const void this_cpu_off __ksym __weak;
extern const void uxdp_no_such_sym __ksym __weak;

SEC("xdp")
int core_ksyms(struct xdp_md *ctx)
{
	__u64 *o = slots(ctx);
	if (!o)
		return XDP_ABORTED;
	o[0] = ksym_exists(&uxdp_no_such_var);
	o[1] = ksym_exists(&this_cpu_off);
	o[2] = ksym_exists(&uxdp_no_such_sym);
	o[3] = 7;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
