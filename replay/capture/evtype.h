/* evtype.h - the columns of an event type, from BTF, and the decoding of one
 * record into them.  No per-probe code anywhere: everything comes from the
 * BTF that the capture carries (validated by btfv.h before use).
 *
 * Flattening: nested structs and unions become columns named outer_inner;
 * anonymous members take their parent's prefix.  Column kinds:
 *   INT      signed integers and enums' raw values        -> INTEGER
 *   UINT     unsigned integers (u64 > 2^63: see below)    -> INTEGER
 *   BOOL     _Bool                                        -> INTEGER 0/1
 *   ENUM     enum: its enumerator's name, unknown values as the number (TEXT)
 *   TEXT     char arrays, up to the last non-NUL byte     -> TEXT
 *            (embedded NULs escaped: see evtype.c)
 *   JSON     other arrays, as a JSON array text           -> TEXT
 *   IPADDR   typedef bpfrec_ipaddr (u8[16] or a 16-byte int, IPv6 or
 *            v4-mapped)                                   -> TEXT
 *   HEX      other ints wider than 64 bits (__int128): "0x" and the value's
 *            hex digits, most significant first           -> TEXT
 *   FLOAT    float/double                                 -> REAL
 *   BYTES    arrays of 1-byte non-char ints (__u8[]), and anything else
 *            (pointers are UINT)                          -> BLOB (hex)
 * Bitfields decode to INT/UINT by bit offset and size.
 * A u64 above 2^63-1 does not fit SQLite's INTEGER: it is returned as the
 * INTEGER with the same 64 bits (two's complement, so it reads negative);
 * u64 columns also have a `_hex`-free contract: printf('%u') is not SQL, so
 * the printers (show/CSV/JSON) print the unsigned decimal.  See README.
 *
 * Details (evtype.c has the full list): column names are members joined
 * with '_', bytes outside [A-Za-z0-9_] become '_', at most 128 bytes, and a
 * name equal case-insensitively to an earlier one gets _2, _3, ...; at most
 * 1994 columns (a stream's SQL table adds 6 of its own to SQLite's 2000).
 * TEXT is an array of char/signed char/unsigned char (or a BTF_INT_CHAR
 * int) seen through const/volatile but not typedefs, so __u8[] is BYTES.  JSON: numbers, true/false, enum names as strings, char arrays as
 * strings, nested arrays nest, structs as {"member":value} objects.  ENUM
 * decodes also set i (sign-extended if the enum is signed) and u (raw).
 * A struct with no columns gets one BYTES column "data".  Record bytes are
 * little-endian (bpfel).
 *
 * Trailing array: when a struct's last member (the one at the highest
 * offset) is an array (not a bpfrec_ipaddr), producers may send only its used
 * part (execsnoop-style events: a header and the args it used) or the array
 * may be flexible (`char data[]`, 0 bytes in BTF).  A record then needs only
 * the fixed part (evtype__min_size: the array's offset), and that column
 * decodes the array up to the record's length: TEXT and BYTES its bytes,
 * JSON its whole elements.  A record shorter than the fixed part is damaged.
 */
#ifndef BPFREC_REPLAY_EVTYPE_H
#define BPFREC_REPLAY_EVTYPE_H

#include <stddef.h>
#include <stdint.h>
#include "btfv.h"

enum evcol_kind {
	EVCOL_INT, EVCOL_UINT, EVCOL_BOOL, EVCOL_ENUM, EVCOL_TEXT, EVCOL_JSON,
	EVCOL_IPADDR, EVCOL_FLOAT, EVCOL_BYTES, EVCOL_HEX,
};

struct evcol {
	const char *name;          /* flattened column name */
	enum evcol_kind kind;
	uint32_t bit_offset;       /* from the start of the record */
	uint32_t bit_size;         /* bitfields; else byte_size * 8 */
	uint32_t byte_size;
	uint32_t type_id;          /* resolved (no typedef/const/volatile) */
	uint32_t trailing;         /* 1: the type's trailing array (see above) */
	int addr;                  /* an address: a BTF pointer, or a u64 behind the
				    * typedef bpfrec_addr (bpf/bpfrec.h): printed in hex */
	int stack;                 /* a stack id (bpfrec.h bpfrec_ustack_id/_kstack_id): */
	int id_kind;               /* an integer behind a uid or gid typedef (uid_t,
				    * gid_t, __kernel_uid32_t, ...): EVCOL_ID_* */
};
#define EVCOL_STACK_USER 1
#define EVCOL_STACK_KERNEL 2
#define EVCOL_ID_UID 1
#define EVCOL_ID_GID 2

/* A decoded value.  text/blob point into a buffer owned by the evtype's
 * scratch space and stay valid until the next evtype__decode call. */
struct evval {
	enum evcol_kind kind;
	int is_null;
	int64_t i;                 /* INT, BOOL; UINT as its 64 bits */
	uint64_t u;                /* UINT */
	double f;
	const char *text;          /* ENUM, TEXT, JSON, IPADDR */
	size_t text_len;
	const uint8_t *blob;       /* BYTES */
	size_t blob_len;
};

struct evtype;

/* Builds the column list of type_id (a struct, union, or any type: a
 * non-struct becomes one column named "value").  NULL with err on failure. */
struct evtype *evtype__new(const struct btfv *btf, uint32_t type_id, char *err, size_t errlen);
/* What the types built with one budget may still cost together: BTF members
 * visited and columns made (a capture's streams: capview.h).  Each
 * evtype__new_in takes what it spent, failed or not; one that would pass
 * what is left fails (errno E2BIG, err says so). */
struct evtype_budget {
	uint64_t visits;
	uint64_t cols;
};
struct evtype *evtype__new_in(const struct btfv *btf, uint32_t type_id, struct evtype_budget *b,
			      char *err, size_t errlen);
/* A type for streams without BTF: one BYTES column "data". */
struct evtype *evtype__new_bytes(void);
void evtype__free(struct evtype *t);                 /* NULL is fine */
uint32_t evtype__size(const struct evtype *t);       /* BTF size, 0 for bytes */
/* Bytes a record needs: the size, or the offset of a trailing array. */
uint32_t evtype__min_size(const struct evtype *t);
const char *evtype__name(const struct evtype *t);
size_t evtype__ncols(const struct evtype *t);
const struct evcol *evtype__col(const struct evtype *t, size_t i);

/* 0 if rec (len bytes) can be decoded: len >= evtype__min_size (perf pads
 * samples: bytes past the type's size are ignored, except by a flexible
 * trailing array).  -EBADMSG if shorter: the record is damaged and must be
 * reported, never decoded. */
int evtype__check(const struct evtype *t, uint32_t len);
/* Decodes column i of a record that passed evtype__check (checked again:
 * -EBADMSG if short, -EINVAL for a bad i, -E2BIG if a JSON value would pass
 * 64 MiB).  Not thread-safe per evtype (scratch space); the evtype holds a
 * reference to its btfv, so the btfv may be freed first. */
int evtype__decode(struct evtype *t, size_t i, const void *rec, uint32_t len, struct evval *out);
/* The printable text of column i, for show/CSV/JSON printers: INT signed
 * decimal, UINT unsigned decimal (u64 above 2^63 too), BOOL 0/1, FLOAT the
 * shortest text that reads back exactly (nan, inf, -inf), ENUM/TEXT/JSON/
 * IPADDR/HEX their text, BYTES lowercase hex.  Like snprintf: writes at most
 * buflen-1 bytes and a NUL, returns the full length (>= buflen: truncated),
 * or -errno as evtype__decode.  Counts as a decode call (scratch reused). */
int evtype__format(struct evtype *t, size_t i, const void *rec, uint32_t len, char *buf, size_t buflen);

#endif
