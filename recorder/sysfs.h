/* sysfs.h - the kernel file systems the recorder needs, mounted if missing. */
#ifndef BPFREC_SYSFS_H
#define BPFREC_SYSFS_H

#include <stddef.h>

/* Makes sure tracefs is mounted (at /sys/kernel/tracing, or debugfs's
 * tracing/); mounts it if it is not.  *dir gets the tracing directory.
 * -errno with a message naming what is missing and how to provide it. */
int sysfs__tracefs(const char **dir);
/* The mount point of the cgroup v2 hierarchy from /proc/mounts, into buf.
 * -ENOENT with a message if there is none. */
int sysfs__cgroup2_root(char *buf, size_t len);
/* 1 if tracefs has events/<category>/<name>, 0 if not. */
int sysfs__has_tracepoint(const char *category, const char *name);

#endif
