// SPDX-License-Identifier: MIT
/*
 * uxdp ring-buffer oracle (written for uxdp): loads a BPF object with libbpf and runs its first
 * program with BPF_PROG_TEST_RUN, reading the map named "rb" between runs. bpftool cannot dump a
 * ring buffer, hence this program. Two modes:
 *
 *   ringbuf_harness OBJ PACKET_FILE META_LEN RUNS
 *
 * runs the program `runs` times on the same input and after each run consumes the ring with
 * ring_buffer__consume. PACKET_FILE holds META_LEN bytes of metadata followed by the packet; ctx_in
 * is a struct xdp_md with data = META_LEN and data_end = file size. Prints one JSON object:
 *   {"runs":[{"retval":N,"out":"<hex data_out>","consumed":N,"records":["<hex>",...]},...]}
 * or, when test_run fails, {"runs":[...,{"error":-ERRNO}]}. Exit status 2: could not load.
 *
 *   ringbuf_harness --poll OBJ STEP...
 *
 * plays the consumer side of a wakeup sequence with ringbuf_poll.bpf.c. A STEP is up to 4 record
 * ops (digits 0-7, see ringbuf_poll.bpf.c: flags in bits 0-1, bit 2 = discard) followed by how the
 * ring is read afterwards: 'p' = ring_buffer__poll(rb, 0), 'c' = ring_buffer__consume(rb). The
 * program runs once per step (with n = 0 when the step has no ops: it commits nothing), on a
 * packet { n, step index, ops... }. Prints
 *   {"steps":[{"retval":N,"ready":B,"read":N,"records":["<hex>",...],"avail":N},...]}
 * retval: the program's (records committed); read: what poll or consume returned; avail: producer
 * minus consumer position afterwards (the unread bytes, headers included); ready: for 'p' steps,
 * whether epoll_wait on libbpf's epoll fd reported the ring readable right after the run
 * (null for 'c' steps), see below. {"error":-ERRNO} ends the list when test_run fails.
 *
 * Timing of wakeups. A commit that decides to wake the consumer does irq_work_queue(); the work
 * item calls wake_up_all() on the ring's wait queue, and that callback is what puts libbpf's epoll
 * item on epoll's ready list. So a wakeup is asynchronous to the commit, and a poll with timeout 0
 * right after BPF_PROG_TEST_RUN could in principle run before it. Measured here (Linux 6.18, x86_64
 * KVM guest, 2 CPUs, also with both CPUs busy): every waking commit raised exactly one "IWI" (IRQ
 * work self-IPI, /proc/interrupts), and in 100000+ runs epoll_wait(timeout 0) issued right after
 * test_run returned already reported the ring readable every time; with BPF_RB_NO_WAKEUP there was
 * no IWI and it was never readable. The self-IPI is taken as soon as interrupts are enabled, i.e.
 * before the syscall returns. Where irq_work has no self-IPI (it then runs from the next timer
 * tick) or is deferred to a thread (PREEMPT_RT), the wakeup can come later. To be deterministic
 * everywhere, a 'p' step first probes with epoll_wait(epoll fd, 0) ("ready") and, only if that
 * reports nothing, sleeps SETTLE_MS so that any queued irq_work has run, then calls
 * ring_buffer__poll(rb, 0). Probing does not change what the poll sees: epoll_wait is exactly what
 * ring_buffer__poll does first (a reported item stays on the level-triggered ready list, a dropped
 * one is dropped either way), and nothing consumes in between. A 'c' step does not probe: an
 * epoll_wait there could drop the item from the ready list, which consume alone never does.
 * "ready" false with "read" > 0 means a late wakeup (none seen on this machine).
 *
 *   ringbuf_harness --load OBJ
 *
 * only opens and loads the object as libbpf does (every program, its maps, externs resolved) and
 * prints {"load":ERR}: 0, or the negative errno bpf_object__load returned (bpftool does not print
 * it); libbpf's messages, the verifier's log among them, go to stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
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

static int poll_mode(int argc, char **argv);

static int load_mode(const char *path)
{
	libbpf_set_print(quiet);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return 2;
	}
	int err = bpf_object__load(obj);
	printf("{\"load\":%d}\n", err);
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--poll") == 0)
		return poll_mode(argc, argv);
	if (argc == 3 && strcmp(argv[1], "--load") == 0)
		return load_mode(argv[2]);
	if (argc != 5) {
		fprintf(stderr, "usage: %s OBJ PACKET_FILE META_LEN RUNS | --poll OBJ STEP... | --load OBJ\n", argv[0]);
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

/* --poll mode (see the top of the file). */

#define POLL_MAX_OPS 4 /* UXDP_POLL_MAX in ringbuf_poll.bpf.c */
#define SETTLE_MS 20

static int parse_step(const char *s, unsigned char *pkt, int idx, char *how)
{
	size_t n = strlen(s);

	if (n < 1 || n > POLL_MAX_OPS + 1 || (s[n - 1] != 'p' && s[n - 1] != 'c'))
		return -1;
	memset(pkt, 0, 2 + POLL_MAX_OPS);
	pkt[0] = (unsigned char)(n - 1);
	pkt[1] = (unsigned char)idx;
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		pkt[2 + i] = (unsigned char)(s[i] - '0');
	}
	*how = s[n - 1];
	return 0;
}

static int poll_mode(int argc, char **argv)
{
	static unsigned char pkts[256][64], out[256];
	char how[256];
	int nsteps = argc - 3;

	if (nsteps < 0 || nsteps > 256) {
		fprintf(stderr, "usage: %s --poll OBJ STEP... (at most 256 steps)\n", argv[0]);
		return 1;
	}
	for (int i = 0; i < nsteps; i++) {
		if (parse_step(argv[3 + i], pkts[i], i, &how[i])) {
			fprintf(stderr, "bad step \"%s\": up to %d digits 0-7, then p or c\n", argv[3 + i], POLL_MAX_OPS);
			return 1;
		}
	}
	libbpf_set_print(quiet);
	struct bpf_object *obj = bpf_object__open_file(argv[2], NULL);
	if (!obj) {
		fprintf(stderr, "open %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	int err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "load %s: %s\n", argv[2], strerror(-err));
		return 2;
	}
	struct bpf_program *prog = bpf_object__next_program(obj, NULL);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "rb");
	if (!prog || !map) {
		fprintf(stderr, "no program or no map \"rb\" in %s\n", argv[2]);
		return 2;
	}
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(map), on_sample, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "ring_buffer__new: %s\n", strerror(errno));
		return 2;
	}
	/* Our own read-only view of the consumer and producer position pages, for "avail". */
	long page = sysconf(_SC_PAGESIZE);
	void *pos = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, bpf_map__fd(map), 0);
	if (pos == MAP_FAILED) {
		fprintf(stderr, "mmap of the position pages: %s\n", strerror(errno));
		return 2;
	}
	const volatile unsigned long *cons = pos, *prod = (const void *)((char *)pos + page);
	int epfd = ring_buffer__epoll_fd(rb);

	printf("{\"steps\":[");
	for (int s = 0; s < nsteps; s++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkts[s], .data_size_in = sizeof(pkts[s]),
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
		printf("%s{", s ? "," : "");
		err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
		if (err) {
			printf("\"error\":%d}", -errno);
			break;
		}
		printf("\"retval\":%u,\"ready\":", opts.retval);
		if (how[s] == 'p') {
			struct epoll_event ev;
			int ready = epoll_wait(epfd, &ev, 1, 0);

			if (ready < 0) {
				fprintf(stderr, "epoll_wait: %s\n", strerror(errno));
				return 3;
			}
			printf("%s", ready > 0 ? "true" : "false");
			if (ready == 0)
				usleep(SETTLE_MS * 1000);
		} else {
			printf("null");
		}
		printf(",\"records\":[");
		nrec = 0;
		int n = how[s] == 'p' ? ring_buffer__poll(rb, 0) : ring_buffer__consume(rb);
		printf("],\"read\":%d,\"avail\":%lu}", n, *prod - *cons);
	}
	printf("]}\n");
	munmap(pos, 2 * page);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}
