/* test_record_exits.c - bpfrec's errors and exit statuses as a user meets
 * them: -o naming a file, the recorded command's status passed on (128+N
 * for signal N), SIGINT/SIGTERM forwarded to the command (no orphan), a
 * --bpf file that is not a BPF object, `probes` without root, and no
 * terminal control bytes on a stderr that is not a terminal. */
#include "capload.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char bpfrec[4096];

static pid_t read_pid(const char *file)
{
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(file, "r");
		int pid = 0;

		if (f) {
			int ok = fscanf(f, "%d", &pid) == 1;

			fclose(f);
			if (ok && pid > 0)
				return pid;
		}
		usleep(10000);
	}
	return 0;
}

/* bpfrec record -- sh -c 'SETUP echo $$ >PIDFILE; SCRIPT', signalled with
 * sig once the script wrote its pid, so after SETUP (a trap) is in place;
 * returns bpfrec's exit status, and in *script the script's pid. */
static int record_signalled(const char *dir, const char *name, const char *setup,
			    const char *script, int sig, pid_t *script_pid)
{
	char cap[4096], pidfile[4096], sh[8400];
	int status;
	pid_t pid;

	snprintf(cap, sizeof(cap), "%s/%s", dir, name);
	snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", dir, name);
	snprintf(sh, sizeof(sh), "%s echo $$ > %s; %s", setup, pidfile, script);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execl(bpfrec, bpfrec, "record", "-q", "-o", cap, "--probe", "exec,exit", "--",
		      "/bin/sh", "-c", sh, (char *)NULL);
		_exit(127);
	}
	*script_pid = read_pid(pidfile);
	CHECK(*script_pid > 0);
	kill(pid, sig);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}

int main(void)
{
	const char *dir = test_tmpdir("record_exits");
	char err[16384], path[4096], path2[4096];
	pid_t child;
	int rc, fd;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		return 77;
	}
	snprintf(bpfrec, sizeof(bpfrec), "%s/recorder/bpfrec", getenv("BPFREC_BUILD"));

	/* -o names a regular file, or a path under one: exit 1 with a reason. */
	snprintf(path, sizeof(path), "%s/afile", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	close(fd);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", path, "-d", "1", NULL });
	CHECK_EQ_INT(rc, 1);
	CHECK(strstr(err, "a file of that name exists"));
	snprintf(path2, sizeof(path2), "%s/afile/cap", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", path2, "-d", "1", NULL });
	CHECK_EQ_INT(rc, 1);
	CHECK(strstr(err, "is not a directory"));
	snprintf(path2, sizeof(path2), "%s/nodir/cap", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", path2, "-d", "1", NULL });
	CHECK_EQ_INT(rc, 1);
	CHECK(strstr(err, "No such file or directory"));

	/* --bpf with a text file: named as not ELF, not "Unknown error 4001". */
	snprintf(path, sizeof(path), "%s/notanobject.txt", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && write(fd, "hello\n", 6) == 6);
	close(fd);
	snprintf(path2, sizeof(path2), "%s/cap-notelf", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", path2, "--probe", "none",
						      "--bpf", path, "-d", "1", NULL });
	CHECK_EQ_INT(rc, 1);
	CHECK(strstr(err, "not an ELF file"));
	CHECK(!strstr(err, "Unknown error"));
	/* ELF, but the host's: this test's own executable. */
	{
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		CHECK(n > 0);
		self[n] = 0;
		snprintf(path2, sizeof(path2), "%s/cap-hostelf", dir);
		rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", path2, "--probe",
							      "none", "--bpf", self, "-d", "1", NULL });
		CHECK_EQ_INT(rc, 1);
		CHECK(strstr(err, "not for BPF"));
	}

	/* The command's exit status is bpfrec's; killed by signal N: 128+N. */
	snprintf(path, sizeof(path), "%s/exit3", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", path, "--probe", "exec",
						      "--", "/bin/sh", "-c", "exit 3", NULL });
	CHECK_EQ_INT(rc, 3);
	snprintf(path, sizeof(path), "%s/killed", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", path, "--probe", "exec",
						      "--", "/bin/sh", "-c", "kill -USR2 $$", NULL });
	CHECK_EQ_INT(rc, 128 + SIGUSR2);
	snprintf(path, sizeof(path), "%s/ok", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", path, "--probe", "exec",
						      "--", "/bin/true", NULL });
	CHECK_EQ_INT(rc, 0);

	/* SIGTERM / SIGINT to bpfrec go to the command: it ends, bpfrec passes
	 * its status on; nothing keeps running. */
	rc = record_signalled(dir, "term", "", "exec sleep 30", SIGTERM, &child);
	CHECK_EQ_INT(rc, 128 + SIGTERM);
	CHECK(kill(child, 0) == -1 && errno == ESRCH);
	rc = record_signalled(dir, "int", "", "exec sleep 30", SIGINT, &child);
	CHECK_EQ_INT(rc, 128 + SIGINT);
	CHECK(kill(child, 0) == -1 && errno == ESRCH);
	/* A command that handles the signal and exits by itself: its status. */
	rc = record_signalled(dir, "trap", "trap 'exit 5' TERM;", "while :; do sleep 0.05; done",
			      SIGTERM, &child);
	CHECK_EQ_INT(rc, 5);
	/* One that ignores it is killed after the grace period. */
	rc = record_signalled(dir, "ignore", "trap '' TERM;", "while :; do sleep 0.05; done", SIGTERM,
			      &child);
	CHECK_EQ_INT(rc, 128 + SIGKILL);
	CHECK(kill(child, 0) == -1 && errno == ESRCH);

	/* `probes` without root says so, rather than "no" for every probe. */
	rc = run_bpfrec_as(err, sizeof(err), (char *[]){ "probes", NULL }, 1);
	CHECK_EQ_INT(rc, 1);
	CHECK(strstr(err, "needs root"));

	/* --status on a pipe: lines, never "\r\e[K". */
	snprintf(path, sizeof(path), "%s/status", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-o", path, "--probe", "exec",
						      "--status", "-d", "1500ms", NULL });
	CHECK_EQ_INT(rc, 0);
	CHECK(strstr(err, "| lost 0 |"));
	CHECK(!strchr(err, '\r') && !strchr(err, '\033'));
	snprintf(path, sizeof(path), "%s/nostatus", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-o", path, "--probe", "exec",
						      "--no-status", "-d", "300ms", NULL });
	CHECK_EQ_INT(rc, 0);
	CHECK(strstr(err, "capture "));
	CHECK(!strchr(err, '\r') && !strchr(err, '\033'));

	puts("test_record_exits: ok");
	return 0;
}
