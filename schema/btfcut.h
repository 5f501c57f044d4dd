/* btfcut.h - a validated BTF cut to the types some roots are made of, as a
 * raw BTF blob: the part of an object's BTF a capture stores (the recorder
 * cuts each object's BTF to its streams' types; schema/FORMAT.md "Stored
 * BTF"), and what `bpfreplay bundle` stores for an object, so that a bundle
 * of a capture recorded with each object's whole BTF (captures before the
 * recorder cut it, or `bpfrec record --full-btf`) is as small as one of a
 * capture recorded since.  One cut for both: the same bytes either way.
 *
 * An object's whole BTF is mostly what its programs use: functions, the
 * kernel structs a probe reads (task_struct's closure), DATASEC and VARs.
 * bpfreplay reads a stream's type by value only: members, arrays and their
 * elements, typedef and modifier chains (their names say what a column is:
 * bpfrec_ipaddr, uid_t, bpfrec_ustack_id ...), enums with their
 * enumerators, ints and floats with their names and encodings.  So the cut
 * keeps the closure of the roots by value (typedef, modifier and var
 * chains, array element and index types, members); a pointer is a 64-bit
 * value whatever it points to, and points in the cut to a forward
 * declaration of the struct or union it pointed to, or to void; function
 * prototypes, DATASEC, VARs (but a root), functions, decl tags and every
 * type no root reaches are left out.  Ids are renumbered in the source's
 * order, forward declarations last: btfcut__id() maps them.
 *
 * The source was validated by btfv__parse; the result is parsed by it
 * again before it is handed out, and each root must keep its kind, name
 * and size.  A reader still validates all of it (a capture is hostile).
 */
#ifndef BPFREC_SCHEMA_BTFCUT_H
#define BPFREC_SCHEMA_BTFCUT_H

#include <stddef.h>
#include <stdint.h>
#include "btfv.h"

struct btfcut;

/* Cuts b to roots[0..n) (ids of b; 0 is skipped).  NULL with errno set:
 * EINVAL for a root that is no usable type of b (or a kind no value has),
 * or a result that failed its check; ENOMEM. */
struct btfcut *btfcut__new(const struct btfv *b, const uint32_t *roots, size_t n);
void btfcut__free(struct btfcut *c);    /* NULL is fine */
/* b whole, ids and records as they are, but its string section cut to the
 * names its types use (types', members', enumerators', parameters'; a decl
 * tag's tag): what `bpfreplay bundle --redact` stores for an object whose
 * BTF it cannot cut.  An object's .BTF string section also holds what only
 * .BTF.ext refers to, its line info's source file paths and source lines;
 * they are left out.  The result is parsed again and each type checked for
 * the same kind, counts, name and size.  btfcut__id is the identity.
 * NULL with errno set: EINVAL for a result that failed its check, E2BIG,
 * ENOMEM. */
struct btfcut *btfcut__names(const struct btfv *b);
/* The id in the cut BTF of b's type id; 0 for 0 and for a type left out. */
uint32_t btfcut__id(const struct btfcut *c, uint32_t id);
/* The cut BTF's raw bytes, owned by c. */
const void *btfcut__raw(const struct btfcut *c, size_t *len);

#endif
