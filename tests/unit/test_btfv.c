/* test_btfv - the validating BTF parser on real clang output and on hostile
 * input: every truncation, deterministic random mutations (each accepted blob
 * is then used in full: sizes, names, evtype columns, decoding), and
 * hand-made cycles, bad ids, bad names, overflowing sizes, deep chains. */
#include "testutil.h"
#include "fixtures/btfgen.h"

#include <errno.h>
#include <time.h>

#include "btfv.h"
#include "evtype.h"

static const char src[] =
	"typedef unsigned int u32; typedef unsigned long long u64;\n"
	"typedef unsigned char bpfrec_ipaddr[16];\n"
	"struct node { struct node *next; u32 v; };\n"
	"enum e { A, B = 5, C = -1 };\n"
	"struct ev {\n"
	"  u64 ts; struct node n; char comm[16]; enum e k; int bf : 3; unsigned ub : 7;\n"
	"  union { u32 x; float f; }; u32 arr[4][2]; bpfrec_ipaddr ip; _Bool b; double d;\n"
	"  const volatile u32 cv; struct node nodes[2]; signed char sc;\n"
	"  enum e ebf : 4; unsigned long long wide : 40; float fa[2]; char names[2][4];\n"
	"  bpfrec_ipaddr ips[2]; struct { short s; } __attribute__((packed)) pk[3];\n"
	"} __attribute__((btf_decl_tag(\"bpfrec_event\")));\n"
	"struct ev g_ev;\n"
	"int __attribute__((btf_type_tag(\"user\"))) *g_ptr;\n"
	"__attribute__((noinline)) int helper(struct ev *e, int x) { return e->bf + x; }\n"
	"__attribute__((section(\"tp/x\"), used)) int prog(void *ctx) { return helper(&g_ev, 1); }\n";

static struct btfv *parse(const void *data, size_t len, char *err, size_t errlen)
{
	/* an exact-size heap copy so ASan sees any read past the end */
	uint8_t *copy = malloc(len ? len : 1);
	struct btfv *b;

	memcpy(copy, data, len);
	b = btfv__parse(copy, len, err, errlen);
	memset(copy, 0xa5, len);        /* btfv must have copied what it keeps */
	free(copy);
	return b;
}

/* Uses everything a consumer would use on an accepted blob. */
static void exercise(struct btfv *b, uint64_t *rng)
{
	uint32_t n = btfv__type_count(b), id;
	char err[256], buf[512];

	CHECK(n >= 1);
	CHECK(!btfv__type(b, 0));
	CHECK(!btfv__type(b, n));
	CHECK(btfv__resolve(b, n) == 0);
	CHECK(btfv__size(b, n) == -1);
	CHECK(*btfv__name(b, 0xffffffffu) == 0);
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btfv__type(b, id);
		uint32_t r = btfv__resolve(b, id);
		int64_t size = btfv__size(b, id);
		struct evtype *et;

		CHECK(t);
		CHECK(r < n);
		CHECK(size >= -1 && size <= BTFV_MAX_SIZE);
		(void)strlen(btfv__name(b, t->name_off));
		if (!btfv__usable(b, id))
			CHECK(size == -1 && r == 0);
		et = evtype__new(b, id, err, sizeof(err));
		if (et && evtype__size(et) > (1u << 20)) {
			/* mutated array counts: building is the point, not
			 * filling hundreds of MiB with random bytes */
			CHECK(!evtype__min_size(et) ||
			      evtype__check(et, evtype__min_size(et) - 1) == -EBADMSG);
			evtype__free(et);
		} else if (et) {
			uint32_t sz = evtype__size(et), k;
			uint8_t *rec = malloc(sz ? sz : 1);
			size_t i;

			for (k = 0; k < sz; k++)
				rec[k] = test_rand(rng);
			CHECK(evtype__ncols(et) >= 1);
			CHECK(evtype__check(et, sz) == 0);
			CHECK(evtype__min_size(et) <= sz);
			CHECK(!evtype__min_size(et) ||
			      evtype__check(et, evtype__min_size(et) - 1) == -EBADMSG);
			for (i = 0; i < evtype__ncols(et); i++) {
				const struct evcol *c = evtype__col(et, i);
				int ret = evtype__format(et, i, rec, sz, buf, sizeof(buf));

				CHECK(c && c->name && *c->name);
				CHECK(ret >= 0 || ret == -E2BIG);
			}
			free(rec);
			evtype__free(et);
		}
	}
	(void)btfv__find_struct(b, "ev");
	(void)btfv__find_var(b, "g_ev", &id);
	(void)btfv__next_decl_tag(b, 0, NULL);
}

static void test_real(const uint8_t *raw, size_t len)
{
	char err[256] = "";
	struct btfv *b = parse(raw, len, err, sizeof(err));
	uint32_t ev, node, var, type = 0, tag;
	const struct btf_type *t;
	uint64_t rng = 1;

	if (!b)
		fprintf(stderr, "parse: %s\n", err);
	CHECK(b);
	ev = btfv__find_struct(b, "ev");
	node = btfv__find_struct(b, "node");
	CHECK(ev && node);
	CHECK_EQ_INT(btfv__size(b, node), 16);           /* self pointer: a leaf */
	CHECK_EQ_INT(btfv__resolve(b, ev), ev);
	CHECK(btfv__usable(b, ev));
	var = btfv__find_var(b, "g_ev", &type);
	CHECK(var);
	CHECK_EQ_INT(type, ev);
	CHECK_EQ_INT(btfv__size(b, var), btfv__size(b, ev));
	CHECK(!btfv__find_struct(b, "nope"));
	CHECK(!btfv__find_var(b, "nope", NULL));
	tag = btfv__next_decl_tag(b, 0, "bpfrec_event");
	CHECK(tag);
	CHECK_EQ_INT(btfv__type(b, tag)->type, ev);
	CHECK(!btfv__next_decl_tag(b, tag, "bpfrec_event"));
	t = btfv__type(b, ev);
	CHECK_STR(btfv__name(b, t->name_off), "ev");
	CHECK_EQ_INT(BTF_INFO_KIND(t->info), BTF_KIND_STRUCT);
	exercise(b, &rng);
	/* the caller's buffer is not needed after parse (parse() scribbles on it) */
	CHECK_STR(btfv__name(b, btfv__type(b, node)->name_off), "node");
	/* refcount */
	CHECK(btfv__get(b) == b);
	btfv__free(b);
	CHECK_STR(btfv__name(b, t->name_off), "ev");
	btfv__free(b);
	btfv__free(NULL);
	CHECK(!btfv__parse(NULL, 0, err, sizeof(err)));
	btfv__free(btfv__parse(raw, len, NULL, 0));     /* err may be NULL */
	CHECK(!btfv__parse(raw, 3, NULL, 0));
}

static void test_truncations(const uint8_t *raw, size_t len)
{
	char err[256];
	size_t n;

	for (n = 0; n < len; n++) {
		struct btfv *b = parse(raw, n, err, sizeof(err));

		if (b) {
			fprintf(stderr, "truncated to %zu of %zu bytes: accepted\n", n, len);
			exit(1);
		}
		CHECK(*err);
	}
}

static void test_mutations(const uint8_t *raw, size_t len, int iters, uint64_t seed)
{
	uint8_t *buf = malloc(len);
	uint64_t rng = seed;
	uint32_t count;
	int it, accepted = 0;
	char err[256];

	{
		struct btfv *b = parse(raw, len, err, sizeof(err));

		count = btfv__type_count(b);
		btfv__free(b);
	}
	for (it = 0; it < iters; it++) {
		int k, nmut = 1 + test_rand(&rng) % 4;
		struct btfv *b;

		memcpy(buf, raw, len);
		for (k = 0; k < nmut; k++) {
			uint64_t r = test_rand(&rng);
			size_t off = (r >> 8) % len;

			switch (r % 4) {
			case 0:         /* flip a bit */
				buf[off] ^= 1u << ((r >> 40) % 8);
				break;
			case 1:         /* a random byte */
				buf[off] = r >> 40;
				break;
			default: {      /* an aligned u32 that looks like an id, count or size */
				static const uint32_t vals[] = { 0, 1, 0xffffffffu, 0x7fffffffu, 0x80000000u,
								 0x01000000u, 0xffffu };
				uint32_t v;

				off &= ~(size_t)3;
				if (off + 4 > len)
					break;
				if (r & (1ull << 63))
					v = vals[(r >> 40) % (sizeof(vals) / sizeof(vals[0]))];
				else
					v = (r >> 40) % (count + 3);
				memcpy(buf + off, &v, 4);
				break;
			}
			}
		}
		b = parse(buf, len, err, sizeof(err));
		if (b) {
			accepted++;
			exercise(b, &rng);
			btfv__free(b);
		} else {
			CHECK(*err);
		}
	}
	printf("mutations: %d iterations (seed 0x%llx), %d accepted and exercised\n", iters,
	       (unsigned long long)seed, accepted);
	free(buf);
}

static struct btfgen g;

static struct btfv *hand(char *err, size_t errlen)
{
	size_t len;
	uint8_t *blob = bg_blob(&g, &len);
	struct btfv *b = parse(blob, len, err, errlen);

	free(blob);
	return b;
}

static void expect_reject(const char *what, const char *needle)
{
	char err[256] = "";
	struct btfv *b = hand(err, sizeof(err));

	if (b) {
		fprintf(stderr, "%s: accepted\n", what);
		exit(1);
	}
	if (needle && !strstr(err, needle)) {
		fprintf(stderr, "%s: error \"%s\" lacks \"%s\"\n", what, err, needle);
		exit(1);
	}
}

static struct btfv *expect_accept(const char *what)
{
	char err[256] = "";
	struct btfv *b = hand(err, sizeof(err));

	if (!b) {
		fprintf(stderr, "%s: rejected: %s\n", what, err);
		exit(1);
	}
	return b;
}

static void test_handmade(void)
{
	uint32_t u32, a, s, p, prev, i, top;
	struct btfv *b;
	char err[256];
	clock_t t0;

	/* typedef A -> typedef B -> A */
	bg_init(&g);
	bg_type(&g, "A", BTF_KIND_TYPEDEF, 0, 0, 2);
	bg_type(&g, "B", BTF_KIND_TYPEDEF, 0, 0, 1);
	expect_reject("typedef cycle", "cycle");
	/* const -> itself */
	bg_init(&g);
	bg_type(&g, "", BTF_KIND_CONST, 0, 0, 1);
	expect_reject("self const", "cycle");
	/* struct containing itself by value */
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	s = bg_type(&g, "S", BTF_KIND_STRUCT, 2, 0, 8);
	bg_member(&g, "x", u32, 0);
	bg_member(&g, "self", s, 32);
	expect_reject("struct in itself", "cycle");
	/* struct -> array -> typedef -> struct */
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	s = bg_type(&g, "S", BTF_KIND_STRUCT, 1, 0, 4);
	bg_member(&g, "arr", s + 1, 0);
	a = bg_type(&g, "", BTF_KIND_ARRAY, 0, 0, 0);
	bg_u32(&g, a + 1), bg_u32(&g, u32), bg_u32(&g, 1);
	bg_type(&g, "T", BTF_KIND_TYPEDEF, 0, 0, s);
	expect_reject("struct/array/typedef cycle", "cycle");
	/* struct with a pointer to itself: fine */
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	s = bg_type(&g, "S", BTF_KIND_STRUCT, 2, 0, 16);
	bg_member(&g, "next", s + 1, 0);
	bg_member(&g, "x", u32, 64);
	p = bg_type(&g, "", BTF_KIND_PTR, 0, 0, s);
	b = expect_accept("self pointer");
	CHECK_EQ_INT(btfv__size(b, s), 16);
	CHECK_EQ_INT(btfv__size(b, p), 8);
	btfv__free(b);

	/* ids out of range */
	bg_init(&g);
	bg_type(&g, "T", BTF_KIND_TYPEDEF, 0, 0, 99);
	expect_reject("typedef -> 99", "type id");
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	bg_type(&g, "S", BTF_KIND_STRUCT, 1, 0, 4);
	bg_member(&g, "x", 3, 0);
	expect_reject("member -> 3 of 3", "type id");
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	bg_type(&g, "", BTF_KIND_ARRAY, 0, 0, 0);
	bg_u32(&g, u32), bg_u32(&g, 77), bg_u32(&g, 4);
	expect_reject("array index type 77", "type id");
	bg_init(&g);
	bg_type(&g, "", BTF_KIND_FUNC_PROTO, 1, 0, 0);
	bg_u32(&g, 0), bg_u32(&g, 5);
	expect_reject("param -> 5", "type id");
	bg_init(&g);
	bg_type(&g, "v", BTF_KIND_DATASEC, 1, 0, 4);
	bg_u32(&g, 9), bg_u32(&g, 0), bg_u32(&g, 4);
	expect_reject("datasec -> 9", "type id");

	/* names past the end */
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	memcpy(g.types, &(uint32_t){ 1000 }, 4);
	expect_reject("type name offset", "name offset");
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	bg_type(&g, "S", BTF_KIND_STRUCT, 1, 0, 4);
	bg_u32(&g, g.slen), bg_u32(&g, u32), bg_u32(&g, 0);
	expect_reject("member name offset == str_len", "name offset");
	bg_init(&g);
	bg_type(&g, "E", BTF_KIND_ENUM, 1, 0, 4);
	bg_u32(&g, 0xffffffffu), bg_u32(&g, 1);
	expect_reject("enumerator name offset", "name offset");

	/* kinds and records */
	bg_init(&g);
	bg_type(&g, "x", 20, 0, 0, 4);
	expect_reject("kind 20", "unknown kind");
	bg_init(&g);
	bg_type(&g, "x", BTF_KIND_UNKN, 0, 0, 4);
	expect_reject("kind 0", "unknown kind");
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	bg_type(&g, "S", BTF_KIND_STRUCT, 5, 0, 4);
	bg_member(&g, "x", u32, 0);
	expect_reject("struct vlen past the section", "past the type section");
	bg_init(&g);
	bg_int(&g, "i", 3, 0, 24);
	expect_reject("int size 3", "invalid int");
	bg_init(&g);
	bg_int(&g, "i", 4, 0, 33);
	expect_reject("int bits 33 in 4 bytes", "invalid int");
	bg_init(&g);
	bg_int(&g, "i", 4, 3, 32);
	expect_reject("int encoding signed|char", "invalid int");
	bg_init(&g);
	bg_type(&g, "E", BTF_KIND_ENUM, 0, 0, 3);
	expect_reject("enum size 3", "invalid kind");

	/* sizes */
	bg_init(&g);
	u32 = bg_int(&g, "u64", 8, 0, 64);
	a = bg_type(&g, "", BTF_KIND_ARRAY, 0, 0, 0);
	bg_u32(&g, u32), bg_u32(&g, u32), bg_u32(&g, 0xffffffffu);
	bg_type(&g, "", BTF_KIND_ARRAY, 0, 0, 0);
	bg_u32(&g, a), bg_u32(&g, u32), bg_u32(&g, 0xffffffffu);
	expect_reject("array overflow", "too large");
	bg_init(&g);
	u32 = bg_int(&g, "u8", 1, 0, 8);
	bg_type(&g, "", BTF_KIND_ARRAY, 0, 0, 0);
	bg_u32(&g, u32), bg_u32(&g, u32), bg_u32(&g, 0x80000000u);
	expect_reject("2 GiB array", "too large");
	bg_init(&g);
	bg_type(&g, "S", BTF_KIND_STRUCT, 0, 0, 0xfffffff0u);
	expect_reject("4 GiB struct", "too large");
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	bg_type(&g, "S", BTF_KIND_STRUCT, 1, 0, 4);
	bg_member(&g, "x", u32, 8);
	expect_reject("member past the struct", "outside");
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	bg_type(&g, "S", BTF_KIND_STRUCT, 1, 1, 4);
	bg_member(&g, "x", u32, 5u << 24 | 28);
	expect_reject("bitfield past the struct", "bitfield");
	bg_init(&g);
	u32 = bg_int(&g, "u32", 4, 0, 32);
	s = bg_type(&g, "In", BTF_KIND_STRUCT, 1, 0, 4);
	bg_member(&g, "x", u32, 0);
	bg_type(&g, "S", BTF_KIND_STRUCT, 1, 1, 4);
	bg_member(&g, "x", s, 3u << 24);
	expect_reject("bitfield of a struct", "bitfield");
	bg_init(&g);
	s = bg_type(&g, "S", BTF_KIND_STRUCT, 1, 0, 4);
	bg_member(&g, "f", s + 1, 0);
	bg_type(&g, "F", BTF_KIND_FWD, 0, 0, 0);
	expect_reject("member of a forward type", "no size");
	bg_init(&g);
	u32 = bg_int(&g, "u64", 8, 0, 64);
	p = bg_type(&g, "", BTF_KIND_PTR, 0, 0, u32);
	bg_type(&g, "S", BTF_KIND_STRUCT, 1, 0, 16);
	bg_member(&g, "x", p, 4);
	expect_reject("unaligned pointer", "aligned");  /* ints: allowed (read by bits) */

	/* depth: 31 typedefs over an int are usable, 40 are kept but not usable */
	bg_init(&g);
	prev = bg_int(&g, "int", 4, BTF_INT_SIGNED, 32);
	for (i = 0; i < 40; i++)
		prev = bg_type(&g, "t", BTF_KIND_TYPEDEF, 0, 0, prev);
	b = expect_accept("40 typedefs");
	CHECK(btfv__usable(b, 32));
	CHECK_EQ_INT(btfv__resolve(b, 32), 1);
	CHECK_EQ_INT(btfv__size(b, 32), 4);
	CHECK(!btfv__usable(b, 33));
	CHECK_EQ_INT(btfv__resolve(b, 41), 0);
	CHECK_EQ_INT(btfv__size(b, 41), -1);
	CHECK(!evtype__new(b, 41, err, sizeof(err)));
	btfv__free(b);
	/* a 300000-long chain: no recursion, no time.  id k -> k+1, the last -> 1 */
	bg_init(&g);
	bg_int(&g, "int", 4, BTF_INT_SIGNED, 32);
	for (i = 0; i < 300000; i++)
		prev = bg_type(&g, "", BTF_KIND_CONST, 0, 0, i < 299999 ? 3 + i : 1);
	t0 = clock();
	b = expect_accept("300000 consts");
	CHECK((clock() - t0) < 5 * CLOCKS_PER_SEC);
	CHECK(!btfv__usable(b, 2));
	CHECK(btfv__usable(b, prev));
	CHECK_EQ_INT(btfv__resolve(b, prev), 1);
	btfv__free(b);
	/* a long cycle is found too */
	memcpy(g.types + g.tlen - 4, &(uint32_t){ 2 }, 4);
	expect_reject("300000-long cycle", "cycle");

	/* a wide DAG (each level two members of the level below) stays linear */
	bg_init(&g);
	prev = bg_int(&g, "u8", 1, 0, 8);
	for (i = 0; i < 30; i++) {
		top = bg_type(&g, "w", BTF_KIND_UNION, 2, 0, 1);
		bg_member(&g, "a", prev, 0);
		bg_member(&g, "b", prev, 0);
		prev = top;
	}
	t0 = clock();
	b = expect_accept("wide DAG");
	CHECK((clock() - t0) < CLOCKS_PER_SEC);
	btfv__free(b);

	/* an empty BTF */
	bg_init(&g);
	b = expect_accept("no types");
	CHECK_EQ_INT(btfv__type_count(b), 1);
	CHECK(!btfv__find_struct(b, ""));
	btfv__free(b);
}

static void test_header(const uint8_t *raw, size_t len)
{
	uint8_t *buf = malloc(len + 8);
	struct btf_header h;
	char err[256];

#define MUT(stmt, needle) do { \
	memcpy(buf, raw, len); memcpy(&h, raw, sizeof(h)); stmt; memcpy(buf, &h, sizeof(h)); \
	CHECK(!parse(buf, len, err, sizeof(err))); \
	if (!strstr(err, needle)) { fprintf(stderr, "%s: \"%s\" lacks \"%s\"\n", #stmt, err, needle); exit(1); } \
} while (0)
	MUT(h.magic = 0x1234, "magic");
	MUT(h.magic = 0x9feb, "big-endian");
	MUT(h.version = 2, "version");
	MUT(h.hdr_len = 8, "header length");
	MUT(h.hdr_len = len + 1, "header length");
	MUT(h.type_len += 4, "overlap");
	MUT(h.str_len += 1, "outside");
	MUT(h.str_off = 0xfffffff0u, "outside");
	MUT(h.type_len = 0xfffffffcu, "outside");
	MUT(h.type_off = 2, "aligned");
	MUT(h.str_off = h.type_off, "overlap");
	MUT(h.str_len = 0, "NUL");
	MUT(h.str_len -= 1, "NUL");
#undef MUT
	/* a longer header (future fields) is fine if the offsets say so */
	memcpy(&h, raw, sizeof(h));
	h.hdr_len += 8;
	memcpy(buf, &h, sizeof(h));
	memset(buf + sizeof(h), 0, 8);
	memcpy(buf + sizeof(h) + 8, raw + sizeof(h), len - sizeof(h));
	{
		struct btfv *b = parse(buf, len + 8, err, sizeof(err));

		CHECK(b);
		btfv__free(b);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	const char *dir = test_tmpdir("btfv");
	uint8_t *raw;
	size_t len = 0;
	/* test_btfv [ITERATIONS [SEED]]: longer runs by hand */
	int iters = argc > 1 ? atoi(argv[1]) : 20000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5eed;

	raw = btfgen_compile(dir, src, &len);
	test_real(raw, len);
	test_header(raw, len);
	test_handmade();
	test_truncations(raw, len);
	test_mutations(raw, len, iters, seed);
	free(raw);
	printf("test_btfv: ok\n");
	return 0;
}
