/* btfv.h - a validated, read-only view of a raw BTF blob (untrusted: it comes
 * from a capture).  Our own parser rather than libbpf's: Debian's libbpf 1.1
 * does not validate BTF, and bpfreplay must not depend on libbpf at all.  It
 * is in schema/ because the recorder reads an object's BTF with it too, to
 * cut what a capture stores (btfcut.h): one reader, one cut.
 *
 * btfv__parse checks, before anything is used: the header (magic, version,
 * section offsets and lengths inside the blob), every type record inside the
 * type section, every name offset inside the string section and NUL
 * terminated, every referenced type id < the type count, member and
 * enumerator counts within the record, sizes sane, and that resolving any
 * type (typedef/const/volatile/restrict/type_tag chains, arrays, members)
 * terminates: no cycles, depth capped at BTFV_MAX_DEPTH.
 */
#ifndef BPFREC_SCHEMA_BTFV_H
#define BPFREC_SCHEMA_BTFV_H

#include <stddef.h>
#include <stdint.h>
#include <linux/btf.h>

#define BTFV_MAX_DEPTH 32
/* Largest type size accepted (arrays multiplied out, in 64 bits). */
#define BTFV_MAX_SIZE (1LL << 30)

struct btfv;

/* Copies data; NULL with a one-line reason in err on any violation. */
struct btfv *btfv__parse(const void *data, size_t len, char *err, size_t errlen);
/* Drops a reference; the last one frees.  NULL is fine. */
void btfv__free(struct btfv *b);
/* Another reference (thread-safe), dropped by btfv__free: an evtype keeps
 * one, so its btfv may be freed before it. */
struct btfv *btfv__get(const struct btfv *b);
uint32_t btfv__type_count(const struct btfv *b);          /* ids 1..count-1 valid */
const struct btf_type *btfv__type(const struct btfv *b, uint32_t id); /* NULL if bad */
const char *btfv__name(const struct btfv *b, uint32_t name_off);      /* "" if none */
/* Bytes of t's record, struct btf_type and what follows it (members,
 * enumerators ...); t is a type of a validated btfv. */
size_t btfv__type_len(const struct btf_type *t);
/* Follows typedef/const/volatile/restrict/type_tag; 0 on failure. */
uint32_t btfv__resolve(const struct btfv *b, uint32_t id);
/* Size in bytes of a type (arrays multiply out); -1 if it has none. */
int64_t btfv__size(const struct btfv *b, uint32_t id);
/* 1 if id is a type that can be used: not void, not deeper than
 * BTFV_MAX_DEPTH (such types are kept, not fatal: size -1, resolve 0). */
int btfv__usable(const struct btfv *b, uint32_t id);
/* First struct/union with that name, 0 if none. */
uint32_t btfv__find_struct(const struct btfv *b, const char *name);
/* First VAR with that name; its type id in *type.  0 if none. */
uint32_t btfv__find_var(const struct btfv *b, const char *name, uint32_t *type);
/* Next BTF_KIND_DECL_TAG after id `after` (0: from the start) whose tag
 * string is value (NULL: any); 0 if none.  Its ->type is the tagged type. */
uint32_t btfv__next_decl_tag(const struct btfv *b, uint32_t after, const char *value);

#endif
