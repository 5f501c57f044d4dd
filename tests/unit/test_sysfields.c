/* test_sysfields - which of path, path2 and the socket address a
 * --syscalls row has (replay/capture/sysfields.h), from hand-made BTF laid
 * out as the recorder makes it (recorder/sysrec.c): struct syscall with a
 * 4-byte enum member `syscall`, u64 arg0..arg5, path, path2, family, port,
 * addr, and enum bpfrec_syscall_fields.  Checked value by value: each
 * column's bit; each row's answer by its syscall number; what a hostile
 * enum is reduced to (unknown names, stray bits, path2 without path, a
 * short record); and, for captures made before the enum, the answer from
 * the row's bytes.  No table when the type is not such a row. */
#include "testutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* the clang BTF helpers */
#include "fixtures/btfgen.h"
#pragma GCC diagnostic pop

#include <errno.h>

#include "btfv.h"
#include "evtype.h"
#include "sysfields.h"

#define REC_SIZE 104
#define OFF_FAMILY 4
#define OFF_PORT 6
#define OFF_ADDR 56
#define OFF_PATH 72
#define OFF_PATH2 88

static struct btfgen g;

/* struct `name` (syscall at 0, family at 4, port at 6, arg<i> at 8 + 8i,
 * addr[16] at 56, path[16] at 72, path2[16] at 88) and, if n, enum
 * bpfrec_syscall_fields with the n enumerators names[i] = vals[i]. */
static struct btfv *make(const char *name, const char *const *names, const uint32_t *vals,
			 size_t n, uint32_t *row_id, int arg5_u32)
{
	uint32_t u64, u32, u16, u8, chr, nr, str, ip, row;
	struct btfv *b;

	bg_init(&g);
	u64 = bg_int(&g, "unsigned long", 8, 0, 64);
	u32 = bg_int(&g, "unsigned int", 4, 0, 32);
	u16 = bg_int(&g, "unsigned short", 2, 0, 16);
	u8 = bg_int(&g, "unsigned char", 1, 0, 8);
	chr = bg_int(&g, "char", 1, BTF_INT_SIGNED, 8);
	str = bg_type(&g, "", BTF_KIND_ARRAY, 0, 0, 0);
	bg_u32(&g, chr);
	bg_u32(&g, u32);
	bg_u32(&g, 16);
	ip = bg_type(&g, "", BTF_KIND_ARRAY, 0, 0, 0);
	bg_u32(&g, u8);
	bg_u32(&g, u32);
	bg_u32(&g, 16);
	nr = bg_type(&g, "syscall_nr", BTF_KIND_ENUM, 7, 0, 4);
	bg_u32(&g, bg_str(&g, "read"));
	bg_u32(&g, 0);
	bg_u32(&g, bg_str(&g, "connect"));
	bg_u32(&g, 42);
	bg_u32(&g, bg_str(&g, "rename"));
	bg_u32(&g, 82);
	bg_u32(&g, bg_str(&g, "getppid"));
	bg_u32(&g, 110);
	bg_u32(&g, bg_str(&g, "setresuid"));
	bg_u32(&g, 117);
	bg_u32(&g, bg_str(&g, "openat"));
	bg_u32(&g, 257);
	bg_u32(&g, bg_str(&g, "bignr"));   /* past the direct table */
	bg_u32(&g, 5000);
	row = bg_type(&g, name, BTF_KIND_STRUCT, 12, 0, REC_SIZE);
	bg_member(&g, "syscall", nr, 0);
	bg_member(&g, "family", u16, OFF_FAMILY * 8);
	bg_member(&g, "port", u16, OFF_PORT * 8);
	for (int i = 0; i < 6; i++) {
		char an[8];

		snprintf(an, sizeof(an), "arg%d", i);
		bg_member(&g, an, i == 5 && arg5_u32 ? u32 : u64, (uint32_t)(8 + 8 * i) * 8);
	}
	bg_member(&g, "addr", ip, OFF_ADDR * 8);
	bg_member(&g, "path", str, OFF_PATH * 8);
	bg_member(&g, "path2", str, OFF_PATH2 * 8);
	if (n)
		bg_enum(&g, "bpfrec_syscall_fields", names, vals, n);
	b = bg_parse(&g);
	*row_id = row;
	return b;
}

/* A row of syscall nr, len bytes, with one byte set at off (if off). */
static uint32_t row_of(const struct sysfields *f, uint32_t nr, uint32_t len, uint32_t off)
{
	uint8_t rec[REC_SIZE] = { 0 };

	memcpy(rec, &nr, 4);
	if (off)
		rec[off] = 'x';
	return sysfields__row(f, rec, len);
}

/* Column `name`'s bit. */
static uint32_t bit_of(const struct sysfields *f, const struct evtype *t, const char *name)
{
	for (size_t k = 0; k < evtype__ncols(t); k++)
		if (!strcmp(evtype__col(t, k)->name, name))
			return sysfields__col(f, k);
	fprintf(stderr, "no column %s\n", name);
	exit(1);
}

int main(void)
{
	static const char *const names[] = { "openat", "rename", "connect", "nosuchcall", "read",
					     "getppid", "bignr" };
	/* openat: path; rename: path, path2; connect: the address; nosuchcall:
	 * not in syscall_nr; read: a stray bit; getppid: path2 without path */
	static const uint32_t vals[] = { 1, 3, 4, 1, 8 | 1, 2, 4 };
	const uint32_t K = SYSFIELD_KNOWN, P = SYSFIELD_PATH, P2 = SYSFIELD_PATH2,
		       SA = SYSFIELD_SOCKADDR;
	char err[256];
	uint32_t row;
	struct btfv *b = make("syscall", names, vals, 7, &row, 0);
	struct evtype *t = evtype__new(b, row, err, sizeof(err));
	struct sysfields *f;

	if (!t)
		fprintf(stderr, "evtype: %s\n", err);
	CHECK(t);
	CHECK(sysfields__enum_id(b) > 0);
	f = sysfields__new(b, t);
	CHECK(f);
	/* the columns */
	CHECK_EQ_INT(bit_of(f, t, "syscall"), 0);
	CHECK_EQ_INT(bit_of(f, t, "arg0"), 0);
	CHECK_EQ_INT(bit_of(f, t, "arg5"), 0);
	CHECK_EQ_INT(bit_of(f, t, "path"), P);
	CHECK_EQ_INT(bit_of(f, t, "path2"), P2);
	CHECK_EQ_INT(bit_of(f, t, "family"), SA);
	CHECK_EQ_INT(bit_of(f, t, "port"), SA);
	CHECK_EQ_INT(bit_of(f, t, "addr"), SA);
	CHECK_EQ_INT(sysfields__col(f, evtype__ncols(t)), 0);
	CHECK_EQ_INT(sysfields__col(f, (size_t)-1), 0);
	/* rows, by what the capture says, whatever their bytes hold */
	CHECK_EQ_INT(row_of(f, 257, REC_SIZE, 0), K | P);
	CHECK_EQ_INT(row_of(f, 257, REC_SIZE, OFF_PATH2), K | P);
	CHECK_EQ_INT(row_of(f, 82, REC_SIZE, 0), K | P | P2);
	CHECK_EQ_INT(row_of(f, 42, REC_SIZE, 0), K | SA);
	CHECK_EQ_INT(row_of(f, 0, REC_SIZE, OFF_PATH2), K);    /* read: its stray bit dropped it */
	CHECK_EQ_INT(row_of(f, 110, REC_SIZE, 0), K);          /* getppid: path2 without path */
	CHECK_EQ_INT(row_of(f, 117, REC_SIZE, OFF_PORT), K);   /* no entry: none */
	CHECK_EQ_INT(row_of(f, 9999, REC_SIZE, 0), K);
	CHECK_EQ_INT(row_of(f, 5000, REC_SIZE, 0), K | SA);
	CHECK_EQ_INT(row_of(f, 1023, REC_SIZE, 0), K);
	CHECK_EQ_INT(row_of(f, 1024, REC_SIZE, 0), K);
	/* too short to say: what its bytes show */
	CHECK_EQ_INT(row_of(f, 257, 3, 0), P);
	CHECK_EQ_INT(row_of(f, 257, 4, 0), K | P);
	sysfields__free(f);
	evtype__free(t);
	btfv__free(b);

	/* a capture made before the enum: the row's bytes */
	b = make("syscall", NULL, NULL, 0, &row, 0);
	t = evtype__new(b, row, err, sizeof(err));
	CHECK(t);
	CHECK_EQ_INT(sysfields__enum_id(b), 0);
	f = sysfields__new(b, t);
	CHECK(f);
	CHECK_EQ_INT(bit_of(f, t, "path2"), P2);
	CHECK_EQ_INT(row_of(f, 110, REC_SIZE, 0), P);
	CHECK_EQ_INT(row_of(f, 82, REC_SIZE, OFF_PATH2), P | P2);
	CHECK_EQ_INT(row_of(f, 82, REC_SIZE, OFF_PATH2 + 15), P | P2);
	CHECK_EQ_INT(row_of(f, 42, REC_SIZE, OFF_FAMILY), P | SA);
	CHECK_EQ_INT(row_of(f, 42, REC_SIZE, OFF_PORT + 1), P | SA);
	CHECK_EQ_INT(row_of(f, 42, REC_SIZE, OFF_ADDR + 15), P | SA);
	CHECK_EQ_INT(row_of(f, 42, REC_SIZE, OFF_PATH), P);   /* path: the caller's rule */
	/* a record that ends before the byte: not read */
	CHECK_EQ_INT(row_of(f, 82, OFF_PATH2, OFF_PATH2), P);
	CHECK_EQ_INT(row_of(f, 82, OFF_PATH2 + 1, OFF_PATH2), P | P2);
	CHECK_EQ_INT(row_of(f, 42, 0, OFF_FAMILY), P);
	sysfields__free(f);
	evtype__free(t);
	btfv__free(b);

	/* not a --syscalls row: another struct's name, or arg5 no u64 */
	b = make("event", names, vals, 6, &row, 0);
	t = evtype__new(b, row, err, sizeof(err));
	CHECK(t);
	errno = 0;
	CHECK(!sysfields__new(b, t) && errno == 0);
	evtype__free(t);
	btfv__free(b);
	b = make("syscall", names, vals, 6, &row, 1);
	t = evtype__new(b, row, err, sizeof(err));
	CHECK(t);
	CHECK(!sysfields__new(b, t) && errno == 0);
	CHECK(!sysfields__new(NULL, t) && errno == 0);
	evtype__free(t);
	btfv__free(b);
	puts("test_sysfields: ok");
	return 0;
}
