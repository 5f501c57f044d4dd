/* hive.c - the Hive directory layout of the table formats (see hive.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hive.h"
#include "rowlacks.h"
#include "utf8.h"

/* ---- names ---- */

static int plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

void hive__escape(const char *s, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0, max = outlen - 1 < HIVE_MAX_COMPONENT ? outlen - 1 : HIVE_MAX_COMPONENT;
	int cut = 0;

	if (!len) {
		snprintf(out, outlen, "__HIVE_DEFAULT_PARTITION__");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int esc = !plain_byte(c) || (i == 0 && c == '.');

		if (n + (esc ? 3 : 1) > max - 17) {     /* room for "~" + 16 hex digits */
			/* fits whole? then no hash needed */
			size_t rest = 0;
			for (size_t k = i; k < len; k++)
				rest += plain_byte((unsigned char)s[k]) ? 1 : 3;
			if (n + rest <= max) {
				for (; i < len; i++) {
					c = (unsigned char)s[i];
					if (plain_byte(c)) {
						out[n++] = (char)c;
					} else {
						out[n++] = '%';
						out[n++] = hex[c >> 4];
						out[n++] = hex[c & 15];
					}
				}
			} else {
				cut = 1;
			}
			break;
		}
		if (esc) {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else {
			out[n++] = (char)c;
		}
	}
	if (cut) {
		uint64_t h = 1469598103934665603ull;    /* FNV-1a of the whole value */
		for (size_t i = 0; i < len; i++)
			h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
		n += (size_t)snprintf(out + n, outlen - n, "~%016" PRIx64, h);
	}
	out[n] = 0;
}

const char *hive__utf8(const char *s, size_t len, struct strbuf *scratch, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len && (k = utf8__seq(u + i, len - i, NULL)))
		i += k;
	*outlen = len;
	if (i == len)
		return s;
	scratch->len = 0;
	if (strbuf__add(scratch, s, i))
		return NULL;
	while (i < len) {
		k = utf8__seq(u + i, len - i, NULL);
		if (k) {
			if (strbuf__add(scratch, s + i, k))
				return NULL;
			i += k;
		} else {
			if (strbuf__add(scratch, "\xef\xbf\xbd", 3))
				return NULL;
			i++;
		}
	}
	*outlen = scratch->len;
	return scratch->buf;
}

/* ---- one open file per stream of the capture being read ---- */

struct hsink {
	struct capview_stream *s;
	struct rowlacks *lacks;     /* the fields a row lacks: NULL, as show leaves them out */
	struct hive_col *cols;
	char **names;               /* owned column names */
	size_t ncols;
	struct pval *vals;
	struct strbuf *texts;       /* per column: its value's copy */
	FILE *f;
	void *sink;
	char *path;
};

struct hive_run {
	struct export *x;
	const struct hive_format *fmt;
	int dirfd;
	size_t cap;                 /* capture of the open sinks */
	struct hsink *sinks;
	size_t nsinks;
	char capname[HIVE_MAX_COMPONENT + 1];
	char host[HIVE_MAX_COMPONENT + 1];
	char date[16];
	struct strbuf scratch;      /* UTF-8 repairs */
	uint64_t files, rows;
};

static void sink_free(struct hsink *h)
{
	for (size_t i = 0; h->names && i < h->ncols; i++)
		free(h->names[i]);
	free(h->names);
	free(h->cols);
	free(h->vals);
	for (size_t i = 0; h->texts && i < h->ncols; i++)
		strbuf__free(&h->texts[i]);
	free(h->texts);
	rowlacks__free(h->lacks);
	free(h->path);
	if (h->f)
		fclose(h->f);
	memset(h, 0, sizeof(*h));
}

static const char *const reserved_names[] = { "stream", "host", "date", "capture", NULL };

/* Output column names: a field named like an earlier column or a partition
 * column gets '_' appended until unique (case-insensitively). */
static int unique_name(struct hsink *h, size_t k, const char *want)
{
	size_t n = strlen(want);
	char *name = malloc(n + 64);

	if (!name)
		return -ENOMEM;
	memcpy(name, want, n + 1);
	for (int again = 1; again;) {
		again = 0;
		for (size_t i = 0; reserved_names[i] && !again; i++)
			again = !strcasecmp(name, reserved_names[i]) && k >= 4;
		for (size_t i = 0; i < k && !again; i++)
			again = !strcasecmp(name, h->names[i]);
		if (again) {
			name = realloc(name, strlen(name) + 2);
			if (!name)
				return -ENOMEM;
			strcat(name, "_");
		}
	}
	h->names[k] = name;
	h->cols[k].name = name;
	return 0;
}

static uint8_t bits_of(uint32_t byte_size)
{
	return byte_size == 1 ? 8 : byte_size == 2 ? 16 : byte_size == 4 ? 32 : 64;
}

static int sink_columns(struct hsink *h)
{
	static const struct hive_col common[4] = {
		{ "ts", HIVE_INT, 64, 0 }, { "time", HIVE_TIME, 64, 0 },
		{ "cpu", HIVE_UINT, 32, 1 }, { "capture", HIVE_TEXT, 0, 0 },
	};
	struct capview_stream *s = h->s;
	int rc;

	h->ncols = 4 + s->ncols;
	h->cols = calloc(h->ncols, sizeof(*h->cols));
	h->names = calloc(h->ncols, sizeof(*h->names));
	h->vals = calloc(h->ncols, sizeof(*h->vals));
	h->texts = calloc(h->ncols, sizeof(*h->texts));
	if (!h->cols || !h->names || !h->vals || !h->texts)
		return -ENOMEM;
	for (size_t k = 0; k < 4; k++) {
		h->cols[k] = common[k];
		if ((rc = unique_name(h, k, common[k].name)))
			return rc;
	}
	for (size_t i = 0; i < s->ncols; i++) {
		const struct evcol *ec = evtype__col(s->et, i);
		struct hive_col *c = &h->cols[4 + i];

		c->nullable = 1;
		switch (ec->kind) {
		case EVCOL_INT: c->type = HIVE_INT; c->bits = bits_of(ec->byte_size); break;
		case EVCOL_UINT: c->type = HIVE_UINT; c->bits = bits_of(ec->byte_size); break;
		case EVCOL_BOOL: c->type = HIVE_UINT; c->bits = 8; break;
		case EVCOL_FLOAT: c->type = HIVE_REAL; break;
		case EVCOL_JSON: c->type = HIVE_JSON; break;
		case EVCOL_BYTES: c->type = HIVE_BYTES; break;
		default: c->type = HIVE_TEXT; break;    /* ENUM, TEXT, IPADDR */
		}
		if ((rc = unique_name(h, 4 + i, s->cols[i])))
			return rc;
	}
	return 0;
}

/* mkdir -p of one relative path made of escaped components, under dirfd. */
static int make_dirs(int dirfd, const char *rel)
{
	char buf[4 * (HIVE_MAX_COMPONENT + 16)];

	snprintf(buf, sizeof(buf), "%s", rel);
	for (char *p = buf; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdirat(dirfd, buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdirat(dirfd, buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int sink_open(struct hive_run *run, struct hsink *h, struct capview *c)
{
	char stream[HIVE_MAX_COMPONENT + 1], dir[4 * (HIVE_MAX_COMPONENT + 16)];
	const struct capview_session *se = capview__session(c);
	int rc, fd;

	if ((rc = sink_columns(h)))
		return rc;
	if (!(h->lacks = rowlacks__new(capview__object_btf(c, h->s->object_id), h->s)))
		return -ENOMEM;
	hive__escape(h->s->name, strlen(h->s->name), stream, sizeof(stream));
	snprintf(dir, sizeof(dir), "stream=%s/host=%s/date=%s", stream, run->host, run->date);
	if ((rc = make_dirs(run->dirfd, dir))) {
		cli__warn("%s/%s: %s", export__out(run->x), dir, strerror(-rc));
		return rc;
	}
	if (asprintf(&h->path, "%s/part-%s%s", dir, run->capname, run->fmt->ext) < 0) {
		h->path = NULL;
		return -ENOMEM;
	}
	fd = openat(run->dirfd, h->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		cli__warn("%s/%s: %s%s", export__out(run->x), h->path, strerror(-rc),
			  rc == -EEXIST ? " (two captures of one host with the same name?)" : "");
		return rc;
	}
	h->f = fdopen(fd, "wb");
	if (!h->f) {
		close(fd);
		return -ENOMEM;
	}
	struct hive_table t = {
		.stream = h->s->name, .host = se->host ? se->host : "", .capture = run->capname,
		.type_name = h->s->type_name ? h->s->type_name : "", .session = se,
		.cols = h->cols, .ncols = h->ncols,
	};
	h->sink = run->fmt->open(h->f, &t, run->x);
	if (!h->sink)
		return errno ? -errno : -ENOMEM;
	run->files++;
	return 0;
}

static int sink_close(struct hive_run *run, struct hsink *h)
{
	int rc = 0;

	if (h->sink)
		rc = run->fmt->close(h->sink);
	h->sink = NULL;
	if (h->f && fclose(h->f) && !rc)
		rc = -EIO;
	h->f = NULL;
	if (rc && rc != -EIO)
		cli__warn("%s/%s: %s", export__out(run->x), h->path, strerror(-rc));
	sink_free(h);
	return rc;
}

static int close_all(struct hive_run *run)
{
	int rc = 0;

	for (size_t i = 0; i < run->nsinks; i++) {
		int r = sink_close(run, &run->sinks[i]);
		if (!rc)
			rc = r;
	}
	free(run->sinks);
	run->sinks = NULL;
	run->nsinks = 0;
	return rc;
}

static void abort_all(struct hive_run *run)
{
	for (size_t i = 0; i < run->nsinks; i++) {
		if (run->sinks[i].sink)
			run->fmt->abort(run->sinks[i].sink);
		run->sinks[i].sink = NULL;
		sink_free(&run->sinks[i]);
	}
	free(run->sinks);
	run->sinks = NULL;
	run->nsinks = 0;
}

/* The capture-wide parts of the path: host, date, name. */
static void capture_parts(struct hive_run *run, struct capview *c)
{
	const struct capview_session *se = capview__session(c);
	const char *host = se->host ? se->host : "";
	size_t len;
	const char *name = capview__name_of(capview__path(c), &len);
	int64_t wall = timeclock__wall(&se->clock, se->start_ns);
	time_t secs = (time_t)(wall / 1000000000 - (wall % 1000000000 < 0));
	struct tm tm;

	hive__escape(host, strlen(host), run->host, sizeof(run->host));
	hive__escape(name, len, run->capname, sizeof(run->capname));
	if (gmtime_r(&secs, &tm))
		strftime(run->date, sizeof(run->date), "%Y-%m-%d", &tm);
	else
		snprintf(run->date, sizeof(run->date), "1970-01-01");
}

static struct hsink *sink_for(struct hive_run *run, struct capview *c, struct capview_stream *s,
			      int *rc)
{
	struct hsink *h;

	for (size_t i = 0; i < run->nsinks; i++)
		if (run->sinks[i].s == s)
			return &run->sinks[i];
	h = realloc(run->sinks, (run->nsinks + 1) * sizeof(*h));
	if (!h) {
		*rc = -ENOMEM;
		return NULL;
	}
	run->sinks = h;
	h = &run->sinks[run->nsinks++];
	memset(h, 0, sizeof(*h));
	h->s = s;
	*rc = sink_open(run, h, c);
	return *rc ? NULL : h;
}

/* The record's values, in the sink's column order.  Decoded text lives in
 * the evtype's scratch space until the next decode, so each text value is
 * repaired (UTF-8) and copied into the sink's own buffer at once. */
static int row_out(struct hive_run *run, struct hsink *h, struct capview *c,
		   const struct cap_rec *rec)
{
	const struct capview_session *se = capview__session(c);
	char timebuf[TIMEFMT_LEN + 1];
	struct pval *v = h->vals;

	v[0] = (struct pval){ .kind = PV_INT, .i = (int64_t)rec->ts_ns };
	v[1] = (struct pval){ .kind = PV_INT, .i = timeclock__wall(&se->clock, rec->ts_ns) };
	v[2] = rec->cpu == CAP_CPU_UNKNOWN ? (struct pval){ .kind = PV_NULL }
					   : (struct pval){ .kind = PV_INT, .i = rec->cpu };
	v[3] = (struct pval){ .kind = PV_TEXT, .s = run->capname, .len = strlen(run->capname) };
	rowlacks__row(h->lacks, rec);
	for (size_t i = 4; i < h->ncols; i++) {
		struct pval *o = &v[i];
		struct strbuf *t = &h->texts[i];
		const char *p;
		size_t len;

		if (rowlacks__col(h->lacks, rec, i - 4) ||
		    capview__value(c, h->s, rec, CAPVIEW_NCOMMON + (i - 4), o, timebuf)) {
			*o = (struct pval){ .kind = PV_NULL };
			continue;
		}
		if (o->kind == PV_UINT)
			o->kind = PV_INT;       /* the bits are in i */
		if (o->kind != PV_TEXT && o->kind != PV_JSON && o->kind != PV_BLOB)
			continue;
		p = o->s;
		len = o->len;
		if (o->kind != PV_BLOB && !(p = hive__utf8(o->s, o->len, &run->scratch, &len)))
			return -ENOMEM;
		t->len = 0;
		if (strbuf__add(t, p ? p : "", len) || strbuf__add(t, "", 0))
			return -ENOMEM;
		o->s = t->buf;
		o->len = len;
	}
	run->rows++;
	return run->fmt->row(h->sink, v);
}

int hive__export(struct export *x, const struct hive_format *f)
{
	struct hive_run run = { .x = x, .fmt = f, .dirfd = -1, .cap = SIZE_MAX };
	const char *out = export__out(x);
	struct export_rec r;
	int rc = 0, got;

	if (mkdir(out, 0755)) {
		rc = -errno;
		cli__warn("-o %s: %s%s", out, strerror(-rc),
			  rc == -EEXIST ? " (the directory must not exist: it is created)" : "");
		return rc == -EIO ? -EACCES : rc;
	}
	run.dirfd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (run.dirfd < 0) {
		rc = -errno;
		cli__warn("-o %s: %s", out, strerror(-rc));
		return rc;
	}
	while ((got = export__next(x, &r)) > 0) {
		struct capview *c = export__capture(x, r.cap);
		struct hsink *h;

		if (r.cap != run.cap) {
			if ((rc = close_all(&run)))
				goto fail;
			run.cap = r.cap;
			capture_parts(&run, c);
		}
		if (!(h = sink_for(&run, c, r.s, &rc)))
			goto fail;
		if ((rc = row_out(&run, h, c, r.rec)))
			goto fail;
	}
	if (got < 0) {
		rc = got;
		goto fail;
	}
	rc = close_all(&run);
	strbuf__free(&run.scratch);
	close(run.dirfd);
	if (!rc)
		fprintf(stderr, "bpfreplay: export: %" PRIu64 " rows in %" PRIu64 " files under %s\n",
			run.rows, run.files, out);
	return rc;
fail:
	abort_all(&run);
	strbuf__free(&run.scratch);
	close(run.dirfd);
	return rc;
}
