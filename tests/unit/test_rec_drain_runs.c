/* test_rec_drain_runs - the drain's run path (records handed to the sink's
 * append_run a run at a time) gives the sink exactly what the record path
 * (append per record) gives it, from the same ring: same records in the
 * same order, each with its stream, CPU, time, length and bytes, and the
 * same counters.  Without root: the exec probe's object opened from a file
 * (a user's object: the process-tree filter applies) drained from an
 * in-memory ring (memring.h), once as a plain ringbuf (a ts member, short
 * records, discarded ones, pids kept, found by one refresh, and dropped),
 * the same zero-filled (--syscalls' short records made whole) and once
 * staged (batches of several CPUs' events, and a record that is
 * not a batch, kept as it came). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#include "block.h"
#include "bpfobj.h"
#include "drain.h"
#include "memring.h"
#include "fixtures/probefile.h"
#include "testutil.h"
#include "util.h"

#include <linux/types.h>
typedef __u64 bpfrec_ts_ns;
typedef __s32 bpfrec_ustack_id;
typedef __s32 bpfrec_kstack_id;
#include "bpfrec_batch.h"
#include "exec.h"

#define MAXGOT 6000

/* What a sink was given, record by record */
struct got {
	uint32_t id, cpu, len;
	uint64_t ts;
	uint8_t head[16];      /* the record's first bytes (ts, pid, tid) */
	uint8_t comm[16];      /* the comm bytes of a full exec_event */
};

struct log {
	struct got g[MAXGOT];
	int n, runs;
};

static void log_one(struct log *l, uint32_t id, uint32_t cpu, uint64_t ts, const void *data,
		    uint32_t len)
{
	struct got *g;

	CHECK(l->n < MAXGOT);
	g = &l->g[l->n++];
	memset(g, 0, sizeof(*g));
	g->id = id;
	g->cpu = cpu;
	g->ts = ts;
	g->len = len;
	memcpy(g->head, data, len < 16 ? len : 16);
	if (len >= offsetof(struct exec_event, comm) + 16)
		memcpy(g->comm, (const uint8_t *)data + offsetof(struct exec_event, comm), 16);
}

static int sink_append(void *ctx, uint32_t id, uint32_t cpu, uint64_t ts, const void *data,
		       uint32_t len)
{
	log_one(ctx, id, cpu, ts, data, len);
	return 0;
}

static int sink_append_run(void *ctx, uint32_t id, uint32_t cpu, const struct blockbuf_rec *r,
			   uint32_t n, const struct blockbuf_ts *t)
{
	struct log *l = ctx;
	uint32_t i;

	CHECK(n > 0 && n <= RBC_RUN);
	l->runs++;
	for (i = 0; i < n; i++) {
		const void *data = r[i].data;
		uint32_t len = r[i].len;
		static uint8_t whole[4096];

		if (t && len < t->fill_to) {
			/* the block buffer stores it zero-filled to fill_to */
			CHECK(t->fill_to <= sizeof(whole));
			memset(whole, 0, t->fill_to);
			memcpy(whole, data, len);
			data = whole;
			len = t->fill_to;
		}
		log_one(l, id, cpu, t ? blockbuf_ts__of(t, data, len) : r[i].ts_ns, data, len);
	}
	return 0;
}

static void sink_loss(void *ctx, uint32_t id, uint32_t cpu, uint64_t ts, uint64_t n)
{
	CHECK(!"no losses here");
}

/* The process tree: 100 known, 200 found by a refresh, 300 never. */
static int known200, refreshes;

static int tree_keep(void *ctx, uint32_t pid)
{
	return pid == 100 || (pid == 200 && known200);
}

static void tree_refresh(void *ctx)
{
	refreshes++;
	known200 = 1;
}

static struct log by_record, by_run;

/* Drains r once into l, through a sink with or without append_run; with
 * zero_fill, the stream's short records are made whole (--syscalls'). */
static struct drain_stats drain_into(struct log *l, int runs, struct memring *r, int staged,
				     const char *objpath, int zero_fill)
{
	struct drain_sink sink = { sink_append, sink_loss, l, runs ? sink_append_run : NULL };
	struct drain_pid_filter f = { tree_keep, tree_refresh, NULL };
	struct bpfobj *o = bpfobj__open_file(objpath, NULL);
	struct bpfobj_stream *s;
	struct drain_stats st;
	struct drain *d;

	CHECK(o && bpfobj__nstreams(o) == 1 && !bpfobj__builtin(o));
	s = bpfobj__stream(o, 0);
	bpfobj_stream__set_capture_id(s, -1, 7);
	if (zero_fill)
		CHECK_EQ_INT(bpfobj__set_stream_zero_fill(o, bpfobj_stream__map_name(s)), 0);
	d = drain__new(&sink, NULL);
	CHECK(d);
	drain__set_pid_filter(d, &f);
	memset(l, 0, sizeof(*l));
	known200 = refreshes = 0;
	r->cons = 0;
	CHECK_EQ_INT(drain__add_ring(d, o, s, &r->c, staged), 0);
	CHECK(drain__final(d) >= 0);
	CHECK_EQ_U64(r->cons, r->prod);
	CHECK_EQ_INT(refreshes, 1);   /* once in the pass, at the first 200 */
	CHECK_EQ_INT(drain__stats(d, s, -1, &st), 0);
	drain__free(d);
	bpfobj__close(o);
	return st;
}

/* The two logs hold the same records (a time taken from the drain's clock,
 * for a record too short for its ts member, is only checked to be set). */
static void check_alike(void)
{
	int i;

	CHECK_EQ_INT(by_run.n, by_record.n);
	CHECK_EQ_INT(by_record.runs, 0);
	CHECK(by_run.runs > 0);
	for (i = 0; i < by_run.n; i++) {
		const struct got *a = &by_record.g[i], *b = &by_run.g[i];

		if (a->id != b->id || a->cpu != b->cpu || a->len != b->len ||
		    memcmp(a->head, b->head, 16) || memcmp(a->comm, b->comm, 16) ||
		    (a->len >= 8 && a->ts != b->ts) || !a->ts || !b->ts) {
			fprintf(stderr, "record %d: by record id %u cpu %u len %u ts %llu, by run "
				"id %u cpu %u len %u ts %llu\n", i, a->id, a->cpu, a->len,
				(unsigned long long)a->ts, b->id, b->cpu, b->len,
				(unsigned long long)b->ts);
			exit(1);
		}
	}
}

static void check_stats_alike(struct drain_stats a, struct drain_stats b)
{
	CHECK_EQ_U64(a.events, b.events);
	CHECK_EQ_U64(a.bytes, b.bytes);
	CHECK_EQ_U64(a.short_events, b.short_events);
	CHECK_EQ_U64(a.lost, 0);
	CHECK_EQ_U64(b.lost, 0);
}

/* Event i: its time, pid (100, 200, 300 in turn; from event 1000 on,
 * three events each), tid and comm from i. */
static void make_event(struct exec_event *e, uint32_t i)
{
	memset(e, 0, sizeof(*e));
	e->ts_ns = 1000000 + i;
	e->pid = 100 + 100 * (i < 1000 ? i % 3 : (i / 3) % 3);
	e->tid = i;
	e->ustack_id = e->kstack_id = -1;
	snprintf(e->comm, sizeof(e->comm), "ev%u", i);
}

/* Length of event i: whole, or short (every 50th 12 bytes: its ts, not
 * its whole pid|tid; every 77th 6: not even its ts). */
static uint32_t event_len(uint32_t i)
{
	return i % 77 == 5 ? 6 : i % 50 == 3 ? 12 : (uint32_t)sizeof(struct exec_event);
}

static void plain(const char *objpath)
{
	struct memring r;
	struct exec_event e;
	struct drain_stats a, b;
	uint32_t i, want = 0, nshort = 0;
	uint64_t bytes = 0;

	memring_open(&r, 1 << 20);
	for (i = 0; i < 2000; i++) {
		uint32_t len = event_len(i);
		int discard = i % 91 == 7;

		make_event(&e, i);
		memring_put(&r, &e, len, discard ? BPF_RINGBUF_DISCARD_BIT : 0, NULL);
		/* kept: not discarded, and pid 100 or 200, or too short to
		 * hold a pid */
		if (!discard && (len < 12 || e.pid != 300)) {
			want++;
			bytes += len;
			nshort += len < sizeof(e);
		}
	}
	a = drain_into(&by_record, 0, &r, 0, objpath, 0);
	b = drain_into(&by_run, 1, &r, 0, objpath, 0);
	check_alike();
	check_stats_alike(a, b);
	CHECK_EQ_U64(b.events, want);
	CHECK_EQ_U64(b.bytes, bytes);
	CHECK_EQ_U64(b.short_events, nshort);
	/* value by value: the first records (0 kept, 1 kept after the
	 * refresh, 2 pid 300 dropped, 3 short with its ts) */
	CHECK_EQ_INT(by_run.g[0].id, 7);
	CHECK_EQ_U64(by_run.g[0].ts, 1000000);
	CHECK_EQ_INT(by_run.g[0].cpu, CAP_CPU_UNKNOWN);
	CHECK_EQ_U64(by_run.g[1].ts, 1000001);
	CHECK_EQ_U64(by_run.g[2].ts, 1000003);
	CHECK_EQ_INT(by_run.g[2].len, 12);
	CHECK_STR((const char *)by_run.g[1].comm, "ev1");
	for (i = 0; i < (uint32_t)by_run.n; i++) {
		uint32_t pid;

		memcpy(&pid, by_run.g[i].head + 8, 4);
		CHECK(by_run.g[i].len < 12 || pid == 100 || pid == 200);
	}

	/* The same ring with the stream zero-filled: the short records whole,
	 * their missing bytes zeros, none counted short; runs as records. */
	a = drain_into(&by_record, 0, &r, 0, objpath, 1);
	b = drain_into(&by_run, 1, &r, 0, objpath, 1);
	check_alike();
	check_stats_alike(a, b);
	CHECK_EQ_U64(b.events, want);
	CHECK_EQ_U64(b.bytes, (uint64_t)want * sizeof(e));
	CHECK_EQ_U64(b.short_events, 0);
	CHECK_EQ_INT(by_run.g[2].len, sizeof(e));   /* record 3: 12 bytes, filled */
	CHECK_EQ_U64(by_run.g[2].ts, 1000003);
	CHECK(!memcmp(by_run.g[2].head + 12, "\0\0\0\0", 4));   /* its tid: left out */
	CHECK_EQ_INT(by_run.g[2].comm[0], 0);
	for (i = 0; i < (uint32_t)by_run.n; i++)
		CHECK_EQ_INT(by_run.g[i].len, sizeof(e));
	memring_close(&r);
}

/* Batches of 1-40 events of CPUs 0-3 in turn, and one record that is not a
 * batch: each event with its batch's CPU, the odd record as it came. */
static void staged(const char *objpath)
{
	struct memring r;
	struct exec_event e;
	struct drain_stats a, b;
	uint32_t i = 0, nbatch = 0, want = 0, k;
	int seen_bad = 0;

	memring_open(&r, 1 << 20);
	while (i < 2000) {
		uint32_t count = 1 + (nbatch * 7) % 40, bytes = 0;
		struct bpfrec_batch h = { BPFREC_BATCH_MAGIC, nbatch % 4, 0, 0 };
		uint8_t *p;

		if (count > 2000 - i)
			count = 2000 - i;
		for (k = 0; k < count; k++)
			bytes += BPFREC_BREC_SIZE(event_len(i + k));
		h.count = count;
		h.bytes = bytes;
		p = memring_put(&r, NULL, (uint32_t)sizeof(h) + bytes, 0, NULL);
		memcpy(p, &h, sizeof(h));
		p += sizeof(h);
		for (k = 0; k < count; k++, i++) {
			struct bpfrec_brec br = { event_len(i), 0 };

			make_event(&e, i);
			memcpy(p, &br, sizeof(br));
			memset(p + sizeof(br), 0, BPFREC_BREC_SIZE(br.len) - sizeof(br));
			memcpy(p + sizeof(br), &e, br.len);
			p += BPFREC_BREC_SIZE(br.len);
			want += br.len < 12 || e.pid != 300;
		}
		if (++nbatch == 10) {   /* not a batch: kept as it came */
			make_event(&e, 100000);
			memring_put(&r, &e, sizeof(e), 0, NULL);
			want++;
		}
	}
	a = drain_into(&by_record, 0, &r, 1, objpath, 0);
	b = drain_into(&by_run, 1, &r, 1, objpath, 0);
	check_alike();
	check_stats_alike(a, b);
	CHECK_EQ_U64(b.events, want);
	/* each event's CPU is its batch's: event i's batch, found again */
	for (k = 0; k < (uint32_t)by_run.n; k++) {
		const struct got *g = &by_run.g[k];
		uint32_t tid;

		memcpy(&tid, g->head + 12, 4);
		if (g->len >= 16 && tid == 100000) {
			CHECK_EQ_INT(g->cpu, CAP_CPU_UNKNOWN);
			seen_bad++;
		} else {
			CHECK(g->cpu <= 3);
		}
	}
	CHECK_EQ_INT(seen_bad, 1);
	CHECK_EQ_INT(by_run.g[0].cpu, 0);   /* batch 0 (1 event): CPU 0 */
	CHECK_EQ_INT(by_run.g[1].cpu, 1);   /* batch 1 (8 events): CPU 1 */
	memring_close(&r);
}

int main(void)
{
	const char *dir = test_tmpdir("rec_drain_runs");
	char path[4096];

	util_quiet = 1;
	probe_to_file("exec", dir, path, sizeof(path));
	plain(path);
	staged(path);
	printf("test_rec_drain_runs: ok (%d records in %d runs, alike)\n", by_run.n, by_run.runs);
	return 0;
}
