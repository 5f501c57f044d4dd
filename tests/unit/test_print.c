/* test_print - the printers (table, CSV, JSON Lines, logfmt) and wall time
 * (formatting, parsing, the canonical-prefix rule the time pushdown uses),
 * byte for byte. */
#include "testutil.h"

#include <errno.h>
#include <math.h>

#include "print.h"
#include "timefmt.h"

/* Runs rows through a printer into memory; returns the text (static). */
static const char *render(enum print_fmt fmt, size_t ncols, const char *const *names,
			  const struct pval *rows, size_t nrows)
{
	static char *buf;
	size_t len = 0;
	FILE *f;
	struct printer *p;

	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	CHECK(f);
	p = printer__new(f, fmt, ncols, names);
	CHECK(p);
	for (size_t r = 0; r < nrows; r++)
		CHECK_EQ_INT(printer__row(p, rows + r * ncols), 0);
	CHECK_EQ_INT(printer__end(p), 0);
	CHECK_EQ_U64(printer__rows(p), nrows);
	printer__free(p);
	fclose(f);
	return buf;
}

#define TXT(x) { .kind = PV_TEXT, .s = (x), .len = sizeof(x) - 1 }
#define INT(x) { .kind = PV_INT, .i = (x) }
#define UINT(x) { .kind = PV_UINT, .u = (x) }
#define REAL(x) { .kind = PV_REAL, .f = (x) }
#define NUL { .kind = PV_NULL }
#define ABSENT { .kind = PV_ABSENT }

static void test_csv(void)
{
	const char *names[] = { "id", "name", "big", "x" };
	struct pval rows[] = {
		INT(-1), TXT("plain"), UINT(18446744073709551615ull), REAL(0.5),
		INT(2), TXT("a,b"), UINT(1), NUL,
		INT(3), TXT("say \"hi\"\nbye"), UINT(0), ABSENT,
		INT(4), TXT(" lead"), { .kind = PV_BLOB, .s = "\x01\xff", .len = 2 }, REAL(1),
		INT(5), TXT(""), { .kind = PV_JSON, .s = "[1,2]", .len = 5 }, REAL(1e300),
	};
	CHECK_STR(render(PRINT_CSV, 4, names, rows, 5),
		  "id,name,big,x\n"
		  "-1,plain,18446744073709551615,0.5\n"
		  "2,\"a,b\",1,\n"
		  "3,\"say \"\"hi\"\"\nbye\",0,\n"
		  "4,\" lead\",01ff,1.0\n"
		  "5,\"\",\"[1,2]\",1e+300\n");
	/* a header even without rows */
	CHECK_STR(render(PRINT_CSV, 4, names, rows, 0), "id,name,big,x\n");
}

static void test_jsonl(void)
{
	const char *names[] = { "n", "s", "u", "r", "j", "b", "gone" };
	struct pval rows[] = {
		INT(-7), TXT("tab\there \"q\" \\ \x01 caf\xc3\xa9 bad\xff"), UINT(9223372036854775808ull),
		REAL(0.1), { .kind = PV_JSON, .s = "[1,[2,3]]", .len = 9 },
		{ .kind = PV_BLOB, .s = "\xde\xad", .len = 2 }, ABSENT,
		NUL, TXT(""), UINT(0), REAL(NAN), { .kind = PV_JSON, .s = "", .len = 0 }, NUL, INT(1),
	};
	CHECK_STR(render(PRINT_JSONL, 7, names, rows, 2),
		  "{\"n\":-7,\"s\":\"tab\\there \\\"q\\\" \\\\ \\u0001 caf\xc3\xa9 bad\\u00ff\","
		  "\"u\":9223372036854775808,\"r\":0.1,\"j\":[1,[2,3]],\"b\":\"dead\"}\n"
		  "{\"n\":null,\"s\":\"\",\"u\":0,\"r\":null,\"j\":null,\"b\":null,\"gone\":1}\n");
}

static void test_table(void)
{
	const char *names[] = { "id", "comm", "ret" };
	struct pval rows[] = {
		INT(1), TXT("bash"), INT(-111),
		INT(1000), TXT("line\nbreak"), NUL,
		INT(22), TXT("caf\xc3\xa9"), INT(0),
	};
	CHECK_STR(render(PRINT_TABLE, 3, names, rows, 3),
		  "  id  comm          ret\n"
		  "----  -----------  ----\n"
		  "   1  bash         -111\n"
		  "1000  line\\nbreak  NULL\n"
		  "  22  caf\xc3\xa9            0\n");
	/* more rows than the sample: the widths stay, the rest streams */
	struct pval *many = calloc(PRINT_TABLE_SAMPLE + 2, sizeof(*many));
	CHECK(many);
	for (size_t i = 0; i < PRINT_TABLE_SAMPLE + 2; i++)
		many[i] = (struct pval)INT((int64_t)i);
	const char *one[] = { "n" };
	const char *out = render(PRINT_TABLE, 1, one, many, PRINT_TABLE_SAMPLE + 2);
	CHECK(strstr(out, "\n  0\n"));   /* width from the sample: 999 */
	CHECK(strstr(out, "\n1001\n"));
	free(many);
}

static void test_logfmt(void)
{
	struct strbuf b = { 0 };
	struct pval v1 = TXT("bash"), v2 = TXT("x y=\"z\""), v3 = TXT(""), v4 = INT(-3),
		    v5 = UINT(18446744073709551615ull), v6 = NUL, v7 = TXT("a\nb");

	CHECK_EQ_INT(print__logfmt_pair(&b, "comm", &v1), 0);
	strbuf__add(&b, " ", 1);
	print__logfmt_pair(&b, "c2", &v2);
	strbuf__add(&b, " ", 1);
	print__logfmt_pair(&b, "e", &v3);
	strbuf__add(&b, " ", 1);
	print__logfmt_pair(&b, "ret", &v4);
	strbuf__add(&b, " ", 1);
	print__logfmt_pair(&b, "big", &v5);
	strbuf__add(&b, " ", 1);
	print__logfmt_pair(&b, "n", &v6);
	strbuf__add(&b, " ", 1);
	print__logfmt_pair(&b, "nl", &v7);
	CHECK_STR(b.buf, "comm=bash c2=\"x y=\\\"z\\\"\" e=\"\" ret=-3 big=18446744073709551615 n=NULL "
			 "nl=\"a\\nb\"");
	strbuf__free(&b);

	enum print_fmt f;
	CHECK_EQ_INT(print__parse_fmt("csv", &f), 0);
	CHECK_EQ_INT(f, PRINT_CSV);
	CHECK_EQ_INT(print__parse_fmt("json", &f), 0);
	CHECK_EQ_INT(f, PRINT_JSONL);
	CHECK_EQ_INT(print__parse_fmt("xml", &f), -EINVAL);
}

static void test_time(void)
{
	char b[TIMEFMT_LEN + 1];
	int64_t w, ns;
	int full;

	CHECK_STR(timefmt__iso(0, b, sizeof(b)), "1970-01-01T00:00:00.000000000Z");
	CHECK_STR(timefmt__iso(1714564801000000700LL, b, sizeof(b)), "2024-05-01T12:00:01.000000700Z");
	CHECK_STR(timefmt__iso(-1, b, sizeof(b)), "1969-12-31T23:59:59.999999999Z");
	CHECK_STR(timefmt__iso(951782400LL * 1000000000, b, sizeof(b)), "2000-02-29T00:00:00.000000000Z");
	CHECK_EQ_INT(strlen(b), TIMEFMT_LEN);

	CHECK_EQ_INT(timefmt__parse_iso("2024-05-01T12:00:01.0000007Z", &w), 0);
	CHECK_EQ_INT(w, 1714564801000000700LL);
	CHECK_EQ_INT(timefmt__parse_iso("2024-05-01 14:00:01.5+02:00", &w), 0);
	CHECK_EQ_INT(w, 1714564801500000000LL);
	CHECK_EQ_INT(timefmt__parse_iso("2024-05-01T12:00", &w), 0);
	CHECK_EQ_INT(w, 1714564800000000000LL);
	CHECK_EQ_INT(timefmt__parse_iso("2024-05-01", &w), 0);
	CHECK_EQ_INT(w, 1714521600000000000LL);
	CHECK_EQ_INT(timefmt__parse_iso("2024-05-01T12:00:01.1234567891Z", &w), 0);
	CHECK_EQ_INT(w, 1714564801123456789LL);
	CHECK_EQ_INT(timefmt__parse_iso("2024-02-30", &w), -EINVAL);
	CHECK_EQ_INT(timefmt__parse_iso("2024-05-01T25:00", &w), -EINVAL);
	CHECK_EQ_INT(timefmt__parse_iso("2024-05-01T12:00:01.", &w), -EINVAL);
	CHECK_EQ_INT(timefmt__parse_iso("2024-05-01T12:00:01Zjunk", &w), -EINVAL);
	CHECK_EQ_INT(timefmt__parse_iso("yesterday", &w), -EINVAL);

	CHECK_EQ_INT(timefmt__parse_duration("2s", &ns), 0);
	CHECK_EQ_INT(ns, 2000000000);
	CHECK_EQ_INT(timefmt__parse_duration("1.5", &ns), 0);
	CHECK_EQ_INT(ns, 1500000000);
	CHECK_EQ_INT(timefmt__parse_duration("250ms", &ns), 0);
	CHECK_EQ_INT(ns, 250000000);
	CHECK_EQ_INT(timefmt__parse_duration("3us", &ns), 0);
	CHECK_EQ_INT(ns, 3000);
	CHECK_EQ_INT(timefmt__parse_duration("7ns", &ns), 0);
	CHECK_EQ_INT(ns, 7);
	CHECK_EQ_INT(timefmt__parse_duration("2m", &ns), 0);
	CHECK_EQ_INT(ns, 120000000000LL);
	CHECK_EQ_INT(timefmt__parse_duration("1h", &ns), 0);
	CHECK_EQ_INT(ns, 3600000000000LL);
	CHECK_EQ_INT(timefmt__parse_duration("2x", &ns), -EINVAL);
	CHECK_EQ_INT(timefmt__parse_duration("-2s", &ns), -EINVAL);
	CHECK_EQ_INT(timefmt__parse_duration("", &ns), -EINVAL);

	struct timeclock ck = { .boot_ns = 1000000000, .real_ns = 1714564800000000000LL };
	uint64_t ts;
	CHECK_EQ_U64(timeclock__ts(&ck, timeclock__wall(&ck, 123456789)), 123456789);
	CHECK_EQ_INT(timefmt__parse_bound("+2s", &ck, 5000000000ull, 9000000000ull, &ts), 0);
	CHECK_EQ_U64(ts, 7000000000ull);
	CHECK_EQ_INT(timefmt__parse_bound("1.5s", &ck, 5000000000ull, 9000000000ull, &ts), 0);
	CHECK_EQ_U64(ts, 6500000000ull);
	CHECK_EQ_INT(timefmt__parse_bound("-1s", &ck, 5000000000ull, 9000000000ull, &ts), 0);
	CHECK_EQ_U64(ts, 8000000000ull);
	CHECK_EQ_INT(timefmt__parse_bound("-100s", &ck, 5000000000ull, 9000000000ull, &ts), 0);
	CHECK_EQ_U64(ts, 0);
	CHECK_EQ_INT(timefmt__parse_bound("2024-05-01T12:00:01Z", &ck, 0, 0, &ts), 0);
	CHECK_EQ_U64(ts, 2000000000ull);
	CHECK_EQ_INT(timefmt__parse_bound("soon", &ck, 0, 0, &ts), -EINVAL);

	/* the canonical prefix rule: accepted cuts, and their first instant */
	static const struct { const char *s; int ok, full; int64_t wall; } cp[] = {
		{ "2024", 1, 0, 1704067200000000000LL },
		{ "2024-", 1, 0, 1704067200000000000LL },
		{ "2024-05", 1, 0, 1714521600000000000LL },
		{ "2024-05-01T12", 1, 0, 1714564800000000000LL },
		{ "2024-05-01T12:00:01", 1, 0, 1714564801000000000LL },
		{ "2024-05-01T12:00:01.", 1, 0, 1714564801000000000LL },
		{ "2024-05-01T12:00:01.5", 1, 0, 1714564801500000000LL },
		{ "2024-05-01T12:00:01.000000700", 1, 0, 1714564801000000700LL },
		{ "2024-05-01T12:00:01.000000700Z", 1, 1, 1714564801000000700LL },
		{ "202", 0, 0, 0 },
		{ "2024-0", 0, 0, 0 },
		{ "2024-13", 0, 0, 0 },
		{ "2024-05-01 12", 0, 0, 0 },
		{ "2024-05-01T12:00:01Z", 0, 0, 0 },
		{ "2024-05-01T12:00:01+02:00", 0, 0, 0 },
		{ "2023-02-29", 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cp) / sizeof(cp[0]); i++) {
		int ok = timefmt__canonical_prefix(cp[i].s, strlen(cp[i].s), &w, &full);
		if (ok != cp[i].ok)
			fprintf(stderr, "canonical_prefix(%s)\n", cp[i].s);
		CHECK_EQ_INT(ok, cp[i].ok);
		if (ok) {
			CHECK_EQ_INT(full, cp[i].full);
			CHECK_EQ_INT(w, cp[i].wall);
		}
	}
	/* and the property behind it: for canonical T and prefix P,
	 * strcmp(T, P) >= 0 exactly when time(T) >= first instant of P */
	uint64_t seed = 42;
	for (int n = 0; n < 20000; n++) {
		int64_t t = 1714564800000000000LL + (int64_t)(test_rand(&seed) % 4000000000000ull);
		int64_t p = 1714564800000000000LL + (int64_t)(test_rand(&seed) % 4000000000000ull);
		char tb[TIMEFMT_LEN + 1], pb[TIMEFMT_LEN + 1];
		static const int cuts[] = { 4, 7, 10, 13, 16, 19, 20, 21, 23, 25, 29 };
		size_t cut = (size_t)cuts[test_rand(&seed) % 11];

		timefmt__iso(t, tb, sizeof(tb));
		timefmt__iso(p, pb, sizeof(pb));
		if (n % 3 == 0)
			memcpy(tb, pb, cut);    /* often share the prefix */
		t = 0;
		CHECK_EQ_INT(timefmt__parse_iso(tb, &t), 0);
		pb[cut] = 0;
		CHECK(timefmt__canonical_prefix(pb, cut, &w, &full));
		CHECK_EQ_INT(strcmp(tb, pb) >= 0, t >= w);
	}
}

int main(void)
{
	test_csv();
	test_jsonl();
	test_table();
	test_logfmt();
	test_time();
	printf("test_print: ok\n");
	return 0;
}
