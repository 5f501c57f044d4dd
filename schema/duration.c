/* duration.c - see duration.h. */
#include "duration.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int cap_parse_duration_ns(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
		{ "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 },
	};
	char *end;
	double v;

	/* Digits with at most one point: strtod alone would also take a sign,
	 * blanks, exponents, "inf", "nan" and hex. */
	size_t len = strspn(s, "0123456789."), points = 0;

	for (size_t i = 0; i < len; i++)
		points += s[i] == '.';
	if (!len || points > 1 || (points && len == 1))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end != s + len || !isfinite(v) || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].unit)) {
			double r = v * units[i].mult + 0.5;

			if (r >= 9.2e18)
				return -EINVAL;
			*ns = (uint64_t)r;
			return 0;
		}
	}
	return -EINVAL;
}
