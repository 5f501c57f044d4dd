/* test_live_lock - a reader opening a capture that is being recorded waits
 * out its writer's short exclusive locks (a checkpoint, the WAL turned back
 * into one file at the end) instead of failing with "database is locked".
 *
 * A child process records (capw, index in WAL mode) and then holds the
 * index's exclusive lock for 300 ms, the way SQLite's unix VFS takes it (a
 * write lock on the pending, reserved and shared bytes; in the writer's own
 * process it replaces the shared lock SQLite holds there).  The parent opens
 * the live capture in that window and must succeed once the lock is gone.
 * Before the fix it failed at once: this is what a `bpfreplay sql` polling
 * a recording hit at its end in about one run in 25.  And a recording in
 * its first milliseconds is said to be starting, not damaged. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "block.h"
#include "capr.h"
#include "capw.h"
#include "testutil.h"

#define SQLITE_PENDING_BYTE 0x40000000
#define SQLITE_LOCK_SPAN (2 + 510)   /* pending, reserved and the shared range */

static void hold_lock(const char *index, int ready_fd, unsigned ms)
{
	int fd = open(index, O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = SQLITE_PENDING_BYTE, .l_len = SQLITE_LOCK_SPAN };

	if (fd < 0 || fcntl(fd, F_SETLK, &fl))
		_exit(2);
	if (write(ready_fd, "x", 1) != 1)
		_exit(2);
	usleep(ms * 1000);
	_exit(0);
}

/* Writes one block of 10 records and commits; leaves the writer open, the
 * index in WAL mode (live). */
static void record(const char *dir, const char *wal)
{
	struct capw_opts o = { .zstd_level = 3 };
	struct cap_session s = { .host = "h", .kernel_release = "6.1", .boot_id = "b",
				 .cmdline = "bpfrec record", .tool_version = "0",
				 .clock_boot_ns = 1, .clock_real_ns = 1, .start_ns = 1000 };
	struct cap_stream_desc d = { "ev", "ringbuf", 0, "rb", NULL, 0, -1 };
	uint32_t obj, sid;
	uint8_t payload[16] = { 1, 2, 3 };

	struct capw *w = capw__create(dir, &o);
	CHECK(w != NULL);
	CHECK_EQ_INT(capw__set_session(w, &s), 0);
	CHECK_EQ_INT(capw__add_object(w, "o", NULL, NULL, 0, &obj), 0);
	d.object_id = obj;
	CHECK_EQ_INT(capw__add_stream(w, &d, &sid), 0);
	struct blockbuf *b = blockbuf__new(4096);
	CHECK(b != NULL);
	for (int i = 0; i < 10; i++)
		CHECK_EQ_INT(blockbuf__add(b, sid, 0, 2000 + i, payload, sizeof(payload)), 0);
	CHECK_EQ_INT(capw__write_block(w, b), 0);
	CHECK_EQ_INT(capw__flush(w), 0);
	blockbuf__free(b);

	CHECK(access(wal, F_OK) == 0);   /* live: the index is in WAL mode */
}

int main(void)
{
	char dir[4096], index[4200], wal[4300], err[512];

	snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir("live_lock"));
	snprintf(index, sizeof(index), "%s/index.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", index);
	int p[2];
	CHECK(pipe(p) == 0);
	pid_t child = fork();
	CHECK(child >= 0);
	if (child == 0) {   /* the recorder: writes, flushes, then locks */
		close(p[0]);
		record(dir, wal);
		hold_lock(index, p[1], 300);
	}
	close(p[1]);
	char c;
	CHECK_EQ_INT(read(p[0], &c, 1), 1);   /* the lock is held from here */

	struct capr *r = capr__open(dir, err, sizeof(err));
	if (!r)
		fprintf(stderr, "test_live_lock: %s\n", err);
	CHECK(r != NULL);
	int status = 0;
	CHECK_EQ_INT(waitpid(child, &status, 0), child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	const struct cap_block_info *bl;
	size_t nbl;
	capr__blocks(r, &bl, &nbl);
	CHECK_EQ_U64(nbl, 1);
	capr__close(r);

	/* A recording in its first milliseconds (index created, schema not yet
	 * committed) is said to be starting, not damaged. */
	snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir("live_start"));
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(index, sizeof(index), "%s/index.db", dir);
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(index, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA journal_mode=WAL; BEGIN; CREATE TABLE meta (k, v)", NULL, NULL,
			   NULL) == SQLITE_OK);   /* as capw__create: schema not yet committed */
	CHECK(capr__open(dir, err, sizeof(err)) == NULL);
	if (!strstr(err, "the recording is just starting"))
		fprintf(stderr, "test_live_lock: %s\n", err);
	CHECK(strstr(err, "the recording is just starting") != NULL);
	sqlite3_close(db);
	printf("test_live_lock: ok\n");
	return 0;
}
