/* test_user_names.c - uids and gids shown as the RECORDING host's user and
 * group names (issue 16).  Two throwaway users are made for the test, each
 * with a group named unlike it (NAMEg: a uid shown as a gid is caught even
 * where the numbers are equal): one before the recording, one by the
 * recorded command while it records (the recorder's second read at the end
 * must catch it).  The command runs a
 * child as each user: setgid, setuid (tracepoints whose arguments are a
 * gid and a uid), an exec (the built-in exec probe's uid and gid), and a chown to
 * the first user (its user and group arguments); the same calls and
 * setresgid, setresuid and getresuid recorded by --syscalls too, whose
 * uid_t and gid_t arguments are named row by row (arg1 of a chown, arg0 of
 * a setresgid; not -1, nor getresuid's pointers).  Then both users are
 * deleted, so this host no longer knows the names, and bpfreplay must
 * print them from the capture alone, value by value: show's line format
 * (uid=1234(name)), -o table (1234(name)), csv and jsonl (the name), and
 * SQL and export, which keep the number (user_name(), group_name(), the
 * users and groups tables). */
#include "capload.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char user1[32], user2[32], group1[40], group2[40];
static int made1, made2;

static int run(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* NAME, its primary group NAMEg: a group named unlike its user, so that a
 * uid shown as a gid (or the reverse) names the wrong thing, whatever the
 * numbers; no home, no login */
static int useradd(const char *name)
{
	char group[40];

	snprintf(group, sizeof(group), "%sg", name);
	if (run((char *[]){ "/usr/sbin/groupadd", group, NULL }))
		return -1;
	return run((char *[]){ "/usr/sbin/useradd", "-M", "-N", "-g", group, "-s",
			       "/usr/sbin/nologin", (char *)name, NULL });
}

static void userdel(const char *name)
{
	char group[40];

	snprintf(group, sizeof(group), "%sg", name);
	run((char *[]){ "/usr/sbin/userdel", (char *)name, NULL });
	run((char *[]){ "/usr/sbin/groupdel", group, NULL });
}

static void cleanup(void)
{
	if (made1)
		userdel(user1);
	if (made2)
		userdel(user2);
	made1 = made2 = 0;
}

/* The recorded command (this program, "child NAME1 NAME2 FILE"): makes
 * NAME2, chowns FILE to NAME1, then as each user: setgid, setuid, exec. */
static int child_main(char **argv)
{
	const char *names[2] = { argv[2], argv[3] };

	if (useradd(names[1]))
		return 10;
	for (int i = 0; i < 2; i++) {
		struct passwd *pw = getpwnam(names[i]);
		pid_t pid;
		int st;

		if (!pw)
			return 11;
		if (i == 0 && syscall(SYS_chown, argv[4], pw->pw_uid, pw->pw_gid))
			return 12;
		pid = fork();
		if (pid == 0) {
			unsigned r, e, s;

			/* setresgid(gid, -1, gid); setresuid(-1, uid, -1) once the
			 * uid is set: a no-op then, but recorded */
			if (setgroups(0, NULL) || syscall(SYS_setresgid, pw->pw_gid, -1, pw->pw_gid) ||
			    syscall(SYS_setgid, pw->pw_gid) || syscall(SYS_setuid, pw->pw_uid) ||
			    syscall(SYS_setresuid, -1, pw->pw_uid, -1) ||
			    syscall(SYS_getresuid, &r, &e, &s) || e != pw->pw_uid)
				_exit(13);
			execl("/bin/true", "true", (char *)NULL);
			_exit(14);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return 15;
	}
	return 0;
}

/* bpfreplay args... ; its stdout. */
static char *replay(char *const *args)
{
	static char out[1 << 20];
	char bin[4096], *argv[16] = { bin };
	int i;

	snprintf(bin, sizeof(bin), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	CHECK_EQ_INT(run_cmd_out(argv, out, sizeof(out)), 0);
	return out;
}

/* The line of out that holds all of the needles (NULL-terminated). */
static const char *line_with(const char *out, const char *const *needles)
{
	static char line[8192];

	for (const char *p = out; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int all = 1;

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		for (int i = 0; needles[i] && all; i++)
			all = strstr(line, needles[i]) != NULL;
		if (all)
			return line;
		p += n + (e != NULL);
	}
	fprintf(stderr, "no line with:");
	for (int i = 0; needles[i]; i++)
		fprintf(stderr, " [%s]", needles[i]);
	fprintf(stderr, "\nin:\n%s\n", out);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *dir;
	char cap[4096], file[4096], self[4096], err[16384], exp[8][256], *out;
	unsigned uid[2], gid[2];
	struct passwd *pw;

	if (argc == 5 && !strcmp(argv[1], "child"))
		return child_main(argv);
	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs and to make users\n");
		return 77;
	}
	if (access("/usr/sbin/useradd", X_OK)) {
		fprintf(stderr, "SKIPPED: no useradd (package passwd)\n");
		return 77;
	}
	dir = test_tmpdir("user_names");
	chmod(dir, 0755);
	/* names no other host has: the pid makes them this run's */
	snprintf(user1, sizeof(user1), "bpfrn%da", (int)getpid());
	snprintf(user2, sizeof(user2), "bpfrn%db", (int)getpid());
	snprintf(group1, sizeof(group1), "%sg", user1);
	snprintf(group2, sizeof(group2), "%sg", user2);
	atexit(cleanup);
	CHECK_EQ_INT(useradd(user1), 0);
	made1 = 1;
	made2 = 1;   /* the command makes it; deleted at exit either way */
	CHECK((pw = getpwnam(user1)));
	uid[0] = pw->pw_uid;
	gid[0] = pw->pw_gid;

	snprintf(cap, sizeof(cap), "%s/cap", dir);
	snprintf(file, sizeof(file), "%s/owned", dir);
	CHECK(close(open(file, O_CREAT | O_WRONLY, 0644)) == 0);
	CHECK(readlink("/proc/self/exe", self, sizeof(self) - 1) > 0);
	int rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", cap, "--probe",
		"exec", "-e", "syscalls:sys_enter_setuid", "-e", "syscalls:sys_enter_setgid",
		"-e", "syscalls:sys_enter_chown", "--syscalls",
		"chown,setuid,setresuid,setresgid,getresuid", "--", self, "child", user1, user2, file,
		NULL });
	CHECK_EQ_INT(rc, 0);
	CHECK((pw = getpwnam(user2)));
	uid[1] = pw->pw_uid;
	gid[1] = pw->pw_gid;
	CHECK(uid[0] != uid[1]);

	/* This host forgets them: what bpfreplay names comes from the capture. */
	cleanup();
	CHECK(!getpwuid(uid[0]) && !getpwuid(uid[1]) && !getgrgid(gid[0]) && !getgrgid(gid[1]));

	/* line format: exec's uid, the tracepoints' uid, gid, user and group */
	out = replay((char *[]){ "show", cap, NULL });
	for (int i = 0; i < 2; i++) {
		const char *u = i ? user2 : user1, *g = i ? group2 : group1;

		snprintf(exp[0], sizeof(exp[0]), " uid=%u(%s) ", uid[i], u);
		snprintf(exp[6], sizeof(exp[6]), " gid=%u(%s) ", gid[i], g);
		line_with(out, (const char *[]){ " exec ", exp[0], exp[6], "filename=/bin/true",
						 NULL });
		snprintf(exp[1], sizeof(exp[1]), " uid=%u(%s)", uid[i], u);
		line_with(out, (const char *[]){ "sys_enter_setuid", exp[1], NULL });
		snprintf(exp[2], sizeof(exp[2]), " gid=%u(%s)", gid[i], g);
		line_with(out, (const char *[]){ "sys_enter_setgid", exp[2], NULL });
	}
	snprintf(exp[3], sizeof(exp[3]), " user=%u(%s) ", uid[0], user1);
	snprintf(exp[4], sizeof(exp[4]), " group=%u(%s)", gid[0], group1);
	line_with(out, (const char *[]){ "sys_enter_chown", exp[3], exp[4], NULL });
	/* --syscalls: the arguments that are ids in each row's syscall */
	snprintf(exp[3], sizeof(exp[3]), " arg1=%u(%s) ", uid[0], user1);
	snprintf(exp[4], sizeof(exp[4]), " arg2=%u(%s) ", gid[0], group1);
	line_with(out, (const char *[]){ "syscall=chown ", exp[3], exp[4], NULL });
	for (int i = 0; i < 2; i++) {
		const char *u = i ? user2 : user1, *g = i ? group2 : group1;

		snprintf(exp[0], sizeof(exp[0]), " arg0=%u(%s) ", gid[i], g);
		snprintf(exp[1], sizeof(exp[1]), " arg2=%u(%s) ", gid[i], g);
		line_with(out, (const char *[]){ "syscall=setresgid ", exp[0], " arg1=4294967295 ",
						 exp[1], NULL });
		snprintf(exp[0], sizeof(exp[0]), " arg1=%u(%s) ", uid[i], u);
		line_with(out, (const char *[]){ "syscall=setresuid ", " arg0=4294967295 ", exp[0],
						 " arg2=4294967295 ", NULL });
		snprintf(exp[0], sizeof(exp[0]), " arg0=%u(%s) ", uid[i], u);
		line_with(out, (const char *[]){ "syscall=setuid ", exp[0], " arg1=", NULL });
	}
	/* getresuid's arguments are pointers (uid_t *): numbers */
	CHECK(!strstr(line_with(out, (const char *[]){ "syscall=getresuid ", NULL }), ")"));
	/* a bundle's cut BTF keeps what says which arguments are ids */
	snprintf(exp[7], sizeof(exp[7]), "%s/cap.bpfrec", dir);
	replay((char *[]){ "bundle", "-o", exp[7], cap, NULL });
	out = replay((char *[]){ "show", exp[7], NULL });
	snprintf(exp[3], sizeof(exp[3]), " arg1=%u(%s) ", uid[0], user1);
	line_with(out, (const char *[]){ "syscall=chown ", exp[3], exp[4], NULL });
	out = replay((char *[]){ "show", cap, NULL });
	/* root's exec of useradd: root is named too, from the capture */
	line_with(out, (const char *[]){ " exec ", " uid=0(root) ", " gid=0(root) ", "useradd",
					 NULL });

	/* -o table: 1234(name) in the uid column */
	out = replay((char *[]){ "show", "-o", "table", "--stream", "exec", cap, NULL });
	snprintf(exp[0], sizeof(exp[0]), "  %u(%s)  ", uid[1], user2);
	line_with(out, (const char *[]){ exp[0], "/bin/true", NULL });

	/* csv: the name alone, as errno and signal names are */
	out = replay((char *[]){ "show", "-o", "csv", "--stream", "sys_enter_chown", cap, NULL });
	snprintf(exp[0], sizeof(exp[0]), ",%s,%s", user1, group1);
	line_with(out, (const char *[]){ exp[0], NULL });

	/* jsonl: the name as a string */
	out = replay((char *[]){ "show", "-o", "jsonl", "--stream", "sys_enter_setuid", cap, NULL });
	snprintf(exp[0], sizeof(exp[0]), "\"uid\":\"%s\"", user2);
	line_with(out, (const char *[]){ exp[0], NULL });

	out = replay((char *[]){ "show", "-o", "jsonl", "--stream", "syscalls", cap, NULL });
	snprintf(exp[0], sizeof(exp[0]), "\"arg0\":4294967295,\"arg1\":\"%s\",\"arg2\":4294967295",
		 user2);
	line_with(out, (const char *[]){ "\"syscall\":\"setresuid\"", exp[0], NULL });

	/* SQL and export keep the numbers */
	snprintf(exp[5], sizeof(exp[5]), "SELECT arg1, arg2 FROM syscalls WHERE syscall = 'chown'");
	out = replay((char *[]){ "sql", "-o", "csv", cap, exp[5], NULL });
	snprintf(exp[0], sizeof(exp[0]), "\n%u,%u\n", uid[0], gid[0]);
	CHECK(strstr(out, exp[0]));
	out = replay((char *[]){ "export", "--format", "perfetto", "-o", "-", cap, NULL });
	snprintf(exp[0], sizeof(exp[0]), "\"arg0\":4294967295,\"arg1\":%u,\"arg2\":4294967295,",
		 uid[1]);
	line_with(out, (const char *[]){ "\"syscall\":\"setresuid\"", exp[0], NULL });

	/* SQL keeps the numbers; user_name() and group_name() name them */
	snprintf(exp[5], sizeof(exp[5]), "SELECT uid, user_name(uid), group_name(%u) FROM exec "
		 "WHERE filename = '/bin/true' ORDER BY ts", gid[0]);
	out = replay((char *[]){ "sql", "-o", "csv", cap, exp[5], NULL });
	snprintf(exp[0], sizeof(exp[0]), "\n%u,%s,%s\n%u,%s,%s\n", uid[0], user1, group1, uid[1],
		 user2, group1);
	CHECK(strstr(out, exp[0]));
	snprintf(exp[5], sizeof(exp[5]), "SELECT u.name, g.name FROM users u, groups g "
		 "WHERE u.uid = %u AND g.gid = %u", uid[1], gid[1]);
	out = replay((char *[]){ "sql", "-o", "csv", cap, exp[5], NULL });
	snprintf(exp[0], sizeof(exp[0]), "\n%s,%s\n", user2, group2);
	CHECK(strstr(out, exp[0]));

	/* --no-user-names: the tables stay empty, ids print as numbers */
	snprintf(cap, sizeof(cap), "%s/nonames", dir);
	rc = run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "-o", cap, "--probe", "exec",
		"--no-user-names", "--", "/bin/true", NULL });
	CHECK_EQ_INT(rc, 0);
	out = replay((char *[]){ "sql", "-o", "csv", cap, "SELECT (SELECT count(*) FROM users) + "
		"(SELECT count(*) FROM groups), uid, user_name(uid) FROM exec", NULL });
	CHECK(strstr(out, "\n0,0,\n"));
	out = replay((char *[]){ "show", cap, NULL });
	line_with(out, (const char *[]){ " exec ", " uid=0 ", " gid=0 ", "filename=/bin/true",
					 NULL });
	printf("ok\n");
	return 0;
}
