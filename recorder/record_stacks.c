/* record_stacks.c - the stacks reach the capture while the recording goes:
 * what stackcap gathered since the last time goes to the writer thread,
 * in order with the blocks (stackcap.h, stackrows.h). */
#include "record.h"
#include "pipeline.h"
#include "stackcap.h"
#include "stackrows.h"
#include "util.h"

#include <string.h>

static int apply_rows(void *ctx, struct capw *w)
{
	static int warned;
	int rc = stackrows__apply(ctx, w);

	if (rc && !warned) {
		warn_msg("stacks: writing them into the index: %s", strerror(-rc));
		warned = 1;
	}
	stackrows__free(ctx);
	return rc;
}

void record__sync_stacks(struct stackcap *sc, struct pipeline *pl, int symbols)
{
	struct stackrows *rows;

	if (!sc || !pl)
		return;
	rows = stackcap__sync(sc, symbols, 0);
	if (rows && stackrows__count(rows))
		pipeline__call(pl, apply_rows, rows);
	else
		stackrows__free(rows);
}
