/* dwarfbtf.h - event types from an object's DWARF when its BTF lacks them.
 *
 * clang keeps a struct out of an object's BTF unless a global, a map or a
 * function signature names it, so the `struct event` a program fills on
 * its stack or in a reserved ringbuf slot is often missing there; the
 * object's DWARF (built with -g) still describes it.  This module finds a
 * struct or union by name in the DWARF of a .bpf.o and writes it, with the
 * types it is made of, into a BTF (btf__add_*): the capture carries it as
 * BTF like any other type, and replay never reads DWARF.
 *
 * Conversion: base types to INT/FLOAT (bool, char, signedness), typedefs,
 * const/volatile, enums with their values, arrays (a missing bound is a
 * flexible array of 0 elements), structs and unions with member offsets
 * and bitfields.  Pointers become `void *` (a pointer's value is all an
 * event can carry, and it keeps the types a pointer leads to out).
 */
#ifndef BPFREC_DWARFBTF_H
#define BPFREC_DWARFBTF_H

#include <stdint.h>

struct btf;
struct dwarfbtf;

/* NULL with errno: ENODATA when the file has no DWARF, others from open. */
struct dwarfbtf *dwarfbtf__open(const char *path);
/* Adds the struct or union `name` (its first definition with members) to
 * btf; its id in *id.  -ENOENT if the DWARF has none, -E2BIG if it nests too
 * deep, -EINVAL for DWARF it cannot read, -errno from libbpf. */
int dwarfbtf__add(struct dwarfbtf *d, const char *name, struct btf *btf, uint32_t *id);
/* Calls fn for each named struct with members in the DWARF (a name may
 * come more than once, one per compile unit). */
void dwarfbtf__each_struct(struct dwarfbtf *d, void (*fn)(const char *name, uint64_t size,
							   void *ctx), void *ctx);
void dwarfbtf__close(struct dwarfbtf *d);   /* NULL is fine */

#endif
