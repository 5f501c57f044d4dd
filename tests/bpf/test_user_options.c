/* test_user_options.c - the knobs of `bpfrec record` for user objects, on
 * objs/uopts.bpf.c recording the actor:
 *   --set of a .rodata const volatile u32 (a filter target), a bool and a
 *   char[16], each seen in the events; out-of-range or ill-typed values and
 *   unknown names fail before load with the variable, type and range named;
 *   --only / --skip choose programs (the others' events are absent);
 *   --event MAP=STRUCT decodes a ringbuf that declares no type, which is
 *   otherwise recorded and shown as bytes;
 *   a per-CPU array's snapshot has one record per CPU with the cpu column. */
#include "testutil.h"
#include "usertest.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct ut u;

static void record(const char *cap, const char *kv, char *const extra[])
{
	char *args[48] = { "record", "-q", "-o", (char *)cap, "--probe", "none", "--bpf",
			   (char *)ut_obj(&u, "uopts") };
	int n = 8, i;

	for (i = 0; extra[i]; i++)
		args[n++] = extra[i];
	args[n++] = "--";
	args[n++] = u.actor;
	args[n++] = (char *)kv;
	args[n] = NULL;
	ut_bpfrec_ok(&u, args);
}

/* bpfrec fails before recording, and says each of needles. */
static void refused(char *const extra[], const char *const needles[])
{
	char *args[32] = { "record", "-q", "-o", (char *)ut_path(&u, "never"), "--probe", "none",
			   "--bpf", (char *)ut_obj(&u, "uopts") };
	int n = 8, i, rc;

	for (i = 0; extra[i]; i++)
		args[n++] = extra[i];
	args[n++] = "--";
	args[n++] = "/bin/true";
	args[n] = NULL;
	rc = ut_bpfrec(&u, args);
	if (rc != 1 && rc != 2) {
		fprintf(stderr, "FAIL: bpfrec %s exited %d, expected 1 or 2:\n%s\n", extra[0], rc,
			u.err);
		exit(1);
	}
	ut_err_has(&u, needles);
	CHECK(access(ut_path(&u, "never"), F_OK) != 0);   /* no capture left */
}

/* The raw bytes of struct raw_ev {pid; 0xfeedf00d}, little endian, as hex. */
static const char *raw_hex(long long pid)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%02x%02x%02x%02x0df0edfe", (unsigned)(pid & 0xff),
		 (unsigned)(pid >> 8 & 0xff), (unsigned)(pid >> 16 & 0xff),
		 (unsigned)(pid >> 24 & 0xff));
	return buf;
}

int main(void)
{
	struct evlist l;
	const struct ev *e;
	const char *cap, *kv;
	long long pid, child, sum = 0;
	long ncpu;
	size_t i;
	int cpus_seen[1024] = { 0 }, ncpu_recs = 0;

	ut_init(&u, "user_options");

	/* A: --set u32 filter, char[16]; bool left at its default (true). */
	cap = ut_path(&u, "a");
	kv = ut_path(&u, "a.kv");
	record(cap, kv, (char *[]){ "--set", "want_code=7", "--set", "tag=hello-bpfrec", NULL });
	pid = kv_get(kv, "pid");
	child = kv_get(kv, "child_pid");
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_U64(l.lost, 0);
	ut_want(&l, "opts_events", "tag", "hello-bpfrec", 3);
	ut_want(&l, "opts_events", NULL, NULL, 3);
	ut_want(&l, "opts_events", "kind", "OPT_EXEC", 2);
	e = ut_one(&l, "opts_events", "kind", "OPT_EXIT");   /* the child's exit 0 is filtered */
	CHECK_EQ_INT(ev_int(e, "pid"), pid);
	CHECK_EQ_INT(ev_int(e, "code"), 7);
	CHECK_STR(ev_get(e, "comm"), "actor");
	/* raw_events declares no type: bytes, one column "data".  Without a
	 * type there is no pid to filter on: every process's execve is there. */
	CHECK(ev_count(&l, "raw_events", NULL, NULL) >= 2);
	e = ut_one(&l, "raw_events", "data", raw_hex(child));
	CHECK_EQ_INT(e->nf, 1);
	CHECK_EQ_INT(e->len, 8);
	ut_one(&l, "raw_events", "data", raw_hex(pid));
	/* per-CPU array: one record per possible CPU, each with its cpu */
	ncpu = sysconf(_SC_NPROCESSORS_CONF);
	for (i = 0; i < l.n; i++) {
		e = &l.v[i];
		if (strcmp(e->stream, "exec_per_cpu"))
			continue;
		CHECK(e->cpu < 1024 && e->cpu < (unsigned)ncpu);
		CHECK(!cpus_seen[e->cpu]);
		cpus_seen[e->cpu] = 1;
		CHECK_EQ_INT(ev_int(e, "key"), 0);
		sum += ev_int(e, "value");
		ncpu_recs++;
	}
	CHECK_EQ_INT(ncpu_recs, ncpu);
	CHECK(sum >= 2);   /* the actor's two execve, and anyone else's */
	capload_free(&l);

	/* B: --skip a program, --set a bool off, --event names raw_events' type. */
	cap = ut_path(&u, "b");
	kv = ut_path(&u, "b.kv");
	record(cap, kv, (char *[]){ "--skip", "opt_exit", "--set", "with_exec=false", "--event",
				    "raw_events=raw_ev", NULL });
	pid = kv_get(kv, "pid");
	child = kv_get(kv, "child_pid");
	CHECK_EQ_INT(capload(cap, &l), 0);
	ut_want(&l, "opts_events", NULL, NULL, 0);    /* exits skipped, execs switched off */
	ut_want(&l, "raw_events", NULL, NULL, 2);     /* ... but opt_exec ran; typed: filtered */
	ut_want(&l, "raw_events", "magic", "4277006349", 2);   /* 0xfeedf00d */
	ut_one(&l, "raw_events", "pid", ut_num(pid));
	ut_one(&l, "raw_events", "pid", ut_num(child));
	capload_free(&l);

	/* C: --only the exit program, bool on: no exec events of either map. */
	cap = ut_path(&u, "c");
	kv = ut_path(&u, "c.kv");
	record(cap, kv, (char *[]){ "--only", "opt_exit", "--set", "with_exec=1", NULL });
	pid = kv_get(kv, "pid");
	child = kv_get(kv, "child_pid");
	CHECK_EQ_INT(capload(cap, &l), 0);
	ut_want(&l, "opts_events", "kind", "OPT_EXIT", 2);
	ut_want(&l, "opts_events", NULL, NULL, 2);
	ut_want(&l, "opts_events", "tag", "default", 2);
	e = ut_one(&l, "opts_events", "pid", ut_num(child));
	CHECK_EQ_INT(ev_int(e, "code"), 0);
	CHECK_STR(ev_get(e, "comm"), "true");
	ut_want(&l, "raw_events", NULL, NULL, 0);
	ut_want(&l, "exec_per_cpu", "value", "0", (size_t)ncpu);
	capload_free(&l);

	/* Refused before load, in words. */
	refused((char *[]){ "--set", "want_code=4294967296", NULL },
		(const char *[]){ "want_code", "unsigned int", "from 0 to 4294967295", NULL });
	refused((char *[]){ "--set", "want_code=-1", NULL },
		(const char *[]){ "want_code", "from 0 to 4294967295", NULL });
	refused((char *[]){ "--set", "with_exec=maybe", NULL },
		(const char *[]){ "with_exec", "bool", "true, false", NULL });
	refused((char *[]){ "--set", "tag=0123456789abcdef", NULL },
		(const char *[]){ "tag", "char[16]", "at most 15", NULL });
	refused((char *[]){ "--set", "no_such_var=1", NULL },
		(const char *[]){ "no_such_var", "no --bpf object", NULL });
	refused((char *[]){ "--only", "no_such_prog", NULL },
		(const char *[]){ "--only no_such_prog", "no program", NULL });
	refused((char *[]){ "--skip", "no_such_prog", NULL },
		(const char *[]){ "--skip no_such_prog", "no program", NULL });
	refused((char *[]){ "--event", "raw_events=no_such_struct", NULL },
		(const char *[]){ "no_such_struct", "no struct", NULL });
	refused((char *[]){ "--event", "no_such_map=raw_ev", NULL },
		(const char *[]){ "no_such_map", NULL });

	printf("ok: uopts: --set u32/bool/char[16] seen in events and range-checked, --only/--skip, "
	       "--event, bytes stream, per-CPU snapshot\n");
	return 0;
}
