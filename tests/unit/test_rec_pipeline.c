/* test_rec_pipeline - the drain's waits for the writer threads are counted
 * (pipeline__stalls), and nothing is lost by them.  Without root or BPF: a
 * pipeline of one writer and two 4 KiB buffers over a capture in a temporary
 * directory; the writer is held (a pipeline__call that waits for the test)
 * while a drain thread appends records, so the drain's second hand-over must
 * find no free buffer.  The test releases the writer only once the stall is
 * counted (no timing involved), then checks the wait, and every record in
 * the capture, value by value. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "capr.h"
#include "capw.h"
#include "pipeline.h"
#include "testutil.h"
#include "util.h"
#include "fixtures/capwone.h"

#define NREC 300        /* 40-byte records: ~60 to a 4 KiB block */

static uint32_t sid;
static int gate[2];     /* the held writer reads one byte from gate[0] */

static void *drain_thread(void *arg)
{
	struct pipeline *p = arg;
	uint64_t rec[5];
	uint32_t i;

	for (i = 0; i < NREC; i++) {
		rec[0] = 1000 + i;
		rec[1] = i * 7;
		rec[2] = rec[3] = rec[4] = ~(uint64_t)i;
		CHECK_EQ_INT(pipeline__append(p, sid, i % 2, 1000 + i, rec, sizeof(rec)), 0);
	}
	return NULL;
}

int main(void)
{
	const char *dir = test_tmpdir("rec_pipeline");
	struct capw_opts co = { .zstd_level = 1 };
	struct capw *w = capwone_open(dir, &co, &sid);
	struct pipeline_opts po = { .block_bytes = 4096, .nbufs = 2, .nworkers = 1,
				    .flush_ns = 3600ull * 1000000000 };
	struct pipeline *p;
	uint64_t stalls = 0, wait_ns = 0, stalls_at_release;
	pthread_t th;
	char err[256];
	struct capr *r;
	int i;

	util_quiet = 1;
	CHECK(pipe(gate) == 0);
	p = pipeline__start(w, &po);
	CHECK(p);
	pipeline__call(p, capwone_hold_writer, &gate[0]);
	CHECK(pthread_create(&th, NULL, drain_thread, p) == 0);
	/* The drain hands its first block over and takes the other buffer;
	 * at its second block it finds none free: a stall, counted before it
	 * waits.  Wait for that (up to ~60 s on a loaded machine). */
	for (i = 0; i < 60000; i++) {
		pipeline__stalls(p, &stalls, &wait_ns);
		if (stalls)
			break;
		usleep(1000);
	}
	CHECK_EQ_U64(stalls, 1);
	usleep(20000);   /* the wait lasts at least this long */
	stalls_at_release = stalls;
	CHECK(write(gate[1], "x", 1) == 1);
	CHECK(pthread_join(th, NULL) == 0);
	CHECK_EQ_INT(pipeline__stop(p), 0);
	pipeline__stalls(p, &stalls, &wait_ns);
	CHECK(stalls >= stalls_at_release);
	CHECK(wait_ns >= 20000000ull);
	pipeline__free(p);
	CHECK_EQ_INT(capw__close(w, 5000), 0);

	/* Every record once, with its values (blocks in time order; within
	 * one, the encoder's group order: each record found by its time). */
	r = capr__open(dir, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "capr__open: %s\n", err);
		return 1;
	}
	{
		static int seen[NREC];
		const struct cap_block_info *bl;
		size_t nb, k;
		uint32_t n = 0;

		CHECK_EQ_INT(capr__blocks(r, &bl, &nb), 0);
		CHECK(nb >= 3);
		for (k = 0; k < nb; k++) {
			const struct cap_rec *recs;
			uint32_t nr, j;

			CHECK_EQ_INT(capr__read_block(r, &bl[k], &recs, &nr, err, sizeof(err)), 0);
			for (j = 0; j < nr; j++, n++) {
				uint64_t v[5], i = recs[j].ts_ns - 1000;

				CHECK(recs[j].ts_ns >= 1000 && i < NREC && !seen[i]);
				seen[i] = 1;
				CHECK_EQ_INT(recs[j].stream, sid);
				CHECK_EQ_INT(recs[j].len, sizeof(v));
				memcpy(v, recs[j].data, sizeof(v));
				CHECK_EQ_INT(recs[j].cpu, i % 2);
				CHECK_EQ_U64(v[0], 1000 + i);
				CHECK_EQ_U64(v[1], i * 7);
				CHECK_EQ_U64(v[4], ~i);
			}
		}
		CHECK_EQ_INT(n, NREC);
	}
	capr__close(r);
	printf("test_rec_pipeline: ok (%llu stall, %.1f ms waited)\n", (unsigned long long)stalls,
	       wait_ns / 1e6);
	return 0;
}
