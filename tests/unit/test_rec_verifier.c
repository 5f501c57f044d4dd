/* test_rec_verifier.c - the digest of libbpf's and the verifier's messages
 * (recorder/verifier.c) without root: real messages saved from failed
 * loads of tests/bpf/bad/ (tests/unit/fixtures/verifier) are fed as libbpf
 * feeds them, one print call per message; what verifier__explain prints
 * must name the program and show the verifier's own error line and the
 * hint, and a log of megabytes (the real one with its instructions
 * repeated) must still show its error line, in a dozen lines. */
#include <errno.h>
#include <unistd.h>

#include "testutil.h"
#include "verifier.h"

static char out[64 * 1024];   /* what the last explain() printed */

static char *slurp(const char *name, size_t *len)
{
	const char *src = getenv("BPFREC_SRC");
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/unit/fixtures/verifier/%s", src ? src : ".", name);
	f = fopen(path, "r");
	CHECK(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	CHECK(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Feeds text to verifier__keep as libbpf's print callback gets it: a
 * message starts with "libbpf: " and runs to the next one (a verifier log
 * is one message, its lines unprefixed). */
static void feed(const char *text)
{
	const char *p = text;

	verifier__reset();
	while (*p) {
		const char *next = strstr(p + 1, "\nlibbpf: ");
		size_t n = next ? (size_t)(next + 1 - p) : strlen(p);
		char *msg = strndup(p, n);

		CHECK(msg);
		verifier__keep(msg);
		free(msg);
		p += n;
	}
}

static int explain(int err)
{
	int lines = 0;

	test_stderr_begin();
	verifier__explain(NULL, err);
	test_stderr_end(out, sizeof(out));
	for (const char *p = out; (p = strchr(p, '\n')); p++)
		lines++;
	return lines;
}

static void shows(int line, const char *what)
{
	if (!strstr(out, what)) {
		fprintf(stderr, "line %d: the digest lacks '%s':\n%s", line, what, out);
		exit(1);
	}
}
#define SHOWS(what) shows(__LINE__, what)

static void failed_program(const char *want)
{
	char name[128];

	if (!want) {
		CHECK_EQ_INT(verifier__failed_program(name, sizeof(name)), 0);
		return;
	}
	CHECK_EQ_INT(verifier__failed_program(name, sizeof(name)), 1);
	CHECK_STR(name, want);
}

/* The real log with the instructions between the log's start and its
 * error line repeated until the message is over `bytes`. */
static char *long_log(const char *log, const char *error_line, size_t bytes)
{
	const char *body = strstr(log, "-- BEGIN PROG LOAD LOG --\n"), *err = strstr(log, error_line);
	size_t head, blen, n = 0;
	char *big;

	CHECK(body && err && body < err);
	body = strchr(body, '\n') + 1;
	head = (size_t)(body - log);
	blen = (size_t)(err - body);
	big = malloc(bytes + strlen(log) + blen + 1);
	CHECK(big);
	memcpy(big, log, head);
	n = head;
	while (n < bytes) {
		memcpy(big + n, body, blen);
		n += blen;
	}
	strcpy(big + n, err);
	return big;
}

int main(void)
{
	char *log, *big;
	int lines;

	/* cgroup/sock_create reads bpf_sock.src_port */
	log = slurp("ctx_access.log", NULL);
	feed(log);
	failed_program("create_port");
	lines = explain(-EACCES);
	SHOWS("program create_port (SEC ?) was rejected by the verifier");
	SHOWS("    invalid bpf_context access off=44 size=4\n");
	SHOWS("    7: (61) r1 = *(u32 *)(r6 +44)\n");
	SHOWS("hint: the program reads a context field this attach point does not allow");
	CHECK(!strstr(out, "processed 7 insns"));   /* not a useful line */
	CHECK(lines <= 16);

	/* A log of megabytes, in one message as libbpf sends it: its error
	 * line is at its very end, and it is shown. */
	big = long_log(log, "invalid bpf_context access off=44 size=4", 4u << 20);
	feed(big);
	failed_program("create_port");
	lines = explain(-EACCES);
	SHOWS("program create_port (SEC ?) was rejected by the verifier");
	SHOWS("    invalid bpf_context access off=44 size=4\n");
	SHOWS("hint: the program reads a context field");
	CHECK(lines <= 16);
	/* and line by line, as another loader might */
	verifier__reset();
	for (char *p = big, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = 0;
		verifier__keep(p);
		verifier__keep("\n");
	}
	/* its first lines are long gone; libbpf's line after the log names
	 * the program */
	failed_program("create_port");
	lines = explain(-EACCES);
	SHOWS("invalid bpf_context access off=44 size=4\n");
	CHECK(lines <= 16);
	free(big);
	free(log);

	/* A GPL-only helper without a GPL license */
	log = slurp("no_license.log", NULL);
	feed(log);
	failed_program("exit_comm");
	explain(-EINVAL);
	SHOWS("program exit_comm (SEC ?) was rejected by the verifier");
	SHOWS("    cannot call GPL-restricted function from non-GPL compatible program\n");
	SHOWS("program exit_comm calls bpf_get_current_task, a GPL-only helper");
	SHOWS("hint: the program calls a GPL-only helper but declares no GPL license");
	free(log);

	/* A CO-RE relocation against a struct the kernel does not have */
	log = slurp("core_renamed.log", NULL);
	feed(log);
	failed_program("exit_tgid");
	explain(-EINVAL);
	SHOWS("program exit_tgid (SEC ?) was rejected by the verifier");
	SHOWS("    failed to resolve CO-RE relocation <byte_off> [12] struct my_task_struct.tgid");
	SHOWS("hint: a CO-RE relocation names a type or field this kernel's BTF does not have");
	free(log);

	/* A map the kernel refuses at creation: no program failed */
	log = slurp("max_entries_0.log", NULL);
	feed(log);
	failed_program(NULL);
	explain(-EINVAL);
	SHOWS("  libbpf: map 'zero_counts': failed to create: Invalid argument(-22)\n");
	SHOWS("hint: a map was refused at creation: max_entries must be > 0");
	CHECK(!strstr(out, "rejected by the verifier"));
	free(log);

	/* Nothing kept: nothing to say, no crash */
	verifier__reset();
	failed_program(NULL);
	explain(-EPERM);
	CHECK_STR(out, "");

	puts("test_rec_verifier: ok");
	return 0;
}
