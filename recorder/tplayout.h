/* tplayout.h - how one tracepoint is recorded: the record the generic
 * program (bpf/tp.bpf.c) emits for its format, as bpf/tp.h lays it out, and
 * the BTF struct that describes that record in the capture, so that
 * bpfreplay decodes it as any other stream: every field a column by its own
 * name, __data_loc strings as text, dynamic arrays as arrays (with an
 * element count column NAME_len), pointers as addresses (unsigned).
 */
#ifndef BPFREC_TPLAYOUT_H
#define BPFREC_TPLAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "tp.h"
#include "tpformat.h"

struct btf;
struct tplayout;

/* The layout of f's records with __data_loc slots of string_size bytes
 * (1..TP_MAX_SLOT).  NULL with errno and a message in err when the
 * tracepoint does not fit the generic program (record too large, too many
 * __data_loc fields).  f must outlive the layout. */
struct tplayout *tplayout__new(const struct tpformat *f, uint32_t string_size, char *err,
			       size_t errlen);
void tplayout__free(struct tplayout *l);   /* NULL is fine */
uint32_t tplayout__rec_size(const struct tplayout *l);
/* Where the raw record's byte 0 is in the emitted record. */
#define TPLAYOUT_RAW_OFFSET 8
/* Gives the records the stack slot of tp.h (-g, --stacks): 16 bytes at
 * their end, described as members tgid, ustack_id and kstack_id (named
 * stack_tgid when the tracepoint has a field tgid of its own).  0, or
 * -E2BIG with a message in err when the record would pass TP_MAX_REC. */
int tplayout__add_stacks(struct tplayout *l, char *err, size_t errlen);
/* Fills c's fixed_size, rec_size, nlocs, locs and stack_off (the rest is
 * untouched). */
void tplayout__conf(const struct tplayout *l, struct tp_conf *c);
/* Adds the record's struct (named type_name) to btf; its type id, or
 * -errno. */
int tplayout__add_btf(const struct tplayout *l, struct btf *btf, const char *type_name);

#endif
