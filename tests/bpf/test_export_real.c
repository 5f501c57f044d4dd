/* test_export_real - a real recording seen through export and report:
 * bpfrec records the actor (-- COMMAND: it forks a child that execs
 * /bin/true, connects twice, exits 7); then
 *   - bpfreplay export --format perfetto: every record once (counts per
 *     stream from the capture itself, capload), pids and tids right, slices
 *     nested, lifetimes balanced (tests/unit/check_trace.py); the actor and
 *     its child are processes named by their last comm; the child's
 *     lifetime is a slice named true; both connects are complete slices on
 *     the actor's thread with their ret;
 *   - bpfreplay report: the process tree holds the child under the actor,
 *     and the failed connect is counted under ECONNREFUSED;
 *   - bpfreplay export --format parquet of a recording of its sockets
 *     (--probe sock, connect), read by DuckDB and hyparquet
 *     (tests/node/check_export.mjs): every column as bpfreplay sql has it,
 *     but the fields a row lacks, NULL where show leaves them out (a
 *     socket's create and release have no address yet). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "capload.h"
#include "testutil.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	CHECK(f);
	CHECK(fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0);
	buf = malloc((size_t)n + 1);
	CHECK(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* The actor's sockets recorded, exported to Parquet and read back by the
 * independent readers: the address a socket's create and release lack is
 * NULL in the file.  Skipped (a note) without node and the readers. */
static int export_lacks(const char *bpfrec, const char *replay, const char *actor,
			const char *dir, const char *src)
{
	char kv[4096], cap[4096], pq[4096], node[4096], cmd[32768], out[4096], err[16384];
	struct utsname u;
	int rc;

	snprintf(node, sizeof(node), "%s/tests/node", src);
	snprintf(cmd, sizeof(cmd), "node --version >/dev/null 2>&1 && test -f "
		 "'%s/node_modules/hyparquet/package.json' -a -f "
		 "'%s/node_modules/hyparquet-compressors/package.json' -a -f "
		 "'%s/node_modules/@duckdb/node-api/package.json'", node, node, node);
	if (system(cmd)) {
		fprintf(stderr, "note: node or the readers (tests/node: npm install) are missing: "
			"the Parquet check is skipped (tools/setup.sh)\n");
		return 0;
	}
	snprintf(kv, sizeof(kv), "%s/sock.kv", dir);
	snprintf(cap, sizeof(cap), "%s/sockcap", dir);
	snprintf(pq, sizeof(pq), "%s/pq", dir);
	rc = run_cmd_err((char *[]){ (char *)bpfrec, "record", "-q", "-o", cap, "--probe",
				     "sock,connect", "--", (char *)actor, kv, NULL }, err, sizeof(err));
	if (rc != 0 && rc != 7) {
		fprintf(stderr, "bpfrec record --probe sock: exit %d\n%s\n", rc, err);
		return 1;
	}
	CHECK_EQ_INT(run_cmd((char *[]){ (char *)replay, "export", cap, "--format", "parquet",
					 "-o", pq, NULL }), 0);
	CHECK(uname(&u) == 0);
	for (int i = 0; i < 2; i++) {
		const char *stream = i ? "connect" : "sock";
		snprintf(cmd, sizeof(cmd), "node '%s/check_export.mjs' --no-row-group-test '%s' '%s' "
			 "%s '%s=sockcap=%s' 2>&1", node, replay, pq, stream, u.nodename, cap);
		FILE *p = popen(cmd, "r");
		size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
		out[n] = 0;
		rc = p ? pclose(p) : -1;
		if (rc) {
			fprintf(stderr, "failed: %s\n%s", cmd, out);
			return 1;
		}
		/* the sock stream's creates and releases lack port and addr */
		if (!i && (!strstr(out, "fields a row lacks are NULL") ||
			   strstr(out, "; 0 fields a row lacks"))) {
			fprintf(stderr, "no field a row lacks was checked: %s", out);
			return 1;
		}
	}
	return 0;
}

int main(void)
{
	const char *dir = test_tmpdir("export_real"), *build = getenv("BPFREC_BUILD"),
		   *src = getenv("BPFREC_SRC");
	char bpfrec[4096], replay[4096], actor[4096], kv[4096], cap[4096], trace[4096],
	     html[4096], cmd[16384], want[512], err[16384];
	long long apid, cpid;
	struct evlist l;
	char *json;
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		return 77;
	}
	CHECK(build && src);
	snprintf(bpfrec, sizeof(bpfrec), "%s/recorder/bpfrec", build);
	snprintf(replay, sizeof(replay), "%s/replay/bpfreplay", build);
	snprintf(actor, sizeof(actor), "%s/tests/bpf/actor", build);
	snprintf(kv, sizeof(kv), "%s/actor.kv", dir);
	snprintf(cap, sizeof(cap), "%s/cap", dir);
	snprintf(trace, sizeof(trace), "%s/trace.json", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);

	rc = run_cmd_err((char *[]){ bpfrec, "record", "-q", "-o", cap, "--probe",
				     "exec,exit,connect", "--", actor, kv, NULL }, err, sizeof(err));
	if (rc != 0 && rc != 7) {   /* bpfrec passes on the command's status (7) */
		fprintf(stderr, "bpfrec record: exit %d\n%s\n", rc, err);
		return 1;
	}
	apid = kv_get(kv, "pid");
	cpid = kv_get(kv, "child_pid");
	CHECK(capload(cap, &l) == 0);
	snprintf(want, sizeof(want), "%lld", cpid);
	CHECK_EQ_INT(ev_count(&l, "exec", "pid", want), 1);

	/* the trace: every record once, as the capture holds them */
	CHECK_EQ_INT(run_cmd((char *[]){ replay, "export", cap, "--format", "perfetto", "-o", trace,
					 NULL }), 0);
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/unit/check_trace.py' '%s' exec=%zu exit=%zu "
		 "connect=%zu --comm %lld=actor --comm %lld=true", src, trace,
		 ev_count(&l, "exec", NULL, NULL), ev_count(&l, "exit", NULL, NULL),
		 ev_count(&l, "connect", NULL, NULL), apid, cpid);
	if (system(cmd)) {
		fprintf(stderr, "failed: %s\n", cmd);
		return 1;
	}
	json = slurp(trace);
	/* the child's life: from its exec of /bin/true to its exit */
	snprintf(want, sizeof(want), "{\"ph\":\"b\",\"cat\":\"process\",\"id\":%lld,\"pid\":%lld,"
		 "\"tid\":%lld,", cpid, cpid, cpid);
	CHECK(strstr(json, want));
	CHECK(strstr(strstr(json, want), "\"name\":\"true\""));
	snprintf(want, sizeof(want), "{\"ph\":\"e\",\"cat\":\"process\",\"id\":%lld,", cpid);
	CHECK(strstr(json, want));
	CHECK(strstr(strstr(json, want), "\"exit\":\"exit\""));
	/* both connects: slices on the actor's main thread, with their ret */
	snprintf(want, sizeof(want), "\"name\":\"connect\",\"cat\":\"connect\",\"pid\":%lld,"
		 "\"tid\":%lld,", apid, apid);
	CHECK(strstr(json, want) && strstr(strstr(json, want) + 1, want));
	snprintf(want, sizeof(want), "\"ret\":%lld,", kv_get(kv, "bad_ret"));
	CHECK(strstr(json, want));
	free(json);

	/* the report: the child under the actor, the refused connect counted */
	CHECK_EQ_INT(run_cmd((char *[]){ replay, "report", cap, "-o", html, NULL }), 0);
	json = slurp(html);
	snprintf(want, sizeof(want), "{\"pid\":%lld,\"ppid\":%lld,", cpid, apid);
	CHECK(strstr(json, want));
	CHECK(strstr(json, "\"stream\":\"connect\",\"errno\":111,\"count\":1,"
			   "\"name\":\"ECONNREFUSED\""));
	free(json);
	capload_free(&l);
	if (export_lacks(bpfrec, replay, actor, dir, src))
		return 1;
	printf("test_export_real: ok\n");
	return 0;
}
