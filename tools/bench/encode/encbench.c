/* encbench.c - bytes per event of the block encoder on the generator's
 * event mix (the same model as gen.bpf.c, in user space), without BPF:
 * for tuning the encoding.  Usage: encbench [EVENTS] [BLOCK_BYTES] [LEVEL] [CHAIN] [fast|faster]
 * (CHAIN: blocks whose dictionaries go on, block_encoder__chain; 1: none;
 * fast: fast blocks, block_encoder__fast; faster: fast blocks at
 * BLOCK_FASTER_ZSTD_LEVEL, block_encoder__fast_level) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block.h"

struct gen_event {
	unsigned long long ts_ns;
	unsigned pid, tid;
	unsigned long long seq;
	char comm[16];
	unsigned long long path_hash;
	unsigned op;
	int ret;
	unsigned long long latency_ns;
};

static const char names[32][16] = {
	"nginx", "postgres", "python3", "java", "node", "bash", "sshd", "systemd",
	"containerd", "dockerd", "kworker/u8:", "rsyslogd", "cron", "redis-server",
	"php-fpm", "gunicorn", "ruby", "git", "make", "cc1", "ld", "sh", "sleep",
	"journald", "dbus-daemon", "polkitd", "chronyd", "kubelet", "etcd", "envoy",
	"grafana", "prometheus",
};

static unsigned long long rng = 0x1234567, seq, now = 1000000000000ull;
static unsigned pid, tid0, burst, comm_idx, file_base, nthreads;
static const char *zero;

static unsigned long long rnd(void)
{
	unsigned long long x = rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static unsigned long long mix64(unsigned long long z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void gen(struct gen_event *e)
{
	unsigned long long r, r2, h;
	unsigned v, b, shift;

	if (!burst) {
		r = rnd();
		pid = (r & 1) ? 1000 + ((r >> 8) & 63) : 1000 + ((r >> 8) % 2000);
		h = mix64(pid);
		tid0 = pid;
		nthreads = (h & 3) == 0 ? 8 : 1;
		comm_idx = (h >> 8) % 320;
		file_base = (h >> 20) & 4095;
		burst = 1 + ((r >> 32) & 31);
	}
	burst--;
	r = rnd();
	r2 = rnd();
	memset(e, 0, sizeof(*e));
	now += 100 + (r2 >> 58);        /* ~8-10 M events/s */
	e->ts_ns = now;
	e->pid = pid;
	e->tid = nthreads > 1 ? tid0 + (r & 7) : tid0;
	e->seq = ++seq;
	b = comm_idx & 31;
	v = comm_idx / 32;
	memcpy(e->comm, names[b], 16);
	if (v) {
		size_t len = strnlen(names[b], 15);
		e->comm[len & 15] = '0' + v;
		e->comm[15] = 0;
	}
	e->path_hash = mix64(0x5eed0000ull + ((file_base + ((r >> 4) & 7)) & 4095));
	v = (r >> 8) % 100;
	e->op = v < 40 ? 2 : v < 60 ? 3 : v < 75 ? 5 : v < 85 ? 1 : v < 95 ? 4 : 6;
	v = (r >> 16) % 100;
	switch (e->op) {
	case 2: case 3:
		e->ret = v < 50 ? 4096 : v < 65 ? 65536 : v < 75 ? 0 : v < 78 ? -11 : (int)((r2 >> 40) & 4095);
		break;
	case 1:
		e->ret = v < 12 ? -2 : 3 + (int)((r2 >> 40) & 31);
		break;
	case 5:
		e->ret = v < 20 ? -2 : 0;
		break;
	}
	shift = 8 + (unsigned)((r2 >> 8) % 12);
	e->latency_ns = (1ull << shift) + (r2 & ((1ull << shift) - 1));
	/* ENCBENCH_ZERO=field: what one field costs, by difference */
	if (zero) {
		if (!strcmp(zero, "latency")) e->latency_ns = 0;
		if (!strcmp(zero, "path")) e->path_hash = 0;
		if (!strcmp(zero, "opret")) { e->op = 0; e->ret = 0; }
		if (!strcmp(zero, "pidtid")) { e->pid = 0; e->tid = 0; }
		if (!strcmp(zero, "comm")) memset(e->comm, 0, 16);
		if (!strcmp(zero, "seq")) e->seq = 0;
	}
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000000;
	size_t bb = argc > 2 ? strtoul(argv[2], NULL, 0) : 1 << 20;
	int level = argc > 3 ? atoi(argv[3]) : 1;
	unsigned chain = argc > 4 ? (unsigned)atoi(argv[4]) : 1;
	int faster = argc > 5 && !strcmp(argv[5], "faster");
	int fast = faster || (argc > 5 && !strcmp(argv[5], "fast"));
	struct blockbuf *b = blockbuf__new(bb);
	struct block_encoder *enc = block_encoder__new(level);
	unsigned long long total = 0, raw = 0, hash = 0xcbf29ce484222325ull;
	struct gen_event e;
	struct timespec t0, t1;
	double enc_s = 0;
	unsigned long i;

	zero = getenv("ENCBENCH_ZERO");
	if (!b || !enc) {
		fprintf(stderr, "encbench: out of memory\n");
		return 1;
	}
	block_encoder__chain(enc, chain);
	if ((faster && block_encoder__fast_level(enc, BLOCK_FASTER_ZSTD_LEVEL)) ||
	    (fast && block_encoder__fast(enc, true))) {
		fprintf(stderr, "encbench: fast blocks refused\n");
		return 1;
	}

	for (i = 0; i < n; i++) {
		gen(&e);
		if (blockbuf__add(b, 1, 0xffffffffu, e.ts_ns, &e, sizeof(e)) == -ENOSPC || i == n - 1) {
			const unsigned char *out;
			size_t len;
			struct cap_block_meta m;

			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
			block_encoder__encode(enc, b, &out, &len, &m);
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
			enc_s += (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
			total += len;
			for (size_t k = 0; k < len; k++)   /* FNV-1a: same blocks before and after */
				hash = (hash ^ out[k]) * 0x100000001b3ull;
			raw += m.raw_bytes;
			blockbuf__reset(b);
			if (i != n - 1)
				blockbuf__add(b, 1, 0xffffffffu, e.ts_ns, &e, sizeof(e));
		}
	}
	printf("%lu events (%s blocks, chains of %u): %.2f bytes/event on disk, body %.1f bytes/event, encode %.1f ns/event (%.1f M/s)\n",
	       n, faster ? "faster" : fast ? "fast" : "compact", chain, (double)total / n, (double)raw / n, enc_s * 1e9 / n, n / enc_s / 1e6);
	printf("blocks' FNV-1a hash: %016llx\n", hash);
	printf("<= 4.6 bytes/event on the varied events (issue 18): %.2f: %s\n",
	       (double)total / n, (double)total / n <= 4.6 ? "met" : "NOT met");
	block_encoder__free(enc);
	blockbuf__free(b);
	return 0;
}
