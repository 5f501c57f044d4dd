/* hmac.h - SHA-256 and HMAC-SHA256 for the keyed hashes of `bpfreplay
 * bundle --redact` and the report page's script hash: a thin face over
 * Debian's nettle (nettle-dev), so no hash is written by hand here.
 * Checked against the RFC 4231 vectors in tests/unit/test_bundle.c. */
#ifndef BPFREC_REPLAY_HMAC_H
#define BPFREC_REPLAY_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha2.h>

#define SHA256_BYTES 32

struct sha256 {
	struct sha256_ctx ctx;  /* nettle's state */
};

void sha256__init(struct sha256 *s);
void sha256__update(struct sha256 *s, const void *data, size_t len);
void sha256__final(struct sha256 *s, uint8_t out[SHA256_BYTES]);

/* HMAC-SHA256 of the concatenation of parts (nparts pointers and lengths). */
void hmac_sha256(const uint8_t *key, size_t keylen, size_t nparts, const void *const *parts,
		 const size_t *lens, uint8_t out[SHA256_BYTES]);

#endif
