/* blockhdr.c - the 48-byte block header and the segment file header:
 * written by the encoder, checked by the decoder, by recovery's segment
 * walk and by the reader against the index; and the key classes of keyed
 * dictionaries (GRP_KEY_LO), which writer and reader must compute alike.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "block_internal.h"

static const uint8_t block_magic[4] = { 'B', 'R', 'B', 'K' };
static const uint8_t seg_magic[8] = { 'B', 'P', 'F', 'R', 'E', 'C', 'S', 'G' };

size_t block__max_enc_bytes(size_t max_raw_bytes)
{
	return CAP_BLOCK_HDR_BYTES + ZSTD_compressBound(max_raw_bytes);
}

/* zstd ignores some frame header bits (the "unused" FHD bit, a larger window
 * descriptor still decodes), so the block header carries a CRC32 of the
 * frame's first bytes: the whole frame header (at most 18 bytes) and the
 * start of its first block. */
#define FRAME_HEAD_CRC_BYTES 18

uint32_t cap_block_frame_crc(const uint8_t *f, size_t flen)
{
	return (uint32_t)crc32(0, f, flen < FRAME_HEAD_CRC_BYTES ? (uInt)flen : FRAME_HEAD_CRC_BYTES);
}

/* The frame follows the header in h. */
void cap_block_fill_header(uint8_t *h, const struct cap_block_meta *m, uint32_t nstreams,
			   unsigned encoding)
{
	memcpy(h, block_magic, 4);
	cap_put_le16(h + 4, CAP_FORMAT_VERSION);
	cap_put_le16(h + 6, (uint16_t)encoding);
	cap_put_le32(h + 8, m->enc_bytes);
	cap_put_le32(h + 12, m->raw_bytes);
	cap_put_le32(h + 16, m->nrecords);
	cap_put_le32(h + 20, nstreams);
	cap_put_le64(h + 24, m->min_ts_ns);
	cap_put_le64(h + 32, m->max_ts_ns);
	cap_put_le32(h + 40, cap_block_frame_crc(h + CAP_BLOCK_HDR_BYTES,
						 m->enc_bytes - CAP_BLOCK_HDR_BYTES));
	cap_put_le32(h + 44, (uint32_t)crc32(0, h, 44));
}

int cap_block_parse_header(const void *buf, size_t len, struct cap_block_meta *m,
			   uint32_t *nstreams, char *err, size_t errlen)
{
	const uint8_t *h = buf;

	if (len < CAP_BLOCK_HDR_BYTES) {
		cap_seterr(err, errlen, "truncated block header (%zu of %d bytes)", len,
			   CAP_BLOCK_HDR_BYTES);
		return -EBADMSG;
	}
	if (memcmp(h, block_magic, 4)) {
		cap_seterr(err, errlen, "bad block magic %02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
		return -EBADMSG;
	}
	uint32_t crc = (uint32_t)crc32(0, h, 44);
	if (cap_get_le32(h + 44) != crc) {
		cap_seterr(err, errlen, "block header CRC mismatch (stored %08x, computed %08x)",
			   cap_get_le32(h + 44), crc);
		return -EBADMSG;
	}
	if (cap_get_le16(h + 4) != CAP_FORMAT_VERSION || cap_get_le16(h + 6) < CAP_BLOCK_ENCODING_MIN ||
	    cap_get_le16(h + 6) > CAP_BLOCK_ENCODING) {
		cap_seterr(err, errlen, "unsupported block version %u encoding %u (this build reads "
			   "%d/%d-%d)", cap_get_le16(h + 4), cap_get_le16(h + 6), CAP_FORMAT_VERSION,
			   CAP_BLOCK_ENCODING_MIN, CAP_BLOCK_ENCODING);
		return -EBADMSG;
	}
	struct cap_block_meta mm = {
		.enc_bytes = cap_get_le32(h + 8),
		.raw_bytes = cap_get_le32(h + 12),
		.nrecords = cap_get_le32(h + 16),
		.min_ts_ns = cap_get_le64(h + 24),
		.max_ts_ns = cap_get_le64(h + 32),
	};
	uint32_t ns = cap_get_le32(h + 20);
	if (mm.enc_bytes < CAP_BLOCK_HDR_BYTES) {
		cap_seterr(err, errlen, "block size %u smaller than its header", mm.enc_bytes);
		return -EBADMSG;
	}
	if (mm.nrecords > CAP_BLOCK_MAX_RECORDS) {
		cap_seterr(err, errlen, "block header claims %u records (at most %u)", mm.nrecords,
			   (unsigned)CAP_BLOCK_MAX_RECORDS);
		return -EBADMSG;
	}
	/* A record may cost no body byte at all (constant fixed-layout events:
	 * empty planes, a run cpu, one length), so records are not bounded by
	 * raw_bytes; groups are: each takes at least GRP_BODY_MIN bytes. */
	if (ns > mm.nrecords || (mm.nrecords && !ns) ||
	    1 + (uint64_t)ns * GRP_BODY_MIN > mm.raw_bytes ||
	    (mm.nrecords && mm.min_ts_ns > mm.max_ts_ns)) {
		cap_seterr(err, errlen, "inconsistent block header (%u records, %u streams, %u raw bytes)",
			   mm.nrecords, ns, mm.raw_bytes);
		return -EBADMSG;
	}
	if (m)
		*m = mm;
	if (nstreams)
		*nstreams = ns;
	return 0;
}

int block__parse_header(const void *buf, size_t len, uint32_t *enc_bytes,
			struct cap_block_meta *meta)
{
	struct cap_block_meta m;
	int rc = cap_block_parse_header(buf, len, &m, NULL, NULL, 0);

	if (rc)
		return rc;
	if (enc_bytes)
		*enc_bytes = m.enc_bytes;
	if (meta)
		*meta = m;
	return 0;
}

/* ------------------------------------------------------------------ */
/* segment header                                                      */

void cap_segment__fill_header(uint8_t out[CAP_SEG_HDR_BYTES])
{
	memcpy(out, seg_magic, 8);
	cap_put_le32(out + 8, CAP_FORMAT_VERSION);
	cap_put_le32(out + 12, CAP_SEG_HDR_BYTES);
}

int cap_segment__parse_header(const void *buf, size_t len, char *err, size_t errlen)
{
	const uint8_t *p = buf;

	if (len < CAP_SEG_HDR_BYTES) {
		cap_seterr(err, errlen, "truncated segment header (%zu of %d bytes)", len,
			   CAP_SEG_HDR_BYTES);
		return -EBADMSG;
	}
	if (memcmp(p, seg_magic, 8)) {
		cap_seterr(err, errlen, "not a bpfrec segment (bad magic)");
		return -EBADMSG;
	}
	if (cap_get_le32(p + 8) != CAP_FORMAT_VERSION) {
		cap_seterr(err, errlen, "segment format version %u not supported (this build reads %d)",
			   cap_get_le32(p + 8), CAP_FORMAT_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (cap_get_le32(p + 12) != CAP_SEG_HDR_BYTES) {
		cap_seterr(err, errlen, "segment header size %u, expected %d",
			   cap_get_le32(p + 12), CAP_SEG_HDR_BYTES);
		return -EBADMSG;
	}
	return 0;
}

/* Sorts a[0..n) by their high 32 bits (the order among equal ones does not
 * matter), in place: a most-significant-digit radix sort on the bytes from
 * bit `shift` down to bit 32 (a byte all of them share costs one counting
 * pass), insertion sort below KC_SMALL.  At most four levels, each a pass
 * over its part of the array, whatever the values: a capture's dictionary
 * cannot make it quadratic.  qsort's calls through a comparison function
 * cost ten times as much on the reader's 30,000-value dictionaries. */
#define KC_SMALL 24
static void sort_hi32(uint64_t *a, uint32_t n, unsigned shift)
{
	uint32_t cnt[256], head[256], end[256];

	while (n > KC_SMALL) {
		memset(cnt, 0, sizeof(cnt));
		for (uint32_t i = 0; i < n; i++)
			cnt[a[i] >> shift & 255]++;
		if (cnt[a[0] >> shift & 255] == n) {   /* one byte for all: the next */
			if (shift == 32)
				return;
			shift -= 8;
			continue;
		}
		for (uint32_t b = 0, at = 0; b < 256; b++) {
			head[b] = at;
			at += cnt[b];
			end[b] = at;
		}
		/* each value moved straight to its bucket, cycle by cycle */
		for (uint32_t b = 0; b < 256; b++) {
			while (head[b] < end[b]) {
				uint64_t x = a[head[b]];
				unsigned d = x >> shift & 255;

				while (d != b) {
					uint64_t y = a[head[d]];

					a[head[d]++] = x;
					x = y;
					d = x >> shift & 255;
				}
				a[head[b]++] = x;
			}
		}
		if (shift == 32)
			return;
		for (uint32_t b = 0, at = 0; b < 256; at += cnt[b], b++)
			if (cnt[b] > 1)
				sort_hi32(a + at, cnt[b], shift - 8);
		return;
	}
	for (uint32_t i = 1; i < n; i++) {
		uint64_t x = a[i];
		uint32_t j = i;

		for (; j && a[j - 1] >> 32 > x >> 32; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

void cap_key_classes(const uint64_t *dict, uint32_t nd, uint64_t *tmp, uint32_t *cls)
{
	/* (low half, index) grouped by the low half: each group's class is
	 * its smallest index */
	for (uint32_t i = 0; i < nd; i++)
		tmp[i] = (dict[i] & 0xffffffffull) << 32 | i;
	sort_hi32(tmp, nd, 56);
	for (uint32_t i = 0, j; i < nd; i = j) {
		uint32_t first = (uint32_t)tmp[i];

		for (j = i + 1; j < nd && tmp[j] >> 32 == tmp[i] >> 32; j++)
			if ((uint32_t)tmp[j] < first)
				first = (uint32_t)tmp[j];
		for (uint32_t k = i; k < j; k++)
			cls[(uint32_t)tmp[k]] = first;
	}
}
