/* stackutil.c - helpers of the stack tests (stackutil.h). */
#include "stackutil.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *su_run_out(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	size_t len = 0, cap = 65536;
	char *out = malloc(cap + 1);
	size_t n;

	CHECK(f && out);
	while ((n = fread(out + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			out = realloc(out, (cap *= 2) + 1);
			CHECK(out);
		}
	}
	out[len] = 0;
	*status = pclose(f);
	return out;
}

char *su_replay_as_nobody(const char *bpfreplay, const char *args)
{
	char cmd[8192];
	int status;
	char *out;

	snprintf(cmd, sizeof(cmd), "setpriv --reuid=65534 --regid=65534 --clear-groups %s %s",
		 bpfreplay, args);
	out = su_run_out(cmd, &status);
	if (status) {
		fprintf(stderr, "FAIL: %s: exit status %d\n%s\n", cmd, status, out);
		exit(1);
	}
	return out;
}

void su_sh(const char *fmt, const char *a, const char *b)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	if (system(cmd)) {
		fprintf(stderr, "FAIL: %s\n", cmd);
		exit(1);
	}
}

size_t su_csv_lines(char *out, char **lines, size_t max)
{
	char *save = NULL, *l = strtok_r(out, "\n", &save);
	size_t n = 0;

	for (l = strtok_r(NULL, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	return n;
}

void su_check_f3_to_main(char **lines, size_t n, const char *what, const char *prog)
{
	static const char *const want[] = { "f3", "f2", "f1", "main" };

	if (n < 4)
		fprintf(stderr, "%s: %zu frames, want at least 4\n", what, n);
	CHECK(n >= 4);
	for (int i = 0; i < 4; i++) {
		char sym[64], file[4096];

		if (sscanf(lines[i], "%*d,%63[^,],%4095[^,\n]", sym, file) != 2 ||
		    strcmp(sym, want[i]) ||
		    strcmp(strrchr(file, '/') ? strrchr(file, '/') + 1 : file, prog)) {
			fprintf(stderr, "%s: frame %d is '%s', want %s in %s\n", what, i, lines[i],
				want[i], prog);
			exit(1);
		}
	}
}

int su_have_setpriv(void)
{
	if (system("command -v setpriv >/dev/null")) {
		fprintf(stderr, "SKIPPED: setpriv (util-linux) is missing\n");
		return -1;
	}
	return 0;
}
