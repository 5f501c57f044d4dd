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
 * Redaction (--redact): each chosen value is replaced by a keyed hash,
 * HMAC-SHA256 under a random 32-byte key made for this bundle and never
 * stored, so equal values stay equal (joinable) inside the bundle and cannot
 * be confirmed by guessing outside it.  Forms, all the width of the field:
 *   text (char arrays, sessions/objects text): "~" + 14 hex digits of the
 *       hash (56 bits), cut to fit a field shorter than 16 bytes, NUL padded;
 *       the same text gives the same token in every field;
 *   addresses (bpfrec_ipaddr): IPv4-mapped -> ::ffff:240.0.0.0/4 (reserved
 *       class E), IPv6 -> fd00::/8 (unique local), from the hash;
 *   JSON arrays: every byte replaced by a hex digit of the hash;
 *   anything else (integers, enums, bytes): the same number of hash bytes.
 * A value that says nothing (empty text, all-zero bytes: an unset address,
 * 0) is kept as it is.  Bitfields cannot be redacted.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "capb.h"
#include "cli.h"
#include "hmac.h"
#include "print.h"
#include "capview.h"
#include "slice.h"

#define BUNDLE_BLOCK_BYTES (4u << 20)   /* re-encoded blocks: the recorder's usual size */
#define TOKEN_CHARS 15                   /* "~" + 14 hex digits */

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
	       "                                      objects.path  (what --redact alone means)\n"
	       "                        COLUMN        that column of every stream that has it\n"
	       "                        STREAM.COLUMN one stream's column\n"
	       "                        sessions.cmdline, sessions.host, objects.path, objects.name\n"
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

/* One column to redact: its bytes in the record. */
struct rcol {
	uint32_t off, size;
	enum evcol_kind kind;
	bool trailing;              /* a trailing array: the record may end inside it */
};

struct bstream {
	struct capview_stream *s;
	bool sel;                   /* kept in the bundle */
	const char *why_out;        /* why not, for the bundle table */
	struct rcol *rcols;         /* columns to redact */
	size_t nrcols;
	uint64_t kept, damaged;
};

struct bundle {
	struct capview *c;
	struct bstream *bs;         /* parallel to capview__stream(c, i) */
	size_t n;
	uint64_t lo, hi;            /* ts bounds, inclusive */
	const int64_t *pids;        /* --pid values (the slice's arguments) */
	size_t npids;
	bool redact;
	bool red_cmdline, red_host, red_objpath, red_objname;
	uint8_t key[32];
	struct capb *out;
	struct blockbuf *bb;
	uint8_t *scratch;           /* one record being redacted */
	size_t scratch_cap;
	struct strbuf redacted;     /* "alpha.comm, sessions.cmdline" */
	uint64_t damaged_blocks, damaged_recs, copied_blocks, events;
	char err[512];
};

static struct bstream *bs_of(struct bundle *b, int64_t stream_id)
{
	struct capview_stream *s = capview__stream_by_id(b->c, stream_id);
	return s ? &b->bs[s - capview__stream(b->c, 0)] : NULL;
}

/* ---- keyed hashes ---- */

static void keyed(const struct bundle *b, const void *in, size_t len, uint8_t out[SHA256_BYTES])
{
	const void *parts[1] = { in };
	size_t lens[1] = { len };

	hmac_sha256(b->key, sizeof(b->key), 1, parts, lens, out);
}

/* n bytes of hash stream for input in: HMAC(in), then HMAC(HMAC(in) || i). */
static void keyed_stream(const struct bundle *b, const void *in, size_t len, uint8_t *out,
			 size_t n)
{
	uint8_t seed[SHA256_BYTES], blk[SHA256_BYTES];

	keyed(b, in, len, seed);
	for (uint32_t i = 0; n; i++) {
		const uint8_t *src = seed;
		if (i) {
			const void *parts[2] = { seed, &i };
			size_t lens[2] = { sizeof(seed), sizeof(i) };
			hmac_sha256(b->key, sizeof(b->key), 2, parts, lens, blk);
			src = blk;
		}
		size_t k = n < SHA256_BYTES ? n : SHA256_BYTES;
		memcpy(out, src, k);
		out += k;
		n -= k;
	}
}

/* "~" + 14 hex digits: the text form of a redacted value. */
static void token(const struct bundle *b, const void *in, size_t len, char out[TOKEN_CHARS + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t h[SHA256_BYTES];

	keyed(b, in, len, h);
	out[0] = '~';
	for (int i = 0; i < (TOKEN_CHARS - 1) / 2; i++) {
		out[1 + 2 * i] = hex[h[i] >> 4];
		out[2 + 2 * i] = hex[h[i] & 15];
	}
	out[TOKEN_CHARS] = 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Redacts one field of size bytes at p, in place. */
static void redact_field(const struct bundle *b, enum evcol_kind kind, uint8_t *p, size_t size)
{
	uint8_t h[SHA256_BYTES];
	char tok[TOKEN_CHARS + 1];

	switch (kind) {
	case EVCOL_TEXT: {
		/* the whole text, with what follows an embedded NUL (evtype.c) */
		size_t len = size;
		while (len && !p[len - 1])
			len--;
		if (!len)
			return;
		token(b, p, len, tok);
		size_t n = size > 1 ? size - 1 : 1;
		n = n < TOKEN_CHARS ? n : TOKEN_CHARS;
		memset(p, 0, size);
		memcpy(p, tok, n);
		return;
	}
	case EVCOL_IPADDR: {
		static const uint8_t v4map[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (size != 16 || all_zero(p, size))
			break;
		keyed(b, p, size, h);
		if (!memcmp(p, v4map, sizeof(v4map))) {
			p[12] = 0xf0 | (h[0] & 0x0f);
			memcpy(p + 13, h + 1, 3);
		} else {
			p[0] = 0xfd;
			memcpy(p + 1, h, 15);
		}
		return;
	}
	default:
		break;
	}
	if (all_zero(p, size))
		return;
	uint8_t *tmp = malloc(size);
	if (!tmp) {
		memset(p, 0, size);   /* never leave the value */
		return;
	}
	keyed_stream(b, p, size, tmp, size);
	if (kind == EVCOL_JSON) {
		for (size_t i = 0; i < size; i++)
			tmp[i] = (uint8_t)"0123456789abcdef"[tmp[i] & 15];
	}
	memcpy(p, tmp, size);
	free(tmp);
}

/* ---- option parsing ---- */

static bool sensitive_name(const char *name)
{
	static const char *const pats[] = { "file", "path", "cmdline", "argv", "args", "cwd" };

	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		if (strcasestr(name, pats[i]))
			return true;
	return false;
}

/* Adds column k of stream bs to the redaction list (once). */
static int redact_col(struct bundle *b, struct bstream *bs, size_t k)
{
	const struct evcol *col = evtype__col(bs->s->et, k);

	for (size_t i = 0; i < bs->nrcols; i++)
		if (bs->rcols[i].off == col->bit_offset / 8 && bs->rcols[i].size == col->byte_size)
			return 0;
	if (col->bit_offset % 8 || col->bit_size != col->byte_size * 8 || !col->byte_size)
		return cli__usage_error("bundle", "--redact: %s.%s is a bitfield: it cannot be "
					"redacted", bs->s->name, bs->s->cols[k]);
	struct rcol *a = realloc(bs->rcols, (bs->nrcols + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	bs->rcols = a;
	a[bs->nrcols++] = (struct rcol){ col->bit_offset / 8, col->byte_size, col->kind,
					 col->trailing != 0 };
	return 0;
}

static int redact_default(struct bundle *b)
{
	int rc;

	b->red_cmdline = b->red_objpath = true;
	for (size_t i = 0; i < b->n; i++) {
		struct bstream *bs = &b->bs[i];
		for (size_t k = 0; k < bs->s->ncols; k++) {
			const struct evcol *col = evtype__col(bs->s->et, k);
			if ((col->kind == EVCOL_IPADDR ||
			     (col->kind == EVCOL_TEXT && sensitive_name(bs->s->cols[k]))) &&
			    (rc = redact_col(b, bs, k)))
				return rc;
		}
	}
	return 0;
}

static int parse_redact(struct bundle *b, const char *list)
{
	char *dup = strdup(list ? list : "default"), *save = NULL;
	int rc = 0;

	if (!dup)
		return -ENOMEM;
	b->redact = true;
	for (char *t = strtok_r(dup, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "default")) {
			rc = redact_default(b);
			continue;
		}
		if (!strcmp(t, "sessions.cmdline") || !strcmp(t, "session.cmdline")) {
			b->red_cmdline = true;
			continue;
		}
		if (!strcmp(t, "sessions.host") || !strcmp(t, "session.host")) {
			b->red_host = true;
			continue;
		}
		if (!strcmp(t, "objects.path")) {
			b->red_objpath = true;
			continue;
		}
		if (!strcmp(t, "objects.name")) {
			b->red_objname = true;
			continue;
		}
		char *dot = strchr(t, '.');
		const char *colname = dot ? dot + 1 : t;
		struct capview_stream *only = NULL;
		bool found = false;
		if (dot) {
			*dot = 0;
			only = capview__stream_by_name(b->c, t);
			if (!only) {
				rc = cli__usage_error("bundle", "--redact: '%s.%s': no stream '%s'", t,
						      colname, t);
				break;
			}
		}
		for (size_t i = 0; i < b->n && !rc; i++) {
			struct bstream *bs = &b->bs[i];
			if (only && bs->s != only)
				continue;
			for (size_t k = 0; k < bs->s->ncols && !rc; k++) {
				if (strcasecmp(bs->s->cols[k], colname))
					continue;
				found = true;
				rc = redact_col(b, bs, k);
			}
		}
		if (!rc && !found)
			rc = cli__usage_error("bundle", "--redact: no stream has a column '%s' "
					      "('bpfreplay info' lists the tables; 'bpfreplay sql "
					      "CAPTURE .schema' their columns)", colname);
	}
	free(dup);
	return rc;
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

static void bind_token(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst, int col)
{
	const unsigned char *t = sqlite3_column_text(src, col);
	int len = sqlite3_column_bytes(src, col);
	char tok[TOKEN_CHARS + 1];

	if (!t || !len)
		return;
	token(b, t, (size_t)len, tok);
	sqlite3_bind_text(dst, col + 1, tok, -1, SQLITE_TRANSIENT);
}

static int keep_session(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	if (b->red_host)
		bind_token(b, src, dst, 1);
	if (b->red_cmdline)
		bind_token(b, src, dst, 4);
	return 1;
}

static int keep_object(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	int64_t id = sqlite3_column_int64(src, 0);
	bool used = false;

	for (size_t i = 0; i < b->n; i++)
		used |= b->bs[i].sel && b->bs[i].s->object_id == id;
	if (!used)
		return 0;
	if (b->red_objname)
		bind_token(b, src, dst, 1);
	if (b->red_objpath)
		bind_token(b, src, dst, 2);
	return 1;
}

static int keep_stream(struct bundle *b, sqlite3_stmt *src, sqlite3_stmt *dst)
{
	struct bstream *bs = bs_of(b, sqlite3_column_int64(src, 0));
	return bs && bs->sel;
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

	if (b->red_objpath && kind && (!strcmp((const char *)kind, "elf") ||
				       !strcmp((const char *)kind, "perfmap")))
		bind_token(b, src, dst, 2);
	return 1;
}

/* Stacks and symbols (FORMAT.md "Stacks and symbols"), whole: a slice
 * keeps every stack its events may name.  Captures without them have none. */
static int copy_stacks(struct bundle *b)
{
	static const char *const q[][3] = {
		{ "stack_traces", "SELECT id, kind, frames FROM stack_traces",
		  "INSERT INTO stack_traces (id, kind, frames) VALUES (?1, ?2, ?3)" },
		{ "stack_pids", "SELECT stack_id, pid FROM stack_pids",
		  "INSERT INTO stack_pids (stack_id, pid) VALUES (?1, ?2)" },
		{ "sym_files", "SELECT id, kind, path, build_id, size, pid, symbols FROM sym_files",
		  "INSERT INTO sym_files (id, kind, path, build_id, size, pid, symbols)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)" },
		{ "proc_maps", "SELECT pid, start_addr, end_addr, file_offset, file_id FROM proc_maps",
		  "INSERT INTO proc_maps (pid, start_addr, end_addr, file_offset, file_id)"
		  " VALUES (?1, ?2, ?3, ?4, ?5)" },
		{ "symbols", "SELECT file_id, addr, size, name FROM symbols",
		  "INSERT INTO symbols (file_id, addr, size, name) VALUES (?1, ?2, ?3, ?4)" },
	};
	sqlite3 *sdb = capr__db(capview__capr(b->c));
	int rc = 0;

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]) && !rc; i++) {
		sqlite3_stmt *st;
		int have;

		if (sqlite3_prepare_v2(sdb, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
					    "name = ?1", -1, &st, NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_text(st, 1, q[i][0], -1, SQLITE_STATIC);
		have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (have)
			rc = copy_rows(b, q[i][1], q[i][2], i == 2 ? keep_symfile : NULL);
	}
	return rc;
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
	    (rc = copy_stacks(b)))
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

	if (bs->nrcols) {
		if (b->scratch_cap < rec->len) {
			void *p = realloc(b->scratch, rec->len);
			if (!p)
				return -ENOMEM;
			b->scratch = p;
			b->scratch_cap = rec->len;
		}
		memcpy(b->scratch, rec->data, rec->len);
		for (size_t i = 0; i < bs->nrcols; i++) {
			const struct rcol *c = &bs->rcols[i];
			uint32_t size = c->size;
			/* evtype__check: a trailing array may end early (or run on,
			 * flexible); every other column is whole */
			if (c->trailing && c->off <= rec->len &&
			    (!size || rec->len - c->off < size))
				size = rec->len - c->off;
			if ((uint64_t)c->off + size <= rec->len)
				redact_field(b, c->kind, b->scratch + c->off, size);
		}
		data = b->scratch;
	}
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
		whole = bs && bs->sel && !bs->nrcols && !b->npids;
	}
	if (whole) {
		const uint8_t *enc;
		size_t len;
		capr__cursor_encoded(cur, &enc, &len);
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
		if ((b->npids || bs->nrcols) && evtype__check(bs->s->et, rec->len)) {
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
			if (s->blocks[k].max_ts >= b->lo && s->blocks[k].min_ts <= b->hi)
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
		rc |= capb__set(b->out, "redaction",
				"HMAC-SHA256 with a random per-bundle key (not stored): equal values "
				"stay equal; text -> '~' + 14 hex digits (cut to fit), addresses -> "
				"240.0.0.0/4 (IPv4) or fd00::/8 (IPv6), other fields -> hash bytes of "
				"the same width; empty and zero values kept");
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

/* The capture names files of the recording machine in sym_files. */
static bool has_file_paths(struct bundle *b)
{
	sqlite3_stmt *st;
	bool have = false;

	if (sqlite3_prepare_v2(capr__db(capview__capr(b->c)), "SELECT 1 FROM sym_files WHERE kind IN "
			       "('elf', 'perfmap') LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return false;   /* a capture from before stacks */
	have = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return have;
}

static void list_redacted(struct bundle *b)
{
	if (b->red_host)
		strbuf__addf(&b->redacted, "%ssessions.host", b->redacted.len ? ", " : "");
	if (b->red_cmdline)
		strbuf__addf(&b->redacted, "%ssessions.cmdline", b->redacted.len ? ", " : "");
	if (b->red_objname)
		strbuf__addf(&b->redacted, "%sobjects.name", b->redacted.len ? ", " : "");
	if (b->red_objpath)
		strbuf__addf(&b->redacted, "%sobjects.path", b->redacted.len ? ", " : "");
	if (b->red_objpath && has_file_paths(b))
		strbuf__addf(&b->redacted, "%ssym_files.path", b->redacted.len ? ", " : "");
	for (size_t i = 0; i < b->n; i++) {
		struct bstream *bs = &b->bs[i];
		if (!bs->sel)
			continue;
		for (size_t r = 0; r < bs->nrcols; r++)
			for (size_t k = 0; k < bs->s->ncols; k++) {
				const struct evcol *col = evtype__col(bs->s->et, k);
				if (col->bit_offset / 8 == bs->rcols[r].off &&
				    col->byte_size == bs->rcols[r].size && !(col->bit_offset % 8)) {
					strbuf__addf(&b->redacted, "%s%s.%s", b->redacted.len ? ", " : "",
						     bs->s->name, bs->s->cols[k]);
					break;
				}
			}
	}
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

int cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		SLICE_LONGOPTS,
		{ "redact", optional_argument, NULL, 'R' },
		{ NULL },
	};
	struct bundle b = { .hi = UINT64_MAX };
	struct slice_args sa = { 0 };
	struct slice *sl = NULL;
	const char *out = NULL;
	const char **redacts = calloc(argc + 1, sizeof(*redacts));
	size_t nredacts = 0;
	char err[512];
	int ch, rc = 0;

	if (!redacts) {
		rc = EXIT_CAPTURE;
		goto out;
	}
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":ho:" SLICE_SHORTOPTS, opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
			goto out;
		case 'o':
			out = optarg;
			break;
		case 'R':
			redacts[nredacts++] = optarg ? optarg : "default";
			break;
		default:
			rc = slice_args__take(&sa, "bundle", ch, optarg);
			if (rc == 1)
				rc = cli__bad_option("bundle", argv, ch);
			if (rc)
				goto out;
		}
	}
	if (sa.where) {
		rc = cli__usage_error("bundle", "--where: not for bundle, which keeps whole records "
				      "of whole streams (--stream, --pid, --since, --until)");
		goto out;
	}
	if (optind + 1 != argc) {
		rc = cli__usage_error("bundle", optind >= argc ? "no CAPTURE given"
				      : "one CAPTURE only ('%s' is extra)", argv[optind + 1]);
		goto out;
	}
	if (!out) {
		rc = cli__usage_error("bundle", "no output file: give -o FILE");
		goto out;
	}
	struct stat st;
	if (!lstat(out, &st)) {
		rc = cli__usage_error("bundle", "-o '%s': exists (choose a new file name)", out);
		goto out;
	}
	b.c = capview__open(argv[optind], err, sizeof(err));
	if (!b.c) {
		cli__warn("%s", err);
		rc = EXIT_CAPTURE;
		goto out;
	}
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
	for (size_t i = 0; i < nredacts; i++)
		if ((rc = parse_redact(&b, redacts[i])))
			goto out;
	for (size_t i = 0; i < b.n; i++) {
		struct bstream *bs = &b.bs[i];
		if (!bs->sel)
			continue;
		if (b.redact && !evtype__size(bs->s->et)) {
			cli__warn("note: --redact: stream '%s' left out: its records are raw bytes "
				  "(no usable event type), so nothing in them can be redacted",
				  bs->s->name);
			bs->sel = false;
			bs->why_out = "raw bytes cannot be redacted";
		}
	}
	list_redacted(&b);

	if (b.redact && getrandom(b.key, sizeof(b.key), 0) != (ssize_t)sizeof(b.key)) {
		cli__warn("getrandom: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	b.bb = blockbuf__new(BUNDLE_BLOCK_BYTES);
	b.out = capb__create(out, 3, b.err, sizeof(b.err));
	if (!b.bb || !b.out) {
		cli__warn("%s", b.out ? "out of memory" : b.err);
		rc = 1;
		goto out;
	}
	int r = copy_meta(&b);
	if (!r)
		r = do_blocks(&b);
	if (!r)
		r = describe(&b, argv[optind], sa.since, sa.until);
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
	explicit_bzero(b.key, sizeof(b.key));
	capb__abort(b.out);
	blockbuf__free(b.bb);
	for (size_t i = 0; b.bs && i < b.n; i++)
		free(b.bs[i].rcols);
	free(b.bs);
	free(b.scratch);
	strbuf__free(&b.redacted);
	slice__close(sl);
	capview__close(b.c);
	slice_args__free(&sa);
	free(redacts);
	return rc;
}
