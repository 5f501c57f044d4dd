/* cmd_show.c - bpfreplay show: every event in time order across streams.
 *
 * Order: records are not sorted inside blocks, and blocks overlap in time.
 * Blocks are taken in ascending min_ts order (the index's order); their
 * wanted records are copied into a min-heap keyed by (ts, block, position),
 * and a record is printed once its ts is below the next block's min_ts (no
 * later block can hold an earlier record).  Memory is bounded by the records
 * of the blocks that overlap in time, never by the capture.
 *
 * Filters: --stream picks streams; --since/--until bound ts (inclusive) and
 * skip whole blocks through the index (block_streams: this stream's bounds
 * in each block); --pid compares the stream's `tgid` column, else its `pid`
 * column, and leaves out streams that have neither (saying so);
 * --where EXPR is evaluated by SQLite for each record, per stream, as
 *     SELECT 1 FROM (SELECT CAST(?1 AS INTEGER) AS "ts", ... every column)
 *     WHERE (EXPR)
 * with the record's decoded values bound: the same names, types and
 * affinities as the stream's virtual table in `bpfreplay sql`.  A stream
 * whose columns EXPR does not name is left out (saying so); if no stream can
 * evaluate EXPR it is an error (exit 1, with SQLite's message and position).
 *
 * Damage: a block that fails its checks is reported on stderr (block id,
 * reason) and skipped; a record shorter than its type is printed as
 * DAMAGED (table) or reported on stderr (csv, jsonl), never decoded.  Either
 * makes the exit status 3 once everything else has been printed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "print.h"
#include "rcap.h"

static void help(void)
{
	printf("Usage: bpfreplay show [OPTIONS] CAPTURE\n"
	       "\n"
	       "Print every event of a capture in time order, one per line: wall time\n"
	       "(UTC, ISO 8601 with ns), stream, then the event's fields as name=value,\n"
	       "decoded with the BTF stored in the capture.\n"
	       "\n"
	       "Options:\n"
	       "  -s, --stream NAME   only this stream (repeat, or NAME,NAME,...)\n"
	       "      --since T       only events at or after T\n"
	       "      --until T       only events at or before T\n"
	       "                      T: wall time 2024-05-01T12:00:03.5Z (zone optional,\n"
	       "                      UTC by default), or relative: +2s or 2s from the first\n"
	       "                      event, -2s before the last; units ns us ms s m h\n"
	       "  -p, --pid N         only events whose tgid (else pid) column is N; streams\n"
	       "                      with neither column are left out\n"
	       "  -w, --where EXPR    only events for which the SQL expression EXPR is true;\n"
	       "                      columns as in 'bpfreplay sql' (ts, time, cpu, stream,\n"
	       "                      and the event's fields)\n"
	       "  -o, --output FMT    table (default: one line per event), csv (a header with\n"
	       "                      the columns of all the streams shown), jsonl\n"
	       "  -h, --help          this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay show ./cap\n"
	       "  bpfreplay show ./cap --stream exec,exit --since +1s --until +1.5s\n"
	       "  bpfreplay show ./cap --pid 4242 -o jsonl\n"
	       "  bpfreplay show ./cap --where \"comm = 'curl' AND ret < 0\"\n"
	       "\n"
	       "Exit status: 0 ok, 1 bad --where, 2 usage, 3 bad or damaged capture\n"
	       "(damaged blocks and records are reported; everything else is printed).\n");
}

/* Records copied out of one decoded block; freed when the last is printed. */
struct chunk {
	size_t refs;
	uint8_t data[];
};

struct hrec {
	uint64_t ts;
	uint64_t seq;               /* block position << 32 | record position */
	struct rcap_stream *s;      /* NULL: a record of no known stream */
	uint32_t cpu, len;
	const uint8_t *data;
	struct chunk *chunk;
};

struct heap {
	struct hrec *v;
	size_t n, cap;
};

static int hless(const struct hrec *a, const struct hrec *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static int heap_push(struct heap *h, const struct hrec *r)
{
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		struct hrec *v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	i = h->n++;
	while (i && hless(r, &h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = *r;
	return 0;
}

static void heap_pop(struct heap *h, struct hrec *out)
{
	struct hrec last;
	size_t i = 0;

	*out = h->v[0];
	last = h->v[--h->n];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && hless(&h->v[c + 1], &h->v[c]))
			c++;
		if (!hless(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
}

struct sel {
	struct rcap_stream *s;
	sqlite3_stmt *where;        /* NULL: no --where */
	size_t *ucol;               /* evtype column -> union column (csv/jsonl) */
};

struct show {
	struct rcap *c;
	struct sel *sel;            /* by stream index; sel[i].s NULL if not shown */
	size_t nstreams;
	uint64_t lo, hi;            /* ts bounds, inclusive */
	int has_pid;
	int64_t pid;
	enum print_fmt fmt;
	struct printer *pr;         /* csv/jsonl */
	char **ucols;               /* union columns: common + every shown stream's */
	size_t nucols;
	struct pval *uvals;
	int namew;                  /* widest stream name shown */
	struct strbuf line;
	uint64_t damaged_recs, damaged_blocks, printed;
	int out_err;
	sqlite3 *db;                /* in-memory, for --where */
};

static struct sel *sel_of(struct show *sh, struct rcap_stream *s)
{
	size_t i = (size_t)(s - rcap__stream(sh->c, 0));
	return i < sh->nstreams && sh->sel[i].s ? &sh->sel[i] : NULL;
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

static const char *col_decl(const struct rcap_stream *s, size_t i)
{
	static const char *const common[RCAP_NCOMMON] = { "INTEGER", "TEXT", "INTEGER", "TEXT" };
	if (i < RCAP_NCOMMON)
		return common[i];
	switch (evtype__col(s->et, i - RCAP_NCOMMON)->kind) {
	case EVCOL_INT: case EVCOL_UINT: case EVCOL_BOOL: return decl_type(PV_INT);
	case EVCOL_FLOAT: return decl_type(PV_REAL);
	case EVCOL_BYTES: return decl_type(PV_BLOB);
	default: return decl_type(PV_TEXT);
	}
}

static const char *col_name(const struct rcap_stream *s, size_t i)
{
	return i < RCAP_NCOMMON ? rcap_common_cols[i] : s->cols[i - RCAP_NCOMMON];
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
static int prepare_where(struct show *sh, const char *expr)
{
	size_t usable = 0, nsel = 0;
	char *first_msg = NULL, *first_sql = NULL;
	int first_off = -1, rc = 0;

	if (sqlite3_open_v2(":memory:", &sh->db, SQLITE_OPEN_READWRITE, NULL)) {
		cli__warn("sqlite: cannot open an in-memory database");
		return EXIT_QUERY;
	}
	for (size_t i = 0; i < sh->nstreams; i++) {
		struct sel *se = &sh->sel[i];
		struct strbuf q = { 0 };
		size_t pre;
		const char *tail = NULL;

		if (!se->s)
			continue;
		nsel++;
		strbuf__add(&q, "SELECT 1 FROM (SELECT ", 22);
		for (size_t k = 0; k < RCAP_NCOMMON + se->s->ncols; k++) {
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
		if (sqlite3_prepare_v2(sh->db, q.buf, -1, &se->where, &tail) == SQLITE_OK &&
		    tail && *tail == 0) {
			usable++;
		} else {
			const char *msg = se->where ? "more than one expression (a ';' ?)"
						    : sqlite3_errmsg(sh->db);
			int off = se->where ? -1 : sqlite3_error_offset(sh->db);

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
static int where_ok(struct show *sh, struct sel *se, const struct cap_rec *rec)
{
	char tb[TIMEFMT_LEN + 1];
	int rc;

	sqlite3_reset(se->where);
	for (size_t k = 0; k < RCAP_NCOMMON + se->s->ncols; k++) {
		struct pval v;
		if (rcap__value(sh->c, se->s, rec, k, &v, tb))
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
	cli__sql_error("--where", sqlite3_errmsg(sh->db), NULL, -1);
	return -1;
}

static int pid_ok(struct show *sh, struct sel *se, const struct cap_rec *rec)
{
	struct evval v;

	if (!sh->has_pid)
		return 1;
	if (evtype__decode(se->s->et, (size_t)se->s->pid_col, rec->data, rec->len, &v) || v.is_null)
		return 0;
	return v.i == sh->pid;
}

static void emit_line(struct show *sh)
{
	if (!sh->out_err && fwrite(sh->line.buf, 1, sh->line.len, stdout) != sh->line.len)
		sh->out_err = -EIO;
	sh->line.len = 0;
}

static void print_damaged(struct show *sh, const struct cap_rec *rec, struct rcap_stream *s)
{
	char tb[TIMEFMT_LEN + 1];
	const struct rcap_session *se = rcap__session(sh->c);
	const char *name = s ? s->name : "?";

	sh->damaged_recs++;
	timefmt__iso(timeclock__wall(&se->clock, rec->ts_ns), tb, sizeof(tb));
	if (sh->fmt == PRINT_TABLE) {
		strbuf__addf(&sh->line, "%s %-*s DAMAGED: ", tb, sh->namew, name);
		if (s)
			strbuf__addf(&sh->line, "record of %" PRIu32 " bytes, type %s needs %" PRIu32
				     "\n", rec->len, evtype__name(s->et), evtype__size(s->et));
		else
			strbuf__addf(&sh->line, "record of unknown stream id %" PRIu32 "\n",
				     rec->stream);
		emit_line(sh);
	} else if (s) {
		cli__warn("%s %s: damaged record: %" PRIu32 " bytes, type %s needs %" PRIu32, tb,
			  name, rec->len, evtype__name(s->et), evtype__size(s->et));
	} else {
		cli__warn("%s: damaged record: unknown stream id %" PRIu32, tb, rec->stream);
	}
}

static int print_rec(struct show *sh, const struct cap_rec *rec, struct rcap_stream *s)
{
	struct sel *se = sel_of(sh, s);
	char tb[TIMEFMT_LEN + 1];
	struct pval v;
	int w;

	if (evtype__check(s->et, rec->len)) {
		print_damaged(sh, rec, s);
		return 0;
	}
	if (!pid_ok(sh, se, rec))
		return 0;
	if (se->where && (w = where_ok(sh, se, rec)) <= 0)
		return w;   /* -1: an error stops the output */
	sh->printed++;
	if (sh->fmt == PRINT_TABLE) {
		rcap__value(sh->c, s, rec, 1, &v, tb);
		strbuf__add(&sh->line, v.s, v.len);
		strbuf__addf(&sh->line, " %-*s", sh->namew, s->name);
		for (size_t k = 0; k < s->ncols; k++) {
			strbuf__add(&sh->line, " ", 1);
			if (rcap__value(sh->c, s, rec, RCAP_NCOMMON + k, &v, tb))
				v.kind = PV_NULL;
			print__logfmt_pair(&sh->line, s->cols[k], &v);
		}
		strbuf__add(&sh->line, "\n", 1);
		emit_line(sh);
		return sh->out_err;
	}
	for (size_t k = 0; k < sh->nucols; k++)
		sh->uvals[k].kind = PV_ABSENT;
	for (size_t k = 0; k < RCAP_NCOMMON + s->ncols; k++) {
		/* text points into evtype scratch (one value at a time): copy */
		struct pval *u = &sh->uvals[k < RCAP_NCOMMON ? k : se->ucol[k - RCAP_NCOMMON]];
		if (rcap__value(sh->c, s, rec, k, u, tb))
			u->kind = PV_NULL;
		if ((u->kind == PV_TEXT || u->kind == PV_JSON || u->kind == PV_BLOB) && u->len) {
			char *copy = malloc(u->len);
			if (!copy)
				return -ENOMEM;
			memcpy(copy, u->s, u->len);
			u->s = copy;
		} else if (u->kind == PV_TEXT || u->kind == PV_JSON || u->kind == PV_BLOB) {
			u->s = "";
		}
	}
	int rc = printer__row(sh->pr, sh->uvals);
	for (size_t k = 0; k < RCAP_NCOMMON + s->ncols; k++) {
		struct pval *u = &sh->uvals[k < RCAP_NCOMMON ? k : se->ucol[k - RCAP_NCOMMON]];
		if ((u->kind == PV_TEXT || u->kind == PV_JSON || u->kind == PV_BLOB) && u->len)
			free((void *)u->s);
	}
	return rc;
}

/* Copies the wanted records of block bi into the heap. */
static int load_block(struct show *sh, struct heap *h, size_t bi, const struct cap_block_info *b)
{
	const struct cap_rec *recs;
	uint32_t n;
	char err[256] = "";
	size_t bytes = 0, nwant = 0, off = 0;
	struct chunk *ch;
	int rc;

	rc = capr__read_block(rcap__capr(sh->c), b, &recs, &n, err, sizeof(err));
	if (rc) {
		sh->damaged_blocks++;
		cli__warn("block %" PRId64 ": damaged: %s; its %" PRIu32 " records are skipped",
			  b->id, *err ? err : strerror(-rc), b->meta.nrecords);
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct rcap_stream *s = rcap__stream_by_id(sh->c, recs[i].stream);
		if ((s && !sel_of(sh, s)) || recs[i].ts_ns < sh->lo || recs[i].ts_ns > sh->hi)
			continue;
		bytes += recs[i].len;
		nwant++;
	}
	if (!nwant)
		return 0;
	ch = malloc(sizeof(*ch) + bytes);
	if (!ch)
		return -ENOMEM;
	ch->refs = nwant;
	for (uint32_t i = 0; i < n; i++) {
		struct rcap_stream *s = rcap__stream_by_id(sh->c, recs[i].stream);
		struct hrec r;

		if ((s && !sel_of(sh, s)) || recs[i].ts_ns < sh->lo || recs[i].ts_ns > sh->hi)
			continue;
		memcpy(ch->data + off, recs[i].data, recs[i].len);
		r = (struct hrec){
			.ts = recs[i].ts_ns, .seq = (uint64_t)bi << 32 | i, .s = s,
			.cpu = recs[i].cpu, .len = recs[i].len, .data = ch->data + off, .chunk = ch,
		};
		off += recs[i].len;
		if (heap_push(h, &r)) {
			/* the records already pushed keep their references */
			ch->refs -= nwant;
			if (!ch->refs)
				free(ch);
			return -ENOMEM;
		}
		nwant--;
	}
	return 0;
}

static int run(struct show *sh)
{
	size_t nblocks;
	const struct cap_block_info *blocks = rcap__blocks(sh->c, &nblocks);
	unsigned char *want = calloc(nblocks ? nblocks : 1, 1);
	struct heap h = { 0 };
	size_t bi = 0;
	int rc = 0;

	if (!want)
		return -ENOMEM;
	/* blocks that hold a selected stream's records within [lo, hi] */
	for (size_t i = 0; i < sh->nstreams; i++) {
		struct rcap_stream *s = sh->sel[i].s;
		for (size_t k = 0; s && k < s->nblocks; k++)
			if (s->blocks[k].max_ts >= sh->lo && s->blocks[k].min_ts <= sh->hi)
				want[s->blocks[k].idx] = 1;
	}
	for (;;) {
		while (bi < nblocks && !want[bi])
			bi++;
		if (bi < nblocks && (!h.n || blocks[bi].meta.min_ts_ns <= h.v[0].ts)) {
			rc = load_block(sh, &h, bi, &blocks[bi]);
			bi++;
			if (rc)
				break;
			continue;
		}
		if (!h.n)
			break;
		struct hrec r;
		heap_pop(&h, &r);
		if (!rc) {
			struct cap_rec rec = { .stream = 0, .cpu = r.cpu, .ts_ns = r.ts, .len = r.len,
					       .data = r.data };
			if (r.s) {
				rec.stream = (uint32_t)r.s->id;
				rc = print_rec(sh, &rec, r.s);
			} else {
				print_damaged(sh, &rec, NULL);
			}
		}
		if (!--r.chunk->refs)
			free(r.chunk);
		if (rc)
			break;
	}
	while (h.n) {
		struct hrec r;
		heap_pop(&h, &r);
		if (!--r.chunk->refs)
			free(r.chunk);
	}
	free(h.v);
	free(want);
	return rc;
}

static void mark_stream(size_t idx, void *ctx)
{
	struct show *sh = ctx;

	sh->sel[idx].s = rcap__stream(sh->c, idx);
}

/* Union of the shown streams' columns, for csv/jsonl. */
static int build_union(struct show *sh)
{
	size_t cap = RCAP_NCOMMON;

	for (size_t i = 0; i < sh->nstreams; i++)
		if (sh->sel[i].s)
			cap += sh->sel[i].s->ncols;
	sh->ucols = calloc(cap, sizeof(*sh->ucols));
	sh->uvals = calloc(cap, sizeof(*sh->uvals));
	if (!sh->ucols || !sh->uvals)
		return -ENOMEM;
	for (size_t k = 0; k < RCAP_NCOMMON; k++)
		sh->ucols[sh->nucols++] = (char *)rcap_common_cols[k];
	for (size_t i = 0; i < sh->nstreams; i++) {
		struct sel *se = &sh->sel[i];
		if (!se->s)
			continue;
		se->ucol = calloc(se->s->ncols + 1, sizeof(*se->ucol));
		if (!se->ucol)
			return -ENOMEM;
		for (size_t k = 0; k < se->s->ncols; k++) {
			size_t u;
			for (u = RCAP_NCOMMON; u < sh->nucols; u++)
				if (!strcmp(sh->ucols[u], se->s->cols[k]))
					break;
			if (u == sh->nucols)
				sh->ucols[sh->nucols++] = se->s->cols[k];
			se->ucol[k] = u;
		}
	}
	sh->pr = printer__new(stdout, sh->fmt, sh->nucols, (const char *const *)sh->ucols);
	return sh->pr ? 0 : -ENOMEM;
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "stream", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "pid", required_argument, NULL, 'p' },
		{ "where", required_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL },
	};
	struct show sh = { .hi = UINT64_MAX, .fmt = PRINT_TABLE };
	const char *since = NULL, *until = NULL, *where = NULL;
	char **streams = calloc((size_t)argc + 1, sizeof(char *));
	size_t nstream_opts = 0;
	char err[512], *end;
	int ch, rc = 0;

	if (!streams)
		return EXIT_CAPTURE;
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":hs:p:w:o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
			goto out;
		case 's':
			streams[nstream_opts++] = optarg;
			break;
		case 'S':
			since = optarg;
			break;
		case 'U':
			until = optarg;
			break;
		case 'p':
			errno = 0;
			sh.pid = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || sh.pid < 0) {
				rc = cli__usage_error("show", "--pid '%s': not a process id", optarg);
				goto out;
			}
			sh.has_pid = 1;
			break;
		case 'w':
			where = optarg;
			break;
		case 'o':
			if (print__parse_fmt(optarg, &sh.fmt)) {
				rc = cli__usage_error("show", "-o '%s': not a format (table, csv, jsonl)",
						      optarg);
				goto out;
			}
			break;
		default:
			rc = cli__bad_option("show", argv, ch);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		rc = cli__usage_error("show", optind >= argc ? "no CAPTURE given"
				      : "one CAPTURE only ('%s' is extra)", argv[optind + 1]);
		goto out;
	}
	sh.c = rcap__open(argv[optind], err, sizeof(err));
	if (!sh.c) {
		cli__warn("%s", err);
		rc = EXIT_CAPTURE;
		goto out;
	}
	sh.nstreams = rcap__nstreams(sh.c);
	sh.sel = calloc(sh.nstreams + 1, sizeof(*sh.sel));
	if (!sh.sel) {
		rc = EXIT_CAPTURE;
		goto out;
	}
	for (size_t i = 0; i < nstream_opts; i++)
		if ((rc = cli__select_streams(sh.c, "show", streams[i], mark_stream, &sh)))
			goto out;
	if (!nstream_opts)
		for (size_t i = 0; i < sh.nstreams; i++)
			sh.sel[i].s = rcap__stream(sh.c, i);

	uint64_t min_ts, max_ts;
	const struct rcap_session *se = rcap__session(sh.c);
	rcap__span(sh.c, &min_ts, &max_ts);
	if (since && timefmt__parse_bound(since, &se->clock, min_ts, max_ts, &sh.lo)) {
		rc = cli__usage_error("show", "--since '%s': not a time (2024-05-01T12:00:03Z, +2s, "
				      "-500ms)", since);
		goto out;
	}
	if (until && timefmt__parse_bound(until, &se->clock, min_ts, max_ts, &sh.hi)) {
		rc = cli__usage_error("show", "--until '%s': not a time (2024-05-01T12:00:03Z, +2s, "
				      "-500ms)", until);
		goto out;
	}
	if (sh.has_pid) {
		for (size_t i = 0; i < sh.nstreams; i++) {
			struct rcap_stream *s = sh.sel[i].s;
			if (s && s->pid_col < 0) {
				cli__warn("note: --pid: stream '%s' left out: it has no tgid or pid column",
					  s->name);
				sh.sel[i].s = NULL;
			}
		}
	}
	if (where && (rc = prepare_where(&sh, where)))
		goto out;
	for (size_t i = 0; i < sh.nstreams; i++)
		if (sh.sel[i].s && (int)strlen(sh.sel[i].s->name) > sh.namew)
			sh.namew = (int)strlen(sh.sel[i].s->name);
	if (sh.fmt != PRINT_TABLE && build_union(&sh)) {
		cli__warn("out of memory");
		rc = EXIT_CAPTURE;
		goto out;
	}

	int r = run(&sh);
	if (sh.pr && printer__end(sh.pr))
		r = r ? r : -EIO;
	fflush(stdout);
	if (r == -1) {
		rc = EXIT_QUERY;
	} else if (r == -EIO || sh.out_err) {
		rc = EXIT_CAPTURE;   /* stdout failed: nothing more to say there */
		cli__warn("write error on standard output");
	} else if (r) {
		cli__warn("%s", strerror(-r));
		rc = EXIT_CAPTURE;
	} else if (sh.damaged_blocks || sh.damaged_recs) {
		cli__warn("%s: %" PRIu64 " damaged blocks, %" PRIu64 " damaged records (reported "
			  "above); everything else was printed", argv[optind], sh.damaged_blocks,
			  sh.damaged_recs);
		rc = EXIT_CAPTURE;
	}
out:
	if (sh.sel) {
		for (size_t i = 0; i < sh.nstreams; i++) {
			sqlite3_finalize(sh.sel[i].where);
			free(sh.sel[i].ucol);
		}
	}
	free(sh.sel);
	free(sh.ucols);
	free(sh.uvals);
	printer__free(sh.pr);
	strbuf__free(&sh.line);
	sqlite3_close(sh.db);
	rcap__close(sh.c);
	free(streams);
	return rc;
}
