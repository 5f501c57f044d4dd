/* test_stacks.c - stacks that travel with the capture.  stackprog (main ->
 * f1 -> f2 -> f3, frame pointers) is recorded with -g (f3 connects) and
 * with --probe profile (f3 spins); then the binaries are deleted, the
 * captures copied to another directory and read there as user nobody:
 * the frames still name f3, f2, f1, main in that order, the connect's
 * kernel stack names kernel functions, a bundle carries the stacks, and a
 * stripped copy without a build id gives [unknown] with its file, never a
 * name. */
#include "usertest.h"
#include "stackutil.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ut u;
static char work[64], bpfreplay[4096];

static char *replay_as_nobody(const char *args)
{
	return su_replay_as_nobody(bpfreplay, args);
}

static void record(const char *cap, char *const extra[], const char *prog, const char *mode,
		   const char *arg)
{
	char *args[32];
	int n = 0;

	args[n++] = "record";
	args[n++] = "-q";
	args[n++] = "-o";
	args[n++] = (char *)cap;
	for (; *extra; extra++)
		args[n++] = *extra;
	args[n++] = "--";
	args[n++] = (char *)prog;
	args[n++] = (char *)mode;
	if (arg)
		args[n++] = (char *)arg;
	args[n] = NULL;
	ut_bpfrec_ok(&u, args);
}

int main(void)
{
	const char *prog = getenv("BPFREC_STACKPROG"), *nobid = getenv("BPFREC_STACKPROG_NOBID");
	char cap_g[256], cap_prof[256], cap_nobid[256], cap_small[256], bin[128], bin_nobid[128];
	char there[128];
	char q[8192], *out, *lines[256];
	size_t n;
	int status;

	ut_init(&u, "stacks");
	if (!prog || !nobid) {
		fprintf(stderr, "SKIPPED: BPFREC_STACKPROG and BPFREC_STACKPROG_NOBID not set\n");
		return 77;
	}
	if (su_have_setpriv())
		return 77;
	snprintf(bpfreplay, sizeof(bpfreplay), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	/* Under /tmp: user nobody must reach the copies, and only them. */
	snprintf(work, sizeof(work), "/tmp/bpfrec-stacks-XXXXXX");
	CHECK(mkdtemp(work));
	CHECK(!chmod(work, 0755));
	snprintf(bin, sizeof(bin), "%s/stackprog", work);
	snprintf(bin_nobid, sizeof(bin_nobid), "%s/stackprog_nobid", work);
	snprintf(cap_g, sizeof(cap_g), "%s/cap-g", work);
	snprintf(cap_prof, sizeof(cap_prof), "%s/cap-profile", work);
	snprintf(cap_nobid, sizeof(cap_nobid), "%s/cap-nobid", work);
	snprintf(there, sizeof(there), "%s/elsewhere", work);
	su_sh("cp '%s' '%s'", prog, bin);
	su_sh("cp '%s' '%s'", nobid, bin_nobid);

	record(cap_g, (char *[]){ "-g", "--probe", "connect", NULL }, bin, "connect", NULL);
	record(cap_prof, (char *[]){ "--probe", "profile:499", NULL }, bin, "spin", "400");
	record(cap_nobid, (char *[]){ "-g", "--probe", "connect", NULL }, bin_nobid, "connect",
	       NULL);
	/* The smallest stack table names the frames the same (checked below),
	 * and the summary says which table it was (a user and a kernel stack). */
	snprintf(cap_small, sizeof(cap_small), "%s/cap-small", work);
	ut_bpfrec_ok(&u, (char *[]){ "record", "-o", cap_small, "-g", "--stack-table", "1024",
				     "--probe", "connect", "--", bin, "connect", NULL });
	ut_err_has(&u, (const char *const[]){ "stacks: 2 distinct (a table of 1024 slots)", NULL });

	/* The binaries go; the captures move to another directory. */
	CHECK(!unlink(bin));
	CHECK(!unlink(bin_nobid));
	CHECK(!mkdir(there, 0755));
	su_sh("cp -r '%s' '%s'", cap_g, there);
	su_sh("cp -r '%s' '%s'", cap_prof, there);
	su_sh("cp -r '%s' '%s'", cap_nobid, there);
	su_sh("cp -r '%s' '%s'", cap_small, there);
	su_sh("rm -rf '%s' %s", cap_small, "");
	su_sh("rm -rf '%s' '%s'", cap_g, cap_prof);
	su_sh("rm -rf '%s' %s", cap_nobid, "");
	su_sh("chmod -R a+rX '%s' %s", there, "");
	snprintf(cap_g, sizeof(cap_g), "%s/cap-g", there);
	snprintf(cap_prof, sizeof(cap_prof), "%s/cap-profile", there);
	snprintf(cap_nobid, sizeof(cap_nobid), "%s/cap-nobid", there);
	snprintf(cap_small, sizeof(cap_small), "%s/cap-small", there);

	/* -g: the connect's user stack, innermost first. */
	snprintf(q, sizeof(q), "sql -o csv %s \"SELECT f.depth, f.symbol, f.file FROM connect c "
		 "JOIN frames f ON f.stack_id = c.ustack_id AND f.pid = c.pid "
		 "WHERE c.comm = 'stackprog' ORDER BY f.depth\"", cap_g);
	out = replay_as_nobody(q);
	n = su_csv_lines(out, lines, 256);
	su_check_f3_to_main(lines, n, "-g connect", "stackprog");
	free(out);

	snprintf(q, sizeof(q), "sql -o csv %s \"SELECT f.depth, f.symbol, f.file FROM connect c "
		 "JOIN frames f ON f.stack_id = c.ustack_id AND f.pid = c.pid "
		 "WHERE c.comm = 'stackprog' ORDER BY f.depth\"", cap_small);
	out = replay_as_nobody(q);
	n = su_csv_lines(out, lines, 256);
	su_check_f3_to_main(lines, n, "-g --stack-table 1024", "stackprog");
	free(out);

	/* A bundle carries them too. */
	snprintf(q, sizeof(q), "%s bundle %s -o %s/g.bpfrec >/dev/null && chmod a+r %s/g.bpfrec",
		 bpfreplay, cap_g, there, there);
	CHECK(!system(q));
	snprintf(q, sizeof(q), "sql -o csv %s/g.bpfrec \"SELECT f.depth, f.symbol, f.file FROM "
		 "connect c JOIN frames f ON f.stack_id = c.ustack_id AND f.pid = c.pid "
		 "WHERE c.comm = 'stackprog' ORDER BY f.depth\"", there);
	out = replay_as_nobody(q);
	n = su_csv_lines(out, lines, 256);
	su_check_f3_to_main(lines, n, "bundle of -g connect", "stackprog");
	free(out);

	/* Its kernel stack: the syscall's path through the kernel. */
	snprintf(q, sizeof(q), "sql -o csv %s \"SELECT f.symbol, f.file FROM connect c "
		 "JOIN frames f ON f.stack_id = c.kstack_id WHERE c.comm = 'stackprog'\"", cap_g);
	out = replay_as_nobody(q);
	if (!strstr(out, "do_syscall_64,[kernel.kallsyms]")) {
		fprintf(stderr, "kernel stack of connect names no do_syscall_64:\n%s\n", out);
		return 1;
	}
	free(out);

	/* show prints the stack under its event. */
	snprintf(q, sizeof(q), "show -s connect %s", cap_g);
	out = replay_as_nobody(q);
	{
		char *ev = strstr(out, "comm=stackprog"), *f3 = ev ? strstr(ev, " f3+0x") : NULL;
		char *f2 = f3 ? strstr(f3, " f2+0x") : NULL, *m = f2 ? strstr(f2, " main+0x") : NULL;

		if (!m || !strstr(f3, "/stackprog)")) {
			fprintf(stderr, "show: no f3 .. main under the connect event:\n%s\n", out);
			return 1;
		}
	}
	free(out);

	/* --probe profile: the samples of stackprog are mostly in f3, called
	 * from f2, f1, main. */
	snprintf(q, sizeof(q), "sql -o csv %s \"SELECT f.depth, f.symbol, f.file FROM frames f "
		 "WHERE f.stack_id = (SELECT ustack_id FROM profile WHERE comm = 'stackprog' "
		 "GROUP BY ustack_id ORDER BY count(*) DESC LIMIT 1) ORDER BY f.depth\"", cap_prof);
	out = replay_as_nobody(q);
	n = su_csv_lines(out, lines, 256);
	su_check_f3_to_main(lines, n, "profile", "stackprog");
	free(out);
	snprintf(q, sizeof(q), "sql -o csv %s \"SELECT sum(ustack_id >= 0), count(*) FROM profile "
		 "WHERE comm = 'stackprog'\"", cap_prof);
	out = replay_as_nobody(q);
	{
		long with = 0, all = 0;

		n = su_csv_lines(out, lines, 2);
		CHECK(n == 1 && sscanf(lines[0], "%ld,%ld", &with, &all) == 2);
		/* 400 ms of CPU at 499 Hz: about 200 samples */
		if (all < 100 || with < all * 9 / 10) {
			fprintf(stderr, "profile: %ld samples of stackprog, %ld with a user stack\n",
				all, with);
			free(out);
			return 1;
		}
	}
	free(out);
	/* flame: the folded stack of the spin carries most samples */
	snprintf(q, sizeof(q), "flame --user -s profile %s", cap_prof);
	out = replay_as_nobody(q);
	{
		unsigned long long best = 0, total = 0, c;
		char *save = NULL, *best_line = NULL;

		for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char *sp = strrchr(l, ' ');

			CHECK(sp && sscanf(sp + 1, "%llu", &c) == 1);
			*sp = 0;
			total += c;
			if (!strncmp(l, "stackprog;", 10) && c > best) {
				best = c;
				best_line = l;
			}
		}
		if (!best_line || !strstr(best_line, ";main;f1;f2;f3") ||
		    strcmp(strstr(best_line, ";main;f1;f2;f3"), ";main;f1;f2;f3")) {
			fprintf(stderr, "flame: the top stack of stackprog is '%s'\n",
				best_line ? best_line : "(none)");
			return 1;
		}
	}
	free(out);

	/* A stripped binary without a build id: its file, no name. */
	snprintf(q, sizeof(q), "sql -o csv %s \"SELECT f.depth, f.symbol, f.file, "
		 "coalesce(f.build_id, 'none') FROM connect c "
		 "JOIN frames f ON f.stack_id = c.ustack_id AND f.pid = c.pid "
		 "WHERE c.comm = 'stackprog_nobid' ORDER BY f.depth\"", cap_nobid);
	out = replay_as_nobody(q);
	n = su_csv_lines(out, lines, 256);
	CHECK(n >= 4);
	for (int i = 0; i < 4; i++) {
		char want[256];

		snprintf(want, sizeof(want), "%d,[unknown],%s,none", i, bin_nobid);
		if (strcmp(lines[i], want)) {
			fprintf(stderr, "stripped: frame %d is '%s', want '%s'\n", i, lines[i], want);
			return 1;
		}
	}
	free(out);

	/* An exec into another program at the same addresses (non-PIE): the
	 * frames of each are named right or not at all, never by the other. */
	{
		const char *np1 = getenv("BPFREC_SP_NP1"), *np2 = getenv("BPFREC_SP_NP2");
		char cap_x[256];

		CHECK(np1 && np2);
		snprintf(cap_x, sizeof(cap_x), "%s/cap-exec", work);
		ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", cap_x, "-g", "--probe", "connect",
					     "--", (char *)np1, "connect-exec", (char *)np2, "connect",
					     NULL });
		snprintf(q, sizeof(q), "%s sql -o csv %s \"SELECT c.comm, f.symbol FROM connect c "
			 "JOIN frames f ON f.stack_id = c.ustack_id AND f.pid = c.pid "
			 "WHERE f.depth < 4 ORDER BY c.ts, f.depth\"", bpfreplay, cap_x);
		out = su_run_out(q, &status);
		CHECK(!status);
		if (!strstr(out, "sp_np1,") || !strstr(out, "sp_np2,") || strstr(out, "sp_np1,g") ||
		    strstr(out, "sp_np2,f")) {
			fprintf(stderr, "exec: one program's frames named by the other's:\n%s\n", out);
			return 1;
		}
		free(out);
	}

	su_sh("rm -rf '%s' %s", work, "");
	(void)status;
	printf("ok: frames f3 f2 f1 main from -g and --probe profile, read as nobody after the "
	       "binary was deleted; kernel frames named; stripped binary [unknown]\n");
	return 0;
}
