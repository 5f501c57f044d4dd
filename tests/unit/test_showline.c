/* test_showline - show's fast line ops give the general path's bytes: for
 * random and edge-case records of a real clang BTF type, every column the
 * fast path takes prints exactly what evtype__decode + print__logfmt_pair
 * print, and the columns it must not take (names, bitfields, enums,
 * trailing arrays) stay general; a column's last value copied gives the
 * same bytes, and so does show's loop over the fast columns with its pads;
 * the cached time and -r's time equal
 * timefmt__iso and the old snprintf; the digits equal printf's. */
#include "testutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* the hand-made BTF helpers */
#include "fixtures/btfgen.h"
#pragma GCC diagnostic pop

#include <errno.h>
#include <limits.h>

#include "btfv.h"
#include "capview.h"
#include "evfast.h"
#include "evtype.h"
#include "names.h"
#include "print.h"
#include "showline.h"
#include "timefmt.h"

#define EVENT_TYPES(...) __VA_ARGS__ static const char event_types_src[] = #__VA_ARGS__;
EVENT_TYPES(
typedef unsigned char __u8; typedef unsigned short __u16; typedef unsigned int __u32;
typedef unsigned long long __u64; typedef signed char __s8; typedef short __s16;
typedef int __s32; typedef long long __s64;
enum color { RED = 1, GREEN = 2 };
struct sl_ev {
	__s8 s8; __u8 u8; __s16 s16; __u16 u16;
	__s32 ret; __u32 u32; __s64 s64; __u64 u64;
	_Bool flag;
	char comm[16];
	char one[1];
	enum color c;
	unsigned int bf : 3;
	__u8 raw[4];
	char tail[8];
};
struct sl_ev g_sl_ev;
)

/* The general path's pair for column k. */
static void general_pair(struct evtype *t, size_t k, const char *name, const uint8_t *rec,
			 uint32_t len, struct strbuf *out)
{
	struct evval ev;
	struct pval v;

	CHECK(!evtype__decode(t, k, rec, len, &ev));
	capview__pval(&ev, &v);
	out->len = 0;
	CHECK(!print__logfmt_pair(out, name, &v));
}

static void fill_text(uint64_t *rs, uint8_t *p, size_t n)
{
	/* mostly plain text, sometimes NULs, quotes, '=', '\\', spaces, UTF-8 */
	static const uint8_t odd[] = { 0, 0, 0, '"', '=', '\\', ' ', '\n', 0x7f, 0xc3, 0xa9, 0x9b, 0xff };
	size_t used = test_rand(rs) % (n + 1);

	memset(p, 0, n);
	for (size_t i = 0; i < used; i++) {
		uint64_t r = test_rand(rs);
		p[i] = r % 8 ? (uint8_t)('!' + r / 8 % 94) : odd[r / 8 % sizeof(odd)];
	}
}

static void test_columns(struct evtype *t)
{
	uint32_t size = evtype__size(t), min = evtype__min_size(t);
	size_t ncols = evtype__ncols(t), fast_seen[16] = { 0 }, declined = 0;
	struct showline_col cols[64];
	struct strbuf want = { 0 };
	uint8_t rec[256];
	char got[512];
	uint64_t rs = 42;

	CHECK(ncols < 64 && size <= sizeof(rec));
	for (size_t k = 0; k < ncols; k++) {
		const struct evcol *c = evtype__col(t, k);
		int errno_hint = !strcmp(c->name, "ret");

		CHECK(!showline__col(&cols[k], k, c, c->name, min, errno_hint, errno_hint));
		/* what must stay general */
		if (!strcmp(c->name, "c") || !strcmp(c->name, "bf") || !strcmp(c->name, "raw") ||
		    !strcmp(c->name, "tail"))
			CHECK_EQ_INT(cols[k].kind, SHOWLINE_GENERAL);
		else
			CHECK(cols[k].kind != SHOWLINE_GENERAL);
		if (!strcmp(c->name, "ret"))
			CHECK_EQ_INT(cols[k].kind, SHOWLINE_ERRNO);
	}
	/* a column with another special rule (a name, an address) stays general */
	{
		struct showline_col sp;
		CHECK(!showline__col(&sp, 0, evtype__col(t, 0), "s8", min, 1, 0));
		CHECK_EQ_INT(sp.kind, SHOWLINE_GENERAL);
		showline__col_free(&sp);
	}
	for (int round = 0; round < 20000; round++) {
		for (uint32_t i = 0; i < size; i++)
			rec[i] = (uint8_t)test_rand(&rs);
		if (round % 3 == 0) {
			/* edge values: zero, all ones, the sign bits */
			int e = round / 3 % 3;
			memset(rec, e == 0 ? 0 : 0xff, size);
			if (e == 2)
				for (uint32_t i = 0; i < size; i++)
					rec[i] = i % 8 == 7 ? 0x80 : 0;
		}
		for (size_t k = 0; k < ncols; k++) {
			const struct evcol *c = evtype__col(t, k);
			if (c->kind == EVCOL_TEXT && round % 3 != 0)
				fill_text(&rs, rec + c->bit_offset / 8, c->byte_size);
		}
		for (size_t k = 0; k < ncols; k++) {
			const struct showline_col *op = &cols[k];
			uint64_t iv;
			size_t n;

			if (op->kind == SHOWLINE_GENERAL)
				continue;
			iv = op->kind == SHOWLINE_TEXT ? 0 : showline__int(op, rec);
			CHECK(showline__max(op) < sizeof(got));
			n = showline__put(op, rec, iv, got);
			general_pair(t, k, evtype__col(t, k)->name, rec, size, &want);
			if (!n) {
				/* declined: only for what the general path changes */
				CHECK(op->kind == SHOWLINE_TEXT || op->kind == SHOWLINE_ERRNO);
				declined++;
				continue;
			}
			fast_seen[op->kind]++;
			if (n != want.len || memcmp(got, want.buf, n)) {
				fprintf(stderr, "column %s: fast '%.*s', general '%s'\n",
					evtype__col(t, k)->name, (int)n, got, want.buf);
				CHECK(0);
			}
			/* ASCII only: bytes are the display width */
			for (size_t i = 0; i < n; i++)
				CHECK((unsigned char)got[i] < 0x80);
		}
	}
	CHECK(fast_seen[SHOWLINE_INT] && fast_seen[SHOWLINE_UINT] && fast_seen[SHOWLINE_BOOL] &&
	      fast_seen[SHOWLINE_ERRNO] && fast_seen[SHOWLINE_TEXT] && declined);
	for (size_t k = 0; k < ncols; k++)
		showline__col_free(&cols[k]);
	strbuf__free(&want);
}

/* showline__put_last gives showline__put's bytes whatever the values
 * before: repeated values (copied from the last), values that differ from
 * the last in one byte only (the second word of a char array, an integer's
 * high byte), declined values in between (quotes, NULs, a name too long). */
static void test_last(struct evtype *t)
{
	uint32_t size = evtype__size(t), min = evtype__min_size(t);
	size_t ncols = evtype__ncols(t), copied = 0, kept_text = 0, paused = 0, resumed = 0;
	struct showline_col cols[64];
	uint8_t rec[256], prev[256];
	char got[512], want[512];
	uint64_t rs = 11;

	CHECK(ncols < 64 && size <= sizeof(rec));
	for (size_t k = 0; k < ncols; k++) {
		const struct evcol *c = evtype__col(t, k);
		int errno_hint = !strcmp(c->name, "ret");

		CHECK(!showline__col(&cols[k], k, c, c->name, min, errno_hint, errno_hint));
		if (errno_hint)
			cols[k].errname = names__errno;
		/* which columns keep their last value */
		if (!strcmp(c->name, "comm") || !strcmp(c->name, "u64") || !strcmp(c->name, "ret") ||
		    !strcmp(c->name, "s8"))
			CHECK(cols[k].last_ok);
		if (!strcmp(c->name, "one") || !strcmp(c->name, "flag") || !strcmp(c->name, "tail"))
			CHECK(!cols[k].last_ok);
	}
	memset(prev, 0, sizeof(prev));
	for (int round = 0; round < 200000; round++) {
		/* mostly repeats, then mostly new values (the columns pause),
		 * then repeats again (they come back) */
		int repeats = round < 30000 || round >= 100000 ? 7 : 1;

		memcpy(rec, prev, size);
		for (size_t k = 0; k < ncols; k++) {
			const struct evcol *c = evtype__col(t, k);
			uint8_t *v = rec + c->bit_offset / 8;
			uint64_t r = test_rand(&rs);

			if (cols[k].kind == SHOWLINE_GENERAL || r % 16 < (uint64_t)repeats * 2)
				continue;     /* the same value as the line before */
			r /= 16;
			if (r % 4 == 1 && c->kind == EVCOL_TEXT && r / 4 % 2) {
				fill_text(&rs, v, c->byte_size);
			} else if (r % 4 == 1 && c->kind == EVCOL_TEXT) {
				/* a plain name, as comms mostly are */
				uint32_t used = (uint32_t)(r / 8 % (c->byte_size + 1));

				memset(v, 0, c->byte_size);
				for (uint32_t i = 0; i < used; i++)
					v[i] = (uint8_t)('a' + test_rand(&rs) % 26);
			} else if (r % 4 == 1) {
				for (uint32_t i = 0; i < c->byte_size; i++)
					v[i] = (uint8_t)test_rand(&rs);
				if (!strcmp(c->name, "ret") && r % 3 == 0) {
					int32_t e = -(int32_t)(r / 16 % 140);   /* named errnos */
					memcpy(v, &e, 4);
				}
			} else if (c->kind == EVCOL_TEXT) {
				/* one byte of the name changed; often in its
				 * second word only */
				uint32_t len = (uint32_t)strnlen((const char *)v, c->byte_size);
				uint32_t from = r % 4 == 3 && len > 8 ? 8 : 0;

				if (len > from)
					v[from + r / 4 % (len - from)] ^= (uint8_t)(1 + r / 1024 % 8);
			} else {
				/* one byte changed: the last one most often (the high
				 * word of a text, an integer's sign) */
				uint32_t i = r % 8 < 5 ? c->byte_size - 1 : (uint32_t)(r / 8 % c->byte_size);
				v[i] ^= (uint8_t)(1 + r / 64 % 255);
			}
		}
		for (size_t k = 0; k < ncols; k++) {
			struct showline_col *op = &cols[k];
			const struct evcol *c = evtype__col(t, k);
			uint64_t iv;
			size_t n, m;
			int same;

			if (op->kind == SHOWLINE_GENERAL)
				continue;
			same = !memcmp(rec + c->bit_offset / 8, prev + c->bit_offset / 8, c->byte_size);
			iv = op->kind == SHOWLINE_TEXT ? 0 : showline__int(op, rec);
			CHECK(showline__max(op) < sizeof(got));
			m = showline__put(op, rec, iv, want);
			if (op->last_ok == SHOWLINE_LAST_ON && same && op->lastlen && m) {
				copied++;
				kept_text += op->kind == SHOWLINE_TEXT;
			}
			memset(got, 'x', sizeof(got));
			uint8_t was = op->last_ok;
			n = showline__put_last(op, rec, iv, got);
			paused += was == SHOWLINE_LAST_ON && op->last_ok == SHOWLINE_LAST_PAUSED;
			resumed += was == SHOWLINE_LAST_PAUSED && op->last_ok == SHOWLINE_LAST_ON;
			if (n != m || memcmp(got, want, n)) {
				fprintf(stderr, "column %s: last '%.*s', plain '%.*s'\n", c->name, (int)n,
					got, (int)m, want);
				CHECK(0);
			}
		}
		memcpy(prev, rec, size);
	}
	/* the copies were taken, for text too; columns paused and came back */
	CHECK(copied > 100000 && kept_text > 10000);
	CHECK(paused >= 8 && resumed >= 8);
	for (size_t k = 0; k < ncols; k++)
		showline__col_free(&cols[k]);
}

/* showline__run (show's loop over the fast columns) gives, pad by pad and
 * pair by pair, what showline__put and show's alignment rule give: values
 * that repeat, change, grow and shrink (pads past 16 spaces), and declined
 * values, after which the caller writes its own pair and goes on. */
static void test_run(struct evtype *t)
{
	uint32_t size = evtype__size(t), min = evtype__min_size(t);
	size_t ncols = evtype__ncols(t), nplan = 0, declined = 0, bigpad = 0;
	struct showline_col plan[64], ref[64];
	int refw[64] = { 0 };
	uint8_t rec[256];
	char got[8192], want[8192], one[512];
	uint64_t rs = 13;

	CHECK(ncols < 64 && size <= sizeof(rec));
	for (size_t k = 0; k < ncols; k++) {
		const struct evcol *c = evtype__col(t, k);
		int errno_hint = !strcmp(c->name, "ret");

		CHECK(!showline__col(&plan[nplan], k, c, c->name, min, errno_hint, errno_hint));
		CHECK(!showline__col(&ref[nplan], k, c, c->name, min, errno_hint, errno_hint));
		if (plan[nplan].kind == SHOWLINE_GENERAL) {
			showline__col_free(&plan[nplan]);
			showline__col_free(&ref[nplan]);
			continue;
		}
		if (errno_hint)
			plan[nplan].errname = ref[nplan].errname = names__errno;
		nplan++;
	}
	CHECK(nplan >= 8);
	memset(rec, 0, sizeof(rec));
	for (int round = 0; round < 50000; round++) {
		size_t pad = 0, len = 0, rpad = 0;
		struct showline_col *op = plan, *end = plan + nplan;
		char *p = got;

		for (size_t j = 0; j < nplan; j++) {
			const struct evcol *c = evtype__col(t, plan[j].col);
			uint8_t *v = rec + c->bit_offset / 8;
			uint64_t r = test_rand(&rs);

			if (r % 8 < 5)
				continue;             /* as the line before */
			if (c->kind == EVCOL_TEXT && r % 8 == 5)
				fill_text(&rs, v, c->byte_size);
			else if (c->kind == EVCOL_TEXT)
				for (uint32_t i = 0; i < c->byte_size; i++)
					v[i] = i < r / 8 % (c->byte_size + 1) ?
					       (uint8_t)('a' + test_rand(&rs) % 26) : 0;
			else   /* short and long numbers: pads come and go */
				for (uint32_t i = 0; i < c->byte_size; i++)
					v[i] = i < r / 8 % (c->byte_size + 1) ? (uint8_t)test_rand(&rs) : 0;
		}
		/* the reference: showline__put, the general pair "<G>", the pads */
		for (size_t j = 0; j < nplan; j++) {
			uint64_t iv = ref[j].kind == SHOWLINE_TEXT ? 0 : showline__int(&ref[j], rec);
			size_t m = showline__put(&ref[j], rec, iv, one), w;

			if (!m)
				m = (size_t)sprintf(one, "<G>");
			want[len++] = ' ';
			memset(want + len, ' ', rpad);
			len += rpad;
			memcpy(want + len, one, m);
			len += m;
			bigpad += rpad >= 16;
			w = m < SHOWLINE_COL_MAX ? m : SHOWLINE_COL_MAX;
			if ((int)w > refw[j])
				refw[j] = (int)w;
			rpad = (size_t)refw[j] - w;
		}
		/* the run, and the caller's general pair where it stops */
		while (op < end) {
			size_t w;

			p = showline__run(&op, end, rec, p, &pad);
			if (op == end)
				break;
			declined++;
			*p++ = ' ';
			memset(p, ' ', pad);
			p += pad;
			memcpy(p, "<G>", 3);
			p += 3;
			w = 3;
			if ((int)w > op->width)
				op->width = (int)w;
			pad = (size_t)op->width - w;
			op++;
		}
		if ((size_t)(p - got) != len || memcmp(got, want, len)) {
			fprintf(stderr, "round %d:\n run '%.*s'\n want '%.*s'\n", round,
				(int)(p - got), got, (int)len, want);
			CHECK(0);
		}
		CHECK_EQ_INT(pad, rpad);
	}
	CHECK(declined > 1000 && bigpad > 1000);
	for (size_t j = 0; j < nplan; j++) {
		showline__col_free(&plan[j]);
		showline__col_free(&ref[j]);
	}
}

/* evfast.h (the virtual tables' in-place reads) gives evtype__decode's
 * values: integers as their 64 bits, booleans 0/1, text in place. */
static void test_evfast(struct evtype *t)
{
	uint32_t size = evtype__size(t), min = evtype__min_size(t);
	size_t ncols = evtype__ncols(t), seen[4] = { 0 }, declined = 0;
	struct evfast f[64];
	uint8_t rec[256];
	uint64_t rs = 5;

	for (size_t k = 0; k < ncols; k++)
		evfast__plan(&f[k], evtype__col(t, k), min);
	for (int round = 0; round < 20000; round++) {
		for (uint32_t i = 0; i < size; i++)
			rec[i] = (uint8_t)test_rand(&rs);
		if (round % 4 == 0)
			memset(rec, round % 8 ? 0xff : 0, size);
		for (size_t k = 0; k < ncols; k++) {
			const struct evcol *c = evtype__col(t, k);
			if (c->kind == EVCOL_TEXT && round % 4 != 0)
				fill_text(&rs, rec + c->bit_offset / 8, c->byte_size);
		}
		for (size_t k = 0; k < ncols; k++) {
			struct evval v;
			const char *text;
			size_t n;

			CHECK(!evtype__decode(t, k, rec, size, &v));
			switch (f[k].kind) {
			case EVFAST_INT:
				CHECK_EQ_U64(evfast__bits(&f[k], rec), (uint64_t)v.i);
				break;
			case EVFAST_BOOL:
				CHECK_EQ_U64(evfast__bits(&f[k], rec) != 0, (uint64_t)v.i);
				break;
			case EVFAST_TEXT:
				if (evfast__text(&f[k], rec, &text, &n)) {
					/* only a NUL inside, which evtype escapes */
					CHECK(memchr(v.text, '\\', v.text_len));
					declined++;
					break;
				}
				CHECK_EQ_INT(n, v.text_len);
				CHECK(!memcmp(text, v.text, n));
				CHECK((const uint8_t *)text == rec + f[k].off);
				break;
			}
			seen[f[k].kind]++;
		}
	}
	CHECK(seen[EVFAST_INT] && seen[EVFAST_BOOL] && seen[EVFAST_TEXT] && seen[EVFAST_NONE] &&
	      declined);
}

/* A negative errno column with errname: "-N NAME" as pair_general writes
 * it without colour; a value without a name just "-N". */
static void test_errno_names(struct evtype *t)
{
	static const struct { int32_t v; const char *want; } cases[] = {
		{ -2, "ret=-2 ENOENT" }, { -111, "ret=-111 ECONNREFUSED" },
		{ -4095, "ret=-4095" }, { -5000, "ret=-5000" },
		{ INT32_MIN, "ret=-2147483648" }, { 7, "ret=7" }, { 0, "ret=0" },
	};
	struct showline_col op;
	uint8_t rec[256] = { 0 };
	char got[512];
	size_t k, n;

	for (k = 0; strcmp(evtype__col(t, k)->name, "ret"); k++)
		;
	CHECK(!showline__col(&op, k, evtype__col(t, k), "ret", evtype__min_size(t), 1, 1));
	CHECK_EQ_INT(op.kind, SHOWLINE_ERRNO);
	op.errname = names__errno;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(rec + op.off, &cases[i].v, 4);
		n = showline__put(&op, rec, showline__int(&op, rec), got);
		if (n != strlen(cases[i].want) || memcmp(got, cases[i].want, n)) {
			fprintf(stderr, "errno %d: '%.*s', want '%s'\n", cases[i].v, (int)n, got,
				cases[i].want);
			CHECK(0);
		}
	}
	showline__col_free(&op);
}

static void test_digits(void)
{
	uint64_t rs = 7;
	char got[32], want[32];

	for (int i = 0; i < 200000; i++) {
		uint64_t v = test_rand(&rs) >> (test_rand(&rs) % 64);
		if (i < 129)
			v = i < 65 ? (i ? 1ull << (i - 1) : 0) : ((1ull << (i - 65)) << 1) - 1;
		if (i >= 130 && i < 150)
			v = showline_pow10[i - 130] - (i % 2);
		size_t n = showline__u64(got, v);
		snprintf(want, sizeof(want), "%" PRIu64, v);
		CHECK_EQ_INT(n, strlen(want));
		CHECK(!memcmp(got, want, n));
	}
	CHECK_EQ_INT(showline__u64(got, UINT64_MAX), 20);
	CHECK(!memcmp(got, "18446744073709551615", 20));
}

static void test_time(void)
{
	struct showline_time tc = { 0 };
	uint64_t rs = 9;
	char got[TIMEFMT_LEN + 1], want[TIMEFMT_LEN + 1];
	int64_t t = 1714564800000000000ll - 5;   /* just before a second */

	for (int i = 0; i < 300000; i++) {
		if (i % 1000 == 999)
			t = (int64_t)test_rand(&rs);    /* anywhere: negative, past 9999 */
		else if (i % 1000 == 500)
			t = -(int64_t)(test_rand(&rs) % 3000000000ull);  /* around the epoch */
		else if (i % 1000 >= 900)
			t -= (int64_t)(test_rand(&rs) % 30000000);  /* backwards, across seconds */
		else
			t += (int64_t)(test_rand(&rs) % 3000);
		size_t n = showline__time(&tc, t, got);
		timefmt__iso(t, want, sizeof(want));
		CHECK_EQ_INT(n, strlen(want));
		if (memcmp(got, want, n)) {
			fprintf(stderr, "time %lld: '%.*s', expected '%s'\n", (long long)t, (int)n, got,
				want);
			CHECK(0);
		}
	}
	for (int i = 0; i < 100000; i++) {
		int64_t d = (int64_t)(test_rand(&rs) >> (test_rand(&rs) % 64));
		char rel[64], old[64];

		if (i % 10 == 0)
			d = -d;
		if (d == INT64_MIN)
			continue;
		size_t n = showline__rel(rel, d);
		snprintf(old, sizeof(old), "%s%lld.%09lld", d < 0 ? "-" : "+",
			 (long long)(d < 0 ? -d : d) / 1000000000,
			 (long long)(d < 0 ? -d : d) % 1000000000);
		CHECK_EQ_INT(n, strlen(old));
		CHECK(!memcmp(rel, old, n));
	}
}

int main(void)
{
	const char *dir = test_tmpdir("showline");
	char src[8192], err[256] = "";
	struct btfv *btf;
	struct evtype *t;
	uint8_t *raw;
	size_t len = 0;

	snprintf(src, sizeof(src), "%s\n", event_types_src);
	raw = btfgen_compile(dir, src, &len);
	CHECK(raw);
	btf = btfv__parse(raw, len, err, sizeof(err));
	if (!btf)
		fprintf(stderr, "btfv__parse: %s\n", err);
	CHECK(btf);
	free(raw);
	t = evtype__new(btf, btfv__find_struct(btf, "sl_ev"), err, sizeof(err));
	if (!t)
		fprintf(stderr, "evtype__new: %s\n", err);
	CHECK(t);

	test_columns(t);
	test_evfast(t);
	test_errno_names(t);
	test_last(t);
	test_run(t);
	test_digits();
	test_time();
	evtype__free(t);
	btfv__free(btf);
	printf("test_showline: ok\n");
	return 0;
}
