/* timefmt.c - see timefmt.h.  Calendar arithmetic is done here (days from
 * civil, Howard Hinnant's algorithm) rather than with timegm()/gmtime_r() so
 * that it is exact, locale- and TZ-free, and works for any int64 ns. */
#include "timefmt.h"
#include "duration.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000LL

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

char *timefmt__iso(int64_t wall_ns, char *buf, size_t len)
{
	int64_t secs = wall_ns / NS_PER_S, ns = wall_ns % NS_PER_S;
	if (ns < 0) {
		ns += NS_PER_S;
		secs--;
	}
	int64_t days = secs / 86400, sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999 || len < TIMEFMT_LEN + 1) {
		snprintf(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02u.%09lldZ", (long long)y, m, d,
			 (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
			 (long long)ns);
		return buf;
	}
	/* the fixed-width common case, without printf: it runs once per row */
	static const char tmpl[] = "0000-00-00T00:00:00.000000000Z";
	const struct { int pos, width; uint64_t v; } f[] = {
		{ 0, 4, (uint64_t)y }, { 5, 2, m }, { 8, 2, d }, { 11, 2, (uint64_t)(sod / 3600) },
		{ 14, 2, (uint64_t)(sod / 60 % 60) }, { 17, 2, (uint64_t)(sod % 60) },
		{ 20, 9, (uint64_t)ns },
	};
	memcpy(buf, tmpl, sizeof(tmpl));
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint64_t v = f[i].v;
		for (int k = f[i].pos + f[i].width - 1; k >= f[i].pos; k--, v /= 10)
			buf[k] = (char)('0' + v % 10);
	}
	return buf;
}

/* Reads exactly n digits at *p. */
static int digits(const char **p, const char *end, int n, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < n; i++) {
		if (*p >= end || !isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int64_t to_wall(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
		       int64_t ns)
{
	return ((days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + s) * NS_PER_S + ns;
}

/* Parses up to 9 fraction digits (more are truncated); *p after them. */
static int64_t fraction(const char **p, const char *end, int *ndig)
{
	int64_t ns = 0;
	int n = 0;
	while (*p < end && isdigit((unsigned char)**p)) {
		if (n < 9) {
			ns = ns * 10 + (**p - '0');
			n++;
		}
		(*p)++;
	}
	*ndig = n;
	for (int i = n; i < 9; i++)
		ns *= 10;
	return ns;
}

int timefmt__parse_iso(const char *s, int64_t *wall_ns)
{
	const char *p = s, *end = s + strlen(s);
	unsigned y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t ns = 0, off = 0;

	if (digits(&p, end, 4, &y) || p >= end || *p++ != '-' || digits(&p, end, 2, &mo) ||
	    p >= end || *p++ != '-' || digits(&p, end, 2, &d))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -EINVAL;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if (digits(&p, end, 2, &h) || p >= end || *p++ != ':' || digits(&p, end, 2, &mi))
			return -EINVAL;
		if (p < end && *p == ':') {
			p++;
			if (digits(&p, end, 2, &sec))
				return -EINVAL;
			if (p < end && (*p == '.' || *p == ',')) {
				int n;
				p++;
				ns = fraction(&p, end, &n);
				if (!n)
					return -EINVAL;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -EINVAL;
	}
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p++ == '-' ? -1 : 1;
		unsigned oh, om = 0;
		if (digits(&p, end, 2, &oh))
			return -EINVAL;
		if (p < end && *p == ':')
			p++;
		if (p < end && digits(&p, end, 2, &om))
			return -EINVAL;
		if (oh > 23 || om > 59)
			return -EINVAL;
		off = sign * (int64_t)(oh * 3600 + om * 60) * NS_PER_S;
	}
	if (p != end)
		return -EINVAL;
	*wall_ns = to_wall(y, mo, d, h, mi, sec, ns) - off;
	return 0;
}

int timefmt__parse_duration(const char *s, int64_t *ns)
{
	uint64_t v;
	int err = cap_parse_duration_ns(s, &v);   /* bpfrec's grammar too */

	if (!err)
		*ns = (int64_t)v;   /* below 2^63 by the grammar */
	return err;
}

int timefmt__parse_bound(const char *s, const struct timeclock *c, uint64_t start_ts,
			 uint64_t end_ts, uint64_t *ts)
{
	int64_t v;

	if (*s == '+' || *s == '-') {
		if (timefmt__parse_duration(s + 1, &v))
			return -EINVAL;
		if (*s == '+')
			*ts = start_ts + (uint64_t)v;
		else
			*ts = (uint64_t)v > end_ts ? 0 : end_ts - (uint64_t)v;
		return 0;
	}
	if (!timefmt__parse_duration(s, &v)) {
		*ts = start_ts + (uint64_t)v;
		return 0;
	}
	if (!timefmt__parse_iso(s, &v)) {
		*ts = timeclock__ts(c, v);
		return 0;
	}
	return -EINVAL;
}

int timefmt__canonical_prefix(const char *s, size_t len, int64_t *wall_ns, int *full)
{
	/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ": field ends after which a cut is allowed. */
	static const char tmpl[] = "0000-00-00T00:00:00.000000000Z";
	unsigned v[6] = { 0, 1, 1, 0, 0, 0 };
	static const int pos[6] = { 0, 5, 8, 11, 14, 17 };
	int64_t ns = 0;

	if (len < 4 || len > TIMEFMT_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (tmpl[i] == '0' ? !isdigit((unsigned char)s[i]) : s[i] != tmpl[i])
			return 0;
	}
	/* A cut inside a date/time field (not the fraction) is not allowed. */
	if (len < 20 && len != 4 && len != 5 && len != 7 && len != 8 && len != 10 && len != 11 &&
	    len != 13 && len != 14 && len != 16 && len != 17 && len != 19)
		return 0;
	for (int f = 0; f < 6; f++) {
		int w = f ? 2 : 4;
		if ((size_t)(pos[f] + w) > len)
			break;
		v[f] = 0;
		for (int k = 0; k < w; k++)
			v[f] = v[f] * 10 + (unsigned)(s[pos[f] + k] - '0');
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > days_in_month(v[0], v[1]) || v[3] > 23 ||
	    v[4] > 59 || v[5] > 59)
		return 0;
	for (size_t i = 20; i < 29; i++)
		ns = ns * 10 + (i < len ? s[i] - '0' : 0);
	*wall_ns = to_wall(v[0], v[1], v[2], v[3], v[4], v[5], ns);
	*full = len == TIMEFMT_LEN;
	return 1;
}

int timefmt__parse_sql(const char *s, size_t len, int64_t *wall_ns)
{
	char buf[64];
	int full;

	if (timefmt__canonical_prefix(s, len, wall_ns, &full))
		return 0;
	if (len >= sizeof(buf) || memchr(s, 0, len))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	return timefmt__parse_iso(buf, wall_ns);
}

/* Canonical form: the fixed width and the two separators (the digits are
 * not checked: two canonical texts compare right as bytes either way). */
static int is_canonical(const char *s, int len)
{
	return len == TIMEFMT_LEN && s[10] == 'T' && s[19] == '.' && s[29] == 'Z';
}

int timefmt__collate(void *unused, int alen, const void *a, int blen, const void *b)
{
	int64_t wa, wb;
	int c;

	(void)unused;
	/* The column's own values are canonical: bytes order them (a sort of a
	 * million rows never parses). */
	if (!(is_canonical(a, alen) && is_canonical(b, blen)) &&
	    !timefmt__parse_sql(a, (size_t)alen, &wa) && !timefmt__parse_sql(b, (size_t)blen, &wb))
		return wa < wb ? -1 : wa > wb;
	c = memcmp(a, b, (size_t)(alen < blen ? alen : blen));
	return c ? c : alen - blen;
}
