/* test_rec_drain.c - the drain's bookkeeping (recorder/drain.c) without
 * root and without a ring: records are handed in through drain__append to a
 * fake sink, over the exec probe's object opened from a file (never
 * loaded), once with its own event type and once with two variant types
 * added the way the tracepoint recorder adds them.  Checks, value by value:
 * which stream id each record goes to and with which time, the process-tree
 * filter (kept, refreshed once, dropped uncounted), the stack hook, short
 * records, losses per stream and per variant, the counters drain__stats
 * returns, that a sink error stops the drain, and the zero-fill of records
 * sent without their trailing zeros. */
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "block.h"
#include "bpfobj.h"
#include "drain.h"
#include "fixtures/probefile.h"
#include <stddef.h>
#include "testutil.h"
#include "util.h"

#include <linux/types.h>
typedef __u64 bpfrec_ts_ns;
typedef __s32 bpfrec_ustack_id;
typedef __s32 bpfrec_kstack_id;
#include "exec.h"

/* What the fake sink was given */
struct sent {
	int loss;
	uint32_t id, cpu;
	uint64_t ts, n;        /* n: bytes of a record, or events lost */
};

static struct sent sent[64];
static int nsent, fail_with;
static uint8_t last_rec[512];    /* the last record's bytes (up to 512) */

static int fake_append(void *ctx, uint32_t id, uint32_t cpu, uint64_t ts, const void *data,
		       uint32_t len)
{
	CHECK(ctx == sent && data && nsent < 64);
	sent[nsent++] = (struct sent){ 0, id, cpu, ts, len };
	memcpy(last_rec, data, len < sizeof(last_rec) ? len : sizeof(last_rec));
	return fail_with;
}

static void fake_loss(void *ctx, uint32_t id, uint32_t cpu, uint64_t ts, uint64_t n)
{
	CHECK(ctx == sent && nsent < 64);
	sent[nsent++] = (struct sent){ 1, id, cpu, ts, n };
}

static void check_sent(int line, int i, int loss, uint32_t id, uint32_t cpu, uint64_t ts,
		       uint64_t n)
{
	const struct sent *s = &sent[i];

	if (i >= nsent || s->loss != loss || s->id != id || s->cpu != cpu || s->ts != ts ||
	    s->n != n) {
		fprintf(stderr, "line %d: sent[%d] (of %d) = %s id %u cpu %u ts %llu n %llu, "
			"expected %s id %u cpu %u ts %llu n %llu\n", line, i, nsent,
			s->loss ? "loss" : "record", s->id, s->cpu, (unsigned long long)s->ts,
			(unsigned long long)s->n, loss ? "loss" : "record", id, cpu,
			(unsigned long long)ts, (unsigned long long)n);
		exit(1);
	}
}
#define SENT(i, loss, id, cpu, ts, n) check_sent(__LINE__, i, loss, id, cpu, ts, n)

/* The process tree: pids kept; refresh() adds the pending ones. */
static uint32_t tree[8], pending[8];
static int ntree, npending, refreshes;

static int tree_keep(void *ctx, uint32_t pid)
{
	for (int i = 0; i < ntree; i++)
		if (tree[i] == pid)
			return 1;
	return 0;
}

static void tree_refresh(void *ctx)
{
	refreshes++;
	while (npending)
		tree[ntree++] = pending[--npending];
}

static struct { uint32_t pid; int32_t u, k; } notes[16];
static int nnotes;

static void stack_note(void *ctx, uint32_t pid, int32_t ustack, int32_t kstack)
{
	CHECK(nnotes < 16);
	notes[nnotes].pid = pid;
	notes[nnotes].u = ustack;
	notes[nnotes].k = kstack;
	nnotes++;
}

static struct bpfobj *open_exec(const char *path)
{
	struct bpfobj *o = bpfobj__open_file(path, NULL);

	const struct bpfobj_stream *s;

	CHECK(o && bpfobj__nstreams(o) == 1 && !bpfobj__builtin(o));
	s = bpfobj__stream(o, 0);
	CHECK_STR(bpfobj_stream__map_name(s), "exec_events");
	CHECK_STR(bpfobj_stream__name(s), "exec_events");
	CHECK_STR(bpfobj_stream__type_name(s), "exec_event");
	CHECK_EQ_INT(bpfobj_stream__kind(s), STREAM_RINGBUF);
	CHECK_EQ_INT(bpfobj_stream__layout(s)->type_size, sizeof(struct exec_event));
	CHECK_EQ_INT(bpfobj_stream__layout(s)->ts_offset, 0);
	CHECK_EQ_INT(bpfobj_stream__layout(s)->pid_offset, 8);
	CHECK_EQ_INT(bpfobj_stream__layout(s)->ustack_offset, offsetof(struct exec_event, ustack_id));
	CHECK_EQ_INT(bpfobj_stream__layout(s)->kstack_offset, offsetof(struct exec_event, kstack_id));
	return o;
}

static struct drain_stats stats(struct drain *d, struct bpfobj_stream *s, int variant)
{
	struct drain_stats st;

	CHECK_EQ_INT(drain__stats(d, s, variant, &st), 0);
	return st;
}

/* One event type per map: time from its ts_ns member, the filter by its
 * pid member, stacks noted, short records kept and counted. */
static void one_type(const char *path)
{
	struct drain_sink sink = { fake_append, fake_loss, sent };
	struct bpfobj *o = open_exec(path);
	struct bpfobj_stream *s = bpfobj__stream(o, 0);
	struct drain_pid_filter f = { tree_keep, tree_refresh, NULL };
	struct drain_stack_hook h = { stack_note, NULL };
	struct exec_event ev = { 0 };
	struct drain_stats st;
	struct drain *d = drain__new(&sink, NULL);

	CHECK(d);
	bpfobj_stream__set_capture_id(s, -1, 7);
	drain__set_pid_filter(d, &f);
	drain__set_stack_hook(d, &h);
	CHECK_EQ_INT(drain__stats(d, s, -1, &st), -ENOENT);    /* not drained here yet */
	CHECK_EQ_INT(drain__append(d, s, 0, 1, &ev, sizeof(ev)), -ENOENT);
	CHECK_EQ_INT(drain__add_unbuffered(d, o, s), 0);
	st = stats(d, s, -1);
	CHECK(!st.events && !st.bytes && !st.lost && !st.short_events && !st.wakeups);
	CHECK_EQ_INT(drain__stats(d, s, 0, &st), -ENOENT);      /* no variants */

	tree[ntree++] = 100;
	ev.ts_ns = 5000;
	ev.pid = 100;
	ev.ustack_id = 3;
	ev.kstack_id = -1;
	CHECK_EQ_INT(drain__append(d, s, CAP_CPU_UNKNOWN, 9999, &ev, sizeof(ev)), 0);
	SENT(0, 0, 7, CAP_CPU_UNKNOWN, 5000, sizeof(ev));      /* the member's time */
	CHECK_EQ_INT(nnotes, 1);
	CHECK(notes[0].pid == 100 && notes[0].u == 3 && notes[0].k == -1);

	/* a pid not in the copy: one refresh, then kept */
	pending[npending++] = 200;
	ev.pid = 200;
	ev.ts_ns = 6000;
	CHECK_EQ_INT(drain__append(d, s, 2, 9999, &ev, sizeof(ev)), 0);
	CHECK_EQ_INT(refreshes, 1);
	SENT(1, 0, 7, 2, 6000, sizeof(ev));
	/* still unknown after the pass's refresh: dropped, not counted, and no
	 * second refresh in the same pass */
	pending[npending++] = 300;
	ev.pid = 300;
	CHECK_EQ_INT(drain__append(d, s, 2, 9999, &ev, sizeof(ev)), 0);
	CHECK_EQ_INT(refreshes, 1);
	CHECK_EQ_INT(nsent, 2);
	CHECK_EQ_INT(nnotes, 2);
	/* a new pass (nothing buffered to drain) refreshes again */
	CHECK_EQ_INT(drain__final(d), 0);
	CHECK_EQ_INT(drain__append(d, s, 2, 9999, &ev, sizeof(ev)), 0);
	CHECK_EQ_INT(refreshes, 2);
	SENT(2, 0, 7, 2, 6000, sizeof(ev));

	/* shorter than its type: kept as it is, counted; too short for its
	 * ts member: the receive time */
	ev.pid = 100;
	CHECK_EQ_INT(drain__append(d, s, 1, 9999, &ev, 12), 0);
	SENT(3, 0, 7, 1, 6000, 12);
	CHECK_EQ_INT(drain__append(d, s, 1, 9999, &ev, 6), 0);
	SENT(4, 0, 7, 1, 9999, 6);

	drain__loss(d, s, -1, 3, 777, 5);
	drain__loss(d, s, -1, CAP_CPU_UNKNOWN, 778, 2);
	SENT(5, 1, 7, 3, 777, 5);
	SENT(6, 1, 7, CAP_CPU_UNKNOWN, 778, 2);
	CHECK_EQ_INT(nsent, 7);

	st = stats(d, s, -1);
	CHECK_EQ_U64(st.events, 5);
	CHECK_EQ_U64(st.bytes, 3 * sizeof(ev) + 12 + 6);
	CHECK_EQ_U64(st.short_events, 2);
	CHECK_EQ_U64(st.lost, 7);
	CHECK_EQ_U64(st.wakeups, 0);

	/* The sink's error stops the drain, and stays */
	fail_with = -ENOSPC;
	CHECK_EQ_INT(drain__append(d, s, 1, 9999, &ev, sizeof(ev)), -ENOSPC);
	fail_with = 0;
	CHECK_EQ_INT(drain__final(d), -ENOSPC);
	CHECK_EQ_INT(drain__append(d, s, 1, 9999, &ev, sizeof(ev)), -ENOSPC);
	drain__free(d);
	bpfobj__close(o);
	nsent = nnotes = 0;
}

struct ev_a {          /* variant 1 */
	uint32_t kind, pid;
	uint64_t ts;
};
struct ev_b {          /* variant 2: ts first, and 32 bytes */
	uint64_t ts;
	uint32_t kind, pid;
	uint8_t data[16];
};

/* The variant's type in the object's BTF, as the tracepoint recorder
 * describes its records. */
static int add_type(struct btf *btf, const char *name, uint32_t size, uint32_t ts_bits,
		    uint32_t kind_bits, uint32_t pid_bits)
{
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	int id = btf__add_struct(btf, name, size);

	CHECK(u32 > 0 && u64 > 0 && id > 0);
	CHECK(!btf__add_field(btf, "kind", u32, kind_bits, 0));
	CHECK(!btf__add_field(btf, "pid", u32, pid_bits, 0));
	CHECK(!btf__add_field(btf, "ts", u64, ts_bits, 0));
	return id;
}

/* Several event types on one map, told apart by a discriminator: each to
 * its own stream id with its own time and pid members; an unknown value to
 * the map's own stream; losses per variant. */
static void variants(const char *path)
{
	struct drain_sink sink = { fake_append, fake_loss, sent };
	struct bpfobj *o = open_exec(path);
	struct bpfobj_stream *s = bpfobj__stream(o, 0);
	struct btf *btf = bpfobj__btf_extend(o);
	struct bpfobj_variant va = { .value = 1, .name = "ev_a", .type_name = "ev_a",
				     .type_size = sizeof(struct ev_a), .ts_offset = 8,
				     .pid_offset = 4, .ustack_offset = -1, .kstack_offset = -1,
				     .capture_id = 11 };
	struct bpfobj_variant vb = { .value = 2, .name = "ev_b", .type_name = "ev_b",
				     .type_size = sizeof(struct ev_b), .ts_offset = 0,
				     .pid_offset = 12, .ustack_offset = -1, .kstack_offset = -1,
				     .capture_id = 12 };
	struct drain_pid_filter f = { tree_keep, NULL, NULL };
	struct ev_a a = { .kind = 1, .pid = 100, .ts = 111 };
	struct ev_b b = { .ts = 222, .kind = 2, .pid = 100 };
	struct ev_a other = { .kind = 9, .pid = 0, .ts = 333 };
	struct drain_stats sa, sb, st;
	struct drain *d;

	CHECK(btf);
	va.type_id = (uint32_t)add_type(btf, "ev_a", sizeof(struct ev_a), 64, 0, 32);
	vb.type_id = (uint32_t)add_type(btf, "ev_b", sizeof(struct ev_b), 0, 64, 96);
	CHECK_EQ_INT(bpfobj__add_variant(o, "exec_events", 0, 4, &va), 0);
	CHECK_EQ_INT(bpfobj__add_variant(o, "nosuch", 0, 4, &va), -ENOENT);
	/* vb's discriminator is at 8 in its own layout: told apart by the
	 * map's one discriminator place all the same (offset 0 here: the
	 * first 4 bytes of ev_b's ts say 222, no variant) */
	CHECK_EQ_INT(bpfobj__add_variant(o, "exec_events", 0, 4, &vb), 0);
	bpfobj_stream__set_capture_id(s, -1, 10);
	d = drain__new(&sink, NULL);
	CHECK(d);
	drain__set_pid_filter(d, &f);
	CHECK_EQ_INT(drain__add_unbuffered(d, o, s), 0);

	CHECK_EQ_INT(drain__append(d, s, 0, 9999, &a, sizeof(a)), 0);
	SENT(0, 0, 11, 0, 111, sizeof(a));
	/* ev_b whose first 4 bytes are 2: variant 2, its ts at 0 */
	b.ts = 2;
	CHECK_EQ_INT(drain__append(d, s, 1, 9999, &b, sizeof(b)), 0);
	SENT(1, 0, 12, 1, 2, sizeof(b));
	/* shorter than ev_b: kept, counted short in the variant and stream */
	CHECK_EQ_INT(drain__append(d, s, 1, 9999, &b, 20), 0);
	SENT(2, 0, 12, 1, 2, 20);
	/* a variant's pid not in the tree: dropped (no refresh given) */
	a.pid = 555;
	CHECK_EQ_INT(drain__append(d, s, 0, 9999, &a, sizeof(a)), 0);
	CHECK_EQ_INT(nsent, 3);
	/* no such variant: the map's own stream with its own layout
	 * (exec_event: ts at 0, pid at 8, which this record has as 333 low
	 * bytes: not in the tree, dropped); pid 100 there is kept */
	CHECK_EQ_INT(drain__append(d, s, 0, 9999, &other, sizeof(other)), 0);
	CHECK_EQ_INT(nsent, 3);
	other.ts = 100;   /* the exec_event pid member, at 8 */
	CHECK_EQ_INT(drain__append(d, s, 0, 9999, &other, sizeof(other)), 0);
	SENT(3, 0, 10, 0, 9 /* kind 9, pid 0: exec_event's ts_ns */, sizeof(other));
	/* too short for the discriminator: the stream's own */
	CHECK_EQ_INT(drain__append(d, s, 0, 9999, &other, 3), 0);
	SENT(4, 0, 10, 0, 9999, 3);

	drain__loss(d, s, 1, 4, 50, 6);     /* variant index 1: ev_b */
	drain__loss(d, s, 0, 5, 51, 1);     /* ev_a */
	drain__loss(d, s, -1, 6, 52, 2);    /* the map itself */
	drain__loss(d, s, 7, 6, 53, 3);     /* no such variant: the map's */
	SENT(5, 1, 12, 4, 50, 6);
	SENT(6, 1, 11, 5, 51, 1);
	SENT(7, 1, 10, 6, 52, 2);
	SENT(8, 1, 10, 6, 53, 3);

	sa = stats(d, s, 0);
	sb = stats(d, s, 1);
	st = stats(d, s, -1);
	CHECK_EQ_U64(sa.events, 1);
	CHECK_EQ_U64(sa.bytes, sizeof(a));
	CHECK_EQ_U64(sa.lost, 1);
	CHECK_EQ_U64(sa.short_events, 0);
	CHECK_EQ_U64(sb.events, 2);
	CHECK_EQ_U64(sb.bytes, sizeof(b) + 20);
	CHECK_EQ_U64(sb.lost, 6);
	CHECK_EQ_U64(sb.short_events, 1);
	/* the stream's: its variants' and its own */
	CHECK_EQ_U64(st.events, 5);
	CHECK_EQ_U64(st.bytes, sizeof(a) + sizeof(b) + 20 + sizeof(other) + 3);
	CHECK_EQ_U64(st.lost, 12);
	/* ev_b's 20 bytes, and the map's own 16 and 3 bytes (exec_event has 312) */
	CHECK_EQ_U64(st.short_events, 3);
	CHECK_EQ_INT(drain__stats(d, s, 2, &st), -ENOENT);
	drain__free(d);
	bpfobj__close(o);
	nsent = 0;
}

/* A stream whose producer leaves out its records' trailing zeros (as
 * --syscalls leaves out empty string slots): each record reaches the sink
 * whole, zero-filled to its type's size, not counted short; a whole one
 * as it came. */
static void zero_fill(const char *path)
{
	struct drain_sink sink = { fake_append, fake_loss, sent };
	struct bpfobj *o = open_exec(path);
	struct bpfobj_stream *s = bpfobj__stream(o, 0);
	struct exec_event ev;
	struct drain_stats st;
	struct drain *d;
	uint8_t want[sizeof(ev)];

	CHECK(sizeof(ev) <= sizeof(last_rec));
	CHECK_EQ_INT(bpfobj__set_stream_zero_fill(o, "nosuch"), -ENOENT);
	CHECK_EQ_INT(bpfobj__set_stream_zero_fill(o, "exec_events"), 0);
	CHECK_EQ_INT(bpfobj_stream__layout(s)->zero_fill, 1);
	bpfobj_stream__set_capture_id(s, -1, 7);
	d = drain__new(&sink, NULL);
	CHECK(d);
	CHECK_EQ_INT(drain__add_unbuffered(d, o, s), 0);

	/* 40 bytes sent of a record whose every byte is 0xab */
	memset(&ev, 0xab, sizeof(ev));
	ev.ts_ns = 4242;
	CHECK_EQ_INT(drain__append(d, s, 1, 9999, &ev, 40), 0);
	SENT(0, 0, 7, 1, 4242, sizeof(ev));
	memset(want, 0, sizeof(want));
	memcpy(want, &ev, 40);
	CHECK(!memcmp(last_rec, want, sizeof(want)));
	/* 1 byte short: its last byte zeroed */
	CHECK_EQ_INT(drain__append(d, s, 2, 9999, &ev, sizeof(ev) - 1), 0);
	SENT(1, 0, 7, 2, 4242, sizeof(ev));
	memcpy(want, &ev, sizeof(ev) - 1);
	CHECK(!memcmp(last_rec, want, sizeof(want)));
	/* whole: as it came */
	CHECK_EQ_INT(drain__append(d, s, 2, 9999, &ev, sizeof(ev)), 0);
	SENT(2, 0, 7, 2, 4242, sizeof(ev));
	CHECK(!memcmp(last_rec, &ev, sizeof(ev)));
	/* too short for its ts member: zero-filled, so its time is the
	 * member's as replay will read it (its low 4 bytes) */
	ev.ts_ns = 5ull << 32 | 4242;
	CHECK_EQ_INT(drain__append(d, s, 2, 9999, &ev, 4), 0);
	SENT(3, 0, 7, 2, 4242, sizeof(ev));
	memset(want, 0, sizeof(want));
	memcpy(want, &ev, 4);
	CHECK(!memcmp(last_rec, want, sizeof(want)));

	st = stats(d, s, -1);
	CHECK_EQ_U64(st.events, 4);
	CHECK_EQ_U64(st.bytes, 4 * sizeof(ev));
	CHECK_EQ_U64(st.short_events, 0);
	drain__free(d);
	bpfobj__close(o);
	nsent = 0;
}

int main(void)
{
	const char *dir = test_tmpdir("rec_drain");
	char path[4096];

	util_quiet = 1;
	probe_to_file("exec", dir, path, sizeof(path));
	one_type(path);
	variants(path);
	zero_fill(path);
	puts("test_rec_drain: ok");
	return 0;
}
