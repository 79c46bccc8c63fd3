// SPDX-License-Identifier: MIT
/*
 * kload: asks the live kernel's verifier about each program of a BPF object, one program at a time.
 * Part of scripts/verifier-selftests.mjs (see the header there); built by that script at run time
 * against the libbpf sources of the kernel source package (or the system libbpf).
 *
 *   kload OBJ [PROG...]      (no PROG: every program of OBJ)
 *   kload --run PKTS OBJ PROG...
 *
 * --run: loads each PROG (as below) and, when it loads and is an XDP, tc or socket-filter program,
 * runs it with BPF_PROG_TEST_RUN on every packet of PKTS (a file of u32 count, then u32 length and
 * the bytes, little-endian), in order on the same loaded program (its maps carry over), then does
 * it all again on a fresh load: a run whose two answers differ is not deterministic. Prints one JSON
 * object a line: {"name","accepted","errno","runs":[{"err","retval","len","fnv"}],"deterministic"}
 * (fnv: FNV-1a 64 of data_out, hex).
 *
 * For each program: opens OBJ afresh, turns autoload off for every other program, and loads with
 * log level 4 (BPF_LOG_STATS: the verdict, errno, "processed N insns", "verification time" without
 * a huge log). A refused program is loaded again with log level 1|4 and a 64 MiB rotating log buffer
 * to read the verifier's error line (the errno is the first load's: a truncated log would turn it
 * into ENOSPC). Prints one JSON object a line:
 *   {"name","section","type","insns","accepted","errno","stats","log","libbpf","with"}
 * `with`: the programs loaded alongside because a prog array names them in its initial slots.
 * `log` is the tail (last 64 KiB) of the level-1 log of a refused program; `libbpf` what libbpf
 * printed (warnings), for refusals that happen before the kernel sees the program.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static char libbpf_msgs[16384];
static size_t libbpf_len;

static int on_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	if (libbpf_len < sizeof(libbpf_msgs) - 1) {
		int n = vsnprintf(libbpf_msgs + libbpf_len, sizeof(libbpf_msgs) - libbpf_len, fmt, ap);
		if (n > 0)
			libbpf_len += (size_t)n;
		if (libbpf_len > sizeof(libbpf_msgs) - 1)
			libbpf_len = sizeof(libbpf_msgs) - 1;
	}
	return 0;
}

static void json_str(const char *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

#define BIG_LOG (64u << 20)
#define SMALL_LOG (1u << 16)
#define TAIL (1u << 16)

/* Programs a prog array of the object names in its initial slots (libbpf refuses to load the
 * object when they are not loaded too): learnt from libbpf's "failed to initialize slot [N] to prog
 * 'X'" and loaded with the program, as the kernel would see them in a real load. */
static char extra[64][128];
static int nextra;

static int is_extra(const char *name)
{
	for (int i = 0; i < nextra; i++)
		if (strcmp(extra[i], name) == 0)
			return 1;
	return 0;
}

/* Loads one program of path; returns 0 or -errno; log (if given) receives the verifier's log. */
static int load_one(const char *path, const char *want, unsigned level, char *log, size_t log_size,
		    int *type, const char **section, size_t *insns, struct bpf_object **keep)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog, *target = NULL;
	int err;

	if (!obj)
		return -errno;
	bpf_object__for_each_program(prog, obj) {
		if (strcmp(bpf_program__name(prog), want) == 0) {
			target = prog;
			bpf_program__set_autoload(prog, true);
		} else {
			bpf_program__set_autoload(prog, is_extra(bpf_program__name(prog)));
		}
	}
	if (!target) {
		bpf_object__close(obj);
		return -ENOENT;
	}
	*type = bpf_program__type(target);
	*insns = bpf_program__insn_cnt(target);
	bpf_program__set_log_level(target, level);
	log[0] = 0;
	bpf_program__set_log_buf(target, log, log_size);
	err = bpf_object__load(obj);
	*keep = obj;
	*section = bpf_program__section_name(target);
	return err < 0 ? err : 0;
}

struct packet {
	unsigned len;
	unsigned char *bytes;
};

static struct packet *read_packets(const char *path, unsigned *count)
{
	FILE *f = fopen(path, "rb");
	struct packet *p;

	if (!f || fread(count, 4, 1, f) != 1 || *count > 4096)
		return NULL;
	p = calloc(*count, sizeof(*p));
	for (unsigned i = 0; i < *count; i++) {
		if (fread(&p[i].len, 4, 1, f) != 1 || p[i].len > (1u << 20))
			return NULL;
		p[i].bytes = malloc(p[i].len + 1);
		if (fread(p[i].bytes, 1, p[i].len, f) != p[i].len)
			return NULL;
	}
	fclose(f);
	return p;
}

static unsigned long long fnv1a(const unsigned char *b, size_t n)
{
	unsigned long long h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct run_answer {
	int err;
	unsigned retval, len;
	unsigned long long fnv;
};

/* One pass over the packets on a fresh load of want; returns the load's error. */
static int run_pass(const char *path, const char *want, struct packet *pkts, unsigned n, struct run_answer *out, int *runnable)
{
	static unsigned char data_out[1u << 18];
	static char log[SMALL_LOG];
	int type = 0, err;
	const char *section;
	size_t insns;
	struct bpf_object *obj;

	err = load_one(path, want, 0, log, sizeof(log), &type, &section, &insns, &obj);
	*runnable = !err && (type == BPF_PROG_TYPE_XDP || type == BPF_PROG_TYPE_SCHED_CLS || type == BPF_PROG_TYPE_SCHED_ACT ||
			     type == BPF_PROG_TYPE_SOCKET_FILTER);
	if (*runnable) {
		int fd = bpf_program__fd(bpf_object__find_program_by_name(obj, want));

		for (unsigned i = 0; i < n; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkts[i].bytes, .data_size_in = pkts[i].len,
				    .data_out = data_out, .data_size_out = sizeof(data_out), .repeat = 1);
			int e = bpf_prog_test_run_opts(fd, &o);

			out[i].err = e < 0 ? -errno : 0;
			out[i].retval = e < 0 ? 0 : o.retval;
			out[i].len = e < 0 ? 0 : o.data_size_out;
			out[i].fnv = e < 0 ? 0 : fnv1a(data_out, o.data_size_out < sizeof(data_out) ? o.data_size_out : sizeof(data_out));
		}
	}
	bpf_object__close(obj);
	return err;
}

static int run_mode(int argc, char **argv)
{
	unsigned n = 0;
	struct packet *pkts = read_packets(argv[2], &n);
	struct run_answer *a, *b;

	if (!pkts) {
		fprintf(stderr, "kload: cannot read packets from %s\n", argv[2]);
		return 2;
	}
	a = calloc(n + 1, sizeof(*a));
	b = calloc(n + 1, sizeof(*b));
	for (int i = 4; i < argc; i++) {
		int runnable = 0, runnable2 = 0, same = 1;
		int err = run_pass(argv[3], argv[i], pkts, n, a, &runnable);

		printf("{\"name\":");
		json_str(argv[i], strlen(argv[i]));
		printf(",\"accepted\":%s,\"errno\":%d", err ? "false" : "true", -err);
		if (runnable) {
			run_pass(argv[3], argv[i], pkts, n, b, &runnable2);
			printf(",\"runs\":[");
			for (unsigned k = 0; k < n; k++) {
				same &= runnable2 && a[k].err == b[k].err && a[k].retval == b[k].retval && a[k].len == b[k].len && a[k].fnv == b[k].fnv;
				printf("%s{\"err\":%d,\"retval\":%u,\"len\":%u,\"fnv\":\"%016llx\"}", k ? "," : "", a[k].err, a[k].retval, a[k].len, a[k].fnv);
			}
			printf("],\"deterministic\":%s", same ? "true" : "false");
		}
		printf("}\n");
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char small[SMALL_LOG];
	char *big = malloc(BIG_LOG);
	struct bpf_object *obj;
	struct bpf_program *prog;
	int nnames = 0;
	char **names;

	if (argc >= 4 && strcmp(argv[1], "--run") == 0) {
		libbpf_set_print(on_print);
		return run_mode(argc, argv);
	}
	if (argc < 2 || !big) {
		fprintf(stderr, "usage: kload OBJ [PROG...]\n");
		return 2;
	}
	libbpf_set_print(on_print);
	if (argc > 2) {
		names = argv + 2;
		nnames = argc - 2;
	} else {
		obj = bpf_object__open_file(argv[1], NULL);
		if (!obj) {
			printf("{\"open_error\":%d,\"libbpf\":", errno);
			json_str(libbpf_msgs, libbpf_len);
			printf("}\n");
			return 0;
		}
		names = calloc(1024, sizeof(char *));
		bpf_object__for_each_program(prog, obj) {
			if (nnames < 1024)
				names[nnames++] = strdup(bpf_program__name(prog));
		}
		bpf_object__close(obj);
	}
	for (int i = 0; i < nnames; i++) {
		int type = 0, err;
		const char *section = "";
		size_t insns = 0, libbpf_at;

		nextra = 0;
		for (;;) {
			const char *slot;
			char want[128];

			libbpf_len = 0;
			libbpf_msgs[0] = 0;
			err = load_one(argv[1], names[i], 4, small, sizeof(small), &type, &section, &insns, &obj);
			slot = strstr(libbpf_msgs, "failed to initialize slot [");
			if (!err || !slot || nextra == 64 || sscanf(slot, "failed to initialize slot [%*d] to prog '%127[^']'", want) != 1 ||
			    is_extra(want) || strcmp(want, names[i]) == 0)
				break;
			strcpy(extra[nextra++], want);
			bpf_object__close(obj);
		}
		printf("{\"name\":");
		json_str(names[i], strlen(names[i]));
		printf(",\"section\":");
		json_str(section ? section : "", 4096);
		printf(",\"type\":%d,\"insns\":%zu,\"accepted\":%s,\"errno\":%d,\"stats\":", type, insns,
		       err ? "false" : "true", -err);
		json_str(small, sizeof(small));
		bpf_object__close(obj);
		libbpf_at = libbpf_len;
		if (err) {
			int t2;
			size_t n2, len;
			const char *s2;
			int err2 = load_one(argv[1], names[i], 1 | 4, big, BIG_LOG, &t2, &s2, &n2, &obj);

			len = strnlen(big, BIG_LOG);
			printf(",\"errno2\":%d,\"log\":", -err2);
			json_str(len > TAIL ? big + len - TAIL : big, TAIL);
			bpf_object__close(obj);
		}
		printf(",\"libbpf\":");
		json_str(libbpf_msgs, libbpf_at);
		printf(",\"with\":[");
		for (int k = 0; k < nextra; k++) {
			printf(k ? "," : "");
			json_str(extra[k], sizeof(extra[k]));
		}
		printf("]}\n");
		fflush(stdout);
	}
	return 0;
}
