/* symb.h - names for the stacks a capture holds, from the capture alone
 * (FORMAT.md "Stacks and symbols": tables stack_traces, stack_pids,
 * proc_maps, sym_files, symbols, lines; no ELF file is ever opened).
 *
 * Everything read is hostile: rows with ids, addresses or sizes that do
 * not make sense are skipped (and counted), frames past SYMB_MAX_DEPTH and
 * names past SYMB_MAX_NAME bytes are not loaded, names are kept as bytes
 * (callers escape them for the terminal, SQL binds them as values).  An
 * address is named only by a symbol that contains it; otherwise the frame
 * is unknown, with its file when a mapping holds it.  A capture without
 * these tables (older, or recorded without stacks) has no stacks.
 */
#ifndef BPFREC_REPLAY_SYMB_H
#define BPFREC_REPLAY_SYMB_H

#include <stddef.h>
#include <stdint.h>

#include "print.h"

#define SYMB_MAX_DEPTH 1024         /* frames per stack */
#define SYMB_MAX_NAME 1024          /* bytes of a symbol name */
#define SYMB_MAX_PATH 4096          /* bytes of a file name (and a source path) */
#define SYMB_MAX_LINE 100000000     /* line numbers above are refused */

struct capview;
struct symb;

struct symb_frame {
	uint64_t addr;              /* as recorded */
	const char *symbol;         /* NULL: unknown */
	uint64_t offset;            /* addr - the symbol's start */
	const char *file;           /* NULL: unknown; "[kernel.kallsyms]", a path, ... */
	const char *build_id;       /* hex, NULL if none */
	const char *src;            /* source file of the line, NULL: no line table row */
	uint32_t line;              /* 1-based; 0 when src is NULL */
};

/* 0 with *out set (never NULL on success), or -errno with err. */
int symb__open(struct capview *c, struct symb **out, char *err, size_t errlen);
void symb__free(struct symb *s);                 /* NULL is fine */
/* Stacks loaded; rows skipped as malformed. */
size_t symb__nstacks(const struct symb *s);
uint64_t symb__skipped(const struct symb *s);

/* The addresses of stack id, innermost first; NULL if the capture has no
 * such stack.  *kernel: 1 for a kernel stack. */
const uint64_t *symb__stack(const struct symb *s, int64_t id, int *kernel, uint32_t *n);
/* Frame depth of a stack of process pid (user stacks) or of the kernel. */
void symb__frame(const struct symb *s, int kernel, uint32_t pid, const uint64_t *ips,
		 uint32_t depth, struct symb_frame *f);
/* Appends "symbol+0xOFF" or "[unknown] (file)" / "[unknown] 0xADDR"
 * (no source line: callers that want it print f->src and f->line). */
int symb__frame_text(const struct symb_frame *f, struct strbuf *b);

/* The (stack id, pid) pairs the recorder saw, for the stacks table: fn
 * once per user stack and process (pid -1: a user stack no process claims)
 * and once per kernel stack (pid -1).  Stops at fn's first non-zero. */
int symb__each(const struct symb *s, int (*fn)(void *ctx, int64_t id, int kernel, int64_t pid),
	       void *ctx);

/* One line of folded stacks (flamegraph.pl's collapsed format): comm,
 * then the user frames root first, then the kernel frames (suffixed _[k]),
 * joined by ';' (a ';' or a control byte inside a name becomes '_').
 * ustack/kstack negative: none. */
int symb__fold(const struct symb *s, const char *comm, uint32_t pid, int64_t ustack,
	       int64_t kstack, struct strbuf *out);

#endif
