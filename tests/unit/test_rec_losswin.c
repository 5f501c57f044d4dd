/* test_rec_losswin.c - possible-loss windows (recorder/losswin.c): a look
 * at 3/4 full or more opens a window that starts at the previous look; the
 * first look below ends it; the peak is the fullest look; the end of the
 * recording ends an open window; past LOSSWIN_MAX windows the last one
 * stretches, so no nearly-full time is left out. */
#include "testutil.h"
#include "losswin.h"

int main(void)
{
	struct losswin l = { 0 };

	/* below 3/4 of 4096 (3072): nothing */
	CHECK(!losswin__look(&l, 0, 4096, 100));
	CHECK(!losswin__look(&l, 3071, 4096, 200));
	CHECK_EQ_INT((int)l.n, 0);
	/* 3072 at 300: a window from the previous look (200) */
	CHECK(!losswin__look(&l, 3072, 4096, 300));
	CHECK(!losswin__look(&l, 4000, 4096, 400));
	CHECK(!losswin__look(&l, 3500, 4096, 500));
	CHECK_EQ_INT((int)l.n, 1);
	CHECK(l.open);
	CHECK(!losswin__look(&l, 10, 4096, 600));   /* below: ends at 600 */
	CHECK(!l.open);
	CHECK_EQ_U64(l.w[0].start_ns, 200);
	CHECK_EQ_U64(l.w[0].end_ns, 600);
	CHECK_EQ_U64(l.w[0].peak_bytes, 4000);
	/* the first look of all full: the window starts there */
	struct losswin f = { 0 };
	CHECK(!losswin__look(&f, 4096, 4096, 1000));
	losswin__end(&f, 1500);
	CHECK_EQ_INT((int)f.n, 1);
	CHECK_EQ_U64(f.w[0].start_ns, 1000);
	CHECK_EQ_U64(f.w[0].end_ns, 1500);
	CHECK(!f.open);
	losswin__end(&f, 2000);                     /* nothing open: no change */
	CHECK_EQ_U64(f.w[0].end_ns, 1500);
	losswin__free(&f);
	/* a second window on l, ended by the end of the recording */
	CHECK(!losswin__look(&l, 4096, 4096, 700));
	losswin__end(&l, 750);
	CHECK_EQ_INT((int)l.n, 2);
	CHECK_EQ_U64(l.w[1].start_ns, 600);
	CHECK_EQ_U64(l.w[1].end_ns, 750);
	CHECK_EQ_U64(l.looks, 7);
	/* a size of 0 (not a ring) never opens one */
	CHECK(!losswin__look(&l, 5, 0, 800));
	CHECK_EQ_INT((int)l.n, 2);
	losswin__free(&l);
	/* past LOSSWIN_MAX: the last window stretches over the rest */
	struct losswin m = { 0 };
	uint64_t t = 1;
	for (int i = 0; i < LOSSWIN_MAX + 10; i++) {
		CHECK(!losswin__look(&m, 4096, 4096, t++));
		CHECK(!losswin__look(&m, 0, 4096, t++));
	}
	CHECK(!losswin__look(&m, 4000, 4096, t));
	CHECK_EQ_INT((int)m.n, LOSSWIN_MAX);
	CHECK(m.open);
	losswin__end(&m, t + 5);
	CHECK_EQ_U64(m.w[LOSSWIN_MAX - 1].end_ns, t + 5);
	for (size_t i = 1; i < m.n; i++)
		CHECK(m.w[i].start_ns >= m.w[i - 1].end_ns);
	losswin__free(&m);
	printf("test_rec_losswin: ok\n");
	return 0;
}
