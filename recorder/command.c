/* command.c - the command bpfrec records: found in PATH, forked, and held
 * before its exec until every probe is attached (command.h). */
#include "command.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct command {
	char *const *argv;
	pid_t pid;                   /* 0 once reaped */
	int gate;                    /* write end: closing it lets it exec; -1 once started */
	int status;                  /* waitpid's, once reaped */
	int stop_signal;             /* the signal forwarded to it, 0: none */
	uint64_t deadline_ns;        /* then: killed if still running */
};

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

struct command *command__fork(char *const *argv)
{
	struct command *c;
	char path[4096];
	int gate[2], err;
	sigset_t none;

	err = resolve_command(argv[0], path, sizeof(path));
	if (err) {
		errno = -err;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->argv = argv;
	c->gate = -1;
	if (pipe2(gate, O_CLOEXEC)) {
		err = errno;
		warn_msg("running '%s': pipe: %s", argv[0], strerror(err));
		free(c);
		errno = err;
		return NULL;
	}
	c->pid = fork();
	if (c->pid < 0) {
		err = errno;
		close(gate[0]);
		close(gate[1]);
		free(c);
		warn_msg("running '%s': fork: %s", argv[0], strerror(err));
		errno = err;
		return NULL;
	}
	if (c->pid == 0) {
		char byte;

		close(gate[1]);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* EOF without a byte: the recorder gave up, do not run. */
		if (read(gate[0], &byte, 1) != 1)
			_exit(126);
		execv(path, argv);
		fprintf(stderr, "bpfrec: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(gate[0]);
	c->gate = gate[1];
	return c;
}

pid_t command__pid(const struct command *c)
{
	return c ? c->pid : 0;
}

void command__start(struct command *c)
{
	char go = 1;

	if (c && c->gate >= 0) {
		if (write(c->gate, &go, 1) != 1)
			warn_msg("starting the command: %s", strerror(errno));
		close(c->gate);
		c->gate = -1;
	}
}

int command__reap(struct command *c)
{
	int status;

	if (!c || c->pid <= 0 || waitpid(c->pid, &status, WNOHANG) != c->pid)
		return 0;
	c->status = status;
	c->pid = 0;
	return 1;
}

int command__forward(struct command *c, int sig, uint64_t now_ns)
{
	if (!c || c->pid <= 0 || c->gate >= 0 || c->stop_signal)
		return 0;
	c->stop_signal = sig;
	c->deadline_ns = now_ns + COMMAND_GRACE_NS;
	kill(c->pid, sig);
	return 1;
}

int command__overdue(const struct command *c, uint64_t now_ns)
{
	if (!c || c->pid <= 0 || !c->stop_signal || now_ns < c->deadline_ns)
		return 0;
	warn_msg("the command (pid %d) did not exit within %llu s of %s: killed", c->pid,
		 COMMAND_GRACE_NS / 1000000000ull, strsignal(c->stop_signal));
	return 1;
}

void command__stop(struct command *c)
{
	if (c && c->pid > 0 && c->gate < 0 && c->stop_signal) {
		kill(c->pid, SIGKILL);
		if (waitpid(c->pid, &c->status, 0) == c->pid)
			c->pid = 0;
	}
}

void command__abandon(struct command *c)
{
	pid_t w;

	if (!c || c->pid <= 0)
		return;
	if (c->gate >= 0) {
		/* Never started: closing the gate makes it exit at once. */
		close(c->gate);
		c->gate = -1;
		waitpid(c->pid, &c->status, 0);
		c->pid = 0;
		return;
	}
	/* The command outlives an aborted or interrupted recording. */
	w = waitpid(c->pid, &c->status, WNOHANG);
	if (w == 0)
		info_msg("recording stopped; the command (pid %d) keeps running", c->pid);
	else if (w == c->pid)
		c->pid = 0;
}

int command__exit_status(const struct command *c)
{
	if (!c || c->pid != 0)
		return -1;
	if (WIFEXITED(c->status)) {
		info_msg("command exited with status %d", WEXITSTATUS(c->status));
		return WEXITSTATUS(c->status);
	}
	if (WIFSIGNALED(c->status)) {
		info_msg("command killed by signal %d (%s)", WTERMSIG(c->status),
			 strsignal(WTERMSIG(c->status)));
		return 128 + WTERMSIG(c->status);
	}
	return 0;
}

void command__free(struct command *c)
{
	if (!c)
		return;
	if (c->gate >= 0)
		close(c->gate);
	free(c);
}
