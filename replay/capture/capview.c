/* capview.c - see capview.h.  Everything here reads the index once at open; the
 * blocks are read later, by the callers, through capr. */
#include "capview.h"
#include "symb.h"
#include "idnames.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "btfv.h"
#include "capname.h"

const char *const capview_common_cols[CAPVIEW_NCOMMON] = { "ts", "time", "cpu", "stream" };

struct capview {
	struct capr *r;
	char *path;
	struct capview_session sess;
	struct capview_stream *streams;
	size_t nstreams;
	uint32_t *by_name;                   /* stream indexes by name, then index */
	const struct cap_block_info *blocks; /* owned by r */
	size_t nblocks;
	struct btfv **btfs;                  /* per object, parallel to obj_ids */
	int64_t *obj_ids;
	char **obj_errs;                     /* why an object's BTF is unusable */
	size_t nobjs;
	uint64_t min_ts, max_ts;
	struct symb *symb;                   /* stacks and symbols, loaded on first use */
	struct idnames *idnames;             /* user and group names, loaded on first use */
	struct evtype_budget types_left;     /* what the streams' types may still cost */
	/* while the streams load: the index + 1 of the first stream of each
	 * (object, BTF type), open addressing, at most half full */
	size_t *type_memo;
	size_t memo_cap, memo_n;
};

static char *dupcol(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return strdup(t ? (const char *)t : "");
}

static int load_session(struct capview *c, char *err, size_t errlen)
{
	sqlite3 *db = capr__db(c->r);
	sqlite3_stmt *st = NULL;
	int rc = -EBADMSG;

	if (sqlite3_prepare_v2(db,
			       "SELECT id, host, kernel_release, boot_id, cmdline, tool_version,"
			       " clock_boot_ns, clock_real_ns, start_ns, end_ns"
			       " FROM sessions ORDER BY id LIMIT 1", -1, &st, NULL)) {
		snprintf(err, errlen, "%s: index: %s", c->path, sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: index: no session recorded (a recording in its first "
			 "milliseconds, or one stopped before its first commit)", c->path);
		goto out;
	}
	c->sess.id = sqlite3_column_int64(st, 0);
	c->sess.host = dupcol(st, 1);
	c->sess.kernel_release = dupcol(st, 2);
	c->sess.boot_id = dupcol(st, 3);
	c->sess.cmdline = dupcol(st, 4);
	c->sess.tool_version = dupcol(st, 5);
	c->sess.clock.boot_ns = sqlite3_column_int64(st, 6);
	c->sess.clock.real_ns = sqlite3_column_int64(st, 7);
	c->sess.start_ns = (uint64_t)sqlite3_column_int64(st, 8);
	c->sess.has_end = sqlite3_column_type(st, 9) != SQLITE_NULL;
	c->sess.end_ns = (uint64_t)sqlite3_column_int64(st, 9);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static int load_objects(struct capview *c, char *err, size_t errlen)
{
	sqlite3 *db = capr__db(c->r);
	sqlite3_stmt *st = NULL;
	int rc = -EBADMSG;

	if (sqlite3_prepare_v2(db, "SELECT id, btf FROM objects ORDER BY id", -1, &st, NULL)) {
		snprintf(err, errlen, "%s: index: %s", c->path, sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t n = c->nobjs;
		char berr[256] = "";
		const void *blob = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);

		void *a = realloc(c->btfs, (n + 1) * sizeof(*c->btfs));
		if (a)
			c->btfs = a;
		a = a ? realloc(c->obj_ids, (n + 1) * sizeof(*c->obj_ids)) : NULL;
		if (a)
			c->obj_ids = a;
		a = a ? realloc(c->obj_errs, (n + 1) * sizeof(*c->obj_errs)) : NULL;
		if (!a) {
			rc = -ENOMEM;
			snprintf(err, errlen, "%s: out of memory", c->path);
			goto out;
		}
		c->obj_errs = a;
		c->obj_ids[n] = sqlite3_column_int64(st, 0);
		c->btfs[n] = NULL;
		c->obj_errs[n] = NULL;
		if (blob && len > 0) {
			c->btfs[n] = btfv__parse(blob, (size_t)len, berr, sizeof(berr));
			if (!c->btfs[n])
				c->obj_errs[n] = strdup(berr);
		} else {
			c->obj_errs[n] = strdup("the object has no BTF");
		}
		c->nobjs++;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: index: %s", c->path, sqlite3_errmsg(db));
		rc = -EBADMSG;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* (objects are loaded in id order, ids unique: a binary search, since a
 * capture may hold many objects and many streams that name them) */
static const struct btfv *object_btf(struct capview *c, int64_t id, const char **why)
{
	size_t lo = 0, hi = c->nobjs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->obj_ids[mid] == id) {
			*why = c->obj_errs[mid];
			return c->btfs[mid];
		}
		if (c->obj_ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*why = "no such object in the index";
	return NULL;
}

const struct btfv *capview__object_btf(struct capview *c, int64_t object_id)
{
	const char *why;

	return object_btf(c, object_id, &why);
}

/* Builds s->et from the stream's BTF type; falls back to raw bytes with the
 * reason in s->type_err. */
static size_t memo_hash(int64_t object_id, uint32_t type_id, size_t cap)
{
	uint64_t h = ((uint64_t)object_id * 0x9e3779b97f4a7c15ull) ^ type_id;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

/* The slot of (object_id, type_id) in the memo: its stream's, or the empty
 * one where it goes.  The memo is at most half full: there is one. */
static size_t *memo_slot(const struct capview *c, int64_t object_id, uint32_t type_id)
{
	for (size_t i = memo_hash(object_id, type_id, c->memo_cap);; i = (i + 1) & (c->memo_cap - 1)) {
		size_t *e = &c->type_memo[i];
		const struct capview_stream *o = *e ? &c->streams[*e - 1] : NULL;

		if (!o || (o->object_id == object_id && o->btf_type_id == type_id))
			return e;
	}
}

/* The event type made for (object_id, type_id) by an earlier stream, or
 * NULL. */
static struct evtype *memo_type(const struct capview *c, int64_t object_id, uint32_t type_id)
{
	size_t first = c->memo_cap ? *memo_slot(c, object_id, type_id) : 0;

	return first ? c->streams[first - 1].et : NULL;
}

/* Remembers stream index i (its et made of its object's btf_type_id).
 * 0 or -ENOMEM. */
static int memo_add(struct capview *c, size_t i)
{
	const struct capview_stream *s = &c->streams[i];

	if (2 * (c->memo_n + 1) > c->memo_cap) {
		size_t *old = c->type_memo, ocap = c->memo_cap;

		c->memo_cap = ocap ? 2 * ocap : 64;
		c->type_memo = calloc(c->memo_cap, sizeof(*c->type_memo));
		if (!c->type_memo) {
			c->type_memo = old;
			c->memo_cap = ocap;
			return -ENOMEM;
		}
		for (size_t k = 0; k < ocap; k++)
			if (old[k]) {
				const struct capview_stream *o = &c->streams[old[k] - 1];
				*memo_slot(c, o->object_id, o->btf_type_id) = old[k];
			}
		free(old);
	}
	*memo_slot(c, s->object_id, s->btf_type_id) = i + 1;
	c->memo_n++;
	return 0;
}

/* s (the last of c's streams) gets its event type: an earlier stream's of
 * the same object and BTF type (2,000 streams of one type are one evtype,
 * made once), else one made from the BTF, within the capture's budget;
 * else bytes.  0 or -ENOMEM. */
static int stream_type(struct capview *c, struct capview_stream *s)
{
	char terr[256] = "";
	const char *why = NULL;

	if (s->type_name || s->type_id) {
		const struct btfv *btf = object_btf(c, s->object_id, &why);
		struct evtype *et;
		uint32_t id = 0;

		if (btf) {
			const struct btf_type *t = NULL;
			bool by_name = false;
			if (s->type_id > 0 && s->type_id < btfv__type_count(btf))
				t = btfv__type(btf, (uint32_t)s->type_id);
			if (t && (!s->type_name || !strcmp(btfv__name(btf, t->name_off), s->type_name))) {
				id = (uint32_t)s->type_id;
			} else if (s->type_name) {
				/* a search of every type: paid from the budget too */
				by_name = true;
				if (c->types_left.visits >= btfv__type_count(btf)) {
					c->types_left.visits -= btfv__type_count(btf);
					id = btfv__find_struct(btf, s->type_name);
				}
			}
			if (!id && by_name && !c->types_left.visits) {
				snprintf(terr, sizeof(terr), "type %s: its search would pass what the "
					 "event types of this capture may visit together",
					 s->type_name);
			} else if (!id) {
				snprintf(terr, sizeof(terr), "type %s (id %lld) not in the object's BTF",
					 s->type_name ? s->type_name : "?", (long long)s->type_id);
			} else if ((et = memo_type(c, s->object_id, id))) {
				/* the type's columns still count against the budget:
				 * each stream makes their SQL names (stream_cols) */
				if (evtype__ncols(et) > c->types_left.cols) {
					snprintf(terr, sizeof(terr), "its columns would pass what the "
						 "event types of this capture may have together (%llu "
						 "left)", (unsigned long long)c->types_left.cols);
					c->types_left.cols = 0;
				} else {
					c->types_left.cols -= evtype__ncols(et);
					s->et = et;
					s->et_borrowed = 1;
					s->btf_type_id = id;
				}
			} else {
				s->et = evtype__new_in(btf, id, &c->types_left, terr, sizeof(terr));
				if (s->et) {
					s->btf_type_id = id;
					if (memo_add(c, (size_t)(s - c->streams)))
						return -ENOMEM;   /* s->et freed with s */
				}
			}
		} else {
			snprintf(terr, sizeof(terr), "object %lld: %s", (long long)s->object_id,
				 why ? why : "no BTF");
		}
		if (!s->et)
			s->type_err = strdup(terr);
	}
	if (!s->et)
		s->et = evtype__new_bytes();
	return s->et ? 0 : -ENOMEM;
}

/* The SQL names of a stream's columns so far, case-insensitively (as
 * SQLite compares column names), by hash: a type has up to 2000 columns,
 * and a capture as many types as the budget lets it (capview.h). */
struct nameset {
	char **names;           /* [n] */
	uint32_t *slots;        /* name index + 1, 0: free; a power of 2 */
	uint32_t mask;
};

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)tolower((unsigned char)*s)) * 16777619u;
	return h;
}

static int name_taken(const struct nameset *ns, const char *name)
{
	for (size_t i = 0; i < CAPVIEW_NCOMMON; i++)
		if (!strcasecmp(capview_common_cols[i], name))
			return 1;
	for (uint32_t h = name_hash(name) & ns->mask; ns->slots[h]; h = (h + 1) & ns->mask)
		if (!strcasecmp(ns->names[ns->slots[h] - 1], name))
			return 1;
	return 0;
}

static void name_add(struct nameset *ns, uint32_t i)
{
	uint32_t h = name_hash(ns->names[i]) & ns->mask;

	while (ns->slots[h])
		h = (h + 1) & ns->mask;
	ns->slots[h] = i + 1;
}

static int stream_cols(struct capview_stream *s)
{
	struct nameset ns = { 0 };
	uint32_t nslots = 16;

	s->ncols = evtype__ncols(s->et);
	s->cols = calloc(s->ncols ? s->ncols : 1, sizeof(*s->cols));
	if (!s->cols)
		return -ENOMEM;
	while (nslots < 2 * s->ncols)
		nslots *= 2;
	ns.names = s->cols;
	ns.mask = nslots - 1;
	if (!(ns.slots = calloc(nslots, sizeof(*ns.slots))))
		return -ENOMEM;
	s->pid_col = -1;
	for (size_t i = 0; i < s->ncols; i++) {
		const struct evcol *col = evtype__col(s->et, i);
		size_t len = strlen(col->name);
		char *n = malloc(len + 16);

		if (!n) {
			free(ns.slots);
			return -ENOMEM;
		}
		memcpy(n, col->name, len + 1);
		while (name_taken(&ns, n) && len < strlen(col->name) + 14)
			n[len++] = '_', n[len] = 0;
		s->cols[i] = n;
		name_add(&ns, (uint32_t)i);
	}
	free(ns.slots);
	for (int pass = 0; pass < 2 && s->pid_col < 0; pass++) {
		for (size_t i = 0; i < s->ncols; i++) {
			const struct evcol *col = evtype__col(s->et, i);
			if ((col->kind == EVCOL_INT || col->kind == EVCOL_UINT) &&
			    !strcmp(col->name, pass ? "pid" : "tgid")) {
				s->pid_col = (int)i;
				break;
			}
		}
	}
	return 0;
}

/* The stream's SQL table name: its name when that follows the stream-name
 * grammar (capname.h), else "stream_ID": a name from a capture is data,
 * shown escaped, and becomes an identifier only once checked.  A metadata
 * table's name gets "_events". */
static char *table_name(const struct capview_stream *s, int name_bytes)
{
	static const char *const meta[] = {
		"sessions", "streams", "losses", "blocks", "block_streams", "objects", "stacks",
		"frames", "programs", "stream_loss", "loss_windows", "users", "groups", NULL,
	};
	char *t;

	if (!s->name || cap_name__check(s->name, name_bytes < 0 ? 0 : (size_t)name_bytes))
		return asprintf(&t, "stream_%lld", (long long)s->id) < 0 ? NULL : t;
	for (size_t i = 0; meta[i]; i++) {
		if (!strcasecmp(s->name, meta[i]) && (t = malloc(strlen(s->name) + 8))) {
			sprintf(t, "%s_events", s->name);
			return t;
		}
	}
	return strdup(s->name);
}

static int load_streams(struct capview *c, char *err, size_t errlen)
{
	sqlite3 *db = capr__db(c->r);
	sqlite3_stmt *st = NULL;
	int rc = -EBADMSG;

	if (sqlite3_prepare_v2(db,
			       "SELECT id, name, kind, object_id, map_name, type_name, type_id, ts_offset"
			       " FROM streams ORDER BY id", -1, &st, NULL)) {
		snprintf(err, errlen, "%s: index: %s", c->path, sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct capview_stream *s, *a = realloc(c->streams, (c->nstreams + 1) * sizeof(*a));

		if (!a) {
			rc = -ENOMEM;
			goto oom;
		}
		c->streams = a;
		s = &a[c->nstreams++];
		memset(s, 0, sizeof(*s));
		s->id = sqlite3_column_int64(st, 0);
		s->name = dupcol(st, 1);
		s->table = table_name(s, sqlite3_column_bytes(st, 1));
		s->kind = dupcol(st, 2);
		s->object_id = sqlite3_column_int64(st, 3);
		s->map_name = dupcol(st, 4);
		s->type_name = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL : dupcol(st, 5);
		s->type_id = sqlite3_column_int64(st, 6);
		s->ts_offset = sqlite3_column_int(st, 7);
		if (!s->name || !s->table || stream_type(c, s) || stream_cols(s)) {
			rc = -ENOMEM;
			goto oom;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: index: %s", c->path, sqlite3_errmsg(db));
		rc = -EBADMSG;
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "%s: out of memory", c->path);
out:
	sqlite3_finalize(st);
	free(c->type_memo);   /* the streams' types are made */
	c->type_memo = NULL;
	c->memo_cap = c->memo_n = 0;
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = ((const int64_t *)a)[0], y = ((const int64_t *)b)[0];
	return x < y ? -1 : x > y;
}

static int cmp_sblock(const void *a, const void *b)
{
	size_t x = ((const struct capview_sblock *)a)->idx, y = ((const struct capview_sblock *)b)->idx;
	return x < y ? -1 : x > y;
}

/* Per stream: the blocks that hold its records, from block_streams. */
static int load_stream_blocks(struct capview *c, char *err, size_t errlen)
{
	sqlite3 *db = capr__db(c->r);
	sqlite3_stmt *st = NULL;
	int64_t (*map)[2] = NULL;   /* (block id, index) sorted by id */
	int rc = -ENOMEM;

	map = malloc((c->nblocks ? c->nblocks : 1) * sizeof(*map));
	if (!map)
		goto oom;
	for (size_t i = 0; i < c->nblocks; i++) {
		map[i][0] = c->blocks[i].id;
		map[i][1] = (int64_t)i;
		if (!i || c->blocks[i].meta.min_ts_ns < c->min_ts)
			c->min_ts = c->blocks[i].meta.min_ts_ns;
		if (!i || c->blocks[i].meta.max_ts_ns > c->max_ts)
			c->max_ts = c->blocks[i].meta.max_ts_ns;
	}
	qsort(map, c->nblocks, sizeof(*map), cmp_id);
	if (sqlite3_prepare_v2(db,
			       "SELECT stream_id, block_id, nrecords, min_ts, max_ts FROM block_streams",
			       -1, &st, NULL)) {
		snprintf(err, errlen, "%s: index: %s", c->path, sqlite3_errmsg(db));
		rc = -EBADMSG;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct capview_stream *s = capview__stream_by_id(c, sqlite3_column_int64(st, 0));
		int64_t key[2] = { sqlite3_column_int64(st, 1), 0 };
		int64_t (*hit)[2] = bsearch(key, map, c->nblocks, sizeof(*map), cmp_id);
		struct capview_sblock *b;

		if (!s || !hit)
			continue;   /* the index is inconsistent: such records show as unknown */
		b = realloc(s->blocks, (s->nblocks + 1) * sizeof(*b));
		if (!b)
			goto oom;
		s->blocks = b;
		b = &b[s->nblocks++];
		b->idx = (size_t)(*hit)[1];
		b->nrecords = (uint32_t)sqlite3_column_int64(st, 2);
		b->min_ts = (uint64_t)sqlite3_column_int64(st, 3);
		b->max_ts = (uint64_t)sqlite3_column_int64(st, 4);
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: index: %s", c->path, sqlite3_errmsg(db));
		rc = -EBADMSG;
		goto out;
	}
	for (size_t i = 0; i < c->nstreams; i++) {
		struct capview_stream *s = &c->streams[i];
		if (s->nblocks)   /* blocks is NULL for a stream without records */
			qsort(s->blocks, s->nblocks, sizeof(*s->blocks), cmp_sblock);
		for (size_t k = 0; k < s->nblocks; k++) {
			s->nrecords += s->blocks[k].nrecords;
			if (!k || s->blocks[k].min_ts < s->min_ts)
				s->min_ts = s->blocks[k].min_ts;
			if (!k || s->blocks[k].max_ts > s->max_ts)
				s->max_ts = s->blocks[k].max_ts;
		}
	}
	rc = 0;
	goto out;
oom:
	rc = -ENOMEM;
	snprintf(err, errlen, "%s: out of memory", c->path);
out:
	sqlite3_finalize(st);
	free(map);
	return rc;
}

static int cmp_name(const void *a, const void *b, void *ctx)
{
	const struct capview_stream *st = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int d = strcmp(st[x].name, st[y].name);

	return d ? d : (x > y) - (x < y);
}

/* c->by_name: an attach looks up each table's stream by name, in every
 * capture it joins (2048 tables x thousands of streams, linearly). */
static int index_names(struct capview *c, char *err, size_t errlen)
{
	if (c->nstreams > UINT32_MAX || !(c->by_name = malloc((c->nstreams + 1) * 4))) {
		snprintf(err, errlen, "%s: out of memory", c->path);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->nstreams; i++)
		c->by_name[i] = (uint32_t)i;
	qsort_r(c->by_name, c->nstreams, 4, cmp_name, c->streams);
	return 0;
}

struct capview *capview__open(const char *path, char *err, size_t errlen)
{
	struct capview *c = calloc(1, sizeof(*c));
	int rc;

	if (!c || !(c->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	c->types_left = (struct evtype_budget){ CAPVIEW_MAX_TYPE_VISITS, CAPVIEW_MAX_TYPE_COLS };
	c->r = capr__open(path, err, errlen);
	if (!c->r)
		goto fail;
	rc = capr__blocks(c->r, &c->blocks, &c->nblocks);
	if (rc) {
		snprintf(err, errlen, "%s: index: cannot list blocks: %s", path, strerror(-rc));
		goto fail;
	}
	if (load_session(c, err, errlen) || load_objects(c, err, errlen) ||
	    load_streams(c, err, errlen) || load_stream_blocks(c, err, errlen) ||
	    index_names(c, err, errlen))
		goto fail;
	return c;
fail:
	capview__close(c);
	return NULL;
}

int capview__symb(struct capview *c, struct symb **out, char *err, size_t errlen)
{
	int rc = 0;

	if (!c->symb)
		rc = symb__open(c, &c->symb, err, errlen);
	*out = c->symb;
	return rc;
}

int capview__idnames(struct capview *c, struct idnames **out, char *err, size_t errlen)
{
	int rc = 0;

	if (!c->idnames)
		rc = idnames__load(capr__db(c->r), &c->idnames, err, errlen);
	*out = c->idnames;
	return rc;
}

void capview__close(struct capview *c)
{
	if (!c)
		return;
	symb__free(c->symb);
	idnames__free(c->idnames);
	for (size_t i = 0; i < c->nstreams; i++) {
		struct capview_stream *s = &c->streams[i];
		free(s->name);
		free(s->table);
		free(s->kind);
		free(s->map_name);
		free(s->type_name);
		free(s->type_err);
		for (size_t k = 0; s->cols && k < s->ncols; k++)
			free(s->cols[k]);
		free(s->cols);
		free(s->blocks);
		if (!s->et_borrowed)
			evtype__free(s->et);
	}
	free(c->type_memo);
	free(c->streams);
	free(c->by_name);
	for (size_t i = 0; i < c->nobjs; i++) {
		btfv__free(c->btfs[i]);
		free(c->obj_errs[i]);
	}
	free(c->btfs);
	free(c->obj_ids);
	free(c->obj_errs);
	free(c->sess.host);
	free(c->sess.kernel_release);
	free(c->sess.boot_id);
	free(c->sess.cmdline);
	free(c->sess.tool_version);
	capr__close(c->r);
	free(c->path);
	free(c);
}

struct capr *capview__capr(struct capview *c) { return c->r; }
const char *capview__path(const struct capview *c) { return c->path; }
const struct capview_session *capview__session(const struct capview *c) { return &c->sess; }
size_t capview__nstreams(const struct capview *c) { return c->nstreams; }
struct capview_stream *capview__stream(struct capview *c, size_t i) { return &c->streams[i]; }

struct capview_stream *capview__stream_by_id(struct capview *c, int64_t id)
{
	size_t lo = 0, hi = c->nstreams;

	if (id >= 1 && (uint64_t)id <= c->nstreams && c->streams[id - 1].id == id)
		return &c->streams[id - 1];   /* the usual case: ids 1..n */
	/* streams are loaded in id order, ids unique: a capture whose ids
	 * are not 1..n (a hostile one) costs a search per record, not a scan */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->streams[mid].id == id)
			return &c->streams[mid];
		if (c->streams[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct capview_stream *capview__stream_by_name(struct capview *c, const char *name)
{
	size_t lo = 0, hi = c->nstreams;

	/* the first of the names >= name: of equal names (a hostile capture),
	 * the first stream, as a scan in order finds it */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(c->streams[c->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nstreams && !strcmp(c->streams[c->by_name[lo]].name, name))
		return &c->streams[c->by_name[lo]];
	return NULL;
}

const struct cap_block_info *capview__blocks(struct capview *c, size_t *n)
{
	*n = c->nblocks;
	return c->blocks;
}

void capview__span(const struct capview *c, uint64_t *min_ts, uint64_t *max_ts)
{
	*min_ts = c->min_ts;
	*max_ts = c->max_ts;
}

void capview__pval(const struct evval *v, struct pval *out)
{
	memset(out, 0, sizeof(*out));
	if (v->is_null) {
		out->kind = PV_NULL;
		return;
	}
	switch (v->kind) {
	case EVCOL_INT:
	case EVCOL_BOOL:
		out->kind = PV_INT;
		out->i = v->i;
		break;
	case EVCOL_UINT:
		out->kind = PV_UINT;
		out->u = v->u;
		out->i = v->i;
		break;
	case EVCOL_FLOAT:
		out->kind = PV_REAL;
		out->f = v->f;
		break;
	case EVCOL_JSON:
		out->kind = PV_JSON;
		out->s = v->text;
		out->len = v->text_len;
		break;
	case EVCOL_ENUM:
	case EVCOL_TEXT:
	case EVCOL_IPADDR:
	case EVCOL_HEX:
		out->kind = PV_TEXT;
		out->s = v->text;
		out->len = v->text_len;
		break;
	case EVCOL_BYTES:
		out->kind = PV_BLOB;
		out->s = (const char *)v->blob;
		out->len = v->blob_len;
		break;
	}
}

int capview__value(const struct capview *c, struct capview_stream *s, const struct cap_rec *rec,
		size_t i, struct pval *out, char timebuf[TIMEFMT_LEN + 1])
{
	struct evval ev;
	int rc;

	memset(out, 0, sizeof(*out));
	switch (i) {
	case 0:
		/* CLOCK_BOOTTIME ns fit in 63 bits for 292 years of uptime */
		out->kind = PV_INT;
		out->i = (int64_t)rec->ts_ns;
		return 0;
	case 1:
		out->kind = PV_TEXT;
		out->s = timefmt__iso(timeclock__wall(&c->sess.clock, rec->ts_ns), timebuf,
				      TIMEFMT_LEN + 1);
		out->len = strlen(out->s);
		return 0;
	case 2:
		out->kind = rec->cpu == CAP_CPU_UNKNOWN ? PV_NULL : PV_INT;
		out->i = rec->cpu;
		return 0;
	case 3:
		out->kind = PV_TEXT;
		out->s = s->name;
		out->len = strlen(s->name);
		return 0;
	}
	rc = evtype__decode(s->et, i - CAPVIEW_NCOMMON, rec->data, rec->len, &ev);
	if (rc)
		return rc;
	capview__pval(&ev, out);
	return 0;
}

int capview__query(struct capview *c, const char *sql,
		int (*row)(void *ctx, size_t ncols, const struct pval *vals),
		void *ctx, char *err, size_t errlen)
{
	sqlite3 *db = capr__db(c->r);
	sqlite3_stmt *st = NULL;
	struct pval *vals = NULL;
	const char *tail = NULL;
	size_t n;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) || !st || (tail && *tail)) {
		snprintf(err, errlen, "%s: index: %s", c->path,
			 st ? "not one statement" : sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -EBADMSG;
	}
	n = (size_t)sqlite3_column_count(st);
	vals = calloc(n + 1, sizeof(*vals));
	if (!vals) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = row(ctx, n, NULL)))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (size_t i = 0; i < n; i++) {
			struct pval *v = &vals[i];
			memset(v, 0, sizeof(*v));
			switch (sqlite3_column_type(st, (int)i)) {
			case SQLITE_INTEGER:
				v->kind = PV_INT;
				v->i = sqlite3_column_int64(st, (int)i);
				break;
			case SQLITE_FLOAT:
				v->kind = PV_REAL;
				v->f = sqlite3_column_double(st, (int)i);
				break;
			case SQLITE_TEXT:
				v->kind = PV_TEXT;
				v->s = (const char *)sqlite3_column_text(st, (int)i);
				v->len = (size_t)sqlite3_column_bytes(st, (int)i);
				break;
			case SQLITE_BLOB:
				v->kind = PV_BLOB;
				v->s = sqlite3_column_blob(st, (int)i);
				v->len = (size_t)sqlite3_column_bytes(st, (int)i);
				break;
			default:
				v->kind = PV_NULL;
			}
		}
		if ((rc = row(ctx, n, vals)))
			goto out;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: index: %s", c->path, sqlite3_errmsg(db));
		rc = -EBADMSG;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	free(vals);
	return rc;
}

const char *capview__name_of(const char *path, size_t *len)
{
	size_t n = strlen(path);
	const char *base;

	while (n > 1 && path[n - 1] == '/')
		n--;
	base = path + n;
	while (base > path && base[-1] != '/')
		base--;
	n -= (size_t)(base - path);
	if (n > 7 && !memcmp(base + n - 7, ".bpfrec", 7))
		n -= 7;
	*len = n;
	return base;
}
