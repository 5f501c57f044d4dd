/* test_bundle - bpfreplay bundle: HMAC-SHA256 (nettle) against RFC 4231; a bundle
 * opens on its own (the capture gone) with the same records, metadata and
 * show/sql output; slices equal show's filters on the capture; --redact
 * replaces the chosen values with keyed tokens that stay joinable, leaves
 * the rest alone, and no original value is left in the file or its decoded
 * records; usage errors; a damaged source; hostile bundles refused or read
 * safely (a virtual table in the schema, block_data of the wrong shape). */
#include "testutil.h"
#include "fixtures/capfix.h"
#include "fixtures/clirun.h"
#include "../fuzz/fuzzcap.h"

#include "capr.h"
#include "hmac.h"

#include <dirent.h>
#include <stdbool.h>

static char tmp[PATH_MAX / 2], btf[PATH_MAX];

/* ---- HMAC-SHA256 ---- */

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_hmac(void)
{
	uint8_t out[32], key[131];
	char h[65];
	struct sha256 s;

	sha256__init(&s);
	sha256__update(&s, "abc", 3);
	sha256__final(&s, out);
	hex(out, 32, h);
	CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test cases 1, 2 and 6. */
	memset(key, 0x0b, 20);
	const void *p1[] = { "Hi There" };
	size_t l1[] = { 8 };
	hmac_sha256(key, 20, 1, p1, l1, out);
	hex(out, 32, h);
	CHECK_STR(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	const void *p2[] = { "what do ya want ", "for nothing?" };   /* two parts */
	size_t l2[] = { 16, 12 };
	hmac_sha256((const uint8_t *)"Jefe", 4, 2, p2, l2, out);
	hex(out, 32, h);
	CHECK_STR(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, 131);
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	const void *p6[] = { m6 };
	size_t l6[] = { strlen(m6) };
	hmac_sha256(key, 131, 1, p6, l6, out);
	hex(out, 32, h);
	CHECK_STR(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* Long input across block boundaries: one update or many. */
	uint8_t big[1000], a[32], b[32];
	for (int i = 0; i < 1000; i++)
		big[i] = (uint8_t)(i * 7);
	sha256__init(&s);
	sha256__update(&s, big, 1000);
	sha256__final(&s, a);
	sha256__init(&s);
	for (int i = 0; i < 1000; i += 37)
		sha256__update(&s, big + i, i + 37 <= 1000 ? 37 : 1000 - i);
	sha256__final(&s, b);
	CHECK(!memcmp(a, b, 32));
}

/* The hashes come from nettle, not from code of ours: bpfreplay needs
 * libnettle, and no SHA-256 round constant is left in the sources. */
static void test_hmac_from_nettle(void)
{
	static const char *const dirs[] = { "replay", "replay/export", "schema", "recorder" };
	const char *src = getenv("BPFREC_SRC");
	char path[PATH_MAX];
	size_t n = 0;
	char *bin = clirun_slurp(clirun_bin, &n);

	CHECK(memmem(bin, n, "libnettle.so", 12));
	free(bin);
	if (!src || !*src)
		return;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		snprintf(path, sizeof(path), "%s/%s", src, dirs[d]);
		DIR *dir = opendir(path);
		struct dirent *e;
		if (!dir)
			continue;
		while ((e = readdir(dir))) {
			size_t l = strlen(e->d_name);
			if (l < 3 || strcmp(e->d_name + l - 2, ".c"))
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", src, dirs[d], e->d_name);
			char *text = clirun_slurp(path, NULL);
			if (strcasestr(text, "0x428a2f98")) {
				fprintf(stderr, "%s: a hand-written SHA-256 (use nettle)\n", path);
				exit(1);
			}
			free(text);
		}
		closedir(dir);
	}
}

/* ---- reading captures ---- */

struct rrec {
	uint32_t stream, cpu, len;
	uint64_t ts;
	uint8_t data[320];
};

static int cmp_rrec(const void *x, const void *y)
{
	const struct rrec *a = x, *b = y;
	if (a->stream != b->stream)
		return a->stream < b->stream ? -1 : 1;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return memcmp(a->data, b->data, sizeof(a->data));
}

/* Every record of a capture or bundle, sorted; *n set. */
static struct rrec *read_all(const char *path, size_t *n, int *is_bundle)
{
	char err[1024];
	struct capr *r = capr__open(path, err, sizeof(err));
	const struct cap_block_info *bl;
	struct rrec *v = NULL;
	size_t nb, cap = 0;

	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r != NULL);
	if (is_bundle)
		*is_bundle = capr__is_bundle(r);
	*n = 0;
	capr__blocks(r, &bl, &nb);
	for (size_t i = 0; i < nb; i++) {
		const struct cap_rec *recs;
		uint32_t k;
		CHECK_EQ_INT(capr__read_block(r, &bl[i], &recs, &k, err, sizeof(err)), 0);
		for (uint32_t j = 0; j < k; j++) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 1024;
				v = realloc(v, cap * sizeof(*v));
				CHECK(v);
			}
			struct rrec *e = &v[(*n)++];
			memset(e, 0, sizeof(*e));
			CHECK(recs[j].len <= sizeof(e->data));
			*e = (struct rrec){ recs[j].stream, recs[j].cpu, recs[j].len, recs[j].ts_ns };
			memcpy(e->data, recs[j].data, recs[j].len);
		}
	}
	capr__close(r);
	qsort(v, *n, sizeof(*v), cmp_rrec);
	return v;
}

/* One query's rows as text ("a|b\n..."), plain SQLite (read-only). */
static char *q_text(const char *db_path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t len = 0;
	char *out = calloc(1, 1);

	CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL)) {
		fprintf(stderr, "%s: %s: %s\n", db_path, sql, sqlite3_errmsg(db));
		CHECK(0);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *t = (const char *)sqlite3_column_text(st, i);
			size_t k = t ? strlen(t) : 4;
			out = realloc(out, len + k + 2);
			CHECK(out);
			memcpy(out + len, t ? t : "NULL", k);
			len += k;
			out[len++] = i + 1 < sqlite3_column_count(st) ? '|' : '\n';
			out[len] = 0;
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

static void same_query(const char *a, const char *b, const char *sql)
{
	char *x = q_text(a, sql), *y = q_text(b, sql);
	if (strcmp(x, y)) {
		fprintf(stderr, "%s differs:\n%s\n---\n%s\n", sql, x, y);
		CHECK(0);
	}
	free(x);
	free(y);
}

static const char *capfix_at(const char *name, struct capfix_opts o, char *buf, size_t len)
{
	return capfix_fresh(tmp, name, btf, o, buf, len);
}

/* ---- round trip ---- */

static void test_round_trip(void)
{
	struct capfix_opts o = { .short_a = -1 };
	char cap[PATH_MAX], moved[PATH_MAX + 16], bun[PATH_MAX + 32], idx[PATH_MAX + 64];
	char link[PATH_MAX + 32];
	size_t n1, n2;
	int isb;

	capfix_at("rt", o, cap, sizeof(cap));
	/* the recording host's names travel whole (FORMAT.md "User and group names") */
	poke_index(cap, "INSERT INTO users VALUES (0, 'root'), (1000, 'alice');"
		   "INSERT INTO groups VALUES (27, 'sudo')");
	snprintf(bun, sizeof(bun), "%s/rt.bpfrec", tmp);
	EXPECT(CLIRUN("bundle", cap, "-o", bun), 0, "5000 events in", NULL);
	struct rrec *a = read_all(cap, &n1, &isb);
	CHECK(!isb);

	/* The capture's show/sql output, then the capture is gone. */
	struct clirun s1 = CLIRUN("show", cap), s2 = CLIRUN("sql", "-o", "csv", cap,
		"SELECT pid, comm, count(*) FROM alpha GROUP BY 1, 2 ORDER BY 1, 2");
	CHECK_EQ_INT(s1.status, 0);
	snprintf(moved, sizeof(moved), "%s.gone", cap);
	snprintf(idx, sizeof(idx), "%s/index.db", moved);
	CHECK(rename(cap, moved) == 0);

	struct rrec *b = read_all(bun, &n2, &isb);
	CHECK(isb);
	CHECK_EQ_INT(n1, 5000);
	CHECK_EQ_INT(n2, n1);
	CHECK(!memcmp(a, b, n1 * sizeof(*a)));
	free(a);
	free(b);
	static const char *const meta[] = {
		/* objects.btf is cut to the streams' types and streams.type_id
		 * names the type in it (FORMAT.md "Stored BTF"): below */
		"SELECT * FROM sessions", "SELECT id, name, path FROM objects",
		"SELECT id, name, kind, object_id, map_name, type_name, ts_offset FROM streams",
		"SELECT * FROM losses", "SELECT format_version FROM (SELECT value AS format_version"
		" FROM meta WHERE key = 'format_version')",
		"SELECT stream_id, sum(nrecords), min(min_ts), max(max_ts) FROM block_streams GROUP BY 1",
		"SELECT uid, name FROM users ORDER BY uid", "SELECT gid, name FROM groups ORDER BY gid",
	};
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
		same_query(idx, bun, meta[i]);
	CHECK_EQ_INT(q_int_capture(bun, "SELECT count(*) FROM users WHERE uid = 1000 AND "
				   "name = 'alice'"), 1);
	CHECK(q_int_capture(bun, "SELECT length(btf) FROM objects") > 0);
	CHECK(q_int_capture(bun, "SELECT length(btf) FROM objects") <=
	      q_int_index(moved, "SELECT length(btf) FROM objects"));
	CHECK_EQ_INT(q_int_capture(bun, "SELECT count(*) FROM streams WHERE type_id > 0"), 2);

	struct clirun t1 = CLIRUN("show", bun), t2 = CLIRUN("sql", "-o", "csv", bun,
		"SELECT pid, comm, count(*) FROM alpha GROUP BY 1, 2 ORDER BY 1, 2");
	CHECK_EQ_INT(t1.status, 0);
	CHECK_STR(t1.out, s1.out);
	CHECK_STR(t2.out, s2.out);
	clirun_free(&s1);
	clirun_free(&s2);
	clirun_free(&t1);
	clirun_free(&t2);
	/* Unsliced, unredacted: every block is copied as it was. */
	EXPECT(CLIRUN("info", bun), 0, "  redacted       none\n", NULL);
	struct clirun in = CLIRUN("info", bun);
	CHECK(strstr(in.out, "bundle       made by 'bpfreplay bundle':"));
	CHECK(strstr(in.out, "  source         rt\n"));
	CHECK(strstr(in.out, "  streams        alpha, beta\n"));
	CHECK(strstr(in.out, "  events         5000\n"));
	clirun_free(&in);
	snprintf(link, sizeof(link), "%s/rt-link.bpfrec", tmp);
	unlink(link);
	CHECK(symlink(bun, link) == 0);                 /* a symlink the user names */
	EXPECT(CLIRUN("verify", link), 0, "intact", NULL);
	/* A bundle of a bundle. */
	char bun2[PATH_MAX + 32];
	snprintf(bun2, sizeof(bun2), "%s/rt2.bpfrec", tmp);
	unlink(bun2);
	EXPECT(CLIRUN("bundle", bun, "-o", bun2, "--stream", "beta"), 0, "2000 events", NULL);
	EXPECT(CLIRUN("verify", bun2), 0, "intact", NULL);
}

/* ---- slicing ---- */

static void slice_case(const char *cap, const char *name, const char *const *filters)
{
	char bun[PATH_MAX + 64];
	const char *args[32];
	int n = 0;

	snprintf(bun, sizeof(bun), "%s/slice-%s.bpfrec", tmp, name);
	unlink(bun);
	args[n++] = "bundle";
	args[n++] = cap;
	args[n++] = "-o";
	args[n++] = bun;
	for (int i = 0; filters[i]; i++)
		args[n++] = filters[i];
	args[n] = NULL;
	struct clirun r = clirun_v(args);
	if (r.status) {
		fprintf(stderr, "bundle %s: %s%s\n", name, r.out, r.err);
		CHECK(0);
	}
	clirun_free(&r);
	/* What show prints with the same filters on the capture. */
	n = 0;
	args[n++] = "show";
	args[n++] = cap;
	for (int i = 0; filters[i]; i++)
		args[n++] = filters[i];
	args[n] = NULL;
	struct clirun want = clirun_v(args);
	struct clirun got = CLIRUN("show", bun);
	CHECK_EQ_INT(want.status, 0);
	CHECK_EQ_INT(got.status, 0);
	if (strcmp(want.out, got.out)) {
		fprintf(stderr, "slice %s: show differs (%zu vs %zu bytes)\n", name, strlen(want.out),
			strlen(got.out));
		CHECK(0);
	}
	CHECK(strlen(got.out) > 0);
	clirun_free(&want);
	clirun_free(&got);
	EXPECT(CLIRUN("verify", bun), 0, "intact", NULL);
}

static void test_slices(void)
{
	struct capfix_opts o = { .short_a = -1 };
	char cap[PATH_MAX], bun[PATH_MAX + 64];

	capfix_at("sl", o, cap, sizeof(cap));
	slice_case(cap, "time", (const char *const[]){ "--since", "+1ms", "--until", "+1.5ms", NULL });
	slice_case(cap, "pid", (const char *const[]){ "--pid", "102", NULL });
	slice_case(cap, "pids", (const char *const[]){ "--pid", "101", "--stream", "alpha",
						       "--since", "2024-05-01T12:00:01.002Z", NULL });
	slice_case(cap, "stream", (const char *const[]){ "--stream", "beta", "--until", "-1ms", NULL });

	/* What the bundle says about itself, and the losses kept. */
	snprintf(bun, sizeof(bun), "%s/slice-pids.bpfrec", tmp);
	struct clirun in = CLIRUN("info", bun);
	CHECK(strstr(in.out, "  streams        alpha\n"));
	CHECK(strstr(in.out, "  left_out       beta (not in --stream)\n"));
	CHECK(strstr(in.out, "  since          2024-05-01T12:00:01.002000000Z (ts 2002000000)\n"));
	CHECK(strstr(in.out, "  pids           101\n"));
	CHECK(strstr(in.out, "  source_events  5000\n"));
	clirun_free(&in);
	char *l0 = q_text(bun, "SELECT count(*) FROM losses");   /* alpha's loss is before */
	CHECK_STR(l0, "0\n");
	free(l0);
	/* beta's loss (T0 + 5 us) is before --until -1ms; alpha's stream is left out. */
	snprintf(bun, sizeof(bun), "%s/slice-stream.bpfrec", tmp);
	char *l = q_text(bun, "SELECT stream_id, cpu, ts, count FROM losses ORDER BY 1");
	CHECK_STR(l, "2|2|2000005000|17\n");
	free(l);
	snprintf(bun, sizeof(bun), "%s/slice-time.bpfrec", tmp);
	l = q_text(bun, "SELECT count(*) FROM losses");   /* both before --since +1ms */
	CHECK_STR(l, "0\n");
	free(l);
}

/* ---- redaction ---- */

/* The layouts of bpf/exec.h and bpf/connect.h, for fuzzcap.h's records. */
static const char redact_types[] =
	"typedef unsigned int __u32; typedef int __s32; typedef unsigned long long __u64;\n"
	"typedef unsigned short __u16; typedef unsigned char __u8;\n"
	"typedef __u64 bpfrec_ts_ns; typedef __u8 bpfrec_ipaddr[16];\n"
	"struct exec_event { bpfrec_ts_ns ts_ns; __u32 pid, tid, ppid, uid; char comm[16];"
	" char filename[256]; };\n"
	"struct connect_event { bpfrec_ts_ns ts_ns; __u64 latency_ns; __u32 pid, tid; __s32 fd, ret;"
	" __u16 family, port; __u32 __pad; bpfrec_ipaddr addr; char comm[16]; };\n"
	"struct exec_event g_exec; struct connect_event g_connect;\n";

static bool all_zero_from(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static bool has_bytes(const void *hay, size_t n, const void *needle, size_t k)
{
	return memmem(hay, n, needle, k) != NULL;
}

static void make_bundle(const char *cap, const char *out, const char *redact)
{
	unlink(out);
	struct clirun r = CLIRUN("bundle", cap, "-o", out, redact);
	if (r.status) {
		fprintf(stderr, "%s%s", r.out, r.err);
		CHECK(0);
	}
	clirun_free(&r);
}

static void test_redact(void)
{
	char cap[PATH_MAX], b1[PATH_MAX + 32], b2[PATH_MAX + 32], cmd[PATH_MAX * 2];
	size_t blen = 0, n, n2;

	snprintf(cap, sizeof(cap), "%s/red", tmp);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cap);
	CHECK(system(cmd) == 0);
	mkdir(btf, 0755);
	uint8_t *raw = btfgen_compile(btf, redact_types, &blen);
	CHECK(raw && blen);
	CHECK_EQ_INT(fuzzcap_build(cap, raw, (uint32_t)blen), 0);
	free(raw);
	/* people's names: redacted by default (the ids stay) */
	poke_index(cap, "INSERT INTO users VALUES (1000, 'alicesecret');"
		   "INSERT INTO groups VALUES (1001, 'alicegroup')");
	/* the stacks' files: a binary of the recording machine and the
	 * source files its line table names */
	poke_index(cap, "INSERT INTO sym_files VALUES (1, 'elf', '/home/alice/bin/app', NULL, 4096,"
		   " NULL, 'copied'), (2, 'kernel', '[kernel.kallsyms]', NULL, NULL, NULL, 'copied');"
		   "INSERT INTO symbols VALUES (1, 4096, 64, 'main');"
		   "INSERT INTO lines VALUES (1, 4096, 16, 42, '/home/alice/proj/app.c'),"
		   " (1, 4112, 16, 43, '/home/alice/proj/app.c'), (1, 4128, 8, 7, 'util.h')");
	struct rrec *orig = read_all(cap, &n, NULL);

	snprintf(b1, sizeof(b1), "%s/red1.bpfrec", tmp);
	snprintf(b2, sizeof(b2), "%s/red2.bpfrec", tmp);
	make_bundle(cap, b1, "--redact");
	make_bundle(cap, b2, "--redact=default,comm");
	struct clirun in = CLIRUN("info", b1);
	CHECK(strstr(in.out, "  redacted       sessions.cmdline, objects.path, users.name, "
		     "groups.name, sym_files.path, lines.src, exec.filename, connect.addr\n"));
	/* each path one token, joinable; the kernel's name and the symbols kept */
	CHECK_EQ_INT(q_int_capture(b1, "SELECT count(DISTINCT src) FROM lines WHERE src GLOB "
				   "'~[0-9a-f]*' AND length(src) = 15"), 2);
	CHECK_EQ_INT(q_int_capture(b1, "SELECT count(*) FROM lines WHERE line = 43 AND src = "
				   "(SELECT src FROM lines WHERE line = 42)"), 1);
	CHECK_EQ_INT(q_int_capture(b1, "SELECT count(*) FROM sym_files WHERE (id = 1 AND path GLOB "
				   "'~[0-9a-f]*') OR (id = 2 AND path = '[kernel.kallsyms]')"), 2);
	CHECK_EQ_INT(q_int_capture(b1, "SELECT count(*) FROM symbols WHERE name = 'main'"), 1);
	CHECK_EQ_INT(q_int_capture(b1, "SELECT count(*) FROM users WHERE uid = 1000 AND "
				   "name GLOB '~[0-9a-f]*' AND length(name) = 15"), 1);
	CHECK_EQ_INT(q_int_capture(b1, "SELECT count(*) FROM groups WHERE gid = 1001 AND "
				   "name GLOB '~[0-9a-f]*'"), 1);
	CHECK(strstr(in.out, "  redaction      HMAC-SHA256"));
	CHECK(strstr(in.out, "command      ~"));
	clirun_free(&in);

	/* No original value anywhere in the file (metadata is stored plainly). */
	static const char *const secrets[] = { "/home/alice", "10.1.2.3", "/usr/bin/", "probes.bpf.o",
					       "alicesecret", "alicegroup", "app.c", "util.h" };
	for (int k = 0; k < 2; k++) {
		char *bytes = clirun_slurp(k ? b2 : b1, &blen);
		for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
			if (has_bytes(bytes, blen, secrets[i], strlen(secrets[i]))) {
				fprintf(stderr, "'%s' left in %s\n", secrets[i], k ? b2 : b1);
				CHECK(0);
			}
		free(bytes);
	}

	struct rrec *r1 = read_all(b1, &n2, NULL), *r2;
	CHECK_EQ_INT(n2, n);
	r2 = read_all(b2, &n2, NULL);
	CHECK_EQ_INT(n2, n);
	static const uint8_t v4map[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t addr[4] = { 10, 1, 2, 3 };
	char tok_curl[16] = "", tok_ls[16] = "", tok_comm_curl[16] = "", tok_comm2[16] = "";
	for (size_t i = 0; i < n; i++) {
		const struct rrec *o = &orig[i], *x = &r1[i], *y = &r2[i];
		CHECK(o->stream == x->stream && o->ts == x->ts && o->cpu == x->cpu && o->len == x->len);
		CHECK(!has_bytes(x->data, x->len, "/usr/bin/", 9));
		CHECK(!has_bytes(x->data, x->len, addr, 4));
		if (o->stream == 1) {       /* exec: filename redacted, the rest kept */
			CHECK(!memcmp(o->data, x->data, 40));
			const char *f = (const char *)x->data + 40;
			CHECK(f[0] == '~' && strlen(f) == 15 && strspn(f + 1, "0123456789abcdef") == 14);
			CHECK(!memchr(f + 16, 1, 256 - 16) && all_zero_from(x->data + 56, 240));
			char *want = strstr((const char *)o->data + 40, "curl") ? tok_curl : tok_ls;
			if (!want[0])
				strcpy(want, f);
			CHECK_STR(f, want);     /* joinable: the same file, the same token */
			/* --redact=default,comm: comm too, "curl" the same token in both streams. */
			const char *c = (const char *)y->data + 24;
			CHECK(c[0] == '~' && strlen(c) == 15);
			char *wc = !strcmp((const char *)o->data + 24, "curl") ? tok_comm_curl : tok_comm2;
			if (!wc[0])
				strcpy(wc, c);
			CHECK_STR(c, wc);
		} else {                    /* connect: addr redacted into 240.0.0.0/4 */
			CHECK(!memcmp(o->data, x->data, 40) && !memcmp(o->data + 56, x->data + 56, 16));
			CHECK(!memcmp(x->data + 40, v4map, 12) && x->data[52] >= 0xf0);
			const char *c = (const char *)y->data + 56;
			if (!tok_comm_curl[0])
				strcpy(tok_comm_curl, c);
			CHECK_STR(c, tok_comm_curl);
		}
	}
	CHECK(tok_curl[0] && tok_ls[0] && strcmp(tok_curl, tok_ls));
	/* A new key per bundle: the same value, another token. */
	CHECK(memcmp(r1[0].data + 40, r2[0].data + 40, 15) != 0);
	free(orig);
	free(r1);
	free(r2);

	/* The addresses stay joinable in SQL: one distinct value. */
	EXPECT(CLIRUN("sql", "-o", "csv", b1, "SELECT count(DISTINCT addr), min(addr) LIKE '24%'"
		      " OR min(addr) LIKE '25%' FROM connect"), 0, "1,1\n", NULL);
	/* An explicit column of one stream, and of every stream that has it. */
	make_bundle(cap, b1, "--redact=connect.port");
	EXPECT(CLIRUN("sql", "-o", "csv", b1, "SELECT count(*) FROM connect WHERE port = 80"),
	       0, "0\n", NULL);
	EXPECT(CLIRUN("sql", "-o", "csv", b1, "SELECT count(DISTINCT port) FROM connect"), 0, "1\n",
	       NULL);
	EXPECT(CLIRUN("info", b1), 0, "  redacted       connect.port\n", NULL);
	make_bundle(cap, b1, "--redact=pid");
	EXPECT(CLIRUN("info", b1), 0, "  redacted       exec.pid, connect.pid\n", NULL);
	make_bundle(cap, b1, "--redact=sessions.host,objects.name");
	EXPECT(CLIRUN("info", b1), 0, "host         ~", NULL);
}

/* exec_event's layout (redact_types) with uid a DATASEC of 4 bytes (a
 * bytes column): BTF that decodes but that the cut refuses (a DATASEC is
 * no value type), so a bundle keeps it whole.  Its string section also
 * holds what a .bpf.o's line info names there: a source path and a line. */
static uint8_t *uncuttable_btf(size_t *len)
{
	static struct btfgen g;
	uint32_t u32, u64, chr, idx, c16, c256, sec, ev;

	bg_init(&g);
	bg_str(&g, "/home/alice/proj/secret.bpf.c");
	bg_str(&g, "\tev->uid = alice_secret_line;");
	u32 = bg_int(&g, "unsigned int", 4, 0, 32);
	u64 = bg_int(&g, "unsigned long long", 8, 0, 64);
	chr = bg_int(&g, "char", 1, BTF_INT_SIGNED, 8);
	idx = bg_int(&g, "__ARRAY_SIZE_TYPE__", 4, 0, 32);
	c16 = bg_type(&g, "", BTF_KIND_ARRAY, 0, 0, 0);
	bg_u32(&g, chr), bg_u32(&g, idx), bg_u32(&g, 16);
	c256 = bg_type(&g, "", BTF_KIND_ARRAY, 0, 0, 0);
	bg_u32(&g, chr), bg_u32(&g, idx), bg_u32(&g, 256);
	sec = bg_type(&g, ".data.uid", BTF_KIND_DATASEC, 0, 0, 4);
	ev = bg_type(&g, "exec_event", BTF_KIND_STRUCT, 7, 0, 296);
	bg_member(&g, "ts_ns", u64, 0);
	bg_member(&g, "pid", u32, 64);
	bg_member(&g, "tid", u32, 96);
	bg_member(&g, "ppid", u32, 128);
	bg_member(&g, "uid", sec, 160);
	bg_member(&g, "comm", c16, 192);
	bg_member(&g, "filename", c256, 320);
	(void)ev;
	return bg_blob(&g, len);
}

/* --redact and BTF the cut refuses: the bundle keeps its types and ids but
 * none of its strings that no type names (source paths and lines), and
 * the stream reads as in the capture.  Without --redact it is kept whole,
 * as it was. */
static void test_redact_uncut_btf(void)
{
	char cap[PATH_MAX], bun[PATH_MAX + 32], cmd[PATH_MAX * 2];
	size_t blen;
	uint8_t *raw = uncuttable_btf(&blen);

	snprintf(cap, sizeof(cap), "%s/uncut", tmp);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cap);
	CHECK(system(cmd) == 0);
	CHECK_EQ_INT(fuzzcap_build(cap, raw, (uint32_t)blen), 0);
	free(raw);
	snprintf(bun, sizeof(bun), "%s/uncut.bpfrec", tmp);
	static const char *const secrets[] = { "/home/alice", "secret.bpf.c", "alice_secret_line" };
	for (int redact = 0; redact < 2; redact++) {
		unlink(bun);
		struct clirun r = CLIRUN("bundle", cap, "-o", bun, redact ? "--redact" : NULL);
		CHECK_EQ_INT(r.status, 0);
		CHECK(strstr(r.err, "stream 'connect' left out") || !redact);
		clirun_free(&r);
		char *bytes = clirun_slurp(bun, &blen);
		for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
			if (has_bytes(bytes, blen, secrets[i], strlen(secrets[i])) == !!redact) {
				fprintf(stderr, "'%s' %s %s\n", secrets[i], redact ? "left in" :
					"not kept in", bun);
				CHECK(0);
			}
		free(bytes);
		/* the same columns, the same values but the redacted filename */
		/* the type by name as in the capture, or by its id, the same */
		CHECK_EQ_INT(q_int_capture(bun, "SELECT count(*) FROM streams WHERE name = 'exec' "
					   "AND type_name = 'exec_event' AND type_id IN (0, 8)"), 1);
		EXPECT(CLIRUN("sql", "-o", "csv", bun, "SELECT count(*), count(DISTINCT uid), "
			      "min(hex(uid)), min(filename) LIKE '~%' FROM exec"), 0,
		       redact ? "60,1,E8030000,1\n" : "60,1,E8030000,0\n", NULL);
		EXPECT(CLIRUN("show", bun, "-s", "exec"), 0, "ppid=0 uid=e8030000 comm=curl filename=", NULL);
	}
}

/* ---- errors, damage, hostile bundles ---- */

static void test_errors(void)
{
	struct capfix_opts o = { .n_a = 300, .n_b = 200, .block_bytes = 2048, .short_a = -1 };
	char cap[PATH_MAX], bun[PATH_MAX + 32], err[1024];

	capfix_at("err", o, cap, sizeof(cap));
	snprintf(bun, sizeof(bun), "%s/err.bpfrec", tmp);
	unlink(bun);
	EXPECT(CLIRUN("bundle", cap), 2, NULL, "no output file: give -o FILE");
	EXPECT(CLIRUN("bundle", "-o", bun), 2, NULL, "no CAPTURE given");
	EXPECT(CLIRUN("bundle", cap, "-o", bun, "--stream", "nope"), 2, NULL,
	       "--stream 'nope': no such stream (the capture has: alpha, beta)");
	EXPECT(CLIRUN("bundle", cap, "-o", bun, "--redact=nosuch"), 2, NULL,
	       "--redact: no stream has a column 'nosuch'");
	EXPECT(CLIRUN("bundle", cap, "-o", bun, "--redact=gamma.pid"), 2, NULL, "no stream 'gamma'");
	EXPECT(CLIRUN("bundle", cap, "-o", bun, "--since", "yesterday"), 2, NULL, "--since 'yesterday'");
	EXPECT(CLIRUN("bundle", cap, "-o", bun, "--pid", "x"), 2, NULL, "--pid 'x': not a process id");
	EXPECT(CLIRUN("bundle", "--help"), 0, "Usage: bpfreplay bundle", NULL);
	CHECK(access(bun, F_OK) != 0);            /* nothing written on a usage error */
	EXPECT(CLIRUN("bundle", cap, "-o", bun), 0, "500 events", NULL);
	EXPECT(CLIRUN("bundle", cap, "-o", bun), 2, NULL, "exists");
	EXPECT(CLIRUN("bundle", cap, "-o", "/nonexistent-dir/x.bpfrec"), 1, NULL, "/nonexistent-dir");

	/* A damaged source: the block is left out and reported, the rest bundled. */
	int64_t n10;
	char idx[PATH_MAX + 16];
	snprintf(idx, sizeof(idx), "%s/index.db", cap);
	char *t = q_text(idx, "SELECT nrecords FROM blocks WHERE id = 10");
	n10 = atoll(t);
	free(t);
	capfix_damage_block(cap, 10);
	unlink(bun);
	char want[64];
	snprintf(want, sizeof(want), "%lld events", (long long)(500 - n10));
	EXPECT(CLIRUN("bundle", cap, "-o", bun), 3, want, "block 10");
	EXPECT(CLIRUN("verify", bun), 0, "intact", NULL);
	EXPECT(CLIRUN("info", bun), 0, "  damage         1 damaged blocks", NULL);

	/* Hostile bundles.  A virtual table in the schema: refused. */
	char h[PATH_MAX + 32], c2[PATH_MAX * 2];
	snprintf(h, sizeof(h), "%s/hostile.bpfrec", tmp);
	CHECK(snprintf(c2, sizeof(c2), "cp '%s' '%s'", bun, h) < (int)sizeof(c2));
	CHECK(system(c2) == 0);
	poke_db(h, "PRAGMA writable_schema = ON; INSERT INTO sqlite_schema (type, name, tbl_name,"
		    " rootpage, sql) VALUES ('table', 'v', 'v', 0, 'CREATE VIRTUAL TABLE v USING"
		    " fts5(a)'); PRAGMA writable_schema = OFF;");
	CHECK(capr__open(h, err, sizeof(err)) == NULL);
	fprintf(stderr, "expected: %s\n", err);
	CHECK(strstr(err, "virtual table 'v'"));
	EXPECT(CLIRUN("info", h), 3, NULL, "refused");
	/* block_data of another shape than bpfrec's: refused before anything
	 * reads it (capschema.h). */
	CHECK(system(c2) == 0);
	poke_db(h, "ALTER TABLE block_data RENAME TO old; CREATE TABLE block_data (block_id"
		    " INTEGER PRIMARY KEY, data TEXT); INSERT INTO block_data SELECT * FROM old;"
		    " DROP TABLE old;");
	EXPECT(CLIRUN("info", h), 3, NULL, "table 'block_data': its columns (names, declared types");
	/* block_data with wrong contents: blocks fail one by one, nothing more. */
	CHECK(system(c2) == 0);
	poke_db(h, "ALTER TABLE block_data RENAME TO old; CREATE TABLE block_data (block_id"
		    " INTEGER PRIMARY KEY, data BLOB NOT NULL); INSERT INTO block_data SELECT block_id,"
		    " substr(data, 1, 10) FROM old WHERE block_id < 5; INSERT INTO block_data"
		    " SELECT block_id, data || x'00' FROM old WHERE block_id BETWEEN 5 AND 7;"
		    " INSERT INTO block_data SELECT block_id, data FROM old WHERE block_id > 7;"
		    " DROP TABLE old;");
	struct clirun r = CLIRUN("verify", h);
	CHECK_EQ_INT(r.status, 3);
	CHECK(strstr(r.out, "block_data holds 10 bytes, the index says"));
	CHECK(strstr(r.out, "7 damaged blocks"));
	clirun_free(&r);
	CHECK(system(c2) == 0);
	poke_db(h, "CREATE TABLE b2 (block_id INTEGER PRIMARY KEY, data BLOB) WITHOUT ROWID;"
		    " INSERT INTO b2 SELECT * FROM block_data; DROP TABLE block_data;"
		    " ALTER TABLE b2 RENAME TO block_data;");
	EXPECT(CLIRUN("verify", h), 3, NULL, "table 'block_data' is not the table bpfrec "
	       "writes");
	/* Text from the file never reaches the terminal as control bytes. */
	CHECK(system(c2) == 0);
	poke_db(h, "UPDATE sessions SET host = 'evil' || char(27) || '[2J';"
		    " INSERT OR REPLACE INTO bundle VALUES ('note' || char(7), 'x' || char(27) || ']0;t')");
	r = CLIRUN("info", h);
	CHECK_EQ_INT(r.status, 0);
	CHECK(!strchr(r.out, 27) && !strchr(r.out, 7));
	CHECK(strstr(r.out, "host         evil\\x1b[2J\n"));
	CHECK(strstr(r.out, "  note\\x07"));
	clirun_free(&r);
	/* An SQLite file that is not a bundle, a file that is not SQLite. */
	CHECK(capr__open(idx, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a bpfrec bundle (no block_data table; a capture is a directory)"));
	snprintf(h, sizeof(h), "%s/seg-000001.bpfrec", cap);
	CHECK(capr__open(h, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a directory nor a bundle"));
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("bundle"));
	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	clirun_init(tmp);
	test_hmac();
	test_hmac_from_nettle();
	test_round_trip();
	test_slices();
	test_redact();
	test_redact_uncut_btf();
	test_errors();
	printf("test_bundle: ok\n");
	return 0;
}
