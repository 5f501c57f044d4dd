/* record_tp.c - the tracepoints of `record -e` in a recording (tprec.h
 * does the work; this file hands it the recorder's objects and options). */
#include "record.h"
#include "sysfs.h"
#include "util.h"

#include <errno.h>
#include <linux/types.h>

#include "tp.h"

int record__resolve_tracepoints(struct recorder *r)
{
	const char *dir;

	if (tpsel__empty(r->o->tpsel))
		return 0;
	if (sysfs__tracefs(&dir))
		return -ENOENT;
	r->tp = tprec__resolve(r->o->tpsel, dir);
	return r->tp ? 0 : -errno;
}

static int take_object(struct bpfobj *o, void *ctx)
{
	struct recorder *r = ctx;

	if (r->nobjs == (int)(sizeof(r->objs) / sizeof(r->objs[0]))) {
		warn_msg("-e: too many tracepoints: at most %d objects of %d tracepoints each",
			 (int)(sizeof(r->objs) / sizeof(r->objs[0])), TP_PER_OBJECT);
		bpfobj__close(o);
		return -E2BIG;
	}
	r->objs[r->nobjs++] = o;
	return 0;
}

int record__load_tracepoints(struct recorder *r)
{
	struct bpfobj_opts oo = record__obj_opts(r, 1);

	if (!r->tp)
		return 0;
	return tprec__load(r->tp, &oo, take_object, r);
}
