#include "sysfs.h"
#include "util.h"

#include <errno.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

static char tracing_dir[256];

static int is_fs(const char *path, long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (long)st.f_type == magic;
}

int sysfs__tracefs(const char **dir)
{
	static const char *const candidates[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	size_t i;

	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (is_fs(candidates[i], TRACEFS_MAGIC)) {
			snprintf(tracing_dir, sizeof(tracing_dir), "%s", candidates[i]);
			goto found;
		}
	}
	if (access("/sys/kernel/tracing", F_OK)) {
		warn_msg("tracefs: /sys/kernel/tracing does not exist: this kernel has no tracefs "
			 "(CONFIG_TRACING): tracepoint probes cannot attach");
		return -ENOENT;
	}
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		int err = -errno;

		warn_msg("tracefs: not mounted, and mounting it on /sys/kernel/tracing failed: %s "
			 "(mount it with: mount -t tracefs nodev /sys/kernel/tracing)", strerror(-err));
		return err;
	}
	info_msg("mounted tracefs on /sys/kernel/tracing");
	snprintf(tracing_dir, sizeof(tracing_dir), "/sys/kernel/tracing");
found:
	if (dir)
		*dir = tracing_dir;
	return 0;
}

int sysfs__cgroup2_root(char *buf, size_t len)
{
	struct mntent *m;
	FILE *f = setmntent("/proc/mounts", "r");
	int err = -ENOENT;

	if (!f) {
		err = -errno;
		warn_msg("/proc/mounts: %s", strerror(errno));
		return err;
	}
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			err = 0;
			break;
		}
	}
	endmntent(f);
	if (err)
		warn_msg("cgroup v2: no cgroup2 file system in /proc/mounts (mount one with: "
			 "mount -t cgroup2 none /sys/fs/cgroup/unified), or give --cgroup PATH");
	return err;
}

int sysfs__has_tracepoint(const char *category, const char *name)
{
	char path[512];

	if (!tracing_dir[0] && sysfs__tracefs(NULL))
		return 0;
	snprintf(path, sizeof(path), "%s/events/%s/%s", tracing_dir, category, name);
	return access(path, F_OK) == 0;
}
