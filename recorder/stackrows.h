/* stackrows.h - rows for a capture's stack tables (FORMAT.md "Stacks and
 * symbols"), gathered on the drain thread (stackcap) and inserted on the
 * writer thread, in the pipeline's order, so that the stacks reach the
 * index (and catalog.db) while the recording runs: a snapshot, a crashed
 * recording and an index rebuilt from catalog.db have the stacks seen up to
 * then.  Rows name sym_files by the ids stackcap gives them.
 *
 * One owner at a time: built by one thread, then handed over whole. */
#ifndef BPFREC_STACKROWS_H
#define BPFREC_STACKROWS_H

#include <stddef.h>
#include <stdint.h>

#include "capw.h"

struct stackrows;

struct stackrows *stackrows__new(void);    /* NULL: out of memory */
void stackrows__free(struct stackrows *r);   /* NULL is fine */
/* 0 or -ENOMEM; strings and arrays are copied. */
int stackrows__stack(struct stackrows *r, uint32_t id, int kernel, const uint64_t *ips,
		     uint32_t n);
int stackrows__stack_pid(struct stackrows *r, uint32_t stack_id, uint32_t pid);
/* f->id must be set (the file's id in sym_files). */
int stackrows__symfile(struct stackrows *r, const struct cap_symfile *f);
int stackrows__mapping(struct stackrows *r, uint32_t pid, uint64_t start, uint64_t end,
		       uint64_t file_offset, uint32_t file_id);
/* A mapping written before now shows another file ([remapped]). */
int stackrows__remap(struct stackrows *r, uint32_t pid, uint64_t start, uint64_t end,
		     uint32_t file_id);
int stackrows__symbol(struct stackrows *r, uint32_t file_id, uint64_t addr, uint64_t size,
		      const char *name);
int stackrows__line(struct stackrows *r, uint32_t file_id, uint64_t addr, uint64_t size,
		    uint32_t line, const char *src);
size_t stackrows__count(const struct stackrows *r);
/* Inserts every row through w (writer thread); 0 or the first -errno. */
int stackrows__apply(const struct stackrows *r, struct capw *w);

#endif
