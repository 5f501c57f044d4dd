/* segname.h - the names of a capture's segment files, in one place: how the
 * writer names them, how a reader tells one from any other file, and the
 * list of those a directory holds (FORMAT.md, "Segment file").
 *
 * A segment is named seg-NNNNNN.bpfrec: its number (from 1) as printf's
 * "%06u" writes it.  A capture directory is hostile input, so a name is a
 * segment's only when it is exactly what cap_segment__name makes for its
 * number: no sign, space or extra zero, no 0, no number past 2^32 - 1, no
 * suffix.
 * One number has one name.
 */
#ifndef BPFREC_SCHEMA_SEGNAME_H
#define BPFREC_SCHEMA_SEGNAME_H

#include <stddef.h>
#include <stdint.h>

/* "seg-" + at most 10 digits + ".bpfrec" + NUL fits. */
#define CAP_SEG_NAME_MAX 24

/* Writes segment no's file name into out; returns out. */
char *cap_segment__name(uint32_t no, char out[CAP_SEG_NAME_MAX]);

/* 0 and *no (may be NULL) when name is a segment file name (above);
 * -EINVAL for any other name. */
int cap_segment__parse_name(const char *name, uint32_t *no);

/* The segment numbers of the files in directory dir whose names are
 * segment names, ascending, in *nos (free() it; NULL when *n is 0).  Only
 * names are looked at: whoever opens a file checks it (O_NOFOLLOW, a
 * regular file, its header).  0, or -errno (-ENOMEM, or opendir's). */
int cap_segment__list(const char *dir, uint32_t **nos, size_t *n);

/* The highest segment number ring mode dropped from the index db (meta
 * 'ring_dropped_through', FORMAT.md "Ring mode and snapshots"): a file
 * numbered at or below it that no row names is a leftover of a crash, not
 * a segment to index.  0 when none was dropped, or when the value is not a
 * plain decimal number below 2^32 (the index is hostile input too). */
struct sqlite3;
uint32_t cap_segment__dropped_through(struct sqlite3 *db);

#endif
