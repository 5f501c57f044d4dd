/* test_capview_types - the event types of a capture's streams cost a
 * bounded amount to build, however many streams name them.
 *
 * A stream is a row of index.db (some tens of bytes) and names a BTF type;
 * each stream's type is built on open (evtype: its columns and their SQL
 * names).  A hostile capture of N streams naming one 2000-column struct
 * cost N times that type's work and memory: 2,000 such streams, a 150 KB
 * index, took 29 s and 480 MB to open (`bpfreplay info`), 100,000 of them
 * (~5 MB) would take about half an hour and 24 GB.  The types of one
 * capture now share a budget of members visited and columns made
 * (capview.h); past it a stream reads as raw bytes and says why.  Streams
 * of one object's type share its evtype, made once, but each makes its
 * columns' SQL names: those still count.
 */
#include "testutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* helpers of other tests */
#include "fixtures/capfix.h"
#pragma GCC diagnostic pop

#include <linux/btf.h>
#include <sqlite3.h>

#include "capview.h"
#include "evtype.h"
#include "vtab.h"

#define WIDE_COLS 1900
#define HUGE_COLS 2000
#define NSTREAMS 400

/* Appends at types[tlen] a struct named by string offset name of ncols
 * ints (type 1) c0.. (their names' offsets in name_off), packed; the new
 * length. */
static size_t put_int_struct(uint32_t *types, size_t tlen, uint32_t name, int ncols,
			     const uint32_t *name_off)
{
	types[tlen++] = name;
	types[tlen++] = (uint32_t)BTF_KIND_STRUCT << 24 | (uint32_t)ncols;
	types[tlen++] = 4u * (uint32_t)ncols;
	for (int i = 0; i < ncols; i++) {
		types[tlen++] = name_off[i];
		types[tlen++] = 1;
		types[tlen++] = 32u * (uint32_t)i;
	}
	return tlen;
}

/* BTF of three types: 1 int, 2 struct wide { int c0, ..., c1899; },
 * 3 struct huge { int c0, ..., c1999; }. */
static uint8_t *wide_btf(size_t *len)
{
	static char strs[HUGE_COLS * 8 + 16];
	size_t slen = 0, tlen = 0;
	uint32_t name_off[HUGE_COLS];
	uint32_t *types = calloc(4 + 3 + 3 * WIDE_COLS + 3 + 3 * HUGE_COLS, sizeof(uint32_t));
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h) };
	uint8_t *out;

	CHECK(types);
	memcpy(strs, "\0int\0wide\0huge\0", 15);
	slen = 15;
	for (int i = 0; i < HUGE_COLS; i++) {
		name_off[i] = (uint32_t)slen;
		slen += (size_t)sprintf(strs + slen, "c%d", i) + 1;
	}
	/* int: name "int", kind INT, 4 bytes, signed 32 bits */
	types[tlen++] = 1;
	types[tlen++] = (uint32_t)BTF_KIND_INT << 24;
	types[tlen++] = 4;
	types[tlen++] = BTF_INT_SIGNED << 24 | 32;
	tlen = put_int_struct(types, tlen, 5, WIDE_COLS, name_off);     /* struct wide */
	tlen = put_int_struct(types, tlen, 10, HUGE_COLS, name_off);    /* struct huge */
	h.type_len = (uint32_t)(tlen * 4);
	h.str_off = h.type_len;
	h.str_len = (uint32_t)slen;
	*len = sizeof(h) + h.type_len + slen;
	out = malloc(*len);
	CHECK(out);
	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), types, h.type_len);
	memcpy(out + sizeof(h) + h.type_len, strs, slen);
	free(types);
	return out;
}

/* An objects row: id, name and its BTF. */
static void add_object(sqlite3 *db, int id, const char *name, const uint8_t *btf, size_t len)
{
	sqlite3_stmt *st = NULL;

	CHECK_EQ_INT(sqlite3_prepare_v2(db, "INSERT INTO objects (id, name, btf) VALUES (?1, ?2, ?3)",
					-1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int(st, 1, id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, btf, (int)len, SQLITE_STATIC);
	CHECK_EQ_INT(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* NSTREAMS streams of struct wide, in a new object, added to dir's index. */
static void add_wide_streams(const char *dir)
{
	char path[4200];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t len;
	uint8_t *btf = wide_btf(&len);

	snprintf(path, sizeof(path), "%s/index.db", dir);
	CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	add_object(db, 900, "wide.bpf.o", btf, len);
	CHECK_EQ_INT(sqlite3_prepare_v2(db, "INSERT INTO streams (id, name, kind, object_id, "
					"map_name, type_name, type_id) VALUES (?1, ?2, 'ringbuf', "
					"900, 'm', 'wide', 2)", -1, &st, NULL), SQLITE_OK);
	for (int i = 0; i < NSTREAMS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "wide%d", i);
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, 1000 + i);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		CHECK_EQ_INT(sqlite3_step(st), SQLITE_DONE);
	}
	sqlite3_finalize(st);
	/* and one of struct huge, its own object's */
	add_object(db, 901, "huge.bpf.o", btf, len);
	CHECK_EQ_INT(sqlite3_exec(db, "INSERT INTO streams (id, name, kind, object_id, map_name, "
				  "type_name, type_id) VALUES (500, 'huge', 'ringbuf', 901, 'm', "
				  "'huge', 3)", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(btf);
}

int main(void)
{
	const char *tmp = test_tmpdir("test_capview_types");
	char cap[4096], btfdir[4200], err[512] = "";
	struct capfix_opts o = { .short_a = -1 };
	struct capview *c;
	size_t typed = 0, cols = 0, bytes = 0;
	const struct evtype *wide_et = NULL;

	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(btfdir, sizeof(btfdir), "%s/btf", tmp);
	capfix_build(cap, btfdir, o);
	add_wide_streams(cap);

	c = capview__open(cap, err, sizeof(err));
	if (!c)
		fprintf(stderr, "open: %s\n", err);
	CHECK(c);
	for (size_t i = 0; i < capview__nstreams(c); i++) {
		const struct capview_stream *s = capview__stream(c, i);

		if (s->object_id == 901) {   /* struct huge: checked below */
			continue;
		}
		if (s->object_id != 900) {   /* the fixture's own: typed as ever */
			CHECK(s->type_err == NULL);
			CHECK(evtype__size(s->et) > 0);
			continue;
		}
		if (evtype__size(s->et)) {   /* typed, whole */
			CHECK(s->type_err == NULL);
			CHECK_EQ_U64(s->ncols, WIDE_COLS);
			/* one evtype for the streams of one object's type, made
			 * by the first: the others borrow it */
			if (!wide_et)
				wide_et = s->et;
			CHECK(s->et == wide_et);
			CHECK_EQ_INT(s->et_borrowed, typed > 0);
			typed++;
			cols += s->ncols;
			continue;
		}
		/* past the budget: raw bytes, and the reason names it */
		CHECK(s->type_err);
		if (!strstr(s->type_err, "event types of this capture")) {
			fprintf(stderr, "stream %s: %s\n", s->name, s->type_err);
			CHECK(0);
		}
		bytes++;
	}
	/* the first streams typed, the rest bytes: the columns made over all
	 * streams stay within the budget */
	printf("test_capview_types: %zu streams typed (%zu columns), %zu as bytes\n", typed, cols,
	       bytes);
	CHECK(typed >= 16);
	CHECK(bytes > 0);
	CHECK_EQ_U64(typed + bytes, NSTREAMS);
	CHECK(cols <= CAPVIEW_MAX_TYPE_COLS);
	/* ids that are not 1..n (the wide streams are 1000..): each found by
	 * its id (a binary search), none that is not there */
	for (int i = 0; i < NSTREAMS; i++) {
		const struct capview_stream *s = capview__stream_by_id(c, 1000 + i);
		char name[32];

		snprintf(name, sizeof(name), "wide%d", i);
		CHECK(s);
		CHECK_STR(s->name, name);
	}
	CHECK(capview__stream_by_id(c, 1));
	CHECK_STR(capview__stream_by_id(c, 1)->name, "alpha");
	CHECK(!capview__stream_by_id(c, 0));
	CHECK(!capview__stream_by_id(c, -5));
	CHECK(!capview__stream_by_id(c, 999));
	CHECK(!capview__stream_by_id(c, 1000 + NSTREAMS));
	CHECK(!capview__stream_by_id(c, INT64_MAX));
	CHECK(capview__object_btf(c, 900));
	CHECK(!capview__object_btf(c, 899));
	/* A type of 2000 columns is more than its SQL table can have with
	 * ts, time, cpu and stream (SQLite's 2000): it reads as bytes, and
	 * the capture's other tables are made. */
	const struct capview_stream *huge = capview__stream_by_id(c, 500);
	CHECK(huge);
	if (!huge->type_err || !strstr(huge->type_err, "more than")) {
		fprintf(stderr, "stream huge: %s, %zu columns\n",
			huge->type_err ? huge->type_err : "typed", huge->ncols);
		CHECK(0);
	}
	capview__close(c);
	struct vtab_opts vo = { .strict = 0 };
	const char *paths[1] = { cap };
	sqlite3 *db = tu_vtab_db(&vo, paths, 1, NULL);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha"), 3000);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM pragma_table_info('huge')"), 5);
	sqlite3_close(db);

	/* Every table SQLite makes costs it a walk of the tables before it
	 * (its schema's caches): 30,000 streams (a 1.9 MB index) took 112 s
	 * to attach, growing with the square.  A capture gets SQL tables
	 * for its first VTAB_MAX_TABLES streams; the others' records are in
	 * events. */
	char more[4200];
	snprintf(more, sizeof(more), "%s/index.db", cap);
	poke_db(more, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
		" INSERT INTO streams (id, name, kind, object_id, map_name) SELECT 10000 + i, "
		"'more' || i, 'ringbuf', 1, 'm' FROM n");
	db = tu_vtab_db(&vo, paths, 1, NULL);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE "
			   "'CREATE VIRTUAL TABLE % USING bpfrec(%'"), VTAB_MAX_TABLES);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha"), 3000);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM events WHERE stream = 'alpha'"), 3000);
	sqlite3_close(db);

	/* Streams by name (a search: an attach looks every table's up in
	 * every capture): each found, none that is not there; names that
	 * differ by case are two streams. */
	poke_db(more, "INSERT INTO streams (id, name, kind, object_id, map_name) VALUES "
		"(50001, 'Alpha', 'ringbuf', 1, 'm'), (50002, '', 'ringbuf', 1, 'm')");
	c = capview__open(cap, err, sizeof(err));
	CHECK(c);
	for (int i = 1; i <= 2000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "more%d", i);
		CHECK(capview__stream_by_name(c, name));
		CHECK_EQ_INT(capview__stream_by_name(c, name)->id, 10000 + i);
	}
	for (int i = 0; i < NSTREAMS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "wide%d", i);
		CHECK(capview__stream_by_name(c, name));
		CHECK_EQ_INT(capview__stream_by_name(c, name)->id, 1000 + i);
	}
	CHECK_EQ_INT(capview__stream_by_name(c, "alpha")->id, 1);
	CHECK_EQ_INT(capview__stream_by_name(c, "Alpha")->id, 50001);
	CHECK_EQ_INT(capview__stream_by_name(c, "")->id, 50002);
	CHECK(!capview__stream_by_name(c, "more"));
	CHECK(!capview__stream_by_name(c, "more2001"));
	CHECK(!capview__stream_by_name(c, "ALPHA"));
	CHECK(!capview__stream_by_name(c, "zzz"));
	CHECK(!capview__stream_by_name(c, "\x01"));
	capview__close(c);
	/* the attach makes one table of alpha and Alpha (SQLite's names
	 * ignore case): the first, alpha's */
	db = tu_vtab_db(&vo, paths, 1, NULL);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM ALPHA"), 3000);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE "
			   "'CREATE VIRTUAL TABLE % USING bpfrec(%'"), VTAB_MAX_TABLES);
	sqlite3_close(db);
	printf("test_capview_types: ok\n");
	return 0;
}
