// The seed's convenience API from a BPF program: walk the frame in 1000-byte steps with
// bpf_dynptr_iterator, counting the views and summing their sizes (seed kfuncs, loaded with
// seedKfuncs; with -DSEED_HELPERS, the seed's proposed helper ids, loaded with seedHelpers).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
#ifdef SEED_HELPERS
/* The same calls through the helper ids the seed proposed (214..=221, never in uapi: the
 * `seed-helpers` profile). */
static long (*bpf_dynptr_advance)(struct bpf_dynptr *ptr, __u32 len) = (void *)214;
static long (*bpf_dynptr_get_size)(const struct bpf_dynptr *ptr) = (void *)218;
static long (*bpf_dynptr_iterator)(struct bpf_dynptr *ptr, void *callback, void *ctx, __u64 flags) = (void *)221;
#else
extern int bpf_dynptr_iterator(struct bpf_dynptr *ptr, void *callback, void *ctx, __u64 flags) __ksym;
extern int bpf_dynptr_get_size(const struct bpf_dynptr *ptr) __ksym;
extern int bpf_dynptr_advance(struct bpf_dynptr *ptr, __u32 len) __ksym;
#endif

struct walk {
	__u32 views;
	__u32 sizes;
};

static long step(struct bpf_dynptr *view, void *data)
{
	struct walk *w = data;
	int size = bpf_dynptr_get_size(view);

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
	advanced = bpf_dynptr_advance(&p, 500);
	result = bpf_dynptr_iterator(&p, step, &w, 0);
	views = w.views;
	sizes = w.sizes;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
