/* sysfields.h - which of the string and socket-address columns a
 * `bpfrec record --syscalls` row has.  The row's type has `path`, `path2`
 * (the first and second string argument) and `family`, `port`, `addr`
 * (a socket address argument) for every syscall; a getppid has none of
 * them, an openat a path, a connect a socket address.  The capture says
 * which in enum bpfrec_syscall_fields of the object's BTF (schema/FORMAT.md,
 * "--syscalls records"): an enumerator per recorded syscall that has any,
 * named as in the `syscall` member's enum, its value SYSFIELD_PATH |
 * SYSFIELD_PATH2 | SYSFIELD_SOCKADDR; a syscall the enum does not name has
 * none.  The recorder took them from the syscalls' tracefs formats.
 *
 * Captures made before the enum: a row's answer comes from its bytes
 * (path2 when not empty, the socket address when not all zero), and path
 * is left to show's own rule.
 *
 * The BTF is hostile input: a row's answer is a table lookup within the
 * record's bounds; enumerators past SYSFIELDS_MAX, values with other bits
 * or PATH2 without PATH, and names the syscall enum does not have are
 * ignored. */
#ifndef BPFREC_REPLAY_SYSFIELDS_H
#define BPFREC_REPLAY_SYSFIELDS_H

#include <stddef.h>
#include <stdint.h>
#include "btfv.h"
#include "evtype.h"

#define SYSFIELDS_MAX 1024   /* enumerators looked at, at most */

#define SYSFIELD_PATH     1u   /* path: the first string argument */
#define SYSFIELD_PATH2    2u   /* path2: the second */
#define SYSFIELD_SOCKADDR 4u   /* family, port, addr */
#define SYSFIELD_KNOWN    8u   /* in a row's answer: the capture said so */

struct sysfields;

/* The id of enum bpfrec_syscall_fields in b, 0 if none (bundles keep it
 * as a root of their cut BTF). */
uint32_t sysfields__enum_id(const struct btfv *b);
/* For a stream of type t in b: NULL when t is no --syscalls row (a struct
 * named syscall with a member `syscall`, a 4-byte enum, and u64 members
 * arg0..arg5); NULL with errno ENOMEM on failure. */
struct sysfields *sysfields__new(const struct btfv *b, const struct evtype *t);
void sysfields__free(struct sysfields *f);   /* NULL is fine */
/* The SYSFIELD_ bit of t's column col (path, path2, family, port, addr),
 * 0 for the others. */
uint32_t sysfields__col(const struct sysfields *f, size_t col);
/* What the row (rec: len bytes) has: SYSFIELD_KNOWN and its bits when the
 * capture says; else the bits its bytes show (path2 non-empty, the socket
 * address non-zero) and SYSFIELD_PATH, path being left to the caller. */
uint32_t sysfields__row(const struct sysfields *f, const uint8_t *rec, uint32_t len);

#endif
