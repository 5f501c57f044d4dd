/* test_rec_pipeline_chain - the recorder's writer threads chaining their
 * blocks (pipeline_opts.chain_blocks: each worker's blocks continue the
 * dictionaries of the block it encoded before, block encoding 4 or 6): two
 * workers whose chains interleave in the capture, segments small enough
 * that chains meet their ends (a block whose base is not in its segment is
 * encoded again as a chain's first).  Every record reads back, value by
 * value, and most blocks are chained. */
#include <errno.h>
#include <unistd.h>

#include "capr.h"
#include "capw.h"
#include "pipeline.h"
#include "testutil.h"
#include "util.h"
#include "fixtures/capwone.h"

#define NREC 60000u

static void gen(uint64_t i, struct capwone_ev *e, uint64_t *rng)
{
	uint64_t r = test_rand(rng);
	uint32_t pid = 1000 + (uint32_t)((i / 8) * 2654435761u % 300);

	e->ts_ns = 1000 + i;
	e->pid = pid;
	e->tid = pid + (uint32_t)(r & 1);
	e->path_hash = (pid * 0x9E3779B97F4A7C15ull) ^ ((r >> 8) & 3);
	e->seq = i;
	e->latency = (r >> 20) & 0xffff;
}

int main(void)
{
	const char *dir = test_tmpdir("rec_pipeline_chain");
	struct capw_opts co = { .zstd_level = 1, .segment_bytes = 96 * 1024 };
	uint32_t sid;
	struct capw *w = capwone_open(dir, &co, &sid);
	/* (compact blocks only: a fast one, made when the writers fall
	 * behind, chains nothing) */
	struct pipeline_opts po = { .block_bytes = 32 * 1024, .nworkers = 2, .chain_blocks = 4,
				    .flush_ns = 3600ull * 1000000000, .effort = PIPELINE_COMPACT };
	static struct capwone_ev all[NREC];
	uint64_t rng = 5;

	util_quiet = 1;
	struct pipeline *p = pipeline__start(w, &po);
	CHECK(p);
	for (uint32_t i = 0; i < NREC; i++) {
		gen(i, &all[i], &rng);
		CHECK_EQ_INT(pipeline__append(p, sid, 0, all[i].ts_ns, &all[i], sizeof(all[i])), 0);
	}
	CHECK_EQ_INT(pipeline__stop(p), 0);
	pipeline__free(p);
	CHECK_EQ_INT(capw__close(w, NREC + 5000), 0);
	CHECK_EQ_INT(q_int_capture(dir, "SELECT coalesce(sum(count), 0) FROM losses"), 0);
	CHECK(q_int_capture(dir, "SELECT count(*) FROM segments") >= 3);

	struct capr *r;
	struct capr_cursor *c;
	const struct cap_block_info *bl;
	size_t nb;
	static uint8_t seen[NREC];
	uint32_t total = 0, chained = 0;

	capwone_reopen(dir, &r, &c, &bl, &nb);
	for (size_t k = 0; k < nb; k++) {
		const struct cap_rec *recs;
		uint32_t nr;

		chained += cap_block_encoding_chained(capwone_read(c, &bl[k], &recs, &nr));
		for (uint32_t j = 0; j < nr; j++, total++) {
			uint64_t i = recs[j].ts_ns - 1000;

			CHECK(i < NREC && !seen[i]);
			seen[i] = 1;
			CHECK_EQ_INT(recs[j].len, sizeof(struct capwone_ev));
			CHECK(!memcmp(recs[j].data, &all[i], sizeof(struct capwone_ev)));
		}
	}
	CHECK_EQ_INT(total, NREC);
	CHECK(chained * 2 >= nb);
	printf("test_rec_pipeline_chain: %zu blocks, %u chained\n", nb, chained);
	capr__cursor_free(c);
	capr__close(r);
	return 0;
}
