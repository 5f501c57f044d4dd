/* fuzz_mkseeds - makes seed inputs for the fuzz targets from a capture.
 *
 *   fuzz_mkseeds CAPTURE OUTDIR PREFIX   seeds from a capture (directory or
 *       bundle): OUTDIR/fuzz_block/PREFIX-block-N (encoded blocks, the first
 *       few), OUTDIR/fuzz_evtype/PREFIX-STREAM (the stream's object BTF, its
 *       type id, its first records), OUTDIR/fuzz_index/PREFIX-fuzzcap-OBJ.db
 *       (fuzzcap.h's index with that object's BTF: it matches the segment
 *       fuzz_index makes) and, for a directory, PREFIX-index.db (the
 *       capture's own index)
 *   fuzz_mkseeds --small IN OUT          copies an SQLite file with 512-byte
 *       pages (smaller seeds; the same content)
 *   fuzz_mkseeds --fixture DIR           writes the unit tests' fixture capture
 *       (tests/unit/fixtures/capfix.h: real clang BTF, 2 streams, 126 small
 *       blocks) into DIR
 * tests/fuzz/mkcorpus.sh runs all of it after a format change.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "fuzzcap.h"
#include "fuzzutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../unit/fixtures/capfix.h"
#pragma GCC diagnostic pop

static int small(const char *in, const char *out)
{
	char cmd[4096];
	sqlite3 *db = NULL;

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", in, out);
	if (system(cmd))
		return 1;
	if (sqlite3_open(out, &db) ||
	    sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;", NULL,
			 NULL, NULL)) {
		fprintf(stderr, "%s: %s\n", out, sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_close(db);
	return 0;
}

static void put32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };
	fwrite(b, 1, 4, f);
}

int main(int argc, char **argv)
{
	char err[1024], path[8192];

	if (argc == 4 && !strcmp(argv[1], "--small"))
		return small(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--fixture")) {
		struct capfix_opts o = { .block_bytes = 2048, .short_a = 7 };
		snprintf(path, sizeof(path), "%s.btf", argv[2]);
		capfix_build(argv[2], path, o);
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: fuzz_mkseeds CAPTURE OUTDIR PREFIX | --small IN OUT | "
			"--fixture DIR\n");
		return 2;
	}
	const char *out = argv[2], *pre = argv[3];
	struct capview *c = capview__open(argv[1], err, sizeof(err));
	if (!c) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	static const char *const sub[] = { "fuzz_block", "fuzz_evtype", "fuzz_index", "fuzz_bundle" };
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", out, sub[i]);
		mkdir(out, 0755);
		mkdir(path, 0755);
	}

	/* Blocks. */
	size_t nb;
	const struct cap_block_info *bl = capview__blocks(c, &nb);
	struct capr_cursor *cur = capr__cursor_new(capview__capr(c));
	for (size_t i = 0; i < nb && i < 4; i++) {
		const struct cap_rec *recs;
		uint32_t n;
		const uint8_t *enc;
		size_t len;
		if (capr__cursor_read(cur, &bl[i], &recs, &n, err, sizeof(err)))
			continue;
		capr__cursor_encoded(cur, &enc, &len);
		snprintf(path, sizeof(path), "%s/fuzz_block/%s-block-%zu", out, pre, i);
		fuzz_write(path, enc, len);
		/* The same as a body to seal (fuzz_block's second kind of input). */
		uint32_t raw = bl[i].meta.raw_bytes;
		uint8_t *body = malloc(24 + (size_t)raw);
		if (body && ZSTD_decompress(body + 24, raw, enc + CAP_BLOCK_HDR_BYTES,
					    len - CAP_BLOCK_HDR_BYTES) == raw) {
			memcpy(body, enc + 16, 24);
			snprintf(path, sizeof(path), "%s/fuzz_block/%s-body-%zu", out, pre, i);
			fuzz_write(path, body, 24 + (size_t)raw);
		}
		free(body);
	}

	/* Per stream: BTF + type id + records; per object: a fuzzcap index. */
	sqlite3 *db = capr__db(capview__capr(c));
	for (size_t si = 0; si < capview__nstreams(c); si++) {
		struct capview_stream *s = capview__stream(c, si);
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, "SELECT btf FROM objects WHERE id = ?1", -1, &st, NULL))
			continue;
		sqlite3_bind_int64(st, 1, s->object_id);
		if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_bytes(st, 0)) {
			sqlite3_finalize(st);
			continue;
		}
		const void *btf = sqlite3_column_blob(st, 0);
		uint32_t blen = (uint32_t)sqlite3_column_bytes(st, 0);
		snprintf(path, sizeof(path), "%s/fuzz_evtype/%s-%s", out, pre, s->name);
		FILE *f = fopen(path, "wb");
		put32(f, blen);
		fwrite(btf, 1, blen, f);
		put32(f, (uint32_t)s->type_id);
		unsigned kept = 0;
		for (size_t k = 0; k < s->nblocks && kept < 6; k++) {
			const struct cap_rec *recs;
			uint32_t n;
			if (capr__cursor_read(cur, &bl[s->blocks[k].idx], &recs, &n, err, sizeof(err)))
				continue;
			for (uint32_t r = 0; r < n && kept < 6; r++) {
				if (recs[r].stream != s->id || recs[r].len > 65535)
					continue;
				uint8_t l[2] = { recs[r].len, recs[r].len >> 8 };
				fwrite(l, 1, 2, f);
				fwrite(recs[r].data, 1, recs[r].len, f);
				kept++;
			}
		}
		fclose(f);

		char tmp[512], idx[600];
		snprintf(tmp, sizeof(tmp), "%s/mk-%s", fuzz_tmpdir(), s->name);
		if (!fuzzcap_build(tmp, btf, blen)) {
			snprintf(idx, sizeof(idx), "%s/index.db", tmp);
			snprintf(path, sizeof(path), "%s/fuzz_index/%s-fuzzcap-%s.db", out, pre, s->name);
			small(idx, path);
		}
		sqlite3_finalize(st);
	}
	struct stat sb;
	snprintf(path, sizeof(path), "%s/index.db", argv[1]);
	if (!stat(path, &sb)) {
		char dst[8192];
		snprintf(dst, sizeof(dst), "%s/fuzz_index/%s-index.db", out, pre);
		small(path, dst);
	}
	capr__cursor_free(cur);
	capview__close(c);
	return 0;
}
