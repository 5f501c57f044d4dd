/* test_rec_stage.c - recorder/stage.c's batch splitter without root: a
 * staged ringbuf's record (bpf/bpfrec_batch.h) back into its events, in
 * order, with the batch's CPU; anything that is not a whole batch (a wrong
 * magic, a length past the end, a count or byte total that does not match,
 * every truncation of a good batch) hands out nothing. */
#include <errno.h>
#include <linux/types.h>
#include <stdint.h>
#include <string.h>
#include "testutil.h"
#include "stage.h"
#include "bpfrec_batch.h"

struct got {
	int n;
	uint32_t cpu[8], len[8];
	uint8_t first[8];
	int stop_at;          /* return -EIO at this event, -1: never */
};

static int take(void *ctx, uint32_t cpu, const void *ev, uint32_t len)
{
	struct got *g = ctx;

	if (g->n == g->stop_at)
		return -EIO;
	CHECK(g->n < 8);
	g->cpu[g->n] = cpu;
	g->len[g->n] = len;
	g->first[g->n] = len ? *(const uint8_t *)ev : 0;
	g->n++;
	return 0;
}

/* A batch from cpu of events of the given lengths, event i filled with
 * byte 0x10 + i and its padding with 0xee (padding is anything). */
static uint32_t make(uint8_t *buf, uint32_t cpu, const uint32_t *lens, int n)
{
	struct bpfrec_batch b = { BPFREC_BATCH_MAGIC, cpu, (uint32_t)n, 0 };
	uint32_t off = sizeof(b);
	int i;

	for (i = 0; i < n; i++) {
		struct bpfrec_brec r = { lens[i], 0 };

		memcpy(buf + off, &r, sizeof(r));
		memset(buf + off + sizeof(r), 0xee, BPFREC_BREC_SIZE(lens[i]) - sizeof(r));
		memset(buf + off + sizeof(r), 0x10 + i, lens[i]);
		off += BPFREC_BREC_SIZE(lens[i]);
	}
	b.bytes = off - (uint32_t)sizeof(b);
	memcpy(buf, &b, sizeof(b));
	return off;
}

static int split(const uint8_t *buf, uint32_t len, struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->stop_at = -1;
	return stage__split(buf, len, take, g);
}

int main(void)
{
	static const uint32_t lens[] = { 64, 5, 0, 13 };
	uint8_t buf[512], bad[512];
	struct got g;
	uint32_t len, cut, one;
	int i;

	len = make(buf, 3, lens, 4);
	CHECK_EQ_INT(len, 16 + 72 + 16 + 8 + 24);
	CHECK_EQ_INT(split(buf, len, &g), 4);
	CHECK_EQ_INT(g.n, 4);
	for (i = 0; i < 4; i++) {
		CHECK_EQ_INT(g.cpu[i], 3);
		CHECK_EQ_INT(g.len[i], lens[i]);
		if (lens[i])
			CHECK_EQ_INT(g.first[i], 0x10 + i);
	}
	/* The ring pads a record to 8: bytes after the batch are not its. */
	CHECK_EQ_INT(split(buf, len + 8, &g), 4);

	/* An empty batch and a batch of one (how an event goes alone). */
	len = make(buf, 0, lens, 0);
	CHECK_EQ_INT(split(buf, len, &g), 0);
	CHECK_EQ_INT(g.n, 0);
	one = make(buf, 1, lens + 1, 1);
	CHECK_EQ_INT(split(buf, one, &g), 1);
	CHECK_EQ_INT(g.len[0], 5);

	/* Every truncation of a good batch: nothing handed out. */
	len = make(buf, 3, lens, 4);
	for (cut = 0; cut < len; cut++) {
		CHECK_EQ_INT(split(buf, cut, &g), -EBADMSG);
		CHECK_EQ_INT(g.n, 0);
	}
	/* Damaged headers. */
	memcpy(bad, buf, len);
	bad[0] ^= 1;                                      /* magic */
	CHECK_EQ_INT(split(bad, len, &g), -EBADMSG);
	memcpy(bad, buf, len);
	bad[8] = 5;                                       /* count 5, 4 there */
	CHECK_EQ_INT(split(bad, len, &g), -EBADMSG);
	memcpy(bad, buf, len);
	bad[8] = 3;                                       /* count 3, 4 there */
	CHECK_EQ_INT(split(bad, len, &g), -EBADMSG);
	memcpy(bad, buf, len);
	bad[12] -= 8;                                     /* bytes end inside event 4 */
	CHECK_EQ_INT(split(bad, len, &g), -EBADMSG);
	memcpy(bad, buf, len);
	bad[12] += 8;                                     /* bytes past the record */
	CHECK_EQ_INT(split(bad, len, &g), -EBADMSG);
	memcpy(bad, buf, len);
	bad[16 + 0] = 0xff;                               /* event 1's len past the end */
	bad[16 + 1] = 0xff;
	CHECK_EQ_INT(split(bad, len, &g), -EBADMSG);
	memcpy(bad, buf, len);
	bad[16 + 3] = 0x80;                               /* len near 2^32: no wrap */
	CHECK_EQ_INT(split(bad, len, &g), -EBADMSG);
	CHECK_EQ_INT(g.n, 0);

	/* The callback's error stops the walk and is returned. */
	memset(&g, 0, sizeof(g));
	g.stop_at = 2;
	CHECK_EQ_INT(stage__split(buf, len, take, &g), -EIO);
	CHECK_EQ_INT(g.n, 2);

	printf("ok: batches split back into their events, damaged ones refused whole\n");
	return 0;
}
