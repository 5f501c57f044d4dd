/* tprec.h - `bpfrec record -e SYSTEM:NAME [--filter EXPR]`: tracepoints
 * chosen by name or glob, recorded by one generic pre-built program
 * (bpf/tp.bpf.c) with no BPF to write.
 *
 * Two steps, so that the command line is checked before anything loads:
 * tpsel holds what the options say (no kernel needed); tprec__resolve
 * expands it over tracefs, reads each format, lays out its record and
 * compiles its filter; tprec__load then loads the program once per
 * TP_PER_OBJECT tracepoints, describes each tracepoint's record in the
 * object's BTF as its own stream (a table named after the tracepoint),
 * configures it and names it to bpfobj__attach (the recorder attaches
 * every object once its streams are drained).  Loss is counted per tracepoint in the
 * kernel and recorded against its stream.
 *
 * Errors: 0 or -errno, constructors NULL with errno set; the message,
 * naming the option and the tracepoint, printed where it failed (none for
 * ENOMEM).  EINVAL is the command line's fault (bpfrec exits 2).
 */
#ifndef BPFREC_TPREC_H
#define BPFREC_TPREC_H

#include <stdint.h>

#include "bpfobj.h"
#include "drain.h"

/* --string-size: the default, and the bounds (bytes of one copied
 * __data_loc string or array, or a syscall's string argument). */
#define TPSEL_STRING_SIZE 256

struct tpsel;

struct tpsel *tpsel__new(void);            /* NULL with errno */
void tpsel__free(struct tpsel *s);         /* NULL is fine */
/* -e LIST: comma-separated SYSTEM:NAME specs (globs allowed).  0, or
 * -EINVAL / -ENOMEM with the message printed. */
int tpsel__add(struct tpsel *s, const char *list);
/* --filter EXPR, for the tracepoints of the last -e (checked at resolve). */
int tpsel__set_filter(struct tpsel *s, const char *expr);
/* --syscalls LIST (sysrec.h): names, globs or all. */
int tpsel__set_syscalls(struct tpsel *s, const char *list);
/* --syscalls-hook auto|raw|classic (sysrec.h). */
int tpsel__set_syscalls_hook(struct tpsel *s, const char *arg);
/* --string-size BYTES (1 .. 4096). */
int tpsel__set_string_size(struct tpsel *s, const char *arg);
uint32_t tpsel__string_size(const struct tpsel *s);
int tpsel__empty(const struct tpsel *s);   /* 1 if no -e nor --syscalls (s may be NULL) */

struct tprec;

/* Expands every spec over TRACING_DIR/events.  A spec that matches nothing,
 * or a filter that does not fit its tracepoint's format, is a usage error:
 * NULL with errno EINVAL, the message printed.  A tracepoint whose format
 * cannot be read or parsed is named with the reason and left out. */
struct tprec *tprec__resolve(const struct tpsel *s, const char *tracing_dir);
/* Loads and configures the generic program for every resolved tracepoint,
 * and names the tracepoints to bpfobj__attach; each object is handed to
 * take() (which owns it from then on, also on failure). */
int tprec__load(struct tprec *t, const struct bpfobj_opts *opts,
		int (*take)(struct bpfobj *o, void *ctx), void *ctx);
/* Records what each tracepoint's loss counter grew by since the last call
 * through drain__loss (d NULL: only remembers the counts, for a start line). */
void tprec__poll_lost(struct tprec *t, struct drain *d, uint64_t now_ns);
/* One line per tracepoint: events and losses, as d counted them. */
void tprec__summary(const struct tprec *t, const struct drain *d);
void tprec__free(struct tprec *t);         /* NULL is fine */

#endif
