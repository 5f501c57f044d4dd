/* test_rec_opts.c - `bpfrec record`'s command line (recorder/record_opts.c)
 * without root: every option with a good value lands where the recorder
 * reads it; bad values and one more than an option's limit are usage
 * errors whose message names the option (and the limit). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "record.h"
#include "stackcap.h"
#include "testutil.h"

#define MAX_ARGS 256

static char msg[8192];   /* what the last parse printed on stderr */

/* record__parse_args on the NULL-terminated arguments after "record", with
 * stderr captured into msg.  The arguments are copied (the parser writes
 * into LIST arguments) and stay allocated until the next parse: o points
 * into them. */
static int parse_v(struct record_opts *o, const char *const *args)
{
	static char *argv[MAX_ARGS + 2];
	int argc = 0, rc;

	for (argc = 1; argv[argc]; argc++)
		free(argv[argc]);
	argc = 0;
	argv[argc++] = "record";
	for (; *args; args++) {
		CHECK(argc < MAX_ARGS);
		argv[argc++] = strdup(*args);
	}
	argv[argc] = NULL;
	memset(o, 0, sizeof(*o));
	test_stderr_begin();
	rc = record__parse_args(argc, argv, o);
	test_stderr_end(msg, sizeof(msg));
	return rc;
}

#define PARSE(o, ...) parse_v(o, (const char *const[]){ __VA_ARGS__, NULL })

/* A usage error whose message has each of the given parts. */
static void refused_v(int line, const char *const *args, const char *const *parts)
{
	struct record_opts o;
	int rc = parse_v(&o, args);

	if (rc != -EINVAL) {
		fprintf(stderr, "line %d: %s ...: %d, expected -EINVAL\n", line, args[0], rc);
		exit(1);
	}
	for (; *parts; parts++)
		if (!strstr(msg, *parts)) {
			fprintf(stderr, "line %d: %s ...: message '%s' lacks '%s'\n", line, args[0],
				msg, *parts);
			exit(1);
		}
	tpsel__free(o.tpsel);
}

#define REFUSED(args, ...) refused_v(__LINE__, args, (const char *const[]){ __VA_ARGS__, NULL })
#define ARGS(...) (const char *const[]){ __VA_ARGS__, NULL }

/* opt VALUE (opt VALUE KEY=1 when pair) `times` times, VALUE from fmt and
 * the index, then one --bpf (which --set and --event need). */
static int repeated(struct record_opts *o, const char *opt, const char *fmt, int times, int pair)
{
	const char *args[MAX_ARGS + 1];
	char vals[MAX_ARGS][64];
	int n = 0, i;

	for (i = 0; i < times; i++) {
		CHECK(n + 6 < MAX_ARGS);
		snprintf(vals[i], sizeof(vals[i]), fmt, i);
		args[n++] = opt;
		args[n++] = vals[i];
		if (pair)
			args[n++] = "k=1";
	}
	args[n++] = "--bpf";
	args[n++] = "x.bpf.o";
	args[n] = NULL;
	return parse_v(o, args);
}

/* One option given up to its limit is fine; once more, a usage error that
 * names the option and the limit. */
static void over_limit(const char *opt, const char *fmt, int limit, int pair)
{
	int own = !strcmp(opt, "--bpf");   /* repeated() adds one itself */
	struct record_opts o;
	char lim[32];

	CHECK_EQ_INT(repeated(&o, opt, fmt, limit - own, pair), 0);
	tpsel__free(o.tpsel);
	snprintf(lim, sizeof(lim), "at most %d", limit);
	if (repeated(&o, opt, fmt, limit + 1 - own, pair) != -EINVAL || !strstr(msg, opt) ||
	    !strstr(msg, lim)) {
		fprintf(stderr, "%s given %d times: '%s', expected an error naming it and '%s'\n",
			opt, limit + 1, msg, lim);
		exit(1);
	}
	tpsel__free(o.tpsel);
}

static void good_values(void)
{
	struct record_opts o;
	char pid[32];

	/* The defaults */
	CHECK_EQ_INT(PARSE(&o, "-q"), 0);
	CHECK_EQ_INT(o.status, -1);
	CHECK_EQ_INT(o.pid, -1);
	CHECK(!o.out_dir && !o.command && !o.tpsel && !o.nprobes && !o.probes_given);
	CHECK_EQ_INT(o.quiet, 1);
	CHECK_EQ_INT(o.prio_boost, RECORD_PRIO_BOOST_DEFAULT);
	CHECK_EQ_INT(PARSE(&o, "--priority-boost", "0"), 0);
	CHECK_EQ_INT(o.prio_boost, 0);
	CHECK_EQ_INT(PARSE(&o, "--priority-boost", "20"), 0);
	CHECK_EQ_INT(o.prio_boost, 20);

	CHECK_EQ_INT(PARSE(&o, "-o", "/tmp/cap", "--probe", "exec,exit", "--probe", "profile:999",
			   "-d", "1.5s", "--flush-interval", "250ms", "--perf-pages", "128",
			   "--no-status", "--no-symbols", "--no-user-names", "--snapshot-interval", "2s",
			   "--ring", "64M",
			   "--ring-time", "30s", "--stacks", "kernel", "--stack-table", "65536", "-v",
			   "-v", "--", "sleep", "1"),
		     0);
	CHECK_STR(o.out_dir, "/tmp/cap");
	CHECK_EQ_INT(o.probes_given, 1);
	CHECK_EQ_INT(o.nprobes, 3);
	CHECK_STR(o.probes[0], "exec");
	CHECK_STR(o.probes[1], "exit");
	CHECK_STR(o.probes[2], "profile");
	CHECK_EQ_U64(o.sample_hz, 999);
	CHECK_EQ_U64(o.duration_ns, 1500000000ull);
	CHECK_EQ_U64(o.flush_ns, 250000000ull);
	CHECK_EQ_U64(o.perf_pages, 128);
	CHECK_EQ_INT(o.status, 0);
	CHECK_EQ_INT(o.no_symbols, 1);
	CHECK_EQ_INT(o.no_user_names, 1);
	CHECK_EQ_U64(o.snapshot_ns, 2000000000ull);
	CHECK_EQ_U64(o.ring_bytes, 64ull << 20);
	CHECK_EQ_U64(o.ring_ns, 30000000000ull);
	CHECK_EQ_U64(o.stack_flags, STACKCAP_KERNEL);
	CHECK_EQ_U64(o.stack_entries, 65536);
	CHECK_EQ_INT(o.verbose, 2);
	CHECK(o.command && !strcmp(o.command[0], "sleep") && !strcmp(o.command[1], "1") &&
	      !o.command[2]);

	/* --probe none records no built-in probe, and is a choice made */
	CHECK_EQ_INT(PARSE(&o, "--probe", "none", "--status", "-g"), 0);
	CHECK_EQ_INT(o.probes_given, 1);
	CHECK_EQ_INT(o.nprobes, 0);
	CHECK_EQ_INT(o.status, 1);
	CHECK_EQ_U64(o.stack_flags, STACKCAP_USER | STACKCAP_KERNEL);

	/* COMMAND's own options stay its own */
	CHECK_EQ_INT(PARSE(&o, "--all", "ls", "-l", "-q"), 0);
	CHECK_EQ_INT(o.all, 1);
	CHECK_EQ_INT(o.quiet, 0);
	CHECK(o.command && !strcmp(o.command[1], "-l") && !strcmp(o.command[2], "-q"));

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	CHECK_EQ_INT(PARSE(&o, "-p", pid, "--cgroup", "/sys/fs/cgroup/x", "--kernel-btf",
			   "/dev/null"), 0);
	CHECK_EQ_INT(o.pid, (int)getpid());
	CHECK_STR(o.cgroup, "/sys/fs/cgroup/x");
	CHECK_STR(o.kernel_btf, "/dev/null");

	/* The --bpf object options, in order */
	CHECK_EQ_INT(PARSE(&o, "--bpf", "a.bpf.o", "--bpf", "b.bpf.o", "--set", "target_pid=12",
			   "--set", "name=x=y", "--only", "p1,p2", "--skip", "p3", "--strict",
			   "--map-size", "stacks=2048", "--map-put", "filter", "comm=bash",
			   "--attach", "up=/bin/bash:readline", "--ts", "events=t:mono",
			   "--perf-event", "do_sample=page-faults:1",
			   "--ts", "e2=t", "--event", "events=struct_event",
			   "--ringbuf-size", "events=16M"), 0);
	CHECK_EQ_INT(o.nbpf, 2);
	CHECK_STR(o.bpf_files[1], "b.bpf.o");
	CHECK_EQ_INT(o.nsets, 2);
	CHECK_STR(o.sets[1], "name=x=y");
	CHECK_EQ_INT(o.nonly, 2);
	CHECK_STR(o.only[1], "p2");
	CHECK_EQ_INT(o.nskip, 1);
	CHECK_STR(o.skip[0], "p3");
	CHECK_EQ_INT(o.strict, 1);
	CHECK_EQ_INT(o.nmap_sizes, 1);
	CHECK_STR(o.map_sizes[0], "stacks=2048");
	CHECK_EQ_INT(o.nmap_puts, 2);
	CHECK_STR(o.map_puts[0], "filter");
	CHECK_STR(o.map_puts[1], "comm=bash");
	CHECK_EQ_INT(o.nattaches, 1);
	CHECK_STR(o.attaches[0], "up=/bin/bash:readline");
	CHECK_EQ_INT(o.nperf_events, 1);
	CHECK_STR(o.perf_events[0], "do_sample=page-faults:1");
	CHECK_EQ_INT(o.nts_fields, 2);
	CHECK_STR(o.ts_fields[0], "events=t:mono");
	CHECK_EQ_INT(o.nevents, 1);
	CHECK_STR(o.events[0], "events=struct_event");
	CHECK_EQ_INT(o.nrb_sizes, 1);
	CHECK_STR(o.rb_sizes[0], "events=16M");

	/* -e, --event SYSTEM:NAME (perf's spelling), --filter, --syscalls,
	 * --string-size all go to the tracepoint selection */
	CHECK_EQ_INT(PARSE(&o, "-e", "sched:sched_switch", "--filter", "prev_pid > 0",
			   "--event", "signal:*", "--syscalls", "openat,read*", "--string-size",
			   "64"), 0);
	CHECK(o.tpsel && !tpsel__empty(o.tpsel));
	CHECK_EQ_U64(tpsel__string_size(o.tpsel), 64);
	tpsel__free(o.tpsel);
	CHECK_EQ_INT(PARSE(&o, "--string-size", "4096"), 0);
	CHECK(o.tpsel && tpsel__empty(o.tpsel));
	tpsel__free(o.tpsel);
}

static void bad_values(void)
{
	REFUSED(ARGS("--probe", "nosuch"), "--probe nosuch", "no such built-in probe");
	REFUSED(ARGS("--probe", "exec:99"), "--probe exec:99", "only profile takes a rate");
	REFUSED(ARGS("--probe", "profile:0"), "--probe profile:0", "sampling rate");
	REFUSED(ARGS("--probe", "profile:fast"), "--probe profile:fast", "sampling rate");
	REFUSED(ARGS("--set", "=1", "--bpf", "x.o"), "--set =1", "NAME=VALUE");
	REFUSED(ARGS("--set", "novalue", "--bpf", "x.o"), "--set novalue", "NAME=VALUE");
	REFUSED(ARGS("--set", "a=1"), "--set", "--bpf");
	REFUSED(ARGS("--only", "p"), "--only", "--bpf");
	REFUSED(ARGS("--event", "m=s"), "--event", "--bpf");
	REFUSED(ARGS("-d", "0"), "--duration 0", "positive time");
	REFUSED(ARGS("-d", "soon"), "--duration soon");
	REFUSED(ARGS("-p", "x"), "--pid x", "process id");
	REFUSED(ARGS("-p", "0"), "--pid 0", "process id");
	REFUSED(ARGS("-p", "2147483646"), "--pid 2147483646", "no such process");
	REFUSED(ARGS("--flush-interval", "10us"), "--flush-interval 10us", "at least 1ms");
	REFUSED(ARGS("--perf-pages", "3"), "--perf-pages 3", "power of 2");
	REFUSED(ARGS("--perf-pages", "131072"), "--perf-pages 131072", "65536");
	REFUSED(ARGS("--kernel-btf", "/nonexistent/vmlinux"), "--kernel-btf /nonexistent/vmlinux",
		"No such file");
	REFUSED(ARGS("--map-size", "m=0"), "--map-size m=0", "MAP=N");
	REFUSED(ARGS("--map-size", "=5"), "--map-size =5", "MAP=N");
	REFUSED(ARGS("--map-size", "m=8589934592"), "--map-size m=8589934592", "MAP=N");
	REFUSED(ARGS("--map-put", "m"), "--map-put m", "MAP KEY=VALUE");
	REFUSED(ARGS("--map-put", "m", "=v"), "--map-put m", "MAP KEY=VALUE");
	REFUSED(ARGS("--ts", "m=f:utc"), "--ts m=f:utc", "MAP=FIELD:mono");
	REFUSED(ARGS("--ts", "m="), "--ts m=", "MAP=FIELD");
	REFUSED(ARGS("--attach", "p=/bin/sh"), "--attach p=/bin/sh", "PROG=BINARY:FUNCTION");
	REFUSED(ARGS("--perf-event", "p"), "--perf-event p", "PROG=EVENT[:RATE]");
	REFUSED(ARGS("--perf-event", "p=cycels"), "--perf-event p=cycels", "'cycels' is not an "
		"event bpfrec knows");
	REFUSED(ARGS("--perf-event", "p=cpu-clock:0Hz"), "--perf-event p=cpu-clock:0Hz",
		"from 1 to 100000 Hz");
	REFUSED(ARGS("--attach", "p=/bin/sh:"), "--attach p=/bin/sh:", "PROG=BINARY:FUNCTION");
	REFUSED(ARGS("--event", "m=", "--bpf", "x.o"), "--event m=", "MAP=STRUCT");
	/* the nearest valid ringbuf size is named */
	REFUSED(ARGS("--ringbuf-size", "m=5000"), "--ringbuf-size m=5000", "power of 2",
		"nearest valid size is 4096");
	REFUSED(ARGS("--ringbuf-size", "m=100000"), "--ringbuf-size m=100000",
		"nearest valid size is 131072");
	REFUSED(ARGS("--ringbuf-size", "m"), "--ringbuf-size m", "MAP=BYTES");
	REFUSED(ARGS("--snapshot-interval", "1ms"), "--snapshot-interval 1ms", "at least 10ms");
	REFUSED(ARGS("--ring", "512k"), "--ring 512k", "at least 1M");
	REFUSED(ARGS("--ring-time", "500ms"), "--ring-time 500ms", "at least 1s");
	REFUSED(ARGS("--priority-boost", "21"), "--priority-boost 21", "from 0 to 20");
	REFUSED(ARGS("--priority-boost", "-1"), "--priority-boost -1", "from 0 to 20");
	REFUSED(ARGS("--priority-boost", "high"), "--priority-boost high", "nice levels");
	REFUSED(ARGS("--stack-table", "20000"), "--stack-table 20000", "a power of 2 from 1024");
	REFUSED(ARGS("--stack-table", "512"), "--stack-table 512", "a power of 2 from 1024");
	REFUSED(ARGS("--stack-table", "8388608"), "--stack-table 8388608", "to 4194304");
	REFUSED(ARGS("--stack-table", "64k"), "--stack-table 64k", "(e.g. 65536)");
	REFUSED(ARGS("--stacks", "both"), "--stacks both", "user, kernel");
	REFUSED(ARGS("--filter", "pid > 1"), "--filter 'pid > 1'", "after the -e");
	REFUSED(ARGS("-e", "sched:x", "--filter", "a > 1", "--filter", "b > 1"), "--filter 'b > 1'",
		"has a filter already");
	REFUSED(ARGS("-e", "nocolon"), "-e");
	REFUSED(ARGS("--syscalls", "read", "--syscalls", "write"), "--syscalls write", "one list");
	REFUSED(ARGS("--string-size", "0"), "--string-size 0", "from 1 to");
	REFUSED(ARGS("--string-size", "99999"), "--string-size 99999", "from 1 to");
	REFUSED(ARGS("--nosuch"), "Try 'bpfrec record --help'");
	REFUSED(ARGS("-p", "1", "ls"), "-p and a COMMAND");
	REFUSED(ARGS("--all"), "--all applies to a COMMAND");
}

static void limits(void)
{
	char list[RECORD_MAX_PROG_NAMES * 8 + 16];
	size_t n = 0;
	int i;

	/* The case: a 33rd --ringbuf-size said nothing */
	over_limit("--ringbuf-size", "m%d=4096", RECORD_MAX_MAP_OPTS, 0);
	over_limit("--event", "m%d=ev", RECORD_MAX_MAP_OPTS, 0);
	over_limit("--map-size", "m%d=16", RECORD_MAX_MAP_OPTS, 0);
	over_limit("--map-put", "m%d", RECORD_MAX_MAP_OPTS, 1);
	over_limit("--attach", "p%d=/bin/sh:main", RECORD_MAX_MAP_OPTS, 0);
	over_limit("--perf-event", "p%d=cpu-clock", RECORD_MAX_MAP_OPTS, 0);
	over_limit("--ts", "m%d=ts", RECORD_MAX_MAP_OPTS, 0);
	over_limit("--set", "v%d=1", RECORD_MAX_SETS, 0);
	over_limit("--bpf", "o%d.bpf.o", RECORD_MAX_OBJS, 0);

	/* LIST options: the names in all */
	for (i = 0; i <= RECORD_MAX_PROG_NAMES; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%sp%d", i ? "," : "", i);
	REFUSED(ARGS("--only", list, "--bpf", "x.o"), "--only", "at most 64 names");
	REFUSED(ARGS("--skip", list, "--bpf", "x.o"), "--skip", "at most 64 names");
	for (i = 0, n = 0; i <= RECORD_MAX_PROBES; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%sexec", i ? "," : "");
	REFUSED(ARGS("--probe", list), "--probe", "at most 16");
}

int main(void)
{
	good_values();
	bad_values();
	limits();
	puts("test_rec_opts: ok");
	return 0;
}
