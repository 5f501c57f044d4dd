/* test_user_exec.c - a user's execve ringbuf (objs/uexec.bpf.c): records
 * the actor with --bpf and checks that the two event types of the one
 * ringbuf land in their own tables with their values, that the event's own
 * bpfrec_ts_ns is the record time, and that the hash maps keyed by
 * {u64; u32} (16 bytes) and by the packed {u64; u32} (12 bytes) are
 * snapshotted and decode to the same keys and values. */
#include "testutil.h"
#include "usertest.h"

#include <stdio.h>
#include <string.h>

#define KEY_ID "1234605616436508552"   /* 0x1122334455667788 */

static void check_snapshot(const struct evlist *l, const char *map, long long pid)
{
	const struct ev *e = ut_one(l, map, "key_pid", ut_num(pid));

	CHECK_STR(ev_get(e, "key_id"), KEY_ID);
	CHECK_EQ_INT(ev_int(e, "value"), 1);         /* one execve each */
	CHECK_EQ_U64(e->cpu, 0xffffffffu);           /* not a per-CPU map */
	/* key | pad to the u64 value | value: 16 + 8 for both layouts */
	CHECK_EQ_INT(e->len, 24);
}

int main(void)
{
	struct ut u;
	struct evlist l;
	const struct ev *e;
	const char *cap, *kv;
	long long pid, child;
	size_t i;

	ut_init(&u, "user_exec");
	cap = ut_path(&u, "cap");
	kv = ut_path(&u, "actor.kv");
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--probe", "none", "--bpf",
				     (char *)ut_obj(&u, "uexec"), "--", u.actor, (char *)kv, NULL });
	pid = kv_get(kv, "pid");
	child = kv_get(kv, "child_pid");
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_U64(l.lost, 0);
	for (i = 0; i < l.n; i++)
		CHECK(!l.v[i].damaged);

	/* One table per event type, none left as bytes in the map's own. */
	ut_want(&l, "uevents", NULL, NULL, 0);
	ut_want(&l, "uexec_ev", NULL, NULL, 2);
	e = ut_one(&l, "uexec_ev", "pid", ut_num(pid));
	CHECK_STR(ev_get(e, "file"), u.actor);
	CHECK_STR(ev_get(e, "comm"), "actor");
	CHECK_EQ_INT(ev_int(e, "kind"), 1);
	e = ut_one(&l, "uexec_ev", "pid", ut_num(child));
	CHECK_STR(ev_get(e, "file"), "/bin/true");
	CHECK_STR(ev_get(e, "comm"), "true");
	/* The struct's bpfrec_ts_ns member (column ts_ in bpfreplay) is the
	 * record's time: ringbuf records carry none of their own. */
	CHECK_EQ_U64(e->ts_ns, (unsigned long long)ev_int(e, "ts"));
	CHECK_EQ_U64(e->cpu, 0xffffffffu);

	ut_want(&l, "uexit_ev", NULL, NULL, 2);
	ut_want(&l, "uexit_ev", "code", "42", 2);
	ut_want(&l, "uexit_ev", "kind", "2", 2);
	e = ut_one(&l, "uexit_ev", "pid", ut_num(child));
	CHECK_EQ_INT(ev_int(e, "pad"), 0);
	CHECK(e->ts_ns > ev_find(&l, "uexec_ev", "pid", ut_num(child))->ts_ns);
	ut_one(&l, "uexit_ev", "pid", ut_num(pid));

	/* The hash snapshots hold every process's execve (the maps are not
	 * filtered): look at the actor's two. */
	check_snapshot(&l, "by_key16", pid);
	check_snapshot(&l, "by_key16", child);
	check_snapshot(&l, "by_key12", pid);
	check_snapshot(&l, "by_key12", child);

	capload_free(&l);
	printf("ok: uexec: 2 exec and 2 exit events in their own tables; 16- and 12-byte keys agree\n");
	return 0;
}
