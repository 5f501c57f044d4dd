/* block.h - a block of records: built in memory, encoded to one checksummed
 * zstd frame, decoded back.  Pure functions over memory: no files, no SQLite,
 * so the drain thread can fill a blockbuf cheaply and a writer thread can
 * encode it, and so the decoder can be fuzzed on its own.
 *
 * The on-disk layout of an encoded block is specified in schema/FORMAT.md.
 * Implemented by blockbuf.c, blockenc.c, blockdec.c and blockhdr.c, which
 * share block_internal.h.
 *
 * Errors (README, "Conventions"): constructors return NULL with errno set
 * (EINVAL, ENOMEM) and print nothing; other calls return 0 or -errno, the
 * decoder with a one-line reason in its err buffer.  Destructors take NULL.
 */
#ifndef BPFREC_SCHEMA_BLOCK_H
#define BPFREC_SCHEMA_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CAP_CPU_UNKNOWN UINT32_MAX /* ringbuf records carry no CPU */

/* Format constants (schema/FORMAT.md). */
#define CAP_FORMAT_VERSION 1             /* meta.format_version, segment and block headers */
#define CAP_BLOCK_ENCODING 8             /* newest block body layout: stream-grouped
					   * columns with keyed dictionaries, keyed
					   * by the key word's low half (encoding 2:
					   * by the whole word), whose values and
					   * recency lists continue those of an
					   * earlier block (encoding 4: chained);
					   * 5 and 6: 3 and 4 with their 2-byte
					   * dictionary codes escaped; 7 and 8: 5
					   * and 6 with a mode per ts column (its
					   * deltas coded by the previous one's) */
#define CAP_CHAIN_MAX 16                 /* blocks in a chain of encoding-4 blocks,
					   * its first (not encoding 4) included */
#define CAP_CHAIN_BACK 16                /* an encoding-4 block's base is one of
					   * the blocks at most this many before it
					   * in its segment */
#define CAP_CHAIN_STATE_MAX (16u << 20)  /* bytes of dictionaries a block may
					   * leave to its chain */
#define CAP_BLOCK_ENCODING_MIN 1         /* oldest one read: the same without them */
#define CAP_BLOCK_MAX_RAW (64u << 20)    /* largest decoded block body accepted by default */
#define CAP_BLOCKBUF_MAX_BYTES (32u << 20) /* largest blockbuf capacity: its body stays under CAP_BLOCK_MAX_RAW */
/* The recorder's block size (raw bytes of records): a block's dictionaries
 * are paid once per block, so larger blocks compress better (bench mix: 6.7
 * bytes/event at 4 MiB, 6.2 at 8 MiB), while a time-range query decodes
 * whole blocks at its ends. */
#define CAP_BLOCK_DEFAULT_BYTES (8u << 20)
#define CAP_BLOCK_MAX_STREAMS 1024       /* distinct streams in one block */
/* Most records a block can hold: a blockbuf spends 24 bytes a record of its
 * at most CAP_BLOCKBUF_MAX_BYTES.  The decoder refuses more, which bounds its
 * record array (32 bytes a record) however well a hostile frame compresses. */
#define CAP_BLOCK_MAX_RECORDS (CAP_BLOCKBUF_MAX_BYTES / 24)
#define CAP_SEG_HDR_BYTES 16             /* segment file header */

/* One record as the reader hands it out; data points into the decoded block. */
struct cap_rec {
	uint32_t stream;   /* streams.id in the index */
	uint32_t cpu;      /* CAP_CPU_UNKNOWN when the source does not say */
	uint64_t ts_ns;    /* kernel CLOCK_BOOTTIME, ns */
	uint32_t len;      /* bytes at data */
	const uint8_t *data;
};

/* Summary of one encoded block, as the index stores it. */
struct cap_block_meta {
	uint32_t nrecords;
	uint32_t raw_bytes;    /* decoded payload size */
	uint32_t enc_bytes;    /* header + zstd frame, as written */
	uint64_t min_ts_ns;
	uint64_t max_ts_ns;
};

/* Whether records bounded by [min_ts, max_ts] (a block's, or one stream's
 * in a block: a blocks or block_streams row) can include one with a ts in
 * [lo, hi], bounds inclusive (FORMAT.md, blocks_by_time).  Every reader of
 * a time range skips the blocks that fail unread. */
static inline int cap_block__overlaps(uint64_t min_ts, uint64_t max_ts, uint64_t lo, uint64_t hi)
{
	return min_ts <= hi && max_ts >= lo;
}

/* --- building (drain side) --- */

struct blockbuf;

/* cap_bytes bounds the raw payload held (8 bytes to CAP_BLOCKBUF_MAX_BYTES);
 * NULL with errno (EINVAL out of range, ENOMEM). */
struct blockbuf *blockbuf__new(size_t cap_bytes);
void blockbuf__free(struct blockbuf *b);   /* NULL is fine */
/* Empties b and gives its memory back to the system (RSS) until it is
 * filled again: a buffer kept for a while it is not used. */
void blockbuf__release(struct blockbuf *b);
/* Appends a copy of data.  -ENOSPC when the record does not fit (the caller
 * hands the full block on and retries on a fresh one); -E2BIG when it could
 * never fit in an empty block of this capacity. */
int blockbuf__add(struct blockbuf *b, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		  const void *data, uint32_t len);
/* One record of a run given to blockbuf__add_run: its time and bytes. */
struct blockbuf_rec {
	uint64_t ts_ns;        /* unless the run's times come from a blockbuf_ts */
	const void *data;
	uint32_t len;
};
/* Where a run's records hold their times, read as each record is copied
 * (the drain's runs: one pass over the records, not a pass to set ts_ns
 * and another to copy): the little-endian u64 at byte off of the payload
 * plus add_ns, for a record that holds it (off >= 0 and len >= off + 8);
 * else dflt_ns.  same_len: every record of the run has this length (the
 * caller knows it from a pass of its own: the block buffer then copies
 * them in a loop without a check per record), 0: not known.  fill_to: a
 * record shorter than this is stored zero-filled to it, and its time read
 * from the filled copy (a producer that leaves out trailing zeros:
 * --syscalls); 0: none.  (A same_len under fill_to is not used.) */
struct blockbuf_ts {
	int32_t off;
	uint32_t same_len;
	uint64_t add_ns;
	uint64_t dflt_ns;
	uint32_t fill_to;
};
/* A record's time by t: what blockbuf__add_run stores (for a record t
 * fills, give the filled copy: data and len after the fill). */
static inline uint64_t blockbuf_ts__of(const struct blockbuf_ts *t, const void *data,
				       uint32_t len)
{
	uint64_t ts;

	if (t->off < 0 || len < (uint32_t)t->off + 8)
		return t->dflt_ns;
	memcpy(&ts, (const uint8_t *)data + t->off, 8);
	return ts + t->add_ns;
}
/* Appends copies of recs[0..n) of one stream and cpu, in order, as n calls
 * of blockbuf__add would, and returns how many fit (0..n): fewer than n
 * when the block is full (the caller hands it on and gives the rest to a
 * fresh one).  -E2BIG when recs[0] could never fit in an empty block.
 * Each record's time: by t (blockbuf_ts__of), or with t NULL its ts_ns. */
int blockbuf__add_run(struct blockbuf *b, uint32_t stream, uint32_t cpu,
		      const struct blockbuf_rec *recs, uint32_t n, const struct blockbuf_ts *t);
uint32_t blockbuf__count(const struct blockbuf *b);
size_t blockbuf__bytes(const struct blockbuf *b);   /* payload + per-record headers */
void blockbuf__reset(struct blockbuf *b);
/* Counts per stream in this block: calls fn once per stream present. */
void blockbuf__for_each_stream(const struct blockbuf *b,
			       void (*fn)(uint32_t stream, uint32_t count, uint64_t min_ts,
					  uint64_t max_ts, void *ctx),
			       void *ctx);

/* Whether a block of this encoding (its header's field) continues an
 * earlier block's dictionaries, its body starting with that block's CRC:
 * encodings 4, 6 and 8 (FORMAT.md "Chained dictionaries"). */
static inline bool cap_block_encoding_chained(unsigned encoding)
{
	return encoding == 4 || encoding == 6 || encoding == 8;
}

/* --- encoding (writer side) --- */

struct block_encoder;
/* level: zstd compression level (0: 1, the recorder's default).  NULL with
 * errno (EINVAL: a level zstd refuses; ENOMEM). */
struct block_encoder *block_encoder__new(int level);
void block_encoder__free(struct block_encoder *e);   /* NULL is fine */
/* Encodes b into an internal buffer; *out stays valid until the next call.
 * Fills meta.  0 or -errno; -EPROTO (with a message) when the block fails
 * the encoder's own check that its reader would accept it (the header's
 * invariants always; a full decode in debug, sanitizer and fuzz builds):
 * such a block must not be written, and its records count as lost. */
int block_encoder__encode(struct block_encoder *e, const struct blockbuf *b,
			  const uint8_t **out, size_t *out_len, struct cap_block_meta *meta);

/* Fast blocks, for a writer that falls behind (the recorder's while the
 * kernel's buffers fill): the same format, every reader reads them, and
 * only the encoder's choices differ: dictionary codes without recency
 * lists or keys (a value's index unless it repeats the record before's:
 * a block of encoding 1), and a zstd frame made without zstd's
 * compressor: each run of 8 bytes or more equal to the byte before an RLE
 * block, the bytes between raw blocks (schema/blockrun.c).  On the
 * generator's events (tools/bench/encode/encbench, BENCHMARKS.md) a fast
 * block takes about 40% of a compact one's instructions and ~2.2x its
 * bytes.  A fast block continues no chain and starts none.
 * on: the blocks encoded from now on.  0, or -EINVAL if zstd refuses the
 * level (the encoder's blocks stay as they were). */
#define BLOCK_FAST_ZSTD_LEVEL (-5)
int block_encoder__fast(struct block_encoder *e, bool on);
/* The level of the fast blocks encoded from now on (at first
 * BLOCK_FAST_ZSTD_LEVEL); at BLOCK_FASTER_ZSTD_LEVEL or below (while a
 * writer is about to lose events) only runs of 16 bytes or more are RLE
 * blocks: on encbench's events ~3% fewer instructions than a fast block
 * for ~1.04x its bytes.  (The frame codes nothing by entropy, so no other
 * level changes it.)  0, or -EINVAL if zstd refuses the level (nothing
 * changed). */
#define BLOCK_FASTER_ZSTD_LEVEL (-20)
int block_encoder__fast_level(struct block_encoder *e, int level);

/* --- decoding (reader side, untrusted input) --- */

struct block_decoder;
/* max_raw_bytes caps the decoded size that will be accepted (and the zstd
 * window), so hostile input cannot make the decoder allocate without bound.
 * NULL with errno (EINVAL: 0 or over 4 GiB; ENOMEM). */
struct block_decoder *block_decoder__new(size_t max_raw_bytes);
void block_decoder__free(struct block_decoder *d);   /* NULL is fine */
/* Decodes one encoded block (header + frame) of exactly len bytes.  On success
 * *recs and *nrecs stay valid until the next call.  -EBADMSG for a bad magic,
 * header CRC, zstd error or checksum mismatch, a layout that does not add up;
 * err (may be NULL) gets a one-line reason. */
int block_decoder__decode(struct block_decoder *d, const void *buf, size_t len,
			  const struct cap_rec **recs, uint32_t *nrecs,
			  char *err, size_t errlen);

/* Chained dictionaries (encoding 4, FORMAT.md "Chained dictionaries"): a
 * block may continue the dictionaries of an earlier block of its segment
 * (its base, named by the base's hdr_crc), which may continue another's, at
 * most CAP_CHAIN_MAX blocks in all.  block_dicts holds what one block
 * leaves to the next of its chain.  NULL with errno from __new. */
struct block_dicts;
struct block_dicts *block_dicts__new(void);
void block_dicts__free(struct block_dicts *s);   /* NULL is fine */
/* Whether s holds every dictionary column of its block whole (a decode
 * without a projection, or chain_full, filled it), so that a block decoded
 * under any projection can continue it. */
bool block_dicts__whole(const struct block_dicts *s);
/* Decodes as block_decoder__decode, and when out is not NULL fills it with
 * what this block leaves to its chain.  base: what the block's base left
 * (NULL: nothing known).  An encoding-4 block whose base is not base (NULL,
 * left by another block, too deep or too big) fails with -ENOENT and the
 * hdr_crc of the block it needs in *need_base: the caller finds that block
 * (among the CAP_CHAIN_BACK before it in its segment), decodes it the same
 * way and calls again with what it left.  recs and nrecs NULL (out not
 * NULL): only what the block leaves is wanted, no records (a base).
 * Under a projection (block_decoder__want) what a block leaves is what
 * that projection needs of it: the dictionary columns it decodes whole,
 * the shape of those it steps over, nothing past where its walk stops;
 * enough for the next block of the chain under the same projection.  A
 * block whose base left less than it needs fails with -ESTALE: decode the
 * chain again with block_decoder__chain_full.  Other errors as __decode. */
int block_decoder__decode_chain(struct block_decoder *d, const void *buf, size_t len,
				const struct block_dicts *base, struct block_dicts *out,
				uint32_t *need_base, const struct cap_rec **recs, uint32_t *nrecs,
				char *err, size_t errlen);
/* on: what a decode leaves (decode_chain's out) holds every dictionary
 * column of the block whole, whatever the projection, which then
 * decompresses the whole body: the state every later block can use. */
void block_decoder__chain_full(struct block_decoder *d, bool on);
/* A walk over the blocks of one segment in file order (recovery, verify):
 * each decoded as block_decoder__decode does, an encoding-4 one with what
 * its base among the CAP_CHAIN_BACK blocks before it left (a block that
 * failed counts as one of them, and leaves nothing).  __reset at the start
 * of each segment.  NULL with errno from __new. */
struct block_seq;
struct block_seq *block_seq__new(size_t max_raw_bytes);
void block_seq__free(struct block_seq *s);   /* NULL is fine */
void block_seq__reset(struct block_seq *s);
int block_seq__decode(struct block_seq *s, const void *buf, size_t len,
		      const struct cap_rec **recs, uint32_t *nrecs, char *err, size_t errlen);

/* The hdr_crc of the base an encoding-4 block names (its body's first
 * bytes, decompressed alone), 0 for a block of another encoding: a reader
 * finds the base before it decodes the block.  -EBADMSG, -ENOMEM. */
int block__base_crc(const void *buf, size_t len, uint32_t *crc);
/* The writer's side: an encoder chains up to k blocks (1..CAP_CHAIN_MAX;
 * 0 or 1: none, the default): each continues the dictionaries of the one
 * it encoded before, until k are chained and the next starts anew.  Its
 * caller must write each block after its base in the same segment, at
 * most CAP_CHAIN_BACK blocks apart, or call block_encoder__chain_break
 * first (the next block then starts anew).  *base_crc (may be NULL): the
 * hdr_crc of the base the last encoded block names, 0 for none. */
void block_encoder__chain(struct block_encoder *e, unsigned k);
void block_encoder__chain_break(struct block_encoder *e);
uint32_t block_encoder__base_crc(const struct block_encoder *e);

/* What a reader needs of the blocks it decodes next: the records of one
 * stream (CAP_STREAM_ALL: all), and of fixed-layout payloads only the
 * 8-byte words whose bits are set in words (NULL: all; bit w covers payload
 * bytes 8w..8w+7, bit floor(L/8) the tail).  Bytes of words not wanted read
 * as 0.  NULL w: everything (the default).
 * A projection (one stream, or words) decompresses the body only as far
 * as its walk needs: up to the last wanted word of the wanted stream's
 * group (FORMAT.md, "Projected decodes (SQL)").  What it reads is checked
 * as ever; the rest of the frame, zstd's content checksum and the checks
 * that need the whole body (record total, trailing bytes) are not, unless
 * the walk reached the body's end.  A decode that leaves dictionaries to a
 * chain (decode_chain's out) leaves those of the same prefix (see there). */
#define CAP_STREAM_ALL UINT32_MAX
struct block_want {
	uint32_t stream;
	const uint64_t *words;
	uint32_t nwords;            /* bits in words */
	/* With words: the bytes of words not wanted are unspecified instead
	 * of 0, and the records of a group of word columns lie only as far
	 * apart as the span from their first to their last wanted byte (each
	 * record's len bytes still lie in the decoder's buffer; outside that
	 * span they are its neighbours').  A narrow query then writes and
	 * reads a few bytes a record, not a cache line or more. */
	bool compact;
};
void block_decoder__want(struct block_decoder *d, const struct block_want *w);
/* Bytes of the last block's body decompressed: all of it after a full
 * decode, the prefix a projection needed after a projected one (0 when the
 * block was refused before). */
size_t block_decoder__raw_read(const struct block_decoder *d);
/* How many bytes of the frame a projected decode gives zstd at a time
 * (0: the default, 16 KiB).  Tests take small steps, so that the walk meets
 * the end of what is decompressed often. */
void block_decoder__step(struct block_decoder *d, size_t in_bytes);

/* Size of the fixed block header, and a parse of it without decompressing:
 * lets a scanner walk a segment (recovery) and the reader check the index. */
#define CAP_BLOCK_HDR_BYTES 48
/* 0 when buf holds a valid block header (magic, version, CRC); fills
 * *enc_bytes (header + frame) and meta (either may be NULL).  -EBADMSG. */
int block__parse_header(const void *buf, size_t len, uint32_t *enc_bytes,
			struct cap_block_meta *meta);

/* Largest enc_bytes a block with at most max_raw_bytes of body can have. */
size_t block__max_enc_bytes(size_t max_raw_bytes);

/* --- segment file header (CAP_SEG_HDR_BYTES at offset 0 of every segment) --- */

void cap_segment__fill_header(uint8_t out[CAP_SEG_HDR_BYTES]);
/* 0, or -EBADMSG (bad magic, short) / -EPROTONOSUPPORT (unknown version),
 * with a reason in err. */
int cap_segment__parse_header(const void *buf, size_t len, char *err, size_t errlen);

#endif
