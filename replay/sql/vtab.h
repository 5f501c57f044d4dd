/* vtab.h - a bpfrec capture as SQLite tables: one virtual table per stream
 * (module "bpfrec"), plus plain tables sessions, streams, losses, blocks and
 * block_streams copied from the capture's index.  The usage manual is at the
 * top of vtab.c.  Used by `bpfreplay sql` / `show` and by the loadable
 * extension (ext.c).
 */
#ifndef BPFREC_REPLAY_VTAB_H
#define BPFREC_REPLAY_VTAB_H

#include <stdint.h>
#include <sqlite3.h>

struct capview;

struct vtab_opts {
	/* Damage policy for tables created without an explicit mode argument:
	 * 0: skip a damaged block or record and report it through warn (and
	 *    count it); 1: fail the statement with SQLITE_CORRUPT. */
	int strict;
	void (*warn)(void *ctx, const char *msg);  /* NULL: sqlite3_log */
	/* Nonzero when the running statement is to stop (Ctrl-C): asked
	 * during work that runs inside one call of SQLite's (a grouped scan's
	 * counting scan and its merge passes, any scan's blocks that hold no
	 * row it hands out), which sqlite3_interrupt cannot reach.  May be
	 * NULL. */
	int (*interrupted)(void *ctx);
	void *ctx;
	/* A grouped scan's memory for distinct rows (vtgroup.h); 0: 16 MiB.
	 * More distinct rows than that go to sorted runs in a temporary file. */
	size_t group_bytes;
};

struct vtab_reg;

/* The stream tables one attach makes at most, in the captures' stream
 * order (a recording has a few dozen): SQLite's cost of each table made
 * grows with the tables before it, and a stream is an index row of some
 * tens of bytes.  The others' records are in the events table. */
#define VTAB_MAX_TABLES 2048

/* Registers the module "bpfrec" and the SQL function bpfrec_attach() on db.
 * The registry belongs to db (freed when db closes); the pointer stays valid
 * until then.  NULL on failure (an SQLite error on db). */
struct vtab_reg *vtab__register(sqlite3 *db, const struct vtab_opts *opts);

/* What bpfrec_attach(path, schema) does: creates in schema ("main",
 * "temp", or an attached database) one virtual table per stream and the
 * metadata tables.  SQLITE_OK, or an SQLite code with *errmsg set
 * (sqlite3_malloc'ed, may be NULL on OOM).  For a connection the caller
 * owns (bpfreplay's), with no authorizer of its own: while it runs, an
 * authorizer allows bpfrec's statements only what they need (CREATE
 * TABLE / VIRTUAL TABLE, INSERT), and it is removed after (SQLite offers
 * no way to restore another one: the extension's bpfrec_attach() leaves
 * the host's authorizer alone). */
int vtab__attach(struct vtab_reg *reg, const char *path, const char *schema, char **errmsg);

/* The same for several captures: each stream table is the union of that
 * stream in every capture that has it, with host and capture columns after
 * the fields; a stream whose columns differ between captures is refused
 * (the error names both).  The metadata tables hold every capture's rows,
 * with a capture column.  One path: as vtab__attach. */
int vtab__attach_many(struct vtab_reg *reg, const char *const *paths, size_t n,
		      const char *schema, char **errmsg);

/* The opened capture behind the tables made from path (as given), or NULL. */
struct capview *vtab__capture(struct vtab_reg *reg, const char *path);

/* The capture at path, opened once per registry and shared by every table
 * made from it (one snapshot of a live capture), or NULL with *err; give
 * it back with vtab__release. */
struct capview *vtab__hold(struct vtab_reg *reg, const char *path, char **err);
void vtab__release(struct vtab_reg *reg, struct capview *c);   /* NULL is fine */
/* The paths of a table's first argument (SQL-quoted or not: one path, or a
 * JSON array of paths) and each one's capture column value (names); multi:
 * an array.  SQLITE_OK, or an SQLite code with *err.  For the other
 * modules of the same tables (events.c); free with vtab__paths_free. */
int vtab__paths(const char *arg, char ***paths, char ***names, size_t *n, int *multi,
		char **err);
void vtab__paths_free(char **paths, char **names, size_t n);
/* Narrows the inclusive ts bounds [*lo, *hi] by one constraint on ts
 * (is_time 0) or on time (is_time 1, through the capture's clock ck), as
 * the stream tables do: op '=', '>', 'g' (>=), '<', 'l' (<=); *empty set
 * when nothing can match.  Conservative for what it cannot bound (text on
 * ts, text that names no time): SQLite checks the constraint again. */
struct timeclock;
void vtab__ts_bound(const struct timeclock *ck, int is_time, char op, sqlite3_value *v,
		    uint64_t *lo, uint64_t *hi, int *empty);
/* The operator character of an SQLite constraint op for vtab__ts_bound,
 * 0 for one it does not take. */
char vtab__ts_op(unsigned char op);
/* Damage skipped so far (lenient tables only), in every capture. */
void vtab__damage(const struct vtab_reg *reg, uint64_t *blocks, uint64_t *records);
/* The same, per capture: fn for each capture that had some, in the order
 * the captures were first opened, with its path as given, its damaged
 * blocks and records, and how many of their reports were only counted,
 * not said (the first few of each segment's blocks and each stream's
 * records of each capture are said, as show says them: damagesay.h; each
 * report names its capture). */
void vtab__damage_each(const struct vtab_reg *reg,
		       void (*fn)(void *ctx, const char *path, uint64_t blocks, uint64_t records,
				  uint64_t unsaid), void *ctx);
/* Whether vtab_opts.interrupted says so (Ctrl-C): 1, else 0.  reg is a
 * struct vtab_reg * (void: a slice's stop callback, slice__on_stop). */
int vtab__interrupted(void *reg);
/* Block block (its index in capview__blocks) of capture c, which reg
 * holds, is damaged (why): reported and counted once, as the stream
 * tables do (vtab__damage).  reg: a struct vtab_reg * (void: a slice's
 * callback, slice__on_damaged_block). */
void vtab__block_damaged(void *reg, struct capview *c, size_t block, const char *why);
/* A record of block block of capture c is damaged (too short for its
 * type, or of no stream the index has): the block's damaged records are
 * reported and counted once, as the stream tables do. */
void vtab__records_damaged(void *reg, struct capview *c, size_t block);

#endif
