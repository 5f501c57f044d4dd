/* lossinfo.c - see lossinfo.h.  Every value read here comes from a file
 * anyone may have written: methods and states are compared with the words
 * bpfrec writes (anything else reads as not recorded or "?"), text goes to
 * the terminal only through the printer (escaped), times are checked
 * before they are formatted. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capschema.h"
#include "lossinfo.h"

static const char *const methods[] = { "perf", "rewrite", "program", "unobservable", NULL };

/* s as one of the words in words (the static copy), or NULL. */
static const char *known_word(const unsigned char *s, const char *const *words)
{
	for (int i = 0; s && words[i]; i++)
		if (!strcmp((const char *)s, words[i]))
			return words[i];
	return NULL;
}

void lossinfo__get(sqlite3 *db, int64_t stream, struct lossinfo *li)
{
	sqlite3_stmt *st = NULL;

	memset(li, 0, sizeof(*li));
	if (!cap_schema__has_table(db, "stream_loss"))
		return;
	if (sqlite3_prepare_v2(db, "SELECT method FROM stream_loss WHERE stream_id = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, stream);
		if (sqlite3_step(st) == SQLITE_ROW)
			li->method = known_word(sqlite3_column_text(st, 0), methods);
	}
	sqlite3_finalize(st);
	li->exact = li->method && strcmp(li->method, "unobservable") != 0;
	if (!cap_schema__has_table(db, "loss_windows"))
		return;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM loss_windows WHERE stream_id = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, stream);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
			li->windows = (uint64_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
}

const char *lossinfo__describe(const struct lossinfo *li, const char *kind, char *buf,
			       size_t len)
{
	if (kind && !strcmp(kind, "snapshot"))
		snprintf(buf, len, "none (map contents)");
	else if (!li->method)
		snprintf(buf, len, "not recorded");
	else if (!strcmp(li->method, "perf"))
		snprintf(buf, len, "exact (perf's lost counts)");
	else if (!strcmp(li->method, "rewrite"))
		snprintf(buf, len, "exact (failed ringbuf calls counted by bpfrec)");
	else if (!strcmp(li->method, "program"))
		snprintf(buf, len, "counted by the program (bpfrec_count_lost)");
	else
		snprintf(buf, len, "unobservable: lost is a lower bound; %" PRIu64
			 " possible-loss window%s", li->windows, li->windows == 1 ? "" : "s");
	return buf;
}

uint64_t lossinfo__unobservable(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;

	if (!cap_schema__has_table(db, "stream_loss"))
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM stream_loss WHERE method = 'unobservable'"
			       " AND stream_id IN (SELECT id FROM streams)", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static struct pval text_or_null(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	if (!s)
		return (struct pval){ PV_NULL };
	return (struct pval){ PV_TEXT, .s = (const char *)s, .len = (size_t)sqlite3_column_bytes(st, i) };
}

/* Where the rows of programs and loss_windows go: a printer under a
 * heading (info's table, csv), or a JSON array (info -o json).  One row
 * reader for both, so that the two cannot say different things. */
struct rowsink {
	enum print_fmt fmt;
	const char *heading;         /* printed before the first row */
	const char *const *names;    /* the printer's column names */
	size_t ncols;
	struct printer *p;           /* made at the first row */
	struct strbuf *json;         /* instead of a printer: "[{...},...]" */
	const char *const *keys;     /* the JSON keys */
	size_t nrows;
};

static int sink_row(struct rowsink *k, const struct pval *v)
{
	if (k->json) {
		strbuf__add(k->json, k->nrows ? ",{" : "{", k->nrows ? 2 : 1);
		for (size_t i = 0; i < k->ncols; i++) {
			if (i)
				strbuf__add(k->json, ",", 1);
			print__json_string(k->json, k->keys[i], strlen(k->keys[i]));
			strbuf__add(k->json, ":", 1);
			print__json_value(k->json, &v[i]);
		}
		strbuf__add(k->json, "}", 1);
		k->nrows++;
		return 0;
	}
	if (!k->p) {
		printf("\n%s\n", k->heading);
		if (!(k->p = printer__new(stdout, k->fmt, k->ncols, k->names)))
			return -ENOMEM;
	}
	k->nrows++;
	return printer__row(k->p, v);
}

static int sink_end(struct rowsink *k, int rc)
{
	if (k->p && !rc)
		rc = printer__end(k->p);
	printer__free(k->p);
	k->p = NULL;
	return rc;
}

static int programs_rows(sqlite3 *db, struct rowsink *k)
{
	static const char *const states[] = { "attached", "loaded", "skipped", NULL };
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(db, "SELECT o.name, p.name, p.section, p.type, p.state, p.target, "
			       "p.reason, s.name FROM programs p LEFT JOIN objects o ON o.id = "
			       "p.object_id LEFT JOIN streams s ON s.id = p.stream_id ORDER BY p.id",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct pval v[7];
		const char *state = known_word(sqlite3_column_text(st, 4), states);

		for (int i = 0; i < 4; i++)
			v[i] = text_or_null(st, i);
		v[4] = (struct pval){ PV_TEXT, .s = state ? state : "?", .len = strlen(state ? state : "?") };
		v[5] = text_or_null(st, state && !strcmp(state, "skipped") ? 6 : 5);
		v[6] = text_or_null(st, 7);
		rc = sink_row(k, v);
	}
	sqlite3_finalize(st);
	return sink_end(k, rc);
}

static int windows_rows(sqlite3 *db, const struct timeclock *ck, struct rowsink *k)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(db, "SELECT s.name, w.start_ns, w.end_ns, w.peak_bytes FROM "
			       "loss_windows w LEFT JOIN streams s ON s.id = w.stream_id ORDER BY "
			       "w.start_ns, w.id", -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t a = (uint64_t)sqlite3_column_int64(st, 1), b = (uint64_t)sqlite3_column_int64(st, 2);
		char ta[TIMEFMT_LEN + 1], tb[TIMEFMT_LEN + 1], dur[32];
		struct pval v[5];

		v[0] = text_or_null(st, 0);
		timefmt__iso(timeclock__wall(ck, a), ta, sizeof(ta));
		timefmt__iso(timeclock__wall(ck, b), tb, sizeof(tb));
		v[1] = (struct pval){ PV_TEXT, .s = ta, .len = strlen(ta) };
		v[2] = (struct pval){ PV_TEXT, .s = tb, .len = strlen(tb) };
		/* an end before the start is the file's doing: no duration */
		snprintf(dur, sizeof(dur), "%.6f", (double)(b - a) / 1e9);
		if (b < a)
			v[3] = (struct pval){ PV_NULL };
		else if (k->json)       /* a number in JSON */
			v[3] = (struct pval){ PV_REAL, .f = (double)(b - a) / 1e9 };
		else
			v[3] = (struct pval){ PV_TEXT, .s = dur, .len = strlen(dur) };
		v[4] = sqlite3_column_int64(st, 3) >= 0 ?
		       (struct pval){ PV_INT, .i = sqlite3_column_int64(st, 3) } : (struct pval){ PV_NULL };
		rc = sink_row(k, v);
	}
	sqlite3_finalize(st);
	return sink_end(k, rc);
}

static const char *const program_names[] = {
	"object", "program", "section", "type", "state", "where / why", "stream",
};
static const char *const program_keys[] = {
	"object", "program", "section", "type", "state", "where_or_why", "stream",
};
static const char *const window_names[] = { "stream", "start", "end", "seconds", "peak_bytes" };

int lossinfo__json(sqlite3 *db, const struct timeclock *ck, struct strbuf *b)
{
	struct rowsink k = { .names = program_names, .keys = program_keys, .ncols = 7, .json = b };
	int rc = 0;

	strbuf__add(b, "\"programs\":[", 12);
	if (cap_schema__has_table(db, "programs"))
		rc = programs_rows(db, &k);
	strbuf__add(b, "],\"loss_windows\":[", 18);
	k = (struct rowsink){ .names = window_names, .keys = window_names, .ncols = 5, .json = b };
	if (!rc && cap_schema__has_table(db, "loss_windows"))
		rc = windows_rows(db, ck, &k);
	strbuf__add(b, "]", 1);
	return rc;
}

int lossinfo__print(sqlite3 *db, const struct timeclock *ck, enum print_fmt fmt)
{
	struct rowsink k = {
		.fmt = fmt, .names = program_names, .ncols = 7,
		.heading = "programs (SQL: SELECT * FROM programs):",
	};
	int rc = 0;

	fflush(stdout);
	if (cap_schema__has_table(db, "programs"))
		rc = programs_rows(db, &k);
	k = (struct rowsink){
		.fmt = fmt, .names = window_names, .ncols = 5,
		.heading = "possible-loss windows (a ring whose loss cannot be counted was nearly "
			   "full; SQL: SELECT * FROM loss_windows):",
	};
	if (!rc && cap_schema__has_table(db, "loss_windows"))
		rc = windows_rows(db, ck, &k);
	return rc;
}
