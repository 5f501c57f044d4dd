/* fuzz_evtype - BTF-driven decoding (schema/btfv.c, replay/capture/evtype.c): a BTF
 * blob is validated, an event type built from one of its types, and records
 * decoded into every column and formatted as the printers do.
 *
 * Input: u32 btf_len (little-endian), btf_len bytes of raw BTF, u32 type
 * id, then records, each a u16 length and that many bytes (a short last
 * record takes what is left).  The type is also decoded from the BTF cut to
 * it as a bundle cuts it (btfcut.h), which must give the same columns and
 * text.  Seeds: fuzz_mkseeds (the BTF of the built-in
 * probes' objects from a real capture, and records of their streams).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btfcut.h"
#include "btfv.h"
#include "evtype.h"

static uint32_t fe_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
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
	struct evtype *cut_et = NULL;
	if (et) {
		struct btfcut *cut = btfcut__new(b, &id, 1);
		if (cut) {
			size_t clen;
			const void *craw = btfcut__raw(cut, &clen);
			struct btfv *cb = btfv__parse(craw, clen, err, sizeof(err));
			if (!cb)
				abort();
			cut_et = evtype__new(cb, btfcut__id(cut, id), err, sizeof(err));
			btfv__free(cb);
			btfcut__free(cut);
			if (!cut_et || evtype__ncols(cut_et) != evtype__ncols(et) ||
			    evtype__size(cut_et) != evtype__size(et) ||
			    evtype__min_size(cut_et) != evtype__min_size(et) ||
			    strcmp(evtype__name(cut_et), evtype__name(et)))
				abort();
			for (size_t i = 0; i < evtype__ncols(et); i++) {
				const struct evcol *x = evtype__col(et, i), *y = evtype__col(cut_et, i);
				if (strcmp(x->name, y->name) || x->kind != y->kind ||
				    x->bit_offset != y->bit_offset || x->bit_size != y->bit_size ||
				    x->addr != y->addr || x->stack != y->stack ||
				    x->id_kind != y->id_kind || x->trailing != y->trailing)
					abort();
			}
		}
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
		if (!evtype__check(et, len)) {
			for (size_t i = 0; i < evtype__ncols(et); i++) {
				struct evval v;
				evtype__decode(et, i, rec, len, &v);
				int n = evtype__format(et, i, rec, len, text, sizeof(text));
				if (cut_et && (evtype__format(cut_et, i, rec, len, cut_text,
							      sizeof(cut_text)) != n ||
					       (n >= 0 && strcmp(text, cut_text))))
					abort();
			}
		}
		free(rec);
	}
	evtype__free(et);
	evtype__free(cut_et);
	return 0;
}
