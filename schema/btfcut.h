/* btfcut.h - a validated BTF cut to the types some roots are made of, as a
 * raw BTF blob: what `bpfreplay bundle` stores for an object, so that a
 * bundle of a capture recorded with each object's whole BTF (captures
 * before the recorder cut it, or `bpfrec record --full-btf`) is as small
 * as one of a capture recorded since.  The rule is the recorder's
 * (recorder/btfprune.h, schema/FORMAT.md "Stored BTF"): the closure of the
 * roots by value (typedef, modifier and var chains, array element and
 * index types, members); a pointer points to a forward declaration of the
 * struct or union it pointed to, or to void; everything else is left out.
 * Ids are renumbered in the source's order, forward declarations last.
 *
 * The source was validated by btfv__parse; the result is parsed by it
 * again before it is handed out, and each root must keep its kind, name
 * and size.
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
/* The id in the cut BTF of b's type id; 0 for 0 and for a type left out. */
uint32_t btfcut__id(const struct btfcut *c, uint32_t id);
/* The cut BTF's raw bytes, owned by c. */
const void *btfcut__raw(const struct btfcut *c, size_t *len);

#endif
