/* test_builtin.c - records the actor with the built-in probes and finds
 * exactly the events it caused, with their values. */
#include "capload.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char bpfrec[4096], actor[4096];

static void want_count(const struct evlist *l, const char *stream, const char *field,
		       const char *value, size_t want)
{
	size_t n = ev_count(l, stream, field, value);

	if (n != want) {
		fprintf(stderr, "FAIL: %zu %s events with %s=%s, expected %zu; %s events:\n", n,
			stream, field ? field : "*", value ? value : "*", want, stream);
		ev_dump(l, stream);
		exit(1);
	}
}

int main(void)
{
	const char *build = getenv("BPFREC_BUILD");
	const char *dir = test_tmpdir("builtin");
	char cap[4096], kv[4096], buf[64];
	struct evlist l;
	const struct ev *e;
	long long pid, child, lport, cport, uport;
	size_t i;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		return 77;
	}
	snprintf(bpfrec, sizeof(bpfrec), "%s/recorder/bpfrec", build);
	snprintf(actor, sizeof(actor), "%s/tests/bpf/actor", build);
	snprintf(cap, sizeof(cap), "%s/cap", dir);
	snprintf(kv, sizeof(kv), "%s/actor.kv", dir);
	{
		char *argv[] = { bpfrec, "record", "-q", "-o", cap, "--", actor, kv, NULL };
		int rc = run_cmd(argv);

		CHECK_EQ_INT(rc, 7);   /* the actor's exit status, passed on */
	}
	pid = kv_get(kv, "pid");
	child = kv_get(kv, "child_pid");
	lport = kv_get(kv, "listen_port");
	cport = kv_get(kv, "closed_port");
	uport = kv_get(kv, "udp_port");
	CHECK_EQ_INT(kv_get(kv, "ok_ret"), 0);
	CHECK_EQ_INT(kv_get(kv, "bad_ret"), -111);

	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_U64(l.lost, 0);
	for (i = 0; i < l.n; i++) {
		long long p;

		CHECK(!l.v[i].damaged);
		/* The process-tree filter: nothing from anyone else. */
		p = ev_int(&l.v[i], "pid");
		if (p != pid && p != child) {
			fprintf(stderr, "FAIL: event from pid %lld, not the actor's tree\n", p);
			ev_dump(&l, NULL);
			return 1;
		}
	}

	/* exec: the actor itself (bpfrec's execvp of a path: one call), and
	 * /bin/true in the child, with the actor as parent. */
	want_count(&l, "exec", NULL, NULL, 2);
	snprintf(buf, sizeof(buf), "%lld", child);
	e = ev_find(&l, "exec", "pid", buf);
	CHECK(e);
	CHECK_STR(ev_get(e, "filename"), "/bin/true");
	CHECK_EQ_INT(ev_int(e, "ppid"), pid);
	CHECK_EQ_INT(ev_int(e, "uid"), 0);
	CHECK_STR(ev_get(e, "comm"), "actor");
	e = ev_find(&l, "exec", "filename", actor);
	CHECK(e);
	CHECK_EQ_INT(ev_int(e, "pid"), pid);

	/* connect: one to the listener (0), one to the closed port (-111). */
	want_count(&l, "connect", NULL, NULL, 2);
	snprintf(buf, sizeof(buf), "%lld", lport);
	e = ev_find(&l, "connect", "port", buf);
	CHECK(e);
	CHECK_EQ_INT(ev_int(e, "ret"), 0);
	CHECK_EQ_INT(ev_int(e, "fd"), kv_get(kv, "ok_fd"));
	CHECK_EQ_INT(ev_int(e, "pid"), pid);
	CHECK_EQ_INT(ev_int(e, "family"), 2);
	CHECK_STR(ev_get(e, "addr"), "127.0.0.1");
	CHECK(ev_int(e, "latency_ns") > 0);
	snprintf(buf, sizeof(buf), "%lld", cport);
	e = ev_find(&l, "connect", "port", buf);
	CHECK(e);
	CHECK_EQ_INT(ev_int(e, "ret"), -111);
	CHECK_EQ_INT(ev_int(e, "fd"), kv_get(kv, "bad_fd"));
	CHECK_STR(ev_get(e, "addr"), "127.0.0.1");

	/* sock: 5 sockets created (listener, closed, 2 connecting, udp), 3 binds. */
	want_count(&l, "sock", "op", "SOCK_CREATE", 5);
	want_count(&l, "sock", "op", "SOCK_POST_BIND4", 3);
	want_count(&l, "sock", "op", "SOCK_POST_BIND6", 0);
	for (i = 0; i < l.n; i++) {
		e = &l.v[i];
		if (strcmp(e->stream, "sock") || strcmp(ev_get(e, "op"), "SOCK_POST_BIND4"))
			continue;
		CHECK_STR(ev_get(e, "addr"), "127.0.0.1");
		CHECK_EQ_INT(ev_int(e, "family"), 2);
		CHECK(ev_int(e, "port") == lport || ev_int(e, "port") == cport ||
		      ev_int(e, "port") == uport);
		if (ev_int(e, "port") == uport) {
			CHECK_EQ_INT(ev_int(e, "type"), 2);       /* SOCK_DGRAM */
			CHECK_EQ_INT(ev_int(e, "protocol"), 17);  /* UDP */
		} else {
			CHECK_EQ_INT(ev_int(e, "type"), 1);       /* SOCK_STREAM */
			CHECK_EQ_INT(ev_int(e, "protocol"), 6);   /* TCP */
		}
	}
	/* Every socket is released by the close or the exit. */
	want_count(&l, "sock", "op", "SOCK_RELEASE", 5);

	/* exit: the child (0) and the actor (7), one thread each. */
	want_count(&l, "exit", NULL, NULL, 2);
	snprintf(buf, sizeof(buf), "%lld", pid);
	e = ev_find(&l, "exit", "pid", buf);
	CHECK(e);
	CHECK_EQ_INT(ev_int(e, "exit_code"), 7);
	CHECK_EQ_INT(ev_int(e, "exit_signal"), 0);
	CHECK_EQ_INT(ev_int(e, "tid"), pid);
	snprintf(buf, sizeof(buf), "%lld", child);
	e = ev_find(&l, "exit", "pid", buf);
	CHECK(e);
	CHECK_EQ_INT(ev_int(e, "exit_code"), 0);
	CHECK_STR(ev_get(e, "comm"), "true");
	/* perf samples keep the kernel's CPU; ringbuf records have none. */
	CHECK(e->cpu < 1024);
	CHECK_EQ_U64(ev_find(&l, "exec", NULL, NULL)->cpu, 0xffffffffu);
	/* a perf event array's record with a bpfrec_ts_ns member (exit's, at
	 * 0) takes it as its time, as a ringbuf's does (perf's sample time
	 * comes ~1 us later) */
	for (i = 0; i < l.n; i++) {
		uint64_t member;

		if (strcmp(l.v[i].stream, "exit"))
			continue;
		CHECK(l.v[i].len >= 8);
		memcpy(&member, l.v[i].raw, 8);
		CHECK_EQ_U64(l.v[i].ts_ns, member);
	}
	/* so show prints one time a line, not the member beside it */
	{
		static char out[1 << 20];
		char replay[4096];

		snprintf(replay, sizeof(replay), "%s/replay/bpfreplay", build);
		CHECK_EQ_INT(run_cmd_out((char *[]){ replay, "show", "--stream", "exit", cap, NULL },
					 out, sizeof(out)), 0);
		CHECK(strstr(out, " exit ") && strstr(out, " exit_code=7 ") && !strstr(out, "ts_ns="));
	}

	/* show: a socket has no address at its create and release (the probe
	 * reads none there: zeros), so none is printed -- not "::", an IPv6
	 * any-address, on an AF_INET line; a bind's is; jsonl leaves the keys
	 * out, csv the cells empty */
	{
		static char out[1 << 20];
		static const char *const fmts[] = { "line", "jsonl", "csv" };
		char replay[4096], line[4096], cell[64];
		size_t creates = 0;

		snprintf(replay, sizeof(replay), "%s/replay/bpfreplay", build);
		for (int f = 0; f < 3; f++) {
			CHECK_EQ_INT(run_cmd_out((char *[]){ replay, "show", "-o", (char *)fmts[f],
							     "--stream", "sock", cap, NULL },
						 out, sizeof(out)), 0);
			for (const char *p = out, *end; *p; p = *end ? end + 1 : end) {
				end = strchrnul(p, '\n');
				snprintf(line, sizeof(line), "%.*s", (int)(end - p), p);
				if (!strstr(line, "SOCK_CREATE") && !strstr(line, "SOCK_RELEASE"))
					continue;
				creates++;
				CHECK(strstr(line, "AF_INET"));
				if (f == 0)
					CHECK(!strstr(line, " addr=") && !strstr(line, " port="));
				else if (f == 1)
					CHECK(!strstr(line, "\"addr\":") && !strstr(line, "\"port\":"));
				else
					CHECK(!*csv_cell(out, line, "addr", cell, sizeof(cell)) &&
					      !*csv_cell(out, line, "port", cell, sizeof(cell)));
			}
			snprintf(cell, sizeof(cell), f == 0 ? " port=%lld " : f == 1 ?
				 "\"port\":%lld," : ",%lld,", lport);
			out_line(out, (const char *const[]){ "SOCK_POST_BIND4", cell, f == 0 ?
				 " addr=127.0.0.1" : f == 1 ? "\"addr\":\"127.0.0.1\"" : ",127.0.0.1,",
				 NULL }, line, sizeof(line));
		}
		CHECK_EQ_INT(creates, 3 * 10);
	}

	capload_free(&l);
	printf("ok: built-in probes recorded exactly the actor's events\n");
	return 0;
}
