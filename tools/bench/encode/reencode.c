/* reencode.c - the bytes per event of this build's block encoder on a real
 * capture: every block of CAPTURE is decoded and encoded again, with the
 * same records and block boundaries, and the totals are compared with the
 * blocks as written.  Usage: reencode CAPTURE [LEVEL] [CHAIN] [WRITERS]
 * (CHAIN: blocks per chain, block_encoder__chain, 1: none (the default);
 * WRITERS: block b goes to encoder b mod WRITERS, each chaining its own,
 * as the recorder's writers did when each held its encoder; 1: every
 * block continues the one before) */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "block.h"
#include "capr.h"

int main(int argc, char **argv)
{
	const struct cap_block_info *blocks;
	unsigned long long events = 0, was = 0, now = 0;
	uint64_t digest = 1469598103934665603ull;   /* FNV-1a of the blocks written */
	struct block_encoder *encs[8] = { NULL };
	unsigned chain = 1, writers = 1;
	bool encs_ok = true;
	struct blockbuf *bb;
	struct capr *r;
	char err[512];
	size_t nb;
	int rc = 1;

	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: reencode CAPTURE [ZSTD_LEVEL (1)] [CHAIN (1)] [WRITERS (1)]\n");
		return 2;
	}
	if (argc > 3)
		chain = (unsigned)atoi(argv[3]);
	if (argc > 4)
		writers = (unsigned)atoi(argv[4]);
	if (writers < 1 || writers > 8) {
		fprintf(stderr, "reencode: WRITERS: 1 to 8\n");
		return 2;
	}
	r = capr__open(argv[1], err, sizeof(err));
	if (!r) {
		fprintf(stderr, "reencode: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < writers; i++) {
		encs[i] = block_encoder__new(argc > 2 ? atoi(argv[2]) : 1);
		if (encs[i])
			block_encoder__chain(encs[i], chain);
		encs_ok &= encs[i] != NULL;
	}
	bb = blockbuf__new(CAP_BLOCKBUF_MAX_BYTES);
	if (!encs_ok || !bb || capr__blocks(r, &blocks, &nb)) {
		fprintf(stderr, "reencode: out of memory\n");
		goto out;
	}
	for (size_t b = 0; b < nb; b++) {
		const struct cap_rec *recs;
		const unsigned char *out;
		struct cap_block_meta m;
		size_t len;
		uint32_t n;

		if (capr__read_block(r, &blocks[b], &recs, &n, err, sizeof(err))) {
			fprintf(stderr, "reencode: %s\n", err);
			goto out;
		}
		blockbuf__reset(bb);
		for (uint32_t i = 0; i < n; i++)
			if (blockbuf__add(bb, recs[i].stream, recs[i].cpu, recs[i].ts_ns, recs[i].data,
					  recs[i].len)) {
				fprintf(stderr, "reencode: block %zu does not fit a block buffer\n", b);
				goto out;
			}
		if (block_encoder__encode(encs[b % writers], bb, &out, &len, &m)) {
			fprintf(stderr, "reencode: block %zu: encoding failed\n", b);
			goto out;
		}
		events += n;
		was += blocks[b].meta.enc_bytes;
		now += len;
		for (size_t k = 0; k < len; k++)
			digest = (digest ^ out[k]) * 1099511628211ull;
	}
	if (!events) {
		fprintf(stderr, "reencode: no events\n");
		goto out;
	}
	printf("%llu events in %zu blocks (chains of %u, %u encoder%s): %.3f block bytes/event as written, %.3f re-encoded "
	       "(%llu bytes, digest %016llx: an encoder change that keeps the bytes keeps it)\n",
	       events, nb, chain ? chain : 1, writers, writers > 1 ? "s in turn" : "", (double)was / events, (double)now / events, now,
	       (unsigned long long)digest);
	printf("<= 4.6 bytes/event on the varied events (issue 18), re-encoded: %.2f: %s\n",
	       (double)now / events, (double)now / events <= 4.6 ? "met" : "NOT met");
	rc = 0;
out:
	blockbuf__free(bb);
	for (unsigned i = 0; i < writers; i++)
		block_encoder__free(encs[i]);
	capr__close(r);
	return rc;
}
