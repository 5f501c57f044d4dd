/* btfprune.h - the part of an object's BTF that a capture stores: the
 * types its streams carry and every type that decoding them reads, nothing
 * else (schema/FORMAT.md, objects.btf).
 *
 * An object's whole BTF is mostly what its programs use: functions, the
 * kernel structs a probe reads (task_struct's closure), DATASEC and VARs.
 * bpfreplay reads a stream's type by value only: members, arrays and their
 * elements, typedef and modifier chains (their names say what a column is:
 * bpfrec_ipaddr, uid_t, bpfrec_ustack_id ...), enums with their
 * enumerators, ints and floats with their names and encodings.  A pointer
 * is a 64-bit value whatever it points to: in the pruned BTF a pointer to
 * a named struct or union points to an opaque forward declaration of that
 * name, any other pointer to void.  Function prototypes, DATASEC, VARs
 * (but a root), functions, decl tags and every type no root reaches are
 * left out.  Type ids change: btfprune__id() maps them.
 *
 * The result is built with libbpf's btf__add_* and checked before it is
 * handed out: parsed again by btf__new, and each root's kind, name and size
 * equal to the source's.  The reader still validates all of it (a capture
 * is hostile input: schema/btfv.h).
 */
#ifndef BPFREC_BTFPRUNE_H
#define BPFREC_BTFPRUNE_H

#include <stddef.h>
#include <stdint.h>

struct btf;
struct btfprune;

/* Prunes src to the closure of roots[0..nroots) (type ids of src; 0 is
 * skipped).  src is only read and may be freed after this returns.  NULL
 * with errno set on failure (EINVAL: a root is not a type of src, or the
 * result failed its check; ENOMEM). */
struct btfprune *btfprune__new(const struct btf *src, const uint32_t *roots, size_t nroots);
void btfprune__free(struct btfprune *p);   /* NULL is fine */

/* The id in the pruned BTF of src's type id; 0 for 0 and for a type that
 * was left out. */
uint32_t btfprune__id(const struct btfprune *p, uint32_t src_id);
/* The pruned BTF's raw bytes (a .BTF section), owned by p. */
const void *btfprune__raw(const struct btfprune *p, uint32_t *bytes);
/* Types in the pruned BTF (void not counted). */
uint32_t btfprune__ntypes(const struct btfprune *p);

#endif
