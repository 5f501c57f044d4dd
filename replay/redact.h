/* redact.h - `bpfreplay bundle --redact`: chosen values of a capture
 * replaced by keyed hashes (export --redact goes through bundle).
 *
 * Each chosen value is replaced by HMAC-SHA256 under a random 32-byte key
 * made for this redaction and never stored, so equal values stay equal
 * (joinable) inside the bundle and cannot be confirmed by guessing outside
 * it.  Forms, all the width of the field:
 *   text (char arrays, sessions/objects text): "~" + 14 hex digits of the
 *       hash (56 bits), cut to fit a field shorter than 16 bytes, NUL padded;
 *       the same text gives the same token in every field;
 *   addresses (bpfrec_ipaddr): IPv4-mapped -> ::ffff:240.0.0.0/4 (reserved
 *       class E), IPv6 -> fd00::/8 (unique local), from the hash;
 *   JSON arrays: every byte replaced by a hex digit of the hash;
 *   anything else (integers, enums, bytes): the same number of hash bytes.
 * A value that says nothing (empty text, all-zero bytes: an unset address,
 * 0) is kept as it is.  Bitfields cannot be redacted.
 *
 * Streams are named by their index in the capture (capview__stream(c, i)).
 */
#ifndef BPFREC_REPLAY_REDACT_H
#define BPFREC_REPLAY_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "capview.h"

/* The bundle table's description of the forms above. */
#define REDACT_METHOD \
	"HMAC-SHA256 with a random per-bundle key (not stored): equal values " \
	"stay equal; text -> '~' + 14 hex digits (cut to fit), addresses -> " \
	"240.0.0.0/4 (IPv4) or fd00::/8 (IPv6), other fields -> hash bytes of " \
	"the same width; empty and zero values kept"

/* The index's text columns that --redact can name. */
enum redact_meta {
	REDACT_HOST,                /* sessions.host */
	REDACT_CMDLINE,             /* sessions.cmdline */
	REDACT_OBJNAME,             /* objects.name */
	REDACT_OBJPATH,             /* objects.path, sym_files.path of ELF files, lines.src */
	REDACT_IDNAMES,             /* users.name and groups.name: people's names */
	REDACT_NMETA
};

struct redact;

/* A redaction of capture c (not owned: it must outlive r) with a fresh
 * random key, nothing chosen yet.  0 and *out, -ENOMEM, or getrandom's
 * -errno. */
int redact__new(struct capview *c, struct redact **out);
void redact__free(struct redact *r);   /* wipes the key; NULL is fine */

/* Chooses the FIELDS of --redact=FIELDS (comma separated; NULL: "default"):
 *   default        text columns named like *file*, *path*, *cmdline*,
 *                  *argv*, *args*, *cwd*; address columns; sessions.cmdline;
 *                  objects.path; users.name and groups.name (the recording
 *                  host's user and group names: people's names)
 *   COLUMN         that column of every stream that has it
 *   STREAM.COLUMN  one stream's column
 *   sessions.cmdline, sessions.host, objects.path, objects.name, users.name
 *   (or groups.name: both tables)
 * 0, -ENOMEM, or the exit status of a usage error of cmd (printed: an
 * unknown stream or column, a bitfield). */
int redact__choose(struct redact *r, const char *cmd, const char *fields);

bool redact__meta(const struct redact *r, enum redact_meta m);
/* Stream i has columns to redact (r NULL: none). */
bool redact__has_cols(const struct redact *r, size_t i);
/* A record of stream i, redacted: a copy owned by r, valid until the next
 * call; data itself when the stream has nothing to redact; NULL when out
 * of memory.  The record passed evtype__check (a trailing array may end
 * inside it). */
const void *redact__record(struct redact *r, size_t i, const void *data, uint32_t len);
/* Binds the token of src's text column col to dst's parameter col + 1
 * (NULL and empty text are left as bound). */
void redact__bind_token(const struct redact *r, sqlite3_stmt *src, sqlite3_stmt *dst, int col);
/* The tables of file paths a capture may fill (redact__describe). */
#define REDACT_SYM_FILES 1u         /* sym_files.path: the recording machine's files */
#define REDACT_LINES     2u         /* lines.src: the source files they were built from */

/* Appends to out what is redacted, "sessions.cmdline, alpha.comm": the
 * index's columns (sym_files.path, lines.src: those of files, REDACT_*
 * bits, that the capture has), then the columns of the streams for which
 * kept(ctx, i) is true. */
int redact__describe(const struct redact *r, unsigned files,
		     bool (*kept)(void *ctx, size_t i), void *ctx, struct strbuf *out);

#endif
