/* capsize.c - see capsize.h. */
#include "capsize.h"
#include "segname.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cap_disk__measure(const char *path, struct cap_disk *out)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st))
		return -errno;
	if (S_ISREG(st.st_mode)) {      /* a bundle */
		out->index = out->total = (uint64_t)st.st_size;
		return 0;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int err = -errno;
		close(fd);
		return err;
	}
	while ((e = readdir(d))) {
		uint64_t *slot = NULL;

		if (!strcmp(e->d_name, "index.db") || !strcmp(e->d_name, "index.db-wal"))
			slot = &out->index;
		else if (!strcmp(e->d_name, "catalog.db"))
			slot = &out->catalog;
		else if (!cap_segment__parse_name(e->d_name, NULL))
			slot = &out->segments;
		if (!slot || fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		*slot += (uint64_t)st.st_size;
		out->nsegments += slot == &out->segments;
	}
	closedir(d);
	out->total = out->segments + out->index + out->catalog;
	return 0;
}

char *cap_disk__fmt(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
	else
		snprintf(buf, len, "%.1f %s (%" PRIu64 " bytes)", v, unit[u], bytes);
	return buf;
}
