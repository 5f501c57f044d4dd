/* fuzz_chain - a chained capture (block encodings 4, 6 and 8, FORMAT.md "Chained
 * dictionaries") whose segment and index an attacker rearranged: the
 * reader's search for each block's base (schema/capr.c: the CAP_CHAIN_BACK
 * blocks before it in its segment, by hdr_crc), its cache of what bases
 * left, and the chain decodes it starts from a chain's first block.
 *
 * fuzz_block mutates one block or a pair; fuzz_index the index of an
 * unchained segment.  Here every block stays well formed (CRCs and zstd
 * checksums are made anew after each edit) so that the input reaches what
 * links blocks: the input is a list of 4-byte edits [op, a, b, c] on the
 * template capture made at start (one stream of the block tests' generator
 * events, ~20 blocks of 16 KiB in one segment, chains of 4):
 *   op 0  a header field of block a (raw_bytes, nrecords, nstreams, the
 *         times' halves) gets bit c; its index row follows unless c & 0x80
 *   op 1  block a's base_crc (its body's first 4 bytes) names block b
 *         (c even) or is c's bits; the frame is compressed again
 *   op 2  blocks a and b change places in the segment (rows follow)
 *   op 3  block a leaves the segment; its row is deleted (c odd) or left
 *   op 4  block a is copied before block b; the copy gets a row (c odd)
 *   op 5  block a's row points at block b (offset and size)
 *   op 6  block a's row gets block b's times: the capture's time order
 *   op 7  block a's row names segment 2 (there is none) or segment c
 * Then the capture is read as bpfreplay does: every block in order with
 * every value (fuzz_read_all), and again in reverse through a fresh
 * reader whose cursor wants a few words of the stream (a projected read
 * from a cold cache: each block's chain before it).  Any error is
 * expected; none may crash, hang or read out of bounds.
 * Seeds: tests/fuzz/corpus/fuzz_chain/ (edit lists, made by hand).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <unistd.h>
#include <zstd.h>

#include "block.h"
#include "capr.h"
#include "capw.h"
#include "fixtures/genev.h"
#include "fuzzblock.h"
#include "fuzzutil.h"

#define FC_RECORDS 1000u
#define FC_BLOCK_BYTES (4u * 1024)
#define FC_MAX_BLOCKS 64u    /* template blocks plus copies */
#define FC_MAX_EDITS 64u

struct fc_block {
	uint8_t *bytes;          /* header + frame (owned) */
	uint32_t len;
	int64_t row;             /* its blocks.id, 0: none */
};

static char fc_cap[512], fc_seg[600], fc_idx[600];
static uint8_t *fc_tmpl_seg, *fc_tmpl_idx;
static size_t fc_tmpl_seg_len, fc_tmpl_idx_len;
static struct fc_block fc_tmpl[FC_MAX_BLOCKS];
static uint32_t fc_ntmpl;
static uint32_t fc_stream;   /* the template's one stream */
static volatile uint8_t fc_sink;
static uint8_t *fc_raw;      /* one decompressed body */
static size_t fc_raw_cap;
static ZSTD_CCtx *fc_cctx;

static uint8_t *fc_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		abort();
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc((size_t)n)) || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The template: written once by capw, as the recorder writes a chained
 * capture; its blocks split from the segment in file order, each with the
 * blocks.id of its row. */
static void fc_make_template(void)
{
	char dir[512], path[600];
	struct capw_opts o = { .chain_blocks = 4 };
	struct cap_session sess = { "fuzzhost", "6.18", "b00t", "bpfrec record", "bpfrec 0.1",
				    1000, 2000, 3000 };
	struct genev_gen g = { .rng = 7, .now = 5000000000ull, .variant = 1 };
	struct genev e;
	uint32_t obj, sid;

	snprintf(dir, sizeof(dir), "%s/template", fuzz_tmpdir());
	struct capw *w = capw__create(dir, &o);
	struct blockbuf *bb = blockbuf__new(FC_BLOCK_BYTES);
	if (!w || !bb || capw__set_session(w, &sess) ||
	    capw__add_object(w, "gen", NULL, NULL, 0, &obj))
		abort();
	struct cap_stream_desc d = { "events", "ringbuf", obj, "events", NULL, 0, 0 };
	if (capw__add_stream(w, &d, &sid))
		abort();
	fc_stream = sid;
	for (uint32_t i = 0; i < FC_RECORDS; i++) {
		genev_next(&g, i, &e);
		int rc = blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e.ts_ns, &e, sizeof(e));
		if (rc == -ENOSPC) {
			if (capw__write_block(w, bb))
				abort();
			blockbuf__reset(bb);
			rc = blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e.ts_ns, &e, sizeof(e));
		}
		if (rc)
			abort();
	}
	if (capw__write_block(w, bb) || capw__close(w, g.now + 1000))
		abort();
	blockbuf__free(bb);

	snprintf(path, sizeof(path), "%s/seg-000001.bpfrec", dir);
	fc_tmpl_seg = fc_read_file(path, &fc_tmpl_seg_len);
	snprintf(path, sizeof(path), "%s/index.db", dir);
	fc_tmpl_idx = fc_read_file(path, &fc_tmpl_idx_len);

	/* Rows by offset: the writer indexes blocks in file order. */
	sqlite3 *db;
	sqlite3_stmt *st;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT id, offset, enc_bytes FROM blocks ORDER BY offset", -1, &st,
			       NULL))
		abort();
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t off = (uint64_t)sqlite3_column_int64(st, 1);
		uint32_t len = (uint32_t)sqlite3_column_int64(st, 2);

		if (fc_ntmpl == FC_MAX_BLOCKS / 2 || off + len > fc_tmpl_seg_len)
			abort();
		fc_tmpl[fc_ntmpl].row = sqlite3_column_int64(st, 0);
		fc_tmpl[fc_ntmpl].len = len;
		fc_tmpl[fc_ntmpl].bytes = fc_tmpl_seg + off;   /* not owned */
		fc_ntmpl++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (fc_ntmpl < 8)
		abort();   /* the template must hold several chains */

	snprintf(fc_cap, sizeof(fc_cap), "%s/cap", fuzz_tmpdir());
	if (mkdir(fc_cap, 0755)) {
		perror(fc_cap);
		abort();
	}
	snprintf(fc_seg, sizeof(fc_seg), "%s/seg-000001.bpfrec", fc_cap);
	snprintf(fc_idx, sizeof(fc_idx), "%s/index.db", fc_cap);
	fc_cctx = ZSTD_createCCtx();
	if (!fc_cctx || ZSTD_isError(ZSTD_CCtx_setParameter(fc_cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(fc_cctx, ZSTD_c_contentSizeFlag, 1)))
		abort();
}

/* Op 1: a chained block's (encoding 4 or 6) base_crc becomes base; its frame is made
 * anew (content size and checksum flags, as the writer's). */
static void fc_set_base(struct fc_block *blk, uint32_t base)
{
	uint32_t raw = fuzz_get32(blk->bytes + 12);

	if (blk->len <= CAP_BLOCK_HDR_BYTES ||
	    !cap_block_encoding_chained(blk->bytes[6] | blk->bytes[7] << 8) ||
	    raw < 4 || raw > (1u << 24))
		return;
	if (raw > fc_raw_cap) {
		free(fc_raw);
		if (!(fc_raw = malloc(raw)))
			abort();
		fc_raw_cap = raw;
	}
	size_t got = ZSTD_decompress(fc_raw, raw, blk->bytes + CAP_BLOCK_HDR_BYTES,
				     blk->len - CAP_BLOCK_HDR_BYTES);
	if (ZSTD_isError(got) || got != raw)
		return;
	fuzz_put32(fc_raw, base);
	size_t cap = ZSTD_compressBound(raw) + CAP_BLOCK_HDR_BYTES;
	uint8_t *nb = malloc(cap);
	if (!nb)
		abort();
	size_t flen = ZSTD_compress2(fc_cctx, nb + CAP_BLOCK_HDR_BYTES, cap - CAP_BLOCK_HDR_BYTES,
				     fc_raw, raw);
	if (ZSTD_isError(flen)) {
		free(nb);
		return;
	}
	memcpy(nb, blk->bytes, CAP_BLOCK_HDR_BYTES);
	blk->len = (uint32_t)(flen + CAP_BLOCK_HDR_BYTES);
	fuzz_put32(nb + 8, blk->len);
	fuzz_fix_block_crcs(nb, blk->len);
	free(blk->bytes);
	blk->bytes = nb;
}

/* Row edits applied after the segment is laid out (ops 5-7). */
struct fc_row_edit {
	uint8_t op;
	int64_t row;
	uint32_t other;   /* a block's position in the final layout */
	uint8_t c;
};

static void fc_sql(sqlite3 *db, const char *sql, int64_t a, int64_t b, int64_t c)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		abort();
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int64(st, 3, c);
	sqlite3_step(st);   /* a row an edit made inconsistent may fail: fine */
	sqlite3_finalize(st);
}

/* Writes the segment from blocks[] in order and the index with each row at
 * its block's new place, then the row edits. */
static void fc_write(struct fc_block *blocks, uint32_t n, const struct fc_row_edit *ed, uint32_t ned,
		     const uint8_t (*hdr_row)[2])
{
	uint64_t off = 16, offs[FC_MAX_BLOCKS];
	FILE *f = fopen(fc_seg, "wb");
	sqlite3 *db;

	if (!f || fwrite(fc_tmpl_seg, 1, 16, f) != 16)   /* the segment header */
		abort();
	for (uint32_t i = 0; i < n; i++) {
		if (fwrite(blocks[i].bytes, 1, blocks[i].len, f) != blocks[i].len)
			abort();
		offs[i] = off;
		off += blocks[i].len;
	}
	fclose(f);

	fuzz_write(fc_idx, fc_tmpl_idx, fc_tmpl_idx_len);
	if (sqlite3_open_v2(fc_idx, &db, SQLITE_OPEN_READWRITE, NULL))
		abort();
	/* a scratch file: no journal, no fsync (an iteration, not a commit) */
	sqlite3_exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN", NULL, NULL, NULL);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *h = blocks[i].bytes;

		if (!blocks[i].row)
			continue;
		fc_sql(db, "UPDATE blocks SET offset = ?2, enc_bytes = ?3 WHERE id = ?1", blocks[i].row,
		       (int64_t)offs[i], blocks[i].len);
		if (hdr_row[i][0] && !(hdr_row[i][1] & 0x80)) {   /* the row follows its header */
			fc_sql(db, "UPDATE blocks SET raw_bytes = ?2, nrecords = ?3 WHERE id = ?1",
			       blocks[i].row, fuzz_get32(h + 12), fuzz_get32(h + 16));
			fc_sql(db, "UPDATE blocks SET min_ts = ?2, max_ts = ?3 WHERE id = ?1", blocks[i].row,
			       (int64_t)((uint64_t)fuzz_get32(h + 24) | (uint64_t)fuzz_get32(h + 28) << 32),
			       (int64_t)((uint64_t)fuzz_get32(h + 32) | (uint64_t)fuzz_get32(h + 36) << 32));
		}
	}
	for (uint32_t k = 0; k < ned; k++) {
		const struct fc_row_edit *e = &ed[k];
		uint32_t o = e->other % n;

		if (e->op == 5)
			fc_sql(db, "UPDATE blocks SET offset = ?2, enc_bytes = ?3 WHERE id = ?1", e->row,
			       (int64_t)offs[o], blocks[o].len);
		else if (e->op == 6 && blocks[o].row)
			fc_sql(db, "UPDATE blocks SET (min_ts, max_ts) = (SELECT min_ts, max_ts FROM "
				   "blocks WHERE id = ?2) WHERE id = ?1 AND ?3 = ?3", e->row, blocks[o].row, 0);
		else if (e->op == 7)
			fc_sql(db, "UPDATE blocks SET segment_id = ?2 WHERE id = ?1 AND ?3 = ?3", e->row,
			       e->c & 1 ? e->c : 2, 0);
	}
	fc_sql(db, "UPDATE segments SET bytes = ?1 WHERE id = 1 AND ?2 = ?2 AND ?3 = ?3", (int64_t)off,
	       0, 0);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
}

/* A fresh reader, blocks in reverse, the cursor wanting some words.
 * FUZZ_CHAIN_VERBOSE=1: how many blocks read, and the errors (for seeds). */
static void fc_read_back(uint8_t pick)
{
	static int verbose = -1;
	uint32_t ok = 0, bad = 0;
	char err[512];
	struct capr *r = capr__open(fc_cap, err, sizeof(err));
	const struct cap_block_info *bl;
	size_t nb;

	if (!r) {
		if (getenv("FUZZ_CHAIN_VERBOSE"))
			fprintf(stderr, "fuzz_chain: capture refused: %s\n", err);
		return;
	}
	struct capr_cursor *cur = capr__cursor_new(r);
	if (cur && !capr__blocks(r, &bl, &nb)) {
		uint64_t words = (pick | 4u) & 0xff;   /* seq (word 2) and some others */
		struct block_want w = { .stream = fc_stream, .words = &words, .nwords = 8, .compact = pick & 1 };

		capr__cursor_want(cur, &w);
		for (size_t i = nb; i-- > 0;) {
			const struct cap_rec *recs;
			uint32_t n;

			if (capr__cursor_read(cur, &bl[i], &recs, &n, err, sizeof(err))) {
				bad++;
				if (verbose)
					fprintf(stderr, "fuzz_chain: block %zu: %s\n", i, err);
				continue;
			}
			ok++;
			for (uint32_t k = 0; k < n; k++)   /* every byte a record has */
				for (uint32_t j = 0; j < recs[k].len; j++)
					fc_sink ^= recs[k].data[j];
		}
	}
	if (verbose < 0)
		verbose = getenv("FUZZ_CHAIN_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "fuzz_chain: %u blocks read, %u refused%s%s\n", ok, bad, r ? "" : ": ",
			r ? "" : err);
	if (cur)
		capr__cursor_free(cur);
	capr__close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fc_block blocks[FC_MAX_BLOCKS];
	uint8_t hdr_row[FC_MAX_BLOCKS][2];   /* op 0 touched it; its c */
	struct fc_row_edit ed[FC_MAX_EDITS];
	uint32_t n, ned = 0;

	if (!fc_ntmpl)
		fc_make_template();
	n = fc_ntmpl;
	for (uint32_t i = 0; i < n; i++) {
		blocks[i] = fc_tmpl[i];
		if (!(blocks[i].bytes = malloc(fc_tmpl[i].len)))
			abort();
		memcpy(blocks[i].bytes, fc_tmpl[i].bytes, fc_tmpl[i].len);
	}
	memset(hdr_row, 0, sizeof(hdr_row));

	for (size_t k = 0; k + 4 <= size && k < 4 * FC_MAX_EDITS; k += 4) {
		uint8_t op = data[k] & 7, c = data[k + 3];
		uint32_t a = data[k + 1] % n, b = data[k + 2] % n;
		struct fc_block t;
		uint8_t hb[2];

		switch (op) {
		case 0: {   /* a header field: bit c of u32 field 3 + b % 7 (bytes 12..39) */
			uint8_t *p = blocks[a].bytes + 12 + 4 * (b % 7);

			fuzz_put32(p, fuzz_get32(p) ^ (1u << (c & 31)));
			fuzz_fix_block_crcs(blocks[a].bytes, blocks[a].len);
			hdr_row[a][0] = 1, hdr_row[a][1] = c;
			break;
		}
		case 1:
			fc_set_base(&blocks[a], c & 1 ? (uint32_t)c * 0x01000193u : fuzz_get32(blocks[b].bytes + 44));
			break;
		case 2:
			t = blocks[a], blocks[a] = blocks[b], blocks[b] = t;
			memcpy(hb, hdr_row[a], 2);
			memcpy(hdr_row[a], hdr_row[b], 2);
			memcpy(hdr_row[b], hb, 2);
			break;
		case 3:
			if (n == 1)
				break;
			if (!(c & 1) && blocks[a].row && ned < FC_MAX_EDITS)   /* the row stays, stale */
				ed[ned++] = (struct fc_row_edit){ 5, blocks[a].row, b, c };
			free(blocks[a].bytes);
			memmove(&blocks[a], &blocks[a + 1], (n - a - 1) * sizeof(blocks[0]));
			memmove(hdr_row[a], hdr_row[a + 1], (n - a - 1) * sizeof(hdr_row[0]));
			n--;
			break;
		case 4:
			if (n >= FC_MAX_BLOCKS - 1)
				break;
			t = blocks[a];
			if (!(t.bytes = malloc(blocks[a].len)))
				abort();
			memcpy(t.bytes, blocks[a].bytes, t.len);
			t.row = 0;   /* a copy the index does not list ... */
			memmove(&blocks[b + 1], &blocks[b], (n - b) * sizeof(blocks[0]));
			memmove(hdr_row[b + 1], hdr_row[b], (n - b) * sizeof(hdr_row[0]));
			blocks[b] = t;
			hdr_row[b][0] = 0;
			n++;
			if (c & 1) {   /* ... or lists as the row of the original does */
				for (uint32_t i = 0; i < n; i++)
					if (i != b && blocks[i].bytes && blocks[i].row &&
					    !memcmp(blocks[i].bytes, t.bytes, CAP_BLOCK_HDR_BYTES) && ned < FC_MAX_EDITS) {
						ed[ned++] = (struct fc_row_edit){ 5, blocks[i].row, b, c };
						break;
					}
			}
			break;
		default:   /* 5-7: row edits, once the layout is known */
			if (blocks[a].row && ned < FC_MAX_EDITS)
				ed[ned++] = (struct fc_row_edit){ op, blocks[a].row, b, c };
			break;
		}
	}

	fc_write(blocks, n, ed, ned, (const uint8_t (*)[2])hdr_row);
	for (uint32_t i = 0; i < n; i++)
		free(blocks[i].bytes);
	fuzz_read_all(fc_cap);
	fc_read_back(size ? data[size - 1] : 0);
	return 0;
}
