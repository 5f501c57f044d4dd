/* test_segname - segment file names (schema/segname.h): the one spelling
 * per number, every other name refused (a capture directory is hostile),
 * and the listing: only segment names, in number order. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <unistd.h>

#include "segname.h"
#include "testutil.h"

/* meta 'ring_dropped_through' = value (NULL: no row), read back. */
static uint32_t dropped_through(const char *value)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	uint32_t no;

	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)", NULL, NULL,
			   NULL) == SQLITE_OK);
	if (value) {
		CHECK(sqlite3_prepare_v2(db, "INSERT INTO meta VALUES ('ring_dropped_through', ?1)",
					 -1, &st, NULL) == SQLITE_OK);
		sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_finalize(st);
	}
	no = cap_segment__dropped_through(db);
	sqlite3_close(db);
	return no;
}

static void touch(const char *dir, const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	close(fd);
}

int main(void)
{
	char name[CAP_SEG_NAME_MAX];
	uint32_t no = 0, *nos;
	size_t n;

	CHECK_STR(cap_segment__name(1, name), "seg-000001.bpfrec");
	CHECK_STR(cap_segment__name(999999, name), "seg-999999.bpfrec");
	CHECK_STR(cap_segment__name(1000000, name), "seg-1000000.bpfrec");
	CHECK_STR(cap_segment__name(UINT32_MAX, name), "seg-4294967295.bpfrec");

	static const struct { const char *name; uint32_t no; } good[] = {
		{ "seg-000001.bpfrec", 1 }, { "seg-000042.bpfrec", 42 },
		{ "seg-999999.bpfrec", 999999 }, { "seg-1000000.bpfrec", 1000000 },
		{ "seg-4294967295.bpfrec", UINT32_MAX },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_EQ_INT(cap_segment__parse_name(good[i].name, &no), 0);
		CHECK_EQ_U64(no, good[i].no);
	}
	static const char *const bad[] = {
		"seg-1.bpfrec", "seg-00001.bpfrec", "seg-0000001.bpfrec", "seg-+00001.bpfrec",
		"seg- 00001.bpfrec", "seg--00001.bpfrec", "seg-4294967296.bpfrec",
		"seg-99999999999.bpfrec", "seg-000001.bpfrec.tmp", "seg-000001.bpfre",
		"seg-000001", "seg-.bpfrec", "seg-", "", "SEG-000001.bpfrec",
		"xseg-000001.bpfrec", "seg-00000a.bpfrec", "seg-000001.bpfrec/",
		"seg-0x0001.bpfrec", "seg-00001 .bpfrec", "seg-000000.bpfrec",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		no = 12345;
		if (cap_segment__parse_name(bad[i], &no) != -EINVAL) {
			fprintf(stderr, "'%s' taken for a segment name\n", bad[i]);
			return 1;
		}
		CHECK_EQ_U64(no, 12345);
	}
	CHECK_EQ_INT(cap_segment__parse_name("seg-000007.bpfrec", NULL), 0);

	/* A directory with segments out of order among other files. */
	const char *dir = test_tmpdir("segname");
	static const char *const files[] = {
		"seg-000010.bpfrec", "seg-1000000.bpfrec", "seg-000002.bpfrec", "index.db",
		"seg-2.bpfrec", "seg-000003.bpfrec.tmp", "catalog.db", "seg-000001.bpfrec",
		"seg-0000004.bpfrec",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		touch(dir, files[i]);
	char sub[512];
	snprintf(sub, sizeof(sub), "%s/snapshot-1", dir);
	CHECK(mkdir(sub, 0755) == 0);
	CHECK_EQ_INT(cap_segment__list(dir, &nos, &n), 0);
	static const uint32_t want[] = { 1, 2, 10, 1000000 };
	CHECK_EQ_U64(n, 4);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_U64(nos[i], want[i]);
	free(nos);

	snprintf(sub, sizeof(sub), "%s/snapshot-1", dir);
	CHECK_EQ_INT(cap_segment__list(sub, &nos, &n), 0);
	CHECK_EQ_U64(n, 0);
	CHECK(nos == NULL);
	snprintf(sub, sizeof(sub), "%s/missing", dir);
	CHECK_EQ_INT(cap_segment__list(sub, &nos, &n), -ENOENT);
	CHECK_EQ_U64(n, 0);

	/* What ring mode dropped: a plain number below 2^32, anything else none. */
	CHECK_EQ_U64(dropped_through(NULL), 0);
	CHECK_EQ_U64(dropped_through("17"), 17);
	CHECK_EQ_U64(dropped_through("4294967295"), UINT32_MAX);
	static const char *const junk[] = { "", "-1", "+3", " 3", "3 ", "3x", "4294967296",
					    "99999999999999999999999", "0x10" };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		CHECK_EQ_U64(dropped_through(junk[i]), 0);
	printf("test_segname: ok\n");
	return 0;
}
