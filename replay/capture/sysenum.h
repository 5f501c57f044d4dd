/* sysenum.h - look-ups shared by the readers of the enums a `--syscalls`
 * capture carries beside its rows (sysids.c: enum bpfrec_syscall_ids,
 * sysfields.c: enum bpfrec_syscall_fields).  The BTF is hostile input:
 * every look-up is bounded and answers "none" rather than trusting it.
 */
#ifndef BPFREC_REPLAY_SYSENUM_H
#define BPFREC_REPLAY_SYSENUM_H

#include <stdint.h>
#include "btfv.h"
#include "evtype.h"

/* Enumerators of an enum looked through per search, at most: a hostile
 * enum of 65535 names costs a bounded search. */
#define SYSENUM_NAMES_MAX 4096

/* The id of the 4-byte enum named name in b, 0 if none (or b NULL). */
uint32_t sysenum__find(const struct btfv *b, const char *name);
/* The index of t's column named name, or -1. */
long sysenum__col(const struct evtype *t, const char *name);
/* The value of enumerator name in enum type en (its first
 * SYSENUM_NAMES_MAX enumerators), as an unsigned 32-bit number; -1 if none. */
int64_t sysenum__value(const struct btfv *b, const struct btf_type *en, const char *name);
/* BTF_KIND of t, -1 for NULL. */
static inline int sysenum__kind(const struct btf_type *t)
{
	return t ? (int)BTF_INFO_KIND(t->info) : -1;
}

#endif
