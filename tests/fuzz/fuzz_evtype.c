/* fuzz_evtype - BTF-driven decoding (replay/btfv.c, replay/evtype.c): a BTF
 * blob is validated, an event type built from one of its types, and records
 * decoded into every column and formatted as the printers do.
 *
 * Input: u32 btf_len (little-endian), btf_len bytes of raw BTF, u32 type
 * id, then records, each a u16 length and that many bytes (a short last
 * record takes what is left).  Seeds: fuzz_mkseeds (the BTF of the built-in
 * probes' objects from a real capture, and records of their streams).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btfv.h"
#include "evtype.h"

static uint32_t fe_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], text[512];

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
				evtype__format(et, i, rec, len, text, sizeof(text));
			}
		}
		free(rec);
	}
	evtype__free(et);
	return 0;
}
