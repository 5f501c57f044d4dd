/* test_block_chain - chained dictionaries (block encoding 4): an encoder
 * chaining K blocks writes blocks that continue their base's dictionaries,
 * each decodes value by value with what its base left, is smaller than the
 * same records unchained, and every way of naming a base the reader does
 * not have (none, another block's, a chain too long, CRC 0, the flags of
 * encoding 4 elsewhere) is refused.  Projected reads of a chain leave
 * what the same projection needs, and a block whose base left less is
 * refused (-ESTALE), never decoded with what its base does not say.
 *
 *   test_block_chain --seed FILE   writes fuzz_block's chain seed
 */
#include <errno.h>
#include <stdint.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_frameHeaderSize */
#include <zstd.h>

#include "block.h"
#include "testutil.h"
#include "fixtures/blockseal.h"
#include "fixtures/genev.h"

#define NBLK 16u
#define CHAIN 4u
#define BLOCK_BYTES (96u * 1024u)

/* One appended record, as the decoder must give it back. */
struct want {
	uint32_t stream;
	uint64_t ts;
	uint32_t len;
	uint8_t data[64];
};

struct blk {
	uint8_t *buf;
	size_t len;
	struct want *w;        /* in the decoder's order: by stream, then appended */
	uint32_t n;
};

static int cmp_want(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	if (x->stream != y->stream)
		return x->stream < y->stream ? -1 : 1;
	return 0;
}

/* Tasks in bursts, each with its comm and a few files of a shared pool
 * (the dictionaries that recur block after block), on stream 5; a 24-byte
 * event on stream 9 now and then; variable-length records on stream 2. */
static void make_blocks(unsigned chain, struct blk *out, size_t *total)
{
	static const char names[8][16] = { "nginx", "postgres", "python3", "bash",
					   "sshd", "kworker/u8:", "cc1", "envoy" };
	struct blockbuf *bb = blockbuf__new(BLOCK_BYTES);
	struct block_encoder *e = block_encoder__new(1);
	uint64_t rng = 42, now = 1000000, seq = 0;
	uint32_t pid = 0, burst = 0, nthreads = 1, comm = 0, fbase = 0;
	struct want *w = calloc(BLOCK_BYTES / 24 + 1, sizeof(*w));
	uint32_t nw = 0;

	CHECK(bb && e && w);
	block_encoder__chain(e, chain);
	*total = 0;
	for (unsigned b = 0; b < NBLK; b++) {
		for (;;) {
			struct genev ev;
			uint8_t rec[64];
			uint32_t stream, len;
			uint64_t r = test_rand(&rng);

			if (!burst) {
				pid = (r & 1) ? 1000 + ((r >> 8) & 15) : 1000 + ((r >> 8) % 400);
				uint64_t h = genev_mix64(pid);
				nthreads = (h & 3) == 0 ? 4 : 1;
				comm = (uint32_t)((h >> 8) % 40);
				fbase = (uint32_t)((h >> 20) & 1023);
				burst = 1 + (uint32_t)((r >> 32) & 15);
			}
			burst--;
			r = test_rand(&rng);
			now += 100 + (r >> 58);
			if ((r & 63) == 7) {   /* a short event */
				stream = 9;
				len = 24;
				memset(rec, 0, sizeof(rec));
				memcpy(rec, &now, 8);
				memcpy(rec + 8, &pid, 4);
				rec[16] = (uint8_t)(r >> 20);
			} else if ((r & 63) == 9) {   /* a variable-length one */
				stream = 2;
				len = 1 + (uint32_t)((r >> 24) % 40);
				for (uint32_t k = 0; k < len; k++)
					rec[k] = (uint8_t)(r >> (k % 56));
			} else {
				stream = 5;
				len = 64;
				memset(&ev, 0, sizeof(ev));
				ev.ts_ns = now;
				ev.pid = pid;
				ev.tid = pid + (nthreads > 1 ? (uint32_t)(r & 3) : 0);
				ev.seq = ++seq;
				memcpy(ev.comm, names[comm & 7], 16);
				ev.comm[14] = (char)('0' + comm / 8);
				ev.path_hash = genev_mix64(0x5eed0000ull + ((fbase + ((r >> 4) & 7)) & 2047));
				ev.op = (uint32_t)((r >> 8) % 6);
				ev.ret = ev.op == 2 ? 4096 : -(int32_t)((r >> 12) & 3);
				ev.latency_ns = (1ull << (8 + (r >> 40) % 10)) + ((r >> 16) & 255);
				memcpy(rec, &ev, 64);
			}
			int rc = blockbuf__add(bb, stream, 0xffffffffu, now, rec, len);
			if (rc == -ENOSPC)
				break;
			CHECK_EQ_INT(rc, 0);
			w[nw].stream = stream;
			w[nw].ts = now;
			w[nw].len = len;
			memcpy(w[nw].data, rec, len);
			nw++;
		}
		const uint8_t *enc;
		size_t len;
		struct cap_block_meta m;

		CHECK_EQ_INT(block_encoder__encode(e, bb, &enc, &len, &m), 0);
		CHECK_EQ_INT(m.nrecords, nw);
		/* Every CHAIN-th block starts a chain; the others continue the
		 * one before and say whose dictionaries they continue. */
		bool want_chained = chain > 1 && b % chain;
		/* (7 and 8: every compact block, 5 and 6 with a mode per ts
		 * column) */
		CHECK_EQ_INT(enc[6], want_chained ? 8 : 7);
		CHECK_EQ_INT(cap_block_encoding_chained(enc[6]), want_chained);
		if (want_chained) {
			CHECK_EQ_U64(block_encoder__base_crc(e),
				     (uint32_t)crc32(0, out[b - 1].buf, 44));
			/* the base's CRC alone in the frame's first zstd block,
			 * so that a reader reads it cheaply (block__base_crc) */
			const uint8_t *f = enc + 48;
			size_t fh = ZSTD_frameHeaderSize(f, len - 48);
			CHECK(!ZSTD_isError(fh) && fh + 3 + 4 < len - 48);
			uint32_t bh = f[fh] | f[fh + 1] << 8 | (uint32_t)f[fh + 2] << 16;
			CHECK_EQ_INT(bh >> 3, 4);          /* 4 bytes of content */
			CHECK_EQ_INT((bh >> 1) & 3, 0);    /* stored raw */
			CHECK_EQ_INT(bh & 1, 0);           /* not the last */
			uint32_t named;
			CHECK_EQ_INT(block__base_crc(enc, len, &named), 0);
			CHECK_EQ_U64(named, (uint32_t)crc32(0, out[b - 1].buf, 44));
		}
		else
			CHECK_EQ_U64(block_encoder__base_crc(e), 0);
		out[b].buf = malloc(len);
		CHECK(out[b].buf);
		memcpy(out[b].buf, enc, len);
		out[b].len = len;
		*total += len;
		qsort(w, nw, sizeof(*w), cmp_want);   /* stable enough: see check_recs */
		out[b].w = w;
		out[b].n = nw;
		w = calloc(BLOCK_BYTES / 24 + 1, sizeof(*w));
		CHECK(w);
		nw = 0;
		blockbuf__reset(bb);
	}
	free(w);
	blockbuf__free(bb);
	block_encoder__free(e);
}

/* The decoded records against the appended ones: grouped by stream, and
 * within a stream in the order appended (the ts rises with it, so the
 * qsort above, which is not stable, is checked by ts within each stream). */
static void check_recs(const struct blk *b, const struct cap_rec *recs, uint32_t n)
{
	CHECK_EQ_INT(n, b->n);
	for (uint32_t i = 0; i < n; i++) {
		const struct want *w = NULL;

		/* the record with this stream and ts (unique: time rises) */
		for (uint32_t j = 0; j < b->n && !w; j++)
			if (b->w[j].stream == recs[i].stream && b->w[j].ts == recs[i].ts_ns)
				w = &b->w[j];
		CHECK(w);
		CHECK_EQ_INT(recs[i].len, w->len);
		CHECK(!memcmp(recs[i].data, w->data, w->len));
		if (i)
			CHECK(recs[i].stream > recs[i - 1].stream ||
			      (recs[i].stream == recs[i - 1].stream &&
			       recs[i].ts_ns > recs[i - 1].ts_ns));
	}
}

/* A block of body (its header's fields from hdr, encoding enc). */
static size_t reseal(uint8_t *blk, size_t cap, const uint8_t *hdr, unsigned enc,
		     const uint8_t *body, size_t raw)
{
	uint8_t h[BLOCKSEAL_HDR];

	memcpy(h, hdr, sizeof(h));
	h[6] = (uint8_t)enc;
	return blockseal_into(blk, cap, h, body, raw, 0);
}

static uint8_t *body_of(const struct blk *b, size_t *raw)
{
	*raw = (uint32_t)b->buf[12] | (uint32_t)b->buf[13] << 8 | (uint32_t)b->buf[14] << 16 |
	       (uint32_t)b->buf[15] << 24;
	uint8_t *body = malloc(*raw + 64);
	CHECK(body);
	CHECK_EQ_U64(ZSTD_decompress(body, *raw, b->buf + 48, b->len - 48), *raw);
	return body;
}

/* The offset of stream 5's group flags in a body (after the base CRC when
 * skip is 4): nstreams, then groups 2 (variable), 5, 9 in order. */
static size_t flags_of_stream5(const uint8_t *body, size_t raw, size_t skip)
{
	(void)raw;
	/* Found by the flags byte itself: WORDS | FIXED_LEN | CPU_RUN and the
	 * dictionary flags, right after stream id 5 and a count varint. */
	for (size_t i = skip + 1; i + 4 < raw; i++)
		if (body[i] == 5 && (body[i + 3] & 0x4b) == 0x4b)
			return i + 3;
	CHECK(!"stream 5's group not found");
	return 0;
}

/* The offset of the first group's flags in a chained body: after the
 * base's CRC, nstreams, the stream id and the count (varints). */
static size_t flags_of_first(const uint8_t *body, size_t raw)
{
	size_t i = 4;

	for (int v = 0; v < 3; v++) {
		while (i < raw && (body[i] & 0x80))
			i++;
		i++;
	}
	CHECK(i < raw);
	return i;
}

/* The fuzz seed (tests/fuzz/fuzz_block.c, "BRCH"): a chain's first block,
 * then the second's header fields and body after its base's CRC. */
static int write_seed(const char *path, const struct blk *b)
{
	size_t raw;
	uint8_t *body = body_of(&b[1], &raw), len[4];
	FILE *f = fopen(path, "wb");

	CHECK(f);
	tu_put_le32(len, (uint32_t)b[0].len);
	CHECK(fwrite("BRCH", 1, 4, f) == 4 && fwrite(len, 1, 4, f) == 4);
	CHECK(fwrite(b[0].buf, 1, b[0].len, f) == b[0].len);
	CHECK(fwrite(b[1].buf + 16, 1, 24, f) == 24);
	CHECK(fwrite(body + 4, 1, raw - 4, f) == raw - 4);
	CHECK(!fclose(f));
	free(body);
	return 0;
}

/* The wanted words (bits of words, 64-byte stream-5 records) of b's
 * stream-5 records against the appended ones. */
static void check_words(const struct blk *b, const struct cap_rec *recs, uint32_t n,
			uint64_t words)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < b->n; i++)
		m += b->w[i].stream == 5;
	CHECK_EQ_INT(n, m);
	for (uint32_t i = 0; i < n; i++) {
		const struct want *w = NULL;

		CHECK_EQ_INT(recs[i].stream, 5);
		for (uint32_t j = 0; j < b->n && !w; j++)
			if (b->w[j].stream == 5 && b->w[j].ts == recs[i].ts_ns)
				w = &b->w[j];
		CHECK(w);
		CHECK_EQ_INT(recs[i].len, 64);
		for (unsigned k = 0; k < 8; k++)
			if (words >> k & 1)
				CHECK(!memcmp(recs[i].data + 8 * k, w->data + 8 * k, 8));
	}
}

/* Projected reads of a chain (FORMAT.md "Projected decodes (SQL)"): each
 * block, and each base decoded for what it leaves only, reads the prefix
 * of its body its projection needs and leaves what the same projection
 * needs of it; a block whose base left less is refused with -ESTALE, never
 * decoded with what its base does not say. */
static void test_projected(const struct blk *chained)
{
	/* genev words: 0 ts, 1 pid|tid (the key), 2 seq, 3-4 comm, 5 the
	 * file (keyed), 6 op|ret, 7 latency */
	static const uint64_t projs[] = { 1u << 1, 1u << 5 | 1u << 2, 1u << 7, 1u << 4 | 1u << 2,
					  0xff };
	struct block_decoder *d = block_decoder__new(CAP_BLOCK_MAX_RAW);
	struct block_decoder *bd = block_decoder__new(CAP_BLOCK_MAX_RAW);
	struct block_dicts *st[NBLK], *bst[2] = { block_dicts__new(), block_dicts__new() };
	const struct cap_rec *recs;
	uint32_t n;
	char err[256];

	CHECK(d && bd && bst[0] && bst[1]);
	for (unsigned i = 0; i < NBLK; i++)
		CHECK(st[i] = block_dicts__new());
	for (size_t pi = 0; pi < sizeof(projs) / sizeof(projs[0]); pi++) {
		uint64_t words = projs[pi];
		struct block_want want = { .stream = 5, .words = &words, .nwords = 8 };
		size_t prefix = 0, whole = 0;

		block_decoder__want(d, &want);
		block_decoder__want(bd, &want);
		for (unsigned b = 0; b < NBLK; b++) {
			/* in order, each with what the one before left */
			const struct block_dicts *base = b % CHAIN ? st[b - 1] : NULL;
			int rc = block_decoder__decode_chain(d, chained[b].buf, chained[b].len, base,
							     st[b], NULL, &recs, &n, err, sizeof(err));
			if (rc)
				fprintf(stderr, "projection %zu, block %u: %s\n", pi, b, err);
			CHECK_EQ_INT(rc, 0);
			check_words(&chained[b], recs, n, words);
			prefix += block_decoder__raw_read(d);
			CHECK(!block_dicts__whole(st[b]));
			/* alone: its chain's blocks decoded for what they leave
			 * only (no records), then the block */
			const struct block_dicts *alone = NULL;
			for (unsigned a = b - b % CHAIN; a < b; a++) {
				struct block_dicts *o = bst[a % 2];
				CHECK_EQ_INT(block_decoder__decode_chain(bd, chained[a].buf, chained[a].len,
									 alone, o, NULL, NULL, NULL, err,
									 sizeof(err)), 0);
				alone = o;
			}
			CHECK_EQ_INT(block_decoder__decode_chain(d, chained[b].buf, chained[b].len, alone,
								 NULL, NULL, &recs, &n, err,
								 sizeof(err)), 0);
			check_words(&chained[b], recs, n, words);
			CHECK_EQ_INT(block_decoder__decode_chain(d, chained[b].buf, chained[b].len, NULL,
								 NULL, NULL, &recs, &n, err,
								 sizeof(err)), b % CHAIN ? -ENOENT : 0);
			struct cap_block_meta m;
			CHECK_EQ_INT(block__parse_header(chained[b].buf, chained[b].len, NULL, &m), 0);
			whole += m.raw_bytes;
		}
		/* (these bodies fit in one zstd block, which zstd decodes
		 * whole: no prefix is shorter here; test_capr_chain's are) */
		CHECK(prefix <= whole);
	}

	/* What a projection left serves that projection only: the file's
	 * column (keyed by pid|tid) was stepped over by a pid|tid-only read,
	 * and the latency-only read stopped before either.  Refused, not
	 * decoded with lists the base does not have. */
	uint64_t pid = 1u << 1, file = 1u << 5, lat = 1u << 7;
	struct block_want wp = { .stream = 5, .words = &pid, .nwords = 8 };
	struct block_want wf = { .stream = 5, .words = &file, .nwords = 8 };
	struct block_want wl = { .stream = 5, .words = &lat, .nwords = 8 };
	struct block_want w9 = { .stream = 9 };
	const struct block_want *left[] = { &wp, &w9, &wl, &wp };
	const struct block_want *now[] = { &wf, &wp, &wf, NULL };
	for (unsigned t = 0; t < 4; t++) {
		block_decoder__want(d, left[t]);
		CHECK_EQ_INT(block_decoder__decode_chain(d, chained[4].buf, chained[4].len, NULL, st[4],
							 NULL, &recs, &n, err, sizeof(err)), 0);
		CHECK(!block_dicts__whole(st[4]));
		block_decoder__want(d, now[t]);
		int rc = block_decoder__decode_chain(d, chained[5].buf, chained[5].len, st[4], NULL,
						     NULL, &recs, &n, err, sizeof(err));
		if (rc != -ESTALE)
			fprintf(stderr, "stale case %u: %d %s\n", t, rc, err);
		CHECK_EQ_INT(rc, -ESTALE);
		CHECK(strstr(err, "rebuilt for a projection"));
	}
	/* chain_full: a projected read that leaves every column whole, which
	 * any later read can continue */
	block_decoder__want(d, &wp);
	block_decoder__chain_full(d, true);
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[4].buf, chained[4].len, NULL, st[4], NULL,
						 &recs, &n, err, sizeof(err)), 0);
	check_words(&chained[4], recs, n, pid);
	CHECK(block_dicts__whole(st[4]));
	struct cap_block_meta m4;
	CHECK_EQ_INT(block__parse_header(chained[4].buf, chained[4].len, NULL, &m4), 0);
	CHECK_EQ_U64(block_decoder__raw_read(d), m4.raw_bytes);   /* the whole body */
	block_decoder__chain_full(d, false);
	block_decoder__want(d, NULL);
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[5].buf, chained[5].len, st[4], NULL, NULL,
						 &recs, &n, err, sizeof(err)), 0);
	check_recs(&chained[5], recs, n);
	/* neither records nor dictionaries: a caller's mistake */
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[4].buf, chained[4].len, NULL, NULL, NULL,
						 NULL, NULL, err, sizeof(err)), -EINVAL);

	for (unsigned i = 0; i < NBLK; i++)
		block_dicts__free(st[i]);
	block_dicts__free(bst[0]);
	block_dicts__free(bst[1]);
	block_decoder__free(d);
	block_decoder__free(bd);
}

int main(int argc, char **argv)
{
	struct blk chained[NBLK], plain[NBLK];
	size_t tc, tp;
	struct block_decoder *d = block_decoder__new(CAP_BLOCK_MAX_RAW);
	struct block_dicts *st[NBLK + 1];
	const struct cap_rec *recs;
	uint32_t n, need;
	char err[256];

	CHECK(d);
	for (unsigned i = 0; i <= NBLK; i++)
		CHECK(st[i] = block_dicts__new());

	make_blocks(CHAIN, chained, &tc);
	if (argc == 3 && !strcmp(argv[1], "--seed"))
		return write_seed(argv[2], chained);
	make_blocks(1, plain, &tp);
	/* The point of it: the same records in fewer bytes. */
	fprintf(stderr, "%u blocks: %zu bytes chained by %u, %zu unchained\n", NBLK, tc, CHAIN, tp);
	CHECK(tc * 100 < tp * 95);

	/* In order, each with what the one before left. */
	for (unsigned b = 0; b < NBLK; b++) {
		const struct block_dicts *base = b % CHAIN ? st[b - 1] : NULL;

		int rc = block_decoder__decode_chain(d, chained[b].buf, chained[b].len, base, st[b],
						     &need, &recs, &n, err, sizeof(err));
		if (rc)
			fprintf(stderr, "block %u: %s\n", b, err);
		CHECK_EQ_INT(rc, 0);
		check_recs(&chained[b], recs, n);
		/* the unchained ones read alone, as ever */
		CHECK_EQ_INT(block_decoder__decode(d, plain[b].buf, plain[b].len, &recs, &n, err,
						   sizeof(err)), 0);
		check_recs(&plain[b], recs, n);
	}
	/* A chain's first block reads alone; the others do not. */
	CHECK_EQ_INT(block_decoder__decode(d, chained[4].buf, chained[4].len, &recs, &n, err,
					   sizeof(err)), 0);
	check_recs(&chained[4], recs, n);
	need = 0;
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[6].buf, chained[6].len, NULL, NULL,
						 &need, &recs, &n, err, sizeof(err)), -ENOENT);
	CHECK_EQ_U64(need, (uint32_t)crc32(0, chained[5].buf, 44));
	CHECK(strstr(err, "which was not given"));
	CHECK_EQ_INT(block_decoder__decode(d, chained[6].buf, chained[6].len, &recs, &n, err,
					   sizeof(err)), -ENOENT);
	/* Another block's dictionaries (its base's base) are not its base's. */
	need = 0;
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[6].buf, chained[6].len, st[4], NULL,
						 &need, &recs, &n, err, sizeof(err)), -ENOENT);
	CHECK_EQ_U64(need, (uint32_t)crc32(0, chained[5].buf, 44));
	/* What a failed decode was to fill is left empty: nothing can
	 * continue it. */
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[6].buf, chained[6].len, NULL, st[NBLK],
						 &need, &recs, &n, err, sizeof(err)), -ENOENT);
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[7].buf, chained[7].len, st[NBLK], NULL,
						 &need, &recs, &n, err, sizeof(err)), -ENOENT);
	/* Random access: the chain from its first block, then the block. */
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[4].buf, chained[4].len, NULL, st[4],
						 NULL, &recs, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[5].buf, chained[5].len, st[4], st[5],
						 NULL, &recs, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[6].buf, chained[6].len, st[5], NULL,
						 NULL, &recs, &n, err, sizeof(err)), 0);
	check_recs(&chained[6], recs, n);
	test_projected(chained);
	/* A block's dictionaries cannot replace its base's in place. */
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[6].buf, chained[6].len, st[5], st[5],
						 NULL, &recs, &n, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[5].buf, chained[5].len, st[4], st[5],
						 NULL, &recs, &n, err, sizeof(err)), 0);

	/* Hostile bodies, resealed with valid checksums. */
	size_t raw, cap = blockseal_bound(1u << 20, 0);
	uint8_t *body = body_of(&chained[5], &raw), *mut = malloc(raw + 64), *blk = malloc(cap);
	CHECK(mut && blk);
	size_t fo = flags_of_stream5(body, raw, 4);
	CHECK(body[fo] & 0x40);   /* stream 5's group continues its base's */
	/* the block's own encoding (8: 4 with escaped codes and ts modes)
	 * and its unchained counterpart (7) */
	unsigned enc_own = chained[5].buf[6], enc_first = enc_own - 1;
	CHECK(cap_block_encoding_chained(enc_own));
	/* (case 3 last: it reuses st[] for a longer chain) */
	static const int order[] = { 0, 1, 2, 4, 3 };
	for (int ti = 0; ti < 5; ti++) {
		int t = order[ti];
		const char *want_err = NULL;
		size_t len, mlen = raw;
		unsigned enc = enc_own;
		int want_rc = -EBADMSG;
		char want_buf[96];

		memcpy(mut, body, raw);
		switch (t) {
		case 0:   /* base CRC 0 */
			tu_put_le32(mut, 0);
			want_err = "base block CRC 0";
			break;
		case 1:   /* the flag in an encoding-3 block (no CRC) */
			memmove(mut, body + 4, raw - 4);
			mlen = raw - 4;
			enc = enc_first;
			snprintf(want_buf, sizeof(want_buf),
				 "inherited dictionaries in an encoding-%u block", enc);
			want_err = want_buf;
			break;
		case 2:   /* without next-value codes */
			mut[fo] &= (uint8_t)~0x20;
			want_err = "without next-value codes";
			break;
		case 3:   /* a base past the longest chain: see below */
			want_rc = -ENOENT;
			want_err = "a chain of more blocks than the limit";
			break;
		case 4:   /* escaped codes in an encoding-4 block: on the
			   * first group (an encoding-4 body has no ts modes,
			   * so a later group would be misread before) */
			mut[flags_of_first(body, raw)] |= 0x80;
			enc = 4;
			want_err = "escaped dictionary codes in an encoding-4 block";
			break;
		}
		len = reseal(blk, cap, chained[5].buf, enc, mut, mlen);
		const struct block_dicts *base = st[4];
		if (t == 3) {
			/* A base whose chain already holds CAP_CHAIN_MAX blocks:
			 * chains of the most an encoder makes, read in order. */
			struct blk deep[NBLK];
			size_t td;
			_Static_assert(NBLK >= CAP_CHAIN_MAX, "deep chain");
			make_blocks(CAP_CHAIN_MAX, deep, &td);
			for (unsigned b = 0; b < CAP_CHAIN_MAX; b++)
				CHECK_EQ_INT(block_decoder__decode_chain(d, deep[b].buf, deep[b].len,
									 b ? st[b - 1] : NULL, st[b],
									 NULL, &recs, &n, err,
									 sizeof(err)), 0);
			tu_put_le32(mut, (uint32_t)crc32(0, deep[CAP_CHAIN_MAX - 1].buf, 44));
			len = reseal(blk, cap, chained[5].buf, enc_own, mut, mlen);
			base = st[CAP_CHAIN_MAX - 1];
			for (unsigned b = 0; b < NBLK; b++)
				free(deep[b].buf), free(deep[b].w);
		}
		int rc = block_decoder__decode_chain(d, blk, len, base, NULL, &need, &recs, &n,
						     err, sizeof(err));
		if (rc != want_rc || !strstr(err, want_err)) {
			fprintf(stderr, "hostile case %d: %d %s\n", t, rc, err);
			exit(1);
		}
	}
	/* Random damage after the base's CRC, decoded with the right base:
	 * bounds hold (ASan) or the block is refused. */
	uint64_t rng = 7;
	unsigned ok = 0, bad = 0;
	CHECK_EQ_INT(block_decoder__decode_chain(d, chained[4].buf, chained[4].len, NULL, st[4],
						 NULL, &recs, &n, err, sizeof(err)), 0);
	for (int iter = 0; iter < 300; iter++) {
		uint64_t x = test_rand(&rng);
		memcpy(mut, body, raw);
		for (int j = 0; j < 1 + (int)(x % 3); j++) {
			uint64_t y = test_rand(&rng);
			mut[4 + (y >> 8) % (raw - 4)] = (uint8_t)(y >> 48);
		}
		size_t len = reseal(blk, cap, chained[5].buf, enc_own, mut, raw);
		int rc = block_decoder__decode_chain(d, blk, len, st[4], st[NBLK], NULL, &recs, &n,
						     err, sizeof(err));
		CHECK(rc == 0 || rc == -EBADMSG);
		if (rc) {
			bad++;
			continue;
		}
		ok++;
		volatile uint8_t s = 0;
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = 0; j < recs[i].len; j++)
				s ^= recs[i].data[j];
		(void)s;
	}
	CHECK(bad > 0);
	fprintf(stderr, "damaged chained blocks: %u read, %u refused\n", ok, bad);

	free(body);
	free(mut);
	free(blk);
	for (unsigned b = 0; b < NBLK; b++) {
		free(chained[b].buf);
		free(chained[b].w);
		free(plain[b].buf);
		free(plain[b].w);
	}
	for (unsigned i = 0; i <= NBLK; i++)
		block_dicts__free(st[i]);
	block_decoder__free(d);
	return 0;
}
