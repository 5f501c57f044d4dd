/* test_tp_perf.c - `bpfrec record -e` against an independent reference:
 * perf record -e on the same tracepoints, at the same time (perf records
 * the whole system while bpfrec records tpactor.c's workload).  For the
 * workload's own threads, the event counts per tracepoint and thread, and
 * every field value that `perf script` prints, event by event, must be
 * bpfrec's.  (perf prints the tracepoint's print fmt: a few names differ
 * from the fields', and sched_switch's prev_state is printed as letters.) */
#include "capload.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXEV 4096

struct pev {
	long tid;
	char event[64];
	char kv[1024];       /* " key=value key=value " */
};

static struct pev pevs[MAXEV];
static size_t npev;

static const char *const tps[] = { "sched:sched_process_exec", "sched:sched_process_fork",
				   "signal:signal_generate", "sched:sched_switch", NULL };

/* perf's print-fmt name -> the field's name */
static const char *field_name(const char *event, const char *key)
{
	if (!strcmp(event, "sched_process_fork")) {
		if (!strcmp(key, "comm"))
			return "parent_comm";
		if (!strcmp(key, "pid"))
			return "parent_pid";
	}
	if (!strcmp(event, "signal_generate")) {
		if (!strcmp(key, "grp"))
			return "group";
		if (!strcmp(key, "res"))
			return "result";
	}
	return key;
}

/* sched_switch's prev_state as its print fmt shows it (6.x): the state
 * bits as letters joined by |, R for none, + when preempted. */
static void state_letters(long long v, char *buf, size_t len)
{
	static const char letters[] = "SDTtXZPI";
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < 8; i++)
		if (v & (1 << i))
			n += snprintf(buf + n, len - n, "%s%c", n ? "|" : "", letters[i]);
	if (!n)
		n += snprintf(buf, len, "R");
	if (v & 0x100)
		snprintf(buf + n, len - n, "+");
}

static void load_perf(const char *path, const long *tids, int ntids)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	int execed = 0;

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		struct pev *p = &pevs[npev];
		char *ev, *colon, *rest;
		int i, keep = 0;

		p->tid = strtol(line, &ev, 10);
		/* A thread's last switch, as it exits, comes after its pid is
		 * released: perf's sample then says tid 0.  The switch's own
		 * prev_pid names the thread on both sides. */
		if (strstr(ev, "sched:sched_switch: ") && strstr(ev, " prev_pid="))
			p->tid = atol(strstr(ev, " prev_pid=") + 10);
		for (i = 0; i < ntids; i++)
			keep |= p->tid == tids[i];
		if (!keep)
			continue;
		ev += strspn(ev, " ");
		colon = strstr(ev, ": ");   /* "sched:sched_switch: ..." */
		if (!colon)
			continue;
		*colon = 0;
		rest = colon + 2;
		rest[strcspn(rest, "\n")] = 0;
		colon = strchr(ev, ':');
		snprintf(p->event, sizeof(p->event), "%s", colon ? colon + 1 : ev);
		/* The command is bpfrec's child, held before its exec until every
		 * probe is attached: what it did before the exec precedes the
		 * recording (perf sees it block on the gate). */
		if (p->tid == tids[0] && !execed) {
			execed = !strcmp(p->event, "sched_process_exec");
			if (!execed)
				continue;
		}
		snprintf(p->kv, sizeof(p->kv), " %s ", rest);
		CHECK(npev < MAXEV - 1);
		npev++;
	}
	fclose(f);
}

/* The command's exec in bpfrec's capture (ts), set by main: before it, the
 * command is bpfrec's child held at the gate, and perf's side leaves those
 * events out (load_perf); a switch there is recorded by bpfrec once the
 * probes are attached, so both sides are compared from the exec on. */
static const char *actor_tid_s;
static unsigned long long actor_exec_ts;

/* The i-th event (in time order) of tid on stream in bpfrec's capture. */
static const struct ev *nth_bpfrec(const struct evlist *l, const char *stream, long tid, size_t nth)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (actor_tid_s && tid == atol(actor_tid_s) && l->v[i].ts_ns < actor_exec_ts)
			continue;
		const char *cp = ev_get(&l->v[i], strcmp(stream, "sched_switch") ? "common_pid"
										 : "prev_pid");

		if (strcmp(l->v[i].stream, stream) || !cp || atol(cp) != tid)
			continue;
		if (!nth--)
			return &l->v[i];
	}
	return NULL;
}

int main(void)
{
	const char *dir = test_tmpdir("tp_perf");
	char bpfrec[4096], tpactor[4096], cap[4096], out[4096], pdata[4096], pscript[4096],
		cmd[16384], mpages[24];
	long tids[4];
	struct evlist l;
	size_t i, checked = 0, nbpf = 0;
	int rc, t;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		return 77;
	}
	if (access("/usr/bin/perf", X_OK)) {
		fprintf(stderr, "SKIPPED: no /usr/bin/perf (Debian's linux-perf; tools/setup.sh)\n");
		return 77;
	}
	snprintf(bpfrec, sizeof(bpfrec), "%s/recorder/bpfrec", getenv("BPFREC_BUILD"));
	snprintf(tpactor, sizeof(tpactor), "%s/tests/bpf/tpactor", getenv("BPFREC_BUILD"));
	snprintf(cap, sizeof(cap), "%s/cap", dir);
	snprintf(out, sizeof(out), "%s/actor.out", dir);
	snprintf(pdata, sizeof(pdata), "%s/perf.data", dir);
	snprintf(pscript, sizeof(pscript), "%s/perf.txt", dir);

	/* perf's buffer per CPU: 128 MiB over the CPUs (a power of 2 pages,
	 * 4 MiB at least), so that a machine busy switching tasks (every
	 * switch a sample of perf's) does not fill it before perf reads it:
	 * with 4 MiB on 2 CPUs each running a pipe ping-pong, perf lost events
	 * and the test could only be skipped. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), pages = 1024;

	while (ncpu > 0 && pages * 2 * 4096 * ncpu <= (128l << 20) && pages < 16384)
		pages *= 2;
	snprintf(mpages, sizeof(mpages), "%ld", pages);
	/* perf is recording before bpfrec starts and until it has finished. */
	rc = run_cmd((char *[]){ "/usr/bin/perf", "record", "-q", "-a", "-o", pdata, "-m", mpages,
				  "-e", (char *)tps[0], "-e", (char *)tps[1], "-e", (char *)tps[2],
				  "-e", (char *)tps[3], "--", bpfrec, "record", "-q", "-o", cap,
				  "-e", "sched:sched_process_exec,sched:sched_process_fork", "-e",
				  "signal:signal_generate,sched:sched_switch", "--", tpactor, out,
				  NULL });
	CHECK_EQ_INT(rc, 0);
	snprintf(cmd, sizeof(cmd), "/usr/bin/perf script -i '%s' -F tid,event,trace > '%s' 2>/dev/null",
		 pdata, pscript);
	CHECK_EQ_INT(run_cmd((char *[]){ "/bin/sh", "-c", cmd, NULL }), 0);
	/* perf's own losses: LOST (its ring overflowed) or LOST_SAMPLES
	 * (samples the kernel dropped before the ring) */
	snprintf(cmd, sizeof(cmd), "/usr/bin/perf report -i '%s' --stats 2>/dev/null | "
		 "grep -Eq 'LOST(_SAMPLES)? events: *[1-9]'", pdata);
	if (run_cmd((char *[]){ "/bin/sh", "-c", cmd, NULL }) == 0) {
		fprintf(stderr, "SKIPPED: perf itself lost events on this loaded machine\n");
		return 77;
	}
	tids[0] = kv_get(out, "pid");
	tids[1] = kv_get(out, "exec_pid");
	tids[2] = kv_get(out, "sig_pid");
	tids[3] = kv_get(out, "pong_pid");
	load_perf(pscript, tids, 4);
	CHECK_EQ_INT(capload(cap, &l), 0);
	capload_sort_time(&l);   /* perf script's order; -e's batches come per CPU */
	{
		static char tid0[32];

		snprintf(tid0, sizeof(tid0), "%ld", tids[0]);
		for (i = 0; i < l.n && !actor_exec_ts; i++) {
			const char *cp = ev_get(&l.v[i], "common_pid");

			if (!strcmp(l.v[i].stream, "sched_process_exec") && cp && !strcmp(cp, tid0))
				actor_exec_ts = l.v[i].ts_ns;
		}
		CHECK(actor_exec_ts != 0);
		actor_tid_s = tid0;
	}
	CHECK_EQ_U64(l.lost, 0);

	/* Counts per tracepoint and thread. */
	for (t = 0; tps[t]; t++) {
		const char *stream = strchr(tps[t], ':') + 1;
		int k;

		for (k = 0; k < 4; k++) {
			size_t np = 0, nb = 0;

			for (i = 0; i < npev; i++)
				np += pevs[i].tid == tids[k] && !strcmp(pevs[i].event, stream);
			while (nth_bpfrec(&l, stream, tids[k], nb))
				nb++;
			if (np != nb) {
				fprintf(stderr, "FAIL: %s thread %ld: perf %zu events, bpfrec %zu\n", stream,
					tids[k], np, nb);
				/* perf's side too: what it kept of this thread (the
				 * script's lines are in its output file) */
				for (i = 0; i < npev; i++)
					if (pevs[i].tid == tids[k])
						fprintf(stderr, "  perf: %ld %s:%s\n", pevs[i].tid,
							pevs[i].event, pevs[i].kv);
				fprintf(stderr, "  (perf script's whole output: %s)\n", pscript);
				/* the kernel's rule, not bpfrec's: a classic tracepoint
				 * program returning 0 hides the event from perf */
				if (np < nb)
					fprintf(stderr, "  (perf short: was a BPF program that returns 0 "
						"attached to %s elsewhere on this machine?)\n", stream);
				ev_dump(&l, stream);
				return 1;
			}
			nbpf += nb;
		}
	}

	/* Every value perf prints, event by event per thread and tracepoint. */
	for (i = 0; i < npev; i++) {
		const struct pev *p = &pevs[i];
		size_t nth = 0, j;
		const struct ev *e;
		char kv[1024], *tok, *save = NULL;

		for (j = 0; j < i; j++)
			nth += pevs[j].tid == p->tid && !strcmp(pevs[j].event, p->event);
		e = nth_bpfrec(&l, p->event, p->tid, nth);
		CHECK(e != NULL);
		snprintf(kv, sizeof(kv), "%s", p->kv);
		for (tok = strtok_r(kv, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(tok, '='), want[64];
			const char *name, *got;

			if (!eq || eq == tok)
				continue;   /* "==>" */
			*eq = 0;
			name = field_name(p->event, tok);
			got = ev_get(e, name);
			if (got && !strcmp(name, "prev_state")) {
				state_letters(atoll(got), want, sizeof(want));
				got = want;
			}
			if (!got || strcmp(got, eq + 1)) {
				fprintf(stderr, "FAIL: %s thread %ld event %zu: perf %s=%s, bpfrec %s=%s\n",
					p->event, p->tid, nth, tok, eq + 1, name, got ? got : "(none)");
				return 1;
			}
			checked++;
		}
	}
	fprintf(stderr, "test_tp_perf: %zu events of the workload's threads in both, %zu values "
		"compared\n", nbpf, checked);
	CHECK(nbpf >= 400);   /* the ping-pong's switches, at least */
	capload_free(&l);
	puts("test_tp_perf: ok");
	return 0;
}
