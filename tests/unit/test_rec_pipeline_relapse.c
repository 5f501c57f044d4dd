/* test_rec_pipeline_relapse - PIPELINE_ADAPT's back-off: when the writers
 * fall behind again soon after the blocks went compact (a relapse: the
 * events come faster than compact blocks are made), the next switch back
 * to compact waits for twice as many calm hand-overs; compact blocks that
 * hold for 32 hand-overs start the count anew.  Without root or BPF: the
 * test is the drain thread, reports the kernel's buffers partly full or
 * empty (pipeline__backlog) and seals each block by hand, waiting for the
 * writers after each, so which block is fast depends on nothing but the
 * hand-overs:
 *   block 0       40% full: fast (the first backlog is no relapse)
 *   1-4           empty: 1-3 fast, 4 compact (4 calm hand-overs)
 *   5             40% full, 1 hand-over after going compact: a relapse
 *   6-13          empty: fast until the 8th calm hand-over (13: compact)
 *   14            40% full: a relapse again
 *   15-30         empty: compact from the 16th calm hand-over (30)
 *   31-62         empty: compact; by 62 they held 32 hand-overs
 *   63            40% full: fast, no relapse
 *   64-67         empty: 64-66 fast, 67 compact (4 calm hand-overs again)
 *   68-71         60%, 30% and 60% full, then empty:
 *                 all fast, 68 and 70 at the faster zstd level
 *                 (pipeline__blocks_faster counts them)
 * A compact block of these records has dictionaries (block encoding 3), a
 * fast one none (encoding 1).  Every record reads back value by value. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "capr.h"
#include "capw.h"
#include "pipeline.h"
#include "testutil.h"
#include "util.h"
#include "fixtures/capwone.h"

#define PER_BLOCK 200u
#define NBLOCKS 72u

static struct capwone_ev all[NBLOCKS * PER_BLOCK];
static uint32_t sid;
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

/* Block k's records, handed over with the kernel's buffers reported
 * fill_pm full; returns once the writers have written it. */
static void send_block(struct pipeline *p, uint32_t k, uint32_t fill_pm)
{
	static uint64_t tick = 0;

	pipeline__backlog(p, fill_pm);
	for (uint32_t i = k * PER_BLOCK; i < (k + 1) * PER_BLOCK; i++)
		CHECK_EQ_INT(pipeline__append(p, sid, 0, all[i].ts_ns, &all[i], sizeof(all[i])), 0);
	if (!tick)
		tick = now_boot_ns();
	tick += 1000000000ull;   /* past flush_ns: seals the block */
	pipeline__tick(p, tick);
	pthread_mutex_lock(&mu);
	synced = 0;
	pthread_mutex_unlock(&mu);
	pipeline__call(p, note_synced, NULL);
	pthread_mutex_lock(&mu);
	while (!synced)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

int main(void)
{
	const char *dir = test_tmpdir("rec_pipeline_relapse");
	struct capw_opts co = { .zstd_level = 1 };
	struct capw *w = capwone_open(dir, &co, &sid);
	struct pipeline_opts po = { .block_bytes = 64 * 1024, .nbufs = 3, .nworkers = 2,
				    .flush_ns = 1 };
	/* per block: H reported 40% full, X 60% full, h 30% full, else empty;
	 * and F fast, C compact */
	static const char fill[NBLOCKS + 1] =
		"H...." "H........" "H................" "................................"
		"H...." "XhX.";
	static const char want[NBLOCKS + 1] =
		"FFFFC" "FFFFFFFFC" "FFFFFFFFFFFFFFFFC" "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
		"FFFFC" "FFFF";
	uint64_t rng = 11, blocks = 0, fast = 0;
	uint32_t k, nfast = 0;

	util_quiet = 1;
	CHECK_EQ_INT(strlen(fill), NBLOCKS);
	CHECK_EQ_INT(strlen(want), NBLOCKS);
	for (uint32_t i = 0; i < NBLOCKS * PER_BLOCK; i++)
		gen(i, &all[i], &rng);
	struct pipeline *p = pipeline__start(w, &po);
	CHECK(p);
	for (k = 0; k < NBLOCKS; k++)
		send_block(p, k, fill[k] == 'H' ? 400 : fill[k] == 'X' ? 600 :
				 fill[k] == 'h' ? 300 : 0);
	CHECK_EQ_INT(pipeline__stop(p), 0);
	pipeline__blocks(p, &blocks, &fast);
	CHECK_EQ_U64(pipeline__blocks_faster(p), 2);
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
		if (enc != (want[k] == 'F' ? 1u : 3u))
			fprintf(stderr, "block %u: encoding %u, expected a %s block\n", k, enc,
				want[k] == 'F' ? "fast" : "compact");
		CHECK_EQ_INT(enc, want[k] == 'F' ? 1 : 3);
		nfast += want[k] == 'F';
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
	printf("test_rec_pipeline_relapse: %zu blocks, %u fast\n", nb, nfast);
	capr__cursor_free(c);
	capr__close(r);
	return 0;
}
