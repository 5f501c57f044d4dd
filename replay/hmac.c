/* hmac.c - see hmac.h. */
#include "hmac.h"

#include <nettle/hmac.h>

_Static_assert(SHA256_BYTES == SHA256_DIGEST_SIZE, "SHA-256 digest size");

void sha256__init(struct sha256 *s)
{
	sha256_init(&s->ctx);
}

void sha256__update(struct sha256 *s, const void *data, size_t len)
{
	sha256_update(&s->ctx, len, data);
}

void sha256__final(struct sha256 *s, uint8_t out[SHA256_BYTES])
{
	sha256_digest(&s->ctx, SHA256_DIGEST_SIZE, out);
}

void hmac_sha256(const uint8_t *key, size_t keylen, size_t nparts, const void *const *parts,
		 const size_t *lens, uint8_t out[SHA256_BYTES])
{
	struct hmac_sha256_ctx h;

	hmac_sha256_set_key(&h, keylen, key);
	for (size_t i = 0; i < nparts; i++)
		hmac_sha256_update(&h, lens[i], parts[i]);
	hmac_sha256_digest(&h, SHA256_DIGEST_SIZE, out);
}
