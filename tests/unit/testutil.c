#include "testutil.h"

#include <sqlite3.h>
#include "capr.h"
#include "vtab.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* A test that fails (a CHECK exits) must not leave its children behind: a
 * bpfrec recording with no end, a producer in a loop.  They keep the
 * test's output pipe open, so the runner waits for its timeout, and they
 * inherit whatever the runner's caller holds.  So each test leads its own
 * process group, and at exit the leader sends SIGTERM to the group (bpfrec
 * then finishes its capture; a child that exits on its own first is not
 * affected).  Forked children that call exit() do not do it: only the
 * leader does. */
static pid_t test_leader;

static void test_end_group(void)
{
	if (test_leader && getpid() == test_leader) {
		signal(SIGTERM, SIG_IGN);
		kill(-test_leader, SIGTERM);
	}
}

__attribute__((constructor)) static void test_own_group(void)
{
	if (getpgrp() == getpid() || setpgid(0, 0) == 0) {
		test_leader = getpid();
		atexit(test_end_group);
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

const char *test_tmpdir(const char *name)
{
	static char path[4096];
	const char *base = getenv("BPFREC_TEST_TMP");

	if (!base || !*base)
		base = "/tmp";
	mkdir(base, 0755);
	snprintf(path, sizeof(path), "%s/%s.%d", base, name, (int)getpid());
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	return path;
}

uint64_t test_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static int stderr_file = -1, stderr_saved = -1;

void test_stderr_begin(void)
{
	char path[] = "/tmp/test_stderr.XXXXXX";

	stderr_file = mkstemp(path);
	stderr_saved = dup(2);
	if (stderr_file < 0 || stderr_saved < 0) {
		perror("test_stderr_begin");
		exit(1);
	}
	unlink(path);
	fflush(stderr);
	dup2(stderr_file, 2);
}

const char *test_stderr_end(char *buf, size_t len)
{
	ssize_t n;

	fflush(stderr);
	dup2(stderr_saved, 2);
	close(stderr_saved);
	n = pread(stderr_file, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	close(stderr_file);
	stderr_file = stderr_saved = -1;
	return buf;
}

int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int64_t q_int_capture(const char *cap, const char *sql)
{
	char err[512];
	struct capr *r = capr__open(cap, err, sizeof(err));
	int64_t v;

	if (!r) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	v = q_int(capr__db(r), sql);
	capr__close(r);
	return v;
}

int64_t q_int_index(const char *dir, const char *sql)
{
	char path[4200];
	sqlite3 *db = NULL;
	int64_t v;

	snprintf(path, sizeof(path), "%s/index.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(db));
		exit(1);
	}
	v = q_int(db, sql);
	sqlite3_close(db);
	return v;
}

void poke_db(const char *db_path, const char *sql)
{
	sqlite3 *db = NULL;
	char *e = NULL;

	if (sqlite3_open(db_path, &db) || sqlite3_exec(db, sql, NULL, NULL, &e)) {
		fprintf(stderr, "%s: %s: %s\n", db_path, sql, e ? e : sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_close(db);
}

void poke_index(const char *dir, const char *sql)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/index.db", dir);
	poke_db(path, sql);
}

sqlite3 *tu_vtab_db(const struct vtab_opts *o, const char *const *paths, size_t npaths,
		    struct vtab_reg **reg)
{
	struct vtab_reg *r;
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc = SQLITE_OK;

	CHECK_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
	r = vtab__register(db, o);
	CHECK(r);
	if (npaths == 1)
		rc = vtab__attach(r, paths[0], "main", &err);
	else if (npaths)
		rc = vtab__attach_many(r, paths, npaths, "main", &err);
	if (rc)
		fprintf(stderr, "attach: %.500s\n", err ? err : "?");
	CHECK_EQ_INT(rc, SQLITE_OK);
	if (reg)
		*reg = r;
	return db;
}

int tu_nice_of(int tid, int *nice)
{
	/* getpriority's -1 is also a nice value: errno tells them apart */
	errno = 0;
	*nice = getpriority(PRIO_PROCESS, (id_t)tid);
	return *nice == -1 && errno ? -errno : 0;
}
