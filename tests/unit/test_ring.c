/* test_ring - the flight recorder in capw: ring_bytes keeps the newest
 * segments within the size (index consistent at every commit), ring_ns the
 * newest seconds, snapshots are complete captures that outlive the ring's
 * drops, losses are never dropped, and recovery after a crash in ring mode
 * leaves dropped segments out (and clears a journal that was never hot). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capr.h"
#include "capw.h"
#include "testutil.h"
#include "fixtures/capwone.h"

#define PER_BLOCK 100       /* records per block */
#define REC_BYTES 200       /* random: ~20 KiB a block, compressed or not */

static uint32_t sid;

static struct capw *open_ring(const char *dir, uint64_t ring_bytes, uint64_t ring_ns)
{
	struct capw_opts o = { .zstd_level = 1, .ring_bytes = ring_bytes, .ring_ns = ring_ns };

	return capwone_open(dir, &o, &sid);
}

/* Block k holds records with ts = k * PER_BLOCK + i (sequence numbers). */
static void write_block(struct capw *w, struct blockbuf *b, uint64_t k, uint64_t *rng)
{
	uint8_t buf[REC_BYTES];

	blockbuf__reset(b);
	for (int i = 0; i < PER_BLOCK; i++) {
		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = (uint8_t)test_rand(rng);
		CHECK_EQ_INT(blockbuf__add(b, sid, CAP_CPU_UNKNOWN, k * PER_BLOCK + i, buf,
					   sizeof(buf)), 0);
	}
	CHECK_EQ_INT(capw__write_block(w, b), 0);
}

/* The committed index of a capture being written (read through SQLite's
 * locks, as another process would) agrees with the files: every segments
 * row names a file of at least `bytes` bytes, every file has a row (with
 * allow_unnamed, a file the ring dropped just before a crash need not),
 * every block lies inside its segment, block_streams only for live blocks.
 * Returns the bytes of segment files. */
static uint64_t check_consistent(const char *dir, int allow_unnamed)
{
	char path[4096];
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t total = 0;
	int nfiles = 0, nrows = 0;
	DIR *d;
	struct dirent *de;

	CHECK(snprintf(path, sizeof(path), "%s/index.db", dir) < (int)sizeof(path));
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT file, bytes FROM segments", -1, &st, NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct stat sb;

		CHECK(snprintf(path, sizeof(path), "%s/%s", dir, sqlite3_column_text(st, 0)) < (int)sizeof(path));
		CHECK(stat(path, &sb) == 0);
		/* Bytes past the committed size: blocks of the open batch. */
		CHECK((uint64_t)sb.st_size >= (uint64_t)sqlite3_column_int64(st, 1));
		nrows++;
	}
	sqlite3_finalize(st);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM blocks b LEFT JOIN segments s ON "
			       "s.id = b.segment_id WHERE s.id IS NULL OR b.offset + b.enc_bytes > "
			       "s.bytes"), 0);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM block_streams WHERE block_id NOT IN "
			       "(SELECT id FROM blocks)"), 0);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM blocks WHERE id NOT IN "
			       "(SELECT block_id FROM block_streams)"), 0);
	int64_t dropped = q_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
				    "'ring_dropped_through'");
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);

	d = opendir(dir);
	CHECK(d != NULL);
	while ((de = readdir(d))) {
		struct stat sb;

		if (strncmp(de->d_name, "seg-", 4))
			continue;
		/* Dropped by the ring, then a crash before the unlink. */
		if (allow_unnamed && atoi(de->d_name + 4) <= dropped)
			continue;
		CHECK(snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path));
		CHECK(stat(path, &sb) == 0);
		total += (uint64_t)sb.st_size;
		nfiles++;
	}
	closedir(d);
	if (!allow_unnamed)
		CHECK_EQ_INT(nfiles, nrows);
	return total;
}

/* Reads every block of a finished capture; returns the records, checks that
 * they are exactly the sequence numbers [first, first + n). */
static uint64_t read_all(const char *dir, uint64_t *first)
{
	char err[512];
	struct capr *r = capr__open(dir, err, sizeof(err));
	const struct cap_block_info *bl;
	size_t nb;
	uint64_t n = 0, lo = UINT64_MAX, hi = 0;

	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r != NULL);
	CHECK_EQ_INT(capr__blocks(r, &bl, &nb), 0);
	for (size_t i = 0; i < nb; i++) {
		const struct cap_rec *recs;
		uint32_t nr;

		CHECK_EQ_INT(capr__read_block(r, &bl[i], &recs, &nr, err, sizeof(err)), 0);
		for (uint32_t j = 0; j < nr; j++) {
			lo = recs[j].ts_ns < lo ? recs[j].ts_ns : lo;
			hi = recs[j].ts_ns > hi ? recs[j].ts_ns : hi;
		}
		n += nr;
	}
	if (n)
		CHECK_EQ_U64(hi - lo + 1, n);   /* contiguous: only whole old segments went */
	*first = n ? lo : 0;
	capr__close(r);
	return n;
}

static void test_ring_bytes(const char *dir)
{
	const uint64_t ring = 1 << 20, nblocks = 400;   /* ~8 MiB through a 1 MiB ring */
	struct capw *w = open_ring(dir, ring, 0);
	struct blockbuf *b = blockbuf__new(64 << 10);
	struct capw_stats st;
	uint64_t rng = 7, first, n, max_disk = 0;
	char err[512];

	for (uint64_t k = 0; k < nblocks; k++) {
		write_block(w, b, k, &rng);
		if (k % 10 == 9) {
			uint64_t disk;

			CHECK_EQ_INT(capw__flush(w), 0);
			disk = check_consistent(dir, 0);
			max_disk = disk > max_disk ? disk : max_disk;
			CHECK(disk <= ring);
		}
		if (k % 7 == 0)   /* losses survive the ring */
			CHECK_EQ_INT(capw__add_loss(w, sid, 0, k * PER_BLOCK, 3), 0);
	}
	capw__stats(w, &st);
	CHECK(st.held_bytes <= ring);
	CHECK(st.held_bytes > ring / 2);
	CHECK(st.dropped_blocks > 0);
	CHECK_EQ_INT(capw__close(w, 1), 0);
	blockbuf__free(b);

	n = read_all(dir, &first);
	printf("ring 1 MiB: %llu of %llu records held (newest from #%llu), max %llu bytes on disk\n",
	       (unsigned long long)n, (unsigned long long)(nblocks * PER_BLOCK),
	       (unsigned long long)first, (unsigned long long)max_disk);
	CHECK_EQ_U64(first + n, nblocks * PER_BLOCK);   /* the newest are kept */
	CHECK_EQ_U64(n + st.dropped_records, nblocks * PER_BLOCK);
	struct capr *r = capr__open(dir, err, sizeof(err));
	CHECK(r != NULL);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT sum(count) FROM losses"), 3 * ((nblocks + 6) / 7));
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
					"'ring_dropped_records'"), st.dropped_records);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
					"'ring_bytes'"), ring);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT count(*) FROM streams"), 1);
	CHECK(q_int(capr__db(r), "SELECT min(id) FROM segments") > 1);
	capr__close(r);
	check_consistent(dir, 0);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint64_t boot_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_ring_time(const char *dir)
{
	const uint64_t ring_ns = 400000000ull;   /* 0.4 s; segments span <= 50 ms */
	struct capw *w = open_ring(dir, 0, ring_ns);
	struct blockbuf *b = blockbuf__new(64 << 10);
	struct capw_stats st;
	uint64_t rng = 9, first, n, k, t[60], t_start[60], now;

	/* 60 blocks, one every 20 ms (plus the flushes' fsyncs). */
	for (k = 0; k < 60; k++) {
		t_start[k] = boot_now();
		write_block(w, b, k, &rng);
		t[k] = boot_now();
		if (k % 5 == 4) {
			CHECK_EQ_INT(capw__flush(w), 0);
			check_consistent(dir, 0);
		}
		sleep_ms(20);
	}
	CHECK_EQ_INT(capw__flush(w), 0);
	now = boot_now();
	capw__stats(w, &st);
	CHECK(st.dropped_blocks > 0);
	n = st.blocks - st.dropped_blocks;
	first = 60 - n;   /* held blocks are the newest, contiguous */
	printf("ring 0.4 s: %llu of %llu blocks held, the oldest written %.0f ms ago\n",
	       (unsigned long long)n, (unsigned long long)st.blocks, (now - t[first]) / 1e6);
	/* Dropped: written more than ring_ns before the flush that dropped it
	 * (the writer stamps a block while writing it, so no earlier than
	 * t_start: exact, however slow a loaded machine makes the write).
	 * Held: within ring_ns plus one segment's span (ring_ns / 8) and some
	 * slack for the flushes. */
	CHECK(t_start[first - 1] < now - ring_ns);
	CHECK(t[first] > now - ring_ns - ring_ns / 8 - 100000000);
	/* Quiet for longer than the ring: everything ages out at a flush. */
	sleep_ms(500);
	CHECK_EQ_INT(capw__flush(w), 0);
	sleep_ms(60);
	CHECK_EQ_INT(capw__flush(w), 0);
	capw__stats(w, &st);
	CHECK_EQ_U64(st.blocks - st.dropped_blocks, 0);
	CHECK_EQ_INT(capw__close(w, 1), 0);
	blockbuf__free(b);
	CHECK_EQ_U64(read_all(dir, &first), 0);
	check_consistent(dir, 0);
}

/* A snapshot is a complete capture of what was held; the recording goes on
 * and its drops do not touch the snapshot (hard links). */
static void test_snapshot(const char *dir)
{
	const uint64_t ring = 1 << 20;
	struct capw *w = open_ring(dir, ring, 0);
	struct blockbuf *b = blockbuf__new(64 << 10);
	struct capw_stats st;
	uint64_t rng = 11, first, n, k, held;
	char snap[4096], snap2[4096], err[512];

	for (k = 0; k < 150; k++)
		write_block(w, b, k, &rng);
	CHECK_EQ_INT(capw__add_loss(w, sid, 1, 5, 42), 0);
	capw__stats(w, &st);
	held = (st.records - st.dropped_records);
	CHECK_EQ_INT(capw__snapshot(w, snap, sizeof(snap)), 0);
	CHECK(strstr(snap, "/snapshot-1") != NULL);
	{
		char cat[4200];   /* with the metadata copy: its index can be rebuilt too */

		CHECK(snprintf(cat, sizeof(cat), "%s/catalog.db", snap) < (int)sizeof(cat));
		CHECK(access(cat, F_OK) == 0);
	}
	for (; k < 400; k++)   /* the ring moves on, past everything snapshot-1 holds */
		write_block(w, b, k, &rng);
	CHECK_EQ_INT(capw__snapshot(w, snap2, sizeof(snap2)), 0);
	CHECK(strstr(snap2, "/snapshot-2") != NULL);
	write_block(w, b, k++, &rng);
	CHECK_EQ_INT(capw__close(w, 1), 0);
	blockbuf__free(b);

	n = read_all(snap, &first);
	printf("snapshot-1: %llu records (newest from #%llu)\n", (unsigned long long)n,
	       (unsigned long long)first);
	CHECK_EQ_U64(n, held);
	CHECK_EQ_U64(first + n, 150 * PER_BLOCK);
	struct capr *r = capr__open(snap, err, sizeof(err));
	CHECK(r != NULL);
	CHECK(q_int(capr__db(r), "SELECT end_ns FROM sessions") > 0);
	CHECK(q_int(capr__db(r), "SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
				 "'snapshot_ns'") > 0);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT sum(count) FROM losses"), 42);
	capr__close(r);
	check_consistent(snap, 0);
	n = read_all(snap2, &first);
	CHECK_EQ_U64(first + n, 400 * PER_BLOCK);
	/* No half-made snapshot left behind. */
	CHECK(snprintf(snap2, sizeof(snap2), "%s/snapshot-1.tmp", dir) < (int)sizeof(snap2));
	CHECK(access(snap2, F_OK) != 0);
	check_consistent(dir, 0);
}

/* kill -9 of a ring writer at random moments: the index is consistent with
 * the files, recovery indexes what the last batch left, never a segment the
 * ring dropped (the crash may fall between a drop's commit and its unlink:
 * simulated by putting a dropped file back). */
static void test_ring_crash(const char *dir, uint64_t seed)
{
	uint64_t rng = seed, first, added;
	char path[4096], keep[4096];
	int status, started[2];
	char c;

	CHECK(pipe(started) == 0);
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		close(started[0]);
		struct capw *w = open_ring(dir, 512 << 10, 0);
		struct blockbuf *b = blockbuf__new(64 << 10);
		uint64_t r2 = seed;

		/* Keep segment 1's data under another name before the ring drops it. */
		write_block(w, b, 0, &r2);
		CHECK(snprintf(path, sizeof(path), "%s/seg-000001.bpfrec", dir) < (int)sizeof(path));
		CHECK(snprintf(keep, sizeof(keep), "%s/../keep-%llu", dir, (unsigned long long)seed) < (int)sizeof(keep));
		if (link(path, keep) || write(started[1], "x", 1) != 1)
			_exit(2);
		for (uint64_t k = 1;; k++) {
			write_block(w, b, k, &r2);
			if (k % 8 == 0)
				capw__flush(w);
		}
	}
	/* The kill comes at a random time after the first block: before it,
	 * there is nothing to recover (a loaded machine can take that long). */
	close(started[1]);
	CHECK_EQ_INT(read(started[0], &c, 1), 1);
	close(started[0]);
	usleep(50000 + test_rand(&rng) % 300000);
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status));

	/* Opening works, or says what to do (a commit was in progress). */
	char err[512];
	struct capr *r = capr__open(dir, err, sizeof(err));
	if (r)
		capr__close(r);
	else
		CHECK(strstr(err, "index.db-journal") && strstr(err, "recover"));
	added = 0;
	CHECK_EQ_INT(capw__recover(dir, &added), 0);
	CHECK(snprintf(path, sizeof(path), "%s/seg-000001.bpfrec", dir) < (int)sizeof(path));
	CHECK(snprintf(keep, sizeof(keep), "%s/../keep-%llu", dir, (unsigned long long)seed) < (int)sizeof(keep));
	/* Dropped: put it back, as a crash could leave it. */
	if (access(path, F_OK) != 0) {
		CHECK(link(keep, path) == 0);
		CHECK_EQ_INT(capw__recover(dir, &added), 0);
		CHECK_EQ_U64(added, 0);
		unlink(path);
	}
	unlink(keep);
	uint64_t n = read_all(dir, &first);
	printf("ring crash (seed %llu): %llu records readable from #%llu after recovery\n",
	       (unsigned long long)seed, (unsigned long long)n, (unsigned long long)first);
	CHECK(n > 0);
	check_consistent(dir, 1);
}

/* A kill during a commit's first steps leaves an index.db-journal whose
 * header never got its magic (SQLite writes it last): not hot, the database
 * untouched, but readers refuse it.  Recovery clears it. */
static void test_stale_journal(const char *dir)
{
	struct capw *w = open_ring(dir, 0, 0);
	char path[4200], err[512];
	uint8_t junk[4616] = { 0 };
	uint64_t first, added = 9;
	int fd;

	junk[12] = 0xd0;   /* a nonce, as SQLite writes it; magic all zero */
	CHECK_EQ_INT(capw__close(w, 1), 0);
	CHECK(snprintf(path, sizeof(path), "%s/index.db-journal", dir) < (int)sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	close(fd);
	struct capr *r = capr__open(dir, err, sizeof(err));
	CHECK(r == NULL && strstr(err, "recover"));
	CHECK_EQ_INT(capw__recover(dir, &added), 0);
	CHECK_EQ_U64(added, 0);
	CHECK(access(path, F_OK) != 0);
	CHECK_EQ_U64(read_all(dir, &first), 0);
}

int main(void)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir("ring_bytes"));
	test_ring_bytes(dir);
	snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir("ring_time"));
	test_ring_time(dir);
	snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir("ring_snap"));
	test_snapshot(dir);
	for (uint64_t seed = 1; seed <= 4; seed++) {
		snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir("ring_crash"));
		test_ring_crash(dir, seed);
	}
	snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir("ring_journal"));
	test_stale_journal(dir);
	printf("test_ring: ok\n");
	return 0;
}
