/* test_capw_indexfull - the index's disk fills while a batch of blocks and
 * loss rows is open: the batch's commit fails even after the reserve is
 * given back, SQLite rolls it back, and the losses it held must still be
 * counted in the index (written again on their own), the blocks' records
 * counted as unindexed (in the segments, for recover).
 *
 * The full disk is simulated under SQLite alone, with no root: a VFS that
 * wraps the default one and refuses (SQLITE_FULL) any write that would
 * grow a file once the test sets the room left to 0.  Overwrites inside a
 * file's size still succeed, as on a real full file system.  Segments are
 * written with write(2), outside the VFS: only the index is full. */
#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capr.h"
#include "capw.h"
#include "testutil.h"

#define BASE_TS 7000000000ull

/* ---- a VFS whose files cannot grow beyond g_room more bytes ---- */

static long long g_room = -1;   /* < 0: unlimited */
/* capw's reserve file, made outside SQLite: deleting it gives its room to
 * the index, as on a real file system. */
static char g_reserve[4200];
static long long g_reserve_bytes;
static unsigned long long g_refused;
static sqlite3_vfs *g_real;
static sqlite3_vfs g_vfs;

struct full_file {
	sqlite3_file base;
	sqlite3_file *real;   /* the real VFS's file, right after this struct */
};

#define REAL(f) (((struct full_file *)(f))->real)

static int ff_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int ff_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int ff_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	sqlite3_int64 size = 0;

	if (g_reserve_bytes && access(g_reserve, F_OK) != 0) {
		g_room += g_reserve_bytes;
		g_reserve_bytes = 0;
	}
	if (g_room >= 0 && REAL(f)->pMethods->xFileSize(REAL(f), &size) == SQLITE_OK &&
	    off + amt > size) {
		long long grow = off + amt - size;

		if (grow > g_room) {
			g_refused++;
			if (getenv("FF_DEBUG"))
				fprintf(stderr, "refused: %d bytes at %lld (size %lld)\n", amt, (long long)off, (long long)size);
			return SQLITE_FULL;
		}
		g_room -= grow;
	}
	return REAL(f)->pMethods->xWrite(REAL(f), buf, amt, off);
}

static int ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	sqlite3_int64 old = 0;

	if (g_room >= 0 && REAL(f)->pMethods->xFileSize(REAL(f), &old) == SQLITE_OK &&
	    size < old)
		g_room += old - size;   /* room given back */
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int ff_sync(sqlite3_file *f, int flags)
{
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int ff_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int ff_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int ff_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int ff_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int ff_fcntl(sqlite3_file *f, int op, void *arg)
{
	/* Growth by a size hint would bypass ff_write: refuse the hint. */
	if (op == SQLITE_FCNTL_SIZE_HINT || op == SQLITE_FCNTL_CHUNK_SIZE)
		return SQLITE_NOTFOUND;
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int ff_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int ff_devchar(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int ff_shmmap(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int ff_shmlock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void ff_shmbarrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int ff_shmunmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int ff_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	*pp = NULL;   /* no memory-mapped reads: every read goes through ff_read */
	(void)f, (void)off, (void)amt;
	return SQLITE_OK;
}

static int ff_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	(void)f, (void)off, (void)p;
	return SQLITE_OK;
}

static const sqlite3_io_methods ff_methods = {
	3, ff_close, ff_read, ff_write, ff_truncate, ff_sync, ff_size, ff_lock, ff_unlock,
	ff_reserved, ff_fcntl, ff_sector, ff_devchar, ff_shmmap, ff_shmlock, ff_shmbarrier,
	ff_shmunmap, ff_fetch, ff_unfetch,
};

static int ff_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct full_file *ff = (struct full_file *)f;
	int rc;

	(void)vfs;
	ff->real = (sqlite3_file *)(ff + 1);
	rc = g_real->xOpen(g_real, name, ff->real, flags, out);
	ff->base.pMethods = ff->real->pMethods ? &ff_methods : NULL;
	return rc;
}

static void install_vfs(void)
{
	g_real = sqlite3_vfs_find(NULL);
	CHECK(g_real != NULL);
	CHECK(g_real->iVersion >= 1);
	g_vfs = *g_real;
	g_vfs.zName = "bpfrec-test-full";
	g_vfs.szOsFile = (int)sizeof(struct full_file) + g_real->szOsFile;
	g_vfs.xOpen = ff_open;
	g_vfs.pNext = NULL;
	CHECK(sqlite3_vfs_register(&g_vfs, 1) == SQLITE_OK);
}

/* ---- the test ---- */

/* One block of one 16-byte record at ts. */
static int put_block(struct capw *w, struct blockbuf *b, uint32_t sid, uint64_t ts)
{
	uint8_t buf[16];

	memcpy(buf, &ts, sizeof(ts));
	memset(buf + 8, 0x5a, 8);
	blockbuf__reset(b);
	CHECK_EQ_INT(blockbuf__add(b, sid, 1, ts, buf, sizeof(buf)), 0);
	return capw__write_block(w, b);
}

int main(void)
{
	const char *dir = test_tmpdir("capw_indexfull");
	struct capw_opts o = { .zstd_level = 1 };
	struct cap_session sess = { .host = "h", .start_ns = BASE_TS };
	struct cap_stream_desc d = { "s", "ringbuf", 0, "rb", NULL, 0, -1 };
	struct blockbuf *b = blockbuf__new(4 << 10);
	struct capw_stats cs;
	uint64_t ts = BASE_TS, written = 0, lost = 0;
	uint32_t sid;
	struct capw *w;
	int rc;

	install_vfs();
	w = capw__create(dir, &o);
	CHECK(w && b);
	CHECK_EQ_INT(capw__set_session(w, &sess), 0);
	CHECK_EQ_INT(capw__add_stream(w, &d, &sid), 0);

	/* A first batch commits normally. */
	for (int i = 0; i < 50; i++, written++)
		CHECK_EQ_INT(put_block(w, b, sid, ts++), 0);
	CHECK_EQ_INT(capw__add_loss(w, sid, 0, ts, 11), 0);
	lost += 11;
	CHECK_EQ_INT(capw__flush(w), 0);

	/* The disk is full now.  A large batch, with losses among its blocks,
	 * cannot be committed: it needs more pages than the write-ahead log
	 * holds. */
	struct stat rst;
	snprintf(g_reserve, sizeof(g_reserve), "%s/reserve.tmp", dir);
	CHECK(stat(g_reserve, &rst) == 0 && rst.st_size > 0);
	g_reserve_bytes = rst.st_size;
	g_room = 0;
	rc = 0;
	for (int i = 0; i < 6000 && !rc; i++) {
		rc = put_block(w, b, sid, ts++);
		if (!rc)
			written++;
		if (!rc && i % 1000 == 500) {
			rc = capw__add_loss(w, sid, (uint32_t)(i / 1000), ts, 1000 + (uint64_t)i);
			if (!rc)
				lost += 1000 + (uint64_t)i;
		}
	}
	if (!rc)
		rc = capw__flush(w);
	fprintf(stderr, "the full batch: %d (%s), %llu writes refused\n", rc, strerror(-rc),
		g_refused);
	CHECK(rc == -ENOSPC);
	CHECK(g_refused > 0);
	CHECK(access(g_reserve, F_OK) != 0);   /* the reserve was given back */

	/* Still full: what comes after the failure is counted too. */
	CHECK_EQ_INT(capw__add_loss(w, sid, 1, ts, 7), 0);
	lost += 7;
	capw__finish(w, ts);
	capw__stats(w, &cs);
	fprintf(stderr, "records %llu, unindexed %llu, losses %llu; written %llu, lost %llu\n",
		(unsigned long long)cs.records, (unsigned long long)cs.unindexed_records,
		(unsigned long long)cs.losses, (unsigned long long)written,
		(unsigned long long)lost);
	/* Every loss is in the index: none went with the rolled-back batch. */
	CHECK_EQ_U64(cs.losses, lost);
	CHECK_EQ_U64(cs.records + cs.unindexed_records + cs.unwritten_records, written);
	CHECK(cs.unindexed_records > 0);
	capw__close(w, ts);
	blockbuf__free(b);

	/* Room again (as after the user frees some): what the index holds. */
	g_room = -1;
	char err[512];
	struct capr *r = capr__open(dir, err, sizeof(err));
	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r != NULL);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT coalesce(sum(count), 0) FROM losses"),
		     (int64_t)lost);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT coalesce(sum(nrecords), 0) FROM blocks"),
		     (int64_t)cs.records);
	capr__close(r);

	/* recover indexes the blocks the failed batch had: then every event
	 * written is a record of the index. */
	uint64_t recovered = 0;
	CHECK_EQ_INT(capw__recover(dir, &recovered), 0);
	r = capr__open(dir, err, sizeof(err));
	CHECK(r != NULL);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT coalesce(sum(nrecords), 0) FROM blocks"),
		     (int64_t)(cs.records + cs.unindexed_records));
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT coalesce(sum(count), 0) FROM losses"),
		     (int64_t)lost);
	capr__close(r);
	printf("test_capw_indexfull: ok\n");
	return 0;
}
