// Global data in every internal-map section, subprograms of each linkage, a bpf_loop callback,
// and the program sections beyond plain `xdp`: several programs per section, `?` sections,
// xdp.frags, devmap/cpumap, tc and tracepoint.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

int hits = 7;                                     /* .data */
__u64 big_data[3] = { 1, 2, 3 };                  /* .data */
const volatile __u32 limit = 0xabcd;              /* .rodata */
const volatile char tag[6] = "uxdp!";             /* .rodata */
__u32 zeroed;                                     /* .bss */
__u64 zero_arr[4];                                /* .bss */
__u16 custom SEC(".data.custom") = 0x1234;        /* .data.custom */
const volatile __u8 ro_custom[3] SEC(".rodata.custom") = { 9, 8, 7 };

static __u32 counter_static = 42;                 /* .data, static: section-symbol relocations */

struct ctx_loop {
	__u32 sum;
};

static int loop_cb(__u32 idx, void *data)
{
	struct ctx_loop *c = data;
	c->sum += idx;
	return c->sum > 100;
}

static __attribute__((noinline)) int add_static(int a, int b)
{
	return a + b + counter_static;
}

__attribute__((noinline)) int add_global(int a)
{
	return add_static(a, limit) + zero_arr[1];
}

static __attribute__((noinline)) int leaf(int a)
{
	return a * 3;
}

static __attribute__((noinline)) int middle(int a)
{
	return leaf(a) + leaf(a + 1) + big_data[2];
}

SEC("xdp")
int xdp_main(struct xdp_md *ctx)
{
	struct ctx_loop c = { 0 };
	bpf_loop(10, loop_cb, &c, 0);
	hits++;
	zeroed += c.sum;
	custom += ro_custom[1];
	return add_global(tag[2]) > limit ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_second(struct xdp_md *ctx)
{
	counter_static += 2;
	return middle(ctx->rx_queue_index) & 1 ? XDP_PASS : XDP_TX;
}

SEC("xdp.frags")
int xdp_frags_prog(struct xdp_md *ctx)
{
	return middle(3) + add_static(1, 2) ? XDP_PASS : XDP_DROP;
}

SEC("?xdp")
int xdp_lazy(struct xdp_md *ctx)
{
	return XDP_ABORTED;
}

SEC("?xdp.frags/devmap")
int xdp_devmap_lazy(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp/cpumap")
int xdp_cpumap_prog(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int tc_prog(struct __sk_buff *skb)
{
	return leaf(skb->len) ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc/ingress")
int tcx_prog(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("tp/xdp/xdp_exception")
int tp_prog(void *ctx)
{
	hits--;
	/* A literal passed straight to a helper lands in .rodata.str1.1, a mergeable string
	 * section clang addresses through its section symbol. */
	bpf_trace_printk("tp hit\n", sizeof("tp hit\n"));
	return 0;
}

SEC("kprobe/do_sys_open")
int kprobe_prog(void *ctx)
{
	return 0;
}

SEC("fentry/bpf_prog_test_run_xdp")
int fentry_prog(void *ctx)
{
	return 0;
}

SEC("lsm.s/bpf")
int lsm_prog(void *ctx)
{
	return 0;
}

SEC("socket")
int sock_prog(struct __sk_buff *skb)
{
	return 0;
}

SEC("custom_section")
int unknown_prog(void *ctx)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
