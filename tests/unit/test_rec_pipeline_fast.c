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
#include "fixtures/pipeblocks.h"

#define PER_BLOCK 400u   /* records a block: sealed by hand, under block_bytes */
#define NBLOCKS 17u      /* 3 + 3 + 8 + 3 */

static struct capwone_ev all[NBLOCKS * PER_BLOCK];
static uint32_t sid;
static int gate[2];                 /* a held writer reads a byte from gate[0] */

static void send_block(struct pipeline *p, uint32_t k)
{
	pipeblocks_send(p, sid, all, PER_BLOCK, k);
}

static void sync_writers(struct pipeline *p)
{
	pipeblocks_sync(p);
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
	/* what each block must be: F fast, C compact */
	static const char want[NBLOCKS + 1] = "CCC" "FFF" "FFFCCCCC" "CFF";
	uint64_t blocks = 0, fast = 0;
	uint32_t k, nfast;
	pthread_t rel;

	struct pipeline *p = pipeblocks_start(w, &po, gate, all, NBLOCKS * PER_BLOCK, 7);

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
	nfast = pipeblocks_finish(p, w, dir, sid, all, PER_BLOCK, NBLOCKS, want, NULL);
	printf("test_rec_pipeline_fast: %u blocks, %u fast\n", NBLOCKS, nfast);
	return 0;
}
