/* test_block_compat - captures written by earlier encoders stay readable.
 *
 * tests/data/capture-enc1/ is a capture written by the block encoder of
 * encoding 1 (before keyed dictionaries, FORMAT.md "Body"): one stream of
 * 64-byte events from the generator below (tasks with threads, their comms
 * and files, operations, latencies), 6000 records in three blocks.  It is
 * opened with capr and every record is compared, value by value, with the
 * generator's.  tests/data/capture-enc2/ holds the same events written by
 * the encoder of encoding 2 (it keys the comm and file dictionaries by the
 * pid|tid word) and is checked the same way, and tests/data/capture-enc3/
 * by that of encoding 3 (keyed by the pid half of the word, KEY_LO, and
 * first uses coded as "the next value", DICT_NEXT), and
 * tests/data/capture-enc4/ by that of encoding 4 with chains of 8 (the
 * recorder's default: its second and third blocks continue the first's
 * dictionaries), read whole and, in reverse block order, projected as the
 * SQL tables read (a few words: each block's chain decoded for what they
 * need).  tests/data/capture-enc6/ holds them written by the encoder of
 * the tenth session's end (escaped codes: its blocks are encodings 5, 6
 * and 6, chains of 8), checked whole and projected the same way.  Then
 * the same events are written with today's encoder, alone and chained,
 * and read back the same way.
 *
 *   test_block_compat --write DIR [CHAIN]   writes the capture (how the
 *                                           fixtures were made)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "capr.h"
#include "capw.h"
#include "testutil.h"
#include "fixtures/genev.h"

#define NREC 6000u
#define T0 5000000000ull
#define BLOCK_BYTES (192u * 1024u)   /* about 2200 records a block */

static void write_capture(const char *dir, unsigned chain)
{
	struct cap_session sess = {
		.host = "compat", .kernel_release = "6.1.0-fix", .boot_id = "c0mpat",
		.cmdline = "test_block_compat --write", .tool_version = "bpfrec 0.1.0",
		.clock_boot_ns = 1000000000ull, .clock_real_ns = 1714564800000000000ull,
		.start_ns = T0 - 1000,
	};
	struct capw_opts o = { .chain_blocks = chain };
	struct capw *w = capw__create(dir, &o);
	struct blockbuf *bb = blockbuf__new(BLOCK_BYTES);
	struct genev_gen g = { .rng = 0x1234567, .now = T0 };
	uint32_t obj = 0, sid = 0;
	struct genev e;

	CHECK(w && bb);
	CHECK(!capw__set_session(w, &sess));
	CHECK(!capw__add_object(w, "compat", NULL, NULL, 0, &obj));
	struct cap_stream_desc d = { "events", "ringbuf", obj, "events", NULL, 0, 0 };
	CHECK(!capw__add_stream(w, &d, &sid));
	for (uint64_t i = 0; i < NREC; i++) {
		genev_next(&g, i, &e);
		int rc = blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e.ts_ns, &e, sizeof(e));
		if (rc == -ENOSPC) {
			CHECK(!capw__write_block(w, bb));
			blockbuf__reset(bb);
			rc = blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e.ts_ns, &e, sizeof(e));
		}
		CHECK_EQ_INT(rc, 0);
	}
	CHECK(!capw__write_block(w, bb));
	CHECK(!capw__close(w, g.now + 1000));
	blockbuf__free(bb);
}

/* The encoding field of block k (from 0) of dir's first segment. */
static unsigned block_encoding(const char *dir, unsigned k)
{
	char path[4200];
	uint8_t h[CAP_BLOCK_HDR_BYTES];
	uint32_t enc_bytes;
	long off = CAP_SEG_HDR_BYTES;
	FILE *f;

	snprintf(path, sizeof(path), "%s/seg-000001.bpfrec", dir);
	f = fopen(path, "rb");
	CHECK(f);
	for (unsigned i = 0;; i++) {
		CHECK(!fseek(f, off, SEEK_SET) && fread(h, 1, sizeof(h), f) == sizeof(h));
		CHECK(!block__parse_header(h, sizeof(h), &enc_bytes, NULL));
		if (i == k)
			break;
		off += enc_bytes;
	}
	fclose(f);
	return h[6] | h[7] << 8;
}

static unsigned first_block_encoding(const char *dir)
{
	return block_encoding(dir, 0);
}

/* The records of the capture at dir read as the SQL tables read them:
 * only the pid|tid, seq and file words (1, 2, 5), blocks in reverse order,
 * each read alone (a chained block's chain decoded for those words). */
static void check_projected(const char *dir)
{
	char err[512];
	struct capr *r = capr__open(dir, err, sizeof(err));
	const struct cap_block_info *blocks;
	static struct genev all[NREC];
	struct genev_gen g = { .rng = 0x1234567, .now = T0 };
	uint64_t words = 1u << 1 | 1u << 2 | 1u << 5, total = 0;
	size_t nb;

	for (uint64_t i = 0; i < NREC; i++)
		genev_next(&g, i, &all[i]);
	CHECK(r);
	CHECK(!capr__blocks(r, &blocks, &nb));
	struct capr_cursor *c = capr__cursor_new(r);
	struct block_want w = { .stream = 1, .words = &words, .nwords = 8, .compact = true };
	CHECK(c);
	capr__cursor_want(c, &w);
	for (size_t b = nb; b-- > 0;) {
		const struct cap_rec *recs;
		uint32_t n;

		if (capr__cursor_read(c, &blocks[b], &recs, &n, err, sizeof(err)))
			fprintf(stderr, "%s\n", err);
		for (uint32_t k = 0; k < n; k++) {
			uint64_t seq, pt, path;

			memcpy(&seq, recs[k].data + 16, 8);
			CHECK(seq >= 1 && seq <= NREC);
			const struct genev *want = &all[seq - 1];
			memcpy(&pt, recs[k].data + 8, 8);
			memcpy(&path, recs[k].data + 40, 8);
			CHECK_EQ_U64(recs[k].ts_ns, want->ts_ns);
			CHECK_EQ_U64(pt, (uint64_t)want->tid << 32 | want->pid);
			CHECK_EQ_U64(path, want->path_hash);
		}
		total += n;
	}
	CHECK_EQ_U64(total, NREC);
	capr__cursor_free(c);
	capr__close(r);
}

/* Every record of the capture at dir equals the generator's, in order;
 * returns the number of blocks. */
static size_t check_capture(const char *dir)
{
	char err[512];
	struct capr *r = capr__open(dir, err, sizeof(err));
	const struct cap_block_info *blocks;
	struct genev_gen g = { .rng = 0x1234567, .now = T0 };
	size_t nb;
	uint64_t i = 0;
	struct genev want;

	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r);
	CHECK(!capr__blocks(r, &blocks, &nb));
	for (size_t b = 0; b < nb; b++) {
		const struct cap_rec *recs;
		uint32_t n;

		if (capr__read_block(r, &blocks[b], &recs, &n, err, sizeof(err)))
			fprintf(stderr, "%s\n", err);
		for (uint32_t k = 0; k < n; k++, i++) {
			struct genev got;

			genev_next(&g, i, &want);
			CHECK_EQ_U64(recs[k].ts_ns, want.ts_ns);
			CHECK_EQ_U64(recs[k].cpu, CAP_CPU_UNKNOWN);
			CHECK_EQ_INT(recs[k].len, sizeof(want));
			memcpy(&got, recs[k].data, sizeof(got));
			CHECK_EQ_U64(got.ts_ns, want.ts_ns);
			CHECK_EQ_INT(got.pid, want.pid);
			CHECK_EQ_INT(got.tid, want.tid);
			CHECK_EQ_U64(got.seq, want.seq);
			CHECK(!memcmp(got.comm, want.comm, 16));
			CHECK_EQ_U64(got.path_hash, want.path_hash);
			CHECK_EQ_INT(got.op, want.op);
			CHECK_EQ_INT(got.ret, want.ret);
			CHECK_EQ_U64(got.latency_ns, want.latency_ns);
			CHECK(!memcmp(recs[k].data, &want, sizeof(want)));
		}
	}
	CHECK_EQ_U64(i, NREC);
	capr__close(r);
	return nb;
}

int main(int argc, char **argv)
{
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--write")) {
		write_capture(argv[2], argc == 4 ? (unsigned)atoi(argv[3]) : 0);
		return 0;
	}
	const char *src = getenv("BPFREC_SRC");
	char path[4096];

	CHECK(src);
	snprintf(path, sizeof(path), "%s/tests/data/capture-enc1", src);
	CHECK_EQ_INT(first_block_encoding(path), 1);
	CHECK_EQ_INT(check_capture(path), 3);
	snprintf(path, sizeof(path), "%s/tests/data/capture-enc2", src);
	CHECK_EQ_INT(first_block_encoding(path), 2);
	CHECK_EQ_INT(check_capture(path), 3);
	snprintf(path, sizeof(path), "%s/tests/data/capture-enc3", src);
	CHECK_EQ_INT(first_block_encoding(path), 3);
	CHECK_EQ_INT(check_capture(path), 3);
	snprintf(path, sizeof(path), "%s/tests/data/capture-enc4", src);
	CHECK_EQ_INT(block_encoding(path, 0), 3);   /* a chain's first */
	CHECK_EQ_INT(block_encoding(path, 1), 4);
	CHECK_EQ_INT(block_encoding(path, 2), 4);
	CHECK_EQ_INT(check_capture(path), 3);
	check_projected(path);
	snprintf(path, sizeof(path), "%s/tests/data/capture-enc6", src);
	CHECK_EQ_INT(block_encoding(path, 0), 5);   /* 3 with escaped codes */
	CHECK_EQ_INT(block_encoding(path, 1), 6);   /* 4 with escaped codes */
	CHECK_EQ_INT(block_encoding(path, 2), 6);
	CHECK_EQ_INT(check_capture(path), 3);
	check_projected(path);

	const char *dir = test_tmpdir("block_compat");
	char now[4200];
	snprintf(now, sizeof(now), "%s/now", dir);
	write_capture(now, 0);
	CHECK_EQ_INT(first_block_encoding(now), 7);   /* 5 with ts modes */
	CHECK_EQ_INT(check_capture(now), 3);
	snprintf(now, sizeof(now), "%s/now-chained", dir);
	write_capture(now, 8);
	CHECK_EQ_INT(block_encoding(now, 0), 7);
	CHECK_EQ_INT(block_encoding(now, 2), 8);   /* 6 with ts modes */
	CHECK_EQ_INT(check_capture(now), 3);
	check_projected(now);
	printf("ok: %u records of the encoding-1 to -6 fixtures and of today's encoder\n", NREC);
	return 0;
}
