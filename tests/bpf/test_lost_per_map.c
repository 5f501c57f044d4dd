/* test_lost_per_map.c - an object with two ringbufs, each with its own
 * loss counter: after a burst that overflows both, each stream's recorded
 * events + its recorded losses == what was produced into it. */
#include "capload.h"
#include "faultutil.h"
#include "testutil.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CALLS 2000
#define PER_CALL 64

static uint64_t lost_of(const char *cap, const char *stream)
{
	char path[4096], sql[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t v = 0;

	snprintf(path, sizeof(path), "%s/index.db", cap);
	snprintf(sql, sizeof(sql), "SELECT coalesce(sum(l.count), 0) FROM losses l JOIN streams s "
		 "ON s.id = l.stream_id WHERE s.name = '%s'", stream);
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

int main(void)
{
	const char *dir = test_tmpdir("lost_per_map");
	char cap[4096], set_tgid[64];
	int gate[2], status, i;
	struct bgrec rec;
	pid_t child;
	struct evlist l;

	fu_need_root_objs();
	char obj[4096];
	snprintf(obj, sizeof(obj), "%s/lost2.bpf.o", getenv("BPFREC_OBJS"));
	snprintf(cap, sizeof(cap), "%s/cap", dir);

	/* The producer: waits for the go, then CALLS getppid()s. */
	CHECK(pipe(gate) == 0);
	child = fork();
	if (child == 0) {
		char c;

		close(gate[1]);
		if (read(gate[0], &c, 1) != 1)
			_exit(1);
		for (i = 0; i < CALLS; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	close(gate[0]);
	snprintf(set_tgid, sizeof(set_tgid), "target_tgid=%d", child);
	/* The go only once bpfrec says it records (attached): a fixed sleep
	 * was too short on a loaded machine under the sanitizers, and the
	 * events made before the attach were missing from both sums.  Stopped
	 * after the producer is done: every event it made is drained or lost. */
	fu_start(&rec, "lost_per_map", (char *[]){ "record", "-o", cap, "--no-status", "--probe",
						   "none", "--bpf", obj, "--set", set_tgid, NULL });
	CHECK(write(gate[1], "g", 1) == 1);
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && !WEXITSTATUS(status));
	CHECK_EQ_INT(fu_stop(&rec, SIGINT), 0);

	CHECK_EQ_INT(capload(cap, &l), 0);
	{
		uint64_t rec_a = ev_count(&l, "ring_a", NULL, NULL), rec_b = ev_count(&l, "ring_b", NULL, NULL);
		uint64_t lost_a = lost_of(cap, "ring_a"), lost_b = lost_of(cap, "ring_b");

		printf("ring_a: %llu recorded + %llu lost; ring_b: %llu + %llu; produced %d each\n",
		       (unsigned long long)rec_a, (unsigned long long)lost_a,
		       (unsigned long long)rec_b, (unsigned long long)lost_b, CALLS * PER_CALL);
		CHECK_EQ_U64(rec_a + lost_a, (uint64_t)CALLS * PER_CALL);
		CHECK_EQ_U64(rec_b + lost_b, (uint64_t)CALLS * PER_CALL);
		/* Both overflowed, and the smaller ring more: the losses are each
		 * its own, not the object's sum on its first stream. */
		CHECK(lost_a > 0 && lost_b > 0 && lost_a > lost_b);
	}
	capload_free(&l);
	printf("ok: losses land on the stream that lost them\n");
	return 0;
}
