/* perfetto.c - --format perfetto / chrome: the JSON trace event format
 * (Chrome's "Trace Event Format"), which ui.perfetto.dev and
 * chrome://tracing open.  Both names write the same JSON today; `perfetto`
 * may become the native protobuf TracePacket format (nanoseconds, smaller)
 * later, `chrome` stays this.
 *
 * The mapping, from column names only (export.h: export__cols):
 *   - Tracks: a record's process is its stream's tgid (else pid) column, its
 *     thread the `tid` column (else the process).  Processes and threads are
 *     named by the `comm` column as it is seen (a "M" metadata event each
 *     time the name changes: the last one wins in both viewers).
 *   - Every record becomes exactly one event whose "cat" is its stream name
 *     and whose "args" hold its SQL columns (as in `bpfreplay sql`): "ts"
 *     (ns), "cpu" when known, then the event's members:
 *       a stream with a latency column (latency_ns, latency, lat_ns,
 *       duration_ns, dur_ns: nanoseconds from ts) -> a complete slice ("X")
 *       from ts for that long, on the thread's track;
 *       any other -> an instant ("i", thread scope; global scope "g" for a
 *       stream without a pid column).
 *     Slices on one thread nest: one that would end after the slice it
 *     starts in is cut at that end (the latency column keeps the real length,
 *     and "clipped": true), as neither viewer draws overlaps.
 *   - Process lifetimes: an async slice ("b"/"e", cat "process", id the pid)
 *     from a record of an exec stream (stream exec or sched_process_exec:
 *     named after its filename's base, else comm) or a fork stream (a
 *     child_pid column: named by child_comm) to the exit stream's record of
 *     the process's main thread (stream exit or sched_process_exit, tid =
 *     pid).  An exec in a live process ends one slice and begins the next;
 *     a lifetime still open at the end of the slice is ended there with
 *     args.exit "not seen".
 *   - Stacks: a record with stack ids (bpfrec record -g) has args.stack,
 *     its frames named and folded as `bpfreplay flame` folds them
 *     ("comm;outer;...;inner", kernel frames last with _[k]).
 *   - Losses: a counter track per stream ("C", "lost: STREAM", the running
 *     total) under a process named "bpfrec: losses" (pid LOSS_PID, above
 *     any Linux pid).
 *   - Several captures (a fleet): capture i's pids and tids are shifted by
 *     i * PID_SPAN (so that hosts never share a track), process names get
 *     " @HOST", and "ts" counts wall time from the earliest capture's first
 *     record (otherData says from when), since boot clocks differ.
 *   - Time: "ts" and "dur" are microseconds of the capture's clock
 *     (CLOCK_BOOTTIME) written as exact decimals with three places (the
 *     nanoseconds); args.ts carries the integer ns.  The
 *     wall clock at boot is in "otherData" (wall = boot_ts + offset).
 *
 * Streaming: events are written as records arrive, in ts order, one line
 * each; memory holds one entry per process and thread seen (its name, its
 * open slices up to NEST_MAX deep, its lifetime), never the events.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "export.h"

#define LOSS_PID  4194305u      /* PID_MAX_LIMIT (2^22) + 1: no process has it */
#define PID_SPAN  (LOSS_PID + 1) /* several captures: capture i's pids + i * PID_SPAN */
#define MAX_CAPS  1000u         /* so that every pid fits 32 bits */
#define NEST_MAX  16
#define NAME_MAX_ 64
#define LIT(b, s) strbuf__add((b), "" s, sizeof("" s) - 1)   /* literals only */

/* A stream, what its columns are for, and its losses so far. */
struct scfg {
	struct capview_stream *s;
	struct export_cols c;
	uint64_t lost;              /* running total for the counter track */
};

struct track {
	uint64_t key;               /* pid << 32 | tid; 0: a free slot (+1 offset) */
	char tname[NAME_MAX_];      /* the thread_name last written */
	char pname[NAME_MAX_];      /* the process_name last written (tid == pid entry) */
	char life[NAME_MAX_];       /* open lifetime slice's name (tid == pid entry) */
	int life_open;
	int depth;
	uint64_t ends[NEST_MAX];    /* ends of the open complete slices, nested */
};

struct pf {
	struct export *x;
	FILE *f;
	struct strbuf line;
	struct strbuf fold;         /* a record's folded stack */
	int first;
	struct scfg *cfg;           /* one per stream of every capture */
	size_t ncfg;
	struct track *tracks;       /* open addressing, power of two */
	size_t ntracks, cap;
	uint64_t *end_ts;           /* per capture, the last record's output ts: where
				     * its open lifetimes end */
	int multi;                  /* several captures: one wall-clock axis */
	int64_t wall0;              /* multi: the earliest first record's wall time */
	int err;
};

/* The output time of a capture's ts: the ts itself (the capture's boot
 * clock) for one capture; for several, ns of wall time from the earliest
 * capture's first record, so that hosts and boots share one axis. */
static uint64_t out_ts(const struct pf *p, size_t cap, uint64_t ts)
{
	const struct capview_session *se;
	int64_t w;

	if (!p->multi)
		return ts;
	se = capview__session(export__capture(p->x, cap));
	w = timeclock__wall(&se->clock, ts) - p->wall0;
	return w > 0 ? (uint64_t)w : 0;
}

static uint32_t out_pid(size_t cap, uint32_t pid)
{
	return pid + (uint32_t)cap * PID_SPAN;
}

static struct scfg *cfg_of(struct pf *p, const struct capview_stream *s)
{
	for (size_t i = 0; i < p->ncfg; i++)
		if (p->cfg[i].s == s)
			return &p->cfg[i];
	return NULL;
}

static struct track *track_get(struct pf *p, uint32_t pid, uint32_t tid)
{
	uint64_t key = ((uint64_t)pid << 32 | tid) + 1;
	size_t i;

	if (2 * (p->ntracks + 1) > p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 1024;
		struct track *t = calloc(cap, sizeof(*t));

		if (!t)
			return NULL;
		for (size_t k = 0; k < p->cap; k++) {
			if (!p->tracks[k].key)
				continue;
			for (i = p->tracks[k].key * 0x9e3779b97f4a7c15ull >> 20 & (cap - 1); t[i].key;
			     i = (i + 1) & (cap - 1))
				;
			t[i] = p->tracks[k];
		}
		free(p->tracks);
		p->tracks = t;
		p->cap = cap;
	}
	for (i = key * 0x9e3779b97f4a7c15ull >> 20 & (p->cap - 1); p->tracks[i].key;
	     i = (i + 1) & (p->cap - 1))
		if (p->tracks[i].key == key)
			return &p->tracks[i];
	p->tracks[i].key = key;
	p->ntracks++;
	return &p->tracks[i];
}

/* ---- JSON pieces ---- */

static void add_us(struct strbuf *b, uint64_t ns)
{
	strbuf__addf(b, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static void add_str(struct strbuf *b, const char *s)
{
	print__json_string(b, s, strlen(s));
}

static void begin_event(struct pf *p, const char *ph)
{
	strbuf__add(&p->line, p->first ? "\n" : ",\n", p->first ? 1 : 2);
	p->first = 0;
	strbuf__addf(&p->line, "{\"ph\":\"%s\"", ph);
}

static void end_event(struct pf *p)
{
	LIT(&p->line, "}");
	if (!p->line.buf) {
		p->err = -ENOMEM;
	} else if (fwrite(p->line.buf, 1, p->line.len, p->f) != p->line.len) {
		p->err = -EIO;
	}
	p->line.len = 0;
}

static void meta_name(struct pf *p, const char *what, uint32_t pid, uint32_t tid, const char *name)
{
	begin_event(p, "M");
	strbuf__addf(&p->line, ",\"name\":\"%s\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
		     ",\"args\":{\"name\":", what, pid, tid);
	add_str(&p->line, name);
	LIT(&p->line, "}");
	end_event(p);
}

static void set_name(char *dst, const char *src)
{
	snprintf(dst, NAME_MAX_, "%s", src);
}

static void name_tracks(struct pf *p, size_t cap, uint32_t pid, uint32_t tid, const char *comm)
{
	struct track *t = track_get(p, pid, tid), *pt;
	char pname[NAME_MAX_ + 64];

	if (!t) {
		p->err = -ENOMEM;
		return;
	}
	if (strcmp(t->tname, comm)) {
		set_name(t->tname, comm);
		meta_name(p, "thread_name", pid, tid, comm);
	}
	pt = tid == pid ? t : track_get(p, pid, pid);
	if (!pt) {
		p->err = -ENOMEM;
		return;
	}
	/* the process is named by its main thread, or by any thread until that
	 * shows; with several captures, and the host it ran on */
	if ((tid == pid || !pt->pname[0]) && strcmp(pt->pname, comm)) {
		const struct capview_session *se = capview__session(export__capture(p->x, cap));

		set_name(pt->pname, comm);
		snprintf(pname, sizeof(pname), "%s%s%.60s", comm, p->multi ? " @" : "",
			 p->multi && se->host ? se->host : "");
		meta_name(p, "process_name", pid, pid, pname);
	}
}

static void lifetime(struct pf *p, uint32_t pid, uint64_t ts, const char *begin_name,
		     const char *exit_why)
{
	struct track *t = track_get(p, pid, pid);

	if (!t) {
		p->err = -ENOMEM;
		return;
	}
	if (t->life_open) {
		begin_event(p, "e");
		strbuf__addf(&p->line, ",\"cat\":\"process\",\"id\":%" PRIu32 ",\"pid\":%" PRIu32
			     ",\"tid\":%" PRIu32 ",\"ts\":", pid, pid, pid);
		add_us(&p->line, ts);
		LIT(&p->line, ",\"name\":");
		add_str(&p->line, t->life);
		strbuf__addf(&p->line, ",\"args\":{\"ts\":%" PRIu64 ",\"exit\":", ts);
		add_str(&p->line, exit_why);
		LIT(&p->line, "}");
		end_event(p);
		t->life_open = 0;
	}
	if (begin_name) {
		set_name(t->life, begin_name[0] ? begin_name : "?");
		begin_event(p, "b");
		strbuf__addf(&p->line, ",\"cat\":\"process\",\"id\":%" PRIu32 ",\"pid\":%" PRIu32
			     ",\"tid\":%" PRIu32 ",\"ts\":", pid, pid, pid);
		add_us(&p->line, ts);
		LIT(&p->line, ",\"name\":");
		add_str(&p->line, t->life);
		strbuf__addf(&p->line, ",\"args\":{\"ts\":%" PRIu64 "}", ts);
		end_event(p);
		t->life_open = 1;
	}
}

/* "args":{"ts":N, "cpu":N, ...every column... without the closing brace. */
static void add_args(struct pf *p, size_t cap, struct capview_stream *s, const struct cap_rec *rec)
{
	char tb[TIMEFMT_LEN + 1];
	struct capview *c = export__capture(p->x, cap);

	strbuf__addf(&p->line, ",\"args\":{\"ts\":%" PRIu64, rec->ts_ns);
	if (rec->cpu != CAP_CPU_UNKNOWN)
		strbuf__addf(&p->line, ",\"cpu\":%" PRIu32, rec->cpu);
	for (size_t k = 0; k < s->ncols; k++) {
		struct pval v;

		if (capview__value(c, s, rec, CAPVIEW_NCOMMON + k, &v, tb))
			v.kind = PV_NULL;
		LIT(&p->line, ",");
		add_str(&p->line, s->cols[k]);
		LIT(&p->line, ":");
		print__json_value(&p->line, &v);
	}
	/* the stacks, named: "comm;outer;...;inner" as bpfreplay flame folds them */
	if (export__fold_stack(c, s, &cfg_of(p, s)->c, rec, &p->fold) == 1 && p->fold.buf) {
		LIT(&p->line, ",\"stack\":");
		print__json_string(&p->line, p->fold.buf, p->fold.len);
	}
}

static void event(struct pf *p, const struct export_rec *r)
{
	const struct export_cols *c = &cfg_of(p, r->s)->c;
	const struct cap_rec *rec = r->rec;
	int64_t pid = -1, tid = -1, lat = -1;
	char comm[NAME_MAX_], name[256];
	uint64_t dur = 0, ts = out_ts(p, r->cap, rec->ts_ns);
	int clipped = 0;

	p->end_ts[r->cap] = ts;
	if (export__col_int(r->s, c->pid, rec, &pid) || pid < 0 || pid >= LOSS_PID)
		pid = -1;
	if (pid >= 0 && (export__col_int(r->s, c->tid, rec, &tid) || tid < 0 || tid >= LOSS_PID))
		tid = pid;
	if (pid >= 0) {
		pid = out_pid(r->cap, (uint32_t)pid);
		tid = out_pid(r->cap, (uint32_t)tid);
		export__col_text(r->s, c->comm, rec, comm, sizeof(comm));
		if (comm[0])
			name_tracks(p, r->cap, (uint32_t)pid, (uint32_t)tid, comm);
	}

	/* process lifetimes */
	if (c->role == EXPORT_ROLE_EXEC && pid >= 0) {
		const char *base = name;

		export__col_text(r->s, c->filename, rec, name, sizeof(name));
		if (strrchr(name, '/'))
			base = strrchr(name, '/') + 1;
		if (!*base)
			export__col_text(r->s, c->comm, rec, name, sizeof(name)), base = name;
		lifetime(p, (uint32_t)pid, ts, base, "exec");
	} else if (c->role == EXPORT_ROLE_FORK) {
		int64_t child;

		if (!export__col_int(r->s, c->child_pid, rec, &child) && child >= 0 && child < LOSS_PID) {
			export__col_text(r->s, c->child_comm, rec, name, sizeof(name));
			lifetime(p, out_pid(r->cap, (uint32_t)child), ts, name, "fork");
		}
	} else if (c->role == EXPORT_ROLE_EXIT && pid >= 0 && tid == pid) {
		lifetime(p, (uint32_t)pid, ts, NULL, "exit");
	}

	/* the record itself */
	if (c->lat >= 0 && pid >= 0 && !export__col_int(r->s, c->lat, rec, &lat) && lat >= 0) {
		struct track *t = track_get(p, (uint32_t)pid, (uint32_t)tid);
		uint64_t end = ts + (uint64_t)lat;

		if (!t) {
			p->err = -ENOMEM;
			return;
		}
		while (t->depth && t->ends[t->depth - 1] <= ts)
			t->depth--;
		if (t->depth && end > t->ends[t->depth - 1]) {
			end = t->ends[t->depth - 1];
			clipped = 1;
		}
		dur = end - ts;
		if (t->depth < NEST_MAX)
			t->ends[t->depth++] = end;
		begin_event(p, "X");
		LIT(&p->line, ",\"dur\":");
		add_us(&p->line, dur);
	} else {
		begin_event(p, "i");
		strbuf__addf(&p->line, ",\"s\":\"%s\"", pid >= 0 ? "t" : "g");
	}
	LIT(&p->line, ",\"name\":");
	add_str(&p->line, r->s->name);
	LIT(&p->line, ",\"cat\":");
	add_str(&p->line, r->s->name);
	if (pid >= 0)
		strbuf__addf(&p->line, ",\"pid\":%" PRId64 ",\"tid\":%" PRId64, pid, tid);
	else
		LIT(&p->line, ",\"pid\":0,\"tid\":0");
	LIT(&p->line, ",\"ts\":");
	add_us(&p->line, ts);
	add_args(p, r->cap, r->s, rec);
	if (clipped)
		LIT(&p->line, ",\"clipped\":true");
	LIT(&p->line, "}");
	end_event(p);
}

static int loss(void *ctx, const struct export_loss *l)
{
	struct pf *p = ctx;
	struct scfg *c = cfg_of(p, l->s);

	if (!c)
		return 0;
	c->lost += l->count;
	begin_event(p, "C");
	LIT(&p->line, ",\"name\":");
	{
		struct strbuf n = { 0 };
		strbuf__addf(&n, "lost: %s", l->s->name);
		add_str(&p->line, n.buf ? n.buf : "lost");
		strbuf__free(&n);
	}
	strbuf__addf(&p->line, ",\"pid\":%u,\"ts\":", out_pid(l->cap, LOSS_PID));
	add_us(&p->line, out_ts(p, l->cap, l->ts_ns));
	strbuf__addf(&p->line, ",\"args\":{\"lost\":%" PRIu64 "}", c->lost);
	end_event(p);
	return p->err;
}

static void header(struct pf *p)
{
	const struct capview_session *se = capview__session(export__capture(p->x, 0));

	LIT(&p->line, "{\"displayTimeUnit\":\"ns\",\"otherData\":{");
	LIT(&p->line, "\"generator\":\"bpfreplay export\",\"clock\":\"CLOCK_BOOTTIME\"");
	strbuf__addf(&p->line, ",\"wall_minus_boot_ns\":%" PRId64,
		     se->clock.real_ns - se->clock.boot_ns);
	LIT(&p->line, ",\"host\":");
	add_str(&p->line, se->host ? se->host : "");
	LIT(&p->line, ",\"kernel\":");
	add_str(&p->line, se->kernel_release ? se->kernel_release : "");
	LIT(&p->line, ",\"command\":");
	add_str(&p->line, se->cmdline ? se->cmdline : "");
	if (p->multi) {
		strbuf__addf(&p->line, ",\"clock_note\":\"ts: ns of wall time from %" PRId64
			     " ns since the epoch; capture i's pids + i * %u\",\"captures\":[",
			     p->wall0, PID_SPAN);
		for (size_t i = 0; i < export__ncaptures(p->x); i++) {
			const struct capview_session *s = capview__session(export__capture(p->x, i));

			strbuf__addf(&p->line, "%s{\"host\":", i ? "," : "");
			add_str(&p->line, s->host ? s->host : "");
			LIT(&p->line, ",\"boot_id\":");
			add_str(&p->line, s->boot_id ? s->boot_id : "");
			LIT(&p->line, ",\"command\":");
			add_str(&p->line, s->cmdline ? s->cmdline : "");
			LIT(&p->line, "}");
		}
		LIT(&p->line, "]");
	}
	LIT(&p->line, "},\"traceEvents\":[");
	if (fwrite(p->line.buf, 1, p->line.len, p->f) != p->line.len)
		p->err = -EIO;
	p->line.len = 0;
}

static int write_json(struct export *x)
{
	struct pf p = { .x = x, .f = export__file(x), .first = 1 };
	struct export_rec r;
	int rc = 0;

	for (size_t i = 0; i < export__ncaptures(x); i++)
		p.ncfg += capview__nstreams(export__capture(x, i));
	p.cfg = calloc(p.ncfg + 1, sizeof(*p.cfg));
	if (!p.cfg)
		return -ENOMEM;
	p.ncfg = 0;
	for (size_t i = 0; i < export__ncaptures(x); i++)
		for (size_t k = 0; k < capview__nstreams(export__capture(x, i)); k++, p.ncfg++) {
			p.cfg[p.ncfg].s = capview__stream(export__capture(x, i), k);
			export__cols(p.cfg[p.ncfg].s, &p.cfg[p.ncfg].c);
		}

	if (export__ncaptures(x) > MAX_CAPS) {
		cli__warn("--format %s: at most %u captures in one trace (%zu given)",
			  export__format(x)->name, MAX_CAPS, export__ncaptures(x));
		free(p.cfg);
		return -E2BIG;
	}
	p.end_ts = calloc(export__ncaptures(x) + 1, sizeof(*p.end_ts));
	if (!p.end_ts) {
		free(p.cfg);
		return -ENOMEM;
	}
	p.multi = export__ncaptures(x) > 1;
	p.wall0 = INT64_MAX;
	for (size_t i = 0; i < export__ncaptures(x); i++) {
		struct capview *c = export__capture(x, i);
		uint64_t lo, hi;

		capview__span(c, &lo, &hi);
		if (timeclock__wall(&capview__session(c)->clock, lo) < p.wall0)
			p.wall0 = timeclock__wall(&capview__session(c)->clock, lo);
	}
	header(&p);
	for (size_t i = 0; i < export__ncaptures(x); i++) {
		char name[128];

		snprintf(name, sizeof(name), "bpfrec: losses%s%.60s", p.multi ? " @" : "",
			 p.multi && capview__session(export__capture(x, i))->host
			 ? capview__session(export__capture(x, i))->host : "");
		meta_name(&p, "process_name", out_pid(i, LOSS_PID), out_pid(i, LOSS_PID), name);
	}
	if (!p.err)
		rc = export__losses(x, loss, &p);
	while (!rc && !p.err && (rc = export__next(x, &r)) == 1) {
		event(&p, &r);
		rc = 0;
	}
	if (!rc && !p.err) {
		/* lifetimes still open end with the slice */
		for (size_t i = 0; i < p.cap; i++) {
			struct track *t = &p.tracks[i];
			uint32_t pid = (uint32_t)((t->key - 1) >> 32);

			if (t->key && t->life_open)
				lifetime(&p, pid, p.end_ts[pid / PID_SPAN], NULL, "not seen");
		}
		if (fputs("\n]}\n", p.f) == EOF)
			p.err = -EIO;
	}
	free(p.cfg);
	free(p.end_ts);
	free(p.tracks);
	strbuf__free(&p.line);
	strbuf__free(&p.fold);
	return rc ? rc : p.err;
}

const struct export_format export_perfetto = {
	.name = "perfetto",
	.summary = "a timeline for ui.perfetto.dev (JSON trace events; as chrome)",
	.to = EXPORT_TO_FILE,
	.write = write_json,
};

const struct export_format export_chrome = {
	.name = "chrome",
	.summary = "a timeline for chrome://tracing or ui.perfetto.dev (JSON trace events)",
	.to = EXPORT_TO_FILE,
	.write = write_json,
};
