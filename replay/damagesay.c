/* damagesay.c - the first few reports of damage per key, the rest counted
 * (damagesay.h). */
#include "damagesay.h"

#include <inttypes.h>
#include <stdio.h>

enum damagesay_verdict damagesay__take(struct damagesay *d, uint32_t scope, int64_t key)
{
	uint32_t i;

	if (d->said >= DAMAGESAY_MAX) {
		d->unsaid++;
		return DAMAGESAY_QUIET;
	}
	for (i = 0; i < d->nkeys && (d->key[i] != key || d->scope[i] != scope); i++)
		;
	/* (every key remembered had a report said: fewer than MAX keys) */
	if (i == d->nkeys) {
		d->key[d->nkeys] = key;
		d->scope[d->nkeys++] = scope;
	}
	if (d->count[i] >= DAMAGESAY_PER_KEY) {
		d->unsaid++;
		return DAMAGESAY_QUIET;
	}
	d->count[i]++;
	d->said++;
	if (d->said == DAMAGESAY_MAX)
		return DAMAGESAY_LAST;
	return d->count[i] == DAMAGESAY_PER_KEY ? DAMAGESAY_LAST_OF_KEY : DAMAGESAY_SAY;
}

uint64_t damagesay__unsaid(const struct damagesay *d)
{
	return d->unsaid;
}

const char *damagesay__note(enum damagesay_verdict v, const char *what, const char *kind,
			    const char *keyname, char *buf, unsigned len)
{
	if (v == DAMAGESAY_LAST)
		snprintf(buf, len, "; further damaged %s are only counted", what);
	else if (v == DAMAGESAY_LAST_OF_KEY)
		snprintf(buf, len, "; further damaged %s of %s %s are only counted", what, kind,
			 keyname);
	else if (len)
		buf[0] = 0;
	return buf;
}

const char *damagesay__block(struct damagesay *d, uint32_t scope, int64_t segment_id, char *buf,
			     unsigned len)
{
	enum damagesay_verdict v = damagesay__take(d, scope, segment_id);
	char seg[24];

	if (v == DAMAGESAY_QUIET)
		return NULL;
	snprintf(seg, sizeof(seg), "%" PRId64, segment_id);
	return damagesay__note(v, "blocks", "segment", seg, buf, len);
}

const char *damagesay__record(struct damagesay *d, uint32_t scope, const char *name,
			      int64_t stream_id, uint32_t raw_id, char *buf, unsigned len)
{
	/* (a record of no stream: keyed apart from every stream's id) */
	enum damagesay_verdict v = damagesay__take(d, scope, name ? stream_id : -1 - (int64_t)raw_id);
	char id[32];

	if (v == DAMAGESAY_QUIET)
		return NULL;
	if (!name)
		snprintf(id, sizeof(id), "id %" PRIu32, raw_id);
	return damagesay__note(v, "records", "stream", name ? name : id, buf, len);
}

const char *damagesay__unsaid_note(uint64_t n, char *buf, unsigned len)
{
	if (n)
		snprintf(buf, len, ", %" PRIu64 " of them only counted", n);
	else if (len)
		buf[0] = 0;
	return buf;
}
