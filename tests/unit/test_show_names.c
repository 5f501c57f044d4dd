/* test_show_names.c - names instead of numbers (issue 16): a capture with a
 * socket-ish event (family, type, protocol, ret, exit_signal, a _Bool, an
 * explicit __pad) shown by bpfreplay show in every format: names where
 * users think in names, the number kept in SQL (and errno_name(),
 * signal_name(), af_name() there), padding never shown, booleans as JSON
 * booleans; -r relative time; -o table a table with a header; colour on a
 * terminal (a pty) only, and never with NO_COLOR. */
#include "testutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* the helpers this test does not use */
#include "fixtures/capfix.h"
#include "fixtures/clirun.h"
#pragma GCC diagnostic pop

#include <pty.h>
#include <signal.h>

#define NDEFINE(...) __VA_ARGS__ static const char ntypes_src[] = #__VA_ARGS__;
NDEFINE(
typedef unsigned int __u32; typedef int __s32; typedef unsigned short __u16;
typedef unsigned long long __u64;
enum nerr { NE_PERM = 1, NE_NOENT = 2, NE_CONNREFUSED = 111 };
enum nsig { NEG = -3 };
struct nev { __u64 ts_ns; __u32 pid; __s32 ret; __u16 family; __u16 __pad; __u32 type;
	     __u32 protocol; __u32 exit_signal; _Bool ok; char comm[7]; enum nerr code;
	     enum nsig level; };
struct nev g_nev;
)

static void build(const char *dir, const char *btfdir)
{
	uint8_t *btf;
	struct blockbuf *bb = blockbuf__new(4096);
	uint32_t obj = 0, sid = 0;
	struct capw *w = capfix_writer(dir, btfdir, ntypes_src, "n", &btf, &obj);

	CHECK(bb);
	struct cap_stream_desc d = { "net", "ringbuf", obj, "rb", "nev", 0, 0 };
	CHECK(!capw__add_stream(w, &d, &sid));
	/* 0: a refused TCP connect; 1: a UDP socket killed by SIGKILL, ok;
	 * 2: numbers without names */
	struct nev e[3] = {
		{ CAPFIX_T0, 10, -111, 2, 0, 1, 6, 0, 0, "curl", NE_CONNREFUSED, NEG },
		{ CAPFIX_T0 + 1500, 11, 0, 10, 0, 2 | 04000, 17, 9, 1, "dig", 0, -7 },
		{ CAPFIX_T0 + 3000, 12, -4095, 99, 0, 15, 253, 99, 0, "x", 4095, 0 },
	};
	for (int i = 0; i < 3; i++)
		CHECK(!blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e[i].ts_ns, &e[i], sizeof(e[i])));
	CHECK(!capw__write_block(w, bb));
	CHECK(!capw__close(w, CAPFIX_T0 + 5000));
	blockbuf__free(bb);
	free(btf);
}

/* bpfreplay args... on a pty (a terminal); its output, NUL terminated. */
static char *run_pty(const char *const *args, int no_color)
{
	static char buf[65536];
	const char *argv[16] = { clirun_bin };
	size_t n = 0;
	int fd, st, i;
	pid_t pid;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = forkpty(&fd, NULL, NULL, NULL);
	CHECK(pid >= 0);
	if (pid == 0) {
		if (no_color)
			setenv("NO_COLOR", "1", 1);
		else
			unsetenv("NO_COLOR");
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (k <= 0)
			break;   /* EIO once the child has gone */
		n += (size_t)k;
	}
	buf[n] = 0;
	close(fd);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return buf;
}

int main(void)
{
	const char *tmp = test_tmpdir("show_names");
	char cap[4096], btfdir[4096];
	struct clirun r;

	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(btfdir, sizeof(btfdir), "%s/btf", tmp);
	build(cap, btfdir);
	clirun_init(tmp);

	/* The line format: names, one timestamp, no padding (the columns are
	 * aligned: runs of spaces compared as one). */
	r = CLIRUN("show", cap);
	CHECK_EQ_INT(r.status, 0);
	{
		char *o = r.out;
		for (const char *p = r.out; *p; p++)
			if (*p != ' ' || o == r.out || o[-1] != ' ')
				*o++ = *p;
		*o = 0;
	}
	CHECK(strstr(r.out, "2024-05-01T12:00:01.000000000Z net pid=10 ret=-111 ECONNREFUSED "
			    "family=AF_INET type=SOCK_STREAM protocol=IPPROTO_TCP exit_signal=0 ok=0 "
			    "comm=curl code=NE_CONNREFUSED level=NEG\n"));
	CHECK(strstr(r.out, " net pid=11 ret=0 family=AF_INET6 type=SOCK_DGRAM|SOCK_NONBLOCK "
			    "protocol=IPPROTO_UDP exit_signal=SIGKILL ok=1 comm=dig code=0 level=-7\n"));
	CHECK(strstr(r.out, " net pid=12 ret=-4095 family=99 type=15 protocol=253 exit_signal=99 "
			    "ok=0 comm=x code=4095 level=0\n"));
	CHECK(!strstr(r.out, "__pad") && !strstr(r.out, "ts_ns"));
	CHECK(!strchr(r.out, '\033'));   /* a file, not a terminal */
	clirun_free(&r);

	/* -r: seconds since the first event shown. */
	r = CLIRUN("show", "-r", cap);
	CHECK(strstr(r.out, "+0.000000000 net pid=10 "));
	CHECK(strstr(r.out, "+0.000001500 net pid=11 "));
	clirun_free(&r);

	/* JSON: the names as strings, booleans as booleans, no padding; an
	 * enum's value without a name (a --syscalls row's errno when the call
	 * succeeded) a number, as the other formats print it, not "0". */
	r = CLIRUN("show", "-o", "jsonl", cap);
	CHECK(strstr(r.out, "\"pid\":10,\"ret\":\"ECONNREFUSED\",\"family\":\"AF_INET\","
			    "\"type\":\"SOCK_STREAM\",\"protocol\":\"IPPROTO_TCP\",\"exit_signal\":0,"
			    "\"ok\":false,\"comm\":\"curl\",\"code\":\"NE_CONNREFUSED\",\"level\":\"NEG\"}"));
	CHECK(strstr(r.out, "\"comm\":\"dig\",\"code\":0,\"level\":-7}"));
	CHECK(strstr(r.out, "\"comm\":\"x\",\"code\":4095,\"level\":0}"));
	CHECK(strstr(r.out, "\"exit_signal\":\"SIGKILL\",\"ok\":true,"));
	CHECK(!strstr(r.out, "__pad"));
	clirun_free(&r);

	/* CSV: the header without padding, names in the cells. */
	r = CLIRUN("show", "-o", "csv", cap);
	CHECK(!strncmp(r.out, "ts,time,cpu,stream,ts_ns,pid,ret,family,type,protocol,exit_signal,"
			      "ok,comm,code,level\n", 85));
	CHECK(strstr(r.out, ",net,2000000000,10,ECONNREFUSED,AF_INET,SOCK_STREAM,IPPROTO_TCP,0,0,"
			    "curl,NE_CONNREFUSED,NEG\n"));
	CHECK(strstr(r.out, ",dig,0,-7\n") && strstr(r.out, ",x,4095,0\n"));
	clirun_free(&r);

	/* -o table: a header, a rule, aligned rows. */
	r = CLIRUN("show", "-o", "table", cap);
	CHECK(strstr(r.out, "stream") && strstr(r.out, "-----"));
	CHECK(strstr(r.out, "-111 ECONNREFUSED"));
	{
		/* every line as wide as the header: columns aligned */
		char *nl = strchr(r.out, '\n');
		size_t w = (size_t)(nl - r.out);
		int lines = 0;

		for (char *p = r.out; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
			size_t lw = (size_t)(nl - p);

			while (lw && p[lw - 1] == ' ')
				lw--;
			CHECK(lw <= w);
		}
		CHECK_EQ_INT(lines, 5);
	}
	clirun_free(&r);

	/* SQL keeps the numbers and names them on request. */
	r = CLIRUN("sql", "-o", "csv", cap, "SELECT ret, errno_name(ret), family, af_name(family), "
		   "exit_signal, signal_name(exit_signal), errno_name(4095), af_name('x') FROM net "
		   "ORDER BY ts");
	CHECK_EQ_INT(r.status, 0);
	CHECK(strstr(r.out, "-111,ECONNREFUSED,2,AF_INET,0,,,\n"));
	CHECK(strstr(r.out, "0,,10,AF_INET6,9,SIGKILL,,\n"));
	clirun_free(&r);

	/* A terminal gets colour; NO_COLOR and pipes none. */
	{
		const char *const args[] = { "show", cap, NULL };
		char *out = run_pty(args, 0);

		CHECK(strstr(out, "\033[36mnet\033[0m"));
		CHECK(strstr(out, "\033[31mret=-111 ECONNREFUSED\033[0m"));
		out = run_pty(args, 1);
		CHECK(strstr(out, " net pid=10 ret=-111 ECONNREFUSED"));
		CHECK(!strchr(out, '\033'));
	}
	puts("test_show_names: ok");
	return 0;
}
