/* test_pipeline - blocks encoded in parallel reach the capture in order.
 *
 * The recorder's writer threads (recorder/pipeline.c) encode blocks at the
 * same time and append them in the order the drain thread sealed them.  A
 * producer (objs/burst.bpf.c) emits about 2M events, tens of blocks, each
 * with its per-CPU sequence number; read back block by block in the order
 * of the blocks' ids (their order in the segments), every CPU's numbers
 * must rise strictly: two blocks written in the wrong order, or a record
 * written twice, break the rise.  Every block's time range must also follow
 * the previous one's, and events + losses must equal what was produced. */
#include "capload.h"
#include "capr.h"
#include "faultutil.h"

#include <stdint.h>
#include <sys/syscall.h>

#define CALLS 8000          /* getppid() calls */
#define PER_CALL 256        /* events each call emits: 2,048,000 in all */
#define MAX_CPUS 1024

static int64_t stream_id(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int64_t id = -1;

	CHECK(sqlite3_prepare_v2(db, "SELECT id FROM streams WHERE name = ?", -1, &st, NULL) ==
	      SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

static uint64_t lost_total(sqlite3 *db)
{
	sqlite3_stmt *st;
	uint64_t n = 0;

	CHECK(sqlite3_prepare_v2(db, "SELECT coalesce(sum(count), 0) FROM losses", -1, &st,
				 NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int by_id(const void *a, const void *b)
{
	const struct cap_block_info *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int main(void)
{
	char cap[4096], objpath[4096], tgid[64], err[512];
	const char *objs = fu_need_root_objs(), *dir = test_tmpdir("pipeline");
	static uint64_t last_seq[MAX_CPUS];
	const struct cap_block_info *blocks;
	struct cap_block_info *ordered;
	struct bgrec b;
	struct capr *r;
	uint64_t events = 0, lost;
	size_t nblocks, i;
	int64_t ev_stream;
	int i_call;

	snprintf(cap, sizeof(cap), "%s/cap", dir);
	snprintf(objpath, sizeof(objpath), "%s/burst_rb.bpf.o", objs);
	snprintf(tgid, sizeof(tgid), "target_tgid=%d", (int)getpid());
	fu_start(&b, "pipeline", (char *[]){ "record", "-o", cap, "--no-status", "--probe", "none",
					     "--bpf", objpath, "--set", tgid, "--set",
					     "per_call=256", "--set", "random_words=3",
					     "--ringbuf-size", "events=64M", NULL });
	for (i_call = 0; i_call < CALLS; i_call++)
		syscall(SYS_getppid);
	fu_sleep_ms(500);
	CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);

	r = capr__open(cap, err, sizeof(err));
	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r != NULL);
	ev_stream = stream_id(capr__db(r), "events");
	CHECK(ev_stream >= 0);
	lost = lost_total(capr__db(r));
	CHECK_EQ_INT(capr__blocks(r, &blocks, &nblocks), 0);
	ordered = malloc(nblocks * sizeof(*ordered));
	CHECK(ordered != NULL);
	memcpy(ordered, blocks, nblocks * sizeof(*ordered));
	qsort(ordered, nblocks, sizeof(*ordered), by_id);

	for (i = 0; i < nblocks; i++) {
		const struct cap_rec *recs;
		uint32_t n, k;

		if (i) {
			/* In file order too: same segment, later offset, or a later segment. */
			CHECK(ordered[i].segment_id > ordered[i - 1].segment_id ||
			      ordered[i].offset > ordered[i - 1].offset);
			CHECK(ordered[i].meta.min_ts_ns >= ordered[i - 1].meta.max_ts_ns);
		}
		CHECK_EQ_INT(capr__read_block(r, &ordered[i], &recs, &n, err, sizeof(err)), 0);
		for (k = 0; k < n; k++) {
			uint64_t seq;
			uint32_t cpu;

			if (recs[k].stream != (uint32_t)ev_stream)
				continue;
			CHECK(recs[k].len == 64);
			memcpy(&seq, recs[k].data, 8);
			memcpy(&cpu, recs[k].data + 8, 4);
			CHECK(cpu < MAX_CPUS);
			if (seq <= last_seq[cpu]) {
				fprintf(stderr, "block %lld: cpu %u seq %llu after %llu\n",
					(long long)ordered[i].id, cpu, (unsigned long long)seq,
					(unsigned long long)last_seq[cpu]);
				CHECK(seq > last_seq[cpu]);
			}
			last_seq[cpu] = seq;
			events++;
		}
	}
	printf("pipeline: %zu blocks, %llu events + %llu lost, produced %llu\n", nblocks,
	       (unsigned long long)events, (unsigned long long)lost,
	       (unsigned long long)CALLS * PER_CALL);
	CHECK(nblocks >= 8);   /* several blocks in flight at once */
	CHECK_EQ_U64(events + lost, (uint64_t)CALLS * PER_CALL);
	free(ordered);
	capr__close(r);
	printf("test_pipeline: ok\n");
	return 0;
}
