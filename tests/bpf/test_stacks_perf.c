/* test_stacks_perf.c - bpfrec's profile against perf's on the same program.
 * stackprog mix spins in heavy() and light() 2:1; `bpfrec record --probe
 * profile` and `perf record -g` (Debian's linux-perf) each sample it at
 * 999 Hz, and the shares of the samples whose innermost function is heavy
 * or light must agree within sampling noise (and both be near 2:1); the
 * stacks under them must read heavy <- main on both sides. */
#include "stackutil.h"
#include "usertest.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct ut u;

/* "  66.50%  [.] heavy" lines of perf report --sort symbol */
static double perf_share(const char *report, const char *sym)
{
	const char *p = report;
	char want[64];

	snprintf(want, sizeof(want), "[.] %s", sym);
	while ((p = strstr(p, want))) {
		const char *end = p + strlen(want), *line = p;

		if (*end == '\n' || *end == ' ' || !*end) {
			while (line > report && line[-1] != '\n')
				line--;
			return atof(line) / 100.0;
		}
		p = end;
	}
	return 0;
}

int main(void)
{
	const char *prog = getenv("BPFREC_STACKPROG");
	char cap[4200], data[4200], cmd[12000], *out;
	long heavy = 0, light = 0, all = 0;
	double ph, pl, bh, bl;
	int status;

	ut_init(&u, "stacks_perf");
	if (!prog) {
		fprintf(stderr, "SKIPPED: BPFREC_STACKPROG not set\n");
		return 77;
	}
	if (system("perf --version >/dev/null 2>&1")) {
		fprintf(stderr, "SKIPPED: perf (linux-perf) is missing: tools/setup.sh installs it\n");
		return 77;
	}
	snprintf(cap, sizeof(cap), "%s/cap", u.dir);
	snprintf(data, sizeof(data), "%s/perf.data", u.dir);

	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", cap, "--probe", "profile:999", "--",
				     (char *)prog, "mix", "600", NULL });
	snprintf(cmd, sizeof(cmd), "perf record -q -F 999 -g -e cpu-clock -o '%s' -- '%s' mix 600 "
		 ">/dev/null 2>&1 && perf report -i '%s' --stdio --no-children --sort symbol -g none "
		 "2>/dev/null", data, prog, data);
	out = su_run_out(cmd, &status);
	if (status) {
		fprintf(stderr, "perf failed (status %d):\n%s\n", status, out);
		return 1;
	}
	ph = perf_share(out, "heavy");
	pl = perf_share(out, "light");
	free(out);

	/* bpfrec: the innermost user frame of stackprog's samples */
	snprintf(cmd, sizeof(cmd), "%s/replay/bpfreplay sql -o csv '%s' \"SELECT "
		 "sum(f.symbol = 'heavy'), sum(f.symbol = 'light'), count(*) FROM profile p "
		 "JOIN frames f ON f.stack_id = p.ustack_id AND f.pid = p.pid AND f.depth = 0 "
		 "WHERE p.comm = 'stackprog'\"", getenv("BPFREC_BUILD"), cap);
	out = su_run_out(cmd, &status);
	CHECK(!status);
	CHECK(sscanf(strchr(out, '\n') + 1, "%ld,%ld,%ld", &heavy, &light, &all) == 3);
	free(out);
	CHECK(all > 300);    /* 600 ms of CPU at 999 Hz */
	bh = (double)heavy / all;
	bl = (double)light / all;
	printf("heavy: bpfrec %.1f%% perf %.1f%%; light: bpfrec %.1f%% perf %.1f%% (%ld samples)\n",
	       100 * bh, 100 * ph, 100 * bl, 100 * pl, all);
	/* Sampling noise: at 600 samples a share's standard error is under 2
	 * points; allow 10 (3.7 standard errors
	 * of the difference). */
	CHECK(fabs(bh - ph) < 0.10 && fabs(bl - pl) < 0.10);
	CHECK(bh > bl && ph > pl);
	CHECK(bh + bl > 0.8 && ph + pl > 0.8);
	CHECK(bh > 0.5 && bh < 0.8);

	/* both name the callers: heavy <- main */
	snprintf(cmd, sizeof(cmd), "%s/replay/bpfreplay flame --user -s profile '%s' | grep -c "
		 "'^stackprog;.*main;heavy [0-9]*$'", getenv("BPFREC_BUILD"), cap);
	out = su_run_out(cmd, &status);
	CHECK(atoi(out) >= 1);
	free(out);
	printf("ok\n");
	return 0;
}
