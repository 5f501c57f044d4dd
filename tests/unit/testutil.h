/* testutil.h - tiny assertion helpers for the unit tests.  A failed check
 * prints file:line and the values, and the test exits 1. */
#ifndef BPFREC_TESTUTIL_H
#define BPFREC_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); exit(1); } } while (0)
#define CHECK_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { \
	fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, _a, #b, _b); exit(1); } } while (0)
#define CHECK_EQ_U64(a, b) do { unsigned long long _a = (a), _b = (b); if (_a != _b) { \
	fprintf(stderr, "%s:%d: %s == %llu, expected %llu\n", __FILE__, __LINE__, #a, _a, _b); exit(1); } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); if (!_a || !_b || strcmp(_a, _b)) { \
	fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); exit(1); } } while (0)

/* A fresh empty directory under $BPFREC_TEST_TMP (or /tmp); static buffer. */
const char *test_tmpdir(const char *name);
/* What the code between begin and end writes to stderr (fd 2) is caught
 * instead of shown: end puts it into buf (len bytes at most, NUL-ended)
 * and returns buf.  Not nested. */
void test_stderr_begin(void);
const char *test_stderr_end(char *buf, size_t len);
/* The nice value of thread tid (of any process) into *nice: 0, or -errno
 * (ESRCH: no such thread). */
int tu_nice_of(int tid, int *nice);
/* Deterministic PRNG (xorshift64*) so failures reproduce. */
uint64_t test_rand(uint64_t *state);
/* Marsaglia's xorshift64 (13, 7, 17) from *state (not 0): the block
 * tests' generator, whose data (and so what they assert) follows from
 * their seeds; test_rand's sequence is another. */
static inline uint64_t tu_xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* The first column of sql's first row as an integer (NULL reads 0), -1
 * when there is no row; an SQL error fails the test, with SQLite's message. */
struct sqlite3;
int64_t q_int(struct sqlite3 *db, const char *sql);
/* The same on a capture's index (capr__open: a directory or a bundle). */
int64_t q_int_capture(const char *cap, const char *sql);
/* An in-memory connection with bpfrec's module registered with o (NULL:
 * the defaults) and the npaths captures of paths attached as main (one
 * by vtab__attach, more by vtab__attach_many, none: none); the registry
 * in *reg unless reg is NULL.  A failure fails the test, saying why. */
struct vtab_opts;
struct vtab_reg;
struct sqlite3 *tu_vtab_db(const struct vtab_opts *o, const char *const *paths, size_t npaths,
			   struct vtab_reg **reg);
/* The same on DIR/index.db opened read-only with the plain SQLite API (a
 * capture capr__open may refuse: damaged, or being written). */
int64_t q_int_index(const char *dir, const char *sql);
/* Runs SQL on a database file with the plain SQLite API, writable (to
 * damage fixtures); an error fails the test.  poke_index: DIR/index.db. */
void poke_db(const char *db_path, const char *sql);
void poke_index(const char *dir, const char *sql);

/* Bytes of hand-made blocks and bodies, written here rather than by the
 * writer's own helpers (a test's input independent of the code it tests):
 * an unsigned LEB128 varint (the end returned), little-endian u32 and u64. */
static inline uint8_t *tu_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline void tu_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void tu_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
