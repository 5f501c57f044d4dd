/* rowlacks.h - the columns a row of a stream does not have: show leaves
 * them out (the line format's pair, table and csv an empty cell, jsonl the
 * key) and export writes them as NULL (parquet, jsonl.zst).  A row lacks
 *  - on a --syscalls row, the path, path2 or socket address its syscall
 *    does not have (sysfields.h; an empty path it has is the call's);
 *  - a column of one family's socket address (names__scope) that is all
 *    zero on a row of another family: an AF_UNIX connect's port and addr,
 *    an inet one's path, an AF_UNSPEC one's port and addr;
 *  - an inet address that was not recorded: port and address all zero on
 *    an inet row (a socket's create and release: it has none yet; but a
 *    --syscalls row's address is shown as the call passed it, [::]:0
 *    included), and an all-zero address on an AF_INET row (bpfrec's
 *    addresses hold IPv4 v4-mapped: zeros there are none, not "::").
 * SQL keeps every value: a query sees the bytes as they were recorded.
 *
 * One per stream, made from its columns' names and its object's BTF;
 * it owns what it allocates.  A row's answer reads the record's bytes
 * within its length only (a capture is hostile input).
 */
#ifndef BPFREC_REPLAY_ROWLACKS_H
#define BPFREC_REPLAY_ROWLACKS_H

#include <stddef.h>
#include <stdint.h>

#include "capview.h"

struct rowlacks;

/* The rule for stream s (its columns and event type), whose object's BTF
 * is btf (NULL: none; it names a --syscalls row's fields, sysfields.h).
 * s and btf must outlive it.  NULL with errno ENOMEM. */
struct rowlacks *rowlacks__new(const struct btfv *btf, const struct capview_stream *s);
void rowlacks__free(struct rowlacks *rl);   /* NULL is fine */
/* Column k (an evtype column of s) may be lacking in some row: else
 * rowlacks__col is 0 for it in every row. */
int rowlacks__may(const struct rowlacks *rl, size_t k);
/* Reads what rec's row has: before rowlacks__col on its columns. */
void rowlacks__row(struct rowlacks *rl, const struct cap_rec *rec);
/* rec, the row given to rowlacks__row last, lacks column k. */
int rowlacks__col(const struct rowlacks *rl, const struct cap_rec *rec, size_t k);

#endif
