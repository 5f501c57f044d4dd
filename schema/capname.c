/* capname.c - see capname.h. */
#include <errno.h>
#include <stdio.h>

#include "capname.h"

int cap_name__check(const char *name, size_t len)
{
	if (!name || len == 0 || len > CAP_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		int more = (c >= '0' && c <= '9') || c == '.' || c == ':' || c == '-';

		if (!alpha && (i == 0 || !more))
			return -EINVAL;
	}
	return 0;
}

char *cap_name__show(const char *s, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	if (!outlen)
		return out;
	for (size_t i = 0; s && i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char piece[8];
		int n = c == '\\' ? snprintf(piece, sizeof(piece), "\\\\")
			: c < 0x20 || c >= 0x7f ? snprintf(piece, sizeof(piece), "\\x%02x", c)
			: snprintf(piece, sizeof(piece), "%c", c);

		if (o + (size_t)n + 4 > outlen) {       /* room for "..." and the NUL */
			if (o + 4 <= outlen)
				o += (size_t)snprintf(out + o, outlen - o, "...");
			break;
		}
		for (int k = 0; k < n; k++)
			out[o++] = piece[k];
	}
	out[o < outlen ? o : outlen - 1] = 0;
	return out;
}
