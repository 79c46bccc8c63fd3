// Programs of a struct_ops-like type declared in TypeScript (test/structops.spec.ts): the context
// is struct st_args { u64 a; u64 b; }, `a` writable. Re-describes the scenarios of seed 001's
// selftests in programs of our own: a prologue and an epilogue around programs that change `a`,
// a program with a subprogram (whose exits are not the epilogue's), and tail calls.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct st_args {
	__u64 a;
	__u64 b;
};

SEC("struct_ops/add_one")
__u64 add_one(struct st_args *args)
{
	args->a += 1;
	return args->a;
}

static __attribute__((noinline)) __u64 add_three(struct st_args *args)
{
	args->a += 3;
	return args->a;
}

SEC("struct_ops/with_subprog")
__u64 with_subprog(struct st_args *args)
{
	return add_three(args) + add_three(args);
}

SEC("struct_ops/tail_target")
__u64 tail_target(struct st_args *args)
{
	args->a += 5;
	return args->a;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, __u64(struct st_args *));
} jumps SEC(".maps") = {
	.values = { [0] = (void *)&tail_target },
};

SEC("struct_ops/with_tail_call")
__u64 with_tail_call(struct st_args *args)
{
	args->a += 1;
	bpf_tail_call(args, &jumps, 0);
	return 7;
}

SEC("struct_ops/writes_b")
__u64 writes_b(struct st_args *args)
{
	args->b = 1;
	return 0;
}

SEC("struct_ops/big_stack")
__u64 big_stack(struct st_args *args)
{
	volatile __u64 scratch[4] = { 1, 2, 3, 4 };

	return scratch[args->a & 3];
}

char LICENSE[] SEC("license") = "GPL";
