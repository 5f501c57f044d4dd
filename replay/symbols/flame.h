/* flame.h - folded stacks from a capture (the collapsed format that
 * flamegraph.pl, speedscope and inferno read: "comm;root;...;leaf COUNT"),
 * and an SVG flame graph drawn from them.  Names come from the capture
 * (symb.h); a ';' or control byte inside one becomes '_'.
 *
 * Other commands (export, report) take the folded stacks from
 * flame__folded() rather than parse the text. */
#ifndef BPFREC_REPLAY_FLAME_H
#define BPFREC_REPLAY_FLAME_H

#include <stdint.h>
#include <stdio.h>

struct capview;

struct flame_opts {
	const char *const *streams; /* names, NULL-terminated; NULL: every stream with stacks */
	int64_t pid;                /* -1: all */
	int user, kernel;           /* which stacks to fold (both 0: both) */
};

/* Calls fn once per distinct folded stack with the events that had it, in
 * byte order of the stack text.  Events whose stream has no stack member
 * are not counted; an event without a usable stack folds to its comm (and
 * [no stack]).  0, fn's first non-zero return, or -errno with err (a
 * damaged block is skipped and counted in *damaged, may be NULL). */
int flame__folded(struct capview *c, const struct flame_opts *o,
		  int (*fn)(void *ctx, const char *stack, uint64_t count), void *ctx,
		  uint64_t *damaged, char *err, size_t errlen);

/* Writes an SVG flame graph (root at the bottom, width by count) of the
 * folded stacks lines[i] with counts[i]; every name is XML-escaped.
 * 0 or -EIO. */
int flame__svg(FILE *out, const char *title, char *const *lines, const uint64_t *counts,
	       size_t n);

#endif
