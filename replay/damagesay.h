/* damagesay.h - reports of damage that do not flood stderr.
 *
 * A capture with thousands of damaged blocks (or records) would print a
 * line for each.  Instead the first DAMAGESAY_PER_KEY reports of each key
 * (a segment's blocks, a stream's records) are said, DAMAGESAY_MAX in all
 * at most; the others are only counted, and the command's closing line
 * says how many (damagesay__unsaid), so that nothing is silent.  The
 * report that reaches a limit says so (damagesay__note).
 *
 * A plain value: zero it to start (= { 0 }); nothing to free.  Its
 * members are its own.  Memory is fixed whatever the capture holds: a
 * key is remembered only while reports are still said, at most
 * DAMAGESAY_MAX keys.
 */
#ifndef BPFREC_REPLAY_DAMAGESAY_H
#define BPFREC_REPLAY_DAMAGESAY_H

#include <stdint.h>

#define DAMAGESAY_PER_KEY 5
#define DAMAGESAY_MAX 20

enum damagesay_verdict {
	DAMAGESAY_QUIET,        /* only counted */
	DAMAGESAY_SAY,
	DAMAGESAY_LAST_OF_KEY,  /* say it, and that the key's further ones are counted */
	DAMAGESAY_LAST,         /* say it, and that all further ones are counted */
};

struct damagesay {
	int64_t key[DAMAGESAY_MAX];
	uint32_t scope[DAMAGESAY_MAX];  /* of key: a key of two scopes is two keys */
	uint8_t count[DAMAGESAY_MAX];
	uint32_t nkeys, said;
	uint64_t unsaid;
};

/* Scopes: the capture a key (a segment or stream id) is of.  show and
 * export read one capture (scope 0); sql numbers the captures it opens,
 * whose segment and stream ids are each their own. */

/* One more report of key in scope: whether to say it. */
enum damagesay_verdict damagesay__take(struct damagesay *d, uint32_t scope, int64_t key);
/* Reports counted but not said. */
uint64_t damagesay__unsaid(const struct damagesay *d);
/* What to append to a report of verdict v: "" or "; further damaged WHAT
 * [of KIND KEYNAME] are only counted" into buf (len bytes); buf. */
const char *damagesay__note(enum damagesay_verdict v, const char *what, const char *kind,
			    const char *keyname, char *buf, unsigned len);
/* One more report of a damaged block of segment segment_id of capture
 * scope: NULL when it is only counted, else its note (damagesay__note) in
 * buf (len bytes).  (show, export and sql key and say blocks alike.) */
const char *damagesay__block(struct damagesay *d, uint32_t scope, int64_t segment_id, char *buf,
			     unsigned len);
/* One more report of a damaged record of capture scope, of the stream
 * named name, whose id is stream_id, or of no stream the capture has (name
 * NULL; raw_id, the record's own stream id, keys it then): NULL when it is
 * only counted, else its note in buf (len bytes). */
const char *damagesay__record(struct damagesay *d, uint32_t scope, const char *name,
			      int64_t stream_id, uint32_t raw_id, char *buf, unsigned len);
/* What the command's closing line says of the n reports only counted:
 * ", N of them only counted", or "" when n is 0, into buf (len bytes);
 * buf.  (show, export and sql close alike.) */
const char *damagesay__unsaid_note(uint64_t n, char *buf, unsigned len);

#endif
