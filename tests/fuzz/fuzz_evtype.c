/* fuzz_evtype - BTF-driven decoding (schema/btfv.c, replay/capture/evtype.c): a BTF
 * blob is validated, an event type built from one of its types, and records
 * decoded into every column and formatted as the printers do.
 *
 * Input: u32 btf_len (little-endian), btf_len bytes of raw BTF, u32 type
 * id, then records, each a u16 length and that many bytes (a short last
 * record takes what is left).  The type is also decoded from the BTF cut to
 * it as a bundle cuts it (btfcut.h), which must give the same columns and
 * text, and so must the whole BTF with its strings cut to its types' names
 * (btfcut__names, what bundle --redact stores when it cannot cut: every
 * valid BTF rewrites).  What a row of the type lacks (rowlacks.h) is asked
 * of every record, whatever its length.  Seeds: fuzz_mkseeds (the BTF of the built-in
 * probes' objects from a real capture, and records of their streams).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btfcut.h"
#include "btfv.h"
#include "evtype.h"
#include "rowlacks.h"

static uint32_t fe_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Type id of raw BTF (a cut or rewrite of the input) decodes with the
 * same columns as et; its evtype (the caller frees it). */
static struct evtype *same_type_in(const struct evtype *et, const void *raw, size_t len, uint32_t id)
{
	char err[256];
	struct btfv *cb = btfv__parse(raw, len, err, sizeof(err));
	struct evtype *o;

	if (!cb)
		abort();
	o = evtype__new(cb, id, err, sizeof(err));
	btfv__free(cb);
	if (!o || evtype__ncols(o) != evtype__ncols(et) || evtype__size(o) != evtype__size(et) ||
	    evtype__min_size(o) != evtype__min_size(et) || strcmp(evtype__name(o), evtype__name(et)))
		abort();
	for (size_t i = 0; i < evtype__ncols(et); i++) {
		const struct evcol *x = evtype__col(et, i), *y = evtype__col(o, i);
		if (strcmp(x->name, y->name) || x->kind != y->kind ||
		    x->bit_offset != y->bit_offset || x->bit_size != y->bit_size ||
		    x->addr != y->addr || x->stack != y->stack ||
		    x->id_kind != y->id_kind || x->trailing != y->trailing)
			abort();
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], text[512], cut_text[512];

	if (size < 8)
		return 0;
	uint32_t blen = fe_le32(data);
	if (blen > size - 8)
		return 0;
	struct btfv *b = btfv__parse(data + 4, blen, err, sizeof(err));
	if (!b)
		return 0;
	const uint8_t *p = data + 4 + blen, *end = data + size;
	uint32_t id = fe_le32(p);
	p += 4;
	/* Exercise the lookups every caller uses. */
	btfv__find_struct(b, "exec_event");
	uint32_t vt;
	btfv__find_var(b, "__bpfrec_event__exec_events", &vt);
	for (uint32_t t = btfv__next_decl_tag(b, 0, NULL); t; t = btfv__next_decl_tag(b, t, NULL))
		;
	if (btfv__type_count(b))
		id %= btfv__type_count(b);
	struct evtype *et = evtype__new(b, id, err, sizeof(err));
	/* The BTF a bundle stores (btfcut.h): cut to the type, it must decode
	 * exactly as the whole one (it may refuse to cut: the bundle then
	 * keeps the whole BTF). */
	struct evtype *cut_et = NULL, *names_et = NULL;
	struct btfcut *cut = et ? btfcut__new(b, &id, 1) : NULL;
	if (cut) {
		size_t clen;
		const void *craw = btfcut__raw(cut, &clen);
		cut_et = same_type_in(et, craw, clen, btfcut__id(cut, id));
		btfcut__free(cut);
	}
	/* The BTF a bundle --redact stores when it cannot cut (btfcut__names):
	 * every valid BTF rewrites, and decodes as the whole one. */
	struct btfcut *names = btfcut__names(b);
	if (!names && errno == EINVAL)
		abort();
	if (names && et) {
		size_t nlen;
		const void *nraw = btfcut__raw(names, &nlen);
		names_et = same_type_in(et, nraw, nlen, id);
	}
	btfcut__free(names);
	/* What a row lacks (rowlacks.h: show leaves it out, export writes
	 * NULL), of a stream of this type whose columns have its names. */
	struct capview_stream s = { .et = et, .ncols = et ? evtype__ncols(et) : 0 };
	struct rowlacks *lacks = NULL;
	if (et) {
		s.cols = calloc(s.ncols + 1, sizeof(*s.cols));
		if (!s.cols)
			abort();
		for (size_t i = 0; i < s.ncols; i++)
			s.cols[i] = (char *)evtype__col(et, i)->name;
		lacks = rowlacks__new(b, &s);
	}
	btfv__free(b);   /* the evtype keeps its own reference */
	if (!et)
		return 0;
	for (size_t i = 0; i < evtype__ncols(et); i++) {
		const struct evcol *c = evtype__col(et, i);
		if (!c || !c->name)
			abort();
	}
	while (p < end) {
		uint32_t len = 0;
		if (end - p >= 2) {
			len = p[0] | p[1] << 8;
			p += 2;
		} else {
			p = end;
		}
		if (len > (size_t)(end - p))
			len = (uint32_t)(end - p);
		/* The record in a buffer of its own size: ASan sees any overread. */
		uint8_t *rec = malloc(len ? len : 1);
		if (!rec)
			abort();
		memcpy(rec, p, len);
		p += len;
		if (lacks) {    /* any length: it reads within it */
			struct cap_rec cr = { .data = rec, .len = len };
			rowlacks__row(lacks, &cr);
			for (size_t i = 0; i < s.ncols + 1; i++)
				if (rowlacks__col(lacks, &cr, i) && !rowlacks__may(lacks, i))
					abort();
		}
		if (!evtype__check(et, len)) {
			for (size_t i = 0; i < evtype__ncols(et); i++) {
				struct evval v;
				evtype__decode(et, i, rec, len, &v);
				int n = evtype__format(et, i, rec, len, text, sizeof(text));
				if (cut_et && (evtype__format(cut_et, i, rec, len, cut_text,
							      sizeof(cut_text)) != n ||
					       (n >= 0 && strcmp(text, cut_text))))
					abort();
				if (names_et && (evtype__format(names_et, i, rec, len, cut_text,
								sizeof(cut_text)) != n ||
						 (n >= 0 && strcmp(text, cut_text))))
					abort();
			}
		}
		free(rec);
	}
	evtype__free(et);
	evtype__free(cut_et);
	evtype__free(names_et);
	rowlacks__free(lacks);
	free(s.cols);
	return 0;
}
