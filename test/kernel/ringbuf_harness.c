// SPDX-License-Identifier: MIT
/*
 * uxdp ring-buffer oracle (written for uxdp): loads a BPF object with libbpf, runs its first program
 * with BPF_PROG_TEST_RUN `runs` times on the same input, and after each run consumes the map named
 * "rb" with ring_buffer__consume. bpftool cannot dump a ring buffer, hence this program.
 *
 *   ringbuf_harness OBJ PACKET_FILE META_LEN RUNS
 *
 * PACKET_FILE holds META_LEN bytes of metadata followed by the packet; ctx_in is a struct xdp_md
 * with data = META_LEN and data_end = file size. Prints one JSON object:
 *   {"runs":[{"retval":N,"out":"<hex data_out>","consumed":N,"records":["<hex>",...]},...]}
 * or, when test_run fails, {"runs":[...,{"error":-ERRNO}]}. Exit status 2: could not load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static void hex(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static int nrec;

static int on_sample(void *ctx, void *data, size_t size)
{
	(void)ctx;
	printf("%s\"", nrec++ ? "," : "");
	hex(data, size);
	printf("\"");
	return 0;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s OBJ PACKET_FILE META_LEN RUNS\n", argv[0]);
		return 1;
	}
	libbpf_set_print(quiet);
	unsigned int meta = strtoul(argv[3], NULL, 0);
	int runs = atoi(argv[4]);

	FILE *f = fopen(argv[2], "rb");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	static unsigned char in[1 << 17], out[1 << 17];
	size_t len = fread(in, 1, sizeof(in), f);
	fclose(f);

	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	int err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "load %s: %s\n", argv[1], strerror(-err));
		return 2;
	}
	struct bpf_program *prog = bpf_object__next_program(obj, NULL);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "rb");
	if (!prog || !map) {
		fprintf(stderr, "no program or no map \"rb\" in %s\n", argv[1]);
		return 2;
	}
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(map), on_sample, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "ring_buffer__new: %s\n", strerror(errno));
		return 2;
	}

	__u32 md[6] = { meta, (__u32)len, 0, 0, 0, 0 };
	printf("{\"runs\":[");
	for (int r = 0; r < runs; r++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (__u32)len, .data_out = out,
			    .data_size_out = sizeof(out), .ctx_in = md, .ctx_size_in = sizeof(md), .repeat = 1);
		printf("%s{", r ? "," : "");
		err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
		if (err) {
			printf("\"error\":%d}", -errno);
			break;
		}
		printf("\"retval\":%u,\"out\":\"", opts.retval);
		hex(out, opts.data_size_out);
		printf("\",\"records\":[");
		nrec = 0;
		int n = ring_buffer__consume(rb);
		printf("],\"consumed\":%d}", n);
	}
	printf("]}\n");
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}
