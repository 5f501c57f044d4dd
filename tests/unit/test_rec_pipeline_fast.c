/* test_rec_pipeline_fast - the writers' adaptive effort (PIPELINE_ADAPT):
 * while the writers are behind, the blocks handed over are encoded fast
 * (block_encoder__fast: no dictionaries, the same format), and compact
 * again once the backlog is gone.  Without root or BPF, the test is the
 * drain thread, and each block is sealed by hand, so which block is which
 * does not depend on timing:
 *   1. no backlog: compact blocks;
 *   2. a kernel buffer reported half full (pipeline__backlog): fast blocks;
 *   3. the buffer empty again: fast for a few more hand-overs, then compact
 *      for good (one switch back);
 *   4. the writers held (a pipeline__call that waits for the test) until
 *      the drain finds no free block buffer: the block handed over then is
 *      fast, and so is the one that waited in the queue, sent compact.
 * A compact block of these records has dictionaries (block encoding 3), a
 * fast one none (encoding 1).  Every record reads back value by value, and
 * pipeline__blocks counts the fast blocks. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "capr.h"
#include "capw.h"
#include "pipeline.h"
#include "testutil.h"
#include "util.h"
#include "fixtures/capwone.h"

#define PER_BLOCK 400u   /* records a block: sealed by hand, under block_bytes */
#define NBLOCKS 17u      /* 3 + 3 + 8 + 3 */

static struct capwone_ev all[NBLOCKS * PER_BLOCK];
static uint32_t sid;
static int gate[2];                 /* a held writer reads a byte from gate[0] */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int synced;

static void gen(uint64_t i, struct capwone_ev *e, uint64_t *rng)
{
	uint64_t r = test_rand(rng);
	uint32_t pid = 1000 + (uint32_t)((i / 8) * 2654435761u % 40);

	e->ts_ns = 1000 + i * 3;
	e->pid = pid;
	e->tid = pid + (uint32_t)(r & 1);
	/* one of 16 random hashes: a dictionary column in a compact block */
	e->path_hash = 0x9E3779B97F4A7C15ull * (((r >> 8) & 15) + 1);
	e->path_hash ^= e->path_hash >> 29;
	e->seq = i;
	e->latency = (r >> 20) & 0xffff;
}

/* pipeline__call's fns, on a writer thread in order with the blocks. */
static int note_synced(void *ctx, struct capw *w)
{
	(void)ctx;
	(void)w;
	pthread_mutex_lock(&mu);
	synced = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	return 0;
}

/* Waits until the writers have done everything sent before. */
static void sync_writers(struct pipeline *p)
{
	pthread_mutex_lock(&mu);
	synced = 0;
	pthread_mutex_unlock(&mu);
	pipeline__call(p, note_synced, NULL);
	pthread_mutex_lock(&mu);
	while (!synced)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

/* Appends block k's records and hands the block over. */
static void send_block(struct pipeline *p, uint32_t k)
{
	static uint64_t tick = 0;

	for (uint32_t i = k * PER_BLOCK; i < (k + 1) * PER_BLOCK; i++)
		CHECK_EQ_INT(pipeline__append(p, sid, 0, all[i].ts_ns, &all[i], sizeof(all[i])), 0);
	if (!tick)
		tick = now_boot_ns();
	tick += 1000000000ull;   /* past flush_ns: seals the block */
	pipeline__tick(p, tick);
}

/* Releases the held writer once the drain has found no free buffer. */
static void *releaser(void *arg)
{
	struct pipeline *p = arg;
	uint64_t stalls = 0, wait_ns;

	while (!stalls) {
		pipeline__stalls(p, &stalls, &wait_ns);
		if (!stalls)
			usleep(1000);
	}
	CHECK(write(gate[1], "x", 1) == 1);
	return NULL;
}

int main(void)
{
	const char *dir = test_tmpdir("rec_pipeline_fast");
	struct capw_opts co = { .zstd_level = 1 };
	struct capw *w = capwone_open(dir, &co, &sid);
	struct pipeline_opts po = { .block_bytes = 64 * 1024, .nbufs = 3, .nworkers = 2,
				    .flush_ns = 1 };
	/* what each block must be: 1 fast */
	static const int want_fast[NBLOCKS] = { 0, 0, 0,  1, 1, 1,  1, 1, 1, 0, 0, 0, 0, 0,
						0, 1, 1 };
	uint64_t rng = 7, blocks = 0, fast = 0;
	uint32_t k, nfast = 0;
	pthread_t rel;

	util_quiet = 1;
	CHECK_EQ_INT(pipe(gate), 0);
	for (uint32_t i = 0; i < NBLOCKS * PER_BLOCK; i++)
		gen(i, &all[i], &rng);
	struct pipeline *p = pipeline__start(w, &po);
	CHECK(p);

	/* 1. no backlog */
	for (k = 0; k < 3; k++) {
		send_block(p, k);
		sync_writers(p);
	}
	/* 2. a buffer half full */
	pipeline__backlog(p, 500);
	for (; k < 6; k++) {
		send_block(p, k);
		sync_writers(p);
	}
	/* 3. empty again: back to compact after a few calm hand-overs */
	pipeline__backlog(p, 0);
	for (; k < 14; k++) {
		send_block(p, k);
		sync_writers(p);
	}
	/* 4. the writers held: block 14 is being encoded (compact) and waits
	 * for its turn behind the held call, 15 waits in the queue, and 16's
	 * hand-over finds no free buffer: the drain waits until the releaser
	 * lets the writer go. */
	pipeline__call(p, capwone_hold_writer, &gate[0]);
	CHECK_EQ_INT(pthread_create(&rel, NULL, releaser, p), 0);
	send_block(p, k++);
	/* (14 taken and encoded before the backlog begins: a block still
	 * queued then would go fast) */
	for (;;) {
		pipeline__blocks(p, &blocks, &fast);
		if (blocks == k)
			break;
		usleep(1000);
	}
	for (; k < NBLOCKS; k++)
		send_block(p, k);
	CHECK_EQ_INT(pthread_join(rel, NULL), 0);
	CHECK_EQ_INT(pipeline__stop(p), 0);
	pipeline__blocks(p, &blocks, &fast);
	pipeline__free(p);
	CHECK_EQ_INT(capw__close(w, 1000000), 0);
	CHECK_EQ_INT(q_int_capture(dir, "SELECT coalesce(sum(count), 0) FROM losses"), 0);

	struct capr *r;
	struct capr_cursor *c;
	const struct cap_block_info *bl;
	size_t nb;

	capwone_reopen(dir, &r, &c, &bl, &nb);
	CHECK_EQ_INT(nb, NBLOCKS);
	for (size_t b = 0; b < nb; b++) {
		const struct cap_rec *recs;
		uint32_t nr;
		unsigned enc = capwone_read(c, &bl[b], &recs, &nr);

		CHECK_EQ_INT(nr, PER_BLOCK);
		/* which block: by its first record */
		k = (uint32_t)((recs[0].ts_ns - 1000) / 3 / PER_BLOCK);
		CHECK(k < NBLOCKS);
		if (enc != (want_fast[k] ? 1u : 3u))
			fprintf(stderr, "block %u: encoding %u, expected a %s block\n", k, enc,
				want_fast[k] ? "fast" : "compact");
		CHECK_EQ_INT(enc, want_fast[k] ? 1 : 3);
		nfast += (uint32_t)want_fast[k];
		for (uint32_t j = 0; j < nr; j++) {
			uint32_t i = k * PER_BLOCK + j;

			CHECK_EQ_U64(recs[j].ts_ns, all[i].ts_ns);
			CHECK_EQ_INT(recs[j].len, sizeof(struct capwone_ev));
			CHECK_EQ_INT(recs[j].stream, sid);
			CHECK(!memcmp(recs[j].data, &all[i], sizeof(struct capwone_ev)));
		}
	}
	CHECK_EQ_U64(blocks, NBLOCKS);
	CHECK_EQ_U64(fast, nfast);
	printf("test_rec_pipeline_fast: %zu blocks, %u fast\n", nb, nfast);
	capr__cursor_free(c);
	capr__close(r);
	return 0;
}
