/* tpfilter.h - `--filter EXPR` for a tracepoint, parsed and checked against
 * its format, compiled into the comparisons the generic program evaluates
 * in the kernel before copying anything (bpf/tp.h, struct tp_term).
 *
 * EXPR is the part of the tracefs filter syntax people use: comparisons
 * FIELD OP VALUE, OP one of == != < <= > >=, VALUE an integer (decimal,
 * 0x hex, negative) or, for char arrays and __data_loc strings, a quoted
 * string (== and != only, at most TP_FILTER_STR - 1 bytes); joined by &&
 * and ||, && binding tighter.  No parentheses. */
#ifndef BPFREC_TPFILTER_H
#define BPFREC_TPFILTER_H

#include <stddef.h>
#include <linux/types.h>

#include "tp.h"
#include "tpformat.h"

/* Fills c->terms and c->nterms.  0, or -EINVAL with a message in err that
 * quotes the expression and names the field or token at fault. */
int tpfilter__compile(const char *expr, const struct tpformat *f, struct tp_conf *c, char *err,
		      size_t errlen);

#endif
