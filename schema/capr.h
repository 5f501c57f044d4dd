/* capr.h - read a capture (untrusted input).
 *
 * Opens index.db read-only and defensively (immutable URI, no symlinks,
 * SQLITE_DBCONFIG_DEFENSIVE, trusted_schema off, quick_check), checks the
 * format version, and reads blocks from the segments by the index.  Never
 * follows a segment path outside the capture directory; bounds every
 * allocation by the file's real size.  A capture being recorded (its index
 * in WAL mode) is read as one snapshot of the last commit, taken at open
 * (FORMAT.md, "Reading a capture being recorded").
 *
 * The index's tables (schema/index.sql) are the contract for metadata: the
 * caller reads sessions, objects, streams and losses through capr__db().
 *
 * Errors (README, "Conventions"): NULL with errno set from constructors,
 * 0 or -errno from the rest; a reason for the user goes into the caller's
 * err buffer, never to the terminal (the SQL extension reads captures too).
 */
#ifndef BPFREC_SCHEMA_CAPR_H
#define BPFREC_SCHEMA_CAPR_H

#include <stdint.h>
#include <sqlite3.h>
#include "block.h"

/* Largest decoded block body the reader accepts (and so allocates). */
#define CAPR_MAX_RAW_BYTES CAP_BLOCK_MAX_RAW
/* The most a capture may make a reader decode, per byte of its files
 * (index.db and segments, or the bundle), beyond one block's worth
 * (FORMAT.md, "Reader (capr) rules").  A recording holds ~0.2 records and
 * ~11 decoded bytes per byte; a constant event stream compresses further. */
#define CAPR_MAX_RECORDS_PER_BYTE 16
#define CAPR_MAX_RAW_PER_BYTE 256

struct capr;

/* One row of the blocks table. */
struct cap_block_info {
	int64_t id;
	int64_t segment_id;
	uint64_t offset;
	struct cap_block_meta meta;
};

/* NULL with errno set (ENOENT, EBADMSG for a damaged or refused capture,
 * ENOMEM, ...) and a one-line reason in err naming the file and the cause.
 * path: a capture directory, or a bundle file (FORMAT.md, "Bundle": the
 * index and every block in one SQLite file), told apart by the file type. */
struct capr *capr__open(const char *path, char *err, size_t errlen);
/* 1 if the capture is a bundle: no segments, blocks in block_data. */
int capr__is_bundle(const struct capr *r);
void capr__close(struct capr *r);               /* NULL is fine */
sqlite3 *capr__db(struct capr *r);              /* owned by r; read-only */
const char *capr__path(const struct capr *r);

/* Blocks in ascending min_ts order.  *out is owned by r. */
int capr__blocks(struct capr *r, const struct cap_block_info **out, size_t *n);
/* Reads, checks and decodes one block.  Records stay valid until the next
 * call on r (single cursor); for several cursors use capr__cursor_new.
 * -EBADMSG (damaged: err says how and which block), -EIO. */
int capr__read_block(struct capr *r, const struct cap_block_info *b,
		     const struct cap_rec **recs, uint32_t *nrecs, char *err, size_t errlen);

/* An independent decoding cursor (SQLite may run several vtab cursors). */
struct capr_cursor;
struct capr_cursor *capr__cursor_new(struct capr *r);   /* NULL with errno (ENOMEM) */
/* Gives c back to its capture, which keeps up to CAPR_SPARE_CURSORS of them
 * (and their buffers) for the next capr__cursor_new.  Before capr__close. */
void capr__cursor_free(struct capr_cursor *c);
#define CAPR_SPARE_CURSORS 2
/* Narrows what the cursor's next reads decode (block_decoder__want). */
void capr__cursor_want(struct capr_cursor *c, const struct block_want *w);
int capr__cursor_read(struct capr_cursor *c, const struct cap_block_info *b,
		      const struct cap_rec **recs, uint32_t *nrecs, char *err, size_t errlen);

/* The encoded bytes (header + frame) of the block the cursor last read
 * successfully, checked; valid until its next read.  For copying a block
 * unchanged (bpfreplay bundle). */
void capr__cursor_encoded(const struct capr_cursor *c, const uint8_t **buf, size_t *len);

/* Blocks decompressed since open, all cursors: tests use it to prove pruning. */
uint64_t capr__blocks_decoded(const struct capr *r);

/* Walks one segment file without the index (recovery, verify): checks the
 * segment header, then calls fn(offset, meta, ctx) for each block whose header
 * is valid and which fits in the file, in file order (headers only: decode
 * with a block_decoder to check the frames).  A non-zero return from fn stops
 * the walk and is returned.  *end_off (may be NULL) gets the offset after the
 * last whole block.  0 when the blocks end exactly at end of file; -EBADMSG
 * when a bad header or a partial block follows (err says where); -errno. */
int cap_segment__scan(const char *path,
		      int (*fn)(uint64_t offset, const struct cap_block_meta *meta, void *ctx),
		      void *ctx, uint64_t *end_off, char *err, size_t errlen);
/* The same on a segment the caller opened (fd, not closed here; path only
 * names it in err), so that fn reads the very file the walk checks: a
 * name looked up twice may be another file the second time.  Anything but
 * a regular file is refused (-EBADMSG). */
int cap_segment__scan_fd(int fd, const char *path,
			 int (*fn)(uint64_t offset, const struct cap_block_meta *meta, void *ctx),
			 void *ctx, uint64_t *end_off, char *err, size_t errlen);

#endif
