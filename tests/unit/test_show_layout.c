/* test_show_layout - what show prints of an event's members: the line
 * format aligned in columns (each KEY=VALUE padded to its column's widest,
 * no trailing blanks); stack ids of -1 (recorded without -g) and explicit
 * padding never shown; pointers and bpfrec_addr members in hex, the same
 * 64 bits in the line, table, CSV and JSON formats (JSON read back by
 * python3); a u64 above 2^63 the same unsigned number in all four. */
#include "testutil.h"
#include "fixtures/capfix.h"
#include "fixtures/clirun.h"

#include <sys/wait.h>

#define LAY_DEFINE(...) __VA_ARGS__ static const char lay_src[] = #__VA_ARGS__;
LAY_DEFINE(
typedef unsigned int __u32; typedef int __s32; typedef unsigned long long __u64;
typedef __u64 bpfrec_addr; typedef __s32 bpfrec_ustack_id; typedef __s32 bpfrec_kstack_id;
struct lay { __u64 ts_ns; __u32 pid; __u32 __pad; void *ptr; bpfrec_addr kaddr;
	     bpfrec_ustack_id ustack_id; bpfrec_kstack_id kstack_id; __u64 big; char comm[16]; };
struct lay g_lay;
)

#define NREC 64
#define T0 2000000000ull

static void build(const char *dir, const char *btfdir)
{
	struct cap_session sess = {
		.host = "layhost", .kernel_release = "6.1", .boot_id = "b", .cmdline = "x",
		.tool_version = "bpfrec 0.1.0", .clock_boot_ns = 1000000000ull,
		.clock_real_ns = 1714564800000000000ull, .start_ns = T0 - 1,
	};
	size_t btf_len = 0;
	uint8_t *btf;
	struct capw *w;
	struct blockbuf *bb = blockbuf__new(1 << 16);
	uint32_t obj = 0, sid = 0;

	mkdir(btfdir, 0755);
	btf = btfgen_compile(btfdir, lay_src, &btf_len);
	w = capw__create(dir, NULL);
	CHECK(w && bb && !capw__set_session(w, &sess) &&
	      !capw__add_object(w, "lay", "/tmp/lay.bpf.o", btf, (uint32_t)btf_len, &obj));
	struct cap_stream_desc d = { "lay", "ringbuf", obj, "rb", "lay", 0, 0 };
	CHECK(!capw__add_stream(w, &d, &sid));
	for (uint32_t i = 0; i < NREC; i++) {
		struct lay e = { 0 };
		static const char *const comms[] = { "a", "sshd", "kworker/0:1" };
		e.ts_ns = T0 + i;
		e.pid = 1 + i * 37;                      /* 1 to 4 digits */
		e.__pad = 0xdead;                        /* never shown, whatever it holds */
		e.ptr = (void *)(0xffff888000000000ull + i);
		e.kaddr = 0xffffffff81000000ull + i;
		e.ustack_id = e.kstack_id = -1;
		e.big = (1ull << 63) + i;
		strcpy(e.comm, comms[i % 3]);
		CHECK(!blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e.ts_ns, &e, sizeof(e)));
	}
	CHECK(!capw__write_block(w, bb) && !capw__close(w, T0 + NREC));
	blockbuf__free(bb);
	free(btf);
}

static void test_line(const char *cap)
{
	struct clirun r = CLIRUN("show", cap);
	char *save = NULL, *line;
	long kaddr_at = -1, comm_at = -1;
	uint32_t i = 0;

	CHECK_EQ_INT(r.status, 0);
	CHECK(!strstr(r.out, "stack_id") && !strstr(r.out, "pad") && !strstr(r.out, "dead"));
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		char want[128];
		const char *k = strstr(line, " kaddr="), *c = strstr(line, " comm=");

		snprintf(want, sizeof(want), " ptr=0x%llx", 0xffff888000000000ull + i);
		CHECK(strstr(line, want));
		snprintf(want, sizeof(want), " kaddr=0x%llx", 0xffffffff81000000ull + i);
		CHECK(strstr(line, want));
		snprintf(want, sizeof(want), " big=%llu", (1ull << 63) + i);
		CHECK(strstr(line, want));
		CHECK(line[strlen(line) - 1] != ' ');
		/* from the record whose pid first has 4 digits (i = 28), every
		 * column starts where the one above starts */
		if (i >= 28) {
			if (kaddr_at < 0)
				kaddr_at = k - line, comm_at = c - line;
			if (k - line != kaddr_at || c - line != comm_at) {
				fprintf(stderr, "line %u not aligned (kaddr at %ld, not %ld; comm at "
					"%ld, not %ld):\n%s\n", i, (long)(k - line), kaddr_at,
					(long)(c - line), comm_at, line);
				exit(1);
			}
		}
	}
	CHECK_EQ_INT(i, NREC);
	clirun_free(&r);
}

static const char check_json[] =
"import json, sys\n"
"rows = [json.loads(l) for l in open(sys.argv[1])]\n"
"assert len(rows) == 64\n"
"for i, r in enumerate(rows):\n"
"    assert r['ptr'] == '0x%x' % (0xffff888000000000 + i), r\n"
"    assert r['kaddr'] == '0x%x' % (0xffffffff81000000 + i), r\n"
"    assert r['big'] == 2**63 + i, r\n"
"    assert r['ustack_id'] is None and r['kstack_id'] is None, r\n"
"    assert '__pad' not in r, r\n";

int main(void)
{
	char tmp[PATH_MAX / 2], cap[PATH_MAX], btf[PATH_MAX], out[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("show_layout"));
	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	snprintf(out, sizeof(out), "%s/show.jsonl", tmp);
	clirun_init(tmp);
	(void)capfix_damage_block;
	(void)capfix_build;
	build(cap, btf);
	test_line(cap);

	/* CSV and table: the same hex and the same unsigned number; no stack
	 * id for "none" */
	EXPECT(CLIRUN("show", "-o", "csv", cap), 0,
	       "ts,time,cpu,stream,ts_ns,pid,ptr,kaddr,ustack_id,kstack_id,big,comm\n"
	       "2000000000,2024-05-01T12:00:01.000000000Z,,lay,2000000000,1,0xffff888000000000,"
	       "0xffffffff81000000,,,9223372036854775808,a\n", NULL);
	EXPECT(CLIRUN("show", "-o", "table", cap), 0,
	       "     1  0xffff888000000000  0xffffffff81000000  NULL       NULL       "
	       "9223372036854775808  a\n", NULL);
	/* SQL keeps the numbers */
	EXPECT(CLIRUN("sql", "-o", "csv", cap, "SELECT ptr, ustack_id FROM lay LIMIT 1"), 0,
	       "ptr,ustack_id\n-131391639519232,-1\n", NULL);

	struct clirun r = CLIRUN("show", "-o", "jsonl", cap);
	CHECK_EQ_INT(r.status, 0);
	FILE *f = fopen(out, "w");
	CHECK(f && fputs(r.out, f) >= 0 && !fclose(f));
	clirun_free(&r);
	fflush(NULL);
	pid_t pid = fork();
	int st;
	CHECK(pid >= 0);
	if (!pid) {
		execlp("python3", "python3", "-c", check_json, out, (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("test_show_layout: ok\n");
	return 0;
}
