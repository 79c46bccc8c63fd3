// SPDX-License-Identifier: MIT
/*
 * The verifier's statistics of one object (written for uxdp, test/kernel-verifier.spec.ts):
 *
 *   verifier_stats OBJ
 *
 * opens and loads OBJ as libbpf does, every program with log level 4 (BPF_LOG_STATS: no instruction
 * or state dumps) into a buffer of its own, and prints one JSON object:
 *   {"load":ERR,"processed":N,"verificationUs":N,"states":{"total":N,"peak":N}}
 * load: 0 or the negative errno bpf_object__load returned; the other fields summed over the programs
 * (-1 when the log did not say). Exit status 2: the object could not be opened. The verdict itself
 * comes from ringbuf_harness --load (libbpf's default log level, the error line as users see it);
 * this only adds what level 4 prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (1 << 20)
#define MAX_PROGS 16

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static long field(const char *log, const char *name)
{
	const char *p = strstr(log, name);

	return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJ\n", argv[0]);
		return 1;
	}
	libbpf_set_print(quiet);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	static char logs[MAX_PROGS][LOG_SIZE];
	struct bpf_program *prog;
	int n = 0;
	bpf_object__for_each_program(prog, obj) {
		if (n == MAX_PROGS)
			break;
		bpf_program__set_log_level(prog, 4);
		bpf_program__set_log_buf(prog, logs[n++], LOG_SIZE);
	}
	int err = bpf_object__load(obj);
	long processed = 0, us = 0, total = 0, peak = 0;
	for (int i = 0; i < n; i++) {
		long a = field(logs[i], "processed "), b = field(logs[i], "verification time "), c = field(logs[i], "total_states "), d = field(logs[i], "peak_states ");
		processed = processed < 0 || a < 0 ? -1 : processed + a;
		us = us < 0 || b < 0 ? -1 : us + b;
		total = total < 0 || c < 0 ? -1 : total + c;
		peak = peak < 0 || d < 0 ? -1 : peak + d;
	}
	if (!n)
		processed = us = total = peak = -1;
	printf("{\"load\":%d,\"processed\":%ld,\"verificationUs\":%ld,\"states\":{\"total\":%ld,\"peak\":%ld}}\n", err, processed, us, total, peak);
	bpf_object__close(obj);
	return 0;
}
