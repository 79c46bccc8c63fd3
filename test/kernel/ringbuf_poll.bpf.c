/* SPDX-License-Identifier: MIT */
/*
 * Ring-buffer wakeups for the poll differential (written for uxdp; no kernel selftest code).
 * What one run commits is chosen by the packet, so that one loaded program can play a whole
 * sequence of producer / consumer steps (ringbuf_harness.c --poll builds the packets):
 *
 *   byte 0        n, the number of records to commit (at most UXDP_POLL_MAX)
 *   byte 1        tag, copied into every record (the harness puts the step index there)
 *   bytes 2..2+n  one op per record: bits 0-1 are the BPF_RB_* flags (1 NO_WAKEUP, 2 FORCE_WAKEUP),
 *                 bit 2 set = reserve then bpf_ringbuf_discard with those flags, clear =
 *                 bpf_ringbuf_output with those flags
 *
 * Record i is the 4 bytes { 0x70, tag, i, op }. Returns the number of records committed, or
 * UXDP_POLL_BAD (short packet, bad n, a failed output or reservation).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define UXDP_POLL_MAX 4
#define UXDP_POLL_BAD 0xbad

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("xdp")
int uxdp_ringbuf_poll(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;

	if (data + 2 + UXDP_POLL_MAX > end)
		return UXDP_POLL_BAD;
	__u8 n = data[0];
	if (n > UXDP_POLL_MAX)
		return UXDP_POLL_BAD;
	for (int i = 0; i < UXDP_POLL_MAX; i++) {
		if (i >= n)
			break;
		__u8 op = data[2 + i];
		__u8 rec[4] = { 0x70, data[1], (__u8)i, op };
		__u64 flags = op & 3;

		if (op & 4) {
			__u8 *r = bpf_ringbuf_reserve(&rb, sizeof(rec), 0);

			if (!r)
				return UXDP_POLL_BAD;
			__builtin_memcpy(r, rec, sizeof(rec));
			bpf_ringbuf_discard(r, flags);
		} else if (bpf_ringbuf_output(&rb, rec, sizeof(rec), flags)) {
			return UXDP_POLL_BAD;
		}
	}
	return n;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
