/* record_progs.c - what the capture says, at the end of a recording, about
 * its programs (where each attached, or why not) and about each stream's
 * loss: how it is known, and when loss was possible where it cannot be
 * counted (FORMAT.md "Programs and loss"). */
#include "losswin.h"
#include "progtab.h"
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Stream s's method and windows into the capture. */
static int write_stream_loss(struct drain *d, struct capw *cap, struct bpfobj *o,
			     struct bpfobj_stream *s, uint64_t end_ns)
{
	const char *method = bpfobj_stream__loss_method(o, s);
	const struct bpfobj_layout *l = bpfobj_stream__layout(s);
	const struct losswin *win;
	uint64_t ring_bytes;
	int err;

	if (!method || !l->capture_id)
		return 0;
	win = drain__loss_windows(d, s, end_ns, &ring_bytes);
	if ((err = capw__set_stream_loss(cap, l->capture_id, method, ring_bytes)))
		return err;
	/* the variants' losses are counted as their map's */
	for (uint32_t v = 0; v < l->nvariants; v++)
		if (l->variants[v].capture_id &&
		    (err = capw__set_stream_loss(cap, l->variants[v].capture_id, method, 0)))
			return err;
	for (size_t k = 0; win && k < win->n; k++)
		if ((err = capw__add_loss_window(cap, l->capture_id, win->w[k].start_ns,
						 win->w[k].end_ns, win->w[k].peak_bytes)))
			return err;
	return 0;
}

int record__write_programs(const struct record_objs *objs, struct drain *d, struct capw *cap,
			   uint64_t end_ns)
{
	int i, err;

	for (i = 0; i < objs->n; i++) {
		struct bpfobj *o = objs->v[i];

		if (!bpfobj__progtab(o)->object_id)
			continue;
		if ((err = progtab__write_capture(o, bpfobj__progtab(o)->object_id, cap)))
			return err;
		for (size_t j = 0; j < bpfobj__nstreams(o); j++)
			if ((err = write_stream_loss(d, cap, o, bpfobj__stream(o, j), end_ns)))
				return err;
	}
	return 0;
}
