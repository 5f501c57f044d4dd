/* segname.c - segment file names (segname.h). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "segname.h"

char *cap_segment__name(uint32_t no, char out[CAP_SEG_NAME_MAX])
{
	snprintf(out, CAP_SEG_NAME_MAX, "seg-%06" PRIu32 ".bpfrec", no);
	return out;
}

int cap_segment__parse_name(const char *name, uint32_t *no)
{
	char canon[CAP_SEG_NAME_MAX];
	uint64_t v = 0;
	const char *p;

	if (strncmp(name, "seg-", 4))
		return -EINVAL;
	for (p = name + 4; *p >= '0' && *p <= '9' && p - name < 4 + 10; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (p == name + 4 || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	/* The one spelling of that number: no extra zero, nothing after. */
	if (strcmp(name, cap_segment__name((uint32_t)v, canon)))
		return -EINVAL;
	if (no)
		*no = (uint32_t)v;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int cap_segment__list(const char *dir, uint32_t **nos, size_t *n)
{
	DIR *d = opendir(dir);
	uint32_t *v = NULL, no;
	size_t nv = 0, cap = 0;
	struct dirent *de;
	int rc = 0;

	*nos = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (cap_segment__parse_name(de->d_name, &no))
			continue;
		if (nv == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			uint32_t *p = realloc(v, ncap * sizeof(*v));

			if (!p) {
				rc = -ENOMEM;
				break;
			}
			v = p;
			cap = ncap;
		}
		v[nv++] = no;
	}
	closedir(d);
	if (rc) {
		free(v);
		return rc;
	}
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_u32);
	*nos = v;
	*n = nv;
	return 0;
}

uint32_t cap_segment__dropped_through(sqlite3 *db)
{
	sqlite3_stmt *q = NULL;
	uint32_t no = 0;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'ring_dropped_through'", -1,
			       &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(q, 0), *p = v;
		uint64_t n = 0;

		for (; p && *p >= '0' && *p <= '9' && n <= UINT32_MAX; p++)
			n = n * 10 + (uint64_t)(*p - '0');
		if (p && p != v && !*p && n <= UINT32_MAX)
			no = (uint32_t)n;
	}
	sqlite3_finalize(q);
	return no;
}
