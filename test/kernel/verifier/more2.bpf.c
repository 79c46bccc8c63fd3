/* SPDX-License-Identifier: MIT */
/* Still more: helper arguments across the XDP, tc and socket filter helpers (perf event output,
 * relative skb loads, socket cookies, head/tail adjustment and stale packet pointers, FIB lookups,
 * MTU checks, redirects, csum_diff, trace_printk, strncmp/snprintf with read-only formats), map
 * types and their helpers (LPM trie, per-CPU maps, maps of maps, tail calls, queue/stack/bloom
 * filter, devmap/cpumap/xskmap, read-only/write-only maps, keys outside the stack), ALU edges on
 * pointers and shifts, JSET/JMP32 and self jumps, and spills of packet, map value and context
 * pointers (also into a caller's frame). Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} h SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, __u64);
} h8 SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64[2]);
} a SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[8]);
} big SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__type(key, __u32);
	__type(value, __u64[2]);
} ro SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__uint(map_flags, BPF_F_WRONLY_PROG);
	__type(key, __u32);
	__type(value, __u64[2]);
} wo SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pe SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} pa SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} dm SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} cm SEC(".maps");

/* map types only some cases define (inside their case) */
struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};
#define DEF_LPM struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 16); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, struct lpm_key); __type(value, __u64); } lpm SEC(".maps");
#define DEF_PCH struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } pch SEC(".maps");
#define DEF_PCA struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } pca SEC(".maps");
#define DEF_INNER struct inner_map { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } inner SEC(".maps");
#define DEF_AOM DEF_INNER struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 1); __type(key, __u32); __array(values, struct inner_map); } mm SEC(".maps") = { .values = { [0] = &inner } };
#define DEF_HOM DEF_INNER struct { __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS); __uint(max_entries, 1); __type(key, __u32); __array(values, struct inner_map); } mm SEC(".maps");
#define DEF_Q struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 4); __type(value, __u64); } q SEC(".maps");
#define DEF_STK struct { __uint(type, BPF_MAP_TYPE_STACK); __uint(max_entries, 4); __type(value, __u64); } q SEC(".maps");
#define DEF_BF struct { __uint(type, BPF_MAP_TYPE_BLOOM_FILTER); __uint(max_entries, 16); __type(value, __u32); } bf SEC(".maps");
#define DEF_XSK struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } xm SEC(".maps");

/* a static naked subprogram whose BTF returns int (tail calls need one) */
#define INT_SUB(name) static __attribute__((naked, noinline, used)) int name(void)

#define XO(f) OFF(f, struct xdp_md, f)
#define SO(f) OFF(f, struct __sk_buff, f)
#define OPS ADDR(h), ADDR(h8), ADDR(a), ADDR(big), ADDR(ro), ADDR(wo), ADDR(pe), ADDR(pa), ADDR(dm), ADDR(cm), IMM(map_lookup_elem), IMM(map_update_elem), IMM(map_delete_elem), IMM(get_prandom_u32), IMM(ktime_get_ns), IMM(perf_event_output), IMM(csum_diff), IMM(redirect), IMM(redirect_map), IMM(tail_call), XO(data), XO(data_end)
#define QOPS IMM(map_push_elem), IMM(map_pop_elem), IMM(map_peek_elem), IMM(map_lookup_elem)

/* r0 = bpf_map_lookup_elem(&MAP, &(u32)KEY) */
#define LOOKUP(map, key) "r1 = " #key "; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[" #map "] ll; call %[map_lookup_elem];"
/* r2 = data, r3 = data_end (r1 the XDP context) */
#define PKT "r2 = *(u32 *)(r1 + %[data]); r3 = *(u32 *)(r1 + %[data_end]);"
/* r2 = data, r3 = data_end, goto l0_%= unless 8 bytes are there */
#define PKT8 PKT "r4 = r2; r4 += 8; if r4 > r3 goto l0_%=;"
/* a byte store at fp - 64 + REG: refused unless REG is known to lie in 0..63 */
#define IDX(reg) "r3 = r10; r3 += -64; r3 += " reg "; r4 = 0; *(u8 *)(r3 + 0) = r4;"
/* bpf_perf_event_output(ctx, &pe, BPF_F_CURRENT_CPU, fp - 8, SIZE) with r1 the context */
/* encodings the default clang's assembler does not take: w1 %= w0; if r0 & 16 goto +2; if r0 & 8 goto +2;
 * if r0 & 1 goto +2; if r1 & 1 goto +2; if r0 & -64 goto +5 */
#define MOD32_W1_W0 ".8byte 0x000000000000019c;"
#define JSET_R0_16_2 ".8byte 0x0000001000020045;"
#define JSET_R0_8_2 ".8byte 0x0000000800020045;"
#define JSET_R0_1_2 ".8byte 0x0000000100020045;"
#define JSET_R1_1_2 ".8byte 0x0000000100020145;"
#define JSET_R0_M64_5 ".8byte 0xffffffc000050045;"
/* if w0 & 16 goto +2 (JMP32) */
#define JSET32_W0_16_2 ".8byte 0x0000001000020046;"
#define PERF(size) "r2 = %[pe] ll; r3 = 0xffffffff ll; r4 = r10; r4 += -8; r5 = " #size "; call %[perf_event_output];"

/* perf event output */
#if CASE == 0 /* perf_output_stack accepted xdp: bpf_perf_event_output of 8 written stack bytes with BPF_F_CURRENT_CPU */
NAKED("xdp") { asm volatile ("r2 = 0; *(u64 *)(r10 - 8) = r2;" PERF(8) "r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 1 /* perf_output_hash_map refused xdp: a hash map where a perf event array is expected */
NAKED("xdp") { asm volatile ("r2 = 0; *(u64 *)(r10 - 8) = r2; r2 = %[h] ll; r3 = 0; r4 = r10; r4 += -8; r5 = 8; call %[perf_event_output]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 4 /* perf_output_size_past_frame refused xdp: 16 bytes from fp - 8 */
NAKED("xdp") { asm volatile ("r2 = 0; *(u64 *)(r10 - 8) = r2;" PERF(16) "r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 6 /* perf_output_random_size_unbounded refused xdp: bpf_get_prandom_u32() itself as the size */
NAKED("xdp") { asm volatile ("r6 = r1; call %[get_prandom_u32]; r1 = r6; r2 = %[pe] ll; r3 = 0; r4 = r10; r4 += -8; r5 = r0; call %[perf_event_output]; r0 = 2; exit;" :: OPS : "memory"); }
/* relative loads, socket cookies, head and tail adjustment */
#elif CASE == 9 /* load_bytes_relative_socket accepted socket: bpf_skb_load_bytes_relative from the MAC header into 8 stack bytes */
NAKED("socket") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 8; r5 = 0; call %[skb_load_bytes_relative]; r0 = 0; exit;" :: IMM(skb_load_bytes_relative) : "memory"); }
#elif CASE == 10 /* load_bytes_relative_xdp refused xdp: not an XDP helper */
NAKED("xdp") { asm volatile ("r2 = 0; r3 = r10; r3 += -8; r4 = 8; r5 = 0; call %[skb_load_bytes_relative]; r0 = 2; exit;" :: IMM(skb_load_bytes_relative) : "memory"); }
#elif CASE == 14 /* socket_cookie_xdp refused xdp: XDP programs have no bpf_get_socket_cookie */
NAKED("xdp") { asm volatile ("call %[get_socket_cookie]; r0 = 2; exit;" :: IMM(get_socket_cookie) : "memory"); }
#elif CASE == 16 /* adjust_head_spilled_pkt_stale refused xdp: a checked packet pointer spilled before bpf_xdp_adjust_head, filled after and read */
NAKED("xdp") { asm volatile ("r6 = r1;" PKT8 "*(u64 *)(r10 - 8) = r2; r1 = r6; r2 = 4; call %[xdp_adjust_head]; r2 = *(u64 *)(r10 - 8); r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: OPS, IMM(xdp_adjust_head) : "memory"); }
#elif CASE == 18 /* adjust_tail_stale_end refused xdp: data_end from before bpf_xdp_adjust_tail used in a fresh check */
NAKED("xdp") { asm volatile ("r6 = r1; r7 = *(u32 *)(r1 + %[data_end]); r2 = -4; call %[xdp_adjust_tail]; r2 = *(u32 *)(r6 + %[data]); r4 = r2; r4 += 8; if r4 > r7 goto l0_%=; r0 = *(u8 *)(r2 + 0); l0_%=: r0 = 2; exit;" :: OPS, IMM(xdp_adjust_tail) : "memory"); }
#elif CASE == 20 /* adjust_head_pkt_as_ctx refused xdp: a packet pointer as bpf_xdp_adjust_head's context */
NAKED("xdp") { asm volatile ("r1 = *(u32 *)(r1 + %[data]); r2 = 4; call %[xdp_adjust_head]; r0 = 2; exit;" :: OPS, IMM(xdp_adjust_head) : "memory"); }
/* FIB lookup, MTU check */
#elif CASE == 21 /* fib_lookup_c accepted xdp: bpf_fib_lookup with a zeroed struct on the stack and sizeof */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	struct bpf_fib_lookup p = {};
	p.family = 2;
	p.ifindex = ctx->ingress_ifindex;
	return bpf_fib_lookup(ctx, &p, sizeof(p), 0) == 0 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 22 /* fib_lookup_size_past_frame refused xdp: 72 bytes from fp - 64 */
NAKED("xdp") { asm volatile ("r2 = r10; r2 += -64; r3 = 72; r4 = 0; call %[fib_lookup]; r0 = 2; exit;" :: IMM(fib_lookup) : "memory"); }
#elif CASE == 25 /* fib_lookup_rdonly_value refused xdp: a BPF_F_RDONLY_PROG value (16 bytes) as the parameters, size 16 */
NAKED("xdp") { asm volatile ("r6 = r1;" LOOKUP(ro, 0) "if r0 == 0 goto l0_%=; r1 = r6; r2 = r0; r3 = 16; r4 = 0; call %[fib_lookup]; l0_%=: r0 = 2; exit;" :: OPS, IMM(fib_lookup) : "memory"); }
#elif CASE == 27 /* check_mtu_misaligned refused xdp: the u32 at fp - 6 */
NAKED("xdp") { asm volatile ("r2 = 0; *(u64 *)(r10 - 8) = r2; r2 = 0; r3 = r10; r3 += -6; r4 = 0; r5 = 0; call %[check_mtu]; r0 = 2; exit;" :: IMM(check_mtu) : "memory"); }
#elif CASE == 28 /* check_mtu_rdonly_value refused xdp: a BPF_F_RDONLY_PROG value as the u32 bpf_check_mtu writes */
NAKED("xdp") { asm volatile ("r6 = r1;" LOOKUP(ro, 0) "if r0 == 0 goto l0_%=; r1 = r6; r2 = 0; r3 = r0; r4 = 0; r5 = 0; call %[check_mtu]; l0_%=: r0 = 2; exit;" :: OPS, IMM(check_mtu) : "memory"); }
#elif CASE == 30 /* check_mtu_tc accepted tc: the skb flavour of bpf_check_mtu */
NAKED("tc") { asm volatile ("r2 = 0; *(u32 *)(r10 - 4) = r2; r3 = r10; r3 += -4; r4 = 0; r5 = 0; call %[check_mtu]; r0 = 0; exit;" :: IMM(check_mtu) : "memory"); }
/* redirects */
#elif CASE == 32 /* redirect_map_devmap accepted xdp: bpf_redirect_map into a devmap, XDP_PASS as the fallback */
NAKED("xdp") { asm volatile ("r1 = %[dm] ll; r2 = 0; r3 = 2; call %[redirect_map]; exit;" :: OPS : "memory"); }
#elif CASE == 33 /* redirect_map_cpumap_random accepted xdp: into a cpumap with a random key and flags */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r2 = r0; r3 = r0; r1 = %[cm] ll; call %[redirect_map]; exit;" :: OPS : "memory"); }
#elif CASE == 36 /* redirect_map_tc refused tc: tc has bpf_redirect but not bpf_redirect_map */
NAKED("tc") { asm volatile ("r1 = %[dm] ll; r2 = 0; r3 = 0; call %[redirect_map]; r0 = 0; exit;" :: OPS : "memory"); }
#elif CASE == 39 /* devmap_lookup_write refused xdp: devmap values are read-only to programs */
NAKED("xdp") { asm volatile (LOOKUP(dm, 0) "if r0 == 0 goto l0_%=; r1 = 1; *(u32 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 40 /* xskmap_redirect accepted xdp: bpf_redirect_map into an xskmap */
DEF_XSK
NAKED("xdp") { asm volatile ("r1 = %[xm] ll; r2 = 0; r3 = 0; call %[redirect_map]; exit;" :: OPS, ADDR(xm) : "memory"); }
#elif CASE == 41 /* xskmap_lookup_unchecked refused xdp: an xskmap lookup's socket read before a NULL check */
DEF_XSK
NAKED("xdp") { asm volatile (LOOKUP(xm, 0) "r0 = *(u32 *)(r0 + 0); r0 = 2; exit;" :: OPS, ADDR(xm) : "memory"); }
/* csum_diff, no-argument helpers, trace_printk */
#elif CASE == 46 /* strncmp_zero_size refused xdp: bpf_strncmp with a first size of 0 */
static const char abc[] = "abc";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char buf[4] = { (char)ctx->rx_queue_index, 'b', 'c', 0 };
	return bpf_strncmp(buf, 0, abc) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 47 /* snprintf_13_args accepted xdp: 13 conversions with 13 u64 arguments pass the load-time format check */
static const char fmt[] = "%d%d%d%d%d%d%d%d%d%d%d%d%d";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char out[16];
	__u64 args[13] = { ctx->rx_queue_index };
	return bpf_snprintf(out, sizeof(out), fmt, args, sizeof(args)) > 0 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 48 /* snprintf_fmt_stack refused xdp: the format on the stack */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	volatile char fmt[4] = { '%', 'd', 0, 0 };
	char out[16];
	__u64 args[1] = { ctx->rx_queue_index };
	return bpf_snprintf(out, sizeof(out), (const char *)fmt, args, sizeof(args)) > 0 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 49 /* trace_printk_bad_format accepted xdp: "%n" is only refused when the helper runs */
NAKED("xdp") { asm volatile ("r1 = 0x6e25; *(u32 *)(r10 - 4) = r1; r1 = r10; r1 += -4; r2 = 3; call %[trace_printk]; r0 = 2; exit;" :: IMM(trace_printk) : "memory"); }
/* strncmp, snprintf: constant strings */
#elif CASE == 50 /* strncmp_rodata accepted xdp: bpf_strncmp against a constant string in .rodata */
static const char abc[] = "abc";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char buf[4] = { (char)ctx->rx_queue_index, 'b', 'c', 0 };
	return bpf_strncmp(buf, sizeof(buf), abc) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 52 /* strncmp_writable_global refused xdp: the second string in .data (not a read-only map) */
char abc[4] = "abc";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char buf[4] = { (char)ctx->rx_queue_index, 'b', 'c', 0 };
	return bpf_strncmp(buf, sizeof(buf), abc) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 53 /* strncmp_rodata_var_offset refused xdp: the constant string at a variable offset */
static const char abc[] = "abcdefg";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char buf[4] = { (char)ctx->rx_queue_index, 'b', 'c', 0 };
	return bpf_strncmp(buf, sizeof(buf), abc + (ctx->rx_queue_index & 3)) ? XDP_DROP : XDP_PASS;
}
#elif CASE == 54 /* snprintf_ok accepted xdp: bpf_snprintf with a .rodata format and one u64 argument */
static const char fmt[] = "q=%d";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char out[16];
	__u64 args[1] = { ctx->rx_queue_index };
	return bpf_snprintf(out, sizeof(out), fmt, args, sizeof(args)) > 0 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 55 /* snprintf_arg_count_mismatch refused xdp: two conversions, one argument */
static const char fmt[] = "q=%d %d";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char out[16];
	__u64 args[1] = { ctx->rx_queue_index };
	return bpf_snprintf(out, sizeof(out), fmt, args, sizeof(args)) > 0 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 56 /* snprintf_bad_conversion refused xdp: %n is checked at load time */
static const char fmt[] = "q=%n";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char out[16];
	__u64 args[1] = { ctx->rx_queue_index };
	return bpf_snprintf(out, sizeof(out), fmt, args, sizeof(args)) > 0 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 57 /* snprintf_data_len_4 refused xdp: a data length that is not a multiple of 8 */
static const char fmt[] = "q=%d";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char out[16];
	__u64 args[1] = { ctx->rx_queue_index };
	return bpf_snprintf(out, sizeof(out), fmt, args, 4) > 0 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 58 /* snprintf_no_args accepted xdp: a format without conversions, NULL data and length 0 */
static const char fmt[] = "plain";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char out[8];
	return bpf_snprintf(out, sizeof(out), fmt, 0, 0) > 0 ? XDP_PASS : XDP_DROP;
}
/* map types */
#elif CASE == 59 /* snprintf_fmt_const_offset accepted xdp: the format at a constant offset into a .rodata string ("q=%d" + 2) */
static const char fmt[] = "q=%d";
SEC("xdp") int prog(struct xdp_md *ctx)
{
	char out[16];
	__u64 args[1] = { ctx->rx_queue_index };
	return bpf_snprintf(out, sizeof(out), fmt + 2, args, sizeof(args)) > 0 ? XDP_PASS : XDP_DROP;
}
#elif CASE == 60 /* lpm_lookup accepted xdp: an LPM trie looked up with {prefixlen, addr} on the stack */
DEF_LPM
NAKED("xdp") { asm volatile ("r1 = 32; *(u32 *)(r10 - 8) = r1; r1 = 0x0100000a; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -8; r1 = %[lpm] ll; call %[map_lookup_elem]; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS, ADDR(lpm) : "memory"); }
#elif CASE == 65 /* percpu_array_const_key_unchecked refused xdp: a constant in-range key spares the NULL check of plain arrays only, not of a per-CPU array */
DEF_PCA
NAKED("xdp") { asm volatile (LOOKUP(pca, 1) "r0 = *(u64 *)(r0 + 0); r0 = 2; exit;" :: OPS, ADDR(pca) : "memory"); }
#elif CASE == 66 /* aom_inner_lookup accepted xdp: array of maps: outer lookup, NULL check, inner lookup, value read */
DEF_AOM
NAKED("xdp") { asm volatile (LOOKUP(mm, 0) "if r0 == 0 goto l0_%=; r1 = r0; r2 = 0; *(u32 *)(r10 - 8) = r2; r2 = r10; r2 += -8; call %[map_lookup_elem]; if r0 == 0 goto l0_%=; r0 = *(u32 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS, ADDR(mm) : "memory"); }
#elif CASE == 67 /* aom_inner_map_unchecked refused xdp: the outer lookup's maybe-NULL map used as a map */
DEF_AOM
NAKED("xdp") { asm volatile (LOOKUP(mm, 0) "r1 = r0; r2 = 0; *(u32 *)(r10 - 8) = r2; r2 = r10; r2 += -8; call %[map_lookup_elem]; l0_%=: r0 = 2; exit;" :: OPS, ADDR(mm) : "memory"); }
#elif CASE == 70 /* aom_inner_map_write refused xdp: a store through the inner map pointer */
DEF_AOM
NAKED("xdp") { asm volatile (LOOKUP(mm, 0) "if r0 == 0 goto l0_%=; r1 = 0; *(u64 *)(r0 + 0) = r1; l0_%=: r0 = 2; exit;" :: OPS, ADDR(mm) : "memory"); }
/* tail calls */
#elif CASE == 71 /* tail_call_fallthrough accepted xdp: code after bpf_tail_call runs when the call fails */
NAKED("xdp") { asm volatile ("r6 = r1; r2 = %[pa] ll; r3 = 0; call %[tail_call]; r0 = *(u32 *)(r6 + %[data]); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 72 /* tail_call_hash_map refused xdp: a hash map as the program array */
NAKED("xdp") { asm volatile ("r2 = %[h] ll; r3 = 0; call %[tail_call]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 73 /* tail_call_in_int_subprog accepted xdp: a subprogram (BTF: returns int) does the tail call */
INT_SUB(tc_sub) { asm volatile ("r2 = %[pa] ll; r3 = 0; call %[tail_call]; r0 = 0; exit;" :: ADDR(pa), IMM(tail_call) : "memory"); }
NAKED("xdp") { asm volatile ("call tc_sub; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 74 /* tail_call_in_void_subprog refused xdp: a tail call in a subprogram whose BTF says it returns void */
SUB(tc_sub) { asm volatile ("r2 = %[pa] ll; r3 = 0; call %[tail_call]; r0 = 0; exit;" :: ADDR(pa), IMM(tail_call) : "memory"); }
NAKED("xdp") { asm volatile ("call tc_sub; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 75 /* tail_call_subprog_deep_caller refused xdp: the tail-calling (int) subprogram's caller uses 320 bytes of stack */
INT_SUB(tc_sub) { asm volatile ("r2 = %[pa] ll; r3 = 0; call %[tail_call]; r0 = 0; exit;" :: ADDR(pa), IMM(tail_call) : "memory"); }
NAKED("xdp") { asm volatile ("r2 = 0; *(u64 *)(r10 - 320) = r2; call tc_sub; r0 = 2; exit;" ::: "memory"); }
/* queue, stack, bloom filter */
#elif CASE == 77 /* queue_pop_short refused xdp: bpf_map_pop_elem of an 8-byte value into fp - 4 */
DEF_Q
NAKED("xdp") { asm volatile ("r1 = %[q] ll; r2 = r10; r2 += -4; call %[map_pop_elem]; r0 = 2; exit;" :: QOPS, ADDR(q) : "memory"); }
#elif CASE == 79 /* queue_lookup refused xdp: bpf_map_lookup_elem on a queue */
DEF_Q
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 8) = r1; r1 = %[q] ll; r2 = r10; r2 += -8; call %[map_lookup_elem]; r0 = 2; exit;" :: QOPS, ADDR(q) : "memory"); }
#elif CASE == 81 /* queue_push_from_packet accepted xdp: 8 checked packet bytes as the pushed value */
DEF_Q
NAKED("xdp") { asm volatile (PKT8 "r1 = %[q] ll; r3 = 0; call %[map_push_elem]; l0_%=: r0 = 2; exit;" :: QOPS, ADDR(q), XO(data), XO(data_end) : "memory"); }
#elif CASE == 82 /* bloom_push_peek accepted xdp: a bloom filter pushed to and peeked */
DEF_BF
NAKED("xdp") { asm volatile ("r1 = 7; *(u32 *)(r10 - 4) = r1; r1 = %[bf] ll; r2 = r10; r2 += -4; r3 = 0; call %[map_push_elem]; r1 = %[bf] ll; r2 = r10; r2 += -4; call %[map_peek_elem]; r0 = 2; exit;" :: QOPS, ADDR(bf) : "memory"); }
#elif CASE == 83 /* bloom_pop refused xdp: bpf_map_pop_elem on a bloom filter */
DEF_BF
NAKED("xdp") { asm volatile ("r1 = %[bf] ll; r2 = r10; r2 += -4; call %[map_pop_elem]; r0 = 2; exit;" :: QOPS, ADDR(bf) : "memory"); }
#elif CASE == 84 /* perf_array_lookup refused xdp: bpf_map_lookup_elem on a perf event array */
NAKED("xdp") { asm volatile (LOOKUP(pe, 0) "r0 = 2; exit;" :: OPS : "memory"); }
/* read-only and write-only maps, keys */
#elif CASE == 85 /* rdonly_prog_update refused xdp: bpf_map_update_elem on a BPF_F_RDONLY_PROG map */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 24) = r1; *(u64 *)(r10 - 16) = r1; *(u32 *)(r10 - 4) = r1; r1 = %[ro] ll; r2 = r10; r2 += -4; r3 = r10; r3 += -24; r4 = 0; call %[map_update_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 86 /* rdonly_prog_delete refused xdp: bpf_map_delete_elem on a BPF_F_RDONLY_PROG map */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r1 = %[ro] ll; r2 = r10; r2 += -4; call %[map_delete_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 87 /* wronly_prog_update accepted xdp: bpf_map_update_elem on a BPF_F_WRONLY_PROG map */
NAKED("xdp") { asm volatile ("r1 = 0; *(u64 *)(r10 - 24) = r1; *(u64 *)(r10 - 16) = r1; *(u32 *)(r10 - 4) = r1; r1 = %[wo] ll; r2 = r10; r2 += -4; r3 = r10; r3 += -24; r4 = 0; call %[map_update_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 88 /* wronly_value_as_key refused xdp: a BPF_F_WRONLY_PROG value as another lookup's key */
NAKED("xdp") { asm volatile (LOOKUP(wo, 0) "if r0 == 0 goto l0_%=; r2 = r0; r1 = %[h] ll; call %[map_lookup_elem]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 89 /* key_in_packet accepted xdp: 4 checked packet bytes as the key */
NAKED("xdp") { asm volatile (PKT8 "r1 = %[h] ll; call %[map_lookup_elem]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 90 /* key_in_packet_short refused xdp: an 8-byte key from a packet checked for 4 bytes */
NAKED("xdp") { asm volatile (PKT "r4 = r2; r4 += 4; if r4 > r3 goto l0_%=; r1 = %[h8] ll; call %[map_lookup_elem]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
/* ALU edges */
#elif CASE == 101 /* mod32_by_random accepted xdp: 32-bit modulo by a register that may be zero */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; w1 = 100; " MOD32_W1_W0 "w0 = w1; exit;" :: OPS : "memory"); }
#elif CASE == 102 /* div_small_by_random_index refused xdp: (x & 31) / y used as a stack index: the quotient's range is not kept */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r6 = r0; call %[get_prandom_u32]; r6 &= 31; r6 /= r0;" IDX("r6") "r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 104 /* lsh_reg_const_64 accepted xdp: a shift by a register holding 64 is not refused (only the immediate form is) */
NAKED("xdp") { asm volatile ("r1 = 64; r0 = 1; r0 <<= r1; exit;" ::: "memory"); }
#elif CASE == 105 /* lsh32_imm_32 refused xdp: w0 <<= 32 */
NAKED("xdp") { asm volatile ("w0 = 1; w0 <<= 32; exit;" ::: "memory"); }
#elif CASE == 106 /* neg_range_index accepted xdp: -(x & 7) + 7 lies in 0..7, a valid stack index */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 7; r0 = -r0; r0 += 7;" IDX("r0") "r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 107 /* arsh32_imm_31_index accepted xdp: (u32)x s>> 31 is 0 or -1, & 7 as a stack index */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; w0 s>>= 31; w0 &= 7;" IDX("r0") "r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 109 /* arsh64_sign_extend_index accepted xdp: (x & 7) << 32 s>> 32 is still 0..7 */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 7; r0 <<= 32; r0 s>>= 32;" IDX("r0") "r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 108 /* alu32_add_ctx refused xdp: w1 += 4 on the context */
NAKED("xdp") { asm volatile ("w1 += 4; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 111 /* xor_pkt_end refused xdp: XOR on data_end */
NAKED("xdp") { asm volatile (PKT "r3 ^= 1; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 115 /* pkt_plus_pkt refused xdp: two packet pointers added */
NAKED("xdp") { asm volatile (PKT "r2 += r2; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 116 /* map_ptr_plus_zero_reg accepted xdp: the map pointer plus a register known zero still works as the map */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[h] ll; r3 = 0; r1 += r3; call %[map_lookup_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 117 /* map_ptr_plus_8 refused xdp: the map pointer plus 8 */
NAKED("xdp") { asm volatile ("r1 = %[h] ll; r1 += 8; r0 = 2; exit;" :: OPS : "memory"); }
/* jumps */
#elif CASE == 122 /* jset_dead_branch accepted xdp: (x & 15) & 16 is never set, the branch reading r9 is dead */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 15; " JSET_R0_16_2 "r0 = 2; exit; r0 = r9; exit;" :: OPS : "memory"); }
#elif CASE == 123 /* jset_live_branch refused xdp: (x & 15) & 8 may be set */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 &= 15; " JSET_R0_8_2 "r0 = 2; exit; r0 = r9; exit;" :: OPS : "memory"); }
#elif CASE == 124 /* jset_known_set accepted xdp: (x | 1) & 1 is always set, the fall-through reading r9 is dead */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; r0 |= 1; " JSET_R0_1_2 "r0 = r9; exit; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 125 /* jset_ctx accepted xdp: JSET on the context pointer (root) */
NAKED("xdp") { asm volatile (JSET_R1_1_2 "r0 = 1; exit; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 126 /* jset_narrows_then_index accepted xdp: x & -64 clear (JSET not taken) leaves x in 0..63, a valid stack index */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32];" JSET_R0_M64_5 IDX("r0") "r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 127 /* jmp_self_unknown refused xdp: if r0 > 5 goto itself */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; l0_%=: if r0 > 5 goto l0_%=; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 129 /* jmp32_jset_dead_branch accepted xdp: a 32-bit JSET: (w & 15) & 16 is never set, the branch reading r9 is dead */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; w0 &= 15; " JSET32_W0_16_2 "r0 = 2; exit; r0 = r9; exit;" :: OPS : "memory"); }
#elif CASE == 130 /* unused_static_subprog accepted xdp: a static function nothing calls is left out by the loader */
static __attribute__((noinline, used)) int unused_fn(int x) { return x * 3; }
SEC("xdp") int prog(struct xdp_md *ctx) { return XDP_PASS; }
#elif CASE == 131 /* unused_global_subprog_bad accepted xdp: a global function nothing calls, dereferencing its unchecked argument, is left out */
__attribute__((noinline)) int unused_global(int *p) { return *p; }
SEC("xdp") int prog(struct xdp_md *ctx) { return XDP_PASS; }
/* spills and fills of pointers */
#elif CASE == 140 /* pkt_spill_after_check accepted xdp: a checked packet pointer spilled and filled keeps its range */
NAKED("xdp") { asm volatile (PKT8 "*(u64 *)(r10 - 8) = r2; r2 = 0; r4 = *(u64 *)(r10 - 8); r0 = *(u8 *)(r4 + 7); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 141 /* pkt_spill_before_check accepted xdp: the check after the spill gives the spilled copy its range too */
NAKED("xdp") { asm volatile (PKT "*(u64 *)(r10 - 8) = r2; r4 = r2; r4 += 8; if r4 > r3 goto l0_%=; r4 = *(u64 *)(r10 - 8); r0 = *(u8 *)(r4 + 7); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 142 /* pkt_fill_checked_orig_used accepted xdp: the filled copy is checked, the original register used: they share the range */
NAKED("xdp") { asm volatile (PKT "*(u64 *)(r10 - 8) = r2; r4 = *(u64 *)(r10 - 8); r5 = r4; r5 += 8; if r5 > r3 goto l0_%=; r0 = *(u8 *)(r2 + 7); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 143 /* pkt_spill32_fill_deref refused xdp: a packet pointer spilled as 4 bytes comes back a scalar */
NAKED("xdp") { asm volatile (PKT8 "*(u32 *)(r10 - 8) = r2; r4 = *(u32 *)(r10 - 8); r0 = *(u8 *)(r4 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 147 /* mapval_or_null_spilled_then_checked accepted xdp: a maybe-NULL value spilled, the register checked, the fill is non-NULL */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "*(u64 *)(r10 - 16) = r0; if r0 == 0 goto l0_%=; r1 = *(u64 *)(r10 - 16); r0 = *(u64 *)(r1 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 150 /* ctx_plus_4_spilled_load refused xdp: ctx + 4 spilled, filled and loaded from at 0 */
NAKED("xdp") { asm volatile ("r1 += 4; *(u64 *)(r10 - 16) = r1; r2 = *(u64 *)(r10 - 16); r0 = *(u32 *)(r2 + 0); r0 = 2; exit;" ::: "memory"); }
#elif CASE == 151 /* ctx_spill_misaligned refused xdp: the context spilled at fp - 12 */
NAKED("xdp") { asm volatile ("*(u64 *)(r10 - 12) = r1; r0 = 2; exit;" ::: "memory"); }
#elif CASE == 152 /* subprog_spills_ctx_into_caller accepted xdp: a subprogram stores the context through a pointer to the caller's stack; the caller fills and uses it */
SUB(put) { asm volatile ("*(u64 *)(r1 + 0) = r2; r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r2 = r1; r1 = r10; r1 += -8; call put; r1 = *(u64 *)(r10 - 8); r0 = *(u32 *)(r1 + %[data]); r0 = 2; exit;" :: XO(data) : "memory"); }
#elif CASE == 153 /* subprog_spills_pkt_into_caller accepted xdp: a checked packet pointer stored into the caller's frame by a subprogram keeps its range */
SUB(put) { asm volatile ("*(u64 *)(r1 + 0) = r2; r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile (PKT8 "r1 = r10; r1 += -8; call put; r4 = *(u64 *)(r10 - 8); r0 = *(u8 *)(r4 + 7); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 154 /* subprog_spills_const_into_caller accepted xdp: a constant a subprogram stored in the caller's frame is known to the caller */
SUB(put) { asm volatile ("r2 = 40; *(u64 *)(r1 + 0) = r2; r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r1 = r10; r1 += -8; call put; r6 = *(u64 *)(r10 - 8);" IDX("r6") "r0 = 2; exit;" ::: "memory"); }
#elif CASE == 155 /* subprog_spills_u32_ptr_into_caller refused xdp: the callee stores the context as 4 bytes, the caller's fill is a scalar */
SUB(put) { asm volatile ("*(u32 *)(r1 + 0) = r2; r0 = 0; exit;" ::: "memory"); }
NAKED("xdp") { asm volatile ("r2 = r1; r1 = r10; r1 += -8; call put; r1 = *(u32 *)(r10 - 8); r0 = *(u32 *)(r1 + %[data]); r0 = 2; exit;" :: XO(data) : "memory"); }
#elif CASE == 156 /* subprog_fills_caller_pkt accepted xdp: the caller spills a checked packet pointer, the callee fills it through a stack pointer and reads */
SUB(get) { asm volatile ("r2 = *(u64 *)(r1 + 0); r0 = *(u8 *)(r2 + 3); exit;" ::: "memory"); }
NAKED("xdp") { asm volatile (PKT8 "*(u64 *)(r10 - 8) = r2; r1 = r10; r1 += -8; call get; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#endif
