/* slice.c - the slice options and the time-ordered record iterator (see
 * slice.h for the order, the filters and the damage rules). */
#include "slice.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "damagesay.h"

int slice_args__take(struct slice_args *a, const char *cmd, int ch, const char *arg)
{
	char *end;
	void *grown;

	switch (ch) {
	case 's':
		grown = realloc(a->streams, (a->nstreams + 1) * sizeof(*a->streams));
		if (!grown)
			return cli__usage_error(cmd, "out of memory");
		a->streams = grown;
		a->streams[a->nstreams++] = arg;
		return 0;
	case SLICE_OPT_SINCE:
		a->since = arg;
		return 0;
	case SLICE_OPT_UNTIL:
		a->until = arg;
		return 0;
	case 'w':
		a->where = arg;
		return 0;
	case 'p': {
		long long pid;

		errno = 0;
		pid = strtoll(arg, &end, 10);
		if (errno || end == arg || *end || pid < 0)
			return cli__usage_error(cmd, "--pid '%s': not a process id", arg);
		grown = realloc(a->pids, (a->npids + 1) * sizeof(*a->pids));
		if (!grown)
			return cli__usage_error(cmd, "out of memory");
		a->pids = grown;
		a->pids[a->npids++] = pid;
		return 0;
	}
	default:
		return 1;
	}
}

void slice_args__free(struct slice_args *a)
{
	free(a->streams);
	free(a->pids);
	memset(a, 0, sizeof(*a));
}

/* One decoded block's wanted records, used in place in the decoding cursor
 * that holds the block (a cursor per block in flight, not a copy); given
 * back when the last is yielded. */
struct chunk {
	size_t refs;
	struct hrec *recs;
	struct capr_cursor *cur;
};

struct hrec {
	uint64_t ts;
	uint64_t seq;               /* block position << 32 | record position */
	struct capview_stream *s;      /* NULL: a record of no known stream */
	uint32_t cpu, len;
	const uint8_t *data;
	struct chunk *chunk;
};

/* A run of a block's records already in (ts, seq) order: the heap merges
 * runs, not records (a block is usually one run per stream, often one),
 * which yields the same order as a heap of every record at a fraction of
 * its cost. */
struct run {
	struct hrec *cur, *end;
};

struct heap {
	struct run *v;
	size_t n, cap;
};

struct sel {
	struct capview_stream *s;      /* NULL: not selected */
	uint64_t min_len;           /* a shorter record is damaged (evtype__check) */
	const char *why_out;        /* then why: "not in --stream", ... */
	sqlite3_stmt *where;        /* NULL: no --where */
};

struct slice {
	struct capview *c;
	int (*stop)(void *);        /* slice__on_stop */
	void *stop_ctx;
	struct sel *sel;            /* by stream index */
	struct capview_stream *stream0;   /* stream index 0: the index's base */
	size_t nstreams;
	uint64_t lo, hi;            /* ts bounds, inclusive */
	const int64_t *pids;        /* the args' (they outlive the slice's use) */
	int64_t *pids_own;
	size_t npids;
	sqlite3 *db;                /* in-memory, for --where */
	/* iteration */
	const struct cap_block_info *blocks;
	size_t nblocks, bi;
	unsigned char *want;        /* blocks that hold a selected record in range */
	struct heap h;
	struct chunk *held;         /* the chunk of the record last yielded */
	uint64_t damaged_recs, damaged_blocks;
	struct damagesay say_blocks;   /* per segment */
	void (*on_bad)(void *ctx, struct capview *c, size_t block, const char *why);
	void *on_bad_ctx;              /* slice__on_damaged_block */
	struct damagesay say_recs;     /* per stream */
};

static int hless(const struct hrec *a, const struct hrec *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static int heap_push(struct heap *h, const struct run *r)
{
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct run *v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	i = h->n++;
	while (i && hless(r->cur, h->v[(i - 1) / 2].cur)) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = *r;
	return 0;
}

/* Puts x at the root's place and sifts it down (x NULL: the root goes). */
static void heap_sift(struct heap *h, const struct run *x)
{
	struct run last;
	size_t i = 0;

	if (!x) {
		last = h->v[--h->n];
		x = &last;
	}
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && hless(h->v[c + 1].cur, h->v[c].cur))
			c++;
		if (!hless(h->v[c].cur, x->cur))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = *x;
}

/* The smallest record of every run's: taken from its run. */
static inline void heap_pop(struct heap *h, struct hrec *out)
{
	struct run top = h->v[0];

	*out = *top.cur++;
	if (h->n == 1) {   /* one run (one block, one stream): nothing to sift */
		h->v[0].cur = top.cur;
		h->n = top.cur < top.end;
		return;
	}
	heap_sift(h, top.cur < top.end ? &top : NULL);
}

static void chunk_free(struct chunk *ch)
{
	capr__cursor_free(ch->cur);
	free(ch->recs);
	free(ch);
}

static void chunk_put(struct chunk *ch)
{
	if (ch && !--ch->refs)
		chunk_free(ch);
}

static struct sel *sel_of(const struct slice *sl, const struct capview_stream *s)
{
	size_t i = (size_t)(s - sl->stream0);
	return i < sl->nstreams && sl->sel[i].s ? &sl->sel[i] : NULL;
}

static const char *decl_type(enum pval_kind k)
{
	switch (k) {
	case PV_INT: case PV_UINT: return "INTEGER";
	case PV_REAL: return "REAL";
	case PV_BLOB: return "BLOB";
	default: return "TEXT";
	}
}

static const char *col_decl(const struct capview_stream *s, size_t i)
{
	static const char *const common[CAPVIEW_NCOMMON] = { "INTEGER", "TEXT", "INTEGER", "TEXT" };
	if (i < CAPVIEW_NCOMMON)
		return common[i];
	switch (evtype__col(s->et, i - CAPVIEW_NCOMMON)->kind) {
	case EVCOL_INT: case EVCOL_UINT: case EVCOL_BOOL: return decl_type(PV_INT);
	case EVCOL_FLOAT: return decl_type(PV_REAL);
	case EVCOL_BYTES: return decl_type(PV_BLOB);
	default: return decl_type(PV_TEXT);
	}
}

static const char *col_name(const struct capview_stream *s, size_t i)
{
	return i < CAPVIEW_NCOMMON ? capview_common_cols[i] : s->cols[i - CAPVIEW_NCOMMON];
}

static int add_quoted(struct strbuf *b, const char *name)
{
	int rc = strbuf__add(b, "\"", 1);
	for (const char *p = name; *p && !rc; p++)
		rc = *p == '"' ? strbuf__add(b, "\"\"", 2) : strbuf__add(b, p, 1);
	return rc ? rc : strbuf__add(b, "\"", 1);
}

/* Prepares --where for every selected stream.  Returns 0, or the exit
 * status for an expression no stream can evaluate. */
static int prepare_where(struct slice *sl, const char *expr)
{
	size_t usable = 0, nsel = 0;
	char *first_msg = NULL, *first_sql = NULL;
	int first_off = -1, rc = 0;

	if (cli__memdb(&sl->db)) {
		cli__warn("sqlite: cannot open an in-memory database");
		return EXIT_QUERY;
	}
	for (size_t i = 0; i < sl->nstreams; i++) {
		struct sel *se = &sl->sel[i];
		struct strbuf q = { 0 };
		size_t pre;
		const char *tail = NULL;

		if (!se->s)
			continue;
		nsel++;
		strbuf__add(&q, "SELECT 1 FROM (SELECT ", 22);
		for (size_t k = 0; k < CAPVIEW_NCOMMON + se->s->ncols; k++) {
			strbuf__addf(&q, "%sCAST(?%zu AS %s) AS ", k ? ", " : "", k + 1,
				     col_decl(se->s, k));
			add_quoted(&q, col_name(se->s, k));
		}
		strbuf__add(&q, ") WHERE (", 9);
		pre = q.len;
		strbuf__add(&q, expr, strlen(expr));
		strbuf__add(&q, "\n)", 2);
		if (!q.buf) {
			rc = EXIT_QUERY;
			break;
		}
		if (sqlite3_prepare_v2(sl->db, q.buf, -1, &se->where, &tail) == SQLITE_OK &&
		    tail && *tail == 0) {
			usable++;
		} else {
			const char *msg = se->where ? "more than one expression (a ';' ?)"
						    : sqlite3_errmsg(sl->db);
			int off = se->where ? -1 : sqlite3_error_offset(sl->db);

			sqlite3_finalize(se->where);
			se->where = NULL;
			if (!first_msg) {
				first_msg = strdup(msg);
				first_sql = strdup(expr);
				first_off = off >= (int)pre && off <= (int)(pre + strlen(expr))
					    ? off - (int)pre : -1;
			}
			if (!strncmp(msg, "no such column", 14)) {
				cli__warn("note: --where: stream '%s' left out: %s", se->s->name, msg);
				se->s = NULL;   /* this stream cannot match */
				se->why_out = "no column that --where names";
			} else {
				strbuf__free(&q);
				rc = cli__sql_error("--where", first_msg, first_sql, first_off);
				break;
			}
		}
		strbuf__free(&q);
	}
	if (!rc && nsel && !usable)
		rc = cli__sql_error("--where", first_msg ? first_msg : "cannot be evaluated",
				    first_sql, first_off);
	free(first_msg);
	free(first_sql);
	return rc;
}

/* 1 if the record passes --where, 0 if not, -1 on an evaluation error. */
static int where_ok(struct slice *sl, struct sel *se, const struct cap_rec *rec)
{
	char tb[TIMEFMT_LEN + 1];
	int rc;

	sqlite3_reset(se->where);
	for (size_t k = 0; k < CAPVIEW_NCOMMON + se->s->ncols; k++) {
		struct pval v;
		if (capview__value(sl->c, se->s, rec, k, &v, tb))
			return -1;
		switch (v.kind) {
		case PV_INT: sqlite3_bind_int64(se->where, (int)k + 1, v.i); break;
		case PV_UINT: sqlite3_bind_int64(se->where, (int)k + 1, (int64_t)v.u); break;
		case PV_REAL: sqlite3_bind_double(se->where, (int)k + 1, v.f); break;
		case PV_BLOB:
			sqlite3_bind_blob64(se->where, (int)k + 1, v.s, v.len, SQLITE_TRANSIENT);
			break;
		case PV_TEXT: case PV_JSON:
			sqlite3_bind_text64(se->where, (int)k + 1, v.s, v.len, SQLITE_TRANSIENT,
					    SQLITE_UTF8);
			break;
		default: sqlite3_bind_null(se->where, (int)k + 1); break;
		}
	}
	rc = sqlite3_step(se->where);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	cli__sql_error("--where", sqlite3_errmsg(sl->db), NULL, -1);
	return -1;
}

static int pid_ok(const struct slice *sl, const struct sel *se, const struct cap_rec *rec)
{
	struct evval v;

	if (!sl->npids)
		return 1;
	if (evtype__decode(se->s->et, (size_t)se->s->pid_col, rec->data, rec->len, &v) || v.is_null)
		return 0;
	for (size_t i = 0; i < sl->npids; i++)
		if (v.i == sl->pids[i])
			return 1;
	return 0;
}

/* Takes the wanted records of block bi to the heap, in place in a cursor
 * of their own. */
static int load_block(struct slice *sl, size_t bi)
{
	const struct cap_block_info *b = &sl->blocks[bi];
	const struct cap_rec *recs;
	uint32_t n;
	char err[256] = "";
	size_t nwant = 0;
	struct chunk *ch;
	char note[96];
	const char *say;
	int rc;

	ch = calloc(1, sizeof(*ch));
	if (!ch || !(ch->cur = capr__cursor_new(capview__capr(sl->c)))) {
		free(ch);
		return -ENOMEM;
	}
	rc = capr__cursor_read(ch->cur, b, &recs, &n, err, sizeof(err));
	if (rc) {
		chunk_free(ch);
		sl->damaged_blocks++;
		if (sl->on_bad) {
			sl->on_bad(sl->on_bad_ctx, sl->c, bi, *err ? err : strerror(-rc));
			return 0;
		}
		if ((say = damagesay__block(&sl->say_blocks, 0, b->segment_id, note, sizeof(note))))
			cli__warn("block %" PRId64 ": damaged: %s; its %" PRIu32 " records are "
				  "skipped%s", b->id, *err ? err : strerror(-rc), b->meta.nrecords, say);
		return 0;
	}
	ch->recs = malloc((n ? n : 1) * sizeof(*ch->recs));
	if (!ch->recs) {
		chunk_free(ch);
		return -ENOMEM;
	}
	/* One stream id after another: the stream looked up once per group.
	 * A record of an unknown stream is kept: it is reported as damaged. */
	uint32_t last_id = 0;
	struct capview_stream *last_s = NULL;
	int last_sel = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct cap_rec *r = &recs[i];

		if (!i || r->stream != last_id) {
			last_id = r->stream;
			last_s = capview__stream_by_id(sl->c, last_id);
			last_sel = !last_s || sel_of(sl, last_s);
		}
		if (!last_sel || r->ts_ns < sl->lo || r->ts_ns > sl->hi)
			continue;
		ch->recs[nwant++] = (struct hrec){
			.ts = r->ts_ns, .seq = (uint64_t)bi << 32 | i, .s = last_s,
			.cpu = r->cpu, .len = r->len, .data = r->data, .chunk = ch,
		};
	}
	if (!nwant) {
		chunk_free(ch);
		return 0;
	}
	ch->refs = nwant;
	/* Runs in order (seq rises within a block: a run ends where ts falls). */
	for (size_t start = 0, j = 1; j <= nwant; j++) {
		if (j < nwant && !hless(&ch->recs[j], &ch->recs[j - 1]))
			continue;
		struct run r = { ch->recs + start, ch->recs + j };
		if (heap_push(&sl->h, &r)) {
			/* the runs already pushed keep their records' references */
			ch->refs -= nwant - start;
			if (!ch->refs)
				chunk_free(ch);
			return -ENOMEM;
		}
		start = j;
	}
	return 0;
}

/* The blocks that hold a selected stream's records within [lo, hi]. */
static void want_blocks(struct slice *sl)
{
	memset(sl->want, 0, sl->nblocks ? sl->nblocks : 1);
	for (size_t i = 0; i < sl->nstreams; i++) {
		struct capview_stream *s = sl->sel[i].s;
		for (size_t k = 0; s && k < s->nblocks; k++)
			if (sl->lo <= sl->hi &&
			    cap_block__overlaps(s->blocks[k].min_ts, s->blocks[k].max_ts, sl->lo, sl->hi))
				sl->want[s->blocks[k].idx] = 1;
	}
}

void slice__narrow(struct slice *sl, uint64_t lo, uint64_t hi)
{
	if (lo > sl->lo)
		sl->lo = lo;
	if (hi < sl->hi)
		sl->hi = hi;
	want_blocks(sl);
}

static void mark_stream(size_t idx, void *ctx)
{
	struct slice *sl = ctx;

	sl->sel[idx].s = capview__stream(sl->c, idx);
}

int slice__open(struct capview *c, const struct slice_args *a, const char *cmd,
		struct slice **out)
{
	struct slice *sl = calloc(1, sizeof(*sl));
	const struct capview_session *se = capview__session(c);
	uint64_t min_ts, max_ts;
	int rc = EXIT_CAPTURE;

	*out = NULL;
	if (!sl)
		goto fail;
	sl->c = c;
	sl->hi = UINT64_MAX;
	sl->nstreams = capview__nstreams(c);
	sl->stream0 = sl->nstreams ? capview__stream(c, 0) : NULL;
	sl->sel = calloc(sl->nstreams + 1, sizeof(*sl->sel));
	if (!sl->sel)
		goto fail;
	if (a->npids) {
		sl->pids_own = malloc(a->npids * sizeof(*sl->pids_own));
		if (!sl->pids_own)
			goto fail;
		memcpy(sl->pids_own, a->pids, a->npids * sizeof(*sl->pids_own));
		sl->pids = sl->pids_own;
		sl->npids = a->npids;
	}
	for (size_t i = 0; i < a->nstreams; i++)
		if ((rc = cli__select_streams(c, cmd, a->streams[i], mark_stream, sl)))
			goto fail;
	for (size_t i = 0; i < sl->nstreams; i++) {
		if (!a->nstreams)
			sl->sel[i].s = capview__stream(c, i);
		else if (!sl->sel[i].s)
			sl->sel[i].why_out = "not in --stream";
	}

	capview__span(c, &min_ts, &max_ts);
	if (a->since && timefmt__parse_bound(a->since, &se->clock, min_ts, max_ts, &sl->lo)) {
		rc = cli__usage_error(cmd, "--since '%s': not a time (2024-05-01T12:00:03Z, +2s, "
				      "-500ms)", a->since);
		goto fail;
	}
	if (a->until && timefmt__parse_bound(a->until, &se->clock, min_ts, max_ts, &sl->hi)) {
		rc = cli__usage_error(cmd, "--until '%s': not a time (2024-05-01T12:00:03Z, +2s, "
				      "-500ms)", a->until);
		goto fail;
	}
	if (sl->npids) {
		for (size_t i = 0; i < sl->nstreams; i++) {
			struct capview_stream *s = sl->sel[i].s;
			if (s && s->pid_col < 0) {
				cli__warn("note: --pid: stream '%s' left out: it has no tgid or pid column",
					  s->name);
				sl->sel[i].s = NULL;
				sl->sel[i].why_out = "no tgid or pid column for --pid";
			}
		}
	}
	if (a->where && (rc = prepare_where(sl, a->where)))
		goto fail;

	rc = EXIT_CAPTURE;
	for (size_t i = 0; i < sl->nstreams; i++)
		if (sl->sel[i].s)   /* no type: every record is damaged */
			sl->sel[i].min_len = sl->sel[i].s->et ? evtype__min_size(sl->sel[i].s->et) :
								UINT64_MAX;
	sl->blocks = capview__blocks(c, &sl->nblocks);
	sl->want = calloc(sl->nblocks ? sl->nblocks : 1, 1);
	if (!sl->want)
		goto fail;
	want_blocks(sl);
	*out = sl;
	return 0;
fail:
	if (rc == EXIT_CAPTURE)
		cli__warn("%s: out of memory", cmd);
	slice__close(sl);
	return rc;
}

int slice__next(struct slice *sl, struct slice_rec *out)
{
	int rc;

	chunk_put(sl->held);
	sl->held = NULL;
	for (;;) {
		struct hrec r;
		struct sel *se;

		while (sl->bi < sl->nblocks && !sl->want[sl->bi])
			sl->bi++;
		if (sl->bi < sl->nblocks &&
		    (!sl->h.n || sl->blocks[sl->bi].meta.min_ts_ns <= sl->h.v[0].cur->ts)) {
			if (sl->stop && sl->stop(sl->stop_ctx))
				return -EINTR;
			if ((rc = load_block(sl, sl->bi++)))
				return rc;
			continue;
		}
		if (!sl->h.n)
			return 0;
		heap_pop(&sl->h, &r);
		*out = (struct slice_rec){
			.s = r.s,
			.rec = { .stream = r.s ? (uint32_t)r.s->id : 0, .cpu = r.cpu, .ts_ns = r.ts,
				 .len = r.len, .data = r.data },
			.pos = r.seq,
		};
		/* only selected streams' records are in the heap, and records
		 * of no known stream (NULL) */
		se = r.s ? sel_of(sl, r.s) : NULL;
		if (!se || r.len < se->min_len) {   /* evtype__check, as it was */
			out->damaged = 1;
			sl->damaged_recs++;
			sl->held = r.chunk;
			return 1;
		}
		if (pid_ok(sl, se, &out->rec)) {
			int w = se->where ? where_ok(sl, se, &out->rec) : 1;
			if (w < 0) {
				chunk_put(r.chunk);
				return -EINVAL;
			}
			if (w) {
				sl->held = r.chunk;
				return 1;
			}
		}
		chunk_put(r.chunk);
	}
}

void slice__on_stop(struct slice *sl, int (*stop)(void *ctx), void *ctx)
{
	sl->stop = stop;
	sl->stop_ctx = ctx;
}

void slice__close(struct slice *sl)
{
	if (!sl)
		return;
	chunk_put(sl->held);
	while (sl->h.n) {
		struct hrec r;
		heap_pop(&sl->h, &r);
		chunk_put(r.chunk);
	}
	free(sl->h.v);
	for (size_t i = 0; sl->sel && i < sl->nstreams; i++)
		sqlite3_finalize(sl->sel[i].where);
	free(sl->sel);
	free(sl->want);
	free(sl->pids_own);
	sqlite3_close(sl->db);
	free(sl);
}

struct capview *slice__capture(const struct slice *sl) { return sl->c; }

int slice__has_stream(const struct slice *sl, const struct capview_stream *s)
{
	return s && sel_of(sl, s) != NULL;
}

const char *slice__why_out(const struct slice *sl, const struct capview_stream *s)
{
	size_t i = (size_t)(s - capview__stream(sl->c, 0));

	return i < sl->nstreams && !sl->sel[i].s ? sl->sel[i].why_out : NULL;
}

void slice__bounds(const struct slice *sl, uint64_t *lo, uint64_t *hi)
{
	*lo = sl->lo;
	*hi = sl->hi;
}

uint64_t slice__damaged_blocks(const struct slice *sl) { return sl->damaged_blocks; }

const char *slice__say_record(struct slice *sl, const struct capview_stream *s, uint32_t stream,
			      char *note, size_t len)
{
	/* (the name is the capture's: checked when the capture was opened) */
	return damagesay__record(&sl->say_recs, 0, s ? s->name : NULL, s ? s->id : 0, stream, note,
				 (unsigned)len);
}

void slice__on_damaged_block(struct slice *sl,
			     void (*fn)(void *ctx, struct capview *c, size_t block, const char *why),
			     void *ctx)
{
	sl->on_bad = fn;
	sl->on_bad_ctx = ctx;
}

uint64_t slice__damage_unsaid(const struct slice *sl)
{
	return damagesay__unsaid(&sl->say_blocks) + damagesay__unsaid(&sl->say_recs);
}
uint64_t slice__damaged_records(const struct slice *sl) { return sl->damaged_recs; }
