/* SPDX-License-Identifier: MIT */
/* Map values: null checks, value size bounds, variable offsets, arithmetic on map_value_or_null.
 * Written for uxdp. */
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64[2]);
} h SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64[2]);
} a SEC(".maps");

/* r0 = bpf_map_lookup_elem(&MAP, &(u32)KEY) */
#define LOOKUP(map, key) "r1 = " #key "; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[" #map "] ll; call %[map_lookup_elem];"
#define OPS ADDR(h), ADDR(a), IMM(map_lookup_elem), IMM(get_prandom_u32)

#if CASE == 0 /* hash_no_null_check refused xdp: a hash lookup's result dereferenced unchecked */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "r0 = *(u64 *)(r0 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 1 /* hash_null_checked accepted xdp: checked before the read */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 8); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 2 /* array_key3_u32_store_unchecked refused xdp: key 3 stored as 4 bytes from a register: not taken as a constant key, so the result may be NULL */
NAKED("xdp") { asm volatile (LOOKUP(a, 3) "r0 = *(u64 *)(r0 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 3 /* array_const_key_out_of_range refused xdp: key 4 of a 4-entry array may be NULL */
NAKED("xdp") { asm volatile (LOOKUP(a, 4) "r0 = *(u64 *)(r0 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 4 /* array_unknown_key_unchecked refused xdp: an unknown key may miss */
NAKED("xdp") { asm volatile ("call %[get_prandom_u32]; *(u32 *)(r10 - 4) = r0; r2 = r10; r2 += -4; r1 = %[a] ll; call %[map_lookup_elem]; r0 = *(u64 *)(r0 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 5 /* value_read_past_end refused xdp: u64 at offset 16 of a 16-byte value */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 16); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 6 /* value_read_straddle refused xdp: u64 at offset 12 */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 12); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 7 /* value_negative_off refused xdp: read at value - 8 */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 - 8); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 8 /* value_write accepted xdp: writes to both words */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r1 = 1; *(u64 *)(r0 + 0) = r1; *(u64 *)(r0 + 8) = r1; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 9 /* value_unaligned_u32_ok accepted xdp: u32 at offset 6 (root may access unaligned map values) */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r0 = *(u32 *)(r0 + 6); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 10 /* or_null_arith refused xdp: arithmetic on map_value_or_null before the check */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "r0 += 8; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 11 /* or_null_check_copy accepted xdp: checking a copy covers the original */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "r6 = r0; if r6 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 12 /* or_null_check_ne_form accepted xdp: if r0 != 0 form */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 != 0 goto l1_%=; r0 = 1; exit; l1_%=: r0 = *(u64 *)(r0 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 13 /* or_null_wrong_branch refused xdp: the read on the NULL branch */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 != 0 goto l0_%=; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 14 /* var_off_masked accepted xdp: value + (x & 8), u64 read */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r6 = r0; call %[get_prandom_u32]; r0 &= 8; r6 += r0; r0 = *(u64 *)(r6 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 15 /* var_off_too_wide refused xdp: value + (x & 15), u64 read */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r6 = r0; call %[get_prandom_u32]; r0 &= 15; r6 += r0; r0 = *(u64 *)(r6 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 16 /* var_off_write accepted xdp: byte write at value + (x & 15) */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r6 = r0; call %[get_prandom_u32]; r0 &= 15; r6 += r0; r1 = 0; *(u8 *)(r6 + 0) = r1; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 17 /* key_uninit_priv accepted xdp: an unwritten stack key (root may pass uninitialised stack) */
NAKED("xdp") { asm volatile ("r2 = r10; r2 += -4; r1 = %[h] ll; call %[map_lookup_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 18 /* key_too_small_stack refused xdp: a 4-byte key at fp - 2 crosses the top */
NAKED("xdp") { asm volatile ("r2 = r10; r2 += -2; r1 = %[h] ll; call %[map_lookup_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 19 /* key_null refused xdp: a NULL key */
NAKED("xdp") { asm volatile ("r2 = 0; r1 = %[h] ll; call %[map_lookup_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 20 /* key_from_map_value accepted xdp: a map value as the key of another lookup */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r2 = r0; r1 = %[a] ll; call %[map_lookup_elem]; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 21 /* map_ptr_deref_priv accepted xdp: root may read struct bpf_map through the map pointer */
NAKED("xdp") { asm volatile ("r1 = %[h] ll; r0 = *(u64 *)(r1 + 0); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 22 /* not_a_map refused xdp: a scalar as the map argument */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = 0; call %[map_lookup_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 23 /* update_value_from_stack accepted xdp: bpf_map_update_elem with a 16-byte stack value */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; *(u64 *)(r10 - 24) = r1; *(u64 *)(r10 - 16) = r1; r2 = r10; r2 += -4; r3 = r10; r3 += -24; r4 = 0; r1 = %[h] ll; call %[map_update_elem]; r0 = 2; exit;" :: OPS, IMM(map_update_elem) : "memory"); }
#elif CASE == 24 /* update_value_short_stack refused xdp: the 16-byte value starts at fp - 8 */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; *(u64 *)(r10 - 16) = r1; r2 = r10; r2 += -4; r3 = r10; r3 += -8; r4 = 0; r1 = %[h] ll; call %[map_update_elem]; r0 = 2; exit;" :: OPS, IMM(map_update_elem) : "memory"); }
#elif CASE == 25 /* delete_checked_key accepted xdp: bpf_map_delete_elem with a stack key */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[h] ll; call %[map_delete_elem]; r0 = 2; exit;" :: OPS, IMM(map_delete_elem) : "memory"); }
#elif CASE == 26 /* value_ptr_leak_to_map accepted xdp: storing a map value pointer into a map value (root) */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; *(u64 *)(r0 + 0) = r0; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 27 /* c_counter accepted xdp: the classic per-key counter in C */
SEC("xdp") int prog(struct xdp_md *ctx)
{
	__u32 k = ctx->rx_queue_index & 3;
	__u64 *v = bpf_map_lookup_elem(&a, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return XDP_PASS;
}
#elif CASE == 28 /* value_mul_by_neg refused xdp: value pointer multiplied */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; r0 *= 2; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 29 /* value_ptr_returned_priv accepted xdp: root may return a pointer from XDP (no leak check) */
NAKED("xdp") { asm volatile (LOOKUP(h, 0) "if r0 == 0 goto l0_%=; exit; l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 30 /* tc_hash_checked accepted tc: the same null-checked lookup from tc */
NAKED("tc") { asm volatile (LOOKUP(h, 1) "if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 0; exit;" :: OPS : "memory"); }
#elif CASE == 31 /* socket_hash_unchecked refused socket: the unchecked lookup from a socket filter */
NAKED("socket") { asm volatile (LOOKUP(h, 1) "r0 = *(u64 *)(r0 + 0); r0 = 0; exit;" :: OPS : "memory"); }
#elif CASE == 32 /* array_key0_unchecked accepted xdp: an array lookup with constant key 0 (a zeroed slot) needs no null check */
NAKED("xdp") { asm volatile (LOOKUP(a, 0) "r0 = *(u64 *)(r0 + 8); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 33 /* array_key0_past_value refused xdp: the non-null constant-key value still has its size */
NAKED("xdp") { asm volatile (LOOKUP(a, 0) "r0 = *(u64 *)(r0 + 16); r0 = 2; exit;" :: OPS : "memory"); }
#endif
