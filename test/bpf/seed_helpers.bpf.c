// The seed's convenience API called as the helpers the seed proposed (ids 214..=221, which never
// reached uapi: the `seed-helpers` profile): the same walk as seed_iter.bpf.c, through helper ids.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;

static long (*seed_dynptr_advance)(struct bpf_dynptr *ptr, __u32 len) = (void *)214;
static long (*seed_dynptr_get_size)(const struct bpf_dynptr *ptr) = (void *)218;
static long (*seed_dynptr_iterator)(struct bpf_dynptr *ptr, void *callback, void *ctx, __u64 flags) = (void *)221;

struct walk {
	__u32 views;
	__u32 sizes;
};

static long step(struct bpf_dynptr *view, void *data)
{
	struct walk *w = data;
	long size = seed_dynptr_get_size(view);

	w->views++;
	w->sizes += size;
	return size >= 1000 ? 1000 : 0;
}

__u32 views, sizes;
int advanced, result;

SEC("xdp.frags")
int walk(struct xdp_md *ctx)
{
	struct bpf_dynptr p;
	struct walk w = {};

	if (bpf_dynptr_from_xdp(ctx, 0, &p))
		return XDP_ABORTED;
	advanced = seed_dynptr_advance(&p, 500);
	result = seed_dynptr_iterator(&p, step, &w, 0);
	views = w.views;
	sizes = w.sizes;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
