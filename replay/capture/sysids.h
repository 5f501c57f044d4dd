/* sysids.h - which arguments of a `bpfrec record --syscalls` row are uids
 * or gids.  The row's type has `arg0`..`arg5` for every syscall; what they
 * hold depends on the row's `syscall`.  The capture says which are ids in
 * enum bpfrec_syscall_ids of the object's BTF (schema/FORMAT.md, "--syscalls
 * records"): an enumerator per syscall, named as in the `syscall` member's
 * enum, its value 2 bits per argument (bits 2i and 2i+1 for arg i: 1 a
 * uid, 2 a gid).  The recorder took them from the syscalls' tracefs formats
 * (uid_t, gid_t).
 *
 * The BTF is hostile input: whatever it says, a row's answer is a table
 * lookup within the record's bounds; enumerators past SYSIDS_MAX, values
 * with other bits, and names the syscall enum does not have are ignored.
 */
#ifndef BPFREC_REPLAY_SYSIDS_H
#define BPFREC_REPLAY_SYSIDS_H

#include <stddef.h>
#include <stdint.h>
#include "btfv.h"
#include "evtype.h"

#define SYSIDS_MAX 1024   /* syscalls looked at, at most */

struct sysids;

/* The id of enum bpfrec_syscall_ids in b, 0 if none (bundles keep it as a
 * root of their cut BTF). */
uint32_t sysids__enum_id(const struct btfv *b);
/* For a stream of type t in b: NULL when t is no --syscalls row (a member
 * `syscall`, a 4-byte enum, and u64 members arg0..arg5) or b says of no
 * argument that it is an id; NULL with errno ENOMEM on failure. */
struct sysids *sysids__new(const struct btfv *b, const struct evtype *t);
void sysids__free(struct sysids *s);   /* NULL is fine */
/* i if t's column col is arg<i>, else -1. */
int sysids__arg(const struct sysids *s, size_t col);
/* The row's id arguments (rec: len bytes): 2 bits per argument as above,
 * 0 when its syscall has none or the record is too short to say. */
uint32_t sysids__row(const struct sysids *s, const uint8_t *rec, uint32_t len);
/* EVCOL_ID_UID, EVCOL_ID_GID or 0: argument arg of a row's mask. */
static inline int sysids__kind(uint32_t row, int arg)
{
	uint32_t k = arg >= 0 && arg < 6 ? row >> (2 * arg) & 3 : 0;

	return k == 1 ? EVCOL_ID_UID : k == 2 ? EVCOL_ID_GID : 0;
}

#endif
