/* test_faults_disk - a full disk: bpfrec records a fast, incompressible
 * load onto a tmpfs of 128 KiB, 512 KiB, 2 MiB and 8 MiB until it is full.
 * It must stop writing, finalize the index for what was written (end time,
 * catalog.db), exit 1 with a message naming the path; the capture then
 * opens and every indexed block decodes (nothing written was damaged), each
 * segment ends exactly after its last indexed block, and what bpfrec
 * drained or was told was lost is all in the capture: records plus counted
 * losses (the blocks it could not write are counted as lost). */
#include "capload.h"
#include "capr.h"
#include "capw.h"
#include "faultutil.h"

#include <errno.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static char mnt[4096];

static void unmount_it(void)   /* also when a CHECK fails */
{
	umount2(mnt, MNT_DETACH);
}

/* Sums the summary's per-stream lines ("  NAME  N events  M lost"). */
static uint64_t summary_total(const char *err)
{
	uint64_t total = 0;
	const char *p = err;

	while ((p = strstr(p, "bpfrec:   "))) {
		char name[64];
		unsigned long long ev, lost;

		p += 10;
		if (sscanf(p, "%63s %llu events %llu lost", name, &ev, &lost) == 3)
			total += ev + lost;
	}
	return total;
}

/* One full disk of tmpfs_size: bpfrec records onto it until it is full. */
static void run(const char *objs, const char *base, const char *tmpfs_size)
{
	char cap[4096], obj[4096], tgid[64], err[16384], path[4200], opt[64];
	struct bgrec b;
	pid_t load;
	int rc;

	snprintf(mnt, sizeof(mnt), "%s/mnt-%s", base, tmpfs_size);
	CHECK(mkdir(mnt, 0755) == 0);
	snprintf(opt, sizeof(opt), "size=%s", tmpfs_size);
	if (mount("tmpfs", mnt, "tmpfs", 0, opt)) {
		fprintf(stderr, "SKIPPED: cannot mount a tmpfs on %s: %s\n", mnt, strerror(errno));
		exit(77);
	}
	CHECK(snprintf(cap, sizeof(cap), "%s/cap", mnt) < (int)sizeof(cap));
	snprintf(obj, sizeof(obj), "%s/burst_rb.bpf.o", objs);

	/* The load: a process calling getppid() as fast as it can, 64 events
	 * of 64 bytes a call, 8 of them random: blocks of a few hundred KiB
	 * (so that some fit in the 2 MiB), the disk full within a second. */
	load = fork();
	CHECK(load >= 0);
	if (load == 0) {
		for (;;)
			syscall(SYS_getppid);
	}
	snprintf(tgid, sizeof(tgid), "target_tgid=%d", (int)load);
	fu_start(&b, "disk", (char *[]){ "record", "-o", cap, "--no-status", "--probe", "none",
					 "--bpf", obj, "--set", tgid, "--set", "per_call=64",
					 "--set", "random_words=2", "--ringbuf-size", "events=16M",
					 "--duration", "60s", NULL });
	rc = fu_stop(&b, 0);   /* it stops by itself when the disk is full */
	kill(load, SIGKILL);
	waitpid(load, NULL, 0);
	fu_slurp(b.errpath, err, sizeof(err));
	fprintf(stderr, "--- %s: bpfrec said:\n%s---\n", tmpfs_size, err);
	CHECK_EQ_INT(rc, 1);
	snprintf(path, sizeof(path), "the disk holding %s is full", cap);
	CHECK(strstr(err, path));
	CHECK(strstr(err, "No space left on device") || strstr(err, "database or disk is full"));

	/* Finalized: no journal, an end time, catalog.db, and every indexed
	 * block reads. */
	snprintf(path, sizeof(path), "%s/index.db-journal", cap);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/catalog.db", cap);
	CHECK(access(path, F_OK) == 0);
	snprintf(path, sizeof(path), "%s/reserve.tmp", cap);
	CHECK(access(path, F_OK) != 0);
	struct capr *r = capr__open(cap, err, sizeof(err));
	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r != NULL);
	CHECK(q_int(capr__db(r), "SELECT end_ns FROM sessions") > 0);
	const struct cap_block_info *bl;
	size_t nb, i;
	uint64_t n = 0;
	CHECK_EQ_INT(capr__blocks(r, &bl, &nb), 0);
	for (i = 0; i < nb; i++) {
		const struct cap_rec *recs;
		uint32_t nr;

		CHECK_EQ_INT(capr__read_block(r, &bl[i], &recs, &nr, err, sizeof(err)), 0);
		n += nr;
	}
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT count(*) FROM blocks"), (int64_t)nb);
	/* The identity: what bpfrec drained or was told was lost is in the
	 * capture, as records or as counted losses. */
	fu_slurp(b.errpath, err, sizeof(err));
	int64_t lost = q_int(capr__db(r), "SELECT coalesce(sum(count), 0) FROM losses");
	printf("%s tmpfs: %llu events in %zu blocks kept, all readable, %lld counted lost; "
	       "bpfrec drained or was told lost %llu\n", tmpfs_size, (unsigned long long)n, nb,
	       (long long)lost, (unsigned long long)summary_total(err));
	CHECK(lost > 0);
	CHECK_EQ_U64(n + (uint64_t)lost, summary_total(err));
	/* The partial block was cut off: each file ends at its last indexed block. */
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(capr__db(r), "SELECT file, bytes FROM segments", -1, &st, NULL) ==
	      SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct stat sb;

		snprintf(path, sizeof(path), "%s/%s", cap, sqlite3_column_text(st, 0));
		CHECK(stat(path, &sb) == 0);
		CHECK_EQ_U64((uint64_t)sb.st_size, (uint64_t)sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	capr__close(r);
	/* verify agrees: a finished capture, nothing damaged. */
	char replay[4096];
	snprintf(replay, sizeof(replay), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	CHECK_EQ_INT(run_cmd((char *[]){ replay, "verify", cap, NULL }), 0);
	/* And recovery finds nothing left to add. */
	uint64_t added = 1;
	CHECK_EQ_INT(capw__recover(cap, &added), 0);
	CHECK_EQ_U64(added, 0);
	umount2(mnt, MNT_DETACH);
}

int main(void)
{
	const char *objs = fu_need_root_objs();
	const char *base = test_tmpdir("faults_disk");
	static const char *const sizes[] = { "128k", "512k", "2m", "8m" };

	atexit(unmount_it);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		run(objs, base, sizes[i]);
	printf("test_faults_disk: ok\n");
	return 0;
}
