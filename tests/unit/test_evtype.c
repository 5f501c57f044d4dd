/* test_evtype - columns and exact decoding from real clang BTF and from
 * hand-made BTF (ENUM64, old-style bitfields, odd names, budgets). */
#include "testutil.h"
#include "fixtures/btfgen.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>

#include "btfv.h"
#include "evtype.h"

/* The same text is compiled by clang for BPF (the BTF) and here (the records). */
#define EVENT_TYPES(...) __VA_ARGS__ static const char event_types_src[] = #__VA_ARGS__;
EVENT_TYPES(
typedef unsigned char __u8; typedef unsigned short __u16; typedef unsigned int __u32;
typedef unsigned long long __u64; typedef signed char __s8; typedef short __s16;
typedef int __s32; typedef long long __s64;
typedef __u8 bpfrec_ipaddr[16];
struct pad { __u64 a; __u32 b; };
struct packed { __u64 a; __u32 b; } __attribute__((packed));
struct inner { __u32 x; __u16 y; };
enum color { RED = 1, GREEN = 2, BLUE = -3 };
enum small { S_A = 1, S_B = 200 } __attribute__((packed));
struct ev {
	__u64 ts;
	struct inner in;
	union { __u32 w; __u16 h; } u;
	struct { __u32 anon_a; union { __u16 anon_b; __s16 anon_c; }; };
	char comm[16];
	enum color c1;
	enum color c2;
	enum color c3;
	enum small sm;
	__u16 arr[3];
	unsigned int bf_u : 3;
	int bf_s : 5;
	unsigned int bf_x : 12;
	int bf_neg : 7;
	unsigned long long bf_wide : 40;
	enum color bf_e : 4;
	__s8 s8; __s16 s16; __s32 s32; __s64 s64;
	__u64 big;
	_Bool flag;
	bpfrec_ipaddr ip4;
	bpfrec_ipaddr ip6;
	__u16 m2[2][2];
	struct inner sarr[2];
	__u8 mac[6];
	char names[2][4];
	float f;
	double d;
	int pid;
	int Pid;
	__u32 in_x;
	void *ptr;
	struct ev *self;
};
struct small_ev { __u32 a; __u64 b; __u32 c; __u32 d; };
struct var_ev { __u32 pid; __u32 args_size; char comm[8]; char args[32]; };
struct flex_ev { __u32 n; __u16 vals[]; };
struct arr_ev { __u32 n; struct inner items[3]; };
struct wide_ev { unsigned __int128 v; __s8 raw[3]; bpfrec_ipaddr last; };
struct ev g_ev; struct pad g_pad; struct packed g_packed; struct small_ev g_small;
struct var_ev g_var; struct flex_ev g_flex; struct arr_ev g_arr; struct wide_ev g_wide;
)

static struct btfv *btf;

static struct evtype *new_type(const char *name)
{
	char err[256] = "";
	uint32_t id = btfv__find_struct(btf, name);
	struct evtype *t;

	CHECK(id);
	t = evtype__new(btf, id, err, sizeof(err));
	if (!t)
		fprintf(stderr, "evtype__new(%s): %s\n", name, err);
	CHECK(t);
	return t;
}

static size_t col_index(struct evtype *t, const char *name)
{
	size_t i;

	for (i = 0; i < evtype__ncols(t); i++)
		if (!strcmp(evtype__col(t, i)->name, name))
			return i;
	fprintf(stderr, "no column %s\n", name);
	exit(1);
}

/* Decodes into an exact-size heap copy, so ASan sees any read past len. */
static const char *fmt(struct evtype *t, const char *col, const void *rec, uint32_t len)
{
	static char buf[4096];
	uint8_t *copy = malloc(len ? len : 1);
	int n;

	memcpy(copy, rec, len);
	n = evtype__format(t, col_index(t, col), copy, len, buf, sizeof(buf));
	free(copy);
	if (n < 0) {
		fprintf(stderr, "format %s: %d\n", col, n);
		exit(1);
	}
	CHECK((size_t)n < sizeof(buf) && strlen(buf) == (size_t)n);
	return buf;
}

static struct evval val(struct evtype *t, const char *col, const void *rec, uint32_t len)
{
	struct evval v;

	CHECK_EQ_INT(evtype__decode(t, col_index(t, col), rec, len, &v), 0);
	return v;
}

static void test_padding(void)
{
	struct evtype *t = new_type("pad"), *p = new_type("packed");
	struct pad r = { .a = 1, .b = 2 };
	struct packed q = { .a = 3, .b = 4 };
	uint8_t big[32] = { 0 };
	struct evval v;

	CHECK_EQ_INT(evtype__size(t), 16);
	CHECK_EQ_INT(evtype__size(p), 12);
	CHECK_STR(evtype__name(t), "pad");
	CHECK_EQ_INT(evtype__ncols(t), 2);
	CHECK_STR(evtype__col(t, 0)->name, "a");
	CHECK_STR(evtype__col(t, 1)->name, "b");
	CHECK_EQ_INT(evtype__col(t, 1)->bit_offset, 64);
	CHECK_STR(fmt(t, "b", &r, sizeof(r)), "2");
	CHECK_STR(fmt(p, "a", &q, sizeof(q)), "3");
	CHECK_STR(fmt(p, "b", &q, sizeof(q)), "4");
	/* perf pads: a longer record decodes by the BTF size */
	memcpy(big, &r, sizeof(r));
	memset(big + 16, 0xee, 16);
	CHECK_EQ_INT(evtype__check(t, 20), 0);
	CHECK_STR(fmt(t, "b", big, 20), "2");
	/* short: refused */
	CHECK_EQ_INT(evtype__check(t, 15), -EBADMSG);
	CHECK_EQ_INT(evtype__check(p, 11), -EBADMSG);
	CHECK_EQ_INT(evtype__check(p, 12), 0);
	CHECK_EQ_INT(evtype__decode(t, 0, &r, 15, &v), -EBADMSG);
	CHECK_EQ_INT(evtype__format(t, 0, &r, 0, (char[8]){0}, 8), -EBADMSG);
	CHECK_EQ_INT(evtype__decode(t, 2, &r, 16, &v), -EINVAL);
	evtype__free(t);
	evtype__free(p);
}

static void test_small_padded(void)
{
	/* 24 bytes as perf delivers it: 28 */
	struct evtype *t = new_type("small_ev");
	uint8_t rec[28];
	struct small_ev e = { .a = 1, .b = 2, .c = 3, .d = 4 };

	CHECK_EQ_INT(evtype__size(t), 24);
	memcpy(rec, &e, sizeof(e));
	memset(rec + 24, 0xff, 4);
	CHECK_STR(fmt(t, "d", rec, 28), "4");
	CHECK_STR(fmt(t, "b", rec, 28), "2");
	CHECK_EQ_INT(evtype__check(t, 23), -EBADMSG);
	evtype__free(t);
}

struct expect { const char *col; enum evcol_kind kind; const char *text; };

static void test_event(void)
{
	struct evtype *t = new_type("ev");
	struct ev e;
	struct evval v;
	size_t i;
	static const struct expect want[] = {
		{ "ts", EVCOL_UINT, "123456789012" },
		{ "in_x", EVCOL_UINT, "7" },
		{ "in_y", EVCOL_UINT, "65535" },
		{ "u_w", EVCOL_UINT, "305419896" },
		{ "u_h", EVCOL_UINT, "22136" },
		{ "anon_a", EVCOL_UINT, "42" },
		{ "anon_b", EVCOL_UINT, "65534" },
		{ "anon_c", EVCOL_INT, "-2" },
		{ "comm", EVCOL_TEXT, "hello" },
		{ "c1", EVCOL_ENUM, "GREEN" },
		{ "c2", EVCOL_ENUM, "BLUE" },
		{ "c3", EVCOL_ENUM, "7" },
		{ "sm", EVCOL_ENUM, "S_B" },
		{ "arr", EVCOL_JSON, "[1,2,65535]" },
		{ "bf_u", EVCOL_UINT, "5" },
		{ "bf_s", EVCOL_INT, "-9" },
		{ "bf_x", EVCOL_UINT, "2748" },
		{ "bf_neg", EVCOL_INT, "-64" },
		{ "bf_wide", EVCOL_UINT, "1099511627775" },
		{ "bf_e", EVCOL_ENUM, "BLUE" },
		{ "s8", EVCOL_INT, "-128" },
		{ "s16", EVCOL_INT, "-32768" },
		{ "s32", EVCOL_INT, "-2147483648" },
		{ "s64", EVCOL_INT, "-9223372036854775808" },
		{ "big", EVCOL_UINT, "18364758544493064720" },
		{ "flag", EVCOL_BOOL, "1" },
		{ "ip4", EVCOL_IPADDR, "192.168.1.20" },
		{ "ip6", EVCOL_IPADDR, "2001:db8::1" },
		{ "m2", EVCOL_JSON, "[[1,2],[3,4]]" },
		{ "sarr", EVCOL_JSON, "[{\"x\":1,\"y\":2},{\"x\":3,\"y\":4}]" },
		{ "mac", EVCOL_BYTES, "0011223344ff" },
		{ "names", EVCOL_JSON, "[\"ab\",\"c\\\"d\"]" },
		{ "f", EVCOL_FLOAT, "1.5" },
		{ "d", EVCOL_FLOAT, "0.1" },
		{ "pid", EVCOL_INT, "10" },
		{ "Pid_2", EVCOL_INT, "11" },
		{ "in_x_2", EVCOL_UINT, "99" },
		{ "ptr", EVCOL_UINT, "18446612682375452280" },
		{ "self", EVCOL_UINT, "0" },
	};

	memset(&e, 0x5a, sizeof(e));    /* padding holds junk: must not matter */
	e.ts = 123456789012ull;
	e.in.x = 7, e.in.y = 65535;
	e.u.w = 0x12345678;
	e.anon_a = 42, e.anon_b = 0xfffe;
	memset(e.comm, 0, sizeof(e.comm));
	strcpy(e.comm, "hello");
	e.c1 = GREEN, e.c2 = BLUE, e.c3 = (enum color)7, e.sm = S_B;
	e.arr[0] = 1, e.arr[1] = 2, e.arr[2] = 65535;
	e.bf_u = 5, e.bf_s = -9, e.bf_x = 0xabc, e.bf_neg = -64, e.bf_wide = (1ull << 40) - 1;
	e.bf_e = BLUE;
	e.s8 = -128, e.s16 = -32768, e.s32 = INT_MIN, e.s64 = LLONG_MIN;
	e.big = 0xfedcba9876543210ull;
	e.flag = 1;
	memset(e.ip4, 0, 16);
	e.ip4[10] = e.ip4[11] = 0xff;
	e.ip4[12] = 192, e.ip4[13] = 168, e.ip4[14] = 1, e.ip4[15] = 20;
	memset(e.ip6, 0, 16);
	e.ip6[0] = 0x20, e.ip6[1] = 0x01, e.ip6[2] = 0x0d, e.ip6[3] = 0xb8, e.ip6[15] = 1;
	e.m2[0][0] = 1, e.m2[0][1] = 2, e.m2[1][0] = 3, e.m2[1][1] = 4;
	e.sarr[0].x = 1, e.sarr[0].y = 2, e.sarr[1].x = 3, e.sarr[1].y = 4;
	memcpy(e.mac, "\x00\x11\x22\x33\x44\xff", 6);
	memcpy(e.names, "ab\0\0c\"d\0", 8);
	e.f = 1.5f, e.d = 0.1;
	e.pid = 10, e.Pid = 11, e.in_x = 99;
	e.ptr = (void *)0xffff888012345678ull;
	e.self = NULL;

	CHECK_EQ_INT(evtype__size(t), sizeof(struct ev));
	CHECK_EQ_INT(evtype__ncols(t), sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct evcol *c = evtype__col(t, i);

		if (strcmp(c->name, want[i].col) || c->kind != want[i].kind) {
			fprintf(stderr, "column %zu: %s kind %d, expected %s kind %d\n", i, c->name,
				c->kind, want[i].col, want[i].kind);
			exit(1);
		}
		CHECK_STR(fmt(t, want[i].col, &e, sizeof(e)), want[i].text);
	}
	/* the values themselves */
	v = val(t, "big", &e, sizeof(e));
	CHECK_EQ_U64(v.u, 0xfedcba9876543210ull);
	CHECK(v.i == (int64_t)0xfedcba9876543210ull && v.i < 0);
	CHECK(val(t, "s64", &e, sizeof(e)).i == LLONG_MIN);
	CHECK_EQ_INT(val(t, "s8", &e, sizeof(e)).i, -128);
	CHECK_EQ_INT(val(t, "bf_s", &e, sizeof(e)).i, -9);
	CHECK_EQ_INT(val(t, "bf_neg", &e, sizeof(e)).i, -64);
	CHECK(val(t, "f", &e, sizeof(e)).f == 1.5);
	CHECK(val(t, "d", &e, sizeof(e)).f == 0.1);
	v = val(t, "c2", &e, sizeof(e));
	CHECK_EQ_INT(v.i, -3);
	CHECK_STR(v.text, "BLUE");
	CHECK_EQ_INT(v.text_len, 4);
	v = val(t, "comm", &e, sizeof(e));
	CHECK_EQ_INT(v.text_len, 5);
	CHECK_EQ_INT(val(t, "flag", &e, sizeof(e)).i, 1);
	CHECK_EQ_INT(evtype__col(t, col_index(t, "bf_x"))->bit_size, 12);

	/* other values: positive maxima, full-width text without NUL, false */
	e.s8 = 127, e.s16 = 32767, e.s32 = INT_MAX, e.s64 = LLONG_MAX;
	e.bf_s = 15, e.bf_neg = 63, e.bf_u = 7, e.bf_x = 0xfff, e.bf_wide = 0;
	memcpy(e.comm, "0123456789abcdef", 16);
	e.flag = 0;
	e.c1 = RED;
	e.big = 0;
	e.f = -0.25f;
	e.d = 1e300;
	CHECK_STR(fmt(t, "s8", &e, sizeof(e)), "127");
	CHECK_STR(fmt(t, "s16", &e, sizeof(e)), "32767");
	CHECK_STR(fmt(t, "s32", &e, sizeof(e)), "2147483647");
	CHECK_STR(fmt(t, "s64", &e, sizeof(e)), "9223372036854775807");
	CHECK_STR(fmt(t, "bf_s", &e, sizeof(e)), "15");
	CHECK_STR(fmt(t, "bf_neg", &e, sizeof(e)), "63");
	CHECK_STR(fmt(t, "bf_u", &e, sizeof(e)), "7");
	CHECK_STR(fmt(t, "bf_x", &e, sizeof(e)), "4095");
	CHECK_STR(fmt(t, "bf_wide", &e, sizeof(e)), "0");
	CHECK_STR(fmt(t, "comm", &e, sizeof(e)), "0123456789abcdef");
	CHECK_STR(fmt(t, "flag", &e, sizeof(e)), "0");
	CHECK_STR(fmt(t, "c1", &e, sizeof(e)), "RED");
	CHECK_STR(fmt(t, "big", &e, sizeof(e)), "0");
	CHECK_STR(fmt(t, "f", &e, sizeof(e)), "-0.25");
	CHECK_STR(fmt(t, "d", &e, sizeof(e)), "1e+300");
	CHECK_STR(fmt(t, "in_x", &e, sizeof(e)), "7");       /* neighbours untouched */

	/* truncating format: snprintf-like */
	{
		char small[4];

		CHECK_EQ_INT(evtype__format(t, col_index(t, "ts"), &e, sizeof(e), small, sizeof(small)), 12);
		CHECK_STR(small, "123");
	}
	/* short record */
	CHECK_EQ_INT(evtype__check(t, sizeof(e) - 1), -EBADMSG);
	CHECK_EQ_INT(evtype__decode(t, 0, &e, sizeof(e) - 1, &v), -EBADMSG);
	evtype__free(t);
}

static void test_var_and_scalars(void)
{
	char err[256];
	uint32_t type = 0, var = btfv__find_var(btf, "g_pad", &type);
	struct evtype *t;
	struct pad r = { 5, 6 };

	CHECK(var && type);
	t = evtype__new(btf, var, err, sizeof(err));       /* a VAR stands for its type */
	CHECK(t);
	CHECK_EQ_INT(evtype__size(t), 16);
	CHECK_STR(fmt(t, "a", &r, sizeof(r)), "5");
	evtype__free(t);

	CHECK(!evtype__new(btf, 0, err, sizeof(err)));
	CHECK(!evtype__new(btf, btfv__type_count(btf), err, sizeof(err)));
	CHECK(*err);
}

static void test_bytes(void)
{
	struct evtype *t = evtype__new_bytes();
	struct evval v;
	char buf[16];

	CHECK(t);
	CHECK_EQ_INT(evtype__ncols(t), 1);
	CHECK_STR(evtype__col(t, 0)->name, "data");
	CHECK_EQ_INT(evtype__size(t), 0);
	CHECK_EQ_INT(evtype__check(t, 0), 0);
	CHECK_EQ_INT(evtype__decode(t, 0, "\x01\xab", 2, &v), 0);
	CHECK_EQ_INT(v.kind, EVCOL_BYTES);
	CHECK_EQ_INT(v.blob_len, 2);
	CHECK(!memcmp(v.blob, "\x01\xab", 2));
	CHECK_EQ_INT(evtype__format(t, 0, "\x01\xab", 2, buf, sizeof(buf)), 4);
	CHECK_STR(buf, "01ab");
	evtype__free(t);
	evtype__free(NULL);
}

/* execsnoop-style: a header and only the used part of the trailing array;
 * a flexible array; an array of structs cut mid-element. */
static void test_trailing(void)
{
	struct evtype *t = new_type("var_ev"), *f = new_type("flex_ev"), *a = new_type("arr_ev");
	struct var_ev e;
	uint8_t rec[64];
	struct evval v;

	memset(&e, 0x5a, sizeof(e));            /* what a short record leaves out */
	e.pid = 42;
	e.args_size = 9;
	memcpy(e.comm, "sh\0\0\0\0\0\0", 8);
	memcpy(e.args, "ls\0-l\0/tm\\", 10);
	CHECK_EQ_INT(evtype__size(t), 48);
	CHECK_EQ_INT(evtype__min_size(t), 16);
	CHECK(evtype__col(t, col_index(t, "args"))->trailing);
	CHECK(!evtype__col(t, col_index(t, "comm"))->trailing);
	CHECK_EQ_INT(evtype__check(t, 15), -EBADMSG);
	CHECK_EQ_INT(evtype__check(t, 16), 0);
	/* 16 + 10 bytes: the args it used, NULs escaped, nothing past the record */
	CHECK_STR(fmt(t, "args", &e, 26), "ls\\0-l\\0/tm\\\\");
	CHECK_STR(fmt(t, "pid", &e, 26), "42");
	CHECK_STR(fmt(t, "comm", &e, 26), "sh");
	CHECK_STR(fmt(t, "args", &e, 16), "");
	CHECK_STR(fmt(t, "args", &e, 19), "ls");
	/* whole: the array's own size bounds it, perf padding aside */
	memset(e.args, 0, sizeof(e.args));
	memcpy(e.args, "abc", 3);
	memcpy(rec, &e, sizeof(e));
	memset(rec + 48, 'X', 4);
	CHECK_STR(fmt(t, "args", rec, 52), "abc");
	/* text without an embedded NUL is written as it is (backslash too) */
	memcpy(e.comm, "a\\b\0\0\0\0\0", 8);
	CHECK_STR(fmt(t, "comm", &e, sizeof(e)), "a\\b");

	/* flexible: everything past the fixed part, whole elements */
	CHECK_EQ_INT(evtype__size(f), 4);
	CHECK_EQ_INT(evtype__min_size(f), 4);
	memcpy(rec, "\x03\0\0\0\x01\0\x02\0\xff\xff\x07", 11);
	CHECK_STR(fmt(f, "vals", rec, 11), "[1,2,65535]");
	CHECK_STR(fmt(f, "vals", rec, 4), "[]");
	CHECK_STR(fmt(f, "n", rec, 4), "3");
	CHECK_EQ_INT(evtype__check(f, 3), -EBADMSG);

	/* array of structs: the elements the record holds whole */
	{
		struct arr_ev r = { 2, { { 1, 2 }, { 3, 4 }, { 5, 6 } } };

		CHECK_EQ_INT(evtype__min_size(a), 4);
		CHECK_STR(fmt(a, "items", &r, sizeof(r)),
			  "[{\"x\":1,\"y\":2},{\"x\":3,\"y\":4},{\"x\":5,\"y\":6}]");
		CHECK_STR(fmt(a, "items", &r, 4 + 8 + 7), "[{\"x\":1,\"y\":2}]");
		CHECK_STR(fmt(a, "items", &r, 4 + 16), "[{\"x\":1,\"y\":2},{\"x\":3,\"y\":4}]");
	}
	/* SQL sees the clipped bytes too */
	v = val(t, "args", &e, 18);        /* "abc" cut to its first two */
	CHECK_EQ_INT(v.text_len, 2);
	CHECK(!memcmp(v.text, "ab", 2));
	evtype__free(t);
	evtype__free(f);
	evtype__free(a);
}

/* __int128 as hex of its value, byte arrays as bytes, an address last is no
 * trailing array. */
static void test_wide(void)
{
	struct evtype *t = new_type("wide_ev");
	struct wide_ev e;
	char buf[64];

	memset(&e, 0, sizeof(e));
	e.v = ((unsigned __int128)0x0123456789abcdefull << 64) | 0xfedcba9876543210ull;
	e.raw[0] = 1, e.raw[1] = -1, e.raw[2] = 0x10;
	e.last[10] = e.last[11] = 0xff, e.last[12] = 10, e.last[15] = 1;
	CHECK_EQ_INT(evtype__col(t, col_index(t, "v"))->kind, EVCOL_HEX);
	CHECK_STR(fmt(t, "v", &e, sizeof(e)), "0x0123456789abcdeffedcba9876543210");
	CHECK_EQ_INT(evtype__col(t, col_index(t, "raw"))->kind, EVCOL_BYTES);
	CHECK_STR(fmt(t, "raw", &e, sizeof(e)), "01ff10");
	CHECK_STR(fmt(t, "last", &e, sizeof(e)), "10.0.0.1");
	CHECK_EQ_INT(evtype__min_size(t), evtype__size(t));
	CHECK_EQ_INT(evtype__check(t, sizeof(e) - 1), -EBADMSG);
	CHECK_EQ_INT(evtype__format(t, col_index(t, "v"), &e, sizeof(e), buf, sizeof(buf)), 34);
	evtype__free(t);
}

/* Hand-made BTF: what clang 14 does not emit, and odd names. */
static void test_handmade(void)
{
	static struct btfgen g;
	char err[256] = "";
	uint32_t u32, s8, e64, e64s, e8, st, c;
	struct btfv *b;
	struct evtype *t;
	uint8_t rec[32];

	bg_init(&g);
	u32 = bg_int(&g, "unsigned int", 4, 0, 32);
	s8 = bg_int(&g, "s8ish", 1, BTF_INT_SIGNED, 8);
	e64 = bg_type(&g, "big_enum", BTF_KIND_ENUM64, 2, 0, 8);
	bg_u32(&g, bg_str(&g, "HUGE")), bg_u32(&g, 0x00000000), bg_u32(&g, 0x80000001);
	bg_u32(&g, bg_str(&g, "ONE")), bg_u32(&g, 1), bg_u32(&g, 0);
	e64s = bg_type(&g, "sgn_enum", BTF_KIND_ENUM64, 1, 1, 8);
	bg_u32(&g, bg_str(&g, "MINUS")), bg_u32(&g, 0xfffffffe), bg_u32(&g, 0xffffffff);
	e8 = bg_type(&g, "byte_enum", BTF_KIND_ENUM, 1, 0, 1);
	bg_u32(&g, bg_str(&g, "NEG")), bg_u32(&g, (uint32_t)-1);
	/* struct odd (kflag 0): old-style bitfield via the int's own bits */
	{
		uint32_t i3 = bg_int(&g, "int", 4, BTF_INT_SIGNED, 3);

		st = bg_type(&g, "odd", BTF_KIND_STRUCT, 7, 0, 24);
		bg_member(&g, "a b\"c", u32, 0);
		bg_member(&g, "e", e64, 64);
		bg_member(&g, "es", e64s, 128);
		bg_member(&g, "e8", e8, 32);
		bg_member(&g, "old_bf", i3, 42);        /* bits 42..44, signed */
		bg_member(&g, "A_B_C", s8, 40);         /* clashes with a b"c once sanitized */
		bg_member(&g, "", u32, 48);             /* unnamed: no column */
	}
	c = g.n;
	b = bg_parse(&g);
	CHECK_EQ_INT(btfv__type_count(b), c);
	t = evtype__new(b, st, err, sizeof(err));
	if (!t)
		fprintf(stderr, "evtype: %s\n", err);
	CHECK(t);
	btfv__free(b);                  /* the evtype keeps its own reference */
	CHECK_EQ_INT(evtype__ncols(t), 6);
	CHECK_STR(evtype__col(t, 0)->name, "a_b_c");
	CHECK_STR(evtype__col(t, 5)->name, "A_B_C_2");

	memset(rec, 0, sizeof(rec));
	rec[0] = 1;
	rec[4] = 0xff;                                          /* e8 = NEG */
	rec[5] = 0x80 | (5 << 2);                               /* s8-ish: -128 ; old_bf at bit 42 = 0b101 = -3 */
	memcpy(rec + 8, "\x00\x00\x00\x00\x01\x00\x00\x80", 8);   /* HUGE */
	memcpy(rec + 16, "\xfe\xff\xff\xff\xff\xff\xff\xff", 8);  /* MINUS */
	CHECK_STR(fmt(t, "a_b_c", rec, 24), "1");
	CHECK_STR(fmt(t, "e", rec, 24), "HUGE");
	CHECK_STR(fmt(t, "es", rec, 24), "MINUS");
	CHECK_STR(fmt(t, "e8", rec, 24), "NEG");
	CHECK_STR(fmt(t, "old_bf", rec, 24), "-3");
	CHECK_EQ_INT(val(t, "e8", rec, 24).i, -1);
	CHECK_EQ_INT(val(t, "es", rec, 24).i, -2);
	/* s8 field at byte 5 overlaps old_bf: 0x94 = -108 */
	CHECK_STR(fmt(t, "A_B_C_2", rec, 24), "-108");
	/* unknown values as numbers: unsigned enum64 big, signed enum64 negative */
	memcpy(rec + 8, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	memcpy(rec + 16, "\xfd\xff\xff\xff\xff\xff\xff\xff", 8);
	rec[4] = 0x7f;
	CHECK_STR(fmt(t, "e", rec, 24), "18446744073709551615");
	CHECK_STR(fmt(t, "es", rec, 24), "-3");
	CHECK_STR(fmt(t, "e8", rec, 24), "127");
	evtype__free(t);
	(void)s8;
}

/* Building a type must stay bounded: exponential flattening, huge JSON. */
static void test_budgets(void)
{
	static struct btfgen g;
	char err[256] = "";
	uint32_t u8, prev, id, arr, wide, emp;
	struct btfv *b;
	struct evtype *t;
	int i;

	/* S_i { S_{i+1} a; S_{i+1} b; } over an empty struct: 2^25 leaves */
	bg_init(&g);
	prev = bg_type(&g, "empty", BTF_KIND_STRUCT, 0, 0, 0);
	for (i = 0; i < 25; i++) {
		id = bg_type(&g, "s", BTF_KIND_STRUCT, 2, 0, 0);
		bg_member(&g, "a", prev, 0);
		bg_member(&g, "b", prev, 0);
		prev = id;
	}
	/* the same over a u8: 2^25 columns */
	u8 = bg_int(&g, "unsigned char", 1, 0, 8);
	wide = u8;
	for (i = 0; i < 25; i++) {
		id = bg_type(&g, "w", BTF_KIND_STRUCT, 2, 0, 2u << i);
		bg_member(&g, "a", wide, 0);
		bg_member(&g, "b", wide, 8u << i);
		wide = id;
	}
	/* an array of 2^30 empty structs */
	emp = bg_type(&g, "e0", BTF_KIND_STRUCT, 0, 0, 0);
	arr = bg_type(&g, "", BTF_KIND_ARRAY, 0, 0, 0);
	bg_u32(&g, emp), bg_u32(&g, u8), bg_u32(&g, 1u << 30);
	id = bg_type(&g, "holder", BTF_KIND_STRUCT, 1, 0, 0);
	bg_member(&g, "many", arr, 0);
	b = bg_parse(&g);
	CHECK(!evtype__new(b, prev, err, sizeof(err)));
	CHECK(strstr(err, "complex"));
	CHECK(!evtype__new(b, wide, err, sizeof(err)));
	CHECK(strstr(err, "columns"));
	t = evtype__new(b, id, err, sizeof(err));
	CHECK(t);
	{
		struct evval v;

		CHECK_EQ_INT(evtype__decode(t, 0, "", 0, &v), -E2BIG);
		CHECK(v.is_null);
	}
	evtype__free(t);
	btfv__free(b);
}

int main(void)
{
	const char *dir = test_tmpdir("evtype");
	char src[8192], err[256] = "";
	uint8_t *raw;
	size_t len = 0;

	snprintf(src, sizeof(src), "%s\n", event_types_src);
	raw = btfgen_compile(dir, src, &len);
	btf = btfv__parse(raw, len, err, sizeof(err));
	if (!btf)
		fprintf(stderr, "btfv__parse: %s\n", err);
	CHECK(btf);
	free(raw);

	test_padding();
	test_small_padded();
	test_event();
	test_var_and_scalars();
	test_bytes();
	test_trailing();
	test_wide();
	test_handmade();
	test_budgets();
	btfv__free(btf);
	printf("test_evtype: ok\n");
	return 0;
}
