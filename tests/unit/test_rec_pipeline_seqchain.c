/* test_rec_pipeline_seqchain - which block a chained block continues when
 * the recorder's writers share their encoders (pipeline.c,
 * take_encoder_locked): a block takes the encoder of the block before
 * when that one is done with it, so at low load consecutive blocks chain;
 * while it is busy, another (the writers do not wait for each other).
 * Without root or BPF: the test is the drain thread and seals each block
 * by hand, four writers, chains of 4, compact blocks:
 *   blocks 0-9    each after the writers are done with the one before:
 *                 chains 0-3, 4-7, 8-9.., each block's base the one before
 *   10, 11        handed over while a writer is held (so both are being
 *                 encoded at once): 10 continues 9, 11 cannot (9's encoder
 *                 is 10's) and starts a chain
 *   12-15         after the writers again: 12 continues 11 (the newest
 *                 chain, not 10's), 13 and 14 follow, 15 starts a chain
 * Every block is checked against its expected base by header CRC, and
 * every record reads back value by value. */
#include <string.h>
#include <unistd.h>

#include "capw.h"
#include "pipeline.h"
#include "testutil.h"
#include "fixtures/pipeblocks.h"

#define PER_BLOCK 300u
#define NBLOCKS 16u

static struct capwone_ev all[NBLOCKS * PER_BLOCK];

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void send_synced(struct pipeline *p, uint32_t sid, uint32_t k)
{
	pipeblocks_send(p, sid, all, PER_BLOCK, k);
	pipeblocks_sync(p);
}

/* Waits until the writers have encoded n blocks in all (the held writer
 * keeps them from being written). */
static void wait_encoded(struct pipeline *p, uint64_t n)
{
	uint64_t blocks = 0, fast = 0;

	for (int i = 0; i < 60000; i++) {
		pipeline__blocks(p, &blocks, &fast);
		if (blocks >= n)
			return;
		usleep(1000);
	}
	CHECK_EQ_U64(blocks, n);
}

int main(void)
{
	const char *dir = test_tmpdir("rec_pipeline_seqchain");
	struct capw_opts co = { .zstd_level = 1 };
	uint32_t sid;
	struct capw *w = capwone_open(dir, &co, &sid);
	struct pipeline_opts po = { .nworkers = 4, .chain_blocks = 4,
				    .flush_ns = 1000000000ull, .effort = PIPELINE_COMPACT };
	/* Each block's base by block number, -1: a chain's first. */
	static const int want_base[NBLOCKS] = { -1, 0, 1, 2, -1, 4, 5, 6,
						-1, 8, 9, -1, 11, 12, 13, -1 };
	uint32_t hdr_crc[NBLOCKS] = { 0 };
	int fds[2];

	util_quiet = 1;
	pipeblocks_gen(all, NBLOCKS * PER_BLOCK, 11);
	CHECK_EQ_INT(pipe(fds), 0);
	struct pipeline *p = pipeline__start(w, &po);
	CHECK(p);
	for (uint32_t k = 0; k < 10; k++)
		send_synced(p, sid, k);
	/* One writer held in the turn: the next two blocks are encoded at
	 * once by two others (a third takes the flush between). */
	pipeline__call(p, capwone_hold_writer, &fds[0]);
	pipeblocks_send(p, sid, all, PER_BLOCK, 10);
	pipeblocks_send(p, sid, all, PER_BLOCK, 11);
	wait_encoded(p, 12);
	CHECK_EQ_INT(write(fds[1], "x", 1), 1);
	pipeblocks_sync(p);
	for (uint32_t k = 12; k < NBLOCKS; k++)
		send_synced(p, sid, k);
	CHECK_EQ_INT(pipeline__stop(p), 0);
	pipeline__free(p);
	CHECK_EQ_INT(capw__close(w, 1000000), 0);
	CHECK_EQ_INT(q_int_capture(dir, "SELECT coalesce(sum(count), 0) FROM losses"), 0);

	struct capr *r;
	struct capr_cursor *c;
	const struct cap_block_info *bl;
	size_t nb;

	capwone_reopen(dir, &r, &c, &bl, &nb);
	CHECK_EQ_INT(nb, NBLOCKS);
	for (uint32_t b = 0; b < nb; b++) {
		const struct cap_rec *recs;
		const uint8_t *enc;
		size_t len;
		uint32_t nr, base = 0;
		unsigned encoding = capwone_read(c, &bl[b], &recs, &nr);

		CHECK_EQ_INT(nr, PER_BLOCK);
		/* Written in the order sent. */
		CHECK_EQ_U64(recs[0].ts_ns, all[b * PER_BLOCK].ts_ns);
		for (uint32_t j = 0; j < nr; j++) {
			uint32_t i = b * PER_BLOCK + j;

			CHECK_EQ_U64(recs[j].ts_ns, all[i].ts_ns);
			CHECK_EQ_INT(recs[j].len, sizeof(struct capwone_ev));
			CHECK_EQ_INT(recs[j].stream, sid);
			CHECK(!memcmp(recs[j].data, &all[i], sizeof(struct capwone_ev)));
		}
		capr__cursor_encoded(c, &enc, &len);
		CHECK(len > 48);
		hdr_crc[b] = le32(enc + 44)   /* the header's hdr_crc (FORMAT.md) */;
		CHECK_EQ_INT(block__base_crc(enc, len, &base), 0);
		if (want_base[b] < 0 ? base != 0 || cap_block_encoding_chained(encoding) :
				       base != hdr_crc[want_base[b]])
			fprintf(stderr, "block %u: encoding %u, base crc %08x, expected %s%d\n", b,
				encoding, base, want_base[b] < 0 ? "none" : "block ", want_base[b]);
		if (want_base[b] < 0) {
			CHECK_EQ_INT(base, 0);
			CHECK(!cap_block_encoding_chained(encoding));
		} else {
			CHECK(cap_block_encoding_chained(encoding));
			CHECK_EQ_U64(base, hdr_crc[want_base[b]]);
		}
	}
	capr__cursor_free(c);
	capr__close(r);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
