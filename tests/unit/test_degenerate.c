/* test_degenerate - blocks of degenerate records through the writer (capw)
 * and the reader (capr): constant events (the body holds fewer bytes than
 * records), all-zero and all-0xff records, a single stream, a single record,
 * empty records.  Every record read back equals the one written, field by
 * field and byte by byte; the encoder's own check (blockenc.c) must not refuse
 * any of them either. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "capr.h"
#include "capw.h"
#include "testutil.h"

#define MAXREC 200000
#define MAXLEN 96

struct exp_rec { uint32_t s; uint32_t cpu; uint64_t ts; uint32_t len; uint8_t fill; };

static struct exp_rec want[MAXREC];
static uint8_t seen[MAXREC];

/* Writes n records from want[] (s: index into the capture's streams) as
 * blocks of at most block_bytes, reads the capture back and compares. */
static void round_trip(const char *name, uint32_t n, uint32_t nstreams, size_t block_bytes)
{
	char dir[4096], err[512];
	snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir(name));
	struct capw *w = capw__create(dir, NULL);
	struct cap_session sess = { .host = "h", .kernel_release = "k", .boot_id = "b",
				    .cmdline = "bpfrec record", .tool_version = "0" };
	uint32_t obj, sid[4];
	uint8_t buf[MAXLEN];

	CHECK(w);
	CHECK_EQ_INT(capw__set_session(w, &sess), 0);
	CHECK_EQ_INT(capw__add_object(w, "o", NULL, NULL, 0, &obj), 0);
	for (uint32_t i = 0; i < nstreams; i++) {
		char sname[16];
		snprintf(sname, sizeof(sname), "s%u", i);
		struct cap_stream_desc d = { sname, "ringbuf", obj, sname, NULL, 0, -1 };
		CHECK_EQ_INT(capw__add_stream(w, &d, &sid[i]), 0);
	}
	struct blockbuf *b = blockbuf__new(block_bytes);
	CHECK(b);
	for (uint32_t i = 0; i < n; i++) {
		const struct exp_rec *r = &want[i];
		memset(buf, r->fill, r->len);
		int rc = blockbuf__add(b, sid[r->s], r->cpu, r->ts, buf, r->len);
		if (rc == -ENOSPC) {
			CHECK_EQ_INT(capw__write_block(w, b), 0);
			blockbuf__reset(b);
			rc = blockbuf__add(b, sid[r->s], r->cpu, r->ts, buf, r->len);
		}
		CHECK_EQ_INT(rc, 0);
	}
	CHECK_EQ_INT(capw__write_block(w, b), 0);
	blockbuf__free(b);
	struct capw_stats st;
	capw__stats(w, &st);
	CHECK_EQ_U64(st.records, n);
	CHECK_EQ_INT(capw__close(w, 1), 0);

	struct capr *cr = capr__open(dir, err, sizeof(err));
	if (!cr)
		fprintf(stderr, "%s: %s\n", name, err);
	CHECK(cr);
	const struct cap_block_info *bl;
	size_t nb;
	uint32_t got = 0, next[4] = { 0 };
	CHECK_EQ_INT(capr__blocks(cr, &bl, &nb), 0);
	memset(seen, 0, n);
	for (size_t k = 0; k < nb; k++) {
		const struct cap_rec *recs;
		uint32_t nr;
		int rc = capr__read_block(cr, &bl[k], &recs, &nr, err, sizeof(err));
		if (rc)
			fprintf(stderr, "%s: block %zu: %s\n", name, k, err);
		CHECK_EQ_INT(rc, 0);
		/* Records of one stream come back in write order: match each to
		 * the next unseen record of its stream. */
		for (uint32_t j = 0; j < nr; j++) {
			uint32_t s = 0;
			while (s < nstreams && sid[s] != recs[j].stream)
				s++;
			CHECK(s < nstreams);
			while (next[s] < n && (want[next[s]].s != s || seen[next[s]]))
				next[s]++;
			CHECK(next[s] < n);
			const struct exp_rec *r = &want[next[s]];
			seen[next[s]] = 1;
			CHECK_EQ_U64(recs[j].ts_ns, r->ts);
			CHECK_EQ_U64(recs[j].cpu, r->cpu);
			CHECK_EQ_U64(recs[j].len, r->len);
			for (uint32_t x = 0; x < r->len; x++)
				CHECK_EQ_INT(recs[j].data[x], r->fill);
			got++;
		}
	}
	CHECK_EQ_U64(got, n);
	capr__close(cr);
	printf("%s: %u records in %zu blocks read back\n", name, n, nb);
}

int main(void)
{
	uint32_t n;

	/* The case: an event that is always identical (its own ts
	 * field left 0, so the record's ts is 0), on two streams: the body
	 * codes 40 records in 23 bytes. */
	for (n = 0; n < 40; n++)
		want[n] = (struct exp_rec){ n % 2, 0, 0, 24, 0 };
	round_trip("degen_issue", n, 2, 1 << 20);

	/* Constant events in quantity: many blocks of nearly empty bodies. */
	for (n = 0; n < MAXREC; n++)
		want[n] = (struct exp_rec){ 0, 3, 123456789, 32, 0x5a };
	round_trip("degen_constant", n, 1, 1 << 20);

	/* All zero: ts, cpu, bytes; a run of 8-byte and of odd-length records. */
	for (n = 0; n < 5000; n++)
		want[n] = (struct exp_rec){ n < 2500 ? 0 : 1, 0, 0, n < 2500 ? 8 : 13, 0 };
	round_trip("degen_zero", n, 2, 1 << 20);

	/* All 0xff: the largest ts, the unknown cpu, 0xff bytes. */
	for (n = 0; n < 5000; n++)
		want[n] = (struct exp_rec){ n % 3, CAP_CPU_UNKNOWN, UINT64_MAX, 40, 0xff };
	round_trip("degen_ff", n, 3, 1 << 20);

	/* One stream, one record, in each of a few shapes. */
	const uint32_t lens[] = { 0, 1, 7, 8, 9, MAXLEN };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char name[32];
		want[0] = (struct exp_rec){ 0, (uint32_t)i, i * 1000, lens[i], (uint8_t)(0xff * (i & 1)) };
		snprintf(name, sizeof(name), "degen_single_%u", lens[i]);
		round_trip(name, 1, 1, 1 << 20);
	}

	/* Empty records only (a length of 0 codes nothing at all). */
	for (n = 0; n < 10000; n++)
		want[n] = (struct exp_rec){ n % 4, 1, 77, 0, 0 };
	round_trip("degen_empty", n, 4, 1 << 20);
	printf("test_degenerate: ok\n");
	return 0;
}
