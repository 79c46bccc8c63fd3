// CO-RE relocations (test/bpf.spec.ts, test/prog-cli.spec.ts): md_core reads struct xdp_md's fields
// through __builtin_preserve_access_index, byte offsets the target BTF gives as clang wrote them;
// has_field asks bpf_core_field_exists about struct foo, which no kernel has: 0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#ifndef HAS_FIELD_SEC
#define HAS_FIELD_SEC "xdp"
#endif

struct foo {
	int a;
	int b;
} __attribute__((preserve_access_index));

SEC("xdp")
int md_core(struct xdp_md *ctx)
{
	return __builtin_preserve_access_index(ctx->data_end) - __builtin_preserve_access_index(ctx->data);
}

SEC(HAS_FIELD_SEC)
int has_field(struct xdp_md *ctx)
{
	struct foo *f = (void *)(long)ctx->data;

	return bpf_core_field_exists(f->b);
}

char LICENSE[] SEC("license") = "GPL";
