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
static uint64_t stalls_before;

/* Block k handed over after a pause: the events come slowly (a block's
 * in 40 ms or more), far slower than the writers make compact blocks of
 * them, so they are not behind (the policy's arrive_ns). */
static void send_slowly(struct pipeline *p, uint32_t k)
{
	usleep(40000);
	pipeblocks_send(p, sid, all, PER_BLOCK, k);
}

/* Releases the held writer once the drain has found no free buffer. */
static void *releaser(void *arg)
{
	struct pipeline *p = arg;
	uint64_t stalls = 0, wait_ns;

	for (;;) {
		pipeline__stalls(p, &stalls, &wait_ns);
		if (stalls > stalls_before)
			break;
		usleep(1000);
	}
	CHECK(write(gate[1], "x", 1) == 1);
	return NULL;
}

/* Blocks k, k + 1 and k + 2 with the writers held: k is taken and encoded
 * before the others come, k + 1 waits in the queue, k + 2's hand-over
 * finds no free buffer and waits until the releaser lets the writer go. */
static void send_starved(struct pipeline *p, uint32_t k)
{
	uint64_t blocks = 0, fast, wait_ns;
	pthread_t rel;

	pipeline__stalls(p, &stalls_before, &wait_ns);
	pipeline__call(p, capwone_hold_writer, &gate[0]);
	CHECK_EQ_INT(pthread_create(&rel, NULL, releaser, p), 0);
	send_slowly(p, k);
	for (;;) {
		pipeline__blocks(p, &blocks, &fast);
		if (blocks == k + 1)
			break;
		usleep(1000);
	}
	pipeblocks_send(p, sid, all, PER_BLOCK, k + 1);
	pipeblocks_send(p, sid, all, PER_BLOCK, k + 2);
	CHECK_EQ_INT(pthread_join(rel, NULL), 0);
	pipeblocks_sync(p);
}

int main(void)
{
	const char *dir = test_tmpdir("rec_pipeline_headroom");
	struct capw_opts co = { .zstd_level = 1 };
	struct capw *w = capwone_open(dir, &co, &sid);
	struct pipeline_opts po = { .block_bytes = 64 * 1024, .nbufs = 3, .nworkers = 2,
				    .flush_ns = 1 };
	/* what each block must be: F fast, C compact */
	static const char want[NBLOCKS + 1] = "CCC" "CCC" "CFF" "FFFC";
	uint64_t stalls, wait_ns;
	uint32_t k, nfast;

	util_quiet = 1;
	CHECK_EQ_INT(pipe(gate), 0);
	pipeblocks_gen(all, NBLOCKS * PER_BLOCK, 5);
	struct pipeline *p = pipeline__start(w, &po);
	CHECK(p);

	/* 1. no backlog */
	for (k = 0; k < 3; k++) {
		send_slowly(p, k);
		pipeblocks_sync(p);
	}
	/* 2. a wait with a minute of room in the kernel's buffers */
	pipeline__headroom(p, 60000000000ull);
	send_starved(p, k);
	k += 3;
	/* 3. a wait with none */
	pipeline__headroom(p, 1000);
	send_starved(p, k);
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
