// SPDX-License-Identifier: MIT
/*
 * uxdp's oracle for the map types of issue 14 (written for uxdp), for test/kernel-maps.spec.ts:
 *
 *   maps14_harness --create TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES FLAGS [INNER_TYPE INNER_MAX INNER_FLAGS]
 *
 * BPF_MAP_CREATE with these attributes (a map of maps gets an inner map of INNER_TYPE, 4-byte keys,
 * 8-byte values, or none when INNER_TYPE is -1); prints {"errno":N} (0 when created).
 *
 *   maps14_harness --urb OBJ PACKET_FILE META_LEN STEP...
 *
 * loads OBJ with libbpf, opens its user ring buffer "urb" with user_ring_buffer__new, and plays
 * STEPs: "s<hex>" reserves a sample of those bytes and submits it, "d<hex>" reserves and discards
 * it, "R<n>" reserves n bytes and leaves them reserved, "x" runs the object's first program with
 * BPF_PROG_TEST_RUN on the packet (META_LEN bytes of metadata, then the packet: ctx_in data and
 * data_end). Prints {"steps":[...]}: for a sample step {"err":-ERRNO or 0}, for a run
 * {"retval":N,"out":"<hex data_out>"} or {"error":-ERRNO}. Exit status 2: could not load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int create(int argc, char **argv)
{
	if (argc < 7)
		return 1;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = strtoul(argv[6], NULL, 0));
	int type = atoi(argv[2]);
	if (argc >= 10 && atoi(argv[7]) >= 0) {
		LIBBPF_OPTS(bpf_map_create_opts, iopts, .map_flags = strtoul(argv[9], NULL, 0));
		int inner = bpf_map_create(atoi(argv[7]), "inner", 4, 8, strtoul(argv[8], NULL, 0), &iopts);
		if (inner < 0) {
			printf("{\"inner_errno\":%d}\n", -errno);
			return 0;
		}
		opts.inner_map_fd = inner;
	}
	int fd = bpf_map_create(type, "m", strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0), strtoul(argv[5], NULL, 0), &opts);
	printf("{\"errno\":%d}\n", fd < 0 ? -errno : 0);
	return 0;
}

static int unhex(const char *s, unsigned char *out, int max)
{
	int n = 0;
	while (s[0] && s[1] && n < max) {
		unsigned int b;
		sscanf(s, "%2x", &b);
		out[n++] = b;
		s += 2;
	}
	return n;
}

static int urb(int argc, char **argv)
{
	if (argc < 5)
		return 1;
	struct bpf_object *obj = bpf_object__open_file(argv[2], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "cannot load %s\n", argv[2]);
		return 2;
	}
	struct bpf_program *prog = bpf_object__next_program(obj, NULL);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "urb");
	struct user_ring_buffer *rb = map ? user_ring_buffer__new(bpf_map__fd(map), NULL) : NULL;
	if (!prog || !rb) {
		fprintf(stderr, "no program or no map urb\n");
		return 2;
	}
	static unsigned char data[65536], out[131072], sample[8192];
	FILE *f = fopen(argv[3], "rb");
	size_t len = f ? fread(data, 1, sizeof(data), f) : 0;
	if (f)
		fclose(f);
	int meta = atoi(argv[4]);
	printf("{\"steps\":[");
	for (int i = 5; i < argc; i++) {
		const char *s = argv[i];
		if (i > 5)
			printf(",");
		if (s[0] == 's' || s[0] == 'd' || s[0] == 'R') {
			int n = s[0] == 'R' ? atoi(s + 1) : unhex(s + 1, sample, sizeof(sample));
			void *p = user_ring_buffer__reserve(rb, n);
			if (!p) {
				printf("{\"err\":%d}", -errno);
				continue;
			}
			if (s[0] != 'R') {
				memcpy(p, sample, n);
				if (s[0] == 's')
					user_ring_buffer__submit(rb, p);
				else
					user_ring_buffer__discard(rb, p);
			}
			printf("{\"err\":0}");
		} else if (s[0] == 'x') {
			struct xdp_md ctx = { .data = meta, .data_end = len };
			LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data, .data_size_in = len, .data_out = out,
				    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
			int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &t);
			if (err) {
				printf("{\"error\":%d}", -errno);
				continue;
			}
			printf("{\"retval\":%u,\"out\":\"", t.retval);
			for (unsigned int j = 0; j < t.data_size_out; j++)
				printf("%02x", out[j]);
			printf("\"}");
		}
	}
	printf("]}\n");
	user_ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--create"))
		return create(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "--urb"))
		return urb(argc, argv);
	fprintf(stderr, "usage: maps14_harness --create ... | --urb OBJ PACKET META STEP...\n");
	return 1;
}
