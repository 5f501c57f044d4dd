/* utf8.c - see utf8.h. */
#include "utf8.h"

#include <stdio.h>
#include <string.h>

size_t utf8__seq(const void *s, size_t n, uint32_t *cp_out)
{
	const unsigned char *u = s;
	size_t need;
	uint32_t cp, min;

	if (u[0] < 0x80) {
		need = 1, cp = u[0];
		goto ok;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		need = 2, cp = u[0] & 0x1f, min = 0x80;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		need = 3, cp = u[0] & 0x0f, min = 0x800;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		need = 4, cp = u[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
ok:
	if (cp_out)
		*cp_out = cp;
	return need;
}

int utf8__json_string(const void *s, size_t n, unsigned flags, utf8_sink put, void *ctx)
{
	const unsigned char *u = s;
	size_t i = 0, run = 0;   /* bytes u[i - run .. i) pass through as they are */
	int rc;

	if ((rc = put(ctx, "\"", 1)))
		return rc;
	while (i < n) {
		unsigned char c = u[i];
		char tmp[8];
		const char *e = NULL;
		size_t k = 1;

		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (c >= 0x80 && !(k = utf8__seq(u + i, n - i, NULL)) &&
			    (flags & UTF8_JSON_RAW_BYTES))
				k = 1;
			if (c < 0x20 || c == 0x7f || !k) {
				snprintf(tmp, sizeof(tmp), "\\u%04x", c);
				e = tmp;
				k = 1;
			}
		}
		if (e) {
			if ((run && (rc = put(ctx, (const char *)u + i - run, run))) ||
			    (rc = put(ctx, e, strlen(e))))
				return rc;
			run = 0;
		} else {
			run += k;
		}
		i += k;
	}
	if (run && (rc = put(ctx, (const char *)u + i - run, run)))
		return rc;
	return put(ctx, "\"", 1);
}
