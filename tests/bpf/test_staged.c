/* test_staged - staged ringbufs (bpfrec.h BPFREC_STAGED, objs/staged.bpf.c):
 * every event of a child's getpgid(ARG) calls arrives, value by value,
 * whichever way it was staged (filled in place, copied, or sent alone
 * because the CPU's area was busy), in order per CPU and, sorted by time, in
 * the order the calls were made; the fields read straight from task_struct
 * equal the helpers'; a few events, far fewer than a batch, reach a SIGUSR1
 * snapshot within a tick and the capture at the end; a tiny ring's losses
 * are exact (recorded + lost == made), per kind of event where the object
 * counts them so (and per tracepoint for -e, whose probe is staged).  Then the drain alone (recorderlib):
 * drain__final flushes what no tick has, and events it cannot flush (the
 * area stays busy) are counted lost, per CPU.
 *
 * The same for a per-CPU ring read in place (BPFREC_PERCPU_RING,
 * objs/staged.bpf.c built with -DSTAGED_PCRING): every event value by
 * value and in order, the nested one sent to the ringbuf alone, a full
 * 4 KiB ring's losses exact (recorded + lost == made) with bpfrec
 * draining (the size built in, or given by --ringbuf-size), and with the
 * drain alone: the final read takes what no tick has, and a ring filled
 * without a reader keeps exactly what fits (4 and 8 KiB). */
#include "capload.h"
#include "faultutil.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "bpfobj.h"
#include "drain.h"
#include "bpfrec_batch.h"

#define ARG_BASE 0x5eed0000ull

/* The child: makes getpgid(ARG_BASE + i) calls, i counting on from 0, as
 * many as each int read from its pipe says; 0 ends it.  It answers each
 * order with a byte once the calls are made. */
struct child {
	pid_t pid;
	int order, done;
	int migrate;          /* hop between CPU 0 and 1 every 64 calls */
};

static void child_start(struct child *c)
{
	int to[2], from[2];

	CHECK(pipe(to) == 0 && pipe(from) == 0);
	c->pid = fork();
	CHECK(c->pid >= 0);
	if (c->pid == 0) {
		unsigned long long next = ARG_BASE;
		int n;

		close(to[1]);
		close(from[0]);
		while (read(to[0], &n, sizeof(n)) == (ssize_t)sizeof(n) && n > 0) {
			while (n--) {
				if (c->migrate && next % 64 == 0) {
					cpu_set_t set;

					CPU_ZERO(&set);
					CPU_SET((int)((next / 64) & 1), &set);
					sched_setaffinity(0, sizeof(set), &set);
				}
				syscall(SYS_getpgid, next++);
			}
			if (write(from[1], "d", 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	c->order = to[1];
	c->done = from[0];
}

static void child_calls(struct child *c, int n)
{
	char d;

	CHECK(write(c->order, &n, sizeof(n)) == (ssize_t)sizeof(n));
	CHECK(read(c->done, &d, 1) == 1);
}

static void child_end(struct child *c)
{
	int zero = 0, status;

	CHECK(write(c->order, &zero, sizeof(zero)) == (ssize_t)sizeof(zero));
	CHECK(waitpid(c->pid, &status, 0) == c->pid && WIFEXITED(status) && !WEXITSTATUS(status));
	close(c->order);
	close(c->done);
}

static int cmp_arg(const void *a, const void *b)
{
	const struct ev *x = *(const struct ev *const *)a, *y = *(const struct ev *const *)b;
	long long ax = ev_int(x, "arg"), ay = ev_int(y, "arg");

	if (ax != ay)
		return ax < ay ? -1 : 1;
	/* the nested event of a call is made (and stamped) first */
	return ev_int(x, "nested") > ev_int(y, "nested") ? -1 : 1;
}

/* The capture's ev stream holds exactly the events of calls [0, n) of
 * child, once each (twice with nested: once as 0, once as 1), or, with
 * allow_lost, each at most once and as many as n minus what it says was
 * lost.  Returns the events found. */
static size_t check_events(const char *cap, pid_t child, int n, int nested, int allow_lost)
{
	struct evlist l;
	const struct ev **byarg;
	long long last[64][2];
	size_t i, k = 0;
	uint8_t *seen;

	CHECK_EQ_INT(capload(cap, &l), 0);
	byarg = calloc(l.n ? l.n : 1, sizeof(*byarg));
	seen = calloc((size_t)n, 2);
	CHECK(byarg && seen);
	for (i = 0; i < 64; i++)
		last[i][0] = last[i][1] = -1;
	for (i = 0; i < l.n; i++) {
		const struct ev *e = &l.v[i];
		long long arg, nest;
		uint32_t cpu;

		if (strcmp(e->stream, "ev"))
			continue;
		CHECK(!e->damaged);
		arg = ev_int(e, "arg") - (long long)ARG_BASE;
		nest = ev_int(e, "nested");
		cpu = (uint32_t)ev_int(e, "cpu");
		if (arg < 0 || arg >= n || nest < 0 || nest > nested) {
			fprintf(stderr, "unexpected event: arg %lld nested %lld\n", arg, nest);
			CHECK(0);
		}
		CHECK(!seen[arg * 2 + nest]);
		seen[arg * 2 + nest] = 1;
		/* The task's fields, read directly, are the helpers'. */
		CHECK_EQ_INT(ev_int(e, "pid"), child);
		CHECK_EQ_INT(ev_int(e, "pid_h"), child);
		CHECK_EQ_INT(ev_int(e, "tid"), child);
		CHECK_EQ_INT(ev_int(e, "tid_h"), child);
		CHECK_STR(ev_get(e, "comm"), ev_get(e, "comm_h"));
		CHECK_STR(ev_get(e, "comm"), "bpf_test_staged");
		CHECK_EQ_INT(ev_int(e, "cgroup_id"), ev_int(e, "cgroup_id_h"));
		CHECK(ev_int(e, "cgroup_id") > 0);
		CHECK_EQ_INT(ev_int(e, "uid"), ev_int(e, "uid_h"));
		CHECK_EQ_INT(ev_int(e, "uid"), getuid());
		/* The record's CPU is the batch's: the event's own. */
		CHECK_EQ_INT(e->cpu, cpu);
		CHECK_EQ_INT(e->ts_ns, ev_int(e, "ts"));
		/* In order per CPU (and per kind: one sent alone may come
		 * before the batch that holds its CPU's earlier events). */
		CHECK(cpu < 64);
		CHECK(arg > last[cpu][nest]);
		last[cpu][nest] = arg;
		byarg[k++] = e;
	}
	/* By time, the calls' order. */
	qsort(byarg, k, sizeof(*byarg), cmp_arg);
	for (i = 1; i < k; i++)
		CHECK(byarg[i]->ts_ns >= byarg[i - 1]->ts_ns);
	if (allow_lost == 1 && strstr(cap, "kind") == NULL) {
		CHECK_EQ_U64(k + l.lost, (uint64_t)n);
	} else if (allow_lost) {
		CHECK(k <= (uint64_t)n);   /* counted per kind: lost_per_kind checks */
	} else {
		CHECK_EQ_U64(k, (uint64_t)n * (nested ? 2 : 1));
		CHECK_EQ_U64(l.lost, 0);
	}
	free(byarg);
	free(seen);
	capload_free(&l);
	return k;
}

/* `bpfreplay show CAP` prints the ev events in time order, which is the
 * order of their calls: each line's arg= is the one before's + 1. */
static void check_show_order(const char *cap, int n)
{
	char replay[4096], *out, *p;
	long long prev = -1, arg;
	size_t len = 64u << 20;
	int lines = 0;

	snprintf(replay, sizeof(replay), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	out = malloc(len);
	CHECK(out != NULL);
	CHECK_EQ_INT(run_cmd_out((char *[]){ replay, "show", (char *)cap, NULL }, out, len), 0);
	for (p = strstr(out, " arg="); p; p = strstr(p + 1, " arg=")) {
		arg = strtoll(p + 5, NULL, 10) - (long long)ARG_BASE;
		if (prev >= 0 && arg != prev + 1) {
			fprintf(stderr, "show: arg %lld after %lld\n", arg, prev);
			CHECK(0);
		}
		prev = arg;
		lines++;
	}
	CHECK_EQ_INT(lines, n);
	free(out);
}

/* Records the child's n calls with the object (staged, or staged_kind) in
 * mode, ring bytes; checks them.  The capture stays in DIR/TAG.  The child
 * hops between CPUs (when there are two), so that batches of one CPU reach
 * the ring after later ones of the other. */
static size_t record_calls_obj(const char *dir, const char *tag, const char *object, int mode,
			       int n, const char *ring, int nested, int allow_lost)
{
	char cap[4096], obj[4096], tgid[64], setmode[32], rb[64];
	struct child c = { .migrate = libbpf_num_possible_cpus() >= 2 && !nested };
	struct bgrec b;
	size_t k;

	snprintf(cap, sizeof(cap), "%s/%s", dir, tag);
	snprintf(obj, sizeof(obj), "%s/%s.bpf.o", getenv("BPFREC_OBJS"), object);
	child_start(&c);
	snprintf(tgid, sizeof(tgid), "target_tgid=%d", (int)c.pid);
	snprintf(setmode, sizeof(setmode), "mode=%d", mode);
	snprintf(rb, sizeof(rb), "ev=%s", ring);
	fu_start(&b, tag, (char *[]){ "record", "--no-status", "-o", cap, "--probe", "none",
				      "--bpf", obj, "--set", tgid, "--set", setmode,
				      "--ringbuf-size", rb, NULL });
	child_calls(&c, n);
	child_end(&c);
	CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);
	if (nested) {   /* the events sent alone are said */
		char err[16384], want[128];

		snprintf(want, sizeof(want), "map ev: %d events went to the ring alone", n);
		CHECK(strstr(fu_slurp(b.errpath, err, sizeof(err)), want));
	}
	k = check_events(cap, c.pid, n, nested, allow_lost);
	if (!allow_lost && !nested)
		check_show_order(cap, n);
	printf("%s: %d calls, %zu events recorded\n", tag, n, k);
	return k;
}

static void record_calls(const char *dir, const char *tag, int mode, int n, const char *ring,
			 int nested, int allow_lost)
{
	record_calls_obj(dir, tag, "staged", mode, n, ring, nested, allow_lost);
}

/* An object that counts its lost events per kind (BPFREC_STAGE_LOST_EVENT,
 * as tp.bpf.c per tracepoint): with a tiny ring, per parity of ARG,
 * recorded + counted lost == made, and nothing lands on the map's own
 * counter. */
static void lost_per_kind(const char *dir, const char *tag, int mode)
{
	char cap[4096];
	int64_t rec[2] = { 0, 0 }, lost[2] = { 0, 0 }, n = 20000;
	struct evlist l;
	size_t i;
	int k;

	record_calls_obj(dir, tag, "staged_kind", mode, (int)n, "4096", 0, 1);
	snprintf(cap, sizeof(cap), "%s/%s", dir, tag);
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_U64(l.lost, 0);   /* none on the map's own counter */
	for (i = 0; i < l.n; i++) {
		const struct ev *e = &l.v[i];

		if (!strcmp(e->stream, "ev"))
			rec[ev_int(e, "arg") & 1]++;
		else if (!strcmp(e->stream, "lost_by_parity"))
			lost[ev_int(e, "key") & 1] += ev_int(e, "value");
	}
	capload_free(&l);
	for (k = 0; k < 2; k++)
		CHECK_EQ_INT(rec[k] + lost[k], n / 2);
	CHECK(lost[0] > 0 && lost[1] > 0);
	printf("%s: even %lld recorded + %lld lost, odd %lld + %lld, of %lld each\n", tag,
	       (long long)rec[0], (long long)lost[0], (long long)rec[1], (long long)lost[1],
	       (long long)(n / 2));
}

/* A few events, then SIGUSR1: the snapshot holds them (the tick flushed
 * them); a few more just before the end: the capture holds all. */
static void snapshot_and_end(const char *dir)
{
	char cap[4096], snap[4200], obj[4096], tgid[64], err[16384], path[4300];
	struct child c = { 0 };
	struct bgrec b;
	struct stat sb;
	int i;

	snprintf(cap, sizeof(cap), "%s/few", dir);
	snprintf(snap, sizeof(snap), "%s/snapshot-1", cap);
	snprintf(path, sizeof(path), "%s/index.db", snap);
	snprintf(obj, sizeof(obj), "%s/staged.bpf.o", getenv("BPFREC_OBJS"));
	child_start(&c);
	snprintf(tgid, sizeof(tgid), "target_tgid=%d", (int)c.pid);
	fu_start(&b, "few", (char *[]){ "record", "--no-status", "-o", cap, "--probe", "none",
				       "--bpf", obj, "--set", tgid, NULL });
	child_calls(&c, 5);
	fu_sleep_ms(100);   /* a hundred ticks */
	kill(b.pid, SIGUSR1);
	for (i = 0; i < 1000 && !strstr(fu_slurp(b.errpath, err, sizeof(err)), "snapshot: "); i++)
		fu_sleep_ms(10);
	CHECK(strstr(err, "snapshot: "));
	CHECK(stat(path, &sb) == 0);
	check_events(snap, c.pid, 5, 0, 0);
	child_calls(&c, 3);
	child_end(&c);
	CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);
	check_events(cap, c.pid, 8, 0, 0);
	printf("few: 5 events in the snapshot a tick after, 8 at the end\n");
}

/* -e through a 4 KiB ring: each tracepoint's recorded + lost == made (the
 * command: stagedcalls).  raw: raw_syscalls:sys_exit and sys_enter, each
 * filtered to one of the two calls, by the programs on their raw
 * tracepoints (tp_btf) where the kernel has them. */
static void tp_loss(const char *dir, int raw)
{
	char cap[4096], calls[4096], err[16384], sql[512], getppid[64], getpgid[64];
	static const char *const streams[2][2] = { { "sys_enter_getppid", "sys_enter_getpgid" },
						   { "sys_exit", "sys_enter" } };
	static const int64_t made[] = { 20000, 10000 };
	int k;

	snprintf(calls, sizeof(calls), "%s/tests/bpf/stagedcalls", getenv("BPFREC_BUILD"));
	snprintf(cap, sizeof(cap), "%s/tp%s", dir, raw ? "-raw" : "");
	snprintf(getppid, sizeof(getppid), "id == %d", SYS_getppid);
	snprintf(getpgid, sizeof(getpgid), "id == %d", SYS_getpgid);
	if (raw)
		CHECK_EQ_INT(run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "--no-status",
				"-o", cap, "--probe", "none", "-e", "raw_syscalls:sys_exit", "--filter",
				getppid, "-e", "raw_syscalls:sys_enter", "--filter", getpgid,
				"--syscalls-hook", "raw", "--ringbuf-size", "tp_events=4096", "--", calls,
				NULL }), 0);
	else
		CHECK_EQ_INT(run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "--no-status",
				"-o", cap, "--probe", "none", "-e", "syscalls:sys_enter_getppid", "-e",
				"syscalls:sys_enter_getpgid", "--ringbuf-size", "tp_events=4096", "--",
				calls, NULL }), 0);
	for (k = 0; k < 2; k++) {
		int64_t rec, lost;

		snprintf(sql, sizeof(sql), "SELECT coalesce(sum(b.nrecords), 0) FROM block_streams b "
			 "JOIN streams s ON s.id = b.stream_id WHERE s.name = '%s'", streams[raw][k]);
		rec = q_int_index(cap, sql);
		snprintf(sql, sizeof(sql), "SELECT coalesce(sum(l.count), 0) FROM losses l "
			 "JOIN streams s ON s.id = l.stream_id WHERE s.name = '%s'", streams[raw][k]);
		lost = q_int_index(cap, sql);
		printf("-e %s through a 4 KiB ring: %lld recorded + %lld lost of %lld\n",
		       streams[raw][k], (long long)rec, (long long)lost, (long long)made[k]);
		CHECK_EQ_INT(rec + lost, made[k]);
		CHECK(lost > 0);
	}
}

/* -e builds each record in place in its CPU's batch; a record larger than
 * a batch (here: a 4 KiB ring makes batches of 512 bytes, and a 1 KiB
 * string slot makes sched_process_exec's record larger) is built aside and
 * sent alone.  Both ways, the command's exec is there, value by value. */
static void tp_large(const char *dir)
{
	char cap[4096], err[16384], pid[32];
	const struct ev *e;
	struct evlist l;
	int small;

	for (small = 0; small < 2; small++) {
		snprintf(cap, sizeof(cap), "%s/tp_large%d", dir, small);
		CHECK_EQ_INT(run_bpfrec(err, sizeof(err), (char *[]){ "record", "-q", "--no-status",
				"-o", cap, "--probe", "none", "-e", "sched:sched_process_exec",
				"--string-size", "1024", "--ringbuf-size",
				small ? "tp_events=4096" : "tp_events=1M", "--", "/bin/true", NULL }),
			     0);
		CHECK_EQ_INT(capload(cap, &l), 0);
		CHECK_EQ_INT(ev_count(&l, "sched_process_exec", "filename", "/bin/true"), 1);
		e = ev_find(&l, "sched_process_exec", "filename", "/bin/true");
		snprintf(pid, sizeof(pid), "%s", ev_get(e, "pid"));
		CHECK(atoi(pid) > 1);
		CHECK_STR(ev_get(e, "old_pid"), pid);
		CHECK_EQ_U64(l.lost, 0);
		capload_free(&l);
		printf("-e sched_process_exec, 1 KiB string slot, %s ring: /bin/true's exec, "
		       "pid %s\n", small ? "4 KiB (built aside)" : "1 MiB (in place)", pid);
	}
}

/* ---- the drain alone ---- */

struct sink {
	uint64_t records, lost;
	uint32_t lost_cpus;
};

static int sink_append(void *ctx, uint32_t stream_id, uint32_t cpu, uint64_t ts_ns,
		       const void *data, uint32_t len)
{
	struct sink *s = ctx;

	(void)stream_id, (void)cpu, (void)ts_ns, (void)data;
	CHECK_EQ_INT(len, 96);   /* sizeof(struct staged_ev) */
	s->records++;
	return 0;
}

static void sink_loss(void *ctx, uint32_t stream_id, uint32_t cpu, uint64_t ts_ns, uint64_t n)
{
	struct sink *s = ctx;

	(void)stream_id, (void)ts_ns;
	s->lost += n;
	s->lost_cpus |= 1u << (cpu & 31);
}

static void drain_alone(void)
{
	struct bpfobj_opts oo = { .cgroup_fd = -1, .pid_map_fd = -1, .stack_map_fd = -1 };
	char obj[4096], tgid[32];
	struct sink got = { 0 };
	struct drain_sink sink = { sink_append, sink_loss, &got };
	struct drain *d;
	struct bpfobj *o;
	struct child c = { 0 };
	int ncpus = libbpf_num_possible_cpus(), stage_fd, flush_fd, pending_fd, cpu;
	size_t i;

	snprintf(obj, sizeof(obj), "%s/staged.bpf.o", getenv("BPFREC_OBJS"));
	bpfobj__setup_libbpf(0);
	o = bpfobj__open_file(obj, &oo);
	CHECK(o != NULL);
	child_start(&c);
	snprintf(tgid, sizeof(tgid), "%d", (int)c.pid);
	CHECK_EQ_INT(bpfobj__set_global(o, "target_tgid", tgid), 0);
	CHECK_EQ_INT(bpfobj__load(o), 0);
	d = drain__new(&sink, NULL);
	CHECK(d != NULL);
	for (i = 0; i < bpfobj__nstreams(o); i++)
		CHECK_EQ_INT(drain__add(d, o, bpfobj__stream(o, i)), 0);
	CHECK(bpfobj_stream__staging(bpfobj__stream(o, 0), &flush_fd, &pending_fd, &stage_fd));
	CHECK(bpfobj__attach(o, 1) >= 1);

	/* Staged, never ticked: the final drain flushes them. */
	child_calls(&c, 5);
	bpfobj__detach(o);
	CHECK(drain__final(d) >= 0);
	CHECK_EQ_U64(got.records, 5);
	CHECK_EQ_U64(got.lost, 0);

	/* An area that stays busy (as if a program never finished) with
	 * events in it: the final drain cannot flush it, and counts them. */
	{
		size_t vsize = (size_t)bpf_map__value_size(
			bpf_object__find_map_by_name(bpfobj__bpf_object(o), "bpfrec_stage__ev"));
		uint8_t *vals = calloc((size_t)ncpus, (vsize + 7) & ~(size_t)7);
		uint32_t key = 0;

		CHECK(vals != NULL);
		CHECK_EQ_INT(bpf_map_lookup_elem(stage_fd, &key, vals), 0);
		for (cpu = 0; cpu < ncpus; cpu++) {
			struct bpfrec_stage_head *h =
				(void *)(vals + (size_t)cpu * ((vsize + 7) & ~(size_t)7));

			CHECK_EQ_INT(h->b.count, 0);   /* flushed above */
			h->busy = 1;
			h->b.count = 2;
		}
		CHECK_EQ_INT(bpf_map_update_elem(stage_fd, &key, vals, BPF_ANY), 0);
		free(vals);
	}
	CHECK(drain__final(d) >= 0);
	CHECK_EQ_U64(got.records, 5);
	CHECK_EQ_U64(got.lost, 2ull * (uint64_t)ncpus);
	CHECK_EQ_INT(got.lost_cpus, (1u << (ncpus < 32 ? ncpus : 31)) - 1);
	child_end(&c);
	drain__free(d);
	bpfobj__close(o);
	printf("drain alone: 5 staged events flushed by the final drain; 2 left in each of %d "
	       "busy areas counted lost on their CPU\n", ncpus);
}

/* The per-CPU ring with the drain alone (object: staged_pcring or
 * staged_pcring_tiny): n calls, no tick, then the final read. */
static void pcring_drain_alone(const char *object, uint32_t ring, int n, uint64_t *records,
			       uint64_t *lost)
{
	struct bpfobj_opts oo = { .cgroup_fd = -1, .pid_map_fd = -1, .stack_map_fd = -1 };
	char obj[4096], tgid[32];
	struct sink got = { 0 };
	struct drain_sink sink = { sink_append, sink_loss, &got };
	struct child c = { 0 };
	struct drain *d;
	struct bpfobj *o;
	size_t i;

	snprintf(obj, sizeof(obj), "%s/%s.bpf.o", getenv("BPFREC_OBJS"), object);
	bpfobj__setup_libbpf(0);
	o = bpfobj__open_file(obj, &oo);
	CHECK(o != NULL);
	child_start(&c);
	snprintf(tgid, sizeof(tgid), "%d", (int)c.pid);
	CHECK_EQ_INT(bpfobj__set_global(o, "target_tgid", tgid), 0);
	if (ring)   /* as --ringbuf-size ev=RING */
		CHECK_EQ_INT(bpfobj__set_ringbuf_size(o, "ev", ring), 0);
	CHECK_EQ_INT(bpfobj__load(o), 0);
	CHECK(bpfobj_stream__pcring(bpfobj__stream(o, 0)) >= 0);
	d = drain__new(&sink, NULL);
	CHECK(d != NULL);
	for (i = 0; i < bpfobj__nstreams(o); i++)
		CHECK_EQ_INT(drain__add(d, o, bpfobj__stream(o, i)), 0);
	CHECK(bpfobj__attach(o, 1) >= 1);
	child_calls(&c, n);
	bpfobj__detach(o);
	CHECK(drain__final(d) >= 0);
	CHECK_EQ_U64(got.lost, 0);
	/* the program's own count (bpfrec reads it apart from the drain) */
	{
		int fd = bpf_object__find_map_fd_by_name(bpfobj__bpf_object(o), "bpfrec_lost__ev");
		int ncpus = libbpf_num_possible_cpus(), cpu;
		uint64_t *per = calloc((size_t)ncpus, sizeof(*per));
		uint32_t key = 0;

		CHECK(fd >= 0 && per != NULL);
		CHECK_EQ_INT(bpf_map_lookup_elem(fd, &key, per), 0);
		*lost = 0;
		for (cpu = 0; cpu < ncpus; cpu++)
			*lost += per[cpu];
		free(per);
	}
	child_end(&c);
	drain__free(d);
	bpfobj__close(o);
	*records = got.records;
}

static void pcring_cases(const char *dir)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t rec, lost;
	size_t k;

	record_calls_obj(dir, "pcring", "staged_pcring", 0, 3000, "1M", 0, 0);
	record_calls_obj(dir, "pcring_nested", "staged_pcring", 2, 1000, "1M", 1, 0);
	/* 4 KiB a CPU holds 39 of these events: most of 20000 calls find it full */
	/* --ringbuf-size sizes each CPU's ring (the object's: 1 MiB) */
	k = record_calls_obj(dir, "pcring_small", "staged_pcring", 0, 20000, "4096", 0, 1);
	CHECK(k < 20000);

	pcring_drain_alone("staged_pcring", 0, 5, &rec, &lost);
	CHECK_EQ_U64(rec, 5);   /* never ticked: the final read */
	CHECK_EQ_U64(lost, 0);
	pcring_drain_alone("staged_pcring_tiny", 0, 200, &rec, &lost);   /* built 4 KiB */
	CHECK_EQ_U64(rec + lost, 200);
	CHECK(rec >= 39 && rec <= 39ull * (uint64_t)ncpus);
	pcring_drain_alone("staged_pcring", 4096, 200, &rec, &lost);
	CHECK_EQ_U64(rec + lost, 200);
	CHECK(rec >= 39 && rec <= 39ull * (uint64_t)ncpus);
	pcring_drain_alone("staged_pcring", 8192, 200, &rec, &lost);   /* twice as many */
	CHECK_EQ_U64(rec + lost, 200);
	CHECK(rec >= 78 && rec <= 78ull * (uint64_t)ncpus);
	printf("pcring drain alone: 5 of 5 by the final read; a full 8 KiB ring kept %llu of 200 "
	       "calls, %llu counted lost\n", (unsigned long long)rec, (unsigned long long)lost);
}

int main(void)
{
	const char *dir;

	fu_need_root_objs();
	dir = test_tmpdir("staged");
	record_calls(dir, "inplace", 0, 3000, "1M", 0, 0);
	record_calls(dir, "copied", 1, 1000, "1M", 0, 0);
	record_calls(dir, "nested", 2, 1000, "1M", 1, 0);
	record_calls(dir, "tiny", 0, 20000, "4096", 0, 1);
	lost_per_kind(dir, "tiny_kind_inplace", 0);
	lost_per_kind(dir, "tiny_kind_copied", 1);
	snapshot_and_end(dir);
	tp_loss(dir, 0);
#if defined(__x86_64__)
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		tp_loss(dir, 1);
#endif
	tp_large(dir);
	drain_alone();
	pcring_cases(dir);
	printf("ok: staged events arrive whole, in order, promptly, and their losses are exact\n");
	return 0;
}
