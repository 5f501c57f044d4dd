/* test_btf_prune.c - the capture stores each object's BTF cut to its
 * streams' types (schema/btfcut.h), and bpfreplay reads it exactly as it
 * read the whole BTF.
 *
 * One recording of the actor with built-in probes, -e tracepoints,
 * --syscalls (setuid among them: enum bpfrec_syscall_ids, a root beside
 * the streams') and a user object (objs/uexec.bpf.c), made with --full-btf
 * (the whole BTF, as captures were before); a copy of it whose objects'
 * BTF is cut as the recorder cuts it (btfv.h then btfcut.h, same roots: the
 * streams' type ids, remapped in index.db and catalog.db, and the enum);
 * and `bpfreplay show` (text and JSON Lines), `sql` (every stream's table),
 * `export` (perfetto, parquet, jsonl.zst) and `show` of a bundle of each:
 * byte for byte the same; and `bundle` cuts the whole BTF to the same
 * bytes (schema/btfcut.h).
 * Then a recording of the same with the recorder's own cut: each object's
 * BTF a fraction of the whole and the very bytes of the copy's, every table
 * with the same columns as the --full-btf capture's, and the actor's events
 * decoded value by value. */
#include "testutil.h"
#include "usertest.h"
#include "btfcut.h"
#include "btfv.h"
#include "sysfields.h"
#include "sysids.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUT_MAX (8u << 20)

static char out_a[OUT_MAX], out_b[OUT_MAX];

/* The record arguments both recordings share, after "-o DIR [--full-btf]". */
static void record(struct ut *u, const char *cap, const char *kv, int full)
{
	char *args[40];
	int n = 0;

	args[n++] = "record";
	args[n++] = "-q";
	args[n++] = "-o";
	args[n++] = (char *)cap;
	if (full)
		args[n++] = "--full-btf";
	args[n++] = "--probe";
	args[n++] = "exec,exit,connect";
	args[n++] = "-e";
	args[n++] = "sched:sched_process_exec,sched:sched_process_exit";
	args[n++] = "--syscalls";
	args[n++] = "connect,execve,setuid";     /* setuid: enum bpfrec_syscall_ids too */
	args[n++] = "--bpf";
	args[n++] = (char *)ut_obj(u, "uexec");
	args[n++] = "--";
	args[n++] = u->actor;
	args[n++] = (char *)kv;
	args[n] = NULL;
	ut_bpfrec_ok(u, args);
}

/* Cuts the BTF of every object of one database (index.db or catalog.db)
 * to its streams' types and --syscalls' id and field enums (sysids.h,
 * sysfields.h) and remaps the
 * streams' type ids, as the recorder does.  Returns the BTF bytes before
 * and after in *before, *after, and the id enums found. */
static int cut_db(const char *path, long long *before, long long *after)
{
	sqlite3 *db;
	sqlite3_stmt *objs, *ids, *set_btf, *set_id;
	int nenums = 0;

	CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT id, btf FROM objects", -1, &objs, NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT id, type_id FROM streams WHERE object_id = ?1",
					-1, &ids, NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_prepare_v2(db, "UPDATE objects SET btf = ?2 WHERE id = ?1", -1, &set_btf,
					NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_prepare_v2(db, "UPDATE streams SET type_id = ?2 WHERE id = ?1", -1,
					&set_id, NULL), SQLITE_OK);
	*before = *after = 0;
	while (sqlite3_step(objs) == SQLITE_ROW) {
		long long obj = sqlite3_column_int64(objs, 0);
		char err[256];
		struct btfv *src = btfv__parse(sqlite3_column_blob(objs, 1),
					       (size_t)sqlite3_column_bytes(objs, 1), err, sizeof(err));
		uint32_t roots[258], stream_ids[256], n = 0, i, nroots;
		struct btfcut *p;
		const void *raw;
		size_t len;

		if (!src) {
			fprintf(stderr, "%s: object %lld: %s\n", path, obj, err);
			exit(1);
		}
		*before += sqlite3_column_bytes(objs, 1);
		sqlite3_bind_int64(ids, 1, obj);
		while (sqlite3_step(ids) == SQLITE_ROW && n < 256) {
			stream_ids[n] = (uint32_t)sqlite3_column_int64(ids, 0);
			roots[n++] = (uint32_t)sqlite3_column_int64(ids, 1);
		}
		sqlite3_reset(ids);
		nroots = n;
		if ((roots[nroots] = sysids__enum_id(src)) != 0) {
			nroots++;
			nenums++;
		}
		if ((roots[nroots] = sysfields__enum_id(src)) != 0)
			nroots++;
		p = btfcut__new(src, roots, nroots);
		if (!p) {
			fprintf(stderr, "%s: object %lld: btfcut: %s\n", path, obj, strerror(errno));
			exit(1);
		}
		raw = btfcut__raw(p, &len);
		*after += len;
		sqlite3_bind_int64(set_btf, 1, obj);
		sqlite3_bind_blob(set_btf, 2, raw, (int)len, SQLITE_TRANSIENT);
		CHECK_EQ_INT(sqlite3_step(set_btf), SQLITE_DONE);
		sqlite3_reset(set_btf);
		for (i = 0; i < n; i++) {
			CHECK(!roots[i] || btfcut__id(p, roots[i]));
			sqlite3_bind_int64(set_id, 1, stream_ids[i]);
			sqlite3_bind_int64(set_id, 2, btfcut__id(p, roots[i]));
			CHECK_EQ_INT(sqlite3_step(set_id), SQLITE_DONE);
			sqlite3_reset(set_id);
		}
		btfcut__free(p);
		btfv__free(src);
	}
	sqlite3_finalize(objs);
	sqlite3_finalize(ids);
	sqlite3_finalize(set_btf);
	sqlite3_finalize(set_id);
	CHECK_EQ_INT(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_close(db), SQLITE_OK);
	return nenums;
}

/* Each object of capture a has the very BTF bytes of capture b's object
 * of the same place and name, in index.db and catalog.db alike. */
static void same_btf(const char *a, const char *b)
{
	static const char *const dbs[] = { "index.db", "catalog.db" };
	char path[4400];
	size_t d;

	for (d = 0; d < 2; d++) {
		sqlite3 *db[2];
		sqlite3_stmt *q[2];
		int i, rc[2], n = 0;

		for (i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/%s", i ? b : a, dbs[d]);
			CHECK_EQ_INT(sqlite3_open_v2(path, &db[i], SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
			CHECK_EQ_INT(sqlite3_prepare_v2(db[i], "SELECT name, btf FROM objects ORDER BY id",
							-1, &q[i], NULL), SQLITE_OK);
		}
		while ((rc[0] = sqlite3_step(q[0])) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(q[0], 0);
			int len = sqlite3_column_bytes(q[0], 1);

			rc[1] = sqlite3_step(q[1]);
			CHECK_EQ_INT(rc[1], SQLITE_ROW);
			CHECK_STR((const char *)sqlite3_column_text(q[1], 0), name);
			CHECK_EQ_INT(sqlite3_column_bytes(q[1], 1), len);
			if (memcmp(sqlite3_column_blob(q[0], 1), sqlite3_column_blob(q[1], 1), (size_t)len)) {
				fprintf(stderr, "%s: object %s: other BTF bytes than %s's\n", b, name, a);
				exit(1);
			}
			n++;
		}
		CHECK_EQ_INT(rc[0], SQLITE_DONE);
		CHECK_EQ_INT(sqlite3_step(q[1]), SQLITE_DONE);
		CHECK(n > 0);
		for (i = 0; i < 2; i++) {
			sqlite3_finalize(q[i]);
			sqlite3_close(db[i]);
		}
	}
}

/* Runs bpfreplay ARGS... on cap (put where an argument is "@", else
 * last), its stdout in out; fails the test unless it exits 0. */
static void replay(const char *cap, char *const args[], char *out, size_t len)
{
	char path[4200], *argv[32];
	int n = 0, i, at = -1;

	snprintf(path, sizeof(path), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	argv[n++] = path;
	for (i = 0; args[i]; i++) {
		if (!strcmp(args[i], "@"))
			at = n;
		argv[n++] = args[i];
	}
	if (at < 0)
		at = n++;
	argv[n] = NULL;
	argv[at] = (char *)cap;
	CHECK_EQ_INT(run_cmd_out(argv, out, len), 0);
	CHECK(strlen(out) < len - 1);
}

/* bpfreplay ARGS... on two captures (of the same name, as outputs may
 * name it): the same stdout. */
static void same_output(const char *cap_a, const char *cap_b, char *const args[])
{
	replay(cap_a, args, out_a, sizeof(out_a));
	replay(cap_b, args, out_b, sizeof(out_b));
	if (strcmp(out_a, out_b)) {
		fprintf(stderr, "bpfreplay %s ... differs between the whole and the cut BTF:\n"
			"--- whole\n%s\n--- cut\n%s\n", args[0], out_a, out_b);
		exit(1);
	}
}

/* The same files, byte for byte, under two directories. */
static void same_tree(const char *a, const char *b)
{
	char out[4096];

	if (run_cmd_out((char *[]){ "/usr/bin/diff", "-r", (char *)a, (char *)b, NULL }, out, sizeof(out))) {
		fprintf(stderr, "%s and %s differ:\n%s\n", a, b, out);
		exit(1);
	}
}

static void copy_capture(const char *from, const char *to)
{
	CHECK_EQ_INT(run_cmd((char *[]){ "/bin/cp", "-r", (char *)from, (char *)to, NULL }), 0);
}

/* The names of the stream tables of a capture (its streams with events). */
static size_t stream_names(const struct evlist *l, char names[][64], size_t max)
{
	size_t n = 0, i, k;

	for (i = 0; i < l->n; i++) {
		for (k = 0; k < n && strcmp(names[k], l->v[i].stream); k++)
			;
		if (k == n && n < max)
			snprintf(names[n++], 64, "%s", l->v[i].stream);
	}
	return n;
}

/* The first event of stream in l has the same fields as in ref. */
static void same_columns(const struct evlist *ref, const struct evlist *l, const char *stream)
{
	const struct ev *a = ev_find(ref, stream, NULL, NULL), *b = ev_find(l, stream, NULL, NULL);
	int i;

	CHECK(a && b);
	CHECK_EQ_INT(a->nf, b->nf);
	for (i = 0; i < a->nf; i++)
		CHECK_STR(b->names[i], a->names[i]);
}

int main(void)
{
	struct ut u;
	struct evlist full, own;
	const struct ev *e;
	char names[64][64], query[256], whole[4200], cut[4200], path_a[4300], path_b[4300];
	char db[4400], cut_cap[4300];
	long long before, after, cat_before, cat_after, pid, child, btf_full, btf_own;
	size_t n, i;

	ut_init(&u, "btf_prune");
	/* ---- the whole BTF against the cut one, on the very same capture ---- */
	snprintf(whole, sizeof(whole), "%s", ut_path(&u, "whole"));
	snprintf(cut, sizeof(cut), "%s", ut_path(&u, "cut"));
	CHECK(!mkdir(whole, 0755) && !mkdir(cut, 0755));
	snprintf(path_a, sizeof(path_a), "%s/cap", whole);
	snprintf(path_b, sizeof(path_b), "%s/cap", cut);
	record(&u, path_a, ut_path(&u, "actor.kv"), 1);
	copy_capture(path_a, path_b);
	snprintf(db, sizeof(db), "%s/index.db", path_b);
	CHECK_EQ_INT(cut_db(db, &before, &after), 1);
	snprintf(db, sizeof(db), "%s/catalog.db", path_b);
	CHECK_EQ_INT(cut_db(db, &cat_before, &cat_after), 1);
	CHECK_EQ_INT(cat_before, before);
	CHECK_EQ_INT(cat_after, after);
	printf("BTF of the capture's objects: %lld bytes whole, %lld cut\n", before, after);
	CHECK(after * 10 < before);

	CHECK_EQ_INT(capload(path_a, &full), 0);
	n = stream_names(&full, names, 64);
	CHECK(n >= 7);
	same_output(path_a, path_b, (char *[]){ "show", NULL });
	same_output(path_a, path_b, (char *[]){ "show", "-o", "jsonl", NULL });
	for (i = 0; i < n; i++) {
		snprintf(query, sizeof(query), "SELECT * FROM \"%s\"", names[i]);
		same_output(path_a, path_b, (char *[]){ "sql", "@", query, NULL });
	}
	same_output(path_a, path_b,
		    (char *[]){ "export", "--format", "perfetto", "-o", "-", NULL });
	for (i = 0; i < 2; i++) {
		const char *fmt = i ? "jsonl.zst" : "parquet";
		char out_whole[4400], out_cut[4400];

		snprintf(out_whole, sizeof(out_whole), "%s/%s", whole, fmt);
		snprintf(out_cut, sizeof(out_cut), "%s/%s", cut, fmt);
		replay(path_a, (char *[]){ "export", "--format", (char *)fmt, "-o", out_whole, NULL },
		       out_a, sizeof(out_a));
		replay(path_b, (char *[]){ "export", "--format", (char *)fmt, "-o", out_cut, NULL },
		       out_b, sizeof(out_b));
		same_tree(out_whole, out_cut);
	}
	/* a bundle carries the BTF it was given: the cut one reads the same */
	{
		char bw[4400], bc[4400];

		snprintf(bw, sizeof(bw), "%s/b.bpfrec", whole);
		snprintf(bc, sizeof(bc), "%s/b.bpfrec", cut);
		replay(path_a, (char *[]){ "bundle", "-o", bw, NULL }, out_a, sizeof(out_a));
		replay(path_b, (char *[]){ "bundle", "-o", bc, NULL }, out_b, sizeof(out_b));
		same_output(bw, bc, (char *[]){ "show", "-o", "jsonl", NULL });
		same_output(path_a, bc, (char *[]){ "show", "-o", "jsonl", NULL });
		/* bundle cuts a whole BTF as the recorder does: the same bytes */
		CHECK_EQ_INT(q_int_capture(bw, "SELECT sum(length(btf)) FROM objects"), after);
		CHECK_EQ_INT(q_int_capture(bc, "SELECT sum(length(btf)) FROM objects"), after);
		CHECK_EQ_INT(q_int_capture(bw, "SELECT count(*) FROM objects"),
			     q_int_capture(path_b, "SELECT count(*) FROM objects"));
	}
	printf("ok: show, show -o jsonl, sql of %zu tables, export perfetto/parquet/jsonl.zst and a "
	       "bundle's show: the same from the whole and the cut BTF\n", n);

	/* ---- the recorder's own cut: the same columns, the actor's values ---- */
	snprintf(path_b, sizeof(path_b), "%s", ut_path(&u, "own"));
	record(&u, path_b, ut_path(&u, "own.kv"), 0);
	btf_full = q_int_capture(path_a, "SELECT sum(length(btf)) FROM objects");
	btf_own = q_int_capture(path_b, "SELECT sum(length(btf)) FROM objects");
	printf("recorded with the recorder's cut: %lld bytes of BTF (whole: %lld)\n", btf_own, btf_full);
	CHECK(btf_own * 10 < btf_full);
	/* the recorder cuts as the copy was cut: the same bytes, object by object */
	snprintf(cut_cap, sizeof(cut_cap), "%s/cap", cut);
	same_btf(cut_cap, path_b);
	CHECK_EQ_INT(q_int_capture(path_b, "SELECT count(*) FROM streams WHERE type_id = 0"),
		     q_int_capture(path_a, "SELECT count(*) FROM streams WHERE type_id = 0"));
	CHECK_EQ_INT(capload(path_b, &own), 0);
	for (i = 0; i < n; i++)
		same_columns(&full, &own, names[i]);
	for (i = 0; i < own.n; i++)
		CHECK(!own.v[i].damaged);
	pid = kv_get(ut_path(&u, "own.kv"), "pid");
	child = kv_get(ut_path(&u, "own.kv"), "child_pid");
	/* built-in exec and exit */
	e = ut_one(&own, "exec", "pid", ut_num(child));
	CHECK_STR(ev_get(e, "filename"), "/bin/true");
	CHECK_STR(ev_get(e, "ppid"), ut_num(pid));
	e = ut_one(&own, "exit", "pid", ut_num(pid));
	CHECK_STR(ev_get(e, "comm"), "actor");
	CHECK_EQ_INT(ev_int(e, "exit_code"), 7);
	/* -e: a tracepoint's fields */
	e = ut_one(&own, "sched_process_exec", "pid", ut_num(child));
	CHECK_STR(ev_get(e, "filename"), "/bin/true");
	CHECK_EQ_INT(ev_int(e, "old_pid"), child);
	/* --syscalls: the refused connect, its address, errno by name */
	e = ut_one(&own, "syscalls", "errno", "ECONNREFUSED");
	CHECK_STR(ev_get(e, "syscall"), "connect");
	CHECK_STR(ev_get(e, "addr"), "127.0.0.1");
	CHECK_STR(ev_get(e, "port"), ut_num(kv_get(ut_path(&u, "own.kv"), "closed_port")));
	/* the user object's two event types and its map snapshot */
	e = ut_one(&own, "uexec_ev", "pid", ut_num(child));
	CHECK_STR(ev_get(e, "file"), "/bin/true");
	CHECK_STR(ev_get(e, "comm"), "true");
	CHECK_EQ_INT(ev_int(e, "kind"), 1);
	ut_want(&own, "uexit_ev", "pid", ut_num(child), 1);
	CHECK_EQ_INT(ev_int(ut_one(&own, "by_key16", "key_pid", ut_num(pid)), "value"), 1);
	capload_free(&full);
	capload_free(&own);
	printf("ok: the recorder's cut BTF: %zu tables with the whole BTF's columns, the actor's "
	       "values\n", n);
	return 0;
}
