/* losswin.c - see losswin.h. */
#include "losswin.h"

#include <errno.h>
#include <stdlib.h>

int losswin__look(struct losswin *l, uint64_t fill, uint64_t size, uint64_t now_ns)
{
	uint64_t prev = l->last_look_ns ? l->last_look_ns : now_ns;
	int nearly_full = size && fill >= size - size / 4;
	int rc = 0;

	l->last_look_ns = now_ns;
	l->looks++;
	if (!nearly_full) {
		if (l->open) {
			l->w[l->n - 1].end_ns = now_ns;
			l->open = 0;
		}
		return 0;
	}
	if (l->open) {
		struct losswin_span *w = &l->w[l->n - 1];

		if (fill > w->peak_bytes)
			w->peak_bytes = fill;
		w->end_ns = now_ns;
		return 0;
	}
	if (l->n == l->cap && l->n < LOSSWIN_MAX) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct losswin_span *grown;

		if (cap > LOSSWIN_MAX)
			cap = LOSSWIN_MAX;
		grown = realloc(l->w, cap * sizeof(*grown));
		if (grown) {
			l->w = grown;
			l->cap = cap;
		} else {
			rc = -ENOMEM;
		}
	}
	if (l->n < l->cap) {
		l->w[l->n++] = (struct losswin_span){ prev, now_ns, fill };
	} else if (l->n) {
		/* no room: the last window stretches to here */
		struct losswin_span *w = &l->w[l->n - 1];

		w->end_ns = now_ns;
		if (fill > w->peak_bytes)
			w->peak_bytes = fill;
	} else {
		return rc ? rc : -ENOMEM;
	}
	l->open = 1;
	return rc;
}

void losswin__end(struct losswin *l, uint64_t now_ns)
{
	if (l->open && l->n) {
		l->w[l->n - 1].end_ns = now_ns;
		l->open = 0;
	}
}

void losswin__free(struct losswin *l)
{
	if (!l)
		return;
	free(l->w);
	l->w = NULL;
	l->n = l->cap = 0;
	l->open = 0;
}
