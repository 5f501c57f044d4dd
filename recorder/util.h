/* util.h - messages and small helpers of the recorder. */
#ifndef BPFREC_UTIL_H
#define BPFREC_UTIL_H

#include <stdint.h>
#include <stdarg.h>
#include <stddef.h>

/* "bpfrec: <msg>" on stderr; the status line is cleared first. */
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int util_quiet;              /* --quiet: no info messages */

uint64_t now_boot_ns(void);         /* CLOCK_BOOTTIME */
uint64_t now_real_ns(void);         /* CLOCK_REALTIME */
uint64_t now_mono_ns(void);

/* A duration in schema/duration.h's grammar ("10", "1.5s", "500ms",
 * "1000000ns", "2m") into ns.  -EINVAL if not. */
int parse_duration_ns(const char *s, uint64_t *ns);
/* Parses "4096", "64k", "4M", "1G" (binary units).  -EINVAL if not. */
int parse_size(const char *s, uint64_t *bytes);
/* In n elements of elem_size bytes that start with a uint64_t file offset
 * and are sorted by it, keeps the first of each run of equal offsets: the
 * others are given to drop() (to free what they own) and removed.  Returns
 * how many are left. */
size_t drop_repeated_offsets(void *v, size_t n, size_t elem_size, void (*drop)(void *elem));
/* "1.2 MiB" etc. into buf. */
const char *fmt_bytes(uint64_t n, char *buf, size_t len);

#endif
