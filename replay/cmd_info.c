/* cmd_info.c - bpfreplay info: what a capture holds, from its index alone
 * (no block is decompressed). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "print.h"
#include "capview.h"

static void help(void)
{
	printf("Usage: bpfreplay info [-o table|csv|jsonl] CAPTURE...\n"
	       "\n"
	       "Several captures (or a directory holding them) are described one after\n"
	       "the other.\n"
	       "\n"
	       "Describe a capture from its index: the session (host, kernel, boot id,\n"
	       "command line, tool version, start and end wall time, duration), the\n"
	       "streams with their SQL table names, event types and counts, losses per\n"
	       "stream, the time span of the records, sizes (raw, on disk, ratio) and\n"
	       "the number of blocks.  Nothing is decompressed.\n"
	       "\n"
	       "Options:\n"
	       "  -o, --output FMT  format of the stream list: table (default), csv, jsonl\n"
	       "  -h, --help        this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay info ./cap\n"
	       "  bpfreplay info -o jsonl ./cap | jq .table\n");
}

static void human(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f %s (%" PRIu64 " bytes)", v, unit[u], n);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", n);
}

static uint64_t file_size(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	if (strchr(name, '/'))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
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

static int print_streams(struct capview *c, enum print_fmt fmt)
{
	static const char *const names[] = {
		"table", "kind", "map", "type", "columns", "events", "lost", "loss_reports",
		"first", "last",
	};
	sqlite3 *db = capr__db(capview__capr(c));
	const struct capview_session *se = capview__session(c);
	struct printer *p = printer__new(stdout, fmt, 10, names);
	int rc;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < capview__nstreams(c); i++) {
		struct capview_stream *s = capview__stream(c, i);
		char type[512], first[TIMEFMT_LEN + 1], last[TIMEFMT_LEN + 1];
		struct pval v[10];

		memset(v, 0, sizeof(v));
		if (s->type_err)
			snprintf(type, sizeof(type), "bytes (%s)", s->type_err);
		else if (s->type_name)
			snprintf(type, sizeof(type), "%s", s->type_name);
		else
			snprintf(type, sizeof(type), "bytes (no type recorded)");
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
		if (s->nrecords) {
			timefmt__iso(timeclock__wall(&se->clock, s->min_ts), first, sizeof(first));
			timefmt__iso(timeclock__wall(&se->clock, s->max_ts), last, sizeof(last));
			v[8] = (struct pval){ PV_TEXT, .s = first, .len = strlen(first) };
			v[9] = (struct pval){ PV_TEXT, .s = last, .len = strlen(last) };
		} else {
			v[8].kind = v[9].kind = PV_NULL;
		}
		if ((rc = printer__row(p, v)))
			break;
	}
	rc = printer__end(p);
	printer__free(p);
	return rc;
}

/* Losses of streams that are not in the streams table (a damaged index). */
static void print_orphan_losses(sqlite3 *db)
{
	uint64_t n = sum_counts(db, "SELECT count FROM losses"
				" WHERE stream_id NOT IN (SELECT id FROM streams)", 0);
	if (n)
		printf("%-12s %" PRIu64 " events lost by streams missing from the index\n", "lost",
		       n);
}

/* The report on one capture; the exit status. */
static int info_one(const char *path, enum print_fmt fmt)
{
	char err[512];
	struct capview *c = capview__open(path, err, sizeof(err));
	char a[64], b[64];
	int rc = 0;

	if (!c) {
		cli__warn("%s", err);
		return EXIT_CAPTURE;
	}

	const struct capview_session *se = capview__session(c);
	sqlite3 *db = capr__db(capview__capr(c));
	size_t nblocks;
	const struct cap_block_info *blocks = capview__blocks(c, &nblocks);
	uint64_t raw = 0, enc = 0, nrec = 0, min_ts, max_ts, seg_bytes = 0, idx_bytes;
	sqlite3_stmt *st = NULL;
	struct stat bst;

	for (size_t i = 0; i < nblocks; i++) {
		raw += blocks[i].meta.raw_bytes;
		enc += blocks[i].meta.enc_bytes;
		nrec += blocks[i].meta.nrecords;
	}
	capview__span(c, &min_ts, &max_ts);
	if (!sqlite3_prepare_v2(db, "SELECT file FROM segments", -1, &st, NULL))
		while (sqlite3_step(st) == SQLITE_ROW)
			seg_bytes += file_size(capview__path(c),
					       (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	idx_bytes = file_size(capview__path(c), "index.db") + file_size(capview__path(c), "catalog.db");
	if (capr__is_bundle(capview__capr(c)) && !stat(capview__path(c), &bst))
		idx_bytes = (uint64_t)bst.st_size;   /* a bundle: one file */

	if (fmt == PRINT_TABLE) {
		printf("%-12s %s\n", "capture", capview__path(c));
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
		if (nrec) {
			print_time("first event", &se->clock, min_ts);
			print_time("last event", &se->clock, max_ts);
			print_dur("span", min_ts, max_ts);
		}
		printf("%-12s %" PRIu64 " in %zu blocks\n", "events", nrec, nblocks);
		human(raw, a, sizeof(a));
		printf("%-12s %s\n", "raw", a);
		human(enc, a, sizeof(a));
		human(seg_bytes + idx_bytes, b, sizeof(b));
		printf("%-12s %s (blocks: %s)\n", "on disk", b, a);
		if (enc)
			printf("%-12s %.2f (raw / blocks), %.2f (raw / on disk)\n", "ratio",
			       (double)raw / (double)enc,
			       seg_bytes + idx_bytes ? (double)raw / (double)(seg_bytes + idx_bytes) : 0);
		printf("%-12s %" PRIu64 " events in %" PRId64 " reports\n", "lost",
		       sum_counts(db, "SELECT count FROM losses", 0),
		       query_int(db, "SELECT count(*) FROM losses", 0));
		if (query_int(db, "SELECT count(*) FROM meta WHERE key = 'losses_unknown'", 0))
			printf("%-12s and an unknown number before: the index was lost and rebuilt "
			       "from catalog.db (bpfreplay recover)\n", "");
		cmd_bundle__info(c);
		printf("\nstreams (each one is an SQL table: bpfreplay sql %s 'SELECT * FROM TABLE'):\n",
		       capview__path(c));
		fflush(stdout);
	}
	if (print_streams(c, fmt))
		rc = EXIT_CAPTURE;
	if (fmt == PRINT_TABLE)
		print_orphan_losses(db);
	capview__close(c);
	return rc;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL },
	};
	enum print_fmt fmt = PRINT_TABLE;
	char **paths = NULL;
	size_t npaths = 0;
	int ch, rc = 0;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
			return 0;
		case 'o':
			if (print__parse_fmt(optarg, &fmt))
				return cli__usage_error("info", "-o '%s': not a format (table, csv, jsonl)",
							optarg);
			break;
		default:
			return cli__bad_option("info", argv, ch);
		}
	}
	if (optind >= argc)
		return cli__usage_error("info", "no CAPTURE given");
	if ((rc = cli__captures("info", argv + optind, (size_t)(argc - optind), &paths, &npaths)))
		return rc;
	for (size_t i = 0; i < npaths; i++) {
		if (i && fmt == PRINT_TABLE)
			putchar('\n');
		int r = info_one(paths[i], fmt);
		if (r && !rc)
			rc = r;
	}
	cli__captures_free(paths, npaths);
	return rc;
}
