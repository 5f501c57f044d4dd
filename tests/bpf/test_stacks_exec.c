/* test_stacks_exec.c - short-lived processes symbolize: a shell runs
 * `stackprog quick` 6 times in a row (exec, f3 connects, exit: about a
 * millisecond each, gone before the drain reads /proc/PID/maps), recorded
 * with -g; every connect's user stack names f3, f2, f1, main in stackprog,
 * from the mappings taken at exec and exit in the kernel. */
#include "usertest.h"
#include "stackutil.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUNS 6

static struct ut u;

int main(void)
{
	const char *prog = getenv("BPFREC_STACKPROG");
	char work[64], bin[128], cap[128], script[512], bpfreplay[4096], q[8192], *out, *lines[512];
	size_t n, events = 0;
	int status;

	ut_init(&u, "stacks_exec");
	if (!prog) {
		fprintf(stderr, "SKIPPED: BPFREC_STACKPROG not set\n");
		return 77;
	}
	snprintf(bpfreplay, sizeof(bpfreplay), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	snprintf(work, sizeof(work), "/tmp/bpfrec-stacks-exec-XXXXXX");
	CHECK(mkdtemp(work));
	snprintf(bin, sizeof(bin), "%s/stackprog", work);
	snprintf(cap, sizeof(cap), "%s/cap", work);
	su_sh("cp '%s' '%s'", prog, bin);
	snprintf(script, sizeof(script), "for i in $(seq %d); do %s quick; done", RUNS, bin);
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", cap, "-g", "--probe", "connect", "--",
				     "/bin/sh", "-c", script, NULL });

	/* Each connect of stackprog, its first four frames. */
	snprintf(q, sizeof(q), "%s sql -o csv %s \"SELECT f.depth, f.symbol, f.file, c.pid FROM "
		 "connect c JOIN frames f ON f.stack_id = c.ustack_id AND f.pid = c.pid "
		 "WHERE c.comm = 'stackprog' AND f.depth < 4 ORDER BY c.ts, f.depth\"", bpfreplay,
		 cap);
	out = su_run_out(q, &status);
	CHECK(!status);
	n = su_csv_lines(out, lines, 512);
	for (size_t i = 0; i + 4 <= n; i += 4) {
		char what[64];

		snprintf(what, sizeof(what), "short-lived process %zu", i / 4 + 1);
		su_check_f3_to_main(lines + i, 4, what, "stackprog");
		events++;
	}
	if (events != RUNS || n != 4 * RUNS) {
		fprintf(stderr, "want %d connects of stackprog with 4 frames each, got %zu rows:\n",
			RUNS, n);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  %s\n", lines[i]);
		return 1;
	}
	free(out);
	/* The mappings of processes without stacks stay out (the shell's,
	 * sent at its exec and exit): only the stackprog processes have rows. */
	snprintf(q, sizeof(q), "sqlite3 -csv -header %s/index.db \"SELECT count(DISTINCT pid) FROM "
		 "proc_maps\"", cap);
	out = su_run_out(q, &status);
	CHECK(!status);
	if (!strstr(out, "\n6\n")) {
		fprintf(stderr, "proc_maps: want the %d stackprog processes alone:\n%s\n", RUNS, out);
		return 1;
	}
	free(out);
	su_sh("rm -rf '%s' %s", work, "");
	printf("ok: %d processes that exec'ed, connected and exited at once: f3 f2 f1 main\n", RUNS);
	return 0;
}
