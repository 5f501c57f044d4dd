/* btfvalue.h - a value given as text on the command line (--set
 * NAME=VALUE, --map-put MAP KEY=VALUE), parsed as a value of a BTF type. */
#ifndef BPFREC_BTFVALUE_H
#define BPFREC_BTFVALUE_H

#include <stddef.h>
#include <stdint.h>

struct btf;

/* Parses text as a value of BTF type type_id of btf (integers in decimal,
 * 0x hex or 0 octal with a range check, bool as true/false/1/0, enums by
 * name or number, char arrays as a string) into dst, which has avail bytes;
 * only the type's bytes are written.  0, or -EINVAL / -ERANGE with a
 * message printed that names `name`, its type and what it takes. */
int btfvalue__parse(const struct btf *btf, uint32_t type_id, const char *name, const char *text,
		    void *dst, size_t avail);

#endif
