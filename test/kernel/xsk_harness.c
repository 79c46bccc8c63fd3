// An AF_XDP socket on the live kernel, for test/xsk.spec.ts: copy mode on a veth device (IFNAME,
// queue 0, inside a network namespace of its own), with raw setsockopt/mmap, no libxdp. It runs one
// SCENARIO of TX-ring and setup semantics and prints what the kernel did, one fact per line:
//   setup NAME ERRNO         a setsockopt/bind outcome (0 or the errno name)
//   sendto N ERRNO TXCONS    the N-th sendto's outcome and the TX ring's consumer after it
//   stats a b c d e f        XDP_STATISTICS (rx_dropped rx_invalid_descs tx_invalid_descs
//                            rx_ring_full rx_fill_ring_empty_descs tx_ring_empty_descs)
//   cq ADDR...               the completion ring's addresses
//   txflags F                the TX ring's flags word
//   rx ADDR LEN OPTIONS HASH an RX descriptor (HASH: FNV-1a of its bytes)
// The rx_* scenarios attach OBJECT's program `to_xsk` (native XDP) to IFNAME, put the socket in
// its xskmap slot 0 and send frames into IFNAME from its veth peer PEER (AF_PACKET).
// unaligned_* use a UMEM of unaligned 3000-byte chunks (addresses print as the kernel's u64,
// offset in the upper 16 bits). shared_* bind sockets with XDP_SHARED_UMEM; they make a second
// veth pair xc/xd themselves, and print `sock NAME` before each socket's lines.
// usage: xsk_harness IFNAME SCENARIO [OBJECT PEER]
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

/* struct xdp_umem_reg of Linux 6.8+ (with tx_metadata_len), whatever the installed header has. */
struct umem_reg {
	__u64 addr, len;
	__u32 chunk_size, headroom, flags, tx_metadata_len;
};

#define CHUNK 4096
#define CHUNKS 64
#define UMEM_SIZE ((__u64)CHUNKS * CHUNK)
#ifndef XDP_UMEM_UNALIGNED_CHUNK_FLAG
#define XDP_UMEM_UNALIGNED_CHUNK_FLAG (1 << 0)
#endif
#define OFFSET_SHIFT 48
#define ADDR_MASK ((1ULL << OFFSET_SHIFT) - 1)

/* Set for a UMEM of unaligned chunks: descriptors' data is at base + offset. */
static int unaligned;

static __u64 data_addr(__u64 a) { return unaligned ? (a & ADDR_MASK) + (a >> OFFSET_SHIFT) : a; }

static const char *ename(int e)
{
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case ENXIO: return "ENXIO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOBUFS: return "ENOBUFS";
	case ENOMEM: return "ENOMEM";
	case ENODEV: return "ENODEV";
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	case ENOTSOCK: return "ENOTSOCK";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EBADF: return "EBADF";
	default: return "OTHER";
	}
}

struct ring {
	__u32 *prod, *cons, *flags;
	void *descs;
	__u32 size;
};

static void *umem;
static int fd, ifindex;

static int opt(int name, __u32 v) { return setsockopt(fd, SOL_XDP, name, &v, sizeof(v)) ? errno : 0; }

static int reg(__u64 size, __u32 chunk, __u32 headroom, __u32 flags)
{
	struct umem_reg r;

	memset(&r, 0, sizeof(r));
	r.addr = (__u64)(unsigned long)umem;
	r.len = size;
	r.chunk_size = chunk;
	r.headroom = headroom;
	r.flags = flags;
	return setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &r, sizeof(r)) ? errno : 0;
}

static int do_bind(int sfd, __u32 queue, __u16 flags)
{
	struct sockaddr_xdp a = { .sxdp_family = AF_XDP, .sxdp_ifindex = ifindex, .sxdp_queue_id = queue, .sxdp_flags = flags };
	return bind(sfd, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
}

static int bind_on(int sfd, int index, __u32 queue, __u16 flags, int shared_fd)
{
	struct sockaddr_xdp a = { .sxdp_family = AF_XDP, .sxdp_ifindex = index, .sxdp_queue_id = queue, .sxdp_flags = flags,
				  .sxdp_shared_umem_fd = shared_fd };
	return bind(sfd, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
}

/* A second veth pair xc/xd (MTU 9000, up) with `queues` queues each. */
static int second_pair(int queues)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "ip link add xc numtxqueues %d numrxqueues %d type veth peer name xd numtxqueues %d numrxqueues %d && "
		 "ip link set xc mtu 9000 && ip link set xd mtu 9000 && ip link set xc up && ip link set xd up",
		 queues, queues, queues, queues);
	if (system(cmd)) {
		fprintf(stderr, "cannot make xc/xd\n");
		exit(2);
	}
	return if_nametoindex("xc");
}

static void map_ring(struct ring *r, struct xdp_ring_offset *o, __u64 pgoff, __u32 n, size_t esz)
{
	char *m = mmap(NULL, o->desc + n * esz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	r->prod = (__u32 *)(m + o->producer);
	r->cons = (__u32 *)(m + o->consumer);
	r->flags = (__u32 *)(m + o->flags);
	r->descs = m + o->desc;
	r->size = n;
}

static struct ring tx, cq, fq, rx;

/* A socket (fd) with the rings of the sizes given (0: none), mapped; with a UMEM of CHUNKS * CHUNK
 * bytes in `chunk`-byte chunks when `own_umem`. */
static void setup_socket(int own_umem, __u32 chunk, __u32 headroom, __u32 uflags, __u32 rxn, __u32 txn, __u32 fqn, __u32 cqn)
{
	struct xdp_mmap_offsets off;
	socklen_t len = sizeof(off);

	fd = socket(AF_XDP, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	if ((own_umem && reg(UMEM_SIZE, chunk, headroom, uflags)) || (fqn && opt(XDP_UMEM_FILL_RING, fqn)) ||
	    (cqn && opt(XDP_UMEM_COMPLETION_RING, cqn)) || (rxn && opt(XDP_RX_RING, rxn)) || (txn && opt(XDP_TX_RING, txn))) {
		perror("setsockopt");
		exit(2);
	}
	if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len)) {
		perror("XDP_MMAP_OFFSETS");
		exit(2);
	}
	if (fqn)
		map_ring(&fq, &off.fr, XDP_UMEM_PGOFF_FILL_RING, fqn, sizeof(__u64));
	if (cqn)
		map_ring(&cq, &off.cr, XDP_UMEM_PGOFF_COMPLETION_RING, cqn, sizeof(__u64));
	if (rxn)
		map_ring(&rx, &off.rx, XDP_PGOFF_RX_RING, rxn, sizeof(struct xdp_desc));
	if (txn)
		map_ring(&tx, &off.tx, XDP_PGOFF_TX_RING, txn, sizeof(struct xdp_desc));
}

/* A socket with a UMEM of CHUNKS aligned chunks and the four rings (sizes given), mapped. */
static void setup(__u32 rxn, __u32 txn, __u32 fqn, __u32 cqn)
{
	setup_socket(1, CHUNK, 0, 0, rxn, txn, fqn, cqn);
}

/* One socket's descriptor and mapped rings, to switch between sockets. */
struct xsk {
	int fd;
	struct ring rx, tx, fq, cq;
};

static void save(struct xsk *x) { *x = (struct xsk){ fd, rx, tx, fq, cq }; }
static void use(struct xsk *x, const char *name)
{
	fd = x->fd, rx = x->rx, tx = x->tx, fq = x->fq, cq = x->cq;
	if (name)
		printf("sock %s\n", name);
}

static void put_tx(__u64 addr, __u32 len, __u32 options)
{
	struct xdp_desc *d = tx.descs;
	__u32 p = *tx.prod;

	/* A frame of len bytes: broadcast Ethernet header, then a pattern. */
	__u64 at = data_addr(addr);

	if (at < UMEM_SIZE && len && at + len <= UMEM_SIZE) {
		unsigned char *b = (unsigned char *)umem + at;
		for (__u32 i = 0; i < len; i++)
			b[i] = i < 6 ? 0xff : (unsigned char)(i * 7);
	}
	d[p & (tx.size - 1)] = (struct xdp_desc){ .addr = addr, .len = len, .options = options };
	__atomic_store_n(tx.prod, p + 1, __ATOMIC_RELEASE);
}

static int nsend;

static void kick(void)
{
	int r = sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	printf("sendto %d %s %u\n", nsend++, r < 0 ? ename(errno) : "0", __atomic_load_n(tx.cons, __ATOMIC_ACQUIRE));
}

static void stats(void)
{
	struct xdp_statistics s;
	socklen_t len = sizeof(s);

	memset(&s, 0, sizeof(s));
	if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, &s, &len)) {
		perror("XDP_STATISTICS");
		exit(2);
	}
	printf("stats %llu %llu %llu %llu %llu %llu\n", (unsigned long long)s.rx_dropped, (unsigned long long)s.rx_invalid_descs,
	       (unsigned long long)s.tx_invalid_descs, (unsigned long long)s.rx_ring_full,
	       (unsigned long long)s.rx_fill_ring_empty_descs, (unsigned long long)s.tx_ring_empty_descs);
}

/* Takes every completion (after the device freed the packets). */
static void completions(void)
{
	__u64 *a = cq.descs;
	__u32 c, p;

	usleep(100000);
	c = *cq.cons;
	p = __atomic_load_n(cq.prod, __ATOMIC_ACQUIRE);
	printf("cq");
	for (; c != p; c++)
		printf(" %llu", (unsigned long long)a[c & (cq.size - 1)]);
	printf("\n");
	__atomic_store_n(cq.cons, p, __ATOMIC_RELEASE);
}

/* The frame of `len` bytes the rx scenarios send: broadcast, EtherType 0x88b5, tag, pattern. */
static void test_frame(unsigned char *f, __u32 len, int tag)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x02", 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	f[14] = tag;
	for (__u32 i = 15; i < len; i++)
		f[i] = (unsigned char)(i * 13 + tag);
}

static int raw_fd, peer_index;

static void send_frame_on(int index, __u32 len, int tag)
{
	static unsigned char f[16384];
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_ifindex = index, .sll_halen = 6 };

	test_frame(f, len, tag);
	memset(a.sll_addr, 0xff, 6);
	if (sendto(raw_fd, f, len, 0, (struct sockaddr *)&a, sizeof(a)) != (ssize_t)len) {
		perror("AF_PACKET sendto");
		exit(2);
	}
}

static void send_frame(__u32 len, int tag) { send_frame_on(peer_index, len, tag); }

/* The socket in slot 0 of OBJECT's xskmap, its program on IFNAME, an AF_PACKET socket on PEER. */
static void rx_setup(const char *object, const char *peer)
{
	struct bpf_object *obj = bpf_object__open_file(object, NULL);
	__u32 key = 0;

	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "cannot load %s\n", object);
		exit(2);
	}
	if (bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "xsks")), &key, &fd, 0) ||
	    bpf_xdp_attach(ifindex, bpf_program__fd(bpf_object__find_program_by_name(obj, "to_xsk")), XDP_FLAGS_DRV_MODE, NULL)) {
		perror("xskmap update / XDP attach");
		exit(2);
	}
	peer_index = if_nametoindex(peer);
	raw_fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (raw_fd < 0 || !peer_index) {
		perror("AF_PACKET");
		exit(2);
	}
}

static void fill(__u32 first, __u32 n)
{
	__u64 *a = fq.descs;
	__u32 p = *fq.prod;

	for (__u32 i = 0; i < n; i++)
		a[(p + i) & (fq.size - 1)] = (__u64)(first + i) * CHUNK;
	__atomic_store_n(fq.prod, p + n, __ATOMIC_RELEASE);
}

static void fill_addrs(const __u64 *addrs, __u32 n)
{
	__u64 *a = fq.descs;
	__u32 p = *fq.prod;

	for (__u32 i = 0; i < n; i++)
		a[(p + i) & (fq.size - 1)] = addrs[i];
	__atomic_store_n(fq.prod, p + n, __ATOMIC_RELEASE);
}

/* Prints and releases every RX descriptor (after the frames had time to arrive). */
static void receive(void)
{
	struct xdp_desc *d = rx.descs;
	__u32 c, p;

	usleep(200000);
	c = *rx.cons;
	p = __atomic_load_n(rx.prod, __ATOMIC_ACQUIRE);
	for (; c != p; c++) {
		struct xdp_desc x = d[c & (rx.size - 1)];
		__u32 h = 2166136261u;

		for (__u32 i = 0; i < x.len; i++)
			h = (h ^ ((unsigned char *)umem)[data_addr(x.addr) + i]) * 16777619u;
		printf("rx %llu %u %u %u\n", (unsigned long long)x.addr, x.len, x.options, h);
	}
	__atomic_store_n(rx.cons, p, __ATOMIC_RELEASE);
}

int main(int argc, char **argv)
{
	const char *sc;

	if (argc == 5) {
		ifindex = if_nametoindex(argv[1]);
		umem = mmap(NULL, (size_t)CHUNKS * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		setvbuf(stdout, NULL, _IOLBF, 0);
		sc = argv[2];
		if (!strcmp(sc, "rx_sg") || !strcmp(sc, "rx_nosg")) {
			/* A jumbo frame, a two-buffer frame that fits a chunk, a small one. */
			setup(64, 64, 64, 64);
			printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY | (!strcmp(sc, "rx_sg") ? XDP_USE_SG : 0))));
			rx_setup(argv[3], argv[4]);
			fill(0, 8);
			send_frame(9000, 1);
			send_frame(3600, 2);
			send_frame(100, 3);
			receive();
		} else if (!strcmp(sc, "rx_fill_empty")) {
			setup(64, 64, 64, 64);
			printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY | XDP_USE_SG)));
			rx_setup(argv[3], argv[4]);
			fill(0, 1);
			for (int i = 0; i < 3; i++)
				send_frame(100, i);
			receive();
			fill(1, 4);
			send_frame(9000, 7);
			receive();
		} else if (!strcmp(sc, "rx_ring_full")) {
			/* Two RX slots, three frames: the third's chunk stays with the kernel for the next. */
			setup(2, 64, 64, 64);
			printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY | XDP_USE_SG)));
			rx_setup(argv[3], argv[4]);
			fill(0, 4);
			for (int i = 0; i < 3; i++)
				send_frame(100, i);
			receive();
			send_frame(200, 9);
			receive();
		} else if (!strcmp(sc, "unaligned_rx")) {
			/* Unaligned 3000-byte chunks, headroom 64 (2680 data bytes a chunk): fill addresses
			 * anywhere (crossing pages, with offset bits, the last chunk, two past the end), then
			 * frames of one and of several chunks, and one that finds too few. */
			static const __u64 addrs[] = { 100, 4000, (1ULL << 48) | 20000, UMEM_SIZE - 3000, UMEM_SIZE - 2999, UMEM_SIZE,
						       50000, 60000, 70000, 80000, 90000 };

			unaligned = 1;
			setup_socket(1, 3000, 64, XDP_UMEM_UNALIGNED_CHUNK_FLAG, 64, 64, 64, 64);
			printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY | XDP_USE_SG)));
			rx_setup(argv[3], argv[4]);
			fill_addrs(addrs, sizeof(addrs) / sizeof(addrs[0]));
			send_frame(100, 1);
			send_frame(1000, 2);
			send_frame(200, 3);
			send_frame(2680, 4);
			receive();
			send_frame(9000, 5);
			receive();
			send_frame(2681, 6);
			receive();
			printf("fq %u %u\n", *fq.prod, *fq.cons);
		} else if (!strcmp(sc, "shared_rx")) {
			/* a owns the UMEM (xa queue 0, XDP_USE_SG), b shares a's pool (xa queue 0), c shares the
			 * UMEM on xc with rings of its own. The program sends a frame to the slot its tag
			 * names: a 0, b 1, c 2. */
			struct bpf_object *obj = bpf_object__open_file(argv[3], NULL);
			struct xsk a, b, c;
			int xc_index = second_pair(1), xd_index = if_nametoindex("xd"), map_fd, prog_fd;
			__u32 key;

			setup(64, 64, 64, 64);
			printf("setup bind_a %s\n", ename(do_bind(fd, 0, XDP_COPY | XDP_USE_SG)));
			save(&a);
			setup_socket(0, 0, 0, 0, 64, 64, 0, 0);
			printf("setup bind_b %s\n", ename(bind_on(fd, ifindex, 0, XDP_SHARED_UMEM, a.fd)));
			save(&b);
			b.fq = a.fq, b.cq = a.cq;
			setup_socket(0, 0, 0, 0, 64, 64, 64, 64);
			printf("setup bind_c %s\n", ename(bind_on(fd, xc_index, 0, XDP_SHARED_UMEM, a.fd)));
			save(&c);
			if (!obj || bpf_object__load(obj)) {
				fprintf(stderr, "cannot load %s\n", argv[3]);
				exit(2);
			}
			map_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "xsks"));
			prog_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "to_xsk"));
			key = 0, printf("setup map_a %s\n", ename(bpf_map_update_elem(map_fd, &key, &a.fd, 0) ? errno : 0));
			key = 1, printf("setup map_b %s\n", ename(bpf_map_update_elem(map_fd, &key, &b.fd, 0) ? errno : 0));
			key = 2, printf("setup map_c %s\n", ename(bpf_map_update_elem(map_fd, &key, &c.fd, 0) ? errno : 0));
			if (bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL) || bpf_xdp_attach(xc_index, prog_fd, XDP_FLAGS_DRV_MODE, NULL)) {
				perror("XDP attach");
				exit(2);
			}
			peer_index = if_nametoindex(argv[4]);
			raw_fd = socket(AF_PACKET, SOCK_RAW, 0);
			use(&a, NULL);
			fill(0, 8);
			use(&c, NULL);
			fill(16, 8);
			/* From xb: a, b, a, b, b, then one for c (bound elsewhere: dropped); from xd: c, a jumbo
			 * chain for c (SG inherited), then one for a (dropped). */
			send_frame(100, 0);
			send_frame(110, 1);
			send_frame(120, 0);
			send_frame(130, 1);
			send_frame(140, 1);
			send_frame(150, 2);
			send_frame_on(xd_index, 160, 2);
			send_frame_on(xd_index, 9000, 2);
			send_frame_on(xd_index, 170, 0);
			use(&a, "a");
			receive();
			use(&b, "b");
			receive();
			use(&c, "c");
			receive();
			/* Transmit from b and a: completions on the pool's ring; from c: on its own. */
			use(&b, NULL);
			put_tx(40 * CHUNK, 60, 0);
			kick();
			use(&a, NULL);
			put_tx(41 * CHUNK, 60, 0);
			kick();
			use(&c, NULL);
			put_tx(50 * CHUNK, 60, 0);
			kick();
			use(&a, "a");
			printf("fq %u %u\n", *fq.prod, *fq.cons);
			completions();
			stats();
			use(&b, "b");
			stats();
			use(&c, "c");
			printf("fq %u %u\n", *fq.prod, *fq.cons);
			completions();
			stats();
			return 0;
		} else {
			fprintf(stderr, "unknown scenario %s\n", sc);
			return 2;
		}
		stats();
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s IFNAME SCENARIO\n", argv[0]);
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	sc = argv[2];
	umem = mmap(NULL, (size_t)CHUNKS * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!ifindex || umem == MAP_FAILED) {
		perror(argv[1]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(sc, "invalid")) {
		/* Each sendto stops at an invalid descriptor and skips it. */
		setup(64, 64, 64, 64);
		printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		put_tx(0, 0, 0);
		put_tx(4000, 200, 0);
		put_tx((__u64)CHUNKS * CHUNK, 60, 0);
		put_tx(0, 4097, 0);
		put_tx(0, 60, 2);
		put_tx(0, 60, XDP_PKT_CONTD);
		put_tx(5 * CHUNK, 60, 0);
		for (int i = 0; i < 7; i++)
			kick();
		completions();
		stats();
	} else if (!strcmp(sc, "options")) {
		/* An option bit the kernel does not know, then a chain on a socket bound without
		 * XDP_USE_SG, then a plain descriptor. */
		setup(64, 64, 64, 64);
		printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		put_tx(0, 60, 4);
		put_tx(CHUNK, 60, XDP_PKT_CONTD);
		put_tx(2 * CHUNK, 60, 0);
		put_tx(3 * CHUNK, 60, 0);
		for (int i = 0; i < 4; i++)
			kick();
		completions();
		stats();
	} else if (!strcmp(sc, "cq_full")) {
		/* Four completion slots: the fifth descriptor waits. */
		setup(64, 64, 64, 4);
		printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		for (int i = 0; i < 6; i++)
			put_tx((__u64)i * CHUNK, 60, 0);
		kick();
		completions();
		kick();
		completions();
		stats();
	} else if (!strcmp(sc, "batch")) {
		/* 40 descriptors: TX_BATCH_SIZE a call. */
		setup(64, 64, 64, 64);
		printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		for (int i = 0; i < 40; i++)
			put_tx((__u64)i * CHUNK, 60, 0);
		kick();
		kick();
		completions();
		stats();
	} else if (!strcmp(sc, "chain")) {
		/* XDP_USE_SG: a chain of two buffers and a single one. */
		setup(64, 64, 64, 64);
		printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY | XDP_USE_SG)));
		put_tx(CHUNK, 100, 0);
		put_tx(2 * CHUNK + 16, 50, XDP_PKT_CONTD);
		put_tx(3 * CHUNK, 10, 0);
		kick();
		completions();
		stats();
	} else if (!strcmp(sc, "sendto_errors")) {
		/* sendto on a bound socket without a TX ring, then on one not bound. */
		int r;

		setup(64, 0, 64, 64);
		printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		r = sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
		printf("setup sendto_no_tx_ring %s\n", r < 0 ? ename(errno) : "0");
		setup(64, 64, 64, 64);
		r = sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
		printf("setup sendto_unbound %s\n", r < 0 ? ename(errno) : "0");
	} else if (!strcmp(sc, "wakeup")) {
		setup(64, 64, 64, 64);
		printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY | XDP_USE_NEED_WAKEUP)));
		printf("txflags %u\n", *tx.flags);
	} else if (!strcmp(sc, "setup")) {
		int s2;

		fd = socket(AF_XDP, SOCK_RAW, 0);
		printf("setup chunk_1024 %s\n", ename(reg(CHUNKS * CHUNK, 1024, 0, 0)));
		printf("setup chunk_3000 %s\n", ename(reg(CHUNKS * CHUNK, 3000, 0, 0)));
		printf("setup not_whole_chunks %s\n", ename(reg(CHUNKS * CHUNK - 2048, CHUNK, 0, 0)));
		printf("setup headroom_3840 %s\n", ename(reg(CHUNKS * CHUNK, CHUNK, 3840, 0)));
		printf("setup headroom_3839 %s\n", ename(reg(CHUNKS * CHUNK, CHUNK, 3839, 0)));
		printf("setup headroom_3393 %s\n", ename(reg(CHUNKS * CHUNK, CHUNK, 3393, 0)));
		printf("setup umem_twice %s\n", ename(reg(CHUNKS * CHUNK, CHUNK, 0, 0)));
		printf("setup ring_1000 %s\n", ename(opt(XDP_RX_RING, 1000)));
		printf("setup ring_0 %s\n", ename(opt(XDP_RX_RING, 0)));
		printf("setup bind_no_rings %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		printf("setup ring_64 %s\n", ename(opt(XDP_RX_RING, 64)));
		printf("setup ring_twice %s\n", ename(opt(XDP_RX_RING, 64)));
		printf("setup bind_no_fill %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		opt(XDP_UMEM_FILL_RING, 64);
		printf("setup bind_no_completion %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		opt(XDP_UMEM_COMPLETION_RING, 64);
		printf("setup bind_flags_unknown %s\n", ename(do_bind(fd, 0, 1 << 6)));
		printf("setup bind_copy_and_zerocopy %s\n", ename(do_bind(fd, 0, XDP_COPY | XDP_ZEROCOPY)));
		printf("setup bind_queue_past_end %s\n", ename(do_bind(fd, 1, XDP_COPY)));
		printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		printf("setup bind_twice %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		printf("setup ring_after_bind %s\n", ename(opt(XDP_TX_RING, 64)));
		s2 = fd;
		setup(64, 0, 64, 64);
		printf("setup second_socket_same_queue %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		(void)s2;
	} else if (!strcmp(sc, "unaligned_setup")) {
		/* Registration with XDP_UMEM_UNALIGNED_CHUNK_FLAG, each on a fresh socket. */
		static const struct { const char *name; __u64 size; __u32 chunk, headroom, flags; } regs[] = {
			{ "u_chunk_3000", UMEM_SIZE, 3000, 0, 0 },
			{ "u_chunk_2048", UMEM_SIZE, 2048, 0, 0 },
			{ "u_chunk_2047", UMEM_SIZE, 2047, 0, 0 },
			{ "u_chunk_4097", UMEM_SIZE, 4097, 0, 0 },
			{ "u_size_not_whole_chunks", UMEM_SIZE - 100, 3000, 0, 0 },
			{ "u_size_below_one_chunk", 2999, 3000, 0, 0 },
			{ "u_headroom_2296", UMEM_SIZE, 3000, 2296, 0 },
			{ "u_headroom_2297", UMEM_SIZE, 3000, 2297, 0 },
			{ "u_flags_unknown", UMEM_SIZE, 3000, 0, 1 << 7 },
		};

		for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
			fd = socket(AF_XDP, SOCK_RAW, 0);
			printf("setup %s %s\n", regs[i].name,
			       ename(reg(regs[i].size, regs[i].chunk, regs[i].headroom, XDP_UMEM_UNALIGNED_CHUNK_FLAG | regs[i].flags)));
		}
		setup_socket(1, 3000, 0, XDP_UMEM_UNALIGNED_CHUNK_FLAG, 64, 64, 64, 64);
		printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY)));
		printf("txflags %u\n", *tx.flags);
	} else if (!strcmp(sc, "unaligned_tx")) {
		/* TX descriptors on unaligned 3000-byte chunks, a sendto after each group (so that
		 * completions come in one order whenever the device frees its packets). */
		unaligned = 1;
		setup_socket(1, 3000, 0, XDP_UMEM_UNALIGNED_CHUNK_FLAG, 64, 64, 64, 64);
		printf("setup bind %s\n", ename(do_bind(fd, 0, XDP_COPY | XDP_USE_SG)));
		put_tx(4000, 200, 0);
		put_tx((100ULL << 48) | 8000, 60, 0);
		put_tx(0, 3000, 0);
		kick();
		put_tx(0, 3001, 0);
		kick();
		put_tx(UMEM_SIZE - 60, 60, 0);
		kick();
		put_tx(UMEM_SIZE - 59, 60, 0);
		kick();
		put_tx((1ULL << 48) | (UMEM_SIZE - 1), 1, 0);
		kick();
		put_tx((2ULL << 48) | (UMEM_SIZE - 62), 60, 0);
		kick();
		put_tx(10000, 100, XDP_PKT_CONTD);
		put_tx((16ULL << 48) | 20000, 50, 0);
		kick();
		put_tx(30000, 0, 0);
		kick();
		put_tx(40000, 60, 4);
		kick();
		put_tx(50000, 60, 0);
		kick();
		kick();
		completions();
		stats();
	} else if (!strcmp(sc, "shared_setup")) {
		/* XDP_SHARED_UMEM's bind answers, in the kernel's order. a owns the UMEM on xa queue 0. */
		struct xsk a, b, g;
		int xc_index = second_pair(2), unbound, udp = socket(AF_INET, SOCK_DGRAM, 0);
		int map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, NULL, 4, 4, 4, NULL);
		__u32 key = 0;

		setup(64, 64, 64, 64);
		printf("setup bind_a %s\n", ename(do_bind(fd, 0, XDP_COPY | XDP_USE_NEED_WAKEUP)));
		save(&a);
		setup(64, 64, 64, 64);
		unbound = fd;
		setup_socket(0, 0, 0, 0, 64, 64, 0, 0);
		save(&b);
		printf("setup map_no_umem %s\n", ename(bpf_map_update_elem(map_fd, &key, &b.fd, 0) ? errno : 0));
		setup(0, 64, 64, 64);
		key = 1;
		printf("setup map_no_rx_ring %s\n", ename(bpf_map_update_elem(map_fd, &key, &fd, 0) ? errno : 0));
		key = 0;
		printf("setup shared_with_copy %s\n", ename(bind_on(b.fd, ifindex, 0, XDP_SHARED_UMEM | XDP_COPY, a.fd)));
		printf("setup shared_with_sg %s\n", ename(bind_on(b.fd, ifindex, 0, XDP_SHARED_UMEM | XDP_USE_SG, a.fd)));
		printf("setup shared_with_wakeup %s\n", ename(bind_on(b.fd, ifindex, 0, XDP_SHARED_UMEM | XDP_USE_NEED_WAKEUP, a.fd)));
		printf("setup shared_fd_closed %s\n", ename(bind_on(b.fd, ifindex, 0, XDP_SHARED_UMEM, 999)));
		printf("setup shared_fd_not_xdp %s\n", ename(bind_on(b.fd, ifindex, 0, XDP_SHARED_UMEM, udp)));
		printf("setup shared_fd_unbound %s\n", ename(bind_on(b.fd, ifindex, 0, XDP_SHARED_UMEM, unbound)));
		printf("setup shared_fd_self %s\n", ename(bind_on(b.fd, ifindex, 0, XDP_SHARED_UMEM, b.fd)));
		printf("setup shared_own_umem %s\n", ename(bind_on(unbound, ifindex, 0, XDP_SHARED_UMEM, a.fd)));
		setup_socket(0, 0, 0, 0, 64, 0, 64, 0);
		printf("setup same_queue_own_fill %s\n", ename(bind_on(fd, ifindex, 0, XDP_SHARED_UMEM, a.fd)));
		setup_socket(0, 0, 0, 0, 64, 0, 0, 64);
		printf("setup same_queue_own_completion %s\n", ename(bind_on(fd, ifindex, 0, XDP_SHARED_UMEM, a.fd)));
		printf("setup same_queue %s\n", ename(bind_on(b.fd, ifindex, 0, XDP_SHARED_UMEM, a.fd)));
		printf("setup same_queue_twice %s\n", ename(bind_on(b.fd, ifindex, 0, XDP_SHARED_UMEM, a.fd)));
		printf("setup map_shared %s\n", ename(bpf_map_update_elem(map_fd, &key, &b.fd, 0) ? errno : 0));
		use(&b, NULL);
		printf("txflags_b %u\n", *b.tx.flags);
		setup_socket(0, 0, 0, 0, 64, 0, 0, 0);
		printf("setup other_queue_no_rings %s\n", ename(bind_on(fd, xc_index, 1, XDP_SHARED_UMEM, a.fd)));
		setup_socket(0, 0, 0, 0, 64, 0, 64, 0);
		printf("setup other_queue_no_completion %s\n", ename(bind_on(fd, xc_index, 1, XDP_SHARED_UMEM, a.fd)));
		setup_socket(0, 0, 0, 0, 64, 64, 64, 64);
		save(&g);
		printf("setup other_queue_past_end %s\n", ename(bind_on(g.fd, xc_index, 2, XDP_SHARED_UMEM, a.fd)));
		printf("setup other_device %s\n", ename(bind_on(g.fd, xc_index, 0, XDP_SHARED_UMEM, a.fd)));
		printf("txflags_g %u\n", *g.tx.flags);
		setup_socket(0, 0, 0, 0, 64, 0, 64, 64);
		printf("setup other_device_queue_taken %s\n", ename(bind_on(fd, xc_index, 0, XDP_SHARED_UMEM, a.fd)));
		printf("setup other_device_queue_1 %s\n", ename(bind_on(fd, xc_index, 1, XDP_SHARED_UMEM, a.fd)));
		setup(64, 0, 64, 64);
		printf("setup own_umem_queue_taken %s\n", ename(bind_on(fd, xc_index, 1, XDP_COPY, -1)));
		setup_socket(0, 0, 0, 0, 64, 0, 0, 0);
		printf("setup shares_g_pool %s\n", ename(bind_on(fd, xc_index, 0, XDP_SHARED_UMEM, g.fd)));
		setup_socket(0, 0, 0, 0, 64, 0, 0, 0);
		printf("setup shares_b_pool %s\n", ename(bind_on(fd, ifindex, 0, XDP_SHARED_UMEM, b.fd)));
		close(a.fd);
		setup_socket(0, 0, 0, 0, 64, 0, 0, 0);
		printf("setup after_owner_closed %s\n", ename(bind_on(fd, ifindex, 0, XDP_SHARED_UMEM, b.fd)));
		setup(64, 0, 64, 64);
		printf("setup own_umem_on_shared_queue %s\n", ename(do_bind(fd, 0, XDP_COPY)));
	} else {
		fprintf(stderr, "unknown scenario %s\n", sc);
		return 2;
	}
	return 0;
}
