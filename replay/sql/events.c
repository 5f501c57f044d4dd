/*
** events.c - every stream of a capture (or of several) as one table,
** `events`, in time order: for "events per second" and "what happened
** around T" without a UNION over every stream table.
**
** USAGE
**
**   bpfrec_attach() / `bpfreplay sql` make it beside the stream tables:
**     SELECT ts / 1000000000 AS s, count(*) FROM events GROUP BY s;
**     SELECT stream, count(*) FROM events WHERE pid = 1234 GROUP BY stream;
**   By hand: CREATE VIRTUAL TABLE temp.ev USING bpfrec_events('/path/to/cap');
**   (a JSON array of paths for several captures, as the module bpfrec).
**   "events" is also the usual name of a ringbuf map: when a stream's table
**   is named events, bpfrec_attach names this one all_events.  The
**   captures are the stream tables' own (vtab__hold): one snapshot of a
**   capture being recorded for every table.
**
** COLUMNS
**
**     ts      INTEGER  ns, the record's kernel CLOCK_BOOTTIME
**     time    TEXT     wall time, UTC (COLLATE bpfrec_time, as in every table)
**     cpu     INTEGER  NULL when the source does not say (ringbuf)
**     stream  TEXT     the stream's name (its own table holds every field)
**     pid     INTEGER  the process: the type's tgid member, else pid
**     tid     INTEGER  the thread: tid, else pid when the type has a tgid,
**                      else common_pid (tracepoints); NULL when none
**     comm    TEXT     comm (or common_comm), NULL when the type has none
**     host, capture    with several captures, as in the stream tables
**
**   Rows come in ascending wall time (one capture: ascending ts), from
**   slice.h's merge (memory bounded by the blocks that overlap in time);
**   several captures are merged by wall time.  Damaged blocks and records
**   are left out and reported as `bpfreplay show` reports them.  A row's
**   rowid is its record's place (capture, block and record positions):
**   the same row has the same rowid in every scan, as SQLite's OR of two
**   ranges needs, but rowids are not row numbers.
**
** SPEED
**
**   Constraints on ts and time (=, <, <=, >, >=; BETWEEN arrives as two)
**   bound each capture's ts range as in the stream tables (time through the
**   capture's own clock): blocks outside it are never read.  SQLite still
**   checks them on every row.  Anything else reads every block once.
*/
#ifdef BPFREC_SQLITE_EXT
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#else
#include <sqlite3.h>
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capview.h"
#include "events.h"
#include "slice.h"
#include "timefmt.h"
#include "vtab.h"

enum { EV_TS, EV_TIME, EV_CPU, EV_STREAM, EV_PID, EV_TID, EV_COMM, EV_HOST, EV_CAPTURE };

struct ev_cols {                        /* per stream: evtype columns, -1: none */
	int pid, tid, tid_is_pid, comm;
};

struct ev_src {                         /* one capture */
	char *path, *name;              /* name: the capture column */
	struct capview *c;
	struct ev_cols *cols;           /* by stream index */
};

struct ev_vtab {
	sqlite3_vtab base;              /* first: SQLite's part */
	struct vtab_reg *reg;           /* holds the captures */
	struct ev_src *src;
	size_t nsrc;
	int multi;
};

struct ev_part {                        /* a capture's place in the merge */
	struct slice *sl;
	struct slice_rec r;
	int64_t wall;                   /* ns since the epoch */
	int have;                       /* r holds its next record */
};

struct ev_cursor {
	sqlite3_vtab_cursor base;       /* first: SQLite's part */
	struct ev_part *p;
	size_t cur;                     /* the part whose record is the row */
	int eof;
	char timebuf[TIMEFMT_LEN + 1];
};

static int col_named(const struct capview_stream *s, const char *name)
{
	for (size_t i = 0; i < s->ncols; i++)
		if (!strcmp(s->cols[i], name))
			return (int)i;
	return -1;
}

static void plan(struct ev_src *src)
{
	for (size_t i = 0; i < capview__nstreams(src->c); i++) {
		const struct capview_stream *s = capview__stream(src->c, i);
		struct ev_cols *k = &src->cols[i];
		int tgid = col_named(s, "tgid"), pid = col_named(s, "pid");

		k->pid = tgid >= 0 ? tgid : pid;
		k->tid = col_named(s, "tid");
		if (k->tid < 0 && tgid >= 0)
			k->tid = pid;
		if (k->tid < 0)
			k->tid = col_named(s, "common_pid");
		k->comm = col_named(s, "comm");
		if (k->comm < 0)
			k->comm = col_named(s, "common_comm");
	}
}

static void free_srcs(struct ev_vtab *vt)
{
	for (size_t i = 0; i < vt->nsrc; i++) {
		vtab__release(vt->reg, vt->src[i].c);
		free(vt->src[i].cols);
		sqlite3_free(vt->src[i].path);
		sqlite3_free(vt->src[i].name);
	}
	free(vt->src);
}

static int ev_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		      sqlite3_vtab **out, char **err)
{
	struct ev_vtab *vt;
	char **paths = NULL, **names = NULL;
	size_t n = 0;
	int rc;

	if (argc != 4) {
		*err = sqlite3_mprintf("bpfrec_events: usage: CREATE VIRTUAL TABLE name USING "
				       "bpfrec_events('/path/to/capture') (several: a JSON array)");
		return SQLITE_ERROR;
	}
	int multi = 0;

	if ((rc = vtab__paths(argv[3], &paths, &names, &n, &multi, err)) != SQLITE_OK)
		return rc;
	vt = calloc(1, sizeof(*vt));
	if (!vt || !(vt->src = calloc(n, sizeof(*vt->src)))) {
		rc = SQLITE_NOMEM;
		goto fail;
	}
	vt->multi = multi;
	vt->reg = aux;
	for (size_t i = 0; i < n; i++) {
		struct ev_src *src = &vt->src[vt->nsrc++];
		src->path = paths[i];
		src->name = names[i];
		paths[i] = names[i] = NULL;
		if (!(src->c = vtab__hold(vt->reg, src->path, err))) {
			rc = SQLITE_ERROR;
			goto fail;
		}
		src->cols = calloc(capview__nstreams(src->c) + 1, sizeof(*src->cols));
		if (!src->cols) {
			rc = SQLITE_NOMEM;
			goto fail;
		}
		plan(src);
	}
	rc = sqlite3_declare_vtab(db, vt->multi ?
		"CREATE TABLE x(ts INTEGER, time TEXT COLLATE " TIMEFMT_COLLATION ", cpu INTEGER, "
		"stream TEXT, pid INTEGER, tid INTEGER, comm TEXT, host TEXT, capture TEXT)" :
		"CREATE TABLE x(ts INTEGER, time TEXT COLLATE " TIMEFMT_COLLATION ", cpu INTEGER, "
		"stream TEXT, pid INTEGER, tid INTEGER, comm TEXT)");
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	vtab__paths_free(paths, names, n);
	*out = &vt->base;
	return SQLITE_OK;
fail:
	vtab__paths_free(paths, names, n);
	if (vt)
		free_srcs(vt);
	free(vt);
	return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

static int ev_disconnect(sqlite3_vtab *tab)
{
	struct ev_vtab *vt = (struct ev_vtab *)tab;

	free_srcs(vt);
	free(vt);
	return SQLITE_OK;
}

/*
** xBestIndex: the usable constraints on ts and time are handed to xFilter,
** two characters each in idxStr (column 't' ts or 'w' time, then the
** operator of vtab__ts_op), argv in the same order; idxNum is their count.
*/
static int ev_best_index(sqlite3_vtab *tab, sqlite3_index_info *ii)
{
	char *str = sqlite3_malloc(ii->nConstraint * 2 + 1);
	int n = 0, argi = 0;

	if (!str)
		return SQLITE_NOMEM;
	for (int i = 0; i < ii->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &ii->aConstraint[i];
		char op = vtab__ts_op(c->op);

		if (!c->usable || !op || (c->iColumn != EV_TS && c->iColumn != EV_TIME))
			continue;
		str[n++] = c->iColumn == EV_TS ? 't' : 'w';
		str[n++] = op;
		ii->aConstraintUsage[i].argvIndex = ++argi;
	}
	str[n] = 0;
	ii->idxNum = argi;
	ii->idxStr = str;
	ii->needToFreeIdxStr = 1;
	/* constrained plans cost less, so that SQLite hands the bounds over */
	ii->estimatedCost = argi ? 1e8 : 1e9;
	/* the rows come in time order already */
	if (ii->nOrderBy == 1 && (ii->aOrderBy[0].iColumn == EV_TS ||
				  ii->aOrderBy[0].iColumn == EV_TIME) && !ii->aOrderBy[0].desc &&
	    ((struct ev_vtab *)tab)->nsrc == 1)
		ii->orderByConsumed = 1;
	return SQLITE_OK;
}

static void close_parts(struct ev_cursor *cur, size_t n)
{
	for (size_t i = 0; cur->p && i < n; i++)
		slice__close(cur->p[i].sl);
	free(cur->p);
	cur->p = NULL;
}

static int ev_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out)
{
	struct ev_cursor *cur = calloc(1, sizeof(*cur));

	(void)tab;
	if (!cur)
		return SQLITE_NOMEM;
	cur->eof = 1;
	*out = &cur->base;
	return SQLITE_OK;
}

static int ev_close(sqlite3_vtab_cursor *vc)
{
	struct ev_cursor *cur = (struct ev_cursor *)vc;

	close_parts(cur, ((struct ev_vtab *)vc->pVtab)->nsrc);
	free(cur);
	return SQLITE_OK;
}

/* Part i's next whole record (damaged ones are reported and counted as
 * the stream tables do, and skipped).  0, or an SQLite code. */
static int part_next(struct ev_vtab *vt, struct ev_part *p, size_t i)
{
	uint32_t skipped = 0;
	int rc;

	/* (Ctrl-C: the slice asks before each block it reads; damaged
	 * records, which a capture may be made of, are looked at here) */
	while ((rc = slice__next(p->sl, &p->r)) == 1 && p->r.damaged) {
		vtab__records_damaged(vt->reg, vt->src[i].c, (size_t)(p->r.pos >> 32));
		if (!(++skipped & 1023) && vtab__interrupted(vt->reg)) {
			rc = -EINTR;
			break;
		}
	}
	if (rc == -EINTR) {
		sqlite3_free(vt->base.zErrMsg);
		vt->base.zErrMsg = sqlite3_mprintf("interrupted");
		return SQLITE_INTERRUPT;
	}
	if (rc < 0)
		return rc == -ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
	p->have = rc == 1;
	if (p->have)
		p->wall = timeclock__wall(&capview__session(vt->src[i].c)->clock, p->r.rec.ts_ns);
	return SQLITE_OK;
}

/* The part with the earliest record becomes the row. */
static void pick(struct ev_vtab *vt, struct ev_cursor *cur)
{
	size_t best = vt->nsrc;

	for (size_t i = 0; i < vt->nsrc; i++)
		if (cur->p[i].have && (best == vt->nsrc || cur->p[i].wall < cur->p[best].wall))
			best = i;
	cur->eof = best == vt->nsrc;
	cur->cur = best;
}

static int ev_filter(sqlite3_vtab_cursor *vc, int idxNum, const char *idxStr, int argc,
		     sqlite3_value **argv)
{
	struct ev_cursor *cur = (struct ev_cursor *)vc;
	struct ev_vtab *vt = (struct ev_vtab *)vc->pVtab;
	struct slice_args none = { 0 };
	int rc;

	close_parts(cur, vt->nsrc);
	if (!(cur->p = calloc(vt->nsrc, sizeof(*cur->p))))
		return SQLITE_NOMEM;
	for (size_t i = 0; i < vt->nsrc; i++) {
		if (slice__open(vt->src[i].c, &none, "sql", &cur->p[i].sl))
			return SQLITE_NOMEM;
		slice__on_stop(cur->p[i].sl, vtab__interrupted, vt->reg);
		slice__on_damaged_block(cur->p[i].sl, vtab__block_damaged, vt->reg);
		/* the constraints' bounds in this capture's own ts */
		uint64_t lo = 0, hi = UINT64_MAX;
		int empty = 0;
		for (int k = 0; idxStr && k < idxNum && k < argc && idxStr[2 * k]; k++)
			vtab__ts_bound(&capview__session(vt->src[i].c)->clock, idxStr[2 * k] == 'w',
				       idxStr[2 * k + 1], argv[k], &lo, &hi, &empty);
		if (empty)
			lo = 1, hi = 0;
		if (lo || hi != UINT64_MAX)
			slice__narrow(cur->p[i].sl, lo, hi);
		if ((rc = part_next(vt, &cur->p[i], i)))
			return rc;
	}
	pick(vt, cur);
	return SQLITE_OK;
}

static int ev_next(sqlite3_vtab_cursor *vc)
{
	struct ev_cursor *cur = (struct ev_cursor *)vc;
	struct ev_vtab *vt = (struct ev_vtab *)vc->pVtab;
	int rc = part_next(vt, &cur->p[cur->cur], cur->cur);

	if (rc == SQLITE_OK)
		pick(vt, cur);
	return rc;
}

static int ev_eof(sqlite3_vtab_cursor *vc)
{
	return ((struct ev_cursor *)vc)->eof;
}

/* An integer column of the record; NULL when the type has none. */
static void result_int(sqlite3_context *ctx, struct capview_stream *s, int col,
		       const struct cap_rec *r)
{
	struct evval v;

	if (col < 0 || evtype__decode(s->et, (size_t)col, r->data, r->len, &v) || v.is_null ||
	    (v.kind != EVCOL_INT && v.kind != EVCOL_UINT))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, v.i);
}

static int ev_column(sqlite3_vtab_cursor *vc, sqlite3_context *ctx, int i)
{
	struct ev_cursor *cur = (struct ev_cursor *)vc;
	struct ev_vtab *vt = (struct ev_vtab *)vc->pVtab;
	struct ev_part *p = &cur->p[cur->cur];
	struct ev_src *src = &vt->src[cur->cur];
	struct capview_stream *s = p->r.s;
	const struct ev_cols *k = &src->cols[s - capview__stream(src->c, 0)];
	const struct cap_rec *r = &p->r.rec;
	struct evval v;

	switch (i) {
	case EV_TS:
		sqlite3_result_int64(ctx, (sqlite3_int64)r->ts_ns);
		break;
	case EV_TIME:
		timefmt__iso(p->wall, cur->timebuf, sizeof(cur->timebuf));
		sqlite3_result_text(ctx, cur->timebuf, TIMEFMT_LEN, SQLITE_TRANSIENT);
		break;
	case EV_CPU:
		if (r->cpu == CAP_CPU_UNKNOWN)
			sqlite3_result_null(ctx);
		else
			sqlite3_result_int64(ctx, r->cpu);
		break;
	case EV_STREAM:
		sqlite3_result_text(ctx, s->name, -1, SQLITE_TRANSIENT);
		break;
	case EV_PID:
		result_int(ctx, s, k->pid, r);
		break;
	case EV_TID:
		result_int(ctx, s, k->tid, r);
		break;
	case EV_COMM:
		if (k->comm < 0 || evtype__decode(s->et, (size_t)k->comm, r->data, r->len, &v) ||
		    v.is_null || v.kind != EVCOL_TEXT)
			sqlite3_result_null(ctx);
		else
			sqlite3_result_text64(ctx, v.text, v.text_len, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case EV_HOST: {
		const char *host = capview__session(src->c)->host;
		sqlite3_result_text(ctx, host ? host : "", -1, SQLITE_TRANSIENT);
		break;
	}
	case EV_CAPTURE:
		sqlite3_result_text(ctx, src->name, -1, SQLITE_TRANSIENT);
		break;
	}
	return SQLITE_OK;
}

/* The record's own place (its capture's, block's and record's positions),
 * not its place in this scan: SQLite reads an OR of two ranges
 * (ts <= a OR time >= b) as two scans whose rows it tells apart by rowid,
 * and a count from the scan's start gave two records one rowid (rows
 * lost) and one record two (rows twice). */
static int ev_rowid(sqlite3_vtab_cursor *vc, sqlite3_int64 *rowid)
{
	const struct ev_cursor *cur = (const struct ev_cursor *)vc;

	*rowid = (sqlite3_int64)((uint64_t)cur->cur << 56 ^ cur->p[cur->cur].r.pos);
	return SQLITE_OK;
}

static sqlite3_module events_module = {
	.iVersion = 0,
	.xCreate = ev_connect,
	.xConnect = ev_connect,
	.xBestIndex = ev_best_index,
	.xDisconnect = ev_disconnect,
	.xDestroy = ev_disconnect,
	.xOpen = ev_open,
	.xClose = ev_close,
	.xFilter = ev_filter,
	.xNext = ev_next,
	.xEof = ev_eof,
	.xColumn = ev_column,
	.xRowid = ev_rowid,
};

int events__register(sqlite3 *db, struct vtab_reg *reg)
{
	return sqlite3_create_module_v2(db, "bpfrec_events", &events_module, reg, NULL);
}
