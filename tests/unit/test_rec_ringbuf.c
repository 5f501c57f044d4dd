/* test_rec_ringbuf - the ringbuf consumer's runs (recorder/ringbuf.c,
 * rbc__consume_runs) on a ring made in memory the way the kernel lays one
 * out (a consumer page, a producer page, the data area mapped twice in a
 * row), without BPF: every committed record is handed out once, in order,
 * with its bytes and length; discarded ones are skipped; a record still
 * being written stops the pass and the next pass starts there; records that
 * wrap around the end arrive whole; no run is longer than RBC_RUN; the
 * space of a run is not given back to the producer before the run has been
 * handed out; a run whose callback fails is not consumed; and a run says
 * when its records have one length (same_len). */
#include <errno.h>
#include <stdint.h>

#include "block.h"
#include "memring.h"
#include "ringbuf.h"
#include "testutil.h"

#define HDR MEMRING_HDR

struct ring {
	struct memring m;
	uint64_t next_id;      /* id of the next record written */
};

/* Record id's length and bytes: 1..199 bytes, each from the id. */
static uint32_t rec_len(uint64_t id)
{
	return 1 + (uint32_t)((id * 2654435761u) % 199);
}

static uint8_t rec_byte(uint64_t id, uint32_t i)
{
	return (uint8_t)(id * 31 + i * 7);
}

/* Lengths for the runs of one length: 40 bytes, but 41 for id 300 and 12
 * for ids 0 and 700 (discarded). */
static uint32_t one_len(uint64_t id)
{
	return id == 300 ? 41 : id % 700 == 0 ? 12 : 40;
}

static uint32_t (*ring_len)(uint64_t id) = rec_len;

/* Writes the next record (its id's bytes); flags as memring_put's.
 * Returns its position. */
static uint64_t ring_put(struct ring *r, uint32_t flags)
{
	uint64_t id = r->next_id++, at;
	uint32_t len = ring_len(id), i;
	uint8_t *p = memring_put(&r->m, NULL, len, flags, &at);

	for (i = 0; i < len; i++)
		p[i] = rec_byte(id, i);
	return at;
}

/* What the callback checks and collects */
struct seen {
	struct ring *r;
	uint64_t want_id;      /* id of the next record expected */
	uint64_t skip_every;   /* ids that are multiples of it were discarded (0: none) */
	long got, runs;
	uint32_t longest;
	int fail_at_run;       /* run number (1-based) whose callback fails, 0: none */
	long same_runs;        /* runs whose records had one length (same_len) */
	uint32_t (*len_of)(uint64_t id);   /* record lengths; NULL: rec_len */
};

static int on_run(void *ctx, struct blockbuf_rec *recs, uint32_t n, uint32_t same_len)
{
	struct seen *s = ctx;
	uint32_t i, j, one_len = recs[0].len;

	s->runs++;
	CHECK(n > 0 && n <= RBC_RUN);
	/* same_len: the run's one length, 0 if it has several */
	for (i = 1; i < n; i++)
		if (recs[i].len != recs[0].len)
			one_len = 0;
	CHECK_EQ_INT(same_len, one_len);
	s->same_runs += same_len != 0;
	if (n > s->longest)
		s->longest = n;
	/* The run's first record is still the consumer's: its space has
	 * not been given back. */
	{
		size_t mask = s->r->m.c.size - 1;
		uint64_t cons = *s->r->m.c.cons;
		size_t off = (size_t)((const uint8_t *)recs[0].data - HDR - s->r->m.c.data);

		CHECK(((off - (cons & mask)) & mask) < s->r->m.prod - cons);
	}
	if (s->fail_at_run && s->runs == s->fail_at_run)
		return -EIO;
	for (i = 0; i < n; i++) {
		while (s->skip_every && s->want_id % s->skip_every == 0)
			s->want_id++;
		CHECK_EQ_INT(recs[i].len, (s->len_of ? s->len_of : rec_len)(s->want_id));
		for (j = 0; j < recs[i].len; j++)
			if (((const uint8_t *)recs[i].data)[j] != rec_byte(s->want_id, j)) {
				fprintf(stderr, "record %llu byte %u: %u, expected %u\n",
					(unsigned long long)s->want_id, j,
					((const uint8_t *)recs[i].data)[j], rec_byte(s->want_id, j));
				exit(1);
			}
		s->want_id++;
		s->got++;
	}
	return 0;
}

/* 20000 records through a 512 KiB ring in passes of up to 300, every 7th
 * discarded: the ring wraps around many times.  Their lengths by len
 * (rec_len: all kinds; one_len: the usual run of one length, its walk's
 * own path). */
static void many_passes(uint32_t (*len)(uint64_t id))
{
	struct ring r;
	struct seen s = { .r = &r, .skip_every = 7, .len_of = len };
	long want = 0;

	r.next_id = 0;
	ring_len = len;
	memring_open(&r.m, 512 << 10);
	/* start near the end of the area: the first pass wraps already */
	r.m.cons = r.m.prod = (512 << 10) - 16;
	while (r.next_id < 20000) {
		uint32_t k;

		for (k = 0; k < 300 && r.next_id < 20000; k++) {
			int discard = r.next_id % 7 == 0;

			ring_put(&r, discard ? BPF_RINGBUF_DISCARD_BIT : 0);
			want += !discard;
		}
		long n = rbc__consume_runs(&r.m.c, on_run, &s);
		CHECK(n >= 0);
		CHECK_EQ_U64(r.m.cons, r.m.prod);   /* all of it given back after the pass */
	}
	CHECK_EQ_INT(s.got, want);
	CHECK(s.longest == RBC_RUN);       /* passes of 300: runs were cut at RBC_RUN */
	ring_len = rec_len;
	memring_close(&r.m);
}

/* A record still being written (busy) stops the pass there; once
 * committed, the next pass hands it out and the rest. */
static void busy_stops(uint32_t (*len)(uint64_t id))
{
	struct ring r;
	struct seen s = { .r = &r, .len_of = len };
	uint64_t busy_at = 0;
	int i;

	r.next_id = 0;
	ring_len = len;
	memring_open(&r.m, 16 << 10);
	for (i = 0; i < 40; i++) {
		uint64_t at = ring_put(&r, i == 25 ? BPF_RINGBUF_BUSY_BIT : 0);

		if (i == 25)
			busy_at = at;
	}
	CHECK_EQ_INT(rbc__consume_runs(&r.m.c, on_run, &s), 25);
	CHECK_EQ_U64(r.m.cons, busy_at);
	CHECK_EQ_INT(rbc__consume_runs(&r.m.c, on_run, &s), 0);   /* still busy */
	memring_commit(&r.m, busy_at);
	CHECK_EQ_INT(rbc__consume_runs(&r.m.c, on_run, &s), 15);
	CHECK_EQ_U64(r.m.cons, r.m.prod);
	CHECK_EQ_INT(s.got, 40);
	ring_len = rec_len;
	memring_close(&r.m);
}

/* A callback that fails: its run stays in the ring (the consumer position
 * at the run's first record), the runs before it are consumed, and the
 * next pass hands the failed run out again. */
static void failed_run_kept(void)
{
	struct ring r;
	struct seen s = { .r = &r, .fail_at_run = 2 };
	uint64_t second_run_at = 0;
	int i;

	r.next_id = 0;
	memring_open(&r.m, 1 << 20);
	for (i = 0; i < 3 * RBC_RUN; i++) {
		uint64_t at = ring_put(&r, 0);

		if (i == RBC_RUN)
			second_run_at = at;
	}
	CHECK_EQ_INT(rbc__consume_runs(&r.m.c, on_run, &s), -EIO);
	CHECK_EQ_INT(s.got, RBC_RUN);
	CHECK_EQ_U64(r.m.cons, second_run_at);
	CHECK_EQ_INT(rbc__consume_runs(&r.m.c, on_run, &s), 2 * RBC_RUN);
	CHECK_EQ_INT(s.got, 3 * RBC_RUN);
	CHECK_EQ_U64(r.m.cons, r.m.prod);
	memring_close(&r.m);
}

/* A small ring (an eighth is 512 bytes, a few records): space is given
 * back during the pass, never ahead of the run being handed out (on_run
 * checks), and everything arrives. */
static void small_ring(void)
{
	struct ring r;
	struct seen s = { .r = &r };
	long total = 0;

	r.next_id = 0;
	memring_open(&r.m, 4096);
	while (r.next_id < 2000) {
		while (r.m.prod - r.m.cons + HDR + 200 <= 4096 && r.next_id < 2000)
			ring_put(&r, 0);
		total += rbc__consume_runs(&r.m.c, on_run, &s);
	}
	CHECK_EQ_INT(total, 2000);
	CHECK_EQ_INT(s.got, 2000);
	memring_close(&r.m);
}

/* Records of one length: each run says so (same_len 40), but the run
 * holding id 300 (41 bytes); discarded records of another length (ids 0
 * and 700) do not count. */
static void one_length(void)
{
	struct ring r;
	struct seen s = { .r = &r, .len_of = one_len, .skip_every = 700 };
	uint32_t k;

	r.next_id = 0;
	ring_len = one_len;
	memring_open(&r.m, 1 << 20);
	for (k = 0; k < 1000; k++)
		ring_put(&r, r.next_id % 700 == 0 ? BPF_RINGBUF_DISCARD_BIT : 0);
	CHECK_EQ_INT(rbc__consume_runs(&r.m.c, on_run, &s), 998);
	CHECK_EQ_INT(s.runs, 4);        /* 256 + 256 + 256 + 230 */
	CHECK_EQ_INT(s.same_runs, 3);   /* all but the one with id 300 */
	ring_len = rec_len;
	memring_close(&r.m);
}

int main(void)
{
	many_passes(rec_len);
	many_passes(one_len);
	busy_stops(rec_len);
	busy_stops(one_len);
	failed_run_kept();
	small_ring();
	one_length();
	printf("ok\n");
	return 0;
}
