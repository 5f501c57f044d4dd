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
#include <string.h>

#include "capw.h"
#include "pipeline.h"
#include "testutil.h"
#include "fixtures/pipeblocks.h"

#define PER_BLOCK 200u
#define NBLOCKS 72u

static struct capwone_ev all[NBLOCKS * PER_BLOCK];
static uint32_t sid;

/* Block k's records, handed over with the kernel's buffers reported
 * fill_pm full; returns once the writers have written it. */
static void send_block(struct pipeline *p, uint32_t k, uint32_t fill_pm)
{
	pipeline__backlog(p, fill_pm);
	pipeblocks_send(p, sid, all, PER_BLOCK, k);
	pipeblocks_sync(p);
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
	uint64_t faster = 0;
	uint32_t k, nfast;

	CHECK_EQ_INT(strlen(fill), NBLOCKS);
	CHECK_EQ_INT(strlen(want), NBLOCKS);
	struct pipeline *p = pipeblocks_start(w, &po, NULL, all, NBLOCKS * PER_BLOCK, 11);
	for (k = 0; k < NBLOCKS; k++)
		send_block(p, k, fill[k] == 'H' ? 400 : fill[k] == 'X' ? 600 :
				 fill[k] == 'h' ? 300 : 0);
	nfast = pipeblocks_finish(p, w, dir, sid, all, PER_BLOCK, NBLOCKS, want, &faster);
	CHECK_EQ_U64(faster, 2);
	printf("test_rec_pipeline_relapse: %u blocks, %u fast\n", NBLOCKS, nfast);
	return 0;
}
