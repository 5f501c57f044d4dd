/* test_rec_pipeline_headroom - PIPELINE_ADAPT at a hand-over that finds
 * every block buffer with the writers: a backlog (fast blocks) only when
 * the kernel's buffers would fill within a few blocks' time of the writers
 * at the rate they fill (pipeline__headroom) or the writers are near their
 * limit, not whenever a writer was
 * slow for a moment (on a loaded machine at 1 M events/s that made fast
 * blocks the ring had ~0.9 s to absorb).  Without root or BPF: the test is
 * the drain thread, seals each block by hand and holds the writers (a
 * pipeline__call that waits for the test) until the drain finds no free
 * block buffer, so which block is which does not depend on timing:
 *   1. blocks 0-2, no backlog, a block's events coming in 40 ms or more:
 *      compact (the writers' block time and the events' pace learned);
 *   2. 60 s of headroom, the writers held: block 3 is being encoded, 4
 *      waits in the queue, 5's hand-over finds no free buffer: all three
 *      compact (the wait is far from filling anything, and the writers
 *      are far faster than the events come);
 *   3. 1 us of headroom, the same: 6 compact (encoded before the wait),
 *      7 and 8 fast (the queued one too);
 *   4. 60 s again, no wait: 9-11 fast, 12 compact (4 calm hand-overs).
 * A compact block of these records has dictionaries (block encoding 3), a
 * fast one none (encoding 1).  Every record reads back value by value, and
 * pipeline__blocks counts the fast blocks. */
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
	const char *dir = test_tmpdir("rec_pipeline_headroom");
	struct capw_opts co = { .zstd_level = 1 };
	struct capw *w = capwone_open(dir, &co, &sid);
	struct pipeline_opts po = { .block_bytes = 64 * 1024, .nbufs = 3, .nworkers = 2,
				    .flush_ns = 1 };
	/* what each block must be: F fast, C compact */
	static const char want[NBLOCKS + 1] = "CCC" "CCC" "CFF" "FFFC";
	uint64_t stalls, wait_ns, held, spares;
	uint32_t k, nfast;

	struct pipeline *p = pipeblocks_start(w, &po, gate, all, NBLOCKS * PER_BLOCK, 5);

	/* 1. no backlog */
	for (k = 0; k < 3; k++) {
		pipeblocks_send_slowly(p, sid, all, PER_BLOCK, k);
		pipeblocks_sync(p);
	}
	/* 2. a wait with a minute of room in the kernel's buffers */
	pipeline__headroom(p, 60000000000ull);
	pipeblocks_send_held(p, sid, all, PER_BLOCK, k, gate, &held, &spares);
	CHECK_EQ_U64(held, 1);
	CHECK_EQ_U64(spares, 0);
	k += 3;
	/* 3. a wait with none */
	pipeline__headroom(p, 1000);
	pipeblocks_send_held(p, sid, all, PER_BLOCK, k, gate, &held, &spares);
	CHECK_EQ_U64(held, 1);
	CHECK_EQ_U64(spares, 0);
	k += 3;
	/* 4. room again, no wait: back to compact after the calm hand-overs */
	pipeline__headroom(p, 60000000000ull);
	for (; k < NBLOCKS; k++) {
		pipeblocks_send(p, sid, all, PER_BLOCK, k);
		pipeblocks_sync(p);
	}
	pipeline__stalls(p, &stalls, &wait_ns);
	CHECK_EQ_U64(stalls, 2);   /* each held phase waited once */
	nfast = pipeblocks_finish(p, w, dir, sid, all, PER_BLOCK, NBLOCKS, want, NULL);
	printf("test_rec_pipeline_headroom: %u blocks, %u fast\n", NBLOCKS, nfast);
	return 0;
}
