/* test_record_cli.c - bpfrec record's command line and life cycle: usage
 * errors exit 2 and name the option, Ctrl-C and --duration finish the
 * capture cleanly, -p keeps one process tree, a used directory is refused
 * and left untouched; the end summary's "on disk" is info's. */
#include "capload.h"
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char bpfrec[4096];

static char text_buf[8192];
static const char *query_text(const char *cap, const char *sql)
{
	char path[4096];
	sqlite3 *db;
	sqlite3_stmt *st;

	CHECK(snprintf(path, sizeof(path), "%s/index.db", cap) < (int)sizeof(path));
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	snprintf(text_buf, sizeof(text_buf), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return text_buf;
}

int main(void)
{
	const char *dir = test_tmpdir("record_cli");
	char err[16384], cap[4096], cap2[4096], buf[64];
	struct evlist l;
	int rc, status;
	pid_t pid, target;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		return 77;
	}
	snprintf(bpfrec, sizeof(bpfrec), "%s/recorder/bpfrec", getenv("BPFREC_BUILD"));

	/* Usage errors: exit 2, the message names the option and the value. */
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "--bogus", NULL });
	CHECK_EQ_INT(rc, 2);
	CHECK(strstr(err, "bogus"));
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "--probe", "nosuch", NULL });
	CHECK_EQ_INT(rc, 2);
	CHECK(strstr(err, "--probe nosuch: no such built-in probe"));
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "--duration", "soon", NULL });
	CHECK_EQ_INT(rc, 2);
	CHECK(strstr(err, "--duration soon"));
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "--perf-pages", "3", NULL });
	CHECK_EQ_INT(rc, 2);
	CHECK(strstr(err, "power of 2"));
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "frobnicate", NULL });
	CHECK_EQ_INT(rc, 2);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "--help", NULL });
	CHECK_EQ_INT(rc, 0);

	/* A directory that holds something is refused and left as it was. */
	snprintf(cap, sizeof(cap), "%s/used", dir);
	mkdir(cap, 0755);
	snprintf(cap2, sizeof(cap2), "%s/used/keep", dir);
	close(open(cap2, O_CREAT | O_WRONLY, 0644));
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", cap, "-d", "1", NULL });
	CHECK_EQ_INT(rc, 1);
	CHECK(strstr(err, "not empty"));
	CHECK(access(cap2, F_OK) == 0);

	/* A command that cannot run: error, and no capture left behind. */
	snprintf(cap, sizeof(cap), "%s/nocmd", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", cap, "--",
						      "/nonexistent/cmd", NULL });
	CHECK_EQ_INT(rc, 1);
	CHECK(strstr(err, "cannot run '/nonexistent/cmd'"));
	CHECK(access(cap, F_OK) != 0);

	/* --duration: stops by itself, the session has an end. */
	snprintf(cap, sizeof(cap), "%s/dur", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", cap, "--probe", "exec",
						      "-d", "500ms", NULL });
	CHECK_EQ_INT(rc, 0);
	CHECK(q_int_index(cap, "SELECT end_ns - start_ns FROM sessions") >= 500000000);
	CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM streams"), 1);

	/* --status: one line a second with the rates, the loss and the bytes. */
	snprintf(cap, sizeof(cap), "%s/status", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-o", cap, "--probe", "exec,exit",
						      "--status", "-d", "2200ms", NULL });
	CHECK_EQ_INT(rc, 0);
	CHECK(strstr(err, " exec ") && strstr(err, "/s exit "));
	CHECK(strstr(err, "| lost 0 |") && strstr(err, " written"));
	/* The end summary and bpfreplay info agree on "on disk": the same
	 * number in the same words (schema/capsize.h). */
	{
		char cmd[4096 + 128], line[512], disk[512], *p, *q;
		const char *sum = strstr(err, " raw, ");
		FILE *f;

		CHECK(sum);
		sum += strlen(" raw, ");
		q = strstr(sum, " on disk");
		CHECK(q && q - sum < 64);
		snprintf(cmd, sizeof(cmd), "%s/replay/bpfreplay info '%s'", getenv("BPFREC_BUILD"),
			 cap);
		CHECK((f = popen(cmd, "r")));
		p = NULL;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "on disk ", 8))
				p = strcpy(disk, line + strspn(line + 7, " ") + 7);
		CHECK(pclose(f) == 0);
		if (!p || strncmp(p, sum, (size_t)(q - sum)) || strncmp(p + (q - sum), " (blocks", 8)) {
			fprintf(stderr, "on disk: the recorder says '%.*s', info says '%s'\n",
				(int)(q - sum), sum, p ? p : "(nothing)");
			exit(1);
		}
		CHECK(strstr(sum, " bytes) on disk"));   /* the exact count, not only a rounding */
	}
	/* sessions.cmdline is the command line as given, shell-quoted: the
	 * option parser's tokenizing of "exec,exit" does not show in it. */
	{
		char want[4096 + 128];
		CHECK(snprintf(want, sizeof(want), "%s record -o %s --probe exec,exit --status "
			       "-d 2200ms", bpfrec, cap) < (int)sizeof(want));
		CHECK_EQ_INT(q_int_index(cap, "SELECT count(*) FROM sessions"), 1);
		CHECK_STR(query_text(cap, "SELECT cmdline FROM sessions"), want);
	}

	/* SIGINT (Ctrl-C) finishes the capture cleanly: exit 0, end recorded,
	 * events recorded before the signal are there. */
	snprintf(cap, sizeof(cap), "%s/sigint", dir);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execl(bpfrec, bpfrec, "record", "-q", "-o", cap, "--probe", "exec,exit", NULL);
		_exit(127);
	}
	sleep(2);   /* loaded and attached by then */
	CHECK_EQ_INT(run_cmd((char *[]){ "/bin/true", NULL }), 0);
	usleep(200000);
	kill(pid, SIGINT);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
	CHECK(q_int_index(cap, "SELECT end_ns FROM sessions") > 0);
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK(ev_count(&l, "exec", "filename", "/bin/true") >= 1);
	capload_free(&l);

	/* -p PID: only that process (and its children) */
	target = fork();
	if (target == 0) {
		sleep(2);
		execl("/bin/echo", "echo", "from-target", (char *)NULL);
		_exit(127);
	}
	snprintf(cap, sizeof(cap), "%s/pid", dir);
	snprintf(buf, sizeof(buf), "%d", target);
	pid = fork();
	if (pid == 0) {
		execl(bpfrec, bpfrec, "record", "-q", "-o", cap, "-p", buf, "--probe", "exec,exit",
		      "-d", "4", NULL);
		_exit(127);
	}
	usleep(500000);
	run_cmd((char *[]){ "/bin/true", NULL });   /* not the target: not recorded */
	waitpid(target, &status, 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_INT(ev_count(&l, "exec", NULL, NULL), 1);
	CHECK(ev_find(&l, "exec", "filename", "/bin/echo"));
	CHECK_EQ_INT(ev_count(&l, "exit", "pid", buf), 1);
	CHECK_EQ_INT(ev_count(&l, "exec", "filename", "/bin/true"), 0);
	capload_free(&l);

	/* tracefs: mounted when missing; named when it cannot be had.  Each case
	 * in a private mount namespace, so the machine's mounts are untouched. */
	for (int hide = 0; hide < 2; hide++) {
		int pfd[2];
		char msg[4096] = "";
		ssize_t got;

		CHECK(pipe(pfd) == 0);
		snprintf(cap, sizeof(cap), "%s/tracefs%d", dir, hide);
		pid = fork();
		if (pid == 0) {
			close(pfd[0]);
			if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
				_exit(77);
			umount2("/sys/kernel/tracing", MNT_DETACH);
			umount2("/sys/kernel/debug/tracing", MNT_DETACH);
			/* hide: a read-only empty /sys/kernel, so there is no mount point */
			if (hide && mount("none", "/sys/kernel", "tmpfs", MS_RDONLY, NULL))
				_exit(77);
			rc = run_bpfrec(msg, sizeof(msg), (char *[]){ "record", "-o", cap, "--probe",
								      "exec", "-d", "200ms", NULL });
			if (write(pfd[1], msg, strlen(msg)) < 0)
				_exit(99);
			_exit(rc);
		}
		close(pfd[1]);
		got = read(pfd[0], err, sizeof(err) - 1);
		err[got > 0 ? got : 0] = 0;
		close(pfd[0]);
		CHECK(waitpid(pid, &status, 0) == pid);
		if (WEXITSTATUS(status) == 77) {
			fprintf(stderr, "note: no private mount namespace here: tracefs cases not run\n");
			break;
		}
		if (!hide) {
			CHECK_EQ_INT(WEXITSTATUS(status), 0);
			CHECK(strstr(err, "mounted tracefs on /sys/kernel/tracing"));
		} else {
			CHECK_EQ_INT(WEXITSTATUS(status), 1);
			CHECK(strstr(err, "tracefs: /sys/kernel/tracing does not exist"));
		}
	}

	printf("ok: record command line and life cycle\n");
	return 0;
}
