/* reencode.c - the bytes per event of this build's block encoder on a real
 * capture: every block of CAPTURE is decoded and encoded again, with the
 * same records and block boundaries, and the totals are compared with the
 * blocks as written.  Usage: reencode CAPTURE [LEVEL] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "block.h"
#include "capr.h"

int main(int argc, char **argv)
{
	const struct cap_block_info *blocks;
	unsigned long long events = 0, was = 0, now = 0;
	uint64_t digest = 1469598103934665603ull;   /* FNV-1a of the blocks written */
	struct block_encoder *enc;
	struct blockbuf *bb;
	struct capr *r;
	char err[512];
	size_t nb;
	int rc = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: reencode CAPTURE [ZSTD_LEVEL (1)]\n");
		return 2;
	}
	r = capr__open(argv[1], err, sizeof(err));
	if (!r) {
		fprintf(stderr, "reencode: %s\n", err);
		return 1;
	}
	enc = block_encoder__new(argc > 2 ? atoi(argv[2]) : 1);
	bb = blockbuf__new(CAP_BLOCKBUF_MAX_BYTES);
	if (!enc || !bb || capr__blocks(r, &blocks, &nb)) {
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
		if (block_encoder__encode(enc, bb, &out, &len, &m)) {
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
	printf("%llu events in %zu blocks: %.3f block bytes/event as written, %.3f re-encoded "
	       "(%llu bytes, digest %016llx: an encoder change that keeps the bytes keeps it)\n",
	       events, nb, (double)was / events, (double)now / events, now,
	       (unsigned long long)digest);
	printf("<= 4.6 bytes/event on the varied events (issue 18), re-encoded: %.2f: %s\n",
	       (double)now / events, (double)now / events <= 4.6 ? "met" : "NOT met");
	rc = 0;
out:
	blockbuf__free(bb);
	block_encoder__free(enc);
	capr__close(r);
	return rc;
}
