/* fuzzutil.h - what the fuzz targets share: a scratch directory, files
 * written whole, and a reader that touches every value of a capture the
 * way bpfreplay show and sql do.  Header-only (static functions). */
#ifndef BPFREC_FUZZUTIL_H
#define BPFREC_FUZZUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capview.h"

static char fuzz_dir[256];

static int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void fuzz_rm_dir(void)
{
	if (fuzz_dir[0])
		nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory in /dev/shm (else $TMPDIR, /tmp), removed at exit (not
 * after a crash: the files are small). */
static const char *fuzz_tmpdir(void)
{
	if (fuzz_dir[0])
		return fuzz_dir;
	const char *base = access("/dev/shm", W_OK) ? getenv("TMPDIR") : "/dev/shm";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/bpfrec-fuzz.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(fuzz_dir))
		abort();
	atexit(fuzz_rm_dir);
	return fuzz_dir;
}

static void fuzz_write(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, (const char *)data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	close(fd);
}

/* Opens path as bpfreplay does and reads every block and every value of
 * every record; all errors are expected (damage), none may crash. */
__attribute__((unused)) static void fuzz_read_all(const char *path)
{
	char err[1024], tb[TIMEFMT_LEN + 1], text[256];
	struct capview *c = capview__open(path, err, sizeof(err));

	if (!c)
		return;
	size_t nb;
	const struct cap_block_info *bl = capview__blocks(c, &nb);
	struct capr_cursor *cur = capr__cursor_new(capview__capr(c));
	for (size_t i = 0; cur && i < nb; i++) {
		const struct cap_rec *recs;
		uint32_t n;
		if (capr__cursor_read(cur, &bl[i], &recs, &n, err, sizeof(err)))
			continue;
		for (uint32_t k = 0; k < n; k++) {
			struct capview_stream *s = capview__stream_by_id(c, recs[k].stream);
			if (!s || evtype__check(s->et, recs[k].len))
				continue;
			for (size_t col = 0; col < CAPVIEW_NCOMMON + s->ncols; col++) {
				struct pval v;
				capview__value(c, s, &recs[k], col, &v, tb);
				if (col >= CAPVIEW_NCOMMON)
					evtype__format(s->et, col - CAPVIEW_NCOMMON, recs[k].data,
						       recs[k].len, text, sizeof(text));
			}
		}
	}
	capr__cursor_free(cur);
	capview__close(c);
}

#endif
