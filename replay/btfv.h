/* btfv.h - a validated, read-only view of a raw BTF blob (untrusted: it comes
 * from a capture).  Our own parser rather than libbpf's: Debian's libbpf 1.1
 * does not validate BTF, and bpfreplay must not depend on libbpf at all.
 *
 * btfv__parse checks, before anything is used: the header (magic, version,
 * section offsets and lengths inside the blob), every type record inside the
 * type section, every name offset inside the string section and NUL
 * terminated, every referenced type id < the type count, member and
 * enumerator counts within the record, sizes sane, and that resolving any
 * type (typedef/const/volatile/restrict/type_tag chains, arrays, members)
 * terminates: no cycles, depth capped at BTFV_MAX_DEPTH.
 */
#ifndef BPFREC_REPLAY_BTFV_H
#define BPFREC_REPLAY_BTFV_H

#include <stddef.h>
#include <stdint.h>
#include <linux/btf.h>

#define BTFV_MAX_DEPTH 32

struct btfv;

/* Copies data; NULL with a one-line reason in err on any violation. */
struct btfv *btfv__parse(const void *data, size_t len, char *err, size_t errlen);
void btfv__free(struct btfv *b);                          /* NULL is fine */
uint32_t btfv__type_count(const struct btfv *b);          /* ids 1..count-1 valid */
const struct btf_type *btfv__type(const struct btfv *b, uint32_t id); /* NULL if bad */
const char *btfv__name(const struct btfv *b, uint32_t name_off);      /* "" if none */
/* Follows typedef/const/volatile/restrict/type_tag; 0 on failure. */
uint32_t btfv__resolve(const struct btfv *b, uint32_t id);
/* Size in bytes of a type (arrays multiply out); -1 if it has none. */
int64_t btfv__size(const struct btfv *b, uint32_t id);
/* First struct/union with that name, 0 if none. */
uint32_t btfv__find_struct(const struct btfv *b, const char *name);
/* First VAR with that name; its type id in *type.  0 if none. */
uint32_t btfv__find_var(const struct btfv *b, const char *name, uint32_t *type);

#endif
