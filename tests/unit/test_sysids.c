/* test_sysids - which --syscalls arguments are uids or gids, row by row
 * (replay/capture/sysids.h), from hand-made BTF laid out as the recorder
 * makes it (recorder/sysrec.c): struct syscall with a 4-byte enum member
 * `syscall` and u64 arg0..arg5, and enum bpfrec_syscall_ids.  Checked value
 * by value: each row's mask by its syscall number, the argument columns,
 * and what a hostile enum is reduced to (unknown names, stray bits, a
 * field of 3, a short record); no table when the type is not such a row or
 * no enumerator says anything. */
#include "testutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* the clang BTF helpers */
#include "fixtures/btfgen.h"
#pragma GCC diagnostic pop

#include <errno.h>

#include "btfv.h"
#include "evtype.h"
#include "sysids.h"

static struct btfgen g;

/* The syscall row's struct (syscall at 0, arg<i> at 8 + 8i; nr_type: the
 * `syscall` member's type) and, if ids_vals, enum bpfrec_syscall_ids with
 * the n enumerators names[i] = vals[i]. */
static struct btfv *make(int with_ids, const char *const *names, const uint32_t *vals, size_t n,
			 uint32_t *row_id, int arg5_u32)
{
	uint32_t u64, u32, nr, row;
	struct btfv *b;

	bg_init(&g);
	u64 = bg_int(&g, "unsigned long", 8, 0, 64);
	u32 = bg_int(&g, "unsigned int", 4, 0, 32);
	nr = bg_type(&g, "syscall_nr", BTF_KIND_ENUM, 4, 0, 4);
	bg_u32(&g, bg_str(&g, "read"));
	bg_u32(&g, 0);
	bg_u32(&g, bg_str(&g, "chown"));
	bg_u32(&g, 92);
	bg_u32(&g, bg_str(&g, "setresuid"));
	bg_u32(&g, 117);
	bg_u32(&g, bg_str(&g, "setresgid"));
	bg_u32(&g, 119);
	row = bg_type(&g, "syscall", BTF_KIND_STRUCT, 7, 0, 56);
	bg_member(&g, "syscall", nr, 0);
	for (int i = 0; i < 6; i++) {
		char name[8];

		snprintf(name, sizeof(name), "arg%d", i);
		bg_member(&g, name, i == 5 && arg5_u32 ? u32 : u64, (uint32_t)(8 + 8 * i) * 8);
	}
	if (with_ids)
		bg_enum(&g, "bpfrec_syscall_ids", names, vals, n);
	b = bg_parse(&g);
	*row_id = row;
	return b;
}

static uint32_t row_of(const struct sysids *s, uint32_t nr, uint32_t len)
{
	uint8_t rec[56] = { 0 };

	memcpy(rec, &nr, 4);
	return sysids__row(s, rec, len);
}

int main(void)
{
	static const char *const names[] = { "setresuid", "chown", "nosuchcall", "read",
					     "setresgid" };
	/* setresuid: uid uid uid; chown: arg1 uid, arg2 gid; nosuchcall:
	 * not in syscall_nr; read: a stray bit; setresgid: a field of 3 */
	static const uint32_t vals[] = { 0x15, 0x24, 0x15, 0x1001, 0x3 };
	char err[256];
	uint32_t row;
	struct btfv *b = make(1, names, vals, 5, &row, 0);
	struct evtype *t = evtype__new(b, row, err, sizeof(err));
	struct sysids *s;

	CHECK(t);
	CHECK(sysids__enum_id(b) > 0);
	s = sysids__new(b, t);
	CHECK(s);
	/* columns: syscall, arg0..arg5 */
	CHECK_EQ_INT(sysids__arg(s, 0), -1);
	for (int i = 0; i < 6; i++)
		CHECK_EQ_INT(sysids__arg(s, (size_t)i + 1), i);
	CHECK_EQ_INT(sysids__arg(s, 7), -1);
	/* rows */
	CHECK_EQ_INT(row_of(s, 117, 56), 0x15);
	CHECK_EQ_INT(row_of(s, 92, 56), 0x24);
	CHECK_EQ_INT(row_of(s, 0, 56), 0);      /* read: its stray bit dropped it */
	CHECK_EQ_INT(row_of(s, 119, 56), 0);    /* setresgid: a field of 3 */
	CHECK_EQ_INT(row_of(s, 5, 56), 0);      /* no entry */
	CHECK_EQ_INT(row_of(s, 117, 3), 0);     /* too short to say */
	CHECK_EQ_INT(row_of(s, 117, 4), 0x15);
	/* the kinds of a mask, argument by argument */
	CHECK_EQ_INT(sysids__kind(0x24, 0), 0);
	CHECK_EQ_INT(sysids__kind(0x24, 1), EVCOL_ID_UID);
	CHECK_EQ_INT(sysids__kind(0x24, 2), EVCOL_ID_GID);
	CHECK_EQ_INT(sysids__kind(0x24, 6), 0);
	CHECK_EQ_INT(sysids__kind(0x24, -1), 0);
	sysids__free(s);
	evtype__free(t);
	btfv__free(b);

	/* no enum: no table (and no error) */
	b = make(0, NULL, NULL, 0, &row, 0);
	t = evtype__new(b, row, err, sizeof(err));
	CHECK(t);
	CHECK_EQ_INT(sysids__enum_id(b), 0);
	errno = 0;
	CHECK(!sysids__new(b, t) && errno == 0);
	evtype__free(t);
	btfv__free(b);

	/* an enum that says nothing usable: no table */
	b = make(1, names + 2, vals + 2, 3, &row, 0);
	t = evtype__new(b, row, err, sizeof(err));
	CHECK(t);
	CHECK(!sysids__new(b, t) && errno == 0);
	evtype__free(t);
	btfv__free(b);

	/* not a --syscalls row: arg5 is no u64 */
	b = make(1, names, vals, 5, &row, 1);
	t = evtype__new(b, row, err, sizeof(err));
	CHECK(t);
	CHECK(!sysids__new(b, t) && errno == 0);
	evtype__free(t);
	btfv__free(b);
	puts("test_sysids: ok");
	return 0;
}
