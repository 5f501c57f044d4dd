/* capw.h - write a capture: a directory of segment files holding encoded
 * blocks, plus index.db (schema/index.sql).  Single-threaded: the recorder
 * calls every function here from its writer thread only (the session set-up
 * calls happen before that thread starts).
 *
 * Crash contract: after capw__flush() returns, every block appended before it
 * is on disk (fdatasync) and in the index (committed); a crash afterwards
 * loses nothing before that point.
 *
 * Errors (README, "Conventions"): NULL with errno set from capw__create,
 * 0 or -errno from the rest; the writer tells the user itself, one line
 * naming the file and the cause on stderr, since it runs on the recorder's
 * writer thread with no caller to hand a message to.
 */
#ifndef BPFREC_SCHEMA_CAPW_H
#define BPFREC_SCHEMA_CAPW_H

#include <stddef.h>
#include <stdint.h>
#include "block.h"

struct capw_opts {
	int zstd_level;            /* 0: default (1) */
	uint64_t segment_bytes;    /* start a new segment past this size; 0: 256 MiB */
	/* Flight recorder (ring mode, FORMAT.md "Ring mode"): the oldest whole
	 * segments are dropped, rows and file, so that the segments held stay
	 * within ring_bytes (segments are then ring_bytes/8, at least 256 KiB,
	 * or ring_bytes/2 for a smaller ring) and/or hold only what was written
	 * in the last ring_ns (a segment then spans at most ring_ns/8).  Losses,
	 * streams and the session are kept whole.  0: keep everything. */
	uint64_t ring_bytes;
	uint64_t ring_ns;          /* CLOCK_BOOTTIME, write time */
	/* Chained dictionaries (block encoding 4, FORMAT.md "Chained
	 * dictionaries"): blocks written by capw__write_block continue the
	 * dictionaries of the block before, chains of at most this many
	 * blocks (a chain never spans segments).  0 or 1: none, the default. */
	unsigned chain_blocks;
};

struct cap_session {
	const char *host;
	const char *kernel_release;
	const char *boot_id;
	const char *cmdline;       /* the bpfrec command line, shell-quoted */
	const char *tool_version;
	uint64_t clock_boot_ns;    /* CLOCK_BOOTTIME at ... */
	uint64_t clock_real_ns;    /* ... this CLOCK_REALTIME: wall = ts - boot + real */
	uint64_t start_ns;         /* boot clock */
};

struct cap_stream_desc {
	const char *name;          /* unique table name, e.g. "exec" */
	const char *kind;          /* "ringbuf" or "perf" */
	uint32_t object_id;        /* objects.id */
	const char *map_name;
	const char *type_name;     /* struct name in the object's BTF, NULL: bytes */
	uint32_t type_id;          /* its BTF type id, 0: bytes */
	int32_t ts_offset;         /* offset of the event's own u64 ts, -1: none */
};

struct capw;

/* Creates dir (must not exist or be empty) and its index.  NULL + errno, with
 * a message already printed naming the path and cause. */
struct capw *capw__create(const char *dir, const struct capw_opts *opts);
int capw__set_session(struct capw *w, const struct cap_session *s);
/* btf: the object's raw BTF (may be NULL).  Returns the objects.id in *id. */
int capw__add_object(struct capw *w, const char *name, const char *path,
		     const void *btf, uint32_t btf_bytes, uint32_t *id);
int capw__add_stream(struct capw *w, const struct cap_stream_desc *d, uint32_t *id);
/* Encodes, compresses and appends one block; indexes it (committed at the
 * next flush).  An empty block is a no-op.  -ENOSPC on a full disk: nothing
 * already written is damaged, and capw__close() still finalizes the index.
 * A block that is not written (a failure, or any block after one) has its
 * records counted as lost (capw__add_block_loss); catalog.db is written
 * before the first block. */
int capw__write_block(struct capw *w, const struct blockbuf *b);
/* capw__append_encoded for a writer whose encoder enc chains blocks
 * (block_encoder__chain): out/len/m is b encoded by enc (NULL out: not
 * yet, enc encodes it here).  When the block's base is not among the last
 * blocks of the segment it goes to (a new segment, a block before it not
 * written), enc encodes b again as a chain's first block, which is
 * appended instead.  Errors and losses as capw__write_block. */
struct block_encoder;
int capw__append_chained(struct capw *w, const struct blockbuf *b, struct block_encoder *enc,
			 const uint8_t *out, size_t len, const struct cap_block_meta *m);
/* The second half of capw__write_block, for writers that encode blocks on
 * threads of their own (block_encoder__encode of b into out/len/m): appends
 * and indexes the encoded block.  Calls on one capw stay serialized. */
int capw__append_encoded(struct capw *w, const struct blockbuf *b, const uint8_t *out,
			 size_t len, const struct cap_block_meta *m);
int capw__add_loss(struct capw *w, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		   uint64_t count);
/* Counts every record of b as lost: one losses row per stream of b, at
 * its last record's time.  For a block that cannot be written (the encoder
 * refused it, the disk is full): its records are accounted for, not
 * silently gone.  Adds them to capw_stats.unwritten_records. */
int capw__add_block_loss(struct capw *w, const struct blockbuf *b);

/* Stacks and what symbolizes them (FORMAT.md "Stacks and symbols"); the
 * recorder writes them at the end, after the last block.  Each row joins
 * the open batch (committed by the next flush or close). */
struct cap_symfile {
	const char *kind;          /* elf, kernel, module, perfmap, special */
	const char *path;
	const char *build_id;      /* hex, NULL: none */
	int64_t size;              /* -1: unknown */
	int64_t pid;               /* perfmap: its process; -1 otherwise */
	const char *symbols;       /* copied, none, left out, unreadable: ... */
	uint32_t id;               /* the row's id; 0: the next free one (*id says) */
};
int capw__add_stack(struct capw *w, uint32_t id, int kernel, const uint64_t *ips, uint32_t n);
int capw__add_stack_pid(struct capw *w, uint32_t stack_id, uint32_t pid);
int capw__add_symfile(struct capw *w, const struct cap_symfile *f, uint32_t *id);
/* A mapping added before shows another file now (an exec or a munmap and
 * mmap put other code there: [remapped]). */
int capw__set_mapping_file(struct capw *w, uint32_t pid, uint64_t start, uint64_t end,
			   uint32_t file_id);
int capw__add_mapping(struct capw *w, uint32_t pid, uint64_t start, uint64_t end,
		      uint64_t file_offset, uint32_t file_id);
int capw__add_symbol(struct capw *w, uint32_t file_id, uint64_t addr, uint64_t size,
		     const char *name);
/* A line table row of an elf file: [addr, addr + size) file offsets come
 * from line `line` of source file src. */
int capw__add_line(struct capw *w, uint32_t file_id, uint64_t addr, uint64_t size,
		   uint32_t line, const char *src);

/* The programs of the objects, how each stream's losses are known, and
 * the possible-loss windows (FORMAT.md "Programs and loss"; capw_progs.c).
 * The recorder writes them at the end, after the last block, like the
 * stacks; each row joins the open batch. */
struct cap_program {
	uint32_t object_id;        /* objects.id */
	const char *name;
	const char *section;
	const char *type;          /* libbpf's program type name */
	const char *state;         /* attached, loaded, skipped */
	const char *target;        /* attached: where; NULL otherwise */
	const char *reason;        /* skipped: why; NULL otherwise */
	uint32_t stream_id;        /* streams.id it writes, 0: none known */
};
int capw__add_program(struct capw *w, const struct cap_program *p);
/* method: perf, rewrite, program or unobservable; ring_bytes 0: not a ringbuf. */
int capw__set_stream_loss(struct capw *w, uint32_t stream, const char *method,
			  uint64_t ring_bytes);
int capw__add_loss_window(struct capw *w, uint32_t stream, uint64_t start_ns, uint64_t end_ns,
			  uint64_t peak_bytes);

/* The recording host's user and group names (FORMAT.md "User and group
 * names"; capw_names.c): n rows into users (group 0) or groups (group 1),
 * in the open batch.  An id already in the table keeps its first name (the
 * recorder reads the host at the start and again at the end: the second
 * read only adds the ids created meanwhile).  Names must be 1 to
 * CAP_ID_NAME_MAX bytes; ids below 2^32 - 1 ((uid_t)-1 means "none"):
 * anything else is skipped.  truncated: the host had more than the
 * recorder took (meta users_truncated / groups_truncated = 1). */
#define CAP_ID_NAME_MAX 256
#define CAP_ID_NAMES_MAX 65536     /* rows the recorder takes per table and read */
struct cap_id_name {
	uint32_t id;
	const char *name;
};
int capw__add_id_names(struct capw *w, int group, const struct cap_id_name *v, size_t n,
		       int truncated);

/* Ends the batch: fdatasyncs the open segment, then commits the index (the
 * crash contract above); in ring mode closes a segment past its span and
 * drops what fell out of the ring (files unlinked after the commit);
 * rewrites catalog.db when the metadata changed.  0 or -errno. */
int capw__flush(struct capw *w);
/* Records the end time and commits the last batch, keeping w open for
 * capw__stats (what the finished capture holds).  0 or the first error
 * seen.  capw__close does it when it was not done. */
int capw__finish(struct capw *w, uint64_t end_ns);
/* Finishes (capw__finish), closes.  0 or the first error seen.  NULL ok. */
int capw__close(struct capw *w, uint64_t end_ns);

/* Flight-recorder snapshot (SIGUSR1): writes what the capture holds now as
 * a complete capture of its own, CAPTURE/snapshot-N (N from 1): flushes,
 * closes the open segment (the next block starts a new one), hard-links
 * (or copies) every held segment into CAPTURE/snapshot-N.tmp, copies the
 * committed index there (VACUUM INTO), stamps it (sessions.end_ns and meta
 * 'snapshot_ns' = now), then renames it to snapshot-N.  The recording goes
 * on; a failed snapshot leaves nothing behind and does not stop it.  path
 * (may be NULL) gets the directory.  0 or -errno, with a message. */
int capw__snapshot(struct capw *w, char *path, size_t pathlen);

/* Finishes a capture a crash left behind (the recorder killed, the machine
 * down): rolls back a half-done index commit, then indexes the whole,
 * intact blocks found in the segments past what the index holds (including
 * segment files it never named).  Never deletes or truncates anything; bytes
 * it cannot use stay unindexed.  Needs index.db (it holds the streams), or
 * catalog.db to make a new one from (the losses are then unknown).  Not
 * for a capture still being written.  *recovered_blocks (may be NULL) gets
 * the blocks added.  0 or -errno, with a message printed. */
int capw__recover(const char *dir, uint64_t *recovered_blocks);

/* Totals so far, for the status line. */
#define CAPW_CHAIN_MISSES 4
struct capw_stats {
	uint64_t records;
	uint64_t raw_bytes;
	uint64_t written_bytes;
	uint64_t blocks;
	uint64_t held_bytes;       /* segment bytes on disk now (ring mode: <= ring_bytes) */
	uint64_t dropped_blocks;   /* ring mode: blocks dropped so far ... */
	uint64_t dropped_records;  /* ... and their records */
	uint64_t unwritten_records; /* counted as lost by capw__add_block_loss */
	/* Chained blocks encoded again as a chain's first (their base not in
	 * their segment); after CAPW_CHAIN_MISSES in a row an encoder stops
	 * chaining (segments of about one block: a small --ring). */
	uint64_t chain_reencoded;
	/* What the index holds (committed, or in the batch a flush commits):
	 * records is the blocks' records; losses the sum of the losses rows.
	 * A batch that cannot be committed takes its blocks and losses out of
	 * these: the blocks stay whole in the segments, unindexed_records
	 * (capw__recover indexes them), the losses are then not in the index. */
	uint64_t losses;
	uint64_t unindexed_records;
	uint64_t end_recorded;     /* 1 once capw__finish committed sessions.end_ns */
};
void capw__stats(const struct capw *w, struct capw_stats *st);

#endif
