/* redact.c - keyed-hash redaction of a capture's values (see redact.h). */
#include "redact.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "cli.h"
#include "hmac.h"

#define TOKEN_CHARS 15                   /* "~" + 14 hex digits */

/* One column to redact: its bytes in the record. */
struct rcol {
	uint32_t off, size;
	enum evcol_kind kind;
	bool trailing;              /* a trailing array: the record may end inside it */
};

/* The columns to redact of one stream. */
struct rstream {
	struct rcol *cols;
	size_t n;
};

struct redact {
	struct capview *c;
	struct rstream *streams;    /* parallel to capview__stream(c, i) */
	bool meta[REDACT_NMETA];
	uint8_t key[32];
	uint8_t *scratch;           /* one record being redacted */
	size_t scratch_cap;
};

int redact__new(struct capview *c, struct redact **out)
{
	struct redact *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->c = c;
	r->streams = calloc(capview__nstreams(c) + 1, sizeof(*r->streams));
	if (!r->streams) {
		free(r);
		return -ENOMEM;
	}
	if (getrandom(r->key, sizeof(r->key), 0) != (ssize_t)sizeof(r->key)) {
		int e = errno ? errno : EIO;
		redact__free(r);
		return -e;
	}
	*out = r;
	return 0;
}

void redact__free(struct redact *r)
{
	if (!r)
		return;
	explicit_bzero(r->key, sizeof(r->key));
	for (size_t i = 0; i < capview__nstreams(r->c); i++)
		free(r->streams[i].cols);
	free(r->streams);
	free(r->scratch);
	free(r);
}

/* ---- keyed hashes ---- */

static void keyed(const struct redact *r, const void *in, size_t len, uint8_t out[SHA256_BYTES])
{
	const void *parts[1] = { in };
	size_t lens[1] = { len };

	hmac_sha256(r->key, sizeof(r->key), 1, parts, lens, out);
}

/* n bytes of hash stream for input in: HMAC(in), then HMAC(HMAC(in) || i). */
static void keyed_stream(const struct redact *r, const void *in, size_t len, uint8_t *out,
			 size_t n)
{
	uint8_t seed[SHA256_BYTES], blk[SHA256_BYTES];

	keyed(r, in, len, seed);
	for (uint32_t i = 0; n; i++) {
		const uint8_t *src = seed;
		if (i) {
			const void *parts[2] = { seed, &i };
			size_t lens[2] = { sizeof(seed), sizeof(i) };
			hmac_sha256(r->key, sizeof(r->key), 2, parts, lens, blk);
			src = blk;
		}
		size_t k = n < SHA256_BYTES ? n : SHA256_BYTES;
		memcpy(out, src, k);
		out += k;
		n -= k;
	}
}

/* "~" + 14 hex digits: the text form of a redacted value. */
static void token(const struct redact *r, const void *in, size_t len, char out[TOKEN_CHARS + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t h[SHA256_BYTES];

	keyed(r, in, len, h);
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
static void redact_field(const struct redact *r, enum evcol_kind kind, uint8_t *p, size_t size)
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
		token(r, p, len, tok);
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
		keyed(r, p, size, h);
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
	keyed_stream(r, p, size, tmp, size);
	if (kind == EVCOL_JSON) {
		for (size_t i = 0; i < size; i++)
			tmp[i] = (uint8_t)"0123456789abcdef"[tmp[i] & 15];
	}
	memcpy(p, tmp, size);
	free(tmp);
}

/* ---- choosing what to redact ---- */

static bool sensitive_name(const char *name)
{
	static const char *const pats[] = { "file", "path", "cmdline", "argv", "args", "cwd" };

	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		if (strcasestr(name, pats[i]))
			return true;
	return false;
}

/* Adds column k of stream i to the redaction list (once). */
static int choose_col(struct redact *r, const char *cmd, size_t i, size_t k)
{
	const struct capview_stream *s = capview__stream(r->c, i);
	const struct evcol *col = evtype__col(s->et, k);
	struct rstream *rs = &r->streams[i];

	for (size_t j = 0; j < rs->n; j++)
		if (rs->cols[j].off == col->bit_offset / 8 && rs->cols[j].size == col->byte_size)
			return 0;
	if (col->bit_offset % 8 || col->bit_size != col->byte_size * 8 || !col->byte_size)
		return cli__usage_error(cmd, "--redact: %s.%s is a bitfield: it cannot be "
					"redacted", s->name, s->cols[k]);
	struct rcol *a = realloc(rs->cols, (rs->n + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	rs->cols = a;
	a[rs->n++] = (struct rcol){ col->bit_offset / 8, col->byte_size, col->kind,
				    col->trailing != 0 };
	return 0;
}

static int choose_default(struct redact *r, const char *cmd)
{
	int rc;

	r->meta[REDACT_CMDLINE] = r->meta[REDACT_OBJPATH] = r->meta[REDACT_IDNAMES] = true;
	for (size_t i = 0; i < capview__nstreams(r->c); i++) {
		const struct capview_stream *s = capview__stream(r->c, i);
		for (size_t k = 0; k < s->ncols; k++) {
			const struct evcol *col = evtype__col(s->et, k);
			if ((col->kind == EVCOL_IPADDR ||
			     (col->kind == EVCOL_TEXT && sensitive_name(s->cols[k]))) &&
			    (rc = choose_col(r, cmd, i, k)))
				return rc;
		}
	}
	return 0;
}

int redact__choose(struct redact *r, const char *cmd, const char *fields)
{
	static const struct {
		const char *name;
		enum redact_meta m;
	} metas[] = {
		{ "sessions.cmdline", REDACT_CMDLINE }, { "session.cmdline", REDACT_CMDLINE },
		{ "sessions.host", REDACT_HOST }, { "session.host", REDACT_HOST },
		{ "objects.path", REDACT_OBJPATH }, { "objects.name", REDACT_OBJNAME },
		{ "users.name", REDACT_IDNAMES }, { "groups.name", REDACT_IDNAMES },
	};
	char *dup = strdup(fields ? fields : "default"), *save = NULL;
	int rc = 0;

	if (!dup)
		return -ENOMEM;
	for (char *t = strtok_r(dup, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
		bool meta = false;

		if (!strcmp(t, "default")) {
			rc = choose_default(r, cmd);
			continue;
		}
		for (size_t m = 0; m < sizeof(metas) / sizeof(metas[0]) && !meta; m++)
			if (!strcmp(t, metas[m].name))
				meta = r->meta[metas[m].m] = true;
		if (meta)
			continue;
		char *dot = strchr(t, '.');
		const char *colname = dot ? dot + 1 : t;
		struct capview_stream *only = NULL;
		bool found = false;
		if (dot) {
			*dot = 0;
			only = capview__stream_by_name(r->c, t);
			if (!only) {
				rc = cli__usage_error(cmd, "--redact: '%s.%s': no stream '%s'", t,
						      colname, t);
				break;
			}
		}
		for (size_t i = 0; i < capview__nstreams(r->c) && !rc; i++) {
			const struct capview_stream *s = capview__stream(r->c, i);
			if (only && s != only)
				continue;
			for (size_t k = 0; k < s->ncols && !rc; k++) {
				if (strcasecmp(s->cols[k], colname))
					continue;
				found = true;
				rc = choose_col(r, cmd, i, k);
			}
		}
		if (!rc && !found)
			rc = cli__usage_error(cmd, "--redact: no stream has a column '%s' "
					      "('bpfreplay info' lists the tables; 'bpfreplay sql "
					      "CAPTURE .schema' their columns)", colname);
	}
	free(dup);
	return rc;
}

/* ---- redacting ---- */

bool redact__meta(const struct redact *r, enum redact_meta m)
{
	return r && r->meta[m];
}

bool redact__has_cols(const struct redact *r, size_t i)
{
	return r && r->streams[i].n;
}

const void *redact__record(struct redact *r, size_t i, const void *data, uint32_t len)
{
	const struct rstream *rs = &r->streams[i];

	if (!rs->n)
		return data;
	if (r->scratch_cap < len) {
		void *p = realloc(r->scratch, len);
		if (!p)
			return NULL;
		r->scratch = p;
		r->scratch_cap = len;
	}
	memcpy(r->scratch, data, len);
	for (size_t k = 0; k < rs->n; k++) {
		const struct rcol *c = &rs->cols[k];
		uint32_t size = c->size;
		/* evtype__check: a trailing array may end early (or run on,
		 * flexible); every other column is whole */
		if (c->trailing && c->off <= len && (!size || len - c->off < size))
			size = len - c->off;
		if ((uint64_t)c->off + size <= len)
			redact_field(r, c->kind, r->scratch + c->off, size);
	}
	return r->scratch;
}

void redact__bind_token(const struct redact *r, sqlite3_stmt *src, sqlite3_stmt *dst, int col)
{
	const unsigned char *t = sqlite3_column_text(src, col);
	int len = sqlite3_column_bytes(src, col);
	char tok[TOKEN_CHARS + 1];

	if (!t || !len)
		return;
	token(r, t, (size_t)len, tok);
	sqlite3_bind_text(dst, col + 1, tok, -1, SQLITE_TRANSIENT);
}

int redact__describe(const struct redact *r, unsigned files,
		     bool (*kept)(void *ctx, size_t i), void *ctx, struct strbuf *out)
{
	static const char *const meta_names[REDACT_NMETA] = {
		[REDACT_HOST] = "sessions.host", [REDACT_CMDLINE] = "sessions.cmdline",
		[REDACT_OBJNAME] = "objects.name", [REDACT_OBJPATH] = "objects.path",
		[REDACT_IDNAMES] = "users.name, groups.name",
	};
	int rc = 0;

	if (!r)
		return 0;
	for (int m = 0; m < REDACT_NMETA; m++)
		if (r->meta[m])
			rc |= strbuf__addf(out, "%s%s", out->len ? ", " : "", meta_names[m]);
	if (r->meta[REDACT_OBJPATH] && (files & REDACT_SYM_FILES))
		rc |= strbuf__addf(out, "%ssym_files.path", out->len ? ", " : "");
	if (r->meta[REDACT_OBJPATH] && (files & REDACT_LINES))
		rc |= strbuf__addf(out, "%slines.src", out->len ? ", " : "");
	for (size_t i = 0; i < capview__nstreams(r->c); i++) {
		const struct capview_stream *s = capview__stream(r->c, i);
		const struct rstream *rs = &r->streams[i];
		if (!kept(ctx, i))
			continue;
		for (size_t j = 0; j < rs->n; j++)
			for (size_t k = 0; k < s->ncols; k++) {
				const struct evcol *col = evtype__col(s->et, k);
				if (col->bit_offset / 8 == rs->cols[j].off &&
				    col->byte_size == rs->cols[j].size && !(col->bit_offset % 8)) {
					rc |= strbuf__addf(out, "%s%s.%s", out->len ? ", " : "",
							   s->name, s->cols[k]);
					break;
				}
			}
	}
	return rc ? -ENOMEM : 0;
}
