/* test_blockproj - projected decodes (block_decoder__want) decompress only
 * the prefix of a block's body they need: each wanted word, the ts, cpu and
 * length equal a full decode's value by value (first, middle and last
 * stream; first, last, several words; the tail; no word), the rest 0; the
 * walk stops early (block_decoder__raw_read); and hostile bodies (truncated,
 * garbled or damaged after the wanted part, sizes past the body) are refused
 * or read without going past what was decompressed (the ASan build poisons
 * the rest of the body).  Each projection is also decoded compact
 * (block_want.compact): the wanted words the same, the records only their
 * span apart, every byte of every record within the buffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "block.h"
#include "testutil.h"
#include "fixtures/blockseal.h"
#include "fixtures/genev.h"

#define MAX_RAW (64u << 20)
#define EXEC_L 312   /* bpf/exec.h's struct exec_event */
#define ODD_L 45     /* 5 words and a 5-byte tail */

static const uint32_t stream_ids[3] = { 3, 5, 9 };   /* genev, exec, odd */
static const uint32_t stream_len[3] = { 64, EXEC_L, ODD_L };

/* A full decode's records, copied (the decoder's are valid until its next
 * decode). */
struct saved {
	uint32_t n;
	struct cap_rec *r;
	uint8_t *data;   /* their payloads */
};

static void save(struct saved *s, const struct cap_rec *recs, uint32_t n)
{
	size_t total = 0, off = 0;

	for (uint32_t i = 0; i < n; i++)
		total += recs[i].len;
	s->n = n;
	s->r = malloc((size_t)n * sizeof(*s->r) + 1);
	s->data = malloc(total + 1);
	CHECK(s->r && s->data);
	for (uint32_t i = 0; i < n; i++) {
		s->r[i] = recs[i];
		memcpy(s->data + off, recs[i].data, recs[i].len);
		s->r[i].data = s->data + off;
		off += recs[i].len;
	}
}

static void unsave(struct saved *s)
{
	free(s->r);
	free(s->data);
}

/* An exec event: a few tasks, comms and paths (dictionary columns), a
 * filename that is mostly a path from a set and partly random. */
static void exec_event(uint64_t *rng, uint64_t ts, uint8_t *ev)
{
	static const char *comms[5] = { "bash", "make", "cc1", "systemd", "python3" };
	uint64_t r = test_rand(rng);
	uint32_t pid = 2000 + (uint32_t)(r % 37), tid = pid + (uint32_t)((r >> 8) & 1);
	uint32_t ppid = 1 + pid % 5, uid = (r >> 12) & 1 ? 0 : 1000;

	memset(ev, 0, EXEC_L);
	memcpy(ev, &ts, 8);
	memcpy(ev + 8, &pid, 4);
	memcpy(ev + 12, &tid, 4);
	memcpy(ev + 16, &ppid, 4);
	memcpy(ev + 20, &uid, 4);
	memcpy(ev + 24, &uid, 4);
	ev[28] = (uint8_t)(r >> 20);           /* ustack id */
	strcpy((char *)ev + 48, comms[pid % 5]);
	int n = snprintf((char *)ev + 64, EXEC_L - 64, "/usr/lib/%s/bin%u/tool-%016llx",
			 comms[(r >> 24) % 5], (unsigned)((r >> 28) % 40),
			 (unsigned long long)test_rand(rng));
	CHECK(n > 0 && n < EXEC_L - 64);
}

/* One block of n records of the three streams, interleaved, by the real
 * encoder: malloc'd, *len set. */
static uint8_t *make_block(uint32_t n, uint64_t seed, size_t *len)
{
	struct blockbuf *b = blockbuf__new(8u << 20);
	struct block_encoder *e = block_encoder__new(1);
	struct genev_gen g = { .rng = seed, .now = 1000000, .variant = 1 };
	uint64_t rng = seed ^ 0x1234, ts = 5000000;
	const uint8_t *out;
	uint8_t ev[EXEC_L];

	CHECK(b && e);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = i % 5 < 2 ? 1 : i % 5 < 4 ? 0 : 2;

		ts += 50 + test_rand(&rng) % 200;
		if (k == 0) {
			struct genev ge;

			genev_next(&g, i, &ge);
			ge.ts_ns = ts;
			memcpy(ev, &ge, sizeof(ge));
		} else if (k == 1) {
			exec_event(&rng, ts, ev);
		} else {
			for (uint32_t j = 0; j < ODD_L; j++)
				ev[j] = j < 8 ? (uint8_t)(i >> (j % 4)) : (uint8_t)genev_mix64(i * 64 + j);
		}
		CHECK_EQ_INT(blockbuf__add(b, stream_ids[k], i % 3, ts, ev, stream_len[k]), 0);
	}
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, len, NULL), 0);
	uint8_t *blk = malloc(*len);
	CHECK(blk);
	memcpy(blk, out, *len);
	blockbuf__free(b);
	block_encoder__free(e);
	return blk;
}

static int bit(const uint64_t *words, uint32_t nwords, uint32_t w)
{
	return w < nwords && (words[w / 64] >> (w % 64) & 1);
}

/* Decodes blk with d under (stream, words) and checks every record against
 * the full decode's: ts, cpu, len exact, each payload byte equal where its
 * word is wanted, 0 elsewhere.  0, or the decode's error (records not
 * checked then). */
static int check_proj_c(struct block_decoder *d, const uint8_t *blk, size_t len,
			const struct saved *full, uint32_t stream, const uint64_t *words,
			uint32_t nwords, size_t step, bool compact)
{
	struct block_want want = { .stream = stream, .words = words, .nwords = nwords,
				   .compact = compact };
	static volatile uint8_t sink;
	const struct cap_rec *pr;
	uint32_t pn, k = 0;
	char err[256];

	block_decoder__step(d, step);
	block_decoder__want(d, &want);
	int rc = block_decoder__decode(d, blk, len, &pr, &pn, err, sizeof(err));
	if (rc)
		return rc;
	for (uint32_t i = 0; i < full->n; i++) {
		const struct cap_rec *f = &full->r[i];

		if (stream != CAP_STREAM_ALL && f->stream != stream)
			continue;
		CHECK(k < pn);
		CHECK_EQ_INT(pr[k].stream, f->stream);
		CHECK_EQ_U64(pr[k].ts_ns, f->ts_ns);
		CHECK_EQ_INT(pr[k].cpu, f->cpu);
		CHECK_EQ_INT(pr[k].len, f->len);
		for (uint32_t j = 0; j < f->len; j++) {
			uint32_t w = j / 8 < f->len / 8 ? j / 8 : f->len / 8;   /* the tail: W */
			uint8_t exp = bit(words, nwords, w) ? f->data[j] : 0;

			sink ^= pr[k].data[j];   /* every byte readable (ASan) */
			if (compact && !bit(words, nwords, w))   /* unspecified */
				continue;
			if (pr[k].data[j] != exp) {
				fprintf(stderr, "stream %u record %u byte %u (word %u): %u, expected %u "
					"(step %zu)\n", f->stream, k, j, w, pr[k].data[j], exp, step);
				exit(1);
			}
		}
		k++;
	}
	CHECK_EQ_INT(pn, k);
	return 0;
}

/* The same, plain and compact. */
static int check_proj(struct block_decoder *d, const uint8_t *blk, size_t len,
		      const struct saved *full, uint32_t stream, const uint64_t *words,
		      uint32_t nwords, size_t step)
{
	int rc = check_proj_c(d, blk, len, full, stream, words, nwords, step, false);

	if (words && check_proj_c(d, blk, len, full, stream, words, nwords, step, true) != rc) {
		fprintf(stderr, "a compact projection decodes otherwise (%d)\n", rc);
		exit(1);
	}
	return rc;
}

static void full_decode(struct block_decoder *d, const uint8_t *blk, size_t len, struct saved *s)
{
	const struct cap_rec *recs;
	uint32_t n;
	char err[256];

	block_decoder__want(d, NULL);
	if (block_decoder__decode(d, blk, len, &recs, &n, err, sizeof(err))) {
		fprintf(stderr, "full decode: %s\n", err);
		exit(1);
	}
	save(s, recs, n);
}

static uint32_t raw_bytes_of(const uint8_t *blk)
{
	return (uint32_t)blk[12] | (uint32_t)blk[13] << 8 | (uint32_t)blk[14] << 16 |
	       (uint32_t)blk[15] << 24;
}

/* Projections of each stream and of all of them: first, last, several
 * words, the tail, none; at the default step and a small one. */
static void test_values(void)
{
	struct block_decoder *full_d = block_decoder__new(MAX_RAW), *d = block_decoder__new(MAX_RAW);
	struct saved full;
	size_t len;
	uint8_t *blk = make_block(20000, 7, &len);
	uint32_t raw = raw_bytes_of(blk);

	CHECK(full_d && d);
	full_decode(full_d, blk, len, &full);
	CHECK_EQ_INT(full.n, 20000);
	CHECK_EQ_U64(block_decoder__raw_read(full_d), raw);
	/* the frame must span several zstd blocks for a prefix to be shorter */
	CHECK(raw > (512u << 10));

	for (int si = 0; si <= 3; si++) {
		uint32_t stream = si < 3 ? stream_ids[si] : CAP_STREAM_ALL;
		uint32_t L = si < 3 ? stream_len[si] : EXEC_L, W = L / 8, nw = W + 1;
		uint64_t sets[9][1] = { { 0 } };
		int ns = 0;

		sets[ns++][0] = 0;                                      /* no word: ts, cpu, len */
		sets[ns++][0] = 1ull << 0;                              /* the first */
		sets[ns++][0] = 1ull << 1;
		sets[ns++][0] = 1ull << (W - 1);                        /* the last */
		sets[ns++][0] = 1ull << W;                              /* the tail (if any) */
		sets[ns++][0] = 1ull << 2 | 1ull << (W > 5 ? 5 : W - 1);   /* several */
		sets[ns++][0] = 1ull << 6 | 1ull << 7;                  /* exec's comm */
		sets[ns++][0] = W < 63 ? (1ull << W) - 1 : ~0ull >> 1;  /* every word, no tail */
		sets[ns++][0] = ~0ull;                                  /* everything */
		for (int k = 0; k < ns; k++)
			for (int st = 0; st < 2; st++) {
				uint64_t words = sets[k][0];

				CHECK_EQ_INT(check_proj(d, blk, len, &full, stream, &words,
							nw < 64 ? nw : 64, st ? 4096 : 0), 0);
			}
	}

	/* The walk stops early: the first stream's second word needs the
	 * start of the body, exec's comm little more than its group's first
	 * eight words; the last stream's tail needs all of it. */
	uint64_t w1 = 1ull << 1, comm = 1ull << 6 | 1ull << 7, tail = 1ull << 5;
	CHECK_EQ_INT(check_proj(d, blk, len, &full, 3, &w1, 2, 0), 0);
	size_t first = block_decoder__raw_read(d);
	CHECK_EQ_INT(check_proj(d, blk, len, &full, 5, &comm, 40, 0), 0);
	size_t mid = block_decoder__raw_read(d);
	CHECK_EQ_INT(check_proj(d, blk, len, &full, 9, &tail, 6, 0), 0);
	size_t last = block_decoder__raw_read(d);
	fprintf(stderr, "body %u bytes; decompressed: stream 3 word 1 %zu, exec's comm %zu, "
		"stream 9's tail %zu\n", raw, first, mid, last);
	CHECK(first < raw / 2);
	CHECK(mid < raw * 3 / 4);
	CHECK_EQ_U64(last, raw);
	/* compact: exec's comm, 16 bytes a record; words 1 and 6-7, 56; the
	 * tail of stream 9, 5 bytes */
	static const struct { uint32_t stream, nwords; uint64_t words; ptrdiff_t stride; } cs[] = {
		{ 5, 40, 1ull << 6 | 1ull << 7, 16 }, { 5, 40, 1ull << 1 | 1ull << 7, 56 },
		{ 9, 6, 1ull << 5, 5 }, { 9, 6, 1ull << 4 | 1ull << 5, 13 }, { 3, 8, 0, 0 },
	};
	for (size_t k = 0; k < sizeof(cs) / sizeof(cs[0]); k++) {
		struct block_want want = { .stream = cs[k].stream, .words = &cs[k].words,
					   .nwords = cs[k].nwords, .compact = true };
		const struct cap_rec *cr;
		uint32_t cn;

		block_decoder__want(d, &want);
		CHECK_EQ_INT(block_decoder__decode(d, blk, len, &cr, &cn, NULL, 0), 0);
		CHECK(cn > 100);
		for (uint32_t i = 1; i < cn; i++)
			CHECK_EQ_INT(cr[i].data - cr[i - 1].data, cs[k].stride);
	}
	/* and the same decoder decodes it whole again */
	block_decoder__want(d, NULL);
	const struct cap_rec *recs;
	uint32_t n;
	CHECK_EQ_INT(block_decoder__decode(d, blk, len, &recs, &n, NULL, 0), 0);
	CHECK_EQ_INT(n, full.n);
	CHECK_EQ_U64(block_decoder__raw_read(d), raw);
	for (uint32_t i = 0; i < n; i++)
		CHECK(recs[i].len == full.r[i].len && !memcmp(recs[i].data, full.r[i].data, recs[i].len));

	unsave(&full);
	free(blk);
	block_decoder__free(d);
	block_decoder__free(full_d);
}

/* The body of an encoded block: malloc'd (extra bytes of room), *raw set. */
static uint8_t *body_of(const uint8_t *blk, size_t len, size_t *raw)
{
	*raw = raw_bytes_of(blk);
	uint8_t *body = malloc(*raw + 4096);
	CHECK(body);
	CHECK_EQ_U64(ZSTD_decompress(body, *raw, blk + 48, len - 48), *raw);
	return body;
}

/* Damage after the wanted part: a projection that stops before it reads
 * its values as before (checks that need the whole body are a full
 * decode's); one that reaches it is refused, and so is a full decode. */
static void test_damage_after(void)
{
	struct block_decoder *full_d = block_decoder__new(MAX_RAW), *d = block_decoder__new(MAX_RAW);
	struct saved full;
	size_t len, raw, blen;
	uint8_t *blk = make_block(20000, 11, &len), *body = body_of(blk, len, &raw), *b2;
	uint64_t w1 = 1ull << 1, comm = 1ull << 6 | 1ull << 7, tail = 1ull << 5, all = ~0ull;
	const struct cap_rec *recs;
	uint32_t n;
	char err[256];

	CHECK(full_d && d);
	full_decode(full_d, blk, len, &full);

	/* resealed as it was, in small zstd blocks: decodes the same */
	b2 = blockseal(blk, body, raw, 1000, &blen);
	CHECK_EQ_INT(check_proj(d, b2, blen, &full, 3, &w1, 2, 0), 0);
	CHECK_EQ_INT(check_proj(d, b2, blen, &full, 5, &comm, 40, 700), 0);
	CHECK_EQ_INT(check_proj(d, b2, blen, &full, CAP_STREAM_ALL, &all, 64, 0), 0);
	free(b2);

	/* trailing bytes: refused once the walk reaches the body's end */
	memset(body + raw, 0, 5);
	b2 = blockseal(blk, body, raw + 5, 0, &blen);
	block_decoder__want(full_d, NULL);
	CHECK_EQ_INT(block_decoder__decode(full_d, b2, blen, &recs, &n, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "trailing"));
	CHECK_EQ_INT(check_proj(d, b2, blen, &full, 3, &w1, 2, 0), 0);
	CHECK_EQ_INT(check_proj(d, b2, blen, &full, 5, &comm, 40, 0), 0);
	CHECK_EQ_INT(check_proj(d, b2, blen, &full, 9, &tail, 6, 0), -EBADMSG);
	free(b2);

	/* cut at 90%, in the last groups: refused by whatever reaches the cut */
	b2 = blockseal(blk, body, raw * 9 / 10, 0, &blen);
	CHECK_EQ_INT(block_decoder__decode(full_d, b2, blen, &recs, &n, err, sizeof(err)), -EBADMSG);
	CHECK_EQ_INT(check_proj(d, b2, blen, &full, 3, &w1, 2, 0), 0);
	CHECK_EQ_INT(check_proj(d, b2, blen, &full, 9, &tail, 6, 0), -EBADMSG);
	CHECK_EQ_INT(check_proj(d, b2, blen, &full, 9, &all, 64, 1024), -EBADMSG);
	free(b2);

	/* the last 10% garbled: whatever a walk into it makes of it, it stays
	 * within the body (ASan), and one that stops before reads as ever */
	uint8_t *g = malloc(raw);
	CHECK(g);
	memcpy(g, body, raw);
	for (size_t i = raw * 9 / 10; i < raw; i++)
		g[i] ^= (uint8_t)(0x5a + i * 7);
	b2 = blockseal(blk, g, raw, 333, &blen);
	CHECK_EQ_INT(check_proj(d, b2, blen, &full, 3, &w1, 2, 0), 0);
	(void)block_decoder__decode(full_d, b2, blen, &recs, &n, err, sizeof(err));
	for (int k = 0; k < 3; k++) {
		struct block_want want = { .stream = stream_ids[k], .words = &all, .nwords = 64 };

		block_decoder__want(d, &want);
		block_decoder__step(d, k * 300);
		(void)block_decoder__decode(d, b2, blen, &recs, &n, err, sizeof(err));
	}
	free(b2);
	free(g);

	/* the frame's last compressed bytes damaged (its CRC'd head intact):
	 * zstd refuses a full decode; a projection that stops before reads
	 * as ever (its checksum is not checked: FORMAT.md) */
	b2 = malloc(len);
	CHECK(b2);
	memcpy(b2, blk, len);
	for (size_t i = len - 200; i < len - 8; i++)
		b2[i] ^= 0xa5;
	CHECK(block_decoder__decode(full_d, b2, len, &recs, &n, err, sizeof(err)) < 0);
	CHECK_EQ_INT(check_proj(d, b2, len, &full, 3, &w1, 2, 0), 0);
	CHECK(check_proj(d, b2, len, &full, 9, &tail, 6, 0) < 0);
	/* and damaged near its start: whatever zstd makes of it, the walk
	 * stays within what it gave */
	memcpy(b2, blk, len);
	for (size_t i = 48 + 40; i < 48 + 240; i++)
		b2[i] ^= 0xa5;
	for (int k = 0; k < 3; k++) {
		struct block_want want = { .stream = stream_ids[k], .words = &all, .nwords = 64 };

		block_decoder__want(d, &want);
		block_decoder__step(d, k * 64);
		(void)block_decoder__decode(d, b2, len, &recs, &n, err, sizeof(err));
	}
	free(b2);
	/* after each failure the decoder decodes good blocks */
	CHECK_EQ_INT(check_proj(d, blk, len, &full, 5, &comm, 40, 0), 0);

	unsave(&full);
	free(body);
	free(blk);
	block_decoder__free(d);
	block_decoder__free(full_d);
}

/* Hand-made bodies whose varints claim sizes past the body's end: refused,
 * however the frame is cut into zstd blocks and fed. */
static void test_sizes_past_end(void)
{
	struct block_decoder *d = block_decoder__new(MAX_RAW);
	uint8_t hdr[BLOCKSEAL_HDR];
	uint64_t w1 = 1ull << 1;
	struct block_want want = { .stream = 0, .words = &w1, .nwords = 3 };
	static const struct {
		const char *what;
		uint8_t body[48];
		size_t len;
		int proj_ok;   /* the projection (word 1) stops before the fault */
	} bad[] = {
		/* nstreams 1; stream 0, count 3, flags CPU_RUN|FIXED_LEN|WORDS, dmin 0,
		 * tmask 0, cpu 1, L 16, modes RAW RAW, ... */
		{ "word planes", { 1, 0, 3, 0x0b, 0, 0, 1, 16, 0, 0, 0xff, 1, 2, 3 }, 14 },
		{ "word 1's planes", { 1, 0, 3, 0x0b, 0, 0, 1, 16, 0, 0, 0x01, 1, 2, 3, 0xff, 9 }, 16 },
		{ "dictionary size", { 1, 0, 3, 0x0b, 0, 0, 1, 16, 4, 0, 0xff, 0xff, 0x03, 0xff }, 14 },
		{ "dictionary values", { 1, 0, 3, 0x0b, 0, 0, 1, 16, 4, 0, 2, 0xff, 1, 2 }, 14 },
		{ "record count", { 1, 0, 0xff, 0xff, 0xff, 0xff, 0x07, 0x0b, 0, 0, 1, 16 }, 12 },
		{ "ts planes", { 1, 0, 3, 0x0b, 0, 0xff, 1, 16, 0, 0 }, 10 },
		{ "record lengths", { 1, 0, 3, 0x01, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 1 }, 14 },
		{ "fixed length", { 1, 0, 3, 0x03, 0, 0, 1, 0xff, 0xff, 0xff, 0x7f, 0, 0 }, 13 },
		{ "tail", { 1, 0, 3, 0x0b, 0, 0, 1, 23, 0, 0, 0x01, 1, 2, 3, 0, 5, 6 }, 17, 1 },
		{ "a varint past the end", { 1, 0, 3, 0x0b, 0, 0, 1, 0x90 }, 8 },
	};

	CHECK(d);
	blockseal_header(hdr, 1, 3, 1, 1, 1);   /* 3 records of 1 stream, all at ts 1 */
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		for (int mode = 0; mode < 3; mode++) {
			size_t blen;
			uint8_t *blk = blockseal(hdr, bad[k].body, bad[k].len, mode ? 3 : 0, &blen);
			const struct cap_rec *recs;
			uint32_t n;
			char err[256];

			block_decoder__want(d, mode == 2 ? NULL : &want);
			block_decoder__step(d, mode ? 1 : 0);
			int rc = block_decoder__decode(d, blk, blen, &recs, &n, err, sizeof(err));
			int exp = mode < 2 && bad[k].proj_ok ? 0 : -EBADMSG;
			if (rc != exp) {
				fprintf(stderr, "%s (mode %d): %d, expected %d (%s)\n", bad[k].what,
					mode, rc, exp, rc ? err : "");
				exit(1);
			}
			free(blk);
		}
	block_decoder__free(d);
}

/* Bodies of a small block mutated and sealed in tiny zstd blocks, fed a
 * byte at a time: whenever the full decode accepts one, every projection
 * reads the same values; either way nothing reads past what zstd gave. */
static void test_mutations(void)
{
	struct block_decoder *full_d = block_decoder__new(MAX_RAW), *d = block_decoder__new(MAX_RAW);
	size_t len, raw, blen;
	uint8_t *blk = make_block(300, 3, &len), *body = body_of(blk, len, &raw);
	uint8_t *mut = malloc(raw);
	uint64_t rng = 99;
	int accepted = 0;

	CHECK(full_d && d && mut);
	for (int it = 0; it < 400; it++) {
		const struct cap_rec *recs;
		uint32_t n;
		uint64_t r = test_rand(&rng), words = test_rand(&rng);
		struct saved full;

		memcpy(mut, body, raw);
		for (int k = 0; k < 1 + (int)(r % 3); k++) {
			uint64_t x = test_rand(&rng);
			mut[x % raw] = (uint8_t)(x >> 32);
		}
		uint8_t *b2 = blockseal(blk, mut, raw, 1 + r % 97, &blen);
		block_decoder__want(full_d, NULL);
		uint32_t stream = (r >> 8) % 4 < 3 ? stream_ids[(r >> 8) % 4] : CAP_STREAM_ALL;
		if (block_decoder__decode(full_d, b2, blen, &recs, &n, NULL, 0) == 0) {
			save(&full, recs, n);
			CHECK_EQ_INT(check_proj(d, b2, blen, &full, stream, &words, 64, 1 + (r >> 16) % 50),
				     0);
			unsave(&full);
			accepted++;
		} else {
			struct block_want want = { .stream = stream, .words = &words, .nwords = 64 };

			block_decoder__want(d, &want);
			block_decoder__step(d, 1 + (r >> 16) % 50);
			(void)block_decoder__decode(d, b2, blen, &recs, &n, NULL, 0);
		}
		free(b2);
	}
	fprintf(stderr, "mutations: %d of 400 bodies accepted\n", accepted);
	free(mut);
	free(body);
	free(blk);
	block_decoder__free(d);
	block_decoder__free(full_d);
}

int main(void)
{
	test_values();
	test_damage_after();
	test_sizes_past_end();
	test_mutations();
	printf("test_blockproj: ok\n");
	return 0;
}
