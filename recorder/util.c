#include "util.h"
#include "duration.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int util_quiet;

static void vmsg(const char *fmt, va_list ap)
{
	/* The status line lives on the terminal's last line: clear it first. */
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	fputs("bpfrec: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void info_msg(const char *fmt, ...)
{
	va_list ap;

	if (util_quiet)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t now_boot_ns(void) { return clock_ns(CLOCK_BOOTTIME); }
uint64_t now_real_ns(void) { return clock_ns(CLOCK_REALTIME); }
uint64_t now_mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

int parse_duration_ns(const char *s, uint64_t *ns)
{
	return cap_parse_duration_ns(s, ns);   /* bpfreplay's grammar too */
}

int parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end == 'i' && shift)
		end++;
	if ((*end == 'b' || *end == 'B') && shift)
		end++;
	if (*end || (shift && v > (~0ull >> shift)))
		return -EINVAL;
	*bytes = v << shift;
	return 0;
}

const char *fmt_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

/* The whole command line, for the session record (set by main). */
int bpfrec_argc;
char **bpfrec_argv;

size_t drop_repeated_offsets(void *v, size_t n, size_t elem_size, void (*drop)(void *elem))
{
	uint8_t *base = v;
	size_t i = 1;

	while (i < n) {
		uint8_t *cur = base + i * elem_size;
		uint64_t off, prev;

		memcpy(&off, cur, sizeof(off));
		memcpy(&prev, cur - elem_size, sizeof(prev));
		if (off != prev) {
			i++;
			continue;
		}
		drop(cur);
		memmove(cur, cur + elem_size, (n - i - 1) * elem_size);
		n--;
	}
	return n;
}
