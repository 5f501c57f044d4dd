/* test_utf8 - the one UTF-8 validator and JSON string escaper (replay/utf8.c):
 * valid and invalid sequences, JSON escapes (control bytes, DEL, bytes of
 * invalid sequences), the terminal escaping built on the same validator
 * (C1 controls and stray bytes as \xNN), and that no second validator or
 * escaper has come back into the sources. */
#include "testutil.h"
#include "print.h"
#include "utf8.h"

#include <dirent.h>
#include <limits.h>

static int put(void *ctx, const char *s, size_t n)
{
	return strbuf__add(ctx, s, n);
}

static int fail_put(void *ctx, const char *s, size_t n)
{
	(void)ctx, (void)s, (void)n;
	return -5;
}

static void check_seq(const char *s, size_t n, size_t want, uint32_t want_cp)
{
	uint32_t cp = 0xffffffff;
	size_t got = utf8__seq(s, n, &cp);

	if (got != want || (want && cp != want_cp)) {
		fprintf(stderr, "utf8__seq(%02x.., %zu) = %zu cp %x, expected %zu cp %x\n",
			(unsigned char)s[0], n, got, cp, want, want_cp);
		exit(1);
	}
}

static void test_seq(void)
{
	check_seq("a", 1, 1, 'a');
	check_seq("\xc3\xa9", 2, 2, 0xe9);
	check_seq("\xe2\x82\xac", 3, 3, 0x20ac);
	check_seq("\xf0\x9f\x98\x80", 4, 4, 0x1f600);
	check_seq("\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff);
	check_seq("\xc2\x9b", 2, 2, 0x9b);
	check_seq("\xc3\xa9", 1, 0, 0);            /* cut short */
	check_seq("\xc0\x80", 2, 0, 0);            /* overlong NUL */
	check_seq("\xc1\xbf", 2, 0, 0);            /* overlong */
	check_seq("\xe0\x80\xaf", 3, 0, 0);        /* overlong '/' */
	check_seq("\xed\xa0\x80", 3, 0, 0);        /* surrogate */
	check_seq("\xf4\x90\x80\x80", 4, 0, 0);    /* past U+10FFFF */
	check_seq("\xf5\x80\x80\x80", 4, 0, 0);
	check_seq("\x80", 1, 0, 0);                /* a lone continuation */
	check_seq("\xe2\x28\xa1", 3, 0, 0);        /* bad continuation */
	check_seq("\xff", 1, 0, 0);
}

static void check_json(const char *in, size_t n, const char *want)
{
	struct strbuf b = { 0 };

	CHECK(!utf8__json_string(in, n, 0, put, &b));
	CHECK_STR(b.buf, want);
	strbuf__free(&b);
}

static void test_json(void)
{
	check_json("", 0, "\"\"");
	check_json("plain", 5, "\"plain\"");
	check_json("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_json("\n\r\t\x01\x1b[2J\x7f", 9, "\"\\n\\r\\t\\u0001\\u001b[2J\\u007f\"");
	check_json("caf\xc3\xa9 \xe2\x82\xac", 9, "\"caf\xc3\xa9 \xe2\x82\xac\"");
	check_json("x\xff" "y\xc3", 4, "\"x\\u00ffy\\u00c3\"");
	check_json("a\0b", 3, "\"a\\u0000b\"");
	/* Raw bytes: for paths, whose reader takes them back as they are. */
	struct strbuf b = { 0 };
	CHECK(!utf8__json_string("/t\xff\"", 4, UTF8_JSON_RAW_BYTES, put, &b));
	CHECK_STR(b.buf, "\"/t\xff\\\"\"");
	strbuf__free(&b);
	/* A sink's error stops it. */
	CHECK_EQ_INT(utf8__json_string("abc", 3, 0, fail_put, NULL), -5);
}

static void check_term(const char *in, size_t n, const char *want)
{
	struct strbuf b = { 0 };
	struct pval v = { .kind = PV_TEXT, .s = in, .len = n };

	CHECK(!print__value(&b, &v, 1));
	CHECK_STR(b.buf ? b.buf : "", want);
	strbuf__free(&b);
}

static void test_terminal(void)
{
	check_term("caf\xc3\xa9", 5, "caf\xc3\xa9");
	check_term("\x1b[31m", 5, "\\x1b[31m");
	check_term("a\xc2\x9b" "31m", 6, "a\\xc2\\x9b31m");       /* C1 CSI in UTF-8 */
	check_term("a\x9b" "31m", 5, "a\\x9b31m");               /* raw 8-bit CSI */
	check_term("\xff\xfe", 2, "\\xff\\xfe");
	check_term("\xc2\xa0", 2, "\xc2\xa0");                   /* U+00A0 is text */
}

/* Sources: a UTF-8 decoder rejects surrogates (0xd800) and a JSON escaper
 * writes \u00XX; each may appear in replay/utf8.c only. */
static void scan(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	DIR *d = opendir(dir);
	struct dirent *e;

	CHECK(d);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			char sub[PATH_MAX];
			snprintf(sub, sizeof(sub), "%s%s/", rel, e->d_name);
			scan(path, sub);
			continue;
		}
		if (l < 3 || strcmp(e->d_name + l - 2, ".c") || !strcmp(e->d_name, "utf8.c"))
			continue;
		FILE *f = fopen(path, "r");
		char line[4096];
		int ln = 0;
		CHECK(f);
		while (fgets(line, sizeof(line), f)) {
			ln++;
			if (strstr(line, "0xd800") || strstr(line, "\\\\u%04x") ||
			    strstr(line, "\\\\u%04X")) {
				fprintf(stderr, "%s%s:%d: a second UTF-8 validator or JSON "
					"escaper (use replay/utf8.h): %s", rel, e->d_name, ln, line);
				exit(1);
			}
		}
		fclose(f);
	}
	closedir(d);
}

int main(void)
{
	const char *src = getenv("BPFREC_SRC");
	static const char *const dirs[] = { "replay", "schema", "recorder" };
	char path[PATH_MAX];

	test_seq();
	test_json();
	test_terminal();
	if (src && *src) {
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			char rel[64];
			snprintf(path, sizeof(path), "%s/%s", src, dirs[i]);
			snprintf(rel, sizeof(rel), "%s/", dirs[i]);
			scan(path, rel);
		}
	}
	printf("test_utf8: ok\n");
	return 0;
}
