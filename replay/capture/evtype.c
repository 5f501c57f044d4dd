/* evtype.c - columns of an event type from (validated) BTF, and the exact
 * decoding of one record into them.  See evtype.h for the contract.
 *
 * Rules chosen here (also in evtype.h):
 *  - Column names: members joined with '_' (anonymous structs/unions add
 *    nothing); every byte outside [A-Za-z0-9_] becomes '_', a name is at most
 *    EVTYPE_MAX_NAME bytes, and a name equal (case-insensitively, as SQLite
 *    compares column names) to an earlier one gets _2, _3, ... appended.
 *    Unnamed bitfields (padding) give no column.
 *  - TEXT: an array whose element, looking through const/volatile but NOT
 *    through typedefs, is an int with BTF_INT_CHAR encoding or a 1-byte int
 *    named char, signed char or unsigned char.  So `char comm[16]` is TEXT
 *    and `__u8 mac[6]` is BYTES.  The bytes up to the last non-NUL byte (a
 *    NUL-padded string loses its padding), as they are (no UTF-8 repair).
 *    Bytes after a NUL are data too (execsnoop's args are NUL-separated), so
 *    a text with an embedded NUL is written escaped: each NUL as the two
 *    characters \0 and each backslash as \\; a text without one is
 *    written unchanged.
 *  - BYTES: an array whose element, through typedefs, is a 1-byte int that is
 *    not TEXT and not bool (__u8, __s8): the bytes (hex when printed).
 *  - HEX: an int wider than 64 bits that is no bpfrec_ipaddr: "0x" and 32
 *    hex digits, most significant first (the value, as the C type says).
 *  - JSON: integers as numbers (u64 unsigned), bool true/false, enums as the
 *    enumerator name string (unknown: number), char arrays as strings
 *    (valid UTF-8 kept, other bytes as \u00XX), nested arrays nest, structs
 *    and unions are objects {"member":value} (anonymous members inlined),
 *    floats as numbers (non-finite: null), bpfrec_ipaddr as an address
 *    string, byte arrays as a string of their bytes' hex digits in memory
 *    order, anything else (int128, long double) as a "0x.." hex string of
 *    its value (the little-endian bytes, most significant first).
 *  - Record data is little-endian (the bpfel target); the decoder assembles
 *    bytes explicitly, so it works on any host.
 */
#include "evtype.h"
#include "utf8.h"

#include <arpa/inet.h>
#include <endian.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQLite's default SQLITE_MAX_COLUMN (2000) less the columns a stream's
 * table adds to the type's (ts, time, cpu, stream; host and capture over
 * several captures): a type of more would make a table SQLite refuses,
 * and that refusal bpfreplay sql's whole attach. */
#define EVTYPE_MAX_COLS (2000 - 6)
#define EVTYPE_MAX_NAME 128             /* bytes in a column name */
#define EVTYPE_MAX_VISITS (1u << 20)    /* members walked while building */
#define EVTYPE_MAX_JSON (64u << 20)     /* bytes of one JSON value */
#define EVTYPE_MAX_WORK (1u << 24)      /* values visited for one JSON value */
/* A JSON value's budget also follows its bytes, so that a tiny hostile type
 * (an array of 2^30 empty structs, 0 bytes) cannot cost seconds per record:
 * members and values visited <= BASE + PER_BYTE * bytes (a legit type visits
 * at most ~2 per bitfield bit plus its nesting), and the text <= JSON_BASE +
 * JSON_PER_BYTE * bytes (long member names aside, ~6 bytes per byte). */
#define EVTYPE_WORK_BASE 4096u
#define EVTYPE_WORK_PER_BYTE 32u
#define EVTYPE_JSON_BASE (1u << 20)
#define EVTYPE_JSON_PER_BYTE 64u
#define EVTYPE_MAX_SIZE (UINT32_MAX / 8)  /* bytes: bit offsets fit 32 bits */
#define HASH_SLOTS 4096                 /* > 2 * EVTYPE_MAX_COLS, power of 2 */

struct sbuf {
	char *p;
	size_t len, cap;
	size_t limit;                   /* fail with -E2BIG past this */
	int err;                        /* sticky: 0 or -errno */
};

struct evtype {
	struct btfv *btf;               /* our reference; NULL for bytes */
	uint32_t type_id;               /* as given (after VAR) */
	uint32_t size;                  /* BTF size */
	uint32_t min_size;              /* size, or a trailing array's offset */
	int bytes;                      /* evtype__new_bytes */
	char *name;
	struct evcol *cols;
	size_t ncols, cols_cap;
	struct sbuf sb;                 /* scratch for decoded values */
	uint32_t work;                  /* JSON budget, per decode */
	uint32_t work_max;              /* this decode's limit on work */
	/* while building only */
	uint32_t *slots;                /* name hash: column index + 1 */
	uint32_t visits;
	uint32_t max_visits, max_cols;  /* EVTYPE_MAX_*, or less: a budget's */
	int budget;                     /* those are a budget's (its message) */
};

/* ---- scratch buffer ---- */

static void sb_reset(struct sbuf *sb, size_t limit)
{
	sb->len = 0;
	sb->err = 0;
	sb->limit = limit;
}

static void sb_put(struct sbuf *sb, const void *data, size_t n)
{
	if (sb->err)
		return;
	if (n > sb->limit - sb->len) {
		sb->err = -E2BIG;
		return;
	}
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 256;
		char *p;

		while (cap < sb->len + n + 1)
			cap *= 2;
		p = realloc(sb->p, cap);
		if (!p) {
			sb->err = -ENOMEM;
			return;
		}
		sb->p = p;
		sb->cap = cap;
	}
	memcpy(sb->p + sb->len, data, n);
	sb->len += n;
	sb->p[sb->len] = 0;
}

static void sb_str(struct sbuf *sb, const char *s)
{
	sb_put(sb, s, strlen(s));
}

/* ---- reading bits ---- */

/* nbits (1..64) little-endian bits at bit_off; the caller checked bounds. */
static uint64_t read_bits(const uint8_t *rec, uint64_t bit_off, uint32_t nbits)
{
	const uint8_t *p = rec + bit_off / 8;
	unsigned sh = bit_off % 8, nbytes = (sh + nbits + 7) / 8, i;
	unsigned __int128 v = 0;

	if (!sh) {   /* a whole member (not a bitfield): one load */
		switch (nbits) {
		case 8: return p[0];
		case 16: { uint16_t x; memcpy(&x, p, 2); return le16toh(x); }
		case 32: { uint32_t x; memcpy(&x, p, 4); return le32toh(x); }
		case 64: { uint64_t x; memcpy(&x, p, 8); return le64toh(x); }
		}
	}
	for (i = 0; i < nbytes; i++)
		v |= (unsigned __int128)p[i] << (8 * i);
	v >>= sh;
	if (nbits < 64)
		v &= ((uint64_t)1 << nbits) - 1;
	return (uint64_t)v;
}

static int64_t sign_extend(uint64_t v, uint32_t nbits)
{
	if (nbits && nbits < 64 && (v >> (nbits - 1)) & 1)
		v |= ~(uint64_t)0 << nbits;
	return (int64_t)v;
}

/* ---- BTF helpers ---- */

static int kind_of(const struct btf_type *t)
{
	return t ? (int)BTF_INFO_KIND(t->info) : 0;
}

static const struct btf_type *resolved(const struct btfv *b, uint32_t id, uint32_t *rid)
{
	uint32_t r = btfv__resolve(b, id);

	if (rid)
		*rid = r;
	return btfv__type(b, r);
}

static uint32_t int_meta(const struct btf_type *t)
{
	return *(const uint32_t *)(t + 1);
}

/* typedef name anywhere on the typedef/modifier chain of id. */
static int has_typedef(const struct btfv *b, uint32_t id, const char *name)
{
	for (int depth = 0; depth <= BTFV_MAX_DEPTH; depth++) {
		const struct btf_type *t = btfv__type(b, id);
		int k = kind_of(t);

		if (k == BTF_KIND_TYPEDEF && !strcmp(btfv__name(b, t->name_off), name))
			return 1;
		if (k != BTF_KIND_TYPEDEF && k != BTF_KIND_CONST && k != BTF_KIND_VOLATILE &&
		    k != BTF_KIND_RESTRICT && k != BTF_KIND_TYPE_TAG)
			return 0;
		id = t->type;
	}
	return 0;
}

/* EVCOL_ID_UID / _GID when a uid or gid typedef is on the chain (the
 * kernel's and the C library's names; kuid_t is a struct whose member val
 * is a uid_t), else 0. */
static int id_kind(const struct btfv *b, uint32_t id)
{
	static const char *const uids[] = { "uid_t", "__kernel_uid32_t", "__kernel_uid_t",
					    "old_uid_t", "__kernel_old_uid_t", NULL };
	static const char *const gids[] = { "gid_t", "__kernel_gid32_t", "__kernel_gid_t",
					    "old_gid_t", "__kernel_old_gid_t", NULL };

	for (int i = 0; uids[i]; i++)
		if (has_typedef(b, id, uids[i]))
			return EVCOL_ID_UID;
	for (int i = 0; gids[i]; i++)
		if (has_typedef(b, id, gids[i]))
			return EVCOL_ID_GID;
	return 0;
}

/* typedef bpfrec_ipaddr anywhere on the typedef/modifier chain, over 16
 * bytes (u8[16] or __int128). */
static int is_ipaddr(const struct btfv *b, uint32_t id)
{
	int rk = kind_of(resolved(b, id, NULL));

	if (btfv__size(b, id) != 16 || (rk != BTF_KIND_ARRAY && rk != BTF_KIND_INT))
		return 0;
	return has_typedef(b, id, "bpfrec_ipaddr");
}

/* See the TEXT rule at the top. */
static int is_char_array(const struct btfv *b, const struct btf_type *arr)
{
	uint32_t id = ((const struct btf_array *)(arr + 1))->type;
	const struct btf_type *t = NULL;
	const char *name;
	int depth;

	for (depth = 0; depth <= BTFV_MAX_DEPTH; depth++) {
		int k;

		t = btfv__type(b, id);
		k = kind_of(t);
		if (k != BTF_KIND_CONST && k != BTF_KIND_VOLATILE && k != BTF_KIND_RESTRICT &&
		    k != BTF_KIND_TYPE_TAG)
			break;
		id = t->type;
	}
	if (kind_of(t) != BTF_KIND_INT || t->size != 1)
		return 0;
	if (BTF_INT_ENCODING(int_meta(t)) & BTF_INT_CHAR)
		return 1;
	name = btfv__name(b, t->name_off);
	return !strcmp(name, "char") || !strcmp(name, "signed char") || !strcmp(name, "unsigned char");
}

/* See the BYTES rule at the top (the caller checked is_char_array first). */
static int is_byte_array(const struct btfv *b, const struct btf_type *arr)
{
	const struct btf_type *t = resolved(b, ((const struct btf_array *)(arr + 1))->type, NULL);

	return kind_of(t) == BTF_KIND_INT && t->size == 1 &&
	       !(BTF_INT_ENCODING(int_meta(t)) & BTF_INT_BOOL);
}

/* Length of a char array's text: up to its last non-NUL byte. */
static size_t text_len(const uint8_t *p, size_t n)
{
	while (n && !p[n - 1])
		n--;
	return n;
}

/* Appends n bytes of text, escaped (see TEXT at the top) if one is a NUL. */
static void sb_text(struct sbuf *sb, const uint8_t *p, size_t n)
{
	size_t i;

	if (!memchr(p, 0, n)) {
		sb_put(sb, p, n);
		return;
	}
	for (i = 0; i < n && !sb->err; i++) {
		if (!p[i])
			sb_put(sb, "\\0", 2);
		else if (p[i] == '\\')
			sb_put(sb, "\\\\", 2);
		else
			sb_put(sb, p + i, 1);
	}
}

static int enum_signed(const struct btf_type *t)
{
	uint32_t i, vlen = BTF_INFO_VLEN(t->info);

	if (BTF_INFO_KFLAG(t->info))
		return 1;
	if (kind_of(t) == BTF_KIND_ENUM) {
		/* Old BTF has no sign flag: a negative enumerator means signed. */
		const struct btf_enum *e = (const void *)(t + 1);

		for (i = 0; i < vlen; i++)
			if (e[i].val < 0)
				return 1;
	}
	return 0;
}

/* The enumerator named for raw (nbits wide), or NULL. */
static const char *enum_name(const struct btfv *b, const struct btf_type *t, uint64_t raw, uint32_t nbits)
{
	uint64_t mask = nbits >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << nbits) - 1;
	uint32_t i, vlen = BTF_INFO_VLEN(t->info);

	raw &= mask;
	if (kind_of(t) == BTF_KIND_ENUM) {
		const struct btf_enum *e = (const void *)(t + 1);

		for (i = 0; i < vlen; i++) {
			uint64_t ev = (uint32_t)e[i].val;

			if (nbits <= 32) {
				if ((ev & mask) == raw)
					return btfv__name(b, e[i].name_off);
			} else if ((uint32_t)raw == ev &&
				   (raw >> 32 == 0 || (e[i].val < 0 && raw >> 32 == 0xffffffffu))) {
				/* 32-bit values of a wider enum: either extension. */
				return btfv__name(b, e[i].name_off);
			}
		}
	} else {
		const struct btf_enum64 *e = (const void *)(t + 1);

		for (i = 0; i < vlen; i++) {
			uint64_t ev = (uint64_t)e[i].val_hi32 << 32 | e[i].val_lo32;

			if ((ev & mask) == raw)
				return btfv__name(b, e[i].name_off);
		}
	}
	return NULL;
}

static void fmt_ip(const uint8_t *a, char *out, size_t outlen)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (!memcmp(a, v4mapped, 12))
		snprintf(out, outlen, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
	else if (!inet_ntop(AF_INET6, a, out, outlen))
		snprintf(out, outlen, "?");
}

/* The "C" locale for numbers: a program that called setlocale() must still
 * get "0.5", not "0,5", in JSON and CSV. */
static locale_t c_locale(void)
{
	static locale_t loc;
	locale_t l = __atomic_load_n(&loc, __ATOMIC_ACQUIRE), fresh, expected = 0;

	if (l)
		return l;
	fresh = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!fresh)
		return LC_GLOBAL_LOCALE;
	if (__atomic_compare_exchange_n(&loc, &expected, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return fresh;
	freelocale(fresh);
	return expected;
}

static void fmt_real_c(double v, int is_float, char *out, size_t outlen)
{
	int prec;

	if (isnan(v)) {
		snprintf(out, outlen, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(out, outlen, v < 0 ? "-inf" : "inf");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(out, outlen, "%.*g", prec, v);
		if (is_float ? strtof(out, NULL) == (float)v : strtod(out, NULL) == v)
			return;
	}
	snprintf(out, outlen, "%.17g", v);
}

/* Shortest text that reads back as the same value (as a float if is_float). */
static void fmt_real(double v, int is_float, char *out, size_t outlen)
{
	locale_t old = uselocale(c_locale());

	fmt_real_c(v, is_float, out, outlen);
	uselocale(old);
}

static double read_real(const uint8_t *p, uint32_t size)
{
	if (size == 4) {
		uint32_t u = (uint32_t)read_bits(p, 0, 32);
		float f;

		memcpy(&f, &u, 4);
		return f;
	} else {
		uint64_t u = read_bits(p, 0, 64);
		double d;

		memcpy(&d, &u, 8);
		return d;
	}
}

/* ---- JSON ---- */

static int put_sbuf(void *ctx, const char *s, size_t n)
{
	struct sbuf *sb = ctx;

	sb_put(sb, s, n);
	return sb->err;
}

static void json_str(struct sbuf *sb, const uint8_t *s, size_t n)
{
	utf8__json_string(s, n, 0, put_sbuf, sb);   /* an error stays in sb->err */
}

static void json_hex(struct sbuf *sb, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	sb_put(sb, "\"0x", 3);
	for (i = n; i-- > 0 && !sb->err;) {     /* little-endian: print high first */
		char h[2] = { hex[p[i] >> 4], hex[p[i] & 15] };

		sb_put(sb, h, 2);
	}
	sb_put(sb, "\"", 1);
}

/* A byte array: its bytes' hex digits in memory order, as a string. */
static void json_bytes(struct sbuf *sb, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	sb_put(sb, "\"", 1);
	for (i = 0; i < n && !sb->err; i++) {
		char h[2] = { hex[p[i] >> 4], hex[p[i] & 15] };

		sb_put(sb, h, 2);
	}
	sb_put(sb, "\"", 1);
}

static void json_value(struct evtype *t, uint32_t id, const uint8_t *rec, uint64_t bit_off, uint32_t bf);

/* The JSON array of n elements of type elem from bit_off. */
static void json_elems(struct evtype *t, uint32_t elem, const uint8_t *rec, uint64_t bit_off,
		       uint64_t n, int64_t esz)
{
	uint64_t k;

	sb_put(&t->sb, "[", 1);
	for (k = 0; k < n && !t->sb.err; k++) {
		if (k)
			sb_put(&t->sb, ",", 1);
		json_value(t, elem, rec, bit_off + k * esz * 8, 0);
	}
	sb_put(&t->sb, "]", 1);
}

static void json_members(struct evtype *t, const struct btf_type *st, const uint8_t *rec,
			 uint64_t bit_off, int *first)
{
	const struct btf_member *m = (const void *)(st + 1);
	uint32_t i, vlen = BTF_INFO_VLEN(st->info), kflag = BTF_INFO_KFLAG(st->info);

	for (i = 0; i < vlen && !t->sb.err; i++) {
		const char *name = btfv__name(t->btf, m[i].name_off);
		uint64_t off = kflag ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
		uint32_t bf = kflag ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0;
		const struct btf_type *mt = resolved(t->btf, m[i].type, NULL);
		int mk = kind_of(mt);

		if (++t->work > t->work_max) {
			t->sb.err = -E2BIG;
			return;
		}
		if (!*name && !bf && (mk == BTF_KIND_STRUCT || mk == BTF_KIND_UNION)) {
			json_members(t, mt, rec, bit_off + off, first);
			continue;
		}
		if (!*name)
			continue;
		if (!*first)
			sb_put(&t->sb, ",", 1);
		*first = 0;
		json_str(&t->sb, (const uint8_t *)name, strlen(name));
		sb_put(&t->sb, ":", 1);
		json_value(t, m[i].type, rec, bit_off + off, bf);
	}
}

/* Appends the JSON of type id at bit_off of rec (bf: bitfield width or 0). */
static void json_value(struct evtype *t, uint32_t id, const uint8_t *rec, uint64_t bit_off, uint32_t bf)
{
	const struct btfv *b = t->btf;
	const struct btf_type *rt = resolved(b, id, NULL);
	int64_t size = btfv__size(b, id);
	const uint8_t *p = rec + bit_off / 8;
	char num[64];

	if (t->sb.err)
		return;
	if (++t->work > t->work_max || !rt || size < 0) {
		t->sb.err = t->work > t->work_max ? -E2BIG : -EINVAL;
		return;
	}
	if (is_ipaddr(b, id)) {
		fmt_ip(p, num, sizeof(num));
		json_str(&t->sb, (const uint8_t *)num, strlen(num));
		return;
	}
	switch (kind_of(rt)) {
	case BTF_KIND_INT: {
		uint32_t meta = int_meta(rt), enc = BTF_INT_ENCODING(meta);
		uint32_t nbits = bf ? bf : BTF_INT_BITS(meta);
		uint64_t off = bf ? bit_off : bit_off + BTF_INT_OFFSET(meta), v;

		if (nbits > 64)
			break;
		v = read_bits(rec, off, nbits);
		if (enc & BTF_INT_BOOL)
			sb_str(&t->sb, v ? "true" : "false");
		else if (enc & BTF_INT_SIGNED)
			snprintf(num, sizeof(num), "%lld", (long long)sign_extend(v, nbits)), sb_str(&t->sb, num);
		else
			snprintf(num, sizeof(num), "%llu", (unsigned long long)v), sb_str(&t->sb, num);
		return;
	}
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: {
		uint32_t nbits = bf ? bf : rt->size * 8;
		uint64_t v = read_bits(rec, bit_off, nbits);
		const char *name = enum_name(b, rt, v, nbits);

		if (name)
			json_str(&t->sb, (const uint8_t *)name, strlen(name));
		else if (enum_signed(rt))
			snprintf(num, sizeof(num), "%lld", (long long)sign_extend(v, nbits)), sb_str(&t->sb, num);
		else
			snprintf(num, sizeof(num), "%llu", (unsigned long long)v), sb_str(&t->sb, num);
		return;
	}
	case BTF_KIND_PTR:
		snprintf(num, sizeof(num), "%llu", (unsigned long long)read_bits(p, 0, 64));
		sb_str(&t->sb, num);
		return;
	case BTF_KIND_FLOAT:
		if (rt->size == 4 || rt->size == 8) {
			double v = read_real(p, rt->size);

			if (!isfinite(v)) {
				sb_str(&t->sb, "null");
			} else {
				fmt_real(v, rt->size == 4, num, sizeof(num));
				sb_str(&t->sb, num);
			}
			return;
		}
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(rt + 1);

		if (is_char_array(b, rt))
			json_str(&t->sb, p, text_len(p, size));
		else if (is_byte_array(b, rt))
			json_bytes(&t->sb, p, size);
		else
			json_elems(t, a->type, rec, bit_off, a->nelems, btfv__size(b, a->type));
		return;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		int first = 1;

		sb_put(&t->sb, "{", 1);
		json_members(t, rt, rec, bit_off, &first);
		sb_put(&t->sb, "}", 1);
		return;
	}
	}
	json_hex(&t->sb, p, size);
}

/* ---- building the column list ---- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)tolower((unsigned char)*s)) * 16777619u;
	return h;
}

static int name_taken(const struct evtype *t, const char *name)
{
	uint32_t h = name_hash(name) & (HASH_SLOTS - 1);

	for (; t->slots[h]; h = (h + 1) & (HASH_SLOTS - 1))
		if (!strcasecmp(t->cols[t->slots[h] - 1].name, name))
			return 1;
	return 0;
}

/* Appends a column named after prefix_member (sanitized, made unique). */
static int add_col(struct evtype *t, const char *prefix, const char *member, enum evcol_kind kind,
		   uint64_t bit_off, uint32_t bit_size, uint32_t byte_size, uint32_t type_id,
		   char *err, size_t errlen)
{
	char base[EVTYPE_MAX_NAME + 1], *name;
	size_t n = 0, i;
	uint32_t h, k;
	struct evcol *c;

	if (t->ncols >= t->max_cols) {
		if (t->budget && t->max_cols < EVTYPE_MAX_COLS)
			snprintf(err, errlen, "its columns would pass what the event types of this "
				 "capture may have together (%u left)", t->max_cols);
		else
			snprintf(err, errlen, "more than %d columns", EVTYPE_MAX_COLS);
		return -E2BIG;
	}
	/* btfv checked the layout; this is defense in depth.  Integers are
	 * read bit by bit, everything else byte by byte. */
	if (kind <= EVCOL_ENUM ? (!bit_size || bit_size > 64 || bit_size > (uint64_t)t->size * 8 ||
				  bit_off > (uint64_t)t->size * 8 - bit_size)
			       : (bit_off % 8 || byte_size > t->size || bit_off / 8 > t->size - byte_size)) {
		snprintf(err, errlen, "column %s%s%s outside the type", prefix, *prefix ? "_" : "", member);
		return -EINVAL;
	}
	if (*prefix)
		n = snprintf(base, sizeof(base), "%s_%s", prefix, member);
	else
		n = snprintf(base, sizeof(base), "%s", member);
	if (n > EVTYPE_MAX_NAME)
		n = EVTYPE_MAX_NAME;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)base[i]) || (unsigned char)base[i] >= 0x80)
			base[i] = '_';
	if (!n)
		base[n++] = '_';
	base[n] = 0;

	if (t->ncols == t->cols_cap) {
		size_t cap = t->cols_cap ? 2 * t->cols_cap : 16;
		struct evcol *cols = realloc(t->cols, cap * sizeof(*cols));

		if (!cols) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		t->cols = cols;
		t->cols_cap = cap;
	}
	name = malloc(n + 16);
	if (!name) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	strcpy(name, base);
	for (k = 2; name_taken(t, name); k++)
		snprintf(name, n + 16, "%s_%u", base, k);

	c = &t->cols[t->ncols];
	c->name = name;
	c->kind = kind;
	c->bit_offset = bit_off;
	c->bit_size = bit_size;
	c->byte_size = byte_size;
	c->type_id = type_id;
	c->trailing = 0;
	c->stack = 0;
	c->addr = 0;
	c->id_kind = 0;
	for (h = name_hash(name) & (HASH_SLOTS - 1); t->slots[h]; h = (h + 1) & (HASH_SLOTS - 1))
		;
	t->slots[h] = ++t->ncols;
	return 0;
}

/* One column for a non-struct value of type id at bit_off (bf: bitfield width). */
static int add_leaf(struct evtype *t, const char *prefix, const char *member, uint32_t id,
		    uint64_t bit_off, uint32_t bf, char *err, size_t errlen)
{
	const struct btfv *b = t->btf;
	uint32_t r;
	const struct btf_type *rt = resolved(b, id, &r);
	int64_t size = btfv__size(b, id);
	enum evcol_kind kind = EVCOL_BYTES;
	uint32_t bit_size = size * 8;   /* evtype__new: size <= EVTYPE_MAX_SIZE */
	int ret;

	if (!rt || size < 0) {
		snprintf(err, errlen, "%s: type %u has no size", member, id);
		return -EINVAL;
	}
	if (is_ipaddr(b, id))
		return add_col(t, prefix, member, EVCOL_IPADDR, bit_off, 128, 16, r, err, errlen);
	switch (kind_of(rt)) {
	case BTF_KIND_INT: {
		uint32_t meta = int_meta(rt), enc = BTF_INT_ENCODING(meta);

		if (bf) {
			bit_size = bf;
		} else {
			bit_off += BTF_INT_OFFSET(meta);
			bit_size = BTF_INT_BITS(meta);
		}
		if (bit_size > 64) {
			/* int128: the bytes that hold it, as a hex number if whole */
			uint64_t first = bit_off / 8, end = (bit_off + bit_size + 7) / 8;

			kind = !bf && bit_off % 8 == 0 && bit_size % 8 == 0 ? EVCOL_HEX : EVCOL_BYTES;
			return add_col(t, prefix, member, kind, first * 8, (end - first) * 8,
				       end - first, r, err, errlen);
		}
		kind = enc & BTF_INT_BOOL ? EVCOL_BOOL : enc & BTF_INT_SIGNED ? EVCOL_INT : EVCOL_UINT;
		break;
	}
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		kind = EVCOL_ENUM;
		if (bf)
			bit_size = bf;
		break;
	case BTF_KIND_PTR:
		kind = EVCOL_UINT;
		break;
	case BTF_KIND_FLOAT:
		if (size == 4 || size == 8)
			kind = EVCOL_FLOAT;
		break;
	case BTF_KIND_ARRAY:
		kind = is_char_array(b, rt) ? EVCOL_TEXT : is_byte_array(b, rt) ? EVCOL_BYTES : EVCOL_JSON;
		break;
	}
	ret = add_col(t, prefix, member, kind, bit_off, bit_size, size, r, err, errlen);
	/* An address: a pointer, or a 64-bit integer behind bpfrec.h's typedef. */
	if (!ret && kind == EVCOL_UINT && !bf)
		t->cols[t->ncols - 1].addr = kind_of(rt) == BTF_KIND_PTR ||
					     (bit_size == 64 && has_typedef(b, id, "bpfrec_addr"));
	/* A stack id (bpfrec.h): a 32-bit integer behind its typedef. */
	if (!ret && kind == EVCOL_INT && bit_size == 32 && !bf)
		t->cols[t->ncols - 1].stack = has_typedef(b, id, "bpfrec_ustack_id") ? EVCOL_STACK_USER :
					      has_typedef(b, id, "bpfrec_kstack_id") ? EVCOL_STACK_KERNEL : 0;
	/* A uid or gid: shown with the recording host's name (names.h). */
	if (!ret && (kind == EVCOL_INT || kind == EVCOL_UINT) && !bf)
		t->cols[t->ncols - 1].id_kind = id_kind(b, id);
	return ret;
}

/* Marks the trailing array of a struct (see evtype.h) and sets min_size. */
static void find_trailing(struct evtype *t)
{
	const struct btfv *b = t->btf;
	const struct btf_type *st = resolved(b, t->type_id, NULL), *at;
	const struct btf_member *m = (const void *)(st + 1);
	uint32_t i, vlen = BTF_INFO_VLEN(st->info), kflag = BTF_INFO_KFLAG(st->info), last = 0;
	uint64_t off, last_off = 0;

	t->min_size = t->size;
	if (kind_of(st) != BTF_KIND_STRUCT || !vlen)
		return;
	for (i = 0; i < vlen; i++) {
		off = kflag ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
		if (i == 0 || off >= last_off)
			last = i, last_off = off;
	}
	if ((kflag && BTF_MEMBER_BITFIELD_SIZE(m[last].offset)) || last_off % 8 ||
	    !*btfv__name(b, m[last].name_off) || is_ipaddr(b, m[last].type) ||
	    kind_of(resolved(b, m[last].type, NULL)) != BTF_KIND_ARRAY)
		return;
	at = resolved(b, m[last].type, NULL);
	if (!btfv__size(b, m[last].type) && ((const struct btf_array *)(at + 1))->nelems)
		return;         /* elements of 0 bytes: not one a record could trim */
	for (i = 0; i < t->ncols; i++) {
		if (t->cols[i].bit_offset == last_off && (t->cols[i].kind == EVCOL_TEXT ||
		    t->cols[i].kind == EVCOL_JSON || t->cols[i].kind == EVCOL_BYTES))
			break;
	}
	if (i == t->ncols)
		return;
	/* Only a tail no other column reaches into may be cut short: a record
	 * of min_size bytes must hold every other column whole (a hostile
	 * type may overlap members: a union-like struct). */
	for (uint32_t k = 0; k < t->ncols; k++)
		if (k != i && (uint64_t)t->cols[k].bit_offset + t->cols[k].bit_size > last_off)
			return;
	t->cols[i].trailing = 1;
	t->min_size = last_off / 8;
}

static int flatten(struct evtype *t, const char *prefix, uint32_t id, uint64_t bit_off,
		   char *err, size_t errlen)
{
	const struct btfv *b = t->btf;
	const struct btf_type *st = resolved(b, id, NULL);
	const struct btf_member *m = (const void *)(st + 1);
	uint32_t i, vlen = BTF_INFO_VLEN(st->info), kflag = BTF_INFO_KFLAG(st->info);
	int ret;

	for (i = 0; i < vlen; i++) {
		const char *name = btfv__name(b, m[i].name_off);
		uint64_t off = kflag ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
		uint32_t bf = kflag ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0;
		int mk = kind_of(resolved(b, m[i].type, NULL));

		if (++t->visits > t->max_visits) {
			if (t->budget && t->max_visits < EVTYPE_MAX_VISITS)
				snprintf(err, errlen, "its members would pass what the event types of "
					 "this capture may visit together (%u left)", t->max_visits);
			else
				snprintf(err, errlen, "type too complex (over %u members)",
					 EVTYPE_MAX_VISITS);
			return -E2BIG;
		}
		if (!bf && (mk == BTF_KIND_STRUCT || mk == BTF_KIND_UNION)) {
			char *sub = NULL;

			if (*name) {
				size_t n = strlen(prefix) + strlen(name) + 2;

				/* Names are cut to EVTYPE_MAX_NAME anyway. */
				if (n > 2 * EVTYPE_MAX_NAME)
					n = 2 * EVTYPE_MAX_NAME;
				sub = malloc(n);
				if (!sub) {
					snprintf(err, errlen, "out of memory");
					return -ENOMEM;
				}
				snprintf(sub, n, "%s%s%s", prefix, *prefix ? "_" : "", name);
			}
			ret = flatten(t, sub ? sub : prefix, m[i].type, bit_off + off, err, errlen);
			free(sub);
		} else if (!*name) {
			continue;               /* unnamed bitfield: padding */
		} else {
			ret = add_leaf(t, prefix, name, m[i].type, bit_off + off, bf, err, errlen);
		}
		if (ret)
			return ret;
	}
	return 0;
}

struct evtype *evtype__new(const struct btfv *btf, uint32_t type_id, char *err, size_t errlen)
{
	return evtype__new_in(btf, type_id, NULL, err, errlen);
}

struct evtype *evtype__new_in(const struct btfv *btf, uint32_t type_id, struct evtype_budget *b,
			      char *err, size_t errlen)
{
	const struct btf_type *tt = btfv__type(btf, type_id), *rt;
	struct evtype *t = NULL;
	char dummy[1];
	int64_t size;
	int ret;

	if (!err || !errlen)
		err = dummy, errlen = sizeof(dummy);
	err[0] = 0;
	if (kind_of(tt) == BTF_KIND_VAR) {
		type_id = tt->type;
		tt = btfv__type(btf, type_id);
	}
	if (!tt || !btfv__usable(btf, type_id)) {
		snprintf(err, errlen, "BTF type id %u is not a usable type", type_id);
		errno = EINVAL;
		return NULL;
	}
	size = btfv__size(btf, type_id);
	rt = resolved(btf, type_id, NULL);
	if (size < 0 || !rt) {
		snprintf(err, errlen, "BTF type %u (%s) has no size", type_id, btfv__name(btf, tt->name_off));
		errno = EINVAL;
		return NULL;
	}
	if (size > EVTYPE_MAX_SIZE) {
		/* bit offsets must fit struct evcol's 32 bits */
		snprintf(err, errlen, "BTF type %u (%s): %lld bytes, more than an event can be",
			 type_id, btfv__name(btf, tt->name_off), (long long)size);
		errno = E2BIG;
		return NULL;
	}

	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->btf = btfv__get(btf);
	t->type_id = type_id;
	t->size = size;
	t->max_visits = EVTYPE_MAX_VISITS;
	t->max_cols = EVTYPE_MAX_COLS;
	if (b) {
		t->budget = 1;
		if (b->visits < t->max_visits)
			t->max_visits = (uint32_t)b->visits;
		if (b->cols < t->max_cols)
			t->max_cols = (uint32_t)b->cols;
	}
	t->name = strdup(*btfv__name(btf, tt->name_off) ? btfv__name(btf, tt->name_off)
							: btfv__name(btf, rt->name_off));
	t->slots = calloc(HASH_SLOTS, sizeof(*t->slots));
	if (!t->name || !t->slots)
		goto nomem;

	if ((kind_of(rt) == BTF_KIND_STRUCT || kind_of(rt) == BTF_KIND_UNION)) {
		ret = flatten(t, "", type_id, 0, err, errlen);
		if (!ret && !t->ncols)
			ret = add_col(t, "", "data", EVCOL_BYTES, 0, size * 8, size, btfv__resolve(btf, type_id),
				      err, errlen);
		if (!ret)
			find_trailing(t);
	} else {
		ret = add_leaf(t, "", "value", type_id, 0, 0, err, errlen);
		t->min_size = t->size;
	}
	if (b) {   /* spent, failed or not (a visit past the limit is not made) */
		b->visits -= t->visits < t->max_visits ? t->visits : t->max_visits;
		b->cols -= t->ncols;
	}
	if (ret) {
		evtype__free(t);
		errno = -ret;
		return NULL;
	}
	free(t->slots);
	t->slots = NULL;
	return t;
nomem:
	snprintf(err, errlen, "out of memory");
	evtype__free(t);
	errno = ENOMEM;
	return NULL;
}

struct evtype *evtype__new_bytes(void)
{
	struct evtype *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->bytes = 1;
	t->name = strdup("");
	t->cols = calloc(1, sizeof(*t->cols));
	if (t->cols)
		t->cols[0].name = strdup("data");
	if (!t->name || !t->cols || !t->cols[0].name) {
		evtype__free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->cols[0].kind = EVCOL_BYTES;
	t->ncols = 1;
	return t;
}

void evtype__free(struct evtype *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; t->cols && i < t->ncols; i++)
		free((char *)t->cols[i].name);
	free(t->cols);
	free(t->slots);
	free(t->name);
	free(t->sb.p);
	btfv__free(t->btf);
	free(t);
}

uint32_t evtype__size(const struct evtype *t)
{
	return t ? t->size : 0;
}

uint32_t evtype__min_size(const struct evtype *t)
{
	return t ? t->min_size : 0;
}

const char *evtype__name(const struct evtype *t)
{
	return t ? t->name : "";
}

size_t evtype__ncols(const struct evtype *t)
{
	return t ? t->ncols : 0;
}

const struct evcol *evtype__col(const struct evtype *t, size_t i)
{
	return t && i < t->ncols ? &t->cols[i] : NULL;
}

/* ---- decoding ---- */

int evtype__check(const struct evtype *t, uint32_t len)
{
	if (!t)
		return -EINVAL;
	return len < t->min_size ? -EBADMSG : 0;
}

int evtype__decode(struct evtype *t, size_t i, const void *vrec, uint32_t len, struct evval *out)
{
	const uint8_t *rec = vrec;
	const struct evcol *c;
	const uint8_t *p;
	char tmp[64];
	uint64_t v;
	uint32_t nbytes;                /* of the column in this record */

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!t || i >= t->ncols || (!rec && len))
		return -EINVAL;
	if (evtype__check(t, len))
		return -EBADMSG;
	c = &t->cols[i];
	out->kind = c->kind;
	sb_reset(&t->sb, SIZE_MAX);
	if (!rec)
		rec = (const uint8_t *)"";      /* size-0 type, empty record */
	if (t->bytes) {
		sb_put(&t->sb, rec, len);
		if (t->sb.err)
			return t->sb.err;
		out->blob = (const uint8_t *)t->sb.p;
		out->blob_len = len;
		return 0;
	}
	p = rec + c->bit_offset / 8;
	nbytes = c->byte_size;
	if (c->trailing) {
		/* evtype__check: len >= min_size == the column's offset */
		uint32_t avail = len - c->bit_offset / 8;

		nbytes = !c->byte_size || avail < c->byte_size ? avail : c->byte_size;
	}

	switch (c->kind) {
	case EVCOL_INT:
		out->i = sign_extend(read_bits(rec, c->bit_offset, c->bit_size), c->bit_size);
		out->u = out->i;
		return 0;
	case EVCOL_UINT:
		out->u = read_bits(rec, c->bit_offset, c->bit_size);
		out->i = (int64_t)out->u;
		return 0;
	case EVCOL_BOOL:
		out->u = out->i = read_bits(rec, c->bit_offset, c->bit_size) != 0;
		return 0;
	case EVCOL_FLOAT:
		out->f = read_real(p, c->byte_size);
		return 0;
	case EVCOL_ENUM: {
		const struct btf_type *et = btfv__type(t->btf, c->type_id);
		const char *name;

		v = read_bits(rec, c->bit_offset, c->bit_size);
		out->u = v;
		out->i = enum_signed(et) ? sign_extend(v, c->bit_size) : (int64_t)v;
		name = enum_name(t->btf, et, v, c->bit_size);
		if (!name) {
			if (enum_signed(et))
				snprintf(tmp, sizeof(tmp), "%lld", (long long)out->i);
			else
				snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
			name = tmp;
		}
		sb_str(&t->sb, name);
		break;
	}
	case EVCOL_TEXT:
		sb_text(&t->sb, p, text_len(p, nbytes));
		break;
	case EVCOL_HEX: {
		static const char hex[] = "0123456789abcdef";
		uint32_t k;

		sb_put(&t->sb, "0x", 2);
		for (k = c->byte_size; k-- > 0;) {
			char h[2] = { hex[p[k] >> 4], hex[p[k] & 15] };

			sb_put(&t->sb, h, 2);
		}
		break;
	}
	case EVCOL_IPADDR:
		fmt_ip(p, tmp, sizeof(tmp));
		sb_str(&t->sb, tmp);
		break;
	case EVCOL_JSON:
		sb_reset(&t->sb, EVTYPE_JSON_BASE + (uint64_t)EVTYPE_JSON_PER_BYTE * nbytes <
			 EVTYPE_MAX_JSON ? EVTYPE_JSON_BASE + (size_t)EVTYPE_JSON_PER_BYTE * nbytes
			 : EVTYPE_MAX_JSON);
		t->work = 0;
		t->work_max = EVTYPE_WORK_BASE + (uint64_t)EVTYPE_WORK_PER_BYTE * nbytes <
			      EVTYPE_MAX_WORK ? EVTYPE_WORK_BASE + EVTYPE_WORK_PER_BYTE * nbytes
			      : EVTYPE_MAX_WORK;
		if (c->trailing) {
			/* the whole elements the record holds */
			const struct btf_type *at = btfv__type(t->btf, c->type_id);
			const struct btf_array *a = (const void *)(at + 1);
			int64_t esz = btfv__size(t->btf, a->type);
			uint64_t n = esz > 0 ? nbytes / (uint64_t)esz : 0;

			json_elems(t, a->type, rec, c->bit_offset, n, esz);
		} else {
			json_value(t, c->type_id, rec, c->bit_offset, 0);
		}
		break;
	case EVCOL_BYTES:
		sb_put(&t->sb, p, nbytes);
		if (t->sb.err)
			return t->sb.err;
		out->blob = (const uint8_t *)(t->sb.p ? t->sb.p : "");
		out->blob_len = nbytes;
		return 0;
	}
	if (!t->sb.err && !t->sb.p)
		sb_put(&t->sb, "", 0);
	if (t->sb.err) {
		memset(out, 0, sizeof(*out));
		out->kind = c->kind;
		out->is_null = 1;
		return t->sb.err;
	}
	out->text = t->sb.p;
	out->text_len = t->sb.len;
	return 0;
}

int evtype__format(struct evtype *t, size_t i, const void *rec, uint32_t len, char *buf, size_t buflen)
{
	static const char hex[] = "0123456789abcdef";
	struct evval v;
	char tmp[64];
	const char *s = tmp;
	size_t n, k;
	int ret = evtype__decode(t, i, rec, len, &v);

	if (ret)
		return ret;
	switch (v.kind) {
	case EVCOL_INT:
		snprintf(tmp, sizeof(tmp), "%lld", (long long)v.i);
		break;
	case EVCOL_UINT:
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v.u);
		break;
	case EVCOL_BOOL:
		snprintf(tmp, sizeof(tmp), "%d", v.i ? 1 : 0);
		break;
	case EVCOL_FLOAT:
		fmt_real(v.f, t->cols[i].byte_size == 4, tmp, sizeof(tmp));
		break;
	case EVCOL_BYTES:
		n = v.blob_len * 2;
		for (k = 0; buflen && k < v.blob_len && 2 * k + 2 < buflen; k++) {
			buf[2 * k] = hex[v.blob[k] >> 4];
			buf[2 * k + 1] = hex[v.blob[k] & 15];
		}
		if (buflen)
			buf[2 * k] = 0;
		return n > INT_MAX ? INT_MAX : (int)n;
	default:
		s = v.text;
		break;
	}
	n = v.kind <= EVCOL_BOOL || v.kind == EVCOL_FLOAT ? strlen(s) : v.text_len;
	if (buflen) {
		k = n < buflen - 1 ? n : buflen - 1;
		memcpy(buf, s, k);
		buf[k] = 0;
	}
	return n > INT_MAX ? INT_MAX : (int)n;
}
