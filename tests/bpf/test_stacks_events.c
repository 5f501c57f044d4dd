/* test_stacks_events.c - -g on -e tracepoints and --syscalls: stackprog's
 * connect (main -> f1 -> f2 -> f3, the syscall instruction in f3) recorded
 * by `-g -e syscalls:sys_enter_connect --syscalls connect` carries a user
 * stack on both events whose frames name f3, f2, f1, main once the binary
 * is deleted, read as nobody; the kernel stack names a kernel function;
 * `--stacks kernel` leaves the user stack out (-1) and keeps the kernel's;
 * and without -g the events carry no stack columns. */
#include "usertest.h"
#include "stackutil.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ut u;
static char bpfreplay[4096];

static void frames_of(const char *cap, const char *table, const char *what)
{
	char q[8192], *out, *lines[256];
	size_t n;

	snprintf(q, sizeof(q), "sql -o csv %s \"SELECT f.depth, f.symbol, f.file FROM %s e "
		 "JOIN frames f ON f.stack_id = e.ustack_id AND f.pid = e.tgid_or_pid "
		 "WHERE e.ustack_id >= 0 ORDER BY e.ts, f.depth LIMIT 4\"", cap, table);
	out = su_replay_as_nobody(bpfreplay, q);
	n = su_csv_lines(out, lines, 256);
	su_check_f3_to_main(lines, n, what, "stackprog");
	free(out);
}

int main(void)
{
	const char *prog = getenv("BPFREC_STACKPROG");
	char work[64], bin[128], cap[256], cap_k[128], cap_no[128], there[128], q[8192], *out;
	int status;

	ut_init(&u, "stacks_events");
	if (!prog) {
		fprintf(stderr, "SKIPPED: BPFREC_STACKPROG not set\n");
		return 77;
	}
	if (su_have_setpriv())
		return 77;
	snprintf(bpfreplay, sizeof(bpfreplay), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	snprintf(work, sizeof(work), "/tmp/bpfrec-stacks-ev-XXXXXX");
	CHECK(mkdtemp(work));
	CHECK(!chmod(work, 0755));
	snprintf(bin, sizeof(bin), "%s/stackprog", work);
	snprintf(cap, sizeof(cap), "%s/cap", work);
	snprintf(cap_k, sizeof(cap_k), "%s/cap-k", work);
	snprintf(cap_no, sizeof(cap_no), "%s/cap-no", work);
	snprintf(there, sizeof(there), "%s/elsewhere", work);
	su_sh("cp '%s' '%s'", prog, bin);

	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", cap, "-g", "-e",
				     "syscalls:sys_enter_connect", "--syscalls", "connect", "--",
				     bin, "connect", NULL });
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", cap_k, "--stacks", "kernel", "-e",
				     "syscalls:sys_enter_connect", "--syscalls", "connect", "--",
				     bin, "connect", NULL });
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", cap_no, "-e",
				     "syscalls:sys_enter_connect", "--syscalls", "connect", "--",
				     bin, "connect", NULL });
	CHECK(!unlink(bin));
	CHECK(!mkdir(there, 0755));
	su_sh("cp -r '%s' '%s'", cap, there);
	su_sh("chmod -R a+rX '%s' %s", there, "");
	snprintf(cap, sizeof(cap), "%s/cap", there);

	/* The tracepoint's record: tgid beside the thread's common_pid. */
	snprintf(q, sizeof(q), "sql -o csv %s \"SELECT count(*), sum(tgid = common_pid) FROM "
		 "sys_enter_connect\"", cap);
	out = su_replay_as_nobody(bpfreplay, q);
	if (!strstr(out, "\n1,1")) {
		fprintf(stderr, "-e sys_enter_connect: want one event, its tgid its pid:\n%s\n", out);
		return 1;
	}
	free(out);
	/* (a view-free spelling: the syscalls table has pid, the tracepoint tgid) */
	frames_of(cap, "(SELECT ts, ustack_id, tgid AS tgid_or_pid FROM sys_enter_connect)",
		  "-g -e syscalls:sys_enter_connect");
	frames_of(cap, "(SELECT ts, ustack_id, pid AS tgid_or_pid FROM syscalls "
		  "WHERE syscall = 'connect')", "-g --syscalls connect");

	/* Both kernel stacks go through the syscall entry. */
	snprintf(q, sizeof(q), "sql -o csv %s \"SELECT 'tp', f.symbol FROM sys_enter_connect e "
		 "JOIN frames f ON f.stack_id = e.kstack_id UNION ALL SELECT 'sys', f.symbol FROM "
		 "syscalls e JOIN frames f ON f.stack_id = e.kstack_id\"", cap);
	out = su_replay_as_nobody(bpfreplay, q);
	if (!strstr(out, "tp,do_syscall_64") || !strstr(out, "sys,do_syscall_64")) {
		fprintf(stderr, "kernel stacks name no do_syscall_64:\n%s\n", out);
		return 1;
	}
	free(out);

	/* show prints the stack under the tracepoint's event. */
	snprintf(q, sizeof(q), "show -s sys_enter_connect %s", cap);
	out = su_replay_as_nobody(bpfreplay, q);
	{
		char *f3 = strstr(out, " f3+0x"), *m = f3 ? strstr(f3, " main+0x") : NULL;

		if (!m) {
			fprintf(stderr, "show: no f3 .. main under sys_enter_connect:\n%s\n", out);
			return 1;
		}
	}
	free(out);

	/* --stacks kernel: no user stack was asked for (-1), the kernel's is there. */
	snprintf(q, sizeof(q), "%s sql -o csv %s \"SELECT ustack_id AS u, kstack_id >= 0 AS k "
		 "FROM sys_enter_connect UNION ALL SELECT ustack_id, kstack_id >= 0 FROM syscalls\"",
		 bpfreplay, cap_k);
	out = su_run_out(q, &status);
	if (status || strcmp(out, "u,k\n-1,1\n-1,1\n")) {
		fprintf(stderr, "--stacks kernel: want -1,1 twice:\n%s\n", out);
		return 1;
	}
	free(out);

	/* Without -g: no stack columns. */
	snprintf(q, sizeof(q), "%s sql -o csv %s \"SELECT count(*) FROM pragma_table_info("
		 "'syscalls') WHERE name LIKE '%%stack_id' OR name = 'tgid'\"", bpfreplay, cap_no);
	out = su_run_out(q, &status);
	if (status || !strstr(out, "\n0\n")) {
		fprintf(stderr, "without -g: stack columns in syscalls:\n%s\n", out);
		return 1;
	}
	free(out);

	su_sh("rm -rf '%s' %s", work, "");
	printf("ok: -g on -e syscalls:sys_enter_connect and --syscalls connect: f3 f2 f1 main "
	       "and a kernel stack, read as nobody after the binary was deleted\n");
	return 0;
}
