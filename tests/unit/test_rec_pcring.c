/* test_rec_pcring - per-CPU rings read in place (recorder/pcring.c,
 * pcring__read_runs) over regions made in memory the way the map's array
 * lays them out (pcring__wrap: a head, a 4 KiB ring, a slack an event
 * runs on into past the ring's end), without BPF: each CPU's events are
 * handed out once, in order, with their bytes, length and CPU; events that
 * cross the ring's end arrive whole; no run is longer than PCRING_RUN and
 * a run says when its events have one length (same_len); tail moves past
 * what was read; a region whose event does not add up is skipped to its
 * head (counted bad, the runs before it kept); a run whose callback fails
 * stays in the ring, those before it consumed.  Each case runs with
 * events of one length (the walk's own path) and of many. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "block.h"
#include "bpfrec_batch.h"
#include "pcring.h"
#include "testutil.h"

#define NCPU 2
#define RING 4096u
#define SLACK 256u
#define VALUE (sizeof(struct bpfrec_pcring_head) + RING + SLACK)

static _Alignas(64) uint8_t mem[NCPU][VALUE];

static struct bpfrec_pcring_head *head_of(uint32_t cpu)
{
	return (struct bpfrec_pcring_head *)mem[cpu];
}

/* Event id's length: 64 bytes (many 0), 1..200 by the id (1), none (2). */
static int many;
static uint32_t ev_len(uint64_t id)
{
	return many == 1 ? 1 + (uint32_t)((id * 2654435761u) % 200) : many ? 0 : 64;
}

static uint8_t ev_byte(uint64_t id, uint32_t i)
{
	return (uint8_t)(id * 31 + i * 7 + 1);
}

/* Writes event id on cpu as its programs would: header, bytes (on into
 * the slack past the ring's end), then head. */
static void put(uint32_t cpu, uint64_t id)
{
	struct bpfrec_pcring_head *h = head_of(cpu);
	uint8_t *data = mem[cpu] + sizeof(*h);
	struct bpfrec_brec b = { .len = ev_len(id) };
	uint8_t *p = data + (h->head & (RING - 1));
	uint32_t i;

	memcpy(p, &b, sizeof(b));
	for (i = 0; i < b.len; i++)
		p[sizeof(b) + i] = ev_byte(id, i);
	h->head += BPFREC_BREC_SIZE(b.len);
}

static int room_for(uint32_t cpu, uint64_t id)
{
	const struct bpfrec_pcring_head *h = head_of(cpu);

	return h->head - h->tail + BPFREC_BREC_SIZE(ev_len(id)) <= RING;
}

struct seen {
	uint64_t want[NCPU];   /* each CPU's next id: CPU c writes ids c, c + NCPU, ... */
	long got, runs, same_runs;
	uint32_t longest;
	int fail_at_run;       /* 1-based run whose callback fails; 0: none */
};

static int on_run(void *ctx, uint32_t cpu, struct blockbuf_rec *recs, uint32_t n,
		  uint32_t same_len)
{
	struct seen *s = ctx;
	uint32_t i, j, one = recs[0].len;

	CHECK(cpu < NCPU);
	CHECK(n > 0 && n <= PCRING_RUN);
	s->runs++;
	if (s->fail_at_run && s->runs == s->fail_at_run)
		return -EIO;
	for (i = 1; i < n; i++)
		if (recs[i].len != recs[0].len)
			one = 0;
	CHECK_EQ_INT(same_len, one);
	s->same_runs += same_len != 0;
	if (n > s->longest)
		s->longest = n;
	for (i = 0; i < n; i++) {
		uint64_t id = s->want[cpu];
		const uint8_t *d = recs[i].data;

		CHECK_EQ_INT(recs[i].len, ev_len(id));
		/* in the region's ring or its slack */
		CHECK(d >= mem[cpu] + sizeof(struct bpfrec_pcring_head) &&
		      d + recs[i].len <= mem[cpu] + VALUE);
		for (j = 0; j < recs[i].len; j++)
			if (d[j] != ev_byte(id, j)) {
				fprintf(stderr, "cpu %u event %llu byte %u: %u, expected %u\n", cpu,
					(unsigned long long)id, j, d[j], ev_byte(id, j));
				exit(1);
			}
		s->want[cpu] = id + NCPU;
		s->got++;
	}
	return 0;
}

static struct pcring *fresh(struct seen *s, uint64_t start)
{
	struct pcring *p;
	uint32_t c;

	memset(mem, 0, sizeof(mem));
	memset(s, 0, sizeof(*s));
	for (c = 0; c < NCPU; c++) {
		head_of(c)->head = head_of(c)->tail = start;
		s->want[c] = c;
	}
	p = pcring__wrap(mem, NCPU, VALUE);
	CHECK(p);
	return p;
}

/* 30000 events through two 4 KiB rings, as many as fit between reads:
 * they wrap around hundreds of times, events crossing the end. */
static void many_passes(void)
{
	struct seen s;
	struct pcring *p = fresh(&s, RING - 40);   /* the first events cross already */
	uint64_t next[NCPU] = { 0, 1 }, bad = 0;
	long total = 0, n;
	uint32_t c;

	while (next[0] < 30000) {
		for (c = 0; c < NCPU; c++)
			while (room_for(c, next[c]))
				put(c, next[c]), next[c] += NCPU;
		n = pcring__read_runs(p, on_run, &s, &bad);
		CHECK(n > 0);
		total += n;
		for (c = 0; c < NCPU; c++)
			CHECK_EQ_U64(head_of(c)->tail, head_of(c)->head);
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_INT(total, s.got);
	CHECK_EQ_U64(s.want[0], next[0]);
	CHECK_EQ_U64(s.want[1], next[1]);
	if (!many)
		CHECK(s.same_runs == s.runs);
	pcring__free(p);
}

/* More events than a run holds: cut at PCRING_RUN (events of no bytes:
 * 512 fit in a 4 KiB ring). */
static void long_run(void)
{
	struct seen s;
	struct pcring *p = fresh(&s, 0);
	uint64_t bad = 0, id;
	int saved = many;

	many = 2;
	for (id = 0; room_for(0, id); id += NCPU)
		put(0, id);
	CHECK_EQ_INT(pcring__read_runs(p, on_run, &s, &bad), 512);
	CHECK_EQ_INT(s.longest, PCRING_RUN);
	CHECK_EQ_INT(s.runs, 2);
	pcring__free(p);
	many = saved;
}

/* An event whose length runs past head: the runs before it are handed
 * out, the rest of the region is dropped (tail = head), counted once. */
static void bad_region(void)
{
	struct seen s;
	struct pcring *p = fresh(&s, 100);
	uint64_t bad = 0, id;
	struct bpfrec_pcring_head *h = head_of(1);
	struct bpfrec_brec b = { .len = 3000 };

	for (id = 1; id < 1 + 10 * NCPU; id += NCPU)
		put(1, id);
	memcpy(mem[1] + sizeof(*h) + (h->head & (RING - 1)), &b, sizeof(b));
	h->head += 64;   /* less than the event says */
	CHECK_EQ_INT(pcring__read_runs(p, on_run, &s, &bad), 10);
	CHECK_EQ_U64(bad, 1);
	CHECK_EQ_U64(h->tail, h->head);
	CHECK_EQ_U64(s.want[1], 1 + 10 * NCPU);
	pcring__free(p);
}

/* A callback that fails on the second run: the first run is consumed, the
 * failed one is not; the next read hands it out again, and the rest. */
static void failed_run_kept(void)
{
	struct seen s;
	struct pcring *p = fresh(&s, RING - 200);
	uint64_t bad = 0, id, tail_after_first;
	struct bpfrec_pcring_head *h = head_of(0);

	for (id = 0; room_for(0, id); id += NCPU)
		put(0, id);
	s.fail_at_run = 2;   /* the first run ends at the ring's end */
	CHECK_EQ_INT(pcring__read_runs(p, on_run, &s, &bad), -EIO);
	tail_after_first = h->tail;
	/* past the event that crosses the ring's end, no further */
	CHECK(tail_after_first >= RING && tail_after_first < RING + SLACK);
	CHECK_EQ_U64(s.want[0], (uint64_t)s.got * NCPU);
	s.fail_at_run = 0;
	CHECK(pcring__read_runs(p, on_run, &s, &bad) > 0);
	CHECK_EQ_U64(h->tail, h->head);
	CHECK_EQ_U64(s.want[0], id);
	CHECK_EQ_U64(bad, 0);
	pcring__free(p);
}

int main(void)
{
	for (many = 0; many < 2; many++) {
		many_passes();
		long_run();
		bad_region();
		failed_run_kept();
	}
	printf("ok\n");
	return 0;
}
