/* idnames.h - the user and group names a capture carries: the recording
 * host's names for uids and gids (its users and groups tables, FORMAT.md
 * "User and group names"), so that show prints uid=1000(alice) with the
 * names of the machine that recorded, whatever the reading machine calls
 * that id.
 *
 * The tables are hostile input.  A row is used only when its id is an
 * INTEGER in 0 .. 2^32 - 2 and its name is TEXT of 1 to IDNAMES_NAME_MAX
 * bytes of valid UTF-8 with no control character (C0, DEL, C1), no
 * bidirectional control (U+202A..U+202E, U+2066..U+2069: text that would
 * reorder the line around it) and no NUL; any other row is left out and
 * counted (its id then prints as a number).  Two rows with one id: the
 * first (lowest rowid) wins, the others are left out and counted.  At most
 * IDNAMES_ROWS_MAX rows a table are read.  A capture without the tables
 * (older than them, or a bundle that left them out) has no names.
 */
#ifndef BPFREC_REPLAY_IDNAMES_H
#define BPFREC_REPLAY_IDNAMES_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#define IDNAMES_NAME_MAX 256
#define IDNAMES_ROWS_MAX (1u << 20)

enum idnames_kind { IDNAMES_USER, IDNAMES_GROUP };

struct idnames;

/* Reads the users and groups tables of db (a capture's index or bundle,
 * its schema checked by capr).  0, or -ENOMEM, or -EBADMSG when a table
 * cannot be read (err says which and why; the caller prints numbers). */
int idnames__load(sqlite3 *db, struct idnames **out, char *err, size_t errlen);
/* The name of id, or NULL when the capture has none (ids outside
 * 0 .. 2^32 - 2 included).  Points into n. */
const char *idnames__name(const struct idnames *n, enum idnames_kind kind, int64_t id);
size_t idnames__count(const struct idnames *n, enum idnames_kind kind);
/* Entry i (< idnames__count) in ascending id order: its name, and its id
 * in *id; NULL past the end. */
const char *idnames__at(const struct idnames *n, enum idnames_kind kind, size_t i, uint32_t *id);
/* Rows left out (hostile, duplicate or past IDNAMES_ROWS_MAX), per kind. */
uint64_t idnames__skipped(const struct idnames *n, enum idnames_kind kind);
void idnames__free(struct idnames *n);          /* NULL is fine */

#endif
