/* test_rec_drain_headroom - drain__headroom_ns (the pipeline's headroom:
 * how long until a ring is full at the rate it filled lately), without
 * root: the exec probe's object opened from a file, drained from an
 * in-memory ring (memring.h) filled between passes.  The drain measures
 * its own pass times, so each check is a range the sleeps bound, not a
 * figure:
 *   - the first pass cannot tell (0);
 *   - a pass 25 ms or more after B bytes came: the room left at that
 *     rate, between room x 25 ms / B and room x 5 s / B;
 *   - a pass right after, nothing new: the same window's rate, the whole
 *     ring's room;
 *   - a window in which nothing came: UINT64_MAX;
 *   - a burst 6 ms into a slow window: the burst's rate at once (far less
 *     than the slow window's rate would say). */
#include <time.h>
#include <unistd.h>

#include "block.h"
#include "bpfobj.h"
#include "drain.h"
#include "memring.h"
#include "fixtures/probefile.h"
#include "testutil.h"
#include "util.h"

#define RING (1u << 20)
#define REC 200u   /* bytes a record (+ 8 of header: 208 in the ring) */

static long nrecs;

static int sink_append(void *ctx, uint32_t id, uint32_t cpu, uint64_t ts, const void *data,
		       uint32_t len)
{
	nrecs++;
	return 0;
}

static int sink_append_run(void *ctx, uint32_t id, uint32_t cpu, const struct blockbuf_rec *r,
			   uint32_t n, const struct blockbuf_ts *t)
{
	nrecs += n;
	return 0;
}

static void sink_loss(void *ctx, uint32_t id, uint32_t cpu, uint64_t ts, uint64_t n)
{
	CHECK(!"no losses here");
}

/* n records into the ring (not consumed yet): their bytes in the ring. */
static uint64_t put(struct memring *r, uint32_t n)
{
	static uint8_t rec[REC];
	uint64_t before = r->prod;

	for (uint32_t i = 0; i < n; i++)
		memring_put(r, rec, REC, 0, NULL);
	return r->prod - before;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

int main(void)
{
	const char *dir = test_tmpdir("rec_drain_headroom");
	struct drain_sink sink = { sink_append, sink_loss, NULL, sink_append_run };
	struct memring r;
	struct bpfobj *o;
	struct drain *d;
	char path[4096];
	uint64_t b, room, h;

	util_quiet = 1;
	probe_to_file("exec", dir, path, sizeof(path));
	o = bpfobj__open_file(path, NULL);
	CHECK(o && bpfobj__nstreams(o) == 1);
	bpfobj_stream__set_capture_id(bpfobj__stream(o, 0), -1, 7);
	d = drain__new(&sink, NULL);
	CHECK(d);
	memring_open(&r, RING);
	CHECK_EQ_INT(drain__add_ring(d, o, bpfobj__stream(o, 0), &r.c, 0), 0);

	/* the first pass: no rate yet */
	CHECK(drain__final(d) >= 0);
	CHECK_EQ_U64(drain__headroom_ns(d), 0);

	/* B bytes over 25 ms or more, found at the pass's start */
	b = put(&r, 500);
	sleep_ms(25);
	room = RING - b;
	CHECK(drain__final(d) >= 0);
	h = drain__headroom_ns(d);
	if (h < room * 25000000 / b || h > room * 5000000000ull / b)
		fprintf(stderr, "headroom %llu ns: room %llu bytes, %llu came\n",
			(unsigned long long)h, (unsigned long long)room, (unsigned long long)b);
	CHECK(h >= room * 25000000 / b && h <= room * 5000000000ull / b);
	CHECK_EQ_U64(r.cons, r.prod);

	/* right after, nothing new: that rate, the whole ring's room */
	CHECK(drain__final(d) >= 0);
	h = drain__headroom_ns(d);
	CHECK(h >= RING * 25000000ull / b && h <= RING * 5000000000ull / b);

	/* a window with nothing */
	sleep_ms(25);
	CHECK(drain__final(d) >= 0);
	CHECK(drain__final(d) >= 0);
	CHECK_EQ_U64(drain__headroom_ns(d), UINT64_MAX);

	/* a slow window (10 records), then a burst 6 ms into the next */
	put(&r, 10);
	sleep_ms(25);
	CHECK(drain__final(d) >= 0);
	b = put(&r, 2500);
	sleep_ms(6);
	CHECK(drain__final(d) >= 0);
	h = drain__headroom_ns(d);
	/* (the slow window's rate would leave > 1 s: 2080 bytes in 25 ms or
	 * more, ~500 KiB of room) */
	if (h >= 500000000)
		fprintf(stderr, "headroom after the burst: %llu ns\n", (unsigned long long)h);
	CHECK(h > 0 && h < 500000000);
	CHECK_EQ_U64(nrecs, 500 + 10 + 2500);

	drain__free(d);
	bpfobj__close(o);
	memring_close(&r);
	printf("test_rec_drain_headroom: ok\n");
	return 0;
}
