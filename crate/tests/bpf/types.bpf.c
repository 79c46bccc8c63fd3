// One of each BTF kind clang 14 emits, reachable from a global so it lands in .BTF, plus
// functions of each linkage and a legacy `SEC("maps")` definition.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __ptr_tag(x) __attribute__((btf_type_tag(x)))

enum color { RED = -1, GREEN = 7, BLUE = 0x7fffffff };
enum flags_u { F_LOW = 1, F_HIGH = 0x80000000u };

struct opaque; /* forward only: FWD */
union opaque_u;

struct bits {
	unsigned int a : 3;
	unsigned int b : 13;
	int c;
} __tag("packed-ish");

union either {
	__u64 u;
	double d;
	float f;
	char bytes[8];
};

typedef volatile const __u32 cv_u32;
typedef cv_u32 cv_u32_again;
typedef int (*varfn)(int, ...);

struct all {
	struct bits bits;
	union either either;
	enum color color;
	enum flags_u fl;
	struct opaque *opaque;
	union opaque_u *opaque_u;
	cv_u32_again twice;
	int matrix[3][5];
	int *__restrict restricted;
	int __ptr_tag("user") *tagged;
	varfn fn;
	long double unused_ld;
	_Bool flag;
	char name[6] __tag("member-tag");
};

struct all everything __tag("var-tag");

struct legacy_def {
	unsigned int type, key_size, value_size, max_entries, map_flags;
};

struct legacy_def old_hash SEC("maps") = {
	.type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 8, .max_entries = 10, .map_flags = 1,
};
struct legacy_def old_ring SEC("maps") = {
	.type = BPF_MAP_TYPE_RINGBUF, .max_entries = 4096 * 3,
};

__attribute__((noinline)) int global_fn(int x) __tag("fn-tag")
{
	return x + everything.matrix[1][2];
}

static __attribute__((noinline)) int static_fn(int x)
{
	return x ^ everything.bits.b;
}

SEC("xdp")
int types_prog(struct xdp_md *ctx)
{
	__u32 k = 1;
	bpf_map_lookup_elem(&old_hash, &k);
	bpf_ringbuf_output(&old_ring, &k, 4, 0);
	return global_fn(ctx->rx_queue_index) + static_fn(2);
}

char LICENSE[] SEC("license") = "GPL";
