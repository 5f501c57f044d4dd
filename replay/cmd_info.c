/* cmd_info.c - bpfreplay info: what a capture holds, from its index alone
 * (no block is decompressed). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "lossinfo.h"
#include "print.h"
#include "capview.h"
#include "capsize.h"
#include "idnames.h"

static void help(void)
{
	printf("Usage: bpfreplay info [-o table|csv|json] CAPTURE...\n"
	       "\n"
	       "Several captures (or a directory holding them) are described one after\n"
	       "the other.\n"
	       "\n"
	       "Describe a capture from its index: the session (host, kernel, boot id,\n"
	       "command line, tool version, start and end wall time, duration), the\n"
	       "streams with their SQL table names, event types and counts, losses per\n"
	       "stream and how they are known (exact, or unobservable with the windows\n"
	       "when loss was possible), the programs and where each attached, the time\n"
	       "span of the records, sizes (raw, on disk, ratio), the number of blocks,\n"
	       "and how many user and group names of the recording host the capture\n"
	       "carries (show prints uid=1000(alice) with them).  Nothing is\n"
	       "decompressed.\n"
	       "\n"
	       "Options:\n"
	       "  -o, --output FMT  table (default): all of the above as text; json (or\n"
	       "                    jsonl): all of it as one JSON object per capture, one\n"
	       "                    a line; csv: the stream list\n"
	       "  -h, --help        this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay info ./cap\n"
	       "  bpfreplay info -o json ./cap | jq '.streams[].table'\n");
}

static int64_t query_int(sqlite3 *db, const char *sql, int64_t key)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;

	if (!sqlite3_prepare_v2(db, sql, -1, &st, NULL)) {
		if (sqlite3_bind_parameter_count(st))
			sqlite3_bind_int64(st, 1, key);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

/* The sum of the loss counts sql selects (?1: key), as u64: a count the
 * file made negative adds nothing, and the sum stops at UINT64_MAX
 * instead of wrapping (SQL's total() is a double, its int64 cast wraps). */
static uint64_t sum_counts(sqlite3 *db, const char *sql, int64_t key)
{
	sqlite3_stmt *st = NULL;
	uint64_t sum = 0;

	if (!sqlite3_prepare_v2(db, sql, -1, &st, NULL)) {
		if (sqlite3_bind_parameter_count(st))
			sqlite3_bind_int64(st, 1, key);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int64_t n = sqlite3_column_int64(st, 0);
			if (n > 0)
				sum = (uint64_t)n > UINT64_MAX - sum ? UINT64_MAX : sum + (uint64_t)n;
		}
	}
	sqlite3_finalize(st);
	return sum;
}

static void print_time(const char *label, const struct timeclock *ck, uint64_t ts)
{
	char t[TIMEFMT_LEN + 1];

	printf("%-12s %s  (ts %" PRIu64 ")\n", label, timefmt__iso(timeclock__wall(ck, ts), t,
								sizeof(t)), ts);
}

static void print_dur(const char *label, uint64_t a, uint64_t b)
{
	uint64_t d = b > a ? b - a : 0;
	printf("%-12s %" PRIu64 ".%09" PRIu64 " s\n", label, d / 1000000000, d % 1000000000);
}

static const char *const stream_cols[] = {
	"table", "kind", "map", "type", "columns", "events", "lost", "loss_reports",
	"first", "last", "loss",
};
#define NSTREAM_COLS (sizeof(stream_cols) / sizeof(stream_cols[0]))

/* Stream i's row; its text lives in the buffers given. */
static void stream_row(struct capview *c, size_t i, struct pval v[NSTREAM_COLS], char type[512],
		       char first[TIMEFMT_LEN + 1], char last[TIMEFMT_LEN + 1], char loss[128])
{
	sqlite3 *db = capr__db(capview__capr(c));
	const struct capview_session *se = capview__session(c);
	struct capview_stream *s = capview__stream(c, i);
	struct lossinfo li;

	memset(v, 0, NSTREAM_COLS * sizeof(*v));
	if (s->type_err)
		snprintf(type, 512, "bytes (%s)", s->type_err);
	else if (s->type_name)
		snprintf(type, 512, "%s", s->type_name);
	else
		snprintf(type, 512, "bytes (no type recorded)");
	v[0] = (struct pval){ PV_TEXT, .s = s->table, .len = strlen(s->table) };
	v[1] = (struct pval){ PV_TEXT, .s = s->kind, .len = strlen(s->kind) };
	v[2] = (struct pval){ PV_TEXT, .s = s->map_name, .len = strlen(s->map_name) };
	v[3] = (struct pval){ PV_TEXT, .s = type, .len = strlen(type) };
	v[4] = (struct pval){ PV_INT, .i = (int64_t)(CAPVIEW_NCOMMON + s->ncols) };
	v[5] = (struct pval){ PV_UINT, .u = s->nrecords };
	v[6] = (struct pval){ PV_UINT, .u = sum_counts(db,
		"SELECT count FROM losses WHERE stream_id = ?1", s->id) };
	v[7] = (struct pval){ PV_INT, .i = query_int(db,
		"SELECT count(*) FROM losses WHERE stream_id = ?1", s->id) };
	/* "0 lost" only where the capture says every loss was counted */
	lossinfo__get(db, s->id, &li);
	if (li.method && !li.exact && !v[6].u)
		v[6] = (struct pval){ PV_NULL };
	lossinfo__describe(&li, s->kind, loss, 128);
	v[10] = (struct pval){ PV_TEXT, .s = loss, .len = strlen(loss) };
	if (s->nrecords) {
		timefmt__iso(timeclock__wall(&se->clock, s->min_ts), first, TIMEFMT_LEN + 1);
		timefmt__iso(timeclock__wall(&se->clock, s->max_ts), last, TIMEFMT_LEN + 1);
		v[8] = (struct pval){ PV_TEXT, .s = first, .len = strlen(first) };
		v[9] = (struct pval){ PV_TEXT, .s = last, .len = strlen(last) };
	} else {
		v[8].kind = v[9].kind = PV_NULL;
	}
}

static int print_streams(struct capview *c, enum print_fmt fmt)
{
	struct printer *p = printer__new(stdout, fmt, NSTREAM_COLS, stream_cols);
	int rc = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < capview__nstreams(c) && !rc; i++) {
		char type[512], first[TIMEFMT_LEN + 1], last[TIMEFMT_LEN + 1], loss[128];
		struct pval v[NSTREAM_COLS];

		stream_row(c, i, v, type, first, last, loss);
		rc = printer__row(p, v);
	}
	int erc = printer__end(p);
	printer__free(p);
	return rc ? rc : erc;
}

/* What info says about a capture, from its index and its files. */
struct facts {
	uint64_t raw, enc, nrec, min_ts, max_ts;
	size_t nblocks;
	struct cap_disk disk;           /* "on disk", as the recorder counts it */
	uint64_t lost, orphan_lost;
	int64_t loss_reports;
	int losses_unknown;             /* the index was rebuilt: losses before it unknown */
	size_t users, groups;           /* the recording host's names the capture carries */
	uint64_t names_bad;             /* rows the reader does not trust (idnames.h) */
	int names_truncated;            /* the host had more than the recorder took */
};

static void gather(struct capview *c, struct facts *f)
{
	sqlite3 *db = capr__db(capview__capr(c));
	const struct cap_block_info *blocks = capview__blocks(c, &f->nblocks);

	for (size_t i = 0; i < f->nblocks; i++) {
		f->raw += blocks[i].meta.raw_bytes;
		f->enc += blocks[i].meta.enc_bytes;
		f->nrec += blocks[i].meta.nrecords;
	}
	capview__span(c, &f->min_ts, &f->max_ts);
	cap_disk__measure(capview__path(c), &f->disk);   /* zero when it cannot be read */
	f->lost = sum_counts(db, "SELECT count FROM losses", 0);
	f->loss_reports = query_int(db, "SELECT count(*) FROM losses", 0);
	f->losses_unknown = query_int(db, "SELECT count(*) FROM meta WHERE key = 'losses_unknown'",
				      0) > 0;
	struct idnames *ids = NULL;
	char err[256];
	if (!capview__idnames(c, &ids, err, sizeof(err))) {
		f->users = idnames__count(ids, IDNAMES_USER);
		f->groups = idnames__count(ids, IDNAMES_GROUP);
		f->names_bad = idnames__skipped(ids, IDNAMES_USER) +
			       idnames__skipped(ids, IDNAMES_GROUP);
	}
	f->names_truncated = query_int(db, "SELECT count(*) FROM meta WHERE key IN "
				       "('users_truncated', 'groups_truncated')", 0) > 0;
	f->orphan_lost = sum_counts(db, "SELECT count FROM losses"
				    " WHERE stream_id NOT IN (SELECT id FROM streams)", 0);
}

static void print_table(struct capview *c, const struct facts *f)
{
	const struct capview_session *se = capview__session(c);
	char a[64], b[64];

	printf("%-12s ", "capture");
	cli__fputs_safe(capview__path(c), stdout);
	putchar('\n');
	/* Text from the capture: no control bytes to the terminal. */
	const char *const kv[][2] = {
		{ "host", se->host }, { "kernel", se->kernel_release },
		{ "boot id", se->boot_id }, { "command", se->cmdline },
		{ "recorded by", se->tool_version },
	};
	for (size_t k = 0; k < sizeof(kv) / sizeof(kv[0]); k++) {
		printf("%-12s ", kv[k][0]);
		cli__fputs_safe(kv[k][1], stdout);
		putchar('\n');
	}
	print_time("start", &se->clock, se->start_ns);
	if (se->has_end) {
		print_time("end", &se->clock, se->end_ns);
		print_dur("duration", se->start_ns, se->end_ns);
	} else {
		printf("%-12s (none: the recorder did not finish the capture)\n", "end");
	}
	if (f->nrec) {
		print_time("first event", &se->clock, f->min_ts);
		print_time("last event", &se->clock, f->max_ts);
		print_dur("span", f->min_ts, f->max_ts);
	}
	printf("%-12s %" PRIu64 " in %zu blocks\n", "events", f->nrec, f->nblocks);
	printf("%-12s %s\n", "raw", cap_disk__fmt(f->raw, a, sizeof(a)));
	printf("%-12s %s (blocks: %s)\n", "on disk", cap_disk__fmt(f->disk.total, b, sizeof(b)),
	       cap_disk__fmt(f->enc, a, sizeof(a)));
	if (f->enc)
		printf("%-12s %.2f (raw / blocks), %.2f (raw / on disk)\n", "ratio",
		       (double)f->raw / (double)f->enc,
		       f->disk.total ? (double)f->raw / (double)f->disk.total : 0);
	printf("%-12s %" PRIu64 " events in %" PRId64 " reports\n", "lost", f->lost,
	       f->loss_reports);
	if (f->losses_unknown)
		printf("%-12s and an unknown number before: the index was lost and rebuilt "
		       "from catalog.db (bpfreplay recover)\n", "");
	if (lossinfo__unobservable(capr__db(capview__capr(c))))
		printf("%-12s and unknown on %" PRIu64 " stream(s) whose loss is unobservable "
		       "(their possible-loss windows are listed below)\n", "",
		       lossinfo__unobservable(capr__db(capview__capr(c))));
	if (f->users || f->groups)
		printf("%-12s %zu users, %zu groups of the recording host (SQL: users, groups)%s%s\n",
		       "names", f->users, f->groups,
		       f->names_truncated ? "; it had more, the rest print as numbers" : "",
		       f->names_bad ? "; some rows not usable, left out" : "");
	else
		printf("%-12s none: uids and gids print as numbers\n", "names");
	cmd_bundle__info(c);
	printf("\nstreams (each one is an SQL table: bpfreplay sql ");
	cli__fputs_safe(capview__path(c), stdout);
	printf(" 'SELECT * FROM TABLE'):\n");
	fflush(stdout);
}

/* JSON helpers: "key": value, with a comma before every key but the first. */
static void jkey(struct strbuf *b, const char *k)
{
	if (b->len && b->buf[b->len - 1] != '{' && b->buf[b->len - 1] != '[')
		strbuf__add(b, ",", 1);
	print__json_string(b, k, strlen(k));
	strbuf__add(b, ":", 1);
}

static void jstr(struct strbuf *b, const char *k, const char *v)
{
	jkey(b, k);
	if (v)
		print__json_string(b, v, strlen(v));
	else
		strbuf__add(b, "null", 4);
}

static void ju64(struct strbuf *b, const char *k, uint64_t v)
{
	jkey(b, k);
	strbuf__addf(b, "%" PRIu64, v);
}

static void jtime(struct strbuf *b, const char *k, const struct timeclock *ck, uint64_t ts)
{
	char t[TIMEFMT_LEN + 1], kts[64];

	jstr(b, k, timefmt__iso(timeclock__wall(ck, ts), t, sizeof(t)));
	snprintf(kts, sizeof(kts), "%s_ts", k);
	ju64(b, kts, ts);
}

static void jratio(struct strbuf *b, const char *k, uint64_t num, uint64_t den)
{
	jkey(b, k);
	if (den)
		strbuf__addf(b, "%.4f", (double)num / (double)den);
	else
		strbuf__add(b, "null", 4);
}

/* The whole of info as one JSON object on one line. */
static int print_json(struct capview *c, const struct facts *f)
{
	const struct capview_session *se = capview__session(c);
	struct strbuf b = { 0 };
	int rc = 0;

	strbuf__add(&b, "{", 1);
	jstr(&b, "capture", capview__path(c));
	jstr(&b, "host", se->host);
	jstr(&b, "kernel", se->kernel_release);
	jstr(&b, "boot_id", se->boot_id);
	jstr(&b, "command", se->cmdline);
	jstr(&b, "recorded_by", se->tool_version);
	jtime(&b, "start", &se->clock, se->start_ns);
	if (se->has_end) {
		jtime(&b, "end", &se->clock, se->end_ns);
		ju64(&b, "duration_ns", se->end_ns > se->start_ns ? se->end_ns - se->start_ns : 0);
	} else {
		jstr(&b, "end", NULL);
	}
	if (f->nrec) {
		jtime(&b, "first_event", &se->clock, f->min_ts);
		jtime(&b, "last_event", &se->clock, f->max_ts);
		ju64(&b, "span_ns", f->max_ts > f->min_ts ? f->max_ts - f->min_ts : 0);
	}
	ju64(&b, "events", f->nrec);
	ju64(&b, "blocks", f->nblocks);
	ju64(&b, "raw_bytes", f->raw);
	ju64(&b, "blocks_bytes", f->enc);
	ju64(&b, "on_disk_bytes", f->disk.total);
	jkey(&b, "on_disk");
	strbuf__add(&b, "{", 1);
	ju64(&b, "segments_bytes", f->disk.segments);
	ju64(&b, "segments", f->disk.nsegments);
	ju64(&b, "index_bytes", f->disk.index);
	ju64(&b, "catalog_bytes", f->disk.catalog);
	strbuf__add(&b, "}", 1);
	jratio(&b, "ratio_blocks", f->raw, f->enc);
	jratio(&b, "ratio_on_disk", f->raw, f->disk.total);
	ju64(&b, "lost", f->lost);
	ju64(&b, "loss_reports", f->loss_reports > 0 ? (uint64_t)f->loss_reports : 0);
	jkey(&b, "losses_unknown");
	strbuf__add(&b, f->losses_unknown ? "true" : "false", f->losses_unknown ? 4 : 5);
	ju64(&b, "lost_by_missing_streams", f->orphan_lost);
	ju64(&b, "user_names", f->users);
	ju64(&b, "group_names", f->groups);
	jkey(&b, "names_truncated");
	strbuf__add(&b, f->names_truncated ? "true" : "false", f->names_truncated ? 4 : 5);
	jkey(&b, "bundle");
	cmd_bundle__info_json(c, &b);
	strbuf__add(&b, ",", 1);
	if (lossinfo__json(capr__db(capview__capr(c)), &se->clock, &b))
		rc = -EIO;
	jkey(&b, "streams");
	strbuf__add(&b, "[", 1);
	for (size_t i = 0; i < capview__nstreams(c); i++) {
		char type[512], first[TIMEFMT_LEN + 1], last[TIMEFMT_LEN + 1], loss[128];
		struct pval v[NSTREAM_COLS];

		stream_row(c, i, v, type, first, last, loss);
		strbuf__add(&b, i ? ",{" : "{", i ? 2 : 1);
		for (size_t k = 0; k < NSTREAM_COLS; k++) {
			jkey(&b, stream_cols[k]);
			print__json_value(&b, &v[k]);
		}
		strbuf__add(&b, "}", 1);
	}
	strbuf__add(&b, "]}\n", 3);
	if (!b.buf || fwrite(b.buf, 1, b.len, stdout) != b.len)
		rc = -EIO;
	strbuf__free(&b);
	return rc;
}

/* The report on one capture; the exit status. */
static int info_one(const char *path, enum print_fmt fmt)
{
	struct capview *c;
	struct facts f = { 0 };
	int rc = cli__open(path, &c);

	if (rc)
		return rc;
	gather(c, &f);
	if (fmt == PRINT_JSONL) {
		rc = print_json(c, &f) ? EXIT_CAPTURE : 0;
	} else {
		if (fmt == PRINT_TABLE)
			print_table(c, &f);
		if (print_streams(c, fmt))
			rc = EXIT_CAPTURE;
		if (fmt == PRINT_TABLE && f.orphan_lost)
			printf("%-12s %" PRIu64 " events lost by streams missing from the index\n",
			       "lost", f.orphan_lost);
		if (fmt == PRINT_TABLE &&
		    lossinfo__print(capr__db(capview__capr(c)), &capview__session(c)->clock, fmt))
			rc = EXIT_CAPTURE;
	}
	capview__close(c);
	return rc;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ NULL },
	};
	enum print_fmt fmt = PRINT_TABLE;
	const struct cli_cmd cmd = {
		.name = "info", .help = help, .shortopts = "o:", .longopts = opts,
		.fmt = &fmt, .fmt_names = "table, csv, json", .captures = CLI_CAPTURES,
	};
	struct cli_args a;
	int rc = cli__parse(&cmd, argc, argv, &a);

	for (size_t i = 0; i < a.npaths; i++) {   /* none after an error or --help */
		if (i && fmt == PRINT_TABLE)
			putchar('\n');
		int r = info_one(a.paths[i], fmt);
		if (r && !rc)
			rc = r;
	}
	cli__args_free(&a);
	return rc;
}
