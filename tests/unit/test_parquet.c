/* test_parquet.c - the Parquet writer's encoders (Thrift compact protocol,
 * RLE/bit-packed hybrid) against hand-worked bytes and a decoder written
 * here from the spec, and whole files read back by this test's own footer
 * walk (magic, length).  Independent readers (DuckDB, hyparquet) read the
 * exporter's files in tests/node. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq_writer.h"
#include "testutil.h"
#include "thrift.h"

static void check_bytes(const struct bytebuf *b, const uint8_t *want, size_t n, int line)
{
	if (b->len != n || memcmp(b->p, want, n)) {
		fprintf(stderr, "line %d: got", line);
		for (size_t i = 0; i < b->len; i++)
			fprintf(stderr, " %02x", b->p[i]);
		fprintf(stderr, "\nwant");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %02x", want[i]);
		fprintf(stderr, "\n");
		exit(1);
	}
}
#define CHECK_BYTES(b, ...) do { static const uint8_t _w[] = { __VA_ARGS__ }; \
	check_bytes((b), _w, sizeof(_w), __LINE__); } while (0)

static void test_thrift(void)
{
	struct bytebuf b = { 0 };
	struct thrift t;

	/* short field headers, zigzag varints, a long jump, a nested struct
	 * that counts its ids from 0, bools in the type nibble, a STOP each */
	thrift__init(&t, &b);
	thrift__i32(&t, 1, 1);          /* 0x15, zigzag(1) = 2 */
	thrift__i32(&t, 2, -1);         /* delta 1: 0x15, zigzag(-1) = 1 */
	thrift__i64(&t, 3, 300);        /* 0x16, 600 = 0xd8 0x04 */
	thrift__begin(&t, 5);           /* delta 2: 0x2c */
	thrift__bool(&t, 1, 1);         /* 0x11 */
	thrift__bool(&t, 2, 0);         /* 0x12 */
	thrift__end(&t);                /* 0x00 */
	thrift__string(&t, 40, "ab");   /* long form: 0x08, zigzag(40) = 80 = 0x50, len 2 */
	thrift__byte(&t, 41, -3);       /* 0x13, 0xfd */
	thrift__end(&t);
	CHECK_EQ_INT(thrift__error(&t), 0);
	CHECK_BYTES(&b, 0x15, 0x02, 0x15, 0x01, 0x16, 0xd8, 0x04, 0x2c, 0x11, 0x12, 0x00,
		    0x08, 0x50, 0x02, 'a', 'b', 0x13, 0xfd, 0x00);

	/* lists: short header under 15 elements, long one from 15 */
	b.len = 0;
	thrift__init(&t, &b);
	thrift__list(&t, 1, THRIFT_I32, 2);     /* 0x19, 0x25 */
	thrift__elem_i32(&t, 3);
	thrift__elem_i32(&t, -2);
	thrift__list(&t, 2, THRIFT_STRUCT, 15); /* 0x19, 0xfc, 15 */
	for (int i = 0; i < 15; i++) {
		thrift__elem_begin(&t);
		thrift__end(&t);
	}
	thrift__end(&t);
	CHECK_EQ_INT(thrift__error(&t), 0);
	CHECK_EQ_INT(b.len, 2 + 2 + 3 + 15 + 1);
	CHECK(!memcmp(b.p, "\x19\x25\x06\x03\x19\xfc\x0f", 7));

	/* ending more structs than were begun is an error, and sticky */
	thrift__end(&t);
	CHECK_EQ_INT(thrift__error(&t), -EINVAL);
	bytebuf__free(&b);
}

/* The hybrid decoded as the spec says, for the round trips. */
static size_t rle_decode(const uint8_t *p, size_t len, int width, uint32_t *out, size_t max)
{
	size_t pos = 0, n = 0;

	while (pos < len && n < max) {
		uint64_t h = 0;
		int sh = 0;
		do {
			CHECK(pos < len);
			h |= (uint64_t)(p[pos] & 0x7f) << sh;
			sh += 7;
		} while (p[pos++] & 0x80);
		if (h & 1) {
			size_t count = (size_t)(h >> 1) * 8;
			CHECK(pos + (h >> 1) * (uint64_t)width <= len);
			for (size_t k = 0; k < count && n < max; k++) {
				uint32_t v = 0;
				for (int b = 0; b < width; b++) {
					size_t bit = k * (size_t)width + (size_t)b;
					v |= (uint32_t)(p[pos + bit / 8] >> (bit % 8) & 1) << b;
				}
				out[n++] = v;
			}
			pos += (size_t)(h >> 1) * (size_t)width;
		} else {
			uint32_t v = 0;
			for (int b = 0; b < (width + 7) / 8; b++)
				v |= (uint32_t)p[pos++] << (8 * b);
			for (size_t k = 0; k < (h >> 1) && n < max; k++)
				out[n++] = v;
		}
	}
	return n;
}

static void test_rle(void)
{
	struct bytebuf b = { 0 };
	uint32_t v[4096], back[4096];
	uint64_t seed = 15;

	CHECK_EQ_INT(pq__bit_width(0), 0);
	CHECK_EQ_INT(pq__bit_width(1), 1);
	CHECK_EQ_INT(pq__bit_width(255), 8);
	CHECK_EQ_INT(pq__bit_width(256), 9);

	/* 10 ones: one RLE run, header 10 << 1, value in one byte */
	for (int i = 0; i < 10; i++)
		v[i] = 1;
	pq__rle_hybrid(&b, v, 10, 1);
	CHECK_BYTES(&b, 0x14, 0x01);

	/* 1 0 1 1 0: one bit-packed group, padded: header 1 << 1 | 1, bits
	 * LSB first 0b01101 */
	b.len = 0;
	uint32_t five[5] = { 1, 0, 1, 1, 0 };
	pq__rle_hybrid(&b, five, 5, 1);
	CHECK_BYTES(&b, 0x03, 0x0d);

	/* width 3, values 0..7: the spec's own example, 0x88 0xc6 0xfa */
	b.len = 0;
	uint32_t eight[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	pq__rle_hybrid(&b, eight, 8, 3);
	CHECK_BYTES(&b, 0x03, 0x88, 0xc6, 0xfa);

	/* round trips: runs and noise mixed, several widths */
	for (int width = 1; width <= 17; width += 4) {
		size_t n = 0;
		while (n < 4000) {
			uint32_t r = (uint32_t)test_rand(&seed);
			uint32_t val = r & ((1u << width) - 1);
			size_t len = (r >> 20) % 3 == 0 ? 5 + (r >> 24) % 40 : 1;
			for (size_t k = 0; k < len && n < 4000; k++)
				v[n++] = val;
		}
		b.len = 0;
		CHECK_EQ_INT(pq__rle_hybrid(&b, v, n, width), 0);
		CHECK_EQ_INT(rle_decode(b.p, b.len, width, back, n), n);
		CHECK(!memcmp(v, back, n * sizeof(v[0])));
	}
	bytebuf__free(&b);
}

/* A whole file: magic at both ends, the footer length in the tail, and the
 * footer holds every column name and the created_by text. */
static void test_file(void)
{
	const char *dir = test_tmpdir("parquet");
	char path[512];
	struct pq_column cols[] = {
		{ .name = "ts", .kind = PQ_INT, .bit_width = 64, .is_signed = 1, .required = 1 },
		{ .name = "u8", .kind = PQ_INT, .bit_width = 8 },
		{ .name = "name", .kind = PQ_STRING, .dictionary = 1 },
	};
	struct pq_opts opts = { .row_group_rows = 1000, .compress = 1, .created_by = "bpfrec test" };
	char err[256];
	FILE *f;
	struct pq_writer *w;

	snprintf(path, sizeof(path), "%s/t.parquet", dir);
	f = fopen(path, "wb");
	CHECK(f);
	w = pq_writer__open(f, cols, 3, &opts, err, sizeof(err));
	CHECK(w);
	for (int i = 0; i < 2500; i++) {
		char s[32];
		snprintf(s, sizeof(s), "n%d", i % 7);
		struct pq_value vals[3] = {
			{ .i = i }, { .i = i % 256, .is_null = i % 5 == 0 }, { .p = s, .len = strlen(s) },
		};
		CHECK_EQ_INT(pq_writer__row(w, vals), 0);
	}
	/* a NULL in a required column is refused, and the row is not written */
	struct pq_value bad[3] = { { .is_null = 1 }, { .i = 1 }, { .p = "x", .len = 1 } };
	CHECK_EQ_INT(pq_writer__row(w, bad), -EINVAL);
	CHECK_EQ_U64(pq_writer__rows(w), 2500);
	CHECK_EQ_U64(pq_writer__row_groups(w), 3);
	CHECK_EQ_INT(pq_writer__kv(w, "bpfrec.capture", "abc"), 0);
	CHECK_EQ_INT(pq_writer__close(w), 0);
	CHECK(!fclose(f));

	f = fopen(path, "rb");
	CHECK(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	uint8_t *all = malloc((size_t)size);
	fseek(f, 0, SEEK_SET);
	CHECK(fread(all, 1, (size_t)size, f) == (size_t)size);
	fclose(f);
	CHECK(!memcmp(all, "PAR1", 4) && !memcmp(all + size - 4, "PAR1", 4));
	uint32_t flen = all[size - 8] | all[size - 7] << 8 | all[size - 6] << 16 |
			(uint32_t)all[size - 5] << 24;
	CHECK(flen > 0 && flen < (uint32_t)size - 12);
	const uint8_t *footer = all + size - 8 - flen;
	CHECK(memmem(footer, flen, "bpfrec test", 11));
	CHECK(memmem(footer, flen, "bpfrec.capture", 14));
	CHECK(memmem(footer, flen, "name", 4));
	free(all);

	/* bad columns are named */
	struct pq_column odd = { .name = "x", .kind = PQ_INT, .bit_width = 12 };
	CHECK(!pq_writer__open(stdout, &odd, 1, NULL, err, sizeof(err)));
	CHECK(strstr(err, "parquet column x: bit width"));
}

/* An empty string first (its bytes a NULL pointer, as an empty text value
 * of a capture is), then others: the column's min/max bounds compare them
 * without handing memcmp a NULL (UBSan stopped the README's Parquet export
 * on that).  The bounds are then "" and "b". */
static void test_empty_first(void)
{
	const char *dir = test_tmpdir("parquet_empty");
	char path[512], err[256];
	struct pq_column cols[] = { { .name = "path", .kind = PQ_STRING },
				    { .name = "dpath", .kind = PQ_STRING, .dictionary = 1 } };
	const char *vals[] = { NULL, "b", "a", NULL };
	struct pq_writer *w;
	FILE *f;

	snprintf(path, sizeof(path), "%s/e.parquet", dir);
	f = fopen(path, "wb");
	CHECK(f);
	w = pq_writer__open(f, cols, 2, NULL, err, sizeof(err));
	CHECK(w);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct pq_value v[2] = { { .p = vals[i], .len = vals[i] ? strlen(vals[i]) : 0 },
					 { .p = vals[i], .len = vals[i] ? strlen(vals[i]) : 0 } };

		CHECK_EQ_INT(pq_writer__row(w, v), 0);
	}
	CHECK_EQ_U64(pq_writer__rows(w), 4);
	CHECK_EQ_INT(pq_writer__close(w), 0);
	CHECK(!fclose(f));
}

int main(void)
{
	test_thrift();
	test_rle();
	test_file();
	test_empty_first();
	printf("test_parquet: ok\n");
	return 0;
}
