/* test_tracepoints.c - `bpfrec record -e SYSTEM:NAME`: tracepoints by name
 * recorded by the generic program, decoded by replay from the BTF the
 * capture carries, and found exactly, field by field, for a child doing
 * known things (tpactor.c): its exec (a __data_loc file name), its forks,
 * a signal to a known pid, sched_switch under pipe ping-pong on one CPU.
 * Also: a glob, a filter evaluated in the kernel that keeps one pid (with
 * && and ||), and names and filters that are wrong (exit 2, named).
 * --syscalls openat,connect,read: an ENOENT open of a known path, a
 * refused connect to a known port, a read, each one row at its return. */
#include "capload.h"
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char bpfrec[4096], replay[4096], tpactor[4096], never[4096];

static void check_usage_error(const char *want, char *const args[])
{
	char *argv[32] = { bpfrec, "record", "-q", "-o", never, NULL };
	char err[8192];
	int i, rc;

	for (i = 0; args[i]; i++)
		argv[5 + i] = args[i];
	argv[5 + i] = NULL;
	rc = run_cmd_err(argv, err, sizeof(err));
	if (rc != 2 || !strstr(err, want) || access(never, F_OK) == 0) {
		fprintf(stderr, "FAIL: %s ...: exit %d (want 2), stderr without '%s'\n", args[0], rc,
			want);
		exit(1);
	}
}

/* Every event of stream whose field equals value has field2 == value2. */
static void check_all(const struct evlist *l, const char *stream, const char *field,
		      const char *value, const char *field2, const char *value2)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct ev *e = &l->v[i];
		const char *v = ev_get(e, field), *v2 = ev_get(e, field2);

		if (strcmp(e->stream, stream) || !v || strcmp(v, value))
			continue;
		if (!v2 || strcmp(v2, value2)) {
			fprintf(stderr, "FAIL: %s with %s=%s has %s=%s, want %s\n", stream, field, value,
				field2, v2 ? v2 : "(none)", value2);
			ev_dump(l, stream);
			exit(1);
		}
	}
}

/* A sleep with SIGUSR1, SIGUSR2 and SIGTERM blocked (kept across exec),
 * alive until the test kills it (or ends: the parent's death kills it),
 * not for a time of its own that a slow machine could use up before the
 * signals come. */
static pid_t start_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGUSR2);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sleep", "sleep", "600", (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0);
	/* Its comm is the filter's: wait for the exec (60 s at most). */
	for (time_t end = time(NULL) + 60; time(NULL) < end;) {
		char path[64], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, "sleep\n")) {
			fclose(f);
			return pid;
		}
		if (f)
			fclose(f);
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
		usleep(1000);
	}
	fprintf(stderr, "FAIL: the sleeper (pid %d) did not exec /bin/sleep\n", (int)pid);
	kill(pid, SIGKILL);
	exit(1);
}

/* Show's output formats, as the checks below read them. */
enum fmt { F_LINE, F_JSONL, F_CSV, F_N };

/* The argument columns (path, path2, family, port, addr) of one row of
 * show's output as the row's syscall has them: the keys of `keys` present
 * (their values checked by the caller), the others absent.  Absent is no
 * KEY= in a line, no "KEY": in a JSON object, an empty cell in CSV (text:
 * the whole CSV output, its header first), where present is a cell with a
 * value or "" (an empty path). */
static void check_sys_keys(enum fmt f, const char *text, const char *line,
			   const char *const *keys)
{

	static const char *const all[] = { "path", "path2", "family", "port", "addr", NULL };

	for (int i = 0; all[i]; i++) {
		char key[32], cell[256];
		int want = 0, has;

		for (int k = 0; keys[k]; k++)
			want |= !strcmp(keys[k], all[i]);
		if (f == F_CSV) {
			has = *csv_cell(text, line, all[i], cell, sizeof(cell)) != 0;
		} else {
			snprintf(key, sizeof(key), f == F_LINE ? " %s=" : "\"%s\":", all[i]);
			has = strstr(line, key) != NULL;
		}
		if (has != want) {
			fprintf(stderr, "FAIL: show's row %s'%s': %s\n", want ? "lacks " : "has ",
				all[i], line);
			exit(1);
		}
	}
}

static void pidstr(char *buf, long long pid)
{
	snprintf(buf, 24, "%lld", pid);
}

int main(void)
{
	const char *dir = test_tmpdir("tracepoints");
	char cap[4096], out[4096], err[16384], p_actor[24], p_exec[24], p_sig[24], p_pong[24];
	struct evlist l;
	const struct ev *e;
	long long actor, exec_pid, sig_pid, pong_pid, rounds;
	size_t n_prev_actor = 0, n_prev_pong = 0, i;
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		return 77;
	}
	snprintf(bpfrec, sizeof(bpfrec), "%s/recorder/bpfrec", getenv("BPFREC_BUILD"));
	snprintf(replay, sizeof(replay), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	snprintf(tpactor, sizeof(tpactor), "%s/tests/bpf/tpactor", getenv("BPFREC_BUILD"));
	snprintf(never, sizeof(never), "%s/never", dir);   /* a usage error creates no capture */

	/* Wrong names and filters: exit 2, before anything loads, named. */
	check_usage_error("-e sched:nope: no such tracepoint in this kernel",
			  (char *[]){ "-e", "sched:nope", "-d", "1", NULL });
	check_usage_error("-e nope*:*: no tracepoint matches",
			  (char *[]){ "-e", "nope*:*", "-d", "1", NULL });
	check_usage_error("expected SYSTEM:NAME", (char *[]){ "-e", "sched_switch", NULL });
	check_usage_error("--filter 'next_pid == 1': give it after the -e",
			  (char *[]){ "--filter", "next_pid == 1", "-e", "sched:sched_switch", NULL });
	check_usage_error("--filter 'pid == 1': field pid not in sched:sched_switch",
			  (char *[]){ "-e", "sched:sched_switch", "--filter", "pid == 1", "-d", "1",
				      NULL });
	check_usage_error("strings compare with == and != only",
			  (char *[]){ "-e", "sched:sched_switch", "--filter", "prev_comm < \"a\"",
				      "-d", "1", NULL });

	/* The workload, recorded with four tracepoints and a glob. */
	snprintf(cap, sizeof(cap), "%s/cap", dir);
	snprintf(out, sizeof(out), "%s/actor.out", dir);
	rc = run_cmd_err((char *[]){ bpfrec, "record", "-q", "-o", cap, "-e",
				     "sched:sched_process_exec,sched:sched_process_fork", "-e",
				     "signal:signal_generate", "-e", "sched:sched_switch", "-e",
				     "sched:sched_process_e?it", "--", tpactor, out, NULL },
			 err, sizeof(err));
	CHECK_EQ_INT(rc, 0);
	actor = kv_get(out, "pid");
	exec_pid = kv_get(out, "exec_pid");
	sig_pid = kv_get(out, "sig_pid");
	pong_pid = kv_get(out, "pong_pid");
	rounds = kv_get(out, "rounds");
	pidstr(p_actor, actor);
	pidstr(p_exec, exec_pid);
	pidstr(p_sig, sig_pid);
	pidstr(p_pong, pong_pid);
	CHECK_EQ_INT(capload(cap, &l), 0);
	capload_sort_time(&l);   /* the comm checks below go in time order */
	CHECK_EQ_U64(l.lost, 0);

	/* exec: the child's one exec of /bin/true, with the __data_loc name */
	CHECK_EQ_INT(ev_count(&l, "sched_process_exec", "pid", p_exec), 1);
	e = ev_find(&l, "sched_process_exec", "pid", p_exec);
	CHECK_STR(ev_get(e, "filename"), "/bin/true");
	CHECK_EQ_INT(ev_int(e, "old_pid"), exec_pid);
	CHECK_EQ_INT(ev_int(e, "common_pid"), exec_pid);
	CHECK_EQ_INT(ev_int(e, "common_type") > 0, 1);
	CHECK(ev_get(e, "common_flags") == NULL);   /* unknowable to BPF: no column */
	/* and bpfrec's exec of the command itself */
	CHECK_EQ_INT(ev_count(&l, "sched_process_exec", "pid", p_actor), 1);
	CHECK_STR(ev_get(ev_find(&l, "sched_process_exec", "pid", p_actor), "filename"), tpactor);
	CHECK_EQ_INT(ev_count(&l, "sched_process_exec", NULL, NULL), 2);
	/* the record's padding after its 20-byte raw part (time 0-7, raw
	 * 8-27, filename's slot from 32) is zeros, not the staging area's
	 * earlier bytes */
	for (i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].stream, "sched_process_exec")) {
			CHECK(l.v[i].len >= 32 && l.v[i].raw);
			CHECK_EQ_INT(l.v[i].raw[28] | l.v[i].raw[29] | l.v[i].raw[30] | l.v[i].raw[31], 0);
		}

	/* fork: the actor's three children, nothing else */
	CHECK_EQ_INT(ev_count(&l, "sched_process_fork", NULL, NULL), 3);
	CHECK_EQ_INT(ev_count(&l, "sched_process_fork", "parent_pid", p_actor), 3);
	e = ev_find(&l, "sched_process_fork", "child_pid", p_exec);
	CHECK(e != NULL);
	CHECK_STR(ev_get(e, "parent_comm"), "tpactor");
	CHECK_STR(ev_get(e, "child_comm"), "tpactor");
	CHECK_EQ_INT(ev_int(e, "common_pid"), actor);
	CHECK(ev_find(&l, "sched_process_fork", "child_pid", p_sig) != NULL);
	CHECK(ev_find(&l, "sched_process_fork", "child_pid", p_pong) != NULL);

	/* signal: exactly one SIGUSR1, from the actor to tpactor-sig */
	CHECK_EQ_INT(ev_count(&l, "signal_generate", "sig", "10"), 1);
	e = ev_find(&l, "signal_generate", "sig", "10");
	CHECK_EQ_INT(ev_int(e, "pid"), sig_pid);
	CHECK_STR(ev_get(e, "comm"), "tpactor-sig");
	CHECK_EQ_INT(ev_int(e, "common_pid"), actor);
	CHECK_EQ_INT(ev_int(e, "result"), 0);
	CHECK_EQ_INT(ev_int(e, "errno"), 0);
	/* and the SIGCHLDs of the three children to the actor */
	CHECK_EQ_INT(ev_count(&l, "signal_generate", "pid", p_actor), 3);
	check_all(&l, "signal_generate", "pid", p_actor, "sig", "17");

	/* sched_switch: on one CPU, every round passes the CPU from one to the
	 * other and back, so each is switched out at least once a round */
	for (i = 0; i < l.n; i++) {
		const char *comm;

		if (strcmp(l.v[i].stream, "sched_switch"))
			continue;
		n_prev_actor += !strcmp(ev_get(&l.v[i], "prev_pid"), p_actor);
		if (strcmp(ev_get(&l.v[i], "prev_pid"), p_pong))
			continue;
		/* named tpactor-pong from its prctl() on; tpactor before it */
		comm = ev_get(&l.v[i], "prev_comm");
		n_prev_pong += !strcmp(comm, "tpactor-pong");
		CHECK(!strcmp(comm, "tpactor-pong") || (!strcmp(comm, "tpactor") && !n_prev_pong));
	}
	fprintf(stderr, "sched_switch: actor out %zu, pong out %zu, rounds %lld\n", n_prev_actor,
		n_prev_pong, rounds);
	CHECK(n_prev_actor >= (size_t)rounds - 1);
	CHECK(n_prev_pong >= (size_t)rounds - 1);
	/* a normal task's prio is 120 + its nice, which the pong inherits from
	 * this test (a suite run under nice(1) gives 130) */
	{
		char prio[16];

		errno = 0;
		int nice_now = getpriority(PRIO_PROCESS, 0);
		CHECK(errno == 0);
		snprintf(prio, sizeof(prio), "%d", 120 + nice_now);
		check_all(&l, "sched_switch", "prev_pid", p_pong, "prev_prio", prio);
	}
	check_all(&l, "sched_switch", "next_pid", p_actor, "next_comm", "tpactor");

	/* the glob: sched_process_exit for the actor and each child */
	CHECK_EQ_INT(ev_count(&l, "sched_process_exit", "pid", p_actor), 1);
	CHECK_EQ_INT(ev_count(&l, "sched_process_exit", "pid", p_exec), 1);
	CHECK_STR(ev_get(ev_find(&l, "sched_process_exit", "pid", p_pong), "comm"), "tpactor-pong");
	capload_free(&l);

	/* A filter evaluated in the kernel on everyone's signals (--all):
	 * kept only what it names of two sleepers' (which block the signals,
	 * so they stay alive), by pid, signal and the target's comm. */
	{
		char filter[256], cmd[256];
		pid_t s1 = start_sleeper(), s2 = start_sleeper();
		char p1[24], p2[24];

		snprintf(cap, sizeof(cap), "%s/filter", dir);
		snprintf(filter, sizeof(filter), "pid == %d && sig == 12 || pid == %d && sig == 15 || "
			 "comm == \"sleep\" && sig == 10 && pid != %d", s1, s2, s2);
		snprintf(cmd, sizeof(cmd), "kill -USR2 %d; kill -USR1 %d; kill -TERM %d; kill -USR2 %d; "
			 "kill -USR1 %d; kill -TERM %d", s1, s1, s2, s2, s2, s1);
		rc = run_cmd_err((char *[]){ bpfrec, "record", "-q", "-o", cap, "--all", "-e",
					     "signal:signal_generate", "--filter", filter, "--",
					     "/bin/sh", "-c", cmd, NULL },
				 err, sizeof(err));
		kill(s1, SIGKILL);
		kill(s2, SIGKILL);
		waitpid(s1, NULL, 0);
		waitpid(s2, NULL, 0);
		CHECK_EQ_INT(rc, 0);
		pidstr(p1, s1);
		pidstr(p2, s2);
		CHECK_EQ_INT(capload(cap, &l), 0);
		if (ev_count(&l, "signal_generate", NULL, NULL) != 3)
			ev_dump(&l, "signal_generate");
		CHECK_EQ_INT(ev_count(&l, "signal_generate", NULL, NULL), 3);
		CHECK_EQ_INT(ev_count(&l, "signal_generate", "pid", p1), 2);
		CHECK_EQ_INT(ev_count(&l, "signal_generate", "pid", p2), 1);
		CHECK_EQ_INT(ev_int(ev_find(&l, "signal_generate", "pid", p2), "sig"), 15);
		CHECK(ev_find(&l, "signal_generate", "sig", "12") != NULL);
		CHECK_EQ_INT(ev_int(ev_find(&l, "signal_generate", "sig", "12"), "pid"), s1);
		CHECK_EQ_INT(ev_int(ev_find(&l, "signal_generate", "sig", "10"), "pid"), s1);
		CHECK_STR(ev_get(ev_find(&l, "signal_generate", "sig", "10"), "comm"), "sleep");
		capload_free(&l);
	}
	/* --syscalls: one row per call at its return, decoded as strace would */
	check_usage_error("--syscalls nosuchcall: no such syscall in this kernel",
			  (char *[]){ "--syscalls", "nosuchcall", "-d", "1", NULL });
	/* ... by either hook: the raw tracepoints (tp_btf, where the kernel
	 * has them; auto would pick them, raw insists) and the classic ones;
	 * -e raw_syscalls:sys_enter and sys_exit beside them take the same
	 * hook */
	check_usage_error("--syscalls-hook nope: expected auto, raw or classic",
			  (char *[]){ "--syscalls", "read", "--syscalls-hook", "nope", "-d", "1", NULL });
	for (int h = 0; h < 2; h++) {
#if defined(__x86_64__)
		const char *hooks[] = { access("/sys/kernel/btf/vmlinux", R_OK) ? "auto" : "raw",
					"classic" };
#else
		const char *hooks[] = { "auto", "classic" };
#endif
		long long openr, conn_fd, conn_port, read_fd;
		size_t nrows = 0, n_getppid;

		snprintf(cap, sizeof(cap), "%s/syscalls-%s", dir, hooks[h]);
		snprintf(out, sizeof(out), "%s/actor3-%s.out", dir, hooks[h]);
		rc = run_cmd_err((char *[]){ bpfrec, "record", "-q", "-o", cap, "--syscalls",
					     "rename,openat,connect,read,getppid", "--syscalls-hook",
					     (char *)hooks[h], "-e", "raw_syscalls:sys_enter,raw_syscalls:sys_exit",
					     "--", "/usr/bin/env", "SYSCALLS=1",
					     tpactor, out, NULL },
				 err, sizeof(err));
		CHECK_EQ_INT(rc, 0);
		actor = kv_get(out, "pid");
		openr = kv_get(out, "open_ret");
		conn_fd = kv_get(out, "connect_fd");
		conn_port = kv_get(out, "connect_port");
		read_fd = kv_get(out, "read_fd");
		CHECK_EQ_INT(openr, -1);
		CHECK_EQ_INT(kv_get(out, "connect_ret"), -1);
		CHECK_EQ_INT(capload(cap, &l), 0);
		CHECK_EQ_U64(l.lost, 0);
		for (i = 0; i < l.n; i++) {
			const char *sc = ev_get(&l.v[i], "syscall");

			if (strcmp(l.v[i].stream, "syscalls"))
				continue;
			nrows++;
			CHECK(sc && (!strcmp(sc, "openat") || !strcmp(sc, "connect") ||
				     !strcmp(sc, "read") || !strcmp(sc, "rename") ||
				     !strcmp(sc, "getppid")));
		}
		CHECK(nrows >= 3);
		/* the ENOENT open of a known path */
		e = ev_find(&l, "syscalls", "path", "/nonexistent/bpfrec-tpactor");
		CHECK(e != NULL);
		CHECK_EQ_INT(ev_count(&l, "syscalls", "path", "/nonexistent/bpfrec-tpactor"), 1);
		CHECK_STR(ev_get(e, "syscall"), "openat");
		CHECK_EQ_INT(ev_int(e, "pid"), actor);
		CHECK_EQ_INT(ev_int(e, "tid"), actor);
		CHECK_STR(ev_get(e, "comm"), "tpactor");
		CHECK_EQ_INT(ev_int(e, "ret"), -2);
		CHECK_STR(ev_get(e, "errno"), "ENOENT");
		CHECK_EQ_INT(ev_int(e, "returned"), 1);
		CHECK(ev_int(e, "latency_ns") > 0);
		CHECK_STR(ev_get(e, "arg0"), "4294967196");   /* AT_FDCWD, as glibc passes it */
		/* one string: the second slot empty, not the rename's before it
		 * (the thread's record is reused from call to call) */
		CHECK_STR(ev_get(e, "path2"), "");
		/* and the slots' bytes after the NUL are zeros, though the
		 * rename's longer paths were in them (the probe clears only
		 * what the last strings wrote): 640 bytes, two 256-byte slots */
		CHECK_EQ_INT(e->len, 128 + 2 * 256);
		CHECK(e->raw != NULL);
		CHECK_STR((const char *)e->raw + 128, "/nonexistent/bpfrec-tpactor");
		for (i = 128 + sizeof("/nonexistent/bpfrec-tpactor"); i < e->len; i++)
			if (e->raw[i]) {
				fprintf(stderr, "openat record byte %zu: %#x, not 0\n", i, e->raw[i]);
				CHECK(0);
			}
		e = ev_find(&l, "syscalls", "syscall", "rename");
		CHECK(e != NULL);
		CHECK_EQ_INT(kv_get(out, "rename_ret"), -1);
		CHECK_EQ_INT(ev_int(e, "pid"), actor);
		CHECK_STR(ev_get(e, "path"), "/nonexistent/bpfrec-tpactor-renamed-from");
		CHECK_STR(ev_get(e, "path2"), "/nonexistent/bpfrec-tpactor-renamed-to");
		CHECK_STR(ev_get(e, "errno"), "ENOENT");
		/* the refused connect to a known port on 127.0.0.1 */
		CHECK_EQ_INT(ev_count(&l, "syscalls", "syscall", "connect"), 1);
		e = ev_find(&l, "syscalls", "syscall", "connect");
		CHECK_EQ_INT(ev_int(e, "pid"), actor);
		CHECK_EQ_INT(ev_int(e, "arg0"), conn_fd);
		CHECK_EQ_INT(ev_int(e, "family"), 2);   /* AF_INET */
		CHECK_EQ_INT(ev_int(e, "port"), conn_port);
		CHECK_STR(ev_get(e, "addr"), "127.0.0.1");
		CHECK_EQ_INT(ev_int(e, "arg2"), 16);
		CHECK_EQ_INT(ev_int(e, "ret"), -111);
		CHECK_STR(ev_get(e, "errno"), "ECONNREFUSED");
		/* the read of 5 bytes from a pipe */
		for (i = 0, e = NULL; i < l.n; i++)
			if (!strcmp(l.v[i].stream, "syscalls") &&
			    !strcmp(ev_get(&l.v[i], "syscall"), "read") &&
			    ev_int(&l.v[i], "pid") == actor && ev_int(&l.v[i], "arg0") == read_fd &&
			    ev_int(&l.v[i], "ret") == 5)
				e = &l.v[i];
		CHECK(e != NULL);
		CHECK_EQ_INT(ev_int(e, "arg2"), 16);
		CHECK_STR(ev_get(e, "errno"), "0");
		/* nothing of the connect before it: no string, no address */
		CHECK_STR(ev_get(e, "path"), "");
		CHECK_EQ_INT(ev_int(e, "family"), 0);
		CHECK_EQ_INT(ev_int(e, "port"), 0);
		/* all six argument registers, as the classic tracepoint has them;
		 * among getppid's rows only, as the actor's read or connect is on
		 * fd 11 when its parent left one more descriptor open */
		for (i = 0, n_getppid = 0, e = NULL; i < l.n; i++)
			if (!strcmp(l.v[i].stream, "syscalls") &&
			    !strcmp(ev_get(&l.v[i], "syscall"), "getppid") &&
			    ev_int(&l.v[i], "arg0") == 11) {
				n_getppid++;
				e = &l.v[i];
			}
		CHECK_EQ_INT(n_getppid, 1);
		CHECK(e != NULL);
		CHECK_EQ_INT(ev_int(e, "pid"), actor);
		CHECK_EQ_INT(ev_int(e, "ret"), kv_get(out, "ppid"));
		CHECK_EQ_INT(ev_int(e, "arg1"), 22);
		CHECK_EQ_INT(ev_int(e, "arg2"), 33);
		CHECK_EQ_INT(ev_int(e, "arg3"), 44);
		CHECK_EQ_INT(ev_int(e, "arg4"), 55);
		CHECK_EQ_INT(ev_int(e, "arg5"), 66);
		/* the same call in -e raw_syscalls's records, as the tracepoint
		 * has them: the number and its six arguments, then the return */
		e = ev_find(&l, "sys_enter", "args", "[11,22,33,44,55,66]");
		CHECK(e != NULL);
		CHECK_EQ_INT(ev_count(&l, "sys_enter", "args", "[11,22,33,44,55,66]"), 1);
		CHECK_EQ_INT(ev_int(e, "id"), SYS_getppid);
		CHECK_EQ_INT(ev_int(e, "common_pid"), actor);
		for (i = 0, e = NULL; i < l.n; i++)
			if (!strcmp(l.v[i].stream, "sys_exit") && ev_int(&l.v[i], "id") == SYS_getppid &&
			    ev_int(&l.v[i], "common_pid") == actor)
				e = &l.v[i];
		CHECK(e != NULL);
		CHECK_EQ_INT(ev_int(e, "ret"), kv_get(out, "ppid"));
		/* and the openat: its number, its path argument's address, ENOENT */
		for (i = 0, e = NULL; i < l.n; i++)
			if (!strcmp(l.v[i].stream, "sys_exit") && ev_int(&l.v[i], "id") == SYS_openat &&
			    ev_int(&l.v[i], "common_pid") == actor && ev_int(&l.v[i], "ret") == -2)
				e = &l.v[i];
		CHECK(e != NULL);
		capload_free(&l);
		/* bpfreplay show prints only the columns a row's syscall has:
		 * path for openat (even empty), path and path2 for rename, the
		 * address for connect, none for getppid and read; jsonl leaves
		 * the others' keys out, csv their cells empty */
		for (int f = 0; f < F_N; f++) {
			static char text[1 << 20];
			static const char *const fmts[F_N] = { "line", "jsonl", "csv" };
			char line[4096], want[64], sc[64], *show[] = { replay, "show", "-o",
				(char *)fmts[f], "-s", "syscalls", cap, NULL };
			const char *const paths[] = { "path", NULL }, *const both[] = { "path",
				"path2", NULL }, *const sa[] = { "family", "port", "addr", NULL },
				*const none[] = { NULL };
			size_t nlines = 0;

			CHECK_EQ_INT(run_cmd_out(show, text, sizeof(text)), 0);
			for (const char *l = text, *end; *l; l = *end ? end + 1 : end) {
				const char *p, *key = f == F_LINE ? " syscall=" : "\"syscall\":\"";

				end = strchrnul(l, '\n');
				snprintf(line, sizeof(line), "%.*s", (int)(end - l), l);
				if (f == F_CSV && l == text)
					continue;   /* the header */
				nlines++;
				if (f == F_CSV)
					csv_cell(text, line, "syscall", sc, sizeof(sc));
				else if ((p = strstr(line, key)))
					snprintf(sc, sizeof(sc), "%.*s", (int)strcspn(p + strlen(key),
						 " \""), p + strlen(key));
				else
					CHECK(!"a row without its syscall");
				if (!strcmp(sc, "openat"))
					check_sys_keys(f, text, line, paths);
				else if (!strcmp(sc, "rename"))
					check_sys_keys(f, text, line, both);
				else if (!strcmp(sc, "connect"))
					check_sys_keys(f, text, line, sa);
				else if (!strcmp(sc, "getppid") || !strcmp(sc, "read"))
					check_sys_keys(f, text, line, none);
				else
					CHECK(!"a row of another syscall");
			}
			CHECK(nlines >= 5);
			if (f == F_JSONL) {
				out_line(text, (const char *const[]){ "\"syscall\":\"rename\"",
					"\"path\":\"/nonexistent/bpfrec-tpactor-renamed-from\"",
					"\"path2\":\"/nonexistent/bpfrec-tpactor-renamed-to\"", NULL },
					line, sizeof(line));
				snprintf(want, sizeof(want), "\"port\":%lld,", conn_port);
				out_line(text, (const char *const[]){ "\"syscall\":\"connect\"",
					"\"family\":\"AF_INET\"", want, "\"addr\":\"127.0.0.1\"", NULL },
					line, sizeof(line));
				/* an empty path is still the call's: "" */
				out_line(text, (const char *const[]){ "\"syscall\":\"openat\"",
					"\"comm\":\"tpactor\"", "\"path\":\"\"", NULL }, line,
					sizeof(line));
				continue;
			}
			if (f == F_CSV) {
				out_line(text, (const char *const[]){ ",syscalls,connect,", NULL }, line,
					 sizeof(line));
				CHECK_STR(csv_cell(text, line, "family", want, sizeof(want)), "AF_INET");
				CHECK_EQ_INT(atoll(csv_cell(text, line, "port", want, sizeof(want))),
					     conn_port);
				CHECK_STR(csv_cell(text, line, "addr", want, sizeof(want)), "127.0.0.1");
				/* an empty path is still the call's: "", not nothing */
				CHECK_EQ_INT(kv_get(out, "empty_open_ret"), -1);
				out_line(text, (const char *const[]){ ",syscalls,openat,", ",tpactor,",
					 ",ENOENT,", ",\"\",", NULL }, line, sizeof(line));
				CHECK_STR(csv_cell(text, line, "path", want, sizeof(want)), "\"\"");
				continue;
			}
			out_line(text, (const char *const[]){ " syscall=openat ",
				" path=/nonexistent/bpfrec-tpactor", NULL }, line, sizeof(line));
			out_line(text, (const char *const[]){ " syscall=rename ",
				" path=/nonexistent/bpfrec-tpactor-renamed-from ",
				" path2=/nonexistent/bpfrec-tpactor-renamed-to", NULL }, line,
				sizeof(line));
			snprintf(want, sizeof(want), " port=%lld ", conn_port);
			out_line(text, (const char *const[]){ " syscall=connect ", " family=AF_INET ",
				want, " addr=127.0.0.1", NULL }, line, sizeof(line));
			out_line(text, (const char *const[]){ " syscall=getppid ", " arg0=11 ", NULL },
				  line, sizeof(line));
			/* an empty path is still the call's: shown */
			CHECK_EQ_INT(kv_get(out, "empty_open_ret"), -1);
			out_line(text, (const char *const[]){ " syscall=openat ", " comm=tpactor ",
				" path=\"\"", " errno=ENOENT", NULL }, line, sizeof(line));
		}
	}
	puts("test_tracepoints: ok");
	return 0;
}
