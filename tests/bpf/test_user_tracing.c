/* test_user_tracing.c - a user's tracing programs that need no kprobes
 * (objs/utrace.bpf.c): raw_tp/sched_process_exec, tp_btf/sched_process_fork,
 * and a uprobe and a uretprobe on bpfrec_uprobe_target() of this very
 * executable (its path is compiled into the object).  The test records
 * itself in `--target KV` mode: fork + exec /bin/true, then three calls of
 * the function with known arguments, and checks each event's values. */
#include "testutil.h"
#include "usertest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The uprobe's target: global, not inlined, not folded away. */
__attribute__((noinline, used)) long bpfrec_uprobe_target(long a, long b)
{
	__asm__ volatile("" ::: "memory");
	return a * 1000 + b;
}

static int target(const char *kv)
{
	long sum = 0;
	pid_t child = fork();
	FILE *f;
	int i;

	if (child == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(child, NULL, 0);
	for (i = 1; i <= 3; i++)
		sum += bpfrec_uprobe_target(i, -i);
	f = fopen(kv, "w");
	if (!f)
		return 1;
	fprintf(f, "pid=%d\nchild_pid=%d\nsum=%ld\n", getpid(), child, sum);
	return fclose(f) ? 1 : 0;
}

/* The one event of kind with arg1 == v (the test fails on 0 or several). */
static const struct ev *find_kind_arg(const struct evlist *l, const char *kind, long long v)
{
	const struct ev *found = NULL;
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].stream, "traces") && !strcmp(ev_get(&l->v[i], "kind"), kind) &&
		    ev_int(&l->v[i], "arg1") == v) {
			found = &l->v[i];
			n++;
		}
	if (n != 1) {
		fprintf(stderr, "FAIL: %zu %s events with arg1=%lld, expected 1\n", n, kind, v);
		ev_dump(l, "traces");
		exit(1);
	}
	return found;
}

int main(int argc, char **argv)
{
	struct ut u;
	struct evlist l;
	const struct ev *e;
	const char *cap, *kv;
	char self[4096];
	long long pid, child;
	ssize_t n;
	size_t i;
	int k;

	/* _exit: no atexit handlers, so no process of a sanitizer's own (LeakSanitizer
	 * forks at exit) in the recorded tree. */
	if (argc == 3 && !strcmp(argv[1], "--target"))
		_exit(target(argv[2]));
	ut_init(&u, "user_tracing");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = 0;
	cap = ut_path(&u, "cap");
	kv = ut_path(&u, "target.kv");
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--probe", "none", "--bpf",
				     (char *)ut_obj(&u, "utrace"), "--", self, "--target", (char *)kv,
				     NULL });
	pid = kv_get(kv, "pid");
	child = kv_get(kv, "child_pid");
	CHECK_EQ_INT(kv_get(kv, "sum"), 5994);
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_U64(l.lost, 0);
	for (i = 0; i < l.n; i++) {
		CHECK(!l.v[i].damaged);
		CHECK_EQ_INT(ev_int(&l.v[i], "pad"), 0);
	}

	/* raw_tp: this test's own exec (by bpfrec's child) and /bin/true's;
	 * the name comes from the binprm through bpf_probe_read_kernel. */
	ut_want(&l, "traces", "kind", "TR_EXEC", 2);
	e = ut_one(&l, "traces", "name", "/bin/true");
	CHECK_STR(ev_get(e, "kind"), "TR_EXEC");
	CHECK_EQ_INT(ev_int(e, "pid"), child);
	CHECK_EQ_INT(ev_int(e, "other"), child);   /* old_pid: no de_thread */
	e = ut_one(&l, "traces", "name", self);
	CHECK_EQ_INT(ev_int(e, "pid"), pid);

	/* tp_btf: the fork of the child, read straight from the task structs. */
	e = ut_one(&l, "traces", "kind", "TR_FORK");
	CHECK_EQ_INT(ev_int(e, "pid"), pid);
	CHECK_EQ_INT(ev_int(e, "other"), child);
	CHECK_EQ_INT(ev_int(e, "arg1"), 1);        /* a process, not a thread */
	CHECK_STR(ev_get(e, "name"), "bpf_test_user_t");   /* comm: 15 chars */

	/* uprobe and uretprobe: arguments (k, -k) and results 1000k - k. */
	ut_want(&l, "traces", "kind", "TR_UPROBE", 3);
	ut_want(&l, "traces", "kind", "TR_URETPROBE", 3);
	for (k = 1; k <= 3; k++) {
		const struct ev *ret;

		e = find_kind_arg(&l, "TR_UPROBE", k);
		CHECK_EQ_INT(ev_int(e, "arg2"), -k);
		CHECK_EQ_INT(ev_int(e, "pid"), pid);
		ret = find_kind_arg(&l, "TR_URETPROBE", 1000 * k - k);
		CHECK_EQ_INT(ev_int(ret, "pid"), pid);
		CHECK(ret->ts_ns >= e->ts_ns);
	}
	ut_want(&l, "traces", NULL, NULL, 9);

	capload_free(&l);
	printf("ok: utrace: raw_tp exec names, tp_btf fork pids, uprobe args and uretprobe results\n");
	return 0;
}
