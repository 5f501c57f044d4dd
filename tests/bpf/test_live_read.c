/* test_live_read - reading a capture while bpfrec records it: `bpfreplay
 * sql` and `bpfreplay show`, run every 400 ms against a recording of a
 * steady producer (objs/burst.bpf.c) with a 100 ms flush interval, succeed
 * and see a growing, consistent prefix: each sql run's record count equals
 * the index's own count of the same snapshot (block_streams), counts never
 * go down, and show prints at least what sql counted just before.  When
 * the recording ends, the index is one file again and holds at least what
 * the readers saw. */
#include "capload.h"
#include "faultutil.h"

#include <sys/syscall.h>

/* Runs argv; its stdout into out (NUL-terminated, truncated to len);
 * returns the exit status. */
static size_t count_lines(const char *s, const char *with)
{
	size_t n = 0;

	for (const char *p = s; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (memmem(p, len, with, strlen(with)))
			n++;
		p += len + (nl != NULL);
	}
	return n;
}

static char out[64 << 20];

int main(void)
{
	const char *objs = fu_need_root_objs();
	const char *dir = test_tmpdir("live_read");
	char cap[4096], obj[4096], tgid[64], replay[4096], path[4200];
	long long prev = -1, first = -1, last = -1;
	struct bgrec b;
	pid_t prod;

	snprintf(cap, sizeof(cap), "%s/cap", dir);
	snprintf(obj, sizeof(obj), "%s/burst_rb.bpf.o", objs);
	snprintf(replay, sizeof(replay), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	prod = fork();
	CHECK(prod >= 0);
	if (prod == 0) {
		for (;;) {   /* a few thousand events a second */
			for (int i = 0; i < 8; i++)
				syscall(SYS_getppid);
			usleep(2000);
		}
	}
	snprintf(tgid, sizeof(tgid), "target_tgid=%d", (int)prod);
	fu_start(&b, "live", (char *[]){ "record", "-o", cap, "--no-status", "--probe", "none",
					 "--bpf", obj, "--set", tgid, "--set", "per_call=1",
					 "--flush-interval", "100ms", NULL });
	for (int round = 0; round < 6; round++) {
		long long n = -1, idx = -2;

		fu_sleep_ms(400);
		/* One invocation, one snapshot: the table and the index agree. */
		int rc = run_cmd_out((char *[]){ replay, "sql", "-o", "csv", cap,
					     "SELECT count(*) FROM events",
					     "SELECT coalesce(sum(b.nrecords), 0) FROM block_streams b "
					     "JOIN streams s ON s.id = b.stream_id WHERE s.name = 'events'",
					     NULL }, out, sizeof(out));
		CHECK_EQ_INT(rc, 0);
		const char *p = out;
		while (*p && sscanf(p, "%lld", &n) != 1)
			p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
		while (*p && sscanf(p, "%lld", &idx) != 1)
			p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
		printf("round %d: sql counts %lld events (index says %lld)", round, n, idx);
		CHECK(n >= 0);
		CHECK_EQ_INT(n, idx);
		CHECK(n >= prev);
		rc = run_cmd_out((char *[]){ replay, "show", "--stream", "events", cap, NULL }, out,
			     sizeof(out));
		CHECK_EQ_INT(rc, 0);
		size_t shown = count_lines(out, "events");
		printf(", show prints %zu\n", shown);
		CHECK((long long)shown >= n);
		/* Recording all along: a live index in WAL mode. */
		snprintf(path, sizeof(path), "%s/index.db-wal", cap);
		CHECK(access(path, F_OK) == 0);
		if (first < 0)
			first = n;
		prev = last = n;
	}
	CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);
	kill(prod, SIGKILL);
	waitpid(prod, NULL, 0);
	CHECK(last > first);   /* a growing prefix */

	/* Finished: one file again, holding at least what the readers saw. */
	CHECK(access(path, F_OK) != 0);
	struct evlist l;
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK((long long)ev_count(&l, "events", NULL, NULL) >= last);
	printf("finished: %zu events (the last reader saw %lld)\n",
	       ev_count(&l, "events", NULL, NULL), last);
	capload_free(&l);
	printf("test_live_read: ok\n");
	return 0;
}
