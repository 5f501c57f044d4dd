/* test_rec_pipeline_spare - a hand-over that finds every block buffer
 * with the writers takes a spare (pipeline_opts.spare_bufs) instead of
 * waiting when the kernel's buffers could not absorb the wait
 * (pipeline__headroom), waits as before when they could, and gives the
 * spare back (its memory released) once a second passes without one
 * needed.  Without root or BPF: the test is the drain thread, seals each
 * block by hand and holds the writers (a pipeline__call that waits for the
 * test) so that block k is being encoded, k + 1 waits in the queue and
 * k + 2's hand-over finds no free buffer:
 *   1. blocks 0-2, no backlog: compact (the writers' block time learned);
 *   2. 60 s of headroom, the writers held: 5's hand-over waits (a stall),
 *      no spare taken;
 *   3. 1 us of headroom, the same: 8's hand-over takes the spare and does
 *      not wait (a watchdog lets the writer go after 10 s, so that a
 *      hand-over that waits fails the test instead of hanging it);
 *   4. a second later, one block: the spare goes back;
 *   5. 1 us again: 12's hand-over takes it again (were it still in the
 *      pool, 12 would have found a free buffer: no spare taken).
 * Every record reads back in order, nothing counted lost. */
#include <pthread.h>
#include <unistd.h>

#include "capw.h"
#include "pipeline.h"
#include "testutil.h"
#include "util.h"
#include "fixtures/pipeblocks.h"

#define PER_BLOCK 400u   /* records a block: sealed by hand, under block_bytes */
#define NBLOCKS 13u

static struct capwone_ev all[NBLOCKS * PER_BLOCK];
static uint32_t sid;
static int gate[2];                 /* a held writer reads a byte from gate[0] */
int main(void)
{
	const char *dir = test_tmpdir("rec_pipeline_spare");
	struct capw_opts co = { .zstd_level = 1 };
	struct capw *w = capwone_open(dir, &co, &sid);
	struct pipeline_opts po = { .block_bytes = 64 * 1024, .nbufs = 3, .nworkers = 2,
				    .spare_bufs = 1, .flush_ns = 1 };
	/* what each block must be: F fast, C compact (test_rec_pipeline_headroom) */
	static const char want[NBLOCKS + 1] = "CCC" "CCC" "CFF" "F" "FFF";
	uint64_t stalls, spares;
	uint32_t k;

	struct pipeline *p = pipeblocks_start(w, &po, gate, all, NBLOCKS * PER_BLOCK, 7);

	/* 1. no backlog */
	for (k = 0; k < 3; k++) {
		pipeblocks_send_slowly(p, sid, all, PER_BLOCK, k);
		pipeblocks_sync(p);
	}
	/* 2. a minute of room in the kernel's buffers: the drain waits */
	pipeline__headroom(p, 60000000000ull);
	pipeblocks_send_held(p, sid, all, PER_BLOCK, k, gate, &stalls, &spares);
	k += 3;
	CHECK_EQ_U64(stalls, 1);
	CHECK_EQ_U64(spares, 0);
	/* 3. none: a spare, no wait */
	pipeline__headroom(p, 1000);
	pipeblocks_send_held(p, sid, all, PER_BLOCK, k, gate, &stalls, &spares);
	k += 3;
	CHECK_EQ_U64(stalls, 0);
	CHECK_EQ_U64(spares, 1);
	/* 4. a second without one needed: the spare goes back at a hand-over */
	usleep(1100000);
	pipeline__headroom(p, 60000000000ull);
	pipeblocks_send(p, sid, all, PER_BLOCK, k++);
	pipeblocks_sync(p);
	/* 5. lent again: it was given back, not left in the pool */
	pipeline__headroom(p, 1000);
	pipeblocks_send_held(p, sid, all, PER_BLOCK, k, gate, &stalls, &spares);
	k += 3;
	CHECK_EQ_U64(stalls, 0);
	CHECK_EQ_U64(spares, 1);
	CHECK_EQ_INT(k, NBLOCKS);
	pipeblocks_finish(p, w, dir, sid, all, PER_BLOCK, NBLOCKS, want, NULL);
	printf("test_rec_pipeline_spare: %u blocks, the spare taken twice, given back once\n",
	       NBLOCKS);
	return 0;
}
