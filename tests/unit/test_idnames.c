/* test_idnames.c - the user and group names a capture carries (issue 16):
 * written by capw (first name of an id wins, truncation said in meta,
 * copied into snapshots and catalog.db and back by recovery), and read
 * back by the loader (idnames.h), which takes each table row as hostile:
 * every attack below is a row of its own that must be left out and
 * counted while its neighbours still load. */
#include "testutil.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capw.h"
#include "capview.h"
#include "idnames.h"

/* A raw database (no schema check: the loader alone stands) from sql. */
static sqlite3 *raw_db(const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, msg);
		exit(1);
	}
	return db;
}

static struct idnames *load_ok(sqlite3 *db)
{
	struct idnames *n = NULL;
	char err[256] = "";
	int rc = idnames__load(db, &n, err, sizeof(err));

	if (rc)
		fprintf(stderr, "idnames__load: %d %s\n", rc, err);
	CHECK(!rc && n);
	return n;
}

/* The tables missing (a capture older than them): no names, no error. */
static void test_missing(void)
{
	sqlite3 *db = raw_db("CREATE TABLE meta (key TEXT, value TEXT)");
	struct idnames *n = load_ok(db);

	CHECK(!idnames__name(n, IDNAMES_USER, 0));
	CHECK(!idnames__name(n, IDNAMES_GROUP, 0));
	CHECK_EQ_INT(idnames__count(n, IDNAMES_USER), 0);
	CHECK_EQ_INT(idnames__skipped(n, IDNAMES_USER), 0);
	CHECK(!idnames__name(NULL, IDNAMES_USER, 0));   /* no names object: none */
	idnames__free(n);
	sqlite3_close(db);
}

/* Each hostile row left out, each counted, the good ones kept. */
static void test_hostile_rows(void)
{
	char sql[8192], longname[IDNAMES_NAME_MAX + 2];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE users (uid, name);"   /* no types, no key: any value fits */
		 "CREATE TABLE groups (gid, name);"
		 "INSERT INTO users VALUES (1000, 'alice');"            /* kept */
		 "INSERT INTO users VALUES (1001, '%s');"               /* overlong: 257 bytes */
		 "INSERT INTO users VALUES (1002, 'ev' || char(27) || '[2Jil');" /* terminal escape */
		 "INSERT INTO users VALUES (1003, 'tab' || char(9));"  /* control byte */
		 "INSERT INTO users VALUES (1004, CAST(X'62C3' AS TEXT));"  /* invalid UTF-8 (cut) */
		 "INSERT INTO users VALUES (1005, CAST(X'C0AF' AS TEXT));"  /* overlong UTF-8 */
		 "INSERT INTO users VALUES (1006, 'ab' || char(8238) || 'cd');" /* U+202E bidi */
		 "INSERT INTO users VALUES (1007, 'x' || char(133));"   /* U+0085, a C1 control */
		 "INSERT INTO users VALUES (1008, CAST(X'610062' AS TEXT));" /* NUL inside */
		 "INSERT INTO users VALUES (1009, '');"                 /* empty */
		 "INSERT INTO users VALUES (1010, X'626f62');"          /* a blob, not text */
		 "INSERT INTO users VALUES (1011, 42);"                 /* a number, not text */
		 "INSERT INTO users VALUES (1012, NULL);"
		 "INSERT INTO users VALUES (-1, 'neg');"                /* negative id */
		 "INSERT INTO users VALUES (4294967295, 'nobody32');"   /* (uid_t)-1: none */
		 "INSERT INTO users VALUES (9223372036854775807, 'huge');"
		 "INSERT INTO users VALUES ('1013', 'textid');"         /* id as text */
		 "INSERT INTO users VALUES (1014.5, 'realid');"         /* id as real */
		 "INSERT INTO users VALUES (1000, 'mallory');"          /* duplicate: first wins */
		 "INSERT INTO users VALUES (4294967294, 'top');"        /* the largest id: kept */
		 "INSERT INTO users VALUES (0, 'root');"                /* kept */
		 "INSERT INTO users VALUES (1015, 'Zoë D''Angelo');"    /* UTF-8, space, quote: kept */
		 "INSERT INTO groups VALUES (1000, 'alice');"
		 "INSERT INTO groups VALUES (27, 'sudo');"
		 "INSERT INTO groups VALUES (27, 'wheel');"             /* duplicate */
		 "INSERT INTO groups VALUES (28, char(27) || ']0;pwned' || char(7));",
		 longname);
	sqlite3 *db = raw_db(sql);
	struct idnames *n = load_ok(db);

	CHECK_STR(idnames__name(n, IDNAMES_USER, 1000), "alice");
	CHECK_STR(idnames__name(n, IDNAMES_USER, 0), "root");
	CHECK_STR(idnames__name(n, IDNAMES_USER, 4294967294), "top");
	CHECK_STR(idnames__name(n, IDNAMES_USER, 1015), "Zoë D'Angelo");
	for (int64_t id = 1001; id <= 1014; id++)
		if (idnames__name(n, IDNAMES_USER, id)) { fprintf(stderr, "id %lld\n", (long long)id); exit(1); }
	CHECK(!idnames__name(n, IDNAMES_USER, -1));
	CHECK(!idnames__name(n, IDNAMES_USER, 4294967295));
	CHECK(!idnames__name(n, IDNAMES_USER, INT64_MAX));
	CHECK_EQ_INT(idnames__count(n, IDNAMES_USER), 4);
	/* 12 bad names, 5 bad ids, 1 duplicate */
	CHECK_EQ_U64(idnames__skipped(n, IDNAMES_USER), 18);
	/* groups are their own table: uid 1000's name is not gid 0's */
	CHECK_STR(idnames__name(n, IDNAMES_GROUP, 27), "sudo");
	CHECK_STR(idnames__name(n, IDNAMES_GROUP, 1000), "alice");
	CHECK(!idnames__name(n, IDNAMES_GROUP, 28));
	CHECK(!idnames__name(n, IDNAMES_GROUP, 0));
	CHECK_EQ_INT(idnames__count(n, IDNAMES_GROUP), 2);
	CHECK_EQ_U64(idnames__skipped(n, IDNAMES_GROUP), 2);
	idnames__free(n);
	sqlite3_close(db);
}

/* The longest name allowed is kept; one byte more is not. */
static void test_name_limit(void)
{
	char sql[4096], name[IDNAMES_NAME_MAX + 1];

	memset(name, 'b', IDNAMES_NAME_MAX);
	name[IDNAMES_NAME_MAX] = 0;
	snprintf(sql, sizeof(sql), "CREATE TABLE users (uid INTEGER PRIMARY KEY, name TEXT);"
		 "INSERT INTO users VALUES (7, '%s'); INSERT INTO users VALUES (8, '%sb');", name,
		 name);
	sqlite3 *db = raw_db(sql);
	struct idnames *n = load_ok(db);

	CHECK_STR(idnames__name(n, IDNAMES_USER, 7), name);
	CHECK(!idnames__name(n, IDNAMES_USER, 8));
	CHECK_EQ_U64(idnames__skipped(n, IDNAMES_USER), 1);
	idnames__free(n);
	sqlite3_close(db);
}

/* A table that lacks the columns: an error that names it, no names. */
static void test_wrong_table(void)
{
	sqlite3 *db = raw_db("CREATE TABLE users (id INTEGER, who TEXT)");
	struct idnames *n = NULL;
	char err[256] = "";

	CHECK_EQ_INT(idnames__load(db, &n, err, sizeof(err)), -EBADMSG);
	CHECK(!n);
	CHECK(strstr(err, "users"));
	sqlite3_close(db);
}

/* Through the writer and a capture: names and their limits as capw writes
 * them, the second write keeping the first name, truncation in meta, the
 * tables in catalog.db; then the schema check refusing a users table of
 * another shape (a wrong column type), and a hostile row poked into a real
 * capture left out at the reader. */
static void test_capture(void)
{
	const char *tmp = test_tmpdir("idnames");
	char cap[4096], path[4200];
	struct cap_session sess = { "h", "k", "b", "c", "bpfrec 0.1.0", 1, 2, 3 };
	struct cap_id_name users[] = {
		{ 0, "root" }, { 1000, "alice" }, { UINT32_MAX, "none" }, { 1001, "" },
		{ 1002, NULL },
	};
	struct cap_id_name again[] = { { 1000, "renamed" }, { 1003, "carol" } };
	struct cap_id_name groups[] = { { 0, "root" }, { 1000, "alice" } };
	struct capw *w;
	struct capview *c;
	struct idnames *n;
	char err[512];

	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	w = capw__create(cap, NULL);
	CHECK(w);
	CHECK(!capw__set_session(w, &sess));
	CHECK(!capw__add_id_names(w, 0, users, 5, 0));
	CHECK(!capw__add_id_names(w, 1, groups, 2, 1));
	CHECK(!capw__flush(w));
	/* a flight-recorder snapshot (SIGUSR1) has the names read so far */
	char snap[4200];
	CHECK(!capw__snapshot(w, snap, sizeof(snap)));
	CHECK_EQ_INT(q_int_index(snap, "SELECT count(*) FROM users"), 2);
	CHECK_EQ_INT(q_int_index(snap, "SELECT count(*) FROM groups WHERE gid = 1000 AND "
				 "name = 'alice'"), 1);
	CHECK(!capw__add_id_names(w, 0, again, 2, 0));   /* the end's second read */
	CHECK(!capw__close(w, 10));

	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM users"), 3);
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM users WHERE uid = 1000 AND "
			     "name = 'alice'"), 1);
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM meta WHERE key = 'groups_truncated' "
			     "AND value = '1'"), 1);
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM meta WHERE key = 'users_truncated'"), 0);
	snprintf(path, sizeof(path), "%s/catalog.db", cap);
	{
		sqlite3 *db = NULL;
		CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
		CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM users"), 3);
		CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM groups"), 2);
		sqlite3_close(db);
	}

	/* index.db lost: rebuilt from catalog.db, the names with it */
	snprintf(path, sizeof(path), "%s/index.db", cap);
	CHECK(!unlink(path));
	test_stderr_begin();
	CHECK(!capw__recover(cap, NULL));
	test_stderr_end(err, sizeof(err));
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM users"), 3);
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM groups WHERE name = 'alice'"), 1);

	c = capview__open(cap, err, sizeof(err));
	CHECK(c);
	CHECK(!capview__idnames(c, &n, err, sizeof(err)) && n);
	CHECK_STR(idnames__name(n, IDNAMES_USER, 1000), "alice");
	CHECK_STR(idnames__name(n, IDNAMES_USER, 1003), "carol");
	CHECK_STR(idnames__name(n, IDNAMES_GROUP, 0), "root");
	CHECK(!idnames__name(n, IDNAMES_USER, 1001));
	capview__close(c);

	/* a hostile row in a capture of the right shape: left out */
	poke_index(cap, "UPDATE users SET name = 'x' || char(27) || '[31m' WHERE uid = 1003");
	c = capview__open(cap, err, sizeof(err));
	CHECK(c);
	CHECK(!capview__idnames(c, &n, err, sizeof(err)) && n);
	CHECK(!idnames__name(n, IDNAMES_USER, 1003));
	CHECK_STR(idnames__name(n, IDNAMES_USER, 0), "root");
	CHECK_EQ_U64(idnames__skipped(n, IDNAMES_USER), 1);
	capview__close(c);

	/* the table of another shape (name a BLOB): the capture is refused */
	poke_index(cap, "DROP TABLE users; CREATE TABLE users (uid INTEGER PRIMARY KEY, "
		   "name BLOB NOT NULL)");
	c = capview__open(cap, err, sizeof(err));
	CHECK(!c);
	CHECK(strstr(err, "users"));

	/* an old capture: the tables dropped, the capture opens, no names */
	poke_index(cap, "DROP TABLE users; DROP TABLE groups");
	c = capview__open(cap, err, sizeof(err));
	CHECK(c);
	CHECK(!capview__idnames(c, &n, err, sizeof(err)) && n);
	CHECK(!idnames__name(n, IDNAMES_USER, 0));
	capview__close(c);
}

int main(void)
{
	test_missing();
	test_hostile_rows();
	test_name_limit();
	test_wrong_table();
	test_capture();
	printf("ok\n");
	return 0;
}
