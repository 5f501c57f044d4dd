/* rstats.c - the report's figures in one pass (rstats.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capr.h"
#include "rstats.h"

#define LIT(b, s) strbuf__add((b), "" s, sizeof("" s) - 1)   /* literals only */
#define HIST_N 3776                 /* 128 exact + 56 powers of two * 64 steps */
#define MAX_ERRNO 4095              /* the kernel's: -4095 .. -1 are errors */
#define KEY_MAX 128                 /* bytes of a command name kept */

struct sst {                        /* one stream of one capture */
	size_t cap;
	struct capview_stream *s;
	struct export_cols c;
	uint64_t events, lost;
	uint64_t rate[RSTATS_BUCKETS], loss[RSTATS_BUCKETS];
	uint64_t *hist;                 /* HIST_N, when c.lat >= 0 */
	uint64_t lat_n, lat_max;
	uint64_t *errs;                 /* MAX_ERRNO + 1 (0: below -4095), when c.ret >= 0 */
	uint64_t failed;
};

struct proc {
	uint64_t key;                   /* (cap << 32 | pid) + 1; 0: free */
	uint64_t events;
	char comm[16 + 1];
	char name[64];                  /* the exec'd program's base name, or fork's comm */
	int64_t ppid;                   /* -1: unknown */
	uint64_t start, end;            /* ts of exec/fork and exit; 0: not seen */
	int64_t exit_code;
	int tree;                       /* seen exec'd or forked */
};

struct scount {
	char *key;                      /* NULL: free */
	uint64_t n;
};

struct strmap {
	struct scount *v;
	size_t n, cap;
};

struct samp {
	uint64_t ts, dur;
	uint32_t pid, tid;
	uint32_t stream;                /* index into st->ss */
	int failed;
};

struct rstats {
	struct export *x;
	struct sst *ss;
	size_t nss;
	uint64_t t0, t1;                /* the span the buckets cover, inclusive */
	uint64_t first, last;           /* the records' actual bounds */
	uint64_t events;
	struct proc *procs;
	size_t nprocs, pcap;
	struct strmap comms, stacks;
	uint64_t stacks_other;
	struct strbuf fold;             /* one record's folded stack */
	struct samp sample[RSTATS_SAMPLE];
	size_t nsample;
	uint64_t rng;
	int err;
};

/* ---- small tables ---- */

static uint64_t hash_u64(uint64_t k)
{
	return k * 0x9e3779b97f4a7c15ull >> 17;
}

static struct proc *proc_get(struct rstats *st, size_t cap, uint32_t pid)
{
	uint64_t key = ((uint64_t)cap << 32 | pid) + 1;
	size_t i;

	if (2 * (st->nprocs + 1) > st->pcap) {
		size_t ncap = st->pcap ? 2 * st->pcap : 1024;
		struct proc *v = calloc(ncap, sizeof(*v));

		if (!v)
			return NULL;
		for (size_t k = 0; k < st->pcap; k++) {
			if (!st->procs[k].key)
				continue;
			for (i = hash_u64(st->procs[k].key) & (ncap - 1); v[i].key; i = (i + 1) & (ncap - 1))
				;
			v[i] = st->procs[k];
		}
		free(st->procs);
		st->procs = v;
		st->pcap = ncap;
	}
	for (i = hash_u64(key) & (st->pcap - 1); st->procs[i].key; i = (i + 1) & (st->pcap - 1))
		if (st->procs[i].key == key)
			return &st->procs[i];
	memset(&st->procs[i], 0, sizeof(st->procs[i]));
	st->procs[i].key = key;
	st->procs[i].ppid = -1;
	st->nprocs++;
	return &st->procs[i];
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Adds n to key's count; -ENOSPC when the map holds limit keys and key is new. */
static int strmap_add(struct strmap *m, const char *key, uint64_t n, size_t limit)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		size_t ncap = m->cap ? 2 * m->cap : 256;
		struct scount *v = calloc(ncap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		for (size_t k = 0; k < m->cap; k++) {
			if (!m->v[k].key)
				continue;
			for (i = hash_str(m->v[k].key) & (ncap - 1); v[i].key; i = (i + 1) & (ncap - 1))
				;
			v[i] = m->v[k];
		}
		free(m->v);
		m->v = v;
		m->cap = ncap;
	}
	for (i = hash_str(key) & (m->cap - 1); m->v[i].key; i = (i + 1) & (m->cap - 1)) {
		if (!strcmp(m->v[i].key, key)) {
			m->v[i].n += n;
			return 0;
		}
	}
	if (m->n >= limit)
		return -ENOSPC;
	if (!(m->v[i].key = strdup(key)))
		return -ENOMEM;
	m->v[i].n = n;
	m->n++;
	return 0;
}

static void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
}

static int by_count_desc(const void *a, const void *b)
{
	const struct scount *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* The used entries, sorted by count (descending); *n gets their number. */
static struct scount *strmap_sorted(const struct strmap *m, size_t *n)
{
	struct scount *v = calloc(m->n + 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < m->cap; i++)
		if (m->v[i].key)
			v[(*n)++] = m->v[i];
	qsort(v, *n, sizeof(*v), by_count_desc);
	return v;
}

/* ---- latency histogram: exact below 128, then 64 steps per power of two ---- */

static size_t hist_idx(uint64_t v)
{
	int e;

	if (v < 128)
		return (size_t)v;
	e = 63 - __builtin_clzll(v);            /* 7 .. 63 */
	return 128 + (size_t)(e - 7) * 64 + (size_t)((v >> (e - 6)) - 64);
}

/* The largest value of bucket i. */
static uint64_t hist_hi(size_t i)
{
	size_t e, m;

	if (i < 128)
		return i;
	e = (i - 128) / 64 + 7;
	m = (i - 128) % 64 + 64;
	return (((uint64_t)m + 1) << (e - 6)) - 1;
}

static uint64_t hist_pct(const struct sst *s, double p)
{
	uint64_t want = (uint64_t)(p * (double)s->lat_n + 0.999999), seen = 0;

	if (!want)
		want = 1;
	for (size_t i = 0; i < HIST_N; i++) {
		seen += s->hist[i];
		if (seen >= want)
			return hist_hi(i) < s->lat_max ? hist_hi(i) : s->lat_max;
	}
	return s->lat_max;
}

/* ---- the pass ---- */

static size_t bucket_of(const struct rstats *st, uint64_t ts)
{
	unsigned __int128 span = (unsigned __int128)(st->t1 - st->t0) + 1;

	if (ts < st->t0)
		return 0;
	if (ts > st->t1)
		return RSTATS_BUCKETS - 1;
	return (size_t)((unsigned __int128)(ts - st->t0) * RSTATS_BUCKETS / span);
}

static struct sst *sst_of(struct rstats *st, const struct capview_stream *s)
{
	for (size_t i = 0; i < st->nss; i++)
		if (st->ss[i].s == s)
			return &st->ss[i];
	return NULL;
}

static uint64_t rng_next(struct rstats *st)
{
	st->rng ^= st->rng >> 12;
	st->rng ^= st->rng << 25;
	st->rng ^= st->rng >> 27;
	return st->rng * 2685821657736338717ull;
}

/* Copies src into dst[size], cut to fit: names are shown, not parsed. */
static void set_text(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b && b[1] ? b + 1 : path;
}

static void take(struct rstats *st, const struct export_rec *r)
{
	struct sst *ss = sst_of(st, r->s);
	const struct export_cols *c = &ss->c;
	const struct cap_rec *rec = r->rec;
	int64_t pid = -1, tid = -1, lat = -1, ret = 0;
	char comm[KEY_MAX], buf[4096];
	int failed = 0;
	struct proc *p = NULL;

	st->events++;
	if (!st->first || rec->ts_ns < st->first)
		st->first = rec->ts_ns;
	if (rec->ts_ns > st->last)
		st->last = rec->ts_ns;
	ss->events++;
	ss->rate[bucket_of(st, rec->ts_ns)]++;

	if (export__col_int(r->s, c->pid, rec, &pid) || pid < 0 || pid > UINT32_MAX)
		pid = -1;
	if (pid >= 0 && (export__col_int(r->s, c->tid, rec, &tid) || tid < 0 || tid > UINT32_MAX))
		tid = pid;
	export__col_text(r->s, c->comm, rec, comm, sizeof(comm));

	if (pid >= 0) {
		if (!(p = proc_get(st, r->cap, (uint32_t)pid))) {
			st->err = -ENOMEM;
			return;
		}
		p->events++;
		if (comm[0] && (tid == pid || !p->comm[0]))
			set_text(p->comm, sizeof(p->comm), comm);
	}
	if (comm[0] && strmap_add(&st->comms, comm, 1, SIZE_MAX))
		st->err = -ENOMEM;

	/* failures and latencies */
	if (!export__col_int(r->s, c->ret, rec, &ret) && ret < 0) {
		failed = 1;
		ss->failed++;
		if (!ss->errs && !(ss->errs = calloc(MAX_ERRNO + 1, sizeof(*ss->errs)))) {
			st->err = -ENOMEM;
			return;
		}
		ss->errs[ret >= -MAX_ERRNO ? -ret : 0]++;
	}
	if (!export__col_int(r->s, c->lat, rec, &lat) && lat >= 0) {
		if (!ss->hist && !(ss->hist = calloc(HIST_N, sizeof(*ss->hist)))) {
			st->err = -ENOMEM;
			return;
		}
		ss->hist[hist_idx((uint64_t)lat)]++;
		ss->lat_n++;
		if ((uint64_t)lat > ss->lat_max)
			ss->lat_max = (uint64_t)lat;
	} else {
		lat = -1;
	}

	/* the process tree */
	if (c->role == EXPORT_ROLE_EXEC && p) {
		int64_t ppid;

		export__col_text(r->s, c->filename, rec, buf, sizeof(buf));
		set_text(p->name, sizeof(p->name), buf[0] ? base_name(buf) : comm);
		if (!export__col_int(r->s, c->ppid, rec, &ppid))
			p->ppid = ppid;
		if (!p->tree)
			p->start = rec->ts_ns;
		p->tree = 1;
	} else if (c->role == EXPORT_ROLE_FORK && pid >= 0) {
		int64_t child;

		if (!export__col_int(r->s, c->child_pid, rec, &child) && child >= 0 &&
		    child <= UINT32_MAX) {
			struct proc *q = proc_get(st, r->cap, (uint32_t)child);
			if (!q) {
				st->err = -ENOMEM;
				return;
			}
			export__col_text(r->s, c->child_comm, rec, buf, sizeof(buf));
			if (!q->tree) {
				set_text(q->name, sizeof(q->name), buf);
				q->start = rec->ts_ns;
				q->ppid = pid;
			}
			q->tree = 1;
		}
	} else if (c->role == EXPORT_ROLE_EXIT && p && tid == pid) {
		int64_t code;

		p->end = rec->ts_ns;
		p->exit_code = export__col_int(r->s, c->exit_code, rec, &code) ? 0 : code;
	}

	/* stacks, folded as `bpfreplay flame` folds them */
	if (c->ustack >= 0 || c->kstack >= 0) {
		int rc = export__fold_stack(export__capture(st->x, r->cap), r->s, c, rec, &st->fold);

		if (rc == 1 && st->fold.buf) {
			rc = strmap_add(&st->stacks, st->fold.buf, 1, RSTATS_MAX_STACKS);
			if (rc == -ENOSPC)
				st->stacks_other++;
		}
		if (rc < 0 && rc != -ENOSPC)
			st->err = rc;
	}

	/* the timeline's sample (reservoir) */
	{
		size_t slot = st->nsample < RSTATS_SAMPLE ? st->nsample++
			      : (size_t)(rng_next(st) % st->events);
		if (slot < RSTATS_SAMPLE)
			st->sample[slot] = (struct samp){
				.ts = rec->ts_ns, .dur = lat > 0 ? (uint64_t)lat : 0,
				.pid = pid >= 0 ? (uint32_t)pid : 0, .tid = tid >= 0 ? (uint32_t)tid : 0,
				.stream = (uint32_t)(ss - st->ss), .failed = failed,
			};
	}
}

static int take_loss(void *ctx, const struct export_loss *l)
{
	struct rstats *st = ctx;
	struct sst *ss = sst_of(st, l->s);

	if (ss) {
		ss->lost += l->count;
		ss->loss[bucket_of(st, l->ts_ns)] += l->count;
	}
	return 0;
}

int rstats__collect(struct export *x, struct rstats **out)
{
	struct rstats *st = calloc(1, sizeof(*st));
	struct export_rec r;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	st->x = x;
	st->rng = 0x2545f4914f6cdd1dull;
	st->t0 = UINT64_MAX;
	for (size_t i = 0; i < export__ncaptures(x); i++)
		n += capview__nstreams(export__capture(x, i));
	st->ss = calloc(n + 1, sizeof(*st->ss));
	if (!st->ss) {
		free(st);
		return -ENOMEM;
	}
	for (size_t i = 0; i < export__ncaptures(x); i++) {
		struct capview *c = export__capture(x, i);
		uint64_t lo, hi, a, b;

		for (size_t k = 0; k < capview__nstreams(c); k++) {
			struct sst *ss = &st->ss[st->nss];
			ss->cap = i;
			ss->s = capview__stream(c, k);
			if (!slice__has_stream(export__slice(x, i), ss->s))
				continue;
			export__cols(ss->s, &ss->c);
			st->nss++;
		}
		/* the buckets span the slice within the capture's records */
		slice__bounds(export__slice(x, i), &lo, &hi);
		capview__span(c, &a, &b);
		a = a > lo ? a : lo;
		b = b < hi ? b : hi;
		if (a <= b) {
			st->t0 = a < st->t0 ? a : st->t0;
			st->t1 = b > st->t1 ? b : st->t1;
		}
	}
	if (st->t0 == UINT64_MAX)
		st->t0 = st->t1 = 0;

	rc = export__losses(x, take_loss, st);
	while (!rc && !st->err && (rc = export__next(x, &r)) == 1) {
		take(st, &r);
		rc = 0;
	}
	if (!rc)
		rc = st->err;
	if (rc) {
		rstats__free(st);
		return rc;
	}
	*out = st;
	return 0;
}

uint64_t rstats__events(const struct rstats *st) { return st->events; }

void rstats__free(struct rstats *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nss; i++) {
		free(st->ss[i].hist);
		free(st->ss[i].errs);
	}
	free(st->ss);
	free(st->procs);
	strmap_free(&st->comms);
	strmap_free(&st->stacks);
	strbuf__free(&st->fold);
	free(st);
}

/* ---- JSON ---- */

static void jstr(struct strbuf *b, const char *s)
{
	print__json_string(b, s ? s : "", s ? strlen(s) : 0);
}

static void jkey(struct strbuf *b, const char *k)
{
	jstr(b, k);
	LIT(b, ":");
}

static void jwall(struct strbuf *b, const struct capview_session *se, uint64_t ts)
{
	char tb[TIMEFMT_LEN + 1];

	jstr(b, timefmt__iso(timeclock__wall(&se->clock, ts), tb, sizeof(tb)));
}

static int bundle_row(void *ctx, size_t ncols, const struct pval *vals)
{
	struct strbuf *b = ctx;

	if (!vals || ncols != 2)
		return 0;
	if (b->len && b->buf[b->len - 1] != '[')
		LIT(b, ",");
	LIT(b, "[");
	print__json_value(b, &vals[0]);
	LIT(b, ",");
	print__json_value(b, &vals[1]);
	LIT(b, "]");
	return 0;
}

static void json_session(const struct rstats *st, struct strbuf *b)
{
	struct capview *c = export__capture(st->x, 0);
	const struct capview_session *se = capview__session(c);
	char err[256];

	LIT(b, "\"session\":{");
	jkey(b, "host"); jstr(b, se->host);
	LIT(b, ","); jkey(b, "kernel"); jstr(b, se->kernel_release);
	LIT(b, ","); jkey(b, "boot_id"); jstr(b, se->boot_id);
	LIT(b, ","); jkey(b, "command"); jstr(b, se->cmdline);
	LIT(b, ","); jkey(b, "tool"); jstr(b, se->tool_version);
	LIT(b, ","); jkey(b, "start"); jwall(b, se, se->start_ns);
	if (se->has_end) {
		LIT(b, ","); jkey(b, "end"); jwall(b, se, se->end_ns);
		strbuf__addf(b, ",\"duration_ns\":%" PRIu64, se->end_ns - se->start_ns);
	}
	LIT(b, ",\"bundle\":[");
	if (capr__is_bundle(capview__capr(c)))
		capview__query(c, "SELECT key, value FROM bundle ORDER BY key", bundle_row, b, err,
			    sizeof(err));
	LIT(b, "]}");
}

static void json_streams(const struct rstats *st, struct strbuf *b)
{
	const struct capview_session *se = capview__session(export__capture(st->x, 0));
	uint64_t span = st->t1 - st->t0 + 1;

	LIT(b, ",\"span\":{");
	strbuf__addf(b, "\"t0_ns\":%" PRIu64 ",\"t1_ns\":%" PRIu64 ",\"len_ns\":%" PRIu64
		     ",\"bucket_ns\":%.3f,\"buckets\":%d,\"events\":%" PRIu64 ",", st->t0, st->t1,
		     span, (double)span / RSTATS_BUCKETS, RSTATS_BUCKETS, st->events);
	jkey(b, "t0_wall"); jwall(b, se, st->t0);
	LIT(b, "},\"streams\":[");
	for (size_t i = 0; i < st->nss; i++) {
		const struct sst *s = &st->ss[i];

		strbuf__addf(b, "%s{", i ? "," : "");
		jkey(b, "name"); jstr(b, s->s->name);
		LIT(b, ","); jkey(b, "type"); jstr(b, s->s->type_name ? s->s->type_name : "bytes");
		strbuf__addf(b, ",\"events\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"failed\":%" PRIu64
			     ",\"rate\":[", s->events, s->lost, s->failed);
		for (size_t k = 0; k < RSTATS_BUCKETS; k++)
			strbuf__addf(b, k ? ",%" PRIu64 : "%" PRIu64, s->rate[k]);
		LIT(b, "],\"loss\":[");
		for (size_t k = 0; k < RSTATS_BUCKETS; k++)
			strbuf__addf(b, k ? ",%" PRIu64 : "%" PRIu64, s->loss[k]);
		LIT(b, "]}");
	}
	LIT(b, "]");
}

static int by_events_desc(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	if (x->events != y->events)
		return x->events < y->events ? 1 : -1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static int by_start(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* Sorts v and moves the tree's processes to its front, by start; returns
 * their number. */
static size_t json_procs(const struct rstats *st, struct strbuf *b, struct proc *v, size_t n)
{
	size_t ntree = 0;

	qsort(v, n, sizeof(*v), by_events_desc);
	LIT(b, ",\"top_processes\":[");
	for (size_t i = 0; i < n && i < RSTATS_TOP; i++) {
		strbuf__addf(b, "%s{\"pid\":%" PRIu64 ",\"events\":%" PRIu64 ",\"comm\":", i ? "," : "",
			     (v[i].key - 1) & 0xffffffffu, v[i].events);
		jstr(b, v[i].comm);
		LIT(b, ",\"name\":");
		jstr(b, v[i].name);
		LIT(b, "}");
	}
	LIT(b, "]");

	/* the tree: processes seen starting (exec or fork), by start time */
	for (size_t i = 0; i < n; i++)
		if (v[i].tree)
			v[ntree++] = v[i];
	qsort(v, ntree, sizeof(*v), by_start);
	LIT(b, ",\"proctree\":{\"nodes\":[");
	for (size_t i = 0; i < ntree && i < RSTATS_MAX_TREE; i++) {
		strbuf__addf(b, "%s{\"pid\":%" PRIu64 ",\"ppid\":%" PRId64 ",\"start\":%" PRIu64,
			     i ? "," : "", (v[i].key - 1) & 0xffffffffu, v[i].ppid,
			     v[i].start - st->t0);
		if (v[i].end >= v[i].start && v[i].end)
			strbuf__addf(b, ",\"end\":%" PRIu64 ",\"exit\":%" PRId64, v[i].end - st->t0,
				     v[i].exit_code);
		LIT(b, ",\"name\":");
		jstr(b, v[i].name);
		LIT(b, ",\"comm\":");
		jstr(b, v[i].comm);
		LIT(b, "}");
	}
	strbuf__addf(b, "],\"more\":%zu}", ntree > RSTATS_MAX_TREE ? ntree - RSTATS_MAX_TREE : 0);
	return ntree;
}

static void json_tables(const struct rstats *st, struct strbuf *b)
{
	struct scount *v;
	size_t n;
	int first = 1;

	v = strmap_sorted(&st->comms, &n);
	LIT(b, ",\"top_commands\":[");
	for (size_t i = 0; v && i < n && i < RSTATS_TOP; i++) {
		strbuf__addf(b, "%s[", i ? "," : "");
		jstr(b, v[i].key);
		strbuf__addf(b, ",%" PRIu64 "]", v[i].n);
	}
	LIT(b, "]");
	free(v);

	LIT(b, ",\"errors\":[");
	for (size_t i = 0; i < st->nss; i++) {
		const struct sst *s = &st->ss[i];

		for (size_t e = 0; s->errs && e <= MAX_ERRNO; e++) {
			const char *name = e ? strerrorname_np((int)e) : NULL;

			if (!s->errs[e])
				continue;
			strbuf__addf(b, "%s{", first ? "" : ",");
			first = 0;
			jkey(b, "stream"); jstr(b, s->s->name);
			strbuf__addf(b, ",\"errno\":%zu,\"count\":%" PRIu64 ",", e, s->errs[e]);
			jkey(b, "name"); jstr(b, name ? name : e ? "?" : "below -4095");
			LIT(b, ","); jkey(b, "desc"); jstr(b, e ? strerror((int)e) : "");
			LIT(b, "}");
		}
	}
	LIT(b, "],\"latency\":[");
	first = 1;
	for (size_t i = 0; i < st->nss; i++) {
		const struct sst *s = &st->ss[i];
		uint64_t bin[65] = { 0 };

		if (!s->lat_n)
			continue;
		strbuf__addf(b, "%s{", first ? "" : ",");
		first = 0;
		jkey(b, "stream"); jstr(b, s->s->name);
		LIT(b, ","); jkey(b, "column"); jstr(b, s->s->cols[s->c.lat]);
		strbuf__addf(b, ",\"count\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p90\":%" PRIu64
			     ",\"p99\":%" PRIu64 ",\"max\":%" PRIu64 ",\"hist\":[", s->lat_n,
			     hist_pct(s, 0.50), hist_pct(s, 0.90), hist_pct(s, 0.99), s->lat_max);
		/* for the chart: powers of two, [lo, hi] ns and the count */
		for (size_t k = 0; k < HIST_N; k++) {
			uint64_t hi = hist_hi(k);
			bin[hi ? 64 - __builtin_clzll(hi) : 0] += s->hist[k];
		}
		for (size_t k = 0, n1 = 0; k < 65; k++) {
			if (!bin[k])
				continue;
			strbuf__addf(b, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", n1++ ? "," : "",
				     (uint64_t)(k ? 1ull << (k - 1) : 0),
				     (uint64_t)(k ? (k == 64 ? UINT64_MAX : (1ull << k) - 1) : 0),
				     bin[k]);
		}
		LIT(b, "]}");
	}
	LIT(b, "]");

	v = strmap_sorted(&st->stacks, &n);
	strbuf__addf(b, ",\"stacks\":{\"distinct\":%zu,\"other\":%" PRIu64 ",\"folded\":[", n,
		     st->stacks_other);
	for (size_t i = 0; v && i < n && i < 5000; i++) {
		strbuf__addf(b, "%s[", i ? "," : "");
		jstr(b, v[i].key);
		strbuf__addf(b, ",%" PRIu64 "]", v[i].n);
	}
	LIT(b, "]}");
	free(v);
}

static int samp_by_ts(const void *a, const void *b)
{
	const struct samp *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* v: the tree's processes, by start (json_procs). */
static void json_timeline(const struct rstats *st, struct strbuf *b, const struct proc *v,
			  size_t n)
{
	struct samp *sm = malloc(sizeof(st->sample));
	size_t nl = 0;

	LIT(b, ",\"timeline\":{\"lanes\":[");
	for (size_t i = 0; i < n && nl < RSTATS_MAX_LANES; i++) {
		uint64_t end = v[i].end >= v[i].start && v[i].end ? v[i].end : st->last;

		strbuf__addf(b, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", nl++ ? "," : "",
			     (v[i].key - 1) & 0xffffffffu, v[i].start - st->t0,
			     (end > v[i].start ? end : v[i].start) - st->t0);
		jstr(b, v[i].name[0] ? v[i].name : v[i].comm);
		LIT(b, "]");
	}
	LIT(b, "],\"events\":[");
	if (sm) {
		memcpy(sm, st->sample, st->nsample * sizeof(*sm));
		qsort(sm, st->nsample, sizeof(*sm), samp_by_ts);
		for (size_t i = 0; i < st->nsample; i++)
			strbuf__addf(b, "%s[%" PRIu64 ",%u,%u,%u,%" PRIu64 ",%d]", i ? "," : "",
				     sm[i].ts - st->t0, sm[i].stream, sm[i].pid, sm[i].tid, sm[i].dur,
				     sm[i].failed);
	}
	strbuf__addf(b, "],\"sampled_from\":%" PRIu64 "}", st->events);
	free(sm);
}

int rstats__json(const struct rstats *st, struct strbuf *b)
{
	struct proc *v = calloc(st->nprocs + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < st->pcap; i++)
		if (st->procs[i].key)
			v[n++] = st->procs[i];
	LIT(b, "{");
	json_session(st, b);
	json_streams(st, b);
	json_tables(st, b);
	n = json_procs(st, b, v, n);
	json_timeline(st, b, v, n);
	LIT(b, "}");
	free(v);
	return b->buf ? 0 : -ENOMEM;
}
