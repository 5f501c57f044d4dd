/*
** vtab.c - a bpfrec capture as SQLite tables.
**
** USAGE
**
**   bpfreplay (the tables are made for you, in the main schema of an
**   in-memory database):
**     bpfreplay sql ./cap 'SELECT comm, count(*) FROM exec GROUP BY comm'
**
**   Any SQLite client, with the loadable extension (libbpfrec_sqlite.so,
**   entry point sqlite3_bpfrecsqlite_init, which the sqlite3 shell derives
**   from the file name):
**     .load /path/to/libbpfrec_sqlite
**     SELECT bpfrec_attach('/path/to/cap');            -- tables in temp
**     SELECT comm, count(*) FROM exec GROUP BY comm;
**
**   bpfrec_attach(PATH [, SCHEMA [, MODE]]) creates, in SCHEMA ('temp' by
**   default: nothing is written to your database file; 'main' or an
**   ATTACHed database to keep several captures apart), one virtual table per
**   stream and the metadata tables below, and returns the names of the
**   tables it made, comma separated.  One table at a time also works:
**     CREATE VIRTUAL TABLE temp.ex USING bpfrec('/path/to/cap', 'exec');
**   The second argument is the stream (streams.name; default: the table's
**   own name).
**
**   Several captures: PATH may be a JSON array of paths,
**     SELECT bpfrec_attach(json_array('/caps/web1', '/caps/db1'));
**     SELECT host, capture, count(*) FROM exec GROUP BY host, capture;
**   Each stream table is then the union of that stream in every capture
**   that has it, with two more columns after the fields: host (the
**   session's) and capture (the capture's directory or bundle name, without
**   .bpfrec; the path as given when two share a name).  A stream whose
**   columns (names and types, in order) differ between two captures is
**   refused with both named.  The metadata tables hold every capture's rows
**   with a capture column.  ts is each capture's own boot clock; time
**   constraints prune each capture through its own clock and index.  MODE, the optional last argument: 'strict' (a damaged
**   block or record fails the statement with SQLITE_CORRUPT: the extension's
**   default) or 'skip_damaged' (it is skipped, reported through
**   sqlite3_log, and counted: bpfreplay's default, which prints the reports
**   and exits 3).  Both the module and the function are SQLITE_DIRECTONLY:
**   they cannot be used from a schema's triggers or views.
**
** TABLES
**
**   One per stream, named after streams.name (a stream whose name is one of
**   the metadata tables' gets "_events" appended).  Columns:
**     ts      INTEGER  ns, kernel CLOCK_BOOTTIME (the record's timestamp)
**     time    TEXT     wall time, UTC, ISO 8601 with ns:
**                      2024-05-01T12:00:01.000000700Z (fixed width: text
**                      order is time order); COLLATE bpfrec_time: compared
**                      with a text that names a time ('2024-05-01 12:00:01',
**                      '2024-05-01T12', '...+02:00'), as instants
**     cpu     INTEGER  NULL when the source does not say (ringbuf)
**     stream  TEXT     the stream's name
**   then one column per member of the event type, from the BTF stored in the
**   capture (see evtype.h: flattening, kinds; a u64 above 2^63-1 reads as
**   the negative INTEGER with the same 64 bits), renamed with a trailing '_'
**   if it collides with an earlier column (see capview.h).  A stream without a
**   usable type has one BLOB column, data.
**
**   Metadata (plain tables, copied from the index when attached):
**     sessions       the index's columns + start_time, end_time (TEXT)
**     streams        the index's columns + table_name, nrecords, lost
**     losses         id, stream_id, stream, cpu, ts, count + time
**     blocks         the index's columns + min_time, max_time
**     block_streams  the index's table
**     objects        id, name, path, btf_bytes
**     programs       id, object_id, object, name, section, type, state
**                    (attached/loaded/skipped), target, reason, stream_id, stream
**     stream_loss    stream_id, stream, method (perf/rewrite/program/
**                    unobservable), ring_bytes
**     loss_windows   id, stream_id, stream, start_ns, end_ns, peak_bytes +
**                    start_time, end_time
**                    (the last three empty for captures older than them)
**     users, groups  uid (gid), name: the recording host's user and group
**                    names (FORMAT.md "User and group names"; rows the
**                    reader does not trust left out); empty for older
**                    captures.  user_name(uid) and group_name(gid) look
**                    them up (NULL: no name, or captures that disagree)
**     stacks         id, kind (user/kernel), pid (NULL: kernel), depth, frames
**                    (text: "f3+0x29 <- f2+0x9 <- main+0x20", innermost first)
**     events         every stream's records with their common columns, in
**                    time order (module bpfrec_events: events.c); all_events
**                    when a stream's table is named events
**     frames         stack_id, pid, kind, depth, address, symbol ([unknown]
**                    when the capture has no symbol holding it), offset, file,
**                    build_id, line and source (the line table row holding
**                    it; NULL when the capture has none: no debug info)
**                    (symb.h names them from the capture's own tables)
**
** SPEED
**
**   Constraints on ts (=, <, <=, >, >=; BETWEEN arrives as two) and on
**   time (compared as instants, see time_constraint) bound the ts
**   range; blocks are skipped through the index (this stream's min/max ts in
**   each block: block_streams), so a narrow range decompresses only the
**   blocks that overlap it.  A ts constraint with a constant integer is
**   applied by the table alone (omitted from SQLite's own checks).  Columns
**   that are whole-byte integers or char arrays are read in place
**   (evfast.h).  Rows come in block order, not time order: use
**   ORDER BY ts.
**
**   A GROUP BY (or DISTINCT) whose columns are all the statement reads of
**   the table (SELECT comm, count(*) FROM exec GROUP BY comm) is a
**   grouped scan: the table counts the rows of each distinct tuple first
**   (vtgroup.h) and hands them out tuple after tuple, in the order SQLite
**   asked for (aOrderBy, each term ascending or descending: SQLite takes
**   it for an ORDER BY of the same columns), so SQLite sorts nothing
**   (orderByConsumed, SQLite >= 3.38).  Its memory is bounded (16 MiB of
**   distinct tuples: more go to sorted runs in a temporary file in
**   $TMPDIR (spillfile.h), merged
**   in order at the end; one scan of the capture however many distinct
**   tuples); Ctrl-C in bpfreplay stops the counting scan.
**   Columns it cannot give that way (time, reals, expressions, a column
**   read beside the groups) leave the statement to SQLite's sorter.
*/
#ifdef BPFREC_SQLITE_EXT
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#else
#include <sqlite3.h>
#endif

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capview.h"
#include "damagesay.h"
#include "evfast.h"
#include "symb.h"
#include "vtab.h"
#include "names.h"
#include "utf8.h"
#include "agg.h"
#include "events.h"
#include "idnames.h"
#include "vtgroup.h"

static const char *const meta_tables[] = {
	"sessions", "streams", "losses", "blocks", "block_streams", "objects", "stacks", "frames",
	"programs", "stream_loss", "loss_windows", "users", "groups", NULL,
};

struct vt_cap {                         /* one opened capture, shared by its tables */
	struct vt_cap *next;
	char *path;                     /* as given */
	struct capview *c;
	int refs;                       /* tables and attach calls holding it */
	unsigned char *seen;            /* per block: VT_SEEN_* */
	uint32_t known;                 /* its vtab_reg.known entry: its damage */
};
#define VT_SEEN_BAD  1                  /* damaged block reported */
#define VT_SEEN_RECS 2                  /* its damaged records counted */

/* A capture (by its path as given) opened at some time, and the damage
 * skipped in it (lenient tables only): kept after its tables are gone,
 * for the closing line. */
struct vt_known {
	char *path;
	uint64_t blocks, recs;          /* damaged, distinct */
	uint64_t unsaid;                /* of their reports, only counted */
};

struct vtab_reg {
	sqlite3 *db;                    /* the connection the module belongs to */
	struct vtab_opts opts;
	struct vt_cap *caps;
	struct vt_known *known;         /* [nknown], in the order first opened */
	uint32_t nknown;
	uint64_t damaged_blocks;        /* distinct, lenient tables only: all captures' */
	uint64_t damaged_recs;
	/* which damage reports are said, the rest counted: show's rule
	 * (damagesay.h), keyed by segment id and by stream id of each capture
	 * (scope: its known index) */
	struct damagesay say_blocks, say_recs;
};

struct vt_member {                      /* one capture's share of a table */
	struct vt_cap *cap;
	struct capview_stream *s;          /* its stream of the table's name */
	char *name;                     /* the capture column: capview__name_of, or the
					 * path as given when two names are equal */
	struct evfast *fast;            /* per field: read in place (evfast.h), or not */
	uint32_t min_size;              /* evtype__min_size: shorter records are damaged */
};

struct bpfrec_vtab {
	sqlite3_vtab base;              /* first: SQLite's part */
	struct vtab_reg *reg;
	struct vt_member *m;            /* the captures that have the stream, in order */
	size_t nm;
	size_t nfields;                 /* event columns, the same in every member */
	int multi;                      /* several paths: host, capture columns last */
	int strict;                     /* fail on damage instead of skipping */
};

#define VT_MAX_ARGS 64                  /* constraints kept for the next members */
#define VT_GROUP_BYTES (16u << 20)      /* a grouped scan's distinct rows in memory */
#define VT_PREFETCH 8                   /* rows ahead whose payload is fetched early */

struct bpfrec_cursor {
	sqlite3_vtab_cursor base;       /* first: SQLite's part */
	struct capr_cursor **cc;        /* per member: its own decoding state, or NULL */
	struct capr_cursor *cur_cc;     /* cc[mi] */
	size_t mi;                      /* the member being read */
	char ops[2 * VT_MAX_ARGS];      /* xFilter's idxStr part: column, operator */
	sqlite3_value *args[VT_MAX_ARGS]; /* its values (sqlite3_value_dup) */
	int nargs;
	char used[20];                  /* ":%016llx" of colUsed, "" if none */
	uint64_t lo, hi;                /* ts bounds from xFilter, inclusive */
	int empty;                      /* the constraints cannot match */
	int exact;                      /* VT_IDX_EXACT: ts above 2^63-1 never matches */
	size_t bk;                      /* next entry of s->blocks to read */
	size_t bidx;                    /* capview index of the current block */
	const struct cap_rec *recs;     /* current block's records, or NULL */
	uint32_t nrecs;
	uint32_t ri;                    /* current record */
	uint64_t rec_stream;            /* while recs: the stream its records must be of */
	uint32_t rec_min;               /* while recs: the smallest record length read */
	int eof;
	char timebuf[TIMEFMT_LEN + 1];
	uint64_t *words;                /* payload words the query reads */
	uint32_t nwords;                /* bits in words */
	/* A grouped scan (VT_IDX_GROUP): one scan counts the distinct rows
	 * (vtgroup.h; past its memory, in sorted runs on disk), then hands
	 * them out, each as many times as it came (once for DISTINCT), in
	 * SQLite's order. */
	int grp;                        /* handing out counted rows */
	int grp_distinct;               /* VT_IDX_DISTINCT: one row per tuple */
	struct vtgroup *g;
	int *gcols;                     /* the columns read, ascending */
	size_t ngcols;
	struct vgval *gv;               /* per gcols: the row handed out */
	int *gslot;                     /* per table column: its gcols index, or -1 */
	uint64_t gleft;                 /* rows of the current tuple still to come */
	uint32_t gorder[64];            /* the order asked (aOrderBy): table columns, */
	uint8_t gdesc[64];              /* each descending or not, */
	size_t ngorder;                 /* how many */
	sqlite3_int64 growid;           /* rows handed out: their rowids */
};

static void drop_args(struct bpfrec_cursor *cur)
{
	for (int k = 0; k < cur->nargs; k++)
		sqlite3_value_free(cur->args[k]);
	cur->nargs = 0;
}

/* ---- registry of opened captures ---- */

/* Says a warning (damage reports only when damagesay says so). */
__attribute__((format(printf, 2, 3)))
static void reg_warn(struct vtab_reg *reg, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (reg->opts.warn)
		reg->opts.warn(reg->opts.ctx, msg);
	else
		sqlite3_log(SQLITE_CORRUPT, "bpfrec: %s", msg);
}

/* The known entry of path (made if new) in *i.  0 or -ENOMEM. */
static int known_of(struct vtab_reg *reg, const char *path, uint32_t *i)
{
	for (*i = 0; *i < reg->nknown; ++*i)
		if (!strcmp(reg->known[*i].path, path))
			return 0;
	struct vt_known *k = realloc(reg->known, (reg->nknown + 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	reg->known = k;
	k[*i] = (struct vt_known){ .path = strdup(path) };
	if (!k[*i].path)
		return -ENOMEM;
	reg->nknown++;
	return 0;
}

static struct vt_cap *cap_get(struct vtab_reg *reg, const char *path, char **err)
{
	struct vt_cap *cap;
	char e[512];
	size_t n;

	for (cap = reg->caps; cap; cap = cap->next) {
		if (!strcmp(cap->path, path)) {
			cap->refs++;
			return cap;
		}
	}
	cap = calloc(1, sizeof(*cap));
	if (!cap || !(cap->path = strdup(path))) {
		free(cap);
		*err = sqlite3_mprintf("out of memory");
		return NULL;
	}
	cap->c = capview__open(path, e, sizeof(e));
	if (!cap->c) {
		*err = sqlite3_mprintf("bpfrec: %s", e);
		free(cap->path);
		free(cap);
		return NULL;
	}
	capview__blocks(cap->c, &n);
	cap->seen = calloc(n ? n : 1, 1);
	if (!cap->seen || known_of(reg, path, &cap->known)) {
		capview__close(cap->c);
		free(cap->seen);
		free(cap->path);
		free(cap);
		*err = sqlite3_mprintf("out of memory");
		return NULL;
	}
	cap->refs = 1;
	cap->next = reg->caps;
	reg->caps = cap;
	return cap;
}

static void cap_put(struct vtab_reg *reg, struct vt_cap *cap)
{
	if (!cap || --cap->refs > 0)
		return;
	for (struct vt_cap **p = &reg->caps; *p; p = &(*p)->next) {
		if (*p == cap) {
			*p = cap->next;
			break;
		}
	}
	capview__close(cap->c);
	free(cap->seen);
	free(cap->path);
	free(cap);
}

static void reg_free(void *p)
{
	struct vtab_reg *reg = p;

	while (reg && reg->caps) {
		struct vt_cap *cap = reg->caps;
		reg->caps = cap->next;
		capview__close(cap->c);
		free(cap->seen);
		free(cap->path);
		free(cap);
	}
	for (uint32_t i = 0; reg && i < reg->nknown; i++)
		free(reg->known[i].path);
	if (reg)
		free(reg->known);
	free(reg);
}

/* ---- the virtual table ---- */

/* An argument as written in CREATE VIRTUAL TABLE: strips '...' or "..." and
 * undoubles the quotes inside.  sqlite3_malloc'ed. */
static char *dequote(const char *a)
{
	size_t n = strlen(a);
	char *out = sqlite3_malloc64(n + 1), *o = out;
	char q = a[0];

	if (!out)
		return NULL;
	if ((q == '\'' || q == '"') && n >= 2 && a[n - 1] == q) {
		for (size_t i = 1; i + 1 < n; i++) {
			*o++ = a[i];
			if (a[i] == q && a[i + 1] == q)
				i++;
		}
		*o = 0;
	} else {
		while (n && (a[n - 1] == ' ' || a[n - 1] == '\t'))
			n--;
		while (n && (*a == ' ' || *a == '\t'))
			a++, n--;
		memcpy(out, a, n);
		out[n] = 0;
	}
	return out;
}

static const char *decl_of(const struct evcol *col)
{
	switch (col->kind) {
	case EVCOL_INT: case EVCOL_UINT: case EVCOL_BOOL: return "INTEGER";
	case EVCOL_FLOAT: return "REAL";
	case EVCOL_BYTES: return "BLOB";
	default: return "TEXT";
	}
}

/* The paths of a table's first argument: one path, or a JSON array of path
 * strings ('["/a", "/b"]'; escapes \" \\ \/ \b \f \n \r \t, \u0001-\u007f).
 * 0 and *paths (sqlite3_malloc'ed, each too), or an SQLite code with *err. */
static int parse_paths(const char *arg, char ***paths, size_t *n, char **err)
{
	const char *p = arg;
	char **v = NULL;
	size_t cnt = 0;

	*paths = NULL;
	*n = 0;
	if (*p != '[') {
		v = sqlite3_malloc(sizeof(*v));
		if (!v || !(v[0] = sqlite3_mprintf("%s", arg))) {
			sqlite3_free(v);
			return SQLITE_NOMEM;
		}
		*paths = v;
		*n = 1;
		return SQLITE_OK;
	}
	for (p++;;) {
		sqlite3_str *one;
		char **nv;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == ']' && !cnt && !p[1 + strspn(p + 1, " \t\r\n")])
			break;
		if (*p != '"')
			goto bad;
		one = sqlite3_str_new(NULL);
		for (p++; *p && *p != '"'; p++) {
			char c = *p;
			if (c == '\\') {
				static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
				const char *k = *++p ? strchr(from, *p) : NULL;
				if (k) {
					c = to[k - from];
				} else if (*p == 'u' && p[1] == '0' && p[2] == '0' &&
					   strspn(p + 3, "0123456789abcdefABCDEF") >= 2) {
					char hex[3] = { p[3], p[4], 0 };
					c = (char)strtol(hex, NULL, 16);
					p += 4;
					if (c <= 0) {
						sqlite3_free(sqlite3_str_finish(one));
						goto bad;
					}
				} else {
					sqlite3_free(sqlite3_str_finish(one));
					goto bad;
				}
			}
			sqlite3_str_appendchar(one, 1, c);
		}
		if (*p != '"') {
			sqlite3_free(sqlite3_str_finish(one));
			goto bad;
		}
		p++;
		nv = sqlite3_realloc64(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			sqlite3_free(sqlite3_str_finish(one));
			goto nomem;
		}
		v = nv;
		v[cnt] = sqlite3_str_finish(one);
		if (!v[cnt])
			v[cnt] = sqlite3_mprintf("%s", "");
		if (!v[cnt])
			goto nomem;
		cnt++;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ']' && !p[1 + strspn(p + 1, " \t\r\n")])
			break;
		goto bad;
	}
	if (!cnt) {
		*err = sqlite3_mprintf("bpfrec: '%s': an empty list of captures", arg);
		return SQLITE_ERROR;
	}
	*paths = v;
	*n = cnt;
	return SQLITE_OK;
bad:
	*err = sqlite3_mprintf("bpfrec: '%s': not a path, nor a JSON array of path strings", arg);
nomem:
	for (size_t i = 0; i < cnt; i++)
		sqlite3_free(v[i]);
	sqlite3_free(v);
	return *err ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* The capture column's value for paths[i]: its name (capview__name_of), or the
 * path as given when an earlier capture has the same name.  sqlite3_malloc'ed. */
static char *capture_name(char *const *paths, size_t i)
{
	size_t len, l2;
	const char *name = capview__name_of(paths[i], &len);

	for (size_t k = 0; k < i; k++) {
		const char *n2 = capview__name_of(paths[k], &l2);
		if (l2 == len && !memcmp(n2, name, len))
			return sqlite3_mprintf("%s", paths[i]);
	}
	return sqlite3_mprintf("%.*s", (int)len, name);
}

static void free_paths(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		sqlite3_free(paths[i]);
	sqlite3_free(paths);
}

struct capview *vtab__hold(struct vtab_reg *reg, const char *path, char **err)
{
	struct vt_cap *cap = cap_get(reg, path, err);

	return cap ? cap->c : NULL;
}

/* The capture of reg opened as c, or NULL. */
static struct vt_cap *cap_of(const struct vtab_reg *reg, const struct capview *c)
{
	for (struct vt_cap *cap = reg->caps; c && cap; cap = cap->next)
		if (cap->c == c)
			return cap;
	return NULL;
}

void vtab__release(struct vtab_reg *reg, struct capview *c)
{
	struct vt_cap *cap = cap_of(reg, c);

	if (cap)
		cap_put(reg, cap);
}

int vtab__paths(const char *arg, char ***paths, char ***names, size_t *n, int *multi,
		char **err)
{
	char *a = dequote(arg);
	int rc;

	*paths = *names = NULL;
	*n = 0;
	if (!a)
		return SQLITE_NOMEM;
	*multi = a[0] == '[';
	rc = parse_paths(a, paths, n, err);
	sqlite3_free(a);
	if (rc != SQLITE_OK)
		return rc;
	*names = sqlite3_malloc64((*n + 1) * sizeof(**names));
	if (!*names)
		goto nomem;
	memset(*names, 0, (*n + 1) * sizeof(**names));
	for (size_t i = 0; i < *n; i++)
		if (!((*names)[i] = capture_name(*paths, i)))
			goto nomem;
	return SQLITE_OK;
nomem:
	vtab__paths_free(*paths, *names, *n);
	*paths = *names = NULL;
	return SQLITE_NOMEM;
}

void vtab__paths_free(char **paths, char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		sqlite3_free(names[i]);
	sqlite3_free(names);
	free_paths(paths, n);
}

static void free_members(struct vtab_reg *reg, struct bpfrec_vtab *vt)
{
	for (size_t i = 0; vt->m && i < vt->nm; i++) {
		cap_put(reg, vt->m[i].cap);
		sqlite3_free(vt->m[i].name);
		sqlite3_free(vt->m[i].fast);
	}
	sqlite3_free(vt->m);
	vt->m = NULL;
	vt->nm = 0;
}

/* Several captures' stream in one table: the columns must agree (names and
 * SQL types, in order); a different BTF type with the same columns is fine. */
static int check_compatible(const struct vt_member *a, const struct vt_member *b, char **err)
{
	const struct capview_stream *sa = a->s, *sb = b->s;
	const char *ta = sa->type_name ? sa->type_name : "(raw bytes)";
	const char *tb = sb->type_name ? sb->type_name : "(raw bytes)";

	for (size_t i = 0; i < sa->ncols || i < sb->ncols; i++) {
		const char *na = i < sa->ncols ? sa->cols[i] : NULL, *nb = i < sb->ncols ? sb->cols[i] : NULL;
		const char *da = na ? decl_of(evtype__col(sa->et, i)) : "", *db = nb ? decl_of(evtype__col(sb->et, i)) : "";

		if (na && nb && !sqlite3_stricmp(na, nb) && !strcmp(da, db))
			continue;
		*err = sqlite3_mprintf("bpfrec: stream %s: its type differs between captures %s (%s: "
				       "column %d is %s%s%s) and %s (%s: column %d is %s%s%s); query "
				       "them apart", sa->name, capview__path(a->cap->c), ta, (int)i + 1,
				       na ? na : "absent", na ? " " : "", da,
				       capview__path(b->cap->c), tb, (int)i + 1, nb ? nb : "absent",
				       nb ? " " : "", db);
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		      sqlite3_vtab **out, char **err)
{
	struct vtab_reg *reg = aux;
	struct bpfrec_vtab *vt = NULL;
	char *patharg = NULL, *stream = NULL, *mode = NULL, **paths = NULL;
	size_t npaths = 0;
	sqlite3_str *ddl = NULL;
	char *sql = NULL;
	int rc = SQLITE_ERROR;

	if (argc < 4 || argc > 6) {
		*err = sqlite3_mprintf("bpfrec: usage: CREATE VIRTUAL TABLE name USING "
				       "bpfrec('/path/to/capture' [, 'stream' [, 'strict'|'skip_damaged']])"
				       " (several captures: '[\"/path/1\", \"/path/2\"]')");
		return SQLITE_ERROR;
	}
	patharg = dequote(argv[3]);
	stream = dequote(argc > 4 ? argv[4] : argv[2]);
	mode = argc > 5 ? dequote(argv[5]) : NULL;
	vt = sqlite3_malloc(sizeof(*vt));
	if (!patharg || !stream || (argc > 5 && !mode) || !vt) {
		rc = SQLITE_NOMEM;
		goto out;
	}
	memset(vt, 0, sizeof(*vt));
	vt->reg = reg;
	vt->strict = reg->opts.strict;
	if (mode && !strcmp(mode, "strict")) {
		vt->strict = 1;
	} else if (mode && !strcmp(mode, "skip_damaged")) {
		vt->strict = 0;
	} else if (mode) {
		*err = sqlite3_mprintf("bpfrec: mode '%s': expected 'strict' or 'skip_damaged'", mode);
		goto out;
	}
	if ((rc = parse_paths(patharg, &paths, &npaths, err)) != SQLITE_OK)
		goto out;
	rc = SQLITE_ERROR;
	vt->multi = patharg[0] == '[';
	vt->m = sqlite3_malloc64(npaths * sizeof(*vt->m));
	if (!vt->m) {
		rc = SQLITE_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < npaths; i++) {
		struct vt_cap *cap = cap_get(reg, paths[i], err);
		struct capview_stream *s;

		if (!cap)
			goto out;
		s = capview__stream_by_name(cap->c, stream);
		if (!s && npaths > 1) {         /* a capture without the stream adds nothing */
			cap_put(reg, cap);
			continue;
		}
		if (!s) {
			sqlite3_str *names = sqlite3_str_new(NULL);
			for (size_t k = 0; k < capview__nstreams(cap->c); k++)
				sqlite3_str_appendf(names, "%s%s", k ? ", " : "",
						    capview__stream(cap->c, k)->name);
			char *list = sqlite3_str_finish(names);
			*err = sqlite3_mprintf("bpfrec: %s: no stream '%s' (it has: %s)", paths[i],
					       stream, list ? list : "?");
			sqlite3_free(list);
			cap_put(reg, cap);
			goto out;
		}
		vt->m[vt->nm] = (struct vt_member){ .cap = cap, .s = s,
						    .name = capture_name(paths, i),
						    .min_size = evtype__min_size(s->et) };
		vt->m[vt->nm].fast = sqlite3_malloc64((s->ncols + 1) * sizeof(struct evfast));
		if (!vt->m[vt->nm++].name || !vt->m[vt->nm - 1].fast) {
			rc = SQLITE_NOMEM;
			goto out;
		}
		for (size_t k = 0; k < s->ncols; k++)
			evfast__plan(&vt->m[vt->nm - 1].fast[k], evtype__col(s->et, k),
				     evtype__min_size(s->et));
		if (vt->nm > 1 && check_compatible(&vt->m[0], &vt->m[vt->nm - 1], err))
			goto out;
	}
	if (!vt->nm) {
		*err = sqlite3_mprintf("bpfrec: no capture of %s has a stream '%s'", patharg, stream);
		goto out;
	}
	struct capview_stream *s0 = vt->m[0].s;
	vt->nfields = s0->ncols;
	ddl = sqlite3_str_new(NULL);
	sqlite3_str_appendall(ddl, "CREATE TABLE x(ts INTEGER, time TEXT COLLATE " TIMEFMT_COLLATION
			      ", cpu INTEGER, stream TEXT");
	for (size_t i = 0; i < s0->ncols; i++)
		sqlite3_str_appendf(ddl, ", \"%w\" %s", s0->cols[i], decl_of(evtype__col(s0->et, i)));
	if (vt->multi) {
		/* after the fields, renamed with '_' if a field took the name */
		const char *extra[2] = { "host", "capture" };
		for (int e = 0; e < 2; e++) {
			char name[160];
			snprintf(name, sizeof(name), "%s", extra[e]);
			for (int again = 1; again;) {
				again = 0;
				for (size_t i = 0; i < CAPVIEW_NCOMMON + s0->ncols && !again; i++)
					again = !sqlite3_stricmp(name, i < CAPVIEW_NCOMMON ? capview_common_cols[i]
								 : s0->cols[i - CAPVIEW_NCOMMON]);
				if (again)
					strcat(name, "_");
			}
			sqlite3_str_appendf(ddl, ", \"%w\" TEXT", name);
		}
	}
	sqlite3_str_appendall(ddl, ")");
	sql = sqlite3_str_finish(ddl);
	if (!sql) {
		rc = SQLITE_NOMEM;
		goto out;
	}
	rc = sqlite3_declare_vtab(db, sql);
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("bpfrec: %s: %s", sql, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	*out = &vt->base;
	vt = NULL;                  /* SQLite's now */
out:
	if (vt) {
		free_members(reg, vt);
		sqlite3_free(vt);
		if (rc == SQLITE_OK)
			rc = SQLITE_ERROR;
	}
	sqlite3_free(sql);
	for (size_t i = 0; i < npaths; i++)
		sqlite3_free(paths[i]);
	sqlite3_free(paths);
	sqlite3_free(patharg);
	sqlite3_free(stream);
	sqlite3_free(mode);
	return rc;
}

static int vt_disconnect(sqlite3_vtab *tab)
{
	struct bpfrec_vtab *vt = (struct bpfrec_vtab *)tab;

	free_members(vt->reg, vt);
	sqlite3_free(vt);
	return SQLITE_OK;
}

/*
** xBestIndex: every usable constraint on ts (column 0) or time (column 1)
** with =, >, >=, <, <= is passed to xFilter, in order, as argv[k]; idxStr
** holds two characters per argument: the column ('t' ts, 'w' time) and the
** operator ('=', '>', 'g' >=, '<', 'l' <=).  None is omitted: SQLite checks
** them again, so the bounds only need to be conservative.
*/
#define VT_IDX_EQ    0x01               /* an equality on ts or time */
#define VT_IDX_LOWER 0x02               /* a lower bound (>, >=) */
#define VT_IDX_UPPER 0x04               /* an upper bound (<, <=) */
#define VT_IDX_EXACT 0x08               /* a ts constraint is omitted: xFilter's bounds
					 * are exact (an integer >= 0), and a record whose
					 * ts reads negative in SQL (above 2^63-1) never
					 * matches it */
#define VT_IDX_GROUP 0x10               /* a GROUP BY or DISTINCT whose columns are all
					 * the statement reads: its rows come grouped
					 * (orderByConsumed), see group_pass */
#define VT_IDX_DISTINCT 0x20            /* ... a DISTINCT: one row per tuple */

/* Whether a grouped scan can give column c (see vtgroup.h): ts, cpu,
 * stream, host, capture and the fields that read as integers, texts or
 * blobs.  Not time (its collation compares instants) nor reals (0.0 and
 * -0.0 are one group of two bit patterns). */
static int col_groupable(const struct bpfrec_vtab *vt, int c)
{
	if (c < 0 || c == 1)
		return 0;
	if (c < CAPVIEW_NCOMMON)
		return 1;
	if ((size_t)c - CAPVIEW_NCOMMON < vt->nfields)
		return evtype__col(vt->m[0].s->et, (size_t)c - CAPVIEW_NCOMMON)->kind != EVCOL_FLOAT;
	return vt->multi && (size_t)c - CAPVIEW_NCOMMON - vt->nfields < 2;
}

/* A GROUP BY (sqlite3_vtab_distinct 1) or DISTINCT (2) over columns that
 * are every column the statement reads: each row is then its group's
 * tuple, so rows counted per tuple and handed out tuple after tuple are
 * what SQLite asks ("rows with the same values adjacent"), and SQLite's
 * sorter has nothing to do.  SQLite >= 3.38.  0 (no), VT_IDX_GROUP, or
 * VT_IDX_GROUP | VT_IDX_DISTINCT. */
static int group_plan(const struct bpfrec_vtab *vt, sqlite3_index_info *ii)
{
	uint64_t cols = 0;
	int d;

	/* (xFilter reads at most 64 order terms back) */
	if (sqlite3_libversion_number() < 3038000 || ii->nOrderBy <= 0 || ii->nOrderBy > 64)
		return 0;
	d = sqlite3_vtab_distinct(ii);
	if (d != 1 && d != 2)
		return 0;
	for (int k = 0; k < ii->nOrderBy; k++) {
		int c = ii->aOrderBy[k].iColumn;

		if (c >= 63 || !col_groupable(vt, c))
			return 0;
		cols |= 1ull << c;
	}
	if (ii->colUsed & ~cols)
		return 0;
	return VT_IDX_GROUP | (d == 2 ? VT_IDX_DISTINCT : 0);
}

/* A constraint on ts whose value the plan already knows as an integer >= 0:
 * ts_constraint's bound is then exactly the comparison (for ts below
 * 2^63), so the constraint can be omitted.  SQLite tells the value from
 * 3.38 on (sqlite3_vtab_rhs_value); a parameter or an older SQLite: no. */
static int ts_exact(sqlite3_index_info *ii, int i)
{
	sqlite3_value *v = NULL;

	if (sqlite3_libversion_number() < 3038000)
		return 0;
	return sqlite3_vtab_rhs_value(ii, i, &v) == SQLITE_OK && v &&
	       sqlite3_value_type(v) == SQLITE_INTEGER && sqlite3_value_int64(v) >= 0;
}

static int vt_best_index(sqlite3_vtab *tab, sqlite3_index_info *ii)
{
	struct bpfrec_vtab *vt = (struct bpfrec_vtab *)tab;
	char *str = sqlite3_malloc(ii->nConstraint * 2 + 18 + 1 + 3 * (ii->nOrderBy > 0 ? ii->nOrderBy : 0));
	int n = 0, argi = 0, num = 0, grp;
	double rows = 1;

	for (size_t m = 0; m < vt->nm; m++)
		rows += (double)vt->m[m].s->nrecords;

	if (!str)
		return SQLITE_NOMEM;
	for (int i = 0; i < ii->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &ii->aConstraint[i];
		char op;

		if (!c->usable || (c->iColumn != 0 && c->iColumn != 1))
			continue;
		switch (c->op) {
		case SQLITE_INDEX_CONSTRAINT_EQ: op = '='; num |= VT_IDX_EQ; break;
		case SQLITE_INDEX_CONSTRAINT_GT: op = '>'; num |= VT_IDX_LOWER; break;
		case SQLITE_INDEX_CONSTRAINT_GE: op = 'g'; num |= VT_IDX_LOWER; break;
		case SQLITE_INDEX_CONSTRAINT_LT: op = '<'; num |= VT_IDX_UPPER; break;
		case SQLITE_INDEX_CONSTRAINT_LE: op = 'l'; num |= VT_IDX_UPPER; break;
		default: continue;
		}
		str[n++] = c->iColumn == 0 ? 't' : 'w';
		str[n++] = op;
		ii->aConstraintUsage[i].argvIndex = ++argi;
		ii->aConstraintUsage[i].omit = 0;
		if (c->iColumn == 0 && ts_exact(ii, i)) {
			/* xFilter's bounds are the constraint: SQLite need not
			 * read ts back and compare it on every row */
			ii->aConstraintUsage[i].omit = 1;
			num |= VT_IDX_EXACT;
		}
	}
	/* The columns the statement reads, after a ':': xFilter decodes only
	 * the payload words that hold them. */
	n += snprintf(str + n, 18, ":%016llx", (unsigned long long)ii->colUsed);
	str[n] = 0;
	/* Without the values we guess: a range keeps a tenth, one bound a
	 * third, an equality a handful.  What matters is that constrained
	 * plans cost less, so that SQLite hands us the constraints. */
	if (num & VT_IDX_EQ)
		rows = rows < 10 ? rows : 10;
	else if ((num & VT_IDX_LOWER) && (num & VT_IDX_UPPER))
		rows = rows / 10 + 1;
	else if (num)
		rows = rows / 3 + 1;
	if ((grp = group_plan(vt, ii))) {
		/* the order too, after a '/': three characters a term (the
		 * column, 2 hex digits, and 'a' or 'd').  SQLite takes a grouped
		 * scan's order for an ORDER BY of the same columns (GROUP BY a
		 * ORDER BY a DESC sorts nothing more), so the rows must come
		 * in this order, not only grouped. */
		str[n++] = '/';
		for (int k = 0; k < ii->nOrderBy; k++)
			n += snprintf(str + n, 4, "%02x%c", ii->aOrderBy[k].iColumn,
				      ii->aOrderBy[k].desc ? 'd' : 'a');
		str[n] = 0;
		ii->orderByConsumed = 1;
		num |= grp;
	}
	ii->idxNum = num;
	ii->idxStr = str;
	ii->needToFreeIdxStr = 1;
	ii->estimatedRows = (sqlite3_int64)rows;
	ii->estimatedCost = rows * 2 + 10;
	return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out)
{
	struct bpfrec_vtab *vt = (struct bpfrec_vtab *)tab;
	struct bpfrec_cursor *cur = sqlite3_malloc(sizeof(*cur));

	if (!cur)
		return SQLITE_NOMEM;
	memset(cur, 0, sizeof(*cur));
	cur->cc = sqlite3_malloc64(vt->nm * sizeof(*cur->cc));
	if (!cur->cc) {
		sqlite3_free(cur);
		return SQLITE_NOMEM;
	}
	memset(cur->cc, 0, vt->nm * sizeof(*cur->cc));
	cur->eof = 1;
	*out = &cur->base;
	return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *vc)
{
	struct bpfrec_cursor *cur = (struct bpfrec_cursor *)vc;

	struct bpfrec_vtab *vt = (struct bpfrec_vtab *)vc->pVtab;

	for (size_t i = 0; i < vt->nm; i++)
		capr__cursor_free(cur->cc[i]);
	sqlite3_free(cur->cc);
	drop_args(cur);
	sqlite3_free(cur->words);
	vtgroup__free(cur->g);
	sqlite3_free(cur->gcols);
	sqlite3_free(cur->gv);
	sqlite3_free(cur->gslot);
	sqlite3_free(cur);
	return SQLITE_OK;
}

__attribute__((format(printf, 3, 4)))
static int vt_error(struct bpfrec_vtab *vt, int rc, const char *fmt, ...)
{
	va_list ap;

	sqlite3_free(vt->base.zErrMsg);
	va_start(ap, fmt);
	vt->base.zErrMsg = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	return rc;
}

/* Counts (once) damaged block bidx of cap, and reports it if damagesay
 * says so. */
static void block_damaged(struct vtab_reg *reg, struct vt_cap *cap, size_t bidx, const char *why)
{
	size_t n;
	const struct cap_block_info *b = &capview__blocks(cap->c, &n)[bidx];
	char note[96];
	const char *say;

	if (cap->seen[bidx] & VT_SEEN_BAD)
		return;
	cap->seen[bidx] |= VT_SEEN_BAD;
	reg->damaged_blocks++;
	reg->known[cap->known].blocks++;
	if ((say = damagesay__block(&reg->say_blocks, cap->known, b->segment_id, note, sizeof(note))))
		reg_warn(reg, "%s: block %" PRId64 ": damaged: %s; its %" PRIu32 " records are "
			 "skipped%s", cap->path, b->id, why, b->meta.nrecords, say);
	else
		reg->known[cap->known].unsaid++;
}

/* Counts (once per block) the damaged records of every stream in block
 * bidx of cap, recs[0..nrecs) its records. */
static void count_recs(struct vtab_reg *reg, struct vt_cap *cap, size_t bidx,
		       const struct cap_rec *recs, uint32_t nrecs)
{
	struct capview *c = cap->c;
	const struct capview_session *se = capview__session(c);
	const struct cap_block_info *blocks;
	size_t n;

	if (cap->seen[bidx] & VT_SEEN_RECS)
		return;
	cap->seen[bidx] |= VT_SEEN_RECS;
	blocks = capview__blocks(c, &n);
	for (uint32_t i = 0; i < nrecs; i++) {
		const struct cap_rec *r = &recs[i];
		struct capview_stream *s = capview__stream_by_id(c, r->stream);
		char tb[TIMEFMT_LEN + 1], note[160];

		if (s && !evtype__check(s->et, r->len))
			continue;
		reg->damaged_recs++;
		reg->known[cap->known].recs++;
		if (!damagesay__record(&reg->say_recs, cap->known, s ? s->name : NULL, s ? s->id : 0,
				       r->stream, note, sizeof(note))) {
			reg->known[cap->known].unsaid++;
			continue;
		}
		timefmt__iso(timeclock__wall(&se->clock, r->ts_ns), tb, sizeof(tb));
		if (s)
			reg_warn(reg, "%s: block %" PRId64 ": damaged record at %s in stream %s: %"
				 PRIu32 " bytes, type %s needs %" PRIu32 "; skipped%s", cap->path,
				 blocks[bidx].id, tb, s->name, r->len, evtype__name(s->et),
				 evtype__min_size(s->et), note);
		else
			reg_warn(reg, "%s: block %" PRId64 ": damaged record at %s: unknown stream id %"
				 PRIu32 "; skipped%s", cap->path, blocks[bidx].id, tb, r->stream, note);
	}
}

static void count_damaged_recs(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur)
{
	count_recs(vt->reg, vt->m[cur->mi].cap, cur->bidx, cur->recs, cur->nrecs);
}

void vtab__records_damaged(void *vreg, struct capview *c, size_t block)
{
	struct vtab_reg *reg = vreg;
	struct vt_cap *cap = cap_of(reg, c);
	const struct cap_block_info *blocks;
	const struct cap_rec *recs;
	struct capr_cursor *cc;
	uint32_t nrecs;
	char err[256];
	size_t n;

	if (!cap)
		return;
	blocks = capview__blocks(c, &n);
	if (block >= n || (cap->seen[block] & VT_SEEN_RECS))
		return;
	/* the block whole (the caller's slice has only the records in its
	 * bounds), read again once: such blocks are few */
	cc = capr__cursor_new(capview__capr(c));
	if (cc && !capr__cursor_read(cc, &blocks[block], &recs, &nrecs, err, sizeof(err)))
		count_recs(reg, cap, block, recs, nrecs);
	capr__cursor_free(cc);
}

static int member_start(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur);

/* The payloads lie a record's width apart in a buffer the decoder filled a
 * while ago: ask for a later row's first lines now, so that xColumn does
 * not wait for memory on every row. */
static inline void prefetch_ahead(const struct bpfrec_cursor *cur)
{
	if (cur->ri + VT_PREFETCH < cur->nrecs) {
		const uint8_t *ahead = cur->recs[cur->ri + VT_PREFETCH].data;

		__builtin_prefetch(ahead);
		__builtin_prefetch(ahead + 64);
	}
}

static int group_take(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur)
	__attribute__((noinline));

/* Moves to the first matching record at or after (mi, bk, ri); a grouped
 * scan's rows (no records: recs NULL), to its next row. */
static int cur_advance(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur)
{
	struct vt_cap *cap = vt->m[cur->mi].cap;
	struct capview_stream *s = vt->m[cur->mi].s;
	const struct cap_block_info *blocks;
	size_t nblocks;

	if (cur->grp) {
		cur->growid++;
		if (cur->gleft > 1) {
			cur->gleft--;
			return SQLITE_OK;
		}
		return group_take(vt, cur);
	}

	blocks = capview__blocks(cap->c, &nblocks);
	for (;;) {
		const uint64_t id = (uint64_t)s->id, lo = cur->lo, hi = cur->hi;
		const uint32_t min_size = vt->m[cur->mi].min_size;

		while (cur->recs && cur->ri < cur->nrecs) {
			const struct cap_rec *r = &cur->recs[cur->ri];

			if (r->stream == id && r->ts_ns >= lo && r->ts_ns <= hi) {
				prefetch_ahead(cur);
				if (r->len >= min_size)   /* evtype__check */
					return SQLITE_OK;
				if (vt->strict)
					return vt_error(vt, SQLITE_CORRUPT,
							"bpfrec: %s: block %" PRId64 ": damaged record "
							"in stream %s: %" PRIu32 " bytes, type %s needs %"
							PRIu32, capview__path(cap->c), blocks[cur->bidx].id,
							s->name, r->len, evtype__name(s->et),
							evtype__min_size(s->et));
			}
			cur->ri++;
		}
		cur->recs = NULL;
		while (!cur->empty && cur->bk < s->nblocks &&
		       !cap_block__overlaps(s->blocks[cur->bk].min_ts, s->blocks[cur->bk].max_ts,
					    cur->lo, cur->hi))
			cur->bk++;
		if (cur->empty || cur->lo > cur->hi || cur->bk >= s->nblocks) {
			/* this capture is done: the next one, with its own bounds */
			if (++cur->mi >= vt->nm) {
				cur->mi = vt->nm - 1;
				cur->eof = 1;
				return SQLITE_OK;
			}
			if (member_start(vt, cur))
				return SQLITE_NOMEM;
			cap = vt->m[cur->mi].cap;
			s = vt->m[cur->mi].s;
			blocks = capview__blocks(cap->c, &nblocks);
			continue;
		}
		/* Ctrl-C, once a block: a scan whose blocks hold no row it
		 * hands out (other streams, records outside the ts bounds,
		 * damaged ones) stays in this loop, inside one xFilter or
		 * xNext, where SQLite never looks at its own interrupt. */
		if (vt->reg->opts.interrupted && vt->reg->opts.interrupted(vt->reg->opts.ctx))
			return vt_error(vt, SQLITE_INTERRUPT, "interrupted");
		cur->bidx = s->blocks[cur->bk++].idx;

		char err[512] = "";
		int rc = capr__cursor_read(cur->cur_cc, &blocks[cur->bidx], &cur->recs, &cur->nrecs,
					   err, sizeof(err));
		if (rc) {
			cur->recs = NULL;
			if (vt->strict)
				return vt_error(vt, SQLITE_CORRUPT, "bpfrec: block %" PRId64 " damaged: %s",
						blocks[cur->bidx].id, *err ? err : strerror(-rc));
			block_damaged(vt->reg, cap, cur->bidx, *err ? err : strerror(-rc));
			continue;
		}
		cur->ri = 0;
		cur->rec_stream = (uint64_t)s->id;
		cur->rec_min = vt->m[cur->mi].min_size;
		if (!vt->strict)
			count_damaged_recs(vt, cur);
	}
}

static void bound_lo(struct bpfrec_cursor *cur, uint64_t v)
{
	if (v > cur->lo)
		cur->lo = v;
}

static void bound_hi(struct bpfrec_cursor *cur, uint64_t v)
{
	if (v < cur->hi)
		cur->hi = v;
}

/* ts against an integer or real value; conservative for reals. */
static void ts_constraint(struct bpfrec_cursor *cur, char op, sqlite3_value *v)
{
	int type = sqlite3_value_type(v);
	double d;
	int64_t i;

	if (type == SQLITE_NULL) {
		cur->empty = 1;         /* a comparison with NULL is never true */
		return;
	}
	if (type == SQLITE_INTEGER) {
		i = sqlite3_value_int64(v);
		switch (op) {
		case '=':
			if (i < 0)
				cur->empty = 1;
			else
				bound_lo(cur, (uint64_t)i), bound_hi(cur, (uint64_t)i);
			break;
		case '>':
			if (i == INT64_MAX)
				cur->empty = 1;
			else if (i >= 0)
				bound_lo(cur, (uint64_t)i + 1);
			break;
		case 'g':
			if (i > 0)
				bound_lo(cur, (uint64_t)i);
			break;
		case '<':
			if (i <= 0)
				cur->empty = 1;
			else
				bound_hi(cur, (uint64_t)i - 1);
			break;
		case 'l':
			if (i < 0)
				cur->empty = 1;
			else
				bound_hi(cur, (uint64_t)i);
			break;
		}
		return;
	}
	if (type != SQLITE_FLOAT)
		return;                 /* text or blob: left to SQLite */
	/* A real: SQLite compares it with the integer ts exactly, and so do
	 * these bounds (a constraint on ts may be omitted, VT_IDX_EXACT, and
	 * its value still arrive here as a real: 2.001e+09).  Every double
	 * from 2^53 on is an integer, so floor and ceil are exact. */
	d = sqlite3_value_double(v);
	if (d != d)
		return;
	const double two63 = 9223372036854775808.0;
	double fl = floor(d), ce = ceil(d);
	switch (op) {
	case '=':
		if (d < 0 || d >= two63 || fl != d)
			cur->empty = 1;
		else
			bound_lo(cur, (uint64_t)d), bound_hi(cur, (uint64_t)d);
		break;
	case '>':
		if (d >= two63)
			cur->empty = 1;
		else if (d >= 0)
			bound_lo(cur, (uint64_t)fl + 1);
		break;
	case 'g':
		if (d >= two63)
			cur->empty = 1;
		else if (d > 0)
			bound_lo(cur, (uint64_t)ce);
		break;
	case '<':
		if (d <= 0)
			cur->empty = 1;
		else if (d < two63)
			bound_hi(cur, (uint64_t)ce - 1);
		break;
	case 'l':
		if (d < 0)
			cur->empty = 1;
		else if (d < two63)
			bound_hi(cur, (uint64_t)fl);
		break;
	}
}

/*
** time against text: the time column has the collation TIMEFMT_COLLATION
** (timefmt.h), so SQLite compares it with a text that names a time as
** instants: the canonical form or a prefix of it ('2024-05-01T12'), ISO
** 8601 with a space or a zone, SQLite's own datetime() form.  The value's
** instant t then bounds ts exactly.  Other texts compare as bytes and do
** not bound.
*/
static void time_constraint(const struct timeclock *ck, struct bpfrec_cursor *cur, char op,
			    sqlite3_value *v)
{
	int64_t wall;
	uint64_t ts;

	if (sqlite3_value_type(v) == SQLITE_NULL) {
		cur->empty = 1;
		return;
	}
	if (sqlite3_value_type(v) != SQLITE_TEXT)
		return;
	if (timefmt__parse_sql((const char *)sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v),
			       &wall))
		return;
	/* wall -> ts: below the boot clock's zero nothing can match an upper
	 * bound, and any lower bound is no bound. */
	int before = wall < ck->real_ns - ck->boot_ns;
	ts = before ? 0 : timeclock__ts(ck, wall);
	switch (op) {
	case '=':
		if (before)
			cur->empty = 1;
		bound_lo(cur, ts);
		bound_hi(cur, ts);
		break;
	case '>':
		bound_lo(cur, before ? 0 : ts + 1);
		break;
	case 'g':
		bound_lo(cur, ts);
		break;
	case '<':
		if (before || ts == 0)
			cur->empty = 1;
		else
			bound_hi(cur, ts - 1);
		break;
	case 'l':
		if (before)
			cur->empty = 1;
		else
			bound_hi(cur, ts);
		break;
	}
}

void vtab__ts_bound(const struct timeclock *ck, int is_time, char op, sqlite3_value *v,
		    uint64_t *lo, uint64_t *hi, int *empty)
{
	struct bpfrec_cursor tmp;

	tmp.lo = *lo;
	tmp.hi = *hi;
	tmp.empty = *empty;
	if (is_time)
		time_constraint(ck, &tmp, op, v);
	else
		ts_constraint(&tmp, op, v);
	*lo = tmp.lo;
	*hi = tmp.hi;
	*empty = tmp.empty;
}

char vtab__ts_op(unsigned char op)
{
	switch (op) {
	case SQLITE_INDEX_CONSTRAINT_EQ: return '=';
	case SQLITE_INDEX_CONSTRAINT_GT: return '>';
	case SQLITE_INDEX_CONSTRAINT_GE: return 'g';
	case SQLITE_INDEX_CONSTRAINT_LT: return '<';
	case SQLITE_INDEX_CONSTRAINT_LE: return 'l';
	}
	return 0;
}

/*
** xFilter: idxStr (from xBestIndex) says, two characters per argv[k], which
** column and operator argv[k] stands for; idxNum is its summary
** (VT_IDX_EQ | VT_IDX_LOWER | VT_IDX_UPPER, not needed here) and
** VT_IDX_EXACT: a ts constraint with an integer >= 0 was omitted, so the
** bounds are applied exactly and alone (SQLite does not compare ts again).  The
** constraints narrow [lo, hi] (inclusive ts); blocks whose records of this
** stream all fall outside are never read.
*/
/* Tells the cursor's decoder which payload words hold the columns the
 * statement reads (":%016llx" of colUsed; bit 63: column 63 and on), and
 * that only this stream's records are needed. */
static int want_columns(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur, const char *used_str)
{
	struct capview_stream *s = vt->m[cur->mi].s;
	uint32_t size = evtype__size(s->et), nwords = size / 8 + 1;
	struct block_want want = { .stream = (uint32_t)s->id };
	unsigned long long used = used_str && *used_str ? strtoull(used_str + 1, NULL, 16) : ~0ull;

	if (size && !(used & (1ull << 63))) {
		if (!cur->words || cur->nwords < nwords) {
			sqlite3_free(cur->words);
			cur->words = sqlite3_malloc64(((nwords + 63) / 64) * sizeof(uint64_t));
			if (!cur->words)
				return -ENOMEM;
		}
		memset(cur->words, 0, ((nwords + 63) / 64) * sizeof(uint64_t));
		cur->nwords = nwords;
		for (size_t i = 0; i < s->ncols && CAPVIEW_NCOMMON + i < 63; i++) {
			const struct evcol *col = evtype__col(s->et, i);
			uint32_t first, last;

			if (!(used >> (CAPVIEW_NCOMMON + i) & 1))
				continue;
			if (col->trailing && !col->byte_size) {
				/* a flexible array runs past the type's words */
				capr__cursor_want(cur->cur_cc, &want);
				return 0;
			}
			if (!col->bit_size)
				continue;
			first = col->bit_offset / 64;
			last = (col->bit_offset + col->bit_size - 1) / 64;
			for (uint32_t w = first; w <= last && w < nwords; w++)
				cur->words[w / 64] |= 1ull << (w % 64);
		}
		want.words = cur->words;
		want.nwords = nwords;
		want.compact = true;   /* xColumn reads only the wanted words */
	}
	capr__cursor_want(cur->cur_cc, &want);
	return 0;
}

/* Starts reading member cur->mi: its own decoding cursor, the kept
 * constraints turned into its ts bounds (time through its own clock), and
 * the columns wanted.  0 or -ENOMEM. */
static int member_start(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur)
{
	struct vt_member *mb = &vt->m[cur->mi];

	if (!cur->cc[cur->mi] && !(cur->cc[cur->mi] = capr__cursor_new(capview__capr(mb->cap->c))))
		return -ENOMEM;
	cur->cur_cc = cur->cc[cur->mi];
	cur->lo = 0;
	cur->hi = UINT64_MAX;
	cur->empty = 0;
	cur->bk = 0;
	cur->recs = NULL;
	cur->nrecs = cur->ri = 0;
	for (int k = 0; k < cur->nargs; k++) {
		if (cur->ops[2 * k] == 't')
			ts_constraint(cur, cur->ops[2 * k + 1], cur->args[k]);
		else
			time_constraint(&capview__session(mb->cap->c)->clock, cur, cur->ops[2 * k + 1],
					cur->args[k]);
	}
	/* an omitted constraint (VT_IDX_EXACT) is ours alone to apply: the
	 * bounds are exact for ts up to 2^63-1, and above it SQL's ts is
	 * negative, which no bound >= 0 lets through */
	if (cur->exact)
		bound_hi(cur, INT64_MAX);
	return want_columns(vt, cur, cur->used);
}


static int group_start(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur, int idxnum);
static int group_pass(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur);
static int vt_filter(sqlite3_vtab_cursor *vc, int idxNum, const char *idxStr, int argc,
		     sqlite3_value **argv)
{
	struct bpfrec_cursor *cur = (struct bpfrec_cursor *)vc;
	struct bpfrec_vtab *vt = (struct bpfrec_vtab *)vc->pVtab;

	const char *used = idxStr ? strchr(idxStr, ':') : NULL;

	drop_args(cur);
	cur->eof = 0;
	cur->mi = 0;
	cur->exact = (idxNum & VT_IDX_EXACT) != 0;
	for (int k = 0; idxStr && k < argc && k < VT_MAX_ARGS && idxStr[2 * k] &&
	     idxStr[2 * k] != ':'; k++) {
		cur->ops[2 * k] = idxStr[2 * k];
		cur->ops[2 * k + 1] = idxStr[2 * k + 1];
		if (!(cur->args[k] = sqlite3_value_dup(argv[k])))
			return SQLITE_NOMEM;
		cur->nargs = k + 1;
	}
	snprintf(cur->used, sizeof(cur->used), "%.17s", used ? used : "");
	cur->ngorder = 0;
	for (const char *o = used ? strchr(used, '/') : NULL; o && o[1] && o[2] && o[3] &&
	     cur->ngorder < 64; o += 3) {
		char hex[3] = { o[1], o[2], 0 };

		cur->gorder[cur->ngorder] = (uint32_t)strtoul(hex, NULL, 16);
		cur->gdesc[cur->ngorder++] = o[3] == 'd';
	}
	cur->grp = 0;
	if (idxNum & VT_IDX_GROUP) {
		/* count first, then hand out: SQLite sorts nothing */
		int rc = group_start(vt, cur, idxNum);

		if (rc || (rc = group_pass(vt, cur)))
			return rc;
		cur->grp = 1;
		return group_take(vt, cur);
	}
	if (member_start(vt, cur))
		return SQLITE_NOMEM;
	return cur_advance(vt, cur);
}

/* The next matching record (the scan's step, grouped or not). */
static inline int cur_next(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur)
{
	cur->ri++;
	/* The common case, the block's next record matches, as cur_advance's
	 * loop would find it without its per-call set-up. */
	if (cur->recs && cur->ri < cur->nrecs) {
		const struct cap_rec *r = &cur->recs[cur->ri];

		if (r->stream == cur->rec_stream && r->ts_ns >= cur->lo && r->ts_ns <= cur->hi &&
		    r->len >= cur->rec_min) {
			prefetch_ahead(cur);
			return SQLITE_OK;
		}
	}
	return cur_advance(vt, cur);
}

static int vt_next(sqlite3_vtab_cursor *vc)
{
	/* (a grouped scan's rows have no records: cur_advance hands them) */
	return cur_next((struct bpfrec_vtab *)vc->pVtab, (struct bpfrec_cursor *)vc);
}

static int vt_eof(sqlite3_vtab_cursor *vc)
{
	return ((struct bpfrec_cursor *)vc)->eof;
}

/* Column i of the current record as a value: texts and blobs point into
 * the record, the cursor or the evtype's scratch space, valid until the
 * next call. */
static inline __attribute__((always_inline)) void
row_value(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur, int i, struct vgval *out)
{
	const struct cap_rec *r = &cur->recs[cur->ri];
	const struct vt_member *mb = &vt->m[cur->mi];
	struct evval v;

	if ((size_t)i - CAPVIEW_NCOMMON < vt->nfields) {
		/* in place, when the bytes are the value (evfast.h); first:
		 * the columns a scan reads on every row */
		const struct evfast *f = &mb->fast[i - CAPVIEW_NCOMMON];
		const char *text;
		size_t len;

		switch (f->kind) {
		case EVFAST_INT:
			out->type = VG_INT;
			out->i = (int64_t)evfast__bits(f, r->data);
			return;
		case EVFAST_BOOL:
			out->type = VG_INT;
			out->i = evfast__bits(f, r->data) != 0;
			return;
		case EVFAST_TEXT:
			if (!evfast__text(f, r->data, &text, &len)) {
				out->type = VG_TEXT;
				out->p = text;
				out->n = len;
				return;
			}
			break;
		}
	}
	if (vt->multi && i >= CAPVIEW_NCOMMON + (int)vt->nfields) {
		const char *host = capview__session(mb->cap->c)->host;
		const char *t = i == CAPVIEW_NCOMMON + (int)vt->nfields ? (host ? host : "") : mb->name;

		out->type = VG_TEXT;
		out->p = t;
		out->n = strlen(t);
		return;
	}
	switch (i) {
	case 0:
		out->type = VG_INT;
		out->i = (int64_t)r->ts_ns;
		return;
	case 1:
		timefmt__iso(timeclock__wall(&capview__session(mb->cap->c)->clock, r->ts_ns),
			     cur->timebuf, sizeof(cur->timebuf));
		out->type = VG_TEXT;
		out->p = cur->timebuf;
		out->n = TIMEFMT_LEN;
		return;
	case 2:
		out->type = r->cpu == CAP_CPU_UNKNOWN ? VG_NULL : VG_INT;
		out->i = r->cpu;
		return;
	case 3:
		out->type = VG_TEXT;
		out->p = mb->s->name;
		out->n = strlen(mb->s->name);
		return;
	}
	if (evtype__decode(mb->s->et, (size_t)i - CAPVIEW_NCOMMON, r->data, r->len, &v) || v.is_null) {
		out->type = VG_NULL;
		return;
	}
	switch (v.kind) {
	case EVCOL_INT:
	case EVCOL_BOOL:
	case EVCOL_UINT:                /* above 2^63-1: the same 64 bits, negative */
		out->type = VG_INT;
		out->i = v.i;
		break;
	case EVCOL_FLOAT:
		out->type = VG_FLOAT;
		out->f = v.f;
		break;
	case EVCOL_BYTES:
		out->type = VG_BLOB;
		out->p = v.blob;
		out->n = v.blob_len;
		break;
	default:
		out->type = VG_TEXT;
		out->p = v.text;
		out->n = v.text_len;
	}
}

static int vt_column(sqlite3_vtab_cursor *vc, sqlite3_context *ctx, int i)
{
	struct bpfrec_cursor *cur = (struct bpfrec_cursor *)vc;
	struct vgval v;

	if (__builtin_expect(cur->grp, 0)) {
		/* a grouped scan's row: its tuple's value */
		if (cur->gslot[i] < 0)
			v.type = VG_NULL;       /* not read (colUsed): never asked */
		else
			v = cur->gv[cur->gslot[i]];
	} else {
		row_value((struct bpfrec_vtab *)vc->pVtab, cur, i, &v);
	}
	switch (v.type) {
	case VG_INT:
		sqlite3_result_int64(ctx, v.i);
		break;
	case VG_TEXT:
		sqlite3_result_text64(ctx, v.p, v.n, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case VG_BLOB:
		sqlite3_result_blob64(ctx, v.p, v.n, SQLITE_TRANSIENT);
		break;
	case VG_FLOAT:
		sqlite3_result_double(ctx, v.f);
		break;
	default:
		sqlite3_result_null(ctx);
	}
	return SQLITE_OK;
}

/* ---- grouped scans (VT_IDX_GROUP) ---- */

static size_t group_bytes(const struct bpfrec_vtab *vt)
{
	return vt->reg->opts.group_bytes ? vt->reg->opts.group_bytes : VT_GROUP_BYTES;
}

int vtab__interrupted(void *vreg)
{
	const struct vtab_reg *reg = vreg;

	return reg->opts.interrupted && reg->opts.interrupted(reg->opts.ctx);
}

void vtab__block_damaged(void *vreg, struct capview *c, size_t block, const char *why)
{
	struct vtab_reg *reg = vreg;
	struct vt_cap *cap = cap_of(reg, c);
	size_t n;

	if (cap && capview__blocks(c, &n) && block < n)
		block_damaged(reg, cap, block, why);
}

/* Column c's name, for a message. */
static const char *col_label(const struct bpfrec_vtab *vt, int c)
{
	const struct capview_stream *s = vt->m[0].s;

	if (c < CAPVIEW_NCOMMON)
		return capview_common_cols[c];
	if ((size_t)c - CAPVIEW_NCOMMON < s->ncols)
		return s->cols[c - CAPVIEW_NCOMMON];
	return (size_t)c - CAPVIEW_NCOMMON - s->ncols ? "capture" : "host";
}

/* Counts the distinct rows of the whole scan into g: when they would
 * pass the memory a pass has, g's tuples go to a sorted run on disk
 * (vtgroup__spill) and counting goes on; then the runs are merged in the
 * order SQLite asked (vtgroup__merge_start).  One scan of the capture
 * however many distinct rows. */
static int group_pass(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur)
{
	uint64_t rows = 0;
	int rc, e;

	vtgroup__reset(cur->g);
	cur->mi = 0;
	cur->eof = 0;
	if (member_start(vt, cur))
		return SQLITE_NOMEM;
	rc = cur_advance(vt, cur);
	while (rc == SQLITE_OK && !cur->eof) {
		vtgroup__key_start(cur->g);
		for (size_t j = 0; j < cur->ngcols; j++) {
			struct vgval v;

			row_value(vt, cur, cur->gcols[j], &v);
			if ((e = vtgroup__key_put(cur->g, &v)))
				return e == -ENOMEM ? SQLITE_NOMEM :
					vt_error(vt, SQLITE_TOOBIG, "bpfrec: %s: a row whose grouped "
						 "columns up to %s take more than the grouped scan's "
						 "memory (%llu KiB): too large to group by",
						 vt->m[cur->mi].s->name, col_label(vt, cur->gcols[j]),
						 (unsigned long long)group_bytes(vt) >> 10);
		}
		vtgroup__key_hash(cur->g);
		e = vtgroup__add(cur->g);
		if (e == -E2BIG) {
			if ((e = vtgroup__spill(cur->g)))
				return e == -ENOMEM ? SQLITE_NOMEM :
					vt_error(vt, SQLITE_IOERR, "bpfrec: grouped scan: a temporary "
						 "file: %s", *vtgroup__spill_error(cur->g) ?
						 vtgroup__spill_error(cur->g) : strerror(-e));
			e = vtgroup__add(cur->g);
		}
		if (e)
			return e == -ENOMEM ? SQLITE_NOMEM :
				vt_error(vt, SQLITE_TOOBIG, "bpfrec: %s: one distinct row is larger "
					 "than %llu KiB", vt->m[cur->mi].s->name,
					 (unsigned long long)group_bytes(vt) >> 10);
		if (!(++rows & 1023) && vt->reg->opts.interrupted &&
		    vt->reg->opts.interrupted(vt->reg->opts.ctx))
			return vt_error(vt, SQLITE_INTERRUPT, "interrupted");
		rc = cur_next(vt, cur);
	}
	if (rc)
		return rc;
	if ((e = vtgroup__merge_start(cur->g)))
		return e == -ENOMEM ? SQLITE_NOMEM :
		       e == -EINTR ? vt_error(vt, SQLITE_INTERRUPT, "interrupted") :
			vt_error(vt, SQLITE_IOERR, "bpfrec: grouped scan: a temporary file: %s",
				 strerror(-e));
	cur->eof = 0;
	cur->recs = NULL;   /* (so too at the scan's end) */
	return SQLITE_OK;
}

/* The next tuple to hand out, or eof. */
static int group_take(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur)
{
	uint64_t n;
	int rc = vtgroup__merge_next(cur->g, cur->gv, &n);

	if (rc < 0)
		return rc == -ENOMEM ? SQLITE_NOMEM :
			vt_error(vt, SQLITE_IOERR, "bpfrec: grouped scan: a temporary file: %s",
				 strerror(-rc));
	if (!rc)
		cur->eof = 1;
	else
		cur->gleft = cur->grp_distinct ? 1 : n;
	return SQLITE_OK;
}

/* A grouped scan's set-up: the columns read (colUsed, from used_str), a
 * table for their tuples. */
static int group_start(struct bpfrec_vtab *vt, struct bpfrec_cursor *cur, int idxnum)
{
	unsigned long long used = *cur->used ? strtoull(cur->used + 1, NULL, 16) : 0;
	size_t ncols = CAPVIEW_NCOMMON + vt->nfields + (vt->multi ? 2 : 0);

	vtgroup__free(cur->g);
	sqlite3_free(cur->gcols);
	sqlite3_free(cur->gv);
	sqlite3_free(cur->gslot);
	cur->g = NULL;
	cur->gcols = NULL;
	cur->gv = NULL;
	cur->gslot = NULL;
	cur->ngcols = 0;
	cur->gcols = sqlite3_malloc64(64 * sizeof(*cur->gcols));
	cur->gv = sqlite3_malloc64(64 * sizeof(*cur->gv));
	cur->gslot = sqlite3_malloc64(ncols * sizeof(*cur->gslot));
	if (!cur->gcols || !cur->gv || !cur->gslot)
		return SQLITE_NOMEM;
	for (size_t c = 0; c < ncols; c++)
		cur->gslot[c] = -1;
	for (int c = 0; c < 63 && (size_t)c < ncols; c++) {
		if (!(used >> c & 1))
			continue;
		cur->gslot[c] = (int)cur->ngcols;
		cur->gcols[cur->ngcols++] = c;
	}
	if (!(cur->g = vtgroup__new(cur->ngcols, group_bytes(vt))))
		return SQLITE_NOMEM;
	if (vt->reg->opts.interrupted)
		vtgroup__on_stop(cur->g, vt->reg->opts.interrupted, vt->reg->opts.ctx);
	/* the order SQLite asked for, by the tuple's columns.  A column
	 * may come twice (GROUP BY a, b, a; ORDER BY a, a DESC): its first
	 * term orders it, a later one ties on nothing, and is dropped
	 * (vtgroup__order takes each column once: at most ncols terms). */
	uint32_t ord[64];
	uint8_t desc[64], seen[64] = { 0 };
	size_t nord = 0;
	for (size_t k = 0; k < cur->ngorder; k++) {
		uint32_t c = cur->gorder[k];

		if (c >= ncols || cur->gslot[c] < 0)
			return vt_error(vt, SQLITE_INTERNAL, "bpfrec: grouped scan: order on column "
					"%u, which the statement does not read", c);
		if (seen[cur->gslot[c]]++)
			continue;
		desc[nord] = cur->gdesc[k];
		ord[nord++] = (uint32_t)cur->gslot[c];
	}
	if (vtgroup__order(cur->g, ord, desc, nord))
		return vt_error(vt, SQLITE_INTERNAL, "bpfrec: grouped scan: bad order");
	cur->grp_distinct = (idxnum & VT_IDX_DISTINCT) != 0;
	cur->growid = 0;
	return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *vc, sqlite3_int64 *rowid)
{
	struct bpfrec_cursor *cur = (struct bpfrec_cursor *)vc;

	if (cur->grp)
		*rowid = cur->growid;   /* the rows handed out so far: distinct */
	else
		*rowid = (sqlite3_int64)((uint64_t)cur->mi << 56 ^ ((uint64_t)cur->bidx << 32 | cur->ri));
	return SQLITE_OK;
}

static sqlite3_module bpfrec_module = {
	.iVersion = 0,
	.xCreate = vt_connect,
	.xConnect = vt_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xDestroy = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = vt_filter,
	.xNext = vt_next,
	.xEof = vt_eof,
	.xColumn = vt_column,
	.xRowid = vt_rowid,
};

/* ---- metadata tables and bpfrec_attach() ---- */

/* Runs one statement bpfrec built on the host connection: prepared alone
 * (a tail would be a second statement: refused, never run), stepped once.
 * Its text is bpfrec's own, with identifiers that passed a grammar (stream
 * names: capname.h) or came from the caller, always quoted. */
static int run_one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc;

	if (!sql)
		return SQLITE_NOMEM;
	rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
	if (rc == SQLITE_OK && (!st || (tail && *tail))) {
		sqlite3_finalize(st);
		return SQLITE_MISUSE;
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
		rc = sqlite3_finalize(st) != SQLITE_OK && rc == SQLITE_OK ? SQLITE_ERROR : rc;
	}
	return rc;
}

/* One metadata table: its columns are declared here, by bpfrec, whatever
 * the capture's own schema says (no name or type from the file is pasted
 * into SQL); the query fills the first ncols of them, then come the wall
 * times of timecols and, for streams, the SQL table's name. */
struct meta_spec {
	const char *table;
	const char *cols;               /* the DDL's column list */
	size_t ncols;                   /* how many columns cols declares */
	const char *sql;                /* on the capture's index */
	const int *timecols;            /* query columns to add a wall time for */
	size_t ntime;
	int table_name;                 /* streams: add table_name */
	const char *needs;              /* a table older captures lack: then empty */
};

struct copy {
	struct vtab_reg *reg;
	struct vt_cap *cap;
	const char *schema;
	const struct meta_spec *spec;
	const char *capture;            /* several captures: a capture column, or NULL */
	int append;                     /* the table exists: rows of a further capture */
	sqlite3_stmt *ins;
	char *err;
};

static int copy_row(void *ctx, size_t ncols, const struct pval *vals)
{
	struct copy *cp = ctx;
	const struct meta_spec *sp = cp->spec;
	sqlite3 *db = cp->reg->db;
	int k = 1;

	if (ncols + sp->ntime + (sp->table_name ? 1 : 0) != sp->ncols) {
		cp->err = sqlite3_mprintf("bpfrec: table %s: %zu columns from the index, %zu "
					  "declared", sp->table, ncols, sp->ncols);
		return SQLITE_ERROR;
	}
	if (!vals)
		return 0;               /* the header: the table is made by copy_begin */
	sqlite3_reset(cp->ins);
	sqlite3_clear_bindings(cp->ins);
	for (size_t i = 0; i < ncols; i++, k++) {
		const struct pval *v = &vals[i];
		switch (v->kind) {
		case PV_INT: sqlite3_bind_int64(cp->ins, k, v->i); break;
		case PV_REAL: sqlite3_bind_double(cp->ins, k, v->f); break;
		case PV_TEXT:
			sqlite3_bind_text64(cp->ins, k, v->s, v->len, SQLITE_TRANSIENT, SQLITE_UTF8);
			break;
		case PV_BLOB: sqlite3_bind_blob64(cp->ins, k, v->s, v->len, SQLITE_TRANSIENT); break;
		default: sqlite3_bind_null(cp->ins, k);
		}
	}
	for (size_t i = 0; i < sp->ntime; i++, k++) {
		const struct pval *v = &vals[sp->timecols[i]];
		char tb[TIMEFMT_LEN + 1];
		if (v->kind != PV_INT) {
			sqlite3_bind_null(cp->ins, k);
			continue;
		}
		timefmt__iso(timeclock__wall(&capview__session(cp->cap->c)->clock, (uint64_t)v->i), tb,
			     sizeof(tb));
		sqlite3_bind_text(cp->ins, k, tb, -1, SQLITE_TRANSIENT);
	}
	if (sp->table_name) {
		struct capview_stream *s = vals[0].kind == PV_INT ?
					capview__stream_by_id(cp->cap->c, vals[0].i) : NULL;
		if (s)
			sqlite3_bind_text(cp->ins, k, s->table, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(cp->ins, k);
		k++;
	}
	if (cp->capture)
		sqlite3_bind_text(cp->ins, k, cp->capture, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(cp->ins) != SQLITE_DONE) {
		cp->err = sqlite3_mprintf("bpfrec: table %s.%s: %s", cp->schema, sp->table,
					  sqlite3_errmsg(db));
		return SQLITE_ERROR;
	}
	return 0;
}

/* Creates sp's table in schema and prepares its INSERT. */
static int copy_begin(struct copy *cp)
{
	const struct meta_spec *sp = cp->spec;
	sqlite3 *db = cp->reg->db;
	sqlite3_str *ins = sqlite3_str_new(db);
	char *sql;
	int rc;

	sql = sqlite3_mprintf("CREATE TABLE \"%w\".\"%w\"(%s%s)", cp->schema, sp->table, sp->cols,
			      cp->capture ? ", capture TEXT" : "");
	rc = cp->append ? (sql ? SQLITE_OK : SQLITE_NOMEM) : run_one(db, sql);
	sqlite3_free(sql);
	sqlite3_str_appendf(ins, "INSERT INTO \"%w\".\"%w\" VALUES(", cp->schema, sp->table);
	for (size_t i = 0; i < sp->ncols + (cp->capture ? 1 : 0); i++)
		sqlite3_str_appendall(ins, i ? ", ?" : "?");
	sqlite3_str_appendall(ins, ")");
	sql = sqlite3_str_finish(ins);
	if (rc == SQLITE_OK) {
		const char *tail = NULL;
		rc = sql ? sqlite3_prepare_v2(db, sql, -1, &cp->ins, &tail) : SQLITE_NOMEM;
		if (rc == SQLITE_OK && (!cp->ins || (tail && *tail)))
			rc = SQLITE_MISUSE;
	}
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		cp->err = sqlite3_mprintf("bpfrec: table %s.%s: %s", cp->schema, sp->table,
					  sqlite3_errmsg(db));
	return rc;
}

/* A wall-time column: compared as an instant (timefmt.h). */
#define VT_TIME "TEXT COLLATE " TIMEFMT_COLLATION

static int count_row(void *ctx, size_t ncols, const struct pval *vals)
{
	(void)ncols;
	if (vals)       /* NULL: the call before the rows */
		(*(int *)ctx)++;
	return 0;
}

/* 1 if the capture's index has table name (a name of bpfrec's, bound by
 * being a literal here). */
static int has_table(struct capview *c, const char *name)
{
	char sql[128], e[256];
	int n = 0;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
		 "name = '%s'", name);
	return !capview__query(c, sql, count_row, &n, e, sizeof(e)) && n > 0;
}

static int copy_meta(struct vtab_reg *reg, struct vt_cap *cap, const char *schema,
		     const char *capture, int append, char **err)
{
	static const int t_sess[] = { 8, 9 }, t_loss[] = { 4 }, t_blk[] = { 6, 7 },
			 t_win[] = { 3, 4 };
	static const struct meta_spec specs[] = {
		{ "sessions", "id INTEGER, host TEXT, kernel_release TEXT, boot_id TEXT, cmdline TEXT,"
		  " tool_version TEXT, clock_boot_ns INTEGER, clock_real_ns INTEGER, start_ns INTEGER,"
		  " end_ns INTEGER, start_time " VT_TIME ", end_time " VT_TIME, 12,
		  "SELECT id, host, kernel_release, boot_id, cmdline, tool_version,"
		  " clock_boot_ns, clock_real_ns, start_ns, end_ns FROM sessions ORDER BY id",
		  t_sess, 2, 0 },
		{ "streams", "id INTEGER, name TEXT, kind TEXT, object_id INTEGER, map_name TEXT,"
		  " type_name TEXT, type_id INTEGER, ts_offset INTEGER, nrecords INTEGER, lost INTEGER,"
		  " table_name TEXT", 11,
		  "SELECT s.id, s.name, s.kind, s.object_id, s.map_name, s.type_name,"
		  " s.type_id, s.ts_offset,"
		  " (SELECT coalesce(sum(b.nrecords), 0) FROM block_streams b WHERE b.stream_id = s.id),"
		  " (SELECT coalesce(sum(l.count), 0) FROM losses l WHERE l.stream_id = s.id)"
		  " FROM streams s ORDER BY s.id", NULL, 0, 1 },
		{ "losses", "id INTEGER, stream_id INTEGER, stream TEXT, cpu INTEGER, ts INTEGER,"
		  " count INTEGER, time " VT_TIME, 7,
		  "SELECT l.id, l.stream_id, s.name, l.cpu, l.ts, l.count"
		  " FROM losses l LEFT JOIN streams s ON s.id = l.stream_id ORDER BY l.ts, l.id",
		  t_loss, 1, 0 },
		{ "blocks", "id INTEGER, segment_id INTEGER, offset INTEGER, enc_bytes INTEGER,"
		  " raw_bytes INTEGER, nrecords INTEGER, min_ts INTEGER, max_ts INTEGER,"
		  " min_time " VT_TIME ", max_time " VT_TIME, 10,
		  "SELECT id, segment_id, offset, enc_bytes, raw_bytes, nrecords, min_ts,"
		  " max_ts FROM blocks ORDER BY id", t_blk, 2, 0 },
		{ "block_streams", "block_id INTEGER, stream_id INTEGER, nrecords INTEGER,"
		  " min_ts INTEGER, max_ts INTEGER", 5,
		  "SELECT block_id, stream_id, nrecords, min_ts, max_ts"
		  " FROM block_streams ORDER BY block_id, stream_id", NULL, 0, 0 },
		{ "objects", "id INTEGER, name TEXT, path TEXT, btf_bytes INTEGER", 4,
		  "SELECT id, name, path, length(btf) FROM objects ORDER BY id", NULL, 0, 0 },
		{ "programs", "id INTEGER, object_id INTEGER, object TEXT, name TEXT, section TEXT,"
		  " type TEXT, state TEXT, target TEXT, reason TEXT, stream_id INTEGER, stream TEXT", 11,
		  "SELECT p.id, p.object_id, o.name, p.name, p.section, p.type, p.state, p.target,"
		  " p.reason, p.stream_id, s.name FROM programs p LEFT JOIN objects o ON"
		  " o.id = p.object_id LEFT JOIN streams s ON s.id = p.stream_id ORDER BY p.id",
		  NULL, 0, 0, "programs" },
		{ "stream_loss", "stream_id INTEGER, stream TEXT, method TEXT, ring_bytes INTEGER", 4,
		  "SELECT l.stream_id, s.name, l.method, l.ring_bytes FROM stream_loss l"
		  " LEFT JOIN streams s ON s.id = l.stream_id ORDER BY l.stream_id",
		  NULL, 0, 0, "stream_loss" },
		{ "loss_windows", "id INTEGER, stream_id INTEGER, stream TEXT, start_ns INTEGER,"
		  " end_ns INTEGER, peak_bytes INTEGER, start_time " VT_TIME ", end_time " VT_TIME, 8,
		  "SELECT w.id, w.stream_id, s.name, w.start_ns, w.end_ns, w.peak_bytes"
		  " FROM loss_windows w LEFT JOIN streams s ON s.id = w.stream_id"
		  " ORDER BY w.start_ns, w.id", t_win, 2, 0, "loss_windows" },
	};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct copy cp = { .reg = reg, .cap = cap, .schema = schema, .spec = &specs[i],
				   .capture = capture, .append = append };
		char e[512] = "";
		int rc = copy_begin(&cp);

		if (rc == SQLITE_OK && (!specs[i].needs || has_table(cap->c, specs[i].needs)))
			rc = capview__query(cap->c, specs[i].sql, copy_row, &cp, e, sizeof(e));
		sqlite3_finalize(cp.ins);
		if (rc) {
			*err = cp.err ? cp.err : sqlite3_mprintf("bpfrec: %s", *e ? e : "cannot copy index");
			return SQLITE_ERROR;
		}
	}
	return SQLITE_OK;
}

/* stacks and frames: every stack of the capture, named from its own symbol
 * tables (symb.h); empty for a capture without stacks. */
struct stk_copy {
	sqlite3 *db;
	const struct symb *sy;
	sqlite3_stmt *st_stack, *st_frame;
	struct strbuf text;
	const char *capture;            /* several captures: the capture column */
};

static int copy_one_stack(void *ctx, int64_t id, int kernel, int64_t pid)
{
	struct stk_copy *sc = ctx;
	uint32_t n, d;
	int k;
	const uint64_t *ips = symb__stack(sc->sy, id, &k, &n);

	sc->text.len = 0;
	for (d = 0; ips && d < n; d++) {
		struct symb_frame f;
		sqlite3_stmt *st = sc->st_frame;

		symb__frame(sc->sy, kernel, (uint32_t)pid, ips, d, &f);
		if ((d && strbuf__add(&sc->text, " <- ", 4)) || symb__frame_text(&f, &sc->text))
			return SQLITE_NOMEM;
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_int64(st, 1, id);
		if (pid >= 0)
			sqlite3_bind_int64(st, 2, pid);
		sqlite3_bind_text(st, 3, kernel ? "kernel" : "user", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, d);
		sqlite3_bind_int64(st, 5, (int64_t)f.addr);
		if (f.symbol) {
			sqlite3_bind_text(st, 6, f.symbol, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 7, (int64_t)f.offset);
		} else {
			sqlite3_bind_text(st, 6, "[unknown]", -1, SQLITE_STATIC);
		}
		if (f.file)
			sqlite3_bind_text(st, 8, f.file, -1, SQLITE_TRANSIENT);
		if (f.build_id)
			sqlite3_bind_text(st, 9, f.build_id, -1, SQLITE_TRANSIENT);
		if (f.src) {
			sqlite3_bind_int64(st, 10, f.line);
			sqlite3_bind_text(st, 11, f.src, -1, SQLITE_TRANSIENT);
		}
		if (sc->capture)
			sqlite3_bind_text(st, 12, sc->capture, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			return SQLITE_ERROR;
	}
	sqlite3_reset(sc->st_stack);
	sqlite3_clear_bindings(sc->st_stack);
	sqlite3_bind_int64(sc->st_stack, 1, id);
	sqlite3_bind_text(sc->st_stack, 2, kernel ? "kernel" : "user", -1, SQLITE_STATIC);
	if (pid >= 0)
		sqlite3_bind_int64(sc->st_stack, 3, pid);
	sqlite3_bind_int64(sc->st_stack, 4, n);
	sqlite3_bind_text(sc->st_stack, 5, sc->text.len ? sc->text.buf : "", (int)sc->text.len,
			  SQLITE_TRANSIENT);
	if (sc->capture)
		sqlite3_bind_text(sc->st_stack, 6, sc->capture, -1, SQLITE_TRANSIENT);
	return sqlite3_step(sc->st_stack) == SQLITE_DONE ? 0 : SQLITE_ERROR;
}

static int copy_stacks(struct vtab_reg *reg, struct vt_cap *cap, const char *schema,
		       const char *capture, int append, char **err)
{
	struct stk_copy sc = { .db = reg->db, .capture = capture };
	const char *cc = capture ? ", capture TEXT" : "";
	struct symb *sy = NULL;
	char e[512] = "", *sql;
	int rc;

	if (capview__symb(cap->c, &sy, e, sizeof(e)))
		reg_warn(reg, "%s: stacks not named: %s", cap->path, e);
	sc.sy = sy;
	/* one statement each, prepared alone (run_one) */
	sql = sqlite3_mprintf("CREATE TABLE \"%w\".stacks(id INTEGER, kind TEXT, pid INTEGER,"
			      " depth INTEGER, frames TEXT%s)", schema, cc);
	rc = !sql ? SQLITE_NOMEM : append ? SQLITE_OK : run_one(reg->db, sql);
	sqlite3_free(sql);
	sql = rc != SQLITE_OK ? NULL :
	      sqlite3_mprintf("CREATE TABLE \"%w\".frames(stack_id INTEGER, pid INTEGER, kind TEXT,"
			      " depth INTEGER, address INTEGER, symbol TEXT, offset INTEGER, file TEXT,"
			      " build_id TEXT, line INTEGER, source TEXT%s)", schema, cc);
	if (rc == SQLITE_OK)
		rc = !sql ? SQLITE_NOMEM : append ? SQLITE_OK : run_one(reg->db, sql);
	sqlite3_free(sql);
	if (rc == SQLITE_OK && sy) {
		char *ins1 = sqlite3_mprintf("INSERT INTO \"%w\".stacks VALUES (?1,?2,?3,?4,?5%s)",
					     schema, capture ? ",?6" : "");
		char *ins2 = sqlite3_mprintf("INSERT INTO \"%w\".frames VALUES "
					     "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11%s)", schema,
					     capture ? ",?12" : "");

		rc = ins1 && ins2 ? SQLITE_OK : SQLITE_NOMEM;
		if (rc == SQLITE_OK)
			rc = sqlite3_prepare_v2(reg->db, ins1, -1, &sc.st_stack, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_prepare_v2(reg->db, ins2, -1, &sc.st_frame, NULL);
		if (rc == SQLITE_OK)
			rc = symb__each(sy, copy_one_stack, &sc);
		sqlite3_free(ins1);
		sqlite3_free(ins2);
		sqlite3_finalize(sc.st_stack);
		sqlite3_finalize(sc.st_frame);
		strbuf__free(&sc.text);
	}
	if (rc != SQLITE_OK)
		*err = sqlite3_mprintf("bpfrec: tables stacks, frames: %s", sqlite3_errmsg(reg->db));
	return rc;
}

/* users and groups: the recording host's names for uids and gids, as the
 * loader kept them (idnames.h: hostile rows left out), not the raw rows. */
static int copy_idnames(struct vtab_reg *reg, struct vt_cap *cap, const char *schema,
			const char *capture, int append, char **err)
{
	static const char *const tables[2] = { "users", "groups" }, *const idcol[2] = { "uid", "gid" };
	struct idnames *ids = NULL;
	char e[512] = "";
	int rc = SQLITE_OK;

	if (capview__idnames(cap->c, &ids, e, sizeof(e)))
		reg_warn(reg, "%s: uids and gids not named: %s", cap->path, e);
	for (int k = 0; k < 2 && rc == SQLITE_OK; k++) {
		sqlite3_stmt *ins = NULL;
		char *sql = sqlite3_mprintf("CREATE TABLE \"%w\".%s(%s INTEGER, name TEXT%s)", schema,
					    tables[k], idcol[k], capture ? ", capture TEXT" : "");
		const char *name;
		uint32_t id;

		rc = !sql ? SQLITE_NOMEM : append ? SQLITE_OK : run_one(reg->db, sql);
		sqlite3_free(sql);
		sql = rc != SQLITE_OK ? NULL :
		      sqlite3_mprintf("INSERT INTO \"%w\".%s VALUES (?1, ?2%s)", schema, tables[k],
				      capture ? ", ?3" : "");
		if (rc == SQLITE_OK)
			rc = !sql ? SQLITE_NOMEM : sqlite3_prepare_v2(reg->db, sql, -1, &ins, NULL);
		sqlite3_free(sql);
		for (size_t i = 0; rc == SQLITE_OK && (name = idnames__at(ids, k, i, &id)); i++) {
			sqlite3_reset(ins);
			sqlite3_bind_int64(ins, 1, id);
			sqlite3_bind_text(ins, 2, name, -1, SQLITE_TRANSIENT);
			if (capture)
				sqlite3_bind_text(ins, 3, capture, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(ins) != SQLITE_DONE)
				rc = SQLITE_ERROR;
		}
		if (rc != SQLITE_OK && !*err)
			*err = sqlite3_mprintf("bpfrec: table %s: %s", tables[k], sqlite3_errmsg(reg->db));
		sqlite3_finalize(ins);
	}
	return rc;
}

/* user_name(uid), group_name(gid): the name the recording host gave the
 * id, from the captures attached (their users and groups tables, checked
 * by idnames.h); NULL when none names it, or when two captures name it
 * differently (several hosts: join the users table on capture instead). */
static void idname_fn(sqlite3_context *ctx, sqlite3_value *arg, enum idnames_kind kind)
{
	struct vtab_reg *reg = sqlite3_user_data(ctx);
	const char *found = NULL;
	int64_t id;

	if (sqlite3_value_numeric_type(arg) != SQLITE_INTEGER)
		return;   /* NULL */
	id = sqlite3_value_int64(arg);
	for (struct vt_cap *cap = reg->caps; cap; cap = cap->next) {
		struct idnames *ids = NULL;
		char e[256];
		const char *name;

		if (capview__idnames(cap->c, &ids, e, sizeof(e)) ||
		    !(name = idnames__name(ids, kind, id)))
			continue;
		if (found && strcmp(found, name))
			return;   /* ambiguous: NULL */
		found = name;
	}
	if (found)
		sqlite3_result_text(ctx, found, -1, SQLITE_TRANSIENT);
}

static void user_name_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	idname_fn(ctx, argv[0], IDNAMES_USER);
}

static void group_name_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	idname_fn(ctx, argv[0], IDNAMES_GROUP);
}

static int put_str(void *ctx, const char *s, size_t n)
{
	sqlite3_str_append(ctx, s, (int)n);
	return sqlite3_str_errcode(ctx);
}

/* JSON array text of paths, for the tables' first argument (parse_paths
 * reads it back: a path's bytes outside UTF-8 stay raw). */
static char *paths_json(char *const *paths, size_t n)
{
	sqlite3_str *j = sqlite3_str_new(NULL);

	sqlite3_str_appendchar(j, 1, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sqlite3_str_appendall(j, ", ");
		utf8__json_string(paths[i], strlen(paths[i]), UTF8_JSON_RAW_BYTES, put_str, j);
	}
	sqlite3_str_appendchar(j, 1, ']');
	return sqlite3_str_finish(j);   /* NULL after any error */
}

/* Creates the tables of the captures patharg names (a path, or a JSON array
 * of paths: then every stream table is the union over the captures that
 * have it, with host and capture columns, and the metadata tables hold every
 * capture's rows with a capture column).  *tables (may be NULL) gets their
 * names, comma separated (sqlite3_malloc'ed). */
static int attach(struct vtab_reg *reg, const char *patharg, const char *schema,
		  const char *mode, char **tables, char **err)
{
	struct vt_cap **caps = NULL;
	char **paths = NULL;
	const char **done = NULL;       /* the tables made, sorted without case */
	size_t npaths = 0, ndone = 0, donecap = 0;
	sqlite3_str *names = sqlite3_str_new(reg->db);
	int multi = patharg[0] == '[';
	int rc = SQLITE_OK;

	*err = NULL;
	if (!schema)
		schema = "temp";
	if (mode && strcmp(mode, "strict") && strcmp(mode, "skip_damaged")) {
		*err = sqlite3_mprintf("bpfrec_attach: mode '%s': expected 'strict' or 'skip_damaged'",
				       mode);
		sqlite3_free(sqlite3_str_finish(names));
		return SQLITE_ERROR;
	}
	if ((rc = parse_paths(patharg, &paths, &npaths, err)) != SQLITE_OK) {
		sqlite3_free(sqlite3_str_finish(names));
		return rc;
	}
	caps = sqlite3_malloc64(npaths * sizeof(*caps));
	if (!caps) {
		rc = SQLITE_NOMEM;
		goto out;
	}
	memset(caps, 0, npaths * sizeof(*caps));
	for (size_t i = 0; i < npaths; i++) {   /* holds the captures while the tables are made */
		if (!(caps[i] = cap_get(reg, paths[i], err))) {
			rc = SQLITE_ERROR;
			goto out;
		}
	}
	/* one table per stream name, in the order the captures list them */
	for (size_t c = 0; c < npaths && rc == SQLITE_OK; c++) {
		for (size_t i = 0; i < capview__nstreams(caps[c]->c) && rc == SQLITE_OK; i++) {
			struct capview_stream *s = capview__stream(caps[c]->c, i);
			const char *t = s->table;
			size_t at = 0, hi = ndone;

			/* made already?  (a search: every capture's streams are
			 * looked up, thousands, against up to 2048 tables) */
			while (at < hi) {
				size_t mid = at + (hi - at) / 2;

				if (sqlite3_stricmp(done[mid], t) < 0)
					at = mid + 1;
				else
					hi = mid;
			}
			if (at < ndone && !sqlite3_stricmp(done[at], t))
				continue;
			if (ndone == VTAB_MAX_TABLES) {
				reg_warn(reg, "%s: more streams than the %d SQL tables an attach "
					 "makes: none for stream %s and those after it (their "
					 "records are in the events table)", paths[c],
					 VTAB_MAX_TABLES, t);
				c = npaths;   /* (ends both loops) */
				break;
			}
			if (ndone == donecap) {
				const char **nd = sqlite3_realloc64(done, (donecap * 2 + 16) * sizeof(*done));
				if (!nd) {
					rc = SQLITE_NOMEM;
					break;
				}
				done = nd;
				donecap = donecap * 2 + 16;
			}
			memmove(done + at + 1, done + at, (ndone - at) * sizeof(*done));
			done[at] = t;
			ndone++;
			char *sql = mode ? sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\".\"%w\" USING "
							   "bpfrec(%Q, %Q, %Q)", schema, t, patharg,
							   s->name, mode)
					 : sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\".\"%w\" USING "
							   "bpfrec(%Q, %Q)", schema, t, patharg, s->name);
			rc = run_one(reg->db, sql);
			if (rc != SQLITE_OK)
				*err = sqlite3_mprintf("bpfrec_attach: table %s.%s: %s", schema, t,
						       sqlite3_errmsg(reg->db));
			else
				sqlite3_str_appendf(names, "%s%s", ndone > 1 ? "," : "", t);
			sqlite3_free(sql);
		}
	}
	if (rc == SQLITE_OK) {      /* every stream's common columns, in time order */
		/* "events" is also the usual name of a ringbuf map: that
		 * stream keeps it, and this table is all_events then */
		const char *ev = "events";
		for (size_t k = 0; k < ndone; k++)
			if (!sqlite3_stricmp(done[k], "events"))
				ev = "all_events";
		char *sql = sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\".\"%w\" USING "
					    "bpfrec_events(%Q)", schema, ev, patharg);
		rc = run_one(reg->db, sql);
		if (rc != SQLITE_OK)
			*err = sqlite3_mprintf("bpfrec_attach: table %s.%s: %s", schema, ev,
					       sqlite3_errmsg(reg->db));
		else
			sqlite3_str_appendf(names, ",%s", ev);
		sqlite3_free(sql);
	}
	for (size_t c = 0; c < npaths && rc == SQLITE_OK; c++) {
		char *capname = multi ? capture_name(paths, c) : NULL;
		if (multi && !capname) {
			rc = SQLITE_NOMEM;
			break;
		}
		rc = copy_meta(reg, caps[c], schema, capname, c > 0, err);
		if (rc == SQLITE_OK)
			rc = copy_stacks(reg, caps[c], schema, capname, c > 0, err);
		if (rc == SQLITE_OK)
			rc = copy_idnames(reg, caps[c], schema, capname, c > 0, err);
		sqlite3_free(capname);
	}
	for (size_t i = 0; rc == SQLITE_OK && meta_tables[i]; i++)
		sqlite3_str_appendf(names, ",%s", meta_tables[i]);
out:
	for (size_t i = 0; caps && i < npaths; i++)
		cap_put(reg, caps[i]);
	sqlite3_free(caps);
	sqlite3_free(done);
	free_paths(paths, npaths);
	if (tables && rc == SQLITE_OK)
		*tables = sqlite3_str_finish(names);
	else
		sqlite3_free(sqlite3_str_finish(names));
	return rc;
}

int vtab__attach(struct vtab_reg *reg, const char *path, const char *schema, char **errmsg)
{
	return vtab__attach_many(reg, &path, 1, schema, errmsg);
}

/* While vtab__attach_many runs bpfrec's own statements on a connection
 * bpfreplay owns: what they need (create the tables, insert bound rows),
 * nothing else (no ATTACH, PRAGMA, function call, VACUUM, ...), as a last
 * line should a statement ever be built wrong. */
static int own_auth(void *ctx, int action, const char *a, const char *b, const char *dbname,
		    const char *view)
{
	(void)ctx, (void)a, (void)b, (void)dbname, (void)view;
	switch (action) {
	case SQLITE_CREATE_TABLE:
	case SQLITE_CREATE_TEMP_TABLE:
	case SQLITE_CREATE_VTABLE:
	case SQLITE_INSERT:
		return SQLITE_OK;
	case SQLITE_READ:       /* CREATE VIRTUAL TABLE records its row */
	case SQLITE_UPDATE:
		return a && (!strcmp(a, "sqlite_master") || !strcmp(a, "sqlite_temp_master")) ?
		       SQLITE_OK : SQLITE_DENY;
	}
	return SQLITE_DENY;
}

int vtab__attach_many(struct vtab_reg *reg, const char *const *paths, size_t n,
		      const char *schema, char **errmsg)
{
	char *json = NULL;
	int rc;

	/* SQLite cannot give a previous authorizer back: the connection is
	 * the caller's own, with none (vtab.h) */
	sqlite3_set_authorizer(reg->db, own_auth, NULL);
	if (n == 1 && paths[0][0] != '[') {
		rc = attach(reg, paths[0], schema, NULL, NULL, errmsg);
	} else {
		json = paths_json((char *const *)paths, n);
		rc = json ? attach(reg, json, schema, NULL, NULL, errmsg) : SQLITE_NOMEM;
	}
	sqlite3_set_authorizer(reg->db, NULL, NULL);
	sqlite3_free(json);
	return rc;
}

/* SQL: bpfrec_attach(path [, schema [, mode]]) -> 'table,table,...' */
static void attach_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct vtab_reg *reg = sqlite3_user_data(ctx);
	const char *path = (const char *)sqlite3_value_text(argv[0]);
	const char *schema = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
	const char *mode = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL;
	char *tables = NULL, *err = NULL;

	if (!path) {
		sqlite3_result_error(ctx, "bpfrec_attach(path [, schema [, mode]]): path is NULL "
				     "(several captures: json_array(path, path, ...))", -1);
		return;
	}
	if (attach(reg, path, schema, mode, &tables, &err) != SQLITE_OK) {
		sqlite3_result_error(ctx, err ? err : "bpfrec_attach: out of memory", -1);
		sqlite3_free(err);
		return;
	}
	sqlite3_result_text(ctx, tables, -1, sqlite3_free);
}

struct vtab_reg *vtab__register(sqlite3 *db, const struct vtab_opts *opts)
{
	struct vtab_reg *reg = calloc(1, sizeof(*reg));
	int rc;

	if (!reg)
		return NULL;
	reg->db = db;
	if (opts)
		reg->opts = *opts;
	/* The module owns reg: SQLite calls reg_free when db closes (or when
	 * registering fails). */
	rc = sqlite3_create_module_v2(db, "bpfrec", &bpfrec_module, reg, reg_free);
	if (rc != SQLITE_OK)
		return NULL;
	rc = sqlite3_create_collation_v2(db, TIMEFMT_COLLATION, SQLITE_UTF8, NULL, timefmt__collate,
					 NULL);
	if (rc == SQLITE_OK)
		rc = names__register_sql(db);   /* errno_name(), signal_name(), af_name() */
	if (rc == SQLITE_OK)
		rc = agg__register(db);         /* percentile(), median() */
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "user_name", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS,
						reg, user_name_fn, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "group_name", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS,
						reg, group_name_fn, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = events__register(db, reg); /* the table events (events.c) */
	for (int n = 1; n <= 3 && rc == SQLITE_OK; n++)
		rc = sqlite3_create_function_v2(db, "bpfrec_attach", n,
						SQLITE_UTF8 | SQLITE_DIRECTONLY, reg, attach_fn,
						NULL, NULL, NULL);
	return rc == SQLITE_OK ? reg : NULL;
}

struct capview *vtab__capture(struct vtab_reg *reg, const char *path)
{
	for (struct vt_cap *cap = reg->caps; cap; cap = cap->next)
		if (!strcmp(cap->path, path))
			return cap->c;
	return NULL;
}

void vtab__damage(const struct vtab_reg *reg, uint64_t *blocks, uint64_t *records)
{
	*blocks = reg->damaged_blocks;
	*records = reg->damaged_recs;
}

void vtab__damage_each(const struct vtab_reg *reg,
		       void (*fn)(void *ctx, const char *path, uint64_t blocks, uint64_t records,
				  uint64_t unsaid), void *ctx)
{
	for (uint32_t i = 0; i < reg->nknown; i++) {
		const struct vt_known *k = &reg->known[i];

		if (k->blocks || k->recs)
			fn(ctx, k->path, k->blocks, k->recs, k->unsaid);
	}
}
