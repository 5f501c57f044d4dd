/* test_info_json - `bpfreplay info -o json`: the whole of info (session,
 * times, counts, sizes, losses, bundle, streams) as one JSON object per
 * capture, read back by a parser no one here wrote (python3's json), and
 * "on disk" as capsize.h defines it: the JSON number equals the capture's
 * files summed by python3, and info's text line says the same number. */
#include "testutil.h"
#include "fixtures/capfix.h"
#include "fixtures/clirun.h"
#include "capsize.h"

#include <sys/wait.h>

static char tmp[PATH_MAX / 2];

/* python3 -c script FILE CAPTURE...; exits the test unless it exits 0. */
static void py_check(const char *script, const char *file, const char *cap1, const char *cap2)
{
	fflush(NULL);
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0);
	if (!pid) {
		execlp("python3", "python3", "-c", script, file, cap1, cap2, (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "python3 check of %s failed (status %d)\n", file, st);
		exit(1);
	}
}

static void save(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f && fputs(text, f) >= 0 && !fclose(f));
}

static const char check_one[] =
"import json, os, re, sys\n"
"lines = open(sys.argv[1]).read().splitlines()\n"
"assert len(lines) == 1, lines\n"
"d = json.loads(lines[0])\n"
"cap = sys.argv[2]\n"
"assert d['capture'] == cap, d['capture']\n"
"assert d['host'] == 'fixhost' and d['kernel'] == '6.1.0-fix' and d['boot_id'] == 'f1xb00t'\n"
"assert d['command'] == 'bpfrec record -o fix' and d['recorded_by'] == 'bpfrec 0.1.0'\n"
"assert d['start'] == '2024-05-01T12:00:00.999999000Z' and d['start_ts'] == 1999999000\n"
"assert d['end_ts'] == 2003000200 and d['duration_ns'] == 3001200, d\n"
"assert d['first_event_ts'] == 2000000000 and d['last_event_ts'] == 2002999200\n"
"assert d['span_ns'] == 2999200\n"
"assert d['events'] == 5000 and d['blocks'] > 1\n"
"assert d['raw_bytes'] > 0 and d['blocks_bytes'] > 0\n"
"assert d['lost'] == 20 and d['loss_reports'] == 2 and d['losses_unknown'] is False\n"
"assert d['lost_by_missing_streams'] == 0 and d['bundle'] is None\n"
"assert (d['user_names'], d['group_names'], d['names_truncated']) == (0, 0, False), d\n"
"# on disk: index.db, catalog.db and the segment files, nothing else\n"
"files = [f for f in os.listdir(cap) if f in ('index.db', 'catalog.db')\n"
"         or re.fullmatch(r'seg-[0-9]{6,}\\.bpfrec', f)]\n"
"total = sum(os.stat(os.path.join(cap, f)).st_size for f in files)\n"
"assert d['on_disk_bytes'] == total, (d['on_disk_bytes'], total)\n"
"od = d['on_disk']\n"
"assert od['segments_bytes'] + od['index_bytes'] + od['catalog_bytes'] == total\n"
"assert od['segments'] == len([f for f in files if f.startswith('seg-')])\n"
"s = {x['table']: x for x in d['streams']}\n"
"assert [x['table'] for x in d['streams']] == ['alpha', 'beta']\n"
"a, b = s['alpha'], s['beta']\n"
"assert (a['kind'], a['map'], a['type'], a['columns'], a['events'], a['lost'],\n"
"        a['loss_reports']) == ('ringbuf', 'rb', 'fix_a', 8, 3000, 3, 1), a\n"
"assert (b['kind'], b['events'], b['lost'], b['first'], b['last']) == ('perf', 2000, 17,\n"
"        '2024-05-01T12:00:01.000000700Z', '2024-05-01T12:00:01.002999200Z'), b\n"
"print(total)\n";

static const char check_two[] =
"import json, sys\n"
"lines = open(sys.argv[1]).read().splitlines()\n"
"assert len(lines) == 2, lines\n"
"d = [json.loads(l) for l in lines]\n"
"assert [x['capture'] for x in d] == sys.argv[2:], d\n"
"assert d[1]['bundle']['source'] == 'cap' and int(d[1]['bundle']['events']) == 5000\n"
"assert d[1]['on_disk_bytes'] > 0 and d[1]['on_disk']['segments'] == 0\n";

int main(void)
{
	char cap[PATH_MAX], btf[PATH_MAX], out[PATH_MAX], bun[PATH_MAX], want[128];
	struct capfix_opts o = { .short_a = -1 };

	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("info_json"));
	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	snprintf(out, sizeof(out), "%s/info.json", tmp);
	snprintf(bun, sizeof(bun), "%s/cap.bundle", tmp);
	clirun_init(tmp);
	(void)capfix_damage_block;
	capfix_build(cap, btf, o);

	struct clirun r = CLIRUN("info", "-o", "json", cap);
	CHECK_EQ_INT(r.status, 0);
	save(out, r.out);
	clirun_free(&r);
	py_check(check_one, out, cap, NULL);

	/* The text says the same "on disk" as the JSON, in capsize's words. */
	struct cap_disk disk;
	CHECK(!cap_disk__measure(cap, &disk));
	char size[64];
	snprintf(want, sizeof(want), "on disk      %s (blocks: ",
		 cap_disk__fmt(disk.total, size, sizeof(size)));
	CHECK(strstr(want, " KiB ("));
	EXPECT(CLIRUN("info", cap), 0, want, NULL);
	r = CLIRUN("info", "-o", "jsonl", cap);    /* jsonl: the same */
	CHECK_EQ_INT(r.status, 0);
	save(out, r.out);
	clirun_free(&r);
	py_check(check_one, out, cap, NULL);

	/* Two captures, one a bundle: one object each, a line each. */
	EXPECT(CLIRUN("bundle", "-o", bun, cap), 0, NULL, NULL);
	r = CLIRUN("info", "-o", "json", cap, bun);
	CHECK_EQ_INT(r.status, 0);
	save(out, r.out);
	clirun_free(&r);
	py_check(check_two, out, cap, bun);
	printf("test_info_json: ok\n");
	return 0;
}
