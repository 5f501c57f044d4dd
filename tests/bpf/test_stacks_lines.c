/* test_stacks_lines.c - line tables travel with the capture: stackprog
 * (built with -g) connects in f3, recorded with -g; once the binary is
 * deleted, frames f3, f2, f1, main carry a source file and line, each the
 * answer of binutils' addr2line for the same address of the original
 * binary, and f3's is the line of the syscall inside it, f2's the line of
 * its call of f3 (read from stackprog.c itself); show prints them; with
 * --no-symbols no line rows are written. */
#include "usertest.h"
#include "stackutil.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ut u;

/* The 1-based line of stackprog.c holding needle, after the line holding
 * after (NULL: from the top). */
static int source_line(const char *src, const char *after, const char *needle)
{
	FILE *f = fopen(src, "r");
	char line[1024];
	int n = 0, armed = !after;

	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (!armed && strstr(line, after))
			armed = 1;
		else if (armed && strstr(line, needle)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	return -1;
}

/* addr2line's "FILE:LINE" for vaddr in bin (a discriminator cut off). */
static void addr2line(const char *bin, unsigned long long vaddr, char *out, size_t outlen)
{
	char cmd[8192], *o;
	int status;

	snprintf(cmd, sizeof(cmd), "addr2line -e '%s' 0x%llx", bin, vaddr);
	o = su_run_out(cmd, &status);
	CHECK(!status);
	o[strcspn(o, " \n")] = 0;
	snprintf(out, outlen, "%s", o);
	free(o);
}

static unsigned long long symbol_vaddr(const char *bin, const char *name)
{
	char cmd[8192], *o;
	unsigned long long v = 0;
	int status;

	snprintf(cmd, sizeof(cmd), "nm '%s' | awk '$3 == \"%s\" { print $1 }'", bin, name);
	o = su_run_out(cmd, &status);
	CHECK(!status && sscanf(o, "%llx", &v) == 1);
	free(o);
	return v;
}

int main(void)
{
	const char *prog = getenv("BPFREC_STACKPROG"), *srcdir = getenv("BPFREC_SRC");
	static const char *const want[] = { "f3", "f2", "f1", "main" };
	char work[64], bin[128], cap[128], cap_ns[128], bpfreplay[4096], q[8192], src[4096];
	char *out, *lines[64];
	size_t n;
	int status, line_f3, line_f2;

	ut_init(&u, "stacks_lines");
	if (!prog || !srcdir) {
		fprintf(stderr, "SKIPPED: BPFREC_STACKPROG or BPFREC_SRC not set\n");
		return 77;
	}
	if (system("command -v addr2line >/dev/null && command -v nm >/dev/null")) {
		fprintf(stderr, "SKIPPED: addr2line and nm (binutils) are missing\n");
		return 77;
	}
	snprintf(bpfreplay, sizeof(bpfreplay), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	snprintf(src, sizeof(src), "%s/tests/bpf/stackprog.c", srcdir);
	line_f3 = source_line(src, "NOINLINE void f3(", "__asm__ volatile(\"syscall\"");
	line_f2 = source_line(src, "NOINLINE void f2(", "f3(connect_once, ms);");
	CHECK(line_f3 > 0 && line_f2 > 0);
	snprintf(work, sizeof(work), "/tmp/bpfrec-stacks-lines-XXXXXX");
	CHECK(mkdtemp(work));
	snprintf(bin, sizeof(bin), "%s/stackprog", work);
	snprintf(cap, sizeof(cap), "%s/cap", work);
	snprintf(cap_ns, sizeof(cap_ns), "%s/cap-nosym", work);
	su_sh("cp '%s' '%s'", prog, bin);
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", cap, "-g", "--probe", "connect", "--",
				     bin, "connect", NULL });
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", cap_ns, "--no-symbols", "-g", "--probe",
				     "connect", "--", bin, "connect", NULL });
	CHECK(!unlink(bin));

	snprintf(q, sizeof(q), "%s sql -o csv %s \"SELECT f.depth, f.symbol, f.offset, f.source, "
		 "f.line FROM connect c JOIN frames f ON f.stack_id = c.ustack_id AND f.pid = c.pid "
		 "WHERE c.comm = 'stackprog' AND f.depth < 4 ORDER BY f.depth\"", bpfreplay, cap);
	out = su_run_out(q, &status);
	CHECK(!status);
	n = su_csv_lines(out, lines, 64);
	if (n != 4) {
		fprintf(stderr, "want 4 frames, got %zu:\n%s\n", n, out);
		return 1;
	}
	for (int d = 0; d < 4; d++) {
		char sym[64], source[4096], got[4200], ref[4200];
		unsigned long long off;
		int depth, line;

		if (sscanf(lines[d], "%d,%63[^,],%llu,%4095[^,],%d", &depth, sym, &off, source,
			   &line) != 5 || depth != d || strcmp(sym, want[d])) {
			fprintf(stderr, "frame %d: '%s': want %s with a source line\n", d, lines[d],
				want[d]);
			return 1;
		}
		/* the same address in the original binary: a return address's
		 * call is the byte before (frame 0 too: the stack was taken in
		 * the connect, and its first frame returns after the syscall) */
		addr2line(prog, symbol_vaddr(prog, sym) + off - 1, ref, sizeof(ref));
		snprintf(got, sizeof(got), "%s:%d", source, line);
		if (strcmp(got, ref)) {
			fprintf(stderr, "frame %d (%s): the capture says %s, addr2line %s\n", d, sym,
				got, ref);
			return 1;
		}
		if ((d == 0 && line != line_f3) || (d == 1 && line != line_f2)) {
			fprintf(stderr, "frame %d (%s): line %d, want %d (stackprog.c)\n", d, sym, line,
				d ? line_f2 : line_f3);
			return 1;
		}
		CHECK(strstr(source, "stackprog.c") != NULL);
	}
	free(out);

	/* show: "f3+0x.. (FILE) .../stackprog.c:LINE" */
	snprintf(q, sizeof(q), "%s show -s connect %s", bpfreplay, cap);
	out = su_run_out(q, &status);
	CHECK(!status);
	snprintf(q, sizeof(q), "stackprog.c:%d\n", line_f3);
	if (!strstr(out, q)) {
		fprintf(stderr, "show: no %s under the event:\n%s\n", q, out);
		return 1;
	}
	free(out);

	/* --no-symbols: no symbols, no lines */
	snprintf(q, sizeof(q), "%s sql -o csv %s \"SELECT count(*) FROM frames WHERE line IS NOT "
		 "NULL OR source IS NOT NULL\"", bpfreplay, cap_ns);
	out = su_run_out(q, &status);
	if (status || !strstr(out, "\n0\n")) {
		fprintf(stderr, "--no-symbols: frames with lines:\n%s\n", out);
		return 1;
	}
	free(out);
	su_sh("rm -rf '%s' %s", work, "");
	printf("ok: f3 f2 f1 main with the source lines addr2line gives, after the binary was "
	       "deleted\n");
	return 0;
}
