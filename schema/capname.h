/* capname.h - the names a capture may hold, and how they are shown.
 *
 * A stream's name becomes an SQL table name and appears on the terminal, so
 * both the writer and the reader hold it to one strict grammar
 * (FORMAT.md, "Names"): 1 to CAP_NAME_MAX bytes, the first a letter or '_',
 * the others letters, digits, '_', '.', ':' or '-'.  No quote, space,
 * control byte or non-ASCII byte can appear in one.
 */
#ifndef BPFREC_SCHEMA_CAPNAME_H
#define BPFREC_SCHEMA_CAPNAME_H

#include <stddef.h>

#define CAP_NAME_MAX 64

/* 0 if name (len bytes: it may hold a NUL, which fails) follows the
 * grammar, -EINVAL otherwise. */
int cap_name__check(const char *name, size_t len);

/* Writes s (len bytes) into out as printable ASCII: bytes below 0x20, 0x7f
 * and above, and the backslash as \xNN (\\ for the backslash), cut with
 * "..." to fit outlen - 1 bytes.  For naming a refused name in a message.
 * Returns out. */
char *cap_name__show(const char *s, size_t len, char *out, size_t outlen);

#endif
