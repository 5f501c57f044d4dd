/* test_user_kprobe.c - a user's kprobe/kretprobe and fentry/fexit programs
 * (objs/ukprobe.bpf.c, on the getsid syscall).  Where the kernel has
 * kprobes (kprobe_events in tracefs) and BPF trampolines, each pair is
 * recorded around this executable's `--target KV` mode (three getsid(0)
 * calls) and checked: 3 entries and 3 returns with getsid's result.  Where
 * it has not, bpfrec must fail naming the program, its section and the
 * reason, and the test reports SKIPPED with that reason. */
#include "testutil.h"
#include "usertest.h"

#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct ut u;
static char self[4096];

static int target(const char *kv)
{
	long sid = 0;
	FILE *f;
	int i;

	for (i = 0; i < 3; i++)
		sid = syscall(SYS_getsid, 0);
	f = fopen(kv, "w");
	if (!f)
		return 1;
	fprintf(f, "pid=%d\nsid=%ld\n", getpid(), sid);
	return fclose(f) ? 1 : 0;
}

/* Records --only progs; 0 when recorded and checked, 77 when the kernel
 * lacks the feature (reason in why), exits 1 on a failure. */
static int try_pair(const char *progs, const char *enter_kind, const char *ret_kind,
		    const char *sec_prefix, const char *lacks, char *why, size_t whylen)
{
	char name[64], *line;
	const char *cap, *kv;
	struct evlist l;
	long long pid, sid;
	size_t i;
	int rc;

	snprintf(name, sizeof(name), "cap_%s", enter_kind);
	cap = ut_path(&u, name);
	snprintf(name, sizeof(name), "%s.kv", enter_kind);
	kv = ut_path(&u, name);
	rc = ut_bpfrec(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--probe", "none", "--bpf",
				       (char *)ut_obj(&u, "ukprobe"), "--only", (char *)progs, "--",
				       self, "--target", (char *)kv, NULL });
	if (rc != 0) {
		/* Must be the known refusal, in words, naming program and section. */
		snprintf(name, sizeof(name), "program %.*s (SEC %s", (int)strcspn(progs, ","),
			 progs, sec_prefix);
		if (!strstr(u.err, lacks) || !strstr(u.err, name)) {
			fprintf(stderr, "FAIL: %s: bpfrec exited %d without saying why in the "
					"expected words (%s, %s):\n%s\n", progs, rc, name, lacks,
				u.err);
			exit(1);
		}
		for (line = strstr(u.err, lacks); line > u.err && line[-1] != '\n'; line--)
			;
		line += strspn(line, " ");
		snprintf(why, whylen, "%.*s", (int)strcspn(line, "\n"), line);
		return 77;
	}
	pid = kv_get(kv, "pid");
	sid = kv_get(kv, "sid");
	CHECK(sid > 0);
	CHECK_EQ_INT(capload(cap, &l), 0);
	for (i = 0; i < l.n; i++)
		CHECK_EQ_INT(ev_int(&l.v[i], "pid"), pid);
	ut_want(&l, "kps", "kind", enter_kind, 3);
	ut_want(&l, "kps", "kind", ret_kind, 3);
	ut_want(&l, "kps", "ret", ut_num(sid), 3);
	ut_want(&l, "kps", NULL, NULL, 6);
	capload_free(&l);
	return 0;
}

int main(int argc, char **argv)
{
	char why_kp[512] = "", why_fe[512] = "";
	int kp, fe, have_kprobes;
	ssize_t n;

	/* _exit: no atexit handlers, so no process of a sanitizer's own (LeakSanitizer
	 * forks at exit) in the recorded tree. */
	if (argc == 3 && !strcmp(argv[1], "--target"))
		_exit(target(argv[2]));
	ut_init(&u, "user_kprobe");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = 0;

	have_kprobes = access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
		       access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
	kp = try_pair("kp_enter,kp_return", "KP_KPROBE", "KP_KRETPROBE", "kprobe/", "no kprobes",
		      why_kp, sizeof(why_kp));
	/* tracefs says whether the kernel has kprobes: bpfrec must agree. */
	CHECK_EQ_INT(kp == 0, have_kprobes);
	fe = try_pair("fe_enter,fe_return", "KP_FENTRY", "KP_FEXIT", "fentry/", "trampolines",
		      why_fe, sizeof(why_fe));
	if (kp || fe) {
		printf("SKIPPED: %s%s%s%s%s\n",
		       kp ? "kprobe/kretprobe: no kprobe_events in tracefs; " : "", kp ? why_kp : "",
		       kp && fe ? "; " : "", fe ? "fentry/fexit: " : "", fe ? why_fe : "");
		if (!kp)
			printf("(kprobe/kretprobe recorded and checked)\n");
		if (!fe)
			printf("(fentry/fexit recorded and checked)\n");
		return 77;
	}
	printf("ok: ukprobe: kprobe/kretprobe and fentry/fexit: 3 calls, getsid's result\n");
	return 0;
}
