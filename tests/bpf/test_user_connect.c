/* test_user_connect.c - a user's connect tracepoint pair
 * (objs/uconnect.bpf.c: sys_enter_connect/sys_exit_connect with
 * trace_event_raw_sys_enter args, paired in a hash map keyed by
 * {u64 pid_tgid; u64 fd}): records the actor with --bpf and finds its two
 * connects with the ports, fds and results (0 and -111) it wrote down, and
 * the {u64; u64}-keyed results map in the end-of-session snapshot. */
#include "testutil.h"
#include "usertest.h"

#include <stdio.h>
#include <string.h>

static void check_connect(const struct evlist *l, long long pid, long long port, long long fd,
			  long long ret)
{
	const struct ev *e = ut_one(l, "conns", "port", ut_num(port));

	CHECK_EQ_INT(ev_int(e, "pid"), pid);
	CHECK_EQ_INT(ev_int(e, "fd"), fd);
	CHECK_EQ_INT(ev_int(e, "ret"), ret);
	CHECK_EQ_INT(ev_int(e, "family"), 2);              /* AF_INET */
	CHECK_EQ_INT(ev_int(e, "addr4"), 0x0100007f);      /* 127.0.0.1, network order */
	CHECK_EQ_INT(ev_int(e, "pad"), 0);
	CHECK(ev_int(e, "latency_ns") > 0 && ev_int(e, "latency_ns") < 5000000000ll);
	CHECK_EQ_U64(e->ts_ns, (unsigned long long)ev_int(e, "ts"));
}

int main(void)
{
	struct ut u;
	struct evlist l;
	const char *cap, *kv;
	long long pid, ok_fd, bad_fd;
	size_t i, found = 0;

	ut_init(&u, "user_connect");
	cap = ut_path(&u, "cap");
	kv = ut_path(&u, "actor.kv");
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--probe", "none", "--bpf",
				     (char *)ut_obj(&u, "uconnect"), "--", u.actor, (char *)kv, NULL });
	pid = kv_get(kv, "pid");
	ok_fd = kv_get(kv, "ok_fd");
	bad_fd = kv_get(kv, "bad_fd");
	CHECK_EQ_INT(kv_get(kv, "ok_ret"), 0);
	CHECK_EQ_INT(kv_get(kv, "bad_ret"), -111);
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_U64(l.lost, 0);
	for (i = 0; i < l.n; i++)
		CHECK(!l.v[i].damaged);

	/* The actor's two connects and nothing else (process-tree filter). */
	ut_want(&l, "conns", NULL, NULL, 2);
	check_connect(&l, pid, kv_get(kv, "listen_port"), ok_fd, 0);
	check_connect(&l, pid, kv_get(kv, "closed_port"), bad_fd, -111);

	/* The results map is not filtered: other processes may be in it. The
	 * actor's rows: key {pid_tgid (pid in the high half), fd}, value ret. */
	for (i = 0; i < l.n; i++) {
		const struct ev *e = &l.v[i];
		long long fd;

		if (strcmp(e->stream, "results") || ev_int(e, "key_pid_tgid") >> 32 != pid)
			continue;
		fd = ev_int(e, "key_fd");
		CHECK(fd == ok_fd || fd == bad_fd);
		CHECK_EQ_INT(ev_int(e, "value"), fd == ok_fd ? 0 : -111);
		CHECK_EQ_INT(e->len, 20);   /* {u64; u64} key, s32 value */
		found++;
	}
	if (found != 2) {
		fprintf(stderr, "FAIL: %zu rows of the actor in the results snapshot, expected 2\n",
			found);
		ev_dump(&l, "results");
		return 1;
	}
	/* starts and inflight are emptied by the exits: no row of the actor. */
	for (i = 0; i < l.n; i++)
		CHECK(strcmp(l.v[i].stream, "starts") ||
		      ev_int(&l.v[i], "key_pid_tgid") >> 32 != pid);

	capload_free(&l);
	printf("ok: uconnect: connect 0 and -111 with the actor's ports and fds; results keyed "
	       "{u64; u64}\n");
	return 0;
}
