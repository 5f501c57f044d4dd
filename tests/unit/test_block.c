/* test_block - blockbuf / block_encoder / block_decoder: exact round trips,
 * damaged and hostile input. */
#include <errno.h>
#include <stdint.h>
#include <zstd.h>

#include "block.h"
#include "testutil.h"
#include "fixtures/blockseal.h"

/* The expected side of one record; payload bytes regenerate from seed. */
struct exp_rec {
	uint64_t ts, seed;
	uint32_t stream, cpu, len;
};

static uint8_t gen_byte(const struct exp_rec *r, uint32_t j)
{
	/* Fixed-layout streams look like event structs: a few varying bytes,
	 * the rest constant.  Others are noisy. */
	if (r->stream == 2 || r->stream == 7)
		return j < 8 ? (uint8_t)(r->seed >> (8 * j)) : (uint8_t)(j * 7);
	uint64_t x = r->seed ^ (j * 0x9E3779B97F4A7C15ull);
	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	return (uint8_t)(x >> 32);
}

static void fill(const struct exp_rec *r, uint8_t *buf)
{
	for (uint32_t j = 0; j < r->len; j++)
		buf[j] = gen_byte(r, j);
}

static const uint32_t streams[] = { 1, 2, 5, 7, 100000 };

static void gen(struct exp_rec *r, uint64_t *rng, uint64_t *clock)
{
	uint64_t x = test_rand(rng);

	r->stream = streams[x % 5];
	*clock += (x >> 8) % 5000;
	/* Mostly increasing, sometimes a little back in time (per-cpu skew). */
	r->ts = *clock - ((x >> 24) % 8 == 0 ? (x >> 32) % 3000 : 0);
	r->seed = test_rand(rng);
	switch (r->stream) {
	case 2: r->len = 24; r->cpu = (x >> 40) % 4; break;
	case 7: r->len = 296; r->cpu = CAP_CPU_UNKNOWN; break;       /* ringbuf: one cpu value */
	case 5: r->len = (x >> 40) % 301; r->cpu = 3; break;
	default: r->len = (x >> 40) % 301; r->cpu = (x >> 50) % 64; break;
	}
}

/* Checks decoded records against exp[0..n): grouped by ascending stream,
 * insertion order within a stream. */
static void check_block(const struct exp_rec *exp, uint32_t n, const struct cap_rec *recs,
			uint32_t nrecs)
{
	uint8_t buf[400];
	uint32_t k = 0;

	CHECK_EQ_INT(nrecs, n);
	for (size_t s = 0; s < sizeof(streams) / sizeof(streams[0]); s++) {
		for (uint32_t i = 0; i < n; i++) {
			if (exp[i].stream != streams[s])
				continue;
			const struct cap_rec *r = &recs[k++];
			CHECK_EQ_INT(r->stream, exp[i].stream);
			CHECK_EQ_U64(r->ts_ns, exp[i].ts);
			CHECK_EQ_INT(r->cpu, exp[i].cpu);
			CHECK_EQ_INT(r->len, exp[i].len);
			CHECK(r->data != NULL);
			fill(&exp[i], buf);
			CHECK(memcmp(r->data, buf, r->len) == 0);
		}
	}
	CHECK_EQ_INT(k, n);
}

struct stream_sum { uint32_t count[5]; uint64_t nstreams; };

static void sum_cb(uint32_t stream, uint32_t count, uint64_t min_ts, uint64_t max_ts, void *ctx)
{
	struct stream_sum *s = ctx;

	CHECK(min_ts <= max_ts);
	for (int i = 0; i < 5; i++)
		if (streams[i] == stream)
			s->count[i] += count;
	s->nstreams++;
}

#define NREC 1000000
#define NKEEP 4

static uint8_t *kept[NKEEP];
static size_t kept_len[NKEEP];

static void test_round_trip(void)
{
	struct exp_rec *exp = calloc(NREC, sizeof(*exp));
	struct blockbuf *b = blockbuf__new(1 << 20);
	struct block_encoder *e = block_encoder__new(1);
	struct block_decoder *d = block_decoder__new(CAP_BLOCK_MAX_RAW);
	uint64_t rng = 42, clock = 1000000000ull, raw_total = 0, enc_total = 0, payload = 0;
	uint32_t first = 0, nblocks = 0;
	uint8_t buf[400];
	char err[256];

	CHECK(exp && b && e && d);
	for (uint32_t i = 0; i <= NREC; i++) {
		int rc = -ENOSPC;
		if (i < NREC) {
			gen(&exp[i], &rng, &clock);
			fill(&exp[i], buf);
			payload += exp[i].len;
			rc = blockbuf__add(b, exp[i].stream, exp[i].cpu, exp[i].ts, buf, exp[i].len);
			if (rc == 0)
				continue;
			CHECK_EQ_INT(rc, -ENOSPC);
		}
		/* Block full (or input done): encode, decode, compare. */
		uint32_t n = i - first;
		CHECK_EQ_INT(blockbuf__count(b), n);
		struct stream_sum ss = { 0 };
		blockbuf__for_each_stream(b, sum_cb, &ss);
		for (int s = 0; s < 5; s++) {
			uint32_t c = 0;
			for (uint32_t j = first; j < i; j++)
				c += exp[j].stream == streams[s];
			CHECK_EQ_INT(ss.count[s], c);
		}

		const uint8_t *out;
		size_t out_len;
		struct cap_block_meta m, hm;
		uint32_t enc;
		CHECK_EQ_INT(block_encoder__encode(e, b, &out, &out_len, &m), 0);
		CHECK_EQ_INT(m.nrecords, n);
		CHECK_EQ_INT(m.enc_bytes, out_len);
		CHECK_EQ_INT(block__parse_header(out, out_len, &enc, &hm), 0);
		CHECK_EQ_INT(enc, out_len);
		CHECK(hm.enc_bytes == m.enc_bytes && hm.raw_bytes == m.raw_bytes &&
		      hm.nrecords == m.nrecords && hm.min_ts_ns == m.min_ts_ns &&
		      hm.max_ts_ns == m.max_ts_ns);
		uint64_t mn = UINT64_MAX, mx = 0;
		for (uint32_t j = first; j < i; j++) {
			mn = exp[j].ts < mn ? exp[j].ts : mn;
			mx = exp[j].ts > mx ? exp[j].ts : mx;
		}
		CHECK_EQ_U64(m.min_ts_ns, mn);
		CHECK_EQ_U64(m.max_ts_ns, mx);
		if (nblocks < NKEEP) {
			kept[nblocks] = malloc(out_len);
			memcpy(kept[nblocks], out, out_len);
			kept_len[nblocks] = out_len;
		}

		const struct cap_rec *recs;
		uint32_t nrecs;
		int drc = block_decoder__decode(d, out, out_len, &recs, &nrecs, err, sizeof(err));
		if (drc)
			fprintf(stderr, "decode: %s\n", err);
		CHECK_EQ_INT(drc, 0);
		check_block(exp + first, n, recs, nrecs);
		raw_total += m.raw_bytes;
		enc_total += m.enc_bytes;
		nblocks++;

		blockbuf__reset(b);
		CHECK_EQ_INT(blockbuf__count(b), 0);
		first = i;
		if (i < NREC) {
			CHECK_EQ_INT(blockbuf__add(b, exp[i].stream, exp[i].cpu, exp[i].ts, buf,
						   exp[i].len), 0);
		}
	}
	printf("round trip: %d records in %u blocks, payload %" PRIu64 " B, body %" PRIu64
	       " B, encoded %" PRIu64 " B (%.2fx of payload)\n", NREC, nblocks, payload,
	       raw_total, enc_total, (double)payload / enc_total);
	CHECK(nblocks > 50);
	blockbuf__free(b);
	block_encoder__free(e);
	block_decoder__free(d);
	free(exp);
}

static void test_edges(void)
{
	struct blockbuf *b = blockbuf__new(4096);
	struct block_encoder *e = block_encoder__new(3);
	struct block_decoder *d = block_decoder__new(1 << 20);
	const uint8_t *out;
	size_t out_len;
	struct cap_block_meta m;
	const struct cap_rec *recs;
	uint32_t nrecs;
	char err[256];
	uint8_t big[8192] = { 0 };

	CHECK(b && e && d);
	CHECK(blockbuf__new(0) == NULL && errno == EINVAL);
	CHECK(blockbuf__new((size_t)CAP_BLOCKBUF_MAX_BYTES + 8) == NULL);
	CHECK_EQ_INT(blockbuf__add(b, 1, 0, 0, big, 4096), -E2BIG);

	/* Empty block. */
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &out_len, &m), 0);
	CHECK_EQ_INT(m.nrecords, 0);
	CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &nrecs, err, sizeof(err)), 0);
	CHECK_EQ_INT(nrecs, 0);

	/* Extreme timestamps and cpus, zero-length records, one-record groups. */
	CHECK_EQ_INT(blockbuf__add(b, 9, 0, UINT64_MAX, "x", 1), 0);
	CHECK_EQ_INT(blockbuf__add(b, 9, CAP_CPU_UNKNOWN - 1, 0, NULL, 0), 0);
	CHECK_EQ_INT(blockbuf__add(b, UINT32_MAX, CAP_CPU_UNKNOWN, 5, "", 0), 0);
	CHECK_EQ_INT(blockbuf__add(b, 0, 1, 1ull << 63, "abc", 3), 0);
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &out_len, &m), 0);
	CHECK_EQ_U64(m.min_ts_ns, 0);
	CHECK_EQ_U64(m.max_ts_ns, UINT64_MAX);
	CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &nrecs, err, sizeof(err)), 0);
	CHECK_EQ_INT(nrecs, 4);
	CHECK_EQ_INT(recs[0].stream, 0);
	CHECK_EQ_U64(recs[0].ts_ns, 1ull << 63);
	CHECK(recs[0].len == 3 && !memcmp(recs[0].data, "abc", 3));
	CHECK_EQ_INT(recs[1].stream, 9);
	CHECK_EQ_U64(recs[1].ts_ns, UINT64_MAX);
	CHECK(recs[1].len == 1 && recs[1].data[0] == 'x');
	CHECK_EQ_U64(recs[2].ts_ns, 0);
	CHECK_EQ_INT(recs[2].cpu, CAP_CPU_UNKNOWN - 1);
	CHECK_EQ_INT(recs[2].len, 0);
	CHECK_EQ_INT(recs[3].stream, UINT32_MAX);
	CHECK_EQ_INT(recs[3].cpu, CAP_CPU_UNKNOWN);
	blockbuf__free(b);

	/* Many streams: the sorted path, and the per-block stream limit. */
	b = blockbuf__new(1 << 20);
	for (uint32_t s = 0; s < CAP_BLOCK_MAX_STREAMS; s++)
		CHECK_EQ_INT(blockbuf__add(b, (s * 7919u) % 100003u, s, s, &s, sizeof(s)), 0);
	CHECK_EQ_INT(blockbuf__add(b, 100003u, 0, 0, "", 0), -ENOSPC);
	CHECK_EQ_INT(blockbuf__add(b, 0, 0, 0, "", 0), 0);   /* a stream already present */
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &out_len, &m), 0);
	CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &nrecs, err, sizeof(err)), 0);
	CHECK_EQ_INT(nrecs, CAP_BLOCK_MAX_STREAMS + 1);
	for (uint32_t i = 1; i < nrecs; i++)
		CHECK(recs[i - 1].stream <= recs[i].stream);

	/* The raw cap is enforced. */
	struct block_decoder *small = block_decoder__new(64);
	CHECK_EQ_INT(block_decoder__decode(small, out, out_len, &recs, &nrecs, err, sizeof(err)),
		     -EBADMSG);
	CHECK(strstr(err, "cap") != NULL);
	block_decoder__free(small);

	blockbuf__free(b);
	block_encoder__free(e);
	block_decoder__free(d);
}

static void test_damage(void)
{
	struct block_decoder *d = block_decoder__new(CAP_BLOCK_MAX_RAW);
	const struct cap_rec *recs;
	uint32_t nrecs;
	char err[256];
	size_t tried = 0;

	for (int k = 0; k < NKEEP; k++) {
		size_t len = kept_len[k];
		uint8_t *blk = malloc(len);

		/* Every header byte, every bit position across the frame's start,
		 * middle and end (the checksum). */
		for (size_t pos = 0; pos < len; pos++) {
			if (!(pos < 160 || pos + 64 > len || pos % 4999 == 0))
				continue;
			memcpy(blk, kept[k], len);
			blk[pos] ^= (uint8_t)(1u << (pos % 8));
			err[0] = 0;
			int rc = block_decoder__decode(d, blk, len, &recs, &nrecs, err, sizeof(err));
			if (rc != -EBADMSG)
				fprintf(stderr, "block %d: flip at %zu not detected (rc %d)\n", k, pos, rc);
			CHECK_EQ_INT(rc, -EBADMSG);
			CHECK(err[0] != 0);
			if (pos < CAP_BLOCK_HDR_BYTES && pos < 44)
				CHECK(strstr(err, "CRC") || strstr(err, "magic"));
			tried++;
		}
		/* Truncated: as given, and with a header that claims the short size. */
		for (size_t cut = 0; cut < len; cut += (cut < 300 ? 1 : 211)) {
			CHECK_EQ_INT(block_decoder__decode(d, kept[k], cut, &recs, &nrecs, err,
							   sizeof(err)), -EBADMSG);
			if (cut >= CAP_BLOCK_HDR_BYTES) {
				memcpy(blk, kept[k], cut);
				tu_put_le32(blk + 8, (uint32_t)cut);
				blockseal_crcs(blk, cut);
				CHECK_EQ_INT(block_decoder__decode(d, blk, cut, &recs, &nrecs, err,
								   sizeof(err)), -EBADMSG);
			}
		}
		/* The decoder still works after all that. */
		CHECK_EQ_INT(block_decoder__decode(d, kept[k], len, &recs, &nrecs, err, sizeof(err)), 0);
		free(blk);
	}
	printf("damage: %zu flipped blocks all detected\n", tried);
	block_decoder__free(d);
}

/* Hostile bodies: a valid block's body mutated, recompressed with a valid
 * checksum and a header with a valid CRC, so the body parser itself is hit.
 * Must never crash (ASan build checks reads); results are either a clean
 * -EBADMSG or records whose data lies in bounds. */
static void test_hostile(void)
{
	struct block_decoder *d = block_decoder__new(1 << 22);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	uint64_t rng = 7;
	const struct cap_rec *recs;
	uint32_t nrecs;
	char err[256];
	unsigned ok = 0, bad = 0;

	struct blockbuf *b = blockbuf__new(6000);
	struct block_encoder *e = block_encoder__new(1);
	uint64_t clock = 5000;
	uint8_t rec[400];

	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	for (int k = 0; k < 8; k++) {
		/* Small blocks of each flavour: mixed, one fixed-length stream. */
		struct exp_rec r;
		const uint8_t *src;
		size_t src_len;
		struct cap_block_meta m;
		blockbuf__reset(b);
		for (;;) {
			gen(&r, &rng, &clock);
			if (k % 2 && r.stream != 2)
				continue;
			fill(&r, rec);
			if (blockbuf__add(b, r.stream, r.cpu, r.ts, rec, r.len))
				break;
		}
		CHECK_EQ_INT(block_encoder__encode(e, b, &src, &src_len, &m), 0);
		uint32_t raw = m.raw_bytes;
		uint8_t *body = malloc(raw + 64);
		CHECK_EQ_U64(ZSTD_decompress(body, raw, src + 48, src_len - 48), raw);
		uint8_t *mut = malloc(raw + 64);
		size_t cap = 48 + ZSTD_compressBound(raw + 64);
		uint8_t *blk = malloc(cap);

		for (int iter = 0; iter < 1500; iter++) {
			uint64_t x = test_rand(&rng);
			uint32_t mlen = raw;
			memcpy(mut, body, raw);
			int nmut = 1 + x % 4;
			for (int j = 0; j < nmut; j++) {
				uint64_t y = test_rand(&rng);
				/* Mostly hit the front (counts, ids, varints). */
				uint32_t pos = (y & 1) ? (y >> 8) % (raw < 64 ? raw : 64) : (y >> 8) % raw;
				mut[pos] = (y >> 40) & 1 ? (uint8_t)(y >> 48) : mut[pos] ^ (1u << ((y >> 44) % 8));
			}
			if (x % 16 == 0)
				mlen = raw - (x >> 32) % (raw < 32 ? raw : 32);   /* shorter body */
			memcpy(blk, src, 48);
			size_t z = ZSTD_compress2(cc, blk + 48, cap - 48, mut, mlen);
			CHECK(!ZSTD_isError(z));
			tu_put_le32(blk + 8, (uint32_t)(48 + z));
			tu_put_le32(blk + 12, mlen);
			if (x % 8 == 1)   /* lie about the record count */
				tu_put_le32(blk + 16, (uint32_t)((x >> 20) % (mlen + 1)));
			blockseal_crcs(blk, 48 + z);
			int rc = block_decoder__decode(d, blk, 48 + z, &recs, &nrecs, err, sizeof(err));
			if (rc == 0) {
				ok++;
				uint64_t sum = 0;
				for (uint32_t i = 0; i < nrecs; i++) {
					volatile uint8_t t = 0;
					for (uint32_t j = 0; j < recs[i].len; j++)
						t ^= recs[i].data[j];   /* ASan: in bounds */
					sum += recs[i].len;
				}
				CHECK(sum <= mlen);
			} else {
				CHECK_EQ_INT(rc, -EBADMSG);
				bad++;
			}
		}
		free(body);
		free(mut);
		free(blk);
	}
	/* Pure garbage of every small size, and random garbage behind a magic. */
	uint8_t g[512];
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = test_rand(&rng) % sizeof(g);
		for (size_t i = 0; i < n; i++)
			g[i] = (uint8_t)test_rand(&rng);
		if (iter % 2 && n >= 48) {
			memcpy(g, kept[0], 48);
			tu_put_le32(g + 8, (uint32_t)n);
			blockseal_crcs(g, n);
		}
		CHECK(block_decoder__decode(d, g, n, &recs, &nrecs, err, sizeof(err)) < 0);
		CHECK(block__parse_header(g, n, NULL, NULL) <= 0);
	}
	blockbuf__free(b);
	block_encoder__free(e);
	printf("hostile: %u mutated bodies accepted, %u refused; garbage refused\n", ok, bad);
	ZSTD_freeCCtx(cc);
	block_decoder__free(d);
}

/* Events that carry their own timestamp (the recorder's usual case): the
 * encoder stores those 8 bytes once, the decoder rebuilds them exactly; a
 * group where one record disagrees keeps every byte. */
static void test_ts_in_payload(void)
{
	struct blockbuf *b = blockbuf__new(1 << 20);
	struct block_encoder *e = block_encoder__new(1);
	struct block_decoder *d = block_decoder__new(1 << 24);
	const struct cap_rec *recs;
	struct cap_block_meta m1, m2;
	const uint8_t *out;
	size_t out_len, with_ts;
	uint8_t ev[40];
	uint32_t n, i;
	char err[256];

	CHECK(b && e && d);
	for (int pass = 0; pass < 2; pass++) {
		blockbuf__reset(b);
		for (i = 0; i < 1000; i++) {
			uint64_t ts = 1000000007ull * (i + 1) + (i * 7919u) % 1000;

			memset(ev, 0, sizeof(ev));
			ev[0] = (uint8_t)i;
			memcpy(ev + 13, &ts, 8);   /* unaligned, as in a packed struct */
			if (pass == 1 && i == 500)
				ev[20] ^= 1;       /* one record whose field is not its ts */
			CHECK_EQ_INT(blockbuf__add(b, 3, 1, ts, ev, sizeof(ev)), 0);
		}
		CHECK_EQ_INT(block_encoder__encode(e, b, &out, &out_len, pass ? &m2 : &m1), 0);
		if (pass == 0)
			with_ts = m1.raw_bytes;
		CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &n, err, sizeof(err)), 0);
		CHECK_EQ_INT(n, 1000);
		for (i = 0; i < n; i++) {
			uint64_t ts = 1000000007ull * (i + 1) + (i * 7919u) % 1000, got;

			CHECK_EQ_U64(recs[i].ts_ns, ts);
			CHECK_EQ_INT(recs[i].len, sizeof(ev));
			CHECK_EQ_INT(recs[i].data[0], (uint8_t)i);
			memcpy(&got, recs[i].data + 13, 8);
			if (pass == 1 && i == 500)
				got ^= 1ull << 56;
			CHECK_EQ_U64(got, ts);
		}
	}
	/* The first pass stores the 32 other payload bytes and a 5-byte ts
	 * delta per record, not the 8 ts bytes again (pass 2, where one record
	 * disagrees, is coded otherwise and not compared). */
	CHECK(with_ts < 1000 * (32 + 8) && with_ts > 1000 * 32);
	(void)m2;
	blockbuf__free(b);
	block_encoder__free(e);
	block_decoder__free(d);
}

/* Fixed-layout events as the recorder sees them (a timestamp, a counter,
 * pid|tid pairs in bursts, names from a small set, random values, and a
 * tail that is not a whole word): every word mode round-trips exactly, and
 * the coded body is much smaller than the payloads. */
static void test_words(void)
{
	static const char *names[] = { "nginx", "postgres", "bash", "kworker/u8:1", "sshd" };
	enum { N = 20000, L = 61 };
	struct blockbuf *b = blockbuf__new(4 << 20);
	struct block_encoder *e = block_encoder__new(1);
	struct block_decoder *d = block_decoder__new(1 << 26);
	static uint8_t evs[N][L];
	const struct cap_rec *recs;
	struct cap_block_meta m;
	const uint8_t *out;
	size_t out_len;
	uint64_t rng = 42, ts = 1ull << 40;
	uint32_t n, i, pid = 100, tid = 100, got[3] = { 0 };
	char err[256];

	CHECK(b && e && d);
	for (i = 0; i < N; i++) {
		uint64_t r = test_rand(&rng), seq = i + 1, big = r;
		uint8_t *ev = evs[i];

		ts += 50 + (r & 255);
		if ((r >> 8) % 16 == 0)
			pid = 100 + (uint32_t)((r >> 12) % 3000);
		tid = pid + (uint32_t)((r >> 24) & 3);
		memset(ev, 0, L);
		memcpy(ev, &ts, 8);
		memcpy(ev + 8, &pid, 4);
		memcpy(ev + 12, &tid, 4);
		memcpy(ev + 16, &seq, 8);
		strncpy((char *)ev + 24, names[pid % 5], 16);
		if (i % 7 == 0)
			big = UINT64_MAX - r;   /* negative deltas, high bytes set */
		memcpy(ev + 40, &big, 8);
		memcpy(ev + 48, &r, 8);
		ev[56] = (uint8_t)(r >> 3);
		ev[60] = 0xAB;
		CHECK_EQ_INT(blockbuf__add(b, i % 3, (uint32_t)(r >> 40) % 4, ts, ev, L), 0);
	}
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &out_len, &m), 0);
	CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, N);
	/* Grouped by stream, in append order within one. */
	for (i = 0; i < n; i++) {
		uint32_t s = recs[i].stream, k = s + 3 * got[s]++;
		uint64_t want_ts;

		CHECK(s < 3);
		memcpy(&want_ts, evs[k], 8);
		CHECK_EQ_U64(recs[i].ts_ns, want_ts);
		CHECK_EQ_INT(recs[i].len, L);
		if (memcmp(recs[i].data, evs[k], L)) {
			fprintf(stderr, "record %u (event %u) differs\n", i, k);
			exit(1);
		}
	}
	/* Projection: only stream 1, only words 1 (pid|tid) and 5 (random) and
	 * the tail: those bytes exact, the others 0, other streams absent. */
	{
		uint64_t words = 1u << 1 | 1u << 5 | 1u << 7;
		struct block_want want = { .stream = 1, .words = &words, .nwords = 8 };
		uint32_t k1 = 0;

		block_decoder__want(d, &want);
		CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &n, err, sizeof(err)), 0);
		CHECK_EQ_INT(n, got[1]);
		for (i = 0; i < n; i++) {
			const uint8_t *ev = evs[1 + 3 * k1++];
			static const uint8_t zero[8];

			CHECK_EQ_INT(recs[i].stream, 1);
			CHECK(!memcmp(recs[i].data + 8, ev + 8, 8));
			CHECK(!memcmp(recs[i].data + 40, ev + 40, 8));
			CHECK(!memcmp(recs[i].data + 56, ev + 56, 5));
			CHECK(!memcmp(recs[i].data, zero, 8) && !memcmp(recs[i].data + 16, zero, 8) &&
			      !memcmp(recs[i].data + 48, zero, 8));
		}
		block_decoder__want(d, NULL);
		CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &n, err, sizeof(err)), 0);
		CHECK_EQ_INT(n, N);
	}
	/* 61 payload bytes an event, 16 of them random: the other 45 (and the
	 * record's ts, stream, cpu) take under 8 bytes once coded and packed. */
	if (m.enc_bytes >= (uint64_t)N * (16 + 8)) {
		fprintf(stderr, "%u bytes for %u events: %.1f per event\n", m.enc_bytes, N,
			(double)m.enc_bytes / N);
		exit(1);
	}
	blockbuf__free(b);
	block_encoder__free(e);
	block_decoder__free(d);
}

/* Words whose values use only some of their bytes (every set of the 8
 * byte planes, one set a word), random within them, in blocks of record
 * counts around the reader's 8- and 16-value steps: every record comes back
 * exact.  (The reader rebuilds a word from its planes 8 values at a time,
 * dictionary codes 16 at a time.) */
static void test_plane_masks(void)
{
	static const uint32_t counts[] = { 1, 7, 8, 9, 15, 16, 17, 1037 };
	enum { L = 64, W = L / 8 };
	struct block_encoder *e = block_encoder__new(1);
	struct block_decoder *d = block_decoder__new(1 << 26);
	static uint8_t evs[1037][L];
	uint64_t rng = 77;
	size_t checked = 0;
	char err[256];

	CHECK(e && d);
	for (uint32_t base = 0; base < 256; base += W) {
		for (size_t ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
			struct blockbuf *b = blockbuf__new(4 << 20);
			const struct cap_rec *recs;
			struct cap_block_meta m;
			const uint8_t *out;
			size_t out_len;
			uint32_t n, c = counts[ci];

			CHECK(b);
			for (uint32_t i = 0; i < c; i++) {
				for (uint32_t w = 0; w < W; w++) {
					/* word w's bytes: those of mask base + w */
					unsigned mask = (base + w) & 255;
					uint64_t r = test_rand(&rng), x = 0;

					if (i % 5 == 1)   /* repeats: dictionaries, small codes */
						memcpy(&x, evs[i - 1] + 8 * w, 8);
					else
						for (int k = 0; k < 8; k++)
							if (mask >> k & 1)
								x |= (r >> (8 * k) & 0xff) << (8 * k);
					memcpy(evs[i] + 8 * w, &x, 8);
				}
				CHECK_EQ_INT(blockbuf__add(b, 0, 0, 1000 + i, evs[i], L), 0);
			}
			CHECK_EQ_INT(block_encoder__encode(e, b, &out, &out_len, &m), 0);
			CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &n, err, sizeof(err)),
				     0);
			CHECK_EQ_INT(n, c);
			for (uint32_t i = 0; i < n; i++) {
				if (recs[i].len != L || memcmp(recs[i].data, evs[i], L)) {
					fprintf(stderr, "masks from %u, %u records: record %u differs\n",
						base, c, i);
					CHECK(0);
				}
				checked++;
			}
			blockbuf__free(b);
		}
	}
	CHECK(checked > 30000);
	block_encoder__free(e);
	block_decoder__free(d);
}

/* One block of c[s] records of stream s (s < 2), proj_len[s] bytes each,
 * every byte from (seed, stream, index): encoded bytes in *buf (malloc'd). */
static const uint32_t proj_len[2] = { 45, 61 };
static uint8_t proj_byte(uint64_t seed, uint32_t s, uint32_t i, uint32_t j)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull ^ ((uint64_t)s << 40 | (uint64_t)i << 8 | j);

	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ull;
	return j >= 24 && j < 40 ? (uint8_t)(j + s) : (uint8_t)(x >> 40);   /* a constant middle */
}

static size_t proj_block(uint64_t seed, const uint32_t c[2], uint8_t **buf)
{
	struct blockbuf *b = blockbuf__new(4 << 20);
	struct block_encoder *e = block_encoder__new(1);
	struct cap_block_meta m;
	const uint8_t *out;
	size_t len;
	uint8_t ev[61];

	CHECK(b && e);
	for (uint32_t s = 0; s < 2; s++)
		for (uint32_t i = 0; i < c[s]; i++) {
			for (uint32_t j = 0; j < proj_len[s]; j++)
				ev[j] = proj_byte(seed, s, i, j);
			CHECK_EQ_INT(blockbuf__add(b, s, 0, 1000 + i, ev, proj_len[s]), 0);
		}
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &len, &m), 0);
	*buf = malloc(len);
	CHECK(*buf != NULL);
	memcpy(*buf, out, len);
	blockbuf__free(b);
	block_encoder__free(e);
	return len;
}

/* Decodes a block and checks every record: wanted words (bit w of words,
 * bit L/8 the tail; 0: all) exact, the rest 0.  set: tell d what is
 * wanted first (a new query); else d decodes as it did the last block. */
static void proj_check(struct block_decoder *d, uint64_t seed, const uint32_t c[2],
		       uint32_t stream, uint64_t words, int set)
{
	struct block_want want = { .stream = stream, .words = &words, .nwords = 8 };
	const struct cap_rec *recs;
	uint8_t *blk;
	size_t len = proj_block(seed, c, &blk);
	uint32_t n, k = 0;
	char err[256];

	if (set && words)
		block_decoder__want(d, &want);
	else if (set)
		block_decoder__want(d, NULL);
	CHECK_EQ_INT(block_decoder__decode(d, blk, len, &recs, &n, err, sizeof(err)), 0);
	for (uint32_t s = 0; s < 2; s++) {
		if (words && stream != CAP_STREAM_ALL && s != stream)
			continue;
		for (uint32_t i = 0; i < c[s]; i++, k++) {
			CHECK(k < n);
			CHECK_EQ_INT(recs[k].stream, s);
			CHECK_EQ_INT(recs[k].len, proj_len[s]);
			for (uint32_t j = 0; j < proj_len[s]; j++) {
				int wanted = !words || (words >> (j / 8) & 1);
				uint8_t expect = wanted ? proj_byte(seed, s, i, j) : 0;

				if (recs[k].data[j] != expect) {
					fprintf(stderr, "seed %llu stream %u record %u byte %u: %u, expected %u\n",
						(unsigned long long)seed, s, i, j, recs[k].data[j], expect);
					exit(1);
				}
			}
		}
	}
	CHECK_EQ_INT(n, k);
	free(blk);
}

/* A decoder reused for block after block of a projection keeps the words
 * it skips at 0 without zeroing the payloads each time (the clean-region
 * shortcut): whatever the previous block's layout, projection or records. */
static void test_projection_reuse(void)
{
	struct block_decoder *d = block_decoder__new(1 << 26);
	/* Words 1 and 5 (stream 0: its tail), words 2 and the tail (stream 1). */
	const uint64_t w15 = 1u << 1 | 1u << 5, w2t = 1u << 2 | 1u << 7;
	uint32_t seed = 1;

	CHECK(d != NULL);
	/* Dirty payloads first: every byte of 3600 + 3600 records written. */
	proj_check(d, seed++, (uint32_t[]){ 3600, 3600 }, CAP_STREAM_ALL, 0, 1);
	/* One stream wanted; the group shrinks, then grows past what was clean. */
	proj_check(d, seed++, (uint32_t[]){ 0, 3000 }, 1, w15, 1);
	proj_check(d, seed++, (uint32_t[]){ 0, 2000 }, 1, w15, 0);
	proj_check(d, seed++, (uint32_t[]){ 0, 3500 }, 1, w15, 0);
	proj_check(d, seed++, (uint32_t[]){ 500, 3600 }, 1, w15, 0);   /* other stream skipped */
	/* Everything decoded, then the projection again: zeros come back. */
	proj_check(d, seed++, (uint32_t[]){ 3600, 3600 }, CAP_STREAM_ALL, 0, 1);
	proj_check(d, seed++, (uint32_t[]){ 0, 3500 }, 1, w15, 1);
	proj_check(d, seed++, (uint32_t[]){ 0, 3600 }, 1, w15, 0);
	/* Another projection of the same layout. */
	proj_check(d, seed++, (uint32_t[]){ 0, 3600 }, 1, w2t, 1);
	proj_check(d, seed++, (uint32_t[]){ 0, 3000 }, 1, w2t, 0);
	/* Both streams wanted: two groups write into the payloads, the second
	 * where the first one's records were; then one big group over both. */
	proj_check(d, seed++, (uint32_t[]){ 1500, 1500 }, CAP_STREAM_ALL, w15, 1);
	proj_check(d, seed++, (uint32_t[]){ 1000, 3000 }, CAP_STREAM_ALL, w15, 0);
	proj_check(d, seed++, (uint32_t[]){ 3600, 0 }, CAP_STREAM_ALL, w15, 0);
	proj_check(d, seed++, (uint32_t[]){ 3700, 0 }, CAP_STREAM_ALL, w15, 0);
	proj_check(d, seed++, (uint32_t[]){ 2000, 3000 }, CAP_STREAM_ALL, w15, 0);
	proj_check(d, seed++, (uint32_t[]){ 4000, 0 }, CAP_STREAM_ALL, w15, 0);
	block_decoder__free(d);
}

/* A group large enough for the biggest dictionary (small records, many
 * distinct values): the encoder's tables hold, the round trip is exact. */
static void test_big_dictionary(void)
{
	enum { N = 300000 };
	struct blockbuf *b = blockbuf__new(16 << 20);
	struct block_encoder *e = block_encoder__new(1);
	struct block_decoder *d = block_decoder__new(1 << 26);
	const struct cap_rec *recs;
	const uint8_t *out;
	size_t out_len;
	uint64_t rng = 7, v;
	uint32_t n, i;
	char err[256];

	CHECK(b && e && d);
	for (i = 0; i < N; i++) {
		uint64_t ev[2];

		/* runs of 4: a dictionary looks worth it in the encoder's sample,
		 * and 75k distinct values overflow the largest one */
		v = (uint64_t)(i / 4) * 0x9E3779B97F4A7C15ull;
		v ^= v >> 29;
		v *= 0xbf58476d1ce4e5b9ull;
		ev[0] = v ^ (v >> 32);
		ev[1] = test_rand(&rng) % 60000;   /* 60k distinct, repeating: fits */
		ev[1] = (ev[1] / 64) * 64;
		CHECK_EQ_INT(blockbuf__add(b, 1, 0, 1000 + i, ev, sizeof(ev)), 0);
	}
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &out_len, NULL), 0);
	CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, N);
	rng = 7;
	for (i = 0; i < N; i++) {
		uint64_t ev[2];

		memcpy(ev, recs[i].data, sizeof(ev));
		v = (uint64_t)(i / 4) * 0x9E3779B97F4A7C15ull;
		v ^= v >> 29;
		v *= 0xbf58476d1ce4e5b9ull;
		CHECK_EQ_U64(ev[0], v ^ (v >> 32));
		CHECK_EQ_U64(ev[1], (test_rand(&rng) % 60000) / 64 * 64);
	}
	blockbuf__free(b);
	block_encoder__free(e);
	block_decoder__free(d);
}

/* Keyed dictionaries (encoding 3): tasks, some with threads, interleaved
 * in bursts, each with its comm and 8 files of its own among 4096.  The
 * block is written as encoding 3 with keyed columns keyed by the pid half
 * of the pid|tid word (GRP_KEY_LO), decodes exactly, in full and under
 * projections that leave the key word out; hostile modes and codes are
 * refused; mutated bodies never read out of bounds. */
enum { KN = 30000, KL = 48 };
static uint8_t kevs[KN][KL];

static uint64_t kmix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The mode bytes of the only group of a one-stream GRP_WORDS body of
 * 48-byte records: TS, then a DICT key word, then at least one KEYED 9. */
static uint8_t *keyed_modes(uint8_t *body, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++)
		if (body[i] == 5 && body[i + 1] == 4 && memchr(body + i + 2, 9, 4))
			return body + i;
	return NULL;
}

static void test_keyed(void)
{
	struct blockbuf *b = blockbuf__new(8 << 20);
	struct block_encoder *e = block_encoder__new(1);
	struct block_decoder *d = block_decoder__new(1 << 26);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	const struct cap_rec *recs;
	struct cap_block_meta m;
	const uint8_t *out;
	size_t out_len;
	uint64_t rng = 99, ts = 1ull << 40;
	uint32_t n, i, pid = 0, tid = 0, burst = 0;
	char err[256];

	CHECK(b && e && d && cc);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	for (i = 0; i < KN; i++) {
		uint64_t r = test_rand(&rng), h, comm, file;
		uint8_t *ev = kevs[i];

		if (!burst) {
			pid = 1000 + (uint32_t)((r & 1) ? (r >> 8) % 32 : (r >> 8) % 400);
			burst = 1 + (uint32_t)((r >> 20) % 48);
		}
		burst--;
		h = kmix(pid);
		tid = pid + ((h & 3) ? 0 : (uint32_t)(r >> 40) % 4);
		comm = kmix((h >> 12) % 200);
		file = kmix(((h >> 20) + ((r >> 32) & 3)) & 511);
		ts += 90 + (r >> 59);
		memcpy(ev, &ts, 8);
		memcpy(ev + 8, &pid, 4);
		memcpy(ev + 12, &tid, 4);
		memcpy(ev + 16, &comm, 8);
		memcpy(ev + 24, &file, 8);
		memcpy(ev + 32, &r, 8);        /* noise */
		uint64_t seq = i;
		memcpy(ev + 40, &seq, 8);
		CHECK_EQ_INT(blockbuf__add(b, 3, CAP_CPU_UNKNOWN, ts, ev, KL), 0);
	}
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &out_len, &m), 0);
	/* encoding 7: a compact block (5's keyed columns, whose codes take 2
	 * bytes, escaped; and a mode per ts column) */
	CHECK_EQ_INT(out[6] | out[7] << 8, 7);
	CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, KN);
	for (i = 0; i < n; i++)
		CHECK(recs[i].len == KL && !memcmp(recs[i].data, kevs[i], KL));
	/* Projections: the keyed words without their key, the key alone. */
	static const uint64_t wsets[] = { 1u << 2 | 1u << 3, 1u << 3, 1u << 1, 1u << 4 | 1u << 3 };
	for (size_t k = 0; k < sizeof(wsets) / sizeof(wsets[0]); k++) {
		uint64_t words = wsets[k];
		struct block_want want = { .stream = CAP_STREAM_ALL, .words = &words, .nwords = 6 };
		static const uint8_t zero[8];

		block_decoder__want(d, &want);
		CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &n, err, sizeof(err)), 0);
		CHECK_EQ_INT(n, KN);
		for (i = 0; i < n; i++)
			for (uint32_t w = 0; w < KL / 8; w++)
				CHECK(!memcmp(recs[i].data + 8 * w, words >> w & 1 ? kevs[i] + 8 * w : zero,
					      8));
	}
	block_decoder__want(d, NULL);

	/* Hostile modes: a key word that is itself or after the column, not a
	 * dictionary, two keys; modes 6 and 7; keyed in an encoding-1 block. */
	uint32_t raw = m.raw_bytes;
	uint8_t *body = malloc(raw), *mut = malloc(raw);
	size_t cap = 48 + ZSTD_compressBound(raw);
	uint8_t *blk = malloc(cap);
	CHECK(body && mut && blk);
	CHECK_EQ_U64(ZSTD_decompress(body, raw, out + 48, out_len - 48), raw);
	uint8_t *modes = keyed_modes(body, raw);
	CHECK(modes);
	size_t mo = (size_t)(modes - body);
	/* body: nstreams 1, stream 3, count 30000 (3 bytes), then the flags:
	 * keyed by the pid half of the pid|tid word, codes escaped. */
	CHECK_EQ_INT(body[5], 0x80 | 0x20 | 0x10 | 0x08 | 0x02 | 0x01);
	for (int t = 0; t < 11; t++) {
		memcpy(mut, body, raw);
		uint8_t *mm = mut + mo;
		int kw = -1;
		for (int w = 2; w < KL / 8; w++)
			if (mm[w] >= 8 && kw < 0)
				kw = w;
		CHECK(kw >= 2);
		const char *want_err = "bad dictionary key word";
		switch (t) {
		case 0: mm[kw] = (uint8_t)(8 + kw); break;        /* itself */
		case 1: mm[kw] = (uint8_t)(8 + kw + 1); break;    /* a later word */
		case 2: mm[kw] = 8; break;                        /* the ts word */
		case 3: mm[1] = 0; break;                         /* key coded RAW */
		case 4: mm[kw] = 6; want_err = "unknown mode"; break;
		case 5: mm[kw] = 7; want_err = "unknown mode"; break;
		case 6: mm[kw] = 255; break;
		case 7: want_err = "encoding-1 block"; break;
		case 8: want_err = "low half in an encoding-2 block"; break;
		case 9: mut[5] &= ~0x08; want_err = "low half without word columns"; break;
		case 10: mut[5] &= ~0x10; want_err = "next-value dictionary codes in an encoding-2"; break;
		}
		memcpy(blk, out, 48);
		if (t == 7 || t == 8 || t == 10)
			blk[6] = t == 7 ? 1 : 2;
		size_t z = ZSTD_compress2(cc, blk + 48, cap - 48, mut, raw);
		CHECK(!ZSTD_isError(z));
		tu_put_le32(blk + 8, (uint32_t)(48 + z));
		blockseal_crcs(blk, 48 + z);
		CHECK_EQ_INT(block_decoder__decode(d, blk, 48 + z, &recs, &n, err, sizeof(err)),
			     -EBADMSG);
		if (!strstr(err, want_err)) {
			fprintf(stderr, "keyed hostile case %d: %s\n", t, err);
			exit(1);
		}
	}
	/* Random damage after the modes: bounds hold (ASan), or the block is
	 * refused. */
	unsigned ok = 0, bad = 0;
	for (int iter = 0; iter < 400; iter++) {
		uint64_t x = test_rand(&rng);
		memcpy(mut, body, raw);
		for (int j = 0; j < 1 + (int)(x % 3); j++) {
			uint64_t y = test_rand(&rng);
			size_t pos = mo + (y >> 8) % (raw - mo);
			mut[pos] = (uint8_t)(y >> 48);
		}
		memcpy(blk, out, 48);
		size_t z = ZSTD_compress2(cc, blk + 48, cap - 48, mut, raw);
		CHECK(!ZSTD_isError(z));
		tu_put_le32(blk + 8, (uint32_t)(48 + z));
		blockseal_crcs(blk, 48 + z);
		int rc = block_decoder__decode(d, blk, 48 + z, &recs, &n, err, sizeof(err));
		CHECK(rc == 0 || rc == -EBADMSG);
		if (!rc) {
			volatile uint8_t t = 0;
			for (i = 0; i < n; i++)
				for (uint32_t j = 0; j < recs[i].len; j++)
					t ^= recs[i].data[j];
			ok++;
		} else {
			bad++;
		}
	}
	printf("keyed: %u bytes for %u events (%.2f a event); 400 damaged bodies: %u decoded, "
	       "%u refused\n", m.enc_bytes, KN, (double)m.enc_bytes / KN, ok, bad);
	free(body);
	free(mut);
	free(blk);
	ZSTD_freeCCtx(cc);
	blockbuf__free(b);
	block_encoder__free(e);
	block_decoder__free(d);
}

/* Wide records that are mostly zeros (as --syscalls' 640 bytes: a fixed
 * part, then string slots mostly empty): the all-zero word columns take
 * the encoder's short way (RAW, no plane), the others the usual one, and
 * every record comes back byte for byte; a column that is zero in all
 * records but one is not all-zero. */
static void test_zero_columns(void)
{
	enum { N = 3000, L = 640 };
	struct block_encoder *e = block_encoder__new(1);
	struct block_decoder *d = block_decoder__new(CAP_BLOCK_MAX_RAW);
	struct blockbuf *b = blockbuf__new(4 << 20);
	static uint8_t recs_in[N][L];
	const struct cap_rec *recs;
	struct cap_block_meta m;
	uint32_t nrecs;
	uint64_t rng = 7;
	char err[256];
	const uint8_t *out;
	size_t out_len;

	CHECK(e && d && b);
	for (uint32_t i = 0; i < N; i++) {
		uint8_t *r = recs_in[i];
		uint64_t ts = 1000 + 37ull * i;

		memcpy(r, &ts, 8);
		for (int k = 8; k < 128; k++)
			r[k] = (uint8_t)test_rand(&rng);
		if (i % 5 == 0)    /* a path in the first slot now and then */
			snprintf((char *)r + 128, 256, "/usr/lib/x86_64-linux-gnu/lib%u.so", i % 97);
		if (i == N / 2)    /* one byte in a word that is zero elsewhere */
			r[L - 3] = 0x5a;
		CHECK_EQ_INT(blockbuf__add(b, 3, i % 2, ts, r, L), 0);
	}
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &out_len, &m), 0);
	CHECK(out_len < (size_t)N * 128);   /* the zeros cost next to nothing */
	CHECK_EQ_INT(block_decoder__decode(d, out, out_len, &recs, &nrecs, err, sizeof(err)), 0);
	CHECK_EQ_INT(nrecs, N);
	for (uint32_t i = 0; i < N; i++) {
		CHECK_EQ_INT(recs[i].len, L);
		CHECK_EQ_U64(recs[i].ts_ns, 1000 + 37ull * i);
		if (memcmp(recs[i].data, recs_in[i], L)) {
			fprintf(stderr, "record %u differs\n", i);
			CHECK(0);
		}
	}
	blockbuf__free(b);
	block_encoder__free(e);
	block_decoder__free(d);
}

int main(void)
{
	test_zero_columns();
	test_keyed();
	test_big_dictionary();
	test_words();
	test_plane_masks();
	test_projection_reuse();
	test_ts_in_payload();
	test_edges();
	test_round_trip();
	test_damage();
	test_hostile();
	for (int k = 0; k < NKEEP; k++)
		free(kept[k]);
	printf("test_block: ok\n");
	return 0;
}
