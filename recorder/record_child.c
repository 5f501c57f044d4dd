/* record_child.c - the command bpfrec records: found in PATH, forked, and
 * held before its exec until every probe is attached. */
#include "record.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The command's path as execvp would find it, resolved before the fork:
 * the recording then holds one execve for it, not one per PATH entry tried. */
static int resolve_command(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *colon;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		if (access(out, X_OK) == 0)
			return 0;
		warn_msg("cannot run '%s': %s", cmd, strerror(errno));
		return -errno;
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p; p = colon + 1) {
		colon = strchrnul(p, ':');
		snprintf(out, len, "%.*s/%s", (int)(colon - p), *p == ':' ? "." : p, cmd);
		if (colon == p)
			snprintf(out, len, "./%s", cmd);
		if (access(out, X_OK) == 0)
			return 0;
		if (!*colon)
			break;
	}
	warn_msg("cannot run '%s': not found in PATH", cmd);
	return -ENOENT;
}

/* Forks COMMAND, stopped before exec until start_child(). */
int record__fork_child(struct recorder *r)
{
	char path[4096];
	int gate[2], err;
	sigset_t none;

	err = resolve_command(r->o->command[0], path, sizeof(path));
	if (err)
		return err;
	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	r->child = fork();
	if (r->child < 0) {
		int err = -errno;

		close(gate[0]);
		close(gate[1]);
		warn_msg("fork: %s", strerror(-err));
		return err;
	}
	if (r->child == 0) {
		char c;

		close(gate[1]);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* EOF without a byte: the recorder gave up, do not run. */
		if (read(gate[0], &c, 1) != 1)
			_exit(126);
		execv(path, r->o->command);
		fprintf(stderr, "bpfrec: cannot run '%s': %s\n", r->o->command[0], strerror(errno));
		_exit(127);
	}
	close(gate[0]);
	r->child_gate = gate[1];
	return 0;
}

void record__start_child(struct recorder *r)
{
	char go = 1;

	if (r->child_gate >= 0) {
		if (write(r->child_gate, &go, 1) != 1)
			warn_msg("starting the command: %s", strerror(errno));
		close(r->child_gate);
		r->child_gate = -1;
	}
}
