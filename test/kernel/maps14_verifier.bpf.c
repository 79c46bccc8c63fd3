/* SPDX-License-Identifier: MIT */
/* The map types of issue 14 in the verifier (test/kernel-maps.spec.ts; one program per -DCASE=n, marked as the
 * verifier corpus marks them): queue/stack helpers, lookups refused on them, maps of
 * maps' inner map pointers (null checks, helpers on them), lookup_percpu_elem, user_ringbuf_drain's
 * callback. Written for uxdp. */
#include "verifier/verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u64);
} q SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} ph SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} h SEC(".maps");
struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} in0 SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} aom SEC(".maps") = { .values = { [0] = &in0 } };
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u32);
} lpm SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} urb SEC(".maps");

#define KEY0 "r1 = 0; *(u64 *)(r10 - 8) = r1; r2 = r10; r2 += -8;"
#define OPS ADDR(q), ADDR(ph), ADDR(h), ADDR(aom), ADDR(lpm), ADDR(urb), IMM(map_lookup_elem), IMM(map_update_elem), IMM(map_push_elem), IMM(map_pop_elem), IMM(map_peek_elem), IMM(map_lookup_percpu_elem), IMM(user_ringbuf_drain), IMM(map_delete_elem), IMM(jiffies64)

#if CASE == 0 /* queue_push_stack_value accepted xdp: push of an initialised stack value */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[q] ll; r3 = 0; call %[map_push_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 1 /* queue_push_uninit accepted xdp: the pushed value is uninitialised stack, which root may read */
NAKED("xdp") { asm volatile ("r2 = r10; r2 += -8; r1 = %[q] ll; r3 = 0; call %[map_push_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 2 /* queue_pop_into_uninit accepted xdp: pop writes the value (uninit stack is fine) */
NAKED("xdp") { asm volatile ("r2 = r10; r2 += -8; r1 = %[q] ll; call %[map_pop_elem]; r0 = *(u64 *)(r10 - 8); r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 3 /* queue_lookup refused xdp: bpf_map_lookup_elem on a queue */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[q] ll; call %[map_lookup_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 4 /* hash_push refused xdp: bpf_map_push_elem on a hash map */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[h] ll; r3 = 0; call %[map_push_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 5 /* queue_peek_short_value refused xdp: a 4-byte buffer for an 8-byte value */
NAKED("xdp") { asm volatile ("r2 = r10; r2 += -4; r1 = %[q] ll; call %[map_peek_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 6 /* inner_map_unchecked refused xdp: the inner map from an array of maps used before its null check */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[aom] ll; call %[map_lookup_elem]; r6 = r0;" KEY0 "r1 = r6; call %[map_lookup_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 7 /* inner_map_checked_lookup accepted xdp: lookup in the checked inner map, value read */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[aom] ll; call %[map_lookup_elem]; if r0 == 0 goto l0_%=; r6 = r0;" KEY0 "r1 = r6; call %[map_lookup_elem]; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 8 /* inner_map_value_past_end refused xdp: the inner template's 8-byte value read at 8 */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[aom] ll; call %[map_lookup_elem]; if r0 == 0 goto l0_%=; r6 = r0;" KEY0 "r1 = r6; call %[map_lookup_elem]; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 8); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 9 /* inner_map_deref accepted xdp: reading through the inner map pointer (struct bpf_map's fields) */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[aom] ll; call %[map_lookup_elem]; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 10 /* aom_update_from_prog refused xdp: programs cannot update an array of maps */
NAKED("xdp") { asm volatile (KEY0 "r3 = r2; r1 = %[aom] ll; r4 = 0; call %[map_update_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 11 /* percpu_elem_lookup accepted xdp: lookup_percpu_elem on a per-CPU hash, checked */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[ph] ll; r3 = 1; call %[map_lookup_percpu_elem]; if r0 == 0 goto l0_%=; r0 = *(u64 *)(r0 + 0); l0_%=: r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 12 /* percpu_elem_on_hash refused xdp: lookup_percpu_elem on a plain hash */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[h] ll; r3 = 1; call %[map_lookup_percpu_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 13 /* lpm_short_key refused xdp: a 4-byte key for an 8-byte LPM key */
NAKED("xdp") { asm volatile ("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[lpm] ll; call %[map_lookup_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 14 /* lpm_delete accepted xdp: delete from an LPM trie */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[lpm] ll; call %[map_delete_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 15 /* urb_lookup refused xdp: lookup in a user ring buffer */
NAKED("xdp") { asm volatile (KEY0 "r1 = %[urb] ll; call %[map_lookup_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 16 /* drain_on_hash refused xdp: bpf_user_ringbuf_drain on a hash map */
SUB(cb) { asm volatile ("r0 = 0; exit;"); }
NAKED("xdp") { asm volatile ("r1 = %[h] ll; r2 = cb ll; r3 = 0; r4 = 0; call %[user_ringbuf_drain]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 17 /* drain_cb_returns_2 refused xdp: the drain callback must return 0 or 1 */
SUB(cb) { asm volatile ("r0 = 2; exit;"); }
NAKED("xdp") { asm volatile ("r1 = %[urb] ll; r2 = cb ll; r3 = 0; r4 = 0; call %[user_ringbuf_drain]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 18 /* jiffies accepted xdp: bpf_jiffies64 in XDP */
NAKED("xdp") { asm volatile ("call %[jiffies64]; r0 = 2; exit;" :: OPS : "memory"); }
#elif CASE == 19 /* queue_pop_null_value refused xdp: pop into a NULL pointer */
NAKED("xdp") { asm volatile ("r2 = 0; r1 = %[q] ll; call %[map_pop_elem]; r0 = 2; exit;" :: OPS : "memory"); }
#endif
