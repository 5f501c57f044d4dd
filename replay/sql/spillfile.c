/* spillfile.c - temporary files in $TMPDIR, unlinked at once (spillfile.h). */
#include "spillfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPILLFILE_NAME "bpfreplay-spill-XXXXXX"

/* why, of dir (from TMPDIR or not), into err; errno stays why. */
static void say(char *err, size_t errlen, int from_env, const char *dir, int why,
		const char *what)
{
	if (from_env)
		snprintf(err, errlen, "TMPDIR '%s': %s", dir, what ? what : strerror(why));
	else
		snprintf(err, errlen, "%s: %s", dir, what ? what : strerror(why));
	errno = why;
}

FILE *spillfile__open(char *err, size_t errlen)
{
	const char *env = getenv("TMPDIR"), *dir = env && *env ? env : "/tmp";
	int from_env = dir == env, fd;
	char path[PATH_MAX];
	struct stat st;
	FILE *f;

	if (dir[0] != '/') {
		/* relative: it would depend on the working directory */
		say(err, errlen, from_env, dir, EINVAL, "not an absolute path");
		return NULL;
	}
	if (strlen(dir) + sizeof("/" SPILLFILE_NAME) > sizeof(path)) {
		say(err, errlen, from_env, "...", ENAMETOOLONG, "longer than a path may be");
		return NULL;
	}
	if (stat(dir, &st)) {
		say(err, errlen, from_env, dir, errno, NULL);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		say(err, errlen, from_env, dir, ENOTDIR, NULL);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s%s" SPILLFILE_NAME, dir,
		 dir[strlen(dir) - 1] == '/' ? "" : "/");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		say(err, errlen, from_env, dir, errno, NULL);
		return NULL;
	}
	unlink(path);   /* unnamed from now on: the descriptor keeps it */
	f = fdopen(fd, "w+");
	if (!f) {
		int saved = errno;

		close(fd);
		say(err, errlen, from_env, dir, saved, NULL);
		return NULL;
	}
	return f;
}
