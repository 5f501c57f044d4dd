/* test_fleet.c - many captures at once: `bpfreplay export --format parquet`
 * and `--format jsonl.zst` in the Hive layout, hostile names kept inside
 * the output directory, and the exported Parquet read by independent
 * readers (tests/node/check_export.mjs: DuckDB and hyparquet, installed by
 * tools/setup.sh) against `bpfreplay sql`.  The node part is SKIPPED (77,
 * after everything else passed) when node or the readers are missing. */
#include <dirent.h>
#include <ftw.h>
#include <zstd.h>

#include "fixtures/clirun.h"
#include "fixtures/fleetfix.h"
#include "capview.h"
#include "vtab.h"

static char tmp[1024];
static char caps[5][1200];

static int exists(const char *fmt, const char *a)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), fmt, a);
	return !lstat(p, &st);
}

/* Every file under dir (recursively) must be a regular file or directory
 * whose real path starts with dir; counts the files. */
static const char *walk_root;
static int walk_files;
static int walk_fn(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char real[PATH_MAX];

	(void)ftw;
	CHECK(flag == FTW_F || flag == FTW_D || flag == FTW_DP);
	CHECK(S_ISREG(st->st_mode) || S_ISDIR(st->st_mode));
	CHECK(realpath(path, real));
	if (strncmp(real, walk_root, strlen(walk_root))) {
		fprintf(stderr, "%s escaped %s\n", real, walk_root);
		exit(1);
	}
	walk_files += flag == FTW_F;
	return 0;
}

static int files_under(const char *dir)
{
	static char root[PATH_MAX];

	CHECK(realpath(dir, root));
	walk_root = root;
	walk_files = 0;
	CHECK(!nftw(dir, walk_fn, 16, FTW_PHYS));
	return walk_files;
}

static void build_captures(void)
{
	char btf[1200];

	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	snprintf(caps[0], sizeof(caps[0]), "%s/caps/web1-mon", tmp);
	snprintf(caps[1], sizeof(caps[1]), "%s/caps/web1-tue", tmp);
	snprintf(caps[2], sizeof(caps[2]), "%s/caps/db-mon", tmp);
	snprintf(caps[3], sizeof(caps[3]), "%s/evil/h", tmp);
	snprintf(caps[4], sizeof(caps[4]), "%s/odd", tmp);
	snprintf(btf, sizeof(btf), "%s/caps", tmp);
	CHECK(!mkdir(btf, 0755));
	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	struct fleetfix_opts o[5] = {
		{ "web-1.example", 2600, 800, 1714564800000000000ull, 1, NULL, NULL },  /* 2024-05-01 */
		{ "web-1.example", 1200, 300, 1714651200000000000ull, 2, NULL, NULL },  /* 2024-05-02 */
		{ "db \"ü\"", 900, 200, 1714564800000000000ull, 3, NULL, NULL },
		{ "../../etc", 10, 3, 1714564800000000000ull, 4, "../x/..", NULL },
		{ "odd", 10, 10, 1714564800000000000ull, 5, "ev0", "ev" },   /* ev of another type */
	};
	char evil[1200];
	snprintf(evil, sizeof(evil), "%s/evil", tmp);
	mkdir(evil, 0755);
	for (int i = 0; i < 5; i++)
		fleetfix_build(caps[i], btf, &o[i]);
}

static void test_export_layout(void)
{
	char out[1200], pq[1300];

	snprintf(out, sizeof(out), "%s/caps", tmp);
	snprintf(pq, sizeof(pq), "%s/pq", tmp);
	/* a directory holding several captures stands for them all */
	EXPECT(CLIRUN("export", out, "--format", "parquet", "-o", pq, "--row-group-rows", "500"), 0,
	       NULL, "rows in 6 files");
	CHECK(exists("%s/stream=ev/host=web-1.example/date=2024-05-01/part-web1-mon.parquet", pq));
	CHECK(exists("%s/stream=ev/host=web-1.example/date=2024-05-02/part-web1-tue.parquet", pq));
	CHECK(exists("%s/stream=tick/host=db%%20%%22%%C3%%BC%%22/date=2024-05-01/part-db-mon.parquet", pq));
	CHECK_EQ_INT(files_under(pq), 6);
	/* the directory must be new */
	EXPECT(CLIRUN("export", out, "--format", "parquet", "-o", pq), 3, NULL, "must not exist");

	/* hostile host and stream names: escaped, inside the directory */
	char evil[1300];
	snprintf(evil, sizeof(evil), "%s/evil-out", tmp);
	EXPECT(CLIRUN("export", caps[3], "--format", "parquet", "-o", evil), 0, NULL, NULL);
	CHECK(exists("%s/stream=%%2E.%%2Fx%%2F../host=%%2E.%%2F..%%2Fetc/date=2024-05-01/part-h.parquet",
		     evil));
	CHECK_EQ_INT(files_under(evil), 2);
	CHECK(!exists("%s/../etc", tmp) && !exists("%s/x", tmp));
}

/* jsonl.zst: the same layout; each file one zstd frame of JSON lines. */
static void test_export_jsonl(void)
{
	char out[1300], path[1600];
	size_t len;

	snprintf(out, sizeof(out), "%s/js", tmp);
	EXPECT(CLIRUN("export", caps[0], caps[2], "--format", "jsonl.zst", "-o", out), 0, NULL,
	       "rows in 4 files");
	snprintf(path, sizeof(path), "%s/stream=ev/host=web-1.example/date=2024-05-01/"
		 "part-web1-mon.jsonl.zst", out);
	char *z = clirun_slurp(path, &len);
	unsigned long long raw = ZSTD_getFrameContentSize(z, len);
	CHECK(raw != ZSTD_CONTENTSIZE_ERROR);
	size_t cap = raw != ZSTD_CONTENTSIZE_UNKNOWN ? raw : 64u << 20;
	char *text = malloc(cap + 1);
	size_t n = ZSTD_decompress(text, cap, z, len);
	CHECK(!ZSTD_isError(n));
	text[n] = 0;
	int lines = 0;
	for (char *p = text; (p = strchr(p, '\n')); p++)
		lines++;
	CHECK_EQ_INT(lines, 2600);
	/* record 1: every integer at its maximum, u64 unsigned; comm with quotes */
	CHECK(strstr(text, "\"u64\":18446744073709551615,\"s64\":9223372036854775807,"
		      "\"u32\":4294967295,\"s32\":2147483647,\"u16\":65535,\"s16\":32767,"
		      "\"u8\":255,\"s8\":127,\"state\":\"FL_IDLE\",\"comm\":\"say \\\"hi\\\"\""));
	CHECK(strstr(text, "\"ts\":2000000000,\"time\":\"2024-05-01T12:00:01.000000000Z\","
		      "\"cpu\":null,\"capture\":\"web1-mon\",\"u64\":0,\"s64\":-9223372036854775808"));
	free(text);
	free(z);

	/* --redact: as bundle redacts, through a temporary bundle that is gone after */
	char tmpd[1300];
	snprintf(tmpd, sizeof(tmpd), "%s/tmpdir", tmp);
	CHECK(!mkdir(tmpd, 0755));
	setenv("TMPDIR", tmpd, 1);
	snprintf(out, sizeof(out), "%s/js-red", tmp);
	EXPECT(CLIRUN("export", caps[0], "--format", "jsonl.zst", "-o", out, "--redact=default,comm"),
	       0, NULL, "redacted: ");
	unsetenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/stream=ev/host=web-1.example/date=2024-05-01/"
		 "part-web1-mon.jsonl.zst", out);
	z = clirun_slurp(path, &len);
	text = malloc(cap + 1);
	n = ZSTD_decompress(text, cap, z, len);
	CHECK(!ZSTD_isError(n));
	text[n] = 0;
	CHECK(!strstr(text, "say \\\"hi") && !strstr(text, "\"comm\":\"init\""));
	CHECK(strstr(text, "\"comm\":\"~"));
	CHECK(strstr(text, "\"u64\":18446744073709551615"));      /* integers kept */
	CHECK(!rmdir(tmpd));                /* the temporary bundle and its directory are gone */
	free(text);
	free(z);
}

/* bpfreplay sql|show|info over several captures. */
static void test_multi_cli(void)
{
	char dir[1300];

	snprintf(dir, sizeof(dir), "%s/caps", tmp);
	/* a directory of captures: each stream the union, host and capture columns */
	EXPECT(CLIRUN("sql", "-o", "csv", dir, "SELECT host, capture, count(*), min(s8), max(u8)"
		      " FROM ev GROUP BY 1, 2 ORDER BY 1, 2"), 0,
	       "host,capture,count(*),min(s8),max(u8)\n"
	       "\"db \"\"ü\"\"\",db-mon,900,-128,255\n"
	       "web-1.example,web1-mon,2600,-128,255\n"
	       "web-1.example,web1-tue,1200,-128,255\n", "");
	/* sessions lists them all; the metadata tables say which capture */
	EXPECT(CLIRUN("sql", "-o", "csv", caps[0], caps[2], "SELECT capture, host, start_time FROM "
		      "sessions ORDER BY capture", "SELECT capture, count(*) FROM streams GROUP BY 1"
		      " ORDER BY 1"), 0,
	       "capture,host,start_time\n"
	       "db-mon,\"db \"\"ü\"\"\",2024-05-01T12:00:00.999999000Z\n"
	       "web1-mon,web-1.example,2024-05-01T12:00:00.999999000Z\n"
	       "capture,count(*)\ndb-mon,2\nweb1-mon,2\n", "");
	/* time is each capture's own clock: the same wall range in both */
	EXPECT(CLIRUN("sql", "-o", "csv", caps[0], caps[1], "SELECT capture, count(*) FROM ev WHERE "
		      "time >= '2024-05-02T12:00:01.0011' OR time < '2024-05-01T12:00:01.000002'"
		      " GROUP BY 1 ORDER BY 1"), 0,
	       "capture,count(*)\nweb1-mon,2\nweb1-tue,100\n", "");
	/* one capture alone: no host or capture column (as before) */
	EXPECT(CLIRUN("sql", caps[0], "SELECT host FROM ev"), 1, NULL, "no such column: host");
	/* a stream whose type differs is refused, naming both */
	EXPECT(CLIRUN("sql", caps[0], caps[4], "SELECT 1"), 3, NULL,
	       "stream ev: its type differs between captures");
	/* a directory holding no capture */
	char empty[1300];
	snprintf(empty, sizeof(empty), "%s/empty", tmp);
	CHECK(!mkdir(empty, 0755));
	EXPECT(CLIRUN("sql", empty, "SELECT 1"), 2, NULL, "holds none");
	/* show and info: one after the other */
	struct clirun r = CLIRUN("show", dir, "--stream", "tick");
	CHECK_EQ_INT(r.status, 0);
	CHECK(strstr(r.out, "== ") && strstr(r.out, "/caps/db-mon ==\n") &&
	      strstr(r.out, "/caps/web1-tue ==\n"));
	/* each header right before its capture's lines (stdio's header and
	 * the lines' write(2) keep their order), none before another */
	CHECK(!strncmp(r.out, "== ", 3));
	for (const char *h = r.out; (h = strstr(h, "== ")); h++) {
		const char *eol = strchr(h, '\n');
		CHECK(eol && strncmp(eol + 1, "== ", 3) && strncmp(eol + 1, "\n== ", 4));
		if (!eol)
			break;
		h = eol;
	}
	clirun_free(&r);
	r = CLIRUN("info", caps[0], caps[2]);
	CHECK_EQ_INT(r.status, 0);
	CHECK(strstr(r.out, "web-1.example") && strstr(r.out, "db \"ü\""));
	clirun_free(&r);
}

/* The extension's bpfrec_attach(json_array(...)): the union, and time
 * constraints pruning blocks in each capture through its own index. */
static void test_multi_attach(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	struct vtab_reg *reg;

	CHECK(!sqlite3_open(":memory:", &db));
	CHECK((reg = vtab__register(db, NULL)));
	CHECK(!sqlite3_prepare_v2(db, "SELECT bpfrec_attach(json_array(?1, ?2), 'main')", -1, &st,
				  NULL));
	sqlite3_bind_text(st, 1, caps[0], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, caps[1], -1, SQLITE_STATIC);
	CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0),
		  "ev,tick,events,sessions,streams,losses,blocks,block_streams,objects,stacks,frames,programs,stream_loss,loss_windows,users,groups");
	sqlite3_finalize(st);
	struct capview *c0 = vtab__capture(reg, caps[0]), *c1 = vtab__capture(reg, caps[1]);
	CHECK(c0 && c1);
	uint64_t d0 = capr__blocks_decoded(capview__capr(c0)), d1 = capr__blocks_decoded(capview__capr(c1));
	CHECK(!sqlite3_prepare_v2(db, "SELECT capture, count(*), sum(s16) FROM ev WHERE time"
				  " BETWEEN '2024-05-01T12:00:01.0001' AND '2024-05-01T12:00:01.000199'"
				  " GROUP BY 1", -1, &st, NULL));
	CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "web1-mon");
	CHECK_EQ_INT(sqlite3_column_int(st, 1), 100);
	CHECK_EQ_INT(sqlite3_step(st), SQLITE_DONE);       /* none from the next day */
	sqlite3_finalize(st);
	/* 100 ev records span a few 8 KiB blocks of 3400: far fewer than all */
	uint64_t n0 = capr__blocks_decoded(capview__capr(c0)) - d0;
	CHECK(n0 >= 1 && n0 <= 6);
	CHECK_EQ_U64(capr__blocks_decoded(capview__capr(c1)) - d1, 0);
	sqlite3_close(db);
}

static void test_node_readers(void)
{
	char nodedir[1024], script[1200], dir[1300], args[6][1400], cmd[16384];
	const char *src = getenv("BPFREC_SRC");

	snprintf(nodedir, sizeof(nodedir), "%s/tests/node", src ? src : "../..");
	snprintf(script, sizeof(script), "%s/check_export.mjs", nodedir);
	if (system("node --version >/dev/null 2>&1") ||
	    !exists("%s/node_modules/hyparquet/package.json", nodedir) ||
	    !exists("%s/node_modules/hyparquet-compressors/package.json", nodedir) ||
	    !exists("%s/node_modules/@duckdb/node-api/package.json", nodedir)) {
		fprintf(stderr, "SKIP: node or the readers (tests/node: npm install) are missing: "
			"run tools/setup.sh\n");
		exit(77);
	}
	snprintf(dir, sizeof(dir), "%s/pq", tmp);
	snprintf(args[0], sizeof(args[0]), "web-1.example=web1-mon=%s", caps[0]);
	snprintf(args[1], sizeof(args[1]), "web-1.example=web1-tue=%s", caps[1]);
	snprintf(args[2], sizeof(args[2]), "db%%20%%22%%C3%%BC%%22=db-mon=%s", caps[2]);
	snprintf(cmd, sizeof(cmd), "node '%s' '%s' '%s' ev '%s' '%s' '%s'", script, clirun_bin, dir,
		 args[0], args[1], args[2]);
	int st = system(cmd);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("fleet"));
	clirun_init(tmp);
	build_captures();
	test_export_layout();
	test_export_jsonl();
	test_multi_cli();
	test_multi_attach();
	test_node_readers();
	printf("test_fleet: ok\n");
	return 0;
}
