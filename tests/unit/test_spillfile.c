/* test_spillfile - a grouped scan's temporary file (spillfile.h): made in
 * $TMPDIR when set, else /tmp, and unnamed from the start (its
 * descriptor's link says "(deleted)", the directory stays empty); a
 * TMPDIR that is relative, missing or no directory is refused with an
 * error naming it, also through SQL (a GROUP BY that spills, vtgroup.h),
 * where the same query with a good TMPDIR gives every group. */
#include "testutil.h"
#pragma GCC diagnostic ignored "-Wunused-function"   /* the fixture's helpers */
#include "fixtures/capfix.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spillfile.h"
#include "vtab.h"

static char cap_path[4096];

/* Entries of dir other than . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	CHECK(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* The path f's descriptor links to. */
static void link_of(FILE *f, char *buf, size_t len)
{
	char fdpath[64];
	ssize_t n;

	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fileno(f));
	n = readlink(fdpath, buf, len - 1);
	CHECK(n > 0);
	buf[n] = 0;
}

/* A spill file opened with TMPDIR as set: written, read back, in dir
 * and already unlinked. */
static void check_good(const char *dir)
{
	char err[PATH_MAX + 64] = "", link[PATH_MAX + 32], want[PATH_MAX + 32], back[6] = "";
	FILE *f = spillfile__open(err, sizeof(err));
	struct stat st;

	if (!f)
		fprintf(stderr, "spillfile__open: %s\n", err);
	CHECK(f);
	CHECK_EQ_INT(fputs("hello", f) >= 0, 1);
	CHECK_EQ_INT(fflush(f), 0);
	CHECK_EQ_INT(pread(fileno(f), back, 5, 0), 5);
	CHECK_STR(back, "hello");
	CHECK_EQ_INT(fstat(fileno(f), &st), 0);
	CHECK_EQ_INT(st.st_nlink, 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK(fcntl(fileno(f), F_GETFD) & FD_CLOEXEC);
	link_of(f, link, sizeof(link));
	snprintf(want, sizeof(want), "%s/bpfreplay-spill-", dir);
	if (strncmp(link, want, strlen(want)) || !strstr(link, " (deleted)")) {
		fprintf(stderr, "FAIL: spill file %s, not an unlinked %s*\n", link, want);
		exit(1);
	}
	if (strcmp(dir, "/tmp"))   /* (shared: others' files) */
		CHECK_EQ_INT(entries(dir), 0);
	fclose(f);
}

/* TMPDIR value is refused: NULL, errno want_errno, err says why. */
static void check_bad(const char *value, int want_errno, const char *want_err)
{
	char err[PATH_MAX + 64] = "";
	FILE *f;

	setenv("TMPDIR", value, 1);
	errno = 0;
	f = spillfile__open(err, sizeof(err));
	CHECK(!f);
	CHECK_EQ_INT(errno, want_errno);
	CHECK_STR(err, want_err);
}

/* The grouped scan of 3000 distinct seqs in 8 KiB: spills.  SQLITE_OK
 * and the groups' count, or the error's code and message in err. */
static int group_query(char *err, size_t len, long long *groups)
{
	struct vtab_opts o = { .strict = 1, .group_bytes = 8192 };
	const char *path = cap_path;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = tu_vtab_db(&o, &path, 1, NULL);
	int rc;

	CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT seq, count(*) FROM alpha GROUP BY seq", -1, &st,
					NULL), SQLITE_OK);
	*groups = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		++*groups;
	snprintf(err, len, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int main(void)
{
	const char *tmp = test_tmpdir("test_spillfile");
	char dir[4200], file[4200], missing[4200], btfdir[4200], err[1024], want[8400];
	long long groups, all;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/spill", tmp);
	snprintf(file, sizeof(file), "%s/a-file", tmp);
	snprintf(missing, sizeof(missing), "%s/missing", tmp);
	CHECK_EQ_INT(mkdir(dir, 0700), 0);
	f = fopen(file, "w");
	CHECK(f);
	fclose(f);

	/* TMPDIR set: there (with or without a trailing slash) */
	setenv("TMPDIR", dir, 1);
	check_good(dir);
	snprintf(want, sizeof(want), "%s/", dir);
	setenv("TMPDIR", want, 1);
	check_good(dir);
	/* unset or empty: /tmp */
	unsetenv("TMPDIR");
	check_good("/tmp");
	setenv("TMPDIR", "", 1);
	check_good("/tmp");
	/* refused, named */
	check_bad("spill", EINVAL, "TMPDIR 'spill': not an absolute path");
	snprintf(want, sizeof(want), "TMPDIR '%s': %s", missing, strerror(ENOENT));
	check_bad(missing, ENOENT, want);
	snprintf(want, sizeof(want), "TMPDIR '%s': %s", file, strerror(ENOTDIR));
	check_bad(file, ENOTDIR, want);
	if (geteuid()) {   /* root writes anywhere */
		CHECK_EQ_INT(chmod(dir, 0500), 0);
		snprintf(want, sizeof(want), "TMPDIR '%s': %s", dir, strerror(EACCES));
		check_bad(dir, EACCES, want);
		CHECK_EQ_INT(chmod(dir, 0700), 0);
	}

	/* through SQL: a GROUP BY that spills */
	snprintf(cap_path, sizeof(cap_path), "%s/cap", tmp);
	snprintf(btfdir, sizeof(btfdir), "%s/btf", tmp);
	capfix_build(cap_path, btfdir, (struct capfix_opts){ .short_a = -1 });
	unsetenv("TMPDIR");
	CHECK_EQ_INT(group_query(err, sizeof(err), &all), SQLITE_OK);
	CHECK(all >= 3000);
	setenv("TMPDIR", dir, 1);
	CHECK_EQ_INT(group_query(err, sizeof(err), &groups), SQLITE_OK);
	CHECK_EQ_INT(groups, all);
	CHECK_EQ_INT(entries(dir), 0);
	setenv("TMPDIR", "relative/dir", 1);
	CHECK_EQ_INT(group_query(err, sizeof(err), &groups), SQLITE_IOERR);
	CHECK_STR(err, "bpfrec: grouped scan: a temporary file: TMPDIR 'relative/dir': not an "
		       "absolute path");
	setenv("TMPDIR", file, 1);
	CHECK_EQ_INT(group_query(err, sizeof(err), &groups), SQLITE_IOERR);
	snprintf(want, sizeof(want), "bpfrec: grouped scan: a temporary file: TMPDIR '%s': %s", file,
		 strerror(ENOTDIR));
	CHECK_STR(err, want);
	unsetenv("TMPDIR");
	puts("test_spillfile: ok");
	return 0;
}
