/* capw_internal.h - what the capture writer's sources share (capw.c: the
 * writer; capw_ring.c: ring mode; capw_snapshot.c: snapshots;
 * capw_catalog.c: catalog.db), not for the rest of schema/, nor for
 * recorder/ or replay/.  The writer's state and the few helpers the others
 * call: its SQLite error channel and batch, and the clock of ring mode.
 */
#ifndef BPFREC_SCHEMA_CAPW_INTERNAL_H
#define BPFREC_SCHEMA_CAPW_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capw.h"
#include "segname.h"

/* Ring mode: a segment is 1/RING_SEGS of the ring (so a drop frees about an
 * eighth and the ring stays 7/8..8/8 full), at least RING_SEG_MIN bytes; with
 * ring_ns, a segment takes blocks for at most ring_ns / RING_SEGS. */
#define RING_SEGS 8
#define RING_SEG_MIN (256ull << 10)

/* A segment file the capture holds (rows and file), oldest first. */
struct seg_held {
	int64_t id;                 /* segments.id */
	uint32_t no;                /* seg-NNNNNN */
	uint64_t bytes;             /* file size: header + whole blocks */
	int64_t first_block, last_block;   /* blocks.id range, 0: none yet */
	uint64_t opened_ns, last_write_ns; /* CLOCK_BOOTTIME */
};

struct capw {
	char *dir;
	int dirfd;
	sqlite3 *db;
	struct capw_opts opts;
	struct block_encoder *enc;

	int seg_fd;                 /* -1: no open segment */
	uint32_t seg_no;            /* seg-NNNNNN number of the open one */
	int64_t seg_id;             /* its segments.id */
	uint64_t seg_off;           /* end of the last whole block */
	/* Header CRCs of the last CAP_CHAIN_BACK blocks written to the open
	 * segment (a ring; seg_nblocks counts them all): the bases a chained
	 * block may name. */
	uint32_t seg_crcs[CAP_CHAIN_BACK];
	uint32_t seg_nblocks;
	uint32_t chain_misses;      /* chained blocks re-encoded in a row */
	char seg_name[CAP_SEG_NAME_MAX];

	bool in_txn;                /* a batch is open, committed at flush */
	bool catalog_dirty;         /* metadata changed since catalog.db was written */
	bool catalog_warned;
	bool dir_dirty;             /* a segment was created since the last directory fsync */
	int stopped;                /* -errno once segment writing has failed */
	int first_err;              /* returned by capw__close */
	int64_t session_id;         /* 0: none */

	sqlite3_stmt *st_block, *st_bstream, *st_segbytes, *st_loss;
	/* A block's savepoint, taken and released: prepared once, not parsed
	 * again for every block (a quarter of a block's index work). */
	sqlite3_stmt *st_blk_save, *st_blk_release;
	sqlite3_stmt *st_sym[7];    /* capw__add_stack ... capw__add_symbol, prepared on first use */
	int64_t cur_block;          /* for the block_streams callback */
	int cb_rc;
	struct capw_stats stats;

	struct seg_held *segs;      /* held segments, oldest first; the open one last */
	size_t nsegs, segs_cap;
	uint64_t held_bytes;        /* sum of segs[].bytes */
	uint32_t *unlink_nos;       /* dropped from the index, file unlinked after the commit */
	size_t nunlink, unlink_cap;
	uint32_t dropped_through;   /* highest segment number dropped, 0: none */
	uint64_t dropped_blocks, dropped_records;
	uint32_t snap_no;           /* last snapshot-N made */
	bool reserved;              /* CAPW_RESERVE_NAME holds room for the last commit */
	bool first_block_done;      /* catalog.db and the reserve made */
	bool finished;              /* capw__finish ran: end time recorded */
	uint64_t batch_records;     /* records of the blocks in the open batch */
	uint64_t batch_losses;      /* loss counts in the open batch */
	/* The loss rows of the open batch, kept until it commits: a batch that
	 * rolls back (a full disk) hands them to orphan_losses, which
	 * requeue_losses writes again in a small transaction of their own,
	 * so that what was lost stays counted in the index. */
	struct capw_lossrow *batch_loss_rows;
	size_t nbatch_loss_rows, batch_loss_rows_cap;
	struct capw_lossrow *orphan_losses;
	size_t norphan_losses, orphan_losses_cap;
	bool requeueing;            /* requeue_losses is running */
};

struct capw_lossrow {
	uint32_t stream;
	uint32_t cpu;               /* CAP_CPU_UNKNOWN: none */
	uint64_t ts_ns;
	uint64_t count;
};

static inline bool ring_mode(const struct capw *w)
{
	return w->opts.ring_bytes || w->opts.ring_ns;
}

/* capw.c */
uint64_t capw_boot_ns(void);   /* CLOCK_BOOTTIME, ns */
/* SQLite failure: one line naming index.db and the cause; -errno. */
int capw_db_err(struct capw *w, const char *what);
int capw_exec(struct capw *w, const char *sql);
int capw_begin(struct capw *w);   /* opens the batch, if not open */
/* Writes all of buf at off; -errno on failure (short writes retried). */
int capw_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/* capw_ring.c: ring mode (FORMAT.md "Ring mode and snapshots") */
int capw_ring_enforce(struct capw *w, uint64_t incoming, uint64_t now, bool *dropped);
void capw_ring_unlink_dropped(struct capw *w);

/* capw_catalog.c */
void capw_write_catalog(struct capw *w);

#endif
