/* capb.h - write a bundle: a whole capture in one SQLite file, to attach to a
 * bug report (FORMAT.md, "Bundle").  The file holds the index tables of
 * schema/index.sql, each block's encoded bytes in block_data (blocks exactly
 * as a segment holds them), and a bundle table (key, value) saying how it
 * was made.  capr__open() reads it like a capture directory.
 *
 * The file is built under a temporary name beside the target and renamed
 * into place by capb__finish(), so a reader never sees half a bundle.
 * Single-threaded.
 *
 * Errors (README, "Conventions"): NULL with errno set from capb__create, 0 or
 * -errno from the rest, with a one-line reason in the caller's err buffer.
 */
#ifndef BPFREC_SCHEMA_CAPB_H
#define BPFREC_SCHEMA_CAPB_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "block.h"

struct capb;

/* path must not exist (-EEXIST); zstd_level for capb__write_block (0: 1).
 * NULL + errno, with a one-line reason in err. */
struct capb *capb__create(const char *path, int zstd_level, char *err, size_t errlen);
/* The bundle's connection, inside the open transaction: the caller inserts
 * the metadata rows (sessions, objects, streams, losses) with the source's
 * ids, since block bodies name streams by id.  Blocks and segments are
 * capb's: insert none. */
sqlite3 *capb__db(struct capb *b);
/* Stores one encoded block (header + frame, len bytes, e.g. as read from a
 * segment), unchanged.  It is decoded first: a damaged block is refused
 * (-EBADMSG, reason in err) and its per-stream counts fill block_streams. */
int capb__add_encoded(struct capb *b, const void *blk, size_t len, char *err, size_t errlen);
/* Encodes the records of bb into one block and stores it (an empty bb is a
 * no-op).  0 or -errno (reason in err). */
int capb__write_block(struct capb *b, const struct blockbuf *bb, char *err, size_t errlen);
/* A row of the bundle table (key unique; a second set replaces). */
int capb__set(struct capb *b, const char *key, const char *value);
/* Blocks and records stored so far. */
void capb__counts(const struct capb *b, uint64_t *blocks, uint64_t *records);
/* Commits, syncs and renames the file into place; frees b either way.
 * 0 or -errno (reason in err; the temporary file is removed). */
int capb__finish(struct capb *b, char *err, size_t errlen);
/* Drops the bundle being made (removes the temporary file).  NULL is fine. */
void capb__abort(struct capb *b);

#endif
