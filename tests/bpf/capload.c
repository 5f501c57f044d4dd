#include "capload.h"
#include "testutil.h"

#include "btfv.h"
#include "capr.h"
#include "evtype.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct sdesc {
	int64_t id;
	char name[64];
	struct btfv *btf;
	struct evtype *et;
};

static int load_streams(sqlite3 *db, struct sdesc *s, int max)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT s.id, s.name, s.type_id, o.btf FROM streams s "
				   "JOIN objects o ON o.id = s.object_id ORDER BY s.id", -1, &st, NULL))
		return -EINVAL;
	while (sqlite3_step(st) == SQLITE_ROW && n < max) {
		char err[256];
		const void *btf = sqlite3_column_blob(st, 3);
		int btf_len = sqlite3_column_bytes(st, 3);
		uint32_t type_id = (uint32_t)sqlite3_column_int64(st, 2);

		s[n].id = sqlite3_column_int64(st, 0);
		snprintf(s[n].name, sizeof(s[n].name), "%s", sqlite3_column_text(st, 1));
		s[n].btf = btf && type_id ? btfv__parse(btf, btf_len, err, sizeof(err)) : NULL;
		s[n].et = s[n].btf ? evtype__new(s[n].btf, type_id, err, sizeof(err))
				   : evtype__new_bytes();
		if (!s[n].et) {
			fprintf(stderr, "capload: stream %s: %s\n", s[n].name, err);
			sqlite3_finalize(st);
			return -EINVAL;
		}
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

static const struct evlist *sort_list;

static int cmp_time(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint64_t tx = sort_list->v[x].ts_ns, ty = sort_list->v[y].ts_ns;

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return x < y ? -1 : x > y;
}

void capload_sort_time(struct evlist *l)
{
	size_t *idx = malloc((l->n ? l->n : 1) * sizeof(*idx));
	struct ev *v = malloc((l->n ? l->n : 1) * sizeof(*v));
	size_t i;

	if (!idx || !v) {
		fprintf(stderr, "capload_sort_time: out of memory\n");
		exit(1);
	}
	for (i = 0; i < l->n; i++)
		idx[i] = i;
	sort_list = l;
	qsort(idx, l->n, sizeof(*idx), cmp_time);
	for (i = 0; i < l->n; i++)
		v[i] = l->v[idx[i]];
	memcpy(l->v, v, l->n * sizeof(*v));
	free(v);
	free(idx);
}

int capload(const char *dir, struct evlist *out)
{
	struct sdesc s[64] = { 0 };
	const struct cap_block_info *blocks;
	char err[512];
	size_t nblocks, b, cap = 0;
	struct capr *r = capr__open(dir, err, sizeof(err));
	sqlite3_stmt *st;
	int ns, i, rc = 0;

	memset(out, 0, sizeof(*out));
	if (!r) {
		fprintf(stderr, "capload: %s\n", err);
		return -EINVAL;
	}
	ns = load_streams(capr__db(r), s, 64);
	if (ns < 0) {
		rc = ns;
		goto out;
	}
	if (!sqlite3_prepare_v2(capr__db(r), "SELECT coalesce(sum(count),0) FROM losses", -1, &st,
				NULL)) {
		if (sqlite3_step(st) == SQLITE_ROW)
			out->lost = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	capr__blocks(r, &blocks, &nblocks);
	for (b = 0; b < nblocks; b++) {
		const struct cap_rec *recs;
		uint32_t nrecs, k;

		rc = capr__read_block(r, &blocks[b], &recs, &nrecs, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "capload: %s\n", err);
			goto out;
		}
		for (k = 0; k < nrecs; k++) {
			struct sdesc *sd = NULL;
			struct ev *e;
			size_t c, ncols;

			for (i = 0; i < ns; i++)
				if (s[i].id == recs[k].stream)
					sd = &s[i];
			if (!sd)
				continue;
			if (out->n == cap) {
				cap = cap ? cap * 2 : 256;
				out->v = realloc(out->v, cap * sizeof(*out->v));
			}
			e = &out->v[out->n++];
			memset(e, 0, sizeof(*e));
			snprintf(e->stream, sizeof(e->stream), "%s", sd->name);
			e->ts_ns = recs[k].ts_ns;
			e->cpu = recs[k].cpu;
			e->len = recs[k].len;
			e->raw = malloc(recs[k].len ? recs[k].len : 1);
			if (e->raw)
				memcpy(e->raw, recs[k].data, recs[k].len);
			if (evtype__check(sd->et, recs[k].len)) {
				e->damaged = 1;
				continue;
			}
			ncols = evtype__ncols(sd->et);
			e->names = calloc(ncols, sizeof(char *));
			e->vals = calloc(ncols, sizeof(char *));
			for (c = 0; c < ncols; c++) {
				char buf[4096];

				evtype__format(sd->et, c, recs[k].data, recs[k].len, buf, sizeof(buf));
				e->names[c] = strdup(evtype__col(sd->et, c)->name);
				e->vals[c] = strdup(buf);
			}
			e->nf = (int)ncols;
		}
	}
out:
	for (i = 0; i < ns; i++) {
		evtype__free(s[i].et);
		btfv__free(s[i].btf);
	}
	capr__close(r);
	return rc;
}

void capload_free(struct evlist *l)
{
	size_t i;
	int f;

	for (i = 0; i < l->n; i++) {
		for (f = 0; f < l->v[i].nf; f++) {
			free(l->v[i].names[f]);
			free(l->v[i].vals[f]);
		}
		free(l->v[i].names);
		free(l->v[i].vals);
		free(l->v[i].raw);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const char *ev_get(const struct ev *e, const char *field)
{
	int f;

	for (f = 0; f < e->nf; f++)
		if (!strcmp(e->names[f], field))
			return e->vals[f];
	return NULL;
}

long long ev_int(const struct ev *e, const char *field)
{
	const char *v = ev_get(e, field);

	if (!v) {
		fprintf(stderr, "FAIL: stream %s has no field %s\n", e->stream, field);
		exit(1);
	}
	return strtoll(v, NULL, 0);
}

static int matches(const struct ev *e, const char *stream, const char *field, const char *value)
{
	const char *v;

	if (strcmp(e->stream, stream))
		return 0;
	if (!field)
		return 1;
	v = ev_get(e, field);
	return v && (!value || !strcmp(v, value));
}

size_t ev_count(const struct evlist *l, const char *stream, const char *field, const char *value)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += matches(&l->v[i], stream, field, value);
	return n;
}

const struct ev *ev_find(const struct evlist *l, const char *stream, const char *field,
			 const char *value)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (matches(&l->v[i], stream, field, value))
			return &l->v[i];
	return NULL;
}

void ev_dump(const struct evlist *l, const char *stream)
{
	size_t i;
	int f;

	for (i = 0; i < l->n; i++) {
		if (stream && strcmp(l->v[i].stream, stream))
			continue;
		fprintf(stderr, "  %s ts=%llu%s", l->v[i].stream, (unsigned long long)l->v[i].ts_ns,
			l->v[i].damaged ? " DAMAGED" : "");
		for (f = 0; f < l->v[i].nf; f++)
			fprintf(stderr, " %s=%s", l->v[i].names[f], l->v[i].vals[f]);
		fputc('\n', stderr);
	}
}

int run_cmd(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs argv with its output on fd (1 or 2) in buf (NUL-terminated; stderr
 * also echoed, for the test's log); quiet_stdout: its stdout to /dev/null;
 * as_nobody: as uid/gid 65534 (exit 126 if that fails).  Its wait status,
 * or -1. */
static int run_captured(char *const argv[], int fd, char *buf, size_t len, int quiet_stdout,
			int as_nobody)
{
	int pipefd[2], status;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = quiet_stdout ? open("/dev/null", O_WRONLY) : -1;

		if (null >= 0)
			dup2(null, 1);
		dup2(pipefd[1], fd);
		close(pipefd[0]);
		close(pipefd[1]);
		if (as_nobody && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
				  setresuid(65534, 65534, 65534)))
			_exit(126);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	close(pipefd[1]);
	/* Read to the end (a full pipe would stop the command), keep what fits. */
	for (;;) {
		char chunk[4096];
		size_t keep;

		n = read(pipefd[0], chunk, sizeof(chunk));
		if (n <= 0)
			break;
		keep = got + (size_t)n < len ? (size_t)n : len - 1 - got;
		memcpy(buf + got, chunk, keep);
		got += keep;
	}
	buf[got] = 0;
	if (fd == 2)
		fputs(buf, stderr);   /* for the test's log */
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

int run_cmd_err(char *const argv[], char *err, size_t errlen)
{
	int status = run_captured(argv, 2, err, errlen, 0, 0);

	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_cmd_out(char *const argv[], char *out, size_t len)
{
	int status = run_captured(argv, 1, out, len, 0, 0);

	CHECK(status >= 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_bpfrec_as(char *err, size_t errlen, char *const args[], int as_nobody)
{
	char bpfrec[4096], *argv[32] = { bpfrec };
	int status, i;

	snprintf(bpfrec, sizeof(bpfrec), "%s/recorder/bpfrec", getenv("BPFREC_BUILD"));
	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	status = run_captured(argv, 2, err, errlen, 1, as_nobody);
	if (status < 0) {
		fprintf(stderr, "%s: cannot run it\n", bpfrec);
		exit(1);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_bpfrec(char *err, size_t errlen, char *const args[])
{
	return run_bpfrec_as(err, errlen, args, 0);
}

long long kv_get(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "FAIL: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == '=') {
			fclose(f);
			return strtoll(line + klen + 1, NULL, 10);
		}
	}
	fclose(f);
	fprintf(stderr, "FAIL: %s has no %s\n", path, key);
	exit(1);
}

const char *out_line(const char *text, const char *const *has, char *buf, size_t len)
{
	const char *found = NULL;
	int n = 0;

	for (const char *l = text, *end; *l; l = *end ? end + 1 : end) {
		size_t i;

		end = strchrnul(l, '\n');
		snprintf(buf, len, "%.*s", (int)(end - l), l);
		for (i = 0; has[i] && strstr(buf, has[i]); i++)
			;
		if (!has[i]) {
			found = l;
			n++;
		}
	}
	if (n != 1) {
		fprintf(stderr, "FAIL: %d lines have %s ...:\n%s\n", n, has[0], text);
		exit(1);
	}
	snprintf(buf, len, "%.*s", (int)(strchrnul(found, '\n') - found), found);
	return buf;
}

/* The index of the comma-separated field named col in the line at h, or
 * -1; the number of fields in *nf. */
static int csv_index(const char *h, const char *col, int *nf)
{
	size_t clen = strlen(col);
	int at = -1, i = 0;

	for (const char *f = h;; i++) {
		size_t n = strcspn(f, ",\n");

		if (n == clen && !strncmp(f, col, clen) && at < 0)
			at = i;
		if (f[n] != ',')
			break;
		f += n + 1;
	}
	*nf = i + 1;
	return at;
}

const char *csv_cell(const char *text, const char *row, const char *col, char *buf, size_t len)
{
	int nh, nr, at = csv_index(text, col, &nh);
	const char *f = row;

	int quoted = 0;

	/* a quote only as a whole cell "" */
	for (const char *q = strchr(row, '"'); q && !quoted; q = strchr(q + 2, '"'))
		quoted = q[1] != '"' || (q > row && q[-1] != ',') || (q[2] && q[2] != ',' &&
								  q[2] != '\n');
	csv_index(row, "", &nr);
	if (at < 0 || quoted || nr != nh) {
		fprintf(stderr, "FAIL: no column %s in a row of %d cells like the header's %d "
			"(or a quoted cell): %s\n", col, nr, nh, row);
		exit(1);
	}
	for (int i = 0; i < at; i++)
		f += strcspn(f, ",\n") + 1;
	snprintf(buf, len, "%.*s", (int)strcspn(f, ",\n"), f);
	return buf;
}
