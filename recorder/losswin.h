/* losswin.h - possible-loss windows of a ringbuf whose loss cannot be
 * counted (FORMAT.md "Programs and loss").
 *
 * The drain looks at each such ring once per pass, before it consumes:
 * producer minus consumer position is the bytes still unread.  Only the
 * drain consumes, so a reserve that failed since the last pass left the
 * ring at least (size - that record) full, and it is still that full at
 * this look.  A look at or above 3/4 of the size therefore opens a window
 * that starts at the previous look (the failure may be anywhere since)
 * and ends at the first look below: every failed reserve of a record of
 * up to a quarter of the ring lies inside a window.  A ring never seen
 * that full lost nothing of that size.
 *
 * Pure bookkeeping, no BPF: unit-tested without root.
 */
#ifndef BPFREC_LOSSWIN_H
#define BPFREC_LOSSWIN_H

#include <stddef.h>
#include <stdint.h>

/* Windows kept per ring; past it the last one is stretched to cover the
 * rest, so that no nearly-full time is left out. */
#define LOSSWIN_MAX 4096

struct losswin_span {
	uint64_t start_ns, end_ns; /* CLOCK_BOOTTIME */
	uint64_t peak_bytes;       /* most unread bytes seen in it */
};

struct losswin {
	struct losswin_span *w;    /* owned, n of cap used */
	size_t n, cap;
	int open;                  /* w[n - 1] has no end yet */
	uint64_t last_look_ns;     /* 0: no look yet */
	uint64_t looks;            /* looks taken */
};

/* One look at now_ns: fill unread bytes of a ring of size bytes.  -ENOMEM
 * (the window is then merged into the last one, never dropped). */
int losswin__look(struct losswin *l, uint64_t fill, uint64_t size, uint64_t now_ns);
/* The recording ends at now_ns: an open window ends there. */
void losswin__end(struct losswin *l, uint64_t now_ns);
void losswin__free(struct losswin *l);   /* the windows; l itself is the caller's */

#endif
