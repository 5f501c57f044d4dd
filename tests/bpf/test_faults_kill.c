/* test_faults_kill - kill -9 of bpfrec at random moments while it records a
 * busy load (exec/exit probes over a /bin/true spawn loop, plus a steady
 * getppid() producer through objs/burst.bpf.c).  While it runs, the test
 * reads the committed index as any reader would and keeps the largest
 * record count it saw committed.  After the kill:
 *   - opening the capture works, or says a commit was cut short and
 *     recovery must run first;
 *   - every block the committed index names decodes;
 *   - capw__recover rebuilds the index from the segments (what the
 *     replay side's `bpfreplay recover` runs), after which every block
 *     decodes and the records are >= the most ever seen committed;
 *   - once a commit with records was seen, the index says which programs
 *     attached and how each stream's loss is known.
 * Two more rounds in ring mode (--ring 1M) with a SIGUSR1 snapshot just
 * before the kill: the same, and a snapshot-N that exists is complete. */
#include "capload.h"
#include "capr.h"
#include "capw.h"
#include "faultutil.h"

#include <dirent.h>
#include <sqlite3.h>
#include <sys/syscall.h>

/* One number from the committed index, read through SQLite's locks; -1 if
 * unreadable now. */
static int64_t committed(const char *cap, const char *sql)
{
	char path[4200];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	snprintf(path, sizeof(path), "%s/index.db", cap);
	if (access(path, F_OK) ||
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 200);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int64_t committed_records(const char *cap)
{
	return committed(cap, "SELECT coalesce(sum(nrecords), 0) FROM blocks");
}

/* Where the programs attached and how each stream's loss is known go to
 * the writer before any event, so every commit with events has them: a
 * killed recording (and its snapshots) says what it ran. */
static void check_programs(const char *cap)
{
	CHECK_EQ_INT(committed(cap, "SELECT count(*) FROM programs WHERE state = 'attached' "
			       "AND name IN ('burst', 'single')"), 2);
	CHECK(committed(cap, "SELECT count(*) FROM programs WHERE state = 'attached'") >= 4);
	CHECK(committed(cap, "SELECT count(*) FROM stream_loss") >= 3);
}

/* Opens the capture and decodes every indexed block; returns the records,
 * or -1 when it cannot be opened (err says why). */
static int64_t read_all(const char *cap, char *err, size_t errlen, size_t *nblocks)
{
	struct capr *r = capr__open(cap, err, errlen);
	const struct cap_block_info *bl;
	size_t nb, i;
	int64_t n = 0;

	if (!r)
		return -1;
	CHECK_EQ_INT(capr__blocks(r, &bl, &nb), 0);
	for (i = 0; i < nb; i++) {
		const struct cap_rec *recs;
		uint32_t nr;

		if (capr__read_block(r, &bl[i], &recs, &nr, err, errlen)) {
			fprintf(stderr, "%s: indexed block unreadable: %s\n", cap, err);
			exit(1);
		}
		n += nr;
	}
	if (nblocks)
		*nblocks = nb;
	capr__close(r);
	return n;
}

static pid_t spawn_loop(void)
{
	pid_t p = fork();

	CHECK(p >= 0);
	if (p == 0) {
		for (;;) {
			pid_t c = fork();

			if (c == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			if (c > 0)
				waitpid(c, NULL, 0);
		}
	}
	return p;
}

static pid_t getppid_loop(void)
{
	pid_t p = fork();

	CHECK(p >= 0);
	if (p == 0) {
		for (;;) {
			syscall(SYS_getppid);
			usleep(20);
		}
	}
	return p;
}

static void round_(const char *dir, int k, uint64_t *rng, int ring)
{
	char cap[4096], obj[4096], tgid[64], tag[32], err[1024];
	const char *objs = getenv("BPFREC_OBJS");
	pid_t producer = getppid_loop();
	struct bgrec b;
	int64_t seen = 0, before, after, v;
	uint64_t added = 0, t_ms = 300 + test_rand(rng) % 2700, waited;
	size_t nb = 0;

	snprintf(cap, sizeof(cap), "%s/cap%d", dir, k);
	snprintf(obj, sizeof(obj), "%s/burst_rb.bpf.o", objs);
	snprintf(tgid, sizeof(tgid), "target_tgid=%d", (int)producer);
	snprintf(tag, sizeof(tag), "kill%d", k);
	fu_start(&b, tag, (char *[]){ "record", "-o", cap, "--no-status", "--probe", "exec,exit",
				      "--bpf", obj, "--set", tgid, "--set", "per_call=4",
				      "--ringbuf-size", "events=4M",
				      ring ? "--ring" : "--flush-interval", ring ? "1M" : "1s",
				      NULL });
	for (waited = 0; waited < t_ms; waited += 20) {
		fu_sleep_ms(20);
		v = committed_records(cap);
		seen = v > seen ? v : seen;
	}
	if (ring) {
		kill(b.pid, SIGUSR1);
		fu_sleep_ms(test_rand(rng) % 400);   /* before, during or after it */
	}
	CHECK_EQ_INT(fu_stop(&b, SIGKILL), 128 + SIGKILL);
	kill(producer, SIGKILL);
	waitpid(producer, NULL, 0);

	before = read_all(cap, err, sizeof(err), NULL);
	if (before < 0) {
		CHECK(strstr(err, "index.db-journal") && strstr(err, "recover"));
		printf("  (the kill cut a commit short: %s)\n", err);
	}
	CHECK_EQ_INT(capw__recover(cap, &added), 0);
	after = read_all(cap, err, sizeof(err), &nb);
	if (after < 0)
		fprintf(stderr, "%s\n", err);
	CHECK(after >= 0);
	printf("kill -9 at %4llu ms%s: committed seen %lld, readable %lld before recovery, "
	       "%lld after (%llu blocks recovered, %zu in all)\n", (unsigned long long)t_ms,
	       ring ? " (ring 1M, SIGUSR1)" : "", (long long)seen, (long long)before,
	       (long long)after, (unsigned long long)added, nb);
	if (!ring)
		CHECK(after >= seen && (before < 0 || before >= seen));
	if (seen > 0)
		check_programs(cap);
	/* A snapshot that made it to its final name is complete. */
	for (int i = 1; ring && i < 4; i++) {
		char snap[4200];

		snprintf(snap, sizeof(snap), "%s/snapshot-%d", cap, i);
		if (access(snap, F_OK))
			continue;
		v = read_all(snap, err, sizeof(err), NULL);
		if (v < 0)
			fprintf(stderr, "%s\n", err);
		CHECK(v >= 0);
		check_programs(snap);
		printf("  %s: %lld records, complete\n", snap, (long long)v);
	}
}

int main(void)
{
	const char *dir;
	uint64_t rng = (uint64_t)time(NULL);
	pid_t spawner;
	int k;

	fu_need_root_objs();
	dir = test_tmpdir("faults_kill");
	printf("seed %llu\n", (unsigned long long)rng);
	spawner = spawn_loop();
	for (k = 0; k < 6; k++)
		round_(dir, k, &rng, 0);
	for (; k < 8; k++)
		round_(dir, k, &rng, 1);
	kill(spawner, SIGKILL);
	waitpid(spawner, NULL, 0);
	printf("test_faults_kill: ok\n");
	return 0;
}
