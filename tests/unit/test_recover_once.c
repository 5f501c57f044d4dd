/* test_recover_once - recovery reads the segment it opened, not the name
 * again: capw__recover opens a segment once, checks that descriptor
 * (fstat: a regular file) and walks it.  Looked up twice, the name could
 * be another file the second time (a local race).  This test is that
 * race, made certain: open(2) is wrapped, and right after recovery's open
 * of the segment the name is replaced by a file of junk.  Recovery still
 * indexes every block the crash left unindexed, from the file it opened.
 * Also: a segment with many damaged blocks names the first 5, then counts
 * (one line for the rest). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "block.h"
#include "capr.h"
#include "capw.h"
#include "testutil.h"
#include "fixtures/crashcap.h"

#define BASE_TS 5000000000ull
enum { BEFORE = 3, AFTER = 8, PER = 200 };

static char swap_from[4200], swap_to[4300];
static int opens_of_seg;

/* Every open(2) of the program (SQLite's too) goes through here.  The
 * first of the segment swaps its name for the junk file. */
int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int fd;

	if (flags & O_CREAT) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
	if (fd >= 0 && *swap_to && !strcmp(path, swap_to) && !opens_of_seg++)
		CHECK_EQ_INT(rename(swap_from, swap_to), 0);
	return fd;
}

/* A recorder killed mid-batch: BEFORE blocks indexed, AFTER only in the
 * one segment. */
static void crash_capture(const char *dir)
{
	crashcap_write(dir, &(struct crashcap){ .segment_bytes = 64 << 20, .before = BEFORE,
						.after = AFTER, .per = PER, .seed = 5,
						.base_ts = BASE_TS });
}

/* Offsets of the segment's blocks, in file order (n of them). */
static int walk(uint64_t off, const struct cap_block_meta *m, void *ctx)
{
	uint64_t *offs = ctx;

	(void)m;
	offs[++offs[0]] = off;
	return 0;
}

int main(void)
{
	const char *tmp = test_tmpdir("recover_once");
	char dir[4200], dir2[4200], seg[4300], err[8192], big[16384];
	uint64_t added = 0, offs[64] = { 0 };
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/cap", tmp);
	crash_capture(dir);
	snprintf(swap_from, sizeof(swap_from), "%s/junk", tmp);
	snprintf(swap_to, sizeof(swap_to), "%s/seg-000001.bpfrec", dir);
	f = fopen(swap_from, "w");
	CHECK(f && fputs("not a segment at all, not at all, not at all", f) >= 0 && !fclose(f));

	CHECK_EQ_INT(capw__recover(dir, &added), 0);
	CHECK_EQ_INT(opens_of_seg, 1);      /* one open, by name, once */
	CHECK_EQ_U64(added, AFTER);         /* from the file it opened */
	*swap_to = 0;

	/* A segment whose unindexed blocks are all damaged: 5 named, the
	 * rest counted in one line. */
	snprintf(dir2, sizeof(dir2), "%s/cap2", tmp);
	crash_capture(dir2);
	snprintf(seg, sizeof(seg), "%s/seg-000001.bpfrec", dir2);
	CHECK_EQ_INT(cap_segment__scan(seg, walk, offs, NULL, err, sizeof(err)), 0);
	CHECK_EQ_U64(offs[0], BEFORE + AFTER);
	{
		int fd = (int)syscall(SYS_openat, AT_FDCWD, seg, O_RDWR, 0);

		CHECK(fd >= 0);
		/* each unindexed block's frame, a byte past its 64-byte header */
		for (uint64_t i = BEFORE + 1; i <= offs[0]; i++) {
			uint8_t c;

			CHECK_EQ_INT(pread(fd, &c, 1, (off_t)offs[i] + 200), 1);
			c ^= 0x5a;
			CHECK_EQ_INT(pwrite(fd, &c, 1, (off_t)offs[i] + 200), 1);
		}
		close(fd);
	}
	test_stderr_begin();
	CHECK_EQ_INT(capw__recover(dir2, &added), 0);
	const char *said = test_stderr_end(big, sizeof(big));
	size_t lines = 0;

	for (const char *p = said; *p; p++)
		lines += *p == '\n';
	CHECK_EQ_U64(added, 0);
	CHECK_EQ_INT(lines, 6);
	for (int i = BEFORE + 1; i <= BEFORE + 5; i++) {
		snprintf(err, sizeof(err), "%s: block at offset %llu is damaged (", seg,
			 (unsigned long long)offs[i]);
		CHECK(strstr(said, err));
	}
	snprintf(err, sizeof(err), "%s: block at offset %llu is damaged (", seg,
		 (unsigned long long)offs[BEFORE + 6]);
	CHECK(!strstr(said, err));
	CHECK(strstr(said, "left unindexed; further damaged blocks of this segment are only "
			   "counted\n"));
	snprintf(err, sizeof(err), "%s: 8 damaged blocks left unindexed, 3 of them only counted\n",
		 seg);
	CHECK(strstr(said, err));
	puts("test_recover_once: ok");
	return 0;
}
