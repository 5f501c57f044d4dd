/* test_rec_btfvalue.c - the values of --set NAME=VALUE and --map-put
 * KEY=VALUE (recorder/btfvalue.c) without root: each BTF type a global or
 * a map key may have, its bounds, and the messages for what it refuses. */
#include <bpf/btf.h>
#include <errno.h>
#include <unistd.h>

#include "btfvalue.h"
#include "testutil.h"

static char msg[4096];

/* btfvalue__parse with stderr captured into msg; dst prefilled with 0xaa so
 * that the bytes written are seen. */
static int parse(const struct btf *btf, int id, const char *text, uint8_t *dst, size_t avail)
{
	int rc;

	memset(dst, 0xaa, 64);
	test_stderr_begin();
	rc = btfvalue__parse(btf, (uint32_t)id, "var", text, dst, avail);
	test_stderr_end(msg, sizeof(msg));
	return rc;
}

static uint64_t le(const uint8_t *p, int size)
{
	uint64_t v = 0;

	memcpy(&v, p, (size_t)size);
	return v;
}

#define REFUSED(id, text, err, part) do { \
	CHECK_EQ_INT(parse(btf, id, text, buf, sizeof(buf)), err); \
	if (!strstr(msg, part)) { \
		fprintf(stderr, "%s:%d: '%s': message '%s' lacks '%s'\n", __FILE__, __LINE__, \
			text, msg, part); \
		exit(1); \
	} \
} while (0)

int main(void)
{
	struct btf *btf = btf__new_empty();
	uint8_t buf[64];
	int u8, s8, u16, s32, u32, u64, s64, bool_, en, chr, str, td, cst, st, ptr;

	CHECK(btf);
	u8 = btf__add_int(btf, "unsigned char", 1, 0);
	s8 = btf__add_int(btf, "signed char", 1, BTF_INT_SIGNED);
	u16 = btf__add_int(btf, "unsigned short", 2, 0);
	s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	s64 = btf__add_int(btf, "long long", 8, BTF_INT_SIGNED);
	bool_ = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	en = btf__add_enum(btf, "mode", 4);
	btf__add_enum_value(btf, "MODE_OFF", 0);
	btf__add_enum_value(btf, "MODE_ON", 7);
	chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	str = btf__add_array(btf, u32, chr, 8);
	td = btf__add_typedef(btf, "pid_t", s32);
	cst = btf__add_const(btf, td);              /* const volatile pid_t, as in .rodata */
	cst = btf__add_volatile(btf, cst);
	st = btf__add_struct(btf, "pair", 8);
	btf__add_field(btf, "a", u32, 0, 0);
	btf__add_field(btf, "b", u32, 32, 0);
	ptr = btf__add_ptr(btf, u32);
	CHECK(u8 > 0 && s8 > 0 && u16 > 0 && s32 > 0 && u64 > 0 && s64 > 0 && bool_ > 0 && en > 0 &&
	      str > 0 && cst > 0 && st > 0 && ptr > 0);

	/* integers: decimal, hex, octal; only the type's bytes are written */
	CHECK_EQ_INT(parse(btf, u8, "255", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(buf[0], 255);
	CHECK_EQ_U64(buf[1], 0xaa);
	CHECK_EQ_INT(parse(btf, u16, "0x1234", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(le(buf, 2), 0x1234);
	CHECK_EQ_U64(buf[2], 0xaa);
	CHECK_EQ_INT(parse(btf, u32, "010", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(le(buf, 4), 8);
	CHECK_EQ_INT(parse(btf, s8, "-128", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(buf[0], 0x80);
	CHECK_EQ_INT(parse(btf, u64, "18446744073709551615", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(le(buf, 8), UINT64_MAX);
	CHECK_EQ_INT(parse(btf, s64, "-9223372036854775808", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(le(buf, 8), 1ull << 63);
	/* through typedef and qualifiers */
	CHECK_EQ_INT(parse(btf, cst, "-1234", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(le(buf, 4), (uint32_t)-1234);

	/* out of range or not a number: the range is named */
	REFUSED(u8, "256", -ERANGE, "var=256: unsigned char takes an integer from 0 to 255");
	REFUSED(s8, "128", -ERANGE, "from -128 to 127");
	REFUSED(s8, "-129", -ERANGE, "from -128 to 127");
	REFUSED(u32, "-1", -ERANGE, "from 0 to 4294967295");
	REFUSED(u64, "18446744073709551616", -ERANGE, "from 0 to 18446744073709551615");
	REFUSED(s32, "12abc", -ERANGE, "int takes an integer");
	REFUSED(s32, "", -ERANGE, "int takes an integer");
	REFUSED(cst, "x", -ERANGE, "var=x: int takes");

	/* bool */
	CHECK_EQ_INT(parse(btf, bool_, "true", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(buf[0], 1);
	CHECK_EQ_INT(parse(btf, bool_, "0", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(buf[0], 0);
	REFUSED(bool_, "yes", -EINVAL, "bool takes true, false, 1 or 0");

	/* enums by name or number */
	CHECK_EQ_INT(parse(btf, en, "MODE_ON", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(le(buf, 4), 7);
	CHECK_EQ_INT(parse(btf, en, "3", buf, sizeof(buf)), 0);
	CHECK_EQ_U64(le(buf, 4), 3);
	REFUSED(en, "MODE_MAYBE", -ERANGE, "enum takes an integer");

	/* char arrays: NUL-padded, the NUL included in the size */
	CHECK_EQ_INT(parse(btf, str, "bash", buf, sizeof(buf)), 0);
	CHECK(!memcmp(buf, "bash\0\0\0\0", 8));
	CHECK_EQ_U64(buf[8], 0xaa);
	CHECK_EQ_INT(parse(btf, str, "1234567", buf, sizeof(buf)), 0);
	REFUSED(str, "12345678", -ERANGE, "char[8] holds at most 7 characters");

	/* what cannot be set from text */
	REFUSED(st, "1", -EINVAL, "var: its type (pair) is not settable");
	REFUSED(ptr, "1", -EINVAL, "(anonymous) is not settable");
	/* nor when the destination is too small */
	CHECK_EQ_INT(parse(btf, u64, "1", buf, 4), -EINVAL);
	CHECK_EQ_INT(parse(btf, 9999, "1", buf, sizeof(buf)), -EINVAL);

	btf__free(btf);
	puts("test_rec_btfvalue: ok");
	return 0;
}
