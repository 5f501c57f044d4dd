/* hmac.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the keyed
 * hashes of `bpfreplay bundle --redact`.  Small and dependency-free; checked
 * against the RFC 4231 vectors in tests/unit/test_bundle.c. */
#ifndef BPFREC_REPLAY_HMAC_H
#define BPFREC_REPLAY_HMAC_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;         /* message length so far */
	uint8_t buf[64];
	size_t nbuf;
};

void sha256__init(struct sha256 *s);
void sha256__update(struct sha256 *s, const void *data, size_t len);
void sha256__final(struct sha256 *s, uint8_t out[SHA256_BYTES]);

/* HMAC-SHA256 of the concatenation of parts (nparts pointers and lengths). */
void hmac_sha256(const uint8_t *key, size_t keylen, size_t nparts, const void *const *parts,
		 const size_t *lens, uint8_t out[SHA256_BYTES]);

#endif
