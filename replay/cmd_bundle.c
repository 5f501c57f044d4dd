/* cmd_bundle.c - bpfreplay bundle: a capture (or a slice of it) in one file
 * to attach to a bug report.  The file is a bundle (schema/capb.h,
 * FORMAT.md "Bundle"): bpfreplay and capr__open read it like a capture
 * directory, on any machine.
 *
 * Blocks that the slice keeps whole and that hold no redacted column are
 * copied byte for byte (their checksums still hold); the others are decoded,
 * filtered and re-encoded.  Metadata rows keep their ids (block bodies name
 * streams by id); only the streams kept, their objects and their losses in
 * the time range are copied.
 *
 * Redaction (--redact): redact.h; a redacted block is always re-encoded.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "capb.h"
#include "cli.h"
#include "print.h"
#include "btfcut.h"
#include "capview.h"
#include "redact.h"
#include "slice.h"
#include "sysfields.h"
#include "sysids.h"

#define BUNDLE_BLOCK_BYTES (4u << 20)   /* re-encoded blocks: the recorder's usual size */

static void help(void)
{
	printf("Usage: bpfreplay bundle [OPTIONS] CAPTURE -o FILE\n"
	       "\n"
	       "Write a capture, or a slice of it, into one self-contained file (index, BTF and\n"
	       "blocks) that bpfreplay opens like a capture directory, on any machine:\n"
	       "attach it to a bug report.  What was sliced and redacted is recorded in the\n"
	       "file ('bpfreplay info FILE' shows it).\n"
	       "\n"
	       "Options:\n"
	       "  -o, --output FILE   the bundle to write (must not exist)\n"
	       "  -s, --stream NAME   only this stream (repeat, or NAME,NAME,...)\n"
	       "      --since T       only events at or after T\n"
	       "      --until T       only events at or before T\n"
	       "                      T: wall time 2024-05-01T12:00:03.5Z, or +2s from the first\n"
	       "                      event, -2s before the last (as in 'bpfreplay show')\n"
	       "  -p, --pid N         only events whose tgid (else pid) column is N (repeat for\n"
	       "                      several); streams with neither column are left out\n"
	       "      --redact[=FIELDS]\n"
	       "                      replace values with keyed hashes (HMAC-SHA256, a random key\n"
	       "                      per bundle, not stored): equal values stay equal inside the\n"
	       "                      bundle.  FIELDS, comma separated:\n"
	       "                        default       text columns named like *file*, *path*,\n"
	       "                                      *cmdline*, *argv*, *args*, *cwd*; address\n"
	       "                                      columns (bpfrec_ipaddr); sessions.cmdline;\n"
	       "                                      objects.path (and the stacks' files:\n"
	       "                                      sym_files.path, lines.src); users.name\n"
	       "                                      (the recording host's user and group\n"
	       "                                      names: uid=1000 then shows as\n"
	       "                                      1000(~token))  (what --redact alone means)\n"
	       "                        COLUMN        that column of every stream that has it\n"
	       "                        STREAM.COLUMN one stream's column\n"
	       "                        sessions.cmdline, sessions.host, objects.path, objects.name,\n"
	       "                        users.name (the user and the group names)\n"
	       "                      e.g. --redact=default,comm.  Streams without an event type\n"
	       "                      (raw bytes) are left out when redacting.\n"
	       "  -h, --help          this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay bundle ./cap -o bug-1234.bpfrec\n"
	       "  bpfreplay bundle ./cap -o slice.bpfrec --since +2s --until +4s --pid 4242\n"
	       "  bpfreplay bundle ./cap -o share.bpfrec --stream exec,connect --redact\n"
	       "  bpfreplay info share.bpfrec; bpfreplay sql share.bpfrec 'SELECT * FROM exec'\n"
	       "\n"
	       "Exit status: 0 ok, 1 the bundle could not be written, 2 usage, 3 the capture\n"
	       "cannot be opened or holds damage (damaged blocks are reported and left out;\n"
	       "the bundle holds the rest).\n");
}

struct bstream {
	struct capview_stream *s;
	bool sel;                   /* kept in the bundle */
	const char *why_out;        /* why not, for the bundle table */
	uint64_t kept, damaged;
};

/* A kept object's BTF, cut to its kept streams' types (btfcut.h). */
struct bobject {
	int64_t id;                 /* objects.id */
	struct btfcut *cut;         /* NULL: its BTF as the capture has it */
};

struct bundle {
	struct capview *c;
	struct bobject *objs;       /* each object a kept stream names, once */
	size_t nobjs;
	struct bstream *bs;         /* parallel to capview__stream(c, i) */
	size_t n;
	uint64_t lo, hi;            /* ts bounds, inclusive */
	const int64_t *pids;        /* --pid values (the slice's arguments) */
	size_t npids;
	struct redact *red;         /* NULL: no --redact */
	struct capb *out;
	struct blockbuf *bb;
	struct strbuf redacted;     /* "alpha.comm, sessions.cmdline" */
	uint64_t damaged_blocks, damaged_recs, copied_blocks, events;
	char err[512];
};

static struct bstream *bs_of(struct bundle *b, int64_t stream_id)
{
	struct capview_stream *s = capview__stream_by_id(b->c, stream_id);
	return s ? &b->bs[s - capview__stream(b->c, 0)] : NULL;
}

/* ---- metadata ---- */

/* Copies the rows of src_sql into dst_sql (same column count), column by
 * column; keep(ctx, st) may skip a row (0) and rebind parameters (it is
 * called after the plain binds).  0 or -EIO with b->err set. */
static int copy_rows(struct bundle *b, const char *src_sql, const char *dst_sql,
		     int (*keep)(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst))
{
	sqlite3 *sdb = capr__db(capview__capr(b->c)), *ddb = capb__db(b->out);
	sqlite3_stmt *s = NULL, *d = NULL;
	int rc = -EIO;

	if (sqlite3_prepare_v2(sdb, src_sql, -1, &s, NULL)) {
		snprintf(b->err, sizeof(b->err), "%s: index: %s", capview__path(b->c), sqlite3_errmsg(sdb));
		goto out;
	}
	if (sqlite3_prepare_v2(ddb, dst_sql, -1, &d, NULL)) {
		snprintf(b->err, sizeof(b->err), "bundle: %s", sqlite3_errmsg(ddb));
		goto out;
	}
	int n = sqlite3_column_count(s);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			sqlite3_bind_value(d, i + 1, sqlite3_column_value(s, i));
		if (keep && !keep(b, s, d)) {
			sqlite3_clear_bindings(d);
			continue;
		}
		if ((rc = sqlite3_step(d)) != SQLITE_DONE) {
			/* a constraint: the capture's rows do not fit bpfrec's
			 * tables, a damaged capture (exit 3), not a write error */
			int bad = (rc & 0xff) == SQLITE_CONSTRAINT;
			snprintf(b->err, sizeof(b->err), "%s%s", bad ? "the capture's index does not "
				 "fit bpfrec's tables: " : "bundle: ", sqlite3_errmsg(ddb));
			rc = bad ? -EBADMSG : -EIO;
			goto out;
		}
		sqlite3_reset(d);
		sqlite3_clear_bindings(d);
	}
	if (rc != SQLITE_DONE) {
		snprintf(b->err, sizeof(b->err), "%s: index: %s", capview__path(b->c), sqlite3_errmsg(sdb));
		rc = -EBADMSG;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_finalize(d);
	return rc;
}

static int keep_session(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	if (redact__meta(b->red, REDACT_HOST))
		redact__bind_token(b->red, src, dst, 1);
	if (redact__meta(b->red, REDACT_CMDLINE))
		redact__bind_token(b->red, src, dst, 4);
	return 1;
}

/* 1 if a stream of object id is kept. */
/* The kept object id, in objs (sorted by id: cut_objects): a capture's
 * objects and streams are index rows, and may be many. */
static const struct bobject *obj_of(const struct bundle *b, int64_t id)
{
	size_t lo = 0, hi = b->nobjs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->objs[mid].id == id)
			return &b->objs[mid];
		if (b->objs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool object_kept(const struct bundle *b, int64_t id)
{
	return obj_of(b, id) != NULL;
}

static const struct btfcut *cut_of(const struct bundle *b, int64_t object_id)
{
	const struct bobject *o = obj_of(b, object_id);

	return o ? o->cut : NULL;
}

/* Stream indexes by their object's id (then their own order). */
static int cmp_by_object(const void *x, const void *y, void *ctx)
{
	const struct bundle *b = ctx;
	size_t i = *(const size_t *)x, k = *(const size_t *)y;
	int64_t oi = b->bs[i].s->object_id, ok = b->bs[k].s->object_id;

	return oi != ok ? (oi < ok ? -1 : 1) : (i < k ? -1 : i > k);
}

/* Each kept object's BTF cut to its kept streams' types, as the recorder
 * cuts it (FORMAT.md "Stored BTF"): a bundle of a capture recorded with
 * the whole BTF is then as small as one recorded since.  An object whose
 * BTF did not validate, or with a kept stream whose type did not decode,
 * keeps its BTF whole: the bundle reads as the capture did, errors
 * included; but with --redact such a BTF keeps its types and only their
 * names of its strings (btfcut__names), and one that did not validate is
 * left out (no stream of it is kept: its records are raw bytes).  objs is
 * in object id order (obj_of).  0, -ENOMEM, or -EINVAL with b->err set. */
static int cut_objects(struct bundle *b)
{
	uint32_t *roots = calloc(b->n + 2, sizeof(*roots));
	size_t *ord = calloc(b->n + 1, sizeof(*ord)), nsel = 0;
	int rc = 0;

	b->objs = calloc(b->n + 1, sizeof(*b->objs));
	if (!roots || !ord || !b->objs) {
		free(roots);
		free(ord);
		return -ENOMEM;
	}
	/* the kept streams grouped by object: one pass, not one per object */
	for (size_t i = 0; i < b->n; i++)
		if (b->bs[i].sel)
			ord[nsel++] = i;
	qsort_r(ord, nsel, sizeof(*ord), cmp_by_object, b);
	for (size_t g = 0, e; g < nsel; g = e) {
		int64_t obj = b->bs[ord[g]].s->object_id;
		const struct btfv *btf = capview__object_btf(b->c, obj);
		size_t nroots = 0;
		bool whole = !btf;

		for (e = g; e < nsel && b->bs[ord[e]].s->object_id == obj; e++) {
			const struct capview_stream *s = b->bs[ord[e]].s;

			if ((s->type_name || s->type_id) && !s->btf_type_id)
				whole = true;
			roots[nroots++] = s->btf_type_id;
		}
		/* --syscalls' id arguments (sysids.h) and the columns each
		 * syscall has (sysfields.h), looked up by name: two more roots
		 * (roots has b->n + 2 slots) */
		if (!whole && (roots[nroots] = sysids__enum_id(btf)))
			nroots++;
		if (!whole && (roots[nroots] = sysfields__enum_id(btf)))
			nroots++;
		b->objs[b->nobjs].id = obj;
		b->objs[b->nobjs].cut = whole ? NULL : btfcut__new(btf, roots, nroots);
		/* --redact: a BTF kept whole keeps what only .BTF.ext names,
		 * source file paths and lines: its strings are cut instead */
		if (b->red && btf && !b->objs[b->nobjs].cut &&
		    !(b->objs[b->nobjs].cut = btfcut__names(btf))) {
			rc = errno == ENOMEM ? -ENOMEM : -EINVAL;
			snprintf(b->err, sizeof(b->err), "--redact: object %lld: its BTF cannot be "
				 "stored without its source strings: %s", (long long)obj,
				 strerror(-rc));
			break;
		}
		b->nobjs++;
	}
	free(roots);
	free(ord);
	return rc;
}

static int keep_object(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	const struct btfcut *cut = cut_of(b, sqlite3_column_int64(src, 0));

	if (!object_kept(b, sqlite3_column_int64(src, 0)))
		return 0;
	if (cut) {
		size_t len;
		const void *raw = btfcut__raw(cut, &len);

		sqlite3_bind_blob(dst, 4, raw, (int)len, SQLITE_TRANSIENT);
	} else if (b->red) {
		sqlite3_bind_null(dst, 4);      /* unreadable: cut_objects */
	}
	if (redact__meta(b->red, REDACT_OBJNAME))
		redact__bind_token(b->red, src, dst, 1);
	if (redact__meta(b->red, REDACT_OBJPATH))
		redact__bind_token(b->red, src, dst, 2);
	return 1;
}

static int keep_stream(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	struct bstream *bs = bs_of(b, sqlite3_column_int64(src, 0));
	const struct btfcut *cut;

	if (!bs || !bs->sel)
		return 0;
	/* its type's id in the cut BTF (the type the capture's decoded with) */
	if ((cut = cut_of(b, bs->s->object_id)))
		sqlite3_bind_int64(dst, 7, btfcut__id(cut, bs->s->btf_type_id));
	return 1;
}

static int keep_loss(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	struct bstream *bs = bs_of(b, sqlite3_column_int64(src, 1));
	uint64_t ts = (uint64_t)sqlite3_column_int64(src, 3);
	return bs && bs->sel && ts >= b->lo && ts <= b->hi;
}

/* sym_files.path names the recorded machine's files: redacted with
 * objects.path (the [kernel.kallsyms]-style names stay). */
static int keep_symfile(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	const unsigned char *kind = sqlite3_column_text(src, 1);

	if (redact__meta(b->red, REDACT_OBJPATH) && kind &&
	    (!strcmp((const char *)kind, "elf") || !strcmp((const char *)kind, "perfmap")))
		redact__bind_token(b->red, src, dst, 2);
	return 1;
}

/* lines.src names the source files the recorded machine's binaries were
 * built from: redacted with objects.path, as their sym_files.path. */
static int keep_line(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	if (redact__meta(b->red, REDACT_OBJPATH))
		redact__bind_token(b->red, src, dst, 4);
	return 1;
}

/* Tables a capture may lack (older captures): each copied, if present,
 * through keep (NULL: every row). */
struct optional_table {
	const char *table, *src, *dst;
	int (*keep)(struct bundle *, sqlite3_stmt *, sqlite3_stmt *);
};

static int copy_optional_tables(struct bundle *b, const struct optional_table *q, size_t n)
{
	sqlite3 *sdb = capr__db(capview__capr(b->c));
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_stmt *st;
		int have;

		if (sqlite3_prepare_v2(sdb, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
					    "name = ?1", -1, &st, NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_text(st, 1, q[i].table, -1, SQLITE_STATIC);
		have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (have)
			rc = copy_rows(b, q[i].src, q[i].dst, q[i].keep);
	}
	return rc;
}

/* Stacks and symbols (FORMAT.md "Stacks and symbols"), whole: a slice
 * keeps every stack its events may name.  Captures without them have none. */
static int copy_stacks(struct bundle *b)
{
	static const struct optional_table q[] = {
		{ "stack_traces", "SELECT id, kind, frames FROM stack_traces",
		  "INSERT INTO stack_traces (id, kind, frames) VALUES (?1, ?2, ?3)", NULL },
		{ "stack_pids", "SELECT stack_id, pid FROM stack_pids",
		  "INSERT INTO stack_pids (stack_id, pid) VALUES (?1, ?2)", NULL },
		{ "sym_files", "SELECT id, kind, path, build_id, size, pid, symbols FROM sym_files",
		  "INSERT INTO sym_files (id, kind, path, build_id, size, pid, symbols)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", keep_symfile },
		{ "proc_maps", "SELECT pid, start_addr, end_addr, file_offset, file_id FROM proc_maps",
		  "INSERT INTO proc_maps (pid, start_addr, end_addr, file_offset, file_id)"
		  " VALUES (?1, ?2, ?3, ?4, ?5)", NULL },
		{ "symbols", "SELECT file_id, addr, size, name FROM symbols",
		  "INSERT INTO symbols (file_id, addr, size, name) VALUES (?1, ?2, ?3, ?4)", NULL },
		{ "lines", "SELECT file_id, addr, size, line, src FROM lines",
		  "INSERT INTO lines (file_id, addr, size, line, src) VALUES (?1, ?2, ?3, ?4, ?5)",
		  keep_line },
	};

	return copy_optional_tables(b, q, sizeof(q) / sizeof(q[0]));
}

/* A program of an object kept; the stream it writes only if kept too.  Its
 * target names the recorded machine's files (a uprobe's binary, a cgroup):
 * redacted with objects.path. */
static int keep_program(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	struct bstream *bs = bs_of(b, sqlite3_column_int64(src, 8));

	if (!object_kept(b, sqlite3_column_int64(src, 1)))
		return 0;
	if (!bs || !bs->sel)
		sqlite3_bind_null(dst, 9);
	if (redact__meta(b->red, REDACT_OBJPATH) && sqlite3_column_type(src, 6) == SQLITE_TEXT)
		redact__bind_token(b->red, src, dst, 6);
	return 1;
}

static int keep_window(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	struct bstream *bs = bs_of(b, sqlite3_column_int64(src, 1));
	uint64_t start = (uint64_t)sqlite3_column_int64(src, 2);
	uint64_t end = (uint64_t)sqlite3_column_int64(src, 3);
	return bs && bs->sel && end >= b->lo && start <= b->hi;
}

/* The programs, how each stream's loss is known and the possible-loss
 * windows (FORMAT.md "Programs and loss"), of what the bundle keeps.
 * Captures without these tables have none. */
static int copy_programs(struct bundle *b)
{
	static const struct optional_table q[] = {
		{ "programs", "SELECT id, object_id, name, section, type, state, target, reason, "
		  "stream_id FROM programs", "INSERT INTO programs (id, object_id, name, section, "
		  "type, state, target, reason, stream_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		  keep_program },
		{ "stream_loss", "SELECT stream_id, method, ring_bytes FROM stream_loss",
		  "INSERT INTO stream_loss (stream_id, method, ring_bytes) VALUES (?1, ?2, ?3)",
		  keep_stream },
		{ "loss_windows", "SELECT id, stream_id, start_ns, end_ns, peak_bytes FROM "
		  "loss_windows", "INSERT INTO loss_windows (id, stream_id, start_ns, end_ns, "
		  "peak_bytes) VALUES (?1, ?2, ?3, ?4, ?5)", keep_window },
	};

	return copy_optional_tables(b, q, sizeof(q) / sizeof(q[0]));
}

/* A user or group name: a token with --redact's default or users.name
 * (people's names; the number stays, so equal ids stay equal anyway). */
static int keep_idname(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	if (redact__meta(b->red, REDACT_IDNAMES) && sqlite3_column_type(src, 1) == SQLITE_TEXT)
		redact__bind_token(b->red, src, dst, 1);
	return 1;
}

/* The recording host's user and group names (FORMAT.md "User and group
 * names"), whole: a slice keeps every name its events may show. */
static int copy_idnames(struct bundle *b)
{
	static const struct optional_table q[] = {
		{ "users", "SELECT uid, name FROM users",
		  "INSERT INTO users (uid, name) VALUES (?1, ?2)", keep_idname },
		{ "groups", "SELECT gid, name FROM groups",
		  "INSERT INTO groups (gid, name) VALUES (?1, ?2)", keep_idname },
	};

	return copy_optional_tables(b, q, sizeof(q) / sizeof(q[0]));
}

static int copy_meta(struct bundle *b)
{
	int rc;

	if ((rc = copy_rows(b, "SELECT id, host, kernel_release, boot_id, cmdline, tool_version,"
			    " clock_boot_ns, clock_real_ns, start_ns, end_ns FROM sessions",
			    "INSERT INTO sessions (id, host, kernel_release, boot_id, cmdline,"
			    " tool_version, clock_boot_ns, clock_real_ns, start_ns, end_ns)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", keep_session)) ||
	    (rc = copy_rows(b, "SELECT id, name, path, btf FROM objects",
			    "INSERT INTO objects (id, name, path, btf) VALUES (?1, ?2, ?3, ?4)",
			    keep_object)) ||
	    (rc = copy_rows(b, "SELECT id, name, kind, object_id, map_name, type_name, type_id,"
			    " ts_offset FROM streams",
			    "INSERT INTO streams (id, name, kind, object_id, map_name, type_name,"
			    " type_id, ts_offset) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			    keep_stream)) ||
	    (rc = copy_rows(b, "SELECT id, stream_id, cpu, ts, count FROM losses",
			    "INSERT INTO losses (id, stream_id, cpu, ts, count)"
			    " VALUES (?1, ?2, ?3, ?4, ?5)", keep_loss)) ||
	    (rc = copy_stacks(b)) || (rc = copy_programs(b)) || (rc = copy_idnames(b)))
		return rc;
	return 0;
}

/* ---- records ---- */

static bool pid_ok(struct bundle *b, struct bstream *bs, const struct cap_rec *rec)
{
	struct evval v;

	if (!b->npids)
		return true;
	if (evtype__decode(bs->s->et, (size_t)bs->s->pid_col, rec->data, rec->len, &v) ||
	    v.is_null)
		return false;
	for (size_t i = 0; i < b->npids; i++)
		if (v.i == b->pids[i])
			return true;
	return false;
}

static int flush_bb(struct bundle *b)
{
	int rc = capb__write_block(b->out, b->bb, b->err, sizeof(b->err));

	blockbuf__reset(b->bb);
	return rc;
}

/* Adds one kept record, redacted, to the block being built. */
static int add_record(struct bundle *b, struct bstream *bs, const struct cap_rec *rec)
{
	const void *data = rec->data;
	int rc;

	if (redact__has_cols(b->red, (size_t)(bs - b->bs)) &&
	    !(data = redact__record(b->red, (size_t)(bs - b->bs), rec->data, rec->len)))
		return -ENOMEM;
	rc = blockbuf__add(b->bb, rec->stream, rec->cpu, rec->ts_ns, data, rec->len);
	if (rc == -ENOSPC) {
		if ((rc = flush_bb(b)))
			return rc;
		rc = blockbuf__add(b->bb, rec->stream, rec->cpu, rec->ts_ns, data, rec->len);
	}
	if (rc == -E2BIG)
		snprintf(b->err, sizeof(b->err), "a record of %u bytes does not fit a block",
			 rec->len);
	return rc;
}

/* One source block: copied whole, or filtered record by record. */
static int do_block(struct bundle *b, struct capr_cursor *cur, const struct cap_block_info *bi)
{
	const struct cap_rec *recs;
	uint32_t n;
	char err[512];
	int rc;

	rc = capr__cursor_read(cur, bi, &recs, &n, err, sizeof(err));
	if (rc == -ENOMEM) {
		snprintf(b->err, sizeof(b->err), "%s", err);
		return rc;
	}
	if (rc) {
		cli__warn("%s (left out of the bundle)", err);
		b->damaged_blocks++;
		return 0;
	}
	bool whole = bi->meta.min_ts_ns >= b->lo && bi->meta.max_ts_ns <= b->hi;
	for (uint32_t i = 0; i < n && whole; i++) {
		struct bstream *bs = bs_of(b, recs[i].stream);
		whole = bs && bs->sel && !redact__has_cols(b->red, (size_t)(bs - b->bs)) &&
			!b->npids;
	}
	const uint8_t *enc;
	size_t len;
	capr__cursor_encoded(cur, &enc, &len);
	/* A chained block (encoding 4) continues blocks the bundle may not
	 * hold where it could find them: its records are written anew. */
	if (whole && len > 7 && !cap_block_encoding_chained(enc[6] | (unsigned)enc[7] << 8)) {
		if ((rc = capb__add_encoded(b->out, enc, len, b->err, sizeof(b->err))))
			return rc;
		for (uint32_t i = 0; i < n; i++)
			bs_of(b, recs[i].stream)->kept++;
		b->events += n;
		b->copied_blocks++;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct cap_rec *rec = &recs[i];
		struct bstream *bs = bs_of(b, rec->stream);
		if (!bs || !bs->sel || rec->ts_ns < b->lo || rec->ts_ns > b->hi)
			continue;
		if ((b->npids || redact__has_cols(b->red, (size_t)(bs - b->bs))) &&
		    evtype__check(bs->s->et, rec->len)) {
			/* Too short to decode: cannot be filtered or redacted. */
			bs->damaged++;
			b->damaged_recs++;
			continue;
		}
		if (!pid_ok(b, bs, rec))
			continue;
		if ((rc = add_record(b, bs, rec)))
			return rc;
		bs->kept++;
		b->events++;
	}
	return 0;
}

static int do_blocks(struct bundle *b)
{
	size_t nblocks;
	const struct cap_block_info *blocks = capview__blocks(b->c, &nblocks);
	bool *want = calloc(nblocks ? nblocks : 1, sizeof(*want));
	struct capr_cursor *cur = capr__cursor_new(capview__capr(b->c));
	int rc = 0;

	if (!want || !cur) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct capview_stream *s = b->bs[i].s;
		if (!b->bs[i].sel)
			continue;
		for (size_t k = 0; k < s->nblocks; k++)
			if (cap_block__overlaps(s->blocks[k].min_ts, s->blocks[k].max_ts, b->lo, b->hi))
				want[s->blocks[k].idx] = true;
	}
	for (size_t i = 0; i < nblocks && !rc; i++)
		if (want[i])
			rc = do_block(b, cur, &blocks[i]);
	if (!rc)
		rc = flush_bb(b);
out:
	if (rc == -ENOMEM && !b->err[0])
		snprintf(b->err, sizeof(b->err), "out of memory");
	capr__cursor_free(cur);
	free(want);
	return rc;
}

/* ---- the bundle table ---- */

static void iso_ts(struct bundle *b, uint64_t ts, char *buf, size_t len)
{
	char t[TIMEFMT_LEN + 1];

	timefmt__iso(timeclock__wall(&capview__session(b->c)->clock, ts), t, sizeof(t));
	snprintf(buf, len, "%s (ts %" PRIu64 ")", t, ts);
}

static int describe(struct bundle *b, const char *capture, const char *since, const char *until)
{
	struct strbuf kept = { 0 }, out = { 0 }, pids = { 0 };
	char buf[256], t[TIMEFMT_LEN + 1];
	struct timespec now;
	uint64_t src_events = 0;
	int rc = 0;

	char *dup = strdup(capture);
	if (!dup)
		return -ENOMEM;
	/* The capture's own name only: its path may name the sender's home. */
	size_t dl = strlen(dup);
	while (dl > 1 && dup[dl - 1] == '/')
		dup[--dl] = 0;
	rc |= capb__set(b->out, "source", basename(dup));
	free(dup);
	clock_gettime(CLOCK_REALTIME, &now);
	timefmt__iso((int64_t)now.tv_sec * 1000000000 + now.tv_nsec, t, sizeof(t));
	rc |= capb__set(b->out, "created", t);
	rc |= capb__set(b->out, "tool", "bpfreplay " BPFREC_VERSION);
	for (size_t i = 0; i < b->n; i++) {
		struct bstream *bs = &b->bs[i];
		src_events += bs->s->nrecords;
		if (bs->sel)
			strbuf__addf(&kept, "%s%s", kept.len ? ", " : "", bs->s->name);
		else
			strbuf__addf(&out, "%s%s (%s)", out.len ? "; " : "", bs->s->name,
				     bs->why_out ? bs->why_out : "not chosen");
	}
	rc |= capb__set(b->out, "streams", kept.buf ? kept.buf : "");
	if (out.len)
		rc |= capb__set(b->out, "left_out", out.buf);
	if (since) {
		iso_ts(b, b->lo, buf, sizeof(buf));
		rc |= capb__set(b->out, "since", buf);
	}
	if (until) {
		iso_ts(b, b->hi, buf, sizeof(buf));
		rc |= capb__set(b->out, "until", buf);
	}
	for (size_t i = 0; i < b->npids; i++)
		strbuf__addf(&pids, "%s%" PRId64, i ? ", " : "", b->pids[i]);
	if (pids.len)
		rc |= capb__set(b->out, "pids", pids.buf);
	rc |= capb__set(b->out, "redacted", b->redacted.len ? b->redacted.buf : "none");
	if (b->redacted.len)
		rc |= capb__set(b->out, "redaction", REDACT_METHOD);
	snprintf(buf, sizeof(buf), "%" PRIu64, b->events);
	rc |= capb__set(b->out, "events", buf);
	snprintf(buf, sizeof(buf), "%" PRIu64, src_events);
	rc |= capb__set(b->out, "source_events", buf);
	if (b->damaged_blocks || b->damaged_recs) {
		snprintf(buf, sizeof(buf), "%" PRIu64 " damaged blocks and %" PRIu64
			 " damaged records of the source left out", b->damaged_blocks, b->damaged_recs);
		rc |= capb__set(b->out, "damage", buf);
	}
	strbuf__free(&kept);
	strbuf__free(&out);
	strbuf__free(&pids);
	return rc ? -EIO : 0;
}

/* The capture's index has a row for sql (false for a capture from before
 * its table). */
static bool has_row(struct bundle *b, const char *sql)
{
	sqlite3_stmt *st;
	bool have = false;

	if (sqlite3_prepare_v2(capr__db(capview__capr(b->c)), sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	have = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return have;
}

static bool stream_kept(void *ctx, size_t i)
{
	return ((struct bundle *)ctx)->bs[i].sel;
}

/* For `bpfreplay info`: the bundle table of a bundle, nothing otherwise. */
void cmd_bundle__info(struct capview *c)
{
	sqlite3 *db = capr__db(capview__capr(c));
	sqlite3_stmt *st = NULL;

	if (!capr__is_bundle(capview__capr(c)))
		return;
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM bundle ORDER BY CASE key"
			       " WHEN 'source' THEN 0 WHEN 'created' THEN 1 WHEN 'tool' THEN 2"
			       " WHEN 'streams' THEN 3 WHEN 'left_out' THEN 4 WHEN 'since' THEN 5"
			       " WHEN 'until' THEN 6 WHEN 'pids' THEN 7 WHEN 'events' THEN 8"
			       " WHEN 'source_events' THEN 9 WHEN 'redacted' THEN 10"
			       " WHEN 'redaction' THEN 11 ELSE 99 END, key", -1, &st, NULL)) {
		printf("%-12s (no bundle table: %s)\n", "bundle", sqlite3_errmsg(db));
		return;
	}
	printf("%-12s made by 'bpfreplay bundle':\n", "bundle");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *k = sqlite3_column_text(st, 0), *v = sqlite3_column_text(st, 1);
		const char *ks = k ? (const char *)k : "";
		printf("  ");
		cli__fputs_safe(ks, stdout);   /* text from the file: no control bytes */
		printf("%*s", strlen(ks) < 14 ? (int)(15 - strlen(ks)) : 1, "");
		cli__fputs_safe(v ? (const char *)v : "", stdout);
		putchar('\n');
	}
	sqlite3_finalize(st);
}

void cmd_bundle__info_json(struct capview *c, struct strbuf *b)
{
	sqlite3 *db = capr__db(capview__capr(c));
	sqlite3_stmt *st = NULL;
	int n = 0;

	if (!capr__is_bundle(capview__capr(c)) ||
	    sqlite3_prepare_v2(db, "SELECT key, value FROM bundle ORDER BY key", -1, &st, NULL)) {
		strbuf__add(b, "null", 4);
		return;
	}
	strbuf__add(b, "{", 1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);

		if (n++)
			strbuf__add(b, ",", 1);
		print__json_string(b, k ? k : "", k ? strlen(k) : 0);  /* PRIMARY KEY: unique */
		strbuf__add(b, ":", 1);
		print__json_string(b, v ? v : "", v ? strlen(v) : 0);
	}
	sqlite3_finalize(st);
	strbuf__add(b, "}", 1);
}

/* The command line's own choices (cli_cmd.ctx). */
struct bundle_args {
	const char *out;            /* -o FILE */
	const char **redacts;       /* --redact values ("default" for none) */
	size_t nredacts;
};

static int take_option(void *ctx, int ch, const char *arg)
{
	struct bundle_args *ba = ctx;

	switch (ch) {
	case 'o':
		ba->out = arg;
		return 0;
	case 'R':
		ba->redacts[ba->nredacts++] = arg ? arg : "default";
		return 0;
	case 'w':
		return cli__usage_error("bundle", "--where: not for bundle, which keeps whole "
					"records of whole streams (--stream, --pid, --since, --until)");
	}
	return CLI_NOT_MINE;
}

int cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "redact", optional_argument, NULL, 'R' },
		{ NULL },
	};
	struct bundle b = { .hi = UINT64_MAX };
	struct bundle_args ba = { .redacts = calloc((size_t)argc + 1, sizeof(*ba.redacts)) };
	struct slice_args sa = { 0 };
	const struct cli_cmd cmd = {
		.name = "bundle", .help = help, .shortopts = "o:", .longopts = opts,
		.take = take_option, .ctx = &ba, .slice = &sa, .captures = CLI_ONE_CAPTURE,
	};
	struct cli_args a = { 0 };
	struct slice *sl = NULL;
	const char *out;
	struct stat st;
	int rc = 0;

	if (!ba.redacts) {
		rc = EXIT_CAPTURE;
		goto out;
	}
	if ((rc = cli__parse(&cmd, argc, argv, &a)) || a.help)
		goto out;
	out = ba.out;
	if (!out) {
		rc = cli__usage_error("bundle", "no output file: give -o FILE");
		goto out;
	}
	if (!lstat(out, &st)) {
		rc = cli__usage_error("bundle", "-o '%s': exists (choose a new file name)", out);
		goto out;
	}
	if ((rc = cli__open(a.paths[0], &b.c)))
		goto out;
	b.n = capview__nstreams(b.c);
	b.bs = calloc(b.n + 1, sizeof(*b.bs));
	if (!b.bs) {
		rc = EXIT_CAPTURE;
		goto out;
	}
	/* the slice: streams, time bounds and pids, resolved as show resolves them */
	if ((rc = slice__open(b.c, &sa, "bundle", &sl)))
		goto out;
	slice__bounds(sl, &b.lo, &b.hi);
	b.pids = sa.pids;
	b.npids = sa.npids;
	for (size_t i = 0; i < b.n; i++) {
		b.bs[i].s = capview__stream(b.c, i);
		b.bs[i].sel = slice__has_stream(sl, b.bs[i].s);
		b.bs[i].why_out = slice__why_out(sl, b.bs[i].s);
	}
	if (ba.nredacts && (rc = redact__new(b.c, &b.red))) {
		cli__warn("--redact: %s", rc == -ENOMEM ? "out of memory" : strerror(-rc));
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < ba.nredacts; i++)
		if ((rc = redact__choose(b.red, "bundle", ba.redacts[i]))) {
			if (rc < 0) {
				cli__warn("out of memory");
				rc = EXIT_CAPTURE;
			}
			goto out;
		}
	for (size_t i = 0; i < b.n; i++) {
		struct bstream *bs = &b.bs[i];
		if (!bs->sel)
			continue;
		if (b.red && !evtype__size(bs->s->et)) {
			cli__warn("note: --redact: stream '%s' left out: its records are raw bytes "
				  "(no usable event type), so nothing in them can be redacted",
				  bs->s->name);
			bs->sel = false;
			bs->why_out = "raw bytes cannot be redacted";
		}
	}
	/* the file paths named in sym_files and lines */
	bool paths = redact__meta(b.red, REDACT_OBJPATH);
	unsigned files = (paths && has_row(&b, "SELECT 1 FROM sym_files WHERE kind IN "
					   "('elf', 'perfmap') LIMIT 1") ? REDACT_SYM_FILES : 0) |
			 (paths && has_row(&b, "SELECT 1 FROM lines LIMIT 1") ? REDACT_LINES : 0);
	if (redact__describe(b.red, files, stream_kept, &b, &b.redacted)) {
		cli__warn("out of memory");
		rc = EXIT_CAPTURE;
		goto out;
	}
	b.bb = blockbuf__new(BUNDLE_BLOCK_BYTES);
	b.out = capb__create(out, 3, b.err, sizeof(b.err));
	if (!b.bb || !b.out) {
		cli__warn("%s", b.out ? "out of memory" : b.err);
		rc = 1;
		goto out;
	}
	int r = cut_objects(&b);
	if (!r)
		r = copy_meta(&b);
	if (!r)
		r = do_blocks(&b);
	if (!r)
		r = describe(&b, a.paths[0], sa.since, sa.until);
	if (r) {
		cli__warn("%s: %s", out, b.err[0] ? b.err : strerror(-r));
		rc = r == -EBADMSG ? EXIT_CAPTURE : 1;
		goto out;
	}
	uint64_t nblocks, nrec;
	capb__counts(b.out, &nblocks, &nrec);
	r = capb__finish(b.out, b.err, sizeof(b.err));
	b.out = NULL;
	if (r) {
		cli__warn("%s", b.err);
		rc = 1;
		goto out;
	}
	if (!stat(out, &st))
		printf("%s: %" PRIu64 " events in %" PRIu64 " blocks (%" PRIu64 " copied as they "
		       "were), %lld bytes\n", out, nrec, nblocks, b.copied_blocks,
		       (long long)st.st_size);
	printf("  redacted: %s\n", b.redacted.len ? b.redacted.buf : "none");
	if (!nrec)
		cli__warn("note: no event is in the slice: the bundle holds the metadata only");
	if (b.damaged_blocks || b.damaged_recs) {
		cli__warn("%" PRIu64 " damaged blocks and %" PRIu64 " damaged records left out",
			  b.damaged_blocks, b.damaged_recs);
		rc = EXIT_CAPTURE;
	}
out:
	for (size_t i = 0; i < b.nobjs; i++)
		btfcut__free(b.objs[i].cut);
	free(b.objs);
	redact__free(b.red);
	capb__abort(b.out);
	blockbuf__free(b.bb);
	free(b.bs);
	strbuf__free(&b.redacted);
	slice__close(sl);
	capview__close(b.c);
	slice_args__free(&sa);
	free(ba.redacts);
	cli__args_free(&a);
	return rc;
}
