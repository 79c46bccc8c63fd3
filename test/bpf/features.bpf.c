// XDP programs exercising maps, global data, the ring buffer, bpf_loop, tail calls, dynptrs and
// a kfunc the test implements in TypeScript (test/bpf.spec.ts).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) (!!(sym))
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u8);
	__type(value, __u32);
} first_bytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jumps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

const volatile __u32 verdict = XDP_PASS;
__u64 packets;
__u32 last_len = 7;

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern __u64 uxdp_test_mix(__u64 a, __u64 b) __ksym;
extern int no_such_kfunc(void) __ksym __weak;

// Counts packets per verdict, remembers first bytes, reports each length on the ring.
SEC("xdp.frags")
int count(struct xdp_md *ctx)
{
	__u32 len = bpf_xdp_get_buff_len(ctx);
	__u8 first = 0;
	__u32 key = verdict;
	__u64 *n;
	__u32 one = 1, *seen;

	packets++;
	last_len = len;
	if (bpf_xdp_load_bytes(ctx, 0, &first, 1))
		return XDP_ABORTED;
	seen = bpf_map_lookup_elem(&first_bytes, &first);
	if (seen)
		__sync_fetch_and_add(seen, 1);
	else
		bpf_map_update_elem(&first_bytes, &first, &one, BPF_NOEXIST);
	n = bpf_map_lookup_elem(&verdicts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	bpf_ringbuf_output(&events, &len, sizeof(len), 0);
	return verdict;
}

struct sum_ctx {
	struct bpf_dynptr *ptr;
	__u32 sum;
};

static long add_byte(__u64 i, void *data)
{
	struct sum_ctx *c = data;
	__u8 b;

	if (bpf_dynptr_read(&b, 1, c->ptr, i, 0))
		return 1;
	c->sum += b;
	return 0;
}

// Sums the first 256 bytes through a dynptr in a bpf_loop callback; the sum is the verdict's
// upper bits' business: it goes into the ring.
SEC("xdp.frags")
int loop_sum(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;
	struct sum_ctx c = { .ptr = &ptr };
	long n;

	if (bpf_dynptr_from_xdp(ctx, 0, &ptr))
		return XDP_ABORTED;
	n = bpf_loop(256, add_byte, &c, 0);
	bpf_ringbuf_output(&events, &c.sum, sizeof(c.sum), 0);
	return n == 256 ? XDP_PASS : XDP_DROP;
}

// Calls the TypeScript kfunc; a weak kfunc nobody has is guarded by bpf_ksym_exists.
SEC("?xdp")
int user_kfunc(struct xdp_md *ctx)
{
	if (bpf_ksym_exists(no_such_kfunc))
		return XDP_ABORTED;
	return uxdp_test_mix(ctx->data_end - ctx->data, 1000);
}

SEC("xdp")
int tail_target(struct xdp_md *ctx)
{
	return XDP_TX;
}

// Jumps to slot 0 (XDP_TX there once filled); falls through to DROP when the slot is empty.
SEC("xdp")
int tail_caller(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jumps, 0);
	return XDP_DROP;
}

// Redirects through the devmap slot 0; XDP_PASS when the slot is empty.
SEC("xdp.frags")
int to_port(struct xdp_md *ctx)
{
	return bpf_redirect_map(&ports, 0, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
